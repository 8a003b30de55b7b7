//! Any bytes as H.323 signalling: a TCP stream cut into TPKT packets, each read as Q.931 and as
//! a call signalling message (`Signal::read`); a Setup's Fast Connect proposals answered and
//! the answer written; tunnelled H.245 read as events, as is the whole input (H.245 and RAS, the
//! generated types with rasn's aligned PER). Nothing panics, and a Q.931 message that reads is
//! written back to the same meaning.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::{Ipv4Addr, SocketAddr};
use tessera_h323_asn::h323_messages::RasMessage;
use tessera_sip_h323_bridge::h323::h245::{self, channels};
use tessera_sip_h323_bridge::h323::q931::Message;
use tessera_sip_h323_bridge::h323::signalling::{Answer, Setup, Signal};
use tessera_sip_h323_bridge::h323::tpkt::Framer;

fuzz_target!(|data: &[u8]| {
    let _ = rasn::aper::decode::<RasMessage>(data);
    let _ = h245::read(data);
    let mut f = Framer::new();
    for chunk in data.chunks(7) {
        f.push(chunk);
        loop {
            let packet = match f.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) | Err(_) => break,
            };
            let Ok(m) = Message::decode(&packet) else { continue };
            if let Ok(again) = m.encode() {
                assert_eq!(Message::decode(&again).as_ref(), Ok(&m));
            }
            let Ok(signal) = Signal::read(&packet) else { continue };
            for c in signal.h245_control() {
                let _ = h245::read(c);
            }
            if let Some(setup) = Setup::of(&signal) {
                let here = SocketAddr::from((Ipv4Addr::LOCALHOST, 30000));
                let fast = channels::answer_fast_start(&setup.fast_start, |_| {
                    Some(channels::Local { rtp: here, rtcp: here })
                });
                let answer = Answer {
                    call_reference: setup.call_reference,
                    conference_id: setup.conference_id,
                    call_id: setup.call_id,
                    fast_start: fast.accepted,
                    display: setup.display,
                    ..Answer::default()
                };
                let connect = answer.connect().expect("an answer is always written");
                assert!(Signal::read(&connect).is_ok());
            }
        }
    }
});
