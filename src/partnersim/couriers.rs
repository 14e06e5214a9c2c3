//! The couriers mode of the simulator: our own couriers (the ojek riders of the Rantang Kasih
//! kitchens, a pharmacy's own riders) riding their jobs through the courier page, as an outside
//! party that speaks only HTTP.
//!
//! It learns the links the way the member of staff who forwards them by WhatsApp does: with a
//! staff API token it lists the jobs held by a courier (`GET /api/v1/jobs?status=courier_assigned`,
//! then `…=picked_up` for a ride already under way) and reads each new one's `courier_link` and
//! planned stop times from `GET /api/v1/jobs/{id}`. There is no call that lists links, so a job is
//! read again only when the listing shows it with another partner or courier (a reassigned job
//! gets a new link). A job of a webhook or booking partner has no link and is left alone.
//!
//! For each link it does what the courier does on the phone: opens `/kurir/{token}` and reads it
//! the way the page's own script does (`data-token`, each stop's `data-stop` in riding order, the
//! PIN field, the buttons present, the stop's state), taps "Barang sudah saya ambil" at the
//! job's departure, opens the page again (so it rides the stops the job has at pickup), and at
//! each stop's planned arrival taps one of Diantar / Tidak di rumah / Sakit, perlu perhatian /
//! Menolak, then Rantang kembali for most meals handed over and now and then a note. Controlled
//! medicine is handed over with the patient's PIN from the [`PinBook`], as webhook riders do; a
//! courier who was not told the PIN taps Diantar, is told the PIN is required, and takes the
//! medicine back (Menolak, with a note).
//!
//! Each tap is an action with a fresh id and the job's next `seq`, queued per link and posted in
//! order to `POST /kurir/{token}/events`. A network error or a `5xx` leaves it at the head of the
//! queue and it is sent again with the same id at the next step, as the page's queue does; a
//! share of answers is lost on purpose ([`CourierSimConfig::resend_rate`]) and the action sent
//! again, which antar must answer `duplicate`. Any other refusal is counted by its code and the
//! action dropped (the page shows it and moves on). A link answering `403` or `410` is dropped
//! with a log line.
//!
//! Nothing here sleeps: [`CourierSim::run_once`] does what is due at the instant it is given and
//! says when something is next due, so tests drive it with times they choose;
//! [`CourierSim::start`] drives it on the process clock ([`crate::clock`], shared with antar by
//! `ANTAR_CLOCK`), optionally hurried by [`CourierSimConfig::time_scale`]. What happens at each
//! door is spread evenly through the day (a Weyl sequence started from the seed), so the shares
//! hold even over the dozen stops of one small kitchen; texts, tins and notes are drawn per stop
//! from the seed and the stop's id.
//!
//! Owns: [`CourierSim`], [`CourierSimConfig`], [`CourierSimHandle`], [`CourierSimStats`],
//! [`Step`], [`ActionRecord`]. Depends on `clock` and the simulator's [`PinBook`] and made-up
//! words. Must not depend on `dispatch`, `store`, `api` or `web`: it sees what a courier and a
//! member of staff see, over HTTP.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

mod page;

use super::{PinBook, Serving, SimError, people};
use crate::clock;
use page::{Page, PageStop, read_page};

/// Settings of the couriers simulator. Build with [`CourierSimConfig::new`].
#[derive(Clone)]
pub struct CourierSimConfig {
    /// antar's base URL, e.g. `http://127.0.0.1:8080`.
    pub antar_url: String,
    /// A staff API token (social worker, pharmacist or admin) that may list jobs; a token bound
    /// to a site sees only that site's couriers.
    pub token: SecretString,
    /// Where `GET /stats` is served; `None`: nowhere (the handle still has [`CourierSimHandle::stats`]).
    pub listen: Option<SocketAddr>,
    /// Only this site's jobs.
    pub site: Option<Uuid>,
    /// Only jobs departing on this local date; `None`: every job a courier holds, each ridden
    /// when its times come.
    pub date: Option<NaiveDate>,
    /// The time zone of [`CourierSimConfig::date`].
    pub time_zone: chrono_tz::Tz,
    /// Share of stops where nobody is home (Tidak di rumah).
    pub not_home_rate: f64,
    /// Share of stops where the recipient is found unwell and handed the parcel anyway (Sakit,
    /// perlu perhatian).
    pub unwell_rate: f64,
    /// Share of stops where the recipient refuses (Menolak).
    pub refuse_rate: f64,
    /// Share of meals handed over where yesterday's tin comes back (Rantang kembali).
    pub tin_rate: f64,
    /// Share of stops where the courier also sends a note.
    pub note_rate: f64,
    /// Share of actions whose answer is lost on the way back, so the phone sends them again
    /// with the same id.
    pub resend_rate: f64,
    /// Seed of every choice.
    pub seed: u64,
    /// Parcel code → handover PIN, as patients would tell the courier.
    pub pins: PinBook,
    /// How often (simulated) the day's jobs are listed for new links.
    pub scan_every: Duration,
    /// Simulated seconds per process-clock second for this simulator alone (1: the process
    /// clock, which `ANTAR_CLOCK` shares with antar). Above 1 the couriers' day runs ahead of
    /// antar's clock; antar records a tap from the future at its own "now".
    pub time_scale: f64,
    /// The first real-time wait before actions that met a network error are sent again;
    /// doubled up to [`CourierSimConfig::retry_max`].
    pub retry_first: Duration,
    /// The longest real-time wait between such attempts.
    pub retry_max: Duration,
}

impl std::fmt::Debug for CourierSimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CourierSimConfig")
            .field("antar_url", &self.antar_url)
            .field("token", &"[redacted]")
            .field("listen", &self.listen)
            .field("site", &self.site)
            .field("date", &self.date)
            .field("time_zone", &self.time_zone)
            .field("not_home_rate", &self.not_home_rate)
            .field("unwell_rate", &self.unwell_rate)
            .field("refuse_rate", &self.refuse_rate)
            .field("tin_rate", &self.tin_rate)
            .field("note_rate", &self.note_rate)
            .field("resend_rate", &self.resend_rate)
            .field("seed", &self.seed)
            .field("pins", &self.pins.len())
            .field("scan_every", &self.scan_every)
            .field("time_scale", &self.time_scale)
            .field("retry_first", &self.retry_first)
            .field("retry_max", &self.retry_max)
            .finish()
    }
}

impl CourierSimConfig {
    /// Couriers of every site, every day: 5 % of doors not home, 1 % unwell, 1 % refused, 90 %
    /// of tins back, a note at 5 % of stops, 2 % of answers lost; a scan every five minutes;
    /// the process clock; seed 1; an empty PIN book; no `/stats` endpoint.
    pub fn new(antar_url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            antar_url: antar_url.into(),
            token: SecretString::from(token.into()),
            listen: None,
            site: None,
            date: None,
            time_zone: chrono_tz::Asia::Jakarta,
            not_home_rate: 0.05,
            unwell_rate: 0.01,
            refuse_rate: 0.01,
            tin_rate: 0.9,
            note_rate: 0.05,
            resend_rate: 0.02,
            seed: 1,
            pins: PinBook::default(),
            scan_every: Duration::from_secs(300),
            time_scale: 1.0,
            retry_first: Duration::from_millis(200),
            retry_max: Duration::from_secs(5),
        }
    }

    /// Refuse rates outside 0..=1 (the three door outcomes together too), a non-positive time
    /// scale or scan interval, an empty token or a URL that is not http(s).
    pub fn validate(&self) -> Result<(), SimError> {
        let rates = [
            ("not_home_rate", self.not_home_rate),
            ("unwell_rate", self.unwell_rate),
            ("refuse_rate", self.refuse_rate),
            ("tin_rate", self.tin_rate),
            ("note_rate", self.note_rate),
            ("resend_rate", self.resend_rate),
            (
                "not_home_rate + unwell_rate + refuse_rate",
                self.not_home_rate + self.unwell_rate + self.refuse_rate,
            ),
        ];
        for (name, value) in rates {
            if !(0.0..=1.0).contains(&value) {
                return Err(SimError::Rate { name, value });
            }
        }
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(SimError::TimeScale(self.time_scale));
        }
        if self.scan_every.is_zero() {
            return Err(SimError::Rate {
                name: "scan_every (seconds)",
                value: 0.0,
            });
        }
        if self.token.expose_secret().trim().is_empty() {
            return Err(SimError::Secret {
                which: "staff token",
                reason: "empty".into(),
            });
        }
        let url = self.antar_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(SimError::AntarUrl(self.antar_url.clone()));
        }
        Ok(())
    }
}

/// What the couriers have done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CourierSimStats {
    /// Listings of the day's jobs made.
    pub scans: u64,
    /// Listings (or job reads) that failed; tried again at the next step.
    pub scans_failed: u64,
    /// Courier links found.
    pub links_found: u64,
    /// Jobs whose page opened and whose ride began.
    pub jobs_ridden: u64,
    /// Rides that reached their last stop.
    pub jobs_finished: u64,
    /// Links dropped: answered `403` or `410` (reassigned, cancelled, expired), not the courier
    /// page, or given to another courier meanwhile.
    pub links_dropped: u64,
    /// Distinct actions sent (each once, however often it was retried).
    pub actions_sent: u64,
    /// Sends that met a network error or a `5xx` (the action stays queued).
    pub send_failures: u64,
    /// Actions sent again after their answer was lost on purpose.
    pub resent: u64,
    /// Answers `applied`.
    pub applied: u64,
    /// Answers `duplicate`.
    pub duplicate: u64,
    /// Answers `stale` (already done).
    pub stale: u64,
    /// Actions refused, by the refusal's code (`pin_required`, `illegal_transition`, …).
    pub refused: BTreeMap<String, u64>,
    /// Actions dropped with their link.
    pub actions_dropped: u64,
    /// Actions queued and not yet answered.
    pub actions_waiting: u64,
    /// Pickups reported.
    pub picked_up: u64,
    /// Stops handed over (Diantar).
    pub stops_delivered: u64,
    /// Stops handed over to a recipient found unwell (Sakit, perlu perhatian).
    pub stops_unwell: u64,
    /// Stops where nobody was home (Tidak di rumah).
    pub stops_not_home: u64,
    /// Stops refused by the recipient (Menolak).
    pub stops_refused: u64,
    /// Controlled medicine taken back because the courier did not know the PIN.
    pub stops_without_pin: u64,
    /// Tins reported back (Rantang kembali).
    pub tins_returned: u64,
    /// Notes sent.
    pub notes: u64,
}

/// What one step left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// When the next tap is due (a pickup or a door), if any ride has one planned.
    pub next_due: Option<DateTime<Utc>>,
    /// Actions, page openings or a listing that met a network error or a `5xx` and wait to
    /// be tried again (at every step).
    pub waiting: usize,
    /// Rides not finished.
    pub riding: usize,
}

/// One action as the simulator sent it and every answer it got (`applied`, `duplicate`,
/// `stale`, `refused:{code}`, `network`, `link_gone`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRecord {
    /// The job.
    pub job_id: Uuid,
    /// The action's id.
    pub event_id: String,
    /// Its per-job counter.
    pub seq: u64,
    /// `picked_up`, `delivered`, `not_home`, `unwell`, `refused`, `tin_returned`, `note`.
    pub action: &'static str,
    /// The stop (all but `picked_up`).
    pub stop_id: Option<Uuid>,
    /// Every answer, in order.
    pub answers: Vec<String>,
}

/// Our couriers. Drive it with [`CourierSim::run_once`], or run it with [`CourierSim::start`].
pub struct CourierSim {
    config: CourierSimConfig,
    base: String,
    client: reqwest::Client,
    stats: Arc<Mutex<CourierSimStats>>,
    /// When the next listing is due; `None`: at the next step.
    next_scan: Option<DateTime<Utc>>,
    /// Job → (partner, courier) as last read, so a job is read again only when it changed hands.
    looked_at: HashMap<Uuid, (Option<Uuid>, Option<String>)>,
    /// Every link taken up, so none is ridden twice.
    links: HashSet<String>,
    rides: Vec<Ride>,
    doors: Spread,
    resends: Spread,
    records: Vec<ActionRecord>,
}

impl CourierSim {
    /// Validate the settings and build the HTTP client; nothing is sent yet.
    pub fn new(config: CourierSimConfig) -> Result<Self, SimError> {
        config.validate()?;
        crate::crypto::install_tls_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("antar-courier-sim/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SimError::Client(e.to_string()))?;
        Ok(Self {
            base: config.antar_url.trim().trim_end_matches('/').to_owned(),
            doors: Spread::new(config.seed, "door"),
            resends: Spread::new(config.seed, "resend"),
            config,
            client,
            stats: Arc::default(),
            next_scan: None,
            looked_at: HashMap::new(),
            links: HashSet::new(),
            rides: Vec::new(),
            records: Vec::new(),
        })
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> CourierSimStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every action sent so far, in the order they were tapped.
    pub fn records(&self) -> &[ActionRecord] {
        &self.records
    }

    /// Do everything due at `now`: list the jobs when a listing is due (the first step always
    /// lists), open the pages of new links, tap what is due and send every queued action in
    /// order. Errors are counted and logged, never returned: a step that could not reach antar
    /// is simply repeated.
    pub async fn run_once(&mut self, now: DateTime<Utc>) -> Step {
        let mut waiting = 0;
        if self.next_scan.is_none_or(|t| t <= now) {
            match self.scan().await {
                Ok(()) => {
                    self.stat(|s| s.scans += 1);
                    self.next_scan = Some(now + chrono_duration(self.config.scan_every));
                }
                Err(e) => {
                    // Still due: tried again at the next step.
                    waiting += 1;
                    self.stat(|s| s.scans_failed += 1);
                    tracing::info!(error = %e, "cannot list the couriers' jobs; trying again");
                }
            }
        }
        let mut rides = std::mem::take(&mut self.rides);
        let mut kept = Vec::with_capacity(rides.len());
        for mut ride in rides.drain(..) {
            match self.advance(&mut ride, now).await {
                Fate::Riding => kept.push(ride),
                Fate::Waiting => {
                    waiting += ride.queue.len().max(1);
                    kept.push(ride);
                }
                Fate::Finished => self.stat(|s| s.jobs_finished += 1),
                Fate::Dropped(why) => {
                    tracing::warn!(job = %ride.job_id, why, "courier link dropped");
                    let lost = (ride.queue.len() + ride.planned.len()) as u64;
                    self.stat(|s| {
                        s.links_dropped += 1;
                        s.actions_dropped += lost;
                    });
                }
            }
        }
        self.rides = kept;
        let queued: usize = self.rides.iter().map(|r| r.queue.len()).sum();
        self.stat(|s| s.actions_waiting = queued as u64);
        Step {
            next_due: self
                .rides
                .iter()
                .filter_map(|r| r.planned.front().map(|p| p.at))
                .min(),
            waiting,
            riding: self.rides.len(),
        }
    }

    /// Validate, make the first step (the first listing and the pages of the links already
    /// shared) and keep riding on the process clock until the handle is shut down, serving
    /// `GET /stats` when [`CourierSimConfig::listen`] is set.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), antar::partnersim::SimError> {
    /// use antar::partnersim::couriers::{CourierSim, CourierSimConfig};
    ///
    /// let mut config = CourierSimConfig::new("http://127.0.0.1:8080", "antar_staff_token");
    /// config.pins.insert("RB-7K3Q", "482913");
    /// let couriers = CourierSim::start(config).await?;
    /// // … the day runs …
    /// println!("{:?}", couriers.shutdown().await);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(config: CourierSimConfig) -> Result<CourierSimHandle, SimError> {
        let listen = config.listen;
        let sim = Self::new(config)?;
        let (addr, serving) = match listen {
            Some(listen) => {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .map_err(|source| SimError::Bind {
                        addr: listen,
                        source,
                    })?;
                let addr = listener.local_addr().map_err(|source| SimError::Bind {
                    addr: listen,
                    source,
                })?;
                let stats = sim.stats.clone();
                let app = axum::Router::new().route(
                    "/stats",
                    axum::routing::get(move || {
                        let stats = stats.clone();
                        async move {
                            axum::Json(stats.lock().unwrap_or_else(|e| e.into_inner()).clone())
                        }
                    }),
                );
                tracing::info!(%addr, "couriers simulator serving /stats");
                (
                    Some(addr),
                    Some(Serving::start(listener, app, "couriers simulator")),
                )
            }
            None => (None, None),
        };
        // The first step (the first listing, the pages of the links already shared) is made
        // before returning, so the handle's statistics show at once what was found.
        let mut sim = sim;
        let clock = SimClock::new(sim.config.time_scale);
        let first = sim.run_once(clock.now()).await;
        let stats = sim.stats.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(sim.run_until(clock, first, stopped));
        Ok(CourierSimHandle {
            addr,
            stats,
            stop: Some(stop),
            task: Some(task),
            serving,
        })
    }

    /// The loop behind [`CourierSim::start`]: a step, then a wait until the next tap or
    /// listing (or a short, growing wait while actions are stuck behind a network error).
    async fn run_until(
        mut self,
        clock: SimClock,
        mut step: Step,
        mut stopped: tokio::sync::oneshot::Receiver<()>,
    ) {
        let mut backoff = self.config.retry_first;
        let mut now = clock.now();
        loop {
            // A listing still due after this step failed; it counts as waiting below.
            let scan = self.next_scan.filter(|t| *t > now);
            let until = step.next_due.into_iter().chain(scan).min();
            let mut wait = until.map_or(self.config.retry_max, |t| clock.real_until(now, t));
            if step.waiting > 0 {
                wait = wait.min(backoff);
                backoff = (backoff * 2).min(self.config.retry_max);
            } else {
                backoff = self.config.retry_first;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = &mut stopped => return,
            }
            now = clock.now();
            step = self.run_once(now).await;
        }
    }

    fn stat(&self, f: impl FnOnce(&mut CourierSimStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn rng(&self, purpose: &str, id: Uuid) -> StdRng {
        seeded(self.config.seed, purpose, id)
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    fn staff_get(&self, path: &str) -> reqwest::RequestBuilder {
        self.get(path)
            .bearer_auth(self.config.token.expose_secret())
    }

    /// List the jobs our couriers hold and take up every new link.
    async fn scan(&mut self) -> Result<(), String> {
        let mut listed = Vec::new();
        for status in ["courier_assigned", "picked_up"] {
            let mut path = format!("/api/v1/jobs?status={status}&limit=5000");
            if let Some(site) = self.config.site {
                path.push_str(&format!("&site_id={site}"));
            }
            let jobs: Vec<Listed> = read_json(self.staff_get(&path)).await?;
            listed.extend(jobs);
        }
        let mut failed = None;
        for job in listed {
            if let Some(date) = self.config.date
                && job
                    .departure
                    .with_timezone(&self.config.time_zone)
                    .date_naive()
                    != date
            {
                continue;
            }
            let hands = (job.partner_id, job.courier_id());
            if self.looked_at.get(&job.id) == Some(&hands) {
                continue;
            }
            let detail = match self.detail(job.id).await {
                Ok(d) => d,
                Err(e) => {
                    failed = Some(e);
                    continue;
                }
            };
            self.looked_at.insert(job.id, hands);
            let Some(link) = detail.courier_link.clone() else {
                continue;
            };
            if !self.links.insert(link.clone()) {
                continue;
            }
            self.stat(|s| s.links_found += 1);
            tracing::debug!(job = %job.id, "courier link found");
            self.rides.push(Ride::new(job.id, link, &detail));
        }
        failed.map_or(Ok(()), Err)
    }

    async fn detail(&self, job: Uuid) -> Result<Detail, String> {
        read_json(self.staff_get(&format!("/api/v1/jobs/{job}"))).await
    }

    /// Move one ride as far as `now` allows.
    async fn advance(&mut self, ride: &mut Ride, now: DateTime<Utc>) -> Fate {
        loop {
            match ride.stage {
                Stage::Open => {
                    let page = match self.open(ride).await {
                        Ok(page) => page,
                        Err(fate) => return fate,
                    };
                    self.stat(|s| s.jobs_ridden += 1);
                    ride.opened_at = now;
                    if page.pickup {
                        ride.planned.push_back(Planned {
                            at: ride.departure.max(now),
                            action: "picked_up",
                            stop_id: None,
                            pin: None,
                            note: None,
                            outcome: Outcome::PickedUp,
                        });
                        ride.stage = Stage::Pickup;
                    } else {
                        self.plan_stops(ride, &page, now);
                        ride.stage = Stage::Riding;
                    }
                }
                Stage::Reload => {
                    // The courier reloads the page after pickup: the stops ridden are the
                    // job's stops now, with their planned times.
                    let detail = match self.detail(ride.job_id).await {
                        Ok(d) => d,
                        Err(e) => {
                            tracing::debug!(job = %ride.job_id, error = %e, "cannot read the job");
                            return Fate::Waiting;
                        }
                    };
                    if detail.courier_link.as_deref() != Some(ride.link.as_str()) {
                        return Fate::Dropped("the job went to another courier");
                    }
                    ride.etas = detail.etas();
                    let page = match self.open(ride).await {
                        Ok(page) => page,
                        Err(fate) => return fate,
                    };
                    self.plan_stops(ride, &page, now);
                    ride.stage = Stage::Riding;
                }
                Stage::Pickup | Stage::Riding => {
                    while ride.planned.front().is_some_and(|p| p.at <= now) {
                        if let Some(p) = ride.planned.pop_front() {
                            self.tap(ride, p);
                        }
                    }
                    if let Some(fate) = self.flush(ride).await {
                        return fate;
                    }
                    if !(ride.planned.is_empty() && ride.queue.is_empty()) {
                        return Fate::Riding;
                    }
                    if ride.stage == Stage::Riding {
                        return Fate::Finished;
                    }
                    ride.stage = Stage::Reload;
                }
            }
        }
    }

    /// Open the courier page and read it; a fate when it does not open.
    async fn open(&self, ride: &Ride) -> Result<Page, Fate> {
        let r = match self.get(&ride.link).send().await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(job = %ride.job_id, error = %e, "courier page unreachable");
                return Err(Fate::Waiting);
            }
        };
        let status = r.status().as_u16();
        match status {
            200 => {}
            403 => return Err(Fate::Dropped("403: the link is not valid")),
            410 => return Err(Fate::Dropped("410: reassigned, cancelled or expired")),
            s if s >= 500 => return Err(Fate::Waiting),
            _ => return Err(Fate::Dropped("the courier page did not open")),
        }
        let Ok(html) = r.text().await else {
            return Err(Fate::Waiting);
        };
        match read_page(&html) {
            Some(page) if page.token == ride.token && page.script => Ok(page),
            _ => Err(Fate::Dropped("not the courier page of this link")),
        }
    }

    /// Plan what happens at each open stop not planned before, in the page's order, at its
    /// planned arrival.
    fn plan_stops(&mut self, ride: &mut Ride, page: &Page, now: DateTime<Utc>) {
        let mut at = now.max(ride.last_at);
        for stop in page.stops.iter().filter(|s| s.open) {
            if !ride.handled.insert(stop.id) {
                continue;
            }
            if let Some(eta) = ride.etas.get(&stop.id) {
                at = at.max(*eta);
            } else {
                at += chrono::Duration::minutes(5);
            }
            for p in self.at_the_door(stop, at) {
                ride.planned.push_back(p);
            }
        }
        ride.last_at = at;
    }

    /// What the courier taps at one door.
    fn at_the_door(&mut self, stop: &PageStop, at: DateTime<Utc>) -> Vec<Planned> {
        let u = self.doors.draw();
        let mut rng = self.rng("stop", stop.id);
        let c = &self.config;
        let tap =
            |action: &'static str, pin: Option<String>, note: Option<String>, outcome| Planned {
                at,
                action,
                stop_id: Some(stop.id),
                pin,
                note,
                outcome,
            };
        let mut taps = Vec::new();
        let door = if u < c.not_home_rate {
            Door::NotHome
        } else if u < c.not_home_rate + c.unwell_rate {
            Door::Unwell
        } else if u < c.not_home_rate + c.unwell_rate + c.refuse_rate {
            Door::Refused
        } else {
            Door::Delivered
        };
        let handed_over = matches!(door, Door::Delivered | Door::Unwell);
        let pin = match (stop.pin, handed_over) {
            (true, true) => {
                let known = stop
                    .parcel_code
                    .as_deref()
                    .and_then(|code| c.pins.get(code));
                if known.is_none() {
                    // Diantar without the PIN: the page says it is required, and the
                    // medicine goes back.
                    taps.push(tap("delivered", None, None, Outcome::Quiet));
                    taps.push(tap(
                        "refused",
                        None,
                        Some("Pasien tidak tahu PIN-nya; obat saya bawa kembali ke apotek".into()),
                        Outcome::WithoutPin,
                    ));
                    return taps;
                }
                known
            }
            _ => None,
        };
        match door {
            Door::Delivered => taps.push(tap("delivered", pin, None, Outcome::Delivered)),
            Door::Unwell => {
                let note = people::unwell_note(true, &mut rng);
                taps.push(tap("unwell", pin, Some(note), Outcome::Unwell));
            }
            Door::NotHome => {
                let note = people::not_home_note(&mut rng);
                taps.push(tap("not_home", None, Some(note), Outcome::NotHome));
            }
            Door::Refused => {
                let note = people::refused_note(&mut rng);
                taps.push(tap("refused", None, Some(note), Outcome::Refused));
            }
        }
        if stop.meal && handed_over && rng.random_bool(c.tin_rate) {
            taps.push(tap("tin_returned", None, None, Outcome::Tin));
        }
        if rng.random_bool(c.note_rate) {
            let note = people::door_note(&mut rng);
            taps.push(tap("note", None, Some(note), Outcome::Note));
        }
        taps
    }

    /// A planned tap happens: it gets its id and the job's next `seq` and joins the queue.
    fn tap(&mut self, ride: &mut Ride, p: Planned) {
        ride.seq += 1;
        let event_id = Uuid::new_v4().to_string();
        let sends = if self.resends.draw() < self.config.resend_rate {
            2
        } else {
            1
        };
        self.records.push(ActionRecord {
            job_id: ride.job_id,
            event_id: event_id.clone(),
            seq: ride.seq,
            action: p.action,
            stop_id: p.stop_id,
            answers: Vec::new(),
        });
        let mut body = json!({
            "event_id": event_id,
            "seq": ride.seq,
            "action": p.action,
            "stop_id": p.stop_id,
            // When it was tapped, as the phone says; antar keeps it if it is not in its future.
            "occurred_at": p.at.max(ride.opened_at),
        });
        if let Some(pin) = p.pin {
            body["pin"] = json!(pin);
        }
        if let Some(note) = p.note {
            body["note"] = json!(note);
        }
        ride.queue.push_back(Tap {
            body,
            outcome: p.outcome,
            record: self.records.len() - 1,
            sends_left: sends,
            sent: false,
            answered: false,
        });
    }

    /// Send the queue in order. `None` when it is empty; a fate when it must wait or the link
    /// is gone.
    async fn flush(&mut self, ride: &mut Ride) -> Option<Fate> {
        let url = format!("{}{}/events", self.base, ride.link);
        while let Some(tap) = ride.queue.front_mut() {
            if !tap.sent {
                tap.sent = true;
                self.stat(|s| s.actions_sent += 1);
            }
            let answer = match self.client.post(&url).json(&tap.body).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    Answer::of(status, &body)
                }
                Err(e) => {
                    tracing::debug!(job = %ride.job_id, error = %e, "action not sent");
                    Answer::Retry
                }
            };
            let record = tap.record;
            match answer {
                Answer::Retry => {
                    self.records[record].answers.push("network".into());
                    self.stat(|s| s.send_failures += 1);
                    return Some(Fate::Waiting);
                }
                Answer::Gone => {
                    self.records[record].answers.push("link_gone".into());
                    return Some(Fate::Dropped("the link answered 403 or 410"));
                }
                Answer::Refused(code) => {
                    let action = self.records[record].action;
                    self.records[record].answers.push(format!("refused:{code}"));
                    tracing::info!(job = %ride.job_id, action, %code, "action refused");
                    self.stat(|s| *s.refused.entry(code).or_default() += 1);
                    ride.queue.pop_front();
                }
                Answer::Taken(outcome) => {
                    self.records[record].answers.push(outcome.clone());
                    let first = !tap.answered;
                    tap.answered = true;
                    let counted = tap.outcome;
                    self.stat(|s| {
                        match outcome.as_str() {
                            "applied" => s.applied += 1,
                            "duplicate" => s.duplicate += 1,
                            _ => s.stale += 1,
                        }
                        if first && outcome != "stale" {
                            counted.count(s);
                        }
                    });
                    tap.sends_left = tap.sends_left.saturating_sub(1);
                    if tap.sends_left == 0 {
                        ride.queue.pop_front();
                    } else {
                        // The answer "did not arrive": the phone sends it again, same id.
                        self.stat(|s| s.resent += 1);
                    }
                }
            }
        }
        None
    }
}

/// A running couriers simulator.
pub struct CourierSimHandle {
    /// Where `GET /stats` is served, if anywhere.
    pub addr: Option<SocketAddr>,
    stats: Arc<Mutex<CourierSimStats>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    serving: Option<Serving>,
}

impl CourierSimHandle {
    /// The statistics URL, when served.
    pub fn stats_url(&self) -> Option<String> {
        self.addr.map(|a| format!("http://{a}/stats"))
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> CourierSimStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stop riding (actions still queued stay unsent) and serving; the final statistics.
    pub async fn shutdown(mut self) -> CourierSimStats {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(serving) = self.serving.as_mut() {
            serving.stop().await;
        }
        self.stats()
    }
}

impl Drop for CourierSimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.as_mut() {
            serving.signal();
        }
    }
}

/// This simulator's view of time: the process clock, run `factor` times faster from the
/// moment it started.
struct SimClock {
    origin: DateTime<Utc>,
    factor: f64,
}

impl SimClock {
    fn new(factor: f64) -> Self {
        Self {
            origin: clock::now(),
            factor,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        let elapsed = (clock::now() - self.origin).num_microseconds().unwrap_or(0) as f64;
        self.origin + chrono::Duration::microseconds((elapsed * self.factor) as i64)
    }

    /// The real time to wait from `now` until `then` (both on this clock).
    fn real_until(&self, now: DateTime<Utc>, then: DateTime<Utc>) -> Duration {
        let simulated = (then - now).to_std().unwrap_or_default();
        clock::real_duration(simulated).div_f64(self.factor)
    }
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(5))
}

/// An evenly spread sequence in [0, 1): each value is the last plus 1/φ, wrapped, from a start
/// drawn from the seed. Any interval of length r holds close to r·n of the first n values.
struct Spread(f64);

impl Spread {
    const STEP: f64 = 0.618_033_988_749_894_9;

    fn new(seed: u64, purpose: &str) -> Self {
        Self(seeded(seed, purpose, Uuid::nil()).random::<f64>())
    }

    fn draw(&mut self) -> f64 {
        let v = self.0;
        self.0 = (self.0 + Self::STEP).fract();
        v
    }
}

/// A reproducible RNG for one purpose and one id.
fn seeded(seed: u64, purpose: &str, id: Uuid) -> StdRng {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(purpose.as_bytes())
        .chain_update(id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&digest);
    StdRng::from_seed(bytes)
}

/// `GET` and parse JSON; the error names what went wrong.
async fn read_json<T: serde::de::DeserializeOwned>(
    r: reqwest::RequestBuilder,
) -> Result<T, String> {
    let r = r.send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    if !status.is_success() {
        let text = r.text().await.unwrap_or_default();
        return Err(format!(
            "{status}: {}",
            text.chars().take(200).collect::<String>()
        ));
    }
    r.json().await.map_err(|e| e.to_string())
}

/// A job as listed (the fields read here).
#[derive(Debug, Deserialize)]
struct Listed {
    id: Uuid,
    partner_id: Option<Uuid>,
    departure: DateTime<Utc>,
    #[serde(default)]
    courier: Option<Value>,
}

impl Listed {
    fn courier_id(&self) -> Option<String> {
        self.courier
            .as_ref()
            .and_then(|c| c.get("courier_id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// A job as `GET /api/v1/jobs/{id}` shows it (the fields read here).
#[derive(Debug, Deserialize)]
struct Detail {
    job: Listed,
    stops: Vec<DetailStop>,
    #[serde(default)]
    courier_link: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DetailStop {
    id: Uuid,
    eta: DateTime<Utc>,
}

impl Detail {
    fn etas(&self) -> HashMap<Uuid, DateTime<Utc>> {
        self.stops.iter().map(|s| (s.id, s.eta)).collect()
    }
}

/// One courier link being ridden.
struct Ride {
    job_id: Uuid,
    /// `/kurir/{token}`.
    link: String,
    token: String,
    stage: Stage,
    departure: DateTime<Utc>,
    /// Stop → planned arrival.
    etas: HashMap<Uuid, DateTime<Utc>>,
    /// When the page was first opened: no tap says it happened earlier.
    opened_at: DateTime<Utc>,
    /// The time of the last door planned.
    last_at: DateTime<Utc>,
    /// Taps not yet due, in time order.
    planned: VecDeque<Planned>,
    /// Taps made and not yet answered, sent in order.
    queue: VecDeque<Tap>,
    /// Stops already planned.
    handled: HashSet<Uuid>,
    /// The phone's per-job counter.
    seq: u64,
}

impl Ride {
    fn new(job_id: Uuid, link: String, detail: &Detail) -> Self {
        let token = link.trim_start_matches("/kurir/").to_owned();
        Self {
            job_id,
            link,
            token,
            stage: Stage::Open,
            departure: detail.job.departure,
            etas: detail.etas(),
            opened_at: DateTime::<Utc>::MIN_UTC,
            last_at: DateTime::<Utc>::MIN_UTC,
            planned: VecDeque::new(),
            queue: VecDeque::new(),
            handled: HashSet::new(),
            seq: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The page is to be opened.
    Open,
    /// The pickup is planned or queued.
    Pickup,
    /// Picked up: the page is to be opened again for the stops.
    Reload,
    /// Stops planned; finished when every tap is answered.
    Riding,
}

/// What a step did to a ride.
enum Fate {
    Riding,
    /// Stuck behind a network error or a `5xx`.
    Waiting,
    Finished,
    Dropped(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Door {
    Delivered,
    Unwell,
    NotHome,
    Refused,
}

/// What a tap counts as once antar takes it.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    PickedUp,
    Delivered,
    Unwell,
    NotHome,
    Refused,
    WithoutPin,
    Tin,
    Note,
    /// Counts nothing (a Diantar without the PIN, which antar refuses).
    Quiet,
}

impl Outcome {
    fn count(self, s: &mut CourierSimStats) {
        match self {
            Self::PickedUp => s.picked_up += 1,
            Self::Delivered => s.stops_delivered += 1,
            Self::Unwell => s.stops_unwell += 1,
            Self::NotHome => s.stops_not_home += 1,
            Self::Refused => s.stops_refused += 1,
            Self::WithoutPin => s.stops_without_pin += 1,
            Self::Tin => s.tins_returned += 1,
            Self::Note => s.notes += 1,
            Self::Quiet => {}
        }
    }
}

/// A tap to come.
struct Planned {
    at: DateTime<Utc>,
    action: &'static str,
    stop_id: Option<Uuid>,
    pin: Option<String>,
    note: Option<String>,
    outcome: Outcome,
}

/// A tap made: the body the page posts, unchanged on every attempt.
struct Tap {
    body: Value,
    outcome: Outcome,
    /// Index in [`CourierSim::records`].
    record: usize,
    /// 2 when the first answer will be "lost".
    sends_left: u8,
    sent: bool,
    answered: bool,
}

/// How antar answered an action, as the page's script sorts it.
enum Answer {
    /// `2xx` with `applied`, `duplicate` or `stale`.
    Taken(String),
    /// Network error or `5xx`: keep it queued.
    Retry,
    /// `403` or `410`.
    Gone,
    /// Any other refusal, by its code.
    Refused(String),
}

impl Answer {
    fn of(status: u16, body: &Value) -> Self {
        let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        match status {
            200..=299 => Self::Taken(field("status").unwrap_or_else(|| "applied".into())),
            403 | 410 => Self::Gone,
            s if s >= 500 => Self::Retry,
            s => Self::Refused(field("code").unwrap_or_else(|| s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_holds_its_shares_over_a_few_draws() {
        let mut s = Spread::new(7, "door");
        let draws: Vec<f64> = (0..15).map(|_| s.draw()).collect();
        for (lo, hi) in [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.8, 1.0)] {
            let n = draws.iter().filter(|v| (lo..hi).contains(*v)).count();
            assert!((2..=4).contains(&n), "{n} of 15 in {lo}..{hi}");
        }
    }

    #[test]
    fn bad_settings_are_named_and_the_token_never_shown() {
        let config = || CourierSimConfig::new("http://127.0.0.1:8080", "antar_rahasia_staf");
        assert!(config().validate().is_ok());
        let mut c = config();
        c.not_home_rate = 0.6;
        c.refuse_rate = 0.6;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("refuse_rate")
        );
        let mut c = config();
        c.tin_rate = 1.1;
        assert!(c.validate().unwrap_err().to_string().contains("tin_rate"));
        let mut c = config();
        c.token = SecretString::from(" ".to_owned());
        assert!(c.validate().is_err());
        let mut c = config();
        c.antar_url = "localhost:8080".into();
        assert!(matches!(c.validate(), Err(SimError::AntarUrl(_))));
        assert!(!format!("{:?}", config()).contains("rahasia"));
    }
}
