//! RTCP from the peers of calls: payload-specific feedback (RFC 4585, RFC 5104), whether a
//! compound packet asks the sender for a keyframe — Picture Loss Indication (PT 206, FMT 1) or
//! Full Intra Request (PT 206, FMT 4) — and the report blocks of sender and receiver reports
//! (RFC 3550 §6.4), which say how the media Tessera sends arrives.

/// Whether any packet of the compound RTCP packet `p` is a PLI or a FIR. Malformed packets
/// (wrong version, lengths beyond the buffer) end the walk.
pub fn wants_keyframe(p: &[u8]) -> bool {
    packets(p).any(|q| q[1] == 206 && matches!(q[0] & 0x1f, 1 | 4))
}

/// The packets of a compound RTCP packet, each with its header. A malformed one (wrong version,
/// a length beyond the buffer) ends the walk.
fn packets(mut p: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        if p.len() < 4 || p[0] >> 6 != 2 {
            return None;
        }
        let len = (usize::from(u16::from_be_bytes([p[2], p[3]])) + 1) * 4;
        let (q, rest) = (p.get(..len)?, &p[len..]);
        p = rest;
        Some(q)
    })
}

/// One reception report block (RFC 3550 §6.4.1): how the reporter receives source `ssrc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Packets lost since the previous report, in 256ths.
    pub fraction_lost: u8,
    /// Packets lost since the start (24-bit signed: duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Interarrival jitter, in the RTP clock's units.
    pub jitter: u32,
}

/// The report blocks of every SR (PT 200) and RR (PT 201) in the compound packet `p`. A malformed
/// packet (wrong version, a length beyond the buffer, more blocks than fit) ends the walk.
pub fn report_blocks(p: &[u8]) -> Vec<ReportBlock> {
    let mut out = Vec::new();
    for q in packets(p) {
        let count = usize::from(q[0] & 0x1f);
        // After the header and the reporter's SSRC: a sender report's 20 bytes of sender info.
        let start = match q[1] {
            200 => 28,
            201 => 8,
            _ => continue,
        };
        let Some(blocks) = q.get(start..start + count * 24) else { break };
        for b in blocks.chunks_exact(24) {
            let lost = i32::from_be_bytes([b[5], b[6], b[7], 0]) >> 8;
            out.push(ReportBlock {
                ssrc: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                fraction_lost: b[4],
                cumulative_lost: lost,
                jitter: u32::from_be_bytes([b[12], b[13], b[14], b[15]]),
            });
        }
    }
    out
}

/// The sender's SSRC and octet count (which wraps at 2^32) of every SR (PT 200) in the compound
/// packet `p`: what the peer has sent so far, for its bit rate.
pub fn sender_octets(p: &[u8]) -> Vec<(u32, u32)> {
    packets(p)
        .filter(|q| q[1] == 200 && q.len() >= 28)
        .map(|q| (u32::from_be_bytes([q[4], q[5], q[6], q[7]]), u32::from_be_bytes([q[24], q[25], q[26], q[27]])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_blocks_are_read_from_sender_and_receiver_reports() {
        let block = |ssrc: u8, frac: u8, lost: [u8; 3], jitter: u8| {
            let mut b = vec![0, 0, 0, ssrc, frac, lost[0], lost[1], lost[2]];
            b.extend_from_slice(&[0, 0, 0, 9, 0, 0, 0, jitter, 0, 0, 0, 0, 0, 0, 0, 0]);
            b
        };
        // An RR with one block, then an SR with two, then an SDES that is skipped.
        let mut rr = vec![0x81, 201, 0, 7, 0, 0, 0, 1];
        rr.extend(block(7, 64, [0, 0, 12], 80));
        let mut sr = vec![0x82, 200, 0, 18, 0, 0, 0, 2];
        sr.extend([0u8; 20]);
        sr.extend(block(8, 0, [0xff, 0xff, 0xff], 3));
        sr.extend(block(9, 255, [0, 1, 0], 0));
        let sdes = [0x81, 202, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0];
        let all = report_blocks(&[&rr[..], &sr[..], &sdes[..]].concat());
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(all[0], ReportBlock { ssrc: 7, fraction_lost: 64, cumulative_lost: 12, jitter: 80 });
        assert_eq!((all[1].ssrc, all[1].cumulative_lost, all[1].jitter), (8, -1, 3));
        assert_eq!((all[2].fraction_lost, all[2].cumulative_lost), (255, 256));
        // The SR's sender: its SSRC and octet count (zeros here).
        assert_eq!(sender_octets(&[&rr[..], &sr[..], &sdes[..]].concat()), vec![(2, 0)]);
        assert!(sender_octets(&sr[..20]).is_empty());
        // A block count beyond the packet's length, a truncated packet, another version: nothing.
        assert!(report_blocks(&[0x85, 201, 0, 7, 0, 0, 0, 1]).is_empty());
        assert!(report_blocks(&rr[..20]).is_empty());
        assert!(report_blocks(&[0x41, 201, 0, 1, 0, 0, 0, 1]).is_empty());
    }

    #[test]
    fn pli_and_fir_are_found_in_compound_packets() {
        // A receiver report (PT 201, no blocks), then a PLI.
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
        let pli = [0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        let fir = [0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0];
        assert!(wants_keyframe(&[&rr[..], &pli[..]].concat()));
        assert!(wants_keyframe(&fir));
        assert!(!wants_keyframe(&rr));
        // Generic NACK (PT 205) is not a keyframe request.
        assert!(!wants_keyframe(&[0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]));
        // A length beyond the buffer, a wrong version, nothing.
        assert!(!wants_keyframe(&[0x81, 206, 0, 9, 0, 0, 0, 1]));
        assert!(!wants_keyframe(&[0x41, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]));
        assert!(!wants_keyframe(&[]));
    }
}
