//! What is attached to this machine, and what changed since the last look: the start-up listing
//! and hot-plug (the daemon looks again every few seconds and acts on the [`Change`]s).

use crate::audio::{self, AudioDevice};
use crate::camera::{self, CameraInfo};
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub cameras: Vec<CameraInfo>,
    pub audio: Vec<AudioDevice>,
}

/// A device that appeared or vanished, by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Appeared(String),
    Vanished(String),
}

impl Inventory {
    /// Looks at every camera (opening each for its modes and controls) and audio device now.
    pub fn scan() -> Inventory {
        Inventory { cameras: camera::list(), audio: audio::list() }
    }

    /// Which devices are there now, without opening any (for hot-plug): cameras by id and name.
    pub fn present() -> Inventory {
        let cameras = camera::present()
            .into_iter()
            .map(|(id, name, _)| CameraInfo { id, name, modes: Vec::new(), controls: Vec::new(), error: None })
            .collect();
        Inventory { cameras, audio: audio::list() }
    }

    fn ids(&self) -> impl Iterator<Item = &str> {
        self.cameras.iter().map(|c| c.id.as_str()).chain(self.audio.iter().map(|a| a.id.as_str()))
    }

    pub fn has(&self, id: &str) -> bool {
        self.ids().any(|i| i == id)
    }

    /// What appeared and vanished between `self` (before) and `now`.
    pub fn changes(&self, now: &Inventory) -> Vec<Change> {
        let mut out: Vec<Change> =
            self.ids().filter(|id| !now.has(id)).map(|id| Change::Vanished(id.to_string())).collect();
        out.extend(now.ids().filter(|id| !self.has(id)).map(|id| Change::Appeared(id.to_string())));
        out
    }

    /// One line a device, for the start-up log and `tessera devices list`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.cameras.is_empty() {
            out.push("no cameras".to_string());
        }
        for c in &self.cameras {
            let modes =
                c.modes.iter().take(4).map(|m| format!("{}x{}@{} {}", m.width, m.height, m.fps, m.format.as_str()));
            let controls: Vec<&str> = c.controls.iter().map(|r| r.control.as_str()).collect();
            out.push(match &c.error {
                Some(e) => format!("camera {} \"{}\": {e}", c.id, c.name),
                None => format!(
                    "camera {} \"{}\": {}{}",
                    c.id,
                    c.name,
                    modes.collect::<Vec<_>>().join(", "),
                    if controls.is_empty() { String::new() } else { format!("; controls {}", controls.join(", ")) }
                ),
            });
        }
        if self.audio.is_empty() {
            out.push("no audio devices".to_string());
        }
        for a in &self.audio {
            let dir = match (a.input, a.output) {
                (true, true) => "input and output",
                (true, false) => "input",
                (false, true) => "output",
                (false, false) => "neither",
            };
            out.push(format!("audio {} \"{}\" ({dir})", a.id, a.name));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio(id: &str) -> AudioDevice {
        AudioDevice { id: id.into(), name: id.into(), input: true, output: false }
    }

    #[test]
    fn appeared_and_vanished_devices_are_told_apart() {
        let before = Inventory { cameras: vec![], audio: vec![audio("alsa:a"), audio("alsa:b")] };
        let now = Inventory { cameras: vec![], audio: vec![audio("alsa:b"), audio("alsa:c")] };
        assert_eq!(before.changes(&now), vec![Change::Vanished("alsa:a".into()), Change::Appeared("alsa:c".into())]);
        assert!(now.changes(&now).is_empty());
        assert_eq!(now.lines()[0], "no cameras");
        assert_eq!(now.lines()[1], "audio alsa:b \"alsa:b\" (input)");
    }
}
