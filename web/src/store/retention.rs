//! What the retention policy ([`crate::retention`]) reads and removes.

use super::{RecordingRow, Result, Store};

impl Store {
    /// Every finished recording of every conference, oldest first (for the retention policy).
    pub async fn finished_recordings(&self) -> Result<Vec<RecordingRow>> {
        let rows = sqlx::query("SELECT * FROM recordings WHERE state <> 'recording' ORDER BY started_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(super::media::recording_from_row).collect()
    }

    /// Forgets the connection history, chat messages and user calls from before `before_ms`
    /// (`None`: that kind is kept; chat files go with the chat); how many rows of each went.
    pub async fn prune_history(
        &self,
        events_before_ms: Option<i64>,
        chat_before_ms: Option<i64>,
        calls_before_ms: Option<i64>,
    ) -> Result<(u64, u64, u64)> {
        self.flush_events().await;
        let mut n = [0u64; 4];
        let jobs = [
            ("DELETE FROM conference_events WHERE at_ms < $1", events_before_ms),
            ("DELETE FROM chat_messages WHERE at_ms < $1", chat_before_ms),
            ("DELETE FROM chat_files WHERE at_ms < $1", chat_before_ms),
            ("DELETE FROM user_calls WHERE started_at < $1 AND ended_at IS NOT NULL", calls_before_ms),
        ];
        for (i, (q, before)) in jobs.into_iter().enumerate() {
            if let Some(b) = before {
                n[i] = sqlx::query(q).bind(b).execute(&self.pool).await?.rows_affected();
            }
        }
        Ok((n[0], n[1], n[3]))
    }
}
