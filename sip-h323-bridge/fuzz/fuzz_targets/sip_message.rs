//! Any bytes, as a datagram and as a stream: never a panic; a parsed stream message never
//! claims more bytes than it was given; a request is either handled or answered with a status.
//! Dialogs made from any accepted INVITE or answer, and the client transaction fed any answer,
//! never panic either, and the requests they build parse as requests. The stream reader fed one
//! byte at a time finds the messages `parse` finds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_sip_h323_bridge::sip::check::{Outcome, datagram};
use std::time::Instant;
use tessera_sip_h323_bridge::sip::client::{ClientInvite, Event, Outgoing};
use tessera_sip_h323_bridge::sip::dialog::Dialog;
use tessera_sip_h323_bridge::sip::message::{Framing, parse};
use tessera_sip_h323_bridge::sip::session_timer;
use tessera_sip_h323_bridge::sip::stream::StreamReader;
use tessera_sip_h323_bridge::sip::transaction::Timers;

fn built_request_parses(bytes: &[u8]) {
    assert!(matches!(datagram(bytes), Outcome::Request(_)), "{}", String::from_utf8_lossy(bytes));
}

fuzz_target!(|data: &[u8]| {
    match datagram(data) {
        Outcome::Reject(r, _) => assert!((400..700).contains(&r.code) && !r.reason.is_empty()),
        Outcome::Request(m) => {
            if let Ok(mut d) = Dialog::from_invite(&m, "t1") {
                built_request_parses(&d.request("BYE", "UDP", "127.0.0.1:5060", "b1", &[], None));
            }
        }
        Outcome::Response(m) => {
            if let Ok(mut d) = Dialog::uac(&m, "<sip:room@127.0.0.1>", "t1", 1) {
                built_request_parses(&d.ack(1, "UDP", "127.0.0.1:5060", "a1", None));
                built_request_parses(&d.request("BYE", "UDP", "127.0.0.1:5060", "b1", &[], None));
            }
            let out = Outgoing {
                target: "sip:bob@127.0.0.1".into(),
                transport: "UDP".into(),
                sent_by: "127.0.0.1:5060".into(),
                branch: "b1".into(),
                from: "<sip:room@127.0.0.1>;tag=t1".into(),
                to: "<sip:bob@127.0.0.1>".into(),
                call_id: "c1".into(),
                cseq: 1,
                extra: Vec::new(),
                body: None,
            };
            let now = Instant::now();
            let (mut t, _) = ClientInvite::start(out, false, Timers::default(), now);
            if t.matches(&m) {
                for e in t.on_response(m, now) {
                    if let Event::Send(b) = e {
                        built_request_parses(&b);
                    }
                }
            }
        }
        Outcome::Drop(_) => {}
    }
    let mut rest = data;
    let mut whole = Vec::new();
    while let Ok((m, used)) = parse(rest, Framing::Stream) {
        assert!(used > 0 && used <= rest.len());
        rest = &rest[used..];
        whole.push(m);
    }
    // The stream reader, fed one byte at a time, finds the same messages in the same order.
    let mut reader = StreamReader::default();
    let mut trickled = Vec::new();
    'bytes: for b in data {
        reader.push(&[*b]);
        loop {
            match reader.next_message() {
                Ok(Some(m)) => trickled.push(m),
                Ok(None) => break,
                Err(_) => break 'bytes,
            }
        }
    }
    assert_eq!(trickled.len(), whole.len().min(trickled.len()));
    assert!(trickled.iter().zip(&whole).all(|(a, b)| a == b), "the trickled messages differ");
    // Session timer headers of any request are read without a panic.
    if let Outcome::Request(m) = datagram(data) {
        let _ = session_timer::read(&m.headers, 90);
    }
});
