//! What the SIP side reads from media packets itself (no I/O): RTCP feedback asking for a
//! keyframe ([`rtcp`]) and DTMF digits, from RFC 4733 events and from SIP INFO bodies ([`dtmf`]);
//! SRTP with SDES keys ([`srtp`]).

pub mod dtmf;
pub mod retransmit;
pub mod rtcp;
pub mod srtp;

/// The length of an RTP version 2 packet's header (CSRCs and extension included), or `None`
/// when it is not one or its header does not fit.
pub fn header_len(p: &[u8]) -> Option<usize> {
    if p.len() < 12 || p[0] >> 6 != 2 {
        return None;
    }
    let mut header = 12 + 4 * usize::from(p[0] & 0x0f);
    if p[0] & 0x10 != 0 {
        let ext = p.get(header + 2..header + 4)?;
        header += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    (header <= p.len()).then_some(header)
}

/// The payload type and payload of an RTP packet, or `None` when it is not RTP version 2 or its
/// header (CSRCs, extension, padding) does not fit.
pub fn payload(p: &[u8]) -> Option<(u8, u32, &[u8])> {
    let header = header_len(p)?;
    let padding = if p[0] & 0x20 != 0 { usize::from(*p.last()?) } else { 0 };
    let end = p.len().checked_sub(padding)?;
    let body = p.get(header..end)?;
    let ts = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
    Some((p[1] & 0x7f, ts, body))
}
