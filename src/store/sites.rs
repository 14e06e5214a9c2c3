//! Sites (pharmacies, kitchens) and installation settings such as the service area.
//!
//! Must not depend on `api` or `dispatch`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Result, RowExt, Store, StoreError, json_col, now, parse_col, ts};
use crate::domain::records::Site;
use crate::domain::{LatLon, Phone, ServiceArea, SiteId};

const SITE_COLUMNS: &str =
    "id, kind, name, lat, lon, address, phone, time_zone, opening_hours, active";

fn site_from_row(r: &AnyRow) -> Result<Site> {
    Ok(Site {
        id: parse_col("id", &r.text("id")?)?,
        kind: parse_col("kind", &r.text("kind")?)?,
        name: r.text("name")?,
        location: LatLon::new(r.float("lat")?, r.float("lon")?).map_err(|e| {
            StoreError::Corrupt {
                column: "lat/lon",
                reason: e.to_string(),
            }
        })?,
        address: r.text("address")?,
        phone: r
            .opt_text("phone")?
            .map(|p| parse_col_phone(&p))
            .transpose()?,
        time_zone: parse_col("time_zone", &r.text("time_zone")?)?,
        opening_hours: json_col("opening_hours", &r.text("opening_hours")?)?,
        active: r.int("active")? != 0,
    })
}

pub(crate) fn parse_col_phone(s: &str) -> Result<Phone> {
    Phone::parse(s).map_err(|e| StoreError::Corrupt {
        column: "phone",
        reason: e.to_string(),
    })
}

/// Insert a new site.
pub async fn insert_site(conn: &mut AnyConnection, s: &Site) -> Result<()> {
    let at = ts(now());
    sqlx::query(
        "INSERT INTO sites (id, kind, name, lat, lon, address, phone, time_zone, opening_hours, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(s.id.to_string())
    .bind(s.kind.as_str())
    .bind(&s.name)
    .bind(s.location.lat())
    .bind(s.location.lon())
    .bind(&s.address)
    .bind(s.phone.as_ref().map(|p| p.as_str().to_owned()))
    .bind(s.time_zone.name())
    .bind(serde_json::to_string(&s.opening_hours).unwrap_or_else(|_| "[]".into()))
    .bind(i64::from(s.active))
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replace a site's fields (kind is fixed once created).
pub async fn update_site(conn: &mut AnyConnection, s: &Site) -> Result<()> {
    let done = sqlx::query(
        "UPDATE sites SET name = $1, lat = $2, lon = $3, address = $4, phone = $5, time_zone = $6, \
         opening_hours = $7, active = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(&s.name)
    .bind(s.location.lat())
    .bind(s.location.lon())
    .bind(&s.address)
    .bind(s.phone.as_ref().map(|p| p.as_str().to_owned()))
    .bind(s.time_zone.name())
    .bind(serde_json::to_string(&s.opening_hours).unwrap_or_else(|_| "[]".into()))
    .bind(i64::from(s.active))
    .bind(ts(now()))
    .bind(s.id.to_string())
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One site inside a transaction.
pub async fn site_in(conn: &mut AnyConnection, id: SiteId) -> Result<Site> {
    let r = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SITE_COLUMNS} FROM sites WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    site_from_row(&r)
}

/// The configured service area, read inside a transaction (a use case that holds a write
/// transaction must not wait for a second pool connection: on PostgreSQL both come from one pool).
pub async fn service_area_in(conn: &mut AnyConnection) -> Result<Option<ServiceArea>> {
    let r = sqlx::query("SELECT value FROM settings WHERE key = 'service_area'")
        .fetch_optional(conn)
        .await?;
    r.map(|r| json_col("settings.service_area", &r.text("value")?))
        .transpose()
}

/// Store a setting (JSON value) by key.
pub async fn put_setting(
    conn: &mut AnyConnection,
    key: &str,
    value: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value.to_string())
    .bind(ts(now()))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// One site.
    pub async fn site(&self, id: SiteId) -> Result<Site> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_one(self.reader())
        .await?;
        site_from_row(&r)
    }

    /// Every site, by kind then name.
    pub async fn sites(&self) -> Result<Vec<Site>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SITE_COLUMNS} FROM sites ORDER BY kind, name, id"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(site_from_row).collect()
    }

    /// The configured service area, if any.
    pub async fn service_area(&self) -> Result<Option<ServiceArea>> {
        let r = sqlx::query("SELECT value FROM settings WHERE key = 'service_area'")
            .fetch_optional(self.reader())
            .await?;
        r.map(|r| json_col("settings.service_area", &r.text("value")?))
            .transpose()
    }
}
