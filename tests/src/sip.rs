//! Hand-made SIP requests for what the tools cannot send: a REGISTER answered with SHA-256
//! digest (SIPp knows MD5 only), replays of captured authorizations.

use std::net::UdpSocket;
use std::time::Duration;
use tessera_sip_h323_bridge::sip::digest::{self, Algorithm};

/// The status code of a SIP response's text (0 when it is none).
pub fn status(text: &str) -> u16 {
    text.get(8..11).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// A REGISTER answered with SHA-256, built and checked here.
pub fn register_sha256(port: u16, login: &str, password: &str) -> u16 {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let me = udp.local_addr().unwrap();
    let request = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKsha{cseq}\r\nMax-Forwards: 70\r\n\
From: <sip:{login}@127.0.0.1>;tag=s1\r\nTo: <sip:{login}@127.0.0.1>\r\nCall-ID: sha-{login}\r\nCSeq: {cseq} REGISTER\r\n\
Contact: <sip:{login}@{me}>\r\n{auth}Expires: 300\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let mut buf = vec![0u8; 8192];
    udp.send_to(request(1, "").as_bytes(), ("127.0.0.1", port)).unwrap();
    let n = udp.recv(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert_eq!(status(&text), 401, "{text}");
    let challenge = text
        .lines()
        .find(|l| l.starts_with("WWW-Authenticate:") && l.contains("SHA-256"))
        .expect("a SHA-256 challenge");
    let nonce = challenge.split("nonce=\"").nth(1).and_then(|r| r.split('"').next()).unwrap();
    let uri = "sip:127.0.0.1";
    let creds = digest::Credentials {
        username: login.into(),
        realm: "tessera".into(),
        nonce: nonce.into(),
        uri: uri.into(),
        qop: Some("auth".into()),
        nc: Some("00000001".into()),
        cnonce: Some("c0ffee".into()),
        ..Default::default()
    };
    let ha1 = digest::ha1(Algorithm::Sha256, login, "tessera", password);
    let response = digest::expected(Algorithm::Sha256, &ha1, "REGISTER", &creds);
    let auth = format!(
        "Authorization: Digest username=\"{login}\", realm=\"tessera\", nonce=\"{nonce}\", uri=\"{uri}\", \
algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c0ffee\", response=\"{response}\"\r\n"
    );
    udp.send_to(request(2, &auth).as_bytes(), ("127.0.0.1", port)).unwrap();
    let n = udp.recv(&mut buf).unwrap();
    status(&String::from_utf8_lossy(&buf[..n]))
}
