//! A user-to-user call once answered: Tessera stays in its path (it put itself in the
//! Record-Route of the INVITE), so every request of the dialog — the ACK, re-INVITEs, INFO, the
//! BYE — passes through it in either direction. That is how the call's duration is known, and
//! how a call is ended when one of its users is disabled (a BYE to both phones).

use super::super::path::{Inbound, Path};
use super::{DROPPED, serialise};
use std::collections::HashMap;
use std::time::Instant;
use tessera_sip_h323_bridge::sip::dialog::cseq;
use tessera_sip_h323_bridge::sip::message::{Message, StartLine};
use tessera_sip_h323_bridge::sip::{name_addr, via};

/// What Tessera knows of an established call.
pub(super) struct Dialog {
    /// The caller's path (where its requests came from) and the callee's binding path.
    pub caller: Path,
    pub callee: Path,
    pub caller_tag: String,
    /// The caller's remote target (the INVITE's Contact) and its From as it sent it.
    pub caller_target: String,
    pub caller_from: String,
    /// The callee's remote target (the 2xx's Contact) and its To with its tag.
    pub callee_target: String,
    pub callee_to: String,
    /// The From the callee sees (the authenticated caller, with the caller's tag).
    pub asserted_from: String,
    pub call_id: String,
    pub caller_cseq: u32,
    pub callee_cseq: u32,
    /// Our Via for each request forwarded, by branch: the request it came as, to answer.
    pending: HashMap<String, Inbound>,
    pub since: Instant,
    /// The caller's ACK of the 2xx has passed: the call is confirmed.
    pub acked: bool,
    /// Our Via's sent-by toward each side: (transport, host:port).
    pub via_to_callee: String,
    pub via_to_caller: String,
}

/// How a request of the dialog went.
pub(super) enum Forwarded {
    /// Passed on (its answer will come back through [`Dialog::response`]).
    Passed,
    /// A BYE passed on: the call ends when it is answered.
    Bye,
    /// Refused here (too many hops); answered already.
    Refused,
}

/// The URI of a Contact (`"Bob" <sip:bob@host;transport=tcp>;expires=60` or `sip:bob@host`),
/// if it parses as a name-addr.
fn uri_of(contact: &str) -> Option<String> {
    name_addr::parse(contact).ok()?;
    let c = contact.trim();
    Some(match (c.find('<'), c.find('>')) {
        (Some(a), Some(b)) if a < b => c[a + 1..b].trim().to_string(),
        _ => c.split(';').next().unwrap_or_default().trim().to_string(),
    })
}

fn top_branch(m: &Message) -> Option<String> {
    let top = m.headers.list("Via").into_iter().next()?;
    via::parse(&top).ok()?.branch().map(str::to_string)
}

fn from_tag(m: &Message) -> Option<String> {
    let f = m.headers.single("From").ok().flatten()?;
    name_addr::parse(f).ok()?.tag().map(str::to_string)
}

impl Dialog {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        caller: Path,
        callee: Path,
        invite: &Message,
        answer: &Message,
        asserted_from: String,
        callee_contact: &str,
        via_to_callee: String,
        via_to_caller: String,
    ) -> Option<Dialog> {
        let single = |m: &Message, n: &str| m.headers.single(n).ok().flatten().map(str::to_string);
        let contact_uri = |v: Option<String>| v.as_deref().and_then(uri_of).filter(|u| !u.is_empty());
        Some(Dialog {
            caller,
            callee,
            caller_tag: from_tag(invite)?,
            caller_target: contact_uri(single(invite, "Contact"))?,
            caller_from: single(invite, "From")?,
            callee_target: contact_uri(single(answer, "Contact")).unwrap_or_else(|| callee_contact.to_string()),
            callee_to: single(answer, "To")?,
            asserted_from,
            call_id: single(invite, "Call-ID")?,
            caller_cseq: cseq(invite).map_or(1, |c| c.0),
            callee_cseq: 0,
            pending: HashMap::new(),
            since: Instant::now(),
            acked: false,
            via_to_callee,
            via_to_caller,
        })
    }

    /// A request of the dialog from either phone: passed on to the other, with Tessera's Via on
    /// top and its own Route taken off; toward the callee the caller is the authenticated user.
    pub fn request(&mut self, m: Inbound) -> Forwarded {
        let Some(method) = m.msg.method().map(str::to_string) else { return Forwarded::Refused };
        let StartLine::Request { uri, .. } = &m.msg.start else { return Forwarded::Refused };
        let max_forwards = m
            .msg
            .headers
            .single("Max-Forwards")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(70);
        if max_forwards == 0 {
            m.respond(483, super::reply(&m.msg.headers, 483, "Too Many Hops", &super::tag(), &[], b""));
            return Forwarded::Refused;
        }
        let from_caller = from_tag(&m.msg).as_deref() == Some(self.caller_tag.as_str());
        // Only the two phones speak in the call: a request with its Call-ID from anywhere else
        // (a forged BYE to cut it, say) is refused.
        let expected = if from_caller { &self.caller } else { &self.callee };
        if m.path.peer().ip() != expected.peer().ip() {
            tracing::warn!(call_id = %self.call_id, from = %m.path.peer(), method = %method, "SIP user call: a request from neither phone refused");
            m.respond(403, super::reply(&m.msg.headers, 403, "Forbidden", &super::tag(), &[], b""));
            return Forwarded::Refused;
        }
        let n = cseq(&m.msg).map_or(0, |c| c.0);
        // The same request again gets the same branch, so a retransmission is one transaction.
        let theirs = top_branch(&m.msg).unwrap_or_default();
        let branch = format!("z9hG4bK-tss-{}", theirs.trim_start_matches("z9hG4bK"));
        let sent_by = if from_caller { &self.via_to_callee } else { &self.via_to_caller };
        let mut top =
            vec![("Via", format!("{sent_by};branch={branch}")), ("Max-Forwards", (max_forwards - 1).to_string())];
        // Loose routing (RFC 3261 §16.4): the first Route is ours; the rest stay.
        let routes: Vec<String> = m.msg.headers.list("Route").into_iter().skip(1).collect();
        if !routes.is_empty() {
            top.push(("Route", routes.join(", ")));
        }
        let mut skip: Vec<&str> = vec!["Route", "Max-Forwards", "Content-Length"];
        if from_caller {
            self.caller_cseq = self.caller_cseq.max(n);
            top.push(("From", self.asserted_from.clone()));
            skip.extend_from_slice(DROPPED);
        } else {
            self.callee_cseq = self.callee_cseq.max(n);
        }
        let bytes = serialise(&format!("{method} {uri} SIP/2.0"), &top, &m.msg, &skip);
        if from_caller {
            self.callee.send(bytes)
        } else {
            self.caller.send(bytes)
        }
        if method == "ACK" {
            self.acked |= from_caller;
            return Forwarded::Passed;
        }
        self.pending.insert(branch, m);
        if method == "BYE" { Forwarded::Bye } else { Forwarded::Passed }
    }

    /// An answer to a request Tessera passed on: back to whoever sent it, without our Via.
    /// Returns the code and the request's method when it was a final answer.
    pub fn response(&mut self, m: &Message) -> Option<(u16, String)> {
        let branch = top_branch(m)?;
        let (code, bytes) = super::unwrap_response(m)?;
        let method = cseq(m).map(|c| c.1.to_string()).unwrap_or_default();
        if code < 200 {
            if let Some(req) = self.pending.get(&branch) {
                req.respond(code, bytes);
            }
            return None;
        }
        let req = self.pending.remove(&branch)?;
        req.respond(code, bytes);
        Some((code, method))
    }

    /// Ends the call from the middle: a BYE to each phone, as the other would have sent it.
    pub fn hang_up_both(&mut self) {
        let to_callee = format!(
            "BYE {} SIP/2.0\r\nVia: {};branch=z9hG4bK-tss-bye-{}\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} BYE\r\nContent-Length: 0\r\n\r\n",
            self.callee_target,
            self.via_to_callee,
            super::tag(),
            self.asserted_from,
            self.callee_to,
            self.call_id,
            self.caller_cseq + 1
        );
        self.callee.send(to_callee.into_bytes());
        let to_caller = format!(
            "BYE {} SIP/2.0\r\nVia: {};branch=z9hG4bK-tss-bye-{}\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} BYE\r\nContent-Length: 0\r\n\r\n",
            self.caller_target,
            self.via_to_caller,
            super::tag(),
            self.callee_to,
            self.caller_from,
            self.call_id,
            self.callee_cseq.max(1000) + 1
        );
        self.caller.send(to_caller.into_bytes());
    }
}
