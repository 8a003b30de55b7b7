//! The control panel in Chromium (`browser/admin_panel.mjs`), in a network namespace this test
//! creates with the server, the browser and baresip. baresip calls into a room; nftables in the
//! namespace drops a fifth of the UDP that reaches baresip's RTP ports (Tessera's media to it),
//! so its RTCP receiver reports tell of real loss, which the live view must show. The scenario
//! also adds, edits, locks, unlocks and disables a user (cut off while in the room) and reads
//! the audit log.

use std::process::Stdio;
use tessera_e2e::netns::{Netns, browser_server_env};
use tessera_e2e::{KillOnDrop, admin_with, baresip_config, free_port, run_browser_in};

#[test]
fn the_control_panel_manages_users_and_shows_live_link_quality() {
    let ns = Netns::new(&format!("tessera-adm-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (http, rtsp) = (free_port(), free_port());
    let mut env = browser_server_env(dir.path(), http, rtsp, "320x180");
    let sip_port = free_port();
    env.retain(|(k, _)| k != "TESSERA_SIP_LISTEN");
    env.push(("TESSERA_SIP_LISTEN".into(), format!("127.0.0.1:{sip_port}")));
    // The administrator and the room are in the database before the server starts, so the
    // phone's call finds the room at once.
    for (args, stdin) in [
        (&["user", "add", "chief"][..], "chief-password\n"),
        (&["user", "admin", "chief"][..], ""),
        (&["conference", "add", "ops", "--name", "Operations", "--owner", "chief", "--room", "--public"][..], ""),
    ] {
        let o = admin_with(&env, args, stdin);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let log_path = dir.path().join("server.log");
    let _server = ns.serve_ready(&env, &log_path);
    let server_log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    // What reaches baresip's RTP ports (10000-10099, see `baresip_config`) loses a fifth.
    ns.lose_udp("dport", "10000-10099", 20);
    let phone = tempfile::tempdir().unwrap();
    baresip_config(phone.path(), "");
    let out = std::fs::File::create(phone.path().join("out.txt")).unwrap();
    let child = ns
        .cmd(&[
            "baresip",
            "-f",
            phone.path().to_str().unwrap(),
            "-e",
            &format!("/dial sip:ops@127.0.0.1:{sip_port}"),
            "-t",
            "170",
        ])
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("baresip is missing: apt-get install baresip-core (scripts/test.sh does)");
    let _baresip = KillOnDrop(child);

    let y4m = dir.path().join("camera.y4m");
    let st = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=15", "-t", "2", "-pix_fmt", "yuv420p"])
        .arg(&y4m)
        .status()
        .expect("ffmpeg is missing: apt-get install ffmpeg (scripts/test.sh does)");
    assert!(st.success());
    let base = format!("http://127.0.0.1:{http}");
    let stdout = run_browser_in(
        Some(&ns),
        "admin_panel",
        &[("BASE", &base), ("CONF", "ops"), ("ADMIN", "chief"), ("Y4M", y4m.to_str().unwrap())],
    );
    let line = stdout.lines().last().unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", server_log()));
    eprintln!("{r:#}");
    let phone_log = std::fs::read_to_string(phone.path().join("out.txt")).unwrap_or_default();
    assert_eq!(
        r["ok"],
        true,
        "{}\n{}\n--- baresip ---\n{phone_log}",
        r["error"].as_str().unwrap_or_default(),
        server_log()
    );
    // A fifth is dropped; what the reports say varies with the moment, but not to nothing.
    let loss = r["phone_loss_percent"].as_f64().unwrap();
    assert!(loss > 2.0 && loss < 60.0, "{r}");
    assert!(r["phone_row"].as_str().unwrap().contains("PCMU/8000"), "{r}");
    assert!(r["phone_row"].as_str().unwrap().contains("kbit/s"), "{r}");
    assert!(r["phone_row"].as_str().unwrap().contains("127.0.0.1:100"), "the phone's media address: {r}");
    let bob = r["bob_row"].as_str().unwrap();
    assert!(bob.contains("127.0.0.1 (browser)") && bob.contains("opus/48000 + VP8") && bob.contains(" ms"), "{r}");
    assert!(r["bob_cut_off"].as_str().unwrap().contains("the account was disabled"), "{r}");
}
