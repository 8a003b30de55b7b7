//! A local endpoint: a camera, a microphone and a loudspeaker attached to the server, taking part
//! in a conference as one participant ("Hall A"). Pictures are converted to I420 and left in the
//! participant's [`MediaSlot`] at most at the capture rate, on Tessera's own clock; the
//! microphone's samples go to the slot as the device delivers them (the engine takes 20 ms per
//! tick of its clock); the participant's own mix is played on the loudspeaker.
//!
//! A camera that vanishes leaves the slot empty (the layout shows the camera-off placeholder)
//! and is looked for again every second; both are told through `news`, which the conference
//! records in its connection history.

use super::echo::EchoCanceller;
use super::engine::Playback;
use super::slot::MediaSlot;
use gstreamer as gst;
use gstreamer_video as gst_video;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tessera_devices::DeviceError;
use tessera_devices::audio::{Microphone, Speaker};
use tessera_devices::camera::{Control, ControlRange, FrameSource};
use tessera_devices::convert::{I420, to_i420};

/// Opens a camera on the capture thread (a V4L2 handle stays on the thread that opened it).
pub type OpenCamera = Box<dyn Fn() -> Result<Box<dyn FrameSource>, DeviceError> + Send>;

/// Told of what happens to the devices (a camera vanished or returned), as a line for the
/// connection history.
pub type News = Arc<dyn Fn(String) + Send + Sync>;

/// What to attach: each device by id, and for the camera how to open it.
pub struct LocalSpec {
    /// The participant's name, for logs.
    pub name: String,
    pub camera: Option<(String, OpenCamera)>,
    pub microphone: Option<String>,
    pub speaker: Option<String>,
    /// Pictures a second at most.
    pub fps: u32,
    /// Take the loudspeaker's sound out of what the microphone hears (with both attached).
    pub echo_cancellation: bool,
}

/// An operator's request to a camera: a control and its value, answered on `reply`.
type ControlAsk = (Control, i64, mpsc::Sender<Result<(), String>>);

/// The running devices of one participant; dropping it stops them.
pub struct LocalEndpoint {
    _microphone: Option<Microphone>,
    _echo: Option<Arc<EchoCanceller>>,
    speaker: Option<Arc<Speaker>>,
    camera: Option<CameraThread>,
}

struct CameraThread {
    stop: Arc<AtomicBool>,
    asks: mpsc::Sender<ControlAsk>,
    controls: Arc<std::sync::Mutex<Vec<ControlRange>>>,
}

impl Drop for CameraThread {
    fn drop(&mut self) {
        // The thread ends after the frame it waits for (a camera's frame comes within its
        // frame time; a vanished one errs at once).
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Which device a failure was about, for the error the operator sees.
#[derive(Debug)]
pub struct Failed {
    pub field: &'static str,
    pub error: DeviceError,
}

impl LocalEndpoint {
    /// Opens every device named in `spec` (the camera's first picture is waited for), or none.
    pub fn start(spec: LocalSpec, slot: Arc<MediaSlot>, news: News) -> Result<LocalEndpoint, Failed> {
        let camera = match spec.camera {
            Some((id, open)) => Some(
                CameraThread::start(id, open, spec.fps, slot.clone(), news.clone())
                    .map_err(|error| Failed { field: "camera", error })?,
            ),
            None => None,
        };
        // With both a microphone and a loudspeaker, the microphone's samples reach the slot
        // through the echo canceller, whose reference is what the loudspeaker plays, told the
        // moment it goes to the device.
        let echo = match (&spec.speaker, &spec.microphone) {
            (Some(_), Some(_)) if spec.echo_cancellation => {
                let ec = EchoCanceller::start(&spec.name, slot.clone()).map_err(|e| Failed {
                    field: "microphone",
                    error: DeviceError::Failed { id: "echo canceller".into(), message: format!("{e:#}") },
                })?;
                Some(Arc::new(ec))
            }
            _ => None,
        };
        let speaker = match spec.speaker {
            Some(id) => {
                let told = news.clone();
                let owner = id.clone();
                let reference = echo.as_ref().map(Arc::downgrade);
                let s = Speaker::open_with(
                    &id,
                    move |e| told(format!("loudspeaker {owner}: {e}")),
                    move |played, ahead| {
                        if let Some(ec) = reference.as_ref().and_then(std::sync::Weak::upgrade) {
                            ec.far(played, ahead);
                        }
                    },
                )
                .map_err(|error| Failed { field: "speaker", error })?;
                Some(Arc::new(s))
            }
            None => None,
        };
        let microphone = match spec.microphone {
            Some(id) => {
                let into = slot.clone();
                let cancel = echo.clone();
                let told = news.clone();
                let owner = id.clone();
                let mic = Microphone::open(
                    &id,
                    move |s, ago| match &cancel {
                        Some(ec) => ec.near(s, ago),
                        None => into.put_audio(s.iter().copied()),
                    },
                    move |e| told(format!("microphone {owner}: {e}")),
                )
                .map_err(|error| Failed { field: "microphone", error })?;
                Some(mic)
            }
            None => None,
        };
        Ok(LocalEndpoint { _microphone: microphone, _echo: echo, speaker, camera })
    }

    /// Plays what it is given on the loudspeaker, if one is attached, while this endpoint lives
    /// (dropping the endpoint closes the loudspeaker at once, whoever still holds this).
    pub fn playback(&self) -> Option<Playback> {
        let s = Arc::downgrade(self.speaker.as_ref()?);
        Some(Box::new(move |samples: &[i16]| {
            if let Some(s) = s.upgrade() {
                s.play(samples);
            }
        }))
    }

    /// A handle for the camera's controls, if a camera is attached.
    pub fn camera_controls(&self) -> Option<CameraControls> {
        self.camera.as_ref().map(|c| CameraControls { asks: c.asks.clone(), controls: c.controls.clone() })
    }
}

/// Sets a local camera's controls from outside its capture thread.
#[derive(Clone)]
pub struct CameraControls {
    asks: mpsc::Sender<ControlAsk>,
    controls: Arc<std::sync::Mutex<Vec<ControlRange>>>,
}

impl CameraControls {
    /// The controls the camera has, and where they are.
    pub fn list(&self) -> Vec<ControlRange> {
        self.controls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sets a control (applied between two pictures); the camera's refusal as it says it.
    pub fn set(&self, control: Control, value: i64) -> Result<(), String> {
        let (reply, answer) = mpsc::channel();
        self.asks.send((control, value, reply)).map_err(|_| "the camera is not capturing".to_string())?;
        answer.recv_timeout(Duration::from_secs(3)).map_err(|_| "the camera did not answer".to_string())?
    }
}

impl CameraThread {
    fn start(
        id: String,
        open: OpenCamera,
        fps: u32,
        slot: Arc<MediaSlot>,
        news: News,
    ) -> Result<CameraThread, DeviceError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (asks, asked) = mpsc::channel::<ControlAsk>();
        let controls = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (first_tx, first_rx) = mpsc::channel::<Result<(), DeviceError>>();
        let (halt, known) = (stop.clone(), controls.clone());
        std::thread::Builder::new()
            .name(format!("camera {id}"))
            .spawn(move || capture(&id, &open, fps, &slot, &news, &halt, &asked, &known, first_tx))
            .map_err(|e| DeviceError::Failed { id: "camera".into(), message: e.to_string() })?;
        match first_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => Ok(CameraThread { stop, asks, controls }),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                stop.store(true, Ordering::Relaxed);
                Err(DeviceError::Failed { id: "camera".into(), message: "no picture within 10 s".into() })
            }
        }
    }
}

/// The capture loop: a picture at most every frame period of Tessera's clock, converted and left
/// in the slot; a vanished camera is looked for again every second.
#[allow(clippy::too_many_arguments)]
fn capture(
    id: &str,
    open: &OpenCamera,
    fps: u32,
    slot: &MediaSlot,
    news: &News,
    stop: &AtomicBool,
    asked: &mpsc::Receiver<ControlAsk>,
    known: &std::sync::Mutex<Vec<ControlRange>>,
    first: mpsc::Sender<Result<(), DeviceError>>,
) {
    let period = Duration::from_secs(1) / fps.max(1);
    let mut first = Some(first);
    let mut source: Option<Box<dyn FrameSource>> = None;
    let mut gone = false;
    let mut bad_reported = false;
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let Some(src) = source.as_mut() else {
            match open() {
                Ok(s) => {
                    *known.lock().unwrap_or_else(|p| p.into_inner()) = s.controls();
                    if std::mem::take(&mut gone) {
                        tracing::info!(camera = id, "the camera is back");
                        news(format!("camera {id} is back"));
                    }
                    source = Some(s);
                }
                Err(e) => {
                    if let Some(f) = first.take() {
                        let _ = f.send(Err(e));
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            continue;
        };
        while let Ok((control, value, reply)) = asked.try_recv() {
            let r = src.set_control(control, value).map_err(|e| e.to_string());
            if r.is_ok() {
                *known.lock().unwrap_or_else(|p| p.into_inner()) = src.controls();
            }
            let _ = reply.send(r);
        }
        match src.frame() {
            Ok(raw) => match to_i420(&raw) {
                Ok(picture) => {
                    slot.put_video_i420(picture);
                    if let Some(f) = first.take() {
                        let _ = f.send(Ok(()));
                    }
                }
                Err(e) if !bad_reported => {
                    bad_reported = true;
                    tracing::warn!(camera = id, error = %e, "a camera picture could not be converted");
                    news(format!("camera {id}: {e}"));
                }
                Err(_) => {}
            },
            Err(e) => {
                if let Some(f) = first.take() {
                    let _ = f.send(Err(e));
                    return;
                }
                source = None;
                slot.clear_video();
                if !gone {
                    gone = true;
                    tracing::warn!(camera = id, error = %e, "the camera went away");
                    news(format!("camera {id} went away: {e}"));
                }
                continue;
            }
        }
        // Paced by Tessera's clock, whatever rate the device delivers at.
        next += period;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
}

impl MediaSlot {
    /// Leaves a converted camera picture in the slot.
    pub fn put_video_i420(&self, p: I420) {
        let Ok(info) = gst_video::VideoInfo::builder(gst_video::VideoFormat::I420, p.width, p.height).build() else {
            return;
        };
        let (w, h) = (p.width as usize, p.height as usize);
        let packed = info.stride()[0] as usize == w
            && info.stride()[1] as usize == w / 2
            && info.offset()[1] == w * h
            && info.offset()[2] == w * h + w * h / 4;
        let data = if packed {
            p.data
        } else {
            // GStreamer's rows are 4-byte aligned: copy row by row into its layout.
            let mut out = vec![0u8; info.size()];
            for (plane, (pw, ph), src_off) in
                [(0, (w, h), 0), (1, (w / 2, h / 2), w * h), (2, (w / 2, h / 2), w * h + w * h / 4)]
            {
                let (stride, off) = (info.stride()[plane] as usize, info.offset()[plane]);
                for row in 0..ph {
                    out[off + row * stride..][..pw].copy_from_slice(&p.data[src_off + row * pw..][..pw]);
                }
            }
            out
        };
        self.put_video(gst::Buffer::from_mut_slice(data), &info);
    }
}

#[cfg(test)]
mod tests;
