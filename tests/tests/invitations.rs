//! Invitations as calendar requests, end to end through a real SMTP server (`aiosmtpd`), read
//! with Python's `email` and `icalendar`: while the mail server is down the organiser sees the
//! failure on the conference's card and in the API, and the outbox delivers once it is up; an
//! invitation is an iTIP REQUEST with ORGANIZER, ATTENDEE and SEQUENCE 0, in the invitee's
//! language; a change raises SEQUENCE under the same UID; removing an invitee sends them a
//! CANCEL; a burst of saves mails each invitee once, with the last state; deleting the conference
//! sends the rest a CANCEL.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tessera_e2e::{Server, free_port, smtp_env, smtp_sink_on};

/// One delivered message, as Python reads it.
#[derive(Debug, Clone, serde::Deserialize)]
struct Mail {
    to: String,
    subject: String,
    /// The `method` parameter of the `text/calendar` part.
    part_method: String,
    method: String,
    uid: String,
    sequence: i64,
    status: String,
    organizer: String,
    attendees: Vec<String>,
    dtstart: String,
    attachment: bool,
}

const READ: &str = r#"
import sys, os, json, email, icalendar
out = []
for d in ('new', 'cur'):
    p = os.path.join(sys.argv[1], d)
    if not os.path.isdir(p):
        continue
    for f in sorted(os.listdir(p)):
        m = email.message_from_binary_file(open(os.path.join(p, f), 'rb'))
        subject = str(email.header.make_header(email.header.decode_header(m['Subject'])))
        cal, part_method, attachment = None, '', False
        for part in m.walk():
            if part.get_filename() == 'invite.ics':
                attachment = True
            elif part.get_content_type() == 'text/calendar':
                part_method = part.get_param('method') or ''
                cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        ev = cal.walk('VEVENT')[0]
        att = ev.get('ATTENDEE') or []
        if not isinstance(att, list):
            att = [att]
        out.append({
            'to': m['To'], 'subject': subject, 'part_method': part_method,
            'method': str(cal['METHOD']), 'uid': str(ev['UID']), 'sequence': int(ev['SEQUENCE']),
            'status': str(ev.get('STATUS', '')), 'organizer': str(ev['ORGANIZER']),
            'attendees': sorted(str(a) for a in att), 'dtstart': ev['DTSTART'].dt.isoformat(),
            'attachment': attachment,
        })
print(json.dumps(out))
"#;

fn read_maildir(dir: &Path) -> Vec<Mail> {
    let out = Command::new("python3").arg("-c").arg(READ).arg(dir).output().expect("python3");
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits until the Maildir holds `n` messages, and returns them.
async fn wait_for(dir: &Path, n: usize) -> Vec<Mail> {
    let mut got = Vec::new();
    for _ in 0..300 {
        got = read_maildir(dir);
        if got.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), n, "{got:#?}");
    got
}

/// The messages to `to` among `all`, by SEQUENCE.
fn to(all: &[Mail], to: &str) -> BTreeMap<i64, Mail> {
    all.iter().filter(|m| m.to.contains(to)).map(|m| (m.sequence, m.clone())).collect()
}

#[tokio::test]
async fn invitations_are_calendar_requests_updated_and_cancelled() {
    let mail = tempfile::tempdir().unwrap();
    let maildir = mail.path().join("box");
    // The server knows the SMTP port before anything listens on it.
    let smtp_port = free_port();
    let mut env = smtp_env(smtp_port);
    // Updates wait 3 s, so that the burst of saves below mails carol once.
    env.extend(
        [("TESSERA_MEDIA", "false"), ("TESSERA_SMTP_RETRY_AFTER_SECS", "1"), ("TESSERA_SMTP_UPDATE_DELAY_SECS", "3")]
            .map(|(k, v)| (k.into(), v.into())),
    );
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Server::start_with(&[], &env);
    s.add_user("alice", "alice-password");
    s.add_user("bob", "bob-password");
    s.add_user("carol", "carol-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    for (login, email, language) in
        [("alice", "alice@example.org", "en"), ("bob", "bob@example.org", "ru"), ("carol", "carol@example.org", "en")]
    {
        s.set_profile(
            login,
            serde_json::json!({"email": email, "language": language, "display_name": login.to_uppercase()}),
        )
        .await;
    }
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let mut input = serde_json::json!({
        "id": "board-review",
        "name": "Board review",
        "start": "2030-03-12T10:00",
        "end": "2030-03-12T11:00",
        "time_zone": "Europe/Berlin",
        "recurrence": { "freq": "weekly", "days": ["tu"], "count": 3 },
        "participants": [{ "login": "bob", "role": "participant" }],
        "pin": "2468",
        "email_invitations": true
    });
    let api = format!("{}/api/v1/conferences", s.base);
    let r = alice.post(&api).header("x-csrf-token", &csrf).json(&input).send().await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let saved: serde_json::Value = r.json().await.unwrap();
    assert_eq!(saved["invitations"], 1, "{saved}");

    // The mail server is down: the organiser sees it, in the API and on the card.
    let mut rows = serde_json::Value::Null;
    for _ in 0..100 {
        rows = alice.get(format!("{api}/board-review/mail")).send().await.unwrap().json().await.unwrap();
        if rows[0]["last_error"].as_str().is_some_and(|e| !e.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rows[0]["status"], "pending", "{rows}");
    assert_eq!(rows[0]["recipient"], "bob@example.org", "{rows}");
    assert!(rows[0]["attempts"].as_i64().unwrap() >= 1, "{rows}");
    let card = alice
        .get(format!("{}/meetings?view=all&selected=board-review", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(card.contains("id=\"card-delivery\"") && card.contains("bob@example.org"), "{card}");
    // Nobody else reads the delivery log.
    let (carol, _) = s.sign_in("carol", "carol-password").await;
    assert_eq!(carol.get(format!("{api}/board-review/mail")).send().await.unwrap().status(), 404);

    // The server comes up: the retry delivers it.
    let (_sink, _) = smtp_sink_on(None, &maildir, smtp_port);
    let all = wait_for(&maildir, 1).await;
    let inv = &all[0];
    assert!(inv.to.contains("bob@example.org"), "{inv:?}");
    assert_eq!(inv.subject, "Приглашение: Board review", "in bob's language");
    assert_eq!((inv.method.as_str(), inv.part_method.as_str()), ("REQUEST", "REQUEST"), "{inv:?}");
    assert_eq!((inv.sequence, inv.status.as_str()), (0, "CONFIRMED"));
    assert_eq!(inv.organizer, "mailto:alice@example.org");
    assert_eq!(inv.attendees, ["mailto:bob@example.org"]);
    assert!(inv.attachment && inv.dtstart.starts_with("2030-03-12T10:00:00+01:00"), "{inv:?}");
    let uid = inv.uid.clone();
    assert!(s.log().contains("invitation sent"), "the server logs the delivery");
    let card = alice.get(format!("{}/meetings?view=all&selected=board-review", s.base)).send().await.unwrap();
    assert!(!card.text().await.unwrap().contains("card-delivery"), "delivered: nothing to report");

    // A change of time, and carol invited: bob's update and carol's invitation, SEQUENCE 1.
    input["start"] = "2030-03-12T14:00".into();
    input["end"] = "2030-03-12T15:00".into();
    input["participants"] =
        serde_json::json!([{ "login": "bob", "role": "participant" }, { "login": "carol", "role": "participant" }]);
    let r = alice.put(format!("{api}/board-review")).header("x-csrf-token", &csrf).json(&input).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let all = wait_for(&maildir, 3).await;
    let (bob, carol) = (to(&all, "bob@example.org"), to(&all, "carol@example.org"));
    assert_eq!(bob[&1].uid, uid, "the same event");
    assert_eq!(bob[&1].method, "REQUEST");
    assert!(bob[&1].subject.starts_with("Изменённое приглашение"), "{:?}", bob[&1]);
    assert!(bob[&1].dtstart.starts_with("2030-03-12T14:00:00"), "{:?}", bob[&1]);
    assert_eq!(bob[&1].attendees, ["mailto:bob@example.org", "mailto:carol@example.org"]);
    assert_eq!((carol[&1].uid.as_str(), carol[&1].subject.as_str()), (uid.as_str(), "Invitation: Board review"));

    // bob removed: his CANCEL, and carol's update, SEQUENCE 2.
    input["participants"] = serde_json::json!([{ "login": "carol", "role": "participant" }]);
    let r = alice.put(format!("{api}/board-review")).header("x-csrf-token", &csrf).json(&input).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let all = wait_for(&maildir, 5).await;
    let (bob, carol) = (to(&all, "bob@example.org"), to(&all, "carol@example.org"));
    assert_eq!((bob[&2].method.as_str(), bob[&2].part_method.as_str()), ("CANCEL", "CANCEL"), "{:?}", bob[&2]);
    assert_eq!((bob[&2].uid.as_str(), bob[&2].status.as_str()), (uid.as_str(), "CANCELLED"));
    assert_eq!(bob[&2].attendees, ["mailto:bob@example.org"]);
    assert_eq!(carol[&2].method, "REQUEST");
    assert_eq!(carol[&2].attendees, ["mailto:carol@example.org"]);

    // An organiser who saves five times in a row (or a script that would flood inboxes): each
    // save replaces the update still waiting, so carol gets one message, the last (SEQUENCE 7).
    for minute in 10..15 {
        input["start"] = format!("2030-03-12T16:{minute}").into();
        input["end"] = "2030-03-12T17:30".into();
        let r =
            alice.put(format!("{api}/board-review")).header("x-csrf-token", &csrf).json(&input).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let all = wait_for(&maildir, 6).await;
    let carol = to(&all, "carol@example.org");
    assert!(carol[&7].dtstart.starts_with("2030-03-12T16:14:00"), "the last state: {:?}", carol[&7]);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(read_maildir(&maildir).len(), 6, "one update for five saves");
    assert!(s.log().contains("replaced by newer ones"), "the server logs the replacement");

    // The conference deleted: carol's CANCEL, SEQUENCE 8; the log of it outlives the conference
    // but nobody may read it through a conference that is gone.
    let r = alice.delete(format!("{api}/board-review")).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let all = wait_for(&maildir, 7).await;
    let carol = to(&all, "carol@example.org");
    assert_eq!((carol[&8].method.as_str(), carol[&8].status.as_str()), ("CANCEL", "CANCELLED"), "{:?}", carol[&8]);
    assert_eq!((carol[&8].uid.as_str(), carol[&8].subject.as_str()), (uid.as_str(), "Cancelled: Board review"));
    assert_eq!(alice.get(format!("{api}/board-review/mail")).send().await.unwrap().status(), 404);
    assert!(s.log().contains("cancellation sent"), "{}", s.log());
}
