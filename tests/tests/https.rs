//! HTTPS as a LAN trial sets it up (`http.tls = "self-signed"`), seen from another machine: in a
//! network namespace the test creates, the server listens on a LAN address (one end of a veth
//! pair whose both ends are in the namespace, 10.77.0.1: it reaches nothing outside). `openssl s_client` verifies the chain against the CA
//! downloaded over plain HTTP; Chromium, trusting that CA, is redirected from http:// to https://,
//! gets a secure context, joins the demo room with its fake camera and decodes frames. SIP over
//! TLS, given no certificate of its own, presents the same one.

use tessera_e2e::netns::{Netns, browser_server_env};
use tessera_e2e::{free_port, run_browser_in};

const LAN: &str = "10.77.0.1";

fn sh(ns: &Netns, script: &str) -> std::process::Output {
    ns.cmd(&["sh", "-c", script]).output().expect("sh")
}

#[test]
fn a_lan_machine_joins_the_demo_over_https_with_the_servers_own_ca() {
    let ns = Netns::new(&format!("tessera-tls-{}", std::process::id()));
    // A veth pair with both ends in the namespace: a LAN address that leads nowhere else.
    ns.run(&["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"]);
    ns.run(&["ip", "addr", "add", &format!("{LAN}/24"), "dev", "lan0"]);
    ns.run(&["ip", "link", "set", "lan0", "up"]);
    ns.run(&["ip", "link", "set", "lan1", "up"]);
    let dir = tempfile::tempdir().unwrap();
    let (http, https, rtsp, sips) = (free_port(), free_port(), free_port(), free_port());
    let mut env = browser_server_env(dir.path(), http, rtsp, "320x180");
    for (k, v) in [
        ("TESSERA_HTTP_LISTEN", format!("0.0.0.0:{http}")),
        ("TESSERA_HTTP_TLS", "self-signed".into()),
        ("TESSERA_HTTP_TLS_LISTEN", format!("0.0.0.0:{https}")),
        ("TESSERA_WEBRTC_ICE_ADDRESSES", LAN.into()),
        // SIP over TLS with no certificate of its own: the personal area's.
        ("TESSERA_SIP_TLS_LISTEN", format!("0.0.0.0:{sips}")),
    ] {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v));
    }
    let log = dir.path().join("server.log");
    let env_refs: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let _server = ns.serve(&["--demo"], &env_refs, &log);
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    let t0 = std::time::Instant::now();
    while !(text().contains("personal area at https://") && text().contains("demo room running")) {
        assert!(t0.elapsed().as_secs() < 60, "the server did not start:\n{}", text());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // The CA, downloaded over plain HTTP, is the one whose fingerprint the log printed.
    let ca = dir.path().join("ca.pem");
    let o = sh(&ns, &format!("curl -fsS -o {} http://{LAN}:{http}/tls/ca.pem", ca.display()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fp = sh(&ns, &format!("openssl x509 -in {} -noout -fingerprint -sha256", ca.display()));
    let fp = String::from_utf8_lossy(&fp.stdout).trim().rsplit('=').next().unwrap_or_default().to_string();
    assert!(fp.len() == 95 && text().contains(&format!("fingerprint={fp}")), "{fp}\n{}", text());

    // openssl verifies the chain for the LAN address against that CA alone.
    let o = sh(
        &ns,
        &format!(
            "echo | openssl s_client -connect {LAN}:{https} -CAfile {} -verify_ip {LAN} -verify_return_error -showcerts 2>&1",
            ca.display()
        ),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert!(out.contains("Tessera local CA"), "the chain names the CA: {out}");
    // SIP over TLS presents the same certificate.
    let o = sh(
        &ns,
        &format!(
            "echo | openssl s_client -connect {LAN}:{sips} -CAfile {} -verify_ip {LAN} -verify_return_error 2>&1",
            ca.display()
        ),
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Verify return code: 0 (ok)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Without it, the certificate is not trusted.
    let o = sh(&ns, &format!("curl -sS -o /dev/null https://{LAN}:{https}/healthz 2>&1; echo exit=$?"));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("exit=0"), "curl trusted a self-signed certificate");
    // Plain HTTP redirects (keeping the path and query); /healthz still answers there.
    let o = sh(
        &ns,
        &format!("curl -sS -o /dev/null -w '%{{http_code}} %{{redirect_url}}' 'http://{LAN}:{http}/login?next=1'"),
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("308 https://{LAN}:{https}/login?next=1"));
    let o = sh(&ns, &format!("curl -fsS http://{LAN}:{http}/healthz"));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "ok");

    // Chromium trusts the CA by its public key's hash (what adding it to the browser does).
    let spki = sh(
        &ns,
        &format!(
            "openssl x509 -in {} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
            ca.display()
        ),
    );
    let spki = String::from_utf8_lossy(&spki.stdout).trim().to_string();
    let y4m = tessera_e2e::media::camera_y4m(dir.path());
    let http_url = format!("http://{LAN}:{http}");
    let stdout =
        run_browser_in(Some(&ns), "https", &[("HTTP_URL", &http_url), ("SPKI", &spki), ("Y4M", y4m.to_str().unwrap())]);
    let line = stdout.lines().last().unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", text()));
    eprintln!("{r:#}");
    assert_eq!(r["ok"], true, "{}\n{}", r["error"].as_str().unwrap_or_default(), text());
    assert_eq!(r["url"], format!("https://{LAN}:{https}/c/demo"));
    assert_eq!((r["secure_context"].as_bool(), r["media_devices"].as_bool()), (Some(true), Some(true)));
    assert!(r["frames"].as_u64().unwrap() >= 10 && r["sent"].as_u64().unwrap() > 0, "{r}");
    let cookies = r["cookies"].as_array().unwrap();
    assert!(!cookies.is_empty() && cookies.iter().all(|c| c["secure"] == true), "{r}");
}

/// `openssl` makes a self-signed certificate for `name` into `dir`; returns (cert, key) paths.
fn openssl_cert(dir: &std::path::Path, tag: &str, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join(format!("{tag}.crt")), dir.join(format!("{tag}.key")));
    let st = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
        .args(["-subj", &format!("/CN={name}"), "-addext", &format!("subjectAltName=DNS:{name},IP:127.0.0.1")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is missing: apt-get install openssl (scripts/test.sh does)");
    assert!(st.success());
    (cert, key)
}

/// The subject the server presents, as openssl sees it.
fn served_subject(port: u16) -> String {
    let o = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("echo | openssl s_client -connect 127.0.0.1:{port} 2>/dev/null | openssl x509 -noout -subject"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// The administrator's own certificate: served with HSTS, and read again on SIGHUP without a
/// restart (a renewed certificate); a broken file on SIGHUP keeps the one in use.
#[test]
fn an_administrators_certificate_is_served_and_reloaded_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "first", "first.example");
    let port = free_port();
    let cfg = dir.path().join("tessera.toml");
    std::fs::write(
        &cfg,
        format!(
            "[http]\ntls = \"files\"\ntls_listen = \"127.0.0.1:{port}\"\ntls_certificate = \"{}\"\ntls_private_key = \"{}\"\nheader_read_timeout_seconds = 2\n",
            cert.display(),
            key.display()
        ),
    )
    .unwrap();
    let s = tessera_e2e::Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    assert_eq!(served_subject(port), "subject=CN = first.example");
    let o = std::process::Command::new("curl")
        .args(["-sS", "-k", "-D", "-", "-o", "/dev/null", &format!("https://127.0.0.1:{port}/login")])
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&o.stdout).to_ascii_lowercase();
    assert!(headers.contains("strict-transport-security: max-age=31536000"), "{headers}");
    // A client that connects and never starts the handshake is cut off like a slow header.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.set_read_timeout(Some(std::time::Duration::from_secs(15))).unwrap();
    match std::io::Read::read(&mut idle, &mut [0u8; 16]) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("a silent client's connection stays open: {other:?}"),
    }

    // A renewed certificate in the same files, then SIGHUP.
    let (next_cert, next_key) = openssl_cert(dir.path(), "second", "second.example");
    std::fs::copy(&next_cert, &cert).unwrap();
    std::fs::copy(&next_key, &key).unwrap();
    let hup = || std::process::Command::new("kill").args(["-HUP", &s.pid().to_string()]).status().unwrap();
    assert!(hup().success());
    let mut subject = String::new();
    for _ in 0..50 {
        subject = served_subject(port);
        if subject.contains("second") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(subject, "subject=CN = second.example", "{}", s.log());
    // A broken file: the server says so and keeps serving the certificate it has.
    std::fs::write(&cert, "not a certificate").unwrap();
    assert!(hup().success());
    let t0 = std::time::Instant::now();
    while !s.log().contains("HTTPS certificate not reloaded") {
        assert!(t0.elapsed().as_secs() < 10, "{}", s.log());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(served_subject(port), "subject=CN = second.example");
}

/// Bad certificate files: a missing file and a key of another certificate stop the start with the
/// setting named; an expired certificate is served with a warning in the log.
#[test]
fn bad_certificate_files_are_named_and_an_expired_one_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = openssl_cert(dir.path(), "one", "one.example");
    let (_, other_key) = openssl_cert(dir.path(), "two", "two.example");
    let config = |cert: &std::path::Path, key: &std::path::Path| {
        let cfg = dir.path().join("tessera.toml");
        let text = format!(
            "data_dir = \"{}\"\n[http]\nlisten = \"127.0.0.1:{}\"\ntls = \"files\"\ntls_listen = \"127.0.0.1:{}\"\n\
             tls_certificate = \"{}\"\ntls_private_key = \"{}\"\nmetrics_listen = \"\"\n[sip]\nenabled = false\n",
            dir.path().join("data").display(),
            free_port(),
            free_port(),
            cert.display(),
            key.display()
        );
        std::fs::write(&cfg, text).unwrap();
        cfg
    };
    for (cert, key, expect) in [
        (dir.path().join("missing.crt"), other_key.clone(), "http.tls_certificate: cannot read"),
        (cert.clone(), dir.path().join("missing.key"), "http.tls_private_key"),
        (cert.clone(), other_key.clone(), "do not make a pair"),
    ] {
        let cfg = config(&cert, &key);
        let o = std::process::Command::new("timeout")
            .arg("30")
            .arg(tessera_e2e::tessera_bin())
            .env(tessera_e2e::NO_SYSTEM_CONFIG.0, tessera_e2e::NO_SYSTEM_CONFIG.1)
            .args(["serve", "--config", cfg.to_str().unwrap()])
            .env("TESSERA_ADMIN_PASSWORD", "admin-password")
            .output()
            .unwrap();
        let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.code() == Some(1) && out.contains(expect), "{expect}: {:?}\n{out}", o.status);
    }

    // Expired yesterday: still served (better than nothing for a client that accepts it), and
    // the log says so.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["old.example".to_string()]).unwrap();
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(30);
    params.not_after = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let old = params.self_signed(&key).unwrap();
    let (old_cert, old_key) = (dir.path().join("old.crt"), dir.path().join("old.key"));
    std::fs::write(&old_cert, old.pem()).unwrap();
    std::fs::write(&old_key, key.serialize_pem()).unwrap();
    let port = free_port();
    let cfg = dir.path().join("expired.toml");
    std::fs::write(
        &cfg,
        format!(
            "[http]\ntls = \"files\"\ntls_listen = \"127.0.0.1:{port}\"\ntls_certificate = \"{}\"\ntls_private_key = \"{}\"\n",
            old_cert.display(),
            old_key.display()
        ),
    )
    .unwrap();
    let s = tessera_e2e::Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    assert!(s.log().contains("the HTTPS certificate has expired"), "{}", s.log());
    let o = std::process::Command::new("sh")
        .args([
            "-c",
            &format!(
                "echo | openssl s_client -connect 127.0.0.1:{port} 2>/dev/null | openssl x509 -noout -subject -enddate"
            ),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("notAfter"), "{}", String::from_utf8_lossy(&o.stdout));
}
