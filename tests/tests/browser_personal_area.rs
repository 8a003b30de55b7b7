//! Headless Chromium signs in through the pages, sees today's conferences and rooms, renews the
//! license, takes an avatar with the fake webcam, switches to Russian, and gets locked out.

use tessera_e2e::{Server, run_browser};

#[tokio::test]
async fn personal_area_in_chromium() {
    let s = Server::start();
    s.add_user("alice", "alice-password");
    s.add_user("bob", "bob-password");
    s.add_user("mallory", "mallory-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences", "screen_sharing"], "");
    s.admin_ok(&["license", "grant", "alice", "--days", "1"], "");
    s.admin_ok(&["lockout", "set", "--attempts", "3", "--minutes", "15"], "");
    let start = chrono_like_now_plus_minutes(5);
    s.admin_ok(&["conference", "add", "standup", "--name", "Daily standup", "--owner", "alice", "--start", &start], "");
    s.admin_ok(
        &["conference", "add", "mallorys", "--name", "Foreign meeting", "--owner", "mallory", "--start", &start],
        "",
    );
    s.admin_ok(&["conference", "add", "alice-room", "--name", "Alice's room", "--owner", "alice", "--room"], "");

    let out = s.dir.path().join("shots");
    std::fs::create_dir_all(&out).unwrap();
    if let Ok(keep) = std::env::var("TESSERA_SCREENSHOTS") {
        std::fs::create_dir_all(&keep).unwrap();
    }
    let res = run_browser(
        "personal_area",
        &[
            ("BASE", &s.base),
            ("LOGIN", "alice"),
            ("PASSWORD", "alice-password"),
            ("TODAY", "Daily standup"),
            ("ROOM", "Alice's room"),
            ("VICTIM", "bob"),
            ("ATTEMPTS", "3"),
            ("OUT", std::env::var("TESSERA_SCREENSHOTS").as_deref().unwrap_or(out.to_str().unwrap())),
        ],
    );
    assert!(res.contains("\"locked\":true"), "{res}");

    // bob is locked for the API too, until the administrator unlocks him.
    let c = s.client();
    let r = c
        .post(format!("{}/api/v1/session", s.base))
        .json(&serde_json::json!({"login": "bob", "password": "bob-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 423);
    assert!(s.admin_ok(&["user", "unlock", "bob"], "").contains("unlocked"));
    s.sign_in("bob", "bob-password").await;
}

/// Five minutes from now as YYYY-MM-DDTHH:MM in UTC (the conference's default time zone),
/// kept within today so the home page lists it.
fn chrono_like_now_plus_minutes(m: u64) -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("+{m} minutes"), "+%Y-%m-%dT%H:%M"])
        .output()
        .expect("date");
    let s = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let today =
        String::from_utf8(std::process::Command::new("date").args(["-u", "+%Y-%m-%d"]).output().unwrap().stdout)
            .unwrap();
    if s.starts_with(today.trim()) { s } else { format!("{}T00:00", today.trim()) }
}
