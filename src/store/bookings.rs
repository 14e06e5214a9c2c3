//! Bookings with booking-API partners: one row per booked stop, which is also the durable
//! timer of the worker that quotes, books, polls and cancels them.
//!
//! Must not depend on `api` or `dispatch`.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{Result, RowExt, Store, parse_col, parse_ts, ts};
use crate::domain::PartnerId;

/// One booking.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingRow {
    /// Our reference id, sent with every request.
    pub id: Uuid,
    /// The job.
    pub job_id: Uuid,
    /// The offer the booking answers.
    pub offer_id: Uuid,
    /// The partner.
    pub partner_id: PartnerId,
    /// The stop (one drop per booking).
    pub stop_id: Uuid,
    /// `quote`, `searching`, `active`, `cancel`, `done`.
    pub state: String,
    /// The company's quote id.
    pub quote_ref: Option<String>,
    /// The company's booking id.
    pub booking_ref: Option<String>,
    /// Fare quoted, rupiah.
    pub fare_quoted_idr: Option<i64>,
    /// Fare charged, rupiah.
    pub fare_charged_idr: Option<i64>,
    /// The company's last status.
    pub last_status: Option<String>,
    /// The last failed call.
    pub last_error: Option<String>,
    /// The driver the company named (JSON: name, plate, phone).
    pub driver: Option<serde_json::Value>,
    /// Failed calls in a row.
    pub attempts: i64,
    /// When the worker looks next.
    pub due_at: DateTime<Utc>,
}

impl BookingRow {
    /// A new booking of `stop` answering `offer`, to be quoted at `due_at`.
    pub fn new(
        job_id: Uuid,
        offer_id: Uuid,
        partner_id: PartnerId,
        stop_id: Uuid,
        due_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            job_id,
            offer_id,
            partner_id,
            stop_id,
            state: "quote".into(),
            quote_ref: None,
            booking_ref: None,
            fare_quoted_idr: None,
            fare_charged_idr: None,
            last_status: None,
            last_error: None,
            driver: None,
            attempts: 0,
            due_at,
        }
    }
}

const COLS: &str = "id, job_id, offer_id, partner_id, stop_id, state, quote_ref, booking_ref, \
     fare_quoted_idr, fare_charged_idr, last_status, last_error, attempts, due_at, driver";

fn from_row(r: &AnyRow) -> Result<BookingRow> {
    Ok(BookingRow {
        id: parse_col("id", &r.text("id")?)?,
        job_id: parse_col("job_id", &r.text("job_id")?)?,
        offer_id: parse_col("offer_id", &r.text("offer_id")?)?,
        partner_id: parse_col("partner_id", &r.text("partner_id")?)?,
        stop_id: parse_col("stop_id", &r.text("stop_id")?)?,
        state: r.text("state")?,
        quote_ref: r.opt_text("quote_ref")?,
        booking_ref: r.opt_text("booking_ref")?,
        fare_quoted_idr: r.opt_int("fare_quoted_idr")?,
        fare_charged_idr: r.opt_int("fare_charged_idr")?,
        last_status: r.opt_text("last_status")?,
        last_error: r.opt_text("last_error")?,
        driver: r
            .opt_text("driver")?
            .map(|d| super::json_col("driver", &d))
            .transpose()?,
        attempts: r.int("attempts")?,
        due_at: parse_ts("due_at", &r.text("due_at")?)?,
    })
}

/// Store a new booking (in the offer's transaction).
pub async fn insert_booking(
    conn: &mut AnyConnection,
    b: &BookingRow,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO bookings (id, job_id, offer_id, partner_id, stop_id, state, attempts, due_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $8)",
    )
    .bind(b.id.to_string())
    .bind(b.job_id.to_string())
    .bind(b.offer_id.to_string())
    .bind(b.partner_id.to_string())
    .bind(b.stop_id.to_string())
    .bind(&b.state)
    .bind(ts(b.due_at))
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Save a booking's progress.
pub async fn update_booking(
    conn: &mut AnyConnection,
    b: &BookingRow,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE bookings SET state = $1, quote_ref = $2, booking_ref = $3, fare_quoted_idr = $4, \
         fare_charged_idr = $5, last_status = $6, last_error = $7, attempts = $8, due_at = $9, updated_at = $10, \
         driver = $12 \
         WHERE id = $11",
    )
    .bind(&b.state)
    .bind(b.quote_ref.as_deref())
    .bind(b.booking_ref.as_deref())
    .bind(b.fare_quoted_idr)
    .bind(b.fare_charged_idr)
    .bind(b.last_status.as_deref())
    .bind(b.last_error.as_deref())
    .bind(b.attempts)
    .bind(ts(b.due_at))
    .bind(ts(now))
    .bind(b.id.to_string())
    .bind(b.driver.as_ref().map(serde_json::Value::to_string))
    .execute(conn)
    .await?;
    Ok(())
}

/// Which live bookings to call off.
#[derive(Debug, Clone, Copy)]
pub enum CallOff {
    /// Every booking of a job (the job was cancelled).
    Job(Uuid),
    /// The booking of one stop (the stop left its job).
    Stop(Uuid),
}

/// Ask the worker to cancel live bookings at once.
pub async fn call_off(conn: &mut AnyConnection, which: CallOff, now: DateTime<Utc>) -> Result<()> {
    let (sql, id) = match which {
        CallOff::Job(id) => (
            "UPDATE bookings SET state = 'cancel', due_at = $1, updated_at = $1 \
             WHERE job_id = $2 AND state IN ('quote', 'searching', 'active')",
            id,
        ),
        CallOff::Stop(id) => (
            "UPDATE bookings SET state = 'cancel', due_at = $1, updated_at = $1 \
             WHERE stop_id = $2 AND state IN ('quote', 'searching', 'active')",
            id,
        ),
    };
    sqlx::query(sql)
        .bind(ts(now))
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// The bookings that answer one offer (one per stop), oldest first.
pub async fn bookings_of_offer(conn: &mut AnyConnection, offer: Uuid) -> Result<Vec<BookingRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM bookings WHERE offer_id = $1 ORDER BY created_at, id"
    )))
    .bind(offer.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Make an offer's unfinished bookings due at `now` (but `except`), so that the worker looks
/// at them next: their offer was decided.
pub async fn hurry_offer_bookings(
    conn: &mut AnyConnection,
    offer: Uuid,
    except: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE bookings SET due_at = $1 WHERE offer_id = $2 AND id <> $3 AND state <> 'done' AND due_at > $1",
    )
    .bind(ts(now))
    .bind(offer.to_string())
    .bind(except.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// A company's status callback about booking `booking_ref` (our reference `reference`):
    /// make that booking due at `now`. `Some(true)` when it was hurried, `Some(false)` when it
    /// is finished already, `None` when the partner has no such booking.
    pub async fn hurry_booking(
        &self,
        partner: PartnerId,
        reference: Uuid,
        booking_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>> {
        let r = sqlx::query(
            "UPDATE bookings SET due_at = $1 WHERE id = $2 AND partner_id = $3 AND booking_ref = $4 \
             AND state <> 'done' AND due_at > $1",
        )
        .bind(ts(now))
        .bind(reference.to_string())
        .bind(partner.to_string())
        .bind(booking_ref)
        .execute(&self.write)
        .await?;
        if r.rows_affected() == 1 {
            return Ok(Some(true));
        }
        let r = sqlx::query(
            "SELECT state FROM bookings WHERE id = $1 AND partner_id = $2 AND booking_ref = $3",
        )
        .bind(reference.to_string())
        .bind(partner.to_string())
        .bind(booking_ref)
        .fetch_optional(&self.read)
        .await?;
        r.map(|r| r.text("state").map(|s| s != "done")).transpose()
    }

    /// Bookings due at `now`, each leased for `lease` so that another worker leaves it alone.
    pub async fn claim_due_bookings(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<BookingRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM bookings WHERE state <> 'done' AND due_at <= $1 ORDER BY due_at LIMIT $2"
        )))
        .bind(ts(now))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let mut b = from_row(r)?;
            let mut tx = self.begin().await?;
            let taken =
                sqlx::query("UPDATE bookings SET due_at = $1 WHERE id = $2 AND due_at = $3")
                    .bind(ts(now + lease))
                    .bind(b.id.to_string())
                    .bind(ts(b.due_at))
                    .execute(&mut *tx)
                    .await?;
            tx.commit().await?;
            if taken.rows_affected() == 1 {
                b.due_at = now + lease;
                out.push(b);
            }
        }
        Ok(out)
    }

    /// What a partner's recent quotes (bookings updated since `since`) added up to, and what
    /// antar had estimated for the same jobs: `(quoted, estimated)` in rupiah. Only one-stop
    /// jobs count: a job booked stop by stop was estimated as one batched route.
    pub async fn recent_quotes(
        &self,
        partner: PartnerId,
        since: DateTime<Utc>,
    ) -> Result<(f64, f64)> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(b.fare_quoted_idr), 0) AS DOUBLE PRECISION) AS quoted, \
             CAST(COALESCE(SUM(j.fare_idr), 0) AS DOUBLE PRECISION) AS estimated \
             FROM bookings b JOIN jobs j ON j.id = b.job_id \
             WHERE b.partner_id = $1 AND b.fare_quoted_idr IS NOT NULL AND b.updated_at >= $2 \
             AND NOT EXISTS (SELECT 1 FROM bookings o WHERE o.offer_id = b.offer_id AND o.id <> b.id)",
        )
        .bind(partner.to_string())
        .bind(ts(since))
        .fetch_one(self.reader())
        .await?;
        Ok((r.float("quoted")?, r.float("estimated")?))
    }

    /// A job's bookings, oldest first.
    pub async fn bookings_of_job(&self, job: Uuid) -> Result<Vec<BookingRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM bookings WHERE job_id = $1 ORDER BY created_at, id"
        )))
        .bind(job.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }
}
