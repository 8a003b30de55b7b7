//! Answering NACKs (RFC 4585 generic NACK): the packets recently sent on a stream
//! ([`History`]) and the rule for which of the packets a NACK names are resent ([`Guard`]), one
//! rule for browsers and SIP phones. A receiver on a lossy link names each missing packet again
//! every round trip (a few milliseconds on a LAN), so resending all it names, as often as it
//! names them, sends a link that loses half of what it gets many times more — and that is lost
//! too. The guard lets each sequence number through at most [`MAX_TIMES`] times,
//! [`MIN_INTERVAL`] apart, and no more retransmissions in a second than [`BUDGET`] of the
//! packets sent in it; the receiver asks for a keyframe when too much stays missing, and its
//! quality tier moves down.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How many times one packet is resent at most.
pub const MAX_TIMES: u8 = 2;
/// How long after resending a packet it may be resent again.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Retransmissions allowed per packet sent, over a second.
pub const BUDGET: f64 = 0.5;
/// How long a resent packet is remembered.
const MEMORY: Duration = Duration::from_secs(3);

#[derive(Debug, Default)]
pub struct Guard {
    /// By media SSRC and sequence number: how often it was let through, and when last.
    resent: HashMap<(u32, u16), (u8, Instant)>,
    /// The current second: when it began, packets sent, retransmissions let through.
    window: Option<(Instant, u32, u32)>,
    /// Packets sent in the previous second (the budget's base).
    sent_before: u32,
}

impl Guard {
    fn budget_left(&mut self, now: Instant) -> u32 {
        let (start, sent, resent) = *self.window.get_or_insert((now, 0, 0));
        if now.duration_since(start) >= Duration::from_secs(1) {
            self.sent_before = sent;
            self.window = Some((now, 0, 0));
            self.resent.retain(|_, (_, at)| now.duration_since(*at) < MEMORY);
            return (f64::from(sent) * BUDGET) as u32;
        }
        ((f64::from(self.sent_before.max(sent)) * BUDGET) as u32).saturating_sub(resent)
    }

    /// Counts a packet sent on the stream (the budget's base).
    pub fn sent(&mut self, now: Instant) {
        self.budget_left(now);
        if let Some(w) = self.window.as_mut() {
            w.1 += 1;
        }
    }

    /// The sequence numbers of `seqs` (NACKed, of source `ssrc`) that may be resent now, in
    /// order; they are counted as resent. The rest are refused.
    pub fn allow(&mut self, ssrc: u32, seqs: impl IntoIterator<Item = u16>, now: Instant) -> Vec<u16> {
        let mut left = self.budget_left(now);
        let mut allowed = Vec::new();
        for seq in seqs {
            if left == 0 {
                continue;
            }
            let times = match self.resent.get(&(ssrc, seq)) {
                Some(&(n, at)) if n >= MAX_TIMES || now.duration_since(at) < MIN_INTERVAL => continue,
                Some(&(n, _)) => n + 1,
                None => 1,
            };
            self.resent.insert((ssrc, seq), (times, now));
            left -= 1;
            allowed.push(seq);
        }
        if let Some(w) = self.window.as_mut() {
            w.2 += allowed.len() as u32;
        }
        allowed
    }
}

/// How many sent packets a [`History`] keeps: about seven seconds of a 2 Mbit/s stream, more
/// than any receiver waits for a retransmission.
pub const KEPT: usize = 1024;

/// The last [`KEPT`] packets sent on one stream, by sequence number, as they went on the wire
/// (SRTP-protected when the stream is: resending the same protected packet leaks nothing).
#[derive(Debug)]
pub struct History {
    slots: Vec<Option<(u16, Vec<u8>)>>,
}

impl Default for History {
    fn default() -> History {
        History { slots: vec![None; KEPT] }
    }
}

impl History {
    /// Keeps `wire` (the packet as sent), filed under `seq`, its RTP sequence number.
    pub fn keep(&mut self, seq: u16, wire: &[u8]) {
        let slot = &mut self.slots[usize::from(seq) % KEPT];
        match slot {
            Some((s, bytes)) => {
                *s = seq;
                bytes.clear();
                bytes.extend_from_slice(wire);
            }
            None => *slot = Some((seq, wire.to_vec())),
        }
    }

    /// The packet sent with sequence number `seq`, while it is kept.
    pub fn get(&self, seq: u16) -> Option<&[u8]> {
        match &self.slots[usize::from(seq) % KEPT] {
            Some((s, bytes)) if *s == seq => Some(bytes),
            _ => None,
        }
    }
}

/// The RTP sequence number of a packet (its header is in the clear even under SRTP).
pub fn sequence(p: &[u8]) -> Option<u16> {
    super::header_len(p).map(|_| u16::from_be_bytes([p[2], p[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_packet_is_resent_at_most_twice_a_little_apart() {
        let t0 = Instant::now();
        let mut g = Guard::default();
        for _ in 0..100 {
            g.sent(t0);
        }
        assert_eq!(g.allow(7, [5, 6], t0), vec![5, 6]);
        // Named again within 100 ms: refused.
        assert!(g.allow(7, [5], t0 + Duration::from_millis(20)).is_empty());
        assert_eq!(g.allow(7, [5], t0 + Duration::from_millis(150)), vec![5]);
        // A third time: refused, however late.
        assert!(g.allow(7, [5], t0 + Duration::from_millis(400)).is_empty());
        // Another source's packet of the same number is another packet.
        assert_eq!(g.allow(8, [5], t0 + Duration::from_millis(400)), vec![5]);
    }

    #[test]
    fn retransmissions_stay_within_half_of_what_is_sent() {
        let t0 = Instant::now();
        let mut g = Guard::default();
        for _ in 0..40 {
            g.sent(t0);
        }
        let allowed = g.allow(1, 0..100, t0 + Duration::from_millis(10));
        assert_eq!(allowed, (0..20).collect::<Vec<_>>());
        assert!(g.allow(1, 100..110, t0 + Duration::from_millis(20)).is_empty());
        // Nothing sent: nothing resent.
        let mut idle = Guard::default();
        assert!(idle.allow(1, [1], t0).is_empty());
    }

    #[test]
    fn the_history_gives_back_what_was_sent_while_it_is_kept() {
        let mut h = History::default();
        h.keep(10, b"ten");
        h.keep(11, b"eleven");
        assert_eq!(h.get(10), Some(&b"ten"[..]));
        assert_eq!(h.get(12), None);
        // 10 + KEPT lands in 10's slot: 10 is gone.
        h.keep(10u16.wrapping_add(KEPT as u16), b"later");
        assert_eq!(h.get(10), None);
        assert_eq!(h.get(10 + KEPT as u16), Some(&b"later"[..]));
        assert_eq!(sequence(&[0x80, 96, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 1]), Some(0x1234));
        assert_eq!(sequence(&[0x80, 96]), None);
    }
}
