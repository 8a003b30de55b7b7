//! Every Prometheus metric Tessera exports, with its HELP text, described to the recorder at
//! start-up; `_seconds` histograms get explicit buckets, so Prometheus can aggregate them across
//! servers and compute quantiles over any window. A test checks that every metric the code
//! records is here, with the right kind.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

use Kind::{Counter, Gauge, Histogram};

pub const CATALOGUE: &[(Kind, &str, &str)] = &[
    (Counter, "tessera_acme_orders_total", "Certificate orders to the ACME CA, by result."),
    (Counter, "tessera_chat_file_bytes_total", "Bytes of files sent in conference chats."),
    (Counter, "tessera_chat_files_total", "Files sent in conference chats, by result."),
    (Counter, "tessera_chat_messages_total", "Chat messages sent in conferences."),
    (Counter, "tessera_conferences_scheduled_total", "Conferences created from the scheduling form or API."),
    (Counter, "tessera_http_requests_total", "HTTP requests, by method, route and status."),
    (Counter, "tessera_invitations_total", "Email invitations and join links, by result (sent, failed)."),
    (Counter, "tessera_lockouts_total", "Accounts locked after failed sign-ins."),
    (Counter, "tessera_media_audio_samples_dropped_total", "Audio samples dropped because a source sent too many."),
    (Counter, "tessera_media_compose_errors_total", "Frames the compositor could not compose."),
    (Counter, "tessera_media_frames_composed_total", "Video frames composed for the outputs."),
    (
        Counter,
        "tessera_media_frames_received_total",
        "Video frames of participants (decoded, or synthetic) handed to the compositor.",
    ),
    (
        Counter,
        "tessera_media_frames_not_decoded_total",
        "Participants' video frames not decoded because no output anyone receives shows them.",
    ),
    (Counter, "tessera_media_frames_skipped_total", "Output frames skipped because the compositor fell behind."),
    (
        Counter,
        "tessera_media_frames_skipped_unwatched_total",
        "Frames not composed because nobody watches that output.",
    ),
    (Counter, "tessera_media_keyframe_requests_total", "Keyframes requested of the shared encoders."),
    (
        Counter,
        "tessera_stream_push_failures_total",
        "Attempts to stream a conference to a platform (RTMP, RTMPS, SRT) that failed and will be tried again.",
    ),
    (
        Counter,
        "tessera_cluster_leases_refused_total",
        "Conferences not started here because another node holds their lease.",
    ),
    (Counter, "tessera_cluster_heartbeat_failures_total", "Heartbeats that failed to reach the database."),
    (Counter, "tessera_hls_segments_total", "HLS segments made by conferences' HLS outputs."),
    (Counter, "tessera_hls_segments_served_total", "HLS segments and initialization segments served."),
    (
        Counter,
        "tessera_hls_refused_total",
        "HLS requests refused: a wrong key, or a conference without a running HLS output.",
    ),
    (
        Counter,
        "tessera_media_keyframes_asked_total",
        "Keyframes asked of participants' senders, when their picture is seen again.",
    ),
    (
        Counter,
        "tessera_media_tier_changes_total",
        "Receivers (browsers, SIP phones) moved to another quality tier by their link's reports (label to: full, half, quarter).",
    ),
    (
        Counter,
        "tessera_media_tier_outputs_started_total",
        "Outputs started for a layout, codec and quality tier (label tier: full, half, quarter).",
    ),
    (Counter, "tessera_media_rtp_dropped_total", "RTP packets dropped before decoding (not RTP, wrong payload type)."),
    (
        Counter,
        "tessera_media_rtp_foreign_total",
        "RTP packets dropped because they came from someone else than the participant.",
    ),
    (Counter, "tessera_devices_hotplug_total", "Devices attached to the server that appeared or vanished, by change."),
    (Counter, "tessera_media_timeouts_total", "Participants removed because their media stopped."),
    (Counter, "tessera_pin_alarms_total", "Conferences whose PIN was guessed at too often."),
    (Counter, "tessera_pin_checks_total", "PIN checks, by result."),
    (Counter, "tessera_recording_downloads_total", "Recordings downloaded."),
    (Counter, "tessera_registrations_total", "Webinar sign-ups."),
    (
        Counter,
        "tessera_retention_removed_total",
        "Recordings and history rows removed by the retention policy, by kind.",
    ),
    (Counter, "tessera_sign_ins_total", "Sign-ins to the personal area, by result."),
    (Counter, "tessera_sip_auth_total", "SIP digest authentications, by result."),
    (Counter, "tessera_sip_calls_total", "SIP calls into conferences, by result."),
    (Counter, "tessera_h323_calls_total", "H.323 calls into conferences, by result."),
    (Counter, "tessera_h323_ras_total", "H.323 gatekeeper (RAS) datagrams, by what became of them."),
    (Counter, "tessera_h323_auth_total", "H.323 registration and admission passwords (H.235.1) checked, by result."),
    (Counter, "tessera_sip_dial_outs_total", "Calls the server placed (dial-out), by result."),
    (
        Counter,
        "tessera_media_ports_exhausted_total",
        "Media sockets refused because every port of media.rtp_ports was in use.",
    ),
    (
        Counter,
        "tessera_media_concealed_packets_total",
        "G.711 packets lost in the network and concealed (the last one played again, fading).",
    ),
    (
        Counter,
        "tessera_h323_dial_outs_total",
        "Calls the server placed over H.323 (to h323: addresses and registered endpoints).",
    ),
    (
        Counter,
        "tessera_sip_media_refused_total",
        "Times a call's media was not sent where its SDP asked (not proven yet).",
    ),
    (Counter, "tessera_sip_messages_total", "SIP messages received, by transport and outcome."),
    (Counter, "tessera_sip_user_calls_total", "SIP calls between registered users."),
    (Counter, "tessera_user_calls_total", "Calls between users started from the personal area."),
    (Counter, "tessera_webrtc_join_failures_total", "Browser joins that failed, by reason."),
    (Counter, "tessera_webrtc_joins_total", "Browsers that joined a conference."),
    (Counter, "tessera_webrtc_keyframe_requests_total", "Keyframe requests from browsers (RTCP PLI or FIR)."),
    (
        Counter,
        "tessera_webrtc_retransmissions_refused_total",
        "Packets a browser's NACK asked for that were not resent (asked again too soon or too often, or over the budget).",
    ),
    (
        Counter,
        "tessera_sip_retransmissions_total",
        "Video packets SIP phones' NACKs named, by result: sent again, refused (too soon, too often, over the budget) or unknown (too old, another stream's).",
    ),
    (Counter, "tessera_sip_rtcp_reports_sent_total", "RTCP sender reports Tessera sent SIP phones."),
    (Counter, "tessera_sip_keyframe_requests_sent_total", "RTCP PLI or FIR Tessera sent SIP phones."),
    (
        Counter,
        "tessera_sip_bitrate_requests_sent_total",
        "RTCP TMMBR Tessera sent SIP phones: the bit rate of the size their picture is shown at.",
    ),
    (Gauge, "tessera_acme_renewal_failing", "1 while obtaining or renewing the ACME certificate fails."),
    (Gauge, "tessera_manager_pages", "Conference manager pages open."),
    (Gauge, "tessera_media_encoders", "Shared encoders running."),
    (Gauge, "tessera_sip_calls", "SIP calls in progress."),
    (Gauge, "tessera_sip_registrations", "SIP phones registered."),
    (Gauge, "tessera_tls_certificate_expiry_timestamp_seconds", "When the HTTPS certificate expires (Unix time)."),
    (Gauge, "tessera_webrtc_pages", "Conference pages connected to a conference."),
    (Gauge, "tessera_webrtc_peers", "WebRTC peer connections."),
    (
        Histogram,
        "tessera_cluster_heartbeat_seconds",
        "Time for a heartbeat (the node's row and its leases) to be written.",
    ),
    (Histogram, "tessera_http_request_duration_seconds", "Time to answer HTTP requests, by route."),
    (Histogram, "tessera_sip_join_seconds", "Time from a SIP call's answer to its joining the conference."),
    (Histogram, "tessera_sip_user_call_seconds", "Time for a call between registered users to be answered."),
    (Histogram, "tessera_webrtc_answer_seconds", "Time to answer a browser's offer."),
];

/// The process metrics Prometheus' client libraries export under these names, with their help;
/// set from `/proc` at each scrape ([`sample_process`]).
const PROCESS: &[(Kind, &str, &str)] = &[
    (Counter, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds."),
    (Gauge, "process_resident_memory_bytes", "Resident memory size in bytes."),
    (Gauge, "process_virtual_memory_bytes", "Virtual memory size in bytes."),
    (Gauge, "process_open_fds", "Number of open file descriptors."),
    (Gauge, "process_max_fds", "Maximum number of open file descriptors."),
    (Gauge, "process_threads", "Number of OS threads in the process."),
    (Gauge, "process_start_time_seconds", "Start time of the process since the Unix epoch in seconds."),
    (Gauge, "tessera_build_info", "Always 1; the version of the running server is its label."),
];

/// The buckets of every `_seconds` histogram: 1 ms to 30 s.
const BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The recorder's builder with the buckets.
pub fn builder() -> anyhow::Result<PrometheusBuilder> {
    Ok(PrometheusBuilder::new().set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?)
}

/// Describes every metric to the installed recorder (its HELP line).
pub fn describe() {
    for &(kind, name, help) in CATALOGUE.iter().chain(PROCESS) {
        match kind {
            Counter => metrics::describe_counter!(name, help),
            Gauge => metrics::describe_gauge!(name, help),
            Histogram => metrics::describe_histogram!(name, help),
        }
    }
}

/// Sets the process metrics from `/proc/self` (Linux); what cannot be read is left out.
pub fn sample_process() {
    let ticks = 100.0; // USER_HZ
    let page = 4096.0;
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let num = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    // After the name: utime 11, stime 12, threads 17, starttime 19 (ticks since boot), vsize 20,
    // rss 21 (pages).
    if let (Some(u), Some(s)) = (num(11), num(12)) {
        metrics::counter!("process_cpu_seconds_total").absolute(((u + s) / ticks) as u64);
    }
    if let Some(t) = num(17) {
        metrics::gauge!("process_threads").set(t);
    }
    if let Some(v) = num(20) {
        metrics::gauge!("process_virtual_memory_bytes").set(v);
    }
    if let Some(r) = num(21) {
        metrics::gauge!("process_resident_memory_bytes").set(r * page);
    }
    let boot = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("btime ")).and_then(|v| v.trim().parse::<f64>().ok()));
    if let (Some(b), Some(start)) = (boot, num(19)) {
        metrics::gauge!("process_start_time_seconds").set(b + start / ticks);
    }
    if let Ok(d) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(d.count() as f64);
    }
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let max = limits.lines().find(|l| l.starts_with("Max open files")).and_then(|l| l.split_whitespace().nth(3));
    if let Some(m) = max.and_then(|m| m.parse::<f64>().ok()) {
        metrics::gauge!("process_max_fds").set(m);
    }
    metrics::gauge!("tessera_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `metrics::counter!/gauge!/histogram!("tessera_…")` in the sources is catalogued
    /// with its kind, and nothing catalogued is gone from the code.
    #[test]
    fn every_recorded_metric_is_catalogued() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let mut found = std::collections::BTreeSet::new();
        let mut stack = vec![root.join("daemon/src"), root.join("web/src")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for (kind, mac) in [(Counter, "counter!("), (Gauge, "gauge!("), (Histogram, "histogram!(")] {
                        for part in text.split(&format!("metrics::{mac}")).skip(1) {
                            let name = part.trim_start().trim_start_matches('"');
                            let name: String =
                                name.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                            if name.starts_with("tessera_") {
                                found.insert((name, kind));
                            }
                        }
                    }
                }
            }
        }
        for (name, kind) in &found {
            assert!(
                CATALOGUE.iter().chain(PROCESS).any(|(k, n, _)| n == name && k == kind),
                "{name} ({kind:?}) is recorded but not in the catalogue"
            );
        }
        for (kind, name, _) in CATALOGUE {
            assert!(found.contains(&(name.to_string(), *kind)), "{name} is catalogued but never recorded");
        }
    }

    /// Every metric the Grafana dashboard queries is one the server exports.
    #[test]
    fn the_dashboard_queries_only_exported_metrics() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let text = std::fs::read_to_string(root.join("docs/grafana/tessera.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut exprs = Vec::new();
        for p in doc["panels"].as_array().unwrap() {
            for t in p["targets"].as_array().unwrap() {
                exprs.push(t["expr"].as_str().unwrap().to_string());
            }
        }
        for q in doc["templating"]["list"].as_array().unwrap() {
            if let Some(q) = q["query"].as_str().filter(|q| q.contains('(')) {
                exprs.push(q.to_string());
            }
        }
        assert!(exprs.len() >= 10, "{exprs:?}");
        let known = |n: &str| CATALOGUE.iter().chain(PROCESS).any(|(_, m, _)| *m == n);
        for e in &exprs {
            let mut named = 0;
            for word in e.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if !(word.starts_with("tessera_") || word.starts_with("process_")) {
                    continue;
                }
                let base = ["_bucket", "_sum", "_count"].iter().find_map(|s| word.strip_suffix(s).filter(|b| known(b)));
                assert!(known(word) || base.is_some(), "the dashboard queries {word}, which is not exported: {e}");
                named += 1;
            }
            assert!(named > 0, "a query names no metric: {e}");
        }
    }
}
