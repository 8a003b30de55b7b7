//! Two nodes sharing one PostgreSQL: both register and beat; a conference runs on the node that
//! holds its lease and the other refuses to run it too, saying where it runs; when the owner is
//! killed (SIGKILL, no goodbye), its lease expires and the other node may run the conference;
//! the old owner, back, no longer may; a node that stops cleanly leaves at once.

use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};
use tessera_e2e::Server;
use tessera_e2e::live_api::{Api, BLUE, synthetic};

fn psql(url: &str, sql: &str) -> String {
    let o = Command::new("psql").args(["-XtA", "-v", "ON_ERROR_STOP=1", url, "-c", sql]).output().expect("psql");
    assert!(o.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A database of its own on the test PostgreSQL (`TESSERA_TEST_POSTGRES_URL`, which
/// `scripts/test.sh` sets up), dropped at the end.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    fn create() -> Database {
        let admin_url = std::env::var("TESSERA_TEST_POSTGRES_URL")
            .expect("TESSERA_TEST_POSTGRES_URL: the nodes test needs PostgreSQL (scripts/test.sh sets it up)");
        let name = format!("tessera_nodes_{}", std::process::id());
        psql(&admin_url, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(&admin_url, &format!("CREATE DATABASE {name}"));
        let url = format!("{}/{name}", admin_url.rsplit_once('/').expect("a database URL").0);
        Database { admin_url, name, url }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-XtA", &self.admin_url, "-c", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .output();
    }
}

fn node(db: &Database, config: &str, name: &str) -> Server {
    Server::start_with(
        &[],
        &[("TESSERA_DATABASE_URL", &db.url), ("TESSERA_CONFIG", config), ("TESSERA_NODE_NAME", name)],
    )
}

async fn start(api: &Api) -> (u16, Value) {
    api.live("hall", synthetic("Speaker", BLUE, 0)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_runs_a_conference_and_another_takes_it_when_the_owner_dies() {
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tessera.toml");
    std::fs::write(&config, "[cluster]\nlease_seconds = 3\ncapacity = 40\n").unwrap();
    let config = config.display().to_string();
    // One after the other: the first makes the schema and the administrator.
    let mut a = node(&db, &config, "node-a");
    let mut b = node(&db, &config, "node-b");
    a.admin_ok(&["conference", "add", "hall", "--name", "Hall", "--owner", "admin", "--room", "--public"], "");

    let api_a = Api::new(&a, "admin", "admin-password").await;
    let api_b = Api::new(&b, "admin", "admin-password").await;
    let (code, state) = start(&api_a).await;
    assert_eq!(code, 200, "{state}");
    let (code, refused) = start(&api_b).await;
    assert_eq!(code, 503, "node-b ran the conference node-a runs: {refused}");
    assert!(refused.to_string().contains("runs on node \\\"node-a\\\""), "{refused}");

    // Both beat: their rows say what runs where.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = psql(&db.url, "SELECT name, capacity, participants, conferences FROM nodes ORDER BY name");
        if rows == "node-a|40|1|1\nnode-b|40|0|0" {
            break;
        }
        assert!(Instant::now() < deadline, "the nodes' rows stayed {rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(psql(&db.url, "SELECT node FROM conference_leases WHERE conference_id = 'hall'"), "node-a");

    // node-a dies without a word: once its lease expires, node-b runs the conference.
    a.kill9();
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(60);
    loop {
        let (code, state) = start(&api_b).await;
        if code == 200 {
            break;
        }
        assert!(code == 503 && Instant::now() < deadline, "node-b never took the conference: {code} {state}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("node-b took the conference {:.1} s after node-a was killed", killed.elapsed().as_secs_f64());
    assert_eq!(psql(&db.url, "SELECT node FROM conference_leases WHERE conference_id = 'hall'"), "node-b");

    // node-a comes back: the conference is node-b's now.
    a.restart();
    let api_a = Api::new(&a, "admin", "admin-password").await;
    let (code, refused) = start(&api_a).await;
    assert_eq!(code, 503, "node-a ran the conference node-b runs: {refused}");
    assert!(refused.to_string().contains("node-b"), "{refused}");

    // node-b stops cleanly: its row and leases go at once, and node-a may run the conference.
    api_b.ok("hall", json!({"action": "end"})).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while psql(&db.url, "SELECT count(*) FROM conference_leases") != "0" {
        assert!(Instant::now() < deadline, "the ended conference kept its lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.stop();
    assert_eq!(psql(&db.url, "SELECT count(*) FROM conference_leases WHERE node = 'node-b'"), "0");
    assert_eq!(psql(&db.url, "SELECT name FROM nodes ORDER BY name"), "node-a");
    let (code, state) = start(&api_a).await;
    assert_eq!(code, 200, "{state}");
    a.stop();
    let log = a.log();
    assert!(log.contains("this node beats in the database") && log.contains("node-a"), "{log}");
}
