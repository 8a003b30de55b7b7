//! The size a participant's picture is shown at, as its sender is told it: the largest window
//! that shows it in any output someone receives. A larger size is told at once (the picture
//! must not look worse than it could); a smaller one, or none, only once it has lasted
//! [`SHRINK_AFTER`], so that a speaker layout's thumbnails trading places with the speaker do
//! not make senders change their resolution back and forth.

use std::time::{Duration, Instant};

pub const SHRINK_AFTER: Duration = Duration::from_secs(3);

pub type Size = (u32, u32);

/// What a sender was told and since when it has been shown smaller.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Told {
    pub size: Option<Size>,
    smaller_since: Option<Instant>,
}

fn area(s: Option<Size>) -> u64 {
    s.map_or(0, |(w, h)| u64::from(w) * u64::from(h))
}

impl Told {
    /// The picture is shown at `now_shown` (`None`: nowhere) at `now`; returns the size to tell
    /// the sender when it changes.
    pub fn update(&mut self, now_shown: Option<Size>, now: Instant) -> Option<Option<Size>> {
        if now_shown == self.size {
            self.smaller_since = None;
            return None;
        }
        if area(now_shown) > area(self.size) {
            self.smaller_since = None;
            self.size = now_shown;
            return Some(now_shown);
        }
        let since = *self.smaller_since.get_or_insert(now);
        if now.duration_since(since) >= SHRINK_AFTER {
            self.smaller_since = None;
            self.size = now_shown;
            return Some(now_shown);
        }
        None
    }
}

/// What a sender that takes bit-rate requests (SIP TMMBR) is asked to send for a picture shown
/// at `size`: about 1.65 bits per pixel per second (1280x720 at 1.5 Mbit/s, 640x360 at 380
/// kbit/s, 320x180 at 95), never below [`LEAST_BITRATE`], which is also what a picture nobody
/// sees is asked for (it is not decoded; it comes back at once when shown).
pub fn bitrate_for(size: Option<Size>) -> u64 {
    let pixels = size.map_or(0, |(w, h)| u64::from(w) * u64::from(h));
    (pixels * 33 / 20).max(LEAST_BITRATE)
}

/// The least bit rate a sender is asked for, bits per second.
pub const LEAST_BITRATE: u64 = 64_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitrates_follow_the_shown_area() {
        assert_eq!(bitrate_for(Some((1280, 720))), 1_520_640);
        assert_eq!(bitrate_for(Some((640, 360))), 380_160);
        assert_eq!(bitrate_for(Some((160, 90))), LEAST_BITRATE);
        assert_eq!(bitrate_for(None), LEAST_BITRATE);
    }

    #[test]
    fn larger_is_told_at_once_and_smaller_once_it_lasts() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut t = Told::default();
        assert_eq!(t.update(Some((320, 180)), at(0)), Some(Some((320, 180))));
        assert_eq!(t.update(Some((320, 180)), at(33)), None, "unchanged: nothing to tell");
        assert_eq!(t.update(Some((1280, 720)), at(66)), Some(Some((1280, 720))), "the speaker's window, at once");
        // Back to a thumbnail for a moment, then large again: never told.
        assert_eq!(t.update(Some((320, 180)), at(100)), None);
        assert_eq!(t.update(Some((1280, 720)), at(1000)), None);
        // A thumbnail for good: told after three seconds.
        assert_eq!(t.update(Some((320, 180)), at(2000)), None);
        assert_eq!(t.update(Some((320, 180)), at(4999)), None);
        assert_eq!(t.update(Some((320, 180)), at(5000)), Some(Some((320, 180))));
        // Hidden counts as smaller.
        assert_eq!(t.update(None, at(6000)), None);
        assert_eq!(t.update(None, at(9000)), Some(None));
        assert_eq!(t.size, None);
    }
}
