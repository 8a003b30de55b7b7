//! Every page passes axe-core in Chromium (`browser/a11y.mjs`): each opened by one role that can
//! see it (a guest, a user who organises, an administrator), at 360 and 1366 px wide, with no
//! serious or critical WCAG 2.1 A/AA violation and, on a phone, nothing wider than the screen.
//! Then the same pages in Russian (the users' profiles, the guest's browser) at 360 px: the same
//! checks, and no message of the English catalogue on any of them (names that are the same in
//! both languages aside).

use tessera_e2e::{Server, browser_scenario};
use tessera_web::i18n::{Lang, keys, tr};

/// The English messages a Russian page must not show: those that differ from their Russian
/// text, cut at their arguments, long enough to mean something.
fn english_messages() -> Vec<String> {
    let mut out = Vec::new();
    for k in keys(Lang::En) {
        let (en, ru) = (tr(Lang::En, k), tr(Lang::Ru, k));
        if en == ru {
            continue;
        }
        for part in en.split(['{', '}']) {
            let part = part.trim_matches(|c: char| !c.is_alphanumeric());
            if part.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 4 && !out.iter().any(|o| o == part) {
                out.push(part.to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn every_page_passes_axe_at_phone_and_desktop_widths() {
    let s = Server::start();
    s.add_user("chief", "chief-password");
    s.admin_ok(&["user", "admin", "chief"], "");
    s.add_user("alice", "alice-password");
    s.add_user("bob", "bob-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences", "edit_address_book", "operator"], "");
    // The data is in Russian, so that the Russian pages' own text is all the check reads.
    s.admin_ok(
        &["conference", "add", "hall", "--name", "Лекционный зал", "--owner", "alice", "--room", "--public"],
        "",
    );
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let input = serde_json::json!({
        "id": "review",
        "name": "Обзор проекта",
        "mode": "role_based",
        "start": "2030-03-12T10:00",
        "end": "2030-03-12T11:00",
        "time_zone": "Europe/Berlin",
        "recurrence": { "freq": "weekly", "days": ["tu", "th"], "count": 4 },
        "participants": [{ "login": "bob", "role": "moderator", "speaker": true }],
        "addresses": [{ "address": "room@10.0.0.5", "role": "participant" }],
        "pin": "2468",
        "description": "Повестка"
    });
    let r = alice
        .post(format!("{}/api/v1/conferences", s.base))
        .header("x-csrf-token", &csrf)
        .json(&input)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = alice
        .post(format!("{}/api/v1/contacts", s.base))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"address": "sip:boardroom@10.0.0.9", "name": "Переговорная"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (chief, _) = s.sign_in("chief", "chief-password").await;
    let users: serde_json::Value =
        chief.get(format!("{}/api/v1/admin/users", s.base)).send().await.unwrap().json().await.unwrap();
    let alice_id = users
        .as_array()
        .or_else(|| users["accounts"].as_array())
        .and_then(|u| u.iter().find(|u| u["login"] == "alice"))
        .map(|u| u["id"].to_string())
        .unwrap_or_else(|| panic!("{users}"));

    let mut pages: Vec<(&str, String)> =
        ["/login", "/download", "/c/hall"].iter().map(|p| ("guest", p.to_string())).collect();
    pages.extend(
        [
            "/home",
            "/profile",
            "/meetings",
            "/meetings?view=all&selected=review",
            "/rooms?selected=hall",
            "/templates",
            "/templates/new",
            "/contacts",
            "/calls",
            "/conferences/new",
            "/conferences/review/edit",
            "/conferences/hall/manage",
            "/conferences/review/analytics",
            "/c/review",
        ]
        .iter()
        .map(|p| ("alice", p.to_string())),
    );
    pages.extend(
        ["/admin/users".to_string(), format!("/admin/users/{alice_id}"), "/admin/live".into(), "/admin/audit".into()]
            .into_iter()
            .chain(["/admin/settings".to_string()])
            .map(|p| ("chief", p)),
    );
    let list: Vec<serde_json::Value> =
        pages.iter().map(|(who, path)| serde_json::json!({"who": who, "path": path})).collect();
    let pages_json = serde_json::Value::from(list).to_string();
    let r = browser_scenario(&s, "a11y", &[("BASE", &s.base), ("PAGES", &pages_json), ("WIDTHS", "360,1366")]).await;
    assert_eq!(r["checked"], pages.len() * 2, "{r:#}");
    assert_eq!(r["violations"], serde_json::json!([]), "axe found serious or critical violations: {r:#}");
    assert_eq!(r["overflow"], serde_json::json!([]), "wider than a 360 px screen: {r:#}");

    // In Russian.
    for login in ["alice", "chief"] {
        s.set_profile(login, serde_json::json!({"language": "ru", "display_name": "Пользователь"})).await;
    }
    let english = serde_json::Value::from(english_messages()).to_string();
    let r = browser_scenario(
        &s,
        "a11y",
        &[("BASE", &s.base), ("PAGES", &pages_json), ("WIDTHS", "360"), ("LOCALE", "ru-RU"), ("ENGLISH", &english)],
    )
    .await;
    assert_eq!(r["checked"], pages.len(), "{r:#}");
    assert_eq!(r["violations"], serde_json::json!([]), "axe, in Russian: {r:#}");
    assert_eq!(r["overflow"], serde_json::json!([]), "wider than a 360 px screen, in Russian: {r:#}");
    assert_eq!(r["english"], serde_json::json!([]), "English left on Russian pages: {r:#}");
}
