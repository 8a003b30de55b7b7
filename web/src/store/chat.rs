//! The conference chat: what participants write on a conference page, kept for its history.

use super::{Result, Store, new_id};
use sqlx::Row;

/// The longest chat message, in characters.
pub use tessera_conference::chat::MAX_CHAT_CHARS;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub conference: String,
    pub at_ms: i64,
    /// `None` for a guest.
    pub user_id: Option<i64>,
    pub from: String,
    pub text: String,
    /// Where it was written (`web`, or `sip:<Call-ID>`), so that a SIP call does not send a
    /// phone its own message back. Not stored.
    #[serde(skip)]
    pub origin: String,
}

impl Store {
    pub async fn add_chat_message(&self, m: &ChatMessage) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_messages (id, conference_id, at_ms, user_id, sender_name, body)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(&m.conference)
        .bind(m.at_ms)
        .bind(m.user_id)
        .bind(&m.from)
        .bind(&m.text)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest `limit` messages of a conference, oldest first.
    pub async fn chat_history(&self, conference: &str, limit: i64) -> Result<Vec<ChatMessage>> {
        let rows = sqlx::query(
            "SELECT at_ms, user_id, sender_name, body FROM chat_messages WHERE conference_id = $1
             ORDER BY at_ms DESC, id DESC LIMIT $2",
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
                    origin: String::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }
}
