//! The administration API: only accounts with the administrator role reach `/api/v1/admin/…`;
//! everyone else (an operator, a user, a visitor) gets 404 on every route. The audit log of the
//! command lines reads back as JSON and CSV; the live view lists what runs and who is in it.

use serde_json::{Value, json};
use tessera_e2e::Server;
use tessera_e2e::live_api::{Api, RED, synthetic};
use tessera_web::admin_api::ROUTES;
use tessera_web::admin_panel::PAGES;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_administrators_reach_the_administration_api() {
    let s = Server::start();
    s.add_user("alice", "alice-password");
    s.admin_ok(&["rights", "grant", "alice", "operator"], "");
    s.admin_ok(&["conference", "add", "ops", "--name", "Ops", "--owner", "admin", "--room"], "");
    let (admin, csrf) = s.sign_in("admin", "admin-password").await;
    let (alice, _) = s.sign_in("alice", "alice-password").await;
    let anonymous = reqwest::Client::new();
    let status = |c: &reqwest::Client, path: &str| {
        let (c, url) = (c.clone(), format!("{}{path}", s.base));
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    for path in ROUTES {
        assert_eq!(status(&admin, path).await, 200, "{path}");
        assert_eq!(status(&alice, path).await, 404, "an operator is not an administrator: {path}");
        assert_eq!(status(&anonymous, path).await, 404, "{path}");
    }

    // The audit log: what the command line did, with who and from where.
    let log: Vec<Value> =
        admin.get(format!("{}/api/v1/admin/audit", s.base)).send().await.unwrap().json().await.unwrap();
    let grant = log.iter().find(|e| e["action"].as_str().unwrap_or_default().starts_with("Rights(Grant"));
    let grant = grant.unwrap_or_else(|| panic!("{log:?}"));
    assert_eq!((grant["source"].as_str(), grant["outcome"].as_str()), (Some("cli"), Some("ok")), "{grant}");
    assert!(!grant["actor"].as_str().unwrap().is_empty());
    let csv = admin.get(format!("{}/api/v1/admin/audit?format=csv", s.base)).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("time (UTC),actor,source,action,outcome") && text.contains("Rights(Grant"), "{text}");
    for bad in ["limit=0", "format=xml", "what=1"] {
        let r = admin.get(format!("{}/api/v1/admin/audit?{bad}", s.base)).send().await.unwrap();
        assert!(r.status() == 400 || r.status() == 422, "{bad}: {}", r.status());
    }

    // The live view: a running room and who is in it.
    let conferences = Api { c: admin.clone(), csrf: csrf.clone(), base: s.base.clone() };
    conferences.ok("ops", synthetic("Camera", RED, 0)).await;
    let live: Value = admin.get(format!("{}/api/v1/admin/live", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(live["conferences"][0]["conference"], "ops", "{live}");
    assert_eq!(live["conferences"][0]["participants"][0]["name"], "Camera", "{live}");
    assert!(live["system"]["cores"].as_u64().unwrap() >= 1, "{live}");

    // The role is given and taken at the command line; the running server sees the change
    // within its store poll (half a second).
    let settles = |want: u16| {
        let alice = alice.clone();
        async move {
            for _ in 0..50 {
                if status(&alice, ROUTES[0]).await == want {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            false
        }
    };
    s.admin_ok(&["user", "admin", "alice"], "");
    assert!(settles(200).await, "alice became an administrator");
    s.admin_ok(&["user", "admin", "alice", "--revoke"], "");
    assert!(settles(404).await, "alice is no longer an administrator");
}

/// Accounts through the administration API: add (a generated password, shown once and to be
/// changed), rights, a license, lock and unlock, a password reset, disable (their session ends);
/// an administrator cannot lock themselves out; nobody else reaches any of it, not even with a
/// valid CSRF token of their own; every action is in the audit log with who and from where.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_accounts_and_every_change_is_audited() {
    let s = Server::start();
    s.add_user("mallory", "mallory-password");
    let (admin, csrf) = s.sign_in("admin", "admin-password").await;
    let api = |p: &str| format!("{}/api/v1/admin{p}", s.base);
    let send = |m: reqwest::Method, p: &str, body: Value| {
        admin.request(m, api(p)).header("x-csrf-token", &csrf).json(&body).send()
    };

    // Add: the password comes back once; the account must change it at its first sign-in.
    let r = send(
        reqwest::Method::POST,
        "/users",
        json!({"login": "bob", "display_name": "Bob B", "email": "bob@example.org"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["cache-control"], "no-store", "a password is never cached");
    let bob: Value = r.json().await.unwrap();
    let (id, first) = (bob["id"].as_i64().unwrap(), bob["password"].as_str().unwrap().to_string());
    let mut secrets = vec![first.clone()];
    assert_eq!((bob["must_change_password"].as_bool(), bob["email"].as_str()), (Some(true), Some("bob@example.org")));
    assert!(bob.get("password_hash").is_none(), "{bob}");
    let (bob_client, _) = s.sign_in("bob", &first).await;
    let me = bob_client.get(format!("{}/api/v1/me", s.base)).send().await.unwrap();
    assert_eq!(me.status(), 403);
    assert!(me.text().await.unwrap().contains("choose a new password first"));
    // Bad input names its field and adds nothing.
    for (body, field) in [
        (json!({"login": "bob"}), "login"),
        (json!({"login": "x y"}), "login"),
        (json!({"login": "carol", "email": "not-an-address"}), "email"),
        (json!({"login": "carol", "password": "short"}), "password"),
    ] {
        let r = send(reqwest::Method::POST, "/users", body.clone()).await.unwrap();
        let text = r.text().await.unwrap();
        assert!(text.contains(field), "{body}: {text}");
    }
    let found: Value = admin.get(api("/users?q=carol")).send().await.unwrap().json().await.unwrap();
    assert_eq!(found["total"], 0, "{found}");

    // Rights and a license, then a change with one bad field changes nothing.
    let r = send(
        reqwest::Method::PATCH,
        &format!("/users/{id}"),
        json!({"rights": ["create_conferences", "recording"], "license": {"kind": "temporary", "until": "2099-01-31"}}),
    )
    .await
    .unwrap();
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["rights"], json!(["create_conferences", "recording"]), "{a}");
    assert_eq!(a["license"]["kind"], "temporary", "{a}");
    let r = send(
        reqwest::Method::PATCH,
        &format!("/users/{id}"),
        json!({"rights": [], "license": {"kind": "temporary", "until": "2001-01-01"}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let a: Value = admin.get(api(&format!("/users/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(a["rights"].as_array().unwrap().len(), 2, "nothing of a refused change is written: {a}");

    // Lock: the right password is refused until unlocked.
    let r = send(reqwest::Method::POST, &format!("/users/{id}/lock"), json!({})).await.unwrap();
    assert_eq!(r.status(), 200);
    let sign_in = |login: &'static str, pw: String| {
        let url = format!("{}/api/v1/session", s.base);
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&json!({"login": login, "password": pw}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(sign_in("bob", first.clone()).await, 423);
    send(reqwest::Method::POST, &format!("/users/{id}/unlock"), json!({})).await.unwrap();
    assert_eq!(sign_in("bob", first.clone()).await, 200);

    // A reset: the old password stops working, the new one must be changed.
    let r: Value =
        send(reqwest::Method::POST, &format!("/users/{id}/password"), json!({})).await.unwrap().json().await.unwrap();
    let second = r["password"].as_str().unwrap().to_string();
    secrets.push(second.clone());
    assert_eq!(sign_in("bob", first).await, 401);
    let (bob_client, _) = s.sign_in("bob", &second).await;

    // Disable: bob's session ends at once, and he cannot sign in.
    send(reqwest::Method::PATCH, &format!("/users/{id}"), json!({"disabled": true})).await.unwrap();
    assert_eq!(bob_client.get(format!("{}/api/v1/me", s.base)).send().await.unwrap().status(), 401);
    assert_eq!(sign_in("bob", second).await, 401);

    // An administrator cannot lock themselves out.
    let me: Value = admin.get(api("/users?q=admin")).send().await.unwrap().json().await.unwrap();
    let my_id = me["accounts"][0]["id"].as_i64().unwrap();
    for (m, p, body) in [
        (reqwest::Method::PATCH, format!("/users/{my_id}"), json!({"disabled": true})),
        (reqwest::Method::PATCH, format!("/users/{my_id}"), json!({"admin": false})),
        (reqwest::Method::POST, format!("/users/{my_id}/lock"), json!({})),
    ] {
        let r = send(m, &p, body.clone()).await.unwrap();
        assert_eq!(r.status(), 422, "{p} {body}");
    }
    // Settings: checked whole, written whole.
    let r =
        send(reqwest::Method::PUT, "/settings", json!({"lockout.max_attempts": "7", "lockout.period_minutes": "0"}))
            .await
            .unwrap();
    assert_eq!(r.status(), 422);
    let r = send(reqwest::Method::PUT, "/settings", json!({"lockout.max_attempts": "7"})).await.unwrap();
    let list: Value = r.json().await.unwrap();
    let get = |k: &str| list.as_array().unwrap().iter().find(|x| x["key"] == k).unwrap()["value"].clone();
    assert_eq!((get("lockout.max_attempts"), get("lockout.period_minutes")), (json!("7"), json!("15")));

    // Without the CSRF header: refused, nothing changed.
    let r = admin.post(api(&format!("/users/{id}/lock"))).send().await.unwrap();
    assert_eq!(r.status(), 403);

    // Nobody else reaches any of it: an ordinary user, with their own valid CSRF token, gets
    // 404 on every API route and every page, whatever the method.
    let (mallory, m_csrf) = s.sign_in("mallory", "mallory-password").await;
    let ids = [
        format!("/users/{id}"),
        format!("/users/{id}/lock"),
        format!("/users/{id}/unlock"),
        format!("/users/{id}/password"),
    ];
    let mut every: Vec<String> = ROUTES.iter().map(|r| r.to_string()).collect();
    every.extend(ids.iter().map(|p| format!("/api/v1/admin{p}")));
    every.extend(PAGES.iter().map(|p| p.to_string()));
    every.extend([format!("/admin/users/{id}"), format!("/admin/users/{id}/action")]);
    for path in &every {
        for m in [reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::PATCH, reqwest::Method::PUT] {
            let r = mallory
                .request(m.clone(), format!("{}{path}", s.base))
                .header("x-csrf-token", &m_csrf)
                .json(&json!({"disabled": false}))
                .send()
                .await
                .unwrap();
            assert!(r.status() == 404 || r.status() == 405, "{m} {path}: {}", r.status());
        }
    }
    let a: Value = admin.get(api(&format!("/users/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(a["disabled"], true, "{a}");

    // The audit log: every change, by whom, from where, and how it ended.
    let log: Vec<Value> = admin.get(api("/audit")).send().await.unwrap().json().await.unwrap();
    let find = |prefix: &str| {
        log.iter()
            .filter(|e| e["action"].as_str().unwrap_or_default().starts_with(prefix))
            .map(|e| {
                (
                    e["actor"].as_str().unwrap_or_default(),
                    e["source"].as_str().unwrap_or_default(),
                    e["outcome"].as_str().unwrap_or_default(),
                )
            })
            .collect::<Vec<_>>()
    };
    for action in [
        "user.create bob",
        "user.lock bob",
        "user.unlock bob",
        "user.reset_password bob",
        "user.change bob disabled=true",
        "settings.set",
    ] {
        let found = find(action);
        assert!(
            found.iter().any(|&(who, from, outcome)| who == "admin" && from == "127.0.0.1" && outcome == "ok"),
            "{action}: {found:?} in {log:?}"
        );
    }
    assert!(find("user.lock admin").iter().any(|&(_, _, outcome)| outcome.contains("your own")), "{log:?}");
    assert!(find("user.create carol").iter().any(|&(_, _, outcome)| outcome.contains("email")), "{log:?}");
    let text = format!("{log:?}");
    assert!(secrets.iter().all(|p| !text.contains(p.as_str())), "no password is in the audit log");
    let server_log = s.log();
    assert!(secrets.iter().all(|p| !server_log.contains(p.as_str())), "no password is in the server's log");
}

/// Settings: one set in the configuration file is shown read-only with its source and refused
/// at the API and the command line; one the panel changes applies to the running server at once
/// (dial-out to this machine, refused by default, is allowed by a network added here); the SMTP
/// test message reaches a real SMTP server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_apply_at_once_and_the_configuration_s_own_are_read_only() {
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("mail");
    let (_sink, smtp_port) = tessera_e2e::smtp_sink(None, &maildir);
    let cfg = tmp.path().join("t.toml");
    std::fs::write(
        &cfg,
        format!(
            "[retention]\nchat_days = 30\n[smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\n\
             from = \"Tessera <meetings@example.org>\"\n"
        ),
    )
    .unwrap();
    let s = Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    let (admin, csrf) = s.sign_in("admin", "admin-password").await;
    let api = |p: &str| format!("{}/api/v1/admin{p}", s.base);

    // The file's setting: read-only, with where it comes from.
    let list: Value = admin.get(api("/settings")).send().await.unwrap().json().await.unwrap();
    let chat = list.as_array().unwrap().iter().find(|x| x["key"] == "retention.chat_days").unwrap().clone();
    assert_eq!(chat["value"], "30", "{chat}");
    assert!(chat["fixed_by"].as_str().unwrap().contains("t.toml"), "{chat}");
    let r = admin
        .put(api("/settings"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"retention.chat_days": "5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("change it there"));
    let cli = s.admin(&["settings", "set", "retention.chat_days", "5", "--config", cfg.to_str().unwrap()], "");
    assert!(!cli.status.success() && String::from_utf8_lossy(&cli.stderr).contains("change it there"));
    let page = admin.get(format!("{}/admin/settings", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("retention.chat_days-fixed"), "the panel shows it read-only");

    // Dial-out to this machine: refused by default; allowed once the panel adds its network.
    s.admin_ok(&["conference", "add", "ops", "--name", "Ops", "--owner", "admin", "--room"], "");
    let conferences = Api { c: admin.clone(), csrf: csrf.clone(), base: s.base.clone() };
    conferences.ok("ops", synthetic("Camera", RED, 0)).await;
    let desk = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let call = || {
        let url = format!("{}/api/v1/conferences/ops/calls", s.base);
        let body = json!({"address": format!("sip:desk@127.0.0.1:{}", desk.local_addr().unwrap().port())});
        admin.post(url).header("x-csrf-token", &csrf).json(&body).send()
    };
    assert_eq!(call().await.unwrap().status(), 202);
    let (_, packets) = tessera_e2e::sip::received_within(&desk, std::time::Duration::from_millis(1500));
    assert_eq!(packets, 0, "the default policy refuses loopback");
    let r = admin
        .put(api("/settings"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"dial_out.allowed_networks": "127.0.0.0/8"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(call().await.unwrap().status(), 202);
    let (_, packets) = tessera_e2e::sip::received_within(&desk, std::time::Duration::from_secs(3));
    assert!(packets > 0, "the INVITE reaches the desk once its network is allowed");
    let r = admin
        .put(api("/settings"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"dial_out.allowed_networks": "10.0.0.0/33"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a bad network is refused");

    // RTSP: with rtsp.conferences = public, a private room is not streamed, a webinar is.
    let r = admin
        .put(api("/settings"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"rtsp.conferences": "public"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.admin_ok(&["conference", "add", "hall", "--name", "Hall", "--owner", "admin", "--room", "--public"], "");
    s.admin_ok(&["conference", "add", "back", "--name", "Back office", "--owner", "admin", "--room"], "");
    for (id, streamed) in [("hall", true), ("back", false)] {
        let live = conferences.ok(id, synthetic("Camera", RED, 0)).await;
        assert_eq!(live["rtsp_url"].is_string(), streamed, "{id}: {live}");
        let status = describe(s.rtsp_port, id);
        assert_eq!(status, if streamed { 200 } else { 404 }, "RTSP DESCRIBE of {id}");
    }

    // The SMTP test message reaches the SMTP server.
    let r = admin
        .post(api("/smtp/test"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"to": "ops@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let r = admin
        .post(api("/smtp/test"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"to": "not an address"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let mails: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .map(|d| d.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect())
        .unwrap_or_default();
    assert!(mails.iter().any(|m| m.contains("Tessera: a test message") && m.contains("ops@example.org")), "{mails:?}");

    // A new account with a mailed link: nobody sees a password; the user chooses one, once.
    let body = json!({"login": "carol", "email": "carol@example.org", "send_link": true});
    let r = admin.post(api("/users")).header("x-csrf-token", &csrf).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let carol: Value = r.json().await.unwrap();
    assert!(carol.get("password").is_none(), "{carol}");
    let body = json!({"login": "dave", "email": "dave@example.org", "send_link": true, "password": "dave-password"});
    let r = admin.post(api("/users")).header("x-csrf-token", &csrf).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 422);
    // The link is mailed before the answer comes, and aiosmtpd files it before it accepts it.
    let link = {
        let mails: Vec<String> = std::fs::read_dir(maildir.join("new"))
            .map(|d| d.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect())
            .unwrap_or_default();
        // The body is quoted-printable: long lines are broken with "=" at their end.
        let mails: Vec<String> = mails.iter().map(|m| m.replace("=\r\n", "").replace("=\n", "")).collect();
        mails.iter().filter(|m| m.contains("carol@example.org")).find_map(|m| {
            let at = m.find("/set-password/")?;
            let token: String =
                m[at + 14..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            Some(format!("{}/set-password/{token}", s.base))
        })
    }
    .expect("a set-password link in carol's mailbox");
    let anyone = reqwest::Client::new();
    let page = anyone.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("carol"));
    let choose = |a: &str, b: &str| {
        let form = [("new_password", a.to_string()), ("repeat_password", b.to_string())];
        anyone.post(&link).form(&form).send()
    };
    assert_eq!(choose("carol-password", "carol-passwort").await.unwrap().status(), 422);
    let r = choose("carol-password", "carol-password").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("password-set"));
    let _ = s.sign_in("carol", "carol-password").await;
    assert_eq!(choose("carol-other", "carol-other").await.unwrap().status(), 404, "a link works once");
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(!s.log().contains(&token), "the link's token is not in the server's log");
    let guessed = format!("{}/set-password/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", s.base);
    assert_eq!(anyone.get(&guessed).send().await.unwrap().status(), 404);

    let log: Vec<Value> = admin.get(api("/audit")).send().await.unwrap().json().await.unwrap();
    for action in [
        "user.mail_password_link carol",
        "smtp.test to=\"ops@example.org\"",
        "settings.set dial_out.allowed_networks=\"127.0.0.0/8\"",
    ] {
        assert!(log.iter().any(|e| e["action"] == action && e["outcome"] == "ok"), "{action}: {log:?}");
    }
}

/// The status of an RTSP DESCRIBE of a conference's mount.
fn describe(port: u16, id: &str) -> u16 {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(c, "DESCRIBE rtsp://127.0.0.1:{port}/{id} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n").unwrap();
    let mut buf = [0u8; 512];
    let n = c.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    text.get(9..12).and_then(|x| x.parse().ok()).unwrap_or(0)
}
