//! One browser in a conference. The `webrtc` crate does ICE, DTLS-SRTP, bundle, rtcp-mux, NACK
//! and reports; between it and the conference runtime the media is plain RTP on loopback:
//!
//! - browser → Tessera: each received packet (decrypted, payload type rewritten to the one the
//!   runtime expects) is sent to the participant's RTP input port, exactly as a SIP phone's
//!   would arrive;
//! - Tessera → browser: the runtime sends the participant's view (VP8, or H.264 where the
//!   browser's offer prefers it: see [`super::codecs`]) and its mix (Opus) to
//!   two loopback sockets of this peer, which writes each packet to the browser's track.
//!
//! The browser's PLI/FIR become keyframe requests of the output it watches; its reception
//! reports and REMB estimates move it between the quality tiers of its layout (the core's
//! `quality::Estimator`), and [`super::continuity`] makes the senders it is moved between one
//! stream. The peer ends when
//! the page leaves (its WebSocket closes), when ICE or DTLS fails or does not connect in time,
//! or when the participant is removed or the conference ends; the runtime then forgets it.

use super::codecs::{BrowserVideo, preferred};
use super::continuity::Continuity;
use super::keyframes::{KeyframeRequests, estimate_for, is_keyframe_request, reception_reports};
use crate::media::tiers::Tiers;
use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::{Registry, Slot};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_RTX, MIME_TYPE_VP8, MediaEngine,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::RTCDtlsRole;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RTCRtpRtxParameters, RtpCodecKind,
};
use rtc::shared::marshal::{Marshal, Unmarshal};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tessera_conference::quality::Estimator;
use tessera_mixer::layout::{EndpointGroup, ParticipantId};
use tessera_sip_h323_bridge::rtp::rtcp;
use tessera_web::control::{Control, ControlError, EventKind, PayloadTypes, Request, RtpPorts};
use tessera_web::error::Msg;
use tessera_web::rtc::{JoinReply, JoinRequest, Joined};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionState,
};
use webrtc::rtp_transceiver::RtpSender;
use webrtc::runtime::Runtime;

/// What Opus to a browser takes, kbit/s (`rtp_output`'s encoder).
const BROWSER_AUDIO_KBPS: u32 = 32;
/// The payload types of the runtime's RTP input for a browser (the browser's own are rewritten).
const VIDEO_PT: u8 = 97;
const AUDIO_PT: u8 = 111;
pub const MAX_OFFER_BYTES: usize = 64 * 1024;
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);
/// ICE and DTLS must be up this long after the answer, or the peer is given up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Settings {
    /// Where ICE gathers host candidates (`webrtc.ice_addresses`).
    pub ice: Vec<IpAddr>,
    /// The port range and the external address (`media.rtp_ports`, `media.external_address`).
    pub media: Arc<crate::media::sockets::MediaSockets>,
    /// Passive TCP candidates beside the UDP ones (`webrtc.ice_tcp`).
    pub ice_tcp: bool,
    /// Where the runtime's RTP inputs listen.
    pub rtp_bind: IpAddr,
    /// The layouts' video bitrate (`media.video_kbps`): the full quality tier's.
    pub video_kbps: u32,
    pub runtime: Arc<dyn Runtime>,
}

impl Settings {
    fn input_host(&self) -> IpAddr {
        if self.rtp_bind.is_unspecified() { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { self.rtp_bind }
    }
}

struct Handler {
    tracks: mpsc::UnboundedSender<Arc<dyn TrackRemote>>,
    states: mpsc::UnboundedSender<RTCPeerConnectionState>,
    gathered: mpsc::UnboundedSender<()>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(());
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.states.send(state);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.tracks.send(track);
    }
}

fn invalid(field: &str, message: impl ToString) -> ControlError {
    ControlError::Invalid { field: field.into(), message: Msg::text(message.to_string()) }
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> ControlError {
    tracing::warn!(error = %e, "WebRTC: {what}");
    ControlError::Unavailable(Msg::text(format!("{what}: {e}")))
}

fn codec(
    mime: &str,
    clock_rate: u32,
    channels: u16,
    fmtp: &str,
    pt: u8,
    feedback: &[(&str, &str)],
) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.into(),
            clock_rate,
            channels,
            sdp_fmtp_line: fmtp.into(),
            rtcp_feedback: feedback
                .iter()
                .map(|(t, p)| RTCPFeedback { typ: (*t).into(), parameter: (*p).into() })
                .collect(),
        },
        payload_type: pt,
    }
}

/// A track of Tessera's; video ones carry an RTX stream (RFC 4588) for what the browser's NACKs
/// ask again.
fn local_track(kind: RtpCodecKind, codec: &RTCRtpCodecParameters, label: &str) -> (Arc<TrackLocalStaticRTP>, u32) {
    let ssrc = rand::random::<u32>();
    let rtx = (kind == RtpCodecKind::Video).then(|| RTCRtpRtxParameters { ssrc: rand::random::<u32>() });
    let track = TrackLocalStaticRTP::new(MediaStreamTrack::new(
        "tessera".into(),
        format!("tessera-{kind}"),
        label.into(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(ssrc), rtx, ..Default::default() },
            codec: codec.rtp_codec.clone(),
            ..Default::default()
        }],
    ));
    (Arc::new(track), ssrc)
}

/// What the browser gets from Tessera: a track and the loopback socket the runtime sends it to.
struct Outgoing {
    clock_rate: u32,
    track: Arc<TrackLocalStaticRTP>,
    sender: Arc<dyn RtpSender>,
    ssrc: u32,
    /// The payload type the browser's answer gave this codec.
    pt: u8,
    socket: UdpSocket,
}

pub async fn join(settings: Arc<Settings>, control: Control, req: JoinRequest) -> JoinReply {
    if req.offer.len() > MAX_OFFER_BYTES {
        return Err(invalid("sdp", "the offer is longer than 64 KiB"));
    }
    let wanted = preferred(&req.offer);
    let offer = RTCSessionDescription::offer(req.offer).map_err(|e| invalid("sdp", e))?;

    // One video codec in the answer: the one the browser prefers, so that it sends it too.
    // NACK and PLI are added by the default interceptors (configure_nack).
    let feedback = [("ccm", "fir"), ("goog-remb", "")];
    let video_codec = match wanted {
        BrowserVideo::Vp8 => codec(MIME_TYPE_VP8, 90_000, 0, "", 96, &feedback),
        BrowserVideo::H264 => codec(
            MIME_TYPE_H264,
            90_000,
            0,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            102,
            &feedback,
        ),
    };
    let opus = codec(MIME_TYPE_OPUS, 48_000, 2, "minptime=10;useinbandfec=1;usedtx=1", 111, &[]);
    let mut engine = MediaEngine::default();
    engine
        .register_codec(video_codec.clone(), RtpCodecKind::Video)
        .map_err(|e| unavailable("registering the video codec", e))?;
    // Retransmissions on their own stream (RTX), so the browser tells them from the originals
    // (the NACK responder of the default interceptors sends them).
    let apt = format!("apt={}", video_codec.payload_type);
    let rtx = codec(MIME_TYPE_RTX, 90_000, 0, &apt, video_codec.payload_type + 1, &[]);
    engine.register_codec(rtx, RtpCodecKind::Video).map_err(|e| unavailable("registering RTX", e))?;
    engine.register_codec(opus.clone(), RtpCodecKind::Audio).map_err(|e| unavailable("registering Opus", e))?;
    let registry = register_default_interceptors(Registry::new(), &mut engine)
        .map_err(|e| unavailable("setting up interceptors", e))?
        .with(Slot::from(14_000), KeyframeRequests::default())
        // Between the wire and the NACK responder (4_000): what a NACK may have resent.
        .with(Slot::from(3_500), super::nack_guard::NackGuard::default());

    let (tracks_tx, mut tracks) = mpsc::unbounded_channel();
    let (states_tx, mut states) = mpsc::unbounded_channel();
    let (gathered_tx, mut gathered) = mpsc::unbounded_channel();
    let handler = Arc::new(Handler { tracks: tracks_tx, states: states_tx, gathered: gathered_tx });
    // ICE lite, as media servers with reachable host candidates do: the browser checks and
    // nominates, the server answers (a full agent waits for its own 200 ms check tick before it
    // calls the pair connected). No mDNS: browsers that granted camera access give their
    // addresses, the rest are learnt from their checks; the server joins no multicast group.
    // DTLS server (setup:passive): the browser's ClientHello follows its ICE nomination at once;
    // as DTLS client the webrtc crate sends its first flight only at its next timer, about 130 ms
    // later.
    let settings_engine = SettingEngineBuilder::new()
        .with_lite(true)
        .with_answering_dtls_role(RTCDtlsRole::Server)
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        .build();
    // One UDP port per address, and with ICE over TCP one TCP port (a passive candidate, for
    // networks that block UDP), from `media.rtp_ports` when a range is set.
    let (mut udp, mut tcp) = (Vec::new(), Vec::new());
    for ip in &settings.ice {
        let port = settings.media.free_port(*ip).map_err(|e| unavailable("finding a media port", e))?;
        udp.push(SocketAddr::new(*ip, port));
        if settings.ice_tcp {
            let port = settings.media.free_tcp_port(*ip).map_err(|e| unavailable("finding a media port", e))?;
            tcp.push(SocketAddr::new(*ip, port));
        }
    }
    let pc = PeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_setting_engine(settings_engine)
        .with_media_engine(engine)
        .with_interceptor_registry(registry)
        .with_handler(handler)
        .with_runtime(settings.runtime.clone())
        .with_udp_addrs(udp)
        .with_tcp_addrs(tcp)
        .build()
        .await
        .map_err(|e| unavailable("creating the peer connection", e))?;
    let pc: Arc<dyn PeerConnection> = Arc::new(pc);

    // A screen share only sends; a participant receives the layout and the mix.
    let mut outgoing = Vec::new();
    if !req.content {
        for (kind, c, label) in
            [(RtpCodecKind::Video, &video_codec, "Tessera layout"), (RtpCodecKind::Audio, &opus, "Tessera mix")]
        {
            let (track, ssrc) = local_track(kind, c, label);
            let sender = match pc.add_track(track.clone() as Arc<dyn TrackLocal>).await {
                Ok(s) => s,
                Err(e) => {
                    let _ = pc.close().await;
                    return Err(unavailable("adding a track", e));
                }
            };
            let socket = crate::media::sockets::MediaSockets::loopback_relay()
                .and_then(UdpSocket::from_std)
                .map_err(|e| unavailable("binding a relay", e))?;
            let clock_rate = c.rtp_codec.clock_rate;
            outgoing.push(Outgoing { clock_rate, track, sender, ssrc, pt: c.payload_type, socket });
        }
    }

    let started = std::time::Instant::now();
    let answer = match negotiate(pc.as_ref(), offer, &mut gathered).await {
        // Behind a 1:1 NAT the host candidates carry the public address (their sockets stay local).
        Ok(a) => match settings.media.external() {
            Some(e) => super::announce::host_candidates_on(&a, e),
            None => a,
        },
        Err(e) => {
            let _ = pc.close().await;
            return Err(e);
        }
    };
    for o in &mut outgoing {
        if let Some(c) = o.sender.get_parameters().await.ok().and_then(|p| p.rtp_parameters.codecs.first().cloned()) {
            o.pt = c.payload_type;
        }
    }
    let has = |kind: &str| {
        answer.lines().any(|l| l.starts_with(&format!("m={kind} ")) && !l.starts_with(&format!("m={kind} 0 ")))
    };
    let (video, audio) = (has("video"), has("audio") && !req.content);
    if !video && !audio {
        let _ = pc.close().await;
        return Err(invalid("sdp", "the offer has neither VP8 or H.264 video nor Opus audio"));
    }

    let video_to = outgoing.first().and_then(|o| o.socket.local_addr().ok()).map(|a| a.to_string());
    let audio_to = outgoing.get(1).and_then(|o| o.socket.local_addr().ok()).map(|a| a.to_string());
    let add = Request::AddRtp {
        name: req.name.clone(),
        video: video.then(|| if wanted == BrowserVideo::H264 { "h264" } else { "vp8" }.into()),
        audio: audio.then(|| "opus".into()),
        video_to: video_to.filter(|_| !req.content),
        audio_to: audio_to.filter(|_| audio),
        payload_types: Some(PayloadTypes { video: Some(VIDEO_PT), audio: Some(AUDIO_PT), ..Default::default() }),
        ports: None,
        group: Some(EndpointGroup::WebRtc),
        content: req.content,
        user: req.user.filter(|_| !req.content),
        guest: req.guest.filter(|_| !req.content),
        srtp: None,
        ends_without_media: false,
        // The relay on this host sends the browser's packets on.
        sources: vec![settings.input_host()],
    };
    let negotiated = started.elapsed();
    // The media plane asks for keyframes here (a PLI to the browser): its picture is then
    // decoded only while someone sees it.
    let keyframes = crate::media::slot::SenderAsks::default();
    let shown = keyframes.shown.subscribe();
    let mut handoff = crate::media::handoff::Bound::default();
    handoff.2 = Some(keyframes.clone());
    let state = match control.call_with(&req.conference, req.user, add, Box::new(handoff)).await {
        Ok(s) => s,
        Err(e) => {
            let _ = pc.close().await;
            return Err(e);
        }
    };
    // The answer names the participant the join created.
    let Some(me) = state.joined.and_then(|id| state.participants.iter().find(|p| p.id == id)) else {
        let _ = pc.close().await;
        return Err(ControlError::Unavailable(Msg::text("the conference did not take the participant")));
    };
    let (participant, ports) = (me.id, me.rtp_ports.unwrap_or(RtpPorts { video: None, audio: None }));
    let joined = started.elapsed();
    metrics::histogram!("tessera_webrtc_answer_seconds").record(joined.as_secs_f64());
    tracing::info!(
        conference = %req.conference, participant, name = %req.name, content = req.content,
        negotiate_ms = negotiated.as_millis() as u64, join_ms = (joined - negotiated).as_millis() as u64,
        "WebRTC: browser joined"
    );
    metrics::counter!("tessera_webrtc_joins_total").increment(1);

    let link = tessera_web::links::LinkQuality::new(
        req.address.map_or_else(|| "browser".to_string(), |a| format!("{a} (browser)")),
        (!req.content).then(|| "opus/48000".to_string()),
        Some(if wanted == BrowserVideo::H264 { "H264" } else { "VP8" }.to_string()),
    );
    control.links.set(&req.conference, participant, link);
    let (leave, leave_rx) = oneshot::channel();
    let (ended_tx, ended) = oneshot::channel();
    let peer = Running {
        pc,
        control,
        conference: req.conference,
        participant,
        since: std::time::Instant::now(),
        video_kbps: settings.video_kbps,
        keyframes,
        inputs: (
            ports.video.map(|p| SocketAddr::new(settings.input_host(), p)),
            ports.audio.map(|p| SocketAddr::new(settings.input_host(), p)),
        ),
    };
    let span = tracing::info_span!("webrtc", conference = %peer.conference, participant);
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            let why = peer.run(outgoing, &mut tracks, &mut states, leave_rx).await;
            let _ = ended_tx.send(why);
        },
        span,
    ));
    Ok(Joined { participant, answer, leave, ended, shown })
}

async fn negotiate(
    pc: &dyn PeerConnection,
    offer: RTCSessionDescription,
    gathered: &mut mpsc::UnboundedReceiver<()>,
) -> Result<String, ControlError> {
    pc.set_remote_description(offer).await.map_err(|e| invalid("sdp", e))?;
    let answer = pc.create_answer(None).await.map_err(|e| invalid("sdp", e))?;
    pc.set_local_description(answer).await.map_err(|e| unavailable("applying the answer", e))?;
    // No trickle: the answer carries every host candidate (gathering them takes no round trip).
    let _ = tokio::time::timeout(GATHER_TIMEOUT, gathered.recv()).await;
    let local =
        pc.local_description().await.ok_or_else(|| ControlError::Unavailable(Msg::text("no local description")))?;
    Ok(local.sdp)
}

struct Running {
    pc: Arc<dyn PeerConnection>,
    control: Control,
    conference: String,
    participant: ParticipantId,
    /// The runtime's RTP input ports for this participant's video and audio.
    inputs: (Option<SocketAddr>, Option<SocketAddr>),
    /// When the answer was sent.
    since: std::time::Instant,
    video_kbps: u32,
    /// Where the media plane asks for a keyframe of the browser's video (and tells its size).
    keyframes: crate::media::slot::SenderAsks,
}

impl Running {
    async fn run(
        self,
        outgoing: Vec<Outgoing>,
        tracks: &mut mpsc::UnboundedReceiver<Arc<dyn TrackRemote>>,
        states: &mut mpsc::UnboundedReceiver<RTCPeerConnectionState>,
        mut leave: oneshot::Receiver<()>,
    ) -> String {
        metrics::gauge!("tessera_webrtc_peers").increment(1.0);
        let mut tasks = tokio::task::JoinSet::new();
        if let Some(video) = outgoing.first() {
            let (c, conf, p) = (self.control.clone(), self.conference.clone(), self.participant);
            // A browser starts at the half tier and ramps up within seconds on a clean link.
            let estimator = Estimator::ramping(self.video_kbps, BROWSER_AUDIO_KBPS);
            let tiers = Tiers::new(c.clone(), conf.clone(), p, "WebRTC", estimator);
            tasks.spawn(feedback(video.track.clone(), video.ssrc, c, conf, p, tiers));
        }
        let (connected_tx, connected_rx) = watch::channel(false);
        for o in outgoing {
            tasks.spawn(send_to_browser(o, connected_rx.clone()));
        }
        let mut events = self.control.events.subscribe_to(&self.conference);
        let relay = match UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await {
            Ok(s) => Arc::new(s),
            Err(e) => return self.end(tasks, format!("no relay socket: {e}")).await,
        };
        let connect_by = tokio::time::sleep(CONNECT_TIMEOUT);
        tokio::pin!(connect_by);
        let mut connected = false;
        let why = loop {
            tokio::select! {
                _ = &mut leave => break "the page left".to_string(),
                s = states.recv() => match s {
                    Some(RTCPeerConnectionState::Connected) => {
                        connected = true;
                        tracing::debug!(participant = self.participant, after_ms = self.since.elapsed().as_millis() as u64, "WebRTC: connected");
                        let _ = connected_tx.send(true);
                    }
                    Some(RTCPeerConnectionState::Failed) => break "the media connection failed (ICE or DTLS)".into(),
                    Some(RTCPeerConnectionState::Closed) | None => break "the media connection closed".into(),
                    Some(RTCPeerConnectionState::Disconnected) => {
                        tracing::info!(participant = self.participant, "WebRTC: disconnected, waiting for ICE to recover");
                    }
                    Some(_) => {}
                },
                _ = &mut connect_by, if !connected => break "the browser did not connect (ICE and DTLS) within 20 s".into(),
                t = tracks.recv() => if let Some(track) = t {
                    let to = match track.kind().await {
                        RtpCodecKind::Video => self.inputs.0.map(|a| (a, VIDEO_PT)),
                        RtpCodecKind::Audio => self.inputs.1.map(|a| (a, AUDIO_PT)),
                        _ => None,
                    };
                    if let Some((to, pt)) = to {
                        let c = Counted {
                            links: self.control.links.clone(),
                            conference: self.conference.clone(),
                            participant: self.participant,
                        };
                        let asked = (pt == VIDEO_PT).then(|| self.keyframes.clone());
                        tasks.spawn(receive_from_browser(track, relay.clone(), to, pt, c, asked));
                    }
                },
                e = events.recv() => match e {
                    Ok(e) if e.conference == self.conference && e.kind == EventKind::Left && e.participant == Some(self.participant) => {
                        return self.finish(tasks, e.detail).await;
                    }
                    Ok(e) if e.conference == self.conference && e.kind == EventKind::Ended => {
                        return self.finish(tasks, "the conference ended".into()).await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break "the media plane stopped".into(),
                    _ => {}
                },
            }
        };
        self.end(tasks, why).await
    }

    /// Leaves the conference, then closes the connection.
    async fn end(self, tasks: tokio::task::JoinSet<()>, why: String) -> String {
        let r = self.control.call(&self.conference, None, Request::Remove { participant: self.participant }).await;
        if let Err(e) = r
            && !matches!(e, ControlError::NoParticipant(_) | ControlError::NotRunning)
        {
            tracing::warn!(error = %e, participant = self.participant, "WebRTC: leaving the conference failed");
        }
        self.finish(tasks, why).await
    }

    async fn finish(self, mut tasks: tokio::task::JoinSet<()>, why: String) -> String {
        self.control.links.remove(&self.conference, self.participant);
        tasks.abort_all();
        if let Err(e) = self.pc.close().await {
            tracing::debug!(error = %e, "WebRTC: closing the peer connection");
        }
        metrics::gauge!("tessera_webrtc_peers").decrement(1.0);
        tracing::info!(conference = %self.conference, participant = self.participant, reason = %why, "WebRTC: browser left");
        why
    }
}

/// The browser's packets of one track, into the runtime's input port.
/// Where a browser's packets are counted, for its receive rate in the live view.
struct Counted {
    links: tessera_web::links::Links,
    conference: String,
    participant: ParticipantId,
}

async fn receive_from_browser(
    track: Arc<dyn TrackRemote>,
    socket: Arc<UdpSocket>,
    to: SocketAddr,
    pt: u8,
    c: Counted,
    asked: Option<crate::media::slot::SenderAsks>,
) {
    let video = track.kind().await == RtpCodecKind::Video;
    if video {
        tokio::spawn(ask_for_keyframes(track.clone()));
    }
    let _answering = asked.map(|asked| KillOnDrop(tokio::spawn(answer_keyframe_requests(track.clone(), asked))));
    let (mut bytes, mut sampled) = (0u64, std::time::Instant::now());
    // The browser's retransmissions (RTX, on their own SSRC) are not media for the runtime's
    // depayloader: only the primary streams go on.
    let mut repair: std::collections::HashMap<u32, bool> = std::collections::HashMap::new();
    while let Some(event) = track.poll().await {
        if let TrackRemoteEvent::OnRtpPacket(mut p) = event {
            let ssrc = p.header.ssrc;
            if !repair.contains_key(&ssrc) && repair.len() < 8 {
                let rtx = track.codec(ssrc).await.is_some_and(|c| c.mime_type.eq_ignore_ascii_case(MIME_TYPE_RTX));
                repair.insert(ssrc, rtx);
            }
            if repair.get(&ssrc).copied().unwrap_or(true) {
                continue;
            }
            p.header.payload_type = pt;
            match p.marshal() {
                Ok(b) => {
                    bytes += b.len() as u64;
                    if sampled.elapsed() >= Duration::from_secs(1) {
                        sampled = std::time::Instant::now();
                        let at = chrono::Utc::now().timestamp_millis();
                        c.links.received(&c.conference, c.participant, u32::from(video), bytes, at);
                    }
                    let _ = socket.send_to(&b, to).await;
                }
                Err(e) => tracing::debug!(error = %e, "WebRTC: a received packet did not re-encode"),
            }
        }
    }
}

/// The decoder of a browser's video starts at a keyframe. The browser sends one first, but the
/// pipeline may not have taken it (it starts while the first packets arrive), and browsers send
/// the next only when asked: ask a few times while the participant settles in.
async fn ask_for_keyframes(track: Arc<dyn TrackRemote>) {
    let Some(media_ssrc) = track.ssrcs().await.first().copied() else { return };
    for wait_ms in [300, 700, 1000, 2000, 4000] {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        let pli = PictureLossIndication { sender_ssrc: 0, media_ssrc };
        if track.write_rtcp(vec![Box::new(pli)]).await.is_err() {
            return;
        }
    }
}

/// A PLI to the browser each time the media plane asks for a keyframe of its video (its picture
/// is seen again after nobody saw it).
async fn answer_keyframe_requests(track: Arc<dyn TrackRemote>, asked: crate::media::slot::SenderAsks) {
    loop {
        asked.keyframe.notified().await;
        let Some(media_ssrc) = track.ssrcs().await.first().copied() else { continue };
        let pli = PictureLossIndication { sender_ssrc: 0, media_ssrc };
        if track.write_rtcp(vec![Box::new(pli)]).await.is_err() {
            return;
        }
    }
}

/// Aborts the task when dropped (it lives as long as its owner).
struct KillOnDrop(tokio::task::JoinHandle<()>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The runtime's packets for the browser, into its track (dropped until DTLS is up, as on a
/// wire).
async fn send_to_browser(o: Outgoing, connected: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 2048];
    let mut continuity = Continuity::new(o.clock_rate);
    let start = std::time::Instant::now();
    while let Ok(n) = o.socket.recv(&mut buf).await {
        if !*connected.borrow() {
            continue;
        }
        let Ok(mut p) = rtc::rtp::Packet::unmarshal(&mut &buf[..n]) else { continue };
        let now = start.elapsed().as_millis() as u64;
        let Some((seq, ts)) = continuity.rewrite(p.header.ssrc, p.header.sequence_number, p.header.timestamp, now)
        else {
            continue;
        };
        (p.header.sequence_number, p.header.timestamp) = (seq, ts);
        p.header.ssrc = o.ssrc;
        p.header.payload_type = o.pt;
        let _ = o.track.write_rtp(p).await;
    }
}

/// The browser's RTCP about the video it receives: keyframe requests, to the encoder of its
/// view; reception reports, to the live view's link quality; reports and REMB estimates, to its
/// quality tier.
async fn feedback(
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    control: Control,
    conference: String,
    participant: ParticipantId,
    mut tiers: Tiers,
) {
    tiers.begin().await;
    loop {
        // Every second at least: a browser whose reports stopped is moved down.
        let Ok(event) = tokio::time::timeout(Duration::from_secs(1), track.poll()).await else {
            tiers.tick().await;
            continue;
        };
        tiers.tick().await;
        match event {
            Some(TrackLocalEvent::OnRtcpPacket(packets)) => {
                if packets.iter().any(|p| is_keyframe_request(p.as_ref())) {
                    metrics::counter!("tessera_webrtc_keyframe_requests_total").increment(1);
                    let _ = control.call(&conference, None, Request::Keyframe { participant }).await;
                }
                let report =
                    packets.iter().flat_map(|p| reception_reports(p.as_ref()).iter()).rfind(|r| r.ssrc == ssrc);
                if let Some(r) = report {
                    tiers.report(i64::from(r.total_lost), r.last_sequence_number).await;
                    let r = tessera_web::links::Report {
                        fraction_lost: r.fraction_lost,
                        packets_lost: i64::from(r.total_lost),
                        jitter: r.jitter,
                        clock_rate: 90_000,
                        round_trip: rtcp::round_trip(
                            rtcp::ntp_middle(std::time::SystemTime::now()),
                            r.last_sender_report,
                            r.delay,
                        ),
                        at_ms: chrono::Utc::now().timestamp_millis(),
                    };
                    control.links.report(&conference, participant, r);
                }
                if let Some(bps) = packets.iter().rev().find_map(|p| estimate_for(p.as_ref(), ssrc)) {
                    tiers.estimate(bps).await;
                }
            }
            Some(_) => {}
            // Not bound yet (DTLS in progress) or unbound: look again shortly.
            None => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}
