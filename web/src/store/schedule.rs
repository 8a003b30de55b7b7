//! Scheduling: conferences as their owner creates, edits and deletes them (with participants and
//! invited addresses), the occurrences of recurring ones in a range, and templates.

use super::{
    Column, ConferenceKind, ConferenceRow, Result, Role, Store, StoreError, flag, is_unique_violation, new_id,
};
use crate::recurrence::Schedule;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// Everything the scheduling form sets, validated by the web layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConferenceSettings {
    pub name: String,
    pub kind: ConferenceKind,
    pub public: bool,
    pub mode: tessera_conference::Mode,
    pub active_speakers: i64,
    pub starts_at: Option<i64>,
    pub duration_minutes: Option<i64>,
    pub time_zone: String,
    /// The RRULE (see `recurrence`), scheduled conferences only.
    pub recurrence: Option<String>,
    pub pin: Option<String>,
    pub join_without_invitation: bool,
    /// Media must be encrypted: SIP callers use SRTP, H.323 calls are refused.
    pub encrypted_media: bool,
    pub cameras_off_on_join: bool,
    pub microphones_off_on_join: bool,
    pub guest_permissions: String,
    pub record: bool,
    pub email_invitations: bool,
    pub description: String,
    pub location: String,
    /// The mixer's `LayoutSet` as JSON; None for the default.
    pub layouts: Option<String>,
    pub multicast: Option<(String, i64, i64)>,
    /// Webinars: the sign-up settings (kept in `conference_registration`).
    pub registration: Option<super::Registration>,
}

impl ConferenceSettings {
    pub fn schedule(&self) -> Option<Schedule> {
        Schedule::stored(self.starts_at, self.duration_minutes, &self.time_zone, self.recurrence.as_deref())
    }
}

/// A user invited with a role; `speaker` puts them on the podium of a role-based conference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Invitee {
    pub user_id: i64,
    pub login: String,
    pub name: String,
    pub email: String,
    /// The user's language code: what their invitations are written in.
    pub language: String,
    pub role: Role,
    pub speaker: bool,
}

/// An endpoint invited by its SIP or H.323 address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AddressInvitee {
    pub address: String,
    #[schema(schema_with = crate::openapi::role_schema)]
    pub role: Role,
    #[serde(default)]
    pub speaker: bool,
}

/// A conference with its settings, as its editor sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditableConference {
    pub id: String,
    pub owner_id: i64,
    pub settings: ConferenceSettings,
    pub participants: Vec<Invitee>,
    pub addresses: Vec<AddressInvitee>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Template {
    pub id: i64,
    pub name: String,
    /// The scheduling form's input as JSON.
    pub settings: serde_json::Value,
    pub updated_at: i64,
}

fn settings_from_row(r: &AnyRow) -> Result<ConferenceSettings> {
    let kind: String = r.try_get("kind")?;
    let group: Option<String> = r.try_get("multicast_group")?;
    let port: Option<i64> = r.try_get("multicast_port")?;
    let ttl: Option<i64> = r.try_get("multicast_ttl")?;
    Ok(ConferenceSettings {
        name: r.try_get("name")?,
        kind: ConferenceKind::parse(&kind)?,
        public: r.try_get::<String, _>("access")? == "public",
        mode: super::Column::parse(&r.try_get::<String, _>("mode")?)?,
        active_speakers: r.try_get("active_speakers")?,
        starts_at: r.try_get("starts_at")?,
        duration_minutes: r.try_get("duration_minutes")?,
        time_zone: r.try_get("time_zone")?,
        recurrence: r.try_get("recurrence")?,
        pin: r.try_get::<Option<String>, _>("pin")?.filter(|p| !p.is_empty()),
        join_without_invitation: r.try_get::<i64, _>("join_without_invitation")? != 0,
        encrypted_media: r.try_get::<i64, _>("encrypted_media")? != 0,
        cameras_off_on_join: r.try_get::<i64, _>("cameras_off_on_join")? != 0,
        microphones_off_on_join: r.try_get::<i64, _>("microphones_off_on_join")? != 0,
        guest_permissions: r.try_get("guest_permissions")?,
        record: r.try_get::<i64, _>("record")? != 0,
        email_invitations: r.try_get::<i64, _>("email_invitations")? != 0,
        description: r.try_get("description")?,
        location: r.try_get("location")?,
        layouts: r.try_get("layouts")?,
        multicast: match (group, port, ttl) {
            (Some(g), Some(p), Some(t)) => Some((g, p, t)),
            _ => None,
        },
        registration: None,
    })
}

/// The end of the last occurrence, for range queries.
fn series_end(s: &ConferenceSettings) -> Option<i64> {
    s.schedule().map(|sc| sc.series_end())
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;
type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// The columns the form sets, in the order `bind_settings` binds them.
const SETTINGS_COLUMNS: [&str; 24] = [
    "name",
    "kind",
    "access",
    "mode",
    "active_speakers",
    "starts_at",
    "duration_minutes",
    "time_zone",
    "recurrence",
    "series_ends_at",
    "pin",
    "join_without_invitation",
    "encrypted_media",
    "cameras_off_on_join",
    "microphones_off_on_join",
    "guest_permissions",
    "record",
    "email_invitations",
    "description",
    "location",
    "layouts",
    "multicast_group",
    "multicast_port",
    "multicast_ttl",
];

/// `$1` id, `$2` owner, `$3` now (created and updated), then the settings. Built from the
/// constant column names only, hence `AssertSqlSafe`.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    let values: Vec<String> = (4..4 + SETTINGS_COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO conferences (id, owner_id, created_at, updated_at, {}) VALUES ($1, $2, $3, $3, {})",
        SETTINGS_COLUMNS.join(", "),
        values.join(", ")
    )
});

/// `$1` id, `$2` now, then the settings.
static UPDATE: LazyLock<String> = LazyLock::new(|| {
    let set: Vec<String> = SETTINGS_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 3)).collect();
    format!("UPDATE conferences SET updated_at = $2, {} WHERE id = $1", set.join(", "))
});

/// Binds the settings in `SETTINGS_COLUMNS` order after what `q` has bound already.
fn bind_settings<'q>(q: Query<'q>, s: &'q ConferenceSettings) -> Query<'q> {
    let (g, p, t) = s.multicast.clone().map_or((None, None, None), |(g, p, t)| (Some(g), Some(p), Some(t)));
    q.bind(&s.name)
        .bind(s.kind.as_str())
        .bind(if s.public { "public" } else { "private" })
        .bind(s.mode.as_str())
        .bind(s.active_speakers)
        .bind(s.starts_at)
        .bind(s.duration_minutes)
        .bind(&s.time_zone)
        .bind(&s.recurrence)
        .bind(series_end(s))
        .bind(&s.pin)
        .bind(flag(s.join_without_invitation && !s.public))
        .bind(flag(s.encrypted_media))
        .bind(flag(s.cameras_off_on_join))
        .bind(flag(s.microphones_off_on_join))
        .bind(&s.guest_permissions)
        .bind(flag(s.record))
        .bind(flag(s.email_invitations))
        .bind(&s.description)
        .bind(&s.location)
        .bind(&s.layouts)
        .bind(g)
        .bind(p)
        .bind(t)
}

async fn write_invitees(
    tx: &mut Tx<'_>,
    id: &str,
    users: &[(i64, Role, bool)],
    addresses: &[AddressInvitee],
    now: i64,
) -> Result<()> {
    // Invitees who stay keep the time they were added (the analytics show it); only those taken
    // off the list go, and only new ones get `now`.
    let listed: std::collections::HashSet<i64> = users.iter().map(|(u, ..)| *u).collect();
    let present =
        sqlx::query("SELECT user_id FROM conference_participants WHERE conference_id = $1 AND role <> 'owner'")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    for r in present {
        let user: i64 = r.try_get("user_id")?;
        if !listed.contains(&user) {
            sqlx::query("DELETE FROM conference_participants WHERE conference_id = $1 AND user_id = $2")
                .bind(id)
                .bind(user)
                .execute(&mut **tx)
                .await?;
        }
    }
    for (user, role, speaker) in users {
        sqlx::query(
            "INSERT INTO conference_participants (conference_id, user_id, role, speaker, added_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (conference_id, user_id) DO UPDATE SET speaker = excluded.speaker,
                 role = CASE WHEN conference_participants.role = 'owner' THEN 'owner' ELSE excluded.role END",
        )
        .bind(id)
        .bind(user)
        .bind(role.as_str())
        .bind(flag(*speaker))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound("user"),
            _ => StoreError::Db(e),
        })?;
    }
    sqlx::query("DELETE FROM conference_addresses WHERE conference_id = $1").bind(id).execute(&mut **tx).await?;
    for a in addresses {
        sqlx::query("INSERT INTO conference_addresses (conference_id, address, role, speaker) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(&a.address)
            .bind(a.role.as_str())
            .bind(flag(a.speaker))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Creates a scheduled conference or room with its participants in one transaction.
    /// `users` are (user id, role, speaker); the owner is added as owner whatever `users` says.
    pub async fn schedule_conference(
        &self,
        id: &str,
        owner_id: i64,
        s: &ConferenceSettings,
        users: &[(i64, Role, bool)],
        addresses: &[AddressInvitee],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let res = bind_settings(sqlx::query(sqlx::AssertSqlSafe(INSERT.as_str())).bind(id).bind(owner_id).bind(now), s)
            .execute(&mut *tx)
            .await;
        match res {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict("conference")),
            r => r?,
        };
        sqlx::query(
            "INSERT INTO conference_participants (conference_id, user_id, role, added_at) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(id)
        .bind(owner_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let users: Vec<_> = users.iter().filter(|(u, ..)| *u != owner_id).cloned().collect();
        write_invitees(&mut tx, id, &users, addresses, now).await?;
        super::registration::write_registration(&mut tx, id, s.registration.as_ref()).await?;
        tx.commit().await?;
        self.changed().await
    }

    /// Replaces a conference's settings and invitees. The owner stays.
    pub async fn update_scheduled(
        &self,
        id: &str,
        s: &ConferenceSettings,
        users: &[(i64, Role, bool)],
        addresses: &[AddressInvitee],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let owner: Option<i64> = sqlx::query("SELECT owner_id FROM conferences WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("owner_id"))
            .transpose()?;
        let Some(owner) = owner else { return Err(StoreError::NotFound("conference")) };
        bind_settings(sqlx::query(sqlx::AssertSqlSafe(UPDATE.as_str())).bind(id).bind(now), s)
            .execute(&mut *tx)
            .await?;
        let users: Vec<_> = users.iter().filter(|(u, ..)| *u != owner).cloned().collect();
        write_invitees(&mut tx, id, &users, addresses, now).await?;
        super::registration::write_registration(&mut tx, id, s.registration.as_ref()).await?;
        tx.commit().await?;
        self.changed().await
    }

    pub async fn delete_conference(&self, id: &str) -> Result<bool> {
        let n =
            sqlx::query("DELETE FROM conferences WHERE id = $1").bind(id).execute(&self.pool).await?.rows_affected();
        if n > 0 {
            self.changed().await?;
        }
        Ok(n > 0)
    }

    /// A conference with everything its form shows (not scoped: callers check the role first).
    pub async fn editable_conference(&self, id: &str) -> Result<Option<EditableConference>> {
        let Some(r) =
            sqlx::query("SELECT * FROM conferences WHERE id = $1").bind(id).fetch_optional(&self.pool).await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT u.id, u.login, u.email, u.language, CASE WHEN u.display_name = '' THEN u.login ELSE u.display_name END AS name,
                    p.role, p.speaker
             FROM conference_participants p JOIN users u ON u.id = p.user_id
             WHERE p.conference_id = $1 ORDER BY CASE p.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, u.login",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let participants = rows
            .iter()
            .map(|p| {
                Ok(Invitee {
                    user_id: p.try_get("id")?,
                    login: p.try_get("login")?,
                    name: p.try_get("name")?,
                    email: p.try_get("email")?,
                    language: p.try_get("language")?,
                    role: Role::parse(&p.try_get::<String, _>("role")?)?,
                    speaker: p.try_get::<i64, _>("speaker")? != 0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query(
            "SELECT address, role, speaker FROM conference_addresses WHERE conference_id = $1 ORDER BY address",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let addresses = rows
            .iter()
            .map(|a| {
                Ok(AddressInvitee {
                    address: a.try_get("address")?,
                    role: Role::parse(&a.try_get::<String, _>("role")?)?,
                    speaker: a.try_get::<i64, _>("speaker")? != 0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut settings = settings_from_row(&r)?;
        settings.registration = self.registration(id).await?;
        Ok(Some(EditableConference {
            id: r.try_get("id")?,
            owner_id: r.try_get("owner_id")?,
            settings,
            participants,
            addresses,
        }))
    }

    /// The user's scheduled conferences with an occurrence starting in `[from, to)`: one row per
    /// occurrence, `starts_at` set to that occurrence's start, in start order.
    pub async fn occurrences_between(&self, user_id: i64, from: i64, to: i64) -> Result<Vec<ConferenceRow>> {
        let q = concat!(
            super::conferences::select_visible!(),
            "WHERE c.kind = 'scheduled' AND c.starts_at < $3
               AND COALESCE(c.series_ends_at, c.starts_at + COALESCE(c.duration_minutes, 60) * 60) > $2
               AND (c.recurrence IS NOT NULL OR c.starts_at >= $2)"
        );
        let rows = sqlx::query(q).bind(user_id).bind(from).bind(to).fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for r in &rows {
            let c = super::conferences::conference_from_row(r)?;
            for s in c.schedule().map(|s| s.starts_between(from, to)).unwrap_or_default() {
                out.push(ConferenceRow { starts_at: Some(s), ..c.clone() });
            }
        }
        out.sort_by(|a, b| (a.starts_at, &a.name, &a.id).cmp(&(b.starts_at, &b.name, &b.id)));
        Ok(out)
    }

    /// All of the user's scheduled conferences, by first start, at most `limit`.
    pub async fn all_scheduled(&self, user_id: i64, limit: i64) -> Result<Vec<ConferenceRow>> {
        let q = concat!(
            super::conferences::select_visible!(),
            "WHERE c.kind = 'scheduled' ORDER BY c.starts_at, c.name, c.id LIMIT $2"
        );
        let rows = sqlx::query(q).bind(user_id).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(super::conferences::conference_from_row).collect()
    }

    pub async fn templates(&self, owner_id: i64) -> Result<Vec<Template>> {
        let rows = sqlx::query(
            "SELECT id, name, settings, updated_at FROM conference_templates WHERE owner_id = $1 ORDER BY name, id",
        )
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(template_from_row).collect()
    }

    /// One of the user's templates (another user's is "not found").
    pub async fn template(&self, owner_id: i64, id: i64) -> Result<Option<Template>> {
        let row = sqlx::query(
            "SELECT id, name, settings, updated_at FROM conference_templates WHERE owner_id = $1 AND id = $2",
        )
        .bind(owner_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(template_from_row).transpose()
    }

    pub async fn save_template(
        &self,
        owner_id: i64,
        id: Option<i64>,
        name: &str,
        settings: &serde_json::Value,
        now: i64,
    ) -> Result<i64> {
        let json = settings.to_string();
        match id {
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO conference_templates (id, owner_id, name, settings, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(id)
                .bind(owner_id)
                .bind(name)
                .bind(json)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(id)
            }
            Some(id) => {
                let n = sqlx::query(
                    "UPDATE conference_templates SET name = $3, settings = $4, updated_at = $5 WHERE owner_id = $1 AND id = $2",
                )
                .bind(owner_id)
                .bind(id)
                .bind(name)
                .bind(json)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound("template"));
                }
                Ok(id)
            }
        }
    }

    pub async fn delete_template(&self, owner_id: i64, id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM conference_templates WHERE owner_id = $1 AND id = $2")
            .bind(owner_id)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// The conference's invited users with their roles and podium places (for the runtime).
    pub async fn invitee_roles(&self, conference: &str) -> Result<Vec<(i64, Role, bool)>> {
        let rows = sqlx::query("SELECT user_id, role, speaker FROM conference_participants WHERE conference_id = $1")
            .bind(conference)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("user_id")?,
                    Role::parse(&r.try_get::<String, _>("role")?)?,
                    r.try_get::<i64, _>("speaker")? != 0,
                ))
            })
            .collect()
    }

    /// Users whose login or name starts with `q` (for the participants picker), at most `limit`.
    pub async fn find_users(&self, q: &str, limit: i64) -> Result<Vec<(i64, String, String)>> {
        let like = format!("{}%", q.to_lowercase().replace(['%', '_', '\\'], ""));
        let rows = sqlx::query(
            "SELECT id, login, CASE WHEN display_name = '' THEN login ELSE display_name END AS name FROM users
             WHERE disabled = 0 AND (login LIKE $1 OR LOWER(display_name) LIKE $1) ORDER BY login LIMIT $2",
        )
        .bind(like)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("login")?, r.try_get("name")?))).collect()
    }
}

fn template_from_row(r: &AnyRow) -> Result<Template> {
    let json: String = r.try_get("settings")?;
    Ok(Template {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        settings: serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("template settings: {e}")))?,
        updated_at: r.try_get("updated_at")?,
    })
}
