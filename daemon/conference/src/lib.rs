//! The conference core: one home for a conference's rules, shared by every way in (the web
//! page, SIP, and next H.323 and devices attached to the server).
//!
//! Sans-IO: no sockets, no async runtime, no database, no GStreamer. Time is an input. What
//! each rule needs to know (is this user invited, is their license valid, has the conference
//! started) is gathered by the caller and handed in as plain facts; what the rule decides comes
//! back as a value the caller acts on.
//!
//! - [`kinds`]: the domain's enums (conference kind, role, mode), parsed from and written as the
//!   strings the store and the JSON API use;
//! - [`admission`]: who may join a conference, and as whom — the one decision the web page's
//!   socket and the SIP bridge both call;
//! - [`grid`]: the default layout that grows with the number of participants.

pub mod admission;
pub mod grid;
pub mod kinds;

pub use kinds::{ConferenceKind, Mode, Role, UnknownValue};
