//! Attacks over SIP, performed against the real binary (issue 19): guessing a conference's PIN
//! by dialling `ID*PIN` meets the same per-address throttle as the web (so the web refuses that
//! address too), and the owner hears of it in the connection history.

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::net::UdpSocket;
use tessera_e2e::Server;
use tessera_e2e::sip::invite;
use tessera_e2e::ws::{connect, offer};
use tokio_tungstenite::tungstenite::Message;

/// A server whose SIP rate limit leaves room for the bursts here.
fn server() -> (tempfile::TempDir, Server) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("sip.toml");
    std::fs::write(&cfg, "[sip]\nmax_messages_per_second = 1000\n").unwrap();
    let s = Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    (tmp, s)
}

/// What the page's socket answers a guest's join with `pin`: the error's field and message.
async fn web_join_with_pin(s: &Server, conference: &str, pin: &str) -> (String, String) {
    let mut ws = connect(s, conference, None, None).await.expect("websocket");
    let join = json!({"type": "join", "as": "guest", "name": "Gina", "pin": pin, "offer": offer()});
    ws.send(Message::Text(join.to_string().into())).await.unwrap();
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "error" {
                return (v["field"].as_str().unwrap_or("").into(), v["message"].as_str().unwrap_or("").into());
            }
            if v["type"] == "answer" || v["type"] == "joined" {
                return (String::new(), "joined".into());
            }
        }
    }
    (String::new(), "closed".into())
}

#[tokio::test]
async fn pins_cannot_be_guessed_over_sip() {
    let (_tmp, s) = server();
    s.admin_ok(
        &["conference", "add", "vault", "--name", "Vault", "--owner", "admin", "--room", "--public", "--pin", "4711"],
        "",
    );
    let (c, _) = s.sign_in("admin", "admin-password").await;
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Nobody listens at the offer's media address; nothing is ACKed.
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();

    // Twenty-five wrong PINs: every one refused, the address throttled after twenty (the web's
    // auth.address_max_failures).
    for guess in 0..25 {
        let (code, text) =
            invite(&udp, s.sip_port, &format!("vault*{:04}", 1000 + guess), &format!("guess{guess}"), sink);
        assert_eq!(code, 403, "guess {guess}: {text}");
    }
    // The right PIN from the same address is refused now, over SIP…
    let (code, text) = invite(&udp, s.sip_port, "vault*4711", "right-one", sink);
    assert_eq!(code, 403, "the right PIN was accepted after 25 wrong ones:\n{text}");
    assert!(text.contains("too many"), "{text}");
    // …without a PIN (no prompt for a throttled address)…
    let (code, _) = invite(&udp, s.sip_port, "vault", "no-pin", sink);
    assert_eq!(code, 403);
    // …and on the page: one throttle for every way in.
    let (field, message) = web_join_with_pin(&s, "vault", "4711").await;
    assert_eq!(field, "pin", "{message}");
    assert!(message.contains("too many wrong PINs"), "{message}");

    // The owner (signed in before: the address is throttled now) sees it in the history.
    let events: serde_json::Value =
        c.get(format!("{}/api/v1/conferences/vault/events", s.base)).send().await.unwrap().json().await.unwrap();
    let alarm = events.as_array().unwrap().iter().find(|e| e["kind"] == "pin_guessing");
    assert!(alarm.is_some(), "no pin_guessing event: {events}");
    assert!(s.log().contains("someone may be guessing"), "{}", s.log());
}
