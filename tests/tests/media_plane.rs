//! The media plane end to end, against the real binary: synthetic participants composed,
//! encoded once and watched over RTSP with ffprobe/ffmpeg; layouts, mute and recording applied
//! through the live API; `kill -9` during a recording; multicast into a network namespace.

use serde_json::json;
use std::time::{Duration, Instant};
use tessera_e2e::live_api::{Api, BLUE, GREEN, RED, YELLOW, synthetic};
use tessera_e2e::media::{decode_file, grab, mean_volume, probe_streams};
use tessera_e2e::{KillOnDrop, Server, eventually};

/// These scenarios each run a real-time conference and decode its output; on a two-core CI
/// machine they run one at a time so that none of them starves the others.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const W: usize = 640;
const H: usize = 360;

fn on_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> tokio::task::JoinHandle<T> {
    tokio::task::spawn_blocking(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_synthetic_participants_over_rtsp_with_layouts_mute_and_recording() {
    let _serial = SERIAL.lock().await;
    let s = Server::start();
    s.add_user("eve", "eve-password");
    s.add_user("pat", "pat-password");
    s.admin_ok(&["conference", "add", "r1", "--name", "Room one", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "invite", "r1", "pat"], "");
    s.admin_ok(&["conference", "media", "r1", "--record", "true"], "");
    let api = Api::new(&s, "admin", "admin-password").await;

    // Not running yet: the status says so, control requests are refused.
    let (st, v) = api.get("/api/v1/conferences/r1/live").await;
    assert_eq!((st, v["running"].clone()), (200, json!(false)), "{v}");
    let (st, _) = api.live("r1", json!({"action": "remove", "participant": 1})).await;
    assert_eq!(st, 409);

    // Joining a virtual room starts it. Only the red participant makes a sound.
    api.ok("r1", synthetic("Red", RED, 440)).await;
    api.ok("r1", synthetic("Green", GREEN, 0)).await;
    api.ok("r1", synthetic("Blue", BLUE, 0)).await;
    let live = api.ok("r1", synthetic("Yellow", YELLOW, 0)).await;
    assert_eq!(live["participants"].as_array().unwrap().len(), 4, "{live}");
    let url = live["rtsp_url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("rtsp://127.0.0.1:{}/r1", s.rtsp_port));

    // Bad requests: a clear error naming the field, nothing changes.
    for (body, field) in [
        (json!({"action": "add_synthetic", "name": "", "colour": [1, 2, 3], "tone_hz": 0}), "name"),
        (json!({"action": "add_synthetic", "name": "x", "colour": [1, 2, 3], "tone_hz": 5}), "tone_hz"),
        (json!({"action": "device", "participant": 1, "gain": 9.5}), "gain"),
        (json!({"action": "device", "participant": 99, "camera": false}), "participant"),
        (json!({"action": "apply_layout", "scope": "all", "layout": {"windows": 0}}), "layout"),
        (json!({"action": "preview", "layout": {"windows": 26}}), "layout"),
    ] {
        let (st, v) = api.live("r1", body.clone()).await;
        assert_eq!((st, v["field"].as_str()), (422, Some(field)), "{body}: {v}");
    }
    let (st, v) = api.live("r1", json!({"action": "fly"})).await;
    assert_eq!(st, 422, "{v}");
    // A scope the API does not know is refused with the forms it takes.
    let (st, v) =
        api.live("r1", json!({"action": "apply_layout", "scope": "everyone", "layout": {"windows": 4}})).await;
    assert_eq!(st, 422, "{v}");
    assert!(v["error"].as_str().unwrap_or("").contains(r#"{"group": "webrtc"}"#), "{v}");

    // ffprobe sees H.264 of the configured size and Opus; its arrival asks the shared encoder for
    // a keyframe (so it starts decoding at once).
    let keyframes = || async {
        let text = reqwest::get(s.metrics.clone()).await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("tessera_media_keyframe_requests_total "))
            .map_or(0.0, |v| v.trim().parse::<f64>().unwrap())
    };
    let before = keyframes().await;
    let u = url.clone();
    let streams = on_blocking(move || probe_streams(&u)).await.unwrap();
    let after = keyframes().await;
    assert!(after > before, "a new RTSP client did not reach the encoder ({before} -> {after})");
    assert!(streams.contains("codec_name=h264") && streams.contains("width=640"), "{streams}");
    assert!(streams.contains("codec_name=opus"), "{streams}");

    // A client joining while another watches shares the flowing media: its PLAY asks for a
    // keyframe too (the first client's arrival asked twice: preparing the media, then PLAY).
    let c0 = keyframes().await;
    let _watcher = KillOnDrop(
        std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-rtsp_transport", "tcp", "-i", &url, "-t", "30", "-f", "null", "-"])
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("ffmpeg"),
    );
    eventually("the watcher's media prepared and played", || async { keyframes().await >= c0 + 2.0 }).await;
    let before = keyframes().await;
    let u = url.clone();
    on_blocking(move || probe_streams(&u)).await.unwrap();
    let after = keyframes().await;
    assert!(after > before, "a client joining a flowing media asked for no keyframe ({before} -> {after})");
    drop(_watcher);

    // Grid 2x2 with names at the bottom: each colour in its window, a label in each window's
    // lower band and none across its middle.
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    pic.save_png(&s.dir.path().join("grid.png"));
    for (i, (x, y, c)) in
        [(160, 90, RED), (480, 90, GREEN), (160, 270, BLUE), (480, 270, YELLOW)].into_iter().enumerate()
    {
        assert!(pic.near(x, y, c, 40), "window {i} at ({x},{y}) is {:?}, expected {c:?}", pic.at(x, y));
        let (x0, y0) = (x - 150, y - 88);
        assert!(pic.white_pixels(x0 + 4, y0 + 140, 200, 36) > 20, "no name label at the bottom of window {i}");
        assert_eq!(pic.white_pixels(x0 + 4, y0 + 60, 290, 40), 0, "text across the middle of window {i}");
    }

    // Another layout: picture in picture, names at the top. The first participant fills the canvas.
    // Two operators edit from the same version: the first applies, the second is refused (409)
    // and nothing of theirs lands; the last applied layout is the one everyone sees.
    let (_, now) = api.get("/api/v1/conferences/r1/live").await;
    let version = now["layout_version"].as_u64().unwrap();
    let layout = json!({"kind": "picture_in_picture", "windows": 4, "name_position": "top"});
    let applied =
        api.ok("r1", json!({"action": "apply_layout", "scope": "all", "layout": layout, "version": version})).await;
    assert_eq!(applied["layout_version"].as_u64(), Some(version + 1), "{applied}");
    let stale = json!({"kind": "row", "windows": 3});
    let (st, v) =
        api.live("r1", json!({"action": "apply_layout", "scope": "all", "layout": stale, "version": version})).await;
    assert_eq!(st, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("reload"), "{v}");
    let (_, now) = api.get("/api/v1/conferences/r1/live").await;
    assert_eq!(now["layouts"]["all"]["kind"], "picture_in_picture", "{now}");
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    pic.save_png(&s.dir.path().join("pip.png"));
    assert!(
        pic.near(100, 120, RED, 40) && pic.near(480, 60, RED, 40),
        "PiP: {:?} {:?}",
        pic.at(100, 120),
        pic.at(480, 60)
    );
    assert!(pic.white_pixels(4, 2, 200, 40) > 20, "no name at the top of the large window");
    let (_, status) = api.get("/api/v1/conferences/r1/live").await;
    assert_eq!(status["layouts"]["all"]["kind"], "picture_in_picture");

    // Muting the only participant with a tone silences the RTSP audio.
    let u = url.clone();
    let loud = on_blocking(move || mean_volume(&u, 2)).await.unwrap();
    assert!(loud > -40.0, "the tone should be audible: {loud} dB");
    api.ok("r1", json!({"action": "device", "participant": 1, "microphone": false})).await;
    let u = url.clone();
    let quiet = on_blocking(move || mean_volume(&u, 2)).await.unwrap();
    assert!(quiet < -70.0, "muted: {quiet} dB (was {loud} dB)");

    // Who may do what: a stranger does not see the conference; a participant watches, not controls.
    let eve = Api::new(&s, "eve", "eve-password").await;
    assert_eq!(eve.get("/api/v1/conferences/r1/live").await.0, 404);
    assert_eq!(eve.live("r1", json!({"action": "end"})).await.0, 404);
    let pat = Api::new(&s, "pat", "pat-password").await;
    assert_eq!(pat.get("/api/v1/conferences/r1/live").await.0, 200);
    assert_eq!(pat.live("r1", json!({"action": "end"})).await.0, 403);
    assert_eq!(pat.get("/api/v1/conferences/r1/events").await.0, 403);
    assert_eq!(api.get("/api/v1/conferences/r1/multicast.sdp").await.0, 409);

    // End: the recording is finished and indexed, with the duration it ran (the steps above took
    // more than five seconds; the pause only adds margin, and load can only lengthen it).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let v = api.ok("r1", json!({"action": "end"})).await;
    assert_eq!(v["running"], false);
    let (_, recs) = api.get("/api/v1/conferences/r1/recordings").await;
    let rec = &recs.as_array().unwrap()[0];
    assert_eq!(rec["state"], "complete", "{recs}");
    assert_eq!(rec["format"], "mp4");
    let duration_s = rec["duration_ms"].as_i64().unwrap() as f64 / 1000.0;
    assert!(duration_s > 5.0, "{rec}");
    let path = s.data_dir().join("recordings").join(rec["file_name"].as_str().unwrap());
    assert_eq!(std::fs::metadata(&path).unwrap().len() as i64, rec["size_bytes"].as_i64().unwrap());
    let original = std::fs::read(&path).unwrap();
    let (frames, decoded_s) = on_blocking(move || decode_file(&path)).await.unwrap();
    assert!((decoded_s - duration_s).abs() < 1.5, "recorded {decoded_s:.2} s of video in {duration_s:.2} s");
    assert!(frames as f64 > duration_s * 30.0 * 0.8, "{frames} frames in {duration_s:.2} s");

    // The owner downloads it: whole, and in two ranges that join to the same bytes; a
    // participant of the conference gets 404 as if there were none.
    let file_url = format!("{}/api/v1/conferences/r1/recordings/{}", api.base, rec["id"]);
    let whole = api.c.get(&file_url).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    let cd = whole.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(cd.starts_with("attachment; filename=\"r1-") && cd.contains(".mp4"), "{cd}");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), &original[..]);
    let half = original.len() / 2;
    let first = api.c.get(&file_url).header("range", format!("bytes=0-{}", half - 1)).send().await.unwrap();
    assert_eq!(first.status(), 206);
    let rest = api.c.get(&file_url).header("range", format!("bytes={half}-")).send().await.unwrap();
    assert_eq!(rest.status(), 206);
    let joined = [first.bytes().await.unwrap().to_vec(), rest.bytes().await.unwrap().to_vec()].concat();
    assert!(joined == original, "the two ranges do not join to the recording");
    let downloaded = s.dir.path().join("downloaded.mp4");
    std::fs::write(&downloaded, &joined).unwrap();
    let (frames_again, _) = on_blocking(move || decode_file(&downloaded)).await.unwrap();
    assert_eq!(frames_again, frames);
    assert_eq!(pat.c.get(&file_url).send().await.unwrap().status(), 404);
    // The room's card links it for the owner, not for a participant.
    let card = |who: &Api| who.c.get(format!("{}/rooms?selected=r1", who.base)).send();
    let href = format!("href=\"/api/v1/conferences/r1/recordings/{}\"", rec["id"]);
    let owner_card = card(&api).await.unwrap().text().await.unwrap();
    assert!(owner_card.contains("id=\"card-download\"") && owner_card.contains(&href), "{owner_card}");
    assert!(!card(&pat).await.unwrap().text().await.unwrap().contains("card-download"));
    let beyond = api.c.get(&file_url).header("range", format!("bytes={}-", original.len() + 10)).send().await.unwrap();
    assert_eq!(beyond.status(), 416);

    // The connection history has it all.
    let (_, events) = api.get("/api/v1/conferences/r1/events").await;
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in ["started", "joined", "layout", "device", "recording_started", "recording_stopped", "left", "ended"] {
        assert!(kinds.contains(&k), "no {k} event in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "joined").count(), 4);

    // Deleting it (owner only) removes the file and its entry.
    let r = pat.c.delete(&file_url).header("x-csrf-token", &pat.csrf).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = api.c.delete(&file_url).header("x-csrf-token", &api.csrf).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (_, recs) = api.get("/api/v1/conferences/r1/recordings").await;
    assert_eq!(recs, json!([]));
    assert!(!s.data_dir().join("recordings").join(rec["file_name"].as_str().unwrap()).exists());
    assert_eq!(api.c.get(&file_url).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_recording_leaves_a_playable_file_marked_interrupted() {
    let _serial = SERIAL.lock().await;
    let mut s = Server::start();
    s.admin_ok(&["conference", "add", "k1", "--name", "Crash", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "media", "k1", "--record", "true"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("k1", synthetic("Solo", GREEN, 300)).await;
    // Wait until four seconds of the recording decode, however slowly a busy machine encodes;
    // after the crash at least that much must still decode (fragments already written survive).
    let dir = s.data_dir().join("recordings/k1");
    let deadline = Instant::now() + Duration::from_secs(60);
    let (file, before_s) = loop {
        let file = std::fs::read_dir(&dir).ok().and_then(|mut d| d.next()).and_then(|e| e.ok()).map(|e| e.path());
        let decoded = match file.clone() {
            Some(f) => on_blocking(move || tessera_e2e::media::try_decode_file(&f)).await.unwrap(),
            None => Err(format!("no recording file in {}", dir.display())),
        };
        match (file, decoded) {
            (Some(file), Ok((_, d))) if d >= 4.0 => break (file, d),
            (_, last) => {
                assert!(Instant::now() < deadline, "the recording did not reach 4 s within 60 s: {last:?}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    s.kill9();

    let f = file.clone();
    let (frames, decoded_s) = on_blocking(move || decode_file(&f)).await.unwrap();
    assert!(
        decoded_s >= before_s,
        "{decoded_s:.2} s decodable after the crash, {before_s:.2} s before ({frames} frames)"
    );

    s.restart();
    let api = Api::new(&s, "admin", "admin-password").await;
    let (_, recs) = api.get("/api/v1/conferences/k1/recordings").await;
    let rec = &recs.as_array().unwrap()[0];
    assert_eq!(rec["state"], "interrupted", "{recs}");
    assert!(rec["size_bytes"].as_i64().unwrap() > 10_000, "{rec}");
    assert!(s.log().contains("recording interrupted by an earlier crash"));

    // A clean stop (SIGTERM, as systemd does) ends the conference and finishes its recording.
    api.ok("k1", synthetic("Solo", GREEN, 300)).await;
    tessera_e2e::eventually("the second recording runs", || async {
        let (_, recs) = api.get("/api/v1/conferences/k1/recordings").await;
        recs.as_array().is_some_and(|r| r.len() == 2)
    })
    .await;
    assert!(s.stop().success(), "{}", s.log());
    s.restart();
    let api = Api::new(&s, "admin", "admin-password").await;
    let (_, recs) = api.get("/api/v1/conferences/k1/recordings").await;
    assert_eq!(recs.as_array().unwrap().len(), 2, "{recs}");
    assert_eq!(recs[1]["state"], "complete", "{recs}");
    let (_, events) = api.get("/api/v1/conferences/k1/events").await;
    assert!(
        events.as_array().unwrap().iter().any(|e| e["kind"] == "ended" && e["detail"] == "the server is stopping"),
        "{events}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_recording_not_the_conference() {
    let _serial = SERIAL.lock().await;
    // A 24 KiB tmpfs fills within seconds of recording (solid colours compress well).
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let st = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=24k", "tmpfs", mnt.to_str().unwrap()])
        .status()
        .expect("mount is missing");
    assert!(st.success(), "mounting a tmpfs needs root (CI runs as root)");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let s = Server::start_with(&[], &[("TESSERA_RECORDINGS_DIR", mnt.to_str().unwrap())]);
    s.admin_ok(&["conference", "add", "d1", "--name", "Disk", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "media", "d1", "--record", "true"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("d1", synthetic("Busy", BLUE, 500)).await;
    eventually("the recording fails", || async {
        let (_, events) = api.get("/api/v1/conferences/d1/events").await;
        events.as_array().unwrap().iter().any(|e| e["kind"] == "recording_failed")
    })
    .await;
    let (_, recs) = api.get("/api/v1/conferences/d1/recordings").await;
    assert_eq!(recs[0]["state"], "failed", "{recs}");
    assert!(s.log().contains("recording failed"), "{}", s.log());
    let (_, live) = api.get("/api/v1/conferences/d1/live").await;
    assert_eq!(live["running"], true);
    let url = live["rtsp_url"].as_str().unwrap().to_string();
    let streams = on_blocking(move || probe_streams(&url)).await.unwrap();
    assert!(streams.contains("codec_name=h264"), "{streams}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rtp_participant_is_composed_and_malformed_packets_are_dropped() {
    let _serial = SERIAL.lock().await;
    let s = Server::start();
    s.admin_ok(&["conference", "add", "q1", "--name", "RTP", "--owner", "admin", "--room"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("q1", synthetic("Red", RED, 0)).await;
    for (body, field) in [
        (json!({"action": "add_rtp", "name": "x", "video": "h263"}), "video"),
        (json!({"action": "add_rtp", "name": "x", "audio": "gsm"}), "audio"),
        (json!({"action": "add_rtp", "name": "x"}), "video"),
    ] {
        let (st, v) = api.live("q1", body.clone()).await;
        assert_eq!((st, v["field"].as_str()), (422, Some(field)), "{body}: {v}");
    }
    let live = api.ok("q1", json!({"action": "add_rtp", "name": "Desk phone", "video": "h264", "audio": "pcmu"})).await;
    let p = &live["participants"][1];
    assert_eq!(p["kind"], "rtp");
    let vport = p["rtp_ports"]["video"].as_u64().unwrap().to_string();
    let aport = p["rtp_ports"]["audio"].as_u64().unwrap().to_string();

    // A real sender: GStreamer's own H.264 and PCMU payloaders, as a SIP phone would send.
    let cyan = (32, 192, 192);
    let sender = std::process::Command::new("gst-launch-1.0")
        .args([
            "-q",
            "videotestsrc",
            "is-live=true",
            "pattern=solid-color",
            "foreground-color=0xff20c0c0",
            "!",
            "video/x-raw,width=320,height=240,framerate=15/1",
            "!",
            "x264enc",
            "tune=zerolatency",
            "key-int-max=15",
            "!",
            "rtph264pay",
            "pt=96",
            "config-interval=-1",
            "!",
            "udpsink",
            "host=127.0.0.1",
            &format!("port={vport}"),
            "audiotestsrc",
            "is-live=true",
            "freq=700",
            "volume=0.5",
            "!",
            "audio/x-raw,rate=8000,channels=1",
            "!",
            "mulawenc",
            "!",
            "rtppcmupay",
            "!",
            "udpsink",
            "host=127.0.0.1",
            &format!("port={aport}"),
        ])
        .spawn()
        .expect("gst-launch-1.0 is missing: apt-get install gstreamer1.0-tools");
    let _sender = KillOnDrop(sender);
    let url = live["rtsp_url"].as_str().unwrap().to_string();
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 45)).await.unwrap();
    pic.save_png(&s.dir.path().join("rtp.png"));
    // Two participants: the default grid shows them side by side, each in half the canvas.
    assert!(pic.near(160, 180, RED, 40), "window 0: {:?}", pic.at(160, 180));
    assert!(pic.near(480, 180, cyan, 40), "the RTP participant's window: {:?}", pic.at(480, 180));
    let u = url.clone();
    let level = on_blocking(move || mean_volume(&u, 2)).await.unwrap();
    assert!(level > -40.0, "the phone's tone should be heard: {level} dB");

    // Garbage, truncated headers and another codec's payload type: dropped, logged, harmless.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut x: u32 = 12345;
    for i in 0..300u32 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let len = (x % 1400) as usize;
        let mut pkt: Vec<u8> = (0..len).map(|k| (x.rotate_left(k as u32 % 32) & 0xff) as u8).collect();
        if i % 3 == 0 && len >= 12 {
            pkt[0] = 0x80;
            pkt[1] = 100; // VP8's payload type on the H.264 port: a codec change mid-stream
        }
        let port = if i % 2 == 0 { &vport } else { &aport };
        sock.send_to(&pkt, format!("127.0.0.1:{port}")).unwrap();
    }
    eventually("malformed packets logged", || async {
        let log = s.log();
        log.contains("malformed RTP packet dropped") && log.contains("payload type not negotiated")
    })
    .await;
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 30)).await.unwrap();
    assert!(
        pic.near(160, 180, RED, 40) && pic.near(480, 180, cyan, 40),
        "after garbage: {:?} {:?}",
        pic.at(160, 180),
        pic.at(480, 180)
    );
    let (_, status) = api.get("/api/v1/conferences/q1/live").await;
    assert_eq!(status["running"], true);
    assert_eq!(status["participants"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_decide_who_is_seen_and_heard_and_devices_start_off_when_configured() {
    let _serial = SERIAL.lock().await;
    let s = Server::start();
    s.admin_ok(&["conference", "add", "rb", "--name", "Panel", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "media", "rb", "--mode", "role_based", "--active-speakers", "1"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("rb", synthetic("Red", RED, 440)).await;
    let live = api.ok("rb", synthetic("Green", GREEN, 0)).await;
    let url = live["rtsp_url"].as_str().unwrap().to_string();
    // The form before 0.2 is still read, for one release.
    let one = json!({"action": "apply_layout", "scope": {"scope": "all"}, "layout": {"windows": 1}});
    api.ok("rb", one).await;

    // Nobody on the podium: nothing seen, nothing heard.
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    assert!(
        !pic.near(320, 150, RED, 60) && !pic.near(320, 150, GREEN, 60),
        "empty podium shows {:?}",
        pic.at(320, 150)
    );
    let u = url.clone();
    let level = on_blocking(move || mean_volume(&u, 2)).await.unwrap();
    assert!(level < -70.0, "empty podium is heard: {level} dB");

    // The moderator puts Red on the podium: Red is seen and heard. The podium holds one.
    api.ok("rb", json!({"action": "podium", "participant": 1, "on": true})).await;
    let (st, v) = api.live("rb", json!({"action": "podium", "participant": 2, "on": true})).await;
    assert_eq!(st, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("podium is full"), "{v}");
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    assert!(pic.near(320, 150, RED, 40), "podium: {:?}", pic.at(320, 150));
    let u = url.clone();
    let level = on_blocking(move || mean_volume(&u, 2)).await.unwrap();
    assert!(level > -40.0, "the speaker on the podium is not heard: {level} dB");
    let (_, status) = api.get("/api/v1/conferences/rb/live").await;
    assert_eq!(status["podium"], json!([1]));
    assert_eq!(api.live("rb", json!({"action": "presenter", "participant": 1})).await.0, 409);
    api.ok("rb", json!({"action": "end"})).await;

    // "Turn cameras and microphones off on join": a newcomer starts with both off.
    s.admin_ok(&["conference", "media", "rb", "--mode", "all_on_screen", "--cameras-off-on-join", "true"], "");
    s.admin_ok(&["conference", "media", "rb", "--microphones-off-on-join", "true"], "");
    let live = api.ok("rb", synthetic("Red", RED, 440)).await;
    assert_eq!(
        (live["participants"][0]["camera"].clone(), live["participants"][0]["microphone"].clone()),
        (json!(false), json!(false))
    );
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    pic.save_png(&s.dir.path().join("camera-off.png"));
    assert!(!pic.near(160, 90, RED, 60), "camera off on join still shows the picture: {:?}", pic.at(160, 90));
    let u = url.clone();
    let level = on_blocking(move || mean_volume(&u, 2)).await.unwrap();
    assert!(level < -70.0, "microphone off on join is heard: {level} dB");
    // The operator turns them on.
    api.ok("rb", json!({"action": "device", "participant": 1, "camera": true, "microphone": true})).await;
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    assert!(pic.near(160, 90, RED, 40), "camera on: {:?}", pic.at(160, 90));
    api.ok("rb", json!({"action": "end"})).await;

    // Video lecture: the outputs show the presenter (the first to join until one is chosen).
    s.admin_ok(&["conference", "media", "rb", "--mode", "video_lecture", "--cameras-off-on-join", "false"], "");
    s.admin_ok(&["conference", "media", "rb", "--microphones-off-on-join", "false"], "");
    api.ok("rb", synthetic("Red", RED, 0)).await;
    api.ok("rb", synthetic("Green", GREEN, 0)).await;
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    assert!(
        pic.near(160, 90, RED, 40) && !pic.near(480, 90, GREEN, 60),
        "lecture: {:?} {:?}",
        pic.at(160, 90),
        pic.at(480, 90)
    );
    api.ok("rb", json!({"action": "presenter", "participant": 2})).await;
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    assert!(pic.near(160, 90, GREEN, 40), "new presenter: {:?}", pic.at(160, 90));
    let layout = json!({"action": "apply_layout", "scope": "all", "layout": {"windows": 2}});
    assert_eq!(api.live("rb", layout).await.0, 409, "layouts are not available in video lecture");
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn gst(args: &str) -> KillOnDrop {
    KillOnDrop(
        std::process::Command::new("gst-launch-1.0")
            .args(args.split_whitespace())
            .spawn()
            .expect("gst-launch-1.0 is missing: apt-get install gstreamer1.0-tools"),
    )
}

fn wait_exit(mut p: KillOnDrop, secs: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Ok(Some(st)) = p.0.try_wait() {
            return st.success();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtp_endpoints_receive_their_groups_layout_from_one_shared_encoder_and_a_mix_without_themselves() {
    let _serial = SERIAL.lock().await;
    let s = Server::start();
    s.admin_ok(&["conference", "add", "e1", "--name", "Endpoints", "--owner", "admin", "--room"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("e1", synthetic("Red", RED, 0)).await;
    let live = api.ok("e1", synthetic("Green", GREEN, 0)).await;
    let url = live["rtsp_url"].as_str().unwrap().to_string();
    // SIP/H.323 endpoints see only Green; the layout for all stays the 2x2 grid.
    let group = json!({"windows": 1, "slots": [{"kind": "participant", "participant": 2}]});
    api.ok("e1", json!({"action": "apply_layout", "scope": {"group": "sip_h323"}, "layout": group})).await;

    let dir = s.dir.path().to_path_buf();
    let (vp, ap) = (free_udp_port(), free_udp_port());
    let video_rx = gst(&format!(
        "-q udpsrc port={vp} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96 \
         ! rtpjitterbuffer ! rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=RGB \
         ! identity eos-after=45 ! multifilesink location={}/rx%03d.rgb max-files=1",
        dir.display()
    ));
    let audio_rx = gst(&format!(
        "-q udpsrc port={ap} caps=application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0 \
         ! rtpjitterbuffer ! rtppcmudepay ! mulawdec ! identity eos-after=100 ! wavenc ! filesink location={}/rx.wav",
        dir.display()
    ));
    let body = json!({"action": "add_rtp", "name": "Room system", "video": "h264", "audio": "pcmu",
        "video_to": format!("127.0.0.1:{vp}"), "audio_to": format!("127.0.0.1:{ap}")});
    let live = api.ok("e1", body).await;
    let p = &live["participants"][2];
    let (ivp, iap) = (p["rtp_ports"]["video"].as_u64().unwrap(), p["rtp_ports"]["audio"].as_u64().unwrap());
    // The endpoint talks (a 700 Hz tone) and shows cyan.
    let _sender = gst(&format!(
        "-q videotestsrc is-live=true pattern=solid-color foreground-color=0xff20c0c0 ! video/x-raw,width=320,height=240,framerate=15/1 \
         ! x264enc tune=zerolatency key-int-max=15 ! rtph264pay pt=96 config-interval=-1 ! udpsink host=127.0.0.1 port={ivp} \
         audiotestsrc is-live=true freq=700 volume=0.5 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay \
         ! udpsink host=127.0.0.1 port={iap}"
    ));
    let (v_ok, a_ok) = on_blocking(move || (wait_exit(video_rx, 40), wait_exit(audio_rx, 40))).await.unwrap();
    assert!(v_ok && a_ok, "the endpoint's receivers did not finish (video {v_ok}, audio {a_ok}): {}", s.log());

    // Its picture is its group's layout: Green alone.
    let frame = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with("rx") && p.extension().is_some_and(|e| e == "rgb")
        })
        .expect("a received frame");
    let pic = tessera_e2e::media::Picture { width: W, height: H, rgb: std::fs::read(&frame).unwrap() };
    assert!(pic.near(320, 150, GREEN, 40), "the endpoint sees {:?}, expected Green alone", pic.at(320, 150));
    // RTSP still shows the grid for all, with the endpoint in it.
    let u = url.clone();
    let grid = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    assert!(grid.near(160, 90, RED, 40), "RTSP window 0: {:?}", grid.at(160, 90));
    assert!(grid.near(160, 270, (32, 192, 192), 40), "RTSP window 2 (the endpoint): {:?}", grid.at(160, 270));

    // The endpoint never hears itself; the full mix (RTSP) has its voice.
    let wav = dir.join("rx.wav");
    let own = on_blocking(move || tessera_e2e::media::mean_volume_of_file(&wav)).await.unwrap();
    assert!(own < -70.0, "the endpoint hears itself: {own} dB");
    let u = url.clone();
    let full = on_blocking(move || mean_volume(&u, 2)).await.unwrap();
    assert!(full > -40.0, "the full mix lacks the endpoint's voice: {full} dB");

    // Two outputs (the grid for all, Green for the group); a second endpoint of the same group
    // shares the group's encoder.
    let encoders = || async {
        let text = reqwest::get(s.metrics.clone()).await.unwrap().text().await.unwrap();
        text.lines().find_map(|l| l.strip_prefix("tessera_media_encoders ")).map(|v| v.trim().parse::<f64>().unwrap())
    };
    assert_eq!(encoders().await, Some(2.0));
    let (vp2, ap2) = (free_udp_port(), free_udp_port());
    let video2 = std::net::UdpSocket::bind(("127.0.0.1", vp2)).unwrap();
    video2.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = json!({"action": "add_rtp", "name": "Desk phone", "video": "h264", "audio": "pcma",
        "video_to": format!("127.0.0.1:{vp2}"), "audio_to": format!("127.0.0.1:{ap2}")});
    api.ok("e1", body).await;
    // Once its video flows, its output is in place: count the encoders then.
    let got = on_blocking(move || video2.recv(&mut [0u8; 2048])).await.unwrap();
    assert!(got.is_ok(), "the second endpoint received no video within 20 s: {got:?}");
    assert_eq!(encoders().await, Some(2.0), "a second viewer of the same layout must not add an encoder");
    let (st, v) =
        api.live("e1", json!({"action": "add_rtp", "name": "x", "video": "h264", "video_to": "nowhere"})).await;
    assert_eq!((st, v["field"].as_str()), (422, Some("video_to")), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtp_participants_in_every_negotiable_codec_are_seen_and_heard() {
    let _serial = SERIAL.lock().await;
    let s = Server::start();
    s.admin_ok(&["conference", "add", "cx", "--name", "Codecs", "--owner", "admin", "--room"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    // (name, video codec, audio codec, colour, video sender chain, audio sender chain)
    let cases = [
        (
            "VP8 Opus",
            Some("vp8"),
            "opus",
            Some((230, 120, 30)),
            "vp8enc deadline=1 ! rtpvp8pay pt=97",
            "opusenc ! rtpopuspay pt=111",
        ),
        (
            "H264 PCMA",
            Some("h264"),
            "pcma",
            Some((150, 40, 200)),
            "x264enc tune=zerolatency key-int-max=15 ! rtph264pay pt=96 config-interval=-1",
            "audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay",
        ),
        ("G722 only", None, "g722", None, "", "audio/x-raw,rate=16000,channels=1 ! avenc_g722 ! rtpg722pay"),
    ];
    let mut senders = Vec::new();
    let mut url = String::new();
    for (name, video, audio, colour, vchain, achain) in cases {
        let live = api.ok("cx", json!({"action": "add_rtp", "name": name, "video": video, "audio": audio})).await;
        url = live["rtsp_url"].as_str().unwrap().to_string();
        let p = live["participants"].as_array().unwrap().last().unwrap().clone();
        let mut launch = format!(
            "-q audiotestsrc is-live=true freq=600 volume=0.5 ! {achain} ! udpsink host=127.0.0.1 port={}",
            p["rtp_ports"]["audio"]
        );
        if let Some((r, g, b)) = colour {
            launch += &format!(
                " videotestsrc is-live=true pattern=solid-color foreground-color=0xff{r:02x}{g:02x}{b:02x} \
                 ! video/x-raw,width=320,height=240,framerate=15/1 ! {vchain} ! udpsink host=127.0.0.1 port={}",
                p["rtp_ports"]["video"]
            );
        }
        senders.push(gst(&launch));
    }
    let u = url.clone();
    let pic = on_blocking(move || grab(&u, W, H, 45)).await.unwrap();
    pic.save_png(&s.dir.path().join("codecs.png"));
    assert!(pic.near(160, 90, (230, 120, 30), 45), "VP8 window: {:?}", pic.at(160, 90));
    assert!(pic.near(480, 90, (150, 40, 200), 45), "H.264 window: {:?}", pic.at(480, 90));
    // Each audio codec on its own: the other two muted.
    for who in 1..=3u64 {
        for other in 1..=3u64 {
            api.ok("cx", json!({"action": "device", "participant": other, "microphone": other == who})).await;
        }
        let u = url.clone();
        let level = on_blocking(move || mean_volume(&u, 2)).await.unwrap();
        assert!(level > -40.0, "participant {who} ({}) is not heard: {level} dB", cases[who as usize - 1].0);
    }
    drop(senders);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_video_lecture_the_presenter_sees_everyone_and_the_others_see_the_presenter() {
    let _serial = SERIAL.lock().await;
    let s = Server::start();
    s.admin_ok(&["conference", "add", "vl", "--name", "Lecture", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "media", "vl", "--mode", "video_lecture"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    let dir = s.dir.path().to_path_buf();
    let vp = free_udp_port();
    let rx = gst(&format!(
        "-q udpsrc port={vp} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96 \
         ! rtpjitterbuffer ! rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=RGB \
         ! identity eos-after=45 ! multifilesink location={}/lecturer%03d.rgb max-files=1",
        dir.display()
    ));
    // The first to join presents: an endpoint that receives video.
    let body = json!({"action": "add_rtp", "name": "Lecturer", "video": "h264", "video_to": format!("127.0.0.1:{vp}")});
    let live = api.ok("vl", body).await;
    let url = live["rtsp_url"].as_str().unwrap().to_string();
    api.ok("vl", synthetic("Red", RED, 0)).await;
    api.ok("vl", synthetic("Green", GREEN, 0)).await;
    assert!(on_blocking(move || wait_exit(rx, 40)).await.unwrap(), "the presenter received no video: {}", s.log());
    let frame = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("lecturer"))
        .expect("a received frame");
    let pic = tessera_e2e::media::Picture { width: W, height: H, rgb: std::fs::read(&frame).unwrap() };
    assert!(
        pic.near(480, 90, RED, 40) && pic.near(160, 270, GREEN, 40),
        "the presenter sees {:?} {:?}",
        pic.at(480, 90),
        pic.at(160, 270)
    );
    // The audience (RTSP) sees the presenter only.
    let u = url.clone();
    let audience = on_blocking(move || grab(&u, W, H, 20)).await.unwrap();
    assert!(
        !audience.near(480, 90, RED, 60) && !audience.near(160, 270, GREEN, 60),
        "the audience sees {:?} {:?}",
        audience.at(480, 90),
        audience.at(160, 270)
    );
}

/// Symmetric RTP: an endpoint's picture and mix come from the ports its own media goes to, so a
/// NAT or firewall that lets its media out lets Tessera's back in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_is_sent_from_the_ports_it_is_received_on() {
    let _serial = SERIAL.lock().await;
    let s = Server::start();
    s.admin_ok(&["conference", "add", "sym", "--name", "Symmetric", "--owner", "admin", "--room"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("sym", synthetic("Red", RED, 440)).await;
    let video = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let audio = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let body = json!({"action": "add_rtp", "name": "Behind a NAT", "video": "h264", "audio": "pcmu",
        "video_to": video.local_addr().unwrap().to_string(), "audio_to": audio.local_addr().unwrap().to_string()});
    let live = api.ok("sym", body).await;
    let me = live["participants"].as_array().unwrap().iter().find(|p| p["name"] == "Behind a NAT").unwrap().clone();
    let source = |sock: std::net::UdpSocket| {
        sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 2048];
        sock.recv_from(&mut buf).map(|(_, from)| from.port()).expect("a packet from Tessera")
    };
    let (v, a) = on_blocking(move || (source(video), source(audio))).await.unwrap();
    assert_eq!(u64::from(v), me["rtp_ports"]["video"].as_u64().unwrap(), "video comes from the video port");
    assert_eq!(u64::from(a), me["rtp_ports"]["audio"].as_u64().unwrap(), "audio comes from the audio port");
}
