//! Any bytes as H.323 signalling: a TCP stream cut into TPKT packets, each read as Q.931 and as
//! a call signalling message (`Signal::read`); a Setup's Fast Connect proposals answered and
//! the answer written; tunnelled H.245 read as events, as is the whole input (H.245 and RAS, the
//! generated types with rasn's aligned PER). The whole input is also a RAS datagram for the
//! gatekeeper: read, its H.235.1 token checked, answered (as if the key checked) and the answer
//! written. Every packet is also a callee's answer to a call this server placed (the call
//! machine reads its Fast Connect channels, H.245 and cause), and the input as text an `h323:`
//! address. Nothing panics, every answer can be written, and a Q.931 message that reads is
//! written back to the same meaning.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::{Ipv4Addr, SocketAddr};
use tessera_h323_asn::h323_messages::RasMessage;
use tessera_sip_h323_bridge::h323::gatekeeper::{Facts, Gatekeeper, Needs, User};
use tessera_sip_h323_bridge::h323::h235;
use tessera_sip_h323_bridge::h323::h245::{self, channels};
use tessera_sip_h323_bridge::h323::ras;
use tessera_sip_h323_bridge::h323::q931::Message;
use std::time::Instant;
use tessera_sip_h323_bridge::h323::call::{Call, Input};
use tessera_sip_h323_bridge::h323::h245::codec::{Codec, H264};
use tessera_sip_h323_bridge::h323::signalling::{Answer, Placing, Setup, Signal};
use tessera_sip_h323_bridge::h323::tpkt::Framer;
use tessera_sip_h323_bridge::h323::url;

fn gatekeeper(data: &[u8]) {
    let Ok(read) = ras::read(data) else { return };
    let from = SocketAddr::from((Ipv4Addr::LOCALHOST, 40000));
    let here = SocketAddr::from((Ipv4Addr::LOCALHOST, 1720));
    let mut gk = Gatekeeper::new("tessera", 1);
    let user = User { id: 1, login: "alice".into(), key: h235::key("x") };
    for round in 0..2 {
        let facts = Facts { from: Some(from), ras: Some(here), call_signal: Some(here), conference: round == 0, now: 1 };
        let (user, token) = match gk.needs(&read, from, 1) {
            Needs::Nothing => (None, None),
            Needs::Refused(reply) => {
                reply.encode("tessera", None).expect("a refusal is always written");
                continue;
            }
            Needs::Key { token, .. } => {
                let _ = h235::verify(data, &token, &user.key);
                if let Some(r) = gk.denied(&read) {
                    r.encode("tessera", None).expect("a denial is always written");
                }
                (Some(&user), Some(token))
            }
        };
        let a = gk.answer(&read, user, token.as_ref(), facts);
        a.reply.encode("tessera", a.seal.as_ref()).expect("an answer is always written");
    }
}

/// A call this server placed, to be answered by the fuzzer's packets.
fn placed() -> Call {
    let here = SocketAddr::from((Ipv4Addr::LOCALHOST, 30000));
    let video = H264 { level: 64, max_bitrate_100bps: 10_000 };
    let placing = Placing { source: Vec::new(), destination: None, to: here, from: None };
    let codecs = [Codec::G722, Codec::Pcmu, Codec::Pcma, Codec::H264(video)];
    let local = move |_| Some(channels::Local { rtp: here, rtcp: here });
    let values = Answer { call_reference: 1, call_id: Some([1; 16]), ..Answer::default() };
    Call::place(values, &placing, &codecs, local, video, 5, Instant::now()).0
}

fuzz_target!(|data: &[u8]| {
    let _ = rasn::aper::decode::<RasMessage>(data);
    gatekeeper(data);
    let _ = h245::read(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = url::parse(text).map(|a| a.destination());
    }
    let mut call = placed();
    let mut f = Framer::new();
    for chunk in data.chunks(7) {
        f.push(chunk);
        loop {
            let packet = match f.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) | Err(_) => break,
            };
            let _ = call.handle(Input::Signal(packet.clone()));
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
