//! What Tessera sends a SIP peer on one medium, shared by the media plane, which sends it, and
//! the call, which reads the peer's RTCP: the packets themselves for a few seconds, so that a
//! generic NACK can have them sent again (under the rule of
//! [`tessera_sip_h323_bridge::rtp::retransmit`]), and the stream's figures for Tessera's own
//! sender reports, which the peer's report blocks answer with the round trip.

use gstreamer as gst;
use gstreamer::prelude::*;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};
use tessera_sip_h323_bridge::rtp::retransmit::{Guard, History, sequence};
use tessera_sip_h323_bridge::rtp::{header_len, rtcp::SenderInfo};

/// The outgoing streams of one participant, where the call follows them.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub audio: Option<Arc<Sent>>,
    pub video: Option<Arc<Sent>>,
}

impl Outgoing {
    /// Both media, with their RTP clock rates. Video packets are kept for NACKs; audio ones
    /// are not (a lost audio packet is concealed sooner than it could come again).
    pub fn new(audio: Option<u32>, video: Option<u32>) -> Outgoing {
        Outgoing { audio: audio.map(|r| Sent::new(r, false)), video: video.map(|r| Sent::new(r, true)) }
    }
}

pub struct Sent {
    clock_rate: u32,
    /// Whether packets are kept to be sent again.
    keeps: bool,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    history: History,
    guard: Guard,
    /// The socket the stream leaves from and where it goes (retransmissions follow it).
    out: Option<(Arc<UdpSocket>, SocketAddr)>,
    stream: Option<Stream>,
}

/// The stream's figures for a sender report.
struct Stream {
    ssrc: u32,
    packets: u32,
    octets: u32,
    /// The RTP timestamp of the last packet and when it left.
    rtp_time: u32,
    at: Instant,
}

/// What became of the packets a NACK named.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resent {
    pub sent: usize,
    /// Refused by the rule (too often, too soon, over the budget).
    pub refused: usize,
    /// Not Tessera's stream, or no longer kept.
    pub unknown: usize,
}

/// Never the kept packets (a thousand of them).
impl std::fmt::Debug for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sent").field("clock_rate", &self.clock_rate).field("keeps", &self.keeps).finish_non_exhaustive()
    }
}

impl Sent {
    pub fn new(clock_rate: u32, keeps: bool) -> Arc<Sent> {
        Arc::new(Sent { clock_rate, keeps, inner: Mutex::default() })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A sender starts: its packets leave from `socket` (when it is the one the sender uses) to
    /// `to`. The figures start again (a new sender is a new SSRC).
    pub fn sending(&self, socket: Option<Arc<UdpSocket>>, to: SocketAddr) {
        let mut i = self.lock();
        i.out = socket.map(|s| (s, to));
        i.stream = None;
    }

    /// One packet as it left: `wire` is what went out, `tag` the bytes SRTP added to it.
    pub fn record(&self, wire: &[u8], tag: usize) {
        let (Some(header), Some(seq)) = (header_len(wire), sequence(wire)) else { return };
        let ssrc = u32::from_be_bytes([wire[8], wire[9], wire[10], wire[11]]);
        let rtp_time = u32::from_be_bytes([wire[4], wire[5], wire[6], wire[7]]);
        let payload = wire.len().saturating_sub(header + tag) as u32;
        let now = Instant::now();
        let mut i = self.lock();
        if self.keeps {
            i.history.keep(seq, wire);
            i.guard.sent(now);
        }
        match i.stream.as_mut().filter(|s| s.ssrc == ssrc) {
            Some(s) => {
                s.packets = s.packets.wrapping_add(1);
                s.octets = s.octets.wrapping_add(payload);
                (s.rtp_time, s.at) = (rtp_time, now);
            }
            None => i.stream = Some(Stream { ssrc, packets: 1, octets: payload, rtp_time, at: now }),
        }
    }

    /// Sends again what a NACK names (`named`: media SSRC and sequence number) that the rule
    /// allows and is still kept.
    pub fn resend(&self, named: &[(u32, u16)]) -> Resent {
        let mut i = self.lock();
        let Some(ssrc) = i.stream.as_ref().map(|s| s.ssrc) else {
            return Resent { unknown: named.len(), ..Resent::default() };
        };
        let ours: Vec<u16> = named.iter().filter(|(s, _)| *s == ssrc).map(|(_, q)| *q).collect();
        let mut r = Resent { unknown: named.len() - ours.len(), ..Resent::default() };
        let allowed = i.guard.allow(ssrc, ours.iter().copied(), Instant::now());
        r.refused = ours.len() - allowed.len();
        for seq in allowed {
            match (i.history.get(seq), i.out.as_ref()) {
                (Some(p), Some((socket, to))) => {
                    let _ = socket.send_to(p, to);
                    r.sent += 1;
                }
                _ => r.unknown += 1,
            }
        }
        r
    }

    /// The sender report's figures now, once something was sent.
    pub fn report(&self, now: SystemTime) -> Option<SenderInfo> {
        let i = self.lock();
        let s = i.stream.as_ref()?;
        let elapsed = s.at.elapsed();
        let ticks = (elapsed.as_micros() * u128::from(self.clock_rate) / 1_000_000) as u32;
        Some(SenderInfo {
            ssrc: s.ssrc,
            ntp: tessera_sip_h323_bridge::rtp::rtcp::ntp(now),
            rtp_time: s.rtp_time.wrapping_add(ticks),
            packets: s.packets,
            octets: s.octets,
        })
    }

    /// Records every packet that reaches `sink` (a `udpsink`) as it leaves: after SRTP, which
    /// adds `tag` bytes (a probe added after [`super::srtp::protect_sink`]'s sees the protected
    /// packet).
    pub fn watch(self: &Arc<Self>, sink: &gst::Element, tag: usize) {
        let Some(pad) = sink.static_pad("sink") else { return };
        let me = self.clone();
        let keep = move |b: &gst::BufferRef| {
            if let Ok(m) = b.map_readable() {
                me.record(&m, tag);
            }
        };
        pad.add_probe(gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST, move |_, info| {
            if let Some(b) = info.buffer() {
                keep(b);
            } else if let Some(list) = info.buffer_list() {
                list.iter().for_each(&keep);
            }
            gst::PadProbeReturn::Ok
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u16, ts: u32) -> Vec<u8> {
        let mut p = vec![0x80, 96];
        p.extend(seq.to_be_bytes());
        p.extend(ts.to_be_bytes());
        p.extend(7u32.to_be_bytes());
        p.extend([0xab; 100]);
        p
    }

    #[test]
    fn a_nack_has_kept_packets_sent_again_once_the_rule_allows() {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(std::time::Duration::from_secs(2))).unwrap();
        let ours = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let s = Sent::new(90_000, true);
        s.sending(Some(ours), peer.local_addr().unwrap());
        for seq in 0..20 {
            s.record(&packet(seq, 3000 * u32::from(seq)), 0);
        }
        let r = s.resend(&[(7, 5), (7, 5), (8, 6), (7, 500)]);
        assert_eq!(r, Resent { sent: 1, refused: 1, unknown: 2 });
        let mut buf = [0u8; 200];
        let n = peer.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &packet(5, 15_000)[..]);
        let info = s.report(SystemTime::now()).unwrap();
        assert_eq!((info.ssrc, info.packets, info.octets), (7, 20, 2000));
        assert!(info.rtp_time >= 57_000);
    }
}
