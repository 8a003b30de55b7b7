//! Setting up a participant's audio and video devices from the conference manager, where the
//! endpoint supports it: a browser in the conference tells the server its cameras, microphones
//! and speakers (the conference page's `device_list`), and the owner, moderators and operators
//! choose among them (`GET`/`POST /api/v1/conferences/{id}/participants/{pid}/devices`); the
//! choice goes to that page (`use_devices`), which switches its tracks and reports back. SIP and
//! H.323 endpoints offer no standard way to do this: for them the API says so (409).

use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::live::{Access, access};
use crate::msg;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use tessera_mixer::layout::ParticipantId;
use tokio::sync::mpsc;

/// Devices of one kind a page may list, at most.
pub const MAX_DEVICES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub id: String,
    pub label: String,
}

/// What a browser has, and what it uses now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceList {
    pub cameras: Vec<Device>,
    pub microphones: Vec<Device>,
    pub speakers: Vec<Device>,
    pub current: Choice,
}

/// Devices by id; `None` leaves that one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Choice {
    pub camera: Option<String>,
    pub microphone: Option<String>,
    pub speaker: Option<String>,
}

impl DeviceList {
    /// Checks a list a page sent: sizes and characters. The error names the problem.
    pub fn check(&self) -> std::result::Result<(), String> {
        for (kind, list) in
            [("cameras", &self.cameras), ("microphones", &self.microphones), ("speakers", &self.speakers)]
        {
            if list.len() > MAX_DEVICES {
                return Err(format!("{kind}: at most {MAX_DEVICES}"));
            }
            for d in list {
                if d.id.is_empty() || d.id.len() > 256 || d.id.chars().any(char::is_control) {
                    return Err(format!("{kind}: a device id must be 1 to 256 characters"));
                }
                if d.label.chars().count() > 128 || d.label.chars().any(char::is_control) {
                    return Err(format!("{kind}: a label must be at most 128 characters"));
                }
            }
        }
        Ok(())
    }
}

struct Endpoint {
    list: DeviceList,
    tx: mpsc::Sender<Choice>,
    /// Which page registered it (a page that left must not remove its successor's entry).
    page: u64,
}

/// Browsers in conferences that said what devices they have.
#[derive(Default)]
pub struct RemoteDevices {
    endpoints: Mutex<HashMap<(String, ParticipantId), Endpoint>>,
}

impl RemoteDevices {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, ParticipantId), Endpoint>> {
        self.endpoints.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A page's (new) list; choices for it come on `tx`.
    pub fn report(
        &self,
        conference: &str,
        participant: ParticipantId,
        page: u64,
        list: DeviceList,
        tx: mpsc::Sender<Choice>,
    ) {
        self.lock().insert((conference.to_string(), participant), Endpoint { list, tx, page });
    }

    /// The page left.
    pub fn forget(&self, conference: &str, participant: ParticipantId, page: u64) {
        let mut e = self.lock();
        let key = (conference.to_string(), participant);
        if e.get(&key).is_some_and(|x| x.page == page) {
            e.remove(&key);
        }
    }

    fn get(&self, conference: &str, participant: ParticipantId) -> Option<(DeviceList, mpsc::Sender<Choice>)> {
        self.lock().get(&(conference.to_string(), participant)).map(|e| (e.list.clone(), e.tx.clone()))
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/conferences/{id}/participants/{pid}/devices", get(list).post(choose))
}

async fn endpoint(
    state: &AppState,
    user: i64,
    id: &str,
    pid: ParticipantId,
) -> Result<(DeviceList, mpsc::Sender<Choice>)> {
    if access(state, user, id).await? < Access::Control {
        return Err(Error::Forbidden(msg!("err.only.owner.moderators.operators")));
    }
    state.remote_devices.get(id, pid).ok_or_else(|| Error::Conflict(msg!("err.devices.not.remote")))
}

async fn list(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, pid)): Path<(String, ParticipantId)>,
) -> Result<Json<DeviceList>> {
    let (list, _) = endpoint(&state, u.user.id, &id.to_ascii_lowercase(), pid).await?;
    Ok(Json(list))
}

async fn choose(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, pid)): Path<(String, ParticipantId)>,
    ApiJson(choice): ApiJson<Choice>,
) -> Result<StatusCode> {
    let id = id.to_ascii_lowercase();
    let (list, tx) = endpoint(&state, u.user.id, &id, pid).await?;
    let known = |field: &'static str, want: &Option<String>, have: &[Device]| match want {
        Some(w) if !have.iter().any(|d| &d.id == w) => {
            Err(Error::field(field, msg!("err.not.one.devices.participant")))
        }
        _ => Ok(()),
    };
    known("camera", &choice.camera, &list.cameras)?;
    known("microphone", &choice.microphone, &list.microphones)?;
    known("speaker", &choice.speaker, &list.speakers)?;
    if choice == Choice::default() {
        return Err(Error::field("camera", msg!("err.choose.camera.microphone.speaker")));
    }
    tx.try_send(choice).map_err(|_| Error::Conflict(msg!("err.participant.s.page.busy")))?;
    tracing::info!(conference = %id, participant = pid, actor = u.user.id, "devices chosen for a participant");
    Ok(StatusCode::ACCEPTED)
}
