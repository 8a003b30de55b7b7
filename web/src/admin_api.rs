//! The administration API (`/api/v1/admin/…`), for accounts with the administrator role. To
//! anyone else, signed in or not, every route answers 404, as if it did not exist.
//!
//! Here: the extractor that admits administrators, the audit log (JSON, or CSV), the live view
//! of what runs, and the server-wide settings. Accounts are in [`crate::admin_users`].

use crate::auth::session::{CSRF_HEADER, ClientAddr, MaybeUser};
use crate::control::{LiveParticipant, Request};
use crate::error::{Error, Result};
use crate::msg;
use crate::state::AppState;
use crate::store::{AuditEntry, Setting};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// Every route of the administration API, for the test that walks them.
pub const ROUTES: &[&str] =
    &["/api/v1/admin/audit", "/api/v1/admin/live", "/api/v1/admin/settings", "/api/v1/admin/users"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(audit))
        .route(ROUTES[1], get(live))
        .route(ROUTES[2], get(settings_api).put(put_settings_api))
        .route("/api/v1/admin/smtp/test", axum::routing::post(smtp_test_api))
        .merge(crate::admin_users::router())
}

/// A signed-in administrator; anyone else gets 404. State-changing requests also need the
/// session's CSRF token in `X-CSRF-Token` (pages' forms check their own field).
pub struct AdminUser(pub crate::auth::CurrentUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> std::result::Result<Self, Error> {
        let u = match MaybeUser::from_request_parts(parts, state).await {
            Ok(MaybeUser(Some(u))) if u.user.is_admin && !u.user.disabled => u,
            _ => return Err(Error::NotFound),
        };
        let page = parts.uri.path().starts_with("/admin");
        if !page && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            u.check_csrf(presented)?;
        }
        Ok(AdminUser(u))
    }
}

/// Records an administrative action done on the web (who, from where, what, how it ended) and
/// hands its result on.
pub async fn audited<T>(
    state: &AppState,
    actor: &crate::auth::CurrentUser,
    addr: Option<std::net::IpAddr>,
    action: String,
    r: Result<T>,
) -> Result<T> {
    let outcome = match &r {
        Ok(_) => "ok".to_string(),
        Err(e) => e.to_string(),
    };
    let entry = AuditEntry {
        at_ms: chrono::Utc::now().timestamp_millis(),
        actor: actor.user.login.clone(),
        source: addr.map_or_else(|| "web".to_string(), |a| a.to_string()),
        action,
        outcome,
    };
    if let Err(e) = state.store.audit(&entry).await {
        tracing::error!(error = %e, action = %entry.action, "the audit log did not take an action");
    }
    r
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SettingView {
    pub key: &'static str,
    pub value: String,
    pub description: &'static str,
    /// The i18n key of the description, for the panel.
    #[serde(skip)]
    pub description_key: &'static str,
    /// Where a setting fixed by the configuration comes from (read-only here); `None` when the
    /// database holds it.
    pub fixed_by: Option<String>,
}

pub async fn settings(store: &crate::store::Store) -> Result<Vec<SettingView>> {
    let mut out = Vec::new();
    for s in Setting::ALL {
        out.push(SettingView {
            key: s.key(),
            value: store.setting(s).await?,
            description: s.description(),
            description_key: s.description_key(),
            fixed_by: store.fixed_source(s).map(str::to_string),
        });
    }
    Ok(out)
}

/// Sets several settings: every value is checked before any is written.
pub async fn set_settings(store: &crate::store::Store, values: &[(String, String)]) -> Result<()> {
    let mut checked = Vec::new();
    for (k, v) in values {
        let s = Setting::from_key(k).ok_or_else(|| Error::field(k, msg!("err.no.such.setting")))?;
        if let Some(source) = store.fixed_source(s) {
            return Err(Error::field(s.key(), msg!("err.set.change.there", source = source)));
        }
        let v = s.validate(v).map_err(|m| field_message(s, m))?;
        checked.push((s, v));
    }
    for (s, v) in checked {
        if let Err(m) = store.set_setting(s, &v).await? {
            return Err(field_message(s, m));
        }
    }
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpTest {
    pub to: String,
}

/// The test message was handed to the SMTP server.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Sent {
    pub sent: bool,
}

async fn smtp_test_api(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    crate::extract::ApiJson(t): crate::extract::ApiJson<SmtpTest>,
) -> Result<Json<Sent>> {
    let r = crate::mail::test_message(&state, u.lang, &t.to).await;
    audited(&state, &u, addr, format!("smtp.test to={:?}", t.to), r).await?;
    Ok(Json(Sent { sent: true }))
}

fn field_message(s: Setting, m: String) -> Error {
    let m = m.strip_prefix(&format!("{}: ", s.key())).map(str::to_string).unwrap_or(m);
    Error::field(s.key(), crate::error::Msg::text(m))
}

async fn settings_api(State(state): State<AppState>, AdminUser(_): AdminUser) -> Result<Json<Vec<SettingView>>> {
    Ok(Json(settings(&state.store).await?))
}

async fn put_settings_api(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    crate::extract::ApiJson(values): crate::extract::ApiJson<std::collections::BTreeMap<String, String>>,
) -> Result<Json<Vec<SettingView>>> {
    let values: Vec<(String, String)> = values.into_iter().collect();
    let action =
        format!("settings.set {}", values.iter().map(|(k, v)| format!("{k}={v:?}")).collect::<Vec<_>>().join(" "));
    audited(&state, &u, addr, action, set_settings(&state.store, &values).await).await?;
    Ok(Json(settings(&state.store).await?))
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
        return Err(Error::field("limit", msg!("err.from.1.100000")));
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
        Some(_) => Err(Error::field("format", msg!("err.json.csv"))),
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct LiveRow {
    #[serde(flatten)]
    pub participant: LiveParticipant,
    /// Address, codecs, and loss and jitter from the peer's RTCP receiver reports (SIP calls).
    pub link: Option<crate::links::LinkQuality>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Running {
    pub conference: String,
    pub started_at_ms: Option<i64>,
    pub mode: crate::control::Mode,
    /// What the conference's encoder feeds besides the participants: recording, RTSP, multicast.
    pub outputs: Vec<String>,
    pub participants: Vec<LiveRow>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Registration {
    pub login: String,
    pub contact: String,
    pub expires_in_secs: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Live {
    pub conferences: Vec<Running>,
    /// SIP phones registered now.
    pub registrations: Vec<Registration>,
    pub system: crate::system::Usage,
    /// What each conference's encoder makes.
    pub encoder: String,
}

/// What runs now: conferences with who is in each and how their links are, registrations, and
/// the machine's load.
pub async fn live_view(state: &AppState) -> Live {
    let mut conferences = Vec::new();
    if let Some(control) = &state.control {
        let mut ids: Vec<String> = control.occupancy.all().into_iter().map(|(id, _)| id).collect();
        ids.sort();
        for id in ids {
            // A conference that ended in between is simply not listed.
            let Ok(s) = control.call(&id, None, Request::Status).await else { continue };
            if !s.running {
                continue;
            }
            let outputs = [
                s.recording.as_ref().map(|_| "recording".to_string()),
                s.rtsp_url.as_ref().map(|u| format!("RTSP {u}")),
                s.multicast.as_ref().map(|m| format!("multicast {m}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            let participants = s
                .participants
                .into_iter()
                .map(|p| LiveRow { link: control.links.get(&id, p.id), participant: p })
                .collect();
            conferences.push(Running {
                conference: id,
                started_at_ms: s.started_at_ms,
                mode: s.mode,
                outputs,
                participants,
            });
        }
    }
    let registrations = state
        .registrations
        .get()
        .map(|f| f())
        .unwrap_or_default()
        .into_iter()
        .map(|(login, contact, expires_in_secs)| Registration { login, contact, expires_in_secs })
        .collect();
    Live { conferences, registrations, system: crate::system::usage(), encoder: state.config.encoder.clone() }
}

async fn live(State(state): State<AppState>, AdminUser(_): AdminUser) -> Result<Json<Live>> {
    Ok(Json(live_view(&state).await))
}
