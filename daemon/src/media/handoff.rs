//! Sockets that signalling bound for a participant's media, handed to its RTP input. The port
//! stays bound from the SDP answer to the pipeline: binding it again by number raced with other
//! calls taking free ports at the same moment ("address already in use" under load).

use std::collections::HashMap;
use std::net::UdpSocket;
use std::sync::{LazyLock, Mutex};

/// By port: a port is bound once whatever the address (the RTP input binds `media.rtp_bind`,
/// which is what signalling bound too).
static WAITING: LazyLock<Mutex<HashMap<u16, UdpSocket>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn waiting() -> std::sync::MutexGuard<'static, HashMap<u16, UdpSocket>> {
    WAITING.lock().unwrap_or_else(|p| p.into_inner())
}

/// A socket waiting for its RTP input; dropping this closes it if no input took it.
pub struct Deposit(u16);

impl Deposit {
    pub fn new(socket: UdpSocket) -> std::io::Result<Deposit> {
        let port = socket.local_addr()?.port();
        waiting().insert(port, socket);
        Ok(Deposit(port))
    }
}

impl Drop for Deposit {
    fn drop(&mut self) {
        waiting().remove(&self.0);
    }
}

/// The socket deposited for this local port, if any.
pub fn take(port: u16) -> Option<UdpSocket> {
    waiting().remove(&port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deposit_is_taken_once_and_dropped_deposits_close() {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let at = s.local_addr().unwrap();
        let d = Deposit::new(s).unwrap();
        assert!(take(at.port()).is_some());
        assert!(take(at.port()).is_none());
        drop(d);
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let at = s.local_addr().unwrap();
        drop(Deposit::new(s).unwrap());
        assert!(take(at.port()).is_none());
        assert!(UdpSocket::bind(at).is_ok(), "the port was released");
    }
}
