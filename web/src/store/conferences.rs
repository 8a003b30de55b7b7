//! Conferences and who takes part in them. Every read here is scoped to a user: a user sees a
//! conference only through a row in `conference_participants` (the owner has one too).

use super::{Result, Store, StoreError, is_unique_violation};
use sqlx::Row;
use sqlx::any::AnyRow;

pub use tessera_conference::{ConferenceKind, Mode, Role};

/// Reads a column holding one of the core's enums; anything else is a corrupt row.
pub(crate) trait Column: Sized {
    fn parse(s: &str) -> Result<Self>;
}

impl<T: std::str::FromStr<Err = tessera_conference::UnknownValue>> Column for T {
    fn parse(s: &str) -> Result<T> {
        s.parse().map_err(|e: tessera_conference::UnknownValue| StoreError::Corrupt(e.to_string()))
    }
}

/// A conference as one user sees it: with that user's role in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ConferenceRow {
    pub id: String,
    pub name: String,
    pub owner_login: String,
    pub owner_name: String,
    pub kind: ConferenceKind,
    pub access: String,
    pub mode: Mode,
    pub starts_at: Option<i64>,
    pub duration_minutes: Option<i64>,
    pub pin: Option<String>,
    pub description: String,
    pub location: String,
    /// Invited users (the owner included) and invited addresses.
    pub participant_count: i64,
    pub my_role: Role,
    pub time_zone: String,
    /// The RRULE of a recurring conference.
    pub recurrence: Option<String>,
    pub record: bool,
    /// The first occurrence's start when `starts_at` is a later occurrence's.
    pub first_starts_at: Option<i64>,
}

impl ConferenceRow {
    pub fn schedule(&self) -> Option<crate::recurrence::Schedule> {
        let first = self.first_starts_at.or(self.starts_at);
        crate::recurrence::Schedule::stored(first, self.duration_minutes, &self.time_zone, self.recurrence.as_deref())
    }
}

pub struct NewConference<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub owner_id: i64,
    pub kind: ConferenceKind,
    pub public: bool,
    pub starts_at: Option<i64>,
    pub duration_minutes: Option<i64>,
    pub pin: Option<&'a str>,
    /// Private only: users of the server may join without being invited.
    pub join_without_invitation: bool,
    /// Encrypted media only.
    pub encrypted_media: bool,
}

impl<'a> NewConference<'a> {
    /// A private virtual room with no PIN, only for those invited.
    pub fn private_room(id: &'a str, name: &'a str, owner_id: i64) -> NewConference<'a> {
        NewConference {
            id,
            name,
            owner_id,
            kind: ConferenceKind::Room,
            public: false,
            starts_at: None,
            duration_minutes: None,
            pin: None,
            join_without_invitation: false,
            encrypted_media: false,
        }
    }
}

/// What the SIP bridge needs to admit a caller who dials a conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialIn {
    pub id: String,
    pub name: String,
    pub kind: ConferenceKind,
    /// Anyone may join (otherwise only invited users).
    pub public: bool,
    /// Private, but any signed-in user of the server may join.
    pub join_without_invitation: bool,
    /// Media must be encrypted (SRTP for SIP; H.323 calls are refused).
    pub encrypted_media: bool,
    pub pin: Option<String>,
    /// A webinar whose registration is on: it admits its list (invited users and attendees,
    /// and guests with their join links), not anyone.
    pub registration: bool,
    /// What guests (callers who are no user of the server) may use, wherever they join from.
    pub guests: GuestPermissions,
}

/// What the organiser lets a public conference's guests use; what is not allowed is off when they
/// join and stays off (the page, SIP, and every later way in apply it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestPermissions {
    pub chat: bool,
    pub microphone: bool,
    pub camera: bool,
}

impl GuestPermissions {
    /// From the stored list, like `chat,microphone,camera`.
    pub fn of(list: &str) -> GuestPermissions {
        let has = |p: &str| list.split(',').any(|x| x == p);
        GuestPermissions { chat: has("chat"), microphone: has("microphone"), camera: has("camera") }
    }
}

/// What a conference's page shows and needs to admit someone (not scoped to a user: the page
/// applies the access rules and shows a private conference only to those it admits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferencePage {
    pub dial_in: DialIn,
    pub starts_at: Option<i64>,
    pub duration_minutes: Option<i64>,
    pub description: String,
    pub location: String,
    pub owner_name: String,
    pub mode: Mode,
    /// What guests may use in a public conference: chat, microphone, camera.
    pub guest_permissions: String,
    pub time_zone: String,
    pub recurrence: Option<String>,
    /// Webinars: sign-up settings, when set up.
    pub registration: Option<super::Registration>,
}

impl ConferencePage {
    pub fn schedule(&self) -> Option<crate::recurrence::Schedule> {
        crate::recurrence::Schedule::stored(
            self.starts_at,
            self.duration_minutes,
            &self.time_zone,
            self.recurrence.as_deref(),
        )
    }

    /// Registration that is switched on (public scheduled conferences only).
    pub fn registration_on(&self) -> Option<&super::Registration> {
        self.registration.as_ref().filter(|_| self.dial_in.registration)
    }
}

macro_rules! select_visible {
    () => {
        "SELECT c.id, c.name, c.kind, c.access, c.mode, c.starts_at, c.duration_minutes, c.pin,
        c.description, c.location, c.time_zone, c.recurrence, c.record, cp.role, o.login AS owner_login,
        CASE WHEN o.display_name = '' THEN o.login ELSE o.display_name END AS owner_name,
        (SELECT COUNT(*) FROM conference_participants x WHERE x.conference_id = c.id)
          + (SELECT COUNT(*) FROM conference_addresses a WHERE a.conference_id = c.id) AS participant_count
    FROM conferences c
    JOIN conference_participants cp ON cp.conference_id = c.id AND cp.user_id = $1 AND c.is_call = 0
    JOIN users o ON o.id = c.owner_id "
    };
}
pub(super) use select_visible;

pub(super) fn conference_from_row(r: &AnyRow) -> Result<ConferenceRow> {
    let kind: String = r.try_get("kind")?;
    let kind = ConferenceKind::parse(&kind)?;
    let role: String = r.try_get("role")?;
    Ok(ConferenceRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        owner_login: r.try_get("owner_login")?,
        owner_name: r.try_get("owner_name")?,
        kind,
        access: r.try_get("access")?,
        mode: Mode::parse(&r.try_get::<String, _>("mode")?)?,
        starts_at: r.try_get("starts_at")?,
        duration_minutes: r.try_get("duration_minutes")?,
        pin: r.try_get("pin")?,
        description: r.try_get("description")?,
        location: r.try_get("location")?,
        participant_count: r.try_get("participant_count")?,
        my_role: Role::parse(&role)?,
        time_zone: r.try_get("time_zone")?,
        recurrence: r.try_get("recurrence")?,
        record: r.try_get::<i64, _>("record")? != 0,
        first_starts_at: r.try_get("starts_at")?,
    })
}

fn dial_in_from_row(r: &AnyRow) -> Result<DialIn> {
    let kind: String = r.try_get("kind")?;
    let access: String = r.try_get("access")?;
    let pin: Option<String> = r.try_get("pin")?;
    Ok(DialIn {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: ConferenceKind::parse(&kind)?,
        public: access == "public",
        join_without_invitation: r.try_get::<i64, _>("join_without_invitation")? != 0,
        encrypted_media: r.try_get::<i64, _>("encrypted_media")? != 0,
        pin: pin.filter(|p| !p.is_empty()),
        registration: r.try_get::<Option<i64>, _>("registration")?.unwrap_or(0) != 0
            && access == "public"
            && kind == "scheduled",
        guests: GuestPermissions::of(&r.try_get::<String, _>("guest_permissions")?),
    })
}

impl Store {
    /// Creates a conference and makes its owner a participant with the owner role.
    pub async fn create_conference(&self, c: NewConference<'_>, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(
            "INSERT INTO conferences (id, name, owner_id, kind, access, starts_at, duration_minutes, pin, created_at, updated_at,
                                      join_without_invitation, encrypted_media)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)",
        )
        .bind(c.id)
        .bind(c.name)
        .bind(c.owner_id)
        .bind(c.kind.as_str())
        .bind(if c.public { "public" } else { "private" })
        .bind(c.starts_at)
        .bind(c.duration_minutes)
        .bind(c.pin)
        .bind(now)
        .bind(i64::from(c.join_without_invitation && !c.public))
        .bind(i64::from(c.encrypted_media))
        .execute(&mut *tx)
        .await;
        match res {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict("conference")),
            r => r?,
        };
        sqlx::query(
            "INSERT INTO conference_participants (conference_id, user_id, role, added_at) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(c.id)
        .bind(c.owner_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed().await?;
        Ok(())
    }

    /// The room a call between users runs in: private, owned by the caller, the callee (if a
    /// user) its participant, kept out of the lists.
    pub async fn create_call_room(&self, id: &str, name: &str, caller: i64, callee: Option<i64>) -> Result<()> {
        self.create_conference(NewConference::private_room(id, name, caller), chrono::Utc::now().timestamp()).await?;
        sqlx::query("UPDATE conferences SET is_call = 1 WHERE id = $1").bind(id).execute(&self.pool).await?;
        if let Some(u) = callee {
            self.add_participant(id, u, Role::Participant).await?;
        }
        Ok(())
    }

    /// Adds a user to a conference now (or changes their role). The owner's role is never changed.
    pub async fn add_participant(&self, conference_id: &str, user_id: i64, role: Role) -> Result<()> {
        if role == Role::Owner {
            return Err(StoreError::Conflict("owner"));
        }
        sqlx::query(
            "INSERT INTO conference_participants (conference_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (conference_id, user_id) DO UPDATE SET role = excluded.role
             WHERE conference_participants.role <> 'owner'",
        )
        .bind(conference_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(chrono::Utc::now().timestamp())
        .execute(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound("conference"),
            _ => StoreError::Db(e),
        })?;
        self.changed().await
    }

    /// The user's scheduled conferences with an occurrence that starts in `[from, to)`.
    pub async fn scheduled_between(&self, user_id: i64, from: i64, to: i64) -> Result<Vec<ConferenceRow>> {
        self.occurrences_between(user_id, from, to).await
    }

    /// The user's virtual rooms, by name, at most `limit`.
    pub async fn rooms(&self, user_id: i64, limit: i64) -> Result<Vec<ConferenceRow>> {
        let q = concat!(select_visible!(), "WHERE c.kind = 'room' ORDER BY c.name, c.id LIMIT $2");
        let rows = sqlx::query(q).bind(user_id).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(conference_from_row).collect()
    }

    /// One conference, only if the user takes part in it.
    pub async fn conference_for(&self, user_id: i64, id: &str) -> Result<Option<ConferenceRow>> {
        let row = sqlx::query(concat!(select_visible!(), "WHERE c.id = $2"))
            .bind(user_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(conference_from_row).transpose()
    }

    pub async fn conference_exists(&self, id: &str) -> Result<bool> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM conferences WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// A conference as a dialling endpoint meets it (not scoped to a user: the caller is
    /// anonymous until it authenticates; the bridge applies the access rules).
    pub async fn dial_in(&self, id: &str) -> Result<Option<DialIn>> {
        let row = sqlx::query(
            "SELECT c.id, c.name, c.kind, c.access, c.pin, c.join_without_invitation, c.encrypted_media, c.guest_permissions,
                    (SELECT r.enabled FROM conference_registration r WHERE r.conference_id = c.id) AS registration
                 FROM conferences c WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(dial_in_from_row).transpose()
    }

    pub async fn conference_page(&self, id: &str) -> Result<Option<ConferencePage>> {
        let r = sqlx::query(
            "SELECT c.id, c.name, c.kind, c.access, c.pin, c.join_without_invitation, c.encrypted_media,
                (SELECT r.enabled FROM conference_registration r WHERE r.conference_id = c.id) AS registration,
                c.starts_at, c.duration_minutes, c.description, c.location, c.mode, c.guest_permissions,
                c.time_zone, c.recurrence,
                CASE WHEN o.display_name = '' THEN o.login ELSE o.display_name END AS owner_name
             FROM conferences c JOIN users o ON o.id = c.owner_id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        Ok(Some(ConferencePage {
            dial_in: dial_in_from_row(&r)?,
            starts_at: r.try_get("starts_at")?,
            duration_minutes: r.try_get("duration_minutes")?,
            description: r.try_get("description")?,
            location: r.try_get("location")?,
            owner_name: r.try_get("owner_name")?,
            mode: Mode::parse(&r.try_get::<String, _>("mode")?)?,
            guest_permissions: r.try_get("guest_permissions")?,
            time_zone: r.try_get("time_zone")?,
            recurrence: r.try_get("recurrence")?,
            registration: self.registration(id).await?,
        }))
    }

    /// Whether `user_id` is invited to (takes part in) the conference.
    pub async fn is_invited(&self, user_id: i64, id: &str) -> Result<bool> {
        Ok(self.role_in(user_id, id).await?.is_some())
    }
}
