//! Which video codec a browser gets: the one its offer puts first among those Tessera sends
//! browsers — VP8, or H.264 constrained baseline in packetization mode 1 (what Safari and
//! hardware decoders want). A page prefers H.264 by ordering its codecs (`setCodecPreferences`);
//! Safari's offers list it first anyway. Tessera then answers with that codec alone, so the
//! browser sends it too, and the runtime gives the participant the output of its layout in that
//! codec — one encoder per layout and codec, shared with SIP endpoints that see the same layout.

/// A video codec Tessera sends browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserVideo {
    Vp8,
    H264,
}

/// The first of the offer's video formats that Tessera sends browsers; VP8 when none is
/// (the answer then says what is missing).
pub fn preferred(offer: &str) -> BrowserVideo {
    let lines: Vec<&str> = offer.lines().map(str::trim_end).collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("m=video ")) else { return BrowserVideo::Vp8 };
    let end = lines[start + 1..].iter().position(|l| l.starts_with("m=")).map_or(lines.len(), |e| start + 1 + e);
    let section = &lines[start..end];
    let attr = |name: &str, pt: &str| {
        let prefix = format!("a={name}:{pt} ");
        section.iter().find_map(|l| l.strip_prefix(prefix.as_str())).unwrap_or_default().to_ascii_lowercase()
    };
    for pt in section[0].split_ascii_whitespace().skip(3) {
        let map = attr("rtpmap", pt);
        if map.starts_with("vp8/90000") {
            return BrowserVideo::Vp8;
        }
        if map.starts_with("h264/90000") {
            let fmtp = attr("fmtp", pt);
            let param = |k: &str| fmtp.split(';').find_map(|p| p.trim().strip_prefix(k)).unwrap_or_default();
            let profile = param("profile-level-id=");
            if param("packetization-mode=") == "1" && (profile.starts_with("42e0") || profile.starts_with("4200")) {
                return BrowserVideo::H264;
            }
        }
    }
    BrowserVideo::Vp8
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROMIUM: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 45\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n\
a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n\
a=rtpmap:103 H264/90000\r\na=fmtp:103 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n\
a=rtpmap:45 AV1/90000\r\n";

    #[test]
    fn the_offers_order_decides() {
        assert_eq!(preferred(CHROMIUM), BrowserVideo::Vp8);
        let h264_first = CHROMIUM.replace("96 97 102 103 45", "102 103 96 97 45");
        assert_eq!(preferred(&h264_first), BrowserVideo::H264);
        // Mode 0 first is skipped for the next one Tessera sends browsers.
        assert_eq!(preferred(&CHROMIUM.replace("96 97 102 103 45", "103 96 102")), BrowserVideo::Vp8);
        // High profile is not constrained baseline.
        let high =
            h264_first.replace("profile-level-id=42001f\r\na=rtpmap:103", "profile-level-id=640c1f\r\na=rtpmap:103");
        assert_eq!(preferred(&high), BrowserVideo::Vp8);
        assert_eq!(preferred("v=0\r\nm=audio 9 RTP/AVP 0\r\n"), BrowserVideo::Vp8);
    }
}
