//! What the server says to each checked message.

use rand::Rng;
use tessera_sip_h323_bridge::sip::check::{METHODS, Outcome};
use tessera_sip_h323_bridge::sip::response::build;

const SERVER: &str = concat!("Tessera/", env!("CARGO_PKG_VERSION"));

/// Whether the transport answers this request itself (it needs no call state).
pub fn is_local(method: Option<&str>) -> bool {
    method == Some("OPTIONS")
}

/// A response with Tessera's Server header.
pub fn reply(
    req: &tessera_sip_h323_bridge::sip::headers::Headers,
    code: u16,
    reason: &str,
    to_tag: &str,
    extra: &[(&str, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut all: Vec<(&str, String)> = vec![("Server", SERVER.to_string())];
    all.extend(extra.iter().cloned());
    build(req, code, reason, to_tag, &all, body)
}

pub fn tag() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

/// The status and bytes to send back, if any, and a label for metrics and logs.
pub fn answer(outcome: Outcome) -> (Option<(u16, Vec<u8>)>, &'static str) {
    let allow = || ("Allow", METHODS.join(", "));
    let server = || ("Server", SERVER.to_string());
    match outcome {
        Outcome::Request(m) => {
            let method = m.method().unwrap_or_default().to_string();
            let h = &m.headers;
            match method.as_str() {
                "ACK" => (None, "ack"),
                "OPTIONS" => {
                    let extra = [allow(), ("Accept", "application/sdp".into()), server()];
                    (Some((200, build(h, 200, "OK", &tag(), &extra, b""))), "options")
                }
                "CANCEL" => {
                    (Some((481, build(h, 481, "Call/Transaction Does Not Exist", &tag(), &[server()], b""))), "cancel")
                }
                _ => {
                    // Calls and in-dialog requests belong to the user agent; without one, say so.
                    let extra = [server(), ("Retry-After", "60".into())];
                    (Some((503, build(h, 503, "Service Unavailable", &tag(), &extra, b""))), "request")
                }
            }
        }
        Outcome::Reject(r, h) => {
            if h.single("CSeq").ok().flatten().is_some_and(|c| c.trim_end().ends_with("ACK")) {
                return (None, "rejected_ack");
            }
            let mut extra = vec![server()];
            match r.code {
                420 => extra.push(("Unsupported", r.unsupported.join(", "))),
                501 | 405 => extra.push(allow()),
                415 => extra.push(("Accept", "application/sdp".into())),
                _ => {}
            }
            tracing::debug!(code = r.code, reason = %r.reason, "SIP request rejected");
            (Some((r.code, build(&h, r.code, &r.reason, &tag(), &extra, b""))), "rejected")
        }
        Outcome::Response(_) => (None, "response"),
        Outcome::Drop(why) => {
            tracing::debug!(reason = %why, "SIP message dropped");
            (None, "dropped")
        }
    }
}
