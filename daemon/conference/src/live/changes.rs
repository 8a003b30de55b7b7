//! What operators change in a running conference: layouts and names in them, devices, the
//! podium, moderators and the presenter. Each request is checked against the conference's
//! state and mode before anything changes.

use super::{Conference, Effect, EventKind, Refusal, check_name, invalid, record};
use crate::kinds::Mode;
use crate::said;
use crate::said::Said;
use crate::scope::Scope;
use tessera_mixer::audio::MAX_GAIN;
use tessera_mixer::layout::{Layout, ParticipantId};

/// A change of a participant's devices; `None` leaves one as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Devices {
    pub camera: Option<bool>,
    pub microphone: Option<bool>,
    pub gain: Option<f32>,
}

impl Conference {
    fn name_of(&self, p: ParticipantId) -> Result<String, Refusal> {
        self.member(p).map(|m| m.name.clone()).ok_or(Refusal::NoParticipant(p))
    }

    /// Applies `layout` to `scope` (`None` discards a group or individual layout; for
    /// everyone it restores the default, which adapts again). `version` is the layout version
    /// the operator edited from: a stale one is refused rather than overwriting another's.
    pub fn apply_layout(
        &mut self,
        scope: Scope,
        layout: Option<Layout>,
        version: Option<u64>,
        by: &str,
    ) -> Result<Vec<Effect>, Refusal> {
        if self.rules.mode == Mode::VideoLecture {
            return Err(Refusal::Conflict(said!("err.layouts.are.not.available")));
        }
        if let Some(v) = version
            && v != self.layout_version
        {
            return Err(Refusal::Conflict(said!("err.layouts.changed", loaded = v, now = self.layout_version)));
        }
        if let Some(l) = &layout {
            l.validate().map_err(|e| invalid("layout", Said::Text(e.to_string())))?;
        }
        match (scope, layout) {
            (Scope::All, Some(l)) => {
                self.layouts.all = l;
                self.all = super::AllLayout::Applied;
            }
            (Scope::All, None) => {
                self.layouts.all = Layout::default();
                self.all = super::AllLayout::Adaptive;
            }
            (Scope::Group(g), l) => {
                self.operator_groups.insert(g);
                match l {
                    Some(l) => self.layouts.groups.insert(g, l),
                    None => self.layouts.groups.remove(&g),
                };
            }
            (Scope::Participant(p), l) => {
                self.name_of(p)?;
                self.operator_participants.insert(p);
                match l {
                    Some(l) => self.layouts.participants.insert(p, l),
                    None => self.layouts.participants.remove(&p),
                };
            }
        }
        self.layout_version += 1;
        self.refresh_layouts();
        let mut fx = self.stage_effects();
        fx.push(record(EventKind::Layout, None, "", format!("{scope} {by}").trim_end()));
        Ok(fx)
    }

    /// A participant chooses the layout they see (from their conference page): `kind` with as
    /// many windows as there are people on the stage, filled automatically; `None` goes back to
    /// the conference's. Refused when the layout they see is locked ("Do not allow users to
    /// change the layout"), and in video lectures.
    pub fn choose_layout(
        &mut self,
        participant: ParticipantId,
        kind: Option<tessera_mixer::layout::LayoutType>,
    ) -> Result<Vec<Effect>, Refusal> {
        let m = self.member(participant).ok_or(Refusal::NoParticipant(participant))?;
        if self.view_of(m).layout.locked {
            return Err(Refusal::Conflict(said!("err.layout.locked")));
        }
        let Some(kind) = kind else {
            return self.apply_layout(Scope::Participant(participant), None, None, "by themself");
        };
        let base = self.view_of(m).layout;
        let n = self.staged_count(false).max(1);
        // The fewest windows the kind takes that show everyone (a speaker layout needs two).
        let layout = (n..=usize::from(tessera_mixer::layout::MAX_WINDOWS))
            .filter_map(|w| u8::try_from(w).ok())
            .map(|windows| Layout {
                kind,
                windows,
                content_slot: false,
                slots: Vec::new(),
                name_position: base.name_position,
                display_names: base.display_names.clone(),
                locked: false,
                fit: base.fit,
            })
            .find(|l| l.validate().is_ok())
            .ok_or_else(|| invalid("layout", said!("err.layout.too.small")))?;
        self.apply_layout(Scope::Participant(participant), Some(layout), None, "by themself")
    }

    /// The name shown for `participant` in the layout of `scope` only; `None` restores their own.
    pub fn rename(
        &mut self,
        scope: Scope,
        participant: ParticipantId,
        name: Option<&str>,
    ) -> Result<Vec<Effect>, Refusal> {
        self.name_of(participant)?;
        let name = name.map(|n| check_name("name", n)).transpose()?;
        let all = self.layouts.all.clone();
        let layout = match scope {
            Scope::All => &mut self.layouts.all,
            Scope::Group(g) => {
                self.operator_groups.insert(g);
                self.layouts.groups.entry(g).or_insert(all)
            }
            Scope::Participant(p) => {
                self.name_of(p)?;
                self.operator_participants.insert(p);
                self.layouts.participants.entry(p).or_insert(all)
            }
        };
        match &name {
            Some(n) => layout.display_names.insert(participant, n.clone()),
            None => layout.display_names.remove(&participant),
        };
        self.layout_version += 1;
        let mut fx = self.stage_effects();
        fx.push(record(EventKind::Renamed, Some(participant), name.as_deref().unwrap_or(""), &scope.to_string()));
        Ok(fx)
    }

    /// Turns a participant's camera or microphone on or off, or sets the gain of its voice.
    pub fn devices(&mut self, participant: ParticipantId, d: Devices, by: &str) -> Result<Vec<Effect>, Refusal> {
        if let Some(g) = d.gain
            && !(g.is_finite() && (0.0..=MAX_GAIN).contains(&g))
        {
            return Err(invalid("gain", said!("err.gain.range", max = MAX_GAIN.to_string())));
        }
        let m = self.roster.iter_mut().find(|m| m.id == participant).ok_or(Refusal::NoParticipant(participant))?;
        if let Some(g) = m.guest {
            if d.camera == Some(true) && !g.camera {
                return Err(Refusal::Conflict(said!("err.guests.no.camera")));
            }
            if d.microphone == Some(true) && !g.microphone {
                return Err(Refusal::Conflict(said!("err.guests.no.microphone")));
            }
        }
        let mut changes = Vec::new();
        let mut fx = Vec::new();
        if let Some(c) = d.camera {
            m.camera = c;
            changes.push(format!("camera {}", if c { "on" } else { "off" }));
            fx.push(Effect::Camera(participant, c));
        }
        if let Some(on) = d.microphone {
            m.microphone = on;
            changes.push(format!("microphone {}", if on { "on" } else { "off" }));
            fx.push(Effect::Microphone(participant, on));
        }
        if let Some(g) = d.gain {
            m.gain = g;
            changes.push(format!("gain {g}"));
            fx.push(Effect::Gain(participant, g));
        }
        let detail = format!("{} {by}", changes.join(", "));
        fx.push(record(EventKind::Device, Some(participant), &m.name.clone(), detail.trim_end()));
        Ok(fx)
    }

    /// Role-based mode: puts a participant on the podium (while it has room) or takes them off.
    pub fn set_podium(&mut self, participant: ParticipantId, on: bool) -> Result<Vec<Effect>, Refusal> {
        if self.rules.mode != Mode::RoleBased {
            return Err(Refusal::Conflict(said!("err.podium.role.based.only")));
        }
        let name = self.name_of(participant)?;
        if on && !self.podium.contains(&participant) {
            if !self.podium_room() {
                return Err(Refusal::Conflict(said!("err.podium.full", max = self.rules.active_speakers.max(1))));
            }
            self.podium.push(participant);
            self.requests.retain(|x| *x != participant);
        } else if !on {
            self.podium.retain(|x| *x != participant);
        }
        self.refresh_layouts();
        let mut fx = self.stage_effects();
        fx.push(record(EventKind::Podium, Some(participant), &name, if on { "on" } else { "off" }));
        Ok(fx)
    }

    /// Role-based: `participant` asks for a place on the podium (from the conference page, or
    /// `*1` from a phone). Asking again while waiting changes nothing.
    pub fn ask_podium(&mut self, participant: ParticipantId) -> Result<Vec<Effect>, Refusal> {
        if self.rules.mode != Mode::RoleBased {
            return Err(Refusal::Conflict(said!("err.podium.role.based.only")));
        }
        let name = self.name_of(participant)?;
        if self.podium.contains(&participant) {
            return Err(Refusal::Conflict(said!("err.podium.already")));
        }
        if self.requests.contains(&participant) {
            return Ok(Vec::new());
        }
        self.requests.push(participant);
        Ok(vec![record(EventKind::PodiumRequest, Some(participant), &name, "asked")])
    }

    /// A key a participant's phone pressed (SIP INFO or RFC 4733, after admission): what the
    /// keypad makes of the sequence, carried out.
    pub fn key(&mut self, participant: ParticipantId, digit: char) -> Result<Vec<Effect>, Refusal> {
        self.name_of(participant)?;
        match self.keypads.entry(participant).or_default().press(digit) {
            Some(crate::keypad::Command::AskPodium) => self.ask_podium(participant),
            None => Ok(Vec::new()),
        }
    }

    /// A moderator approves (the participant goes on the podium, if it has room) or declines a
    /// request; the participant is told either way.
    pub fn answer_podium(&mut self, participant: ParticipantId, approve: bool) -> Result<Vec<Effect>, Refusal> {
        let name = self.name_of(participant)?;
        if !self.requests.contains(&participant) {
            return Err(Refusal::Conflict(said!("err.podium.not.asked", name = name)));
        }
        let mut fx = if approve { self.set_podium(participant, true)? } else { Vec::new() };
        self.requests.retain(|x| *x != participant);
        fx.push(record(
            EventKind::PodiumAnswer,
            Some(participant),
            &name,
            if approve { "approved" } else { "declined" },
        ));
        Ok(fx)
    }

    pub fn set_moderator(&mut self, participant: ParticipantId, on: bool) -> Result<Vec<Effect>, Refusal> {
        let m = self.roster.iter_mut().find(|m| m.id == participant).ok_or(Refusal::NoParticipant(participant))?;
        if m.operator && !on {
            return Err(Refusal::Conflict(said!("err.operator.always.moderator", name = m.name.as_str())));
        }
        m.moderator = on;
        let name = m.name.clone();
        Ok(vec![record(EventKind::Moderator, Some(participant), &name, if on { "assigned" } else { "revoked" })])
    }

    /// Video lecture: who presents (everyone else sees them; they see everyone).
    pub fn set_presenter(&mut self, participant: ParticipantId) -> Result<Vec<Effect>, Refusal> {
        if self.rules.mode != Mode::VideoLecture {
            return Err(Refusal::Conflict(said!("err.presenter.lecture.only")));
        }
        let name = self.name_of(participant)?;
        self.presenter = Some(participant);
        self.refresh_layouts();
        let mut fx = self.stage_effects();
        fx.push(record(EventKind::Presenter, Some(participant), &name, ""));
        Ok(fx)
    }

    /// A participant that must exist (for requests the runtime carries out itself).
    pub fn require(&self, participant: ParticipantId) -> Result<(), Refusal> {
        self.name_of(participant).map(|_| ())
    }
}
