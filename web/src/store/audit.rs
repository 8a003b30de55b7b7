//! The audit log of administrative actions (`tessera admin`, `tessera ctl`): appended, read
//! newest first, never changed.

use super::{Result, Store, new_id};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at_ms: i64,
    /// The account, or the system user at the command line.
    pub actor: String,
    /// `cli`, `ctl`, or the web client's address.
    pub source: String,
    pub action: String,
    /// `ok`, or the error it ended with.
    pub outcome: String,
}

impl Store {
    pub async fn audit(&self, e: &AuditEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, at_ms, actor, source, action, outcome) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(e.at_ms)
        .bind(&e.actor)
        .bind(&e.source)
        .bind(&e.action)
        .bind(&e.outcome)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT at_ms, actor, source, action, outcome FROM audit_log ORDER BY at_ms DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at_ms: r.try_get("at_ms")?,
                    actor: r.try_get("actor")?,
                    source: r.try_get("source")?,
                    action: r.try_get("action")?,
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::both_backends!(the_audit_log_reads_newest_first, |store| {
        for (at, action) in [(1, "first"), (2, "second")] {
            let e = AuditEntry {
                at_ms: at,
                actor: "root".into(),
                source: "cli".into(),
                action: action.into(),
                outcome: "ok".into(),
            };
            store.audit(&e).await.unwrap();
        }
        let log = store.audit_log(10).await.unwrap();
        assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["second", "first"]);
        assert_eq!(store.audit_log(1).await.unwrap().len(), 1);
    });
}
