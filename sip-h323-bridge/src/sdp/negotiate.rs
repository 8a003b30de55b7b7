//! Offer/answer (RFC 3264) for a conference endpoint: from an offer, the audio and video Tessera
//! takes ([`choose`]), then the answer that says so ([`answer`]) once the receiving ports are
//! known. Audio: the first of the offer's formats that is Opus, G.722, PCMU or PCMA (the offerer's
//! order is its preference), with telephone-event kept for DTMF. Video: H.264 with packetization
//! mode 1, else mode 0 (sent as one NAL unit per packet, however large), else VP8. Sections Tessera does not take are
//! answered with port 0; an offer with nothing usable is refused (488).
//!
//! SRTP (RFC 4568, SDES): an `RTP/SAVP` or `RTP/SAVPF` section is taken when the signalling is
//! encrypted (the keys are in the SDP) and one of its `a=crypto` lines is (see [`super::crypto`]);
//! the answer then carries Tessera's own key for the same tag. Whether a conference may be
//! joined without encryption is the conference core's rule, not this module's: it reports
//! [`Choice::encrypted`].

use super::crypto::{Crypto, KEY_LEN};
use super::{Format, Media, Session};
use std::fmt::Write;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioCodec {
    Opus,
    G722,
    Pcmu,
    Pcma,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    H264,
    Vp8,
}

/// What Tessera takes from one media section of the offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken<C> {
    /// Index of the section in the offer.
    pub index: usize,
    pub codec: C,
    pub pt: u8,
    /// Where to send RTP and RTCP; `None` while the peer does not want media (hold).
    pub peer: Option<(IpAddr, u16, u16)>,
    /// Whether the peer sends (Tessera should expect media).
    pub peer_sends: bool,
    /// The offered format, for its fmtp and feedback.
    pub format: Format,
    /// RFC 4733 telephone-event type (audio only).
    pub dtmf_pt: Option<u8>,
    pub proto: String,
    /// The peer's SRTP key (an `RTP/SAVP(F)` section), with the tag and suite Tessera answers.
    pub crypto: Option<Crypto>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub audio: Option<Taken<AudioCodec>>,
    pub video: Option<Taken<VideoCodec>>,
}

impl Choice {
    /// Whether Tessera sends this peer video (it wants to receive).
    pub fn sends_video(&self) -> bool {
        self.video.as_ref().is_some_and(|v| v.peer.is_some())
    }

    /// Whether the peer takes H.264 only in packetization mode 0 (single NAL unit).
    pub fn h264_single_nal(&self) -> bool {
        self.video.as_ref().is_some_and(|v| {
            v.codec == VideoCodec::H264 && v.format.fmtp_param("packetization-mode").unwrap_or("0") == "0"
        })
    }

    /// Whether every medium taken is SRTP (and at least one is taken).
    pub fn encrypted(&self) -> bool {
        let a = self.audio.as_ref().map(|a| a.crypto.is_some());
        let v = self.video.as_ref().map(|v| v.crypto.is_some());
        (a.is_some() || v.is_some()) && a != Some(false) && v != Some(false)
    }

    /// Whether the peer takes Opus and prefers it with discontinuous transmission (RFC 7587's
    /// `usedtx=1` in its fmtp): silence goes as a comfort-noise packet every 400 ms.
    pub fn opus_dtx(&self) -> bool {
        self.audio.as_ref().is_some_and(|a| a.codec == AudioCodec::Opus && a.format.fmtp_param("usedtx") == Some("1"))
    }

    /// Whether the peer takes generic NACKs (RFC 4585 `a=rtcp-fb:… nack`): it names lost video
    /// packets, and Tessera sends them again.
    pub fn nack(&self) -> bool {
        self.video.as_ref().is_some_and(|v| v.format.feedback.iter().any(|f| f == "nack"))
    }

    /// Whether the peer takes TMMBR (RFC 5104 `a=rtcp-fb:… ccm tmmbr`): it is asked for the bit
    /// rate that suits the size its picture is shown at.
    pub fn tmmbr(&self) -> bool {
        self.video.as_ref().is_some_and(|v| v.format.feedback.iter().any(|f| f == "ccm tmmbr"))
    }

    /// Whether the peer asked for keyframes by RTCP feedback (PLI or FIR).
    pub fn keyframe_feedback(&self) -> bool {
        self.video.as_ref().is_some_and(|v| v.format.feedback.iter().any(|f| f == "nack pli" || f == "ccm fir"))
    }
}

fn audio_codec(f: &Format) -> Option<AudioCodec> {
    match (f.encoding.to_ascii_lowercase().as_str(), f.clock_rate) {
        ("opus", 48000) => Some(AudioCodec::Opus),
        ("g722", 8000) => Some(AudioCodec::G722),
        ("pcmu", 8000) => Some(AudioCodec::Pcmu),
        ("pcma", 8000) => Some(AudioCodec::Pcma),
        _ => None,
    }
}

fn video_codec(f: &Format) -> Option<VideoCodec> {
    match (f.encoding.to_ascii_lowercase().as_str(), f.clock_rate) {
        // Mode 2 (interleaved) is not sent; mode 0 is the default when the parameter is absent.
        ("h264", 90000) if matches!(f.fmtp_param("packetization-mode").unwrap_or("0"), "0" | "1") => {
            Some(VideoCodec::H264)
        }
        ("vp8", 90000) => Some(VideoCodec::Vp8),
        _ => None,
    }
}

/// Whether Tessera can take the section: plain RTP, or SRTP with a key it takes when `sdes`
/// (the signalling is encrypted).
fn usable(m: &Media, sdes: bool) -> bool {
    let srtp = m.proto == "RTP/SAVP" || m.proto == "RTP/SAVPF";
    !m.disabled() && (m.proto == "RTP/AVP" || m.proto == "RTP/AVPF" || (srtp && sdes && !m.crypto.is_empty()))
}

/// The peer's key for a section [`usable`] took: its first `a=crypto` line, for SRTP sections.
fn crypto(m: &Media) -> Option<Crypto> {
    m.proto.starts_with("RTP/SAVP").then(|| m.crypto.first().cloned()).flatten()
}

fn peer(m: &Media) -> Option<(IpAddr, u16, u16)> {
    let a = m.address?;
    // c=0.0.0.0 is RFC 2543's hold.
    (!a.is_unspecified() && m.direction.peer_receives()).then_some((a, m.port, m.rtcp()))
}

/// What Tessera takes from `offer`, or why nothing can be taken. `sdes`: the offer came over
/// encrypted signalling, so SRTP sections with `a=crypto` keys may be taken.
pub fn choose(offer: &Session, sdes: bool) -> Result<Choice, String> {
    let mut choice = Choice { audio: None, video: None };
    for (index, m) in offer.media.iter().enumerate() {
        if !usable(m, sdes) {
            continue;
        }
        match m.kind.as_str() {
            "audio" if choice.audio.is_none() => {
                let Some((f, codec)) = m.formats.iter().find_map(|f| audio_codec(f).map(|c| (f, c))) else { continue };
                let dtmf_pt = m
                    .formats
                    .iter()
                    .find(|d| d.encoding.eq_ignore_ascii_case("telephone-event") && d.clock_rate == f.clock_rate)
                    .map(|d| d.pt);
                choice.audio = Some(Taken {
                    index,
                    codec,
                    pt: f.pt,
                    peer: peer(m),
                    peer_sends: m.direction.peer_sends(),
                    format: f.clone(),
                    dtmf_pt,
                    proto: m.proto.clone(),
                    crypto: crypto(m),
                });
            }
            "video" if choice.video.is_none() => {
                let h264 = |f: &&Format| video_codec(f) == Some(VideoCodec::H264);
                let found = m
                    .formats
                    .iter()
                    .find(|f| h264(f) && f.fmtp_param("packetization-mode") == Some("1"))
                    .or_else(|| m.formats.iter().find(h264))
                    .or_else(|| m.formats.iter().find(|f| video_codec(f).is_some()));
                let Some(f) = found else { continue };
                let codec = video_codec(f).unwrap_or(VideoCodec::Vp8);
                choice.video = Some(Taken {
                    index,
                    codec,
                    pt: f.pt,
                    peer: peer(m),
                    peer_sends: m.direction.peer_sends(),
                    format: f.clone(),
                    dtmf_pt: None,
                    proto: m.proto.clone(),
                    crypto: crypto(m),
                });
            }
            _ => {}
        }
    }
    if choice.audio.is_none() && choice.video.is_none() {
        let offered: Vec<String> = offer
            .media
            .iter()
            .map(|m| {
                let f: Vec<&str> = m.formats.iter().map(|f| f.encoding.as_str()).collect();
                format!("{} {} [{}]", m.kind, m.proto, f.join(" "))
            })
            .collect();
        let srtp = if sdes {
            "RTP/AVP(F), or RTP/SAVP(F) with an AES_CM_128_HMAC_SHA1_80 or _32 inline key"
        } else {
            "RTP/AVP(F) (SRTP keys are taken over SIP TLS only)"
        };
        return Err(format!(
            "no usable media: Tessera takes Opus, G.722, PCMU, PCMA audio and H.264 (packetization-mode 0 or 1) or VP8 video over {srtp}; offered {}",
            offered.join(", ")
        ));
    }
    Ok(choice)
}

/// Tessera's side of the call: where it receives each medium.
pub struct Local {
    pub address: IpAddr,
    pub audio: Option<(u16, u16)>,
    pub video: Option<(u16, u16)>,
    pub session_id: u64,
    pub version: u64,
    /// Tessera's SRTP master keys, used where a medium is SRTP (answers to SRTP sections, and
    /// offers made with `srtp`); `None` when the signalling is not encrypted.
    pub srtp: Option<Keys>,
    /// The highest H.264 level (`level_idc`: 31 for 3.1) Tessera takes: the level of its own
    /// picture, since no window is larger. A room system that could send 1080p is answered
    /// with 3.1 on a 720p server and sends 720p, which costs less than half as much to decode.
    pub h264_level: u8,
    /// The size of Tessera's picture, width and height: the largest it shows a participant at,
    /// and what it sends (`a=imageattr`, RFC 6236, for peers that read it).
    pub picture: (u32, u32),
}

/// Tessera's SDES master keys (key and salt) for what it sends: one per medium.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    pub audio: [u8; KEY_LEN],
    pub video: [u8; KEY_LEN],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

/// The `a=crypto` line of Tessera's offers: the suite every SRTP endpoint takes.
fn offered_crypto(key: [u8; KEY_LEN]) -> Crypto {
    Crypto { tag: 1, suite: super::crypto::Suite::Aes128Sha1_80, key }
}

/// Payload types of Tessera's own offer (for INVITEs that came without one).
pub mod offered {
    pub const OPUS: u8 = 111;
    pub const DTMF: u8 = 101;
    pub const H264: u8 = 96;
    pub const H264_SINGLE_NAL: u8 = 97;
    pub const VP8: u8 = 98;
}

/// Tessera's offer, for a peer that sent an INVITE without one (a "late" or delayed offer):
/// every codec Tessera takes, in its order of preference, receiving on `local`'s ports. With
/// `local.srtp`, the media are offered as SRTP (`RTP/SAVP` with Tessera's keys) only.
pub fn offer(local: &Local) -> String {
    let mut out = session_lines(local);
    let proto = if local.srtp.is_some() { "RTP/SAVP" } else { "RTP/AVP" };
    let key_line = |out: &mut String, key: Option<[u8; KEY_LEN]>| {
        if let Some(k) = key {
            let _ = write!(out, "a=crypto:{}\r\n", offered_crypto(k));
        }
    };
    if let Some((port, rtcp)) = local.audio {
        let (opus, dtmf) = (offered::OPUS, offered::DTMF);
        let _ = write!(
            out,
            "m=audio {port} {proto} {opus} 9 0 8 {dtmf}\r\na=rtpmap:{opus} opus/48000/2\r\na=fmtp:{opus} useinbandfec=1;usedtx=1\r\n\
             a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:{dtmf} telephone-event/8000\r\na=fmtp:{dtmf} 0-15\r\na=rtcp:{rtcp}\r\na=sendrecv\r\n"
        );
        key_line(&mut out, local.srtp.as_ref().map(|k| k.audio));
    }
    if let Some((port, rtcp)) = local.video {
        let (h264, single, vp8) = (offered::H264, offered::H264_SINGLE_NAL, offered::VP8);
        let _ = write!(
            out,
            "m=video {port} {proto} {h264} {single} {vp8}\r\n\
             a=rtpmap:{h264} H264/90000\r\na=fmtp:{h264} packetization-mode=1;profile-level-id=42e0{level:02x}\r\n\
             a=rtpmap:{single} H264/90000\r\na=fmtp:{single} packetization-mode=0;profile-level-id=42e0{level:02x}\r\n\
             a=rtpmap:{vp8} VP8/90000\r\n",
            level = local.h264_level,
        );
        for pt in [h264, single, vp8] {
            let _ = write!(out, "a=rtcp-fb:{pt} nack\r\na=rtcp-fb:{pt} nack pli\r\na=rtcp-fb:{pt} ccm fir\r\n");
        }
        out.push_str(&super::imageattr::offer_line(local.picture));
        let _ = write!(out, "a=rtcp:{rtcp}\r\na=sendrecv\r\n");
        key_line(&mut out, local.srtp.as_ref().map(|k| k.video));
    }
    out
}

/// The session part of Tessera's offers and answers: origin, name, connection, time.
fn session_lines(local: &Local) -> String {
    let ip = match local.address {
        IpAddr::V4(a) => format!("IP4 {a}"),
        IpAddr::V6(a) => format!("IP6 {a}"),
    };
    format!("v=0\r\no=tessera {} {} IN {ip}\r\ns=Tessera\r\nc=IN {ip}\r\nt=0 0\r\n", local.session_id, local.version)
}

fn rtpmap(out: &mut String, f: &Format) {
    let _ = write!(out, "a=rtpmap:{} {}/{}", f.pt, f.encoding, f.clock_rate);
    if f.channels > 1 {
        let _ = write!(out, "/{}", f.channels);
    }
    out.push_str("\r\n");
}

/// Tessera's key for an SRTP section, under the tag and suite of the peer's line.
fn answer_crypto(out: &mut String, peer: Option<&Crypto>, ours: Option<[u8; KEY_LEN]>) {
    if let (Some(peer), Some(key)) = (peer, ours) {
        let _ = write!(out, "a=crypto:{}\r\n", peer.answered_with(key));
    }
}

/// The answer to `offer` for `choice`, with Tessera receiving on `local`'s ports. A section
/// taken as SRTP is answered with `local.srtp`'s key (the caller makes sure it has keys when
/// [`choose`] was allowed SDES).
pub fn answer(offer: &Session, choice: &Choice, local: &Local) -> String {
    let mut out = session_lines(local);
    for (i, m) in offer.media.iter().enumerate() {
        let audio = choice.audio.as_ref().filter(|a| a.index == i).zip(local.audio);
        let video = choice.video.as_ref().filter(|v| v.index == i).zip(local.video);
        if let Some((a, (port, rtcp))) = audio {
            let pts = a.dtmf_pt.map(|d| format!(" {d}")).unwrap_or_default();
            let _ = write!(out, "m=audio {port} {} {}{pts}\r\n", a.proto, a.pt);
            rtpmap(&mut out, &a.format);
            if a.codec == AudioCodec::Opus {
                // Tessera decodes with FEC and conceals the gaps of discontinuous transmission.
                let _ = write!(out, "a=fmtp:{} useinbandfec=1;usedtx=1;maxplaybackrate=48000\r\n", a.pt);
            }
            if let Some(d) = a.dtmf_pt {
                let _ = write!(out, "a=rtpmap:{d} telephone-event/{}\r\na=fmtp:{d} 0-15\r\n", a.format.clock_rate);
            }
            let _ = write!(out, "a=rtcp:{rtcp}\r\na=ptime:20\r\na={}\r\n", m.direction.reversed().as_str());
            answer_crypto(&mut out, a.crypto.as_ref(), local.srtp.as_ref().map(|k| k.audio));
        } else if let Some((v, (port, rtcp))) = video {
            let _ = write!(out, "m=video {port} {} {}\r\n", v.proto, v.pt);
            rtpmap(&mut out, &v.format);
            if v.codec == VideoCodec::H264 {
                // Constrained baseline at the lower of the peer's level and Tessera's (see
                // `Local::h264_level`): what both decode, and no more than Tessera shows.
                let level = v
                    .format
                    .fmtp_param("profile-level-id")
                    .filter(|p| p.len() == 6)
                    .and_then(|p| p.get(4..).and_then(|l| u8::from_str_radix(l, 16).ok()))
                    .unwrap_or(0x1f)
                    .min(local.h264_level);
                let mode = v.format.fmtp_param("packetization-mode").unwrap_or("0");
                let _ = write!(out, "a=fmtp:{} packetization-mode={mode};profile-level-id=42e0{level:02x}\r\n", v.pt);
            }
            let direction = m.direction.reversed();
            for fb in ["nack", "nack pli", "ccm fir", "ccm tmmbr"] {
                if v.format.feedback.iter().any(|f| f == fb) {
                    let _ = write!(out, "a=rtcp-fb:{} {fb}\r\n", v.pt);
                }
            }
            // Sizes, if the offer names them: the largest the peer sends that fits the picture.
            if let Some(line) =
                v.format.imageattr.as_ref().and_then(|a| super::imageattr::answer_line(a, v.pt, local.picture))
            {
                out.push_str(&line);
            }
            let _ = write!(out, "a=rtcp:{rtcp}\r\na={}\r\n", direction.as_str());
            answer_crypto(&mut out, v.crypto.as_ref(), local.srtp.as_ref().map(|k| k.video));
        } else {
            let _ = write!(out, "m={} 0 {} {}\r\n", m.kind, m.proto, m.first_format);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::parse;

    fn local() -> Local {
        Local {
            address: "127.0.0.1".parse().unwrap(),
            audio: Some((20000, 20001)),
            video: Some((20002, 20003)),
            session_id: 7,
            version: 1,
            srtp: None,
            h264_level: 0x1f,
            picture: (1280, 720),
        }
    }

    #[test]
    fn a_room_system_is_answered_with_no_more_than_the_level_of_tessera_s_picture() {
        let level = |offer_level: &str, ours: u8| {
            let text = super::super::tests::BARESIP.replace("profile-level-id=42e01f", offer_level);
            let offer = parse(text.as_bytes()).unwrap();
            let c = choose(&offer, false).unwrap();
            let back = parse(answer(&offer, &c, &Local { h264_level: ours, ..local() }).as_bytes()).unwrap();
            back.media[1].formats[0].fmtp_param("profile-level-id").unwrap().to_string()
        };
        // A 1080p room system (4.0) on a 720p server is asked for 3.1; on a 1080p one, 4.0.
        assert_eq!(level("profile-level-id=640028", 0x1f), "42e01f");
        assert_eq!(level("profile-level-id=640028", 0x28), "42e028");
        // A phone that decodes less keeps its own level; a missing or garbled one is 3.1.
        assert_eq!(level("profile-level-id=42e01e", 0x1f), "42e01e");
        assert_eq!(level("profile-level-id=42e0zz", 0x28), "42e01f");
        assert_eq!(level("x=1", 0x28), "42e01f");
        // Tessera's own offers name its level.
        assert!(super::offer(&Local { h264_level: 0x28, ..local() }).contains("profile-level-id=42e028"));
    }

    #[test]
    fn a_softphone_gets_pcmu_and_h264() {
        let offer = parse(super::super::tests::BARESIP.as_bytes()).unwrap();
        let c = choose(&offer, false).unwrap();
        let a = c.audio.as_ref().unwrap();
        assert_eq!((a.codec, a.pt, a.dtmf_pt), (AudioCodec::Pcmu, 0, Some(101)));
        assert_eq!(a.peer, Some(("127.0.0.1".parse().unwrap(), 10000, 10001)));
        let v = c.video.as_ref().unwrap();
        assert_eq!((v.codec, v.pt, v.peer.unwrap().2), (VideoCodec::H264, 96, 10005));
        assert!(c.sends_video() && c.keyframe_feedback() && !c.h264_single_nal());
        // An offer of mode 0 only (the default when absent) is taken, sent as single NAL units.
        let mode0 = parse(super::super::tests::BARESIP.replace("packetization-mode=1;", "").as_bytes()).unwrap();
        let c0 = choose(&mode0, false).unwrap();
        assert!(c0.sends_video() && c0.h264_single_nal());
        assert!(answer(&mode0, &c0, &local()).contains("packetization-mode=0;"));
        let ans = answer(&offer, &c, &local());
        let back = parse(ans.as_bytes()).unwrap();
        assert_eq!(back.media[0].port, 20000);
        assert_eq!(back.media[0].formats.iter().map(|f| f.pt).collect::<Vec<_>>(), vec![0, 101]);
        assert_eq!(back.media[1].formats[0].fmtp_param("packetization-mode"), Some("1"));
        assert_eq!(back.media[1].formats[0].fmtp_param("profile-level-id"), Some("42e01f"));
        assert_eq!(back.media[1].rtcp(), 20003);
        assert!(ans.contains("a=rtcp-fb:96 ccm fir"));
        // baresip offers no generic NACK: none is answered, none is honoured.
        assert!(!c.nack() && !ans.contains("a=rtcp-fb:96 nack\r\n"));
        let with_nack =
            super::super::tests::BARESIP.replace("a=rtcp-fb:96 ccm fir", "a=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack");
        let offer = parse(with_nack.as_bytes()).unwrap();
        let c = choose(&offer, false).unwrap();
        assert!(c.nack());
        assert!(answer(&offer, &c, &local()).contains("a=rtcp-fb:96 nack\r\n"));
    }

    #[test]
    fn the_offerers_order_and_directions_are_respected() {
        let offer = parse(
            b"v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n\
m=audio 4000 RTP/AVP 9 0 8\na=sendonly\nm=video 4002 RTP/AVP 100\na=rtpmap:100 VP8/90000\n",
        )
        .unwrap();
        let c = choose(&offer, false).unwrap();
        let a = c.audio.as_ref().unwrap();
        assert_eq!(a.codec, AudioCodec::G722);
        assert_eq!(a.peer, None, "a sendonly peer is not sent audio");
        assert!(a.peer_sends);
        assert!(c.sends_video(), "VP8 goes both ways");
        let ans = answer(&offer, &c, &local());
        assert!(ans.contains("m=audio 20000 RTP/AVP 9\r\n"));
        assert!(ans.contains("a=recvonly\r\nm=video"));
        assert!(ans.ends_with("a=sendrecv\r\n"));
    }

    #[test]
    fn what_cannot_be_taken_is_refused() {
        let offer = parse(
            b"v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/SAVP 0\n\
m=video 4002 RTP/AVP 96\na=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=2\nm=image 4004 udptl t38\n",
        )
        .unwrap();
        let e = choose(&offer, false).unwrap_err();
        assert!(e.contains("no usable media") && e.contains("RTP/SAVP"), "{e}");
        let held = parse(b"v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 4000 RTP/AVP 0 8\n").unwrap();
        let c = choose(&held, false).unwrap();
        assert_eq!(c.audio.as_ref().unwrap().peer, None);
        let mixed = parse(
            b"v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=image 4004 udptl t38\nm=audio 4000 RTP/AVP 8\n",
        )
        .unwrap();
        let c = choose(&mixed, false).unwrap();
        let ans = answer(&mixed, &c, &local());
        assert!(ans.contains("m=image 0 udptl t38\r\nm=audio 20000 RTP/AVP 8\r\n"), "{ans}");
    }

    #[test]
    fn tessera_offers_everything_it_takes_and_reads_the_answer_like_an_offer() {
        let ours = offer(&local());
        let parsed = parse(ours.as_bytes()).unwrap();
        assert_eq!(parsed.media.len(), 2);
        // An answer that keeps G.722 and VP8: what Tessera then uses.
        let answer = b"v=0\r\no=- 2 2 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
m=audio 7000 RTP/AVP 9 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
m=video 7002 RTP/AVP 98\r\na=rtpmap:98 VP8/90000\r\n";
        let c = choose(&parse(answer).unwrap(), false).unwrap();
        let a = c.audio.as_ref().unwrap();
        assert_eq!((a.codec, a.pt, a.dtmf_pt), (AudioCodec::G722, 9, Some(101)));
        assert_eq!(a.peer.map(|p| (p.0.to_string(), p.1)), Some(("192.0.2.9".into(), 7000)));
        let v = c.video.as_ref().unwrap();
        assert_eq!((v.codec, v.pt), (VideoCodec::Vp8, 98));
        assert!(c.sends_video());
        // The offer itself, read as an answer, gives Opus and H.264 in packetization mode 1.
        let c = choose(&parsed, false).unwrap();
        assert_eq!(c.audio.as_ref().map(|a| (a.codec, a.pt)), Some((AudioCodec::Opus, offered::OPUS)));
        assert_eq!(c.video.as_ref().map(|v| (v.codec, v.pt)), Some((VideoCodec::H264, offered::H264)));
        assert!(!c.h264_single_nal());
        // Tessera asks for DTX and FEC in its offer, so read back as the peer's, DTX is taken.
        assert!(c.opus_dtx() && c.nack());
        // An Opus offer: the answer asks for FEC and DTX too; DTX is used only if offered.
        let opus = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n";
        let o = parse(opus.as_bytes()).unwrap();
        let c = choose(&o, false).unwrap();
        assert!(!c.opus_dtx());
        assert!(super::answer(&o, &c, &local()).contains("a=fmtp:111 useinbandfec=1;usedtx=1;"));
        let o = parse(opus.replace("useinbandfec=1", "useinbandfec=1; usedtx=1").as_bytes()).unwrap();
        assert!(choose(&o, false).unwrap().opus_dtx());
    }

    const SRTP_OFFER: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 4000 RTP/SAVP 0\r\na=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:bm90IGEgMjU2LWJpdCBrZXkgYnV0IGl0IGRvZXMgbm90IG1hdHRlciBoZXJl\r\n\
a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";

    #[test]
    fn srtp_is_taken_over_encrypted_signalling_only() {
        let offer = parse(SRTP_OFFER.as_bytes()).unwrap();
        let e = choose(&offer, false).unwrap_err();
        assert!(e.contains("SIP TLS only"), "{e}");
        let c = choose(&offer, true).unwrap();
        let a = c.audio.as_ref().unwrap();
        let peer = a.crypto.as_ref().unwrap();
        assert_eq!((peer.tag, peer.suite), (5, super::super::crypto::Suite::Aes128Sha1_32), "the first line taken");
        assert!(c.encrypted());
        let keys = Keys { audio: [3; KEY_LEN], video: [4; KEY_LEN] };
        let ans = answer(&offer, &c, &Local { srtp: Some(keys.clone()), ..local() });
        let back = parse(ans.as_bytes()).unwrap();
        assert_eq!(back.media[0].proto, "RTP/SAVP");
        assert_eq!(back.media[0].crypto, vec![peer.answered_with([3; KEY_LEN])]);
        // A plain offer is not encrypted, and a mixed one is not either.
        let plain = parse(super::super::tests::BARESIP.as_bytes()).unwrap();
        assert!(!choose(&plain, true).unwrap().encrypted());
        let mixed = format!("{SRTP_OFFER}m=video 4002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n");
        let c = choose(&parse(mixed.as_bytes()).unwrap(), true).unwrap();
        assert!(c.video.is_some() && !c.encrypted());
        // Tessera's own SRTP offer carries its keys and reads back as encrypted.
        let ours = super::offer(&Local { srtp: Some(keys), ..local() });
        let parsed = parse(ours.as_bytes()).unwrap();
        assert!(parsed.media.iter().all(|m| m.proto == "RTP/SAVP" && m.crypto.len() == 1));
        assert!(choose(&parsed, true).unwrap().encrypted());
        assert!(!super::offer(&local()).contains("crypto"));
    }

    #[test]
    fn picture_sizes_are_offered_and_answered_within_the_picture() {
        assert!(super::offer(&local()).contains("a=imageattr:* send [x=1280,y=720] recv [x=[16:1280],y=[16:720]]\r\n"));
        let offer = |attr: &str| {
            parse(
                format!(
                    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                 m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n{attr}"
                )
                .as_bytes(),
            )
            .unwrap()
        };
        let answered = |o: &Session| {
            let c = choose(o, false).unwrap();
            answer(o, &c, &Local { picture: (640, 360), ..local() })
        };
        let o = offer("a=imageattr:* send [x=[160:16:1920],y=[90:9:1080]] recv *\r\n");
        assert!(answered(&o).contains("a=imageattr:96 send [x=640,y=360] recv [x=640,y=360]\r\n"), "{}", answered(&o));
        // Nothing the peer sends fits, and it does not take the picture: no line, as without one.
        for attr in
            ["a=imageattr:96 send [x=1920,y=1080] recv [x=1920,y=1080]\r\n", "", "a=imageattr:96 send [x=oops]\r\n"]
        {
            assert!(!answered(&offer(attr)).contains("imageattr"), "{attr}");
        }
    }
}
