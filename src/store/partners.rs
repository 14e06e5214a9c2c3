//! Courier partners. Signing secrets arrive here already encrypted (see `crate::crypto`);
//! this module never sees them in clear.
//!
//! Must not depend on `api` or `dispatch`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Result, RowExt, Store, StoreError, json_col, now, parse_col, ts};
use crate::domain::PartnerId;
use crate::domain::records::Partner;

const PARTNER_COLUMNS: &str =
    "id, name, kind, webhook_url, capabilities, fare, rank, offer_timeout_s, service_area, active";

fn partner_from_row(r: &AnyRow) -> Result<Partner> {
    Ok(Partner {
        id: parse_col("id", &r.text("id")?)?,
        name: r.text("name")?,
        kind: parse_col("kind", &r.text("kind")?)?,
        webhook_url: r.opt_text("webhook_url")?,
        capabilities: json_col("capabilities", &r.text("capabilities")?)?,
        fare: json_col("fare", &r.text("fare")?)?,
        rank: r.int("rank")?,
        offer_timeout_s: r.int("offer_timeout_s")?,
        service_area: r
            .opt_text("service_area")?
            .map(|s| json_col("service_area", &s))
            .transpose()?,
        active: r.int("active")? != 0,
    })
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Insert a partner with its encrypted secrets.
pub async fn insert_partner(
    conn: &mut AnyConnection,
    p: &Partner,
    outbound_enc: &str,
    inbound_enc: &str,
) -> Result<()> {
    let at = ts(now());
    sqlx::query(
        "INSERT INTO partners (id, name, kind, webhook_url, capabilities, fare, rank, offer_timeout_s, service_area, \
         outbound_secret, inbound_secret, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
    )
    .bind(p.id.to_string())
    .bind(&p.name)
    .bind(p.kind.as_str())
    .bind(p.webhook_url.as_deref())
    .bind(json(&p.capabilities))
    .bind(json(&p.fare))
    .bind(p.rank)
    .bind(p.offer_timeout_s)
    .bind(p.service_area.as_ref().map(json))
    .bind(outbound_enc)
    .bind(inbound_enc)
    .bind(i64::from(p.active))
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replace a partner's settings (not its secrets).
pub async fn update_partner(conn: &mut AnyConnection, p: &Partner) -> Result<()> {
    let done = sqlx::query(
        "UPDATE partners SET name = $1, webhook_url = $2, capabilities = $3, fare = $4, rank = $5, \
         offer_timeout_s = $6, service_area = $7, active = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(&p.name)
    .bind(p.webhook_url.as_deref())
    .bind(json(&p.capabilities))
    .bind(json(&p.fare))
    .bind(p.rank)
    .bind(p.offer_timeout_s)
    .bind(p.service_area.as_ref().map(json))
    .bind(i64::from(p.active))
    .bind(ts(now()))
    .bind(p.id.to_string())
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One partner inside a transaction.
pub async fn partner_in(conn: &mut AnyConnection, id: PartnerId) -> Result<Partner> {
    let r = sqlx::query(AssertSqlSafe(format!(
        "SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    partner_from_row(&r)
}

/// Partners that can be offered work now (active, not disabled, and a webhook partner only
/// with a URL), by rank.
pub async fn offerable_partners_in(conn: &mut AnyConnection) -> Result<Vec<Partner>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {PARTNER_COLUMNS} FROM partners WHERE active = 1 AND disabled_at IS NULL \
         AND (webhook_url IS NOT NULL OR kind <> 'webhook') ORDER BY rank, name"
    )))
    .fetch_all(conn)
    .await?;
    rows.iter().map(partner_from_row).collect()
}

impl Store {
    /// One partner.
    pub async fn partner(&self, id: PartnerId) -> Result<Partner> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_one(self.reader())
        .await?;
        partner_from_row(&r)
    }

    /// Every partner by rank.
    pub async fn partners(&self) -> Result<Vec<Partner>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {PARTNER_COLUMNS} FROM partners ORDER BY rank, name"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(partner_from_row).collect()
    }
}

/// A partner's encrypted inbound signing secret (what it signs its callbacks with).
pub async fn inbound_secret_enc(store: &Store, id: PartnerId) -> Result<String> {
    let r = sqlx::query("SELECT inbound_secret FROM partners WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(store.reader())
        .await?;
    r.text("inbound_secret")
}

/// A partner's encrypted outbound secret (for a booking API partner, the key antar calls
/// its API with).
pub async fn outbound_secret_enc(store: &Store, id: PartnerId) -> Result<String> {
    let r = sqlx::query("SELECT outbound_secret FROM partners WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(store.reader())
        .await?;
    r.text("outbound_secret")
}
