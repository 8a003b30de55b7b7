//! `tessera-sip-h323-bridge`: SIP (messages, transactions, dialogs, SDP offer/answer, digest
//! authentication) and H.323 (H.225.0, H.245), turning endpoints into participants with RTP
//! media. Layered as messages (no I/O) → sans-IO transactions → dialogs → transports.
//!
//! Built so far: [`sip::message`] — parsing SIP messages from datagrams and streams (folding,
//! compact names, Content-Length framing, limits) — and [`sip::check`], which decides what a
//! server must answer to a request before anything else looks at it (400 with the reason, 505,
//! 501, 416, 420, 415) or whether a response must be dropped; tested against every RFC 4475
//! torture message and fuzzed. Authentication will go through the web crate's lockout service
//! (wired by the daemon), so a password guessed over SIP counts against the same account as one
//! guessed on the sign-in page.

pub mod rtp;
pub mod sdp;
pub mod sip;
