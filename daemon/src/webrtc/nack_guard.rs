//! An interceptor that keeps retransmissions from flooding a slow browser. The `webrtc` crate's
//! NACK responder resends every packet each NACK names, as often as it is named. This sits
//! between the wire and the responder and lets through what the shared rule allows
//! ([`tessera_sip_h323_bridge::rtp::retransmit::Guard`], the rule SIP calls follow too); the
//! rest of a NACK is dropped.

use rtc::interceptor::{Packet, TaggedPacket};
use rtc::rtcp::transport_feedbacks::transport_layer_nack::{TransportLayerNack, nack_pairs_from_sequence_numbers};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::collections::VecDeque;
use std::time::Instant;
use tessera_sip_h323_bridge::rtp::retransmit::Guard;

#[derive(Default)]
pub struct NackGuard {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
    guard: Guard,
}

impl NackGuard {
    /// The sequence numbers of `nack` that may be resent now; they are counted as resent.
    fn allow(&mut self, nack: &TransportLayerNack, now: Instant) -> Vec<u16> {
        let named: Vec<u16> = nack.nacks.iter().flat_map(|p| p.packet_list()).collect();
        let allowed = self.guard.allow(nack.media_ssrc, named.iter().copied(), now);
        metrics::counter!("tessera_webrtc_retransmissions_refused_total")
            .increment((named.len() - allowed.len()) as u64);
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
            self.guard.sent(msg.now);
        }
        self.write.push_back(msg);
        Ok(())
    }
}

no_stream_state!(NackGuard);
