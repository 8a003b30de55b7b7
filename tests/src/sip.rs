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
    register_sha256_captured(port, login, password, "sip:127.0.0.1").0
}

/// REGISTER `login` from `udp` to `ruri`, with `auth` (an Authorization header line, or "")
/// and CSeq `cseq`; returns the answer's status and text.
pub fn register_raw(udp: &UdpSocket, port: u16, login: &str, ruri: &str, cseq: u32, auth: &str) -> (u16, String) {
    let me = udp.local_addr().unwrap();
    let request = format!(
        "REGISTER {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKsha{cseq}x{}\r\nMax-Forwards: 70\r\n\
From: <sip:{login}@127.0.0.1>;tag=s1\r\nTo: <sip:{login}@127.0.0.1>\r\nCall-ID: sha-{login}-{}\r\nCSeq: {cseq} REGISTER\r\n\
Contact: <sip:{login}@{me}>\r\n{auth}Expires: 300\r\nContent-Length: 0\r\n\r\n",
        me.port(),
        me.port()
    );
    udp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    udp.send_to(request.as_bytes(), ("127.0.0.1", port)).unwrap();
    let mut buf = vec![0u8; 8192];
    let n = udp.recv(&mut buf).unwrap_or_else(|e| panic!("no answer to a REGISTER of {login}: {e}"));
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    (status(&text), text)
}

/// A REGISTER to `ruri` answered with SHA-256 digest: the final status, and the Authorization
/// header line it sent (which an eavesdropper could capture).
pub fn register_sha256_captured(port: u16, login: &str, password: &str, ruri: &str) -> (u16, String) {
    register_sha256_captured_from(&UdpSocket::bind("127.0.0.1:0").unwrap(), port, login, password, ruri)
}

/// [`register_sha256_captured`] from `udp`.
pub fn register_sha256_captured_from(
    udp: &UdpSocket,
    port: u16,
    login: &str,
    password: &str,
    ruri: &str,
) -> (u16, String) {
    let (code, text) = register_raw(udp, port, login, ruri, 1, "");
    assert_eq!(code, 401, "{text}");
    let challenge = text
        .lines()
        .find(|l| l.starts_with("WWW-Authenticate:") && l.contains("SHA-256"))
        .expect("a SHA-256 challenge");
    let nonce = challenge.split("nonce=\"").nth(1).and_then(|r| r.split('"').next()).unwrap();
    let creds = digest::Credentials {
        username: login.into(),
        realm: "tessera".into(),
        nonce: nonce.into(),
        uri: ruri.into(),
        qop: Some("auth".into()),
        nc: Some("00000001".into()),
        cnonce: Some("c0ffee".into()),
        ..Default::default()
    };
    let ha1 = digest::ha1(Algorithm::Sha256, login, "tessera", password);
    let response = digest::expected(Algorithm::Sha256, &ha1, "REGISTER", &creds);
    let auth = format!(
        "Authorization: Digest username=\"{login}\", realm=\"tessera\", nonce=\"{nonce}\", uri=\"{ruri}\", \
algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c0ffee\", response=\"{response}\"\r\n"
    );
    let (code, _) = register_raw(udp, port, login, ruri, 2, &auth);
    (code, auth)
}

/// Sends an INVITE for `sip:USER@127.0.0.1` from `udp` with a PCMU and H.264 offer whose media
/// address is `media` (which may be nobody's: the victim of a reflection attack), and returns the
/// final answer's status and text (provisional answers are skipped). Nothing is ACKed.
pub fn invite(udp: &UdpSocket, port: u16, user: &str, call_id: &str, media: std::net::SocketAddr) -> (u16, String) {
    invite_with(udp, port, user, call_id, media, "")
}

/// [`invite`] with more header lines (`extra`, each ending in CRLF).
pub fn invite_with(
    udp: &UdpSocket,
    port: u16,
    user: &str,
    call_id: &str,
    media: std::net::SocketAddr,
    extra: &str,
) -> (u16, String) {
    invite_offering(udp, port, user, call_id, media, extra, "")
}

/// [`invite_with`] whose video section has more attribute lines (`video`, each ending in CRLF),
/// such as `a=rtcp-fb:96 nack`.
pub fn invite_offering(
    udp: &UdpSocket,
    port: u16,
    user: &str,
    call_id: &str,
    media: std::net::SocketAddr,
    extra: &str,
    video: &str,
) -> (u16, String) {
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {mport} RTP/AVP 0 101\r\n\
a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
m=video {vport} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n{video}",
        ip = media.ip(),
        mport = media.port(),
        vport = media.port() + 2
    );
    invite_sdp(udp, port, user, call_id, &sdp, extra)
}

/// An INVITE of `user` offering `sdp` (with more header lines, `extra`); the final answer's
/// status and text.
pub fn invite_sdp(udp: &UdpSocket, port: u16, user: &str, call_id: &str, sdp: &str, extra: &str) -> (u16, String) {
    let me = udp.local_addr().unwrap();
    let msg = format!(
        "INVITE sip:{user}@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK{call_id}\r\nMax-Forwards: 70\r\n\
From: \"Attacker\" <sip:a@{me}>;tag=t{call_id}\r\nTo: <sip:{user}@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
Contact: <sip:a@{me}>\r\n{extra}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    udp.send_to(msg.as_bytes(), ("127.0.0.1", port)).unwrap();
    let text = receive_until(udp, Duration::from_secs(5), &format!("the answer to the INVITE of {call_id}"), |t| {
        t.contains(&format!("Call-ID: {call_id}")) && status(t) >= 200
    });
    (status(&text), text)
}

/// Acknowledges the 2xx `answer` of the INVITE `call_id` sent by [`invite`] (with the tag of the
/// answer's To, as a real caller does).
pub fn ack(udp: &UdpSocket, port: u16, user: &str, call_id: &str, answer: &str) {
    let me = udp.local_addr().unwrap();
    let to = answer.lines().find(|l| l.starts_with("To:")).expect("To in the answer");
    let msg = format!(
        "ACK sip:{user}@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKack{call_id}\r\nMax-Forwards: 70\r\n\
From: \"Attacker\" <sip:a@{me}>;tag=t{call_id}\r\n{to}\r\nCall-ID: {call_id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    );
    udp.send_to(msg.as_bytes(), ("127.0.0.1", port)).unwrap();
}

/// Bytes and packets that arrive at `socket` within `window`.
pub fn received_within(socket: &UdpSocket, window: Duration) -> (usize, usize) {
    let deadline = std::time::Instant::now() + window;
    let mut buf = vec![0u8; 65_536];
    let (mut bytes, mut packets) = (0, 0);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return (bytes, packets);
        }
        socket.set_read_timeout(Some(left)).unwrap();
        if let Ok(n) = socket.recv(&mut buf) {
            bytes += n;
            packets += 1;
        }
    }
}

/// The first message that arrives at `udp` within `within` and satisfies `wanted` (others are
/// skipped); panics naming `what` when none does.
pub fn receive_until(udp: &UdpSocket, within: Duration, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    udp.set_read_timeout(Some(within)).unwrap();
    let mut buf = vec![0u8; 65_536];
    loop {
        let n = udp.recv(&mut buf).unwrap_or_else(|e| panic!("{what} did not come within {within:?}: {e}"));
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if wanted(&text) {
            return text;
        }
    }
}

/// A request inside the call `call_id` that [`invite`] set up (`answer`: its 2xx), with CSeq
/// `cseq` and no body: an UPDATE that refreshes the session, for example.
pub fn in_dialog(udp: &UdpSocket, port: u16, method: &str, user: &str, call_id: &str, answer: &str, cseq: u32) {
    let me = udp.local_addr().unwrap();
    let to = answer.lines().find(|l| l.starts_with("To:")).expect("To in the answer");
    let msg = format!(
        "{method} sip:{user}@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK{method}{cseq}{call_id}\r\n\
Max-Forwards: 70\r\nFrom: \"Attacker\" <sip:a@{me}>;tag=t{call_id}\r\n{to}\r\nCall-ID: {call_id}\r\n\
CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
    );
    udp.send_to(msg.as_bytes(), ("127.0.0.1", port)).unwrap();
}

/// A phone's media sockets on loopback: audio RTP, video RTP two above it, and video RTCP one
/// above that (RTP ports even, RTCP one above, as [`invite`] offers them).
pub fn phone_sockets() -> (UdpSocket, UdpSocket, UdpSocket) {
    loop {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if let (Ok(v), Ok(r)) = (UdpSocket::bind(("127.0.0.1", p + 2)), UdpSocket::bind(("127.0.0.1", p + 3))) {
            return (a, v, r);
        }
    }
}

/// The RTP and RTCP ports (RFC 3605's `a=rtcp`, else one above) of the answer's `kind` section.
pub fn answered_ports(answer: &str, kind: &str) -> (u16, u16) {
    let section = answer.split(&format!("m={kind} ")).nth(1).unwrap_or_else(|| panic!("no {kind} in {answer}"));
    let rtp =
        section.split_whitespace().next().and_then(|p| p.parse::<u16>().ok()).unwrap_or_else(|| panic!("{answer}"));
    let rtcp = section
        .lines()
        .take_while(|l| !l.starts_with("m="))
        .find_map(|l| l.strip_prefix("a=rtcp:"))
        .and_then(|p| p.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(rtp + 1);
    (rtp, rtcp)
}
