//! A conference's analytics, for its owner and operators (the rule is [`crate::live::records`]),
//! whether it is a room or scheduled, running or not: the participants' entries (who was added
//! to the list and when, who joined), the connection history and the chat history. Each is a tab
//! of a page with filters and a chart, a JSON API with the same filters, and a CSV file of all
//! rows.

mod chart;
pub(crate) mod csv;
pub(crate) mod filter;
mod page;

use crate::auth::{ApiUser, PageUser};
use crate::error::{Error, Result};
use crate::home::user_tz;
use crate::msg;
use crate::state::AppState;
use crate::store::{ChatMessage, Entry, EventRow};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use filter::{Filter, Tab};
use serde::Serialize;
use std::sync::Arc;
use tessera_conference::EventKind;

/// The most rows read of a conference's connection and chat histories.
const MAX_ROWS: i64 = 200_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conferences/{id}/analytics", get(page::analytics_page))
        .route("/conferences/{id}/analytics/{file}", get(csv_file))
        .route("/api/v1/conferences/{id}/analytics/entries", get(api_entries))
        .route("/api/v1/conferences/{id}/analytics/connections", get(api_connections))
        .route("/api/v1/conferences/{id}/analytics/chat", get(api_chat))
}

/// What a tab shows, all of it (filters apply afterwards).
pub(crate) enum Rows {
    Entries(Arc<Vec<Entry>>),
    Connections(Arc<Vec<EventRow>>),
    Chat(Arc<Vec<ChatMessage>>),
}

/// The conference's rows for a tab, and the default interval: from its creation to its last
/// end, stretched to the newest row so that nothing recorded is hidden by default.
pub(crate) async fn load(state: &AppState, id: &str, tab: Tab) -> Result<(Rows, (i64, i64))> {
    let span = state.store.span(id).await?.ok_or(Error::NotFound)?;
    let (rows, newest) = match tab {
        Tab::Entries => {
            let e = state.cache.entries(&state.store, id).await?;
            let newest =
                e.iter().flat_map(|e| [Some(e.added_at.saturating_mul(1000)), e.last_joined_ms]).flatten().max();
            (Rows::Entries(e), newest)
        }
        Tab::Connections => {
            let e = state.cache.events(&state.store, id, MAX_ROWS).await?;
            let newest = e.last().map(|e| e.at_ms);
            (Rows::Connections(e), newest)
        }
        Tab::Chat => {
            let m = state.cache.chats(&state.store, id, MAX_ROWS).await?;
            let newest = m.last().map(|m| m.at_ms);
            (Rows::Chat(m), newest)
        }
    };
    let from = span.created_at.saturating_mul(1000);
    let to = [span.last_ended_ms, newest].into_iter().flatten().max().unwrap_or(from).max(from) + 1;
    Ok((rows, (from, to)))
}

fn conference_id(id: &str) -> Result<String> {
    if id.is_empty() || id.len() > 64 {
        return Err(Error::NotFound);
    }
    Ok(id.to_ascii_lowercase())
}

/// The JSON answer: the rows that pass the filters, and how many there are in all.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Answer<T: Serialize> {
    total: usize,
    from_ms: i64,
    to_ms: i64,
    rows: Vec<T>,
}

type ApiArgs = (State<AppState>, ApiUser, Path<String>, Query<filter::Query>);

async fn api_entries(
    State(s): State<AppState>,
    u: ApiUser,
    id: Path<String>,
    q: Query<filter::Query>,
) -> Result<Response> {
    api((State(s), u, id, q), Tab::Entries).await
}

async fn api_connections(
    State(s): State<AppState>,
    u: ApiUser,
    id: Path<String>,
    q: Query<filter::Query>,
) -> Result<Response> {
    api((State(s), u, id, q), Tab::Connections).await
}

async fn api_chat(
    State(s): State<AppState>,
    u: ApiUser,
    id: Path<String>,
    q: Query<filter::Query>,
) -> Result<Response> {
    api((State(s), u, id, q), Tab::Chat).await
}

async fn api((State(state), ApiUser(u), Path(id), Query(q)): ApiArgs, tab: Tab) -> Result<Response> {
    let id = conference_id(&id)?;
    crate::live::records(&state, u.user.id, &id, msg!("err.owner.only.analytics")).await?;
    if q.tab.is_some() {
        return Err(Error::field("tab", msg!("err.part.path")));
    }
    let f = Filter::parse(&q)?;
    let (rows, default) = load(&state, &id, tab).await?;
    let (from_ms, to_ms) = f.interval(user_tz(&u), default);
    let span = (from_ms, to_ms);
    Ok(match rows {
        Rows::Entries(all) => {
            Json(Answer { total: all.len(), from_ms, to_ms, rows: filter::entries(&all, &f, span) }).into_response()
        }
        Rows::Connections(all) => {
            Json(Answer { total: all.len(), from_ms, to_ms, rows: filter::connections(&all, &f, span) }).into_response()
        }
        Rows::Chat(all) => {
            Json(Answer { total: all.len(), from_ms, to_ms, rows: filter::chat(&all, &f, span) }).into_response()
        }
    })
}

/// `entries.csv`, `connections.csv`, `chat.csv`: every row, whatever the page's filters.
async fn csv_file(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response> {
    let id = conference_id(&id)?;
    crate::live::records(&state, u.user.id, &id, msg!("err.owner.only.analytics")).await?;
    let tab = file.strip_suffix(".csv").and_then(Tab::parse).ok_or(Error::NotFound)?;
    let (rows, _) = load(&state, &id, tab).await?;
    let tz = user_tz(&u);
    let body = match &rows {
        Rows::Entries(r) => csv::entries(r, u.lang, tz),
        Rows::Connections(r) => csv::connections(r, u.lang, tz),
        Rows::Chat(r) => csv::chat(r, u.lang, tz),
    };
    let name = format!("{id}-{}.csv", tab.as_str());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

/// How the history names an event, in the reader's language.
pub(crate) fn event_key(k: EventKind) -> &'static str {
    match k {
        EventKind::Started => "an.ev.started",
        EventKind::Ended => "an.ev.ended",
        EventKind::Joined => "an.ev.joined",
        EventKind::Left => "an.ev.left",
        EventKind::Layout => "an.ev.layout",
        EventKind::Renamed => "an.ev.renamed",
        EventKind::Device => "an.ev.device",
        EventKind::Podium => "an.ev.podium",
        EventKind::PodiumRequest => "an.ev.podium_request",
        EventKind::PodiumAnswer => "an.ev.podium_answer",
        EventKind::Moderator => "an.ev.moderator",
        EventKind::Presenter => "an.ev.presenter",
        EventKind::ActiveSpeaker => "an.ev.active_speaker",
        EventKind::RecordingStarted => "an.ev.recording_started",
        EventKind::RecordingStopped => "an.ev.recording_stopped",
        EventKind::RecordingFailed => "an.ev.recording_failed",
        EventKind::RecordingRemoved => "an.ev.recording_removed",
        EventKind::BadInput => "an.ev.bad_input",
        EventKind::PinGuessing => "an.ev.pin_guessing",
        EventKind::Calling => "an.ev.calling",
        EventKind::Ringing => "an.ev.ringing",
        EventKind::CallFailed => "an.ev.call_failed",
    }
}
