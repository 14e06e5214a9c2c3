//! The fares and payer of jobs, and the rows of a partner's monthly invoice.
//!
//! A job held by a webhook partner (or our own fleet) carries its own quoted and charged fares;
//! a job carried as bookings by a booking-API partner is invoiced from its bookings (see
//! [`super::bookings`]). Must not depend on `api`, `dispatch` or `webhooks`.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::{Result, RowExt, Store, parse_col, parse_ts, ts};
use crate::domain::PartnerId;

/// Who pays a job's fare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Payer {
    /// The program (meal or medicine) that runs the delivery: the default.
    Program,
    /// The patient pays the courier (e.g. a delivery outside the program's terms).
    Patient,
}

impl Payer {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Program => "program",
            Self::Patient => "patient",
        }
    }
}

impl std::str::FromStr for Payer {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "program" => Ok(Self::Program),
            "patient" => Ok(Self::Patient),
            other => Err(format!("unknown payer {other:?} (program, patient)")),
        }
    }
}

/// Set only the charged fare of a job (from a partner's report of what it bills).
pub async fn set_job_charged_fare(
    conn: &mut AnyConnection,
    job: Uuid,
    charged_idr: i64,
) -> Result<()> {
    sqlx::query("UPDATE jobs SET charged_fare_idr = $1 WHERE id = $2")
        .bind(charged_idr)
        .bind(job.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Set who pays a job's fare.
pub async fn set_job_payer(conn: &mut AnyConnection, job: Uuid, payer: Payer) -> Result<()> {
    let done = sqlx::query("UPDATE jobs SET payer = $1 WHERE id = $2")
        .bind(payer.as_str())
        .bind(job.to_string())
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(super::StoreError::NotFound);
    }
    Ok(())
}

/// One job on a partner's invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceRow {
    /// The job.
    pub job_id: Uuid,
    /// Its departure (the report groups by its local date).
    pub departure: DateTime<Utc>,
    /// Job state (`completed`, or held with a charge).
    pub status: String,
    /// Stops not removed from the job.
    pub stops: i64,
    /// The planner's estimate, rupiah.
    pub fare_idr: f64,
    /// The quote, when one was recorded.
    pub quoted_fare_idr: Option<i64>,
    /// The charge, when one was recorded.
    pub charged_fare_idr: Option<i64>,
    /// Who pays.
    pub payer: Payer,
}

impl Store {
    /// Jobs a partner carried departing in `[from, until)`, in departure order. For jobs it
    /// carried as bookings: those whose bookings are all done with something charged, at the
    /// sums of its bookings' fares (stops: bookings delivered). For other jobs it holds: completed
    /// ones, or any with a recorded charge (a cancellation fee), at the job's fares.
    pub async fn invoice_rows(
        &self,
        partner: PartnerId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<InvoiceRow>> {
        let rows = sqlx::query(
            "SELECT j.id, j.departure, j.status, j.fare_idr, j.quoted_fare_idr, j.charged_fare_idr, j.payer, \
             (SELECT COUNT(*) FROM job_stops s WHERE s.job_id = j.id AND s.status <> 'removed') AS stops \
             FROM jobs j WHERE j.partner_id = $1 AND j.departure >= $2 AND j.departure < $3 \
             AND (j.status = 'completed' OR j.charged_fare_idr IS NOT NULL) \
             AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.job_id = j.id AND b.partner_id = $1) \
             ORDER BY j.departure, j.id",
        )
        .bind(partner.to_string())
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(&self.read)
        .await?;
        // SUM of BIGINT is NUMERIC on PostgreSQL, which the `Any` driver cannot decode: cast.
        let booked = sqlx::query(
            "SELECT j.id, j.departure, j.status, j.payer, \
             CAST(SUM(CASE WHEN b.last_status = 'delivered' THEN 1 ELSE 0 END) AS BIGINT) AS stops, \
             CAST(SUM(COALESCE(b.fare_quoted_idr, 0)) AS BIGINT) AS quoted, \
             CAST(SUM(COALESCE(b.fare_charged_idr, 0)) AS BIGINT) AS charged, \
             CAST(SUM(CASE WHEN b.state <> 'done' THEN 1 ELSE 0 END) AS BIGINT) AS open \
             FROM bookings b JOIN jobs j ON j.id = b.job_id \
             WHERE b.partner_id = $1 AND j.departure >= $2 AND j.departure < $3 \
             GROUP BY j.id, j.departure, j.status, j.payer",
        )
        .bind(partner.to_string())
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::with_capacity(rows.len() + booked.len());
        for r in &booked {
            let (open, charged) = (r.int("open")?, r.int("charged")?);
            if open > 0 || charged <= 0 {
                continue;
            }
            out.push(InvoiceRow {
                job_id: parse_col("id", &r.text("id")?)?,
                departure: parse_ts("departure", &r.text("departure")?)?,
                status: r.text("status")?,
                stops: r.int("stops")?,
                fare_idr: 0.0,
                quoted_fare_idr: Some(r.int("quoted")?),
                charged_fare_idr: Some(charged),
                payer: parse_col("payer", &r.text("payer")?)?,
            });
        }
        let held: Vec<InvoiceRow> = rows
            .iter()
            .map(|r| {
                Ok(InvoiceRow {
                    job_id: parse_col("id", &r.text("id")?)?,
                    departure: parse_ts("departure", &r.text("departure")?)?,
                    status: r.text("status")?,
                    stops: r.int("stops")?,
                    fare_idr: r.float("fare_idr")?,
                    quoted_fare_idr: r.opt_int("quoted_fare_idr")?,
                    charged_fare_idr: r.opt_int("charged_fare_idr")?,
                    payer: parse_col("payer", &r.text("payer")?)?,
                })
            })
            .collect::<Result<_>>()?;
        out.extend(held);
        out.sort_by_key(|r| (r.departure, r.job_id));
        Ok(out)
    }
}
