//! The UDP sockets media travels on, made one way for every way in (SIP and H.323 RTP/RTCP,
//! WebRTC's ICE port): within `media.rtp_ports` when a range is set (ports handed out in turn,
//! skipping those in use), with larger buffers than the system's default (a keyframe is a burst
//! of packets) and DSCP marks (`media.dscp_audio`, `media.dscp_video`: EF and AF41 by default)
//! on what is sent; and the address peers are told to send to (`media.external_address` behind
//! a 1:1 NAT, else the address they reach this host on).

use socket2::{Domain, Protocol, Socket, Type};
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU32, Ordering};

/// Receive and send buffers asked for (the system caps them at `net.core.rmem_max`/`wmem_max`).
const BUFFER: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    Audio,
    Video,
}

#[derive(Debug)]
pub struct MediaSockets {
    range: Option<RangeInclusive<u16>>,
    /// The next port of the range to try (an offset into it).
    next: AtomicU32,
    dscp_audio: u8,
    dscp_video: u8,
    external: Option<IpAddr>,
}

impl Default for MediaSockets {
    fn default() -> Self {
        MediaSockets::new(None, 46, 34, None)
    }
}

impl MediaSockets {
    pub fn new(range: Option<RangeInclusive<u16>>, dscp_audio: u8, dscp_video: u8, external: Option<IpAddr>) -> Self {
        MediaSockets {
            range,
            next: AtomicU32::new(0),
            dscp_audio: dscp_audio & 63,
            dscp_video: dscp_video & 63,
            external,
        }
    }

    /// The address to give peers for media bound on `local`: the external address when set and
    /// of the same family, else `local`.
    pub fn advertised(&self, local: IpAddr) -> IpAddr {
        match self.external {
            Some(e) if e.is_ipv4() == local.is_ipv4() => e,
            _ => local,
        }
    }

    /// The external address, if set.
    pub fn external(&self) -> Option<IpAddr> {
        self.external
    }

    /// A UDP socket on `ip` for `medium`: a port of the range (or any), buffers and DSCP set,
    /// non-blocking.
    pub fn bind(&self, ip: IpAddr, medium: Medium) -> std::io::Result<std::net::UdpSocket> {
        let Some(range) = &self.range else { return self.bind_port(ip, 0, medium) };
        let size = u32::from(range.end() - range.start()) + 1;
        let mut last = None;
        for _ in 0..size {
            let offset = self.next.fetch_add(1, Ordering::Relaxed) % size;
            let port = range.start() + u16::try_from(offset).unwrap_or(0);
            match self.bind_port(ip, port, medium) {
                Ok(s) => return Ok(s),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        metrics::counter!("tessera_media_ports_exhausted_total").increment(1);
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!(
                "every port of media.rtp_ports ({}-{}) is in use on {ip}{}",
                range.start(),
                range.end(),
                last.map(|e| format!(" ({e})")).unwrap_or_default()
            ),
        ))
    }

    /// A port of the range free on `ip` now, for a socket a library binds itself (WebRTC's
    /// ICE); 0 without a range. Another process may take it before: the caller then fails
    /// with the library's error.
    pub fn free_port(&self, ip: IpAddr) -> std::io::Result<u16> {
        if self.range.is_none() {
            return Ok(0);
        }
        Ok(self.bind(ip, Medium::Video)?.local_addr()?.port())
    }

    /// [`MediaSockets::free_port`] for TCP (ICE over TCP's passive candidates).
    pub fn free_tcp_port(&self, ip: IpAddr) -> std::io::Result<u16> {
        let Some(range) = &self.range else { return Ok(0) };
        let size = u32::from(range.end() - range.start()) + 1;
        for _ in 0..size {
            let offset = self.next.fetch_add(1, Ordering::Relaxed) % size;
            let port = range.start() + u16::try_from(offset).unwrap_or(0);
            match std::net::TcpListener::bind((ip, port)) {
                Ok(l) => return Ok(l.local_addr()?.port()),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {}
                Err(e) => return Err(e),
            }
        }
        metrics::counter!("tessera_media_ports_exhausted_total").increment(1);
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("every TCP port of media.rtp_ports ({}-{}) is in use on {ip}", range.start(), range.end()),
        ))
    }

    /// A socket on loopback between two parts of this server (a browser's peer and the
    /// runtime), with the media buffers: a keyframe's burst must not overflow it while the
    /// reader is busy. Not in the range, unmarked: it never leaves the host.
    pub fn loopback_relay() -> std::io::Result<std::net::UdpSocket> {
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
        let _ = socket.set_recv_buffer_size(BUFFER);
        let _ = socket.set_send_buffer_size(BUFFER);
        socket.bind(&SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)).into())?;
        socket.set_nonblocking(true)?;
        Ok(socket.into())
    }

    fn bind_port(&self, ip: IpAddr, port: u16, medium: Medium) -> std::io::Result<std::net::UdpSocket> {
        let socket = Socket::new(Domain::for_address(SocketAddr::new(ip, port)), Type::DGRAM, Some(Protocol::UDP))?;
        // Larger buffers and marks are wishes: a system that refuses them still carries media.
        let _ = socket.set_recv_buffer_size(BUFFER);
        let _ = socket.set_send_buffer_size(BUFFER);
        let dscp = u32::from(if medium == Medium::Audio { self.dscp_audio } else { self.dscp_video });
        if dscp != 0 {
            let tos = dscp << 2;
            let marked = if ip.is_ipv4() { socket.set_tos_v4(tos) } else { socket.set_tclass_v6(tos) };
            if let Err(e) = marked {
                tracing::debug!(error = %e, "media: DSCP not set");
            }
        }
        if ip.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.bind(&SocketAddr::new(ip, port).into())?;
        socket.set_nonblocking(true)?;
        Ok(socket.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn ports_come_from_the_range_in_turn_and_skip_those_in_use() {
        // A range of free ports: find eight in a row.
        let base = (20000..32000u16)
            .step_by(97)
            .find(|b| (0..8).all(|i| std::net::UdpSocket::bind((LO, b + i)).is_ok()))
            .unwrap();
        let s = MediaSockets::new(Some(base..=base + 7), 46, 34, None);
        let taken = std::net::UdpSocket::bind((LO, base + 1)).unwrap();
        let a = s.bind(LO, Medium::Audio).unwrap();
        let b = s.bind(LO, Medium::Video).unwrap();
        assert_eq!(a.local_addr().unwrap().port(), base);
        assert_eq!(b.local_addr().unwrap().port(), base + 2, "base + 1 is in use");
        let mut held = vec![a, b, taken];
        while let Ok(x) = s.bind(LO, Medium::Audio) {
            held.push(x);
        }
        assert_eq!(held.len(), 8, "every port of the range, then an error");
        let e = s.bind(LO, Medium::Audio).unwrap_err();
        assert!(e.to_string().contains("media.rtp_ports"), "{e}");
    }

    #[test]
    fn audio_and_video_are_marked() {
        let s = MediaSockets::new(None, 46, 34, None);
        for (m, tos) in [(Medium::Audio, 46 << 2), (Medium::Video, 34 << 2)] {
            let sock = Socket::from(s.bind(LO, m).unwrap());
            assert_eq!(sock.tos_v4().unwrap(), tos);
        }
        let unmarked = MediaSockets::new(None, 0, 0, None);
        assert_eq!(Socket::from(unmarked.bind(LO, Medium::Audio).unwrap()).tos_v4().unwrap(), 0);
    }

    #[test]
    fn the_external_address_is_given_in_its_family() {
        let s = MediaSockets::new(None, 46, 34, Some("203.0.113.7".parse().unwrap()));
        assert_eq!(s.advertised("10.0.0.5".parse().unwrap()), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(s.advertised("2001:db8::5".parse().unwrap()), "2001:db8::5".parse::<IpAddr>().unwrap());
        assert_eq!(MediaSockets::default().advertised(LO), LO);
    }
}
