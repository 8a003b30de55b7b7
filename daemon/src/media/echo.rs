//! Echo cancellation for a room whose microphone hears its own loudspeaker (which would send
//! everyone's voice back to them): WebRTC's audio processing through GStreamer's `webrtcdsp` on
//! the microphone's samples, with what the loudspeaker plays as its reference through
//! `webrtcechoprobe`. Both pipelines run on one clock from one base time, and each block is
//! placed at when the device captured it or will play it (as `cpal` tells), so the canceller
//! knows the room's delay. (Its delay-agnostic mode, which guesses the delay instead, locked on
//! in one run out of three in the end-to-end test.)
//!
//! Gain control and noise suppression stay off: the conference's levels are the mixer's, and a
//! room's microphones often do their own.

use super::slot::{MediaSlot, feed_audio};
use super::synthetic::{appsink, appsrc};
use anyhow::Context;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const CAPS: &str = "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved";

pub struct EchoCanceller {
    near: gst::Pipeline,
    far: gst::Pipeline,
    near_src: Stamped,
    far_src: Stamped,
}

/// An appsrc fed whole 10 ms blocks whose timestamps follow one another without gaps: the
/// canceller works on 10 ms and drops what it holds at every discontinuity, and GStreamer 1.22's
/// `webrtcdsp` marks one after every buffer too short to give output (so a device's 5 ms blocks
/// would never add up); arrival times would make every burst of blocks one too. The first block,
/// and any after the stream drifted 200 ms from the clock, is placed at the clock's running time
/// when its sound was captured (the microphone) or will be heard (the loudspeaker), as the
/// device tells: that is what lines the microphone's echo up with the loudspeaker's sound.
struct Stamped {
    src: gst_app::AppSrc,
    clock: gst::Clock,
    base: gst::ClockTime,
    next: std::sync::Mutex<Option<gst::ClockTime>>,
    pending: std::sync::Mutex<Vec<i16>>,
}

/// 10 ms at 48 kHz.
const BLOCK: usize = 480;

impl Stamped {
    /// `when` is how far from now the samples' sound was or will be: negative for the past.
    fn push(&self, samples: &[i16], when: i64) {
        let whole = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.extend_from_slice(samples);
            let n = pending.len() / BLOCK * BLOCK;
            if n == 0 {
                return;
            }
            pending.drain(..n).collect::<Vec<i16>>()
        };
        self.push_blocks(&whole, when);
    }

    fn push_blocks(&self, samples: &[i16], when: i64) {
        let now = self.clock.time().saturating_sub(self.base);
        let now = if when < 0 {
            now.saturating_sub(gst::ClockTime::from_nseconds(when.unsigned_abs()))
        } else {
            now + gst::ClockTime::from_nseconds(when as u64)
        };
        let duration = gst::ClockTime::from_nseconds(samples.len() as u64 * 1_000_000_000 / 48_000);
        let pts = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let pts = match *next {
                Some(n) if n.absdiff(now) < gst::ClockTime::from_mseconds(200) => n,
                _ => now,
            };
            *next = Some(pts + duration);
            pts
        };
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut buffer = gst::Buffer::from_mut_slice(bytes);
        if let Some(b) = buffer.get_mut() {
            b.set_pts(pts);
            b.set_duration(duration);
        }
        let _ = self.src.push_buffer(buffer);
    }
}

impl EchoCanceller {
    /// The microphone's samples, with the echo taken out, go to `slot`; [`Self::far`] is to be
    /// told what the loudspeaker plays as it goes to the device.
    pub fn start(name: &str, slot: Arc<MediaSlot>) -> anyhow::Result<EchoCanceller> {
        static N: AtomicU64 = AtomicU64::new(0);
        let probe = format!("tessera-echo-{}", N.fetch_add(1, Ordering::Relaxed));
        let src = format!("appsrc name=src is-live=true format=time caps={CAPS}");
        let sink = "appsink name=sink sync=false async=false max-buffers=50 drop=true";
        // The reference first: the canceller finds its probe by name when it starts.
        let far = super::launch(
            &format!("{src} ! webrtcechoprobe name={probe} ! fakesink sync=false async=false"),
            "an echo reference",
        )?;
        let near = super::launch(
            &format!(
                "{src} ! audioconvert ! webrtcdsp probe={probe} echo-cancel=true delay-agnostic=false \
                 extended-filter=true noise-suppression=false gain-control=false ! audioconvert ! {CAPS} ! {sink}"
            ),
            "an echo canceller",
        )?;
        let clock = gst::SystemClock::obtain();
        let base = clock.time();
        for p in [&far, &near] {
            p.use_clock(Some(&clock));
            p.set_start_time(gst::ClockTime::NONE);
            p.set_base_time(base);
        }
        feed_audio(&appsink(&near, "sink")?, slot);
        let stamped = |p: &gst::Pipeline| -> anyhow::Result<Stamped> {
            Ok(Stamped {
                src: appsrc(p.upcast_ref(), "src")?,
                clock: clock.clone(),
                base,
                next: Default::default(),
                pending: Default::default(),
            })
        };
        let (far_src, near_src) = (stamped(&far)?, stamped(&near)?);
        super::watch_bus(&far, format!("echo reference of {name}"), |_| {});
        super::watch_bus(&near, format!("echo canceller of {name}"), |_| {});
        far.set_state(gst::State::Playing).context("starting the echo reference")?;
        near.set_state(gst::State::Playing).context("starting the echo canceller")?;
        Ok(EchoCanceller { near, far, near_src, far_src })
    }

    /// The microphone's samples, captured `ago`.
    pub fn near(&self, samples: &[i16], ago: std::time::Duration) {
        self.near_src.push(samples, -(ago.as_nanos().min(i64::MAX as u128) as i64));
    }

    /// What the loudspeaker plays, as it goes to the device, to be heard `ahead` from now.
    pub fn far(&self, samples: &[i16], ahead: std::time::Duration) {
        self.far_src.push(samples, ahead.as_nanos().min(i64::MAX as u128) as i64);
    }
}

impl Drop for EchoCanceller {
    fn drop(&mut self) {
        let _ = self.near.set_state(gst::State::Null);
        let _ = self.far.set_state(gst::State::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_microphone_comes_through_in_bursts_of_short_blocks() {
        gst::init().unwrap();
        let slot = Arc::new(MediaSlot::default());
        let ec = EchoCanceller::start("test", slot.clone()).unwrap();
        let tone: Vec<i16> = (0..960).map(|i| ((i as f64 * 0.13).sin() * 8000.0) as i16).collect();
        // The microphone's samples in bursts of four 5 ms blocks, as devices hand them over.
        for _ in 0..50 {
            ec.far(&vec![0; 960], std::time::Duration::ZERO);
            for block in tone.chunks(240) {
                ec.near(block, std::time::Duration::ZERO);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        // The slot keeps the last 200 ms: full, and loud.
        let mut h = Vec::new();
        assert!(slot.take_audio(9600, &mut h), "200 ms came through");
        let peak = h.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(peak > 4000, "the microphone's tone comes through: peak {peak}");
    }
}
