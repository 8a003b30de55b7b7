//! PRO licenses: a user without one cannot join a conference as participant, owner or moderator.

use super::{Result, Store};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LicenseKind {
    Permanent,
    Temporary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct License {
    pub kind: LicenseKind,
    /// UTC Unix seconds; set for temporary licenses only.
    pub expires_at: Option<i64>,
}

impl License {
    pub fn is_valid(&self, now: i64) -> bool {
        match self.kind {
            LicenseKind::Permanent => true,
            LicenseKind::Temporary => self.expires_at.is_some_and(|e| e > now),
        }
    }
}

impl Store {
    pub async fn license(&self, user_id: i64) -> Result<Option<License>> {
        let row = sqlx::query("SELECT kind, expires_at FROM licenses WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let kind: String = r.try_get("kind")?;
        let kind = match kind.as_str() {
            "permanent" => LicenseKind::Permanent,
            "temporary" => LicenseKind::Temporary,
            other => return Err(super::StoreError::Corrupt(format!("license kind {other:?}"))),
        };
        Ok(Some(License { kind, expires_at: r.try_get("expires_at")? }))
    }

    pub async fn set_license(&self, user_id: i64, license: License, now: i64) -> Result<()> {
        let kind = match license.kind {
            LicenseKind::Permanent => "permanent",
            LicenseKind::Temporary => "temporary",
        };
        sqlx::query(
            "INSERT INTO licenses (user_id, kind, expires_at, granted_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, expires_at = excluded.expires_at, granted_at = excluded.granted_at",
        )
        .bind(user_id)
        .bind(kind)
        .bind(license.expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.changed().await
    }

    pub async fn revoke_license(&self, user_id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM licenses WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        self.changed().await?;
        Ok(n > 0)
    }

    /// Extends a temporary license to `new_expiry` (never shortens it). Returns the license
    /// after the change, or None when the user has no temporary license to renew.
    pub async fn renew_temporary_license(&self, user_id: i64, new_expiry: i64) -> Result<Option<License>> {
        let n = sqlx::query(
            "UPDATE licenses SET expires_at = $1 WHERE user_id = $2 AND kind = 'temporary' AND (expires_at IS NULL OR expires_at < $1)",
        )
        .bind(new_expiry)
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n > 0 {
            self.changed().await?;
        }
        let l = self.license(user_id).await?;
        if n == 0 && !matches!(l, Some(License { kind: LicenseKind::Temporary, .. })) {
            return Ok(None);
        }
        Ok(l)
    }
}
