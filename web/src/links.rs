//! How each participant's connection is doing, for the administrator's live view: where it
//! comes from, its codecs, and what the peer's RTCP receiver reports say about the media Tessera
//! sends it (loss and jitter). Calls write here as reports arrive; the live view reads.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tessera_mixer::layout::ParticipantId;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// When the last report came, UTC milliseconds.
    pub reported_at_ms: Option<i64>,
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
    pub at_ms: i64,
}

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
            q.reported_at_ms = Some(r.at_ms);
        }
    }

    pub fn remove(&self, conference: &str, participant: ParticipantId) {
        self.map().remove(&(conference.to_string(), participant));
    }

    pub fn get(&self, conference: &str, participant: ParticipantId) -> Option<LinkQuality> {
        self.map().get(&(conference.to_string(), participant)).cloned()
    }
}
