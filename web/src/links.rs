//! How each participant's connection is doing, for the administrator's live view and the
//! conference manager: where it comes from, its codecs, and what the peer's RTCP receiver
//! reports say about the media Tessera sends it (loss and jitter), and the rate it sends at.
//! Calls write here as reports arrive; the live views read, and `/metrics` shows each
//! participant's figures ([`Links::prometheus`]).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tessera_mixer::layout::ParticipantId;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LinkQuality {
    /// The peer's media address.
    pub address: String,
    pub audio_codec: Option<String>,
    pub video_codec: Option<String>,
    /// Of Tessera's media, the share the peer lost since its previous report, in percent.
    pub loss_percent: Option<f32>,
    /// Packets the peer lost since the call began.
    pub packets_lost: Option<i64>,
    /// Interarrival jitter the peer measures, in milliseconds.
    pub jitter_ms: Option<f32>,
    /// The round trip to the peer and back, from its report on Tessera's last sender report.
    pub round_trip_ms: Option<f32>,
    /// When the last report came, UTC milliseconds.
    pub reported_at_ms: Option<i64>,
    /// What the participant sends Tessera, kbit/s, all its streams together.
    pub receive_kbps: Option<f32>,
    /// The quality tier of its layout the participant receives, when its link moved it off
    /// the full one or back.
    #[schema(value_type = Option<String>)]
    pub video_tier: Option<tessera_conference::quality::Tier>,
    /// Each stream's byte count at its last sample (when, bytes, its rate then).
    #[serde(skip)]
    streams: HashMap<u32, (i64, u64, f32)>,
}

impl LinkQuality {
    /// A link as its participant joins: where from, which codecs; no figures yet.
    pub fn new(address: String, audio_codec: Option<String>, video_codec: Option<String>) -> LinkQuality {
        LinkQuality { address, audio_codec, video_codec, ..Default::default() }
    }
}

/// What one RTCP report block says.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Lost since the previous report, in 256ths.
    pub fraction_lost: u8,
    pub packets_lost: i64,
    /// In units of `clock_rate`.
    pub jitter: u32,
    pub clock_rate: u32,
    /// The round trip the report gives (RFC 3550 §6.4.1), when it answers a sender report.
    pub round_trip: Option<std::time::Duration>,
    pub at_ms: i64,
}

/// One figure of a link, as a Prometheus value.
type Figure = fn(&LinkQuality) -> Option<f64>;

/// Link quality by conference and participant.
#[derive(Clone, Default)]
pub struct Links(Arc<Mutex<HashMap<(String, ParticipantId), LinkQuality>>>);

impl Links {
    fn map(&self) -> MutexGuard<'_, HashMap<(String, ParticipantId), LinkQuality>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A participant's link, as it joins.
    pub fn set(&self, conference: &str, participant: ParticipantId, q: LinkQuality) {
        self.map().insert((conference.to_string(), participant), q);
    }

    /// A receiver report for a participant's link.
    pub fn report(&self, conference: &str, participant: ParticipantId, r: Report) {
        if let Some(q) = self.map().get_mut(&(conference.to_string(), participant)) {
            q.loss_percent = Some(f32::from(r.fraction_lost) * 100.0 / 256.0);
            q.packets_lost = Some(r.packets_lost);
            q.jitter_ms = (r.clock_rate > 0).then(|| r.jitter as f32 * 1000.0 / r.clock_rate as f32);
            if let Some(rtt) = r.round_trip {
                q.round_trip_ms = Some(rtt.as_secs_f32() * 1000.0);
            }
            q.reported_at_ms = Some(r.at_ms);
        }
    }

    /// A stream's byte count so far (an RTCP sender report's octet count, which wraps at 2^32,
    /// or bytes counted as they pass): its rate since the previous sample goes into the link's
    /// receive rate.
    pub fn received(&self, conference: &str, participant: ParticipantId, stream: u32, bytes: u64, at_ms: i64) {
        let mut map = self.map();
        let Some(q) = map.get_mut(&(conference.to_string(), participant)) else { return };
        let rate = match q.streams.get(&stream) {
            // Too soon after the previous sample to say anything new.
            Some(&(at, _, _)) if at_ms - at < 500 => return,
            Some(&(at, before, _)) => {
                let delta = if bytes >= before {
                    bytes - before
                } else if before <= u64::from(u32::MAX) {
                    bytes + (1 << 32) - before
                } else {
                    0
                };
                delta as f32 * 8.0 / (at_ms - at) as f32
            }
            // The first sample: a rate needs two.
            None => {
                q.streams.insert(stream, (at_ms, bytes, 0.0));
                return;
            }
        };
        q.streams.insert(stream, (at_ms, bytes, rate));
        q.receive_kbps = Some(q.streams.values().map(|s| s.2).sum());
    }

    /// The tier a participant's estimate moved it to.
    pub fn tier(&self, conference: &str, participant: ParticipantId, tier: tessera_conference::quality::Tier) {
        if let Some(q) = self.map().get_mut(&(conference.to_string(), participant)) {
            q.video_tier = Some(tier);
        }
    }

    pub fn remove(&self, conference: &str, participant: ParticipantId) {
        self.map().remove(&(conference.to_string(), participant));
    }

    pub fn get(&self, conference: &str, participant: ParticipantId) -> Option<LinkQuality> {
        self.map().get(&(conference.to_string(), participant)).cloned()
    }

    /// Every participant's link in a conference, by participant.
    pub fn of(&self, conference: &str) -> std::collections::BTreeMap<ParticipantId, LinkQuality> {
        self.map().iter().filter(|((c, _), _)| c == conference).map(|((_, p), q)| (*p, q.clone())).collect()
    }

    /// Each participant's figures in Prometheus's text format, labelled by conference and
    /// participant (the series go when the participant leaves): loss and jitter its reports
    /// give, the rate it sends at.
    pub fn prometheus(&self) -> String {
        let map = self.map();
        let mut rows: Vec<(&(String, ParticipantId), &LinkQuality)> = map.iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = String::new();
        let families: [(&str, &str, Figure); 6] = [
            (
                "tessera_participant_loss_percent",
                "Of the media Tessera sends a participant, the share it lost, from its latest RTCP receiver report.",
                |q| q.loss_percent.map(f64::from),
            ),
            (
                "tessera_participant_packets_lost",
                "Packets a participant lost of Tessera's media since its call began, from its RTCP receiver reports.",
                |q| q.packets_lost.map(|n| n as f64),
            ),
            (
                "tessera_participant_jitter_seconds",
                "Interarrival jitter a participant measures on Tessera's media, from its RTCP receiver reports.",
                |q| q.jitter_ms.map(|j| f64::from(j) / 1000.0),
            ),
            (
                "tessera_participant_round_trip_seconds",
                "The round trip between Tessera and a participant, from its RTCP report on Tessera's last sender report.",
                |q| q.round_trip_ms.map(|ms| f64::from(ms) / 1000.0),
            ),
            (
                "tessera_participant_receive_bits_per_second",
                "The rate a participant's media arrives at Tessera, all its streams together.",
                |q| q.receive_kbps.map(|k| f64::from(k) * 1000.0),
            ),
            (
                "tessera_participant_video_tier",
                "The quality tier of the layout a participant receives, as what its width and height are divided by: 1 full, 2 half, 4 quarter.",
                |q| q.video_tier.map(|t| f64::from(t.divisor())),
            ),
        ];
        for (name, help, value) in families {
            let values: Vec<String> = rows
                .iter()
                .filter_map(|((c, p), q)| {
                    let c = c.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
                    value(q).map(|v| format!("{name}{{conference=\"{c}\",participant=\"{p}\"}} {v}\n"))
                })
                .collect();
            if !values.is_empty() {
                out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
                values.iter().for_each(|v| out.push_str(v));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receive_rates_come_from_byte_counts_even_when_they_wrap() {
        let links = Links::default();
        links.received("c", 1, 7, 1000, 0);
        links.set("c", 1, LinkQuality::default());
        links.received("c", 1, 7, 1000, 0);
        assert_eq!(links.get("c", 1).unwrap().receive_kbps, None, "one sample says no rate");
        links.received("c", 1, 7, 126_000, 1000);
        assert_eq!(links.get("c", 1).unwrap().receive_kbps, Some(1000.0));
        links.received("c", 1, 7, 999_999, 1100);
        assert_eq!(links.get("c", 1).unwrap().receive_kbps, Some(1000.0), "too soon: unchanged");
        // A second stream adds; a 32-bit counter that wraps still gives the right rate.
        links.received("c", 1, 8, u64::from(u32::MAX) - 999, 1000);
        links.received("c", 1, 8, 11_500, 2000);
        let q = links.get("c", 1).unwrap();
        assert_eq!(q.receive_kbps, Some(1000.0 + 100.0), "{q:?}");
        links.remove("c", 1);
        assert!(links.get("c", 1).is_none());
    }

    #[test]
    fn each_participants_figures_are_in_prometheus_format() {
        let links = Links::default();
        assert_eq!(links.prometheus(), "", "no participant: no series");
        links.set("room\"1", 3, LinkQuality::default());
        let rtt = Some(std::time::Duration::from_millis(40));
        let r =
            Report { fraction_lost: 64, packets_lost: 12, jitter: 800, clock_rate: 8000, round_trip: rtt, at_ms: 1 };
        links.report("room\"1", 3, r);
        let text = links.prometheus();
        assert!(text.contains("# TYPE tessera_participant_loss_percent gauge\n"), "{text}");
        assert!(
            text.contains("tessera_participant_loss_percent{conference=\"room\\\"1\",participant=\"3\"} 25\n"),
            "{text}"
        );
        assert!(
            text.contains("tessera_participant_jitter_seconds{conference=\"room\\\"1\",participant=\"3\"} 0.1\n"),
            "{text}"
        );
        assert!(
            text.contains("tessera_participant_round_trip_seconds{conference=\"room\\\"1\",participant=\"3\"} 0.04\n"),
            "{text}"
        );
        assert!(!text.contains("receive_bits"), "no rate measured yet: {text}");
        assert!(!text.contains("video_tier"), "no tier chosen yet: {text}");
        links.tier("room\"1", 3, tessera_conference::quality::Tier::Half);
        let text = links.prometheus();
        assert!(
            text.contains("tessera_participant_video_tier{conference=\"room\\\"1\",participant=\"3\"} 2\n"),
            "{text}"
        );
        assert_eq!(links.of("room\"1").len(), 1);
        links.remove("room\"1", 3);
        assert_eq!(links.prometheus(), "");
    }
}
