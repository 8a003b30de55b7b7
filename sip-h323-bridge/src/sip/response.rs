//! Building responses (RFC 3261 §8.2.6): the request's Via headers in order, From, To (with a
//! tag added when it has none), Call-ID and CSeq, then any extra headers and the body.

use super::headers::Headers;

/// A response to a request whose headers are `req`. `to_tag` is added to To when it has none
/// (not for 100 Trying).
pub fn build(req: &Headers, code: u16, reason: &str, to_tag: &str, extra: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("SIP/2.0 {code} {}\r\n", reason.replace(['\r', '\n'], " "));
    for v in req.all("Via") {
        out += &format!("Via: {v}\r\n");
    }
    for name in ["From", "To", "Call-ID", "CSeq"] {
        if let Some(v) = req.all(name).next() {
            let v = if name == "To" && code > 100 && !has_tag(v) { format!("{v};tag={to_tag}") } else { v.to_string() };
            out += &format!("{name}: {v}\r\n");
        }
    }
    for (name, value) in extra {
        out += &format!("{name}: {}\r\n", value.replace(['\r', '\n'], " "));
    }
    out += &format!("Content-Length: {}\r\n\r\n", body.len());
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Whether a To/From value carries a tag parameter (outside its URI's angle brackets).
fn has_tag(v: &str) -> bool {
    let params = match v.rfind('>') {
        Some(i) => &v[i..],
        None => v,
    };
    params.split(';').skip(1).any(|p| p.trim().to_ascii_lowercase().starts_with("tag"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::check::{Outcome, datagram};

    #[test]
    fn responses_echo_the_request() {
        let req = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h1;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP h2;branch=z9hG4bK2\r\n\
To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
        let Outcome::Request(m) = datagram(req) else { panic!() };
        let r = build(&m.headers, 200, "OK", "abc", &[("Allow", "INVITE, ACK".into())], b"");
        let Outcome::Response(resp) = datagram(&r) else { panic!("{}", String::from_utf8_lossy(&r)) };
        assert_eq!(resp.headers.list("Via").len(), 2);
        assert_eq!(resp.headers.single("To").unwrap(), Some("<sip:a@b>;tag=abc"));
        assert_eq!(resp.headers.single("CSeq").unwrap(), Some("1 OPTIONS"));
        assert!(has_tag("\"x\" <sip:a@b;tag=no>;tag=1") && !has_tag("<sip:a@b;tag=no>"));
    }
}
