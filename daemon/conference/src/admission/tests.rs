//! Every rule of admission, as a table: the conference, who asks, the PIN, and the outcome.

use super::*;
use crate::ConferenceKind::{Room, Scheduled};
use std::cell::Cell;

/// A guard with a fixed PIN verdict that records what it was asked.
struct Guard {
    throttled: bool,
    checked: Cell<u32>,
}

impl PinGuard for Guard {
    fn check(&self, _conference: &str, expected: &str, given: &str) -> PinCheck {
        self.checked.set(self.checked.get() + 1);
        if self.throttled {
            PinCheck::Throttled
        } else if expected == given {
            PinCheck::Right
        } else {
            PinCheck::Wrong
        }
    }
    fn throttled(&self) -> bool {
        self.throttled
    }
}

fn guard() -> Guard {
    Guard { throttled: false, checked: Cell::new(0) }
}

fn private() -> Conference<'static> {
    Conference {
        id: "board",
        kind: Room,
        public: false,
        registration: false,
        join_without_invitation: false,
        encrypted_media: false,
        pin: None,
        running: false,
        participants: 0,
        draining: false,
    }
}

fn webinar() -> Conference<'static> {
    Conference { public: true, ..private() }
}

const INVITED: UserFacts = UserFacts { id: 7, invited: true, operator: false, licensed: true };
const STRANGER: UserFacts = UserFacts { id: 8, invited: false, operator: false, licensed: true };
const OPERATOR: UserFacts = UserFacts { id: 9, invited: false, operator: true, licensed: true };
const UNLICENSED: UserFacts = UserFacts { id: 10, invited: true, operator: false, licensed: false };
const UNLICENSED_STRANGER: UserFacts = UserFacts { id: 11, invited: false, operator: false, licensed: false };

fn guest(name: &'static str) -> Claim<'static> {
    Claim::Guest { name }
}

fn link() -> Claim<'static> {
    Claim::Link(Some(Registrant { id: 3, name: "Gina".into() }))
}

/// What is tried, on which conference, by whom, with which PIN, and who gets in (the user).
type Case = (&'static str, Conference<'static>, Claim<'static>, PinGiven<'static>, Result<Option<i64>, Refusal>);

#[test]
fn the_table_of_who_may_join() {
    use Refusal::*;
    let with_pin = Conference { pin: Some("4711"), ..private() };
    let open = Conference { join_without_invitation: true, ..private() };
    let registration = Conference { registration: true, ..webinar() };
    let not_started = Conference { kind: Scheduled, ..private() };
    let started = Conference { kind: Scheduled, running: true, ..private() };
    let full = Conference { running: true, participants: crate::live::MAX_PARTICIPANTS, ..private() };
    let almost = Conference { running: true, participants: crate::live::MAX_PARTICIPANTS - 1, ..private() };
    let full_pin = Conference { pin: Some("1234"), ..full };
    let webinar_pin = Conference { pin: Some("4711"), ..registration.clone() };
    #[rustfmt::skip]
    let table: Vec<Case> = vec![
        ("an invited user joins a private room", private(), Claim::User(INVITED), PinGiven::Given(""), Ok(Some(7))),
        ("a stranger is told it does not exist", private(), Claim::User(STRANGER), PinGiven::Given(""), Err(Hidden)),
        ("an operator joins any conference", private(), Claim::User(OPERATOR), PinGiven::Given(""), Ok(Some(9))),
        ("any user, where the conference says so", open.clone(), Claim::User(STRANGER), PinGiven::Given(""), Ok(Some(8))),
        ("no license, no joining as oneself", private(), Claim::User(UNLICENSED), PinGiven::Given(""), Err(NoLicense)),
        ("no license, even where anyone may", open, Claim::User(UNLICENSED_STRANGER), PinGiven::Given(""), Err(NoLicense)),
        ("a guest must sign in to a private room", private(), guest("Eve"), PinGiven::Given(""), Err(SignInRequired)),
        ("a guest joins a webinar", webinar(), guest("Gus"), PinGiven::Given(""), Ok(None)),
        ("a guest needs a name", webinar(), guest("  "), PinGiven::Given(""), Err(BadName("err.join.name.required"))),
        ("a guest's name has no control characters", webinar(), guest("a\u{7}b"), PinGiven::Given(""), Err(BadName("err.join.name.control"))),
        ("any user joins a webinar as themself", webinar(), Claim::User(STRANGER), PinGiven::Given(""), Ok(Some(8))),
        ("with registration, a guest signs up first", registration.clone(), guest("Gus"), PinGiven::Given(""), Err(SignUpRequired)),
        ("with registration, a user not on the list", registration.clone(), Claim::User(STRANGER), PinGiven::Given(""), Err(NotOnList)),
        ("with registration, an invited user", registration.clone(), Claim::User(INVITED), PinGiven::Given(""), Ok(Some(7))),
        ("with registration, a guest's link", registration.clone(), link(), PinGiven::Given(""), Ok(None)),
        ("a link that is not valid here", registration, Claim::Link(None), PinGiven::Given(""), Err(BadLink)),
        ("links are for webinars", private(), link(), PinGiven::Given(""), Err(GuestsNotAllowed)),
        ("a link needs no PIN", webinar_pin, link(), PinGiven::Given(""), Ok(None)),
        ("the PIN is asked for", with_pin.clone(), Claim::User(INVITED), PinGiven::Given(""), Err(PinRequired)),
        ("a wrong PIN", with_pin.clone(), Claim::User(INVITED), PinGiven::Given("1234"), Err(WrongPin)),
        ("the right PIN", with_pin.clone(), Claim::User(INVITED), PinGiven::Given("4711"), Ok(Some(7))),
        ("the PIN asked once connected", with_pin, Claim::User(INVITED), PinGiven::Later, Ok(Some(7))),
        ("a scheduled conference before its start", not_started, Claim::User(INVITED), PinGiven::Given(""), Err(NotStarted)),
        ("a scheduled conference once started", started, Claim::User(INVITED), PinGiven::Given(""), Ok(Some(7))),
        ("a full conference", full, Claim::User(INVITED), PinGiven::Given(""), Err(Full)),
        ("one place left", almost, Claim::User(INVITED), PinGiven::Given(""), Ok(Some(7))),
        ("a full conference to a wrong PIN: the PIN first", full_pin, Claim::User(INVITED), PinGiven::Given("0000"), Err(WrongPin)),
    ];
    for (what, conference, claim, pin, expected) in table {
        let got = decide(&conference, &claim, pin, &guard()).map(|a| a.user);
        assert_eq!(got, expected, "{what}");
    }
}

#[test]
fn a_pin_given_later_is_handed_back_to_ask_for() {
    let c = Conference { pin: Some("4711"), ..webinar() };
    let a = decide(&c, &guest("Gus"), PinGiven::Later, &guard()).unwrap();
    assert_eq!(a.pin_to_ask.as_deref(), Some("4711"));
    assert!(a.guest);
    assert_eq!(a.name.as_deref(), Some("Gus"));
    // Given at once, nothing is left to ask.
    let a = decide(&c, &guest("Gus"), PinGiven::Given("4711"), &guard()).unwrap();
    assert_eq!(a.pin_to_ask, None);
}

#[test]
fn a_throttled_address_is_refused_before_any_comparison() {
    let g = Guard { throttled: true, checked: Cell::new(0) };
    let c = Conference { pin: Some("4711"), ..webinar() };
    assert_eq!(decide(&c, &guest("Gus"), PinGiven::Later, &g), Err(Refusal::Throttled), "no prompt");
    assert_eq!(g.checked.get(), 0);
    assert_eq!(decide(&c, &guest("Gus"), PinGiven::Given("4711"), &g), Err(Refusal::Throttled));
    // Join links are guessed like PINs: a throttled address cannot try them either.
    let r = Conference { registration: true, ..webinar() };
    assert_eq!(decide(&r, &link(), PinGiven::Given(""), &g), Err(Refusal::Throttled));
}

#[test]
fn every_wrong_pin_reaches_the_guard_that_counts_it() {
    let g = guard();
    let c = Conference { pin: Some("4711"), ..private() };
    for _ in 0..3 {
        assert_eq!(decide(&c, &Claim::User(INVITED), PinGiven::Given("0000"), &g), Err(Refusal::WrongPin));
    }
    assert_eq!(g.checked.get(), 3);
    // Who may not join at all never gets to try a PIN.
    assert_eq!(decide(&c, &Claim::User(STRANGER), PinGiven::Given("0000"), &g), Err(Refusal::Hidden));
    assert_eq!(g.checked.get(), 3);
}

#[test]
fn standing_decides_what_a_page_shows() {
    assert_eq!(standing(&private(), None), None, "a private conference is hidden from visitors");
    assert_eq!(standing(&webinar(), None), Some(Standing::Outsider));
    assert_eq!(standing(&private(), Some(&STRANGER)), None);
    assert_eq!(standing(&private(), Some(&OPERATOR)), Some(Standing::Member));
    let r = Conference { registration: true, ..webinar() };
    assert_eq!(standing(&r, Some(&STRANGER)), Some(Standing::Outsider));
    assert_eq!(standing(&r, Some(&INVITED)), Some(Standing::Member));
}

#[test]
fn refusals_name_their_field() {
    assert_eq!(Refusal::WrongPin.field(), Some("pin"));
    assert_eq!(Refusal::BadLink.field(), Some("token"));
    assert_eq!(Refusal::BadName("x").field(), Some("name"));
    assert_eq!(Refusal::NotStarted.field(), None);
    assert_eq!(Refusal::BadName("err.join.name.long").said().to_string(), "err.join.name.long");
}

#[test]
fn a_draining_server_admits_no_one_new() {
    let draining = Conference { draining: true, running: true, participants: 3, ..webinar() };
    for claim in [Claim::User(OPERATOR), Claim::User(INVITED), guest("Gina")] {
        assert_eq!(decide(&draining, &claim, PinGiven::Given(""), &guard()), Err(Refusal::Draining));
    }
}

#[test]
fn an_encrypted_only_conference_admits_encrypted_media_only() {
    let open = MediaRule::of(&webinar());
    assert_eq!((open.admits(false), open.admits(true)), (Ok(()), Ok(())));
    let sealed = MediaRule::of(&Conference { encrypted_media: true, ..webinar() });
    assert_eq!(sealed.admits(true), Ok(()));
    assert_eq!(sealed.admits(false), Err(Refusal::EncryptionRequired));
    assert_eq!(Refusal::EncryptionRequired.said().to_string(), "err.join.encryption.required");
}
