//! Router tests of scheduling on SQLite and PostgreSQL: who may create, see, change and export
//! a conference; every kind of bad input answered at its field with nothing saved; templates.

use crate::rights::Right;
use crate::tests::App;
use serde_json::{Value, json};

fn weekly() -> Value {
    json!({
        "name": "Weekly sync",
        "mode": "role_based",
        "active_speakers": 2,
        "start": "2027-03-16T10:00",
        "end": "2027-03-16T11:00",
        "time_zone": "Europe/Berlin",
        "recurrence": { "freq": "weekly", "days": ["tu", "th"], "count": 6 },
        "participants": [{ "login": "bob", "role": "moderator", "speaker": true }],
        "addresses": [{ "address": "room@10.0.0.5", "role": "participant" }],
        "pin": "123456",
        "layout": { "kind": "grid", "windows": 4, "name_position": "bottom", "locked": true },
        "location": "Room 4",
        "description": "Agenda: <b>plans</b>"
    })
}

fn with(mut v: Value, key: &str, val: Value) -> Value {
    v[key] = val;
    v
}

async fn count(app: &App) -> i64 {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM conferences").fetch_one(app.store.pool()).await.unwrap();
    sqlx::Row::try_get(&r, "n").unwrap()
}

crate::both_backends!(scheduling_is_scoped_to_owner_and_participants, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    app.user("bob", "bob-password-1").await;
    app.user("carol", "carol-password").await;
    store.grant_rights(alice, &[Right::CreateConferences]).await.unwrap();
    let a = app.sign_in("alice", "alice-password").await;
    let b = app.sign_in("bob", "bob-password-1").await;
    let c = app.sign_in("carol", "carol-password").await;

    let r = app.json("POST", "/api/v1/conferences", Some(&a), weekly()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert!(id.len() == 10 && id.chars().all(|c| c.is_ascii_digit()), "{id}");

    // Six occurrences, Tue and Thu at 10:00 Berlin (09:00 UTC), for both participants.
    let from = 1_798_761_600; // 2027-01-01
    let to = from + 62 * 86_400;
    let to2 = to + 62 * 86_400;
    for s in [&a, &b] {
        let mut all = app.get(&format!("/api/v1/meetings?from={from}&to={to}"), Some(s)).await.json();
        let more = app.get(&format!("/api/v1/meetings?from={to}&to={to2}"), Some(s)).await.json();
        all.as_array_mut().unwrap().extend(more.as_array().unwrap().iter().cloned());
        let starts: Vec<i64> = all.as_array().unwrap().iter().map(|c| c["starts_at"].as_i64().unwrap()).collect();
        assert_eq!(starts.len(), 6, "{all}");
        assert_eq!(starts[0], 1_805_187_600, "2027-03-16 09:00 UTC");
        assert_eq!(starts[2] - starts[1], 5 * 86_400);
    }
    // The card, the calendar and the export for those who take part.
    let page = app.get(&format!("/meetings?month=2027-03&day=2027-03-18&selected={id}"), Some(&b)).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("id=\"card-pin\"") && html.contains("123456"), "PIN on the card");
    assert!(html.contains("id=\"card-invited\">3<"), "owner, bob and the address are invited");
    assert!(html.contains("data-date=\"2027-03-18\" data-count=\"1\""), "Thursday has the meeting");
    assert!(html.contains("data-date=\"2027-03-17\" data-count=\"0\""), "Wednesday has none");
    assert!(!html.contains("id=\"edit\""), "a moderator cannot edit it");
    let ics = app.get(&format!("/conferences/{id}/calendar.ics"), Some(&b)).await;
    assert_eq!(ics.status, 200);
    let ics = ics.text();
    assert!(ics.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,TH;COUNT=6\r\n"), "{ics}");
    assert!(ics.contains("DTSTART;TZID=Europe/Berlin:20270316T100000\r\n"), "{ics}");
    assert!(ics.contains("BEGIN:VTIMEZONE"), "{ics}");

    // Someone else: nothing, by page or API, as if it did not exist.
    for uri in [
        format!("/api/v1/conferences/{id}"),
        format!("/api/v1/conferences/{id}/settings"),
        format!("/conferences/{id}/calendar.ics"),
        format!("/conferences/{id}/edit"),
    ] {
        assert_eq!(app.get(&uri, Some(&c)).await.status, 404, "{uri}");
    }
    let html = app.get(&format!("/meetings?selected={id}"), Some(&c)).await.text();
    assert!(!html.contains("conference-card"), "no card for an outsider");
    assert_eq!(app.json("PUT", &format!("/api/v1/conferences/{id}"), Some(&c), weekly()).await.status, 404);
    assert_eq!(app.json("DELETE", &format!("/api/v1/conferences/{id}"), Some(&c), json!({})).await.status, 404);
    // A participant may look but not change.
    assert_eq!(app.json("PUT", &format!("/api/v1/conferences/{id}"), Some(&b), weekly()).await.status, 403);
    assert_eq!(app.get(&format!("/api/v1/conferences/{id}/settings"), Some(&b)).await.status, 403);
    // Without the right to create: refused by the API and the page.
    let r = app.json("POST", "/api/v1/conferences", Some(&c), weekly()).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(app.get("/conferences/new", Some(&c)).await.status, 403);
    assert_eq!(count(&app).await, 1);

    // The owner edits: the settings round-trip, the ID stays.
    let got = app.get(&format!("/api/v1/conferences/{id}/settings"), Some(&a)).await.json();
    assert_eq!(got["pin"], "123456");
    assert_eq!(got["recurrence"]["days"], json!(["tu", "th"]));
    assert_eq!(got["addresses"][0]["address"], "sip:room@10.0.0.5");
    assert_eq!(got["layout"]["locked"], true);
    let changed = with(with(got.clone(), "name", json!("Renamed")), "participants", json!([]));
    let r = app.json("PUT", &format!("/api/v1/conferences/{id}"), Some(&a), changed).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(app.get(&format!("/api/v1/conferences/{id}"), Some(&b)).await.status, 404, "bob was removed");
    let r = app.json("PUT", &format!("/api/v1/conferences/{id}"), Some(&a), with(got, "id", json!("other"))).await;
    assert_eq!(r.json()["field"], "id");
    let r = app.json("DELETE", &format!("/api/v1/conferences/{id}"), Some(&a), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(count(&app).await, 0);
});

crate::both_backends!(bad_scheduling_input_is_refused_at_its_field, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    app.user("bob", "bob-password-1").await;
    store.grant_rights(alice, &[Right::CreateConferences]).await.unwrap();
    let a = app.sign_in("alice", "alice-password").await;
    let taken = app.json("POST", "/api/v1/conferences", Some(&a), with(weekly(), "id", json!("team"))).await;
    assert_eq!(taken.status, 201, "{}", taken.text());
    let cases: Vec<(&str, Value)> = vec![
        ("name", with(weekly(), "name", json!("  "))),
        ("end", with(weekly(), "end", json!("2027-03-16T09:00"))),
        ("start", with(weekly(), "start", json!("16.03.2027 10:00"))),
        ("pin", with(weekly(), "pin", json!("12ab"))),
        ("pin", with(weekly(), "pin", json!("12"))),
        ("id", with(weekly(), "id", json!("team"))),
        ("id", with(weekly(), "id", json!("Bad ID!"))),
        ("active_speakers", with(weekly(), "active_speakers", json!(26))),
        ("active_speakers", with(with(weekly(), "active_speakers", json!(3)), "layout", json!({ "windows": 2 }))),
        ("recurrence_end", with(weekly(), "recurrence", json!({ "freq": "daily" }))),
        ("recurrence_end", with(weekly(), "recurrence", json!({ "freq": "daily", "count": 3, "until": "2027-04-01" }))),
        ("recurrence_days", with(weekly(), "recurrence", json!({ "freq": "weekly", "days": ["we"], "count": 3 }))),
        ("recurrence_count", with(weekly(), "recurrence", json!({ "freq": "daily", "count": 501 }))),
        ("recurrence_until", with(weekly(), "recurrence", json!({ "freq": "daily", "until": "2040-01-01" }))),
        ("participants", with(weekly(), "participants", json!([{ "login": "nobody" }]))),
        ("participants", with(weekly(), "participants", json!([{ "login": "bob" }, { "login": "bob" }]))),
        ("addresses", with(weekly(), "addresses", json!([{ "address": "sip:a b@c", "role": "participant" }]))),
        (
            "layout",
            with(
                with(with(weekly(), "mode", json!("video_lecture")), "participants", json!([])),
                "layout",
                json!({ "windows": 4 }),
            ),
        ),
        ("layout", with(weekly(), "layout", json!({ "windows": 30 }))),
        (
            "layout",
            with(weekly(), "layout", json!({ "windows": 2, "slots": [{ "kind": "participant", "participant": 77 }] })),
        ),
        ("email_invitations", with(weekly(), "email_invitations", json!(true))),
        (
            "join_without_invitation",
            with(with(weekly(), "access", json!("public")), "join_without_invitation", json!(true)),
        ),
        ("recurrence", with(with(weekly(), "kind", json!("room")), "start", json!(""))),
        ("colour", with(weekly(), "colour", json!("red"))),
        ("multicast", with(weekly(), "multicast", json!({ "group": "239.1.2.3", "port": 5000 }))),
    ];
    for (field, body) in cases {
        let r = app.json("POST", "/api/v1/conferences", Some(&a), body.clone()).await;
        assert!(r.status == 422 || r.status == 400, "{field}: {} {}", r.status, r.text());
        assert_eq!(r.json()["field"], field, "{body}: {}", r.text());
        assert_eq!(count(&app).await, 1, "{field}: nothing saved");
    }
    // Recording on the server is the organiser's choice: the "Conference recording" right is
    // for recording in one's own browser.
    let r = app.json("POST", "/api/v1/conferences", Some(&a), with(weekly(), "record", json!(true))).await;
    assert_eq!(r.status, 201, "{}", r.text());
});

crate::both_backends!(templates_create_conferences_in_one_click, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    app.user("bob", "bob-password-1").await;
    store.grant_rights(alice, &[Right::CreateConferences]).await.unwrap();
    let a = app.sign_in("alice", "alice-password").await;
    let b = app.sign_in("bob", "bob-password-1").await;
    // Saved while scheduling, and made directly; a template needs no start.
    let r = app.json("POST", "/api/v1/conferences", Some(&a), with(weekly(), "save_as_template", json!(true))).await;
    assert!(r.json()["template_id"].is_i64(), "{}", r.text());
    let tpl = json!({ "name": "Stand-up", "settings": { "name": "Stand-up", "start": "", "time_zone": "UTC" } });
    let r = app.json("POST", "/api/v1/templates", Some(&a), tpl).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let tid = r.json()["id"].as_i64().unwrap();
    let bad = json!({ "name": "x", "settings": { "name": "x", "pin": "abc" } });
    assert_eq!(app.json("POST", "/api/v1/templates", Some(&a), bad).await.json()["field"], "pin");
    let list = app.get("/api/v1/templates", Some(&a)).await.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    // Another user neither sees nor uses it.
    assert_eq!(app.get(&format!("/api/v1/templates/{tid}"), Some(&b)).await.status, 404);
    assert_eq!(app.json("POST", &format!("/api/v1/templates/{tid}/conference"), Some(&b), json!({})).await.status, 404);
    let r = app.json("POST", &format!("/api/v1/templates/{tid}/conference"), Some(&a), json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let s = app.get(&format!("/api/v1/conferences/{id}/settings"), Some(&a)).await.json();
    assert_eq!(s["name"], "Stand-up");
    assert!(s["start"].as_str().unwrap() > chrono::Utc::now().format("%Y-%m-%dT%H:%M").to_string().as_str(), "{s}");
    assert_eq!(count(&app).await, 2);
    assert_eq!(app.json("DELETE", &format!("/api/v1/templates/{tid}"), Some(&a), json!({})).await.status, 204);
    assert_eq!(app.get("/api/v1/templates", Some(&a)).await.json().as_array().unwrap().len(), 1);
});

crate::both_backends!(multicast_where_the_administrator_allows_it, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    app.user("bob", "bob-password-1").await;
    store.grant_rights(alice, &[Right::CreateConferences]).await.unwrap();
    store.set_setting(crate::store::Setting::SchedulingAllowMulticast, "true").await.unwrap().unwrap();
    let a = app.sign_in("alice", "alice-password").await;
    for bad in [
        json!({ "group": "10.0.0.1", "port": 5000 }),
        json!({ "group": "239.1.2.3", "port": 5001 }),
        json!({ "group": "239.1.2.3", "port": 5000, "ttl": 0 }),
    ] {
        let r = app.json("POST", "/api/v1/conferences", Some(&a), with(weekly(), "multicast", bad.clone())).await;
        assert_eq!(r.json()["field"], "multicast", "{bad}: {}", r.text());
    }
    let body =
        with(with(weekly(), "id", json!("mc")), "multicast", json!({ "group": "239.1.2.3", "port": 5000, "ttl": 4 }));
    let r = app.json("POST", "/api/v1/conferences", Some(&a), body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let m = store.media_settings("mc").await.unwrap().unwrap();
    assert_eq!(
        (m.multicast_group.as_deref(), m.multicast_port, m.multicast_ttl),
        (Some("239.1.2.3"), Some(5000), Some(4))
    );
    // Once the administrator withdraws it, an edit keeps the output but cannot change it.
    store.set_setting(crate::store::Setting::SchedulingAllowMulticast, "false").await.unwrap().unwrap();
    let got = app.get("/api/v1/conferences/mc/settings", Some(&a)).await.json();
    assert_eq!(app.json("PUT", "/api/v1/conferences/mc", Some(&a), got.clone()).await.status, 200);
    let changed = with(got, "multicast", json!({ "group": "239.9.9.9", "port": 5000 }));
    assert_eq!(app.json("PUT", "/api/v1/conferences/mc", Some(&a), changed).await.json()["field"], "multicast");
    assert_eq!(store.media_settings("mc").await.unwrap().unwrap().multicast_group.as_deref(), Some("239.1.2.3"));
});

crate::both_backends!(the_address_book_is_each_users_own, |store| {
    let app = App::new(store.clone());
    let alice = app.user("alice", "alice-password").await;
    app.user("bob", "bob-password-1").await;
    app.user("carol", "carol-password").await;
    let a = app.sign_in("alice", "alice-password").await;
    let c = app.sign_in("carol", "carol-password").await;
    // Without the right: refused, nothing stored.
    let r = app.json("POST", "/api/v1/contacts", Some(&a), json!({ "login": "bob" })).await;
    assert_eq!(r.status, 403, "{}", r.text());
    store.grant_rights(alice, &[Right::EditAddressBook, Right::CreateConferences]).await.unwrap();
    let r = app.json("POST", "/api/v1/contacts", Some(&a), json!({ "login": "bob", "name": "Bob B." })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = app
        .json("POST", "/api/v1/contacts", Some(&a), json!({ "address": "boardroom@10.0.0.9", "name": "Boardroom" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let address_id = r.json()["id"].as_i64().unwrap();
    for (body, field) in [
        (json!({ "login": "bob" }), "login"),
        (json!({ "login": "alice" }), "login"),
        (json!({ "login": "nobody" }), "login"),
        (json!({}), "login"),
        (json!({ "login": "bob", "address": "sip:x@y" }), "address"),
        (json!({ "address": "sip:a b@c" }), "address"),
        (json!({ "address": "sip:boardroom@10.0.0.9" }), "address"),
    ] {
        let r = app.json("POST", "/api/v1/contacts", Some(&a), body.clone()).await;
        assert_eq!(r.json()["field"], field, "{body}: {}", r.text());
    }
    let list = app.get("/api/v1/contacts", Some(&a)).await.json();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Boardroom", "Bob B."]);
    assert_eq!(app.get("/api/v1/contacts", Some(&c)).await.json(), json!([]), "carol sees her own book only");
    // The scheduling form offers them.
    let form = app.get("/conferences/new?access=private", Some(&a)).await.text();
    assert!(form.contains("value=\"u:bob\"") && form.contains("value=\"a:sip:boardroom@10.0.0.9\""), "{form}");
    // Another user cannot remove them; the owner can.
    assert_eq!(app.json("DELETE", &format!("/api/v1/contacts/{address_id}"), Some(&c), json!({})).await.status, 403);
    store
        .grant_rights(app.store.user_by_login("carol").await.unwrap().unwrap().id, &[Right::EditAddressBook])
        .await
        .unwrap();
    assert_eq!(app.json("DELETE", &format!("/api/v1/contacts/{address_id}"), Some(&c), json!({})).await.status, 404);
    assert_eq!(app.json("DELETE", &format!("/api/v1/contacts/{address_id}"), Some(&a), json!({})).await.status, 204);
    assert_eq!(app.get("/api/v1/contacts", Some(&a)).await.json().as_array().unwrap().len(), 1);
});

crate::both_backends!(the_shared_address_book_is_everyones_and_only_operators_change_it, |store| {
    let app = App::new(store.clone());
    let olga = app.user("olga", "olga-password").await;
    app.user("dan", "dan-password-1").await;
    app.user("eve", "eve-password-1").await;
    store.grant_rights(olga, &[Right::Operator]).await.unwrap();
    let o = app.sign_in("olga", "olga-password").await;
    let d = app.sign_in("dan", "dan-password-1").await;
    // Dan has no right to edit an address book, nor to change the shared one.
    let r = app.json("POST", "/api/v1/address-book", Some(&d), json!({ "address": "sip:lobby@10.0.0.5" })).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = app
        .json("POST", "/api/v1/address-book", Some(&o), json!({ "address": "sip:lobby@10.0.0.5", "name": "Lobby" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let lobby = r.json()["id"].as_i64().unwrap();
    let r = app.json("POST", "/api/v1/address-book", Some(&o), json!({ "login": "eve" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = app.json("POST", "/api/v1/address-book", Some(&o), json!({ "address": "sip:lobby@10.0.0.5" })).await;
    assert_eq!(r.json()["field"], "address", "already there: {}", r.text());
    // Dan sees both in his address book, marked shared, on the page without remove buttons.
    let list = app.get("/api/v1/contacts", Some(&d)).await.json();
    let seen: Vec<(&str, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["shared"].as_bool().unwrap()))
        .collect();
    assert_eq!(seen, [("eve", true), ("Lobby", true)]);
    let page = app.get("/contacts", Some(&d)).await.text();
    assert!(page.contains("class=\"badge shared\"") && !page.contains("class=\"link remove\""), "{page}");
    assert!(page.contains("address book your administrator provides"), "{page}");
    // Nobody removes a shared entry through their own book; an operator does.
    assert_eq!(app.json("DELETE", &format!("/api/v1/contacts/{lobby}"), Some(&d), json!({})).await.status, 403);
    assert_eq!(app.json("DELETE", &format!("/api/v1/address-book/{lobby}"), Some(&d), json!({})).await.status, 403);
    assert_eq!(app.json("DELETE", &format!("/api/v1/address-book/{lobby}"), Some(&o), json!({})).await.status, 204);
    assert_eq!(app.get("/api/v1/address-book", Some(&d)).await.json().as_array().unwrap().len(), 1);
});

crate::both_backends!(encrypted_media_only_is_kept_and_read_by_dial_in, |store| {
    let app = App::new(store.clone());
    app.user("bob", "bob-password-1").await;
    let alice = app.user("alice", "alice-password").await;
    store.grant_rights(alice, &[Right::CreateConferences]).await.unwrap();
    let a = app.sign_in("alice", "alice-password").await;
    let body = with(with(weekly(), "id", json!("vault")), "encrypted_media", json!(true));
    let r = app.json("POST", "/api/v1/conferences", Some(&a), body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let s = app.get("/api/v1/conferences/vault/settings", Some(&a)).await.json();
    assert_eq!(s["encrypted_media"], true, "{s}");
    assert!(store.dial_in("vault").await.unwrap().unwrap().encrypted_media);
    // Turned off by an edit; a wrong type is refused and changes nothing.
    let off = with(s.clone(), "encrypted_media", json!(false));
    assert_eq!(app.json("PUT", "/api/v1/conferences/vault", Some(&a), off).await.status, 200);
    assert!(!store.dial_in("vault").await.unwrap().unwrap().encrypted_media);
    let bad = with(s, "encrypted_media", json!("yes"));
    assert_eq!(app.json("PUT", "/api/v1/conferences/vault", Some(&a), bad).await.status, 422);
    assert!(!store.dial_in("vault").await.unwrap().unwrap().encrypted_media);
});
