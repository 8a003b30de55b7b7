//! G.711 (ITU-T G.711 μ-law and A-law) and the 8 kHz ⇄ 48 kHz conversion the mixer needs, in
//! plain Rust: a phone's PCMU/PCMA call then costs a few table look-ups per sample instead of a
//! GStreamer pipeline each way (what made joins expensive under load). Pure functions, no I/O.

/// Law of a G.711 stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    Mu,
    A,
}

const BIAS: i32 = 0x84;
const CLIP: i32 = 32_635;

pub fn ulaw_encode(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let exponent = (7 - (s.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) | mantissa) as u8
}

pub fn ulaw_decode(byte: u8) -> i16 {
    let u = !byte;
    let exponent = i32::from((u >> 4) & 0x07);
    let mantissa = i32::from(u & 0x0f);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if u & 0x80 != 0 { -magnitude } else { magnitude }) as i16
}

pub fn alaw_encode(sample: i16) -> u8 {
    let s = i32::from(sample);
    let (sign, mag) = if s >= 0 { (0x80, s) } else { (0x00, (-s - 1).max(0)) };
    let mag = mag.min(0x7fff) >> 3; // 13-bit magnitude
    let byte = if mag < 32 {
        (mag >> 1) as u8
    } else {
        let segment = (31 - (mag as u32).leading_zeros()) as i32 - 4; // 1..=7
        let mantissa = (mag >> segment) & 0x0f;
        ((segment << 4) | mantissa) as u8
    };
    (byte | sign) ^ 0x55
}

pub fn alaw_decode(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let exponent = i32::from((a >> 4) & 0x07);
    let mantissa = i32::from(a & 0x0f);
    let magnitude = if exponent == 0 { (mantissa << 4) + 8 } else { ((mantissa << 4) + 0x108) << (exponent - 1) };
    (if a & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

impl Law {
    pub fn decode(self, b: u8) -> i16 {
        match self {
            Law::Mu => ulaw_decode(b),
            Law::A => alaw_decode(b),
        }
    }

    pub fn encode(self, s: i16) -> u8 {
        match self {
            Law::Mu => ulaw_encode(s),
            Law::A => alaw_encode(s),
        }
    }
}

/// 8 kHz to 48 kHz: each sample becomes six, on the line from the previous one.
#[derive(Debug, Default)]
pub struct Upsampler {
    last: i16,
}

impl Upsampler {
    pub fn push(&mut self, input: impl Iterator<Item = i16>, out: &mut Vec<i16>) {
        for s in input {
            let (a, b) = (i32::from(self.last), i32::from(s));
            for k in 1..=6 {
                out.push((a + (b - a) * k / 6) as i16);
            }
            self.last = s;
        }
    }
}

/// 48 kHz to 8 kHz: the mean of each six samples (a box filter against aliasing: telephone
/// quality, which is what G.711 carries).
pub fn downsample(input: &[i16], out: &mut Vec<i16>) {
    for c in input.chunks_exact(6) {
        let sum: i32 = c.iter().map(|&s| i32::from(s)).sum();
        out.push((sum / 6) as i16);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        // ITU-T G.711: silence, full scale.
        assert_eq!(ulaw_encode(0), 0xff);
        assert_eq!(ulaw_decode(0xff), 0);
        assert_eq!(ulaw_encode(32_767), 0x80);
        assert_eq!(ulaw_encode(-32_768), 0x00);
        assert_eq!(alaw_encode(0), 0xd5);
        assert_eq!(alaw_decode(0xd5), 8);
        assert_eq!(alaw_encode(32_767), 0xaa);
        assert_eq!(alaw_encode(-32_768), 0x2a);
    }

    #[test]
    fn every_code_round_trips_and_samples_stay_close() {
        for b in 0..=255u8 {
            assert_eq!(ulaw_encode(ulaw_decode(b)), if b == 0x7f { 0xff } else { b }, "μ-law {b:#x}");
            assert_eq!(alaw_encode(alaw_decode(b)), b, "A-law {b:#x}");
        }
        for s in (-32_768..=32_767).step_by(7) {
            let s = s as i16;
            for law in [Law::Mu, Law::A] {
                let back = i32::from(law.decode(law.encode(s)));
                // The quantisation step grows with the level: about 1/16 of it, plus a floor.
                let tolerance = (i32::from(s).abs() / 14).max(16);
                assert!((back - i32::from(s)).abs() <= tolerance, "{law:?} {s} -> {back}");
            }
        }
    }

    #[test]
    fn resampling_keeps_a_tone() {
        let tone: Vec<i16> = (0..160)
            .map(|i| ((i as f64 * 2.0 * std::f64::consts::PI * 440.0 / 8000.0).sin() * 10_000.0) as i16)
            .collect();
        let mut up = Vec::new();
        Upsampler::default().push(tone.iter().copied(), &mut up);
        assert_eq!(up.len(), 960);
        let mut down = Vec::new();
        downsample(&up, &mut down);
        assert_eq!(down.len(), 160);
        // Each output sample is the mean of the line from the previous input sample to its
        // own: 7/12 of the way.
        for i in 1..160 {
            let (a, b) = (i32::from(tone[i - 1]), i32::from(tone[i]));
            let want = a + (b - a) * 7 / 12;
            assert!((want - i32::from(down[i])).abs() <= 2, "{i}: {want} vs {}", down[i]);
        }
    }
}
