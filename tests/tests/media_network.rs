//! The media settings a firewall and a NAT need, against the real binary. With
//! `media.rtp_ports` and `media.external_address` set (127.0.0.2 stands for the public address:
//! it reaches this host too), a SIP call's answer names the external address and ports of the
//! range, media sent there arrives (lost G.711 packets are concealed), and what Tessera sends
//! is marked for the network: audio EF
//! (DSCP 46) and video AF41 (34), read by tshark on the loopback. A browser's answer has its
//! host candidates on the external address, on a port of the range. A browser that may only
//! use a TURN relay joins through coturn with the credentials its page was given, and one whose
//! UDP to the server is dropped (nftables in the test's namespace) joins over ICE-TCP. One that
//! loses 5 % of the server's packets keeps a steady picture with NACK and RTX retransmissions,
//! and one joins over IPv6, and one reaches Tessera behind a 1:1 NAT (nftables dnat) at its
//! external address.

use serde_json::json;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;
use tessera_e2e::live_api::{Api, RED, synthetic};
use tessera_e2e::netns::{Netns, browser_server_env};
use tessera_e2e::sip::{ack, invite, received_within};
use tessera_e2e::ws::{connect, offer};
use tessera_e2e::{KillOnDrop, Server, admin_with, free_port, run_browser_in};
use tokio_tungstenite::tungstenite::Message;

// Above the kernel's ephemeral range and `free_port`'s, so nothing else here takes them.
const RANGE: std::ops::RangeInclusive<u16> = 61100..=61199;

/// The port of the SDP's `m=KIND` line.
fn media_port(sdp: &str, kind: &str) -> u16 {
    let line = sdp.lines().find(|l| l.starts_with(&format!("m={kind} "))).unwrap_or_else(|| panic!("{sdp}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Two sockets on 127.0.0.1 two ports apart: the phone's audio and video.
fn phone_sockets() -> (UdpSocket, UdpSocket) {
    loop {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        if let Ok(v) = UdpSocket::bind(("127.0.0.1", a.local_addr().unwrap().port() + 2)) {
            return (a, v);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_uses_the_port_range_the_external_address_and_dscp_marks() {
    // Media sockets on every address (the harness keeps them on 127.0.0.1), so that what is sent
    // to the "external" 127.0.0.2 arrives.
    let s = Server::start_with(
        &[],
        &[
            ("TESSERA_RTP_PORTS", "61100-61199"),
            ("TESSERA_EXTERNAL_ADDRESS", "127.0.0.2"),
            ("TESSERA_RTP_BIND", "0.0.0.0"),
        ],
    );
    s.admin_ok(&["conference", "add", "net", "--name", "Net", "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("net", synthetic("Host", RED, 1000)).await;

    // A SIP phone calls: the answer names the external address and ports of the range.
    let (audio, _video) = phone_sockets();
    let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = s.sip_port;
    let at = audio.local_addr().unwrap();
    let (code, answer) = tokio::task::spawn_blocking({
        let sip = sip.try_clone().unwrap();
        move || invite(&sip, port, "net", "net-1", at)
    })
    .await
    .unwrap();
    assert_eq!(code, 200, "{answer}");
    assert!(answer.contains("c=IN IP4 127.0.0.2\r\n"), "the external address is not in the SDP: {answer}");
    // Nor in the Contact, where the phone's requests in the call (its BYE) go.
    assert!(answer.contains("Contact: <sip:net@127.0.0.2:"), "the Contact names the local address: {answer}");
    let (a, v) = (media_port(&answer, "audio"), media_port(&answer, "video"));
    assert!(RANGE.contains(&a) && RANGE.contains(&v), "ports {a} and {v} are outside 61100-61199");
    ack(&sip, port, "net", "net-1", &answer);

    // tshark watches what Tessera sends from those ports.
    let mut capture = KillOnDrop(
        Command::new("tshark")
            .args(["-i", "lo", "-f", &format!("udp and (src port {a} or src port {v})"), "-c", "60"])
            .args(["-a", "duration:25", "-T", "fields", "-e", "udp.srcport", "-e", "ip.dsfield.dscp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tshark (scripts/test.sh installs it)"),
    );
    // Media sent to the external address arrives (the phone is heard: its packets are taken),
    // and one packet in ten, lost on the way, is concealed.
    let tone: Vec<u8> = std::iter::repeat_n(0x55, 160).collect();
    let received = tokio::task::spawn_blocking(move || {
        let mut got = (0, 0);
        for seq in 0..150u16 {
            let mut p = vec![0x80, 0, (seq >> 8) as u8, seq as u8, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78];
            p.extend_from_slice(&tone);
            if seq % 10 != 5 {
                audio.send_to(&p, ("127.0.0.2", a)).unwrap();
            }
            let r = received_within(&audio, Duration::from_millis(20));
            got = (got.0 + r.0, got.1 + r.1);
        }
        got
    })
    .await
    .unwrap();
    assert!(received.1 > 50, "the phone got {} packets of the conference's audio", received.1);
    let out = tokio::task::spawn_blocking(move || {
        let out = capture.0.stdout.take().unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut { out }, &mut text).unwrap();
        let _ = capture.0.wait();
        text
    })
    .await
    .unwrap();
    let marks = |p: u16| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with(&format!("{p}\t")))
            .map(|l| l[l.find('\t').unwrap() + 1..].to_string())
            .collect()
    };
    let (am, vm) = (marks(a), marks(v));
    assert!(!am.is_empty() && am.iter().all(|m| m == "46"), "audio DSCP: {am:?} ({out})");
    assert!(!vm.is_empty() && vm.iter().all(|m| m == "34"), "video DSCP: {vm:?} ({out})");
    let metrics = reqwest::get(s.metrics.clone()).await.unwrap().text().await.unwrap();
    let concealed: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tessera_media_concealed_packets_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(concealed >= 10, "{concealed} lost packets concealed, 15 were lost");

    // A browser's answer: host candidates on the external address, ports of the range.
    let mut ws = connect(&s, "net", None, None).await.unwrap();
    let join = json!({"type": "join", "as": "guest", "name": "Nat", "offer": offer()});
    futures_util::SinkExt::send(&mut ws, Message::Text(join.to_string().into())).await.unwrap();
    let joined = loop {
        let m = tokio::time::timeout(Duration::from_secs(20), futures_util::StreamExt::next(&mut ws)).await.unwrap();
        if let Some(Ok(Message::Text(t))) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "joined" {
                break v;
            }
        }
    };
    let sdp = joined["answer"].as_str().unwrap();
    let candidates: Vec<&str> = sdp.lines().filter(|l| l.starts_with("a=candidate:")).collect();
    assert!(!candidates.is_empty(), "{sdp}");
    for c in &candidates {
        let f: Vec<&str> = c.split_whitespace().collect();
        assert_eq!((f[4], f[7]), ("127.0.0.2", "host"), "{c}");
        // (An active TCP candidate has no port of its own: 9, the discard port.)
        if !c.contains("tcptype active") {
            assert!(RANGE.contains(&f[5].parse::<u16>().unwrap()), "{c}");
        }
    }
    assert!(candidates.iter().any(|c| c.contains(" udp ")) && candidates.iter().any(|c| c.contains("tcptype passive")));

    // An RTSP player that takes the conference's video over UDP gets server ports of the range.
    let rtsp = s.rtsp_port;
    let (rtp, rtcp) = tokio::task::spawn_blocking(move || rtsp_udp_server_ports(rtsp, "net")).await.unwrap();
    assert!(RANGE.contains(&rtp) && RANGE.contains(&rtcp), "RTSP server ports {rtp}-{rtcp} are outside 61100-61199");
}

/// The server ports Tessera's RTSP server gives a player that sets `/conference`'s first
/// stream up over UDP (DESCRIBE, then SETUP with `client_port`, as ffplay or VLC would).
fn rtsp_udp_server_ports(port: u16, conference: &str) -> (u16, u16) {
    use std::io::{BufRead, BufReader, Read, Write};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut w = stream;
    // One answer: its header lines, and the body its Content-Length announces.
    let mut answer = |request: String| -> (Vec<String>, String) {
        w.write_all(request.as_bytes()).unwrap();
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            head.push(line);
        }
        let len = head.iter().find_map(|l| l.strip_prefix("Content-Length: ")).map_or(0, |n| n.parse().unwrap());
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        (head, String::from_utf8_lossy(&body).into_owned())
    };
    let url = format!("rtsp://127.0.0.1:{port}/{conference}");
    let (head, sdp) = answer(format!("DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n"));
    assert!(head[0].contains("200"), "{head:?}");
    let control = sdp.lines().find_map(|l| l.strip_prefix("a=control:stream=")).unwrap_or_else(|| panic!("{sdp}"));
    let setup = format!(
        "SETUP {url}/stream={control} RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP;unicast;client_port=50000-50001\r\n\r\n"
    );
    let (head, _) = answer(setup);
    assert!(head[0].contains("200"), "{head:?}");
    let transport = head.iter().find(|l| l.starts_with("Transport:")).unwrap_or_else(|| panic!("{head:?}"));
    let ports =
        transport.split(';').find_map(|p| p.strip_prefix("server_port=")).unwrap_or_else(|| panic!("{transport}"));
    let (a, b) = ports.split_once('-').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

/// Starts the server in `ns` with `env`, a public room "open", and runs the restricted browser
/// scenario (`RELAY`: relayed candidates only); its findings.
fn restricted_browser(
    ns: &Netns,
    dir: &std::path::Path,
    env: &[(String, String)],
    http: u16,
    relay: bool,
) -> serde_json::Value {
    restricted_scenario(ns, dir, env, http, relay, 0)
}

/// [`restricted_browser`] without a relay, watching the picture for `seconds` after joining.
fn restricted_browser_watching(
    ns: &Netns,
    dir: &std::path::Path,
    env: &[(String, String)],
    http: u16,
    seconds: u32,
) -> serde_json::Value {
    restricted_scenario(ns, dir, env, http, false, seconds)
}

fn restricted_scenario(
    ns: &Netns,
    dir: &std::path::Path,
    env: &[(String, String)],
    http: u16,
    relay: bool,
    watch: u32,
) -> serde_json::Value {
    let server_log = dir.join("server.log");
    let _server = ns.serve_ready(env, &server_log);
    let o = admin_with(
        env,
        &["conference", "add", "open", "--name", "Open room", "--owner", "admin", "--room", "--public"],
        "",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let y4m = dir.join("camera.y4m");
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x00FF00:s=320x240:r=15", "-t", "2"])
        .args(["-pix_fmt", "yuv420p"])
        .arg(&y4m)
        .status()
        .unwrap();
    assert!(st.success());
    let base = format!("http://127.0.0.1:{http}");
    let relay = if relay { "1" } else { "0" };
    let watch = watch.to_string();
    let vars = [
        ("BASE", base.as_str()),
        ("CONF", "open"),
        ("Y4M", y4m.to_str().unwrap()),
        ("RELAY", relay),
        ("WATCH", watch.as_str()),
    ];
    let out = run_browser_in(Some(ns), "restricted", &vars);
    let line = out.lines().last().unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{e}: {out}\n{}", std::fs::read_to_string(&server_log).unwrap_or_default()));
    assert_eq!(r["ok"], true, "{r:#}\n{}", std::fs::read_to_string(&server_log).unwrap_or_default());
    assert!(r["framesDecoded"].as_u64().unwrap() >= 15, "{r:#}");
    r
}

/// A browser that may only use a relay (as behind a firewall that lets only TURN out) joins
/// through coturn, which the page names with credentials made from the shared secret.
#[test]
fn a_browser_limited_to_a_turn_relay_joins_through_coturn() {
    let ns = Netns::new(&format!("tessera-turn-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (http, rtsp, turn) = (free_port(), free_port(), free_port());
    let secret = "a-shared-secret-for-coturn";
    let mut env = browser_server_env(dir.path(), http, rtsp, "320x180");
    env.push(("TESSERA_TURN_URLS".into(), format!("turn:127.0.0.1:{turn}?transport=udp")));
    env.push(("TESSERA_TURN_SECRET".into(), secret.into()));
    let _relay = ns.coturn(dir.path(), turn, secret, &[]);
    let r = restricted_browser(&ns, dir.path(), &env, http, true);
    assert_eq!(r["localType"], "relay", "the media went through the relay: {r:#}");
    let servers = &r["iceServers"][0];
    assert_eq!(servers["urls"][0], format!("turn:127.0.0.1:{turn}?transport=udp"), "{r:#}");
    assert!(servers["username"].as_str().unwrap().ends_with(":tessera"), "{r:#}");
}

/// A browser on a network that loses one packet in twenty: its picture keeps coming (no gap
/// between decoded frames above a second), and what it lost it asked for again (NACK) and got
/// (RTX retransmissions, counted by Chromium's `getStats()`).
#[test]
fn a_browser_on_a_lossy_network_gets_retransmissions() {
    let ns = Netns::new(&format!("tessera-loss-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (http, rtsp) = (free_port(), free_port());
    let mut env = browser_server_env(dir.path(), http, rtsp, "320x180");
    env.push(("TESSERA_RTP_PORTS".into(), "24100-24199".into()));
    // What the server sends from its media ports: one packet in twenty lost, at random.
    ns.lose_udp("sport", "24100-24199", 5);
    let r = restricted_browser_watching(&ns, dir.path(), &env, http, 10);
    eprintln!("{r:#}");
    let w = &r["watch"];
    assert!(w["framesDecoded"].as_u64().unwrap() >= 50, "the picture kept coming: {r:#}");
    assert!(w["longestGapMs"].as_u64().unwrap() <= 1000, "no gap above a second: {r:#}");
    assert!(w["nackCount"].as_u64().unwrap() > 0, "the browser asked for lost packets: {r:#}");
    assert!(w["retransmittedPacketsReceived"].as_u64().unwrap() > 0, "and got them again: {r:#}");
}

/// A browser whose first DTLS answers from the server are lost still joins. The namespace drops
/// the server's first datagram carrying its ServerHello (flight 4: the browser repeats its
/// ClientHello, and the server has to send its flight again on its own timer, RFC 6347 4.2.4)
/// and its first ChangeCipherSpec (the last flight: the server sends it again when the browser
/// repeats its own). Tessera is the DTLS server (`setup:passive`).
#[test]
fn a_browser_joins_when_the_servers_dtls_flights_are_lost() {
    let ns = Netns::new(&format!("tessera-dtls-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (http, rtsp) = (free_port(), free_port());
    let mut env = browser_server_env(dir.path(), http, rtsp, "320x180");
    env.push(("TESSERA_RTP_PORTS".into(), "24200-24299".into()));
    // A DTLS record starts with its content type (22 handshake, 20 ChangeCipherSpec); a
    // handshake message's type (2 ServerHello) follows the 13-byte record header.
    ns.lose_first_udp("24200-24299", &[(0, 22), (13, 2)]);
    ns.lose_first_udp("24200-24299", &[(0, 20)]);
    restricted_browser(&ns, dir.path(), &env, http, false);
    let rules = ns.ruleset();
    assert_eq!(rules.matches("counter packets 1 ").count(), 2, "each rule dropped its packet:\n{rules}");
}

/// Tessera behind a 1:1 NAT: it owns 10.77.0.1, the NAT (nftables dnat in the namespace, with
/// conntrack undoing it on the way back) makes 10.77.0.100 reach it, and
/// `media.external_address` says so. The browser, which only ever sees the public address, joins
/// over it: its selected pair's remote candidate is 10.77.0.100, which no socket is bound to.
#[test]
fn a_browser_joins_tessera_behind_a_one_to_one_nat() {
    let ns = Netns::new(&format!("tessera-nat-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (http, rtsp) = (free_port(), free_port());
    let mut env = browser_server_env(dir.path(), http, rtsp, "320x180");
    env.retain(|(k, _)| k != "TESSERA_WEBRTC_ICE_ADDRESSES");
    env.push(("TESSERA_WEBRTC_ICE_ADDRESSES".into(), "10.77.0.1".into()));
    env.push(("TESSERA_EXTERNAL_ADDRESS".into(), "10.77.0.100".into()));
    for rule in [
        // An interface for the private network (a veth pair, both ends here).
        &["ip", "link", "add", "nat0", "type", "veth", "peer", "name", "nat1"][..],
        &["ip", "addr", "add", "10.77.0.1/24", "dev", "nat0"],
        &["ip", "link", "set", "nat0", "up"],
        &["ip", "link", "set", "nat1", "up"],
        &["nft", "add", "table", "ip", "nat"],
        &["nft", "add", "chain", "ip", "nat", "out", "{ type nat hook output priority -100; }"],
        &["nft", "add", "rule", "ip", "nat", "out", "ip", "daddr", "10.77.0.100", "dnat", "to", "10.77.0.1"],
    ] {
        ns.run(rule);
    }
    let r = restricted_browser(&ns, dir.path(), &env, http, false);
    assert_eq!(r["remoteAddress"], "10.77.0.100", "the media went to the public address: {r:#}");
    assert_eq!(r["protocol"], "udp", "{r:#}");
}

/// A browser on a network that drops UDP to the server's media ports joins over ICE-TCP.
#[test]
fn a_browser_whose_udp_is_blocked_joins_over_tcp() {
    let ns = Netns::new(&format!("tessera-tcp-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (http, rtsp) = (free_port(), free_port());
    let mut env = browser_server_env(dir.path(), http, rtsp, "320x180");
    env.push(("TESSERA_RTP_PORTS".into(), "24000-24099".into()));
    for rule in [
        &["nft", "add", "table", "inet", "block"][..],
        &["nft", "add", "chain", "inet", "block", "in", "{ type filter hook input priority 0; }"],
        &["nft", "add", "rule", "inet", "block", "in", "udp", "dport", "24000-24099", "drop"],
    ] {
        ns.run(rule);
    }
    let r = restricted_browser(&ns, dir.path(), &env, http, false);
    assert_eq!(r["protocol"], "tcp", "the media went over TCP: {r:#}");
    assert_eq!(r["iceServers"], serde_json::json!([]), "no relay was configured: {r:#}");
}

/// A browser joins over IPv6: the server listens on `[::]` (both families) and offers its
/// WebRTC host candidate on `::1`; the page, opened at `http://[::1]:…`, decodes the room over
/// that candidate (`browser/restricted.mjs` reports the selected pair).
#[tokio::test(flavor = "multi_thread")]
async fn a_browser_joins_over_ipv6() {
    let s = tessera_e2e::Server::start_with(
        &[],
        &[("TESSERA_HTTP_LISTEN", "[::]:{http_port}"), ("TESSERA_WEBRTC_ICE_ADDRESSES", "::1")],
    );
    s.admin_ok(&["conference", "add", "open", "--name", "Open room", "--owner", "admin", "--room", "--public"], "");
    let dir = tempfile::tempdir().unwrap();
    let y4m = tessera_e2e::media::camera_y4m(dir.path());
    let base = format!("http://[::1]:{}", s.port);
    let vars = [("BASE", base.as_str()), ("CONF", "open"), ("Y4M", y4m.to_str().unwrap()), ("RELAY", "0")];
    let r = tessera_e2e::browser_scenario(&s, "restricted", &vars).await;
    assert!(r["framesDecoded"].as_u64().unwrap() >= 15, "{r:#}");
    assert_eq!(r["protocol"], "udp", "{r:#}");
    assert_eq!(r["remoteAddress"], "::1", "the media went over IPv6: {r:#}");
}
