//! One running conference: its task drives the conference core's state machine
//! (`tessera_conference::live`) — the roster, the mode, the podium and the layouts are decided
//! there — and does the I/O it asks for: engine commands, the connection history and the event
//! stream; it also owns the media endpoints' sockets and runs the outputs (RTSP mount,
//! multicast, recording).

use super::StartedBy;
use crate::media::encoder::{EncodedStreams, EncoderSettings};
use crate::media::engine::{self, EngineCmd, EngineEvent, EngineSettings, VideoTo};
use crate::media::multicast::{MulticastConfig, MulticastSender};
use crate::media::push::{StreamPush, StreamTarget};
use crate::media::recorder;
use crate::media::rtp_input::{AudioCodec, RtpInput, RtpSpec, SendFrom, VideoCodec};
use crate::media::rtsp::RtspServer;
use crate::media::slot::MediaSlot;
use crate::media::synthetic::Synthetic;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tessera_conference::live::{Conference, Effect, Happened, Joining, Refusal, Rules};
use tessera_conference::{EndpointKind, EventKind};
use tessera_mixer::frame::Yuv;
use tessera_mixer::layout::{EndpointGroup, LayoutSet, ParticipantId};
use tessera_web::control::{ControlError, Event, LiveParticipant, LiveState, Reply, Request, RtpPorts, ShownAt};
use tessera_web::store::{ConferenceKind, MediaSettings, Store};
use tokio::sync::{mpsc, oneshot};

mod local;
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
    /// Devices attached to the server (`[devices]`); `None` when off.
    pub devices: Option<Arc<crate::local_devices::LocalDevices>>,
    /// Where conferences' HLS outputs are served from (the web server's).
    pub hls: Arc<tessera_web::hls::Shelf>,
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

/// A request for a running conference: who asks, the sockets an ingress bound for a join, and
/// where to answer.
pub struct Asked {
    pub request: Request,
    pub actor: Option<i64>,
    pub bound: crate::media::handoff::Bound,
    pub reply: oneshot::Sender<Reply>,
}

pub enum ConfMsg {
    Control(Box<Asked>),
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

struct Recording {
    id: i64,
    file_name: String,
    started_ms: i64,
}

struct Conf {
    settings: MediaSettings,
    /// The conference's rules and state; everything below is I/O it asks for.
    core: Conference,
    store: Store,
    media: Arc<MediaConfig>,
    events: tessera_web::control::EventBus,
    /// How many are in it, for admission (kept after every change).
    occupancy: tessera_web::control::Occupancy,
    engine: std::sync::mpsc::Sender<EngineCmd>,
    engine_thread: Option<std::thread::JoinHandle<()>>,
    streams: EncodedStreams,
    started_ms: i64,
    ends_at: Option<i64>,
    recording: Option<Recording>,
    multicast: Option<(MulticastSender, String)>,
    /// Streaming to a platform (`stream_url`).
    push: Option<StreamPush>,
    /// The HLS output (`hls_key`).
    hls: Option<crate::media::hls::HlsOutput>,
    /// What each RTP participant negotiated (codecs, payload types), for later `SendTo`s.
    rtp_specs: HashMap<ParticipantId, RtpSpec>,
    /// The sockets each RTP participant's media arrives on (its media is sent from them).
    rtp_sockets: HashMap<ParticipantId, SendFrom>,
    /// The ports each RTP participant sends to, for the state.
    rtp_ports: HashMap<ParticipantId, RtpPorts>,
    /// The largest size each participant's picture is shown at (the engine's [`EngineEvent::ShownSize`]).
    shown_sizes: HashMap<ParticipantId, (u32, u32)>,
    /// Participants whose media is encrypted (browsers, SIP with SRTP), for the state.
    encrypted: std::collections::HashSet<ParticipantId>,
    /// Participants ended when their media stops (SIP calls).
    watched: HashMap<ParticipantId, Watched>,
    /// For sources' pipelines to report bad input like the engine does.
    engine_events: mpsc::UnboundedSender<EngineEvent>,
    /// Whether this conference is served over RTSP (see `rtsp.conferences`).
    rtsp_mounted: bool,
    /// The controls of cameras attached to the server, by participant.
    cameras: HashMap<ParticipantId, crate::media::local::CameraControls>,
    /// Devices attached to the server, by participant, and their hold on them.
    locals: HashMap<ParticipantId, local::Local>,
    /// Stored attachments that joined (or were removed by an operator), and their participants.
    attached: HashMap<i64, ParticipantId>,
    /// Why a stored attachment could not join, as last written in the history.
    attach_failures: HashMap<i64, String>,
    /// Held open for the devices attached to it (`start_room`): not ended when people leave.
    held_by_devices: bool,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// An operator's request the media plane cannot follow; told as it is (no catalogue message).
fn invalid(field: &str, message: impl Into<String>) -> ControlError {
    ControlError::Invalid { field: field.into(), message: tessera_web::error::Msg::text(message) }
}

/// A refusal of the core, as the control interface answers it.
fn refused(r: Refusal) -> ControlError {
    match r {
        Refusal::NoParticipant(p) => ControlError::NoParticipant(p),
        Refusal::Invalid { field, message } => ControlError::Invalid { field: field.into(), message: message.into() },
        Refusal::Conflict(m) => ControlError::Conflict(m.into()),
    }
}

/// Starts the conference's engine and outputs, and its task. Returns the first status.
pub async fn start(
    settings: MediaSettings,
    by: StartedBy,
    store: Store,
    media: Arc<MediaConfig>,
    control: &tessera_web::control::Control,
    rx: mpsc::Receiver<ConfMsg>,
    done: Done,
) -> anyhow::Result<LiveState> {
    let (events, occupancy) = (control.events.clone(), control.occupancy.clone());
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
    let scheduled: Option<LayoutSet> = match settings.layouts.as_deref().map(serde_json::from_str::<LayoutSet>) {
        Some(Ok(l)) if l.validate().is_ok() => Some(l),
        Some(_) => {
            tracing::warn!(conference = %id, "stored layouts are unreadable; using the default");
            None
        }
        None => None,
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
    let rules = Rules {
        mode: settings.mode,
        active_speakers: settings.active_speakers,
        cameras_off_on_join: settings.cameras_off_on_join,
        microphones_off_on_join: settings.microphones_off_on_join,
    };
    let mut c = Conf {
        core: Conference::new(rules, scheduled, invitees),
        settings,
        store,
        media,
        events,
        occupancy,
        engine: etx,
        engine_thread: Some(thread),
        streams,
        started_ms: now_ms(),
        ends_at,
        recording: None,
        multicast: None,
        push: None,
        hls: None,
        rtp_specs: HashMap::new(),
        rtp_sockets: HashMap::new(),
        rtp_ports: HashMap::new(),
        shown_sizes: HashMap::new(),
        encrypted: Default::default(),
        watched: HashMap::new(),
        engine_events: ev_tx,
        rtsp_mounted: false,
        cameras: HashMap::new(),
        locals: HashMap::new(),
        attached: HashMap::new(),
        attach_failures: HashMap::new(),
        held_by_devices: false,
    };
    c.apply(c.core.start());
    c.occupancy.set(&id, 0);
    // Streamed over RTSP as the administrator's policy says (`rtsp.conferences`).
    let policy = c.store.settings().await.map(|s| s.rtsp_conferences).unwrap_or_else(|_| "all".into());
    let streamed = policy == "all" || (policy == "public" && c.settings.public);
    match &c.media.rtsp {
        Some(rtsp) if streamed => {
            rtsp.mount(&id, c.streams.clone());
            c.rtsp_mounted = true;
        }
        Some(_) => tracing::info!(conference = %id, policy = %policy, "not streamed over RTSP (rtsp.conferences)"),
        None => {}
    }
    c.start_multicast();
    c.start_push();
    c.start_hls();
    c.event(EventKind::Started, None, "", &format!("{by:?}").to_lowercase());
    if c.settings.record {
        c.start_recording().await;
    }
    tracing::info!(conference = %id, mode = %c.settings.mode, started_by = ?by, "conference started");
    if c.media.devices.is_some() {
        c.sync_devices().await;
    }
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
                    Some(ConfMsg::Control(asked)) if asked.request == Request::End => {
                        // Finish first, so that whoever asked sees the recording indexed.
                        let state = LiveState { running: false, ..self.state() };
                        self.finish(&format!("ended by user {}", asked.actor.unwrap_or(0))).await;
                        let _ = asked.reply.send(Ok(LiveState { recording: None, ..state }));
                        let _ = done.send((self.settings.id.clone(), leftovers(&mut rx)));
                        return;
                    }
                    Some(ConfMsg::Control(asked)) => {
                        let Asked { request, actor, bound, reply } = *asked;
                        let r = self.control(request, actor, bound).await;
                        let _ = reply.send(r);
                        if self.room_emptied() {
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
                    if self.room_emptied() {
                        break "the last participant left the room".to_string();
                    }
                }
            }
        };
        self.finish(&why).await;
        let _ = done.send((self.settings.id.clone(), leftovers(&mut rx)));
    }

    /// A room ends when its people have left, unless it is held open for its devices.
    fn room_emptied(&self) -> bool {
        self.settings.kind == ConferenceKind::Room && !self.held_by_devices && self.core.emptied()
    }

    async fn finish(&mut self, why: &str) {
        // Everyone leaves first, and admission stops counting this conference as running.
        let fx = self.core.finish();
        self.apply(fx);
        for (p, l) in std::mem::take(&mut self.locals) {
            local::close(&self.settings.id, p, l);
        }
        self.occupancy.remove(&self.settings.id);
        self.stop_recording().await;
        self.multicast = None;
        if let Some(p) = self.push.take() {
            // Stopping waits for the push's thread: not on the async threads.
            let _ = tokio::task::spawn_blocking(move || drop(p)).await;
        }
        if let Some(h) = self.hls.take() {
            let _ = tokio::task::spawn_blocking(move || drop(h)).await;
        }
        if let Some(rtsp) = self.media.rtsp.as_ref().filter(|_| self.rtsp_mounted) {
            rtsp.unmount(&self.settings.id);
        }
        // Closing the channel stops the engine thread; join it off the async threads.
        let (dummy, _) = std::sync::mpsc::channel();
        drop(std::mem::replace(&mut self.engine, dummy));
        if let Some(t) = self.engine_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        self.event(EventKind::Ended, None, "", why);
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
            self.remove(id, &format!("no media for {} s", quiet.as_secs()));
        }
    }

    fn event(&self, kind: EventKind, participant: Option<ParticipantId>, name: &str, detail: &str) {
        let h = Happened { kind, participant, user: None, name: name.into(), detail: detail.into() };
        self.events.publish(&self.store, self.event_of(h));
    }

    fn event_of(&self, h: Happened) -> Event {
        Event {
            conference: self.settings.id.clone(),
            at_ms: now_ms(),
            kind: h.kind,
            participant: h.participant,
            user: h.user,
            name: h.name,
            detail: h.detail,
        }
    }

    /// Does what the core decided, in order.
    fn apply(&self, fx: Vec<Effect>) {
        for e in fx {
            match e {
                Effect::Camera(p, on) => self.send(EngineCmd::Camera(p, on)),
                Effect::Microphone(p, on) => self.send(EngineCmd::Microphone(p, on)),
                Effect::Gain(p, g) => self.send(EngineCmd::Gain(p, g)),
                Effect::MainLayout(l) => self.send(EngineCmd::Layout(l)),
                Effect::Stage(s) => self.send(EngineCmd::Stage(s)),
                Effect::View(p, v) => self.send(EngineCmd::View(p, v)),
                Effect::Content(c) => self.send(EngineCmd::Content(c)),
                Effect::Remove(p) => self.send(EngineCmd::Remove(p)),
                Effect::Record(h) => self.events.publish(&self.store, self.event_of(h)),
                Effect::Notify(h) => self.events.send(self.event_of(h)),
            }
        }
        self.occupancy.set(&self.settings.id, self.core.roster().len());
    }

    async fn engine_event(&mut self, ev: EngineEvent) {
        match ev {
            EngineEvent::ActiveSpeaker(p) => {
                let fx = self.core.active_speaker(p);
                self.apply(fx);
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
                self.event(EventKind::RecordingFailed, None, "", &msg);
            }
            EngineEvent::ShownSize(p, size) => {
                match size {
                    Some(s) => self.shown_sizes.insert(p, s),
                    None => self.shown_sizes.remove(&p),
                };
            }
            EngineEvent::DeviceNews(p, msg) => {
                let name = self.core.member(p).map(|m| m.name.clone()).unwrap_or_default();
                self.event(EventKind::Device, Some(p), &name, &msg);
            }
            EngineEvent::BadInput(p, msg) => {
                let name = self.core.member(p).map(|m| m.name.clone()).unwrap_or_default();
                self.event(EventKind::BadInput, Some(p), &name, &msg);
            }
            EngineEvent::Key(p, digit) => match self.core.key(p, digit) {
                Ok(fx) => self.apply(fx),
                Err(e) => {
                    tracing::info!(conference = %self.settings.id, participant = p, refusal = ?e, "keypad command refused")
                }
            },
        }
    }

    fn state(&self) -> LiveState {
        LiveState {
            conference: self.settings.id.clone(),
            running: true,
            mode: self.core.rules().mode,
            active_speakers: self.settings.active_speakers,
            started_at_ms: Some(self.started_ms),
            participants: self
                .core
                .roster()
                .iter()
                .map(|m| LiveParticipant {
                    id: m.id,
                    name: m.name.clone(),
                    kind: m.kind,
                    group: m.group,
                    camera: m.camera,
                    microphone: m.microphone,
                    gain: m.gain,
                    moderator: m.moderator,
                    on_podium: m.on_podium,
                    joined_at_ms: m.joined_at_ms,
                    rtp_ports: self.rtp_ports.get(&m.id).copied(),
                    encrypted: self.encrypted.contains(&m.id),
                    shown_at: self.shown_sizes.get(&m.id).map(|&(width, height)| ShownAt { width, height }),
                    camera_controls: self.cameras.get(&m.id).map(local::control_states).unwrap_or_default(),
                    attachment: self.attached.iter().find(|(_, p)| **p == m.id).map(|(a, _)| *a),
                })
                .collect(),
            layouts: self.core.layouts().clone(),
            layout_version: self.core.layout_version(),
            adaptive: self.core.adaptive(),
            shown: self.core.shown(),
            joined: None,
            podium: self.core.podium().to_vec(),
            podium_requests: self.core.podium_requests().to_vec(),
            presenter: self.core.presenter(),
            active_speaker: self.core.speaker(),
            recording: self.recording.as_ref().map(|r| r.file_name.clone()),
            rtsp_url: self.media.rtsp.as_ref().filter(|_| self.rtsp_mounted).map(|r| {
                format!("rtsp://{}:{}{}", self.media.public_host, r.port, RtspServer::path(&self.settings.id))
            }),
            multicast: self.multicast.as_ref().map(|m| m.1.clone()),
            stream: self.push.as_ref().map(|p| {
                let s = p.status();
                tessera_web::control::LiveStream {
                    target: s.target,
                    state: s.state.to_string(),
                    error: s.error,
                    failures: s.failures,
                }
            }),
        }
    }

    /// Hands a new participant's media to the engine, and the participant to the core (which
    /// sets its devices, role and podium place and updates everyone's layout).
    fn join(&mut self, id: ParticipantId, who: Joining, slot: Arc<MediaSlot>, keep: engine::Keepalive, detail: &str) {
        self.send(EngineCmd::Add { id, name: who.name.clone(), slot, keep });
        let fx = self.core.join(now_ms(), id, who, detail);
        self.apply(fx);
    }
}
