//! SIP digest authentication against real tools: SIPp registers with MD5, a hand-made client
//! with SHA-256; an invited user dials a private conference after a 401 and is admitted, an
//! uninvited one is refused; `sipvicious_svwar` cannot tell existing accounts from missing ones
//! with REGISTER, INVITE or OPTIONS; `sipvicious_svcrack` (over UDP) gets no more checks after
//! the policy's failures from its address, so it never reaches the right password, while the
//! account stays usable on the web (datagrams can be forged). A webinar with registration admits
//! its list only.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use tessera_e2e::Server;
use tessera_e2e::sip::register_sha256;
use tessera_e2e::sipp::{finish, private_call_xml, register_xml, spawn};

/// svwar's table: extension → how it was classified.
fn svwar(port: u16, dict: &Path, method: &str) -> (HashMap<String, String>, String) {
    let o = Command::new("sipvicious_svwar")
        .args(["-d", dict.to_str().unwrap(), "-m", method, "-p", &port.to_string(), "127.0.0.1"])
        .output()
        .expect("sipvicious is missing: pip install sipvicious (scripts/test.sh does)");
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let table = out
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
            (cells.len() == 2 && cells[0] != "Extension").then(|| (cells[0].to_string(), cells[1].to_string()))
        })
        .collect();
    (table, out)
}

/// A server whose SIP rate limit leaves room for the tools' bursts, with users alice and bob,
/// and a scratch directory for the scenarios.
fn server_with_alice_and_bob() -> (tempfile::TempDir, Server) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("sip.toml");
    std::fs::write(&cfg, "[sip]\nmax_messages_per_second = 1000\n").unwrap();
    let s = Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    s.add_user("alice", "alice-secret-1");
    s.add_user("bob", "bob-secret-22");
    // Joining as oneself takes a PRO license, over SIP as on the web.
    for login in ["alice", "bob"] {
        s.admin_ok(&["license", "grant", login, "--permanent"], "");
    }
    (tmp, s)
}

#[test]
fn digest_registration_private_conferences_and_no_account_enumeration() {
    let (tmp, s) = server_with_alice_and_bob();
    s.admin_ok(&["conference", "add", "closed", "--name", "Board", "--owner", "admin", "--room"], "");
    s.admin_ok(&["conference", "invite", "closed", "alice"], "");
    let d = tmp.path();

    // SIPp registers with MD5 (the algorithm it knows); a SHA-256 client registers too.
    let (ok, out) = finish(spawn(s.sip_port, d, "alice", &register_xml(600), &["-ap", "alice-secret-1"]), d);
    assert!(ok, "MD5 registration:\n{out}");
    assert!(s.log().contains("SIP registration"), "{}", s.log());
    assert_eq!(register_sha256(s.sip_port, "bob", "bob-secret-22"), 200);
    assert_eq!(register_sha256(s.sip_port, "bob", "wrong-password"), 403);
    // Registering someone else's address is refused even with good credentials.
    let (ok, _) =
        finish(spawn(s.sip_port, d, "bob", &register_xml(600), &["-au", "alice", "-ap", "alice-secret-1"]), d);
    assert!(!ok, "alice registered bob's address");

    // A private conference: the invited user gets in after the challenge, another is refused.
    let (ok, out) = finish(spawn(s.sip_port, d, "alice", &private_call_xml(200), &["-ap", "alice-secret-1"]), d);
    assert!(ok, "invited alice:\n{out}");
    // An uninvited user hears what a conference that does not exist answers (as on the web).
    let (ok, out) = finish(spawn(s.sip_port, d, "bob", &private_call_xml(404), &["-ap", "bob-secret-22"]), d);
    assert!(ok, "uninvited bob:\n{out}");
    // A private conference that users may join without an invitation: bob signs in and joins.
    s.admin_ok(
        &["conference", "add", "lobby", "--name", "Lobby", "--owner", "admin", "--room", "--join-without-invitation"],
        "",
    );
    let lobby = private_call_xml(200).replace("sip:closed@", "sip:lobby@");
    let (ok, out) = finish(spawn(s.sip_port, d, "bob", &lobby, &["-ap", "bob-secret-22"]), d);
    assert!(ok, "bob joins the lobby without an invitation:\n{out}");
    assert!(
        s.log()
            .lines()
            .any(|l| l.contains("SIP: user admitted") && l.contains("conference=lobby") && l.contains("login=bob")),
        "the server logs who was admitted"
    );
    let o = s.admin(
        &[
            "conference",
            "add",
            "web",
            "--name",
            "W",
            "--owner",
            "admin",
            "--room",
            "--public",
            "--join-without-invitation",
        ],
        "",
    );
    assert!(!o.status.success(), "a public conference took --join-without-invitation");

    // svwar: the answers for alice, bob and admin are those for names that match no account.
    let dict = d.join("users.txt");
    std::fs::write(&dict, "alice\nbob\nadmin\ncarol\nnobody-here\n").unwrap();
    for method in ["REGISTER", "INVITE", "OPTIONS"] {
        let (table, out) = svwar(s.sip_port, &dict, method);
        let kinds: std::collections::HashSet<_> = ["alice", "bob", "admin", "carol", "nobody-here"]
            .iter()
            .map(|n| table.get(*n).cloned().unwrap_or_default())
            .collect();
        assert_eq!(kinds.len(), 1, "svwar -m {method} told accounts apart: {table:?}\n{out}");
    }

    // svcrack guesses alice's password; the right one is in its list, after five wrong ones.
    let words = d.join("passwords.txt");
    std::fs::write(&words, "password\n123456\nletmein\nqwerty\nalice\nsecret\nalice-secret-1\n").unwrap();
    let o = Command::new("sipvicious_svcrack")
        .args(["-u", "alice", "-d", words.to_str().unwrap(), "-p", &s.sip_port.to_string(), "127.0.0.1"])
        .output()
        .expect("sipvicious is missing: pip install sipvicious (scripts/test.sh does)");
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(!out.contains("alice-secret-1"), "svcrack found the password:\n{out}");
    // Datagrams can be forged, so they lock no account: alice still signs in on the web.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let code = rt.block_on(async {
        let r = s
            .client()
            .post(format!("{}/api/v1/session", s.base))
            .json(&serde_json::json!({"login": "alice", "password": "alice-secret-1"}))
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    });
    assert_eq!(code, 200, "guesses over UDP locked alice out of the web");
    // The guessing address itself gets no more checks over UDP, even with the right password.
    let (ok, _) = finish(spawn(s.sip_port, d, "alice", &register_xml(600), &["-ap", "alice-secret-1"]), d);
    assert!(!ok, "the guessing address registered");
}

/// Registers `user` (from SIPp, with Contact at `contact_port`) so calls reach that port.
fn register_contact_xml(contact_port: u16) -> String {
    register_xml(600).replace(
        "Contact: <sip:[service]@[local_ip]:[local_port]>",
        &format!("Contact: <sip:[service]@[local_ip]:{contact_port}>"),
    )
}

/// Alice calls `callee` through Tessera: 401, credentials, then `outcome`. When bob's phone at
/// `phone` answers (200), SIPp sends the ACK straight to it, as a phone sends it to the Contact
/// (Tessera does not stay in the dialog: no Record-Route), and the scenario ends there.
/// The caller claims to be someone else in its From ("The CEO"); Tessera must not pass that on.
fn user_call_xml(callee: &str, outcome: u16, phone: Option<u16>) -> String {
    let xml = private_call_xml(outcome)
        .replace("sip:closed@", &format!("sip:{callee}@"))
        .replace("From: \"[service]\" <sip:[service]@", "From: \"The CEO\" <sip:ceo@");
    if phone.is_none() {
        return xml;
    }
    // Tessera stays in the call's path (its Record-Route comes back in the answer): the ACK and
    // the BYE go to it, with the route set SIPp learnt.
    let answered = "  <recv response=\"200\" rrs=\"true\"/>\n";
    let at = xml.find(answered).expect("the answered call") + answered.len();
    let (head, tail) = xml.split_at(at);
    format!("{head}{}", tail.replace("      Max-Forwards: 70\n", "      [routes]\n      Max-Forwards: 70\n"))
}

/// As [`user_call_xml`] for an answered call that the caller does not end: it waits for a BYE
/// (Tessera's, when an account is disabled) and answers it.
fn user_call_hung_up_xml(callee: &str) -> String {
    let xml = user_call_xml(callee, 200, Some(0));
    let cut = xml.find("  <pause milliseconds").expect("the answered call pauses before its BYE");
    format!("{}{BYE_ANSWERED}</scenario>\n", &xml[..cut])
}

/// Receives a BYE and answers 200.
const BYE_ANSWERED: &str = r#"  <recv request="BYE" timeout="30000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
"#;

/// Bob's phone up to the ACK: rings, answers with an SDP answer (echoing the Record-Route, as
/// phones do) and gets the ACK through Tessera. It requires the INVITE to name the
/// authenticated caller (alice) in From and P-Asserted-Identity, whatever the caller's own From
/// claimed, and Tessera to be in the Record-Route.
const PHONE_XML_HEAD: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone">
  <recv request="INVITE">
    <action>
      <ereg regexp="sip:alice@" search_in="hdr" header="From:" check_it="true" assign_to="from_alice"/>
      <ereg regexp="sip:alice@" search_in="hdr" header="P-Asserted-Identity:" check_it="true" assign_to="asserted"/>
      <ereg regexp=";lr" search_in="hdr" header="Record-Route:" check_it="true" assign_to="routed"/>
    </action>
  </recv>
  <Reference variables="from_alice,asserted,routed"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:bob@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=bob 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv request="ACK"/>
"#;

/// Bob's whole phone: [`PHONE_XML_HEAD`], then the BYE answered.
fn phone_xml() -> String {
    format!("{PHONE_XML_HEAD}{BYE_ANSWERED}</scenario>\n")
}

#[test]
fn registered_users_call_each_other() {
    let (tmp, s) = server_with_alice_and_bob();
    s.add_user("carol", "carol-secret-3");
    s.admin_ok(&["rights", "grant", "alice", "make_calls"], "");
    let d = tmp.path();

    // Bob's phone: SIPp as a UAS on a port of its own, registered as bob's contact.
    let bob_port = tessera_e2e::free_port();
    std::fs::write(d.join("phone.xml"), phone_xml()).unwrap();
    let phone = std::process::Command::new("sipp")
        .current_dir(d)
        .args([
            "-sf",
            "phone.xml",
            "-i",
            "127.0.0.1",
            "-p",
            &bob_port.to_string(),
            "-mp",
            &tessera_e2e::free_port().to_string(),
        ])
        .args(["-m", "1", "-nostdin", "-timeout", "40s", "-timeout_error", "-trace_err"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sipp");
    let (ok, out) = finish(spawn(s.sip_port, d, "bob", &register_contact_xml(bob_port), &["-ap", "bob-secret-22"]), d);
    assert!(ok, "bob's registration:\n{out}");

    // Alice (make calls) reaches bob: his phone rings, answers and gets alice's ACK.
    let (ok, out) = finish(
        spawn(s.sip_port, d, "alice", &user_call_xml("bob", 200, Some(bob_port)), &["-ap", "alice-secret-1"]),
        d,
    );
    let (bob_ok, bob_out) = finish(phone, d);
    assert!(ok, "alice calls bob:\n{out}\nbob's phone:\n{bob_out}\n{}", s.log());
    assert!(bob_ok, "bob's phone did not get the whole call:\n{bob_out}");
    // The BYE passed through Tessera, which knows how long the call lasted. SIPp ends once it has
    // the BYE's answer, which may come a moment before the server writes its log line: wait for
    // it (on a busy machine this raced).
    let ended = |log: &str| log.contains("SIP user call ended") && log.contains("hung up");
    for _ in 0..100 {
        if ended(&s.log()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let log = s.log();
    assert!(ended(&log), "{log}");
    // Both users find it in their call history: alice's outgoing, bob's incoming, answered, with
    // the second the caller stayed in it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let calls_of = |login: &str, pw: &str, ended: usize| {
        rt.block_on(async {
            let (c, _) = s.sign_in(login, pw).await;
            for _ in 0..50 {
                let v: serde_json::Value =
                    c.get(format!("{}/api/v1/me/calls", s.base)).send().await.unwrap().json().await.unwrap();
                let done = v.as_array().unwrap().iter().filter(|c| !c["ended_at_ms"].is_null()).count();
                if done >= ended {
                    let page = c.get(format!("{}/calls", s.base)).send().await.unwrap().text().await.unwrap();
                    return (v, page);
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("{login}'s call history never showed {ended} ended calls");
        })
    };
    let (alice_calls, page) = calls_of("alice", "alice-secret-1", 1);
    let c = &alice_calls[0];
    assert_eq!(
        (c["direction"].as_str(), c["peer_login"].as_str(), c["result"].as_str()),
        (Some("outgoing"), Some("bob"), Some("answered")),
        "{alice_calls}"
    );
    let ms = c["duration_ms"].as_i64().unwrap();
    assert!((900..10_000).contains(&ms), "the call lasted about a second, not {ms} ms");
    assert!(page.contains("data-result=\"answered\"") && page.contains("<code>bob</code>"), "{page}");
    let (bob_calls, _) = calls_of("bob", "bob-secret-22", 1);
    assert_eq!(
        (bob_calls[0]["direction"].as_str(), bob_calls[0]["peer_login"].as_str()),
        (Some("incoming"), Some("alice"))
    );

    // Carol has no right to make calls; nobody is registered as dave.
    let (ok, out) =
        finish(spawn(s.sip_port, d, "carol", &user_call_xml("bob", 403, None), &["-ap", "carol-secret-3"]), d);
    assert!(ok, "carol must be refused:\n{out}");
    let (ok, out) =
        finish(spawn(s.sip_port, d, "alice", &user_call_xml("dave", 480, None), &["-ap", "alice-secret-1"]), d);
    assert!(ok, "an unregistered callee is unavailable:\n{out}");

    // A call in progress ends when one of its users is disabled: Tessera, in its path, sends a
    // BYE to both phones.
    let phone = std::process::Command::new("sipp")
        .current_dir(d)
        .args(["-sf", "phone.xml", "-i", "127.0.0.1", "-p", &bob_port.to_string()])
        .args(["-mp", &tessera_e2e::free_port().to_string()])
        .args(["-m", "1", "-nostdin", "-timeout", "40s", "-timeout_error", "-trace_err"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sipp");
    let alice = spawn(s.sip_port, d, "alice", &user_call_hung_up_xml("bob"), &["-ap", "alice-secret-1"]);
    let established = std::time::Instant::now();
    while s.log().matches("SIP user call answered").count() < 2 {
        assert!(established.elapsed().as_secs() < 20, "the second call never started:\n{}", s.log());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // A BYE forged from another address, with the call's Call-ID and alice's tag, is refused:
    // only the two phones speak in the call.
    let log = s.log();
    let line = log.lines().filter(|l| l.contains("SIP user call answered")).nth(1).unwrap();
    let call_id = line.split("call_id=").nth(1).unwrap().split_whitespace().next().unwrap();
    let forger = std::net::UdpSocket::bind("127.0.0.2:0").expect("127.0.0.2 is loopback too");
    forger.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let bye = format!(
        "BYE sip:bob@127.0.0.1:{bob_port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:{};branch=z9hG4bK-forged\r\n\
         Route: <sip:127.0.0.1:{};transport=udp;lr>\r\nMax-Forwards: 70\r\n\
         From: <sip:alice@127.0.0.1>;tag={}SIPpTag001\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: {call_id}\r\n\
         CSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n",
        forger.local_addr().unwrap().port(),
        s.sip_port,
        alice.id(),
    );
    forger.send_to(bye.as_bytes(), ("127.0.0.1", s.sip_port)).unwrap();
    let mut buf = [0u8; 2048];
    let n = forger.recv(&mut buf).expect("an answer to the forged BYE");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("SIP/2.0 403"), "{answer}");
    s.admin_ok(&["user", "disable", "bob"], "");
    let (ok, out) = finish(alice, d);
    let (bob_ok, bob_out) = finish(phone, d);
    assert!(ok, "alice's phone must be hung up by Tessera:\n{out}\n{}", s.log());
    assert!(bob_ok, "bob's phone must be hung up by Tessera:\n{bob_out}");
    assert!(s.log().contains("an account was disabled"), "{}", s.log());
    let (alice_calls, _) = calls_of("alice", "alice-secret-1", 2);
    assert_eq!(alice_calls[0]["detail"], "an account was disabled", "{alice_calls}");
    assert_eq!(alice_calls[0]["result"], "answered");
    // And bob's registration is gone: his phone is no longer reachable through Tessera.
    let gone = std::time::Instant::now();
    while !s.log().contains("SIP registrations of a disabled account removed") {
        assert!(gone.elapsed().as_secs() < 15, "bob's registration stayed:\n{}", s.log());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let metrics = rt.block_on(async { reqwest::get(&s.metrics).await.unwrap().text().await.unwrap() });
    assert!(metrics.lines().any(|l| l == "tessera_sip_registrations 0"), "{metrics}");
}

/// A webinar with registration admits its list, over SIP as on the web: an anonymous caller is
/// challenged, a user who is not on the list is refused after signing in, the owner gets past
/// the check (to "not started"); without registration the same webinar admits anyone.
#[test]
fn webinars_with_registration_admit_their_list_over_sip() {
    let (tmp, s) = server_with_alice_and_bob();
    s.admin_ok(&["rights", "grant", "alice", "create_conferences"], "");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let create = |id: &str, registration: bool| {
        rt.block_on(async {
            let (c, csrf) = s.sign_in("alice", "alice-secret-1").await;
            let r = c
                .post(format!("{}/api/v1/conferences", s.base))
                .header("x-csrf-token", csrf)
                .json(&serde_json::json!({
                    "name": "Launch", "access": "public", "id": id, "start": "2031-03-04T10:00",
                    "end": "2031-03-04T11:00", "registration": { "enabled": registration, "closes": "end" },
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        })
    };
    create("launch", true);
    create("open-launch", false);
    let d = tmp.path();
    let call = |target: &str, outcome: u16| private_call_xml(outcome).replace("sip:closed@", &format!("sip:{target}@"));
    let (ok, out) = finish(spawn(s.sip_port, d, "bob", &call("launch", 403), &["-ap", "bob-secret-22"]), d);
    assert!(ok, "bob, not on the list:\n{out}");
    let (ok, out) = finish(spawn(s.sip_port, d, "alice", &call("launch", 480), &["-ap", "alice-secret-1"]), d);
    assert!(ok, "alice, the owner, gets as far as 'not started':\n{out}");
    // Without registration: no challenge, straight to "not started".
    let o = Command::new("sipp")
        .args(["-sn", "uac", "-s", "open-launch", "-m", "1", "-timeout", "10s", "-timeout_error", "-bind_local"])
        .args(["-i", "127.0.0.1", "-p", "0", "-trace_err", "-error_file"])
        .arg(d.join("open.err"))
        .arg(format!("127.0.0.1:{}", s.sip_port))
        .output()
        .expect("sipp");
    let errs = std::fs::read_to_string(d.join("open.err")).unwrap_or_default();
    assert!(!o.status.success() && errs.contains("480"), "expected a 480 for the open webinar:\n{errs}");
}
