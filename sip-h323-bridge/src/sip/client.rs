//! Tessera as the caller (RFC 3261 §17.1.1, the INVITE client transaction), sans-IO: the
//! INVITE it sends ([`Outgoing`]), then responses and the time go in, bytes to send and what
//! the call should learn come out. Timer A retransmits over UDP (T1, doubling), Timer B gives
//! up after 64·T1 without a final answer, Timer D keeps a failed transaction for 32 s over UDP
//! to ACK retransmitted failure answers. A 2xx ends the transaction: its ACK and any
//! retransmissions of it belong to the dialog ([`super::dialog::Dialog::uac`]).

use super::dialog::cseq;
use super::message::{Message, StartLine};
use super::transaction::Timers;
use super::via;
use std::time::{Duration, Instant};

/// An INVITE (or another request outside a dialog) Tessera sends.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The Request-URI.
    pub target: String,
    /// `UDP`, `TCP` or `TLS`, and Tessera's host:port, for the Via.
    pub transport: String,
    pub sent_by: String,
    /// The Via branch without the magic cookie.
    pub branch: String,
    /// From with its tag, To without.
    pub from: String,
    pub to: String,
    pub call_id: String,
    pub cseq: u32,
    pub extra: Vec<(String, String)>,
    /// The Content-Type and body.
    pub body: Option<(String, Vec<u8>)>,
}

fn clean(v: &str) -> String {
    v.replace(['\r', '\n'], " ")
}

impl Outgoing {
    fn via(&self) -> String {
        format!("SIP/2.0/{} {};branch=z9hG4bK{};rport", self.transport, self.sent_by, self.branch)
    }

    /// `method` with this request's identifiers: the INVITE itself, or the CANCEL and the ACK
    /// of a failure answer, which share its branch (§9.1, §17.1.1.3). `to` replaces To (the
    /// ACK carries the answer's, with its tag).
    fn build(&self, method: &str, to: &str, with_body: bool) -> Vec<u8> {
        let mut out = format!("{method} {} SIP/2.0\r\n", clean(&self.target));
        out += &format!("Via: {}\r\nMax-Forwards: 70\r\n", clean(&self.via()));
        out += &format!("From: {}\r\nTo: {}\r\n", clean(&self.from), clean(to));
        out += &format!("Call-ID: {}\r\nCSeq: {} {method}\r\n", clean(&self.call_id), self.cseq);
        if with_body {
            for (n, v) in &self.extra {
                out += &format!("{n}: {}\r\n", clean(v));
            }
        }
        let body = self.body.as_ref().filter(|_| with_body);
        if let Some((ct, _)) = body {
            out += &format!("Content-Type: {}\r\n", clean(ct));
        }
        let body: &[u8] = body.map_or(&[], |b| &b.1);
        out += &format!("Content-Length: {}\r\n\r\n", body.len());
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.build("INVITE", &self.to, true)
    }

    /// The CANCEL of this INVITE (same branch, Request-URI, From, To, Call-ID and CSeq number).
    pub fn cancel(&self) -> Vec<u8> {
        self.build("CANCEL", &self.to, false)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Calling,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Send these bytes to the callee.
    Send(Vec<u8>),
    /// A response the call must see (provisional, 2xx, or the first failure answer).
    Response(Message),
    /// No final answer within 64·T1 (Timer B).
    Timeout,
    /// The transaction is over.
    Terminated,
}

pub struct ClientInvite {
    pub request: Outgoing,
    reliable: bool,
    timers: Timers,
    pub state: State,
    /// Timer A: the next retransmission and its interval.
    a: Option<(Instant, Duration)>,
    /// Timer B (while calling) or D (completed).
    end: Option<Instant>,
    /// The ACK of the failure answer, sent again for its retransmissions.
    ack: Option<Vec<u8>>,
}

impl ClientInvite {
    /// Starts the transaction: the INVITE to send now.
    pub fn start(request: Outgoing, reliable: bool, timers: Timers, now: Instant) -> (ClientInvite, Vec<Event>) {
        let bytes = request.bytes();
        let t = ClientInvite {
            request,
            reliable,
            timers,
            state: State::Calling,
            a: (!reliable).then_some((now + timers.t1, timers.t1)),
            end: Some(now + timers.t1 * 64),
            ack: None,
        };
        (t, vec![Event::Send(bytes)])
    }

    /// Whether `m` answers this transaction: its top Via carries our branch and its CSeq our
    /// INVITE (§17.1.3).
    pub fn matches(&self, m: &Message) -> bool {
        let ours = format!("z9hG4bK{}", self.request.branch);
        let top = m.headers.list("Via").into_iter().next();
        let branch = top.as_deref().and_then(|v| via::parse(v).ok()).and_then(|v| v.branch().map(str::to_string));
        branch.as_deref() == Some(ours.as_str())
            && cseq(m).is_some_and(|(n, method)| n == self.request.cseq && method == "INVITE")
    }

    /// A response that [`ClientInvite::matches`].
    pub fn on_response(&mut self, m: Message, now: Instant) -> Vec<Event> {
        let StartLine::Response { code, .. } = m.start else { return Vec::new() };
        match (self.state, code) {
            (State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.a = None; // §17.1.1.2: provisional answers stop retransmissions over UDP
                vec![Event::Response(m)]
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                self.state = State::Terminated;
                self.a = None;
                self.end = None;
                vec![Event::Response(m), Event::Terminated]
            }
            (State::Calling | State::Proceeding, _) => {
                let to = m.headers.single("To").ok().flatten().unwrap_or_default().to_string();
                let ack = self.request.build("ACK", &to, false);
                self.ack = Some(ack.clone());
                self.a = None;
                if self.reliable {
                    self.state = State::Terminated;
                    self.end = None;
                    return vec![Event::Send(ack), Event::Response(m), Event::Terminated];
                }
                self.state = State::Completed;
                self.end = Some(now + (self.timers.t1 * 64).max(Duration::from_secs(32))); // Timer D
                vec![Event::Send(ack), Event::Response(m)]
            }
            (State::Completed, 300..) => self.ack.clone().map(Event::Send).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.a.map(|a| a.0), self.end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn on_time(&mut self, now: Instant) -> Vec<Event> {
        if self.end.is_some_and(|e| now >= e) {
            let timed_out = self.state == State::Calling || self.state == State::Proceeding;
            self.state = State::Terminated;
            self.a = None;
            self.end = None;
            return if timed_out { vec![Event::Timeout, Event::Terminated] } else { vec![Event::Terminated] };
        }
        match self.a {
            Some((at, interval)) if now >= at => {
                let next = interval * 2;
                self.a = Some((at + next, next));
                vec![Event::Send(self.request.bytes())]
            }
            _ => Vec::new(),
        }
    }

    /// After a provisional answer, Timer B no longer applies: the call decides how long it
    /// rings (Timer C, or the operator cancelling).
    pub fn ringing_without_limit(&mut self) {
        if self.state == State::Proceeding {
            self.end = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::check::{Outcome, datagram};

    fn outgoing() -> Outgoing {
        Outgoing {
            target: "sip:bob@192.0.2.4:5062".into(),
            transport: "UDP".into(),
            sent_by: "192.0.2.1:5060".into(),
            branch: "b1".into(),
            from: "\"Weekly\" <sip:weekly@192.0.2.1>;tag=f1".into(),
            to: "<sip:bob@192.0.2.4:5062>".into(),
            call_id: "c1@tessera".into(),
            cseq: 1,
            extra: vec![("Contact".into(), "<sip:weekly@192.0.2.1:5060>".into())],
            body: Some(("application/sdp".into(), b"v=0\r\n".to_vec())),
        }
    }

    fn request(bytes: &[u8]) -> Message {
        match datagram(bytes) {
            Outcome::Request(m) => m,
            _ => panic!("not a valid request: {}", String::from_utf8_lossy(bytes)),
        }
    }

    fn response(code: u16, branch: &str, method: &str) -> Message {
        let text = format!(
            "SIP/2.0 {code} Whatever\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{branch}\r\n\
             From: <sip:weekly@192.0.2.1>;tag=f1\r\nTo: <sip:bob@192.0.2.4:5062>;tag=t7\r\nCall-ID: c1@tessera\r\n\
             CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        );
        match datagram(text.as_bytes()) {
            Outcome::Response(m) => m,
            _ => panic!(),
        }
    }

    #[test]
    fn the_invite_is_a_valid_request_and_its_cancel_shares_the_branch() {
        let o = outgoing();
        let inv = request(&o.bytes());
        assert_eq!(inv.method(), Some("INVITE"));
        assert_eq!(inv.body, b"v=0\r\n");
        assert_eq!(inv.headers.single("Contact").unwrap(), Some("<sip:weekly@192.0.2.1:5060>"));
        let cancel = request(&o.cancel());
        assert_eq!(cancel.method(), Some("CANCEL"));
        assert_eq!(cseq(&cancel), Some((1, "CANCEL".into())));
        assert_eq!(cancel.headers.list("Via"), inv.headers.list("Via"));
        assert!(cancel.body.is_empty());
    }

    #[test]
    fn udp_retransmits_until_a_provisional_answer() {
        let t0 = Instant::now();
        let (mut t, first) = ClientInvite::start(outgoing(), false, Timers::default(), t0);
        assert_eq!(first.len(), 1);
        let mut at = t0;
        for step in [500u64, 1000, 2000] {
            at += Duration::from_millis(step);
            assert_eq!(t.next_deadline(), Some(at));
            assert!(matches!(t.on_time(at).as_slice(), [Event::Send(_)]));
        }
        assert!(t.matches(&response(180, "b1", "INVITE")));
        assert!(!t.matches(&response(180, "b2", "INVITE")));
        assert!(!t.matches(&response(200, "b1", "CANCEL")));
        let out = t.on_response(response(180, "b1", "INVITE"), at);
        assert!(matches!(out.as_slice(), [Event::Response(_)]));
        assert_eq!(t.state, State::Proceeding);
        // Only Timer B is left; without a limit after ringing, nothing.
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(32)));
        t.ringing_without_limit();
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn timer_b_gives_up_without_an_answer() {
        let t0 = Instant::now();
        let (mut t, _) = ClientInvite::start(outgoing(), true, Timers::default(), t0);
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(32)), "no Timer A over TCP");
        assert_eq!(t.on_time(t0 + Duration::from_secs(32)), vec![Event::Timeout, Event::Terminated]);
    }

    #[test]
    fn a_failure_answer_is_acked_on_the_same_branch_and_again_for_its_retransmissions() {
        let t0 = Instant::now();
        let (mut t, _) = ClientInvite::start(outgoing(), false, Timers::default(), t0);
        let out = t.on_response(response(486, "b1", "INVITE"), t0);
        let [Event::Send(ack), Event::Response(r)] = out.as_slice() else { panic!("{out:?}") };
        assert_eq!(r.start, StartLine::Response { code: 486, reason: "Whatever".into() });
        let ack = request(ack);
        assert_eq!(ack.method(), Some("ACK"));
        assert_eq!(cseq(&ack), Some((1, "ACK".into())));
        assert_eq!(ack.headers.single("To").unwrap(), Some("<sip:bob@192.0.2.4:5062>;tag=t7"));
        assert!(ack.headers.list("Via")[0].contains("branch=z9hG4bKb1"));
        assert_eq!(t.state, State::Completed);
        // The retransmitted 486 gets the ACK again and is not reported twice.
        assert!(matches!(t.on_response(response(486, "b1", "INVITE"), t0).as_slice(), [Event::Send(_)]));
        assert_eq!(t.on_time(t0 + Duration::from_secs(32)), vec![Event::Terminated]);
    }

    #[test]
    fn a_2xx_ends_the_transaction() {
        let (mut t, _) = ClientInvite::start(outgoing(), false, Timers::default(), Instant::now());
        let out = t.on_response(response(200, "b1", "INVITE"), Instant::now());
        assert!(matches!(out.as_slice(), [Event::Response(_), Event::Terminated]));
        assert_eq!(t.next_deadline(), None);
    }
}
