//! The `tessera` binary: configuration, start-up, systemd integration, and the administrator's
//! command line. It wires the crates together: the web's [`tessera_web::AppState`] over the
//! store, served by axum, with Prometheus metrics; later the conference runtime, media
//! pipelines and the SIP/H.323 bridge hang off the same start-up.

pub mod admin;
pub mod cli;
pub mod config;
pub mod http;
pub mod media;
pub mod runtime;
pub mod serve;
pub mod sip;
pub mod systemd;
pub mod webrtc;

use cli::{Cli, Command};
use config::Config;

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command.unwrap_or(Command::Serve(cli::ServeArgs::default())) {
        Command::Serve(args) => rt.block_on(serve::serve(config, args)),
        Command::Admin(cmd) => rt.block_on(admin::run(&config, cmd)),
        Command::CheckConfig => {
            println!("configuration is valid; database: {}", tessera_web::store::redact_url(&config.database_url()));
            Ok(())
        }
    }
}
