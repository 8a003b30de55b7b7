//! SDES (RFC 4568): the `a=crypto` attribute that carries an SRTP master key and salt in the
//! SDP of a call whose signalling is encrypted (SIP over TLS). Each side announces the key it
//! sends with; the answer repeats the chosen line's tag and suite with the answerer's own key.
//!
//! Taken: one `inline:` key without MKI (lifetimes are read and ignored: no call outlives 2^31
//! packets), no session parameters (`UNENCRYPTED_SRTP` and the like would turn protection
//! off), and the two AES-128 counter-mode suites every SIP endpoint that does SRTP offers.
//! Other lines are skipped, not refused, so that an offer listing an AES-256 or GCM suite first
//! still meets one Tessera takes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

/// Master key (16 bytes) then master salt (14 bytes), as `inline:` carries them.
pub const KEY_LEN: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// AES-128 counter mode, 80-bit HMAC-SHA1 tag on RTP and RTCP.
    Aes128Sha1_80,
    /// The same with a 32-bit tag on RTP (RTCP keeps 80 bits).
    Aes128Sha1_32,
}

impl Suite {
    pub fn as_str(self) -> &'static str {
        match self {
            Suite::Aes128Sha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Suite::Aes128Sha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    fn parse(s: &str) -> Option<Suite> {
        match s {
            "AES_CM_128_HMAC_SHA1_80" => Some(Suite::Aes128Sha1_80),
            "AES_CM_128_HMAC_SHA1_32" => Some(Suite::Aes128Sha1_32),
            _ => None,
        }
    }
}

/// One `a=crypto` line Tessera can take.
#[derive(Clone, PartialEq, Eq)]
pub struct Crypto {
    pub tag: u32,
    pub suite: Suite,
    /// Master key and salt.
    pub key: [u8; KEY_LEN],
}

/// Keys never reach a log through `{:?}`.
impl fmt::Debug for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crypto").field("tag", &self.tag).field("suite", &self.suite).finish_non_exhaustive()
    }
}

impl Crypto {
    /// The attribute's value (after `a=crypto:`), or why it is not one Tessera takes.
    pub fn parse(value: &str) -> Result<Crypto, String> {
        let mut parts = value.split_ascii_whitespace();
        let (Some(tag), Some(suite), Some(params)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("a=crypto needs a tag, a suite and a key: {:?}", short(value)));
        };
        let tag: u32 = tag
            .parse()
            .ok()
            .filter(|t| *t < 1_000_000_000)
            .ok_or_else(|| format!("a=crypto tag {:?} is not a number of at most 9 digits", short(tag)))?;
        let suite = Suite::parse(suite).ok_or_else(|| format!("a=crypto suite {:?} is not taken", short(suite)))?;
        if parts.next().is_some() {
            return Err("a=crypto session parameters are not taken".into());
        }
        if params.contains(';') {
            return Err("a=crypto with more than one key is not taken".into());
        }
        let inline = params.strip_prefix("inline:").ok_or("a=crypto key method is not inline:")?;
        let mut fields = inline.split('|');
        let encoded = fields.next().unwrap_or_default();
        for f in fields {
            if f.contains(':') {
                return Err("a=crypto keys with an MKI are not taken".into());
            }
        }
        let bytes = STANDARD.decode(encoded).map_err(|_| "a=crypto key is not base64".to_string())?;
        let key: [u8; KEY_LEN] =
            bytes.try_into().map_err(|b: Vec<u8>| format!("a=crypto key is {} bytes, not {KEY_LEN}", b.len()))?;
        Ok(Crypto { tag, suite, key })
    }

    /// The line that announces `key` for the same tag and suite (an answer to this one).
    pub fn answered_with(&self, key: [u8; KEY_LEN]) -> Crypto {
        Crypto { tag: self.tag, suite: self.suite, key }
    }
}

/// The attribute's value, as [`Crypto::parse`] reads it.
impl fmt::Display for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} inline:{}", self.tag, self.suite.as_str(), STANDARD.encode(self.key))
    }
}

/// An SDP with the keys of its `a=crypto` lines replaced by `(redacted)`, for logs.
pub fn redacted(sdp: &str) -> String {
    sdp.split_inclusive('\n')
        .map(|line| match line.find("inline:").filter(|_| line.starts_with("a=crypto:")) {
            Some(at) => {
                let end = if line.ends_with("\r\n") {
                    "\r\n"
                } else if line.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                format!("{}inline:(redacted){end}", &line[..at])
            }
            None => line.to_string(),
        })
        .collect()
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4568 §9.1's example key.
    const RFC: &str = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32";

    #[test]
    fn lines_are_read_and_written() {
        let line = "1 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20";
        let c = Crypto::parse(line).unwrap();
        assert_eq!((c.tag, c.suite), (1, Suite::Aes128Sha1_32));
        assert_eq!(c.to_string(), "1 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
        assert_eq!(Crypto::parse(&c.to_string()).unwrap(), c);
        let answer = c.answered_with([7; KEY_LEN]);
        assert_eq!((answer.tag, answer.suite), (1, Suite::Aes128Sha1_32));
        assert!(!format!("{c:?}").contains("PS1u"), "the key stays out of Debug");
    }

    #[test]
    fn logs_get_no_keys() {
        let sdp = "v=0\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20\r\na=sendrecv\r\n";
        let r = redacted(sdp);
        assert!(!r.contains("PS1u"), "{r}");
        assert!(r.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(redacted)\r\na=sendrecv\r\n"), "{r}");
        assert_eq!(redacted("v=0\r\n"), "v=0\r\n");
    }

    #[test]
    fn what_is_not_taken_says_why() {
        for (line, why) in [
            (RFC, "MKI"),
            ("1 AES_256_CM_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "suite"),
            ("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR UNENCRYPTED_SRTP", "session"),
            ("1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", "5 bytes"),
            ("1 AES_CM_128_HMAC_SHA1_80 inline:!!!", "base64"),
            ("x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "tag"),
            ("1 AES_CM_128_HMAC_SHA1_80", "needs"),
            ("1 AES_CM_128_HMAC_SHA1_80 uri:x", "inline"),
        ] {
            let e = Crypto::parse(line).unwrap_err();
            assert!(e.contains(why), "{line}: {e}");
        }
    }
}
