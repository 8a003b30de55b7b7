//! H.323 signalling, sans-IO. TPKT framing on TCP ([`tpkt`]); Q.931 with H.225.0's user-user
//! element ([`q931`]); call signalling messages read and answered ([`signalling`]); aliases
//! ([`alias`]); H.245 capability exchange, master/slave determination, logical channels and Fast
//! Connect, user input and picture updates ([`h245`]). The message types themselves (H.225.0 RAS
//! and call signalling, H.235, H.245) are generated from the ITU-T modules into the
//! `tessera-h323-asn` crate and encoded with `rasn::aper`. An inbound call's state machine
//! ([`call`]) ties them together. The gatekeeper: RAS messages ([`ras`]), its decisions and
//! registrations ([`gatekeeper`]), and H.235.1 password authentication ([`h235`]).

pub mod alias;
pub mod call;
pub mod gatekeeper;
pub mod h235;
pub mod h245;
pub mod q931;
pub mod ras;
pub mod signalling;
pub mod tpkt;
pub mod url;
