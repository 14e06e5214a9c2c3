//! Callbacks to antar: one [`InboundEvent`] per `POST {antar}/partner/v1/events`, with the
//! partner's bearer token, signed with its inbound secret, a fresh `webhook-id` per event kept on
//! retries, and the job's next `seq`.
//!
//! Retries network errors, 408, 429 and 5xx until antar takes the event, as a real partner does:
//! the backoff runs in real time (an outage is real even when the day is simulated), doubles from
//! [`SimConfig::retry_first`](super::SimConfig::retry_first) up to
//! [`SimConfig::retry_max`](super::SimConfig::retry_max), honours `Retry-After` (capped the same
//! way), and keeps the `webhook-id`, so antar recognises a retry of an event it already stored.
//! Only the job's cancellation or the simulator's shutdown ends the retries (counted as lost).
//! Because the job's events are posted one at a time, a later event waits behind the one being
//! retried: per-job order survives an outage. Any other 4xx (e.g. `409` for a late acceptance,
//! `422` for a wrong PIN) is recorded in the stats and dropped.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::{Job, Shared};
use crate::clock;
use crate::webhooks::inbound::InboundEvent;
use crate::webhooks::retry::parse_retry_after;
use crate::webhooks::sign;

/// What became of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Posted {
    /// antar answered 2xx.
    Taken,
    /// antar refused it with this status (not retried).
    Refused(u16),
    /// The job was cancelled, or the simulator stopped, before antar took it.
    Lost,
}

/// Post the job's next event, built by `make` from its `seq` and `occurred_at`. Events of one
/// job are posted one at a time, so they reach antar in `seq` order.
pub(super) async fn post(
    shared: &Shared,
    job: &Job,
    make: impl FnOnce(u64, DateTime<Utc>) -> InboundEvent,
) -> Posted {
    let mut seq = job.seq.lock().await;
    *seq += 1;
    let event = make(*seq, clock::now());
    let body = serde_json::to_vec(&event).expect("inbound events have string keys only");
    let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
    let kind = event.type_name();
    let mut cancel = job.cancel.subscribe();
    let first = shared.config.retry_first;
    let max = shared.config.retry_max.max(first);
    let mut backoff = first;

    for attempt in 0u64.. {
        let timestamp = clock::now().timestamp();
        let signature = match sign(
            shared.config.inbound_secret.expose_secret(),
            &id,
            timestamp,
            &body,
        ) {
            Ok(s) => s,
            Err(e) => {
                // The secret was validated at start; this cannot happen, but is not a panic.
                tracing::error!(error = %e, "cannot sign a callback");
                break;
            }
        };
        let sent = shared
            .client
            .post(&shared.events_url)
            .bearer_auth(shared.config.token.expose_secret())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.clone())
            .send()
            .await;
        let mut wait = backoff;
        backoff = backoff.saturating_mul(2).min(max);
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                if response.status().is_success() {
                    shared.stat(|s| s.events_posted += 1);
                    return Posted::Taken;
                }
                if !(status == 408 || status == 429 || status >= 500) {
                    let detail = response.text().await.unwrap_or_default();
                    let detail: String = detail.chars().take(300).collect();
                    tracing::warn!(%kind, job = %job.id, seq = *seq, status, %detail, "antar refused a callback");
                    shared.stat(|s| *s.events_refused.entry(status).or_default() += 1);
                    return Posted::Refused(status);
                }
                if let Some(after) = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()))
                {
                    wait = wait.max(after);
                }
                tracing::info!(%kind, job = %job.id, status, attempt, "callback not taken, retrying");
            }
            Err(e) => {
                tracing::info!(%kind, job = %job.id, error = %e, attempt, "callback failed, retrying");
            }
        }
        if *cancel.borrow_and_update() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait.min(max)) => {}
            _ = cancel.wait_for(|c| *c) => break,
        }
    }
    tracing::warn!(%kind, job = %job.id, seq = *seq, "callback given up: the job was cancelled or the simulator stopped");
    shared.stat(|s| s.events_lost += 1);
    Posted::Lost
}
