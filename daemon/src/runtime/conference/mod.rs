//! One running conference: its task owns the roster, the mode, the podium and the applied
//! layouts, turns control requests into engine commands, writes every event to the connection
//! history and broadcasts it, and runs the outputs (RTSP mount, multicast, recording).

use super::StartedBy;
use crate::media::encoder::{EncodedStreams, EncoderSettings};
use crate::media::engine::{self, EngineCmd, EngineEvent, EngineSettings, VideoTo, View};
use crate::media::multicast::{MulticastConfig, MulticastSender};
use crate::media::recorder;
use crate::media::rtp_input::{AudioCodec, RtpInput, RtpSpec, SendFrom, VideoCodec};
use crate::media::rtsp::RtspServer;
use crate::media::slot::MediaSlot;
use crate::media::synthetic::Synthetic;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tessera_mixer::audio::MAX_GAIN;
use tessera_mixer::frame::Yuv;
use tessera_mixer::layout::{EndpointGroup, Layout, LayoutSet, ParticipantId, Slot};
use tessera_web::control::{ControlError, Event, LiveParticipant, LiveState, Reply, Request, RtpPorts, Scope};
use tessera_web::store::{ConferenceKind, MediaSettings, Role, Store};
use tokio::sync::{mpsc, oneshot};

mod outputs;
mod requests;

/// What every conference's media uses; from `[media]` in the configuration.
#[derive(Clone)]
pub struct MediaConfig {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub video_kbps: u32,
    pub recordings_dir: PathBuf,
    /// The host name put into RTSP URLs.
    pub public_host: String,
    pub rtsp: Option<Arc<RtspServer>>,
    pub rtp_bind: std::net::IpAddr,
    /// A SIP participant from whom no media arrives for this long is ended (zero: never); one
    /// on hold (nothing to send either way) gets [`HELD_TIMEOUT`].
    pub rtp_timeout: Duration,
}

/// How long a call on hold may go without media.
pub const HELD_TIMEOUT: Duration = Duration::from_secs(3600);

/// A participant that is ended when its media stops: its slot, when it joined (on the slot's
/// clock), and whether it is on hold.
pub(super) struct Watched {
    pub(super) slot: Arc<MediaSlot>,
    pub(super) since_ms: u64,
    pub(super) held: bool,
}

pub enum ConfMsg {
    Control(Request, Option<i64>, oneshot::Sender<Reply>),
    End(String, oneshot::Sender<()>),
}

/// A conference task's last word to the dispatcher: its id, and the messages that reached it
/// while it was ending, which the dispatcher hands on (a join starts the conference anew)
/// instead of dropping them.
pub type Done = mpsc::UnboundedSender<(String, Vec<ConfMsg>)>;

fn leftovers(rx: &mut mpsc::Receiver<ConfMsg>) -> Vec<ConfMsg> {
    rx.close();
    let mut rest = Vec::new();
    while let Ok(m) = rx.try_recv() {
        rest.push(m);
    }
    rest
}

use tessera_conference::Mode;

struct Participant {
    info: LiveParticipant,
}

/// Who joins, for [`Conf::join`].
struct Joining {
    id: ParticipantId,
    /// The signed-in user, if the endpoint proved one.
    user: Option<i64>,
    name: String,
    kind: &'static str,
    group: Option<EndpointGroup>,
    rtp_ports: Option<RtpPorts>,
}

use tessera_mixer::MAX_PARTICIPANTS;

struct Recording {
    id: i64,
    file_name: String,
    started_ms: i64,
}

struct Conf {
    settings: MediaSettings,
    mode: Mode,
    store: Store,
    media: Arc<MediaConfig>,
    events: tessera_web::control::EventBus,
    engine: std::sync::mpsc::Sender<EngineCmd>,
    engine_thread: Option<std::thread::JoinHandle<()>>,
    streams: EncodedStreams,
    roster: Vec<Participant>,
    next_id: ParticipantId,
    layouts: LayoutSet,
    /// Bumped by every applied layout and rename (optimistic concurrency for operators).
    layout_version: u64,
    podium: Vec<ParticipantId>,
    presenter: Option<ParticipantId>,
    speaker: Option<ParticipantId>,
    started_ms: i64,
    ends_at: Option<i64>,
    recording: Option<Recording>,
    multicast: Option<(MulticastSender, String)>,
    ever_joined: bool,
    /// Participants Tessera sends media to (they see a layout).
    receivers: BTreeSet<ParticipantId>,
    /// What each RTP participant negotiated (codecs, payload types), for later `SendTo`s.
    rtp_specs: HashMap<ParticipantId, RtpSpec>,
    /// The sockets each RTP participant's media arrives on (its media is sent from them).
    rtp_sockets: HashMap<ParticipantId, SendFrom>,
    /// Participants ended when their media stops (SIP calls).
    watched: HashMap<ParticipantId, Watched>,
    /// The shared screen shown in the content slot.
    content: Option<ParticipantId>,
    /// For sources' pipelines to report bad input like the engine does.
    engine_events: mpsc::UnboundedSender<EngineEvent>,
    /// Invited users' scheduled roles: (role, on the podium from the start).
    invitees: HashMap<i64, (Role, bool)>,
    /// The user each signed-in participant is.
    users: HashMap<ParticipantId, i64>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn invalid(field: &str, message: impl Into<String>) -> ControlError {
    ControlError::Invalid { field: field.into(), message: message.into() }
}

fn check_name(field: &str, name: &str) -> Result<String, ControlError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 64 {
        return Err(invalid(field, "must be 1 to 64 characters"));
    }
    if n.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(n.to_string())
}

/// Starts the conference's engine and outputs, and its task. Returns the first status.
pub async fn start(
    settings: MediaSettings,
    by: StartedBy,
    store: Store,
    media: Arc<MediaConfig>,
    events: tessera_web::control::EventBus,
    rx: mpsc::Receiver<ConfMsg>,
    done: Done,
) -> anyhow::Result<LiveState> {
    let (etx, erx) = std::sync::mpsc::channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let es = EngineSettings {
        encoder: EncoderSettings {
            width: media.width,
            height: media.height,
            fps: media.fps,
            video_kbps: media.video_kbps,
            audio_bps: 64_000,
        },
        background: Yuv::from_rgb(24, 28, 36),
    };
    let id = settings.id.clone();
    let (thread, streams) = tokio::task::block_in_place(|| engine::spawn(id.clone(), es, erx, ev_tx.clone()))?;
    let layouts: LayoutSet = match settings.layouts.as_deref().map(serde_json::from_str::<LayoutSet>) {
        Some(Ok(l)) if l.validate().is_ok() => l,
        Some(_) => {
            tracing::warn!(conference = %id, "stored layouts are unreadable; using the default");
            LayoutSet::default()
        }
        None => LayoutSet::default(),
    };
    let invitees = match store.invitee_roles(&id).await {
        Ok(rows) => rows.into_iter().map(|(u, role, speaker)| (u, (role, speaker))).collect(),
        Err(e) => {
            tracing::warn!(conference = %id, error = %e, "reading the invited users' roles failed");
            HashMap::new()
        }
    };
    // A scheduled conference ends at its scheduled end; one started by hand after that end runs
    // until someone ends it.
    let ends_at = match settings.kind {
        ConferenceKind::Scheduled => settings.occurrence_end(chrono::Utc::now().timestamp()),
        ConferenceKind::Room => None,
    };
    let mut c = Conf {
        mode: settings.mode.parse().unwrap_or_else(|e| {
            tracing::warn!(conference = %settings.id, error = %e, "unreadable mode; showing everyone");
            Mode::AllOnScreen
        }),
        settings,
        store,
        media,
        events,
        engine: etx,
        engine_thread: Some(thread),
        streams,
        roster: Vec::new(),
        next_id: 1,
        layouts,
        layout_version: 0,
        podium: Vec::new(),
        presenter: None,
        speaker: None,
        started_ms: now_ms(),
        ends_at,
        recording: None,
        multicast: None,
        ever_joined: false,
        receivers: BTreeSet::new(),
        rtp_specs: HashMap::new(),
        content: None,
        rtp_sockets: HashMap::new(),
        watched: HashMap::new(),
        engine_events: ev_tx,
        invitees,
        users: HashMap::new(),
    };
    c.send(EngineCmd::Layout(c.engine_layout(&c.layouts.all)));
    c.apply_stage();
    if let Some(rtsp) = &c.media.rtsp {
        rtsp.mount(&id, c.streams.clone());
    }
    c.start_multicast();
    c.event("started", None, "", &format!("{by:?}").to_lowercase());
    if c.settings.record {
        c.start_recording().await;
    }
    tracing::info!(conference = %id, mode = %c.settings.mode, started_by = ?by, "conference started");
    let state = c.state();
    tokio::spawn(c.run(rx, ev_rx, done));
    Ok(state)
}

impl Conf {
    fn send(&self, cmd: EngineCmd) {
        if self.engine.send(cmd).is_err() {
            tracing::error!(conference = %self.settings.id, "media engine is gone");
        }
    }

    async fn run(
        mut self,
        mut rx: mpsc::Receiver<ConfMsg>,
        mut engine_events: mpsc::UnboundedReceiver<EngineEvent>,
        done: Done,
    ) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let why = loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(ConfMsg::Control(Request::End, actor, reply)) => {
                        // Finish first, so that whoever asked sees the recording indexed.
                        let state = LiveState { running: false, ..self.state() };
                        self.finish(&format!("ended by user {}", actor.unwrap_or(0))).await;
                        let _ = reply.send(Ok(LiveState { recording: None, ..state }));
                        let _ = done.send((self.settings.id.clone(), leftovers(&mut rx)));
                        return;
                    }
                    Some(ConfMsg::Control(req, actor, reply)) => {
                        let r = self.control(req, actor).await;
                        let _ = reply.send(r);
                        if self.settings.kind == ConferenceKind::Room && self.ever_joined && self.roster.is_empty() {
                            break "the last participant left the room".to_string();
                        }
                    }
                    Some(ConfMsg::End(why, reply)) => {
                        self.finish(&why).await;
                        let _ = reply.send(());
                        let _ = done.send((self.settings.id.clone(), leftovers(&mut rx)));
                        return;
                    }
                    None => break "the runtime stopped".to_string(),
                },
                Some(ev) = engine_events.recv() => self.engine_event(ev).await,
                _ = tick.tick() => {
                    if self.ends_at.is_some_and(|e| chrono::Utc::now().timestamp() >= e) {
                        break "the scheduled end".to_string();
                    }
                    self.end_silent().await;
                    if self.settings.kind == ConferenceKind::Room && self.ever_joined && self.roster.is_empty() {
                        break "the last participant left the room".to_string();
                    }
                }
            }
        };
        self.finish(&why).await;
        let _ = done.send((self.settings.id.clone(), leftovers(&mut rx)));
    }

    async fn finish(&mut self, why: &str) {
        self.stop_recording().await;
        self.multicast = None;
        if let Some(rtsp) = &self.media.rtsp {
            rtsp.unmount(&self.settings.id);
        }
        for p in std::mem::take(&mut self.roster) {
            self.event("left", Some(p.info.id), &p.info.name, "the conference ended");
        }
        // Closing the channel stops the engine thread; join it off the async threads.
        let (dummy, _) = std::sync::mpsc::channel();
        drop(std::mem::replace(&mut self.engine, dummy));
        if let Some(t) = self.engine_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        self.event("ended", None, "", why);
        tracing::info!(conference = %self.settings.id, reason = why, "conference ended");
    }

    /// Ends the watched participants whose media stopped (a phone that vanished without a BYE,
    /// or a call that never sent any): the SIP side hears "left" and hangs up.
    async fn end_silent(&mut self) {
        let limit = self.media.rtp_timeout;
        if limit.is_zero() {
            return;
        }
        let silent: Vec<(ParticipantId, Duration)> = self
            .watched
            .iter()
            .filter_map(|(id, w)| {
                let quiet = w.slot.quiet_for(w.since_ms);
                (quiet > if w.held { HELD_TIMEOUT.max(limit) } else { limit }).then_some((*id, quiet))
            })
            .collect();
        for (id, quiet) in silent {
            tracing::info!(conference = %self.settings.id, participant = id, seconds = quiet.as_secs(), "no media from a participant: ending it");
            metrics::counter!("tessera_media_timeouts_total").increment(1);
            self.remove(id, &format!("no media for {} s", quiet.as_secs())).await;
        }
    }

    fn event(&self, kind: &str, participant: Option<ParticipantId>, name: &str, detail: &str) {
        let e = Event {
            conference: self.settings.id.clone(),
            at_ms: now_ms(),
            kind: kind.into(),
            participant,
            name: name.into(),
            detail: detail.into(),
        };
        self.events.publish(&self.store, e);
    }

    async fn engine_event(&mut self, ev: EngineEvent) {
        match ev {
            EngineEvent::ActiveSpeaker(p) => {
                self.speaker = p;
                self.events.send(Event {
                    conference: self.settings.id.clone(),
                    at_ms: now_ms(),
                    kind: "active_speaker".into(),
                    participant: p,
                    name: String::new(),
                    detail: String::new(),
                });
            }
            EngineEvent::RecordingFailed(msg) => {
                if let Some(r) = self.recording.take() {
                    let path = self.media.recordings_dir.join(&r.file_name);
                    let size = std::fs::metadata(&path).map(|m| m.len() as i64).unwrap_or(0);
                    let now = now_ms();
                    let _ = self
                        .store
                        .recording_finished(r.id, "failed", now / 1000, now - r.started_ms, size, Some(&msg))
                        .await;
                }
                self.event("recording_failed", None, "", &msg);
            }
            EngineEvent::BadInput(p, msg) => {
                let name = self.participant(p).map(|x| x.info.name.clone()).unwrap_or_default();
                self.event("bad_input", Some(p), &name, &msg);
            }
        }
    }

    fn participant(&self, id: ParticipantId) -> Option<&Participant> {
        self.roster.iter().find(|p| p.info.id == id)
    }

    fn participant_mut(&mut self, id: ParticipantId) -> Result<&mut Participant, ControlError> {
        self.roster.iter_mut().find(|p| p.info.id == id).ok_or(ControlError::NoParticipant(id))
    }

    /// Who is seen and heard on the conference's outputs, by mode.
    fn apply_stage(&mut self) {
        let stage = match self.mode {
            Mode::AllOnScreen => None,
            Mode::VideoLecture => Some(self.presenter_id().into_iter().collect::<BTreeSet<_>>()),
            Mode::RoleBased => Some(self.podium.iter().copied().collect()),
        };
        for p in &mut self.roster {
            p.info.on_podium = self.podium.contains(&p.info.id);
        }
        self.send(EngineCmd::Stage(stage));
        self.push_views();
    }

    fn state(&self) -> LiveState {
        LiveState {
            conference: self.settings.id.clone(),
            running: true,
            mode: self.settings.mode.clone(),
            active_speakers: self.settings.active_speakers,
            started_at_ms: Some(self.started_ms),
            participants: self.roster.iter().map(|p| p.info.clone()).collect(),
            layouts: self.layouts.clone(),
            layout_version: self.layout_version,
            podium: self.podium.clone(),
            presenter: self.presenter,
            active_speaker: self.speaker,
            recording: self.recording.as_ref().map(|r| r.file_name.clone()),
            rtsp_url: self.media.rtsp.as_ref().map(|r| {
                format!("rtsp://{}:{}{}", self.media.public_host, r.port, RtspServer::path(&self.settings.id))
            }),
            multicast: self.multicast.as_ref().map(|m| m.1.clone()),
        }
    }

    /// What each participant Tessera sends video to sees: its individual, group or the common
    /// layout; in a video lecture the presenter sees everyone, the others the presenter.
    fn view_of(&self, id: ParticipantId, group: Option<EndpointGroup>) -> View {
        // An individual layout scheduled for the participant's user counts as theirs.
        let scheduled = self.users.get(&id).and_then(|u| self.layouts.participants.get(&(*u as u64)));
        let layout = match (self.layouts.participants.get(&id), scheduled) {
            (None, Some(l)) => self.engine_layout(l),
            _ => self.engine_layout(self.layouts.resolve(id, group.unwrap_or(EndpointGroup::SipH323))),
        };
        let everyone = self.mode == Mode::VideoLecture && self.presenter_id() == Some(id);
        View { layout, everyone }
    }

    /// A layout as the engine draws it: windows the schedule assigned to a user show that
    /// user's participant while they are here (the first, if they joined twice).
    fn engine_layout(&self, l: &Layout) -> Layout {
        let mut out = l.clone();
        for s in &mut out.slots {
            if let Slot::Participant(x) = s
                && let Some(p) =
                    self.roster.iter().map(|p| p.info.id).find(|p| self.users.get(p).map(|u| *u as u64) == Some(*x))
            {
                *s = Slot::Participant(p);
            }
        }
        out
    }

    fn push_views(&self) {
        for p in self.roster.iter().filter(|p| self.receivers.contains(&p.info.id)) {
            self.send(EngineCmd::View(p.info.id, self.view_of(p.info.id, p.info.group)));
        }
    }

    /// The presenter of a video lecture: the one chosen, else the first to join.
    fn presenter_id(&self) -> Option<ParticipantId> {
        self.presenter.or_else(|| self.roster.first().map(|p| p.info.id))
    }

    fn next_participant(&mut self) -> Result<ParticipantId, ControlError> {
        if self.roster.len() >= MAX_PARTICIPANTS {
            return Err(ControlError::Conflict(format!("the conference is full ({MAX_PARTICIPANTS} participants)")));
        }
        let id = self.next_id;
        self.next_id += 1;
        Ok(id)
    }

    /// Hands a new participant's media to the engine with the conference's devices-on-join
    /// settings, and adds them to the roster and the history.
    async fn join(&mut self, who: Joining, slot: Arc<MediaSlot>, keep: engine::Keepalive, detail: &str) {
        let Joining { id, user, name, kind, group, rtp_ports } = who;
        self.send(EngineCmd::Add { id, name: name.clone(), slot, keep });
        let camera = !self.settings.cameras_off_on_join;
        let microphone = !self.settings.microphones_off_on_join;
        self.send(EngineCmd::Camera(id, camera));
        self.send(EngineCmd::Microphone(id, microphone));
        self.roster.push(Participant {
            info: LiveParticipant {
                id,
                name: name.clone(),
                kind: kind.into(),
                group,
                camera,
                microphone,
                gain: 1.0,
                moderator: false,
                on_podium: false,
                joined_at_ms: now_ms(),
                rtp_ports,
            },
        });
        self.ever_joined = true;
        if let Some(u) = user {
            self.users.insert(id, u);
            self.scheduled_role(id, u);
            self.send(EngineCmd::Layout(self.engine_layout(&self.layouts.all)));
        }
        self.apply_stage();
        self.event("joined", Some(id), &name, detail);
    }

    /// A signed-in participant takes the role the schedule gave their user: moderators and the
    /// owner moderate; speakers of a role-based conference start on the podium while it has room.
    fn scheduled_role(&mut self, id: ParticipantId, user: i64) {
        let Some(&(role, speaker)) = self.invitees.get(&user) else { return };
        let podium_room = self.podium.len() < self.settings.active_speakers.max(1) as usize;
        if speaker && self.mode == Mode::RoleBased && podium_room && !self.podium.contains(&id) {
            self.podium.push(id);
        }
        if let Some(p) = self.roster.iter_mut().find(|p| p.info.id == id) {
            p.info.moderator = matches!(role, Role::Owner | Role::Moderator);
        }
    }

    /// Applied layouts last for this run; the scheduled ones (the form's) stay stored for the
    /// next.
    async fn layouts_changed(&mut self) {
        self.send(EngineCmd::Layout(self.engine_layout(&self.layouts.all)));
        self.push_views();
    }
}
