//! Any bytes as H.323 signalling: a TCP stream cut into TPKT packets, each read as Q.931, its
//! user-user body decoded as H323-UserInformation and the packet as RAS and H.245 (the generated
//! types with rasn's aligned PER). Nothing panics, and a Q.931 message that reads is written
//! back to the same meaning.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_h323_asn::h323_messages::{H323UserInformation, RasMessage};
use tessera_h323_asn::multimedia_system_control::MultimediaSystemControlMessage;
use tessera_sip_h323_bridge::h323::q931::Message;
use tessera_sip_h323_bridge::h323::tpkt::Framer;

fuzz_target!(|data: &[u8]| {
    let _ = rasn::aper::decode::<RasMessage>(data);
    let _ = rasn::aper::decode::<MultimediaSystemControlMessage>(data);
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
            if let Some(body) = m.user_user()
                && let Ok(ui) = rasn::aper::decode::<H323UserInformation>(body)
            {
                let _ = rasn::aper::encode(&ui);
            }
        }
    }
});
