//! The server's own source code, offered to everyone who uses it over the network (AGPL-3.0,
//! section 13): every page's footer links to `/source`, which sends the visitor to the
//! repository the administrator names, or hands out the source archive the package installs.

use crate::i18n::{Lang, tr};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use std::path::PathBuf;
use tower::ServiceExt;

/// Where the Debian package installs the source of the binary it holds (`scripts/package.sh`).
pub const PACKAGE_ARCHIVE: &str = "/usr/share/tessera/tessera-source.tar.gz";

/// `[source]` in the configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the source of this server can be had (a repository or an archive, http or https).
    /// Whoever runs a changed Tessera names its changed source here.
    pub url: String,
    /// A `.tar.gz` of the source, handed out at `/source` when `url` is empty.
    pub archive: PathBuf,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { url: String::new(), archive: PathBuf::from(PACKAGE_ARCHIVE) }
    }
}

/// What `/source` gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// A redirection to this address.
    Url(String),
    /// This file, as `tessera-VERSION-source.tar.gz`.
    Archive(PathBuf),
    /// Nothing is configured and no archive is installed: a page says so.
    Unknown,
}

impl Settings {
    pub fn apply_env(&mut self, get: &impl Fn(&str) -> Option<String>) {
        if let Some(v) = get("TESSERA_SOURCE_URL") {
            self.url = v;
        }
        if let Some(v) = get("TESSERA_SOURCE_ARCHIVE") {
            self.archive = PathBuf::from(v);
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let u = &self.url;
        let scheme_ok = u.starts_with("https://") || u.starts_with("http://");
        if !u.is_empty() && (!scheme_ok || u.len() > 2000 || u.chars().any(|c| c.is_whitespace() || c.is_control())) {
            anyhow::bail!("source.url = {u:?} must be an http:// or https:// address without spaces");
        }
        Ok(())
    }

    /// The offer, given what is on this machine now (checked at start-up).
    pub fn offer(&self) -> Offer {
        if !self.url.is_empty() {
            Offer::Url(self.url.clone())
        } else if self.archive.is_file() {
            Offer::Archive(self.archive.clone())
        } else {
            Offer::Unknown
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/source", get(source))
}

async fn source(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let lang = Lang::from_accept_language(accept(req.headers()));
    match &state.config.source {
        Offer::Url(url) => Redirect::to(url).into_response(),
        // Streamed by tower-http's ServeFile like recordings (Range, conditional requests), so
        // many downloads at once never hold the archive in memory.
        Offer::Archive(path) => match tower_http::services::ServeFile::new(path).oneshot(req).await {
            Ok(res) if res.status().is_success() || res.status() == StatusCode::PARTIAL_CONTENT => {
                let mut res = res.into_response();
                let name = format!("attachment; filename=\"tessera-{}-source.tar.gz\"", env!("CARGO_PKG_VERSION"));
                let h = res.headers_mut();
                h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/gzip"));
                if let Ok(v) = header::HeaderValue::from_str(&name) {
                    h.insert(header::CONTENT_DISPOSITION, v);
                }
                res
            }
            Ok(res) if res.status() == StatusCode::NOT_FOUND => {
                tracing::error!(path = %path.display(), "the source archive is gone");
                unknown(lang)
            }
            Ok(res) => res.into_response(),
            Err(e) => {
                tracing::error!(path = %path.display(), "the source archive cannot be read: {e}");
                unknown(lang)
            }
        },
        Offer::Unknown => unknown(lang),
    }
}

fn accept(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

/// Said when this server was started without saying where its source is.
fn unknown(lang: Lang) -> Response {
    let body = maud::html! {
        section.card {
            h1 { (tr(lang, "source.title")) }
            p { (tr(lang, "source.license")) " " (env!("CARGO_PKG_VERSION")) "." }
            p #source-unknown { (tr(lang, "source.unknown")) }
        }
    };
    let page = crate::layout::page(lang, tr(lang, "source.title"), None, body);
    (StatusCode::NOT_FOUND, Html(page.into_string())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WebConfig;
    use crate::tests::App;

    async fn app(source: Offer) -> (App, crate::store::testing::TestDb) {
        let db = crate::store::testing::sqlite().await;
        (App::with_config(db.store.clone(), WebConfig { source, ..Default::default() }), db)
    }

    #[tokio::test]
    async fn every_page_links_to_the_source_and_source_gives_it() {
        // A configured address: a redirection to it, for anyone, signed in or not.
        let (a, _db) = app(Offer::Url("https://git.example.org/tessera".into())).await;
        let login = a.get("/login", None).await.text();
        assert!(login.contains(r#"<a id="source-link" href="/source">Source code</a>"#), "{login}");
        let r = a.get("/source", None).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.headers[header::LOCATION], "https://git.example.org/tessera");
        // The packaged archive: handed out whole, named for the version.
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("src.tar.gz");
        std::fs::write(&archive, b"\x1f\x8b archive bytes").unwrap();
        let (a, _db) = app(Offer::Archive(archive)).await;
        let r = a.get("/source", None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/gzip");
        let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap().to_owned();
        assert!(disposition.contains(&format!("tessera-{}-source.tar.gz", env!("CARGO_PKG_VERSION"))));
        assert_eq!(r.body, b"\x1f\x8b archive bytes");
        let req = axum::http::Request::builder().uri("/source").header(header::RANGE, "bytes=0-1");
        let r = a.call(req.body(axum::body::Body::empty()).unwrap()).await;
        assert_eq!(r.status, 206, "a download resumes");
        assert_eq!(r.body, b"\x1f\x8b");
        // The archive removed while running: the page that says so, not an error.
        std::fs::remove_file(dir.path().join("src.tar.gz")).unwrap();
        let r = a.get("/source", None).await;
        assert_eq!(r.status, 404);
        assert!(r.text().contains("source-unknown"));
        // Neither: a page that says so, in the visitor's language.
        let (a, _db) = app(Offer::Unknown).await;
        let req = axum::http::Request::builder().uri("/source").header(header::ACCEPT_LANGUAGE, "ru");
        let r = a.call(req.body(axum::body::Body::empty()).unwrap()).await;
        assert_eq!(r.status, 404);
        assert!(r.text().contains("source-unknown") && r.text().contains("Исходный код"), "{}", r.text());
    }

    #[test]
    fn the_address_is_checked() {
        let s = |url: &str| Settings { url: url.into(), archive: PathBuf::new() };
        assert!(s("").validate().is_ok() && s("https://example.org/x").validate().is_ok());
        for bad in ["ftp://example.org", "example.org", "https://exa mple.org", "javascript:alert(1)"] {
            let e = s(bad).validate().unwrap_err().to_string();
            assert!(e.contains("source.url"), "{e}");
        }
        assert_eq!(s("").offer(), Offer::Unknown);
        assert_eq!(s("https://example.org/x").offer(), Offer::Url("https://example.org/x".into()));
    }
}
