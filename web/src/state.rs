//! What every handler shares.

use crate::auth::LockoutService;
use crate::store::Store;
use std::sync::Arc;

/// The web side of the configuration; the daemon fills it from `tessera.toml`.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure`: set when users reach Tessera over HTTPS (a TLS-terminating proxy).
    pub secure_cookies: bool,
    pub avatar_max_bytes: usize,
    pub address_max_failures: u32,
    pub address_window_secs: i64,
    /// The host name SIP endpoints dial (shown on the download page).
    pub sip_host: String,
    /// The TCP port H.323 room systems call (`sip.h323_listen`); `None`: H.323 is off.
    pub h323_port: Option<u16>,
    /// Reverse proxies whose `X-Forwarded-For` is believed for the client's address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address users open the personal area at (`https://meet.example.org`), for links in
    /// invitations and calendar entries.
    pub public_url: String,
    /// The SMTP server for email invitations; None: invitations are off.
    pub smtp: Option<crate::mail::SmtpConfig>,
    /// Where the media plane writes recordings (their index holds paths relative to it).
    pub recordings_dir: std::path::PathBuf,
    /// Files sent in conference chats.
    pub files: crate::chat_files::Limits,
    /// pdf.js for slide shows, when installed ([`crate::slides`]).
    pub pdfjs_dir: Option<std::path::PathBuf>,
    /// What each running conference's encoder makes, for the live view.
    pub encoder: String,
    /// What `/source` gives (AGPL-3.0 section 13).
    pub source: crate::source::Offer,
    /// TURN relays for browsers, if the administrator runs any.
    pub turn: Option<crate::turn::Turn>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            avatar_max_bytes: 1024 * 1024,
            address_max_failures: 20,
            address_window_secs: 15 * 60,
            sip_host: "127.0.0.1".into(),
            h323_port: None,
            trusted_proxies: Vec::new(),
            public_url: "http://127.0.0.1:8080".into(),
            smtp: None,
            recordings_dir: std::path::PathBuf::from("recordings"),
            files: Default::default(),
            pdfjs_dir: None,
            encoder: String::new(),
            source: crate::source::Offer::Unknown,
            turn: None,
        }
    }
}

pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub lockout: Arc<LockoutService>,
    pub metrics: MetricsRender,
    pub cache: Arc<crate::cache::Cache>,
    /// The conference runtime, when the daemon runs the media plane.
    pub control: Option<crate::control::Control>,
    /// Browsers' WebRTC peers, when the daemon runs them.
    pub rtc: Option<crate::rtc::Rtc>,
    /// SIP dial-out (adding participants who are then called), when the daemon runs SIP.
    pub dialer: Option<crate::dialout::Dialer>,
    /// Browsers' devices, for the conference manager to choose from.
    pub remote_devices: Arc<crate::remote_devices::RemoteDevices>,
    /// The devices attached to this machine, when `[devices]` is on.
    pub devices: Option<Arc<dyn crate::server_devices::Directory>>,
    /// Chat messages of every conference, as they are sent (each page keeps its own).
    pub chat: tokio::sync::broadcast::Sender<crate::store::ChatMessage>,
    /// Email invitations, when `[smtp]` is configured.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// Webinar join links in use: one device at a time.
    pub one_device: Arc<crate::registration::devices::OneDevice>,
    /// Webinar sign-ups per address.
    pub signups: Arc<crate::registration::devices::SignupLimiter>,
    /// What `/healthz` warns about while the server still serves (a failing certificate renewal).
    pub warnings: Arc<crate::system::Warnings>,
    /// The keys of pages connected to conferences, for sending and fetching chat files.
    pub chat_files: Arc<crate::chat_files::Keys>,
    /// Calls between users ringing now, and their pages' notices.
    pub calls: Arc<crate::calling::Calls>,
    /// SIP registrations now (login, contact, seconds left), once SIP has started.
    pub registrations: Arc<std::sync::OnceLock<Registrations>>,
    /// The HLS outputs of running conferences (filled by the daemon's segmenters).
    pub hls: Arc<crate::hls::Shelf>,
}

/// Lists the SIP registrations of the moment.
pub type Registrations = Box<dyn Fn() -> Vec<(String, String, u64)> + Send + Sync>;

impl AppState {
    pub fn new(store: Store, config: WebConfig, metrics: MetricsRender) -> anyhow::Result<AppState> {
        let lockout = LockoutService::new(store.clone(), config.address_max_failures, config.address_window_secs)?;
        let cache = crate::cache::Cache::start(&store);
        let mailer = match &config.smtp {
            Some(c) => Some(Arc::new(crate::mail::Mailer::new(c)?)),
            None => None,
        };
        Ok(AppState {
            mailer,
            store,
            config: Arc::new(config),
            lockout: Arc::new(lockout),
            metrics,
            cache,
            control: None,
            rtc: None,
            dialer: None,
            remote_devices: Arc::default(),
            hls: Arc::default(),
            devices: None,
            chat: tokio::sync::broadcast::channel(256).0,
            one_device: Arc::default(),
            signups: Arc::new(crate::registration::devices::SignupLimiter::new(
                crate::registration::SIGNUPS_PER_WINDOW,
                crate::registration::SIGNUP_WINDOW_SECS,
            )),
            warnings: Arc::default(),
            chat_files: Arc::default(),
            calls: Arc::default(),
            registrations: Arc::default(),
        })
    }
}

/// The current UTC time in Unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
