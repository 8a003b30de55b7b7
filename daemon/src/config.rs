//! The one `Config`: defaults, overlaid by the TOML file (unknown keys rejected, naming the key
//! and line), overlaid by `TESSERA_…` environment variables. `tessera.toml.sample` at the
//! repository root documents every key.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG_PATH: &str = "/etc/tessera/tessera.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite database and other state live.
    pub data_dir: PathBuf,
    pub database: Database,
    pub http: Http,
    pub session: Session,
    pub auth: Auth,
    pub profile: Profile,
    pub log: Log,
    pub shutdown: Shutdown,
    /// Several nodes sharing one PostgreSQL: this node's name, lease time and capacity.
    pub cluster: Cluster,
    pub media: Media,
    pub sip: Sip,
    pub webrtc: WebRtc,
    pub smtp: Smtp,
    pub dial_out: DialOut,
    pub retention: Retention,
    /// Cameras, microphones and loudspeakers attached to the server.
    pub devices: devices::Devices,
    /// Certificates from an ACME CA, for `http.tls = "acme"`.
    pub acme: crate::tls::acme::Settings,
    /// Files sent in conference chats.
    pub files: tessera_web::chat_files::Settings,
    /// Slide shows (pdf.js).
    pub slides: tessera_web::slides::Settings,
    /// Where users get this server's source (AGPL-3.0, section 13).
    pub source: tessera_web::source::Settings,
    /// The settings of the control panel this configuration fixes (see `managed`).
    #[serde(skip)]
    pub fixed: tessera_web::store::Fixed,
}

/// How long recordings and histories are kept (0: for ever), applied every `interval_minutes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    pub recordings_days: u32,
    /// A cap on the recordings folder, in megabytes (10^6 bytes): the oldest go first.
    pub recordings_max_mb: u64,
    pub history_days: u32,
    pub chat_days: u32,
    pub calls_days: u32,
    pub interval_minutes: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            recordings_days: 0,
            recordings_max_mb: 0,
            history_days: 0,
            chat_days: 0,
            calls_days: 0,
            interval_minutes: 60,
        }
    }
}

impl Retention {
    pub fn policy(&self) -> tessera_web::retention::Policy {
        tessera_web::retention::Policy {
            recordings_days: self.recordings_days,
            recordings_max_bytes: self.recordings_max_mb.saturating_mul(1_000_000),
            history_days: self.history_days,
            chat_days: self.chat_days,
            calls_days: self.calls_days,
        }
    }
}

/// Where the server may call (see `tessera_web::dial_policy`): empty lists keep the default (public and
/// private ranges; never loopback, link-local, multicast or broadcast).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DialOut {
    /// Names that may be called (with their subdomains), like `["example.org"]`.
    pub allowed_domains: Vec<String>,
    /// Networks that may be called, like `["10.20.0.0/16"]`; they also lift the default
    /// refusals inside them.
    pub allowed_networks: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Smtp {
    /// The SMTP server for email invitations; empty: invitations are off.
    pub host: String,
    /// 0: the usual port for `security` (25, 587 or 465).
    pub port: u16,
    /// "starttls" (default), "tls" or "none".
    pub security: String,
    pub username: String,
    /// Env: TESSERA_SMTP_PASSWORD (better than the file).
    pub password: String,
    /// The sender, like "Tessera <meetings@example.org>".
    pub from: String,
    /// Seconds before a message the server did not take is tried again (doubled on every
    /// further failure, ten tries in all); 0: 60.
    pub retry_after_secs: u64,
    /// Seconds an invitation's update or cancellation waits before it is sent, so that a burst
    /// of saves mails each invitee once, with the last state (default 60; 0: at once).
    pub update_delay_secs: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebRtc {
    /// Browsers join conferences from their pages (needs the media plane).
    pub enabled: bool,
    /// Where ICE offers browsers host candidates: "0.0.0.0" stands for every non-loopback IPv4
    /// interface; loopback must be listed to serve browsers on this machine.
    pub ice_addresses: Vec<std::net::IpAddr>,
    /// Passive TCP candidates beside the UDP ones, for browsers on networks that block UDP.
    pub ice_tcp: bool,
    /// TURN relays pages are given (`turn:host:3478`, `turns:host:443?transport=tcp`), with
    /// credentials made from `turn_secret` (coturn's `static-auth-secret`), valid for
    /// `turn_credential_hours`.
    pub turn_urls: Vec<String>,
    pub turn_secret: String,
    pub turn_credential_hours: u32,
}

impl Default for WebRtc {
    fn default() -> Self {
        WebRtc {
            enabled: true,
            ice_addresses: vec![
                std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            ],
            ice_tcp: true,
            turn_urls: Vec::new(),
            turn_secret: String::new(),
            turn_credential_hours: 12,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Media {
    /// Run conferences (GStreamer pipelines, RTSP). Off: the personal area only.
    pub enabled: bool,
    /// Where the RTSP server listens; conferences are at rtsp://HOST:PORT/<conference id>.
    /// RTSP has no sign-in: keep it on loopback or a trusted network. Empty: no RTSP.
    pub rtsp_listen: String,
    /// The composed picture of every conference output.
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub video_kbps: u32,
    /// Empty: `recordings` in `data_dir`.
    pub recordings_dir: PathBuf,
    /// The address RTP inputs listen on.
    pub rtp_bind: std::net::IpAddr,
    /// A SIP call from which no media arrives for this many seconds is ended (0: never). A call
    /// on hold gets an hour.
    pub rtp_timeout_seconds: u32,
    /// The UDP ports media uses, `"10000-20000"` (SIP and H.323 RTP/RTCP, WebRTC); empty: any.
    pub rtp_ports: String,
    /// The address peers are told to send media to (SDP, H.245, ICE) behind a 1:1 NAT; empty:
    /// the address they reach this host on.
    pub external_address: String,
    /// DSCP marks of audio (46, EF) and video (34, AF41) packets; 0 marks nothing.
    pub dscp_audio: u8,
    pub dscp_video: u8,
    /// The H.264 encoder of outputs: "auto" (the video hardware through VA-API when a trial
    /// encode works, otherwise x264), "software" (x264) or "vaapi" (refuses to start without it).
    pub video_encoder: String,
}

impl Default for Media {
    fn default() -> Self {
        Media {
            enabled: true,
            rtsp_listen: "127.0.0.1:8554".into(),
            width: 1280,
            height: 720,
            fps: 30,
            video_kbps: 2000,
            recordings_dir: PathBuf::new(),
            rtp_bind: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            rtp_timeout_seconds: 60,
            rtp_ports: String::new(),
            external_address: String::new(),
            dscp_audio: 46,
            dscp_video: 34,
            video_encoder: "auto".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    /// Empty: an SQLite file `tessera.db` in `data_dir`.
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Http {
    pub listen: SocketAddr,
    pub secure_cookies: bool,
    /// The host name users and endpoints reach this server by.
    pub public_host: String,
    /// Reverse proxies whose X-Forwarded-For header is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address users open the personal area at, for links in invitations and calendars.
    pub public_url: String,
    /// Where Prometheus scrapes `/metrics`: its own listener, on loopback by default (the
    /// figures tell an outsider how busy the server is and who calls); empty: no metrics.
    pub metrics_listen: String,
    /// Seconds a client may take to send a request's header section (slowloris); also how long
    /// an idle keep-alive connection waits for its next request.
    pub header_read_timeout_seconds: u32,
    /// HTTPS: "off" (default), "files" (`tls_certificate` and `tls_private_key`, PEM, read again
    /// on SIGHUP) or "self-signed" (a CA of the server's own in DATA_DIR/tls).
    pub tls: String,
    pub tls_listen: SocketAddr,
    pub tls_certificate: PathBuf,
    pub tls_private_key: PathBuf,
    /// Self-signed: names and addresses the certificate covers besides localhost, the host name
    /// and the machine's addresses.
    pub tls_names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Session {
    pub idle_timeout_minutes: u32,
    pub absolute_timeout_hours: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    pub address_max_failures: u32,
    pub address_window_minutes: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    pub avatar_max_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    /// A tracing filter: "info", "debug", "tessera_web=debug,info", …
    pub level: String,
    /// "text" (one line each, for people and journald) or "json" (one object per line, for log
    /// collectors).
    pub format: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Shutdown {
    pub timeout_seconds: u32,
}

/// `[cluster]`: what this node says of itself to the others sharing its database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    /// Unique among the nodes; empty: the machine's host name.
    pub node_name: String,
    /// A node silent for this long is taken for dead: its conferences' leases expire and
    /// other nodes may run them.
    pub lease_seconds: u32,
    /// How many participants this node takes, for placing conferences.
    pub capacity: u32,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster { node_name: String::new(), lease_seconds: 10, capacity: 500 }
    }
}

impl Cluster {
    /// The node's name: `node_name`, else the host name.
    pub fn name(&self) -> String {
        if !self.node_name.is_empty() {
            return self.node_name.clone();
        }
        host_name().unwrap_or_else(|| "tessera".into())
    }
}

/// The machine's host name, when it has one.
pub fn host_name() -> Option<String> {
    let h = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    Some(h.trim().to_string()).filter(|h| !h.is_empty())
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: default_data_dir(),
            database: Database::default(),
            http: Http::default(),
            session: Session::default(),
            auth: Auth::default(),
            profile: Profile::default(),
            log: Log::default(),
            shutdown: Shutdown::default(),
            cluster: Cluster::default(),
            media: Media::default(),
            sip: Sip::default(),
            webrtc: WebRtc::default(),
            smtp: Smtp::default(),
            dial_out: DialOut::default(),
            retention: Retention::default(),
            devices: devices::Devices::default(),
            acme: Default::default(),
            files: Default::default(),
            slides: Default::default(),
            source: Default::default(),
            fixed: Default::default(),
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        // unwrap: a constant, valid socket address.
        Http {
            listen: "127.0.0.1:8080".parse().unwrap(),
            secure_cookies: false,
            public_host: String::new(),
            trusted_proxies: Vec::new(),
            public_url: String::new(),
            metrics_listen: "127.0.0.1:9464".into(),
            header_read_timeout_seconds: 30,
            tls: "off".into(),
            // unwrap: a constant, valid socket address.
            tls_listen: "0.0.0.0:8443".parse().unwrap(),
            tls_certificate: PathBuf::new(),
            tls_private_key: PathBuf::new(),
            tls_names: Vec::new(),
        }
    }
}
impl Default for Session {
    fn default() -> Self {
        Session { idle_timeout_minutes: 60, absolute_timeout_hours: 12 }
    }
}
impl Default for Auth {
    fn default() -> Self {
        Auth { address_max_failures: 20, address_window_minutes: 15 }
    }
}
impl Default for Profile {
    fn default() -> Self {
        Profile { avatar_max_bytes: 1024 * 1024 }
    }
}
impl Default for Log {
    fn default() -> Self {
        Log { level: "info".into(), format: "text".into() }
    }
}
impl Default for Shutdown {
    fn default() -> Self {
        Shutdown { timeout_seconds: 10 }
    }
}

/// systemd's `StateDirectory=` when run as a service, `./tessera-data` otherwise.
fn default_data_dir() -> PathBuf {
    match std::env::var_os("STATE_DIRECTORY") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from("tessera-data"),
    }
}

impl Config {
    /// Loads `--config FILE`, or the default path if it exists, or nothing; then the environment.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        let file = match explicit {
            Some(p) => Some(p),
            None if Path::new(DEFAULT_CONFIG_PATH).exists() => Some(Path::new(DEFAULT_CONFIG_PATH)),
            None => None,
        };
        let mut cfg = match file {
            Some(p) => Config::from_file(p)?,
            None => Config::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        cfg.validate()?;
        cfg.fixed = managed::fixed(&cfg, file, &|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
        Config::from_toml(&text).with_context(|| format!("in config file {}", path.display()))
    }

    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get("TESSERA_DATA_DIR").filter(|v| !v.is_empty()) {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("TESSERA_NODE_NAME") {
            self.cluster.node_name = v;
        }
        self.acme.apply_env(&get);
        self.apply_media_env(&get)?;
        self.devices.apply_env(&get)?;
        self.files.apply_env(&get)?;
        self.slides.apply_env(&get);
        self.source.apply_env(&get);
        if let Some(v) = get("TESSERA_SMTP_PASSWORD") {
            self.smtp.password = v;
        }
        for (key, field) in [
            ("TESSERA_RETENTION_RECORDINGS_DAYS", &mut self.retention.recordings_days),
            ("TESSERA_RETENTION_HISTORY_DAYS", &mut self.retention.history_days),
            ("TESSERA_RETENTION_CHAT_DAYS", &mut self.retention.chat_days),
            ("TESSERA_RETENTION_CALLS_DAYS", &mut self.retention.calls_days),
        ] {
            if let Some(v) = get(key) {
                *field = v.parse().with_context(|| format!("{key}={v:?} is not a number of days"))?;
            }
        }
        if let Some(v) = get("TESSERA_RETENTION_RECORDINGS_MAX_MB") {
            self.retention.recordings_max_mb =
                v.parse().with_context(|| format!("TESSERA_RETENTION_RECORDINGS_MAX_MB={v:?} is not a number"))?;
        }
        if let Some(v) = get("TESSERA_SMTP_HOST") {
            self.smtp.host = v;
        }
        if let Some(v) = get("TESSERA_SMTP_PORT") {
            self.smtp.port = v.parse().with_context(|| format!("TESSERA_SMTP_PORT={v:?} is not a port"))?;
        }
        if let Some(v) = get("TESSERA_SMTP_SECURITY") {
            self.smtp.security = v;
        }
        if let Some(v) = get("TESSERA_SMTP_FROM") {
            self.smtp.from = v;
        }
        if let Some(v) = get("TESSERA_SMTP_UPDATE_DELAY_SECS") {
            self.smtp.update_delay_secs = Some(
                v.parse()
                    .with_context(|| format!("TESSERA_SMTP_UPDATE_DELAY_SECS={v:?} is not a number of seconds"))?,
            );
        }
        if let Some(v) = get("TESSERA_SMTP_RETRY_AFTER_SECS") {
            self.smtp.retry_after_secs =
                v.parse().with_context(|| format!("TESSERA_SMTP_RETRY_AFTER_SECS={v:?} is not a number of seconds"))?;
        }
        if let Some(v) = get("TESSERA_PUBLIC_URL") {
            self.http.public_url = v;
        }
        if let Some(v) = get("TESSERA_DATABASE_URL") {
            self.database.url = v;
        }
        if let Some(v) = get("TESSERA_HTTP_LISTEN") {
            self.http.listen = v
                .parse()
                .with_context(|| format!("TESSERA_HTTP_LISTEN={v:?} is not an address like 127.0.0.1:8080"))?;
        }
        if let Some(v) = get("TESSERA_METRICS_LISTEN") {
            self.http.metrics_listen = v;
        }
        if let Some(v) = get("TESSERA_HTTP_TLS") {
            self.http.tls = v;
        }
        if let Some(v) = get("TESSERA_HTTP_TLS_LISTEN") {
            self.http.tls_listen = v
                .parse()
                .with_context(|| format!("TESSERA_HTTP_TLS_LISTEN={v:?} is not an address like 0.0.0.0:8443"))?;
        }
        if let Some(v) = get("TESSERA_HTTP_TLS_NAMES") {
            self.http.tls_names = v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        }
        if let Some(v) = get("TESSERA_SECURE_COOKIES") {
            self.http.secure_cookies = match v.as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => bail!("TESSERA_SECURE_COOKIES={v:?}: expected true or false"),
            };
        }
        if let Some(v) = get("TESSERA_DIAL_OUT_ALLOWED_NETWORKS") {
            self.dial_out.allowed_networks =
                v.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect();
        }
        if let Some(v) = get("TESSERA_RTSP_LISTEN") {
            self.media.rtsp_listen = v;
        }
        if let Some(v) = get("TESSERA_MEDIA_SIZE") {
            let (w, h) = v
                .split_once('x')
                .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                .with_context(|| format!("TESSERA_MEDIA_SIZE={v:?}: expected WIDTHxHEIGHT, like 1280x720"))?;
            self.media.width = w;
            self.media.height = h;
        }
        if let Some(v) = get("TESSERA_RECORDINGS_DIR").filter(|v| !v.is_empty()) {
            self.media.recordings_dir = PathBuf::from(v);
        }
        if let Some(v) = get("TESSERA_SIP_LISTEN") {
            if v.is_empty() {
                self.sip.enabled = false;
            } else {
                self.sip.listen = v
                    .parse()
                    .with_context(|| format!("TESSERA_SIP_LISTEN={v:?} is not an address like 0.0.0.0:5060"))?;
            }
        }
        if let Some(v) = get("TESSERA_SIP_TLS_LISTEN") {
            self.sip.tls_listen = v;
        }
        if let Some(v) = get("TESSERA_SIP_TLS_CA_FILE") {
            self.sip.tls_ca_file = v.into();
        }
        if let Some(v) = get("TESSERA_H323_LISTEN") {
            self.sip.h323_listen = v;
        }
        if let Some(v) = get("TESSERA_H323_GATEKEEPER_LISTEN") {
            self.sip.h323_gatekeeper_listen = v;
        }
        if let Some(v) = get("TESSERA_RTP_BIND") {
            self.media.rtp_bind = v.parse().with_context(|| format!("TESSERA_RTP_BIND={v:?} is not an IP address"))?;
        }
        if let Some(v) = get("TESSERA_WEBRTC_ICE_ADDRESSES") {
            self.webrtc.ice_addresses =
                v.split(',').map(|a| a.trim().parse()).collect::<Result<_, _>>().with_context(|| {
                    format!("TESSERA_WEBRTC_ICE_ADDRESSES={v:?}: expected IP addresses separated by commas")
                })?;
        }
        if let Some(v) = get("TESSERA_MEDIA") {
            self.media.enabled = match v.as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => bail!("TESSERA_MEDIA={v:?}: expected true or false"),
            };
        }
        if let Some(v) = get("TESSERA_LOG").filter(|v| !v.is_empty()) {
            self.log.level = v;
        }
        if let Some(v) = get("TESSERA_LOG_FORMAT").filter(|v| !v.is_empty()) {
            self.log.format = v;
        }
        Ok(())
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let range = |key: &str, v: u64, min: u64, max: u64| -> anyhow::Result<()> {
            if !(min..=max).contains(&v) {
                bail!("{key} = {v} is out of range: it must be from {min} to {max}");
            }
            Ok(())
        };
        range("http.header_read_timeout_seconds", self.http.header_read_timeout_seconds.into(), 1, 600)?;
        self.files.validate()?;
        self.validate_media()?;
        self.devices.validate()?;
        self.source.validate()?;
        if crate::tls::Mode::parse(&self.http.tls)? == crate::tls::Mode::Acme {
            self.acme.validate()?;
        }
        if crate::tls::Mode::parse(&self.http.tls)? == crate::tls::Mode::Files {
            for (key, path) in [
                ("http.tls_certificate", &self.http.tls_certificate),
                ("http.tls_private_key", &self.http.tls_private_key),
            ] {
                if path.as_os_str().is_empty() {
                    bail!("http.tls = \"files\" needs {key}");
                }
            }
        }
        range("retention.interval_minutes", self.retention.interval_minutes.into(), 1, 24 * 60)?;
        self.metrics_listen()?;
        range("auth.address_max_failures", self.auth.address_max_failures.into(), 1, 100_000)?;
        range("auth.address_window_minutes", self.auth.address_window_minutes.into(), 1, 24 * 60)?;
        range("profile.avatar_max_bytes", self.profile.avatar_max_bytes as u64, 1024, 16 * 1024 * 1024)?;
        range("shutdown.timeout_seconds", self.shutdown.timeout_seconds.into(), 1, 600)?;
        range("cluster.lease_seconds", self.cluster.lease_seconds.into(), 3, 300)?;
        range("cluster.capacity", self.cluster.capacity.into(), 1, 1_000_000)?;
        let name = &self.cluster.node_name;
        if name.len() > 63 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            bail!("cluster.node_name = {name:?}: up to 63 letters, digits, '-', '_' and '.'");
        }
        range("sip.max_messages_per_second", self.sip.max_messages_per_second.into(), 1, 100_000)?;
        range("sip.max_tcp_connections", self.sip.max_tcp_connections as u64, 1, 1_000_000)?;
        range("sip.max_tcp_connections_per_address", self.sip.max_tcp_connections_per_address as u64, 1, 100_000)?;
        range("sip.max_anonymous_calls", self.sip.max_anonymous_calls as u64, 0, 1_000_000)?;
        range("sip.session_min_seconds", self.sip.session_min_seconds.into(), 1, 86_400)?;
        range("sip.tcp_idle_seconds", self.sip.tcp_idle_seconds.into(), 1, 3600)?;
        range("sip.max_anonymous_calls_per_address", self.sip.max_anonymous_calls_per_address as u64, 0, 1_000_000)?;
        if !["text", "json"].contains(&self.log.format.as_str()) {
            bail!("log.format = {:?}: expected \"text\" or \"json\" (TESSERA_LOG_FORMAT)", self.log.format);
        }
        // The settings the control panel also manages are checked by their one rule.
        managed::check(self)?;
        range("media.rtp_timeout_seconds", self.media.rtp_timeout_seconds.into(), 0, 24 * 3600)?;
        range("media.width", self.media.width.into(), 160, 3840)?;
        range("media.height", self.media.height.into(), 120, 2160)?;
        range("media.fps", self.media.fps.into(), 1, 60)?;
        range("media.video_kbps", self.media.video_kbps.into(), 100, 50_000)?;
        if self.media.width % 2 == 1 || self.media.height % 2 == 1 {
            bail!("media.width and media.height must be even (I420), got {}x{}", self.media.width, self.media.height);
        }
        if !self.media.rtsp_listen.is_empty() {
            self.rtsp_listen()?;
        }
        if self.h323_gatekeeper_listen()?.is_some() && self.h323_listen()?.is_none() {
            bail!(
                "sip.h323_gatekeeper_listen is set but sip.h323_listen is not: the gatekeeper admits calls to this server's H.323 call signalling (set both)"
            );
        }
        if self.h323_listen()?.is_some() && !self.sip.enabled {
            bail!("sip.h323_listen is set but SIP is off: H.323 calls run on SIP's call handling (set sip.listen)");
        }
        // SIP over TLS uses its own certificate, or else the personal area's HTTPS one.
        if self.sip_tls_listen()?.is_some() && !self.https() {
            for (key, path) in
                [("sip.tls_certificate", &self.sip.tls_certificate), ("sip.tls_private_key", &self.sip.tls_private_key)]
            {
                if path.as_os_str().is_empty() {
                    bail!(
                        "sip.tls_listen is set, so {key} must name a PEM file (or turn on http.tls to share its certificate)"
                    );
                }
            }
        }
        if self.webrtc.enabled && self.webrtc.ice_addresses.is_empty() {
            bail!(
                "webrtc.ice_addresses is empty: list the addresses browsers reach this server on (or set webrtc.enabled = false)"
            );
        }
        if self.data_dir.as_os_str().is_empty() {
            bail!("data_dir must not be empty");
        }
        let url = &self.http.public_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            bail!("http.public_url = {:?} must start with http:// or https://", self.http.public_url);
        }
        if let Some(smtp) = self.smtp_config()? {
            tessera_web::mail::Mailer::new(&smtp).map_err(|e| anyhow::anyhow!("[smtp]: {e}"))?;
        }
        let url = &self.database.url;
        if !(url.is_empty()
            || url.starts_with("sqlite:")
            || url.starts_with("postgres:")
            || url.starts_with("postgresql:"))
        {
            bail!("database.url must start with sqlite: or postgres:, got {:?}", tessera_web::store::redact_url(url));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .with_context(|| format!("log.level = {:?} is not a valid filter", self.log.level))?;
        Ok(())
    }

    /// The `[smtp]` section checked, or None when invitations are off.
    pub fn smtp_config(&self) -> anyhow::Result<Option<tessera_web::mail::SmtpConfig>> {
        use tessera_web::mail::{Security, SmtpConfig};
        let s = &self.smtp;
        if s.host.is_empty() {
            return Ok(None);
        }
        let security = match s.security.as_str() {
            "" | "starttls" => Security::StartTls,
            "tls" => Security::Tls,
            "none" => Security::None,
            other => bail!("smtp.security = {other:?}: use starttls, tls or none"),
        };
        if s.from.is_empty() {
            bail!("smtp.host is set, so smtp.from must name the sender, like \"Tessera <meetings@example.org>\"");
        }
        let port = match (s.port, security) {
            (0, Security::StartTls) => 587,
            (0, Security::Tls) => 465,
            (0, Security::None) => 25,
            (p, _) => p,
        };
        Ok(Some(SmtpConfig {
            host: s.host.clone(),
            port,
            security,
            username: s.username.clone(),
            password: s.password.clone(),
            from: s.from.clone(),
            retry_after_secs: if s.retry_after_secs == 0 { 60 } else { s.retry_after_secs },
            update_delay_secs: s.update_delay_secs.unwrap_or(60),
        }))
    }

    pub fn recordings_dir(&self) -> PathBuf {
        if self.media.recordings_dir.as_os_str().is_empty() {
            self.data_dir.join("recordings")
        } else {
            self.media.recordings_dir.clone()
        }
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_listen(&self) -> anyhow::Result<Option<SocketAddr>> {
        let v = self.http.metrics_listen.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).with_context(|| {
            format!("http.metrics_listen = {v:?} is not an address like 127.0.0.1:9464 (TESSERA_METRICS_LISTEN)")
        })
    }

    /// Whether the server speaks HTTPS itself.
    pub fn https(&self) -> bool {
        crate::tls::Mode::parse(&self.http.tls).is_ok_and(|m| m != crate::tls::Mode::Off)
    }

    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("tessera.db").display())
        } else {
            self.database.url.clone()
        }
    }

    pub fn web(&self) -> tessera_web::WebConfig {
        tessera_web::WebConfig {
            // Behind TLS the session cookie is Secure whatever the setting says.
            secure_cookies: self.http.secure_cookies || self.https(),
            avatar_max_bytes: self.profile.avatar_max_bytes,
            address_max_failures: self.auth.address_max_failures,
            address_window_secs: i64::from(self.auth.address_window_minutes) * 60,
            sip_host: if self.http.public_host.is_empty() {
                self.http.listen.ip().to_string()
            } else {
                self.http.public_host.clone()
            },
            h323_port: self.h323_listen().ok().flatten().map(|a| a.port()),
            turn: self.turn(),
            trusted_proxies: self.http.trusted_proxies.clone(),
            public_url: if self.http.public_url.is_empty() {
                let acme = crate::tls::Mode::parse(&self.http.tls).is_ok_and(|m| m == crate::tls::Mode::Acme);
                let host = if self.http.public_host.is_empty() && acme && !self.acme.domains.is_empty() {
                    self.acme.domains[0].clone()
                } else if self.http.public_host.is_empty() {
                    self.http.listen.ip().to_string()
                } else {
                    self.http.public_host.clone()
                };
                let host = if host.contains(':') { format!("[{host}]") } else { host };
                if self.https() && self.http.tls_listen.port() == 443 {
                    format!("https://{host}")
                } else if self.https() {
                    format!("https://{host}:{}", self.http.tls_listen.port())
                } else {
                    format!("http://{host}:{}", self.http.listen.port())
                }
            } else {
                self.http.public_url.clone()
            },
            // Checked by `validate` at start-up.
            smtp: self.smtp_config().ok().flatten(),
            recordings_dir: self.recordings_dir(),
            files: self.files.limits(self.data_dir.join("files")),
            pdfjs_dir: self.slides.pdfjs(),
            source: self.source.offer(),
            encoder: format!(
                "H.264 (VP8 for endpoints that ask) {}x{} at {} fps, {} kbit/s",
                self.media.width, self.media.height, self.media.fps, self.media.video_kbps
            ),
        }
    }
}

#[cfg(test)]
mod tests;

pub mod devices;
mod listen;
mod managed;
pub mod media;
mod sip;
pub use sip::Sip;
