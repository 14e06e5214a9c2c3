//! Recipients: the people antar delivers to.
//!
//! Must not depend on `api` or `dispatch`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::sites::parse_col_phone;
use super::{Result, RowExt, Store, StoreError, now, opt_f64, opt_location, parse_col, ts};
use crate::domain::RecipientId;
use crate::domain::records::Recipient;

const COLUMNS: &str = "id, name, phone, address, landmark, lat, lon, location_source, village, kecamatan, notes, \
     village_code, nik_last4, medical_record_no, location_precision_m";

pub(crate) fn recipient_from_row(r: &AnyRow) -> Result<Recipient> {
    Ok(Recipient {
        id: parse_col("id", &r.text("id")?)?,
        name: r.text("name")?,
        phone: r
            .opt_text("phone")?
            .map(|p| parse_col_phone(&p))
            .transpose()?,
        address: r.text("address")?,
        landmark: r.text("landmark")?,
        location: opt_location(r.opt_float("lat")?, r.opt_float("lon")?)?,
        location_source: r.opt_text("location_source")?,
        location_precision_m: r.opt_float("location_precision_m")?,
        village: r.text("village")?,
        kecamatan: r.text("kecamatan")?,
        notes: r.text("notes")?,
        village_code: r
            .opt_text("village_code")?
            .map(|c| parse_col("village_code", &c))
            .transpose()?,
        nik_last4: r.opt_text("nik_last4")?,
        medical_record_no: r.opt_text("medical_record_no")?,
    })
}

/// Insert or replace a recipient (by id).
pub async fn upsert_recipient(conn: &mut AnyConnection, r: &Recipient, insert: bool) -> Result<()> {
    let at = ts(now());
    let sql = if insert {
        "INSERT INTO recipients (name, phone, address, landmark, lat, lon, location_source, village, kecamatan, notes, \
         updated_at, id, created_at, location_precision_m) VALUES ($1, $2, $3, $4, CAST($5 AS DOUBLE PRECISION), CAST($6 AS DOUBLE PRECISION), $7, $8, $9, $10, $11, $12, $11, \
         CAST($13 AS DOUBLE PRECISION))"
    } else {
        "UPDATE recipients SET name = $1, phone = $2, address = $3, landmark = $4, lat = CAST($5 AS DOUBLE PRECISION), lon = CAST($6 AS DOUBLE PRECISION), \
         location_source = $7, village = $8, kecamatan = $9, notes = $10, updated_at = $11, \
         location_precision_m = CAST($13 AS DOUBLE PRECISION) WHERE id = $12"
    };
    let done = sqlx::query(sql)
        .bind(&r.name)
        .bind(r.phone.as_ref().map(|p| p.as_str().to_owned()))
        .bind(&r.address)
        .bind(&r.landmark)
        .bind(opt_f64(r.location.map(|l| l.lat())))
        .bind(opt_f64(r.location.map(|l| l.lon())))
        .bind(r.location_source.as_deref())
        .bind(&r.village)
        .bind(&r.kecamatan)
        .bind(&r.notes)
        .bind(at)
        .bind(r.id.to_string())
        .bind(opt_f64(r.location.and(r.location_precision_m)))
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One recipient inside a transaction.
pub async fn recipient_in(conn: &mut AnyConnection, id: RecipientId) -> Result<Recipient> {
    let r = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM recipients WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    recipient_from_row(&r)
}

impl Store {
    /// One recipient.
    pub async fn recipient(&self, id: RecipientId) -> Result<Recipient> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM recipients WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_one(self.reader())
        .await?;
        recipient_from_row(&r)
    }

    /// Recipients whose name or village contains `q` (case-insensitive), or whose phone
    /// contains its digits (`0812…` is searched as `62812…`, as phones are stored), by name.
    pub async fn recipients(
        &self,
        q: Option<&str>,
        village: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Recipient>> {
        let pattern = q.map(|q| {
            format!(
                "%{}%",
                q.to_lowercase().replace('%', "\\%").replace('_', "\\_")
            )
        });
        let phone = q.and_then(phone_pattern);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM recipients \
             WHERE ($1 IS NULL OR LOWER(name) LIKE $1 ESCAPE '\\' OR LOWER(village) LIKE $1 ESCAPE '\\' \
                    OR ($5 IS NOT NULL AND phone LIKE $5)) \
             AND ($2 IS NULL OR LOWER(village) = LOWER($2)) \
             ORDER BY name, id LIMIT $3 OFFSET $4"
        )))
        .bind(pattern)
        .bind(village)
        .bind(limit)
        .bind(offset)
        .bind(phone)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(recipient_from_row).collect()
    }
}

/// A search text that is a phone number (or part of one: digits with `+`, `-`, spaces) as a
/// `LIKE` pattern over stored `+62…` phones; `None` for anything else or fewer than 4 digits.
fn phone_pattern(q: &str) -> Option<String> {
    let q = q.trim();
    if q.is_empty()
        || !q
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return None;
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let digits = match digits.strip_prefix('0') {
        Some(rest) => format!("62{rest}"),
        None => digits,
    };
    Some(format!("%{digits}%"))
}
