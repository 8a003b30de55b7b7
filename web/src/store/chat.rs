//! The conference chat: what participants write on a conference page, kept for its history.

use super::{Result, Store, new_id};
use sqlx::Row;

/// The longest chat message, in characters.
pub use tessera_conference::chat::MAX_CHAT_CHARS;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChatMessage {
    pub conference: String,
    pub at_ms: i64,
    /// `None` for a guest.
    pub user_id: Option<i64>,
    pub from: String,
    pub text: String,
    /// A file sent in the chat (then `text` is its name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<ChatFile>,
    /// Where it was written (`web`, or `sip:<Call-ID>`), so that a SIP call does not send a
    /// phone its own message back. Not stored.
    #[serde(skip)]
    pub origin: String,
}

/// A file sent in the chat: downloaded at `/c/<conference>/files/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChatFile {
    pub id: String,
    pub name: String,
    pub size: i64,
}

impl Store {
    /// Stores a message, and the file it carries, together.
    pub async fn add_chat_message(&self, m: &ChatMessage) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        if let Some(f) = &m.file {
            sqlx::query(
                "INSERT INTO chat_files (id, conference_id, at_ms, user_id, name, size_bytes)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&f.id)
            .bind(&m.conference)
            .bind(m.at_ms)
            .bind(m.user_id)
            .bind(&f.name)
            .bind(f.size)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO chat_messages (id, conference_id, at_ms, user_id, sender_name, body, file_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(&m.conference)
        .bind(m.at_ms)
        .bind(m.user_id)
        .bind(&m.from)
        .bind(&m.text)
        .bind(m.file.as_ref().map(|f| &f.id))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A file of the conference's chat.
    pub async fn chat_file(&self, conference: &str, id: &str) -> Result<Option<ChatFile>> {
        let row = sqlx::query("SELECT id, name, size_bytes FROM chat_files WHERE conference_id = $1 AND id = $2")
            .bind(conference)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(ChatFile { id: r.try_get("id")?, name: r.try_get("name")?, size: r.try_get("size_bytes")? }))
            .transpose()
    }

    /// How many bytes the conference's chat files take.
    pub async fn chat_files_bytes(&self, conference: &str) -> Result<i64> {
        // PostgreSQL's SUM of BIGINT is NUMERIC: cast back.
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS n FROM chat_files WHERE conference_id = $1",
        )
        .bind(conference)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// The ids of a conference's chat files (what the sweep keeps on disk).
    pub async fn chat_file_ids(&self, conference: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM chat_files WHERE conference_id = $1")
            .bind(conference)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// The newest `limit` messages of a conference, oldest first.
    pub async fn chat_history(&self, conference: &str, limit: i64) -> Result<Vec<ChatMessage>> {
        let rows = sqlx::query(
            "SELECT m.at_ms, m.user_id, m.sender_name, m.body, f.id AS file_id, f.name AS file_name,
                    f.size_bytes AS file_size
             FROM chat_messages m LEFT JOIN chat_files f ON f.id = m.file_id
             WHERE m.conference_id = $1 ORDER BY m.at_ms DESC, m.id DESC LIMIT $2",
        )
        .bind(conference)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(ChatMessage {
                    conference: conference.to_string(),
                    at_ms: r.try_get("at_ms")?,
                    user_id: r.try_get("user_id")?,
                    from: r.try_get("sender_name")?,
                    text: r.try_get("body")?,
                    file: match r.try_get::<Option<String>, _>("file_id")? {
                        Some(id) => Some(ChatFile { id, name: r.try_get("file_name")?, size: r.try_get("file_size")? }),
                        None => None,
                    },
                    origin: String::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }
}
