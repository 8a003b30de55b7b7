//! The scheduling form's input (the same JSON for the page, the API and templates) and its
//! validation: every problem is an `Error::Field` naming the field, and nothing is saved.

use crate::error::{Error, Result};
use crate::msg;
use crate::recurrence::{End, Freq, Recurrence, Schedule, local_to_utc, parse_day_code};
use crate::rights::Right;
use crate::store::{AddressInvitee, ConferenceKind, ConferenceSettings, Mode, Role, Store};
use crate::validate;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use tessera_mixer::layout::{Layout, LayoutSet, MAX_WINDOWS, Slot};

pub const MAX_PARTICIPANTS: usize = 500;
pub const MAX_ADDRESSES: usize = 100;
pub const MAX_DURATION_MINUTES: i64 = 7 * 24 * 60;
pub const GUEST_PERMISSIONS: [&str; 3] = ["chat", "microphone", "camera"];

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConferenceInput {
    pub name: String,
    /// `private` (default) or `public` (a webinar).
    pub access: String,
    /// `scheduled` (default) or `room`.
    pub kind: String,
    pub mode: String,
    pub active_speakers: i64,
    /// Local date and time in `time_zone`: `YYYY-MM-DDTHH:MM`.
    pub start: String,
    /// The end, as `start`; or give `duration_minutes`.
    pub end: Option<String>,
    pub duration_minutes: Option<i64>,
    pub time_zone: String,
    pub recurrence: Option<RecurrenceInput>,
    pub participants: Vec<ParticipantInput>,
    pub addresses: Vec<AddressInvitee>,
    /// The layout for everyone (the mixer's model); not for video lectures.
    #[schema(schema_with = crate::openapi::layout_schema)]
    pub layout: Option<Layout>,
    /// Individual layouts of invited users (or the owner), by login.
    pub participant_layouts: Vec<ParticipantLayout>,
    /// Empty: generated.
    pub id: String,
    /// Empty: none.
    pub pin: String,
    pub join_without_invitation: bool,
    /// Only encrypted media: SIP callers must use SRTP over SIP TLS, H.323 calls are refused.
    pub encrypted_media: bool,
    pub cameras_off_on_join: bool,
    pub microphones_off_on_join: bool,
    pub guest_permissions: Vec<String>,
    pub record: bool,
    pub email_invitations: bool,
    /// A UDP multicast output, where the administrator lets users set one.
    pub multicast: Option<MulticastInput>,
    pub location: String,
    pub description: String,
    pub save_as_template: bool,
    pub template_name: String,
    /// Webinars (public scheduled conferences): sign-up settings.
    pub registration: Option<crate::registration::input::RegistrationInput>,
}

impl Default for ConferenceInput {
    fn default() -> Self {
        ConferenceInput {
            name: String::new(),
            access: "private".into(),
            kind: "scheduled".into(),
            mode: Mode::AllOnScreen.as_str().into(),
            active_speakers: 1,
            start: String::new(),
            end: None,
            duration_minutes: None,
            time_zone: "UTC".into(),
            recurrence: None,
            participants: Vec::new(),
            addresses: Vec::new(),
            layout: None,
            participant_layouts: Vec::new(),
            id: String::new(),
            pin: String::new(),
            join_without_invitation: false,
            encrypted_media: false,
            cameras_off_on_join: false,
            microphones_off_on_join: false,
            guest_permissions: GUEST_PERMISSIONS.map(String::from).to_vec(),
            record: false,
            email_invitations: false,
            multicast: None,
            location: String::new(),
            description: String::new(),
            save_as_template: false,
            template_name: String::new(),
            registration: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceInput {
    pub freq: Freq,
    #[serde(default = "one")]
    pub interval: u32,
    /// Weekly: `mo`…`su`.
    #[serde(default)]
    pub days: Vec<String>,
    /// The last date (`YYYY-MM-DD`), or
    #[serde(default)]
    pub until: Option<String>,
    /// the number of occurrences.
    #[serde(default)]
    pub count: Option<u32>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    pub login: String,
    /// Filled in answers (the form uses it to assign layout windows); ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(default = "participant")]
    #[schema(schema_with = crate::openapi::role_schema)]
    pub role: Role,
    #[serde(default)]
    pub speaker: bool,
}

fn participant() -> Role {
    Role::Participant
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MulticastInput {
    /// An IPv4 multicast group (224.0.0.0/4).
    pub group: String,
    /// Even, 1024-65532: video on it, audio on port + 2.
    pub port: i64,
    #[serde(default = "ttl_one")]
    pub ttl: i64,
}

fn ttl_one() -> i64 {
    1
}

impl MulticastInput {
    fn check(&self) -> Result<(String, i64, i64)> {
        let g: std::net::Ipv4Addr = self.group.trim().parse().map_err(|_| {
            Error::field("multicast", msg!("err.not.ipv4.address", group = format!("{:?}", self.group)))
        })?;
        if !g.is_multicast() {
            return Err(Error::field("multicast", msg!("err.not.multicast.group.224", g = g.to_string())));
        }
        if !(1024..=65532).contains(&self.port) || self.port % 2 == 1 {
            return Err(Error::field("multicast", msg!("err.port.even.from.1024")));
        }
        if !(1..=255).contains(&self.ttl) {
            return Err(Error::field("multicast", msg!("err.ttl.from.1.255")));
        }
        Ok((g.to_string(), self.port, self.ttl))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantLayout {
    pub login: String,
    #[schema(schema_with = crate::openapi::layout_schema)]
    pub layout: Layout,
}

/// What validation hands to the store.
#[derive(Debug)]
pub struct Validated {
    pub id: Option<String>,
    pub settings: ConferenceSettings,
    pub users: Vec<(i64, Role, bool)>,
    pub addresses: Vec<AddressInvitee>,
}

/// What validation needs to know besides the input.
pub struct Context<'a> {
    pub store: &'a Store,
    pub owner_id: i64,
    pub rights: Vec<Right>,
    pub smtp_configured: bool,
    /// Users may set a multicast output (`scheduling.allow_multicast`).
    pub allow_multicast: bool,
    /// The multicast output the conference has now (an edit may send it back unchanged).
    pub current_multicast: Option<(String, i64, i64)>,
    /// The registration the conference has now (its sign-up form stays as it is).
    pub current_registration: Option<crate::store::Registration>,
}

/// Conference IDs appear in URLs and SIP addresses: 1-64 of a-z, 0-9, '-', '_', '.'.
pub fn conference_id(field: &str, id: &str) -> Result<String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !ok {
        return Err(Error::field(field, msg!("err.use.1.64.characters")));
    }
    Ok(id.to_string())
}

pub fn pin(field: &str, p: &str) -> Result<Option<String>> {
    let p = p.trim();
    if p.is_empty() {
        return Ok(None);
    }
    if !(4..=16).contains(&p.len()) || !p.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::field(field, msg!("err.4.16.digits")));
    }
    Ok(Some(p.to_string()))
}

/// A local date and time in the years calendars deal with (which also keeps date arithmetic
/// far from chrono's limits).
pub(crate) fn parse_local(field: &str, s: &str) -> Result<NaiveDateTime> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| Error::field(field, msg!("err.date.time.like.2026")))?;
    if !(2000..=2100).contains(&chrono::Datelike::year(&t)) {
        return Err(Error::field(field, msg!("err.years.2000.2100")));
    }
    Ok(t)
}

/// A SIP or H.323 address: `sip:`/`sips:`/`h323:` and user@host, or a bare user@host / host;
/// URI parameters (`;transport=tcp`) may follow the host.
pub fn address(field: &str, a: &str) -> Result<String> {
    let a = a.trim();
    let rest = ["sip:", "sips:", "h323:"].iter().find_map(|s| a.strip_prefix(s)).unwrap_or(a);
    let host = rest.rsplit('@').next().unwrap_or("").split(';').next().unwrap_or("");
    let ok = !rest.is_empty()
        && a.len() <= 200
        && !host.is_empty()
        && !a.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"',".contains(c));
    if !ok {
        return Err(Error::field(field, msg!("err.not.sip.h.323", a = format!("{:?}", a))));
    }
    Ok(if rest.len() == a.len() { format!("sip:{a}") } else { a.to_string() })
}

fn recurrence(r: &RecurrenceInput, first: chrono::NaiveDate) -> Result<Recurrence> {
    let mut weekdays = Vec::new();
    if r.freq == Freq::Weekly {
        for d in &r.days {
            let w = parse_day_code(d)
                .ok_or_else(|| Error::field("recurrence_days", msg!("err.not.mo.su", d = format!("{:?}", d))))?;
            if !weekdays.contains(&w) {
                weekdays.push(w);
            }
        }
        weekdays.sort_by_key(|w| w.num_days_from_monday());
    }
    let until = r.until.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let end = match (until, r.count) {
        (Some(_), Some(_)) => {
            return Err(Error::field("recurrence_end", msg!("err.give.end.date.number")));
        }
        (Some(u), None) => End::Until(
            chrono::NaiveDate::parse_from_str(u, "%Y-%m-%d")
                .ok()
                .filter(|d| (2000..=2120).contains(&chrono::Datelike::year(d)))
                .ok_or_else(|| Error::field("recurrence_until", msg!("err.date.like.2027.01")))?,
        ),
        (None, Some(n)) => End::Count(n),
        (None, None) => {
            return Err(Error::field("recurrence_end", msg!("err.recurring.conference.end.give")));
        }
    };
    let rec = Recurrence { freq: r.freq, interval: r.interval, weekdays, end };
    rec.check(first).map_err(|(f, m)| Error::field(f, crate::error::Msg::text(m)))?;
    Ok(rec)
}

/// Validates everything; `editing` is the conference being edited (its ID may stay).
pub async fn validate(input: &ConferenceInput, cx: &Context<'_>, editing: Option<&str>) -> Result<Validated> {
    let name = validate::text("name", &input.name, 200, true)?;
    let public = match input.access.as_str() {
        "private" => false,
        "public" => true,
        _ => return Err(Error::field("access", msg!("err.private.public"))),
    };
    let kind = match input.kind.as_str() {
        "scheduled" => ConferenceKind::Scheduled,
        "room" => ConferenceKind::Room,
        _ => return Err(Error::field("kind", msg!("err.scheduled.room"))),
    };
    let mode: Mode = input.mode.parse().map_err(|_| Error::field("mode", msg!("err.all.screen.video.lecture")))?;
    let role_based = mode == Mode::RoleBased;
    let active_speakers = if role_based {
        if !(1..=i64::from(MAX_WINDOWS)).contains(&input.active_speakers) {
            return Err(Error::field("active_speakers", msg!("err.from.1.to", max = MAX_WINDOWS)));
        }
        input.active_speakers
    } else {
        1
    };
    let time_zone = validate::time_zone("time_zone", &input.time_zone)?;
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let (starts_at, duration_minutes, recurrence) = match kind {
        ConferenceKind::Room => {
            if input.recurrence.is_some() {
                return Err(Error::field("recurrence", msg!("err.virtual.rooms.do.not")));
            }
            (None, None, None)
        }
        ConferenceKind::Scheduled => {
            if input.start.trim().is_empty() {
                return Err(Error::field("start", msg!("err.required.scheduled.meeting")));
            }
            let start = parse_local("start", &input.start)?;
            let minutes = match (&input.end, input.duration_minutes) {
                (Some(e), _) if !e.trim().is_empty() => {
                    let end = parse_local("end", e)?;
                    let m = (local_to_utc(tz, end) - local_to_utc(tz, start)) / 60;
                    if m <= 0 {
                        return Err(Error::field("end", msg!("err.after.start")));
                    }
                    if m > MAX_DURATION_MINUTES {
                        return Err(Error::field("end", msg!("err.meeting.lasts.at.most")));
                    }
                    m
                }
                (_, Some(m)) => {
                    if !(1..=MAX_DURATION_MINUTES).contains(&m) {
                        return Err(Error::field(
                            "duration_minutes",
                            msg!("err.from.1.to", max = MAX_DURATION_MINUTES),
                        ));
                    }
                    m
                }
                _ => return Err(Error::field("end", msg!("err.required.give.duration.minutes"))),
            };
            let rec = match &input.recurrence {
                Some(r) => {
                    if minutes > 24 * 60 {
                        return Err(Error::field("end", msg!("err.recurring.meeting.lasts.at")));
                    }
                    Some(recurrence(r, start.date())?)
                }
                None => None,
            };
            (Some(local_to_utc(tz, start)), Some(minutes), rec)
        }
    };
    // Participants: users of the server by login, each once; the owner is always the owner.
    if input.participants.len() > MAX_PARTICIPANTS {
        return Err(Error::field("participants", msg!("err.at.most.n", max = MAX_PARTICIPANTS)));
    }
    let mut users: Vec<(i64, Role, bool)> = Vec::new();
    for p in &input.participants {
        let login = p.login.trim();
        let u = match cx.store.user_by_login(login).await? {
            Some(u) if !u.disabled => u,
            _ => return Err(Error::field("participants", msg!("err.there.no.user", login = format!("{:?}", login)))),
        };
        if p.role == Role::Owner && u.id != cx.owner_id {
            return Err(Error::field("participants", msg!("err.owner.whoever.creates.conference")));
        }
        if users.iter().any(|(id, ..)| *id == u.id) {
            return Err(Error::field("participants", msg!("err.listed.twice", login = format!("{:?}", login))));
        }
        if p.speaker && !role_based {
            return Err(Error::field("participants", msg!("err.speakers.are.role.based")));
        }
        users.push((u.id, p.role, p.speaker));
    }
    if input.addresses.len() > MAX_ADDRESSES {
        return Err(Error::field("addresses", msg!("err.at.most.n", max = MAX_ADDRESSES)));
    }
    let mut addresses: Vec<AddressInvitee> = Vec::new();
    for a in &input.addresses {
        let addr = address("addresses", &a.address)?;
        if a.role == Role::Owner {
            return Err(Error::field("addresses", msg!("err.address.cannot.own.conference")));
        }
        if addresses.iter().any(|x| x.address == addr) {
            return Err(Error::field("addresses", msg!("err.listed.twice.2", addr = format!("{:?}", addr))));
        }
        addresses.push(AddressInvitee { address: addr, role: a.role, speaker: a.speaker && role_based });
    }
    if mode == Mode::VideoLecture && (input.layout.is_some() || !input.participant_layouts.is_empty()) {
        return Err(Error::field("layout", msg!("err.layouts.are.not.available")));
    }
    // Windows may be kept for invited users and the owner (by user id).
    let invited = |p: u64| users.iter().any(|(u, ..)| *u as u64 == p) || p as i64 == cx.owner_id;
    let check_layout = |field: &str, l: &Layout| -> Result<()> {
        l.validate().map_err(|e| Error::field(field, crate::error::Msg::text(e.to_string())))?;
        if role_based && active_speakers > i64::from(l.windows) {
            return Err(Error::field("active_speakers", msg!("err.more.active.speakers.than", windows = l.windows)));
        }
        match l.slots.iter().find(|s| matches!(s, Slot::Participant(p) if !invited(*p))) {
            Some(_) => Err(Error::field(field, msg!("err.window.kept.someone.who"))),
            None => Ok(()),
        }
    };
    let mut set = LayoutSet::default();
    if let Some(l) = &input.layout {
        check_layout("layout", l)?;
        set.all = l.clone();
    }
    if input.participant_layouts.len() > MAX_PARTICIPANTS {
        return Err(Error::field("participant_layouts", msg!("err.at.most.n", max = MAX_PARTICIPANTS)));
    }
    for pl in &input.participant_layouts {
        let login = pl.login.trim();
        let u = cx.store.user_by_login(login).await?.filter(|u| invited(u.id as u64));
        let Some(u) = u else {
            return Err(Error::field("participant_layouts", msg!("err.not.invited", login = format!("{:?}", login))));
        };
        check_layout("participant_layouts", &pl.layout)?;
        if set.participants.insert(u.id as u64, pl.layout.clone()).is_some() {
            return Err(Error::field(
                "participant_layouts",
                msg!("err.has.two.layouts", login = format!("{:?}", login)),
            ));
        }
    }
    let layouts = if input.layout.is_none() && set.participants.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&set).map_err(|e| Error::Internal(e.into()))?)
    };
    let id = match input.id.trim() {
        "" => None,
        id => {
            let id = conference_id("id", id)?;
            if editing != Some(id.as_str()) && cx.store.conference_exists(&id).await? {
                return Err(Error::field("id", msg!("err.taken.by.another.conference")));
            }
            Some(id)
        }
    };
    let pin = pin("pin", &input.pin)?;
    if public && input.join_without_invitation {
        return Err(Error::field("join_without_invitation", msg!("err.private.conferences.webinar.admits")));
    }
    let mut perms = Vec::new();
    for p in &input.guest_permissions {
        if !GUEST_PERMISSIONS.contains(&p.as_str()) {
            return Err(Error::field("guest_permissions", msg!("err.may.contain.chat.microphone")));
        }
        if !perms.contains(&p.as_str()) {
            perms.push(p.as_str());
        }
    }
    // Server-side recording is the organiser's choice: the "Conference recording" right is
    // about recording in one's own client (the guide), not this.
    if input.email_invitations && !cx.smtp_configured {
        return Err(Error::field("email_invitations", msg!("err.administrator.has.not.configured")));
    }
    if input.save_as_template {
        validate::text("template_name", &input.template_name, 200, false)?;
    }
    let multicast = match &input.multicast {
        None => None,
        Some(m) => {
            let m = m.check()?;
            if !cx.allow_multicast && cx.current_multicast.as_ref() != Some(&m) {
                return Err(Error::field("multicast", msg!("err.administrator.does.not.let")));
            }
            Some(m)
        }
    };
    let schedule =
        Schedule::stored(starts_at, duration_minutes, &time_zone, recurrence.as_ref().map(|r| r.to_rrule()).as_deref());
    let registration = crate::registration::input::validate(
        input.registration.as_ref(),
        &crate::registration::input::Scope {
            public,
            scheduled: kind == ConferenceKind::Scheduled,
            tz,
            schedule: schedule.as_ref(),
            stored: cx.current_registration.as_ref(),
        },
    )?;
    let settings = ConferenceSettings {
        registration,
        name,
        kind,
        public,
        mode,
        active_speakers,
        starts_at,
        duration_minutes,
        time_zone,
        recurrence: recurrence.map(|r| r.to_rrule()),
        pin,
        join_without_invitation: input.join_without_invitation && !public,
        encrypted_media: input.encrypted_media,
        cameras_off_on_join: input.cameras_off_on_join,
        microphones_off_on_join: input.microphones_off_on_join,
        guest_permissions: perms.join(","),
        record: input.record,
        email_invitations: input.email_invitations,
        description: validate::text("description", &input.description.replace(['\r', '\n', '\t'], " "), 4000, false)
            .map(|_| input.description.trim().to_string())?,
        location: validate::text("location", &input.location, 200, false)?,
        layouts,
        multicast,
    };
    Ok(Validated { id, settings, users, addresses })
}

/// The form's input for an existing conference (to edit it, or to save it as a template).
pub fn input_of(c: &crate::store::EditableConference) -> ConferenceInput {
    let s = &c.settings;
    let tz: chrono_tz::Tz = s.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let sched: Option<Schedule> = s.schedule();
    let set = s.layouts.as_deref().and_then(|l| serde_json::from_str::<LayoutSet>(l).ok());
    let fmt = |t: i64| crate::recurrence::utc_to_local(tz, t).format("%Y-%m-%dT%H:%M").to_string();
    let recurrence = s.recurrence.as_deref().and_then(|r| Recurrence::parse(r).ok()).map(|r| RecurrenceInput {
        freq: r.freq,
        interval: r.interval,
        days: r.weekdays.iter().map(|d| crate::recurrence::day_code(*d).to_lowercase()).collect(),
        until: match r.end {
            End::Until(d) => Some(d.format("%Y-%m-%d").to_string()),
            End::Count(_) => None,
        },
        count: match r.end {
            End::Count(n) => Some(n),
            End::Until(_) => None,
        },
    });
    ConferenceInput {
        name: s.name.clone(),
        access: if s.public { "public" } else { "private" }.into(),
        kind: s.kind.as_str().into(),
        mode: s.mode.as_str().into(),
        active_speakers: s.active_speakers,
        start: s.starts_at.map(fmt).unwrap_or_default(),
        end: sched.as_ref().map(|x| fmt(x.starts_at + x.duration_secs())),
        duration_minutes: None,
        time_zone: s.time_zone.clone(),
        recurrence,
        participants: c
            .participants
            .iter()
            .filter(|p| p.role != Role::Owner)
            .map(|p| ParticipantInput {
                login: p.login.clone(),
                user_id: Some(p.user_id),
                role: p.role,
                speaker: p.speaker,
            })
            .collect(),
        addresses: c.addresses.clone(),
        layout: set.as_ref().filter(|l| l.all != Layout::default() || l.participants.is_empty()).map(|l| l.all.clone()),
        participant_layouts: set
            .as_ref()
            .map(|l| {
                l.participants
                    .iter()
                    .filter_map(|(uid, layout)| {
                        let login = c.participants.iter().find(|p| p.user_id as u64 == *uid)?.login.clone();
                        Some(ParticipantLayout { login, layout: layout.clone() })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        id: c.id.clone(),
        pin: s.pin.clone().unwrap_or_default(),
        join_without_invitation: s.join_without_invitation,
        encrypted_media: s.encrypted_media,
        cameras_off_on_join: s.cameras_off_on_join,
        microphones_off_on_join: s.microphones_off_on_join,
        guest_permissions: s.guest_permissions.split(',').filter(|p| !p.is_empty()).map(String::from).collect(),
        record: s.record,
        email_invitations: s.email_invitations,
        multicast: s.multicast.clone().map(|(group, port, ttl)| MulticastInput { group, port, ttl }),
        location: s.location.clone(),
        description: s.description.clone(),
        save_as_template: false,
        template_name: String::new(),
        registration: s.registration.as_ref().map(|r| crate::registration::input::input_of(r, tz)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_and_ids() {
        assert_eq!(address("a", "room@10.0.0.5").unwrap(), "sip:room@10.0.0.5");
        assert_eq!(address("a", "h323:10.0.0.7").unwrap(), "h323:10.0.0.7");
        assert!(address("a", "sip:").is_err());
        assert!(address("a", "sip:a\"b@c").is_err());
        assert_eq!(address("a", "desk@10.0.0.5:5070;transport=tcp").unwrap(), "sip:desk@10.0.0.5:5070;transport=tcp");
        assert!(address("a", "sip:desk@;transport=tcp").is_err());
        assert!(conference_id("id", "team-42.a").is_ok());
        assert!(conference_id("id", ".x").is_err());
        assert_eq!(pin("pin", " 0042 ").unwrap().as_deref(), Some("0042"));
    }

    proptest! {
        /// Whatever a client sends as a recurrence and a start, checking it ends (quickly) with
        /// a rule or an error naming a recurrence field, and never panics.
        #[test]
        fn recurrence_input_never_panics(
            f in 0u8..3, interval in any::<u32>(), days in proptest::collection::vec("\\PC{0,3}", 0..9),
            until in proptest::option::of("\\PC{0,12}|[0-9]{4,6}-[0-9]{2}-[0-9]{2}"), count in proptest::option::of(any::<u32>()),
            start in "\\PC{0,20}|[0-9]{4,6}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}|20[0-9]{2}-(0[1-9]|1[0-2])-[0-2][0-9]T1[0-9]:[0-5][0-9]",
        ) {
            let r = RecurrenceInput { freq: [Freq::Daily, Freq::Weekly, Freq::Monthly][f as usize], interval, days, until, count };
            if let Ok(s) = parse_local("start", &start) {
                match recurrence(&r, s.date()) {
                    Ok(rec) => {
                        let n = rec.dates_between(s.date(), s.date(), s.date() + chrono::Duration::days(4000)).len();
                        prop_assert!(n <= crate::recurrence::MAX_COUNT as usize || matches!(rec.end, End::Until(_)));
                    }
                    Err(Error::Field { field, .. }) => prop_assert!(field.starts_with("recurrence")),
                    Err(e) => prop_assert!(false, "unexpected error {e}"),
                }
            }
            let _ = address("a", &start);
            let _ = conference_id("id", &start);
            let _ = pin("pin", &start);
        }
    }
}
