//! Reports over a range of local dates: per day and per program (meal, medicine), how many
//! orders there were, how many were handed over on time or late, how many handovers failed and
//! why, and what partners' fares came to per delivery.
//!
//! There is no payer or funder field on orders, sites or enrolments: each program (meal or
//! medicine) is funded as a whole, so the program stands for the funder. (A job's fare has a
//! payer, the program or the patient, for reconciling partner invoices: see `invoice`.)
//! Must not depend on `api` or `web`.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};

use super::{Dispatch, Result, invalid, require};
use crate::domain::time::local_to_utc;
use crate::domain::{Principal, Role};

/// The longest range a report covers, in days.
pub const MAX_REPORT_DAYS: i64 = 92;

/// The figures of one program on one day (or summed over several).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ProgramFigures {
    /// Orders whose window starts that day.
    pub orders: i64,
    /// Handed over by the end of their window.
    pub delivered_on_time: i64,
    /// Handed over after their window.
    pub delivered_late: i64,
    /// Handovers that failed.
    pub failed: i64,
    /// Failed handovers by reason code (`not_home`, `refused`, …).
    pub failed_by_reason: BTreeMap<String, i64>,
    /// Estimated fares of the jobs partners took, rupiah.
    pub fares_idr: f64,
}

impl ProgramFigures {
    /// Handed over (on time or late).
    pub fn delivered(&self) -> i64 {
        self.delivered_on_time + self.delivered_late
    }

    /// Rupiah per handed-over order.
    pub fn cost_per_delivery_idr(&self) -> Option<f64> {
        (self.delivered() > 0).then(|| self.fares_idr / self.delivered() as f64)
    }

    fn add(&mut self, o: &ProgramFigures) {
        self.orders += o.orders;
        self.delivered_on_time += o.delivered_on_time;
        self.delivered_late += o.delivered_late;
        self.failed += o.failed;
        for (k, n) in &o.failed_by_reason {
            *self.failed_by_reason.entry(k.clone()).or_default() += n;
        }
        self.fares_idr += o.fares_idr;
    }
}

/// A report over `from..=to` (local dates).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeReport {
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
    /// Figures per day and program (`meal`, `medicine`); days without anything are absent.
    pub rows: BTreeMap<(NaiveDate, String), ProgramFigures>,
}

impl RangeReport {
    /// Every day of the range, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.from
            .iter_days()
            .take_while(|d| *d <= self.to)
            .collect()
    }

    /// Figures per day, programs summed.
    pub fn per_day(&self) -> BTreeMap<NaiveDate, ProgramFigures> {
        let mut out: BTreeMap<NaiveDate, ProgramFigures> = BTreeMap::new();
        for ((d, _), f) in &self.rows {
            out.entry(*d).or_default().add(f);
        }
        out
    }

    /// Figures per program over the whole range.
    pub fn per_program(&self) -> BTreeMap<String, ProgramFigures> {
        let mut out: BTreeMap<String, ProgramFigures> = BTreeMap::new();
        for ((_, k), f) in &self.rows {
            out.entry(k.clone()).or_default().add(f);
        }
        out
    }

    /// Everything summed.
    pub fn total(&self) -> ProgramFigures {
        let mut t = ProgramFigures::default();
        for f in self.rows.values() {
            t.add(f);
        }
        t
    }
}

impl Dispatch {
    /// Figures for the local dates `from..=to` (at most [`MAX_REPORT_DAYS`]), per day and
    /// program. For social workers and admins: the figures cover every site. Counts only, no
    /// names, so the read is not audited.
    pub async fn range_report(
        &self,
        who: &Principal,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<RangeReport> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        if to < from {
            return Err(invalid(
                "to",
                "range_inverted",
                "the last day is before the first / tanggal akhir sebelum tanggal awal",
            ));
        }
        if (to - from).num_days() >= MAX_REPORT_DAYS {
            return Err(invalid(
                "to",
                "range_too_long",
                format!("at most {MAX_REPORT_DAYS} days / paling banyak {MAX_REPORT_DAYS} hari"),
            ));
        }
        let start = local_to_utc(from, NaiveTime::MIN, self.tz);
        let end = local_to_utc(to.succ_opt().unwrap_or(to), NaiveTime::MIN, self.tz);
        let (outcomes, fares) = self.store.range_outcomes(start, end).await?;
        let mut rows: BTreeMap<(NaiveDate, String), ProgramFigures> = BTreeMap::new();
        for o in outcomes {
            let day = o.window_start.with_timezone(&self.tz).date_naive();
            let f = rows.entry((day, o.kind)).or_default();
            match o.outcome.as_str() {
                "order" => f.orders += o.n,
                "on_time" => f.delivered_on_time += o.n,
                "late" => f.delivered_late += o.n,
                _ => {
                    f.failed += o.n;
                    *f.failed_by_reason
                        .entry(o.reason.unwrap_or_else(|| "other".into()))
                        .or_default() += o.n;
                }
            }
        }
        for s in fares {
            let day = s.departure.with_timezone(&self.tz).date_naive();
            rows.entry((day, s.kind)).or_default().fares_idr += s.fare_idr;
        }
        Ok(RangeReport { from, to, rows })
    }
}
