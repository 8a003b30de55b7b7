//! SIP over UDP and TCP against the real server: every RFC 4475 torture message gets the answer
//! the RFC expects (or none, where it expects none), OPTIONS is answered, and the per-address
//! rate limit holds under a flood.

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::time::Duration;
use tessera_e2e::Server;

/// (message, final answer over UDP, over TCP): a status code, 0 for "handled" (200 to OPTIONS;
/// for other requests an answer about the request itself — 401 for a call to a user, 481 for
/// no such call, 405 for methods Tessera does not take outside calls, 488 without an offer —
/// never 400 or 5xx), or None for no answer at all.
const EXPECTED: &[(&str, Option<u16>, Option<u16>)] = &[
    ("wsinv", Some(0), Some(0)),
    ("intmeth", Some(501), Some(501)),
    ("esc01", Some(0), Some(0)),
    ("escnull", Some(0), Some(0)),
    ("esc02", Some(501), Some(501)),
    ("lwsdisp", Some(0), Some(0)),
    ("longreq", Some(0), Some(0)),
    ("dblreq", Some(0), Some(0)),
    ("semiuri", Some(0), Some(0)),
    ("transports", Some(0), Some(0)),
    ("mpart01", Some(0), Some(0)),
    ("unreason", None, None),
    ("noreason", None, None),
    ("badinv01", Some(400), Some(400)),
    // Over a stream a Content-Length beyond the data means "wait"; the client then closes.
    ("clerr", Some(400), None),
    ("ncl", Some(400), Some(400)),
    ("scalar02", Some(400), Some(400)),
    ("scalarlg", None, None),
    ("quotbal", Some(400), Some(400)),
    ("ltgtruri", Some(400), Some(400)),
    ("lwsruri", Some(400), Some(400)),
    ("lwsstart", Some(400), Some(400)),
    ("trws", Some(400), Some(400)),
    ("escruri", Some(400), Some(400)),
    ("baddate", Some(0), Some(0)),
    ("regbadct", Some(400), Some(400)),
    ("badaspec", Some(400), Some(400)),
    // No empty line after the headers: a datagram ends anyway; a stream waits for it.
    ("baddn", Some(400), None),
    ("badvers", Some(505), Some(505)),
    ("mismatch01", Some(400), Some(400)),
    ("mismatch02", Some(501), Some(501)),
    ("bigcode", None, None),
    ("badbranch", Some(0), Some(0)),
    ("insuf", Some(400), Some(400)),
    ("unkscm", Some(416), Some(416)),
    ("novelsc", Some(416), Some(416)),
    ("unksm2", Some(0), Some(0)),
    ("bext01", Some(420), Some(420)),
    ("invut", Some(415), Some(415)),
    ("regaut01", Some(0), Some(0)),
    ("multi01", Some(400), Some(400)),
    ("mcl01", Some(400), Some(400)),
    ("bcast", None, None),
    ("zeromf", Some(0), Some(0)),
    ("cparam01", Some(0), Some(0)),
    ("cparam02", Some(0), Some(0)),
    ("regescrt", Some(0), Some(0)),
    ("sdp01", Some(0), Some(0)),
    // RFC 2543 style, without Content-Length: fine in a datagram, unframeable on a stream.
    ("inv2543", Some(0), Some(400)),
];

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../sip-h323-bridge/tests/rfc4475/{name}.dat")))
        .unwrap()
}

fn status(reply: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(reply);
    text.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

/// Whether `got` is the answer expected: `want` exactly, or for 0 (handled) 200 to OPTIONS and
/// a 4xx other than 400 to anything else.
fn as_expected(msg: &[u8], want: Option<u16>, got: Option<u16>) -> bool {
    match (want, got) {
        (Some(0), Some(g)) if msg.starts_with(b"OPTIONS ") => g == 200,
        (Some(0), Some(g)) => (401..500).contains(&g),
        (w, g) => w == g,
    }
}

/// The first final answer on `udp` (provisional ones skipped).
fn recv_final(udp: &UdpSocket, buf: &mut [u8]) -> Option<Vec<u8>> {
    loop {
        let n = udp.recv(buf).ok()?;
        if status(&buf[..n]).is_some_and(|c| c >= 200) {
            return Some(buf[..n].to_vec());
        }
    }
}

fn config(dir: &Path, rate: u32) -> String {
    let p = dir.join(format!("sip-{rate}.toml"));
    std::fs::write(&p, format!("[sip]\nmax_messages_per_second = {rate}\n")).unwrap();
    p.display().to_string()
}

#[test]
fn torture_messages_over_udp_and_tcp() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), 1000);
    let s = Server::start_with(&["--config", &cfg], &[]);
    let mut failures = Vec::new();
    let mut buf = vec![0u8; 65_536];
    for (name, over_udp, over_tcp) in EXPECTED {
        let msg = corpus(name);
        // A socket per message: final INVITE answers are retransmitted (Timer G) to whoever sent
        // the INVITE, and must not be taken for the answer to the next message.
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        udp.send_to(&msg, ("127.0.0.1", s.sip_port)).unwrap();
        let got = recv_final(&udp, &mut buf);
        let want = *over_udp;
        let got_code = got.as_deref().and_then(status);
        if !as_expected(&msg, want, got_code) {
            failures.push(format!(
                "UDP {name}: expected {want:?}, got {:?}",
                got.map(|g| String::from_utf8_lossy(&g).into_owned())
            ));
        } else if let Some(g) = &got {
            let text = String::from_utf8_lossy(g);
            if !text.contains("\r\nCSeq:") && !text.contains("\r\nVia:") {
                failures.push(format!("UDP {name}: the answer lacks CSeq/Via: {text}"));
            }
        }

        let mut tcp = TcpStream::connect(("127.0.0.1", s.sip_port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        tcp.write_all(&msg).unwrap();
        tcp.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        let _ = tcp.read_to_end(&mut reply);
        let want = *over_tcp;
        let got_code = if reply.is_empty() { None } else { status(&reply) };
        if !as_expected(&msg, want, got_code) {
            failures.push(format!("TCP {name}: expected {want:?}, got {:?}", String::from_utf8_lossy(&reply)));
        }
    }
    assert!(failures.is_empty(), "{}\n{}", failures.join("\n"), s.log());
    // The server is still there.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    udp.send_to(&corpus("lwsdisp"), ("127.0.0.1", s.sip_port)).unwrap();
    assert_eq!(udp.recv(&mut buf).ok().and_then(|n| status(&buf[..n])), Some(200));
}

#[test]
fn a_flood_from_one_address_is_limited() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), 5);
    let s = Server::start_with(&["--config", &cfg], &[]);
    let options = corpus("lwsdisp");
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    for _ in 0..100 {
        udp.send_to(&options, ("127.0.0.1", s.sip_port)).unwrap();
    }
    let mut buf = vec![0u8; 65_536];
    let mut answers = 0;
    while udp.recv(&mut buf).is_ok() {
        answers += 1;
    }
    assert!((5..=20).contains(&answers), "{answers} answers to 100 OPTIONS at 5/s");
    // Over TCP the excess gets 503 and the connection is closed.
    let mut tcp = TcpStream::connect(("127.0.0.1", s.sip_port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut burst = Vec::new();
    for _ in 0..40 {
        burst.extend_from_slice(&options);
    }
    tcp.write_all(&burst).unwrap();
    let mut reply = Vec::new();
    let _ = tcp.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("SIP/2.0 503 Service Unavailable"), "{text}");
    assert!(text.matches("SIP/2.0 200").count() < 40);
}

fn invite(branch: &str, method: &str) -> Vec<u8> {
    let cseq = if method == "ACK" { "ACK" } else { "INVITE" };
    format!(
        "{method} sip:room@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch={branch}\r\nMax-Forwards: 70\r\n\
         From: <sip:phone@example.com>;tag=77\r\nTo: <sip:room@127.0.0.1>\r\nCall-ID: tx-{branch}\r\nCSeq: 1 {cseq}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn udp_requests_run_in_server_transactions() {
    let s = Server::start();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
    let mut buf = vec![0u8; 65_536];
    let mut recv = || udp.recv(&mut buf).ok().map(|n| String::from_utf8_lossy(&buf[..n]).into_owned());

    // A retransmitted OPTIONS gets the very same answer (same To tag), not a new one.
    let options = corpus("lwsdisp");
    udp.send_to(&options, ("127.0.0.1", s.sip_port)).unwrap();
    let first = recv().expect("an answer");
    udp.send_to(&options, ("127.0.0.1", s.sip_port)).unwrap();
    assert_eq!(recv().as_deref(), Some(first.as_str()));

    // A final INVITE answer is retransmitted (Timer G: 0.5 s, 1 s…) until the ACK comes.
    udp.send_to(&invite("z9hG4bKtx1", "INVITE"), ("127.0.0.1", s.sip_port)).unwrap();
    let trying = recv().expect("100");
    assert!(trying.starts_with("SIP/2.0 100 Trying"), "{trying}");
    let answer = recv().expect("401");
    assert!(answer.starts_with("SIP/2.0 401"), "no conference room, so a user call, challenged: {answer}");
    assert_eq!(recv().as_deref(), Some(answer.as_str()), "retransmitted after T1");
    let to_tag = answer.lines().find(|l| l.starts_with("To:")).unwrap().to_string();
    let ack = String::from_utf8(invite("z9hG4bKtx1", "ACK")).unwrap().replace("To: <sip:room@127.0.0.1>", &to_tag);
    udp.send_to(ack.as_bytes(), ("127.0.0.1", s.sip_port)).unwrap();
    // Whatever was in flight drains; after the ACK nothing more comes within 2 s.
    std::thread::sleep(Duration::from_millis(300));
    udp.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    while udp.recv(&mut buf).is_ok() {}
    udp.set_read_timeout(Some(Duration::from_millis(2000))).unwrap();
    assert!(udp.recv(&mut buf).is_err(), "retransmissions go on after the ACK");
}
