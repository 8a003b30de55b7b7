//! Where an RTP participant's media comes from. The first packet from an allowed address (the
//! peer's signalling or SDP address for a SIP call, this host for a browser's relay; any, for an
//! endpoint an operator added) latches its source; packets from anywhere else are dropped, so a
//! stranger who finds the port cannot speak or show a picture in the conference. Only well-formed
//! packets latch. For a SIP peer (`symmetric`), what Tessera sends back goes to the latched source
//! once there is one (symmetric RTP: the address the peer's NAT opened), see `native_audio`;
//! endpoints an operator added and browsers' relays receive where they said.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Latch {
    /// Addresses whose packets may latch (empty: any).
    allowed: Vec<IpAddr>,
    /// Media back to the peer follows its source.
    symmetric: bool,
    source: Mutex<Option<SocketAddr>>,
    refused: AtomicU64,
}

impl Latch {
    pub fn new(allowed: Vec<IpAddr>, symmetric: bool) -> Latch {
        Latch { allowed, symmetric, ..Default::default() }
    }

    /// Whether media back to the peer goes to its latched source.
    pub fn symmetric(&self) -> bool {
        self.symmetric
    }

    /// Whether a packet from `from` is the participant's: it is from the latched source, or it
    /// latches it now.
    pub fn accept(&self, from: SocketAddr) -> bool {
        let mut s = self.source.lock().unwrap_or_else(|p| p.into_inner());
        match *s {
            Some(latched) if latched == from => true,
            None if self.allowed.is_empty() || self.allowed.contains(&from.ip()) => {
                *s = Some(from);
                true
            }
            _ => {
                let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
                metrics::counter!("tessera_media_rtp_foreign_total").increment(1);
                if n <= 3 || n.is_power_of_two() {
                    tracing::warn!(from = %from, latched = ?*s, dropped = n, "RTP from an address that is not the participant's: dropped");
                }
                false
            }
        }
    }

    /// The latched source, once a packet came.
    pub fn source(&self) -> Option<SocketAddr> {
        *self.source.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_first_allowed_source_latches_and_strangers_are_dropped() {
        let l = Latch::new(vec!["203.0.113.7".parse().unwrap()], true);
        assert!(!l.accept(a("198.51.100.9:4000")), "a stranger first");
        assert_eq!(l.source(), None);
        assert!(l.accept(a("203.0.113.7:40000")));
        assert!(l.accept(a("203.0.113.7:40000")));
        assert!(!l.accept(a("203.0.113.7:40002")), "another port of the same host");
        assert!(!l.accept(a("198.51.100.9:4000")));
        assert_eq!(l.source(), Some(a("203.0.113.7:40000")));
        let any = Latch::new(Vec::new(), false);
        assert!(any.accept(a("198.51.100.9:4000")) && !any.accept(a("198.51.100.10:4000")));
    }
}
