//! TPKT (RFC 1006), the framing of H.225.0 call signalling and H.245 on TCP: version 3, a
//! reserved octet, and a 16-bit length that counts the four header octets too. A [`Framer`]
//! takes bytes as they come from a stream and gives whole packets back; anything that is not
//! TPKT closes the connection rather than resynchronising on guessed bytes.

/// Packets longer than this are refused (a Setup with fastStart and tokens is a few KiB).
pub const MAX_PACKET: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TpktError {
    #[error("not TPKT: version {0}, not 3")]
    Version(u8),
    #[error("a TPKT length of {0}, under its own header")]
    TooShort(usize),
    #[error("a TPKT packet of {0} octets, over the {MAX_PACKET} accepted")]
    TooLong(usize),
}

/// One packet with its header.
pub fn frame(payload: &[u8]) -> Result<Vec<u8>, TpktError> {
    let n = payload.len() + 4;
    if n > MAX_PACKET {
        return Err(TpktError::TooLong(n));
    }
    let mut out = Vec::with_capacity(n);
    out.extend_from_slice(&[3, 0]);
    out.extend_from_slice(&(n as u16).to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Cuts a byte stream into TPKT payloads.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
}

impl Framer {
    pub fn new() -> Framer {
        Framer::default()
    }

    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole payload, if one has arrived. An error means the stream is not TPKT (or
    /// breaks its limits): close it.
    pub fn next_packet(&mut self) -> Result<Option<Vec<u8>>, TpktError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        if self.buf[0] != 3 {
            return Err(TpktError::Version(self.buf[0]));
        }
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let n = usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]]));
        if n < 4 {
            return Err(TpktError::TooShort(n));
        }
        if n > MAX_PACKET {
            return Err(TpktError::TooLong(n));
        }
        if self.buf.len() < n {
            return Ok(None);
        }
        let payload = self.buf[4..n].to_vec();
        self.buf.drain(..n);
        Ok(Some(payload))
    }

    /// Bytes held that are not a whole packet yet.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_come_out_whole_however_the_stream_cuts_them() {
        let mut stream = frame(b"first").unwrap();
        stream.extend(frame(b"").unwrap());
        stream.extend(frame(&[7; 300]).unwrap());
        for step in [1, 2, 3, 5, 64, stream.len()] {
            let mut f = Framer::new();
            let mut got = Vec::new();
            for chunk in stream.chunks(step) {
                f.push(chunk);
                while let Some(p) = f.next_packet().unwrap() {
                    got.push(p);
                }
            }
            assert_eq!(got, vec![b"first".to_vec(), Vec::new(), vec![7; 300]], "{step}");
            assert_eq!(f.pending(), 0);
        }
    }

    #[test]
    fn what_is_not_tpkt_is_refused() {
        let mut f = Framer::new();
        f.push(b"INVITE sip:x SIP/2.0\r\n");
        assert_eq!(f.next_packet(), Err(TpktError::Version(b'I')));
        let mut f = Framer::new();
        f.push(&[3, 0, 0, 2]);
        assert_eq!(f.next_packet(), Err(TpktError::TooShort(2)));
        let mut f = Framer::new();
        f.push(&[3, 0, 0xff, 0xff]);
        assert_eq!(f.next_packet(), Err(TpktError::TooLong(65535)));
        assert!(frame(&[0; MAX_PACKET]).is_err());
    }
}
