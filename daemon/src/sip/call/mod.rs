//! One call, from its INVITE to its BYE (or from the 2xx of one Tessera placed, [`answered`]):
//! who may join ([`super::admit`]), the SDP answer with the ports Tessera receives on, the 2xx
//! retransmitted until the ACK (over UDP), the PIN prompt when the conference has a PIN that was
//! not dialled, then an RTP participant of the conference until either side hangs up. Requests
//! inside the call are in [`in_dialog`], the delayed offer in [`late_offer`], ports and codec
//! names in [`media`], when and where the call's media may be sent in [`outbound`].
use super::Context;
use super::admit::{Route, admit};
use super::answer::{reply, tag};
use super::path::Inbound;
use super::pin::{self, Entry, Prompt};
use crate::media::handoff::Bound;
use crate::media::rtp_input::VideoCodec;
use crate::media::sockets::Medium;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_mixer::layout::ParticipantId;
use tessera_sip_h323_bridge::rtp::{dtmf, rtcp};
use tessera_sip_h323_bridge::sdp::{self, negotiate};
use tessera_sip_h323_bridge::sip::check::METHODS;
use tessera_sip_h323_bridge::sip::dialog::{Dialog, cseq};
use tessera_sip_h323_bridge::sip::session_timer;
use tessera_web::auth::lockout::PinCheck;
use tessera_web::control::{Control, ControlError, EventKind, GuestDevices, PayloadTypes, Request, RtpPorts};
use tessera_web::error::Msg;
use tokio::sync::mpsc;

mod in_dialog;
mod late_offer;
mod media;
mod outbound;
mod reports;

pub(super) use media::{Ports, bind_address, bind_ports, codec_name, local_ip, recv_from_on, sip_host};
use media::{audio_codec, recv_on, video_codec};

const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);

/// What a message inside the call leads to.
enum Flow {
    Go,
    /// The ACK of Tessera's 2xx: media may flow now.
    Confirmed,
    /// The PIN was entered (by INFO): the caller is in the conference now.
    Admitted,
    /// The call ends; `None`: the caller hung up.
    End(Option<String>),
}

/// A 2xx waiting for its ACK (resent over UDP with Timer G's schedule, RFC 3261 §13.3.1.4).
struct Pending {
    bytes: Vec<u8>,
    cseq: u32,
    next: Instant,
    interval: Duration,
    give_up: Instant,
}

struct Call {
    ctx: Arc<Context>,
    invite: Inbound,
    dialog: Dialog,
    conference: String,
    name: String,
    /// The signed-in caller, for their scheduled role and layout window.
    user: Option<i64>,
    control: Control,
    audio: Option<Ports>,
    video: Option<Ports>,
    choice: negotiate::Choice,
    session_id: u64,
    version: u64,
    local: IpAddr,
    pending: Option<Pending>,
    participant: Option<ParticipantId>,
    /// The participant whose link quality this call reports (kept after it leaves, to clear it).
    linked: Option<ParticipantId>,
    /// When the conference instance this call joined started: an "ended" event from before
    /// (the previous instance of a room, ending as this call joined) is not this call's end;
    /// a real end also sends "left" for every participant.
    joined_instance_ms: Option<i64>,
    last_keyframe: Option<Instant>,
    /// The quality tier of its layout the call receives, moved by its video's RTCP reports and
    /// TMMBR/REMB (while it receives video).
    tiers: Option<crate::media::tiers::Tiers>,
    /// The caller cannot be reached (its connection closed): hang up without a BYE.
    quiet: bool,
    /// A call Tessera placed: the ACK of the callee's 2xx, sent again for its retransmissions.
    ack: Option<Vec<u8>>,
    /// The dialog is confirmed (the caller ACKed Tessera's 2xx, or Tessera ACKed the callee's):
    /// no media, not even the PIN prompt, goes out before, so a spoofed INVITE that is never
    /// ACKed makes Tessera send nothing anywhere.
    confirmed: bool,
    /// The peer proved who it is (digest) or Tessera called it: its media may go to the address
    /// its SDP names from the start (see `media::destination`).
    proven: bool,
    /// A webinar guest: what the organiser lets guests use (chat, microphone, camera).
    guest: Option<tessera_web::store::GuestPermissions>,
    /// RFC 4028: the session interval the caller refreshes (seconds), and its last refresh.
    session: Option<u32>,
    refreshed: Instant,
    /// SRTP (SDES over SIP TLS): Tessera's keys, the conference's requirement, and the
    /// contexts that read what the call itself reads (DTMF before the PIN, RTCP).
    srtp: Srtp,
    /// What the media plane sends the peer, followed for its NACKs and Tessera's reports.
    outgoing: crate::media::sent::Outgoing,
    /// Where the media plane asks for the peer's keyframes (when it negotiated PLI or FIR).
    asking: reports::Asking,
}

/// A call's SRTP state (see [`Call::rekey`]).
#[derive(Default)]
struct Srtp {
    /// Tessera's keys: present when the signalling is TLS, so SDES may be used.
    keys: Option<negotiate::Keys>,
    /// What the conference asks of the media (encrypted only: Tessera's offers are SRTP then).
    rule: tessera_web::admission::MediaRule,
    /// Unprotects what the peer sends on the audio and video ports (RTP and RTCP).
    audio: Option<crate::media::srtp::Srtp>,
    video: Option<crate::media::srtp::Srtp>,
    /// Protects the RTCP the call sends itself (Tessera's sender reports).
    audio_out: Option<crate::media::srtp::Srtp>,
    video_out: Option<crate::media::srtp::Srtp>,
}

/// New SDES keys for what Tessera sends a peer over SIP TLS.
pub(super) fn new_keys() -> negotiate::Keys {
    use rand::Rng;
    let mut k = negotiate::Keys { audio: [0; 30], video: [0; 30] };
    rand::rng().fill(&mut k.audio[..]);
    rand::rng().fill(&mut k.video[..]);
    k
}

/// A call Tessera placed that the callee answered (see [`super::dial`]): what it negotiated.
pub(super) struct Answered {
    pub conference: String,
    pub name: String,
    pub user: Option<i64>,
    pub control: Control,
    pub audio: Option<Ports>,
    pub video: Option<Ports>,
    pub choice: negotiate::Choice,
    pub session_id: u64,
    pub local: IpAddr,
    pub dialog: Dialog,
    /// The 2xx (its Allow tells whether the phone takes chat) and the path it came on.
    pub ok: Inbound,
    pub ack: Vec<u8>,
    /// Tessera's SDES keys, when it offered SRTP (over TLS), and the conference's media rule.
    pub keys: Option<negotiate::Keys>,
    pub media_rule: tessera_web::admission::MediaRule,
}

/// Runs a placed call from its 2xx: the callee joins the conference, then the call lasts until
/// either side hangs up, like a call Tessera answered.
pub(super) async fn answered(ctx: Arc<Context>, a: Answered, mut rx: mpsc::Receiver<Inbound>) {
    let mut call = Call {
        ctx,
        dialog: a.dialog,
        conference: a.conference,
        name: a.name,
        user: a.user,
        control: a.control,
        audio: a.audio,
        video: a.video,
        choice: a.choice,
        session_id: a.session_id,
        version: 1,
        local: a.local,
        pending: None,
        participant: None,
        linked: None,
        joined_instance_ms: None,
        last_keyframe: None,
        asking: Default::default(),
        tiers: None,
        quiet: false,
        invite: a.ok,
        ack: Some(a.ack),
        confirmed: true,
        proven: true,
        guest: None,
        session: None,
        refreshed: Instant::now(),
        outgoing: Default::default(),
        srtp: Srtp { keys: a.keys, rule: a.media_rule, ..Srtp::default() },
    };
    call.rekey();
    let events = call.control.events.subscribe_to(&call.conference);
    let why = match call.join().await {
        Ok(()) => call.lifetime(&mut rx, None, events).await,
        Err(e) => Some(format!("could not join: {e}")),
    };
    call.hang_up(&mut rx, why).await;
}

pub async fn run(ctx: Arc<Context>, invite: Inbound, mut rx: mpsc::Receiver<Inbound>) {
    let local_tag = tag();
    let secure = invite.path.transport() == "TLS";
    let a = match admit(&ctx, &invite.msg, invite.path.peer().ip(), invite.path.reliable(), secure).await {
        Ok(Route::Conference(a)) => a,
        Ok(Route::User(callee)) => return super::proxy::run(ctx, invite, rx, callee).await,
        Err((code, reason, extra)) => {
            tracing::info!(peer = %invite.path.peer(), code, reason = %reason, "SIP call refused");
            metrics::counter!("tessera_sip_calls_total", "result" => "refused").increment(1);
            let r = reply(&invite.msg.headers, code, &reason, &local_tag, &extra, b"");
            invite.respond(code, r);
            return;
        }
    };
    // Callers who did not authenticate hold one of a bounded number of places while they last.
    let _slot = match a.user {
        Some(_) => None,
        None => match ctx.limits.anonymous_call(invite.path.peer().ip()) {
            Some(slot) => Some(slot),
            None => {
                tracing::info!(peer = %invite.path.peer(), "SIP call refused: too many anonymous calls");
                metrics::counter!("tessera_sip_calls_total", "result" => "over_cap").increment(1);
                let why = "Service Unavailable (too many calls without authentication)";
                let r = reply(&invite.msg.headers, 503, why, &local_tag, &[("Retry-After", "30".into())], b"");
                invite.respond(503, r);
                return;
            }
        },
    };
    let session = match session_timer::read(&invite.msg.headers, ctx.session_min) {
        session_timer::Request::Accepted { interval } => Some(interval),
        session_timer::Request::None => None,
        session_timer::Request::TooSmall { min_se } => {
            let r = reply(
                &invite.msg.headers,
                422,
                "Session Interval Too Small",
                &local_tag,
                &[("Min-SE", min_se.to_string())],
                b"",
            );
            invite.respond(422, r);
            return;
        }
    };
    let dialog = match Dialog::from_invite(&invite.msg, &local_tag) {
        Ok(d) => d,
        Err(e) => {
            let r = reply(&invite.msg.headers, 400, &format!("Bad Request ({e})"), &local_tag, &[], b"");
            invite.respond(400, r);
            return;
        }
    };
    let peer_ip = a
        .choice
        .audio
        .as_ref()
        .and_then(|t| t.peer)
        .or(a.choice.video.as_ref().and_then(|t| t.peer))
        .map_or(invite.path.peer().ip(), |p| p.0);
    let local = local_ip(ctx.rtp_bind, peer_ip);
    let bind = bind_address(ctx.rtp_bind, local);
    // Without an offer, Tessera offers audio and video and keeps what the answer takes.
    let late = a.offer.is_none();
    let (audio, video) = match (
        async {
            if late || a.choice.audio.is_some() {
                bind_ports(&ctx.media, bind, Medium::Audio).await.map(Some)
            } else {
                Ok(None)
            }
        }
        .await,
        async {
            if late || a.choice.video.is_some() {
                bind_ports(&ctx.media, bind, Medium::Video).await.map(Some)
            } else {
                Ok(None)
            }
        }
        .await,
    ) {
        (Ok(a), Ok(v)) => (a, v),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "SIP: no UDP ports for media");
            let r = reply(&invite.msg.headers, 503, "Service Unavailable (no media ports)", &local_tag, &[], b"");
            invite.respond(503, r);
            return;
        }
    };
    let mut call = Call {
        ctx,
        dialog,
        conference: a.conference.clone(),
        name: a.name.clone(),
        user: a.user,
        control: a.control.clone(),
        audio,
        video,
        choice: a.choice.clone(),
        session_id: rand::random::<u32>().into(),
        version: 1,
        local,
        pending: None,
        participant: None,
        linked: None,
        joined_instance_ms: None,
        last_keyframe: None,
        asking: Default::default(),
        tiers: None,
        quiet: false,
        proven: a.user.is_some(),
        guest: a.guest,
        session,
        refreshed: Instant::now(),
        outgoing: Default::default(),
        invite,
        ack: None,
        confirmed: false,
        srtp: Srtp { keys: secure.then(new_keys), rule: a.media_rule, ..Srtp::default() },
    };
    call.rekey();
    // A CANCEL that arrived while the call was being admitted wins over the answer.
    while let Ok(m) = rx.try_recv() {
        if m.msg.method() == Some("CANCEL") {
            call.cancelled(&m);
            return;
        }
    }
    // Subscribed before joining, so that nothing said about this participant is missed.
    let events = call.control.events.subscribe_to(&call.conference);
    if late {
        call.late_offer(&mut rx, a.pin, events).await;
        return;
    }
    let Some(offer) = a.offer else { return };
    // Without a PIN the caller joins before the answer, so that a full or ended conference is
    // a refusal rather than a 200 followed by a BYE.
    if a.pin.is_none()
        && let Err(e) = call.join().await
    {
        let (code, reason) = match &e {
            ControlError::Conflict(_) => (486, "Busy Here"),
            ControlError::NotRunning | ControlError::NoConference(_) => (480, "Temporarily Unavailable"),
            _ => (503, "Service Unavailable"),
        };
        tracing::info!(conference = %call.conference, error = %e, code, "SIP call refused at join");
        metrics::counter!("tessera_sip_calls_total", "result" => "refused").increment(1);
        let r = reply(&call.invite.msg.headers, code, &format!("{reason} ({e})"), &call.dialog.local_tag, &[], b"");
        call.invite.respond(code, r);
        return;
    }
    let invite_cseq = cseq(&call.invite.msg).map_or(1, |c| c.0);
    let answer = call.answer_sdp(&offer);
    // SRTP keys (a=crypto) stay out of the log.
    let (offer_text, answer_text) =
        (sdp::crypto::redacted(&String::from_utf8_lossy(&call.invite.msg.body)), sdp::crypto::redacted(&answer));
    tracing::debug!(offer = %offer_text, answer = %answer_text, "SDP");
    let ok = call.ok(&call.invite.msg.headers.clone(), answer.as_bytes());
    call.send_2xx(ok, invite_cseq);
    tracing::info!(conference = %call.conference, name = %call.name, peer = %call.invite.path.peer(), "SIP call answered");
    metrics::counter!("tessera_sip_calls_total", "result" => "answered").increment(1);
    let why = call.lifetime(&mut rx, a.pin, events).await;
    call.hang_up(&mut rx, why).await;
}

impl Call {
    /// Tessera's side of the session: address, ports, SDP session id and version.
    fn local_sdp(&self) -> negotiate::Local {
        negotiate::Local {
            // Behind a 1:1 NAT, the public address (`media.external_address`).
            address: self.ctx.media.advertised(self.local),
            audio: self.audio.as_ref().map(|p| (p.rtp_port, p.rtcp_port)),
            video: self.video.as_ref().map(|p| (p.rtp_port, p.rtcp_port)),
            session_id: self.session_id,
            version: self.version,
            srtp: self.srtp.keys.clone(),
            // No more than the output's own size (the level H.323 calls announce too).
            h264_level: self.ctx.h323_video.level_idc(),
            picture: self.ctx.picture,
        }
    }

    /// Each medium's SRTP keys as negotiated: the peer's (its `a=crypto`) and Tessera's own.
    fn media_keys(&self) -> Option<crate::media::srtp::MediaKeys> {
        use crate::media::srtp::Pair;
        let keys = self.srtp.keys.as_ref()?;
        let pair = |peer: Option<&sdp::crypto::Crypto>, ours: [u8; 30]| {
            peer.map(|p| Pair { receive: p.clone(), send: p.answered_with(ours) })
        };
        let k = crate::media::srtp::MediaKeys {
            audio: pair(self.choice.audio.as_ref().and_then(|a| a.crypto.as_ref()), keys.audio),
            video: pair(self.choice.video.as_ref().and_then(|v| v.crypto.as_ref()), keys.video),
        };
        (k.audio.is_some() || k.video.is_some()).then_some(k)
    }

    /// The contexts that unprotect what the call reads itself, for the keys now negotiated.
    fn rekey(&mut self) {
        let keys = self.media_keys().unwrap_or_default();
        self.srtp.audio = keys.audio.as_ref().and_then(|k| k.unprotect().ok());
        self.srtp.video = keys.video.as_ref().and_then(|k| k.unprotect().ok());
        self.srtp.audio_out = keys.audio.and_then(|k| k.protect().ok());
        self.srtp.video_out = keys.video.and_then(|k| k.protect().ok());
    }

    fn answer_sdp(&mut self, offer: &sdp::Session) -> String {
        negotiate::answer(offer, &self.choice, &self.local_sdp())
    }

    /// A 200 for an INVITE of this call, with the SDP answer.
    fn ok(&self, req: &tessera_sip_h323_bridge::sip::headers::Headers, sdp: &[u8]) -> Vec<u8> {
        let port = self.ctx.port_for(&self.invite.path);
        let host = sip_host(self.here());
        let transport = self.invite.path.transport().to_ascii_lowercase();
        let contact = format!("<sip:{}@{host}:{port};transport={transport}>", self.conference);
        let mut extra =
            vec![("Contact", contact), ("Allow", METHODS.join(", ")), ("Content-Type", "application/sdp".to_string())];
        extra.extend(self.session.into_iter().flat_map(session_timer::answer_headers));
        reply(req, 200, "OK", &self.dialog.local_tag, &extra, sdp)
    }

    fn send_2xx(&mut self, bytes: Vec<u8>, cseq: u32) {
        self.invite.path.send(bytes.clone());
        if !self.invite.path.reliable() {
            let now = Instant::now();
            self.pending = Some(Pending { bytes, cseq, next: now + T1, interval: T1, give_up: now + T1 * 64 });
        }
    }

    /// Timer G for the 2xx (RFC 3261 §13.3.1.4): sends it again and doubles the interval up to
    /// T2. False when 64·T1 passed without an ACK (the pending 2xx is then dropped).
    fn resend_2xx(&mut self) -> bool {
        let Some(p) = self.pending.as_mut() else { return true };
        let now = Instant::now();
        if now >= p.give_up {
            self.pending = None;
            return false;
        }
        self.invite.path.send(p.bytes.clone());
        p.interval = (p.interval * 2).min(T2);
        p.next = now + p.interval;
        true
    }

    fn cancelled(&self, cancel: &Inbound) {
        let h = &cancel.msg.headers;
        cancel.respond(200, reply(h, 200, "OK", &self.dialog.local_tag, &[], b""));
        let r = reply(&self.invite.msg.headers, 487, "Request Terminated", &self.dialog.local_tag, &[], b"");
        self.invite.respond(487, r);
        metrics::counter!("tessera_sip_calls_total", "result" => "cancelled").increment(1);
    }

    /// Runs the call until it ends; returns why, and whether Tessera must send the BYE.
    async fn lifetime(
        &mut self,
        rx: &mut mpsc::Receiver<Inbound>,
        pin: Option<String>,
        mut events: tokio::sync::broadcast::Receiver<tessera_web::control::Event>,
    ) -> Option<String> {
        let mut entry = pin.as_deref().map(Entry::new);
        let pin_deadline = tokio::time::Instant::now() + pin::TIMEOUT;
        let mut prompt = None;
        let mut digits = dtmf::EventReceiver::default();
        let dtmf_pt = self.choice.audio.as_ref().and_then(|a| a.dtmf_pt);
        if self.confirmed && entry.is_some() {
            prompt = self.prompt();
        }
        let mut rtp_buf = vec![0u8; 2048];
        let mut rtcp_buf = vec![0u8; 2048];
        let mut rtcp2_buf = vec![0u8; 2048];
        // The conference chat, for phones that take MESSAGE.
        let mut chat =
            self.ctx.chat.as_ref().filter(|_| super::chat::accepts_messages(&self.invite.msg)).map(|c| c.subscribe());
        let me = format!("sip:{}", self.dialog.call_id);
        let mut next_report = reports::next_report();
        loop {
            let retransmit = self.pending.as_ref().map(|p| p.next);
            let in_pin = entry.is_some();
            tokio::select! {
                // Messages first: an ACK that is already here stops the 2xx retransmission.
                biased;
                m = rx.recv() => {
                    let Some(m) = m else { return Some("the server is stopping".into()) };
                    match self.in_dialog(m, &mut entry).await {
                        Flow::Go => {}
                        Flow::Confirmed if entry.is_some() => prompt = self.prompt(),
                        Flow::Confirmed => self.send_media().await,
                        Flow::Admitted => { entry = None; drop(prompt.take()); }
                        Flow::End(why) => return why,
                    }
                }
                n = recv_on(if in_pin { self.audio.as_ref().and_then(|p| p.rtp.as_ref()) } else { None }, &mut rtp_buf) => {
                    let Some(packet) = reports::unprotected(self.srtp.audio.as_mut(), &rtp_buf[..n], false) else { continue };
                    if let (Some(pt), Some(e)) = (dtmf_pt, entry.as_mut())
                        && let Some(d) = digits.on_packet(&packet, pt)
                    {
                        match self.pin_digit(e, d).await {
                            Ok(true) => { entry = None; drop(prompt.take()); }
                            Ok(false) => {}
                            Err(why) => return Some(why),
                        }
                    }
                }
                (n, from) = recv_from_on(self.video.as_ref().map(|p| &p.rtcp), &mut rtcp_buf) => {
                    if self.sent_by_peer(from)
                        && let Some(packet) = reports::unprotected(self.srtp.video.as_mut(), &rtcp_buf[..n], true)
                    {
                        if rtcp::wants_keyframe(&packet) {
                            self.keyframe("RTCP").await;
                        }
                        let clock = self.choice.video.as_ref().map_or(90_000, |v| v.format.clock_rate);
                        let new_stream = self.asking.heard(&packet);
                        self.reported(&packet, clock);
                        self.video_reported(&packet).await;
                        self.nacked(&packet);
                        if let Some(p) = self.video.as_mut() {
                            p.peer_rtcp = from;
                        }
                        if new_stream {
                            self.ask_for_bitrate();
                        }
                        self.answer_bitrate_requests(&packet);
                    }
                }
                (n, from) = recv_from_on(self.audio.as_ref().map(|p| &p.rtcp), &mut rtcp2_buf) => {
                    if self.sent_by_peer(from)
                        && let Some(packet) = reports::unprotected(self.srtp.audio.as_mut(), &rtcp2_buf[..n], true)
                    {
                        let clock = self.choice.audio.as_ref().map_or(8_000, |a| a.format.clock_rate);
                        self.reported(&packet, clock);
                        if let Some(p) = self.audio.as_mut() {
                            p.peer_rtcp = from;
                        }
                    }
                }
                _ = reports::asked(self.asking.notify.clone()) => self.ask_for_keyframe(),
                _ = reports::shown_changed(self.asking.shown.clone()) => self.ask_for_bitrate(),
                _ = tokio::time::sleep_until(next_report) => {
                    self.send_reports();
                    next_report = reports::next_report();
                }
                _ = self.invite.path.closed() => {
                    self.participant_gone_quietly();
                    return Some("the TCP connection closed".into());
                }
                _ = tokio::time::sleep_until(pin_deadline), if in_pin => {
                    return Some("no PIN entered within a minute".into());
                }
                _ = sleep_until(self.session.map(|i| self.refreshed + session_timer::deadline(i))) => {
                    return Some("the caller did not refresh the session (RFC 4028 session timer)".into());
                }
                _ = sleep_until(retransmit) => {
                    if !self.resend_2xx() {
                        return Some("no ACK for the answer".into());
                    }
                }
                c = tessera_web::control::next_broadcast(chat.as_mut()) => {
                    if let Some(c) = c
                        && c.conference == self.conference
                        && c.origin != me
                        && !in_pin
                    {
                        self.send_chat(&c);
                    }
                }
                e = events.recv() => {
                    match e {
                        Ok(ev) if ev.conference == self.conference => {
                            let mine = self.participant.is_some() && ev.participant == self.participant;
                            let ours_ended = ev.kind == EventKind::Ended && self.joined_instance_ms.is_some_and(|s| ev.at_ms > s);
                            if ours_ended || (ev.kind == EventKind::Left && mine) {
                                self.participant = None;
                                return Some(format!("{}: {}", ev.kind, ev.detail));
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return Some("the server is stopping".into()),
                        _ => {}
                    }
                }
            }
        }
    }

    /// Tessera's Via sent-by for requests inside this call.
    fn sent_by(&self) -> String {
        format!("{}:{}", sip_host(self.here()), self.ctx.port_for(&self.invite.path))
    }

    /// The address peers reach this call's side at: the local address, or behind a 1:1 NAT the
    /// public one (`media.external_address`), as in the SDP — in the Contact, so that the
    /// peer's requests in the call (a BYE) reach Tessera, and in the Via of Tessera's own.
    fn here(&self) -> IpAddr {
        self.ctx.media.advertised(self.local)
    }

    /// A chat message of the conference to the phone, as a MESSAGE in the call (its answer is
    /// not waited for; over UDP a lost one is not resent).
    fn send_chat(&mut self, c: &tessera_web::store::ChatMessage) {
        let body = super::chat::body(c);
        let sent_by = self.sent_by();
        let transport = self.invite.path.transport().to_string();
        let msg = self.dialog.request(
            "MESSAGE",
            &transport,
            &sent_by,
            &tag(),
            &[],
            Some(("text/plain;charset=utf-8", body.as_bytes())),
        );
        self.invite.path.send(msg);
    }

    /// Nothing can reach the caller any more: no BYE will be sent.
    fn participant_gone_quietly(&mut self) {
        self.quiet = true;
    }

    /// One digit of the PIN: `Ok(true)` when it admitted the caller. A complete entry is checked
    /// by the lockout service, like a PIN typed on the page or dialled.
    /// A key pressed in the conference (after the PIN), for the conference's keypad.
    async fn key(&mut self, digit: char) {
        let Some(participant) = self.participant else { return };
        let req = tessera_web::control::Request::Key { participant, digit };
        if let Err(e) = self.control.call(&self.conference, self.user, req).await {
            tracing::info!(conference = %self.conference, participant, error = %e, "SIP: keypad command refused");
        }
    }

    async fn pin_digit(&mut self, e: &mut Entry, d: char) -> Result<bool, String> {
        let Some(typed) = e.digit(d) else { return Ok(false) };
        let from = self.invite.path.peer().ip();
        let lockout = self.ctx.auth.lockout();
        match lockout.check_pin(&self.conference, e.expected(), &typed, Some(from), chrono::Utc::now().timestamp()) {
            PinCheck::Right => {
                tracing::info!(conference = %self.conference, name = ?self.name, "SIP: PIN accepted");
                self.join().await.map_err(|e| format!("could not join: {e}"))?;
                Ok(true)
            }
            PinCheck::Wrong if !e.wrong_entry() => {
                tracing::info!(conference = %self.conference, attempt = e.wrong, peer = %from, "SIP: wrong PIN entered");
                Ok(false)
            }
            PinCheck::Wrong => {
                metrics::counter!("tessera_sip_calls_total", "result" => "wrong_pin").increment(1);
                Err(format!("wrong PIN entered {} times", pin::ATTEMPTS))
            }
            PinCheck::Throttled => {
                metrics::counter!("tessera_sip_calls_total", "result" => "wrong_pin").increment(1);
                Err("too many wrong PINs or passwords from this address".into())
            }
        }
    }

    /// Makes the caller a participant: the RTP ports reserved for it go to the media plane.
    async fn join(&mut self) -> Result<(), ControlError> {
        let a = self.choice.audio.clone();
        let v = self.choice.video.clone();
        // The bound RTP sockets themselves go to the media plane with the join (a port released
        // and bound again could be taken by another call meanwhile); what it does not take
        // closes there.
        let mut bound = Bound::default();
        self.outgoing = crate::media::sent::Outgoing::new(
            self.choice.audio.as_ref().map(|a| a.format.clock_rate),
            self.choice.video.as_ref().map(|v| v.format.clock_rate),
        );
        bound.1 = self.outgoing.clone();
        // A phone that takes PLI or FIR is asked for keyframes: its video is then decoded only
        // while someone sees it.
        if self.choice.video.is_some() && self.choice.keyframe_feedback() {
            let ask = crate::media::slot::SenderAsks::default();
            bound.2 = Some(ask.clone());
            if self.choice.tmmbr() {
                self.asking.shown = Some(ask.shown.subscribe());
            }
            self.asking.notify = Some(ask);
        }
        for p in [self.audio.as_mut(), self.video.as_mut()].into_iter().flatten() {
            if let Some(s) = p.rtp.take() {
                s.into_std()
                    .and_then(|s| bound.add(s))
                    .map_err(|e| ControlError::Unavailable(Msg::text(format!("could not hand over media: {e}"))))?;
            }
        }
        let ports =
            RtpPorts { audio: self.audio.as_ref().map(|p| p.rtp_port), video: self.video.as_ref().map(|p| p.rtp_port) };
        let (video_to, audio_to) = self.media_targets();
        let req = Request::AddRtp {
            name: self.name.clone(),
            video: v
                .as_ref()
                .map(|t| if video_codec(t.codec) == VideoCodec::H264 { "h264" } else { "vp8" }.to_string()),
            audio: a.as_ref().map(|t| codec_name(audio_codec(t.codec)).to_string()),
            video_to,
            audio_to,
            payload_types: Some(PayloadTypes {
                video: v.as_ref().map(|t| t.pt),
                audio: a.as_ref().map(|t| t.pt),
                dtmf: a.as_ref().and_then(|t| t.dtmf_pt),
                h264_single_nal: self.choice.h264_single_nal(),
                opus_dtx: self.choice.opus_dtx(),
            }),
            ports: Some(ports),
            group: None,
            content: false,
            srtp: self.media_keys().map(Box::new),
            user: self.user,
            ends_without_media: true,
            // A guest joins with what the organiser does not allow off (the core's rule; a phone
            // has no way to turn it back on anyway).
            guest: self.guest.map(|g| GuestDevices { camera: g.camera, microphone: g.microphone }),
            // The peer's media comes from where it signals, or from what its SDP names.
            sources: [
                Some(self.invite.path.peer().ip()),
                a.as_ref().and_then(|t| t.peer).map(|p| p.0),
                v.as_ref().and_then(|t| t.peer).map(|p| p.0),
            ]
            .into_iter()
            .flatten()
            .collect(),
        };
        let started = Instant::now();
        let state = self.control.call_with(&self.conference, None, req, Box::new(bound)).await?;
        metrics::histogram!("tessera_sip_join_seconds").record(started.elapsed().as_secs_f64());
        self.participant = state.joined;
        self.joined_instance_ms = state.started_at_ms;
        if let Some(p) = self.participant {
            self.control.links.set(&self.conference, p, self.link_quality());
            self.linked = Some(p);
            if self.choice.video.is_some() {
                let (control, conference) = (self.control.clone(), self.conference.clone());
                // A phone starts at the full tier: few phones report often enough to ramp up.
                let estimator =
                    tessera_conference::quality::Estimator::new(self.ctx.video_kbps, super::CALL_AUDIO_KBPS);
                self.tiers = Some(crate::media::tiers::Tiers::new(control, conference, p, "SIP", estimator));
            }
        }
        tracing::info!(conference = %self.conference, name = %self.name, participant = ?self.participant, "SIP caller joined");
        Ok(())
    }

    /// Leaves the conference and, unless the caller hung up, sends the BYE (resent over UDP
    /// until answered, for up to 4 s).
    async fn hang_up(&mut self, rx: &mut mpsc::Receiver<Inbound>, why: Option<String>) {
        if let Some(p) = self.linked.take() {
            self.control.links.remove(&self.conference, p);
        }
        if let Some(p) = self.participant.take() {
            match self.control.call(&self.conference, None, Request::Remove { participant: p }).await {
                Ok(_) | Err(ControlError::NotRunning | ControlError::NoParticipant(_)) => {}
                Err(e) => tracing::warn!(error = %e, "SIP: could not remove the participant"),
            }
        }
        tracing::info!(conference = %self.conference, name = %self.name, reason = why.as_deref().unwrap_or("the caller hung up"), "SIP call ended");
        let Some(why) = why.filter(|_| !self.quiet) else { return };
        let sent_by = self.sent_by();
        let reason = format!("SIP;cause=200;text=\"{}\"", why.replace(['"', '\\'], "'"));
        let bye =
            self.dialog.request("BYE", self.invite.path.transport(), &sent_by, &tag(), &[("Reason", reason)], None);
        let n = self.dialog.local_cseq();
        let mut wait = T1;
        let deadline = Instant::now() + Duration::from_secs(4);
        loop {
            self.invite.path.send(bye.clone());
            let until = tokio::time::Instant::now() + wait;
            loop {
                match tokio::time::timeout_at(until, rx.recv()).await {
                    Ok(Some(m))
                        if m.msg.method().is_none() && cseq(&m.msg).is_some_and(|c| c.0 == n && c.1 == "BYE") =>
                    {
                        return;
                    }
                    Ok(Some(m)) if m.msg.method() == Some("BYE") => {
                        m.respond(200, reply(&m.msg.headers, 200, "OK", &self.dialog.local_tag, &[], b""));
                        return;
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            if self.invite.path.reliable() || Instant::now() >= deadline {
                return;
            }
            wait = (wait * 2).min(T2);
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}
