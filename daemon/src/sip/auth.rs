//! Who a SIP request comes from: digest authentication (SHA-256 or MD5) against the HA1s stored
//! when passwords are set, through the web's lockout service, so a password guessed over SIP
//! counts against the same account as one guessed on the sign-in page. The answers never tell
//! an existing account from a missing one: both are challenged alike and refused alike. Failures
//! over UDP, whose source can be forged, count on their own (`lockout::Channel::Spoofable`).

use super::REALM;
use std::net::IpAddr;
use std::sync::Arc;
use tessera_sip_h323_bridge::sip::digest::{self, Algorithm, NonceCounts, NonceState, Nonces};
use tessera_sip_h323_bridge::sip::message::Message;
use tessera_sip_h323_bridge::sip::message::StartLine;
use tessera_web::auth::lockout::{Attempt, Channel, LockoutService};
use tessera_web::store::{SipDigest, Store};

pub struct Auth {
    nonces: Nonces,
    /// Nonce-counts already used: a captured authorization cannot be sent again.
    counts: std::sync::Mutex<NonceCounts>,
    lockout: Arc<LockoutService>,
    store: Store,
}

/// Which way in a password check came by, for its metric.
#[derive(Debug, Clone, Copy)]
pub enum Way {
    /// SIP digest (`tessera_sip_auth_total`).
    Sip,
    /// H.323 registration and admission, H.235.1 (`tessera_h323_auth_total`).
    H323,
}

impl Way {
    fn count(self, result: &'static str) {
        match self {
            Way::Sip => metrics::counter!("tessera_sip_auth_total", "result" => result).increment(1),
            Way::H323 => metrics::counter!("tessera_h323_auth_total", "result" => result).increment(1),
        }
    }
}

/// What a password check found (see [`Auth::guarded`]).
pub enum Checked {
    Right,
    Wrong,
    /// Right, but a message already accepted once: refused, and counts as nothing.
    Replayed,
}

/// What [`Auth::guarded`] decided.
pub enum Guarded {
    Right(SipDigest),
    Replayed,
    /// Wrong, locked, throttled (never told apart).
    Refused,
}

#[derive(Debug)]
pub enum Verdict {
    /// Ask for credentials (again): 401 with [`Auth::challenge`].
    Challenge {
        stale: bool,
    },
    User {
        id: i64,
        login: String,
    },
    /// 403: wrong name or password, a locked login or a throttled address (never told apart).
    Refused,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Auth {
    pub fn new(lockout: Arc<LockoutService>, store: Store) -> Auth {
        Auth { nonces: Nonces::new(rand::random()), counts: Default::default(), lockout, store }
    }

    /// The lockout service (passwords and PINs, shared with the web).
    pub fn lockout(&self) -> &LockoutService {
        &self.lockout
    }

    /// The WWW-Authenticate headers of a 401.
    pub fn challenge(&self, stale: bool) -> Vec<(&'static str, String)> {
        self.nonces.challenges(REALM, now(), stale).into_iter().map(|c| ("WWW-Authenticate", c)).collect()
    }

    /// Who sent `m`: `from` is its source address, `proven` whether a connection proves it (TCP,
    /// TLS) or it came in a datagram anyone could forge (UDP; see `lockout::Channel`).
    pub async fn verify(&self, m: &Message, from: IpAddr, proven: bool) -> Verdict {
        let channel = if proven { Channel::Proven } else { Channel::Spoofable };
        let method = m.method().unwrap_or_default();
        let ours = m
            .headers
            .all("Authorization")
            .filter_map(|v| digest::parse(v).ok())
            .find(|c| c.realm == REALM && c.algorithm().is_some());
        let Some(c) = ours else { return Verdict::Challenge { stale: false } };
        let now = now();
        match self.nonces.check(&c.nonce, now) {
            NonceState::Fresh => {}
            NonceState::Stale => return Verdict::Challenge { stale: true },
            NonceState::Invalid => return Verdict::Challenge { stale: false },
        }
        // The authorization is for this request only: its digest URI must be the Request-URI.
        let StartLine::Request { uri: ruri, .. } = &m.start else { return Verdict::Refused };
        if !digest::uri_matches(&c.uri, ruri) {
            metrics::counter!("tessera_sip_auth_total", "result" => "uri_mismatch").increment(1);
            tracing::info!(peer = %from, digest_uri = ?c.uri, request_uri = ?ruri, "SIP authentication refused: the digest URI is not the request's");
            return Verdict::Refused;
        }
        if self.counts.lock().unwrap_or_else(|p| p.into_inner()).is_replay(&c.nonce, c.nc.as_deref()) {
            metrics::counter!("tessera_sip_auth_total", "result" => "replayed").increment(1);
            tracing::info!(peer = %from, "SIP authentication replayed: challenged again");
            return Verdict::Challenge { stale: true };
        }
        let alg = c.algorithm().unwrap_or(Algorithm::Md5);
        let checked = self
            .guarded(&c.username, from, channel, Way::Sip, |known| {
                // An unknown login is checked against a secret nobody knows, so it fails the same way.
                let ha1 = match (known, alg) {
                    (Some(d), Algorithm::Md5) => d.ha1_md5.clone(),
                    (Some(d), Algorithm::Sha256) => d.ha1_sha256.clone(),
                    (None, a) => a.hash(&format!("{:x}", rand::random::<u128>())),
                };
                if known.is_none() || !digest::same(&digest::expected(alg, &ha1, method, &c), &c.response) {
                    return Checked::Wrong;
                }
                // Right, but already used: a replay (or a client that reused its count) gets a
                // fresh nonce to answer, and clears nothing.
                if self.counts.lock().unwrap_or_else(|p| p.into_inner()).accept(&c.nonce, c.nc.as_deref(), now) {
                    Checked::Right
                } else {
                    Checked::Replayed
                }
            })
            .await;
        match checked {
            Guarded::Right(d) => Verdict::User { id: d.user_id, login: d.login },
            Guarded::Replayed => {
                tracing::info!(login = ?c.username, peer = %from, "SIP authentication replayed: challenged again");
                Verdict::Challenge { stale: true }
            }
            Guarded::Refused => Verdict::Refused,
        }
    }

    /// The one way a password is checked over SIP and H.323: a forgeable source already
    /// refused, a throttled address or a locked login is refused without a check; the attempt
    /// is counted before `check` runs (in one statement, so a burst of guesses gets no more
    /// checks than the policy allows); `check` gets the login's secrets (`None` for an unknown or
    /// disabled login, which must fail the same way); a failure counts against the login (for
    /// `channel`) and, over UDP, against the source address. `way` counts each result.
    pub async fn guarded(
        &self,
        login: &str,
        from: IpAddr,
        channel: Channel,
        way: Way,
        check: impl FnOnce(Option<&SipDigest>) -> Checked,
    ) -> Guarded {
        let now = now();
        let refused = |reason: &'static str| {
            way.count(reason);
            Guarded::Refused
        };
        let banned = match channel {
            Channel::Spoofable => self.lockout.datagram_source_refused(from, now).await.unwrap_or(true),
            Channel::Proven => false,
        };
        if banned || self.lockout.address_throttled(from, now) {
            return refused("throttled");
        }
        match self.lockout.check_via(login, channel, now).await {
            Ok(None) => {}
            Ok(Some(_)) => return refused("locked"),
            Err(e) => {
                tracing::error!(error = %e, "authentication: the store did not answer");
                return Guarded::Refused;
            }
        }
        let attempt = match self.lockout.begin_attempt_via(login, channel, now).await {
            Ok(Attempt::Locked { .. }) => return refused("locked"),
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "authentication: the store did not answer");
                return Guarded::Refused;
            }
        };
        let known = self.store.sip_digest(login).await.ok().flatten().filter(|d| !d.disabled && d.realm == REALM);
        match (check(known.as_ref()), known) {
            (Checked::Right, Some(d)) => {
                let _ = self.lockout.record_success_via(login, channel).await;
                way.count("ok");
                Guarded::Right(d)
            }
            (Checked::Replayed, Some(_)) => {
                way.count("replayed");
                Guarded::Replayed
            }
            _ => {
                way.count("invalid");
                tracing::info!(login = ?login, peer = %from, "authentication failed");
                self.lockout.failed(login, attempt, Some(from), now);
                if channel == Channel::Spoofable {
                    self.lockout.datagram_failure(from, now);
                }
                Guarded::Refused
            }
        }
    }
}
