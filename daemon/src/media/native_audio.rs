//! G.711 calls without GStreamer: the RTP of a PCMU/PCMA endpoint is read, checked, put in
//! order and decoded here into its media slot, and its own mix is encoded and sent from the same
//! socket (symmetric RTP). Building and tearing down two GStreamer pipelines per call was most
//! of a call's cost; this path is a tokio task and a few hundred bytes of state.
//!
//! Reordering: packets are taken in sequence order within a window of a few packets (a
//! late one behind the window is dropped, as a jitter buffer would); duplicates are dropped.
//!
//! Loss: up to [`MAX_CONCEALED`] missing packets are concealed (G.711 has no concealment of its
//! own): the last packet is played again, fading out, so a lost packet is a softer echo of the
//! one before rather than a click of silence; longer gaps (a pause, a held call) are left
//! silent.

use super::g711::{Law, Upsampler, downsample};
use super::latch::Latch;
use super::rtp_input::check_rtp;
use super::slot::MediaSlot;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The payload of an RTP packet whose header `check_rtp` accepted.
fn payload(p: &[u8]) -> &[u8] {
    let csrc = usize::from(p[0] & 0x0f);
    let mut start = 12 + 4 * csrc;
    if p[0] & 0x10 != 0 {
        let len = u16::from_be_bytes([p[start + 2], p[start + 3]]);
        start += 4 + 4 * usize::from(len);
    }
    let padding = if p[0] & 0x20 != 0 { usize::from(p[p.len() - 1]) } else { 0 };
    &p[start..p.len() - padding]
}

/// Whether sequence number `s` comes after `last` (RFC 3550's modular comparison).
fn newer(s: u16, last: u16) -> bool {
    s != last && s.wrapping_sub(last) < 0x8000
}

/// The most missing packets concealed in a row (60 ms of 20 ms packets).
pub const MAX_CONCEALED: u16 = 3;
/// The level of each concealed packet in a row, as a fraction of the last one heard.
const FADE: [f32; MAX_CONCEALED as usize + 1] = [1.0, 0.7, 0.4, 0.1];

/// Decodes checked packets into 48 kHz samples, in sequence order.
pub struct Depacketizer {
    law: Law,
    pt: u8,
    ignore: Option<u8>,
    last: Option<u16>,
    up: Upsampler,
    pcm: Vec<i16>,
    /// The samples of the last packet decoded, played again (fading) for lost ones.
    previous: Vec<i16>,
}

impl Depacketizer {
    pub fn new(law: Law, pt: u8, ignore: Option<u8>) -> Depacketizer {
        Depacketizer {
            law,
            pt,
            ignore,
            last: None,
            up: Upsampler::default(),
            pcm: Vec::with_capacity(960),
            previous: Vec::new(),
        }
    }

    /// Appends `missing` packets' worth of the last packet, fading from one level of [`FADE`]
    /// to the next across each (no step, so no click).
    fn conceal(&mut self, missing: u16) {
        let n = self.previous.len();
        for k in 0..usize::from(missing) {
            let (from, to) = (FADE[k], FADE[k + 1]);
            for (i, &s) in self.previous.iter().enumerate() {
                let gain = from + (to - from) * i as f32 / n as f32;
                self.pcm.push((f32::from(s) * gain) as i16);
            }
        }
    }

    /// The samples of one packet, or why it was dropped (`None`: dropped without a word).
    pub fn packet(&mut self, p: &[u8]) -> Result<Option<&[i16]>, &'static str> {
        if let Err(why) = check_rtp(p, self.pt) {
            if self.ignore.is_some_and(|d| check_rtp(p, d).is_ok()) {
                return Ok(None); // DTMF events
            }
            return Err(why);
        }
        let seq = u16::from_be_bytes([p[2], p[3]]);
        if self.last.is_some_and(|l| !newer(seq, l)) {
            return Ok(None); // late or repeated
        }
        let missing = self.last.map_or(0, |l| seq.wrapping_sub(l).wrapping_sub(1));
        self.last = Some(seq);
        self.pcm.clear();
        if (1..=MAX_CONCEALED).contains(&missing) && !self.previous.is_empty() {
            self.conceal(missing);
            metrics::counter!("tessera_media_concealed_packets_total").increment(u64::from(missing));
        }
        let start = self.pcm.len();
        let law = self.law;
        self.up.push(payload(p).iter().map(|&b| law.decode(b)), &mut self.pcm);
        self.previous.clear();
        self.previous.extend_from_slice(&self.pcm[start..]);
        Ok(Some(&self.pcm))
    }
}

/// Reads one endpoint's audio until dropped.
pub struct NativeAudioIn {
    task: tokio::task::JoinHandle<()>,
    pub socket: Arc<UdpSocket>,
}

/// Where a native input's sound, keys and reports go.
pub struct NativeSink {
    pub slot: Arc<MediaSlot>,
    /// The participant, for the logs.
    pub who: String,
    pub latch: Arc<Latch>,
    pub on_key: super::rtp_input::Keys,
}

impl NativeAudioIn {
    pub fn start(
        socket: UdpSocket,
        law: Law,
        pt: u8,
        dtmf: Option<u8>,
        sink: NativeSink,
        mut unprotect: Option<super::srtp::Srtp>,
    ) -> anyhow::Result<NativeAudioIn> {
        let NativeSink { slot, who, latch, on_key } = sink;
        socket.set_nonblocking(true)?;
        let reading = socket.try_clone()?;
        let socket = Arc::new(socket);
        let task = tokio::runtime::Handle::try_current()?.spawn(async move {
            let Ok(reader) = tokio::net::UdpSocket::from_std(reading) else { return };
            let mut d = Depacketizer::new(law, pt, dtmf);
            let mut keys = tessera_sip_h323_bridge::rtp::dtmf::EventReceiver::default();
            let mut buf = vec![0u8; 2048];
            let dropped = AtomicU64::new(0);
            loop {
                let (n, from) = match reader.recv_from(&mut buf).await {
                    Ok(r) => r,
                    // ICMP "port unreachable" for what we sent; go on.
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                    Err(_) => return,
                };
                // SRTP: what fails authentication (a forgery, a replay, plain RTP) goes no further.
                let plain;
                let p = match unprotect.as_mut() {
                    Some(s) => match s.unprotect_rtp(&buf[..n]) {
                        Some(v) => {
                            plain = v;
                            &plain[..]
                        }
                        None => {
                            let n = dropped.fetch_add(1, Ordering::Relaxed) + 1;
                            metrics::counter!("tessera_media_rtp_dropped_total").increment(1);
                            if n <= 5 || n.is_power_of_two() {
                                tracing::warn!(participant = %who, reason = "SRTP authentication failed (or a replay)", dropped = n, "RTP packet dropped");
                            }
                            continue;
                        }
                    },
                    None => &buf[..n],
                };
                // Well-formed packets from another address than the participant's are dropped
                // (malformed ones are dropped below, and said so, wherever they come from).
                let ours = |t: Option<u8>| t.is_some_and(|t| check_rtp(p, t).is_ok());
                if (ours(Some(pt)) || ours(dtmf)) && !latch.accept(from) {
                    continue;
                }
                // A key pressed (RFC 4733), from the participant's own address only.
                if let Some(t) = dtmf
                    && let Some(digit) = keys.on_packet(p, t)
                {
                    on_key(digit);
                }
                match d.packet(p) {
                    Ok(Some(pcm)) => slot.put_audio(pcm.iter().copied()),
                    Ok(None) => {}
                    Err(why) => {
                        let n = dropped.fetch_add(1, Ordering::Relaxed) + 1;
                        metrics::counter!("tessera_media_rtp_dropped_total").increment(1);
                        if n <= 5 || n.is_power_of_two() {
                            tracing::warn!(participant = %who, reason = why, dropped = n, "malformed RTP packet dropped");
                        }
                    }
                }
            }
        });
        Ok(NativeAudioIn { task, socket })
    }
}

impl Drop for NativeAudioIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Encodes 20 ms frames of 48 kHz mix as G.711 RTP packets.
pub struct Packetizer {
    law: Law,
    pt: u8,
    ssrc: u32,
    seq: u16,
    timestamp: u32,
    pcm: Vec<i16>,
}

impl Packetizer {
    pub fn new(law: Law, pt: u8) -> Packetizer {
        Packetizer {
            law,
            pt,
            ssrc: rand::random(),
            seq: rand::random(),
            timestamp: rand::random(),
            pcm: Vec::with_capacity(160),
        }
    }

    /// One packet of `samples` (48 kHz mono, a multiple of six).
    pub fn packet(&mut self, samples: &[i16], out: &mut Vec<u8>) {
        self.pcm.clear();
        downsample(samples, &mut self.pcm);
        out.clear();
        out.extend_from_slice(&[0x80, self.pt & 0x7f]);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        let law = self.law;
        out.extend(self.pcm.iter().map(|&s| law.encode(s)));
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(self.pcm.len() as u32);
    }
}

/// Sends one endpoint its mix: to its latched source once its audio came (the address its NAT
/// opened), to the negotiated address until then.
pub struct NativeAudioOut {
    socket: Arc<UdpSocket>,
    to: SocketAddr,
    latch: Option<Arc<Latch>>,
    p: Packetizer,
    buf: Vec<u8>,
    protect: Option<super::srtp::Srtp>,
    /// Where the call follows what is sent (for its sender reports).
    sent: Option<Arc<super::sent::Sent>>,
}

impl NativeAudioOut {
    /// From `from` (the socket its audio arrives on) when that can reach `to`, else from a new one.
    pub fn start(
        to: SocketAddr,
        law: Law,
        pt: u8,
        from: Option<Arc<UdpSocket>>,
        latch: Option<Arc<Latch>>,
        protect: Option<super::srtp::Srtp>,
        sent: Option<Arc<super::sent::Sent>>,
    ) -> anyhow::Result<NativeAudioOut> {
        let (socket, latch) = match from.filter(|s| super::rtp_output::reaches(s, to)) {
            // Latching only means something for the socket the peer sends to.
            Some(s) => (s, latch),
            None => {
                let any: SocketAddr = if to.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
                let s = UdpSocket::bind(any)?;
                s.set_nonblocking(true)?;
                (Arc::new(s), None)
            }
        };
        if let Some(s) = &sent {
            s.sending(Some(socket.clone()), to);
        }
        let buf = Vec::with_capacity(200);
        Ok(NativeAudioOut { socket, to, latch, p: Packetizer::new(law, pt), buf, protect, sent })
    }

    pub fn push(&mut self, samples: &[i16]) {
        self.p.packet(samples, &mut self.buf);
        // Non-blocking: a full socket buffer loses this packet rather than stalling the mixer.
        let to = self.latch.as_ref().filter(|l| l.symmetric()).and_then(|l| l.source()).unwrap_or(self.to);
        match self.protect.as_mut() {
            // A packet that cannot be protected is not sent in the clear.
            Some(s) => {
                if let Some(sealed) = s.protect_rtp(&self.buf) {
                    let _ = self.socket.send_to(&sealed, to);
                    if let Some(f) = &self.sent {
                        f.record(&sealed, s.tag_len());
                    }
                }
            }
            None => {
                let _ = self.socket.send_to(&self.buf, to);
                if let Some(f) = &self.sent {
                    f.record(&self.buf, 0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(seq: u16, pt: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, pt, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn packets_in_order_decode_and_others_are_dropped() {
        let mut d = Depacketizer::new(Law::Mu, 0, Some(101));
        let silence = [0xffu8; 160];
        assert_eq!(d.packet(&rtp(10, 0, &silence)).unwrap().unwrap().len(), 960);
        assert!(d.packet(&rtp(10, 0, &silence)).unwrap().is_none(), "a duplicate");
        assert!(d.packet(&rtp(9, 0, &silence)).unwrap().is_none(), "a late packet");
        assert!(d.packet(&rtp(11, 101, &[1, 0, 0, 160])).unwrap().is_none(), "DTMF is ignored");
        assert!(d.packet(&rtp(12, 8, &silence)).is_err(), "another codec");
        assert!(d.packet(&[0x80, 0]).is_err(), "too short");
        // Sequence numbers wrap.
        let mut w = Depacketizer::new(Law::A, 8, None);
        assert!(w.packet(&rtp(65_535, 8, &[0xd5; 160])).unwrap().is_some());
        assert!(w.packet(&rtp(0, 8, &[0xd5; 160])).unwrap().is_some());
    }

    #[test]
    fn a_few_lost_packets_are_concealed_fading_and_long_gaps_are_not() {
        let tone: Vec<u8> = (0..160)
            .map(|i| Law::Mu.encode(((i as f64 * 2.0 * std::f64::consts::PI / 20.0).sin() * 8_000.0) as i16))
            .collect();
        let energy = |s: &[i16]| s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len() as f64;
        let mut d = Depacketizer::new(Law::Mu, 0, None);
        let heard = energy(d.packet(&rtp(10, 0, &tone)).unwrap().unwrap());
        // 11 and 12 are lost: 13 comes with two packets of concealment before it, fading.
        let out = d.packet(&rtp(13, 0, &tone)).unwrap().unwrap().to_vec();
        assert_eq!(out.len(), 3 * 960);
        let (first, second) = (energy(&out[..960]), energy(&out[960..1920]));
        assert!(first < heard && second < first && second > 0.0, "{heard} {first} {second}");
        assert!((energy(&out[1920..]) / heard - 1.0).abs() < 0.2, "the packet itself is whole");
        // A gap longer than concealment covers is left silent.
        let out = d.packet(&rtp(13 + MAX_CONCEALED + 2, 0, &tone)).unwrap().unwrap();
        assert_eq!(out.len(), 960);
    }

    #[test]
    fn a_packetized_tone_decodes_to_the_same_tone() {
        let tone: Vec<i16> = (0..960)
            .map(|i| ((i as f64 * 2.0 * std::f64::consts::PI * 440.0 / 48_000.0).sin() * 8_000.0) as i16)
            .collect();
        let mut p = Packetizer::new(Law::Mu, 0);
        let mut out = Vec::new();
        p.packet(&tone, &mut out);
        assert_eq!(out.len(), 12 + 160);
        let seq0 = u16::from_be_bytes([out[2], out[3]]);
        let mut d = Depacketizer::new(Law::Mu, 0, None);
        let back = d.packet(&out).unwrap().unwrap().to_vec();
        assert_eq!(back.len(), 960);
        let energy = |s: &[i16]| s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len() as f64;
        let ratio = energy(&back[60..]) / energy(&tone[60..]);
        assert!((0.8..1.2).contains(&ratio), "energy ratio {ratio}");
        p.packet(&tone, &mut out);
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), seq0.wrapping_add(1));
    }

    #[test]
    fn payload_skips_csrcs_extensions_and_padding() {
        let mut p = vec![0xb1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        p.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 7, 7, 7, 7]); // an extension of one word
        p.extend_from_slice(&[1, 2, 3]);
        p.extend_from_slice(&[0, 2]); // two bytes of padding
        assert_eq!(check_rtp(&p, 0), Ok(()));
        assert_eq!(payload(&p), &[1, 2, 3]);
    }

    proptest::proptest! {
        /// Whatever arrives on an endpoint's audio port is decoded or refused, never a panic.
        #[test]
        fn any_packet_is_decoded_or_refused(p in proptest::collection::vec(proptest::num::u8::ANY, 0..400), pt in 0u8..128) {
            let mut d = Depacketizer::new(Law::A, pt, Some(101));
            if let Ok(Some(pcm)) = d.packet(&p) {
                proptest::prop_assert_eq!(pcm.len() % 6, 0);
            }
        }
    }
}
