//! Q.931 as H.225.0 uses it for call signalling: the protocol discriminator 8, a two-octet call
//! reference with its flag, the message type, and information elements. The H.225.0 body rides
//! in the user-user element, whose length is two octets (H.225.0 7.2.2.1), unlike Q.931's one.
//! Messages are read into their elements, in order, without interpreting what this server does
//! not use; writing puts elements in the order given.

/// The protocol discriminator of Q.931 (and of H.225.0 call signalling).
pub const DISCRIMINATOR: u8 = 0x08;

/// The message types H.225.0 uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Alerting,
    CallProceeding,
    Connect,
    Setup,
    SetupAcknowledge,
    Progress,
    ReleaseComplete,
    Facility,
    Information,
    Notify,
    Status,
    StatusEnquiry,
    Other(u8),
}

impl MessageType {
    pub fn code(self) -> u8 {
        match self {
            MessageType::Alerting => 0x01,
            MessageType::CallProceeding => 0x02,
            MessageType::Progress => 0x03,
            MessageType::Setup => 0x05,
            MessageType::Connect => 0x07,
            MessageType::SetupAcknowledge => 0x0d,
            MessageType::ReleaseComplete => 0x5a,
            MessageType::Facility => 0x62,
            MessageType::Notify => 0x6e,
            MessageType::StatusEnquiry => 0x75,
            MessageType::Information => 0x7b,
            MessageType::Status => 0x7d,
            MessageType::Other(c) => c,
        }
    }

    pub fn from_code(c: u8) -> MessageType {
        [
            MessageType::Alerting,
            MessageType::CallProceeding,
            MessageType::Progress,
            MessageType::Setup,
            MessageType::Connect,
            MessageType::SetupAcknowledge,
            MessageType::ReleaseComplete,
            MessageType::Facility,
            MessageType::Notify,
            MessageType::StatusEnquiry,
            MessageType::Information,
            MessageType::Status,
        ]
        .into_iter()
        .find(|m| m.code() == c)
        .unwrap_or(MessageType::Other(c))
    }
}

/// Information element identifiers H.225.0 uses.
pub mod ie {
    pub const BEARER_CAPABILITY: u8 = 0x04;
    pub const CAUSE: u8 = 0x08;
    pub const PROGRESS_INDICATOR: u8 = 0x1e;
    pub const DISPLAY: u8 = 0x28;
    pub const KEYPAD_FACILITY: u8 = 0x2c;
    pub const SIGNAL: u8 = 0x34;
    pub const CALLING_PARTY_NUMBER: u8 = 0x6c;
    pub const CALLED_PARTY_NUMBER: u8 = 0x70;
    pub const USER_USER: u8 = 0x7e;
    /// The protocol discriminator inside the user-user element: X.208/X.209 coded user
    /// information, which is what H.225.0 writes there.
    pub const USER_USER_X208: u8 = 0x05;
}

/// One information element: its identifier and contents (a single-octet element has none and
/// keeps its whole octet as the identifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub id: u8,
    pub contents: Vec<u8>,
}

/// A Q.931 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The call reference value (15 bits).
    pub call_reference: u16,
    /// Set in messages sent by the side that did not originate the call reference.
    pub from_destination: bool,
    pub kind: MessageType,
    pub elements: Vec<Element>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Q931Error {
    #[error("not Q.931: protocol discriminator {0:#04x}")]
    Discriminator(u8),
    #[error("a call reference of {0} octets (H.225.0 uses 2)")]
    CallReference(u8),
    #[error("the message ends inside {0}")]
    Truncated(&'static str),
    #[error("information element {id:#04x}: {len} octets, over the {max} allowed")]
    ElementTooLong { id: u8, len: usize, max: usize },
}

impl Message {
    pub fn new(kind: MessageType, call_reference: u16, from_destination: bool) -> Message {
        Message { call_reference: call_reference & 0x7fff, from_destination, kind, elements: Vec::new() }
    }

    /// The first element with this identifier.
    pub fn element(&self, id: u8) -> Option<&[u8]> {
        self.elements.iter().find(|e| e.id == id).map(|e| e.contents.as_slice())
    }

    pub fn push(&mut self, id: u8, contents: Vec<u8>) -> &mut Message {
        self.elements.push(Element { id, contents });
        self
    }

    /// The H.225.0 body: the user-user element's contents after its protocol discriminator.
    pub fn user_user(&self) -> Option<&[u8]> {
        match self.element(ie::USER_USER)? {
            [ie::USER_USER_X208, body @ ..] => Some(body),
            _ => None,
        }
    }

    pub fn set_user_user(&mut self, body: &[u8]) -> &mut Message {
        let mut c = Vec::with_capacity(body.len() + 1);
        c.push(ie::USER_USER_X208);
        c.extend_from_slice(body);
        self.elements.retain(|e| e.id != ie::USER_USER);
        self.push(ie::USER_USER, c)
    }

    /// A display element's text (IA5), at most 82 characters as Q.931 allows.
    pub fn display(&self) -> Option<String> {
        let d = self.element(ie::DISPLAY)?;
        Some(d.iter().filter(|c| c.is_ascii() && !c.is_ascii_control()).map(|&c| char::from(c)).collect())
    }

    /// The digits of a called party number element (after its type-of-number octet).
    pub fn called_number(&self) -> Option<String> {
        number(self.element(ie::CALLED_PARTY_NUMBER)?)
    }

    /// The cause value of the cause element (after its coding octet, and the recommendation
    /// octet when the extension bit says one follows).
    pub fn cause(&self) -> Option<u8> {
        let c = self.element(ie::CAUSE)?;
        let at = if c.first()? & 0x80 != 0 { 1 } else { 2 };
        c.get(at).map(|v| v & 0x7f)
    }

    pub fn encode(&self) -> Result<Vec<u8>, Q931Error> {
        let mut out = vec![DISCRIMINATOR, 2];
        let cr = self.call_reference & 0x7fff | if self.from_destination { 0x8000 } else { 0 };
        out.extend_from_slice(&cr.to_be_bytes());
        out.push(self.kind.code());
        for e in &self.elements {
            if e.id & 0x80 != 0 {
                out.push(e.id);
                continue;
            }
            let len = e.contents.len();
            if e.id == ie::USER_USER {
                if len > 0xffff {
                    return Err(Q931Error::ElementTooLong { id: e.id, len, max: 0xffff });
                }
                out.push(e.id);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            } else {
                if len > 0xff {
                    return Err(Q931Error::ElementTooLong { id: e.id, len, max: 0xff });
                }
                out.push(e.id);
                out.push(len as u8);
            }
            out.extend_from_slice(&e.contents);
        }
        Ok(out)
    }

    pub fn decode(data: &[u8]) -> Result<Message, Q931Error> {
        let take = |i: usize, n: usize, what: &'static str| data.get(i..i + n).ok_or(Q931Error::Truncated(what));
        let d = *data.first().ok_or(Q931Error::Truncated("the protocol discriminator"))?;
        if d != DISCRIMINATOR {
            return Err(Q931Error::Discriminator(d));
        }
        let crl = *take(1, 1, "the call reference")?.first().unwrap_or(&0) & 0x0f;
        if crl != 2 {
            return Err(Q931Error::CallReference(crl));
        }
        let cr = take(2, 2, "the call reference")?;
        let cr = u16::from_be_bytes([cr[0], cr[1]]);
        let kind = MessageType::from_code(take(4, 1, "the message type")?[0] & 0x7f);
        let mut m = Message::new(kind, cr & 0x7fff, cr & 0x8000 != 0);
        let mut i = 5;
        while i < data.len() {
            let id = data[i];
            i += 1;
            if id & 0x80 != 0 {
                m.elements.push(Element { id, contents: Vec::new() });
                continue;
            }
            let len = if id == ie::USER_USER {
                let l = take(i, 2, "the user-user element's length")?;
                i += 2;
                usize::from(u16::from_be_bytes([l[0], l[1]]))
            } else {
                let l = take(i, 1, "an element's length")?[0];
                i += 1;
                usize::from(l)
            };
            let contents = take(i, len, "an information element")?.to_vec();
            i += len;
            m.elements.push(Element { id, contents });
        }
        Ok(m)
    }
}

/// A party number element's digits: its first octet (type and plan, with the extension bit
/// set) and, when that bit is clear, a second octet, then IA5 digits.
fn number(e: &[u8]) -> Option<String> {
    let first = *e.first()?;
    let skip = if first & 0x80 != 0 { 1 } else { 2 };
    let digits = e.get(skip..)?;
    digits
        .iter()
        .all(|c| c.is_ascii_digit() || *c == b'*' || *c == b'#')
        .then(|| String::from_utf8_lossy(digits).into())
}

/// A called party number element for `digits`: unknown type, ISDN/telephony plan.
pub fn called_number(digits: &str) -> Vec<u8> {
    let mut e = vec![0x81];
    e.extend(digits.bytes().filter(|c| c.is_ascii_digit() || *c == b'*' || *c == b'#'));
    e
}

/// The bearer capability H.323 endpoints send: unrestricted digital information, circuit mode,
/// multirate 64 kbit/s, layer 1 H.221 and H.242 (H.225.0 7.2.2.3).
pub const BEARER_UNRESTRICTED: [u8; 3] = [0x88, 0x90, 0xa5];

/// A cause element: coding standard ITU-T, location user, and the cause value (16 normal
/// clearing, 17 user busy, 21 call rejected, 31 normal unspecified).
pub fn cause(value: u8) -> Vec<u8> {
    vec![0x80, 0x80 | (value & 0x7f)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_reads_back_with_its_elements() {
        let mut m = Message::new(MessageType::Setup, 0x1234, false);
        m.push(ie::BEARER_CAPABILITY, BEARER_UNRESTRICTED.to_vec());
        m.push(ie::DISPLAY, b"Room 101".to_vec());
        m.push(ie::CALLED_PARTY_NUMBER, called_number("4321"));
        m.push(0xa1, Vec::new()); // sending complete, a single-octet element
        m.set_user_user(&[0x20, 0x01, 0x02]);
        let bytes = m.encode().unwrap();
        assert_eq!(&bytes[..5], [0x08, 0x02, 0x12, 0x34, 0x05]);
        let back = Message::decode(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.display().as_deref(), Some("Room 101"));
        assert_eq!(back.called_number().as_deref(), Some("4321"));
        assert_eq!(back.user_user(), Some(&[0x20, 0x01, 0x02][..]));
        // The answer's flag: sent by the destination.
        let mut c = Message::new(MessageType::Connect, 0x1234, true);
        c.push(ie::CAUSE, cause(16));
        assert_eq!(&c.encode().unwrap()[..5], [0x08, 0x02, 0x92, 0x34, 0x07]);
        assert_eq!(c.cause(), Some(16));
        // With the recommendation octet (extension bit clear in the first).
        let mut r = Message::new(MessageType::ReleaseComplete, 1, true);
        r.push(ie::CAUSE, vec![0x00, 0x80, 0x80 | 17]);
        assert_eq!(r.cause(), Some(17));
        r.elements[0].contents.truncate(1);
        assert_eq!(r.cause(), None);
    }

    #[test]
    fn broken_messages_are_errors() {
        assert_eq!(Message::decode(&[]), Err(Q931Error::Truncated("the protocol discriminator")));
        assert_eq!(Message::decode(&[0x09, 2, 0, 1, 5]), Err(Q931Error::Discriminator(9)));
        assert_eq!(Message::decode(&[0x08, 1, 1, 5]), Err(Q931Error::CallReference(1)));
        assert!(Message::decode(&[0x08, 2, 0, 1, 5, 0x28, 10, b'a']).is_err(), "short element");
        assert!(Message::decode(&[0x08, 2, 0, 1, 5, 0x7e, 0x01]).is_err(), "short user-user length");
        // Every prefix of a good message, and noise, is an answer, never a panic.
        let mut m = Message::new(MessageType::Setup, 1, false);
        m.set_user_user(&[1; 40]);
        let good = m.encode().unwrap();
        for n in 0..good.len() {
            let _ = Message::decode(&good[..n]);
        }
        for seed in 0..200u32 {
            let noise: Vec<u8> = (0..32).map(|i| (seed.wrapping_mul(2654435761).rotate_left(i) & 0xff) as u8).collect();
            let _ = Message::decode(&[&[8, 2, 0, 1, 5], &noise[..]].concat());
        }
    }
}
