//! One inbound H.323 call, sans-IO: signalling packets, H.245 messages, the conference's
//! decision and the clock go in ([`Input`]); packets to send and what the call means for the
//! conference come out ([`Output`]). The daemon owns the sockets and the conference core owns
//! the rules (who may join, PINs): this machine only asks ([`Output::Admit`]) and obeys.
//!
//! The call: Setup → Call Proceeding and a request to join; once admitted → Connect with the
//! accepted Fast Connect channels (media flows at once) and, tunnelled in the same message, this
//! server's capability set and master/slave determination. Without Fast Connect, the channels
//! are opened over H.245 once both capability sets are known: this server opens one channel per
//! session in the first codec the peer lists, and accepts the peer's channels in codecs it
//! takes. H.245 travels tunnelled when the caller asks for it, otherwise on the separate
//! connection the daemon opens to the caller's H.245 address ([`Output::H245`]).
//!
//! The same machine runs calls this server places ([`placed`]): a Setup with Fast Connect
//! proposals, then the callee's answers; from its Connect on the call is the same.

mod placed;

pub use placed::RING_TIMEOUT;

use super::h245::channels::{self, Channel, FastStart, Local};
use super::h245::codec::{Codec, H264};
use super::h245::master_slave::{self, Role};
use super::h245::{self, Event, Out, capabilities};
use super::q931::MessageType;
use super::signalling::{Answer, Release, Setup, Signal};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long a call may stay without media once answered (H.245 never completing).
pub const MEDIA_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the conference may take to decide (a PIN is entered after admission, not here).
pub const ADMIT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long channels opened over H.245 may keep coming after the first, when the caller does
/// not open one for each medium this server opened (an endpoint that only receives video).
pub const SETTLE_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub enum Input {
    /// A call signalling packet (a TPKT payload) from the caller.
    Signal(Vec<u8>),
    /// An H.245 message from the separate H.245 connection.
    H245(Vec<u8>),
    /// The conference took the caller.
    Admitted {
        now: Instant,
    },
    /// The conference refused the caller.
    Refused(Release),
    /// This side ends the call (moderator, conference ended, shutdown).
    HangUp,
    Tick(Instant),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A call signalling packet for the caller (wrap in TPKT).
    Signal(Vec<u8>),
    /// An H.245 message for the separate connection (wrap in TPKT).
    H245(Vec<u8>),
    /// Open the separate H.245 connection to the caller's address.
    ConnectH245(SocketAddr),
    /// Ask the conference whether this caller may join.
    Admit { destination: Vec<String>, caller: Vec<String>, display: Option<String> },
    /// Media in this direction is set up: RTP from the caller in `channel`'s codec.
    Receive(Channel),
    /// Media in this direction is set up: send RTP in `channel`'s codec to its address.
    Send(Channel),
    /// The media set up now is all there will be for the call's start: the caller may join the
    /// conference with it. Said once; channels set up later are still said.
    Settled,
    /// Keys the caller pressed.
    Digits(String),
    /// The caller asks for a full picture.
    FastUpdate,
    /// Something the caller sent was not understood and was ignored (for the log).
    Ignored(String),
    /// A call this server placed: the callee is handling it (Call Proceeding).
    Proceeding,
    /// A call this server placed: the callee is ringing (Alerting).
    Ringing,
    /// A call this server placed: the callee answered (Connect).
    Answered,
    /// The call is over; nothing more comes out.
    Ended { reason: String },
}

/// This server's RTP/RTCP addresses per session (`None`: not offered).
type LocalAddresses = Box<dyn Fn(u8) -> Option<Local> + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A call this server placed, not answered yet.
    Calling,
    Admitting,
    Connected,
    Ended,
}

pub struct Call {
    state: State,
    answer: Answer,
    tunnelling: bool,
    local: LocalAddresses,
    video: H264,
    our_number: u32,
    role: Option<Role>,
    peer_caps: Option<Vec<Codec>>,
    caps_acked: bool,
    /// Channels this server opened (by number) and the codec each carries.
    opened: Vec<(u16, Codec)>,
    /// Sessions with media in each direction.
    receiving: Vec<u8>,
    sending: Vec<u8>,
    fast: Option<FastStart>,
    deadline: Instant,
    /// H.245 waiting for the next signalling message (tunnelled) or for the connection.
    queued: Vec<Vec<u8>>,
    /// The payload type of the caller's video, used for this server's too.
    video_pt: Option<u8>,
    /// The caller neither tunnels H.245 nor gave an address for it: it connects to ours.
    awaits_h245_address: bool,
    /// Channels this server opened that the caller refused.
    refused: Vec<u16>,
    settled: bool,
    /// When channels set up over H.245 count as all there are, whatever else may come.
    settle_by: Option<Instant>,
    /// The last time given (signalling carries none).
    now: Instant,
    /// A call this server placed: the codecs it proposed, what the callee said so far, and
    /// the cause of its Release Complete.
    proposed: Vec<Codec>,
    told: Vec<Output>,
    fast_answered: bool,
    cause: Option<u8>,
}

impl Call {
    /// A call from `setup`. `local` gives this server's RTP/RTCP addresses per session (`None`:
    /// not offered); `video` is what this server's encoder makes; `our_number` a random number
    /// for master/slave determination.
    pub fn new(
        setup: &Setup,
        local: impl Fn(u8) -> Option<Local> + Send + Sync + 'static,
        video: H264,
        our_number: u32,
        now: Instant,
    ) -> (Call, Vec<Output>) {
        let fast = (!setup.fast_start.is_empty()).then(|| channels::answer_fast_start(&setup.fast_start, &local));
        let mut call = Call::with(State::Admitting, Answer::to(setup), Box::new(local), video, our_number, now);
        call.tunnelling = setup.h245_tunnelling;
        call.fast = fast.filter(|f| !f.accepted.is_empty());
        call.deadline = now + ADMIT_TIMEOUT;
        call.awaits_h245_address = !setup.h245_tunnelling && setup.h245_address.is_none();
        let mut out = Vec::new();
        call.signal(&mut out, call.answer.call_proceeding());
        if !call.tunnelling
            && let Some(a) = setup.h245_address
        {
            out.push(Output::ConnectH245(a));
        }
        out.push(Output::Admit {
            destination: setup.destination.clone(),
            caller: setup.caller.clone(),
            display: setup.display.clone(),
        });
        (call, out)
    }

    /// A call in `state` with nothing negotiated yet; its deadline is `now` until set.
    fn with(state: State, answer: Answer, local: LocalAddresses, video: H264, our_number: u32, now: Instant) -> Call {
        Call {
            state,
            tunnelling: answer.h245_tunnelling,
            answer,
            local,
            video,
            our_number: our_number & 0xff_ffff,
            role: None,
            peer_caps: None,
            caps_acked: false,
            opened: Vec::new(),
            receiving: Vec::new(),
            sending: Vec::new(),
            fast: None,
            deadline: now,
            queued: Vec::new(),
            video_pt: None,
            awaits_h245_address: false,
            refused: Vec::new(),
            settled: false,
            settle_by: None,
            now,
            proposed: Vec::new(),
            told: Vec::new(),
            fast_answered: false,
            cause: None,
        }
    }

    /// Whether the caller expects this server's H.245 address in the Connect: it neither
    /// tunnels H.245 nor named an address of its own. See [`Call::listen_h245`].
    pub fn awaits_h245_address(&self) -> bool {
        self.awaits_h245_address
    }

    /// The address where this server accepts the caller's H.245 connection; it goes in the
    /// Connect (so call this before [`Input::Admitted`]).
    pub fn listen_h245(&mut self, at: SocketAddr) {
        self.answer.h245_address = Some(at);
    }

    pub fn ended(&self) -> bool {
        self.state == State::Ended
    }

    /// The conference's name shown to the caller in the answers.
    pub fn set_display(&mut self, name: &str) {
        self.answer.display = Some(name.to_string());
    }

    pub fn handle(&mut self, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        if self.state == State::Ended {
            return out;
        }
        match input {
            Input::Signal(bytes) => self.on_signal(&bytes, &mut out),
            Input::H245(bytes) => self.on_h245(&bytes, &mut out),
            Input::Admitted { now } => self.on_admitted(now, &mut out),
            Input::Refused(why) => self.end(&mut out, why, "refused by the conference"),
            Input::HangUp => {
                self.h245(Out::EndSession, &mut out);
                self.flush_tunnel(&mut out);
                self.end(&mut out, Release::Normal, "hung up here");
            }
            Input::Tick(now) => {
                self.now = now;
                if self.state == State::Calling && now >= self.deadline {
                    self.end(&mut out, Release::NoAnswer, "no answer");
                    return out;
                }
                if !self.settled && self.has_media() {
                    let by = *self.settle_by.get_or_insert(now + SETTLE_WAIT);
                    if now >= by {
                        self.settle(&mut out);
                    }
                }
                if now >= self.deadline && self.state != State::Connected {
                    self.end(&mut out, Release::Normal, "the conference did not answer in time");
                } else if now >= self.deadline && !self.has_media() {
                    self.end(&mut out, Release::Normal, "no media was set up");
                }
            }
        }
        out
    }

    fn has_media(&self) -> bool {
        !self.receiving.is_empty() || !self.sending.is_empty()
    }

    fn settle(&mut self, out: &mut Vec<Output>) {
        if !self.settled {
            self.settled = true;
            out.push(Output::Settled);
        }
    }

    /// Over H.245, media is settled once both capability sets are known, each channel this
    /// server opened is answered, and the caller opened one in each of those media too.
    fn check_settled(&mut self, out: &mut Vec<Output>) {
        if self.settled || !self.caps_acked || self.peer_caps.is_none() || !self.has_media() {
            return;
        }
        let answered = self.opened.iter().all(|(n, c)| self.sending.contains(&c.session()) || self.refused.contains(n));
        let both_ways = self.opened.iter().all(|(_, c)| self.receiving.contains(&c.session()));
        if answered && both_ways {
            self.settle(out);
        }
    }

    fn signal(&self, out: &mut Vec<Output>, packet: Result<Vec<u8>, super::signalling::SignalError>) {
        match packet {
            Ok(p) => out.push(Output::Signal(p)),
            Err(e) => out.push(Output::Ignored(format!("an answer could not be written: {e}"))),
        }
    }

    fn end(&mut self, out: &mut Vec<Output>, why: Release, reason: &str) {
        self.signal(out, self.answer.release_complete(why));
        self.state = State::Ended;
        out.push(Output::Ended { reason: reason.to_string() });
    }

    fn on_admitted(&mut self, now: Instant, out: &mut Vec<Output>) {
        if self.state != State::Admitting {
            return;
        }
        self.state = State::Connected;
        self.deadline = now + MEDIA_TIMEOUT;
        // Capability set and master/slave determination go with the Connect when tunnelled.
        let caps = capabilities::ours(1, &self.video);
        self.h245(Out::Capabilities(Box::new(caps)), out);
        self.h245(Out::MasterSlave { number: self.our_number }, out);
        let mut connect = self.answer.clone();
        if let Some(fast) = self.fast.take() {
            connect.fast_start = fast.accepted;
            for c in fast.receive {
                self.receiving.push(c.codec.session());
                if c.codec.is_video() {
                    self.video_pt = Some(c.payload_type);
                }
                out.push(Output::Receive(c));
            }
            for c in fast.send {
                self.sending.push(c.codec.session());
                out.push(Output::Send(c));
            }
        }
        if self.tunnelling {
            connect.h245_control = std::mem::take(&mut self.queued);
        }
        self.signal(out, connect.connect());
        // Fast Connect's channels are all there will be at the start.
        if self.has_media() {
            self.settle(out);
        }
    }

    fn on_signal(&mut self, bytes: &[u8], out: &mut Vec<Output>) {
        let signal = match Signal::read(bytes) {
            Ok(s) => s,
            Err(e) => {
                out.push(Output::Ignored(format!("signalling: {e}")));
                return;
            }
        };
        if self.state == State::Calling {
            self.on_answer(&signal, out);
        }
        for m in signal.h245_control().to_vec() {
            self.on_h245(&m, out);
        }
        match signal.q931.kind {
            MessageType::ReleaseComplete => {
                let reason = match (self.state, signal.q931.cause()) {
                    (State::Calling, Some(c)) => format!("refused by the callee (Q.931 cause {c})"),
                    (State::Calling, None) => "refused by the callee".into(),
                    _ if self.proposed.is_empty() => "the caller hung up".into(),
                    _ => "the callee hung up".into(),
                };
                self.cause = signal.q931.cause();
                self.state = State::Ended;
                out.push(Output::Ended { reason });
            }
            MessageType::Information => {
                // Overlap-style digits in the keypad facility element.
                if let Some(k) = signal.q931.element(super::q931::ie::KEYPAD_FACILITY) {
                    let keys = h245::keys(k);
                    if !keys.is_empty() {
                        out.push(Output::Digits(keys));
                    }
                }
            }
            _ => {}
        }
        self.flush_tunnel(out);
    }

    fn on_h245(&mut self, bytes: &[u8], out: &mut Vec<Output>) {
        let event = match h245::read(bytes) {
            Ok(e) => e,
            Err(e) => {
                out.push(Output::Ignored(format!("H.245 (aligned PER): {e}")));
                return;
            }
        };
        match event {
            Event::MasterSlave { terminal_type, number } => {
                match master_slave::decide(terminal_type, number, self.our_number) {
                    Some(role) => {
                        self.role = Some(role);
                        let peer = if role == Role::Master { Role::Slave } else { Role::Master };
                        self.h245(Out::MasterSlaveAck { peer }, out);
                    }
                    // Identical numbers: draw again and ask again.
                    None => {
                        self.our_number = self.our_number.wrapping_mul(1_103_515_245).wrapping_add(12345) & 0xff_ffff;
                        self.h245(Out::MasterSlave { number: self.our_number }, out);
                    }
                }
            }
            Event::MasterSlaveAck(role) => self.role = self.role.or(Some(role)),
            Event::Capabilities(set) => {
                self.h245(Out::CapabilitiesAck { sequence: set.sequence_number.0 }, out);
                self.peer_caps = Some(capabilities::receivable(&set));
            }
            Event::CapabilitiesAck => self.caps_acked = true,
            Event::OpenChannel(olc) => self.on_open(&olc, out),
            Event::OpenChannelAck(ack) => {
                if let Some((number, rtp, rtcp)) = channels::acked(&ack)
                    && let Some(&(_, codec)) = self.opened.iter().find(|(n, _)| *n == number)
                    && !self.sending.contains(&codec.session())
                {
                    self.sending.push(codec.session());
                    let payload_type =
                        codec.static_payload_type().or(self.video_pt).unwrap_or(channels::H264_PAYLOAD_TYPE);
                    out.push(Output::Send(Channel { number, codec, payload_type, rtp: Some(rtp), rtcp }));
                }
            }
            // Only this server's channels, once each: a peer repeating rejections grows nothing.
            Event::OpenChannelReject(n) if self.opened.iter().any(|(m, _)| *m == n) && !self.refused.contains(&n) => {
                self.refused.push(n)
            }
            Event::CloseChannel(n) => self.h245(Out::CloseChannelAck(n), out),
            Event::Digits(d) if !d.is_empty() => out.push(Output::Digits(d)),
            Event::FastUpdate => out.push(Output::FastUpdate),
            Event::EndSession => {
                let who = if self.proposed.is_empty() { "the caller" } else { "the callee" };
                self.end(out, Release::Normal, &format!("{who} ended the session"));
                return;
            }
            _ => {}
        }
        self.open_ours(out);
        self.check_settled(out);
    }

    /// Accepts a peer's channel in a codec this server takes, once per session.
    fn on_open(
        &mut self,
        olc: &tessera_h323_asn::multimedia_system_control::OpenLogicalChannel,
        out: &mut Vec<Output>,
    ) {
        let number = olc.forward_logical_channel_number.0;
        let Some(channel) = channels::incoming(olc) else {
            self.h245(Out::OpenChannelReject(number), out);
            return;
        };
        let session = channel.codec.session();
        let Some(here) = (self.local)(session) else {
            self.h245(Out::OpenChannelReject(number), out);
            return;
        };
        if self.receiving.contains(&session) {
            self.h245(Out::OpenChannelReject(number), out);
            return;
        }
        self.receiving.push(session);
        if channel.codec.is_video() {
            self.video_pt = Some(channel.payload_type);
        }
        self.h245(Out::OpenChannelAck(Box::new(channels::open_ack(number, session, here.rtp, here.rtcp))), out);
        out.push(Output::Receive(channel));
    }

    /// Opens this server's channels once the peer's capabilities are known and this server's
    /// were acknowledged: per session not yet sending, the first codec the peer lists.
    fn open_ours(&mut self, out: &mut Vec<Output>) {
        if self.state != State::Connected || !self.caps_acked {
            return;
        }
        let Some(caps) = self.peer_caps.clone() else { return };
        for session in [h245::codec::AUDIO_SESSION, h245::codec::VIDEO_SESSION] {
            if self.sending.contains(&session) || self.opened.iter().any(|(_, c)| c.session() == session) {
                continue;
            }
            let Some(here) = (self.local)(session) else { continue };
            let Some(codec) = caps.iter().find(|c| c.session() == session) else { continue };
            // Video goes out as this server's encoder makes it, within what the peer takes.
            let codec = match codec {
                Codec::H264(peer) => Codec::H264(H264 {
                    level: self.video.level.min(peer.level),
                    max_bitrate_100bps: self.video.max_bitrate_100bps.min(peer.max_bitrate_100bps.max(1)),
                }),
                c => *c,
            };
            let number = 1 + self.opened.len() as u16;
            self.opened.push((number, codec));
            // One payload type each way for video, as the media plane keeps one per medium.
            let pt = self.video_pt.unwrap_or(channels::H264_PAYLOAD_TYPE);
            self.h245(Out::OpenChannel(Box::new(channels::open(number, &codec, pt, here.rtcp))), out);
        }
    }

    /// Sends an H.245 message: queued for the next signalling message when tunnelled (or for
    /// the Connect), otherwise on the separate connection.
    fn h245(&mut self, m: Out, out: &mut Vec<Output>) {
        match m.encode() {
            Ok(bytes) if self.tunnelling => self.queued.push(bytes),
            Ok(bytes) => out.push(Output::H245(bytes)),
            Err(e) => out.push(Output::Ignored(format!("an H.245 message could not be written: {e}"))),
        }
    }

    /// Sends queued tunnelled H.245 in a Facility, once the call is connected.
    fn flush_tunnel(&mut self, out: &mut Vec<Output>) {
        if self.state != State::Connected || self.queued.is_empty() {
            return;
        }
        let f = Answer { h245_control: std::mem::take(&mut self.queued), ..self.answer.clone() };
        self.signal(out, f.tunnel());
    }
}
