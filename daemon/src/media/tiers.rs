//! A receiver's quality tier, moved by its link's reports: the core's
//! [`Estimator`](tessera_conference::quality::Estimator) fed by every way in that reads RTCP
//! (browsers' peers, SIP and H.323 calls), and what a move does — the runtime sends the receiver that tier
//! of its layout, the live view and `/metrics` show it, the log says why.

use std::time::Instant;
use tessera_conference::quality::{Estimator, Tier};
use tessera_mixer::layout::ParticipantId;
use tessera_web::control::{Control, Request};

/// One receiver's tier control.
pub struct Tiers {
    control: Control,
    conference: String,
    participant: ParticipantId,
    /// "WebRTC", "SIP", "H.323": who the log lines are about.
    way: &'static str,
    estimator: Estimator,
    start: Instant,
}

impl Tiers {
    /// For a receiver whose link `estimator` judges, at the tier it starts at (see
    /// [`Tiers::begin`]).
    pub fn new(
        control: Control,
        conference: String,
        participant: ParticipantId,
        way: &'static str,
        estimator: Estimator,
    ) -> Tiers {
        control.links.tier(&conference, participant, estimator.tier());
        Tiers { control, conference, participant, way, estimator, start: Instant::now() }
    }

    /// Sends the receiver the tier its estimator starts at, when that is not the full one (the
    /// runtime starts everyone there).
    pub async fn begin(&self) {
        let (tier, participant) = (self.estimator.tier(), self.participant);
        if tier != Tier::Full {
            let _ = self.control.call(&self.conference, None, Request::VideoTier { participant, tier }).await;
        }
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// A reception report on the video Tessera sends: cumulative lost, extended highest
    /// sequence number received.
    pub async fn report(&mut self, lost: i64, highest: u32) {
        let tier = self.estimator.report(lost, highest, self.now());
        let why = format!("{:.0} % lost over the last second", self.estimator.last_loss() * 100.0);
        self.moved(tier, why).await;
    }

    /// A compound RTCP packet from the receiver about its video: its last report block and its
    /// own estimate (TMMBR, REMB), if it has them. For calls, whose RTCP arrives raw; browsers'
    /// peers hand the parsed figures to [`Tiers::report`] and [`Tiers::estimate`].
    pub async fn rtcp(&mut self, packet: &[u8]) {
        use tessera_sip_h323_bridge::rtp::rtcp;
        if let Some(b) = rtcp::report_blocks(packet).last() {
            self.report(i64::from(b.cumulative_lost), b.highest).await;
        }
        if let Some(bps) = rtcp::receiver_estimate(packet) {
            self.estimate(bps).await;
        }
    }

    /// The receiver's own bandwidth estimate (REMB, TMMBR), bits per second.
    pub async fn estimate(&mut self, bps: u64) {
        let tier = self.estimator.receiver_estimate(bps, self.now());
        self.moved(tier, format!("its own estimate is {} kbit/s", bps / 1000)).await;
    }

    /// Time passing: a receiver whose reports stopped is moved down (see the estimator's
    /// `tick`).
    pub async fn tick(&mut self) {
        let tier = self.estimator.tick(self.now());
        self.moved(tier, "its reports stopped".into()).await;
    }

    async fn moved(&self, tier: Option<Tier>, why: String) {
        let Some(tier) = tier else { return };
        let (conference, participant) = (&self.conference, self.participant);
        tracing::info!(
            conference = %conference, participant, tier = %tier, estimate_kbps = self.estimator.estimate_kbps() as u64,
            why = %why, "{}: the link moved a receiver to another quality tier", self.way
        );
        metrics::counter!("tessera_media_tier_changes_total", "to" => tier.as_str()).increment(1);
        self.control.links.tier(conference, participant, tier);
        let _ = self.control.call(conference, None, Request::VideoTier { participant, tier }).await;
    }
}
