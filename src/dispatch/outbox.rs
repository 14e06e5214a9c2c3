//! Delivering the outbox: claim due events, sign and post them (Standard Webhooks), and record
//! what happened (delivered, retry later, dropped past its deadline, failed, endpoint disabled).
//! Also the "send a test webhook" action staff use to check a partner's endpoint.
//!
//! Time is a parameter ([`OutboxWorker::run_once`] takes `now`), so tests drive the schedule
//! without sleeping; [`OutboxWorker::run`] is the loop the service runs.
//! Must not depend on `api`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

use super::{Dispatch, DispatchError, Result, require};
use crate::domain::{PartnerId, Principal, Role};
use crate::store::outbox::{Claimed, NewEvent, Outcome, enqueue};
use crate::store::{self, audit, now};
use crate::webhooks::inbound::OfferReply;
use crate::webhooks::outbound::{Envelope, OutboundEvent};
use crate::webhooks::{Decision, Outgoing, RetryPolicy, Sender, deliver};

impl Dispatch {
    /// Queue a signed `webhook.test` event for a partner; returns its `webhook-id`.
    pub async fn send_test_webhook(&self, who: &Principal, partner: PartnerId) -> Result<String> {
        require(who, &[Role::Admin])?;
        let mut tx = self.store.begin().await?;
        let p = store::partners::partner_in(&mut tx, partner)
            .await
            .map_err(|_| DispatchError::NotFound("partner"))?;
        if p.webhook_url.is_none() {
            return Err(DispatchError::Conflict {
                code: "no_webhook_url",
                detail: "this partner has no webhook URL".into(),
            });
        }
        let at = now();
        let event_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
        let body = json!({
            "type": "webhook.test",
            "timestamp": at,
            "data": {"message": "Tes webhook dari antar / test webhook from antar", "partner_id": partner}
        });
        let event = NewEvent {
            event_id: event_id.clone(),
            partner_id: partner,
            job_id: None,
            event_type: "webhook.test".into(),
            body: body.to_string(),
            deadline: None,
        };
        enqueue(&mut tx, &event, at).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "test_webhook",
            "partner",
            Some(&partner.to_string()),
            &json!({"event_id": event_id}),
        )
        .await?;
        tx.commit().await?;
        self.outbox_notify.notify_one();
        Ok(event_id)
    }

    /// A partner's delivery log, and why its endpoint is disabled if it is.
    pub async fn deliveries(
        &self,
        who: &Principal,
        partner: PartnerId,
    ) -> Result<(Option<String>, Vec<store::outbox::Delivery>)> {
        require(who, &[Role::Admin])?;
        self.store
            .partner(partner)
            .await
            .map_err(|_| DispatchError::NotFound("partner"))?;
        let disabled = self.store.partner_disabled(partner).await?;
        Ok((disabled, self.store.deliveries(partner, 200).await?))
    }
}

/// Delivers the outbox.
pub struct OutboxWorker {
    dispatch: Dispatch,
    sender: Sender,
    policy: RetryPolicy,
    rng: StdRng,
    batch: i64,
}

impl OutboxWorker {
    /// A worker with the default retry policy and a 10 s request timeout.
    pub fn new(dispatch: Dispatch, seed: u64) -> Result<Self, crate::webhooks::WebhookError> {
        Ok(Self {
            dispatch,
            sender: Sender::new(Duration::from_secs(10))?,
            policy: RetryPolicy::default(),
            rng: StdRng::seed_from_u64(seed),
            batch: 32,
        })
    }

    /// Deliver every event due at `now`; returns how many were attempted or settled.
    pub async fn run_once(&mut self, now: DateTime<Utc>) -> Result<usize> {
        let store = self.dispatch.store.clone();
        let claimed = store
            .claim_due(now, chrono::Duration::seconds(60), self.batch)
            .await?;
        for c in &claimed {
            self.deliver_one(c, now).await?;
        }
        Ok(claimed.len())
    }

    async fn deliver_one(&mut self, c: &Claimed, now: DateTime<Utc>) -> Result<()> {
        let store = &self.dispatch.store;
        let secrets: std::result::Result<Vec<String>, _> = c
            .secrets_enc
            .iter()
            .map(|s| self.dispatch.secrets.open(s))
            .collect();
        let (Some(url), Ok(secrets)) = (c.url.as_deref(), secrets) else {
            let why = "the partner has no webhook URL or its secret cannot be decrypted";
            return Ok(store
                .record_delivery(c, &Outcome::Failed(why.into()), false, None, None, now)
                .await?);
        };
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let outgoing = Outgoing {
            url,
            id: &c.event_id,
            body: c.body.as_bytes(),
            deadline: c.deadline,
            failed_attempts: u32::try_from(c.attempts).unwrap_or(u32::MAX),
        };
        let (attempt, decision) = match deliver(
            &self.sender,
            &refs,
            &outgoing,
            &self.policy,
            now,
            &mut self.rng,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => {
                return Ok(store
                    .record_delivery(c, &Outcome::Failed(e.to_string()), false, None, None, now)
                    .await?);
            }
        };
        let outcome = match decision {
            Decision::Delivered => Outcome::Delivered,
            Decision::RetryAt(t) => Outcome::RetryAt(t),
            Decision::DisableEndpoint { reason } => Outcome::Disabled(reason),
            Decision::GiveUp { reason } => Outcome::Failed(reason),
            Decision::Exhausted { attempts, reason } => {
                Outcome::Failed(format!("gave up after {attempts} attempts: {reason}"))
            }
            Decision::DropExpired { deadline } => {
                Outcome::Dropped(format!("not delivered: its deadline {deadline} passed"))
            }
        };
        if let Outcome::Disabled(reason) = &outcome {
            tracing::warn!(partner = %c.partner_id, %reason, "partner endpoint disabled");
        }
        if outcome == Outcome::Delivered
            && let Some(a) = &attempt
        {
            self.apply_sync_reply(c, a.status, &a.body, now).await;
        }
        let status = attempt.as_ref().and_then(|a| a.status);
        let error = attempt.as_ref().and_then(|a| a.error.clone());
        store
            .record_delivery(
                c,
                &outcome,
                attempt.is_some(),
                status,
                error.as_deref(),
                now,
            )
            .await?;
        Ok(())
    }

    /// An offer answered in the response (`200 {"decision": …}`) is decided now; `202` or
    /// anything else means the partner answers later by callback.
    async fn apply_sync_reply(
        &self,
        c: &Claimed,
        status: Option<u16>,
        body: &[u8],
        now: DateTime<Utc>,
    ) {
        if c.event_type != "job.offered" && c.event_type != "job.updated" {
            return;
        }
        let Some(reply) = OfferReply::from_response(status, body) else {
            return;
        };
        let Ok(envelope) = serde_json::from_str::<Envelope>(&c.body) else {
            return;
        };
        let (job, offer) = match &envelope.event {
            OutboundEvent::JobOffered(e) => (e.job_id, e.offer_id),
            OutboundEvent::JobUpdated(e) => (e.job_id, e.offer_id),
            _ => return,
        };
        let (accept, reason) = match &reply {
            OfferReply::Accept => (true, None),
            OfferReply::Reject { reason } => (false, reason.as_deref()),
        };
        if let Err(e) = self
            .dispatch
            .apply_offer_reply(c.partner_id, job.0, offer.0, accept, reason, now)
            .await
        {
            tracing::warn!(partner = %c.partner_id, %job, error = %e, "offer answer not applied");
        }
    }

    /// Deliver until `shutdown` completes: wake on new events or once a second.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let notify = self.dispatch.outbox_notify.clone();
        loop {
            match self.run_once(crate::clock::now()).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox delivery failed; retrying"),
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = notify.notified() => {},
                () = tokio::time::sleep(crate::clock::real_duration(Duration::from_secs(1)).max(Duration::from_millis(20))) => {},
            }
        }
    }
}
