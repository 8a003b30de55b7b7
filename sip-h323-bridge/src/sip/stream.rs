//! Messages back to back on a stream (TCP, TLS), read as the bytes arrive. The end of the header
//! section is searched for in the new bytes only, and a message whose body is incomplete is not
//! parsed again until its Content-Length has arrived, so a peer that trickles one byte at a time
//! costs work in proportion to what it sends, not to its square. Keep-alive CRLFs between
//! messages (RFC 5626) are dropped as they come.

use super::message::{Framing, MAX_MESSAGE, Message, ParseError, parse};

#[derive(Debug, Default)]
pub struct StreamReader {
    buf: Vec<u8>,
    /// Bytes already searched for the end of the header section, without finding it.
    scanned: usize,
    /// The whole message is known to need this many bytes.
    need: usize,
}

/// Where the header section's empty line ends within `b[from..]`, if it is there: `\n\n` or
/// `\n\r\n` (which `\r\n\r\n` contains).
fn has_blank_line(b: &[u8], from: usize) -> bool {
    let tail = &b[from.min(b.len())..];
    tail.windows(2).any(|w| w == b"\n\n") || tail.windows(3).any(|w| w == b"\n\r\n")
}

impl StreamReader {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The bytes received and not yet taken as messages (for the answer to a malformed one).
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// The next complete message, `Ok(None)` until more bytes arrive, or why the stream cannot
    /// be read any further (the connection should close).
    pub fn next_message(&mut self) -> Result<Option<Message>, ParseError> {
        let keepalive = self.buf.iter().take_while(|b| **b == b'\r' || **b == b'\n').count();
        if keepalive > 0 {
            self.buf.drain(..keepalive);
            self.scanned = 0;
            self.need = 0;
        }
        if self.buf.is_empty() || self.buf.len() < self.need {
            return Ok(None);
        }
        if self.need == 0 && !has_blank_line(&self.buf, self.scanned.saturating_sub(2)) {
            if self.buf.len() > MAX_MESSAGE {
                return Err(ParseError::TooLarge);
            }
            self.scanned = self.buf.len();
            return Ok(None);
        }
        match parse(&self.buf, Framing::Stream) {
            Ok((m, used)) => {
                self.buf.drain(..used);
                self.scanned = 0;
                self.need = 0;
                Ok(Some(m))
            }
            Err(ParseError::IncompleteBody { total }) => {
                self.need = total;
                Ok(None)
            }
            Err(ParseError::Incomplete) => {
                self.scanned = self.buf.len();
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:room@h SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:room@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n\
Content-Length: 5\r\n\r\nhello";

    #[test]
    fn a_trickled_message_is_read_once_complete() {
        let mut r = StreamReader::default();
        for (i, b) in INVITE.iter().enumerate() {
            r.push(&[*b]);
            let m = r.next_message().unwrap();
            assert_eq!(m.is_some(), i == INVITE.len() - 1, "at byte {i}");
            if let Some(m) = m {
                assert_eq!(m.body, b"hello");
            }
        }
        assert!(r.pending().is_empty());
    }

    #[test]
    fn keepalives_and_messages_back_to_back() {
        let mut r = StreamReader::default();
        r.push(b"\r\n\r\n");
        assert!(r.next_message().unwrap().is_none());
        assert!(r.pending().is_empty(), "keep-alives are dropped");
        let mut two = INVITE.to_vec();
        two.extend_from_slice(b"\r\n");
        two.extend_from_slice(INVITE);
        r.push(&two);
        assert!(r.next_message().unwrap().is_some());
        assert!(r.next_message().unwrap().is_some());
        assert!(r.next_message().unwrap().is_none());
    }

    #[test]
    fn endless_headers_and_bad_framing_end_the_stream() {
        let mut r = StreamReader::default();
        r.push(b"OPTIONS sip:h SIP/2.0\r\n");
        let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        let mut result = Ok(None);
        for _ in 0..(MAX_MESSAGE / line.len() + 2) {
            r.push(line);
            result = r.next_message();
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result.unwrap_err(), ParseError::TooLarge);
        let mut r = StreamReader::default();
        r.push(b"OPTIONS sip:h SIP/2.0\r\nContent-Length: x\r\n\r\n");
        assert!(matches!(r.next_message(), Err(ParseError::Malformed(_))));
    }
}
