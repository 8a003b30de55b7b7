//! Encrypted media for SIP (SDES-SRTP, RFC 4568, over SIP TLS) in a conference set to take
//! encrypted media only (`conference add --encrypted-media`): baresip calls over TLS with SRTP
//! mandatory, joins (shown as encrypted), is heard (Tessera unprotects its audio: it becomes
//! the active speaker) and decodes the composed video (Tessera protects what it sends; baresip
//! drops what fails authentication). tshark on the loopback finds no plain PCMU in what baresip
//! sends: its 440 Hz tone is not in the payloads. A plain-RTP INVITE over UDP is refused (488),
//! saying why, and so is a call the server would place over plain SIP (Add participants: 422).
//! Over TLS the server places encrypted calls itself: it calls a room system (baresip answering
//! over TLS with SRTP mandatory, whose certificate it checks against `sip.tls_ca_file`), which
//! joins shown as encrypted and hears the conference.

use serde_json::json;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;
use tessera_e2e::live_api::{Api, synthetic};
use tessera_e2e::sip::invite;
use tessera_e2e::{
    KillOnDrop, Server, baresip_config, baresip_dial, baresip_figures, certificate_authority_and_certificate,
    free_port, self_signed_certificate,
};

/// The share of a block of mu-law samples' power at `hz` (Goertzel over the decoded samples):
/// near 1 for a pure tone of that frequency, near 2/N for noise.
fn tone_share(mulaw: &[u8], hz: f64) -> f64 {
    let decode = |u: u8| {
        let u = !u;
        let t = ((i32::from(u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
        f64::from(if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 })
    };
    let x: Vec<f64> = mulaw.iter().map(|&b| decode(b)).collect();
    let w = 2.0 * std::f64::consts::PI * hz / 8000.0;
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in &x {
        let s = v + 2.0 * w.cos() * s1 - s2;
        (s2, s1) = (s1, s);
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let total: f64 = x.iter().map(|v| v * v).sum::<f64>() * x.len() as f64 / 2.0;
    if total == 0.0 { 0.0 } else { power / total }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

/// A public room "vault" that takes encrypted media only, with a silent synthetic camera.
async fn encrypted_room(s: &Server) -> Api {
    s.admin_ok(
        &[
            "conference",
            "add",
            "vault",
            "--name",
            "Vault",
            "--owner",
            "admin",
            "--room",
            "--public",
            "--encrypted-media",
        ],
        "",
    );
    let api = Api::new(s, "admin", "admin-password").await;
    api.ok("vault", synthetic("Camera", (200, 40, 40), 0)).await;
    api
}

/// baresip's configuration in `dir` (with `extra` lines) for a "Room system" account with SRTP
/// mandatory (and `more` account parameters): its SIP port. The srtp module loads before the
/// account module, which looks the account's mediaenc up.
fn srtp_baresip(dir: &std::path::Path, extra: &str, more: &str) -> u16 {
    let port = baresip_config(dir, extra);
    let config = std::fs::read_to_string(dir.join("config")).unwrap();
    std::fs::write(dir.join("config"), config.replace("module account.so", "module srtp.so\nmodule account.so"))
        .unwrap();
    let account = format!(
        "\"Room system\" <sip:room@127.0.0.1>;regint=0;{more}mediaenc=srtp-mand;audio_codecs=PCMU;video_codecs=H264\n"
    );
    std::fs::write(dir.join("accounts"), account).unwrap();
    port
}

#[test]
fn the_tone_detector_finds_a_tone_and_not_noise() {
    let encode = |s: f64| {
        // G.711 mu-law of a 16-bit sample.
        let mut v = s as i32;
        let sign = if v < 0 { 0x80 } else { 0 };
        v = (v.abs().min(32_635)) + 0x84;
        let exp = (0..8).rev().find(|e| v & (0x4000 >> (7 - e)) != 0).unwrap_or(0);
        let mantissa = (v >> (exp + 3)) & 0x0f;
        !(sign | (exp << 4) as u8 | mantissa as u8)
    };
    let tone: Vec<u8> =
        (0..160).map(|i| encode(4000.0 * (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / 8000.0).sin())).collect();
    assert!(tone_share(&tone, 440.0) > 0.5, "{}", tone_share(&tone, 440.0));
    let noise: Vec<u8> = (0..160u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    assert!(tone_share(&noise, 440.0) < 0.1, "{}", tone_share(&noise, 440.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_joins_with_srtp_and_plain_rtp_is_refused() {
    assert!(
        std::path::Path::new("/usr/lib/baresip/modules/srtp.so").exists(),
        "baresip's srtp module is missing: apt-get install baresip-core (scripts/test.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_certificate(dir.path());
    let tls = free_port();
    let cfg = dir.path().join("tls.toml");
    let toml = format!(
        "[sip]\ntls_listen = \"127.0.0.1:{tls}\"\ntls_certificate = {:?}\ntls_private_key = {:?}\n",
        cert.display(),
        key.display()
    );
    std::fs::write(&cfg, toml).unwrap();
    let s = Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    let api = encrypted_room(&s).await;

    // The calls the server places are plain RTP: Add participants refuses them here.
    let (st, v) = api.post("/api/v1/conferences/vault/calls", json!({ "address": "sip:phone@127.0.0.1:5999" })).await;
    assert_eq!((st, v["field"].as_str()), (422, Some("address")), "{v}");
    assert!(v["error"].as_str().unwrap().contains("encrypted media only"), "{v}");

    // Plain RTP, offered over UDP: refused, with the reason.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (code, text) = invite(&udp, s.sip_port, "vault", "plain-1", media.local_addr().unwrap());
    assert_eq!(code, 488, "{text}");
    assert!(text.contains("encrypted media only"), "{text}");

    // baresip over TLS with SRTP mandatory; tshark watches what it sends.
    let bdir = tempfile::tempdir().unwrap();
    srtp_baresip(bdir.path(), &format!("sip_cafile {}\n", cert.display()), "");
    let capture = KillOnDrop(
        Command::new("tshark")
            .args(["-i", "lo", "-f", "udp and src portrange 10000-10099", "-a", "duration:22"])
            .args(["-T", "fields", "-e", "udp.dstport", "-e", "udp.payload"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tshark (scripts/test.sh installs it)"),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let uri = format!("sip:vault@127.0.0.1:{tls};transport=tls");
    let mut child = baresip_dial(bdir.path(), &uri, 12);
    api.wait_for("vault", "Room system", true).await;
    let live = api.get("/api/v1/conferences/vault/live").await.1;
    let me = live["participants"].as_array().unwrap().iter().find(|p| p["name"] == "Room system").unwrap().clone();
    assert_eq!(me["encrypted"], true, "{me}");
    let camera = live["participants"].as_array().unwrap().iter().find(|p| p["name"] == "Camera").unwrap().clone();
    assert_eq!(camera["encrypted"], false, "a synthetic participant is not shown as encrypted: {camera}");
    let audio_port = me["rtp_ports"]["audio"].as_u64().unwrap();
    // Its tone is heard: Tessera unprotected its audio (the camera is silent).
    let mut speaker = json!(null);
    for _ in 0..50 {
        speaker = api.get("/api/v1/conferences/vault/live").await.1["active_speaker"].clone();
        if speaker == me["id"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(speaker, me["id"], "baresip's tone never made it the active speaker");
    let status = tokio::task::spawn_blocking(move || child.0.wait()).await.unwrap().unwrap();
    let out = std::fs::read_to_string(bdir.path().join("out.txt")).unwrap().replace('\r', "\n");
    assert!(status.success() && out.contains("Call established"), "baresip:\n{out}");
    assert!(out.contains("srtp"), "baresip did not use SRTP:\n{out}");
    let (efps, _) = baresip_figures(&out);
    assert!(efps > 5.0, "baresip decoded {efps} frames per second of Tessera's SRTP video:\n{out}");

    // Tessera unprotected all of baresip's audio and video (a failure is logged and dropped).
    assert!(!s.log().contains("SRTP authentication failed"), "{}", s.log());

    // What baresip sent to its audio port: SRTP (a PCMU packet and a tag), and not the tone.
    let mut capture = capture;
    let captured = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut capture.0.stdout.take().unwrap(), &mut text).unwrap();
        text
    })
    .await
    .unwrap();
    let payloads: Vec<Vec<u8>> = captured
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(port, _)| port.parse::<u64>().ok() == Some(audio_port))
        .filter_map(|(_, hex)| unhex(hex.trim()))
        .collect();
    assert!(payloads.len() > 100, "{} audio packets captured", payloads.len());
    for p in &payloads {
        assert!(p.len() == 172 + 4 || p.len() == 172 + 10, "a {}-byte packet is not SRTP PCMU", p.len());
    }
    let tonal = payloads.iter().filter(|p| tone_share(&p[12..172], 440.0) > 0.3).count();
    assert_eq!(tonal, 0, "{tonal} of {} packets carry the tone in the clear", payloads.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_calls_a_room_system_over_tls_with_srtp_into_an_encrypted_conference() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate_authority_and_certificate(dir.path());
    let tls = free_port();
    let cfg = dir.path().join("tls.toml");
    let toml = format!(
        "[sip]\ntls_listen = \"127.0.0.1:{tls}\"\ntls_certificate = {:?}\ntls_private_key = {:?}\ntls_ca_file = {:?}\n",
        cert.display(),
        key.display(),
        ca.display()
    );
    std::fs::write(&cfg, toml).unwrap();
    // Dial-out refuses loopback by default; the room system runs on this machine.
    let s = Server::start_with(
        &["--config", cfg.to_str().unwrap()],
        &[("TESSERA_DIAL_OUT_ALLOWED_NETWORKS", "127.0.0.0/8")],
    );
    let api = encrypted_room(&s).await;

    // The room system: baresip answering by itself over TLS (its SIP port + 1), SRTP mandatory,
    // with a certificate of the same authority (certificate and key in one file).
    let bdir = tempfile::tempdir().unwrap();
    let both = bdir.path().join("tls.pem");
    let pem = [std::fs::read(&cert).unwrap(), std::fs::read(&key).unwrap()].concat();
    std::fs::write(&both, pem).unwrap();
    let bport = srtp_baresip(bdir.path(), &format!("sip_certificate {}\n", both.display()), "answermode=auto;");
    let log = std::fs::File::create(bdir.path().join("out.txt")).unwrap();
    let child = Command::new("baresip")
        .args(["-f", bdir.path().to_str().unwrap(), "-t", "30"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("baresip is missing: apt-get install baresip-core (scripts/test.sh does)");
    let _baresip = KillOnDrop(child);
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A TLS peer whose certificate no trusted authority signed is not called: the handshake
    // fails (openssl s_server with a self-signed certificate stands for it).
    let odir = tempfile::tempdir().unwrap();
    let (ocert, okey) = self_signed_certificate(odir.path());
    let oport = free_port();
    let impostor = Command::new("openssl")
        .args(["s_server", "-quiet", "-accept", &oport.to_string(), "-cert"])
        .args([ocert.to_str().unwrap(), "-key", okey.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl");
    let _impostor = KillOnDrop(impostor);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (st, v) =
        api.post("/api/v1/conferences/vault/calls", json!({ "address": format!("sips:room@127.0.0.1:{oport}") })).await;
    assert_eq!(st, 202, "{v}");
    let mut log = String::new();
    for _ in 0..50 {
        log = s.log();
        if log.contains("dial-out failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed = log.lines().find(|l| l.contains("dial-out failed")).unwrap_or_else(|| panic!("{log}"));
    assert!(
        failed.contains(&format!("could not connect to 127.0.0.1:{oport} over TLS: invalid peer certificate")),
        "{failed}"
    );

    // A plain address is still refused here; its TLS one is called.
    let (st, v) =
        api.post("/api/v1/conferences/vault/calls", json!({ "address": format!("sip:room@127.0.0.1:{bport}") })).await;
    assert_eq!((st, v["field"].as_str()), (422, Some("address")), "{v}");
    let address = format!("sip:room@127.0.0.1:{};transport=tls", bport + 1);
    let (st, v) =
        api.post("/api/v1/conferences/vault/calls", json!({ "address": address, "name": "Room system" })).await;
    assert_eq!((st, v["calling"].as_bool()), (202, Some(true)), "{v}");
    api.wait_for("vault", "Room system", true).await;
    let live = api.get("/api/v1/conferences/vault/live").await.1;
    let room = live["participants"].as_array().unwrap().iter().find(|p| p["name"] == "Room system").unwrap().clone();
    assert_eq!(room["encrypted"], true, "{room}");
    // Its tone is heard: Tessera unprotects its SRTP audio (the camera is silent).
    let mut speaker = json!(null);
    for _ in 0..50 {
        speaker = api.get("/api/v1/conferences/vault/live").await.1["active_speaker"].clone();
        if speaker == room["id"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = std::fs::read_to_string(bdir.path().join("out.txt")).unwrap_or_default();
    assert_eq!(speaker, room["id"], "the room system's tone never made it the active speaker:\n{out}\n{}", s.log());
    assert!(out.contains("Call established") && out.contains("SRTP is Enabled"), "{out}");
    // And Tessera's own SRTP reaches it.
    assert!(out.contains("incoming rtp for 'audio' established"), "{out}");
    assert!(!s.log().contains("SRTP authentication failed"), "{}", s.log());
}
