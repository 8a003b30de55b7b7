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
//! - [`live`]: a running conference's state machine — roster, modes, podium, presenter,
//!   layouts and their versions, devices — taking inputs and returning effects;
//! - [`windows`]: who fills which window, and the default layout that grows with the number
//!   of participants;
//! - [`scope`]: which layout a change applies to, as the API writes it;
//! - [`chat`]: who may write in the conference chat, and what a message is;
//! - [`quality`]: the quality tier of a layout each receiver gets, from its link's reports.

pub mod admission;
pub mod chat;
pub mod keypad;
pub mod kinds;
pub mod live;
pub mod placement;
pub mod quality;
pub mod said;
pub mod scope;
pub mod windows;

pub use kinds::{ConferenceKind, EndpointKind, EventKind, Mode, Role, UnknownValue};
pub use said::{Said, SaidArg};
pub use scope::Scope;
