//! What to do after an outbound delivery attempt: classify its outcome, schedule the next try with
//! backoff and jitter, honour `Retry-After`, and never deliver an offer past its expiry.
//!
//! Owns: [`Outcome`], [`classify`], [`RetryPolicy`], [`Decision`], [`parse_retry_after`],
//! [`past_deadline`]. Pure: `now`, the deadline and the RNG are parameters, so the outbox worker
//! (and the tests) decide the same way every time for the same inputs.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;

use super::sender::Attempt;

/// The meaning of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer: the partner has the event.
    Delivered,
    /// A transient failure (network error, timeout, 408, 429, 5xx): try again later.
    Retry {
        /// What happened, for the outbox row and the dashboard.
        reason: String,
        /// How long the partner asked us to wait, if it did.
        retry_after: Option<Duration>,
    },
    /// `410 Gone`: the partner no longer wants our webhooks. Stop sending to this endpoint and
    /// alert staff; retrying would only hide the problem.
    DisableEndpoint {
        /// What happened.
        reason: String,
    },
    /// A permanent failure (other 4xx, 3xx): retrying cannot help. Recorded with its reason.
    GiveUp {
        /// What happened.
        reason: String,
    },
}

/// Classify an attempt by its status, or its network error when there was no response.
///
/// Redirects are not followed (the sender is built that way): a 3xx means the partner's URL must
/// be corrected by staff, which the Standard Webhooks guidance also recommends, so it gives up.
pub fn classify(attempt: &Attempt) -> Outcome {
    let Some(status) = attempt.status else {
        let reason = match &attempt.error {
            Some(e) => format!("network error: {e}"),
            None => "no response".to_owned(),
        };
        return Outcome::Retry {
            reason,
            retry_after: None,
        };
    };
    match status {
        200..=299 => Outcome::Delivered,
        408 | 429 | 500..=599 => Outcome::Retry {
            reason: format!("HTTP {status}"),
            retry_after: attempt.retry_after,
        },
        410 => Outcome::DisableEndpoint {
            reason: "HTTP 410 Gone: the partner endpoint asks to stop receiving webhooks"
                .to_owned(),
        },
        300..=399 => Outcome::GiveUp {
            reason: format!("HTTP {status}: redirects are not followed; update the partner URL"),
        },
        _ => Outcome::GiveUp {
            reason: format!("HTTP {status}: refused by the partner"),
        },
    }
}

/// Base delays after the 1st, 2nd, … failed attempt; hourly after the last entry. Short on
/// purpose: meals and medicine are same-day work, so a multi-day schedule would only deliver
/// stale events.
pub const SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(60 * 60),
];

/// How outbound delivery retries.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included. After that many failures the event is exhausted.
    pub max_attempts: u32,
    /// Relative jitter: each delay is scaled by a uniform factor in `1 ± jitter`, so partners
    /// recovering from an outage are not hit by every queued event in the same second.
    pub jitter: f64,
    /// The longest wait a `Retry-After` answer can impose.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Twelve attempts (the first plus eleven retries, about six hours), ±20 % jitter,
    /// `Retry-After` honoured up to one hour.
    fn default() -> Self {
        Self {
            max_attempts: 12,
            jitter: 0.2,
            max_retry_after: Duration::from_secs(60 * 60),
        }
    }
}

/// What the outbox does next with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Done: mark the event delivered.
    Delivered,
    /// Try again at this instant.
    RetryAt(DateTime<Utc>),
    /// Disable the endpoint and alert staff.
    DisableEndpoint {
        /// Why.
        reason: String,
    },
    /// Stop; the failure is permanent.
    GiveUp {
        /// Why.
        reason: String,
    },
    /// Stop; every allowed attempt failed.
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// Stop; the next attempt would land at or after the event's deadline (an offer's
    /// `offer_expires_at`). The caller records this and tells no one but staff: the offer simply
    /// goes to the next partner.
    DropExpired {
        /// The deadline that would be missed.
        deadline: DateTime<Utc>,
    },
}

/// Whether an attempt at `at` is too late for `deadline`. An offer is no longer valid at the very
/// instant it expires, so `at == deadline` is already too late.
pub fn past_deadline(at: DateTime<Utc>, deadline: DateTime<Utc>) -> bool {
    at >= deadline
}

impl RetryPolicy {
    /// The base delay (before jitter) after `failed_attempts` failures, or `None` when no attempt
    /// is left.
    pub fn base_delay(&self, failed_attempts: u32) -> Option<Duration> {
        if failed_attempts == 0 || failed_attempts >= self.max_attempts {
            return None;
        }
        let i = (failed_attempts - 1) as usize;
        Some(
            SCHEDULE
                .get(i)
                .copied()
                .unwrap_or(SCHEDULE[SCHEDULE.len() - 1]),
        )
    }

    /// The delay before the next attempt: the base delay with jitter, or the partner's
    /// `Retry-After` when that asks for longer (capped at [`RetryPolicy::max_retry_after`]).
    pub fn next_delay<R: Rng + ?Sized>(
        &self,
        failed_attempts: u32,
        retry_after: Option<Duration>,
        rng: &mut R,
    ) -> Option<Duration> {
        let base = self.base_delay(failed_attempts)?;
        let jitter = self.jitter.clamp(0.0, 1.0);
        let factor = if jitter > 0.0 {
            rng.random_range(1.0 - jitter..=1.0 + jitter)
        } else {
            1.0
        };
        let jittered = base.mul_f64(factor);
        let asked = retry_after.map(|d| d.min(self.max_retry_after));
        Some(match asked {
            Some(asked) if asked > jittered => asked,
            _ => jittered,
        })
    }

    /// Everything the outbox needs after an attempt: classify it, then schedule, stop or drop.
    ///
    /// `failed_attempts` counts this attempt if it failed (1 after the first failure). `deadline`
    /// is the instant past which the event is worthless (an offer's `offer_expires_at`).
    pub fn decide<R: Rng + ?Sized>(
        &self,
        attempt: &Attempt,
        failed_attempts: u32,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
        rng: &mut R,
    ) -> Decision {
        match classify(attempt) {
            Outcome::Delivered => Decision::Delivered,
            Outcome::DisableEndpoint { reason } => Decision::DisableEndpoint { reason },
            Outcome::GiveUp { reason } => Decision::GiveUp { reason },
            Outcome::Retry {
                reason,
                retry_after,
            } => {
                let Some(delay) = self.next_delay(failed_attempts, retry_after, rng) else {
                    return Decision::Exhausted {
                        attempts: failed_attempts,
                        reason,
                    };
                };
                // Delays are at most hours; a failed conversion would mean "never", which the
                // deadline check and the attempt cap treat as a stop.
                let at = TimeDelta::from_std(delay)
                    .ok()
                    .and_then(|d| now.checked_add_signed(d));
                match (at, deadline) {
                    (Some(at), Some(deadline)) if past_deadline(at, deadline) => {
                        Decision::DropExpired { deadline }
                    }
                    (None, Some(deadline)) => Decision::DropExpired { deadline },
                    (Some(at), _) => Decision::RetryAt(at),
                    (None, None) => Decision::Exhausted {
                        attempts: failed_attempts,
                        reason,
                    },
                }
            }
        }
    }
}

/// Parse a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date taken relative
/// to `now` (a date in the past means "now": zero). `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate rather than fail: the policy caps them anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_in_the_past_means_retry_now() {
        let now = httpdate::parse_http_date("Sun, 29 Nov 2026 10:00:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Sun, 29 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }
}
