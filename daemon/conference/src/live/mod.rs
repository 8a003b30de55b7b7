//! A running conference's state: the roster, the mode with its podium and presenter, the
//! layouts and their version, who is shown where, and each participant's devices. Every input
//! (a join, a leave, an operator's request, the active speaker the mixer heard) takes the time
//! and returns [`Effect`]s: what the media plane must do and what happened, for the connection
//! history and the event stream. The daemon's runtime applies them; nothing here does I/O.

use crate::kinds::{EndpointKind, EventKind, Mode, Role};
use crate::said;
use crate::said::Said;
use crate::windows;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tessera_mixer::layout::{EndpointGroup, Layout, LayoutSet, ParticipantId, Slot};

pub mod attachment;
mod changes;
pub use changes::Devices;
#[cfg(test)]
mod tests;

pub use tessera_mixer::MAX_PARTICIPANTS;

/// The conference's settings that its rules read.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub mode: Mode,
    /// Places on the podium (role-based mode).
    pub active_speakers: i64,
    pub cameras_off_on_join: bool,
    pub microphones_off_on_join: bool,
}

/// One participant, as the roster reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: ParticipantId,
    pub name: String,
    pub kind: EndpointKind,
    /// The layout group it sees; `None` for synthetic participants.
    pub group: Option<EndpointGroup>,
    pub camera: bool,
    pub microphone: bool,
    pub gain: f32,
    pub moderator: bool,
    pub on_podium: bool,
    pub joined_at_ms: i64,
    /// The user it signed in as.
    pub user: Option<i64>,
    /// A webinar guest's allowed devices.
    pub guest: Option<GuestDevices>,
    /// A user with the operator right: a moderator of every conference, which nobody revokes.
    pub operator: bool,
}

/// What an output shows: a layout (every window's participant resolved to who is here), of the
/// stage or of everyone.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub layout: Layout,
    /// Everyone, not only the stage: the presenter of a video lecture sees all participants.
    pub everyone: bool,
}

/// What happened, for the connection history and the event stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Happened {
    pub kind: EventKind,
    pub participant: Option<ParticipantId>,
    /// The user the participant signed in as (joins and leaves), for the analytics.
    pub user: Option<i64>,
    pub name: String,
    pub detail: String,
}

/// What the runtime must do after an input, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Camera(ParticipantId, bool),
    Microphone(ParticipantId, bool),
    Gain(ParticipantId, f32),
    /// The layout of the conference's main output (RTSP, multicast, recording).
    MainLayout(Layout),
    /// Who is seen and heard; `None`: everyone.
    Stage(Option<BTreeSet<ParticipantId>>),
    /// What a participant the server sends video to sees.
    View(ParticipantId, View),
    /// The shared screen shown in the content slot.
    Content(Option<ParticipantId>),
    /// The participant's media goes.
    Remove(ParticipantId),
    /// Written to the history and published.
    Record(Happened),
    /// Published only (the active speaker changes too often to store).
    Notify(Happened),
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoParticipant(ParticipantId),
    Invalid { field: &'static str, message: Said },
    Conflict(Said),
}

fn invalid(field: &'static str, message: Said) -> Refusal {
    Refusal::Invalid { field, message }
}

/// A participant's name as the roster and the layouts show it: 1 to 64 characters, no control
/// characters, trimmed.
pub fn check_name(field: &'static str, name: &str) -> Result<String, Refusal> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 64 {
        return Err(invalid(field, said!("err.1.64.characters")));
    }
    if n.chars().any(char::is_control) {
        return Err(invalid(field, said!("err.not.contain.control.characters")));
    }
    Ok(n.to_string())
}

/// Who joins.
#[derive(Debug, Clone, PartialEq)]
pub struct Joining {
    pub user: Option<i64>,
    pub name: String,
    pub kind: EndpointKind,
    pub group: Option<EndpointGroup>,
    /// A webinar guest: the devices the organiser lets guests use.
    pub guest: Option<GuestDevices>,
    /// The user has the operator right.
    pub operator: bool,
}

/// What the organiser of a webinar lets its guests use. A device not allowed starts off and
/// cannot be turned on, by the guest or anyone else, for as long as the guest is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestDevices {
    pub camera: bool,
    pub microphone: bool,
}

/// Where the layout for everyone comes from.
#[derive(Debug, Clone, PartialEq)]
enum AllLayout {
    /// Grows with the number of participants on screen ([`windows::adaptive`]).
    Adaptive,
    /// The schedule's, whose windows name users (shown as their participants while here).
    Scheduled(Layout),
    /// An operator applied it (in participant ids).
    Applied,
}

/// Whether a conference with these stored layouts starts with the adaptive grid for everyone:
/// when nobody chose a layout for all. (The form stores the set when it has individual layouts
/// even if nobody chose one for all; that one is then the default.)
pub fn adapts(scheduled: Option<&LayoutSet>) -> bool {
    scheduled.is_none_or(|s| s.all == Layout::default() && !s.participants.is_empty())
}

pub struct Conference {
    rules: Rules,
    roster: Vec<Member>,
    next_id: ParticipantId,
    /// The layouts in force, in participant ids: what operators edit and the state reports.
    layouts: LayoutSet,
    all: AllLayout,
    /// The schedule's group and individual layouts, in user ids.
    scheduled: LayoutSet,
    /// Group and individual layouts an operator applied or discarded: the schedule's no longer
    /// apply to them.
    operator_groups: BTreeSet<EndpointGroup>,
    operator_participants: BTreeSet<ParticipantId>,
    layout_version: u64,
    podium: Vec<ParticipantId>,
    /// Role-based: who asked for the podium, in order, awaiting a moderator's answer.
    requests: Vec<ParticipantId>,
    /// Each phone's keypad (DTMF after admission), however its digits arrive.
    keypads: HashMap<ParticipantId, crate::keypad::Keypad>,
    presenter: Option<ParticipantId>,
    speaker: Option<ParticipantId>,
    content: Option<ParticipantId>,
    /// Participants the server sends video to (they see a layout).
    receivers: BTreeSet<ParticipantId>,
    /// Invited users' scheduled roles: (role, on the podium from the start).
    invitees: HashMap<i64, (Role, bool)>,
    ever_joined: bool,
}

impl Conference {
    /// A conference starting: `scheduled` is the stored layout set (its windows and individual
    /// layouts name users), `None` when nobody chose one.
    pub fn new(rules: Rules, scheduled: Option<LayoutSet>, invitees: HashMap<i64, (Role, bool)>) -> Conference {
        let (all, scheduled) = match scheduled {
            // The form stores the set when it has individual layouts even if nobody chose one for
            // all: that one is then the default, and adapts.
            Some(s) if s.all != Layout::default() || s.participants.is_empty() => {
                (AllLayout::Scheduled(s.all.clone()), s)
            }
            Some(s) => (AllLayout::Adaptive, s),
            None => (AllLayout::Adaptive, LayoutSet::default()),
        };
        let mut c = Conference {
            rules,
            roster: Vec::new(),
            next_id: 1,
            layouts: LayoutSet::default(),
            all,
            scheduled,
            operator_groups: BTreeSet::new(),
            operator_participants: BTreeSet::new(),
            layout_version: 0,
            podium: Vec::new(),
            requests: Vec::new(),
            keypads: HashMap::new(),
            presenter: None,
            speaker: None,
            content: None,
            receivers: BTreeSet::new(),
            invitees,
            ever_joined: false,
        };
        c.refresh_layouts();
        c
    }

    /// What the media plane needs before anyone joins.
    pub fn start(&self) -> Vec<Effect> {
        vec![Effect::MainLayout(self.main_layout()), Effect::Stage(self.stage())]
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn roster(&self) -> &[Member] {
        &self.roster
    }

    pub fn member(&self, id: ParticipantId) -> Option<&Member> {
        self.roster.iter().find(|m| m.id == id)
    }

    pub fn layouts(&self) -> &LayoutSet {
        &self.layouts
    }

    /// Whether the layout for everyone still grows with the conference.
    pub fn adaptive(&self) -> bool {
        self.all == AllLayout::Adaptive
    }

    pub fn layout_version(&self) -> u64 {
        self.layout_version
    }

    /// Who asked for the podium and awaits an answer, in order.
    pub fn podium_requests(&self) -> &[ParticipantId] {
        &self.requests
    }

    pub fn podium(&self) -> &[ParticipantId] {
        &self.podium
    }

    pub fn presenter(&self) -> Option<ParticipantId> {
        self.presenter
    }

    pub fn speaker(&self) -> Option<ParticipantId> {
        self.speaker
    }

    /// A room ends when the last participant leaves (after someone came). Devices attached to
    /// the server are there for the people in it: they neither count as someone coming nor keep
    /// it open (a room held open for them is the runtime's to keep).
    pub fn emptied(&self) -> bool {
        self.ever_joined && self.roster.iter().all(|m| m.kind == EndpointKind::Local)
    }

    /// The participants of `user`.
    pub fn participants_of(&self, user: i64) -> Vec<ParticipantId> {
        self.roster.iter().filter(|m| m.user == Some(user)).map(|m| m.id).collect()
    }

    /// Who each window of the layout for everyone shows now.
    pub fn shown(&self) -> Vec<Option<ParticipantId>> {
        self.preview(&self.layouts.all)
    }

    /// Who each window of `layout` would show now (an operator's draft, before applying it):
    /// the participants on the stage, filled by [`windows::fill`].
    pub fn preview(&self, layout: &Layout) -> Vec<Option<ParticipantId>> {
        let stage = self.stage();
        let present: Vec<ParticipantId> =
            self.on_screen().filter(|id| stage.as_ref().is_none_or(|s| s.contains(id))).collect();
        windows::fill(layout, &present, self.speaker)
    }

    /// A new participant's id; refused when the conference is full.
    pub fn reserve(&mut self) -> Result<ParticipantId, Refusal> {
        if self.roster.len() >= MAX_PARTICIPANTS {
            return Err(Refusal::Conflict(said!("err.conference.full", max = MAX_PARTICIPANTS)));
        }
        let id = self.next_id;
        self.next_id += 1;
        Ok(id)
    }

    /// `id` (from [`Self::reserve`]) joins with the conference's devices-on-join settings, and
    /// the role and podium place the schedule gave its user.
    pub fn join(&mut self, now_ms: i64, id: ParticipantId, who: Joining, detail: &str) -> Vec<Effect> {
        let camera = !self.rules.cameras_off_on_join && who.guest.is_none_or(|g| g.camera);
        let microphone = !self.rules.microphones_off_on_join && who.guest.is_none_or(|g| g.microphone);
        let mut fx = vec![Effect::Camera(id, camera), Effect::Microphone(id, microphone)];
        let (moderator, speaker) = match who.user.and_then(|u| self.invitees.get(&u)) {
            Some(&(role, speaker)) => (role.moderates() || who.operator, speaker),
            None => (who.operator, false),
        };
        if speaker && self.rules.mode == Mode::RoleBased && self.podium_room() {
            self.podium.push(id);
        }
        let (name, kind) = (who.name.clone(), who.kind);
        self.roster.push(Member {
            id,
            name: who.name,
            kind: who.kind,
            group: who.group,
            camera,
            microphone,
            gain: 1.0,
            moderator,
            on_podium: false,
            joined_at_ms: now_ms,
            user: who.user,
            guest: who.guest,
            operator: who.operator,
        });
        self.ever_joined |= kind != EndpointKind::Local;
        self.refresh_layouts();
        fx.extend(self.stage_effects());
        fx.push(record_of(EventKind::Joined, id, who.user, &name, detail));
        fx
    }

    /// The server starts sending video to `id`: it sees its view from now on.
    pub fn receives(&mut self, id: ParticipantId) -> Vec<Effect> {
        let Some(m) = self.member(id) else { return Vec::new() };
        let view = self.view_of(m);
        self.receivers.insert(id);
        vec![Effect::View(id, view)]
    }

    /// `id` shares its screen: it fills the content slot, and a screen shared before goes
    /// (returned, for the runtime to end).
    pub fn share(&mut self, id: ParticipantId) -> (Option<ParticipantId>, Vec<Effect>) {
        let old = self.content.replace(id);
        (old.filter(|o| *o != id), vec![Effect::Content(Some(id))])
    }

    /// Takes a participant out of the roster, the stage and the layouts.
    pub fn leave(&mut self, id: ParticipantId, why: &str) -> Vec<Effect> {
        let Some(i) = self.roster.iter().position(|m| m.id == id) else { return Vec::new() };
        let m = self.roster.remove(i);
        self.receivers.remove(&id);
        self.podium.retain(|x| *x != id);
        self.requests.retain(|x| *x != id);
        self.keypads.remove(&id);
        if self.presenter == Some(id) {
            self.presenter = None;
        }
        if self.speaker == Some(id) {
            self.speaker = None;
        }
        let mut fx = Vec::new();
        if self.content == Some(id) {
            self.content = None;
            fx.push(Effect::Content(None));
        }
        self.layouts.participants.remove(&id);
        self.operator_participants.remove(&id);
        fx.push(Effect::Remove(id));
        self.refresh_layouts();
        fx.extend(self.stage_effects());
        fx.push(record_of(EventKind::Left, id, m.user, &m.name, why));
        fx
    }

    /// The conference ends: everyone leaves.
    pub fn finish(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.roster)
            .into_iter()
            .map(|m| record_of(EventKind::Left, m.id, m.user, &m.name, "the conference ended"))
            .collect()
    }

    /// The mixer heard a new active speaker. Speaker layouts reorder themselves each frame
    /// through [`windows::order`]; this only tells who it is.
    pub fn active_speaker(&mut self, p: Option<ParticipantId>) -> Vec<Effect> {
        self.speaker = p.filter(|p| self.member(*p).is_some());
        vec![Effect::Notify(Happened {
            kind: EventKind::ActiveSpeaker,
            participant: self.speaker,
            user: None,
            name: String::new(),
            detail: String::new(),
        })]
    }

    fn podium_room(&self) -> bool {
        self.podium.len() < self.rules.active_speakers.max(1) as usize
    }

    /// The presenter of a video lecture: the one chosen; else the owner, else the first
    /// moderator to join, else the first to join (somebody must be shown).
    fn presenter_id(&self) -> Option<ParticipantId> {
        let owner = |m: &&Member| m.user.and_then(|u| self.invitees.get(&u)).is_some_and(|(r, _)| *r == Role::Owner);
        self.presenter
            .or_else(|| self.roster.iter().find(owner).map(|m| m.id))
            .or_else(|| self.roster.iter().find(|m| m.moderator).map(|m| m.id))
            .or_else(|| self.roster.first().map(|m| m.id))
    }

    /// Who the mode lets be seen and heard; `None`: everyone.
    fn stage(&self) -> Option<BTreeSet<ParticipantId>> {
        match self.rules.mode {
            Mode::AllOnScreen => None,
            Mode::VideoLecture => Some(self.presenter_id().into_iter().collect()),
            Mode::RoleBased => Some(self.podium.iter().copied().collect()),
        }
    }

    /// Participants in windows (a shared screen is in the content slot instead), in join order.
    fn on_screen(&self) -> impl Iterator<Item = ParticipantId> + '_ {
        self.roster.iter().map(|m| m.id).filter(|id| Some(*id) != self.content)
    }

    /// How many the adaptive grid must show: those on the stage, or everyone.
    fn staged_count(&self, everyone: bool) -> usize {
        let stage = if everyone { None } else { self.stage() };
        self.on_screen().filter(|id| stage.as_ref().is_none_or(|s| s.contains(id))).count()
    }

    /// After a change of the roster, the stage or the layouts: the stage, the main layout and
    /// every receiver's view, and the podium flags.
    fn stage_effects(&mut self) -> Vec<Effect> {
        for m in &mut self.roster {
            m.on_podium = self.podium.contains(&m.id);
        }
        let mut fx = vec![Effect::Stage(self.stage()), Effect::MainLayout(self.main_layout())];
        fx.extend(self.views());
        fx
    }

    fn views(&self) -> Vec<Effect> {
        self.roster
            .iter()
            .filter(|m| self.receivers.contains(&m.id))
            .map(|m| Effect::View(m.id, self.view_of(m)))
            .collect()
    }

    fn main_layout(&self) -> Layout {
        self.layouts.all.clone()
    }

    /// What a participant sees: its individual, its group's or the layout for everyone; in a
    /// video lecture the presenter sees everyone, the others the presenter.
    fn view_of(&self, m: &Member) -> View {
        let everyone = self.rules.mode == Mode::VideoLecture && self.presenter_id() == Some(m.id);
        let group = m.group.unwrap_or(EndpointGroup::SipH323);
        let own = self.layouts.participants.contains_key(&m.id) || self.layouts.groups.contains_key(&group);
        let layout = if everyone && !own && self.adaptive() {
            // The presenter's grid holds everyone.
            let display_names = self.layouts.all.display_names.clone();
            Layout { display_names, ..windows::adaptive(self.staged_count(true)) }
        } else {
            self.layouts.resolve(m.id, group).clone()
        };
        View { layout, everyone }
    }

    /// Recomputes the layouts nobody fixed: the adaptive grid, and the schedule's layouts with
    /// their users' windows showing those users' participants.
    fn refresh_layouts(&mut self) {
        let users: BTreeMap<u64, ParticipantId> = self
            .roster
            .iter()
            .rev() // the first participant of a user wins
            .filter_map(|m| m.user.map(|u| (u as u64, m.id)))
            .collect();
        let map = |l: &Layout| {
            let mut out = l.clone();
            for s in &mut out.slots {
                if let Slot::Participant(u) = *s {
                    *s = users.get(&u).map_or(Slot::Empty, |p| Slot::Participant(*p));
                }
            }
            out
        };
        match &self.all {
            AllLayout::Adaptive => {
                let display_names = std::mem::take(&mut self.layouts.all.display_names);
                self.layouts.all = Layout { display_names, ..windows::adaptive(self.staged_count(false)) };
            }
            AllLayout::Scheduled(l) => {
                let display_names = std::mem::take(&mut self.layouts.all.display_names);
                self.layouts.all = Layout { display_names, ..map(l) };
            }
            AllLayout::Applied => {}
        }
        for (g, l) in &self.scheduled.groups {
            if !self.operator_groups.contains(g) {
                self.layouts.groups.insert(*g, map(l));
            }
        }
        for m in &self.roster {
            if let Some(l) = m.user.and_then(|u| self.scheduled.participants.get(&(u as u64)))
                && !self.operator_participants.contains(&m.id)
                && users.get(&(m.user.unwrap_or_default() as u64)) == Some(&m.id)
            {
                self.layouts.participants.insert(m.id, map(l));
            }
        }
    }
}

fn record(kind: EventKind, participant: Option<ParticipantId>, name: &str, detail: &str) -> Effect {
    Effect::Record(Happened { kind, participant, user: None, name: name.into(), detail: detail.into() })
}

/// A participant's join or leave, with the user it is.
fn record_of(kind: EventKind, id: ParticipantId, user: Option<i64>, name: &str, detail: &str) -> Effect {
    Effect::Record(Happened { kind, participant: Some(id), user, name: name.into(), detail: detail.into() })
}
