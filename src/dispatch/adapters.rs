//! The partner adapter seam: how a job reaches the people who ride it, chosen by the partner's
//! [`PartnerKind`] at the one point where an offer is made (`jobs::offer_next_with`).
//!
//! - `webhook`: our Standard Webhooks contract. A pending offer, `job.offered` in the outbox
//!   in the same transaction; the partner answers synchronously or by callback.
//! - `own_fleet`: our own couriers. The job is given at once, in the same transaction, to a
//!   free courier of the job's site who works at the job's departure and whose capacity and
//!   stop limit fit the job (the least busy first). The offer is recorded as accepted, the job
//!   becomes `courier_assigned` and the orders `assigned`. When no courier fits, the adapter
//!   declines with the reason `no_courier_free: …` (recorded as a rejected offer) and failover
//!   moves on to the next partner, exactly as after a webhook partner's rejection.
//! - `booking_api`: a courier company's quote → book → status → cancel API, one pickup to one
//!   drop per booking. The offer is a pending offer like a webhook one, plus a `bookings` row
//!   (our reference id) in the same transaction; the booking worker (`bookings`) then quotes,
//!   books and polls outside any transaction and turns what the company says into the same
//!   partner events (`job.accepted`, `courier.assigned`, …, `job.rejected` with
//!   `no_driver_found`), so failover and everything after are shared. A job of several stops
//!   (one that failed over from a partner who batches) is booked as one booking per stop and
//!   tracked as one job: the offer is accepted once every booking has a driver, and rejected
//!   (the other bookings cancelled) as soon as one finds none.
//!
//! Why an enum match rather than a `dyn PartnerAdapter` trait: every adapter works inside the
//! caller's transaction on a borrowed connection, and the set of kinds is closed and stored in
//! the database; a match keeps each adapter in its own function with no boxed futures.
//!
//! Courier events from the courier page enter through the same `partner_event` path as partner
//! callbacks (see `fleet`), so everything downstream of an offer is shared by all kinds.
//! Must not depend on `api` or `web`.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{Dispatch, Result};
use crate::domain::records::{Courier, Order, Partner, Site};
use crate::domain::{JobStatus, OfferStatus, OrderId, OrderStatus, PartnerKind};
use crate::store;
use crate::store::jobs::{self as sj, JobRow, OfferRow, StopRow};

/// What an offer needs besides the job and the partner.
#[derive(Clone, Copy)]
pub(crate) struct OfferContext<'a> {
    /// The pickup site.
    pub site: &'a Site,
    /// The job's live stops with their orders.
    pub stops: &'a [(StopRow, Order)],
    /// The partner's fare for the job, rupiah.
    pub fare: f64,
    /// Now.
    pub now: DateTime<Utc>,
    /// Who is acting (for the order history).
    pub actor: &'a str,
}

/// What an adapter did with a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AdapterOutcome {
    /// A pending offer waits for the partner's answer.
    Offered,
    /// The job is held at once (one of our couriers has it).
    Assigned,
    /// The partner cannot take it; ask the next one.
    Declined(String),
}

/// Why the own fleet cannot take a job, naming every courier of the site.
fn no_courier_reason(why: &[String]) -> String {
    if why.is_empty() {
        "no_courier_free: the site has no active courier".to_owned()
    } else {
        format!("no_courier_free: {}", why.join(", "))
    }
}

impl Dispatch {
    /// Offer `job` to `partner` through the adapter of the partner's kind.
    pub(crate) async fn offer_through_adapter(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        partner: &Partner,
        ctx: OfferContext<'_>,
    ) -> Result<AdapterOutcome> {
        match partner.kind {
            PartnerKind::Webhook => {
                self.offer_by_webhook_in(conn, job, partner, ctx).await?;
                Ok(AdapterOutcome::Offered)
            }
            PartnerKind::OwnFleet => {
                let couriers = store::couriers::site_couriers_in(&mut *conn, job.site_id).await?;
                // The planner may have given the job to a courier riding several trips: they
                // take it even while their earlier trip is under way.
                let planned = store::couriers::job_courier_in(&mut *conn, job.id).await?;
                let mut why = Vec::new();
                let mut chosen = couriers
                    .iter()
                    .find(|(c, _)| {
                        Some(c.id) == planned
                            && c.works_at(job.departure, self.tz)
                            && c.unfit_for(ctx.stops.len(), job.load).is_none()
                    })
                    .map(|(c, _)| c.clone());
                for (c, busy) in couriers.into_iter().filter(|_| chosen.is_none()) {
                    if busy > 0 {
                        why.push(format!("{} is on another job", c.name));
                    } else if !c.works_at(job.departure, self.tz) {
                        why.push(format!("{} is not working then", c.name));
                    } else if let Some(w) = c.unfit_for(ctx.stops.len(), job.load) {
                        why.push(format!("{}: {w}", c.name));
                    } else {
                        chosen = Some(c);
                        break;
                    }
                }
                let Some(courier) = chosen else {
                    if planned.is_some() {
                        store::couriers::set_job_courier(&mut *conn, job.id, None).await?;
                    }
                    let reason = no_courier_reason(&why);
                    self.record_declined_offer(conn, job, partner, &reason, ctx.now)
                        .await?;
                    return Ok(AdapterOutcome::Declined(reason));
                };
                self.assign_courier_in(conn, job, partner, &courier, ctx.stops, ctx.now, ctx.actor)
                    .await?;
                Ok(AdapterOutcome::Assigned)
            }
            PartnerKind::BookingApi => {
                // One pickup to one drop per booking: a job of several stops is booked as one
                // booking per stop, all answering the same offer.
                let offer_id = self.offer_by_webhook_in(conn, job, partner, ctx).await?;
                for (stop, _) in ctx.stops {
                    store::bookings::insert_booking(
                        &mut *conn,
                        &store::bookings::BookingRow::new(
                            job.id,
                            offer_id,
                            partner.id,
                            stop.id,
                            super::bookings::book_at(job.departure, ctx.now),
                        ),
                        ctx.now,
                    )
                    .await?;
                }
                Ok(AdapterOutcome::Offered)
            }
        }
    }

    /// An offer the adapter declined on the partner's behalf: recorded, so the partner is not
    /// asked again in this round and staff see why.
    async fn record_declined_offer(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &JobRow,
        partner: &Partner,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sj::insert_offer(
            &mut *conn,
            &OfferRow {
                id: Uuid::now_v7(),
                job_id: job.id,
                partner_id: partner.id,
                round: job.round,
                status: OfferStatus::Rejected,
                offered_at: now,
                expires_at: now,
                decided_at: Some(now),
                reason: Some(reason.to_owned()),
                added_stops: Vec::new(),
            },
        )
        .await?;
        Ok(())
    }

    /// Give a job to one of our couriers in the caller's transaction: an accepted offer to
    /// the own-fleet partner, the job `courier_assigned` with the courier named, its orders
    /// `assigned`. Used by the planner's offer and by staff assigning or reassigning.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn assign_courier_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        partner: &Partner,
        courier: &Courier,
        stops: &[(StopRow, Order)],
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        if job.partner_id != Some(partner.id) || !job.status.is_held() {
            sj::insert_offer(
                &mut *conn,
                &OfferRow {
                    id: Uuid::now_v7(),
                    job_id: job.id,
                    partner_id: partner.id,
                    round: job.round,
                    status: OfferStatus::Accepted,
                    offered_at: now,
                    expires_at: now,
                    decided_at: Some(now),
                    reason: None,
                    added_stops: Vec::new(),
                },
            )
            .await?;
        }
        if job.status.rank() < JobStatus::CourierAssigned.rank() {
            job.status = JobStatus::CourierAssigned;
        }
        job.partner_id = Some(partner.id);
        job.flagged_at = None;
        job.flag_reason = None;
        job.courier = Some(json!({
            "courier_id": courier.id,
            "name": courier.name,
            "plate": courier.vehicle,
            "phone": courier.phone,
        }));
        job.updated_at = now;
        sj::update_job(&mut *conn, job).await?;
        store::couriers::set_job_courier(&mut *conn, job.id, Some(courier.id)).await?;
        let ids = |from: &[OrderStatus]| -> Vec<OrderId> {
            stops
                .iter()
                .filter(|(_, o)| from.contains(&o.status))
                .map(|(_, o)| o.id)
                .collect()
        };
        let why = format!("own courier {}", courier.name);
        let planned = ids(&[OrderStatus::Planned]);
        if !planned.is_empty() {
            store::orders::set_status_many(
                &mut *conn,
                &planned,
                OrderStatus::Planned,
                OrderStatus::Offered,
                &why,
                actor,
            )
            .await?;
        }
        let offered = ids(&[OrderStatus::Planned, OrderStatus::Offered]);
        if !offered.is_empty() {
            store::orders::set_status_many(
                &mut *conn,
                &offered,
                OrderStatus::Offered,
                OrderStatus::Assigned,
                &why,
                actor,
            )
            .await?;
        }
        Ok(())
    }
}
