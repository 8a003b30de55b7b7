//! Attacks over SIP, performed against the real binary (issue 19):
//! - guessing a conference's PIN by dialling `ID*PIN` meets the same per-address throttle as the
//!   web (so the web refuses that address too), and the owner hears of it in the history;
//! - media reflection: an INVITE that is never ACKed (its source spoofed) makes Tessera send no
//!   media, nor the PIN prompt, to the address its SDP names; an ACKed one does; nobody can point
//!   media at the server's own ports or at multicast, through SIP or the API;
//! - one address cannot hold more than its share of anonymous calls;
//! - a captured digest authorization cannot be replayed, from another address or for another
//!   Request-URI;
//! - wrong passwords in REGISTERs from five (forgeable) addresses lock nobody out of the web;
//! - a webinar's guest restrictions hold for SIP callers (camera and microphone off, no chat);
//! - a call that sends no media is ended, and so is one whose caller stops refreshing its
//!   session (RFC 4028): a dead call holds no place for ever;
//! - RTP from anyone but the caller is dropped at the call's ports, and so are RTCP reports (a
//!   stranger cannot make the administrator's live view show a call's link as bad);
//! - disabling an account ends its calls in running conferences;
//! - over TCP, an INVITE does not keep a connection open, a trickled message is read once whole,
//!   and one that never completes is cut off.

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::net::UdpSocket;
use std::time::Duration;
use tessera_e2e::Server;
use tessera_e2e::sip::{ack, invite, receive_until, received_within};
use tessera_e2e::ws::{connect, offer};
use tokio_tungstenite::tungstenite::Message;

/// A server whose SIP rate limit leaves room for the bursts here.
fn server() -> (tempfile::TempDir, Server) {
    server_with("", "")
}

/// [`server`] with more `[sip]` settings and more sections (`more`), as TOML lines.
fn server_with(sip: &str, more: &str) -> (tempfile::TempDir, Server) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("t.toml");
    std::fs::write(&cfg, format!("[sip]\nmax_messages_per_second = 1000\n{sip}{more}")).unwrap();
    let s = Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    (tmp, s)
}

/// What the page's socket answers a guest's join with `pin`: the error's field and message.
async fn web_join_with_pin(s: &Server, conference: &str, pin: &str) -> (String, String) {
    let mut ws = connect(s, conference, None, None).await.expect("websocket");
    let join = json!({"type": "join", "as": "guest", "name": "Gina", "pin": pin, "offer": offer()});
    ws.send(Message::Text(join.to_string().into())).await.unwrap();
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "error" {
                return (v["field"].as_str().unwrap_or("").into(), v["message"].as_str().unwrap_or("").into());
            }
            if v["type"] == "answer" || v["type"] == "joined" {
                return (String::new(), "joined".into());
            }
        }
    }
    (String::new(), "closed".into())
}

#[tokio::test]
async fn pins_cannot_be_guessed_over_sip() {
    let (_tmp, s) = server();
    s.admin_ok(
        &["conference", "add", "vault", "--name", "Vault", "--owner", "admin", "--room", "--public", "--pin", "4711"],
        "",
    );
    let (c, _) = s.sign_in("admin", "admin-password").await;
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Nobody listens at the offer's media address; nothing is ACKed.
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();

    // Twenty-five wrong PINs: every one refused, the address throttled after twenty (the web's
    // auth.address_max_failures).
    for guess in 0..25 {
        let (code, text) =
            invite(&udp, s.sip_port, &format!("vault*{:04}", 1000 + guess), &format!("guess{guess}"), sink);
        assert_eq!(code, 403, "guess {guess}: {text}");
    }
    // The right PIN from the same address is refused now, over SIP…
    let (code, text) = invite(&udp, s.sip_port, "vault*4711", "right-one", sink);
    assert_eq!(code, 403, "the right PIN was accepted after 25 wrong ones:\n{text}");
    assert!(text.contains("too many"), "{text}");
    // …without a PIN (no prompt for a throttled address)…
    let (code, _) = invite(&udp, s.sip_port, "vault", "no-pin", sink);
    assert_eq!(code, 403);
    // …and on the page: one throttle for every way in.
    let (field, message) = web_join_with_pin(&s, "vault", "4711").await;
    assert_eq!(field, "pin", "{message}");
    assert!(message.contains("too many wrong PINs"), "{message}");

    // The owner (signed in before: the address is throttled now) sees it in the history.
    let events: serde_json::Value =
        c.get(format!("{}/api/v1/conferences/vault/events", s.base)).send().await.unwrap().json().await.unwrap();
    let alarm = events.as_array().unwrap().iter().find(|e| e["kind"] == "pin_guessing");
    assert!(alarm.is_some(), "no pin_guessing event: {events}");
    assert!(s.log().contains("someone may be guessing"), "{}", s.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unacknowledged_invite_sends_no_media_anywhere() {
    let (_tmp, s) = server();
    s.admin_ok(&["conference", "add", "hall", "--name", "Hall", "--owner", "admin", "--room", "--public"], "");
    s.admin_ok(
        &["conference", "add", "locked", "--name", "Locked", "--owner", "admin", "--room", "--public", "--pin", "2468"],
        "",
    );
    let (c, csrf) = s.sign_in("admin", "admin-password").await;
    let live = |id: &str, body: serde_json::Value| {
        c.post(format!("{}/api/v1/conferences/{id}/live", s.base)).header("x-csrf-token", &csrf).json(&body).send()
    };
    // Something to see and hear in the hall.
    let r = live("hall", json!({"action": "add_synthetic", "name": "Red", "colour": [200, 20, 20], "tone_hz": 440}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let attacker = UdpSocket::bind("127.0.0.1:0").unwrap();
    // The victim: the address the attacker's SDP names (audio here, video two ports up).
    let victim = UdpSocket::bind("127.0.0.1:0").unwrap();
    let victim_video = UdpSocket::bind(("127.0.0.1", victim.local_addr().unwrap().port() + 2));
    let to = victim.local_addr().unwrap();
    let (code, _) = invite(&attacker, s.sip_port, "hall", "reflect-1", to);
    assert_eq!(code, 200);
    let (code, _) = invite(&attacker, s.sip_port, "locked", "reflect-pin", to);
    assert_eq!(code, 200, "the PIN call is answered (the prompt would follow)");
    let (bytes, packets) = received_within(&victim, Duration::from_secs(4));
    let (vbytes, vpackets) = victim_video.as_ref().map_or((0, 0), |v| received_within(v, Duration::from_millis(100)));
    assert!(
        packets + vpackets <= 3,
        "one unacknowledged INVITE sent the victim {} bytes in {} packets",
        bytes + vbytes,
        packets + vpackets
    );

    // A real caller that acknowledges the answer gets the conference's media.
    let caller = UdpSocket::bind("127.0.0.1:0").unwrap();
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, answer) = invite(&caller, s.sip_port, "hall", "honest-1", media.local_addr().unwrap());
    assert_eq!(code, 200);
    ack(&caller, s.sip_port, "hall", "honest-1", &answer);
    let (bytes, packets) = received_within(&media, Duration::from_secs(3));
    assert!(packets >= 20, "an acknowledged call got {packets} packets ({bytes} bytes) of its mix in 3 s");

    // A caller whose SDP names another address than the one it signals from (127.0.0.2 here)
    // is sent media at its own address only (the SDP's port), never at the other one.
    let third = UdpSocket::bind("127.0.0.2:0").unwrap();
    let port = third.local_addr().unwrap().port();
    let own = UdpSocket::bind(("127.0.0.1", port)).expect("the same port on 127.0.0.1");
    let (code, answer) = invite(&caller, s.sip_port, "hall", "elsewhere-1", third.local_addr().unwrap());
    assert_eq!(code, 200);
    ack(&caller, s.sip_port, "hall", "elsewhere-1", &answer);
    let (_, at_own) = received_within(&own, Duration::from_secs(3));
    let (_, at_third) = received_within(&third, Duration::from_millis(200));
    assert_eq!(at_third, 0, "media went to the address the SDP named, not the caller's");
    assert!(at_own >= 20, "the caller got {at_own} packets at its own address");

    // Media never goes to the server's own ports, through SIP…
    let own = std::net::SocketAddr::from(([127, 0, 0, 1], s.port));
    let (code, answer) = invite(&caller, s.sip_port, "hall", "own-port", own);
    assert_eq!(code, 200);
    ack(&caller, s.sip_port, "hall", "own-port", &answer);
    tessera_e2e::eventually("the refusal is logged", || async { s.log().contains("one of the server's own ports") })
        .await;
    // …or the API.
    for (field, to) in [
        ("video_to", format!("127.0.0.1:{}", s.port)),
        ("audio_to", "239.1.1.1:5004".into()),
        ("video_to", "255.255.255.255:9".into()),
    ] {
        let body = json!({"action": "add_rtp", "name": "Relay", "video": "h264", "audio": "pcmu", field: to});
        let r = live("hall", body).await.unwrap();
        assert_eq!(r.status(), 422, "{field} = {to}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["field"], field, "{v}");
    }
}

#[test]
fn one_address_holds_a_bounded_number_of_anonymous_calls() {
    let (_tmp, s) = server();
    s.admin_ok(&["conference", "add", "town", "--name", "Town", "--owner", "admin", "--room", "--public"], "");
    let caller = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    // The default sip.max_anonymous_calls_per_address is 10.
    for i in 0..10 {
        let (code, text) = invite(&caller, s.sip_port, "town", &format!("many-{i}"), sink);
        assert_eq!(code, 200, "call {i}: {text}");
    }
    let (code, text) = invite(&caller, s.sip_port, "town", "many-10", sink);
    assert_eq!(code, 503, "{text}");
    assert!(text.contains("too many calls"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_out_reaches_neither_loopback_nor_metadata_nor_without_the_right() {
    let (_tmp, s) = server();
    s.add_user("alice", "alice-password");
    s.add_user("bob", "bob-password");
    s.admin_ok(&["rights", "grant", "alice", "make_calls"], "");
    s.admin_ok(&["conference", "add", "ops", "--name", "Ops", "--owner", "alice", "--room"], "");
    s.admin_ok(&["conference", "add", "bobs", "--name", "Bob's", "--owner", "bob", "--room"], "");
    let start = |who: &'static str, room: &'static str| {
        let s = &s;
        async move {
            let (c, csrf) = s.sign_in(who, &format!("{who}-password")).await;
            let body = json!({"action": "add_synthetic", "name": "Red", "colour": [200, 20, 20], "tone_hz": 0});
            let url = format!("{}/api/v1/conferences/{room}/live", s.base);
            assert_eq!(c.post(url).header("x-csrf-token", &csrf).json(&body).send().await.unwrap().status(), 200);
            (c, csrf)
        }
    };
    let (alice, csrf) = start("alice", "ops").await;
    // A port on this machine that a port scan would probe: nothing may arrive there.
    let target = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = target.local_addr().unwrap().port();
    for address in [format!("sip:scan@127.0.0.1:{port}"), "sip:meta@169.254.169.254".into(), "sip:x@[::1]:5060".into()]
    {
        let r = alice
            .post(format!("{}/api/v1/conferences/ops/calls", s.base))
            .header("x-csrf-token", &csrf)
            .json(&json!({"address": address}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{address}: {}", r.text().await.unwrap_or_default());
    }
    let (_, packets) = received_within(&target, Duration::from_secs(2));
    assert_eq!(packets, 0, "dial-out sent {packets} packets to a loopback port");
    // Each call failed, and what users see tells nothing of the network.
    let events = || {
        let c = alice.clone();
        let url = format!("{}/api/v1/conferences/ops/events", s.base);
        async move {
            let v: serde_json::Value = c.get(url).send().await.unwrap().json().await.unwrap();
            v.as_array().unwrap().iter().filter(|e| e["kind"] == "call_failed").cloned().collect::<Vec<_>>()
        }
    };
    tessera_e2e::eventually("three failed calls in the history", || async { events().await.len() == 3 }).await;
    let failed = events().await;
    for e in &failed {
        assert_eq!(e["detail"], "this address may not be called from this server", "{e}");
    }
    assert!(s.log().contains("dial_out policy"), "{}", s.log());
    // Without the "make calls" right, an owner cannot call addresses at all.
    let (bob, bcsrf) = start("bob", "bobs").await;
    let r = bob
        .post(format!("{}/api/v1/conferences/bobs/calls", s.base))
        .header("x-csrf-token", &bcsrf)
        .json(&json!({"address": "sip:desk@10.0.0.9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[test]
fn private_and_missing_conferences_answer_alike() {
    let (_tmp, s) = server();
    s.admin_ok(&["conference", "add", "board", "--name", "Board", "--owner", "admin", "--room", "--pin", "1234"], "");
    let caller = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let first_line = |text: &str| text.lines().next().unwrap_or_default().to_string();
    for (existing, missing) in [("board", "nowhere"), ("board*1234", "nowhere*1234"), ("board*9", "nowhere*9")] {
        let (a, ta) = invite(&caller, s.sip_port, existing, &format!("e-{existing}"), sink);
        let (b, tb) = invite(&caller, s.sip_port, missing, &format!("m-{missing}"), sink);
        assert_eq!((a, first_line(&ta)), (b, first_line(&tb)), "{existing} and {missing} answered differently");
        assert_eq!(a, 401);
        assert!(ta.contains("WWW-Authenticate") && tb.contains("WWW-Authenticate"));
    }
}

#[test]
fn a_captured_authorization_cannot_be_replayed() {
    let (_tmp, s) = server();
    s.add_user("bob", "bob-secret-22");
    s.admin_ok(&["license", "grant", "bob", "--permanent"], ""); // joins as themself
    let (code, auth) = tessera_e2e::sip::register_sha256_captured(s.sip_port, "bob", "bob-secret-22", "sip:127.0.0.1");
    assert_eq!(code, 200);
    // The eavesdropper sends the same authorization from its own address…
    let eve = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, text) = tessera_e2e::sip::register_raw(&eve, s.sip_port, "bob", "sip:127.0.0.1", 7, &auth);
    assert_eq!(code, 401, "a replayed authorization registered:\n{text}");
    assert!(text.contains("stale=true"), "{text}");
    // …or for another Request-URI.
    let (code, text) = tessera_e2e::sip::register_raw(&eve, s.sip_port, "bob", "sip:127.0.0.1:5999", 8, &auth);
    assert_ne!(code, 200, "an authorization for another URI registered:\n{text}");
    // Replays cost bob nothing: his account is not locked, and he registers again.
    assert_eq!(tessera_e2e::sip::register_sha256(s.sip_port, "bob", "bob-secret-22"), 200);
}

#[tokio::test]
async fn forged_registers_lock_nobody_out() {
    let (_tmp, s) = server();
    s.add_user("carol", "carol-secret-3");
    // Five wrong passwords over UDP, each from another address (any 127/8 address is this host).
    for i in 2..7u8 {
        let udp = UdpSocket::bind((std::net::Ipv4Addr::new(127, 0, 0, i), 0)).unwrap();
        let (code, _) =
            tessera_e2e::sip::register_sha256_captured_from(&udp, s.sip_port, "carol", "wrong-guess", "sip:127.0.0.1");
        assert_eq!(code, 403);
    }
    // carol signs in on the web, and registers over UDP from her own address.
    let _ = s.sign_in("carol", "carol-secret-3").await;
    assert_eq!(tessera_e2e::sip::register_sha256(s.sip_port, "carol", "carol-secret-3"), 200);
}

#[test]
fn tcp_connections_are_bounded_in_time() {
    use std::io::{Read, Write};
    let (_tmp, s) = server_with("tcp_idle_seconds = 2\n", "");
    s.admin_ok(&["conference", "add", "closed", "--name", "Closed", "--owner", "admin", "--room"], "");
    let invite = |me: std::net::SocketAddr, id: &str| {
        format!(
            "INVITE sip:closed@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP {me};branch=z9hG4bK{id}\r\nMax-Forwards: 70\r\n\
From: <sip:a@{me}>;tag={id}\r\nTo: <sip:closed@127.0.0.1>\r\nCall-ID: {id}\r\nCSeq: 1 INVITE\r\nContact: <sip:a@{me}>\r\n\
X-Padding: {pad}\r\nContent-Length: 0\r\n\r\n",
            pad = "p".repeat(2000)
        )
    };
    let read_all = |c: &mut std::net::TcpStream| {
        c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let started = std::time::Instant::now();
        loop {
            match c.read(&mut buf) {
                Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true, started.elapsed()),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false, started.elapsed()),
            }
        }
    };

    // An INVITE that is refused (a private conference) leaves the connection to the idle rule.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.sip_port)).unwrap();
    let me = c.local_addr().unwrap();
    c.write_all(invite(me, "tcp-idle").as_bytes()).unwrap();
    let (text, closed, _) = read_all(&mut c);
    assert!(text.contains("SIP/2.0 401"), "{text}");
    assert!(closed, "the server kept a quiet connection open for 20 s after an INVITE (idle is 2 s)");

    // A message sent one byte at a time is answered once whole.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.sip_port)).unwrap();
    c.set_nodelay(true).unwrap();
    let me = c.local_addr().unwrap();
    for b in invite(me, "tcp-trickle").as_bytes() {
        c.write_all(&[*b]).unwrap();
    }
    let (text, _, _) = read_all(&mut c);
    assert!(text.contains("SIP/2.0 401") && text.contains("Call-ID: tcp-trickle"), "{text}");

    // One that never completes is cut off, however steadily its bytes come.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.sip_port)).unwrap();
    let head = invite(c.local_addr().unwrap(), "tcp-slow");
    let mut cut_off = false;
    for b in head.as_bytes().iter().take(200) {
        if c.write_all(&[*b]).is_err() {
            cut_off = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !cut_off {
        let (_, closed, _) = read_all(&mut c);
        cut_off = closed;
    }
    assert!(cut_off, "a message trickled over 10 s kept its connection");
    assert!(s.log().contains("took too long to arrive"), "{}", s.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webinar_guest_restrictions_hold_for_sip_callers() {
    let (_tmp, s) = server();
    let (c, csrf) = s.sign_in("admin", "admin-password").await;
    let body =
        json!({"name": "Quiet hall", "access": "public", "kind": "room", "id": "quiet", "guest_permissions": []});
    let r = c
        .post(format!("{}/api/v1/conferences", s.base))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let caller = UdpSocket::bind("127.0.0.1:0").unwrap();
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, answer) = invite(&caller, s.sip_port, "quiet", "guest-1", media.local_addr().unwrap());
    assert_eq!(code, 200, "{answer}");
    ack(&caller, s.sip_port, "quiet", "guest-1", &answer);
    // Camera and microphone are off, as for a guest on the page.
    let live = || async {
        let v: serde_json::Value =
            c.get(format!("{}/api/v1/conferences/quiet/live", s.base)).send().await.unwrap().json().await.unwrap();
        v["participants"].as_array().cloned().unwrap_or_default()
    };
    tessera_e2e::eventually("the SIP guest is in the roster with camera and microphone off", || async {
        live().await.iter().any(|p| p["name"] == "Attacker" && p["camera"] == false && p["microphone"] == false)
    })
    .await;
    // A MESSAGE into the chat is refused.
    let me = caller.local_addr().unwrap();
    let to = answer.lines().find(|l| l.starts_with("To:")).unwrap();
    let msg = format!(
        "MESSAGE sip:quiet@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKmsg1\r\nMax-Forwards: 70\r\n\
From: \"Attacker\" <sip:a@{me}>;tag=tguest-1\r\n{to}\r\nCall-ID: guest-1\r\nCSeq: 2 MESSAGE\r\n\
Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
        port = s.sip_port
    );
    caller.send_to(msg.as_bytes(), ("127.0.0.1", s.sip_port)).unwrap();
    let answer =
        receive_until(&caller, Duration::from_secs(5), "an answer to the MESSAGE", |t| t.contains("CSeq: 2 MESSAGE"));
    assert!(answer.starts_with("SIP/2.0 403"), "{answer}");
    let chat: serde_json::Value =
        c.get(format!("{}/api/v1/conferences/quiet/chat", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(chat.as_array().map(Vec::len), Some(0), "{chat}");
}

#[test]
fn a_call_without_media_is_ended() {
    let (_tmp, s) = server_with("", "[media]\nrtp_timeout_seconds = 3\n");
    s.admin_ok(&["conference", "add", "open", "--name", "Open", "--owner", "admin", "--room", "--public"], "");
    let caller = UdpSocket::bind("127.0.0.1:0").unwrap();
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, answer) = invite(&caller, s.sip_port, "open", "silent-1", media.local_addr().unwrap());
    assert_eq!(code, 200, "{answer}");
    ack(&caller, s.sip_port, "open", "silent-1", &answer);
    // No RTP is ever sent: Tessera hangs up (a BYE) after the timeout (3 s).
    let bye = receive_until(&caller, Duration::from_secs(20), "a BYE", |t| t.starts_with("BYE "));
    assert!(bye.contains("no media"), "{bye}");
    assert!(s.log().contains("no media from a participant"), "{}", s.log());
}

/// An RTP packet of PCMU (a loud square wave), sequence `seq`.
fn pcmu(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend((0..160).map(|i| if i % 20 < 10 { 0x80 } else { 0x00 }));
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtp_from_strangers_is_dropped() {
    let (_tmp, s) = server();
    s.admin_ok(&["conference", "add", "forum", "--name", "Forum", "--owner", "admin", "--room", "--public"], "");
    let caller = UdpSocket::bind("127.0.0.1:0").unwrap();
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, answer) = invite(&caller, s.sip_port, "forum", "latch-1", media.local_addr().unwrap());
    assert_eq!(code, 200, "{answer}");
    ack(&caller, s.sip_port, "forum", "latch-1", &answer);
    let port: u16 = answer
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|r| r.split(' ').next())
        .and_then(|p| p.parse().ok())
        .expect("an audio port in the answer");
    // A stranger (another address of this host) finds the port first…
    let stranger = UdpSocket::bind("127.0.0.2:0").unwrap();
    for seq in 0..20 {
        stranger.send_to(&pcmu(seq), ("127.0.0.1", port)).unwrap();
    }
    // …then the caller sends from its media address, and the stranger again.
    for seq in 0..20 {
        media.send_to(&pcmu(seq), ("127.0.0.1", port)).unwrap();
        stranger.send_to(&pcmu(100 + seq), ("127.0.0.1", port)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let foreign = || async {
        let text = reqwest::get(&s.metrics).await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("tessera_media_rtp_foreign_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    tessera_e2e::eventually("the stranger's 40 packets dropped", || async { foreign().await >= 40.0 }).await;
    assert!(s.log().contains("not the participant's"), "{}", s.log());
    // The caller's own media still flows into the conference: it is not ended for silence, and
    // Tessera answers its latched address.
    let (_, packets) = received_within(&media, Duration::from_secs(1));
    assert!(packets > 10, "the caller got {packets} packets of its mix");
}

/// An RTCP receiver report: `fraction` of 256 lost, 10 lost in all, jitter 160 (20 ms at 8 kHz).
fn receiver_report(fraction: u8) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7, 0, 0, 0, 9];
    p.extend([0, 0, 0, 1, fraction, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 0, 0, 0, 0, 0]);
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtcp_reports_from_strangers_are_ignored() {
    let (_tmp, s) = server();
    s.admin_ok(&["conference", "add", "forum", "--name", "Forum", "--owner", "admin", "--room", "--public"], "");
    let caller = UdpSocket::bind("127.0.0.1:0").unwrap();
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, answer) = invite(&caller, s.sip_port, "forum", "rtcp-1", media.local_addr().unwrap());
    assert_eq!(code, 200, "{answer}");
    ack(&caller, s.sip_port, "forum", "rtcp-1", &answer);
    let rtcp: u16 = answer
        .lines()
        .find_map(|l| l.strip_prefix("a=rtcp:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("an RTCP port in the answer");
    let (admin, _) = s.sign_in("admin", "admin-password").await;
    let link = || async {
        let live: serde_json::Value =
            admin.get(format!("{}/api/v1/admin/live", s.base)).send().await.unwrap().json().await.unwrap();
        live["conferences"][0]["participants"][0]["link"].clone()
    };
    tessera_e2e::eventually("the call is in the live view", || async { link().await.is_object() }).await;
    // A stranger (another address of this host) reports dreadful loss: nothing changes.
    let stranger = UdpSocket::bind("127.0.0.2:0").unwrap();
    for _ in 0..5 {
        stranger.send_to(&receiver_report(250), ("127.0.0.1", rtcp)).unwrap();
    }
    // The caller's own report, sent after the stranger's, is what shows.
    tokio::time::sleep(Duration::from_millis(300)).await;
    media.send_to(&receiver_report(64), ("127.0.0.1", rtcp)).unwrap();
    tessera_e2e::eventually("the caller's report shows", || async { link().await["loss_percent"] == 25.0 }).await;
    let l = link().await;
    assert_eq!((l["jitter_ms"].as_f64(), l["packets_lost"].as_i64()), (Some(20.0), Some(10)), "{l}");
    for _ in 0..5 {
        stranger.send_to(&receiver_report(250), ("127.0.0.1", rtcp)).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(link().await["loss_percent"], 25.0, "a stranger's report changed the link");
    // The call's log lines carry its Call-ID.
    assert!(
        s.log().lines().any(|l| l.contains("sip_call{call_id=rtcp-1") && l.contains("SIP caller joined")),
        "{}",
        s.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_an_account_ends_its_calls() {
    let (tmp, s) = server();
    s.add_user("bob", "bob-secret-22");
    s.admin_ok(&["license", "grant", "bob", "--permanent"], ""); // joins as themself
    s.admin_ok(&["conference", "add", "closed", "--name", "Board", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "invite", "closed", "bob"], "");
    let (c, _) = s.sign_in("admin", "admin-password").await;
    // Bob dials in with his password and stays (SIPp would hang up after 60 s).
    let xml = tessera_e2e::sipp::private_call_xml_for(200, 60_000);
    let mut bob = tessera_e2e::KillOnDrop(tessera_e2e::sipp::spawn(
        s.sip_port,
        tmp.path(),
        "bob",
        &xml,
        &["-ap", "bob-secret-22"],
    ));
    let roster = || async {
        let v: serde_json::Value =
            c.get(format!("{}/api/v1/conferences/closed/live", s.base)).send().await.unwrap().json().await.unwrap();
        v["participants"].as_array().cloned().unwrap_or_default()
    };
    tessera_e2e::eventually("bob is in the conference", || async { roster().await.iter().any(|p| p["kind"] == "rtp") })
        .await;
    s.admin_ok(&["user", "disable", "bob"], "");
    tessera_e2e::eventually("bob's call has ended", || async { !roster().await.iter().any(|p| p["kind"] == "rtp") })
        .await;
    let events: serde_json::Value =
        c.get(format!("{}/api/v1/conferences/closed/events", s.base)).send().await.unwrap().json().await.unwrap();
    assert!(
        events.as_array().unwrap().iter().any(|e| e["kind"] == "left" && e["detail"] == "the account was disabled"),
        "{events}"
    );
    let _ = bob.0.kill();
}

#[test]
fn a_session_that_is_not_refreshed_ends() {
    let (_tmp, s) = server_with("session_min_seconds = 3\n", "");
    s.admin_ok(&["conference", "add", "open", "--name", "Open", "--owner", "admin", "--room", "--public"], "");
    let media = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let timer = |secs: u32| format!("Supported: timer\r\nSession-Expires: {secs}\r\n");
    // Too short an interval: 422 with the server's minimum.
    let caller = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, text) = tessera_e2e::sip::invite_with(&caller, s.sip_port, "open", "se-short", media, &timer(1));
    assert_eq!(code, 422, "{text}");
    assert!(text.contains("Min-SE: 3"), "{text}");
    // Accepted with the caller as refresher; a caller that refreshes (UPDATE) stays…
    let (code, answer) = tessera_e2e::sip::invite_with(&caller, s.sip_port, "open", "se-kept", media, &timer(3));
    assert_eq!(code, 200, "{answer}");
    assert!(answer.contains("Session-Expires: 3;refresher=uac") && answer.contains("Require: timer"), "{answer}");
    ack(&caller, s.sip_port, "open", "se-kept", &answer);
    let quiet = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, quiet_answer) = tessera_e2e::sip::invite_with(&quiet, s.sip_port, "open", "se-dead", media, &timer(3));
    assert_eq!(code, 200);
    ack(&quiet, s.sip_port, "open", "se-dead", &quiet_answer);
    for cseq in 2..8 {
        tessera_e2e::sip::in_dialog(&caller, s.sip_port, "UPDATE", "open", "se-kept", &answer, cseq);
        let ok = receive_until(&caller, Duration::from_secs(5), "the UPDATE's answer", |t| {
            t.starts_with("SIP/2.0 ") && t.contains(&format!("CSeq: {cseq} UPDATE"))
        });
        assert!(ok.starts_with("SIP/2.0 200") && ok.contains("Session-Expires: 3"), "{ok}");
        std::thread::sleep(Duration::from_millis(1000));
    }
    // …one that does not is hung up (within the interval less a third).
    let bye = receive_until(&quiet, Duration::from_secs(10), "a BYE", |t| t.starts_with("BYE "));
    assert!(bye.contains("session timer"), "{bye}");
    // The refreshing caller was never hung up: the next message it gets is no BYE.
    caller.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut buf = vec![0u8; 8192];
    while let Ok(n) = caller.recv(&mut buf) {
        assert!(!buf[..n].starts_with(b"BYE "), "the refreshing call was ended");
    }
}
