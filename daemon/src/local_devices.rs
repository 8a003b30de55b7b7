//! The daemon's side of devices attached to the server (`tessera_devices`): the start-up listing,
//! hot-plug watching, which device is in use by which conference, and the checks an attachment
//! passes (allowed by `[devices] allow`, present, used the way it can be, not in use) before
//! the conference opens anything.

use crate::config::devices::Devices;
use crate::media::local::OpenCamera;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tessera_conference::live::attachment::Attachment;
use tessera_devices::camera::{FrameSource, Mode, V4lCamera};
use tessera_devices::convert::PixelFormat;
use tessera_devices::inventory::{Change, Inventory};
use tessera_web::remote_devices::Device;
use tessera_web::server_devices::{Available, Directory};

pub struct LocalDevices {
    pub settings: Devices,
    /// A device's use and id (`microphone alsa:hw:CARD=USB,DEV=0`) → who holds it
    /// (`conference/participant`).
    in_use: Mutex<HashMap<String, String>>,
}

/// What an attachment asks of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    Camera,
    Microphone,
    Speaker,
}

impl Use {
    pub fn field(self) -> &'static str {
        match self {
            Use::Camera => "camera",
            Use::Microphone => "microphone",
            Use::Speaker => "speaker",
        }
    }
}

/// Devices held by one participant; dropping it frees them.
pub struct Claim {
    owner: Arc<LocalDevices>,
    ids: Vec<String>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut held = self.owner.in_use.lock().unwrap_or_else(|p| p.into_inner());
        for id in &self.ids {
            held.remove(id);
        }
    }
}

/// Why an attachment is refused: the field and what to tell the operator.
pub type Refused = (&'static str, String);

impl LocalDevices {
    pub fn new(settings: Devices) -> Arc<LocalDevices> {
        Arc::new(LocalDevices { settings, in_use: Mutex::new(HashMap::new()) })
    }

    /// Checks every wanted device against `inventory` and claims them all for `holder`, or none.
    pub fn claim(
        self: &Arc<Self>,
        inventory: &Inventory,
        wanted: &[(Use, &str)],
        holder: &str,
    ) -> Result<Claim, Refused> {
        self.check(inventory, wanted)?;
        // Held per use: a speakerphone is one ALSA device that captures and plays.
        let key = |u: &Use, id: &str| format!("{} {id}", u.field());
        let mut held = self.in_use.lock().unwrap_or_else(|p| p.into_inner());
        for (u, id) in wanted {
            if let Some(by) = held.get(&key(u, id)) {
                return Err((u.field(), format!("{id} is already attached to {by}")));
            }
        }
        let ids: Vec<String> = wanted.iter().map(|(u, id)| key(u, id)).collect();
        for k in &ids {
            held.insert(k.clone(), holder.to_string());
        }
        Ok(Claim { owner: self.clone(), ids })
    }

    /// Whether every wanted device may be attached: allowed by `[devices] allow`, on this
    /// machine (`inventory`), and used the way it can be.
    pub fn check(&self, inventory: &Inventory, wanted: &[(Use, &str)]) -> Result<(), Refused> {
        for (u, id) in wanted {
            let field = u.field();
            if !self.settings.allows(id) {
                return Err((field, format!("{id} is not in [devices] allow")));
            }
            let usable = match u {
                Use::Camera => inventory.cameras.iter().any(|c| c.id == *id),
                Use::Microphone => inventory.audio.iter().any(|a| a.id == *id && a.input),
                Use::Speaker => inventory.audio.iter().any(|a| a.id == *id && a.output),
            };
            if !usable {
                let what = match u {
                    Use::Camera => "camera",
                    Use::Microphone => "audio input",
                    Use::Speaker => "audio output",
                };
                return Err((field, format!("no {what} {id} on this machine (see tessera devices list)")));
            }
        }
        Ok(())
    }

    /// What `a` asks of devices, with the use of each.
    pub fn wanted(a: &Attachment) -> Vec<(Use, &str)> {
        a.devices()
            .into_iter()
            .map(|(field, id)| match field {
                "camera" => (Use::Camera, id),
                "microphone" => (Use::Microphone, id),
                _ => (Use::Speaker, id),
            })
            .collect()
    }

    /// Opens the camera `id` on the capture thread, in the mode closest to `[devices]`'s:
    /// MJPEG above VGA (USB 2 carries little uncompressed video at 30 a second), YUYV below.
    pub fn opener(&self, id: &str) -> OpenCamera {
        let s = &self.settings;
        let format =
            if s.capture_width * s.capture_height > 640 * 480 { PixelFormat::Mjpeg } else { PixelFormat::Yuyv };
        let mode = Mode { format, width: s.capture_width, height: s.capture_height, fps: s.capture_fps };
        let id = id.to_string();
        Box::new(move || V4lCamera::open(&id, mode).map(|c| Box::new(c) as Box<dyn FrameSource>))
    }

    /// Lists what is attached to this machine in the log, then watches for devices that appear
    /// and vanish every `rescan_seconds` (without opening any).
    pub fn watch(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let Ok(found) = tokio::task::spawn_blocking(Inventory::scan).await else { return };
            for line in found.lines() {
                tracing::info!("device: {line}");
            }
            let mut known = Inventory { cameras: found.cameras.clone(), audio: found.audio.clone() };
            let mut tick = tokio::time::interval(Duration::from_secs(u64::from(self.settings.rescan_seconds)));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Ok(now) = tokio::task::spawn_blocking(Inventory::present).await else { return };
                for change in known.changes(&now) {
                    match change {
                        Change::Appeared(id) => {
                            metrics::counter!("tessera_devices_hotplug_total", "change" => "appeared").increment(1);
                            tracing::info!(device = %id, "a device appeared");
                        }
                        Change::Vanished(id) => {
                            metrics::counter!("tessera_devices_hotplug_total", "change" => "vanished").increment(1);
                            tracing::warn!(device = %id, "a device vanished");
                        }
                    }
                }
                known = now;
            }
        })
    }
}

/// The web's view of this machine's devices: the stored attachments' API and CLI check
/// against it.
impl Directory for LocalDevices {
    fn available(&self) -> Available {
        let found = Inventory::present();
        let allowed = |id: &str| self.settings.allows(id);
        let device = |id: &str, name: &str| Device { id: id.to_string(), label: name.to_string() };
        Available {
            cameras: found.cameras.iter().filter(|c| allowed(&c.id)).map(|c| device(&c.id, &c.name)).collect(),
            microphones: found
                .audio
                .iter()
                .filter(|a| a.input && allowed(&a.id))
                .map(|a| device(&a.id, &a.name))
                .collect(),
            speakers: found
                .audio
                .iter()
                .filter(|a| a.output && allowed(&a.id))
                .map(|a| device(&a.id, &a.name))
                .collect(),
        }
    }

    fn check(&self, a: &Attachment) -> Result<(), (String, String)> {
        LocalDevices::check(self, &Inventory::present(), &LocalDevices::wanted(a)).map_err(|(f, m)| (f.to_string(), m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_devices::audio::AudioDevice;
    use tessera_devices::camera::CameraInfo;

    fn inventory() -> Inventory {
        let audio = |id: &str, input, output| AudioDevice { id: id.into(), name: id.into(), input, output };
        Inventory {
            cameras: vec![CameraInfo {
                id: "v4l:video0".into(),
                name: "Cam".into(),
                modes: vec![],
                controls: vec![],
                error: None,
            }],
            audio: vec![audio("alsa:mic", true, false), audio("alsa:spk", false, true), audio("alsa:both", true, true)],
        }
    }

    #[test]
    fn attachments_are_checked_and_devices_held_once() {
        let d = LocalDevices::new(Devices { enabled: true, ..Devices::default() });
        let inv = inventory();
        let first = d.claim(&inv, &[(Use::Camera, "v4l:video0"), (Use::Microphone, "alsa:mic")], "hall/1").unwrap();
        let again = d.claim(&inv, &[(Use::Microphone, "alsa:mic")], "other/2").err().unwrap();
        assert_eq!(again, ("microphone", "alsa:mic is already attached to hall/1".to_string()));
        assert_eq!(
            d.claim(&inv, &[(Use::Camera, "v4l:video0")], "x/3").err().unwrap().1,
            "v4l:video0 is already attached to hall/1"
        );
        drop(first);
        assert!(d.claim(&inv, &[(Use::Microphone, "alsa:mic")], "other/2").is_ok());
        assert_eq!(
            d.claim(&inv, &[(Use::Speaker, "alsa:mic")], "x").err().unwrap(),
            ("speaker", "no audio output alsa:mic on this machine (see tessera devices list)".to_string())
        );
        assert_eq!(d.claim(&inv, &[(Use::Camera, "v4l:video9")], "x").err().unwrap().0, "camera");
        // The same device as microphone and loudspeaker (a speakerphone) is one device, two uses.
        let both = d.claim(&inv, &[(Use::Microphone, "alsa:both"), (Use::Speaker, "alsa:both")], "y").unwrap();
        assert_eq!(
            d.claim(&inv, &[(Use::Speaker, "alsa:both")], "z").err().unwrap().1,
            "alsa:both is already attached to y"
        );
        drop(both);
    }

    #[test]
    fn the_allow_list_is_obeyed() {
        let d = LocalDevices::new(Devices { enabled: true, allow: vec!["alsa:s*".into()], ..Devices::default() });
        let inv = inventory();
        assert_eq!(
            d.claim(&inv, &[(Use::Microphone, "alsa:mic")], "x").err().unwrap().1,
            "alsa:mic is not in [devices] allow"
        );
        assert!(d.claim(&inv, &[(Use::Speaker, "alsa:spk")], "x").is_ok());
    }
}
