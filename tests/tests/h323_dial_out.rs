//! H.323 calls out, against the real binary: the conference manager's "Add participants" calls a
//! room system written with pycrate (`tests/h323_callee.py`), at an `h323:` address or as a user
//! whose endpoint registered with the gatekeeper.
//! - At an address: the Setup names the room and comes from the conference, with Fast Connect
//!   proposals for every codec each way; the room system takes G.711 and H.264 both ways, joins
//!   under the name given, hears the conference's tone and is heard in it, receives the
//!   conference's picture (decoded by GStreamer: it shows the Host) and its own picture (cyan,
//!   from GStreamer's x264) is in the layout; it hangs up and leaves. The history says answered.
//! - A busy room system (Release Complete, cause 17) is told as "busy" in the events and the
//!   history.
//! - Addresses the dial policy does not allow are never connected to, nor is an endpoint
//!   registered at this host's own address; malformed addresses are refused at their field.
//! - A user registered over H.323 is called at the endpoint it registered, which asks the
//!   gatekeeper to answer (ARQ answerCall) and joins as that user.

use serde_json::json;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tessera_e2e::live_api::{Api, RED, synthetic};
use tessera_e2e::media::{grab, h264_rtp_receiver, received_picture};
use tessera_e2e::{Server, free_port};

/// A room system waiting for a call: its process, its output read so far, and its port.
struct Callee {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
    lines: Vec<String>,
    port: u16,
}

impl Callee {
    /// Starts `tests/h323_callee.py` with `args`; returns once it listens (and, with `--gk`, is
    /// registered).
    fn start(args: &[&str]) -> Callee {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/h323_callee.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 with pycrate (scripts/test.sh installs it)");
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut c = Callee { child, out, lines: Vec::new(), port: 0 };
        let first = c.line();
        c.port = first.strip_prefix("listening ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{first}"));
        if args.contains(&"--gk") {
            assert_eq!(c.line(), "registered");
        }
        c
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.out.read_line(&mut l).unwrap();
        let l = l.trim_end().to_string();
        self.lines.push(l.clone());
        l
    }

    /// Everything it printed, once it ended.
    fn finish(mut self) -> Vec<String> {
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).unwrap();
        let st = self.child.wait().unwrap();
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(st.success(), "the H.323 room system failed: {err}");
        self.lines.extend(rest.lines().map(str::to_string));
        self.lines
    }
}

/// The conference's events of `kind` for `name`, waited for.
async fn event(api: &Api, conf: &str, kind: &str, name: &str) -> serde_json::Value {
    for _ in 0..100 {
        let (_, v) = api.get(&format!("/api/v1/conferences/{conf}/events")).await;
        if let Some(e) = v.as_array().into_iter().flatten().find(|e| e["kind"] == kind && e["name"] == name) {
            return e.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, v) = api.get(&format!("/api/v1/conferences/{conf}/events")).await;
    panic!("no {kind} event for {name}: {v}");
}

/// A server with H.323 on, allowed to call this machine (dial-out refuses loopback by default).
fn start() -> Server {
    Server::start_with(
        &[],
        &[
            ("TESSERA_H323_LISTEN", &format!("127.0.0.1:{}", free_port())),
            ("TESSERA_DIAL_OUT_ALLOWED_NETWORKS", "127.0.0.0/8"),
        ],
    )
}

/// A running room `id` with a red Host making a 1 kHz tone.
async fn room(s: &Server, id: &str, public: bool) -> (Api, String) {
    let mut args = vec!["conference", "add", id, "--name", "Dial-out room", "--owner", "admin", "--room"];
    if public {
        args.push("--public");
    }
    s.admin_ok(&args, "");
    let api = Api::new(s, "admin", "admin-password").await;
    let live = api.ok(id, synthetic("Host", RED, 1000)).await;
    (api, live["rtsp_url"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manager_calls_an_h323_address_and_the_room_system_joins_with_video() {
    let s = start();
    let (api, rtsp) = room(&s, "d1", true).await;
    let dir = s.dir.path().to_path_buf();
    let vp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let video_rx = h264_rtp_receiver(&dir, vp);
    let callee = Callee::start(&["--seconds", "12", "--video-rx", &vp.to_string(), "--video-tx"]);
    let address = format!("h323:lobby@127.0.0.1:{}", callee.port);
    let (st, v) = api.post("/api/v1/conferences/d1/calls", json!({"address": address, "name": "Lobby"})).await;
    assert_eq!(st, 202, "{v}");
    assert_eq!((v["calling"].as_bool(), v["call"]["to"].as_str()), (Some(true), Some(address.as_str())), "{v}");
    api.wait_for("d1", "Lobby", true).await;

    // The room system's cyan picture, decoded by Tessera, is in the conference's layout.
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

    let lines = tokio::task::spawn_blocking(move || callee.finish()).await.unwrap();
    assert_eq!(lines[1], "setup h323-ID=lobby | h323-ID=d1 | 8", "whom, from whom, proposals: {lines:?}");
    assert!(lines[2].starts_with("connect "), "{lines:?}");
    assert_eq!(lines[3], "h245 terminalCapabilitySet,masterSlaveDetermination", "tunnelled H.245: {lines:?}");
    let received: Vec<u64> = lines[4].split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    assert!(received[0] > 100, "the room system got {} audio packets: {lines:?}", received[0]);
    assert!(received[1] > 300, "what the room system hears is silent (rms {}): {lines:?}", received[1]);
    assert_eq!(lines[5], "hung up", "{lines:?}");
    api.wait_for("d1", "Lobby", false).await;

    // The conference's picture reached the room system: it shows the Host.
    let pic = tokio::task::spawn_blocking(move || received_picture(video_rx, &dir)).await.unwrap();
    let pic =
        pic.unwrap_or_else(|| panic!("the room system decoded fewer than 40 frames of the conference: {}", s.log()));
    assert!(pic.share_near(RED) > 0.1, "the room system's picture does not show the Host");

    // The conference told the call's progress; the history keeps it as answered.
    let calling = event(&api, "d1", "calling", "Lobby").await;
    assert_eq!(calling["detail"].as_str(), Some(address.as_str()), "{calling}");
    event(&api, "d1", "ringing", "Lobby").await;
    let (_, calls) = api.get("/api/v1/me/calls").await;
    let call = calls.as_array().unwrap().iter().find(|c| c["peer_address"] == address.as_str()).cloned();
    let call = call.unwrap_or_else(|| panic!("not in the history: {calls}"));
    assert_eq!((call["direction"].as_str(), call["result"].as_str()), (Some("outgoing"), Some("answered")), "{call}");

    // A busy room system: told as busy, nobody joins.
    let busy = Callee::start(&["--answer", "busy"]);
    let address = format!("h323:127.0.0.1:{}", busy.port);
    let (st, v) = api.post("/api/v1/conferences/d1/calls", json!({"address": address, "name": "Busy room"})).await;
    assert_eq!(st, 202, "{v}");
    let lines = tokio::task::spawn_blocking(move || busy.finish()).await.unwrap();
    assert_eq!(lines[1..], ["setup  | h323-ID=d1 | 8", "refused busy"], "no alias: none asked for");
    let failed = event(&api, "d1", "call_failed", "Busy room").await;
    assert!(failed["detail"].as_str().unwrap().starts_with("busy"), "{failed}");
    assert!(!api.participants("d1").await.contains(&"Busy room".to_string()));
    let metrics = reqwest::get(s.metrics.clone()).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("tessera_h323_dial_outs_total 2"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_outside_the_dial_policy_are_never_connected_to_and_bad_ones_are_refused() {
    // The default policy: no loopback, no private networks.
    let gk = free_port();
    let s = Server::start_with(
        &[],
        &[
            ("TESSERA_H323_LISTEN", &format!("127.0.0.1:{}", free_port())),
            ("TESSERA_H323_GATEKEEPER_LISTEN", &format!("127.0.0.1:{gk}")),
        ],
    );
    let (api, _) = room(&s, "d3", true).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = format!("h323:desk@127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (st, v) = api.post("/api/v1/conferences/d3/calls", json!({"address": address, "name": "Desk"})).await;
    assert_eq!(st, 202, "{v}");
    let failed = event(&api, "d3", "call_failed", "Desk").await;
    assert_eq!(failed["detail"], "this address may not be called from this server", "{failed}");
    assert!(listener.accept().is_err(), "Tessera connected to an address its policy refuses");
    for bad in ["h323:", "h323:room@", "h323:10.0.0.7:http", "h323:[nothost]", "h323:a_b.example"] {
        let (st, v) = api.post("/api/v1/conferences/d3/calls", json!({"address": bad})).await;
        assert_eq!((st, v["field"].as_str()), (422, Some("address")), "{bad}: {v}");
    }
    let (_, v) = api.post("/api/v1/conferences/d3/calls", json!({"address": "h323:10.0.0.7:http"})).await;
    assert!(v["error"].as_str().unwrap().contains("not an H.323 address"), "{v}");

    // An endpoint registered at this host's own address (a registration's source can be
    // forged) is not called unless the policy allows this host.
    s.add_user("carol", "carol-secret-1");
    let (_, users) = api.get("/api/v1/users?q=carol").await;
    let carol = users.as_array().unwrap().iter().find(|u| u["login"] == "carol").unwrap()["id"].as_i64().unwrap();
    let mut callee = Callee::start(&["--gk", &gk.to_string(), "--login", "carol", "--password", "carol-secret-1"]);
    let (st, v) = api.post("/api/v1/conferences/d3/calls", json!({"user": carol})).await;
    assert_eq!(st, 202, "{v}");
    let failed = event(&api, "d3", "call_failed", "carol").await;
    assert_eq!(failed["detail"], "this address may not be called from this server", "{failed}");
    callee.child.kill().unwrap();
    let mut rest = String::new();
    callee.out.read_to_string(&mut rest).unwrap();
    assert!(!rest.contains("setup"), "Tessera called an endpoint at its own address: {rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_registered_over_h323_is_called_at_their_endpoint_and_joins_as_themselves() {
    let (port, gk) = (free_port(), free_port());
    let s = Server::start_with(
        &[],
        &[
            ("TESSERA_H323_LISTEN", &format!("127.0.0.1:{port}")),
            ("TESSERA_H323_GATEKEEPER_LISTEN", &format!("127.0.0.1:{gk}")),
            // The endpoint runs on this machine, which the policy must allow (see above).
            ("TESSERA_DIAL_OUT_ALLOWED_NETWORKS", "127.0.0.0/8"),
        ],
    );
    s.add_user("bob", "bob-secret-1");
    // Members only: bob is added as a participant by being called.
    let (api, _) = room(&s, "d2", false).await;
    let (_, users) = api.get("/api/v1/users?q=bob").await;
    let bob = users.as_array().unwrap().iter().find(|u| u["login"] == "bob").unwrap()["id"].as_i64().unwrap();

    let callee = Callee::start(&["--gk", &gk.to_string(), "--login", "bob", "--password", "bob-secret-1"]);
    let (st, v) = api.post("/api/v1/conferences/d2/calls", json!({"user": bob})).await;
    assert_eq!(st, 202, "{v}");
    assert_eq!((v["added_to_participants"].as_bool(), v["calling"].as_bool()), (Some(true), Some(true)), "{v}");
    api.wait_for("d2", "bob", true).await;
    let lines = tokio::task::spawn_blocking(move || callee.finish()).await.unwrap();
    assert_eq!(lines[2], "setup h323-ID=bob | h323-ID=d2 | 8", "{lines:?}");
    assert_eq!(lines[3], "admitted", "the gatekeeper lets bob's endpoint answer: {lines:?}");
    let received: Vec<u64> = lines[6].split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    assert!(received[0] > 50 && received[1] > 300, "bob hears the Host badly: {lines:?}");
    assert_eq!(lines[7..], ["hung up", "disengageConfirm unregistrationConfirm"], "{lines:?}");
    api.wait_for("d2", "bob", false).await;
    // Once unregistered, bob has nothing to be called at (he may still join from the page).
    let (st, v) = api.post("/api/v1/conferences/d2/calls", json!({"user": bob})).await;
    assert_eq!((st, v["calling"].as_bool()), (200, Some(false)), "{v}");
}

/// A scheduled conference calls the H.323 room system invited to it as it starts; ending the
/// conference releases the call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_conference_calls_its_invited_h323_room_system_and_ending_it_releases_the_call() {
    let s = start();
    let api = Api::new(&s, "admin", "admin-password").await;
    let callee = Callee::start(&["--seconds", "60"]);
    let address = format!("h323:lobby@127.0.0.1:{}", callee.port);
    // Scheduled from the current minute: it starts at the runtime's next look at the schedule.
    let start = chrono::Utc::now().format("%Y-%m-%dT%H:%M").to_string();
    let (st, v) = api
        .post(
            "/api/v1/conferences",
            json!({"id": "weekly", "name": "Weekly", "kind": "scheduled", "start": start, "duration_minutes": 30,
                   "time_zone": "UTC", "addresses": [{"address": address, "role": "participant"}]}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let shown = address.trim_start_matches("h323:").to_string();
    api.wait_for("weekly", &shown, true).await;
    api.ok("weekly", json!({"action": "end"})).await;
    let lines = tokio::task::spawn_blocking(move || callee.finish()).await.unwrap();
    assert_eq!(lines[1], "setup h323-ID=lobby | h323-ID=weekly | 8", "{lines:?}");
    assert_eq!(lines.last().map(String::as_str), Some("released 16"), "normal clearing when it ends: {lines:?}");
}
