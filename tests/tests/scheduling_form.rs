//! Scheduling end to end: headless Chromium fills the form for a recurring role-based
//! conference (PIN, participant, layout, email invitations); the calendar shows it on its days;
//! Python's `icalendar` + `recurring-ical-events` read the exported `.ics` and find the same
//! occurrences as the server; the invitation reaches a local SMTP sink (`aiosmtpd`) with the
//! `.ics` attached; an outsider can neither see nor export nor change it.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use std::path::Path;
use std::process::Command;
use tessera_e2e::{Server, run_browser, smtp_env, smtp_sink};

const DAY_CODES: [&str; 7] = ["mo", "tu", "we", "th", "fr", "sa", "su"];

fn code(d: NaiveDate) -> &'static str {
    DAY_CODES[d.weekday().num_days_from_monday() as usize]
}

fn python(script: &str, arg: &Path) -> String {
    let out = Command::new("python3").arg("-c").arg(script).arg(arg).output().expect("python3");
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_recurring_conference_scheduled_in_chromium() {
    let mail = tempfile::tempdir().unwrap();
    let maildir = mail.path().join("box");
    let (_sink, smtp_port) = smtp_sink(None, &maildir);
    let mut env = smtp_env(smtp_port);
    env.push(("TESSERA_MEDIA".into(), "false".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Server::start_with(&[], &env);
    s.add_user("alice", "alice-password");
    s.add_user("bob", "bob-password");
    s.add_user("carol", "carol-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences", "edit_address_book"], "");
    let (bob, bob_csrf) = s.sign_in("bob", "bob-password").await;
    let r = bob
        .patch(format!("{}/api/v1/me", s.base))
        .header("x-csrf-token", &bob_csrf)
        .json(&serde_json::json!({"email": "bob@example.org", "display_name": "Bob Builder"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The room system is in alice's address book.
    let (alice, alice_csrf) = s.sign_in("alice", "alice-password").await;
    let r = alice
        .post(format!("{}/api/v1/contacts", s.base))
        .header("x-csrf-token", &alice_csrf)
        .json(&serde_json::json!({"address": "sip:boardroom@10.0.0.9", "name": "Boardroom"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Weekly on today's weekday and the one two days later, four times, at an hour away from
    // now (so the scheduler leaves it alone), in UTC.
    let now = Utc::now();
    let today = now.date_naive();
    let hour = if now.format("%H").to_string().parse::<u32>().unwrap() < 12 { "22:00" } else { "01:00" };
    let end = if hour == "22:00" { "23:00" } else { "02:00" };
    let second = today + Duration::days(2);
    let dates = [today, second, today + Duration::days(7), second + Duration::days(7)];
    let not_dates = [today + Duration::days(1), today + Duration::days(14)];
    let fmt = |d: &[NaiveDate]| d.iter().map(|x| x.format("%Y-%m-%d").to_string()).collect::<Vec<_>>().join(",");
    let shots = s.dir.path().join("shots");
    std::fs::create_dir_all(&shots).unwrap();
    let start = format!("{}T{hour}", today.format("%Y-%m-%d"));
    let end = format!("{}T{end}", today.format("%Y-%m-%d"));
    let mut days = [code(today), code(second)];
    days.sort_by_key(|d| DAY_CODES.iter().position(|x| x == d));
    let res = run_browser(
        "scheduling",
        &[
            ("BASE", &s.base),
            ("LOGIN", "alice"),
            ("PASSWORD", "alice-password"),
            ("NAME", "Quarterly <planning>"),
            ("ID", "quarterly-planning"),
            ("START", &start),
            ("END", &end),
            ("DAYS", &days.join(",")),
            ("COUNT", "4"),
            ("PARTICIPANT", "bob"),
            ("DATES", &fmt(&dates)),
            ("NOT_DATES", &fmt(&not_dates)),
            ("OUT", std::env::var("TESSERA_SCREENSHOTS").as_deref().unwrap_or(shots.to_str().unwrap())),
        ],
    );
    assert!(res.contains("\"ok\":true"), "{res}");

    // The server's occurrences, as the participant sees them.
    let from = today.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    let r = bob.get(format!("{}/api/v1/meetings?from={from}&to={}", s.base, from + 30 * 86_400)).send().await.unwrap();
    let list: serde_json::Value = r.json().await.unwrap();
    let mut server: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "quarterly-planning")
        .map(|c| c["starts_at"].as_i64().unwrap())
        .collect();
    server.sort();
    assert_eq!(server.len(), 4, "{list}");
    assert_eq!(list.as_array().unwrap()[0]["participant_count"], 3, "owner, bob and the boardroom");

    // The .ics through an independent reader.
    let r = bob.get(format!("{}/conferences/quarterly-planning/calendar.ics", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ics = s.dir.path().join("c.ics");
    std::fs::write(&ics, r.bytes().await.unwrap()).unwrap();
    let out = python(
        "import sys, datetime, icalendar, recurring_ical_events as r\n\
         cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
         ev = r.of(cal).between(datetime.date(2000, 1, 1), datetime.date(2100, 1, 1))\n\
         print(' '.join(str(int(e['DTSTART'].dt.timestamp())) for e in ev))\n\
         print(cal.walk('VEVENT')[0]['SUMMARY'])",
        &ics,
    );
    let mut lines = out.lines();
    let mut theirs: Vec<i64> = lines.next().unwrap().split_whitespace().map(|x| x.parse().unwrap()).collect();
    theirs.sort();
    assert_eq!(theirs, server, "icalendar and Tessera agree on the occurrences");
    assert_eq!(lines.next(), Some("Quarterly <planning>"));

    // The invitation, with the .ics attached.
    let new = maildir.join("new");
    let mut file = None;
    for _ in 0..100 {
        if let Some(f) = std::fs::read_dir(&new).ok().and_then(|mut d| d.next()).and_then(|e| e.ok()) {
            file = Some(f.path());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let file = file.expect("no invitation reached the SMTP sink");
    let out = python(
        "import sys, email\n\
         m = email.message_from_binary_file(open(sys.argv[1], 'rb'))\n\
         print(m['To']); print(m['Subject'])\n\
         for p in m.walk():\n\
         \x20   if p.get_filename(): print(p.get_filename()); print(p.get_payload(decode=True).decode())\n\
         \x20   elif p.get_content_type() == 'text/plain': print(p.get_payload(decode=True).decode())",
        &file,
    );
    assert!(out.contains("bob@example.org"), "{out}");
    assert!(out.contains("Invitation: Quarterly <planning>"), "{out}");
    assert!(out.contains("invite.ics") && out.contains("RRULE:FREQ=WEEKLY"), "{out}");
    assert!(out.contains("/c/quarterly-planning") && out.contains("PIN: 4321"), "{out}");
    assert!(s.log().contains("invitation sent"), "the server logs the delivery");

    // An outsider: not by page, not by API, not by export.
    let (carol, carol_csrf) = s.sign_in("carol", "carol-password").await;
    for uri in [
        "/api/v1/conferences/quarterly-planning",
        "/conferences/quarterly-planning/calendar.ics",
        "/conferences/quarterly-planning/edit",
    ] {
        let r = carol.get(format!("{}{uri}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{uri}");
    }
    let r = carol
        .delete(format!("{}/api/v1/conferences/quarterly-planning", s.base))
        .header("x-csrf-token", &carol_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
