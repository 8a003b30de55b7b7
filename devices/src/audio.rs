//! Microphones and loudspeakers through `cpal` on ALSA (which a system service reaches; a
//! PulseAudio or PipeWire server only exists in a desktop session, where ALSA's `default` goes
//! through it). Tessera's side is always 48 kHz mono signed 16-bit, the mixer's format: a
//! device's channels are mixed down on capture and copied to every channel on playback.
//!
//! Neither direction keeps time itself: a microphone hands its samples over as the device
//! delivers them and the conference's engine takes 20 ms per tick of its own clock (a device
//! that delivers faster only fills a bounded queue); a loudspeaker plays from a bounded queue
//! that the engine fills on its clock, and silence when that queue is empty.

use crate::DeviceError;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Tessera's audio rate.
pub const RATE: u32 = 48_000;

/// An audio device: an ALSA PCM, by its ALSA name (`alsa:hw:CARD=USB,DEV=0`, `alsa:default`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AudioDevice {
    pub id: String,
    pub name: String,
    /// Whether it may be used as a microphone (ALSA says so, or says nothing either way).
    pub input: bool,
    /// Whether it may be used as a loudspeaker.
    pub output: bool,
}

fn failed(id: &str, e: &cpal::Error) -> DeviceError {
    match e.kind() {
        cpal::ErrorKind::DeviceBusy => DeviceError::Busy(id.to_string()),
        cpal::ErrorKind::DeviceNotAvailable => DeviceError::Gone(id.to_string()),
        _ => DeviceError::Failed { id: id.to_string(), message: e.to_string() },
    }
}

/// The audio devices of this machine. ALSA always has a few (`null`, `default`); none found
/// is an empty list.
pub fn list() -> Vec<AudioDevice> {
    let host = cpal::default_host();
    let devices = match host.devices() {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "audio devices cannot be enumerated");
            return Vec::new();
        }
    };
    let mut out: Vec<AudioDevice> = devices
        .filter_map(|d| {
            let id = d.id().ok()?.to_string();
            let name = d.description().map(|x| x.name().to_string()).unwrap_or_else(|_| id.clone());
            Some(AudioDevice { id, name, input: d.supports_input(), output: d.supports_output() })
        })
        .collect();
    out.dedup_by(|a, b| a.id == b.id);
    out
}

fn device(id: &str) -> Result<cpal::Device, DeviceError> {
    let parsed: cpal::DeviceId = id.parse().map_err(|_| DeviceError::NotFound(id.to_string()))?;
    if !list().iter().any(|d| d.id == id) {
        return Err(DeviceError::NotFound(id.to_string()));
    }
    cpal::default_host().device_by_id(&parsed).ok_or_else(|| DeviceError::NotFound(id.to_string()))
}

/// The stream configuration for 48 kHz in a sample format Tessera converts, with the fewest
/// channels the device offers.
fn config(
    id: &str,
    ranges: impl Iterator<Item = cpal::SupportedStreamConfigRange>,
) -> Result<(cpal::StreamConfig, cpal::SampleFormat), DeviceError> {
    let mut fitting: Vec<_> = ranges
        .filter(|r| r.contains_rate(RATE))
        .filter(|r| matches!(r.sample_format(), cpal::SampleFormat::I16 | cpal::SampleFormat::F32))
        .collect();
    fitting.sort_by_key(|r| (r.channels(), r.sample_format() != cpal::SampleFormat::I16));
    let r = fitting.into_iter().next().ok_or_else(|| DeviceError::Unsupported {
        id: id.to_string(),
        what: "work at 48 kHz in 16-bit or float samples".into(),
    })?;
    let format = r.sample_format();
    Ok((r.with_sample_rate(RATE).config(), format))
}

/// A microphone being captured. Dropping it stops the capture.
pub struct Microphone {
    _stream: cpal::Stream,
}

impl Microphone {
    /// Starts capturing `id`: `samples` gets each block of 48 kHz mono samples as the device
    /// delivers it, with how long ago the device captured it, `failed` what went wrong once it
    /// runs (the device vanished).
    pub fn open(
        id: &str,
        mut samples: impl FnMut(&[i16], Duration) + Send + 'static,
        mut failed_with: impl FnMut(DeviceError) + Send + 'static,
    ) -> Result<Microphone, DeviceError> {
        let dev = device(id)?;
        let ranges = dev.supported_input_configs().map_err(|e| failed(id, &e))?;
        let (cfg, format) = config(id, ranges)?;
        let channels = usize::from(cfg.channels.max(1));
        let owner = id.to_string();
        let on_error = move |e: cpal::Error| failed_with(failed(&owner, &e));
        let mut mono: Vec<i16> = Vec::new();
        let stream = match format {
            cpal::SampleFormat::I16 => dev.build_input_stream::<i16, _, _>(
                cfg,
                move |data, info| {
                    mono.clear();
                    mono.extend(data.chunks(channels).map(|f| mix_down(f.iter().map(|&s| i32::from(s)))));
                    samples(&mono, captured_ago(info));
                },
                on_error,
                None,
            ),
            _ => dev.build_input_stream::<f32, _, _>(
                cfg,
                move |data, info| {
                    mono.clear();
                    mono.extend(data.chunks(channels).map(|f| mix_down(f.iter().map(|&s| to_i16(s).into()))));
                    samples(&mono, captured_ago(info));
                },
                on_error,
                None,
            ),
        }
        .map_err(|e| failed(id, &e))?;
        stream.play().map_err(|e| failed(id, &e))?;
        Ok(Microphone { _stream: stream })
    }
}

fn captured_ago(info: &cpal::InputCallbackInfo) -> Duration {
    let t = info.timestamp();
    t.callback.duration_since(t.capture)
}

fn played_in(info: &cpal::OutputCallbackInfo) -> Duration {
    let t = info.timestamp();
    t.playback.duration_since(t.callback)
}

fn mix_down(frame: impl ExactSizeIterator<Item = i32>) -> i16 {
    let n = frame.len().max(1) as i32;
    (frame.sum::<i32>() / n).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

fn to_i16(s: f32) -> i16 {
    (s.clamp(-1.0, 1.0) * 32767.0) as i16
}

/// At most this much audio waits to be played (200 ms): a loudspeaker that stalls drops the
/// oldest rather than falling ever further behind the conversation.
const MAX_QUEUED: usize = RATE as usize / 5;

/// What waits to be played, and how much was played and dropped.
#[derive(Default)]
struct Queue {
    samples: Mutex<VecDeque<i16>>,
    played: AtomicU64,
    dropped: AtomicU64,
}

/// Told each block a loudspeaker plays, and how long until it is heard.
type Played = Box<dyn FnMut(&[i16], Duration) + Send>;

/// Who hears what a loudspeaker plays, and the block being told.
struct Tap {
    played: Played,
    block: Vec<i16>,
}

/// A loudspeaker being played to. Dropping it stops the playback.
pub struct Speaker {
    _stream: cpal::Stream,
    queue: Arc<Queue>,
}

impl Speaker {
    /// Starts playing to `id` (silence until [`Speaker::play`] hands it samples).
    pub fn open(id: &str, failed_with: impl FnMut(DeviceError) + Send + 'static) -> Result<Speaker, DeviceError> {
        Speaker::open_with(id, failed_with, |_, _| {})
    }

    /// [`Speaker::open`], with `played` told every block of 48 kHz mono samples the moment it
    /// goes to the device (silence included), and how long until the device plays it: an echo
    /// canceller's reference.
    pub fn open_with(
        id: &str,
        mut failed_with: impl FnMut(DeviceError) + Send + 'static,
        played: impl FnMut(&[i16], Duration) + Send + 'static,
    ) -> Result<Speaker, DeviceError> {
        let dev = device(id)?;
        let ranges = dev.supported_output_configs().map_err(|e| failed(id, &e))?;
        let (cfg, format) = config(id, ranges)?;
        let channels = usize::from(cfg.channels.max(1));
        let queue = Arc::new(Queue::default());
        let owner = id.to_string();
        let on_error = move |e: cpal::Error| failed_with(failed(&owner, &e));
        let q = queue.clone();
        let mut tap = Tap { played: Box::new(played), block: Vec::new() };
        let stream = match format {
            cpal::SampleFormat::I16 => dev.build_output_stream::<i16, _, _>(
                cfg,
                move |out, info| q.fill(out, channels, &mut tap, played_in(info), |s| s),
                on_error,
                None,
            ),
            _ => dev.build_output_stream::<f32, _, _>(
                cfg,
                move |out, info| q.fill(out, channels, &mut tap, played_in(info), |s| f32::from(s) / 32768.0),
                on_error,
                None,
            ),
        }
        .map_err(|e| failed(id, &e))?;
        stream.play().map_err(|e| failed(id, &e))?;
        Ok(Speaker { _stream: stream, queue })
    }

    /// Queues 48 kHz mono samples to be played.
    pub fn play(&self, samples: &[i16]) {
        self.queue.push(samples);
    }

    /// Samples played so far (silence included) and samples dropped for being too late.
    pub fn counts(&self) -> (u64, u64) {
        (self.queue.played.load(Ordering::Relaxed), self.queue.dropped.load(Ordering::Relaxed))
    }
}

impl Queue {
    fn push(&self, samples: &[i16]) {
        let mut q = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        q.extend(samples);
        if q.len() > MAX_QUEUED {
            let extra = q.len() - MAX_QUEUED;
            q.drain(..extra);
            self.dropped.fetch_add(extra as u64, Ordering::Relaxed);
        }
    }

    /// Fills a device buffer of `channels`-sample frames from the queue, silence past its end,
    /// and tells `tap` what went out.
    fn fill<T: Copy + Default>(
        &self,
        out: &mut [T],
        channels: usize,
        tap: &mut Tap,
        ahead: Duration,
        convert: impl Fn(i16) -> T,
    ) {
        tap.block.clear();
        {
            let mut q = self.samples.lock().unwrap_or_else(|p| p.into_inner());
            for frame in out.chunks_mut(channels) {
                let s = q.pop_front().unwrap_or(0);
                tap.block.push(s);
                frame.fill(convert(s));
            }
        }
        (tap.played)(&tap.block, ahead);
        self.played.fetch_add((out.len() / channels) as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_mix_down_and_fill_every_channel() {
        assert_eq!(mix_down([1000, 3000].into_iter()), 2000);
        assert_eq!(mix_down([i32::from(i16::MAX), i32::from(i16::MAX)].into_iter()), i16::MAX);
        assert_eq!(to_i16(2.0), i16::MAX);
        let q = Queue::default();
        q.push(&[5, 6]);
        let mut out = [1i16; 6];
        let heard = std::sync::Arc::new(Mutex::new(Vec::new()));
        let h = heard.clone();
        let mut tap = Tap { played: Box::new(move |s, _| h.lock().unwrap().extend_from_slice(s)), block: Vec::new() };
        q.fill(&mut out, 2, &mut tap, Duration::ZERO, |s| s);
        assert_eq!(*heard.lock().unwrap(), [5, 6, 0]);
        assert_eq!(out, [5, 5, 6, 6, 0, 0]);
        assert_eq!(q.played.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_stalled_speaker_drops_the_oldest() {
        let q = Queue::default();
        let many: Vec<i16> = (0..MAX_QUEUED as i32 + 10).map(|i| i as i16).collect();
        q.push(&many);
        assert_eq!(q.dropped.load(Ordering::Relaxed), 10);
        let mut out = [0i16; 1];
        q.fill(&mut out, 1, &mut Tap { played: Box::new(|_, _| {}), block: Vec::new() }, Duration::ZERO, |s| s);
        assert_eq!(out[0], 10);
    }

    #[test]
    fn unknown_devices_are_named_in_the_error() {
        let e = Microphone::open("alsa:no-such-pcm", |_, _| {}, |_| {}).err().unwrap();
        assert_eq!(e.to_string(), "no device alsa:no-such-pcm on this machine");
        let e = Speaker::open("nonsense", |_| {}).err().unwrap();
        assert_eq!(e.to_string(), "no device nonsense on this machine");
    }
}
