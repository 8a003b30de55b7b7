//! Any bytes as what endpoints send beside SIP messages: RTP (DTMF events), RTCP (keyframe
//! requests, bit-rate requests answered), SRTP and SRTCP (refused unless authentic), INFO
//! bodies and Authorization headers. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_sip_h323_bridge::rtp::{dtmf, payload, rtcp, srtp};
use tessera_sip_h323_bridge::sdp::crypto::{Crypto, Suite};
use tessera_sip_h323_bridge::sip::digest;

fuzz_target!(|data: &[u8]| {
    let _ = payload(data);
    let _ = rtcp::wants_keyframe(data);
    let _ = rtcp::report_blocks(data);
    let _ = rtcp::sender_octets(data);
    let _ = rtcp::receiver_estimate(data);
    let _ = rtcp::nacked(data);
    // A TMMBN answers only TMMBRs, and reads back as RTCP.
    if let Some(n) = rtcp::bitrate_notification(data, 7) {
        assert!(rtcp::receiver_estimate(data).is_some(), "a TMMBN for a packet without a TMMBR");
        let _ = rtcp::report_blocks(&n);
    }
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
    for suite in [Suite::Aes128Sha1_80, Suite::Aes128Sha1_32] {
        let mut s = srtp::Srtp::new(&Crypto { tag: 1, suite, key: [7; 30] }).unwrap();
        let _ = s.unprotect_rtp(data);
        let _ = s.unprotect_rtcp(data);
        let _ = s.protect_rtp(data);
        let _ = s.protect_rtcp(data);
    }
    let _ = Crypto::parse(&String::from_utf8_lossy(data));
});
