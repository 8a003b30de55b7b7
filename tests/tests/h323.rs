//! H.323 calls into conferences, against the real binary: a room system written with pycrate
//! (`tests/h323_caller.py`: Fast Connect with G.711 both ways, H.245 tunnelled) dials a
//! conference, is shown under its h323-ID, is heard in the conference's RTSP output, hears the
//! conference (a synthetic participant's tone) and hangs up; a PIN entered as H.245 user input
//! or as RFC 4733 events admits it and wrong PINs end the call; an unknown conference, bytes
//! that are not H.323, a flood of messages and an H.245 address that is not the caller's are
//! refused without harm. The gatekeeper registers endpoints with H.235.1 passwords and refuses
//! wrong, unsigned and replayed registrations, forged-source guesses and floods of garbage; a
//! registered endpoint's call joins a members-only conference as its user. A caller that runs H.245 on its own connection (either side
//! connecting) opens its channels there, sends H.264 from GStreamer that is decoded into the
//! conference, and receives the conference's picture, which shows the other participant; its
//! RTCP reports of heavy loss move it to a lower quality tier.

use std::process::Command;
use std::time::Duration;
use tessera_e2e::live_api::{Api, RED, synthetic};
use tessera_e2e::media::{grab, h264_rtp_receiver, mean_volume, received_picture};
use tessera_e2e::{Server, free_port};

fn caller(port: u16, alias: &str, seconds: f64, keys: &str) -> std::process::Child {
    caller_with(port, alias, seconds, keys, &[])
}

fn caller_with(port: u16, alias: &str, seconds: f64, keys: &str, more: &[&str]) -> std::process::Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/h323_caller.py");
    Command::new("python3")
        .arg(script)
        .args(["--port", &port.to_string(), "--alias", alias, "--seconds", &seconds.to_string(), "--keys", keys])
        .args(more)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with pycrate (scripts/test.sh installs it)")
}

fn output(child: std::process::Child) -> Vec<String> {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the H.323 caller failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

fn start() -> (Server, u16) {
    let port = free_port();
    let s = Server::start_with(&[], &[("TESSERA_H323_LISTEN", &format!("127.0.0.1:{port}"))]);
    (s, port)
}

/// A public room `id` with a synthetic Host (red, a tone of `tone` Hz or silent): the API and
/// the room's RTSP address.
async fn room_with_host(s: &Server, id: &str, name: &str, tone: u32) -> (Api, String) {
    s.admin_ok(&["conference", "add", id, "--name", name, "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(s, "admin", "admin-password").await;
    let live = api.ok(id, synthetic("Host", RED, tone)).await;
    let rtsp = live["rtsp_url"].as_str().unwrap().to_string();
    (api, rtsp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_system_joins_is_heard_hears_and_hangs_up() {
    let (s, port) = start();
    // Someone silent already there.
    let (api, rtsp) = room_with_host(&s, "h1", "Room one", 0).await;

    let call = caller(port, "h1", 12.0, "");
    api.wait_for("h1", "Room 101", true).await;
    // The caller's 440 Hz tone is the conference's sound.
    let heard = tokio::task::spawn_blocking(move || mean_volume(&rtsp, 2)).await.unwrap();
    assert!(heard > -40.0, "the conference's output is {heard} dB");
    // Then someone makes a 1 kHz tone: the caller must hear it (the second half of its call).
    api.ok("h1", synthetic("Tone", RED, 1000)).await;
    let lines = output(call);
    assert_eq!(lines[0], "proceeding", "{lines:?}");
    assert!(lines[1].starts_with("connect "), "{lines:?}");
    let received: Vec<u64> = lines[2].split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    assert!(received[0] > 100, "the caller got {} audio packets: {lines:?}", received[0]);
    assert!(received[1] > 300, "what the caller hears is silent (rms {}): {lines:?}", received[1]);
    assert_eq!(lines[3], "hung up", "{lines:?}");
    api.wait_for("h1", "Room 101", false).await;
    let metrics = reqwest::get(s.metrics.clone()).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("tessera_h323_calls_total{result=\"answered\"} 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_entered_as_user_input_admits_and_wrong_ones_end_the_call() {
    let (s, port) = start();
    s.admin_ok(
        &["conference", "add", "hp", "--name", "With PIN", "--owner", "admin", "--room", "--public", "--pin", "2468"],
        "",
    );
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("hp", synthetic("Host", RED, 0)).await;

    // Connected, but not in the conference until the PIN is typed.
    let call = caller(port, "hp", 5.0, "");
    let lines = output(call);
    assert!(lines[1].starts_with("connect "), "{lines:?}");
    assert!(!api.participants("hp").await.iter().any(|n| n == "Room 101"));

    let call = caller(port, "hp", 5.0, "2468");
    api.wait_for("hp", "Room 101", true).await;
    let lines = output(call);
    assert_eq!(lines.last().map(String::as_str), Some("hung up"), "{lines:?}");

    // Three wrong entries: Tessera ends the call (normal clearing, 16).
    let call = caller(port, "hp", 6.0, "1111#1111#1111#");
    let lines = output(call);
    assert_eq!(lines.last().map(String::as_str), Some("released 16"), "{lines:?}\n{}", s.log());

    // The PIN dialled with the conference: in at once.
    let call = caller(port, "hp*2468", 4.0, "");
    api.wait_for("hp", "Room 101", true).await;
    output(call);
    api.wait_for("hp", "Room 101", false).await;

    // The PIN as RFC 4733 telephone events in the audio RTP, with the payload type Tessera's
    // capability set names (H.245 on its own connection here).
    let call = caller_with(port, "hp", 5.0, "", &["--h245", "mine", "--rtp-keys", "2468"]);
    api.wait_for("hp", "Room 101", true).await;
    let lines = output(call);
    assert_eq!(lines.last().map(String::as_str), Some("hung up"), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_conferences_and_garbage_are_refused_without_harm() {
    let (s, port) = start();
    s.admin_ok(&["conference", "add", "h2", "--name", "Room two", "--owner", "admin", "--room", "--public"], "");
    // The connect page tells room systems where to call.
    let (c, _) = s.sign_in("admin", "admin-password").await;
    let page = c.get(format!("{}/download", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("127.0.0.1:{port}")) && page.contains("ID*PIN"), "{page}");
    assert!(!page.contains("not turned on"), "{page}");

    // A connection that sends nothing is closed after ten seconds (checked at the end).
    let silent = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let mut c = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut buf = [0u8; 16];
        tokio::time::timeout(Duration::from_secs(30), c.read(&mut buf)).await.expect("never closed").unwrap_or(0)
    });

    // Nobody by that number: Release Complete with cause 1 (unallocated number), and nothing
    // held for the call.
    let lines = output(caller(port, "nosuch", 2.0, ""));
    assert_eq!(lines, ["released 1"]);

    // Bytes that are not TPKT, a TPKT packet that is not Q.931, and one announcing 65,535
    // octets (over the 16 KiB accepted, so nothing is buffered for it): the connection closes.
    for junk in [b"GET / HTTP/1.1\r\n\r\n".to_vec(), vec![3, 0, 0, 9, 1, 2, 3, 4, 5], vec![3, 0, 0xff, 0xff, 8, 2]] {
        let mut c = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        c.write_all(&junk).await.unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(15), c.read(&mut buf)).await.expect("closed").unwrap_or(0);
        assert_eq!(n, 0, "nothing is answered to {junk:?}");
    }
    // The server still answers a real call.
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("h2", synthetic("Host", RED, 0)).await;
    let call = caller(port, "h2", 3.0, "");
    api.wait_for("h2", "Room 101", true).await;
    output(call);
    // A caller that floods its signalling connection is hung up on.
    let lines = output(caller_with(port, "h2", 5.0, "", &["--flood", "400"]));
    assert_eq!(lines.last().map(String::as_str), Some("released 16"), "{lines:?}");
    // A Setup naming an H.245 address that is not the caller's (127.0.0.2, from 127.0.0.1):
    // Tessera opens no connection there, so it cannot be made to reach third parties.
    let lines = output(caller_with(port, "h2", 3.0, "", &["--h245", "mine", "--h245-host", "127.0.0.2"]));
    assert_eq!(lines.last().map(String::as_str), Some("no H.245 connection"), "{lines:?}");
    let log = s.log();
    assert!(log.contains("H.323: connection closed (not TPKT)"), "{log}");
    assert!(log.contains("the H.245 address 127.0.0.2:"), "{log}");
    assert!(log.contains("too many messages from the caller's address"), "{log}");
    api.wait_for("h2", "Room 101", false).await;
    assert_eq!(silent.await.unwrap(), 0, "the silent connection was answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_h245_opens_channels_both_ways_with_h264_video() {
    let (s, port) = start();
    let (api, rtsp) = room_with_host(&s, "hv", "Video room", 1000).await;

    // What the room system receives as video is decoded by GStreamer, 40 frames in.
    let dir = s.dir.path().to_path_buf();
    let vp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let video_rx = h264_rtp_receiver(&dir, vp);
    // The far end (Tessera) connects to the H.245 address the caller gave in the Connect.
    let call = caller_with(port, "hv", 14.0, "", &["--h245", "yours", "--video-rx", &vp.to_string()]);
    api.wait_for("hv", "Room 101", true).await;
    // The caller's cyan picture, decoded by Tessera, is in the conference's layout.
    let mut cyan = 0.0;
    for _ in 0..10 {
        let u = rtsp.clone();
        let pic = tokio::task::spawn_blocking(move || grab(&u, 640, 360, 10)).await.unwrap();
        cyan = pic.share_near((32, 192, 192));
        if cyan > 0.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(cyan > 0.1, "the room system's video is not in the layout ({cyan:.2} cyan): {}", s.log());
    let lines = output(call);
    assert_eq!(lines[0], "proceeding", "{lines:?}");
    let received: Vec<u64> = lines[2].split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    assert!(received[0] > 100 && received[1] > 300, "the caller hears the Host badly: {lines:?}");
    assert_eq!(lines[3], "hung up", "{lines:?}");
    let pic = tokio::task::spawn_blocking(move || received_picture(video_rx, &dir)).await.unwrap();
    let pic =
        pic.unwrap_or_else(|| panic!("the room system decoded fewer than 40 frames of the conference: {}", s.log()));
    // Its picture shows the other participant: the Host's red.
    let red = pic.share_near(RED);
    assert!(red > 0.1, "the room system's picture does not show the Host ({red:.2} red)");

    // The caller names its own H.245 address in the Setup: Tessera connects there.
    let call = caller_with(port, "hv", 4.0, "", &["--h245", "mine"]);
    api.wait_for("hv", "Room 101", true).await;
    let lines = output(call);
    let received: Vec<u64> = lines[2].split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    assert!(received[0] > 50, "{lines:?}");
    assert_eq!(lines[3], "hung up", "{lines:?}");
    api.wait_for("hv", "Room 101", false).await;

    // A room system whose RTCP reports say it loses most of its video is moved to a lower tier
    // of the layout, by the rule SIP phones and browsers follow.
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let vp = sink.local_addr().unwrap().port().to_string();
    let call = caller_with(port, "hv", 6.0, "", &["--h245", "yours", "--video-rx", &vp, "--lossy-video-reports"]);
    let lines = output(call);
    assert_eq!(lines.last().map(String::as_str), Some("hung up"), "{lines:?}");
    let log = s.log();
    assert!(log.contains("H.323: the link moved a receiver to another quality tier"), "{lines:?}\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_system_calls_over_ipv6() {
    let port = free_port();
    let s = Server::start_with(&[], &[("TESSERA_H323_LISTEN", &format!("[::1]:{port}")), ("TESSERA_RTP_BIND", "::")]);
    let (api, _) = room_with_host(&s, "h6", "IPv6 room", 1000).await;
    // Fast Connect with tunnelled H.245, then H.245 on its own connection that Tessera opens.
    for more in [&["--host", "::1"][..], &["--host", "::1", "--h245", "mine"]] {
        let call = caller_with(port, "h6", 4.0, "", more);
        api.wait_for("h6", "Room 101", true).await;
        let lines = output(call);
        let received: Vec<u64> = lines[2].split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
        assert!(received[0] > 50 && received[1] > 300, "the IPv6 caller hears the Host badly: {lines:?}");
        assert_eq!(lines[3], "hung up", "{lines:?}");
        api.wait_for("h6", "Room 101", false).await;
    }
}

/// A server with H.323 and its gatekeeper: (server, call signalling port, gatekeeper port).
fn start_with_gatekeeper() -> (Server, u16, u16) {
    let (port, gk) = (free_port(), free_port());
    let s = Server::start_with(
        &[],
        &[
            ("TESSERA_H323_LISTEN", &format!("127.0.0.1:{port}")),
            ("TESSERA_H323_GATEKEEPER_LISTEN", &format!("127.0.0.1:{gk}")),
        ],
    );
    (s, port, gk)
}

fn ras(gk: u16, login: &str, password: &str, scenario: &str, more: &[&str]) -> Vec<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/h323_ras.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--gk", &gk.to_string(), "--login", login, "--password", password, "--scenario", scenario])
        .args(more)
        .output()
        .expect("python3 with pycrate");
    assert!(out.status.success(), "the RAS endpoint failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_register_with_h235_passwords_and_guesses_are_refused() {
    let (s, _port, gk) = start_with_gatekeeper();
    s.add_user("alice", "alice-secret-1");
    let lines = ras(gk, "alice", "alice-secret-1", "register", &[]);
    assert_eq!(lines[0], "gatekeeperConfirm tessera (0, 0, 8, 235, 0, 2, 6)", "{lines:?}");
    assert_eq!(lines[1], "registrationConfirm 120 sealed", "the answer is signed with alice's key: {lines:?}");
    assert_eq!(lines[2], "keep-alive registrationConfirm sealed", "{lines:?}");
    assert_eq!(lines[3], "unregistrationConfirm", "{lines:?}");
    assert_eq!(lines[4], "after unregistering registrationReject fullRegistrationRequired", "{lines:?}");

    let lines = ras(gk, "alice", "alice-secret-1", "wrong", &[]);
    assert_eq!(lines[1], "registrationReject securityDenial", "{lines:?}");
    let lines = ras(gk, "alice", "alice-secret-1", "unsigned", &[]);
    assert_eq!(lines[1], "registrationReject securityDenial", "{lines:?}");
    let lines = ras(gk, "nobody", "alice-secret-1", "wrong", &[]);
    assert_eq!(lines[1], "registrationReject securityDenial", "an unknown login is refused alike: {lines:?}");
    // A captured registration sent again is refused.
    let lines = ras(gk, "alice", "alice-secret-1", "replay", &[]);
    assert_eq!(lines[1], "registrationConfirm 120 sealed", "{lines:?}");
    assert_eq!(lines[2], "again registrationReject securityDenial", "{lines:?}");

    // Garbage and a flood from one address: dropped (counted), never answered, and the gatekeeper
    // goes on answering others.
    let flood = std::net::UdpSocket::bind("127.0.0.4:0").unwrap();
    let at = format!("127.0.0.1:{gk}");
    for i in 0..300usize {
        let junk: Vec<u8> = match i % 50 {
            0 => vec![0x0e; 5000],
            n if n % 2 == 0 => vec![0xff; 40],
            n => (0..n as u8).collect(),
        };
        flood.send_to(&junk, &at).unwrap();
        if i % 10 == 9 {
            // Paced a little, so that the kernel's queue holds them and the server sees them all.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    flood.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    assert!(flood.recv_from(&mut [0u8; 2048]).is_err(), "garbage was answered");
    let lines = ras(gk, "alice", "alice-secret-1", "register", &[]);
    // (Failed once in eleven local runs right after other suites, its message lost: say it all.)
    assert_eq!(lines.get(1).map(String::as_str), Some("registrationConfirm 120 sealed"), "after the flood: {lines:?}");

    // Guesses from a (forgeable) source: that source is refused even with the right password,
    // and the account is not locked: alice still registers from elsewhere and signs in on the web.
    for _ in 0..12 {
        ras(gk, "alice", "alice-secret-1", "wrong", &["--source", "127.0.0.3"]);
    }
    let lines = ras(gk, "alice", "alice-secret-1", "register", &["--source", "127.0.0.3"]);
    assert_eq!(lines[1], "registrationReject securityDenial unsealed", "the guessing source is throttled: {lines:?}");
    let lines = ras(gk, "alice", "alice-secret-1", "register", &[]);
    assert_eq!(lines[1], "registrationConfirm 120 sealed", "forged guesses locked alice out: {lines:?}");
    Api::new(&s, "alice", "alice-secret-1").await;
    let metrics = reqwest::get(s.metrics.clone()).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("tessera_h323_auth_total{result=\"invalid\"}"), "{metrics}");
    assert!(metrics.contains("tessera_h323_auth_total{result=\"throttled\"}"), "{metrics}");
    assert!(metrics.contains("tessera_h323_ras_total{result=\"malformed\"}"), "{metrics}");
    assert!(metrics.contains("tessera_h323_ras_total{result=\"rate_limited\"}"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_endpoint_is_admitted_and_joins_a_private_conference_as_its_user() {
    let (s, port, gk) = start_with_gatekeeper();
    s.add_user("alice", "alice-secret-1");
    s.admin_ok(&["license", "grant", "alice", "--permanent"], "");
    s.admin_ok(&["conference", "add", "board", "--name", "Board", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "invite", "board", "alice"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("board", synthetic("Host", RED, 1000)).await;

    // Without the gatekeeper the room system is a guest, and the board is for its members.
    let lines = output(caller(port, "board", 2.0, ""));
    assert!(lines.iter().any(|l| l.starts_with("released")), "a guest got into the board: {lines:?}");

    // Registered as alice, its call is admitted (ACF names the call signalling port, sealed
    // with alice's key) and it joins as alice: the board lets it in, and it hears the Host.
    let gk_arg = gk.to_string();
    let more = ["--gk", gk_arg.as_str(), "--login", "alice", "--password", "alice-secret-1"];
    let call = caller_with(port, "board", 6.0, "", &more);
    api.wait_for("board", "Room 101", true).await;
    // The administrator sees the registration beside SIP's.
    let ctl = tessera_e2e::tessera_cmd()
        .args(["ctl", "registrations", "--json"])
        .env("TESSERA_DATA_DIR", s.data_dir())
        .env_remove("TESSERA_CTL_SOCKET")
        .env_remove("RUNTIME_DIRECTORY")
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&ctl.stdout);
    assert!(listed.contains("\"login\":\"alice\"") && listed.contains("h323:127.0.0.1:1720"), "{listed}");
    let lines = output(call);
    assert_eq!(lines[0], "registered", "{lines:?}");
    assert_eq!(lines[1], format!("admitted {port} sealed"), "{lines:?}");
    assert_eq!(lines[2], "proceeding", "{lines:?}");
    let received: Vec<u64> = lines[4].split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    assert!(received[0] > 100 && received[1] > 300, "alice's room system hears nothing: {lines:?}");
    assert_eq!(lines[5], "hung up", "{lines:?}");
    assert_eq!(lines[6], "disengageConfirm unregistrationConfirm", "{lines:?}");
    api.wait_for("board", "Room 101", false).await;

    // A wrong password: not registered.
    let more = ["--gk", gk_arg.as_str(), "--login", "alice", "--password", "guess"];
    let lines = output(caller_with(port, "board", 1.0, "", &more));
    assert_eq!(lines, ["not registered securityDenial"]);
    let log = s.log();
    assert!(log.contains("H.323: a registered user calls") && log.contains("login=alice"), "{log}");
}
