//! Capability exchange (H.245 TerminalCapabilitySet): what this server receives, and what it
//! reads of a peer's set. Audio: G.711 µ-law and A-law, G.722 (64 kbit/s). Video: H.264 as H.241
//! describes it (the generic capability 0.0.8.241.0.0.1, profile and level parameters). User
//! input: strings and DTMF signals, for PINs, and RFC 4733 telephone events in the audio RTP
//! (payload type [`TELEPHONE_EVENT_PT`]).

use super::codec::{Codec, H264};
use rasn::types::{ObjectIdentifier, SetOf};
use std::borrow::Cow;
use tessera_h323_asn::multimedia_system_control::{
    AlternativeCapabilitySet, AudioCapability, AudioTelephonyEventCapability, Capability, CapabilityDescriptor,
    CapabilityDescriptorNumber, CapabilityIdentifier, CapabilityTableEntry, CapabilityTableEntryNumber,
    GenericCapability, GenericParameter, ParameterIdentifier, ParameterValue, SequenceNumber, TerminalCapabilitySet,
    UserInputCapability, VideoCapability,
};

/// H.245 version 15's protocol identifier (0.0.8.245.0.15).
pub fn protocol_identifier() -> ObjectIdentifier {
    ObjectIdentifier::new_unchecked(Cow::Borrowed(&[0, 0, 8, 245, 0, 15]))
}

/// H.241's capability identifier for H.264 (0.0.8.241.0.0.1).
pub fn h264_identifier() -> ObjectIdentifier {
    ObjectIdentifier::new_unchecked(Cow::Borrowed(&[0, 0, 8, 241, 0, 0, 1]))
}

/// H.241 parameter numbers and values.
const PARAM_PROFILE: u8 = 41;
const PARAM_LEVEL: u8 = 42;
/// The profile bit of Baseline (constrained baseline is what the encoder makes).
const PROFILE_BASELINE: u8 = 64;

/// The payload type this server receives RFC 4733 telephone events in (what its capability set
/// says, so what the caller sends them with).
pub const TELEPHONE_EVENT_PT: u8 = 101;

/// Frames per packet this server receives at most: 30 ms of G.711 or G.722.
const AUDIO_FRAMES: u16 = 30;

/// The generic capability describing `h264` (what it sends or receives).
pub fn h264_capability(h264: &H264) -> GenericCapability {
    let param = |id: u8, value: ParameterValue| GenericParameter::new(ParameterIdentifier::standard(id), value, None);
    GenericCapability::new(
        CapabilityIdentifier::standard(h264_identifier()),
        Some(h264.max_bitrate_100bps),
        Some(vec![
            param(PARAM_PROFILE, ParameterValue::booleanArray(PROFILE_BASELINE)),
            param(PARAM_LEVEL, ParameterValue::unsignedMin(h264.level)),
        ]),
        None,
        None,
        None,
    )
}

/// Reads an H.264 generic capability: its level and bit rate; `None` for another codec or one
/// without the Baseline profile.
pub fn h264_of(g: &GenericCapability) -> Option<H264> {
    let CapabilityIdentifier::standard(id) = &g.capability_identifier else { return None };
    if *id != h264_identifier() {
        return None;
    }
    let mut h = H264 { level: 0, max_bitrate_100bps: g.max_bit_rate.unwrap_or(0) };
    let mut baseline = false;
    for p in g.collapsing.iter().flatten() {
        match (&p.parameter_identifier, &p.parameter_value) {
            (ParameterIdentifier::standard(PARAM_PROFILE), ParameterValue::booleanArray(bits)) => {
                baseline = bits & PROFILE_BASELINE != 0;
            }
            (ParameterIdentifier::standard(PARAM_LEVEL), ParameterValue::unsignedMin(l)) => h.level = *l,
            _ => {}
        }
    }
    baseline.then_some(h)
}

/// The capability of receiving `codec`.
fn receive(codec: &Codec) -> Capability {
    match codec {
        Codec::Pcmu => Capability::receiveAudioCapability(AudioCapability::g711Ulaw64k(AUDIO_FRAMES)),
        Codec::Pcma => Capability::receiveAudioCapability(AudioCapability::g711Alaw64k(AUDIO_FRAMES)),
        Codec::G722 => Capability::receiveAudioCapability(AudioCapability::g722_64k(AUDIO_FRAMES)),
        Codec::H264(h) => {
            Capability::receiveVideoCapability(VideoCapability::genericVideoCapability(h264_capability(h)))
        }
    }
}

/// This server's capability set: audio codecs as alternatives, H.264, and user input (strings
/// and DTMF), all usable at once.
pub fn ours(sequence: u8, video: &H264) -> TerminalCapabilitySet {
    let audio = [Codec::Pcmu, Codec::Pcma, Codec::G722];
    let mut table: Vec<CapabilityTableEntry> = Vec::new();
    let mut entry = |c: Capability| {
        let n = table.len() as u16 + 1;
        table.push(CapabilityTableEntry::new(CapabilityTableEntryNumber(n), Some(c)));
        CapabilityTableEntryNumber(n)
    };
    let audio_entries: Vec<_> = audio.iter().map(|c| entry(receive(c))).collect();
    let video_entry = entry(receive(&Codec::H264(*video)));
    let input = vec![
        entry(Capability::receiveUserInputCapability(UserInputCapability::basicString(()))),
        entry(Capability::receiveUserInputCapability(UserInputCapability::dtmf(()))),
    ];
    // The digits 0-9, * and # (RFC 4733 events 0-11), and A-D.
    let events = rasn::types::GeneralString::from_bytes(b"0-15").expect("ASCII");
    let telephone_events = entry(Capability::receiveRTPAudioTelephonyEventCapability(
        AudioTelephonyEventCapability::new(TELEPHONE_EVENT_PT, events),
    ));
    let simultaneous = SetOf::from_vec(vec![
        AlternativeCapabilitySet(audio_entries),
        AlternativeCapabilitySet(vec![video_entry]),
        AlternativeCapabilitySet(input),
        AlternativeCapabilitySet(vec![telephone_events]),
    ]);
    let descriptor = CapabilityDescriptor::new(CapabilityDescriptorNumber(0), Some(simultaneous));
    TerminalCapabilitySet::new(
        SequenceNumber(sequence),
        protocol_identifier(),
        None,
        Some(SetOf::from_vec(table)),
        Some(SetOf::from_vec(vec![descriptor])),
        None,
    )
}

/// What a peer says it can receive, among the codecs this server sends, in the peer's order of
/// preference (its table's order).
pub fn receivable(set: &TerminalCapabilitySet) -> Vec<Codec> {
    let mut out = Vec::new();
    for e in set.capability_table.iter().flat_map(|t| t.iter()) {
        let codec = match &e.capability {
            Some(Capability::receiveAudioCapability(a) | Capability::receiveAndTransmitAudioCapability(a)) => {
                Codec::of_audio(a)
            }
            Some(Capability::receiveVideoCapability(v) | Capability::receiveAndTransmitVideoCapability(v)) => {
                Codec::of_video(v)
            }
            _ => None,
        };
        if let Some(c) = codec
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_set_says_what_we_receive_and_reads_back() {
        let video = H264 { level: 64, max_bitrate_100bps: 10_000 };
        let set = ours(1, &video);
        let bytes = rasn::aper::encode(&set).unwrap();
        let back: TerminalCapabilitySet = rasn::aper::decode(&bytes).unwrap();
        assert_eq!(back, set);
        // Our receive capabilities are what a peer receiving from us would list the same way.
        assert_eq!(receivable(&set), vec![Codec::Pcmu, Codec::Pcma, Codec::G722, Codec::H264(video)]);
    }

    #[test]
    fn h264_without_baseline_is_not_ours() {
        let mut g = h264_capability(&H264 { level: 64, max_bitrate_100bps: 1 });
        g.collapsing = Some(vec![GenericParameter::new(
            ParameterIdentifier::standard(PARAM_PROFILE),
            ParameterValue::booleanArray(8), // High
            None,
        )]);
        assert_eq!(h264_of(&g), None);
    }
}
