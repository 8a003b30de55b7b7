//! Scheduled conferences start and end on time, by themselves. Start times have minute
//! granularity, so this waits for the next minute boundary (up to about a minute).

use std::time::Duration;
use tessera_e2e::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_conference_starts_and_ends_on_time() {
    // Leave at least 15 s before the boundary, so the start is seen before the end.
    let secs = chrono::Utc::now().timestamp() % 60;
    if secs > 45 {
        tokio::time::sleep(Duration::from_secs((61 - secs) as u64)).await;
    }
    let now = chrono::Utc::now();
    let start = now.format("%Y-%m-%dT%H:%M").to_string();
    let end_at = now.timestamp() - now.timestamp() % 60 + 60;
    let mut s = Server::start();
    s.admin_ok(
        &["conference", "add", "sch", "--name", "Stand-up", "--owner", "admin", "--start", &start, "--duration", "1"],
        "",
    );
    let (c, _) = s.sign_in("admin", "admin-password").await;
    let live = |c: reqwest::Client, base: String| async move {
        let v: serde_json::Value =
            c.get(format!("{base}/api/v1/conferences/sch/live")).send().await.unwrap().json().await.unwrap();
        v["running"].as_bool().unwrap()
    };
    // The runtime looks at the schedule every second: the start shows within a few seconds even
    // on a busy machine, and the end within a few seconds of the boundary.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !live(c.clone(), s.base.clone()).await {
        assert!(std::time::Instant::now() < deadline, "the conference did not start within 10 s of its start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline =
        std::time::Instant::now() + Duration::from_secs((end_at - chrono::Utc::now().timestamp()).max(0) as u64 + 10);
    while live(c.clone(), s.base.clone()).await {
        assert!(std::time::Instant::now() < deadline, "the conference did not end within 10 s of its scheduled end");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events: serde_json::Value =
        c.get(format!("{}/api/v1/conferences/sch/events", s.base)).send().await.unwrap().json().await.unwrap();
    let ended = events.as_array().unwrap().iter().find(|e| e["kind"] == "ended").expect("an ended event").clone();
    assert_eq!(ended["detail"], "the scheduled end");
    let at = ended["at_ms"].as_i64().unwrap() / 1000;
    // The server's own record of the end: its one-second look at the schedule, plus a second of
    // slack for a loaded machine.
    assert!((end_at..=end_at + 2).contains(&at), "ended at {at}, scheduled {end_at}");
    assert!(s.stop().success());
}
