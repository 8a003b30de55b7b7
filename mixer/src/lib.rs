//! `tessera-mixer`: the layout model, the video compositor and the audio mixer — the hot loop
//! of the product. Pure Rust: frames and samples in, canvas and mixes out, time passed in; no
//! GStreamer, tokio, sockets or database.
//!
//! Empty for now: it is built by the issue "The mixer: a layout compositor and audio mixer
//! faster than GStreamer's own". The crate exists so that the workspace has its final shape and
//! the dependency arrows (`daemon` → `mixer`) are fixed from the start.
