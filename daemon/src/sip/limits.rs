//! Per-address message rate (a token bucket per source address), TCP connection counts, and
//! calls at once from callers who did not authenticate. An IPv6 source counts by its /64
//! ([`tessera_web::net::source`]), as every per-address limit does.

use super::SipSettings;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;
use tessera_web::net::source;

pub struct Limits {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    connections: Mutex<HashMap<IpAddr, usize>>,
    max_connections: usize,
    max_per_address: usize,
    anonymous: Mutex<HashMap<IpAddr, usize>>,
    max_anonymous: usize,
    max_anonymous_per_address: usize,
    pub tcp_idle: std::time::Duration,
}

/// An anonymous call's place, given back when dropped.
pub struct CallSlot {
    limits: std::sync::Arc<Limits>,
    ip: IpAddr,
}

impl Drop for CallSlot {
    fn drop(&mut self) {
        let mut c = self.limits.anonymous.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = c.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.remove(&self.ip);
            }
        }
    }
}

impl Limits {
    pub fn new(s: &SipSettings) -> Limits {
        let rate = f64::from(s.max_messages_per_second.max(1));
        Limits {
            rate,
            burst: rate * 2.0,
            buckets: Mutex::new(HashMap::new()),
            connections: Mutex::new(HashMap::new()),
            max_connections: s.max_tcp_connections,
            max_per_address: s.max_tcp_connections_per_address,
            anonymous: Mutex::new(HashMap::new()),
            max_anonymous: s.max_anonymous_calls,
            max_anonymous_per_address: s.max_anonymous_calls_per_address,
            tcp_idle: s.tcp_idle,
        }
    }

    /// A place for one more call from `ip` by a caller who did not authenticate, if the caps
    /// (`sip.max_anonymous_calls`, `…_per_address`) leave one.
    pub fn anonymous_call(self: &std::sync::Arc<Self>, ip: IpAddr) -> Option<CallSlot> {
        let ip = source(ip);
        let mut c = self.anonymous.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = c.values().sum();
        let mine = c.entry(ip).or_insert(0);
        if total >= self.max_anonymous || *mine >= self.max_anonymous_per_address {
            if *mine == 0 {
                c.remove(&ip);
            }
            return None;
        }
        *mine += 1;
        Some(CallSlot { limits: self.clone(), ip })
    }

    /// The server transactions one address may hold at once over UDP: what its message rate
    /// can build up while Timer J keeps completed ones (32 s), with room to spare; beyond, 503.
    pub fn max_transactions_per_address(&self) -> usize {
        ((self.rate * 40.0) as usize).max(1000)
    }

    /// Whether one more message from `ip` may be processed now.
    pub fn allow_message(&self, ip: IpAddr) -> bool {
        let ip = source(ip);
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() > 100_000 {
            // Forget addresses that have been quiet long enough to have a full bucket.
            b.retain(|_, (_, t)| now.duration_since(*t).as_secs_f64() * self.rate < self.burst);
        }
        let (tokens, last) = b.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes a TCP connection slot for `ip`, if one is free; give it back with `release`.
    pub fn open_connection(&self, ip: IpAddr) -> bool {
        let ip = source(ip);
        let mut c = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = c.values().sum();
        let mine = c.entry(ip).or_insert(0);
        if total >= self.max_connections || *mine >= self.max_per_address {
            return false;
        }
        *mine += 1;
        true
    }

    pub fn release(&self, ip: IpAddr) {
        let ip = source(ip);
        let mut c = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = c.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                c.remove(&ip);
            }
        }
    }
}
