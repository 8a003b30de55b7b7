//! Which H.264 encoder the outputs use (`media.video_encoder`): x264 in software, or the
//! machine's video hardware through VA-API (`vah264enc`, GStreamer's `va` plugin, which lists
//! the element only where a VA driver opens a device: Intel and AMD graphics with
//! `intel-media-va-driver` or `mesa-va-drivers`). `auto` takes VA-API when a trial encode with
//! Tessera's settings works, and x264 otherwise; `vaapi` refuses to start without it.

use super::encoder_tuning::{self, Tuning};
use anyhow::{Context, bail};
use std::sync::OnceLock;

/// What `media.video_encoder` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Software,
    Vaapi,
    Auto,
}

/// Reads `media.video_encoder`.
pub fn wanted(value: &str) -> anyhow::Result<Wanted> {
    match value.trim() {
        "" | "auto" => Ok(Wanted::Auto),
        "software" | "x264" => Ok(Wanted::Software),
        "vaapi" => Ok(Wanted::Vaapi),
        other => bail!("media.video_encoder = {other:?}: say \"auto\", \"software\" (x264) or \"vaapi\""),
    }
}

/// The H.264 encoder outputs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H264Encoder {
    X264,
    Vaapi,
}

impl H264Encoder {
    /// The launch fragment that encodes I420 pictures into constrained-baseline H.264 (no
    /// B-frames, what every SIP phone and browser decodes), named `venc`; x264 works as hard as
    /// `tuning` (the output's size) says.
    pub fn launch(self, kbps: u32, gop: u32, tuning: Tuning) -> String {
        let encode = match self {
            H264Encoder::X264 => format!(
                "x264enc name=venc tune=zerolatency sliced-threads=false speed-preset={preset} threads={threads} \
                 bitrate={kbps} key-int-max={gop}",
                preset = tuning.x264_preset,
                threads = tuning.threads,
            ),
            // The VA encoder takes NV12 only; constant bit rate, no B-frames.
            H264Encoder::Vaapi => format!(
                "videoconvert ! video/x-raw,format=NV12 ! vah264enc name=venc rate-control=cbr bitrate={kbps} key-int-max={gop} b-frames=0"
            ),
        };
        format!(
            "{encode} ! video/x-h264,profile=constrained-baseline \
             ! h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au"
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            H264Encoder::X264 => "x264 (software)",
            H264Encoder::Vaapi => "VA-API (vah264enc, the video hardware)",
        }
    }
}

static CHOSEN: OnceLock<H264Encoder> = OnceLock::new();

/// The encoder chosen at start-up ([`choose`]); x264 before that (tools, benchmarks).
pub fn chosen() -> H264Encoder {
    CHOSEN.get().copied().unwrap_or(H264Encoder::X264)
}

/// Decides the encoder for `wanted` (GStreamer initialised), once, and says why. A VA-API
/// encoder is taken only after it encoded a few pictures with Tessera's settings.
pub fn choose(wanted: Wanted) -> anyhow::Result<H264Encoder> {
    let chosen = match wanted {
        Wanted::Software => H264Encoder::X264,
        Wanted::Vaapi => {
            trial(H264Encoder::Vaapi).context("media.video_encoder = \"vaapi\"")?;
            H264Encoder::Vaapi
        }
        Wanted::Auto => match trial(H264Encoder::Vaapi) {
            Ok(()) => H264Encoder::Vaapi,
            Err(e) => {
                tracing::info!(reason = %format!("{e:#}"), "no hardware H.264 encoder: outputs use x264");
                H264Encoder::X264
            }
        },
    };
    let _ = CHOSEN.set(chosen);
    Ok(chosen)
}

/// Encodes a few small pictures with `encoder`'s fragment; an error says what failed.
fn trial(encoder: H264Encoder) -> anyhow::Result<()> {
    use gstreamer::prelude::*;
    if encoder == H264Encoder::Vaapi && gstreamer::ElementFactory::find("vah264enc").is_none() {
        bail!(
            "GStreamer has no VA-API H.264 encoder (vah264enc): it needs gstreamer1.0-plugins-bad and a VA driver \
             that opens this machine's graphics (intel-media-va-driver, mesa-va-drivers), and /dev/dri readable by tessera"
        );
    }
    let launch = format!(
        "videotestsrc num-buffers=5 pattern=ball ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 \
         ! {} ! fakesink",
        encoder.launch(500, 60, encoder_tuning::for_size(320, 240))
    );
    let pipeline = super::launch(&launch, "the trial encode")?;
    let bus = pipeline.bus().context("the trial encode has no bus")?;
    pipeline.set_state(gstreamer::State::Playing).context("starting the trial encode")?;
    let msg = bus.timed_pop_filtered(
        gstreamer::ClockTime::from_seconds(10),
        &[gstreamer::MessageType::Eos, gstreamer::MessageType::Error],
    );
    let _ = pipeline.set_state(gstreamer::State::Null);
    match msg.as_ref().map(|m| m.view()) {
        Some(gstreamer::MessageView::Eos(_)) => Ok(()),
        Some(gstreamer::MessageView::Error(e)) => bail!("the trial encode failed: {}", e.error()),
        _ => bail!("the trial encode did not finish within 10 s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_read_and_bad_values_say_what_to_write() {
        assert_eq!(wanted("").unwrap(), Wanted::Auto);
        assert_eq!(wanted("software").unwrap(), Wanted::Software);
        assert_eq!(wanted(" vaapi ").unwrap(), Wanted::Vaapi);
        let e = wanted("nvenc").unwrap_err().to_string();
        assert!(e.contains("media.video_encoder") && e.contains("\"vaapi\""), "{e}");
    }

    #[test]
    fn x264_passes_its_trial_and_vaapi_is_refused_with_what_to_install_where_there_is_none() {
        gstreamer::init().unwrap();
        trial(H264Encoder::X264).unwrap();
        if gstreamer::ElementFactory::find("vah264enc").is_none() {
            let e = format!("{:#}", trial(H264Encoder::Vaapi).unwrap_err());
            assert!(e.contains("intel-media-va-driver"), "{e}");
        }
    }
}
