//! A conference's recordings as files: downloaded (with HTTP range requests, so players and
//! download managers can seek and resume) and deleted, by the conference's owner and by
//! operators only. Anybody else gets 404, as if there were nothing. The index lists them
//! (`GET /api/v1/conferences/{id}/recordings`, in [`crate::live`]).

use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::msg;
use crate::state::AppState;
use crate::store::RecordingRow;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::path::{Component, PathBuf};
use tower::ServiceExt;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/conferences/{id}/recordings/{rid}", get(download).delete(delete))
}

/// The recording, when `user` may have it: the conference's owner, or an operator.
async fn owned(state: &AppState, user: i64, id: &str, rid: i64) -> Result<RecordingRow> {
    if crate::live::access(state, user, id).await? < crate::live::Access::Own {
        return Err(Error::NotFound);
    }
    state.store.recording(id, rid).await?.ok_or(Error::NotFound)
}

/// Where a recording's file is: its index path under the recordings folder, which it may not
/// leave (only plain names, no `..`, no absolute path).
fn file_of(state: &AppState, r: &RecordingRow) -> Result<PathBuf> {
    path_in(&state.config.recordings_dir, r).ok_or(Error::NotFound)
}

fn path_in(dir: &std::path::Path, r: &RecordingRow) -> Option<PathBuf> {
    if !inside(&r.file_name) {
        tracing::warn!(recording = r.id, file = ?r.file_name, "a recording's index entry names a path outside the recordings folder");
        return None;
    }
    Some(dir.join(&r.file_name))
}

/// Removes a finished recording: its file (if still there), then its index entry.
pub(crate) async fn remove(store: &crate::store::Store, dir: &std::path::Path, r: &RecordingRow) -> anyhow::Result<()> {
    if let Some(path) = path_in(dir, r) {
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => anyhow::bail!("deleting {}: {e}", path.display()),
        }
    }
    store.delete_recording(&r.conference_id, r.id).await?;
    Ok(())
}

/// Whether an index path stays inside the recordings folder: plain names only.
fn inside(name: &str) -> bool {
    !name.is_empty() && std::path::Path::new(name).components().all(|c| matches!(c, Component::Normal(_)))
}

/// `Content-Disposition` for the download: the file's own name, ASCII-safe, and RFC 5987's
/// UTF-8 form.
fn disposition(r: &RecordingRow) -> HeaderValue {
    let name = std::path::Path::new(&r.file_name).file_name().and_then(|n| n.to_str()).unwrap_or("recording");
    attachment(name)
}

/// `Content-Disposition: attachment` with `name`, ASCII-safe, and RFC 5987's UTF-8 form.
pub(crate) fn attachment(name: &str) -> HeaderValue {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or(HeaderValue::from_static("attachment"))
}

async fn download(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, rid)): Path<(String, i64)>,
    req: Request,
) -> Result<Response> {
    let r = owned(&state, u.user.id, &id.to_ascii_lowercase(), rid).await?;
    if r.state == "recording" {
        return Err(Error::Conflict(msg!("err.recording.still.being.made")));
    }
    let path = file_of(&state, &r)?;
    if !path.is_file() {
        return Err(Error::Conflict(msg!("err.recording.s.file.gone")));
    }
    // tower-http's ServeFile answers Range (206, 416) and conditional requests.
    let mut res = tower_http::services::ServeFile::new(&path)
        .oneshot(req)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("serving a recording: {e}")))?
        .into_response();
    if res.status().is_success() || res.status() == StatusCode::PARTIAL_CONTENT {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, disposition(&r));
        metrics::counter!("tessera_recording_downloads_total").increment(1);
    }
    Ok(res)
}

async fn delete(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, rid)): Path<(String, i64)>,
) -> Result<impl IntoResponse> {
    let id = id.to_ascii_lowercase();
    let r = owned(&state, u.user.id, &id, rid).await?;
    if r.state == "recording" {
        return Err(Error::Conflict(msg!("err.recording.still.being.made.2")));
    }
    file_of(&state, &r)?;
    remove(&state.store, &state.config.recordings_dir, &r).await?;
    tracing::info!(conference = %id, recording = rid, user = u.user.id, "recording deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> RecordingRow {
        RecordingRow {
            id: 1,
            conference_id: "c".into(),
            file_name: name.into(),
            format: "mp4".into(),
            started_at: 0,
            ended_at: None,
            duration_ms: None,
            size_bytes: None,
            state: "complete".into(),
            error: None,
        }
    }

    #[test]
    fn paths_stay_in_the_folder_and_names_are_safe_in_the_header() {
        assert!(inside("r1/r1-20261204T101010.000Z.mp4"));
        for bad in ["", "../etc/passwd", "/etc/passwd", "r1/../../x", "./r1"] {
            assert!(!inside(bad), "{bad}");
        }
        let d = disposition(&row("r1/réunion \"x\".mp4"));
        let d = d.to_str().unwrap();
        assert!(d.starts_with("attachment; filename=\"r_union__x_.mp4\""), "{d}");
        assert!(d.ends_with("filename*=UTF-8''r%C3%A9union%20%22x%22.mp4"), "{d}");
    }
}
