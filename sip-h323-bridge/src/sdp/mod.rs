//! SDP (RFC 8866) as SIP endpoints use it: [`parse`] reads a session description into its media
//! sections with their formats (rtpmap, fmtp, rtcp-fb), address, port, direction and RTCP port;
//! [`answer`](negotiate::answer) picks what Tessera receives and sends (RFC 3264). No I/O.

pub mod crypto;
pub mod imageattr;
pub mod negotiate;

use std::net::IpAddr;

/// More media sections than this: the description is refused.
pub const MAX_MEDIA: usize = 16;
/// More formats in one media section than this: refused.
pub const MAX_FORMATS: usize = 64;
/// `a=crypto` lines read per media section; more are ignored.
pub const MAX_CRYPTO: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The answer's direction for an offer's (RFC 3264 §6.1).
    pub fn reversed(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    /// Whether the peer sends media in this direction (it is the offerer's view).
    pub fn peer_sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    pub fn peer_receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// One payload format of a media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    pub pt: u8,
    /// Encoding name as given (`H264`, `opus`…); empty for a static type without rtpmap.
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: u8,
    pub fmtp: Option<String>,
    /// `a=rtcp-fb` values for this type (or `*`), such as `nack pli` and `ccm fir`.
    pub feedback: Vec<String>,
    /// `a=imageattr` for this type (or `*`; a line for the type itself wins): the picture sizes
    /// the author sends and takes (RFC 6236). A malformed line is ignored.
    pub imageattr: Option<imageattr::ImageAttr>,
}

impl Format {
    /// A `key=value` parameter of the fmtp line (keys compared case-insensitively).
    pub fn fmtp_param(&self, key: &str) -> Option<&str> {
        self.fmtp.as_deref()?.split(';').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case(key).then_some(v.trim())
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `audio`, `video`, `application`…
    pub kind: String,
    pub port: u16,
    pub proto: String,
    pub formats: Vec<Format>,
    /// The connection address (the section's, else the session's).
    pub address: Option<IpAddr>,
    pub direction: Direction,
    /// `a=rtcp:` (RFC 3605), else RTP port + 1.
    pub rtcp_port: Option<u16>,
    pub rtcp_mux: bool,
    /// The first format token as written (answers that refuse the section repeat it).
    pub first_format: String,
    /// The SDES keys (RFC 4568) Tessera can take, in the offerer's order; lines it cannot take
    /// are left out.
    pub crypto: Vec<crypto::Crypto>,
}

impl Media {
    /// Whether the section is refused or disabled (port 0).
    pub fn disabled(&self) -> bool {
        self.port == 0
    }

    /// Where RTCP for this section goes.
    pub fn rtcp(&self) -> u16 {
        if self.rtcp_mux { self.port } else { self.rtcp_port.unwrap_or(self.port.saturating_add(1)) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub origin_session: String,
    pub origin_version: u64,
    pub media: Vec<Media>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SDP: {0}")]
pub struct SdpError(pub String);

fn err(why: impl Into<String>) -> SdpError {
    SdpError(why.into())
}

/// The clock rate and name of the static payload types endpoints leave without rtpmap.
fn static_type(pt: u8) -> Option<(&'static str, u32)> {
    match pt {
        0 => Some(("PCMU", 8000)),
        8 => Some(("PCMA", 8000)),
        9 => Some(("G722", 8000)),
        18 => Some(("G729", 8000)),
        34 => Some(("H263", 90000)),
        _ => None,
    }
}

fn connection(v: &str) -> Result<Option<IpAddr>, SdpError> {
    let mut parts = v.split_ascii_whitespace();
    let (Some(net), Some(kind), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(err(format!("c= needs network type, address type and address: {v:?}")));
    };
    if net != "IN" {
        return Err(err(format!("c= network type {net:?} is not IN")));
    }
    // A multicast address may carry /ttl; the address is what precedes it.
    let addr = addr.split('/').next().unwrap_or(addr);
    match kind {
        "IP4" | "IP6" => addr.parse().map(Some).map_err(|_| err(format!("c= address {addr:?} is not an IP address"))),
        _ => Err(err(format!("c= address type {kind:?} is not IP4 or IP6"))),
    }
}

/// Parses a session description. Unknown lines and attributes are ignored, as RFC 8866 asks;
/// what is present must be well formed.
pub fn parse(body: &[u8]) -> Result<Session, SdpError> {
    let text = std::str::from_utf8(body).map_err(|_| err("not UTF-8"))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| !l.is_empty());
    let first = lines.next().ok_or_else(|| err("empty"))?;
    if first != "v=0" {
        return Err(err(format!("the first line must be v=0, not {first:?}")));
    }
    let mut session_addr = None;
    let mut session_dir = Direction::SendRecv;
    let mut origin = None;
    let mut media: Vec<Media> = Vec::new();
    for line in lines {
        let (kind, value) = match line.as_bytes() {
            [k, b'=', ..] if k.is_ascii_lowercase() => (*k, &line[2..]),
            _ => return Err(err(format!("not a type=value line: {:?}", line.chars().take(40).collect::<String>()))),
        };
        match kind {
            b'o' => {
                let f: Vec<&str> = value.split_ascii_whitespace().collect();
                if f.len() != 6 {
                    return Err(err("o= needs six fields"));
                }
                let version = f[2].parse().map_err(|_| err("o= session version is not a number"))?;
                origin = Some((f[1].to_string(), version));
            }
            b'c' => {
                let a = connection(value)?;
                match media.last_mut() {
                    Some(m) => m.address = a,
                    None => session_addr = a,
                }
            }
            b'm' => {
                if media.len() == MAX_MEDIA {
                    return Err(err(format!("more than {MAX_MEDIA} media sections")));
                }
                let mut f = value.split_ascii_whitespace();
                let (Some(k), Some(port), Some(proto)) = (f.next(), f.next(), f.next()) else {
                    return Err(err(format!("m= needs media, port, proto and formats: {value:?}")));
                };
                let port = port.split('/').next().unwrap_or(port);
                let port: u16 = port.parse().map_err(|_| err(format!("m= port {port:?} is not a port")))?;
                let mut formats = Vec::new();
                let tokens: Vec<&str> = f.collect();
                let first_format = tokens.first().map(|t| t.chars().take(32).collect()).unwrap_or_default();
                for pt in tokens {
                    if formats.len() == MAX_FORMATS {
                        return Err(err(format!("more than {MAX_FORMATS} formats in one m= line")));
                    }
                    if !proto.contains("RTP") {
                        continue;
                    }
                    let pt: u8 =
                        pt.parse().ok().filter(|p| *p < 128).ok_or_else(|| err(format!("payload type {pt:?}")))?;
                    let (encoding, clock_rate) = static_type(pt).map(|(e, r)| (e.to_string(), r)).unwrap_or_default();
                    formats.push(Format {
                        pt,
                        encoding,
                        clock_rate,
                        channels: 1,
                        fmtp: None,
                        feedback: Vec::new(),
                        imageattr: None,
                    });
                }
                media.push(Media {
                    kind: k.to_string(),
                    port,
                    proto: proto.to_string(),
                    formats,
                    address: session_addr,
                    direction: session_dir,
                    rtcp_port: None,
                    rtcp_mux: false,
                    first_format,
                    crypto: Vec::new(),
                });
            }
            b'a' => {
                let (name, arg) = value.split_once(':').unwrap_or((value, ""));
                let dir = match name {
                    "sendrecv" => Some(Direction::SendRecv),
                    "sendonly" => Some(Direction::SendOnly),
                    "recvonly" => Some(Direction::RecvOnly),
                    "inactive" => Some(Direction::Inactive),
                    _ => None,
                };
                let Some(m) = media.last_mut() else {
                    if let Some(d) = dir {
                        session_dir = d;
                    }
                    continue;
                };
                if let Some(d) = dir {
                    m.direction = d;
                }
                attribute(m, name, arg)?;
            }
            _ => {}
        }
    }
    let (origin_session, origin_version) = origin.ok_or_else(|| err("no o= line"))?;
    Ok(Session { origin_session, origin_version, media })
}

fn attribute(m: &mut Media, name: &str, arg: &str) -> Result<(), SdpError> {
    let format_of = |m: &mut Media, pt: &str| -> Option<usize> {
        let pt: u8 = pt.parse().ok()?;
        m.formats.iter().position(|f| f.pt == pt)
    };
    match name {
        "rtpmap" => {
            let (pt, map) = arg.split_once(' ').ok_or_else(|| err(format!("a=rtpmap without encoding: {arg:?}")))?;
            let Some(i) = format_of(m, pt) else { return Ok(()) };
            let mut p = map.trim().split('/');
            let encoding = p.next().unwrap_or_default().to_string();
            let rate =
                p.next().and_then(|r| r.parse().ok()).ok_or_else(|| err(format!("a=rtpmap clock rate: {arg:?}")))?;
            let channels = match p.next() {
                Some(c) => {
                    c.parse().ok().filter(|c| *c > 0).ok_or_else(|| err(format!("a=rtpmap channels: {arg:?}")))?
                }
                None => 1,
            };
            let f = &mut m.formats[i];
            (f.encoding, f.clock_rate, f.channels) = (encoding, rate, channels);
        }
        "fmtp" => {
            let (pt, params) = arg.split_once(' ').unwrap_or((arg, ""));
            if let Some(i) = format_of(m, pt) {
                m.formats[i].fmtp = Some(params.trim().to_string());
            }
        }
        "rtcp-fb" => {
            let (pt, fb) = arg.split_once(' ').unwrap_or((arg, ""));
            let fb = fb.trim().to_ascii_lowercase();
            if pt == "*" {
                m.formats.iter_mut().for_each(|f| f.feedback.push(fb.clone()));
            } else if let Some(i) = format_of(m, pt) {
                m.formats[i].feedback.push(fb);
            }
        }
        "imageattr" => match imageattr::parse(arg) {
            Some(a @ imageattr::ImageAttr { pt: None, .. }) => {
                m.formats.iter_mut().filter(|f| f.imageattr.is_none()).for_each(|f| f.imageattr = Some(a.clone()));
            }
            Some(a) => {
                if let Some(i) = a.pt.and_then(|pt| m.formats.iter().position(|f| f.pt == pt)) {
                    m.formats[i].imageattr = Some(a);
                }
            }
            None => {}
        },
        "rtcp" => {
            let port = arg.split_ascii_whitespace().next().unwrap_or_default();
            m.rtcp_port = Some(port.parse().map_err(|_| err(format!("a=rtcp port {port:?}")))?);
        }
        "rtcp-mux" => m.rtcp_mux = true,
        "crypto" if m.crypto.len() < MAX_CRYPTO => {
            if let Ok(c) = crypto::Crypto::parse(arg) {
                m.crypto.push(c);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const BARESIP: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 10000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n\
m=video 10002 RTP/AVP 96 97\r\nb=AS:2000\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n\
a=rtpmap:97 VP8/90000\r\na=rtcp-fb:* nack pli\r\na=rtcp-fb:96 ccm fir\r\na=rtcp:10005\r\na=sendrecv\r\n";

    #[test]
    fn a_softphone_offer_is_read() {
        let s = parse(BARESIP.as_bytes()).unwrap();
        assert_eq!(s.media.len(), 2);
        let a = &s.media[0];
        assert_eq!((a.kind.as_str(), a.port, a.rtcp()), ("audio", 10000, 10001));
        assert_eq!(a.formats[1].encoding, "telephone-event");
        let v = &s.media[1];
        assert_eq!(v.formats[0].fmtp_param("PACKETIZATION-MODE"), Some("1"));
        assert_eq!(v.formats[0].feedback, vec!["nack pli", "ccm fir"]);
        assert_eq!(v.formats[1].feedback, vec!["nack pli"]);
        assert_eq!(v.rtcp(), 10005);
        assert_eq!(v.address, Some("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn static_types_need_no_rtpmap() {
        let s = parse(
            b"v=0\no=- 1 1 IN IP4 192.0.2.1\ns=x\nt=0 0\nm=audio 4000 RTP/AVP 8 9\nc=IN IP4 192.0.2.7\na=recvonly\n",
        )
        .unwrap();
        let a = &s.media[0];
        assert_eq!((a.formats[0].encoding.as_str(), a.formats[1].encoding.as_str()), ("PCMA", "G722"));
        assert_eq!(a.direction, Direction::RecvOnly);
        assert_eq!(a.address, Some("192.0.2.7".parse().unwrap()));
    }

    #[test]
    fn malformed_descriptions_are_refused_with_a_reason() {
        for (bad, why) in [
            ("", "empty"),
            ("v=1\n", "v=0"),
            ("v=0\nm=audio x RTP/AVP 0\n", "port"),
            ("v=0\nm=audio 4000 RTP/AVP 300\n", "payload type"),
            ("v=0\nc=IN IP4 nowhere\n", "not an IP"),
            ("v=0\nc=IN\n", "c= needs"),
            ("v=0\no=- 1 x IN IP4 h\n", "version"),
            ("v=0\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU\n", "clock rate"),
            ("v=0\nm=audio 4000 RTP/AVP 0\na=rtcp:x\n", "a=rtcp"),
            ("v=0\nhello\n", "type=value"),
            ("v=0\ns=x\n", "no o= line"),
        ] {
            let e = parse(bad.as_bytes()).unwrap_err().0;
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let many = format!("v=0\no=- 1 1 IN IP4 h\n{}", "m=audio 4000 RTP/AVP 0\n".repeat(17));
        assert!(parse(many.as_bytes()).unwrap_err().0.contains("more than"));
        assert!(parse(&[b'v', b'=', b'0', b'\n', 0xff]).is_err());
    }
}
