//! What the scheduling form sets takes effect when people join: a user scheduled as a moderator
//! and speaker of a role-based conference who dials in over SIP (proving who they are with
//! digest authentication) is a moderator on the podium; a layout window kept for a user shows
//! that user, not whoever joined first; a user with the operator right joins as a moderator
//! whatever their role, and nobody can revoke it.

use serde_json::{Value, json};
use tessera_e2e::media::grab;
use tessera_e2e::sipp::{private_call_xml_for, spawn};
use tessera_e2e::{KillOnDrop, Server, eventually};

async fn live(c: &reqwest::Client, s: &Server, id: &str) -> Value {
    c.get(format!("{}/api/v1/conferences/{id}/live", s.base)).send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_roles_and_windows_apply_when_users_join() {
    let s = Server::start();
    s.add_user("alice", "alice-password");
    s.add_user("bob", "bob-secret-22");
    s.admin_ok(&["license", "grant", "bob", "--permanent"], ""); // joins as themself
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    let (a, csrf) = s.sign_in("alice", "alice-password").await;
    let found: Value = a.get(format!("{}/api/v1/users?q=bob", s.base)).send().await.unwrap().json().await.unwrap();
    let bob = found[0]["id"].as_i64().unwrap();
    let create = |body: Value| {
        let a = a.clone();
        let csrf = csrf.clone();
        let url = format!("{}/api/v1/conferences", s.base);
        async move {
            let r = a.post(url).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
    };
    // A role-based room: bob moderates and speaks; one active speaker.
    create(json!({"id": "panel", "name": "Panel", "kind": "room", "mode": "role_based", "active_speakers": 1,
        "participants": [{"login": "bob", "role": "moderator", "speaker": true}]}))
    .await;
    // An all-on-screen room whose first window is kept for bob.
    create(json!({"id": "kept", "name": "Kept", "kind": "room",
        "participants": [{"login": "bob", "role": "participant"}],
        "layout": {"kind": "grid", "windows": 2, "slots": [{"kind": "participant", "participant": bob}], "name_position": "bottom"}}))
    .await;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let xml = private_call_xml_for(200, 8000).replace("sip:closed@", "sip:panel@");
    let call = KillOnDrop(spawn(s.sip_port, d, "bob", &xml, &["-ap", "bob-secret-22"]));
    eventually("bob is on the podium as a moderator", || async {
        let st = live(&a, &s, "panel").await;
        let p = st["participants"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == "bob").cloned());
        p.is_some_and(|p| {
            p["moderator"] == true && p["on_podium"] == true && st["podium"].as_array().is_some_and(|x| x.len() == 1)
        })
    })
    .await;
    drop(call);

    // The kept window: a magenta synthetic participant joins first, yet lands in window 2.
    let r = a
        .post(format!("{}/api/v1/conferences/kept/live", s.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"action": "add_synthetic", "name": "Magenta", "colour": [255, 0, 255], "tone_hz": 440}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let xml = private_call_xml_for(200, 15000).replace("sip:closed@", "sip:kept@");
    let call = KillOnDrop(spawn(s.sip_port, d, "bob", &xml, &["-ap", "bob-secret-22"]));
    eventually("bob joined the kept room", || async {
        live(&a, &s, "kept").await["participants"].as_array().is_some_and(|p| p.len() == 2)
    })
    .await;
    let url = live(&a, &s, "kept").await["rtsp_url"].as_str().unwrap().to_string();
    let pic = tokio::task::spawn_blocking(move || grab(&url, 640, 360, 10)).await.unwrap();
    if let Ok(dir) = std::env::var("TESSERA_SCREENSHOTS") {
        pic.save_png(&std::path::Path::new(&dir).join("kept-window.png"));
    }
    let magenta = (255, 0, 255);
    // Grid of two: window 1 on the left, window 2 on the right.
    assert!(pic.near(480, 180, magenta, 60), "window 2 shows the synthetic participant: {:?}", pic.at(480, 180));
    assert!(!pic.near(160, 180, magenta, 60), "window 1 is bob's, not the first to join: {:?}", pic.at(160, 180));
    // Bob sends no video: his window shows his initial and his name (an empty window has none).
    assert!(pic.white_pixels(0, 312, 320, 48) > 40, "window 1 carries bob's name label");
    drop(call);

    // An operator invited as a plain participant moderates, and the owner cannot revoke it.
    s.add_user("olga", "olga-secret-33");
    s.admin_ok(&["license", "grant", "olga", "--permanent"], "");
    s.admin_ok(&["rights", "grant", "olga", "operator"], "");
    create(
        json!({"id": "ops", "name": "Ops", "kind": "room", "participants": [{"login": "olga", "role": "participant"}]}),
    )
    .await;
    let xml = private_call_xml_for(200, 15000).replace("sip:closed@", "sip:ops@");
    let call = KillOnDrop(spawn(s.sip_port, d, "olga", &xml, &["-ap", "olga-secret-33"]));
    eventually("olga joined as a moderator", || async {
        let st = live(&a, &s, "ops").await;
        st["participants"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "olga" && p["moderator"] == true))
    })
    .await;
    let st = live(&a, &s, "ops").await;
    let olga = st["participants"].as_array().unwrap().iter().find(|p| p["name"] == "olga").unwrap()["id"].clone();
    let r = a
        .post(format!("{}/api/v1/conferences/ops/live", s.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"action": "moderator", "participant": olga, "on": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("operator"));
    let st = live(&a, &s, "ops").await;
    assert!(st["participants"].as_array().unwrap().iter().any(|p| p["name"] == "olga" && p["moderator"] == true));
    drop(call);
}
