//! `tessera-devices`: cameras and microphones attached to the server itself as participant
//! sources, and their enumeration. It knows nothing of the web.
//!
//! Empty so far: the issue on devices attached to the server fills it. The per-participant
//! device state (camera on/off, microphone mute, gain) is not here: it is a conference rule and
//! lives in the conference core (`tessera_conference::live`), which the daemon's runtime applies
//! to the media engine; browsers' own devices are chosen on the conference page.
