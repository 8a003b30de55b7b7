//! Any bytes as H.323 signalling: a TCP stream cut into TPKT packets, each read as Q.931 and
//! its user-user body walked with every aligned PER primitive. Nothing panics, and a message
//! that reads is written back to the same bytes' meaning.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_sip_h323_bridge::h323::per::{Alphabet, Reader};
use tessera_sip_h323_bridge::h323::q931::Message;
use tessera_sip_h323_bridge::h323::tpkt::Framer;

fuzz_target!(|data: &[u8]| {
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
            let body = m.user_user().unwrap_or(&packet);
            let mut r = Reader::new(body);
            let _ = r.bit("x");
            let _ = r.constrained(0, 1 << 40, "x");
            let _ = r.normally_small("x");
            let _ = r.object_identifier("x");
            let _ = r.char_string(Alphabet::IA5, 1, Some(128), "x");
            let _ = r.bmp_string(0, None, "x");
            let _ = r.octet_string(0, None, "x");
            let _ = r.bit_string(0, Some(4096), "x");
            let _ = r.unconstrained("x");
            let _ = r.semi_constrained(0, "x");
            let _ = r.open("x");
        }
        if f.pending() > 1 << 20 {
            break;
        }
    }
});
