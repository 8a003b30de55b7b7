//! Calls between users from the personal area (the *make calls* right; receiving needs none).
//!
//! A call runs through Tessera in a room of its own (`call-…`, private, kept out of the lists):
//! the caller's page joins it at once; every open personal-area page of the callee rings over
//! its socket (`/me/ws`) with Accept and Decline, and the callee's registered SIP phone is
//! called into the room too, so either answers. Unanswered within [`RING_SECONDS`] the call is
//! missed; the call history keeps each call for both users. When the room empties, the call
//! ends and the room is removed. A SIP address (`sip:…`, a contact) is called into a fresh room
//! the same way, through the dial-out and its policy.

use crate::auth::ApiUser;
use crate::auth::session::MaybeUser;
use crate::control::{ControlError, Event};
use crate::dialout::{DialOrder, Target};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::msg;
use crate::rights::Right;
use crate::state::AppState;
use crate::store::CallResult;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tessera_conference::EventKind;
use tokio::sync::{broadcast, mpsc};

/// How long a call rings before it is missed.
pub const RING_SECONDS: u64 = 30;
/// Calls one user may have ringing at once (a script must not ring the whole server).
pub const MAX_RINGING_PER_CALLER: usize = 3;

/// What a user's open pages are told.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    /// To the callee: someone calls.
    Ring { call: i64, from: String, conference: String },
    /// To the callee: the ringing stopped (`answered`, `declined`, `missed`, `cancelled`).
    RingEnded { call: i64, result: &'static str },
    /// To the caller: how the call goes (`ringing`, `answered`, `declined`, `missed`).
    Calling { call: i64, to: String, conference: String, state: &'static str },
}

enum Action {
    Answer,
    Decline,
    Cancel,
}

struct Ringing {
    caller: i64,
    callee: i64,
    caller_name: String,
    callee_name: String,
    conference: String,
    actions: mpsc::Sender<Action>,
}

/// The calls ringing now, and the notices for users' pages.
pub struct Calls {
    ringing: Mutex<HashMap<i64, Ringing>>,
    notices: broadcast::Sender<(i64, Notice)>,
}

impl Default for Calls {
    fn default() -> Self {
        Calls { ringing: Mutex::default(), notices: broadcast::channel(256).0 }
    }
}

impl Calls {
    fn notify(&self, user: i64, n: Notice) {
        let _ = self.notices.send((user, n));
    }

    fn ringing(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Ringing>> {
        self.ringing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What a page that opens now should show: calls ringing to or from the user.
    fn pending_for(&self, user: i64) -> Vec<Notice> {
        let mut out = Vec::new();
        for (id, r) in self.ringing().iter() {
            if r.callee == user {
                out.push(Notice::Ring { call: *id, from: r.caller_name.clone(), conference: r.conference.clone() });
            }
            if r.caller == user {
                let (to, conference) = (r.callee_name.clone(), r.conference.clone());
                out.push(Notice::Calling { call: *id, to, conference, state: "ringing" });
            }
        }
        out
    }

    /// Hands an answer, a refusal or a cancellation to the ringing call, if `user` may give it.
    fn act(&self, call: i64, user: i64, action: Action) -> Result<String> {
        let ringing = self.ringing();
        let r = ringing.get(&call).ok_or(Error::NotFound)?;
        let allowed = match action {
            Action::Answer | Action::Decline => r.callee == user,
            Action::Cancel => r.caller == user,
        };
        if !allowed {
            return Err(Error::NotFound);
        }
        r.actions.try_send(action).map_err(|_| Error::Conflict(msg!("err.call.no.longer.ringing")))?;
        Ok(r.conference.clone())
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/calls", post(start))
        .route("/api/v1/me/calls/{id}/answer", post(answer))
        .route("/api/v1/me/calls/{id}/decline", post(decline))
        .route("/api/v1/me/calls/{id}/cancel", post(cancel))
        .route("/me/ws", get(upgrade))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartCall {
    /// A user's login, or a SIP address (`sip:…`).
    to: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Started {
    /// The call's id in the call history (calls to users).
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<i64>,
    /// The room the call runs in: the caller's page joins `/c/<conference>`.
    conference: String,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn control_error(e: ControlError) -> Error {
    match e {
        ControlError::Invalid { field, message } if field == "address" => Error::field("to", message),
        ControlError::Unavailable(m) => Error::Unavailable(m),
        ControlError::NotRunning => crate::live::control_error(e),
        other => Error::Conflict(crate::live::control_error(other).message()),
    }
}

async fn start(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(body): ApiJson<StartCall>,
) -> Result<(StatusCode, Json<Started>)> {
    let me = &u.user;
    if !state.store.rights_of(me.id).await?.contains(&Right::MakeCalls) {
        return Err(Error::Forbidden(msg!("err.you.have.no.right")));
    }
    if state.control.is_none() {
        return Err(Error::Unavailable(msg!("err.media.plane.not.running")));
    }
    let to = body.to.trim();
    if to.is_empty() || to.len() > 256 {
        return Err(Error::field("to", msg!("err.give.user.s.login")));
    }
    if state.calls.ringing().values().filter(|r| r.caller == me.id).count() >= MAX_RINGING_PER_CALLER {
        return Err(Error::TooManyRequests(msg!(
            "err.at.most.calls.may",
            max_ringing_per_caller = MAX_RINGING_PER_CALLER
        )));
    }
    let conference = format!("call-{}", hex::encode(rand::random::<[u8; 6]>()));
    if ["sip:", "sips:", "h323:"].iter().any(|p| to.starts_with(p)) {
        return call_address(&state, me, to, conference).await;
    }
    let callee = match state.store.user_by_login(to).await? {
        Some(c) if !c.disabled => c,
        _ => return Err(Error::field("to", msg!("err.no.user.has.login"))),
    };
    if callee.id == me.id {
        return Err(Error::field("to", msg!("err.you.cannot.call.yourself")));
    }
    let (caller_name, callee_name) = (me.shown_name().to_string(), callee.shown_name().to_string());
    let name: String = format!("{caller_name} – {callee_name}").chars().take(100).collect();
    state.store.create_call_room(&conference, &name, me.id, Some(callee.id)).await?;
    // Subscribed before anyone can join: the call sees the room's whole life.
    let events = state.control.as_ref().map(|c| c.events.subscribe_to(&conference));
    let call = state.store.call_started(me.id, callee.id, now_ms()).await?;
    let (actions, rx) = mpsc::channel(4);
    state.calls.ringing().insert(
        call,
        Ringing {
            caller: me.id,
            callee: callee.id,
            caller_name: caller_name.clone(),
            callee_name: callee_name.clone(),
            conference: conference.clone(),
            actions,
        },
    );
    state.calls.notify(callee.id, Notice::Ring { call, from: caller_name.clone(), conference: conference.clone() });
    let ringing = Notice::Calling { call, to: callee_name.clone(), conference: conference.clone(), state: "ringing" };
    state.calls.notify(me.id, ringing);
    tracing::info!(call, caller = me.id, callee = callee.id, conference = %conference, "call between users ringing");
    metrics::counter!("tessera_user_calls_total").increment(1);
    // The callee's registered phone rings too, once the caller is in the room (no phone: the
    // pages alone ring).
    if let Some(dialer) = state.dialer.clone() {
        let order = DialOrder {
            conference: conference.clone(),
            conference_name: caller_name,
            target: Target::User(callee.login.clone()),
            name: callee_name,
            user: Some(callee.id),
            actor: me.id,
            history: false,
            // A call room, which takes any media.
            media_rule: crate::admission::MediaRule::default(),
        };
        let state = state.clone();
        tokio::spawn(async move {
            let still_ringing = |s: &AppState| s.calls.ringing().contains_key(&call);
            if running_within(&state, &order.conference, RING_SECONDS).await
                && still_ringing(&state)
                && let Err(e) = dialer.dial(order).await
            {
                tracing::debug!(call, error = %e, "the callee's phone is not called");
            }
        });
    }
    tokio::spawn(run(state.clone(), call, conference.clone(), me.id, callee.id, rx, events));
    Ok((StatusCode::CREATED, Json(Started { call: Some(call), conference })))
}

/// A contact's SIP address, called into a room of its own through the dial-out.
async fn call_address(
    state: &AppState,
    me: &crate::store::UserRow,
    to: &str,
    conference: String,
) -> Result<(StatusCode, Json<Started>)> {
    let dialer = state.dialer.clone().ok_or_else(|| Error::Unavailable(msg!("err.sip.not.running.server")))?;
    // The same rule for an address as everywhere addresses are given.
    let to = crate::scheduling::input::address("to", to)?;
    crate::dialout::h323_callable(state, "to", &to)?;
    let name: String = to
        .trim_start_matches("sips:")
        .trim_start_matches("sip:")
        .trim_start_matches("h323:")
        .chars()
        .take(64)
        .collect();
    let title: String = format!("{} – {name}", me.shown_name()).chars().take(100).collect();
    state.store.create_call_room(&conference, &title, me.id, None).await?;
    let order = DialOrder {
        conference: conference.clone(),
        conference_name: me.shown_name().to_string(),
        target: Target::Address(to.clone()),
        name,
        user: None,
        actor: me.id,
        history: true,
        media_rule: crate::admission::MediaRule::default(),
    };
    tracing::info!(caller = me.id, to = %to, conference = %conference, "calling an address");
    let state = state.clone();
    let room = conference.clone();
    let events = state.control.as_ref().map(|c| c.events.subscribe_to(&room));
    // Dialled once the caller is in the room; its progress shows in the room's history.
    tokio::spawn(async move {
        if running_within(&state, &room, 60).await
            && let Err(e) = dialer.dial(order).await
        {
            tracing::info!(conference = %room, error = %control_error(e), "the address could not be called");
        }
        until_empty(&state, &room, events).await;
        let _ = state.store.delete_conference(&room).await;
    });
    Ok((StatusCode::CREATED, Json(Started { call: None, conference })))
}

/// Resolves when `callee` joins the room (from a page, or their phone picking up).
async fn joins(events: Option<&mut broadcast::Receiver<Event>>, callee: i64) {
    let Some(events) = events else { return std::future::pending().await };
    loop {
        match events.recv().await {
            Ok(e) if e.kind == EventKind::Joined && e.user == Some(callee) => return,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
    }
}

/// One call from ringing to its end.
async fn run(
    state: AppState,
    call: i64,
    conference: String,
    caller: i64,
    callee: i64,
    mut rx: mpsc::Receiver<Action>,
    mut events: Option<broadcast::Receiver<Event>>,
) {
    let result = tokio::select! {
        a = rx.recv() => match a {
            Some(Action::Answer) => "answered",
            Some(Action::Decline) => "declined",
            Some(Action::Cancel) | None => "cancelled",
        },
        _ = tokio::time::sleep(Duration::from_secs(RING_SECONDS)) => "missed",
        _ = joins(events.as_mut(), callee) => "answered",
    };
    let to = state.calls.ringing().remove(&call).map(|r| r.callee_name).unwrap_or_default();
    let store = &state.store;
    let written = match result {
        "answered" => store.call_answered(call, now_ms()).await,
        "declined" => store.call_ended(call, now_ms(), CallResult::Declined, "declined").await,
        "cancelled" => store.call_ended(call, now_ms(), CallResult::Missed, "cancelled by the caller").await,
        _ => store.call_ended(call, now_ms(), CallResult::Missed, "no answer").await,
    };
    if let Err(e) = written {
        tracing::error!(call, error = %e, "the call history did not take the call's outcome");
    }
    tracing::info!(call, result, "call between users");
    state.calls.notify(callee, Notice::RingEnded { call, result });
    let outcome = if result == "cancelled" { "missed" } else { result };
    state.calls.notify(caller, Notice::Calling { call, to, conference: conference.clone(), state: outcome });
    until_empty(&state, &conference, events).await;
    if result == "answered" {
        let _ = store.call_ended(call, now_ms(), CallResult::Answered, "").await;
    }
    match store.delete_conference(&conference).await {
        Ok(_) => tracing::info!(call, conference = %conference, "the call ended; its room is removed"),
        Err(e) => tracing::warn!(conference = %conference, error = %e, "a call's room could not be removed"),
    }
}

/// Whether the room runs (someone joined it) within `seconds`.
async fn running_within(state: &AppState, conference: &str, seconds: u64) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if crate::admission::presence(state.control.as_ref(), conference).running {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

/// Waits until the call's room has run and ended (its `Ended` event, kept by `events` since the
/// call began), or never ran within a minute.
async fn until_empty(state: &AppState, conference: &str, mut events: Option<broadcast::Receiver<Event>>) {
    let started = tokio::time::Instant::now();
    let mut seen = false;
    loop {
        let ended = async {
            match events.as_mut() {
                Some(rx) => loop {
                    match rx.recv().await {
                        Ok(e) if e.kind == EventKind::Ended => return,
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                    }
                },
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = ended => return,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
        let running = crate::admission::presence(state.control.as_ref(), conference).running;
        seen |= running;
        if !running && (seen || started.elapsed() > Duration::from_secs(60)) {
            return;
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Answered {
    conference: String,
}

async fn answer(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> Result<Json<Answered>> {
    let conference = state.calls.act(id, u.user.id, Action::Answer)?;
    Ok(Json(Answered { conference }))
}

async fn decline(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> Result<StatusCode> {
    state.calls.act(id, u.user.id, Action::Decline)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cancel(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> Result<StatusCode> {
    state.calls.act(id, u.user.id, Action::Cancel)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn upgrade(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !crate::join_ws::same_origin(&headers) {
        return Error::Forbidden(msg!("err.websocket.come.from.server")).into_response();
    }
    let Some(u) = user else { return Error::Unauthorized.into_response() };
    let session = u.session_hash.clone();
    ws.max_message_size(1024).on_upgrade(move |socket| notices(socket, state, u.user.id, session))
}

async fn send(socket: &mut WebSocket, n: &Notice) -> bool {
    let text = serde_json::to_string(n).unwrap_or_default();
    socket.send(Message::Text(text.into())).await.is_ok()
}

/// A personal-area page's line for calls: what rings now, then every notice for its user, until
/// the page goes or its session ends.
async fn notices(mut socket: WebSocket, state: AppState, user: i64, session: String) {
    let mut rx = state.calls.notices.subscribe();
    for n in state.calls.pending_for(user) {
        if !send(&mut socket, &n).await {
            return;
        }
    }
    let mut recheck = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            n = rx.recv() => match n {
                Ok((to, n)) if to == user => if !send(&mut socket, &n).await { return },
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            m = socket.recv() => match m {
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Text(_))) => {}
                _ => return,
            },
            _ = recheck.tick() => {
                if !matches!(state.store.session(&session).await, Ok(Some(_))) {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_callee_answers_and_only_the_caller_cancels() {
        let calls = Calls::default();
        let (tx, mut rx) = mpsc::channel(4);
        calls.ringing().insert(
            7,
            Ringing {
                caller: 1,
                callee: 2,
                caller_name: "Alice".into(),
                callee_name: "Bob".into(),
                conference: "call-x".into(),
                actions: tx,
            },
        );
        assert!(matches!(calls.act(7, 1, Action::Answer), Err(Error::NotFound)));
        assert!(matches!(calls.act(7, 3, Action::Decline), Err(Error::NotFound)));
        assert!(matches!(calls.act(7, 2, Action::Cancel), Err(Error::NotFound)));
        assert!(matches!(calls.act(8, 2, Action::Answer), Err(Error::NotFound)));
        assert_eq!(calls.act(7, 2, Action::Answer).unwrap(), "call-x");
        assert!(matches!(rx.try_recv(), Ok(Action::Answer)));
        assert_eq!(calls.pending_for(2), [Notice::Ring { call: 7, from: "Alice".into(), conference: "call-x".into() }]);
        assert!(matches!(&calls.pending_for(1)[..], [Notice::Calling { state: "ringing", .. }]));
        assert!(calls.pending_for(3).is_empty());
    }
}
