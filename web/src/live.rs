//! The JSON API of running conferences, over the [`crate::control`] interface: status, the
//! control requests (start, end, participants, layouts, names, devices, podium, moderator), the
//! connection history, the recordings index and the multicast SDP.
//!
//! Who may do what ([`access`], the one home of this rule): every participant of a conference
//! may read its live status; its owner and moderators, and users with the operator right (any
//! conference), may control it; its records (connection history, chat history, recordings,
//! analytics) are its owner's and operators'. Anybody else gets 404, as if the conference did not
//! exist.

use crate::auth::ApiUser;
use crate::control::{ControlError, LiveState, Request};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::msg;
use crate::rights::Right;
use crate::state::AppState;
use crate::store::{ChatMessage, EventRow, RecordingRow, Role};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conferences/{id}/live", get(status).post(control))
        .route("/api/v1/conferences/{id}/events", get(events))
        .route("/api/v1/conferences/{id}/recordings", get(recordings))
        .route("/api/v1/conferences/{id}/chat", get(chat_history))
        .route("/api/v1/conferences/{id}/multicast.sdp", get(multicast_sdp))
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    /// A participant: the live status.
    Watch,
    /// A moderator: the controls too.
    Control,
    /// The owner or an operator: the records too.
    Own,
}

pub(crate) async fn access(state: &AppState, user_id: i64, id: &str) -> Result<Access> {
    if id.is_empty() || id.len() > 64 {
        return Err(Error::NotFound);
    }
    let role = state.store.role_in(user_id, id).await?;
    if role == Some(Role::Owner) {
        return Ok(Access::Own);
    }
    let operator = state.store.rights_of(user_id).await?.contains(&Right::Operator);
    if operator && state.store.conference_exists(id).await? {
        return Ok(Access::Own);
    }
    match role {
        Some(Role::Moderator) => Ok(Access::Control),
        Some(_) => Ok(Access::Watch),
        None => Err(Error::NotFound),
    }
}

/// Refused unless `user_id` may read the conference's records (its owner, operators).
pub(crate) async fn records(state: &AppState, user_id: i64, id: &str, what: crate::error::Msg) -> Result<()> {
    if access(state, user_id, id).await? < Access::Own {
        return Err(Error::Forbidden(what));
    }
    Ok(())
}

pub(crate) fn control_error(e: ControlError) -> Error {
    match e {
        ControlError::NotRunning => Error::Conflict(msg!("err.conference.not.running")),
        ControlError::NoConference(_) => Error::NotFound,
        ControlError::NoParticipant(p) => Error::field("participant", msg!("err.no.participant", id = p.to_string())),
        ControlError::Invalid { field, message } => Error::Field { field, message },
        ControlError::Conflict(m) => Error::Conflict(m),
        ControlError::Unavailable(m) => Error::Unavailable(m),
    }
}

pub(crate) fn handle(state: &AppState) -> Result<&crate::control::Control> {
    state.control.as_ref().ok_or_else(|| Error::Unavailable(msg!("err.media.plane.not.running")))
}

async fn status(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<String>) -> Result<Json<LiveState>> {
    access(&state, u.user.id, &id).await?;
    handle(&state)?.call(&id, Some(u.user.id), Request::Status).await.map(Json).map_err(control_error)
}

async fn control(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<Request>,
) -> Result<Json<LiveState>> {
    if access(&state, u.user.id, &id).await? < Access::Control {
        return Err(Error::Forbidden(msg!("err.only.owner.moderators.operators.4")));
    }
    if request == Request::Status {
        return Err(Error::field("action", msg!("err.use.get.status")));
    }
    if request.for_operators() && !state.store.rights_of(u.user.id).await?.contains(&Right::Operator) {
        return Err(Error::Forbidden(msg!("err.only.operators.direct.media")));
    }
    handle(&state)?.call(&id, Some(u.user.id), request).await.map(Json).map_err(control_error)
}

async fn events(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<EventRow>>> {
    records(&state, u.user.id, &id, msg!("err.owner.only.history")).await?;
    Ok(Json(state.store.events(&id, 10_000).await?))
}

async fn recordings(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<RecordingRow>>> {
    records(&state, u.user.id, &id, msg!("err.owner.only.recordings")).await?;
    Ok(Json(state.store.recordings(&id).await?))
}

/// The chat history (newest 10 000 messages, oldest first).
async fn chat_history(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<ChatMessage>>> {
    records(&state, u.user.id, &id, msg!("err.owner.only.chat")).await?;
    Ok(Json(state.store.chat_history(&id, 10_000).await?))
}

async fn multicast_sdp(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    access(&state, u.user.id, &id).await?;
    let live = handle(&state)?.call(&id, Some(u.user.id), Request::Status).await.map_err(control_error)?;
    let sdp = live.multicast.ok_or_else(|| Error::Conflict(msg!("err.conference.has.no.multicast")))?;
    Ok(([(header::CONTENT_TYPE, "application/sdp")], sdp))
}
