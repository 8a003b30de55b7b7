//! The administration API: only accounts with the administrator role reach `/api/v1/admin/…`;
//! everyone else (an operator, a user, a visitor) gets 404 on every route. The audit log of the
//! command lines reads back as JSON and CSV; the live view lists what runs and who is in it.

use serde_json::Value;
use tessera_e2e::Server;
use tessera_web::admin_api::ROUTES;

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
    let r = admin
        .post(format!("{}/api/v1/conferences/ops/live", s.base))
        .header("x-csrf-token", &csrf)
        .json(&tessera_e2e::live_api::synthetic("Camera", (200, 40, 40), 0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let live: Value = admin.get(format!("{}/api/v1/admin/live", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(live[0]["conference"], "ops", "{live}");
    assert_eq!(live[0]["participants"][0]["name"], "Camera", "{live}");

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
