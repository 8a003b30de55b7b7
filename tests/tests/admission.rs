//! One table of who may join, run through both ways in: a SIP caller (SIPp, digest
//! credentials) and the conference page's socket (signed in). Both call the core's one admission
//! decision, so each row must come out the same on both: admitted, hidden, or refused for the
//! same reason.

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::Duration;
use tessera_e2e::Server;
use tessera_e2e::sipp::{finish, private_call_xml, spawn};
use tessera_e2e::ws::{connect, offer, sign_in_cookie};
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Admitted,
    /// Told as if the conference did not exist.
    Hidden,
    NoLicense,
    NotStarted,
    WrongPin,
}

impl Outcome {
    /// The SIP answer: the final response to the authenticated INVITE.
    fn sip(self) -> u16 {
        match self {
            Outcome::Admitted => 200,
            Outcome::Hidden => 404,
            Outcome::NoLicense | Outcome::WrongPin => 403,
            Outcome::NotStarted => 480,
        }
    }
}

/// The page's answer to a signed-in user joining as themself, read as an outcome.
async fn web_join(s: &Server, cookie: &str, conference: &str, pin: &str) -> Result<Outcome, String> {
    let mut ws = match connect(s, conference, Some(cookie), None).await {
        Ok(ws) => ws,
        Err(404) => return Ok(Outcome::Hidden),
        Err(code) => return Err(format!("handshake answered {code}")),
    };
    let join = json!({"type": "join", "as": "user", "pin": pin, "offer": offer()});
    ws.send(Message::Text(join.to_string().into())).await.unwrap();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), ws.next()).await.map_err(|_| "no answer in 30 s")?;
        let Some(Ok(Message::Text(t))) = m else { return Err(format!("closed without a verdict: {m:?}")) };
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        if v["type"] == "answer" || v["type"] == "joined" {
            return Ok(Outcome::Admitted);
        }
        if v["type"] == "error" {
            let message = v["message"].as_str().unwrap_or_default();
            return match message {
                m if m.contains("license") => Ok(Outcome::NoLicense),
                m if m.contains("not started") => Ok(Outcome::NotStarted),
                m if m.contains("wrong PIN") => Ok(Outcome::WrongPin),
                m if m.contains("not invited") => Ok(Outcome::Hidden),
                other => Err(format!("an error no row expects: {other}")),
            };
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sip_caller_and_a_browser_are_admitted_by_the_same_rules() {
    let s = Server::start();
    for (login, licensed) in [("alice", true), ("carol", false), ("dave", true), ("oscar", true)] {
        s.add_user(login, &format!("{login}-secret-1"));
        if licensed {
            s.admin_ok(&["license", "grant", login, "--permanent"], "");
        }
    }
    s.admin_ok(&["rights", "grant", "oscar", "operator"], "");
    s.admin_ok(&["conference", "add", "board", "--name", "Board", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "add", "vault", "--name", "Vault", "--owner", "admin", "--room", "--pin", "4711"], "");
    s.admin_ok(
        &[
            "conference",
            "add",
            "later",
            "--name",
            "Later",
            "--owner",
            "admin",
            "--start",
            "2031-03-04T10:00",
            "--duration",
            "60",
        ],
        "",
    );
    for (conference, login) in [("board", "alice"), ("board", "carol"), ("vault", "alice"), ("later", "alice")] {
        s.admin_ok(&["conference", "invite", conference, login], "");
    }

    #[rustfmt::skip]
    let table = [
        ("an invited, licensed user", "alice", "board", "", Outcome::Admitted),
        ("an invited user without a license", "carol", "board", "", Outcome::NoLicense),
        ("a user who is not invited", "dave", "board", "", Outcome::Hidden),
        ("an operator, not invited", "oscar", "board", "", Outcome::Admitted),
        ("a scheduled conference before its start", "alice", "later", "", Outcome::NotStarted),
        ("the right PIN", "alice", "vault", "4711", Outcome::Admitted),
        ("a wrong PIN", "alice", "vault", "1234", Outcome::WrongPin),
    ];
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut disagreements = Vec::new();
    for (what, login, conference, pin, expected) in table {
        // SIP: the PIN travels in the dialled address (`vault*4711`).
        let target = if pin.is_empty() { conference.to_string() } else { format!("{conference}*{pin}") };
        let xml = private_call_xml(expected.sip()).replace("sip:closed@", &format!("sip:{target}@"));
        let password = format!("{login}-secret-1");
        let (ok, out) = tokio::task::spawn_blocking({
            let (port, d, login) = (s.sip_port, d.to_path_buf(), login.to_string());
            move || finish(spawn(port, &d, &login, &xml, &["-ap", &password]), &d)
        })
        .await
        .unwrap();
        if !ok {
            disagreements.push(format!("SIP, {what}: expected {} ({expected:?}); SIPp said:\n{out}", expected.sip()));
        }
        let (cookie, _) = sign_in_cookie(&s, login, &format!("{login}-secret-1")).await;
        match web_join(&s, &cookie, conference, pin).await {
            Ok(got) if got == expected => {}
            got => disagreements.push(format!("web, {what}: expected {expected:?}, got {got:?}")),
        }
    }
    assert!(disagreements.is_empty(), "{} rows went another way:\n{}", disagreements.len(), disagreements.join("\n"));
}
