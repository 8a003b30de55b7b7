//! What a server answers to a request before anything else looks at it, and which responses it
//! drops (RFC 3261 §8.2, §16.3; RFC 4475 lists the traps). One function per direction; the
//! answer carries the status code and a reason phrase that says what was wrong.

use super::headers::{Headers, split_list};
use super::message::{Framing, Message, ParseError, StartLine, parse};
use super::{name_addr, uri, via};

/// The methods Tessera implements; others get 501.
pub const METHODS: &[&str] = &[
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "INFO",
    "MESSAGE",
    "UPDATE",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
];
/// Option tags Tessera supports in Require.
pub const EXTENSIONS: &[&str] = &[];
/// Body types Tessera reads.
pub const BODY_TYPES: &[&str] = &[
    "application/sdp",
    "application/dtmf-relay",
    "application/media_control+xml",
    "text/plain",
    "multipart/mixed",
    "multipart/alternative",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: u16,
    pub reason: String,
    /// For 420: the option tags not supported (sent back in `Unsupported`).
    pub unsupported: Vec<String>,
}

fn reject(code: u16, reason: impl Into<String>) -> Rejection {
    Rejection { code, reason: reason.into(), unsupported: Vec::new() }
}

/// What to do with one datagram or one framed stream message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Request(Message),
    Response(Message),
    /// Answer with this status. The headers are the request's as far as they could be read, to
    /// address the response (Via, From, To, Call-ID, CSeq).
    Reject(Rejection, Headers),
    /// Nothing to answer: a bad response, or bytes that are not SIP.
    Drop(String),
}

/// Parses and checks a datagram.
pub fn datagram(bytes: &[u8]) -> Outcome {
    match parse(bytes, Framing::Datagram) {
        Ok((m, _)) => classify(m),
        Err(e) => parse_failure(bytes, e),
    }
}

/// What a parse error means: requests get an answer, anything else is dropped.
pub fn parse_failure(bytes: &[u8], e: ParseError) -> Outcome {
    let looks_like_request = !bytes.starts_with(b"SIP/") && bytes.iter().take(64).any(|b| *b == b' ');
    match e {
        _ if !looks_like_request => Outcome::Drop(e.to_string()),
        ParseError::Version(v) => Outcome::Reject(reject(505, format!("Version Not Supported ({v})")), lenient(bytes)),
        ParseError::TooLarge => Outcome::Reject(reject(513, "Message Too Large"), lenient(bytes)),
        ParseError::Malformed(why) => Outcome::Reject(reject(400, format!("Bad Request ({why})")), lenient(bytes)),
        ParseError::Incomplete | ParseError::IncompleteBody { .. } => Outcome::Drop(e.to_string()),
    }
}

pub fn classify(m: Message) -> Outcome {
    match &m.start {
        StartLine::Request { .. } => match check_request(&m) {
            Ok(()) => Outcome::Request(m),
            Err(r) => Outcome::Reject(r, m.headers),
        },
        StartLine::Response { .. } => match check_response(&m) {
            Ok(()) => Outcome::Response(m),
            Err(why) => Outcome::Drop(why),
        },
    }
}

/// The headers of a message that did not parse, read without judging them, to address a 400.
pub fn lenient(bytes: &[u8]) -> Headers {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(bytes.len()).min(super::message::MAX_MESSAGE);
    let text = String::from_utf8_lossy(&bytes[..end]);
    let lines = text.split('\n').skip(1).map(|l| l.trim_end_matches('\r'));
    // Not strict: never an error.
    Headers::read(lines, false).unwrap_or_default()
}

fn cseq(value: &str) -> Result<(u32, &str), String> {
    let mut it = value.split_whitespace();
    let (Some(n), Some(method), None) = (it.next(), it.next(), it.next()) else {
        return Err(format!("CSeq {value:?} is not 'number method'"));
    };
    let n =
        n.parse::<u32>().ok().filter(|n| *n < 1 << 31).ok_or_else(|| format!("CSeq number {n} is not below 2^31"))?;
    Ok((n, method))
}

fn bad(why: impl Into<String>) -> Rejection {
    reject(400, format!("Bad Request ({})", why.into()))
}

pub fn check_request(m: &Message) -> Result<(), Rejection> {
    let StartLine::Request { method, uri: ruri } = &m.start else {
        return Err(bad("not a request"));
    };
    let h = &m.headers;
    for name in ["To", "From", "Call-ID", "CSeq", "Max-Forwards", "Content-Type"] {
        h.single(name).map_err(bad)?;
    }
    for name in ["To", "From", "Call-ID", "CSeq", "Via"] {
        if h.all(name).next().is_none() {
            return Err(bad(format!("missing {name}")));
        }
    }
    if let Some(mf) = h.single("Max-Forwards").map_err(bad)?
        && (mf.is_empty() || !mf.bytes().all(|b| b.is_ascii_digit()) || mf.parse::<u16>().map_or(true, |n| n > 255))
    {
        return Err(bad(format!("Max-Forwards {mf:?} is not 0 to 255")));
    }
    let (_, cseq_method) = cseq(h.single("CSeq").map_err(bad)?.unwrap_or_default()).map_err(bad)?;
    let call_id = h.single("Call-ID").map_err(bad)?.unwrap_or_default();
    if call_id.is_empty() || call_id.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(bad("Call-ID is empty or contains spaces or control characters"));
    }
    let request_uri = uri::parse(ruri).map_err(|e| bad(format!("Request-URI: {e}")))?;
    if let uri::Uri::Sip(u) = &request_uri
        && u.headers.is_some()
    {
        return Err(bad("the Request-URI carries '?' headers"));
    }
    for name in ["To", "From"] {
        let v = h.single(name).map_err(bad)?.unwrap_or_default();
        if split_list(v).len() != 1 {
            return Err(bad(format!("{name} has more than one value (an unquoted comma?)")));
        }
        name_addr::parse(v).map_err(|e| bad(format!("{name}: {e}")))?;
    }
    for c in h.list("Contact") {
        if c != "*" {
            name_addr::parse(&c).map_err(|e| bad(format!("Contact: {e}")))?;
        }
    }
    for v in h.list("Via") {
        via::parse(&v).map_err(|e| bad(format!("Via: {e}")))?;
    }
    if !METHODS.contains(&method.as_str()) {
        return Err(reject(501, format!("Not Implemented ({method})")));
    }
    if cseq_method != method {
        return Err(bad(format!("CSeq method {cseq_method} does not match {method}")));
    }
    if !matches!(request_uri, uri::Uri::Sip(_)) {
        return Err(reject(416, format!("Unsupported URI Scheme ({})", request_uri.scheme())));
    }
    let unsupported: Vec<String> =
        h.list("Require").into_iter().filter(|t| !t.is_empty() && !EXTENSIONS.contains(&t.as_str())).collect();
    if !unsupported.is_empty() && method != "ACK" && method != "CANCEL" {
        return Err(Rejection { code: 420, reason: "Bad Extension".into(), unsupported });
    }
    if !m.body.is_empty() {
        let ct = h.single("Content-Type").map_err(bad)?.unwrap_or_default();
        let media = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if !BODY_TYPES.contains(&media.as_str()) {
            return Err(reject(415, format!("Unsupported Media Type ({media})")));
        }
    }
    Ok(())
}

/// A response that fails these is dropped (there is nobody to tell).
pub fn check_response(m: &Message) -> Result<(), String> {
    let h = &m.headers;
    for name in ["To", "From", "Call-ID", "CSeq"] {
        if h.single(name)?.is_none() {
            return Err(format!("response without {name}"));
        }
    }
    cseq(h.single("CSeq")?.unwrap_or_default())?;
    if h.all("Via").next().is_none() {
        return Err("response without Via".into());
    }
    // What a dialog is made of must be sound, or requests built from it would not be.
    let call_id = h.single("Call-ID")?.unwrap_or_default();
    if call_id.is_empty() || call_id.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err("Call-ID is empty or contains spaces or control characters".into());
    }
    for name in ["To", "From"] {
        let v = h.single(name)?.unwrap_or_default();
        if split_list(v).len() != 1 {
            return Err(format!("{name} has more than one value"));
        }
        name_addr::parse(v).map_err(|e| format!("{name}: {e}"))?;
    }
    for c in h.list("Contact") {
        name_addr::parse(&c).map_err(|e| format!("Contact: {e}"))?;
    }
    Ok(())
}
