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
