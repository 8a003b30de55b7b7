//! One H.323 call on its TCP connection: the Setup (within ten seconds), admission by the
//! conference core exactly as for SIP (the dialled alias `ID` or `ID*PIN`, the caller's h323-ID
//! as its name), then the bridge's call machine answers and this task carries out what it says:
//! packets to the caller, the RTP participant in the conference, the PIN prompt and entry (H.245
//! user input, checked by the lockout service), keypad keys and picture updates.

use super::super::Context;
use super::super::admit::dialled;
use super::super::call::{Ports, bind_address, bind_ports, codec_name, local_ip, recv_from_on};
use super::super::pin::{self, Entry, Prompt};
use super::h245::{Got, Link};
use crate::media::destination::{Asker, Refusal as NotThere, check as check_destination};
use crate::media::handoff::Bound;
use crate::media::rtp_input::AudioCodec;
use crate::media::sockets::Medium;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_mixer::layout::ParticipantId;
use tessera_sip_h323_bridge::h323::call::{Call, Input, Output};
use tessera_sip_h323_bridge::h323::h245::capabilities::TELEPHONE_EVENT_PT;
use tessera_sip_h323_bridge::h323::h245::channels::{Channel, Local};
use tessera_sip_h323_bridge::h323::h245::codec::Codec;
use tessera_sip_h323_bridge::h323::signalling::{Answer, Release, Setup, Signal};
use tessera_sip_h323_bridge::h323::tpkt::{self, Framer};
use tessera_sip_h323_bridge::rtp::{dtmf, rtcp};
use tessera_web::admission::{self, Claim, PinGiven, Refusal};
use tessera_web::auth::lockout::PinCheck;
use tessera_web::control::{Control, EventKind, GuestDevices, PayloadTypes, Request, RtpPorts};
use tessera_web::store::GuestPermissions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// How long a new connection may take to send its Setup.
const SETUP_WAIT: Duration = Duration::from_secs(10);

fn count(result: &'static str) {
    metrics::counter!("tessera_h323_calls_total", "result" => result).increment(1);
}

/// Reads until the framer has a whole packet; `Ok(None)` when the caller closed.
async fn next_packet(rd: &mut OwnedReadHalf, framer: &mut Framer, buf: &mut [u8]) -> anyhow::Result<Option<Vec<u8>>> {
    loop {
        if let Some(p) = framer.next_packet()? {
            return Ok(Some(p));
        }
        let n = rd.read(buf).await?;
        if n == 0 {
            return Ok(None);
        }
        framer.push(&buf[..n]);
    }
}

/// Who joins what, once the core said yes (or, for a call this server places, the order).
pub(super) struct Joining {
    pub conference: String,
    pub title: String,
    pub name: String,
    pub pin: Option<String>,
    pub guest: Option<GuestPermissions>,
    /// The user the caller proved to be (through the gatekeeper), if any.
    pub user: Option<i64>,
    pub control: Control,
}

/// The conference a dialled alias names: `ID`, `ID*PIN`, `h323:ID@host`, `ID@host`.
pub(super) fn conference_of(alias: &str) -> (String, Option<String>) {
    let a = alias.strip_prefix("h323:").unwrap_or(alias);
    let a = a.split('@').next().unwrap_or(a);
    dialled(a)
}

/// The core's admission: as the user the gatekeeper admitted the call for, or as a guest under
/// the name the caller gives (conferences for users only refuse those).
async fn admit(ctx: &Context, setup: &Setup, peer: IpAddr) -> Result<Joining, Release> {
    let control = ctx.control.clone().ok_or(Release::Busy)?;
    let mut found = None;
    for alias in &setup.destination {
        let (id, pin) = conference_of(alias);
        match ctx.store.dial_in(&id).await {
            Ok(Some(c)) => {
                found = Some((c, pin));
                break;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "H.323: the store did not answer");
                return Err(Release::Busy);
            }
        }
    }
    let Some((conf, dialled_pin)) = found else { return Err(Release::NoSuchConference) };
    let name = setup
        .display
        .iter()
        .chain(setup.caller.iter())
        .map(|n| n.chars().filter(|c| !c.is_control()).take(64).collect::<String>().trim().to_string())
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| "H.323 caller".into());
    let rules = admission::conference(&conf, admission::presence(Some(&control), &conf.id));
    let now = chrono::Utc::now().timestamp();
    let lockout = ctx.auth.lockout();
    let guard = admission::Guard { lockout, addr: Some(peer), now };
    let pin_given = dialled_pin.as_deref().map_or(PinGiven::Later, PinGiven::Given);
    // A call the gatekeeper admitted (its ARQ signed by a registered user, the Setup from that
    // endpoint's address) joins as that user; any other as a guest under the name it gives.
    let user = setup.call_id.and_then(|c| ctx.gatekeeper().caller(&c, peer, now));
    let decided = match &user {
        Some((uid, login)) => {
            let facts = admission::user_facts(&ctx.store, *uid, &conf.id, now).await.map_err(|e| {
                tracing::error!(error = %e, "H.323: the store did not answer");
                Release::Busy
            })?;
            tracing::info!(conference = %conf.id, login = %login, "H.323: a registered user calls");
            admission::decide(&rules, &Claim::User(facts), pin_given, &guard)
        }
        None => admission::decide(&rules, &Claim::Guest { name: &name }, pin_given, &guard),
    };
    // H.323 media is never encrypted here (no H.235 media security).
    let decided = decided.and_then(|a| admission::MediaRule::of(&rules).admits(false).map(|()| a));
    let admitted = decided.map_err(|r| {
        tracing::info!(conference = %conf.id, peer = %peer, refusal = ?r, "H.323 call refused");
        match r {
            Refusal::Hidden => Release::NoSuchConference,
            Refusal::Full | Refusal::Draining => Release::Busy,
            Refusal::NotStarted => Release::NotStarted,
            _ => Release::Refused,
        }
    })?;
    Ok(Joining {
        conference: conf.id.clone(),
        title: conf.name.clone(),
        name,
        pin: admitted.pin_to_ask,
        guest: admitted.guest.then_some(conf.guests),
        user: admitted.user,
        control,
    })
}

/// Release Complete for a caller refused before its call started.
async fn refuse(wr: &mut OwnedWriteHalf, setup: &Setup, release: Release) {
    if let Ok(p) = Answer::to(setup).release_complete(release)
        && let Ok(framed) = tpkt::frame(&p)
    {
        let _ = wr.write_all(&framed).await;
    }
}

pub(super) async fn run(ctx: &Arc<Context>, stream: TcpStream, peer: SocketAddr) {
    // A caller reaching an IPv6 listener over IPv4 is an IPv4 caller.
    let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
    let (mut rd, mut wr) = stream.into_split();
    let mut framer = Framer::new();
    let mut buf = vec![0u8; 4096];
    let first = match tokio::time::timeout(SETUP_WAIT, next_packet(&mut rd, &mut framer, &mut buf)).await {
        Ok(Ok(Some(p))) => p,
        Ok(Err(e)) => {
            tracing::info!(peer = %peer, error = %e, "H.323: connection closed (not TPKT)");
            return count("bad_setup");
        }
        _ => return,
    };
    if !ctx.limits.allow_message(peer.ip()) {
        tracing::info!(peer = %peer, "H.323: too many messages from this address; connection closed");
        return count("flood");
    }
    let setup = match Signal::read(&first).map(|s| Setup::of(&s)) {
        Ok(Some(s)) => s,
        Ok(None) => {
            tracing::info!(peer = %peer, "H.323: the first message is not a Setup; connection closed");
            return count("bad_setup");
        }
        Err(e) => {
            tracing::info!(peer = %peer, error = %e, "H.323: a Setup that does not read; connection closed");
            return count("bad_setup");
        }
    };
    // Who may join what comes first: nothing (ports, places) is held for a caller refused.
    let joining = match admit(ctx, &setup, peer.ip()).await {
        Ok(j) => j,
        Err(release) => {
            count("refused");
            return refuse(&mut wr, &setup, release).await;
        }
    };
    // Callers who did not authenticate (all of them, until the gatekeeper) hold a place.
    let Some(slot) = ctx.limits.anonymous_call(peer.ip()) else {
        tracing::info!(peer = %peer, "H.323 call refused: too many anonymous calls");
        count("over_cap");
        return refuse(&mut wr, &setup, Release::Busy).await;
    };
    // Media in the caller's address family: IPv4 or IPv6.
    let here = local_ip(ctx.rtp_bind, peer.ip());
    if here.is_ipv4() != peer.is_ipv4() {
        tracing::info!(peer = %peer, rtp_bind = %ctx.rtp_bind, "H.323 call refused: media.rtp_bind has no address of the caller's family");
        count("refused");
        return refuse(&mut wr, &setup, Release::Refused).await;
    }
    let bind = bind_address(ctx.rtp_bind, here);
    let (audio, video) =
        match (bind_ports(&ctx.media, bind, Medium::Audio).await, bind_ports(&ctx.media, bind, Medium::Video).await) {
            (Ok(a), Ok(v)) => (a, v),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "H.323: no UDP ports for media");
                count("refused");
                return refuse(&mut wr, &setup, Release::Busy).await;
            }
        };
    // The addresses given in H.245 and Fast Connect (behind a 1:1 NAT, the public one).
    let shown = ctx.media.advertised(here);
    let local =
        |p: &Ports| Local { rtp: SocketAddr::new(shown, p.rtp_port), rtcp: SocketAddr::new(shown, p.rtcp_port) };
    let (la, lv) = (local(&audio), local(&video));
    let (machine, out) = Call::new(
        &setup,
        move |session| match session {
            1 => Some(la),
            2 => Some(lv),
            _ => None,
        },
        ctx.h323_video,
        rand::random(),
        Instant::now(),
    );
    let mut call = H323Call::new(ctx, peer, machine, audio, video, Some(slot), false);
    call.machine.set_display(&joining.title);
    if call.machine.awaits_h245_address() {
        match call.h245.listen(here).await {
            Ok(at) => call.machine.listen_h245(at),
            Err(e) => tracing::warn!(peer = %peer, error = %e, "H.323: no H.245 address to offer"),
        }
    }
    if let Err(why) = call.apply(&mut wr, out).await {
        return call.finish(&mut wr, why).await;
    }
    call.entry = joining.pin.as_deref().map(Entry::new);
    tracing::info!(conference = %joining.conference, name = %joining.name, peer = %peer, pin = call.entry.is_some(), "H.323 call answered");
    count("answered");
    let out = call.machine.handle(Input::Admitted { now: Instant::now() });
    call.run(joining, &mut rd, &mut wr, framer, out).await;
}

pub(super) struct H323Call {
    ctx: Arc<Context>,
    peer: SocketAddr,
    machine: Call,
    audio: Ports,
    video: Ports,
    joining: Option<Joining>,
    /// Channels set up so far, each way.
    receive: Vec<Channel>,
    send: Vec<Channel>,
    participant: Option<ParticipantId>,
    joined_instance_ms: Option<i64>,
    entry: Option<Entry>,
    prompt: Option<Prompt>,
    last_keyframe: Option<Instant>,
    /// The quality tier of its layout the call receives, moved by its video's RTCP reports
    /// (while it receives video): SIP's rule.
    tiers: Option<crate::media::tiers::Tiers>,
    /// The separate H.245 connection, for callers that do not tunnel.
    h245: Link,
    /// The media for the call's start is set up (the machine said [`Output::Settled`]).
    settled: bool,
    /// The caller's place among anonymous calls, given back when the call ends.
    _slot: Option<super::super::limits::CallSlot>,
    /// Whether the far end is where this server chose to call (a call it placed): media goes
    /// to the addresses it names, as for SIP's dial-out.
    proven: bool,
    /// A call this server placed: the order, and how its progress is told.
    pub dialled: Option<super::dial::Dialled>,
}

fn audio_codec(c: &Codec) -> Option<AudioCodec> {
    match c {
        Codec::Pcmu => Some(AudioCodec::Pcmu),
        Codec::Pcma => Some(AudioCodec::Pcma),
        Codec::G722 => Some(AudioCodec::G722),
        Codec::H264(_) => None,
    }
}

impl H323Call {
    pub(super) fn new(
        ctx: &Arc<Context>,
        peer: SocketAddr,
        machine: Call,
        audio: Ports,
        video: Ports,
        slot: Option<super::super::limits::CallSlot>,
        proven: bool,
    ) -> H323Call {
        H323Call {
            ctx: ctx.clone(),
            peer,
            machine,
            audio,
            video,
            joining: None,
            receive: Vec::new(),
            send: Vec::new(),
            participant: None,
            joined_instance_ms: None,
            entry: None,
            prompt: None,
            last_keyframe: None,
            tiers: None,
            h245: Link::new(peer.ip()),
            settled: false,
            _slot: slot,
            proven,
            dialled: None,
        }
    }

    /// Runs a call whose far end now knows of it (answered, or a Setup placed) until it ends.
    pub(super) async fn run(
        &mut self,
        joining: Joining,
        rd: &mut OwnedReadHalf,
        wr: &mut OwnedWriteHalf,
        framer: Framer,
        out: Vec<Output>,
    ) {
        let events = joining.control.events.subscribe_to(&joining.conference);
        self.joining = Some(joining);
        let why = match self.apply(wr, out).await {
            Ok(()) => self.lifetime(rd, wr, framer, events).await,
            Err(why) => why,
        };
        self.finish(wr, why).await;
    }

    /// Where media the caller asked for at `to` may go: the one rule of `media::destination`
    /// for an anonymous caller (the TCP connection proves only the address it comes from).
    fn destination(&self, to: SocketAddr) -> Option<SocketAddr> {
        let asker = Asker::Signalling { from: self.peer.ip(), proven: self.proven };
        match check_destination(to, asker) {
            Ok(()) => Some(to),
            Err(NotThere::UntilLatched) => {
                let at_source = SocketAddr::new(self.peer.ip(), to.port());
                check_destination(at_source, asker).ok().map(|()| at_source)
            }
            Err(r) => {
                tracing::info!(peer = %self.peer, to = %to, reason = r.reason(), "H.323: no media sent to the address the caller named");
                metrics::counter!("tessera_sip_media_refused_total").increment(1);
                None
            }
        }
    }

    /// Carries out what the call machine said; `Err(why)` when the call is over.
    async fn apply(&mut self, wr: &mut OwnedWriteHalf, out: Vec<Output>) -> Result<(), String> {
        let mut ended = None;
        for o in out {
            match o {
                Output::Signal(p) => {
                    let framed = tpkt::frame(&p).map_err(|e| format!("an answer too long for TPKT: {e}"))?;
                    wr.write_all(&framed).await.map_err(|e| format!("the connection failed: {e}"))?;
                }
                Output::H245(m) => self.h245.send(m).await?,
                Output::ConnectH245(at) => match self.h245.connect(at).await {
                    Ok(()) => tracing::debug!(peer = %self.peer, h245 = %at, "H.323: H.245 connected"),
                    Err(e) => tracing::info!(peer = %self.peer, error = %e, "H.323: no H.245 connection"),
                },
                Output::Admit { .. } => {}
                Output::Proceeding | Output::Ringing | Output::Answered => {
                    if let Some(d) = &self.dialled {
                        d.told(&self.ctx, &o);
                    }
                }
                Output::Settled => self.settled = true,
                Output::Receive(ch) => self.receive.push(ch),
                Output::Send(ch) => {
                    if let (Some(p), Some(to)) = (self.participant, ch.rtp.and_then(|a| self.destination(a))) {
                        self.send_to(p, &ch, to).await;
                    }
                    self.send.push(ch);
                }
                Output::Digits(d) => {
                    for c in d.chars() {
                        self.digit(c).await?;
                    }
                }
                Output::FastUpdate => self.keyframe().await,
                Output::Ignored(what) => tracing::info!(peer = %self.peer, what = %what, "H.323: ignored"),
                Output::Ended { reason } => ended = Some(reason),
            }
        }
        if let Some(why) = ended {
            return Err(why);
        }
        // The PIN prompt starts with the first audio channel; the caller joins with all the
        // media its call starts with.
        if self.participant.is_none() && (!self.receive.is_empty() || !self.send.is_empty()) {
            if self.entry.is_some() {
                if self.prompt.is_none() {
                    self.prompt = self.start_prompt();
                }
            } else if self.settled {
                self.join().await?;
            }
        }
        Ok(())
    }

    fn start_prompt(&self) -> Option<Prompt> {
        let ch = self.send.iter().find(|c| !c.codec.is_video())?;
        let to = self.destination(ch.rtp?)?;
        Prompt::start(to, audio_codec(&ch.codec)?, ch.payload_type, None)
            .map_err(|e| tracing::warn!(error = %format!("{e:#}"), "H.323: no PIN prompt"))
            .ok()
    }

    /// One key: a PIN digit while the PIN is awaited, a keypad command after.
    async fn digit(&mut self, d: char) -> Result<(), String> {
        let Some(j) = &self.joining else { return Ok(()) };
        let Some(e) = self.entry.as_mut() else {
            if let Some(participant) = self.participant {
                let req = Request::Key { participant, digit: d };
                if let Err(e) = j.control.call(&j.conference, None, req).await {
                    tracing::info!(conference = %j.conference, error = %e, "H.323: keypad command refused");
                }
            }
            return Ok(());
        };
        let Some(typed) = e.digit(d) else { return Ok(()) };
        let lockout = self.ctx.auth.lockout();
        let now = chrono::Utc::now().timestamp();
        match lockout.check_pin(&j.conference, e.expected(), &typed, Some(self.peer.ip()), now) {
            PinCheck::Right => {
                tracing::info!(conference = %j.conference, name = %j.name, "H.323: PIN accepted");
                self.entry = None;
                self.prompt = None;
                if self.settled { self.join().await } else { Ok(()) }
            }
            PinCheck::Wrong if !e.wrong_entry() => {
                tracing::info!(conference = %j.conference, attempt = e.wrong, peer = %self.peer, "H.323: wrong PIN entered");
                Ok(())
            }
            PinCheck::Wrong | PinCheck::Throttled => {
                count("wrong_pin");
                Err("wrong PIN (too many attempts)".into())
            }
        }
    }

    /// Makes the caller a participant: the RTP ports reserved for it go to the media plane.
    async fn join(&mut self) -> Result<(), String> {
        let Some(j) = &self.joining else { return Ok(()) };
        let audio_ch = self.receive.iter().chain(self.send.iter()).find(|c| !c.codec.is_video()).cloned();
        let video_ch = self.receive.iter().chain(self.send.iter()).find(|c| c.codec.is_video()).cloned();
        let mut bound = Bound::default();
        for p in [&mut self.audio, &mut self.video] {
            if let Some(s) = p.rtp.take() {
                s.into_std().and_then(|s| bound.add(s)).map_err(|e| format!("could not hand over media: {e}"))?;
            }
        }
        let to = |video: bool| {
            let ch = self.send.iter().find(|c| c.codec.is_video() == video)?;
            self.destination(ch.rtp?).map(|a| a.to_string())
        };
        let req = Request::AddRtp {
            name: j.name.clone(),
            video: video_ch.as_ref().map(|_| "h264".to_string()),
            audio: audio_ch.as_ref().and_then(|c| audio_codec(&c.codec)).map(|c| codec_name(c).to_string()),
            video_to: to(true),
            audio_to: to(false),
            payload_types: Some(PayloadTypes {
                video: video_ch.as_ref().map(|c| c.payload_type),
                audio: audio_ch.as_ref().map(|c| c.payload_type),
                dtmf: audio_ch.as_ref().map(|_| TELEPHONE_EVENT_PT),
                h264_single_nal: false,
                opus_dtx: false,
            }),
            ports: Some(RtpPorts { audio: Some(self.audio.rtp_port), video: Some(self.video.rtp_port) }),
            group: None,
            content: false,
            user: j.user,
            ends_without_media: true,
            guest: j.guest.map(|g| GuestDevices { camera: g.camera, microphone: g.microphone }),
            srtp: None,
            sources: vec![self.peer.ip()],
        };
        let state = j
            .control
            .call_with(&j.conference, None, req, Box::new(bound))
            .await
            .map_err(|e| format!("could not join: {e}"))?;
        self.participant = state.joined;
        self.joined_instance_ms = state.started_at_ms;
        if let (Some(p), true) = (self.participant, video_ch.is_some()) {
            let estimator =
                tessera_conference::quality::Estimator::new(self.ctx.video_kbps, super::super::CALL_AUDIO_KBPS);
            self.tiers =
                Some(crate::media::tiers::Tiers::new(j.control.clone(), j.conference.clone(), p, "H.323", estimator));
        }
        tracing::info!(conference = %j.conference, name = %j.name, participant = ?self.participant, "H.323 caller joined");
        Ok(())
    }

    async fn send_to(&self, participant: ParticipantId, ch: &Channel, to: SocketAddr) {
        let Some(j) = &self.joining else { return };
        let to = Some(to.to_string());
        let (video_to, audio_to) = if ch.codec.is_video() { (to, None) } else { (None, to) };
        let req = Request::SendTo { participant, video_to, audio_to };
        if let Err(e) = j.control.call(&j.conference, None, req).await {
            tracing::warn!(error = %e, "H.323: media not started");
        }
    }

    /// A full picture for the caller (at most one request every 300 ms).
    async fn keyframe(&mut self) {
        let now = Instant::now();
        if self.last_keyframe.is_some_and(|t| now.duration_since(t) < Duration::from_millis(300)) {
            return;
        }
        self.last_keyframe = Some(now);
        if let (Some(j), Some(p)) = (&self.joining, self.participant) {
            let _ = j.control.call(&j.conference, None, Request::Keyframe { participant: p }).await;
        }
    }

    async fn lifetime(
        &mut self,
        rd: &mut OwnedReadHalf,
        wr: &mut OwnedWriteHalf,
        mut framer: Framer,
        mut events: tokio::sync::broadcast::Receiver<tessera_web::control::Event>,
    ) -> String {
        let mut buf = vec![0u8; 4096];
        let mut rtcp_buf = vec![0u8; 2048];
        let mut rtp_buf = vec![0u8; 2048];
        let mut digits = dtmf::EventReceiver::default();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let pin_deadline = tokio::time::Instant::now() + pin::TIMEOUT;
        let conference = self.joining.as_ref().map(|j| j.conference.clone()).unwrap_or_default();
        loop {
            let out = tokio::select! {
                n = rd.read(&mut buf) => {
                    let n = match n {
                        Ok(0) | Err(_) => return "the connection closed".into(),
                        Ok(n) => n,
                    };
                    framer.push(&buf[..n]);
                    let mut out = Vec::new();
                    loop {
                        match framer.next_packet() {
                            // The same rate per address as SIP's (`sip.max_messages_per_second`).
                            Ok(Some(_)) if !self.ctx.limits.allow_message(self.peer.ip()) => {
                                count("flood");
                                return "too many messages from the caller's address".into();
                            }
                            Ok(Some(p)) => out.extend(self.machine.handle(Input::Signal(p))),
                            Ok(None) => break,
                            Err(e) => return format!("the caller sent what is not TPKT ({e})"),
                        }
                    }
                    out
                }
                _ = tick.tick() => self.machine.handle(Input::Tick(Instant::now())),
                _ = tokio::time::sleep_until(pin_deadline), if self.entry.is_some() => {
                    return "no PIN entered within a minute".into();
                }
                // A PIN typed as RFC 4733 events in the audio RTP, from the caller's address only
                // (once joined, the media plane reads the keys).
                (n, from) = recv_from_on(self.entry.as_ref().and(self.audio.rtp.as_ref()), &mut rtp_buf) => {
                    if from.is_some_and(|a| a.ip() == self.peer.ip())
                        && let Some(d) = digits.on_packet(&rtp_buf[..n], TELEPHONE_EVENT_PT)
                        && let Err(why) = self.digit(d).await
                    {
                        return why;
                    }
                    Vec::new()
                }
                r = self.video.rtcp.recv_from(&mut rtcp_buf) => {
                    if let Ok((n, from)) = r
                        && from.ip() == self.peer.ip()
                    {
                        if rtcp::wants_keyframe(&rtcp_buf[..n]) {
                            self.keyframe().await;
                        }
                        if let Some(t) = self.tiers.as_mut() {
                            t.rtcp(&rtcp_buf[..n]).await;
                        }
                    }
                    Vec::new()
                }
                got = self.h245.next() => match got {
                    Got::Accepted(from) => {
                        tracing::debug!(peer = %self.peer, from = %from, "H.323: the caller opened H.245");
                        Vec::new()
                    }
                    Got::Message(_) if !self.ctx.limits.allow_message(self.peer.ip()) => {
                        count("flood");
                        return "too many messages from the caller's address".into();
                    }
                    Got::Message(m) => self.machine.handle(Input::H245(m)),
                    Got::Closed(why) => return why,
                },
                e = events.recv() => match e {
                    Ok(ev) if ev.conference == conference => {
                        let mine = self.participant.is_some() && ev.participant == self.participant;
                        // A call this server places that is still ringing ends with the conference.
                        let ringing = self.dialled.is_some() && self.participant.is_none();
                        let ended = ev.kind == EventKind::Ended
                            && (ringing || self.joined_instance_ms.is_some_and(|s| ev.at_ms > s));
                        if ended || (ev.kind == EventKind::Left && mine) {
                            self.participant = None;
                            self.machine.handle(Input::HangUp)
                        } else {
                            Vec::new()
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => self.machine.handle(Input::HangUp),
                    _ => Vec::new(),
                },
            };
            if let Err(why) = self.apply(wr, out).await {
                return why;
            }
        }
    }

    /// Leaves the conference and, if the call machine has not ended the call, releases it (this
    /// side's reason: a wrong PIN, the PIN's minute, a failed join).
    async fn finish(&mut self, wr: &mut OwnedWriteHalf, why: String) {
        if !self.machine.ended() {
            for o in self.machine.handle(Input::HangUp) {
                match o {
                    Output::Signal(p) => {
                        if let Ok(framed) = tpkt::frame(&p) {
                            let _ = wr.write_all(&framed).await;
                        }
                    }
                    Output::H245(m) if self.h245.is_open() => {
                        let _ = self.h245.send(m).await;
                    }
                    _ => {}
                }
            }
        }
        if let (Some(j), Some(p)) = (&self.joining, self.participant.take()) {
            let _ = j.control.call(&j.conference, None, Request::Remove { participant: p }).await;
        }
        let (conference, name) =
            self.joining.as_ref().map_or((String::new(), String::new()), |j| (j.conference.clone(), j.name.clone()));
        tracing::info!(conference = %conference, name = %name, peer = %self.peer, reason = %why, "H.323 call ended");
        if let Some(d) = self.dialled.take() {
            d.ended(&self.ctx, self.machine.answered(), self.machine.cause(), &why);
        }
    }
}
