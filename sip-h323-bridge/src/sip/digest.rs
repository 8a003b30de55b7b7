//! HTTP digest authentication as SIP uses it (RFC 3261 §22, RFC 7616, RFC 8760): challenges
//! offering SHA-256 and MD5, the Authorization header read, and the response checked against
//! the stored HA1 (`H(user:realm:password)`, so the password itself is never kept for SIP).
//! Nonces are stateless: a timestamp, a random part and an HMAC-SHA-256 of both under a server
//! secret, valid for [`NONCE_LIFETIME`] seconds; an older one is answered `stale=true`, so the
//! client retries without asking the user. An authorization cannot be replayed: its digest URI
//! must be the request's, and [`NonceCounts`] accepts each nonce-count of a nonce once, in
//! increasing order (a nonce without `qop` only once).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub const NONCE_LIFETIME: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    pub fn hash(self, data: &str) -> String {
        match self {
            Algorithm::Md5 => hex::encode(md5::Md5::digest(data.as_bytes())),
            Algorithm::Sha256 => hex::encode(Sha256::digest(data.as_bytes())),
        }
    }
}

/// `H(username:realm:password)`.
pub fn ha1(alg: Algorithm, username: &str, realm: &str, password: &str) -> String {
    alg.hash(&format!("{username}:{realm}:{password}"))
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
    pub opaque: Option<String>,
}

impl Credentials {
    pub fn algorithm(&self) -> Option<Algorithm> {
        match self.algorithm.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None | Some("MD5") => Some(Algorithm::Md5),
            Some("SHA-256") => Some(Algorithm::Sha256),
            _ => None,
        }
    }
}

/// Reads an Authorization (or Proxy-Authorization) value: `Digest k="v", k=v, …`.
pub fn parse(value: &str) -> Result<Credentials, String> {
    let v = value.trim();
    let rest = match v.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("digest") => rest,
        _ => return Err("not a Digest authorization".into()),
    };
    let mut c = Credentials::default();
    let mut s = rest.trim_start();
    while !s.is_empty() {
        let (key, after) = s.split_once('=').ok_or("a parameter without '='")?;
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (val, rest) = if let Some(q) = after.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, ch)) = chars.next() {
                match ch {
                    '\\' => {
                        if let Some((_, e)) = chars.next() {
                            out.push(e);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => out.push(ch),
                }
            }
            let end = end.ok_or("an unterminated quoted value")?;
            (out, &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        if val.len() > 1024 {
            return Err(format!("{key} is too long"));
        }
        match key.as_str() {
            "username" => c.username = val,
            "realm" => c.realm = val,
            "nonce" => c.nonce = val,
            "uri" => c.uri = val,
            "response" => c.response = val.to_ascii_lowercase(),
            "algorithm" => c.algorithm = Some(val),
            "qop" => c.qop = Some(val),
            "nc" => c.nc = Some(val),
            "cnonce" => c.cnonce = Some(val),
            "opaque" => c.opaque = Some(val),
            _ => {}
        }
        s = rest.trim_start().strip_prefix(',').unwrap_or(rest).trim_start();
    }
    for (name, v) in [("username", &c.username), ("nonce", &c.nonce), ("uri", &c.uri), ("response", &c.response)] {
        if v.is_empty() {
            return Err(format!("no {name}"));
        }
    }
    Ok(c)
}

/// The response a client knowing the password would send for `method`.
pub fn expected(alg: Algorithm, ha1: &str, method: &str, c: &Credentials) -> String {
    let ha2 = alg.hash(&format!("{method}:{}", c.uri));
    match (&c.qop, &c.nc, &c.cnonce) {
        (Some(qop), Some(nc), Some(cnonce)) => alg.hash(&format!("{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}", c.nonce)),
        _ => alg.hash(&format!("{ha1}:{}:{ha2}", c.nonce)),
    }
}

/// Whether two hex strings are equal, in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Issues and checks stateless nonces with a server secret.
pub struct Nonces {
    secret: [u8; 32],
    counter: std::sync::atomic::AtomicU64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum NonceState {
    Fresh,
    Stale,
    Invalid,
}

impl Nonces {
    pub fn new(secret: [u8; 32]) -> Nonces {
        Nonces { secret, counter: std::sync::atomic::AtomicU64::new(0) }
    }

    fn mac(&self, body: &str) -> String {
        // unwrap: HMAC takes a key of any length.
        let mut m = Hmac::<Sha256>::new_from_slice(&self.secret).unwrap();
        m.update(body.as_bytes());
        hex::encode(&m.finalize().into_bytes()[..16])
    }

    /// A new nonce: `TIME.RANDOM.MAC` (time in hex seconds; 64 random bits make each unique).
    pub fn issue(&self, now: i64) -> String {
        let mut r = [0u8; 8];
        // The random part only needs to differ between nonces; the MAC is what cannot be forged.
        let seed = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(seed.to_le_bytes());
        h.update(now.to_le_bytes());
        r.copy_from_slice(&h.finalize()[..8]);
        let body = format!("{now:x}.{}", hex::encode(r));
        format!("{body}.{}", self.mac(&body))
    }

    pub fn check(&self, nonce: &str, now: i64) -> NonceState {
        let Some((body, mac)) = nonce.rsplit_once('.') else { return NonceState::Invalid };
        if !same(mac, &self.mac(body)) {
            return NonceState::Invalid;
        }
        let ts = body.split('.').next().unwrap_or_default();
        match i64::from_str_radix(ts, 16) {
            Ok(t) if t <= now && now - t <= NONCE_LIFETIME => NonceState::Fresh,
            Ok(_) => NonceState::Stale,
            Err(_) => NonceState::Invalid,
        }
    }

    /// The WWW-Authenticate values to send: MD5, then SHA-256 (RFC 8760). MD5 comes first
    /// because many deployed clients (SIPp, older desk phones) read only the first challenge and
    /// give up on an algorithm they do not know; clients that can answer SHA-256 may.
    pub fn challenges(&self, realm: &str, now: i64, stale: bool) -> Vec<String> {
        let nonce = self.issue(now);
        let stale = if stale { ", stale=true" } else { "" };
        [Algorithm::Md5, Algorithm::Sha256]
            .iter()
            .map(|a| {
                format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"{stale}", a.name())
            })
            .collect()
    }
}

/// The nonce-counts already used, per nonce, for as long as nonces live: an authorization whose
/// count is not above the last one accepted for its nonce is a replay.
#[derive(Debug, Default)]
pub struct NonceCounts {
    seen: HashMap<String, (u32, i64)>,
}

/// At most this many nonces are remembered; beyond, a new authorization is told to get a fresh
/// nonce (answered stale), which costs an honest client one more round trip.
const MAX_REMEMBERED: usize = 200_000;

impl NonceCounts {
    /// Whether this nonce-count of this nonce was already accepted (a replay), without
    /// remembering anything: checked before the digest is, so that replays cost no attempt.
    pub fn is_replay(&self, nonce: &str, nc: Option<&str>) -> bool {
        let n = nc.and_then(|h| u32::from_str_radix(h, 16).ok()).unwrap_or(0);
        self.seen.get(nonce).is_some_and(|(last, _)| n <= *last)
    }

    /// Whether the authorization with this nonce and `nc` (hex; `None` without `qop`) is new;
    /// remembers it. `now` forgets nonces past their lifetime.
    pub fn accept(&mut self, nonce: &str, nc: Option<&str>, now: i64) -> bool {
        let n = match nc {
            None => 0,
            Some(h) => match u32::from_str_radix(h, 16) {
                Ok(n) if n > 0 => n,
                _ => return false,
            },
        };
        if self.seen.len() >= MAX_REMEMBERED {
            self.seen.retain(|_, (_, at)| now - *at <= NONCE_LIFETIME);
            if self.seen.len() >= MAX_REMEMBERED {
                return false;
            }
        }
        match self.seen.get_mut(nonce) {
            Some((last, _)) if n <= *last => false,
            Some((last, _)) => {
                *last = n;
                true
            }
            None => {
                self.seen.insert(nonce.to_string(), (n, now));
                true
            }
        }
    }
}

/// Whether the digest's `uri` names the request's Request-URI: the same scheme, host
/// (case-insensitively) and port, and the same user when the digest URI has one (SIPp, for one,
/// gives only the host), so that an authorization for one server or user cannot serve another.
pub fn uri_matches(digest_uri: &str, request_uri: &str) -> bool {
    use super::uri::{Uri, parse};
    match (parse(digest_uri), parse(request_uri)) {
        (Ok(Uri::Sip(a)), Ok(Uri::Sip(b))) => {
            a.secure == b.secure
                && (a.user.is_none() || a.user == b.user)
                && a.host.eq_ignore_ascii_case(&b.host)
                && a.port.unwrap_or(if a.secure { 5061 } else { 5060 })
                    == b.port.unwrap_or(if b.secure { 5061 } else { 5060 })
        }
        _ => digest_uri == request_uri,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2617_example_and_sha256() {
        // RFC 2617 §3.5's example with qop=auth (computed the same way for SIP).
        let c = parse(
            r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        let h = ha1(Algorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
        assert_eq!(expected(Algorithm::Md5, &h, "GET", &c), "6629fae49393a05397450978507c4ef1");
        assert_eq!(c.algorithm(), Some(Algorithm::Md5));
        // RFC 7616 §3.9.1's SHA-256 example.
        let c = parse(
            r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        )
        .unwrap();
        let h = ha1(Algorithm::Sha256, "Mufasa", "http-auth@example.org", "Circle of Life");
        assert_eq!(c.algorithm(), Some(Algorithm::Sha256));
        assert_eq!(expected(Algorithm::Sha256, &h, "GET", &c), c.response);
    }

    #[test]
    fn bad_headers_are_refused() {
        for bad in ["Basic abc", "Digest username=\"a", "Digest realm=x", "Digest username=a, nonce"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let c = parse("Digest username=a, nonce=n, uri=u, response=R, algorithm=SHA-512-256").unwrap();
        assert_eq!(c.algorithm(), None);
        assert_eq!(c.response, "r");
    }

    #[test]
    fn nonces_expire_and_cannot_be_forged() {
        let n = Nonces::new([7; 32]);
        let nonce = n.issue(1000);
        assert_eq!(n.check(&nonce, 1100), NonceState::Fresh);
        assert_eq!(n.check(&nonce, 1000 + NONCE_LIFETIME + 1), NonceState::Stale);
        assert_eq!(Nonces::new([8; 32]).check(&nonce, 1100), NonceState::Invalid);
        assert_eq!(n.check("3e8.00", 1100), NonceState::Invalid);
        assert_eq!(n.check("nothing", 1100), NonceState::Invalid);
        let ch = n.challenges("tessera", 1000, true);
        assert!(ch[0].contains("algorithm=MD5") && ch[1].contains("algorithm=SHA-256") && ch[0].contains("stale=true"));
        // Each nonce is new; a later time with the MAC of another is refused.
        let other = n.issue(1000);
        assert_ne!(nonce, other);
        let (_, mac) = nonce.rsplit_once('.').unwrap();
        let rand = nonce.split('.').nth(1).unwrap();
        assert_eq!(n.check(&format!("{:x}.{rand}.{mac}", 1200), 1250), NonceState::Invalid);
    }

    #[test]
    fn an_authorization_is_used_once() {
        let mut c = NonceCounts::default();
        assert!(c.accept("n1", Some("00000001"), 10));
        assert!(c.is_replay("n1", Some("00000001")) && !c.is_replay("n1", Some("00000002")));
        assert!(!c.accept("n1", Some("00000001"), 11), "the same count again is a replay");
        assert!(c.accept("n1", Some("00000002"), 12));
        assert!(!c.accept("n1", Some("00000001"), 13), "an older count");
        assert!(c.accept("n2", Some("00000001"), 13), "another nonce");
        assert!(c.accept("n3", None, 14));
        assert!(!c.accept("n3", None, 15), "a nonce without qop serves once");
        assert!(!c.accept("n4", Some("zz"), 15));
        assert!(!c.accept("n4", Some("00000000"), 15));
    }

    #[test]
    fn the_digest_uri_must_be_the_request_uri() {
        assert!(uri_matches("sip:127.0.0.1", "sip:127.0.0.1:5060"));
        assert!(uri_matches("sip:Room@Example.org", "sip:Room@example.org"));
        assert!(!uri_matches("sip:127.0.0.1", "sip:127.0.0.1:5070"));
        assert!(!uri_matches("sip:closed@h", "sip:open@h"));
        assert!(uri_matches("sip:h:5070", "sip:bob@h:5070"), "the host alone, as SIPp gives it");
        assert!(!uri_matches("sips:h", "sip:h"));
        assert!(uri_matches("tel:+1", "tel:+1") && !uri_matches("tel:+1", "tel:+2"));
    }
}
