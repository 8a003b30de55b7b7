//! The shared encoder of one distinct output (layout, codec and size): composed canvases and the
//! full audio mix in, H.264 (or VP8, for endpoints that take only that) and Opus out to two
//! [`Fanout`]s. Everyone who sees the layout — RTSP
//! clients, the multicast group, the recording — receives these same encoded samples.

use super::fanout::Fanout;
use super::rtp_input::VideoCodec;
use super::synthetic::{appsink, appsrc};
use anyhow::Context;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tessera_mixer::frame::Frame;

pub struct EncoderSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub video_kbps: u32,
    pub audio_bps: u32,
}

/// Frames of silence (20 ms each) encoded after the last receiver of the mix has gone: more than
/// Opus's look-ahead (6.5 ms) and a frame's overlap.
const SILENT_TAIL: u8 = 3;

pub struct Encoder {
    pipeline: gst::Pipeline,
    video_in: gst_app::AppSrc,
    audio_in: gst_app::AppSrc,
    video_out: gst_app::AppSink,
    pub video: Arc<Fanout>,
    pub audio: Arc<Fanout>,
    width: u32,
    height: u32,
    /// Silent frames still to encode since the mix lost its last receiver ([`Encoder::push_mix`]).
    silent_tail: AtomicU8,
}

impl Encoder {
    pub fn start(what: &str, s: &EncoderSettings, codec: VideoCodec) -> anyhow::Result<Encoder> {
        let gop = s.fps * 2;
        let tuning = super::encoder_tuning::for_size(s.width, s.height);
        let video = match codec {
            VideoCodec::H264 => super::h264_encoder::chosen().launch(s.video_kbps, gop, tuning),
            // Real time (deadline 1 µs), constant bitrate, no look-ahead; the speed by size.
            VideoCodec::Vp8 => format!(
                "vp8enc name=venc deadline=1 cpu-used={cpu} end-usage=cbr target-bitrate={bps} keyframe-max-dist={gop} \
                 lag-in-frames=0 threads={threads} ! video/x-vp8",
                bps = s.video_kbps * 1000,
                cpu = tuning.vp8_cpu_used,
                threads = tuning.threads,
            ),
        };
        let launch = format!(
            "appsrc name=vin is-live=true format=time max-bytes=20000000 leaky-type=downstream \
               caps=video/x-raw,format=I420,width={w},height={h},framerate={fps}/1 \
             ! queue max-size-buffers=4 leaky=downstream ! {video} \
             ! appsink name=vout sync=false async=false \
             appsrc name=ain is-live=true format=time max-bytes=2000000 leaky-type=downstream \
               caps=audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved \
             ! audioconvert ! opusenc bitrate={abps} frame-size=20 complexity={complexity} inband-fec=true packet-loss-percentage=10 \
             ! appsink name=aout sync=false async=false",
            w = s.width,
            h = s.height,
            fps = s.fps,
            abps = s.audio_bps,
            complexity = super::encoder_tuning::OPUS_COMPLEXITY,
        );
        // Every sink is `async=false`: a branch that gets no data (an output nobody hears, an
        // endpoint that sends no video) must not hold the whole pipeline in PAUSED.
        let pipeline = super::launch(&launch, "the encoder pipeline")?;
        let video_in = appsrc(pipeline.upcast_ref(), "vin")?;
        let audio_in = appsrc(pipeline.upcast_ref(), "ain")?;
        let video_out = appsink(&pipeline, "vout")?;
        let audio_out = appsink(&pipeline, "aout")?;
        let video = Arc::new(Fanout::default());
        let audio = Arc::new(Fanout::default());
        for (sink, fan) in [(&video_out, &video), (&audio_out, &audio)] {
            let fan = fan.clone();
            // Encoders shift timestamps (x264enc adds 1000 hours so that DTS never goes negative).
            // The engine's first frame has PTS 0 and nothing is dropped before it, so the first
            // output's PTS is the shift: take it off, and every output is on the engine's clock.
            let shift = std::sync::OnceLock::<gst::ClockTime>::new();
            sink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |sink| {
                        let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        fan.push(&unshift(sample, &shift));
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .build(),
            );
        }
        super::watch_bus(&pipeline, format!("encoder {what}"), |_| {});
        metrics::gauge!("tessera_media_encoders").increment(1.0);
        pipeline.set_state(gst::State::Playing).context("starting the encoder")?;
        Ok(Encoder {
            pipeline,
            video_in,
            audio_in,
            video_out,
            video,
            audio,
            width: s.width,
            height: s.height,
            silent_tail: AtomicU8::new(SILENT_TAIL),
        })
    }

    pub fn push_video(&self, canvas: &Frame, pts: gst::ClockTime, duration: gst::ClockTime) {
        debug_assert_eq!((canvas.width, canvas.height), (self.width, self.height));
        let mut data = Vec::with_capacity(canvas.y.len() + canvas.u.len() + canvas.v.len());
        data.extend_from_slice(&canvas.y);
        data.extend_from_slice(&canvas.u);
        data.extend_from_slice(&canvas.v);
        let mut buffer = gst::Buffer::from_mut_slice(data);
        {
            let b = buffer.make_mut();
            b.set_pts(pts);
            b.set_duration(duration);
        }
        if let Err(e) = self.video_in.push_buffer(buffer) {
            tracing::debug!(error = ?e, "encoder refused a frame");
        }
    }

    /// The conference's mix, every 20 ms: encoded while someone receives the audio (RTSP,
    /// multicast, recording) and before the first receiver, so that a receiver finds the stream
    /// described. When the last receiver has gone, [`SILENT_TAIL`] frames of silence are encoded
    /// instead and then nothing: the encoder keeps its look-ahead and its last frame's overlap,
    /// which would otherwise start the next receiver's stream — minutes later — with a blip of
    /// what was said before (or before a microphone was muted).
    pub fn push_mix(&self, samples: &[i16], pts: gst::ClockTime) {
        if self.audio.watched() || !self.audio.started() {
            self.silent_tail.store(SILENT_TAIL, Ordering::Relaxed);
            self.push_audio(samples, pts);
        } else if self.silent_tail.load(Ordering::Relaxed) > 0 {
            self.silent_tail.fetch_sub(1, Ordering::Relaxed);
            self.push_audio(&vec![0; samples.len()], pts);
        }
    }

    fn push_audio(&self, samples: &[i16], pts: gst::ClockTime) {
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut buffer = gst::Buffer::from_mut_slice(data);
        {
            let b = buffer.make_mut();
            b.set_pts(pts);
            b.set_duration(gst::ClockTime::from_mseconds(20));
        }
        if let Err(e) = self.audio_in.push_buffer(buffer) {
            tracing::debug!(error = ?e, "encoder refused audio");
        }
    }
}

fn unshift(sample: gst::Sample, shift: &std::sync::OnceLock<gst::ClockTime>) -> gst::Sample {
    let Some(pts) = sample.buffer().and_then(|b| b.pts()) else { return sample };
    let by = *shift.get_or_init(|| pts);
    if by.is_zero() {
        return sample;
    }
    let Some(mut buffer) = sample.buffer_owned() else { return sample };
    {
        let b = buffer.make_mut();
        b.set_pts(pts.saturating_sub(by));
        b.set_dts(b.dts().map(|d| d.saturating_sub(by)));
    }
    super::fanout::sample_of(&buffer, sample.caps())
}

/// Sends an upstream force-key-unit event from `sink` towards its encoder.
fn request_keyframe(sink: &impl IsA<gst::Element>) {
    metrics::counter!("tessera_media_keyframe_requests_total").increment(1);
    let ev = gstreamer_video::UpstreamForceKeyUnitEvent::builder().all_headers(true).build();
    if !sink.send_event(ev) {
        tracing::debug!("keyframe request not handled");
    }
}

/// What receivers need of an encoder: its two streams and a way to ask it for a keyframe.
#[derive(Clone)]
pub struct EncodedStreams {
    pub video: Arc<Fanout>,
    pub audio: Arc<Fanout>,
    keyframe_sink: gst_app::AppSink,
}

impl EncodedStreams {
    /// Asks the encoder for a keyframe with its headers, for a receiver that just arrived or
    /// lost pictures.
    pub fn request_keyframe(&self) {
        request_keyframe(&self.keyframe_sink);
    }
}

impl EncodedStreams {
    /// Subscribes a receiver that muxes both streams into a file-like output (the recorder, the
    /// HLS segmenter): timestamps kept and shared from the first video keyframe, which is asked
    /// for now. Returns the two subscriptions, for [`EncodedStreams::unsubscribe_pair`].
    pub fn subscribe_rebased(&self, video: gst_app::AppSrc, audio: gst_app::AppSrc) -> (u64, u64) {
        let base = Arc::new(std::sync::Mutex::new(None));
        let ids = (
            self.video.subscribe(video, super::fanout::Timing::Rebased(base.clone()), true),
            self.audio.subscribe(audio, super::fanout::Timing::Rebased(base), false),
        );
        self.request_keyframe();
        ids
    }

    pub fn unsubscribe_pair(&self, (video, audio): (u64, u64)) {
        self.video.unsubscribe(video);
        self.audio.unsubscribe(audio);
    }
}

impl Encoder {
    pub fn streams(&self) -> EncodedStreams {
        EncodedStreams { video: self.video.clone(), audio: self.audio.clone(), keyframe_sink: self.video_out.clone() }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        metrics::gauge!("tessera_media_encoders").decrement(1.0);
        self.video.finish();
        self.audio.finish();
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
