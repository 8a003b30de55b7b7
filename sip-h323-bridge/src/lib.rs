//! `tessera-sip-h323-bridge`: SIP (messages, transactions, dialogs, SDP offer/answer, digest
//! authentication) and H.323 (H.225.0, H.245), turning endpoints into participants with RTP
//! media. Layered as messages (no I/O) → sans-IO transactions → dialogs → transports.
//!
//! Built so far, all without I/O (the daemon's `sip/` does the sockets and the calls):
//! [`sip`] — messages from datagrams and streams (folding, compact names, Content-Length
//! framing, limits), headers, URIs, Via, what a server must answer before anything else looks
//! at a request ([`sip::check`]: 400 with the reason, 505, 501, 416, 420, 415), server and
//! client transactions, dialogs, digest authentication, session timers (RFC 4028); tested
//! against every RFC 4475 torture message and fuzzed. [`sdp`] — reading offers and answering
//! them (RFC 3264). [`rtp`] — RTCP keyframe requests and DTMF (RFC 4733 and SIP INFO). Who may
//! join is not decided here: the daemon asks the conference core's admission, and digest
//! failures count in the web crate's lockout service, so a password guessed over SIP counts
//! against the same account as one guessed on the sign-in page. [`h323`] — TPKT, Q.931, the
//! H.225.0 call signalling messages, H.245 (capabilities, master/slave, logical channels, Fast
//! Connect, user input) and an inbound call's state machine; the daemon does not listen for
//! H.323 yet, and the gatekeeper (RAS) is still to come.

pub mod h323;
pub mod rtp;
pub mod sdp;
pub mod sip;
