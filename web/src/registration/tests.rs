//! Router tests of webinar registration on SQLite and PostgreSQL: the Registration tab's
//! settings, signing up (and every refusal, with nothing stored), closing at the capacity and
//! at the configured time, the rate limit, Attend, the public calendar and the widget's framing.

use crate::rights::Right;
use crate::tests::{App, Session};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use serde_json::{Value, json};

fn webinar(start: &str, end: &str, registration: Value) -> Value {
    json!({
        "name": "Product webinar",
        "access": "public",
        "start": start,
        "end": end,
        "time_zone": "UTC",
        "pin": "2468",
        "registration": registration,
    })
}

fn local(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().format("%Y-%m-%dT%H:%M").to_string()
}

async fn guests(app: &App, id: &str) -> i64 {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM conference_guests WHERE conference_id = $1")
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    sqlx::Row::try_get(&r, "n").unwrap()
}

async fn sign_up(app: &App, id: &str, answers: Value, from: &str) -> crate::tests::Resp {
    let mut req = Request::builder()
        .method("POST")
        .uri(format!("/c/{id}/register"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "answers": answers }).to_string()))
        .unwrap();
    let addr: std::net::SocketAddr = format!("{from}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    app.call(req).await
}

async fn create(app: &App, s: &Session, body: Value) -> String {
    let r = app.json("POST", "/api/v1/conferences", Some(s), body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

crate::both_backends!(guests_sign_up_and_get_a_unique_link, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    app.user("bob", "bob-password-1").await;
    store.grant_rights(alice, &[Right::CreateConferences]).await.unwrap();
    let a = app.sign_in("alice", "alice-password").await;
    let t = crate::state::now();
    let reg = json!({
        "enabled": true, "closes": "end", "allow_attend": true,
        "fields": [
            { "key": "email", "required": true },
            { "label": "Company <size>", "required": true },
            { "key": "phone" },
        ]
    });
    let id = create(&app, &a, webinar(&local(t + 86_400), &local(t + 90_000), reg)).await;

    // The page offers Sign up with the fields, required ones starred, the custom label escaped.
    let page = app.get(&format!("/c/{id}"), None).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("id=\"sign-up\""), "{html}");
    assert!(html.contains("Company &lt;size&gt; *"), "custom label, escaped and starred");
    assert!(!html.contains("id=\"guest-name\""), "no joining by name alone");
    assert!(html.contains("id=\"calendar-ics\""), "add to calendar");

    // Bad input: a clear message at the field, nothing stored.
    let bad: [(Value, &str); 6] = [
        (json!({ "email": "g@example.org", "c1": "50" }), "name"),
        (json!({ "name": "Gina", "c1": "50" }), "email"),
        (json!({ "name": "Gina", "email": "g@example.org" }), "c1"),
        (json!({ "name": "Gina", "email": "not-an-email", "c1": "50" }), "email"),
        (json!({ "name": "Gina", "email": "g@example.org", "c1": "x".repeat(501) }), "c1"),
        (json!({ "name": "Gina", "email": "g@example.org", "c1": "5", "shoe": "44" }), "shoe"),
    ];
    for (answers, field) in bad {
        let r = sign_up(&app, &id, answers.clone(), "192.0.2.10").await;
        assert_eq!(r.status, 422, "{answers}: {}", r.text());
        assert_eq!(r.json()["field"], field, "{answers}: {}", r.text());
    }
    let r =
        sign_up(&app, &id, json!({ "name": "G".repeat(65), "email": "g@example.org", "c1": "5" }), "192.0.2.10").await;
    assert_eq!(r.json()["field"], "name", "{}", r.text());
    assert_eq!(guests(&app, &id).await, 0, "nothing stored");

    // A good sign-up: a link with a token of at least 128 random bits, shown (no SMTP here).
    let answers = json!({ "name": "Gina <b>G</b>", "email": "Gina@Example.org", "c1": "<script>x</script>" });
    let r = sign_up(&app, &id, answers.clone(), "192.0.2.10").await;
    assert_eq!(r.status, 201, "{}", r.text());
    let link = r.json()["link"].as_str().unwrap().to_string();
    let token = link.split_once("#t=").unwrap().1;
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).unwrap();
    assert!(raw.len() * 8 >= 128, "{} bits", raw.len() * 8);
    assert!(link.starts_with(&format!("/c/{id}#t=")), "{link}");
    assert_eq!(guests(&app, &id).await, 1);
    // Only the token's hash is stored.
    let stored: String = sqlx::Row::try_get(
        &sqlx::query("SELECT token_hash FROM conference_guests").fetch_one(app.store.pool()).await.unwrap(),
        "token_hash",
    )
    .unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored, crate::auth::session::hash_token(token));
    // The same email again (whatever its case): refused at the field.
    let r = sign_up(&app, &id, answers, "192.0.2.10").await;
    assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("email")), "{}", r.text());

    // The organiser sees the guest with the answers, escaped; the API lists them.
    let card = app.get(&format!("/meetings?view=all&selected={id}"), Some(&a)).await.text();
    assert!(card.contains("id=\"card-signed-up\">1<"), "{card}");
    assert!(card.contains("&lt;script&gt;x&lt;/script&gt;") && !card.contains("<script>x"), "answers escaped");
    assert!(card.contains("id=\"card-widget-code\""), "the widget");
    let list = app.get(&format!("/api/v1/conferences/{id}/registrants"), Some(&a)).await.json();
    assert_eq!(list[0]["email"], "gina@example.org");
    assert_eq!(list[0]["answers"]["c1"], "<script>x</script>");
    let b = app.sign_in("bob", "bob-password-1").await;
    assert_eq!(app.get(&format!("/api/v1/conferences/{id}/registrants"), Some(&b)).await.status, 404);

    // A signed-in user who is not invited: not a member until they Attend.
    let page = app.get(&format!("/c/{id}"), Some(&b)).await.text();
    assert!(page.contains("id=\"attend\""), "Attend offered");
    let r = app.json("POST", &format!("/c/{id}/attend"), Some(&b), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        store.role_in(app.store.user_by_login("bob").await.unwrap().unwrap().id, &id).await.unwrap(),
        Some(crate::store::Role::Participant)
    );
    let page = app.get(&format!("/c/{id}"), Some(&b)).await.text();
    assert!(!page.contains("id=\"attend\"") && !page.contains("id=\"sign-up\""), "bob is on the list now");

    // The public calendar entry has no PIN; the widget's page may be framed, the normal one not.
    let ics = app.get(&format!("/c/{id}/calendar.ics"), None).await;
    assert_eq!(ics.status, 200);
    assert!(ics.text().contains("SUMMARY:Product webinar") && !ics.text().contains("2468"), "{}", ics.text());
    let framed = app.get(&format!("/c/{id}?embed=1"), None).await;
    assert!(framed.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors *"));
    assert!(framed.headers.get(header::X_FRAME_OPTIONS).is_none());
    assert!(!framed.text().contains("id=\"sign-in\""), "no site header in the widget");
    let normal = app.get(&format!("/c/{id}"), None).await;
    assert!(normal.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
});

crate::both_backends!(registration_closes_and_refuses_clearly, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    store.grant_rights(alice, &[Right::CreateConferences]).await.unwrap();
    let a = app.sign_in("alice", "alice-password").await;
    let t = crate::state::now();
    let name = |n: usize| json!({ "name": format!("Guest {n}"), "email": format!("g{n}@example.org") });

    // Closed at a custom time that has passed; not yet open before a custom time.
    let past = json!({ "enabled": true, "closes": "custom", "opens": local(t - 7200), "closes_at": local(t - 3600) });
    let id = create(&app, &a, webinar(&local(t + 86_400), &local(t + 90_000), past)).await;
    let r = sign_up(&app, &id, name(1), "192.0.2.20").await;
    assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("registration")), "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("closed"));
    let html = app.get(&format!("/c/{id}"), None).await.text();
    assert!(html.contains("id=\"registration-closed\"") && !html.contains("id=\"sign-up\""), "{html}");
    let later = json!({ "enabled": true, "closes": "custom", "opens": local(t + 3600), "closes_at": local(t + 7200) });
    let id2 = create(&app, &a, webinar(&local(t + 86_400), &local(t + 90_000), later)).await;
    let r = sign_up(&app, &id2, name(1), "192.0.2.20").await;
    assert!(r.json()["error"].as_str().unwrap().contains("not opened"), "{}", r.text());

    // At the start: a conference that has started is closed for sign-ups.
    let started = json!({ "enabled": true, "closes": "start" });
    let id3 = create(&app, &a, webinar(&local(t - 600), &local(t + 3000), started)).await;
    let r = sign_up(&app, &id3, name(1), "192.0.2.20").await;
    assert!(r.json()["error"].as_str().unwrap().ends_with("registration is closed"), "{}", r.text());

    // Full: "all on screen" holds 25; 23 addresses and the owner leave one place.
    let addresses: Vec<Value> =
        (0..23).map(|i| json!({ "address": format!("sip:room{i}@10.0.0.1"), "role": "participant" })).collect();
    let mut body = webinar(
        &local(t + 86_400),
        &local(t + 90_000),
        json!({ "enabled": true, "closes": "end", "close_when_full": true }),
    );
    body["addresses"] = json!(addresses);
    let id4 = create(&app, &a, body).await;
    assert_eq!(sign_up(&app, &id4, name(1), "192.0.2.21").await.status, 201);
    let r = sign_up(&app, &id4, name(2), "192.0.2.21").await;
    assert!(r.json()["error"].as_str().unwrap().contains("full"), "{}", r.text());
    assert_eq!(guests(&app, &id4).await, 1);
    assert!(app.get(&format!("/c/{id4}"), None).await.text().contains("the conference is full"));

    // Unknown, private and registration-less conferences: the same 404.
    assert_eq!(sign_up(&app, "no-such-thing", name(1), "192.0.2.22").await.status, 404);
    let private = json!({ "name": "Board", "start": local(t + 86_400), "end": local(t + 90_000) });
    let id5 = create(&app, &a, private).await;
    assert_eq!(sign_up(&app, &id5, name(1), "192.0.2.22").await.status, 404);
    assert_eq!(app.get(&format!("/c/{id5}/calendar.ics"), None).await.status, 404, "private stays hidden");
    let off = webinar(&local(t + 86_400), &local(t + 90_000), json!({ "enabled": false }));
    let id6 = create(&app, &a, off).await;
    assert_eq!(sign_up(&app, &id6, name(1), "192.0.2.22").await.status, 404);
    assert!(app.get(&format!("/c/{id6}"), None).await.text().contains("id=\"calendar-ics\""), "info and calendar");

    // The rate limit per address.
    let open = webinar(&local(t + 86_400), &local(t + 90_000), json!({ "enabled": true, "closes": "end" }));
    let id7 = create(&app, &a, open).await;
    for n in 0..crate::registration::SIGNUPS_PER_WINDOW as usize {
        let r = sign_up(&app, &id7, name(100 + n), "192.0.2.30").await;
        assert_eq!(r.status, 201, "{n}: {}", r.text());
    }
    let r = sign_up(&app, &id7, name(999), "192.0.2.30").await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(sign_up(&app, &id7, name(999), "192.0.2.31").await.status, 201, "another address");
});

crate::both_backends!(the_registration_tab_is_validated, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    store.grant_rights(alice, &[Right::CreateConferences]).await.unwrap();
    let a = app.sign_in("alice", "alice-password").await;
    let before = |app: &App| {
        let pool = app.store.pool().clone();
        async move {
            let r = sqlx::query("SELECT COUNT(*) AS n FROM conferences").fetch_one(&pool).await.unwrap();
            sqlx::Row::try_get::<i64, _>(&r, "n").unwrap()
        }
    };
    let n0 = before(&app).await;
    let s = "2027-05-04T10:00";
    let e = "2027-05-04T11:00";
    let customs = |n: usize| json!((0..n).map(|i| json!({ "label": format!("Q{i}") })).collect::<Vec<_>>());
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "enabled": true, "fields": customs(11) }), "registration_fields"),
        (json!({ "enabled": true, "fields": customs(12) }), "registration_fields"),
        (json!({ "enabled": true, "fields": [{ "label": "" }] }), "registration_fields"),
        (json!({ "enabled": true, "fields": [{ "key": "shoe_size" }] }), "registration_fields"),
        (json!({ "enabled": true, "closes": "never" }), "registration_closes"),
        (json!({ "enabled": true, "closes": "soon" }), "registration_closes"),
        (
            json!({ "enabled": true, "closes": "custom", "opens": "2027-05-01T10:00", "closes_at": "2027-04-01T10:00" }),
            "registration_closes_at",
        ),
        (json!({ "enabled": true, "closes": "custom", "opens": "tomorrow" }), "registration_opens"),
        (json!({ "enabled": true, "colour": "red" }), "colour"),
    ];
    for (reg, field) in cases {
        let r = app.json("POST", "/api/v1/conferences", Some(&a), webinar(s, e, reg.clone())).await;
        assert_eq!(r.status, 422, "{reg}: {}", r.text());
        assert_eq!(r.json()["field"], field, "{reg}: {}", r.text());
    }
    // Registration is for public scheduled conferences.
    let mut private = webinar(s, e, json!({ "enabled": true }));
    private["access"] = json!("private");
    assert_eq!(app.json("POST", "/api/v1/conferences", Some(&a), private).await.json()["field"], "registration");
    let room = json!({ "name": "Room", "access": "public", "kind": "room", "registration": { "enabled": true } });
    assert_eq!(app.json("POST", "/api/v1/conferences", Some(&a), room).await.json()["field"], "registration");
    assert_eq!(before(&app).await, n0, "nothing saved");

    // Ten custom fields are fine; the order is kept; "never" suits a recurring webinar.
    let mut body = webinar(s, e, json!({ "enabled": true, "closes": "never", "fields": customs(10) }));
    body["recurrence"] = json!({ "freq": "weekly", "days": ["tu"], "count": 4 });
    let id = create(&app, &a, body).await;
    let settings = app.get(&format!("/api/v1/conferences/{id}/settings"), Some(&a)).await.json();
    let keys: Vec<&str> =
        settings["registration"]["fields"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["name", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10"]);
    // Editing keeps the form: sending it back is fine, changing it is refused.
    let mut edit = settings.clone();
    edit["registration"]["allow_attend"] = json!(true);
    let r = app.json("PUT", &format!("/api/v1/conferences/{id}"), Some(&a), edit.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    edit["registration"]["fields"][1]["label"] = json!("Changed");
    let r = app.json("PUT", &format!("/api/v1/conferences/{id}"), Some(&a), edit).await;
    assert_eq!(r.json()["field"], "registration_fields", "{}", r.text());
    let after = app.get(&format!("/api/v1/conferences/{id}/settings"), Some(&a)).await.json();
    assert_eq!(after["registration"]["fields"][1]["label"], "Q0");
    assert_eq!(after["registration"]["allow_attend"], true);
});
