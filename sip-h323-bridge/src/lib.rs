//! `tessera-sip-h323-bridge`: SIP (messages, transactions, dialogs, SDP offer/answer, digest
//! authentication) and H.323 (H.225.0, H.245), turning endpoints into participants with RTP
//! media. Layered as messages (no I/O) → sans-IO transactions → dialogs → transports.
//!
//! Empty for now: it is built by the SIP issue. Authentication there will go through the web
//! crate's lockout service (wired by the daemon), so a password guessed over SIP counts against
//! the same account as one guessed on the sign-in page.
