//! The outbox: outbound webhook events stored in the transaction that causes them, claimed by a
//! delivery worker, and marked with what happened.
//!
//! Claims are leases (`claimed_until`), so a worker that dies mid-delivery leaves the row to be
//! claimed again later: an event may be delivered twice, but always with the same `webhook-id`,
//! which partners use to ignore the duplicate. On PostgreSQL several `serve` instances claim with
//! `FOR UPDATE SKIP LOCKED` (the one PostgreSQL-only clause in the store); SQLite has one writer.
//! Events for the same partner and job are claimed one at a time, in order.
//! Must not depend on `api`, `dispatch` or `webhooks`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Backend, Result, RowExt, Store, parse_col, parse_ts, ts};
use crate::domain::PartnerId;

/// A new outbound event.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `webhook-id`: unique, the same on every retry.
    pub event_id: String,
    /// Receiver.
    pub partner_id: PartnerId,
    /// Ordering key: events of one job are delivered one after another.
    pub job_id: Option<String>,
    /// `type` of the body, for people reading the delivery log.
    pub event_type: String,
    /// Exact JSON body.
    pub body: String,
    /// Never deliver at or after this instant.
    pub deadline: Option<DateTime<Utc>>,
}

/// A claimed event with what is needed to deliver it.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Row id.
    pub id: i64,
    /// `webhook-id`.
    pub event_id: String,
    /// Receiver.
    pub partner_id: PartnerId,
    /// `type` of the body.
    pub event_type: String,
    /// Body.
    pub body: String,
    /// Deadline.
    pub deadline: Option<DateTime<Utc>>,
    /// Failed attempts so far.
    pub attempts: i64,
    /// The partner's URL.
    pub url: Option<String>,
    /// The partner's encrypted signing secrets (current, then previous during rotation).
    pub secrets_enc: Vec<String>,
}

/// What became of a delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Delivered.
    Delivered,
    /// Try again then.
    RetryAt(DateTime<Utc>),
    /// Permanently failed (the reason is kept).
    Failed(String),
    /// Not sent: its deadline passed.
    Dropped(String),
    /// The endpoint is gone (410): the partner is disabled.
    Disabled(String),
}

/// One row of a partner's delivery log.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `webhook-id`.
    pub event_id: String,
    /// `type`.
    pub event_type: String,
    /// `pending`, `delivered`, `failed` or `dropped`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Next attempt (pending rows).
    pub next_attempt_at: DateTime<Utc>,
    /// Last HTTP status.
    pub last_status: Option<i64>,
    /// Last error.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Store an event inside the caller's transaction.
pub async fn enqueue(conn: &mut AnyConnection, e: &NewEvent, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (event_id, partner_id, job_id, event_type, body, next_attempt_at, deadline, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6)",
    )
    .bind(&e.event_id)
    .bind(e.partner_id.to_string())
    .bind(e.job_id.as_deref())
    .bind(&e.event_type)
    .bind(&e.body)
    .bind(ts(now))
    .bind(e.deadline.map(ts))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Claim up to `limit` due events for `lease` (a worker that dies lets the lease run out).
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<Claimed>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE OF o SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut tx = self.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "UPDATE outbox SET claimed_until = $1 WHERE id IN (\
               SELECT o.id FROM outbox o \
               WHERE o.status = 'pending' AND o.next_attempt_at <= $2 \
                 AND (o.claimed_until IS NULL OR o.claimed_until < $2) \
                 AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.partner_id = o.partner_id AND e.job_id = o.job_id \
                                 AND e.id < o.id AND e.status = 'pending') \
                 AND EXISTS (SELECT 1 FROM partners p WHERE p.id = o.partner_id AND p.disabled_at IS NULL) \
               ORDER BY o.id LIMIT $3{lock}) \
             RETURNING id, event_id, partner_id, event_type, body, deadline, attempts"
        )))
        .bind(ts(now + lease))
        .bind(ts(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        // A batch usually goes to few partners: read each partner's endpoint once.
        let mut endpoints: HashMap<PartnerId, (Option<String>, Vec<String>)> = HashMap::new();
        for r in &rows {
            let partner_id: PartnerId = parse_col("partner_id", &r.text("partner_id")?)?;
            if let Entry::Vacant(slot) = endpoints.entry(partner_id) {
                let p = sqlx::query(
                    "SELECT webhook_url, outbound_secret, outbound_secret_previous FROM partners WHERE id = $1",
                )
                .bind(partner_id.to_string())
                .fetch_one(&mut *tx)
                .await?;
                let mut secrets_enc = vec![p.text("outbound_secret")?];
                secrets_enc.extend(p.opt_text("outbound_secret_previous")?);
                slot.insert((p.opt_text("webhook_url")?, secrets_enc));
            }
            let (url, secrets_enc) = endpoints[&partner_id].clone();
            out.push(Claimed {
                id: r.int("id")?,
                event_id: r.text("event_id")?,
                partner_id,
                event_type: r.text("event_type")?,
                body: r.text("body")?,
                deadline: r
                    .opt_text("deadline")?
                    .map(|d| parse_ts("deadline", &d))
                    .transpose()?,
                attempts: r.int("attempts")?,
                url,
                secrets_enc,
            });
        }
        out.sort_by_key(|c| c.id);
        tx.commit().await?;
        Ok(out)
    }

    /// Record the outcome of one attempt (`attempted`: whether a request was actually sent).
    pub async fn record_delivery(
        &self,
        c: &Claimed,
        outcome: &Outcome,
        attempted: bool,
        last_status: Option<u16>,
        last_error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let attempts = c.attempts + i64::from(attempted);
        let (status, next, error) = match outcome {
            Outcome::Delivered => ("delivered", now, last_error.map(str::to_owned)),
            Outcome::RetryAt(t) => ("pending", *t, last_error.map(str::to_owned)),
            Outcome::Failed(why) | Outcome::Disabled(why) => ("failed", now, Some(why.clone())),
            Outcome::Dropped(why) => ("dropped", now, Some(why.clone())),
        };
        let finished = (status != "pending").then(|| ts(now));
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_status = $4, last_error = $5, \
             finished_at = $6, claimed_until = NULL WHERE id = $7",
        )
        .bind(status)
        .bind(attempts)
        .bind(ts(next))
        .bind(last_status.map(i64::from))
        .bind(error)
        .bind(finished)
        .bind(c.id)
        .execute(&mut *tx)
        .await?;
        if let Outcome::Disabled(why) = outcome {
            sqlx::query("UPDATE partners SET disabled_at = $1, disabled_reason = $2 WHERE id = $3")
                .bind(ts(now))
                .bind(why)
                .bind(c.partner_id.to_string())
                .execute(&mut *tx)
                .await?;
            super::audit::record(
                &mut tx,
                "system:outbox",
                "disable",
                "partner",
                Some(&c.partner_id.to_string()),
                &serde_json::json!({ "reason": why }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A partner's delivery log, newest first.
    pub async fn deliveries(&self, partner: PartnerId, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT event_id, event_type, status, attempts, next_attempt_at, last_status, last_error, created_at \
             FROM outbox WHERE partner_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(partner.to_string())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    event_id: r.text("event_id")?,
                    event_type: r.text("event_type")?,
                    status: r.text("status")?,
                    attempts: r.int("attempts")?,
                    next_attempt_at: parse_ts("next_attempt_at", &r.text("next_attempt_at")?)?,
                    last_status: r.opt_int("last_status")?,
                    last_error: r.opt_text("last_error")?,
                    created_at: parse_ts("created_at", &r.text("created_at")?)?,
                })
            })
            .collect()
    }

    /// Why a partner is disabled, if it is.
    pub async fn partner_disabled(&self, partner: PartnerId) -> Result<Option<String>> {
        let r = sqlx::query("SELECT disabled_at, disabled_reason FROM partners WHERE id = $1")
            .bind(partner.to_string())
            .fetch_one(self.reader())
            .await?;
        Ok(r.opt_text("disabled_at")?.map(|_| {
            r.opt_text("disabled_reason")
                .ok()
                .flatten()
                .unwrap_or_default()
        }))
    }
}
