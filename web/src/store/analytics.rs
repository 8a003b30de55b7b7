//! What a conference's analytics read: its list of participants (users invited and webinar
//! guests who signed up) with when each was added and joined, and the span the conference ran.
//! Not scoped to a user: callers check that the reader owns the conference first.

use super::{Column, Result, Role, Store};
use serde::Serialize;
use sqlx::Row;

/// Who an entry is: a user of this server or a guest who signed up for a webinar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    User,
    Guest,
}

/// One participant of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub kind: EntryKind,
    /// The user's or the registrant's id.
    pub id: i64,
    pub name: String,
    /// A user's login; empty for a guest.
    pub login: String,
    pub email: String,
    /// A user's role; `None` for a guest.
    pub role: Option<Role>,
    /// When they were added to the list (Unix seconds).
    pub added_at: i64,
    /// When they first and last joined (Unix milliseconds); `None`: never.
    pub first_joined_ms: Option<i64>,
    pub last_joined_ms: Option<i64>,
    /// How many times they joined (a guest's joins are not counted one by one: 1 if ever).
    pub joins: i64,
    /// Phone, company and position for a user; the form's answers for a guest: [label, value]
    /// pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub details: Vec<(String, String)>,
}

/// When the conference was created and when it last ended (if it ran and ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub created_at: i64,
    pub last_ended_ms: Option<i64>,
}

impl Store {
    /// The list of participants, users first by when they were added, then guests.
    pub async fn entries(&self, conference: &str) -> Result<Vec<Entry>> {
        self.flush_events().await;
        let rows = sqlx::query(
            "SELECT p.user_id, p.role, p.added_at, u.login, u.display_name, u.email, u.phone, u.company, u.position,
                    j.first_ms, j.last_ms, j.joins
             FROM conference_participants p
             JOIN users u ON u.id = p.user_id
             LEFT JOIN (SELECT user_id, MIN(at_ms) AS first_ms, MAX(at_ms) AS last_ms, COUNT(*) AS joins
                        FROM conference_events WHERE conference_id = $1 AND kind = 'joined' AND user_id IS NOT NULL
                        GROUP BY user_id) j ON j.user_id = p.user_id
             WHERE p.conference_id = $1
             ORDER BY p.added_at, u.login",
        )
        .bind(conference)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let display: String = r.try_get("display_name")?;
            let login: String = r.try_get("login")?;
            let details = ["phone", "company", "position"]
                .into_iter()
                .map(|k| Ok((k.to_string(), r.try_get::<String, _>(k)?)))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect();
            out.push(Entry {
                kind: EntryKind::User,
                id: r.try_get("user_id")?,
                name: if display.is_empty() { login.clone() } else { display },
                login,
                email: r.try_get("email")?,
                role: Some(Role::parse(&r.try_get::<String, _>("role")?)?),
                added_at: r.try_get("added_at")?,
                first_joined_ms: r.try_get("first_ms")?,
                last_joined_ms: r.try_get("last_ms")?,
                joins: r.try_get::<Option<i64>, _>("joins")?.unwrap_or(0),
                details,
            });
        }
        for g in self.registrants(conference).await? {
            out.push(Entry {
                kind: EntryKind::Guest,
                id: g.id,
                name: g.name,
                login: String::new(),
                email: g.email,
                role: None,
                added_at: g.created_at,
                first_joined_ms: g.first_joined_at.map(|s| s * 1000),
                last_joined_ms: g.last_joined_at.map(|s| s * 1000),
                joins: i64::from(g.last_joined_at.is_some()),
                details: g.answers.into_iter().filter(|(k, v)| k != "name" && k != "email" && !v.is_empty()).collect(),
            });
        }
        Ok(out)
    }

    /// How many history rows the conference has and the newest one's time: what changes when
    /// rows are added or removed (read from the index alone).
    pub async fn events_stamp(&self, conference: &str) -> Result<(i64, i64)> {
        self.flush_events().await;
        self.stamp(
            "SELECT COUNT(*) AS n, MAX(at_ms) AS newest FROM conference_events WHERE conference_id = $1",
            conference,
        )
        .await
    }

    pub async fn chat_stamp(&self, conference: &str) -> Result<(i64, i64)> {
        self.stamp("SELECT COUNT(*) AS n, MAX(at_ms) AS newest FROM chat_messages WHERE conference_id = $1", conference)
            .await
    }

    /// How many of the conference's guests have joined, and the last time one did.
    pub async fn guests_stamp(&self, conference: &str) -> Result<(i64, i64)> {
        self.stamp(
            "SELECT COUNT(last_joined_at) AS n, MAX(last_joined_at) AS newest FROM conference_guests WHERE conference_id = $1",
            conference,
        )
        .await
    }

    async fn stamp(&self, q: &'static str, conference: &str) -> Result<(i64, i64)> {
        let r = sqlx::query(q).bind(conference).fetch_one(&self.pool).await?;
        Ok((r.try_get("n")?, r.try_get::<Option<i64>, _>("newest")?.unwrap_or(0)))
    }

    pub async fn span(&self, conference: &str) -> Result<Option<Span>> {
        self.flush_events().await;
        let row = sqlx::query(
            "SELECT c.created_at,
                    (SELECT MAX(e.at_ms) FROM conference_events e WHERE e.conference_id = c.id AND e.kind = 'ended') AS ended
             FROM conferences c WHERE c.id = $1",
        )
        .bind(conference)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(Span { created_at: r.try_get("created_at")?, last_ended_ms: r.try_get("ended")? })).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::EntryKind;
    use crate::store::{ConferenceSettings, NewEvent, NewUser, Role};

    crate::both_backends!(entries_keep_when_added_across_edits_and_count_joins, |store| {
        let owner =
            store.create_user(NewUser { login: "own", password_hash: "x", display_name: "Owner" }, 0).await.unwrap();
        let ann =
            store.create_user(NewUser { login: "ann", password_hash: "x", display_name: "Ann" }, 0).await.unwrap();
        let bob = store.create_user(NewUser { login: "bob", password_hash: "x", display_name: "" }, 0).await.unwrap();
        let s = ConferenceSettings {
            name: "Weekly".into(),
            kind: crate::store::ConferenceKind::Room,
            public: false,
            mode: tessera_conference::Mode::AllOnScreen,
            active_speakers: 1,
            starts_at: None,
            duration_minutes: None,
            time_zone: "UTC".into(),
            recurrence: None,
            pin: None,
            join_without_invitation: false,
            encrypted_media: false,
            cameras_off_on_join: false,
            microphones_off_on_join: false,
            guest_permissions: String::new(),
            record: false,
            email_invitations: false,
            description: String::new(),
            location: String::new(),
            layouts: None,
            multicast: None,
            registration: None,
        };
        store.schedule_conference("an1", owner.id, &s, &[(ann.id, Role::Participant, false)], &[], 100).await.unwrap();
        // An edit at 200 adds Bob and keeps Ann's time; at 300 Ann becomes a moderator.
        let both = [(ann.id, Role::Participant, false), (bob.id, Role::Participant, false)];
        store.update_scheduled("an1", &s, &both, &[], 200).await.unwrap();
        let both = [(ann.id, Role::Moderator, false), (bob.id, Role::Participant, false)];
        store.update_scheduled("an1", &s, &both, &[], 300).await.unwrap();
        for (at, kind) in [(1_000, tessera_conference::EventKind::Joined), (2_000, tessera_conference::EventKind::Left)]
            .into_iter()
            .chain([(3_000, tessera_conference::EventKind::Joined)])
        {
            store.record_event(NewEvent {
                conference: "an1".into(),
                at_ms: at,
                kind,
                participant: Some(1),
                user: Some(ann.id),
                name: "Ann".into(),
                detail: String::new(),
            });
        }
        let e = store.entries("an1").await.unwrap();
        let by = |login: &str| e.iter().find(|x| x.login == login).unwrap().clone();
        assert_eq!(e.len(), 3);
        let a = by("ann");
        assert_eq!(
            (a.added_at, a.role, a.joins, a.first_joined_ms, a.last_joined_ms),
            (100, Some(Role::Moderator), 2, Some(1_000), Some(3_000))
        );
        let b = by("bob");
        assert_eq!((b.added_at, b.name.as_str(), b.joins, b.first_joined_ms), (200, "bob", 0, None));
        assert_eq!(by("own").added_at, 100);
        assert!(e.iter().all(|x| x.kind == EntryKind::User));
        // Taken off the list and put back: added anew.
        store.update_scheduled("an1", &s, &[(bob.id, Role::Participant, false)], &[], 400).await.unwrap();
        store.update_scheduled("an1", &s, &both, &[], 500).await.unwrap();
        let e = store.entries("an1").await.unwrap();
        assert_eq!(e.iter().find(|x| x.login == "ann").unwrap().added_at, 500);
        assert_eq!(store.span("an1").await.unwrap().unwrap().created_at, 100);
        assert!(store.span("nope").await.unwrap().is_none());
    });
}
