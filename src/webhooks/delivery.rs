//! One delivery attempt of one outbound event, from a claimed outbox row to the decision recorded
//! back: refuse if the deadline has passed, sign with the endpoint's current secrets, post, and
//! decide what happens next.
//!
//! Owns: [`Outgoing`], [`deliver`]. The outbox itself (claiming rows, per-job ordering, storing
//! the decision) belongs to `store`/`dispatch`; this is the part that needs no database, so it is
//! tested against a real HTTP server with an injected clock and RNG.

use chrono::{DateTime, Utc};
use rand::Rng;

use super::WebhookError;
use super::retry::{Decision, RetryPolicy, past_deadline};
use super::sender::{Attempt, Sender};
use super::signing::signature_header;

/// An event ready to go.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The partner's webhook URL.
    pub url: &'a str,
    /// `webhook-id`: the outbox row's id, the same on every retry (the partner's idempotency
    /// key).
    pub id: &'a str,
    /// The exact JSON bytes to sign and send (e.g. [`super::Envelope::to_body`]).
    pub body: &'a [u8],
    /// The instant past which the event must not be delivered (an offer's expiry).
    pub deadline: Option<DateTime<Utc>>,
    /// Failed attempts so far (0 for the first).
    pub failed_attempts: u32,
}

/// Attempt one delivery at `now` (the outbox's clock) and decide what comes next.
///
/// Returns the attempt (`None` when nothing was sent because the deadline had already passed)
/// and the decision. `webhook-timestamp` is `now`, as Standard Webhooks asks for the time of the
/// attempt, not of the event. The retry is scheduled from `now` (the attempt's start), which keeps
/// the decision a function of its inputs; the attempt's duration is at most the sender's timeout.
/// Errors only when the secrets are unusable or the id cannot be signed: configuration faults
/// that retrying cannot fix.
pub async fn deliver<R: Rng + ?Sized>(
    sender: &Sender,
    secrets: &[&str],
    outgoing: &Outgoing<'_>,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
    rng: &mut R,
) -> Result<(Option<Attempt>, Decision), WebhookError> {
    if let Some(deadline) = outgoing.deadline
        && past_deadline(now, deadline)
    {
        return Ok((None, Decision::DropExpired { deadline }));
    }
    let timestamp = now.timestamp();
    let header = signature_header(secrets, outgoing.id, timestamp, outgoing.body)?;
    let attempt = sender
        .send(outgoing.url, outgoing.body, outgoing.id, timestamp, &header)
        .await;
    let decision = policy.decide(
        &attempt,
        outgoing.failed_attempts + 1,
        now,
        outgoing.deadline,
        rng,
    );
    Ok((Some(attempt), decision))
}
