use crate::layout::ParticipantId;

/// Everything the mixer refuses; never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MixerError {
    #[error("window count {0} is out of range (1 to 25)")]
    WindowCount(usize),
    #[error("{slots} window assignments for {windows} windows")]
    TooManySlots { slots: usize, windows: usize },
    #[error("participant {0} is assigned to two windows")]
    DuplicateParticipant(ParticipantId),
    #[error("display name of participant {0} is too long or has control characters")]
    DisplayName(ParticipantId),
    #[error("canvas {0}x{1} is too small or not even-sized (at least 64x64, even width and height)")]
    Canvas(u32, u32),
    #[error("frame: {0}")]
    Frame(String),
    #[error("audio: {0}")]
    Audio(String),
}
