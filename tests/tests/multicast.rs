//! The multicast output, received by GStreamer's own `udpsrc` in a network namespace this test
//! creates (so no multicast leaves the machine): a scheduled conference with a multicast group
//! starts on time and a receiver decodes its H.264.

use std::process::Stdio;
use std::time::Duration;
use tessera_e2e::free_port;
use tessera_e2e::netns::Netns;

#[test]
fn a_scheduled_conference_multicasts_h264_that_a_receiver_decodes() {
    let ns = Netns::new(&format!("tessera-mc-{}", std::process::id()));
    ns.run(&["ip", "link", "set", "lo", "multicast", "on"]);
    ns.run(&["ip", "route", "add", "224.0.0.0/4", "dev", "lo"]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [
        ("TESSERA_DATA_DIR", data.to_str().unwrap().to_string()),
        ("TESSERA_HTTP_LISTEN", format!("127.0.0.1:{}", free_port())),
        ("TESSERA_RTSP_LISTEN", format!("127.0.0.1:{}", free_port())),
        ("TESSERA_MEDIA_SIZE", "320x180".into()),
        ("TESSERA_SIP_LISTEN", format!("127.0.0.1:{}", free_port())),
        ("TESSERA_ADMIN_PASSWORD", "admin-password".into()),
    ];
    let admin = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut c = tessera_e2e::tessera_cmd()
            .arg("admin")
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "admin {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    std::fs::create_dir_all(&data).unwrap();
    admin(&["user", "add", "olga"], "olga-password\n");
    let start = chrono::Utc::now().format("%Y-%m-%dT%H:%M").to_string();
    admin(
        &["conference", "add", "mc", "--name", "Multicast", "--owner", "olga", "--start", &start, "--duration", "10"],
        "",
    );
    // Bad multicast settings are refused with the reason.
    for bad in ["10.0.0.1:5004", "239.255.42.1:5005", "239.255.42.1:x"] {
        let o = tessera_e2e::tessera_cmd()
            .args(["admin", "conference", "media", "mc", "--multicast", bad])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--multicast"), "{bad}");
    }
    admin(&["conference", "media", "mc", "--multicast", "239.255.42.1:5004", "--ttl", "1"], "");

    let _server = ns.serve(&[], &env, &dir.path().join("server.log"));

    let caps = "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000";
    let out = ns
        .cmd(&[
            "timeout",
            "40",
            "gst-launch-1.0",
            "-q",
            "udpsrc",
            "address=239.255.42.1",
            "port=5004",
            &format!("caps={caps}"),
            "!",
            "rtph264depay",
            "!",
            "h264parse",
            "!",
            "avdec_h264",
            "!",
            "identity",
            "eos-after=30",
            "!",
            "fakesink",
        ])
        .output()
        .expect("gst-launch-1.0 is missing: apt-get install gstreamer1.0-tools");
    std::thread::sleep(Duration::from_millis(100));
    let server_log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "the receiver decoded no 30 frames: {}{}\nserver log:\n{server_log}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server_log.contains("scheduled conference started") && server_log.contains("multicast output running"));

    // The personal area hands out the SDP a receiver (VLC, ffplay) opens.
    let jar = dir.path().join("cookies");
    let base = format!("http://{}", env[1].1);
    let curl = |args: &[&str]| {
        let o = ns
            .cmd(&[&["curl", "-s", "-b", jar.to_str().unwrap(), "-c", jar.to_str().unwrap()][..], args].concat())
            .output()
            .expect("curl is missing: apt-get install curl");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let body = r#"{"login":"olga","password":"olga-password"}"#;
    let signed = curl(&["-H", "content-type: application/json", "-d", body, &format!("{base}/api/v1/session")]);
    assert!(signed.contains("csrf_token"), "{signed}");
    let sdp = curl(&[&format!("{base}/api/v1/conferences/mc/multicast.sdp")]);
    assert!(sdp.contains("c=IN IP4 239.255.42.1/1") && sdp.contains("m=video 5004 RTP/AVP 96"), "{sdp}");
    assert!(sdp.contains("m=audio 5006 RTP/AVP 97"), "{sdp}");
}
