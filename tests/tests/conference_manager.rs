//! The conference manager in headless Chromium (`browser/manager.mjs`) against a running room
//! of synthetic participants and a baresip room system that the manager adds (the server calls
//! it at its SIP address): a 2x2 layout with names at the bottom and
//! windows chosen and swapped by dragging, seen in a frame grabbed from RTSP; a rename changes
//! the label; muting the only sound (baresip's tone) silences the mix; cameras off for two at once; the roster
//! follows joins and leaves; a stale layout from a second operator is refused and the last
//! applied one wins; out-of-range windows are refused; removing baresip ends its call; End
//! ends the conference; a participant without rights is refused by the page and the API.

use std::process::{Command, Stdio};
use tessera_e2e::{KillOnDrop, Server, baresip_config};

const W: usize = 640;
const H: usize = 360;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_run_a_meeting_from_the_manager() {
    // Dial-out refuses loopback by default; these callees run on this machine.
    let s = Server::start_with(&[], &[("TESSERA_DIAL_OUT_ALLOWED_NETWORKS", "127.0.0.0/8")]);
    s.add_user("alice", "alice-password");
    s.add_user("dave", "dave-password");
    s.admin_ok(&["rights", "grant", "alice", "make_calls"], "");
    s.admin_ok(&["conference", "add", "ops", "--name", "Ops review", "--owner", "alice", "--room", "--public"], "");
    s.admin_ok(&["conference", "invite", "ops", "dave"], "");
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    for (name, colour, tone) in [
        ("Red", [230, 30, 30], 0),
        ("Green", [30, 200, 30], 0),
        ("Blue", [30, 30, 230], 0),
        ("Yellow", [230, 230, 30], 0),
    ] {
        let r = alice
            .post(format!("{}/api/v1/conferences/ops/live", s.base))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"action": "add_synthetic", "name": name, "colour": colour, "tone_hz": tone}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
    // A room system (baresip) that answers calls by itself: the manager adds it, the server calls it.
    let bdir = tempfile::tempdir().unwrap();
    let bport = baresip_config(bdir.path(), "");
    std::fs::write(
        bdir.path().join("accounts"),
        "\"Room system\" <sip:room@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU;video_codecs=H264\n",
    )
    .unwrap();
    let log = std::fs::File::create(bdir.path().join("out.txt")).unwrap();
    let baresip = Command::new("baresip")
        .args(["-f", bdir.path().to_str().unwrap(), "-t", "120"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("baresip is missing: apt-get install baresip-core baresip-ffmpeg (scripts/test.sh does)");
    let _baresip = KillOnDrop(baresip);
    let room_system = format!("sip:room@127.0.0.1:{bport}");

    let out = tempfile::tempdir().unwrap();
    let keep = std::env::var("TESSERA_SCREENSHOTS").ok();
    let out_dir = keep.clone().unwrap_or_else(|| out.path().display().to_string());
    let rtsp = format!("rtsp://127.0.0.1:{}/ops", s.rtsp_port);
    let (w, h) = (W.to_string(), H.to_string());
    let base = s.base.clone();
    let stdout = tokio::task::spawn_blocking(move || {
        tessera_e2e::run_browser(
            "manager",
            &[
                ("BASE", &base),
                ("RTSP", &rtsp),
                ("W", &w),
                ("H", &h),
                ("CONF", "ops"),
                ("ROOM_SYSTEM", &room_system),
                ("LOGIN", "alice"),
                ("PASSWORD", "alice-password"),
                ("OTHER", "dave"),
                ("OTHER_PASSWORD", "dave-password"),
                ("OUT", &out_dir),
            ],
        )
    })
    .await
    .unwrap();
    let line = stdout.lines().last().unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    eprintln!("{r:#}");
    assert_eq!(r["ok"], true, "{}\n{}", r["error"].as_str().unwrap_or_default(), s.log());

    assert_eq!(r["page_errors"], serde_json::json!([]), "no script errors on the page");
    assert_eq!((r["other_page"].as_u64(), r["other_api"].as_u64()), (Some(403), Some(403)), "{r}");
    assert_eq!(r["name"], "Ops review");
    assert!(r["bad_address"].as_str().unwrap().contains("H.323"), "{}", r["bad_address"]);
    // The server called the room system: the list of calls went from calling to joined.
    assert!(
        r["calls"].as_array().unwrap().iter().any(|c| c["name"] == "Room system" && c["kind"] == "joined"),
        "{}",
        r["calls"]
    );
    assert!(r["rtsp"].as_str().unwrap().starts_with("rtsp://"), "{}", r["rtsp"]);
    // Dragging window 1 onto window 2 swapped Blue and Red.
    let slots: Vec<&str> = r["slots_before_apply"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(slots.len(), 4);
    assert_eq!(r["keyboard_swaps"], true, "windows are swapped and enlarged from the keyboard too");
    let near = |v: &serde_json::Value, c: [i64; 3]| {
        let p: Vec<i64> = v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
        p.iter().zip(c).all(|(a, b)| (a - b).abs() < 60)
    };
    let g = &r["grid"];
    assert!(near(&g["tl"], [230, 30, 30]), "top left is Red: {g}");
    assert!(near(&g["tr"], [30, 30, 230]), "top right is Blue: {g}");
    assert!(near(&g["bl"], [30, 200, 30]), "bottom left is Green: {g}");
    assert!(near(&g["br"], [230, 230, 30]), "bottom right is Yellow: {g}");
    let (before, after) = (r["label_before"].as_u64().unwrap(), r["label_after"].as_u64().unwrap());
    assert!(before > 20, "a name label at the bottom of Red's window: {before}");
    assert!(after > before + before / 3, "the longer name fills more of the label: {before} -> {after}");
    assert_eq!(
        r["typed_through_a_redraw"], "Rosalind Redfern-Montgomery",
        "a roster redraw keeps the name being typed"
    );
    assert_eq!(r["room_media"], "not encrypted", "the plain-RTP room system is shown as such");
    assert_eq!(r["red_marks"], 0, "a synthetic participant has no encryption mark");
    assert!(r["room_link"].as_str().unwrap().contains("kbit/s"), "the room system's link figures: {}", r["room_link"]);
    let (v0, v1) = (r["volume_before"].as_f64().unwrap(), r["volume_after"].as_f64().unwrap());
    assert!(v0 > -40.0 && v1 < v0 - 20.0, "muting the tone silences the mix: {v0} dB -> {v1} dB");
    assert_eq!(r["cameras_off"], serde_json::json!(["Blue", "Green"]));
    assert!(r["stale_error"].as_str().unwrap().contains("reload"), "{}", r["stale_error"]);
    assert_eq!(r["after_stale"], 9, "the refused layout changed nothing");
    assert!(r["range_error"].as_str().unwrap().contains("window"), "{}", r["range_error"]);
    assert_eq!(r["after_range"], 2);
    // baresip saw the call end (Tessera's BYE), long before its own 90 s.
    let mut out = String::new();
    for _ in 0..50 {
        out = std::fs::read_to_string(bdir.path().join("out.txt")).unwrap_or_default().replace('\r', "\n");
        let ended = out.to_lowercase().contains("terminated") || out.to_lowercase().contains("closed");
        if ended && out.contains("video           Transmit:") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(out.contains("Call established"), "{out}");
    // baresip's statistics at the end of the call: it heard the room's mix (PCMU, packetized by
    // Tessera itself), 50 packets a second.
    let received = out
        .split("audio           Transmit:     Receive:")
        .nth(1)
        .and_then(|t| t.lines().find(|l| l.trim_start().starts_with("packets:")))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(received > 300, "baresip received {received} audio packets:\n{out}");
    assert!(
        out.to_lowercase().contains("terminated") || out.to_lowercase().contains("closed"),
        "baresip's call did not end:\n{out}"
    );
}
