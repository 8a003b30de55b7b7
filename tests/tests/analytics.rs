//! A webinar's analytics, end to end: invited users join it from Chromium (over WebRTC on
//! loopback) and chat, guests sign up, and the owner drives the Analytics page's three tabs in
//! Chromium (`browser/analytics.mjs`). The CSV files it downloads are parsed with Python's `csv`
//! module: one row per entry whatever the filters, Cyrillic intact, a formula neutralised. The
//! JSON API answers the same totals, and nobody else reads any of it.

use serde_json::{Value, json};
use tessera_e2e::{Server, run_browser};

const HYPERLINK: &str = "=HYPERLINK(\"http://x\")";

/// The rows of a CSV file as Python's `csv` module reads them (the BOM taken off by `utf-8-sig`).
fn python_csv(file: &std::path::Path) -> Vec<Vec<String>> {
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys\n\
             with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:\n    print(json.dumps(list(csv.reader(f))))",
        ])
        .arg(file)
        .output()
        .expect("python3");
    assert!(o.status.success(), "python csv: {}", String::from_utf8_lossy(&o.stderr));
    let raw = std::fs::read(file).unwrap();
    assert!(raw.starts_with("\u{feff}".as_bytes()), "{} has no BOM", file.display());
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn owners_read_entries_connections_and_chat_in_chromium_and_csv() {
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    s.add_user("alice", "alice-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    for (login, name) in [("bob", "Борис Петров"), ("eve", HYPERLINK), ("carl", "Carl")] {
        s.admin_ok(&["user", "add", login, "--display-name", name], &format!("{login}-password\n"));
        s.admin_ok(&["license", "grant", login, "--days", "1"], "");
    }
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let now = chrono::Utc::now();
    let body = json!({
        "name": "Quarterly results", "access": "public",
        "start": (now - chrono::Duration::minutes(2)).format("%Y-%m-%dT%H:%M").to_string(),
        "end": (now + chrono::Duration::minutes(60)).format("%Y-%m-%dT%H:%M").to_string(),
        "participants": [{"login": "bob"}, {"login": "eve"}, {"login": "carl"}],
        "registration": { "enabled": true, "closes": "end",
            "fields": [{"key": "email", "required": true}, {"label": "Company size"}] },
    });
    let r = alice.post(format!("{}/api/v1/conferences", s.base)).header("x-csrf-token", &csrf).json(&body).send().await;
    let r = r.unwrap();
    assert_eq!(r.status(), 201);
    let conf = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    for (name, email) in [("Гость Один", "guest1@example.org"), (HYPERLINK, "guest2@example.org")] {
        let r = s
            .client()
            .post(format!("{}/c/{conf}/register", s.base))
            .json(&json!({ "answers": { "name": name, "email": email, "c1": "50 to 100" } }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    let dir = tempfile::tempdir().unwrap();
    let y4m = tessera_e2e::media::camera_y4m(dir.path());
    let dl = dir.path().join("dl");
    std::fs::create_dir_all(&dl).unwrap();
    let (base, conf2, dl2) = (s.base.clone(), conf.clone(), dl.clone());
    let stdout = tokio::task::spawn_blocking(move || {
        run_browser(
            "analytics",
            &[
                ("BASE", &base),
                ("CONF", &conf2),
                ("OWNER", "alice"),
                ("OWNER_PASSWORD", "alice-password"),
                ("BOB", "bob"),
                ("BOB_PASSWORD", "bob-password"),
                ("EVE", "eve"),
                ("EVE_PASSWORD", "eve-password"),
                ("Y4M", y4m.to_str().unwrap()),
                ("DL", dl2.to_str().unwrap()),
            ],
        )
    })
    .await
    .unwrap();
    let line = stdout.lines().last().unwrap_or_default();
    let r: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", s.log()));
    eprintln!("{r:#}");
    assert_eq!(r["ok"], true, "{}\n{}", r["error"].as_str().unwrap_or_default(), s.log());

    // Entries: the owner, three invitees and two guests; the filters narrow them.
    assert_eq!(r["title"], "Analytics: Quarterly results");
    assert_eq!(r["tabs"], json!(["Participants' entries", "Connection history", "Chat history"]));
    assert_eq!(r["entries"], json!({"shown": 6, "total": 6}));
    assert_eq!(r["guests"], json!({"shown": 2, "total": 6}));
    assert_eq!(r["users_joined"], json!([HYPERLINK, "Борис Петров"]));
    assert_eq!(r["absent"], 4, "alice, carl and the two guests did not join");
    assert_eq!(r["search"], json!(["Борис Петров"]));
    let details = r["details"].as_str().unwrap();
    assert!(details.contains("bob") && details.contains("Times joined\n2"), "{details}");
    assert_eq!(r["chart_points"], json!({"added": 6, "joined": 2}));
    assert_eq!(r["chart_users_added"], 4);
    assert_eq!(r["chart_legend"], json!(["Added to the list (6)", "Joined (2)"]));
    assert!(r["chart_width"].as_u64().unwrap() > 300, "the chart is readable: {}", r["chart_width"]);
    assert_eq!(r["future"], 0);
    assert_eq!(r["bad_filter"], "status: must be one of all, joined, absent");
    // Connection history: Bob joined and left twice.
    assert_eq!(r["bob_events"], json!(["joined", "left", "joined", "left"]));
    // Chat: all the words, any order; a sender who never wrote has nothing.
    assert_eq!(r["chat"], json!({"shown": 1, "total": 1}));
    assert_eq!((r["chat_words"].as_u64(), r["chat_nobody"].as_u64()), (Some(1), Some(0)));
    assert_eq!(r["entries_file"], format!("{conf}-entries.csv"));

    // The CSV files: every row whatever the filters, Cyrillic intact, formulas neutralised.
    let entries = python_csv(&dl.join("entries.csv"));
    assert_eq!(entries.len(), 1 + 6, "{entries:?}");
    assert_eq!(entries[0][0], "Name");
    assert!(entries[0][5].starts_with("Added to the list (UTC)"), "{:?}", entries[0]);
    let names: Vec<&str> = entries[1..].iter().map(|row| row[0].as_str()).collect();
    assert!(names.contains(&"Борис Петров") && names.contains(&"Гость Один"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == format!("'{HYPERLINK}")).count(), 2, "{names:?}");
    assert!(!names.contains(&HYPERLINK));
    let bob = entries.iter().find(|row| row[0] == "Борис Петров").unwrap();
    assert_eq!((bob[6].as_str(), bob[9].as_str()), ("yes", "2"), "{bob:?}");
    let connections = python_csv(&dl.join("connections.csv"));
    assert_eq!(connections.len() as u64, 1 + r["connections"]["total"].as_u64().unwrap());
    assert_eq!(connections.iter().filter(|row| row[2] == "Борис Петров" && row[1] == "joined").count(), 2);
    let chat = python_csv(&dl.join("chat.csv"));
    assert_eq!(chat.len(), 2);
    assert_eq!(
        (chat[1][1].as_str(), chat[1][2].as_str()),
        (format!("'{HYPERLINK}").as_str(), "Привет всем, quarterly numbers")
    );

    // The JSON API answers the same, with the same filters.
    let get = |path: String| {
        let c = alice.clone();
        async move {
            let r = c.get(path).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (st, v) = get(format!("{}/api/v1/conferences/{conf}/analytics/entries?auth=guests", s.base)).await;
    assert_eq!((st, v["total"].as_u64(), v["rows"].as_array().map(Vec::len)), (200, Some(6), Some(2)));
    let (st, v) = get(format!("{}/api/v1/conferences/{conf}/analytics/entries?from=2026-02-30", s.base)).await;
    assert_eq!((st, v["field"].as_str()), (422, Some("from")), "{v}");
    let (st, v) = get(format!("{}/api/v1/conferences/{conf}/analytics/chat?q=привет", s.base)).await;
    assert_eq!((st, v["rows"][0]["from"].as_str()), (200, Some(HYPERLINK)));

    // A guest's details name their answers as the sign-up form asked them.
    let (_, v) = get(format!("{}/api/v1/conferences/{conf}/analytics/entries?auth=guests&q=guest1", s.base)).await;
    let guest = v["rows"][0]["id"].as_i64().unwrap();
    let page = alice
        .get(format!("{}/conferences/{conf}/analytics?tab=entries&show=guest-{guest}", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<dt>Company size</dt><dd>50 to 100</dd>"), "{page}");

    // An invitee may not read it (403); a stranger does not learn the conference exists (404).
    let (bob_c, _) = s.sign_in("bob", "bob-password").await;
    let status = |c: reqwest::Client, path: String| async move { c.get(path).send().await.unwrap().status().as_u16() };
    assert_eq!(status(bob_c.clone(), format!("{}/api/v1/conferences/{conf}/analytics/entries", s.base)).await, 403);
    assert_eq!(status(bob_c.clone(), format!("{}/conferences/{conf}/analytics/chat.csv", s.base)).await, 403);
    s.add_user("mallory", "mallory-password");
    let (mallory, _) = s.sign_in("mallory", "mallory-password").await;
    assert_eq!(status(mallory.clone(), format!("{}/conferences/{conf}/analytics", s.base)).await, 404);
    assert_eq!(status(mallory, format!("{}/conferences/{conf}/analytics/entries.csv", s.base)).await, 404);
}

/// The retention policy, applied by the running server: an old recording (file and entry) and
/// old chat go at start-up's first pass, newer ones stay, and the removal is in the history.
#[tokio::test]
async fn the_server_applies_the_retention_policy() {
    let mut s =
        Server::start_with(&[], &[("TESSERA_RETENTION_RECORDINGS_DAYS", "30"), ("TESSERA_RETENTION_CHAT_DAYS", "30")]);
    s.add_user("alice", "alice-password");
    s.admin_ok(&["conference", "add", "kept", "--name", "Kept", "--owner", "alice", "--room"], "");
    assert!(s.log().contains("retention policy on"), "{}", s.log());
    s.stop();
    // What an earlier life of the server left: a recording from 40 days ago and one from
    // yesterday, a chat message from 40 days ago and one from today.
    let rec = s.data_dir().join("recordings").join("kept");
    std::fs::create_dir_all(&rec).unwrap();
    std::fs::write(rec.join("old.mp4"), b"old").unwrap();
    std::fs::write(rec.join("new.mp4"), b"new").unwrap();
    let now = chrono::Utc::now().timestamp();
    let day = 86_400;
    let sql = format!(
        "INSERT INTO recordings (id, conference_id, file_name, format, started_at, ended_at, size_bytes, state) VALUES
           (11, 'kept', 'kept/old.mp4', 'mp4', {old}, {old}, 3, 'complete'),
           (12, 'kept', 'kept/new.mp4', 'mp4', {new}, {new}, 3, 'complete');
         INSERT INTO chat_messages (id, conference_id, at_ms, sender_name, body) VALUES
           (21, 'kept', {old}000, 'Old', 'from long ago'), (22, 'kept', {now}000, 'New', 'from today');",
        old = now - 40 * day,
        new = now - day,
    );
    let db = s.data_dir().join("tessera.db");
    let st = std::process::Command::new("python3")
        .args(["-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.commit()"])
        .arg(&db)
        .arg(&sql)
        .status()
        .unwrap();
    assert!(st.success());
    s.restart();

    let (alice, _) = s.sign_in("alice", "alice-password").await;
    let get = |path: &str| {
        let (c, url) = (alice.clone(), format!("{}{path}", s.base));
        async move { c.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let mut gone = false;
    for _ in 0..100 {
        if !rec.join("old.mp4").exists() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the old recording's file is still there:\n{}", s.log());
    assert!(rec.join("new.mp4").exists());
    let recs = get("/api/v1/conferences/kept/recordings").await;
    assert_eq!(recs.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>(), [12]);
    let chat = get("/api/v1/conferences/kept/analytics/chat").await;
    assert_eq!((chat["total"].as_u64(), chat["rows"][0]["from"].as_str()), (Some(1), Some("New")));
    let history = get("/api/v1/conferences/kept/analytics/connections").await;
    let removed: Vec<&Value> =
        history["rows"].as_array().unwrap().iter().filter(|e| e["kind"] == "recording_removed").collect();
    assert_eq!(removed.len(), 1, "{history}");
    assert_eq!(
        (removed[0]["name"].as_str(), removed[0]["detail"].as_str()),
        (Some("kept/old.mp4"), Some("older than 30 days"))
    );
    assert!(s.log().contains("retention removed a recording"), "{}", s.log());
}
