//! Where a source leaves its media for the conference's engine: the latest decoded video frame
//! (older ones are simply replaced: the compositor wants the newest picture) and a bounded queue
//! of 48 kHz mono samples (oldest dropped when a source runs ahead of the mixer).

use gstreamer as gst;
use gstreamer_app as gst_app;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// At most this much audio waits for the mixer (200 ms at 48 kHz).
const MAX_QUEUED_SAMPLES: usize = 48_000 / 5;

/// A decoded I420 frame: the GStreamer buffer, not a copy, and where its planes are.
#[derive(Clone)]
pub struct VideoFrame {
    pub buffer: gst::Buffer,
    pub width: u32,
    pub height: u32,
    pub offsets: [usize; 3],
    pub strides: [usize; 3],
    pub seq: u64,
}

/// What the media plane asks of a participant's sender through its way in: a keyframe (a
/// browser's PLI, a phone's RTCP PLI or FIR) when its picture is seen again, and the largest size
/// its picture is shown at (a browser scales what it sends down to it). The media plane sets,
/// the signalling side asks.
#[derive(Debug)]
pub struct Asks {
    pub keyframe: tokio::sync::Notify,
    /// Width and height of the largest window showing the picture; `None`: not shown.
    pub shown: tokio::sync::watch::Sender<Option<(u32, u32)>>,
}

impl Default for Asks {
    fn default() -> Asks {
        Asks { keyframe: tokio::sync::Notify::new(), shown: tokio::sync::watch::channel(None).0 }
    }
}

/// A participant's [`Asks`], shared by its slot and its way in.
pub type SenderAsks = Arc<Asks>;

/// A picture nobody has seen for this long is no longer decoded (a speaker layout's thumbnails
/// trade places with the speaker; a short absence keeps the decoder warm).
const UNDECODED_AFTER_MS: u64 = 2_000;

#[derive(Default)]
pub struct MediaSlot {
    video: Mutex<Option<VideoFrame>>,
    audio: Mutex<VecDeque<i16>>,
    seq: AtomicU64,
    /// When media last arrived, in ms of [`clock_ms`] (0: not yet).
    last_input_ms: AtomicU64,
    /// Since when no output shows this picture, in ms of [`clock_ms`] (0: shown).
    hidden_since_ms: AtomicU64,
    /// What is asked of the sender (keyframes, its size); without it the video is always decoded.
    ask: Option<SenderAsks>,
}

/// Milliseconds on a monotonic clock that starts with the process (never 0 once read).
fn clock_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_millis() as u64 + 1
}

impl MediaSlot {
    /// A slot whose sender can be asked for keyframes (`ask`): its video is then left undecoded
    /// while nobody sees it.
    pub fn asking(ask: Option<SenderAsks>) -> MediaSlot {
        MediaSlot { ask, ..MediaSlot::default() }
    }

    /// Whether some output someone receives shows this picture (the engine says so each frame).
    pub fn set_shown(&self, shown: bool) {
        if shown {
            self.hidden_since_ms.store(0, Ordering::Relaxed);
        } else if self.hidden_since_ms.load(Ordering::Relaxed) == 0 {
            self.hidden_since_ms.store(clock_ms(), Ordering::Relaxed);
        }
    }

    /// Whether the video is to be decoded: always, unless the sender can be asked for a
    /// keyframe and nobody has seen the picture for [`UNDECODED_AFTER_MS`].
    pub fn decoding(&self) -> bool {
        let hidden = self.hidden_since_ms.load(Ordering::Relaxed);
        self.ask.is_none() || hidden == 0 || clock_ms().saturating_sub(hidden) < UNDECODED_AFTER_MS
    }

    /// Asks the sender for a keyframe (its way in sends the request).
    pub fn ask_keyframe(&self) {
        if let Some(a) = &self.ask {
            a.keyframe.notify_one();
        }
    }

    /// Tells the sender the largest size its picture is shown at (`None`: nowhere).
    pub fn show_at(&self, size: Option<(u32, u32)>) {
        if let Some(a) = &self.ask {
            a.shown.send_if_modified(|s| std::mem::replace(s, size) != size);
        }
    }

    /// Marks media as arrived now (a new slot counts from when it is made, see [`Self::quiet_for`]).
    pub fn touch(&self) {
        self.last_input_ms.store(clock_ms(), Ordering::Relaxed);
    }

    /// How long no media has arrived: since the last frame or samples, or since `since_ms` (the
    /// slot's start, from [`Self::now_ms`]) if none came yet.
    pub fn quiet_for(&self, since_ms: u64) -> std::time::Duration {
        let last = self.last_input_ms.load(Ordering::Relaxed).max(since_ms);
        std::time::Duration::from_millis(clock_ms().saturating_sub(last))
    }

    /// The clock [`Self::quiet_for`] counts on.
    pub fn now_ms() -> u64 {
        clock_ms()
    }

    pub fn put_video(&self, buffer: gst::Buffer, info: &gstreamer_video::VideoInfo) {
        self.touch();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let o = info.offset();
        let s = info.stride();
        let frame = VideoFrame {
            buffer,
            width: info.width(),
            height: info.height(),
            offsets: [o[0], o[1], o[2]],
            strides: [s[0] as usize, s[1] as usize, s[2] as usize],
            seq,
        };
        // A poisoned lock only means a panicking writer; the data is a plain replaceable value.
        *self.video.lock().unwrap_or_else(|p| p.into_inner()) = Some(frame);
    }

    /// Forgets the last picture (its camera went away): the layout shows the placeholder.
    pub fn clear_video(&self) {
        *self.video.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn latest_video(&self) -> Option<VideoFrame> {
        self.video.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn put_audio(&self, samples: impl Iterator<Item = i16>) {
        self.touch();
        let mut q = self.audio.lock().unwrap_or_else(|p| p.into_inner());
        q.extend(samples);
        if q.len() > MAX_QUEUED_SAMPLES {
            let extra = q.len() - MAX_QUEUED_SAMPLES;
            q.drain(..extra);
            metrics::counter!("tessera_media_audio_samples_dropped_total").increment(extra as u64);
        }
    }

    /// Takes exactly `n` samples if that many are queued.
    pub fn take_audio(&self, n: usize, out: &mut Vec<i16>) -> bool {
        let mut q = self.audio.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() < n {
            return false;
        }
        out.clear();
        out.extend(q.drain(..n));
        true
    }
}

/// Delivers every decoded I420 frame of `sink` to `slot`.
pub fn feed_video(sink: &gst_app::AppSink, slot: Arc<MediaSlot>) {
    let frames = metrics::counter!("tessera_media_frames_received_total");
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let info = sample
                    .caps()
                    .and_then(|c| gstreamer_video::VideoInfo::from_caps(c).ok())
                    .ok_or(gst::FlowError::NotNegotiated)?;
                if let Some(buffer) = sample.buffer_owned() {
                    slot.put_video(buffer, &info);
                    frames.increment(1);
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
}

/// Delivers the 48 kHz mono S16LE samples of `sink` to `slot`.
pub fn feed_audio(sink: &gst_app::AppSink, slot: Arc<MediaSlot>) {
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                if let Some(b) = sample.buffer() {
                    let map = b.map_readable().map_err(|_| gst::FlowError::Error)?;
                    slot.put_audio(map.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])));
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
}
