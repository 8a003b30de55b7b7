//! Webinars: signing up for a public scheduled conference, the unique join links that signing
//! up gives (one device at a time), **Attend** for users of the server, the public calendar
//! entry and the widget that embeds a conference page in another site.
//!
//! A join link is `/c/<id>#t=<token>`: 256 random bits in the URL's fragment, which browsers do
//! not send in requests, so the token stays out of access logs and `Referer`s; the page sends
//! it in its WebSocket's join message. Only the token's SHA-256 is stored.

pub mod devices;
pub mod input;

use crate::auth::ApiUser;
use crate::auth::session::{ClientAddr, hash_token, new_token};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::msg;
use crate::recurrence::Schedule;
use crate::state::{AppState, WebConfig, now};
use crate::store::{Closes, ConferencePage, FormField, Registrant, Registration, Role, SignUp};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{id}/register", post(sign_up))
        .route("/c/{id}/attend", post(attend))
        .route("/c/{id}/calendar.ics", get(public_calendar))
        .route("/api/v1/conferences/{id}/registrants", get(registrants_api))
}

/// Sign-ups one address may make per `SIGNUP_WINDOW_SECS` (an office behind one NAT signs up
/// together; a script does not get far).
pub const SIGNUPS_PER_WINDOW: u32 = 20;
pub const SIGNUP_WINDOW_SECS: i64 = 10 * 60;
/// The longest answer; the name (shown in the conference) is at most 64 characters.
pub const MAX_ANSWER_CHARS: usize = 500;
pub const MAX_NAME_CHARS: usize = 64;

/// Where registration stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    /// A custom interval that has not begun: opens then.
    NotYet(i64),
    Closed,
    /// The list has reached the mode's capacity and the organiser closes it then.
    Full,
}

/// The most people a conference in `mode` holds (the core's rule).
pub fn capacity(mode: tessera_conference::Mode) -> i64 {
    mode.capacity() as i64
}

/// Registration's state at `t`, with `listed` people on the list (invited users, addresses and
/// guests). A recurring conference closing "at start" is closed while an occurrence runs and
/// after the last one has started.
pub fn status(reg: &Registration, schedule: Option<&Schedule>, listed: i64, cap: i64, t: i64) -> Status {
    if !reg.enabled {
        return Status::Closed;
    }
    if reg.close_when_full && listed >= cap {
        return Status::Full;
    }
    let Some(s) = schedule else { return Status::Closed };
    let end = s.series_end();
    match reg.closes {
        Closes::Never => Status::Open,
        Closes::Start if t >= end - s.duration_secs() || s.running_at(t).is_some() => Status::Closed,
        Closes::Start => Status::Open,
        Closes::End if t >= end => Status::Closed,
        Closes::End => Status::Open,
        Closes::Custom => match (reg.opens_at, reg.closes_at) {
            (Some(o), _) if t < o => Status::NotYet(o),
            (_, Some(c)) if t >= c => Status::Closed,
            _ => Status::Open,
        },
    }
}

/// How many are on the list, where registration closes when full (0 otherwise: not needed).
pub async fn listed(state: &AppState, page: &ConferencePage) -> Result<i64> {
    match page.registration_on() {
        Some(r) if r.close_when_full => Ok(state.store.list_count(&page.dial_in.id).await?),
        _ => Ok(0),
    }
}

/// A conference page's registration status now, with `listed` people on its list.
pub fn status_now(page: &ConferencePage, reg: &Registration, listed: i64) -> Status {
    status(reg, page.schedule().as_ref(), listed, capacity(page.mode), now())
}

/// The widget: an `<iframe>` of the conference page for another site.
pub fn widget_html(config: &WebConfig, id: &str) -> String {
    let base = config.public_url.trim_end_matches('/');
    format!(
        "<iframe src=\"{base}/c/{id}?embed=1\" width=\"800\" height=\"600\" style=\"border:0\" \
         allow=\"camera; microphone; display-capture; autoplay; clipboard-write; local-network-access\" allowfullscreen></iframe>"
    )
}

/// Answers checked against the form: each known field at most once, required ones given,
/// lengths, and the formats of email and phone. Empty optional answers are dropped.
pub fn check_answers(fields: &[FormField], given: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    if let Some(k) = given.keys().find(|k| !fields.iter().any(|f| &f.key == *k)) {
        let k: String = k.chars().take(40).collect();
        return Err(Error::field(k.clone(), msg!("err.not.field.form", k = format!("{:?}", k))));
    }
    let mut out = BTreeMap::new();
    for f in fields {
        let v = given.get(&f.key).map(|v| v.trim()).unwrap_or("");
        if v.is_empty() {
            if f.required {
                return Err(Error::field(f.key.clone(), msg!("err.required")));
            }
            continue;
        }
        let v = match f.key.as_str() {
            "email" => crate::validate::email(&f.key, v)?.to_lowercase(),
            "phone" => crate::validate::phone(&f.key, v)?,
            "name" => crate::validate::text(&f.key, v, MAX_NAME_CHARS, true)?,
            _ => crate::validate::text(&f.key, v, MAX_ANSWER_CHARS, false)?,
        };
        out.insert(f.key.clone(), v);
    }
    Ok(out)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignUpInput {
    answers: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SignedUp {
    /// The join link (its path and fragment), unless it was emailed.
    link: Option<String>,
    /// The same link with the server's public address.
    url: Option<String>,
    /// The link went to this address instead of being shown.
    emailed_to: Option<String>,
}

/// The conference as a guest meets it: public, with registration switched on. Anything else
/// answers as if the conference did not exist.
async fn webinar(state: &AppState, id: &str) -> Result<(ConferencePage, Registration)> {
    let id = id.to_ascii_lowercase();
    if id.is_empty() || id.len() > 64 {
        return Err(Error::NotFound);
    }
    let page = state.store.conference_page(&id).await?.ok_or(Error::NotFound)?;
    if !page.dial_in.public {
        return Err(Error::NotFound);
    }
    let reg = page.registration_on().cloned().ok_or(Error::NotFound)?;
    Ok((page, reg))
}

async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SignUpInput>,
) -> Result<Response> {
    if !crate::join_ws::same_origin(&headers) {
        return Err(Error::Forbidden(msg!("err.sign.up.conference.s")));
    }
    let (page, reg) = webinar(&state, &id).await?;
    let id = page.dial_in.id.clone();
    if let Some(a) = addr
        && !state.signups.allow(a, now())
    {
        return Err(Error::TooManyRequests(msg!("err.too.many.sign.ups")));
    }
    match status_now(&page, &reg, listed(&state, &page).await?) {
        Status::Open => {}
        Status::NotYet(_) => return Err(Error::field("registration", msg!("err.registration.has.not.opened"))),
        Status::Closed => return Err(Error::field("registration", msg!("err.registration.closed"))),
        Status::Full => return Err(Error::field("registration", msg!("err.registration.closed.conference.full"))),
    }
    let answers = check_answers(&reg.fields, &input.answers)?;
    let token = new_token();
    let cap = reg.close_when_full.then(|| capacity(page.mode));
    let guest = match state.store.add_registrant(&id, &hash_token(&token), &answers, cap, now()).await? {
        SignUp::Added(g) => g,
        SignUp::Full => return Err(Error::field("registration", msg!("err.registration.closed.conference.full"))),
        SignUp::EmailTaken => {
            return Err(Error::field("email", msg!("err.has.signed.up.already")));
        }
    };
    metrics::counter!("tessera_registrations_total").increment(1);
    tracing::info!(conference = %id, guest, "a guest signed up");
    let link = format!("/c/{id}#t={token}");
    let url = format!("{}{link}", state.config.public_url.trim_end_matches('/'));
    let email = answers.get("email").cloned();
    // Emailed when the server can send mail and the organiser asked for email invitations.
    let conference = match (&state.mailer, &email) {
        (Some(_), Some(_)) => state.store.editable_conference(&id).await?.filter(|c| c.settings.email_invitations),
        _ => None,
    };
    let emailed_to = match (conference, email) {
        (Some(c), Some(to)) => {
            let lang = crate::i18n::Lang::from_accept_language(
                headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
            );
            crate::invitations::join_link(&state, &c, (answers.get("name").map_or("", |n| n), &to), &url, lang).await;
            Some(to)
        }
        _ => None,
    };
    let body = match emailed_to {
        Some(to) => SignedUp { link: None, url: None, emailed_to: Some(to) },
        None => SignedUp { link: Some(link), url: Some(url), emailed_to: None },
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Attending {
    attending: bool,
}

/// A signed-in user adds themself to a webinar's participants, where the organiser allows it.
async fn attend(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<String>) -> Result<Json<Attending>> {
    let (page, reg) = webinar(&state, &id).await?;
    if !reg.allow_attend {
        return Err(Error::Forbidden(msg!("err.organiser.does.not.let")));
    }
    let id = page.dial_in.id;
    if state.store.role_in(u.user.id, &id).await?.is_none() {
        state.store.add_participant(&id, u.user.id, Role::Participant).await?;
        tracing::info!(conference = %id, user = %u.user.login, "a user attends");
    }
    Ok(Json(Attending { attending: true }))
}

/// The calendar entry of a conference, for whoever may see its page (without the PIN and the
/// list of attendees, which are for the invited).
async fn public_calendar(
    State(state): State<AppState>,
    crate::auth::session::MaybeUser(user): crate::auth::session::MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = id.to_ascii_lowercase();
    let page = match state.store.conference_page(&id).await? {
        Some(p) if id.len() <= 64 => p,
        _ => return Err(Error::NotFound),
    };
    if crate::conference_page::standing(&state, &page, user.as_ref()).await?.is_none() {
        return Err(Error::NotFound);
    }
    let c = state.store.editable_conference(&id).await?.ok_or(Error::NotFound)?;
    let mut s = c.settings;
    s.pin = None;
    let lang = match &user {
        Some(u) => u.lang,
        None => {
            crate::i18n::Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        }
    };
    let itip = crate::scheduling::ics::Itip::publish(state.store.calendar_sequence(&c.id).await?, lang);
    let body = crate::scheduling::ics::calendar(&state.config, &c.id, &s, &[], &itip);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.ics\"", c.id)),
        ],
        body,
    )
        .into_response())
}

/// The guests who signed up, with their answers: for the owner and operators.
async fn registrants_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Registrant>>> {
    let c = crate::scheduling::editable(&state, &u, &id).await?;
    Ok(Json(state.store.registrants(&c.id).await?))
}

#[cfg(test)]
mod tests;
