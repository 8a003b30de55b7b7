//! The conference page's WebSocket from a test: a browser-like SDP offer (no candidates, so the
//! server never sends media anywhere) and a client with the page's cookie and origin.

use crate::Server;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebRTC offer as a browser makes it (without candidates, so nothing is ever sent to it).
pub fn offer() -> String {
    let fp = (0..32).map(|i| format!("{:02X}", i * 7 % 256)).collect::<Vec<_>>().join(":");
    let common = format!(
        "c=IN IP4 0.0.0.0\r\na=ice-ufrag:bAdP\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n\
         a=fingerprint:sha-256 {fp}\r\na=setup:actpass\r\na=rtcp-mux\r\na=sendrecv\r\n"
    );
    format!(
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n{common}a=mid:0\r\na=rtpmap:111 opus/48000/2\r\n\
         a=fmtp:111 minptime=10;useinbandfec=1\r\n\
         m=video 9 UDP/TLS/RTP/SAVPF 96\r\n{common}a=mid:1\r\na=rtpmap:96 VP8/90000\r\n\
         a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
    )
}

pub async fn connect(s: &Server, conf: &str, cookie: Option<&str>, origin: Option<&str>) -> Result<Ws, u16> {
    connect_path(s, &format!("/c/{conf}/ws"), cookie, origin).await
}

/// A WebSocket to any of the server's paths (the conference manager's: `/conferences/ID/manage/ws`).
pub async fn connect_path(s: &Server, path: &str, cookie: Option<&str>, origin: Option<&str>) -> Result<Ws, u16> {
    let mut req = format!("ws://127.0.0.1:{}{path}", s.port).into_client_request().unwrap();
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", HeaderValue::from_str(c).unwrap());
    }
    if let Some(o) = origin {
        req.headers_mut().insert("origin", HeaderValue::from_str(o).unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("handshake: {e}"),
    }
}

/// Signs in through the API: the session's `Cookie` header value (for a WebSocket handshake)
/// and the CSRF token.
pub async fn sign_in_cookie(s: &Server, login: &str, password: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/session", s.base))
        .json(&serde_json::json!({"login": login, "password": password}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), 200, "{login} signs in");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let csrf =
        r.json::<serde_json::Value>().await.expect("json")["csrf_token"].as_str().expect("csrf_token").to_string();
    (cookie, csrf)
}
