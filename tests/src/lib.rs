//! The end-to-end harness: start the real `tessera` binary on a free loopback port with its own
//! data directory, run `tessera admin` against the same database, and drive it with real
//! clients (an HTTP client here, headless Chromium through `browser/*.mjs`).
//!
//! The binary must be built first (`cargo build -p tessera`); `TESSERA_BIN` overrides its path.
//! A missing binary or tool is a loud failure, never a skip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod alsa;
pub mod live_api;
pub mod media;
pub mod netns;
pub mod sip;
pub mod sipp;
pub mod ws;

/// A helper process (a GStreamer sender, a server in a namespace) killed when the test is done,
/// however it ends.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The environment every `tessera` a test starts gets: no configuration file unless the test
/// gives one, whatever this machine has in /etc/tessera (a package installed beside the tests).
pub const NO_SYSTEM_CONFIG: (&str, &str) = ("TESSERA_CONFIG", "/dev/null");

/// `tessera`, isolated from this machine's configuration (see [`NO_SYSTEM_CONFIG`]).
pub fn tessera_cmd() -> Command {
    let mut c = Command::new(tessera_bin());
    c.env(NO_SYSTEM_CONFIG.0, NO_SYSTEM_CONFIG.1);
    c
}

pub fn tessera_bin() -> PathBuf {
    if let Ok(p) = std::env::var("TESSERA_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let p = target.join("debug/tessera");
    assert!(p.exists(), "{} is missing: run `cargo build -p tessera` first (or set TESSERA_BIN)", p.display());
    p
}

/// A port free on loopback for both TCP and UDP, for a tool or server a test starts. Taken from
/// below the kernel's ephemeral range (32768 and up here), where the servers under test bind
/// their RTP and other sockets with port 0: a port the kernel handed out, released and given to
/// a tool a moment later could be taken by such a bind in between ("address already in use").
/// Each port is handed out once per test process.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    // Test processes start at different places, so that two at once rarely meet; ports go out
    // four apart, since tools bind the ones after theirs too (RTCP, SIPp's video).
    let _ = NEXT.compare_exchange(u32::MAX, std::process::id() * 28 % SPAN, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..SPAN / 4 {
        let p = (LOW + NEXT.fetch_add(4, Ordering::SeqCst) % SPAN) as u16;
        let free = (p..p + 4).all(|q| std::net::UdpSocket::bind(("127.0.0.1", q)).is_ok())
            && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free {
            return p;
        }
    }
    panic!("no free port between {LOW} and {}", LOW + SPAN);
}

/// An even port free with the ones after it (RTP and its RTCP), handed out like [`free_port`].
pub fn free_rtp_port() -> u16 {
    free_port()
}

pub struct Server {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub base: String,
    /// The RTSP server's port (a free one, so tests can run side by side).
    pub rtsp_port: u16,
    /// SIP's port, UDP and TCP.
    pub sip_port: u16,
    /// Where `/metrics` is served (its own listener, on loopback).
    pub metrics: String,
    child: Option<Child>,
    env: Vec<(String, String)>,
    args: Vec<String>,
}

impl Server {
    /// Starts `tessera serve` and waits until `/healthz` answers.
    pub fn start() -> Server {
        Server::start_with(&[], &[])
    }

    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let rtsp_port = free_port();
        let sip_port = free_port();
        let metrics_port = free_port();
        let mut envs = vec![
            ("TESSERA_METRICS_LISTEN".to_string(), format!("127.0.0.1:{metrics_port}")),
            ("TESSERA_SIP_LISTEN".to_string(), format!("127.0.0.1:{sip_port}")),
            ("TESSERA_RTSP_LISTEN".to_string(), format!("127.0.0.1:{rtsp_port}")),
            ("TESSERA_MEDIA_SIZE".to_string(), "640x360".to_string()),
            ("TESSERA_RTP_BIND".to_string(), "127.0.0.1".to_string()),
            ("TESSERA_DATA_DIR".to_string(), dir.path().join("data").display().to_string()),
            ("TESSERA_HTTP_LISTEN".to_string(), format!("127.0.0.1:{port}")),
            ("TESSERA_ADMIN_PASSWORD".to_string(), "admin-password".to_string()),
        ];
        // A test may point the server at PostgreSQL.
        if let Ok(url) = std::env::var("TESSERA_E2E_DATABASE_URL") {
            envs.push(("TESSERA_DATABASE_URL".into(), url));
        }
        // `{http_port}` in a value is the HTTP port chosen here (to listen elsewhere on it).
        envs.extend(env.iter().map(|(k, v)| (k.to_string(), v.replace("{http_port}", &port.to_string()))));
        let mut s = Server {
            base: format!("http://127.0.0.1:{port}"),
            metrics: format!("http://127.0.0.1:{metrics_port}/metrics"),
            dir,
            port,
            rtsp_port,
            sip_port,
            child: None,
            env: envs,
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .expect("log file");
        let mut cmd = tessera_cmd();
        cmd.arg("serve").args(&self.args).envs(self.env.iter().cloned());
        let child =
            cmd.stdin(Stdio::null()).stdout(log.try_clone().expect("log")).stderr(log).spawn().expect("start tessera");
        self.child = Some(child);
        self.wait_healthy();
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it to be gone.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("server running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the server again on the same data directory and ports.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop or kill the server first");
        self.spawn();
    }

    /// The server's process id (to read its memory from /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// A line of the server's /proc status, in kB (`VmHWM`: the peak resident memory).
    pub fn proc_status_kb(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} in /proc status:\n{status}"))
    }

    /// The data directory the server was given.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("tessera exited at start-up ({st}); log:\n{}", self.log());
            }
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n");
                let mut buf = String::new();
                use std::io::Read;
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("tessera did not become healthy; log:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Runs `tessera admin ARGS` against this server's database, with `stdin` as input.
    pub fn admin(&self, args: &[&str], stdin: &str) -> Output {
        admin_with(&self.env, args, stdin)
    }

    /// `admin` that must succeed; returns its standard output.
    pub fn admin_ok(&self, args: &[&str], stdin: &str) -> String {
        let o = self.admin(args, stdin);
        assert!(
            o.status.success(),
            "tessera admin {args:?} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs `tessera ARGS` (not `serve`) against this server's database and settings.
    pub fn command(&self, args: &[&str]) -> Output {
        tessera_with(&self.env, args)
    }

    pub fn add_user(&self, login: &str, password: &str) {
        self.admin_ok(&["user", "add", login], &format!("{password}\n"));
    }

    /// Waits (at most `secs`) for the server to exit by itself, and returns its status.
    pub fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server running");
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(st) = child.try_wait().expect("wait") {
                return st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("tessera did not exit within {secs} s; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits (at most 20 s) for the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let pid = self.child.as_ref().expect("server running").id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.wait_exit(20)
    }

    pub fn client(&self) -> reqwest::Client {
        // Pooled connections are not reused after 5 s idle: the server closes idle keep-alive
        // connections after its header-read timeout, and a request sent just as it does fails.
        reqwest::Client::builder()
            .cookie_store(true)
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .expect("http client")
    }

    /// Signs in through the API; returns a client holding the session and the CSRF token.
    pub async fn sign_in(&self, login: &str, password: &str) -> (reqwest::Client, String) {
        let c = self.client();
        let r = c
            .post(format!("{}/api/v1/session", self.base))
            .json(&serde_json::json!({"login": login, "password": password}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status(), 200, "sign-in of {login} failed");
        let v: serde_json::Value = r.json().await.expect("json");
        let csrf = v["csrf_token"].as_str().expect("csrf_token").to_string();
        (c, csrf)
    }

    /// Signs in as `login` (password LOGIN-password) and changes their profile with `fields`
    /// (`PATCH /api/v1/me`), which must succeed.
    pub async fn set_profile(&self, login: &str, fields: serde_json::Value) {
        let (c, csrf) = self.sign_in(login, &format!("{login}-password")).await;
        let r = c
            .patch(format!("{}/api/v1/me", self.base))
            .header("x-csrf-token", &csrf)
            .json(&fields)
            .send()
            .await
            .expect("PATCH /api/v1/me");
        let status = r.status();
        assert_eq!(status, 200, "profile of {login}: {}", r.text().await.unwrap_or_default());
    }
}

/// How many of the server log's last lines a failing test prints.
const LOG_TAIL_LINES: usize = 80;

impl Drop for Server {
    fn drop(&mut self) {
        // A failing check unwinds through here: print the end of the server's log next to the
        // assertion's message, so a red run can be read without running it again.
        // TESSERA_E2E_SERVER_LOG=1 prints it after a passing test too (to look for warnings); =all
        // prints all of it.
        if std::thread::panicking() || std::env::var_os("TESSERA_E2E_SERVER_LOG").is_some() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let all = std::env::var("TESSERA_E2E_SERVER_LOG").is_ok_and(|v| v == "all");
            let tail = &lines[if all { 0 } else { lines.len().saturating_sub(LOG_TAIL_LINES) }..];
            eprintln!(
                "--- the last {} lines of the server's log ---\n{}\n--- end of the server's log ---",
                tail.len(),
                tail.join("\n")
            );
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // A passing test whose server panicked in a thread or had GLib/GStreamer report a
        // critical (a misused object, a NULL unref) fails: those are bugs the test's own checks
        // may not see.
        if !std::thread::panicking() {
            let log = self.log();
            let bad: Vec<&str> =
                log.lines().filter(|l| l.contains("-CRITICAL **") || l.contains("panicked at")).collect();
            assert!(bad.is_empty(), "the server's log has {} criticals or panics, the first: {}", bad.len(), bad[0]);
        }
    }
}

/// Runs `tessera ARGS` with the environment of a server (its data directory and settings).
pub fn tessera_with(env: &[(String, String)], args: &[&str]) -> Output {
    tessera_cmd().args(args).envs(env.iter().cloned()).stdin(Stdio::null()).output().expect("run tessera")
}

/// Runs `tessera admin ARGS` with the environment of a server (its data directory), with
/// `stdin` as input.
pub fn admin_with(env: &[(String, String)], args: &[&str], stdin: &str) -> Output {
    let mut child = tessera_cmd()
        .arg("admin")
        .args(args)
        .envs(env.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tessera admin");
    // unwrap: stdin was piped just above.
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("tessera admin output")
}

/// Runs a browser scenario `browser/NAME.mjs` with node and playwright-core, passing `env`.
/// Fails loudly when node, playwright-core or Chromium is missing.
pub fn run_browser(name: &str, env: &[(&str, &str)]) -> String {
    run_browser_in(None, name, env)
}

/// Runs `browser/NAME.mjs` (off the async threads) against `server` and returns the findings it
/// printed as its last line, after checking that the scenario got to its end: a step that failed
/// fails the test with the scenario's error and the server's log.
pub async fn browser_scenario(server: &Server, name: &str, env: &[(&str, &str)]) -> serde_json::Value {
    let owned: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let script = name.to_string();
    let stdout = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_browser(&script, &env)
    })
    .await
    .expect("the browser scenario's thread");
    let line = stdout.lines().last().unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", server.log()));
    eprintln!("{r:#}");
    assert_eq!(r["ok"], true, "{}\n{}", r["error"].as_str().unwrap_or_default(), server.log());
    r
}

/// `run_browser` inside a test's network namespace (with the server there too).
pub fn run_browser_in(ns: Option<&netns::Netns>, name: &str, env: &[(&str, &str)]) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `npm ci` in {} (scripts/test.sh does)",
        dir.display()
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(Path::new(&chromium).exists(), "{chromium} is missing: apt-get install chromium (scripts/test.sh does)");
    let script = dir.join(format!("{name}.mjs"));
    let out = match ns {
        Some(ns) => ns.cmd(&["node", script.to_str().unwrap_or_default()]),
        None => {
            let mut c = Command::new("node");
            c.arg(&script);
            c
        }
    }
    .current_dir(&dir)
    .env("CHROMIUM", &chromium)
    .envs(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    .output()
    .expect("node is missing: apt-get install nodejs (scripts/test.sh does)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "browser scenario {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Retries `check` for up to five seconds: a running server sees changes made by `tessera admin`
/// (another process) within its cache poll interval, half a second.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within 5 s: {what}");
}

/// The settings that send a server's mail to a local SMTP sink on `port` (no TLS, a fixed
/// sender).
pub fn smtp_env(port: u16) -> Vec<(String, String)> {
    [
        ("TESSERA_SMTP_HOST", "127.0.0.1".to_string()),
        ("TESSERA_SMTP_PORT", port.to_string()),
        ("TESSERA_SMTP_SECURITY", "none".into()),
        ("TESSERA_SMTP_FROM", "Tessera <meetings@example.org>".into()),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .to_vec()
}

/// Starts `python3 -m aiosmtpd` (from the test venv scripts/test.sh makes) writing a Maildir at
/// `dir`, inside `ns` when given (where the server runs); returns it and its port.
pub fn smtp_sink(ns: Option<&netns::Netns>, dir: &Path) -> (KillOnDrop, u16) {
    smtp_sink_on(ns, dir, free_port())
}

/// [`smtp_sink`] on a chosen port (a server may be told of it before the sink runs).
pub fn smtp_sink_on(ns: Option<&netns::Netns>, dir: &Path, port: u16) -> (KillOnDrop, u16) {
    let listen = format!("127.0.0.1:{port}");
    let args = ["python3", "-m", "aiosmtpd", "-n", "-l", &listen, "-c", "aiosmtpd.handlers.Mailbox"];
    let mut cmd = match ns {
        Some(ns) => ns.cmd(&args),
        None => {
            let mut c = Command::new(args[0]);
            c.args(&args[1..]);
            c
        }
    };
    let child = cmd.arg(dir).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("python3 is missing");
    let sink = KillOnDrop(child);
    for _ in 0..100 {
        let up = match ns {
            Some(ns) => ns
                .cmd(&["python3", "-c", &format!("import socket; socket.create_connection(('127.0.0.1', {port}), 1)")])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            None => std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        };
        if up {
            return (sink, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("aiosmtpd did not start: pip install aiosmtpd (scripts/test.sh does)");
}

/// A baresip configuration in `dir` for the account "Room system" <sip:room@127.0.0.1>: a
/// 440 Hz tone as its microphone (`tone8k.wav`, made here), a fake camera, PCMU and H.264, RTP
/// statistics; `extra`: more configuration lines (a CA file for TLS).
/// Returns the SIP port baresip listens on.
pub fn baresip_config(dir: &Path, extra: &str) -> u16 {
    let run = |args: &[&str]| {
        let ok = Command::new("ffmpeg").args(args).current_dir(dir).status().expect("ffmpeg").success();
        assert!(ok, "ffmpeg {args:?}");
    };
    run(&[
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=8000:duration=60",
        "-ac",
        "1",
        "-c:a",
        "pcm_s16le",
        "tone8k.wav",
    ]);
    let sip = free_port();
    let config = format!(
        "sip_listen 127.0.0.1:{sip}\nnet_interface 127.0.0.1\naudio_source aufile,{d}/tone8k.wav\naudio_player aubridge,nil\n\
audio_alert aubridge,nil\nvideo_source fakevideo,nil\nvideo_display fakevideo,nil\nrtp_ports 10000-10099\nrtp_stats yes\n\
module_path /usr/lib/baresip/modules\nmodule account.so\nmodule g711.so\nmodule aufile.so\nmodule aubridge.so\nmodule fakevideo.so\n\
module avcodec.so\nmodule_app menu.so\n{extra}",
        d = dir.display()
    );
    std::fs::write(dir.join("config"), config).unwrap();
    std::fs::write(
        dir.join("accounts"),
        "\"Room system\" <sip:room@127.0.0.1>;regint=0;audio_codecs=PCMU;video_codecs=H264\n",
    )
    .unwrap();
    sip
}

/// baresip configured in `dir` (see [`baresip_config`]) dialling `uri` for `seconds`, its output
/// in `dir/out.txt`.
pub fn baresip_dial(dir: &Path, uri: &str, seconds: u32) -> KillOnDrop {
    let log = std::fs::File::create(dir.join("out.txt")).unwrap();
    let child = Command::new("baresip")
        .args(["-f", dir.to_str().unwrap(), "-e", &format!("/dial {uri}"), "-t", &seconds.to_string()])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("baresip is missing: apt-get install baresip-core baresip-ffmpeg (scripts/test.sh does)");
    KillOnDrop(child)
}

/// The last number pair of baresip's `efps=sent/received` status (frames per second it
/// decoded), and the video packets it received.
pub fn baresip_figures(out: &str) -> (f64, u64) {
    let efps = out
        .rsplit("efps=")
        .next()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|p| p.split('/').nth(1))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0.0);
    let video = out.rsplit("video           Transmit:     Receive:").next().unwrap_or_default();
    let packets = video
        .lines()
        .find(|l| l.trim_start().starts_with("packets:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (efps, packets)
}

/// A self-signed certificate for 127.0.0.1 (ECDSA P-256, two days) made with openssl in `dir`:
/// the paths of the certificate and of its key, both PEM.
pub fn self_signed_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-keyout", key.to_str().unwrap(), "-out", cert.to_str().unwrap(), "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .output()
        .expect("openssl is missing: apt-get install openssl (scripts/test.sh does)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    (cert, key)
}

/// A certificate authority and a certificate for 127.0.0.1 it signed (ECDSA P-256, two days),
/// made with openssl in `dir`: the paths of the CA's certificate, the certificate and its key,
/// all PEM. For peers that check a chain (rustls takes no self-signed CA as a server's own).
pub fn certificate_authority_and_certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |name: &str| dir.join(name);
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (scripts/test.sh installs it)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(&[&["req", "-x509"][..], &ec, &["-days", "2", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Test CA"]]
        .concat());
    run(&[&["req"][..], &ec, &["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"]].concat());
    std::fs::write(p("leaf.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
        "-out",
        "leaf.pem",
    ]);
    (p("ca.pem"), p("leaf.pem"), p("leaf.key"))
}
