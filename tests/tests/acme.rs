//! HTTPS with certificates from an ACME CA (`http.tls = "acme"`), against Pebble, Let's Encrypt's
//! test CA (Debian's `pebble`): `pebble-challtestsrv` is its DNS and answers every name with
//! 127.0.0.1, so Pebble's validation really connects to Tessera's HTTPS listener and checks the
//! TLS-ALPN-01 answer there (never `PEBBLE_VA_ALWAYS_VALID`). Pebble issues certificates that
//! live 30 seconds, so the test also sees a renewal.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tessera_e2e::{KillOnDrop, free_port};

const NAME: &str = "tessera.test";

fn run(cmd: &mut Command) -> String {
    let o = cmd.stderr(Stdio::piped()).output().expect("command");
    assert!(o.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A CA and a certificate it signs for 127.0.0.1: Pebble's own HTTPS (the Debian package ships
/// none). Returns the CA's PEM path, which Tessera is told to trust for the ACME server.
fn pebble_listener_cert(dir: &Path) -> PathBuf {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let p = |f: &str| dir.join(f).display().to_string();
    run(Command::new("openssl")
        .args(["req", "-x509"])
        .args(ec)
        .args(["-days", "2", "-subj", "/CN=pebble test root"])
        .args(["-keyout", &p("root.key"), "-out", &p("root.pem")]));
    run(Command::new("openssl")
        .args(["req"])
        .args(ec)
        .args(["-subj", "/CN=localhost", "-keyout", &p("key.pem")])
        .args(["-out", &p("req.csr")]));
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-in", &p("req.csr"), "-CA", &p("root.pem")])
        .args(["-CAkey", &p("root.key"), "-CAcreateserial", "-extfile", &p("ext.cnf"), "-out", &p("cert.pem")]));
    dir.join("root.pem")
}

fn wait_for(what: &str, log: impl Fn() -> String, secs: u64) {
    let t0 = Instant::now();
    while !log().contains(what) {
        assert!(t0.elapsed().as_secs() < secs, "no {what:?} within {secs} s:\n{}", log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Pebble and its DNS, validating TLS-ALPN-01 on `tls_port`.
struct Pebble {
    _dns: KillOnDrop,
    _ca: KillOnDrop,
    directory: String,
    management: u16,
    listener_root: PathBuf,
    log: PathBuf,
}

impl Pebble {
    fn start(dir: &Path, tls_port: u16) -> Pebble {
        let listener_root = pebble_listener_cert(dir);
        let (dns, dns_mgmt, acme, management) = (free_port(), free_port(), free_port(), free_port());
        let out = |name: &str| std::fs::File::create(dir.join(name)).unwrap();
        let dns_log = dir.join("challtestsrv.log");
        let child = Command::new("pebble-challtestsrv")
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-dns01", &format!("127.0.0.1:{dns}"), "-management", &format!("127.0.0.1:{dns_mgmt}")])
            .stdout(out("challtestsrv.log"))
            .stderr(out("challtestsrv.err"))
            .spawn()
            .expect("pebble-challtestsrv is missing: apt-get install pebble (scripts/test.sh does)");
        let dns_guard = KillOnDrop(child);
        wait_for("Starting management server", || std::fs::read_to_string(&dns_log).unwrap_or_default(), 20);
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{acme}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": dir.join("cert.pem"),
            "privateKey": dir.join("key.pem"),
            "httpPort": free_port(),
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
            "certificateValidityPeriod": 30,
        }});
        std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
        let log = dir.join("pebble.log");
        let child = Command::new("pebble")
            .arg("-config")
            .arg(dir.join("pebble.json"))
            .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .stdout(out("pebble.log"))
            .stderr(out("pebble.err"))
            .spawn()
            .expect("pebble is missing: apt-get install pebble (scripts/test.sh does)");
        let ca_guard = KillOnDrop(child);
        wait_for("ACME directory available", || std::fs::read_to_string(&log).unwrap_or_default(), 20);
        Pebble {
            _dns: dns_guard,
            _ca: ca_guard,
            directory: format!("https://127.0.0.1:{acme}/dir"),
            management,
            listener_root,
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The root Pebble issues under (made anew at each start), for verifying what Tessera serves.
    fn issuing_root(&self, dir: &Path) -> PathBuf {
        let path = dir.join("issuing-root.pem");
        run(Command::new("curl")
            .args(["-fsS", "--cacert"])
            .arg(&self.listener_root)
            .arg("-o")
            .arg(&path)
            .arg(format!("https://127.0.0.1:{}/roots/0", self.management)));
        path
    }
}

/// What `openssl s_client` sees on `port` for `NAME`, verified against `root`.
fn served(port: u16, root: &Path) -> String {
    let script = format!(
        "echo | openssl s_client -connect 127.0.0.1:{port} -servername {NAME} -verify_hostname {NAME} -CAfile {} \
         -verify_return_error 2>&1",
        root.display()
    );
    let o = Command::new("sh").args(["-c", &script]).output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn serial(port: u16) -> String {
    let script = format!(
        "echo | openssl s_client -connect 127.0.0.1:{port} -servername {NAME} 2>/dev/null | openssl x509 -noout -serial"
    );
    let o = Command::new("sh").args(["-c", &script]).output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn acme_config(dir: &Path, port: u16, directory: &str, roots: &Path) -> PathBuf {
    let cfg = dir.join("tessera.toml");
    std::fs::write(
        &cfg,
        format!(
            "[http]\ntls = \"acme\"\ntls_listen = \"127.0.0.1:{port}\"\n\
             [acme]\ndomains = [\"{NAME}\"]\ndirectory = \"{directory}\"\nca_roots = \"{}\"\nemail = \"ops@{NAME}\"\n",
            roots.display()
        ),
    )
    .unwrap();
    cfg
}

#[test]
fn a_certificate_from_pebble_is_served_renewed_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let pebble = Pebble::start(dir.path(), port);
    let cfg = acme_config(dir.path(), port, &pebble.directory, &pebble.listener_root);
    let mut s = tessera_e2e::Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    wait_for("HTTPS certificate issued by the ACME CA", || s.log(), 60);
    // Pebble connected to Tessera and checked the answer (no authorization existed to reuse).
    assert!(pebble.log().contains("set VALID by completed challenge"), "{}", pebble.log());

    // The chain verifies against Pebble's root for the name.
    let root = pebble.issuing_root(dir.path());
    let seen = served(port, &root);
    assert!(seen.contains("Verify return code: 0 (ok)"), "{seen}");
    assert!(seen.contains(&format!("CN = {NAME}")) && seen.contains("Pebble Intermediate CA"), "{seen}");
    // A certificate browsers trust by themselves: HSTS; the session cookie is Secure.
    let o = Command::new("curl")
        .args(["-sS", "-D", "-", "-o", "/dev/null", "--cacert"])
        .arg(&root)
        .args(["--resolve", &format!("{NAME}:{port}:127.0.0.1"), &format!("https://{NAME}:{port}/login")])
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&o.stdout).to_ascii_lowercase();
    assert!(headers.contains("strict-transport-security: max-age=31536000"), "{headers}\n{}", s.log());
    let health = run(Command::new("curl").args(["-fsS", &format!("{}/healthz", s.base)]));
    assert_eq!(health, "ok\n");

    // The certificate lives 30 s: a new one is served once a third of that is left.
    let first = serial(port);
    assert!(first.starts_with("serial="), "{first}");
    let t0 = Instant::now();
    while serial(port) == first {
        assert!(t0.elapsed().as_secs() < 60, "no renewal:\n{}", s.log());
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(served(port, &root).contains("Verify return code: 0 (ok)"));

    // Kept in the data directory, for the owner only, and served again after a restart with the
    // same account.
    let acme_dir = s.data_dir().join("acme");
    for f in ["account.json", "certificate.pem", "private-key.pem"] {
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(acme_dir.join(f)).unwrap().permissions());
        assert_eq!(mode & 0o077, 0, "{f} is readable by others: {mode:o}");
    }
    s.stop();
    s.restart();
    wait_for("stored ACME certificate", || s.log(), 30);
    assert_eq!(s.log().matches("ACME account created").count(), 1, "{}", s.log());
}

/// A CA nobody answers at: the server starts all the same, serves a temporary certificate,
/// says why in its log and in `/healthz`, and keeps trying. Bad settings stop it at start-up
/// with the key named.
#[test]
fn an_unreachable_ca_leaves_a_warning_and_bad_settings_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let nobody = format!("https://127.0.0.1:{}/dir", free_port());
    let roots = pebble_listener_cert(dir.path());
    let cfg = acme_config(dir.path(), port, &nobody, &roots);
    let s = tessera_e2e::Server::start_with(&["--config", cfg.to_str().unwrap()], &[]);
    wait_for("HTTPS certificate not obtained from the ACME CA", || s.log(), 30);
    let health = run(Command::new("curl").args(["-fsS", &format!("{}/healthz", s.base)]));
    assert!(
        health.starts_with("ok\nwarning: HTTPS certificate renewal failing")
            && health.contains("temporary self-signed certificate"),
        "{health}"
    );
    let script =
        format!("echo | openssl s_client -connect 127.0.0.1:{port} 2>/dev/null | openssl x509 -noout -subject");
    let subject = run(Command::new("sh").args(["-c", &script]));
    assert_eq!(subject.trim(), "subject=CN = Tessera temporary certificate");
    let metrics = run(Command::new("curl").args(["-fsS", &s.metrics]));
    assert!(metrics.contains("tessera_acme_renewal_failing 1"), "{metrics}");

    for (toml, expect) in [
        ("[http]\ntls = \"acme\"\n", "needs acme.domains"),
        ("[http]\ntls = \"acme\"\n[acme]\ndomains = [\"*.example.org\"]\n", "wildcards"),
        ("[http]\ntls = \"acme\"\n[acme]\ndomains = [\"10.0.0.1\"]\n", "an address, not a name"),
        ("[http]\ntls = \"acme\"\n[acme]\ndomains = [\"a.example\"]\ndirectory = \"http://ca\"\n", "https://"),
        (
            "[http]\ntls = \"acme\"\n[acme]\ndomains = [\"a.example\"]\nca_roots = \"/nonexistent.pem\"\n",
            "acme.ca_roots",
        ),
        ("[acme]\nrenew = 3\n", "unknown field `renew`"),
    ] {
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, toml).unwrap();
        let o = tessera_e2e::tessera_cmd().args(["check-config", "--config"]).arg(&bad).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(expect), "{toml}: {err}");
    }
}
