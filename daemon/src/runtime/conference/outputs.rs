//! A running conference's multicast output, live stream to a platform and server-side recording
//! (the RTSP mount is set up with the conference itself).

use super::*;

impl Conf {
    pub(super) fn start_multicast(&mut self) {
        let s = &self.settings;
        let (Some(g), Some(port)) = (&s.multicast_group, s.multicast_port) else { return };
        let cfg = match (g.parse(), u16::try_from(port), u8::try_from(s.multicast_ttl.unwrap_or(1))) {
            (Ok(group), Ok(port), Ok(ttl)) => MulticastConfig { group, port, ttl },
            _ => {
                tracing::error!(conference = %s.id, group = %g, port, "multicast settings are invalid; no multicast output");
                return;
            }
        };
        match MulticastSender::start(&cfg, &self.streams) {
            Ok(m) => {
                let sdp = cfg.sdp(&s.id, &self.media.public_host);
                tracing::info!(conference = %s.id, group = %cfg.group, port = cfg.port, ttl = cfg.ttl, "multicast output running");
                self.multicast = Some((m, sdp));
            }
            Err(e) => {
                tracing::error!(conference = %s.id, error = %format!("{e:#}"), "multicast output failed to start")
            }
        }
    }

    /// Streams to the platform of `stream_url`, trying again while the conference runs.
    pub(super) fn start_push(&mut self) {
        let Some(url) = &self.settings.stream_url else { return };
        let target = match StreamTarget::parse(url) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(conference = %self.settings.id, "the stream URL {e}; not streaming (tessera admin conference media --stream)");
                return;
            }
        };
        tracing::info!(conference = %self.settings.id, target = %target.redacted(), "streaming to a platform");
        match StreamPush::start(&self.settings.id, target, &self.streams) {
            Ok(p) => self.push = Some(p),
            Err(e) => {
                tracing::error!(conference = %self.settings.id, error = %format!("{e:#}"), "the stream push failed to start")
            }
        }
    }

    /// Serves the conference as HLS when it has an `hls_key`.
    pub(super) fn start_hls(&mut self) {
        if self.settings.hls_key.is_none() {
            return;
        }
        let id = &self.settings.id;
        let now = now_ms();
        // The run names the files: a cache never mixes two runs' segments.
        let window = self.media.hls.open(id, format!("{now:x}"), now);
        match crate::media::hls::HlsOutput::start(id, &self.streams, window) {
            Ok(h) => {
                tracing::info!(conference = %id, "HLS output running (tessera admin conference media --hls prints its address)");
                self.hls = Some(h);
            }
            Err(e) => tracing::error!(conference = %id, error = %format!("{e:#}"), "the HLS output failed to start"),
        }
    }

    pub(super) async fn start_recording(&mut self) {
        let id = self.settings.id.clone();
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        // The ID names a folder: never let it climb out of the recordings directory.
        let safe: String =
            id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_".contains(c) { c } else { '_' }).collect();
        let file_name = format!("{safe}/{safe}-{stamp}.{}", recorder::FORMAT);
        let path = self.media.recordings_dir.join(&file_name);
        let (reply, rx) = oneshot::channel();
        self.send(EngineCmd::StartRecording { path: path.clone(), reply });
        match rx.await {
            Ok(Ok(())) => {
                let started = now_ms();
                match self.store.recording_started(&id, &file_name, recorder::FORMAT, started / 1000).await {
                    Ok(rid) => {
                        self.recording = Some(Recording { id: rid, file_name: file_name.clone(), started_ms: started });
                        self.event(EventKind::RecordingStarted, None, "", &file_name);
                    }
                    Err(e) => tracing::error!(conference = %id, error = %e, "indexing the recording failed"),
                }
            }
            Ok(Err(e)) => {
                tracing::error!(conference = %id, error = %e, "recording could not start");
                self.event(EventKind::RecordingFailed, None, "", &e);
            }
            Err(_) => tracing::error!(conference = %id, "media engine is gone"),
        }
    }

    pub(super) async fn stop_recording(&mut self) {
        let Some(r) = self.recording.take() else { return };
        let (reply, rx) = oneshot::channel();
        self.send(EngineCmd::StopRecording { reply });
        let result = rx.await.ok().flatten();
        let now = now_ms();
        let path = self.media.recordings_dir.join(&r.file_name);
        let size = std::fs::metadata(&path).map(|m| m.len() as i64).unwrap_or(0);
        let (state, err) = match result {
            Some(Ok(_)) => ("complete", None),
            Some(Err(e)) => ("failed", Some(e)),
            None => ("failed", Some("the recorder was gone".to_string())),
        };
        if let Err(e) =
            self.store.recording_finished(r.id, state, now / 1000, now - r.started_ms, size, err.as_deref()).await
        {
            tracing::error!(conference = %self.settings.id, error = %e, "closing the recording's index entry failed");
        }
        self.event(EventKind::RecordingStopped, None, "", &format!("{} ({state}, {size} bytes)", r.file_name));
    }
}
