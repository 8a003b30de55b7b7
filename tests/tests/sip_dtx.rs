//! Opus discontinuous transmission, as negotiated (RFC 7587's `usedtx`): a phone whose offer
//! asks for it gets a silent conference as a comfort-noise packet every 400 ms, while a phone
//! that does not ask gets a packet every 20 ms, silence or not. Against the real binary.

use std::net::UdpSocket;
use std::time::{Duration, Instant};
use tessera_e2e::live_api::{Api, synthetic};
use tessera_e2e::sip::invite_sdp;

/// Calls `conference` offering Opus (with `fmtp`) from a fresh socket, acknowledges the answer,
/// and counts the audio packets that arrive over the three seconds after the first.
fn opus_packets_in_three_seconds(sip_port: u16, conference: &str, call_id: &str, fmtp: &str) -> usize {
    let audio = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio {} RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 {fmtp}\r\n",
        audio.local_addr().unwrap().port()
    );
    let (code, answer) = invite_sdp(&sip, sip_port, conference, call_id, &sdp, "");
    assert_eq!(code, 200, "{answer}");
    assert!(answer.contains("usedtx=1"), "Tessera asks for DTX too: {answer}");
    tessera_e2e::sip::ack(&sip, sip_port, conference, call_id, &answer);
    let media_port = answer
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("{answer}"));
    // The phone speaks first (an Opus packet of silence), so that Tessera learns where it is.
    let hello = [0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0xf8, 0xff, 0xfe];
    audio.send_to(&hello, ("127.0.0.1", media_port)).unwrap();
    audio.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 2048];
    audio.recv(&mut buf).unwrap_or_else(|e| panic!("no audio within 5 s: {e}"));
    // A second for the encoder to settle into silence, then three seconds counted.
    let settle = Instant::now() + Duration::from_secs(1);
    let end = settle + Duration::from_secs(3);
    let mut count = 0;
    audio.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    while Instant::now() < end {
        if audio.recv(&mut buf).is_ok() && Instant::now() >= settle {
            count += 1;
        }
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_asks_for_dtx_gets_silence_as_comfort_noise_only() {
    let s = tessera_e2e::Server::start();
    s.admin_ok(&["conference", "add", "quiet", "--name", "Quiet", "--owner", "admin", "--room", "--public"], "");
    let api = Api::new(&s, "admin", "admin-password").await;
    // A silent camera: the mix each phone gets is silence.
    api.ok("quiet", synthetic("Camera", (20, 20, 20), 0)).await;
    let port = s.sip_port;
    let (dtx, plain) = tokio::task::spawn_blocking(move || {
        let dtx = opus_packets_in_three_seconds(port, "quiet", "dtx-1", "useinbandfec=1;usedtx=1");
        let plain = opus_packets_in_three_seconds(port, "quiet", "plain-1", "useinbandfec=1");
        (dtx, plain)
    })
    .await
    .unwrap();
    eprintln!("silence in 3 s: {dtx} packets with DTX, {plain} without");
    // DTX: about 2.5 a second (one per 400 ms); without: 50 a second.
    assert!(dtx < 40, "{dtx} packets in 3 s of silence with DTX\n{}", s.log());
    assert!(plain > 100, "{plain} packets in 3 s without DTX\n{}", s.log());
}
