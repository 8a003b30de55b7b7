//! The call's RTCP. What its peer says about the media Tessera sends it: the live view's link
//! figures (address, codecs, loss, jitter, round trip, its send rate), for its video the quality
//! tier it receives, and the packets it lost and names in NACKs (sent again). And what Tessera
//! says: a sender report per medium, which the peer's report blocks answer with the round trip.

use super::*;

/// How often Tessera sends its sender reports, on average (RFC 3550 §6.2's minimum interval).
const REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// When the next sender reports go: the interval, randomized to between half and one and a
/// half times it (RFC 3550 §6.3.1), so calls that started together do not report together.
pub(super) fn next_report() -> tokio::time::Instant {
    tokio::time::Instant::now() + REPORT_INTERVAL.mul_f64(rand::random_range(0.5..1.5))
}

/// Asking the peer for keyframes of its video, for the media plane (which asks when the picture
/// is seen again after nobody saw it), and for the bit rate that suits the size it is shown at.
#[derive(Default)]
pub(super) struct Asking {
    /// Set when the peer negotiated PLI or FIR.
    pub(super) notify: Option<crate::media::slot::SenderAsks>,
    /// The size its picture is shown at (`None`: nowhere), when the peer also negotiated TMMBR.
    pub(super) shown: Option<tokio::sync::watch::Receiver<Option<(u32, u32)>>>,
    /// The peer's video stream, from its sender reports.
    peer_ssrc: Option<u32>,
    fir_seq: u8,
}

impl Asking {
    /// The peer's video RTCP: its sender report names its stream. True when that names a stream
    /// not known before (what was waiting for it can be asked now).
    pub(super) fn heard(&mut self, packet: &[u8]) -> bool {
        let Some(&(ssrc, _)) = rtcp::sender_octets(packet).first() else { return false };
        self.peer_ssrc.replace(ssrc) != Some(ssrc)
    }
}

/// When the size the peer's picture is shown at changes (never, when it is not asked for bit
/// rates). `shown` is a clone of the call's receiver, which [`Call::ask_for_bitrate`] marks seen.
pub(super) async fn shown_changed(shown: Option<tokio::sync::watch::Receiver<Option<(u32, u32)>>>) {
    if let Some(mut rx) = shown
        && rx.changed().await.is_ok()
    {
        return;
    }
    std::future::pending().await
}

/// An RTCP packet as it goes out: SRTCP with the medium's context when it is SRTP (`None` when
/// that fails), as is otherwise.
fn on_the_wire(protect: Option<&mut crate::media::srtp::Srtp>, packet: Vec<u8>) -> Option<Vec<u8>> {
    match protect {
        Some(c) => c.protect_rtcp(&packet),
        None => Some(packet),
    }
}

/// A packet the call reads itself, SRTP-unprotected when the medium is SRTP (`rtcp`: an SRTCP
/// packet); `None` when it fails authentication or replays one.
pub(super) fn unprotected<'a>(
    srtp: Option<&mut crate::media::srtp::Srtp>,
    packet: &'a [u8],
    rtcp: bool,
) -> Option<std::borrow::Cow<'a, [u8]>> {
    match srtp {
        None => Some(std::borrow::Cow::Borrowed(packet)),
        Some(s) if rtcp => s.unprotect_rtcp(packet).map(std::borrow::Cow::Owned),
        Some(s) => s.unprotect_rtp(packet).map(std::borrow::Cow::Owned),
    }
}

/// When the media plane asks for a keyframe (never, without a way to ask).
pub(super) async fn asked(notify: Option<crate::media::slot::SenderAsks>) {
    match notify {
        Some(n) => n.keyframe.notified().await,
        None => std::future::pending().await,
    }
}

impl Call {
    /// The peer asks for a keyframe of what it receives (RTCP PLI/FIR, SIP INFO): the encoder of
    /// its output makes one, at most every 300 ms.
    pub(super) async fn keyframe(&mut self, by: &str) {
        let now = Instant::now();
        if self.last_keyframe.is_some_and(|t| now.duration_since(t) < Duration::from_millis(300)) {
            return;
        }
        self.last_keyframe = Some(now);
        if let Some(p) = self.participant {
            tracing::debug!(conference = %self.conference, participant = p, by, "keyframe requested");
            let _ = self.control.call(&self.conference, None, Request::Keyframe { participant: p }).await;
        }
    }

    /// Asks the peer for a keyframe of its video: PLI when it negotiated `nack pli`, otherwise
    /// FIR (before its first sender report nothing is sent: the media plane decodes what comes
    /// after a while anyway).
    pub(super) fn ask_for_keyframe(&mut self) {
        let pli = self.choice.video.as_ref().is_some_and(|v| v.format.feedback.iter().any(|f| f == "nack pli"));
        let how = if pli {
            rtcp::KeyframeRequest::Pli
        } else {
            self.asking.fir_seq = self.asking.fir_seq.wrapping_add(1);
            rtcp::KeyframeRequest::Fir { seq: self.asking.fir_seq }
        };
        let Some(media) = self.asking.peer_ssrc else { return };
        if self.send_video_rtcp(rtcp::keyframe_request(self.video_ssrc(), media, how)) {
            metrics::counter!("tessera_sip_keyframe_requests_sent_total").increment(1);
        }
    }

    /// Asks the peer (which negotiated TMMBR) for the bit rate that suits the size its picture
    /// is shown at now ([`crate::media::shown_size::bitrate_for`]): when that size changes, when
    /// its stream becomes known, and again with each round of sender reports (a lost request
    /// is not left standing).
    pub(super) fn ask_for_bitrate(&mut self) {
        let Some(rx) = self.asking.shown.as_mut() else { return };
        let shown = *rx.borrow_and_update();
        let rate = crate::media::shown_size::bitrate_for(shown);
        let Some(media) = self.asking.peer_ssrc else { return };
        if self.send_video_rtcp(rtcp::bitrate_request(self.video_ssrc(), media, rate)) {
            tracing::debug!(conference = %self.conference, ?shown, rate, "asked the phone for a bit rate (TMMBR)");
            metrics::counter!("tessera_sip_bitrate_requests_sent_total").increment(1);
        }
    }

    /// Answers the TMMBRs in the peer's video RTCP, when it negotiated TMMBR, with a TMMBN
    /// (RFC 5104 §4.2.2). What it asks for moves its quality tier ([`Call::video_reported`]).
    pub(super) fn answer_bitrate_requests(&mut self, packet: &[u8]) {
        if !self.choice.tmmbr() {
            return;
        }
        if let Some(n) = rtcp::bitrate_notification(packet, self.video_ssrc()) {
            self.send_video_rtcp(n);
        }
    }

    /// The SSRC of the video Tessera sends the peer (0 before any was sent).
    fn video_ssrc(&self) -> u32 {
        self.outgoing.video.as_ref().and_then(|s| s.report(std::time::SystemTime::now())).map_or(0, |i| i.ssrc)
    }

    /// Sends an RTCP packet to where the peer's video RTCP comes from (SRTCP when the video is
    /// SRTP). True when it went; before the peer's RTCP was heard there is nowhere to send.
    fn send_video_rtcp(&mut self, packet: Vec<u8>) -> bool {
        let Some(p) = self.video.as_ref() else { return false };
        let Some(to) = p.peer_rtcp else { return false };
        on_the_wire(self.srtp.video_out.as_mut(), packet).is_some_and(|w| p.rtcp.try_send_to(&w, to).is_ok())
    }

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
        if let Some(t) = self.tiers.as_mut() {
            t.rtcp(packet).await;
        }
    }

    /// NACKs in the peer's video RTCP: the packets they name are sent again, as far as the
    /// shared rule allows, when the peer negotiated NACK (`a=rtcp-fb:… nack`).
    pub(super) fn nacked(&self, packet: &[u8]) {
        let Some(sent) = self.outgoing.video.as_ref().filter(|_| self.choice.nack()) else { return };
        let named = rtcp::nacked(packet);
        if named.is_empty() {
            return;
        }
        let r = sent.resend(&named);
        for (result, n) in [("sent", r.sent), ("refused", r.refused), ("unknown", r.unknown)] {
            metrics::counter!("tessera_sip_retransmissions_total", "result" => result).increment(n as u64);
        }
        tracing::debug!(conference = %self.conference, participant = ?self.participant, named = named.len(),
            resent = r.sent, refused = r.refused, unknown = r.unknown, "SIP: the peer's NACK answered");
    }

    /// Tessera's sender report for each medium it sends, to where the peer's RTCP comes from
    /// (an address that sent nothing gets nothing: reports never go where nobody asked for
    /// them), as SRTCP when the medium is SRTP.
    pub(super) fn send_reports(&mut self) {
        let now = std::time::SystemTime::now();
        let cname = format!("tessera-{:x}@{}", self.session_id, self.ctx.media.advertised(self.local));
        let media = [
            (self.audio.as_ref(), self.outgoing.audio.as_ref(), self.srtp.audio_out.as_mut()),
            (self.video.as_ref(), self.outgoing.video.as_ref(), self.srtp.video_out.as_mut()),
        ];
        for (ports, sent, protect) in media {
            let (Some(p), Some(sent)) = (ports, sent) else { continue };
            let (Some(to), Some(info)) = (p.peer_rtcp, sent.report(now)) else { continue };
            let Some(wire) = on_the_wire(protect, rtcp::sender_report(&info, &cname)) else { continue };
            if p.rtcp.try_send_to(&wire, to).is_ok() {
                metrics::counter!("tessera_sip_rtcp_reports_sent_total").increment(1);
            }
        }
        self.ask_for_bitrate();
    }
}
