//! Linphone (Debian's linphone-cli, a second real softphone beside baresip) joins the demo room
//! over SIP, in a network namespace this test creates so that the phone sees only loopback.
//! Debian's Linphone offers Opus audio and VP8 video (no H.264): it must get the room's mix and
//! the room's picture in VP8, from an encoder Tessera starts for it, while Tessera takes its picture.

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use tessera_e2e::netns::Netns;
use tessera_e2e::{free_port, free_rtp_port};

/// Linphone's configuration: fixed ports, no network monitoring (the namespace has only
/// loopback), a static picture as camera, video offered.
fn rc(sip_port: u16, audio_port: u16, video_port: u16) -> String {
    format!(
        "[sip]\nsip_port={sip_port}\nsip_tcp_port=-1\nauto_net_state_mon=0\nregister_only_when_network_is_up=0\n\
         [rtp]\naudio_rtp_port={audio_port}\nvideo_rtp_port={video_port}\n\
         [video]\nenabled=1\ncapture=1\ndisplay=0\nshow_local=0\nautomatically_initiate=1\nautomatically_accept=1\n\
         device=StaticImage: Static picture\nsize=vga\n\
         [sound]\nechocancellation=0\n"
    )
}

/// Lines of ortp's statistics table, e.g. ("AUDIO", "received") → packets.
fn packets(log: &str, session: &str, what: &str) -> Option<u64> {
    let start = log.find(&format!("{session} SESSION'S RTP STATISTICS"))?;
    log[start..]
        .lines()
        .take(12)
        .find(|l| l.contains(&format!("ortp-message-{what} ")))
        .and_then(|l| l.split_whitespace().rev().nth(1))
        .and_then(|n| n.parse().ok())
}

#[test]
fn linphone_joins_the_demo_room_with_vp8_video_and_opus_audio() {
    let ns = Netns::new(&format!("tessera-lp-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let sip = free_port();
    let env = [
        ("TESSERA_DATA_DIR", dir.path().join("data").display().to_string()),
        ("TESSERA_HTTP_LISTEN", format!("127.0.0.1:{}", free_port())),
        ("TESSERA_RTSP_LISTEN", format!("127.0.0.1:{}", free_port())),
        ("TESSERA_MEDIA_SIZE", "320x180".into()),
        ("TESSERA_SIP_LISTEN", format!("127.0.0.1:{sip}")),
        ("TESSERA_RTP_BIND", "127.0.0.1".into()),
        ("TESSERA_ADMIN_PASSWORD", "admin-password".into()),
    ];
    let log_path = dir.path().join("server.log");
    let _server = ns.serve(&["--demo"], &env, &log_path);
    let server_log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let t0 = Instant::now();
    while !server_log().contains("demo room running") {
        assert!(t0.elapsed() < Duration::from_secs(60), "the server did not start:\n{}", server_log());
        std::thread::sleep(Duration::from_millis(100));
    }

    // Linphone keeps a database under $HOME and will not start its SIP transports without it.
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".local/share/linphone")).unwrap();
    let rc_path = dir.path().join("linphonerc");
    std::fs::write(&rc_path, rc(free_port(), free_rtp_port(), free_rtp_port())).unwrap();
    let phone_log = dir.path().join("linphone.log");
    let home_s = home.to_str().unwrap().to_string();
    let lp = |args: &[&str]| -> Output {
        ns.cmd(&[&["env", &format!("HOME={home_s}"), "linphonecsh"][..], args].concat())
            .stdin(Stdio::null())
            .output()
            .expect("linphonecsh is missing: apt-get install linphone-cli (scripts/test.sh does)")
    };
    let text = |o: Output| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let init = lp(&["init", "-c", rc_path.to_str().unwrap(), "-V", "-d", "6", "-l", phone_log.to_str().unwrap()]);
    assert!(init.status.success(), "linphonecsh init: {}", text(init));
    struct Exit<'a>(&'a dyn Fn(&[&str]) -> Output);
    impl Drop for Exit<'_> {
        fn drop(&mut self) {
            let _ = (self.0)(&["exit"]);
        }
    }
    let _exit = Exit(&lp);
    let phone = || std::fs::read_to_string(&phone_log).unwrap_or_default();
    let t0 = Instant::now();
    while !phone().contains("Creating listening point") {
        assert!(t0.elapsed() < Duration::from_secs(20), "linphone opened no SIP port:\n{}", phone());
        std::thread::sleep(Duration::from_millis(100));
    }
    text(lp(&["generic", "soundcard use files"]));
    let dial = text(lp(&["dial", &format!("sip:demo@127.0.0.1:{sip}")]));

    // The call must reach StreamsRunning, and stay there a few seconds with media both ways.
    let t0 = Instant::now();
    loop {
        let calls = text(lp(&["generic", "calls"]));
        if calls.contains("StreamsRunning") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "linphone's call never ran: {dial}\n{calls}\nserver:\n{}",
            server_log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Linphone prints its statistics only at the end of a call: keep the call until it has
    // decoded the room's first picture (however long a busy machine takes), then five seconds of
    // media (about 250 Opus packets, 150 video frames) to count.
    let t0 = Instant::now();
    while !phone().contains("First video frame decoded successfully") {
        assert!(t0.elapsed() < Duration::from_secs(30), "linphone decoded no picture within 30 s of the call");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(5));
    text(lp(&["hangup"]));
    let t0 = Instant::now();
    while !phone().contains("AUDIO SESSION'S RTP STATISTICS") && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let t0 = Instant::now();
    while !server_log().contains("SIP call ended") && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }

    let (srv, ph) = (server_log(), phone());
    assert!(srv.lines().any(|l| l.contains("SIP caller joined") && l.contains("name=linphone")), "{srv}");
    assert!(srv.contains("the caller hung up"), "the BYE did not end the call:\n{srv}");
    // About 250 Opus packets in five seconds (more over the whole call): the room's mix reached
    // the phone. 200 leaves a fifth for a start-up the phone does not count.
    let heard = packets(&ph, "AUDIO", "received").unwrap_or(0);
    eprintln!("linphone: {heard} audio packets received");
    assert!(heard > 200, "linphone received {heard} audio packets");
    // VP8 both ways: Linphone sent its picture and received the room's (about 30 frames a second).
    let answer = ph.split("m=video").nth(2).unwrap_or_default();
    assert!(answer.contains("VP8/90000") && answer.contains("a=sendrecv"), "Tessera's video answer: {answer}");
    let sent = packets(&ph, "VIDEO", "sent").unwrap_or(0);
    assert!(sent > 20, "linphone sent {sent} video packets");
    let seen = packets(&ph, "VIDEO", "received").unwrap_or(0);
    eprintln!("linphone: {seen} video packets received");
    assert!(seen > 60, "linphone received {seen} video packets");
    assert!(ph.contains("First video frame decoded successfully"), "linphone decoded no picture");
    assert!(srv.contains("output started for another layout, codec or tier"), "no VP8 encoder:\n{srv}");
    assert!(!srv.contains("media error"), "{srv}");
}
