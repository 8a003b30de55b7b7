//! The media plane: GStreamer pipelines around the mixer. Sources (synthetic participants now,
//! SIP and WebRTC endpoints later) hand decoded frames and 20 ms audio frames to a conference's
//! [`engine`], which composes them with `tessera-mixer` and feeds one shared [`encoder`] per
//! distinct output; the encoded streams fan out to the [`rtsp`] mount, the [`multicast`] sender
//! and the [`recorder`] without being encoded again.

pub mod decode_gate;
pub mod destination;
pub mod echo;
pub mod encoder;
pub mod encoder_tuning;
pub mod engine;
pub mod fanout;
pub mod fmp4;
pub mod g711;
pub mod h264_encoder;
pub mod handoff;
pub mod hls;
pub mod latch;
pub mod local;
pub mod multicast;
pub mod native_audio;
pub mod push;
pub mod recorder;
pub mod rtp_input;
pub mod rtp_output;
pub mod rtsp;
pub mod sent;
pub mod shown_size;
pub mod slot;
pub mod sockets;
pub mod srtp;
pub mod synthetic;
pub mod tiers;

use anyhow::{Context, bail};

/// What a buffer probe answers for a buffer it throws away: `Handled` (the probe consumed it),
/// never `Drop`. gstreamer-rs has already taken the buffer out of the probe's info and frees it;
/// on `Drop`, GStreamer before 1.24.8 (Debian 12 has 1.22) then unrefs the NULL left there, a
/// GStreamer-CRITICAL for every buffer thrown away.
pub const DISCARD: gstreamer::PadProbeReturn = gstreamer::PadProbeReturn::Handled;

/// The GStreamer elements the media plane needs, with the Debian package that ships each.
const REQUIRED: &[(&str, &str)] = &[
    ("appsrc", "gstreamer1.0-plugins-base"),
    ("appsink", "gstreamer1.0-plugins-base"),
    ("videotestsrc", "gstreamer1.0-plugins-base"),
    ("audiotestsrc", "gstreamer1.0-plugins-base"),
    ("videoconvert", "gstreamer1.0-plugins-base"),
    ("audioconvert", "gstreamer1.0-plugins-base"),
    ("opusenc", "gstreamer1.0-plugins-base"),
    ("x264enc", "gstreamer1.0-plugins-ugly"),
    ("webrtcdsp", "gstreamer1.0-plugins-bad"),
    ("webrtcechoprobe", "gstreamer1.0-plugins-bad"),
    ("h264parse", "gstreamer1.0-plugins-bad"),
    ("rtph264pay", "gstreamer1.0-plugins-good"),
    ("rtpopuspay", "gstreamer1.0-plugins-good"),
    ("mp4mux", "gstreamer1.0-plugins-good"),
    ("udpsink", "gstreamer1.0-plugins-good"),
    ("udpsrc", "gstreamer1.0-plugins-good"),
    ("rtpjitterbuffer", "gstreamer1.0-plugins-good"),
    ("rtph264depay", "gstreamer1.0-plugins-good"),
    ("rtpvp8depay", "gstreamer1.0-plugins-good"),
    ("rtpopusdepay", "gstreamer1.0-plugins-good"),
    ("rtppcmudepay", "gstreamer1.0-plugins-good"),
    ("rtppcmadepay", "gstreamer1.0-plugins-good"),
    ("rtpg722depay", "gstreamer1.0-plugins-good"),
    ("vp8dec", "gstreamer1.0-plugins-good"),
    ("mulawdec", "gstreamer1.0-plugins-good"),
    ("alawdec", "gstreamer1.0-plugins-good"),
    ("opusdec", "gstreamer1.0-plugins-base"),
    ("audioresample", "gstreamer1.0-plugins-base"),
    ("avdec_h264", "gstreamer1.0-libav"),
    ("avdec_g722", "gstreamer1.0-libav"),
    ("avenc_g722", "gstreamer1.0-libav"),
    ("mulawenc", "gstreamer1.0-plugins-good"),
    ("alawenc", "gstreamer1.0-plugins-good"),
    ("rtppcmupay", "gstreamer1.0-plugins-good"),
    ("rtppcmapay", "gstreamer1.0-plugins-good"),
    ("rtpg722pay", "gstreamer1.0-plugins-good"),
];

/// Initialises GStreamer once and checks that every element the media plane uses is installed,
/// naming the package of each missing one.
pub fn init() -> anyhow::Result<()> {
    gstreamer::init().context("initialising GStreamer")?;
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|(e, _)| gstreamer::ElementFactory::find(e).is_none())
        .map(|(e, p)| format!("{e} ({p})"))
        .collect();
    if !missing.is_empty() {
        bail!("GStreamer elements missing: {}; install them with apt-get", missing.join(", "));
    }
    Ok(())
}

/// A pipeline from a `gst-launch-1.0`-style description; `what` names it in errors.
pub fn launch(description: &str, what: &str) -> anyhow::Result<gstreamer::Pipeline> {
    use gstreamer::prelude::*;
    gstreamer::parse::launch(description)
        .with_context(|| format!("building {what}"))?
        .downcast::<gstreamer::Pipeline>()
        .map_err(|_| anyhow::anyhow!("{what}: not a pipeline"))
}

/// Logs what a pipeline's bus says, from the thread that says it, and hands errors to `on_error`.
pub fn watch_bus(pipeline: &gstreamer::Pipeline, what: String, on_error: impl Fn(String) + Send + Sync + 'static) {
    use gstreamer::MessageView;
    use gstreamer::prelude::*;
    let Some(bus) = pipeline.bus() else { return };
    bus.set_sync_handler(move |_, msg| {
        match msg.view() {
            MessageView::Error(e) => {
                let text = format!("{} ({})", e.error(), e.debug().map(|d| d.to_string()).unwrap_or_default());
                tracing::error!(pipeline = %what, source = ?msg.src().map(|s| s.path_string()), error = %text, "media error");
                on_error(e.error().to_string());
            }
            MessageView::Warning(w) => {
                tracing::warn!(pipeline = %what, source = ?msg.src().map(|s| s.path_string()), warning = %w.error(), "media warning")
            }
            _ => {}
        }
        gstreamer::BusSyncReply::Drop
    });
}
