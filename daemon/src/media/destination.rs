//! Where Tessera may send media: the one rule every sending path checks (SIP calls, placed calls,
//! the API's `video_to`/`audio_to`), so that nobody can point a conference's stream at a third
//! party (a reflection attack: one spoofed INVITE made Tessera send hundreds of kilobytes to the
//! address its SDP named) or at Tessera itself.
//!
//! Never: port 0, an unspecified, multicast or broadcast address, or one of the server's own
//! listening ports (HTTP, SIP, RTSP) on a local address. Loopback only when the signalling came
//! from loopback (tests and benchmarks on one machine). A caller who has not proved who they are
//! is sent media before it has sent any only at the address its signalling came from; otherwise
//! Tessera waits for its media and answers where that comes from (latching, in the media plane).

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::RwLock;

/// The server's own listening ports, registered as they are bound.
static PROTECTED: RwLock<BTreeSet<u16>> = RwLock::new(BTreeSet::new());

/// Registers one of the server's listening ports: media is never sent to it on a local address.
pub fn protect(port: u16) {
    PROTECTED.write().unwrap_or_else(|p| p.into_inner()).insert(port);
}

fn protected(port: u16) -> bool {
    PROTECTED.read().unwrap_or_else(|p| p.into_inner()).contains(&port)
}

/// Who asks for media to be sent to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// A SIP peer whose requests come from this address; `proven`: it authenticated (digest) or
    /// Tessera called it.
    Signalling { from: IpAddr, proven: bool },
    /// An operator through the API (trusted with any unicast address but Tessera's own ports).
    Operator,
}

/// Why media may not go to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Never, whoever asks.
    Forbidden(&'static str),
    /// Not before the peer's own media arrives (then to where it comes from).
    UntilLatched,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Forbidden(why) => why,
            Refusal::UntilLatched => "not the address the caller signals from; waiting for its media",
        }
    }
}

/// Whether `ip` is this host (loopback, unspecified, or one of its addresses).
pub(crate) fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified() || local_addresses().contains(&ip)
}

/// The host's own addresses (read once; a server's addresses rarely change while it runs).
fn local_addresses() -> &'static [IpAddr] {
    static LOCAL: std::sync::OnceLock<Vec<IpAddr>> = std::sync::OnceLock::new();
    LOCAL.get_or_init(|| {
        // /proc/net/fib_trie lists every local IPv4 address as "/32 host LOCAL".
        let mut out = Vec::new();
        if let Ok(t) = std::fs::read_to_string("/proc/net/fib_trie") {
            let mut last: Option<IpAddr> = None;
            for line in t.lines() {
                let l = line.trim_start_matches([' ', '|', '+', '-']);
                if let Some(ip) = l.split_whitespace().next().and_then(|w| w.parse().ok()) {
                    last = Some(ip);
                } else if l.contains("/32 host LOCAL")
                    && let Some(ip) = last
                    && !out.contains(&ip)
                {
                    out.push(ip);
                }
            }
        }
        out
    })
}

/// Whether media may be sent to `to` for `asker`.
pub fn check(to: SocketAddr, asker: Asker) -> Result<(), Refusal> {
    let ip = to.ip();
    if to.port() == 0 {
        return Err(Refusal::Forbidden("port 0"));
    }
    if ip.is_unspecified() {
        return Err(Refusal::Forbidden("an unspecified address"));
    }
    if ip.is_multicast() {
        return Err(Refusal::Forbidden("a multicast address"));
    }
    // A subnet's own broadcast address is refused by the kernel (the sockets have no
    // SO_BROADCAST); the limited broadcast is refused here.
    if let IpAddr::V4(v4) = ip
        && v4.is_broadcast()
    {
        return Err(Refusal::Forbidden("a broadcast address"));
    }
    if is_local(ip) && protected(to.port()) {
        return Err(Refusal::Forbidden("one of the server's own ports"));
    }
    match asker {
        Asker::Operator => Ok(()),
        Asker::Signalling { from, .. } if ip.is_loopback() && !from.is_loopback() => {
            Err(Refusal::Forbidden("a loopback address, for a peer that is not on this machine"))
        }
        Asker::Signalling { from, proven } if !proven && from != ip => Err(Refusal::UntilLatched),
        Asker::Signalling { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn media_goes_only_where_the_peer_is() {
        let caller = Asker::Signalling { from: "203.0.113.7".parse().unwrap(), proven: false };
        let user = Asker::Signalling { from: "203.0.113.7".parse().unwrap(), proven: true };
        assert_eq!(check(a("203.0.113.7:4000"), caller), Ok(()));
        // Another address: only once the caller's media has arrived (latching).
        assert_eq!(check(a("198.51.100.1:4000"), caller), Err(Refusal::UntilLatched));
        assert_eq!(check(a("198.51.100.1:4000"), user), Ok(()));
        for bad in ["224.0.0.1:5004", "239.1.1.1:5004", "255.255.255.255:9", "0.0.0.0:4000", "[ff02::1]:5004"] {
            assert!(matches!(check(a(bad), user), Err(Refusal::Forbidden(_))), "{bad}");
            assert!(matches!(check(a(bad), Asker::Operator), Err(Refusal::Forbidden(_))), "{bad}");
        }
        assert!(matches!(check(a("203.0.113.7:0"), caller), Err(Refusal::Forbidden(_))));
        // Loopback only for peers on this machine.
        assert!(matches!(check(a("127.0.0.1:4000"), user), Err(Refusal::Forbidden(_))));
        let local = Asker::Signalling { from: "127.0.0.1".parse().unwrap(), proven: false };
        assert_eq!(check(a("127.0.0.1:4000"), local), Ok(()));
        // Never the server's own ports.
        protect(45_060);
        assert!(matches!(check(a("127.0.0.1:45060"), local), Err(Refusal::Forbidden(_))));
        assert!(matches!(check(a("127.0.0.1:45060"), Asker::Operator), Err(Refusal::Forbidden(_))));
        assert_eq!(check(a("203.0.113.7:45060"), caller), Ok(()), "another host's port of that number");
    }
}
