//! The `tessera` binary: configuration, start-up, systemd integration, and the administrator's
//! command line. It wires the crates together and does their I/O: the web's
//! [`tessera_web::AppState`] over the store, served by axum ([`http`]), with Prometheus metrics;
//! the conference [`runtime`] (roster, modes, layouts, the connection history) driving the
//! GStreamer [`media`] plane; [`sip`] transports, registrar, calls and dial-out over the bridge's
//! sans-IO layers; and browsers' peers ([`webrtc`]). Who may join is asked of the conference
//! core (`tessera_conference::admission`), through `tessera_web::admission`.

pub mod admin;
pub mod backup;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod ctl;
pub mod devices_cli;
pub mod http;
pub mod local_devices;
pub mod logging;
pub mod malloc;
pub mod media;
pub mod metrics_catalogue;
pub mod runtime;
pub mod serve;
pub mod sip;
pub mod systemd;
pub mod tls;
pub mod webrtc;

use cli::{Cli, Command};
use config::Config;

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // What describes the command line itself needs no configuration.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut <Cli as clap::CommandFactory>::command(), "tessera", &mut out);
            return print(&out);
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
            return print(&out);
        }
        _ => {}
    }
    if matches!(cli.command, None | Some(Command::Serve(_))) {
        malloc::fix_mmap_threshold();
    }
    let config = Config::load(cli.config.as_deref())?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = match cli.command.unwrap_or(Command::Serve(cli::ServeArgs::default())) {
        Command::Serve(args) => rt.block_on(serve::serve(config, args)),
        Command::Admin(cmd) => rt.block_on(admin::run(&config, cmd)),
        Command::Ctl(cmd) => rt.block_on(ctl::run(&config.data_dir, cmd)),
        Command::Devices(cmd) => rt.block_on(devices_cli::run(&config, cmd)),
        Command::Completions { .. } | Command::Man => Ok(()),
        Command::CheckConfig => {
            println!("configuration is valid; database: {}", tessera_web::store::redact_url(&config.database_url()));
            Ok(())
        }
    };
    // A start that fails half-way leaves blocking work behind (the media plane's threads); a plain
    // drop of the runtime would wait for it for ever, so the error would never reach the shell.
    rt.shutdown_timeout(std::time::Duration::from_secs(5));
    result
}

/// Writes `bytes` to standard output; a reader that stops early (`| head`) is not an error.
fn print(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().write_all(bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
