//! Only pictures someone sees are decoded (issue 30): a browser guest whose camera the
//! administrator turns off is no longer decoded, and when it is turned on again the server asks
//! the browser for a keyframe and decodes from there. Headless Chromium in a network namespace
//! (`browser/unseen.mjs`), the server's own counters in `/metrics`.

use std::process::Command;
use tessera_e2e::netns::{Netns, browser_server_env};
use tessera_e2e::{admin_with, free_port, run_browser_in};

#[test]
fn a_picture_nobody_sees_is_not_decoded_and_comes_back_from_a_keyframe() {
    let ns = Netns::new(&format!("tessera-unseen-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (http, rtsp) = (free_port(), free_port());
    let env = browser_server_env(dir.path(), http, rtsp, "320x180");
    let log = dir.path().join("server.log");
    let _server = ns.serve_ready(&env, &log);
    let o = admin_with(
        &env,
        &["conference", "add", "open", "--name", "Open room", "--owner", "admin", "--room", "--public"],
        "",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let y4m = dir.path().join("camera.y4m");
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=15", "-t", "2", "-pix_fmt", "yuv420p"])
        .arg(&y4m)
        .status()
        .unwrap();
    assert!(st.success());
    let base = format!("http://127.0.0.1:{http}");
    let vars = [
        ("BASE", base.as_str()),
        ("CONF", "open"),
        ("Y4M", y4m.to_str().unwrap()),
        ("METRICS", "http://127.0.0.1:9464/metrics"),
    ];
    let out = run_browser_in(Some(&ns), "unseen", &vars);
    let server_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(out.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {out}\n{}", server_log()));
    assert_eq!(r["ok"], true, "{r:#}\n{}", server_log());
    eprintln!("{r:#}");
    assert_eq!(r["receivedWhileOff"], 0, "nothing decoded while nobody sees it: {r:#}");
    assert!(r["notDecodedWhileOff"].as_u64().unwrap() >= 20, "the frames kept arriving and were left undecoded: {r:#}");
    assert!(r["asked"].as_u64().unwrap() >= 1, "a keyframe was asked for when it was seen again: {r:#}");
    assert_eq!(r["notDecodedWhileOn"], 0, "then every frame is decoded: {r:#}");
}
