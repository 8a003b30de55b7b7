//! The SIP side of Tessera: UDP and TCP listeners on `sip.listen` (and TLS on `sip.tls_listen`) that frame and check every
//! message with the bridge's sans-IO message layer; OPTIONS and malformed requests are answered
//! at once, everything else goes to the user agent ([`ua`]), which turns INVITEs to
//! `sip:<conference>@host` into calls ([`call`]): SDP offer/answer, a PIN when the conference has
//! one, and an RTP participant of the running conference. Limits keep the server alive:
//! message size, a rate per source address, TCP connections per address and in all, idle TCP
//! connections closed, a cap on transactions and calls (503 beyond).

mod admit;
mod answer;
mod auth;
mod call;
mod chat;
mod dial;
mod h323;
mod history;
mod limits;
mod path;
mod pin;
mod proxy;
mod register;
mod tcp;
/// What a call's audio takes beside its video, kbit/s (G.711's 64, the most a phone's or room
/// system's codec takes), for its quality tier.
pub(crate) const CALL_AUDIO_KBPS: u32 = 64;

pub mod tls;
mod ua;
mod udp;

use anyhow::Context as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tessera_web::auth::lockout::LockoutService;
use tessera_web::control::Control;
use tessera_web::store::Store;

/// The digest realm SIP clients authenticate in (their HA1 depends on it).
pub const REALM: &str = tessera_web::auth::credentials::SIP_REALM;

/// Stores the SIP digest secrets for a password being set (MD5 and SHA-256 HA1s).
pub async fn save_digest(store: &Store, user_id: i64, login: &str, password: &str, now: i64) -> anyhow::Result<()> {
    tessera_web::auth::credentials::save_sip_digest(store, user_id, login, password, now).await
}

#[derive(Clone)]
pub struct SipSettings {
    pub listen: SocketAddr,
    pub max_messages_per_second: u32,
    pub max_tcp_connections: usize,
    pub max_tcp_connections_per_address: usize,
    pub max_anonymous_calls: usize,
    pub max_anonymous_calls_per_address: usize,
    /// How long a TCP/TLS connection nobody uses may stay quiet.
    pub tcp_idle: std::time::Duration,
    /// The shortest RFC 4028 session interval accepted (Min-SE), seconds.
    pub session_min: u32,
    /// Where dial-out may call.
    /// The address RTP sockets bind to (`media.rtp_bind`).
    pub rtp_bind: IpAddr,
    /// How media sockets are made and which address peers are told.
    pub media: Arc<crate::media::sockets::MediaSockets>,
    /// SIP over TLS: where, and the PEM certificate chain and private key.
    /// SIP over TLS: where, and with which certificate (its own, or the personal area's).
    pub tls: Option<(SocketAddr, tokio_rustls::TlsAcceptor)>,
    /// Calls out over TLS: the certificate authorities the callee's certificate is checked with.
    pub tls_client: tokio_rustls::TlsConnector,
    /// The conference chat (the web's): SIP MESSAGEs in a call go in, other messages go out.
    pub chat: Option<tokio::sync::broadcast::Sender<tessera_web::store::ChatMessage>>,
    /// H.323 call signalling on TCP (`sip.h323_listen`), and the H.264 it announces.
    pub h323: Option<SocketAddr>,
    /// The H.323 gatekeeper on UDP (`sip.h323_gatekeeper_listen`).
    pub h323_gatekeeper: Option<SocketAddr>,
    pub h323_video: tessera_sip_h323_bridge::h323::h245::codec::H264,
    /// The layouts' picture size (`media.width` x `media.height`): what SIP calls are told they
    /// are sent and the largest size they are asked for (`a=imageattr`).
    pub picture: (u32, u32),
    /// The layouts' video bitrate (`media.video_kbps`): the full quality tier's.
    pub video_kbps: u32,
}

pub use h323::h264_for;

/// An order to call out, and where to say whether the call is being placed.
pub type DialRequest = (tessera_web::dialout::DialOrder, tokio::sync::oneshot::Sender<tessera_web::dialout::DialReply>);

/// What calls need from the rest of the server.
pub struct Context {
    pub control: Option<Control>,
    pub store: Store,
    pub rtp_bind: IpAddr,
    pub media: Arc<crate::media::sockets::MediaSockets>,
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub tls: Option<SocketAddr>,
    /// Calls out over TLS (see [`tls::connector`]).
    pub tls_client: tokio_rustls::TlsConnector,
    pub auth: auth::Auth,
    pub registrar: register::Registrar,
    pub chat: Option<tokio::sync::broadcast::Sender<tessera_web::store::ChatMessage>>,
    /// Tessera's own requests over UDP (dial-out) leave through the UDP transport.
    pub udp_out: tokio::sync::mpsc::UnboundedSender<path::UdpOut>,
    /// Where connections Tessera opens (dial-out over TCP) hand what they receive.
    pub ua: tokio::sync::mpsc::Sender<path::Inbound>,
    pub limits: Arc<limits::Limits>,
    /// RFC 4028's Min-SE: the shortest session interval accepted (seconds).
    pub session_min: u32,
    /// The H.264 H.323 calls announce (the output's size, rate and bit rate).
    pub h323_video: tessera_sip_h323_bridge::h323::h245::codec::H264,
    /// The layouts' picture size (`media.width` x `media.height`): what SIP calls are told they
    /// are sent and the largest size they are asked for (`a=imageattr`).
    pub picture: (u32, u32),
    /// The layouts' video bitrate (`media.video_kbps`): the full quality tier's.
    pub video_kbps: u32,
    /// Where H.323 calls are taken (as bound), if they are.
    pub h323: Option<SocketAddr>,
    /// H.323 registrations and admitted calls (answered on `sip.h323_gatekeeper_listen`).
    gatekeeper: std::sync::Mutex<tessera_sip_h323_bridge::h323::gatekeeper::Gatekeeper>,
}

impl Context {
    /// The gatekeeper's state; hold it only between awaits.
    pub fn gatekeeper(&self) -> std::sync::MutexGuard<'_, tessera_sip_h323_bridge::h323::gatekeeper::Gatekeeper> {
        self.gatekeeper.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tessera's own port for the transport of `path` (Via sent-by, Contact).
    pub fn port_for(&self, path: &path::Path) -> u16 {
        match path {
            path::Path::Udp { .. } => self.udp.port(),
            path::Path::Tcp { secure: false, .. } => self.tcp.port(),
            path::Path::Tcp { secure: true, .. } => self.tls.map_or(self.tcp.port(), |a| a.port()),
        }
    }
}

pub struct SipServer {
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub tls: Option<SocketAddr>,
    pub h323: Option<SocketAddr>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    ctx: Arc<Context>,
}

impl SipServer {
    /// The phones and H.323 endpoints registered now, as a reader that outlives this handle:
    /// login, contact (`h323:<address>` for the gatekeeper's), seconds left (for `tessera ctl`
    /// and the control panel).
    pub fn registrations(&self) -> impl Fn() -> Vec<(String, String, u64)> + Send + Sync + 'static {
        let ctx = self.ctx.clone();
        move || {
            let mut all = ctx.registrar.all();
            let now = chrono::Utc::now().timestamp();
            all.extend(
                ctx.gatekeeper()
                    .endpoints(now)
                    .into_iter()
                    .map(|e| (e.login, format!("h323:{}", e.call_signal), u64::try_from(e.expires - now).unwrap_or(0))),
            );
            all.sort();
            all
        }
    }
}

pub async fn start(
    s: SipSettings,
    control: Option<Control>,
    store: Store,
    lockout: Arc<LockoutService>,
    dial: Option<tokio::sync::mpsc::Receiver<DialRequest>>,
) -> anyhow::Result<SipServer> {
    let udp = tokio::net::UdpSocket::bind(s.listen)
        .await
        .with_context(|| format!("SIP over UDP on {} (sip.listen / TESSERA_SIP_LISTEN)", s.listen))?;
    let tcp = tokio::net::TcpListener::bind(s.listen)
        .await
        .with_context(|| format!("SIP over TCP on {} (sip.listen / TESSERA_SIP_LISTEN)", s.listen))?;
    let (udp_addr, tcp_addr) = (udp.local_addr()?, tcp.local_addr()?);
    let tls = match &s.tls {
        None => None,
        Some((at, acceptor)) => {
            let acceptor = acceptor.clone();
            let listener = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("SIP over TLS on {at} (sip.tls_listen / TESSERA_SIP_TLS_LISTEN)"))?;
            Some((listener.local_addr()?, listener, acceptor))
        }
    };
    let tls_addr = tls.as_ref().map(|t| t.0);
    let h323 = match s.h323 {
        None => None,
        Some(at) => {
            let listener = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("H.323 on {at} (sip.h323_listen / TESSERA_H323_LISTEN)"))?;
            Some((listener.local_addr()?, listener))
        }
    };
    let h323_addr = h323.as_ref().map(|h| h.0);
    let gatekeeper = match s.h323_gatekeeper {
        None => None,
        Some(at) => {
            let socket = tokio::net::UdpSocket::bind(at).await.with_context(|| {
                format!("the H.323 gatekeeper on {at} (sip.h323_gatekeeper_listen / TESSERA_H323_GATEKEEPER_LISTEN)")
            })?;
            Some((socket.local_addr()?, socket))
        }
    };
    let gatekeeper_addr = gatekeeper.as_ref().map(|g| g.0);
    for a in [Some(udp_addr), Some(tcp_addr), tls_addr, h323_addr, gatekeeper_addr].into_iter().flatten() {
        crate::media::destination::protect(a.port());
    }
    let limits = Arc::new(limits::Limits::new(&s));
    let (ua_tx, ua_rx) = tokio::sync::mpsc::channel(4096);
    let (udp_out, udp_out_rx) = tokio::sync::mpsc::unbounded_channel();
    let ctx = Arc::new(Context {
        udp_out: udp_out.clone(),
        ua: ua_tx.clone(),
        limits: limits.clone(),
        control,
        auth: auth::Auth::new(lockout, store.clone()),
        registrar: register::Registrar::default(),
        store,
        rtp_bind: s.rtp_bind,
        media: s.media.clone(),
        udp: udp_addr,
        tcp: tcp_addr,
        tls: tls_addr,
        tls_client: s.tls_client.clone(),
        chat: s.chat.clone(),
        session_min: s.session_min,
        h323_video: s.h323_video,
        picture: s.picture,
        video_kbps: s.video_kbps,
        h323: h323_addr,
        gatekeeper: std::sync::Mutex::new(tessera_sip_h323_bridge::h323::gatekeeper::Gatekeeper::new(
            h323::GATEKEEPER_ID,
            rand::random(),
        )),
    });
    let mut tasks = vec![
        tokio::spawn(forget_disabled(ctx.clone())),
        tokio::spawn(ua::run(ctx.clone(), ua_rx, dial)),
        tokio::spawn(udp::serve(udp, limits.clone(), ua_tx.clone(), (udp_out, udp_out_rx))),
        tokio::spawn(tcp::serve(tcp, limits.clone(), ua_tx.clone(), None)),
    ];
    if let Some((_, listener, acceptor)) = tls {
        tasks.push(tokio::spawn(tcp::serve(listener, limits, ua_tx, Some(acceptor))));
    }
    if let Some((at, listener)) = h323 {
        tasks.push(tokio::spawn(h323::serve(listener, ctx.clone())));
        tracing::info!(tcp = %at, "H.323 listening (dial the conference id, or <conference id>*<PIN>, at this host)");
    }
    if let Some((at, socket)) = gatekeeper {
        tasks.push(tokio::spawn(h323::serve_gatekeeper(socket, ctx.clone())));
        tracing::info!(udp = %at, id = h323::GATEKEEPER_ID, "H.323 gatekeeper listening (endpoints register with their login and password, H.235.1)");
    }
    match tls_addr {
        Some(t) => {
            tracing::info!(udp = %udp_addr, tcp = %tcp_addr, tls = %t, "SIP listening (dial sip:<conference id>@this host)")
        }
        None => tracing::info!(udp = %udp_addr, tcp = %tcp_addr, "SIP listening (dial sip:<conference id>@this host)"),
    }
    Ok(SipServer { udp: udp_addr, tcp: tcp_addr, tls: tls_addr, h323: h323_addr, tasks, ctx })
}

/// Every five seconds, the registrations of accounts disabled since go: their phones are no
/// longer reachable through Tessera (the proxy and dial-out also check before ringing).
async fn forget_disabled(ctx: Arc<Context>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    // Accounts already handled: a disabled account cannot register again (its digest fails).
    let mut handled = std::collections::HashSet::new();
    loop {
        tick.tick().await;
        let Ok(ids) = ctx.store.disabled_user_ids().await else { continue };
        let now: std::collections::HashSet<i64> = ids.into_iter().collect();
        let new: Vec<i64> = now.difference(&handled).copied().collect();
        handled = now;
        for id in new {
            if let Ok(Some(u)) = ctx.store.user_by_id(id).await {
                let n = ctx.registrar.forget(&u.login);
                if n > 0 {
                    tracing::info!(login = ?u.login, bindings = n, "SIP registrations of a disabled account removed");
                }
                let n = ctx.gatekeeper().forget(&u.login);
                if n > 0 {
                    tracing::info!(login = ?u.login, endpoints = n, "H.323 registrations of a disabled account removed");
                }
            }
        }
    }
}

impl Drop for SipServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
