//! The default layout grows with the conference, end to end: five synthetic participants are
//! seen in a 3x2 grid over RTSP, the grid shrinks as they leave, and an operator's layout holds
//! until it is discarded.

use serde_json::{Value, json};
use tessera_e2e::Server;
use tessera_e2e::live_api::{Api, BLUE, GREEN, RED, YELLOW, synthetic};
use tessera_e2e::media::grab;

const W: usize = 640;
const H: usize = 360;

fn on_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> tokio::task::JoinHandle<T> {
    tokio::task::spawn_blocking(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_grid_grows_so_the_fifth_participant_is_seen() {
    let s = Server::start();
    s.admin_ok(&["conference", "add", "g1", "--name", "Growing room", "--owner", "admin", "--room"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    const MAGENTA: (u8, u8, u8) = (220, 40, 220);
    let mut live = Value::Null;
    for (name, c) in [("Red", RED), ("Green", GREEN), ("Blue", BLUE), ("Yellow", YELLOW), ("Magenta", MAGENTA)] {
        live = api.ok("g1", synthetic(name, c, 0)).await;
    }
    // Five participants: the grid for everyone has six windows (3x2), filled in join order,
    // and the state says it adapts.
    assert_eq!(live["adaptive"], true, "{live}");
    assert_eq!(live["layouts"]["all"]["windows"], 6, "{live}");
    let ids: Vec<Value> = live["participants"].as_array().unwrap().iter().map(|p| p["id"].clone()).collect();
    let shown = live["shown"].as_array().unwrap();
    assert_eq!(&shown[..5], &ids[..], "{live}");
    assert_eq!(shown[5], Value::Null);
    // The picture: three columns and two rows, the fifth participant in the middle of the
    // second row (a 213x180 window, its 16:9 picture letterboxed around the centre).
    let url = live["rtsp_url"].as_str().unwrap().to_string();
    let pic = on_blocking(move || grab(&url, W, H, 20)).await.unwrap();
    pic.save_png(&s.dir.path().join("grid6.png"));
    for (i, (x, y, c)) in [(106, 90, RED), (320, 90, GREEN), (533, 90, BLUE), (106, 270, YELLOW), (320, 270, MAGENTA)]
        .into_iter()
        .enumerate()
    {
        assert!(pic.near(x, y, c, 40), "window {i} at ({x},{y}) is {:?}, expected {c:?}", pic.at(x, y));
    }
    // An operator's layout stays as the roster changes; discarding it brings the grid back.
    api.ok("g1", json!({"action": "apply_layout", "scope": "all", "layout": {"windows": 4}})).await;
    let live = api.ok("g1", json!({"action": "remove", "participant": ids[4]})).await;
    assert_eq!((live["adaptive"].clone(), live["layouts"]["all"]["windows"].clone()), (json!(false), json!(4)));
    let live = api.ok("g1", json!({"action": "apply_layout", "scope": "all", "layout": null})).await;
    assert_eq!((live["adaptive"].clone(), live["layouts"]["all"]["windows"].clone()), (json!(true), json!(4)));
    let live = api.ok("g1", json!({"action": "remove", "participant": ids[3]})).await;
    assert_eq!(live["layouts"]["all"]["windows"], 4, "three participants: 2x2");
    let live = api.ok("g1", json!({"action": "remove", "participant": ids[2]})).await;
    assert_eq!(live["layouts"]["all"]["windows"], 2, "two: side by side");
}
