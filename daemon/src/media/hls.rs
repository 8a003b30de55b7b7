//! The HLS output's segmenter: the shared encoder's H.264 as it is (no second video encoder) and
//! the Opus mix turned into AAC (what every HLS player takes), muxed by `mp4mux` into fragmented
//! MP4, read back by [`super::fmp4`] and cut into segments that each start with a keyframe, at
//! least [`MIN_SEGMENT_S`] long. The segments go to the conference's [`Window`], which the web
//! server serves (`tessera_web::hls`).

use super::encoder::EncodedStreams;
use super::fmp4::{Fragment, Piece, Splitter};
use super::synthetic::{appsink, appsrc};
use anyhow::Context;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::{Arc, Mutex, PoisonError};
use tessera_web::hls::{Bytes, Window};

/// A keyframe after this much of a segment starts the next one (a browser's picture-loss
/// request makes keyframes in between).
const MIN_SEGMENT_S: f64 = 1.0;
/// A segment this long without a keyframe asks the encoder for one, so that none exceeds the
/// playlist's target duration (the encoder makes one every 2 s anyway).
const ASK_KEYFRAME_S: f64 = 2.2;

/// Cuts fragments into segments (sans-IO).
#[derive(Default)]
pub struct Segmenter {
    current: Vec<u8>,
    start_s: Option<f64>,
    asked: bool,
}

/// What a fragment leads to.
#[derive(Debug, Default, PartialEq)]
pub struct Cut {
    /// A finished segment and its duration.
    pub segment: Option<(f64, Vec<u8>)>,
    /// The encoder should make a keyframe.
    pub want_keyframe: bool,
}

impl Segmenter {
    pub fn fragment(&mut self, f: Fragment) -> Cut {
        let mut cut = Cut::default();
        let Some(start) = self.start_s else {
            // Nothing plays before the first keyframe.
            if f.video && f.starts_with_keyframe {
                self.start_s = Some(f.time_s);
                self.current = f.bytes;
            }
            return cut;
        };
        if f.video {
            if f.starts_with_keyframe && f.time_s - start >= MIN_SEGMENT_S {
                cut.segment = Some((f.time_s - start, std::mem::replace(&mut self.current, f.bytes)));
                self.start_s = Some(f.time_s);
                self.asked = false;
                return cut;
            }
            if !self.asked && f.time_s - start >= ASK_KEYFRAME_S {
                self.asked = true;
                cut.want_keyframe = true;
            }
        }
        self.current.extend_from_slice(&f.bytes);
        cut
    }
}

/// A running HLS output; stops (and ends the playlist) when dropped.
pub struct HlsOutput {
    pipeline: gst::Pipeline,
    streams: EncodedStreams,
    ids: (u64, u64),
    window: Arc<Mutex<Window>>,
}

impl HlsOutput {
    pub fn start(conference: &str, streams: &EncodedStreams, window: Arc<Mutex<Window>>) -> anyhow::Result<HlsOutput> {
        let launch = format!(
            "appsrc name=v is-live=true format=time max-bytes=4000000 leaky-type=downstream ! h264parse ! queue \
               ! mp4mux name=mux fragment-duration=500 streamable=true ! appsink name=out sync=false async=false \
             appsrc name=a is-live=true format=time max-bytes=4000000 leaky-type=downstream ! {}",
            super::push::OPUS_TO_AAC
        );
        let pipeline = super::launch(&launch, "the HLS segmenter")?;
        let out = appsink(&pipeline, "out")?;
        let state = Mutex::new((Splitter::default(), Segmenter::default()));
        let (w, s, conf) = (window.clone(), streams.clone(), conference.to_string());
        out.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    let Some(buffer) = sample.buffer() else { return Ok(gst::FlowSuccess::Ok) };
                    let Ok(map) = buffer.map_readable() else { return Ok(gst::FlowSuccess::Ok) };
                    let mut st = state.lock().unwrap_or_else(PoisonError::into_inner);
                    let (splitter, segmenter) = &mut *st;
                    let pieces = match splitter.push(&map) {
                        Ok(p) => p,
                        Err(e) => {
                            tracing::error!(conference = %conf, error = %e, "the HLS muxer's output is unreadable; HLS stops");
                            return Err(gst::FlowError::Error);
                        }
                    };
                    for p in pieces {
                        match p {
                            Piece::Init(init) => w.lock().unwrap_or_else(PoisonError::into_inner).set_init(Bytes::from(init)),
                            Piece::Fragment(f) => {
                                let cut = segmenter.fragment(f);
                                if cut.want_keyframe {
                                    s.request_keyframe();
                                }
                                if let Some((duration, bytes)) = cut.segment {
                                    metrics::counter!("tessera_hls_segments_total").increment(1);
                                    w.lock().unwrap_or_else(PoisonError::into_inner).push(duration, Bytes::from(bytes));
                                }
                            }
                        }
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        super::watch_bus(&pipeline, format!("HLS {conference}"), |_| {});
        let v = appsrc(pipeline.upcast_ref(), "v")?;
        let a = appsrc(pipeline.upcast_ref(), "a")?;
        pipeline.set_state(gst::State::Playing).context("starting the HLS segmenter")?;
        let ids = streams.subscribe_rebased(v, a);
        Ok(HlsOutput { pipeline, streams: streams.clone(), ids, window })
    }
}

impl Drop for HlsOutput {
    fn drop(&mut self) {
        self.streams.unsubscribe_pair(self.ids);
        let _ = self.pipeline.set_state(gst::State::Null);
        let now = chrono::Utc::now().timestamp_millis();
        self.window.lock().unwrap_or_else(PoisonError::into_inner).end(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(video: bool, time_s: f64, key: bool) -> Fragment {
        Fragment { bytes: vec![time_s as u8], video, time_s, starts_with_keyframe: key }
    }

    #[test]
    fn segments_start_at_keyframes_and_last_at_least_a_second() {
        let mut s = Segmenter::default();
        // Audio and pictures before the first keyframe are not played.
        assert_eq!(s.fragment(f(false, 0.0, true)), Cut::default());
        assert_eq!(s.fragment(f(true, 0.0, false)), Cut::default());
        assert_eq!(s.fragment(f(true, 1.0, true)), Cut::default());
        assert_eq!(s.fragment(f(false, 1.0, true)), Cut::default());
        // A keyframe half a second in (a picture-loss request) does not cut.
        assert_eq!(s.fragment(f(true, 1.5, true)), Cut::default());
        let c = s.fragment(f(true, 3.0, true));
        assert_eq!(c.segment, Some((2.0, vec![1, 1, 1])));
        // No keyframe for 2.2 s: one is asked for, once.
        assert!(!s.fragment(f(true, 4.0, false)).want_keyframe);
        assert!(s.fragment(f(true, 5.2, false)).want_keyframe);
        assert!(!s.fragment(f(true, 5.5, false)).want_keyframe);
        let c = s.fragment(f(true, 5.6, true));
        assert_eq!(c.segment.map(|(d, b)| ((d * 10.0).round(), b)), Some((26.0, vec![3, 4, 5, 5])));
    }
}
