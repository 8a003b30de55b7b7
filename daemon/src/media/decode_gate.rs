//! Decoding only what is seen: a participant's video that no output shows (outside every window,
//! camera off) is dropped before its decoder, which is most of what a participant costs. When
//! the picture is seen again, frames pass from the next keyframe on; the sender is asked for one
//! at once and again every second, and after [`GIVE_UP`] without one the frames pass anyway (a
//! sender that ignores requests still shows, as it would with loss).

use super::slot::MediaSlot;
use gstreamer as gst;
use gstreamer::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the sender is asked again while a keyframe is awaited.
const ASK_AGAIN: Duration = Duration::from_secs(1);
/// How long a keyframe is awaited before delta frames pass anyway.
const GIVE_UP: Duration = Duration::from_secs(3);

/// What happens to one frame on its way to the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Decode,
    /// Not decoded because nobody sees it.
    Hidden,
    /// Not decoded because a keyframe is awaited; `ask`: ask the sender for one now.
    Await {
        ask: bool,
    },
}

/// The gate's state: whether the decoder has to start again at a keyframe.
#[derive(Debug, Default)]
pub struct Resync {
    /// Since when a keyframe is awaited, and when one was last asked for.
    awaiting: Option<(Instant, Instant)>,
    /// Frames were dropped: the decoder restarts at a keyframe.
    broken: bool,
}

impl Resync {
    /// The next frame (`key`: a keyframe) while the picture is `decoding` or not.
    pub fn next(&mut self, decoding: bool, key: bool, now: Instant) -> Step {
        if !decoding {
            self.broken = true;
            self.awaiting = None;
            return Step::Hidden;
        }
        if !self.broken || key {
            self.broken = false;
            self.awaiting = None;
            return Step::Decode;
        }
        match self.awaiting {
            None => {
                self.awaiting = Some((now, now));
                Step::Await { ask: true }
            }
            Some((since, _)) if now.duration_since(since) >= GIVE_UP => {
                self.broken = false;
                self.awaiting = None;
                Step::Decode
            }
            Some((since, asked)) => {
                let ask = now.duration_since(asked) >= ASK_AGAIN;
                if ask {
                    self.awaiting = Some((since, now));
                }
                Step::Await { ask }
            }
        }
    }
}

/// Puts the gate on `decoder`'s input: frames the slot does not decode are dropped (counted in
/// `tessera_media_frames_not_decoded_total`, and still counted as media arriving).
pub fn install(decoder: &gst::Element, slot: Arc<MediaSlot>) {
    let Some(pad) = decoder.static_pad("sink") else { return };
    let hidden = metrics::counter!("tessera_media_frames_not_decoded_total");
    let state = Mutex::new(Resync::default());
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let Some(buffer) = info.buffer() else { return gst::PadProbeReturn::Ok };
        let key = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
        let step = state.lock().unwrap_or_else(|p| p.into_inner()).next(slot.decoding(), key, Instant::now());
        match step {
            Step::Decode => gst::PadProbeReturn::Ok,
            Step::Hidden => {
                slot.touch();
                hidden.increment(1);
                super::DISCARD
            }
            Step::Await { ask } => {
                slot.touch();
                if ask {
                    slot.ask_keyframe();
                    metrics::counter!("tessera_media_keyframes_asked_total").increment(1);
                }
                super::DISCARD
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_frames_are_dropped_and_decoding_resumes_at_a_keyframe() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut r = Resync::default();
        assert_eq!(r.next(true, false, at(0)), Step::Decode, "a picture seen from the start decodes");
        assert_eq!(r.next(false, false, at(33)), Step::Hidden);
        assert_eq!(r.next(false, true, at(66)), Step::Hidden, "even keyframes, while nobody sees it");
        // Seen again: a keyframe is asked for once, then each second, and the first one passes.
        assert_eq!(r.next(true, false, at(100)), Step::Await { ask: true });
        assert_eq!(r.next(true, false, at(133)), Step::Await { ask: false });
        assert_eq!(r.next(true, false, at(1100)), Step::Await { ask: true });
        assert_eq!(r.next(true, true, at(1133)), Step::Decode);
        assert_eq!(r.next(true, false, at(1166)), Step::Decode, "then every frame");
    }

    #[test]
    fn a_sender_that_sends_no_keyframe_is_decoded_anyway_after_a_while() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut r = Resync::default();
        assert_eq!(r.next(false, false, at(0)), Step::Hidden);
        assert_eq!(r.next(true, false, at(10)), Step::Await { ask: true });
        assert_eq!(r.next(true, false, at(2999)), Step::Await { ask: true });
        assert_eq!(r.next(true, false, at(3010)), Step::Decode);
        assert_eq!(r.next(true, false, at(3043)), Step::Decode);
    }
}
