//! Files in the conference chat, in Chromium (`browser/chat_files.mjs`): sent by a participant
//! with the file sharing right, downloaded by another, always as a download that runs nothing;
//! refused without the right, over the size limit and over the conference's quota; invisible to
//! people outside the conference.

use serde_json::{Value, json};
use tessera_e2e::{Server, browser_scenario};

#[tokio::test(flavor = "multi_thread")]
async fn a_file_sent_in_the_chat_is_downloaded_by_another_participant() {
    let env = [
        ("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1"),
        ("TESSERA_FILES_MAX_MB", "1"),
        ("TESSERA_FILES_CONFERENCE_QUOTA_MB", "2"),
    ];
    let s = Server::start_with(&[], &env);
    s.add_user("alice", "alice-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    s.admin_ok(&["rights", "grant", "alice", "file_sharing"], "");
    s.admin_ok(&["license", "grant", "alice", "--days", "1"], "");
    s.admin_ok(&["user", "add", "bob", "--display-name", "Bob Reader"], "bob-password\n");
    s.admin_ok(&["license", "grant", "bob", "--days", "1"], "");
    s.add_user("carol", "carol-password");
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let body = json!({"id": "files", "name": "Files", "kind": "room",
        "participants": [{"login": "bob", "role": "participant"}]});
    let r = alice.post(format!("{}/api/v1/conferences", s.base)).header("x-csrf-token", &csrf).json(&body).send().await;
    assert_eq!(r.unwrap().status(), 201);

    let dir = tempfile::tempdir().unwrap();
    let y4m = tessera_e2e::media::camera_y4m(dir.path());
    let r = browser_scenario(
        &s,
        "chat_files",
        &[
            ("BASE", s.base.as_str()),
            ("CONF", "files"),
            ("OWNER", "alice"),
            ("OWNER_PASSWORD", "alice-password"),
            ("USER", "bob"),
            ("USER_PASSWORD", "bob-password"),
            ("Y4M", y4m.to_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(r["user_has_button"], false, "no button without the right");
    assert_eq!(r["link_text"], "notes <1>.html");
    assert!(r["entry"].as_str().unwrap().starts_with("alice"), "{r}");
    assert_eq!(r["download_name"], "notes _1_.html");
    assert_eq!(r["downloaded_same"], true);
    let h = &r["headers"];
    assert_eq!(h["content-type"], "application/octet-stream");
    assert!(h["content-disposition"].as_str().unwrap().starts_with("attachment;"), "{h}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"].as_str().unwrap().starts_with("sandbox"), "{h}");
    assert_eq!(r["user_upload"]["status"], 403);
    assert!(r["user_upload"]["body"].as_str().unwrap().contains("no right to send files"), "{r}");
    assert_eq!(r["too_big"]["status"], 413);
    assert!(r["too_big"]["body"].as_str().unwrap().contains("at most 1 MB"), "{r}");
    assert_eq!((r["first"].as_u64(), r["second"].as_u64()), (Some(201), Some(201)));
    assert_eq!(r["over_quota"]["status"], 413);
    assert!(r["over_quota"]["body"].as_str().unwrap().contains("at most 2 MB"), "{r}");
    assert_eq!(r["no_name"]["status"], 422, "{r}");
    assert!(r["page_too_big"].as_str().unwrap().contains("too big"), "{r}");
    // Twelve quick uploads: ten a minute pass at most, so within one minute at least two of the
    // twelve are refused, with 429. How many pass depends on how long ago the uploads above
    // were (the window slides: on a slow machine some of them are over a minute old by now, and
    // one may age out in the middle of the flood), so only what holds whatever the pace is
    // asserted.
    let flood: Vec<u64> = r["flood"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let flood_ms = r["flood_ms"].as_u64().unwrap();
    assert!(flood_ms < 60_000, "the twelve uploads took {flood_ms} ms: the test needs them within a minute");
    let passed = flood.iter().filter(|s| **s == 201).count();
    assert!(flood.iter().all(|s| *s == 201 || *s == 429), "{flood:?}");
    assert!((1..=10).contains(&passed) && flood[..11].contains(&429), "{flood:?}");

    // The chat history lists the files; their bytes are on disk under the data directory.
    let history: Vec<Value> =
        alice.get(format!("{}/api/v1/conferences/files/chat", s.base)).send().await.unwrap().json().await.unwrap();
    let files: Vec<&Value> = history.iter().filter_map(|m| m.get("file")).collect();
    assert_eq!(files.len(), 3 + passed, "{history:?}");
    let id = files[0]["id"].as_str().unwrap();
    assert!(s.data_dir().join("files/files").join(id).is_file());
    let url = format!("{}/c/files/files/{id}", s.base);
    // A participant by role downloads from the history without a page's key; a stranger and an
    // anonymous visitor see nothing, as if the file did not exist; a made-up key does not help.
    let (bob, _) = s.sign_in("bob", "bob-password").await;
    assert_eq!(bob.get(&url).send().await.unwrap().status(), 200);
    let (carol, _) = s.sign_in("carol", "carol-password").await;
    assert_eq!(carol.get(&url).send().await.unwrap().status(), 404);
    let anonymous = reqwest::Client::new();
    assert_eq!(anonymous.get(&url).send().await.unwrap().status(), 404);
    assert_eq!(anonymous.get(format!("{url}?k=00112233445566778899aabbccddeeff")).send().await.unwrap().status(), 404);
    let upload = anonymous
        .post(format!("{}/c/files/files?k=00112233445566778899aabbccddeeff&name=a.txt", s.base))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 403);
}
