//! H.235.1 ("baseline security profile", procedure I): a RAS message carries a hashed token
//! whose HMAC-SHA1-96, keyed with SHA-1 of the user's password, covers the whole message as
//! encoded, with the 12 hash octets set to zero while it is computed. The token's clear part
//! says when it was made (timeStamp), a number that changes with every message (random), whom
//! it is for (generalID) and who sent it (sendersID).
//!
//! Only this profile is offered: H.235's older `cryptoEPPwdHash` (MD5 over the password) would
//! need the password itself, which this server never keeps.

use hmac::{Hmac, Mac};
use rasn::types::{BitString, Integer, ObjectIdentifier};
use sha1::{Digest, Sha1};
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use tessera_h323_asn::h235_security_messages::{
    ClearToken, CryptoToken, CryptoTokenCryptoHashedToken, HASHED, Identifier, Params, RandomVal, TimeStamp,
};
use tessera_h323_asn::h323_messages::CryptoH323Token;

/// The length of an HMAC-SHA1-96 value.
pub const HASH_LEN: usize = 12;

/// How far a token's time may be from this server's, either way (seconds). Endpoints' clocks
/// are not always right; the replay record covers the whole window.
pub const GRACE_SECS: i64 = 2 * 60 * 60;

/// H.235.1's object identifiers, version 2 (version 1 differs in the sixth arc only).
const OID_A: [u32; 7] = [0, 0, 8, 235, 0, 2, 1];
const OID_T: [u32; 7] = [0, 0, 8, 235, 0, 2, 5];
const OID_U: [u32; 7] = [0, 0, 8, 235, 0, 2, 6];

/// `oid` is `wanted` in version 1 or 2 of H.235.
fn is(oid: &ObjectIdentifier, wanted: &[u32; 7]) -> bool {
    let o: &[u32] = oid;
    o.len() == 7 && o[..5] == wanted[..5] && matches!(o[5], 1 | 2) && o[6] == wanted[6]
}

fn oid(arcs: &'static [u32; 7]) -> ObjectIdentifier {
    ObjectIdentifier::new_unchecked(Cow::Borrowed(arcs))
}

/// The algorithm a gatekeeper names in GCF and endpoints list in GRQ: HMAC-SHA1-96.
pub fn algorithm() -> ObjectIdentifier {
    oid(&OID_U)
}

/// Whether an offered algorithm is the one this server speaks.
pub fn is_algorithm(o: &ObjectIdentifier) -> bool {
    is(o, &OID_U)
}

/// The key of a password: SHA-1 of its octets (UTF-8).
pub fn key(password: &str) -> [u8; 20] {
    Sha1::digest(password.as_bytes()).into()
}

/// The clear part of an H.235.1 token, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub time_stamp: u32,
    pub random: i64,
    /// For whom (the gatekeeper's identifier, from an endpoint).
    pub general_id: Option<String>,
    /// From whom (a login, an endpoint identifier, or a gatekeeper's identifier).
    pub senders_id: Option<String>,
    pub hash: [u8; HASH_LEN],
}

fn identifier(text: &str) -> Option<Identifier> {
    super::alias::bmp(text, 128).map(Identifier)
}

/// The H.235.1 token among `tokens`, if there is one that is whole (all three identifiers,
/// a time, a number and a 96-bit hash).
pub fn find(tokens: Option<&[CryptoH323Token]>) -> Option<Token> {
    tokens?.iter().find_map(|t| {
        let CryptoH323Token::nestedcryptoToken(CryptoToken::cryptoHashedToken(h)) = t else { return None };
        if !is(&h.token_oid, &OID_A) || !is(&h.hashed_vals.token_oid, &OID_T) || !is(&h.token.algorithm_oid, &OID_U) {
            return None;
        }
        if h.token.hash.len() != HASH_LEN * 8 {
            return None;
        }
        let hash: [u8; HASH_LEN] = h.token.hash.as_raw_slice().get(..HASH_LEN)?.try_into().ok()?;
        let v = &h.hashed_vals;
        Some(Token {
            time_stamp: v.time_stamp.as_ref()?.0,
            random: v.random.as_ref().and_then(|r| i64::try_from(&r.0).ok())?,
            general_id: v.general_id.as_ref().map(|i| super::alias::bmp_text(&i.0)),
            senders_id: v.senders_id.as_ref().map(|i| super::alias::bmp_text(&i.0)),
            hash,
        })
    })
}

fn mac(key: &[u8; 20], data: &[u8]) -> Hmac<Sha1> {
    // new_from_slice cannot fail for HMAC: any key length is accepted.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac
}

fn hmac96(key: &[u8; 20], data: &[u8]) -> [u8; HASH_LEN] {
    let full = mac(key, data).finalize().into_bytes();
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(&full[..HASH_LEN]);
    out
}

/// Whether `raw` (the message as received) carries `token.hash` made with `key`: each place the
/// hash's octets occur is tried zeroed (aligned PER puts them on an octet boundary, but nothing
/// stops the same 12 octets appearing elsewhere too).
pub fn verify(raw: &[u8], token: &Token, key: &[u8; 20]) -> bool {
    if raw.len() < HASH_LEN {
        return false;
    }
    let mut copy = raw.to_vec();
    for at in 0..=raw.len() - HASH_LEN {
        if raw[at..at + HASH_LEN] != token.hash {
            continue;
        }
        copy[at..at + HASH_LEN].fill(0);
        // HMAC-SHA1-96 is the leftmost 96 bits, compared in constant time.
        let ok = mac(key, &copy).verify_truncated_left(&token.hash).is_ok();
        copy[at..at + HASH_LEN].copy_from_slice(&token.hash);
        if ok {
            return true;
        }
    }
    false
}

/// A token for a message this server sends, its hash still zero: put it in the message, encode,
/// and [`seal`] the encoding.
pub fn unsealed(time_stamp: u32, random: i64, general_id: Option<&str>, senders_id: &str) -> CryptoH323Token {
    let clear = ClearToken::new(
        oid(&OID_T),
        Some(TimeStamp(time_stamp.max(1))),
        None,
        None,
        None,
        Some(RandomVal(Integer::from(random))),
        None,
        general_id.and_then(identifier),
        None,
        None,
        identifier(senders_id),
        None,
        None,
    );
    let hashed = HASHED::new(oid(&OID_U), Params::new(None, None, None, None, None), BitString::repeat(false, 96));
    CryptoH323Token::nestedcryptoToken(CryptoToken::cryptoHashedToken(CryptoTokenCryptoHashedToken::new(
        oid(&OID_A),
        clear,
        hashed,
    )))
}

/// The hash of a message encoded with an [`unsealed`] token, to put in its place.
pub fn seal(encoded: &[u8], key: &[u8; 20]) -> BitString {
    BitString::from_slice(&hmac96(key, encoded))
}

/// Puts `hash` into the token made by [`unsealed`].
pub fn set_hash(token: &mut CryptoH323Token, hash: BitString) {
    if let CryptoH323Token::nestedcryptoToken(CryptoToken::cryptoHashedToken(h)) = token {
        h.token.hash = hash;
    }
}

/// The tokens each sender's messages carried recently, so that a message sent again (captured
/// and replayed) is refused. A token is remembered for the grace period; at most `PER_SENDER`
/// per sender, and once one is forgotten early no older token of that sender is accepted.
#[derive(Default)]
pub struct Replays {
    seen: HashMap<String, Seen>,
}

#[derive(Default)]
struct Seen {
    tokens: VecDeque<(u32, i64)>,
    /// Tokens at or before this time are refused: their record was dropped for room.
    floor: u32,
}

const PER_SENDER: usize = 1024;
/// Senders remembered at most; the one with the oldest last token goes first.
const SENDERS: usize = 10_000;

/// Why a token cannot be accepted, before its hash is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Its time is further from now than [`GRACE_SECS`].
    Time,
    /// It was accepted before.
    Replayed,
}

impl Replays {
    /// Whether `token`, from `sender`, may be checked at `now` (seconds since 1970).
    pub fn check(&self, sender: &str, token: &Token, now: i64) -> Result<(), Stale> {
        if (now - i64::from(token.time_stamp)).abs() > GRACE_SECS {
            return Err(Stale::Time);
        }
        match self.seen.get(sender) {
            Some(s) if token.time_stamp <= s.floor => Err(Stale::Replayed),
            Some(s) if s.tokens.contains(&(token.time_stamp, token.random)) => Err(Stale::Replayed),
            _ => Ok(()),
        }
    }

    /// Records an accepted token.
    pub fn accept(&mut self, sender: &str, token: &Token, now: i64) {
        if !self.seen.contains_key(sender) && self.seen.len() >= SENDERS {
            self.forget_before(now);
            if self.seen.len() >= SENDERS
                && let Some(oldest) =
                    self.seen.iter().min_by_key(|(_, s)| s.tokens.back().map_or(0, |t| t.0)).map(|(k, _)| k.clone())
            {
                self.seen.remove(&oldest);
            }
        }
        let s = self.seen.entry(sender.to_string()).or_default();
        s.tokens.retain(|(t, _)| (now - i64::from(*t)).abs() <= GRACE_SECS);
        if s.tokens.len() >= PER_SENDER
            && let Some((t, _)) = s.tokens.pop_front()
        {
            s.floor = s.floor.max(t);
        }
        s.tokens.push_back((token.time_stamp, token.random));
    }

    fn forget_before(&mut self, now: i64) {
        self.seen.retain(|_, s| {
            s.tokens.retain(|(t, _)| (now - i64::from(*t)).abs() <= GRACE_SECS);
            !s.tokens.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_message_verifies_and_a_changed_one_does_not() {
        let k = key("secret");
        let mut t = unsealed(1_700_000_000, 7, Some("tessera"), "bob");
        let msg = |t: &CryptoH323Token| {
            let mut m = b"header ".to_vec();
            m.extend(rasn::aper::encode(t).unwrap());
            m.extend(b" trailer");
            m
        };
        let hash = seal(&msg(&t), &k);
        set_hash(&mut t, hash);
        let raw = msg(&t);
        let token = find(Some(std::slice::from_ref(&t))).expect("a whole token");
        assert_eq!(token.senders_id.as_deref(), Some("bob"));
        assert_eq!(token.general_id.as_deref(), Some("tessera"));
        assert_eq!((token.time_stamp, token.random), (1_700_000_000, 7));
        assert!(verify(&raw, &token, &k));
        assert!(!verify(&raw, &token, &key("Secret")), "another password");
        let mut changed = raw.clone();
        changed[1] ^= 1;
        assert!(!verify(&changed, &token, &k), "a changed message");
    }

    #[test]
    fn the_key_is_sha1_of_the_password() {
        assert_eq!(hex::encode(key("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn old_and_repeated_tokens_are_refused() {
        let mut r = Replays::default();
        let now = 1_700_000_000;
        let t = Token { time_stamp: now as u32, random: 1, general_id: None, senders_id: None, hash: [0; 12] };
        assert_eq!(r.check("bob", &t, now), Ok(()));
        r.accept("bob", &t, now);
        assert_eq!(r.check("bob", &t, now + 5), Err(Stale::Replayed));
        assert_eq!(r.check("alice", &t, now + 5), Ok(()), "another sender");
        let next = Token { random: 2, ..t.clone() };
        assert_eq!(r.check("bob", &next, now + 5), Ok(()));
        let old = Token { time_stamp: (now - GRACE_SECS - 1) as u32, ..t };
        assert_eq!(r.check("bob", &old, now), Err(Stale::Time));
    }

    #[test]
    fn a_full_record_refuses_what_it_forgot() {
        let mut r = Replays::default();
        let now = 1_700_000_000i64;
        let tok = |i: i64| Token {
            time_stamp: (now + i) as u32,
            random: i,
            general_id: None,
            senders_id: None,
            hash: [0; 12],
        };
        for i in 0..=PER_SENDER as i64 {
            r.accept("bob", &tok(i), now);
        }
        assert_eq!(r.check("bob", &tok(0), now), Err(Stale::Replayed), "dropped for room, still refused");
        assert_eq!(r.check("bob", &tok(PER_SENDER as i64 + 1), now), Ok(()));
    }
}
