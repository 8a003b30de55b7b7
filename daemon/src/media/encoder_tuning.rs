//! How hard each output's encoder works, by the size it encodes: chosen from measurements
//! (`benches/encoder.py`, figures in `benches/README.md`), not one setting for every size.
//!
//! What the measurements said (ten seconds of 30 fps pictures with motion and camera noise, at
//! the tiers' bit rates):
//! - one thread, always. x264's frame threads cost as much CPU as they save in time and add a
//!   frame of delay each; libvpx's two threads spin while they wait for each other, which cost
//!   50 % more CPU alone and far more on a busy machine (46 % of the server's time in the
//!   `webrtc` benchmark went to that spinning). A thread of one output is still well within a
//!   frame's time: 1280x720 takes 14–20 % of a core with x264 `superfast`.
//! - x264: `superfast` from 640x360 up (a third to a half of `veryfast`'s CPU for 0.001 less
//!   SSIM); `veryfast` below, where it is cheap and `superfast` lost 0.002.
//! - VP8 (`cpu-used`, higher is faster): 16 at 1280x720 (the same SSIM as 8 and 12 for 55 % of
//!   8's CPU), 12 at 640x360 (16 lost 0.003), 8 below (16 lost 0.012).

/// libopus's `complexity` for every Opus Tessera encodes (each participant's own mix, the
/// layouts' sound): 9, what browsers' WebRTC uses on desktops, rather than libopus's default 10,
/// which cost 17 % more (a minute of 48 kHz sound at 32 kbit/s: 1.26 s of CPU at 10, 1.08 s at
/// 9). A server encodes one mix per participant, so this is paid per participant.
pub const OPUS_COMPLEXITY: u32 = 9;

/// One output's encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// x264's `speed-preset`.
    pub x264_preset: &'static str,
    /// libvpx's real-time `cpu-used`.
    pub vp8_cpu_used: u32,
    /// Encoder threads: one, except for pictures beyond 1920x1080.
    pub threads: u32,
}

/// The settings for an output of `width`x`height`.
pub fn for_size(width: u32, height: u32) -> Tuning {
    let pixels = u64::from(width) * u64::from(height);
    // Three quarters of each measured size: a window a little smaller gets the same settings.
    let (x264_preset, vp8_cpu_used) = if pixels >= 1280 * 720 * 3 / 4 {
        ("superfast", 16)
    } else if pixels >= 640 * 360 * 3 / 4 {
        ("superfast", 12)
    } else {
        ("veryfast", 8)
    };
    let threads = if pixels > 1920 * 1080 { 2 } else { 1 };
    Tuning { x264_preset, vp8_cpu_used, threads }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tier_size_gets_its_measured_settings() {
        let full = for_size(1280, 720);
        assert_eq!((full.x264_preset, full.vp8_cpu_used, full.threads), ("superfast", 16, 1));
        let half = for_size(640, 360);
        assert_eq!((half.x264_preset, half.vp8_cpu_used, half.threads), ("superfast", 12, 1));
        let quarter = for_size(320, 180);
        assert_eq!((quarter.x264_preset, quarter.vp8_cpu_used, quarter.threads), ("veryfast", 8, 1));
        assert_eq!(for_size(3840, 2160).threads, 2);
        assert_eq!(for_size(1920, 1080).threads, 1);
    }
}
