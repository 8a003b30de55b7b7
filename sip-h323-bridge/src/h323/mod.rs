//! H.323 signalling. Built so far: TPKT framing on TCP ([`tpkt`]) and Q.931 with H.225.0's
//! user-user element ([`q931`]). The message types themselves (H.225.0 RAS and call signalling,
//! H.235, H.245) are generated from the ITU-T modules into the `tessera-h323-asn` crate and
//! encoded with `rasn::aper`. The RAS, call and H.245 state machines follow in the stages of
//! issue 23.

pub mod q931;
pub mod tpkt;
