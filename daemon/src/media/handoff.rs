//! Sockets that signalling bound for a participant's media, handed to its RTP input with the
//! join itself (inside the runtime's own message, never through a shared map). The port stays
//! bound from the SDP answer to the pipeline: binding it again by number raced with other calls
//! taking free ports at the same moment ("address already in use" under load).

use std::collections::HashMap;
use std::net::UdpSocket;

/// Bound sockets by local port; those no input takes close when this is dropped. With them,
/// the streams the call follows ([`super::sent`]), to send what its peer's NACKs name again, and
/// where the media plane asks the sender for a keyframe and tells it its size
/// ([`super::slot::SenderAsks`]: only senders that can be asked have their video left undecoded
/// while nobody sees it).
#[derive(Debug, Default)]
pub struct Bound(HashMap<u16, UdpSocket>, pub super::sent::Outgoing, pub Option<super::slot::SenderAsks>);

impl Bound {
    pub fn add(&mut self, socket: UdpSocket) -> std::io::Result<()> {
        let port = socket.local_addr()?.port();
        self.0.insert(port, socket);
        Ok(())
    }

    /// The socket bound for this local port, if any.
    pub fn take(&mut self, port: u16) -> Option<UdpSocket> {
        self.0.remove(&port)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_is_taken_once_and_the_rest_close() {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        let mut b = Bound::default();
        b.add(s).unwrap();
        assert!(b.take(port + 1).is_none() || port == u16::MAX);
        assert_eq!(b.take(port).unwrap().local_addr().unwrap().port(), port);
        assert!(b.take(port).is_none() && b.is_empty());
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p2 = other.local_addr().unwrap().port();
        b.add(other).unwrap();
        drop(b);
        // Dropped with the handoff: the port is free again.
        UdpSocket::bind(("127.0.0.1", p2)).expect("the untaken socket was closed");
    }
}
