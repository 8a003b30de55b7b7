//! Server transactions (RFC 3261 §17.2), sans-IO: requests, the transaction user's responses
//! and the time go in; bytes to send, requests for the transaction user and the end come out.
//! The caller keeps a map from [`Key`] to transaction and calls [`ServerTransaction::on_time`]
//! at [`ServerTransaction::next_deadline`]. Names follow the RFC: states Trying, Proceeding,
//! Completed, Confirmed, Terminated; timers G, H, I, J; T1, T2, T4.

use super::message::{Message, StartLine};
use super::via;
use std::time::{Duration, Instant};

/// RFC 3261's timer values: T1 the round-trip estimate, T2 the longest retransmit interval for
/// non-INVITE requests and INVITE responses, T4 how long a message may live in the network.
#[derive(Debug, Clone, Copy)]
pub struct Timers {
    pub t1: Duration,
    pub t2: Duration,
    pub t4: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers { t1: Duration::from_millis(500), t2: Duration::from_secs(4), t4: Duration::from_secs(5) }
    }
}

/// What identifies a server transaction (§17.2.3): the top Via's branch (with the magic
/// cookie) and sent-by, and the method, ACK counting as INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub branch: String,
    pub sent_by: String,
    pub method: String,
}

/// The key of a request, or `None` when its top Via has no RFC 3261 branch (`z9hG4bK…`): such
/// RFC 2543 peers are matched by the dialog layer instead.
pub fn key(m: &Message) -> Option<Key> {
    let StartLine::Request { method, .. } = &m.start else { return None };
    let top = m.headers.list("Via").into_iter().next()?;
    let v = via::parse(&top).ok()?;
    let branch = v.branch()?.to_string();
    if !branch.starts_with("z9hG4bK") {
        return None;
    }
    let sent_by = match v.port {
        Some(p) => format!("{}:{p}", v.host.to_ascii_lowercase()),
        None => v.host.to_ascii_lowercase(),
    };
    let method = if method == "ACK" { "INVITE".to_string() } else { method.clone() };
    Some(Key { branch, sent_by, method })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Trying,
    Proceeding,
    Completed,
    Confirmed,
    Terminated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send these bytes to the peer (over the transport the request came on).
    Send(Vec<u8>),
    /// The transaction user must handle this request.
    ToUser(Message),
    /// No ACK arrived for a final INVITE response within 64·T1 (Timer H): the user should treat
    /// the call as failed.
    Timeout,
    /// The transaction is over; forget it.
    Terminated,
}

pub struct ServerTransaction {
    invite: bool,
    reliable: bool,
    timers: Timers,
    pub state: State,
    last_response: Option<Vec<u8>>,
    /// Timer G: the next retransmission of a final INVITE response, and its interval.
    g: Option<(Instant, Duration)>,
    /// Timer H, I or J: when the current state ends.
    end: Option<Instant>,
}

impl ServerTransaction {
    /// A new transaction for a request that matched none; the request goes to the user.
    pub fn new(req: Message, reliable: bool, timers: Timers) -> (ServerTransaction, Vec<Action>) {
        let invite = req.method() == Some("INVITE");
        let t = ServerTransaction {
            invite,
            reliable,
            timers,
            state: if invite { State::Proceeding } else { State::Trying },
            last_response: None,
            g: None,
            end: None,
        };
        (t, vec![Action::ToUser(req)])
    }

    /// A request that matched this transaction: a retransmission, or the ACK of a final INVITE
    /// response.
    pub fn on_request(&mut self, req: &Message, now: Instant) -> Vec<Action> {
        let is_ack = req.method() == Some("ACK");
        match self.state {
            State::Completed if self.invite && is_ack => {
                self.state = State::Confirmed;
                self.g = None;
                if self.reliable {
                    self.state = State::Terminated;
                    return vec![Action::Terminated];
                }
                self.end = Some(now + self.timers.t4);
                Vec::new()
            }
            State::Proceeding | State::Completed if !is_ack => {
                self.last_response.clone().map(Action::Send).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    /// The user's response with status `code`, already serialised.
    pub fn respond(&mut self, code: u16, bytes: Vec<u8>, now: Instant) -> Vec<Action> {
        if matches!(self.state, State::Completed | State::Confirmed | State::Terminated) {
            return Vec::new();
        }
        let mut out = vec![Action::Send(bytes.clone())];
        self.last_response = Some(bytes);
        if code < 200 {
            self.state = State::Proceeding;
            return out;
        }
        if self.invite && code < 300 {
            // 2xx retransmissions and their ACK belong to the dialog layer (§13.3.1.4).
            self.state = State::Terminated;
            out.push(Action::Terminated);
            return out;
        }
        self.state = State::Completed;
        let t1 = self.timers.t1;
        if self.invite {
            if !self.reliable {
                self.g = Some((now + t1, t1));
            }
            self.end = Some(now + t1 * 64);
        } else if self.reliable {
            self.state = State::Terminated;
            out.push(Action::Terminated);
        } else {
            self.end = Some(now + t1 * 64);
        }
        out
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.g.map(|g| g.0), self.end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn on_time(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(end) = self.end
            && now >= end
        {
            let timed_out = self.state == State::Completed && self.invite;
            self.state = State::Terminated;
            self.g = None;
            self.end = None;
            if timed_out {
                out.push(Action::Timeout);
            }
            out.push(Action::Terminated);
            return out;
        }
        if let Some((at, interval)) = self.g
            && now >= at
        {
            let next = (interval * 2).min(self.timers.t2);
            self.g = Some((at + next, next));
            if let Some(r) = &self.last_response {
                out.push(Action::Send(r.clone()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Framing, parse};

    fn req(method: &str, branch: &str) -> Message {
        let cseq = if method == "ACK" { "INVITE" } else { method };
        let text = format!(
            "{method} sip:room@example.com SIP/2.0\r\nVia: SIP/2.0/UDP Phone.example.com:5060;branch={branch}\r\n\
             From: <sip:a@example.com>;tag=1\r\nTo: <sip:room@example.com>\r\nCall-ID: c1\r\nCSeq: 1 {cseq}\r\nContent-Length: 0\r\n\r\n"
        );
        parse(text.as_bytes(), Framing::Datagram).unwrap().0
    }

    fn sends(actions: &[Action]) -> usize {
        actions.iter().filter(|a| matches!(a, Action::Send(_))).count()
    }

    #[test]
    fn keys_match_retransmissions_and_the_ack() {
        let k = key(&req("INVITE", "z9hG4bK74b")).unwrap();
        assert_eq!(k, key(&req("ACK", "z9hG4bK74b")).unwrap());
        assert_eq!(k.sent_by, "phone.example.com:5060");
        assert_ne!(k, key(&req("INVITE", "z9hG4bK74c")).unwrap());
        assert_ne!(k, key(&req("BYE", "z9hG4bK74b")).unwrap());
        assert_eq!(key(&req("INVITE", "2543-style")), None);
    }

    #[test]
    fn invite_rejected_over_udp_retransmits_until_ack() {
        let t0 = Instant::now();
        let timers = Timers::default();
        let (mut t, first) = ServerTransaction::new(req("INVITE", "z9hG4bK1"), false, timers);
        assert!(matches!(first.as_slice(), [Action::ToUser(_)]));
        assert_eq!(t.state, State::Proceeding);
        assert_eq!(sends(&t.respond(100, b"100".to_vec(), t0)), 1);
        // A retransmitted INVITE gets the last provisional response again.
        assert_eq!(t.on_request(&req("INVITE", "z9hG4bK1"), t0), vec![Action::Send(b"100".to_vec())]);
        assert_eq!(sends(&t.respond(486, b"486".to_vec(), t0)), 1);
        assert_eq!(t.state, State::Completed);
        // Timer G: T1, 2·T1, 4·T1, then capped at T2.
        let mut at = t0;
        for step in [500u64, 1000, 2000, 4000, 4000] {
            at += Duration::from_millis(step);
            assert_eq!(t.next_deadline(), Some(at));
            assert_eq!(t.on_time(at), vec![Action::Send(b"486".to_vec())], "at +{:?}", at - t0);
        }
        // The ACK stops retransmissions; Timer I (T4) ends the transaction.
        let ack_at = at + Duration::from_millis(100);
        assert!(t.on_request(&req("ACK", "z9hG4bK1"), ack_at).is_empty());
        assert_eq!(t.state, State::Confirmed);
        assert_eq!(t.next_deadline(), Some(ack_at + timers.t4));
        assert_eq!(t.on_time(ack_at + timers.t4), vec![Action::Terminated]);
    }

    #[test]
    fn invite_without_ack_times_out_after_64_t1() {
        let t0 = Instant::now();
        let (mut t, _) = ServerTransaction::new(req("INVITE", "z9hG4bK2"), true, Timers::default());
        t.respond(480, b"480".to_vec(), t0);
        // Reliable transport: no Timer G.
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(32)));
        assert_eq!(t.on_time(t0 + Duration::from_secs(32)), vec![Action::Timeout, Action::Terminated]);
    }

    #[test]
    fn invite_2xx_hands_over_to_the_dialog() {
        let (mut t, _) = ServerTransaction::new(req("INVITE", "z9hG4bK3"), false, Timers::default());
        let out = t.respond(200, b"200".to_vec(), Instant::now());
        assert_eq!(out, vec![Action::Send(b"200".to_vec()), Action::Terminated]);
    }

    #[test]
    fn non_invite_absorbs_retransmissions_then_timer_j() {
        let t0 = Instant::now();
        let (mut t, _) = ServerTransaction::new(req("OPTIONS", "z9hG4bK4"), false, Timers::default());
        assert_eq!(t.state, State::Trying);
        // Before the user answers, a retransmission is absorbed silently.
        assert!(t.on_request(&req("OPTIONS", "z9hG4bK4"), t0).is_empty());
        t.respond(200, b"200".to_vec(), t0);
        assert_eq!(t.on_request(&req("OPTIONS", "z9hG4bK4"), t0), vec![Action::Send(b"200".to_vec())]);
        assert!(t.respond(500, b"500".to_vec(), t0).is_empty(), "one final response only");
        assert_eq!(t.on_time(t0 + Duration::from_secs(32)), vec![Action::Terminated]);
        let (mut r, _) = ServerTransaction::new(req("OPTIONS", "z9hG4bK5"), true, Timers::default());
        assert_eq!(r.respond(200, b"200".to_vec(), t0), vec![Action::Send(b"200".to_vec()), Action::Terminated]);
    }
}
