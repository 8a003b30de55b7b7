//! Only pictures someone sees are decoded, at the size they are seen (issue 30): a browser guest
//! whose camera the administrator turns off is no longer decoded, and when it is turned on again
//! the server asks the browser for a keyframe and decodes from there; the page is told the
//! largest window its picture is in and sends its camera scaled down to it. Headless Chromium in a network namespace
//! (`browser/unseen.mjs`), the server's own counters in `/metrics`.

use std::process::Command;
use tessera_e2e::netns::{Netns, browser_server_env};
use tessera_e2e::{admin_with, free_port, run_browser_in};

#[test]
fn a_picture_is_decoded_only_while_seen_and_sent_at_the_size_it_is_shown() {
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
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=15", "-t", "2", "-pix_fmt", "yuv420p"])
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
    // Seen again, decoding starts at a keyframe: the one asked for (a PLI), or the one the page's
    // encoder makes anyway as it scales back up (the picture was shown nowhere for seconds).
    assert_eq!(r["notDecodedWhileOn"], 0, "then every frame is decoded: {r:#}");
    // A 640x360 camera shown in a window of a 320x180 picture is sent at half size or less.
    let (w, h) = (r["shownAt"]["width"].as_u64().unwrap(), r["shownAt"]["height"].as_u64().unwrap());
    assert!(w <= 320 && h <= 180 && w > 100, "the window's size: {r:#}");
    assert!(r["sent"]["scale"].as_u64().unwrap() >= 2, "{r:#}");
    assert!(r["sent"]["width"].as_u64().unwrap() <= 320, "the camera is sent scaled down: {r:#}");
}
