//! RTCP payload-specific feedback (RFC 4585, RFC 5104): whether a compound packet asks the
//! sender for a keyframe — Picture Loss Indication (PT 206, FMT 1) or Full Intra Request
//! (PT 206, FMT 4).

/// Whether any packet of the compound RTCP packet `p` is a PLI or a FIR. Malformed packets
/// (wrong version, lengths beyond the buffer) end the walk.
pub fn wants_keyframe(mut p: &[u8]) -> bool {
    while p.len() >= 4 {
        if p[0] >> 6 != 2 {
            return false;
        }
        let len = (usize::from(u16::from_be_bytes([p[2], p[3]])) + 1) * 4;
        if len > p.len() {
            return false;
        }
        let fmt = p[0] & 0x1f;
        if p[1] == 206 && (fmt == 1 || fmt == 4) {
            return true;
        }
        p = &p[len..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

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
