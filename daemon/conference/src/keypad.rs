//! What a phone's keypad asks of a conference once the caller is in (DTMF after the PIN): one
//! home for the key sequences, whichever way the digits come (SIP INFO, RFC 4733 events, and
//! H.323's user input once it exists).

/// A keypad command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `*1`: ask the moderator for the podium (role-based conferences).
    AskPodium,
}

/// Collects digits; `*` starts a command, the next digit completes it.
#[derive(Debug, Default)]
pub struct Keypad {
    star: bool,
}

impl Keypad {
    pub fn press(&mut self, digit: char) -> Option<Command> {
        if digit == '*' {
            self.star = true;
            return None;
        }
        let command = match (self.star, digit) {
            (true, '1') => Some(Command::AskPodium),
            _ => None,
        };
        self.star = false;
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_one_asks_for_the_podium_and_nothing_else_does() {
        let mut k = Keypad::default();
        assert_eq!(k.press('1'), None);
        assert_eq!(k.press('*'), None);
        assert_eq!(k.press('1'), Some(Command::AskPodium));
        assert_eq!(k.press('1'), None, "a command needs its star again");
        for d in ['*', '2', '1', '#', '1'] {
            assert_eq!(k.press(d), None, "{d}");
        }
        assert_eq!((k.press('*'), k.press('*'), k.press('1')), (None, None, Some(Command::AskPodium)));
    }
}
