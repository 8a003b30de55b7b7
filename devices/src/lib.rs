//! `tessera-devices`: cameras and microphones attached to the server itself (nokhwa, cpal) as
//! participant sources, device enumeration, and the per-participant device-control state
//! (camera on/off, microphone mute, sensitivity). It knows nothing of the web.
//!
//! Empty for now: it is filled by the media-plane issue. The crate exists so that the workspace
//! has its final shape from the start.
