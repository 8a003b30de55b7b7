//! Start-up with no configuration, a bad configuration, the first administrator, and a clean
//! stop on SIGTERM.

use tessera_e2e::Server;

#[tokio::test]
async fn first_start_creates_admin_and_sigterm_stops_cleanly() {
    // No TESSERA_ADMIN_PASSWORD: a generated password lands in a private file.
    let mut s = Server::start_with(&["--demo"], &[("TESSERA_ADMIN_PASSWORD", "")]);
    let log = s.log();
    assert!(log.contains("personal area at http://127.0.0.1:"), "{log}");
    // The H.264 encoder outputs use, and why (`media.video_encoder = "auto"`).
    assert!(log.contains("h264_encoder="), "{log}");
    if !has_vaapi_encoder() {
        assert!(log.contains("no hardware H.264 encoder: outputs use x264"), "{log}");
        assert!(log.contains("h264_encoder=\"x264 (software)\""), "{log}");
    }
    let pw_file = s.dir.path().join("data/initial-admin-password");
    let meta = std::fs::metadata(&pw_file).expect("initial-admin-password written");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let pw = std::fs::read_to_string(&pw_file).unwrap().trim().to_string();
    assert!(pw.len() >= 16);
    assert!(!log.contains(&pw), "the password must never be logged");

    let (c, _) = s.sign_in("admin", &pw).await;
    let home: serde_json::Value = c.get(format!("{}/api/v1/home", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(home["rights"].as_array().unwrap().len(), 9);
    assert_eq!(home["license"]["kind"], "permanent");
    assert_eq!(home["rooms"][0]["id"], "demo", "the demo room exists: {home}");
    assert_eq!(home["rooms"][0]["access"], "public");

    let metrics = c.get(s.metrics.clone()).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("tessera_sign_ins_total{result=\"success\"} 1"), "{metrics}");
    // HELP for what is exported, and request times as a histogram Prometheus can aggregate.
    assert!(metrics.contains("# HELP tessera_sign_ins_total Sign-ins to the personal area"), "{metrics}");
    assert!(metrics.contains("tessera_http_request_duration_seconds_bucket{"), "{metrics}");
    // Process metrics under their usual names, and the version.
    for name in
        ["process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ", "process_threads "]
    {
        assert!(metrics.contains(&format!("\n{name}")), "{name}: {metrics}");
    }
    assert!(
        metrics.contains(&format!("tessera_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"))),
        "{metrics}"
    );
    for line in metrics.lines().filter(|l| l.starts_with("# TYPE tessera_")) {
        let name = line.split(' ').nth(2).unwrap_or_default();
        assert!(metrics.contains(&format!("# HELP {name} ")), "{name} has no HELP");
    }
    let doc: serde_json::Value =
        c.get(format!("{}/api/v1/openapi.json", s.base)).send().await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/api/v1/session"]["post"].is_object());

    let status = s.stop();
    assert!(status.success(), "exit status {status:?}; log:\n{}", s.log());
    assert!(s.log().contains("Tessera stopped"));
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let o = tessera_e2e::tessera_cmd().args(args).envs(env.iter().copied()).output().unwrap();
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn bad_configuration_stops_start_up_with_a_precise_message() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tessera.toml");
    std::fs::write(&cfg, "[http]\nlisten = \"127.0.0.1:0\"\nlisen = \"oops\"\n").unwrap();
    let (ok, out) = run(&["serve", "--config", cfg.to_str().unwrap()], &[]);
    assert!(!ok);
    assert!(out.contains("line 3") && out.contains("lisen"), "{out}");

    std::fs::write(&cfg, "[session]\nidle_timeout_minutes = 0\n").unwrap();
    let (ok, out) = run(&["check-config", "--config", cfg.to_str().unwrap()], &[]);
    assert!(!ok);
    assert!(out.contains("session.idle_timeout_minutes"), "{out}");

    let (ok, out) = run(&["check-config"], &[("TESSERA_HTTP_LISTEN", "everywhere")]);
    assert!(!ok);
    assert!(out.contains("TESSERA_HTTP_LISTEN"), "{out}");

    // The media keys a firewall and a NAT need.
    for (key, value, said) in [
        ("TESSERA_RTP_PORTS", "20000-10000", "media.rtp_ports"),
        ("TESSERA_RTP_PORTS", "10000-10003", "at least 8"),
        ("TESSERA_EXTERNAL_ADDRESS", "nat.example.org", "media.external_address"),
        ("TESSERA_DSCP_AUDIO", "64", "media.dscp_audio"),
        ("TESSERA_VIDEO_ENCODER", "nvenc", "media.video_encoder"),
    ] {
        let (ok, out) = run(&["check-config"], &[(key, value)]);
        assert!(!ok && out.contains(said), "{key}={value}: {out}");
    }

    let (ok, out) = run(&["check-config"], &[("TESSERA_DATABASE_URL", "mysql://root:hunter2@db/x")]);
    assert!(!ok);
    assert!(out.contains("database.url") && !out.contains("hunter2"), "{out}");

    std::fs::write(&cfg, "# all defaults\n").unwrap();
    let (ok, out) = run(&["check-config", "--config", cfg.to_str().unwrap()], &[]);
    assert!(ok, "{out}");
}

/// Whether GStreamer lists a VA-API H.264 encoder here (only where a VA driver opens graphics).
fn has_vaapi_encoder() -> bool {
    std::process::Command::new("gst-inspect-1.0")
        .arg("vah264enc")
        .output()
        .expect("gst-inspect-1.0 (gstreamer1.0-tools)")
        .status
        .success()
}

/// `media.video_encoder = "vaapi"` on a machine without VA-API: start-up stops and says what
/// is missing (where the hardware is there, the demo start above shows it chosen).
#[test]
fn a_required_hardware_encoder_that_is_missing_stops_start_up() {
    if has_vaapi_encoder() {
        eprintln!("this machine has a VA-API encoder: the refusal is not tried");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let (ok, out) = run(
        &["serve"],
        &[
            ("TESSERA_VIDEO_ENCODER", "vaapi"),
            ("TESSERA_DATA_DIR", &data),
            ("TESSERA_HTTP_LISTEN", "127.0.0.1:0"),
            ("TESSERA_SIP_LISTEN", ""),
            ("TESSERA_RTSP_LISTEN", ""),
            ("TESSERA_METRICS_LISTEN", ""),
            ("TESSERA_ADMIN_PASSWORD", "admin-password"),
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("media.video_encoder") && out.contains("vah264enc") && out.contains("intel-media-va-driver"),
        "{out}"
    );
}

/// Logs for journald carry each line's priority (so `journalctl -p warning` finds warnings);
/// `log.format = "json"` gives one JSON object per line; and whatever the format, the passwords
/// and tokens a run used never appear in it.
#[tokio::test]
async fn logs_carry_priorities_or_json_and_no_secret() {
    let s = Server::start_with(&[], &[("JOURNAL_STREAM", "8:12345")]);
    let log = s.log();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.iter().all(|l| l.starts_with('<')), "every line has a priority:\n{log}");
    assert!(lines.iter().any(|l| l.starts_with("<6>") && l.contains("personal area at")), "{log}");
    assert!(lines.iter().any(|l| l.starts_with("<4>") && l.contains("first start")), "warnings are <4>:\n{log}");
    drop(s);

    let s = Server::start_with(&[], &[("TESSERA_LOG_FORMAT", "json")]);
    s.add_user("alice", "alice-secret-password");
    let (c, csrf) = s.sign_in("alice", "alice-secret-password").await;
    // A failed sign-in and a password change too: neither password may be logged.
    let _ = reqwest::Client::new()
        .post(format!("{}/api/v1/session", s.base))
        .json(&serde_json::json!({"login": "alice", "password": "a-wrong-guess-password"}))
        .send()
        .await
        .unwrap();
    let r = c
        .post(format!("{}/api/v1/me/password", s.base))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"current_password": "alice-secret-password", "new_password": "alice-new-password"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let log = s.log();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string() && v["fields"]["message"].is_string(), "{line}");
    }
    assert!(log.contains("\"personal area at"), "{log}");
    // What a request logs carries its id, which the answer repeats.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/session", s.base))
        .json(&serde_json::json!({"login": "alice", "password": "alice-new-password"}))
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let log = s.log();
    let line = log.lines().find(|l| l.contains(&id)).unwrap_or_else(|| panic!("no line of request {id}:\n{log}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["span"]["route"], "/api/v1/session", "{line}");
    for secret in [
        "admin-password",
        "alice-secret-password",
        "a-wrong-guess-password",
        "alice-new-password",
        "another-wrong-guess",
        &csrf,
    ] {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
    let (bad, out) = run(&["check-config"], &[("TESSERA_LOG_FORMAT", "xml")]);
    assert!(!bad && out.contains("log.format"), "{out}");
}

/// The version, shell completions and the manual page come from the command line's own
/// definition, without a configuration.
#[test]
fn version_completions_and_manual_page() {
    let env = [("TESSERA_HTTP_LISTEN", "not an address")];
    let (ok, out) = run(&["--version"], &env);
    assert!(ok && out.trim() == format!("tessera {}", env!("CARGO_PKG_VERSION")), "{out}");
    let (ok, out) = run(&["completions", "bash"], &env);
    assert!(ok && out.contains("complete -F _tessera") && out.contains("check-config"), "{out}");
    let (ok, out) = run(&["man"], &env);
    assert!(ok && out.contains(".TH tessera 1") && out.contains("admin"), "{out}");
    let (ok, out) = run(&["completions", "cmd.exe"], &env);
    assert!(!ok && out.contains("invalid value"), "{out}");
}
