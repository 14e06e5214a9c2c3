//! The `antar` binary: parse the command line, set up logging, run the command.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    antar::telemetry::init_logs();
    antar::crypto::install_tls_provider();
    if let Err(e) = antar::clock::install_from_env() {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let cli = antar::cli::Cli::parse();
    match antar::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
