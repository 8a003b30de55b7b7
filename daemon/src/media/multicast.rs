//! UDP multicast output: the shared encoder's H.264 (RTP payload type 96) on the configured
//! group and port and its Opus (payload type 97) on port + 2, with the SDP a receiver needs.

use super::encoder::EncodedStreams;
use super::synthetic::appsrc;
use anyhow::{Context, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MulticastConfig {
    pub group: Ipv4Addr,
    pub port: u16,
    pub ttl: u8,
}

impl MulticastConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !self.group.is_multicast() {
            return Err(format!("group {} is not a multicast address (224.0.0.0/4)", self.group));
        }
        if self.port < 1024 || self.port % 2 == 1 || self.port > 65532 {
            return Err(format!("port {} must be even, from 1024 to 65532 (audio uses port + 2)", self.port));
        }
        if self.ttl == 0 {
            return Err("ttl must be from 1 to 255".into());
        }
        Ok(())
    }

    /// The session description a receiver (VLC, ffplay, GStreamer's sdpdemux) opens.
    pub fn sdp(&self, conference: &str, origin: &str) -> String {
        let g = self.group;
        format!(
            "v=0\r\no=- 0 0 IN IP4 {origin}\r\ns=Tessera conference {conference}\r\nc=IN IP4 {g}/{ttl}\r\nt=0 0\r\n\
             m=video {vp} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\na=recvonly\r\n\
             m=audio {ap} RTP/AVP 97\r\na=rtpmap:97 opus/48000/2\r\na=fmtp:97 sprop-stereo=0\r\na=recvonly\r\n",
            ttl = self.ttl,
            vp = self.port,
            ap = self.port + 2,
        )
    }
}

pub struct MulticastSender {
    pipeline: gst::Pipeline,
    streams: EncodedStreams,
    ids: (u64, u64),
}

impl MulticastSender {
    pub fn start(cfg: &MulticastConfig, streams: &EncodedStreams) -> anyhow::Result<MulticastSender> {
        cfg.validate().map_err(|e| anyhow!(e))?;
        let launch = format!(
            "appsrc name=v is-live=true format=time do-timestamp=true ! h264parse ! rtph264pay pt=96 config-interval=-1 \
               ! udpsink host={g} port={p} ttl-mc={t} auto-multicast=true sync=false async=false \
             appsrc name=a is-live=true format=time do-timestamp=true ! rtpopuspay pt=97 \
               ! udpsink host={g} port={pa} ttl-mc={t} auto-multicast=true sync=false async=false",
            g = cfg.group,
            p = cfg.port,
            pa = cfg.port + 2,
            t = cfg.ttl
        );
        let pipeline = super::launch(&launch, "the multicast sender")?;
        let v = appsrc(pipeline.upcast_ref(), "v")?;
        let a = appsrc(pipeline.upcast_ref(), "a")?;
        super::watch_bus(&pipeline, format!("multicast {}:{}", cfg.group, cfg.port), |_| {});
        pipeline.set_state(gst::State::Playing).context("starting the multicast sender")?;
        let gate = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ids = (streams.video.subscribe_gate(v, gate.clone()), streams.audio.subscribe_gated(a, gate));
        streams.request_keyframe();
        Ok(MulticastSender { pipeline, streams: streams.clone(), ids })
    }
}

impl Drop for MulticastSender {
    fn drop(&mut self) {
        self.streams.video.unsubscribe(self.ids.0);
        self.streams.audio.unsubscribe(self.ids.1);
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_problem() {
        let ok = MulticastConfig { group: "239.1.2.3".parse().unwrap(), port: 5004, ttl: 4 };
        assert!(ok.validate().is_ok());
        let e = MulticastConfig { group: "10.1.2.3".parse().unwrap(), ..ok.clone() }.validate().unwrap_err();
        assert!(e.contains("not a multicast address"), "{e}");
        assert!(MulticastConfig { port: 5005, ..ok.clone() }.validate().unwrap_err().contains("even"));
        assert!(MulticastConfig { port: 80, ..ok.clone() }.validate().is_err());
        assert!(MulticastConfig { ttl: 0, ..ok }.validate().unwrap_err().contains("ttl"));
    }

    #[test]
    fn sdp_describes_both_streams() {
        let c = MulticastConfig { group: "239.1.2.3".parse().unwrap(), port: 5004, ttl: 4 };
        let sdp = c.sdp("room1", "tessera.example");
        assert!(sdp.starts_with("v=0\r\n"));
        assert!(sdp.contains("c=IN IP4 239.1.2.3/4\r\n"));
        assert!(sdp.contains("m=video 5004 RTP/AVP 96\r\n") && sdp.contains("a=rtpmap:96 H264/90000"));
        assert!(sdp.contains("m=audio 5006 RTP/AVP 97\r\n") && sdp.contains("a=rtpmap:97 opus/48000/2"));
    }
}
