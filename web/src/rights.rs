//! The nine user rights of the personal area. The administrator grants them with
//! `tessera admin rights grant LOGIN RIGHT…`; the main page lists them with an explanation.

use std::str::FromStr;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    EditAddressBook,
    MakeCalls,
    CreateConferences,
    ScreenSharing,
    RemoteDesktop,
    Slideshow,
    FileSharing,
    Recording,
    Operator,
}

impl Right {
    pub const ALL: [Right; 9] = [
        Right::EditAddressBook,
        Right::MakeCalls,
        Right::CreateConferences,
        Right::ScreenSharing,
        Right::RemoteDesktop,
        Right::Slideshow,
        Right::FileSharing,
        Right::Recording,
        Right::Operator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Right::EditAddressBook => "edit_address_book",
            Right::MakeCalls => "make_calls",
            Right::CreateConferences => "create_conferences",
            Right::ScreenSharing => "screen_sharing",
            Right::RemoteDesktop => "remote_desktop",
            Right::Slideshow => "slideshow",
            Right::FileSharing => "file_sharing",
            Right::Recording => "recording",
            Right::Operator => "operator",
        }
    }

    /// The i18n keys of the right's title and explanation.
    pub fn title_key(self) -> &'static str {
        match self {
            Right::EditAddressBook => "right.edit_address_book",
            Right::MakeCalls => "right.make_calls",
            Right::CreateConferences => "right.create_conferences",
            Right::ScreenSharing => "right.screen_sharing",
            Right::RemoteDesktop => "right.remote_desktop",
            Right::Slideshow => "right.slideshow",
            Right::FileSharing => "right.file_sharing",
            Right::Recording => "right.recording",
            Right::Operator => "right.operator",
        }
    }

    pub fn help_key(self) -> &'static str {
        match self {
            Right::EditAddressBook => "right.edit_address_book.help",
            Right::MakeCalls => "right.make_calls.help",
            Right::CreateConferences => "right.create_conferences.help",
            Right::ScreenSharing => "right.screen_sharing.help",
            Right::RemoteDesktop => "right.remote_desktop.help",
            Right::Slideshow => "right.slideshow.help",
            Right::FileSharing => "right.file_sharing.help",
            Right::Recording => "right.recording.help",
            Right::Operator => "right.operator.help",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown right {0:?}; the rights are: {list}", list = Right::ALL.map(|r| r.as_str()).join(", "))]
pub struct UnknownRight(pub String);

impl FromStr for Right {
    type Err = UnknownRight;
    fn from_str(s: &str) -> Result<Right, UnknownRight> {
        Right::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRight(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Right::ALL {
            assert_eq!(r.as_str().parse::<Right>().unwrap(), r);
        }
        let e = "fly".parse::<Right>().unwrap_err().to_string();
        assert!(e.contains("\"fly\"") && e.contains("operator"), "{e}");
    }
}
