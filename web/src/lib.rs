//! `tessera-web`: the personal area and the JSON API.
//!
//! It owns the database (schema, migrations and every query, in [`store`]), authentication
//! ([`auth`]: argon2id passwords, the lockout service every ingress shares, sessions and CSRF),
//! the HTML pages (rendered with `maud`, all text through [`i18n`]), and the `/api/v1` JSON API
//! described by [`openapi`]. It knows nothing of media: the daemon builds an [`AppState`] and
//! serves [`router`]. Who may join a conference is the conference core's decision; [`admission`]
//! gathers its facts for every way in (the page's socket here, SIP in the daemon).
//!
//! Layout by area: [`signin`], [`home`], [`profile`], [`conferences`], [`system`]; each has its
//! own `router()`, and handlers sit next to their request and response types.

pub mod admin_api;
pub mod admin_panel;
pub mod admin_users;
pub mod admission;
pub mod analytics;
pub mod auth;
pub mod cache;
pub mod calling;
pub mod calls;
pub mod chat_files;
pub mod conference_page;
pub mod conferences;
pub mod contacts;
pub mod control;
pub mod dial_policy;
pub mod dialout;
pub mod error;
pub mod extract;
pub mod hls;
pub mod home;
pub mod i18n;
pub mod invitations;
pub mod join_ws;
pub mod layout;
pub mod links;
pub mod live;
pub mod localize;
pub mod mail;
pub mod manager;
pub mod net;
pub mod openapi;
pub mod outbox;
pub mod password_change;
pub mod password_links;
pub mod profile;
pub mod recordings;
pub mod recurrence;
pub mod registration;
pub mod remote_devices;
pub mod retention;
pub mod rights;
pub mod rtc;
pub mod scheduling;
pub mod server_devices;
pub mod signin;
pub mod slides;
pub mod source;
pub mod state;
pub mod store;
pub mod system;
pub mod turn;
pub mod validate;

pub use state::{AppState, MetricsRender, WebConfig};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use std::time::Instant;

/// Form and JSON bodies are small; the avatar route raises its own limit.
const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(signin::router())
        .merge(home::router())
        .merge(profile::router())
        .merge(password_change::router())
        .merge(password_links::router())
        .merge(scheduling::router())
        .merge(contacts::router())
        .merge(conference_page::router())
        .merge(registration::router())
        .merge(live::router())
        .merge(calls::router())
        .merge(calling::router())
        .merge(admin_api::router())
        .merge(admin_panel::router())
        .merge(recordings::router())
        .merge(hls::router())
        .merge(chat_files::router())
        .merge(slides::router())
        .merge(analytics::router())
        .merge(dialout::router())
        .merge(remote_devices::router())
        .merge(server_devices::router())
        .merge(manager::router())
        .merge(system::router())
        .merge(source::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(localize::localize))
        .layer(middleware::from_fn(observe))
        .with_state(state)
}

/// A response extension: the response sets its own, stricter `Content-Security-Policy`.
#[derive(Debug, Clone, Copy)]
pub struct OwnCsp;

/// A response extension: this page may be shown in a frame on another site.
#[derive(Debug, Clone, Copy)]
pub struct Embeddable;

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return error::Error::NotFound.into_response();
    }
    let lang =
        i18n::Lang::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let body = maud::html! {
        section.card {
            h1 { (i18n::tr(lang, "error.title")) }
            p { (i18n::tr(lang, "error.not_found")) }
            p { a href="/" { (i18n::tr(lang, "error.back")) } }
        }
    };
    (StatusCode::NOT_FOUND, Html(layout::page(lang, i18n::tr(lang, "error.title"), None, body).into_string()))
        .into_response()
}

/// Metrics per route and status, and headers every response carries.
async fn observe(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "other".into());
    let method = req.method().as_str().to_owned();
    // What shows a password or a set-password link, or the administration, is never kept by a
    // browser's or a proxy's cache.
    let path = req.uri().path();
    let no_store = ["/admin", "/api/v1/admin/", "/set-password/"].iter().any(|p| path.starts_with(p));
    // Every line a request logs carries its id, which the answer's X-Request-Id repeats.
    let id = format!("{:016x}", rand::random::<u64>());
    let span = tracing::info_span!("http", request_id = %id, method = %method, route = %route);
    let mut resp = tracing::Instrument::instrument(next.run(req), span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    if no_store {
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let status = resp.status().as_u16().to_string();
    metrics::counter!("tessera_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("tessera_http_request_duration_seconds", "route" => route)
        .record(start.elapsed().as_secs_f64());
    // Only a public conference's page in embed mode may be framed by other sites (the widget).
    let embeddable = resp.extensions().get::<Embeddable>().is_some();
    let own_csp = resp.extensions().get::<OwnCsp>().is_some();
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !embeddable {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if own_csp {
        return resp;
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if embeddable {
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; frame-ancestors *"
        } else {
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; frame-ancestors 'none'"
        }),
    );
    resp
}

#[cfg(test)]
mod tests;
