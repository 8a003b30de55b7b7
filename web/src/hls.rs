//! The HLS output: a running conference's picture and mix as an HLS live playlist of fMP4
//! segments, served at `/hls/{id}/{key}/index.m3u8` for any player (hls.js, Safari, VLC,
//! ffmpeg) and — the point — for any HTTP cache or CDN in front of Tessera, which fans one
//! stream out to thousands of viewers: the playlist may be cached for a second, each segment
//! and the initialization segment forever (their names are never reused).
//!
//! The daemon's segmenter fills a [`Window`] per running conference on the [`Shelf`]; this
//! module keeps the window's rules (how many segments, the playlist's text) and answers the
//! requests. The key is the conference's `hls_key`, checked against the store on every request,
//! so a new key (`tessera admin conference media ID --hls-new-key`) shuts the old address at
//! once; a wrong key, an unknown conference or one not running are all the same 404.

use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

pub use axum::body::Bytes;

/// Segments listed in the playlist: about 12 s behind the live edge at 2 s segments.
pub const LISTED: usize = 6;
/// Segments kept after they leave the playlist, for players and caches still fetching them
/// (RFC 8216 §6.2.2: for at least the playlist's duration).
const KEPT_AFTER: usize = 6;
/// The longest a segment may be, in whole seconds: the segmenter cuts at a keyframe after 1 s
/// and asks for one at 2.2 s.
pub const TARGET_DURATION: u32 = 3;
/// How long an ended conference's last playlist (with `#EXT-X-ENDLIST`) stays served.
const ENDED_KEPT_MS: i64 = 5 * 60 * 1000;

/// One segment: `moof`/`mdat` pairs starting with a video keyframe.
#[derive(Debug, Clone)]
pub struct Segment {
    pub sequence: u64,
    pub duration_s: f64,
    pub bytes: Bytes,
}

/// What is served of one conference's run: its initialization segment and its last segments.
#[derive(Debug)]
pub struct Window {
    /// Names this run's files: a conference started again never reuses a name a cache holds.
    run: String,
    init: Option<Bytes>,
    segments: VecDeque<Segment>,
    next_sequence: u64,
    /// How long the segments no longer kept lasted, in seconds.
    dropped_s: f64,
    /// When the first segment began (Unix ms), for `#EXT-X-PROGRAM-DATE-TIME`.
    started_ms: i64,
    /// When the conference ended (Unix ms).
    ended_ms: Option<i64>,
}

impl Window {
    pub fn new(run: String, started_ms: i64) -> Window {
        Window {
            run,
            init: None,
            segments: VecDeque::new(),
            next_sequence: 0,
            dropped_s: 0.0,
            started_ms,
            ended_ms: None,
        }
    }

    pub fn set_init(&mut self, init: Bytes) {
        self.init = Some(init);
    }

    pub fn push(&mut self, duration_s: f64, bytes: Bytes) {
        self.segments.push_back(Segment { sequence: self.next_sequence, duration_s, bytes });
        self.next_sequence += 1;
        while self.segments.len() > LISTED + KEPT_AFTER {
            if let Some(s) = self.segments.pop_front() {
                self.dropped_s += s.duration_s;
            }
        }
    }

    pub fn end(&mut self, now_ms: i64) {
        self.ended_ms.get_or_insert(now_ms);
    }

    fn listed(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().skip(self.segments.len().saturating_sub(LISTED))
    }

    fn init_name(&self) -> String {
        format!("init-{}.mp4", self.run)
    }

    fn segment_name(&self, sequence: u64) -> String {
        format!("{}-{sequence}.m4s", self.run)
    }

    /// The media playlist (RFC 8216), or `None` before the first segment.
    pub fn playlist(&self) -> Option<String> {
        use std::fmt::Write;
        self.init.as_ref()?;
        let first = self.listed().next()?;
        let before: f64 = self.dropped_s
            + self.segments.iter().take_while(|s| s.sequence < first.sequence).map(|s| s.duration_s).sum::<f64>();
        let mut p = format!(
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{TARGET_DURATION}\n#EXT-X-MEDIA-SEQUENCE:{}\n\
             #EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"{}\"\n",
            first.sequence,
            self.init_name()
        );
        // Wall-clock time of the first listed segment, for players that show it and for DVR.
        let at = self.started_ms + (before * 1000.0) as i64;
        if let Some(t) = chrono::DateTime::from_timestamp_millis(at) {
            let _ = writeln!(p, "#EXT-X-PROGRAM-DATE-TIME:{}", t.format("%Y-%m-%dT%H:%M:%S%.3fZ"));
        }
        for s in self.listed() {
            let _ = write!(p, "#EXTINF:{:.3},\n{}\n", s.duration_s, self.segment_name(s.sequence));
        }
        if self.ended_ms.is_some() {
            p.push_str("#EXT-X-ENDLIST\n");
        }
        Some(p)
    }

    /// A file of this run by name: the initialization segment or a kept segment.
    fn file(&self, name: &str) -> Option<Bytes> {
        if name == self.init_name() {
            return self.init.clone();
        }
        let seq: u64 = name.strip_prefix(&self.run)?.strip_prefix('-')?.strip_suffix(".m4s")?.parse().ok()?;
        self.segments.iter().find(|s| s.sequence == seq).map(|s| s.bytes.clone())
    }
}

/// The windows of the conferences with an HLS output, by conference ID.
#[derive(Default)]
pub struct Shelf {
    windows: Mutex<HashMap<String, Arc<Mutex<Window>>>>,
}

impl Shelf {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Mutex<Window>>>> {
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new run of `conference`'s output, replacing its previous one.
    pub fn open(&self, conference: &str, run: String, now_ms: i64) -> Arc<Mutex<Window>> {
        let w = Arc::new(Mutex::new(Window::new(run, now_ms)));
        let mut map = self.map();
        // Ended runs are dropped some minutes after their end.
        map.retain(|_, w| {
            w.lock().unwrap_or_else(PoisonError::into_inner).ended_ms.is_none_or(|e| now_ms - e < ENDED_KEPT_MS)
        });
        map.insert(conference.to_string(), w.clone());
        w
    }

    pub fn get(&self, conference: &str) -> Option<Arc<Mutex<Window>>> {
        self.map().get(conference).cloned()
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/hls/{id}/{key}/{file}", get(serve))
}

/// The address of a conference's playlist, below the server's public URL.
pub fn playlist_path(conference: &str, key: &str) -> String {
    format!("/hls/{conference}/{key}/index.m3u8")
}

async fn serve(State(state): State<AppState>, Path((id, key, file)): Path<(String, String, String)>) -> Response {
    let stored = match state.store.hls_key(&id).await {
        Ok(k) => k,
        Err(e) => {
            tracing::error!(conference = %id, error = %e, "reading the HLS key failed");
            return not_served(StatusCode::SERVICE_UNAVAILABLE, "try again\n");
        }
    };
    let allowed = stored.is_some_and(|k| crate::auth::session::constant_time_eq(k.as_bytes(), key.as_bytes()));
    let window = state.hls.get(&id).filter(|_| allowed);
    let Some(window) = window else {
        metrics::counter!("tessera_hls_refused_total").increment(1);
        return not_served(StatusCode::NOT_FOUND, "no such stream\n");
    };
    let w = window.lock().unwrap_or_else(PoisonError::into_inner);
    if file == "index.m3u8" {
        return match w.playlist() {
            Some(p) => reply(p.into(), "application/vnd.apple.mpegurl", "public, max-age=1"),
            None => not_served(StatusCode::NOT_FOUND, "the stream has not started yet\n"),
        };
    }
    match w.file(&file) {
        Some(b) => {
            metrics::counter!("tessera_hls_segments_served_total").increment(1);
            reply(b, "video/mp4", "public, max-age=31536000, immutable")
        }
        None => not_served(StatusCode::NOT_FOUND, "no such segment\n"),
    }
}

fn reply(body: Bytes, content_type: &'static str, cache: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // Players on other sites (a webinar page embedding hls.js) may fetch it.
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    r
}

/// An answer no cache keeps: the stream may start a moment later.
fn not_served(status: StatusCode, text: &'static str) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_playlist_lists_the_last_segments_and_keeps_a_few_more() {
        let mut w = Window::new("r1".into(), 1_700_000_000_000);
        assert_eq!(w.playlist(), None, "nothing before the first segment");
        w.set_init(Bytes::from_static(b"init"));
        for n in 0..20u8 {
            w.push(2.0, Bytes::from(vec![n]));
        }
        let p = w.playlist().unwrap();
        assert!(p.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:14\n"), "{p}");
        assert!(p.contains("#EXT-X-MAP:URI=\"init-r1.mp4\"\n"), "{p}");
        // 14 segments of 2 s before the first listed one.
        assert!(p.contains("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:48.000Z\n"), "{p}");
        assert_eq!(p.matches("#EXTINF:2.000,\n").count(), LISTED);
        assert!(p.ends_with("r1-19.m4s\n") && !p.contains("ENDLIST"), "{p}");
        assert_eq!(w.file("r1-19.m4s").as_deref(), Some(&[19u8][..]));
        assert_eq!(w.file("r1-8.m4s").as_deref(), Some(&[8u8][..]), "kept after leaving the playlist");
        assert_eq!(w.file("r1-7.m4s"), None);
        assert_eq!(w.file("init-r1.mp4").as_deref(), Some(&b"init"[..]));
        for bad in ["r0-19.m4s", "r1-19.mp4", "r1--1.m4s", "../r1-19.m4s", "init-r0.mp4", "r1-x.m4s"] {
            assert_eq!(w.file(bad), None, "{bad}");
        }
        w.end(1);
        assert!(w.playlist().unwrap().ends_with("#EXT-X-ENDLIST\n"));
    }

    #[test]
    fn a_new_run_replaces_the_last_and_ended_runs_go() {
        let shelf = Shelf::default();
        let a = shelf.open("a", "r1".into(), 0);
        a.lock().unwrap().end(0);
        shelf.open("b", "r1".into(), 1000);
        assert!(shelf.get("a").is_some(), "an ended run is served for a while");
        shelf.open("b", "r2".into(), ENDED_KEPT_MS + 1);
        assert!(shelf.get("a").is_none());
        assert_eq!(shelf.get("b").unwrap().lock().unwrap().run, "r2");
    }
}
