//! SIPp, the SIP test tool, as a real peer: OPTIONS pings are answered 200, and a call to a
//! conference that does not exist is refused with 404 and completed with the ACK,
//! over UDP, every call of the run counted by SIPp itself (exit status 0 only if all succeeded).

use std::process::Command;
use tessera_e2e::{Server, free_port};

const OPTIONS: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="OPTIONS ping">
  <send retrans="500">
    <![CDATA[
      OPTIONS sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"#;

const REFUSED_CALL: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="INVITE to an unknown conference">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="404"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="1500"/>
</scenario>
"#;

fn sipp(s: &Server, scenario: &str, calls: u32) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let sf = dir.path().join("scenario.xml");
    std::fs::write(&sf, scenario).unwrap();
    let o = Command::new("sipp")
        .current_dir(dir.path())
        .args([&format!("127.0.0.1:{}", s.sip_port), "-sf", sf.to_str().unwrap(), "-s", "demo", "-i", "127.0.0.1"])
        .args(["-p", &free_port().to_string(), "-m", &calls.to_string(), "-r", "10", "-l", "20"])
        .args(["-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err"])
        .output()
        .expect("sipp is missing: apt-get install sip-tester (scripts/test.sh does)");
    let errors = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with("_errors.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    (
        o.status.success(),
        format!("{}{}\n{errors}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
    )
}

#[test]
fn sipp_pings_and_calls() {
    let s = Server::start();
    let (ok, out) = sipp(&s, OPTIONS, 30);
    assert!(ok, "SIPp OPTIONS run failed:\n{out}");
    let (ok, out) = sipp(&s, REFUSED_CALL, 10);
    assert!(ok, "SIPp INVITE/404/ACK run failed:\n{out}");
}
