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
