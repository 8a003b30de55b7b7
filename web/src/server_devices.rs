//! Devices attached to the server stored with a conference ("Hall A": a room's camera,
//! microphone and loudspeaker): what the machine has, attaching and detaching, and the camera's
//! presets. A stored attachment joins the conference as one participant whenever it runs (the
//! runtime notices a change within a second, through the store's generation), and one marked
//! `start_room` starts its virtual room. What an attachment is, is the core's
//! (`live::attachment::check`); whether the machine has the devices is the daemon's
//! ([`Directory`]). The API and `tessera devices attach` both go through [`attach`].

use crate::auth::ApiUser;
use crate::control::Request;
use crate::error::{Error, Msg, Result};
use crate::extract::ApiJson;
use crate::live::{Access, access, control_error, handle};
use crate::msg;
use crate::remote_devices::Device;
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{Attachment, NewAttachment, Positions, Store, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tessera_conference::live::Refusal;

/// What the daemon knows of the devices attached to this machine; `None` in [`AppState`] when
/// `[devices]` is off. Both calls look at the machine (blocking, without opening a device).
pub trait Directory: Send + Sync {
    /// The devices present now, as `tessera devices list` prints them.
    fn available(&self) -> Available;
    /// Whether the devices of `a` may be attached: allowed by `[devices] allow`, present, used
    /// the way they can be (a microphone captures). The refusal names the field.
    fn check(&self, a: &tessera_conference::live::attachment::Attachment) -> std::result::Result<(), (String, String)>;
}

/// Devices of the machine, for choosing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Available {
    pub cameras: Vec<Device>,
    pub microphones: Vec<Device>,
    pub speakers: Vec<Device>,
}

/// An attachment asked for.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachRequest {
    pub name: String,
    #[serde(default)]
    pub camera: Option<String>,
    #[serde(default)]
    pub microphone: Option<String>,
    #[serde(default)]
    pub speaker: Option<String>,
    /// On unless `false` (a room whose microphones cancel echo themselves).
    #[serde(default)]
    pub echo_cancellation: Option<bool>,
    /// Start the conference (a virtual room) for these devices now and whenever the server
    /// starts, so that the room is always open. Off unless `true`.
    #[serde(default)]
    pub start_room: Option<bool>,
}

/// Checks and stores an attachment to `conference` (which exists): the core's rule, the
/// machine's devices, no device twice in one conference for the same use. Nothing is stored
/// when it is refused.
pub async fn attach(
    store: &Store,
    directory: Option<Arc<dyn Directory>>,
    conference: &str,
    asked: AttachRequest,
) -> Result<Attachment> {
    let directory = directory.ok_or_else(|| Error::Conflict(msg!("err.server.devices.off")))?;
    let a = tessera_conference::live::attachment::check(
        &asked.name,
        asked.camera.as_deref(),
        asked.microphone.as_deref(),
        asked.speaker.as_deref(),
    )
    .map_err(|r| match r {
        Refusal::Invalid { field, message } => Error::field(field, message.into()),
        Refusal::Conflict(m) => Error::Conflict(m.into()),
        Refusal::NoParticipant(_) => Error::NotFound,
    })?;
    let stored = store.device_attachments(conference).await?;
    for (field, id) in a.devices() {
        let twice = stored.iter().any(|s| match field {
            "camera" => s.camera.as_deref() == Some(id),
            "microphone" => s.microphone.as_deref() == Some(id),
            _ => s.speaker.as_deref() == Some(id),
        });
        if twice {
            return Err(Error::Conflict(msg!("err.server.devices.twice", field = field, id = id.to_string())));
        }
    }
    let checked = a.clone();
    tokio::task::spawn_blocking(move || directory.check(&checked))
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(|(field, message)| Error::field(field, Msg::text(message)))?;
    let new = NewAttachment {
        name: a.name,
        camera: a.camera,
        microphone: a.microphone,
        speaker: a.speaker,
        echo_cancellation: asked.echo_cancellation.unwrap_or(true),
        start_room: asked.start_room.unwrap_or(false),
    };
    Ok(store.add_device_attachment(conference, &new, now()).await?)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/devices", get(available))
        .route("/api/v1/conferences/{id}/devices", get(list).post(create))
        .route("/api/v1/conferences/{id}/devices/{aid}", delete(remove))
        .route("/api/v1/conferences/{id}/devices/{aid}/presets", get(presets))
        .route("/api/v1/conferences/{id}/devices/{aid}/presets/{name}", put(save_preset).delete(remove_preset))
        .route("/api/v1/conferences/{id}/devices/{aid}/presets/{name}/recall", post(recall_preset))
}

/// Operators only: the server's devices are the machine's, not one conference's.
async fn operator(state: &AppState, user: i64) -> Result<()> {
    if !state.store.rights_of(user).await?.contains(&Right::Operator) {
        return Err(Error::Forbidden(msg!("err.server.devices.operators")));
    }
    Ok(())
}

/// The conference's attachment `aid`, for an operator who may run the conference.
async fn attachment(state: &AppState, user: i64, id: &str, aid: i64) -> Result<Attachment> {
    if access(state, user, id).await? < Access::Own {
        return Err(Error::NotFound);
    }
    operator(state, user).await?;
    state.store.device_attachments(id).await?.into_iter().find(|a| a.id == aid).ok_or(Error::NotFound)
}

async fn available(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Json<Available>> {
    operator(&state, u.user.id).await?;
    let d = state.devices.clone().ok_or_else(|| Error::Conflict(msg!("err.server.devices.off")))?;
    Ok(Json(tokio::task::spawn_blocking(move || d.available()).await.map_err(|e| Error::Internal(e.into()))?))
}

async fn list(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Attachment>>> {
    let id = id.to_ascii_lowercase();
    if access(&state, u.user.id, &id).await? < Access::Control {
        return Err(Error::Forbidden(msg!("err.only.owner.moderators.operators")));
    }
    Ok(Json(state.store.device_attachments(&id).await?))
}

async fn create(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(asked): ApiJson<AttachRequest>,
) -> Result<(StatusCode, Json<Attachment>)> {
    let id = id.to_ascii_lowercase();
    if access(&state, u.user.id, &id).await? < Access::Own {
        return Err(Error::NotFound);
    }
    operator(&state, u.user.id).await?;
    let a = attach(&state.store, state.devices.clone(), &id, asked).await?;
    tracing::info!(conference = %id, attachment = a.id, actor = u.user.id, name = %a.name, "devices of the server attached");
    Ok((StatusCode::CREATED, Json(a)))
}

async fn remove(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, aid)): Path<(String, i64)>,
) -> Result<StatusCode> {
    let id = id.to_ascii_lowercase();
    let a = attachment(&state, u.user.id, &id, aid).await?;
    state.store.remove_device_attachment(&id, a.id).await.map_err(not_found)?;
    tracing::info!(conference = %id, attachment = aid, actor = u.user.id, "devices of the server detached");
    Ok(StatusCode::NO_CONTENT)
}

/// A camera's named position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Preset {
    pub name: String,
    /// pan, tilt, zoom, focus (those the camera has) → position.
    pub controls: BTreeMap<String, i64>,
}

async fn presets(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, aid)): Path<(String, i64)>,
) -> Result<Json<Vec<Preset>>> {
    let a = attachment(&state, u.user.id, &id.to_ascii_lowercase(), aid).await?;
    let all = state.store.camera_presets(a.id).await?;
    Ok(Json(all.into_iter().map(|(name, controls)| Preset { name, controls }).collect()))
}

/// What was deleted already is not there (404); anything else is the store's failure.
fn not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound,
        e => e.into(),
    }
}

fn preset_name(name: &str) -> Result<&str> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 40 || n.chars().any(char::is_control) {
        return Err(Error::field("name", msg!("err.preset.name")));
    }
    Ok(n)
}

/// The live participant of attachment `aid` and where its camera is now.
async fn live_camera(state: &AppState, user: i64, id: &str, aid: i64) -> Result<(u64, Positions)> {
    let control = handle(state)?;
    let live = control.call(id, Some(user), Request::Status).await.map_err(control_error)?;
    let p = live
        .participants
        .into_iter()
        .find(|p| p.attachment == Some(aid))
        .ok_or_else(|| Error::Conflict(msg!("err.conference.not.running")))?;
    Ok((p.id, p.camera_controls.into_iter().map(|c| (c.control, c.value)).collect()))
}

/// Stores where the attachment's camera is now as preset `name` (replacing one so named).
async fn save_preset(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, aid, name)): Path<(String, i64, String)>,
) -> Result<StatusCode> {
    let id = id.to_ascii_lowercase();
    let a = attachment(&state, u.user.id, &id, aid).await?;
    let name = preset_name(&name)?;
    if a.camera.is_none() {
        return Err(Error::Conflict(msg!("err.preset.no.camera")));
    }
    let (_, positions) = live_camera(&state, u.user.id, &id, aid).await?;
    if positions.is_empty() {
        return Err(Error::Conflict(Msg::text("this camera has no pan, tilt, zoom or focus to remember")));
    }
    state.store.save_camera_preset(a.id, name, &positions).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves the attachment's camera to preset `name`.
async fn recall_preset(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, aid, name)): Path<(String, i64, String)>,
) -> Result<StatusCode> {
    let id = id.to_ascii_lowercase();
    let a = attachment(&state, u.user.id, &id, aid).await?;
    let positions = state.store.camera_presets(a.id).await?.remove(preset_name(&name)?).ok_or(Error::NotFound)?;
    let (participant, _) = live_camera(&state, u.user.id, &id, aid).await?;
    let control = handle(&state)?;
    for (control_name, value) in positions {
        let r = Request::CameraControl { participant, control: control_name, value };
        control.call(&id, Some(u.user.id), r).await.map_err(control_error)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_preset(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, aid, name)): Path<(String, i64, String)>,
) -> Result<StatusCode> {
    let a = attachment(&state, u.user.id, &id.to_ascii_lowercase(), aid).await?;
    state.store.remove_camera_preset(a.id, preset_name(&name)?).await.map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{Control, LiveState};
    use crate::tests::App;
    use serde_json::json;
    use std::sync::Mutex;

    /// This machine has one camera and one microphone.
    struct Machine;

    impl Directory for Machine {
        fn available(&self) -> Available {
            let d = |id: &str| Device { id: id.into(), label: id.into() };
            Available { cameras: vec![d("v4l:video0")], microphones: vec![d("alsa:mic")], speakers: vec![] }
        }

        fn check(
            &self,
            a: &tessera_conference::live::attachment::Attachment,
        ) -> std::result::Result<(), (String, String)> {
            match (a.camera.as_deref(), a.microphone.as_deref(), a.speaker.as_deref()) {
                (Some(c), _, _) if c != "v4l:video0" => Err(("camera".into(), format!("no camera {c}"))),
                (_, Some(m), _) if m != "alsa:mic" => Err(("microphone".into(), format!("no audio input {m}"))),
                (_, _, Some(s)) => Err(("speaker".into(), format!("no audio output {s}"))),
                _ => Ok(()),
            }
        }
    }

    /// The runtime's side of the channel: hall runs with participant 7 from `attachment`, whose
    /// camera is at `at`; the camera moves it asks for are kept in `moves`.
    fn runtime(attachment: i64, at: Arc<Mutex<Vec<(String, i64)>>>, moves: Arc<Mutex<Vec<(String, i64)>>>) -> Control {
        let (control, mut rx) = Control::channel();
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                if let Request::CameraControl { control, value, .. } = &e.command.request {
                    moves.lock().unwrap().push((control.clone(), *value));
                }
                let controls: Vec<_> = at
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(c, v)| json!({"control": c, "min": -36000, "max": 36000, "step": 1, "value": v}))
                    .collect();
                let state: LiveState = serde_json::from_value(json!({
                    "conference": "hall", "running": true, "mode": "all_on_screen", "active_speakers": 2,
                    "started_at_ms": 0, "layouts": {"all": {}}, "podium": [], "presenter": null,
                    "active_speaker": null, "recording": null, "rtsp_url": null, "multicast": null,
                    "participants": [{"id": 7, "name": "Hall A", "kind": "local", "group": null, "camera": true,
                        "microphone": true, "gain": 1.0, "moderator": false, "on_podium": false, "joined_at_ms": 0,
                        "camera_controls": controls, "attachment": attachment}]
                }))
                .unwrap();
                let _ = e.reply.send(Ok(state));
            }
        });
        control
    }

    crate::both_backends!(presets_remember_where_the_camera_is_and_move_it_back, |store| {
        let at = Arc::new(Mutex::new(vec![("pan".to_string(), -3600), ("zoom".to_string(), 150)]));
        let moves = Arc::new(Mutex::new(Vec::new()));
        let app = App::with_state(store.clone(), |st| st.devices = Some(Arc::new(Machine)));
        let admin = app.user("op", "op-password-1").await;
        store.grant_rights(admin, &[Right::Operator]).await.unwrap();
        app.room("hall", "Hall", admin, false).await;
        let s = app.sign_in("op", "op-password-1").await;

        // Refused, naming the field; nothing stored.
        for (body, status, field) in [
            (json!({"name": "Hall A", "camera": "v4l:video9"}), 422, "camera"),
            (json!({"name": "Hall A", "microphone": "alsa:mic", "speaker": "alsa:spk"}), 422, "speaker"),
            (json!({"name": "", "camera": "v4l:video0"}), 422, "name"),
            (json!({"name": "Hall A"}), 422, "camera"),
        ] {
            let r = app.json("POST", "/api/v1/conferences/hall/devices", Some(&s), body.clone()).await;
            assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text());
            assert_eq!(r.json()["field"], field, "{body}: {}", r.text());
        }
        assert_eq!(app.get("/api/v1/conferences/hall/devices", Some(&s)).await.json(), json!([]));
        let r = app
            .json(
                "POST",
                "/api/v1/conferences/hall/devices",
                Some(&s),
                json!({"name": "Hall A", "camera": "v4l:video0"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let aid = r.json()["id"].as_i64().unwrap();
        let r = app
            .json("POST", "/api/v1/conferences/hall/devices", Some(&s), json!({"name": "B", "camera": "v4l:video0"}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert!(r.json()["error"].as_str().unwrap().starts_with("camera: v4l:video0"), "{}", r.text());

        // With the conference running (the runtime's stand-in on the control channel).
        let app = App::with_state(store.clone(), |st| {
            st.devices = Some(Arc::new(Machine));
            st.control = Some(runtime(aid, at.clone(), moves.clone()));
        });
        let presets = format!("/api/v1/conferences/hall/devices/{aid}/presets");
        assert_eq!(
            app.json("PUT", &format!("{presets}/Wide"), Some(&s), json!(null)).await.status,
            StatusCode::NO_CONTENT
        );
        *at.lock().unwrap() = vec![("pan".to_string(), 1200), ("zoom".to_string(), 400)];
        assert_eq!(
            app.json("PUT", &format!("{presets}/Lectern"), Some(&s), json!(null)).await.status,
            StatusCode::NO_CONTENT
        );
        let listed = app.get(&presets, Some(&s)).await.json();
        assert_eq!(
            listed,
            json!([{"name": "Lectern", "controls": {"pan": 1200, "zoom": 400}}, {"name": "Wide", "controls": {"pan": -3600, "zoom": 150}}])
        );
        // Recalled: the camera is asked to go where it was.
        let r = app.json("POST", &format!("{presets}/Wide/recall"), Some(&s), json!(null)).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        assert_eq!(*moves.lock().unwrap(), [("pan".to_string(), -3600), ("zoom".to_string(), 150)]);
        assert_eq!(
            app.json("POST", &format!("{presets}/Nowhere/recall"), Some(&s), json!(null)).await.status,
            StatusCode::NOT_FOUND
        );
        let long = "x".repeat(41);
        let r = app.json("PUT", &format!("{presets}/{long}"), Some(&s), json!(null)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(
            app.json("DELETE", &format!("{presets}/Wide"), Some(&s), json!(null)).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(app.get(&presets, Some(&s)).await.json().as_array().unwrap().len(), 1);
        // Another conference's attachment is not this one's.
        app.room("other", "Other", admin, false).await;
        assert_eq!(
            app.get(&format!("/api/v1/conferences/other/devices/{aid}/presets"), Some(&s)).await.status,
            StatusCode::NOT_FOUND
        );
        // Detached: gone, with its presets.
        assert_eq!(
            app.json("DELETE", &format!("/api/v1/conferences/hall/devices/{aid}"), Some(&s), json!(null)).await.status,
            StatusCode::NO_CONTENT
        );
        assert!(store.camera_presets(aid).await.unwrap().is_empty());
    });
}
