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
    let mut u = Udp { txs: HashMap::new(), ua, out };
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
                            u.txs.remove(&(to, key));
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
                    u.txs.remove(&k);
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
        if self.txs.len() >= MAX_TRANSACTIONS {
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
            self.txs.insert(k, t);
        }
        out
    }
}

fn sends(actions: Vec<Action>) -> Vec<Vec<u8>> {
    actions.into_iter().filter_map(|a| if let Action::Send(b) = a { Some(b) } else { None }).collect()
}
