//! Devices attached to the server joining a conference as one participant (a room's camera,
//! microphone and loudspeaker), and their camera's controls. The devices are checked and held
//! by [`crate::local_devices`]; the participant is admitted by the core like any other.

use super::*;
use crate::local_devices::LocalDevices;
use crate::media::local::{CameraControls, LocalEndpoint, LocalSpec};
use tessera_conference::live::attachment::{Attachment, check};
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
    /// The devices of `a` join as one participant (`attachment`: the stored attachment it
    /// comes from).
    pub(super) async fn add_devices(
        &mut self,
        a: Attachment,
        echo_cancellation: bool,
        attachment: Option<i64>,
    ) -> Result<ParticipantId, ControlError> {
        let devices = self.media.devices.clone().ok_or_else(|| {
            ControlError::Conflict(Msg::text("devices attached to the server are off: set [devices] enabled = true"))
        })?;
        let wanted = LocalDevices::wanted(&a);
        let Attachment { name, camera, microphone, speaker } = a.clone();
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
        tracing::info!(conference = %self.settings.id, participant = id, devices = %detail, attachment, "devices attached to the server joined");
        if let Some(stored) = attachment {
            self.attached.insert(stored, id);
        }
        let who = Joining { user: None, name, kind: EndpointKind::Local, group: None, guest: None, operator: false };
        // Held here, not by the engine: a removal frees the devices before it is answered.
        self.locals.insert(id, (endpoint, claim));
        self.join(id, who, slot, Box::new(()), &detail);
        if let Some(p) = playback {
            self.send(EngineCmd::Play(id, p));
        }
        Ok(id)
    }

    /// Brings the participants of stored attachments in line with the store: those not here yet
    /// join (a refusal, such as a device in use, is logged and written in the connection history
    /// once), those detached leave. One an operator removed stays out until the conference
    /// starts again. A room is held open while one of them has `start_room`.
    pub(super) async fn sync_devices(&mut self) {
        let stored = match self.store.device_attachments(&self.settings.id).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(conference = %self.settings.id, error = %e, "reading the attached devices failed");
                return;
            }
        };
        // A room is held open while an attachment of it asks so (also one made while it runs).
        self.held_by_devices = stored.iter().any(|s| s.start_room);
        let gone: Vec<(i64, ParticipantId)> =
            self.attached.iter().filter(|(a, _)| !stored.iter().any(|s| s.id == **a)).map(|(a, p)| (*a, *p)).collect();
        for (a, p) in gone {
            self.attached.remove(&a);
            self.remove(p, "detached from the conference");
        }
        for s in stored {
            if self.attached.contains_key(&s.id) {
                continue;
            }
            let joined = match check(&s.name, s.camera.as_deref(), s.microphone.as_deref(), s.speaker.as_deref()) {
                Ok(a) => self.add_devices(a, s.echo_cancellation, Some(s.id)).await,
                Err(r) => Err(refused(r)),
            };
            if let Err(e) = joined {
                let why = e.to_string();
                if self.attach_failures.get(&s.id) != Some(&why) {
                    tracing::warn!(conference = %self.settings.id, attachment = s.id, name = %s.name, error = %why, "stored devices could not join");
                    self.event(EventKind::Device, None, &s.name, &format!("could not join: {why}"));
                    self.attach_failures.insert(s.id, why);
                }
            } else {
                self.attach_failures.remove(&s.id);
            }
        }
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
