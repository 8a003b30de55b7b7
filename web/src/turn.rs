//! TURN for browsers behind firewalls: the relays the administrator runs (coturn, with
//! `use-auth-secret`) and the time-limited credentials their shared secret makes, which each
//! conference page is given (the "TURN REST API" scheme coturn implements: the user name is the
//! expiry time and a label, the password the base64 HMAC-SHA1 of the user name with the
//! secret). Nothing is stored; a relay checks the password itself.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;

/// The relays and their secret (`webrtc.turn_urls`, `webrtc.turn_secret`).
#[derive(Clone)]
pub struct Turn {
    pub urls: Vec<String>,
    pub secret: String,
    /// How long a page's credentials last (`webrtc.turn_credential_hours`).
    pub ttl_secs: i64,
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn")
            .field("urls", &self.urls)
            .field("secret", &"<hidden>")
            .field("ttl_secs", &self.ttl_secs)
            .finish()
    }
}

/// An `RTCIceServer` as a page passes it to `RTCPeerConnection`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: String,
    pub credential: String,
}

impl Turn {
    /// The relays with credentials valid from `now` (Unix seconds) for the TTL.
    pub fn ice_servers(&self, now: i64) -> Vec<IceServer> {
        if self.urls.is_empty() {
            return Vec::new();
        }
        let username = format!("{}:tessera", now + self.ttl_secs);
        vec![IceServer { urls: self.urls.clone(), credential: credential(&self.secret, &username), username }]
    }
}

/// base64(HMAC-SHA1(secret, username)).
pub fn credential(secret: &str, username: &str) -> String {
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a relay URL (RFC 7065): `turn:` or `turns:`, a host, an optional port and
/// `?transport=udp|tcp`.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest =
        url.strip_prefix("turns:").or_else(|| url.strip_prefix("turn:")).ok_or("it must start with turn: or turns:")?;
    let (hostport, query) = rest.split_once('?').map_or((rest, None), |(h, q)| (h, Some(q)));
    if hostport.is_empty() || hostport.contains(['/', '@', ' ']) {
        return Err("it needs a host (turn:turn.example.org:3478)".into());
    }
    match query {
        None | Some("transport=udp") | Some("transport=tcp") => Ok(()),
        Some(q) => Err(format!("?{q}: only ?transport=udp or ?transport=tcp")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_the_rest_api_scheme() {
        // The same as `echo -n 1700000000:tessera | openssl dgst -sha1 -hmac s3cret -binary | base64`.
        assert_eq!(credential("s3cret", "1700000000:tessera"), "X6ttZDzx0aWj4NGHC5IMgrNd7YY=");
        let t = Turn { urls: vec!["turn:127.0.0.1:3478".into()], secret: "s3cret".into(), ttl_secs: 3600 };
        let s = t.ice_servers(1_699_996_400);
        assert_eq!(s[0].username, "1700000000:tessera");
        assert_eq!(s[0].credential, "X6ttZDzx0aWj4NGHC5IMgrNd7YY=");
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(Turn { urls: vec![], ..t }.ice_servers(0).is_empty());
    }

    #[test]
    fn urls_are_checked() {
        for ok in ["turn:turn.example.org", "turns:turn.example.org:443?transport=tcp", "turn:[2001:db8::1]:3478"] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in ["stun:x", "turn:", "turn:a b", "turn:x?transport=sctp", "http://x"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
