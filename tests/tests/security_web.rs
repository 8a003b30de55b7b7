//! Attacks on the web sign-in, performed against the real binary (issue 19):
//! - the administrator password once published with a committed database no longer opens
//!   anything: Tessera replaces it at start-up and makes the account choose its own first;
//! - a burst of concurrent wrong passwords gets no more checks than the lockout policy allows,
//!   the right password afterwards is refused, and the burst does not balloon the memory;
//! - `next` after sign-in cannot send the browser to another site;
//! - a login with a newline cannot forge a line in the server's log;
//! - `/metrics` is not on the public listener, and a client that trickles its request headers
//!   (slowloris) is cut off.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use tessera_e2e::Server;
use tessera_e2e::sip::register_sha256;

/// What `tessera-data/` held when it was committed: the password, its argon2id hash and the SIP
/// digest secrets (HA1, MD5 and SHA-256) of `admin`.
const PUBLISHED: &str = "pkmTBGy4gxR7aGQ8f2CN";
const PUBLISHED_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$5tuWdmMUo7LZ/iknLOZrQw$a3rZXv5nJVK0FVUWR4QHypKVEoVD8w/P1/QChh6JhIQ";
const PUBLISHED_HA1_MD5: &str = "5e43b07d6bebaeb9026c09aae2c5d823";
const PUBLISHED_HA1_SHA256: &str = "b8f2e9af0a9a06c80af408b253195f1d4c101872403a9a73826273d486a7fa46";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn sign_in_status(s: &Server, c: &reqwest::Client, login: &str, password: &str) -> u16 {
    c.post(format!("{}/api/v1/session", s.base))
        .json(&serde_json::json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_published_admin_password_opens_nothing() {
    let mut s = Server::start();
    s.stop();
    // Make this installation one that started from the committed database.
    let db = s.data_dir().join("tessera.db");
    let script = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n\
        c.execute(\"UPDATE users SET password_hash = ? WHERE login = 'admin'\", (sys.argv[2],))\n\
        c.execute(\"UPDATE sip_digests SET ha1_md5 = ?, ha1_sha256 = ? WHERE user_id = (SELECT id FROM users WHERE login = 'admin')\", (sys.argv[3], sys.argv[4]))\n\
        c.commit()\n";
    let ok = Command::new("python3")
        .args(["-c", script, db.to_str().unwrap(), PUBLISHED_HASH, PUBLISHED_HA1_MD5, PUBLISHED_HA1_SHA256])
        .status()
        .expect("python3")
        .success();
    assert!(ok, "could not write the published credentials into {}", db.display());
    s.restart();
    let log = s.log();
    assert!(log.contains("password was published"), "no warning at start-up:\n{log}");

    // The published password opens neither the web nor SIP.
    let c = no_redirects();
    assert_eq!(sign_in_status(&s, &c, "admin", PUBLISHED).await, 401, "the published password signed in");
    assert_eq!(register_sha256(s.sip_port, "admin", PUBLISHED), 403, "the published password registered over SIP");

    // The replacement is in a file only the service user can read, in a private data directory.
    let file = s.data_dir().join("reset-password-admin");
    let mode = std::fs::metadata(&file).expect("reset-password-admin written").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{} has mode {mode:o}", file.display());
    let dir_mode = std::fs::metadata(s.data_dir()).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o777, 0o700, "the data directory has mode {dir_mode:o}");
    let handed_out = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert!(!log.contains(&handed_out), "the new password was logged");

    // It signs in, and then nothing but the password change is reachable.
    let r = c
        .post(format!("{}/api/v1/session", s.base))
        .json(&serde_json::json!({"login": "admin", "password": handed_out}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csrf = r.json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let r = c.get(format!("{}/api/v1/me", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 403, "the API answered before the password was changed");
    assert!(r.text().await.unwrap().contains("new password"));
    let r = c.get(format!("{}/home", s.base)).send().await.unwrap();
    assert_eq!(r.headers().get("location").map(|v| v.to_str().unwrap()), Some("/password"), "{}", r.status());
    let r = c.get(format!("{}/password", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("must be changed"));
    assert_eq!(register_sha256(s.sip_port, "admin", &handed_out), 403, "SIP before the change");

    // The published password cannot be chosen again; a wrong current one is refused at its field.
    let change = |current: &str, new: &str| {
        c.post(format!("{}/api/v1/me/password", s.base))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"current_password": current, "new_password": new}))
            .send()
    };
    let r = change(&handed_out, PUBLISHED).await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["field"], "new_password");
    let r = change("not-the-password", "admins-own-password").await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["field"], "current_password");
    let r = change(&handed_out, "admins-own-password").await.unwrap();
    assert_eq!(r.status(), 204);

    // The change ended the session; the new password works everywhere.
    assert_eq!(c.get(format!("{}/api/v1/me", s.base)).send().await.unwrap().status(), 401);
    let (c, _) = s.sign_in("admin", "admins-own-password").await;
    assert_eq!(c.get(format!("{}/api/v1/me", s.base)).send().await.unwrap().status(), 200);
    assert_eq!(register_sha256(s.sip_port, "admin", "admins-own-password"), 200);
    // The next start leaves the chosen password alone.
    s.stop();
    s.restart();
    let _ = s.sign_in("admin", "admins-own-password").await;
}

#[tokio::test]
async fn a_burst_of_guesses_gets_no_more_checks_than_the_policy() {
    let s = Server::start();
    s.add_user("alice", "alice-secret-1");
    let before_kb = s.proc_status_kb("VmHWM");

    // 101 wrong passwords at once (the default policy locks after 5).
    let c = s.client();
    let burst = (0..101).map(|i| {
        let c = c.clone();
        let url = format!("{}/api/v1/session", s.base);
        async move {
            let r = c.post(url).json(&serde_json::json!({"login": "alice", "password": format!("guess-{i}")})).send();
            r.await.unwrap().status().as_u16()
        }
    });
    let statuses = futures_util::future::join_all(burst).await;
    let count = |code: u16| statuses.iter().filter(|&&c| c == code).count();
    let (wrong, locked, busy) = (count(401), count(423), count(503));
    assert_eq!(wrong + locked + busy, 101, "unexpected answers: {statuses:?}");
    // The fifth checked guess locks the account as it fails, so at most four plain refusals.
    assert!(wrong <= 4, "{wrong} guesses were answered 'wrong password' (limit 5): {statuses:?}");
    assert!(s.log().contains("account locked after failed sign-ins"), "{}", s.log());
    // The right password after the burst is refused: the account is locked.
    assert_eq!(sign_in_status(&s, &c, "alice", "alice-secret-1").await, 423);

    // At most a few argon2id checks ran at once (19 MiB each; unbounded, 101 took 2 GB).
    let grown_mib = s.proc_status_kb("VmHWM").saturating_sub(before_kb) / 1024;
    assert!(grown_mib < 256, "the burst raised peak memory by {grown_mib} MiB");
}

#[tokio::test]
async fn next_after_sign_in_stays_on_this_site() {
    let s = Server::start();
    s.add_user("bob", "bob-secret-22");
    let c = no_redirects();
    for next in ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "https://evil.example", "/%0a/evil"] {
        let page = c.get(format!("{}/login?next={next}", s.base)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(r#"name="next" value="/home""#), "next={next} was kept in the form");
    }
    // The form posted with a hostile next still lands at home.
    let page = c.get(format!("{}/login", s.base)).send().await.unwrap().text().await.unwrap();
    let csrf = page.split(r#"name="csrf" value=""#).nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let r = c
        .post(format!("{}/login", s.base))
        .form(&[("login", "bob"), ("password", "bob-secret-22"), ("csrf", &csrf), ("next", "/\t/evil.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("location").map(|v| v.to_str().unwrap()), Some("/home"), "{}", r.status());
}

#[tokio::test]
async fn a_newline_in_a_login_forges_no_log_line() {
    let s = Server::start();
    let c = s.client();
    for _ in 0..6 {
        sign_in_status(&s, &c, "mallory\n2026-01-01T00:00:00Z  INFO signed in login=admin", "x").await;
    }
    let log = s.log();
    assert!(log.contains("account locked after failed sign-ins"), "{log}");
    assert!(!log.lines().any(|l| l.starts_with("2026-01-01")), "a forged line:\n{log}");
}

#[tokio::test]
async fn metrics_are_private_and_slow_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("http.toml");
    std::fs::write(&cfg, "[http]\nheader_read_timeout_seconds = 2\n").unwrap();
    let s = Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    let c = s.client();
    assert_eq!(c.get(format!("{}/metrics", s.base)).send().await.unwrap().status(), 404);
    let m = c.get(&s.metrics).send().await.unwrap();
    assert_eq!(m.status(), 200);
    assert!(m.text().await.unwrap().contains("tessera_"), "no Tessera metrics on the metrics listener");

    // A request whose header section trickles in, one byte a second, never completes.
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", s.port)).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.unwrap();
    let started = std::time::Instant::now();
    let mut closed = false;
    for _ in 0..15 {
        if conn.write_all(b"a").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        match tokio::time::timeout(std::time::Duration::from_secs(1), conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {
                // A 408 before closing is fine too.
                closed = true;
                break;
            }
            Err(_) => {}
        }
    }
    assert!(closed, "a trickled header section kept its connection for {:?}", started.elapsed());
    // The server still answers everyone else (a new connection: the pooled one was idle as long
    // as the header timeout, which closes idle keep-alive connections too).
    assert_eq!(reqwest::get(format!("{}/healthz", s.base)).await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_password_change_is_guarded_like_the_sign_in() {
    let s = Server::start();
    s.add_user("erin", "erin-secret-5");
    let (c, csrf) = s.sign_in("erin", "erin-secret-5").await;
    let url = format!("{}/api/v1/me/password", s.base);
    let body = |current: &str| serde_json::json!({"current_password": current, "new_password": "a-new-password"});
    // Without the CSRF token: refused.
    assert_eq!(c.post(&url).json(&body("erin-secret-5")).send().await.unwrap().status(), 403);
    // Guessing the current password counts like sign-in failures: the fifth locks the account…
    let mut last = 0;
    for i in 0..5 {
        let r = c.post(&url).header("x-csrf-token", &csrf).json(&body(&format!("guess-{i}"))).send().await.unwrap();
        last = r.status().as_u16();
    }
    assert_eq!(last, 423, "five wrong current passwords did not lock the account");
    // …and then even the right one changes nothing.
    let r = c.post(&url).header("x-csrf-token", &csrf).json(&body("erin-secret-5")).send().await.unwrap();
    assert_eq!(r.status(), 423);
    assert_eq!(sign_in_status(&s, &s.client(), "erin", "a-new-password").await, 423);
}

/// Reads a WebSocket until it closes; the close code and reason, or `None` if it stayed open
/// past the deadline.
async fn closed_within(ws: &mut tessera_e2e::ws::Ws, secs: u64) -> Option<(u16, String)> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Close(f)))) => {
                return Some(f.map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string())));
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_)) | None) => return Some((1006, String::new())),
        }
    }
}

#[tokio::test]
async fn an_open_manager_page_closes_when_its_user_loses_the_right() {
    let s = Server::start();
    s.add_user("alice", "alice-password");
    s.add_user("mona", "mona-password");
    s.admin_ok(&["conference", "add", "ops", "--name", "Ops", "--owner", "alice", "--room"], "");
    s.admin_ok(&["conference", "invite", "ops", "mona", "--role", "moderator"], "");
    let origin = format!("http://127.0.0.1:{}", s.port);
    let path = "/conferences/ops/manage/ws";
    // The owner's page, and a second session of hers that signs out.
    let (alice, _) = tessera_e2e::ws::sign_in_cookie(&s, "alice", "alice-password").await;
    let (alice2, csrf2) = tessera_e2e::ws::sign_in_cookie(&s, "alice", "alice-password").await;
    let (mona, _) = tessera_e2e::ws::sign_in_cookie(&s, "mona", "mona-password").await;
    let mut a = tessera_e2e::ws::connect_path(&s, path, Some(&alice), Some(&origin)).await.expect("alice's page");
    let mut a2 = tessera_e2e::ws::connect_path(&s, path, Some(&alice2), Some(&origin)).await.expect("alice's 2nd page");
    let mut m = tessera_e2e::ws::connect_path(&s, path, Some(&mona), Some(&origin)).await.expect("mona's page");
    assert_eq!(closed_within(&mut a, 2).await, None, "an allowed page stays open");

    // Signing out closes that session's page only.
    let r = reqwest::Client::new()
        .delete(format!("{}/api/v1/session", s.base))
        .header("cookie", &alice2)
        .header("x-csrf-token", &csrf2)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (code, why) = closed_within(&mut a2, 15).await.expect("the signed-out page closes");
    assert_eq!((code, why.as_str()), (1008, "signed out"));

    // A moderator made a plain participant loses the manager.
    s.admin_ok(&["conference", "invite", "ops", "mona", "--role", "participant"], "");
    let (code, why) = closed_within(&mut m, 15).await.expect("the former moderator's page closes");
    assert_eq!((code, why.as_str()), (1008, "you no longer run this conference"));

    // Disabling the owner closes hers.
    s.admin_ok(&["user", "disable", "alice"], "");
    let (code, why) = closed_within(&mut a, 15).await.expect("the disabled user's page closes");
    assert_eq!((code, why.as_str()), (1008, "the account was disabled"));
    // And a new one is refused.
    assert!(tessera_e2e::ws::connect_path(&s, path, Some(&alice), Some(&origin)).await.is_err());
}
