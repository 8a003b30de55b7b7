//! The gatekeeper, sans-IO, against an independent endpoint: RAS requests written by pycrate
//! (`tests/h323_ras.py`, from H.225.0 and H.235.1) are read and answered; H.235.1 tokens made by
//! the endpoint check with the right key only and once; every answer decodes in tshark without
//! a complaint, and the endpoint finds the sealed ones sealed with its key.

mod common;

use common::tshark_ras_complaints;
use std::net::SocketAddr;
use std::process::Command;
use tessera_sip_h323_bridge::h323::gatekeeper::{Answer, Facts, Gatekeeper, Needs, User};
use tessera_sip_h323_bridge::h323::h235;
use tessera_sip_h323_bridge::h323::ras::{self, Reply};

const ENDPOINT: &str = r#"
import sys
sys.path.insert(0, sys.argv[1])
import h323_ras as r
class Offline(r.Endpoint):
    def send(self, raw):
        print(raw.hex())
        return "", {}, b""
e = Offline(1719)
"#;

/// Runs `body` with `e`, an endpoint that prints each request it would send as hex.
fn endpoint(body: &str) -> Vec<Vec<u8>> {
    let tests = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests");
    let script = format!("{ENDPOINT}\n{body}\n");
    let out = Command::new("python3").args(["-c", &script, tests]).output().expect("python3 (scripts/test.sh)");
    assert!(out.status.success(), "pycrate: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| hex::decode(l).unwrap()).collect()
}

fn seal_of(key_password: &str, answer: &[u8]) -> String {
    let tests = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests");
    let body = format!(
        "import hashlib\ne.key = hashlib.sha1({key_password:?}.encode()).digest()\ndata = bytes.fromhex({:?})\nr.RAS.from_aper(data)\nprint(e.seal_of(r.RAS.get_val()[1], data))",
        hex::encode(answer)
    );
    let script = format!("{ENDPOINT}\n{body}\n");
    let out = Command::new("python3").args(["-c", &script, tests]).output().expect("python3");
    assert!(out.status.success(), "pycrate: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn from() -> SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}

fn facts(conference: bool) -> Facts {
    Facts {
        from: Some(from()),
        ras: Some("127.0.0.1:1719".parse().unwrap()),
        call_signal: Some("127.0.0.1:1720".parse().unwrap()),
        conference,
        now: 0,
    }
}

fn encoded(a: &Answer) -> Vec<u8> {
    let bytes = a.reply.encode("tessera", a.seal.as_ref()).unwrap();
    let complaints = tshark_ras_complaints(&bytes);
    assert!(complaints.is_empty(), "tshark on {:?}: {complaints}", a.reply);
    bytes
}

#[test]
fn an_endpoint_discovers_registers_is_admitted_and_leaves() {
    // pycrate's clock is not this test's: the tokens carry the time the script runs.
    let now = chrono_now();
    let mut gk = Gatekeeper::new("tessera", 0x1234_5678);
    let sent = endpoint(
        "e.gk_id = 'tessera'\ne.discover()\ne.register('alice', 'alice-secret')\ne.register('alice', 'wrong')",
    );
    let [grq, rrq, wrong] = &sent[..] else { panic!("{sent:?}") };
    let gcf = handle_at(&mut gk, grq, false, now);
    assert!(matches!(gcf.reply, Reply::GatekeeperConfirm { h235: true, .. }), "{gcf:?}");
    encoded(&gcf);
    let rcf = handle_at(&mut gk, rrq, false, now);
    let Reply::RegistrationConfirm { endpoint: id, call_signal, .. } = &rcf.reply else { panic!("{rcf:?}") };
    assert_eq!(call_signal, &vec!["127.0.0.1:1720".parse::<SocketAddr>().unwrap()]);
    assert_eq!(seal_of("alice-secret", &encoded(&rcf)), "sealed");
    assert_eq!(seal_of("not-alices", &encoded(&rcf)), "bad seal");
    // The same RRQ again is a replay; one with another password does not check.
    assert!(matches!(handle_at(&mut gk, rrq, false, now).reply, Reply::RegistrationReject { .. }));
    let rrj = handle_at(&mut gk, wrong, false, now);
    assert_eq!(rrj.event, "denied");
    encoded(&rrj);

    let sent = endpoint(&format!(
        "e.gk_id = 'tessera'\ne.key = __import__('hashlib').sha1(b'alice-secret').digest()\ne.login = 'alice'\ne.endpoint_id = {id:?}\ne.admission('4321', bytes(range(16, 32)))\ne.disengage(bytes(range(16, 32)))\ne.unregister()"
    ));
    let [arq, drq, urq] = &sent[..] else { panic!("{sent:?}") };
    let acf = handle_at(&mut gk, arq, true, now);
    assert!(matches!(acf.reply, Reply::AdmissionConfirm { .. }), "{acf:?}");
    assert_eq!(seal_of("alice-secret", &encoded(&acf)), "sealed");
    assert_eq!(
        gk.caller(&std::array::from_fn(|i| 16 + i as u8), "127.0.0.1".parse().unwrap(), now),
        Some((7, "alice".into()))
    );
    // A bandwidth change during the call is granted (unsigned: OpenH323 signs RRQ and ARQ only).
    let sent = endpoint(&format!(
        "r.RAS.set_val(('bandwidthRequest', {{'requestSeqNum': 12, 'endpointIdentifier': {id:?}, 'conferenceID': bytes(range(16)), 'callReferenceValue': 0x1234, 'bandWidth': 3840}}))\nprint(r.RAS.to_aper().hex())"
    ));
    let bcf = handle_at(&mut gk, &sent[0], false, now);
    assert_eq!(bcf.reply, Reply::BandwidthConfirm { seq: 12, bandwidth: 3840 });
    encoded(&bcf);
    let dcf = handle_at(&mut gk, drq, false, now);
    assert!(matches!(dcf.reply, Reply::DisengageConfirm { .. }), "{dcf:?}");
    encoded(&dcf);
    let ucf = handle_at(&mut gk, urq, false, now);
    assert!(matches!(ucf.reply, Reply::UnregistrationConfirm { .. }), "{ucf:?}");
    encoded(&ucf);
    assert!(gk.endpoints(now).is_empty());
    // Not registered any more: an ARQ is refused as from an unknown caller.
    let arj = handle_at(&mut gk, arq, true, now);
    assert!(matches!(arj.reply, Reply::AdmissionReject { .. }), "{arj:?}");
    encoded(&arj);
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Runs one request through the gatekeeper as the daemon does, with alice's key for `alice`.
fn handle_at(gk: &mut Gatekeeper, raw: &[u8], conference: bool, now: i64) -> Answer {
    let read = ras::read(raw).expect("a RAS message");
    let alice = User { id: 7, login: "alice".into(), key: h235::key("alice-secret") };
    let (user, token) = match gk.needs(&read, from(), now) {
        Needs::Nothing => (None, None),
        Needs::Refused(reply) => return Answer { reply, seal: None, event: "refused" },
        Needs::Key { login, token } => {
            let ok = login == "alice" && gk.fresh(&login, &token, now).is_ok() && h235::verify(raw, &token, &alice.key);
            if !ok {
                return Answer { reply: gk.denied(&read).unwrap(), seal: None, event: "denied" };
            }
            gk.accepted(&login, &token, now);
            (Some(alice), Some(token))
        }
    };
    gk.answer(&read, user.as_ref(), token.as_ref(), Facts { now, ..facts(conference) })
}

#[test]
fn other_requests_and_garbage() {
    let mut gk = Gatekeeper::new("tessera", 1);
    // A location request for a conference is answered with this server's addresses.
    let sent = endpoint(
        "r.RAS.set_val(('locationRequest', {'requestSeqNum': 9, 'destinationInfo': [('dialledDigits', '4321')], 'replyAddress': r.address('127.0.0.1', 1719)}))\nprint(r.RAS.to_aper().hex())",
    );
    let lcf = handle_at(&mut gk, &sent[0], true, chrono_now());
    assert!(matches!(lcf.reply, Reply::LocationConfirm { seq: 9, .. }), "{lcf:?}");
    encoded(&lcf);
    let lrj = handle_at(&mut gk, &sent[0], false, chrono_now());
    assert!(matches!(lrj.reply, Reply::LocationReject { seq: 9, .. }), "{lrj:?}");
    encoded(&lrj);
    // A GRQ without H.235.1 is refused (registration needs it).
    let sent = endpoint(
        "r.RAS.set_val(('gatekeeperRequest', {'requestSeqNum': 3, 'protocolIdentifier': (0, 0, 8, 2250, 0, 7), 'rasAddress': r.address('127.0.0.1', 40000), 'endpointType': {'terminal': {}, 'mc': False, 'undefinedNode': False}}))\nprint(r.RAS.to_aper().hex())",
    );
    let grj = handle_at(&mut gk, &sent[0], false, chrono_now());
    assert!(matches!(grj.reply, Reply::GatekeeperReject { seq: 3, .. }), "{grj:?}");
    encoded(&grj);
    // Garbage and truncations are errors, never panics.
    for raw in [&b""[..], &[0xff; 40][..], &sent[0][..sent[0].len() / 2], &vec![0u8; ras::MAX_DATAGRAM + 1][..]] {
        assert!(ras::read(raw).is_err());
    }
}
