//! RTCP from the peers of calls: payload-specific feedback (RFC 4585, RFC 5104), whether a
//! compound packet asks the sender for a keyframe — Picture Loss Indication (PT 206, FMT 1) or
//! Full Intra Request (PT 206, FMT 4) — and the report blocks of sender and receiver reports
//! (RFC 3550 §6.4), which say how the media Tessera sends arrives, and the receiver's own
//! bandwidth estimate: TMMBR (RFC 5104, PT 205 FMT 3) or REMB (PT 206 FMT 15); generic NACKs
//! (RFC 4585 §6.2.1, PT 205 FMT 1), naming packets to resend. And what Tessera sends its peers
//! itself: a sender report with its CNAME ([`sender_report`]), which the peers' report blocks
//! answer with the round trip's figures.

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
    /// The extended highest sequence number received (cycles in the high 16 bits).
    pub highest: u32,
    /// Interarrival jitter, in the RTP clock's units.
    pub jitter: u32,
    /// The middle 32 bits of the NTP time of the last sender report received from the source
    /// (0: none), and the delay since it, in 1/65536 s.
    pub last_sr: u32,
    pub delay_since_sr: u32,
}

/// The round trip from a report block (RFC 3550 §6.4.1): the NTP time it arrived at (the
/// middle 32 bits, `arrived`) less the time of the sender report it answers and the delay the
/// receiver held it; `None` without a sender report to answer, or when the figures do not make
/// a time (a clock that went back).
pub fn round_trip(arrived: u32, last_sr: u32, delay_since_sr: u32) -> Option<std::time::Duration> {
    if last_sr == 0 {
        return None;
    }
    let units = arrived.wrapping_sub(last_sr).wrapping_sub(delay_since_sr);
    // More than a minute is no round trip (the arithmetic wrapped).
    (units < 60 << 16).then(|| std::time::Duration::from_micros((u64::from(units) * 1_000_000) >> 16))
}

/// The middle 32 bits of the NTP time of `t` (seconds since 1900 in the high 16 bits, the
/// fraction in the low 16), as report blocks carry it.
pub fn ntp_middle(t: std::time::SystemTime) -> u32 {
    (ntp(t) >> 16) as u32
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
                highest: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
                jitter: u32::from_be_bytes([b[12], b[13], b[14], b[15]]),
                last_sr: u32::from_be_bytes([b[16], b[17], b[18], b[19]]),
                delay_since_sr: u32::from_be_bytes([b[20], b[21], b[22], b[23]]),
            });
        }
    }
    out
}

/// The entries of the TMMBRs (PT 205 FMT 3) in the compound packet `p`: the requester (the
/// packet's sender SSRC) and each entry's word (6-bit exponent, 17-bit mantissa, 9-bit measured
/// overhead). After the header, the sender's and the media source's SSRC: 8-byte entries.
fn tmmbr_entries(p: &[u8]) -> impl Iterator<Item = (u32, u32)> + '_ {
    packets(p).filter(|q| q[1] == 205 && q[0] & 0x1f == 3 && q.len() >= 12).flat_map(|q| {
        let requester = u32::from_be_bytes([q[4], q[5], q[6], q[7]]);
        q[12..].chunks_exact(8).map(move |e| (requester, u32::from_be_bytes([e[4], e[5], e[6], e[7]])))
    })
}

/// The lowest bandwidth the receiver asks for or estimates in the compound packet `p`, bits per
/// second: a TMMBR's maximum total media bit rate (RFC 5104 §4.2.1: 6-bit exponent, 17-bit
/// mantissa) or a REMB's estimate (draft-alvestrand-rmcat-remb: "REMB", 6-bit exponent, 18-bit
/// mantissa). Malformed entries are skipped.
pub fn receiver_estimate(p: &[u8]) -> Option<u64> {
    let mut lowest: Option<u64> = None;
    let mut take = |v: u64| lowest = Some(lowest.map_or(v, |l| l.min(v)));
    for (_, word) in tmmbr_entries(p) {
        let (exp, mantissa) = (word >> 26, u64::from((word >> 9) & 0x1_ffff));
        take(mantissa.checked_shl(exp).filter(|v| v >> exp == mantissa).unwrap_or(u64::MAX));
    }
    for q in packets(p).filter(|q| q[1] == 206 && q[0] & 0x1f == 15) {
        let Some(e) = q.get(12..20) else { continue };
        if &e[..4] != b"REMB" {
            continue;
        }
        let (exp, mantissa) = (u32::from(e[5] >> 2), u64::from(u32::from_be_bytes([0, e[5] & 3, e[6], e[7]])));
        take(mantissa.checked_shl(exp).filter(|v| v >> exp == mantissa).unwrap_or(u64::MAX));
    }
    lowest
}

/// The sender's SSRC and octet count (which wraps at 2^32) of every SR (PT 200) in the compound
/// packet `p`: what the peer has sent so far, for its bit rate.
pub fn sender_octets(p: &[u8]) -> Vec<(u32, u32)> {
    packets(p)
        .filter(|q| q[1] == 200 && q.len() >= 28)
        .map(|q| (u32::from_be_bytes([q[4], q[5], q[6], q[7]]), u32::from_be_bytes([q[24], q[25], q[26], q[27]])))
        .collect()
}

/// Every packet a generic NACK (PT 205, FMT 1) in the compound packet `p` names: the media
/// source's SSRC and the sequence number. Each entry is a packet ID and a bitmask of the 16
/// after it (RFC 4585 §6.2.1).
pub fn nacked(p: &[u8]) -> Vec<(u32, u16)> {
    let mut out = Vec::new();
    for q in packets(p).filter(|q| q[1] == 205 && q[0] & 0x1f == 1 && q.len() >= 12) {
        let source = u32::from_be_bytes([q[8], q[9], q[10], q[11]]);
        for e in q[12..].chunks_exact(4) {
            let (pid, mask) = (u16::from_be_bytes([e[0], e[1]]), u16::from_be_bytes([e[2], e[3]]));
            out.push((source, pid));
            out.extend((0..16).filter(|i| mask >> i & 1 == 1).map(|i| (source, pid.wrapping_add(i + 1))));
        }
    }
    out
}

/// What a sender report says of the stream it describes (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    pub ssrc: u32,
    /// The wallclock time of the report, NTP format (seconds since 1900 . fraction).
    pub ntp: u64,
    /// The same instant on the stream's RTP clock.
    pub rtp_time: u32,
    pub packets: u32,
    pub octets: u32,
}

/// The full 64-bit NTP time of `t`.
pub fn ntp(t: std::time::SystemTime) -> u64 {
    let since = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs() + 2_208_988_800;
    let fraction = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
    (seconds << 32) | fraction
}

/// A compound RTCP packet: a sender report without report blocks, then an SDES with the
/// sender's CNAME (RFC 3550 §6.1: every compound packet carries one). A CNAME longer than 255
/// bytes is cut.
pub fn sender_report(info: &SenderInfo, cname: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend([0x80, 200, 0, 6]);
    out.extend(info.ssrc.to_be_bytes());
    out.extend(info.ntp.to_be_bytes());
    out.extend(info.rtp_time.to_be_bytes());
    out.extend(info.packets.to_be_bytes());
    out.extend(info.octets.to_be_bytes());
    let name = &cname.as_bytes()[..cname.len().min(255)];
    // SSRC, CNAME item (type, length, text), the end item, padded to 32 bits.
    let mut chunk = info.ssrc.to_be_bytes().to_vec();
    chunk.extend([1, name.len() as u8]);
    chunk.extend(name);
    chunk.push(0);
    while !chunk.len().is_multiple_of(4) {
        chunk.push(0);
    }
    let words = (chunk.len() / 4) as u16;
    out.extend([0x81, 202]);
    out.extend(words.to_be_bytes());
    out.extend(chunk);
    out
}

/// How Tessera asks a sender for a keyframe: by PLI, or by FIR (RFC 5104 §4.3.1, its command
/// sequence number counting requests) for peers that negotiated only `ccm fir`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyframeRequest {
    Pli,
    Fir { seq: u8 },
}

/// A compound RTCP packet asking the stream `media_ssrc` for a keyframe: an empty receiver
/// report from `sender_ssrc` (a compound packet starts with a report, RFC 3550 §6.1), then the
/// PLI or FIR.
pub fn keyframe_request(sender_ssrc: u32, media_ssrc: u32, how: KeyframeRequest) -> Vec<u8> {
    let mut out = vec![0x80, 201, 0, 1];
    out.extend(sender_ssrc.to_be_bytes());
    match how {
        KeyframeRequest::Pli => {
            out.extend([0x81, 206, 0, 2]);
            out.extend(sender_ssrc.to_be_bytes());
            out.extend(media_ssrc.to_be_bytes());
        }
        KeyframeRequest::Fir { seq } => {
            // The media source field is unused (0); the FCI names the stream.
            out.extend([0x84, 206, 0, 4]);
            out.extend(sender_ssrc.to_be_bytes());
            out.extend([0; 4]);
            out.extend(media_ssrc.to_be_bytes());
            out.extend([seq, 0, 0, 0]);
        }
    }
    out
}

/// A compound RTCP packet asking the stream `media_ssrc` to send at most `bits_per_second`: an
/// empty receiver report from `sender_ssrc`, then a TMMBR (RFC 5104 §4.2.1, PT 205 FMT 3) with
/// one entry; the rate as a 17-bit mantissa and 6-bit exponent (rounded down), and 40 bytes of
/// measured overhead per packet (IPv4, UDP, RTP headers).
pub fn bitrate_request(sender_ssrc: u32, media_ssrc: u32, bits_per_second: u64) -> Vec<u8> {
    let exp = (64 - bits_per_second.leading_zeros()).saturating_sub(17);
    let mantissa = (bits_per_second >> exp) as u32;
    let mut out = vec![0x80, 201, 0, 1];
    out.extend(sender_ssrc.to_be_bytes());
    // The media source field is unused (0); the FCI names the stream.
    out.extend([0x83, 205, 0, 4]);
    out.extend(sender_ssrc.to_be_bytes());
    out.extend([0; 4]);
    out.extend(media_ssrc.to_be_bytes());
    out.extend(((exp << 26) | (mantissa << 9) | 40).to_be_bytes());
    out
}

/// The answer to the TMMBRs in the compound packet `p` (RFC 5104 §4.2.2), from `sender_ssrc`:
/// an empty receiver report, then a TMMBN naming each requester (the TMMBR's sender) with the
/// rate and overhead it asked for. Tessera's one stream per medium has one receiver per call,
/// whose request is the whole bounding set. `None` when `p` holds no TMMBR.
pub fn bitrate_notification(p: &[u8], sender_ssrc: u32) -> Option<Vec<u8>> {
    let entries: Vec<u8> = tmmbr_entries(p)
        .flat_map(|(requester, word)| [requester.to_be_bytes(), word.to_be_bytes()])
        .flatten()
        .collect();
    if entries.is_empty() {
        return None;
    }
    let mut out = vec![0x80, 201, 0, 1];
    out.extend(sender_ssrc.to_be_bytes());
    let words = u16::try_from(2 + entries.len() / 4).ok()?;
    out.extend([0x84, 205]);
    out.extend(words.to_be_bytes());
    out.extend(sender_ssrc.to_be_bytes());
    out.extend([0; 4]);
    out.extend(entries);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tmmbr_is_answered_by_a_tmmbn_with_its_entry() {
        let request = bitrate_request(0x0a0a_0a0a, 0xbbbb_bbbb, 500_000);
        let n = bitrate_notification(&request, 0xcccc_cccc).unwrap();
        assert_eq!(n.len(), 28);
        assert_eq!(&n[8..12], &[0x84, 205, 0, 4]);
        assert_eq!(&n[20..24], &0x0a0a_0a0a_u32.to_be_bytes(), "the requester is named");
        assert_eq!(&n[24..28], &request[24..28], "with its rate and overhead");
        assert!(bitrate_notification(&n, 1).is_none(), "a TMMBN is not a request");
        assert!(bitrate_notification(&keyframe_request(1, 2, KeyframeRequest::Pli), 3).is_none());
    }

    #[test]
    fn bitrate_requests_are_read_back_as_the_rate_asked() {
        for bps in [64_000u64, 380_000, 1_520_000, 131_071, 131_072, 40_000_000_000] {
            let p = bitrate_request(1, 0xdead_beef, bps);
            assert_eq!(p.len(), 28);
            assert_eq!(&p[20..24], &0xdead_beef_u32.to_be_bytes());
            let back = receiver_estimate(&p).unwrap();
            // Rounded down to the mantissa's 17 bits: within one part in 65,536.
            assert!(back <= bps && bps - back <= bps >> 16, "{bps} read back as {back}");
            assert!(!wants_keyframe(&p));
        }
    }

    #[test]
    fn keyframe_requests_are_read_back_as_such() {
        let pli = keyframe_request(1, 0xdead_beef, KeyframeRequest::Pli);
        assert_eq!(pli.len(), 20);
        assert!(wants_keyframe(&pli));
        assert_eq!(&pli[16..], &0xdead_beef_u32.to_be_bytes());
        let fir = keyframe_request(1, 7, KeyframeRequest::Fir { seq: 3 });
        assert_eq!(fir.len(), 28);
        assert!(wants_keyframe(&fir));
        assert_eq!(&fir[20..28], &[0, 0, 0, 7, 3, 0, 0, 0]);
        // The receiver report alone asks for nothing.
        assert!(!wants_keyframe(&pli[..8]));
    }

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
        let first = ReportBlock {
            ssrc: 7,
            fraction_lost: 64,
            cumulative_lost: 12,
            highest: 9,
            jitter: 80,
            last_sr: 0,
            delay_since_sr: 0,
        };
        assert_eq!(all[0], first);
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
    fn round_trips_come_from_the_sender_report_a_block_answers() {
        // Sent at 1000.0 s (NTP middle bits), held 0.5 s, back at 1000.75 s: 250 ms.
        let rtt = round_trip((1000 << 16) + 49_152, 1000 << 16, 32_768).unwrap();
        assert_eq!(rtt.as_millis(), 250);
        assert_eq!(round_trip(5, 0, 0), None, "no sender report answered");
        assert_eq!(round_trip(1000 << 16, 1001 << 16, 0), None, "a clock that went back");
        // The NTP time of the Unix epoch plus 1.5 s: 2,208,988,801 s (its low 16 bits) and a half.
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1500);
        assert_eq!(ntp_middle(t), ((2_208_988_801u64 & 0xffff) << 16 | 32_768) as u32);
    }

    #[test]
    fn tmmbr_and_remb_give_the_receivers_estimate() {
        // An RR, then a TMMBR asking for 700 kbit/s (mantissa 87,500, exponent 3).
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
        let word: u32 = (3 << 26) | (87_500 << 9) | 40;
        let mut tmmbr = vec![0x83, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        tmmbr.extend(word.to_be_bytes());
        assert_eq!(receiver_estimate(&[&rr[..], &tmmbr[..]].concat()), Some(700_000));
        // A REMB of 1.5 Mbit/s (mantissa 187,500, exponent 3) for one SSRC.
        let remb_word: u32 = (1 << 24) | (3 << 18) | 187_500;
        let mut remb = vec![0x8f, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0];
        remb.extend(b"REMB");
        remb.extend(remb_word.to_be_bytes());
        remb.extend([0, 0, 0, 9]);
        assert_eq!(receiver_estimate(&remb), Some(1_500_000));
        // Both: the lower counts.
        assert_eq!(receiver_estimate(&[&remb[..], &tmmbr[..]].concat()), Some(700_000));
        // Another PSFB (a PLI), a truncated REMB, no estimate at all.
        assert_eq!(receiver_estimate(&[0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]), None);
        assert_eq!(receiver_estimate(&remb[..16]), None);
        assert_eq!(receiver_estimate(&rr), None);
        // A huge exponent does not overflow.
        let mut big = tmmbr.clone();
        big[16..20].copy_from_slice(&((63u32 << 26) | (1 << 25)).to_be_bytes());
        assert_eq!(receiver_estimate(&big), Some(u64::MAX));
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

    #[test]
    fn nacks_name_a_packet_and_the_sixteen_after_it_by_mask() {
        // A PLI (skipped), then a NACK for source 9: 100, and 101 and 116 by its mask; 65535 and 0.
        let pli = [0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        let nack = [0x81, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 9, 0, 100, 0x80, 0x01, 0xff, 0xff, 0, 1];
        let got = nacked(&[&pli[..], &nack[..]].concat());
        assert_eq!(got, vec![(9, 100), (9, 101), (9, 116), (9, 65535), (9, 0)]);
        // Truncated, or a TMMBR (FMT 3): nothing.
        assert!(nacked(&nack[..14]).is_empty());
        assert!(nacked(&[0x83, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 9]).is_empty());
    }

    #[test]
    fn a_sender_report_reads_back_and_carries_a_cname() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1500);
        let info = SenderInfo { ssrc: 0xdead_beef, ntp: ntp(t), rtp_time: 90_000, packets: 12, octets: 3_400 };
        let p = sender_report(&info, "tessera@example.org");
        assert!(p.len().is_multiple_of(4));
        assert_eq!(sender_octets(&p), vec![(0xdead_beef, 3_400)]);
        // Its NTP middle bits are what a report block answering it carries as LSR.
        assert_eq!(u32::from_be_bytes([p[10], p[11], p[12], p[13]]), ntp_middle(t));
        let sdes = &p[28..];
        assert_eq!((sdes[0], sdes[1]), (0x81, 202));
        assert_eq!(usize::from(u16::from_be_bytes([sdes[2], sdes[3]]) + 1) * 4, sdes.len());
        assert_eq!(&sdes[8..10], &[1, 19]);
        assert_eq!(&sdes[10..29], b"tessera@example.org");
        assert_eq!(packets(&p).count(), 2);
    }
}
