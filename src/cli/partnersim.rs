//! `antar partner-sim`: run the partner simulator standalone against an antar service.
//!
//! Owns: the command's arguments and its terminal output. The simulator itself is
//! [`crate::partnersim`]; this file loads its road graph and PIN book and waits for ctrl-c.
//! `--mode booking` runs the booking-API service instead ([`crate::partnersim::booking`]), and
//! `--mode couriers` our own couriers riding through the courier page
//! ([`crate::partnersim::couriers`]).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use crate::app;
use crate::config::Settings;
use crate::partnersim::booking::{Advance, BookingSim, BookingSimConfig};
use crate::partnersim::couriers::{CourierSim, CourierSimConfig};
use crate::partnersim::{PartnerSim, PinBook, SimConfig};

/// Which kind of partner to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimMode {
    /// A partner that speaks antar's webhook contract (offers in, signed events out).
    Webhook,
    /// A courier service with a quote → book → poll/callback → cancel API that antar calls.
    Booking,
    /// Our own couriers: the day's courier links read with a staff token, each job ridden
    /// through the courier page.
    Couriers,
}

/// Arguments of `antar partner-sim`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  antar partner-sim --listen 127.0.0.1:9000 --antar-url http://127.0.0.1:8080 \\
    --token antar_… --outbound-secret whsec_… --inbound-secret whsec_… \\
    --accept-rate 0.9 --async-rate 0.2 --fail-rate 0.05 --seed 1 --pins pins.csv

Configure the partner in antar with the webhook URL http://127.0.0.1:9000/ and the same two
secrets. GET http://127.0.0.1:9000/stats shows the statistics; ctrl-c prints them and stops.
The PIN file is CSV: parcel_code,pin (one row per controlled-medicine parcel).

Booking-API mode (a GoSend/Lalamove-style courier service that antar calls):
  antar partner-sim --mode booking --listen 127.0.0.1:9100 --api-key kunci-rahasia \\
    --callback-secret rahasia-callback --no-driver-rate 0.1 --surge-min 1.0 --surge-max 1.5 \\
    --base-fare-idr 9000 --per-km-idr 2500 --cancel-fee-idr 5000 --step-delay 120 --seed 1

It serves POST /quotes, POST /bookings, GET /bookings/{id} and POST /bookings/{id}/cancel
with Authorization: Bearer <api key>: configure a booking_api partner in antar with the API URL
http://127.0.0.1:9100 and the API key as its secret.

Couriers mode (our own couriers, riding through the courier page /kurir/{token}):
  antar partner-sim --mode couriers --listen 127.0.0.1:9200 --antar-url http://127.0.0.1:8080 \\
    --token antar_… --pins pins.csv --seed 1 --date 2031-03-04

--token is a staff token (social worker, pharmacist or admin): the simulator lists the jobs our
couriers hold, reads each one's courier_link, opens the page and taps pickup at departure and
each stop at its planned arrival. GET http://127.0.0.1:9200/stats shows what they did.")]
pub struct PartnerSimArgs {
    /// Which partner to simulate: webhook (antar's contract) or booking (a booking API).
    #[arg(long, value_enum, default_value = "webhook")]
    pub mode: SimMode,
    /// Address of the partner's webhook endpoint.
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
    /// antar's base URL; callbacks go to {URL}/partner/v1/events.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub antar_url: String,
    /// The partner's API token at antar (webhook mode), or a staff token that may list jobs
    /// (couriers mode).
    #[arg(
        long,
        env = "ANTAR_SIM_TOKEN",
        hide_env_values = true,
        required_if_eq("mode", "webhook")
    )]
    pub token: Option<String>,
    /// antar's outbound secret for this partner (whsec_…); give it twice while rotating
    /// (webhook mode).
    #[arg(long = "outbound-secret", required_if_eq("mode", "webhook"))]
    pub outbound_secrets: Vec<String>,
    /// The partner's inbound secret (whsec_…) that signs callbacks (webhook mode).
    #[arg(
        long,
        env = "ANTAR_SIM_INBOUND_SECRET",
        hide_env_values = true,
        required_if_eq("mode", "webhook")
    )]
    pub inbound_secret: Option<String>,
    /// The API key antar must send (booking mode).
    #[arg(
        long,
        env = "ANTAR_SIM_API_KEY",
        hide_env_values = true,
        required_if_eq("mode", "booking")
    )]
    pub api_key: Option<String>,
    /// The secret that signs status callbacks (booking mode).
    #[arg(
        long,
        env = "ANTAR_SIM_CALLBACK_SECRET",
        hide_env_values = true,
        required_if_eq("mode", "booking")
    )]
    pub callback_secret: Option<String>,
    /// Share of bookings that find no driver (booking mode).
    #[arg(long, default_value_t = 0.1)]
    pub no_driver_rate: f64,
    /// Lowest surge multiplier (booking mode).
    #[arg(long, default_value_t = 1.0)]
    pub surge_min: f64,
    /// Highest surge multiplier (booking mode).
    #[arg(long, default_value_t = 1.5)]
    pub surge_max: f64,
    /// Fare before distance, rupiah (booking mode).
    #[arg(long, default_value_t = 9_000)]
    pub base_fare_idr: i64,
    /// Fare per road kilometre, rupiah (booking mode).
    #[arg(long, default_value_t = 2_500)]
    pub per_km_idr: i64,
    /// Charged when a booking is cancelled after a driver was assigned, rupiah (booking mode).
    #[arg(long, default_value_t = 5_000)]
    pub cancel_fee_idr: i64,
    /// Simulated seconds per booking step: finding a driver, reaching the pickup, the ride
    /// (booking mode); 0 moves a booking one step at each status request instead.
    #[arg(long, default_value_t = 120)]
    pub step_delay: u64,
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
    /// Share of stops where the recipient is found unwell (a delivery with concern unwell, or
    /// a failure recipient_unwell).
    #[arg(long, default_value_t = 0.01)]
    pub unwell_rate: f64,
    /// Share of stops where nobody is home (couriers mode).
    #[arg(long, default_value_t = 0.05)]
    pub not_home_rate: f64,
    /// Share of stops where the recipient refuses (couriers mode).
    #[arg(long, default_value_t = 0.01)]
    pub refuse_rate: f64,
    /// Share of meals handed over where yesterday's tin comes back (couriers mode).
    #[arg(long, default_value_t = 0.9)]
    pub tin_rate: f64,
    /// Share of stops where the courier also sends a note (couriers mode).
    #[arg(long, default_value_t = 0.05)]
    pub note_rate: f64,
    /// Share of actions whose answer is lost, so the phone sends them again with the same id
    /// (couriers mode).
    #[arg(long, default_value_t = 0.02)]
    pub resend_rate: f64,
    /// Only this site's couriers (couriers mode).
    #[arg(long)]
    pub site: Option<uuid::Uuid>,
    /// Only jobs departing on this local date, YYYY-MM-DD (couriers mode; default: every job a
    /// courier holds, each ridden when its times come).
    #[arg(long)]
    pub date: Option<chrono::NaiveDate>,
    /// Simulated seconds between listings of the jobs (couriers mode).
    #[arg(long, default_value_t = 300)]
    pub scan_every: u64,
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
    match args.mode {
        SimMode::Booking => return run_booking(args).await,
        SimMode::Couriers => return run_couriers(args).await,
        SimMode::Webhook => {}
    }
    // clap's required_if_eq does not see the default mode, so webhook mode checks here.
    for (given, flag) in [
        (args.token.is_some(), "--token"),
        (!args.outbound_secrets.is_empty(), "--outbound-secret"),
        (args.inbound_secret.is_some(), "--inbound-secret"),
    ] {
        if !given {
            anyhow::bail!("{flag} is required in webhook mode (see antar partner-sim --help)");
        }
    }
    let pins = match &args.pins {
        Some(path) => PinBook::from_csv_file(path)?,
        None => PinBook::default(),
    };
    let mut config = SimConfig::new(
        args.listen,
        args.antar_url.clone(),
        args.token.unwrap_or_default(),
        args.outbound_secrets,
        args.inbound_secret.unwrap_or_default(),
    );
    config.accept_rate = args.accept_rate;
    config.async_rate = args.async_rate;
    config.slow_rate = args.slow_rate;
    config.error_rate = args.error_rate;
    config.fail_rate = args.fail_rate;
    config.unwell_rate = args.unwell_rate;
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

/// `--mode booking`: serve the booking API until ctrl-c, then print its counters.
async fn run_booking(args: PartnerSimArgs) -> anyhow::Result<()> {
    let mut config = BookingSimConfig::new(
        args.listen,
        args.api_key.unwrap_or_default(),
        args.callback_secret.unwrap_or_default(),
    );
    config.no_driver_rate = args.no_driver_rate;
    config.surge_min = args.surge_min;
    config.surge_max = args.surge_max;
    config.base_idr = args.base_fare_idr;
    config.per_km_idr = args.per_km_idr;
    config.cancel_fee_idr = args.cancel_fee_idr;
    config.seed = args.seed;
    config.time_scale = args.time_scale;
    if args.step_delay == 0 {
        config.advance = Advance::PerPoll;
    } else {
        config.step_delay = std::time::Duration::from_secs(args.step_delay);
    }
    let sim = BookingSim::start(config)
        .await
        .context("cannot start the booking-API simulator")?;
    println!(
        "Simulator layanan kurir (API pemesanan) siap di {}. Ctrl-C untuk berhenti.",
        sim.url()
    );
    app::shutdown_signal().await;
    let stats = sim.shutdown().await;
    println!("{}", serde_json::to_string_pretty(&stats)?);
    Ok(())
}

/// `--mode couriers`: ride the couriers' jobs until ctrl-c, then print the counters.
async fn run_couriers(args: PartnerSimArgs) -> anyhow::Result<()> {
    let Some(token) = args.token else {
        anyhow::bail!("--token (a staff token) is required in couriers mode");
    };
    let pins = match &args.pins {
        Some(path) => PinBook::from_csv_file(path)?,
        None => PinBook::default(),
    };
    let mut config = CourierSimConfig::new(args.antar_url.clone(), token);
    config.listen = Some(args.listen);
    config.site = args.site;
    config.date = args.date;
    config.not_home_rate = args.not_home_rate;
    config.unwell_rate = args.unwell_rate;
    config.refuse_rate = args.refuse_rate;
    config.tin_rate = args.tin_rate;
    config.note_rate = args.note_rate;
    config.resend_rate = args.resend_rate;
    config.seed = args.seed;
    config.scan_every = std::time::Duration::from_secs(args.scan_every);
    config.time_scale = args.time_scale;
    let known_pins = pins.len();
    config.pins = pins;
    let sim = CourierSim::start(config)
        .await
        .context("cannot start the couriers simulator")?;
    let stats = sim.stats();
    println!(
        "Simulator kurir siap: {} tautan kurir ditemukan di {} ({known_pins} PIN diketahui). Statistik: {} — Ctrl-C untuk berhenti.",
        stats.links_found,
        args.antar_url.trim_end_matches('/'),
        sim.stats_url().unwrap_or_default()
    );
    app::shutdown_signal().await;
    let stats = sim.shutdown().await;
    println!("{}", serde_json::to_string_pretty(&stats)?);
    Ok(())
}
