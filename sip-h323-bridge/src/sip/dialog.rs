//! A dialog (RFC 3261 §12): as the UAS of an INVITE sees it (§12.1.1, the identifiers taken from
//! the request, the remote target from its Contact) or as its UAC does once a 2xx arrives
//! (§12.1.2, from the answer), and the requests Tessera sends inside it (BYE, the ACK of a 2xx,
//! MESSAGE) with the next local CSeq. No I/O: it builds bytes, the caller sends them.

use super::message::{Message, StartLine};
use super::name_addr;
use super::uri::Uri;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: Option<String>,
    /// The To value of the INVITE (our address of record), without tag.
    local: String,
    /// The From value of the INVITE, with the caller's tag.
    remote: String,
    /// Where in-dialog requests go: the caller's Contact URI, else its From URI.
    pub remote_target: String,
    /// The Record-Route values, which become the route set (in order for a UAS).
    routes: Vec<String>,
    local_cseq: u32,
    /// The highest CSeq seen from the caller; lower ones are out of order (500).
    pub remote_cseq: u32,
}

/// The sequence number and method of a CSeq value.
pub fn cseq(m: &Message) -> Option<(u32, String)> {
    let v = m.headers.single("CSeq").ok()??;
    let mut parts = v.split_ascii_whitespace();
    let n = parts.next()?.parse().ok()?;
    Some((n, parts.next()?.to_string()))
}

/// The SIP or SIPS URI of a From, To or Contact value, as written: a remote target must be one
/// (RFC 3261 §8.1.1.8), so other schemes give `None`.
fn uri_of(value: &str) -> Option<String> {
    let na = name_addr::parse(value).ok()?;
    match na.uri {
        Uri::Sip(_) => {
            let s = value.trim();
            // The URI as written: inside angle brackets, or the addr-spec up to its parameters;
            // without a `?headers` part, which a Request-URI may not carry (§19.1.1).
            let uri = match (s.rfind('<'), s.rfind('>')) {
                (Some(a), Some(b)) if a < b => &s[a + 1..b],
                (None, None) => s.split(';').next().unwrap_or(s).trim(),
                _ => return None,
            };
            let headers = match &na.uri {
                Uri::Sip(u) => u.headers.as_deref(),
                Uri::Other { .. } => None,
            };
            Some(match headers {
                Some(h) => uri.strip_suffix(&format!("?{h}")).unwrap_or(uri).to_string(),
                None => uri.to_string(),
            })
        }
        Uri::Other { .. } => None,
    }
}

impl Dialog {
    /// The dialog an INVITE creates when Tessera answers it with `local_tag`.
    pub fn from_invite(invite: &Message, local_tag: &str) -> Result<Dialog, String> {
        let h = &invite.headers;
        let call_id = h.single("Call-ID")?.ok_or("no Call-ID")?.to_string();
        let from = h.single("From")?.ok_or("no From")?.to_string();
        let to = h.single("To")?.ok_or("no To")?.to_string();
        let remote_tag = name_addr::parse(&from)?.tag().map(str::to_string);
        let (remote_cseq, _) = cseq(invite).ok_or("no CSeq")?;
        let contact = h.list("Contact").into_iter().next();
        let remote_target = contact
            .as_deref()
            .and_then(uri_of)
            .or_else(|| uri_of(&from))
            .ok_or("no Contact or From URI to send requests to")?;
        let routes = h.list("Record-Route");
        Ok(Dialog {
            call_id,
            local_tag: local_tag.to_string(),
            remote_tag,
            local: to,
            remote: from,
            remote_target,
            routes,
            local_cseq: 0,
            remote_cseq,
        })
    }

    /// The dialog a 2xx to Tessera's own INVITE creates (§12.1.2): `from` is the INVITE's From
    /// without its tag, `local_tag` that tag, `invite_cseq` its CSeq number (the ACK's, and
    /// the base of later requests). The route set is the answer's Record-Route reversed.
    pub fn uac(ok: &Message, from: &str, local_tag: &str, invite_cseq: u32) -> Result<Dialog, String> {
        let h = &ok.headers;
        let call_id = h.single("Call-ID")?.ok_or("no Call-ID")?.to_string();
        let to = h.single("To")?.ok_or("no To")?.to_string();
        let remote_tag = name_addr::parse(&to)?.tag().map(str::to_string);
        let contact = h.list("Contact").into_iter().next();
        let remote_target =
            contact.as_deref().and_then(uri_of).ok_or("the answer has no Contact to send requests to")?;
        let mut routes = h.list("Record-Route");
        routes.reverse();
        Ok(Dialog {
            call_id,
            local_tag: local_tag.to_string(),
            remote_tag,
            local: from.to_string(),
            remote: to,
            remote_target,
            routes,
            local_cseq: invite_cseq,
            remote_cseq: 0,
        })
    }

    /// The ACK of the 2xx to the INVITE with CSeq `invite_cseq` (§13.2.2.4): a request of the
    /// dialog with a new branch and the INVITE's sequence number; `body` is an answer to an
    /// offer the 2xx carried.
    pub fn ack(
        &self,
        invite_cseq: u32,
        transport: &str,
        sent_by: &str,
        branch: &str,
        body: Option<(&str, &[u8])>,
    ) -> Vec<u8> {
        self.build("ACK", invite_cseq, transport, sent_by, branch, &[], body)
    }

    /// Whether an in-dialog request belongs here: same Call-ID, our tag in To, the caller's in
    /// From.
    pub fn matches(&self, m: &Message) -> bool {
        let h = &m.headers;
        let tag = |name: &str| {
            h.single(name)
                .ok()
                .flatten()
                .and_then(|v| name_addr::parse(v).ok())
                .and_then(|n| n.tag().map(str::to_string))
        };
        h.single("Call-ID").ok().flatten() == Some(self.call_id.as_str())
            && tag("To").as_deref() == Some(self.local_tag.as_str())
            && tag("From") == self.remote_tag
    }

    /// A request inside the dialog, sent over `transport` (`UDP`, `TCP`) from `sent_by`
    /// (host:port), with a fresh `branch`; `extra` headers and `body` (with its Content-Type) follow.
    pub fn request(
        &mut self,
        method: &str,
        transport: &str,
        sent_by: &str,
        branch: &str,
        extra: &[(&str, String)],
        body: Option<(&str, &[u8])>,
    ) -> Vec<u8> {
        self.local_cseq = self.local_cseq.wrapping_add(1);
        self.build(method, self.local_cseq, transport, sent_by, branch, extra, body)
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        method: &str,
        n: u32,
        transport: &str,
        sent_by: &str,
        branch: &str,
        extra: &[(&str, String)],
        body: Option<(&str, &[u8])>,
    ) -> Vec<u8> {
        let mut out = format!("{method} {} SIP/2.0\r\n", self.remote_target);
        out += &format!("Via: SIP/2.0/{transport} {sent_by};branch=z9hG4bK{branch};rport\r\n");
        out += "Max-Forwards: 70\r\n";
        for r in &self.routes {
            out += &format!("Route: {r}\r\n");
        }
        out += &format!("From: {};tag={}\r\n", self.local, self.local_tag);
        out += &format!("To: {}\r\n", self.remote);
        out += &format!("Call-ID: {}\r\n", self.call_id);
        out += &format!("CSeq: {n} {method}\r\n");
        for (n, v) in extra {
            out += &format!("{n}: {}\r\n", v.replace(['\r', '\n'], " "));
        }
        let body = body.unwrap_or(("", b""));
        if !body.0.is_empty() {
            out += &format!("Content-Type: {}\r\n", body.0);
        }
        out += &format!("Content-Length: {}\r\n\r\n", body.1.len());
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body.1);
        bytes
    }

    /// The CSeq number of the last request built.
    pub fn local_cseq(&self) -> u32 {
        self.local_cseq
    }
}

/// Whether `m` is a request (not a response).
pub fn is_request(m: &Message) -> bool {
    matches!(m.start, StartLine::Request { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::check::{Outcome, datagram};

    const INVITE: &[u8] = b"INVITE sip:room@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:room@127.0.0.1>\r\nCall-ID: c1@x\r\n\
CSeq: 5 INVITE\r\nContact: <sip:alice@127.0.0.1:5062;transport=udp>;expires=30\r\nRecord-Route: <sip:p1;lr>\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn bye_goes_to_the_contact_with_swapped_tags() {
        let Outcome::Request(inv) = datagram(INVITE) else { panic!() };
        let mut d = Dialog::from_invite(&inv, "t9").unwrap();
        assert_eq!(d.remote_target, "sip:alice@127.0.0.1:5062;transport=udp");
        let bye = d.request("BYE", "UDP", "127.0.0.1:5060", "b1", &[], None);
        let Outcome::Request(m) = datagram(&bye) else { panic!("{}", String::from_utf8_lossy(&bye)) };
        assert_eq!(
            m.start,
            StartLine::Request { method: "BYE".into(), uri: "sip:alice@127.0.0.1:5062;transport=udp".into() }
        );
        assert_eq!(m.headers.single("From").unwrap(), Some("<sip:room@127.0.0.1>;tag=t9"));
        assert_eq!(m.headers.single("To").unwrap(), Some("\"Alice\" <sip:alice@127.0.0.1>;tag=a1"));
        assert_eq!(m.headers.single("Route").unwrap(), Some("<sip:p1;lr>"));
        assert_eq!(cseq(&m), Some((1, "BYE".into())));
        let again = d.request("INFO", "UDP", "127.0.0.1:5060", "b2", &[], Some(("text/plain", b"x")));
        let Outcome::Request(m2) = datagram(&again) else { panic!() };
        assert_eq!(cseq(&m2), Some((2, "INFO".into())));
        assert_eq!(m2.body, b"x");
    }

    #[test]
    fn in_dialog_requests_match_by_call_id_and_tags() {
        let Outcome::Request(inv) = datagram(INVITE) else { panic!() };
        let d = Dialog::from_invite(&inv, "t9").unwrap();
        let bye = |to_tag: &str, from_tag: &str| {
            let text = format!(
                "BYE sip:room@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\nMax-Forwards: 70\r\n\
From: <sip:alice@127.0.0.1>;tag={from_tag}\r\nTo: <sip:room@127.0.0.1>;tag={to_tag}\r\nCall-ID: c1@x\r\nCSeq: 6 BYE\r\nContent-Length: 0\r\n\r\n"
            );
            let Outcome::Request(m) = datagram(text.as_bytes()) else { panic!() };
            m
        };
        assert!(d.matches(&bye("t9", "a1")));
        assert!(!d.matches(&bye("t8", "a1")));
        assert!(!d.matches(&bye("t9", "zz")));
    }

    #[test]
    fn the_uac_dialog_comes_from_the_2xx() {
        let ok = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n\
From: \"Weekly\" <sip:weekly@127.0.0.1>;tag=f1\r\nTo: <sip:bob@127.0.0.1:5062>;tag=b7\r\nCall-ID: c9@t\r\n\
CSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.1:5062>\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\nContent-Length: 0\r\n\r\n";
        let crate::sip::check::Outcome::Response(m) = datagram(ok) else { panic!() };
        let mut d = Dialog::uac(&m, "\"Weekly\" <sip:weekly@127.0.0.1>", "f1", 1).unwrap();
        let ack = d.ack(1, "UDP", "127.0.0.1:5060", "a1", None);
        let Outcome::Request(a) = datagram(&ack) else { panic!() };
        assert_eq!(cseq(&a), Some((1, "ACK".into())));
        assert_eq!(a.headers.list("Route"), vec!["<sip:p2;lr>".to_string(), "<sip:p1;lr>".to_string()]);
        let bye = d.request("BYE", "UDP", "127.0.0.1:5060", "b1", &[], None);
        let Outcome::Request(b) = datagram(&bye) else { panic!() };
        assert_eq!(cseq(&b), Some((2, "BYE".into())));
        assert_eq!(b.start, StartLine::Request { method: "BYE".into(), uri: "sip:bob@127.0.0.1:5062".into() });
        assert_eq!(b.headers.single("From").unwrap(), Some("\"Weekly\" <sip:weekly@127.0.0.1>;tag=f1"));
        assert_eq!(b.headers.single("To").unwrap(), Some("<sip:bob@127.0.0.1:5062>;tag=b7"));
        // The callee's BYE (their tag in From, ours in To) belongs to it.
        let theirs = b"BYE sip:weekly@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\nMax-Forwards: 70\r\n\
From: <sip:bob@127.0.0.1:5062>;tag=b7\r\nTo: <sip:weekly@127.0.0.1>;tag=f1\r\nCall-ID: c9@t\r\nCSeq: 4 BYE\r\nContent-Length: 0\r\n\r\n";
        let Outcome::Request(t) = datagram(theirs) else { panic!() };
        assert!(d.matches(&t));
    }

    #[test]
    fn remote_targets_are_sip_uris_without_headers() {
        assert_eq!(uri_of("<sip:a@h?Route=%3Csip:p%3E>").as_deref(), Some("sip:a@h"));
        assert_eq!(
            uri_of("<sip:+1?0355@h;user=phone>").as_deref(),
            Some("sip:+1?0355@h;user=phone"),
            "'?' in the user part stays"
        );
        assert_eq!(uri_of("sip:a@h;tag=1").as_deref(), Some("sip:a@h"));
        assert_eq!(uri_of("\"x\" <sip:a@h").as_deref(), None, "no closing bracket");
        assert_eq!(uri_of("<tel:+12345>").as_deref(), None, "not a SIP URI");
    }
}
