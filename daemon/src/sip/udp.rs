//! SIP over UDP: one datagram, one message; answers go back to the source address. Requests
//! run in server transactions, so a retransmitted request gets the same answer again and a
//! final INVITE answer is retransmitted (Timer G) until the ACK arrives.

use super::answer::answer;
use super::limits::Limits;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_sip_h323_bridge::sip::check::{Outcome, datagram};
use tessera_sip_h323_bridge::sip::transaction::{Action, Key, ServerTransaction, Timers, key};
use tokio::net::UdpSocket;

/// More transactions than this at once: new requests get 503.
const MAX_TRANSACTIONS: usize = 20_000;

type Transactions = HashMap<(SocketAddr, Key), ServerTransaction>;

pub async fn serve(socket: UdpSocket, limits: Arc<Limits>) {
    let mut buf = vec![0u8; 65_535];
    let mut txs: Transactions = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
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
                    metrics::counter!("tessera_sip_messages_total", "transport" => "udp", "outcome" => "rate_limited").increment(1);
                    continue;
                }
                for bytes in receive(&mut txs, datagram(&buf[..n]), from) {
                    if let Err(e) = socket.send_to(&bytes, from).await {
                        tracing::debug!(to = %from, error = %e, "SIP UDP send failed");
                    }
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                let mut done = Vec::new();
                for ((to, k), t) in txs.iter_mut() {
                    if t.next_deadline().is_some_and(|d| d <= now) {
                        for a in t.on_time(now) {
                            match a {
                                Action::Send(b) => { let _ = socket.send_to(&b, *to).await; }
                                Action::Terminated => done.push((*to, k.clone())),
                                Action::Timeout => tracing::debug!(peer = %to, "no ACK for a final response"),
                                Action::ToUser(_) => {}
                            }
                        }
                    }
                }
                for k in done {
                    txs.remove(&k);
                }
            }
        }
    }
}

/// What to send for one received datagram, through its transaction when it has one.
fn receive(txs: &mut Transactions, outcome: Outcome, from: SocketAddr) -> Vec<Vec<u8>> {
    let now = Instant::now();
    let request_key = match &outcome {
        Outcome::Request(m) => key(m).map(|k| ((from, k), m.method() == Some("ACK"))),
        _ => None,
    };
    let Some((k, is_ack)) = request_key else {
        let (reply, label) = answer(outcome);
        metrics::counter!("tessera_sip_messages_total", "transport" => "udp", "outcome" => label).increment(1);
        return reply.map(|(_, b)| b).into_iter().collect();
    };
    let Outcome::Request(m) = outcome else { return Vec::new() };
    if let Some(t) = txs.get_mut(&k) {
        metrics::counter!("tessera_sip_messages_total", "transport" => "udp", "outcome" => "retransmission")
            .increment(1);
        return sends(t.on_request(&m, now));
    }
    if is_ack {
        // The ACK of a 2xx, or of a transaction already gone: nothing to answer.
        return Vec::new();
    }
    if txs.len() >= MAX_TRANSACTIONS {
        let reject = tessera_sip_h323_bridge::sip::response::build(
            &m.headers,
            503,
            "Service Unavailable",
            "0",
            &[("Retry-After", "5".into())],
            b"",
        );
        return vec![reject];
    }
    let (mut t, actions) = ServerTransaction::new(m, false, Timers::default());
    let mut out = Vec::new();
    for a in actions {
        if let Action::ToUser(req) = a {
            let (reply, label) = answer(Outcome::Request(req));
            metrics::counter!("tessera_sip_messages_total", "transport" => "udp", "outcome" => label).increment(1);
            if let Some((code, bytes)) = reply {
                out.extend(sends(t.respond(code, bytes, now)));
            }
        }
    }
    if t.state != tessera_sip_h323_bridge::sip::transaction::State::Terminated {
        txs.insert(k, t);
    }
    out
}

fn sends(actions: Vec<Action>) -> Vec<Vec<u8>> {
    actions.into_iter().filter_map(|a| if let Action::Send(b) = a { Some(b) } else { None }).collect()
}
