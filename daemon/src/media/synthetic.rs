//! A synthetic participant: a solid-colour test picture and a sine tone from GStreamer's own
//! test sources, decoded frames delivered to a [`MediaSlot`] like any endpoint's. Tests and the
//! demo room use them.

use super::slot::{MediaSlot, feed_audio, feed_video};
use anyhow::{Context, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::Arc;

/// The default picture size.
pub const SIZE: (u32, u32) = (640, 360);

pub struct Synthetic {
    pipeline: gst::Pipeline,
}

impl Synthetic {
    /// `rgb` is the picture's colour, `tone_hz` the tone's frequency (0 for silence).
    pub fn start(
        name: &str,
        rgb: (u8, u8, u8),
        tone_hz: u32,
        (width, height): (u32, u32),
        slot: Arc<MediaSlot>,
    ) -> anyhow::Result<Synthetic> {
        let argb = 0xff00_0000u32 | (u32::from(rgb.0) << 16) | (u32::from(rgb.1) << 8) | u32::from(rgb.2);
        let (wave, volume) = if tone_hz == 0 { ("silence", 0.0) } else { ("sine", 0.2) };
        let launch = format!(
            "videotestsrc is-live=true pattern=solid-color foreground-color={argb} \
             ! video/x-raw,format=I420,width={width},height={height},framerate=30/1 \
             ! appsink name=video sync=false async=false max-buffers=2 drop=true \
             audiotestsrc is-live=true wave={wave} freq={tone_hz} volume={volume} samplesperbuffer=960 \
             ! audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved \
             ! appsink name=audio sync=false async=false max-buffers=10 drop=true"
        );
        let pipeline = super::launch(&launch, "a synthetic participant's pipeline")?;
        feed_video(&appsink(&pipeline, "video")?, slot.clone());
        feed_audio(&appsink(&pipeline, "audio")?, slot);
        super::watch_bus(&pipeline, format!("synthetic {name}"), |_| {});
        pipeline.set_state(gst::State::Playing).context("starting a synthetic participant")?;
        Ok(Synthetic { pipeline })
    }
}

impl Drop for Synthetic {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

pub fn appsink(bin: &gst::Pipeline, name: &str) -> anyhow::Result<gst_app::AppSink> {
    bin.by_name(name)
        .ok_or_else(|| anyhow!("no element {name}"))?
        .downcast::<gst_app::AppSink>()
        .map_err(|_| anyhow!("{name} is not an appsink"))
}

pub fn appsrc(bin: &gst::Bin, name: &str) -> anyhow::Result<gst_app::AppSrc> {
    bin.by_name(name)
        .ok_or_else(|| anyhow!("no element {name}"))?
        .downcast::<gst_app::AppSrc>()
        .map_err(|_| anyhow!("{name} is not an appsrc"))
}
