//! Raw rows for checking a day's records after the fact (`antar check-day`): orders with their
//! state histories, offers, outbox rows, job stops, bookings with booking-API partners and
//! their acceptances, exactly as stored. Read-only; the rules
//! they are checked against live in `demo::check`.
//! Must not depend on `api` or `dispatch`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Result, RowExt, Store, parse_ts, ts};

/// One order of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOrder {
    /// The order id.
    pub id: String,
    /// `meal` or `medicine`.
    pub kind: String,
    /// Its status now.
    pub status: String,
    /// Delivery attempt (2 and more after a medicine came back).
    pub attempt: i64,
}

/// One row of `order_events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The order.
    pub order_id: String,
    /// Insertion order.
    pub id: i64,
    /// The status before (none for the creation).
    pub from_status: Option<String>,
    /// The status after.
    pub to_status: String,
    /// When (stored text).
    pub at: String,
}

/// One offer of a job of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferFact {
    /// The offer.
    pub id: String,
    /// The job.
    pub job_id: String,
    /// The partner asked.
    pub partner_id: String,
    /// The partner's kind (`webhook`, `own_fleet`, `booking_api`).
    pub partner_kind: String,
    /// `pending`, `accepted`, `rejected`, `expired` or `withdrawn`.
    pub status: String,
    /// When it was made.
    pub offered_at: DateTime<Utc>,
    /// When it was decided (none while pending).
    pub decided_at: Option<DateTime<Utc>>,
}

/// One outbox row of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxFact {
    /// Row id.
    pub id: i64,
    /// The job, when the event is about one.
    pub job_id: Option<String>,
    /// The partner it goes to.
    pub partner_id: String,
    /// `job.offered`, `job.updated`, …
    pub event_type: String,
    /// The signed body (JSON envelope).
    pub body: String,
    /// `pending`, `delivered`, `failed` or `dropped`.
    pub status: String,
    /// Why it failed or was dropped.
    pub last_error: Option<String>,
}

/// One booking with a booking-API partner, of a job of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFact {
    /// Our reference.
    pub id: String,
    /// The job.
    pub job_id: String,
    /// The offer it answers.
    pub offer_id: String,
    /// The partner.
    pub partner_id: String,
    /// `quote`, `searching`, `active`, `cancel` or `done`.
    pub state: String,
    /// The company's last status.
    pub last_status: Option<String>,
    /// Fare quoted, rupiah.
    pub fare_quoted_idr: Option<i64>,
    /// Fare charged (a cancellation fee included), rupiah.
    pub fare_charged_idr: Option<i64>,
}

/// One `job.accepted` recorded from a booking-API partner (the booking worker's answer to an
/// offer), with the offer it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptanceFact {
    /// The job.
    pub job_id: String,
    /// The event's id.
    pub webhook_id: String,
    /// The offer named in the recorded body, if it names one.
    pub offer_id: Option<String>,
}

/// One stop of a completed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopFact {
    /// The job.
    pub job_id: String,
    /// The stop.
    pub stop_id: String,
    /// Its status.
    pub status: String,
}

impl Store {
    /// Orders whose window starts, or which were created, in `[from, until)`.
    pub async fn day_orders(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<DayOrder>> {
        let rows = sqlx::query(
            "SELECT id, kind, status, attempt FROM orders \
             WHERE (window_start >= $1 AND window_start < $2) OR (created_at >= $1 AND created_at < $2) \
             ORDER BY id",
        )
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DayOrder {
                    id: r.text("id")?,
                    kind: r.text("kind")?,
                    status: r.text("status")?,
                    attempt: r.int("attempt")?,
                })
            })
            .collect()
    }

    /// The state histories of [`Store::day_orders`], by order then insertion.
    pub async fn day_order_events(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT e.order_id, e.id, e.from_status, e.to_status, e.at FROM order_events e \
             JOIN orders o ON o.id = e.order_id \
             WHERE (o.window_start >= $1 AND o.window_start < $2) OR (o.created_at >= $1 AND o.created_at < $2) \
             ORDER BY e.order_id, e.id",
        )
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    order_id: r.text("order_id")?,
                    id: r.int("id")?,
                    from_status: r.opt_text("from_status")?,
                    to_status: r.text("to_status")?,
                    at: r.text("at")?,
                })
            })
            .collect()
    }

    /// Offers of jobs departing in `[from, until)`, by job then time.
    pub async fn day_offers(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OfferFact>> {
        let rows = sqlx::query(
            "SELECT o.id, o.job_id, o.partner_id, p.kind AS partner_kind, o.status, o.offered_at, o.decided_at \
             FROM offers o JOIN jobs j ON j.id = o.job_id JOIN partners p ON p.id = o.partner_id \
             WHERE j.departure >= $1 AND j.departure < $2 \
             ORDER BY o.job_id, o.offered_at, o.id",
        )
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OfferFact {
                    id: r.text("id")?,
                    job_id: r.text("job_id")?,
                    partner_id: r.text("partner_id")?,
                    partner_kind: r.text("partner_kind")?,
                    status: r.text("status")?,
                    offered_at: parse_ts("offers.offered_at", &r.text("offered_at")?)?,
                    decided_at: r
                        .opt_text("decided_at")?
                        .map(|t| parse_ts("offers.decided_at", &t))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// Outbox rows about jobs departing in `[from, until)`, and rows about no job created then.
    pub async fn day_outbox(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OutboxFact>> {
        let rows = sqlx::query(
            "SELECT x.id, x.job_id, x.partner_id, x.event_type, x.body, x.status, x.last_error FROM outbox x \
             LEFT JOIN jobs j ON j.id = x.job_id \
             WHERE COALESCE(j.departure, x.created_at) >= $1 AND COALESCE(j.departure, x.created_at) < $2 \
             ORDER BY x.id",
        )
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxFact {
                    id: r.int("id")?,
                    job_id: r.opt_text("job_id")?,
                    partner_id: r.text("partner_id")?,
                    event_type: r.text("event_type")?,
                    body: r.text("body")?,
                    status: r.text("status")?,
                    last_error: r.opt_text("last_error")?,
                })
            })
            .collect()
    }

    /// Bookings of jobs departing in `[from, until)`, by job then reference.
    pub async fn day_bookings(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<BookingFact>> {
        let rows = sqlx::query(
            "SELECT b.id, b.job_id, b.offer_id, b.partner_id, b.state, b.last_status, b.fare_quoted_idr, \
             b.fare_charged_idr FROM bookings b JOIN jobs j ON j.id = b.job_id \
             WHERE j.departure >= $1 AND j.departure < $2 ORDER BY b.job_id, b.id",
        )
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BookingFact {
                    id: r.text("id")?,
                    job_id: r.text("job_id")?,
                    offer_id: r.text("offer_id")?,
                    partner_id: r.text("partner_id")?,
                    state: r.text("state")?,
                    last_status: r.opt_text("last_status")?,
                    fare_quoted_idr: r.opt_int("fare_quoted_idr")?,
                    fare_charged_idr: r.opt_int("fare_charged_idr")?,
                })
            })
            .collect()
    }

    /// `job.accepted` events recorded from booking-API partners about jobs departing in
    /// `[from, until)`.
    pub async fn day_booking_acceptances(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<AcceptanceFact>> {
        let rows = sqlx::query(
            "SELECT e.job_id, e.webhook_id, e.body FROM partner_events e \
             JOIN jobs j ON j.id = e.job_id JOIN partners p ON p.id = e.partner_id \
             WHERE p.kind = 'booking_api' AND e.event_type = 'job.accepted' \
             AND j.departure >= $1 AND j.departure < $2 ORDER BY e.job_id, e.webhook_id",
        )
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let body = r.text("body")?;
                let offer_id = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["offer_id"].as_str().map(str::to_owned));
                Ok(AcceptanceFact {
                    job_id: r.text("job_id")?,
                    webhook_id: r.text("webhook_id")?,
                    offer_id,
                })
            })
            .collect()
    }

    /// Stops handed over before their order's window opened, by the kind of partner that
    /// carried them, for orders whose window starts in `[from, until)`.
    pub async fn day_early_deliveries(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<BTreeMap<String, i64>> {
        let rows = sqlx::query(
            "SELECT p.kind AS k, COUNT(*) AS n FROM job_stops s JOIN orders o ON o.id = s.order_id \
             JOIN jobs j ON j.id = s.job_id JOIN partners p ON p.id = j.partner_id \
             WHERE s.status = 'delivered' AND s.updated_at < o.window_start \
             AND o.window_start >= $1 AND o.window_start < $2 GROUP BY p.kind",
        )
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.text("k")?, r.int("n")?)))
            .collect()
    }

    /// Stops of completed jobs departing in `[from, until)`.
    pub async fn day_completed_stops(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<StopFact>> {
        let rows = sqlx::query(
            "SELECT s.job_id, s.id, s.status FROM job_stops s JOIN jobs j ON j.id = s.job_id \
             WHERE j.status = 'completed' AND j.departure >= $1 AND j.departure < $2 \
             ORDER BY s.job_id, s.position",
        )
        .bind(ts(from))
        .bind(ts(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StopFact {
                    job_id: r.text("job_id")?,
                    stop_id: r.text("id")?,
                    status: r.text("status")?,
                })
            })
            .collect()
    }
}
