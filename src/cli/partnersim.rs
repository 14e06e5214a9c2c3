//! `antar partner-sim`: run the partner simulator standalone against an antar service.
//!
//! Owns: the command's arguments and its terminal output. The simulator itself is
//! [`crate::partnersim`]; this file loads its road graph and PIN book and waits for ctrl-c.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use crate::app;
use crate::config::Settings;
use crate::partnersim::{PartnerSim, PinBook, SimConfig};

/// Arguments of `antar partner-sim`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  antar partner-sim --listen 127.0.0.1:9000 --antar-url http://127.0.0.1:8080 \\
    --token antar_… --outbound-secret whsec_… --inbound-secret whsec_… \\
    --accept-rate 0.9 --async-rate 0.2 --fail-rate 0.05 --seed 1 --pins pins.csv

Configure the partner in antar with the webhook URL http://127.0.0.1:9000/ and the same two
secrets. GET http://127.0.0.1:9000/stats shows the statistics; ctrl-c prints them and stops.
The PIN file is CSV: parcel_code,pin (one row per controlled-medicine parcel).")]
pub struct PartnerSimArgs {
    /// Address of the partner's webhook endpoint.
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
    /// antar's base URL; callbacks go to {URL}/partner/v1/events.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub antar_url: String,
    /// The partner's API token at antar.
    #[arg(long, env = "ANTAR_SIM_TOKEN", hide_env_values = true)]
    pub token: String,
    /// antar's outbound secret for this partner (whsec_…); give it twice while rotating.
    #[arg(long = "outbound-secret", required = true)]
    pub outbound_secrets: Vec<String>,
    /// The partner's inbound secret (whsec_…) that signs callbacks.
    #[arg(long, env = "ANTAR_SIM_INBOUND_SECRET", hide_env_values = true)]
    pub inbound_secret: String,
    /// Share of offers accepted.
    #[arg(long, default_value_t = 0.9)]
    pub accept_rate: f64,
    /// Share of offers answered 202 and decided later by callback.
    #[arg(long, default_value_t = 0.2)]
    pub async_rate: f64,
    /// Share of offers answered slowly.
    #[arg(long, default_value_t = 0.05)]
    pub slow_rate: f64,
    /// Share of offers first answered 500 (the retry gets a real answer).
    #[arg(long, default_value_t = 0.05)]
    pub error_rate: f64,
    /// Share of stops that fail (not_home, address_not_found, refused).
    #[arg(long, default_value_t = 0.05)]
    pub fail_rate: f64,
    /// Share of PIN stops where a wrong PIN is reported first.
    #[arg(long, default_value_t = 0.0)]
    pub wrong_pin_rate: f64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Road network: embedded:banyuwangi-town, a graph file or an OSM extract; "none" for
    /// straight lines at town speed.
    #[arg(long, default_value = app::EMBEDDED_TOWN)]
    pub graph: String,
    /// CSV file of parcel_code,pin for controlled medicine.
    #[arg(long)]
    pub pins: Option<PathBuf>,
    /// Simulated seconds per real second for rides and waits (e.g. 60: an hour in a minute).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
}

/// Run the simulator until ctrl-c (or SIGTERM), then print its statistics.
pub async fn run(args: PartnerSimArgs) -> anyhow::Result<()> {
    let pins = match &args.pins {
        Some(path) => PinBook::from_csv_file(path)?,
        None => PinBook::default(),
    };
    let mut config = SimConfig::new(
        args.listen,
        args.antar_url.clone(),
        args.token,
        args.outbound_secrets,
        args.inbound_secret,
    );
    config.accept_rate = args.accept_rate;
    config.async_rate = args.async_rate;
    config.slow_rate = args.slow_rate;
    config.error_rate = args.error_rate;
    config.fail_rate = args.fail_rate;
    config.wrong_pin_rate = args.wrong_pin_rate;
    config.seed = args.seed;
    config.time_scale = args.time_scale;
    let known_pins = pins.len();
    config.pins = pins;
    // Bad settings are reported before the road network takes its time to load.
    config.validate()?;
    config.graph = match args.graph.trim() {
        "" | "none" => None,
        path => {
            let mut settings = Settings::default();
            settings.roads.graph = path.to_owned();
            app::load_roads(&settings).await?
        }
    };
    let sim = PartnerSim::start(config)
        .await
        .context("cannot start the partner simulator")?;
    println!(
        "Simulator mitra siap: webhook {} → event ke {} ({known_pins} PIN diketahui). Ctrl-C untuk berhenti.",
        sim.url(),
        args.antar_url.trim_end_matches('/')
    );
    app::shutdown_signal().await;
    let stats = sim.shutdown().await;
    println!("{stats}");
    Ok(())
}
