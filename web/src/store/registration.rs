//! Webinar registration: a public scheduled conference's sign-up settings and form, and the
//! guests who signed up. A guest's join link carries a random token; only its SHA-256 is kept.

use super::{Result, Store, StoreError, flag, is_unique_violation, new_id};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

/// When registration closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closes {
    /// Never (recurring conferences only).
    Never,
    /// When the conference (an occurrence of it) starts.
    Start,
    /// When the conference (its last occurrence) ends.
    End,
    /// A chosen interval: open from `opens_at` until `closes_at`.
    Custom,
}

impl Closes {
    pub fn as_str(self) -> &'static str {
        match self {
            Closes::Never => "never",
            Closes::Start => "start",
            Closes::End => "end",
            Closes::Custom => "custom",
        }
    }

    fn parse(s: &str) -> Result<Closes> {
        Ok(match s {
            "never" => Closes::Never,
            "start" => Closes::Start,
            "end" => Closes::End,
            "custom" => Closes::Custom,
            _ => return Err(StoreError::Corrupt(format!("registration closes {s:?}"))),
        })
    }
}

/// One field of the sign-up form: a standard one (`name`, `email`, …) or a custom one (`c1`…
/// `c10`, with the organiser's label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    pub key: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    pub enabled: bool,
    pub closes: Closes,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub close_when_full: bool,
    pub allow_attend: bool,
    pub fields: Vec<FormField>,
}

/// A guest who signed up, with the form's answers by field key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Registrant {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub answers: BTreeMap<String, String>,
    pub created_at: i64,
    pub first_joined_at: Option<i64>,
    pub last_joined_at: Option<i64>,
}

/// What signing up gives back: the registrant, or why nobody was added.
#[derive(Debug, PartialEq, Eq)]
pub enum SignUp {
    Added(i64),
    /// The list of participants has reached the capacity.
    Full,
    /// The email address has signed up already.
    EmailTaken,
}

fn registration_from_row(r: &AnyRow) -> Result<Registration> {
    let fields: String = r.try_get("fields")?;
    Ok(Registration {
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        closes: Closes::parse(&r.try_get::<String, _>("closes")?)?,
        opens_at: r.try_get("opens_at")?,
        closes_at: r.try_get("closes_at")?,
        close_when_full: r.try_get::<i64, _>("close_when_full")? != 0,
        allow_attend: r.try_get::<i64, _>("allow_attend")? != 0,
        fields: serde_json::from_str(&fields).map_err(|e| StoreError::Corrupt(format!("registration fields: {e}")))?,
    })
}

fn registrant_from_row(r: &AnyRow) -> Result<Registrant> {
    let answers: String = r.try_get("answers")?;
    Ok(Registrant {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        answers: serde_json::from_str(&answers).map_err(|e| StoreError::Corrupt(format!("answers: {e}")))?,
        created_at: r.try_get("created_at")?,
        first_joined_at: r.try_get("first_joined_at")?,
        last_joined_at: r.try_get("last_joined_at")?,
    })
}

/// Replaces a conference's registration settings (none: no registration).
pub(super) async fn write_registration(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    reg: Option<&Registration>,
) -> Result<()> {
    sqlx::query("DELETE FROM conference_registration WHERE conference_id = $1").bind(id).execute(&mut **tx).await?;
    let Some(r) = reg else { return Ok(()) };
    let fields = serde_json::to_string(&r.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO conference_registration
            (conference_id, enabled, closes, opens_at, closes_at, close_when_full, allow_attend, fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(flag(r.enabled))
    .bind(r.closes.as_str())
    .bind(r.opens_at)
    .bind(r.closes_at)
    .bind(flag(r.close_when_full))
    .bind(flag(r.allow_attend))
    .bind(fields)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Everyone on a conference's list: invited users (with the owner), addresses and guests.
const LIST_COUNT: &str = "(SELECT COUNT(*) FROM conference_participants WHERE conference_id = $1)
    + (SELECT COUNT(*) FROM conference_addresses WHERE conference_id = $1)
    + (SELECT COUNT(*) FROM conference_guests WHERE conference_id = $1)";

impl Store {
    pub async fn registration(&self, id: &str) -> Result<Option<Registration>> {
        let r = sqlx::query("SELECT * FROM conference_registration WHERE conference_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(registration_from_row).transpose()
    }

    /// How many are on the conference's list (see `LIST_COUNT`).
    pub async fn list_count(&self, id: &str) -> Result<i64> {
        let q = format!("SELECT {LIST_COUNT} AS n");
        let r = sqlx::query(sqlx::AssertSqlSafe(q)).bind(id).fetch_one(&self.pool).await?;
        Ok(r.try_get("n")?)
    }

    /// Adds a guest unless `capacity` is given and the list has reached it (checked in the
    /// same statement as the insert).
    pub async fn add_registrant(
        &self,
        conference: &str,
        token_hash: &str,
        answers: &BTreeMap<String, String>,
        capacity: Option<i64>,
        now: i64,
    ) -> Result<SignUp> {
        let id = new_id();
        let name = answers.get("name").cloned().unwrap_or_default();
        let email = answers.get("email").cloned().unwrap_or_default();
        let answers = serde_json::to_string(answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let q = format!(
            "INSERT INTO conference_guests (id, conference_id, token_hash, name, email, answers, created_at)
             SELECT $2, $1, $3, $4, $5, $6, $7 WHERE $8 < 0 OR {LIST_COUNT} < $8"
        );
        let res = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(conference)
            .bind(id)
            .bind(token_hash)
            .bind(name)
            .bind(email)
            .bind(answers)
            .bind(now)
            .bind(capacity.unwrap_or(-1))
            .execute(&self.pool)
            .await;
        match res {
            Err(e) if is_unique_violation(&e) => Ok(SignUp::EmailTaken),
            Err(e) => Err(e.into()),
            Ok(r) if r.rows_affected() == 0 => Ok(SignUp::Full),
            Ok(_) => {
                self.changed().await?;
                Ok(SignUp::Added(id))
            }
        }
    }

    pub async fn registrant_by_token(&self, conference: &str, token_hash: &str) -> Result<Option<Registrant>> {
        let r = sqlx::query("SELECT * FROM conference_guests WHERE conference_id = $1 AND token_hash = $2")
            .bind(conference)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(registrant_from_row).transpose()
    }

    /// The conference's guests in the order they signed up (not scoped: callers check first).
    pub async fn registrants(&self, conference: &str) -> Result<Vec<Registrant>> {
        let rows = sqlx::query("SELECT * FROM conference_guests WHERE conference_id = $1 ORDER BY created_at, id")
            .bind(conference)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(registrant_from_row).collect()
    }

    pub async fn registrant_joined(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE conference_guests SET last_joined_at = $2, first_joined_at = COALESCE(first_joined_at, $2) WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
