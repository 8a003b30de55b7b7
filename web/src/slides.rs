//! Slide shows (the *slide show* right): the presenter opens a PDF on the conference page, the
//! browser renders its pages with pdf.js (Debian's `libjs-pdf`, served from its own directory:
//! nothing of the PDF reaches the server) onto a canvas, and the canvas goes to the conference as
//! the content stream, over the same connection a shared screen uses. The presenter turns the
//! pages; everyone sees them in the content slot of their layout.

use crate::rights::Right;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::path::PathBuf;

/// Where Debian's `libjs-pdf` puts pdf.js.
pub const DEBIAN_PDFJS: &str = "/usr/share/javascript/pdf/build";

/// `[slides]` in the configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The directory holding pdf.js's `pdf.js` and `pdf.worker.js` (version 2).
    pub pdfjs_dir: PathBuf,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { pdfjs_dir: PathBuf::from(DEBIAN_PDFJS) }
    }
}

impl Settings {
    pub fn apply_env(&mut self, get: &impl Fn(&str) -> Option<String>) {
        if let Some(v) = get("TESSERA_SLIDES_PDFJS_DIR") {
            self.pdfjs_dir = PathBuf::from(v);
        }
    }

    /// pdf.js's directory when both its files are there; `None` turns slide shows off.
    pub fn pdfjs(&self) -> Option<PathBuf> {
        FILES.iter().all(|f| self.pdfjs_dir.join(f).is_file()).then(|| self.pdfjs_dir.clone())
    }
}

const FILES: [&str; 2] = ["pdf.js", "pdf.worker.js"];

/// The one rule for showing slides: the right, on a server that has pdf.js.
pub fn may_show(state: &AppState, rights: Option<&[Right]>) -> bool {
    state.config.pdfjs_dir.is_some() && rights.is_some_and(|r| r.contains(&Right::Slideshow))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/static/pdfjs/{file}", get(pdfjs))
}

async fn pdfjs(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (Some(dir), true) = (&state.config.pdfjs_dir, FILES.contains(&file.as_str())) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(dir.join(&file)).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(file = %dir.join(&file).display(), error = %e, "pdf.js could not be read");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}
