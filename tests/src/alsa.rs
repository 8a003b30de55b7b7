//! A room's microphone and loudspeaker without hardware, through the real ALSA path: two PCMs of
//! ALSA's `file` plugin in a test `~/.asoundrc` (point `HOME` at [`Room::home`]), whose files are
//! named pipes fed (the microphone: a tone) and drained (the loudspeaker) in real time, since the
//! plugin keeps no time. The PCMs are `alsa:testmic` and `alsa:testspk`.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const RATE: usize = 48_000;
/// 20 ms of 48 kHz mono S16LE.
pub const CHUNK: usize = RATE / 50 * 2;

/// The room: a microphone that plays `tone_hz` while `talking`, a loudspeaker whose last
/// seconds of samples are kept; both in real time.
pub struct Room {
    pub home: tempfile::TempDir,
    pub talking: Arc<AtomicBool>,
    pub played: Arc<Mutex<Vec<i16>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Room {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A room whose microphone plays `tone_hz`.
pub fn room(tone_hz: f64) -> Room {
    room_of(tone_hz, false)
}

/// A room whose microphone plays `tone_hz` (0: nothing) while `talking`, and with `loopback`
/// also hears its own loudspeaker, as a room does.
pub fn room_of(tone_hz: f64, loopback: bool) -> Room {
    let home = tempfile::tempdir().unwrap();
    let (mic, spk) = (home.path().join("mic.fifo"), home.path().join("spk.fifo"));
    for f in [&mic, &spk] {
        assert!(std::process::Command::new("mkfifo").arg(f).status().unwrap().success());
    }
    std::fs::write(
        home.path().join(".asoundrc"),
        format!(
            "pcm.testmic {{ type file; slave.pcm \"null\"; file \"/dev/null\"; infile \"{}\"; format \"raw\"\n  hint {{ show on description \"Test microphone\" }} }}\n\
             pcm.testspk {{ type file; slave.pcm \"null\"; file \"{}\"; format \"raw\"\n  hint {{ show on description \"Test loudspeaker\" }} }}\n",
            mic.display(),
            spk.display()
        ),
    )
    .unwrap();
    // Read and write: opening a pipe so never waits for the other end.
    let open = |p: &std::path::Path| std::fs::OpenOptions::new().read(true).write(true).open(p).unwrap();
    let (mut mic, mut spk) = (open(&mic), open(&spk));
    // Small pipes (one page): what is played reaches the microphone within tens of
    // milliseconds, as in a room, rather than after the 64 KB a pipe holds by default.
    for f in [&mic, &spk] {
        rustix::pipe::fcntl_setpipe_size(f, 4096).unwrap();
    }
    // The air never blocks: what nobody captures (the microphone closed) is lost.
    let mut echo = loopback.then(|| {
        let m = mic.try_clone().unwrap();
        rustix::fs::fcntl_setfl(&m, rustix::fs::OFlags::NONBLOCK).unwrap();
        m
    });
    let (talking, played, stop) =
        (Arc::new(AtomicBool::new(true)), Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
    let (t, halt) = (talking.clone(), stop.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut n = 0usize;
        while !halt.load(Ordering::Relaxed) && !loopback {
            let mut buf = Vec::with_capacity(CHUNK);
            for v in voice_of(tone_hz, &t, n) {
                buf.extend(v.to_le_bytes());
            }
            n += CHUNK / 2;
            if mic.write_all(&buf).is_err() {
                return;
            }
            let due = start + Duration::from_millis((n / 48) as u64);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
    });
    let (p, halt, t) = (played.clone(), stop.clone(), talking.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut n = 0usize;
        let mut buf = vec![0u8; CHUNK];
        while !halt.load(Ordering::Relaxed) {
            if spk.read_exact(&mut buf).is_err() {
                return;
            }
            // The room's air: what the loudspeaker plays, the microphone hears, with the
            // room's own voice.
            if let Some(m) = echo.as_mut() {
                let heard: Vec<u8> = buf
                    .chunks_exact(2)
                    .zip(voice_of(tone_hz, &t, n))
                    .flat_map(|(c, v)| i16::from_le_bytes([c[0], c[1]]).saturating_add(v).to_le_bytes())
                    .collect();
                let _ = m.write(&heard);
            }
            n += CHUNK / 2;
            let mut kept = p.lock().unwrap();
            kept.extend(buf.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])));
            let len = kept.len();
            if len > RATE * 4 {
                kept.drain(..len - RATE * 4);
            }
            drop(kept);
            let due = start + Duration::from_millis((n / 48) as u64);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
    });
    Room { home, talking, played, stop }
}

/// 20 ms of the room's voice from sample `n` on: `tone_hz` while `talking`, else silence.
pub fn voice_of(tone_hz: f64, talking: &AtomicBool, n: usize) -> impl Iterator<Item = i16> {
    let on = talking.load(Ordering::Relaxed) && tone_hz > 0.0;
    (0..CHUNK / 2).map(move |i| {
        let s = (n + i) as f64 / RATE as f64;
        if on { ((s * tone_hz * std::f64::consts::TAU).sin() * 8000.0) as i16 } else { 0 }
    })
}
