//! Planning runs, jobs, their stops and offers, inbound partner events, alerts and the record of
//! scheduled waves.
//!
//! Every change to a job happens inside a transaction that first *locks* the job row
//! ([`lock_job`]: an `UPDATE` of the row, which holds a row lock on PostgreSQL until commit; on
//! SQLite the single writer already serialises), so two `serve` instances, or an expiry timer
//! racing a partner's acceptance, can never both act on the same job. Offers leave `pending` only
//! through [`decide_offer`], a conditional update that exactly one caller wins.
//! Ids are plain UUIDs here (the wire id types belong to `webhooks`).
//! Must not depend on `api`, `dispatch` or `webhooks`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{Result, RowExt, Store, StoreError, json_col, opt_f64, parse_col, parse_ts, ts};
use crate::domain::{
    AlertId, AlertKind, AlertStatus, JobStatus, LatLon, OfferStatus, OrderId, OrderKind, PartnerId,
    PlanId, RecipientId, SiteId, StopStatus,
};

/// A stored planning run.
#[derive(Debug, Clone)]
pub struct PlanRow {
    /// Id.
    pub id: PlanId,
    /// Site the run was limited to.
    pub site_id: Option<SiteId>,
    /// `wave`, `on_demand` or `urgent`.
    pub origin: String,
    /// Ready orders considered.
    pub orders: i64,
    /// Jobs made.
    pub routes: i64,
    /// Orders left out (JSON array of `{order_id, code, reason}`).
    pub unplanned: Value,
    /// Estimated cost, rupiah.
    pub cost_idr: f64,
    /// The same orders as one trip each, rupiah.
    pub one_trip_per_order_idr: f64,
    /// Matrix time.
    pub matrix_ms: i64,
    /// Solve time.
    pub solve_ms: i64,
    /// Meal stops moved off their standing route or place.
    pub stops_moved: i64,
    /// Those changes (JSON array of `{order_id, change, from_route, to_route, reason}`).
    pub changes: Value,
    /// Who ran it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A stored job.
#[derive(Debug, Clone)]
pub struct JobRow {
    /// Id.
    pub id: Uuid,
    /// Plan it came from.
    pub plan_id: PlanId,
    /// Pickup site.
    pub site_id: SiteId,
    /// Meal or medicine.
    pub kind: OrderKind,
    /// State.
    pub status: JobStatus,
    /// The partner holding or being offered the job.
    pub partner_id: Option<PartnerId>,
    /// Planned departure from the site.
    pub departure: DateTime<Utc>,
    /// Riding distance, metres.
    pub distance_m: f64,
    /// Duration, seconds.
    pub duration_s: f64,
    /// Fare estimate, rupiah.
    pub fare_idr: f64,
    /// Road geometry.
    pub geometry: Vec<LatLon>,
    /// Some stop needs a cold box.
    pub needs_cold_box: bool,
    /// Some stop needs a PIN handover.
    pub needs_controlled: bool,
    /// Tins or parcels carried.
    pub load: i64,
    /// Highest partner `seq` seen.
    pub last_seq: i64,
    /// Offer round: staff asking every partner again starts a new one.
    pub round: i64,
    /// Courier details from `courier.assigned` (name, plate, phone).
    pub courier: Option<Value>,
    /// Last reported courier position and when.
    pub courier_location: Option<(LatLon, DateTime<Utc>)>,
    /// Flagged for staff (every partner declined).
    pub flagged_at: Option<DateTime<Utc>>,
    /// Why it was flagged.
    pub flag_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A stop of a job.
#[derive(Debug, Clone)]
pub struct StopRow {
    /// Stop id (minted per job).
    pub id: Uuid,
    /// Job.
    pub job_id: Uuid,
    /// Riding order, from 0.
    pub position: i64,
    /// Order delivered here.
    pub order_id: OrderId,
    /// Code on the parcel.
    pub parcel_code: String,
    /// Planned arrival.
    pub eta: DateTime<Utc>,
    /// State.
    pub status: StopStatus,
    /// Proof of delivery (JSON, the PIN never stored).
    pub proof: Option<Value>,
    /// Failure reason code.
    pub fail_reason: Option<String>,
    /// Courier's note.
    pub note: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An offer of a job to a partner.
#[derive(Debug, Clone)]
pub struct OfferRow {
    /// Id.
    pub id: Uuid,
    /// Job.
    pub job_id: Uuid,
    /// Partner.
    pub partner_id: PartnerId,
    /// The job's offer round this offer belongs to.
    pub round: i64,
    /// State.
    pub status: OfferStatus,
    /// Sent.
    pub offered_at: DateTime<Utc>,
    /// Void after.
    pub expires_at: DateTime<Utc>,
    /// Answered or expired.
    pub decided_at: Option<DateTime<Utc>>,
    /// The partner's reason, or why it ended.
    pub reason: Option<String>,
    /// Stops this offer adds to a job the partner already holds.
    pub added_stops: Vec<Uuid>,
}

/// An alert for staff.
#[derive(Debug, Clone)]
pub struct AlertRow {
    /// Id.
    pub id: AlertId,
    /// What about.
    pub kind: AlertKind,
    /// Handling state.
    pub status: AlertStatus,
    /// Site concerned.
    pub site_id: Option<SiteId>,
    /// Order concerned.
    pub order_id: Option<OrderId>,
    /// Job concerned.
    pub job_id: Option<Uuid>,
    /// Recipient concerned.
    pub recipient_id: Option<RecipientId>,
    /// Stable reason code (`not_home`, `all_partners_declined`, …).
    pub reason: String,
    /// Courier's or system's words.
    pub note: String,
    /// Raised.
    pub raised_at: DateTime<Utc>,
    /// Acknowledged by.
    pub acknowledged_by: Option<String>,
    /// Acknowledged at.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Closed by.
    pub closed_by: Option<String>,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
    /// Closing note.
    pub close_note: Option<String>,
}

impl AlertRow {
    /// A new open alert about nothing in particular yet (set the site, order, job, recipient).
    pub fn open(
        kind: AlertKind,
        reason: impl Into<String>,
        note: impl Into<String>,
        raised_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: AlertId::new(),
            kind,
            status: AlertStatus::Open,
            site_id: None,
            order_id: None,
            job_id: None,
            recipient_id: None,
            reason: reason.into(),
            note: note.into(),
            raised_at,
            acknowledged_by: None,
            acknowledged_at: None,
            closed_by: None,
            closed_at: None,
            close_note: None,
        }
    }
}

fn opt_ts(r: &AnyRow, col: &'static str) -> Result<Option<DateTime<Utc>>> {
    r.opt_text(col)?.map(|s| parse_ts(col, &s)).transpose()
}

fn status<T: std::str::FromStr>(col: &'static str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    parse_col(col, s)
}

/// Store a planning run.
pub async fn insert_plan(conn: &mut AnyConnection, p: &PlanRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO plans (id, site_id, origin, orders, routes, unplanned, cost_idr, one_trip_per_order_idr, \
         matrix_ms, solve_ms, created_by, created_at, stops_moved, changes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(p.id.to_string())
    .bind(p.site_id.map(|s| s.to_string()))
    .bind(&p.origin)
    .bind(p.orders)
    .bind(p.routes)
    .bind(p.unplanned.to_string())
    .bind(p.cost_idr)
    .bind(p.one_trip_per_order_idr)
    .bind(p.matrix_ms)
    .bind(p.solve_ms)
    .bind(&p.created_by)
    .bind(ts(p.created_at))
    .bind(p.stops_moved)
    .bind(p.changes.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

fn plan_from_row(r: &AnyRow) -> Result<PlanRow> {
    Ok(PlanRow {
        id: parse_col("id", &r.text("id")?)?,
        site_id: r
            .opt_text("site_id")?
            .map(|s| parse_col("site_id", &s))
            .transpose()?,
        origin: r.text("origin")?,
        orders: r.int("orders")?,
        routes: r.int("routes")?,
        unplanned: json_col("unplanned", &r.text("unplanned")?)?,
        cost_idr: r.float("cost_idr")?,
        one_trip_per_order_idr: r.float("one_trip_per_order_idr")?,
        matrix_ms: r.int("matrix_ms")?,
        solve_ms: r.int("solve_ms")?,
        stops_moved: r.int("stops_moved")?,
        changes: json_col("changes", &r.text("changes")?)?,
        created_by: r.text("created_by")?,
        created_at: parse_ts("created_at", &r.text("created_at")?)?,
    })
}

/// Store a new job.
pub async fn insert_job(conn: &mut AnyConnection, j: &JobRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, plan_id, site_id, kind, status, partner_id, departure, distance_m, duration_s, \
         fare_idr, geometry, needs_cold_box, needs_controlled, load, last_seq, round, flagged_at, flag_reason, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $18, $15, $16, $17, $17)",
    )
    .bind(j.id.to_string())
    .bind(j.plan_id.to_string())
    .bind(j.site_id.to_string())
    .bind(j.kind.as_str())
    .bind(j.status.as_str())
    .bind(j.partner_id.map(|p| p.to_string()))
    .bind(ts(j.departure))
    .bind(j.distance_m)
    .bind(j.duration_s)
    .bind(j.fare_idr)
    .bind(serde_json::to_string(&j.geometry).unwrap_or_else(|_| "[]".into()))
    .bind(i64::from(j.needs_cold_box))
    .bind(i64::from(j.needs_controlled))
    .bind(j.load)
    .bind(j.flagged_at.map(ts))
    .bind(j.flag_reason.as_deref())
    .bind(ts(j.created_at))
    .bind(j.round)
    .execute(conn)
    .await?;
    Ok(())
}

const JOB_COLS: &str = "id, plan_id, site_id, kind, status, partner_id, departure, distance_m, duration_s, fare_idr, \
     geometry, needs_cold_box, needs_controlled, load, last_seq, round, courier, courier_lat, courier_lon, courier_seen_at, \
     flagged_at, flag_reason, created_at, updated_at";

fn job_from_row(r: &AnyRow) -> Result<JobRow> {
    let courier_location = match (
        r.opt_float("courier_lat")?,
        r.opt_float("courier_lon")?,
        opt_ts(r, "courier_seen_at")?,
    ) {
        (Some(lat), Some(lon), Some(at)) => LatLon::new(lat, lon).ok().map(|p| (p, at)),
        _ => None,
    };
    Ok(JobRow {
        id: parse_col("id", &r.text("id")?)?,
        plan_id: parse_col("plan_id", &r.text("plan_id")?)?,
        site_id: parse_col("site_id", &r.text("site_id")?)?,
        kind: status("kind", &r.text("kind")?)?,
        status: status("status", &r.text("status")?)?,
        partner_id: r
            .opt_text("partner_id")?
            .map(|s| parse_col("partner_id", &s))
            .transpose()?,
        departure: parse_ts("departure", &r.text("departure")?)?,
        distance_m: r.float("distance_m")?,
        duration_s: r.float("duration_s")?,
        fare_idr: r.float("fare_idr")?,
        geometry: json_col("geometry", &r.text("geometry")?)?,
        needs_cold_box: r.int("needs_cold_box")? != 0,
        needs_controlled: r.int("needs_controlled")? != 0,
        load: r.int("load")?,
        last_seq: r.int("last_seq")?,
        round: r.int("round")?,
        courier: r
            .opt_text("courier")?
            .map(|s| json_col("courier", &s))
            .transpose()?,
        courier_location,
        flagged_at: opt_ts(r, "flagged_at")?,
        flag_reason: r.opt_text("flag_reason")?,
        created_at: parse_ts("created_at", &r.text("created_at")?)?,
        updated_at: parse_ts("updated_at", &r.text("updated_at")?)?,
    })
}

/// Lock a job for the rest of the transaction and read it.
pub async fn lock_job(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> Result<JobRow> {
    let done = sqlx::query("UPDATE jobs SET updated_at = $1 WHERE id = $2")
        .bind(ts(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    job_in(conn, id).await
}

/// Read a job inside a transaction.
pub async fn job_in(conn: &mut AnyConnection, id: Uuid) -> Result<JobRow> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLS} FROM jobs WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    job_from_row(&r)
}

/// Change a job's state, partner and flag together.
pub async fn update_job(conn: &mut AnyConnection, j: &JobRow) -> Result<()> {
    let loc = j.courier_location;
    sqlx::query(
        "UPDATE jobs SET status = $1, partner_id = $2, last_seq = $3, courier = $4, \
         courier_lat = CAST($5 AS DOUBLE PRECISION), courier_lon = CAST($6 AS DOUBLE PRECISION), courier_seen_at = $7, \
         flagged_at = $8, flag_reason = $9, updated_at = $10, distance_m = $11, duration_s = $12, fare_idr = $13, \
         needs_cold_box = $14, needs_controlled = $15, load = $16, round = $18 WHERE id = $17",
    )
    .bind(j.status.as_str())
    .bind(j.partner_id.map(|p| p.to_string()))
    .bind(j.last_seq)
    .bind(j.courier.as_ref().map(Value::to_string))
    .bind(opt_f64(loc.map(|l| l.0.lat())))
    .bind(opt_f64(loc.map(|l| l.0.lon())))
    .bind(loc.map(|l| ts(l.1)))
    .bind(j.flagged_at.map(ts))
    .bind(j.flag_reason.as_deref())
    .bind(ts(j.updated_at))
    .bind(j.distance_m)
    .bind(j.duration_s)
    .bind(j.fare_idr)
    .bind(i64::from(j.needs_cold_box))
    .bind(i64::from(j.needs_controlled))
    .bind(j.load)
    .bind(j.id.to_string())
    .bind(j.round)
    .execute(conn)
    .await?;
    Ok(())
}

/// Store a stop.
pub async fn insert_stop(conn: &mut AnyConnection, s: &StopRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO job_stops (id, job_id, position, order_id, parcel_code, eta, status, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(s.id.to_string())
    .bind(s.job_id.to_string())
    .bind(s.position)
    .bind(s.order_id.to_string())
    .bind(&s.parcel_code)
    .bind(ts(s.eta))
    .bind(s.status.as_str())
    .bind(ts(s.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Store many stops, 200 per statement.
pub async fn insert_stops(conn: &mut AnyConnection, stops: &[StopRow]) -> Result<()> {
    for chunk in stops.chunks(200) {
        let values = super::value_rows(chunk.len(), 8);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO job_stops (id, job_id, position, order_id, parcel_code, eta, status, updated_at) VALUES {values}"
        )));
        for s in chunk {
            q = q
                .bind(s.id.to_string())
                .bind(s.job_id.to_string())
                .bind(s.position)
                .bind(s.order_id.to_string())
                .bind(s.parcel_code.clone())
                .bind(ts(s.eta))
                .bind(s.status.as_str())
                .bind(ts(s.updated_at));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Record what happened at a stop.
pub async fn update_stop(conn: &mut AnyConnection, s: &StopRow) -> Result<()> {
    sqlx::query(
        "UPDATE job_stops SET status = $1, proof = $2, fail_reason = $3, note = $4, updated_at = $5, position = $6, eta = $7 \
         WHERE id = $8",
    )
    .bind(s.status.as_str())
    .bind(s.proof.as_ref().map(Value::to_string))
    .bind(s.fail_reason.as_deref())
    .bind(s.note.as_deref())
    .bind(ts(s.updated_at))
    .bind(s.position)
    .bind(ts(s.eta))
    .bind(s.id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

fn stop_from_row(r: &AnyRow) -> Result<StopRow> {
    Ok(StopRow {
        id: parse_col("id", &r.text("id")?)?,
        job_id: parse_col("job_id", &r.text("job_id")?)?,
        position: r.int("position")?,
        order_id: parse_col("order_id", &r.text("order_id")?)?,
        parcel_code: r.text("parcel_code")?,
        eta: parse_ts("eta", &r.text("eta")?)?,
        status: status("status", &r.text("status")?)?,
        proof: r
            .opt_text("proof")?
            .map(|s| json_col("proof", &s))
            .transpose()?,
        fail_reason: r.opt_text("fail_reason")?,
        note: r.opt_text("note")?,
        updated_at: parse_ts("updated_at", &r.text("updated_at")?)?,
    })
}

const STOP_COLS: &str = "id, job_id, position, order_id, parcel_code, eta, status, proof, fail_reason, note, updated_at";

/// A job's stops in riding order (removed ones included).
pub async fn stops_in(conn: &mut AnyConnection, job: Uuid) -> Result<Vec<StopRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STOP_COLS} FROM job_stops WHERE job_id = $1 ORDER BY position"
    )))
    .bind(job.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(stop_from_row).collect()
}

/// The live stop (not removed) of an order, if it is on a job.
pub async fn live_stop_of_order(
    conn: &mut AnyConnection,
    order: OrderId,
) -> Result<Option<StopRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STOP_COLS} FROM job_stops WHERE order_id = $1 AND status <> 'removed' ORDER BY updated_at DESC LIMIT 1"
    )))
    .bind(order.to_string())
    .fetch_optional(conn)
    .await?;
    r.as_ref().map(stop_from_row).transpose()
}

/// Store an offer.
pub async fn insert_offer(conn: &mut AnyConnection, o: &OfferRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO offers (id, job_id, partner_id, status, offered_at, expires_at, round, decided_at, added_stops, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(o.id.to_string())
    .bind(o.job_id.to_string())
    .bind(o.partner_id.to_string())
    .bind(o.status.as_str())
    .bind(ts(o.offered_at))
    .bind(ts(o.expires_at))
    .bind(o.round)
    .bind(o.decided_at.map(ts))
    .bind(serde_json::to_string(&o.added_stops).unwrap_or_else(|_| "[]".into()))
    .bind(o.reason.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Move an offer out of `pending`; false when it was no longer pending (someone decided first).
pub async fn decide_offer(
    conn: &mut AnyConnection,
    id: Uuid,
    to: OfferStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE offers SET status = $1, reason = $2, decided_at = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(ts(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn offer_from_row(r: &AnyRow) -> Result<OfferRow> {
    Ok(OfferRow {
        id: parse_col("id", &r.text("id")?)?,
        job_id: parse_col("job_id", &r.text("job_id")?)?,
        partner_id: parse_col("partner_id", &r.text("partner_id")?)?,
        round: r.int("round")?,
        status: status("status", &r.text("status")?)?,
        offered_at: parse_ts("offered_at", &r.text("offered_at")?)?,
        expires_at: parse_ts("expires_at", &r.text("expires_at")?)?,
        decided_at: opt_ts(r, "decided_at")?,
        reason: r.opt_text("reason")?,
        added_stops: json_col("added_stops", &r.text("added_stops")?)?,
    })
}

const OFFER_COLS: &str = "id, job_id, partner_id, round, status, offered_at, expires_at, decided_at, reason, added_stops";

/// Read an offer inside a transaction.
pub async fn offer_in(conn: &mut AnyConnection, id: Uuid) -> Result<OfferRow> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {OFFER_COLS} FROM offers WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    offer_from_row(&r)
}

/// Every offer of a job, oldest first.
pub async fn offers_of_job_in(conn: &mut AnyConnection, job: Uuid) -> Result<Vec<OfferRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {OFFER_COLS} FROM offers WHERE job_id = $1 ORDER BY offered_at, id"
    )))
    .bind(job.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(offer_from_row).collect()
}

/// Remember an accepted inbound event; false when its `webhook-id` was seen before (a duplicate).
#[allow(clippy::too_many_arguments)]
pub async fn record_partner_event(
    conn: &mut AnyConnection,
    partner: PartnerId,
    webhook_id: &str,
    job: Uuid,
    event_type: &str,
    seq: i64,
    occurred_at: DateTime<Utc>,
    outcome: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO partner_events (partner_id, webhook_id, job_id, event_type, seq, occurred_at, received_at, outcome, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (partner_id, webhook_id) DO NOTHING",
    )
    .bind(partner.to_string())
    .bind(webhook_id)
    .bind(job.to_string())
    .bind(event_type)
    .bind(seq)
    .bind(ts(occurred_at))
    .bind(ts(now))
    .bind(outcome)
    .bind(body)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a partner already sent this `webhook-id`.
pub async fn partner_event_seen(
    conn: &mut AnyConnection,
    partner: PartnerId,
    webhook_id: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "SELECT 1 AS one FROM partner_events WHERE partner_id = $1 AND webhook_id = $2",
    )
    .bind(partner.to_string())
    .bind(webhook_id)
    .fetch_optional(conn)
    .await?;
    Ok(r.is_some())
}

/// Raise an alert.
pub async fn insert_alert(conn: &mut AnyConnection, a: &AlertRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO alerts (id, kind, status, site_id, order_id, job_id, recipient_id, reason, note, raised_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(a.id.to_string())
    .bind(a.kind.as_str())
    .bind(a.status.as_str())
    .bind(a.site_id.map(|s| s.to_string()))
    .bind(a.order_id.map(|s| s.to_string()))
    .bind(a.job_id.map(|s| s.to_string()))
    .bind(a.recipient_id.map(|s| s.to_string()))
    .bind(&a.reason)
    .bind(&a.note)
    .bind(ts(a.raised_at))
    .execute(conn)
    .await?;
    Ok(())
}

const ALERT_COLS: &str = "id, kind, status, site_id, order_id, job_id, recipient_id, reason, note, raised_at, \
     acknowledged_by, acknowledged_at, closed_by, closed_at, close_note";

fn alert_from_row(r: &AnyRow) -> Result<AlertRow> {
    fn opt_id<T: std::str::FromStr>(r: &AnyRow, col: &'static str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        r.opt_text(col)?.map(|s| parse_col(col, &s)).transpose()
    }
    Ok(AlertRow {
        id: parse_col("id", &r.text("id")?)?,
        kind: status("kind", &r.text("kind")?)?,
        status: status("status", &r.text("status")?)?,
        site_id: opt_id(r, "site_id")?,
        order_id: opt_id(r, "order_id")?,
        job_id: opt_id(r, "job_id")?,
        recipient_id: opt_id(r, "recipient_id")?,
        reason: r.text("reason")?,
        note: r.text("note")?,
        raised_at: parse_ts("raised_at", &r.text("raised_at")?)?,
        acknowledged_by: r.opt_text("acknowledged_by")?,
        acknowledged_at: opt_ts(r, "acknowledged_at")?,
        closed_by: r.opt_text("closed_by")?,
        closed_at: opt_ts(r, "closed_at")?,
        close_note: r.opt_text("close_note")?,
    })
}

/// Read an alert inside a transaction.
pub async fn alert_in(conn: &mut AnyConnection, id: AlertId) -> Result<AlertRow> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ALERT_COLS} FROM alerts WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    alert_from_row(&r)
}

/// Store an alert's handling state.
pub async fn update_alert(conn: &mut AnyConnection, a: &AlertRow) -> Result<()> {
    sqlx::query(
        "UPDATE alerts SET status = $1, acknowledged_by = $2, acknowledged_at = $3, closed_by = $4, closed_at = $5, \
         close_note = $6 WHERE id = $7",
    )
    .bind(a.status.as_str())
    .bind(a.acknowledged_by.as_deref())
    .bind(a.acknowledged_at.map(ts))
    .bind(a.closed_by.as_deref())
    .bind(a.closed_at.map(ts))
    .bind(a.close_note.as_deref())
    .bind(a.id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Close the open alerts about a job (it was handled).
pub async fn close_job_alerts(
    conn: &mut AnyConnection,
    job: Uuid,
    by: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE alerts SET status = 'closed', closed_by = $1, closed_at = $2, close_note = $3 \
         WHERE job_id = $4 AND status <> 'closed'",
    )
    .bind(by)
    .bind(ts(now))
    .bind(note)
    .bind(job.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Mark a scheduled wave as run; false when it already ran or is running (another instance, or
/// before a restart). A claim still `running` since before `stale_before` was left by a process
/// that died mid-wave (`kill -9`, power loss): it is taken over, so the wave is not lost.
pub async fn claim_wave(
    conn: &mut AnyConnection,
    site: SiteId,
    wave_at: DateTime<Utc>,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO waves (site_id, wave_at, ran_at, outcome) VALUES ($1, $2, $3, 'running') \
         ON CONFLICT (site_id, wave_at) DO UPDATE SET ran_at = excluded.ran_at \
         WHERE waves.outcome = 'running' AND waves.ran_at < $4",
    )
    .bind(site.to_string())
    .bind(ts(wave_at))
    .bind(ts(now))
    .bind(ts(stale_before))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Record how a wave ended.
pub async fn finish_wave(
    conn: &mut AnyConnection,
    site: SiteId,
    wave_at: DateTime<Utc>,
    plan: Option<PlanId>,
    outcome: &str,
) -> Result<()> {
    sqlx::query("UPDATE waves SET plan_id = $1, outcome = $2 WHERE site_id = $3 AND wave_at = $4")
        .bind(plan.map(|p| p.to_string()))
        .bind(outcome)
        .bind(site.to_string())
        .bind(ts(wave_at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Filters for listing jobs.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only this site.
    pub site: Option<SiteId>,
    /// Only these states.
    pub status: Option<JobStatus>,
    /// Only this plan.
    pub plan: Option<PlanId>,
    /// Only flagged jobs not yet handled.
    pub flagged: bool,
    /// Departing at or after.
    pub from: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: i64,
}

/// Filters for listing alerts.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Only this kind.
    pub kind: Option<AlertKind>,
    /// Only this state; `None` = not closed.
    pub status: Option<AlertStatus>,
    /// Only this site.
    pub site: Option<SiteId>,
    /// Page size.
    pub limit: i64,
}

impl Store {
    /// A stored plan.
    pub async fn plan(&self, id: PlanId) -> Result<PlanRow> {
        let r = sqlx::query(
            "SELECT id, site_id, origin, orders, routes, unplanned, cost_idr, one_trip_per_order_idr, matrix_ms, \
             solve_ms, created_by, created_at, stops_moved, changes FROM plans WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_one(self.reader())
        .await?;
        plan_from_row(&r)
    }

    /// A job with its stops.
    pub async fn job(&self, id: Uuid) -> Result<(JobRow, Vec<StopRow>)> {
        let mut conn = self.reader().acquire().await?;
        let job = job_in(&mut conn, id).await?;
        let stops = stops_in(&mut conn, id).await?;
        Ok((job, stops))
    }

    /// A job's offers, oldest first.
    pub async fn offers_of_job(&self, id: Uuid) -> Result<Vec<OfferRow>> {
        let mut conn = self.reader().acquire().await?;
        offers_of_job_in(&mut conn, id).await
    }

    /// Jobs, newest departure first.
    pub async fn jobs(&self, f: &JobFilter) -> Result<Vec<JobRow>> {
        let mut sql = format!("SELECT {JOB_COLS} FROM jobs WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: String| {
            binds.push(v);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(s) = f.site {
            arg(&mut sql, " AND site_id = ?", s.to_string());
        }
        if let Some(s) = f.status {
            arg(&mut sql, " AND status = ?", s.as_str().to_owned());
        }
        if let Some(p) = f.plan {
            arg(&mut sql, " AND plan_id = ?", p.to_string());
        }
        if let Some(t) = f.from {
            arg(&mut sql, " AND departure >= ?", ts(t));
        }
        if f.flagged {
            sql.push_str(" AND flagged_at IS NOT NULL AND status = 'expired'");
        }
        sql.push_str(&format!(
            " ORDER BY departure DESC, id LIMIT {}",
            f.limit.clamp(1, 5000)
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Couriers each partner has busy now: its jobs accepted, with a courier on the way or
    /// picked up, a job booked stop by stop counting one driver per live booking.
    pub async fn held_jobs_by_partner(
        &self,
    ) -> Result<std::collections::HashMap<PartnerId, usize>> {
        // A job booked stop by stop with a booking company keeps one driver per live booking.
        let rows = sqlx::query(
            "SELECT j.partner_id, CAST(SUM(COALESCE(NULLIF((SELECT COUNT(*) FROM bookings b \
             WHERE b.job_id = j.id AND b.state = 'active'), 0), 1)) AS BIGINT) AS n FROM jobs j \
             WHERE j.partner_id IS NOT NULL AND j.status IN ('accepted', 'courier_assigned', 'picked_up') \
             GROUP BY j.partner_id",
        )
        .fetch_all(self.reader())
        .await?;
        let mut out = std::collections::HashMap::new();
        for r in rows {
            let id: PartnerId = parse_col("partner_id", &r.text("partner_id")?)?;
            out.insert(id, usize::try_from(r.int("n")?).unwrap_or(0));
        }
        Ok(out)
    }

    /// Jobs with a live (not removed) stop for an order whose window starts in
    /// `[from, until)`: the day's routes, for the map.
    pub async fn day_jobs(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<JobRow>> {
        let sql = format!(
            "SELECT {JOB_COLS} FROM jobs WHERE id IN (SELECT s.job_id FROM job_stops s \
             JOIN orders o ON o.id = s.order_id WHERE s.status <> 'removed' \
             AND o.window_start >= $1 AND o.window_start < $2) ORDER BY departure, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ts(from))
            .bind(ts(until))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Alerts, newest first.
    pub async fn alerts(&self, f: &AlertFilter) -> Result<Vec<AlertRow>> {
        let mut sql = format!("SELECT {ALERT_COLS} FROM alerts WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: String| {
            binds.push(v);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(k) = f.kind {
            arg(&mut sql, " AND kind = ?", k.as_str().to_owned());
        }
        match f.status {
            Some(s) => arg(&mut sql, " AND status = ?", s.as_str().to_owned()),
            None => sql.push_str(" AND status <> 'closed'"),
        }
        if let Some(s) = f.site {
            arg(&mut sql, " AND site_id = ?", s.to_string());
        }
        sql.push_str(&format!(
            " ORDER BY raised_at DESC, id LIMIT {}",
            f.limit.clamp(1, 5000)
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// Pending offers whose time is up, oldest first.
    pub async fn due_offers(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<(Uuid, Uuid)>> {
        let rows = sqlx::query(
            "SELECT id, job_id FROM offers WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(ts(now))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_col("id", &r.text("id")?)?,
                    parse_col("job_id", &r.text("job_id")?)?,
                ))
            })
            .collect()
    }

    /// A site's stored wave schedule (JSON), when it has its own.
    pub async fn site_waves_json(&self, site: SiteId) -> Result<Option<String>> {
        let r = sqlx::query("SELECT waves FROM sites WHERE id = $1")
            .bind(site.to_string())
            .fetch_one(self.reader())
            .await?;
        r.opt_text("waves")
    }

    /// Urgent orders waiting in `ready` with a location: (order, site, when it became ready).
    pub async fn urgent_ready_orders(
        &self,
        limit: i64,
    ) -> Result<Vec<(OrderId, SiteId, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT id, site_id, updated_at FROM orders WHERE status = 'ready' AND priority = 'urgent' \
             AND lat IS NOT NULL ORDER BY updated_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_col("id", &r.text("id")?)?,
                    parse_col("site_id", &r.text("site_id")?)?,
                    parse_ts("updated_at", &r.text("updated_at")?)?,
                ))
            })
            .collect()
    }

    /// Count of jobs per state (for metrics and the demo report).
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status")
                .fetch_all(self.reader())
                .await?;
        rows.iter()
            .map(|r| Ok((r.text("status")?, r.int("n")?)))
            .collect()
    }
}
