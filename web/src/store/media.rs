//! What the media plane stores: a conference's media settings, the recordings index and the
//! connection history.

use super::{Column, Result, Store, StoreError, new_id};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// The settings the conference runtime reads when a conference starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaSettings {
    pub id: String,
    pub name: String,
    pub owner_id: i64,
    pub kind: super::ConferenceKind,
    pub public: bool,
    pub mode: tessera_conference::Mode,
    pub active_speakers: i64,
    pub starts_at: Option<i64>,
    pub duration_minutes: Option<i64>,
    pub record: bool,
    pub cameras_off_on_join: bool,
    pub microphones_off_on_join: bool,
    pub multicast_group: Option<String>,
    pub multicast_port: Option<i64>,
    pub multicast_ttl: Option<i64>,
    /// Where the conference is streamed live (`rtmp://`, `rtmps://`, `srt://`), key included.
    pub stream_url: Option<String>,
    /// The secret part of the HLS output's address (`/hls/ID/KEY/index.m3u8`); `None`: no HLS.
    pub hls_key: Option<String>,
    /// The saved layouts (the mixer's `LayoutSet` as JSON), if any.
    pub layouts: Option<String>,
    pub time_zone: String,
    pub recurrence: Option<String>,
}

impl MediaSettings {
    pub fn schedule(&self) -> Option<crate::recurrence::Schedule> {
        crate::recurrence::Schedule::stored(
            self.starts_at,
            self.duration_minutes,
            &self.time_zone,
            self.recurrence.as_deref(),
        )
    }

    /// The end of the occurrence under way at `now`, if one is.
    pub fn occurrence_end(&self, now: i64) -> Option<i64> {
        let s = self.schedule()?;
        s.running_at(now).map(|start| start + s.duration_secs())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecordingRow {
    pub id: i64,
    pub conference_id: String,
    pub file_name: String,
    pub format: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub duration_ms: Option<i64>,
    pub size_bytes: Option<i64>,
    pub state: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EventRow {
    pub at_ms: i64,
    pub kind: tessera_conference::EventKind,
    pub participant: Option<i64>,
    /// The user a participant who joined or left signed in as.
    pub user: Option<i64>,
    pub name: String,
    pub detail: String,
}

/// What `tessera admin conference media` may change.
#[derive(Debug, Clone, Default)]
pub struct MediaUpdate {
    pub record: Option<bool>,
    pub cameras_off_on_join: Option<bool>,
    pub microphones_off_on_join: Option<bool>,
    /// `Some(None)` removes the multicast output.
    pub multicast: Option<Option<(String, i64, i64)>>,
    /// `Some(None)` stops streaming to a platform; the URL is checked by the caller.
    pub stream_url: Option<Option<String>>,
    /// `Some(None)` turns the HLS output off; `Some(Some(key))` sets its key.
    pub hls_key: Option<Option<String>>,
    pub mode: Option<(tessera_conference::Mode, i64)>,
}

pub(super) fn recording_from_row(r: &AnyRow) -> Result<RecordingRow> {
    Ok(RecordingRow {
        id: r.try_get("id")?,
        conference_id: r.try_get("conference_id")?,
        file_name: r.try_get("file_name")?,
        format: r.try_get("format")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        duration_ms: r.try_get("duration_ms")?,
        size_bytes: r.try_get("size_bytes")?,
        state: r.try_get("state")?,
        error: r.try_get("error")?,
    })
}

impl Store {
    pub async fn media_settings(&self, id: &str) -> Result<Option<MediaSettings>> {
        let row = sqlx::query(
            "SELECT id, name, owner_id, kind, access, mode, active_speakers, starts_at, duration_minutes, record,
                    cameras_off_on_join, microphones_off_on_join, multicast_group, multicast_port, multicast_ttl, stream_url,
                    hls_key, layouts, time_zone, recurrence
             FROM conferences WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let kind: String = r.try_get("kind")?;
        Ok(Some(MediaSettings {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            owner_id: r.try_get("owner_id")?,
            kind: super::ConferenceKind::parse(&kind)?,
            public: r.try_get::<String, _>("access")? == "public",
            mode: tessera_conference::Mode::parse(&r.try_get::<String, _>("mode")?)?,
            active_speakers: r.try_get("active_speakers")?,
            starts_at: r.try_get("starts_at")?,
            duration_minutes: r.try_get("duration_minutes")?,
            record: r.try_get::<i64, _>("record")? != 0,
            cameras_off_on_join: r.try_get::<i64, _>("cameras_off_on_join")? != 0,
            microphones_off_on_join: r.try_get::<i64, _>("microphones_off_on_join")? != 0,
            multicast_group: r.try_get("multicast_group")?,
            multicast_port: r.try_get("multicast_port")?,
            multicast_ttl: r.try_get("multicast_ttl")?,
            stream_url: r.try_get("stream_url")?,
            hls_key: r.try_get("hls_key")?,
            layouts: r.try_get("layouts")?,
            time_zone: r.try_get("time_zone")?,
            recurrence: r.try_get("recurrence")?,
        }))
    }

    pub async fn update_media(&self, id: &str, u: &MediaUpdate, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT id FROM conferences WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("conference"));
        }
        // A flag left out keeps its stored value.
        sqlx::query(
            "UPDATE conferences SET record = COALESCE($1, record),
               cameras_off_on_join = COALESCE($2, cameras_off_on_join),
               microphones_off_on_join = COALESCE($3, microphones_off_on_join), updated_at = $4
             WHERE id = $5",
        )
        .bind(u.record.map(i64::from))
        .bind(u.cameras_off_on_join.map(i64::from))
        .bind(u.microphones_off_on_join.map(i64::from))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(m) = &u.multicast {
            let (g, p, t) = match m {
                Some((g, p, t)) => (Some(g.clone()), Some(*p), Some(*t)),
                None => (None, None, None),
            };
            sqlx::query(
                "UPDATE conferences SET multicast_group = $1, multicast_port = $2, multicast_ttl = $3, updated_at = $4
                 WHERE id = $5",
            )
            .bind(g)
            .bind(p)
            .bind(t)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(url) = &u.stream_url {
            sqlx::query("UPDATE conferences SET stream_url = $1, updated_at = $2 WHERE id = $3")
                .bind(url.clone())
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(key) = &u.hls_key {
            sqlx::query("UPDATE conferences SET hls_key = $1, updated_at = $2 WHERE id = $3")
                .bind(key.clone())
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some((mode, speakers)) = &u.mode {
            sqlx::query("UPDATE conferences SET mode = $1, active_speakers = $2, updated_at = $3 WHERE id = $4")
                .bind(mode.as_str())
                .bind(*speakers)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.changed().await
    }

    /// The key of the conference's HLS output, when it has one (checked on every HLS request,
    /// so a new key takes effect at once).
    pub async fn hls_key(&self, id: &str) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT hls_key FROM conferences WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        Ok(match row {
            Some(r) => r.try_get("hls_key")?,
            None => None,
        })
    }

    pub async fn save_layouts(&self, id: &str, json: &str) -> Result<()> {
        sqlx::query("UPDATE conferences SET layouts = $1 WHERE id = $2")
            .bind(json)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Conference ids that are virtual rooms or scheduled to be running at `now`.
    pub async fn scheduled_running_at(&self, now: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id, starts_at, duration_minutes, time_zone, recurrence FROM conferences
             WHERE kind = 'scheduled' AND starts_at IS NOT NULL AND starts_at <= $1
               AND COALESCE(series_ends_at, starts_at + COALESCE(duration_minutes, 60) * 60) > $1",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut due = Vec::new();
        for r in rows {
            let tz: String = r.try_get("time_zone")?;
            let rec: Option<String> = r.try_get("recurrence")?;
            let s = crate::recurrence::Schedule::stored(
                r.try_get("starts_at")?,
                r.try_get("duration_minutes")?,
                &tz,
                rec.as_deref(),
            );
            if s.is_some_and(|s| s.running_at(now).is_some()) {
                due.push(r.try_get("id")?);
            }
        }
        Ok(due)
    }

    pub async fn recording_started(&self, conference: &str, file_name: &str, format: &str, now: i64) -> Result<i64> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO recordings (id, conference_id, file_name, format, started_at, state)
             VALUES ($1, $2, $3, $4, $5, 'recording')",
        )
        .bind(id)
        .bind(conference)
        .bind(file_name)
        .bind(format)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// Closes a recording: `state` is `complete`, `failed` or `interrupted`.
    pub async fn recording_finished(
        &self,
        id: i64,
        state: &str,
        ended_at: i64,
        duration_ms: i64,
        size: i64,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE recordings SET state = $1, ended_at = $2, duration_ms = $3, size_bytes = $4, error = $5
             WHERE id = $6",
        )
        .bind(state)
        .bind(ended_at)
        .bind(duration_ms)
        .bind(size)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Recordings still marked as in progress: after a crash, the start-up marks them interrupted.
    pub async fn unfinished_recordings(&self) -> Result<Vec<RecordingRow>> {
        let rows = sqlx::query("SELECT * FROM recordings WHERE state = 'recording'").fetch_all(&self.pool).await?;
        rows.iter().map(recording_from_row).collect()
    }

    /// One recording of a conference.
    pub async fn recording(&self, conference: &str, id: i64) -> Result<Option<RecordingRow>> {
        let row = sqlx::query("SELECT * FROM recordings WHERE conference_id = $1 AND id = $2")
            .bind(conference)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(recording_from_row).transpose()
    }

    /// Forgets a recording (its file is the caller's to delete); whether there was one.
    pub async fn delete_recording(&self, conference: &str, id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM recordings WHERE conference_id = $1 AND id = $2")
            .bind(conference)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    pub async fn recordings(&self, conference: &str) -> Result<Vec<RecordingRow>> {
        let rows = sqlx::query("SELECT * FROM recordings WHERE conference_id = $1 ORDER BY started_at, id")
            .bind(conference)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(recording_from_row).collect()
    }

    pub async fn add_event(
        &self,
        conference: &str,
        at_ms: i64,
        kind: tessera_conference::EventKind,
        participant: Option<i64>,
        name: &str,
        detail: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO conference_events (id, conference_id, at_ms, kind, participant, name, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(conference)
        .bind(at_ms)
        .bind(kind.as_str())
        .bind(participant)
        .bind(name)
        .bind(detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn events(&self, conference: &str, limit: i64) -> Result<Vec<EventRow>> {
        self.flush_events().await;
        let rows = sqlx::query(
            "SELECT at_ms, kind, participant, user_id, name, detail FROM conference_events WHERE conference_id = $1
             ORDER BY at_ms, id LIMIT $2",
        )
        .bind(conference)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    at_ms: r.try_get("at_ms")?,
                    kind: Column::parse(&r.try_get::<String, _>("kind")?)?,
                    participant: r.try_get("participant")?,
                    user: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// The conference with the caller's role, for anybody who may control it: its owner and
    /// moderators (by their role) and operators (any conference).
    pub async fn role_in(&self, user_id: i64, conference: &str) -> Result<Option<super::Role>> {
        let row = sqlx::query("SELECT role FROM conference_participants WHERE conference_id = $1 AND user_id = $2")
            .bind(conference)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| super::Role::parse(&r.try_get::<String, _>("role")?)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{ConferenceKind, MediaUpdate, NewConference, NewUser, Role};

    crate::both_backends!(media_settings_recordings_and_history, |store| {
        let owner = store.create_user(NewUser { login: "o", password_hash: "x", display_name: "" }, 0).await.unwrap();
        let c = NewConference {
            id: "m1",
            name: "M",
            owner_id: owner.id,
            kind: ConferenceKind::Room,
            public: false,
            starts_at: None,
            duration_minutes: None,
            pin: None,
            join_without_invitation: false,
            encrypted_media: false,
        };
        store.create_conference(c, 0).await.unwrap();
        let u = MediaUpdate {
            record: Some(true),
            multicast: Some(Some(("239.1.1.1".into(), 5004, 2))),
            stream_url: Some(Some("rtmp://live.example.com/app/key".into())),
            ..Default::default()
        };
        store.update_media("m1", &u, 1).await.unwrap();
        // Flags left out keep their values.
        let u = MediaUpdate { cameras_off_on_join: Some(true), ..Default::default() };
        store.update_media("m1", &u, 2).await.unwrap();
        let s = store.media_settings("m1").await.unwrap().unwrap();
        assert!(s.record && s.cameras_off_on_join && !s.microphones_off_on_join);
        assert_eq!(
            (s.multicast_group.as_deref(), s.multicast_port, s.multicast_ttl),
            (Some("239.1.1.1"), Some(5004), Some(2))
        );
        assert_eq!(s.stream_url.as_deref(), Some("rtmp://live.example.com/app/key"));
        assert_eq!(s.kind, ConferenceKind::Room);
        let stop = MediaUpdate { stream_url: Some(None), ..Default::default() };
        store.update_media("m1", &stop, 3).await.unwrap();
        assert_eq!(store.media_settings("m1").await.unwrap().unwrap().stream_url, None);
        assert_eq!(store.hls_key("m1").await.unwrap(), None);
        let hls = MediaUpdate { hls_key: Some(Some("k".repeat(32))), ..Default::default() };
        store.update_media("m1", &hls, 4).await.unwrap();
        assert_eq!(store.hls_key("m1").await.unwrap(), Some("k".repeat(32)));
        assert_eq!(store.media_settings("m1").await.unwrap().unwrap().hls_key, Some("k".repeat(32)));
        assert_eq!(store.hls_key("nope").await.unwrap(), None);
        assert!(store.update_media("nope", &u, 3).await.is_err());
        assert_eq!(store.role_in(owner.id, "m1").await.unwrap(), Some(Role::Owner));
        assert_eq!(store.role_in(owner.id + 1, "m1").await.unwrap(), None);

        let r = store.recording_started("m1", "m1/a.mp4", "mp4", 10).await.unwrap();
        assert_eq!(store.unfinished_recordings().await.unwrap().len(), 1);
        store.recording_finished(r, "interrupted", 20, 10_000, 1234, Some("crash")).await.unwrap();
        assert!(store.unfinished_recordings().await.unwrap().is_empty());
        let recs = store.recordings("m1").await.unwrap();
        assert_eq!(
            (recs[0].state.as_str(), recs[0].size_bytes, recs[0].duration_ms),
            ("interrupted", Some(1234), Some(10_000))
        );

        use tessera_conference::EventKind;
        store.add_event("m1", 5, EventKind::Joined, Some(1), "Alice", "synthetic").await.unwrap();
        store.add_event("m1", 6, EventKind::Left, Some(1), "Alice", "").await.unwrap();
        let ev = store.events("m1", 10).await.unwrap();
        assert_eq!(ev.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["joined", "left"]);
    });
}
