//! The audio mixer: 20 ms frames from every participant at 8, 16 or 48 kHz in, resampled to
//! 48 kHz, each participant's microphone sensitivity (gain) and mute applied; out come the full
//! mix (for recording and streaming) and one mix per participant without their own voice, with
//! saturation instead of wrap-around. An active-speaker signal, with hysteresis over `now`,
//! lets speaker layouts follow whoever talks.

use crate::error::MixerError;
use crate::layout::ParticipantId;
use std::collections::BTreeMap;

pub const RATE: u32 = 48_000;
/// Samples in one 20 ms frame at 48 kHz.
pub const FRAME: usize = 960;
pub const MAX_GAIN: f32 = 4.0;
/// Quieter than this (dBFS) is silence for the active-speaker detector.
const SPEECH_DBFS: f32 = -45.0;
/// A new speaker must be louder than the current one by this many dB…
const SWITCH_MARGIN_DB: f32 = 3.0;
/// …for this long before the speaker changes.
const SWITCH_HOLD_MS: u64 = 400;

#[derive(Debug, Clone)]
struct Input {
    gain: f32,
    muted: bool,
    /// The frame for the next mix, already at 48 kHz; empty when none arrived.
    pending: Vec<i16>,
    /// The previous input sample, so interpolation is continuous across frames.
    last: i16,
    /// Smoothed level in dBFS.
    level: f32,
}

impl Default for Input {
    fn default() -> Self {
        Input { gain: 1.0, muted: false, pending: Vec::new(), last: 0, level: -96.0 }
    }
}

/// The mixes of one 20 ms period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    /// Everyone, for recording and streaming.
    pub full: Vec<i16>,
    /// What each participant hears: everyone but themself.
    pub for_participant: BTreeMap<ParticipantId, Vec<i16>>,
    pub active_speaker: Option<ParticipantId>,
}

#[derive(Debug, Default)]
pub struct AudioMixer {
    inputs: BTreeMap<ParticipantId, Input>,
    speaker: Option<ParticipantId>,
    challenger: Option<(ParticipantId, u64)>,
    sum: Vec<i32>,
    contrib: BTreeMap<ParticipantId, Vec<i32>>,
}

fn saturate(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

impl AudioMixer {
    pub fn new() -> AudioMixer {
        AudioMixer::default()
    }

    pub fn add(&mut self, p: ParticipantId) {
        self.inputs.entry(p).or_default();
    }

    pub fn remove(&mut self, p: ParticipantId) {
        self.inputs.remove(&p);
        self.contrib.remove(&p);
        if self.speaker == Some(p) {
            self.speaker = None;
        }
    }

    /// Microphone sensitivity, 0.0 (silent) to `MAX_GAIN`.
    pub fn set_gain(&mut self, p: ParticipantId, gain: f32) -> Result<(), MixerError> {
        if !(0.0..=MAX_GAIN).contains(&gain) || gain.is_nan() {
            return Err(MixerError::Audio(format!("gain {gain} is outside 0 to {MAX_GAIN}")));
        }
        self.inputs.get_mut(&p).ok_or_else(|| MixerError::Audio(format!("no participant {p}")))?.gain = gain;
        Ok(())
    }

    pub fn set_muted(&mut self, p: ParticipantId, muted: bool) -> Result<(), MixerError> {
        self.inputs.get_mut(&p).ok_or_else(|| MixerError::Audio(format!("no participant {p}")))?.muted = muted;
        Ok(())
    }

    /// One 20 ms frame from a participant at `rate` (8000, 16000 or 48000 Hz, mono).
    pub fn push(&mut self, p: ParticipantId, rate: u32, samples: &[i16]) -> Result<(), MixerError> {
        let factor = match rate {
            8_000 => 6,
            16_000 => 3,
            48_000 => 1,
            r => return Err(MixerError::Audio(format!("sample rate {r} Hz: use 8000, 16000 or 48000"))),
        };
        let expected = rate as usize / 50;
        if samples.len() != expected {
            return Err(MixerError::Audio(format!(
                "{} samples at {rate} Hz, expected {expected} (20 ms)",
                samples.len()
            )));
        }
        let input = self.inputs.get_mut(&p).ok_or_else(|| MixerError::Audio(format!("no participant {p}")))?;
        input.pending.clear();
        if factor == 1 {
            input.pending.extend_from_slice(samples);
        } else {
            // Linear interpolation from the previous sample to each new one.
            let mut prev = i32::from(input.last);
            for &s in samples {
                let s = i32::from(s);
                for k in 1..=factor {
                    input.pending.push((prev + (s - prev) * k / factor) as i16);
                }
                prev = s;
            }
        }
        input.last = *samples.last().unwrap_or(&0);
        Ok(())
    }

    /// Mixes what arrived since the last call. `now_ms` drives the active-speaker hysteresis.
    pub fn mix(&mut self, now_ms: u64) -> Mix {
        self.sum.clear();
        self.sum.resize(FRAME, 0);
        for (p, input) in &mut self.inputs {
            let c = self.contrib.entry(*p).or_default();
            c.clear();
            c.resize(FRAME, 0);
            let mut energy = 0f64;
            if !input.muted && !input.pending.is_empty() {
                let g = (input.gain * 256.0) as i32;
                for ((o, &s), acc) in c.iter_mut().zip(&input.pending).zip(self.sum.iter_mut()) {
                    let v = (i32::from(s) * g) >> 8;
                    *o = v;
                    *acc += v;
                    energy += f64::from(v) * f64::from(v);
                }
            }
            let rms = (energy / FRAME as f64).sqrt().max(1.0);
            let db = (20.0 * (rms / 32768.0).log10()) as f32;
            // Fast attack, slow release.
            input.level = if db > input.level { 0.5 * input.level + 0.5 * db } else { 0.9 * input.level + 0.1 * db };
            input.pending.clear();
        }
        let full = self.sum.iter().map(|&v| saturate(v)).collect();
        let for_participant = self
            .contrib
            .iter()
            .map(|(p, c)| (*p, self.sum.iter().zip(c).map(|(&s, &own)| saturate(s - own)).collect()))
            .collect();
        self.update_speaker(now_ms);
        Mix { full, for_participant, active_speaker: self.speaker }
    }

    fn update_speaker(&mut self, now: u64) {
        let loudest = self
            .inputs
            .iter()
            .filter(|(_, i)| i.level > SPEECH_DBFS)
            .max_by(|a, b| a.1.level.total_cmp(&b.1.level))
            .map(|(p, i)| (*p, i.level));
        let current_level = self.speaker.and_then(|p| self.inputs.get(&p)).map_or(-96.0, |i| i.level);
        match loudest {
            Some((p, level))
                if Some(p) != self.speaker
                    && (current_level <= SPEECH_DBFS || level > current_level + SWITCH_MARGIN_DB) =>
            {
                match self.challenger {
                    Some((c, since)) if c == p => {
                        if now.saturating_sub(since) >= SWITCH_HOLD_MS || self.speaker.is_none() {
                            self.speaker = Some(p);
                            self.challenger = None;
                        }
                    }
                    _ => {
                        self.challenger = Some((p, now));
                        if self.speaker.is_none() {
                            self.speaker = Some(p);
                        }
                    }
                }
            }
            _ => self.challenger = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, amp: f64, frame_no: usize) -> Vec<i16> {
        let n = rate as usize / 50;
        (0..n)
            .map(|i| {
                let t = (frame_no * n + i) as f64 / f64::from(rate);
                (amp * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16
            })
            .collect()
    }

    fn peak(v: &[i16]) -> i32 {
        v.iter().map(|&s| i32::from(s).abs()).max().unwrap_or(0)
    }

    #[test]
    fn nobody_hears_themself() {
        let mut m = AudioMixer::new();
        for p in [1, 2, 3] {
            m.add(p);
        }
        m.push(1, 48_000, &tone(48_000, 440.0, 10_000.0, 0)).unwrap();
        let mix = m.mix(0);
        assert_eq!(peak(&mix.for_participant[&1]), 0, "1 does not hear itself");
        assert!(peak(&mix.for_participant[&2]) > 9_000);
        assert!(peak(&mix.for_participant[&3]) > 9_000);
        assert!(peak(&mix.full) > 9_000);
    }

    #[test]
    fn gain_and_mute_apply() {
        let mut m = AudioMixer::new();
        m.add(1);
        m.add(2);
        m.set_gain(1, 0.5).unwrap();
        m.push(1, 48_000, &tone(48_000, 440.0, 20_000.0, 0)).unwrap();
        let p = peak(&m.mix(0).for_participant[&2]);
        assert!((9_800..=10_100).contains(&p), "half gain: {p}");
        m.set_muted(1, true).unwrap();
        m.push(1, 48_000, &tone(48_000, 440.0, 20_000.0, 1)).unwrap();
        let mix = m.mix(20);
        assert_eq!(peak(&mix.for_participant[&2]), 0);
        assert_eq!(peak(&mix.full), 0);
        assert!(m.set_gain(1, 5.0).is_err());
        assert!(m.set_gain(1, f32::NAN).is_err());
        assert!(m.set_gain(9, 1.0).is_err());
    }

    #[test]
    fn loud_inputs_saturate_instead_of_wrapping() {
        let mut m = AudioMixer::new();
        for p in [1, 2, 3] {
            m.add(p);
        }
        let loud = vec![30_000i16; FRAME];
        m.push(1, 48_000, &loud).unwrap();
        m.push(2, 48_000, &loud).unwrap();
        m.set_gain(2, 4.0).unwrap();
        let mix = m.mix(0);
        assert!(mix.full.iter().all(|&s| s == i16::MAX));
        assert!(mix.for_participant[&3].iter().all(|&s| s == i16::MAX));
        // 1 hears only 2 (at 4x: clipped), 2 hears only 1.
        assert!(mix.for_participant[&1].iter().all(|&s| s == i16::MAX));
        assert!(mix.for_participant[&2].iter().all(|&s| s == 30_000));
        let neg = vec![-30_000i16; FRAME];
        m.push(1, 48_000, &neg).unwrap();
        m.push(2, 48_000, &neg).unwrap();
        assert!(m.mix(20).full.iter().all(|&s| s == i16::MIN));
    }

    #[test]
    fn narrowband_and_wideband_are_resampled() {
        for rate in [8_000, 16_000] {
            let mut m = AudioMixer::new();
            m.add(1);
            m.add(2);
            let mut crossings = 0;
            let mut prev = 0i16;
            for f in 0..5 {
                m.push(1, rate, &tone(rate, 400.0, 10_000.0, f)).unwrap();
                let out = m.mix(f as u64 * 20).for_participant[&2].clone();
                assert_eq!(out.len(), FRAME);
                for &s in &out {
                    if (prev < 0) != (s < 0) {
                        crossings += 1;
                    }
                    prev = s;
                }
            }
            // 400 Hz for 100 ms: 80 zero crossings.
            assert!((78..=82).contains(&crossings), "{rate} Hz: {crossings} crossings");
        }
        let mut m = AudioMixer::new();
        m.add(1);
        assert!(m.push(1, 44_100, &[0; 882]).is_err());
        assert!(m.push(1, 8_000, &[0; 100]).is_err());
        assert!(m.push(7, 8_000, &[0; 160]).is_err());
    }

    #[test]
    fn the_active_speaker_follows_the_loudest_with_hysteresis() {
        let mut m = AudioMixer::new();
        m.add(1);
        m.add(2);
        let mut now = 0;
        let mut step = |m: &mut AudioMixer, a1: f64, a2: f64, frames: usize| {
            let mut s = None;
            for _ in 0..frames {
                let f = (now / 20) as usize;
                m.push(1, 16_000, &tone(16_000, 300.0, a1, f)).unwrap();
                m.push(2, 16_000, &tone(16_000, 500.0, a2, f)).unwrap();
                s = m.mix(now).active_speaker;
                now += 20;
            }
            s
        };
        assert_eq!(step(&mut m, 0.0, 0.0, 5), None, "silence: nobody");
        assert_eq!(step(&mut m, 8_000.0, 0.0, 5), Some(1));
        // 2 speaks up briefly: not long enough to take over.
        assert_eq!(step(&mut m, 8_000.0, 20_000.0, 5), Some(1));
        // …and for longer: 2 takes over.
        assert_eq!(step(&mut m, 8_000.0, 20_000.0, 30), Some(2));
        // Slightly louder is not enough to switch back.
        assert_eq!(step(&mut m, 21_000.0, 20_000.0, 30), Some(2));
    }
}
