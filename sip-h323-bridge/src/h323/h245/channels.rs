//! Logical channels (H.245 OpenLogicalChannel with H.225.0's RTP parameters): opening this
//! server's sending channels, accepting a peer's, and answering Fast Connect (H.323 8.1.7), where
//! the caller's Setup proposes channels and the answer returns the accepted ones with this
//! server's addresses filled in.

use super::codec::Codec;
use rasn::types::{ObjectIdentifier, OctetString};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tessera_h323_asn::multimedia_system_control::{
    H245TransportAddress, H2250LogicalChannelAckParameters, H2250LogicalChannelParameters,
    H2250LogicalChannelParametersMediaPacketization, LogicalChannelNumber, OpenLogicalChannel, OpenLogicalChannelAck,
    OpenLogicalChannelAckForwardMultiplexAckParameters, OpenLogicalChannelForwardLogicalChannelParameters,
    OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters,
    OpenLogicalChannelReverseLogicalChannelParameters,
    OpenLogicalChannelReverseLogicalChannelParametersMultiplexParameters, RTPPayloadType,
    RTPPayloadTypePayloadDescriptor, UnicastAddress, UnicastAddressIP6Address, UnicastAddressIPAddress,
};

/// The dynamic RTP payload type this server gives H.264 when the peer names none.
pub const H264_PAYLOAD_TYPE: u8 = 96;

/// A channel as this server uses it: its number, codec and RTP payload type, and the peer's
/// addresses that came with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub number: u16,
    pub codec: Codec,
    pub payload_type: u8,
    /// Where RTP goes (the receiver's address).
    pub rtp: Option<SocketAddr>,
    /// The RTCP address of whoever wrote the message.
    pub rtcp: Option<SocketAddr>,
}

pub fn unicast(a: SocketAddr) -> H245TransportAddress {
    H245TransportAddress::unicastAddress(match a.ip() {
        IpAddr::V4(ip) => {
            UnicastAddress::iPAddress(UnicastAddressIPAddress::new(OctetString::from(ip.octets().to_vec()), a.port()))
        }
        IpAddr::V6(ip) => {
            UnicastAddress::iP6Address(UnicastAddressIP6Address::new(OctetString::from(ip.octets().to_vec()), a.port()))
        }
    })
}

/// An IPv4 or IPv6 unicast address, if that is what `a` is.
pub fn address(a: &H245TransportAddress) -> Option<SocketAddr> {
    match a {
        H245TransportAddress::unicastAddress(UnicastAddress::iPAddress(ip)) => {
            let octets: [u8; 4] = ip.network.as_ref().try_into().ok()?;
            Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(octets)), ip.tsap_identifier))
        }
        H245TransportAddress::unicastAddress(UnicastAddress::iP6Address(ip)) => {
            let octets: [u8; 16] = ip.network.as_ref().try_into().ok()?;
            Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(octets)), ip.tsap_identifier))
        }
        _ => None,
    }
}

/// H.241's packetization mode 1 (non-interleaved), 0.0.8.241.0.0.0.1.
fn h264_packetization(payload_type: u8) -> H2250LogicalChannelParametersMediaPacketization {
    let oid = ObjectIdentifier::new_unchecked(Cow::Borrowed(&[0, 0, 8, 241, 0, 0, 0, 1]));
    H2250LogicalChannelParametersMediaPacketization::rtpPayloadType(RTPPayloadType::new(
        RTPPayloadTypePayloadDescriptor::oid(oid),
        Some(payload_type),
    ))
}

/// RTP parameters of a channel: its session, the addresses given, and for H.264 its dynamic
/// payload type.
pub fn rtp_parameters(
    codec: &Codec,
    payload_type: u8,
    rtp: Option<SocketAddr>,
    rtcp: Option<SocketAddr>,
) -> H2250LogicalChannelParameters {
    let dynamic = codec.static_payload_type().is_none();
    H2250LogicalChannelParameters::new(
        None,
        codec.session(),
        None,
        rtp.map(unicast),
        None,
        rtcp.map(unicast),
        None,
        Some(false),
        None,
        dynamic.then_some(payload_type),
        dynamic.then(|| h264_packetization(payload_type)),
        None,
        None,
        None,
    )
}

/// The payload type of a channel of `codec` described by `p`.
fn payload_type(codec: &Codec, p: &H2250LogicalChannelParameters) -> u8 {
    codec.static_payload_type().or(p.dynamic_rtppayload_type).unwrap_or(H264_PAYLOAD_TYPE)
}

/// An OpenLogicalChannel for this server's sending of `codec` with RTP payload type
/// `payload_type` (ignored for codecs with a static one), numbered `number`; `rtcp` is where
/// this server receives the receiver's reports.
pub fn open(number: u16, codec: &Codec, payload_type: u8, rtcp: SocketAddr) -> OpenLogicalChannel {
    let pt = codec.static_payload_type().unwrap_or(payload_type);
    let forward = OpenLogicalChannelForwardLogicalChannelParameters::new(
        None,
        codec.data_type(),
        OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters::h2250LogicalChannelParameters(
            rtp_parameters(codec, pt, None, Some(rtcp)),
        ),
        None,
        None,
    );
    OpenLogicalChannel::new(LogicalChannelNumber(number), forward, None, None, None, None)
}

/// What a peer's OpenLogicalChannel opens towards this server: its codec, payload type and RTCP
/// address; `None` for a codec or multiplex this server does not speak.
pub fn incoming(olc: &OpenLogicalChannel) -> Option<Channel> {
    let f = &olc.forward_logical_channel_parameters;
    let codec = Codec::of_data_type(&f.data_type)?;
    let OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters::h2250LogicalChannelParameters(p) =
        &f.multiplex_parameters
    else {
        return None;
    };
    Some(Channel {
        number: olc.forward_logical_channel_number.0,
        codec,
        payload_type: payload_type(&codec, p),
        rtp: p.media_channel.as_ref().and_then(address),
        rtcp: p.media_control_channel.as_ref().and_then(address),
    })
}

/// Accepts a peer's channel: RTP to `rtp`, reports to `rtcp`.
pub fn open_ack(number: u16, session: u8, rtp: SocketAddr, rtcp: SocketAddr) -> OpenLogicalChannelAck {
    let params = H2250LogicalChannelAckParameters::new(
        None,
        Some(session),
        Some(unicast(rtp)),
        Some(unicast(rtcp)),
        None,
        None,
        None,
    );
    OpenLogicalChannelAck::new(
        LogicalChannelNumber(number),
        None,
        None,
        Some(OpenLogicalChannelAckForwardMultiplexAckParameters::h2250LogicalChannelAckParameters(params)),
        None,
        None,
    )
}

/// The addresses a peer's acknowledgement gives for this server's channel: (number, RTP, RTCP).
pub fn acked(ack: &OpenLogicalChannelAck) -> Option<(u16, SocketAddr, Option<SocketAddr>)> {
    let Some(OpenLogicalChannelAckForwardMultiplexAckParameters::h2250LogicalChannelAckParameters(p)) =
        &ack.forward_multiplex_ack_parameters
    else {
        return None;
    };
    let rtp = p.media_channel.as_ref().and_then(address)?;
    Some((ack.forward_logical_channel_number.0, rtp, p.media_control_channel.as_ref().and_then(address)))
}

/// This server's RTP and RTCP addresses for one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub rtp: SocketAddr,
    pub rtcp: SocketAddr,
}

/// The answer to a Setup's Fast Connect proposals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FastStart {
    /// The accepted proposals with this server's addresses, to return in the answer.
    pub accepted: Vec<Vec<u8>>,
    /// Channels the caller sends on (RTCP: the caller's).
    pub receive: Vec<Channel>,
    /// Channels this server sends on (RTP and RTCP: the caller's).
    pub send: Vec<Channel>,
}

/// Answers Fast Connect: for each session (audio, video) the first proposal this server can
/// receive and the first it can send, in the caller's order. A proposal that does not decode is
/// skipped. `local` gives this server's addresses for a session (`None`: that session is not
/// offered, for example video to an audio-only conference).
pub fn answer_fast_start(proposals: &[Vec<u8>], local: impl Fn(u8) -> Option<Local>) -> FastStart {
    let mut answer = FastStart::default();
    for bytes in proposals {
        let Ok(mut olc) = rasn::aper::decode::<OpenLogicalChannel>(bytes) else { continue };
        let number = olc.forward_logical_channel_number.0;
        if let Some(reverse) = &mut olc.reverse_logical_channel_parameters {
            // The caller receives: this server would send.
            let Some(codec) = Codec::of_data_type(&reverse.data_type) else { continue };
            let Some(
                OpenLogicalChannelReverseLogicalChannelParametersMultiplexParameters::h2250LogicalChannelParameters(p),
            ) = &mut reverse.multiplex_parameters
            else {
                continue;
            };
            let Some(rtp) = p.media_channel.as_ref().and_then(address) else { continue };
            let Some(here) = local(p.session_id) else { continue };
            if p.session_id != codec.session() || answer.send.iter().any(|c| c.codec.session() == p.session_id) {
                continue;
            }
            let caller_rtcp = p.media_control_channel.as_ref().and_then(address);
            let pt = payload_type(&codec, p);
            p.media_control_channel = Some(unicast(here.rtcp));
            if let Ok(out) = rasn::aper::encode(&olc) {
                answer.accepted.push(out);
                answer.send.push(Channel { number, codec, payload_type: pt, rtp: Some(rtp), rtcp: caller_rtcp });
            }
        } else {
            // The caller sends: this server receives.
            let Some(mut channel) = incoming(&olc) else { continue };
            let session = channel.codec.session();
            let Some(here) = local(session) else { continue };
            if answer.receive.iter().any(|c| c.codec.session() == session) {
                continue;
            }
            let OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters::h2250LogicalChannelParameters(p) =
                &mut olc.forward_logical_channel_parameters.multiplex_parameters
            else {
                continue;
            };
            if p.session_id != session {
                continue;
            }
            p.media_channel = Some(unicast(here.rtp));
            p.media_control_channel = Some(unicast(here.rtcp));
            if let Ok(out) = rasn::aper::encode(&olc) {
                answer.accepted.push(out);
                channel.rtp = None;
                answer.receive.push(channel);
            }
        }
    }
    answer
}

/// A proposal that this server receives `codec` at `here` (the callee would send): H.323
/// 8.1.7.1's form, null data forward and the channel in the reverse parameters.
fn propose_receive(number: u16, codec: &Codec, payload_type: u8, here: Local) -> OpenLogicalChannel {
    let forward = OpenLogicalChannelForwardLogicalChannelParameters::new(
        None,
        tessera_h323_asn::multimedia_system_control::DataType::nullData(()),
        OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters::none(()),
        None,
        None,
    );
    let pt = codec.static_payload_type().unwrap_or(payload_type);
    let reverse = OpenLogicalChannelReverseLogicalChannelParameters::new(
        codec.data_type(),
        Some(OpenLogicalChannelReverseLogicalChannelParametersMultiplexParameters::h2250LogicalChannelParameters(
            rtp_parameters(codec, pt, Some(here.rtp), Some(here.rtcp)),
        )),
        None,
        None,
    );
    OpenLogicalChannel::new(LogicalChannelNumber(number), forward, Some(reverse), None, None, None)
}

/// Fast Connect proposals for a call this server places, in its order of preference: for each
/// session `local` gives addresses for, each codec of `codecs` in that session, once to send
/// and once to receive. H.264 goes as [`H264_PAYLOAD_TYPE`].
pub fn propose_fast_start(codecs: &[Codec], local: impl Fn(u8) -> Option<Local>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut number = 0u16;
    for codec in codecs {
        let Some(here) = local(codec.session()) else { continue };
        for receive in [false, true] {
            number += 1;
            let olc = if receive {
                propose_receive(number, codec, H264_PAYLOAD_TYPE, here)
            } else {
                open(number, codec, H264_PAYLOAD_TYPE, here.rtcp)
            };
            if let Ok(bytes) = rasn::aper::encode(&olc) {
                out.push(bytes);
            }
        }
    }
    out
}

/// What the callee accepted of this server's Fast Connect proposals (the channels its answer
/// returns): channels it sends on (null data forward, the codec in the reverse parameters, its
/// RTCP address) and channels it receives (the codec forward, its RTP and RTCP addresses). The
/// first of each session each way counts; a channel this server did not propose, in a codec it
/// does not speak, or without an address to send to, is left out.
pub fn accepted_fast_start(answer: &[Vec<u8>], proposed: &[Codec]) -> FastStart {
    let mut got = FastStart::default();
    for bytes in answer {
        let Ok(olc) = rasn::aper::decode::<OpenLogicalChannel>(bytes) else { continue };
        let number = olc.forward_logical_channel_number.0;
        let channel = match &olc.reverse_logical_channel_parameters {
            Some(reverse) => {
                let Some(codec) = Codec::of_data_type(&reverse.data_type) else { continue };
                let Some(
                    OpenLogicalChannelReverseLogicalChannelParametersMultiplexParameters::h2250LogicalChannelParameters(
                        p,
                    ),
                ) = &reverse.multiplex_parameters
                else {
                    continue;
                };
                if got.receive.iter().any(|c| c.codec.session() == codec.session()) {
                    continue;
                }
                let rtcp = p.media_control_channel.as_ref().and_then(address);
                (true, Channel { number, codec, payload_type: payload_type(&codec, p), rtp: None, rtcp })
            }
            None => {
                let Some(c) = incoming(&olc) else { continue };
                if c.rtp.is_none() || got.send.iter().any(|s| s.codec.session() == c.codec.session()) {
                    continue;
                }
                (false, c)
            }
        };
        let (receive, c) = channel;
        let same = |p: &Codec| match (p, &c.codec) {
            (Codec::H264(_), Codec::H264(_)) => true,
            (a, b) => a == b,
        };
        if !proposed.iter().any(same) {
            continue;
        }
        if receive { got.receive.push(c) } else { got.send.push(c) }
    }
    got
}
