//! Sockets that signalling bound for a participant's media, handed to its RTP input. The port
//! stays bound from the SDP answer to the pipeline: binding it again by number raced with other
//! calls taking free ports at the same moment ("address already in use" under load).

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{LazyLock, Mutex};

static WAITING: LazyLock<Mutex<HashMap<SocketAddr, UdpSocket>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn waiting() -> std::sync::MutexGuard<'static, HashMap<SocketAddr, UdpSocket>> {
    WAITING.lock().unwrap_or_else(|p| p.into_inner())
}

/// A socket waiting for its RTP input; dropping this closes it if no input took it.
pub struct Deposit(SocketAddr);

impl Deposit {
    pub fn new(socket: UdpSocket) -> std::io::Result<Deposit> {
        let at = socket.local_addr()?;
        waiting().insert(at, socket);
        Ok(Deposit(at))
    }
}

impl Drop for Deposit {
    fn drop(&mut self) {
        waiting().remove(&self.0);
    }
}

/// The socket deposited for this local address, if any.
pub fn take(at: SocketAddr) -> Option<UdpSocket> {
    waiting().remove(&at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deposit_is_taken_once_and_dropped_deposits_close() {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let at = s.local_addr().unwrap();
        let d = Deposit::new(s).unwrap();
        assert!(take(at).is_some());
        assert!(take(at).is_none());
        drop(d);
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let at = s.local_addr().unwrap();
        drop(Deposit::new(s).unwrap());
        assert!(take(at).is_none());
        assert!(UdpSocket::bind(at).is_ok(), "the port was released");
    }
}
