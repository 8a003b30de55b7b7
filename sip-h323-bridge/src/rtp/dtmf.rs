//! DTMF digits: RFC 4733 telephone-event packets (one digit per event, however many packets and
//! end-of-event retransmissions carry it) and SIP INFO bodies (`application/dtmf-relay`
//! `Signal=5`, `application/dtmf` `5`).

/// The digit of an RFC 4733 event code (0–15), if it is one.
pub fn digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

/// Turns a stream of telephone-event packets into digits.
#[derive(Debug, Default)]
pub struct EventReceiver {
    /// The current event: its timestamp, code, and whether its end was seen.
    last: Option<(u32, u8, bool)>,
}

impl EventReceiver {
    /// The digit a new event starts, for an RTP packet of payload type `pt`; `None` for other
    /// packets, repeats of the current event and malformed ones. All packets of one event share
    /// its timestamp (RFC 4733 §2.5.1.2); a new timestamp or code, or a packet without the end
    /// bit after the end, starts a new one.
    pub fn on_packet(&mut self, packet: &[u8], pt: u8) -> Option<char> {
        let (got, ts, body) = super::payload(packet)?;
        if got != pt || body.len() < 4 {
            return None;
        }
        let (code, end) = (body[0], body[1] & 0x80 != 0);
        let d = digit(code)?;
        let new = match self.last {
            Some((t, c, ended)) => t != ts || c != code || (ended && !end),
            None => true,
        };
        self.last = Some((ts, code, end || (!new && self.last.is_some_and(|l| l.2))));
        new.then_some(d)
    }
}

/// The digit in a SIP INFO body of `content_type`, if it carries one.
pub fn from_info(content_type: &str, body: &[u8]) -> Option<char> {
    let ct = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let text = std::str::from_utf8(body).ok()?;
    let value = match ct.as_str() {
        "application/dtmf-relay" => text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim().eq_ignore_ascii_case("signal").then(|| v.trim())
        })?,
        "application/dtmf" => text.trim(),
        _ => return None,
    };
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_digit() || "*#ABCD".contains(c.to_ascii_uppercase()) => {
            Some(c.to_ascii_uppercase())
        }
        // Some phones send the event number (10 for *, 11 for #).
        _ => value.parse::<u8>().ok().and_then(digit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ts: u32, ev: u8, end: bool) -> Vec<u8> {
        let mut p = vec![0x80, 101, 0, 1];
        p.extend(ts.to_be_bytes());
        p.extend([0, 0, 0, 1, ev, if end { 0x80 } else { 0 } | 10, 0, 160]);
        p
    }

    #[test]
    fn one_digit_per_event() {
        let mut r = EventReceiver::default();
        assert_eq!(r.on_packet(&event(1000, 1, false), 101), Some('1'));
        assert_eq!(r.on_packet(&event(1000, 1, false), 101), None);
        assert_eq!(r.on_packet(&event(1000, 1, true), 101), None);
        assert_eq!(r.on_packet(&event(1000, 1, true), 101), None);
        assert_eq!(r.on_packet(&event(1000, 1, false), 101), Some('1'), "the same event played again");
        assert_eq!(r.on_packet(&event(1000, 1, true), 101), None);
        assert_eq!(r.on_packet(&event(2000, 11, false), 101), Some('#'));
        assert_eq!(r.on_packet(&event(3000, 10, true), 101), Some('*'));
        assert_eq!(r.on_packet(&event(4000, 2, true), 96), None, "another payload type");
        assert_eq!(r.on_packet(&event(5000, 99, true), 101), None, "not a DTMF event");
        assert_eq!(r.on_packet(&[0x80, 101, 0], 101), None);
    }

    #[test]
    fn info_bodies() {
        assert_eq!(from_info("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n"), Some('5'));
        assert_eq!(from_info("Application/DTMF-Relay; x=y", b"signal= #\r\n"), Some('#'));
        assert_eq!(from_info("application/dtmf-relay", b"Signal=11\r\n"), Some('#'));
        assert_eq!(from_info("application/dtmf", b"7"), Some('7'));
        assert_eq!(from_info("application/dtmf", b"77"), None);
        assert_eq!(from_info("text/plain", b"7"), None);
        assert_eq!(from_info("application/dtmf-relay", b"Duration=160"), None);
        assert_eq!(from_info("application/dtmf-relay", &[0xff]), None);
    }
}
