//! The `[sip]` section: SIP's listeners, limits and TLS, and H.323's listeners (which share
//! SIP's limits).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sip {
    pub enabled: bool,
    /// UDP and TCP.
    pub listen: SocketAddr,
    /// Messages per second from one address (twice that in a burst); more are dropped (UDP) or
    /// answered 503 (TCP).
    pub max_messages_per_second: u32,
    pub max_tcp_connections: usize,
    pub max_tcp_connections_per_address: usize,
    /// Calls at once from callers who did not authenticate (public conferences), in all and
    /// from one address; more are answered 503.
    pub max_anonymous_calls: usize,
    pub max_anonymous_calls_per_address: usize,
    /// A TCP or TLS connection that no call or registration uses is closed after this many
    /// quiet seconds; a message must arrive whole within this long (at most 30 s) too.
    pub tcp_idle_seconds: u32,
    /// RFC 4028 session timers: the shortest interval a caller may ask for (Min-SE). Callers
    /// that support timers refresh their call within it or are hung up.
    pub session_min_seconds: u32,
    /// SIP over TLS (sips:) on this address; empty: no TLS. Needs `tls_certificate` and
    /// `tls_private_key` (PEM files).
    pub tls_listen: String,
    pub tls_certificate: PathBuf,
    pub tls_private_key: PathBuf,
    /// Certificates (PEM) trusted besides the system's when Tessera calls out over TLS (a
    /// private CA, or a room system's own certificate); empty: the system's only.
    pub tls_ca_file: PathBuf,
    /// H.323 call signalling (TCP, normally port 1720) on this address; empty: no H.323. Shares
    /// SIP's limits (connections, anonymous calls) and needs SIP on.
    pub h323_listen: String,
    /// The H.323 gatekeeper (RAS on UDP, normally port 1719) on this address; empty: none.
    /// Endpoints register as users with H.235.1 passwords; needs `h323_listen`.
    pub h323_gatekeeper_listen: String,
}

impl Default for Sip {
    fn default() -> Self {
        // unwrap: a constant, valid socket address.
        Sip {
            enabled: true,
            listen: "0.0.0.0:5060".parse().unwrap(),
            max_messages_per_second: 50,
            max_tcp_connections: 1024,
            max_tcp_connections_per_address: 32,
            max_anonymous_calls: 200,
            max_anonymous_calls_per_address: 10,
            tcp_idle_seconds: 60,
            session_min_seconds: 90,
            tls_listen: String::new(),
            tls_certificate: PathBuf::new(),
            tls_private_key: PathBuf::new(),
            tls_ca_file: PathBuf::new(),
            h323_listen: String::new(),
            h323_gatekeeper_listen: String::new(),
        }
    }
}
