//! A call's media side as signalling sees it: the ports reserved for an endpoint before it
//! joins, where this host is reached from a peer, and the codec names the media plane takes.

use crate::media::rtp_input::{AudioCodec, VideoCodec};
use crate::media::sockets::{MediaSockets, Medium};
use std::net::{IpAddr, SocketAddr};
use tessera_sip_h323_bridge::sdp::negotiate;
use tokio::net::UdpSocket;

pub(super) fn audio_codec(c: negotiate::AudioCodec) -> AudioCodec {
    match c {
        negotiate::AudioCodec::Opus => AudioCodec::Opus,
        negotiate::AudioCodec::G722 => AudioCodec::G722,
        negotiate::AudioCodec::Pcmu => AudioCodec::Pcmu,
        negotiate::AudioCodec::Pcma => AudioCodec::Pcma,
    }
}

pub(super) fn video_codec(c: negotiate::VideoCodec) -> VideoCodec {
    match c {
        negotiate::VideoCodec::H264 => VideoCodec::H264,
        negotiate::VideoCodec::Vp8 => VideoCodec::Vp8,
    }
}

/// The address peers reach this host at, seen from `peer` (the route's source address).
pub(in crate::sip) fn local_ip(bind: IpAddr, peer: IpAddr) -> IpAddr {
    if !bind.is_unspecified() {
        return bind;
    }
    let any: SocketAddr = if peer.is_ipv4() {
        "0.0.0.0:0".parse().unwrap_or_else(|_| unreachable!())
    } else {
        "[::]:0".parse().unwrap_or_else(|_| unreachable!())
    };
    std::net::UdpSocket::bind(any)
        .and_then(|s| s.connect((peer, 9)).and_then(|_| s.local_addr()))
        .map(|a| a.ip())
        .unwrap_or(peer)
}

/// An address as a SIP URI's or Via's host: IPv6 in brackets.
pub(in crate::sip) fn sip_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(a) => format!("[{a}]"),
        a => a.to_string(),
    }
}

/// One medium's sockets: RTP (held until the media plane binds the port) and RTCP (read here).
pub(in crate::sip) struct Ports {
    pub(in crate::sip) rtp: Option<UdpSocket>,
    pub(in crate::sip) rtp_port: u16,
    pub(in crate::sip) rtcp: UdpSocket,
    pub(in crate::sip) rtcp_port: u16,
    /// Where the peer's RTCP comes from (once a valid packet came): Tessera's own reports go
    /// there, never to an address that has not sent this call RTCP.
    pub(in crate::sip) peer_rtcp: Option<SocketAddr>,
}

/// The address a call's RTP sockets bind to: `media.rtp_bind` when it is a fixed address (then
/// `here`, the local address chosen from it), else the unspecified address of `here`'s family,
/// so that an IPv6 caller gets IPv6 sockets under the default `0.0.0.0` and an IPv4 caller
/// IPv4 ones under `::`.
pub(in crate::sip) fn bind_address(rtp_bind: IpAddr, here: IpAddr) -> IpAddr {
    match (rtp_bind.is_unspecified(), here) {
        (true, IpAddr::V4(_)) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        (true, IpAddr::V6(_)) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        (false, _) => here,
    }
}

/// RTP and RTCP sockets for one medium, as `media` makes them (port range, buffers, DSCP).
pub(in crate::sip) async fn bind_ports(media: &MediaSockets, ip: IpAddr, medium: Medium) -> std::io::Result<Ports> {
    let rtp = UdpSocket::from_std(media.bind(ip, medium)?)?;
    let rtcp = UdpSocket::from_std(media.bind(ip, medium)?)?;
    let (rtp_port, rtcp_port) = (rtp.local_addr()?.port(), rtcp.local_addr()?.port());
    Ok(Ports { rtp_port, rtp: Some(rtp), rtcp_port, rtcp, peer_rtcp: None })
}

pub(super) async fn recv_on(s: Option<&UdpSocket>, buf: &mut [u8]) -> usize {
    match s {
        Some(s) => s.recv(buf).await.unwrap_or(0),
        None => std::future::pending().await,
    }
}

/// `recv_on` with the sender's address (`None` for an error).
pub(in crate::sip) async fn recv_from_on(
    s: Option<&UdpSocket>,
    buf: &mut [u8],
) -> (usize, Option<std::net::SocketAddr>) {
    match s {
        Some(s) => s.recv_from(buf).await.map_or((0, None), |(n, a)| (n, Some(a))),
        None => std::future::pending().await,
    }
}

pub(in crate::sip) fn codec_name(c: AudioCodec) -> &'static str {
    match c {
        AudioCodec::Opus => "opus",
        AudioCodec::Pcmu => "pcmu",
        AudioCodec::Pcma => "pcma",
        AudioCodec::G722 => "g722",
    }
}

#[cfg(test)]
mod tests {
    use super::bind_address;
    use std::net::IpAddr;

    #[test]
    fn media_binds_in_the_callers_family() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(bind_address(ip("0.0.0.0"), ip("2001:db8::5")), ip("::"));
        assert_eq!(bind_address(ip("::"), ip("192.0.2.7")), ip("0.0.0.0"));
        assert_eq!(bind_address(ip("0.0.0.0"), ip("192.0.2.7")), ip("0.0.0.0"));
        assert_eq!(bind_address(ip("192.0.2.7"), ip("192.0.2.7")), ip("192.0.2.7"));
    }
}
