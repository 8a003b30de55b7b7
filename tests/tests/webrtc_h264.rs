//! H.264 to browsers (Safari and hardware decoders need it): a page whose offer prefers H.264
//! (`?video=h264`) decodes H.264 from Tessera and sends H.264, while a page with Chromium's own
//! order (VP8 first) in the same room keeps VP8 — each browser's codec is negotiated on its own
//! (`browser/h264.mjs`, Chromium's `getStats()`).

use tessera_e2e::{Server, browser_scenario};

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_that_prefers_h264_decodes_h264() {
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    s.admin_ok(&["conference", "add", "tv", "--name", "TV room", "--owner", "admin", "--room", "--public"], "");
    let dir = tempfile::tempdir().unwrap();
    let y4m = tessera_e2e::media::camera_y4m(dir.path());
    let vars =
        [("BASE", s.base.as_str()), ("CONF", "tv"), ("Y4M", y4m.to_str().unwrap()), ("METRICS", s.metrics.as_str())];
    let r = browser_scenario(&s, "h264", &vars).await;
    assert_eq!(r["h264"]["inCodec"], "video/H264", "{r:#}");
    assert_eq!(r["h264"]["outCodec"], "video/H264", "the browser sends what it receives: {r:#}");
    assert_eq!(r["vp8"]["inCodec"], "video/VP8", "{r:#}");
    assert!(r["h264"]["framesDecoded"].as_u64().unwrap() >= 30, "{r:#}");
    assert!(s.log().contains("WebRTC: browser joined"), "{}", s.log());
    // Both guests are in the room, and their media is encrypted (DTLS-SRTP).
    let guests: Vec<&serde_json::Value> =
        r["participants"].as_array().unwrap().iter().filter(|p| p["kind"] == "webrtc").collect();
    assert_eq!(guests.len(), 2, "{r:#}");
    assert!(guests.iter().all(|p| p["encrypted"] == true), "{r:#}");
    // Per-participant media figures on /metrics, labelled by conference and participant.
    let lines: Vec<&str> = r["metrics"].as_array().unwrap().iter().filter_map(|l| l.as_str()).collect();
    for g in &guests {
        let label = format!("{{conference=\"tv\",participant=\"{}\"}}", g["id"]);
        let rate = lines
            .iter()
            .find(|l| l.starts_with("tessera_participant_receive_bits_per_second{") && l.contains(&label))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok());
        assert!(rate.is_some_and(|r| r > 10_000.0), "{label} sends media: {lines:#?}");
        assert!(
            lines.iter().any(|l| l.starts_with("tessera_participant_jitter_seconds{") && l.contains(&label)),
            "{lines:#?}"
        );
        // The round trip on loopback: well under a second.
        let rtt = lines
            .iter()
            .find(|l| l.starts_with("tessera_participant_round_trip_seconds{") && l.contains(&label))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok());
        assert!(rtt.is_some_and(|r| (0.0..0.5).contains(&r)), "{label}'s round trip: {lines:#?}");
    }
}
