use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = tessera::cli::Cli::parse();
    match tessera::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
