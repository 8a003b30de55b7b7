//! The layers above [`FrameSource`], with a camera of the test's own: build machines have no
//! `/dev/video*`.

use super::*;
use std::sync::Mutex;
use tessera_devices::convert::{PixelFormat, RawFrame};

/// A camera showing one colour (YUYV Y 81, U 90, V 240: red), which the test can unplug, with a
/// zoom control (100 to 500 in steps of 10).
struct TestCamera {
    unplugged: Arc<AtomicBool>,
    frames: Arc<std::sync::atomic::AtomicU64>,
    zoom: i64,
}

impl FrameSource for TestCamera {
    fn frame(&mut self) -> Result<RawFrame, DeviceError> {
        if self.unplugged.load(Ordering::Relaxed) {
            return Err(DeviceError::Gone("test:camera".into()));
        }
        self.frames.fetch_add(1, Ordering::Relaxed);
        Ok(RawFrame { format: PixelFormat::Yuyv, width: 64, height: 32, data: [81, 90, 81, 240].repeat(64 * 32 / 2) })
    }

    fn controls(&self) -> Vec<ControlRange> {
        vec![ControlRange { control: Control::Zoom, min: 100, max: 500, step: 10, value: self.zoom }]
    }

    fn set_control(&mut self, control: Control, value: i64) -> Result<(), DeviceError> {
        match self.controls().into_iter().find(|r| r.control == control) {
            Some(r) if r.admits(value) => {
                self.zoom = value;
                Ok(())
            }
            Some(_) => Err(DeviceError::Unsupported { id: "test:camera".into(), what: format!("zoom to {value}") }),
            None => Err(DeviceError::Unsupported { id: "test:camera".into(), what: control.as_str().into() }),
        }
    }
}

struct Rig {
    slot: Arc<MediaSlot>,
    unplugged: Arc<AtomicBool>,
    frames: Arc<std::sync::atomic::AtomicU64>,
    news: Arc<Mutex<Vec<String>>>,
    endpoint: LocalEndpoint,
}

fn rig(fps: u32) -> Rig {
    gst::init().unwrap();
    let (unplugged, frames) = (Arc::new(AtomicBool::new(false)), Arc::new(std::sync::atomic::AtomicU64::new(0)));
    let (u, f) = (unplugged.clone(), frames.clone());
    let open: OpenCamera = Box::new(move || {
        if u.load(Ordering::Relaxed) {
            return Err(DeviceError::NotFound("test:camera".into()));
        }
        Ok(Box::new(TestCamera { unplugged: u.clone(), frames: f.clone(), zoom: 100 }) as Box<dyn FrameSource>)
    });
    let slot = Arc::new(MediaSlot::default());
    let news = Arc::new(Mutex::new(Vec::new()));
    let told = news.clone();
    let spec = LocalSpec {
        camera: Some(("test:camera".into(), open)),
        microphone: None,
        speaker: None,
        fps,
        name: "Test".into(),
        echo_cancellation: true,
    };
    let endpoint = LocalEndpoint::start(spec, slot.clone(), Arc::new(move |n| told.lock().unwrap().push(n)))
        .map_err(|f| f.error)
        .unwrap();
    Rig { slot, unplugged, frames, news, endpoint }
}

fn until(what: &str, f: impl Fn() -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < end, "not within 10 s: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn pictures_reach_the_slot_as_i420_in_their_colours() {
    let r = rig(30);
    let v = r.slot.latest_video().expect("the first picture is there once start returns");
    assert_eq!((v.width, v.height), (64, 32));
    let map = v.buffer.map_readable().unwrap();
    assert_eq!(map[v.offsets[0]], 81);
    assert_eq!(map[v.offsets[1] + v.strides[1] * 3 + 5], 90);
    assert_eq!(map[v.offsets[2] + v.strides[2] * 15 + 31], 240);
}

#[test]
fn a_camera_that_vanishes_shows_the_placeholder_and_resumes_when_it_returns() {
    let r = rig(30);
    r.unplugged.store(true, Ordering::Relaxed);
    until("the picture is gone", || r.slot.latest_video().is_none());
    until("the history hears it", || r.news.lock().unwrap().iter().any(|n| n.contains("went away")));
    r.unplugged.store(false, Ordering::Relaxed);
    until("the picture is back", || r.slot.latest_video().is_some());
    assert!(r.news.lock().unwrap().iter().any(|n| n == "camera test:camera is back"), "{:?}", r.news);
}

#[test]
fn controls_are_set_between_pictures_and_refused_when_absent_or_out_of_range() {
    let r = rig(30);
    let c = r.endpoint.camera_controls().unwrap();
    c.set(Control::Zoom, 200).unwrap();
    assert_eq!(c.list()[0].value, 200);
    assert!(c.set(Control::Zoom, 205).unwrap_err().contains("zoom to 205"));
    assert!(c.set(Control::Pan, 1).unwrap_err().contains("pan"));
    assert_eq!(c.list()[0].value, 200);
}

#[test]
fn a_camera_that_delivers_at_once_is_paced_by_the_capture_rate() {
    // The test camera returns pictures as fast as they are asked for; at 10 a second, half a
    // second takes about 5 (an upper bound only: a busy machine takes fewer).
    let r = rig(10);
    let before = r.frames.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(500));
    let taken = r.frames.load(Ordering::Relaxed) - before;
    assert!(taken <= 8, "{taken} pictures in 500 ms at 10 a second");
}

#[test]
fn a_camera_that_cannot_be_opened_is_refused_naming_it() {
    gst::init().unwrap();
    let open: OpenCamera = Box::new(|| Err(DeviceError::Busy("v4l:usb-1".into())));
    let spec = LocalSpec {
        camera: Some(("v4l:usb-1".into(), open)),
        microphone: None,
        speaker: None,
        fps: 30,
        name: "Test".into(),
        echo_cancellation: true,
    };
    let f = LocalEndpoint::start(spec, Arc::new(MediaSlot::default()), Arc::new(|_| {})).err().unwrap();
    assert_eq!(f.field, "camera");
    assert_eq!(f.error.to_string(), "v4l:usb-1 is in use by another program");
}

#[test]
fn odd_strides_are_laid_out_as_gstreamer_expects() {
    gst::init().unwrap();
    // 6 pixels wide: GStreamer's rows are 8 (Y) and 4 (U, V) bytes apart.
    let slot = MediaSlot::default();
    let (w, h) = (6usize, 2usize);
    let mut data = vec![0u8; w * h * 3 / 2];
    for (i, b) in data.iter_mut().enumerate() {
        *b = i as u8;
    }
    slot.put_video_i420(I420 { width: w as u32, height: h as u32, data });
    let v = slot.latest_video().unwrap();
    let map = v.buffer.map_readable().unwrap();
    assert_eq!((v.strides[0], v.strides[1]), (8, 4));
    assert_eq!(&map[v.offsets[0] + v.strides[0]..][..w], &[6, 7, 8, 9, 10, 11]);
    assert_eq!(&map[v.offsets[1]..][..3], &[12, 13, 14]);
    assert_eq!(&map[v.offsets[2]..][..3], &[15, 16, 17]);
}
