//! Upgrades: for every release in `packaging/releases.txt`, a database is built with that
//! release's own migrations (read from git at its commit, not from today's tree) and filled with
//! `tests/upgrade/VERSION.sql`; the current binary then starts on it, migrates it forward, and
//! every kind of row is still there through the API users and administrators use. A database
//! that a newer Tessera has migrated is refused with a message saying so, and left untouched.

use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{Connection, Executor};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use tessera_e2e::Server;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `(version, commit)` for every line of `packaging/releases.txt`.
fn releases() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("packaging/releases.txt")).expect("packaging/releases.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (v, c) = l.split_once('\t').unwrap_or_else(|| panic!("releases.txt: not VERSION<TAB>COMMIT: {l:?}"));
            (v.to_string(), c.trim().to_string())
        })
        .collect()
}

/// Writes `web/migrations` as it was at `commit` under `into`; fails loudly without git or
/// without the commit (a shallow clone).
fn migrations_at(commit: &str, into: &Path) -> PathBuf {
    let archive = Command::new("git")
        .current_dir(repo_root())
        .args(["archive", "--format=tar", commit, "web/migrations"])
        .output()
        .expect("git is needed to read a release's migrations");
    assert!(
        archive.status.success(),
        "git archive {commit} web/migrations failed (a shallow clone lacks the release; fetch its history): {}",
        String::from_utf8_lossy(&archive.stderr)
    );
    let tar = into.join("migrations.tar");
    std::fs::write(&tar, &archive.stdout).unwrap();
    let st = Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(into).status().expect("tar");
    assert!(st.success(), "tar -xf failed");
    into.join("web/migrations")
}

async fn old_database(version: &str, commit: &str, dir: &Path) -> PathBuf {
    let migrations = migrations_at(commit, dir);
    let db = dir.join("tessera.db");
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display())).unwrap().create_if_missing(true);
    let pool = SqlitePool::connect_with(opts).await.unwrap();
    sqlx::migrate::Migrator::new(migrations.as_path()).await.unwrap().run(&pool).await.unwrap();
    let fixture = std::fs::read_to_string(repo_root().join(format!("tests/upgrade/{version}.sql")))
        .unwrap_or_else(|e| panic!("tests/upgrade/{version}.sql: {e} (every release in releases.txt needs one)"));
    let mut sql = fixture;
    for who in ["root", "alice", "bob"] {
        let hash = tessera_web::auth::password::hash(&format!("{who}-password")).unwrap();
        sql = sql.replace(&format!("{{{who}_hash}}"), &hash);
    }
    // The fixture is this repository's own file, the hashes are argon2 strings.
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{version}.sql does not fit {version}'s schema: {e}"));
    pool.close().await;
    db
}

async fn get(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.json().await.unwrap()
}

fn has(v: &Value, needle: &str) -> bool {
    v.to_string().contains(needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_release_database_opens_in_this_version_with_its_data() {
    let releases = releases();
    assert!(!releases.is_empty(), "packaging/releases.txt lists no release");
    for (version, commit) in releases {
        let dir = tempfile::tempdir().unwrap();
        let db = old_database(&version, &commit, dir.path()).await;
        let url = format!("sqlite://{}", db.display());
        let s = Server::start_with(&[], &[("TESSERA_DATABASE_URL", &url)]);
        assert!(!s.log().contains("first start"), "{version}: the server took the database for a new one");

        let (alice, _) = s.sign_in("alice", "alice-password").await;
        let me = get(&alice, format!("{}/api/v1/me", s.base)).await;
        for want in ["Alice Liddell", "Wonderland Ltd", "Europe/Moscow", "create_conferences", "permanent"] {
            assert!(has(&me, want), "{version}: /me lacks {want}: {me}");
        }
        let board = get(&alice, format!("{}/api/v1/conferences/board-meeting", s.base)).await;
        for want in ["Board meeting", "4321", "Room 101", "role_based", "Europe/Moscow"] {
            assert!(has(&board, want), "{version}: the scheduled conference lacks {want}: {board}");
        }
        let edit = get(&alice, format!("{}/api/v1/conferences/board-meeting/settings", s.base)).await;
        for want in ["bob", "moderator", "sip:boardroom@pbx.example.org"] {
            assert!(has(&edit, want), "{version}: the scheduled conference's invitees lack {want}: {edit}");
        }
        let room = get(&alice, format!("{}/api/v1/conferences/alice-room", s.base)).await;
        assert!(has(&room, "Alice's room"), "{version}: {room}");
        let contacts = get(&alice, format!("{}/api/v1/contacts", s.base)).await;
        for want in ["Bob Builder", "Lobby phone", "sip:lobby@pbx.example.org"] {
            assert!(has(&contacts, want), "{version}: contacts lack {want}: {contacts}");
        }
        let chat = get(&alice, format!("{}/api/v1/conferences/alice-room/chat", s.base)).await;
        assert!(has(&chat, "Down the rabbit hole"), "{version}: chat: {chat}");
        let events = get(&alice, format!("{}/api/v1/conferences/alice-room/events", s.base)).await;
        assert!(has(&events, "joined") && has(&events, "Alice Liddell"), "{version}: events: {events}");
        let calls = get(&alice, format!("{}/api/v1/me/calls", s.base)).await;
        assert!(has(&calls, "answered"), "{version}: call history: {calls}");

        let (bob, _) = s.sign_in("bob", "bob-password").await;
        let bob_me = get(&bob, format!("{}/api/v1/me", s.base)).await;
        assert!(has(&bob_me, "operator") && has(&bob_me, "temporary"), "{version}: {bob_me}");

        let (root, _) = s.sign_in("root", "root-password").await;
        let users = get(&root, format!("{}/api/v1/admin/users", s.base)).await;
        assert!(has(&users, "alice") && has(&users, "bob"), "{version}: admin users: {users}");
        let settings = get(&root, format!("{}/api/v1/admin/settings", s.base)).await;
        let lockout = settings
            .as_array()
            .or_else(|| settings["settings"].as_array())
            .and_then(|a| a.iter().find(|x| x["key"] == "lockout.max_attempts"))
            .unwrap_or_else(|| panic!("{version}: no lockout.max_attempts in {settings}"));
        assert!(lockout.to_string().contains('7'), "{version}: the lockout setting was not kept: {lockout}");
        let audit = get(&root, format!("{}/api/v1/admin/audit", s.base)).await;
        assert!(has(&audit, "Create user alice"), "{version}: audit: {audit}");
        drop(s);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_a_newer_version_is_refused_and_left_alone() {
    let (version, commit) = releases().pop().expect("a release");
    let dir = tempfile::tempdir().unwrap();
    let db = old_database(&version, &commit, dir.path()).await;
    let url = format!("sqlite://{}", db.display());
    // Bring it to today's schema, then pretend a newer build added a migration.
    drop(Server::start_with(&[], &[("TESSERA_DATABASE_URL", &url)]));
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    conn.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101, 'from the future', 1, x'00', 0)",
    )
    .await
    .unwrap();
    conn.close().await.unwrap();
    let before = std::fs::read(&db).unwrap();

    let data = dir.path().join("data").display().to_string();
    let listen = |var: &str| (var.to_string(), format!("127.0.0.1:{}", tessera_e2e::free_port()));
    let out = tessera_e2e::tessera_cmd()
        .arg("serve")
        .envs([
            ("TESSERA_DATABASE_URL".to_string(), url.clone()),
            ("TESSERA_DATA_DIR".to_string(), data),
            listen("TESSERA_HTTP_LISTEN"),
            listen("TESSERA_SIP_LISTEN"),
            listen("TESSERA_RTSP_LISTEN"),
            listen("TESSERA_METRICS_LISTEN"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the server started on a newer database: {text}");
    assert!(text.contains("newer Tessera") && text.contains("99990101"), "{text}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the refused database was changed");
}
