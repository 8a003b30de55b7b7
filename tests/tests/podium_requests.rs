//! Role-based conferences in Chromium: a participant asks for the podium from the conference
//! page, the moderator sees the request in the conference manager and approves it, the
//! participant's page says so and everyone sees them (`browser/podium.mjs`); then the participant
//! chooses their own layout on the page until the moderator locks it ("Do not allow users to
//! change the layout"). The phone's way to ask, `*1`, is in `sip_calls.rs`.

use serde_json::json;
use tessera_e2e::{Server, browser_scenario};

#[tokio::test(flavor = "multi_thread")]
async fn a_participant_asks_for_the_podium_and_the_moderator_approves() {
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    s.add_user("alice", "alice-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    s.admin_ok(&["user", "add", "bob", "--display-name", "Bob Speaker"], "bob-password\n");
    s.admin_ok(&["license", "grant", "bob", "--days", "1"], "");
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let body = json!({"id": "panel", "name": "Panel", "kind": "room", "mode": "role_based", "active_speakers": 2,
        "participants": [{"login": "bob", "role": "participant"}]});
    let r = alice.post(format!("{}/api/v1/conferences", s.base)).header("x-csrf-token", &csrf).json(&body).send().await;
    assert_eq!(r.unwrap().status(), 201);

    let dir = tempfile::tempdir().unwrap();
    let y4m = tessera_e2e::media::camera_y4m(dir.path());
    let r = browser_scenario(
        &s,
        "podium",
        &[
            ("BASE", s.base.as_str()),
            ("CONF", "panel"),
            ("OWNER", "alice"),
            ("OWNER_PASSWORD", "alice-password"),
            ("USER", "bob"),
            ("USER_PASSWORD", "bob-password"),
            ("Y4M", y4m.to_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(r["requests_hidden_at_first"], true);
    assert!(r["asked_notice"].as_str().unwrap().contains("asked for the podium"), "{r}");
    assert_eq!(r["ask_disabled"], true, "one request at a time");
    assert!(r["request"].as_str().unwrap().starts_with("Bob Speaker"), "{r}");
    assert!(r["approved_notice"].as_str().unwrap().contains("invited you to the podium"), "{r}");
    assert_eq!(r["ask_hidden"], true);
    assert_eq!(r["on_podium"], json!(["Bob Speaker"]));
    assert_eq!(r["own_layout"], "one_large_below");
    assert!(r["locked_message"].as_str().unwrap().contains("does not allow changing the layout"), "{r}");
}
