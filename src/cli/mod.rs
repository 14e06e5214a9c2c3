//! The command line: raw arguments → validated settings → one command. Every command has
//! `--help` with an example.
//!
//! May use everything; nothing depends on it but `main`.

pub mod graph;
pub mod solve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{self, Application};
use crate::config::Settings;

/// antar: dispatcher for medicine and meal delivery to the poor.
#[derive(Debug, Parser)]
#[command(name = "antar", version, about, long_about = None)]
pub struct Cli {
    /// Settings file (default: ./antar.toml when present).
    #[arg(long, global = true, env = "ANTAR_CONFIG")]
    pub config: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Database selection shared by commands.
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// Database URL: sqlite://FILE (default sqlite://antar.db) or postgres://…
    #[arg(long = "database", env = "ANTAR_DATABASE_URL")]
    pub database: Option<String>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service.
    #[command(
        after_help = "Example:\n  antar serve --listen 127.0.0.1:8080 --database sqlite://antar.db"
    )]
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ANTAR_LISTEN")]
        listen: Option<String>,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply database migrations and exit.
    #[command(
        after_help = "Example:\n  antar migrate --database postgres://postgres@127.0.0.1/antar"
    )]
    Migrate {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Road graphs: import OpenStreetMap extracts, routes, matrices, benchmarks.
    #[command(subcommand)]
    Graph(graph::GraphCommand),
    /// Solve one routing instance (Solomon, VRPLIB or antar JSON) and print the solution as JSON.
    Solve(solve::SolveArgs),
    /// Run a benchmark set (Solomon, CVRP X, the domain-scale day) against best-known solutions.
    Bench(solve::BenchArgs),
    /// Print the effective settings (secrets masked).
    #[command(after_help = "Example:\n  ANTAR_LISTEN=0.0.0.0:80 antar config")]
    Config,
}

/// Admin commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the first admin API token; it is printed once, as the last line of output.
    #[command(after_help = "Example:\n  antar admin bootstrap --database sqlite://antar.db")]
    Bootstrap {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
}

fn settings(
    config: Option<&std::path::Path>,
    db: Option<&DbArgs>,
    listen: Option<String>,
) -> anyhow::Result<Settings> {
    let mut s = Settings::load(config, std::env::vars())?;
    if let Some(url) = db.and_then(|d| d.database.clone()) {
        s.database.url = url;
    }
    if let Some(l) = listen {
        s.server.listen = l;
    }
    Ok(s)
}

/// Run a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Serve { listen, db } => {
            let s = settings(config, Some(&db), listen)?;
            let app = Application::build(&s).await?;
            app.run_until_stopped(app::shutdown_signal()).await
        }
        Command::Migrate { db } => {
            let s = settings(config, Some(&db), None)?;
            app::open_store(&s).await?.close().await;
            println!(
                "migrations applied to {}",
                crate::config::mask_url_password(&s.database.url)
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Bootstrap { db }) => {
            let s = settings(config, Some(&db), None)?;
            let store = app::open_store(&s).await?;
            let dispatch = app::build_dispatch(&s, store.clone())?;
            let token = dispatch
                .bootstrap_admin()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            store.close().await;
            println!("Admin token created. Store it now: it is shown only once.");
            println!("{token}");
            Ok(())
        }
        Command::Graph(cmd) => tokio::task::spawn_blocking(move || graph::run(cmd)).await?,
        Command::Solve(args) => tokio::task::spawn_blocking(move || solve::run_solve(args)).await?,
        Command::Bench(args) => tokio::task::spawn_blocking(move || solve::run_bench(args)).await?,
        Command::Config => {
            let s = settings(config, None, None)?;
            print!("{}", s.masked_toml());
            Ok(())
        }
    }
}
