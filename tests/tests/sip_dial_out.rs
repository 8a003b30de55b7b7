//! Dial-out ("Add participants"): the server calls people into a running conference.
//! - A user whose phone registered (SIPp, digest) is called at that phone: it rings, answers with
//!   H.264 and PCMU, gets the ACK, the user joins the roster under their name and becomes a
//!   participant of the (private) conference; removing them sends the BYE of the dialog Tessera
//!   started, which the phone (SIPp's scenario) expects and answers.
//! - A contact of the address book at a SIP address over TCP: SIPp (as UAS) answers 486 and checks
//!   Tessera's ACK; the conference's history says "busy".
//! - A user without a registered phone is added to the participants, not called.
//! - Bad input is refused at its field; only those who control the conference may add.
//! - A scheduled conference calls its invited SIP addresses as it starts.

use std::time::Duration;
use tessera_e2e::{Server, sipp};

/// Busy: 486, then the ACK of it.
fn busy_desk() -> String {
    sipp::called_xml("486 Busy Here\nContent-Length: 0\n", "  <recv request=\"ACK\" />\n")
}

async fn events(c: &reqwest::Client, base: &str) -> Vec<serde_json::Value> {
    events_of(c, base, "ops").await
}

async fn roster(c: &reqwest::Client, base: &str) -> Vec<String> {
    let v: serde_json::Value =
        c.get(format!("{base}/api/v1/conferences/ops/live")).send().await.unwrap().json().await.unwrap();
    v["participants"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str().map(String::from)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_calls_participants_into_a_running_conference() {
    // Dial-out refuses loopback by default; these callees run on this machine.
    let s = Server::start_with(&[], &[("TESSERA_DIAL_OUT_ALLOWED_NETWORKS", "127.0.0.0/8")]);
    for u in ["alice", "bob", "carol", "dave"] {
        s.add_user(u, &format!("{u}-password"));
    }
    s.admin_ok(&["conference", "add", "ops", "--name", "Ops \"review\"", "--owner", "alice", "--room"], "");
    s.admin_ok(&["conference", "invite", "ops", "dave"], "");
    s.admin_ok(&["rights", "grant", "alice", "edit_address_book", "make_calls"], "");
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let base = s.base.clone();
    let id_of = |login: &'static str| {
        let (c, b) = (alice.clone(), base.clone());
        async move {
            let v: serde_json::Value =
                c.get(format!("{b}/api/v1/users")).query(&[("q", login)]).send().await.unwrap().json().await.unwrap();
            v.as_array().unwrap().iter().find(|u| u["login"] == login).and_then(|u| u["id"].as_i64()).unwrap()
        }
    };
    let (bob_id, carol_id) = (id_of("bob").await, id_of("carol").await);
    let add = |body: serde_json::Value| {
        let (c, b, t) = (alice.clone(), base.clone(), csrf.clone());
        async move {
            let r = c
                .post(format!("{b}/api/v1/conferences/ops/calls"))
                .header("x-csrf-token", t)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };

    // Not running yet: nobody can be brought in.
    let (st, v) = add(serde_json::json!({"user": bob_id})).await;
    assert_eq!(st, 409, "{v}");
    assert!(v["error"].as_str().unwrap_or_default().contains("not running"), "{v}");

    // bob's desk phone registers (digest) from a port, and then answers calls on it.
    let pdir = tempfile::tempdir().unwrap();
    let phone = sipp::registered_answering_phone(s.sip_port, pdir.path(), "bob", "bob-password");

    let r = alice
        .post(format!("{base}/api/v1/conferences/ops/live"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"action": "add_synthetic", "name": "Red", "colour": [230, 30, 30], "tone_hz": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Bad input, each at its field, nothing called.
    for (body, field) in [
        (serde_json::json!({}), "user"),
        (serde_json::json!({"user": bob_id, "address": "sip:x@127.0.0.1"}), "user"),
        (serde_json::json!({"user": 999_999}), "user"),
        (serde_json::json!({"contact": 999_999}), "contact"),
        (serde_json::json!({"address": "h323:10.0.0.7"}), "address"),
        (serde_json::json!({"address": "sip:a\"b@c"}), "address"),
        (serde_json::json!({"address": "sips:desk@127.0.0.1"}), "address"),
        (serde_json::json!({"address": "sip:desk:secret@127.0.0.1"}), "address"),
        (serde_json::json!({"address": "sip:desk@127.0.0.1", "name": "a\u{7}b"}), "name"),
    ] {
        let (st, v) = add(body.clone()).await;
        assert_eq!((st, v["field"].as_str()), (422, Some(field)), "{body} -> {v}");
    }
    let (st, _) = add(serde_json::json!({"user": bob_id, "extra": 1})).await;
    assert!(st == 400 || st == 422, "unknown fields are refused: {st}");
    // dave is a participant, not a moderator.
    let (dave, dave_csrf) = s.sign_in("dave", "dave-password").await;
    let r = dave
        .post(format!("{base}/api/v1/conferences/ops/calls"))
        .header("x-csrf-token", dave_csrf)
        .json(&serde_json::json!({"user": bob_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Without the CSRF token, nothing.
    let r = alice
        .post(format!("{base}/api/v1/conferences/ops/calls"))
        .json(&serde_json::json!({"user": bob_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // carol has no phone: she joins the participants and can come in from the page.
    let (st, v) = add(serde_json::json!({"user": carol_id})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!((v["calling"].as_bool(), v["added_to_participants"].as_bool()), (Some(false), Some(true)), "{v}");
    assert!(v["message"].as_str().unwrap().contains("no registered SIP phone"), "{v}");

    // bob is called at his desk phone, which answers.
    let (st, v) = add(serde_json::json!({"user": bob_id})).await;
    assert_eq!(st, 202, "{v}");
    assert_eq!((v["calling"].as_bool(), v["added_to_participants"].as_bool()), (Some(true), Some(true)), "{v}");
    for _ in 0..100 {
        if roster(&alice, &base).await.contains(&"bob".to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(roster(&alice, &base).await.contains(&"bob".to_string()), "bob did not join:\n{}", s.log());
    let ev = events(&alice, &base).await;
    assert!(ev.iter().any(|e| e["kind"] == "calling" && e["name"] == "bob"), "{ev:?}");
    assert!(ev.iter().any(|e| e["kind"] == "ringing" && e["name"] == "bob"), "{ev:?}");
    let live: serde_json::Value =
        alice.get(format!("{base}/api/v1/conferences/ops/live")).send().await.unwrap().json().await.unwrap();
    let bob = live["participants"].as_array().unwrap().iter().find(|p| p["name"] == "bob").unwrap().clone();
    assert_eq!(bob["kind"], "rtp", "{bob}");

    // Removing bob hangs up his phone: the BYE of the dialog Tessera started, which SIPp's
    // scenario waits for (it fails on anything else, or on nothing within its timeout).
    let r = alice
        .post(format!("{base}/api/v1/conferences/ops/live"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"action": "remove", "participant": bob["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (ok, out) = tokio::task::spawn_blocking({
        let d = pdir.path().to_path_buf();
        move || sipp::finish(phone, &d)
    })
    .await
    .unwrap();
    assert!(ok, "bob's phone did not see INVITE, ACK, BYE:\n{out}\n{}", s.log());

    // A contact at a SIP address over TCP: SIPp rings, then answers busy, and wants the ACK.
    let sdir = tempfile::tempdir().unwrap();
    let sipp_port = tessera_e2e::free_port();
    let uas = sipp::called(sdir.path(), &busy_desk(), sipp_port, &["-t", "t1"]);
    let r = alice
        .post(format!("{base}/api/v1/contacts"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"address": format!("sip:desk@127.0.0.1:{sipp_port};transport=tcp"), "name": "Busy desk"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
    let contacts: serde_json::Value =
        alice.get(format!("{base}/api/v1/contacts")).send().await.unwrap().json().await.unwrap();
    let contact = contacts.as_array().unwrap().iter().find(|c| c["name"] == "Busy desk").unwrap()["id"].clone();
    let (st, v) = add(serde_json::json!({"contact": contact})).await;
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["name"], "Busy desk");
    let (ok, out) = tokio::task::spawn_blocking({
        let d = sdir.path().to_path_buf();
        move || sipp::finish(uas, &d)
    })
    .await
    .unwrap();
    assert!(ok, "SIPp (the busy desk) did not see INVITE then ACK:\n{out}\n{}", s.log());
    let mut failed = None;
    for _ in 0..50 {
        let ev = events(&alice, &base).await;
        failed = ev.iter().find(|e| e["kind"] == "call_failed" && e["name"] == "Busy desk").cloned();
        if failed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed = failed.expect("no call_failed event for the busy desk");
    assert!(failed["detail"].as_str().unwrap().starts_with("busy (486"), "{failed}");
    let ev = events(&alice, &base).await;
    assert!(ev.iter().any(|e| e["kind"] == "ringing" && e["name"] == "Busy desk"), "{ev:?}");
    assert!(!roster(&alice, &base).await.contains(&"Busy desk".to_string()));

    // Both calls are in alice's call history (she placed them, from her room), and bob's call in
    // his, as incoming and answered with its duration; the busy desk's says busy.
    let (bob_c, _) = s.sign_in("bob", "bob-password").await;
    let calls = |c: reqwest::Client| {
        let b = base.clone();
        async move {
            let v: serde_json::Value =
                c.get(format!("{b}/api/v1/me/calls")).send().await.unwrap().json().await.unwrap();
            v.as_array().unwrap().clone()
        }
    };
    let mut mine = Vec::new();
    for _ in 0..50 {
        mine = calls(alice.clone()).await;
        if mine.iter().filter(|c| c["ended_at_ms"].is_i64()).count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let desk = mine.iter().find(|c| c["peer_address"].as_str().is_some_and(|a| a.starts_with("sip:desk@"))).unwrap();
    assert_eq!((desk["direction"].as_str(), desk["result"].as_str()), (Some("outgoing"), Some("busy")), "{desk}");
    assert_eq!((desk["conference_id"].as_str(), desk["conference_owned"].as_bool()), (Some("ops"), Some(true)));
    let to_bob = mine.iter().find(|c| c["peer_login"] == "bob").unwrap();
    assert_eq!((to_bob["direction"].as_str(), to_bob["result"].as_str()), (Some("outgoing"), Some("answered")));
    let his = calls(bob_c.clone()).await;
    assert_eq!(his.len(), 1, "{his:?}");
    assert_eq!((his[0]["direction"].as_str(), his[0]["peer_login"].as_str()), (Some("incoming"), Some("alice")));
    assert_eq!(
        (his[0]["result"].as_str(), his[0]["conference_name"].as_str()),
        (Some("answered"), Some("Ops \"review\""))
    );
    assert!(his[0]["duration_ms"].as_i64().is_some(), "{}", his[0]);
    // The page lists them; the details of the dial-out link its owner to the room's card.
    let page = alice.get(format!("{base}/calls?show={}", desk["id"])).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"call-details\"") && page.contains("href=\"/rooms?selected=ops\""), "{page}");
    let page = bob_c.get(format!("{base}/calls?show={}", his[0]["id"])).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"call-details\"") && !page.contains("/rooms?selected=ops"), "{page}");
}

/// A scheduled conference calls the SIP addresses invited to it as it starts; ending it hangs
/// them up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_conference_calls_its_invited_addresses_as_it_starts() {
    // Dial-out refuses loopback by default; these callees run on this machine.
    let s = Server::start_with(&[], &[("TESSERA_DIAL_OUT_ALLOWED_NETWORKS", "127.0.0.0/8")]);
    s.add_user("alice", "alice-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences", "make_calls"], "");
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let base = s.base.clone();
    // The lobby's room system answers (SIPp as UAS), and wants the BYE when the meeting ends.
    let dir = tempfile::tempdir().unwrap();
    let port = tessera_e2e::free_port();
    let lobby = sipp::called(dir.path(), &sipp::answering_phone_xml(), port, &[]);
    // Scheduled from the current minute: it starts at the runtime's next look at the schedule.
    let start = chrono::Utc::now().format("%Y-%m-%dT%H:%M").to_string();
    let address = format!("sip:lobby@127.0.0.1:{port}");
    let r = alice
        .post(format!("{base}/api/v1/conferences"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"id": "weekly", "name": "Weekly", "kind": "scheduled", "start": start,
            "duration_minutes": 30, "time_zone": "UTC", "addresses": [{"address": address, "role": "participant"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let shown = format!("lobby@127.0.0.1:{port}");
    let mut joined = false;
    for _ in 0..100 {
        let v: serde_json::Value =
            alice.get(format!("{base}/api/v1/conferences/weekly/live")).send().await.unwrap().json().await.unwrap();
        if v["participants"].as_array().is_some_and(|p| p.iter().any(|p| p["name"] == shown.as_str())) {
            joined = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(joined, "the invited address was not called in:\n{}", s.log());
    let r = alice
        .post(format!("{base}/api/v1/conferences/weekly/live"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"action": "end"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (ok, out) = tokio::task::spawn_blocking({
        let d = dir.path().to_path_buf();
        move || sipp::finish(lobby, &d)
    })
    .await
    .unwrap();
    assert!(ok, "the lobby did not get INVITE, ACK, BYE:\n{out}\n{}", s.log());
    let ev = events_of(&alice, &base, "weekly").await;
    assert!(ev.iter().any(|e| e["kind"] == "calling" && e["detail"] == address.as_str()), "{ev:?}");
}

async fn events_of(c: &reqwest::Client, base: &str, id: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value =
        c.get(format!("{base}/api/v1/conferences/{id}/events")).send().await.unwrap().json().await.unwrap();
    v.as_array().cloned().unwrap_or_default()
}
