//! The administration API (`/api/v1/admin/…`), for accounts with the administrator role. To
//! anyone else, signed in or not, every route answers 404, as if it did not exist.
//!
//! So far: the audit log (JSON, or CSV) and the live view of what runs.

use crate::auth::session::MaybeUser;
use crate::control::{LiveParticipant, Request};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::AuditEntry;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// Every route of the administration API, for the test that walks them.
pub const ROUTES: &[&str] = &["/api/v1/admin/audit", "/api/v1/admin/live"];

pub fn router() -> Router<AppState> {
    Router::new().route(ROUTES[0], get(audit)).route(ROUTES[1], get(live))
}

/// A signed-in administrator; anyone else gets 404.
pub struct AdminUser(pub crate::auth::CurrentUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> std::result::Result<Self, Error> {
        match MaybeUser::from_request_parts(parts, state).await {
            Ok(MaybeUser(Some(u))) if u.user.is_admin => Ok(AdminUser(u)),
            _ => Err(Error::NotFound),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    #[serde(default)]
    limit: Option<i64>,
    /// `csv` for a spreadsheet.
    #[serde(default)]
    format: Option<String>,
}

async fn audit(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response> {
    let limit = q.limit.unwrap_or(1000);
    if !(1..=100_000).contains(&limit) {
        return Err(Error::field("limit", "from 1 to 100000"));
    }
    let rows = state.store.audit_log(limit).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(rows).into_response()),
        Some("csv") => {
            let body = audit_csv(&rows).map_err(|e| Error::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
            let headers = [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"tessera-audit.csv\""),
            ];
            Ok((headers, body).into_response())
        }
        Some(_) => Err(Error::field("format", "json or csv")),
    }
}

/// The audit log as CSV (UTC times, a header row; cells a spreadsheet would run as formulas are
/// neutralised), for the API and `tessera admin audit --csv`.
pub fn audit_csv(rows: &[AuditEntry]) -> std::result::Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time (UTC)", "actor", "source", "action", "outcome"])?;
    for e in rows {
        let when = chrono::DateTime::from_timestamp_millis(e.at_ms)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_default();
        let cells = [when, e.actor.clone(), e.source.clone(), e.action.clone(), e.outcome.clone()];
        w.write_record(cells.iter().map(|c| crate::analytics::csv::neutralise(c).into_owned()))?;
    }
    w.flush()?;
    Ok(w.get_ref().clone())
}

#[derive(Serialize)]
struct Running {
    conference: String,
    participants: Vec<LiveParticipant>,
}

/// The conferences running now, with who is in each.
async fn live(State(state): State<AppState>, AdminUser(_): AdminUser) -> Result<Json<Vec<Running>>> {
    let Some(control) = &state.control else { return Ok(Json(Vec::new())) };
    let mut out = Vec::new();
    for (id, _) in control.occupancy.all() {
        // A conference that ended in between is simply not listed.
        if let Ok(s) = control.call(&id, None, Request::Status).await
            && s.running
        {
            out.push(Running { conference: id, participants: s.participants });
        }
    }
    Ok(Json(out))
}
