//! Cameras: what one offers ([`CameraInfo`]), the [`FrameSource`] the media plane captures from,
//! and its Video4Linux implementation through `nokhwa` ([`V4lCamera`]).
//!
//! Capture is behind [`FrameSource`] so that everything above it (pictures reaching a layout,
//! a camera vanishing and returning, controls refused when absent) is tested without
//! `/dev/video*`, which build machines lack; [`V4lCamera`] is what runs next to a real camera.

use crate::DeviceError;
use crate::convert::{PixelFormat, RawFrame};
use nokhwa::utils::{
    CameraFormat, CameraIndex, ControlValueDescription, ControlValueSetter, FrameFormat, KnownCameraControl,
    RequestedFormat, RequestedFormatType, Resolution,
};
use serde::Serialize;

/// A mode a camera can deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mode {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

/// The controls Tessera drives: where the camera looks and how sharp it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Control {
    Pan,
    Tilt,
    Zoom,
    Focus,
}

impl Control {
    pub const ALL: [Control; 4] = [Control::Pan, Control::Tilt, Control::Zoom, Control::Focus];

    pub fn as_str(self) -> &'static str {
        match self {
            Control::Pan => "pan",
            Control::Tilt => "tilt",
            Control::Zoom => "zoom",
            Control::Focus => "focus",
        }
    }

    pub fn parse(s: &str) -> Option<Control> {
        Control::ALL.into_iter().find(|c| c.as_str() == s)
    }

    fn known(self) -> KnownCameraControl {
        match self {
            Control::Pan => KnownCameraControl::Pan,
            Control::Tilt => KnownCameraControl::Tilt,
            Control::Zoom => KnownCameraControl::Zoom,
            Control::Focus => KnownCameraControl::Focus,
        }
    }
}

/// A control a camera has: its range and where it is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ControlRange {
    pub control: Control,
    pub min: i64,
    pub max: i64,
    pub step: i64,
    pub value: i64,
}

impl ControlRange {
    /// Whether `value` is one this control takes.
    pub fn admits(&self, value: i64) -> bool {
        (self.min..=self.max).contains(&value) && (self.step <= 1 || (value - self.min) % self.step == 0)
    }
}

/// A camera on this machine, as enumeration found it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CameraInfo {
    /// Stable across restarts: where it is plugged in, as udev names it
    /// (`v4l:pci-0000:00:14.0-usb-0:1:1.0-video-index0`), else its device node (`v4l:video0`).
    pub id: String,
    pub name: String,
    pub modes: Vec<Mode>,
    pub controls: Vec<ControlRange>,
    /// Why the camera could not be looked into (busy, permission), if so.
    pub error: Option<String>,
}

/// Where pictures come from: a camera, or in tests a picture source of the test's. Not `Send`
/// (a V4L2 handle stays on the thread that opened it): capture threads open their own.
pub trait FrameSource {
    /// The next picture, waiting for it. [`DeviceError::Gone`] when the camera went away.
    fn frame(&mut self) -> Result<RawFrame, DeviceError>;
    /// The controls this camera has (an empty list: none).
    fn controls(&self) -> Vec<ControlRange>;
    /// Sets a control; refused when the camera lacks it or the value is out of its range.
    fn set_control(&mut self, control: Control, value: i64) -> Result<(), DeviceError>;
}

fn pixel_format(f: FrameFormat) -> Option<PixelFormat> {
    match f {
        FrameFormat::MJPEG => Some(PixelFormat::Mjpeg),
        FrameFormat::YUYV => Some(PixelFormat::Yuyv),
        FrameFormat::NV12 => Some(PixelFormat::Nv12),
        _ => None,
    }
}

fn frame_format(f: PixelFormat) -> FrameFormat {
    match f {
        PixelFormat::Mjpeg => FrameFormat::MJPEG,
        PixelFormat::Yuyv => FrameFormat::YUYV,
        PixelFormat::Nv12 | PixelFormat::I420 => FrameFormat::NV12,
    }
}

/// The formats Tessera converts, best first for a live picture: uncompressed formats cost
/// nothing to decode, MJPEG reaches larger sizes over USB 2.
const FORMATS: [FrameFormat; 3] = [FrameFormat::YUYV, FrameFormat::NV12, FrameFormat::MJPEG];

fn error(id: &str, e: nokhwa::NokhwaError) -> DeviceError {
    let message = e.to_string();
    let lower = message.to_ascii_lowercase();
    if lower.contains("busy") {
        DeviceError::Busy(id.to_string())
    } else if lower.contains("no such file") || lower.contains("no such device") {
        DeviceError::Gone(id.to_string())
    } else {
        DeviceError::Failed { id: id.to_string(), message }
    }
}

/// The Video4Linux cameras of this machine by id and name, without opening them (cheap enough to
/// look every few seconds for hot-plug, and harmless to a camera that is capturing). No camera is
/// an empty list, not an error.
pub fn present() -> Vec<(String, String, u32)> {
    let found = match nokhwa::query(nokhwa::utils::ApiBackend::Video4Linux) {
        Ok(found) => found,
        Err(e) => {
            tracing::debug!(error = %e, "no cameras enumerated");
            return Vec::new();
        }
    };
    let by_path = by_path();
    found
        .into_iter()
        .filter_map(|c| match c.index() {
            CameraIndex::Index(i) => Some((id_of(*i, &by_path), c.human_name(), *i)),
            CameraIndex::String(_) => None,
        })
        .collect()
}

/// The Video4Linux cameras of this machine, each looked into (modes, controls); one in use by
/// another program says so in its `error`.
pub fn list() -> Vec<CameraInfo> {
    present()
        .into_iter()
        .map(|(id, name, index)| match V4lCamera::open_index(&id, index, None) {
            Ok(mut cam) => CameraInfo { modes: cam.modes(), controls: cam.controls(), id, name, error: None },
            Err(e) => CameraInfo { id, name, modes: Vec::new(), controls: Vec::new(), error: Some(e.to_string()) },
        })
        .collect()
}

/// udev's names of cameras by where they are plugged in (`/dev/v4l/by-path/…`), by node index.
fn by_path() -> Vec<(u32, String)> {
    let Ok(dir) = std::fs::read_dir("/dev/v4l/by-path") else { return Vec::new() };
    dir.filter_map(Result::ok)
        .filter_map(|e| {
            let target = std::fs::read_link(e.path()).ok()?;
            let node = target.file_name()?.to_str()?.strip_prefix("video")?.parse().ok()?;
            Some((node, e.file_name().to_str()?.to_string()))
        })
        .collect()
}

/// A camera's id: where it is plugged in, which survives restarts and the renumbering of
/// `/dev/video*` (`v4l:pci-0000:00:14.0-usb-0:1:1.0-video-index0`), else its node (`v4l:video0`).
fn id_of(index: u32, by_path: &[(u32, String)]) -> String {
    match by_path.iter().find(|(n, _)| *n == index) {
        Some((_, name)) => format!("v4l:{name}"),
        None => format!("v4l:video{index}"),
    }
}

/// A Video4Linux camera, opened through `nokhwa`.
pub struct V4lCamera {
    id: String,
    camera: nokhwa::Camera,
    streaming: bool,
}

impl V4lCamera {
    /// Opens the camera `id` (as [`present`] names it) in the mode closest to `wanted`.
    pub fn open(id: &str, wanted: Mode) -> Result<V4lCamera, DeviceError> {
        let (_, _, index) =
            present().into_iter().find(|(i, _, _)| i == id).ok_or_else(|| DeviceError::NotFound(id.to_string()))?;
        V4lCamera::open_index(id, index, Some(wanted))
    }

    fn open_index(id: &str, index: u32, wanted: Option<Mode>) -> Result<V4lCamera, DeviceError> {
        let requested = match wanted {
            Some(m) => RequestedFormatType::Closest(CameraFormat::new(
                Resolution::new(m.width, m.height),
                frame_format(m.format),
                m.fps,
            )),
            None => RequestedFormatType::None,
        };
        let camera = nokhwa::Camera::new(CameraIndex::Index(index), RequestedFormat::with_formats(requested, &FORMATS))
            .map_err(|e| error(id, e))?;
        Ok(V4lCamera { id: id.to_string(), camera, streaming: false })
    }

    /// The modes the camera offers in formats Tessera converts.
    pub fn modes(&mut self) -> Vec<Mode> {
        let mut modes: Vec<Mode> = self
            .camera
            .compatible_camera_formats()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|f| {
                Some(Mode {
                    format: pixel_format(f.format())?,
                    width: f.width(),
                    height: f.height(),
                    fps: f.frame_rate(),
                })
            })
            .collect();
        modes.sort_by_key(|m| (std::cmp::Reverse(m.width * m.height), std::cmp::Reverse(m.fps), m.format.as_str()));
        modes.dedup();
        modes
    }

    /// The mode the camera delivers now.
    pub fn mode(&self) -> Option<Mode> {
        let f = self.camera.camera_format();
        Some(Mode { format: pixel_format(f.format())?, width: f.width(), height: f.height(), fps: f.frame_rate() })
    }
}

impl FrameSource for V4lCamera {
    fn frame(&mut self) -> Result<RawFrame, DeviceError> {
        if !self.streaming {
            self.camera.open_stream().map_err(|e| error(&self.id, e))?;
            self.streaming = true;
        }
        let buffer = self.camera.frame().map_err(|e| error(&self.id, e))?;
        let format = pixel_format(buffer.source_frame_format()).ok_or_else(|| DeviceError::Unsupported {
            id: self.id.clone(),
            what: format!("deliver {} pictures Tessera can convert", buffer.source_frame_format()),
        })?;
        let r = buffer.resolution();
        Ok(RawFrame { format, width: r.width(), height: r.height(), data: buffer.buffer().to_vec() })
    }

    fn controls(&self) -> Vec<ControlRange> {
        Control::ALL
            .into_iter()
            .filter_map(|c| {
                let found = self.camera.camera_control(c.known()).ok()?;
                match *found.description() {
                    ControlValueDescription::IntegerRange { min, max, value, step, .. } => {
                        Some(ControlRange { control: c, min, max, step, value })
                    }
                    _ => None,
                }
            })
            .collect()
    }

    fn set_control(&mut self, control: Control, value: i64) -> Result<(), DeviceError> {
        let range =
            self.controls().into_iter().find(|r| r.control == control).ok_or_else(|| DeviceError::Unsupported {
                id: self.id.clone(),
                what: format!("{} (it has no such control)", control.as_str()),
            })?;
        if !range.admits(value) {
            return Err(DeviceError::Unsupported {
                id: self.id.clone(),
                what: format!("set {} to {value} (it takes {} to {})", control.as_str(), range.min, range.max),
            });
        }
        self.camera
            .set_camera_control(control.known(), ControlValueSetter::Integer(value))
            .map_err(|e| error(&self.id, e))
    }
}

impl Drop for V4lCamera {
    fn drop(&mut self) {
        if self.streaming {
            let _ = self.camera.stop_stream();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_without_cameras_answers_no_cameras() {
        // Build machines have no /dev/video*: the list is empty, and nothing panics. Where a
        // camera exists, each is listed under a v4l id.
        let cameras = list();
        if !std::path::Path::new("/dev/video0").exists() {
            assert_eq!(cameras, Vec::new());
        }
        assert!(cameras.iter().all(|c| c.id.starts_with("v4l:")), "{cameras:?}");
        assert!(present().is_empty() || std::path::Path::new("/dev/video0").exists());
        assert_eq!(
            id_of(2, &[(2, "pci-0000:00:14.0-usb-0:1:1.0-video-index0".into())]),
            "v4l:pci-0000:00:14.0-usb-0:1:1.0-video-index0"
        );
        assert_eq!(id_of(3, &[]), "v4l:video3");
        assert!(matches!(
            V4lCamera::open("v4l:video99", Mode { format: PixelFormat::Yuyv, width: 640, height: 480, fps: 30 }),
            Err(DeviceError::NotFound(id)) if id == "v4l:video99"
        ));
    }

    #[test]
    fn control_ranges_admit_only_their_steps() {
        let zoom = ControlRange { control: Control::Zoom, min: 100, max: 500, step: 10, value: 100 };
        assert!(zoom.admits(100) && zoom.admits(250) && zoom.admits(500));
        assert!(!zoom.admits(99) && !zoom.admits(255) && !zoom.admits(510));
        assert_eq!(Control::parse("tilt"), Some(Control::Tilt));
        assert_eq!(Control::parse("roll"), None);
    }
}
