//! Every conference's page, `/c/<id>`: its name and details and, while it runs (a virtual room
//! always may), **Join from the browser**, **Join from the application** and, for a webinar,
//! **Join as guest** with a name; a PIN field where the conference has a PIN. A private
//! conference shows itself only to those it admits: invited users, users of the server when it
//! admits them without an invitation, and operators; guests and everybody else get the same
//! answer as for an id that does not exist.

use crate::auth::CurrentUser;
use crate::auth::session::MaybeUser;
use crate::error::Result;
use crate::home::{fmt_time, user_tz};
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{ConferenceKind, ConferencePage};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono_tz::Tz;
use maud::html;

pub fn router() -> Router<AppState> {
    Router::new().route("/c/{id}", get(conference_page)).route("/c/{id}/ws", get(crate::join_ws::upgrade))
}

/// How a signed-in user stands towards a conference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// May join as themself.
    Member,
    /// May see it (a webinar) but only join as a guest.
    Outsider,
}

/// What the page and its WebSocket need to know about a visitor; `None`: the conference is
/// hidden from them (404).
pub async fn standing(state: &AppState, page: &ConferencePage, user: Option<&CurrentUser>) -> Result<Option<Standing>> {
    let c = &page.dial_in;
    let Some(u) = user else { return Ok(c.public.then_some(Standing::Outsider)) };
    let invited = state.store.is_invited(u.user.id, &c.id).await?;
    let operator = state.store.rights_of(u.user.id).await?.contains(&Right::Operator);
    if c.public || invited || operator || c.join_without_invitation {
        return Ok(Some(Standing::Member));
    }
    Ok(None)
}

/// Whether the user holds a valid PRO license (needed to join as participant, owner or moderator).
pub async fn licensed(state: &AppState, user: &CurrentUser) -> Result<bool> {
    Ok(state.store.license(user.user.id).await?.is_some_and(|l| l.is_valid(now())))
}

/// Whether people may join now: a virtual room starts when the first one joins; a scheduled
/// conference must have been started.
pub async fn joinable(state: &AppState, c: &ConferencePage) -> bool {
    if c.dial_in.kind == ConferenceKind::Room {
        return true;
    }
    let Some(control) = &state.control else { return false };
    control.call(&c.dial_in.id, None, crate::control::Request::Status).await.is_ok_and(|s| s.running)
}

fn hidden(lang: Lang, user: Option<&CurrentUser>) -> Response {
    let body = html! {
        section.card #conference-missing {
            h1 { (tr(lang, "cpage.missing")) }
            @if user.is_none() {
                p { (tr(lang, "cpage.sign_in_hint")) }
            }
        }
    };
    let markup = page(lang, tr(lang, "cpage.missing"), user, body);
    (StatusCode::NOT_FOUND, Html(markup.into_string())).into_response()
}

async fn conference_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let lang = user.as_ref().map(|u| u.lang).unwrap_or_else(|| {
        Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
    });
    let id = id.to_ascii_lowercase();
    if id.is_empty() || id.len() > 64 {
        return Ok(hidden(lang, user.as_ref()));
    }
    let Some(c) = state.store.conference_page(&id).await? else { return Ok(hidden(lang, user.as_ref())) };
    let Some(standing) = standing(&state, &c, user.as_ref()).await? else { return Ok(hidden(lang, user.as_ref())) };
    let licensed = match &user {
        Some(u) => licensed(&state, u).await?,
        None => false,
    };
    let open = joinable(&state, &c).await;
    let tz = user.as_ref().map(user_tz).unwrap_or(Tz::UTC);
    let d = &c.dial_in;
    let may_join_as_user = user.is_some() && standing == Standing::Member && licensed;
    let may_share = match &user {
        Some(u) => state.store.rights_of(u.user.id).await?.contains(&Right::ScreenSharing),
        None => false,
    };
    let sip = format!("sip:{}@{}", d.id, state.config.sip_host);
    let body = html! {
        section.card #conference data-conference=(d.id) data-ws=(format!("/c/{}/ws", d.id)) {
            h1 #conference-name { (d.name) }
            dl.details {
                dt { (tr(lang, "conf.id")) } dd { code { (d.id) } }
                dt { (tr(lang, "cpage.owner")) } dd { (c.owner_name) }
                dt { (tr(lang, "cpage.access")) } dd { (tr(lang, if d.public { "conf.public" } else { "conf.private" })) }
                dt { (tr(lang, "cpage.kind")) }
                dd {
                    @if d.kind == ConferenceKind::Room { (tr(lang, "cpage.room")) }
                    @else {
                        (tr(lang, "cpage.scheduled"))
                        @if let Some(s) = c.starts_at { " " (fmt_time(tz, s, "%Y-%m-%d %H:%M")) " (" (tz.name()) ")" }
                        @if let Some(m) = c.duration_minutes { ", " (m) " " (tr(lang, "conf.minutes")) }
                    }
                }
                @if !c.location.is_empty() { dt { (tr(lang, "cpage.location")) } dd { (c.location) } }
                @if !c.description.is_empty() { dt { (tr(lang, "cpage.description")) } dd { (c.description) } }
                dt { (tr(lang, "cpage.sip")) } dd { code { (sip) } }
            }
            @if !open {
                (notice("info", tr(lang, "cpage.not_started")))
            } @else {
                form #join-form {
                    @if d.pin.is_some() {
                        label { (tr(lang, "cpage.pin")) " "
                            input #pin name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength="32";
                        }
                    }
                    @if may_join_as_user {
                        p.actions {
                            button #join-browser type="button" data-as="user" { (tr(lang, "cpage.join_browser")) }
                            " "
                            a.button #join-app href=(sip) { (tr(lang, "cpage.join_app")) }
                        }
                    }
                    @if user.is_some() && !licensed {
                        (notice("error", tr(lang, "cpage.no_license")))
                    }
                    @if d.public && !may_join_as_user {
                        fieldset #guest {
                            legend { (tr(lang, "cpage.guest")) }
                            label { (tr(lang, "cpage.your_name")) " "
                                input #guest-name name="name" type="text" maxlength="64" autocomplete="name";
                            }
                            " "
                            button #join-guest type="button" data-as="guest" { (tr(lang, "cpage.join_guest")) }
                        }
                    }
                    @if user.is_none() {
                        p { a #sign-in-to-join href={"/login?next=/c/" (d.id)} { (tr(lang, "cpage.sign_in_to_join")) } }
                    }
                }
            }
            p #join-status role="status" {}
        }
        section.card #call hidden
            data-joining=(tr(lang, "call.joining")) data-connected=(tr(lang, "call.connected"))
            data-mic-off=(tr(lang, "call.mic_off")) data-cam-off=(tr(lang, "call.cam_off"))
            data-ended=(tr(lang, "call.ended")) data-left=(tr(lang, "call.left")) data-failed=(tr(lang, "call.failed"))
            data-share-ended=(tr(lang, "call.share_ended")) {
            div.stage {
                video #remote autoplay playsinline {}
                video #self autoplay playsinline muted {}
            }
            p #device-notice role="alert" {}
            p.actions {
                button #mic type="button" aria-pressed="true" { (tr(lang, "call.mic")) }
                " "
                button #cam type="button" aria-pressed="true" { (tr(lang, "call.cam")) }
                " "
                @if may_share {
                    button #share type="button" aria-pressed="false" { (tr(lang, "call.share")) }
                    " "
                }
                button #hangup.danger type="button" { (tr(lang, "call.hangup")) }
            }
            div #chat {
                h2 { (tr(lang, "call.chat")) }
                ol #chat-log {}
                form #chat-form {
                    input #chat-text type="text" maxlength="2000" autocomplete="off" aria-label=(tr(lang, "call.chat"));
                    " "
                    button type="submit" { (tr(lang, "call.send")) }
                }
            }
        }
        script src="/static/conference.js" {}
    };
    Ok(Html(page(lang, &d.name, user.as_ref(), body).into_string()).into_response())
}
