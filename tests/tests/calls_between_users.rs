//! Calls between users from the personal area (`browser/calls.mjs`): alice (with the "make
//! calls" right) calls bob from the Calls page; her page opens the call's room and joins, bob's
//! open page rings with Accept and Decline; answered, both are in the room through Tessera; the
//! room is removed when they hang up and never shows in the lists. Declined and cancelled calls
//! too; the call history has each for both. Without the right, calling is refused.

use serde_json::{Value, json};
use tessera_e2e::{Server, browser_scenario};

#[tokio::test(flavor = "multi_thread")]
async fn a_user_calls_another_who_answers_in_the_browser() {
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    s.admin_ok(&["user", "add", "alice", "--display-name", "Alice Caller"], "alice-password\n");
    s.admin_ok(&["user", "add", "bob", "--display-name", "Bob Callee"], "bob-password\n");
    s.add_user("carol", "carol-password");
    s.admin_ok(&["rights", "grant", "alice", "make_calls"], "");
    for who in ["alice", "bob"] {
        s.admin_ok(&["license", "grant", who, "--days", "1"], "");
    }

    let dir = tempfile::tempdir().unwrap();
    let y4m = tessera_e2e::media::camera_y4m(dir.path());
    let r = browser_scenario(
        &s,
        "calls",
        &[
            ("BASE", s.base.as_str()),
            ("CALLER", "alice"),
            ("CALLER_PASSWORD", "alice-password"),
            ("CALLEE", "bob"),
            ("CALLEE_PASSWORD", "bob-password"),
            ("Y4M", y4m.to_str().unwrap()),
        ],
    )
    .await;
    assert!(r["calling"].as_str().unwrap().contains("Calling Bob Callee"), "{r}");
    assert!(r["ringing"].as_str().unwrap().contains("Alice Caller is calling you"), "{r}");
    assert!(r["answered"].as_str().unwrap().contains("Bob Callee answered"), "{r}");
    assert_eq!(r["in_room"], json!(["Alice Caller", "Bob Callee"]));
    assert_eq!(r["rooms_listed"], false, "a call's room is not a virtual room");
    assert_eq!(r["room_removed"], true);
    assert!(r["declined"].as_str().unwrap().contains("declined the call"), "{r}");
    assert_eq!(r["bob_banner_gone"], true);
    assert_eq!(r["cancelled_ring_gone"], true);
    assert!(r["cancelled"].as_str().unwrap().contains("did not answer"), "{r}");

    // The call history: each call for both, newest first.
    let history = |login: &'static str, password: &'static str| {
        let s = &s;
        async move {
            let (c, _) = s.sign_in(login, password).await;
            let v: Vec<Value> =
                c.get(format!("{}/api/v1/me/calls", s.base)).send().await.unwrap().json().await.unwrap();
            v
        }
    };
    let mut alice_calls = Vec::new();
    for _ in 0..50 {
        alice_calls = history("alice", "alice-password").await;
        if alice_calls.len() == 3 && alice_calls[2]["ended_at_ms"].is_i64() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let results: Vec<(&str, &str)> =
        alice_calls.iter().map(|c| (c["direction"].as_str().unwrap(), c["result"].as_str().unwrap())).collect();
    assert_eq!(
        results,
        [("outgoing", "missed"), ("outgoing", "declined"), ("outgoing", "answered")],
        "{alice_calls:?}"
    );
    assert_eq!(alice_calls[0]["detail"], "cancelled by the caller");
    assert!(alice_calls[2]["duration_ms"].as_i64().unwrap() > 0, "{alice_calls:?}");
    let bob_calls = history("bob", "bob-password").await;
    assert!(bob_calls.iter().all(|c| c["direction"] == "incoming" && c["peer_login"] == "alice"), "{bob_calls:?}");

    // Without the right: refused, and the Calls page says receiving is all.
    let (carol, carol_csrf) = s.sign_in("carol", "carol-password").await;
    let r = carol
        .post(format!("{}/api/v1/me/calls", s.base))
        .header("x-csrf-token", &carol_csrf)
        .json(&json!({"to": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let page = carol.get(format!("{}/calls", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"no-call-right\"") && !page.contains("id=\"make-call\""), "{page}");
    // Bad input, at its field.
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    for (to, expect) in [("", 422), ("nobody", 422), ("alice", 422), ("sip:a\"b@c", 422), ("h323:10.0.0.7", 422)] {
        let r = alice
            .post(format!("{}/api/v1/me/calls", s.base))
            .header("x-csrf-token", &csrf)
            .json(&json!({ "to": to }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expect, "{to}");
    }
    // Another user cannot answer, decline or cancel a call that is not theirs.
    let r = carol.post(format!("{}/api/v1/me/calls/1/answer", s.base)).header("x-csrf-token", &carol_csrf).send().await;
    assert_eq!(r.unwrap().status(), 404);
}

/// The callee's registered SIP phone rings with their pages and answers the call: the phone
/// (SIPp, registered with digest) gets the INVITE once the caller is in the room, answers, and
/// the call is answered in both histories, one row (the phone's leg is not a second call).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callee_answers_on_the_registered_phone() {
    use tessera_e2e::sipp;
    let s = Server::start_with(&[], &[("TESSERA_DIAL_OUT_ALLOWED_NETWORKS", "127.0.0.0/8")]);
    s.admin_ok(&["user", "add", "alice", "--display-name", "Alice Caller"], "alice-password\n");
    s.admin_ok(&["user", "add", "bob", "--display-name", "Bob Callee"], "bob-password\n");
    s.admin_ok(&["rights", "grant", "alice", "make_calls"], "");
    let pdir = tempfile::tempdir().unwrap();
    let phone = sipp::registered_answering_phone(s.sip_port, pdir.path(), "bob", "bob-password");

    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let r = alice
        .post(format!("{}/api/v1/me/calls", s.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"to": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let started: Value = r.json().await.unwrap();
    let conf = started["conference"].as_str().unwrap().to_string();
    // The caller's side of the room: a synthetic participant stands in for alice's page.
    let live = format!("{}/api/v1/conferences/{conf}/live", s.base);
    let r = alice
        .post(&live)
        .header("x-csrf-token", &csrf)
        .json(&json!({"action": "add_synthetic", "name": "Alice's camera", "colour": [200, 40, 40], "tone_hz": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", s.log());
    let mut roster = Vec::new();
    for _ in 0..100 {
        let v: Value = alice.get(&live).send().await.unwrap().json().await.unwrap_or_default();
        roster = v["participants"].as_array().cloned().unwrap_or_default();
        if roster.iter().any(|p| p["name"] == "Bob Callee") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(roster.iter().any(|p| p["name"] == "Bob Callee"), "the phone did not join: {roster:?}\n{}", s.log());
    // Ended by the owner: the phone gets the BYE its scenario waits for; the room goes.
    let r = alice.post(&live).header("x-csrf-token", &csrf).json(&json!({"action": "end"})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (ok, out) = tokio::task::spawn_blocking({
        let d = pdir.path().to_path_buf();
        move || sipp::finish(phone, &d)
    })
    .await
    .unwrap();
    assert!(ok, "bob's phone did not see INVITE, ACK, BYE:\n{out}\n{}", s.log());
    let mut calls: Vec<Value> = Vec::new();
    for _ in 0..100 {
        calls = alice.get(format!("{}/api/v1/me/calls", s.base)).send().await.unwrap().json().await.unwrap();
        if calls.first().is_some_and(|c| c["ended_at_ms"].is_i64()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!((calls[0]["result"].as_str(), calls[0]["peer_login"].as_str()), (Some("answered"), Some("bob")));
    assert!(calls[0]["ended_at_ms"].is_i64(), "{calls:?}\n{}", s.log());
    // The call's end is written just before its room is removed: the room goes right after.
    let mut status = 0;
    for _ in 0..50 {
        status = alice.get(&live).send().await.unwrap().status().as_u16();
        if status == 404 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 404, "the call's room is removed\n{}", s.log());
}

/// The ringing socket and the calls API under attack: another site's page and a visitor cannot
/// open `/me/ws`; a user's socket never hears of calls to someone else; junk from the page is
/// ignored and a binary frame closes it; a caller who rings without end is stopped at three
/// calls ringing at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ringing_socket_and_the_calls_api_refuse_what_they_must() {
    use futures_util::{SinkExt, StreamExt};
    use tessera_e2e::ws::{connect_path, sign_in_cookie};
    use tokio_tungstenite::tungstenite::Message;
    async fn next(ws: &mut tessera_e2e::ws::Ws) -> Option<Value> {
        match tokio::time::timeout(std::time::Duration::from_secs(2), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => Some(serde_json::from_str::<Value>(&t).unwrap()),
            Ok(other) => panic!("the socket ended: {other:?}"),
            Err(_) => None,
        }
    }
    let s = Server::start();
    for (login, name) in [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")] {
        s.admin_ok(&["user", "add", login, "--display-name", name], &format!("{login}-password\n"));
    }
    s.admin_ok(&["rights", "grant", "alice", "make_calls"], "");
    let origin = format!("http://127.0.0.1:{}", s.port);
    assert_eq!(connect_path(&s, "/me/ws", None, Some(&origin)).await.err(), Some(401));
    let (bob_cookie, _) = sign_in_cookie(&s, "bob", "bob-password").await;
    let (carol_cookie, _) = sign_in_cookie(&s, "carol", "carol-password").await;
    assert_eq!(connect_path(&s, "/me/ws", Some(&bob_cookie), Some("http://evil.example")).await.err(), Some(403));
    let mut bob = connect_path(&s, "/me/ws", Some(&bob_cookie), Some(&origin)).await.unwrap();
    let mut carol = connect_path(&s, "/me/ws", Some(&carol_cookie), Some(&origin)).await.unwrap();
    // Junk from a page is ignored: the socket stays and still rings.
    bob.send(Message::Text("{\"type\":\"answer\",\"call\":1}".into())).await.unwrap();
    bob.send(Message::Text("not json at all".into())).await.unwrap();

    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let call = || {
        let (alice, csrf, url) = (alice.clone(), csrf.clone(), format!("{}/api/v1/me/calls", s.base));
        async move {
            let r = alice.post(url).header("x-csrf-token", csrf).json(&json!({"to": "bob"})).send().await.unwrap();
            r.status().as_u16()
        }
    };
    assert_eq!(call().await, 201);
    let ring = next(&mut bob).await.expect("bob's socket rings");
    assert_eq!((ring["type"].as_str(), ring["from"].as_str()), (Some("ring"), Some("Alice")), "{ring}");
    assert_eq!(next(&mut carol).await, None, "carol hears nothing of a call to bob");
    // Three may ring at once; the fourth is refused.
    assert_eq!((call().await, call().await, call().await), (201, 201, 429));
    // A binary frame closes the socket.
    carol.send(Message::Binary(vec![0u8; 8].into())).await.unwrap();
    match tokio::time::timeout(std::time::Duration::from_secs(5), carol.next()).await {
        Ok(None | Some(Ok(Message::Close(_)) | Err(_))) => {}
        other => panic!("the socket stays open after a binary frame: {other:?}"),
    }
}
