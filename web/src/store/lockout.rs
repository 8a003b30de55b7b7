//! Failed sign-in counters per login name (see `crate::auth::lockout` for the policy).

use super::{Result, Store};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureState {
    pub failures: i64,
    pub first_failure_at: i64,
    pub locked_until: Option<i64>,
}

impl Store {
    pub async fn failure_state(&self, login: &str) -> Result<Option<FailureState>> {
        let row = sqlx::query("SELECT failures, first_failure_at, locked_until FROM login_failures WHERE login = $1")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(FailureState {
                failures: r.try_get("failures")?,
                first_failure_at: r.try_get("first_failure_at")?,
                locked_until: r.try_get("locked_until")?,
            })),
        }
    }

    /// Counts one attempt against a login in a single statement, before its password is checked,
    /// so that concurrent attempts cannot all see the same count: the failures of the current
    /// window (`period` seconds from its first failure; a new window starts after it) grow by one,
    /// and the login is locked until `now + period` once they reach `max_attempts`. Returns the
    /// state after this attempt. A success afterwards clears it (`clear_failures`).
    pub async fn count_attempt(&self, login: &str, now: i64, max_attempts: i64, period: i64) -> Result<FailureState> {
        let r = sqlx::query(
            "INSERT INTO login_failures (login, failures, first_failure_at, locked_until)
             VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $2 + $4 ELSE NULL END)
             ON CONFLICT (login) DO UPDATE SET
                failures = CASE WHEN $2 - login_failures.first_failure_at < $4
                           THEN login_failures.failures + 1 ELSE 1 END,
                first_failure_at = CASE WHEN $2 - login_failures.first_failure_at < $4
                           THEN login_failures.first_failure_at ELSE $2 END,
                locked_until = CASE
                    WHEN (CASE WHEN $2 - login_failures.first_failure_at < $4
                          THEN login_failures.failures + 1 ELSE 1 END) >= $3 THEN $2 + $4
                    WHEN $2 - login_failures.first_failure_at < $4 THEN login_failures.locked_until
                    ELSE NULL END
             RETURNING failures, first_failure_at, locked_until",
        )
        .bind(login)
        .bind(now)
        .bind(max_attempts)
        .bind(period)
        .fetch_one(&self.pool)
        .await?;
        Ok(FailureState {
            failures: r.try_get("failures")?,
            first_failure_at: r.try_get("first_failure_at")?,
            locked_until: r.try_get("locked_until")?,
        })
    }

    pub async fn put_failure_state(&self, login: &str, s: FailureState) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_failures (login, failures, first_failure_at, locked_until) VALUES ($1, $2, $3, $4)
             ON CONFLICT (login) DO UPDATE SET failures = excluded.failures,
                first_failure_at = excluded.first_failure_at, locked_until = excluded.locked_until",
        )
        .bind(login)
        .bind(s.failures)
        .bind(s.first_failure_at)
        .bind(s.locked_until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets the failures of a login: after a successful sign-in or an administrator's unlock.
    /// Returns whether anything was recorded.
    pub async fn clear_failures(&self, login: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM login_failures WHERE login = $1")
            .bind(login)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
