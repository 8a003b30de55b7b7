//! `tessera admin` against the running server's database, and the API's answers to it: users,
//! rights, licenses, settings, lockout, disabling, and conference scoping by id.

use tessera_e2e::{Server, eventually};

#[tokio::test]
async fn administrator_changes_take_effect_in_the_running_server() {
    let s = Server::start();
    s.add_user("alice", "alice-password");
    s.add_user("bob", "bob-password1");

    // Bad input to the CLI: clear errors, nothing stored.
    for (args, stdin, expect) in [
        (vec!["user", "add", "Bad Name"], "password1\n", "login"),
        (vec!["user", "add", "carol"], "short\n", "at least 8"),
        (vec!["user", "add", "alice"], "password1\n", "already exists"),
        (vec!["rights", "grant", "alice", "fly"], "", "unknown right"),
        (vec!["license", "grant", "alice", "--days", "0"], "", "1 to 3650"),
        (vec!["license", "grant", "alice", "--until", "2001-01-01"], "", "past"),
        (vec!["settings", "set", "lockout.max_attempts", "0"], "", "1 to 100"),
        (vec!["settings", "set", "no.such", "1"], "", "unknown setting"),
        (vec!["conference", "add", "x y", "--name", "n", "--owner", "alice", "--room"], "", "conference ID"),
    ] {
        let o = s.admin(&args, stdin);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(expect), "{args:?}: {err}");
    }
    let list = s.admin_ok(&["user", "list"], "");
    assert!(!list.contains("carol"), "{list}");

    // Rights and license appear on the home page.
    s.admin_ok(&["rights", "grant", "alice", "operator", "make_calls"], "");
    s.admin_ok(&["license", "grant", "alice", "--days", "2"], "");
    let (c, csrf) = s.sign_in("alice", "alice-password").await;
    let home: serde_json::Value = c.get(format!("{}/api/v1/home", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(home["rights"], serde_json::json!(["make_calls", "operator"]));
    assert_eq!(home["license"]["kind"], "temporary");
    assert_eq!(home["license"]["may_renew"], true);
    let before = home["license"]["expires_at"].as_i64().unwrap();

    // Renewal sets the expiry to 24 hours from now: here it would shorten a 2-day license, so it
    // keeps the later expiry.
    let r = c.post(format!("{}/api/v1/me/license/renew", s.base)).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let after: serde_json::Value = r.json().await.unwrap();
    assert_eq!(after["expires_at"].as_i64().unwrap(), before);

    // The administrator forbids renewal and hides license info.
    s.admin_ok(&["settings", "set", "license.allow_renewal", "false"], "");
    let r = c.post(format!("{}/api/v1/me/license/renew", s.base)).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(r.status(), 403);
    s.admin_ok(&["settings", "set", "license.show_info", "false"], "");
    eventually("license info hidden", || async {
        let home: serde_json::Value =
            c.get(format!("{}/api/v1/home", s.base)).send().await.unwrap().json().await.unwrap();
        home["license"].is_null()
    })
    .await;
    let page = c.get(format!("{}/home", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("id=\"license\""));

    // Scoping: bob's conference is invisible to alice, by id too.
    s.admin_ok(&["conference", "add", "bobs-room", "--name", "Bob's room", "--owner", "bob", "--room"], "");
    let r = c.get(format!("{}/api/v1/conferences/bobs-room", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    s.admin_ok(&["conference", "invite", "bobs-room", "alice"], "");
    let r = c.get(format!("{}/api/v1/conferences/bobs-room", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // Disabling ends the session (within the cache's poll interval).
    s.admin_ok(&["user", "disable", "alice"], "");
    eventually("disabled user signed out", || async {
        c.get(format!("{}/api/v1/me", s.base)).send().await.unwrap().status() == 401
    })
    .await;
    let list = s.admin_ok(&["user", "list"], "");
    assert!(list.lines().any(|l| l.starts_with("alice") && l.contains("disabled")), "{list}");
}

#[tokio::test]
async fn lockout_through_the_api_and_unlock_by_the_administrator() {
    let s = Server::start();
    s.add_user("dora", "dora-password");
    s.admin_ok(&["lockout", "set", "--attempts", "4", "--minutes", "30"], "");
    let c = s.client();
    let url = format!("{}/api/v1/session", s.base);
    for i in 1..=4 {
        let r = c.post(&url).json(&serde_json::json!({"login": "dora", "password": "wrong"})).send().await.unwrap();
        let expect = if i < 4 { 401 } else { 423 };
        assert_eq!(r.status(), expect, "attempt {i}");
    }
    let r = c.post(&url).json(&serde_json::json!({"login": "dora", "password": "dora-password"})).send().await.unwrap();
    assert_eq!(r.status(), 423);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("administrator"));
    assert!(body["locked_until"].as_i64().is_some());
    let list = s.admin_ok(&["user", "list"], "");
    assert!(list.lines().any(|l| l.starts_with("dora") && l.contains("locked")), "{list}");
    s.admin_ok(&["user", "unlock", "dora"], "");
    s.sign_in("dora", "dora-password").await;

    // Malformed sign-in requests: precise 4xx naming the field.
    for (body, status, field) in [
        (serde_json::json!({"login": 1, "password": "x"}), 422, Some("login")),
        (serde_json::json!({"password": "x"}), 422, Some("login")),
        (serde_json::json!({"login": "dora"}), 422, Some("password")),
        (serde_json::json!({"login": "x".repeat(65), "password": "x"}), 422, Some("login")),
        (serde_json::json!({"login": "dora", "password": "x".repeat(300)}), 422, Some("password")),
        (serde_json::json!({"login": "dora", "password": "x", "extra": 1}), 422, Some("extra")),
    ] {
        let r = c.post(&url).json(&body).send().await.unwrap();
        assert_eq!(r.status(), status, "{body}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["field"].as_str(), field, "{body}: {v}");
    }
    let r = c.post(&url).header("content-type", "text/plain").body("login=dora").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let r = c.post(&url).header("content-type", "application/json").body("{\"login\":").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c.post(&url).header("content-type", "application/json").body(vec![b' '; 200_000]).send().await.unwrap();
    assert_eq!(r.status(), 413);
}

/// The shared address book, kept by the administrator's command line: every user's address book
/// shows it at once, marked shared; removing an entry takes it away; bad input names the flag.
#[tokio::test]
async fn the_administrator_keeps_a_shared_address_book() {
    let s = Server::start();
    s.add_user("dan", "dan-password-1");
    s.add_user("eve", "eve-password-1");
    let out = s.admin_ok(&["address-book", "add", "--address", "sip:lobby@10.0.0.5", "--name", "Lobby"], "");
    let id: i64 = out.trim().rsplit(' ').next().unwrap().trim_end_matches(')').parse().unwrap();
    s.admin_ok(&["address-book", "add", "--login", "eve"], "");
    let list = s.admin_ok(&["address-book", "list"], "");
    assert!(list.contains("Lobby") && list.contains("sip:lobby@10.0.0.5") && list.contains("eve"), "{list}");
    let bad = s.admin(&["address-book", "add", "--address", "sip:a b@c"], "");
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("address"));
    let again = s.admin(&["address-book", "add", "--login", "eve"], "");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already"), "{again:?}");

    let (dan, _) = s.sign_in("dan", "dan-password-1").await;
    let contacts = |c: reqwest::Client| {
        let url = format!("{}/api/v1/contacts", s.base);
        async move { c.get(url).send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let v = contacts(dan.clone()).await;
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    assert!(v.as_array().unwrap().iter().all(|c| c["shared"] == true));
    s.admin_ok(&["address-book", "remove", &id.to_string()], "");
    let v = contacts(dan).await;
    assert_eq!(v.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>(), ["eve"]);
    assert!(!s.admin(&["address-book", "remove", &id.to_string()], "").status.success());
}
