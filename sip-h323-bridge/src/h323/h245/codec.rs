//! The codecs this server speaks over H.323, and how H.245 names them.

use super::capabilities::{h264_capability, h264_of};
use tessera_h323_asn::multimedia_system_control::{AudioCapability, DataType, VideoCapability};

/// H.264 as H.241 signals it: the level (H.241 Table 8-8's value: 64 is level 3) and the highest
/// bit rate in units of 100 bit/s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H264 {
    pub level: u16,
    pub max_bitrate_100bps: u32,
}

impl H264 {
    /// The same level as H.264's `level_idc` (SDP's `profile-level-id`: 31 for 3.1), from H.241's
    /// numbering (71 for 3.1); 3.1 for a value H.241 does not define.
    pub fn level_idc(self) -> u8 {
        const H241: [(u16, u8); 17] = [
            (15, 10),
            (19, 9),
            (22, 11),
            (29, 12),
            (36, 13),
            (43, 20),
            (50, 21),
            (57, 22),
            (64, 30),
            (71, 31),
            (78, 32),
            (85, 40),
            (92, 41),
            (99, 42),
            (106, 50),
            (113, 51),
            (120, 52),
        ];
        H241.iter().find(|(h, _)| *h == self.level).map_or(31, |&(_, idc)| idc)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
    G722,
    H264(H264),
}

/// RTP sessions as H.225.0 numbers them.
pub const AUDIO_SESSION: u8 = 1;
pub const VIDEO_SESSION: u8 = 2;

impl Codec {
    pub fn of_audio(a: &AudioCapability) -> Option<Codec> {
        match a {
            AudioCapability::g711Ulaw64k(_) => Some(Codec::Pcmu),
            AudioCapability::g711Alaw64k(_) => Some(Codec::Pcma),
            AudioCapability::g722_64k(_) => Some(Codec::G722),
            _ => None,
        }
    }

    pub fn of_video(v: &VideoCapability) -> Option<Codec> {
        match v {
            VideoCapability::genericVideoCapability(g) => h264_of(g).map(Codec::H264),
            _ => None,
        }
    }

    /// The codec of an H.245 data type (a logical channel's), if this server speaks it.
    pub fn of_data_type(d: &DataType) -> Option<Codec> {
        match d {
            DataType::audioData(a) => Codec::of_audio(a),
            DataType::videoData(v) => Codec::of_video(v),
            _ => None,
        }
    }

    /// The data type of a channel carrying this codec; audio packets of 20 ms.
    pub fn data_type(&self) -> DataType {
        match self {
            Codec::Pcmu => DataType::audioData(AudioCapability::g711Ulaw64k(20)),
            Codec::Pcma => DataType::audioData(AudioCapability::g711Alaw64k(20)),
            Codec::G722 => DataType::audioData(AudioCapability::g722_64k(20)),
            Codec::H264(h) => DataType::videoData(VideoCapability::genericVideoCapability(h264_capability(h))),
        }
    }

    pub fn session(&self) -> u8 {
        if self.is_video() { VIDEO_SESSION } else { AUDIO_SESSION }
    }

    pub fn is_video(&self) -> bool {
        matches!(self, Codec::H264(_))
    }

    /// The static RTP payload type, for codecs that have one.
    pub fn static_payload_type(&self) -> Option<u8> {
        match self {
            Codec::Pcmu => Some(0),
            Codec::Pcma => Some(8),
            Codec::G722 => Some(9),
            Codec::H264(_) => None,
        }
    }
}
