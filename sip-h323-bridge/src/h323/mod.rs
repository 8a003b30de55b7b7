//! H.323: the encodings and framings its messages travel in. Built so far: the aligned PER
//! primitives ([`per`]) that H.225.0 (RAS and call signalling) and H.245 are written with,
//! TPKT framing on TCP ([`tpkt`]) and Q.931 with H.225.0's user-user element ([`q931`]). The
//! message types and the RAS, call and H.245 state machines follow in the stages of issue 23.

pub mod per;
pub mod q931;
pub mod tpkt;
