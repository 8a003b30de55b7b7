//! `tessera serve`: open the database, make sure there is an administrator, serve the personal
//! area, tell systemd, and stop cleanly on SIGTERM.

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::media::{self, rtsp::RtspServer};
use crate::runtime::Runtime;
use crate::runtime::conference::MediaConfig;
use crate::systemd;
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tessera_web::control::{Control, Request};
use tessera_web::rights::Right;
use tessera_web::store::{ConferenceKind, License, LicenseKind, NewConference, NewUser, Store};
use tessera_web::{AppState, router};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

pub const ADMIN_LOGIN: &str = "admin";
pub const ADMIN_PASSWORD_FILE: &str = "initial-admin-password";
pub const DEMO_ROOM: &str = "demo";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// On first start (no users at all) create `admin` with every right and a permanent license.
/// The password comes from `TESSERA_ADMIN_PASSWORD`, or is generated and written to a file only
/// the service user can read; it is never logged.
async fn bootstrap_admin(store: &Store, data_dir: &Path) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let (password, generated) = match std::env::var("TESSERA_ADMIN_PASSWORD")
        .map_err(|_| ())
        .and_then(|p| if p.is_empty() { Err(()) } else { Ok(p) })
    {
        Ok(p) => match tessera_web::validate::new_password("TESSERA_ADMIN_PASSWORD", &p) {
            Ok(p) => (p, false),
            Err(e) => anyhow::bail!("{e}"),
        },
        Err(_) => (tessera_web::auth::credentials::generate_password(), true),
    };
    let hash = tessera_web::auth::password::hash_async(password.clone()).await?;
    let u = store
        .create_user(NewUser { login: ADMIN_LOGIN, password_hash: &hash, display_name: "Administrator" }, now())
        .await?;
    store.grant_rights(u.id, &Right::ALL).await?;
    store.set_admin(u.id, true).await?;
    store.set_license(u.id, License { kind: LicenseKind::Permanent, expires_at: None }, now()).await?;
    crate::sip::save_digest(store, u.id, ADMIN_LOGIN, &password, now()).await?;
    if generated {
        let path = data_dir.join(ADMIN_PASSWORD_FILE);
        write_private(&path, &format!("{password}\n"))?;
        tracing::warn!(
            file = %path.display(),
            "first start: created the administrator account '{ADMIN_LOGIN}'; its password is in the file named here (readable by the service user only). Sign in and keep it safe."
        );
    } else {
        tracing::warn!(
            "first start: created the administrator account '{ADMIN_LOGIN}' with the password from TESSERA_ADMIN_PASSWORD"
        );
    }
    Ok(())
}

/// Accounts whose password was published (the database once committed to Tessera's repository)
/// get a new random password, written to `reset-password-LOGIN` in the data directory (readable
/// by the service user only), and must choose their own at their next sign-in.
async fn replace_published_passwords(store: &Store, data_dir: &Path) -> anyhow::Result<()> {
    for (login, password) in tessera_web::auth::published::replace_published(store, now()).await? {
        let path = data_dir.join(format!("reset-password-{login}"));
        write_private(&path, &format!("{password}\n"))?;
        tracing::warn!(
            login = %login,
            file = %path.display(),
            "this account's password was published (the database once shipped in Tessera's repository by mistake): it was replaced by the one in the file named here, and the account must choose a new password when it next signs in"
        );
    }
    Ok(())
}

/// Writes `text` to a file only the service's user may read (0600).
pub(crate) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// `--demo`: a public virtual room `demo`, owned by the administrator.
async fn ensure_demo(store: &Store) -> anyhow::Result<()> {
    if store.conference_exists(DEMO_ROOM).await? {
        return Ok(());
    }
    let owner = store.user_by_login(ADMIN_LOGIN).await?.or(store.list_users().await?.into_iter().next());
    let Some(owner) = owner else { return Ok(()) };
    let c = NewConference {
        id: DEMO_ROOM,
        name: "Demo room",
        owner_id: owner.id,
        kind: ConferenceKind::Room,
        public: true,
        starts_at: None,
        duration_minutes: None,
        pin: None,
        join_without_invitation: false,
        encrypted_media: false,
    };
    store.create_conference(c, now()).await?;
    tracing::info!(conference = DEMO_ROOM, owner = %owner.login, "created the public demo room");
    Ok(())
}

async fn shutdown_signal() {
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot watch SIGTERM");
            std::future::pending::<()>().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received, stopping"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received, stopping"),
    }
}

/// Reads the HTTPS certificate files again on each SIGHUP (a renewed certificate is used by the
/// next connection; those open keep theirs).
async fn reload_on_sighup(https: Arc<crate::tls::Https>) {
    let Ok(mut hup) = signal(SignalKind::hangup()) else { return };
    while hup.recv().await.is_some() {
        https.reload();
    }
}

pub async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    crate::logging::init(&config.log.level, &config.log.format);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "Tessera starting");
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    // The database, the password files and the recordings live here: the service's user only.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making data directory {} private (0700)", config.data_dir.display()))?;
    }
    let url = config.database_url();
    let store = Store::open(&url)
        .await
        .with_context(|| format!("opening database {}", tessera_web::store::redact_url(&url)))?;
    store.fix(config.fixed.clone());
    tracing::info!(database = %tessera_web::store::redact_url(&url), backend = ?store.backend(), data_dir = %config.data_dir.display(), "database ready (migrations applied)");
    for (key, (value, source)) in &config.fixed.0 {
        tracing::info!(setting = key, value = %value, source = %source, "setting fixed by the configuration (read-only in the control panel)");
    }
    bootstrap_admin(&store, &config.data_dir).await?;
    replace_published_passwords(&store, &config.data_dir).await?;
    if args.demo {
        ensure_demo(&store).await?;
    }

    let prometheus =
        crate::metrics_catalogue::builder()?.install_recorder().context("installing the metrics recorder")?;
    crate::metrics_catalogue::describe();
    let mut state = AppState::new(
        store.clone(),
        config.web(),
        std::sync::Arc::new(move || {
            crate::metrics_catalogue::sample_process();
            prometheus.render()
        }),
    )?;
    // Dial-out needs SIP and the media plane: the web ("Add participants") and the runtime
    // (calling a scheduled conference's invited addresses as it starts) share one handle.
    let mut dial = None;
    let mut dialer = None;
    if config.sip.enabled && config.media.enabled {
        let (d, rx) = tessera_web::dialout::Dialer::channel();
        dialer = Some(d);
        dial = Some(rx);
    }
    // Certificates are read before anything starts, so a bad file stops the start at once.
    let https = crate::tls::setup(&config)?.map(Arc::new);
    let cluster = crate::cluster::Cluster::new(store.clone(), &config);
    let runtime = if config.media.enabled {
        Some(start_media(&config, &store, dialer.clone(), state.hls.clone(), cluster.clone()).await?)
    } else {
        None
    };
    let heartbeat = {
        let occupancy = runtime.as_ref().map(|r| r.control.occupancy.clone());
        tracing::info!(node = %cluster.name, lease_seconds = cluster.lease_ms / 1000, "this node beats in the database ([cluster])");
        cluster.clone().beat(move || {
            let all = occupancy.as_ref().map(|o| o.all()).unwrap_or_default();
            (all.iter().map(|(_, n)| *n as i64).sum(), all.len() as i64)
        })
    };
    // Media sockets of every way in: port range, DSCP, the address peers are told.
    let media_sockets = Arc::new(crate::media::sockets::MediaSockets::new(
        config.rtp_ports()?,
        config.media.dscp_audio,
        config.media.dscp_video,
        config.external_address()?,
    ));
    if let Some(t) = config.turn() {
        tracing::info!(urls = %t.urls.join(", "), hours = config.webrtc.turn_credential_hours, "TURN relays given to conference pages");
    }
    if let Some(r) = config.rtp_ports()? {
        tracing::info!(ports = %format!("{}-{}", r.start(), r.end()), external = ?config.external_address()?, "media ports");
    }
    state.dialer = dialer;
    state.control = runtime.as_ref().map(|r| r.control.clone());
    state.devices =
        runtime.as_ref().and_then(|r| r.devices.clone()).map(|d| d as Arc<dyn tessera_web::server_devices::Directory>);
    if config.webrtc.enabled
        && let Some(r) = &runtime
    {
        state.rtc = Some(crate::webrtc::start(
            &config.webrtc.ice_addresses,
            config.media.rtp_bind,
            media_sockets.clone(),
            config.webrtc.ice_tcp,
            config.media.video_kbps,
            r.control.clone(),
        )?);
    }
    if args.demo
        && let Some(r) = &runtime
    {
        populate_demo(&r.control).await;
    }
    let lockout = state.lockout.clone();
    let chat = state.chat.clone();
    let warnings = state.warnings.clone();
    let registrations = state.registrations.clone();
    let metrics_app = tessera_web::system::metrics_router(state.clone());
    // The mail outbox: invitations, their updates and cancellations, retried until taken.
    let outbox = state.mailer.clone().map(|m| tokio::spawn(tessera_web::outbox::run(store.clone(), m)));
    let app = router(state);
    let (app, plain_app) = match &https {
        Some(h) => {
            (crate::tls::secure_app(app.clone(), h), crate::tls::redirect_app(app, h, config.http.tls_listen.port()))
        }
        None => (app.clone(), app),
    };

    let sip = if config.sip.enabled {
        let s = crate::sip::SipSettings {
            listen: config.sip.listen,
            max_messages_per_second: config.sip.max_messages_per_second,
            max_tcp_connections: config.sip.max_tcp_connections,
            max_tcp_connections_per_address: config.sip.max_tcp_connections_per_address,
            max_anonymous_calls: config.sip.max_anonymous_calls,
            max_anonymous_calls_per_address: config.sip.max_anonymous_calls_per_address,
            tcp_idle: std::time::Duration::from_secs(config.sip.tcp_idle_seconds.into()),
            session_min: config.sip.session_min_seconds,
            tls: match config.sip_tls_listen()? {
                None => None,
                Some(at) if config.sip.tls_certificate.as_os_str().is_empty() => match &https {
                    Some(h) => Some((at, h.acceptor.clone())),
                    None => {
                        anyhow::bail!("sip.tls_listen needs sip.tls_certificate, or http.tls to share its certificate")
                    }
                },
                Some(at) => {
                    Some((at, crate::sip::tls::acceptor(&config.sip.tls_certificate, &config.sip.tls_private_key)?))
                }
            },
            tls_client: crate::sip::tls::connector(&config.sip.tls_ca_file)?,
            rtp_bind: config.media.rtp_bind,
            media: media_sockets.clone(),
            chat: Some(chat.clone()),
            h323: config.h323_listen()?,
            h323_gatekeeper: config.h323_gatekeeper_listen()?,
            h323_video: crate::sip::h264_for(
                config.media.width,
                config.media.height,
                config.media.fps,
                config.media.video_kbps,
            ),
            picture: (config.media.width, config.media.height),
            video_kbps: config.media.video_kbps,
        };
        Some(crate::sip::start(s, runtime.as_ref().map(|r| r.control.clone()), store.clone(), lockout, dial).await?)
    } else {
        None
    };
    let listener = TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("listening on {} (http.listen / TESSERA_HTTP_LISTEN)", config.http.listen))?;
    let addr = listener.local_addr()?;
    media::destination::protect(addr.port());
    let tls_listener = match &https {
        Some(_) => {
            let l = TcpListener::bind(config.http.tls_listen).await.with_context(|| {
                format!("listening on {} (http.tls_listen / TESSERA_HTTP_TLS_LISTEN)", config.http.tls_listen)
            })?;
            media::destination::protect(l.local_addr()?.port());
            tracing::info!(
                "personal area at https://{}/ (http://{addr}/ serves this machine and redirects others there)",
                l.local_addr()?
            );
            Some(l)
        }
        None => {
            tracing::info!("personal area at http://{addr}/ (health at /healthz)");
            None
        }
    };
    let metrics_listener = match config.metrics_listen()? {
        Some(at) => {
            let l = TcpListener::bind(at)
                .await
                .with_context(|| format!("serving metrics on {at} (http.metrics_listen / TESSERA_METRICS_LISTEN)"))?;
            media::destination::protect(l.local_addr()?.port());
            tracing::info!("Prometheus metrics at http://{}/metrics", l.local_addr()?);
            Some(l)
        }
        None => {
            tracing::info!("metrics are off (http.metrics_listen is empty)");
            None
        }
    };
    match config.slides.pdfjs() {
        Some(dir) => {
            tracing::info!(pdfjs = %dir.display(), "slide shows on (PDFs rendered in the presenter's browser)")
        }
        None => tracing::info!(
            "slide shows are off: pdf.js is not in {} (apt install libjs-pdf, or set slides.pdfjs_dir)",
            config.slides.pdfjs_dir.display()
        ),
    }
    match config.source.offer() {
        tessera_web::source::Offer::Url(url) => tracing::info!(%url, "the source code is offered at /source"),
        tessera_web::source::Offer::Archive(path) => {
            tracing::info!(archive = %path.display(), "the source code is offered at /source")
        }
        tessera_web::source::Offer::Unknown => tracing::warn!(
            "/source cannot offer this server's source code (AGPL-3.0 section 13): set source.url, or source.archive \
             to a .tar.gz of it (the package installs {})",
            tessera_web::source::PACKAGE_ARCHIVE
        ),
    }
    match config.smtp_config() {
        Ok(Some(s)) => tracing::info!(
            host = %s.host, port = s.port, security = ?s.security, from = %s.from,
            "email invitations through SMTP (links to {})", config.web().public_url
        ),
        _ => tracing::info!("email invitations are off (set [smtp] host to send them)"),
    }

    if let Some(s) = &sip {
        let _ = registrations.set(Box::new(s.registrations()));
    }
    let housekeeping = tokio::spawn(housekeeping(store.clone(), config.clone()));
    // `tessera ctl`: the local control socket.
    let drained = Arc::new(tokio::sync::Notify::new());
    let ctl_path = crate::ctl::socket_path(&config.data_dir);
    let ctl = crate::ctl::Server {
        control: runtime.as_ref().map(|r| r.control.clone()),
        registrations: match &sip {
            Some(s) => Box::new(s.registrations()),
            None => Box::new(Vec::new),
        },
        started: std::time::Instant::now(),
        store: store.clone(),
        drained: drained.clone(),
    };
    match crate::ctl::listen(&ctl_path) {
        Ok(l) => {
            tracing::info!(socket = %ctl_path.display(), "tessera ctl answers on this socket (owner only)");
            tokio::spawn(crate::ctl::serve(l, Arc::new(ctl)));
        }
        Err(e) => tracing::warn!(error = format!("{e:#}"), "tessera ctl is off"),
    }
    let watchdog = systemd::watchdog_interval().map(|every| tokio::spawn(watchdog(store.clone(), every)));
    systemd::ready(&format!("serving on {addr}"));

    let header_timeout = Duration::from_secs(config.http.header_read_timeout_seconds.into());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let server = match (tls_listener, &https) {
        (Some(l), Some(h)) => {
            tokio::spawn(crate::http::serve(listener, plain_app, header_timeout, stopped(stop_rx.clone()), None));
            if h.reloads() {
                tokio::spawn(reload_on_sighup(h.clone()));
            }
            if let Some(acme) = &h.acme {
                let warn: crate::tls::acme::Warn = Arc::new(move |w| warnings.set("acme", w));
                tokio::spawn(acme.clone().run(warn));
            }
            let tls = Some(h.acceptor.clone());
            tokio::spawn(crate::http::serve(l, app, header_timeout, stopped(stop_rx.clone()), tls))
        }
        _ => tokio::spawn(crate::http::serve(listener, app, header_timeout, stopped(stop_rx.clone()), None)),
    };
    if let Some(m) = metrics_listener {
        tokio::spawn(crate::http::serve(m, metrics_app, header_timeout, stopped(stop_rx), None));
    }
    tokio::select! {
        _ = shutdown_signal() => {}
        _ = drained.notified() => tracing::info!("drained (tessera ctl drain), stopping"),
    }
    let _ = std::fs::remove_file(&ctl_path);
    systemd::stopping();
    let _ = stop_tx.send(true);
    let bound = Duration::from_secs(config.shutdown.timeout_seconds.into());
    match tokio::time::timeout(bound, server).await {
        Ok(Ok(Ok(()))) => tracing::info!("all requests finished"),
        Ok(Ok(Err(e))) => tracing::error!(error = %e, "server error while stopping"),
        Ok(Err(e)) => tracing::error!(error = %e, "server task failed"),
        Err(_) => {
            tracing::warn!(seconds = bound.as_secs(), "requests still running at the shutdown bound; closing anyway")
        }
    }
    if let Some(r) = runtime {
        r.shutdown(bound).await;
    }
    heartbeat.abort();
    cluster.leave().await;
    // The conferences' last events (who left, that they ended) are queued: store them.
    if tokio::time::timeout(bound, store.flush_events()).await.is_err() {
        tracing::warn!("the connection history was still being written at the shutdown bound");
    }
    if sip.is_some() {
        // Calls heard that their conferences ended: give their BYEs a moment to go out.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop(sip);
    housekeeping.abort();
    if let Some(o) = outbox {
        o.abort();
    }
    if let Some(w) = watchdog {
        w.abort();
    }
    store.close().await;
    tracing::info!("Tessera stopped");
    Ok(())
}

/// GStreamer, the RTSP server and the conference runtime; recordings a crash left open are
/// marked interrupted first.
async fn start_media(
    config: &Config,
    store: &Store,
    dialer: Option<tessera_web::dialout::Dialer>,
    hls: Arc<tessera_web::hls::Shelf>,
    cluster: Arc<crate::cluster::Cluster>,
) -> anyhow::Result<Runtime> {
    media::init()?;
    let encoder = tokio::task::block_in_place(|| {
        media::h264_encoder::choose(media::h264_encoder::wanted(&config.media.video_encoder)?)
    })?;
    let recordings_dir = config.recordings_dir();
    mark_interrupted(store, &recordings_dir).await?;
    let rtsp = match config.rtsp_listen()? {
        Some(addr) => {
            let ports = config.rtp_ports()?;
            let server = tokio::task::block_in_place(|| RtspServer::start(addr, ports))?;
            media::destination::protect(server.port);
            tracing::info!("RTSP at rtsp://{}:{}/<conference id>", addr.ip(), server.port);
            Some(Arc::new(server))
        }
        None => None,
    };
    let public_host = if !config.http.public_host.is_empty() {
        config.http.public_host.clone()
    } else {
        match config.rtsp_listen()? {
            Some(a) if !a.ip().is_unspecified() => a.ip().to_string(),
            _ => "localhost".into(),
        }
    };
    let mc = MediaConfig {
        width: config.media.width,
        height: config.media.height,
        fps: config.media.fps,
        video_kbps: config.media.video_kbps,
        recordings_dir: recordings_dir.clone(),
        public_host,
        rtsp: None,
        rtp_bind: config.media.rtp_bind,
        rtp_timeout: Duration::from_secs(config.media.rtp_timeout_seconds.into()),
        devices: config.devices.enabled.then(|| crate::local_devices::LocalDevices::new(config.devices.clone())),
        hls,
    };
    match &mc.devices {
        Some(d) => {
            tracing::info!(allow = ?d.settings.allow, "devices attached to the server: looking for cameras and audio devices");
            // The watcher lives as long as the process.
            drop(d.clone().watch());
        }
        None => tracing::info!("devices attached to the server are off ([devices] enabled)"),
    }
    tracing::info!(
        size = %format!("{}x{}@{}", mc.width, mc.height, mc.fps),
        recordings = %recordings_dir.display(),
        h264_encoder = encoder.name(),
        "media plane ready"
    );
    Ok(Runtime::start(store.clone(), mc, rtsp, dialer, cluster))
}

/// A recording still marked in progress was cut short by a crash or `kill -9`: its fragmented MP4
/// plays up to the last fragment, so keep it, as interrupted.
async fn mark_interrupted(store: &Store, dir: &Path) -> anyhow::Result<()> {
    for r in store.unfinished_recordings().await? {
        let path = dir.join(&r.file_name);
        let meta = std::fs::metadata(&path).ok();
        let size = meta.as_ref().map_or(0, |m| m.len() as i64);
        let ended = meta
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(r.started_at, |d| d.as_secs() as i64);
        let duration_ms = (ended - r.started_at).max(0) * 1000;
        store
            .recording_finished(
                r.id,
                "interrupted",
                ended,
                duration_ms,
                size,
                Some("the server stopped while recording"),
            )
            .await?;
        tracing::warn!(conference = %r.conference_id, file = %r.file_name, bytes = size, "recording interrupted by an earlier crash; kept as interrupted");
    }
    Ok(())
}

/// The demo room's four synthetic participants: a colour and a tone each.
async fn populate_demo(control: &Control) {
    let people = [
        ("Alice Martin", [200, 60, 60], 440),
        ("Борис Петров", [60, 160, 80], 550),
        ("Chen Wei", [60, 90, 200], 660),
        ("Dolores Ruiz", [220, 180, 40], 0),
    ];
    for (name, colour, tone_hz) in people {
        let r = control
            .call(DEMO_ROOM, None, Request::AddSynthetic { name: name.into(), colour, tone_hz, size: None })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "the demo room could not start");
            return;
        }
    }
    tracing::info!(conference = DEMO_ROOM, "demo room running with four synthetic participants");
}

/// Applies the retention policy (the settings' values at each run) every `interval_minutes`.
async fn retention(store: Store, config: Config) {
    let dir = config.recordings_dir();
    let mut tick = tokio::time::interval(Duration::from_secs(u64::from(config.retention.interval_minutes) * 60));
    let mut last = None;
    loop {
        tick.tick().await;
        let policy = match store.settings().await {
            Ok(s) => s.retention,
            Err(e) => {
                tracing::warn!(error = %e, "reading the retention settings failed");
                continue;
            }
        };
        if last != Some(policy) {
            match policy.keeps_everything() {
                true => tracing::info!("retention policy off: recordings and histories are kept"),
                false => {
                    tracing::info!(?policy, every_minutes = config.retention.interval_minutes, "retention policy on")
                }
            }
            last = Some(policy);
        }
        if policy.keeps_everything() {
            continue;
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        if let Err(e) = tessera_web::retention::apply(&store, &dir, &policy, now_ms).await {
            tracing::warn!(error = format!("{e:#}"), "applying the retention policy failed");
        }
    }
}

/// Purges expired sessions and sweeps chat files every ten minutes.
async fn housekeeping(store: Store, config: Config) {
    tokio::spawn(retention(store.clone(), config.clone()));
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let t = now();
        let Ok(settings) = store.settings().await else { continue };
        let (idle, abs) = (settings.session_idle_minutes * 60, settings.session_absolute_hours * 3600);
        match store.purge_sessions(t - idle, t - abs).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "expired sessions purged"),
            Err(e) => tracing::warn!(error = %e, "purging sessions failed"),
        }
        if let Err(e) = store.purge_password_links(t).await {
            tracing::warn!(error = %e, "purging expired set-password links failed");
        }
        // The delivery log of invitations: kept 90 days.
        if let Err(e) = store.purge_mail(t - 90 * 86_400).await {
            tracing::warn!(error = %e, "purging the mail outbox's log failed");
        }
        match tessera_web::chat_files::sweep(&store, &config.data_dir.join("files")).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "chat files of deleted conferences or expired chats removed"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "sweeping chat files failed"),
        }
    }
}

/// Pings the systemd watchdog only while the database answers, so a wedged server is restarted.
async fn watchdog(store: Store, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match tokio::time::timeout(every, store.ping()).await {
            Ok(Ok(())) => systemd::watchdog_ping(),
            Ok(Err(e)) => tracing::error!(error = %e, "watchdog: database check failed"),
            Err(_) => tracing::error!("watchdog: database check timed out"),
        }
    }
}
