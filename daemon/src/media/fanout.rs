//! One encoded stream, many receivers: every sample the shared encoder produces is handed to each
//! subscribed `appsrc` (an RTSP client's media, the multicast sender, the recorder) by reference,
//! never encoded again. A receiver that went away is dropped at its next push.

use gstreamer as gst;
use gstreamer_app as gst_app;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How a receiver's buffers are timed.
#[derive(Clone)]
pub enum Timing {
    /// Timestamps removed: the live receiver's `appsrc do-timestamp=true` stamps arrival time.
    Live,
    /// Timestamps kept, shifted so the receiver starts at zero: for files. Video and audio of one
    /// file share the base, set by the first video keyframe, so they stay in sync.
    Rebased(Arc<Mutex<Option<gst::ClockTime>>>),
}

struct Subscriber {
    id: u64,
    src: gst_app::AppSrc,
    timing: Timing,
    /// Video receivers start at a keyframe.
    needs_keyframe: bool,
    /// Audio waits for the video's base.
    follows_base: bool,
    /// Audio of a live pair waits until its video has started (from a keyframe), so that a
    /// receiver never describes a stream with audio and no video yet (an RTSP client would get
    /// an SDP without video).
    gate: Option<Arc<std::sync::atomic::AtomicBool>>,
}

#[derive(Default)]
pub struct Fanout {
    subs: Mutex<Vec<Subscriber>>,
    next: AtomicU64,
    pub samples: AtomicU64,
}

impl Fanout {
    pub fn subscribe(&self, src: gst_app::AppSrc, timing: Timing, video: bool) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let follows_base = !video && matches!(timing, Timing::Rebased(_));
        self.lock().push(Subscriber { id, src, timing, needs_keyframe: video, follows_base, gate: None });
        id
    }

    /// Subscribes `src` behind a gate that another subscription opens (see [`Fanout::subscribe_gate`]).
    pub fn subscribe_gated(&self, src: gst_app::AppSrc, gate: Arc<std::sync::atomic::AtomicBool>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock().push(Subscriber {
            id,
            src,
            timing: Timing::Live,
            needs_keyframe: false,
            follows_base: false,
            gate: Some(gate),
        });
        id
    }

    /// Subscribes a live video receiver that opens `gate` when its first keyframe goes out.
    pub fn subscribe_gate(&self, src: gst_app::AppSrc, gate: Arc<std::sync::atomic::AtomicBool>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock().push(Subscriber {
            id,
            src,
            timing: Timing::Live,
            needs_keyframe: true,
            follows_base: false,
            gate: Some(gate),
        });
        id
    }

    /// Whether anyone receives this stream now (an RTSP client, a sender, the recorder…).
    pub fn watched(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Whether the encoder has produced anything yet.
    pub fn started(&self) -> bool {
        self.samples.load(Ordering::Relaxed) > 0
    }

    pub fn unsubscribe(&self, id: u64) {
        self.lock().retain(|s| s.id != id);
    }

    /// Ends every receiver's stream (the output is going away).
    pub fn finish(&self) {
        for s in self.lock().drain(..) {
            let _ = s.src.end_of_stream();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber>> {
        self.subs.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push(&self, sample: &gst::Sample) {
        self.samples.fetch_add(1, Ordering::Relaxed);
        let Some(buffer) = sample.buffer_owned() else { return };
        let caps = sample.caps_owned();
        let keyframe = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
        let pts = buffer.pts();
        self.lock().retain_mut(|s| {
            if s.needs_keyframe {
                if !keyframe {
                    return true;
                }
                s.needs_keyframe = false;
                if let Some(g) = &s.gate {
                    // This is the video of a gated pair: its audio may start now.
                    g.store(true, Ordering::Release);
                }
            } else if let Some(g) = &s.gate
                && !g.load(Ordering::Acquire)
            {
                return true;
            }
            let mut out = buffer.clone();
            {
                let b = out.make_mut();
                match &s.timing {
                    Timing::Live => {
                        b.set_pts(gst::ClockTime::NONE);
                        b.set_dts(gst::ClockTime::NONE);
                    }
                    Timing::Rebased(base) => {
                        let mut base = base.lock().unwrap_or_else(|p| p.into_inner());
                        if base.is_none() {
                            if s.follows_base {
                                return true;
                            }
                            *base = pts;
                        }
                        let (Some(base), Some(pts)) = (*base, pts) else { return true };
                        let Some(t) = pts.checked_sub(base) else {
                            tracing::trace!(?pts, ?base, "sample before the receiver's start dropped");
                            return true;
                        };
                        b.set_pts(t);
                        b.set_dts(t);
                    }
                }
            }
            match s.src.push_sample(&sample_of(&out, caps.as_deref())) {
                Ok(_) => true,
                Err(e) => {
                    tracing::debug!(receiver = s.id, error = ?e, "encoded-stream receiver gone");
                    false
                }
            }
        });
    }
}

/// A sample of `buffer` with `caps`, when there are any.
pub fn sample_of(buffer: &gst::Buffer, caps: Option<&gst::CapsRef>) -> gst::Sample {
    let builder = gst::Sample::builder().buffer(buffer);
    match caps {
        Some(c) => builder.caps(&c.to_owned()).build(),
        None => builder.build(),
    }
}
