//! Any bytes as what endpoints send beside SIP messages: RTP (DTMF events), RTCP (keyframe
//! requests), INFO bodies and Authorization headers. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_sip_h323_bridge::rtp::{dtmf, payload, rtcp};
use tessera_sip_h323_bridge::sip::digest;

fuzz_target!(|data: &[u8]| {
    let _ = payload(data);
    let _ = rtcp::wants_keyframe(data);
    let _ = rtcp::report_blocks(data);
    let _ = rtcp::sender_octets(data);
    let mut events = dtmf::EventReceiver::default();
    for pt in [101, data.get(1).map_or(0, |b| b & 0x7f)] {
        if let Some(d) = events.on_packet(data, pt) {
            assert!("0123456789*#ABCD".contains(d), "{d:?}");
        }
    }
    for ct in ["application/dtmf-relay", "application/dtmf"] {
        let _ = dtmf::from_info(ct, data);
    }
    let _ = digest::parse(&String::from_utf8_lossy(data));
});
