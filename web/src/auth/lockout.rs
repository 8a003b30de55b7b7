//! The lockout service: the one place that decides whether a sign-in attempt may be checked and
//! what a failure costs. The web sign-in uses it now; SIP digest and H.323 authentication call
//! `check`, `record_failure` and `record_success` the same way, so a password guessed over any
//! protocol counts against the same account.
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
}

pub struct LockoutService {
    store: Store,
    address_max_failures: u32,
    address_window_secs: i64,
    addresses: Mutex<HashMap<IpAddr, (u32, i64)>>,
    dummy_hash: String,
}

impl LockoutService {
    pub fn new(store: Store, address_max_failures: u32, address_window_secs: i64) -> anyhow::Result<LockoutService> {
        Ok(LockoutService {
            store,
            address_max_failures,
            address_window_secs,
            addresses: Mutex::new(HashMap::new()),
            // Verified against when the login does not exist, so both cases take as long.
            dummy_hash: password::hash("tessera-timing-equaliser")?,
        })
    }

    pub async fn policy(&self) -> Result<LockoutPolicy, StoreError> {
        let s = self.store.settings().await?;
        Ok(LockoutPolicy { max_attempts: s.lockout_max_attempts, period_secs: s.lockout_period_minutes * 60 })
    }

    /// Whether the address is currently refused.
    pub fn address_throttled(&self, addr: IpAddr, now: i64) -> bool {
        let map = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&addr)
            .is_some_and(|&(n, start)| now - start < self.address_window_secs && n >= self.address_max_failures)
    }

    /// When the login is locked, until when.
    pub async fn check(&self, login: &str, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self.store.failure_state(login).await?.and_then(|s| s.locked_until).filter(|&u| u > now))
    }

    /// Counts a failure against the login and the address; returns the lock end if the login is
    /// now locked.
    pub async fn record_failure(&self, login: &str, addr: Option<IpAddr>, now: i64) -> Result<Option<i64>, StoreError> {
        if let Some(addr) = addr {
            self.record_address_failure(addr, now);
        }
        let policy = self.policy().await?;
        let prev = self.store.failure_state(login).await?;
        let mut s = match prev {
            Some(s) if now - s.first_failure_at < policy.period_secs => s,
            _ => FailureState { failures: 0, first_failure_at: now, locked_until: None },
        };
        s.failures += 1;
        if s.failures >= policy.max_attempts {
            s.locked_until = Some(now + policy.period_secs);
        }
        self.store.put_failure_state(login, s).await?;
        if let Some(until) = s.locked_until {
            tracing::warn!(login = %login, until, "account locked after failed sign-ins");
            metrics::counter!("tessera_lockouts_total").increment(1);
        }
        Ok(s.locked_until)
    }

    /// Counts a failure against the address only (a wrong conference PIN: there is no account
    /// to lock, but the address is throttled like one guessing passwords).
    pub fn record_address_failure(&self, addr: IpAddr, now: i64) {
        let mut map = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.address_window_secs;
            map.retain(|_, (_, start)| now - *start < window);
        }
        let e = map.entry(addr).or_insert((0, now));
        if now - e.1 >= self.address_window_secs {
            *e = (0, now);
        }
        e.0 = e.0.saturating_add(1);
    }

    pub async fn record_success(&self, login: &str) -> Result<(), StoreError> {
        self.store.clear_failures(login).await?;
        Ok(())
    }

    /// Lifts a lock early (the administrator's `tessera admin user unlock`).
    pub async fn unlock(&self, login: &str) -> Result<bool, StoreError> {
        self.store.clear_failures(login).await
    }

    /// The whole password sign-in: throttle, lock, verify, count.
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
                match self.record_failure(login, addr, now).await? {
                    Some(until) => Ok(AuthOutcome::Locked { until }),
                    None => Ok(AuthOutcome::Invalid),
                }
            }
        }
    }
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
    });
}
