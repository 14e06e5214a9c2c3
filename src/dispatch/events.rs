//! Partner callbacks (`/partner/v1/events`) and what follows from them: offers decided, couriers
//! named, pickups, handovers checked against their proof, failed handovers turned into welfare
//! alerts (meals) or returns to the pharmacy (medicine), recipients found unwell turned into
//! `unwell` alerts (whether or not the handover was made), and the alerts staff handle.
//!
//! Each event is applied in one transaction that also records its `webhook-id`, so a retried
//! event is acknowledged and ignored. Events never move a job, a stop or an order backwards:
//! an event that arrives after a later one (by `seq`) only applies what is still ahead.
//! Must not depend on `api`.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::jobs::OfferAnswer;
use super::{Dispatch, DispatchError, Result, invalid, require};
use crate::domain::records::Order;
use crate::domain::{
    AlertId, AlertKind, AlertStatus, JobStatus, OrderId, OrderKind, OrderStatus, PartnerId,
    Principal, Role, StopStatus,
};
use crate::store::jobs::{self as sj, AlertFilter, AlertRow, JobRow, StopRow};
use crate::store::{self, audit};
use crate::webhooks::inbound::{Concern, FailReason, InboundEvent, Proof};

/// A handover this far (metres) from the stored pin proposes a correction.
pub const CORRECTION_MIN_M: f64 = 150.0;

/// At most this many delivery attempts of a medicine; after that the patient collects it.
pub const MAX_ATTEMPTS: i64 = 3;

/// The reason code of an `unwell` alert, whether the handover was made or not.
const UNWELL_REASON: &str = "recipient_unwell";

/// What became of an inbound event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// It changed something.
    Applied,
    /// Seen before (same `webhook-id`): acknowledged, nothing done.
    Duplicate,
    /// Valid, but a later event already moved things further: recorded, nothing moved back.
    Stale,
}

impl EventOutcome {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Stale => "stale",
        }
    }
}

fn fail_reason_str(r: FailReason) -> &'static str {
    match r {
        FailReason::NotHome => "not_home",
        FailReason::Refused => "refused",
        FailReason::AddressNotFound => "address_not_found",
        FailReason::Unsafe => "unsafe",
        FailReason::RecipientUnwell => UNWELL_REASON,
        FailReason::Other => "other",
    }
}

fn not_your_job() -> DispatchError {
    DispatchError::Conflict {
        code: "not_your_job",
        detail: "this job is not held by your organisation".into(),
    }
}

/// Raise an open alert about one order of a job, for its site and recipient.
async fn alert_in(
    conn: &mut sqlx::AnyConnection,
    kind: AlertKind,
    reason: &str,
    note: &str,
    job: &JobRow,
    order: &Order,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut alert = AlertRow::open(kind, reason, note, at);
    alert.site_id = Some(order.site_id);
    alert.order_id = Some(order.id);
    alert.job_id = Some(job.id);
    alert.recipient_id = order.recipient_id;
    sj::insert_alert(conn, &alert).await?;
    Ok(())
}

/// A stop of the job, by id.
fn stop_mut(stops: &mut [StopRow], id: Uuid) -> Result<&mut StopRow> {
    stops
        .iter_mut()
        .find(|s| s.id == id && s.status != StopStatus::Removed)
        .ok_or_else(|| invalid("stop_id", "unknown_stop", "this job has no such stop"))
}

impl Dispatch {
    /// Apply one verified partner event. `webhook_id` identifies it for de-duplication and
    /// `body` is kept as received.
    pub async fn partner_event(
        &self,
        partner: PartnerId,
        webhook_id: &str,
        event: &InboundEvent,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<EventOutcome> {
        self.partner_event_as(partner, None, webhook_id, event, body, now)
            .await
    }

    /// [`Self::partner_event`], for one of our couriers when `courier` is given: the job must
    /// still be theirs when it is locked (staff may have given it to someone else meanwhile).
    pub(crate) async fn partner_event_as(
        &self,
        partner: PartnerId,
        courier: Option<crate::domain::CourierId>,
        webhook_id: &str,
        event: &InboundEvent,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<EventOutcome> {
        let job_id = event.job_id().0;
        let seq = i64::try_from(event.seq()).unwrap_or(i64::MAX);
        let mut tx = self.store.begin().await?;
        if sj::partner_event_seen(&mut tx, partner, webhook_id).await? {
            return Ok(EventOutcome::Duplicate);
        }
        let outcome = match event {
            InboundEvent::JobAccepted(e) => {
                self.decide_offer_in(
                    &mut tx,
                    partner,
                    OfferAnswer {
                        job_id,
                        offer_id: e.offer_id.0,
                        accept: true,
                        reason: None,
                    },
                    now,
                )
                .await?;
                EventOutcome::Applied
            }
            InboundEvent::JobRejected(e) => {
                self.decide_offer_in(
                    &mut tx,
                    partner,
                    OfferAnswer {
                        job_id,
                        offer_id: e.offer_id.0,
                        accept: false,
                        reason: Some(&e.reason),
                    },
                    now,
                )
                .await?;
                EventOutcome::Applied
            }
            other => {
                let mut job = sj::lock_job(&mut tx, job_id, now)
                    .await
                    .map_err(|_| DispatchError::NotFound("job"))?;
                if let Some(c) = courier
                    && store::couriers::job_courier_in(&mut tx, job_id).await? != Some(c)
                {
                    return Err(DispatchError::Conflict {
                        code: "link_revoked",
                        detail: "the job was given to another courier".into(),
                    });
                }
                if job.partner_id == Some(partner) && job.status == JobStatus::Offered {
                    // Its acceptance has not arrived (or was not sent) yet: the partner retries.
                    return Err(DispatchError::Conflict {
                        code: "job_not_accepted",
                        detail: "accept the job (job.accepted) before reporting on it".into(),
                    });
                }
                if job.partner_id != Some(partner)
                    || !(job.status.is_held() || job.status == JobStatus::Completed)
                {
                    return Err(not_your_job());
                }
                let outcome = self
                    .apply_job_event(&mut tx, &mut job, other, seq, now)
                    .await?;
                job.last_seq = job.last_seq.max(seq);
                job.updated_at = now;
                sj::update_job(&mut tx, &job).await?;
                outcome
            }
        };
        sj::record_partner_event(
            &mut tx,
            partner,
            webhook_id,
            job_id,
            event.type_name(),
            seq,
            event.occurred_at(),
            outcome.as_str(),
            body,
            now,
        )
        .await?;
        tx.commit().await?;
        self.outbox_notify.notify_one();
        Ok(outcome)
    }

    async fn apply_job_event(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        event: &InboundEvent,
        seq: i64,
        now: DateTime<Utc>,
    ) -> Result<EventOutcome> {
        let actor = format!(
            "partner:{}",
            job.partner_id.map(|p| p.to_string()).unwrap_or_default()
        );
        let mut stops = sj::stops_in(&mut *conn, job.id).await?;
        let forward = |job: &JobRow, to: JobStatus| to.rank() > job.status.rank();
        match event {
            InboundEvent::CourierAssigned(e) => {
                if job.courier.is_none() || seq > job.last_seq {
                    job.courier = Some(json!({"name": e.name, "plate": e.plate, "phone": e.phone}));
                }
                if forward(job, JobStatus::CourierAssigned) {
                    job.status = JobStatus::CourierAssigned;
                    return Ok(EventOutcome::Applied);
                }
                Ok(EventOutcome::Stale)
            }
            InboundEvent::JobPickedUp(_) => {
                if forward(job, JobStatus::PickedUp) {
                    self.pick_up_in(&mut *conn, job, &stops, &actor).await?;
                    return Ok(EventOutcome::Applied);
                }
                Ok(EventOutcome::Stale)
            }
            InboundEvent::CourierLocation(e) => {
                let newer = job
                    .courier_location
                    .is_none_or(|(_, at)| e.occurred_at > at);
                if newer {
                    job.courier_location = Some((e.location, e.occurred_at));
                    return Ok(EventOutcome::Applied);
                }
                Ok(EventOutcome::Stale)
            }
            InboundEvent::StopArrived(e) => {
                let stop = stop_mut(&mut stops, e.stop_id.0)?;
                if stop.status.rank() >= StopStatus::Arrived.rank() {
                    return Ok(EventOutcome::Stale);
                }
                stop.status = StopStatus::Arrived;
                stop.updated_at = now;
                let stop = stop.clone();
                sj::update_stop(&mut *conn, &stop).await?;
                if forward(job, JobStatus::PickedUp) {
                    // A stop reached means the goods were collected, whatever arrived first.
                    self.pick_up_in(&mut *conn, job, &stops, &actor).await?;
                }
                Ok(EventOutcome::Applied)
            }
            InboundEvent::StopDelivered(e) => {
                let stop = stop_mut(&mut stops, e.stop_id.0)?;
                if stop.status.is_final() {
                    return Ok(EventOutcome::Stale);
                }
                let order = store::orders::order_in(&mut *conn, stop.order_id, None).await?;
                let pin_verified = self.check_proof(&mut *conn, &order, &e.proof).await?;
                if forward(job, JobStatus::PickedUp) {
                    let snapshot = stops.clone();
                    self.pick_up_in(&mut *conn, job, &snapshot, &actor).await?;
                }
                let stop = stop_mut(&mut stops, e.stop_id.0)?;
                stop.status = StopStatus::Delivered;
                stop.proof = Some(json!({
                    "pin_verified": pin_verified,
                    "photo_url": e.proof.photo_url,
                    "recipient_name": e.proof.recipient_name,
                    "occurred_at": e.occurred_at,
                }));
                if let Some(n) = e.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    // Kept beside what the courier may have noted at the door before.
                    stop.note = Some(match stop.note.take() {
                        Some(old) if !old.is_empty() => format!("{old}\n{n}"),
                        _ => n.to_owned(),
                    });
                }
                stop.updated_at = now;
                let stop = stop.clone();
                sj::update_stop(&mut *conn, &stop).await?;
                let order = store::orders::order_in(&mut *conn, stop.order_id, None).await?;
                if order.status == OrderStatus::PickedUp {
                    store::orders::set_status(
                        &mut *conn,
                        order.id,
                        OrderStatus::PickedUp,
                        OrderStatus::Delivered,
                        "handed over",
                        &actor,
                    )
                    .await?;
                }
                if e.concern == Some(Concern::Unwell) {
                    // Handed over, and still someone should visit.
                    let note = e.note.as_deref().map_or("", str::trim);
                    let at = e.occurred_at.min(now);
                    alert_in(
                        &mut *conn,
                        AlertKind::Unwell,
                        UNWELL_REASON,
                        note,
                        job,
                        &order,
                        at,
                    )
                    .await?;
                }
                self.propose_correction_in(&mut *conn, job, &order, e.occurred_at, now)
                    .await?;
                if let Some(fare) = e.fare_idr {
                    if fare < 0 {
                        return Err(invalid(
                            "fare_idr",
                            "out_of_range",
                            "a fare cannot be negative",
                        ));
                    }
                    store::invoice::set_job_charged_fare(&mut *conn, job.id, fare).await?;
                }
                self.complete_if_done(&mut *conn, job, &stops, now).await?;
                Ok(EventOutcome::Applied)
            }
            InboundEvent::StopFailed(e) => {
                let stop = stop_mut(&mut stops, e.stop_id.0)?;
                if stop.status.is_final() {
                    return Ok(EventOutcome::Stale);
                }
                if forward(job, JobStatus::PickedUp) {
                    let snapshot = stops.clone();
                    self.pick_up_in(&mut *conn, job, &snapshot, &actor).await?;
                }
                let stop = stop_mut(&mut stops, e.stop_id.0)?;
                stop.status = StopStatus::Failed;
                stop.fail_reason = Some(fail_reason_str(e.reason).to_owned());
                stop.note = e.note.clone();
                stop.updated_at = now;
                let stop = stop.clone();
                sj::update_stop(&mut *conn, &stop).await?;
                let order = store::orders::order_in(&mut *conn, stop.order_id, None).await?;
                self.handover_failed_in(
                    &mut *conn,
                    job,
                    &order,
                    e.reason,
                    e.note.as_deref().unwrap_or(""),
                    e.occurred_at,
                    now,
                    &actor,
                )
                .await?;
                self.complete_if_done(&mut *conn, job, &stops, now).await?;
                Ok(EventOutcome::Applied)
            }
            InboundEvent::JobAccepted(_) | InboundEvent::JobRejected(_) => Err(
                DispatchError::Internal("offer decisions are applied elsewhere".into()),
            ),
        }
    }

    /// The courier handed over far from the stored pin (by their last reported position, taken
    /// at most 10 minutes before): propose the courier's position as the recipient's home, for
    /// staff to accept or reject. Nothing changes without a person.
    async fn propose_correction_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &JobRow,
        order: &Order,
        delivered_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (Some(recipient), Some((at_door, seen))) = (order.recipient_id, job.courier_location)
        else {
            return Ok(());
        };
        if (delivered_at - seen).abs() > chrono::Duration::minutes(10) {
            return Ok(());
        }
        let distance_m = order
            .location
            .map_or(f64::INFINITY, |p| p.distance_m(at_door));
        if distance_m < CORRECTION_MIN_M {
            return Ok(());
        }
        let proposal = store::corrections::Correction {
            id: Uuid::now_v7(),
            recipient_id: recipient,
            order_id: order.id,
            stored: order.location,
            proposed: at_door,
            distance_m: if distance_m.is_finite() {
                distance_m
            } else {
                0.0
            },
            source: "courier_gps".into(),
            status: "proposed".into(),
            proposed_at: now,
            decided_by: None,
            decided_at: None,
        };
        store::corrections::propose(&mut *conn, &proposal).await?;
        Ok(())
    }

    /// Proposed home corrections, newest first (staff).
    pub async fn list_corrections(
        &self,
        who: &Principal,
        status: &str,
    ) -> Result<Vec<store::corrections::Correction>> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        if !matches!(status, "proposed" | "accepted" | "rejected") {
            return Err(invalid(
                "status",
                "unknown_status",
                "one of proposed, accepted, rejected",
            ));
        }
        let list = self.store.corrections(status, 500).await?;
        self.store
            .audit_read(
                &who.actor(),
                "location_correction",
                None,
                &json!({"count": list.len()}),
            )
            .await?;
        Ok(list)
    }

    /// Accept (the recipient's home moves to the courier's position, source `courier_gps`) or
    /// reject a proposed correction.
    pub async fn decide_correction(
        &self,
        who: &Principal,
        id: Uuid,
        accept: bool,
    ) -> Result<store::corrections::Correction> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let now = store::now();
        let actor = who.actor();
        let mut tx = self.store.begin().await?;
        let mut c = store::corrections::correction_in(&mut tx, id)
            .await
            .map_err(|_| DispatchError::NotFound("location correction"))?;
        let status = if accept { "accepted" } else { "rejected" };
        if !store::corrections::decide(&mut tx, id, status, &actor, now).await? {
            return Err(DispatchError::Conflict {
                code: "already_decided",
                detail: format!("this correction was already {}", c.status),
            });
        }
        if accept {
            store::corrections::set_recipient_location(
                &mut tx,
                c.recipient_id,
                c.proposed,
                "courier_gps",
                crate::domain::location::COURIER_GPS_PRECISION_M,
                now,
            )
            .await?;
        }
        audit::record(
            &mut tx,
            &actor,
            status,
            "location_correction",
            Some(&id.to_string()),
            &json!({"recipient_id": c.recipient_id, "distance_m": c.distance_m.round()}),
        )
        .await?;
        tx.commit().await?;
        c.status = status.into();
        c.decided_by = Some(actor);
        c.decided_at = Some(now);
        Ok(c)
    }

    /// The courier has the goods: the job and every order still assigned move on.
    async fn pick_up_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        stops: &[StopRow],
        actor: &str,
    ) -> Result<()> {
        job.status = JobStatus::PickedUp;
        for s in stops.iter().filter(|s| s.status != StopStatus::Removed) {
            let o = store::orders::order_in(&mut *conn, s.order_id, None).await?;
            if o.status == OrderStatus::Assigned {
                store::orders::set_status(
                    &mut *conn,
                    o.id,
                    OrderStatus::Assigned,
                    OrderStatus::PickedUp,
                    "courier collected it",
                    actor,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Check proof of delivery; controlled medicine needs the right PIN. Returns whether a PIN
    /// was verified.
    async fn check_proof(
        &self,
        conn: &mut sqlx::AnyConnection,
        order: &Order,
        proof: &Proof,
    ) -> Result<bool> {
        if !order.controlled {
            return Ok(false);
        }
        let Some(pin) = proof.pin.as_deref() else {
            return Err(invalid(
                "proof.pin",
                "pin_required",
                "controlled medicine is handed over only against the patient's PIN",
            ));
        };
        let stored = store::orders::pin_hash_in(&mut *conn, order.id).await?;
        let given = self
            .secrets
            .mac_hex(format!("pin:{}:{pin}", order.id).as_bytes());
        match stored {
            Some(h) if crate::crypto::constant_time_eq(h.as_bytes(), given.as_bytes()) => Ok(true),
            _ => Err(invalid(
                "proof.pin",
                "wrong_pin",
                "the PIN does not match the one given to the patient",
            )),
        }
    }

    /// A handover failed: a meal ends `failed` and raises a welfare alert; a medicine goes
    /// back to the pharmacy (`failed → returning`) and the pharmacy is alerted. When the
    /// recipient was too ill to take it, the alert is `unwell` instead: someone must visit.
    #[allow(clippy::too_many_arguments)]
    async fn handover_failed_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &JobRow,
        order: &Order,
        why: FailReason,
        note: &str,
        occurred_at: DateTime<Utc>,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut status = order.status;
        if status == OrderStatus::Assigned {
            store::orders::set_status(
                &mut *conn,
                order.id,
                status,
                OrderStatus::PickedUp,
                "courier collected it",
                actor,
            )
            .await?;
            status = OrderStatus::PickedUp;
        }
        if status != OrderStatus::PickedUp {
            return Ok(());
        }
        let reason = fail_reason_str(why);
        store::orders::set_status(
            &mut *conn,
            order.id,
            status,
            OrderStatus::Failed,
            reason,
            actor,
        )
        .await?;
        let kind = match order.kind {
            OrderKind::Meal => AlertKind::Welfare,
            OrderKind::Medicine => {
                store::orders::set_status(
                    &mut *conn,
                    order.id,
                    OrderStatus::Failed,
                    OrderStatus::Returning,
                    "courier brings it back to the pharmacy",
                    actor,
                )
                .await?;
                AlertKind::MedicineFailed
            }
        };
        let kind = if why == FailReason::RecipientUnwell {
            AlertKind::Unwell
        } else {
            kind
        };
        alert_in(conn, kind, reason, note, job, order, occurred_at.min(now)).await
    }

    async fn complete_if_done(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        stops: &[StopRow],
        _now: DateTime<Utc>,
    ) -> Result<()> {
        let _ = conn;
        if stops.iter().all(|s| s.status.is_final()) {
            job.status = JobStatus::Completed;
        }
        Ok(())
    }

    /// A pharmacist confirms a failed medicine is back. It becomes `ready` for the next wave
    /// (a new attempt), unless it was cold-chain medicine (discarded: a new dispense is needed)
    /// or the attempts are used up (the patient collects it at the pharmacy).
    pub async fn confirm_return(&self, who: &Principal, id: OrderId) -> Result<Order> {
        require(who, &[Role::Admin, Role::Pharmacist])?;
        let actor = who.actor();
        let mut tx = self.store.begin().await?;
        let mut order = store::orders::order_in(&mut tx, id, who.site_scope())
            .await
            .map_err(|_| DispatchError::NotFound("order"))?;
        if order.status != OrderStatus::Returning {
            return Err(DispatchError::Conflict {
                code: "not_returning",
                detail: format!("the order is {}, not on its way back", order.status),
            });
        }
        store::orders::set_status(
            &mut tx,
            id,
            OrderStatus::Returning,
            OrderStatus::ReturnedToPharmacy,
            "back at the pharmacy",
            &actor,
        )
        .await?;
        order.status = OrderStatus::ReturnedToPharmacy;
        let outcome = if order.cold_chain_max_minutes.is_some() {
            "discarded: cold-chain medicine is not resent; dispense again"
        } else if order.attempt >= MAX_ATTEMPTS {
            "attempts used up: the patient collects it at the pharmacy"
        } else {
            store::orders::set_status(
                &mut tx,
                id,
                OrderStatus::ReturnedToPharmacy,
                OrderStatus::Ready,
                &format!("attempt {} queued for the next wave", order.attempt + 1),
                &actor,
            )
            .await?;
            store::orders::set_attempt(&mut tx, id, order.attempt + 1).await?;
            order.attempt += 1;
            order.status = OrderStatus::Ready;
            "queued for the next wave"
        };
        audit::record(
            &mut tx,
            &actor,
            "confirm_return",
            "order",
            Some(&id.to_string()),
            &json!({"outcome": outcome, "attempt": order.attempt}),
        )
        .await?;
        tx.commit().await?;
        Ok(order)
    }

    /// Open (or filtered) alerts. Every read is audited: alerts name recipients.
    pub async fn list_alerts(&self, who: &Principal, mut f: AlertFilter) -> Result<Vec<AlertRow>> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        if let Some(s) = who.site_scope() {
            f.site = Some(s);
        }
        let alerts = self.store.alerts(&f).await?;
        self.store
            .audit_read(&who.actor(), "alert", None, &json!({"count": alerts.len()}))
            .await?;
        Ok(alerts)
    }

    /// Acknowledge or close an alert (closing needs a note).
    pub async fn handle_alert(
        &self,
        who: &Principal,
        id: AlertId,
        close_note: Option<&str>,
    ) -> Result<AlertRow> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let now = store::now();
        let actor = who.actor();
        let mut tx = self.store.begin().await?;
        let mut a = sj::alert_in(&mut tx, id)
            .await
            .map_err(|_| DispatchError::NotFound("alert"))?;
        if who.site_scope().is_some_and(|s| a.site_id != Some(s)) {
            return Err(DispatchError::NotFound("alert"));
        }
        if a.status == AlertStatus::Closed {
            return Err(DispatchError::Conflict {
                code: "alert_closed",
                detail: "the alert is already closed".into(),
            });
        }
        match close_note {
            None => {
                if a.status == AlertStatus::Open {
                    a.status = AlertStatus::Acknowledged;
                    a.acknowledged_by = Some(actor.clone());
                    a.acknowledged_at = Some(now);
                }
            }
            Some(note) => {
                let note = note.trim();
                if note.is_empty() {
                    return Err(invalid(
                        "note",
                        "required",
                        "say how the alert was handled (e.g. \"dikunjungi, sehat\")",
                    ));
                }
                if a.acknowledged_at.is_none() {
                    a.acknowledged_by = Some(actor.clone());
                    a.acknowledged_at = Some(now);
                }
                a.status = AlertStatus::Closed;
                a.closed_by = Some(actor.clone());
                a.closed_at = Some(now);
                a.close_note = Some(note.to_owned());
            }
        }
        sj::update_alert(&mut tx, &a).await?;
        audit::record(
            &mut tx,
            &actor,
            if close_note.is_some() {
                "close"
            } else {
                "acknowledge"
            },
            "alert",
            Some(&id.to_string()),
            &json!({"note": close_note}),
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// The secrets a partner signs its callbacks with, in clear (for verifying them).
    pub async fn partner_inbound_secrets(&self, partner: PartnerId) -> Result<Vec<String>> {
        let enc = store::partners::inbound_secret_enc(&self.store, partner)
            .await
            .map_err(|_| DispatchError::NotFound("partner"))?;
        let secret = self
            .secrets
            .open(&enc)
            .map_err(|e| DispatchError::Internal(format!("inbound secret: {e}")))?;
        Ok(vec![secret])
    }

    /// Record a refused partner event (wrong PIN, someone else's job) in the audit log.
    pub async fn audit_refused_event(
        &self,
        partner: PartnerId,
        event: &InboundEvent,
        code: &str,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        audit::record(
            &mut tx,
            &format!("partner:{partner}"),
            "refused_event",
            "job",
            Some(&event.job_id().to_string()),
            &json!({"type": event.type_name(), "seq": event.seq(), "code": code}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
