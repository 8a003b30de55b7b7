//! The PIN prompt of a conference that has one: a tone every second on the caller's audio
//! until the PIN is entered as DTMF (RFC 4733 events on the audio port, or SIP INFO), ended by
//! `#` or by reaching the PIN's length. Three wrong entries, a throttled address, or a minute
//! without the right one, end the call.

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
    /// `protect`: SRTP for a call that negotiated it.
    pub fn start(
        to: SocketAddr,
        codec: AudioCodec,
        pt: u8,
        protect: Option<crate::media::srtp::Srtp>,
    ) -> anyhow::Result<Prompt> {
        let launch = format!(
            "audiotestsrc is-live=true wave=ticks freq=440 tick-interval=1000000000 sine-periods-per-tick=180 volume=0.4 \
             ! audio/x-raw,rate=48000,channels=1 ! audioconvert ! {} ! udpsink name=out host={} port={} sync=false async=false",
            encode_chain(codec, pt, false),
            to.ip(),
            to.port()
        );
        let pipeline = crate::media::launch(&launch, "the PIN prompt")?;
        if let (Some(sink), Some(p)) = (pipeline.by_name("out"), protect) {
            crate::media::srtp::protect_sink(&sink, p);
        }
        pipeline.set_state(gst::State::Playing)?;
        Ok(Prompt { pipeline })
    }
}

impl Drop for Prompt {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Digits typed so far against the PIN. What was typed is checked by the lockout service
/// (`LockoutService::check_pin`, the rule every way in shares); this only collects the digits
/// and counts this call's wrong entries.
pub struct Entry {
    pin: String,
    typed: String,
    pub wrong: u32,
}

impl Entry {
    pub fn new(pin: &str) -> Entry {
        Entry { pin: pin.to_string(), typed: String::new(), wrong: 0 }
    }

    /// The PIN the entry is checked against.
    pub fn expected(&self) -> &str {
        &self.pin
    }

    /// One key: `Some(entry)` when an entry is complete (at the PIN's length, or at `#`), to be
    /// checked; `*` starts over.
    pub fn digit(&mut self, d: char) -> Option<String> {
        if d == '*' {
            self.typed.clear();
            return None;
        }
        if d != '#' {
            self.typed.push(d);
            if self.typed.len() < self.pin.len() {
                return None;
            }
        }
        Some(std::mem::take(&mut self.typed))
    }

    /// Counts a wrong entry; `true` when the call has had its [`ATTEMPTS`].
    pub fn wrong_entry(&mut self) -> bool {
        self.wrong += 1;
        self.wrong >= ATTEMPTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_ends_at_the_pins_length_or_at_hash() {
        let mut e = Entry::new("1234");
        assert_eq!(e.digit('1'), None);
        assert_eq!(e.digit('#'), Some("1".into()));
        for d in "123".chars() {
            assert_eq!(e.digit(d), None);
        }
        assert_eq!(e.digit('4'), Some("1234".into()));
        let mut e = Entry::new("42");
        assert_eq!(e.digit('9'), None);
        assert_eq!(e.digit('*'), None, "star starts over");
        assert_eq!(e.digit('4'), None);
        assert_eq!(e.digit('2'), Some("42".into()));
        assert!(!e.wrong_entry() && !e.wrong_entry() && e.wrong_entry(), "the third wrong entry ends it");
    }
}
