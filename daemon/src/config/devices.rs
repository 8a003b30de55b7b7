//! `[devices]`: cameras, microphones and loudspeakers attached to the server (see
//! `tessera_devices`). Off by default: a server in a rack has none, and the systemd unit only
//! reaches them when the administrator allows it (see the README, "Devices attached to the
//! server").

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Devices {
    /// Enumerate devices at start-up, watch for hot-plug, and let operators attach them.
    pub enabled: bool,
    /// The device ids that may be attached (as `tessera devices list` prints them); a trailing
    /// `*` matches a prefix (`alsa:hw:*`). Empty: every device.
    pub allow: Vec<String>,
    /// The camera mode asked for: the closest the camera offers is used.
    pub capture_width: u32,
    pub capture_height: u32,
    pub capture_fps: u32,
    /// How often to look for devices that appeared or vanished, in seconds.
    pub rescan_seconds: u32,
}

impl Default for Devices {
    fn default() -> Self {
        Devices {
            enabled: false,
            allow: Vec::new(),
            capture_width: 1280,
            capture_height: 720,
            capture_fps: 30,
            rescan_seconds: 3,
        }
    }
}

impl Devices {
    /// Whether `id` may be attached.
    pub fn allows(&self, id: &str) -> bool {
        self.allow.is_empty()
            || self.allow.iter().any(|a| match a.strip_suffix('*') {
                Some(prefix) => id.starts_with(prefix),
                None => a == id,
            })
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let (w, h) = (self.capture_width, self.capture_height);
        if !(16..=3840).contains(&w) || !(16..=2160).contains(&h) || w % 2 != 0 || h % 2 != 0 {
            bail!("devices.capture_width x capture_height = {w}x{h}: give an even size from 16x16 to 3840x2160");
        }
        if !(1..=60).contains(&self.capture_fps) {
            bail!("devices.capture_fps = {}: give 1 to 60 frames a second", self.capture_fps);
        }
        if !(1..=60).contains(&self.rescan_seconds) {
            bail!("devices.rescan_seconds = {}: give 1 to 60", self.rescan_seconds);
        }
        if let Some(bad) = self.allow.iter().find(|a| a.trim().is_empty() || a.trim_end_matches('*').contains('*')) {
            bail!("devices.allow: {bad:?} is not a device id (a trailing * matches a prefix)");
        }
        Ok(())
    }

    pub fn apply_env(&mut self, get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get("TESSERA_DEVICES") {
            self.enabled = match v.as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => bail!("TESSERA_DEVICES={v:?}: expected true or false"),
            };
        }
        if let Some(v) = get("TESSERA_DEVICES_ALLOW") {
            self.allow = v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        }
        if let Some(v) = get("TESSERA_DEVICES_CAPTURE_SIZE") {
            let (w, h) = v
                .split_once('x')
                .with_context(|| format!("TESSERA_DEVICES_CAPTURE_SIZE={v:?}: expected WIDTHxHEIGHT"))?;
            self.capture_width = w.parse().with_context(|| format!("TESSERA_DEVICES_CAPTURE_SIZE={v:?}: bad width"))?;
            self.capture_height =
                h.parse().with_context(|| format!("TESSERA_DEVICES_CAPTURE_SIZE={v:?}: bad height"))?;
        }
        if let Some(v) = get("TESSERA_DEVICES_CAPTURE_FPS") {
            self.capture_fps =
                v.parse().with_context(|| format!("TESSERA_DEVICES_CAPTURE_FPS={v:?} is not a number"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_match_ids_and_prefixes() {
        let mut d = Devices::default();
        assert!(d.allows("alsa:anything"));
        d.allow = vec!["alsa:hw:*".into(), "v4l:usb-1".into()];
        assert!(d.allows("alsa:hw:CARD=0,DEV=0") && d.allows("v4l:usb-1"));
        assert!(!d.allows("alsa:default") && !d.allows("v4l:usb-10"));
        d.allow = vec!["a*b".into()];
        assert!(d.validate().unwrap_err().to_string().contains("devices.allow"));
    }

    #[test]
    fn env_overrides_and_bad_values_name_the_key() {
        let mut d = Devices::default();
        let env = |k: &str| match k {
            "TESSERA_DEVICES" => Some("true".to_string()),
            "TESSERA_DEVICES_CAPTURE_SIZE" => Some("640x480".to_string()),
            _ => None,
        };
        d.apply_env(&env).unwrap();
        assert!(d.enabled);
        assert_eq!((d.capture_width, d.capture_height), (640, 480));
        let bad = |k: &str| (k == "TESSERA_DEVICES").then(|| "maybe".to_string());
        assert!(d.apply_env(&bad).unwrap_err().to_string().contains("TESSERA_DEVICES=\"maybe\""));
        d.capture_width = 641;
        assert!(d.validate().unwrap_err().to_string().contains("devices.capture_width"));
    }
}
