use super::Devices;
use super::*;
use crate::scope::Scope;
use tessera_mixer::layout::LayoutType;

fn rules(mode: Mode) -> Rules {
    Rules { mode, active_speakers: 2, cameras_off_on_join: false, microphones_off_on_join: false }
}

fn who(name: &str) -> Joining {
    Joining {
        user: None,
        name: name.into(),
        kind: EndpointKind::Rtp,
        group: Some(EndpointGroup::SipH323),
        guest: None,
        operator: false,
    }
}

fn add(c: &mut Conference, t: i64, name: &str) -> (ParticipantId, Vec<Effect>) {
    let id = c.reserve().unwrap();
    let fx = c.join(t, id, who(name), "test");
    (id, fx)
}

fn main_windows(fx: &[Effect]) -> Option<u8> {
    fx.iter().rev().find_map(|e| match e {
        Effect::MainLayout(l) => Some(l.windows),
        _ => None,
    })
}

fn stage(fx: &[Effect]) -> Option<Option<BTreeSet<ParticipantId>>> {
    fx.iter().rev().find_map(|e| match e {
        Effect::Stage(s) => Some(s.clone()),
        _ => None,
    })
}

fn recorded(fx: &[Effect]) -> Vec<EventKind> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Record(h) => Some(h.kind),
            _ => None,
        })
        .collect()
}

#[test]
fn the_default_grid_grows_and_shrinks_with_the_roster_until_an_operator_fixes_one() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    assert_eq!(c.layouts().all.windows, 1);
    let expected = [1, 2, 4, 4, 6, 6, 9];
    let mut ids = Vec::new();
    for (i, w) in expected.into_iter().enumerate() {
        let (id, fx) = add(&mut c, i as i64, &format!("P{i}"));
        ids.push(id);
        assert_eq!(main_windows(&fx), Some(w), "{} participants", i + 1);
        assert_eq!(recorded(&fx), [EventKind::Joined]);
    }
    // The fifth and later are seen (the old fixed default had four windows).
    assert_eq!(c.shown()[4], Some(ids[4]));
    let fx = c.leave(ids[6], "hung up");
    assert_eq!(main_windows(&fx), Some(6));
    assert_eq!(recorded(&fx), [EventKind::Left]);
    // An operator's layout stays whatever joins; discarding it adapts again.
    let fixed = Layout { kind: LayoutType::OneLargeBelow, windows: 3, ..Layout::default() };
    c.apply_layout(Scope::All, Some(fixed), Some(0), "by user 1").unwrap();
    assert!(!c.adaptive());
    let (_, fx) = add(&mut c, 10, "late");
    assert_eq!(main_windows(&fx), Some(3));
    let fx = c.apply_layout(Scope::All, None, None, "").unwrap();
    assert!(c.adaptive());
    assert_eq!(main_windows(&fx), Some(9), "7 participants");
}

#[test]
fn a_shared_screen_is_not_counted_in_the_grid() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    add(&mut c, 0, "A");
    add(&mut c, 0, "B");
    let (s, _) = add(&mut c, 0, "screen");
    let (old, fx) = c.share(s);
    assert_eq!((old, fx), (None, vec![Effect::Content(Some(s))]));
    let (_, fx) = add(&mut c, 1, "C");
    assert_eq!(main_windows(&fx), Some(4), "three cameras and a screen in the content slot");
    let fx = c.leave(s, "stopped sharing");
    assert!(fx.contains(&Effect::Content(None)));
}

#[test]
fn stale_layout_versions_are_refused_and_nothing_changes() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    add(&mut c, 0, "A");
    let row = Layout { kind: LayoutType::Row, windows: 3, ..Layout::default() };
    c.apply_layout(Scope::All, Some(row.clone()), Some(0), "").unwrap();
    assert_eq!(c.layout_version(), 1);
    let pip = Layout { kind: LayoutType::PictureInPicture, windows: 2, ..Layout::default() };
    let r = c.apply_layout(Scope::All, Some(pip), Some(0), "");
    assert!(matches!(&r, Err(Refusal::Conflict(m)) if m.to_string().contains("loaded=0, now=1")), "{r:?}");
    assert_eq!(c.layouts().all, row);
    assert_eq!(c.layout_version(), 1);
    // Bad layouts and absent participants are refused at their field.
    let bad = Layout { windows: 0, ..Layout::default() };
    assert!(matches!(c.apply_layout(Scope::All, Some(bad), None, ""), Err(Refusal::Invalid { field: "layout", .. })));
    let r = c.apply_layout(Scope::Participant(99), Some(Layout::default()), None, "");
    assert_eq!(r.unwrap_err(), Refusal::NoParticipant(99));
    // A rename bumps the version too.
    c.rename(Scope::All, 1, Some("Chair")).unwrap();
    assert_eq!(c.layout_version(), 2);
    assert_eq!(c.layouts().all.display_names.get(&1).map(String::as_str), Some("Chair"));
    assert!(matches!(c.rename(Scope::All, 1, Some(" ")), Err(Refusal::Invalid { field: "name", .. })));
}

#[test]
fn devices_on_join_follow_the_settings_and_changes_are_checked() {
    let mut c = Conference::new(
        Rules { cameras_off_on_join: true, microphones_off_on_join: true, ..rules(Mode::AllOnScreen) },
        None,
        HashMap::new(),
    );
    let (a, fx) = add(&mut c, 0, "A");
    assert_eq!(&fx[..2], &[Effect::Camera(a, false), Effect::Microphone(a, false)]);
    assert!(!c.member(a).unwrap().camera && !c.member(a).unwrap().microphone);
    let fx =
        c.devices(a, Devices { microphone: Some(true), gain: Some(1.5), ..Devices::default() }, "by user 1").unwrap();
    assert_eq!(&fx[..2], &[Effect::Microphone(a, true), Effect::Gain(a, 1.5)]);
    assert!(matches!(&fx[2], Effect::Record(h) if h.detail == "microphone on, gain 1.5 by user 1"));
    for g in [f32::NAN, -1.0, 100.0] {
        let r = c.devices(a, Devices { gain: Some(g), ..Devices::default() }, "");
        assert!(matches!(r, Err(Refusal::Invalid { field: "gain", .. })), "{g}");
    }
    assert_eq!(c.member(a).unwrap().gain, 1.5);
    assert_eq!(c.devices(7, Devices::default(), "").unwrap_err(), Refusal::NoParticipant(7));
}

#[test]
fn a_guest_joins_with_what_the_organiser_allows_and_cannot_turn_the_rest_on() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    let g = c.reserve().unwrap();
    let guest = Some(GuestDevices { camera: false, microphone: true });
    let fx = c.join(0, g, Joining { guest, ..who("Guest") }, "");
    assert_eq!(&fx[..2], &[Effect::Camera(g, false), Effect::Microphone(g, true)]);
    let r = c.devices(g, Devices { camera: Some(true), ..Devices::default() }, "");
    assert!(matches!(&r, Err(Refusal::Conflict(m)) if m.to_string().contains("camera")), "{r:?}");
    assert!(!c.member(g).unwrap().camera);
    // Off, and the allowed microphone, remain theirs to change.
    c.devices(g, Devices { microphone: Some(false), camera: Some(false), ..Devices::default() }, "").unwrap();
    c.devices(g, Devices { microphone: Some(true), ..Devices::default() }, "").unwrap();
    assert!(c.member(g).unwrap().microphone);
}

#[test]
fn role_based_shows_the_podium_only_and_it_has_the_places_of_the_active_speakers() {
    let mut invitees = HashMap::new();
    invitees.insert(10, (Role::Moderator, true));
    invitees.insert(11, (Role::Participant, false));
    let mut c = Conference::new(rules(Mode::RoleBased), None, invitees);
    // A scheduled speaker starts on the podium and a moderator moderates.
    let m = c.reserve().unwrap();
    let fx = c.join(0, m, Joining { user: Some(10), ..who("Mod") }, "");
    assert_eq!(stage(&fx), Some(Some([m].into())));
    assert!(c.member(m).unwrap().moderator && c.member(m).unwrap().on_podium);
    let p = c.reserve().unwrap();
    c.join(0, p, Joining { user: Some(11), ..who("Pat") }, "");
    assert!(!c.member(p).unwrap().moderator && !c.member(p).unwrap().on_podium);
    let (q, _) = add(&mut c, 0, "Q");
    // The grid counts the stage: one window for one speaker.
    assert_eq!(c.layouts().all.windows, 1);
    let fx = c.set_podium(p, true).unwrap();
    assert_eq!(stage(&fx), Some(Some([m, p].into())));
    assert_eq!(main_windows(&fx), Some(2));
    let r = c.set_podium(q, true);
    assert!(matches!(&r, Err(Refusal::Conflict(msg)) if msg.to_string().contains("podium.full(max=2)")), "{r:?}");
    c.set_podium(m, false).unwrap();
    c.set_podium(q, true).unwrap();
    assert_eq!(c.podium(), [p, q]);
    // Leaving frees a place.
    c.leave(p, "");
    assert_eq!(c.podium(), [q]);
    // No presenter here.
    assert!(matches!(c.set_presenter(q), Err(Refusal::Conflict(_))));
}

#[test]
fn a_video_lecture_shows_the_presenter_who_sees_everyone() {
    let mut c = Conference::new(rules(Mode::VideoLecture), None, HashMap::new());
    let (a, _) = add(&mut c, 0, "A");
    let (b, fx) = add(&mut c, 0, "B");
    assert_eq!(stage(&fx), Some(Some([a].into())), "the first to join presents");
    let (d, _) = add(&mut c, 0, "D");
    let fx_a = c.receives(a);
    let fx_b = c.receives(b);
    let Effect::View(_, va) = &fx_a[0] else { panic!() };
    let Effect::View(_, vb) = &fx_b[0] else { panic!() };
    assert!(va.everyone && va.layout.windows == 4, "{va:?}");
    assert!(!vb.everyone && vb.layout.windows == 1, "{vb:?}");
    let fx = c.set_presenter(d).unwrap();
    assert_eq!(stage(&fx), Some(Some([d].into())));
    assert!(fx.iter().any(|e| matches!(e, Effect::View(x, v) if *x == a && !v.everyone)));
    // Layouts and the podium belong to other modes.
    assert!(matches!(c.apply_layout(Scope::All, None, None, ""), Err(Refusal::Conflict(_))));
    assert!(matches!(c.set_podium(a, true), Err(Refusal::Conflict(_))));
    // The presenter leaving hands over to the first participant.
    let fx = c.leave(d, "");
    assert_eq!(stage(&fx), Some(Some([a].into())));
}

#[test]
fn scheduled_windows_show_their_users_while_here() {
    let all = Layout { windows: 2, slots: vec![Slot::Participant(42)], ..Layout::default() };
    let mut set = LayoutSet { all, ..LayoutSet::default() };
    set.participants.insert(43, Layout { kind: LayoutType::PictureInPicture, windows: 2, ..Layout::default() });
    let mut c = Conference::new(rules(Mode::AllOnScreen), Some(set), HashMap::new());
    assert!(!c.adaptive());
    let (a, _) = add(&mut c, 0, "guest");
    assert_eq!(c.layouts().all.slots, [Slot::Empty], "user 42 is not here");
    let bob = c.reserve().unwrap();
    c.join(0, bob, Joining { user: Some(42), ..who("bob") }, "");
    assert_eq!(c.layouts().all.slots, [Slot::Participant(bob)]);
    assert_eq!(c.shown(), [Some(bob), Some(a)]);
    // A draft is filled by the same rule without being applied.
    let draft = Layout { kind: LayoutType::OneLargeBelow, windows: 3, ..Layout::default() };
    c.active_speaker(Some(a));
    assert_eq!(c.preview(&draft), [Some(a), Some(bob), None]);
    assert_eq!(c.layouts().all.slots, [Slot::Participant(bob)]);
    let carol = c.reserve().unwrap();
    c.join(0, carol, Joining { user: Some(43), ..who("carol") }, "");
    let fx = c.receives(carol);
    assert!(matches!(&fx[0], Effect::View(_, v) if v.layout.kind == LayoutType::PictureInPicture));
    c.leave(bob, "");
    assert_eq!(c.layouts().all.slots, [Slot::Empty]);
    assert!(c.layouts().participants.contains_key(&carol));
    c.leave(carol, "");
    assert!(c.layouts().participants.is_empty());
    // Individual layouts alone leave the layout for everyone adaptive.
    let mut only = LayoutSet::default();
    only.participants.insert(43, Layout::default());
    assert!(Conference::new(rules(Mode::AllOnScreen), Some(only), HashMap::new()).adaptive());
}

#[test]
fn the_conference_is_full_at_the_mixers_limit() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    for i in 0..MAX_PARTICIPANTS {
        add(&mut c, 0, &format!("P{i}"));
    }
    assert!(matches!(c.reserve(), Err(Refusal::Conflict(m)) if m.to_string().contains("full")));
    assert_eq!(c.layouts().all.windows, 25);
    let fx = c.finish();
    assert_eq!(fx.len(), MAX_PARTICIPANTS);
    assert!(c.emptied());
}

#[test]
fn the_active_speaker_is_reported_only_while_here() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    let (a, _) = add(&mut c, 0, "A");
    let fx = c.active_speaker(Some(a));
    assert!(matches!(&fx[0], Effect::Notify(h) if h.kind == EventKind::ActiveSpeaker && h.participant == Some(a)));
    c.active_speaker(Some(77));
    assert_eq!(c.speaker(), None);
    c.active_speaker(Some(a));
    c.leave(a, "");
    assert_eq!(c.speaker(), None);
}

#[test]
fn a_video_lecture_is_presented_by_the_owner_or_a_moderator_unless_one_is_chosen() {
    let mut invitees = HashMap::new();
    invitees.insert(1, (Role::Owner, false));
    invitees.insert(2, (Role::Moderator, false));
    let mut c = Conference::new(rules(Mode::VideoLecture), None, invitees);
    let (early, _) = add(&mut c, 0, "Early bird");
    let m = c.reserve().unwrap();
    let fx = c.join(0, m, Joining { user: Some(2), ..who("Moderator") }, "");
    assert_eq!(stage(&fx), Some(Some([m].into())), "a moderator presents before whoever came first");
    let o = c.reserve().unwrap();
    let fx = c.join(0, o, Joining { user: Some(1), ..who("Owner") }, "");
    assert_eq!(stage(&fx), Some(Some([o].into())), "the owner before a moderator");
    let fx = c.set_presenter(early).unwrap();
    assert_eq!(stage(&fx), Some(Some([early].into())), "the manager's choice wins");
    let fx = c.leave(early, "");
    assert_eq!(stage(&fx), Some(Some([o].into())));
}

#[test]
fn operators_moderate_every_conference_and_keep_it() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    let op = c.reserve().unwrap();
    c.join(0, op, Joining { user: Some(7), operator: true, ..who("Olga") }, "");
    assert!(c.member(op).unwrap().moderator, "not invited, yet a moderator");
    let r = c.set_moderator(op, false);
    assert!(matches!(&r, Err(Refusal::Conflict(m)) if m.to_string().contains("operator")), "{r:?}");
    assert!(c.member(op).unwrap().moderator);
    // Anyone else's moderation is given and taken.
    let (p, _) = add(&mut c, 0, "Pat");
    c.set_moderator(p, true).unwrap();
    c.set_moderator(p, false).unwrap();
    assert!(!c.member(p).unwrap().moderator);
}

#[test]
fn participants_ask_for_the_podium_and_a_moderator_answers() {
    let mut c = Conference::new(rules(Mode::RoleBased), None, HashMap::new());
    let (a, _) = add(&mut c, 0, "Ann");
    let (b, _) = add(&mut c, 0, "Ben");
    let (d, _) = add(&mut c, 0, "Dan");
    let fx = c.ask_podium(a).unwrap();
    assert_eq!(recorded(&fx), [EventKind::PodiumRequest]);
    assert!(c.ask_podium(a).unwrap().is_empty(), "asking twice is one request");
    c.ask_podium(b).unwrap();
    c.ask_podium(d).unwrap();
    assert_eq!(c.podium_requests(), [a, b, d]);
    // Approved: on the podium, seen and heard.
    let fx = c.answer_podium(a, true).unwrap();
    assert_eq!(stage(&fx), Some(Some([a].into())));
    assert_eq!(recorded(&fx), [EventKind::Podium, EventKind::PodiumAnswer]);
    assert!(matches!(c.ask_podium(a), Err(Refusal::Conflict(_))), "already there");
    // Declined: told, and nothing else changes.
    let fx = c.answer_podium(b, false).unwrap();
    assert_eq!((stage(&fx), recorded(&fx)), (None, vec![EventKind::PodiumAnswer]));
    assert!(matches!(c.answer_podium(b, true), Err(Refusal::Conflict(_))), "no request left");
    // A moderator placing someone directly answers their request; leaving withdraws it.
    c.ask_podium(b).unwrap();
    c.set_podium(b, true).unwrap();
    c.leave(d, "");
    assert!(c.podium_requests().is_empty());
    // Full: the approval fails and the request stays.
    let (e, _) = add(&mut c, 0, "Eve");
    c.ask_podium(e).unwrap();
    assert!(matches!(c.answer_podium(e, true), Err(Refusal::Conflict(m)) if m.to_string().contains("full")));
    assert_eq!(c.podium_requests(), [e]);
    // A phone's keypad: `*1` asks.
    let (f, _) = add(&mut c, 0, "Phone");
    assert!(c.key(f, '*').unwrap().is_empty());
    assert_eq!(recorded(&c.key(f, '1').unwrap()), [EventKind::PodiumRequest]);
    assert!(c.podium_requests().contains(&f));
    // Other modes have no podium to ask for.
    let mut all = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    let (x, _) = add(&mut all, 0, "X");
    assert!(matches!(all.ask_podium(x), Err(Refusal::Conflict(_))));
}

#[test]
fn participants_choose_their_own_layout_unless_it_is_locked() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    let (a, _) = add(&mut c, 0, "A");
    add(&mut c, 0, "B");
    add(&mut c, 0, "C");
    c.receives(a);
    let fx = c.choose_layout(a, Some(LayoutType::OneLargeBelow)).unwrap();
    let mine = c.layouts().participants.get(&a).cloned().unwrap();
    assert_eq!((mine.kind, mine.windows, mine.locked), (LayoutType::OneLargeBelow, 3, false));
    assert!(
        fx.iter().any(|e| matches!(e, Effect::View(p, v) if *p == a && v.layout.kind == LayoutType::OneLargeBelow))
    );
    // Back to the conference's.
    c.choose_layout(a, None).unwrap();
    assert!(!c.layouts().participants.contains_key(&a));
    // "Do not allow users to change the layout": the operator's locked layout stays.
    let locked = Layout { windows: 4, locked: true, ..Layout::default() };
    c.apply_layout(Scope::All, Some(locked), None, "").unwrap();
    let r = c.choose_layout(a, Some(LayoutType::Grid));
    assert!(matches!(&r, Err(Refusal::Conflict(m)) if m.to_string().contains("layout.locked")), "{r:?}");
    assert!(!c.layouts().participants.contains_key(&a));
    // A video lecture has no layouts to choose.
    let mut v = Conference::new(rules(Mode::VideoLecture), None, HashMap::new());
    let (x, _) = add(&mut v, 0, "X");
    assert!(matches!(v.choose_layout(x, Some(LayoutType::Grid)), Err(Refusal::Conflict(_))));
}

#[test]
fn devices_attached_to_the_server_do_not_keep_a_room_open() {
    let mut c = Conference::new(rules(Mode::AllOnScreen), None, HashMap::new());
    let hall = c.reserve().unwrap();
    c.join(0, hall, Joining { kind: EndpointKind::Local, group: None, ..who("Hall A") }, "");
    // The room's own devices joining first is not someone coming.
    assert!(!c.emptied());
    let (alice, _) = add(&mut c, 0, "Alice");
    assert!(!c.emptied());
    c.leave(alice, "");
    // Only the hall's devices are left: the room is empty of people.
    assert!(c.emptied());
}
