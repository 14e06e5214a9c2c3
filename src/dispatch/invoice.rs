//! A partner's month as antar recorded it, to reconcile against the partner's invoice: per job
//! the local date, the stops, the quoted fare, the charged fare and who pays (the program or
//! the patient), with totals per payer. Also who pays for a job ([`Dispatch::set_job_payer`]).
//!
//! Quotes and charges: a booking-API partner's job is invoiced at the sums of its bookings'
//! quoted and charged fares (`dispatch::bookings`). A webhook partner's job is quoted at the planner's fare
//! estimate (`fare_idr`) and charged what the partner reported on `stop.delivered` (`fare_idr`),
//! else the quote.
//!
//! Jobs counted: those the partner completed, plus any with a recorded charge (a cancellation
//! fee), departing in the month (local dates in the region's zone).
//!
//! The CSV ([`Invoice::csv`]) lives here so the API and the staff page hand out the same file.
//! Must not depend on `api` or `web`.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{Dispatch, DispatchError, Result, invalid, require};
use crate::domain::time::local_to_utc;
use crate::domain::{PartnerId, Principal, Role};
use crate::store::audit;
use crate::store::invoice as sb;
pub use crate::store::invoice::Payer;

/// One job on the invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// Local date of departure.
    pub date: NaiveDate,
    /// Departure (the page shows it in local time).
    pub departure: DateTime<Utc>,
    /// The job.
    pub job_id: Uuid,
    /// Its state.
    pub status: String,
    /// Stops carried.
    pub stops: i64,
    /// Quoted, rupiah.
    pub quoted_idr: i64,
    /// Charged, rupiah.
    pub charged_idr: i64,
    /// Who pays.
    pub payer: Payer,
}

/// Sums over some jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvoiceTotal {
    /// Jobs.
    pub jobs: i64,
    /// Stops.
    pub stops: i64,
    /// Quoted, rupiah.
    pub quoted_idr: i64,
    /// Charged, rupiah.
    pub charged_idr: i64,
}

impl InvoiceTotal {
    fn add(&mut self, l: &InvoiceLine) {
        self.jobs += 1;
        self.stops += l.stops;
        self.quoted_idr += l.quoted_idr;
        self.charged_idr += l.charged_idr;
    }
}

/// A partner's month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// The partner.
    pub partner_id: PartnerId,
    /// Its name.
    pub partner_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Jobs in departure order.
    pub lines: Vec<InvoiceLine>,
    /// Per payer (both payers always present).
    pub per_payer: BTreeMap<Payer, InvoiceTotal>,
    /// Everything.
    pub total: InvoiceTotal,
}

impl InvoiceTotal {
    /// Charged minus quoted: what the partner billed above (or below) its quotes.
    pub fn difference_idr(&self) -> i64 {
        self.charged_idr - self.quoted_idr
    }
}

impl Invoice {
    /// One row per job, then one total row per payer and an overall total (the total rows have
    /// `total` in the date column and the job count in `job_id`).
    pub fn csv(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from("date,job_id,status,stops,quoted_idr,charged_idr,payer\r\n");
        for l in &self.lines {
            let _ = write!(
                out,
                "{},{},{},{},{},{},{}\r\n",
                l.date,
                l.job_id,
                l.status,
                l.stops,
                l.quoted_idr,
                l.charged_idr,
                l.payer.as_str()
            );
        }
        for (p, t) in &self.per_payer {
            let _ = write!(
                out,
                "total,{},,{},{},{},{}\r\n",
                t.jobs,
                t.stops,
                t.quoted_idr,
                t.charged_idr,
                p.as_str()
            );
        }
        let t = self.total;
        let _ = write!(
            out,
            "total,{},,{},{},{},all\r\n",
            t.jobs, t.stops, t.quoted_idr, t.charged_idr
        );
        out
    }
}

/// A partner as the invoice page offers it for choosing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePartner {
    /// The partner.
    pub id: PartnerId,
    /// Its name.
    pub name: String,
    /// False once switched off (its past months can still be reconciled).
    pub active: bool,
}

/// Parse `YYYY-MM` into the month's first day.
pub fn parse_month(s: &str) -> Result<NaiveDate> {
    let bad = || {
        invalid(
            "month",
            "invalid_month",
            format!("expected a month as YYYY-MM, e.g. 2031-03 / bulan ditulis YYYY-MM, got {s:?}"),
        )
    };
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if !(2000..=2200).contains(&y) {
        return Err(bad());
    }
    NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)
}

impl Dispatch {
    /// The partner's `month` (`YYYY-MM`) as antar recorded it. For admins and social workers.
    /// Job ids and fares only, no patient data, so the read is not audited.
    pub async fn invoice(
        &self,
        who: &Principal,
        partner: PartnerId,
        month: &str,
    ) -> Result<Invoice> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let first = parse_month(month)?;
        let p = self
            .store
            .partner(partner)
            .await
            .map_err(|_| DispatchError::NotFound("partner"))?;
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .ok_or_else(|| invalid("month", "invalid_month", "month out of range"))?;
        let from = local_to_utc(first, NaiveTime::MIN, self.tz);
        let until = local_to_utc(next, NaiveTime::MIN, self.tz);
        let rows = self.store.invoice_rows(partner, from, until).await?;
        let mut lines = Vec::with_capacity(rows.len());
        let mut per_payer: BTreeMap<Payer, InvoiceTotal> = [Payer::Program, Payer::Patient]
            .into_iter()
            .map(|p| (p, InvoiceTotal::default()))
            .collect();
        let mut total = InvoiceTotal::default();
        for r in rows {
            let quoted = r.quoted_fare_idr.unwrap_or(r.fare_idr.round() as i64);
            let line = InvoiceLine {
                date: r.departure.with_timezone(&self.tz).date_naive(),
                departure: r.departure,
                job_id: r.job_id,
                status: r.status,
                stops: r.stops,
                quoted_idr: quoted,
                charged_idr: r.charged_fare_idr.unwrap_or(quoted),
                payer: r.payer,
            };
            per_payer.entry(line.payer).or_default().add(&line);
            total.add(&line);
            lines.push(line);
        }
        Ok(Invoice {
            partner_id: partner,
            partner_name: p.name,
            month: format!("{:04}-{:02}", first.year(), first.month()),
            lines,
            per_payer,
            total,
        })
    }

    /// The partners whose months may be reconciled, by name: id, name and whether active, no
    /// secrets or endpoints. For the same roles as [`Dispatch::invoice`].
    pub async fn invoice_partners(&self, who: &Principal) -> Result<Vec<InvoicePartner>> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let mut out: Vec<InvoicePartner> = self
            .store
            .partners()
            .await?
            .into_iter()
            .map(|p| InvoicePartner {
                id: p.id,
                name: p.name,
                active: p.active,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.0.cmp(&b.id.0)));
        Ok(out)
    }

    /// Record who pays for a job's fare (admins and social workers), audited.
    pub async fn set_job_payer(&self, who: &Principal, job: Uuid, payer: Payer) -> Result<()> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let mut tx = self.store.begin().await?;
        sb::set_job_payer(&mut tx, job, payer)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound => DispatchError::NotFound("job"),
                other => other.into(),
            })?;
        audit::record(
            &mut tx,
            &who.actor(),
            "set_payer",
            "job",
            Some(&job.to_string()),
            &json!({"payer": payer.as_str()}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_yyyy_mm_and_anything_else_is_named() {
        assert_eq!(
            parse_month("2031-03").unwrap(),
            NaiveDate::from_ymd_opt(2031, 3, 1).unwrap()
        );
        for bad in [
            "2031-13", "2031-3", "31-03", "2031/03", "", "maret", "2031-00",
        ] {
            assert!(
                matches!(parse_month(bad), Err(DispatchError::Invalid(ref e)) if e[0].field == "month"),
                "{bad:?}"
            );
        }
    }
}
