//! The lockout service: the one place that decides whether a sign-in attempt may be checked and
//! what a failure costs. The web sign-in uses it; SIP digest (and next H.323) authentication call
//! `begin_attempt`, `failed` and `record_success` the same way, so a password guessed over any
//! protocol counts against the same account. Every attempt is counted in one statement *before*
//! its secret is checked, so concurrent guesses cannot all slip under the limit, and at most a
//! few argon2 checks run at once (a semaphore; beyond a short queue the answer is "busy").
//!
//! Two limits work together:
//! - per login name (stored, so it survives restarts and is shared with `tessera admin`): after
//!   `max_attempts` failures within `period`, the login is locked for `period`. Names that match
//!   no account are counted the same way, so the answers never reveal which accounts exist.
//! - per source address (in memory): after `address_max_failures` failures within
//!   `address_window`, the address is refused without checking anything, so one attacker cannot
//!   lock every account in turn.

use super::password;
use crate::store::{FailureState, Store, StoreError, UserRow};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Failures over a channel whose source address can be forged (SIP over UDP) count on their own
/// (see [`Channel`]), against this many times the policy's attempts.
pub const SPOOFABLE_FACTOR: i64 = 10;

/// Where an attempt comes from, as far as the server can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A connection (the web, SIP over TCP or TLS): the source address is proven by the handshake.
    Proven,
    /// A datagram (SIP over UDP): anyone can send it with someone else's address. Its failures
    /// throttle the source address and count against the account on their own, with a ten times
    /// higher limit, which locks that channel only: five forged REGISTERs cannot lock a user out
    /// of the web (the choice fail2ban-style SIP protections make).
    Spoofable,
}

/// The failure counter of a login for a channel (`udp:` cannot start a login).
fn counter_key(login: &str, channel: Channel) -> std::borrow::Cow<'_, str> {
    match channel {
        Channel::Proven => login.into(),
        Channel::Spoofable => format!("udp:{login}").into(),
    }
}

/// How long a password check may wait for a hashing slot before the answer is "busy".
const HASH_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub max_attempts: i64,
    pub period_secs: i64,
}

#[derive(Debug)]
pub enum AuthOutcome {
    Success(Box<UserRow>),
    /// Wrong login or password (the two are never told apart).
    Invalid,
    /// The login is locked until this UTC Unix time.
    Locked {
        until: i64,
    },
    /// The source address made too many failed attempts.
    Throttled,
    /// Too many passwords are being checked at once (each argon2id check takes 19 MiB and a
    /// core for tens of milliseconds); nothing was counted. HTTP 503.
    Busy,
}

/// An attempt counted before its secret is checked ([`LockoutService::begin_attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Check the secret. If it is wrong, the login is locked until `lock` (already in place).
    Check { lock: Option<i64> },
    /// Over the limit: refuse without checking.
    Locked { until: i64 },
}

/// The answer to a conference PIN ([`LockoutService::check_pin`]); the core's own type, since
/// admission asks it through [`tessera_conference::admission::PinGuard`].
pub use tessera_conference::admission::PinCheck;

/// Wrong PINs for one conference within the address window that make the owner hear of it (a
/// `pin_guessing` event in the conference's connection history, a warning, a metric).
pub const PIN_ALARM: u32 = 20;

/// Failures per key (an address, a conference) within a window that starts at the first one; in
/// memory, bounded (the oldest windows go when it grows past `cap`).
struct WindowCounts<K> {
    map: Mutex<HashMap<K, (u32, i64)>>,
    cap: usize,
}

impl<K: std::hash::Hash + Eq> WindowCounts<K> {
    fn new(cap: usize) -> Self {
        WindowCounts { map: Mutex::new(HashMap::new()), cap }
    }

    /// Counts one more failure; returns the count in the current window.
    fn bump(&self, key: K, now: i64, window: i64) -> u32 {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > self.cap {
            map.retain(|_, (_, start)| now - *start < window);
        }
        let e = map.entry(key).or_insert((0, now));
        if now - e.1 >= window {
            *e = (0, now);
        }
        e.0 = e.0.saturating_add(1);
        e.0
    }

    /// The failures in the current window.
    fn count(&self, key: &K, now: i64, window: i64) -> u32 {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).filter(|(_, start)| now - *start < window).map_or(0, |(n, _)| *n)
    }
}

pub struct LockoutService {
    store: Store,
    /// Wrong PINs per conference.
    pin_failures: WindowCounts<String>,
    /// Failed digests per source address over a spoofable channel (SIP over UDP): past the
    /// policy's attempts the address gets no more checks there, as fail2ban would ban it.
    datagram_sources: WindowCounts<IpAddr>,
    address_max_failures: u32,
    address_window_secs: i64,
    addresses: WindowCounts<IpAddr>,
    dummy_hash: String,
    /// Password checks running at once (argon2id's memory is what this bounds).
    hashing: Semaphore,
    /// Checks waiting for a slot; beyond `max_waiting` the answer is [`AuthOutcome::Busy`].
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl LockoutService {
    pub fn new(store: Store, address_max_failures: u32, address_window_secs: i64) -> anyhow::Result<LockoutService> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Ok(LockoutService {
            store,
            pin_failures: WindowCounts::new(10_000),
            datagram_sources: WindowCounts::new(100_000),
            address_max_failures,
            address_window_secs,
            addresses: WindowCounts::new(100_000),
            // Verified against when the login does not exist, so both cases take as long.
            dummy_hash: password::hash("tessera-timing-equaliser")?,
            hashing: Semaphore::new(cores.max(2)),
            waiting: AtomicUsize::new(0),
            max_waiting: 32,
        })
    }

    pub async fn policy(&self) -> Result<LockoutPolicy, StoreError> {
        let s = self.store.settings().await?;
        Ok(LockoutPolicy { max_attempts: s.lockout_max_attempts, period_secs: s.lockout_period_minutes * 60 })
    }

    /// Whether the address is currently refused.
    pub fn address_throttled(&self, addr: IpAddr, now: i64) -> bool {
        self.addresses.count(&crate::net::source(addr), now, self.address_window_secs) >= self.address_max_failures
    }

    /// Whether a source address gets no more digest checks over a spoofable channel: it failed
    /// the policy's number of attempts there within the address window.
    pub async fn datagram_source_refused(&self, addr: IpAddr, now: i64) -> Result<bool, StoreError> {
        let max = self.policy().await?.max_attempts;
        Ok(i64::from(self.datagram_sources.count(&crate::net::source(addr), now, self.address_window_secs)) >= max)
    }

    /// A failed digest from `addr` over a spoofable channel.
    pub fn datagram_failure(&self, addr: IpAddr, now: i64) {
        self.datagram_sources.bump(crate::net::source(addr), now, self.address_window_secs);
    }

    /// When the login is locked, until when.
    pub async fn check(&self, login: &str, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self.store.failure_state(login).await?.and_then(|s| s.locked_until).filter(|&u| u > now))
    }

    /// When the login is locked for attempts over `channel`, until when: a lock of the account
    /// holds everywhere; a lock of the spoofable channel holds there only.
    pub async fn check_via(&self, login: &str, channel: Channel, now: i64) -> Result<Option<i64>, StoreError> {
        let account = self.check(login, now).await?;
        if account.is_some() || channel == Channel::Proven {
            return Ok(account);
        }
        let key = counter_key(login, channel);
        Ok(self.store.failure_state(&key).await?.and_then(|s| s.locked_until).filter(|&u| u > now))
    }

    /// Counts an attempt against the login before its secret is checked, in one statement, so
    /// that a burst of concurrent attempts gets at most the policy's number of checks: the ones
    /// beyond it are refused unchecked. A right secret then calls [`Self::record_success`]; a
    /// wrong one [`Self::failed`].
    pub async fn begin_attempt(&self, login: &str, now: i64) -> Result<Attempt, StoreError> {
        self.begin_attempt_via(login, Channel::Proven, now).await
    }

    /// [`Self::begin_attempt`] over a channel; a spoofable one counts on its own, against
    /// [`SPOOFABLE_FACTOR`] times the policy.
    pub async fn begin_attempt_via(&self, login: &str, channel: Channel, now: i64) -> Result<Attempt, StoreError> {
        let policy = self.policy().await?;
        let max = match channel {
            Channel::Proven => policy.max_attempts,
            Channel::Spoofable => policy.max_attempts.saturating_mul(SPOOFABLE_FACTOR),
        };
        let key = counter_key(login, channel);
        let s = self.store.count_attempt(&key, now, max, policy.period_secs).await?;
        Ok(attempt_of(s, max, now))
    }

    /// A wrong secret after [`Self::begin_attempt`]: counts against the address, and tells when
    /// the attempt locked the login.
    pub fn failed(&self, login: &str, attempt: Attempt, addr: Option<IpAddr>, now: i64) {
        if let Some(addr) = addr {
            self.record_address_failure(addr, now);
        }
        if let Attempt::Check { lock: Some(until) } = attempt {
            tracing::warn!(login = ?login, until, "account locked after failed sign-ins");
            metrics::counter!("tessera_lockouts_total").increment(1);
        }
    }

    /// Counts a failure against the address only (a wrong conference PIN: there is no account
    /// to lock, but the address is throttled like one guessing passwords).
    pub fn record_address_failure(&self, addr: IpAddr, now: i64) {
        self.addresses.bump(crate::net::source(addr), now, self.address_window_secs);
    }

    /// The one check of a conference PIN, for every way in (the page, a dialled `ID*PIN`, DTMF):
    /// a throttled address is refused without comparing; the comparison takes the same time
    /// wherever the PINs differ; a wrong PIN counts against the address (the same throttle as
    /// wrong passwords) and against the conference, whose owner is told when someone seems to
    /// be guessing.
    pub fn check_pin(&self, conference: &str, expected: &str, given: &str, addr: Option<IpAddr>, now: i64) -> PinCheck {
        if addr.is_some_and(|a| self.address_throttled(a, now)) {
            metrics::counter!("tessera_pin_checks_total", "result" => "throttled").increment(1);
            return PinCheck::Throttled;
        }
        if super::session::constant_time_eq(given.trim().as_bytes(), expected.as_bytes()) {
            metrics::counter!("tessera_pin_checks_total", "result" => "right").increment(1);
            return PinCheck::Right;
        }
        metrics::counter!("tessera_pin_checks_total", "result" => "wrong").increment(1);
        if let Some(a) = addr {
            self.record_address_failure(a, now);
        }
        let count = self.pin_failures.bump(conference.to_string(), now, self.address_window_secs);
        if count == PIN_ALARM {
            let minutes = self.address_window_secs / 60;
            tracing::warn!(conference = %conference, wrong = count, minutes, "many wrong PINs: someone may be guessing this conference's PIN");
            metrics::counter!("tessera_pin_alarms_total").increment(1);
            self.store.record_event(crate::store::NewEvent {
                conference: conference.to_string(),
                at_ms: now * 1000,
                kind: tessera_conference::EventKind::PinGuessing,
                participant: None,
                user: None,
                name: String::new(),
                detail: format!("{count} wrong PINs within {minutes} minutes; consider changing the PIN"),
            });
        }
        PinCheck::Wrong
    }

    pub async fn record_success(&self, login: &str) -> Result<(), StoreError> {
        self.record_success_via(login, Channel::Proven).await
    }

    /// A right secret over `channel`: forgets that channel's failures.
    pub async fn record_success_via(&self, login: &str, channel: Channel) -> Result<(), StoreError> {
        self.store.clear_failures(&counter_key(login, channel)).await?;
        Ok(())
    }

    /// Lifts a lock early (the administrator's `tessera admin user unlock`), on every channel.
    pub async fn unlock(&self, login: &str) -> Result<bool, StoreError> {
        unlock_login(&self.store, login).await
    }

    /// The whole password sign-in: throttle, a hashing slot, the attempt counted, verify.
    pub async fn authenticate_password(
        &self,
        login: &str,
        password: &str,
        addr: Option<IpAddr>,
        now: i64,
    ) -> Result<AuthOutcome, StoreError> {
        if addr.is_some_and(|a| self.address_throttled(a, now)) {
            metrics::counter!("tessera_sign_ins_total", "result" => "throttled").increment(1);
            return Ok(AuthOutcome::Throttled);
        }
        if let Some(until) = self.check(login, now).await? {
            metrics::counter!("tessera_sign_ins_total", "result" => "locked").increment(1);
            return Ok(AuthOutcome::Locked { until });
        }
        // A slot first, so that an attempt is only counted when it is checked.
        let Some(_slot) = self.hashing_slot().await else {
            metrics::counter!("tessera_sign_ins_total", "result" => "busy").increment(1);
            return Ok(AuthOutcome::Busy);
        };
        let attempt = self.begin_attempt(login, now).await?;
        if let Attempt::Locked { until } = attempt {
            metrics::counter!("tessera_sign_ins_total", "result" => "locked").increment(1);
            return Ok(AuthOutcome::Locked { until });
        }
        let user = self.store.user_by_login(login).await?;
        let hash = match &user {
            Some(u) if !u.disabled => u.password_hash.clone(),
            _ => self.dummy_hash.clone(),
        };
        let ok = password::verify_async(hash, password.to_string()).await;
        match user {
            Some(u) if ok && !u.disabled => {
                self.record_success(login).await?;
                metrics::counter!("tessera_sign_ins_total", "result" => "success").increment(1);
                Ok(AuthOutcome::Success(Box::new(u)))
            }
            _ => {
                metrics::counter!("tessera_sign_ins_total", "result" => "failure").increment(1);
                self.failed(login, attempt, addr, now);
                match attempt {
                    Attempt::Check { lock: Some(until) } => Ok(AuthOutcome::Locked { until }),
                    _ => Ok(AuthOutcome::Invalid),
                }
            }
        }
    }

    /// A permit to run one argon2 check, waiting a little when all are taken; `None` when too
    /// many are already waiting or none frees up in time.
    async fn hashing_slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        if let Ok(p) = self.hashing.try_acquire() {
            return Some(p);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let p = tokio::time::timeout(HASH_WAIT, self.hashing.acquire()).await.ok().and_then(Result::ok);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        p
    }
}

fn attempt_of(s: FailureState, max_attempts: i64, now: i64) -> Attempt {
    match s.locked_until {
        Some(until) if s.failures > max_attempts && until > now => Attempt::Locked { until },
        lock => Attempt::Check { lock: lock.filter(|&u| u > now) },
    }
}

/// Lifts a lock early, on every channel (the administrator's panel and command line): whether
/// there was anything to lift.
pub async fn unlock_login(store: &Store, login: &str) -> Result<bool, StoreError> {
    let a = store.clear_failures(login).await?;
    let b = store.clear_failures(&counter_key(login, Channel::Spoofable)).await?;
    Ok(a || b)
}

/// Locks an account now, on every channel, for the policy's period (the administrator's
/// panel): until when.
pub async fn lock_login(store: &Store, login: &str, now: i64) -> Result<i64, StoreError> {
    let s = store.settings().await?;
    let until = now + s.lockout_period_minutes * 60;
    for key in [login.to_string(), counter_key(login, Channel::Spoofable).into_owned()] {
        let state = FailureState { failures: s.lockout_max_attempts, first_failure_at: now, locked_until: Some(until) };
        store.put_failure_state(&key, state).await?;
    }
    Ok(until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewUser, Setting};

    crate::both_backends!(locks_after_policy_attempts_and_unlocks, |store| {
        let hash = password::hash("right-password").unwrap();
        store.create_user(NewUser { login: "alice", password_hash: &hash, display_name: "" }, 0).await.unwrap();
        store.set_setting(Setting::LockoutMaxAttempts, "3").await.unwrap().unwrap();
        store.set_setting(Setting::LockoutPeriodMinutes, "10").await.unwrap().unwrap();
        let svc = LockoutService::new(store.clone(), 1000, 900).unwrap();
        let t = 1_000_000;
        for i in 0..2 {
            let r = svc.authenticate_password("alice", "wrong", None, t + i).await.unwrap();
            assert!(matches!(r, AuthOutcome::Invalid), "{r:?}");
        }
        let r = svc.authenticate_password("alice", "wrong", None, t + 2).await.unwrap();
        assert!(matches!(r, AuthOutcome::Locked { until } if until == t + 2 + 600), "{r:?}");
        // Even the right password is refused while locked.
        let r = svc.authenticate_password("alice", "right-password", None, t + 3).await.unwrap();
        assert!(matches!(r, AuthOutcome::Locked { .. }), "{r:?}");
        // The lock expires by itself…
        let r = svc.authenticate_password("alice", "right-password", None, t + 2 + 601).await.unwrap();
        assert!(matches!(r, AuthOutcome::Success(_)), "{r:?}");
        // …or the administrator lifts it.
        for i in 0..3 {
            svc.authenticate_password("alice", "wrong", None, t + 700 + i).await.unwrap();
        }
        assert!(svc.check("alice", t + 710).await.unwrap().is_some());
        assert!(svc.unlock("alice").await.unwrap());
        let r = svc.authenticate_password("alice", "right-password", None, t + 711).await.unwrap();
        assert!(matches!(r, AuthOutcome::Success(_)), "{r:?}");
    });

    crate::both_backends!(unknown_users_look_like_real_ones, |store| {
        store.set_setting(Setting::LockoutMaxAttempts, "2").await.unwrap().unwrap();
        let svc = LockoutService::new(store.clone(), 1000, 900).unwrap();
        let r = svc.authenticate_password("nobody", "x", None, 10).await.unwrap();
        assert!(matches!(r, AuthOutcome::Invalid));
        let r = svc.authenticate_password("nobody", "x", None, 11).await.unwrap();
        assert!(matches!(r, AuthOutcome::Locked { .. }));
    });

    crate::both_backends!(address_throttle_spares_other_addresses, |store| {
        let hash = password::hash("right-password").unwrap();
        store.create_user(NewUser { login: "bob", password_hash: &hash, display_name: "" }, 0).await.unwrap();
        let svc = LockoutService::new(store.clone(), 3, 900).unwrap();
        let attacker: IpAddr = "192.0.2.1".parse().unwrap();
        let user: IpAddr = "192.0.2.2".parse().unwrap();
        for (i, login) in ["u1", "u2", "u3"].iter().enumerate() {
            svc.authenticate_password(login, "x", Some(attacker), 100 + i as i64).await.unwrap();
        }
        let r = svc.authenticate_password("bob", "x", Some(attacker), 110).await.unwrap();
        assert!(matches!(r, AuthOutcome::Throttled));
        // bob's account was not touched by the throttled attempt and works from elsewhere.
        assert!(store.failure_state("bob").await.unwrap().is_none());
        let r = svc.authenticate_password("bob", "right-password", Some(user), 111).await.unwrap();
        assert!(matches!(r, AuthOutcome::Success(_)));
        // The window passes.
        assert!(!svc.address_throttled(attacker, 100 + 900));
        // An IPv6 attacker counts by its /64: a new address per guess does not escape.
        for i in 0..3 {
            let a: IpAddr = format!("2001:db8:7:7::{:x}", 0x100 + i).parse().unwrap();
            svc.authenticate_password("u9", "x", Some(a), 2000 + i).await.unwrap();
        }
        assert!(svc.address_throttled("2001:db8:7:7:dead:beef::1".parse().unwrap(), 2010));
        assert!(!svc.address_throttled("2001:db8:7:8::1".parse().unwrap(), 2010), "the next /64 is another network");
    });

    crate::both_backends!(concurrent_guesses_get_no_more_checks_than_the_policy, |store| {
        let hash = password::hash("right-password").unwrap();
        store.create_user(NewUser { login: "carol", password_hash: &hash, display_name: "" }, 0).await.unwrap();
        store.set_setting(Setting::LockoutMaxAttempts, "5").await.unwrap().unwrap();
        let svc = std::sync::Arc::new(LockoutService::new(store.clone(), 1000, 900).unwrap());
        let t = 2_000_000;
        // 40 wrong passwords at once. (The right one is not among them: a success forgives the
        // failures before it, so a burst racing the owner's own sign-in may get up to twice the
        // policy's checks, by design and as every server that resets on success does; how many
        // depends on where the scheduler puts it, which no test should depend on.)
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let svc = svc.clone();
                tokio::spawn(async move { svc.authenticate_password("carol", "wrong", None, t).await.unwrap() })
            })
            .collect();
        let mut checked = 0;
        let mut busy = 0;
        for task in tasks {
            match task.await.unwrap() {
                AuthOutcome::Invalid => checked += 1,
                AuthOutcome::Locked { until } => assert_eq!(until, t + 900),
                AuthOutcome::Busy => busy += 1,
                AuthOutcome::Success(_) => panic!("a wrong password was accepted"),
                AuthOutcome::Throttled => panic!("no address was given"),
            }
        }
        // The fifth check locks the account as it fails (answered Locked): at most four plain
        // failures, however the attempts interleave.
        assert!(checked <= 4, "{checked} wrong passwords were answered as plain failures against a limit of 5");
        // No update was lost: every attempt that reached the store counted.
        let s = store.failure_state("carol").await.unwrap().expect("the attempts were counted");
        assert!(s.failures >= 5 && s.locked_until == Some(t + 900), "{s:?} (busy: {busy})");
        // The right password after the burst is refused unchecked: the account is locked.
        let r = svc.authenticate_password("carol", "right-password", None, t + 1).await.unwrap();
        assert!(matches!(r, AuthOutcome::Locked { until } if until == t + 900), "{r:?}");
    });

    crate::both_backends!(attempts_are_counted_without_losing_updates, |store| {
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.count_attempt("dave", 100, 5, 900).await.unwrap() })
            })
            .collect();
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap().failures);
        }
        seen.sort();
        assert_eq!(seen, (1..=50).collect::<Vec<i64>>(), "each attempt saw its own count");
        let s = store.failure_state("dave").await.unwrap().unwrap();
        assert_eq!((s.failures, s.locked_until), (50, Some(1000)));
        // A new window after the period.
        let s = store.count_attempt("dave", 100 + 900, 5, 900).await.unwrap();
        assert_eq!((s.failures, s.first_failure_at, s.locked_until), (1, 1000, None));
    });

    crate::both_backends!(forged_datagrams_do_not_lock_the_web, |store| {
        let hash = password::hash("right-password").unwrap();
        store.create_user(NewUser { login: "erin", password_hash: &hash, display_name: "" }, 0).await.unwrap();
        store.set_setting(Setting::LockoutMaxAttempts, "5").await.unwrap().unwrap();
        let svc = LockoutService::new(store.clone(), 1000, 900).unwrap();
        let t = 3_000_000;
        // Five failures over UDP (from five forged addresses): the web is not locked.
        for i in 0..5 {
            let a = svc.begin_attempt_via("erin", Channel::Spoofable, t + i).await.unwrap();
            assert!(matches!(a, Attempt::Check { lock: None }), "{a:?}");
            svc.failed("erin", a, Some(IpAddr::from([192, 0, 2, i as u8])), t + i);
        }
        assert_eq!(svc.check("erin", t + 10).await.unwrap(), None);
        let r = svc.authenticate_password("erin", "right-password", None, t + 10).await.unwrap();
        assert!(matches!(r, AuthOutcome::Success(_)), "{r:?}");
        // Fifty lock the UDP channel only.
        for i in 5..50 {
            let a = svc.begin_attempt_via("erin", Channel::Spoofable, t + 20 + i).await.unwrap();
            svc.failed("erin", a, None, t + 20 + i);
        }
        assert!(svc.check_via("erin", Channel::Spoofable, t + 100).await.unwrap().is_some());
        assert_eq!(svc.check_via("erin", Channel::Proven, t + 100).await.unwrap(), None);
        // A lock of the account holds on every channel; unlocking lifts both.
        for i in 0..5 {
            svc.authenticate_password("erin", "wrong", None, t + 200 + i).await.unwrap();
        }
        assert!(svc.check_via("erin", Channel::Spoofable, t + 210).await.unwrap().is_some());
        assert!(svc.unlock("erin").await.unwrap());
        assert_eq!(svc.check_via("erin", Channel::Spoofable, t + 211).await.unwrap(), None);
    });
}
