//! Urgent prescriptions that arrive after the wave: inserted into a job of their pharmacy that
//! is not picked up yet (where the detour is smallest and every window still holds), or planned
//! at once as their own job.
//!
//! An insertion changes a job the partner may already hold, so it is a new offer (`job.updated`
//! naming the added stop) that the partner must accept again; when it refuses or lets the offer
//! lapse, the added stop is taken off again and the order gets its own job. The dispatcher's
//! tick finds urgent orders waiting (`ready`) in the database, so an insertion interrupted by a
//! restart is simply tried again.
//! Must not depend on `api`.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::jobs::parcel_code;
use super::planning::PlanRequest;
use super::waves::scheduler;
use super::{Dispatch, Result};
use crate::domain::records::Order;
use crate::domain::{JobStatus, LatLon, OfferStatus, OrderId, OrderStatus, StopStatus};
use crate::store::jobs::{self as sj, JobFilter, JobRow, OfferRow, StopRow};
use crate::store::{self};
use crate::webhooks::outbound::{JobId, JobUpdated, OfferId, OutboundEvent, StopId};

/// What happened to an urgent order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrgentOutcome {
    /// Added to a job not yet picked up (the partner must accept the change).
    Inserted {
        /// The job.
        job: Uuid,
        /// Extra riding seconds the stop adds.
        detour_s: i64,
    },
    /// Planned now, as its own job (with any other ready orders of its pharmacy).
    OwnJob,
    /// Nothing to do (no longer ready, no location, or no road network).
    Skipped,
}

/// Arrival times along `points` (index 0 = the site) leaving at `departure`, or `None` when a
/// window would be missed. `windows[i]` and `service[i]` belong to `points[i + 1]`.
fn schedule(
    m: &crate::domain::TravelMatrix,
    order: &[usize],
    departure: DateTime<Utc>,
    windows: &[(DateTime<Utc>, DateTime<Utc>)],
    service: &[i64],
) -> Option<(Vec<DateTime<Utc>>, i64)> {
    let mut t = departure;
    let mut prev = 0;
    let mut etas = Vec::with_capacity(order.len());
    let mut ride = 0i64;
    for &p in order {
        let d = i64::from(m.duration_s(prev, p)?);
        ride += d;
        t += Duration::seconds(d);
        let (start, end) = windows[p - 1];
        if t < start {
            t = start;
        }
        if t > end {
            return None;
        }
        etas.push(t);
        t += Duration::seconds(service[p - 1]);
        prev = p;
    }
    Some((etas, ride))
}

impl Dispatch {
    /// Place one urgent `ready` order: into a job not yet picked up, or as its own job.
    pub async fn dispatch_urgent(&self, id: OrderId) -> Result<UrgentOutcome> {
        let Some(roads) = self.roads.clone() else {
            return Ok(UrgentOutcome::Skipped);
        };
        let order = self.store.order(id, None).await?;
        let Some(drop) = order.location else {
            return Ok(UrgentOutcome::Skipped);
        };
        if order.status != OrderStatus::Ready {
            return Ok(UrgentOutcome::Skipped);
        }
        let site = self.store.site(order.site_id).await?;
        let now = store::now();
        let jobs = self
            .store
            .jobs(&JobFilter {
                site: Some(order.site_id),
                limit: 500,
                ..JobFilter::default()
            })
            .await?;
        // (detour, job, insertion position, new etas)
        let mut best: Option<(i64, JobRow, usize, Vec<DateTime<Utc>>)> = None;
        for job in jobs.into_iter().filter(|j| {
            matches!(
                j.status,
                JobStatus::Offered | JobStatus::Accepted | JobStatus::CourierAssigned
            ) && j.departure > now
        }) {
            let Some(partner_id) = job.partner_id else {
                continue;
            };
            let partner = self.store.partner(partner_id).await?;
            if partner.kind != crate::domain::PartnerKind::Webhook {
                // Only webhook partners accept a changed job; an own-fleet courier's route
                // stays as it was shared with them, and the order gets its own job.
                continue;
            }
            let (_, stops) = self.store.job(job.id).await?;
            if stops.iter().any(|s| s.order_id == order.id) {
                // This job's partner already refused this order.
                continue;
            }
            let mut live: Vec<(StopRow, Order)> = Vec::new();
            for s in stops
                .into_iter()
                .filter(|s| s.status != StopStatus::Removed)
            {
                let o = self.store.order(s.order_id, None).await?;
                live.push((s, o));
            }
            let c = &partner.capabilities;
            let load = job.load + order.meal_tins.max(order.parcels).max(1);
            if live.len() + 1 > c.max_stops as usize
                || load > i64::from(c.capacity)
                || (order.cold_chain_max_minutes.is_some() && !c.cold_box)
                || (order.controlled && !c.controlled_handover)
            {
                continue;
            }
            let mut points: Vec<LatLon> = vec![site.location];
            let mut windows = Vec::new();
            let mut service = Vec::new();
            for (_, o) in &live {
                points.push(o.location.unwrap_or(site.location));
                windows.push((o.window.start(), o.window.end()));
                service.push(o.service_s);
            }
            points.push(drop);
            windows.push((order.window.start(), order.window.end()));
            service.push(order.service_s);
            let roads = roads.clone();
            let Ok(Ok(m)) = tokio::task::spawn_blocking(move || roads.matrix(&points)).await else {
                continue;
            };
            let n = live.len();
            let current: Vec<usize> = (1..=n).collect();
            let Some((_, base)) = schedule(&m, &current, job.departure, &windows, &service) else {
                continue;
            };
            for pos in 0..=n {
                let mut seq = current.clone();
                seq.insert(pos, n + 1);
                if let Some((etas, ride)) = schedule(&m, &seq, job.departure, &windows, &service) {
                    let detour = ride - base;
                    if best.as_ref().is_none_or(|b| detour < b.0) {
                        best = Some((detour, job.clone(), pos, etas));
                    }
                }
            }
        }
        if let Some((detour, job, pos, etas)) = best
            && self.insert_stop(&order, &job, pos, &etas, now).await?
        {
            tracing::info!(order = %id, job = %job.id, detour_s = detour, "urgent order inserted");
            return Ok(UrgentOutcome::Inserted {
                job: job.id,
                detour_s: detour,
            });
        }
        let req = PlanRequest {
            site_id: Some(order.site_id),
            date: None,
            time_limit: std::time::Duration::from_millis(300),
            seed: 1,
            ready_before: None,
        };
        self.run_plan(&scheduler(), req, "urgent").await?;
        Ok(UrgentOutcome::OwnJob)
    }

    /// Add `order` to `job` at `pos` in one transaction; false when the job changed meanwhile.
    async fn insert_stop(
        &self,
        order: &Order,
        job: &JobRow,
        pos: usize,
        etas: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let actor = "admin:scheduler";
        let mut tx = self.store.begin().await?;
        let mut locked = sj::lock_job(&mut tx, job.id, now).await?;
        let stops: Vec<StopRow> = sj::stops_in(&mut tx, job.id)
            .await?
            .into_iter()
            .filter(|s| s.status != StopStatus::Removed)
            .collect();
        let fresh = store::orders::order_in(&mut tx, order.id, None).await?;
        if locked.status != job.status
            || locked.partner_id != job.partner_id
            || stops.len() + 1 != etas.len()
            || fresh.status != OrderStatus::Ready
        {
            return Ok(false);
        }
        let Some(partner_id) = locked.partner_id else {
            return Ok(false);
        };
        let new_stop = StopRow {
            id: Uuid::now_v7(),
            job_id: job.id,
            position: pos as i64,
            order_id: order.id,
            parcel_code: parcel_code(order).as_str().to_owned(),
            eta: etas[pos],
            status: StopStatus::Pending,
            proof: None,
            fail_reason: None,
            note: None,
            updated_at: now,
        };
        for (i, mut s) in stops.into_iter().enumerate() {
            let at = if i < pos { i } else { i + 1 };
            s.position = at as i64;
            s.eta = etas[at];
            s.updated_at = now;
            sj::update_stop(&mut tx, &s).await?;
        }
        sj::insert_stop(&mut tx, &new_stop).await?;
        for to in [OrderStatus::Planned, OrderStatus::Offered] {
            let from = if to == OrderStatus::Planned {
                OrderStatus::Ready
            } else {
                OrderStatus::Planned
            };
            store::orders::set_status(
                &mut tx,
                order.id,
                from,
                to,
                &format!("urgent: added to job {}", job.id),
                actor,
            )
            .await?;
        }
        // Any undecided offer is replaced by the new one.
        for o in sj::offers_of_job_in(&mut tx, job.id).await? {
            if o.status == OfferStatus::Pending {
                sj::decide_offer(
                    &mut tx,
                    o.id,
                    OfferStatus::Withdrawn,
                    Some("stops changed"),
                    now,
                )
                .await?;
            }
        }
        let partner = store::partners::partner_in(&mut tx, partner_id).await?;
        let expires_at = now + Duration::seconds(partner.offer_timeout_s.max(1));
        let offer = OfferRow {
            id: Uuid::now_v7(),
            job_id: job.id,
            partner_id,
            round: locked.round,
            status: OfferStatus::Pending,
            offered_at: now,
            expires_at,
            decided_at: None,
            reason: None,
            added_stops: vec![new_stop.id],
        };
        sj::insert_offer(&mut tx, &offer).await?;
        let live = super::jobs::live_stops(&mut tx, job.id).await?;
        super::jobs::refresh_needs(&mut locked, &live);
        locked.updated_at = now;
        sj::update_job(&mut tx, &locked).await?;
        super::jobs::queue(
            &mut tx,
            partner_id,
            OutboundEvent::JobUpdated(JobUpdated {
                job_id: JobId(job.id),
                offer_id: OfferId(offer.id),
                offer_expires_at: expires_at,
                added_stop_ids: vec![StopId(new_stop.id)],
                removed_stop_ids: Vec::new(),
                stops: super::jobs::wire_stops(&live),
                fare_cap_idr: Some(super::jobs::round_fare(super::jobs::fare_for(
                    &partner,
                    locked.distance_m,
                ))),
            }),
            now,
        )
        .await?;
        tx.commit().await?;
        self.outbox_notify.notify_one();
        Ok(true)
    }

    /// The partner refused (or let lapse) a change that added stops to a job it holds: the job
    /// goes on as before and the added orders wait for their own job.
    pub(crate) async fn undo_added_stops_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        offer: &OfferRow,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for s in sj::stops_in(&mut *conn, offer.job_id).await? {
            if !offer.added_stops.contains(&s.id) || s.status != StopStatus::Pending {
                continue;
            }
            let mut s = s;
            s.status = StopStatus::Removed;
            s.updated_at = now;
            sj::update_stop(&mut *conn, &s).await?;
            let o = store::orders::order_in(&mut *conn, s.order_id, None).await?;
            if o.status.is_before_pickup() && o.status.can_become(OrderStatus::Ready, o.kind) {
                store::orders::set_status(
                    &mut *conn,
                    o.id,
                    o.status,
                    OrderStatus::Ready,
                    "the partner did not take the added stop; it gets its own job",
                    "admin:scheduler",
                )
                .await?;
            }
        }
        Ok(())
    }
}
