//! Sending to an endpoint: the video of the output its layout belongs to (shared with everyone
//! who sees that layout: one more payloader, never one more encoder), and its own audio mix (all
//! but itself), encoded for it alone in the codec it negotiated.

use super::encoder::EncodedStreams;
use super::engine::{AudioTo, VideoTo};
use super::fanout::Timing;
use super::rtp_input::{AudioCodec, VideoCodec};
use super::synthetic::appsrc;
use anyhow::Context;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

pub struct RtpVideoSender {
    pipeline: gst::Pipeline,
    streams: EncodedStreams,
    id: u64,
}

impl RtpVideoSender {
    /// H.264 with `single_nal` is packetization mode 0: one NAL unit per packet however large
    /// (the largest UDP payload; IP fragments it), for peers that take no fragmentation units.
    /// `sent`: where the call follows what is sent (its peer's NACKs and Tessera's reports).
    pub fn start(
        dest: &VideoTo,
        streams: &EncodedStreams,
        from: Option<&Arc<UdpSocket>>,
        protect: Option<super::srtp::Srtp>,
        sent: Option<&Arc<super::sent::Sent>>,
    ) -> anyhow::Result<RtpVideoSender> {
        let (to, pt) = (dest.to, dest.pt);
        let pay = match dest.codec {
            VideoCodec::H264 => {
                let mtu = if dest.single_nal { 65_000 } else { 1_400 };
                format!("h264parse ! rtph264pay pt={pt} mtu={mtu} config-interval=-1")
            }
            VideoCodec::Vp8 => format!("rtpvp8pay pt={pt} mtu=1200 picture-id-mode=15-bit"),
        };
        let launch = format!(
            "appsrc name=v is-live=true format=time do-timestamp=true ! {pay} ! udpsink name=out host={} port={} sync=false async=false",
            to.ip(),
            to.port()
        );
        let pipeline = super::launch(&launch, "an RTP video sender")?;
        let from = send_from(&pipeline, to, from);
        let tag = protect.as_ref().map_or(0, |p| p.tag_len());
        protect_out(&pipeline, protect);
        // After SRTP's probe (probes run in the order they were added): what leaves.
        follow(&pipeline, sent, from, to, tag);
        let v = appsrc(pipeline.upcast_ref(), "v")?;
        super::watch_bus(&pipeline, format!("RTP video to {to}"), |_| {});
        pipeline.set_state(gst::State::Playing).context("starting an RTP video sender")?;
        let id = streams.video.subscribe(v, Timing::Live, true);
        streams.request_keyframe();
        Ok(RtpVideoSender { pipeline, streams: streams.clone(), id })
    }
}

impl Drop for RtpVideoSender {
    fn drop(&mut self) {
        self.streams.video.unsubscribe(self.id);
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

pub struct RtpAudioSender {
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
    frames: u64,
}

impl RtpAudioSender {
    pub fn start(
        dest: &AudioTo,
        from: Option<&Arc<UdpSocket>>,
        protect: Option<super::srtp::Srtp>,
        sent: Option<&Arc<super::sent::Sent>>,
    ) -> anyhow::Result<RtpAudioSender> {
        let to = dest.to;
        let chain = encode_chain(dest.codec, dest.pt, dest.dtx);
        let launch = format!(
            "appsrc name=a is-live=true format=time caps=audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved \
             ! audioconvert ! audioresample ! {chain} ! udpsink name=out host={} port={} sync=false async=false",
            to.ip(),
            to.port()
        );
        let pipeline = super::launch(&launch, "an RTP audio sender")?;
        let from = send_from(&pipeline, to, from);
        let tag = protect.as_ref().map_or(0, |p| p.tag_len());
        protect_out(&pipeline, protect);
        // After SRTP's probe (probes run in the order they were added): what leaves.
        follow(&pipeline, sent, from, to, tag);
        let src = appsrc(pipeline.upcast_ref(), "a")?;
        super::watch_bus(&pipeline, format!("RTP audio to {to}"), |_| {});
        pipeline.set_state(gst::State::Playing).context("starting an RTP audio sender")?;
        Ok(RtpAudioSender { pipeline, src, frames: 0 })
    }

    /// One 20 ms frame of this endpoint's mix.
    pub fn push(&mut self, samples: &[i16]) {
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut buffer = gst::Buffer::from_mut_slice(data);
        {
            let b = buffer.make_mut();
            b.set_pts(gst::ClockTime::from_mseconds(self.frames * 20));
            b.set_duration(gst::ClockTime::from_mseconds(20));
        }
        self.frames += 1;
        let _ = self.src.push_buffer(buffer);
    }
}

/// SRTP on what the pipeline's `out` sink sends, when the peer negotiated it.
fn protect_out(pipeline: &gst::Pipeline, protect: Option<super::srtp::Srtp>) {
    if let (Some(sink), Some(p)) = (pipeline.by_name("out"), protect) {
        super::srtp::protect_sink(&sink, p);
    }
}

/// Whether a packet sent from `local` can reach `to`: the same address family, and not from
/// loopback when `to` is elsewhere.
pub fn reaches(local: &UdpSocket, to: SocketAddr) -> bool {
    local.local_addr().is_ok_and(|l| l.is_ipv4() == to.is_ipv4() && (!l.ip().is_loopback() || to.ip().is_loopback()))
}

/// Sends from `from` (the socket the endpoint's media arrives on) when it can reach `to`;
/// returns it then.
fn send_from(pipeline: &gst::Pipeline, to: SocketAddr, from: Option<&Arc<UdpSocket>>) -> Option<Arc<UdpSocket>> {
    let (sink, socket) = (pipeline.by_name("out")?, from.filter(|s| reaches(s, to))?);
    // Another duplicate, which the sink owns and closes; the receiving socket stays open.
    let gsocket = socket.try_clone().ok().and_then(|s| gio::Socket::from_fd(s.into()).ok())?;
    sink.set_property(if to.is_ipv4() { "socket" } else { "socket-v6" }, &gsocket);
    sink.set_property("close-socket", true);
    Some(socket.clone())
}

/// Has `sent` follow what the pipeline's `out` sink sends (from `from`, to `to`), as it leaves
/// (SRTP adding `tag` bytes).
fn follow(
    pipeline: &gst::Pipeline,
    sent: Option<&Arc<super::sent::Sent>>,
    from: Option<Arc<UdpSocket>>,
    to: SocketAddr,
    tag: usize,
) {
    if let (Some(sent), Some(sink)) = (sent, pipeline.by_name("out")) {
        sent.sending(from, to);
        sent.watch(&sink, tag);
    }
}

/// Raw audio (any rate) to RTP packets of `codec` with payload type `pt`; Opus with in-band FEC,
/// and with discontinuous transmission when `dtx` (silence goes as a comfort-noise packet every
/// 400 ms; the payloader drops the empty ones between).
pub fn encode_chain(codec: AudioCodec, pt: u8, dtx: bool) -> String {
    match codec {
        AudioCodec::Opus => {
            format!(
                "audioresample ! audio/x-raw,rate=48000 ! opusenc bitrate=32000 frame-size=20 complexity={complexity} inband-fec=true \
                 packet-loss-percentage=10 dtx={dtx} ! rtpopuspay pt={pt} dtx={dtx}",
                complexity = super::encoder_tuning::OPUS_COMPLEXITY,
            )
        }
        AudioCodec::Pcmu => format!("audioresample ! audio/x-raw,rate=8000 ! mulawenc ! rtppcmupay pt={pt}"),
        AudioCodec::Pcma => format!("audioresample ! audio/x-raw,rate=8000 ! alawenc ! rtppcmapay pt={pt}"),
        AudioCodec::G722 => format!("audioresample ! audio/x-raw,rate=16000 ! avenc_g722 ! rtpg722pay pt={pt}"),
    }
}

impl Drop for RtpAudioSender {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// An endpoint's own mix on its way out: G.711 packetized here, other codecs through GStreamer.
pub enum AudioOut {
    Gst(RtpAudioSender),
    Native(Box<super::native_audio::NativeAudioOut>),
}

impl AudioOut {
    pub fn start(
        dest: &AudioTo,
        from: Option<&std::sync::Arc<std::net::UdpSocket>>,
        latch: Option<&std::sync::Arc<super::latch::Latch>>,
        protect: Option<super::srtp::Srtp>,
        sent: Option<&Arc<super::sent::Sent>>,
    ) -> anyhow::Result<AudioOut> {
        match dest.codec.law() {
            Some(law) => Ok(AudioOut::Native(Box::new(super::native_audio::NativeAudioOut::start(
                dest.to,
                law,
                dest.pt,
                from.cloned(),
                latch.cloned(),
                protect,
                sent.cloned(),
            )?))),
            None => Ok(AudioOut::Gst(RtpAudioSender::start(dest, from, protect, sent)?)),
        }
    }

    /// One 20 ms frame of this endpoint's mix (48 kHz mono).
    pub fn push(&mut self, samples: &[i16]) {
        match self {
            AudioOut::Gst(s) => s.push(samples),
            AudioOut::Native(s) => s.push(samples),
        }
    }
}
