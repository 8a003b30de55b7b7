//! SIP messages from bytes: the start line, unfolded headers and the body, framed by
//! Content-Length (RFC 3261 §7, §18.3). A datagram holds one message (trailing octets are
//! ignored); a stream holds messages back to back, and an incomplete one asks for more bytes.

use super::headers::Headers;
use super::is_token;

/// The largest message accepted, headers and body.
pub const MAX_MESSAGE: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A stream has not delivered the whole message yet.
    #[error("the message is incomplete")]
    Incomplete,
    /// A stream has delivered the header section, not the whole body: `total` bytes (from the
    /// start of the buffer) make the message.
    #[error("the message is incomplete")]
    IncompleteBody { total: usize },
    #[error("{0}")]
    Malformed(String),
    #[error("SIP version {0} is not supported")]
    Version(String),
    #[error("the message is larger than {MAX_MESSAGE} bytes")]
    TooLarge,
}

fn malformed(why: impl Into<String>) -> ParseError {
    ParseError::Malformed(why.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Datagram,
    Stream,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Message {
    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses one message from the start of `buf`; returns it and how many bytes it used.
pub fn parse(buf: &[u8], framing: Framing) -> Result<(Message, usize), ParseError> {
    // Keep-alive CRLFs between messages on a stream (RFC 5626) are skipped.
    let skip =
        if framing == Framing::Stream { buf.iter().take_while(|b| **b == b'\r' || **b == b'\n').count() } else { 0 };
    let buf = &buf[skip..];
    let (head_end, body_start) = match (find(buf, b"\r\n\r\n"), find(buf, b"\n\n")) {
        (Some(a), Some(b)) if b + 2 < a + 4 => (b, b + 2),
        (Some(a), _) => (a, a + 4),
        (None, Some(b)) => (b, b + 2),
        (None, None) => match framing {
            _ if buf.len() > MAX_MESSAGE => return Err(ParseError::TooLarge),
            Framing::Stream => return Err(ParseError::Incomplete),
            // A datagram without the empty line: all of it is headers, there is no body.
            Framing::Datagram => (buf.len(), buf.len()),
        },
    };
    if head_end > MAX_MESSAGE {
        return Err(ParseError::TooLarge);
    }
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| malformed("the header section is not UTF-8"))?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = start_line(lines.next().unwrap_or_default())?;
    let headers = Headers::read(lines, true).map_err(malformed)?;
    let length = match headers.single("Content-Length").map_err(malformed)? {
        Some(v) => {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed(format!("Content-Length {v:?} is not a non-negative number")));
            }
            let n: usize = v.parse().map_err(|_| ParseError::TooLarge)?;
            if n > MAX_MESSAGE {
                return Err(ParseError::TooLarge);
            }
            Some(n)
        }
        None => None,
    };
    let available = buf.len().saturating_sub(body_start);
    let length = match (length, framing) {
        (Some(n), _) if n <= available => n,
        (Some(n), Framing::Datagram) => {
            return Err(malformed(format!("Content-Length {n} is larger than the {available} bytes that follow")));
        }
        (Some(n), Framing::Stream) => return Err(ParseError::IncompleteBody { total: skip + body_start + n }),
        (None, Framing::Datagram) => available,
        (None, Framing::Stream) => return Err(malformed("Content-Length is required on a stream")),
    };
    if body_start + length > MAX_MESSAGE {
        return Err(ParseError::TooLarge);
    }
    let body = buf.get(body_start..body_start + length).unwrap_or_default().to_vec();
    Ok((Message { start, headers, body }, skip + body_start + length))
}

fn start_line(line: &str) -> Result<StartLine, ParseError> {
    if let Some(rest) = line.strip_prefix("SIP/") {
        let mut parts = rest.splitn(3, ' ');
        let (version, code, reason) =
            (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next());
        if version != "2.0" {
            return Err(ParseError::Version(format!("SIP/{version}")));
        }
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed(format!("status code {code:?} is not three digits")));
        }
        // unwrap-free: three ASCII digits always parse.
        let code: u16 = code.parse().map_err(|_| malformed("status code"))?;
        if !(100..=699).contains(&code) {
            return Err(malformed(format!("status code {code} is out of range")));
        }
        return Ok(StartLine::Response { code, reason: reason.unwrap_or_default().to_string() });
    }
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, uri, version] = parts.as_slice() else {
        return Err(malformed("the request line must be METHOD SP Request-URI SP SIP/2.0, single spaces"));
    };
    if !is_token(method) {
        return Err(malformed(format!("method {method:?} is not a token")));
    }
    if uri.is_empty() {
        return Err(malformed("empty Request-URI"));
    }
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err(if version.len() > 4 && version.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/")) {
            ParseError::Version(version.to_string())
        } else {
            malformed(format!("{version:?} is not a SIP version"))
        });
    }
    Ok(StartLine::Request { method: method.to_string(), uri: uri.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] =
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nbodyNEXT";

    #[test]
    fn framing_on_streams_and_datagrams() {
        let (m, used) = parse(OPTIONS, Framing::Stream).unwrap();
        assert_eq!((m.body.as_slice(), used), (&b"body"[..], OPTIONS.len() - 4));
        let head = OPTIONS.len() - 8;
        for cut in 0..OPTIONS.len() - 4 {
            let want = if cut < head { ParseError::Incomplete } else { ParseError::IncompleteBody { total: head + 4 } };
            assert_eq!(parse(&OPTIONS[..cut], Framing::Stream).unwrap_err(), want, "{cut}");
        }
        let mut keepalive = b"\r\n\r\n".to_vec();
        keepalive.extend_from_slice(OPTIONS);
        assert_eq!(parse(&keepalive, Framing::Stream).unwrap().1, OPTIONS.len());
        assert!(matches!(parse(&OPTIONS[..OPTIONS.len() - 6], Framing::Datagram), Err(ParseError::Malformed(_))));
        let huge = vec![b'a'; MAX_MESSAGE + 10];
        assert_eq!(parse(&huge, Framing::Stream).unwrap_err(), ParseError::TooLarge);
    }

    #[test]
    fn folding_and_start_lines() {
        let m = parse(b"SIP/2.0 180 \r\nCSeq: 1\r\n  INVITE\r\nl: 0\r\n\r\n", Framing::Datagram).unwrap().0;
        assert_eq!(m.start, StartLine::Response { code: 180, reason: String::new() });
        assert_eq!(m.headers.single("cseq").unwrap(), Some("1 INVITE"));
        // The last one was found by the fuzzer: a multi-byte character across byte 4 of the version.
        for (bad, v) in [
            ("SIP/2.0 4294967301 x", false),
            ("SIP/3.0 200 OK", true),
            ("INVITE sip:a@b SIP/7.0", true),
            ("INVITE sip:a@b SIPé/2", false),
        ] {
            let e = parse(format!("{bad}\r\n\r\n").as_bytes(), Framing::Datagram).unwrap_err();
            assert_eq!(matches!(e, ParseError::Version(_)), v, "{bad}: {e}");
        }
    }
}
