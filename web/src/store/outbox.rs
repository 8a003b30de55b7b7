//! The mail outbox (migration 0020): invitations, cancellations and join links waiting for the
//! SMTP server, each retried until it is taken or given up; and each conference's calendar
//! SEQUENCE.

use super::{Result, Store, StoreError, new_id};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// An invitation or its update (`METHOD:REQUEST`).
    Request,
    /// A cancellation (`METHOD:CANCEL`): the conference was deleted or the invitee removed.
    Cancel,
    /// A webinar guest's personal join link.
    JoinLink,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Request => "request",
            OutboxKind::Cancel => "cancel",
            OutboxKind::JoinLink => "join_link",
        }
    }

    fn parse(s: &str) -> Result<OutboxKind> {
        Ok(match s {
            "request" => OutboxKind::Request,
            "cancel" => OutboxKind::Cancel,
            "join_link" => OutboxKind::JoinLink,
            other => return Err(StoreError::Corrupt(format!("mail_outbox.kind {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Not sent yet: waiting for its first try, or for the next after a failure.
    Pending,
    Sent,
    /// Given up after the last retry.
    Failed,
}

impl OutboxStatus {
    fn parse(s: &str) -> Result<OutboxStatus> {
        Ok(match s {
            "pending" => OutboxStatus::Pending,
            "sent" => OutboxStatus::Sent,
            "failed" => OutboxStatus::Failed,
            other => return Err(StoreError::Corrupt(format!("mail_outbox.status {other:?}"))),
        })
    }
}

/// A message to queue: `message` is the whole RFC 5322 text, `sender` and `recipient` the
/// envelope's addresses.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub conference_id: String,
    pub kind: OutboxKind,
    pub sender: String,
    pub recipient: String,
    pub message: Vec<u8>,
}

/// A row of the outbox as the organiser and the sender see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxRow {
    pub id: i64,
    pub conference_id: String,
    pub kind: OutboxKind,
    pub recipient: String,
    pub status: OutboxStatus,
    pub attempts: i64,
    /// When the next try is due (pending rows).
    pub next_attempt_at: i64,
    /// What the SMTP server (or the connection to it) said last time; empty when all went well.
    pub last_error: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

fn row(r: &AnyRow) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.try_get("id")?,
        conference_id: r.try_get("conference_id")?,
        kind: OutboxKind::parse(&r.try_get::<String, _>("kind")?)?,
        recipient: r.try_get("recipient")?,
        status: OutboxStatus::parse(&r.try_get::<String, _>("status")?)?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
    })
}

const COLUMNS: &str =
    "id, conference_id, kind, recipient, status, attempts, next_attempt_at, last_error, created_at, sent_at";

impl Store {
    /// Queues messages, due at `due`. A calendar message (request or cancellation) replaces
    /// those of the same conference to the same recipient still waiting: the newest carries the
    /// whole event with the highest SEQUENCE, so the older would only say again what it says.
    /// Returns how many waiting messages were replaced.
    pub async fn queue_mail(&self, mails: &[QueuedMail], now: i64, due: i64) -> Result<u64> {
        use base64::Engine;
        let mut tx = self.pool.begin().await?;
        let mut replaced = 0;
        for m in mails {
            if m.kind != OutboxKind::JoinLink {
                replaced += sqlx::query(
                    "DELETE FROM mail_outbox WHERE conference_id = $1 AND recipient = $2 AND status = 'pending'
                     AND kind IN ('request', 'cancel')",
                )
                .bind(&m.conference_id)
                .bind(&m.recipient)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            sqlx::query(
                "INSERT INTO mail_outbox (id, conference_id, kind, sender, recipient, message, next_attempt_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(new_id())
            .bind(&m.conference_id)
            .bind(m.kind.as_str())
            .bind(&m.sender)
            .bind(&m.recipient)
            .bind(base64::engine::general_purpose::STANDARD.encode(&m.message))
            .bind(due)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(replaced)
    }

    /// Pending messages due at `now`, oldest first, at most `limit`.
    pub async fn due_mail(&self, now: i64, limit: i64) -> Result<Vec<OutboxRow>> {
        let q = format!(
            "SELECT {COLUMNS} FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, created_at LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).bind(now).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(row).collect()
    }

    /// When the next pending message is due, if any.
    pub async fn next_mail_due(&self) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT MIN(next_attempt_at) AS t FROM mail_outbox WHERE status = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("t")?)
    }

    /// Takes a due message for sending: moves its next try to `lease_until`, so that another
    /// sender (another node, or this one after a crash) leaves it alone meanwhile. Returns its
    /// envelope and text, or None when someone else took it first.
    pub async fn claim_mail(&self, r: &OutboxRow, lease_until: i64) -> Result<Option<(String, String, Vec<u8>)>> {
        use base64::Engine;
        let n = sqlx::query(
            "UPDATE mail_outbox SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3",
        )
        .bind(lease_until)
        .bind(r.id)
        .bind(r.next_attempt_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(None);
        }
        let m = sqlx::query("SELECT sender, recipient, message FROM mail_outbox WHERE id = $1")
            .bind(r.id)
            .fetch_one(&self.pool)
            .await?;
        let text: String = m.try_get("message")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| StoreError::Corrupt(format!("mail_outbox.message of {}: {e}", r.id)))?;
        Ok(Some((m.try_get("sender")?, m.try_get("recipient")?, bytes)))
    }

    /// The message went: its text is dropped, the row stays as the delivery log.
    pub async fn mail_sent(&self, id: i64, attempts: i64, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE mail_outbox SET status = 'sent', attempts = $1, sent_at = $2, message = '', last_error = '' WHERE id = $3",
        )
        .bind(attempts)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The message did not go: try again at `retry_at`, or (None) give up.
    pub async fn mail_failed(&self, id: i64, attempts: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
        let (status, next) = match retry_at {
            Some(t) => ("pending", t),
            None => ("failed", 0),
        };
        let error: String = error.chars().take(500).collect();
        sqlx::query(
            "UPDATE mail_outbox SET status = $1, attempts = $2, last_error = $3, next_attempt_at = $4,
                    message = CASE WHEN $1 = 'failed' THEN '' ELSE message END
             WHERE id = $5",
        )
        .bind(status)
        .bind(attempts)
        .bind(error)
        .bind(next)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A conference's messages, newest first, at most `limit` (for its organiser).
    pub async fn conference_mail(&self, conference_id: &str, limit: i64) -> Result<Vec<OutboxRow>> {
        let q =
            format!("SELECT {COLUMNS} FROM mail_outbox WHERE conference_id = $1 ORDER BY created_at DESC, id LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).bind(conference_id).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(row).collect()
    }

    /// Forgets the log of messages created before `before` that are no longer pending.
    pub async fn purge_mail(&self, before: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM mail_outbox WHERE status <> 'pending' AND created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Raises the conference's calendar SEQUENCE and returns the new value (None: no such
    /// conference).
    pub async fn next_calendar_sequence(&self, conference_id: &str) -> Result<Option<i64>> {
        let r = sqlx::query(
            "UPDATE conferences SET calendar_sequence = calendar_sequence + 1 WHERE id = $1 RETURNING calendar_sequence",
        )
        .bind(conference_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| r.try_get("calendar_sequence")).transpose()?)
    }

    /// The conference's calendar SEQUENCE now (0 for an unknown conference).
    pub async fn calendar_sequence(&self, conference_id: &str) -> Result<i64> {
        let r = sqlx::query("SELECT calendar_sequence FROM conferences WHERE id = $1")
            .bind(conference_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(|r| r.try_get("calendar_sequence")).transpose()?.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::both_backends!(outbox_claims_retries_and_logs, |store| {
        let owner = store
            .create_user(crate::store::NewUser { login: "ann", password_hash: "x", display_name: "Ann" }, 0)
            .await
            .unwrap();
        crate::store::testing::room(&store, "room1", "Room", owner.id).await;
        assert_eq!(store.calendar_sequence("room1").await.unwrap(), 0);
        assert_eq!(store.next_calendar_sequence("room1").await.unwrap(), Some(1));
        assert_eq!(store.next_calendar_sequence("room1").await.unwrap(), Some(2));
        assert_eq!(store.next_calendar_sequence("nope").await.unwrap(), None);

        let mail = |to: &str| QueuedMail {
            conference_id: "room1".into(),
            kind: OutboxKind::Request,
            sender: "meetings@example.org".into(),
            recipient: to.into(),
            message: "Subject: é\r\n\r\nbody\r\n".as_bytes().to_vec(),
        };
        assert_eq!(store.queue_mail(&[mail("bob@example.org"), mail("carol@example.org")], 100, 100).await.unwrap(), 0);
        assert!(store.due_mail(99, 10).await.unwrap().is_empty());
        let due = store.due_mail(100, 10).await.unwrap();
        assert_eq!(due.len(), 2);
        assert_eq!(store.next_mail_due().await.unwrap(), Some(100));

        // One claim wins; the text comes back byte for byte.
        let (from, to, text) = store.claim_mail(&due[0], 400).await.unwrap().unwrap();
        assert_eq!((from.as_str(), text.as_slice()), ("meetings@example.org", "Subject: é\r\n\r\nbody\r\n".as_bytes()));
        assert_eq!(to, due[0].recipient);
        assert!(store.claim_mail(&due[0], 500).await.unwrap().is_none(), "claimed twice");
        store.mail_sent(due[0].id, 1, 101).await.unwrap();

        // The other fails, is retried later, then given up.
        store.claim_mail(&due[1], 400).await.unwrap().unwrap();
        store.mail_failed(due[1].id, 1, "connection refused", Some(160)).await.unwrap();
        assert!(store.due_mail(159, 10).await.unwrap().is_empty());
        let again = store.due_mail(160, 10).await.unwrap();
        assert_eq!((again.len(), again[0].last_error.as_str()), (1, "connection refused"));
        store.mail_failed(due[1].id, 2, "still refused", None).await.unwrap();
        assert_eq!(store.next_mail_due().await.unwrap(), None);

        let log = store.conference_mail("room1", 10).await.unwrap();
        let status = |to: &str| log.iter().find(|r| r.recipient == to).map(|r| (r.status, r.attempts)).unwrap();
        assert_eq!(status("bob@example.org"), (OutboxStatus::Sent, 1));
        assert_eq!(status("carol@example.org"), (OutboxStatus::Failed, 2));
        assert!(store.conference_mail("other", 10).await.unwrap().is_empty());
        assert_eq!(store.purge_mail(100).await.unwrap(), 0);
        assert_eq!(store.purge_mail(101).await.unwrap(), 2);

        // Updates wait; a newer one to the same person replaces the one waiting, and a join
        // link (not a calendar message) replaces nothing and is not replaced.
        let link = QueuedMail { kind: OutboxKind::JoinLink, ..mail("dan@example.org") };
        assert_eq!(store.queue_mail(&[link], 200, 200).await.unwrap(), 0);
        assert_eq!(store.queue_mail(&[mail("dan@example.org")], 200, 260).await.unwrap(), 0);
        let cancel = QueuedMail { kind: OutboxKind::Cancel, ..mail("dan@example.org") };
        assert_eq!(store.queue_mail(&[cancel, mail("erin@example.org")], 210, 270).await.unwrap(), 1);
        assert_eq!(store.due_mail(259, 10).await.unwrap().len(), 1, "the join link is due at once, the rest wait");
        let waiting = store.due_mail(270, 10).await.unwrap();
        let kinds: Vec<(&str, OutboxKind)> = waiting.iter().map(|r| (r.recipient.as_str(), r.kind)).collect();
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        assert!(
            kinds.contains(&("dan@example.org", OutboxKind::Cancel))
                && kinds.contains(&("dan@example.org", OutboxKind::JoinLink))
        );
        assert!(!kinds.contains(&("dan@example.org", OutboxKind::Request)), "{kinds:?}");
    });
}
