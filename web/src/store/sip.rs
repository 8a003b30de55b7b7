//! SIP digest secrets per user (see migration 0004): written when a password is set, read when
//! a SIP client authenticates.

use super::{Result, Store};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipDigest {
    pub user_id: i64,
    pub login: String,
    pub disabled: bool,
    pub realm: String,
    pub ha1_md5: String,
    pub ha1_sha256: String,
    /// SHA-1 of the password in hex (H.235.1's key), if the password was set since H.323
    /// registration exists.
    pub h235_key: Option<String>,
}

impl Store {
    pub async fn set_sip_digest(
        &self,
        user_id: i64,
        realm: &str,
        md5: &str,
        sha256: &str,
        h235_key: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sip_digests WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO sip_digests (user_id, realm, ha1_md5, ha1_sha256, h235_key, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(realm)
        .bind(md5)
        .bind(sha256)
        .bind(h235_key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The digest secrets of the user with this login, if it has any (none while the account
    /// must change its password).
    pub async fn sip_digest(&self, login: &str) -> Result<Option<SipDigest>> {
        let row = sqlx::query(
            "SELECT u.id, u.login, u.disabled, d.realm, d.ha1_md5, d.ha1_sha256, d.h235_key FROM users u
             JOIN sip_digests d ON d.user_id = u.id WHERE u.login = $1 AND u.must_change_password = 0",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SipDigest {
            user_id: r.try_get("id")?,
            login: r.try_get("login")?,
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            realm: r.try_get("realm")?,
            ha1_md5: r.try_get("ha1_md5")?,
            ha1_sha256: r.try_get("ha1_sha256")?,
            h235_key: r.try_get("h235_key")?,
        }))
    }
}
