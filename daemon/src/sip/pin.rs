//! The PIN prompt of a conference that has one: a tone every second on the caller's audio
//! until the PIN is entered as DTMF (RFC 4733 events on the audio port, or SIP INFO), ended by
//! `#` or by reaching the PIN's length. Three wrong entries, or a minute without the right one,
//! end the call.

use crate::media::rtp_input::AudioCodec;
use crate::media::rtp_output::encode_chain;
use gstreamer as gst;
use gstreamer::prelude::*;
use std::net::SocketAddr;

pub const ATTEMPTS: u32 = 3;
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The prompt tone, sent while it lives.
pub struct Prompt {
    pipeline: gst::Pipeline,
}

impl Prompt {
    pub fn start(to: SocketAddr, codec: AudioCodec, pt: u8) -> anyhow::Result<Prompt> {
        let launch = format!(
            "audiotestsrc is-live=true wave=ticks freq=440 tick-interval=1000000000 sine-periods-per-tick=180 volume=0.4 \
             ! audio/x-raw,rate=48000,channels=1 ! audioconvert ! {} ! udpsink host={} port={} sync=false async=false",
            encode_chain(codec, pt),
            to.ip(),
            to.port()
        );
        let pipeline = crate::media::launch(&launch, "the PIN prompt")?;
        pipeline.set_state(gst::State::Playing)?;
        Ok(Prompt { pipeline })
    }
}

impl Drop for Prompt {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Digits typed so far against the PIN.
pub struct Entry {
    pin: String,
    typed: String,
    pub wrong: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    More,
    Right,
    Wrong,
    /// Too many wrong entries.
    Refused,
}

impl Entry {
    pub fn new(pin: &str) -> Entry {
        Entry { pin: pin.to_string(), typed: String::new(), wrong: 0 }
    }

    pub fn digit(&mut self, d: char) -> Verdict {
        if d == '*' {
            self.typed.clear();
            return Verdict::More;
        }
        if d != '#' {
            self.typed.push(d);
            if self.typed.len() < self.pin.len() {
                return Verdict::More;
            }
        }
        let right = self.typed == self.pin;
        self.typed.clear();
        if right {
            return Verdict::Right;
        }
        self.wrong += 1;
        if self.wrong >= ATTEMPTS { Verdict::Refused } else { Verdict::Wrong }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_is_checked_at_its_length_or_at_hash() {
        let mut e = Entry::new("1234");
        assert_eq!(e.digit('1'), Verdict::More);
        assert_eq!(e.digit('#'), Verdict::Wrong);
        for d in "123".chars() {
            assert_eq!(e.digit(d), Verdict::More);
        }
        assert_eq!(e.digit('4'), Verdict::Right);
        let mut e = Entry::new("42");
        assert_eq!(e.digit('9'), Verdict::More);
        assert_eq!(e.digit('*'), Verdict::More, "star starts over");
        assert_eq!(e.digit('4'), Verdict::More);
        assert_eq!(e.digit('2'), Verdict::Right);
        let mut e = Entry::new("42");
        assert_eq!(e.digit('#'), Verdict::Wrong);
        assert_eq!(e.digit('#'), Verdict::Wrong);
        assert_eq!(e.digit('#'), Verdict::Refused);
    }
}
