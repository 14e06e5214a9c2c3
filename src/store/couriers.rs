//! Our own couriers, the courier holding an own-fleet job, and the tins couriers bring back.
//!
//! Must not depend on `api` or `dispatch`.

use chrono::{DateTime, NaiveTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{Result, RowExt, Store, StoreError, json_col, now, parse_col, ts};
use crate::domain::records::Courier;
use crate::domain::{CourierId, SiteId, Weekdays};

const COLUMNS: &str = "id, site_id, name, phone, vehicle, capacity, max_stops, max_trips, \
     working_days, work_start, work_end, active";

fn hhmm(column: &'static str, s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| StoreError::Corrupt {
        column,
        reason: format!("{s:?}: {e}"),
    })
}

fn courier_from_row(r: &AnyRow) -> Result<Courier> {
    let days: Vec<String> = json_col("working_days", &r.text("working_days")?)?;
    Ok(Courier {
        id: parse_col("id", &r.text("id")?)?,
        site_id: parse_col("site_id", &r.text("site_id")?)?,
        name: r.text("name")?,
        phone: crate::domain::Phone::parse(&r.text("phone")?).map_err(|e| StoreError::Corrupt {
            column: "phone",
            reason: e.to_string(),
        })?,
        vehicle: r.text("vehicle")?,
        capacity: u32::try_from(r.int("capacity")?).unwrap_or(0),
        max_stops: u32::try_from(r.int("max_stops")?).unwrap_or(0),
        max_trips: u32::try_from(r.int("max_trips")?).unwrap_or(1),
        working_days: Weekdays::parse(&days).map_err(|e| StoreError::Corrupt {
            column: "working_days",
            reason: e.to_string(),
        })?,
        work_start: hhmm("work_start", &r.text("work_start")?)?,
        work_end: hhmm("work_end", &r.text("work_end")?)?,
        active: r.int("active")? != 0,
    })
}

fn days_json(d: Weekdays) -> String {
    serde_json::to_string(&d.names()).unwrap_or_else(|_| "[]".into())
}

/// Store a new courier.
pub async fn insert_courier(conn: &mut AnyConnection, c: &Courier) -> Result<()> {
    let at = ts(now());
    sqlx::query(
        "INSERT INTO couriers (id, site_id, name, phone, vehicle, capacity, max_stops, working_days, \
         work_start, work_end, active, created_at, updated_at, max_trips) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)",
    )
    .bind(c.id.to_string())
    .bind(c.site_id.to_string())
    .bind(&c.name)
    .bind(c.phone.as_str())
    .bind(&c.vehicle)
    .bind(i64::from(c.capacity))
    .bind(i64::from(c.max_stops))
    .bind(days_json(c.working_days))
    .bind(c.work_start.format("%H:%M").to_string())
    .bind(c.work_end.format("%H:%M").to_string())
    .bind(i64::from(c.active))
    .bind(at)
    .bind(i64::from(c.max_trips))
    .execute(conn)
    .await?;
    Ok(())
}

/// Replace a courier's fields (its site stays).
pub async fn update_courier(conn: &mut AnyConnection, c: &Courier) -> Result<()> {
    let done = sqlx::query(
        "UPDATE couriers SET name = $1, phone = $2, vehicle = $3, capacity = $4, max_stops = $5, \
         working_days = $6, work_start = $7, work_end = $8, active = $9, updated_at = $10, max_trips = $12 \
         WHERE id = $11",
    )
    .bind(&c.name)
    .bind(c.phone.as_str())
    .bind(&c.vehicle)
    .bind(i64::from(c.capacity))
    .bind(i64::from(c.max_stops))
    .bind(days_json(c.working_days))
    .bind(c.work_start.format("%H:%M").to_string())
    .bind(c.work_end.format("%H:%M").to_string())
    .bind(i64::from(c.active))
    .bind(ts(now()))
    .bind(c.id.to_string())
    .bind(i64::from(c.max_trips))
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One courier inside a transaction.
pub async fn courier_in(conn: &mut AnyConnection, id: CourierId) -> Result<Courier> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM couriers WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    courier_from_row(&r)
}

/// The active couriers of a site with how many unfinished jobs each holds, by that count and
/// then by name (the least busy first).
pub async fn site_couriers_in(
    conn: &mut AnyConnection,
    site: SiteId,
) -> Result<Vec<(Courier, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM jobs j WHERE j.courier_id = c.id \
         AND j.status IN ('accepted', 'courier_assigned', 'picked_up')) AS busy \
         FROM couriers c WHERE c.site_id = $1 AND c.active = 1 ORDER BY busy, name, id"
    )))
    .bind(site.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((courier_from_row(r)?, r.int("busy")?)))
        .collect()
}

/// The courier holding a job, if one of ours does.
pub async fn job_courier_in(
    conn: &mut AnyConnection,
    job: uuid::Uuid,
) -> Result<Option<CourierId>> {
    let r = sqlx::query("SELECT courier_id FROM jobs WHERE id = $1")
        .bind(job.to_string())
        .fetch_one(conn)
        .await?;
    r.opt_text("courier_id")?
        .map(|s| parse_col("courier_id", &s))
        .transpose()
}

/// Give a job to one of our couriers (or take it from them with `None`).
pub async fn set_job_courier(
    conn: &mut AnyConnection,
    job: uuid::Uuid,
    courier: Option<CourierId>,
) -> Result<()> {
    sqlx::query("UPDATE jobs SET courier_id = $1 WHERE id = $2")
        .bind(courier.map(|c| c.to_string()))
        .bind(job.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Record that the courier brought a stop's tin back; false when it was recorded before.
pub async fn mark_tin_returned(
    conn: &mut AnyConnection,
    stop: uuid::Uuid,
    at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE job_stops SET tin_returned_at = $1 WHERE id = $2 AND tin_returned_at IS NULL",
    )
    .bind(ts(at))
    .bind(stop.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    /// The active couriers of a site with the unfinished jobs each holds (least busy first).
    pub async fn site_couriers(&self, site: SiteId) -> Result<Vec<(Courier, i64)>> {
        let mut conn = self.reader().acquire().await?;
        site_couriers_in(&mut conn, site).await
    }

    /// Couriers, of one site or all, by site and name.
    pub async fn couriers(&self, site: Option<SiteId>) -> Result<Vec<Courier>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM couriers WHERE ($1 = '' OR site_id = $1) ORDER BY site_id, name, id"
        )))
        .bind(site.map(|s| s.to_string()).unwrap_or_default())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(courier_from_row).collect()
    }

    /// Partner events recorded for a job, oldest first: `(webhook id, type, outcome)`.
    pub async fn job_events(&self, job: uuid::Uuid) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT webhook_id, event_type, outcome FROM partner_events WHERE job_id = $1 \
             ORDER BY received_at, seq",
        )
        .bind(job.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.text("webhook_id")?,
                    r.text("event_type")?,
                    r.text("outcome")?,
                ))
            })
            .collect()
    }
}
