//! Files sent in the conference chat (the *file sharing* right).
//!
//! A page in a conference gets a key over its socket ([`Keys::admit`]), valid while it is
//! connected. With it the page uploads (`POST /c/<id>/files?k=KEY&name=NAME`, the file as the
//! body: the key is a secret other sites cannot know, so it is the request's CSRF token too) and
//! downloads (`GET /c/<id>/files/<file>?k=KEY`). Signed-in users of the conference (its
//! participants by role, its owner, operators) download without a key, from the chat history
//! after the conference too.
//!
//! A file must fit `files.max_mb`, and the conference's files `files.conference_quota_mb`. The
//! bytes live in `DATA_DIR/files/<conference>/<id>`; the name is only ever shown and sent back in
//! `Content-Disposition`. Files are always served as downloads: `application/octet-stream`,
//! `attachment`, `nosniff` and a sandboxing CSP, so an uploaded HTML or SVG file never runs in the
//! server's origin.

use crate::auth::session::MaybeUser;
use crate::error::{Error, Result};
use crate::msg;
use crate::rights::Right;
use crate::state::AppState;
use crate::store::{ChatFile, ChatMessage, Store};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// `[files]`: where chat files live and how big they may be (`max_bytes` 0: no file sharing).
#[derive(Debug, Clone)]
pub struct Limits {
    pub dir: PathBuf,
    pub max_bytes: u64,
    pub quota_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { dir: PathBuf::from("files"), max_bytes: 25_000_000, quota_bytes: 250_000_000 }
    }
}

/// `[files]` in the configuration, in megabytes (10^6 bytes).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The largest file; 0 turns file sharing off.
    pub max_mb: u64,
    /// What one conference's files may take together.
    pub conference_quota_mb: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { max_mb: 25, conference_quota_mb: 250 }
    }
}

impl Settings {
    pub fn apply_env(&mut self, get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        for (key, field) in [
            ("TESSERA_FILES_MAX_MB", &mut self.max_mb),
            ("TESSERA_FILES_CONFERENCE_QUOTA_MB", &mut self.conference_quota_mb),
        ] {
            if let Some(v) = get(key) {
                *field = v.parse().map_err(|_| anyhow::anyhow!("{key}={v:?} is not a number of megabytes"))?;
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.max_mb > 10_000 {
            anyhow::bail!("files.max_mb = {} is out of range: it must be from 0 (off) to 10000", self.max_mb);
        }
        if self.max_mb > 0 && self.conference_quota_mb < self.max_mb {
            anyhow::bail!(
                "files.conference_quota_mb = {} is smaller than files.max_mb = {}: no file of the largest size would fit",
                self.conference_quota_mb,
                self.max_mb
            );
        }
        Ok(())
    }

    pub fn limits(&self, dir: PathBuf) -> Limits {
        Limits { dir, max_bytes: self.max_mb * 1_000_000, quota_bytes: self.conference_quota_mb * 1_000_000 }
    }
}

/// The one rule for sending files: a signed-in participant with the right, on a server that
/// allows files at all. Guests (no rights) send messages only.
pub fn may_send(limits: &Limits, rights: Option<&[Right]>) -> bool {
    limits.max_bytes > 0 && rights.is_some_and(|r| r.contains(&Right::FileSharing))
}

/// A page connected to a conference, as its key stands for it.
#[derive(Debug, Clone)]
struct Holder {
    conference: String,
    user: Option<i64>,
    name: String,
    may_send: bool,
    /// When its last uploads began, for [`UPLOADS_PER_MINUTE`].
    uploads: std::collections::VecDeque<std::time::Instant>,
}

/// Uploads one page may start per minute: the quota bounds the bytes, this the chat lines.
pub const UPLOADS_PER_MINUTE: usize = 10;

/// The keys of the pages connected now.
#[derive(Default)]
pub struct Keys(Mutex<HashMap<String, Holder>>);

/// Holds a page's key; dropping it (the page left) revokes the key.
pub struct KeyGuard {
    keys: Arc<Keys>,
    pub key: String,
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        self.keys.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}

impl Keys {
    /// A key for a page that joined `conference` as `name`.
    pub fn admit(self: &Arc<Self>, conference: &str, user: Option<i64>, name: &str, may_send: bool) -> KeyGuard {
        let key = hex::encode(rand::random::<[u8; 16]>());
        let holder = Holder {
            conference: conference.to_string(),
            user,
            name: name.to_string(),
            may_send,
            uploads: Default::default(),
        };
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), holder);
        KeyGuard { keys: self.clone(), key }
    }

    fn get(&self, conference: &str, key: &str) -> Option<Holder> {
        let keys = self.0.lock().unwrap_or_else(|p| p.into_inner());
        keys.get(key).filter(|h| h.conference == conference).cloned()
    }

    /// Counts an upload against the page's budget; false when the page is over it.
    fn take_upload(&self, key: &str) -> bool {
        let mut keys = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(h) = keys.get_mut(key) else { return false };
        let now = std::time::Instant::now();
        while h.uploads.front().is_some_and(|t| now.duration_since(*t).as_secs() >= 60) {
            h.uploads.pop_front();
        }
        if h.uploads.len() >= UPLOADS_PER_MINUTE {
            return false;
        }
        h.uploads.push_back(now);
        true
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{id}/files", post(upload).layer(DefaultBodyLimit::disable()))
        .route("/c/{id}/files/{file}", get(download))
}

#[derive(serde::Deserialize)]
struct UploadQuery {
    #[serde(default)]
    k: String,
    #[serde(default)]
    name: String,
}

/// The name as shown: the last path component, no control characters, at most 200 characters.
pub fn clean_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim().to_string();
    (!clean.is_empty() && clean != "." && clean != "..").then_some(clean)
}

/// A file's size for people: bytes, kB or MB (decimal, as the limits are set).
pub fn size_text(bytes: i64) -> String {
    match bytes {
        ..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.0} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

fn mb(bytes: u64) -> String {
    format!("{} MB", bytes.div_ceil(1_000_000))
}

async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Result<(StatusCode, Json<ChatFile>)> {
    let id = id.to_ascii_lowercase();
    let limits = &state.config.files;
    let Some(holder) = state.chat_files.get(&id, &q.k) else {
        return Err(Error::Forbidden(msg!("err.join.conference.page.send")));
    };
    if !holder.may_send {
        return Err(Error::Forbidden(msg!("err.you.have.no.right.2")));
    }
    if !state.chat_files.take_upload(&q.k) {
        return Err(Error::TooManyRequests(msg!("err.at.most.files.minute", uploads_per_minute = UPLOADS_PER_MINUTE)));
    }
    let name = clean_name(&q.name).ok_or_else(|| Error::field("name", msg!("err.file.needs.name")))?;
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let too_big = || Error::PayloadTooLarge(msg!("err.file.may.at.most", max_bytes = mb(limits.max_bytes)));
    if declared.is_some_and(|n| n > limits.max_bytes) {
        return Err(too_big());
    }
    let used = u64::try_from(state.store.chat_files_bytes(&id).await?).unwrap_or(0);
    let over_quota = |size: u64| {
        Error::PayloadTooLarge(msg!(
            "err.conference.s.files.may",
            quota_bytes = mb(limits.quota_bytes),
            size_text = size_text(used as i64),
            size_text2 = size_text(size as i64)
        ))
    };
    if let Some(n) = declared
        && used + n > limits.quota_bytes
    {
        return Err(over_quota(n));
    }
    let file_id = hex::encode(rand::random::<[u8; 16]>());
    let dir = limits.dir.join(&id);
    tokio::fs::create_dir_all(&dir).await.map_err(|e| Error::Internal(anyhow::anyhow!("creating {dir:?}: {e}")))?;
    let part = dir.join(format!("{file_id}.part"));
    let size = match save(req.into_body(), &part, limits.max_bytes).await {
        Ok(size) => size,
        Err(e) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(match e {
                Saved::TooBig => too_big(),
                Saved::Broken(why) => Error::BadRequest(msg!("err.upload.broke.off", why = why)),
                Saved::Disk(e) => Error::Internal(anyhow::anyhow!("writing a chat file: {e}")),
            });
        }
    };
    if used + size > limits.quota_bytes {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(over_quota(size));
    }
    let path = dir.join(&file_id);
    if let Err(e) = tokio::fs::rename(&part, &path).await {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(Error::Internal(anyhow::anyhow!("storing a chat file: {e}")));
    }
    let file = ChatFile { id: file_id, name: name.clone(), size: i64::try_from(size).unwrap_or(i64::MAX) };
    let m = ChatMessage {
        conference: id.clone(),
        at_ms: chrono::Utc::now().timestamp_millis(),
        user_id: holder.user,
        from: holder.name.clone(),
        text: name,
        file: Some(file.clone()),
        origin: "web".into(),
    };
    if let Err(e) = state.store.add_chat_message(&m).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e.into());
    }
    tracing::info!(conference = %id, user = ?holder.user, file = %file.id, bytes = size, "file sent in the chat");
    metrics::counter!("tessera_chat_files_total").increment(1);
    metrics::counter!("tessera_chat_file_bytes_total").increment(size);
    let _ = state.chat.send(m);
    Ok((StatusCode::CREATED, Json(file)))
}

enum Saved {
    TooBig,
    Broken(String),
    Disk(std::io::Error),
}

/// Streams the body to `path`, stopping at `max` bytes.
async fn save(body: Body, path: &std::path::Path, max: u64) -> std::result::Result<u64, Saved> {
    use http_body_util::BodyExt;
    use tokio::io::AsyncWriteExt;
    let mut out = tokio::fs::File::create(path).await.map_err(Saved::Disk)?;
    let mut body = body;
    let mut size = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Saved::Broken(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            size += data.len() as u64;
            if size > max {
                return Err(Saved::TooBig);
            }
            out.write_all(&data).await.map_err(Saved::Disk)?;
        }
    }
    out.sync_all().await.map_err(Saved::Disk)?;
    Ok(size)
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    #[serde(default)]
    k: String,
}

async fn download(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
    req: Request,
) -> Result<Response> {
    let id = id.to_ascii_lowercase();
    if file.len() != 32 || !file.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::NotFound);
    }
    let connected = !q.k.is_empty() && state.chat_files.get(&id, &q.k).is_some();
    if !connected {
        let Some(u) = &user else { return Err(Error::NotFound) };
        crate::live::access(&state, u.user.id, &id).await?;
    }
    let f = state.store.chat_file(&id, &file).await?.ok_or(Error::NotFound)?;
    let path = state.config.files.dir.join(&id).join(&f.id);
    if !path.is_file() {
        return Err(Error::NotFound);
    }
    // tower-http's ServeFile answers Range (resumed downloads) and conditional requests.
    let mut res = tower_http::services::ServeFile::new(&path)
        .oneshot(req)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("serving a chat file: {e}")))?
        .into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_DISPOSITION, crate::recordings::attachment(&f.name));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(with_sandbox(res))
}

/// Whatever a browser makes of the bytes, it runs nothing: the response is its own sandboxed,
/// script-less origin.
fn with_sandbox(mut res: Response) -> Response {
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    res.extensions_mut().insert(crate::OwnCsp);
    res
}

/// Removes the files whose rows are gone (conference deleted, retention) and uploads that broke
/// off more than an hour ago.
pub async fn sweep(store: &Store, dir: &std::path::Path) -> anyhow::Result<u64> {
    let mut removed = 0;
    let Ok(mut conferences) = tokio::fs::read_dir(dir).await else { return Ok(0) };
    while let Some(c) = conferences.next_entry().await? {
        if !c.file_type().await?.is_dir() {
            continue;
        }
        let conference = c.file_name().to_string_lossy().into_owned();
        let keep: BTreeSet<String> = store.chat_file_ids(&conference).await?.into_iter().collect();
        let mut files = tokio::fs::read_dir(c.path()).await?;
        while let Some(f) = files.next_entry().await? {
            let name = f.file_name().to_string_lossy().into_owned();
            let stale_part = name.ends_with(".part")
                && f.metadata().await?.modified()?.elapsed().is_ok_and(|age| age.as_secs() > 3600);
            if (!name.ends_with(".part") && !keep.contains(&name)) || stale_part {
                tokio::fs::remove_file(f.path()).await?;
                removed += 1;
            }
        }
        if keep.is_empty() {
            let _ = tokio::fs::remove_dir(c.path()).await;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(clean_name("C:\\Users\\a\\отчёт.docx").as_deref(), Some("отчёт.docx"));
        assert_eq!(clean_name("a\u{0}b\nc.txt").as_deref(), Some("abc.txt"));
        for bad in ["", "   ", "dir/", "..", "/"] {
            assert_eq!(clean_name(bad), None, "{bad:?}");
        }
        assert_eq!(clean_name(&"x".repeat(500)).unwrap().chars().count(), 200);
    }

    #[test]
    fn sending_needs_the_right_and_files_on() {
        let limits = Limits::default();
        let with = [Right::FileSharing];
        assert!(may_send(&limits, Some(&with)));
        assert!(!may_send(&limits, Some(&[Right::ScreenSharing])));
        assert!(!may_send(&limits, None));
        assert!(!may_send(&Limits { max_bytes: 0, ..limits }, Some(&with)));
    }

    crate::both_backends!(files_are_counted_listed_and_swept, |store| {
        use crate::store::NewConference;
        let new = crate::store::NewUser { login: "olga", display_name: "Olga", password_hash: "x" };
        let owner = store.create_user(new, 0).await.unwrap().id;
        for id in ["kept", "gone"] {
            store.create_conference(NewConference::private_room(id, id, owner), 0).await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        for (conference, id, size) in [("kept", "a1", 1_500), ("kept", "a2", 2_500), ("gone", "b1", 10)] {
            let file = ChatFile { id: id.into(), name: format!("{id}.txt"), size };
            let m = ChatMessage {
                conference: conference.into(),
                at_ms: size,
                user_id: Some(owner),
                from: "Olga".into(),
                text: file.name.clone(),
                file: Some(file),
                origin: String::new(),
            };
            store.add_chat_message(&m).await.unwrap();
            std::fs::create_dir_all(dir.path().join(conference)).unwrap();
            std::fs::write(dir.path().join(conference).join(id), b"x").unwrap();
        }
        assert_eq!(store.chat_files_bytes("kept").await.unwrap(), 4_000);
        assert_eq!(store.chat_files_bytes("nothing").await.unwrap(), 0);
        let history = store.chat_history("kept", 10).await.unwrap();
        assert_eq!(history[0].file.as_ref().map(|f| f.name.as_str()), Some("a1.txt"));
        // A stray file of a kept conference and every file of a deleted one go; the rest stays.
        std::fs::write(dir.path().join("kept").join("stray"), b"x").unwrap();
        store.delete_conference("gone").await.unwrap();
        assert_eq!(sweep(&store, dir.path()).await.unwrap(), 2);
        assert!(dir.path().join("kept/a1").is_file() && dir.path().join("kept/a2").is_file());
        assert!(!dir.path().join("gone").exists());
    });

    #[test]
    fn keys_are_for_one_conference_and_end_with_the_page() {
        let keys = Arc::new(Keys::default());
        let g = keys.admit("room", Some(1), "Alice", true);
        assert!(keys.get("room", &g.key).is_some());
        assert!(keys.get("other", &g.key).is_none());
        for _ in 0..UPLOADS_PER_MINUTE {
            assert!(keys.take_upload(&g.key));
        }
        assert!(!keys.take_upload(&g.key), "over the budget");
        let k = g.key.clone();
        drop(g);
        assert!(keys.get("room", &k).is_none());
    }
}
