//! Administrative areas (kabupaten, kecamatan, desa) keyed by Kemendagri code, and the
//! recipient columns that tie a person to them and recognise a person again on import
//! (national id MAC, medical record number, village code).
//!
//! Must not depend on `api` or `dispatch`.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{Result, RowExt, Store, StoreError, now, opt_f64, opt_location, parse_col, ts};
use crate::domain::RecipientId;
use crate::domain::area::{Area, AreaCode};

fn area_from_row(r: &AnyRow) -> Result<Area> {
    let code: AreaCode = parse_col("code", &r.text("code")?)?;
    Ok(Area {
        kind: parse_col("kind", &r.text("kind")?)?,
        name: r.text("name")?,
        parent_code: r
            .opt_text("parent_code")?
            .map(|p| parse_col("parent_code", &p))
            .transpose()?,
        centroid: opt_location(r.opt_float("lat")?, r.opt_float("lon")?)?,
        code,
    })
}

/// Insert an area or replace the one with the same code. Returns true when it was new.
pub async fn upsert_area(conn: &mut AnyConnection, a: &Area) -> Result<bool> {
    let existed = sqlx::query("SELECT code FROM areas WHERE code = $1")
        .bind(a.code.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    let at = ts(now());
    let sql = if existed {
        "UPDATE areas SET kind = $2, name = $3, parent_code = $4, lat = CAST($5 AS DOUBLE PRECISION), \
         lon = CAST($6 AS DOUBLE PRECISION), updated_at = $7 WHERE code = $1"
    } else {
        "INSERT INTO areas (code, kind, name, parent_code, lat, lon, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, CAST($5 AS DOUBLE PRECISION), CAST($6 AS DOUBLE PRECISION), $7, $7)"
    };
    sqlx::query(sql)
        .bind(a.code.as_str())
        .bind(a.kind.as_str())
        .bind(&a.name)
        .bind(a.parent_code.as_ref().map(|c| c.as_str().to_owned()))
        .bind(opt_f64(a.centroid.map(|l| l.lat())))
        .bind(opt_f64(a.centroid.map(|l| l.lon())))
        .bind(at)
        .execute(conn)
        .await?;
    Ok(!existed)
}

/// Every area, by code.
pub async fn areas_in(conn: &mut AnyConnection) -> Result<Vec<Area>> {
    let rows =
        sqlx::query("SELECT code, kind, name, parent_code, lat, lon FROM areas ORDER BY code")
            .fetch_all(conn)
            .await?;
    rows.iter().map(area_from_row).collect()
}

/// What an import needs to recognise a stored person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientKeys {
    /// Id.
    pub id: RecipientId,
    /// Name.
    pub name: String,
    /// Village as written.
    pub village: String,
    /// Village code.
    pub village_code: Option<String>,
    /// Keyed MAC of the national id.
    pub nik_mac: Option<String>,
    /// Last 4 digits of the national id.
    pub nik_last4: Option<String>,
    /// Medical record number.
    pub medical_record_no: Option<String>,
}

/// The matching keys of every recipient.
pub async fn recipient_keys_in(conn: &mut AnyConnection) -> Result<Vec<RecipientKeys>> {
    let rows = sqlx::query(
        "SELECT id, name, village, village_code, nik_mac, nik_last4, medical_record_no FROM recipients ORDER BY id",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RecipientKeys {
                id: parse_col("id", &r.text("id")?)?,
                name: r.text("name")?,
                village: r.text("village")?,
                village_code: r.opt_text("village_code")?,
                nik_mac: r.opt_text("nik_mac")?,
                nik_last4: r.opt_text("nik_last4")?,
                medical_record_no: r.opt_text("medical_record_no")?,
            })
        })
        .collect()
}

/// The identity columns a list sets on a recipient; `None` keeps what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Keyed MAC of the national id and its last 4 digits.
    pub nik: Option<(String, String)>,
    /// Medical record number.
    pub medical_record_no: Option<String>,
    /// Village code.
    pub village_code: Option<String>,
}

/// Set the identity columns that are given, keeping the others.
pub async fn set_identity(conn: &mut AnyConnection, id: RecipientId, i: &Identity) -> Result<()> {
    let (mac, last4) = i.nik.clone().unzip();
    let done = sqlx::query(
        "UPDATE recipients SET nik_mac = COALESCE($1, nik_mac), nik_last4 = COALESCE($2, nik_last4), \
         medical_record_no = COALESCE($3, medical_record_no), village_code = COALESCE($4, village_code) WHERE id = $5",
    )
    .bind(mac)
    .bind(last4)
    .bind(i.medical_record_no.clone())
    .bind(i.village_code.clone())
    .bind(id.to_string())
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Set (or clear) a recipient's village code.
pub async fn set_village_code(
    conn: &mut AnyConnection,
    id: RecipientId,
    code: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE recipients SET village_code = $1 WHERE id = $2")
        .bind(code)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Every area, by code.
    pub async fn areas(&self) -> Result<Vec<Area>> {
        let mut conn = self.reader().acquire().await?;
        areas_in(&mut conn).await
    }

    /// How many rows a table has (for reports and tests: `recipients`, `enrolments`, `areas`).
    pub async fn count(&self, table: Table) -> Result<i64> {
        let sql = match table {
            Table::Recipients => "SELECT COUNT(*) AS n FROM recipients",
            Table::Enrolments => "SELECT COUNT(*) AS n FROM enrolments",
            Table::Areas => "SELECT COUNT(*) AS n FROM areas",
        };
        let r = sqlx::query(sql).fetch_one(self.reader()).await?;
        r.int("n")
    }
}

/// Tables [`Store::count`] can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Recipients.
    Recipients,
    /// Meal enrolments.
    Enrolments,
    /// Administrative areas.
    Areas,
}
