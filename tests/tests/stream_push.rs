//! Live streaming to a platform: a conference pushed over RTMP to ffmpeg listening as an RTMP
//! server (what YouTube Live or nginx-rtmp is to the push), and over SRT to ffmpeg as an SRT
//! listener. The push is tried again until the platform is there, the stream key never reaches
//! the log, the CLI's output or the live state, and what arrives decodes: H.264 with the
//! conference's picture and AAC with its sound.

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tessera_e2e::free_port;
use tessera_e2e::live_api::{Api, BLUE, synthetic};
use tessera_e2e::media::assert_h264_aac_with_sound;

/// ffmpeg receiving `input` (a listening URL) for four seconds into `file`.
fn listener(input: &[&str], file: &Path) -> Child {
    Command::new("timeout")
        .args(["90", "ffmpeg", "-v", "error"])
        .args(input)
        .args(["-t", "4", "-c", "copy", "-y"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg")
}

async fn wait_for(api: &Api, conf: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        let (_, live) = api.get(&format!("/api/v1/conferences/{conf}/live")).await;
        if ok(&live["stream"]) {
            return live["stream"].clone();
        }
        last = live["stream"].clone();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: the stream's state stayed {last}");
}

/// What arrived: its codecs, and that its picture and sound decode.
fn check_received(mut ffmpeg: Child, file: &Path) {
    let status = ffmpeg.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(ffmpeg.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "the receiving ffmpeg failed: {err}");
    assert_h264_aac_with_sound(file, 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conference_is_streamed_to_an_rtmp_platform_and_over_srt() {
    let s = tessera_e2e::Server::start();
    s.admin_ok(&["conference", "add", "hall", "--name", "Hall", "--owner", "admin", "--room", "--public"], "");
    s.admin_ok(&["conference", "add", "srt", "--name", "SRT", "--owner", "admin", "--room", "--public"], "");

    // What is not a stream URL is refused, saying why, without echoing the key.
    for (bad, says) in [
        ("http://127.0.0.1/live/K3Y", "scheme \"http\""),
        ("rtmp://127.0.0.1/K3Y", "application and a stream key"),
        ("srt://127.0.0.1?passphrase=K3Y", "needs a port"),
    ] {
        let o = s.admin(&["conference", "media", "hall", "--stream", bad], "");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains("--stream") && err.contains(says), "{bad}: {err}");
        assert!(!err.contains("K3Y"), "{bad}: {err}");
    }

    // RTMP: the URL read from standard input (kept out of the process list), shown without key.
    let key = "s3cr3t-k3y-4242";
    let port = free_port();
    let url = format!("rtmp://127.0.0.1:{port}/live/{key}");
    let out = s.admin_ok(&["conference", "media", "hall", "--stream", "-"], &format!("{url}\n"));
    assert!(out.contains(&format!("stream rtmp://127.0.0.1:{port}/live/…")) && !out.contains(key), "{out}");

    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("hall", synthetic("Speaker", BLUE, 440)).await;
    // The platform is not there yet: the push fails and is tried again.
    let state = wait_for(&api, "hall", "the first attempt", |st| st["state"] == "retrying").await;
    assert_eq!(state["target"], format!("rtmp://127.0.0.1:{port}/live/…"), "{state}");
    assert!(!state.to_string().contains(key), "{state}");
    // The platform comes up: the next attempt reaches it, and the stream decodes.
    let file = s.dir.path().join("pushed.flv");
    let ffmpeg = listener(&["-listen", "1", "-i", &url], &file);
    wait_for(&api, "hall", "the platform listening", |st| st["state"] == "live").await;
    tokio::task::spawn_blocking({
        let file = file.clone();
        move || check_received(ffmpeg, &file)
    })
    .await
    .unwrap();
    api.ok("hall", json!({"action": "end"})).await;

    // SRT: a listener first (a media server waiting for its contribution feed), then the start.
    let port = free_port();
    let passphrase = "srt-passphrase-77";
    let url = format!("srt://127.0.0.1:{port}?passphrase={passphrase}");
    s.admin_ok(&["conference", "media", "srt", "--stream", &url], "");
    let file = s.dir.path().join("pushed.ts");
    let ffmpeg = listener(&["-i", &format!("{url}&mode=listener")], &file);
    std::thread::sleep(Duration::from_millis(500));
    api.ok("srt", synthetic("Speaker", BLUE, 440)).await;
    wait_for(&api, "srt", "the SRT listener", |st| st["state"] == "live").await;
    tokio::task::spawn_blocking({
        let file = file.clone();
        move || check_received(ffmpeg, &file)
    })
    .await
    .unwrap();
    api.ok("srt", json!({"action": "end"})).await;

    let log = s.log();
    assert!(log.contains("streaming to the platform"), "{log}");
    assert!(!log.contains(key) && !log.contains(passphrase), "a stream key reached the log:\n{log}");
}
