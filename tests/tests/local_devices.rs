//! Devices attached to the server, through the real `cpal` path on ALSA without hardware: two
//! PCMs of ALSA's `file` plugin in a test `~/.asoundrc`, whose files are named pipes this test
//! feeds (the room's microphone: a 1 kHz tone) and drains (the room's loudspeaker), each in real
//! time. Cameras need `/dev/video*`, which these machines lack: the layers above capture are
//! tested in the daemon with a picture source of their own.

use serde_json::json;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_e2e::live_api::{Api, BLUE, synthetic};
use tessera_e2e::media::mean_volume;

const RATE: usize = 48_000;
/// 20 ms of 48 kHz mono S16LE.
const CHUNK: usize = RATE / 50 * 2;

/// The room: a microphone that plays `tone_hz` while `talking`, a loudspeaker whose last
/// seconds of samples are kept; both in real time.
struct Room {
    home: tempfile::TempDir,
    talking: Arc<AtomicBool>,
    played: Arc<Mutex<Vec<i16>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Room {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn room(tone_hz: f64) -> Room {
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
    let (talking, played, stop) =
        (Arc::new(AtomicBool::new(true)), Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
    let (t, halt) = (talking.clone(), stop.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut n = 0usize;
        while !halt.load(Ordering::Relaxed) {
            let mut buf = Vec::with_capacity(CHUNK);
            for i in 0..CHUNK / 2 {
                let s = (n + i) as f64 / RATE as f64;
                let v =
                    if t.load(Ordering::Relaxed) { (s * tone_hz * std::f64::consts::TAU).sin() * 8000.0 } else { 0.0 };
                buf.extend((v as i16).to_le_bytes());
            }
            n += CHUNK / 2;
            if mic.write_all(&buf).is_err() {
                return;
            }
            let due = start + Duration::from_millis((n / 48) as u64);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
    });
    let (p, halt) = (played.clone(), stop.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut n = 0usize;
        let mut buf = vec![0u8; CHUNK];
        while !halt.load(Ordering::Relaxed) {
            if spk.read_exact(&mut buf).is_err() {
                return;
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

/// The level in dB (relative to full scale) of `hz` in `samples` (Goertzel).
fn level_at(samples: &[i16], hz: f64) -> f64 {
    let w = std::f64::consts::TAU * hz / RATE as f64;
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s = f64::from(x) / 32768.0 + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let amplitude = 2.0 * power.sqrt() / samples.len() as f64;
    20.0 * amplitude.max(1e-9).log10()
}

async fn on_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// A room's microphone is heard in the conference, the conference is played on its loudspeaker
/// without the room's own voice, and what cannot be attached is refused naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_microphone_and_loudspeaker_take_part_through_alsa() {
    let room = room(1000.0);
    let home = room.home.path().display().to_string();
    let s = tessera_e2e::Server::start_with(&[], &[("TESSERA_DEVICES", "true"), ("HOME", &home)]);
    assert!(s.log().contains("device: audio alsa:testmic \"Test microphone\""), "{}", s.log());
    let listed = tessera_e2e::tessera_cmd().args(["devices", "list", "--json"]).env("HOME", &home).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(listed["audio"].as_array().unwrap().iter().any(|a| a["id"] == "alsa:testspk"), "{listed}");
    assert_eq!(listed["cameras"], json!([]));

    s.admin_ok(&["conference", "add", "hall", "--name", "Hall", "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("hall", synthetic("Far end", BLUE, 440)).await;
    let attach =
        json!({"action": "add_devices", "name": "Hall A", "microphone": "alsa:testmic", "speaker": "alsa:testspk"});
    let joined = api.ok("hall", attach.clone()).await;
    let hall = joined["joined"].as_u64().unwrap();
    let me = joined["participants"].as_array().unwrap().iter().find(|p| p["id"] == hall).unwrap().clone();
    assert_eq!((me["name"].as_str(), me["kind"].as_str()), (Some("Hall A"), Some("local")), "{me}");

    // What cannot be attached: each refused naming its field, nothing joins.
    for (body, status, field) in [
        (attach.clone(), 409, "microphone"),
        (json!({"action": "add_devices", "name": "B", "microphone": "alsa:nothing"}), 422, "microphone"),
        (json!({"action": "add_devices", "name": "B", "speaker": "alsa:testspk"}), 422, "camera"),
        (json!({"action": "add_devices", "name": "B", "camera": "v4l:video7"}), 422, "camera"),
        (json!({"action": "add_devices", "name": "", "microphone": "alsa:null"}), 422, "name"),
    ] {
        let (st, v) = api.live("hall", body.clone()).await;
        assert_eq!(st, status, "{body}: {v}");
        assert!(v.to_string().contains(field), "{body}: {v}");
    }
    assert_eq!(api.participants("hall").await.len(), 2);

    // The room's microphone on the conference's RTSP stream: with the far end muted, the room is
    // what is heard; with the room muted too, nothing is.
    let url = joined["rtsp_url"].as_str().unwrap().to_string();
    api.ok("hall", json!({"action": "device", "participant": 1, "microphone": false})).await;
    let u = url.clone();
    let heard = on_blocking(move || mean_volume(&u, 2)).await;
    assert!(heard > -40.0, "the room's microphone should be heard: {heard} dB");
    api.ok("hall", json!({"action": "device", "participant": hall, "microphone": false})).await;
    let u = url.clone();
    let quiet = on_blocking(move || mean_volume(&u, 2)).await;
    assert!(quiet < -70.0, "both muted: {quiet} dB (the room was {heard} dB)");

    // The loudspeaker plays the far end (440 Hz), not the room's own voice (1 kHz).
    api.ok("hall", json!({"action": "device", "participant": 1, "microphone": true})).await;
    api.ok("hall", json!({"action": "device", "participant": hall, "microphone": true})).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let last: Vec<i16> = {
        let p = room.played.lock().unwrap();
        p[p.len().saturating_sub(RATE)..].to_vec()
    };
    assert_eq!(last.len(), RATE, "a second was played");
    let (far, own) = (level_at(&last, 440.0), level_at(&last, 1000.0));
    eprintln!("RTSP: room {heard:.1} dB, muted {quiet:.1} dB; loudspeaker: far end {far:.1} dB, own voice {own:.1} dB");
    assert!(far > -30.0, "the far end should be played: {far} dB");
    assert!(far - own > 30.0, "the room's own voice should not be played back: far end {far} dB, own {own} dB");
    room.talking.store(false, Ordering::Relaxed);

    // Removed, the devices are free again: attaching them anew works.
    api.ok("hall", json!({"action": "remove", "participant": hall})).await;
    let again = api.ok("hall", attach).await;
    assert!(again["joined"].as_u64().is_some(), "{again}");
}

/// With `[devices]` off (the default), attaching is refused, saying how to turn it on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_are_off_unless_enabled() {
    let s = tessera_e2e::Server::start();
    assert!(s.log().contains("devices attached to the server are off"), "{}", s.log());
    s.admin_ok(&["conference", "add", "hall", "--name", "Hall", "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("hall", synthetic("Far end", BLUE, 0)).await;
    let (st, v) = api.live("hall", json!({"action": "add_devices", "name": "Hall A", "microphone": "alsa:null"})).await;
    assert_eq!(st, 409, "{v}");
    assert!(v.to_string().contains("[devices] enabled"), "{v}");
}
