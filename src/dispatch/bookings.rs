//! The booking worker: bookings with booking-API partners, driven from their `bookings` rows
//! (a durable timer each). A new booking is quoted and booked; a booked one is polled every
//! [`POLL_S`] seconds, and what the company says becomes the same partner event a webhook
//! partner would send, applied through [`Dispatch::partner_event`] with a stable id per step
//! (`booking_{reference}_{step}`), so a repeated poll changes nothing twice:
//!
//! | company status | event |
//! |---|---|
//! | `driver_assigned` | `job.accepted`, then `courier.assigned` |
//! | `picked_up` | `job.picked_up` |
//! | `delivered` | `stop.delivered` (fare charged recorded) |
//! | `no_driver` | `job.rejected` with `no_driver_found`: failover to the next partner |
//! | `cancelled` | `job.rejected` before acceptance, else `stop.failed` |
//!
//! A booking whose offer lapsed or was withdrawn, or whose job was cancelled, is cancelled
//! with the company. Calls that fail for the network are retried with backoff; a refusal
//! (4xx) of the quote or booking declines the offer. The HTTP calls happen outside any
//! database transaction. Time is a parameter ([`BookingWorker::run_once`]).
//! Must not depend on `api`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::jobs::{live_stops, wire_stops};
use super::{Dispatch, DispatchError, Result};
use crate::domain::{JobStatus, OfferStatus, Phone};
use crate::store::{self, bookings::BookingRow};
use crate::webhooks::booking::{BookingClient, BookingError, Place, QuoteRequest};
use crate::webhooks::inbound::{
    CourierAssigned, FailReason, InboundEvent, JobAccepted, JobPickedUp, JobRejected, Proof,
    StopDelivered, StopFailed,
};
use crate::webhooks::outbound::{JobId, OfferId, StopId};

/// Seconds between two polls of a booking.
pub const POLL_S: i64 = 30;

/// Works through due bookings.
pub struct BookingWorker {
    dispatch: Dispatch,
    timeout: Duration,
}

impl BookingWorker {
    /// A worker whose calls give up after `timeout`.
    pub fn new(dispatch: Dispatch, timeout: Duration) -> Self {
        Self { dispatch, timeout }
    }

    /// Handle every booking due at `now`; returns how many were looked at.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<usize> {
        let due = self
            .dispatch
            .store
            .claim_due_bookings(now, chrono::Duration::seconds(60), 50)
            .await?;
        for b in &due {
            let mut b = b.clone();
            if let Err(e) = self.handle(&mut b, now).await {
                tracing::warn!(booking = %b.id, error = %e, "booking step failed; retrying later");
                b.last_error = Some(e.to_string());
                self.retry_later(&mut b, now);
            }
            let mut tx = self.dispatch.store.begin().await?;
            store::bookings::update_booking(&mut tx, &b, now).await?;
            tx.commit().await?;
        }
        if !due.is_empty() {
            self.dispatch.outbox_notify.notify_one();
        }
        Ok(due.len())
    }

    /// Run until `shutdown`, looking every few seconds (the service's loop).
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.run_once(crate::clock::now()).await {
                tracing::error!(error = %e, "booking worker failed; retrying");
            }
            let pause =
                crate::clock::real_duration(Duration::from_secs(5)).max(Duration::from_millis(50));
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {},
            }
        }
    }

    fn retry_later(&self, b: &mut BookingRow, now: DateTime<Utc>) {
        b.attempts += 1;
        let wait = (POLL_S << b.attempts.clamp(0, 5)).min(600);
        b.due_at = now + chrono::Duration::seconds(wait);
    }

    async fn client(&self, b: &BookingRow) -> Result<BookingClient> {
        let d = &self.dispatch;
        let partner = d.store.partner(b.partner_id).await?;
        let url = partner.webhook_url.ok_or_else(|| {
            DispatchError::Internal("a booking partner without an API URL".into())
        })?;
        let enc = store::partners::outbound_secret_enc(&d.store, b.partner_id).await?;
        let key = d
            .secrets
            .open(&enc)
            .map_err(|e| DispatchError::Internal(e.to_string()))?;
        BookingClient::new(&url, &key, self.timeout)
            .map_err(|e| DispatchError::Internal(e.to_string()))
    }

    /// Apply one step as a partner event; `Ok(false)` when the offer can no longer be taken.
    async fn apply(
        &self,
        b: &BookingRow,
        step: &str,
        event: InboundEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let id = format!("booking_{}_{step}", b.id.simple());
        let body = json!({"source": "booking_api", "reference": b.id, "booking_id": b.booking_ref,
                          "step": step, "status": b.last_status})
        .to_string();
        match self
            .dispatch
            .partner_event(b.partner_id, &id, &event, &body, now)
            .await
        {
            Ok(_) => Ok(true),
            Err(DispatchError::Conflict {
                code: "offer_expired" | "offer_rejected" | "not_your_job",
                ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn handle(&self, b: &mut BookingRow, now: DateTime<Utc>) -> Result<()> {
        let d = &self.dispatch;
        let (job, _) = d.store.job(b.job_id).await?;
        let offer = d
            .store
            .offers_of_job(b.job_id)
            .await?
            .into_iter()
            .find(|o| o.id == b.offer_id)
            .ok_or(DispatchError::NotFound("offer"))?;
        let ours = job.partner_id == Some(b.partner_id) && job.status != JobStatus::Cancelled;
        let live = match b.state.as_str() {
            "quote" | "searching" => ours && offer.status == OfferStatus::Pending,
            "active" => ours && (job.status.is_held() || job.status == JobStatus::Completed),
            _ => true,
        };
        if !live && b.state != "cancel" {
            b.state = if b.booking_ref.is_some() {
                "cancel".into()
            } else {
                "done".into()
            };
        }
        let client = self.client(b).await?;
        let job_id = JobId(b.job_id);
        let offer_id = OfferId(b.offer_id);
        match b.state.as_str() {
            "cancel" => {
                if let Some(r) = &b.booking_ref {
                    match client.cancel(r, &b.id.to_string()).await {
                        Ok(()) | Err(BookingError::Refused { .. }) => {}
                        Err(e) => return Err(DispatchError::Internal(e.to_string())),
                    }
                }
                b.state = "done".into();
            }
            "quote" => {
                let (site, drop) = {
                    let mut conn = d.store.reader().acquire().await?;
                    let site = store::sites::site_in(&mut conn, job.site_id).await?;
                    let stops = live_stops(&mut conn, job.id).await?;
                    let wire = wire_stops(&stops);
                    let drop = wire
                        .into_iter()
                        .find(|s| s.stop_id.0 == b.stop_id)
                        .ok_or(DispatchError::NotFound("stop"))?;
                    (site, drop)
                };
                let q = QuoteRequest {
                    reference: b.id.to_string(),
                    pickup: Place {
                        location: site.location,
                        address: site.address.clone(),
                        landmark: None,
                        contact_name: site.name.clone(),
                        contact_phone: site.phone.map(|p| p.to_string()),
                    },
                    drop: Place {
                        location: drop.location,
                        address: drop.address.clone(),
                        landmark: drop.landmark.clone(),
                        contact_name: drop.recipient_label.to_string(),
                        contact_phone: drop.contact_phone.map(|p| p.to_string()),
                    },
                    parcel_count: drop.parcel_count,
                    parcel_code: drop.parcel_code.as_str().to_owned(),
                };
                let booked = match client.quote(&q).await {
                    Ok(quote) => {
                        b.quote_ref = Some(quote.quote_id.clone());
                        b.fare_quoted_idr = Some(i64::from(quote.fare_idr));
                        client.book(&b.id.to_string(), &quote.quote_id).await
                    }
                    Err(e) => Err(e),
                };
                match booked {
                    Ok(r) => {
                        b.booking_ref = Some(r.booking_id);
                        b.state = "searching".into();
                        b.attempts = 0;
                        b.last_error = None;
                        b.due_at = now + chrono::Duration::seconds(POLL_S);
                    }
                    Err(BookingError::Refused { status, body }) => {
                        let reason = format!("booking refused ({status}): {body}");
                        self.apply(
                            b,
                            "rejected",
                            InboundEvent::JobRejected(JobRejected {
                                job_id,
                                offer_id,
                                occurred_at: now,
                                seq: 1,
                                reason,
                            }),
                            now,
                        )
                        .await?;
                        b.state = "done".into();
                    }
                    Err(e) => return Err(DispatchError::Internal(e.to_string())),
                }
            }
            "searching" | "active" => {
                let Some(r) = b.booking_ref.clone() else {
                    b.state = "done".into();
                    return Ok(());
                };
                let s = client
                    .status(&r)
                    .await
                    .map_err(|e| DispatchError::Internal(e.to_string()))?;
                b.last_status = Some(s.status.clone());
                b.attempts = 0;
                b.last_error = None;
                b.due_at = now + chrono::Duration::seconds(POLL_S);
                let accepted = b.state == "active";
                match s.status.as_str() {
                    "searching" => {}
                    "no_driver" | "cancelled" if !accepted => {
                        let reason = if s.status == "no_driver" {
                            "no_driver_found"
                        } else {
                            "cancelled_by_partner"
                        };
                        self.apply(
                            b,
                            "rejected",
                            InboundEvent::JobRejected(JobRejected {
                                job_id,
                                offer_id,
                                occurred_at: now,
                                seq: 1,
                                reason: reason.into(),
                            }),
                            now,
                        )
                        .await?;
                        b.state = "done".into();
                    }
                    "driver_assigned" | "picked_up" | "delivered" | "cancelled" => {
                        if !accepted {
                            let taken = self
                                .apply(
                                    b,
                                    "accepted",
                                    InboundEvent::JobAccepted(JobAccepted {
                                        job_id,
                                        offer_id,
                                        occurred_at: now,
                                        seq: 1,
                                    }),
                                    now,
                                )
                                .await?;
                            if !taken {
                                b.state = "cancel".into();
                                b.due_at = now;
                                return Ok(());
                            }
                            b.state = "active".into();
                        }
                        if let Some(driver) = &s.driver
                            && let Some(phone) =
                                driver.phone.as_deref().and_then(|p| Phone::parse(p).ok())
                        {
                            self.apply(
                                b,
                                "courier",
                                InboundEvent::CourierAssigned(CourierAssigned {
                                    job_id,
                                    occurred_at: now,
                                    seq: 2,
                                    name: driver.name.clone(),
                                    plate: driver.plate.clone(),
                                    phone,
                                }),
                                now,
                            )
                            .await?;
                        }
                        let stop_id = StopId(b.stop_id);
                        match s.status.as_str() {
                            "picked_up" => {
                                self.apply(
                                    b,
                                    "picked_up",
                                    InboundEvent::JobPickedUp(JobPickedUp {
                                        job_id,
                                        occurred_at: now,
                                        seq: 3,
                                    }),
                                    now,
                                )
                                .await?;
                            }
                            "delivered" => {
                                self.apply(
                                    b,
                                    "delivered",
                                    InboundEvent::StopDelivered(StopDelivered {
                                        job_id,
                                        occurred_at: now,
                                        seq: 4,
                                        stop_id,
                                        proof: Proof {
                                            pin: None,
                                            photo_url: None,
                                            recipient_name: Some(format!("booking {r}")),
                                        },
                                        // Booking fares are recorded on the booking itself.
                                        fare_idr: None,
                                        concern: None,
                                        note: None,
                                    }),
                                    now,
                                )
                                .await?;
                                b.fare_charged_idr =
                                    s.fare_idr.map(i64::from).or(b.fare_quoted_idr);
                                b.state = "done".into();
                            }
                            "cancelled" => {
                                self.apply(
                                    b,
                                    "failed",
                                    InboundEvent::StopFailed(StopFailed {
                                        job_id,
                                        occurred_at: now,
                                        seq: 4,
                                        stop_id,
                                        reason: FailReason::Other,
                                        note: Some(
                                            "the courier service cancelled the booking".into(),
                                        ),
                                    }),
                                    now,
                                )
                                .await?;
                                b.state = "done".into();
                            }
                            _ => {}
                        }
                    }
                    other => {
                        b.last_error = Some(format!("unknown booking status {other:?}"));
                    }
                }
            }
            _ => b.state = "done".into(),
        }
        Ok(())
    }
}
