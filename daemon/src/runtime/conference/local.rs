//! Devices attached to the server joining a conference as one participant (a room's camera,
//! microphone and loudspeaker), and their camera's controls. The devices are checked and held
//! by [`crate::local_devices`]; the participant is admitted by the core like any other.

use super::*;
use crate::local_devices::Use;
use crate::media::local::{CameraControls, LocalEndpoint, LocalSpec};
use tessera_devices::camera::Control;
use tessera_devices::inventory::Inventory;
use tessera_web::control::CameraControlState;
use tessera_web::error::Msg;

pub(super) fn control_states(c: &CameraControls) -> Vec<CameraControlState> {
    c.list()
        .into_iter()
        .map(|r| CameraControlState {
            control: r.control.as_str().into(),
            min: r.min,
            max: r.max,
            step: r.step,
            value: r.value,
        })
        .collect()
}

impl Conf {
    pub(super) async fn add_devices(
        &mut self,
        name: String,
        camera: Option<String>,
        microphone: Option<String>,
        speaker: Option<String>,
        echo_cancellation: bool,
    ) -> Result<ParticipantId, ControlError> {
        let devices = self.media.devices.clone().ok_or_else(|| {
            ControlError::Conflict(Msg::text("devices attached to the server are off: set [devices] enabled = true"))
        })?;
        let name = tessera_conference::live::check_name("name", &name).map_err(refused)?;
        if camera.is_none() && microphone.is_none() {
            return Err(invalid("camera", "give a camera, a microphone or both"));
        }
        let wanted: Vec<(Use, &str)> =
            [(Use::Camera, &camera), (Use::Microphone, &microphone), (Use::Speaker, &speaker)]
                .into_iter()
                .filter_map(|(u, id)| Some((u, id.as_deref()?)))
                .collect();
        for (u, id) in &wanted {
            if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
                return Err(invalid(u.field(), "a device id as tessera devices list prints it"));
            }
        }
        let inventory = tokio::task::spawn_blocking(Inventory::present).await.unwrap_or_default();
        let id = self.core.reserve().map_err(refused)?;
        let holder = format!("{}/{id}", self.settings.id);
        let claim = devices.claim(&inventory, &wanted, &holder).map_err(|(field, message)| {
            if message.contains("already attached") {
                ControlError::Conflict(Msg::text(format!("{field}: {message}")))
            } else {
                invalid(field, message)
            }
        })?;
        let events = self.engine_events.clone();
        let spec = LocalSpec {
            name: name.clone(),
            echo_cancellation,
            camera: camera.as_deref().map(|c| (c.to_string(), devices.opener(c))),
            microphone: microphone.clone(),
            speaker: speaker.clone(),
            fps: devices.settings.capture_fps,
        };
        let slot = Arc::new(MediaSlot::default());
        let news = Arc::new(move |msg: String| {
            let _ = events.send(EngineEvent::DeviceNews(id, msg));
        });
        let endpoint = tokio::task::block_in_place(|| LocalEndpoint::start(spec, slot.clone(), news))
            .map_err(|f| invalid(f.field, f.error.to_string()))?;
        let playback = endpoint.playback();
        if let Some(c) = endpoint.camera_controls() {
            self.cameras.insert(id, c);
        }
        let detail = wanted.iter().map(|(u, d)| format!("{} {d}", u.field())).collect::<Vec<_>>().join(", ");
        tracing::info!(conference = %self.settings.id, participant = id, devices = %detail, "devices attached to the server joined");
        let who = Joining { user: None, name, kind: EndpointKind::Local, group: None, guest: None, operator: false };
        // Held here, not by the engine: a removal frees the devices before it is answered.
        self.locals.insert(id, (endpoint, claim));
        self.join(id, who, slot, Box::new(()), &detail);
        if let Some(p) = playback {
            self.send(EngineCmd::Play(id, p));
        }
        Ok(id)
    }

    pub(super) async fn camera_control(
        &mut self,
        participant: ParticipantId,
        control: &str,
        value: i64,
    ) -> Result<(), ControlError> {
        let c = Control::parse(control).ok_or_else(|| invalid("control", "pan, tilt, zoom or focus"))?;
        let cam = self
            .cameras
            .get(&participant)
            .cloned()
            .ok_or_else(|| invalid("participant", "not a camera attached to the server"))?;
        let range = cam
            .list()
            .into_iter()
            .find(|r| r.control == c)
            .ok_or_else(|| invalid("control", format!("this camera has no {control} control")))?;
        if !range.admits(value) {
            return Err(invalid(
                "value",
                format!("{control} takes {} to {} in steps of {}", range.min, range.max, range.step.max(1)),
            ));
        }
        tokio::task::spawn_blocking(move || cam.set(c, value))
            .await
            .map_err(|e| ControlError::Unavailable(Msg::text(e.to_string())))?
            .map_err(|e| ControlError::Unavailable(Msg::text(e)))
    }
}

/// Devices attached to the server and their hold on them.
pub(super) type Local = (LocalEndpoint, crate::local_devices::Claim);

/// Closes a participant's devices, then frees them, waiting 2 s at most: a device whose driver
/// does not let go (a write that never returns) must not hold up its conference; it is freed
/// when it finally closes.
pub(super) fn close(conference: &str, participant: ParticipantId, local: Local) {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("closing devices".into()).spawn(move || {
        drop(local);
        let _ = tx.send(());
    });
    if spawned.is_ok() && tokio::task::block_in_place(|| rx.recv_timeout(std::time::Duration::from_secs(2))).is_err() {
        tracing::warn!(
            conference,
            participant,
            "devices attached to the server are slow to close; going on without them"
        );
    }
}
