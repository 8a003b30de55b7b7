//! Router-level tests: the real router over a real database (SQLite, and PostgreSQL when
//! configured), driven request by request.

use crate::auth::password;
use crate::store::{ConferenceKind, NewConference, NewUser, Role, Setting, Store};
use crate::{AppState, WebConfig, router};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use std::sync::Arc;
use tower::ServiceExt;

pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub(crate) struct App {
    pub(crate) router: axum::Router,
    pub(crate) store: Store,
}

impl App {
    pub(crate) fn new(store: Store) -> App {
        App::with_config(store, WebConfig::default())
    }

    pub(crate) fn with_config(store: Store, config: WebConfig) -> App {
        let state = AppState::new(store.clone(), config, Arc::new(String::new)).unwrap();
        App { router: router(state), store }
    }

    /// An app whose state `f` changes first (a control channel, the machine's devices).
    pub(crate) fn with_state(store: Store, f: impl FnOnce(&mut AppState)) -> App {
        let mut state = AppState::new(store.clone(), WebConfig::default(), Arc::new(String::new)).unwrap();
        f(&mut state);
        App { router: router(state), store }
    }

    pub(crate) async fn call(&self, req: Request<Body>) -> Resp {
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let body = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap().to_vec();
        Resp { status, headers, body }
    }

    pub(crate) async fn json(&self, method: &str, uri: &str, s: Option<&Session>, body: serde_json::Value) -> Resp {
        let mut b = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(s) = s {
            b = b.header(header::COOKIE, &s.cookie).header("x-csrf-token", &s.csrf);
        }
        self.call(b.body(Body::from(body.to_string())).unwrap()).await
    }

    pub(crate) async fn get(&self, uri: &str, s: Option<&Session>) -> Resp {
        let mut b = Request::builder().uri(uri);
        if let Some(s) = s {
            b = b.header(header::COOKIE, &s.cookie);
        }
        self.call(b.body(Body::empty()).unwrap()).await
    }

    pub(crate) async fn user(&self, login: &str, pw: &str) -> i64 {
        let h = password::hash(pw).unwrap();
        self.store.create_user(NewUser { login, password_hash: &h, display_name: "" }, 0).await.unwrap().id
    }

    /// A virtual room `id` owned by `owner`.
    pub(crate) async fn room(&self, id: &str, name: &str, owner: i64, public: bool) {
        let c = NewConference {
            id,
            name,
            owner_id: owner,
            kind: ConferenceKind::Room,
            public,
            starts_at: None,
            duration_minutes: None,
            pin: None,
            join_without_invitation: false,
            encrypted_media: false,
        };
        self.store.create_conference(c, 0).await.unwrap();
    }

    pub(crate) async fn sign_in(&self, login: &str, pw: &str) -> Session {
        let r = self.json("POST", "/api/v1/session", None, serde_json::json!({"login": login, "password": pw})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
        Session { cookie, csrf: r.json()["csrf_token"].as_str().unwrap().to_string() }
    }
}

pub(crate) struct Session {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

crate::both_backends!(home_shows_only_own_conferences, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    let bob = app.user("bob", "bob-password1").await;
    let t = now();
    let conf = |id: &'static str, owner, kind, starts_at| NewConference {
        id,
        name: id,
        owner_id: owner,
        kind,
        public: false,
        starts_at,
        duration_minutes: starts_at.map(|_| 30),
        pin: None,
        join_without_invitation: false,
        encrypted_media: false,
    };
    store.create_conference(conf("alice-today", alice, ConferenceKind::Scheduled, Some(t)), t).await.unwrap();
    store
        .create_conference(conf("alice-next-week", alice, ConferenceKind::Scheduled, Some(t + 7 * 86400)), t)
        .await
        .unwrap();
    store.create_conference(conf("bob-today", bob, ConferenceKind::Scheduled, Some(t)), t).await.unwrap();
    store.create_conference(conf("bob-invited-alice", bob, ConferenceKind::Scheduled, Some(t)), t).await.unwrap();
    store.add_participant("bob-invited-alice", alice, Role::Moderator).await.unwrap();
    for i in 0..7 {
        let id: &'static str = Box::leak(format!("room-{i}").into_boxed_str());
        store.create_conference(conf(id, alice, ConferenceKind::Room, None), t).await.unwrap();
    }
    let s = app.sign_in("alice", "alice-password").await;
    let home = app.get("/api/v1/home", Some(&s)).await.json();
    let ids: Vec<_> = home["today"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.contains(&"alice-today".to_string()) && ids.contains(&"bob-invited-alice".to_string()), "{ids:?}");
    assert!(!ids.contains(&"bob-today".to_string()) && !ids.contains(&"alice-next-week".to_string()), "{ids:?}");
    assert_eq!(home["rooms"].as_array().unwrap().len(), 5);
    // By id: visible only when taking part; the same 404 for missing and foreign.
    assert_eq!(app.get("/api/v1/conferences/alice-today", Some(&s)).await.status, 200);
    assert_eq!(app.get("/api/v1/conferences/bob-invited-alice", Some(&s)).await.json()["my_role"], "moderator");
    assert_eq!(app.get("/api/v1/conferences/bob-today", Some(&s)).await.status, 404);
    assert_eq!(app.get("/api/v1/conferences/nothing", Some(&s)).await.status, 404);
    // The HTML page shows the same rows.
    let page = app.get("/home", Some(&s)).await.text();
    assert!(page.contains("alice-today") && !page.contains("bob-today"));
    // Without a session: 401 for the API, a redirect for pages.
    assert_eq!(app.get("/api/v1/home", None).await.status, 401);
    let r = app.get("/home", None).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers[header::LOCATION], "/login?next=/home");
});

crate::both_backends!(lockout_through_the_api, |store| {
    let app = App::new(store.clone());
    app.user("carol", "carol-password").await;
    store.set_setting(Setting::LockoutMaxAttempts, "3").await.unwrap().unwrap();
    let bad = serde_json::json!({"login": "carol", "password": "nope-nope"});
    let ghost = serde_json::json!({"login": "ghost", "password": "nope-nope"});
    for _ in 0..2 {
        let r = app.json("POST", "/api/v1/session", None, bad.clone()).await;
        assert_eq!(r.status, 401);
        // An unknown user gets the very same answer.
        let g = app.json("POST", "/api/v1/session", None, ghost.clone()).await;
        assert_eq!((g.status, g.body.clone()), (r.status, r.body.clone()));
    }
    let r = app.json("POST", "/api/v1/session", None, bad.clone()).await;
    assert_eq!(r.status, 423, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("administrator"));
    let good = serde_json::json!({"login": "carol", "password": "carol-password"});
    assert_eq!(app.json("POST", "/api/v1/session", None, good.clone()).await.status, 423);
    store.clear_failures("carol").await.unwrap();
    assert_eq!(app.json("POST", "/api/v1/session", None, good).await.status, 200);
});

crate::both_backends!(profile_changes_need_csrf_and_valid_fields, |store| {
    let app = App::new(store.clone());
    app.user("dave", "dave-password").await;
    let s = app.sign_in("dave", "dave-password").await;
    let no_csrf = Session { cookie: s.cookie.clone(), csrf: "forged".into() };
    let r = app.json("PATCH", "/api/v1/me", Some(&no_csrf), serde_json::json!({"display_name": "Dave"})).await;
    assert_eq!(r.status, 403);
    let r = app
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&s),
            serde_json::json!({"display_name": "Дэйв", "time_zone": "Europe/Moscow", "language": "ru"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["display_name"], "Дэйв");
    for (body, field) in [
        (serde_json::json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (serde_json::json!({"email": "not-an-email"}), "email"),
        (serde_json::json!({"phone": "call me"}), "phone"),
        (serde_json::json!({"language": "de"}), "language"),
        (serde_json::json!({"display_name": "x".repeat(101)}), "display_name"),
        (serde_json::json!({"display_name": 7}), "display_name"),
        (serde_json::json!({"shoe_size": 42}), "shoe_size"),
        // A valid field beside an invalid one: nothing is stored.
        (serde_json::json!({"company": "Acme", "email": "@"}), "email"),
    ] {
        let r = app.json("PATCH", "/api/v1/me", Some(&s), body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text());
        assert_eq!(r.json()["field"], field, "{body}");
    }
    let me = app.get("/api/v1/me", Some(&s)).await.json();
    assert_eq!(
        (me["display_name"].as_str(), me["company"].as_str(), me["time_zone"].as_str()),
        (Some("Дэйв"), Some(""), Some("Europe/Moscow"))
    );
    // The page is now in Russian.
    assert!(app.get("/home", Some(&s)).await.text().contains("Ваши права"));
});

crate::both_backends!(avatars_are_validated, |store| {
    let app = App::new(store.clone());
    app.user("erin", "erin-password").await;
    let s = app.sign_in("erin", "erin-password").await;
    let put = |ct: &str, body: Vec<u8>| {
        Request::builder()
            .method("PUT")
            .uri("/api/v1/me/avatar")
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x40\0\0\0\x40\x08\x02\0\0\0".to_vec();
    png.extend_from_slice(&[0; 64]);
    assert_eq!(app.call(put("text/plain", b"hello".to_vec())).await.status, 415);
    assert_eq!(app.call(put("image/png", vec![0x89; 2 * 1024 * 1024])).await.status, 413);
    assert_eq!(app.call(put("image/png", vec![0x89; 20 * 1024 * 1024])).await.status, 413);
    assert_eq!(app.get("/api/v1/me/avatar", Some(&s)).await.status, 404);
    assert_eq!(app.call(put("image/png", png.clone())).await.status, 204);
    let r = app.get("/api/v1/me/avatar", Some(&s)).await;
    assert_eq!((r.status, r.body.clone()), (StatusCode::OK, png));
});

crate::both_backends!(sign_in_form_and_sign_out, |store| {
    let app = App::new(store.clone());
    app.user("fay", "fay-password").await;
    let page = app.get("/login", None).await;
    let pre = page.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let token = pre.split_once('=').unwrap().1.to_string();
    let form = |csrf: &str, pw: &str, cookie: &str| {
        Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(format!("login=fay&password={pw}&csrf={csrf}&next=%2Fprofile")))
            .unwrap()
    };
    // Forged: no matching cookie.
    assert_eq!(app.call(form(&token, "fay-password", "x=y")).await.status, 403);
    let r = app.call(form(&token, "wrong-password", &pre)).await;
    assert_eq!(r.status, 401);
    assert!(r.text().contains("Wrong username or password"));
    let r = app.call(form(&token, "fay-password", &pre)).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers[header::LOCATION], "/profile");
    let cookies: Vec<_> =
        r.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let session = cookies.iter().find(|c| c.starts_with("tessera_session=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    let cookie = session.split(';').next().unwrap().to_string();
    let s = Session { cookie, csrf: String::new() };
    let me = app.get("/api/v1/me", Some(&s)).await;
    assert_eq!(me.status, 200);
    let s = Session { csrf: me.json()["csrf_token"].as_str().unwrap().to_string(), ..s };
    assert_eq!(app.json("DELETE", "/api/v1/session", Some(&s), serde_json::json!({})).await.status, 204);
    assert_eq!(app.get("/api/v1/me", Some(&s)).await.status, 401);
});

crate::both_backends!(every_documented_operation_is_routed, |store| {
    let app = App::new(store.clone());
    let id = app.user("gil", "gil-password").await;
    store
        .create_conference(
            NewConference {
                id: "c1",
                name: "c1",
                owner_id: id,
                kind: ConferenceKind::Room,
                public: false,
                starts_at: None,
                duration_minutes: None,
                pin: None,
                join_without_invitation: false,
                encrypted_media: false,
            },
            0,
        )
        .await
        .unwrap();
    let s = app.sign_in("gil", "gil-password").await;
    // A recording whose file is not there: its routes answer 409, not 404.
    let rid = store.recording_started("c1", "c1/gone.mkv", "mkv", 0).await.unwrap();
    store.recording_finished(rid, "complete", 1, 1000, 0, None).await.unwrap();
    let mut ops: Vec<_> = crate::openapi::OPERATIONS.iter().collect();
    // Deleting the recording last, so that the download finds it.
    ops.sort_by_key(|(m, p, _, _)| *m == "delete" && p.contains("{rid}"));
    // The administration routes are 404 to anyone but an administrator by design (the e2e
    // `administration` walks them); here: each is documented.
    for route in crate::admin_api::ROUTES {
        assert!(crate::openapi::OPERATIONS.iter().any(|(_, p, _, _)| p == route), "{route} is not documented");
    }
    // The webinar routes answer 404 for a room (c1 is one); the source scan below covers them.
    ops.retain(|(_, p, _, _)| !p.starts_with("/api/v1/admin/") && !p.starts_with("/c/"));
    for (method, path, _, _) in ops {
        let path = path.replace("{id}", "c1").replace("{rid}", &rid.to_string()).replace("{pid}", "1");
        let r = app.json(&method.to_uppercase(), &path, Some(&s), serde_json::json!({})).await;
        assert!(r.status != 404 && r.status != 405, "{method} {path}: {}", r.status);
        if *path == *"/api/v1/session" && *method == "delete" {
            continue;
        }
    }
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/me"]["patch"].is_object());
    // Typed from the handlers' own types: the scheduling input, with its nested recurrence.
    let body = &doc["paths"]["/api/v1/conferences"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/ConferenceInput");
    assert!(doc["components"]["schemas"]["RecurrenceInput"]["properties"]["freq"].is_object(), "{doc}");
    // Every success answer says what it is: a schema of the handler's type, a file's media
    // type, or no body (204, and 202 where nothing comes back); none is a bare "object".
    let mut typed = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let ok: Vec<(&String, &serde_json::Value)> =
                op["responses"].as_object().unwrap().iter().filter(|(code, _)| code.starts_with('2')).collect();
            assert!(!ok.is_empty(), "{method} {path}: no success answer");
            for (code, answer) in ok {
                let Some(content) = answer["content"].as_object() else {
                    assert!(code == "204" || code == "202", "{method} {path}: {code} without a body");
                    continue;
                };
                for (media, c) in content {
                    let schema = &c["schema"];
                    let bare = schema == &serde_json::json!({ "type": "object" });
                    assert!(!bare || path == "/api/v1/openapi.json", "{method} {path}: {code} {media} is untyped");
                }
                typed += 1;
            }
        }
    }
    assert!(typed >= 50, "{typed}");
    // The three analytics answers keep their own rows.
    let rows = |p: &str| {
        doc["paths"][format!("/api/v1/conferences/{{id}}/analytics/{p}")]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"]["properties"]["rows"]["items"]["$ref"]
            .clone()
    };
    assert_eq!(rows("entries"), "#/components/schemas/Entry");
    assert_eq!(rows("chat"), "#/components/schemas/ChatMessage");
    assert!(doc["components"]["schemas"]["Entry"]["properties"]["details"].is_object());
});

/// The crate's Rust sources, for the tests that read them.
fn source_files() -> Vec<std::path::PathBuf> {
    rust_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut all = Vec::new();
    files(dir, &mut all);
    all
}

/// Every message key in the sources of the web layer, the conference core and the daemon
/// (`msg!("err.…", arg = …)`, `said!(…)`, and keys written as plain literals) names a message of
/// the catalogue, and the arguments a call passes are the ones the message uses, in every
/// language: a typo would show users the key, a missing argument a `{$name}`.
#[test]
fn every_error_message_is_in_the_catalogue() {
    use crate::i18n::{Arg, Lang, trf};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = source_files();
    for dir in ["../daemon/conference/src", "../daemon/src"] {
        all.extend(rust_files(&root.join(dir)));
    }
    let mut checked = 0;
    for f in all.into_iter().filter(|f| !f.ends_with("web/src/tests.rs")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("\"err.") {
            let rest = &text[i + 1..];
            let Some(end) = rest.find('"') else { continue };
            let key = &rest[..end];
            // A call's arguments: `name = value` pairs up to its closing parenthesis.
            let is_call = ["msg!(", "said!("].iter().any(|m| text[..i].ends_with(m));
            let mut names = Vec::new();
            if is_call {
                let mut depth = 1;
                let call_end = rest[end + 1..]
                    .char_indices()
                    .find(|&(_, c)| {
                        depth += match c {
                            '(' => 1,
                            ')' => -1,
                            _ => 0,
                        };
                        depth == 0
                    })
                    .map(|(j, _)| end + 1 + j)
                    .unwrap_or(rest.len());
                names = rest[end + 1..call_end]
                    .split(',')
                    .filter_map(|part| part.split_once(" = ").map(|(n, _)| n.trim()))
                    .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    .collect();
            }
            let args: Vec<(&str, Arg)> = names.iter().map(|n| (*n, Arg::Num(2))).collect();
            for lang in Lang::ALL {
                let out = trf(lang, key, &args);
                assert_ne!(out, key, "{}: {key:?} is not in the {} catalogue", f.display(), lang.code());
                if is_call {
                    assert!(
                        !out.contains("{$"),
                        "{}: {key:?} lacks an argument in {}: {out}",
                        f.display(),
                        lang.code()
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
}

/// Every route of the router that answers JSON, read from the source (`.route("/api/…",
/// get(…).post(…))`), is in the OpenAPI document with each of its methods.
#[test]
fn every_api_route_is_documented() {
    let all = source_files();
    let json_pages = ["/c/{id}/register", "/c/{id}/attend"];
    let mut found = 0;
    for f in all.into_iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices(".route(\"") {
            let rest = &text[i + 8..];
            let Some(end) = rest.find('"') else { continue };
            let path = &rest[..end];
            if !path.starts_with("/api/") && !json_pages.contains(&path) {
                continue;
            }
            // The methods chained on this route: up to the next route or the end of the statement.
            let tail = &rest[end..];
            let stop = [tail.find(".route("), tail.find(';'), tail.find(".merge("), tail.find("\n}")]
                .into_iter()
                .flatten()
                .min();
            let chain = &tail[..stop.unwrap_or(tail.len())];
            for m in ["get", "post", "put", "patch", "delete"] {
                let called = chain.match_indices(&format!("{m}(")).any(|(j, _)| {
                    j == 0 || !chain.as_bytes()[j - 1].is_ascii_alphanumeric() && chain.as_bytes()[j - 1] != b'_'
                });
                if called {
                    found += 1;
                    assert!(
                        crate::openapi::OPERATIONS.iter().any(|(om, op, _, _)| *om == m && *op == path),
                        "{m} {path} ({}) is not in the OpenAPI document",
                        f.display()
                    );
                }
            }
        }
    }
    assert!(found > 50, "the scan found only {found} routes");
}

crate::both_backends!(conference_pages_show_themselves_only_to_whom_they_admit, |store| {
    let app = App::new(store.clone());
    let olga = app.user("olga", "olga-password").await;
    let _ = app.user("pete", "pete-password").await;
    let new = |id: &'static str, public: bool, pin: Option<&'static str>| NewConference {
        id,
        name: id,
        owner_id: olga,
        kind: ConferenceKind::Room,
        public,
        starts_at: None,
        duration_minutes: None,
        pin,
        join_without_invitation: false,
        encrypted_media: false,
    };
    store.create_conference(new("webinar", true, Some("2468")), 0).await.unwrap();
    store.create_conference(new("secret", false, None), 0).await.unwrap();
    store
        .set_license(olga, crate::store::License { kind: crate::store::LicenseKind::Permanent, expires_at: None }, 0)
        .await
        .unwrap();
    // A guest: the webinar with the guest form and a PIN field; the private room as if missing.
    let page = app.get("/c/webinar", None).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("id=\"guest-name\"") && html.contains("id=\"pin\""), "{html}");
    assert!(!html.contains("id=\"join-browser\""));
    let hidden = app.get("/c/secret", None).await;
    assert_eq!(hidden.status, 404);
    assert_eq!(
        hidden.text().replace("secret", ""),
        app.get("/c/nothing-here", None).await.text().replace("nothing-here", "")
    );
    // The licensed owner joins as herself (and may open the application's sip: link).
    let olga_s = app.sign_in("olga", "olga-password").await;
    let html = app.get("/c/secret", Some(&olga_s)).await.text();
    assert!(html.contains("id=\"join-browser\"") && html.contains("href=\"sip:secret@127.0.0.1\""), "{html}");
    // Another user: not the private room; the webinar, told why not as himself (no license).
    let pete_s = app.sign_in("pete", "pete-password").await;
    assert_eq!(app.get("/c/secret", Some(&pete_s)).await.status, 404);
    let html = app.get("/c/webinar", Some(&pete_s)).await.text();
    assert!(html.contains("PRO license") && html.contains("id=\"guest-name\""), "{html}");
    // The chat history: kept per conference, oldest first, for the owner only.
    for (at, text) in [(2, "second"), (1, "first")] {
        let m = crate::store::ChatMessage {
            conference: "webinar".into(),
            at_ms: at,
            user_id: None,
            from: "Guest".into(),
            text: text.into(),
            file: None,
            origin: String::new(),
        };
        store.add_chat_message(&m).await.unwrap();
    }
    let h = app.get("/api/v1/conferences/webinar/chat", Some(&olga_s)).await.json();
    let texts: Vec<&str> = h.as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["first", "second"]);
    assert_eq!(app.get("/api/v1/conferences/webinar/chat", Some(&pete_s)).await.status, 404);
});

crate::both_backends!(the_connect_page_promises_only_what_works, |store| {
    let app = App::new(store.clone());
    app.user("dora", "dora-password").await;
    let s = app.sign_in("dora", "dora-password").await;
    let page = app.get("/download", Some(&s)).await.text();
    assert!(page.contains("How to connect") && page.contains("no application to download"), "{page}");
    assert!(page.contains("sip:ID@"), "the SIP address to dial");
    assert!(page.contains("H.323 is not turned on"), "no promise of H.323 where it is off");
    assert!(!page.contains(".exe") && !page.contains(".apk") && !page.contains(".dmg"));
});
