//! The booking worker: bookings with booking-API partners, driven from their `bookings` rows
//! (a durable timer each). A new booking is quoted and booked [`BOOK_AHEAD`] before its job
//! departs (the company's driver sets off at once); a booked one is polled every
//! [`POLL_S`] seconds, and what the company says becomes the same partner event a webhook
//! partner would send, applied through [`Dispatch::partner_event`] with a stable id per step
//! (`booking_{reference}_{step}`), so a repeated poll changes nothing twice:
//!
//! | company status | event |
//! |---|---|
//! | `driver_assigned` | `job.accepted` (once every booking of the offer has a driver), then `courier.assigned` |
//! | `picked_up` | `job.picked_up` |
//! | `delivered` | `stop.delivered` (fare charged recorded) |
//! | `no_driver` | booked again (up to [`BOOKING_TRIES`] per stop), then `job.rejected` with `no_driver_found`: failover |
//! | `cancelled` | `job.rejected` before acceptance, else `stop.failed` |
//!
//! A job of several stops is booked as one booking per stop, all answering one offer and
//! tracked as one job: the offer's answer (`booking_{offer}_accepted` / `_rejected`) is keyed
//! by the offer, so it is applied once whichever booking gets there first. The offer is
//! accepted when every booking has a driver and rejected as soon as one has none; the other
//! bookings are then looked at at once and go on, or are called off.
//!
//! A booking whose offer lapsed or was withdrawn, or whose job was cancelled, is cancelled
//! with the company, and what the company charges for that (a fee once a driver was on the
//! way) is recorded as the booking's charge, so the month's invoice shows it. Calls that fail
//! for the network are retried with backoff; a refusal (4xx) of the quote or booking declines
//! the offer. With a public URL, bookings ask the company to post status changes to
//! `/partner/v1/bookings/{partner}/callback`; a checked callback only makes its booking due
//! now (the status is read back with our key), so a callback is never trusted for more than
//! a hurry. The HTTP calls happen outside any database transaction. Time is a parameter
//! ([`BookingWorker::run_once`]).
//! Must not depend on `api`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::jobs::{live_stops, wire_stops};
use super::{Dispatch, DispatchError, Result};
use crate::domain::{JobStatus, OfferStatus, PartnerId, PartnerKind, Phone};
use crate::store::{self, bookings::BookingRow};
use crate::webhooks::booking::{
    BookingClient, BookingError, BookingStatus, CallbackRef, Place, QuoteRequest,
};
use crate::webhooks::inbound::{
    CourierAssigned, FailReason, InboundEvent, JobAccepted, JobPickedUp, JobRejected, Proof,
    StopDelivered, StopFailed,
};
use crate::webhooks::outbound::{JobId, OfferId, StopId};

/// Seconds between two polls of a booking.
pub const POLL_S: i64 = 30;

/// Bookings per stop before a job is turned down for want of a driver.
pub const BOOKING_TRIES: usize = 3;

/// How long before a job's departure its bookings are placed: the time the planner allows any
/// partner to get a courier to the site. A booking API has no pickup time and its driver sets
/// off when booked, so booking earlier would bring the parcels early (meals before their
/// window, medicine before the pharmacy has it ready).
pub const BOOK_AHEAD: chrono::Duration = super::planning::LEAD_TIME;

/// When a job departing at `departure` is booked, offered at `now`: [`BOOK_AHEAD`] before it
/// leaves, or now when that has passed. The offer waits for the company's answer from then.
pub fn book_at(departure: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    (departure - BOOK_AHEAD).max(now)
}

/// Works through due bookings.
pub struct BookingWorker {
    dispatch: Dispatch,
    timeout: Duration,
    callback_base: Option<String>,
    notify: Arc<tokio::sync::Notify>,
}

impl BookingWorker {
    /// A worker whose calls give up after `timeout`.
    pub fn new(dispatch: Dispatch, timeout: Duration) -> Self {
        let notify = dispatch.booking_notify.clone();
        Self {
            dispatch,
            timeout,
            callback_base: None,
            notify,
        }
    }

    /// Ask companies for status callbacks at antar's public URL `base` (`https://…`, no
    /// trailing path).
    pub fn with_callbacks(mut self, base: Option<&str>) -> Self {
        self.callback_base = base.map(|b| b.trim_end_matches('/').to_owned());
        self
    }

    /// Handle every booking due at `now`; returns how many were looked at.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<usize> {
        let due = self
            .dispatch
            .store
            .claim_due_bookings(now, chrono::Duration::seconds(60), 50)
            .await?;
        let n = due.len();
        // One client per company for the pass: its key is opened and its connections kept once.
        let mut clients: HashMap<PartnerId, BookingClient> = HashMap::new();
        for mut b in due {
            let handled = match self.client_for(&mut clients, b.partner_id).await {
                Ok(client) => self.handle(&mut b, client, now).await,
                Err(e) => Err(e),
            };
            if let Err(e) = handled {
                tracing::warn!(booking = %b.id, error = %e, "booking step failed; retrying later");
                b.last_error = Some(e.to_string());
                self.retry_later(&mut b, now);
            }
            let mut tx = self.dispatch.store.begin().await?;
            store::bookings::update_booking(&mut tx, &b, now).await?;
            tx.commit().await?;
        }
        if n > 0 {
            self.dispatch.outbox_notify.notify_one();
        }
        Ok(n)
    }

    /// Run until `shutdown`, looking every few seconds, and at once when a callback arrives or
    /// an offer's bookings were hurried (the service's loop).
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
                () = self.notify.notified() => {},
            }
        }
    }

    fn retry_later(&self, b: &mut BookingRow, now: DateTime<Utc>) {
        b.attempts += 1;
        let wait = (POLL_S << b.attempts.clamp(0, 5)).min(600);
        b.due_at = now + chrono::Duration::seconds(wait);
    }

    async fn client_for<'a>(
        &self,
        clients: &'a mut HashMap<PartnerId, BookingClient>,
        partner: PartnerId,
    ) -> Result<&'a BookingClient> {
        use std::collections::hash_map::Entry;
        Ok(match clients.entry(partner) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(self.client(partner).await?),
        })
    }

    async fn client(&self, partner_id: PartnerId) -> Result<BookingClient> {
        let d = &self.dispatch;
        let partner = d.store.partner(partner_id).await?;
        let url = partner.webhook_url.ok_or_else(|| {
            DispatchError::Internal("a booking partner without an API URL".into())
        })?;
        let enc = store::partners::outbound_secret_enc(&d.store, partner_id).await?;
        let key = d
            .secrets
            .open(&enc)
            .map_err(|e| DispatchError::Internal(e.to_string()))?;
        BookingClient::new(&url, &key, self.timeout)
            .map_err(|e| DispatchError::Internal(e.to_string()))
    }

    /// Apply one step as a partner event under the id `booking_{key}_{step}`; `Ok(false)` when
    /// the offer can no longer be taken. Steps about the whole job (the offer's answer) are
    /// keyed by the offer, so that of several bookings only the first to get there applies it.
    async fn apply(
        &self,
        b: &BookingRow,
        key: Uuid,
        step: &str,
        event: InboundEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let id = format!("booking_{}_{step}", key.simple());
        // The offer is named so that a day's check can see no offer was answered twice.
        let body = json!({"source": "booking_api", "reference": b.id, "booking_id": b.booking_ref,
                          "offer_id": b.offer_id, "step": step, "status": b.last_status})
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

    /// The offer's answer is no: the job fails over, and the offer's other bookings are
    /// looked at next (they will be called off).
    async fn reject(&self, b: &mut BookingRow, reason: String, now: DateTime<Utc>) -> Result<()> {
        let event = InboundEvent::JobRejected(JobRejected {
            job_id: JobId(b.job_id),
            offer_id: OfferId(b.offer_id),
            occurred_at: now,
            seq: 1,
            reason,
        });
        self.apply(b, b.offer_id, "rejected", event, now).await?;
        self.hurry_siblings(b, now).await?;
        b.state = "done".into();
        Ok(())
    }

    /// A stop whose booking found no driver is booked again, up to [`BOOKING_TRIES`] bookings
    /// per stop, while the offer still waits: a job of many stops is not turned down for one
    /// busy moment at one address. True when a new booking was made.
    async fn rebook(&self, b: &BookingRow, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.dispatch.store.begin().await?;
        let tries = store::bookings::bookings_of_offer(&mut tx, b.offer_id)
            .await?
            .iter()
            .filter(|o| o.stop_id == b.stop_id)
            .count();
        let offer = store::jobs::offer_in(&mut tx, b.offer_id).await?;
        if tries >= BOOKING_TRIES || offer.status != OfferStatus::Pending || offer.expires_at <= now
        {
            return Ok(false);
        }
        let again = BookingRow::new(b.job_id, b.offer_id, b.partner_id, b.stop_id, now);
        store::bookings::insert_booking(&mut tx, &again, now).await?;
        tx.commit().await?;
        self.notify.notify_one();
        Ok(true)
    }

    async fn hurry_siblings(&self, b: &BookingRow, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.dispatch.store.begin().await?;
        store::bookings::hurry_offer_bookings(&mut tx, b.offer_id, b.id, now).await?;
        tx.commit().await?;
        self.notify.notify_one();
        Ok(())
    }

    async fn handle(
        &self,
        b: &mut BookingRow,
        client: &BookingClient,
        now: DateTime<Utc>,
    ) -> Result<()> {
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
        let held = job.status.is_held() || job.status == JobStatus::Completed;
        let live = match b.state.as_str() {
            // A booking waits for its driver while its offer is pending; once the offer is
            // accepted (every booking of the offer has a driver) it goes on.
            "quote" | "searching" => {
                ours && (offer.status == OfferStatus::Pending
                    || (offer.status == OfferStatus::Accepted && held))
            }
            "active" => ours && held,
            _ => true,
        };
        if !live && b.state != "cancel" {
            b.state = if b.booking_ref.is_some() {
                "cancel".into()
            } else {
                "done".into()
            };
        }
        match b.state.as_str() {
            "cancel" => {
                if let Some(r) = &b.booking_ref {
                    match client.cancel(r, &b.id.to_string()).await {
                        Ok(s) => {
                            // A driver already on the way is paid a fee.
                            b.fare_charged_idr = s.fare_idr.filter(|f| *f > 0).map(i64::from);
                            b.last_status = Some(s.status);
                        }
                        Err(BookingError::Refused { status, body }) => {
                            b.last_error = Some(format!("cancel refused ({status}): {body}"));
                        }
                        Err(e) => return Err(DispatchError::Internal(e.to_string())),
                    }
                }
                b.state = "done".into();
            }
            "quote" => self.quote_and_book(client, b, &job, now).await?,
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
                self.follow(b, &s, now).await?;
            }
            _ => b.state = "done".into(),
        }
        Ok(())
    }

    async fn quote_and_book(
        &self,
        client: &BookingClient,
        b: &mut BookingRow,
        job: &store::jobs::JobRow,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let d = &self.dispatch;
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
        let callback = self
            .callback_base
            .as_deref()
            .map(|base| format!("{base}/partner/v1/bookings/{}/callback", b.partner_id));
        let booked = match client.quote(&q).await {
            Ok(quote) => {
                b.quote_ref = Some(quote.quote_id.clone());
                b.fare_quoted_idr = Some(i64::from(quote.fare_idr));
                client
                    .book(&b.id.to_string(), &quote.quote_id, callback.as_deref())
                    .await
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
                self.reject(b, format!("booking refused ({status}): {body}"), now)
                    .await?;
            }
            Err(e) => return Err(DispatchError::Internal(e.to_string())),
        }
        Ok(())
    }

    /// Turn what the company says about a booking into partner events.
    async fn follow(
        &self,
        b: &mut BookingRow,
        s: &BookingStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let job_id = JobId(b.job_id);
        let accepted = b.state == "active";
        match s.status.as_str() {
            "searching" => {}
            "no_driver" if !accepted && self.rebook(b, now).await? => {
                // Asked again: a new booking for the same stop, under the same offer.
                b.state = "done".into();
            }
            "no_driver" | "cancelled" if !accepted => {
                let reason = if s.status == "no_driver" {
                    "no_driver_found"
                } else {
                    "cancelled_by_partner"
                };
                b.fare_charged_idr = s.fare_idr.filter(|f| *f > 0).map(i64::from);
                self.reject(b, reason.into(), now).await?;
            }
            "driver_assigned" | "picked_up" | "delivered" | "cancelled" => {
                if !accepted {
                    // The offer is accepted once every booking of it has a driver.
                    let mut conn = self.dispatch.store.reader().acquire().await?;
                    let siblings =
                        store::bookings::bookings_of_offer(&mut conn, b.offer_id).await?;
                    drop(conn);
                    // A booking called off (its stop left the job) no longer counts.
                    let waiting = siblings
                        .iter()
                        .filter(|o| o.id != b.id && !matches!(o.state.as_str(), "cancel" | "done"))
                        .any(|o| !o.last_status.as_deref().is_some_and(has_driver));
                    if waiting {
                        return Ok(());
                    }
                    let event = InboundEvent::JobAccepted(JobAccepted {
                        job_id,
                        offer_id: OfferId(b.offer_id),
                        occurred_at: now,
                        seq: 1,
                    });
                    if !self.apply(b, b.offer_id, "accepted", event, now).await? {
                        b.state = "cancel".into();
                        b.due_at = now;
                        return Ok(());
                    }
                    b.state = "active".into();
                    if siblings.len() > 1 {
                        self.hurry_siblings(b, now).await?;
                    }
                }
                if let Some(driver) = &s.driver
                    && let Some(phone) = driver.phone.as_deref().and_then(|p| Phone::parse(p).ok())
                {
                    // Each stop's own driver, for staff who need to call about that stop.
                    b.driver =
                        Some(json!({"name": driver.name, "plate": driver.plate, "phone": phone}));
                    let event = InboundEvent::CourierAssigned(CourierAssigned {
                        job_id,
                        occurred_at: now,
                        seq: 2,
                        name: driver.name.clone(),
                        plate: driver.plate.clone(),
                        phone,
                    });
                    self.apply(b, b.id, "courier", event, now).await?;
                }
                let stop_id = StopId(b.stop_id);
                match s.status.as_str() {
                    "picked_up" => {
                        let event = InboundEvent::JobPickedUp(JobPickedUp {
                            job_id,
                            occurred_at: now,
                            seq: 3,
                        });
                        self.apply(b, b.id, "picked_up", event, now).await?;
                    }
                    "delivered" => {
                        let event = InboundEvent::StopDelivered(StopDelivered {
                            job_id,
                            occurred_at: now,
                            seq: 4,
                            stop_id,
                            proof: Proof {
                                pin: None,
                                photo_url: None,
                                recipient_name: Some(format!(
                                    "booking {}",
                                    b.booking_ref.as_deref().unwrap_or("")
                                )),
                            },
                            // Booking fares are recorded on the booking itself.
                            fare_idr: None,
                            concern: None,
                            note: None,
                        });
                        self.apply(b, b.id, "delivered", event, now).await?;
                        b.fare_charged_idr = s.fare_idr.map(i64::from).or(b.fare_quoted_idr);
                        b.state = "done".into();
                    }
                    "cancelled" => {
                        let event = InboundEvent::StopFailed(StopFailed {
                            job_id,
                            occurred_at: now,
                            seq: 4,
                            stop_id,
                            reason: FailReason::Other,
                            note: Some("the courier service cancelled the booking".into()),
                        });
                        self.apply(b, b.id, "failed", event, now).await?;
                        b.fare_charged_idr = s.fare_idr.filter(|f| *f > 0).map(i64::from);
                        b.state = "done".into();
                    }
                    _ => {}
                }
            }
            other => {
                b.last_error = Some(format!("unknown booking status {other:?}"));
            }
        }
        Ok(())
    }
}

impl Dispatch {
    /// The secret a booking-API partner signs its status callbacks with, in clear; `NotFound`
    /// for any other partner.
    pub async fn booking_callback_secret(&self, partner: PartnerId) -> Result<String> {
        let p = self
            .store
            .partner(partner)
            .await
            .map_err(|_| DispatchError::NotFound("partner"))?;
        if p.kind != PartnerKind::BookingApi {
            return Err(DispatchError::NotFound("partner"));
        }
        let mut secrets = self.partner_inbound_secrets(partner).await?;
        secrets.pop().ok_or(DispatchError::NotFound("partner"))
    }

    /// A checked status callback about one of a partner's bookings: the booking is looked at
    /// now (its status read back from the company). `Ok(false)` when it is finished already.
    pub async fn booking_callback(
        &self,
        partner: PartnerId,
        about: &CallbackRef,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let reference: Uuid = about.reference.parse().map_err(|_| {
            super::invalid("reference", "unknown_booking", "not a reference antar gave")
        })?;
        let hurried = self
            .store
            .hurry_booking(partner, reference, &about.booking_id, now)
            .await?
            .ok_or(DispatchError::NotFound("booking"))?;
        if hurried {
            self.booking_notify.notify_one();
        }
        Ok(hurried)
    }
}

/// A status that means the booking has (or had) a driver.
fn has_driver(status: &str) -> bool {
    matches!(status, "driver_assigned" | "picked_up" | "delivered")
}
