//! Scheduled planning waves and the dispatcher's clock-driven work: each tick expires offers
//! whose time is up and runs the planning waves that are due.
//!
//! A wave is a local time at a site: kitchens plan once in the morning for the lunch window
//! (default 09:30), pharmacies every 30 minutes while open. Every wave that runs is a row
//! (`waves`, keyed by site and instant), claimed before it runs, so a wave runs once however
//! many `serve` instances tick and however often the service restarts. A wave missed while the
//! service was down runs late if it is still within the grace period; an older one is recorded
//! as missed and staff are alerted.
//! Must not depend on `api`.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::planning::PlanRequest;
use super::{Dispatch, Result};
use crate::domain::records::Site;
use crate::domain::site::SiteKind;
use crate::domain::time::local_to_utc;
use crate::domain::{AlertKind, Principal, Role, TokenId};
use crate::store::jobs::{self as sj, AlertRow};

/// When a site's waves run (stored per site; `None` = [`WaveSchedule::default_for`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveSchedule {
    /// Fixed local times, e.g. `["09:30"]`.
    #[serde(default)]
    pub at: Vec<NaiveTime>,
    /// Every so many minutes while the site is open.
    #[serde(default)]
    pub every_minutes: Option<u32>,
}

impl WaveSchedule {
    /// Kitchens: 09:30 for the lunch window; pharmacies: every 30 minutes while open.
    pub fn default_for(kind: SiteKind) -> Self {
        match kind {
            SiteKind::Kitchen => Self {
                at: vec![NaiveTime::from_hms_opt(9, 30, 0).expect("valid time")],
                every_minutes: None,
            },
            SiteKind::Pharmacy => Self {
                at: Vec::new(),
                every_minutes: Some(30),
            },
        }
    }

    /// The wave instants of `site` on local `date`, in order.
    pub fn instants(&self, site: &Site, date: NaiveDate) -> Vec<DateTime<Utc>> {
        let tz = site.time_zone;
        let mut out: Vec<DateTime<Utc>> =
            self.at.iter().map(|t| local_to_utc(date, *t, tz)).collect();
        if let Some(every) = self.every_minutes.filter(|m| *m > 0) {
            let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                [date.weekday().num_days_from_monday() as usize];
            for span in
                site.opening_hours.0.iter().filter(|s| {
                    s.days.is_empty() || s.days.iter().any(|d| d.eq_ignore_ascii_case(day))
                })
            {
                let open = local_to_utc(date, span.open, tz);
                let close = local_to_utc(date, span.close, tz);
                let mut t = open + chrono::Duration::minutes(i64::from(every));
                while t <= close {
                    out.push(t);
                    t += chrono::Duration::minutes(i64::from(every));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Settings for the clock-driven work.
#[derive(Debug, Clone)]
pub struct WaveSettings {
    /// Solver time per wave.
    pub time_limit: Duration,
    /// A wave this late still runs; older missed waves are reported.
    pub grace: chrono::Duration,
}

impl Default for WaveSettings {
    fn default() -> Self {
        Self {
            time_limit: Duration::from_secs(2),
            grace: chrono::Duration::minutes(30),
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Offers that expired.
    pub offers_expired: usize,
    /// Waves run.
    pub waves_run: usize,
    /// Waves found missed.
    pub waves_missed: usize,
    /// Urgent orders placed (inserted into a job or planned at once).
    pub urgent: usize,
}

/// How long a wave may stay claimed as running before a later tick takes it over: a claim older
/// than this was left by a process that died mid-wave. Planning takes real time (the solver's
/// limit and the matrix), so the lease is twice that plus a second in real time, seen on the
/// process clock (a scaled clock makes it longer in simulated time), and at least two minutes.
pub fn claim_lease(settings: &WaveSettings) -> chrono::Duration {
    let real = (settings.time_limit + Duration::from_secs(1)) * 2;
    let simulated = real.mul_f64(crate::clock::factor());
    chrono::Duration::from_std(simulated)
        .unwrap_or(chrono::Duration::days(1))
        .max(chrono::Duration::minutes(2))
}

/// The principal the scheduler acts as (in the audit log: `admin:scheduler`).
pub fn scheduler() -> Principal {
    Principal {
        token_id: TokenId(uuid::Uuid::nil()),
        name: "scheduler".into(),
        role: Role::Admin,
        site_id: None,
        partner_id: None,
    }
}

impl Dispatch {
    /// Do everything due at `now`: expire offers, generate the day's meals before the first
    /// kitchen wave, run due waves.
    pub async fn tick(&self, now: DateTime<Utc>, settings: &WaveSettings) -> Result<TickReport> {
        let mut report = TickReport {
            offers_expired: self.expire_offers(now).await?,
            ..TickReport::default()
        };
        if self.roads.is_none() {
            return Ok(report);
        }
        let stale = now - claim_lease(settings);
        // Urgent orders waiting: each is placed once per time it became ready.
        for (order, site, ready_since) in self.store.urgent_ready_orders(50).await? {
            let mut tx = self.store.begin().await?;
            if !sj::claim_wave(&mut tx, site, ready_since, now, stale).await? {
                continue;
            }
            tx.commit().await?;
            let outcome = self.dispatch_urgent(order).await;
            let mut tx = self.store.begin().await?;
            let done = match &outcome {
                Ok(o) => format!("urgent {order}: {o:?}"),
                Err(e) => format!("urgent {order} failed: {e}"),
            };
            sj::finish_wave(&mut tx, site, ready_since, None, &done).await?;
            tx.commit().await?;
            report.urgent += 1;
        }
        let who = scheduler();
        for site in self.store.sites().await? {
            if !site.active {
                continue;
            }
            let schedule = self
                .store
                .site_waves_json(site.id)
                .await?
                .and_then(|j| serde_json::from_str::<WaveSchedule>(&j).ok())
                .unwrap_or_else(|| WaveSchedule::default_for(site.kind));
            let date = crate::domain::time::local_date(now, site.time_zone);
            let due: Vec<DateTime<Utc>> = schedule
                .instants(&site, date)
                .into_iter()
                .filter(|w| *w <= now && now - *w <= chrono::Duration::hours(3))
                .collect();
            // Only the latest due wave runs; earlier unclaimed ones were missed.
            let Some((&latest, earlier)) = due.split_last() else {
                continue;
            };
            for w in earlier {
                let mut tx = self.store.begin().await?;
                if sj::claim_wave(&mut tx, site.id, *w, now, stale).await? {
                    sj::finish_wave(&mut tx, site.id, *w, None, "missed").await?;
                    tx.commit().await?;
                    report.waves_missed += 1;
                }
            }
            let mut tx = self.store.begin().await?;
            if !sj::claim_wave(&mut tx, site.id, latest, now, stale).await? {
                continue;
            }
            if now - latest > settings.grace {
                sj::finish_wave(&mut tx, site.id, latest, None, "missed").await?;
                let note = format!(
                    "the planning wave of {} at {} did not run (the service was down); plan now if orders wait",
                    site.name,
                    latest.with_timezone(&site.time_zone).format("%H:%M")
                );
                let mut alert = AlertRow::open(AlertKind::WaveMissed, "wave_missed", note, now);
                alert.site_id = Some(site.id);
                sj::insert_alert(&mut tx, &alert).await?;
                tx.commit().await?;
                report.waves_missed += 1;
                continue;
            }
            tx.commit().await?;
            if site.kind == SiteKind::Kitchen {
                self.generate_meal_day(&who, date).await?;
            }
            let outcome = self
                .run_plan(
                    &who,
                    PlanRequest {
                        site_id: Some(site.id),
                        date: Some(date),
                        time_limit: settings.time_limit,
                        seed: 1,
                        // What is ready by the next wave (meals: the lunch window ahead).
                        ready_before: Some(
                            latest
                                + chrono::Duration::minutes(i64::from(
                                    schedule.every_minutes.unwrap_or(180).max(30),
                                )),
                        ),
                    },
                    "wave",
                )
                .await;
            let mut tx = self.store.begin().await?;
            match &outcome {
                Ok(p) => {
                    sj::finish_wave(&mut tx, site.id, latest, Some(p.plan_id), "planned").await?
                }
                Err(e) => {
                    tracing::error!(site = %site.name, error = %e, "planning wave failed");
                    sj::finish_wave(&mut tx, site.id, latest, None, "failed").await?
                }
            }
            tx.commit().await?;
            report.waves_run += 1;
        }
        Ok(report)
    }

    /// Tick until `shutdown` completes: once a second of real time.
    pub async fn run_timers(
        self,
        settings: WaveSettings,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            match self.tick(crate::clock::now(), &settings).await {
                Ok(r) if r != TickReport::default() => tracing::debug!(?r, "timers ran"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "dispatcher timers failed; retrying"),
            }
            // Every 2 s of (possibly simulated) time, at most 20 times a second.
            let pause =
                crate::clock::real_duration(Duration::from_secs(2)).max(Duration::from_millis(50));
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {},
            }
        }
    }
}
