//! Running SIPp scenarios against the server: SIPp's exit status is 0 only when every call of
//! the run went as the scenario says; its error log comes back for the failure message.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts SIPp on the scenario `xml` (written into `dir`) dialling `service` at `127.0.0.1:port`,
/// with free signalling and media ports and `extra` arguments (`-m 1` and a free `-p` unless they
/// say otherwise).
pub fn spawn(port: u16, dir: &Path, service: &str, xml: &str, extra: &[&str]) -> Child {
    let sf = dir.join(format!("{}.xml", service.replace(['*', '/'], "_")));
    std::fs::write(&sf, xml).expect("scenario file");
    let mut cmd = Command::new("sipp");
    cmd.current_dir(dir)
        .args([&format!("127.0.0.1:{port}"), "-sf", sf.to_str().unwrap_or_default(), "-s", service, "-i", "127.0.0.1"])
        .args(["-mi", "127.0.0.1", "-mp", &crate::free_port().to_string()])
        .args(["-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err"]);
    if !extra.contains(&"-p") {
        cmd.args(["-p", &crate::free_port().to_string()]);
    }
    if !extra.contains(&"-m") {
        cmd.args(["-m", "1"]);
    }
    cmd.args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp is missing: apt-get install sip-tester (scripts/test.sh does)")
}

/// SIPp waiting to be called on `port` (scenario `xml`, written into `dir`), one call, with a
/// free media port and `extra` arguments (`-t t1` for TCP). Returns once SIPp listens on the
/// port (however long a busy machine takes to start it), or fails saying so.
pub fn called(dir: &Path, xml: &str, port: u16, extra: &[&str]) -> Child {
    let sf = dir.join("called.xml");
    std::fs::write(&sf, xml).expect("scenario file");
    let tcp = extra.windows(2).any(|w| w[0] == "-t" && w[1].starts_with('t'));
    let mut child = Command::new("sipp")
        .current_dir(dir)
        .args(["-sf", sf.to_str().unwrap_or_default(), "-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-mi", "127.0.0.1", "-mp", &crate::free_port().to_string()])
        .args(["-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp is missing: apt-get install sip-tester (scripts/test.sh does)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !listening(port, tcp) {
        if let Ok(Some(st)) = child.try_wait() {
            panic!("sipp exited before listening on {port} ({st}): {}", finish(child, dir).1);
        }
        assert!(Instant::now() < deadline, "sipp did not listen on port {port} within 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Whether something is bound to 127.0.0.1:`port` (a listening TCP socket with `tcp`, else a UDP
/// one), read from /proc/net: binding the port to find out would race the program starting.
pub fn listening(port: u16, tcp: bool) -> bool {
    let (file, want) = if tcp { ("/proc/net/tcp", Some("0A")) } else { ("/proc/net/udp", None) };
    let local = format!("0100007F:{port:04X}");
    std::fs::read_to_string(file).unwrap_or_default().lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 3 && f[1] == local && want.is_none_or(|w| f[3] == w)
    })
}

/// Waits for SIPp: whether every call succeeded, and what it printed and logged as errors.
pub fn finish(child: Child, dir: &Path) -> (bool, String) {
    let o = child.wait_with_output().expect("sipp");
    let errors: String = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with("_errors.log"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_name().to_string_lossy().ends_with("_errors.log") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    (
        o.status.success(),
        format!("{}{}\n{errors}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
    )
}

/// A call to the private conference `closed` (replace `sip:closed@` for another): INVITE, 401,
/// INVITE with credentials, then `outcome`: `200` (ACK, a moment, BYE) or a refusal.
pub fn private_call_xml(outcome: u16) -> String {
    private_call_xml_for(outcome, 1000)
}

/// As `private_call_xml`, staying in the call `pause_ms` before the BYE.
pub fn private_call_xml_for(outcome: u16, pause_ms: u32) -> String {
    // SIPp's `[branch]` differs per message; an INVITE and the ACK of its failure answer share
    // one branch, as RFC 3261 §17.1.1.3 wants, so Tessera's transaction sees the ACK.
    let branch_of = |cseq: u32| format!("z9hG4bK-[pid]-[call_number]-invite{cseq}");
    let invite = |cseq: u32, auth: &str| {
        let branch = branch_of(cseq);
        let auth = if auth.is_empty() { String::new() } else { format!("      {auth}\n") };
        format!(
            r#"  <send retrans="500">
    <![CDATA[
      INVITE sip:closed@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch={branch}
      From: "[service]" <sip:[service]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:closed@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: {cseq} INVITE
      Contact: sip:[service]@[local_ip]:[local_port]
{auth}      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
"#
        )
    };
    // The ACK of a 2xx is a transaction of its own.
    let ack = |cseq: u32, uri: &str, to: &str, failure: bool| {
        let branch = if failure { branch_of(cseq) } else { "[branch]".to_string() };
        format!(
            r#"  <send>
    <![CDATA[
      ACK {uri} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch={branch}
      From: "[service]" <sip:[service]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      {to}
      Call-ID: [call_id]
      CSeq: {cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
"#
        )
    };
    let end = if outcome == 200 {
        format!(
            r#"  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
{}  <pause milliseconds="{pause_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[service]" <sip:[service]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
"#,
            ack(2, "[next_url]", "[last_To:]", false)
        )
    } else {
        format!(
            "  <recv response=\"{outcome}\"/>\n{}",
            ack(2, "sip:closed@[remote_ip]:[remote_port]", "[last_To:]", true)
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="private call">
{}  <recv response="401" auth="true"/>
{}{}{end}</scenario>
"#,
        invite(1, ""),
        ack(1, "sip:closed@[remote_ip]:[remote_port]", "[last_To:]", true),
        invite(2, "[authentication]")
    )
}

/// A REGISTER of `[service]` for `expires` seconds: the 401, then again with credentials (SIPp's
/// `-au`/`-ap`), and the 200.
pub fn register_xml(expires: u32) -> String {
    format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register">
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Expires: {expires}
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>
      [authentication]
      Expires: {expires}
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"#
    )
}

/// SIPp called by Tessera: it rings, then sends `answer` (a status line and what follows it) and
/// expects `then`.
pub fn called_xml(answer: &str, then: &str) -> String {
    let reply = |status: &str, rest: &str| {
        let retrans = if status.starts_with('1') { "" } else { " retrans=\"500\"" };
        format!(
            "  <send{retrans}><![CDATA[\nSIP/2.0 {status}\n[last_Via:]\n[last_From:]\n[last_To:];tag=[pid]t[call_number]\n\
             [last_Call-ID:]\n[last_CSeq:]\nContact: <sip:desk@[local_ip]:[local_port]>\n{rest}\n]]></send>\n"
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<scenario name=\"called\">\n  <recv request=\"INVITE\" />\n{}{}{then}</scenario>\n",
        reply("180 Ringing", "Content-Length: 0\n"),
        reply(
            answer.lines().next().unwrap_or_default(),
            &answer.lines().skip(1).map(|l| format!("{l}\n")).collect::<String>()
        ),
    )
}

/// Answers with H.264 and PCMU, then waits for the ACK and for Tessera's BYE, which it answers.
pub fn answering_phone_xml() -> String {
    called_xml(
        "200 OK\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS\nContent-Type: application/sdp\nContent-Length: [len]\n\n\
         v=0\no=desk 1 1 IN IP4 [media_ip]\ns=-\nc=IN IP4 [media_ip]\nt=0 0\nm=audio [media_port] RTP/AVP 0\n\
         a=rtpmap:0 PCMU/8000\nm=video [media_port+2] RTP/AVP 96\na=rtpmap:96 H264/90000\n\
         a=fmtp:96 packetization-mode=1;profile-level-id=42e01f",
        "  <recv request=\"ACK\" />\n  <recv request=\"BYE\" />\n  <send><![CDATA[\nSIP/2.0 200 OK\n[last_Via:]\n[last_From:]\n\
         [last_To:]\n[last_Call-ID:]\n[last_CSeq:]\nContent-Length: 0\n\n]]></send>\n",
    )
}

/// A desk phone for `login`: SIPp registers it (digest, from a port of its own) and then waits
/// on that port to be called and to answer (`answering_phone_xml`). The caller finishes it.
pub fn registered_answering_phone(sip_port: u16, dir: &Path, login: &str, password: &str) -> Child {
    let phone_port = crate::free_port();
    let port_s = phone_port.to_string();
    let reg = spawn(sip_port, dir, login, &register_xml(600), &["-ap", password, "-p", &port_s]);
    let (ok, out) = finish(reg, dir);
    assert!(ok, "{login}'s phone did not register: {out}");
    called(dir, &answering_phone_xml(), phone_port, &[])
}
