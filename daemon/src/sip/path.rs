//! How a message reached Tessera, and so how to answer it: over UDP through the transport's
//! transaction table (retransmissions), or on the TCP or TLS connection it came on.

use std::net::SocketAddr;
use tessera_sip_h323_bridge::sip::message::Message;
use tessera_sip_h323_bridge::sip::transaction::Key;
use tokio::sync::mpsc;

/// What the UDP transport sends for the user agent.
pub enum UdpOut {
    /// A response to the request of transaction `key` (kept for retransmission).
    Respond { to: SocketAddr, key: Key, code: u16, bytes: Vec<u8> },
    /// Bytes outside any server transaction (2xx retransmissions, Tessera's own requests).
    Raw { to: SocketAddr, bytes: Vec<u8> },
}

#[derive(Clone)]
pub enum Path {
    Udp {
        out: mpsc::UnboundedSender<UdpOut>,
        peer: SocketAddr,
    },
    /// A stream connection; `secure` when it is TLS.
    Tcp {
        out: mpsc::Sender<Vec<u8>>,
        peer: SocketAddr,
        secure: bool,
    },
}

/// A message for the user agent.
pub struct Inbound {
    pub msg: Message,
    pub path: Path,
    /// The server transaction of a UDP request.
    pub key: Option<Key>,
}

impl Path {
    pub fn peer(&self) -> SocketAddr {
        match self {
            Path::Udp { peer, .. } | Path::Tcp { peer, .. } => *peer,
        }
    }

    pub fn transport(&self) -> &'static str {
        match self {
            Path::Udp { .. } => "UDP",
            Path::Tcp { secure: false, .. } => "TCP",
            Path::Tcp { secure: true, .. } => "TLS",
        }
    }

    pub fn reliable(&self) -> bool {
        matches!(self, Path::Tcp { .. })
    }

    /// Sends a response to the request that came with `key`.
    pub fn respond(&self, key: Option<&tessera_sip_h323_bridge::sip::transaction::Key>, code: u16, bytes: Vec<u8>) {
        match (self, key) {
            (Path::Udp { out, peer }, Some(k)) => {
                let _ = out.send(UdpOut::Respond { to: *peer, key: k.clone(), code, bytes });
            }
            _ => self.send(bytes),
        }
    }

    /// Resolves when the path cannot carry messages any more (its TCP connection closed).
    pub async fn closed(&self) {
        match self {
            Path::Udp { .. } => std::future::pending().await,
            Path::Tcp { out, .. } => out.closed().await,
        }
    }

    pub fn send(&self, bytes: Vec<u8>) {
        match self {
            Path::Udp { out, peer } => {
                let _ = out.send(UdpOut::Raw { to: *peer, bytes });
            }
            Path::Tcp { out, .. } => {
                let _ = out.try_send(bytes);
            }
        }
    }
}

impl Inbound {
    /// Answers this request.
    pub fn respond(&self, code: u16, bytes: Vec<u8>) {
        self.path.respond(self.key.as_ref(), code, bytes);
    }
}
