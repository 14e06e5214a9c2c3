//! Figures for a day: what was delivered, on time or late, what failed, alerts raised, partner
//! offers and their answers, and the cost per delivery. Read-only.
//! Must not depend on `api` or `dispatch`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Result, RowExt, Store, parse_ts, ts};

/// A day's figures (orders whose window starts in the range).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DayFigures {
    /// Orders by status.
    pub orders_by_status: BTreeMap<String, i64>,
    /// Orders by kind.
    pub orders_by_kind: BTreeMap<String, i64>,
    /// Handed over by the end of their window.
    pub delivered_on_time: i64,
    /// Handed over after their window.
    pub delivered_late: i64,
    /// Handovers that failed (a stop reported failed).
    pub failed_handovers: i64,
    /// Alerts about the day's orders and jobs (or raised that day), by kind.
    pub alerts_by_kind: BTreeMap<String, i64>,
    /// Offers by outcome.
    pub offers_by_status: BTreeMap<String, i64>,
    /// Jobs by status.
    pub jobs_by_status: BTreeMap<String, i64>,
    /// Estimated fares of the jobs partners took, rupiah.
    pub fares_idr: f64,
}

impl DayFigures {
    /// Orders counted.
    pub fn orders(&self) -> i64 {
        self.orders_by_status.values().sum()
    }

    /// Orders handed over.
    pub fn delivered(&self) -> i64 {
        self.delivered_on_time + self.delivered_late
    }

    /// Rupiah per handed-over order.
    pub fn cost_per_delivery_idr(&self) -> Option<f64> {
        (self.delivered() > 0).then(|| self.fares_idr / self.delivered() as f64)
    }
}

/// One group of a range's orders or handovers: what happened to `n` orders of a program whose
/// window starts at the same instant.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeCount {
    /// Window start of the orders counted.
    pub window_start: DateTime<Utc>,
    /// `meal` or `medicine`.
    pub kind: String,
    /// `order` (counted once per order), or a handover: `on_time`, `late`, `failed`.
    pub outcome: String,
    /// The failure reason code of failed handovers.
    pub reason: Option<String>,
    /// How many.
    pub n: i64,
}

/// Fares of the jobs partners took, per departure and program.
#[derive(Debug, Clone, PartialEq)]
pub struct FareSum {
    /// Planned departure.
    pub departure: DateTime<Utc>,
    /// `meal` or `medicine`.
    pub kind: String,
    /// Rupiah.
    pub fare_idr: f64,
}

impl Store {
    /// Orders and handovers of orders whose window starts in `[from, until)`, grouped by window
    /// start, program and outcome (the caller groups the instants into local days), and the
    /// fares of jobs departing in the range. Handovers are counted as in [`Store::day_figures`].
    pub async fn range_outcomes(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(Vec<OutcomeCount>, Vec<FareSum>)> {
        let (a, b) = (ts(from), ts(until));
        let pool = self.reader();
        let rows = sqlx::query(
            "SELECT window_start AS w, kind AS k, 'order' AS outcome, NULL AS reason, COUNT(*) AS n \
             FROM orders WHERE window_start >= $1 AND window_start < $2 GROUP BY window_start, kind \
             UNION ALL \
             SELECT o.window_start AS w, o.kind AS k, \
             CASE WHEN s.status = 'failed' THEN 'failed' WHEN s.updated_at <= o.window_end THEN 'on_time' ELSE 'late' END AS outcome, \
             CASE WHEN s.status = 'failed' THEN COALESCE(s.fail_reason, 'other') ELSE NULL END AS reason, COUNT(*) AS n \
             FROM job_stops s JOIN orders o ON o.id = s.order_id \
             WHERE s.status IN ('delivered', 'failed') AND o.window_start >= $1 AND o.window_start < $2 \
             GROUP BY o.window_start, o.kind, 3, 4",
        )
        .bind(&a)
        .bind(&b)
        .fetch_all(pool)
        .await?;
        let outcomes = rows
            .iter()
            .map(|r| {
                Ok(OutcomeCount {
                    window_start: parse_ts("window_start", &r.text("w")?)?,
                    kind: r.text("k")?,
                    outcome: r.text("outcome")?,
                    reason: r.opt_text("reason")?,
                    n: r.int("n")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query(
            "SELECT departure, kind, SUM(fare_idr) AS fare FROM jobs WHERE departure >= $1 AND departure < $2 \
             AND status IN ('accepted', 'courier_assigned', 'picked_up', 'completed') GROUP BY departure, kind",
        )
        .bind(&a)
        .bind(&b)
        .fetch_all(pool)
        .await?;
        let fares = rows
            .iter()
            .map(|r| {
                Ok(FareSum {
                    departure: parse_ts("departure", &r.text("departure")?)?,
                    kind: r.text("kind")?,
                    fare_idr: r.float("fare")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((outcomes, fares))
    }

    /// Figures for orders whose window starts in `[from, until)`.
    pub async fn day_figures(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<DayFigures> {
        let (a, b) = (ts(from), ts(until));
        let mut f = DayFigures::default();
        let pool = self.reader();
        let grouped = |sql: &'static str| {
            let (a, b) = (a.clone(), b.clone());
            async move {
                let rows = sqlx::query(sql).bind(a).bind(b).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| Ok((r.text("k")?, r.int("n")?)))
                    .collect::<Result<BTreeMap<String, i64>>>()
            }
        };
        f.orders_by_status = grouped(
            "SELECT status AS k, COUNT(*) AS n FROM orders WHERE window_start >= $1 AND window_start < $2 GROUP BY status",
        )
        .await?;
        f.orders_by_kind = grouped(
            "SELECT kind AS k, COUNT(*) AS n FROM orders WHERE window_start >= $1 AND window_start < $2 GROUP BY kind",
        )
        .await?;
        let stops = grouped(
            "SELECT CASE WHEN s.status = 'failed' THEN 'failed' WHEN s.updated_at <= o.window_end THEN 'on_time' ELSE 'late' END AS k, \
             COUNT(*) AS n FROM job_stops s JOIN orders o ON o.id = s.order_id \
             WHERE s.status IN ('delivered', 'failed') AND o.window_start >= $1 AND o.window_start < $2 GROUP BY 1",
        )
        .await?;
        f.delivered_on_time = stops.get("on_time").copied().unwrap_or(0);
        f.delivered_late = stops.get("late").copied().unwrap_or(0);
        f.failed_handovers = stops.get("failed").copied().unwrap_or(0);
        f.alerts_by_kind = grouped(
            "SELECT a.kind AS k, COUNT(*) AS n FROM alerts a LEFT JOIN orders o ON o.id = a.order_id \
             LEFT JOIN jobs j ON j.id = a.job_id \
             WHERE COALESCE(o.window_start, j.departure, a.raised_at) >= $1 \
             AND COALESCE(o.window_start, j.departure, a.raised_at) < $2 GROUP BY a.kind",
        )
        .await?;
        f.offers_by_status = grouped(
            "SELECT o.status AS k, COUNT(*) AS n FROM offers o JOIN jobs j ON j.id = o.job_id \
             WHERE j.departure >= $1 AND j.departure < $2 GROUP BY o.status",
        )
        .await?;
        f.jobs_by_status = grouped(
            "SELECT status AS k, COUNT(*) AS n FROM jobs WHERE departure >= $1 AND departure < $2 GROUP BY status",
        )
        .await?;
        let r = sqlx::query(
            "SELECT COALESCE(SUM(fare_idr), 0.0) AS fare FROM jobs WHERE departure >= $1 AND departure < $2 \
             AND status IN ('accepted', 'courier_assigned', 'picked_up', 'completed')",
        )
        .bind(&a)
        .bind(&b)
        .fetch_one(pool)
        .await?;
        f.fares_idr = r.float("fare")?;
        Ok(f)
    }
}
