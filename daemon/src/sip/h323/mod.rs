//! H.323 call signalling on TCP (`sip.h323_listen`, normally port 1720): each connection carries
//! one call, driven by the bridge's sans-IO call machine ([`tessera_sip_h323_bridge::h323::call`]).
//! It shares SIP's context: the same admission through the conference core, the same PIN entry
//! and lockout, the same limits (connections per address and in all, anonymous calls) and the
//! same RTP participants. Fast Connect, tunnelled H.245 and a separate H.245 connection (either
//! way: to the caller's address, or from the caller to one given in the Connect) are answered.
//! The gatekeeper ([`gatekeeper`], UDP `sip.h323_gatekeeper_listen`) registers endpoints as
//! users (H.235.1) and admits their calls; a call it admitted joins as that user. Calls out
//! ([`dial`]) go to `h323:` addresses and to registered endpoints.

mod call;
pub(super) mod dial;
mod gatekeeper;
mod h245;

pub use gatekeeper::ID as GATEKEEPER_ID;
pub(super) use gatekeeper::serve as serve_gatekeeper;

use super::Context;
use std::sync::Arc;
use tessera_sip_h323_bridge::h323::h245::codec::H264;
use tokio::net::TcpListener;

/// What this server says it sends and receives as H.264 (H.241): the level that holds the
/// output's size and rate (H.264 Table A-1, in H.241's numbering) and its bit rate.
pub fn h264_for(width: u32, height: u32, fps: u32, kbps: u32) -> H264 {
    let frame = width.div_ceil(16) * height.div_ceil(16);
    let rate = frame * fps;
    // (H.241 level value, largest frame in macroblocks, macroblocks per second)
    const LEVELS: [(u16, u32, u32); 12] = [
        (43, 396, 11_880),
        (50, 792, 19_800),
        (57, 1_620, 20_250),
        (64, 1_620, 40_500),
        (71, 3_600, 108_000),
        (78, 5_120, 216_000),
        (85, 8_192, 245_760),
        (92, 8_192, 245_760),
        (99, 8_704, 522_240),
        (106, 22_080, 589_824),
        (113, 36_864, 983_040),
        (120, 36_864, 2_073_600),
    ];
    let level = LEVELS.iter().find(|(_, fs, mbps)| frame <= *fs && rate <= *mbps).map_or(120, |l| l.0);
    H264 { level, max_bitrate_100bps: kbps.saturating_mul(10) }
}

/// Accepts H.323 calls until the server stops.
pub(super) async fn serve(listener: TcpListener, ctx: Arc<Context>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "H.323: accepting a connection failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if !ctx.limits.open_connection(peer.ip()) {
            tracing::info!(peer = %peer, "H.323: connection refused (too many from this address or in all)");
            metrics::counter!("tessera_h323_calls_total", "result" => "over_cap").increment(1);
            continue;
        }
        let ctx = ctx.clone();
        tokio::spawn(async move {
            call::run(&ctx, stream, peer).await;
            ctx.limits.release(peer.ip());
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_level_holds_the_output() {
        assert_eq!(super::h264_for(640, 360, 30, 1000).level, 64, "level 3");
        assert_eq!(super::h264_for(1280, 720, 30, 2000).level, 71, "level 3.1");
        assert_eq!(super::h264_for(1920, 1080, 30, 4000).level, 85, "level 4");
        assert_eq!(super::h264_for(1280, 720, 30, 2000).max_bitrate_100bps, 20_000);
        // The same levels as SIP's profile-level-id names them.
        assert_eq!(super::h264_for(640, 360, 30, 1000).level_idc(), 30);
        assert_eq!(super::h264_for(1280, 720, 30, 2000).level_idc(), 31);
        assert_eq!(super::h264_for(1920, 1080, 30, 4000).level_idc(), 40);
    }
}
