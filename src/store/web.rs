//! Staff web sessions (stored by the hash of their id), login failure counts for lockout, and
//! the read models behind the dashboard: the day's deliveries in one query, and a cheap marker
//! that changes whenever an order or alert does (for live updates).
//!
//! Must not depend on `api`, `dispatch` or `web`.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Result, RowExt, Store, opt_location, parse_col, parse_ts, ts};
use crate::domain::records::User;
use crate::domain::{LatLon, OrderId, OrderKind, OrderStatus, SiteId, UserId};

/// Failed logins recorded for one login name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailures {
    /// Consecutive failures since the last success.
    pub failures: i64,
    /// Refuse every attempt until then.
    pub locked_until: Option<DateTime<Utc>>,
}

/// One delivery of the day, with what staff need to see at a glance.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    /// The order.
    pub order_id: OrderId,
    /// Meal or medicine.
    pub kind: OrderKind,
    /// Order state.
    pub status: OrderStatus,
    /// Kitchen or pharmacy.
    pub site_id: SiteId,
    /// Its name.
    pub site_name: String,
    /// Recipient or patient.
    pub recipient_name: String,
    /// Village (from the recipient record; empty for walk-in patients).
    pub village: String,
    /// Meal name (`siang`, …) for meals.
    pub meal_name: Option<String>,
    /// Delivery window.
    pub window_start: DateTime<Utc>,
    /// Delivery window end.
    pub window_end: DateTime<Utc>,
    /// Planned arrival of the live stop, when planned.
    pub eta: Option<DateTime<Utc>>,
    /// The live stop's state (`pending`, `delivered`, `failed`, …).
    pub stop_status: Option<String>,
    /// Why the stop failed, when it did.
    pub fail_reason: Option<String>,
    /// Partner holding the job.
    pub partner_name: Option<String>,
    /// Courier details as the partner sent them (JSON text).
    pub courier: Option<String>,
    /// Drop location, when known (the map draws it).
    pub location: Option<LatLon>,
    /// The job of the live stop, when planned.
    pub job_id: Option<uuid::Uuid>,
    /// The courier brought yesterday's tin back at this stop.
    pub tin_returned: bool,
    /// What the courier wrote at this stop, if anything.
    pub courier_note: Option<String>,
}

/// Filters for [`Store::day_deliveries`].
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Window starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Window starting before.
    pub until: Option<DateTime<Utc>>,
    /// Only this site.
    pub site: Option<SiteId>,
    /// Only this kind.
    pub kind: Option<OrderKind>,
    /// Only this order state.
    pub status: Option<OrderStatus>,
    /// Only this village (exact name).
    pub village: Option<String>,
    /// Page size.
    pub limit: i64,
}

fn delivery_from_row(r: &AnyRow) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        order_id: parse_col("id", &r.text("id")?)?,
        kind: parse_col("kind", &r.text("kind")?)?,
        status: parse_col("status", &r.text("status")?)?,
        site_id: parse_col("site_id", &r.text("site_id")?)?,
        site_name: r.text("site_name")?,
        recipient_name: r.text("recipient_name")?,
        village: r.opt_text("village")?.unwrap_or_default(),
        meal_name: r.opt_text("meal_name")?,
        window_start: parse_ts("window_start", &r.text("window_start")?)?,
        window_end: parse_ts("window_end", &r.text("window_end")?)?,
        eta: r
            .opt_text("eta")?
            .map(|s| parse_ts("eta", &s))
            .transpose()?,
        stop_status: r.opt_text("stop_status")?,
        fail_reason: r.opt_text("fail_reason")?,
        partner_name: r.opt_text("partner_name")?,
        courier: r.opt_text("courier")?,
        location: opt_location(r.opt_float("lat")?, r.opt_float("lon")?)?,
        job_id: r
            .opt_text("job_id")?
            .map(|s| parse_col("job_id", &s))
            .transpose()?,
        tin_returned: r.opt_text("tin_returned_at")?.is_some(),
        courier_note: r.opt_text("stop_note")?.filter(|n| !n.trim().is_empty()),
    })
}

impl Store {
    /// Store a new session (by the hash of its id).
    pub async fn insert_web_session(
        &self,
        id_hash: &str,
        user: UserId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // Expired sessions are swept on every login: no timer needed.
        sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id_hash)
        .bind(user.to_string())
        .bind(ts(now))
        .bind(ts(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The active user of a session that has not expired.
    pub async fn web_session_user(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.login, u.role, u.site_id, u.partner_id, u.active, u.created_at \
             FROM web_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1",
        )
        .bind(id_hash)
        .bind(ts(now))
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| super::access::user_from_row(&r)).transpose()
    }

    /// End a session.
    pub async fn delete_web_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Failures recorded for a login name.
    pub async fn login_failures(&self, login: &str) -> Result<Option<LoginFailures>> {
        let row = sqlx::query("SELECT failures, locked_until FROM login_failures WHERE login = $1")
            .bind(login)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| {
            Ok(LoginFailures {
                failures: r.int("failures")?,
                locked_until: r
                    .opt_text("locked_until")?
                    .map(|s| parse_ts("locked_until", &s))
                    .transpose()?,
            })
        })
        .transpose()
    }

    /// Record the failure count and lock after a failed login.
    pub async fn set_login_failures(
        &self,
        login: &str,
        f: &LoginFailures,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_failures (login, failures, last_failure_at, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (login) DO UPDATE SET failures = $2, last_failure_at = $3, locked_until = $4",
        )
        .bind(login)
        .bind(f.failures)
        .bind(ts(now))
        .bind(f.locked_until.map(ts))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Forget failures after a successful login.
    pub async fn clear_login_failures(&self, login: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE login = $1")
            .bind(login)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Deliveries with their site, village, live stop, partner and courier: one query, ordered
    /// by window start. The live stop of an order is its most recently changed stop that was
    /// not removed from its job; its courier is the driver a booking company named for that
    /// stop, else the job's courier.
    pub async fn day_deliveries(&self, f: &DeliveryFilter) -> Result<Vec<DeliveryRow>> {
        let sql = "SELECT o.id, o.kind, o.status, o.site_id, si.name AS site_name, o.recipient_name, \
             r.village, o.meal_name, o.window_start, o.window_end, st.eta, st.status AS stop_status, \
             st.fail_reason, p.name AS partner_name, \
             COALESCE((SELECT b.driver FROM bookings b WHERE b.stop_id = st.id AND b.driver IS NOT NULL \
                 ORDER BY b.created_at DESC LIMIT 1), j.courier) AS courier, o.lat, o.lon, st.job_id, \
             st.tin_returned_at, st.note AS stop_note \
             FROM orders o \
             JOIN sites si ON si.id = o.site_id \
             LEFT JOIN recipients r ON r.id = o.recipient_id \
             LEFT JOIN job_stops st ON st.id = (SELECT s2.id FROM job_stops s2 WHERE s2.order_id = o.id \
                 AND s2.status <> 'removed' ORDER BY s2.updated_at DESC, s2.id LIMIT 1) \
             LEFT JOIN jobs j ON j.id = st.job_id \
             LEFT JOIN partners p ON p.id = j.partner_id \
             WHERE ($1 IS NULL OR o.window_start >= $1) AND ($2 IS NULL OR o.window_start < $2) \
             AND ($3 IS NULL OR o.site_id = $3) AND ($4 IS NULL OR o.kind = $4) \
             AND ($5 IS NULL OR o.status = $5) AND ($6 IS NULL OR r.village = $6) \
             ORDER BY o.window_start, o.id LIMIT $7";
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(f.from.map(ts))
            .bind(f.until.map(ts))
            .bind(f.site.map(|s| s.to_string()))
            .bind(f.kind.map(|k| k.as_str()))
            .bind(f.status.map(|s| s.as_str()))
            .bind(f.village.clone())
            .bind(f.limit.clamp(1, 5000))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// A value that changes whenever an order, stop or alert changes: live pages compare it.
    pub async fn change_marker(&self) -> Result<String> {
        let r = sqlx::query(
            "SELECT (SELECT MAX(updated_at) FROM orders) AS o, (SELECT COUNT(*) FROM orders) AS n, \
             (SELECT MAX(updated_at) FROM job_stops) AS s, \
             (SELECT MAX(COALESCE(closed_at, acknowledged_at, raised_at)) FROM alerts) AS a, \
             (SELECT COUNT(*) FROM alerts WHERE status <> 'closed') AS na",
        )
        .fetch_one(self.reader())
        .await?;
        let o: Option<String> = r.try_get("o")?;
        let s: Option<String> = r.try_get("s")?;
        let a: Option<String> = r.try_get("a")?;
        Ok(format!(
            "{}|{}|{}|{}|{}",
            o.unwrap_or_default(),
            r.int("n")?,
            s.unwrap_or_default(),
            a.unwrap_or_default(),
            r.int("na")?
        ))
    }
}
