//! Devices attached to the server, through the real `cpal` path on ALSA without hardware: two
//! PCMs of ALSA's `file` plugin in a test `~/.asoundrc`, whose files are named pipes this test
//! feeds (the room's microphone: a 1 kHz tone) and drains (the room's loudspeaker), each in real
//! time. Cameras need `/dev/video*`, which these machines lack: the layers above capture are
//! tested in the daemon with a picture source of their own.

use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_e2e::alsa::{RATE, room, room_of};
use tessera_e2e::live_api::{Api, BLUE, synthetic};
use tessera_e2e::media::mean_volume;

/// The level in dB (relative to full scale) of `hz` in `samples` (Goertzel).
fn level_at(samples: &[i16], hz: f64) -> f64 {
    level_at_rate(samples, hz, RATE as f64)
}

fn level_at_rate(samples: &[i16], hz: f64, rate: f64) -> f64 {
    let w = std::f64::consts::TAU * hz / rate;
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
    // The start-up listing comes once the devices are looked at, right after the start.
    for _ in 0..100 {
        if s.log().contains("device: audio alsa:testspk") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

/// G.711 µ-law, for the far end's telephone.
fn ulaw_encode(s: i16) -> u8 {
    let sign = if s < 0 { 0x80 } else { 0 };
    let m = (i32::from(s).abs().min(32635) + 0x84) as u32;
    let exponent = (31 - m.leading_zeros()).saturating_sub(7).min(7);
    let mantissa = (m >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

fn ulaw_decode(u: u8) -> i16 {
    let u = !u;
    let t = ((i32::from(u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

/// The RMS level in dB (full scale) of `samples`.
fn rms_db(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| (f64::from(s) / 32768.0).powi(2)).sum();
    10.0 * (sum / samples.len().max(1) as f64).max(1e-12).log10()
}

/// A far-end telephone (PCMU over RTP) that talks (noise, as broad as a voice, which a canceller
/// can learn a room from; a lone tone is not) and keeps what it hears.
struct FarEnd {
    socket: std::net::UdpSocket,
    heard: Arc<Mutex<Vec<i16>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for FarEnd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl FarEnd {
    fn new() -> FarEnd {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        FarEnd { socket, heard: Arc::new(Mutex::new(Vec::new())), stop: Arc::new(AtomicBool::new(false)) }
    }

    fn talk_to(&self, port: u16) {
        let (tx, stop) = (self.socket.try_clone().unwrap(), self.stop.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut noise = 0x2545_f491_u32;
            for k in 0u32.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let mut p = vec![0x80, 0, (k >> 8) as u8, k as u8];
                p.extend((k * 160).to_be_bytes());
                p.extend(0x5eed_u32.to_be_bytes());
                p.extend((0..160).map(|_| {
                    noise ^= noise << 13;
                    noise ^= noise >> 17;
                    noise ^= noise << 5;
                    ulaw_encode((noise % 12001) as i16 - 6000)
                }));
                let _ = tx.send_to(&p, ("127.0.0.1", port));
                let due = start + Duration::from_millis(u64::from(k + 1) * 20);
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
            }
        });
        let (rx, heard, stop) = (self.socket.try_clone().unwrap(), self.heard.clone(), self.stop.clone());
        rx.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                if let Ok(n) = rx.recv(&mut buf)
                    && n > 12
                {
                    let mut h = heard.lock().unwrap();
                    h.extend(buf[12..n].iter().map(|&u| ulaw_decode(u)));
                    let len = h.len();
                    if len > 8000 * 10 {
                        h.drain(..len - 8000 * 10);
                    }
                }
            }
        });
    }

    /// The level of `hz` in the last two seconds it heard; all of it with `None`.
    fn level(&self, hz: Option<f64>) -> f64 {
        let h = self.heard.lock().unwrap();
        let last = &h[h.len().saturating_sub(16_000)..];
        hz.map_or_else(|| rms_db(last), |hz| level_at_rate(last, hz, 8000.0))
    }
}

/// The room's microphone hears its own loudspeaker; with echo cancellation (the default) the
/// far end hears its own voice back at least 20 dB weaker than without, while the
/// room's voice (1 kHz) still comes through when both talk at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_does_not_send_the_far_end_its_own_voice_back() {
    for x in [-12000i16, -1000, 0, 1000, 12000] {
        assert!(
            (i32::from(ulaw_decode(ulaw_encode(x))) - i32::from(x)).abs() <= i32::from(x).abs() / 16 + 8,
            "µ-law {x}"
        );
    }
    let room = room_of(1000.0, true);
    let home = room.home.path().display().to_string();
    let s = tessera_e2e::Server::start_with(&[], &[("TESSERA_DEVICES", "true"), ("HOME", &home)]);
    s.admin_ok(&["conference", "add", "hall", "--name", "Hall", "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    let far = FarEnd::new();
    let body = json!({"action": "add_rtp", "name": "Far end", "audio": "pcmu",
        "audio_to": far.socket.local_addr().unwrap().to_string()});
    let live = api.ok("hall", body).await;
    far.talk_to(live["participants"][0]["rtp_ports"]["audio"].as_u64().unwrap() as u16);
    let mut levels = Vec::new();
    for echo_cancellation in [false, true] {
        let attach = json!({"action": "add_devices", "name": "Hall A", "microphone": "alsa:testmic",
            "speaker": "alsa:testspk", "echo_cancellation": echo_cancellation});
        room.talking.store(false, Ordering::Relaxed);
        let hall = api.ok("hall", attach).await["joined"].as_u64().unwrap();
        // The canceller adapts within seconds; each level is that of the last two.
        tokio::time::sleep(Duration::from_secs(12)).await;
        let echo = far.level(None);
        // Both talk at once: the room's voice still reaches the far end.
        room.talking.store(true, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(3)).await;
        levels.push((echo, far.level(Some(1000.0))));
        api.ok("hall", json!({"action": "remove", "participant": hall})).await;
    }
    let ((without, room_without), (with, room_with)) = (levels[0], levels[1]);
    eprintln!(
        "the far end hears its own voice at {without:.1} dB without echo cancellation, {with:.1} dB with; \
         the room's voice during double talk at {room_without:.1} dB without, {room_with:.1} dB with"
    );
    assert!(without > -35.0, "without cancellation the room sends the far end back: {without:.1} dB");
    assert!(without - with >= 20.0, "cancelled by {:.1} dB only ({without:.1} → {with:.1})", without - with);
    // While the far end talks, the canceller's suppressor turns the room down a little too
    // (about 9 dB here): heard, not cancelled.
    assert!(room_with > -35.0, "the room's own voice is cancelled too: {room_with:.1} dB (without: {room_without:.1})");
}
