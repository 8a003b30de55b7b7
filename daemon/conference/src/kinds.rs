//! The domain's enums. Each has one spelling, used in the database, the JSON API and forms;
//! [`std::str::FromStr`] reads it back and refuses anything else with [`UnknownValue`].

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is not one of an enum's spellings: which enum, and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub what: &'static str,
    pub found: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?} is not one Tessera knows", self.what, self.found)
    }
}

impl std::error::Error for UnknownValue {}

macro_rules! spelled {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The one spelling of this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $s),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($s => Ok($name::$variant),)+
                    other => Err(UnknownValue { what: $what, found: other.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

spelled! {
    /// What kind of conference it is.
    ConferenceKind, "conference kind" {
        /// A meeting with a start time and a duration.
        Scheduled => "scheduled",
        /// A virtual room: always available, runs while someone is in it.
        Room => "room",
    }
}

spelled! {
    /// An invited user's role in a conference.
    Role, "role" {
        Owner => "owner",
        Moderator => "moderator",
        Participant => "participant",
    }
}

spelled! {
    /// How a conference shows its participants.
    Mode, "mode" {
        /// Everyone is seen, in the layouts.
        AllOnScreen => "all_on_screen",
        /// The presenter sees everyone; everyone else sees the presenter.
        VideoLecture => "video_lecture",
        /// Only those on the podium are seen and heard.
        RoleBased => "role_based",
    }
}

spelled! {
    /// What kind of endpoint a participant is.
    EndpointKind, "endpoint kind" {
        /// A test pattern and tone the server makes.
        Synthetic => "synthetic",
        /// A shared screen (video only, shown in the content slot).
        Screen => "screen",
        /// A browser on the conference page.
        WebRtc => "webrtc",
        /// An RTP endpoint: a SIP call, or one an operator added.
        Rtp => "rtp",
        /// Devices attached to the server: a room's camera, microphone and loudspeaker.
        Local => "local",
    }
}

spelled! {
    /// What happened in a conference, as its connection history and event stream name it.
    EventKind, "event kind" {
        Started => "started",
        Ended => "ended",
        Joined => "joined",
        Left => "left",
        Layout => "layout",
        Renamed => "renamed",
        Device => "device",
        Podium => "podium",
        /// Role-based: a participant asked for the podium, and the moderator's answer.
        PodiumRequest => "podium_request",
        PodiumAnswer => "podium_answer",
        Moderator => "moderator",
        Presenter => "presenter",
        ActiveSpeaker => "active_speaker",
        RecordingStarted => "recording_started",
        RecordingStopped => "recording_stopped",
        RecordingFailed => "recording_failed",
        /// The retention policy removed a recording.
        RecordingRemoved => "recording_removed",
        BadInput => "bad_input",
        PinGuessing => "pin_guessing",
        /// Dialling out: the call is placed, the far end rings, or it failed.
        Calling => "calling",
        Ringing => "ringing",
        CallFailed => "call_failed",
    }
}

impl Mode {
    /// The most people a conference in this mode holds: in "all on screen" everyone is seen, so
    /// as many as the largest grid shows; otherwise the runtime's limit. (Registration closes
    /// its list there.)
    pub fn capacity(self) -> usize {
        match self {
            Mode::AllOnScreen => tessera_mixer::layout::MAX_WINDOWS as usize,
            Mode::VideoLecture | Mode::RoleBased => tessera_mixer::MAX_PARTICIPANTS,
        }
    }
}

impl Role {
    /// Owners and moderators run the conference.
    pub fn moderates(self) -> bool {
        matches!(self, Role::Owner | Role::Moderator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_reads_back_and_nothing_else_does() {
        for k in ConferenceKind::ALL {
            assert_eq!(k.as_str().parse::<ConferenceKind>(), Ok(*k));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
        }
        for m in Mode::ALL {
            assert_eq!(m.as_str().parse::<Mode>(), Ok(*m));
            // serde's spelling is the same one.
            assert_eq!(serde_json::to_string(m).unwrap(), format!("\"{}\"", m.as_str()));
        }
        let e = "Video_Lecture".parse::<Mode>().unwrap_err();
        assert_eq!(e.to_string(), "mode \"Video_Lecture\" is not one Tessera knows");
        assert!("".parse::<Role>().is_err());
        for k in EndpointKind::ALL {
            assert_eq!(k.as_str().parse::<EndpointKind>(), Ok(*k));
            assert_eq!(serde_json::to_string(k).unwrap(), format!("\"{}\"", k.as_str()));
        }
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(*k));
            assert_eq!(serde_json::to_string(k).unwrap(), format!("\"{}\"", k.as_str()));
        }
    }
}
