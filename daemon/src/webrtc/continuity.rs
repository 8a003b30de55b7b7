//! One RTP stream to the browser out of several senders. The runtime replaces the sender of a
//! participant's video when its view or its quality tier changes: a new payloader, with an SSRC,
//! sequence numbers and timestamps of its own. The browser must see one stream going on, as an
//! SFU's receiver sees one stream when it switches layers: each packet's sequence number and
//! timestamp are rewritten to follow the previous sender's, and late packets of a sender that
//! was replaced are dropped. Sans-IO: the time of each packet is an input.

use std::collections::VecDeque;

/// How many replaced senders are remembered (their late packets dropped).
const RETIRED: usize = 4;

pub struct Continuity {
    clock_rate: u32,
    /// The sender now: its SSRC and what is added to its sequence numbers and timestamps.
    current: Option<(u32, u16, u32)>,
    retired: VecDeque<u32>,
    /// The newest packet sent on: sequence number, timestamp, when (ms).
    last: Option<(u16, u32, u64)>,
}

impl Continuity {
    pub fn new(clock_rate: u32) -> Continuity {
        Continuity { clock_rate, current: None, retired: VecDeque::new(), last: None }
    }

    /// The sequence number and timestamp a packet of `ssrc` goes on with, or `None` to drop it.
    pub fn rewrite(&mut self, ssrc: u32, seq: u16, ts: u32, now_ms: u64) -> Option<(u16, u32)> {
        if self.retired.contains(&ssrc) {
            return None;
        }
        let (seq_add, ts_add) = match self.current {
            Some((s, seq_add, ts_add)) if s == ssrc => (seq_add, ts_add),
            previous => {
                if let Some((old, ..)) = previous {
                    if self.retired.len() == RETIRED {
                        self.retired.pop_front();
                    }
                    self.retired.push_back(old);
                }
                // The first sender's numbers are kept; a later one's follow the last packet,
                // its timestamp advanced by the time since (at least one tick).
                let (seq_add, ts_add) = match self.last {
                    None => (0, 0),
                    Some((last_seq, last_ts, at)) => {
                        let ticks = (now_ms.saturating_sub(at) * u64::from(self.clock_rate) / 1000).max(1) as u32;
                        (last_seq.wrapping_add(1).wrapping_sub(seq), last_ts.wrapping_add(ticks).wrapping_sub(ts))
                    }
                };
                self.current = Some((ssrc, seq_add, ts_add));
                (seq_add, ts_add)
            }
        };
        let out = (seq.wrapping_add(seq_add), ts.wrapping_add(ts_add));
        // Only a newer packet moves "last" (a reordered one does not).
        let newer = self.last.is_none_or(|(s, ..)| (out.0.wrapping_sub(s) as i16) > 0);
        if newer {
            self.last = Some((out.0, out.1, now_ms));
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_sender_follows_the_previous_one_and_the_old_ones_late_packets_are_dropped() {
        let mut c = Continuity::new(90_000);
        // The first sender's numbers go on as they are.
        assert_eq!(c.rewrite(7, 100, 9000, 0), Some((100, 9000)));
        assert_eq!(c.rewrite(7, 101, 12_000, 33), Some((101, 12_000)));
        // Reordered: passed on, and the newest stays the newest.
        assert_eq!(c.rewrite(7, 99, 6000, 34), Some((99, 6000)));
        // A new sender 100 ms later, with numbers of its own near the wrap.
        assert_eq!(c.rewrite(8, 65_535, 4_294_967_000, 133), Some((102, 12_000 + 9000)));
        assert_eq!(c.rewrite(8, 0, 4_294_967_000u32.wrapping_add(3000), 166), Some((103, 24_000)));
        // The replaced sender's last packets are dropped.
        assert_eq!(c.rewrite(7, 102, 15_000, 167), None);
        // And a third sender at the same instant still moves the timestamp on.
        assert_eq!(c.rewrite(9, 5, 5, 166), Some((104, 24_001)));
    }
}
