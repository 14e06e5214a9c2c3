//! The partner simulator: a ride-hailing partner that speaks antar's webhook contract (DESIGN §6)
//! exactly, for tests, for `antar demo` (in the same process, on the shared scaled clock) and
//! standalone (`antar partner-sim`).
//!
//! It listens for antar's signed offers, verifies every request, answers offers synchronously or
//! later by callback (at configurable rates, with slow answers and transient `500`s), and for
//! every accepted job sends a courier along the road graph: `courier.assigned`,
//! `courier.location` points on the way, `job.picked_up`, then per stop `stop.arrived` and
//! `stop.delivered` (with proof, a PIN from the [`PinBook`] for controlled medicine; now and then
//! with `"concern": "unwell"`) or `stop.failed` with an Indonesian courier note. Callbacks are signed with the partner's inbound
//! secret, carry a per-job `seq` from 1, and are retried with a stable `webhook-id`.
//!
//! Randomness is seeded per offer and per job (from [`SimConfig::seed`] and the ids), so the same
//! job gets the same decision, courier and outcomes in every run, whatever the order of arrival.
//!
//! [`booking`] is the other mode: a courier service with a quote → book → poll/callback →
//! cancel API (the shape of GoSend, Grab Express, Lalamove, Borzo) that antar calls.
//! [`couriers`] plays our own couriers instead: it reads the day's courier links with a staff
//! token and rides each job through the courier page, as a courier does on the phone.
//!
//! Map: `server` (the webhook endpoint), `rider` (decisions made later and the rides),
//! `events` (signing and posting callbacks), `people` (names, plates, notes).
//!
//! Owns: [`SimConfig`], [`PartnerSim`], [`SimHandle`], [`SimStats`], [`PinBook`], [`SimError`].
//! Depends on `webhooks`, `roads`, `clock`, `crypto` and `domain`. Must not depend on `dispatch`,
//! `store` or `api`: the simulator is an outside party and only speaks HTTP.

pub mod booking;
pub mod couriers;
mod events;
mod people;
mod rider;
mod server;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::roads::RoadGraph;
use crate::webhooks::SigningKey;
use crate::webhooks::outbound::{JobId, JobOffered, OfferId, Stop};

/// Everything the simulator needs. Build with [`SimConfig::new`] and adjust the public fields.
#[derive(Clone)]
pub struct SimConfig {
    /// Where the webhook endpoint listens (port 0 picks a free port).
    pub listen: SocketAddr,
    /// antar's base URL, e.g. `http://127.0.0.1:8080`; events go to `{antar_url}/partner/v1/events`.
    pub antar_url: String,
    /// The partner's API token (`Authorization: Bearer …`).
    pub token: SecretString,
    /// antar's outbound secrets for this partner (`whsec_…`, two during rotation): offers must be
    /// signed with one of them.
    pub outbound_secrets: Vec<SecretString>,
    /// The partner's inbound secret (`whsec_…`): every callback is signed with it.
    pub inbound_secret: SecretString,
    /// Share of offers accepted.
    pub accept_rate: f64,
    /// Share of offers answered `202` and decided later by callback.
    pub async_rate: f64,
    /// Share of offers answered only after [`SimConfig::slow_delay`].
    pub slow_rate: f64,
    /// Share of offers first answered `500` (the retry with the same `webhook-id` gets a real answer).
    pub error_rate: f64,
    /// Share of stops that fail (`not_home`, `address_not_found`, `refused`).
    pub fail_rate: f64,
    /// Share of stops where the courier finds the recipient unwell: reported as
    /// `"concern": "unwell"` on a delivery, or as `recipient_unwell` on a failed stop. Drawn per
    /// stop apart from every other choice, so it changes no other outcome.
    pub unwell_rate: f64,
    /// Share of PIN stops where the courier first reports a wrong PIN (antar refuses it), then
    /// the right one.
    pub wrong_pin_rate: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// The road network couriers ride on; without it they ride straight lines at town speed.
    pub graph: Option<Arc<RoadGraph>>,
    /// Parcel code → handover PIN, as recipients would tell the courier.
    pub pins: PinBook,
    /// Simulated seconds per real second for the simulator's own waits, on top of the process
    /// clock's factor (1: real time; tests use e.g. 10 000 so rides finish at once).
    pub time_scale: f64,
    /// How long (simulated) a slow answer takes.
    pub slow_delay: Duration,
    /// The first real-time wait before a callback antar did not take is sent again; doubled on
    /// every attempt up to [`SimConfig::retry_max`]. Callbacks are retried until antar takes
    /// them (or the job is cancelled, or the simulator stops).
    pub retry_first: Duration,
    /// The longest real-time wait between attempts of a callback, `Retry-After` included.
    pub retry_max: Duration,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("listen", &self.listen)
            .field("antar_url", &self.antar_url)
            .field("token", &"[redacted]")
            .field("outbound_secrets", &self.outbound_secrets.len())
            .field("accept_rate", &self.accept_rate)
            .field("async_rate", &self.async_rate)
            .field("slow_rate", &self.slow_rate)
            .field("error_rate", &self.error_rate)
            .field("fail_rate", &self.fail_rate)
            .field("unwell_rate", &self.unwell_rate)
            .field("wrong_pin_rate", &self.wrong_pin_rate)
            .field("seed", &self.seed)
            .field("graph", &self.graph.is_some())
            .field("time_scale", &self.time_scale)
            .field("slow_delay", &self.slow_delay)
            .field("retry_first", &self.retry_first)
            .field("retry_max", &self.retry_max)
            .finish_non_exhaustive()
    }
}

impl SimConfig {
    /// A well-behaved partner: accepts 90 % of offers, answers a fifth later by callback, rarely
    /// slow or failing; 5 % of stops fail; 1 % of recipients are found unwell; real time; seed 1; no road graph; an empty PIN book.
    pub fn new(
        listen: SocketAddr,
        antar_url: impl Into<String>,
        token: impl Into<String>,
        outbound_secrets: Vec<String>,
        inbound_secret: impl Into<String>,
    ) -> Self {
        Self {
            listen,
            antar_url: antar_url.into(),
            token: SecretString::from(token.into()),
            outbound_secrets: outbound_secrets
                .into_iter()
                .map(SecretString::from)
                .collect(),
            inbound_secret: SecretString::from(inbound_secret.into()),
            accept_rate: 0.9,
            async_rate: 0.2,
            slow_rate: 0.05,
            error_rate: 0.05,
            fail_rate: 0.05,
            unwell_rate: 0.01,
            wrong_pin_rate: 0.0,
            seed: 1,
            graph: None,
            pins: PinBook::default(),
            time_scale: 1.0,
            slow_delay: Duration::from_secs(20),
            retry_first: Duration::from_millis(200),
            retry_max: Duration::from_secs(2),
        }
    }

    /// Refuse rates outside 0..=1, a non-positive time scale, unusable secrets or URL.
    pub fn validate(&self) -> Result<(), SimError> {
        let rates = [
            ("accept_rate", self.accept_rate),
            ("async_rate", self.async_rate),
            ("slow_rate", self.slow_rate),
            ("error_rate", self.error_rate),
            ("fail_rate", self.fail_rate),
            ("unwell_rate", self.unwell_rate),
            ("wrong_pin_rate", self.wrong_pin_rate),
        ];
        for (name, value) in rates {
            if !(0.0..=1.0).contains(&value) {
                return Err(SimError::Rate { name, value });
            }
        }
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(SimError::TimeScale(self.time_scale));
        }
        if self.outbound_secrets.is_empty() {
            return Err(SimError::Secret {
                which: "outbound",
                reason: "none given".into(),
            });
        }
        for s in &self.outbound_secrets {
            SigningKey::parse(s.expose_secret()).map_err(|e| SimError::Secret {
                which: "outbound",
                reason: e.to_string(),
            })?;
        }
        SigningKey::parse(self.inbound_secret.expose_secret()).map_err(|e| SimError::Secret {
            which: "inbound",
            reason: e.to_string(),
        })?;
        let url = self.antar_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(SimError::AntarUrl(self.antar_url.clone()));
        }
        Ok(())
    }
}

/// Why the simulator cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A rate outside 0..=1.
    #[error("{name} must be between 0 and 1, got {value}")]
    Rate {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A surge range that is not 1 ≤ min ≤ max ≤ 10.
    #[error("surge multipliers must satisfy 1 <= min <= max <= 10, got {min}..{max}")]
    Surge {
        /// Lowest.
        min: f64,
        /// Highest.
        max: f64,
    },
    /// A negative fare setting.
    #[error("fares (base, per km, cancellation fee) must not be negative")]
    Fare,
    /// A time scale that is not a positive number.
    #[error("time_scale must be a positive number, got {0}")]
    TimeScale(f64),
    /// An unusable `whsec_` secret.
    #[error("{which} secret: {reason}")]
    Secret {
        /// `outbound` or `inbound`.
        which: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// antar's URL is not http(s).
    #[error("antar URL must start with http:// or https://, got {0:?}")]
    AntarUrl(String),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The HTTP client cannot be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// A PIN file that cannot be read.
    #[error("PIN file {path}: {reason}")]
    PinFile {
        /// The file.
        path: String,
        /// What is wrong (with the line number when it is a row).
        reason: String,
    },
}

/// Parcel code → handover PIN: what recipients of controlled medicine tell the courier. Shared
/// and cheap to clone: `antar demo` fills it as it creates prescriptions while the simulator runs.
#[derive(Debug, Clone, Default)]
pub struct PinBook(Arc<RwLock<HashMap<String, String>>>);

impl PinBook {
    /// Record the PIN for a parcel code.
    pub fn insert(&self, parcel_code: impl Into<String>, pin: impl Into<String>) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.insert(parcel_code.into(), pin.into());
    }

    /// The PIN for a parcel code, if the recipient knows it.
    pub fn get(&self, parcel_code: &str) -> Option<String> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.get(parcel_code).cloned()
    }

    /// How many PINs are known.
    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no PIN is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Read a CSV file of `parcel_code,pin` rows (a header row `parcel_code,pin` is allowed).
    pub fn from_csv_file(path: &Path) -> Result<Self, SimError> {
        let err = |reason: String| SimError::PinFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        Self::from_csv(&text).map_err(err)
    }

    /// Parse `parcel_code,pin` rows; the error names the line.
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let book = Self::default();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        for (i, record) in reader.records().enumerate() {
            let line = i + 1;
            let record = record.map_err(|e| format!("line {line}: {e}"))?;
            let (Some(code), Some(pin), None) = (record.get(0), record.get(1), record.get(2))
            else {
                return Err(format!("line {line}: expected two columns parcel_code,pin"));
            };
            if line == 1 && code.eq_ignore_ascii_case("parcel_code") {
                continue;
            }
            if code.is_empty() || pin.is_empty() {
                return Err(format!("line {line}: empty parcel code or PIN"));
            }
            book.insert(code, pin);
        }
        Ok(book)
    }
}

/// What the simulator has seen and done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimStats {
    /// Offers (`job.offered`, `job.updated`) received, each `webhook-id` counted once.
    pub offers_received: u64,
    /// Offers accepted (synchronously or by callback).
    pub offers_accepted: u64,
    /// Offers rejected (synchronously or by callback).
    pub offers_rejected: u64,
    /// Offers answered `202` and decided later.
    pub async_decisions: u64,
    /// Offers answered only after a delay.
    pub slow_answers: u64,
    /// `500` answers returned (each then answered properly on antar's retry).
    pub errors_returned: u64,
    /// Requests whose `webhook-id` was seen before (answered as the first time, nothing redone).
    pub duplicates: u64,
    /// Requests refused `401` for a missing or wrong signature.
    pub bad_signatures: u64,
    /// Offers withdrawn before a decision was sent.
    pub offers_withdrawn: u64,
    /// Callbacks antar answered 2xx.
    pub events_posted: u64,
    /// Callbacks antar refused, by HTTP status (not retried).
    pub events_refused: BTreeMap<u16, u64>,
    /// Callbacks still not taken when their job was cancelled or the simulator stopped (they
    /// are retried until then).
    pub events_lost: u64,
    /// Stops handed over.
    pub stops_delivered: u64,
    /// Stops reported failed.
    pub stops_failed: u64,
    /// Jobs whose every stop was delivered or failed.
    pub jobs_completed: u64,
    /// Jobs cancelled by antar while known to the simulator.
    pub jobs_cancelled: u64,
}

impl std::fmt::Display for SimStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "penawaran: {} diterima, {} disetujui, {} ditolak, {} diputuskan kemudian, {} lambat, {} dijawab 500, {} duplikat, {} ditarik",
            self.offers_received,
            self.offers_accepted,
            self.offers_rejected,
            self.async_decisions,
            self.slow_answers,
            self.errors_returned,
            self.duplicates,
            self.offers_withdrawn
        )?;
        writeln!(f, "tanda tangan salah: {}", self.bad_signatures)?;
        let refused = self
            .events_refused
            .iter()
            .map(|(status, n)| format!("{status}×{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            f,
            "event ke antar: {} terkirim, ditolak: [{}], {} hilang",
            self.events_posted, refused, self.events_lost
        )?;
        write!(
            f,
            "titik antar: {} terkirim, {} gagal; pekerjaan: {} selesai, {} dibatalkan",
            self.stops_delivered, self.stops_failed, self.jobs_completed, self.jobs_cancelled
        )
    }
}

/// The simulator. [`PartnerSim::start`] runs it.
pub struct PartnerSim;

impl PartnerSim {
    /// Validate the configuration, bind the webhook endpoint and serve it on the current tokio
    /// runtime. Rides run as tasks on the same runtime.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), antar::partnersim::SimError> {
    /// use antar::partnersim::{PartnerSim, SimConfig};
    ///
    /// let mut config = SimConfig::new(
    ///     "127.0.0.1:0".parse().unwrap(),
    ///     "http://127.0.0.1:8080",
    ///     "antar_partner_token",
    ///     vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
    ///     "whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==",
    /// );
    /// config.accept_rate = 0.8;
    /// let pins = config.pins.clone(); // filled as prescriptions are created
    /// pins.insert("RB-7K3Q", "482913");
    /// let sim = PartnerSim::start(config).await?;
    /// println!("partner webhook URL: {}", sim.url());
    /// // … antar offers jobs to sim.url() …
    /// sim.wait_idle().await;
    /// println!("{}", sim.shutdown().await);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        config.validate()?;
        crate::crypto::install_tls_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("antar-partner-sim/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SimError::Client(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let (stats, _) = watch::channel(SimStats::default());
        let (busy, _) = watch::channel(0usize);
        let shared = Arc::new(Shared {
            events_url: format!(
                "{}/partner/v1/events",
                config.antar_url.trim_end_matches('/')
            ),
            config,
            client,
            stats,
            busy,
            state: Mutex::new(State::default()),
        });
        let serving = Serving::start(
            listener,
            server::router(shared.clone()),
            "partner simulator",
        );
        tracing::info!(%addr, "partner simulator listening");
        Ok(SimHandle {
            addr,
            shared,
            serving,
        })
    }
}

/// A running simulator.
pub struct SimHandle {
    /// The bound address of the webhook endpoint (give antar `http://{addr}/` as the partner URL).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    serving: Serving,
}

/// A simulator's HTTP server on its own task, until told to stop.
struct Serving {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl Serving {
    /// Serve `app` on `listener` until [`Serving::signal`]; `what` names it in the log.
    fn start(listener: tokio::net::TcpListener, app: axum::Router, what: &'static str) -> Self {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "{what} stopped");
            }
        });
        Self {
            stop: Some(stop_tx),
            server,
        }
    }

    /// Ask the server to stop; false when it was asked before.
    fn signal(&mut self) -> bool {
        match self.stop.take() {
            Some(stop) => {
                let _ = stop.send(());
                true
            }
            None => false,
        }
    }

    /// Ask the server to stop and wait until it has.
    async fn stop(&mut self) {
        self.signal();
        let _ = (&mut self.server).await;
    }
}

impl SimHandle {
    /// The webhook URL to configure for this partner in antar.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> SimStats {
        self.shared.stats.borrow().clone()
    }

    /// A receiver that sees every change of the statistics.
    pub fn watch_stats(&self) -> watch::Receiver<SimStats> {
        self.shared.stats.subscribe()
    }

    /// Wait until no ride, decision or callback is in flight. An offer accepted synchronously
    /// has its ride registered before the answer is sent, so after the answer this waits for it.
    pub async fn wait_idle(&self) {
        let mut busy = self.shared.busy.subscribe();
        // The sender lives in `shared`, which we hold: the channel cannot close.
        let _ = busy.wait_for(|n| *n == 0).await;
    }

    /// Stop serving, stop every ride, and wait for the server to finish. Returns the final stats.
    pub async fn shutdown(mut self) -> SimStats {
        self.shared.cancel_all();
        self.serving.stop().await;
        self.wait_idle().await;
        self.stats()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if self.serving.signal() {
            self.shared.cancel_all();
        }
    }
}

/// State shared by the endpoint and the tasks.
struct Shared {
    config: SimConfig,
    events_url: String,
    client: reqwest::Client,
    stats: watch::Sender<SimStats>,
    /// Tasks in flight (rides, decisions made later); see [`Busy`].
    busy: watch::Sender<usize>,
    /// Never held across an `.await`.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// `webhook-id` → the answer given, for duplicates.
    answers: HashMap<String, Answer>,
    /// `webhook-id`s answered `500` once: the retry gets a real answer.
    errored: HashSet<String>,
    jobs: HashMap<JobId, Arc<Job>>,
    /// Set by shutdown: no new ride starts.
    stopping: bool,
}

/// An answer to a webhook request, kept for duplicates.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: serde_json::Value,
}

/// What the simulator knows about one job.
struct Job {
    id: JobId,
    /// The first offer (pickup, handling, kind never change with `job.updated`).
    offer: JobOffered,
    /// Events of the job are posted one at a time under this lock, which holds the last `seq`:
    /// they reach antar in `seq` order.
    seq: tokio::sync::Mutex<u64>,
    /// `true` once the job is cancelled (or the simulator stops).
    cancel: watch::Sender<bool>,
    /// The offer waiting for a decision sent later, if any; a watch so that a withdrawal wakes
    /// the waiting decision at once.
    pending: watch::Sender<Option<OfferId>>,
    ride: Mutex<RideState>,
}

#[derive(Default)]
struct RideState {
    /// The stops as last accepted.
    stops: Vec<Stop>,
    riding: bool,
    picked_up: bool,
    finished: bool,
}

impl Job {
    fn ride(&self) -> std::sync::MutexGuard<'_, RideState> {
        self.ride.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stat(&self, f: impl FnOnce(&mut SimStats)) {
        self.stats.send_modify(f);
    }

    fn cancel_all(&self) {
        let mut state = self.state();
        state.stopping = true;
        for job in state.jobs.values() {
            job.cancel.send_replace(true);
        }
    }

    /// A reproducible RNG for one purpose and one id.
    fn rng(&self, purpose: &str, id: uuid::Uuid) -> StdRng {
        let digest = Sha256::new()
            .chain_update(self.config.seed.to_le_bytes())
            .chain_update(purpose.as_bytes())
            .chain_update(id.as_bytes())
            .finalize();
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&digest);
        StdRng::from_seed(seed)
    }

    /// The real time to wait for `simulated` to pass, by the process clock and the time scale.
    fn real(&self, simulated: Duration) -> Duration {
        crate::clock::real_duration(simulated).div_f64(self.config.time_scale)
    }

    /// Wait `simulated` time unless the job is cancelled first; `false` when cancelled.
    async fn wait(&self, job: &Job, simulated: Duration) -> bool {
        let mut cancel = job.cancel.subscribe();
        if *cancel.borrow_and_update() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(self.real(simulated)) => !job.cancelled(),
            _ = cancel.wait_for(|c| *c) => false,
        }
    }
}

/// Counts a task in flight for [`SimHandle::wait_idle`] while alive.
struct Busy(Arc<Shared>);

impl Busy {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.busy.send_modify(|n| *n += 1);
        Self(shared.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn config() -> SimConfig {
        SimConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            "http://127.0.0.1:8080",
            "antar_sekret_token",
            vec![SECRET.into()],
            SECRET,
        )
    }

    #[test]
    fn a_pin_file_may_have_a_header_and_names_the_bad_line() {
        let book = PinBook::from_csv("parcel_code,pin\nRB-7K3Q, 482913\nKT-1,0007\n").unwrap();
        assert_eq!(book.len(), 2);
        assert_eq!(book.get("RB-7K3Q").as_deref(), Some("482913"));
        assert_eq!(book.get("KT-1").as_deref(), Some("0007"));
        assert_eq!(book.get("XX"), None);
        let err = PinBook::from_csv("RB-1,1234\nRB-2\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = PinBook::from_csv("RB-1,1234,extra\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn bad_settings_are_named() {
        assert!(config().validate().is_ok());
        let mut c = config();
        c.fail_rate = 1.5;
        assert!(c.validate().unwrap_err().to_string().contains("fail_rate"));
        let mut c = config();
        c.time_scale = 0.0;
        assert!(matches!(c.validate(), Err(SimError::TimeScale(_))));
        let mut c = config();
        c.inbound_secret = SecretString::from("nope");
        assert!(c.validate().unwrap_err().to_string().contains("inbound"));
        let mut c = config();
        c.outbound_secrets.clear();
        assert!(c.validate().unwrap_err().to_string().contains("outbound"));
        let mut c = config();
        c.antar_url = "127.0.0.1:8080".into();
        assert!(matches!(c.validate(), Err(SimError::AntarUrl(_))));
    }

    #[test]
    fn the_config_never_shows_its_secrets() {
        let shown = format!("{:?}", config());
        assert!(
            !shown.contains("MfKQ9r8") && !shown.contains("antar_sekret"),
            "{shown}"
        );
    }
}
