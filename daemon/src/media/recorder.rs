//! Server-side recording: the shared encoder's H.264 and Opus, muxed without re-encoding into
//! fragmented MP4 (a `moof`/`mdat` pair every second, written unbuffered), so a crash or
//! `kill -9` leaves a file that plays up to its last fragment.

use super::encoder::EncodedStreams;
use super::synthetic::appsrc;
use anyhow::{Context, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

pub const FORMAT: &str = "mp4";

pub struct Recorder {
    pipeline: gst::Pipeline,
    streams: EncodedStreams,
    ids: (u64, u64),
    done: mpsc::Receiver<Result<(), String>>,
    path: PathBuf,
}

impl Recorder {
    /// Starts writing `path`. `on_failure` is called (once, from a GStreamer thread) when
    /// writing fails, for example when the disk is full; the conference goes on without it.
    pub fn start(
        path: &Path,
        streams: &EncodedStreams,
        on_failure: impl Fn(String) + Send + Sync + 'static,
    ) -> anyhow::Result<Recorder> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let location = path.to_str().ok_or_else(|| anyhow!("recording path is not UTF-8"))?;
        let pipeline = gst::Pipeline::new();
        let launch = "appsrc name=v is-live=true format=time ! h264parse ! queue ! mux. \
                      appsrc name=a is-live=true format=time ! opusparse ! queue ! mux. \
                      mp4mux name=mux fragment-duration=1000 streamable=true ! filesink name=file buffer-mode=unbuffered";
        let bin = gst::parse::bin_from_description(launch, false).context("building the recorder")?;
        pipeline.add(&bin)?;
        let file = bin.by_name("file").ok_or_else(|| anyhow!("no filesink"))?;
        file.set_property("location", location);
        let (tx, done) = mpsc::channel();
        let tx = Mutex::new(Some(tx));
        let what = format!("recorder {}", path.display());
        if let Some(bus) = pipeline.bus() {
            bus.set_sync_handler(move |_, msg| {
                use gst::MessageView;
                let finished = match msg.view() {
                    MessageView::Eos(_) => Some(Ok(())),
                    MessageView::Error(e) => {
                        tracing::error!(pipeline = %what, error = %e.error(), debug = ?e.debug(), "recording failed");
                        on_failure(e.error().to_string());
                        Some(Err(e.error().to_string()))
                    }
                    _ => None,
                };
                if let Some(r) = finished
                    && let Some(tx) = tx.lock().unwrap_or_else(|p| p.into_inner()).take()
                {
                    let _ = tx.send(r);
                }
                gst::BusSyncReply::Drop
            });
        }
        let v = appsrc(&bin, "v")?;
        let a = appsrc(&bin, "a")?;
        pipeline.set_state(gst::State::Playing).context("starting the recorder")?;
        let ids = streams.subscribe_rebased(v, a);
        Ok(Recorder { pipeline, streams: streams.clone(), ids, done, path: path.to_path_buf() })
    }

    /// Finishes the file (the muxer writes its index) and returns its size in bytes.
    pub fn stop(self) -> Result<u64, String> {
        self.streams.unsubscribe_pair(self.ids);
        let bin = self.pipeline.children().into_iter().next().and_then(|b| b.downcast::<gst::Bin>().ok());
        if let Some(bin) = bin {
            for name in ["v", "a"] {
                if let Ok(src) = appsrc(&bin, name) {
                    let _ = src.end_of_stream();
                }
            }
        }
        let result = match self.done.recv_timeout(Duration::from_secs(5)) {
            Ok(r) => r,
            Err(_) => Err("the recording did not finish within 5 s".into()),
        };
        let _ = self.pipeline.set_state(gst::State::Null);
        let size = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        result.map(|()| size)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
