//! Live streaming to a platform: the conference's composed picture and mix pushed to the
//! conference's `stream_url` — over RTMP or RTMPS as FLV (H.264 and AAC: YouTube Live, Twitch,
//! Facebook, nginx-rtmp, MediaMTX, Wowza) or over SRT as MPEG-TS (a company's media server,
//! a broadcaster's contribution link). The platform fans the stream out to its audience, so a
//! webinar's thousands of viewers cost this server one encoder and one upload.
//!
//! The pipeline takes the shared encoder's H.264 as it is (no second video encoder) and turns
//! the Opus mix into AAC, which every platform takes. While the conference runs, a push that
//! fails (the platform not live yet, a network outage, the key refused) is tried again, after
//! 2 s, then twice as long each time up to a minute. The URL's stream key and passphrase never
//! reach a log line or the status: [`StreamTarget::redacted`] is what is shown.

use super::encoder::EncodedStreams;
use super::synthetic::appsrc;
use anyhow::{Context, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use serde::Serialize;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The longest URL taken (YouTube's are about 80 characters).
const MAX_URL: usize = 1024;
const FIRST_RETRY: Duration = Duration::from_secs(2);
const LAST_RETRY: Duration = Duration::from_secs(60);

/// The conference's Opus mix as AAC (what every platform and HLS player takes) into the muxer
/// named `mux`.
pub(super) const OPUS_TO_AAC: &str =
    "opusdec ! audioconvert ! audioresample ! avenc_aac bitrate=128000 ! aacparse ! queue ! mux.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Rtmp,
    Rtmps,
    Srt,
}

/// Where a conference is streamed: a checked `rtmp://`, `rtmps://` or `srt://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct StreamTarget {
    url: String,
    protocol: Protocol,
    host: String,
    port: u16,
}

impl std::fmt::Debug for StreamTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl StreamTarget {
    /// Checks a stream URL as a platform gives it: `rtmp://a.rtmp.youtube.com/live2/KEY`,
    /// `rtmps://live-api-s.facebook.com:443/rtmp/KEY`, `srt://media.example.com:9000?streamid=…`.
    /// The error says what is wrong without repeating the URL (it holds a key).
    pub fn parse(s: &str) -> Result<StreamTarget, String> {
        if s.len() > MAX_URL {
            return Err(format!("is longer than {MAX_URL} characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces or control characters".into());
        }
        let url = url::Url::parse(s).map_err(|e| format!("is not a URL ({e})"))?;
        let protocol = match url.scheme() {
            "rtmp" => Protocol::Rtmp,
            "rtmps" => Protocol::Rtmps,
            "srt" => Protocol::Srt,
            other => return Err(format!("scheme {other:?} is not rtmp, rtmps or srt")),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or("names no host")?.to_string();
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not hold a user name or password (put the key in the path)".into());
        }
        let port = match (url.port(), protocol) {
            (Some(0), _) => return Err("port 0 is not a port".into()),
            (Some(p), _) => p,
            (None, Protocol::Rtmp) => 1935,
            (None, Protocol::Rtmps) => 443,
            (None, Protocol::Srt) => return Err("srt:// needs a port (srt://host:port)".into()),
        };
        if url.fragment().is_some() {
            return Err("must not have a #fragment".into());
        }
        match protocol {
            Protocol::Rtmp | Protocol::Rtmps => {
                // rtmp://host/app/stream-key: the application and the stream are both needed.
                let parts: Vec<&str> = url.path().split('/').filter(|p| !p.is_empty()).collect();
                if parts.len() < 2 {
                    return Err("needs an application and a stream key: rtmp://host/app/key".into());
                }
            }
            Protocol::Srt => {
                if url.path() != "" && url.path() != "/" {
                    return Err("srt:// takes no path; options go in the query (?streamid=…&passphrase=…)".into());
                }
                for (k, _) in url.query_pairs() {
                    if k == "mode" {
                        return Err("srt:// is always pushed as caller: leave mode= out".into());
                    }
                }
            }
        }
        Ok(StreamTarget { url: s.to_string(), protocol, host, port })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The URL without what grants access: `rtmp://a.rtmp.youtube.com:1935/live2/…`.
    pub fn redacted(&self) -> String {
        let scheme = match self.protocol {
            Protocol::Rtmp => "rtmp",
            Protocol::Rtmps => "rtmps",
            Protocol::Srt => "srt",
        };
        // `host_str` keeps an IPv6 address's brackets.
        let host = &self.host;
        let app = match self.protocol {
            Protocol::Srt => String::new(),
            _ => url::Url::parse(&self.url)
                .ok()
                .and_then(|u| u.path().split('/').find(|p| !p.is_empty()).map(|a| format!("/{a}")))
                .unwrap_or_default(),
        };
        format!("{scheme}://{host}:{}{app}/…", self.port)
    }

    /// The fixed part of the pipeline; the URL is set as a property, never parsed as pipeline.
    /// A platform that stops reading (TCP full) makes the inputs drop their oldest data at 4 MB
    /// rather than grow without end.
    fn launch(&self) -> String {
        const INPUT: &str = "is-live=true format=time do-timestamp=true max-bytes=4000000 leaky-type=downstream";
        let video = match self.protocol {
            Protocol::Rtmp | Protocol::Rtmps => {
                "h264parse ! queue ! flvmux name=mux streamable=true latency=100000000 \
                 ! rtmp2sink name=out sync=false async=false"
            }
            Protocol::Srt => {
                "h264parse config-interval=-1 ! queue ! mpegtsmux name=mux latency=100000000 \
                 ! srtsink name=out sync=false async=false wait-for-connection=false"
            }
        };
        format!("appsrc name=v {INPUT} ! {video} appsrc name=a {INPUT} ! {OPUS_TO_AAC}")
    }
}

/// How a push is doing, for the manager and the live API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushStatus {
    /// The target without its key ([`StreamTarget::redacted`]).
    pub target: String,
    /// `connecting`, `live` (data reaches the platform) or `retrying`.
    pub state: &'static str,
    /// Why the last attempt failed, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Attempts that failed since the conference started.
    pub failures: u64,
}

/// A running push: tries, and tries again, until dropped.
pub struct StreamPush {
    stop: Sender<()>,
    status: Arc<Mutex<PushStatus>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StreamPush {
    pub fn start(conference: &str, target: StreamTarget, streams: &EncodedStreams) -> anyhow::Result<StreamPush> {
        let status = Arc::new(Mutex::new(PushStatus {
            target: target.redacted(),
            state: "connecting",
            error: None,
            failures: 0,
        }));
        let (stop, stopped) = channel();
        let (s, st, conf) = (streams.clone(), status.clone(), conference.to_string());
        let thread = std::thread::Builder::new()
            .name("stream push".into())
            .spawn(move || supervise(&conf, &target, &s, &st, &stopped))
            .context("starting the stream push")?;
        Ok(StreamPush { stop, status, thread: Some(thread) })
    }

    pub fn status(&self) -> PushStatus {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for StreamPush {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Why an attempt ended.
enum Ended {
    Stopped,
    Failed(String),
}

fn supervise(
    conference: &str,
    target: &StreamTarget,
    streams: &EncodedStreams,
    status: &Mutex<PushStatus>,
    stop: &Receiver<()>,
) {
    let set = |state: &'static str, error: Option<String>| {
        let mut s = status.lock().unwrap_or_else(PoisonError::into_inner);
        s.state = state;
        if error.is_some() {
            s.failures += 1;
            s.error = error;
        }
    };
    let mut wait = FIRST_RETRY;
    loop {
        set("connecting", None);
        let started = std::time::Instant::now();
        let ended = match attempt(conference, target, streams, status, stop) {
            Ok(e) => e,
            Err(e) => Ended::Failed(redact(&format!("{e:#}"), target)),
        };
        let Ended::Failed(error) = ended else { return };
        metrics::counter!("tessera_stream_push_failures_total").increment(1);
        // A push that ran a while before failing starts again quickly.
        if started.elapsed() > LAST_RETRY {
            wait = FIRST_RETRY;
        }
        tracing::warn!(conference, target = %target.redacted(), error = %error, retry_in_s = wait.as_secs(), "stream push failed; trying again");
        set("retrying", Some(error));
        match stop.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        wait = (wait * 2).min(LAST_RETRY);
    }
}

/// One connection: runs until the pipeline fails or the push is stopped.
fn attempt(
    conference: &str,
    target: &StreamTarget,
    streams: &EncodedStreams,
    status: &Mutex<PushStatus>,
    stop: &Receiver<()>,
) -> anyhow::Result<Ended> {
    let pipeline = super::launch(&target.launch(), "the stream push")?;
    let out = pipeline.by_name("out").ok_or_else(|| anyhow!("no sink"))?;
    match target.protocol {
        Protocol::Rtmp | Protocol::Rtmps => out.set_property("location", target.url()),
        Protocol::Srt => out.set_property("uri", target.url()),
    }
    let (failed_tx, failed) = channel::<String>();
    if let Some(bus) = pipeline.bus() {
        let target = target.clone();
        bus.set_sync_handler(move |_, msg| {
            match msg.view() {
                gst::MessageView::Error(e) => {
                    let _ = failed_tx.send(redact(&e.error().to_string(), &target));
                }
                gst::MessageView::Eos(_) => {
                    let _ = failed_tx.send("the stream ended".into());
                }
                _ => {}
            }
            gst::BusSyncReply::Drop
        });
    }
    // Data leaving the muxer for the sink means the platform takes it.
    let flowing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Some(pad) = out.static_pad("sink") {
        let f = flowing.clone();
        let srt = target.protocol == Protocol::Srt;
        pad.add_probe(gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST, move |_, info| {
            f.store(true, std::sync::atomic::Ordering::Relaxed);
            if srt {
                not_headers(info);
            }
            gst::PadProbeReturn::Ok
        });
    }
    let v = appsrc(pipeline.upcast_ref(), "v")?;
    let a = appsrc(pipeline.upcast_ref(), "a")?;
    pipeline.set_state(gst::State::Playing).context("starting the push")?;
    let gate = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ids = (streams.video.subscribe_gate(v, gate.clone()), streams.audio.subscribe_gated(a, gate));
    streams.request_keyframe();
    let ended = loop {
        match failed.recv_timeout(Duration::from_millis(500)) {
            Ok(e) => break Ended::Failed(e),
            Err(RecvTimeoutError::Disconnected) => break Ended::Failed("the pipeline went away".into()),
            Err(RecvTimeoutError::Timeout) => {}
        }
        if !matches!(stop.try_recv(), Err(std::sync::mpsc::TryRecvError::Empty)) {
            break Ended::Stopped;
        }
        let mut s = status.lock().unwrap_or_else(PoisonError::into_inner);
        if s.state != "live" && flowing.load(std::sync::atomic::Ordering::Relaxed) {
            s.state = "live";
            tracing::info!(conference, target = %target.redacted(), "streaming to the platform");
        }
    };
    streams.video.unsubscribe(ids.0);
    streams.audio.unsubscribe(ids.1);
    let _ = pipeline.set_state(gst::State::Null);
    Ok(ended)
}

/// mpegtsmux flags the packets that carry a keyframe's SPS and PPS as headers, and srtsink
/// drops every header buffer after the caps' PAT and PMT, so nothing could decode the pictures:
/// the flag is taken off on the way to the sink (GStreamer 1.22).
fn not_headers(info: &mut gst::PadProbeInfo) {
    let unflag = |b: &mut gst::Buffer| {
        if b.flags().contains(gst::BufferFlags::HEADER) {
            b.make_mut().unset_flags(gst::BufferFlags::HEADER);
        }
    };
    match &mut info.data {
        Some(gst::PadProbeData::Buffer(b)) => unflag(b),
        Some(gst::PadProbeData::BufferList(list)) => list.make_mut().foreach_mut(|mut b, _| {
            unflag(&mut b);
            std::ops::ControlFlow::Continue(Some(b))
        }),
        _ => {}
    }
}

/// `text` without the URL's key, whatever an element put in its message.
fn redact(text: &str, target: &StreamTarget) -> String {
    let mut t = text.replace(target.url(), &target.redacted());
    if let Ok(u) = url::Url::parse(target.url()) {
        let secrets = u
            .path()
            .split('/')
            .filter(|p| !p.is_empty())
            .skip(1)
            .map(str::to_string)
            .chain(u.query_pairs().map(|(_, v)| v.into_owned()))
            .filter(|s| s.len() >= 4);
        for s in secrets {
            t = t.replace(&s, "…");
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_urls_are_taken() {
        let y = StreamTarget::parse("rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop").unwrap();
        assert_eq!(y.protocol(), Protocol::Rtmp);
        assert_eq!(y.redacted(), "rtmp://a.rtmp.youtube.com:1935/live2/…");
        let f = StreamTarget::parse("rtmps://live-api-s.facebook.com:443/rtmp/FB-123-0-Ab").unwrap();
        assert_eq!(f.redacted(), "rtmps://live-api-s.facebook.com:443/rtmp/…");
        let s = StreamTarget::parse("srt://[::1]:9000?streamid=publish:room&passphrase=longsecret1").unwrap();
        assert_eq!(s.redacted(), "srt://[::1]:9000/…");
        assert!(!format!("{s:?}").contains("longsecret1"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_repeating_the_key() {
        for (url, says) in [
            ("http://example.com/live/K3Y", "scheme \"http\""),
            ("rtmp://example.com/K3Y", "application and a stream key"),
            ("rtmp:///live/K3Y", "host"),
            ("srt://media.example.com?passphrase=K3Y", "needs a port"),
            ("srt://media.example.com:9000/K3Y", "no path"),
            ("srt://media.example.com:9000?mode=listener&passphrase=K3Y", "caller"),
            ("rtmp://user:K3Y@example.com/live/K3Y", "user name"),
            ("rtmp://example.com/live/K3Y x", "spaces"),
            ("rtmp://example.com:0/live/K3Y", "port 0"),
            ("K3Y", "not a URL"),
        ] {
            let e = StreamTarget::parse(url).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
            assert!(!e.contains("K3Y"), "{url}: {e}");
        }
        assert!(StreamTarget::parse(&format!("rtmp://h/a/{}", "k".repeat(2000))).unwrap_err().contains("longer"));
    }

    #[test]
    fn error_texts_lose_the_key() {
        let t = StreamTarget::parse("rtmp://example.com/live/s3cr3t-k3y?x=token123").unwrap();
        let e =
            redact("Could not connect to rtmp://example.com/live/s3cr3t-k3y?x=token123: refused; key s3cr3t-k3y", &t);
        assert!(!e.contains("s3cr3t") && !e.contains("token123"), "{e}");
    }
}
