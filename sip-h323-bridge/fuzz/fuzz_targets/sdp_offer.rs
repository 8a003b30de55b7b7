//! Any bytes as an SDP offer: parsing, choosing and answering never panic, and an answer keeps
//! one media section per offered one (RFC 3264 §6).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_sip_h323_bridge::sdp::{negotiate, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = parse(data) else { return };
    // SRTP sections are taken as over TLS, so that a=crypto lines are read and answered too.
    let Ok(choice) = negotiate::choose(&offer, true) else { return };
    let local = negotiate::Local {
        address: "192.0.2.7".parse().unwrap(),
        audio: choice.audio.as_ref().map(|_| (20000, 20001)),
        video: choice.video.as_ref().map(|_| (20002, 20003)),
        session_id: 1,
        version: 1,
        srtp: Some(negotiate::Keys { audio: [1; 30], video: [2; 30] }),
        h264_level: 0x1f,
        picture: (1280, 720),
    };
    let answer = negotiate::answer(&offer, &choice, &local);
    let sections = answer.matches("\r\nm=").count();
    assert_eq!(sections, offer.media.len(), "{answer}");
    let _ = (choice.sends_video(), choice.h264_single_nal(), choice.keyframe_feedback(), choice.tmmbr(), choice.encrypted());
});
