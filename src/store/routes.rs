//! Standing meal routes: each kitchen's routes kept from one day to the next (recipients in
//! visiting order), and whether staff sealed one.
//!
//! Must not depend on `api` or `dispatch`.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe};
use uuid::Uuid;

use super::{CHUNK, Result, RowExt, Store, parse_col, parse_ts, placeholders, ts, value_rows};
use crate::domain::{RecipientId, SiteId};

/// One standing route.
#[derive(Debug, Clone, PartialEq)]
pub struct StandingRoute {
    /// Id.
    pub id: Uuid,
    /// The kitchen (or other pickup site) it leaves from.
    pub site_id: SiteId,
    /// A name staff recognise ("Rute 3").
    pub name: String,
    /// Sealed by staff: kept exactly, nothing added, removed or moved.
    pub sealed: bool,
    /// Who sealed it.
    pub sealed_by: Option<String>,
    /// Recipients in visiting order.
    pub recipients: Vec<RecipientId>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The standing routes of a site, by name, with their recipients in order.
pub async fn standing_routes_in(
    conn: &mut AnyConnection,
    site: SiteId,
) -> Result<Vec<StandingRoute>> {
    let rows = sqlx::query(
        "SELECT r.id, r.site_id, r.name, r.sealed, r.sealed_by, r.updated_at, s.recipient_id \
         FROM standing_routes r LEFT JOIN standing_route_stops s ON s.route_id = r.id \
         WHERE r.site_id = $1 ORDER BY r.name, r.id, s.position",
    )
    .bind(site.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<StandingRoute> = Vec::new();
    for r in rows {
        let id: Uuid = parse_col("id", &r.text("id")?)?;
        if out.last().is_none_or(|l| l.id != id) {
            out.push(StandingRoute {
                id,
                site_id: parse_col("site_id", &r.text("site_id")?)?,
                name: r.text("name")?,
                sealed: r.int("sealed")? != 0,
                sealed_by: r.opt_text("sealed_by")?,
                recipients: Vec::new(),
                updated_at: parse_ts("updated_at", &r.text("updated_at")?)?,
            });
        }
        if let Some(rid) = r.opt_text("recipient_id")? {
            let last = out.last_mut().expect("pushed above");
            last.recipients.push(parse_col("recipient_id", &rid)?);
        }
    }
    Ok(out)
}

/// Store a standing route as given (header and stops), replacing what was stored under its id.
/// A route without recipients is deleted. The caller takes the route's recipients off every
/// other route first ([`remove_recipients`]): a recipient rides one standing route.
pub async fn save_standing_route(conn: &mut AnyConnection, r: &StandingRoute) -> Result<()> {
    sqlx::query("DELETE FROM standing_route_stops WHERE route_id = $1")
        .bind(r.id.to_string())
        .execute(&mut *conn)
        .await?;
    if r.recipients.is_empty() {
        sqlx::query("DELETE FROM standing_routes WHERE id = $1")
            .bind(r.id.to_string())
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    let updated = sqlx::query(
        "UPDATE standing_routes SET name = $2, sealed = $3, sealed_by = $4, updated_at = $5 \
         WHERE id = $1",
    )
    .bind(r.id.to_string())
    .bind(&r.name)
    .bind(i64::from(r.sealed))
    .bind(r.sealed_by.clone())
    .bind(ts(r.updated_at))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO standing_routes (id, site_id, name, sealed, sealed_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.id.to_string())
        .bind(r.site_id.to_string())
        .bind(&r.name)
        .bind(i64::from(r.sealed))
        .bind(r.sealed_by.clone())
        .bind(ts(r.updated_at))
        .execute(&mut *conn)
        .await?;
    }
    // Three bind parameters a row, in statements well below the parameter limits.
    for (c, chunk) in r.recipients.chunks(CHUNK / 3).enumerate() {
        let sql = format!(
            "INSERT INTO standing_route_stops (route_id, position, recipient_id) VALUES {}",
            value_rows(chunk.len(), 3)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (i, rid) in chunk.iter().enumerate() {
            q = q
                .bind(r.id.to_string())
                .bind((c * (CHUNK / 3) + i) as i64)
                .bind(rid.to_string());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Take recipients off whatever standing route they are on.
pub async fn remove_recipients(conn: &mut AnyConnection, ids: &[RecipientId]) -> Result<()> {
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "DELETE FROM standing_route_stops WHERE recipient_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.to_string());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// One standing route by id.
pub async fn standing_route_in(conn: &mut AnyConnection, id: Uuid) -> Result<StandingRoute> {
    let site: String = sqlx::query("SELECT site_id FROM standing_routes WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *conn)
        .await?
        .text("site_id")?;
    let site: SiteId = parse_col("site_id", &site)?;
    standing_routes_in(conn, site)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(super::StoreError::NotFound)
}

impl Store {
    /// The standing routes of a site.
    pub async fn standing_routes(&self, site: SiteId) -> Result<Vec<StandingRoute>> {
        let mut conn = self.reader().acquire().await?;
        standing_routes_in(&mut conn, site).await
    }
}
