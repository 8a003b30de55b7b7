//! A conference's media engine: one thread that, every 20 ms, mixes the audio of whoever is heard
//! and, every frame period, composes whoever is seen with the mixer and hands both to the shared
//! encoder. The conference's runtime task drives it with [`EngineCmd`]s and hears back through
//! [`EngineEvent`]s; the engine owns no policy (modes, podium, rights), only media.

use super::encoder::{EncodedStreams, Encoder, EncoderSettings};
use super::recorder::Recorder;
use super::rtp_input::{AudioCodec, SendFrom, VideoCodec};
use super::rtp_output::{AudioOut, RtpVideoSender};
use super::slot::{MediaSlot, VideoFrame};
use gstreamer as gst;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};
use tessera_conference::quality::Tier;
use tessera_conference::windows;
use tessera_mixer::audio::{AudioMixer, FRAME, RATE};
use tessera_mixer::compositor::{Compositor, Source};
use tessera_mixer::frame::{FrameRef, Yuv};
use tessera_mixer::layout::{Layout, ParticipantId};
use tessera_mixer::tiles::TileCache;

/// Anything that must live as long as the participant's media does (a source pipeline).
pub type Keepalive = Box<dyn Send>;

/// Where a participant's own mix (everyone but itself), 20 ms of 48 kHz mono at a time, is
/// played on this machine (a loudspeaker attached to the server).
pub type Playback = Box<dyn FnMut(&[i16]) + Send>;

pub enum EngineCmd {
    Add {
        id: ParticipantId,
        name: String,
        slot: Arc<MediaSlot>,
        keep: Keepalive,
    },
    Remove(ParticipantId),
    Camera(ParticipantId, bool),
    Microphone(ParticipantId, bool),
    Gain(ParticipantId, f32),
    Rename(ParticipantId, String),
    /// The layout of the conference's main output (RTSP, multicast, recording).
    Layout(Layout),
    /// Who is seen and heard; `None`: everyone (all on screen).
    Stage(Option<BTreeSet<ParticipantId>>),
    StartRecording {
        path: PathBuf,
        reply: tokio::sync::oneshot::Sender<Result<(), String>>,
    },
    StopRecording {
        reply: tokio::sync::oneshot::Sender<Option<Result<u64, String>>>,
    },
    /// Send this participant its picture (the output of its view) and its own mix, with these
    /// payload types; `None` stops that medium.
    Receive {
        id: ParticipantId,
        video_to: Option<VideoTo>,
        audio_to: Option<AudioTo>,
        /// The sockets the participant's media arrives on, to send from.
        from: SendFrom,
    },
    /// A keyframe from the encoder of what this participant sees.
    Keyframe(ParticipantId),
    /// The participant whose picture fills the content slot (a shared screen), shown in every
    /// layout while set; it is in no window.
    Content(Option<ParticipantId>),
    /// What this participant sees (resolved by the runtime: individual, group or all layout;
    /// the stage or everyone).
    View(ParticipantId, View),
    /// The quality tier of its view this participant receives (its link's estimate).
    Tier(ParticipantId, Tier),
    /// Play this participant's own mix here (a local endpoint's loudspeaker).
    Play(ParticipantId, Playback),
}

#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    ActiveSpeaker(Option<ParticipantId>),
    RecordingFailed(String),
    /// A participant's input could not be used (wrong size, garbage); it is shown as camera-off.
    BadInput(ParticipantId, String),
    /// A phone pressed a key (an RFC 4733 event in its audio, after admission).
    Key(ParticipantId, char),
    /// The largest size a participant's picture is shown at changed (`None`: not shown), as
    /// [`super::shown_size`] tells it.
    ShownSize(ParticipantId, Option<(u32, u32)>),
    /// A device attached to the server went away, came back or failed (for the history).
    DeviceNews(ParticipantId, String),
}

struct Member {
    id: ParticipantId,
    name: String,
    slot: Arc<MediaSlot>,
    camera: bool,
    microphone: bool,
    _keep: Keepalive,
    bad_input_reported: bool,
    view: Option<View>,
    video_to: Option<VideoTo>,
    send_from: SendFrom,
    tier: Tier,
    /// The output this participant's video sender is subscribed to.
    watching: Option<OutputKey>,
    video_out: Option<RtpVideoSender>,
    audio_out: Option<AudioOut>,
    playback: Option<Playback>,
    /// The size its sender was told its picture is shown at.
    told: super::shown_size::Told,
}

/// What an output shows: a layout, of the stage or of everyone (decided by the conference core).
pub use tessera_conference::live::View;

/// Where a participant's picture goes: address, codec and payload type, and for H.264 whether
/// as single NAL units (packetization mode 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoTo {
    pub to: SocketAddr,
    pub codec: VideoCodec,
    pub pt: u8,
    pub single_nal: bool,
}

/// Where a participant's own mix goes: address, codec and payload type, and for Opus whether
/// with discontinuous transmission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioTo {
    pub to: SocketAddr,
    pub codec: AudioCodec,
    pub pt: u8,
    pub dtx: bool,
}

impl AudioTo {
    /// To `to`, in the codec and payload type of `spec` (an [`super::rtp_input::RtpSpec`]'s audio).
    pub fn of(to: SocketAddr, (codec, pt, _port): (AudioCodec, u8, u16), dtx: bool) -> AudioTo {
        AudioTo { to, codec, pt, dtx: dtx && codec == AudioCodec::Opus }
    }
}

/// What tells outputs apart: the view, the codec, the quality tier.
type OutputKey = (View, VideoCodec, Tier);

/// One distinct output: a view composed and encoded once in one codec at one quality tier, for
/// everyone who sees it so.
struct Output {
    view: View,
    codec: VideoCodec,
    tier: Tier,
    compositor: Compositor,
    encoder: Encoder,
    /// Nobody receives its video: it is neither composed nor encoded (after its first frame,
    /// which sets the encoder's timestamps); the first receiver gets a keyframe at once.
    idle: bool,
}

impl Output {
    fn is(&self, key: &OutputKey) -> bool {
        self.view == key.0 && self.codec == key.1 && self.tier == key.2
    }

    fn key(&self) -> OutputKey {
        (self.view.clone(), self.codec, self.tier)
    }
}

pub struct EngineSettings {
    pub encoder: EncoderSettings,
    pub background: Yuv,
}

/// Starts the engine thread. It stops when every sender of `rx` is gone.
pub fn spawn(
    conference: String,
    settings: EngineSettings,
    rx: Receiver<EngineCmd>,
    events: tokio::sync::mpsc::UnboundedSender<EngineEvent>,
) -> anyhow::Result<(std::thread::JoinHandle<()>, EncodedStreams)> {
    let encoder = Encoder::start(&conference, &settings.encoder, VideoCodec::H264)?;
    let streams = encoder.streams();
    let compositor = Compositor::new(settings.encoder.width, settings.encoder.height, settings.background)?;
    let main = Output {
        view: View { layout: Layout::default(), everyone: false },
        codec: VideoCodec::H264,
        tier: Tier::Full,
        compositor,
        encoder,
        idle: false,
    };
    let thread = std::thread::Builder::new().name(format!("media {conference}")).spawn(move || {
        let mut e = Engine {
            conference,
            fps: settings.encoder.fps,
            outputs: vec![main],
            settings,
            tiles: TileCache::new(),
            mixer: AudioMixer::new(),
            members: Vec::new(),
            stage: None,
            recorder: None,
            events,
            speaker: None,
            viewers_moved: false,
            failed_tx: None,
            content: None,
        };
        e.run(rx);
    })?;
    Ok((thread, streams))
}

struct Engine {
    conference: String,
    fps: u32,
    /// `outputs[0]` is the conference's own (layout for all: RTSP, multicast, recording); the
    /// others exist while someone sees a different layout.
    outputs: Vec<Output>,
    settings: EngineSettings,
    tiles: TileCache,
    mixer: AudioMixer,
    members: Vec<Member>,
    stage: Option<BTreeSet<ParticipantId>>,
    recorder: Option<Recorder>,
    events: tokio::sync::mpsc::UnboundedSender<EngineEvent>,
    speaker: Option<ParticipantId>,
    /// A view, a layout or a receiver changed: place the viewers after the queued commands.
    viewers_moved: bool,
    failed_tx: Option<Sender<String>>,
    content: Option<ParticipantId>,
}

impl Engine {
    fn run(&mut self, rx: Receiver<EngineCmd>) {
        let start = Instant::now();
        let period = Duration::from_secs(1) / self.fps;
        let audio_period = Duration::from_millis(20);
        let (mut video_n, mut audio_n) = (0u64, 0u64);
        let (failed_tx, failed_rx) = std::sync::mpsc::channel::<String>();
        self.failed_tx = Some(failed_tx);
        let mut audio_buf = Vec::with_capacity(FRAME);
        loop {
            let next_video = start + period * video_n as u32;
            let next_audio = start + audio_period * audio_n as u32;
            let wake = next_video.min(next_audio);
            match rx.recv_timeout(wake.saturating_duration_since(Instant::now())) {
                Ok(cmd) => {
                    // A change comes as several commands sent together (the stage, the main
                    // layout, each viewer's view): take all that are queued, then place the
                    // viewers once, so no output is started for a view that is already gone.
                    self.handle(cmd);
                    while let Ok(cmd) = rx.try_recv() {
                        self.handle(cmd);
                    }
                    if std::mem::take(&mut self.viewers_moved) {
                        self.place_viewers();
                    }
                    continue;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if let Ok(msg) = failed_rx.try_recv() {
                // The recorder failed (disk full…): drop it, the conference goes on.
                self.recorder = None;
                let _ = self.events.send(EngineEvent::RecordingFailed(msg));
            }
            let now = Instant::now();
            if now >= next_audio {
                self.audio_tick(audio_n, &mut audio_buf);
                audio_n += 1;
            }
            if now >= next_video {
                self.video_tick(video_n, period);
                video_n += 1;
                // Far behind (the machine stalled): skip ahead rather than burst.
                let behind = now.saturating_duration_since(start + period * video_n as u32);
                if behind > period * 5 {
                    let skip = (behind.as_nanos() / period.as_nanos()) as u64;
                    video_n += skip;
                    metrics::counter!("tessera_media_frames_skipped_total").increment(skip);
                }
            }
            if now.saturating_duration_since(start + audio_period * audio_n as u32) > audio_period * 10 {
                audio_n = (now - start).as_millis() as u64 / 20;
            }
        }
        if let Some(r) = self.recorder.take() {
            let _ = r.stop();
        }
        tracing::debug!(conference = %self.conference, "media engine stopped");
    }

    fn member(&mut self, id: ParticipantId) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    fn heard(&self, m: &Member) -> bool {
        m.microphone && self.stage.as_ref().is_none_or(|s| s.contains(&m.id))
    }

    fn sync_mixer(&mut self) {
        let heard: Vec<(ParticipantId, bool)> = self.members.iter().map(|m| (m.id, self.heard(m))).collect();
        for (id, h) in heard {
            let _ = self.mixer.set_muted(id, !h);
        }
    }

    fn handle(&mut self, cmd: EngineCmd) {
        match cmd {
            EngineCmd::Add { id, name, slot, keep } => {
                self.mixer.add(id);
                self.members.push(Member {
                    id,
                    name,
                    slot,
                    camera: true,
                    microphone: true,
                    _keep: keep,
                    bad_input_reported: false,
                    view: None,
                    video_to: None,
                    send_from: SendFrom::default(),
                    tier: Tier::Full,
                    watching: None,
                    video_out: None,
                    audio_out: None,
                    playback: None,
                    told: Default::default(),
                });
                self.sync_mixer();
            }
            EngineCmd::Remove(id) => {
                self.members.retain(|m| m.id != id);
                self.mixer.remove(id);
                self.viewers_moved = true;
            }
            EngineCmd::Camera(id, on) => {
                if let Some(m) = self.member(id) {
                    m.camera = on;
                }
            }
            EngineCmd::Microphone(id, on) => {
                if let Some(m) = self.member(id) {
                    m.microphone = on;
                }
                self.sync_mixer();
            }
            EngineCmd::Gain(id, g) => {
                let _ = self.mixer.set_gain(id, g);
            }
            EngineCmd::Rename(id, name) => {
                if let Some(m) = self.member(id) {
                    m.name = name;
                }
            }
            EngineCmd::Layout(l) => {
                self.outputs[0].view.layout = l;
                self.viewers_moved = true;
            }
            EngineCmd::View(id, l) => {
                if let Some(m) = self.member(id) {
                    m.view = Some(l);
                }
                self.viewers_moved = true;
            }
            EngineCmd::Tier(id, tier) => {
                if let Some(m) = self.member(id) {
                    m.tier = tier;
                }
                self.viewers_moved = true;
            }
            EngineCmd::Keyframe(id) => {
                let watching = self.members.iter().find(|m| m.id == id).and_then(|m| m.watching.clone());
                if let Some(o) = watching.and_then(|k| self.outputs.iter().find(|o| o.is(&k))) {
                    o.encoder.streams().request_keyframe();
                }
            }
            EngineCmd::Receive { id, video_to, audio_to, from } => {
                let audio = audio_to.map(|dest| {
                    let protect = super::srtp::protector(from.srtp.audio.as_ref())?;
                    let sent = from.sent.audio.as_ref();
                    AudioOut::start(&dest, from.audio.as_ref(), from.audio_latch.as_ref(), protect, sent)
                });
                let conference = self.conference.clone();
                if let Some(m) = self.member(id) {
                    m.video_to = video_to;
                    m.send_from = from;
                    m.audio_out = match audio {
                        Some(Ok(a)) => Some(a),
                        Some(Err(e)) => {
                            tracing::error!(conference = %conference, participant = id, error = %format!("{e:#}"), "cannot send audio");
                            None
                        }
                        None => None,
                    };
                }
                self.viewers_moved = true;
            }
            EngineCmd::Play(id, playback) => {
                if let Some(m) = self.member(id) {
                    m.playback = Some(playback);
                }
            }
            EngineCmd::Content(c) => self.content = c,
            EngineCmd::Stage(s) => {
                self.stage = s;
                self.sync_mixer();
            }
            EngineCmd::StartRecording { path, reply } => {
                let r = if self.recorder.is_some() {
                    Err("already recording".to_string())
                } else {
                    let tx = self.failed_tx.clone();
                    let failed = move |msg: String| {
                        if let Some(tx) = &tx {
                            let _ = tx.send(msg);
                        }
                    };
                    match Recorder::start(&path, &self.outputs[0].encoder.streams(), failed) {
                        Ok(r) => {
                            self.recorder = Some(r);
                            Ok(())
                        }
                        Err(e) => Err(format!("{e:#}")),
                    }
                };
                let _ = reply.send(r);
            }
            EngineCmd::StopRecording { reply } => {
                let _ = reply.send(self.recorder.take().map(Recorder::stop));
            }
        }
    }

    fn audio_tick(&mut self, n: u64, buf: &mut Vec<i16>) {
        for m in &self.members {
            if m.slot.take_audio(FRAME, buf) {
                let _ = self.mixer.push(m.id, RATE, buf);
            }
        }
        let mix = self.mixer.mix(n * 20);
        if mix.active_speaker != self.speaker {
            self.speaker = mix.active_speaker;
            let _ = self.events.send(EngineEvent::ActiveSpeaker(self.speaker));
        }
        // The full mix is encoded only while someone receives it (RTSP, multicast, recording).
        self.outputs[0].encoder.push_mix(&mix.full, gst::ClockTime::from_mseconds(n * 20));
        for m in &mut self.members {
            let Some(own) = mix.for_participant.get(&m.id) else { continue };
            if let Some(out) = m.audio_out.as_mut() {
                out.push(own);
            }
            if let Some(play) = m.playback.as_mut() {
                play(own);
            }
        }
    }

    fn video_tick(&mut self, n: u64, period: Duration) {
        // Everyone, in join order; speaker layouts put the active speaker first. Outputs show the
        // stage (who the mode lets be seen), except an output for someone who sees everyone
        // (the presenter of a video lecture).
        let content_id = self.content;
        let on_screen: Vec<&Member> = self.members.iter().filter(|m| Some(m.id) != content_id).collect();
        // A shared screen whose "camera" the moderator turned off leaves the slot empty.
        let content_member = content_id.and_then(|c| self.members.iter().find(|m| m.id == c && m.camera));
        let frames: Vec<Option<VideoFrame>> =
            on_screen.iter().map(|m| if m.camera { m.slot.latest_video() } else { None }).collect();
        let maps: Vec<Option<gst::BufferMap<'_, gst::buffer::Readable>>> =
            frames.iter().map(|f| f.as_ref().and_then(|f| f.buffer.map_readable().ok())).collect();
        let mut bad: Vec<(ParticipantId, String)> = Vec::new();
        let sources: Vec<Source> = on_screen
            .iter()
            .zip(frames.iter().zip(&maps))
            .map(|(m, (f, map))| {
                let frame = match (f, map) {
                    (Some(f), Some(map)) => match frame_ref(f, map) {
                        Ok(r) => Some(r),
                        Err(e) => {
                            if !m.bad_input_reported {
                                bad.push((m.id, e));
                            }
                            None
                        }
                    },
                    _ => None,
                };
                let seq = if frame.is_some() { f.as_ref().map_or(0, |f| f.seq) } else { 0 };
                Source { id: m.id, seq, frame, name: &m.name, muted: !m.microphone }
            })
            .collect();
        let content_frame = content_member.and_then(|m| m.slot.latest_video().map(|f| (m, f)));
        let content_map = content_frame.as_ref().and_then(|(_, f)| f.buffer.map_readable().ok());
        let content_source = match (&content_frame, &content_map) {
            (Some((m, f)), Some(map)) => frame_ref(f, map).ok().map(|r| Source {
                id: m.id,
                seq: f.seq,
                frame: Some(r),
                name: &m.name,
                muted: false,
            }),
            _ => None,
        };
        let staged: Vec<Source> =
            sources.iter().filter(|s| self.stage.as_ref().is_none_or(|st| st.contains(&s.id))).copied().collect();
        let pts = gst::ClockTime::from_nseconds((period * n as u32).as_nanos() as u64);
        let duration = gst::ClockTime::from_nseconds(period.as_nanos() as u64);
        // Whose pictures some output someone receives shows (only those are decoded), and the
        // largest window each is shown in: what the compositors placed.
        let mut seen: BTreeSet<ParticipantId> = BTreeSet::new();
        let mut sizes: std::collections::HashMap<ParticipantId, (u32, u32)> = std::collections::HashMap::new();
        for out in &mut self.outputs {
            // Do less work: a picture nobody receives is not made.
            let v = &out.encoder.video;
            if !v.watched() && v.started() {
                out.idle = true;
                metrics::counter!("tessera_media_frames_skipped_unwatched_total").increment(1);
                continue;
            }
            if std::mem::take(&mut out.idle) {
                out.encoder.streams().request_keyframe();
            }
            let shown = if out.view.everyone { &sources } else { &staged };
            // Who fills which window is the core's rule (the active speaker first in speaker
            // layouts); the compositor takes them in this order.
            let ids: Vec<ParticipantId> = shown.iter().map(|s| s.id).collect();
            let ordered: Vec<Source> = windows::order(&out.view.layout, &ids, self.speaker)
                .into_iter()
                .filter_map(|id| shown.iter().find(|s| s.id == id).copied())
                .collect();
            let shown = &ordered;
            // While someone shares a screen, every layout shows its content slot.
            let with_slot;
            let layout = if content_id.is_some() && !out.view.layout.content_slot {
                with_slot = Layout { content_slot: true, ..out.view.layout.clone() };
                &with_slot
            } else {
                &out.view.layout
            };
            match out.compositor.compose(layout, shown, content_source.as_ref(), &mut self.tiles) {
                Ok(canvas) => {
                    out.encoder.push_video(canvas, pts, duration);
                    metrics::counter!("tessera_media_frames_composed_total").increment(1);
                    for (p, r) in out.compositor.placed() {
                        seen.insert(p);
                        let e = sizes.entry(p).or_insert((0, 0));
                        if u64::from(r.w) * u64::from(r.h) > u64::from(e.0) * u64::from(e.1) {
                            *e = (r.w, r.h);
                        }
                    }
                }
                Err(e) => {
                    metrics::counter!("tessera_media_compose_errors_total").increment(1);
                    tracing::warn!(conference = %self.conference, error = %e, "composing failed");
                }
            }
        }
        self.tiles.end_frame();
        drop(staged);
        drop(content_map);
        drop(sources);
        drop(maps);
        let now = Instant::now();
        for m in &mut self.members {
            m.slot.set_shown(m.camera && seen.contains(&m.id));
            let size = sizes.get(&m.id).copied().filter(|_| m.camera);
            if let Some(told) = m.told.update(size, now) {
                m.slot.show_at(told);
                let _ = self.events.send(EngineEvent::ShownSize(m.id, told));
            }
        }
        for (id, e) in bad {
            tracing::warn!(conference = %self.conference, participant = id, error = %e, "participant's video dropped");
            if let Some(m) = self.member(id) {
                m.bad_input_reported = true;
            }
            let _ = self.events.send(EngineEvent::BadInput(id, e));
        }
    }
}

impl Engine {
    /// Subscribes every participant who receives video to the output of the layout they see,
    /// creating that output when nobody saw it yet and dropping outputs nobody sees any more.
    fn place_viewers(&mut self) {
        // An output whose viewers all moved to one view that no output shows yet keeps its
        // encoder and composes the new view (a join that grows the grid changes everyone's
        // view at once). The main output (RTSP, recording) follows the main layout only.
        for oi in 1..self.outputs.len() {
            let key = self.outputs[oi].key();
            let watchers: Vec<usize> = (0..self.members.len())
                .filter(|&i| self.members[i].video_out.is_some() && self.members[i].watching.as_ref() == Some(&key))
                .collect();
            let Some(&first) = watchers.first() else { continue };
            let want = self.members[first].view.clone().unwrap_or_else(|| self.outputs[0].view.clone());
            let all_same = watchers.iter().all(|&i| {
                self.members[i].view.as_ref().unwrap_or(&self.outputs[0].view) == &want
                    && self.members[i].video_to.is_some_and(|d| d.codec == key.1)
                    && self.members[i].tier == key.2
            });
            let moved = (want.clone(), key.1, key.2);
            if !all_same || want == key.0 || self.outputs.iter().any(|o| o.is(&moved)) {
                continue;
            }
            self.outputs[oi].view = want;
            for i in watchers {
                self.members[i].watching = Some(moved.clone());
            }
        }
        for i in 0..self.members.len() {
            let Some(dest) = self.members[i].video_to else {
                self.members[i].video_out = None;
                self.members[i].watching = None;
                continue;
            };
            let view = self.members[i].view.clone().unwrap_or_else(|| self.outputs[0].view.clone());
            let want = (view, dest.codec, self.members[i].tier);
            if self.members[i].watching.as_ref() == Some(&want) && self.members[i].video_out.is_some() {
                continue;
            }
            let idx = match self.outputs.iter().position(|o| o.is(&want)) {
                Some(i) => i,
                None => match self.new_output(want.clone()) {
                    Ok(o) => {
                        self.outputs.push(o);
                        self.outputs.len() - 1
                    }
                    Err(e) => {
                        tracing::error!(conference = %self.conference, error = %format!("{e:#}"), "cannot start an output");
                        continue;
                    }
                },
            };
            let m = &mut self.members[i];
            m.video_out = None;
            let started = super::srtp::protector(m.send_from.srtp.video.as_ref()).and_then(|protect| {
                RtpVideoSender::start(
                    &dest,
                    &self.outputs[idx].encoder.streams(),
                    m.send_from.video.as_ref(),
                    protect,
                    m.send_from.sent.video.as_ref(),
                )
            });
            match started {
                Ok(v) => {
                    m.video_out = Some(v);
                    m.watching = Some(want);
                }
                Err(e) => {
                    tracing::error!(conference = %self.conference, participant = m.id, error = %format!("{e:#}"), "cannot send video")
                }
            }
        }
        let members = &self.members;
        let mut first = true;
        self.outputs.retain(|o| {
            let keep =
                first || members.iter().any(|m| m.video_out.is_some() && m.watching.as_ref().is_some_and(|k| o.is(k)));
            first = false;
            keep
        });
    }

    /// An output for a view, codec and tier nobody else receives: its own compositor and
    /// encoder, at the tier's size and bitrate.
    fn new_output(&self, (view, codec, tier): OutputKey) -> anyhow::Result<Output> {
        let full = &self.settings.encoder;
        let (width, height) = tier.size(full.width, full.height);
        let s = EncoderSettings { width, height, video_kbps: tier.video_kbps(full.video_kbps), ..*full };
        let encoder = Encoder::start(&format!("{} (another layout, codec or tier)", self.conference), &s, codec)?;
        let compositor = Compositor::new(s.width, s.height, self.settings.background)?;
        tracing::info!(
            conference = %self.conference, outputs = self.outputs.len() + 1, codec = ?codec, tier = %tier,
            width, height, kbps = s.video_kbps, "output started for another layout, codec or tier"
        );
        metrics::counter!("tessera_media_tier_outputs_started_total", "tier" => tier.as_str()).increment(1);
        Ok(Output { view, codec, tier, compositor, encoder, idle: false })
    }
}

fn frame_ref<'a>(f: &VideoFrame, data: &'a [u8]) -> Result<FrameRef<'a>, String> {
    let plane = |i: usize| data.get(f.offsets[i]..).ok_or_else(|| format!("plane {i} offset beyond the buffer"));
    FrameRef::i420(f.width, f.height, plane(0)?, f.strides[0], plane(1)?, f.strides[1], plane(2)?, f.strides[2])
        .map_err(|e| e.to_string())
}
