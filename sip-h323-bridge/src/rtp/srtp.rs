//! SRTP and SRTCP (RFC 3711) for the keys SDES exchanged ([`crate::sdp::crypto`]): one
//! [`Srtp`] per direction and medium, protecting what Tessera sends with its own key or
//! unprotecting what the peer sends with the peer's. The cipher is `rtc-srtp`'s (webrtc-rs,
//! already Tessera's WebRTC stack) over `ring`; this module picks the profile, keeps packets
//! from outside the replay window out, and keeps keys out of errors.

use crate::sdp::crypto::{Crypto, Suite};
use rtc_srtp::context::Context;
use rtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};
use rtc_srtp::protection_profile::ProtectionProfile;

/// Packets this far behind the newest one are refused as replays (RFC 3711 §3.3.2 asks for at
/// least 64).
const REPLAY_WINDOW: usize = 128;

/// One direction's SRTP context.
pub struct Srtp {
    context: Context,
    /// The authentication tag's length: what protecting adds to an RTP packet.
    tag_len: usize,
}

impl std::fmt::Debug for Srtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Srtp(..)")
    }
}

/// Whether `p` starts with a whole RTP version 2 header (its CSRCs and extension inside the
/// packet) that `rtc-srtp` reads back at the same length. It encrypts from the length of the
/// header as it would write it again, and indexes past the end of the packet when that differs
/// (an odd extension; found by the `media_packets` fuzzer), so nothing else reaches it.
fn header_fits(p: &[u8]) -> bool {
    use rtc_shared::marshal::{MarshalSize, Unmarshal};
    super::header_len(p)
        .is_some_and(|header| rtc_rtp::header::Header::unmarshal(&mut &p[..]).is_ok_and(|h| h.marshal_size() == header))
}

/// Whether `p` can be an RTCP packet: version 2, its first header whole.
fn rtcp_fits(p: &[u8]) -> bool {
    p.len() >= 8 && p[0] >> 6 == 2
}

fn profile(suite: Suite) -> ProtectionProfile {
    match suite {
        Suite::Aes128Sha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
        Suite::Aes128Sha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
    }
}

impl Srtp {
    /// A context for `crypto`'s suite and key; unprotecting contexts refuse replays.
    pub fn new(crypto: &Crypto) -> Result<Srtp, String> {
        let provider = rtc_crypto::default_provider().map_err(|e| format!("SRTP: no cipher provider: {e}"))?;
        let (key, salt) = crypto.key.split_at(16);
        let context = Context::new(
            key,
            salt,
            profile(crypto.suite),
            Some(srtp_replay_protection(REPLAY_WINDOW)),
            Some(srtcp_replay_protection(REPLAY_WINDOW)),
            provider.crypto(),
        )
        .map_err(|e| format!("SRTP: {e}"))?;
        let tag_len = match crypto.suite {
            Suite::Aes128Sha1_80 => 10,
            Suite::Aes128Sha1_32 => 4,
        };
        Ok(Srtp { context, tag_len })
    }

    /// What protecting adds to an RTP packet: its authentication tag.
    pub fn tag_len(&self) -> usize {
        self.tag_len
    }

    /// An RTP packet encrypted and authenticated.
    pub fn protect_rtp(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        if !header_fits(packet) {
            return None;
        }
        self.context.encrypt_rtp(packet).ok().map(|b| b.to_vec())
    }

    /// The RTP packet inside an SRTP one, or `None` when it fails authentication, is a replay
    /// or is not SRTP at all.
    pub fn unprotect_rtp(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        if !header_fits(packet) {
            return None;
        }
        self.context.decrypt_rtp(packet).ok().map(|b| b.to_vec())
    }

    pub fn protect_rtcp(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        if !rtcp_fits(packet) {
            return None;
        }
        self.context.encrypt_rtcp(packet).ok().map(|b| b.to_vec())
    }

    pub fn unprotect_rtcp(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        if !rtcp_fits(packet) {
            return None;
        }
        self.context.decrypt_rtcp(packet).ok().map(|b| b.to_vec())
    }
}

/// One medium's keys: the peer's, to unprotect what it sends, and Tessera's, to protect what
/// it sends the peer.
#[derive(Clone, PartialEq, Eq)]
pub struct Pair {
    pub receive: Crypto,
    pub send: Crypto,
}

impl Pair {
    pub fn unprotect(&self) -> Result<Srtp, String> {
        Srtp::new(&self.receive)
    }

    pub fn protect(&self) -> Result<Srtp, String> {
        Srtp::new(&self.send)
    }
}

/// The SRTP keys of a call, per medium (`None`: that medium is plain RTP).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MediaKeys {
    pub audio: Option<Pair>,
    pub video: Option<Pair>,
}

/// Keys never reach a log.
impl std::fmt::Debug for MediaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MediaKeys {{ audio: {}, video: {} }}", self.audio.is_some(), self.video.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::crypto::KEY_LEN;

    fn rtp(seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, 0, 0, 0, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78];
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn packets_go_through_and_tampering_and_replays_do_not() {
        for suite in [Suite::Aes128Sha1_80, Suite::Aes128Sha1_32] {
            let key = Crypto { tag: 1, suite, key: [9; KEY_LEN] };
            let (mut tx, mut rx) = (Srtp::new(&key).unwrap(), Srtp::new(&key).unwrap());
            let plain = rtp(1, &[0xff; 160]);
            let sealed = tx.protect_rtp(&plain).unwrap();
            let tag = if suite == Suite::Aes128Sha1_80 { 10 } else { 4 };
            assert_eq!(tx.tag_len(), tag);
            assert_eq!(sealed.len(), plain.len() + tag);
            assert_eq!(sealed[..12], plain[..12], "the header stays readable");
            assert!(!sealed[12..172].contains(&0xff) || sealed[12..172] != plain[12..], "the payload is not");
            let mut forged = sealed.clone();
            forged[20] ^= 1;
            assert!(rx.unprotect_rtp(&forged).is_none(), "a changed packet fails authentication");
            assert_eq!(rx.unprotect_rtp(&sealed).unwrap(), plain);
            assert!(rx.unprotect_rtp(&sealed).is_none(), "a replay is refused");
            assert!(rx.unprotect_rtp(&plain).is_none(), "plain RTP is refused");
            let other = Crypto { tag: 1, suite, key: [8; KEY_LEN] };
            assert!(Srtp::new(&other).unwrap().unprotect_rtp(&tx.protect_rtp(&rtp(2, b"x")).unwrap()).is_none());
        }
    }

    #[test]
    fn headers_claiming_more_than_the_packet_are_refused_not_a_panic() {
        // The fuzzer's find: version 3 with an extension longer than the packet; and a version 2
        // one whose extension runs past the end.
        let found = [
            0xf0, 0xab, 0xab, 0x5e, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 3, 0xce, 0x10, 0x30, 0, 7, 0, 0, 0x81, 0,
            0x40, 4, 0, 0x44, 0, 3, 0xce, 0, 0x30,
        ];
        let mut v2 = found;
        v2[0] = 0x90;
        let key = Crypto { tag: 1, suite: Suite::Aes128Sha1_80, key: [1; KEY_LEN] };
        let mut s = Srtp::new(&key).unwrap();
        for p in [&found[..], &v2[..], &[0x80][..], &[][..]] {
            assert!(s.protect_rtp(p).is_none() && s.unprotect_rtp(p).is_none());
            assert!(s.protect_rtcp(p).is_none() || p.len() >= 8);
            let _ = s.unprotect_rtcp(p);
        }
    }

    #[test]
    fn rtcp_goes_through() {
        let key = Crypto { tag: 1, suite: Suite::Aes128Sha1_80, key: [5; KEY_LEN] };
        let (mut tx, mut rx) = (Srtp::new(&key).unwrap(), Srtp::new(&key).unwrap());
        // A PLI: version 2, PT 206, FMT 1, sender and media SSRC.
        let pli = [0x81, 206, 0, 2, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78];
        let sealed = tx.protect_rtcp(&pli).unwrap();
        assert_eq!(rx.unprotect_rtcp(&sealed).unwrap(), pli);
        assert!(rx.unprotect_rtcp(&pli).is_none());
    }
}
