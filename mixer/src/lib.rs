//! `tessera-mixer`: the layout model, the video compositor and the audio mixer — the hot loop
//! of the product. Pure Rust: frames and samples in, canvas and mixes out, time passed in; no
//! GStreamer, tokio, sockets or database.
//!
//! - [`layout`]: what a participant sees (type, windows, content slot, assignment, names), for
//!   everyone, a group of endpoints or one participant; serde as is.
//! - [`geometry`]: where each window goes on a canvas, and how a picture fits its window.
//! - [`frame`]: validated I420/NV12 input frames and the packed I420 canvas.
//! - [`scale`]: box-then-bilinear scaling; [`tiles`]: scaled pictures shared by every layout
//!   of a conference, rescaled only when the source frame changes.
//! - [`text`]: name labels and initials from the embedded DejaVu Sans; [`draw`]: primitives.
//! - [`compositor`]: one per distinct output; redraws only windows whose picture, name or marks
//!   changed.
//! - [`audio`]: N-1 mixes, the full mix, gain, mute and the active speaker.
//!
//! Data moves one way: the daemon hands each output's [`compositor::Compositor`] the current
//! [`compositor::Source`]s (a frame and a sequence number per participant) and a
//! [`tiles::TileCache`] shared by all outputs, and encodes the returned canvas.

pub mod audio;
mod box2;
pub mod compositor;
pub mod draw;
pub mod error;
pub mod frame;
pub mod geometry;
mod hfilter;
pub mod layout;
pub mod scale;
pub mod text;
pub mod tiles;

pub use error::MixerError;

/// The most participants one conference holds (the runtime refuses more; webinar registration
/// closes at it).
pub const MAX_PARTICIPANTS: usize = 100;
