//! What the call's peer says in RTCP about the media Tessera sends it: the live view's link
//! figures (address, codecs, loss, jitter, round trip, its send rate) and, for its video, the
//! quality tier it receives.

use super::*;

impl Call {
    /// Where the call's media comes from and its codecs, for the live view.
    pub(super) fn link_quality(&self) -> tessera_web::links::LinkQuality {
        let peer = self.choice.audio.as_ref().and_then(|a| a.peer).or(self.choice.video.as_ref().and_then(|v| v.peer));
        tessera_web::links::LinkQuality::new(
            peer.map_or_else(|| self.invite.path.peer().to_string(), |(ip, port, _)| format!("{ip}:{port}")),
            self.choice.audio.as_ref().map(|a| format!("{}/{}", a.format.encoding, a.format.clock_rate)),
            self.choice.video.as_ref().map(|v| v.format.encoding.clone()),
        )
    }

    /// Whether an RTCP packet comes from the peer: the address its SDP names or the one its SIP
    /// messages come from (behind NAT). Anything else (a spoofed source) is dropped unread.
    pub(super) fn sent_by_peer(&self, from: Option<std::net::SocketAddr>) -> bool {
        let Some(from) = from else { return false };
        let sdp = [self.choice.audio.as_ref().and_then(|a| a.peer), self.choice.video.as_ref().and_then(|v| v.peer)];
        sdp.iter().flatten().any(|(ip, _, _)| *ip == from.ip()) || self.invite.path.peer().ip() == from.ip()
    }

    /// An RTCP packet from the peer: its report blocks say how Tessera's media arrives. (Blocks
    /// about other sources are ignored: Tessera sends one stream per medium.)
    pub(super) fn reported(&self, packet: &[u8], clock_rate: u32) {
        let Some(p) = self.participant else { return };
        let now_ms = chrono::Utc::now().timestamp_millis();
        for (ssrc, octets) in rtcp::sender_octets(packet) {
            self.control.links.received(&self.conference, p, ssrc, u64::from(octets), now_ms);
        }
        if let Some(b) = rtcp::report_blocks(packet).last() {
            let r = tessera_web::links::Report {
                fraction_lost: b.fraction_lost,
                packets_lost: i64::from(b.cumulative_lost),
                jitter: b.jitter,
                clock_rate,
                round_trip: rtcp::round_trip(
                    rtcp::ntp_middle(std::time::SystemTime::now()),
                    b.last_sr,
                    b.delay_since_sr,
                ),
                at_ms: chrono::Utc::now().timestamp_millis(),
            };
            self.control.links.report(&self.conference, p, r);
        }
    }

    /// The peer's RTCP about its video: its report block and its own estimate (TMMBR, REMB)
    /// move it between quality tiers.
    pub(super) async fn video_reported(&mut self, packet: &[u8]) {
        let Some(t) = self.tiers.as_mut() else { return };
        if let Some(b) = rtcp::report_blocks(packet).last() {
            t.report(i64::from(b.cumulative_lost), b.highest).await;
        }
        if let Some(bps) = rtcp::receiver_estimate(packet) {
            t.estimate(bps).await;
        }
    }
}
