//! The append-only audit log: who did what, when. Writes go in the caller's transaction so a
//! change and its audit entry are stored together or not at all.
//!
//! Must not depend on `api` or `dispatch`.

use sqlx::AnyConnection;

use super::{Result, RowExt, Store, json_col, now, parse_ts, ts};
use crate::domain::records::AuditEntry;

fn entry_from_row(r: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.int("id")?,
        at: parse_ts("at", &r.text("at")?)?,
        actor: r.text("actor")?,
        action: r.text("action")?,
        entity: r.text("entity")?,
        entity_id: r.opt_text("entity_id")?,
        detail: json_col("detail", &r.text("detail")?)?,
    })
}

/// Append one entry inside an open transaction.
pub async fn record(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: Option<&str>,
    detail: &serde_json::Value,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(ts(now()))
        .bind(actor)
        .bind(action)
        .bind(entity)
        .bind(entity_id)
        .bind(detail.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Filters for [`Store::audit_search`].
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this actor (exact, e.g. `social_worker:sari`).
    pub actor: Option<String>,
    /// Only this action (`create`, `read`, `revoke`, …).
    pub action: Option<String>,
    /// At or after.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Before.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Entries before this sequence number (paging).
    pub before: Option<i64>,
    /// Page size.
    pub limit: i64,
}

impl Store {
    /// Audit entries, newest first, filtered by actor, action and time, before a sequence number.
    pub async fn audit_search(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, entity, entity_id, detail FROM audit_log \
             WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) \
             AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) AND ($5 IS NULL OR id < $5) \
             ORDER BY id DESC LIMIT $6",
        )
        .bind(f.actor.as_deref())
        .bind(f.action.as_deref())
        .bind(f.from.map(ts))
        .bind(f.until.map(ts))
        .bind(f.before)
        .bind(f.limit.clamp(1, 1000))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Record a read of patient data (its own small transaction).
    pub async fn audit_read(
        &self,
        actor: &str,
        entity: &str,
        entity_id: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        record(&mut tx, actor, "read", entity, entity_id, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Audit entries, newest first, optionally for one entity kind/id, before a sequence number.
    pub async fn audit_entries(
        &self,
        entity: Option<&str>,
        entity_id: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, entity, entity_id, detail FROM audit_log \
             WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) AND ($3 IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(entity)
        .bind(entity_id)
        .bind(before)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }
}
