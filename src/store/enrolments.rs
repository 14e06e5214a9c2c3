//! Meal enrolments and their pauses.
//!
//! Must not depend on `api` or `dispatch`.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Result, RowExt, Store, StoreError, json_col, now, parse_col, parse_date, ts};
use crate::domain::enrolment::Pause;
use crate::domain::records::Enrolment;
use crate::domain::{EnrolmentId, RecipientId, Weekdays};

const COLUMNS: &str =
    "id, recipient_id, kitchen_id, weekdays, meals, diet_notes, start_date, end_date, ended_reason";

fn enrolment_from_row(r: &AnyRow) -> Result<Enrolment> {
    Ok(Enrolment {
        id: parse_col("id", &r.text("id")?)?,
        recipient_id: parse_col("recipient_id", &r.text("recipient_id")?)?,
        kitchen_id: parse_col("kitchen_id", &r.text("kitchen_id")?)?,
        weekdays: Weekdays::from_bits(u8::try_from(r.int("weekdays")? & 0x7f).unwrap_or(0)),
        meals: json_col("meals", &r.text("meals")?)?,
        diet_notes: r.text("diet_notes")?,
        start_date: parse_date("start_date", &r.text("start_date")?)?,
        end_date: r
            .opt_text("end_date")?
            .map(|d| parse_date("end_date", &d))
            .transpose()?,
        ended_reason: r
            .opt_text("ended_reason")?
            .map(|s| parse_col("ended_reason", &s))
            .transpose()?,
        pauses: Vec::new(),
    })
}

fn pause_from_row(r: &AnyRow) -> Result<(EnrolmentId, Pause)> {
    Ok((
        parse_col("enrolment_id", &r.text("enrolment_id")?)?,
        Pause {
            from: parse_date("from_date", &r.text("from_date")?)?,
            until: r
                .opt_text("until_date")?
                .map(|d| parse_date("until_date", &d))
                .transpose()?,
            reason: parse_col("reason", &r.text("reason")?)?,
        },
    ))
}

/// Insert a new enrolment (without pauses).
pub async fn insert_enrolment(conn: &mut AnyConnection, e: &Enrolment) -> Result<()> {
    let at = ts(now());
    sqlx::query(
        "INSERT INTO enrolments (id, recipient_id, kitchen_id, weekdays, meals, diet_notes, start_date, end_date, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(e.id.to_string())
    .bind(e.recipient_id.to_string())
    .bind(e.kitchen_id.to_string())
    .bind(i64::from(e.weekdays.bits()))
    .bind(serde_json::to_string(&e.meals).unwrap_or_default())
    .bind(&e.diet_notes)
    .bind(e.start_date.to_string())
    .bind(e.end_date.map(|d| d.to_string()))
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replace an enrolment's schedule fields.
pub async fn update_enrolment(conn: &mut AnyConnection, e: &Enrolment) -> Result<()> {
    let done = sqlx::query(
        "UPDATE enrolments SET kitchen_id = $1, weekdays = $2, meals = $3, diet_notes = $4, start_date = $5, \
         end_date = $6, ended_reason = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(e.kitchen_id.to_string())
    .bind(i64::from(e.weekdays.bits()))
    .bind(serde_json::to_string(&e.meals).unwrap_or_default())
    .bind(&e.diet_notes)
    .bind(e.start_date.to_string())
    .bind(e.end_date.map(|d| d.to_string()))
    .bind(e.ended_reason.map(|r| r.as_str()))
    .bind(ts(now()))
    .bind(e.id.to_string())
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Add a pause.
pub async fn insert_pause(
    conn: &mut AnyConnection,
    id: EnrolmentId,
    p: &Pause,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO enrolment_pauses (id, enrolment_id, from_date, until_date, reason, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(id.to_string())
    .bind(p.from.to_string())
    .bind(p.until.map(|d| d.to_string()))
    .bind(p.reason.as_str())
    .bind(note)
    .bind(ts(now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Resume on `on`: every pause still open on that day ends the day before (a pause starting on or
/// after `on` is dropped). Returns how many pauses changed.
pub async fn resume(conn: &mut AnyConnection, id: EnrolmentId, on: NaiveDate) -> Result<u64> {
    let eid = id.to_string();
    let dropped =
        sqlx::query("DELETE FROM enrolment_pauses WHERE enrolment_id = $1 AND from_date >= $2")
            .bind(&eid)
            .bind(on.to_string())
            .execute(&mut *conn)
            .await?
            .rows_affected();
    let day_before = on.pred_opt().unwrap_or(on).to_string();
    let ended = sqlx::query(
        "UPDATE enrolment_pauses SET until_date = $1 WHERE enrolment_id = $2 AND from_date < $3 \
         AND (until_date IS NULL OR until_date >= $3)",
    )
    .bind(day_before)
    .bind(&eid)
    .bind(on.to_string())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(dropped + ended)
}

/// One enrolment with its pauses, inside a transaction.
pub async fn enrolment_in(conn: &mut AnyConnection, id: EnrolmentId) -> Result<Enrolment> {
    let r = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM enrolments WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let mut e = enrolment_from_row(&r)?;
    let rows = sqlx::query(
        "SELECT enrolment_id, from_date, until_date, reason FROM enrolment_pauses WHERE enrolment_id = $1 ORDER BY from_date",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await?;
    e.pauses = rows
        .iter()
        .map(|r| pause_from_row(r).map(|(_, p)| p))
        .collect::<Result<_>>()?;
    Ok(e)
}

/// Enrolments that may be due on `date` (started, not ended before it), with their pauses.
pub async fn enrolments_running_on(
    conn: &mut AnyConnection,
    date: NaiveDate,
) -> Result<Vec<Enrolment>> {
    let d = date.to_string();
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM enrolments WHERE start_date <= $1 AND (end_date IS NULL OR end_date >= $1) ORDER BY id"
    )))
    .bind(&d)
    .fetch_all(&mut *conn)
    .await?;
    let mut list: Vec<Enrolment> = rows.iter().map(enrolment_from_row).collect::<Result<_>>()?;
    let pauses = sqlx::query(
        "SELECT enrolment_id, from_date, until_date, reason FROM enrolment_pauses \
         WHERE from_date <= $1 AND (until_date IS NULL OR until_date >= $1)",
    )
    .bind(&d)
    .fetch_all(conn)
    .await?;
    attach_pauses(&mut list, &pauses)?;
    Ok(list)
}

/// Give each enrolment its pauses from `rows` (enrolment_id, from_date, until_date, reason).
fn attach_pauses(list: &mut [Enrolment], rows: &[AnyRow]) -> Result<()> {
    let mut by_id: HashMap<EnrolmentId, Vec<Pause>> = HashMap::new();
    for r in rows {
        let (id, p) = pause_from_row(r)?;
        by_id.entry(id).or_default().push(p);
    }
    for e in list {
        e.pauses = by_id.remove(&e.id).unwrap_or_default();
    }
    Ok(())
}

impl Store {
    /// One enrolment with its pauses.
    pub async fn enrolment(&self, id: EnrolmentId) -> Result<Enrolment> {
        let mut conn = self.reader().acquire().await?;
        enrolment_in(&mut conn, id).await
    }

    /// Enrolments, optionally of one recipient, with their pauses.
    pub async fn enrolments(
        &self,
        recipient: Option<RecipientId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Enrolment>> {
        let mut conn = self.reader().acquire().await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM enrolments WHERE ($1 IS NULL OR recipient_id = $1) ORDER BY id LIMIT $2 OFFSET $3"
        )))
        .bind(recipient.map(|r| r.to_string()))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
        let mut list: Vec<Enrolment> =
            rows.iter().map(enrolment_from_row).collect::<Result<_>>()?;
        // All their pauses in one query, with the same filter and page.
        let pauses = sqlx::query(
            "SELECT enrolment_id, from_date, until_date, reason FROM enrolment_pauses WHERE enrolment_id IN \
             (SELECT id FROM enrolments WHERE ($1 IS NULL OR recipient_id = $1) ORDER BY id LIMIT $2 OFFSET $3) \
             ORDER BY from_date",
        )
        .bind(recipient.map(|r| r.to_string()))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
        attach_pauses(&mut list, &pauses)?;
        Ok(list)
    }
}
