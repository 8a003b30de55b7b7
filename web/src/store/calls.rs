//! The call history: calls between users (written by the SIP proxy) and calls a conference
//! placed (dial-outs, written by the dialler, the user who placed them as the caller), one row
//! per call as it rings, is answered and ends; read by each user in it.

use super::{Result, Store, new_id};
use serde::Serialize;
use sqlx::Row;

/// How a call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    /// Still ringing, or in progress.
    Ringing,
    Answered,
    /// Not answered: cancelled by the caller, or nobody picked up.
    Missed,
    Busy,
    Declined,
    Failed,
}

impl CallResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::Ringing => "ringing",
            CallResult::Answered => "answered",
            CallResult::Missed => "missed",
            CallResult::Busy => "busy",
            CallResult::Declined => "declined",
            CallResult::Failed => "failed",
        }
    }

    fn parse(s: &str) -> CallResult {
        match s {
            "answered" => CallResult::Answered,
            "missed" => CallResult::Missed,
            "busy" => CallResult::Busy,
            "declined" => CallResult::Declined,
            "ringing" => CallResult::Ringing,
            _ => CallResult::Failed,
        }
    }

    /// What a final answer to the INVITE means for the caller.
    pub fn of_status(code: u16) -> CallResult {
        match code {
            200..=299 => CallResult::Answered,
            486 | 600 => CallResult::Busy,
            603 => CallResult::Declined,
            408 | 480 | 487 => CallResult::Missed,
            _ => CallResult::Failed,
        }
    }
}

/// One call as one of its users sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CallRow {
    pub id: i64,
    /// `outgoing` (this user called) or `incoming`.
    pub direction: &'static str,
    /// The other user (empty for a dial-out to an address).
    pub peer_login: String,
    pub peer_name: String,
    /// A dial-out's address (`sip:…`); empty otherwise.
    pub peer_address: String,
    /// The conference that placed the call (dial-outs), with its name while it exists.
    pub conference_id: Option<String>,
    pub conference_name: Option<String>,
    /// Whether this user owns that conference (the page links its card), and its kind.
    pub conference_owned: bool,
    #[serde(skip)]
    pub conference_room: bool,
    pub started_at_ms: i64,
    pub answered_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    /// From the answer to the end, for answered calls that ended.
    pub duration_ms: Option<i64>,
    pub result: CallResult,
    pub detail: String,
}

impl Store {
    pub async fn call_started(&self, caller: i64, callee: i64, at_ms: i64) -> Result<i64> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO user_calls (id, caller_id, callee_id, started_at, result) VALUES ($1, $2, $3, $4, 'ringing')",
        )
        .bind(id)
        .bind(caller)
        .bind(callee)
        .bind(at_ms)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// A conference's call placed by `caller` to a user (at their phone) or an address.
    pub async fn dial_out_started(
        &self,
        caller: i64,
        callee: Option<i64>,
        address: &str,
        conference: &str,
        at_ms: i64,
    ) -> Result<i64> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO user_calls (id, caller_id, callee_id, callee_address, conference_id, started_at, result)
             VALUES ($1, $2, $3, $4, $5, $6, 'ringing')",
        )
        .bind(id)
        .bind(caller)
        .bind(callee)
        .bind(address)
        .bind(conference)
        .bind(at_ms)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn call_answered(&self, id: i64, at_ms: i64) -> Result<()> {
        sqlx::query("UPDATE user_calls SET answered_at = $1, result = 'answered' WHERE id = $2")
            .bind(at_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The call ended: `result` for one never answered; an answered one stays answered.
    pub async fn call_ended(&self, id: i64, at_ms: i64, result: CallResult, detail: &str) -> Result<()> {
        sqlx::query(
            "UPDATE user_calls SET ended_at = $1, detail = $2,
                result = CASE WHEN answered_at IS NULL THEN $3 ELSE 'answered' END
             WHERE id = $4 AND ended_at IS NULL",
        )
        .bind(at_ms)
        .bind(detail)
        .bind(result.as_str())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A user's calls, newest first.
    pub async fn calls_of(&self, user: i64, limit: i64) -> Result<Vec<CallRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.caller_id, c.started_at, c.answered_at, c.ended_at, c.result, c.detail,
                    c.callee_address, c.conference_id, f.name AS conference_name, f.owner_id, f.kind AS conference_kind,
                    p.login AS peer_login, p.display_name AS peer_name
             FROM user_calls c
             LEFT JOIN users p ON p.id = CASE WHEN c.caller_id = $1 THEN c.callee_id ELSE c.caller_id END
             LEFT JOIN conferences f ON f.id = c.conference_id
             WHERE c.caller_id = $1 OR c.callee_id = $1
             ORDER BY c.started_at DESC, c.id DESC LIMIT $2",
        )
        .bind(user)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let answered: Option<i64> = r.try_get("answered_at")?;
                let ended: Option<i64> = r.try_get("ended_at")?;
                Ok(CallRow {
                    id: r.try_get("id")?,
                    direction: if r.try_get::<i64, _>("caller_id")? == user { "outgoing" } else { "incoming" },
                    peer_login: r.try_get::<Option<String>, _>("peer_login")?.unwrap_or_default(),
                    peer_name: r.try_get::<Option<String>, _>("peer_name")?.unwrap_or_default(),
                    peer_address: r.try_get("callee_address")?,
                    conference_id: r.try_get("conference_id")?,
                    conference_name: r.try_get("conference_name")?,
                    conference_owned: r.try_get::<Option<i64>, _>("owner_id")? == Some(user),
                    conference_room: r.try_get::<Option<String>, _>("conference_kind")?.as_deref() == Some("room"),
                    started_at_ms: r.try_get("started_at")?,
                    answered_at_ms: answered,
                    ended_at_ms: ended,
                    duration_ms: answered.zip(ended).map(|(a, e)| (e - a).max(0)),
                    result: CallResult::parse(&r.try_get::<String, _>("result")?),
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewUser;

    crate::both_backends!(calls_are_kept_for_both_users, |store| {
        let user = |login: &'static str, display_name: &'static str| {
            let store = store.clone();
            async move { store.create_user(NewUser { login, password_hash: "x", display_name }, 0).await.unwrap().id }
        };
        let (a, b, c) = (user("ann", "Ann").await, user("ben", "Ben").await, user("cy", "").await);
        let one = store.call_started(a, b, 1_000).await.unwrap();
        store.call_answered(one, 3_000).await.unwrap();
        store.call_ended(one, 63_000, CallResult::Answered, "hung up").await.unwrap();
        // A second end changes nothing.
        store.call_ended(one, 99_000, CallResult::Failed, "late").await.unwrap();
        let two = store.call_started(b, a, 100_000).await.unwrap();
        store.call_ended(two, 130_000, CallResult::of_status(486), "486 Busy Here").await.unwrap();
        let ann = store.calls_of(a, 10).await.unwrap();
        assert_eq!(ann.len(), 2);
        assert_eq!(
            (ann[0].direction, ann[0].result, ann[0].peer_login.as_str()),
            ("incoming", CallResult::Busy, "ben")
        );
        assert_eq!(
            (ann[1].direction, ann[1].result, ann[1].duration_ms),
            ("outgoing", CallResult::Answered, Some(60_000))
        );
        assert_eq!(ann[1].detail, "hung up");
        let ben = store.calls_of(b, 10).await.unwrap();
        assert_eq!((ben[1].direction, ben[1].peer_name.as_str()), ("incoming", "Ann"));
        // Nobody else sees them.
        assert!(store.calls_of(c, 10).await.unwrap().is_empty());

        // A dial-out Ann placed from her room to Cy, and one to an address.
        crate::store::testing::room(&store, "annroom", "Ann's room", a).await;
        let d = store.dial_out_started(a, Some(c), "sip:cy@10.0.0.9", "annroom", 200_000).await.unwrap();
        store.call_ended(d, 230_000, CallResult::Missed, "no answer (408)").await.unwrap();
        store.dial_out_started(a, None, "sip:lobby@example.org", "annroom", 300_000).await.unwrap();
        let ann = store.calls_of(a, 10).await.unwrap();
        assert_eq!(
            (ann[0].direction, ann[0].peer_address.as_str(), ann[0].peer_login.as_str(), ann[0].conference_owned),
            ("outgoing", "sip:lobby@example.org", "", true)
        );
        assert_eq!(ann[0].conference_name.as_deref(), Some("Ann's room"));
        let cy = store.calls_of(c, 10).await.unwrap();
        assert_eq!(
            (cy.len(), cy[0].direction, cy[0].result, cy[0].conference_owned),
            (1, "incoming", CallResult::Missed, false)
        );
        assert_eq!(cy[0].peer_login, "ann");
    });
}
