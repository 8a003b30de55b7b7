//! Which quality of a layout each receiver gets. A layout is encoded once and shared by everyone
//! who sees it; a receiver whose link cannot carry it gets a lower *tier* of the same layout (a
//! smaller picture at a lower bitrate, encoded once for everyone at that tier), so that one slow
//! viewer never lowers everyone's quality.
//!
//! [`Estimator`] is the rule that moves a receiver between tiers, sans-IO: its inputs are the
//! receiver's RTCP reports (its counts of packets lost and expected, an estimate of its
//! bandwidth in REMB or TMMBR when it sends one) with the time they came; its output is the
//! tier it should see. Every way in
//! with such reports (browsers, SIP phones) feeds the same rule.
//!
//! The estimate is loss-based, after Google's congestion control (`draft-ietf-rmcat-gcc`), with
//! the loss counted over windows of a second or 128 packets, whichever ends first (8 when half
//! of them are lost: a link that loses so much must be relieved at once), from the
//! reports' cumulative counts (a report's own fraction covers whatever passed since the
//! previous one, which may be a few packets when reports ride along with NACKs; a link far too
//! slow must be relieved within a fraction of a second, before it loses the ICE checks that
//! keep it up too): above 10 % loss the link carries what arrived of what was sent (`rate × (1 − loss)`: a
//! bottleneck drops the excess), below 2 % it may carry a little more (+5 % a report), in
//! between it holds (a few percent is a lossy link, which retransmissions repair). A receiver
//! moves down as soon as its tier needs more than the estimate, or when its own estimate (REMB,
//! TMMBR) stays below half of what its tier needs for three seconds while it loses packets too
//! — a receiver's estimate follows what arrives and collapses while the receiver's machine is
//! busy, so it can only say "less", and counts only when it says so clearly and the loss bears
//! it out; it moves up only when the estimate has room for the higher tier, and not before a hold time
//! that doubles each time a move up had to be taken back, so a link at its limit does not flap
//! between two tiers. Reports in the first seconds after a move describe the previous tier and
//! are not counted. A receiver that can tell its link is clean within seconds (a browser) may
//! start at the half tier and ramp up ([`Estimator::ramping`]): its estimate grows by half each
//! clean second until it fits the full tier, so a slow link is never swamped as it joins.

use serde::{Deserialize, Serialize};

/// A quality of a layout: its picture size and bitrate as a share of the configured ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The configured size and bitrate.
    #[default]
    Full,
    /// Half the width and height, a quarter of the bitrate.
    Half,
    /// A quarter of the width and height, a twelfth of the bitrate.
    Quarter,
}

impl Tier {
    /// From the best to the lowest.
    pub const ALL: [Tier; 3] = [Tier::Full, Tier::Half, Tier::Quarter];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Full => "full",
            Tier::Half => "half",
            Tier::Quarter => "quarter",
        }
    }

    /// What the width and height are divided by.
    pub fn divisor(self) -> u32 {
        match self {
            Tier::Full => 1,
            Tier::Half => 2,
            Tier::Quarter => 4,
        }
    }

    /// The picture size of this tier of a `width`×`height` layout: even (I420), at least 16×16.
    pub fn size(self, width: u32, height: u32) -> (u32, u32) {
        let d = self.divisor();
        let even = |v: u32| ((v / d) & !1).max(16);
        (even(width), even(height))
    }

    /// The video bitrate of this tier, in kbit/s, of a layout encoded at `full_kbps`; never
    /// below 64.
    pub fn video_kbps(self, full_kbps: u32) -> u32 {
        let k = match self {
            Tier::Full => full_kbps,
            Tier::Half => full_kbps / 4,
            Tier::Quarter => full_kbps / 12,
        };
        k.max(64)
    }

    fn lower(self) -> Option<Tier> {
        match self {
            Tier::Full => Some(Tier::Half),
            Tier::Half => Some(Tier::Quarter),
            Tier::Quarter => None,
        }
    }

    fn higher(self) -> Option<Tier> {
        match self {
            Tier::Full => None,
            Tier::Half => Some(Tier::Full),
            Tier::Quarter => Some(Tier::Half),
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Loss above this means the link carries less than sent.
const LOSS_HIGH: f64 = 0.10;
/// Loss below this means it may carry more.
const LOSS_LOW: f64 = 0.02;
/// Loss is counted over windows this long, or of this many packets (at least a tenth of it).
const WINDOW_MS: u64 = 1_000;
const WINDOW_PACKETS: u32 = 128;
/// How long a receiver stays at a tier it moved down to before it may try a higher one; doubled
/// each time a move up is taken back within [`UP_TRIAL_MS`], up to [`HOLD_MAX_MS`].
const HOLD_MS: u64 = 10_000;
const HOLD_MAX_MS: u64 = 160_000;
/// A move down this soon after a move up means the higher tier did not fit.
const UP_TRIAL_MS: u64 = 15_000;
/// A receiver whose reports stopped this long ago (they come every second or so) is taken to
/// lose half of what it is sent: a link swamped badly enough loses the reports too.
const SILENT_MS: u64 = 3_000;
/// Reports this soon after a move describe what was sent before it.
const SETTLE_MS: u64 = 2_000;
/// A receiver's own estimate below half of what its tier needs, for [`REMB_LOW_MS`],
/// moves it down (a busy receiver's estimate dips for a moment: that is not its link).
const REMB_DOWN: f64 = 0.5;
const REMB_LOW_MS: u64 = 3_000;
/// Headroom the estimate must have above a higher tier's need before moving up.
const UP_HEADROOM: f64 = 1.15;

/// One receiver's bandwidth estimate and tier. Times are milliseconds on any monotonic clock.
#[derive(Debug, Clone)]
pub struct Estimator {
    /// The configured video bitrate of the layout (the full tier), kbit/s.
    full_kbps: u32,
    /// What the receiver's audio takes besides, kbit/s.
    audio_kbps: u32,
    tier: Tier,
    /// The loss-based estimate, kbit/s.
    estimate: f64,
    /// When the receiver last moved down and up.
    down_at: Option<u64>,
    up_at: Option<u64>,
    hold_ms: u64,
    /// Since when the receiver's own estimate has been too low for its tier.
    remb_low_since: Option<u64>,
    /// Where the current loss window began: cumulative lost, extended highest sequence number
    /// received, when.
    window: Option<(i64, u32, u64)>,
    /// The share lost over the last window.
    last_loss: f64,
    /// Started low and not yet moved down: clean windows grow the estimate fast.
    ramping: bool,
    /// When the last report came (or the silence was last counted).
    last_report: Option<u64>,
}

impl Estimator {
    /// A receiver starts at the full tier, assumed to fit until its reports say otherwise.
    pub fn new(full_kbps: u32, audio_kbps: u32) -> Estimator {
        let mut e = Estimator {
            full_kbps,
            audio_kbps,
            tier: Tier::Full,
            estimate: 0.0,
            down_at: None,
            up_at: None,
            hold_ms: HOLD_MS,
            remb_low_since: None,
            window: None,
            last_loss: 0.0,
            ramping: false,
            last_report: None,
        };
        e.estimate = e.need(Tier::Full) * UP_HEADROOM;
        e
    }

    /// A receiver that starts at the half tier and ramps up to the full one in a few clean
    /// seconds (a second each, the window).
    pub fn ramping(full_kbps: u32, audio_kbps: u32) -> Estimator {
        let mut e = Estimator::new(full_kbps, audio_kbps);
        e.tier = Tier::Half;
        e.estimate = e.need(Tier::Half) * UP_HEADROOM;
        e.ramping = true;
        e
    }

    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// The share of packets lost over the last window of reports (0 to 1).
    pub fn last_loss(&self) -> f64 {
        self.last_loss
    }

    /// The bandwidth the receiver's link is thought to carry now, kbit/s.
    pub fn estimate_kbps(&self) -> f64 {
        self.estimate
    }

    /// Whether a move was made so recently that reports still describe the previous tier.
    fn settling(&self, now: u64) -> bool {
        [self.down_at, self.up_at].into_iter().flatten().any(|at| now.saturating_sub(at) < SETTLE_MS)
    }

    /// What a tier takes on the receiver's link, kbit/s (video, audio and ~10 % of packet
    /// headers).
    fn need(&self, t: Tier) -> f64 {
        f64::from(t.video_kbps(self.full_kbps) + self.audio_kbps) * 1.1
    }

    /// A reception report on the video sent to the receiver: its cumulative number of packets
    /// lost and the extended highest sequence number it received (RFC 3550 §6.4.1). Returns
    /// the new tier when it changes.
    pub fn report(&mut self, lost: i64, highest: u32, now: u64) -> Option<Tier> {
        self.last_report = Some(now);
        if self.settling(now) {
            // What the window would count is the previous tier's: start it afresh.
            self.window = None;
            return None;
        }
        let (lost0, highest0, at) = *self.window.get_or_insert((lost, highest, now));
        let expected = highest.wrapping_sub(highest0);
        // A sequence that went back (a restarted counter): start again from here.
        if expected > 1 << 20 {
            self.window = Some((lost, highest, now));
            return None;
        }
        let long = now.saturating_sub(at) >= WINDOW_MS && expected >= WINDOW_PACKETS / 10;
        let dire = expected >= WINDOW_PACKETS / 16 && (lost - lost0) * 2 >= i64::from(expected);
        if !long && !dire && expected < WINDOW_PACKETS {
            return None;
        }
        self.window = Some((lost, highest, now));
        let loss = ((lost - lost0) as f64 / f64::from(expected)).clamp(0.0, 1.0);
        self.loss(loss, now)
    }

    /// Time passing without reports: once they have stopped for [`SILENT_MS`] (after they had
    /// begun), the receiver is taken to lose half of what it is sent. Returns the new tier when
    /// it changes.
    pub fn tick(&mut self, now: u64) -> Option<Tier> {
        let at = self.last_report?;
        if now.saturating_sub(at) < SILENT_MS || self.settling(now) {
            return None;
        }
        self.last_report = Some(now);
        self.window = None;
        self.loss(0.5, now)
    }

    /// The share of packets lost over the last window.
    fn loss(&mut self, loss: f64, now: u64) -> Option<Tier> {
        self.last_loss = loss;
        let sent = self.need(self.tier);
        if loss > LOSS_HIGH {
            self.ramping = false;
            self.estimate = self.estimate.min(sent) * (1.0 - loss);
        } else if loss < LOSS_LOW {
            // Grows from what is sent (a low tier's rate), never far beyond the full tier.
            let ceiling = self.need(Tier::Full) * 1.5;
            let growth = if self.ramping { 1.5 } else { 1.05 };
            self.estimate = (self.estimate.max(sent * 0.9) * growth).min(ceiling);
        }
        self.decide(self.estimate, now)
    }

    /// The receiver's own estimate of its bandwidth (REMB or TMMBR), bits per second: well
    /// below what its tier needs for a few seconds, it moves the receiver down. Returns the new
    /// tier when it changes.
    pub fn receiver_estimate(&mut self, bps: u64, now: u64) -> Option<Tier> {
        let remb = bps as f64 / 1000.0;
        let losing = self.last_loss >= LOSS_LOW;
        if self.settling(now) || !losing || remb >= self.need(self.tier) * REMB_DOWN {
            self.remb_low_since = None;
            return None;
        }
        let since = *self.remb_low_since.get_or_insert(now);
        if now.saturating_sub(since) < REMB_LOW_MS {
            return None;
        }
        self.remb_low_since = None;
        self.estimate = self.estimate.min(remb);
        self.decide(remb, now)
    }

    fn decide(&mut self, estimate: f64, now: u64) -> Option<Tier> {
        // Down: the highest tier that fits, the lowest when none does.
        if self.need(self.tier) > estimate {
            let mut t = self.tier;
            while self.need(t) > estimate {
                match t.lower() {
                    Some(l) => t = l,
                    None => break,
                }
            }
            if t == self.tier {
                return None;
            }
            // A move up that did not last: wait longer before the next.
            if self.up_at.is_some_and(|u| now.saturating_sub(u) < UP_TRIAL_MS) {
                self.hold_ms = (self.hold_ms * 2).min(HOLD_MAX_MS);
            }
            self.down_at = Some(now);
            self.ramping = false;
            self.tier = t;
            return Some(t);
        }
        // Up: one tier at a time, with headroom, after the hold.
        let higher = self.tier.higher()?;
        let held = self.down_at.is_none_or(|d| now.saturating_sub(d) >= self.hold_ms);
        if held && estimate >= self.need(higher) * UP_HEADROOM {
            self.up_at = Some(now);
            self.tier = higher;
            return Some(higher);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A receiver's reports: one every 250 ms on a stream of 200 packets a second, losing
    /// `percent` of them.
    struct Link {
        lost: i64,
        highest: u32,
        t: u64,
    }

    impl Link {
        fn new() -> Link {
            Link { lost: 0, highest: 1000, t: 0 }
        }

        /// Reports for `ms` at `percent` loss; the tiers the estimator moved to on the way.
        fn run(&mut self, e: &mut Estimator, percent: i64, ms: u64) -> Vec<(u64, Tier)> {
            self.through(e, |_| percent, ms)
        }

        /// Reports for `ms` of a link that loses `percent(tier)` of what is sent at each tier.
        fn through(&mut self, e: &mut Estimator, percent: impl Fn(Tier) -> i64, ms: u64) -> Vec<(u64, Tier)> {
            let mut moves = Vec::new();
            for _ in 0..ms / 250 {
                self.t += 250;
                self.highest += 50;
                self.lost += 50 * percent(e.tier()) / 100;
                if let Some(t) = e.report(self.lost, self.highest, self.t) {
                    moves.push((self.t, t));
                }
            }
            moves
        }
    }

    /// A bottleneck of `kbps`: what is sent beyond it is lost (2,000 kbit/s layouts, 64 of
    /// audio).
    fn bottleneck(kbps: u32) -> impl Fn(Tier) -> i64 {
        move |t| {
            let sent = t.video_kbps(2000) + 64;
            i64::from(sent.saturating_sub(kbps) * 100 / sent)
        }
    }

    #[test]
    fn tiers_are_smaller_pictures_at_lower_bitrates() {
        assert_eq!(Tier::Full.size(1280, 720), (1280, 720));
        assert_eq!(Tier::Half.size(1280, 720), (640, 360));
        assert_eq!(Tier::Quarter.size(1280, 720), (320, 180));
        // Even and never tiny.
        assert_eq!(Tier::Half.size(1366, 770), (682, 384));
        assert_eq!(Tier::Quarter.size(160, 90), (40, 22));
        assert_eq!(Tier::Quarter.size(32, 32), (16, 16));
        assert_eq!(Tier::Half.video_kbps(2000), 500);
        assert_eq!(Tier::Quarter.video_kbps(2000), 166);
        assert_eq!(Tier::Quarter.video_kbps(300), 64);
        assert_eq!(serde_json::to_string(&Tier::Half).unwrap(), "\"half\"");
    }

    #[test]
    fn a_clean_or_slightly_lossy_link_stays_at_the_full_tier() {
        let mut e = Estimator::new(2000, 64);
        let mut link = Link::new();
        assert!(link.run(&mut e, 0, 60_000).is_empty());
        // A few percent of loss (Wi-Fi) is not congestion: retransmissions repair it.
        assert!(link.run(&mut e, 6, 60_000).is_empty());
        // Nor is one lost burst within a second that otherwise arrived.
        assert!(link.run(&mut e, 0, 5_000).is_empty());
        link.lost += 15;
        link.highest += 15;
        let moves = link.run(&mut e, 0, 10_000);
        assert!(moves.is_empty(), "{moves:?} {e:?}");
        assert_eq!(e.tier(), Tier::Full);
        // Reports that fit no window (a counter that went back) are ignored.
        assert_eq!(e.report(0, 10, link.t + 2000), None);
        assert_eq!(e.tier(), Tier::Full);
    }

    #[test]
    fn a_link_slower_than_the_stream_moves_down_within_a_second_or_two_and_stays_while_slow() {
        // 2000 kbit/s sent into 700: more than half is lost.
        let mut e = Estimator::new(2000, 64);
        let mut link = Link::new();
        let slow = bottleneck(700);
        let moves = link.through(&mut e, &slow, 3000);
        assert_eq!(moves.len(), 1, "{moves:?}");
        assert!(moves[0].0 <= 2000 && moves[0].1 == Tier::Half, "{moves:?}");
        // The half tier (500 + 64 kbit/s) fits: no loss. After the hold the estimate has grown
        // enough to try the full tier again, which loses again and goes back down once its own
        // reports come, and the next try waits twice as long.
        let down = moves[0].0;
        let moves = link.through(&mut e, &slow, 60_000);
        let tiers: Vec<Tier> = moves.iter().map(|m| m.1).collect();
        assert_eq!(tiers, [Tier::Full, Tier::Half, Tier::Full, Tier::Half], "{moves:?}");
        assert!(moves[0].0 - down >= 10_000, "held at least 10 s: {moves:?}");
        assert!(moves[1].0 - moves[0].0 <= 4000, "the full tier lasted no longer than its reports: {moves:?}");
        assert!(moves[2].0 - moves[1].0 >= 20_000, "the second try waited 20 s: {moves:?}");
    }

    #[test]
    fn a_ramping_receiver_starts_at_half_and_reaches_full_within_seconds_when_its_link_is_clean() {
        let mut e = Estimator::ramping(2000, 32);
        assert_eq!(e.tier(), Tier::Half);
        let moves = Link::new().run(&mut e, 0, 10_000);
        assert_eq!(moves.len(), 1, "{moves:?}");
        assert!(moves[0].0 <= 5000 && moves[0].1 == Tier::Full, "{moves:?}");
        // On a 700 kbit/s link it tries the full tier once, goes back to half and stays there
        // for the hold.
        let mut e = Estimator::ramping(2000, 32);
        let moves = Link::new().through(&mut e, bottleneck(700), 12_000);
        let tiers: Vec<Tier> = moves.iter().map(|m| m.1).collect();
        assert_eq!(tiers, [Tier::Full, Tier::Half], "{moves:?}");
    }

    #[test]
    fn a_receiver_whose_reports_stop_is_moved_down() {
        let mut e = Estimator::new(2000, 64);
        assert_eq!(e.tick(10_000), None, "no report yet: nothing is known");
        let mut link = Link::new();
        link.run(&mut e, 0, 2000);
        assert_eq!(e.tick(4000), None, "two seconds of silence is not yet silence");
        assert_eq!(e.tick(5000), Some(Tier::Half));
        assert_eq!(e.tick(6000), None, "settling, and the silence is counted afresh");
        assert_eq!(e.tick(8000), Some(Tier::Quarter));
    }

    #[test]
    fn a_very_slow_link_goes_to_the_lowest_tier_and_no_lower() {
        let mut e = Estimator::new(2000, 64);
        let mut link = Link::new();
        let moves = link.run(&mut e, 95, 10_000);
        assert_eq!(moves.iter().map(|m| m.1).collect::<Vec<_>>(), [Tier::Quarter]);
    }

    #[test]
    fn a_receivers_own_estimate_well_below_the_stream_moves_it_down_when_it_loses_too() {
        let mut e = Estimator::new(2000, 64);
        // A busy receiver's estimate collapses with no loss: not its link.
        let mut clean = Link::new();
        clean.run(&mut e, 0, 2000);
        for t in 0..10 {
            assert_eq!(e.receiver_estimate(300_000, 2000 + t * 500), None);
        }
        // With a few percent lost (not enough to move by loss alone), it counts.
        let mut e = Estimator::new(2000, 64);
        let mut link = Link::new();
        link.run(&mut e, 5, 2000);
        // About what is sent (a receiver's estimate follows what arrives): nothing to do.
        assert_eq!(e.receiver_estimate(1_950_000, 0), None);
        // A dip for a moment (a busy receiver) is not its link.
        assert_eq!(e.receiver_estimate(800_000, 1000), None);
        assert_eq!(e.receiver_estimate(1_900_000, 2000), None);
        assert_eq!(e.receiver_estimate(800_000, 4500), None);
        // 800 kbit/s for three seconds: the half tier fits, the full one does not.
        assert_eq!(e.receiver_estimate(800_000, 6000), None);
        assert_eq!(e.receiver_estimate(800_000, 7500), Some(Tier::Half));
        // At the half tier the receiver's estimate follows its lower rate: no further move.
        assert_eq!(e.receiver_estimate(700_000, 10_000), None);
        // After the hold, a clean link tries the full tier again.
        let mut link = Link { lost: 0, highest: 0, t: 7500 };
        let moves = link.run(&mut e, 0, 30_000);
        assert_eq!(moves.len(), 1, "{moves:?}");
        assert!(moves[0].0 >= 17_500 && moves[0].1 == Tier::Full, "{moves:?}");
        let mut e = Estimator::new(2000, 64);
        Link::new().run(&mut e, 5, 2000);
        assert_eq!(e.receiver_estimate(100_000, 0), None);
        assert_eq!(e.receiver_estimate(100_000, 3000), Some(Tier::Quarter));
    }
}
