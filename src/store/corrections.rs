//! Location corrections: a courier's position at a handover, far from the stored pin, proposed
//! to staff; nothing changes until a person accepts it.
//! Must not depend on `api` or `dispatch`.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{Result, RowExt, Store, opt_f64, opt_location, parse_col, parse_ts, ts};
use crate::domain::{LatLon, OrderId, RecipientId};

/// A proposed (or decided) correction.
#[derive(Debug, Clone)]
pub struct Correction {
    /// Id.
    pub id: Uuid,
    /// Whose home.
    pub recipient_id: RecipientId,
    /// The delivery where the courier stood.
    pub order_id: OrderId,
    /// The pin on record then.
    pub stored: Option<LatLon>,
    /// Where the courier handed over.
    pub proposed: LatLon,
    /// Metres between the two.
    pub distance_m: f64,
    /// `courier_gps`.
    pub source: String,
    /// `proposed`, `accepted`, `rejected`.
    pub status: String,
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
}

const COLS: &str = "id, recipient_id, order_id, stored_lat, stored_lon, proposed_lat, proposed_lon, distance_m, \
     source, status, proposed_at, decided_by, decided_at";

fn from_row(r: &AnyRow) -> Result<Correction> {
    Ok(Correction {
        id: parse_col("id", &r.text("id")?)?,
        recipient_id: parse_col("recipient_id", &r.text("recipient_id")?)?,
        order_id: parse_col("order_id", &r.text("order_id")?)?,
        stored: opt_location(r.opt_float("stored_lat")?, r.opt_float("stored_lon")?)?,
        proposed: opt_location(
            Some(r.float("proposed_lat")?),
            Some(r.float("proposed_lon")?),
        )?
        .ok_or(super::StoreError::NotFound)?,
        distance_m: r.float("distance_m")?,
        source: r.text("source")?,
        status: r.text("status")?,
        proposed_at: parse_ts("proposed_at", &r.text("proposed_at")?)?,
        decided_by: r.opt_text("decided_by")?,
        decided_at: r
            .opt_text("decided_at")?
            .map(|s| parse_ts("decided_at", &s))
            .transpose()?,
    })
}

/// Propose a correction unless one is already open for the recipient; true when stored.
pub async fn propose(conn: &mut AnyConnection, c: &Correction) -> Result<bool> {
    let open = sqlx::query(
        "SELECT 1 AS one FROM location_corrections WHERE recipient_id = $1 AND status = 'proposed'",
    )
    .bind(c.recipient_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    if open.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO location_corrections (id, recipient_id, order_id, stored_lat, stored_lon, proposed_lat, proposed_lon, \
         distance_m, source, status, proposed_at) VALUES ($1, $2, $3, CAST($4 AS DOUBLE PRECISION), CAST($5 AS DOUBLE PRECISION), \
         $6, $7, $8, $9, 'proposed', $10)",
    )
    .bind(c.id.to_string())
    .bind(c.recipient_id.to_string())
    .bind(c.order_id.to_string())
    .bind(opt_f64(c.stored.map(|p| p.lat())))
    .bind(opt_f64(c.stored.map(|p| p.lon())))
    .bind(c.proposed.lat())
    .bind(c.proposed.lon())
    .bind(c.distance_m)
    .bind(&c.source)
    .bind(ts(c.proposed_at))
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Read one inside a transaction.
pub async fn correction_in(conn: &mut AnyConnection, id: Uuid) -> Result<Correction> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM location_corrections WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    from_row(&r)
}

/// Record the decision; false when it was decided already.
pub async fn decide(
    conn: &mut AnyConnection,
    id: Uuid,
    status: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE location_corrections SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'proposed'",
    )
    .bind(status)
    .bind(by)
    .bind(ts(at))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Set a recipient's home to a confirmed position with its precision in metres.
pub async fn set_recipient_location(
    conn: &mut AnyConnection,
    id: RecipientId,
    p: LatLon,
    source: &str,
    precision_m: f64,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE recipients SET lat = $1, lon = $2, location_source = $3, updated_at = $4, \
         location_precision_m = CAST($6 AS DOUBLE PRECISION) WHERE id = $5",
    )
    .bind(p.lat())
    .bind(p.lon())
    .bind(source)
    .bind(ts(at))
    .bind(id.to_string())
    .bind(opt_f64(Some(precision_m)))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Corrections in a state, newest first.
    pub async fn corrections(&self, status: &str, limit: i64) -> Result<Vec<Correction>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM location_corrections WHERE status = $1 ORDER BY proposed_at DESC LIMIT $2"
        )))
        .bind(status)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }
}
