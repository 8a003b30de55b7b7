//! Operational routes and static assets: `/healthz`, `/ping`, `/static/*`, the OpenAPI document
//! and the download page; `/metrics` is on a listener of its own ([`metrics_router`]).

use crate::auth::PageUser;
use crate::i18n::tr;
use crate::layout::page;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use maud::html;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ping", get(|| async { "pong" }))
        .route("/static/{file}", get(static_file))
        .route("/api/v1/openapi.json", get(|| async { Json(crate::openapi::document()) }))
        .route("/download", get(download))
}

/// `/metrics` (and `/healthz`) for Prometheus, served on `http.metrics_listen` (loopback by
/// default), not on the public listener.
pub fn metrics_router(state: AppState) -> axum::Router {
    Router::new().route("/metrics", get(metrics)).route("/healthz", get(healthz)).with_state(state)
}

/// Problems that do not stop the server yet need an administrator, each under its own key (set
/// again to update, `None` to clear); `/healthz` lists them after its "ok".
#[derive(Default)]
pub struct Warnings(std::sync::Mutex<std::collections::BTreeMap<&'static str, String>>);

impl Warnings {
    pub fn set(&self, key: &'static str, warning: Option<String>) {
        let mut w = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match warning {
            Some(text) => w.insert(key, text),
            None => w.remove(key),
        };
    }

    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => {
            let mut body = "ok\n".to_string();
            for w in state.warnings.list() {
                body.push_str(&format!("warning: {w}\n"));
            }
            (StatusCode::OK, body).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = (state.metrics)();
    if let Some(c) = &state.control {
        text.push_str(&c.links.prometheus());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn static_file(Path(file): Path<String>) -> Response {
    let (body, ct): (&'static str, &str) = match file.as_str() {
        "app.css" => (include_str!("../static/app.css"), "text/css; charset=utf-8"),
        "profile.js" => (include_str!("../static/profile.js"), "text/javascript; charset=utf-8"),
        "conference.js" => (include_str!("../static/conference.js"), "text/javascript; charset=utf-8"),
        "record.js" => (include_str!("../static/record.js"), "text/javascript; charset=utf-8"),
        "chat_files.js" => (include_str!("../static/chat_files.js"), "text/javascript; charset=utf-8"),
        "slides.js" => (include_str!("../static/slides.js"), "text/javascript; charset=utf-8"),
        "ring.js" => (include_str!("../static/ring.js"), "text/javascript; charset=utf-8"),
        "schedule.js" => (include_str!("../static/schedule.js"), "text/javascript; charset=utf-8"),
        "manager.js" => (include_str!("../static/manager.js"), "text/javascript; charset=utf-8"),
        "manager_devices.js" => (include_str!("../static/manager_devices.js"), "text/javascript; charset=utf-8"),
        "registration.js" => (include_str!("../static/registration.js"), "text/javascript; charset=utf-8"),
        "admin-live.js" => (include_str!("../static/admin-live.js"), "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

async fn download(State(state): State<AppState>, PageUser(u): PageUser) -> Html<String> {
    let lang = u.lang;
    let host = &state.config.sip_host;
    let body = html! {
        h1 { (tr(lang, "download.title")) }
        section.card { h2 { (tr(lang, "download.browser")) } p { (tr(lang, "download.browser_text")) } }
        section.card {
            h2 { (tr(lang, "download.sip")) }
            p { (tr(lang, "download.sip_text")) }
            p { code { "sip:ID@" (host) } }
        }
        section.card {
            h2 { (tr(lang, "download.h323")) }
            @match state.config.h323_port {
                Some(port) => {
                    p { (tr(lang, "download.h323_on")) }
                    p { code { @if port == 1720 { (host) } @else { (host) ":" (port) } } }
                }
                None => p { (tr(lang, "download.h323_text")) },
            }
        }
    };
    Html(page(lang, tr(lang, "download.title"), Some(&u), body).into_string())
}

/// The machine's load as the live view shows it.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Usage {
    /// Tessera's own CPU use since the previous look (or since it started), in percent of one
    /// core; above 100 on several cores.
    pub cpu_percent: f64,
    pub cores: usize,
    /// The 1-minute load average.
    pub load_1m: f64,
    /// Tessera's resident memory, MiB.
    pub memory_mib: f64,
}

/// Tessera's CPU seconds and the wall clock at the previous look.
static LAST_LOOK: std::sync::Mutex<Option<(f64, std::time::Instant)>> = std::sync::Mutex::new(None);

/// Reads `/proc` (Linux); on anything else, or if it cannot be read, zeros.
pub fn usage() -> Usage {
    let ticks = 100.0; // USER_HZ, 100 on every Linux architecture Tessera runs on
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let num = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let cpu = (num(11) + num(12)) / ticks;
    let rss_pages = num(21);
    let now = std::time::Instant::now();
    let mut last = LAST_LOOK.lock().unwrap_or_else(|p| p.into_inner());
    let cpu_percent = match *last {
        Some((c, t)) if now.duration_since(t).as_secs_f64() > 0.05 => {
            (cpu - c) * 100.0 / now.duration_since(t).as_secs_f64()
        }
        _ => 0.0,
    };
    *last = Some((cpu, now));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    Usage {
        cpu_percent: (cpu_percent * 10.0).round() / 10.0,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_1m: load.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0.0),
        memory_mib: (rss_pages * 4096.0 / 1048576.0 * 10.0).round() / 10.0,
    }
}
