//! Errors are told in the asker's language: the signed-in user's profile, or the browser's
//! `Accept-Language` for anyone else. The forms show these texts as they come, so a Russian user
//! who leaves a field empty reads Russian, and an English one English, from the same server.

use futures_util::{SinkExt, StreamExt};
use tessera_e2e::Server;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn error_of(r: reqwest::Response) -> (u16, serde_json::Value) {
    let status = r.status().as_u16();
    (status, r.json().await.expect("a JSON error"))
}

#[tokio::test]
async fn errors_are_in_the_askers_language() {
    let s = Server::start();
    s.add_user("alice", "alice-password");
    s.add_user("boris", "boris-password");
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    s.admin_ok(&["rights", "grant", "boris", "create_conferences"], "");
    s.set_profile("boris", serde_json::json!({"language": "ru"})).await;

    // The scheduling form's request with a name too long and then with no name at all.
    let long = "x".repeat(300);
    for (login, want_long, want_empty) in [
        ("alice", "name: must be at most 200 characters", "name: is required"),
        ("boris", "name: не длиннее 200 символов", "name: обязательное поле"),
    ] {
        let (c, csrf) = s.sign_in(login, &format!("{login}-password")).await;
        for (title, want) in [(long.as_str(), want_long), ("", want_empty)] {
            let r = c
                .post(format!("{}/api/v1/conferences", s.base))
                .header("x-csrf-token", &csrf)
                // The profile decides for a signed-in user, not the browser's languages.
                .header("accept-language", if login == "alice" { "ru" } else { "en" })
                .json(&serde_json::json!({"name": title, "kind": "room"}))
                .send()
                .await
                .unwrap();
            let (status, body) = error_of(r).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(body["field"], "name", "{body}");
            assert_eq!(body["error"], want, "{login}");
        }
        // A request without the CSRF token: refused, in the same language.
        let r = c.post(format!("{}/api/v1/conferences", s.base)).json(&serde_json::json!({})).send().await.unwrap();
        let (status, body) = error_of(r).await;
        assert_eq!(status, 403);
        let ru = body["error"].as_str().unwrap().contains("токена");
        assert_eq!(ru, login == "boris", "{body}");
    }

    // Nobody signed in: the browser's language. A wrong password, then a missing page.
    for (lang, want) in
        [("ru-RU,ru;q=0.9", "неверное имя пользователя или пароль"), ("en-GB", "wrong username or password")]
    {
        let r = s
            .client()
            .post(format!("{}/api/v1/session", s.base))
            .header("accept-language", lang)
            .json(&serde_json::json!({"login": "alice", "password": "not-her-password"}))
            .send()
            .await
            .unwrap();
        let (status, body) = error_of(r).await;
        assert_eq!((status, body["error"].as_str().unwrap()), (401, want));
    }
    let r =
        s.client().get(format!("{}/api/v1/nothing-here", s.base)).header("accept-language", "ru").send().await.unwrap();
    assert_eq!(r.headers().get("content-language").map(|v| v.to_str().unwrap().to_string()), Some("ru".into()));
    let (status, body) = error_of(r).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (404, "не найдено"));

    // A guest at a webinar's page, joining without a name: told so in the browser's language.
    s.admin_ok(&["conference", "add", "open", "--name", "Open", "--owner", "alice", "--room", "--public"], "");
    for (lang, want) in [("ru", "введите имя, чтобы войти как гость"), ("en", "enter your name to join as a guest")]
    {
        let mut req = format!("ws://127.0.0.1:{}/c/open/ws", s.port).into_client_request().unwrap();
        req.headers_mut().insert("accept-language", lang.parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("the page's socket");
        let join = serde_json::json!({"type": "join", "as": "guest", "name": " ", "offer": "v=0"});
        ws.send(Message::Text(join.to_string().into())).await.unwrap();
        let told = loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => break serde_json::from_str::<serde_json::Value>(&t).unwrap(),
                Some(Ok(_)) => continue,
                other => panic!("no refusal: {other:?}"),
            }
        };
        assert_eq!((told["field"].as_str(), told["message"].as_str()), (Some("name"), Some(want)), "{told}");
    }
}
