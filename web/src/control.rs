//! The control interface of running conferences: what the personal area (and later the
//! conference manager) asks of the media plane, and the events it hears back. Defined here, in
//! terms of the mixer's layout model; implemented by the daemon's conference runtime, which
//! receives [`Command`]s from the channel behind [`Control`].

use crate::error::Msg;
use crate::msg;
use serde::{Deserialize, Serialize};
use tessera_mixer::layout::{EndpointGroup, Layout, LayoutSet, ParticipantId};
use tokio::sync::{broadcast, mpsc, oneshot};

/// Which layout a change applies to: `"all"`, `{"group": "webrtc"}`, `{"participant": 3}` (the
/// core's; the form before 0.2 is still read).
pub use tessera_conference::Scope;
pub use tessera_conference::live::GuestDevices;
pub use tessera_conference::{EndpointKind, EventKind, Mode};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Request {
    Status,
    Start,
    End,
    /// A test pattern of `colour` (RGB) and a tone of `tone_hz` (0: silent), named `name`.
    AddSynthetic {
        name: String,
        colour: [u8; 3],
        tone_hz: u32,
        /// The picture's size, `[width, height]`; 640x360 when absent.
        #[serde(default)]
        size: Option<[u32; 2]>,
    },
    /// Devices attached to the server (a room's camera, microphone and loudspeaker) as one
    /// participant named `name`, ids as `tessera devices list` prints them; a camera, a
    /// microphone or both, and optionally a loudspeaker that plays the conference's mix (its own
    /// voice excluded). Operators only; `[devices] enabled` must be on.
    AddDevices {
        name: String,
        #[serde(default)]
        camera: Option<String>,
        #[serde(default)]
        microphone: Option<String>,
        #[serde(default)]
        speaker: Option<String>,
        /// Take the loudspeaker's sound out of what the microphone hears (with both attached):
        /// on unless `false` (a room whose microphones cancel echo themselves).
        #[serde(default)]
        echo_cancellation: Option<bool>,
    },
    /// Moves a camera attached to the server: `control` is pan, tilt, zoom or focus, `value`
    /// within the camera's own range (the participant's `camera_controls` in the state).
    CameraControl {
        participant: ParticipantId,
        control: String,
        value: i64,
    },
    /// A participant that sends RTP to ports Tessera picks (returned in `rtp_ports`): `video`
    /// h264 or vp8, `audio` opus, pcmu, pcma or g722; at least one.
    /// With `video_to` / `audio_to` (`IP:port`), Tessera sends the participant the layout of
    /// its group (SIP/H.323) as H.264 and its own mix (everyone but itself) in its audio codec.
    /// Sending media anywhere and choosing ports is for operators (and the SIP bridge, which
    /// derives them from SDP).
    AddRtp {
        name: String,
        video: Option<String>,
        audio: Option<String>,
        #[serde(default)]
        video_to: Option<String>,
        #[serde(default)]
        audio_to: Option<String>,
        /// Payload types other than the defaults (96 H.264, 97 VP8, 111 Opus, static for G.711
        /// and G.722), as negotiated; `dtmf` is RFC 4733's telephone-event, received and ignored.
        #[serde(default)]
        payload_types: Option<PayloadTypes>,
        /// Receive on these ports rather than ones Tessera picks.
        #[serde(default)]
        ports: Option<RtpPorts>,
        /// The layout group it sees: SIP/H.323 (the default) or WebRTC (browsers, whose peers
        /// relay RTP to and from the runtime).
        #[serde(default)]
        #[schema(schema_with = crate::openapi::group_schema)]
        group: Option<EndpointGroup>,
        /// A shared screen (video only): shown in the content slot of every layout, which
        /// appears while someone shares. One at a time: a new one replaces the previous.
        #[serde(default)]
        content: bool,
        /// The user this endpoint signed in as (SIP digest, the conference page): their
        /// scheduled role, podium place and layout window apply. Set by the bridge and the
        /// WebRTC peers only; the JSON API cannot.
        #[serde(skip)]
        user: Option<i64>,
        /// End the participant when no media arrives for the server's RTP timeout (a SIP call
        /// that died without a BYE). Set by the bridge only.
        #[serde(skip)]
        ends_without_media: bool,
        /// The addresses its media may come from (the SIP peer's signalling and SDP addresses;
        /// this host for a browser's relay): the first packet from one of them latches the
        /// source, and packets from anywhere else are dropped. Empty: the first sender latches.
        /// Set by the bridge and the WebRTC peers only.
        #[serde(skip)]
        sources: Vec<std::net::IpAddr>,
        /// A webinar guest (no account): the devices the organiser lets guests use; the others
        /// start off and stay off (the core's rule). Set by the bridge and the WebRTC peers.
        #[serde(skip)]
        guest: Option<GuestDevices>,
        /// SRTP keys (SDES) per medium: what the peer sends is unprotected with its key and what
        /// Tessera sends protected with its own. Set by the SIP bridge only; never serialized.
        #[serde(skip)]
        srtp: Option<Box<tessera_sip_h323_bridge::rtp::srtp::MediaKeys>>,
    },
    /// Where a participant's media goes now (SIP re-INVITE: hold, a new address); `None` stops
    /// that medium. Operators and the SIP bridge only.
    SendTo {
        participant: ParticipantId,
        video_to: Option<String>,
        audio_to: Option<String>,
    },
    /// The participant's decoder needs a picture it can start from (RTCP PLI/FIR, SIP INFO
    /// picture_fast_update): the encoder of what it sees sends a keyframe.
    Keyframe {
        participant: ParticipantId,
    },
    Remove {
        participant: ParticipantId,
    },
    /// The quality tier of its layout a participant receives, as its link's estimate says
    /// (`tessera_conference::quality`). The WebRTC peers' own; the JSON API cannot ask it.
    #[serde(skip)]
    VideoTier {
        participant: ParticipantId,
        tier: tessera_conference::quality::Tier,
    },
    /// The stored attachments of the server's devices changed (an API call, `tessera devices
    /// attach` in another process): those of this conference join, those removed leave. The
    /// runtime's own; the JSON API cannot ask it.
    #[serde(skip)]
    SyncDevices,
    /// Every participant who joined as this user leaves (the account was disabled). The
    /// runtime's own; the JSON API cannot ask it.
    #[serde(skip)]
    RemoveUser {
        user: i64,
    },
    /// `layout: None` discards the group or individual layout (the participant then sees the
    /// layout for all).
    ApplyLayout {
        #[schema(schema_with = crate::openapi::scope_schema)]
        scope: Scope,
        #[schema(schema_with = crate::openapi::layout_schema)]
        layout: Option<Layout>,
        /// The `layout_version` the layout was edited from: when another operator has changed
        /// the layouts since, the request is refused (409) rather than silently overwriting.
        #[serde(default)]
        version: Option<u64>,
    },
    /// Who each window of `layout` would show now, without applying it (`shown` in the
    /// answer): the conference manager previews a draft with the rule the media plane uses.
    Preview {
        #[schema(schema_with = crate::openapi::layout_schema)]
        layout: Layout,
    },
    /// The name shown for `participant` in the layout of `scope` only; `None` restores their own.
    Rename {
        #[schema(schema_with = crate::openapi::scope_schema)]
        scope: Scope,
        participant: ParticipantId,
        name: Option<String>,
    },
    Device {
        participant: ParticipantId,
        camera: Option<bool>,
        microphone: Option<bool>,
        gain: Option<f32>,
    },
    /// Role-based mode: put on or take off the podium (the moderator approves).
    Podium {
        participant: ParticipantId,
        on: bool,
    },
    /// Role-based mode: the participant asks for the podium (their conference page, or `*1`
    /// from their phone). Only the participant's own page and call ask; the JSON API cannot.
    #[serde(skip)]
    AskPodium {
        participant: ParticipantId,
    },
    /// A key a participant's phone pressed in the conference (SIP INFO). The bridge's only.
    #[serde(skip)]
    Key {
        participant: ParticipantId,
        digit: char,
    },
    /// A participant chooses the layout they see (`None`: the conference's), from their page.
    /// The page's only; refused when the layout is locked.
    #[serde(skip)]
    ChooseLayout {
        participant: ParticipantId,
        kind: Option<tessera_mixer::layout::LayoutType>,
    },
    /// A moderator answers a request for the podium.
    AnswerPodium {
        participant: ParticipantId,
        approve: bool,
    },
    Moderator {
        participant: ParticipantId,
        on: bool,
    },
    /// Video lecture: who presents.
    Presenter {
        participant: ParticipantId,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Command {
    pub conference: String,
    /// The user who asks, for the connection history.
    pub actor: Option<i64>,
    pub request: Request,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveParticipant {
    pub id: ParticipantId,
    pub name: String,
    pub kind: EndpointKind,
    /// `None` for synthetic participants.
    #[schema(schema_with = crate::openapi::group_schema)]
    pub group: Option<EndpointGroup>,
    pub camera: bool,
    pub microphone: bool,
    pub gain: f32,
    pub moderator: bool,
    pub on_podium: bool,
    pub joined_at_ms: i64,
    /// Where an RTP participant sends its media.
    #[serde(default)]
    pub rtp_ports: Option<RtpPorts>,
    /// Its media is encrypted: a browser (DTLS-SRTP) or a SIP endpoint with SRTP.
    #[serde(default)]
    pub encrypted: bool,
    /// The largest window its picture is shown in (absent: not shown): a sender need not send
    /// more (browsers are told, and scale what they send down to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_at: Option<ShownAt>,
    /// A camera attached to the server: the controls it has (pan, tilt, zoom, focus), each with
    /// its range and where it is now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub camera_controls: Vec<CameraControlState>,
    /// Devices attached to the server from a stored attachment: its id (in
    /// `/api/v1/conferences/{id}/devices`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<i64>,
}

/// One control of a camera attached to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CameraControlState {
    /// pan, tilt, zoom or focus.
    pub control: String,
    pub min: i64,
    pub max: i64,
    pub step: i64,
    pub value: i64,
}

/// A window's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShownAt {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayloadTypes {
    pub video: Option<u8>,
    pub audio: Option<u8>,
    pub dtmf: Option<u8>,
    /// The peer takes H.264 in packetization mode 0 only: one NAL unit per packet, however large
    /// (IP fragments it), instead of fragmentation units.
    #[serde(default)]
    pub h264_single_nal: bool,
    /// The peer prefers Opus with discontinuous transmission (its `usedtx=1`): a silent mix is
    /// sent as a comfort-noise packet every 400 ms instead of fifty a second.
    #[serde(default)]
    pub opus_dtx: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RtpPorts {
    pub video: Option<u16>,
    pub audio: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveState {
    pub conference: String,
    pub running: bool,
    pub mode: Mode,
    pub active_speakers: i64,
    pub started_at_ms: Option<i64>,
    pub participants: Vec<LiveParticipant>,
    #[schema(schema_with = crate::openapi::layout_set_schema)]
    pub layouts: LayoutSet,
    /// Counts applied layouts and renames: what an edit was based on (see `ApplyLayout`).
    #[serde(default)]
    pub layout_version: u64,
    /// The layout for everyone still grows with the number of participants (nobody fixed one).
    #[serde(default)]
    pub adaptive: bool,
    /// Who each window of the layout for everyone shows now, as the core filled it.
    #[serde(default)]
    pub shown: Vec<Option<ParticipantId>>,
    /// In the answer to a request that added a participant: the one it created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined: Option<ParticipantId>,
    pub podium: Vec<ParticipantId>,
    /// Role-based: who asked for the podium and awaits an answer, in order.
    #[serde(default)]
    pub podium_requests: Vec<ParticipantId>,
    pub presenter: Option<ParticipantId>,
    pub active_speaker: Option<ParticipantId>,
    pub recording: Option<String>,
    pub rtsp_url: Option<String>,
    pub multicast: Option<String>,
    /// Streaming to a platform (the conference's `stream_url`), while it runs.
    #[serde(default)]
    pub stream: Option<LiveStream>,
}

/// A push to a streaming platform, as the manager shows it: never the stream key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveStream {
    /// The URL without its key: `rtmp://a.rtmp.youtube.com:1935/live2/…`.
    pub target: String,
    /// `connecting`, `live` (the platform takes the data) or `retrying`.
    pub state: String,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Attempts that failed since the conference started.
    pub failures: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("the conference is not running")]
    NotRunning,
    #[error("no conference {0}")]
    NoConference(String),
    #[error("no participant {0} in this conference")]
    NoParticipant(ParticipantId),
    #[error("{field}: {message}")]
    Invalid { field: String, message: Msg },
    #[error("{0}")]
    Conflict(Msg),
    #[error("{0}")]
    Unavailable(Msg),
}

pub type Reply = Result<LiveState, ControlError>;

/// One thing that happened in a running conference; also written to its connection history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub conference: String,
    pub at_ms: i64,
    pub kind: EventKind,
    pub participant: Option<ParticipantId>,
    /// The user a participant who joined or left signed in as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<i64>,
    pub name: String,
    pub detail: String,
}

/// The web's handle on the runtime.
#[derive(Clone)]
pub struct Control {
    tx: mpsc::Sender<Envelope>,
    pub events: EventBus,
    pub occupancy: Occupancy,
    /// Set by `tessera ctl drain`: admission lets no one new in ([`crate::admission::presence`]).
    pub draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// How each participant's connection is doing (the administrator's live view).
    pub links: crate::links::Links,
}

/// How many are in each running conference, kept by the runtime as people join and leave, so
/// that admission (asked at every SIP INVITE and page join) reads it without waiting in the
/// conference's own queue.
#[derive(Clone, Default)]
pub struct Occupancy(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>);

impl Occupancy {
    fn map(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, usize>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The conference runs with `n` participants.
    pub fn set(&self, conference: &str, n: usize) {
        let mut m = self.map();
        match m.get_mut(conference) {
            Some(v) => *v = n,
            None => {
                m.insert(conference.to_string(), n);
            }
        }
    }

    /// The conference ended.
    pub fn remove(&self, conference: &str) {
        self.map().remove(conference);
    }

    /// The running conferences and how many are in each, by id.
    pub fn all(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self.map().iter().map(|(k, n)| (k.clone(), *n)).collect();
        v.sort();
        v
    }

    /// How many are in the conference; `None` when it is not running.
    pub fn get(&self, conference: &str) -> Option<usize> {
        self.map().get(conference).copied()
    }
}

/// What the implementation of this interface may hand along with a request, unseen by the web:
/// the daemon's SIP bridge sends the RTP sockets it bound for a call with the join that uses
/// them (the daemon's own type, which its runtime takes back out).
pub type Attachment = Box<dyn std::any::Any + Send>;

/// A request on its way to the runtime: the command, an attachment, where to answer.
pub struct Envelope {
    pub command: Command,
    pub attachment: Option<Attachment>,
    pub reply: oneshot::Sender<Reply>,
}

/// What happens in running conferences, for everyone who listens: all of it, or one
/// conference's (a phone in a call hears its own conference only, so a busy server does not
/// wake every call for every join elsewhere).
#[derive(Clone)]
pub struct EventBus {
    all: broadcast::Sender<Event>,
    by_conference: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, broadcast::Sender<Event>>>>,
}

impl EventBus {
    fn new() -> EventBus {
        EventBus { all: broadcast::channel(1024).0, by_conference: Default::default() }
    }

    fn conferences(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, broadcast::Sender<Event>>> {
        self.by_conference.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every conference's events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.all.subscribe()
    }

    /// One conference's events.
    pub fn subscribe_to(&self, conference: &str) -> broadcast::Receiver<Event> {
        self.conferences().entry(conference.to_string()).or_insert_with(|| broadcast::channel(1024).0).subscribe()
    }

    /// Keeps `e` in its conference's connection history and tells everyone who listens.
    pub fn publish(&self, store: &crate::store::Store, e: Event) {
        store.record_event(crate::store::NewEvent {
            conference: e.conference.clone(),
            at_ms: e.at_ms,
            kind: e.kind,
            participant: e.participant.and_then(|p| i64::try_from(p).ok()),
            user: e.user,
            name: e.name.clone(),
            detail: e.detail.clone(),
        });
        self.send(e);
    }

    /// Tells everyone who listens, without keeping it (the active speaker, …).
    pub fn send(&self, e: Event) {
        {
            let mut by = self.conferences();
            if let Some(tx) = by.get(&e.conference) {
                if tx.receiver_count() == 0 {
                    by.remove(&e.conference);
                } else {
                    let _ = tx.send(e.clone());
                }
            }
        }
        let _ = self.all.send(e);
    }
}

impl Request {
    /// Whether only operators may ask this (it points media at addresses or binds ports).
    pub fn for_operators(&self) -> bool {
        match self {
            Request::AddRtp { video_to, audio_to, ports, .. } => {
                video_to.is_some() || audio_to.is_some() || ports.is_some()
            }
            Request::SendTo { .. } | Request::AddDevices { .. } => true,
            _ => false,
        }
    }
}

impl Control {
    /// The handle and the receiving end the runtime serves.
    pub fn channel() -> (Control, mpsc::Receiver<Envelope>) {
        let (tx, rx) = mpsc::channel(256);
        (
            Control {
                tx,
                events: EventBus::new(),
                occupancy: Occupancy::default(),
                draining: Default::default(),
                links: Default::default(),
            },
            rx,
        )
    }

    pub async fn call(&self, conference: &str, actor: Option<i64>, request: Request) -> Reply {
        self.send(conference, actor, request, None).await
    }

    /// [`Self::call`] with something for the runtime alone (see [`Attachment`]).
    pub async fn call_with(
        &self,
        conference: &str,
        actor: Option<i64>,
        request: Request,
        attachment: Attachment,
    ) -> Reply {
        self.send(conference, actor, request, Some(attachment)).await
    }

    async fn send(
        &self,
        conference: &str,
        actor: Option<i64>,
        request: Request,
        attachment: Option<Attachment>,
    ) -> Reply {
        let (reply, rx) = oneshot::channel();
        let command = Command { conference: conference.to_string(), actor, request };
        let envelope = Envelope { command, attachment, reply };
        self.tx.send(envelope).await.map_err(|_| ControlError::Unavailable(msg!("err.media.plane.stopped")))?;
        rx.await.map_err(|_| ControlError::Unavailable(msg!("err.media.plane.did.not")))?
    }
}

/// The next value of an optional broadcast subscription: `None` after a lag (some were missed);
/// never, when there is no subscription or its sender is gone. For `select!` loops that listen
/// to the runtime's events or the chat only when they have them.
pub async fn next_broadcast<T: Clone>(rx: Option<&mut broadcast::Receiver<T>>) -> Option<T> {
    use broadcast::error::RecvError;
    match rx {
        Some(rx) => match rx.recv().await {
            Ok(v) => Some(v),
            Err(RecvError::Lagged(_)) => None,
            Err(RecvError::Closed) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}
