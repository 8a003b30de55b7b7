//! The conference chat's rule, for every way in (the page's socket, a phone's SIP MESSAGE):
//! who may write, and what a message is.

/// The longest message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;

/// Why a message is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRefusal {
    /// A webinar guest, and the organiser does not let guests use the chat.
    NotAllowed,
    Empty,
    TooLong,
}

impl ChatRefusal {
    pub fn said(self) -> crate::Said {
        match self {
            ChatRefusal::NotAllowed => crate::said!("err.chat.guests.not.allowed"),
            ChatRefusal::Empty => crate::said!("err.chat.empty"),
            ChatRefusal::TooLong => crate::said!("err.chat.too.long", max = MAX_CHAT_CHARS),
        }
    }
}

/// The message as kept and shown: trimmed, without control characters (line breaks stay), 1 to
/// [`MAX_CHAT_CHARS`] characters. `guest`: `Some(allowed)` for a webinar guest.
pub fn message(text: &str, guest: Option<bool>) -> Result<String, ChatRefusal> {
    if guest == Some(false) {
        return Err(ChatRefusal::NotAllowed);
    }
    let text: String = text.trim().chars().filter(|c| !c.is_control() || *c == '\n').collect();
    let text = text.trim();
    if text.is_empty() {
        return Err(ChatRefusal::Empty);
    }
    if text.chars().count() > MAX_CHAT_CHARS {
        return Err(ChatRefusal::TooLong);
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_every_way_in() {
        assert_eq!(message("  hello\u{7}\nworld \r", None), Ok("hello\nworld".into()));
        assert_eq!(message("hi", Some(true)), Ok("hi".into()));
        assert_eq!(message("hi", Some(false)), Err(ChatRefusal::NotAllowed));
        assert_eq!(message(" \u{1b} \t", None), Err(ChatRefusal::Empty));
        assert_eq!(message(&"é".repeat(MAX_CHAT_CHARS), None).map(|t| t.chars().count()), Ok(MAX_CHAT_CHARS));
        assert_eq!(message(&"x".repeat(MAX_CHAT_CHARS + 1), None), Err(ChatRefusal::TooLong));
        assert!(ChatRefusal::TooLong.said().to_string().contains(&MAX_CHAT_CHARS.to_string()));
    }
}
