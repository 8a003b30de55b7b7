//! Scheduling: the conference form (new, edit, from a template), the Meetings and Virtual rooms
//! lists with the calendar and the conference card, calendar export and templates. Pages and
//! the JSON API share one input type ([`input::ConferenceInput`]) and one validation.

pub mod form;
pub mod ics;
pub mod input;
pub mod lists;
pub mod templates;

use crate::auth::{ApiUser, CurrentUser};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::msg;
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{EditableConference, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use input::{ConferenceInput, Context, Validated};
use rand::Rng;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conferences", post(create_api))
        .route("/api/v1/conferences/{id}", get(crate::conferences::get_conference).put(update_api).delete(delete_api))
        .route("/api/v1/conferences/{id}/settings", get(settings_api))
        .route("/api/v1/conferences/{id}/mail", get(mail_api))
        .route("/api/v1/meetings", get(meetings_api))
        .route("/api/v1/users", get(find_users_api))
        .merge(form::router())
        .merge(lists::router())
        .merge(ics::router())
        .merge(templates::router())
}

/// The conference if `u` may edit it: its owner, or a user with the operator right. Others who
/// take part get 403; everyone else 404, as for a conference that does not exist.
pub async fn editable(state: &AppState, u: &CurrentUser, id: &str) -> Result<EditableConference> {
    if id.len() > 64 {
        return Err(Error::NotFound);
    }
    let c = state.store.editable_conference(id).await?.ok_or(Error::NotFound)?;
    if c.owner_id == u.user.id {
        return Ok(c);
    }
    let rights = state.store.rights_of(u.user.id).await?;
    if rights.contains(&Right::Operator) {
        return Ok(c);
    }
    match state.store.role_in(u.user.id, id).await? {
        Some(_) => Err(Error::Forbidden(msg!("err.only.conference.s.owner"))),
        None => Err(Error::NotFound),
    }
}

/// What validating a conference of `owner_id` needs besides its input.
pub(crate) async fn context(
    state: &AppState,
    owner_id: i64,
    current_multicast: Option<(String, i64, i64)>,
    current_registration: Option<crate::store::Registration>,
) -> Result<Context<'_>> {
    let (rights, settings) = tokio::try_join!(state.store.rights_of(owner_id), state.store.settings())?;
    Ok(Context {
        store: &state.store,
        owner_id,
        rights,
        smtp_configured: state.mailer.is_some(),
        allow_multicast: settings.scheduling_allow_multicast,
        current_multicast,
        current_registration,
    })
}

/// A fresh numeric conference ID (ten digits, as users type them on phones).
fn generated_id() -> String {
    format!("{:010}", rand::rng().random_range(1_000_000_000u64..10_000_000_000))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub id: String,
    pub url: String,
    pub template_id: Option<i64>,
    /// Emails queued: invitations, their updates and cancellations (0 when not asked for).
    pub invitations: usize,
}

/// Creates a conference from validated input: a generated ID unless one was chosen, the
/// template when asked for, the invitations when asked for.
pub async fn create(state: &AppState, u: &CurrentUser, input: &ConferenceInput) -> Result<Saved> {
    let cx = context(state, u.user.id, None, None).await?;
    if !cx.rights.contains(&Right::CreateConferences) {
        return Err(Error::Forbidden(msg!("err.you.do.not.have.2")));
    }
    let Validated { id, settings, users, addresses } = input::validate(input, &cx, None).await?;
    if input.save_as_template && state.store.templates(u.user.id).await?.len() >= templates::MAX_TEMPLATES {
        return Err(Error::field("save_as_template", msg!("err.templates.full", max = templates::MAX_TEMPLATES)));
    }
    let t = now();
    let id = match id {
        Some(id) => {
            match state.store.schedule_conference(&id, u.user.id, &settings, &users, &addresses, t).await {
                Err(StoreError::Conflict(_)) => {
                    return Err(Error::field("id", msg!("err.taken.by.another.conference")));
                }
                r => r?,
            }
            id
        }
        None => {
            let mut tries = 0;
            loop {
                let id = generated_id();
                match state.store.schedule_conference(&id, u.user.id, &settings, &users, &addresses, t).await {
                    Err(StoreError::Conflict(_)) if tries < 5 => tries += 1,
                    r => {
                        r?;
                        break id;
                    }
                }
            }
        }
    };
    let template_id = if input.save_as_template {
        let name = match input.template_name.trim() {
            "" => settings.name.clone(),
            n => n.to_string(),
        };
        Some(state.store.save_template(u.user.id, None, &name, &templates::stored(input)?, t).await?)
    } else {
        None
    };
    tracing::info!(conference = %id, owner = %u.user.login, kind = settings.kind.as_str(), recurring = settings.recurrence.is_some(), "conference scheduled");
    metrics::counter!("tessera_conferences_scheduled_total").increment(1);
    let invitations = crate::invitations::created(state, &id).await;
    Ok(Saved { url: format!("/c/{id}"), id, template_id, invitations })
}

async fn create_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<ConferenceInput>,
) -> Result<Response> {
    let saved = create(&state, &u, &input).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

/// Applies an edit. The ID cannot change (it is in links and dial strings already sent).
pub async fn update(state: &AppState, u: &CurrentUser, id: &str, input: &ConferenceInput) -> Result<Saved> {
    let current = editable(state, u, id).await?;
    if !input.id.trim().is_empty() && input.id.trim() != id {
        return Err(Error::field("id", msg!("err.cannot.changed.once.conference")));
    }
    let cx =
        context(state, current.owner_id, current.settings.multicast.clone(), current.settings.registration.clone())
            .await?;
    let Validated { mut settings, users, addresses, .. } = input::validate(input, &cx, Some(id)).await?;
    // Users who may not set a multicast output cannot remove the administrator's either.
    if !cx.allow_multicast {
        settings.multicast = current.settings.multicast.clone();
    }
    state.store.update_scheduled(id, &settings, &users, &addresses, now()).await?;
    tracing::info!(conference = %id, by = %u.user.login, "conference changed");
    let invitations = crate::invitations::changed(state, &current).await;
    Ok(Saved { id: id.to_string(), url: format!("/c/{id}"), template_id: None, invitations })
}

async fn update_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ConferenceInput>,
) -> Result<Json<Saved>> {
    Ok(Json(update(&state, &u, &id, &input).await?))
}

/// Deletes a conference; a running one is ended first (its participants are disconnected).
pub async fn delete(state: &AppState, u: &CurrentUser, id: &str) -> Result<bool> {
    let c = editable(state, u, id).await?;
    let mut ended = false;
    if let Some(control) = &state.control {
        ended = control.call(id, Some(u.user.id), crate::control::Request::End).await.is_ok();
    }
    let cancellations = crate::invitations::cancellations(state, &c).await;
    state.store.delete_conference(&c.id).await?;
    tracing::info!(conference = %id, by = %u.user.login, ended_running = ended, "conference deleted");
    crate::invitations::deleted(state, id, cancellations).await;
    Ok(ended)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Deleted {
    deleted: bool,
    /// The conference was running and has been ended.
    ended_running: bool,
}

async fn delete_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Deleted>> {
    let ended_running = delete(&state, &u, &id).await?;
    Ok(Json(Deleted { deleted: true, ended_running }))
}

async fn settings_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ConferenceInput>> {
    let c = editable(&state, &u, &id).await?;
    Ok(Json(input::input_of(&c)))
}

/// What the conference's invitees were mailed and whether it went, newest first (its editors).
async fn mail_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<crate::store::OutboxRow>>> {
    let c = editable(&state, &u, &id).await?;
    Ok(Json(state.store.conference_mail(&c.id, 500).await?))
}

#[derive(Deserialize)]
struct Range {
    from: i64,
    to: i64,
}

/// The occurrences of the user's scheduled conferences in `[from, to)` (UTC seconds, at most
/// 62 days apart).
async fn meetings_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(r): Query<Range>,
) -> Result<Json<Vec<crate::store::ConferenceRow>>> {
    if r.to <= r.from || r.to - r.from > 62 * 86_400 {
        return Err(Error::field("to", msg!("err.after.from.at.most")));
    }
    Ok(Json(state.store.occurrences_between(u.user.id, r.from, r.to).await?))
}

#[derive(Deserialize)]
struct UserQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct FoundUser {
    id: i64,
    login: String,
    name: String,
}

/// The participants picker: users whose login or name starts with `q` (at least 1 character),
/// at most 20. Any signed-in user may look people up, as in an address book.
async fn find_users_api(
    State(state): State<AppState>,
    ApiUser(_u): ApiUser,
    Query(q): Query<UserQuery>,
) -> Result<Json<Vec<FoundUser>>> {
    let q = q.q.trim();
    if q.is_empty() || q.chars().count() > 64 {
        return Err(Error::field("q", msg!("err.1.64.characters")));
    }
    let found = state.store.find_users(q, 20).await?;
    Ok(Json(found.into_iter().map(|(id, login, name)| FoundUser { id, login, name }).collect()))
}

#[cfg(test)]
mod tests;
