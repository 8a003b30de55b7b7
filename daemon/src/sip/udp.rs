//! SIP over UDP: one datagram, one message; answers go back to the source address. Requests
//! run in server transactions, so a retransmitted request gets the same answer again and a
//! final INVITE answer is retransmitted (Timer G) until the ACK arrives. OPTIONS and malformed
//! requests are answered here; the rest, and responses, go to the user agent.

use super::answer::{answer, is_local, reply};
use super::limits::Limits;
use super::path::{Inbound, Path, UdpOut};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_sip_h323_bridge::sip::check::{Outcome, datagram};
use tessera_sip_h323_bridge::sip::transaction::{Action, Key, ServerTransaction, State, Timers, key};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// More transactions than this at once: new requests get 503. Over UDP a completed non-INVITE
/// transaction (a BYE's) stays 64·T1 = 32 s to absorb retransmissions (Timer J), so sustaining
/// N calls a second needs about 32·N places: this allows some 3,000 a second (each a few
/// hundred bytes).
const MAX_TRANSACTIONS: usize = 100_000;

type Transactions = HashMap<(SocketAddr, Key), ServerTransaction>;

struct Udp {
    txs: Transactions,
    /// Transactions per source address, and the most one address may hold.
    per_address: HashMap<std::net::IpAddr, usize>,
    max_per_address: usize,
    ua: mpsc::Sender<Inbound>,
    out: mpsc::UnboundedSender<UdpOut>,
}

fn count(outcome: &str) {
    metrics::counter!("tessera_sip_messages_total", "transport" => "udp", "outcome" => outcome.to_string())
        .increment(1);
}

/// `out` carries what the user agent sends: answers, and requests of Tessera's own.
pub async fn serve(
    socket: UdpSocket,
    limits: Arc<Limits>,
    ua: mpsc::Sender<Inbound>,
    out: (mpsc::UnboundedSender<UdpOut>, mpsc::UnboundedReceiver<UdpOut>),
) {
    let mut buf = vec![0u8; 65_535];
    let (out, mut out_rx) = out;
    let mut u = Udp::new(ua, out, limits.max_transactions_per_address());
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let mut sends: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                let (n, from) = match r {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, "SIP UDP receive failed");
                        continue;
                    }
                };
                if !limits.allow_message(from.ip()) {
                    count("rate_limited");
                    continue;
                }
                sends.extend(u.receive(datagram(&buf[..n]), from).into_iter().map(|b| (from, b)));
            }
            Some(o) = out_rx.recv() => match o {
                UdpOut::Raw { to, bytes } => sends.push((to, bytes)),
                UdpOut::Respond { to, key, code, bytes } => match u.txs.get_mut(&(to, key.clone())) {
                    Some(t) => {
                        let actions = t.respond(code, bytes, Instant::now());
                        if t.state == State::Terminated {
                            u.forget(&(to, key));
                        }
                        sends.extend(actions.into_iter().filter_map(|a| if let Action::Send(b) = a { Some((to, b)) } else { None }));
                    }
                    None => sends.push((to, bytes)),
                },
            },
            _ = tick.tick() => {
                let now = Instant::now();
                let mut done = Vec::new();
                for ((to, k), t) in u.txs.iter_mut() {
                    if t.next_deadline().is_some_and(|d| d <= now) {
                        for a in t.on_time(now) {
                            match a {
                                Action::Send(b) => sends.push((*to, b)),
                                Action::Terminated => done.push((*to, k.clone())),
                                Action::Timeout => tracing::debug!(peer = %to, "no ACK for a final response"),
                                Action::ToUser(_) => {}
                            }
                        }
                    }
                }
                for k in done {
                    u.forget(&k);
                }
            }
        }
        for (to, bytes) in sends {
            if let Err(e) = socket.send_to(&bytes, to).await {
                tracing::debug!(to = %to, error = %e, "SIP UDP send failed");
            }
        }
    }
}

impl Udp {
    fn new(ua: mpsc::Sender<Inbound>, out: mpsc::UnboundedSender<UdpOut>, max_per_address: usize) -> Udp {
        Udp { txs: HashMap::new(), per_address: HashMap::new(), max_per_address, ua, out }
    }

    fn forget(&mut self, k: &(SocketAddr, Key)) {
        if self.txs.remove(k).is_some()
            && let Some(n) = self.per_address.get_mut(&k.0.ip())
        {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&k.0.ip());
            }
        }
    }

    fn path(&self, peer: SocketAddr) -> Path {
        Path::Udp { out: self.out.clone(), peer }
    }

    fn to_ua(&self, msg: tessera_sip_h323_bridge::sip::message::Message, from: SocketAddr, key: Option<Key>) {
        // A full queue drops the message: UDP peers retransmit.
        if self.ua.try_send(Inbound { msg, path: self.path(from), key }).is_err() {
            count("ua_busy");
        }
    }

    /// What to send now for one received datagram.
    fn receive(&mut self, outcome: Outcome, from: SocketAddr) -> Vec<Vec<u8>> {
        let now = Instant::now();
        let m = match outcome {
            Outcome::Request(m) => m,
            Outcome::Response(m) => {
                count("response");
                self.to_ua(m, from, None);
                return Vec::new();
            }
            other => {
                let (r, label) = answer(other);
                count(label);
                return r.map(|(_, b)| b).into_iter().collect();
            }
        };
        let is_ack = m.method() == Some("ACK");
        let Some(k) = key(&m) else {
            // An RFC 2543 peer (no branch): no transaction to match, the user agent copes.
            if is_local(m.method()) {
                let (r, label) = answer(Outcome::Request(m));
                count(label);
                return r.map(|(_, b)| b).into_iter().collect();
            }
            count("request");
            self.to_ua(m, from, None);
            return Vec::new();
        };
        let k = (from, k);
        if let Some(t) = self.txs.get_mut(&k) {
            count("retransmission");
            return sends(t.on_request(&m, now));
        }
        if is_ack {
            // The ACK of a 2xx belongs to the dialog.
            count("ack");
            self.to_ua(m, from, None);
            return Vec::new();
        }
        let from_here = self.per_address.get(&from.ip()).copied().unwrap_or(0);
        if self.txs.len() >= MAX_TRANSACTIONS || from_here >= self.max_per_address {
            count("overload");
            return vec![reply(&m.headers, 503, "Service Unavailable", "0", &[("Retry-After", "5".into())], b"")];
        }
        let local = is_local(m.method());
        let invite = m.method() == Some("INVITE");
        let (mut t, actions) = ServerTransaction::new(m, false, Timers::default());
        let mut out = Vec::new();
        for a in actions {
            let Action::ToUser(req) = a else { continue };
            if local {
                let (r, label) = answer(Outcome::Request(req));
                count(label);
                if let Some((code, bytes)) = r {
                    out.extend(sends(t.respond(code, bytes, now)));
                }
            } else {
                count("request");
                if invite {
                    // 100 Trying at once stops the caller's INVITE retransmissions (§17.2.1).
                    let trying = reply(&req.headers, 100, "Trying", "", &[], b"");
                    out.extend(sends(t.respond(100, trying, now)));
                }
                self.to_ua(req, from, Some(k.1.clone()));
            }
        }
        if t.state != State::Terminated {
            *self.per_address.entry(from.ip()).or_default() += 1;
            self.txs.insert(k, t);
        }
        out
    }
}

fn sends(actions: Vec<Action>) -> Vec<Vec<u8>> {
    actions.into_iter().filter_map(|a| if let Action::Send(b) = a { Some(b) } else { None }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(branch: usize) -> Vec<u8> {
        format!(
            "OPTIONS sip:tessera@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK{branch}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.7>;tag=1\r\nTo: <sip:tessera@127.0.0.1>\r\nCall-ID: c{branch}\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn status(bytes: &[u8]) -> u16 {
        String::from_utf8_lossy(bytes).get(8..11).and_then(|c| c.parse().ok()).unwrap_or(0)
    }

    #[test]
    fn one_address_cannot_fill_the_transaction_table() {
        let (ua, _ua_rx) = mpsc::channel(8);
        let (out, _out_rx) = mpsc::unbounded_channel();
        let mut u = Udp::new(ua, out, 3);
        let (a, b): (SocketAddr, SocketAddr) = ("192.0.2.7:5060".parse().unwrap(), "192.0.2.8:5060".parse().unwrap());
        for i in 0..3 {
            let r = u.receive(datagram(&options(i)), a);
            assert_eq!(status(&r[0]), 200);
        }
        // Completed OPTIONS transactions stay (Timer J): the fourth from the same address is refused.
        let r = u.receive(datagram(&options(3)), a);
        assert_eq!(status(&r[0]), 503);
        // A retransmission of a known one is still answered from its transaction.
        assert_eq!(status(&u.receive(datagram(&options(1)), a)[0]), 200);
        // Another address is not affected; a forgotten transaction frees a place.
        assert_eq!(status(&u.receive(datagram(&options(4)), b)[0]), 200);
        let k = u.txs.keys().find(|k| k.0 == a).cloned().unwrap();
        u.forget(&k);
        assert_eq!(status(&u.receive(datagram(&options(5)), a)[0]), 200);
        assert_eq!(u.per_address.get(&a.ip()), Some(&3));
    }
}
