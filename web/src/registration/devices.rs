//! In-memory guards of webinar sign-up and joining: a join link is in a conference from one
//! device at a time, and one address may sign up only so often.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Which page holds each registrant's join link in a conference now.
#[derive(Default)]
pub struct OneDevice {
    next: AtomicU64,
    held: Mutex<HashMap<i64, (u64, oneshot::Sender<()>)>>,
}

/// A page's hold on a join link; dropping it lets go (unless another page took over).
pub struct Claim {
    registry: Arc<OneDevice>,
    registrant: i64,
    seq: u64,
}

impl OneDevice {
    /// Takes the link for a new page: the page that held it is told through its receiver, and
    /// the returned receiver fires when yet another page takes it.
    pub fn claim(self: &Arc<Self>, registrant: i64) -> (Claim, oneshot::Receiver<()>) {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let old = self.held.lock().unwrap_or_else(|e| e.into_inner()).insert(registrant, (seq, tx));
        if let Some((_, previous)) = old {
            let _ = previous.send(());
        }
        (Claim { registry: self.clone(), registrant, seq }, rx)
    }

    pub fn held(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut held = self.registry.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.get(&self.registrant).is_some_and(|(s, _)| *s == self.seq) {
            held.remove(&self.registrant);
        }
    }
}

/// A fixed window per address: at most `limit` sign-ups per `window` seconds.
pub struct SignupLimiter {
    limit: u32,
    window: i64,
    seen: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl SignupLimiter {
    pub fn new(limit: u32, window: i64) -> SignupLimiter {
        SignupLimiter { limit, window, seen: Mutex::new(HashMap::new()) }
    }

    /// Counts a sign-up from `addr` at `t`; false when the address is over its limit.
    pub fn allow(&self, addr: IpAddr, t: i64) -> bool {
        let addr = crate::net::source(addr);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| t - *start < window);
        }
        let e = seen.entry(addr).or_insert((t, 0));
        if t - e.0 >= self.window {
            *e = (t, 0);
        }
        if e.1 >= self.limit {
            return false;
        }
        e.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_displaces_the_first() {
        let r = Arc::new(OneDevice::default());
        let (first, mut first_rx) = r.claim(7);
        assert!(first_rx.try_recv().is_err(), "nobody else yet");
        let (second, mut second_rx) = r.claim(7);
        assert!(first_rx.try_recv().is_ok(), "the first page is told");
        drop(first);
        assert_eq!(r.held(), 1, "the first page leaving does not release the second's hold");
        assert!(second_rx.try_recv().is_err());
        drop(second);
        assert_eq!(r.held(), 0);
    }

    #[test]
    fn sign_ups_are_limited_per_address_and_window() {
        let l = SignupLimiter::new(3, 600);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!((0..3).all(|_| l.allow(a, 1000)));
        assert!(!l.allow(a, 1001));
        assert!(l.allow(b, 1001), "another address is not affected");
        assert!(l.allow(a, 1600), "a new window");
    }
}
