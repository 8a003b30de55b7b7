//! Set-password links (see migration 0019): made when an administrator mails one, taken once.

use super::{Result, Store};
use sqlx::Row;

impl Store {
    /// A new link for the user; any earlier one of theirs stops working.
    pub async fn create_password_link(&self, token_hash: &str, user_id: i64, expires_at: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM password_links WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO password_links (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user a link is for, while it works (without using it up).
    pub async fn password_link(&self, token_hash: &str, now: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT user_id FROM password_links WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("user_id")).transpose()?)
    }

    /// Uses a link up: the user it was for, if it still worked. Of two requests with the same
    /// link, one gets it.
    pub async fn take_password_link(&self, token_hash: &str, now: i64) -> Result<Option<i64>> {
        let Some(user) = self.password_link(token_hash, now).await? else { return Ok(None) };
        let n = sqlx::query("DELETE FROM password_links WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok((n == 1).then_some(user))
    }

    /// Forgets expired links (housekeeping).
    pub async fn purge_password_links(&self, now: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM password_links WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }
}
