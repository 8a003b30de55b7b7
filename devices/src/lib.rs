//! `tessera-devices`: cameras, microphones and loudspeakers attached to the server itself, so
//! that a meeting room, a lecture hall or a studio takes part in conferences through the machine
//! Tessera runs on. It enumerates them ([`inventory`]), converts camera frames to what the mixer
//! takes ([`convert`]), captures from them and plays to them ([`audio`], [`camera`]). It knows
//! nothing of the web or of conference rules: the daemon attaches devices to conferences, and the
//! conference core admits and controls them like any participant.

pub mod audio;
pub mod camera;
pub mod convert;
pub mod inventory;

/// What went wrong with a device, naming it.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no device {0} on this machine")]
    NotFound(String),
    #[error("{0} is in use by another program")]
    Busy(String),
    #[error("{id} cannot {what}")]
    Unsupported { id: String, what: String },
    #[error("{0} went away")]
    Gone(String),
    #[error("{id}: {message}")]
    Failed { id: String, message: String },
}
