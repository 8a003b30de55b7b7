//! The media plane without the web: synthetic participants → engine → shared encoder → RTSP,
//! checked with ffprobe and a frame grabbed by ffmpeg.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tessera::media::{self, engine, rtsp::RtspServer, slot::MediaSlot, synthetic::Synthetic};
use tessera_mixer::frame::Yuv;
use tessera_mixer::layout::{Layout, LayoutType, NamePosition};

#[test]
fn synthetic_conference_over_rtsp() {
    media::init().unwrap();
    let server = RtspServer::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let (etx, _erx) = tokio::sync::mpsc::unbounded_channel();
    let settings = engine::EngineSettings {
        encoder: media::encoder::EncoderSettings {
            width: 640,
            height: 360,
            fps: 30,
            video_kbps: 1500,
            audio_bps: 64000,
        },
        background: Yuv::from_rgb(0, 0, 0),
    };
    let (_thread, streams) = engine::spawn("t1".into(), settings, rx, etx).unwrap();
    let colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)];
    for (i, c) in colours.iter().enumerate() {
        let slot = Arc::new(MediaSlot::default());
        let s = Synthetic::start(&format!("p{i}"), *c, 440, (640, 360), slot.clone()).unwrap();
        tx.send(engine::EngineCmd::Add { id: i as u64 + 1, name: format!("P{i}"), slot, keep: Box::new(s) }).unwrap();
    }
    tx.send(engine::EngineCmd::Layout(Layout {
        kind: LayoutType::Grid,
        windows: 4,
        name_position: NamePosition::Bottom,
        ..Layout::default()
    }))
    .unwrap();
    server.mount("t1", streams);
    std::thread::sleep(Duration::from_millis(500));
    let url = format!("rtsp://127.0.0.1:{}/t1", server.port);
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-rtsp_transport", "tcp", "-show_streams", "-of", "compact", &url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ffprobe: {}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("codec_name=h264") && text.contains("width=640"), "{text}");
    assert!(text.contains("codec_name=opus"), "{text}");
}

/// An output created while the conference runs gets video only (each endpoint gets its own audio
/// mix): its idle audio branch must not hold the pipeline back, and late timestamps are fine.
#[test]
fn an_encoder_started_late_with_video_only_encodes() {
    media::init().unwrap();
    for start_s in [0u64, 4] {
        let settings =
            media::encoder::EncoderSettings { width: 320, height: 180, fps: 30, video_kbps: 500, audio_bps: 32000 };
        let enc = media::encoder::Encoder::start("late", &settings, media::rtp_input::VideoCodec::H264).unwrap();
        let canvas = tessera_mixer::frame::Frame::new(320, 180, Yuv::from_rgb(10, 200, 10)).unwrap();
        let period = gstreamer::ClockTime::from_nseconds(33_333_333);
        for n in 0..30u64 {
            enc.push_video(&canvas, gstreamer::ClockTime::from_seconds(start_s) + period * n, period);
            std::thread::sleep(Duration::from_millis(33));
        }
        let samples = enc.video.samples.load(std::sync::atomic::Ordering::Relaxed);
        assert!(samples > 20, "encoder starting at {start_s} s produced {samples} samples");
    }
}

/// A receiver that arrives after the last one left (an RTSP client, a recording) hears the mix
/// from its arrival on, never a blip of what was said before: the encoder is flushed with silence
/// when its audio loses its last receiver.
#[test]
fn a_late_receiver_does_not_hear_the_past() {
    use gstreamer::prelude::*;
    media::init().unwrap();
    let settings =
        media::encoder::EncoderSettings { width: 320, height: 180, fps: 30, video_kbps: 500, audio_bps: 32000 };
    let enc = media::encoder::Encoder::start("late audio", &settings, media::rtp_input::VideoCodec::H264).unwrap();
    let frame = |n: u64, hz: f64| -> Vec<i16> {
        (0..960u64)
            .map(|i| {
                let t = (n * 960 + i) as f64 / 48_000.0;
                (12_000.0 * (std::f64::consts::TAU * hz * t).sin()) as i16
            })
            .collect()
    };
    let pts = |n: u64| gstreamer::ClockTime::from_mseconds(n * 20);
    // Waits until the encoder has put out `count` packets in all.
    let drained = |count: u64| {
        for _ in 0..500 {
            if enc.audio.samples.load(std::sync::atomic::Ordering::Relaxed) >= count {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "the encoder put out {} packets of {count}",
            enc.audio.samples.load(std::sync::atomic::Ordering::Relaxed)
        );
    };
    // A receiver hears a tone, then leaves; the tone goes on, heard by nobody.
    let first = receiver();
    let id = enc.audio.subscribe(first.0.clone(), media::fanout::Timing::Live, false);
    for n in 0..25 {
        enc.push_mix(&frame(n, 1000.0), pts(n));
    }
    drained(24);
    enc.audio.unsubscribe(id);
    for n in 25..50 {
        enc.push_mix(&frame(n, 1000.0), pts(n));
    }
    // 25 frames of tone and 3 of silence in, 27 packets out (Opus holds a frame's end back).
    drained(27);
    std::thread::sleep(Duration::from_millis(100));
    let encoded = enc.audio.samples.load(std::sync::atomic::Ordering::Relaxed);
    assert!(encoded <= 28, "nobody receives the mix, yet {encoded} packets were encoded");
    // The next receiver arrives while the conference is silent: silence is all it hears.
    let late = receiver();
    enc.audio.subscribe(late.0.clone(), media::fanout::Timing::Live, false);
    for n in 50..60 {
        enc.push_mix(&vec![0; 960], pts(n));
    }
    drained(encoded + 10);
    let heard = late.1.collect(Duration::from_millis(500));
    assert!(heard.len() >= 4800, "the late receiver got {} samples", heard.len());
    let peak = heard.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(peak < 100, "the late receiver hears the past: peak {peak} in its first {} samples", heard.len());
    first.2.set_state(gstreamer::State::Null).unwrap();
    late.2.set_state(gstreamer::State::Null).unwrap();
}

/// Decodes Opus from an `appsrc` to S16 samples.
fn receiver() -> (gstreamer_app::AppSrc, Decoded, gstreamer::Pipeline) {
    use gstreamer::prelude::*;
    let pipeline = gstreamer::parse::launch(
        "appsrc name=src is-live=true format=time do-timestamp=true ! opusdec ! audioconvert \
         ! audio/x-raw,format=S16LE,channels=1 ! appsink name=out sync=false",
    )
    .unwrap()
    .downcast::<gstreamer::Pipeline>()
    .unwrap();
    let src = pipeline.by_name("src").unwrap().downcast::<gstreamer_app::AppSrc>().unwrap();
    let out = pipeline.by_name("out").unwrap().downcast::<gstreamer_app::AppSink>().unwrap();
    pipeline.set_state(gstreamer::State::Playing).unwrap();
    (src, Decoded(out), pipeline)
}

struct Decoded(gstreamer_app::AppSink);

impl Decoded {
    /// Every sample decoded, waiting up to `quiet` for each next buffer.
    fn collect(&self, quiet: Duration) -> Vec<i16> {
        let mut all = Vec::new();
        while let Some(sample) = self.0.try_pull_sample(gstreamer::ClockTime::from_nseconds(quiet.as_nanos() as u64)) {
            let Some(buffer) = sample.buffer() else { continue };
            let map = buffer.map_readable().unwrap();
            all.extend(map.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
        }
        all
    }
}
