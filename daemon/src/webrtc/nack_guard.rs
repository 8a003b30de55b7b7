//! An interceptor that keeps retransmissions from flooding a slow browser. The `webrtc` crate's
//! NACK responder resends every packet each NACK names, as often as it is named; a browser on a
//! lossy link names each missing packet again every round trip (a few milliseconds on a LAN) up
//! to ten times, so a link that loses half of what it is sent was sent ten times more in
//! retransmissions — and lost those too. This sits between the wire and the responder and lets
//! through each sequence number at most [`MAX_TIMES`] times, [`MIN_INTERVAL`] apart, and no more
//! retransmissions in a second than half the packets sent in it; the rest of a NACK is dropped
//! (the browser asks for a keyframe when too much is missing, and its quality tier moves down).

use rtc::interceptor::{Packet, TaggedPacket};
use rtc::rtcp::transport_feedbacks::transport_layer_nack::{TransportLayerNack, nack_pairs_from_sequence_numbers};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How many times one packet is resent at most.
const MAX_TIMES: u8 = 2;
/// How long after resending a packet it may be resent again.
const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Retransmissions allowed per packet sent, over a second.
const BUDGET: f64 = 0.5;
/// How long a resent packet is remembered.
const MEMORY: Duration = Duration::from_secs(3);

#[derive(Default)]
pub struct NackGuard {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
    /// By media SSRC and sequence number: how often it was let through, and when last.
    resent: HashMap<(u32, u16), (u8, Instant)>,
    /// The current second: when it began, packets sent, retransmissions let through.
    window: Option<(Instant, u32, u32)>,
    /// Packets sent in the previous second (the budget's base).
    sent_before: u32,
}

impl NackGuard {
    fn budget_left(&mut self, now: Instant) -> u32 {
        let (start, sent, resent) = *self.window.get_or_insert((now, 0, 0));
        if now.duration_since(start) >= Duration::from_secs(1) {
            self.sent_before = sent;
            self.window = Some((now, 0, 0));
            self.resent.retain(|_, (_, at)| now.duration_since(*at) < MEMORY);
            return (f64::from(sent) * BUDGET) as u32;
        }
        ((f64::from(self.sent_before.max(sent)) * BUDGET) as u32).saturating_sub(resent)
    }

    /// The sequence numbers of `nack` that may be resent now; they are counted as resent.
    fn allow(&mut self, nack: &TransportLayerNack, now: Instant) -> Vec<u16> {
        let mut left = self.budget_left(now);
        let mut allowed = Vec::new();
        for seq in nack.nacks.iter().flat_map(|p| p.packet_list()) {
            if left == 0 {
                metrics::counter!("tessera_webrtc_retransmissions_refused_total").increment(1);
                continue;
            }
            let times = match self.resent.get(&(nack.media_ssrc, seq)) {
                Some(&(n, at)) if n >= MAX_TIMES || now.duration_since(at) < MIN_INTERVAL => {
                    metrics::counter!("tessera_webrtc_retransmissions_refused_total").increment(1);
                    continue;
                }
                Some(&(n, _)) => n + 1,
                None => 1,
            };
            self.resent.insert((nack.media_ssrc, seq), (times, now));
            left -= 1;
            allowed.push(seq);
        }
        if let Some(w) = self.window.as_mut() {
            w.2 += allowed.len() as u32;
        }
        allowed
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for NackGuard {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Error> {
        let now = msg.now;
        if let Packet::Rtcp(packets) = &mut msg.message.packet
            && packets.iter().any(|p| p.as_any().is::<TransportLayerNack>())
        {
            let mut kept: Vec<Box<dyn rtc::rtcp::Packet>> = Vec::with_capacity(packets.len());
            for p in packets.drain(..) {
                let Some(nack) = p.as_any().downcast_ref::<TransportLayerNack>() else {
                    kept.push(p);
                    continue;
                };
                let allowed = self.allow(nack, now);
                if !allowed.is_empty() {
                    kept.push(Box::new(TransportLayerNack {
                        sender_ssrc: nack.sender_ssrc,
                        media_ssrc: nack.media_ssrc,
                        nacks: nack_pairs_from_sequence_numbers(&allowed),
                    }));
                }
            }
            if kept.is_empty() {
                return Ok(());
            }
            *packets = kept;
        }
        self.read.push_back(msg);
        Ok(())
    }

    queue_polls!();

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        if matches!(msg.message.packet, Packet::Rtp(_)) {
            let now = msg.now;
            self.budget_left(now);
            if let Some(w) = self.window.as_mut() {
                w.1 += 1;
            }
        }
        self.write.push_back(msg);
        Ok(())
    }
}

no_stream_state!(NackGuard);
