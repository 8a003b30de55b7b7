//! Who may join a conference, and as whom: the one decision every way in calls.
//!
//! The caller gathers the facts (the conference's settings, whether it runs, what the joining
//! party proved, what the PIN guard says) and asks [`decide`]. A SIP call asks first as a guest
//! and, if told [`Refusal::SignInRequired`], challenges for the caller's credentials and asks
//! again as the user it proved to be; the web page's socket asks once, as the page said.
//!
//! The rules, as the personal area's guide describes them:
//! - a private conference admits only its invited users, the server's operators, or — when it
//!   says so — any user of the server, each with a valid PRO license;
//! - a public conference (a webinar) also admits guests; with registration on, only guests who
//!   signed up, with their join link;
//! - a PIN, if the conference has one, is asked of everyone but a guest with a join link (the link
//!   is the stronger secret); wrong PINs are counted per address and per conference by the
//!   [`PinGuard`];
//! - a scheduled conference admits no one before it has started (a virtual room starts when the
//!   first person joins).

use crate::Said;

/// A conference's settings that decide who may join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conference<'a> {
    pub id: &'a str,
    pub kind: crate::ConferenceKind,
    /// A webinar: guests (no account) may join.
    pub public: bool,
    /// A webinar with registration on: its guests join with the link they got when signing up.
    pub registration: bool,
    /// Any user of the server may join, invited or not.
    pub join_without_invitation: bool,
    /// Only encrypted media may join (see [`media`]).
    pub encrypted_media: bool,
    pub pin: Option<&'a str>,
    /// The conference is running now.
    pub running: bool,
    /// How many are in it now (none when it is not running).
    pub participants: usize,
    /// The server is draining (`tessera ctl drain`, before an upgrade): nobody new comes in.
    pub draining: bool,
}

/// What a user of the server who proved who they are brings (looked up by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserFacts {
    pub id: i64,
    /// On the conference's list of participants (the owner is).
    pub invited: bool,
    /// Holds the operator right: may join and run any conference.
    pub operator: bool,
    /// Holds a PRO license valid now.
    pub licensed: bool,
}

/// A webinar guest who signed up, found by their join link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrant {
    pub id: i64,
    pub name: String,
}

/// Who the joining party says they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim<'a> {
    /// A user of the server, proven by a session or by SIP digest credentials.
    User(UserFacts),
    /// Someone without an account, under the name they gave.
    Guest { name: &'a str },
    /// A join link: the guest it belongs to, or `None` when it is not valid for this conference.
    Link(Option<Registrant>),
}

/// The PIN as the joining party gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinGiven<'a> {
    /// With the request (the web page's form, or `conference*PIN` dialled).
    Given(&'a str),
    /// Not yet: it can be asked for once connected (a SIP caller is prompted for DTMF).
    Later,
}

/// The answer to a PIN from the guard that counts wrong ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    Right,
    Wrong,
    /// The address made too many failed attempts (PINs, passwords or join links): refused
    /// without comparing.
    Throttled,
}

/// Counts wrong PINs per address and per conference (the web's lockout service, which also
/// counts passwords and join links from the same address). The caller binds it to the joining
/// party's address and the current time.
pub trait PinGuard {
    /// Compares `given` with the conference's PIN and counts a wrong one.
    fn check(&self, conference: &str, expected: &str, given: &str) -> PinCheck;
    /// The address is refused for now, without a comparison.
    fn throttled(&self) -> bool;
}

/// Who was admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The user, when a user joins as themself.
    pub user: Option<i64>,
    /// The webinar guest whose link was used.
    pub registrant: Option<i64>,
    /// The name shown; `None` for a user (their own name, which the caller has).
    pub name: Option<String>,
    /// Joins as a guest: what the organiser lets guests use applies.
    pub guest: bool,
    /// The PIN still to be asked for once connected ([`PinGiven::Later`]).
    pub pin_to_ask: Option<String>,
}

/// Why someone may not join. Every way in words it in its own terms (a SIP status, a WebSocket
/// close with a message); [`Refusal::message`] is the common wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Only users of the server may join: sign in (SIP: the digest challenge).
    SignInRequired,
    /// A user who may not join a private conference: told as if it did not exist.
    Hidden,
    /// A user who is not on a webinar-with-registration's list.
    NotOnList,
    /// A user without a valid PRO license.
    NoLicense,
    /// Guests may join webinars only.
    GuestsNotAllowed,
    /// This webinar admits the guests who signed up.
    SignUpRequired,
    /// The join link is not valid for this conference.
    BadLink,
    /// A guest's name: empty, too long or with control characters (the message's key).
    BadName(&'static str),
    /// The conference has a PIN and none was given.
    PinRequired,
    WrongPin,
    /// Too many wrong PINs, passwords or join links from the address.
    Throttled,
    /// A scheduled conference that has not started.
    NotStarted,
    /// The conference holds [`crate::live::MAX_PARTICIPANTS`] already.
    Full,
    /// The server is draining before a restart: no one new joins anything.
    Draining,
    /// The conference takes encrypted media only, and this party's would be plain.
    EncryptionRequired,
}

impl Refusal {
    /// The common wording, for people.
    pub fn said(self) -> Said {
        Said::Key(
            match self {
                Refusal::SignInRequired => "err.join.sign.in",
                Refusal::Hidden => "err.join.hidden",
                Refusal::NotOnList => "err.join.not.on.list",
                Refusal::NoLicense => "err.join.no.license",
                Refusal::GuestsNotAllowed => "err.join.guests.not.allowed",
                Refusal::SignUpRequired => "err.join.sign.up.required",
                Refusal::BadLink => "err.join.bad.link",
                Refusal::BadName(key) => key,
                Refusal::PinRequired => "err.join.pin.required",
                Refusal::Draining => "err.join.draining",
                Refusal::WrongPin => "err.join.wrong.pin",
                Refusal::Throttled => "err.join.throttled",
                Refusal::NotStarted => "err.join.not.started",
                Refusal::Full => "err.join.full",
                Refusal::EncryptionRequired => "err.join.encryption.required",
            },
            Vec::new(),
        )
    }

    /// The request field the refusal is about, for forms.
    pub fn field(self) -> Option<&'static str> {
        match self {
            Refusal::BadName(_) => Some("name"),
            Refusal::BadLink => Some("token"),
            Refusal::PinRequired | Refusal::WrongPin => Some("pin"),
            _ => None,
        }
    }
}

/// How a visitor stands towards a conference, which decides what its page shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// May join as themself.
    Member,
    /// May see it (a webinar) but join only as a guest.
    Outsider,
}

/// How `user` (or a visitor who is not signed in) stands towards the conference; `None`: it is
/// hidden from them. A user on a webinar-with-registration's list, an invited user, an operator
/// or any user where the conference admits any user, is a member.
pub fn standing(c: &Conference<'_>, user: Option<&UserFacts>) -> Option<Standing> {
    let Some(u) = user else { return c.public.then_some(Standing::Outsider) };
    // A public webinar without registration admits any user as themself.
    let open_to_users = c.public && !c.registration;
    if open_to_users || u.invited || u.operator || c.join_without_invitation {
        return Some(Standing::Member);
    }
    c.public.then_some(Standing::Outsider)
}

/// A guest's name as given: trimmed, 1 to 64 characters, no control characters.
pub fn guest_name(name: &str) -> Result<String, Refusal> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Refusal::BadName("err.join.name.required"));
    }
    if n.chars().count() > 64 {
        return Err(Refusal::BadName("err.join.name.long"));
    }
    if n.chars().any(char::is_control) {
        return Err(Refusal::BadName("err.join.name.control"));
    }
    Ok(n.to_string())
}

/// What a conference asks of a party's media, kept by a way in until the media is negotiated
/// (a SIP call's SDP may come after admission, in the ACK or a re-INVITE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaRule {
    /// Only encrypted media may join.
    pub encrypted_only: bool,
}

impl MediaRule {
    pub fn of(c: &Conference<'_>) -> MediaRule {
        MediaRule { encrypted_only: c.encrypted_media }
    }

    /// Whether a party whose media would be `encrypted` (or plain) may join: asked by every
    /// way in once it knows. Browsers always encrypt (DTLS-SRTP); a SIP caller does when it
    /// negotiated SRTP (SDES over SIP TLS); H.323 media is never encrypted.
    pub fn admits(self, encrypted: bool) -> Result<(), Refusal> {
        if self.encrypted_only && !encrypted { Err(Refusal::EncryptionRequired) } else { Ok(()) }
    }
}

/// The one admission decision.
pub fn decide(
    c: &Conference<'_>,
    claim: &Claim<'_>,
    pin: PinGiven<'_>,
    guard: &dyn PinGuard,
) -> Result<Admission, Refusal> {
    if c.draining {
        return Err(Refusal::Draining);
    }
    let mut admission = match claim {
        Claim::User(u) => {
            match standing(c, Some(u)) {
                Some(Standing::Member) => {}
                Some(Standing::Outsider) => return Err(Refusal::NotOnList),
                None => return Err(Refusal::Hidden),
            }
            if !u.licensed {
                return Err(Refusal::NoLicense);
            }
            Admission { user: Some(u.id), registrant: None, name: None, guest: false, pin_to_ask: None }
        }
        Claim::Guest { .. } if !c.public => return Err(Refusal::SignInRequired),
        Claim::Guest { .. } if c.registration => return Err(Refusal::SignUpRequired),
        Claim::Guest { name } => {
            Admission { user: None, registrant: None, name: Some(guest_name(name)?), guest: true, pin_to_ask: None }
        }
        Claim::Link(_) if !c.public => return Err(Refusal::GuestsNotAllowed),
        Claim::Link(_) if guard.throttled() => return Err(Refusal::Throttled),
        Claim::Link(None) => return Err(Refusal::BadLink),
        Claim::Link(Some(r)) => {
            Admission { user: None, registrant: Some(r.id), name: Some(r.name.clone()), guest: true, pin_to_ask: None }
        }
    };
    // A guest's join link admits without the PIN (the link is the stronger secret).
    if let Some(expected) = c.pin.filter(|_| admission.registrant.is_none()) {
        match pin {
            PinGiven::Given("") => return Err(Refusal::PinRequired),
            PinGiven::Given(given) => match guard.check(c.id, expected, given) {
                PinCheck::Right => {}
                PinCheck::Wrong => return Err(Refusal::WrongPin),
                PinCheck::Throttled => return Err(Refusal::Throttled),
            },
            // No prompt for an address already refused.
            PinGiven::Later if guard.throttled() => return Err(Refusal::Throttled),
            PinGiven::Later => admission.pin_to_ask = Some(expected.to_string()),
        }
    }
    if !open_now(c) {
        return Err(Refusal::NotStarted);
    }
    // Last, so that only those who may join learn that it is full.
    if c.participants >= crate::live::MAX_PARTICIPANTS {
        return Err(Refusal::Full);
    }
    Ok(admission)
}

/// Whether people may join now: a virtual room starts when the first one joins; a scheduled
/// conference must have been started (by its schedule or by hand).
pub fn open_now(c: &Conference<'_>) -> bool {
    c.kind == crate::ConferenceKind::Room || c.running
}

#[cfg(test)]
mod tests;
