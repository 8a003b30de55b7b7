//! Browsers in conferences: the daemon's side of [`tessera_web::rtc`]. Each join request from
//! a conference page's WebSocket becomes a [`peer`] of its own.

/// The polls of an interceptor that queues what passes it in `self.read` and `self.write`.
macro_rules! queue_polls {
    () => {
        fn poll_read(&mut self) -> Option<TaggedPacket> {
            self.read.pop_front()
        }

        fn poll_write(&mut self) -> Option<TaggedPacket> {
            self.write.pop_front()
        }
    };
}

/// `Interceptor` for an interceptor that keeps nothing per stream.
macro_rules! no_stream_state {
    ($t:ty) => {
        impl rtc::interceptor::Interceptor for $t {
            fn bind_local_stream(&mut self, _info: &rtc::interceptor::StreamInfo) {}
            fn unbind_local_stream(&mut self, _info: &rtc::interceptor::StreamInfo) {}
            fn bind_remote_stream(&mut self, _info: &rtc::interceptor::StreamInfo) {}
            fn unbind_remote_stream(&mut self, _info: &rtc::interceptor::StreamInfo) {}
        }
    };
}

mod announce;
mod codecs;
mod continuity;
mod keyframes;
mod nack_guard;
pub mod peer;

use std::net::IpAddr;
use std::sync::Arc;
use tessera_web::control::Control;
use tessera_web::rtc::Rtc;

/// Starts serving join requests; the returned handle goes into the web's state.
pub fn start(
    ice_addresses: &[IpAddr],
    rtp_bind: IpAddr,
    media: Arc<crate::media::sockets::MediaSockets>,
    ice_tcp: bool,
    video_kbps: u32,
    control: Control,
) -> anyhow::Result<Rtc> {
    let runtime = webrtc::runtime::default_runtime()
        .ok_or_else(|| anyhow::anyhow!("the webrtc crate was built without a runtime"))?;
    let settings =
        Arc::new(peer::Settings { ice: ice_addresses.to_vec(), media, ice_tcp, rtp_bind, video_kbps, runtime });
    let (rtc, mut requests) = Rtc::channel();
    tokio::spawn(async move {
        while let Some((req, reply)) = requests.recv().await {
            let (settings, control) = (settings.clone(), control.clone());
            tokio::spawn(async move {
                let conference = req.conference.clone();
                let r = peer::join(settings, control, req).await;
                if let Err(e) = &r {
                    tracing::info!(conference = %conference, error = %e, "WebRTC: join refused");
                    metrics::counter!("tessera_webrtc_join_failures_total").increment(1);
                }
                let _ = reply.send(r);
            });
        }
    });
    let list: Vec<String> = ice_addresses.iter().map(ToString::to_string).collect();
    tracing::info!(ice_addresses = %list.join(", "), "WebRTC ready (host candidates on these addresses)");
    Ok(rtc)
}
