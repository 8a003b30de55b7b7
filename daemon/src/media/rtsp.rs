//! The RTSP server (gstreamer-rtsp-server): one mount `/<conference id>` per running
//! conference, one shared media per mount, fed from the conference's shared encoder through a
//! [`Fanout`](super::fanout::Fanout) — a new client costs a payloader, not an encoder. A
//! client's keyframe request (RTCP PLI/FIR, arriving as an upstream force-key-unit event) is
//! forwarded to the shared encoder, and every PLAY asks for one: a client joining a media that
//! is already flowing starts at once instead of waiting for the next scheduled keyframe.
//! A client that takes its media over UDP gets server ports of `media.rtp_ports` when a range is
//! set (an address pool on every mount), so the firewall's one range covers RTSP too.

use super::encoder::EncodedStreams;
use super::synthetic::appsrc;
use anyhow::{Context, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_rtsp_server as rtsp;
use gstreamer_rtsp_server::prelude::*;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

const LAUNCH: &str = "( appsrc name=v is-live=true format=time do-timestamp=true \
    ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 \
    appsrc name=a is-live=true format=time do-timestamp=true ! rtpopuspay name=pay1 pt=97 )";

type Mounted = Arc<Mutex<HashMap<String, EncodedStreams>>>;

pub struct RtspServer {
    /// Kept so the server lives as long as this handle (its socket source holds only the context).
    _server: rtsp::RTSPServer,
    mounts: rtsp::RTSPMountPoints,
    /// The streams behind each mount, by conference id, for the keyframe a PLAY asks for.
    mounted: Mounted,
    main_loop: glib::MainLoop,
    thread: Option<std::thread::JoinHandle<()>>,
    pub port: u16,
    /// The server ports UDP clients get (`media.rtp_ports`), when a range is set.
    ports: Option<rtsp::RTSPAddressPool>,
}

impl RtspServer {
    /// `ports`: `media.rtp_ports`, the range UDP clients' server ports come from (`None`: any).
    pub fn start(listen: SocketAddr, ports: Option<std::ops::RangeInclusive<u16>>) -> anyhow::Result<RtspServer> {
        let server = rtsp::RTSPServer::new();
        server.set_address(&listen.ip().to_string());
        server.set_service(&listen.port().to_string());
        let mounts = server.mount_points().ok_or_else(|| anyhow!("the RTSP server has no mount points"))?;
        let ctx = glib::MainContext::new();
        server
            .attach(Some(&ctx))
            .with_context(|| format!("listening for RTSP on {listen} (media.rtsp_listen / TESSERA_RTSP_LISTEN)"))?;
        let port = u16::try_from(server.bound_port()).unwrap_or(0);
        let ports = match ports {
            Some(range) => {
                let pool = rtsp::RTSPAddressPool::new();
                let any = if listen.is_ipv4() { "0.0.0.0" } else { "::" };
                pool.add_range(any, any, *range.start(), *range.end(), 0)
                    .with_context(|| format!("RTSP server ports from media.rtp_ports ({range:?})"))?;
                Some(pool)
            }
            None => None,
        };
        let mounted = Mounted::default();
        let m = mounted.clone();
        server.connect_client_connected(move |_, client| {
            let m = m.clone();
            client.connect_play_request(move |_, ctx| {
                let conference = ctx.uri().and_then(|u| {
                    u.decode_path_components().into_iter().find(|c| !c.is_empty()).map(|c| c.to_string())
                });
                let streams =
                    conference.and_then(|c| m.lock().unwrap_or_else(PoisonError::into_inner).get(&c).cloned());
                if let Some(s) = streams {
                    s.request_keyframe();
                }
            });
        });
        let pool = server.session_pool();
        // Sessions of clients that vanished without TEARDOWN are removed after their timeout.
        glib::timeout_source_new(Duration::from_secs(2), None, glib::Priority::DEFAULT, move || {
            if let Some(p) = &pool {
                p.cleanup();
            }
            glib::ControlFlow::Continue
        })
        .attach(Some(&ctx));
        let main_loop = glib::MainLoop::new(Some(&ctx), false);
        let ml = main_loop.clone();
        let thread = std::thread::Builder::new()
            .name("rtsp".into())
            .spawn(move || {
                if let Err(e) = ctx.with_thread_default(|| ml.run()) {
                    tracing::error!(error = %e, "RTSP main loop could not start");
                }
            })
            .context("starting the RTSP thread")?;
        Ok(RtspServer { _server: server, mounts, mounted, main_loop, thread: Some(thread), port, ports })
    }

    pub fn path(conference: &str) -> String {
        format!("/{conference}")
    }

    /// Serves `streams` at `/<conference>` until [`RtspServer::unmount`].
    pub fn mount(&self, conference: &str, streams: EncodedStreams) {
        let factory = rtsp::RTSPMediaFactory::new();
        factory.set_launch(LAUNCH);
        factory.set_shared(true);
        if let Some(pool) = &self.ports {
            factory.set_address_pool(Some(pool));
        }
        let conf = conference.to_string();
        self.mounted.lock().unwrap_or_else(PoisonError::into_inner).insert(conf.clone(), streams.clone());
        factory.connect_media_configure(move |_, media| {
            if let Err(e) = attach_media(media, &streams) {
                tracing::error!(conference = %conf, error = %e, "RTSP media could not be set up");
            }
        });
        self.mounts.add_factory(&Self::path(conference), factory);
        tracing::info!(conference, port = self.port, "RTSP mount ready");
    }

    pub fn unmount(&self, conference: &str) {
        self.mounts.remove_factory(&Self::path(conference));
        self.mounted.lock().unwrap_or_else(PoisonError::into_inner).remove(conference);
    }
}

fn attach_media(media: &rtsp::RTSPMedia, streams: &EncodedStreams) -> anyhow::Result<()> {
    let element = media.element();
    let bin = element.downcast_ref::<gst::Bin>().ok_or_else(|| anyhow!("media is not a bin"))?;
    let v = appsrc(bin, "v")?;
    let a = appsrc(bin, "a")?;
    // Keyframe requests from clients travel upstream to our appsrc: pass them to the encoder.
    if let Some(pad) = v.static_pad("src") {
        let s = streams.clone();
        pad.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
            if let Some(ev) = info.event()
                && gstreamer_video::UpstreamForceKeyUnitEvent::parse(ev).is_ok()
            {
                s.request_keyframe();
            }
            gst::PadProbeReturn::Ok
        });
    }
    // The media's inputs take the encoder's streams while it is prepared. A client that
    // DESCRIBEs a shared media just as the last one leaves can have it prepared again without a
    // new `media-configure` (suspected from a CI run whose connection carried RTCP only for 16
    // minutes): `prepared` subscribes the inputs again when `unprepared` took them away.
    let subscribe = {
        let s = streams.clone();
        move || {
            let gate = Arc::new(AtomicBool::new(false));
            let ids = (s.video.subscribe_gate(v.clone(), gate.clone()), s.audio.subscribe_gated(a.clone(), gate));
            s.request_keyframe();
            ids
        }
    };
    let subscribed = Arc::new(Mutex::new(Some(subscribe())));
    let again = subscribed.clone();
    media.connect_prepared(move |_| {
        let mut ids = again.lock().unwrap_or_else(PoisonError::into_inner);
        if ids.is_none() {
            tracing::debug!("RTSP media prepared again: its inputs subscribe again");
            *ids = Some(subscribe());
        }
    });
    let s = streams.clone();
    media.connect_unprepared(move |_| {
        if let Some((vid, aid)) = subscribed.lock().unwrap_or_else(PoisonError::into_inner).take() {
            s.video.unsubscribe(vid);
            s.audio.unsubscribe(aid);
        }
    });
    Ok(())
}

impl Drop for RtspServer {
    fn drop(&mut self) {
        self.main_loop.quit();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
