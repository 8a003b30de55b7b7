//! RTCP between Tessera and a SIP phone, both ways, against the real binary: a phone that
//! negotiated generic NACK (`a=rtcp-fb:96 nack`) gets the video packets it names again, byte
//! for byte, within the shared rule (each at most twice, 100 ms apart); Tessera sends the phone
//! sender reports, and the phone's report blocks answering them give its round trip (the
//! conference manager's figure and `tessera_participant_round_trip_seconds`). A NACK from
//! another address is not answered. A phone that negotiated PLI is asked for a keyframe when
//! its picture, left undecoded while nobody saw it, is seen again; one that negotiated TMMBR is
//! asked for the bit rate of the size its picture is shown at, and its own TMMBR is answered
//! with a TMMBN.

use std::collections::HashMap;
use std::net::UdpSocket;
use std::time::{Duration, Instant};
use tessera_e2e::live_api::{Api, RED, synthetic};
use tessera_e2e::sip::{ack, answered_ports, invite_offering, phone_sockets};

/// What the phone saw: how often each video packet arrived (by sequence number) and whether
/// every copy was the first one byte for byte, and whether it answered a sender report of
/// Tessera's.
#[derive(Default)]
struct Seen {
    arrivals: HashMap<u16, (usize, Vec<u8>)>,
    /// Copies that differed from the first of their number.
    different: usize,
    ssrc: Option<u32>,
    highest: u16,
    /// The sequence number it named in NACKs, and how many NACKs it sent.
    nacked: Option<u16>,
    nacks: usize,
    answered_sr: bool,
    /// The packet a NACK from another address named.
    spoofed: Option<u16>,
}

/// A generic NACK (RFC 4585 §6.2.1) from `sender` for packet `seq` of `media`.
fn nack(sender: u32, media: u32, seq: u16) -> Vec<u8> {
    let mut p = vec![0x81, 205, 0, 3];
    p.extend(sender.to_be_bytes());
    p.extend(media.to_be_bytes());
    p.extend(seq.to_be_bytes());
    p.extend([0, 0]);
    p
}

/// A receiver report about `media` saying nothing is lost, answering the sender report whose NTP
/// middle bits were `lsr`, held `dlsr` (1/65536 s).
fn receiver_report(sender: u32, media: u32, highest: u16, lsr: u32, dlsr: u32) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend(sender.to_be_bytes());
    p.extend(media.to_be_bytes());
    p.extend([0, 0, 0, 0]);
    p.extend(u32::from(highest).to_be_bytes());
    p.extend([0, 0, 0, 0]);
    p.extend(lsr.to_be_bytes());
    p.extend(dlsr.to_be_bytes());
    p
}

/// A phone in the public room `conf` (started with a synthetic host) whose INVITE offered H.264
/// video with the RTCP feedback lines `feedback`: the server, an API session, the phone's audio,
/// video and video RTCP sockets, and Tessera's video RTP and RTCP ports from its answer (which
/// is returned too).
struct Phone {
    s: tessera_e2e::Server,
    api: Api,
    audio: UdpSocket,
    video: UdpSocket,
    rtcp: UdpSocket,
    answer: String,
    video_port: u16,
    rtcp_port: u16,
    /// Its SIP socket, open while the call lasts.
    _sip: UdpSocket,
}

async fn phone_in(conf: &str, feedback: &'static str) -> Phone {
    let s = tessera_e2e::Server::start();
    s.admin_ok(&["conference", "add", conf, "--name", conf, "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok(conf, synthetic("Host", RED, 1000)).await;
    let (audio, video, rtcp) = phone_sockets();
    let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (port, at, call) = (s.sip_port, audio.local_addr().unwrap(), format!("{conf}-1"));
    let (code, answer) = tokio::task::spawn_blocking({
        let (sip, conf, call) = (sip.try_clone().unwrap(), conf.to_string(), call.clone());
        move || invite_offering(&sip, port, &conf, &call, at, "", feedback)
    })
    .await
    .unwrap();
    assert_eq!(code, 200, "{answer}");
    ack(&sip, port, conf, &call, &answer);
    let (video_port, rtcp_port) = answered_ports(&answer, "video");
    Phone { s, api, audio, video, rtcp, answer, video_port, rtcp_port, _sip: sip }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_gets_the_video_packets_it_nacks_again_and_its_round_trip_is_measured() {
    let Phone { s, audio, video, rtcp, answer, video_port, rtcp_port, _sip, .. } =
        phone_in(
            "fb",
            "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n\
             a=imageattr:96 send [x=1920,y=1080] [x=1280,y=720] [x=640,y=360] [x=320,y=180] recv [x=[320:1920],y=[180:1080]]\r\n",
        )
        .await;
    assert!(answer.contains("a=rtcp-fb:96 nack\r\n"), "generic NACK answered: {answer}");
    // Its sizes (RFC 6236): it is asked for the largest it sends that fits the server's picture,
    // and told it is sent that picture, which it takes.
    assert!(
        answer.contains("a=imageattr:96 send [x=640,y=360] recv [x=640,y=360]\r\n"),
        "sizes of the answer: {answer}"
    );
    // The phone is asked for no more than the server's own picture: 640x360 here, H.264 level
    // 3.0, where a phone that names no level would otherwise be taken at 3.1.
    assert!(answer.contains("profile-level-id=42e01e"), "level of the answer: {answer}");
    let seen = tokio::task::spawn_blocking(move || {
        let _audio = audio;
        let me = 0x5eed_u32;
        let mut seen = Seen::default();
        let (mut seq, mut buf) = (0u16, vec![0u8; 65_536]);
        video.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        rtcp.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        let start = Instant::now();
        let (mut last_rr, mut last_nack) = (start, start);
        while start.elapsed() < Duration::from_secs(25) {
            // A little video (an H.264 access unit delimiter): Tessera learns where it comes from.
            seq = seq.wrapping_add(1);
            let p = [0x80, 96, (seq >> 8) as u8, seq as u8, 0, 0, 0, 0, 0, 0, 0, 7, 0x09, 0x10];
            video.send_to(&p, ("127.0.0.1", video_port)).unwrap();
            while let Ok(n) = video.recv(&mut buf) {
                if n < 12 {
                    continue;
                }
                let q = u16::from_be_bytes([buf[2], buf[3]]);
                seen.ssrc.get_or_insert(u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]));
                seen.highest = seen.highest.max(q);
                let (times, first) = seen.arrivals.entry(q).or_insert((0, buf[..n].to_vec()));
                *times += 1;
                if first[..] != buf[..n] {
                    seen.different += 1;
                }
            }
            let Some(ssrc) = seen.ssrc else { continue };
            // Tessera's sender reports: answered at once (held no time).
            while let Ok(n) = rtcp.recv(&mut buf) {
                if n >= 28 && buf[1] == 200 && u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) == ssrc {
                    let lsr = u32::from_be_bytes([buf[10], buf[11], buf[12], buf[13]]);
                    let rr = receiver_report(me, ssrc, seen.highest, lsr, 0);
                    rtcp.send_to(&rr, ("127.0.0.1", rtcp_port)).unwrap();
                    seen.answered_sr = true;
                }
            }
            // Reports every half second, so that Tessera knows where the phone's RTCP comes from.
            if last_rr.elapsed() >= Duration::from_millis(500) {
                last_rr = Instant::now();
                rtcp.send_to(&receiver_report(me, ssrc, seen.highest, 0, 0), ("127.0.0.1", rtcp_port)).unwrap();
            }
            // After 50 packets, one of them is named in four NACKs, 150 ms apart, plus one
            // 10 ms after the first (too soon): it comes twice more, never a third time.
            if seen.nacked.is_none() && seen.arrivals.len() >= 50 {
                seen.nacked = Some(seen.highest.wrapping_sub(10));
            }
            if let Some(named) = seen.nacked
                && seen.nacks < 5
                && last_nack.elapsed() >= Duration::from_millis(if seen.nacks == 1 { 10 } else { 150 })
            {
                last_nack = Instant::now();
                seen.nacks += 1;
                rtcp.send_to(&nack(me, ssrc, named), ("127.0.0.1", rtcp_port)).unwrap();
            }
            if seen.nacks == 5 && seen.answered_sr && last_nack.elapsed() > Duration::from_secs(1) {
                break;
            }
        }
        // A NACK from another address (a spoofer who knows the ports) is not answered.
        if let Some(ssrc) = seen.ssrc {
            let other = seen.highest.wrapping_sub(20);
            let spoofer = UdpSocket::bind("127.0.0.2:0").unwrap();
            spoofer.send_to(&nack(me, ssrc, other), ("127.0.0.1", rtcp_port)).unwrap();
            seen.spoofed = Some(other);
            let until = Instant::now() + Duration::from_millis(500);
            while Instant::now() < until {
                if let Ok(n) = video.recv(&mut buf)
                    && n >= 12
                {
                    let q = u16::from_be_bytes([buf[2], buf[3]]);
                    seen.arrivals.entry(q).or_insert((0, buf[..n].to_vec())).0 += 1;
                }
            }
        }
        seen
    })
    .await
    .unwrap();
    let log = s.log();
    let named = seen.nacked.unwrap_or_else(|| panic!("too little video arrived to name a packet\n{log}"));
    let (times, _) = &seen.arrivals[&named];
    assert_eq!(*times, 3, "packet {named}: once, then resent twice (the third and early NACKs refused)\n{log}");
    assert_eq!(seen.different, 0, "a resent packet is the packet itself, byte for byte");
    let spoofed = seen.spoofed.unwrap_or_else(|| panic!("no video\n{log}"));
    assert_eq!(seen.arrivals.get(&spoofed).map(|a| a.0), Some(1), "a spoofed NACK had packet {spoofed} resent");
    let metrics = reqwest::get(&s.metrics).await.unwrap().text().await.unwrap();
    let count = |result: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("tessera_sip_retransmissions_total{{result=\"{result}\"}} ")))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    assert_eq!(count("sent"), 2.0, "{metrics}");
    assert_eq!(count("refused"), 3.0, "{metrics}");
    assert!(seen.answered_sr, "Tessera sent the phone no sender report in 25 s\n{log}");
    let rtt = metrics
        .lines()
        .find(|l| l.starts_with("tessera_participant_round_trip_seconds{conference=\"fb\""))
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no round trip for the phone\n{metrics}"));
    assert!((0.0..1.0).contains(&rtt), "a loopback round trip: {rtt}");
}

/// A sender report from `ssrc` (all counts zero): what names the phone's video stream.
fn sender_report(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend(ssrc.to_be_bytes());
    p.extend([0u8; 20]);
    p
}

/// The PLIs (RFC 4585 §6.3.1) in a compound RTCP packet: the stream each names.
fn plis(mut p: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    while p.len() >= 12 && p[0] >> 6 == 2 {
        let len = (usize::from(u16::from_be_bytes([p[2], p[3]])) + 1) * 4;
        if p[1] == 206 && p[0] & 0x1f == 1 {
            out.push(u32::from_be_bytes([p[8], p[9], p[10], p[11]]));
        }
        p = p.get(len..).unwrap_or_default();
    }
    out
}

/// The 8-byte entries (an SSRC, a word) of the RTPFB packets (PT 205) of message type `fmt` in
/// a compound RTCP packet: TMMBR (3) and TMMBN (4), RFC 5104 §4.2.
fn rtpfb_entries(mut p: &[u8], fmt: u8) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    while p.len() >= 12 && p[0] >> 6 == 2 {
        let len = (usize::from(u16::from_be_bytes([p[2], p[3]])) + 1) * 4;
        if p[1] == 205 && p[0] & 0x1f == fmt {
            for e in p.get(12..len).unwrap_or_default().chunks_exact(8) {
                out.push((u32::from_be_bytes([e[0], e[1], e[2], e[3]]), u32::from_be_bytes([e[4], e[5], e[6], e[7]])));
            }
        }
        p = p.get(len..).unwrap_or_default();
    }
    out
}

/// The TMMBRs in a compound RTCP packet: (the stream named, the bit rate: a 17-bit mantissa
/// shifted by a 6-bit exponent).
fn tmmbrs(p: &[u8]) -> Vec<(u32, u64)> {
    rtpfb_entries(p, 3).into_iter().map(|(ssrc, w)| (ssrc, u64::from((w >> 9) & 0x1_ffff) << (w >> 26))).collect()
}

/// A TMMBR from `ssrc` asking the stream it receives for at most 10 Mbit/s (6-bit exponent
/// 7, 17-bit mantissa 78125, 40 bytes of overhead), after an empty receiver report.
fn tmmbr_from(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 201, 0, 1];
    p.extend(ssrc.to_be_bytes());
    p.extend([0x83, 205, 0, 4]);
    p.extend(ssrc.to_be_bytes());
    p.extend([0u8; 8]);
    p.extend(((7u32 << 26) | (78_125 << 9) | 40).to_be_bytes());
    p
}

/// A phone that negotiated PLI and TMMBR and sends real H.264 (GStreamer's x264, one keyframe
/// only). Its own TMMBR gets a TMMBN (a spoofer's gets nothing). Shown, it is asked for the bit
/// rate of the size it is shown at; while the administrator has its camera off its video is not
/// decoded and it is asked for the least bit rate; when the camera is back on Tessera asks it
/// for a keyframe with an RTCP PLI naming its stream, and for the shown size's rate again, at
/// its RTCP address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_is_asked_for_a_keyframe_and_a_bitrate_as_its_picture_is_seen() {
    let Phone { s, api, audio, video, rtcp, answer, video_port, rtcp_port, _sip } =
        phone_in("pli", "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm tmmbr\r\n").await;
    assert!(answer.contains("a=rtcp-fb:96 nack pli"), "PLI answered: {answer}");
    assert!(answer.contains("a=rtcp-fb:96 ccm tmmbr"), "TMMBR answered: {answer}");
    // The phone's camera: moving H.264 from the phone's own video port (as its SDP says).
    let phone_ssrc = 0x0ca4_e7a5_u32;
    let video_from = video.local_addr().unwrap().port();
    drop(video);
    let _camera = tessera_e2e::KillOnDrop(
        std::process::Command::new("gst-launch-1.0")
            .args(["-q", "videotestsrc", "is-live=true", "pattern=ball", "!"])
            .args(["video/x-raw,width=320,height=240,framerate=15/1", "!", "x264enc", "tune=zerolatency"])
            .args(["key-int-max=100000", "!", "rtph264pay", "pt=96", "config-interval=-1"])
            .arg(format!("ssrc={phone_ssrc}"))
            .args(["!", "udpsink", "host=127.0.0.1"])
            .arg(format!("port={video_port}"))
            .arg(format!("bind-port={video_from}"))
            .spawn()
            .expect("gst-launch-1.0 (gstreamer1.0-tools)"),
    );
    // Its RTCP: a sender report every half second; what Tessera sends back is kept.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let rates = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(u32, u64)>::new()));
    let notified = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(u32, u32)>::new()));
    let phone = std::thread::spawn({
        let (stop, heard, rates, notified) = (stop.clone(), heard.clone(), rates.clone(), notified.clone());
        move || {
            let _audio = audio;
            rtcp.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
            let mut buf = vec![0u8; 2048];
            let mut last = Instant::now() - Duration::from_secs(1);
            let mut reports = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if last.elapsed() >= Duration::from_millis(500) {
                    last = Instant::now();
                    reports += 1;
                    // Its fourth report comes with a bit-rate request of its own.
                    let mut p = sender_report(phone_ssrc);
                    if reports == 4 {
                        p.extend(tmmbr_from(phone_ssrc));
                    }
                    rtcp.send_to(&p, ("127.0.0.1", rtcp_port)).unwrap();
                }
                if let Ok(n) = rtcp.recv(&mut buf) {
                    heard.lock().unwrap().extend(plis(&buf[..n]));
                    rates.lock().unwrap().extend(tmmbrs(&buf[..n]));
                    notified.lock().unwrap().extend(rtpfb_entries(&buf[..n], 4));
                }
            }
        }
    });
    let counter = |metrics: &str, name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let scrape = || async { reqwest::get(&s.metrics).await.unwrap().text().await.unwrap() };
    let (_, live) = api.get("/api/v1/conferences/pli/live").await;
    let me = live["participants"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["kind"] == "rtp"))
        .map(|p| p["id"].clone())
        .unwrap_or_else(|| panic!("the phone is not in the room: {live}"));
    // Waits (at most `secs`) for a rate request after the `from`th that `ok` accepts.
    let asked = |from: usize, secs: u64, ok: fn(u64) -> bool| {
        let rates = rates.clone();
        async move {
            let start = Instant::now();
            loop {
                if let Some(r) = rates.lock().unwrap()[from..].iter().map(|r| r.1).find(|r| ok(*r)) {
                    return Some(r);
                }
                if start.elapsed() > Duration::from_secs(secs) {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    // The phone's picture is seen (and decoded) for a while, and its sender reports arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let shown = asked(0, 5, |r| r > 64_000).await;
    assert!(shown.is_some(), "the shown phone was asked for a bit rate: {:?}\n{}", rates.lock().unwrap(), s.log());
    // The rate of the size the live view says it is shown at (1.65 bits per pixel per second),
    // to within the 17-bit mantissa's rounding down.
    let (_, live) = api.get("/api/v1/conferences/pli/live").await;
    let at =
        live["participants"].as_array().and_then(|ps| ps.iter().find(|p| p["id"] == me)).map(|p| p["shown_at"].clone());
    let side = |k: &str| at.as_ref().and_then(|a| a[k].as_u64()).unwrap_or(0);
    let expected = side("width") * side("height") * 33 / 20;
    let got = shown.unwrap_or(0);
    assert!(got <= expected && expected - got <= expected >> 16, "asked {got} for a picture shown at {at:?}");
    let pli_before = heard.lock().unwrap().len();
    let rates_before = rates.lock().unwrap().len();
    api.ok("pli", serde_json::json!({"action": "device", "participant": me, "camera": false})).await;
    // Not shown for 3 s: the least rate.
    let unseen = asked(rates_before, 10, |r| r == 64_000).await;
    assert!(unseen.is_some(), "the unseen phone was asked for 64 kbit/s: {:?}\n{}", rates.lock().unwrap(), s.log());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let m = scrape().await;
    let hidden = counter(&m, "tessera_media_frames_not_decoded_total");
    assert!(hidden >= 10.0, "the phone's unseen video was left undecoded: {hidden}\n{}", s.log());
    let rates_hidden = rates.lock().unwrap().len();
    api.ok("pli", serde_json::json!({"action": "device", "participant": me, "camera": true})).await;
    let start = Instant::now();
    while heard.lock().unwrap().len() == pli_before && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = asked(rates_hidden, 5, |r| r > 64_000).await;
    // A spoofer who knows the RTCP port sends TMMBRs from another address: nothing answers
    // them, neither to it nor to the phone (which counts its TMMBNs below).
    let spoofer = UdpSocket::bind("127.0.0.2:0").unwrap();
    for _ in 0..3 {
        spoofer.send_to(&tmmbr_from(0x0bad_0bad), ("127.0.0.1", rtcp_port)).unwrap();
    }
    spoofer.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut buf = [0u8; 1500];
    assert!(spoofer.recv(&mut buf).is_err(), "a spoofed TMMBR was answered");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    phone.join().unwrap();
    let plis = heard.lock().unwrap().clone();
    assert!(plis.len() > pli_before, "no PLI reached the phone after its picture was seen again\n{}", s.log());
    assert!(plis.iter().all(|s| *s == phone_ssrc), "a PLI names the phone's stream: {plis:x?}");
    assert_eq!(again, shown, "seen again: the shown size's rate at once");
    let rates = rates.lock().unwrap().clone();
    assert!(rates.iter().all(|r| r.0 == phone_ssrc), "a TMMBR names the phone's stream: {rates:x?}");
    // The phone's own request was answered: a TMMBN naming it, with the rate it asked for.
    let notified = notified.lock().unwrap().clone();
    assert_eq!(notified, vec![(phone_ssrc, (7 << 26) | (78_125 << 9) | 40)], "one TMMBN for the phone's one TMMBR");
    let m = scrape().await;
    assert!(counter(&m, "tessera_sip_keyframe_requests_sent_total") >= 1.0, "{m}");
    assert!(counter(&m, "tessera_sip_bitrate_requests_sent_total") >= 3.0, "{m}");
}
