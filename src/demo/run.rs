//! `antar demo`: antar on embedded defaults with the fixture scenario, two simulated ride-hailing
//! partners and a simulated courier company with a booking API, playing a whole day on a scaled
//! clock, then the day's figures.
//!
//! Everything real runs: the HTTP service, the SQLite store, the outbox worker, the booking
//! worker, offer expiry and planning waves on the dispatcher's timers, the partner simulators
//! talking to antar over loopback with signed webhooks, and the booking company answering
//! antar's quotes, bookings and status requests and posting signed status callbacks to antar's
//! loopback address. The only simulated parts are the partners (and the pharmacy staff who
//! confirm returned medicine and retry jobs nobody took).
//! Depends on everything; nothing depends on it but `cli`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::scenario::{self, BookingBehaviour, PartnerBehaviour, PartnerSpec, Scenario};
use crate::app::Application;
use crate::config::Settings;
use crate::dispatch::Dispatch;
use crate::dispatch::jobs::{JobAction, parcel_code};
use crate::dispatch::waves::scheduler;
use crate::domain::records::FareModel;
use crate::domain::time::local_to_utc;
use crate::domain::{JobStatus, OrderStatus, PartnerKind};
use crate::partnersim::booking::{
    Advance, BookingSim, BookingSimConfig, BookingSimHandle, BookingSimStats,
};
use crate::partnersim::{PartnerSim, PinBook, SimConfig, SimHandle, SimStats};
use crate::store::integrity::BookingFact;
use crate::store::jobs::JobFilter;
use crate::store::orders::OrderFilter;
use crate::store::reports::DayFigures;

/// How to play the day.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Simulated seconds per real second.
    pub speed: f64,
    /// The local date to play (default: today, or Monday when today is a Sunday).
    pub date: Option<NaiveDate>,
    /// Keep serving after the day.
    pub serve: bool,
    /// Seed for the partners' decisions.
    pub seed: u64,
    /// Local time the day starts.
    pub start: NaiveTime,
    /// Local time the day ends at the latest.
    pub end: NaiveTime,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            speed: 480.0,
            date: None,
            serve: false,
            seed: 1,
            start: NaiveTime::from_hms_opt(6, 0, 0).expect("valid time"),
            end: NaiveTime::from_hms_opt(19, 0, 0).expect("valid time"),
        }
    }
}

/// What the day came to.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// The date played.
    pub date: NaiveDate,
    /// Antar's figures for the day.
    pub figures: DayFigures,
    /// Each simulated webhook partner's view.
    pub partners: Vec<(String, SimStats)>,
    /// Each simulated booking company's view.
    pub companies: Vec<(String, BookingSimStats)>,
    /// Offers of the day's jobs by partner kind, then by status.
    pub offers_by_kind: BTreeMap<String, BTreeMap<String, i64>>,
    /// Bookings of the day's jobs with booking APIs, as antar recorded them.
    pub bookings: Vec<BookingFact>,
    /// The day's cost with jobs a booking API carried at what it charged (cancellation fees
    /// included) instead of the planner's estimate, rupiah.
    pub cost_with_bookings_idr: f64,
    /// Stops handed over before their window opened, by the kind of partner that carried them.
    pub early_by_kind: BTreeMap<String, i64>,
    /// Orders not in a final state at the end.
    pub unfinished: i64,
    /// Real seconds the day took.
    pub real_seconds: f64,
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(l.local_addr()?)
}

/// The date to play when none is given.
pub fn default_date(tz: Tz) -> NaiveDate {
    let today = crate::domain::time::local_date(Utc::now(), tz);
    if today.weekday() == Weekday::Sun {
        today.succ_opt().unwrap_or(today)
    } else {
        today
    }
}

/// Play the day. `settings` are the service's (database, listen address); the clock must not
/// be installed yet.
pub async fn run(mut settings: Settings, opts: DemoOptions) -> anyhow::Result<DemoReport> {
    let mut scenario = Scenario::embedded().context("the embedded scenario does not parse")?;
    // An offer must stay open for at least a quarter of a real second, or at high speeds offers
    // lapse only because an HTTP round trip takes simulated minutes.
    for p in &mut scenario.partners {
        p.offer_timeout_s = p.offer_timeout_s.max((opts.speed / 4.0) as i64);
        // A booking API's offer waits for a quote, a booking and a driver for every stop: a
        // real second at least.
        if p.kind == PartnerKind::BookingApi {
            p.offer_timeout_s = p.offer_timeout_s.max(opts.speed as i64);
        }
    }
    let tz = crate::domain::time::parse_tz(&scenario.time_zone)
        .with_context(|| format!("unknown time zone {}", scenario.time_zone))?;
    let date = opts.date.unwrap_or_else(|| default_date(tz));
    let start = local_to_utc(date, opts.start, tz);
    let end = local_to_utc(date, opts.end, tz);
    if !crate::clock::install_scaled(start, opts.speed) {
        anyhow::bail!("the clock was already set");
    }
    let real_start = std::time::Instant::now();
    settings.outbox.worker = true;
    settings.dispatch.timers = true;
    // A wave's solve must not take more than about two simulated minutes.
    let budget_ms = (120_000.0 / opts.speed).clamp(20.0, 500.0) as u64;
    settings.dispatch.wave_time_limit_ms = settings.dispatch.wave_time_limit_ms.min(budget_ms);
    if settings.roads.graph.trim().is_empty() {
        settings.roads.graph = crate::app::EMBEDDED_TOWN.into();
    }
    // The booking company is on this machine: its status callbacks come over loopback.
    let app = Application::build(&settings)
        .await?
        .with_loopback_public_url();
    let dispatch = app.dispatch().clone();
    let base = format!("http://{}", app.local_addr());
    let token = dispatch.bootstrap_admin().await?;
    let admin = scheduler();

    // Partners listen where the scenario says they are.
    let addrs: Vec<SocketAddr> = scenario
        .partners
        .iter()
        .map(|_| free_port())
        .collect::<anyhow::Result<_>>()?;
    let urls: Vec<String> = addrs.iter().map(|a| format!("http://{a}/")).collect();
    let loaded = scenario::load(&dispatch, &admin, &scenario, date, &urls)
        .await
        .map_err(|e| anyhow::anyhow!("loading the scenario: {e}"))?;
    let pins = PinBook::default();
    for (order, pin) in &loaded.pins {
        let o = dispatch.store().order(*order, None).await?;
        pins.insert(parcel_code(&o).as_str(), pin.clone());
    }
    let mut sims: Vec<(String, SimHandle)> = Vec::new();
    let mut companies: Vec<(String, BookingSimHandle)> = Vec::new();
    for (i, (spec, created)) in scenario.partners.iter().zip(&loaded.partners).enumerate() {
        let seed = opts.seed.wrapping_add(i as u64);
        match &spec.sim {
            PartnerBehaviour::Webhook(b) => {
                let mut c = SimConfig::new(
                    addrs[i],
                    base.clone(),
                    created.token.clone(),
                    vec![created.outbound_secret.clone()],
                    created.inbound_secret.clone(),
                );
                c.accept_rate = b.accept_rate;
                c.fail_rate = b.fail_rate;
                c.seed = seed;
                c.graph = dispatch.roads().cloned();
                c.pins = pins.clone();
                let sim = PartnerSim::start(c)
                    .await
                    .with_context(|| format!("starting the simulated partner {}", spec.name))?;
                sims.push((spec.name.clone(), sim));
            }
            PartnerBehaviour::Booking(b) => {
                // antar calls it with the signing secret minted at the partner's creation,
                // and checks its callbacks with the callback secret minted with it.
                let c = booking_sim_config(
                    addrs[i],
                    &spec.fare,
                    b,
                    &created.outbound_secret,
                    &created.inbound_secret,
                    seed,
                );
                let sim = BookingSim::start(c).await.with_context(|| {
                    format!("starting the simulated booking company {}", spec.name)
                })?;
                companies.push((spec.name.clone(), sim));
            }
        }
    }
    println!(
        "antar demo: {} — {} pharmacies, {} kitchens, {} recipients, {} meal orders, {} prescriptions; partners {}; {}× speed",
        date,
        loaded.pharmacies.len(),
        loaded.kitchens.len(),
        loaded.recipients.len(),
        loaded.meal_orders.len(),
        loaded.medicine_orders.len(),
        partner_names(&scenario.partners),
        opts.speed
    );
    // Two staff accounts for the pages, with a password made for this run.
    let minted = crate::crypto::mint_token().token;
    let password = format!("demo-{}", &minted[minted.len().saturating_sub(10)..]);
    for (name, login, role, site) in [
        (
            "Petugas Dinsos",
            "dinsos",
            crate::domain::Role::SocialWorker,
            None,
        ),
        (
            "Apoteker RSUD",
            "apoteker",
            crate::domain::Role::Pharmacist,
            loaded.pharmacies.first().copied(),
        ),
    ] {
        dispatch
            .create_user(
                &admin,
                crate::dispatch::admin::NewUser {
                    name: name.into(),
                    login: login.into(),
                    role,
                    site_id: site,
                    password: Some(password.clone().into()),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("creating the demo staff accounts: {e}"))?;
    }
    println!("dashboard and API: {base}   admin token: {token}");
    println!("staff pages: {base}/login   users dinsos and apoteker, password {password}");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.wait_for(|s| *s).await;
    }));

    play(&dispatch, date, tz, end).await?;
    let mut report = day_report(&dispatch, date, tz, real_start).await?;
    report.partners = sims.iter().map(|(n, s)| (n.clone(), s.stats())).collect();
    report.companies = companies
        .iter()
        .map(|(n, s)| (n.clone(), s.stats()))
        .collect();
    print_report(&report);
    if opts.serve {
        println!("serving on {base} until ctrl-c (admin token above)");
        crate::app::shutdown_signal().await;
    }
    for (_, s) in sims {
        s.shutdown().await;
    }
    for (_, s) in companies {
        s.shutdown().await;
    }
    let _ = stop_tx.send(true);
    server.await??;
    Ok(report)
}

/// The simulator of a booking company with `fare` and behaviour `b`, on the process clock.
fn booking_sim_config(
    listen: SocketAddr,
    fare: &FareModel,
    b: &BookingBehaviour,
    api_key: &str,
    callback_secret: &str,
    seed: u64,
) -> BookingSimConfig {
    let mut c = BookingSimConfig::new(listen, api_key, callback_secret);
    c.no_driver_rate = b.no_driver_rate;
    c.surge_min = b.surge_min;
    c.surge_max = b.surge_max;
    c.base_idr = i64::from(fare.base_idr);
    c.per_km_idr = i64::from(fare.per_km_idr);
    c.cancel_fee_idr = b.cancel_fee_idr;
    c.advance = Advance::Clock;
    c.step_delay = Duration::from_secs(u64::from(b.step_delay_s));
    c.seed = seed;
    c
}

fn partner_names(partners: &[PartnerSpec]) -> String {
    partners
        .iter()
        .map(|p| format!("{} ({})", p.name, p.kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What antar's records say about the day (the simulators' views are added by the caller).
async fn day_report(
    dispatch: &Dispatch,
    date: NaiveDate,
    tz: Tz,
    real_start: std::time::Instant,
) -> anyhow::Result<DemoReport> {
    let from = local_to_utc(date, NaiveTime::MIN, tz);
    let until = local_to_utc(date.succ_opt().unwrap_or(date), NaiveTime::MIN, tz);
    let mut offers_by_kind: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for o in dispatch.store().day_offers(from, until).await? {
        *offers_by_kind
            .entry(o.partner_kind)
            .or_default()
            .entry(o.status)
            .or_insert(0) += 1;
    }
    let bookings = dispatch.store().day_bookings(from, until).await?;
    // Jobs a booking API carried cost what it charged; every other job its estimate, as in
    // the day report.
    let companies: std::collections::HashSet<crate::domain::PartnerId> = dispatch
        .store()
        .partners()
        .await?
        .into_iter()
        .filter(|p| p.kind == PartnerKind::BookingApi)
        .map(|p| p.id)
        .collect();
    let estimated: f64 = dispatch
        .store()
        .jobs(&JobFilter {
            from: Some(from),
            limit: 100_000,
            ..JobFilter::default()
        })
        .await?
        .iter()
        .filter(|j| {
            j.departure < until
                && (j.status.is_held() || j.status == JobStatus::Completed)
                && !j.partner_id.is_some_and(|p| companies.contains(&p))
        })
        .map(|j| j.fare_idr)
        .sum();
    let charged: i64 = bookings.iter().filter_map(|b| b.fare_charged_idr).sum();
    Ok(DemoReport {
        date,
        figures: dispatch.day_report(&scheduler(), date).await?,
        partners: Vec::new(),
        companies: Vec::new(),
        offers_by_kind,
        bookings,
        cost_with_bookings_idr: estimated + charged as f64,
        early_by_kind: dispatch.store().day_early_deliveries(from, until).await?,
        unfinished: unfinished(dispatch, date, tz).await?,
        real_seconds: real_start.elapsed().as_secs_f64(),
    })
}

/// Play the day on the process clock: hourly progress lines, the simulated staff every
/// simulated minute, until `end` or (after noon) until every order and job is done.
async fn play(
    dispatch: &Dispatch,
    date: NaiveDate,
    tz: Tz,
    end: DateTime<Utc>,
) -> anyhow::Result<()> {
    let admin = scheduler();
    let mut last_hour = None;
    let mut retried = std::collections::HashSet::new();
    loop {
        let now = crate::clock::now();
        let local = now.with_timezone(&tz);
        if last_hour != Some(local.format("%H").to_string()) {
            last_hour = Some(local.format("%H").to_string());
            let f = dispatch.day_report(&admin, date).await?;
            println!(
                "  {} WIB  delivered {:>4} (late {:>3})  failed {:>3}  jobs {:?}",
                local.format("%H:%M"),
                f.delivered(),
                f.delivered_late,
                f.failed_handovers,
                f.jobs_by_status
            );
        }
        staff_round(dispatch, &mut retried, now).await?;
        if now >= end
            || (now > local_to_utc(date, NaiveTime::from_hms_opt(12, 0, 0).expect("valid"), tz)
                && day_done(dispatch, date, tz).await?)
        {
            break;
        }
        tokio::time::sleep(
            crate::clock::real_duration(Duration::from_secs(60)).max(Duration::from_millis(20)),
        )
        .await;
    }
    Ok(())
}

/// What the simulated staff do: confirm medicine that came back, plan a site at once when its
/// wave was missed (the service was down), and ask every partner once more for a job nobody
/// took (then put it back for the next wave).
async fn staff_round(
    dispatch: &Dispatch,
    retried: &mut std::collections::HashSet<uuid::Uuid>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let who = scheduler();
    let returning = dispatch
        .store()
        .orders(&OrderFilter {
            status: Some(OrderStatus::Returning),
            limit: 1000,
            ..OrderFilter::default()
        })
        .await?;
    for o in returning {
        // The courier needs a while to ride back.
        if now - o.updated_at > chrono::Duration::minutes(30) {
            dispatch.confirm_return(&who, o.id).await?;
        }
    }
    // A wave missed while the service was down: staff plan the site now, as the alert asks.
    let missed = dispatch
        .list_alerts(
            &who,
            crate::store::jobs::AlertFilter {
                kind: Some(crate::domain::AlertKind::WaveMissed),
                limit: 100,
                ..Default::default()
            },
        )
        .await?;
    for a in missed {
        if let Some(site) = a.site_id {
            let req = crate::dispatch::planning::PlanRequest {
                site_id: Some(site),
                date: None,
                time_limit: Duration::from_millis(300),
                seed: 1,
                ready_before: None,
            };
            dispatch.run_plan(&who, req, "on_demand").await?;
        }
        dispatch
            .handle_alert(&who, a.id, Some("direncanakan sekarang oleh staf"))
            .await?;
    }
    let flagged = dispatch
        .list_jobs(
            &who,
            JobFilter {
                flagged: true,
                limit: 1000,
                ..JobFilter::default()
            },
        )
        .await?;
    for j in flagged {
        // A job already offered a second round is put back, also after a restart.
        let action = if j.round <= 1 && retried.insert(j.id) {
            JobAction::Retry
        } else {
            JobAction::Requeue
        };
        let note = match action {
            JobAction::Retry => "ditawarkan ulang ke semua mitra",
            JobAction::Requeue => "dikembalikan ke antrean gelombang berikutnya",
        };
        dispatch
            .handle_unassigned_job(&who, j.id, action, note)
            .await?;
        // Meals have no later wave today: plan the kitchen's waiting orders again at once.
        if action == JobAction::Requeue && j.kind == crate::domain::OrderKind::Meal {
            let req = crate::dispatch::planning::PlanRequest {
                site_id: Some(j.site_id),
                date: None,
                time_limit: Duration::from_millis(300),
                seed: 1,
                ready_before: None,
            };
            dispatch.run_plan(&who, req, "on_demand").await?;
        }
    }
    Ok(())
}

async fn unfinished(dispatch: &Dispatch, date: NaiveDate, tz: Tz) -> anyhow::Result<i64> {
    let from = local_to_utc(date, NaiveTime::MIN, tz);
    let until = local_to_utc(date.succ_opt().unwrap_or(date), NaiveTime::MIN, tz);
    let orders = dispatch
        .store()
        .orders(&OrderFilter {
            from: Some(from),
            until: Some(until),
            limit: 100_000,
            ..OrderFilter::default()
        })
        .await?;
    Ok(orders
        .iter()
        .filter(|o| {
            !(o.status.is_final(o.kind)
                || o.status == OrderStatus::ReturnedToPharmacy
                || o.status == OrderStatus::NeedsLocation)
        })
        .count() as i64)
}

async fn day_done(dispatch: &Dispatch, date: NaiveDate, tz: Tz) -> anyhow::Result<bool> {
    let open_jobs = dispatch
        .store()
        .jobs(&JobFilter {
            limit: 5000,
            ..JobFilter::default()
        })
        .await?
        .iter()
        .filter(|j| !j.status.is_final() && j.status != JobStatus::Expired)
        .count();
    if open_jobs > 0 || unfinished(dispatch, date, tz).await? > 0 {
        return Ok(false);
    }
    // Bookings called off with the company are finished once it has answered.
    let from = local_to_utc(date, NaiveTime::MIN, tz);
    let until = local_to_utc(date.succ_opt().unwrap_or(date), NaiveTime::MIN, tz);
    Ok(dispatch
        .store()
        .day_bookings(from, until)
        .await?
        .iter()
        .all(|b| b.state == "done"))
}

fn print_report(r: &DemoReport) {
    let f = &r.figures;
    let get = |m: &BTreeMap<String, i64>, k: &str| m.get(k).copied().unwrap_or(0);
    println!();
    println!(
        "Hari {} / day {} — played in {:.0} s",
        r.date, r.date, r.real_seconds
    );
    println!(
        "  orders                 {:>6}  (meals {}, medicine {})",
        f.orders(),
        get(&f.orders_by_kind, "meal"),
        get(&f.orders_by_kind, "medicine")
    );
    println!("  delivered on time      {:>6}", f.delivered_on_time);
    println!("  delivered late         {:>6}", f.delivered_late);
    // On time means by the end of the window; these came before it opened.
    println!(
        "    before their window  {:>6}  ({})",
        r.early_by_kind.values().sum::<i64>(),
        r.early_by_kind
            .iter()
            .map(|(k, n)| format!("by {k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("  failed handovers       {:>6}", f.failed_handovers);
    println!(
        "  cancelled              {:>6}",
        get(&f.orders_by_status, "cancelled")
    );
    println!(
        "  without a location     {:>6}",
        get(&f.orders_by_status, "needs_location")
    );
    println!("  not finished           {:>6}", r.unfinished);
    println!(
        "  welfare alerts         {:>6}",
        get(&f.alerts_by_kind, "welfare")
    );
    println!(
        "  unwell alerts          {:>6}",
        get(&f.alerts_by_kind, "unwell")
    );
    println!(
        "  medicine returned      {:>6}",
        get(&f.alerts_by_kind, "medicine_failed")
    );
    println!(
        "  jobs nobody took       {:>6}",
        get(&f.alerts_by_kind, "job_unassigned")
    );
    println!(
        "  offers                 {:>6}  (accepted {}, rejected {}, expired {}, withdrawn {})",
        f.offers_by_status.values().sum::<i64>(),
        get(&f.offers_by_status, "accepted"),
        get(&f.offers_by_status, "rejected"),
        get(&f.offers_by_status, "expired"),
        get(&f.offers_by_status, "withdrawn")
    );
    for (kind, by_status) in &r.offers_by_kind {
        println!(
            "    to {kind:<18}{:>6}  (accepted {}, rejected {}, expired {}, withdrawn {})",
            by_status.values().sum::<i64>(),
            get(by_status, "accepted"),
            get(by_status, "rejected"),
            get(by_status, "expired"),
            get(by_status, "withdrawn")
        );
    }
    match f.cost_per_delivery_idr() {
        Some(c) => println!(
            "  cost per delivery      Rp {c:>6.0}  (fares Rp {:.0})",
            f.fares_idr
        ),
        None => println!("  cost per delivery      -"),
    }
    if f.delivered() > 0 && !r.bookings.is_empty() {
        println!(
            "    at booking charges   Rp {:>6.0}  (jobs a booking API carried at what it charged, fees included)",
            r.cost_with_bookings_idr / f.delivered() as f64
        );
    }
    let done = r.bookings.iter().filter(|b| b.state == "done").count();
    let delivered = r
        .bookings
        .iter()
        .filter(|b| b.last_status.as_deref() == Some("delivered"))
        .count();
    let charged: i64 = r.bookings.iter().filter_map(|b| b.fare_charged_idr).sum();
    println!(
        "  bookings               {:>6}  (finished {done}, delivered {delivered}; fares charged Rp {charged})",
        r.bookings.len()
    );
    for (name, s) in &r.partners {
        println!(
            "  {name}: offers {} (accepted {}, rejected {}, 500s {}), stops delivered {}, failed {}, events refused {:?}",
            s.offers_received,
            s.offers_accepted,
            s.offers_rejected,
            s.errors_returned,
            s.stops_delivered,
            s.stops_failed,
            s.events_refused
        );
    }
    for (name, s) in &r.companies {
        println!(
            "  {name}: bookings {} (delivered {}, no driver {}, cancelled {}), quotes {}, callbacks posted {} (failed {}), fares charged Rp {}",
            s.bookings,
            s.delivered,
            s.no_driver,
            s.cancelled,
            s.quotes,
            s.callbacks_posted,
            s.callbacks_failed,
            s.fares_charged_idr
        );
    }
}

/// One simulated partner as `antar demo --prepare` writes it to `partners.json`: everything
/// `antar partner-sim` needs to play it (`--mode booking` for a booking API).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PreparedPartner {
    /// The partner's name.
    pub name: String,
    /// `webhook` or `booking_api`.
    pub kind: PartnerKind,
    /// Where its webhook endpoint (a booking API: its API) must listen.
    pub listen: SocketAddr,
    /// The URL antar has for it.
    pub url: String,
    /// Its API token at antar.
    pub token: String,
    /// antar's secret that signs offers to it (a booking API: the key antar calls it with).
    pub outbound_secret: String,
    /// Its secret that signs callbacks (a booking API: its status callbacks).
    pub inbound_secret: String,
    /// How its simulator behaves.
    pub sim: PartnerBehaviour,
    /// Its fares (a booking API charges these, times its surge).
    pub fare: FareModel,
    /// Seed for its decisions.
    pub seed: u64,
}

/// Load the fixture scenario for `opts.date` into the database of `settings`, with the partners'
/// webhooks on `127.0.0.1:{port_base + i}`, and write `dir/partners.json` (secrets, mode 0600)
/// and `dir/pins.csv` (`parcel_code,pin`). Run it under the same `ANTAR_CLOCK` as the service:
/// the loader refuses prescriptions already past their deadline on the clock.
pub async fn prepare(
    mut settings: Settings,
    opts: DemoOptions,
    dir: &std::path::Path,
    port_base: u16,
) -> anyhow::Result<NaiveDate> {
    let scenario = Scenario::embedded().context("the embedded scenario does not parse")?;
    let tz = crate::domain::time::parse_tz(&scenario.time_zone)
        .with_context(|| format!("unknown time zone {}", scenario.time_zone))?;
    let date = opts.date.unwrap_or_else(|| default_date(tz));
    if settings.roads.graph.trim().is_empty() {
        settings.roads.graph = crate::app::EMBEDDED_TOWN.into();
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let store = crate::app::open_store(&settings).await?;
    let roads = crate::app::load_roads(&settings).await?;
    let dispatch = crate::app::build_dispatch(&settings, store.clone())?.with_roads(roads);
    let admin = scheduler();
    let addrs: Vec<SocketAddr> = (0..scenario.partners.len())
        .map(|i| {
            let port = u16::try_from(i)
                .ok()
                .and_then(|i| port_base.checked_add(i))
                .context("--partner-port-base is too high for the partners")?;
            Ok(SocketAddr::from(([127, 0, 0, 1], port)))
        })
        .collect::<anyhow::Result<_>>()?;
    let urls: Vec<String> = addrs.iter().map(|a| format!("http://{a}/")).collect();
    let loaded = scenario::load(&dispatch, &admin, &scenario, date, &urls)
        .await
        .map_err(|e| anyhow::anyhow!("loading the scenario: {e}"))?;

    let mut pins = String::from("parcel_code,pin\n");
    for (order, pin) in &loaded.pins {
        let o = dispatch.store().order(*order, None).await?;
        pins.push_str(&format!("{},{pin}\n", parcel_code(&o).as_str()));
    }
    let partners: Vec<PreparedPartner> = scenario
        .partners
        .iter()
        .zip(&loaded.partners)
        .enumerate()
        .map(|(i, (spec, created))| PreparedPartner {
            name: spec.name.clone(),
            kind: spec.kind,
            listen: addrs[i],
            url: urls[i].clone(),
            token: created.token.clone(),
            outbound_secret: created.outbound_secret.clone(),
            inbound_secret: created.inbound_secret.clone(),
            sim: spec.sim.clone(),
            fare: spec.fare.clone(),
            seed: opts.seed.wrapping_add(i as u64),
        })
        .collect();
    write_private(
        &dir.join("partners.json"),
        serde_json::to_string_pretty(&partners)?.as_bytes(),
    )?;
    write_private(&dir.join("pins.csv"), pins.as_bytes())?;
    store.close().await;
    println!(
        "antar demo --prepare: {date} — {} meal orders, {} prescriptions, {} partners ({}) → {}",
        loaded.meal_orders.len(),
        loaded.medicine_orders.len(),
        partners.len(),
        urls.join(", "),
        dir.display()
    );
    Ok(date)
}

/// Write a file only its owner may read (it holds secrets).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Play the rest of a day loaded by [`prepare`], with the partners running as their own
/// processes (`antar partner-sim`, the booking company with `--mode booking`): the service
/// (HTTP, outbox and booking workers, timers; its listen address as the public URL for the
/// company's callbacks) plus the simulated staff, on the process clock (`ANTAR_CLOCK`). Safe to kill and start again at any
/// moment: everything it needs is in the database. Prints the day's figures when the day is
/// over, then keeps serving until ctrl-c or SIGTERM.
pub async fn run_prepared(mut settings: Settings, opts: DemoOptions) -> anyhow::Result<()> {
    let tz = crate::domain::time::parse_tz(&settings.region.time_zone)
        .with_context(|| format!("unknown time zone {}", settings.region.time_zone))?;
    let date = opts.date.unwrap_or_else(|| default_date(tz));
    let end = local_to_utc(date, opts.end, tz);
    let real_start = std::time::Instant::now();
    settings.outbox.worker = true;
    settings.dispatch.timers = true;
    if settings.roads.graph.trim().is_empty() {
        settings.roads.graph = crate::app::EMBEDDED_TOWN.into();
    }
    let app = Application::build(&settings)
        .await?
        .with_loopback_public_url();
    let dispatch = app.dispatch().clone();
    println!(
        "antar demo --prepared: {date}, serving on http://{}",
        app.local_addr()
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    let played = tokio::select! {
        r = play(&dispatch, date, tz, end) => Some(r),
        _ = crate::app::shutdown_signal() => None,
    };
    if let Some(played) = played {
        played?;
        let report = day_report(&dispatch, date, tz, real_start).await?;
        print_report(&report);
        println!("hari selesai / day over; serving until ctrl-c or SIGTERM");
        crate::app::shutdown_signal().await;
    }
    let _ = stop_tx.send(true);
    server.await??;
    Ok(())
}
