//! SIPp, the SIP test tool, as a real peer: OPTIONS pings are answered 200, and a call to a
//! name that is no conference (so a user call, which needs credentials) is challenged with 401
//! and completed with the ACK,
//! over UDP, every call of the run counted by SIPp itself (exit status 0 only if all succeeded).

use tessera_e2e::Server;

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
<scenario name="INVITE challenged">
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
  <recv response="401"/>
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
    let m = calls.to_string();
    let child = tessera_e2e::sipp::spawn(s.sip_port, dir.path(), "demo", scenario, &["-m", &m, "-r", "10", "-l", "20"]);
    tessera_e2e::sipp::finish(child, dir.path())
}

#[test]
fn sipp_pings_and_calls() {
    let s = Server::start();
    let (ok, out) = sipp(&s, OPTIONS, 30);
    assert!(ok, "SIPp OPTIONS run failed:\n{out}");
    let (ok, out) = sipp(&s, REFUSED_CALL, 10);
    assert!(ok, "SIPp INVITE/401/ACK run failed:\n{out}");
}
