//! Devices attached to the server stored with a conference: attached by `tessera devices
//! attach` (another process) or the API, they join whenever the conference runs, hold a room
//! open when asked to, come back after a restart, and leave when detached; what cannot be
//! attached is refused naming the field, and nothing is stored. The room's microphone and
//! loudspeaker are ALSA `file` PCMs fed in real time (`tessera_e2e::alsa`).

use serde_json::{Value, json};
use std::time::Duration;
use tessera_e2e::alsa::room;
use tessera_e2e::live_api::{Api, BLUE, synthetic};

/// The participants of `conf` now, and whether it runs.
async fn live(api: &Api, conf: &str) -> (bool, Vec<Value>) {
    let (_, v) = api.get(&format!("/api/v1/conferences/{conf}/live")).await;
    (v["running"] == true, v["participants"].as_array().cloned().unwrap_or_default())
}

/// Waits (10 s at most) until `check` holds of `conf`'s state.
async fn until(api: &Api, conf: &str, what: &str, check: impl Fn(bool, &[Value]) -> bool) {
    for _ in 0..100 {
        let (running, people) = live(api, conf).await;
        if check(running, &people) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within 10 s: {what}: {:?}", live(api, conf).await);
}

fn local_named<'a>(people: &'a [Value], name: &str) -> Option<&'a Value> {
    people.iter().find(|p| p["name"] == name && p["kind"] == "local")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attached_devices_join_whenever_their_conference_runs_and_survive_a_restart() {
    let room = room(1000.0);
    let home = room.home.path().display().to_string();
    let mut s = tessera_e2e::Server::start_with(&[], &[("TESSERA_DEVICES", "true"), ("HOME", &home)]);
    s.admin_ok(&["conference", "add", "hall", "--name", "Hall", "--owner", "admin", "--room", "--public"], "");
    s.admin_ok(&["conference", "add", "huddle", "--name", "Huddle", "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s, "admin", "admin-password").await;

    // What the machine has, for choosing.
    let (st, have) = api.get("/api/v1/devices").await;
    assert_eq!(st, 200, "{have}");
    assert!(have["microphones"].as_array().unwrap().iter().any(|d| d["id"] == "alsa:testmic"), "{have}");
    assert!(have["speakers"].as_array().unwrap().iter().any(|d| d["id"] == "alsa:testspk"), "{have}");

    // Refused, naming the field; nothing stored.
    for (body, status, field) in [
        (json!({"name": "B", "microphone": "alsa:nothing"}), 422, "microphone"),
        (json!({"name": "B", "speaker": "alsa:testspk"}), 422, "camera"),
        (json!({"name": "B", "camera": "v4l:video7"}), 422, "camera"),
        (json!({"name": " ", "microphone": "alsa:testmic"}), 422, "name"),
        (json!({"name": "B", "microphone": "alsa:testmic", "speaker": "hw:9"}), 422, "speaker"),
        (json!({"name": "B", "microphone": "alsa:testmic", "colour": 1}), 422, "colour"),
    ] {
        let (st, v) = api.post("/api/v1/conferences/hall/devices", body.clone()).await;
        assert_eq!(st, status, "{body}: {v}");
        assert!(v["error"].as_str().is_some_and(|e| e.contains(field)), "{body}: {v}");
    }
    assert_eq!(api.get("/api/v1/conferences/hall/devices").await.1, json!([]));

    // Attached from the command line while the server runs: the room starts for its devices.
    let out = s.command(&[
        "devices",
        "attach",
        "hall",
        "--name",
        "Hall A",
        "--microphone",
        "alsa:testmic",
        "--speaker",
        "alsa:testspk",
        "--start-room",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, stored) = api.get("/api/v1/conferences/hall/devices").await;
    let attachment = stored[0]["id"].as_i64().unwrap();
    assert_eq!((stored[0]["name"].as_str(), stored[0]["start_room"].as_bool()), (Some("Hall A"), Some(true)));
    until(&api, "hall", "the hall starts with its devices", |running, people| {
        running && local_named(people, "Hall A").is_some_and(|p| p["attachment"] == attachment)
    })
    .await;
    assert!(s.log().contains("room started for the devices attached to it"), "{}", s.log());

    // The same microphone twice in one conference: 409 naming it, nothing stored.
    let (st, v) =
        api.post("/api/v1/conferences/hall/devices", json!({"name": "Again", "microphone": "alsa:testmic"})).await;
    assert_eq!(st, 409, "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("microphone: alsa:testmic"), "{v}");
    assert_eq!(api.get("/api/v1/conferences/hall/devices").await.1.as_array().unwrap().len(), 1);

    // Someone comes and goes: the room held for its devices stays open.
    let guest = api.ok("hall", synthetic("Guest", BLUE, 440)).await["joined"].as_u64().unwrap();
    api.ok("hall", json!({"action": "remove", "participant": guest})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (running, people) = live(&api, "hall").await;
    assert!(running && local_named(&people, "Hall A").is_some(), "{people:?}");

    // After a restart, the room is open again with its devices.
    s.stop();
    s.restart();
    let api = Api::new(&s, "admin", "admin-password").await;
    until(&api, "hall", "the hall starts again after a restart", |running, people| {
        running && local_named(people, "Hall A").is_some()
    })
    .await;

    // Detached: the devices leave (and are free for another conference).
    assert_eq!(api.delete(&format!("/api/v1/conferences/hall/devices/{attachment}")).await, 204);
    until(&api, "hall", "the devices leave when detached", |_, people| local_named(people, "Hall A").is_none()).await;
    assert_eq!(api.delete(&format!("/api/v1/conferences/hall/devices/{attachment}")).await, 404);

    // Attached while the huddle runs, keeping it open: Hall B joins at once, and the huddle
    // stays open when its people leave, until the attachment is removed.
    let guest = api.ok("huddle", synthetic("Guest", BLUE, 440)).await["joined"].as_u64().unwrap();
    let body = json!({"name": "Hall B", "microphone": "alsa:testmic", "start_room": true});
    let (st, v) = api.post("/api/v1/conferences/huddle/devices", body).await;
    assert_eq!(st, 201, "{v}");
    until(&api, "huddle", "Hall B joins the running huddle", |_, people| local_named(people, "Hall B").is_some()).await;
    api.ok("huddle", json!({"action": "remove", "participant": guest})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(live(&api, "huddle").await.0, "the huddle held for Hall B ended");
    assert_eq!(api.delete(&format!("/api/v1/conferences/huddle/devices/{}", v["id"])).await, 204);
    until(&api, "huddle", "the huddle ends once nothing holds it", |running, _| !running).await;

    // Attached without start_room: the huddle does not start for them; they join when it runs,
    // and do not keep it open once its people have left.
    let (st, v) =
        api.post("/api/v1/conferences/huddle/devices", json!({"name": "Hall B", "microphone": "alsa:testmic"})).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["echo_cancellation"], true, "{v}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!live(&api, "huddle").await.0, "the huddle started by itself");
    let guest = api.ok("huddle", synthetic("Guest", BLUE, 440)).await["joined"].as_u64().unwrap();
    until(&api, "huddle", "Hall B joins when the huddle runs", |_, people| local_named(people, "Hall B").is_some())
        .await;
    // A camera preset needs a camera.
    let hall_b = v["id"].as_i64().unwrap();
    let (st, v) = put(&api, &format!("/api/v1/conferences/huddle/devices/{hall_b}/presets/Lectern")).await;
    assert_eq!(st, 409, "{v}");
    api.ok("huddle", json!({"action": "remove", "participant": guest})).await;
    until(&api, "huddle", "the huddle ends when its people have left", |running, _| !running).await;
}

async fn put(api: &Api, path: &str) -> (u16, Value) {
    let r = api.c.put(format!("{}{path}", api.base)).header("x-csrf-token", &api.csrf).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// An operator's right is needed to attach the server's devices, and the machine's list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_operators_attach_the_servers_devices() {
    let s = tessera_e2e::Server::start_with(&[], &[("TESSERA_DEVICES", "true")]);
    s.add_user("olga", "olga-password-1");
    s.admin_ok(&["conference", "add", "mine", "--name", "Mine", "--owner", "olga", "--room"], "");
    let api = Api::new(&s, "olga", "olga-password-1").await;
    assert_eq!(api.get("/api/v1/devices").await.0, 403);
    let (st, v) = api.post("/api/v1/conferences/mine/devices", json!({"name": "B", "microphone": "alsa:null"})).await;
    assert_eq!(st, 403, "{v}");
    // Another's conference is not even seen.
    s.admin_ok(&["conference", "add", "theirs", "--name", "Theirs", "--owner", "admin", "--room"], "");
    assert_eq!(api.get("/api/v1/conferences/theirs/devices").await.0, 404);
}

/// The conference manager's panel: an operator attaches the room's microphone from the page,
/// sees it join, and detaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_attach_and_detach_from_the_conference_manager() {
    let room = room(1000.0);
    let home = room.home.path().display().to_string();
    let s = tessera_e2e::Server::start_with(&[], &[("TESSERA_DEVICES", "true"), ("HOME", &home)]);
    s.admin_ok(&["conference", "add", "lobby", "--name", "Lobby", "--owner", "admin", "--room"], "");
    let r = tessera_e2e::browser_scenario(&s, "server_devices", &[("BASE", &s.base), ("CONF", "lobby")]).await;
    assert!(r["empty"].as_str().unwrap().contains("Nothing attached"), "{r}");
    assert!(r["refused"].as_str().unwrap().starts_with("camera:"), "{r}");
    assert!(r["listed"].as_str().unwrap().contains("alsa:testmic"), "{r}");
    assert!(r["listed"].as_str().unwrap().contains("keeps the room open"), "{r}");
    assert!(r["roster"].as_str().unwrap().contains("local"), "{r}");
    let api = Api::new(&s, "admin", "admin-password").await;
    assert_eq!(api.get("/api/v1/conferences/lobby/devices").await.1, json!([]));
}
