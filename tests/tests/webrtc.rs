//! Browsers join conferences over WebRTC: headless Chromium with a fake camera of a known colour,
//! in a network namespace this test creates (only loopback) together with the server. The
//! browser scenario (`browser/webrtc.mjs`) joins a private room that has two synthetic
//! participants, a webinar as a named guest, and a PIN-protected webinar; the test checks what
//! it found, and the RTSP frame it grabbed: the browser's colour in a window of the layout.

use tessera_e2e::media::Picture;
use tessera_e2e::netns::{Netns, browser_server_env};
use tessera_e2e::{admin_with, free_port, run_browser_in};

const W: usize = 320;
const H: usize = 180;

fn admin(env: &[(String, String)], args: &[&str], stdin: &str) {
    let o = admin_with(env, args, stdin);
    assert!(o.status.success(), "tessera admin {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// A `.y4m` of one colour for Chromium's fake camera.
fn camera_file(dir: &std::path::Path, colour: &str) -> std::path::PathBuf {
    let path = dir.join("camera.y4m");
    let st = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", &format!("color=c={colour}:s=320x240:r=15"), "-t", "2"])
        .args(["-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .expect("ffmpeg is missing: apt-get install ffmpeg (scripts/test.sh does)");
    assert!(st.success(), "ffmpeg made no y4m");
    path
}

#[test]
fn browsers_join_over_webrtc() {
    let ns = Netns::new(&format!("tessera-wr-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (http, rtsp) = (free_port(), free_port());
    let env = browser_server_env(dir.path(), http, rtsp, &format!("{W}x{H}"));
    admin(&env, &["user", "add", "alice"], "alice-password\n");
    admin(&env, &["user", "add", "bob"], "bob-password\n");
    admin(&env, &["license", "grant", "alice", "--days", "1"], "");
    admin(&env, &["rights", "grant", "alice", "screen_sharing", "recording"], "");
    admin(&env, &["conference", "add", "team", "--name", "Team room", "--owner", "alice", "--room"], "");
    admin(
        &env,
        &["conference", "add", "webinar", "--name", "Open webinar", "--owner", "alice", "--room", "--public"],
        "",
    );
    admin(
        &env,
        &[
            "conference",
            "add",
            "pinned",
            "--name",
            "PIN webinar",
            "--owner",
            "alice",
            "--room",
            "--public",
            "--pin",
            "4321",
        ],
        "",
    );
    admin(&env, &["conference", "add", "bobs", "--name", "Bob's private room", "--owner", "bob", "--room"], "");

    let log_path = dir.path().join("server.log");
    let _server = ns.serve_ready(&env, &log_path);
    let server_log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    // Magenta: no synthetic participant and no background has it.
    let y4m = camera_file(dir.path(), "0xFF00FF");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let base = format!("http://127.0.0.1:{http}");
    let rtsp_url = format!("rtsp://127.0.0.1:{rtsp}/team");
    let stdout = run_browser_in(
        Some(&ns),
        "webrtc",
        &[
            ("BASE", &base),
            ("RTSP", &rtsp_url),
            ("LOGIN", "alice"),
            ("PASSWORD", "alice-password"),
            ("CONF", "team"),
            ("WEBINAR", "webinar"),
            ("PINCONF", "pinned"),
            ("PIN", "4321"),
            ("PRIVATE", "bobs"),
            ("Y4M", y4m.to_str().unwrap()),
            ("OUT", out.to_str().unwrap()),
        ],
    );
    let line = stdout.lines().last().unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", server_log()));
    eprintln!("{r:#}");

    // The owner's page decoded the room's VP8 picture and received its Opus mix.
    assert_eq!(r["title"], "Team room");
    let owner = &r["owner"];
    assert!(owner["framesDecoded"].as_u64().unwrap_or(0) >= 30, "{owner}");
    assert_eq!(owner["codec"], "video/VP8", "{owner}");
    assert!(owner["audioPackets"].as_u64().unwrap_or(0) > 20, "{owner}");
    // The roster: two synthetic participants and the browser, in the WebRTC group.
    let roster = r["roster"].as_array().expect("roster");
    assert_eq!(roster.len(), 3, "{roster:?}");
    let me = roster.iter().find(|p| p["kind"] == "webrtc").expect("a webrtc participant");
    assert_eq!(me["group"], "web_rtc", "{me}");
    assert_eq!(me["name"], "alice", "{me}");

    // RTSP shows the browser's magenta in one of the three windows.
    let rgb = std::fs::read(out.join("conference.rgb")).expect("grabbed frame");
    let pic = Picture { width: W, height: H, rgb };
    if let Ok(keep) = std::env::var("TESSERA_SCREENSHOTS") {
        pic.save_png(&std::path::Path::new(&keep).join("webrtc-rtsp.png"));
        let _ = std::fs::copy(out.join("conference-page.png"), std::path::Path::new(&keep).join("webrtc-page.png"));
    }
    let magenta: Vec<(usize, usize)> = (0..H)
        .step_by(2)
        .flat_map(|y| (0..W).step_by(2).map(move |x| (x, y)))
        .filter(|&(x, y)| pic.near(x, y, (255, 0, 255), 60))
        .collect();
    assert!(magenta.len() > 400, "the browser's colour is not in the layout ({} samples)", magenta.len());
    // Its name is written in the bar under the picture, at the window's left.
    let (x0, x1) = (magenta.iter().map(|p| p.0).min().unwrap(), magenta.iter().map(|p| p.0).max().unwrap());
    let y1 = magenta.iter().map(|p| p.1).max().unwrap();
    let bar = (y1 + 1).min(H - 1);
    let left = x0.saturating_sub(24);
    let label = pic.white_pixels(left, bar, x1 - left, (H - bar).min(14));
    assert!(label > 10, "no name under the browser's picture ({label} white pixels)");

    // The manager chose another microphone and a speaker for the browser; the page switched.
    assert!(r["microphones"].as_array().unwrap().len() >= 2, "{}", r["microphones"]);
    assert_eq!(r["devices_after"]["microphone"], r["chosen"]["microphone"], "{r}");
    assert_eq!(r["devices_after"]["speaker"], r["chosen"]["speaker"], "{r}");
    assert_ne!(r["devices_before"]["microphone"], r["devices_after"]["microphone"], "{r}");
    assert!(r["devices_notice"].as_str().unwrap().contains("changed your devices"), "{}", r["devices_notice"]);
    assert_eq!(r["synthetic_devices"][0], 409, "{}", r["synthetic_devices"]);
    assert!(r["synthetic_devices"][1].as_str().unwrap().contains("SIP and H.323"), "{}", r["synthetic_devices"]);

    // The shared screen took the content slot: the browser's window shrank beside it.
    let (before, during) = (r["magenta_before_share"].as_u64().unwrap(), r["magenta_while_sharing"].as_u64().unwrap());
    assert!(during > 0 && during < before / 2, "magenta samples {before} before sharing, {during} while sharing");
    assert_eq!(r["share_connected"], true);
    assert_eq!(r["screen_name"], "alice (screen)");
    if let Ok(keep) = std::env::var("TESSERA_SCREENSHOTS") {
        let rgb = std::fs::read(out.join("shared.rgb")).unwrap();
        Picture { width: W, height: H, rgb }.save_png(&std::path::Path::new(&keep).join("webrtc-shared.png"));
    }

    // Recording in the client: a WebM of what alice's page received (the room's VP8 picture and
    // Opus sound) that ffmpeg decodes; a guest, without the right, has no Record button.
    assert_eq!(r["record_pressed"], "true");
    let name = r["client_recording"].as_str().unwrap();
    assert!(name.starts_with("tessera-team-") && name.ends_with(".webm"), "{name}");
    let webm = out.join("client-recording.webm");
    let probe = |stream: &str| {
        let o = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-count_frames", "-select_streams", stream])
            .args(["-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0"])
            .arg(&webm)
            .output()
            .expect("ffprobe");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let video = probe("v:0");
    let frames: u64 = video.rsplit(',').next().unwrap_or("0").parse().unwrap_or(0);
    assert!(video.starts_with("vp8,") && frames >= 20, "the client recording's video: {video:?}");
    assert!(probe("a:0").starts_with("opus,"), "the client recording's sound: {:?}", probe("a:0"));
    assert_eq!(r["guest_record_buttons"], 0);

    // Muting through the control interface silenced the mix, and the page said so.
    assert_eq!(r["me_encrypted"], true, "a browser's media is shown as encrypted");
    assert!(r["media_security"].as_str().unwrap().contains("encrypted"), "{}", r["media_security"]);
    let (before, after) = (r["volume_before"].as_f64().unwrap(), r["volume_after"].as_f64().unwrap());
    // Chromium's fake microphone beeps at about -20 dB mean; -60 dB only says it is there.
    // Muted, the mix carries no source at all and decodes as digital silence (-91 dB measured);
    // -85 dB leaves room for the codec's own noise. The -74 dB once seen under load was a window
    // that began before the mute reached the mixer: the measurement now starts after the
    // roster shows the microphone off, and skips what the RTSP server had queued.
    eprintln!("webrtc: the mix at {before} dB before the mute, {after} dB after");
    assert!(before > -60.0, "the browser's sound is in the mix: {before} dB (expected above -60 dB)");
    assert!(after < -85.0, "muted, the mix is silent: {after} dB (expected below -85 dB)");
    assert!(r["notice"].as_str().unwrap_or_default().contains("microphone"), "{}", r["notice"]);
    assert_eq!(r["mic_pressed"], "false");

    // Chat, kept as written (the page showed it as text, not markup).
    assert_eq!(r["chat"], serde_json::json!(["alice: Hello <b>everyone</b>"]));

    // The guest joined the webinar under the name they gave; the PIN and privacy held.
    assert!(r["guest"]["framesDecoded"].as_u64().unwrap_or(0) >= 10, "{}", r["guest"]);
    assert_eq!(r["webinar_roster"], serde_json::json!(["Guest Gabriela"]));
    assert_eq!(r["pin_invalid"], "true");
    assert_eq!(r["private_status"], 404);
    assert!(!r["private_text"].as_str().unwrap_or_default().contains("Bob"), "{}", r["private_text"]);
    assert_eq!(r["private_ws"], "closed 1006");
    assert_eq!(r["left"], true);

    let log = server_log();
    assert!(log.contains("WebRTC: browser joined") && log.contains("WebRTC: browser left"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}
