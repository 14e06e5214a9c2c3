//! Orders, their status history and the idempotency keys of order creation.
//!
//! Must not depend on `api` or `dispatch`. Status rules live in `domain::order`; this module only
//! applies a change that was already checked, and refuses it if the row moved meanwhile.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::opt_f64;
use super::sites::parse_col_phone;
use super::{
    CHUNK, Result, RowExt, Store, StoreError, now, opt_location, parse_col, parse_date, parse_ts,
    placeholders, ts,
};
use crate::domain::records::{Order, OrderEvent};
use crate::domain::time::TimeWindow;
use crate::domain::{OrderId, OrderKind, OrderStatus, SiteId};

const COLUMNS: &str = "id, kind, status, site_id, recipient_id, enrolment_id, meal_date, meal_name, recipient_name, \
    phone, address, landmark, lat, lon, location_source, window_start, window_end, service_s, meal_tins, parcels, \
    cold_slots, priority, cold_chain_max_minutes, controlled, clinical_notes, external_ref, medical_record_no, attempt, \
    created_by, created_at, updated_at, snap_distance_m, location_precision_m";

fn order_from_row(r: &AnyRow) -> Result<Order> {
    let window = TimeWindow::new(
        parse_ts("window_start", &r.text("window_start")?)?,
        parse_ts("window_end", &r.text("window_end")?)?,
    )
    .map_err(|e| StoreError::Corrupt {
        column: "window",
        reason: e.to_string(),
    })?;
    Ok(Order {
        id: parse_col("id", &r.text("id")?)?,
        kind: parse_col("kind", &r.text("kind")?)?,
        status: parse_col("status", &r.text("status")?)?,
        site_id: parse_col("site_id", &r.text("site_id")?)?,
        recipient_id: r
            .opt_text("recipient_id")?
            .map(|s| parse_col("recipient_id", &s))
            .transpose()?,
        enrolment_id: r
            .opt_text("enrolment_id")?
            .map(|s| parse_col("enrolment_id", &s))
            .transpose()?,
        meal_date: r
            .opt_text("meal_date")?
            .map(|s| parse_date("meal_date", &s))
            .transpose()?,
        meal_name: r.opt_text("meal_name")?,
        recipient_name: r.text("recipient_name")?,
        phone: r
            .opt_text("phone")?
            .map(|p| parse_col_phone(&p))
            .transpose()?,
        address: r.text("address")?,
        landmark: r.text("landmark")?,
        location: opt_location(r.opt_float("lat")?, r.opt_float("lon")?)?,
        location_source: r.opt_text("location_source")?,
        snap_distance_m: r.opt_float("snap_distance_m")?,
        location_precision_m: r.opt_float("location_precision_m")?,
        window,
        service_s: r.int("service_s")?,
        meal_tins: r.int("meal_tins")?,
        parcels: r.int("parcels")?,
        cold_slots: r.int("cold_slots")?,
        priority: parse_col("priority", &r.text("priority")?)?,
        cold_chain_max_minutes: r.opt_int("cold_chain_max_minutes")?,
        controlled: r.int("controlled")? != 0,
        clinical_notes: r.opt_text("clinical_notes")?,
        external_ref: r.opt_text("external_ref")?,
        medical_record_no: r.opt_text("medical_record_no")?,
        attempt: r.int("attempt")?,
        created_by: r.text("created_by")?,
        created_at: parse_ts("created_at", &r.text("created_at")?)?,
        updated_at: parse_ts("updated_at", &r.text("updated_at")?)?,
    })
}

/// How an insert went for orders that may already exist (meal generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// A new row.
    New,
    /// A row with the same natural key (enrolment, date, meal) was already there.
    Existing,
}

/// Insert an order and its first history event. With `skip_existing`, a clash on the meal key
/// (enrolment, date, meal) is not an error but [`Inserted::Existing`].
pub async fn insert_order(
    conn: &mut AnyConnection,
    o: &Order,
    pin_hash: Option<&str>,
    skip_existing: bool,
) -> Result<Inserted> {
    let conflict = if skip_existing {
        " ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    let done = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO orders ({COLUMNS}, pin_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CAST($13 AS DOUBLE PRECISION), CAST($14 AS DOUBLE PRECISION), \
         $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, CAST($32 AS DOUBLE PRECISION), CAST($33 AS DOUBLE PRECISION), $34){conflict}"
    )))
    .bind(o.id.to_string())
    .bind(o.kind.as_str())
    .bind(o.status.as_str())
    .bind(o.site_id.to_string())
    .bind(o.recipient_id.map(|r| r.to_string()))
    .bind(o.enrolment_id.map(|r| r.to_string()))
    .bind(o.meal_date.map(|d| d.to_string()))
    .bind(o.meal_name.as_deref())
    .bind(&o.recipient_name)
    .bind(o.phone.as_ref().map(|p| p.as_str().to_owned()))
    .bind(&o.address)
    .bind(&o.landmark)
    .bind(opt_f64(o.location.map(|l| l.lat())))
    .bind(opt_f64(o.location.map(|l| l.lon())))
    .bind(o.location_source.as_deref())
    .bind(ts(o.window.start()))
    .bind(ts(o.window.end()))
    .bind(o.service_s)
    .bind(o.meal_tins)
    .bind(o.parcels)
    .bind(o.cold_slots)
    .bind(o.priority.as_str())
    .bind(o.cold_chain_max_minutes)
    .bind(i64::from(o.controlled))
    .bind(o.clinical_notes.as_deref())
    .bind(o.external_ref.as_deref())
    .bind(o.medical_record_no.as_deref())
    .bind(o.attempt)
    .bind(&o.created_by)
    .bind(ts(o.created_at))
    .bind(ts(o.updated_at))
    .bind(opt_f64(o.snap_distance_m))
    .bind(opt_f64(o.location.and(o.location_precision_m)))
    .bind(pin_hash)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(Inserted::Existing);
    }
    insert_event(
        conn,
        o.id,
        None,
        o.status,
        "created",
        &o.created_by,
        o.created_at,
    )
    .await?;
    Ok(Inserted::New)
}

async fn insert_event(
    conn: &mut AnyConnection,
    id: OrderId,
    from: Option<OrderStatus>,
    to: OrderStatus,
    reason: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO order_events (order_id, from_status, to_status, reason, actor, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id.to_string())
        .bind(from.map(|s| s.as_str()))
        .bind(to.as_str())
        .bind(reason)
        .bind(actor)
        .bind(ts(at))
        .execute(conn)
        .await?;
    Ok(())
}

/// One order inside a transaction, optionally only if it belongs to `site`.
pub async fn order_in(
    conn: &mut AnyConnection,
    id: OrderId,
    site: Option<SiteId>,
) -> Result<Order> {
    let r = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM orders WHERE id = $1 AND ($2 IS NULL OR site_id = $2)"
    )))
    .bind(id.to_string())
    .bind(site.map(|s| s.to_string()))
    .fetch_one(conn)
    .await?;
    order_from_row(&r)
}

/// Many orders inside a transaction, in no particular order (missing ids are skipped).
pub async fn orders_in(conn: &mut AnyConnection, ids: &[OrderId]) -> Result<Vec<Order>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT {COLUMNS} FROM orders WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push(order_from_row(&r)?);
        }
    }
    Ok(out)
}

/// Move every order of `ids` that is still in `from` to `to` (checked against the domain rules
/// by the caller), with one history row each, in two statements per 500 orders. Returns the
/// orders moved; the others had changed meanwhile.
pub async fn set_status_many(
    conn: &mut AnyConnection,
    ids: &[OrderId],
    from: OrderStatus,
    to: OrderStatus,
    reason: &str,
    actor: &str,
) -> Result<Vec<OrderId>> {
    let at = ts(now());
    let mut moved = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "UPDATE orders SET status = $1, updated_at = $2 WHERE status = $3 AND id IN ({}) RETURNING id",
            placeholders(4, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(to.as_str())
            .bind(&at)
            .bind(from.as_str());
        for id in chunk {
            q = q.bind(id.to_string());
        }
        let rows = q.fetch_all(&mut *conn).await?;
        let got: Vec<OrderId> = rows
            .iter()
            .map(|r| parse_col("id", &r.text("id")?))
            .collect::<Result<_>>()?;
        if !got.is_empty() {
            let values = (0..got.len())
                .map(|i| format!("(${}, $1, $2, $3, $4, $5)", i + 6))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO order_events (order_id, from_status, to_status, reason, actor, at) VALUES {values}"
            );
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(reason)
                .bind(actor)
                .bind(&at);
            for id in &got {
                q = q.bind(id.to_string());
            }
            q.execute(&mut *conn).await?;
        }
        moved.extend(got);
    }
    Ok(moved)
}

/// Move an order from `from` to `to` (already checked against the domain rules). Fails with
/// `Conflict` when the stored status is no longer `from` (someone else moved it first).
pub async fn set_status(
    conn: &mut AnyConnection,
    id: OrderId,
    from: OrderStatus,
    to: OrderStatus,
    reason: &str,
    actor: &str,
) -> Result<()> {
    let at = now();
    let done =
        sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(to.as_str())
            .bind(ts(at))
            .bind(id.to_string())
            .bind(from.as_str())
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "order {id} is no longer {from}"
        )));
    }
    insert_event(conn, id, Some(from), to, reason, actor, at).await
}

/// The stored handover PIN MAC of a controlled order.
pub async fn pin_hash_in(conn: &mut AnyConnection, id: OrderId) -> Result<Option<String>> {
    let r = sqlx::query("SELECT pin_hash FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
    r.opt_text("pin_hash")
}

/// Start a new delivery attempt of an order (after a failed one came back).
pub async fn set_attempt(conn: &mut AnyConnection, id: OrderId, attempt: i64) -> Result<()> {
    sqlx::query("UPDATE orders SET attempt = $1 WHERE id = $2")
        .bind(attempt)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// The order created earlier under an idempotency key, with the hash of the request that created it.
pub async fn idempotent_order(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
) -> Result<Option<(String, OrderId)>> {
    let r = sqlx::query(
        "SELECT request_hash, order_id FROM idempotency_keys WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    r.map(|r| {
        Ok((
            r.text("request_hash")?,
            parse_col("order_id", &r.text("order_id")?)?,
        ))
    })
    .transpose()
}

/// Remember which order an idempotency key created.
pub async fn insert_idempotency(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    hash: &str,
    order: OrderId,
) -> Result<()> {
    sqlx::query("INSERT INTO idempotency_keys (scope, key, request_hash, order_id, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(scope)
        .bind(key)
        .bind(hash)
        .bind(order.to_string())
        .bind(ts(now()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Filters for listing orders.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this site (a pharmacist's scope).
    pub site: Option<SiteId>,
    /// Only this kind.
    pub kind: Option<OrderKind>,
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Window starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Window starting before.
    pub until: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

impl Store {
    /// One order, optionally only if it belongs to `site`.
    pub async fn order(&self, id: OrderId, site: Option<SiteId>) -> Result<Order> {
        let mut conn = self.reader().acquire().await?;
        order_in(&mut conn, id, site).await
    }

    /// Orders matching `f`, by window start then id.
    pub async fn orders(&self, f: &OrderFilter) -> Result<Vec<Order>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM orders WHERE ($1 IS NULL OR site_id = $1) AND ($2 IS NULL OR kind = $2) \
             AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR window_start >= $4) AND ($5 IS NULL OR window_start < $5) \
             ORDER BY window_start, id LIMIT $6 OFFSET $7"
        )))
        .bind(f.site.map(|s| s.to_string()))
        .bind(f.kind.map(|k| k.as_str()))
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.from.map(ts))
        .bind(f.until.map(ts))
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(order_from_row).collect()
    }

    /// An order's status history, oldest first.
    pub async fn order_events(&self, id: OrderId) -> Result<Vec<OrderEvent>> {
        let rows = sqlx::query("SELECT from_status, to_status, reason, actor, at FROM order_events WHERE order_id = $1 ORDER BY id")
            .bind(id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OrderEvent {
                    from: r
                        .opt_text("from_status")?
                        .map(|s| parse_col("from_status", &s))
                        .transpose()?,
                    to: parse_col("to_status", &r.text("to_status")?)?,
                    reason: r.text("reason")?,
                    actor: r.text("actor")?,
                    at: parse_ts("at", &r.text("at")?)?,
                })
            })
            .collect()
    }
}
