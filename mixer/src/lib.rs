//! `tessera-mixer`: the layout model, the video compositor and the audio mixer — the hot loop
//! of the product. Pure Rust: frames and samples in, canvas and mixes out, time passed in; no
//! GStreamer, tokio, sockets or database.
//!
//! - [`layout`]: what a participant sees (type, windows, content slot, assignment, names), for
//!   everyone, a group of endpoints or one participant; serde as is.
//! - [`geometry`]: where each window goes on a canvas, and how a picture fits its window.

pub mod compositor;
pub mod draw;
pub mod error;
pub mod frame;
pub mod geometry;
pub mod layout;
pub mod scale;
pub mod text;
pub mod tiles;

pub use error::MixerError;
