//! An interceptor that hands the browser's keyframe requests (RTCP PLI and FIR about the video
//! Tessera sends it), its reception reports and its bandwidth estimates (REMB) to the
//! application. The `webrtc` crate's default
//! chain consumes all inbound RTCP; what this marks with `DeliverToApplication` reaches the local
//! track's events, where the peer turns a request into a keyframe of the output the browser
//! watches, and a report or an estimate into the link quality of the administrator's live view
//! and the quality tier the browser receives.

use rtc::interceptor::{Attribute, Packet, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::collections::VecDeque;
use std::time::Instant;

#[derive(Default)]
pub struct KeyframeRequests {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

pub fn is_keyframe_request(p: &dyn rtc::rtcp::Packet) -> bool {
    let any = p.as_any();
    any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>()
}

/// The reception reports of a sender or receiver report.
pub fn reception_reports(p: &dyn rtc::rtcp::Packet) -> &[ReceptionReport] {
    let any = p.as_any();
    if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
        &rr.reports
    } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
        &sr.reports
    } else {
        &[]
    }
}

/// A REMB's estimate, bits per second, when it is about `ssrc`.
pub fn estimate_for(p: &dyn rtc::rtcp::Packet, ssrc: u32) -> Option<u64> {
    let remb = p.as_any().downcast_ref::<ReceiverEstimatedMaximumBitrate>()?;
    (remb.ssrcs.contains(&ssrc) && remb.bitrate.is_finite() && remb.bitrate >= 0.0).then_some(remb.bitrate as u64)
}

fn wanted(p: &dyn rtc::rtcp::Packet) -> bool {
    is_keyframe_request(p) || !reception_reports(p).is_empty() || p.as_any().is::<ReceiverEstimatedMaximumBitrate>()
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeRequests {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            let wanted: Vec<Box<dyn rtc::rtcp::Packet>> =
                packets.iter().filter(|p| wanted(p.as_ref())).cloned().collect();
            if wanted.is_empty() {
                // NACKs and the rest: the interceptors before this one have acted on them.
                return Ok(());
            }
            msg.message.packet = Packet::Rtcp(wanted);
            msg.message.add(Attribute::DeliverToApplication);
        }
        self.read.push_back(msg);
        Ok(())
    }

    queue_polls!();

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.write.push_back(msg);
        Ok(())
    }
}

no_stream_state!(KeyframeRequests);
