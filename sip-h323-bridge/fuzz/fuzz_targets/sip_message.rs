//! Any bytes, as a datagram and as a stream: never a panic; a parsed stream message never
//! claims more bytes than it was given; a request is either handled or answered with a status.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_sip_h323_bridge::sip::check::{Outcome, datagram};
use tessera_sip_h323_bridge::sip::message::{Framing, parse};

fuzz_target!(|data: &[u8]| {
    if let Outcome::Reject(r, _) = datagram(data) {
        assert!((400..700).contains(&r.code) && !r.reason.is_empty());
    }
    let mut rest = data;
    while let Ok((_, used)) = parse(rest, Framing::Stream) {
        assert!(used > 0 && used <= rest.len());
        rest = &rest[used..];
    }
});
