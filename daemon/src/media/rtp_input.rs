//! A participant whose media arrives as RTP on UDP ports Tessera picked — the receiving half of
//! a SIP or WebRTC endpoint once SDP is negotiated, and usable on its own by tests and room
//! systems that send plain RTP. Each packet is checked before GStreamer sees it (RTP version,
//! header length, the negotiated payload type); malformed ones and ones of another codec are
//! dropped and counted, with a rate-limited log line. Then a jitter buffer, the depayloader and
//! a decoder that never gives up on bad data (`max-errors=-1`) hand frames to the mixer.
//! G.711 audio (PCMU, PCMA) skips GStreamer: [`super::native_audio`] reads and decodes it.

use super::g711::Law;
use super::handoff::Bound;
use super::latch::Latch;
use super::native_audio::{NativeAudioIn, NativeSink};
use super::slot::{MediaSlot, feed_audio, feed_video};
use super::synthetic::appsink;
use anyhow::{Context, bail};
use gstreamer as gst;
use gstreamer::prelude::*;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoCodec {
    H264,
    Vp8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioCodec {
    Opus,
    Pcmu,
    Pcma,
    G722,
}

impl VideoCodec {
    pub fn parse(s: &str) -> Option<VideoCodec> {
        match s {
            "h264" => Some(VideoCodec::H264),
            "vp8" => Some(VideoCodec::Vp8),
            _ => None,
        }
    }

    pub fn default_pt(self) -> u8 {
        match self {
            VideoCodec::H264 => 96,
            VideoCodec::Vp8 => 97,
        }
    }

    /// (RTP caps without the payload type, depayload-and-decode chain). `avdec_h264` decodes on
    /// its streaming thread (`max-threads=1`): a conference decodes many pictures at once, one
    /// thread each already, and libav's frame threading on top cost 5-10 % more CPU for 16
    /// 720p streams and held each picture one frame longer per thread.
    fn chain(self) -> (&'static str, &'static str) {
        match self {
            VideoCodec::H264 => (
                "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264",
                "rtph264depay ! h264parse ! avdec_h264 name=vdec max-errors=-1 max-threads=1",
            ),
            VideoCodec::Vp8 => (
                "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8",
                "rtpvp8depay ! vp8dec name=vdec max-errors=-1",
            ),
        }
    }
}

impl AudioCodec {
    pub fn parse(s: &str) -> Option<AudioCodec> {
        match s {
            "opus" => Some(AudioCodec::Opus),
            "pcmu" => Some(AudioCodec::Pcmu),
            "pcma" => Some(AudioCodec::Pcma),
            "g722" => Some(AudioCodec::G722),
            _ => None,
        }
    }

    pub fn default_pt(self) -> u8 {
        match self {
            AudioCodec::Opus => 111,
            AudioCodec::Pcmu => 0,
            AudioCodec::Pcma => 8,
            AudioCodec::G722 => 9,
        }
    }

    fn chain(self) -> (&'static str, &'static str) {
        match self {
            AudioCodec::Opus => (
                "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS",
                "rtpopusdepay ! opusdec use-inband-fec=true plc=true",
            ),
            AudioCodec::Pcmu => {
                ("application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU", "rtppcmudepay ! mulawdec")
            }
            AudioCodec::Pcma => {
                ("application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMA", "rtppcmadepay ! alawdec")
            }
            AudioCodec::G722 => {
                ("application/x-rtp,media=audio,clock-rate=8000,encoding-name=G722", "rtpg722depay ! avdec_g722")
            }
        }
    }
}

/// What an RTP participant sends: each medium's codec, payload type and the port to receive it
/// on (0: any free port), and RFC 4733 DTMF packets to ignore on the audio port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpSpec {
    pub bind: IpAddr,
    pub video: Option<(VideoCodec, u8, u16)>,
    pub audio: Option<(AudioCodec, u8, u16)>,
    pub dtmf_pt: Option<u8>,
    /// Send this participant H.264 as single NAL units (packetization mode 0).
    pub h264_single_nal: bool,
    /// Send this participant Opus with discontinuous transmission.
    pub opus_dtx: bool,
}

pub struct RtpInput {
    /// Video, and audio in codecs other than G.711.
    pipeline: Option<gst::Pipeline>,
    /// Where each medium's packets come from (see [`super::latch`]).
    video_latch: Arc<Latch>,
    audio_latch: Arc<Latch>,
    /// G.711 audio, read without GStreamer.
    native: Option<NativeAudioIn>,
    pub video_port: Option<u16>,
    pub audio_port: Option<u16>,
}

impl AudioCodec {
    /// The G.711 law, for codecs the native path handles.
    pub fn law(self) -> Option<Law> {
        match self {
            AudioCodec::Pcmu => Some(Law::Mu),
            AudioCodec::Pcma => Some(Law::A),
            _ => None,
        }
    }
}

/// The socket signalling bound for `port` (see [`super::handoff`]), else a new one there.
fn socket_for(bind: IpAddr, port: u16, bound: &mut Bound) -> anyhow::Result<std::net::UdpSocket> {
    if port != 0
        && let Some(s) = bound.take(port)
    {
        return Ok(s);
    }
    std::net::UdpSocket::bind((bind, port)).with_context(|| format!("binding an RTP port on {bind}:{port}"))
}

impl RtpInput {
    /// `sources`: the addresses whose packets may latch each medium's source (empty: any);
    /// `symmetric`: media back goes to the latched source (SIP peers).
    /// `bound`: sockets signalling already bound for the spec's ports (the rest are bound here).
    /// `srtp`: the SDES keys of media that arrive protected.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        name: &str,
        spec: &RtpSpec,
        srtp: &super::srtp::MediaKeys,
        bound: &mut Bound,
        sources: &[IpAddr],
        symmetric: bool,
        slot: Arc<MediaSlot>,
        reports: Reports,
    ) -> anyhow::Result<RtpInput> {
        let Reports { bad_input: on_error, keys: on_key } = reports;
        if spec.video.is_none() && spec.audio.is_none() {
            bail!("neither video nor audio");
        }
        let video_latch = Arc::new(Latch::new(sources.to_vec(), symmetric));
        let audio_latch = Arc::new(Latch::new(sources.to_vec(), symmetric));
        let bind = spec.bind;
        let mut launch = String::new();
        if let Some((v, pt, port)) = spec.video {
            let (caps, chain) = v.chain();
            launch += &format!(
                "udpsrc name=vsrc address={bind} port={port} caps=\"{caps},payload={pt}\" ! rtpjitterbuffer latency=100 drop-on-latency=true \
                 ! {chain} ! videoconvert ! video/x-raw,format=I420 ! appsink name=video sync=false async=false max-buffers=2 drop=true "
            );
        }
        let law = spec.audio.and_then(|a| a.0.law());
        if let Some((a, pt, port)) = spec.audio.filter(|_| law.is_none()) {
            let (caps, chain) = a.chain();
            launch += &format!(
                "udpsrc name=asrc address={bind} port={port} caps=\"{caps},payload={pt}\" ! rtpjitterbuffer latency=60 drop-on-latency=true do-lost=true \
                 ! {chain} ! audioconvert ! audioresample \
                 ! audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved ! appsink name=audio sync=false async=false "
            );
        }
        let native = match (law, spec.audio) {
            (Some(law), Some((_, pt, port))) => {
                let socket = socket_for(bind, port, bound)?;
                let sink = NativeSink {
                    slot: slot.clone(),
                    who: name.to_string(),
                    latch: audio_latch.clone(),
                    on_key: on_key.clone(),
                };
                let unprotect = srtp.audio.as_ref().map(|k| k.unprotect()).transpose().map_err(anyhow::Error::msg)?;
                Some(NativeAudioIn::start(socket, law, pt, spec.dtmf_pt, sink, unprotect)?)
            }
            _ => None,
        };
        let audio_port = native.as_ref().and_then(|n| n.socket.local_addr().ok()).map(|a| a.port());
        if launch.is_empty() {
            return Ok(RtpInput { pipeline: None, video_latch, audio_latch, native, video_port: None, audio_port });
        }
        let pipeline = super::launch(&launch, "an RTP input")?;
        for (src, port) in [("vsrc", spec.video.map(|v| v.2)), ("asrc", spec.audio.map(|a| a.2))] {
            if let (Some(el), Some(port)) = (pipeline.by_name(src), port.filter(|p| *p != 0))
                && let Some(socket) = bound.take(port)
            {
                let socket = gio::Socket::from_fd(socket.into()).context("handing a socket to GStreamer")?;
                el.set_property("socket", &socket);
                el.set_property("close-socket", true);
            }
        }
        let dropped = Arc::new(AtomicU64::new(0));
        for (src, pt, keys, latch, key) in [
            ("vsrc", spec.video.map(|v| v.1), None, &video_latch, srtp.video.as_ref()),
            (
                "asrc",
                spec.audio.map(|a| a.1),
                spec.dtmf_pt.map(|d| (d, on_key.clone())),
                &audio_latch,
                srtp.audio.as_ref(),
            ),
        ] {
            if let (Some(el), Some(pt)) = (pipeline.by_name(src), pt) {
                let unprotect = key.map(|k| k.unprotect()).transpose().map_err(anyhow::Error::msg)?;
                let guard = Guard { pt, keys, who: name.to_string(), dropped: dropped.clone(), latch: latch.clone() };
                guard_rtp(&el, guard, unprotect);
            }
        }
        if spec.video.is_some() {
            if let Some(decoder) = pipeline.by_name("vdec") {
                super::decode_gate::install(&decoder, slot.clone());
            }
            feed_video(&appsink(&pipeline, "video")?, slot.clone());
        }
        if spec.audio.is_some() && native.is_none() {
            feed_audio(&appsink(&pipeline, "audio")?, slot);
        }
        super::watch_bus(&pipeline, format!("RTP input {name}"), on_error);
        pipeline.set_state(gst::State::Playing).context("starting an RTP input")?;
        let port = |n: &str| pipeline.by_name(n).map(|e| e.property::<i32>("port")).and_then(|p| u16::try_from(p).ok());
        let (video_port, audio_port) = (port("vsrc"), audio_port.or(port("asrc")));
        Ok(RtpInput { pipeline: Some(pipeline), video_latch, audio_latch, native, video_port, audio_port })
    }
}

impl RtpInput {
    /// The sockets media arrives on (video, audio): what goes back to the endpoint is sent from
    /// them (symmetric RTP), so that NATs and firewalls that let the endpoint's media in let
    /// Tessera's reach it.
    pub fn sockets(&self) -> SendFrom {
        use std::os::fd::AsFd;
        // A duplicate of the descriptor: GStreamer's GSocket stays with its thread, the copy
        // can travel to the senders.
        let used = |n: &str| {
            let s = self.pipeline.as_ref()?.by_name(n)?.property::<Option<gio::Socket>>("used-socket")?;
            let fd = s.as_fd().try_clone_to_owned().ok()?;
            Some(Arc::new(std::net::UdpSocket::from(fd)))
        };
        let audio = self.native.as_ref().map(|n| n.socket.clone()).or_else(|| used("asrc"));
        SendFrom {
            video: used("vsrc"),
            audio,
            audio_latch: Some(self.audio_latch.clone()),
            video_latch: Some(self.video_latch.clone()),
            srtp: super::srtp::MediaKeys::default(),
            sent: super::sent::Outgoing::default(),
        }
    }
}

/// Where an RTP participant's media is sent from: the sockets it is received on.
#[derive(Debug, Clone, Default)]
pub struct SendFrom {
    pub video: Option<Arc<std::net::UdpSocket>>,
    pub audio: Option<Arc<std::net::UdpSocket>>,
    /// Where the endpoint's audio and video come from, once known.
    pub audio_latch: Option<Arc<Latch>>,
    pub video_latch: Option<Arc<Latch>>,
    /// SRTP: each medium's keys, Tessera's own protecting what it sends.
    pub srtp: super::srtp::MediaKeys,
    /// What is sent, where the call that signalled it follows it (SIP).
    pub sent: super::sent::Outgoing,
}

impl Drop for RtpInput {
    fn drop(&mut self) {
        if let Some(p) = &self.pipeline {
            let _ = p.set_state(gst::State::Null);
        }
    }
}

/// Why a packet is not RTP of the negotiated codec, if it is not.
pub fn check_rtp(p: &[u8], pt: u8) -> Result<(), &'static str> {
    if p.len() < 12 {
        return Err("shorter than an RTP header");
    }
    if p[0] >> 6 != 2 {
        return Err("not RTP version 2");
    }
    let csrc = usize::from(p[0] & 0x0f);
    let mut header = 12 + 4 * csrc;
    if p[0] & 0x10 != 0 {
        let Some(ext) = p.get(header + 2..header + 4) else { return Err("truncated header extension") };
        header += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    let padding = if p[0] & 0x20 != 0 { usize::from(*p.last().unwrap_or(&0)) } else { 0 };
    if header + padding > p.len() {
        return Err("header or padding longer than the packet");
    }
    if p[1] & 0x7f != pt {
        return Err("payload type not negotiated (codec change?)");
    }
    Ok(())
}

/// Drops packets that are not RTP of payload type `pt` before they reach the jitter buffer;
/// those of type `ignore` (DTMF events) are dropped without a word.
/// Packets from another address than the latched source are dropped too.
/// Where a phone's keys go (RFC 4733 events in its audio, after admission).
pub type Keys = Arc<dyn Fn(char) + Send + Sync>;

/// What an input tells the runtime as it runs: input it could not use, and keys pressed.
pub struct Reports {
    pub bad_input: Box<dyn Fn(String) + Send + Sync>,
    pub keys: Keys,
}

/// What [`guard_rtp`] checks a source's packets against, and where it reports.
struct Guard {
    pt: u8,
    keys: Option<(u8, Keys)>,
    who: String,
    dropped: Arc<AtomicU64>,
    latch: Arc<Latch>,
}

impl Guard {
    fn drop_packet(&self, why: &str) -> gst::PadProbeReturn {
        let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::counter!("tessera_media_rtp_dropped_total").increment(1);
        if n <= 5 || n.is_power_of_two() {
            tracing::warn!(participant = %self.who, reason = why, dropped = n, "malformed RTP packet dropped");
        }
        super::DISCARD
    }
}

/// Checks what `src` reads before the depayloader sees it: SRTP unprotected first (when
/// `unprotect`), then the RTP header, the payload type, the sender's address (the latch) and
/// DTMF events.
fn guard_rtp(src: &gst::Element, guard: Guard, unprotect: Option<super::srtp::Srtp>) {
    let Some(pad) = src.static_pad("src") else { return };
    let events = std::sync::Mutex::new(tessera_sip_h323_bridge::rtp::dtmf::EventReceiver::default());
    let unprotect = unprotect.map(std::sync::Mutex::new);
    let Guard { pt, ref keys, ref latch, .. } = guard;
    let (keys, latch) = (keys.clone(), latch.clone());
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        if let (Some(s), Some(buf)) = (&unprotect, info.buffer_mut()) {
            let mut s = s.lock().unwrap_or_else(|p| p.into_inner());
            if !super::srtp::shrink(buf, |p| s.unprotect_rtp(p)) {
                return guard.drop_packet("SRTP authentication failed (or a replay)");
            }
        }
        let Some(buf) = info.buffer() else { return gst::PadProbeReturn::Ok };
        // udpsrc notes each packet's sender (retrieve-sender-address, on by default).
        let from = || {
            buf.meta::<gstreamer_net::NetAddressMeta>()
                .and_then(|m| m.addr().downcast::<gio::InetSocketAddress>().ok())
                .map(std::net::SocketAddr::from)
        };
        let verdict = match buf.map_readable() {
            Ok(m) => check_rtp(&m, pt),
            Err(_) => Err("unreadable buffer"),
        };
        match verdict {
            // Well-formed, but from another address than the participant's.
            Ok(()) if from().is_some_and(|f| !latch.accept(f)) => super::DISCARD,
            Ok(()) => gst::PadProbeReturn::Ok,
            // Telephone events: not audio for the decoder; a key pressed, if they come from the
            // participant's own address.
            Err(_)
                if keys.as_ref().is_some_and(|(d, _)| buf.map_readable().is_ok_and(|m| check_rtp(&m, *d).is_ok())) =>
            {
                if let (Some((d, on_key)), Ok(m)) = (&keys, buf.map_readable())
                    && from().is_none_or(|f| latch.accept(f))
                    && let Some(digit) = events.lock().unwrap_or_else(|p| p.into_inner()).on_packet(&m, *d)
                {
                    on_key(digit);
                }
                super::DISCARD
            }
            Err(why) => guard.drop_packet(why),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::check_rtp;

    #[test]
    fn rtp_headers_are_checked() {
        let mut p = vec![0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa];
        assert_eq!(check_rtp(&p, 96), Ok(()));
        assert!(check_rtp(&p, 0).unwrap_err().contains("payload type"));
        assert!(check_rtp(&p[..11], 96).is_err());
        p[0] = 0x40;
        assert!(check_rtp(&p, 96).unwrap_err().contains("version"));
        p[0] = 0x8f; // 15 CSRCs, none present
        assert!(check_rtp(&p, 96).is_err());
        p[0] = 0x90; // extension bit without the extension
        assert!(check_rtp(&p, 96).is_err());
        let mut padded = vec![0xa0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 200];
        assert!(check_rtp(&padded, 96).is_err());
        padded[12] = 1;
        assert_eq!(check_rtp(&padded, 96), Ok(()));
    }
}
