//! Calls into conferences from real SIP peers: baresip (a softphone with video) joins and
//! decodes the composed picture, over UDP and over TLS (`sip.tls_listen`, a certificate made
//! here with openssl, which also checks the server's certificate); SIPp enters PINs as SIP INFO and as RFC 4733 events (right
//! ones admit, wrong ones end the call with a BYE from Tessera), dials a PIN in the address,
//! and hears a BYE when a moderator removes it. Every scenario's result is SIPp's own exit status.

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tessera_e2e::{Server, baresip_config, baresip_dial, baresip_figures, free_port};

struct Api {
    c: reqwest::Client,
    csrf: String,
    base: String,
}

impl Api {
    async fn new(s: &Server) -> Api {
        let (c, csrf) = s.sign_in("admin", "admin-password").await;
        Api { c, csrf, base: s.base.clone() }
    }

    async fn live(&self, id: &str) -> Value {
        self.c.get(format!("{}/api/v1/conferences/{id}/live", self.base)).send().await.unwrap().json().await.unwrap()
    }

    async fn post(&self, id: &str, body: Value) -> Value {
        let r = self
            .c
            .post(format!("{}/api/v1/conferences/{id}/live", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// The participant named `name`, waiting up to `secs` for it to appear (or, with `gone`,
    /// for it to leave).
    async fn wait_participant(&self, id: &str, name: &str, gone: bool, secs: u64) -> Option<Value> {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let live = self.live(id).await;
            let p = live["participants"].as_array().into_iter().flatten().find(|p| p["name"] == name).cloned();
            if p.is_some() != gone {
                return p;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{name} {} within {secs} s: {live}",
                if gone { "did not leave" } else { "did not join" }
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// baresip dials `uri` (a conference of `s` with a red synthetic participant), shows up as an
/// RTP participant of the SIP/H.323 group, decodes the composed video and hangs up.
async fn baresip_joins(s: &Server, conference: &str, uri: &str, extra_config: &str) {
    assert!(
        Path::new("/usr/bin/baresip").exists(),
        "baresip is missing: apt-get install baresip-core baresip-ffmpeg (scripts/test.sh does)"
    );
    let api = Api::new(s).await;
    api.post(conference, json!({"action": "add_synthetic", "name": "Camera", "colour": [200, 40, 40], "tone_hz": 0}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    baresip_config(dir.path(), extra_config);
    let mut child = baresip_dial(dir.path(), uri, 12);
    let p = api.wait_participant(conference, "Room system", false, 25).await.unwrap();
    assert_eq!(p["kind"], "rtp");
    assert_eq!(p["group"], "sip_h323", "{p}");
    let status = tokio::task::spawn_blocking(move || child.0.wait()).await.unwrap().unwrap();
    let out = std::fs::read_to_string(dir.path().join("out.txt")).unwrap().replace('\r', "\n");
    assert!(status.success(), "baresip failed:\n{out}");
    let (efps, packets) = baresip_figures(&out);
    assert!(efps > 5.0, "baresip decoded {efps} frames per second of the composed video:\n{out}");
    assert!(packets > 100, "baresip received {packets} video packets:\n{out}");
    assert!(out.contains("Call established"), "{out}");
    // baresip hung up at the end of its run: the participant is gone.
    api.wait_participant(conference, "Room system", true, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_joins_a_conference_and_decodes_its_video() {
    let s = Server::start();
    s.admin_ok(&["conference", "add", "sipr", "--name", "SIP room", "--owner", "admin", "--room", "--public"], "");
    baresip_joins(&s, "sipr", &format!("sip:sipr@127.0.0.1:{}", s.sip_port), "").await;
}

/// Sends `request` over TLS with openssl's own client, which checks the server's certificate
/// against `ca`; what came back once a whole answer's head arrived (or after 20 s), with
/// openssl's own messages.
fn openssl_request(port: u16, ca: &Path, request: &str) -> String {
    use std::io::{Read, Write};
    let mut c = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-quiet", "-verify_return_error"])
        .args(["-CAfile", ca.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl is missing: apt-get install openssl (scripts/test.sh does)");
    let mut stdin = c.stdin.take().unwrap();
    stdin.write_all(request.as_bytes()).unwrap();
    // `-quiet` ignores the end of input: read until an answer's head is complete, then stop it.
    let mut stdout = c.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&got).split_once("SIP/2.0 ").is_some_and(|(_, a)| a.contains("\r\n\r\n")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => got.extend(chunk),
            Err(_) => break,
        }
    }
    drop(stdin);
    let _ = c.kill();
    let o = c.wait_with_output().unwrap();
    format!("{}{}", String::from_utf8_lossy(&got), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_over_tls_answers_and_carries_a_call() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = tessera_e2e::self_signed_certificate(dir.path());
    let tls = free_port();
    let cfg = dir.path().join("tls.toml");
    std::fs::write(
        &cfg,
        format!(
            "[sip]\ntls_listen = \"127.0.0.1:{tls}\"\ntls_certificate = {:?}\ntls_private_key = {:?}\n",
            cert.display(),
            key.display()
        ),
    )
    .unwrap();
    let s = Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);

    // A client that verifies the certificate gets its OPTIONS answered.
    let options = "OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls-1\r\n\
        Max-Forwards: 70\r\nTo: <sip:probe@127.0.0.1>\r\nFrom: <sip:tester@127.0.0.1>;tag=1\r\n\
        Call-ID: tls-options-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    let out = openssl_request(tls, &cert, options);
    assert!(out.contains("SIP/2.0 200 OK") && out.contains("Via: SIP/2.0/TLS"), "{out}");

    // Plain text on the TLS port is a failed handshake, not a crash; the server goes on.
    let mut plain = std::net::TcpStream::connect(("127.0.0.1", tls)).unwrap();
    std::io::Write::write_all(&mut plain, options.as_bytes()).unwrap();
    plain.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 512];
    let n = std::io::Read::read(&mut plain, &mut buf).unwrap_or(0);
    assert!(!String::from_utf8_lossy(&buf[..n]).contains("SIP/2.0"), "a SIP answer over plain text");

    // baresip calls over TLS, checking the certificate against the same file.
    s.admin_ok(&["conference", "add", "tlsr", "--name", "TLS room", "--owner", "admin", "--room", "--public"], "");
    let uri = format!("sip:tlsr@127.0.0.1:{tls};transport=tls");
    baresip_joins(&s, "tlsr", &uri, &format!("sip_cafile {}\n", cert.display())).await;
    assert!(s.log().contains("SIP TLS handshake failed"), "{}", s.log());
}

/// A SIPp scenario: INVITE with an offer (PCMA, telephone-event), 200, ACK, then `middle`, then
/// `end` (the caller's BYE, or the server's).
fn scenario(middle: &str, end: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="call">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "SIPp" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "SIPp" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
{middle}
{end}
</scenario>
"#
    )
}

fn info(cseq: u32, digit: char) -> String {
    format!(
        r#"  <send retrans="500">
    <![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "SIPp" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={digit}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
"#
    )
}

fn rfc4733(digit: char) -> String {
    format!(
        r#"  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_{digit}.pcap"/></action></nop>
  <pause milliseconds="700"/>
"#
    )
}

fn pause(ms: u32) -> String {
    format!("  <pause milliseconds=\"{ms}\"/>\n")
}

const CALLER_BYE: &str = r#"  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "SIPp" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 20 BYE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>"#;

/// A 200 OK to the request just received.
const OK_TO_LAST: &str = r#"  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>"#;

/// Tessera hangs up.
fn server_bye() -> String {
    format!("  <recv request=\"BYE\" timeout=\"20000\"/>\n{OK_TO_LAST}")
}

fn sipp(s: &Server, dir: &Path, service: &str, xml: &str) -> Child {
    tessera_e2e::sipp::spawn(s.sip_port, dir, service, xml, &[])
}

async fn finish(child: Child, dir: &Path) -> (bool, String) {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || tessera_e2e::sipp::finish(child, &dir)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_admit_or_refuse_and_moderators_hang_up() {
    let s = Server::start();
    s.admin_ok(
        &[
            "conference",
            "add",
            "pinned",
            "--name",
            "With PIN",
            "--owner",
            "admin",
            "--room",
            "--public",
            "--pin",
            "2468",
        ],
        "",
    );
    s.admin_ok(&["conference", "add", "closed", "--name", "Private", "--owner", "admin", "--room"], "");
    let api = Api::new(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // The PIN as SIP INFO: admitted, then the caller hangs up.
    let digits: String = "2468".chars().enumerate().map(|(i, c)| info(2 + i as u32, c)).collect();
    let child = sipp(&s, d, "pinned", &scenario(&format!("{digits}{}", pause(4000)), CALLER_BYE));
    api.wait_participant("pinned", "SIPp", false, 15).await;
    let (ok, out) = finish(child, d).await;
    assert!(ok, "PIN by INFO:\n{out}");
    api.wait_participant("pinned", "SIPp", true, 10).await;

    // The PIN as RFC 4733 events in the audio stream.
    let tones: String = "2468".chars().map(rfc4733).collect();
    let child = sipp(&s, d, "pinned", &scenario(&format!("{tones}{}", pause(4000)), CALLER_BYE));
    api.wait_participant("pinned", "SIPp", false, 20).await;
    let (ok, out) = finish(child, d).await;
    assert!(ok, "PIN by RFC 4733:\n{out}");
    api.wait_participant("pinned", "SIPp", true, 10).await;

    // Three wrong entries: Tessera hangs up, the caller never joined.
    let wrong: String = "111133335555".chars().enumerate().map(|(i, c)| info(2 + i as u32, c)).collect();
    let child = sipp(&s, d, "pinned", &scenario(&wrong, &server_bye()));
    let (ok, out) = finish(child, d).await;
    assert!(ok, "wrong PIN:\n{out}");
    assert!(s.log().contains("wrong PIN entered 3 times"), "{}", s.log());
    let history: Value =
        api.c.get(format!("{}/api/v1/conferences/pinned/events", s.base)).send().await.unwrap().json().await.unwrap();
    let joins = history.as_array().unwrap().iter().filter(|e| e["kind"] == "joined" && e["name"] == "SIPp").count();
    assert_eq!(joins, 2, "only the two right PINs joined: {history}");

    // The PIN in the dialled address; a moderator removes the caller, who hears a BYE.
    let child = sipp(&s, d, "pinned*2468", &scenario("", &server_bye()));
    let p = api.wait_participant("pinned", "SIPp", false, 10).await.unwrap();
    api.post("pinned", json!({"action": "remove", "participant": p["id"]})).await;
    let (ok, out) = finish(child, d).await;
    assert!(ok, "removed by the moderator:\n{out}");

    // A wrong PIN in the address, a private conference, an unknown one: refused at once.
    for (service, code) in [("pinned*1357", "403"), ("closed", "401"), ("nowhere", "401")] {
        let refused = format!(
            r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="refused">
{}
</scenario>"#,
            scenario("", "")
                .split("<scenario name=\"call\">")
                .nth(1)
                .unwrap()
                .split("<recv response=\"200\"")
                .next()
                .unwrap()
                .to_string()
                + &format!(
                    r#"<recv response="{code}"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>"#
                )
        );
        let child = sipp(&s, d, service, &refused);
        let (ok, out) = finish(child, d).await;
        assert!(ok, "{service} must be refused with {code}:\n{out}");
    }
}

/// An INVITE without an offer (a "delayed offer", as some PBXes send): Tessera's 200 offers
/// every codec it takes, and the caller's answer comes in the ACK.
fn late_offer_scenario() -> String {
    let invite_with_offer = scenario("", CALLER_BYE);
    // The same call, with the INVITE's body removed and the answer moved into the ACK.
    let start = invite_with_offer.find("      Content-Type: application/sdp").expect("the INVITE's body");
    let end = invite_with_offer.find("    ]]>").expect("the INVITE's end");
    let no_body = format!("{}      Content-Length: 0\n\n{}", &invite_with_offer[..start], &invite_with_offer[end..]);
    let answer = r#"      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      m=video 0 RTP/AVP 96
"#;
    let checked = r#"<recv response="200" rtd="true" rrs="true">
    <action>
      <ereg regexp="m=audio [0-9]+ RTP/AVP 111 9 0 8 101" search_in="body" check_it="true" assign_to="audio"/>
      <ereg regexp="m=video [0-9]+ RTP/AVP 96 97 98" search_in="body" check_it="true" assign_to="video"/>
    </action>
  </recv>
  <Reference variables="audio,video"/>"#;
    no_body
        .replacen(r#"<recv response="200" rtd="true" rrs="true"/>"#, checked, 1)
        .replacen("      CSeq: 1 ACK\n      Contact: sip:sipp@[local_ip]:[local_port]\n      Max-Forwards: 70\n      Content-Length: 0\n",
            &format!("      CSeq: 1 ACK\n      Contact: sip:sipp@[local_ip]:[local_port]\n      Max-Forwards: 70\n{answer}"), 1)
        .replacen("  </send>\n\n", &format!("  </send>\n{}", pause(3000)), 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_without_an_offer_gets_tessera_s_offer_and_joins_with_the_answer() {
    let s = Server::start();
    s.admin_ok(&["conference", "add", "late", "--name", "Late offer", "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let xml = late_offer_scenario();
    assert!(xml.contains("CSeq: 1 INVITE") && !xml.contains("RTP/AVP 8 101"), "{xml}");
    let child = sipp(&s, dir.path(), "late", &xml);
    let (ok, out) = finish(child, dir.path()).await;
    assert!(ok, "late offer:\n{out}\n{xml}\n{}", s.log());
    assert!(s.log().contains("SIP call answered with an offer"), "{}", s.log());
    // The caller was in the room, with the audio of its answer, and left with its BYE.
    api.wait_participant("late", "SIPp", true, 10).await;
    let history: Value =
        api.c.get(format!("{}/api/v1/conferences/late/events", s.base)).send().await.unwrap().json().await.unwrap();
    let seen = |kind: &str| history.as_array().unwrap().iter().any(|e| e["kind"] == kind && e["name"] == "SIPp");
    assert!(seen("joined") && seen("left"), "{history}");
    let joined = history.as_array().unwrap().iter().find(|e| e["kind"] == "joined").unwrap();
    assert!(joined["detail"].as_str().unwrap_or_default().contains("Pcmu"), "{joined}");
}

/// The conference chat reaches a phone as MESSAGE inside its call (it lists MESSAGE in Allow),
/// and what the phone sends in a MESSAGE reaches the conference page and the chat history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_between_a_page_and_a_phone() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    s.add_user("olga", "olga-password");
    s.admin_ok(&["conference", "add", "talk", "--name", "Talk", "--owner", "olga", "--room", "--public"], "");
    let api = Api::new(&s).await;
    let r = api
        .post("talk", json!({"action": "add_synthetic", "name": "Keeps it running", "colour": [1, 2, 3], "tone_hz": 0}))
        .await;
    assert_eq!(r["running"], true, "{r}");

    // A guest on the conference page (its media never connects: the chat is what matters).
    let mut ws = tessera_e2e::ws::connect(&s, "talk", None, None).await.expect("page socket");
    let join = json!({"type": "join", "as": "guest", "name": "Wendy", "offer": tessera_e2e::ws::offer()});
    ws.send(Message::Text(join.to_string().into())).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let message = r#"  <send retrans="500">
    <![CDATA[
      MESSAGE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "SIPp" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 MESSAGE
      Max-Forwards: 70
      Content-Type: text/plain;charset=utf-8
      Content-Length: [len]

      Hello from the phone
    ]]>
  </send>
  <recv response="200"/>
  <recv request="MESSAGE" timeout="15000">
    <action><ereg regexp="Wendy: hello phone" search_in="body" check_it="true" assign_to="m"/></action>
  </recv>
  <Reference variables="m"/>
"#;
    let message = format!("{message}{OK_TO_LAST}\n");
    let xml = scenario(&message, CALLER_BYE).replace(
        "Max-Forwards: 70\n      Content-Type: application/sdp",
        "Max-Forwards: 70\n      Allow: INVITE, ACK, BYE, CANCEL, MESSAGE\n      Content-Type: application/sdp",
    );
    assert!(xml.contains("Allow: INVITE"), "the scenario's INVITE lists MESSAGE");
    let phone = sipp(&s, dir.path(), "talk", &xml);

    // The phone's message reaches the page; then the page answers it.
    let mut got = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let m = tokio::time::timeout(std::time::Duration::from_secs(20), ws.next()).await;
        let Ok(Some(Ok(Message::Text(t)))) = m else { break };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["type"] == "chat" {
            got = Some(v);
            break;
        }
    }
    let Some(got) = got else {
        let (_, out) = finish(phone, dir.path()).await;
        panic!("the phone's MESSAGE did not reach the page:\n{out}\n{}", s.log());
    };
    assert_eq!(got["from"], "SIPp");
    assert_eq!(got["text"], "Hello from the phone");
    ws.send(Message::Text(json!({"type": "chat", "text": "hello phone"}).to_string().into())).await.unwrap();
    let (ok, out) = finish(phone, dir.path()).await;
    assert!(ok, "the phone did not get the page's message:\n{out}\n{}", s.log());

    let c = api.c.get(format!("{}/api/v1/conferences/talk/chat", s.base)).send().await.unwrap();
    let history: Value = c.json().await.unwrap();
    let lines: Vec<String> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}: {}", m["from"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, ["SIPp: Hello from the phone", "Wendy: hello phone"]);
}

/// Role-based: a phone asks for the podium with `*1` (SIP INFO); the moderator sees the request
/// in the live state and declines it through the API; another phone asks with RFC 4733 events
/// in its audio and is approved; the history keeps it all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_asks_for_the_podium_with_star_one() {
    let s = Server::start();
    s.admin_ok(&["conference", "add", "panel", "--name", "Panel", "--owner", "admin", "--room", "--public"], "");
    s.admin_ok(&["conference", "media", "panel", "--mode", "role_based", "--active-speakers", "1"], "");
    let api = Api::new(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = format!("{}{}", info(2, '*'), info(3, '1'));
    let child = sipp(&s, d, "panel", &scenario(&format!("{keys}{}", pause(8000)), CALLER_BYE));
    let p = api.wait_participant("panel", "SIPp", false, 15).await.unwrap();
    let requests = |v: &Value| v["podium_requests"].as_array().cloned().unwrap_or_default();
    let mut live = Value::Null;
    for _ in 0..100 {
        live = api.live("panel").await;
        if !requests(&live).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(requests(&live), [p["id"].clone()], "{live}");
    let v = api.post("panel", json!({"action": "answer_podium", "participant": p["id"], "approve": false})).await;
    assert!(requests(&v).is_empty() && v["podium"].as_array().unwrap().is_empty(), "{v}");
    // Answered once: a second answer finds no request.
    let r = api
        .c
        .post(format!("{}/api/v1/conferences/panel/live", s.base))
        .header("x-csrf-token", &api.csrf)
        .json(&json!({"action": "answer_podium", "participant": p["id"], "approve": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // Asking is not for the API: the JSON cannot name the action.
    let r = api
        .c
        .post(format!("{}/api/v1/conferences/panel/live", s.base))
        .header("x-csrf-token", &api.csrf)
        .json(&json!({"action": "ask_podium", "participant": p["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // A second phone presses *1 as RFC 4733 events in its audio (what most phones send): asked
    // again, and this time approved.
    let star = "  <nop><action><exec play_pcap_audio=\"/usr/share/sip-tester/dtmf_2833_star.pcap\"/></action></nop>\n  <pause milliseconds=\"700\"/>\n";
    let tones = format!("{star}{}{}", rfc4733('1'), pause(8000));
    let second = sipp(&s, d, "panel", &scenario(&tones, CALLER_BYE));
    let mut asked = Vec::new();
    for _ in 0..150 {
        asked = requests(&api.live("panel").await);
        if !asked.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(asked.len(), 1, "the RFC 4733 *1 made no request:\n{}", s.log());
    assert_ne!(asked[0], p["id"]);
    let v = api.post("panel", json!({"action": "answer_podium", "participant": asked[0], "approve": true})).await;
    assert_eq!(v["podium"], json!([asked[0]]), "{v}");
    let (ok, out) = finish(child, d).await;
    assert!(ok, "{out}");
    let (ok, out) = finish(second, d).await;
    assert!(ok, "{out}");
    let history: Value =
        api.c.get(format!("{}/api/v1/conferences/panel/events", s.base)).send().await.unwrap().json().await.unwrap();
    let kinds: Vec<(&str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"].as_str().is_some_and(|k| k.starts_with("podium_")))
        .map(|e| (e["kind"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("podium_request", "asked"),
            ("podium_answer", "declined"),
            ("podium_request", "asked"),
            ("podium_answer", "approved")
        ]
    );
}
