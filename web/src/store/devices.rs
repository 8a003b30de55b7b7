//! Devices attached to the server stored with a conference (see `crate::attached`): which
//! camera, microphone and loudspeaker join it as one participant whenever it runs, and the
//! camera's named positions. Every write bumps the store's generation, which the running
//! server polls, so an attachment made by `tessera devices attach` (another process) joins too.

use super::{Result, Store, StoreError, flag, is_unique_violation, new_id};
use sqlx::Row;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub conference: String,
    /// The participant's name ("Hall A").
    pub name: String,
    pub camera: Option<String>,
    pub microphone: Option<String>,
    pub speaker: Option<String>,
    pub echo_cancellation: bool,
    /// A virtual room starts for these devices (when attached, and when the server starts).
    pub start_room: bool,
    pub created_at: i64,
}

/// An attachment to store (checked by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAttachment {
    pub name: String,
    pub camera: Option<String>,
    pub microphone: Option<String>,
    pub speaker: Option<String>,
    pub echo_cancellation: bool,
    pub start_room: bool,
}

/// Positions by control name (`pan`, `tilt`, `zoom`, `focus`).
pub type Positions = BTreeMap<String, i64>;

const COLUMNS: &str = "id, conference_id, name, camera, microphone, speaker, echo_cancellation, start_room, created_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: r.try_get("id")?,
        conference: r.try_get("conference_id")?,
        name: r.try_get("name")?,
        camera: r.try_get("camera")?,
        microphone: r.try_get("microphone")?,
        speaker: r.try_get("speaker")?,
        echo_cancellation: r.try_get::<i64, _>("echo_cancellation")? != 0,
        start_room: r.try_get::<i64, _>("start_room")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// A conference's attachments, oldest first.
    pub async fn device_attachments(&self, conference: &str) -> Result<Vec<Attachment>> {
        let q = format!("SELECT {COLUMNS} FROM device_attachments WHERE conference_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).bind(conference).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// Every attachment of the server (the CLI's listing, the runtime's start-up), by conference.
    pub async fn all_device_attachments(&self) -> Result<Vec<Attachment>> {
        let q = format!("SELECT {COLUMNS} FROM device_attachments ORDER BY conference_id, created_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn add_device_attachment(&self, conference: &str, a: &NewAttachment, now: i64) -> Result<Attachment> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO device_attachments
               (id, conference_id, name, camera, microphone, speaker, echo_cancellation, start_room, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(conference)
        .bind(&a.name)
        .bind(&a.camera)
        .bind(&a.microphone)
        .bind(&a.speaker)
        .bind(flag(a.echo_cancellation))
        .bind(flag(a.start_room))
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.changed().await?;
        Ok(Attachment {
            id,
            conference: conference.to_string(),
            name: a.name.clone(),
            camera: a.camera.clone(),
            microphone: a.microphone.clone(),
            speaker: a.speaker.clone(),
            echo_cancellation: a.echo_cancellation,
            start_room: a.start_room,
            created_at: now,
        })
    }

    /// Removes attachment `id` of `conference`; `NotFound` when it has none such.
    pub async fn remove_device_attachment(&self, conference: &str, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM device_attachments WHERE id = $1 AND conference_id = $2")
            .bind(id)
            .bind(conference)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("attachment"));
        }
        self.changed().await
    }

    /// The camera presets of attachment `id`, by name.
    pub async fn camera_presets(&self, id: i64) -> Result<BTreeMap<String, Positions>> {
        let rows = sqlx::query("SELECT name, controls FROM camera_presets WHERE attachment_id = $1")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get("name")?;
                let controls: String = r.try_get("controls")?;
                let p =
                    serde_json::from_str(&controls).map_err(|e| StoreError::Corrupt(format!("preset {name}: {e}")))?;
                Ok((name, p))
            })
            .collect()
    }

    /// Stores (or replaces) preset `name` of attachment `id`.
    pub async fn save_camera_preset(&self, id: i64, name: &str, positions: &Positions) -> Result<()> {
        let controls = serde_json::to_string(positions).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM camera_presets WHERE attachment_id = $1 AND name = $2")
            .bind(id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO camera_presets (attachment_id, name, controls) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(controls)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("preset") } else { e.into() })?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_camera_preset(&self, id: i64, name: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM camera_presets WHERE attachment_id = $1 AND name = $2")
            .bind(id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("preset"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewUser;

    crate::both_backends!(attachments_and_presets_are_kept_and_go_with_their_conference, |store| {
        let owner = store.create_user(NewUser { login: "o", password_hash: "x", display_name: "" }, 0).await.unwrap();
        for id in ["hall", "other"] {
            crate::store::testing::room(&store, id, "H", owner.id).await;
        }
        let before = store.generation().await.unwrap();
        let new = NewAttachment {
            name: "Hall A".into(),
            camera: Some("v4l:video0".into()),
            microphone: None,
            speaker: Some("alsa:spk".into()),
            echo_cancellation: false,
            start_room: true,
        };
        let a = store.add_device_attachment("hall", &new, 5).await.unwrap();
        // A running server notices through the generation.
        assert!(store.generation().await.unwrap() > before);
        assert_eq!(store.device_attachments("hall").await.unwrap(), vec![a.clone()]);
        assert!(store.device_attachments("other").await.unwrap().is_empty());
        assert_eq!(store.all_device_attachments().await.unwrap().len(), 1);

        let wide = Positions::from([("pan".to_string(), -36000), ("zoom".to_string(), 100)]);
        store.save_camera_preset(a.id, "Wide", &wide).await.unwrap();
        let close = Positions::from([("zoom".to_string(), 400)]);
        store.save_camera_preset(a.id, "Lectern", &close).await.unwrap();
        // Saving under a name again replaces it.
        store.save_camera_preset(a.id, "Lectern", &wide).await.unwrap();
        let presets = store.camera_presets(a.id).await.unwrap();
        assert_eq!(presets.keys().collect::<Vec<_>>(), ["Lectern", "Wide"]);
        assert_eq!(presets["Lectern"], wide);
        store.remove_camera_preset(a.id, "Wide").await.unwrap();
        assert!(matches!(store.remove_camera_preset(a.id, "Wide").await, Err(StoreError::NotFound(_))));

        // Only from its own conference.
        assert!(matches!(store.remove_device_attachment("other", a.id).await, Err(StoreError::NotFound(_))));
        store.remove_device_attachment("hall", a.id).await.unwrap();
        assert!(store.device_attachments("hall").await.unwrap().is_empty());
        // Its presets went with it.
        assert!(store.camera_presets(a.id).await.unwrap().is_empty());
        // A deleted conference takes its attachments with it.
        let b = store.add_device_attachment("other", &new, 6).await.unwrap();
        store.save_camera_preset(b.id, "Wide", &wide).await.unwrap();
        assert!(store.delete_conference("other").await.unwrap());
        assert!(store.all_device_attachments().await.unwrap().is_empty());
        assert!(store.camera_presets(b.id).await.unwrap().is_empty());
    });
}
