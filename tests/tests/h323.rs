//! H.323 calls into conferences, against the real binary: a room system written with pycrate
//! (`tests/h323_caller.py`: Fast Connect with G.711 both ways, H.245 tunnelled) dials a
//! conference, is shown under its h323-ID, is heard in the conference's RTSP output, hears the
//! conference (a synthetic participant's tone) and hangs up; a PIN entered as H.245 user input
//! admits it and wrong PINs end the call; an unknown conference, bytes that are not H.323 and a
//! flood of messages are refused without harm.

use std::process::Command;
use std::time::Duration;
use tessera_e2e::live_api::{Api, RED, synthetic};
use tessera_e2e::media::mean_volume;
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

async fn participants(api: &Api, conf: &str) -> Vec<String> {
    let (_, v) = api.get(&format!("/api/v1/conferences/{conf}/live")).await;
    v["participants"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str().map(str::to_string)).collect()
}

async fn wait_for(api: &Api, conf: &str, name: &str, present: bool) {
    for _ in 0..100 {
        if participants(api, conf).await.iter().any(|n| n == name) == present {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{name} {} {conf}: {:?}",
        if present { "never joined" } else { "never left" },
        participants(api, conf).await
    );
}

fn start() -> (Server, u16) {
    let port = free_port();
    let s = Server::start_with(&[], &[("TESSERA_H323_LISTEN", &format!("127.0.0.1:{port}"))]);
    (s, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_system_joins_is_heard_hears_and_hangs_up() {
    let (s, port) = start();
    s.admin_ok(&["conference", "add", "h1", "--name", "Room one", "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    // Someone silent already there.
    let live = api.ok("h1", synthetic("Host", RED, 0)).await;
    let rtsp = live["rtsp_url"].as_str().unwrap().to_string();

    let call = caller(port, "h1", 12.0, "");
    wait_for(&api, "h1", "Room 101", true).await;
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
    wait_for(&api, "h1", "Room 101", false).await;
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
    assert!(!participants(&api, "hp").await.iter().any(|n| n == "Room 101"));

    let call = caller(port, "hp", 5.0, "2468");
    wait_for(&api, "hp", "Room 101", true).await;
    let lines = output(call);
    assert_eq!(lines.last().map(String::as_str), Some("hung up"), "{lines:?}");

    // Three wrong entries: Tessera ends the call (normal clearing, 16).
    let call = caller(port, "hp", 6.0, "1111#1111#1111#");
    let lines = output(call);
    assert_eq!(lines.last().map(String::as_str), Some("released 16"), "{lines:?}\n{}", s.log());

    // The PIN dialled with the conference: in at once.
    let call = caller(port, "hp*2468", 4.0, "");
    wait_for(&api, "hp", "Room 101", true).await;
    output(call);
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

    // Nobody by that number: Release Complete with cause 1 (unallocated number), and nothing
    // held for the call.
    let lines = output(caller(port, "nosuch", 2.0, ""));
    assert_eq!(lines, ["released 1"]);

    // Bytes that are not TPKT, and a TPKT packet that is not Q.931: the connection closes.
    for junk in [b"GET / HTTP/1.1\r\n\r\n".to_vec(), vec![3, 0, 0, 9, 1, 2, 3, 4, 5]] {
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
    wait_for(&api, "h2", "Room 101", true).await;
    output(call);
    // A caller that floods its signalling connection is hung up on.
    let lines = output(caller_with(port, "h2", 5.0, "", &["--flood", "400"]));
    assert_eq!(lines.last().map(String::as_str), Some("released 16"), "{lines:?}");
    let log = s.log();
    assert!(log.contains("H.323: connection closed (not TPKT)"), "{log}");
    assert!(log.contains("too many messages from the caller's address"), "{log}");
    wait_for(&api, "h2", "Room 101", false).await;
}
