//! The conference page's WebSocket against bad input: cross-site handshakes, guests and
//! signed-out users where they may not join, messages before joining, malformed JSON, malformed
//! SDP, oversized messages, and peers that vanish after the offer or never connect. Each gets a
//! clear error and close reason; nothing leaks (no peer, no participant is left behind) and the
//! conference goes on.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tessera_e2e::ws::{Ws, connect, offer, sign_in_cookie as sign_in};
use tessera_e2e::{Server, eventually};
use tokio_tungstenite::tungstenite::Message;

/// Everything the server says until it closes: JSON messages and the close frame (code, reason).
async fn until_closed(ws: &mut Ws) -> (Vec<Value>, Option<(u16, String)>) {
    let mut msgs = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(40), ws.next()).await.expect("the server answers in time") {
            Some(Ok(Message::Text(t))) => msgs.push(serde_json::from_str(&t).expect("JSON from the server")),
            Some(Ok(Message::Close(f))) => return (msgs, f.map(|f| (u16::from(f.code), f.reason.to_string()))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (msgs, None),
        }
    }
}

async fn refused(ws: &mut Ws, send: Message) -> (Vec<Value>, Option<(u16, String)>) {
    ws.send(send).await.unwrap();
    until_closed(ws).await
}

#[tokio::test]
async fn the_page_socket_refuses_bad_input_and_leaks_nothing() {
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    s.add_user("alice", "alice-password");
    s.add_user("carol", "carol-password");
    s.admin_ok(&["license", "grant", "alice", "--days", "1"], "");
    s.admin_ok(&["conference", "add", "open", "--name", "Open", "--owner", "alice", "--room", "--public"], "");
    s.admin_ok(&["conference", "add", "closed", "--name", "Closed", "--owner", "alice", "--room"], "");
    let (alice, csrf) = sign_in(&s, "alice", "alice-password").await;
    let (carol, _) = sign_in(&s, "carol", "carol-password").await;
    let api = reqwest::Client::new();
    let live = format!("{}/api/v1/conferences/open/live", s.base);
    let r = api
        .post(&live)
        .header("cookie", &alice)
        .header("x-csrf-token", &csrf)
        .json(
            &json!({"action": "add_synthetic", "name": "Keeps the room going", "colour": [10, 200, 10], "tone_hz": 0}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Handshakes: another site's page, a guest or an outsider at a private conference.
    assert_eq!(connect(&s, "open", Some(&alice), Some("http://evil.example")).await.err(), Some(403));
    assert_eq!(connect(&s, "closed", None, None).await.err(), Some(404));
    assert_eq!(connect(&s, "closed", Some(&carol), None).await.err(), Some(404));
    assert_eq!(connect(&s, "nonexistent", None, None).await.err(), Some(404));

    let join = |as_: &str, name: Option<&str>, offer: &str| {
        Message::Text(json!({"type": "join", "as": as_, "name": name, "offer": offer}).to_string().into())
    };
    // Before joining, only a join is understood.
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    let (m, close) = refused(&mut ws, Message::Text(r#"{"type":"chat","text":"hi"}"#.into())).await;
    assert_eq!(close.as_ref().map(|c| c.0), Some(4400), "{m:?} {close:?}");
    assert!(close.unwrap().1.contains("join the conference first"));
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    let (_, close) = refused(&mut ws, Message::Text("{not json".into())).await;
    assert!(close.unwrap().1.starts_with("malformed join message"));
    // A signed-out visitor cannot join as a user; a guest needs a name; carol has no license.
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    let (m, close) = refused(&mut ws, join("user", None, &offer())).await;
    assert_eq!(close.map(|c| c.0), Some(4403));
    assert_eq!(m[0]["type"], "error");
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    let (m, _) = refused(&mut ws, join("guest", Some("  "), &offer())).await;
    assert_eq!(m[0]["field"], "name", "{m:?}");
    let mut ws = connect(&s, "open", Some(&carol), None).await.unwrap();
    let (m, _) = refused(&mut ws, join("user", None, &offer())).await;
    assert!(m[0]["message"].as_str().unwrap().contains("PRO license"), "{m:?}");
    // Malformed SDP, and an offer with nothing Tessera can use.
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    let (m, close) = refused(&mut ws, join("guest", Some("Gus"), "v=0\r\nthis is not SDP")).await;
    assert_eq!(m[0]["field"], "offer", "{m:?}");
    assert_eq!(close.map(|c| c.0), Some(4400));
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    let no_codec = offer().replace("opus/48000/2", "speex/8000").replace("VP8/90000", "H261/90000");
    let (m, _) = refused(&mut ws, join("guest", Some("Gus"), &no_codec)).await;
    assert_eq!(m[0]["field"], "offer", "{m:?}");
    // A message over 64 KiB closes the socket as too big (1009).
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    let (_, close) = refused(&mut ws, Message::Text("x".repeat(70 * 1024).into())).await;
    assert_eq!(close.map(|c| c.0), Some(1009));

    // A guest whose page vanishes right after the answer: its participant goes too.
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    ws.send(join("guest", Some("Vanishing Vera"), &offer())).await.unwrap();
    let joined = loop {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            break serde_json::from_str::<Value>(&t).unwrap();
        }
    };
    assert_eq!(joined["type"], "joined", "{joined}");
    assert!(joined["answer"].as_str().unwrap().contains("a=fingerprint:sha-256"), "{joined}");
    drop(ws);
    // One that stays but never connects is given up after 20 s, with the reason.
    let mut ws = connect(&s, "open", None, None).await.unwrap();
    ws.send(join("guest", Some("Silent Sam"), &offer())).await.unwrap();
    let (m, close) = until_closed(&mut ws).await;
    assert_eq!(m[0]["type"], "joined");
    assert_eq!(m.last().unwrap()["type"], "ended", "{m:?}");
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, 4000);
    assert!(reason.contains("did not connect"), "{reason}");

    // Nothing is left behind, and the conference goes on.
    let state: Value = api.get(&live).header("cookie", &alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["running"], true);
    let names: Vec<&str> =
        state["participants"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Keeps the room going"]);
    // (A page the server closed is let go once it answers the close, or after 2 s.)
    let gauges_zero = || async {
        let m = reqwest::get(s.metrics.clone()).await.unwrap().text().await.unwrap();
        ["tessera_webrtc_peers ", "tessera_webrtc_pages "]
            .iter()
            .all(|g| m.lines().any(|l| l.starts_with(g) && l.ends_with(" 0")))
    };
    eventually("no WebRTC peer or page is left", gauges_zero).await;
    assert!(!s.log().contains("panicked"), "{}", s.log());
}

/// Next JSON message from the server.
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(20), ws.next()).await.expect("the server answers in time") {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).expect("JSON from the server");
                // The size the picture is shown at comes whenever the layout changes, answering
                // nothing the test sent.
                if v["type"] != "shown_at" {
                    return v;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

async fn get_json(api: &reqwest::Client, url: &str, cookie: &str) -> Value {
    api.get(url).header("cookie", cookie).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn guests_of_a_webinar_get_only_what_the_organiser_allows() {
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    s.add_user("alice", "alice-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    let (alice, csrf) = sign_in(&s, "alice", "alice-password").await;
    let api = reqwest::Client::new();
    let r = api
        .post(format!("{}/api/v1/conferences", s.base))
        .header("cookie", &alice)
        .header("x-csrf-token", &csrf)
        .json(&json!({"id": "webinar", "name": "Webinar", "kind": "room", "access": "public", "guest_permissions": ["camera"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mut ws = connect(&s, "webinar", None, None).await.unwrap();
    let join = json!({"type": "join", "as": "guest", "name": "Gina", "offer": offer()});
    ws.send(Message::Text(join.to_string().into())).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "joined");
    // The microphone is off and held; the camera is allowed.
    let d = next_json(&mut ws).await;
    assert_eq!(d, json!({"type": "devices", "camera": true, "microphone": false, "by_operator": true}));
    // A guest has no rights: chat files are for downloading only.
    let f = next_json(&mut ws).await;
    assert_eq!(
        (f["type"].as_str(), f["may_send"].as_bool(), f["max_bytes"].as_u64()),
        (Some("files"), Some(false), Some(0))
    );
    let live: Value = get_json(&api, &format!("{}/api/v1/conferences/webinar/live", s.base), &alice).await;
    let gina = live["participants"].as_array().unwrap().iter().find(|p| p["name"] == "Gina").cloned().unwrap();
    assert_eq!(gina["microphone"], false, "{live}");
    // Not even the organiser turns it on: the rule is the conference's (409, nothing changes).
    let r = api
        .post(format!("{}/api/v1/conferences/webinar/live", s.base))
        .header("cookie", &alice)
        .header("x-csrf-token", &csrf)
        .json(&json!({"action": "device", "participant": gina["id"], "microphone": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("does not let guests use the microphone"));
    ws.send(Message::Text(json!({"type": "devices", "microphone": true}).to_string().into())).await.unwrap();
    let e = next_json(&mut ws).await;
    assert_eq!((e["type"].as_str(), e["field"].as_str()), (Some("error"), Some("devices")), "{e}");
    ws.send(Message::Text(json!({"type": "chat", "text": "hello"}).to_string().into())).await.unwrap();
    let e = next_json(&mut ws).await;
    assert_eq!(e["field"], "text", "{e}");
    assert!(e["message"].as_str().unwrap().contains("guests"), "{e}");
    let history: Value = get_json(&api, &format!("{}/api/v1/conferences/webinar/chat", s.base), &alice).await;
    assert_eq!(history.as_array().map(Vec::len), Some(0), "nothing stored: {history}");

    // A flood of layout choices: ten per ten seconds go through, the rest are refused (even if
    // the flood straddles a refill, at least ten of thirty are), and the conference still runs.
    for i in 0..30 {
        let kind = if i % 2 == 0 { "grid" } else { "row" };
        ws.send(Message::Text(json!({"type": "layout", "kind": kind}).to_string().into())).await.unwrap();
    }
    // A message whose answer is known marks the end of the flood's answers.
    ws.send(Message::Text(json!({"type": "devices", "microphone": true}).to_string().into())).await.unwrap();
    let mut refused = 0;
    loop {
        let e = next_json(&mut ws).await;
        if e["field"] == "devices" {
            break;
        }
        if e["type"] == "error" && e["message"].as_str().is_some_and(|m| m.starts_with("too many requests")) {
            refused += 1;
        }
    }
    assert!(refused >= 10, "only {refused} of 30 layout choices refused");
    let live: Value = get_json(&api, &format!("{}/api/v1/conferences/webinar/live", s.base), &alice).await;
    assert!(live["running"] == true, "{live}");

    // The page's list of devices is checked; the operator chooses among what it listed only.
    let devices_url = format!("{}/api/v1/conferences/webinar/participants/{}/devices", s.base, gina["id"]);
    let r = api.get(&devices_url).header("cookie", &alice).send().await.unwrap();
    assert_eq!(r.status(), 409, "nothing listed yet");
    let many: Vec<Value> = (0..17).map(|i| json!({"id": format!("cam{i}"), "label": "Camera"})).collect();
    ws.send(Message::Text(json!({"type": "device_list", "devices": {"cameras": many}}).to_string().into()))
        .await
        .unwrap();
    let e = next_json(&mut ws).await;
    assert_eq!((e["type"].as_str(), e["field"].as_str()), (Some("error"), Some("device_list")), "{e}");
    let bad_label = json!({"type": "device_list", "devices": {"microphones": [{"id": "m1", "label": "a\u{7}b"}]}});
    ws.send(Message::Text(bad_label.to_string().into())).await.unwrap();
    assert_eq!(next_json(&mut ws).await["field"], "device_list");
    let list = json!({"cameras": [{"id": "c1", "label": "Front <camera>"}], "microphones": [{"id": "m1", "label": "Desk"}, {"id": "m2", "label": "Headset"}],
        "speakers": [], "current": {"camera": "c1", "microphone": "m1", "speaker": null}});
    ws.send(Message::Text(json!({"type": "device_list", "devices": list}).to_string().into())).await.unwrap();
    let mut got = Value::Null;
    for _ in 0..20 {
        got = get_json(&api, &devices_url, &alice).await;
        if got["microphones"].as_array().is_some_and(|m| m.len() == 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(got, list);
    let choose =
        |body: Value| api.post(&devices_url).header("cookie", &alice).header("x-csrf-token", &csrf).json(&body).send();
    let r = choose(json!({"microphone": "m9"})).await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "microphone");
    assert_eq!(choose(json!({})).await.unwrap().status(), 422);
    assert_eq!(choose(json!({"microphone": "m2", "volume": 3})).await.unwrap().status(), 422, "unknown fields");
    assert_eq!(choose(json!({"microphone": "m2"})).await.unwrap().status(), 202);
    let u = next_json(&mut ws).await;
    assert_eq!(u, json!({"type": "use_devices", "choice": {"camera": null, "microphone": "m2", "speaker": null}}));
    // Gone with the page.
    drop(ws);
    let mut status = 0;
    for _ in 0..50 {
        status = api.get(&devices_url).header("cookie", &alice).send().await.unwrap().status().as_u16();
        if status == 409 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 409, "the list goes with the page");
}

/// A webinar with registration admits guests by their link only: a guest by name, a made-up
/// token, another webinar's token and no token are refused at the socket with a clear reason;
/// the right token for the right webinar gets past the link check (to "not started yet").
#[tokio::test]
async fn webinar_links_are_checked_at_the_socket() {
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    s.add_user("alice", "alice-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    let (alice, csrf) = sign_in(&s, "alice", "alice-password").await;
    let api = reqwest::Client::new();
    let create = |name: &'static str| {
        let (api, alice, csrf, base) = (api.clone(), alice.clone(), csrf.clone(), s.base.clone());
        async move {
            let body = json!({
                "name": name, "access": "public", "start": "2030-01-07T10:00", "end": "2030-01-07T11:00",
                "pin": "9999", "registration": { "enabled": true, "closes": "end" },
            });
            let r = api
                .post(format!("{base}/api/v1/conferences"))
                .header("cookie", &alice)
                .header("x-csrf-token", &csrf)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
        }
    };
    let (first, second) = (create("First").await, create("Second").await);
    let sign_up = |id: String| {
        let (api, base) = (api.clone(), s.base.clone());
        async move {
            let r = api
                .post(format!("{base}/c/{id}/register"))
                .json(&json!({ "answers": { "name": "Gina", "email": format!("gina@{id}.example.org") } }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            let link = r.json::<Value>().await.unwrap()["link"].as_str().unwrap().to_string();
            link.split_once("#t=").unwrap().1.to_string()
        }
    };
    let token = sign_up(first.clone()).await;
    let other = sign_up(second.clone()).await;
    let join = |body: Value| Message::Text(body.to_string().into());
    let cases = [
        (json!({"type": "join", "as": "guest", "name": "Mallory", "offer": offer()}), None, "sign up"),
        (
            json!({"type": "join", "as": "registrant", "token": "x".repeat(43), "offer": offer()}),
            Some("token"),
            "not valid",
        ),
        (json!({"type": "join", "as": "registrant", "token": other, "offer": offer()}), Some("token"), "not valid"),
        (json!({"type": "join", "as": "registrant", "offer": offer()}), Some("token"), "not valid"),
        // The link admits without the PIN; the webinar has not started.
        (json!({"type": "join", "as": "registrant", "token": token, "offer": offer()}), None, "not started"),
    ];
    for (body, field, says) in cases {
        let mut ws = connect(&s, &first, None, None).await.expect("handshake");
        let (msgs, close) = refused(&mut ws, join(body.clone())).await;
        let err = msgs.iter().find(|m| m["type"] == "error").unwrap_or_else(|| panic!("{body}: {msgs:?}"));
        assert_eq!(err["field"].as_str(), field, "{body}: {err}");
        assert!(err["message"].as_str().unwrap().contains(says), "{body}: {err}");
        assert_eq!(close.unwrap().0, 4403, "{body}");
    }
    assert!(!s.log().contains(&token), "the token is never logged");
}
