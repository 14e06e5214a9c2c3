//! Jobs: stored planning runs, offers to partners with failover, offer expiry, and what staff
//! do with jobs (look, re-queue, offer again).
//!
//! A planning run stores the plan, its jobs and stops, moves the orders to `planned` and makes
//! the first offer of every job, all in one transaction; each offer's `job.offered` is queued in
//! the outbox in that same transaction, so a crash either loses the whole run (the orders are
//! still `ready` for the next one) or keeps all of it. An offer goes to the best partner that can
//! take the job (capabilities, capacity, stops, service area), by rank and then by estimated fare;
//! one that is rejected or not accepted by `offer_expires_at` goes to the next partner; when every
//! partner has declined, the job is flagged for staff with the reasons and an alert.
//! Must not depend on `api`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::adapters::{AdapterOutcome, OfferContext};
use super::planning::{PlanPreview, PlanRequest};
use super::{Dispatch, DispatchError, Result, require};
use crate::domain::records::{Order, Partner, Site};
use crate::domain::{
    AlertKind, JobStatus, OfferStatus, OrderId, OrderKind, OrderStatus, PartnerId, PartnerKind,
    PlanId, Principal, RecipientId, Role, SiteId, StopStatus, TimeWindow,
};
use crate::store::jobs::{self as sj, AlertRow, JobRow, OfferRow, PlanRow, StopRow};
use crate::store::outbox::{NewEvent, enqueue};
use crate::store::{self, audit};
use crate::webhooks::outbound::{
    CancelReason, Envelope, Handling, Handover, JobCancelled, JobId, JobOffered, JobUpdated,
    OfferId, OfferWithdrawn, OutboundEvent, ParcelCode, Pickup, RecipientLabel, Stop, StopId,
    WithdrawReason,
};

/// The code written on an order's parcel: `OB-` (obat, medicine) or `MK-` (makan, meal) and six
/// characters from the order id. Stable, so the label printed at the pharmacy matches the offer.
pub fn parcel_code(order: &Order) -> ParcelCode {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let prefix = match order.kind {
        OrderKind::Medicine => "OB",
        OrderKind::Meal => "MK",
    };
    // The low bits of a v7 id are random.
    let mut n = order.id.0.as_u128();
    let mut code = String::with_capacity(9);
    code.push_str(prefix);
    code.push('-');
    for _ in 0..6 {
        code.push(char::from(ALPHABET[(n & 31) as usize]));
        n >>= 5;
    }
    ParcelCode::parse(&code).expect("prefix, dash and 6 characters from A-Z2-9 make a valid code")
}

/// The outcome of a stored planning run.
#[derive(Debug, Clone)]
pub struct PlanCommitted {
    /// The stored plan.
    pub plan_id: PlanId,
    /// The routes and the orders left out, as planned.
    pub preview: PlanPreview,
    /// Jobs stored, in route order.
    pub jobs: Vec<Uuid>,
    /// Jobs offered to a partner.
    pub offered: usize,
    /// Jobs no partner can take (flagged for staff).
    pub flagged: usize,
}

/// A job with everything staff see about it.
#[derive(Debug, Clone)]
pub struct JobDetail {
    /// The job.
    pub job: JobRow,
    /// Its stops, in riding order.
    pub stops: Vec<StopRow>,
    /// Its offers, oldest first.
    pub offers: Vec<OfferRow>,
    /// For a job one of our couriers holds: the courier's link (`/kurir/{token}`) to share.
    pub courier_link: Option<String>,
    /// Bookings with booking-API partners, oldest first.
    pub bookings: Vec<crate::store::bookings::BookingRow>,
}

/// Round a fare up to the next 500 rupiah.
pub(crate) fn round_fare(idr: f64) -> u32 {
    ((idr / 500.0).ceil() * 500.0).clamp(0.0, f64::from(u32::MAX)) as u32
}

/// A partner's fare for a job of `distance_m`.
pub fn fare_for(p: &Partner, distance_m: f64) -> f64 {
    let fare = f64::from(p.fare.base_idr) + f64::from(p.fare.per_km_idr) * distance_m / 1000.0;
    p.fare.cap_idr.map_or(fare, |c| fare.min(f64::from(c)))
}

/// Why a partner cannot take a job, if it cannot.
fn unfit(p: &Partner, job: &JobRow, site: &Site, stops: &[(StopRow, Order)]) -> Option<String> {
    let c = &p.capabilities;
    if job.needs_cold_box && !c.cold_box {
        return Some("no cold box".into());
    }
    if job.needs_controlled && !c.controlled_handover {
        return Some("no PIN handover for controlled medicine".into());
    }
    if p.kind == PartnerKind::BookingApi {
        // One booking per stop: the limits hold per booking.
        let most = stops
            .iter()
            .map(|(_, o)| o.meal_tins.max(o.parcels).max(1))
            .max()
            .unwrap_or(0);
        if most > i64::from(c.capacity) {
            return Some(format!("load {most} to one drop, capacity {}", c.capacity));
        }
    } else {
        if stops.len() > c.max_stops as usize {
            return Some(format!("{} stops, at most {}", stops.len(), c.max_stops));
        }
        if job.load > i64::from(c.capacity) {
            return Some(format!("load {}, capacity {}", job.load, c.capacity));
        }
    }
    if let Some(area) = &p.service_area {
        let outside = !area.contains(site.location)
            || stops
                .iter()
                .any(|(_, o)| o.location.is_some_and(|l| !area.contains(l)));
        if outside {
            return Some("outside its service area".into());
        }
    }
    None
}

fn event_id() -> String {
    format!("msg_{}", Uuid::now_v7().simple())
}

/// Queue an outbound event for a partner in the caller's transaction.
pub(crate) async fn queue(
    conn: &mut sqlx::AnyConnection,
    partner: PartnerId,
    event: OutboundEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    if store::partners::partner_in(&mut *conn, partner).await?.kind != PartnerKind::Webhook {
        // Only webhook partners are told by webhook; an own-fleet courier reads the link.
        return Ok(());
    }
    let e = NewEvent {
        event_id: event_id(),
        partner_id: partner,
        job_id: Some(event.job_id().to_string()),
        event_type: event.type_name().to_owned(),
        deadline: event.deadline(),
        body: String::from_utf8(
            Envelope {
                timestamp: now,
                event,
            }
            .to_body(),
        )
        .map_err(|e| DispatchError::Internal(e.to_string()))?,
    };
    enqueue(conn, &e, now).await?;
    Ok(())
}

/// Call a job off: every order left it before pickup.
async fn cancel_job_in(
    conn: &mut sqlx::AnyConnection,
    job: &mut JobRow,
    now: DateTime<Utc>,
) -> Result<()> {
    job.status = JobStatus::Cancelled;
    job.updated_at = now;
    sj::update_job(&mut *conn, job).await?;
    // A booking company's drivers are called off at once.
    store::bookings::call_off(&mut *conn, store::bookings::CallOff::Job(job.id), now).await?;
    sj::close_job_alerts(
        &mut *conn,
        job.id,
        "system:jobs",
        "every order was cancelled",
        now,
    )
    .await?;
    Ok(())
}

/// The live stops of a job with their orders.
pub(crate) async fn live_stops(
    conn: &mut sqlx::AnyConnection,
    job: Uuid,
) -> Result<Vec<(StopRow, Order)>> {
    let mut out = Vec::new();
    for s in sj::stops_in(&mut *conn, job).await? {
        if s.status == StopStatus::Removed {
            continue;
        }
        let o = store::orders::order_in(&mut *conn, s.order_id, None).await?;
        out.push((s, o));
    }
    Ok(out)
}

/// Recompute what a job needs from its live stops.
pub(crate) fn refresh_needs(job: &mut JobRow, stops: &[(StopRow, Order)]) {
    job.needs_cold_box = stops
        .iter()
        .any(|(_, o)| o.cold_chain_max_minutes.is_some());
    job.needs_controlled = stops.iter().any(|(_, o)| o.controlled);
    job.load = stops
        .iter()
        .map(|(_, o)| o.meal_tins.max(o.parcels).max(1))
        .sum();
}

/// The courier-safe stop list of a job.
pub(crate) fn wire_stops(stops: &[(StopRow, Order)]) -> Vec<Stop> {
    stops
        .iter()
        .filter_map(|(s, o)| {
            let location = o.location?;
            Some(Stop {
                stop_id: StopId(s.id),
                location,
                address: o.address.clone(),
                landmark: (!o.landmark.is_empty()).then(|| o.landmark.clone()),
                recipient_label: RecipientLabel::from_name(
                    &o.recipient_name,
                    crate::webhooks::outbound::Gender::Unknown,
                ),
                contact_phone: o.phone.clone(),
                window: o.window,
                parcel_code: ParcelCode::parse(&s.parcel_code).unwrap_or_else(|_| parcel_code(o)),
                parcel_count: u32::try_from(o.meal_tins.max(o.parcels).max(1)).unwrap_or(1),
                handover: if o.controlled {
                    Handover::Pin
                } else {
                    Handover::InPerson
                },
            })
        })
        .collect()
}

pub(crate) fn handling(stops: &[(StopRow, Order)]) -> Handling {
    Handling {
        cold_chain_max_minutes: stops
            .iter()
            .filter_map(|(_, o)| o.cold_chain_max_minutes)
            .min()
            .and_then(|m| u32::try_from(m).ok()),
        handover: if stops.iter().any(|(_, o)| o.controlled) {
            Handover::Pin
        } else {
            Handover::InPerson
        },
    }
}

pub(crate) fn pickup(site: &Site, job: &JobRow) -> Pickup {
    let start = job.departure - Duration::minutes(15);
    let end = job.departure + Duration::minutes(15);
    Pickup {
        site_name: site.name.clone(),
        location: site.location,
        window: TimeWindow::new(start, end).expect("start is before end"),
        desk_phone: site.phone.clone(),
    }
}

/// Move every listed order that is in `from` to `to`, in bulk.
pub(crate) async fn move_orders(
    conn: &mut sqlx::AnyConnection,
    stops: &[(StopRow, Order)],
    from: OrderStatus,
    to: OrderStatus,
    reason: &str,
    actor: &str,
) -> Result<()> {
    let ids: Vec<OrderId> = stops
        .iter()
        .filter(|(_, o)| o.status == from && from.can_become(to, o.kind))
        .map(|(_, o)| o.id)
        .collect();
    if !ids.is_empty() {
        store::orders::set_status_many(&mut *conn, &ids, from, to, reason, actor).await?;
    }
    Ok(())
}

impl Dispatch {
    /// Plan the ready orders and store the plan: jobs, stops and the first offer of each job,
    /// in one transaction. `origin` is `wave`, `on_demand` or `urgent`.
    pub async fn run_plan(
        &self,
        who: &Principal,
        req: PlanRequest,
        origin: &'static str,
    ) -> Result<PlanCommitted> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let site_id = who.site_scope().or(req.site_id);
        let preview = self.preview_plan(who, req).await?;
        let now = store::now();
        let actor = who.actor();
        let plan_id = PlanId::new();
        let mut tx = self.store.begin().await?;
        let mut unplanned: Vec<serde_json::Value> = preview
            .unplanned
            .iter()
            .map(|u| json!({"order_id": u.order_id, "code": u.code, "reason": u.reason}))
            .collect();
        let mut jobs = Vec::new();
        let (mut offered, mut flagged) = (0, 0);
        let mut job_rows = Vec::new();
        // Per meal route: its standing route (if any), site and recipients in visiting order.
        let mut meal_routes: Vec<(Option<Uuid>, SiteId, Vec<RecipientId>)> = Vec::new();
        // Every planned order moves `ready → planned` in bulk; one that changed while the
        // solver ran (cancelled, planned elsewhere) stays out.
        let all: Vec<OrderId> = preview
            .routes
            .iter()
            .flat_map(|r| r.stops.iter().map(|s| s.order_id))
            .collect();
        let moved: HashSet<OrderId> = store::orders::set_status_many(
            &mut tx,
            &all,
            OrderStatus::Ready,
            OrderStatus::Planned,
            &format!("plan {plan_id}"),
            &actor,
        )
        .await?
        .into_iter()
        .collect();
        let mut loaded: HashMap<OrderId, Order> = store::orders::orders_in(&mut tx, &all)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        for route in &preview.routes {
            let job_id = Uuid::now_v7();
            let mut kept = Vec::new();
            for (i, stop) in route.stops.iter().enumerate() {
                let Some(o) = loaded.remove(&stop.order_id) else {
                    continue;
                };
                if !moved.contains(&o.id) {
                    unplanned.push(json!({"order_id": o.id, "code": "changed_while_planning",
                        "reason": format!("the order became {} while the plan was computed", o.status)}));
                    continue;
                }
                let s = StopRow {
                    id: Uuid::now_v7(),
                    job_id,
                    position: i as i64,
                    order_id: o.id,
                    parcel_code: parcel_code(&o).as_str().to_owned(),
                    eta: stop.eta,
                    status: StopStatus::Pending,
                    proof: None,
                    fail_reason: None,
                    note: None,
                    updated_at: now,
                };
                kept.push((s, o));
            }
            if kept.is_empty() {
                continue;
            }
            let recipients: Vec<RecipientId> = kept
                .iter()
                .filter(|(_, o)| o.kind == OrderKind::Meal)
                .filter_map(|(_, o)| o.recipient_id)
                .collect();
            if !recipients.is_empty() {
                meal_routes.push((route.standing_route, route.site_id, recipients));
            }
            let mut job = JobRow {
                id: job_id,
                plan_id,
                site_id: route.site_id,
                kind: kept[0].1.kind,
                status: JobStatus::Offered,
                partner_id: None,
                departure: route.departure,
                distance_m: route.distance_m,
                duration_s: route.duration_s,
                fare_idr: route.fare_idr,
                geometry: route.geometry.clone(),
                needs_cold_box: false,
                needs_controlled: false,
                load: 0,
                last_seq: 0,
                round: 1,
                courier: None,
                courier_location: None,
                flagged_at: None,
                flag_reason: None,
                created_at: now,
                updated_at: now,
            };
            refresh_needs(&mut job, &kept);
            job_rows.push((job, kept, route.courier));
        }
        sj::insert_plan(
            &mut tx,
            &PlanRow {
                id: plan_id,
                site_id,
                origin: origin.to_owned(),
                orders: preview.orders as i64,
                routes: job_rows.len() as i64,
                unplanned: serde_json::Value::Array(unplanned),
                cost_idr: preview.cost_idr,
                one_trip_per_order_idr: preview.one_trip_per_order_idr,
                matrix_ms: preview.matrix_ms as i64,
                solve_ms: preview.solve_ms as i64,
                stops_moved: preview.changes.len() as i64,
                changes: serde_json::to_value(&preview.changes).unwrap_or_default(),
                created_by: actor.clone(),
                created_at: now,
            },
        )
        .await?;
        // Jobs the planner gave to one of our couriers are offered first, so a job planned for
        // any courier does not take a courier the plan has a trip for.
        job_rows.sort_by_key(|(_, _, courier)| courier.is_none());
        for (mut job, kept, courier) in job_rows {
            sj::insert_job(&mut tx, &job).await?;
            // The courier the planner gave the route to (own fleet): the fleet assigns them.
            if courier.is_some() {
                store::couriers::set_job_courier(&mut tx, job.id, courier).await?;
            }
            let stops: Vec<StopRow> = kept.iter().map(|(s, _)| s.clone()).collect();
            sj::insert_stops(&mut tx, &stops).await?;
            if self
                .offer_next_with(&mut tx, &mut job, Some(kept), now, &actor)
                .await?
            {
                offered += 1;
            } else {
                flagged += 1;
            }
            jobs.push(job.id);
        }
        keep_standing_routes(&mut tx, &meal_routes, now).await?;
        audit::record(
            &mut tx,
            &actor,
            "plan",
            "plan",
            Some(&plan_id.to_string()),
            &json!({"origin": origin, "jobs": jobs.len(), "offered": offered, "flagged": flagged}),
        )
        .await?;
        tx.commit().await?;
        self.outbox_notify.notify_one();
        tracing::info!(%plan_id, jobs = jobs.len(), offered, flagged, origin, "plan stored");
        Ok(PlanCommitted {
            plan_id,
            preview,
            jobs,
            offered,
            flagged,
        })
    }

    /// Offer a job (already locked or new in this transaction) to the best partner not yet
    /// tried; when none is left, flag it for staff. Returns whether an offer was made.
    pub(crate) async fn offer_next_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<bool> {
        self.offer_next_with(conn, job, None, now, actor).await
    }

    /// [`Self::offer_next_in`] with the job's live stops and orders already at hand.
    async fn offer_next_with(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        stops: Option<Vec<(StopRow, Order)>>,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<bool> {
        let stops = match stops {
            Some(s) => s,
            None => live_stops(&mut *conn, job.id).await?,
        };
        let site = store::sites::site_in(&mut *conn, job.site_id).await?;
        let offers: Vec<OfferRow> = sj::offers_of_job_in(&mut *conn, job.id)
            .await?
            .into_iter()
            .filter(|o| o.round == job.round)
            .collect();
        let tried: HashSet<PartnerId> = offers.iter().map(|o| o.partner_id).collect();
        let partners = store::partners::offerable_partners_in(&mut *conn).await?;
        let mut reasons: Vec<String> = offers
            .iter()
            .map(|o| {
                let why = match o.status {
                    OfferStatus::Rejected => format!(
                        "declined ({})",
                        o.reason.as_deref().unwrap_or("no reason given")
                    ),
                    OfferStatus::Expired => "did not answer in time".to_owned(),
                    other => other.as_str().to_owned(),
                };
                let name = partners
                    .iter()
                    .find(|p| p.id == o.partner_id)
                    .map_or_else(|| o.partner_id.to_string(), |p| p.name.clone());
                format!("{name}: {why}")
            })
            .collect();
        let mut candidates: Vec<(&Partner, f64)> = Vec::new();
        for p in &partners {
            if tried.contains(&p.id) {
                continue;
            }
            if let Some(why) = unfit(p, job, &site, &stops) {
                reasons.push(format!("{}: {why}", p.name));
                continue;
            }
            candidates.push((p, fare_for(p, job.distance_m)));
        }
        candidates.sort_by(|(a, af), (b, bf)| {
            (a.rank, af)
                .partial_cmp(&(b.rank, bf))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        // The best partner first; one whose adapter declines at once (no courier of ours is
        // free) is recorded as a rejected offer and the next one is asked in the same breath.
        for (partner, fare) in candidates {
            let ctx = OfferContext {
                site: &site,
                stops: &stops,
                fare,
                now,
                actor,
            };
            match self
                .offer_through_adapter(&mut *conn, job, partner, ctx)
                .await?
            {
                AdapterOutcome::Offered | AdapterOutcome::Assigned => return Ok(true),
                AdapterOutcome::Declined(why) => {
                    reasons.push(format!("{}: declined ({why})", partner.name));
                }
            }
        }
        job.status = JobStatus::Expired;
        job.partner_id = None;
        job.flagged_at = Some(now);
        let reason = if reasons.is_empty() {
            "no partner is configured to take jobs".to_owned()
        } else {
            reasons.join("; ")
        };
        job.flag_reason = Some(reason.clone());
        job.updated_at = now;
        sj::update_job(&mut *conn, job).await?;
        let mut alert = AlertRow::open(
            AlertKind::JobUnassigned,
            "all_partners_declined",
            reason,
            now,
        );
        alert.site_id = Some(job.site_id);
        alert.job_id = Some(job.id);
        sj::insert_alert(&mut *conn, &alert).await?;
        Ok(false)
    }

    /// The webhook adapter: a pending offer and its `job.offered` in the outbox (only webhook
    /// partners are sent events; see [`queue`]). Returns the offer's id.
    pub(crate) async fn offer_by_webhook_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        partner: &Partner,
        ctx: OfferContext<'_>,
    ) -> Result<Uuid> {
        let OfferContext {
            site,
            stops,
            fare,
            now,
            actor,
        } = ctx;
        // A booking company is asked when the job is booked, so its answer is due from then.
        let asked = if partner.kind == PartnerKind::BookingApi {
            super::bookings::book_at(job.departure, now)
        } else {
            now
        };
        let expires_at = asked + Duration::seconds(partner.offer_timeout_s.max(1));
        let offer = OfferRow {
            id: Uuid::now_v7(),
            job_id: job.id,
            partner_id: partner.id,
            round: job.round,
            status: OfferStatus::Pending,
            offered_at: now,
            expires_at,
            decided_at: None,
            reason: None,
            added_stops: Vec::new(),
        };
        sj::insert_offer(&mut *conn, &offer).await?;
        job.status = JobStatus::Offered;
        job.partner_id = Some(partner.id);
        job.flagged_at = None;
        job.flag_reason = None;
        job.updated_at = now;
        sj::update_job(&mut *conn, job).await?;
        move_orders(
            &mut *conn,
            stops,
            OrderStatus::Planned,
            OrderStatus::Offered,
            &format!("offered to {}", partner.name),
            actor,
        )
        .await?;
        let event = OutboundEvent::JobOffered(JobOffered {
            job_id: JobId(job.id),
            offer_id: OfferId(offer.id),
            offer_expires_at: expires_at,
            kind: job.kind,
            handling: handling(stops),
            pickup: pickup(site, job),
            stops: wire_stops(stops),
            fare_cap_idr: Some(round_fare(fare)),
        });
        queue(&mut *conn, partner.id, event, now).await?;
        Ok(offer.id)
    }

    /// Apply a partner's decision on an offer inside the caller's transaction (the job is
    /// locked here). A late acceptance is refused with `offer_expired`; a rejection moves the
    /// job to the next partner. Deciding the same way twice is harmless.
    pub(crate) async fn decide_offer_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        partner: PartnerId,
        answer: OfferAnswer<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let OfferAnswer {
            job_id,
            offer_id,
            accept,
            reason,
        } = answer;
        let mut job = sj::lock_job(&mut *conn, job_id, now)
            .await
            .map_err(|_| DispatchError::NotFound("job"))?;
        let offer = sj::offer_in(&mut *conn, offer_id)
            .await
            .map_err(|_| DispatchError::NotFound("offer"))?;
        if offer.job_id != job_id || offer.partner_id != partner {
            return Err(DispatchError::NotFound("offer"));
        }
        let actor = format!("partner:{partner}");
        match (offer.status, accept) {
            (OfferStatus::Accepted, true) | (OfferStatus::Rejected, false) => return Ok(()),
            (OfferStatus::Pending, _) if now >= offer.expires_at => {
                self.expire_offer_in(&mut *conn, &mut job, &offer, now)
                    .await?;
                return if accept {
                    Err(offer_expired(offer.expires_at))
                } else {
                    Ok(())
                };
            }
            (OfferStatus::Pending, _) => {}
            (OfferStatus::Expired | OfferStatus::Withdrawn, true) => {
                return Err(offer_expired(offer.expires_at));
            }
            (_, false) => return Ok(()),
            (OfferStatus::Rejected, true) => {
                return Err(DispatchError::Conflict {
                    code: "offer_rejected",
                    detail: "this offer was already rejected".into(),
                });
            }
        }
        if accept {
            sj::decide_offer(&mut *conn, offer.id, OfferStatus::Accepted, None, now).await?;
            if !job.status.is_held() {
                job.status = JobStatus::Accepted;
            }
            job.partner_id = Some(partner);
            job.updated_at = now;
            sj::update_job(&mut *conn, &job).await?;
            let stops = live_stops(&mut *conn, job.id).await?;
            move_orders(
                &mut *conn,
                &stops,
                OrderStatus::Offered,
                OrderStatus::Assigned,
                "partner accepted the job",
                &actor,
            )
            .await?;
        } else {
            sj::decide_offer(&mut *conn, offer.id, OfferStatus::Rejected, reason, now).await?;
            if job.status.is_held() {
                // A refused update of a held job: it goes on as it was before.
                self.undo_added_stops_in(&mut *conn, &offer, now).await?;
                return Ok(());
            }
            self.offer_next_in(&mut *conn, &mut job, now, &actor)
                .await?;
        }
        Ok(())
    }

    async fn expire_offer_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        job: &mut JobRow,
        offer: &OfferRow,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if !sj::decide_offer(
            &mut *conn,
            offer.id,
            OfferStatus::Expired,
            Some("no answer before offer_expires_at"),
            now,
        )
        .await?
        {
            return Ok(());
        }
        queue(
            &mut *conn,
            offer.partner_id,
            OutboundEvent::OfferWithdrawn(OfferWithdrawn {
                job_id: JobId(job.id),
                offer_id: OfferId(offer.id),
                reason: WithdrawReason::Expired,
            }),
            now,
        )
        .await?;
        if job.status == JobStatus::Offered {
            self.offer_next_in(&mut *conn, job, now, "system:offers")
                .await?;
        }
        Ok(())
    }

    /// Expire every pending offer whose time is up and offer those jobs to the next partner.
    /// Returns how many offers expired. Safe to run on several instances at once.
    pub async fn expire_offers(&self, now: DateTime<Utc>) -> Result<usize> {
        let due = self.store.due_offers(now, 100).await?;
        let mut n = 0;
        for (offer_id, job_id) in due {
            let mut tx = self.store.begin().await?;
            let mut job = sj::lock_job(&mut tx, job_id, now).await?;
            let offer = sj::offer_in(&mut tx, offer_id).await?;
            if offer.status != OfferStatus::Pending {
                continue;
            }
            self.expire_offer_in(&mut tx, &mut job, &offer, now).await?;
            tx.commit().await?;
            n += 1;
        }
        if n > 0 {
            self.outbox_notify.notify_one();
        }
        Ok(n)
    }

    /// The partner's synchronous answer to an offer POST.
    pub async fn apply_offer_reply(
        &self,
        partner: PartnerId,
        job_id: Uuid,
        offer_id: Uuid,
        accept: bool,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let answer = OfferAnswer {
            job_id,
            offer_id,
            accept,
            reason,
        };
        self.decide_offer_in(&mut tx, partner, answer, now).await?;
        tx.commit().await?;
        self.outbox_notify.notify_one();
        Ok(())
    }

    /// Take an order off its job before pickup (it was cancelled): the partner gets
    /// `job.updated`, or `job.cancelled` / `offer.withdrawn` when no stop is left.
    pub(crate) async fn remove_from_job_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        order: &Order,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let Some(mut stop) = sj::live_stop_of_order(&mut *conn, order.id).await? else {
            return Ok(());
        };
        let mut job = sj::lock_job(&mut *conn, stop.job_id, now).await?;
        if !job.status.is_before_pickup() {
            return Ok(());
        }
        stop.status = StopStatus::Removed;
        stop.updated_at = now;
        sj::update_stop(&mut *conn, &stop).await?;
        let stops = live_stops(&mut *conn, job.id).await?;
        if let Some(p) = job.partner_id
            && store::partners::partner_in(&mut *conn, p).await?.kind == PartnerKind::BookingApi
        {
            // One booking per stop: that stop's booking is called off and the others go on
            // under the same offer; nothing to re-offer.
            store::bookings::call_off(&mut *conn, store::bookings::CallOff::Stop(stop.id), now)
                .await?;
            if stops.is_empty() {
                cancel_job_in(&mut *conn, &mut job, now).await?;
            } else {
                refresh_needs(&mut job, &stops);
                job.updated_at = now;
                sj::update_job(&mut *conn, &job).await?;
            }
            return Ok(());
        }
        let offers = sj::offers_of_job_in(&mut *conn, job.id).await?;
        let pending = offers.iter().find(|o| o.status == OfferStatus::Pending);
        if let Some(p) = pending {
            sj::decide_offer(
                &mut *conn,
                p.id,
                OfferStatus::Withdrawn,
                Some("stops changed"),
                now,
            )
            .await?;
        }
        let Some(partner) = job.partner_id else {
            // Flagged (nobody holds it): nothing to tell a partner.
            if stops.is_empty() {
                cancel_job_in(&mut *conn, &mut job, now).await?;
            }
            return Ok(());
        };
        if stops.is_empty() {
            let event = if job.status.is_held() {
                OutboundEvent::JobCancelled(JobCancelled {
                    job_id: JobId(job.id),
                    reason: CancelReason::OrdersCancelled,
                })
            } else {
                OutboundEvent::OfferWithdrawn(OfferWithdrawn {
                    job_id: JobId(job.id),
                    offer_id: OfferId(pending.map_or(Uuid::nil(), |p| p.id)),
                    reason: WithdrawReason::JobCancelled,
                })
            };
            cancel_job_in(&mut *conn, &mut job, now).await?;
            queue(&mut *conn, partner, event, now).await?;
            return Ok(());
        }
        if job.status == JobStatus::Expired {
            refresh_needs(&mut job, &stops);
            sj::update_job(&mut *conn, &job).await?;
            return Ok(());
        }
        // The partner gets the new stop list as a new offer. A removal cannot be refused, so
        // for an accepted job the new offer counts as accepted already.
        refresh_needs(&mut job, &stops);
        let p = store::partners::partner_in(&mut *conn, partner).await?;
        let expires_at = now + Duration::seconds(p.offer_timeout_s.max(1));
        let offer = OfferRow {
            id: Uuid::now_v7(),
            job_id: job.id,
            partner_id: partner,
            round: job.round,
            status: if job.status.is_held() {
                OfferStatus::Accepted
            } else {
                OfferStatus::Pending
            },
            offered_at: now,
            expires_at,
            decided_at: job.status.is_held().then_some(now),
            reason: None,
            added_stops: Vec::new(),
        };
        sj::insert_offer(&mut *conn, &offer).await?;
        job.updated_at = now;
        sj::update_job(&mut *conn, &job).await?;
        queue(
            &mut *conn,
            partner,
            OutboundEvent::JobUpdated(JobUpdated {
                job_id: JobId(job.id),
                offer_id: OfferId(offer.id),
                offer_expires_at: expires_at,
                added_stop_ids: Vec::new(),
                removed_stop_ids: vec![StopId(stop.id)],
                stops: wire_stops(&stops),
                fare_cap_idr: Some(round_fare(fare_for(&p, job.distance_m))),
            }),
            now,
        )
        .await?;
        Ok(())
    }

    /// A job with its stops and offers (staff).
    pub async fn job_detail(&self, who: &Principal, id: Uuid) -> Result<JobDetail> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let (job, stops) = self
            .store
            .job(id)
            .await
            .map_err(|_| DispatchError::NotFound("job"))?;
        if who.site_scope().is_some_and(|s| s != job.site_id) {
            return Err(DispatchError::NotFound("job"));
        }
        let offers = self.store.offers_of_job(id).await?;
        let courier_link = self.courier_link(&job).await?;
        let bookings = self.store.bookings_of_job(id).await?;
        Ok(JobDetail {
            job,
            stops,
            offers,
            courier_link,
            bookings,
        })
    }

    /// Jobs (staff).
    pub async fn list_jobs(&self, who: &Principal, mut f: sj::JobFilter) -> Result<Vec<JobRow>> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        if let Some(s) = who.site_scope() {
            f.site = Some(s);
        }
        Ok(self.store.jobs(&f).await?)
    }

    /// Figures for a local date: delivered on time or late, failed, alerts, offers, cost.
    pub async fn day_report(
        &self,
        who: &Principal,
        date: chrono::NaiveDate,
    ) -> Result<crate::store::reports::DayFigures> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let from = crate::domain::time::local_to_utc(date, chrono::NaiveTime::MIN, self.tz);
        let until = crate::domain::time::local_to_utc(
            date.succ_opt().unwrap_or(date),
            chrono::NaiveTime::MIN,
            self.tz,
        );
        Ok(self.store.day_figures(from, until).await?)
    }

    /// A stored plan (staff).
    pub async fn plan(&self, who: &Principal, id: PlanId) -> Result<(PlanRow, Vec<JobRow>)> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let plan = self
            .store
            .plan(id)
            .await
            .map_err(|_| DispatchError::NotFound("plan"))?;
        let jobs = self
            .store
            .jobs(&sj::JobFilter {
                plan: Some(id),
                site: who.site_scope(),
                limit: 5000,
                ..Default::default()
            })
            .await?;
        Ok((plan, jobs))
    }

    /// Staff handle a job nobody took: `requeue` puts its orders back to `ready` for the next
    /// wave; `retry` offers it again to every partner.
    pub async fn handle_unassigned_job(
        &self,
        who: &Principal,
        id: Uuid,
        action: JobAction,
        note: &str,
    ) -> Result<JobRow> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let now = store::now();
        let actor = who.actor();
        let mut tx = self.store.begin().await?;
        let mut job = sj::lock_job(&mut tx, id, now)
            .await
            .map_err(|_| DispatchError::NotFound("job"))?;
        if who.site_scope().is_some_and(|s| s != job.site_id) {
            return Err(DispatchError::NotFound("job"));
        }
        if job.status != JobStatus::Expired {
            return Err(DispatchError::Conflict {
                code: "job_not_unassigned",
                detail: format!(
                    "the job is {}; only a job nobody took can be handled",
                    job.status
                ),
            });
        }
        match action {
            JobAction::Requeue => {
                let stops = live_stops(&mut tx, job.id).await?;
                for (mut s, o) in stops {
                    if o.status.can_become(OrderStatus::Ready, o.kind)
                        && o.status.is_before_pickup()
                    {
                        store::orders::set_status(
                            &mut tx,
                            o.id,
                            o.status,
                            OrderStatus::Ready,
                            "re-queued by staff",
                            &actor,
                        )
                        .await?;
                    }
                    s.status = StopStatus::Removed;
                    s.updated_at = now;
                    sj::update_stop(&mut tx, &s).await?;
                }
                job.status = JobStatus::Cancelled;
                job.updated_at = now;
                sj::update_job(&mut tx, &job).await?;
            }
            JobAction::Retry => {
                // A new round: every partner may be asked again.
                job.round += 1;
                self.offer_next_in(&mut tx, &mut job, now, &actor).await?;
            }
        }
        sj::close_job_alerts(&mut tx, job.id, &actor, note, now).await?;
        audit::record(
            &mut tx,
            &actor,
            action.as_str(),
            "job",
            Some(&id.to_string()),
            &json!({"note": note}),
        )
        .await?;
        tx.commit().await?;
        self.outbox_notify.notify_one();
        Ok(job)
    }
}

/// A partner's answer to one offer.
#[derive(Debug, Clone, Copy)]
pub struct OfferAnswer<'a> {
    /// The job.
    pub job_id: Uuid,
    /// The offer answered.
    pub offer_id: Uuid,
    /// Accepted (else declined).
    pub accept: bool,
    /// The partner's reason for declining.
    pub reason: Option<&'a str>,
}

/// What staff do with a job nobody took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// Put its orders back for the next planning wave.
    Requeue,
    /// Offer it again to every partner.
    Retry,
}

impl JobAction {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requeue => "requeue",
            Self::Retry => "retry",
        }
    }
}

fn offer_expired(at: DateTime<Utc>) -> DispatchError {
    DispatchError::Conflict {
        code: "offer_expired",
        detail: format!("the offer expired at {at}; it can no longer be accepted"),
    }
}

/// Keep the day's meal routes as the kitchens' standing routes: a route that continues a
/// standing route replaces its stops (recipients not served today keep their place after the
/// stop they used to follow), a new route becomes a new standing route, and a recipient that
/// moved leaves its old route. Sealed routes are not touched.
async fn keep_standing_routes(
    conn: &mut sqlx::AnyConnection,
    meal_routes: &[(Option<Uuid>, SiteId, Vec<RecipientId>)],
    now: DateTime<Utc>,
) -> Result<()> {
    use crate::store::routes::{self as sr, StandingRoute};
    if meal_routes.is_empty() {
        return Ok(());
    }
    let today: HashSet<RecipientId> = meal_routes
        .iter()
        .flat_map(|(_, _, r)| r.iter().copied())
        .collect();
    let mut by_site: HashMap<SiteId, Vec<StandingRoute>> = HashMap::new();
    for (_, site, _) in meal_routes {
        if let std::collections::hash_map::Entry::Vacant(e) = by_site.entry(*site) {
            e.insert(sr::standing_routes_in(&mut *conn, *site).await?);
        }
    }
    let mut saved = Vec::new();
    for (standing, site, recipients) in meal_routes {
        let stored = by_site.get_mut(site).expect("loaded above");
        let old = standing
            .and_then(|id| stored.iter().find(|r| r.id == id))
            .cloned();
        if old.as_ref().is_some_and(|r| r.sealed) {
            continue;
        }
        let route = match old {
            Some(mut r) => {
                r.recipients = merge_absent(recipients, &r.recipients, &today);
                r.updated_at = now;
                r
            }
            None => {
                let n = stored
                    .iter()
                    .filter_map(|r| r.name.strip_prefix("Rute ")?.parse::<u32>().ok())
                    .max()
                    .unwrap_or(0)
                    + 1;
                let r = StandingRoute {
                    id: Uuid::now_v7(),
                    site_id: *site,
                    name: format!("Rute {n}"),
                    sealed: false,
                    sealed_by: None,
                    recipients: recipients.clone(),
                    updated_at: now,
                };
                stored.push(r.clone());
                r
            }
        };
        saved.push(route);
    }
    let moving: Vec<RecipientId> = saved
        .iter()
        .flat_map(|r| r.recipients.iter().copied())
        .collect();
    sr::remove_recipients(&mut *conn, &moving).await?;
    for r in &saved {
        sr::save_standing_route(&mut *conn, r).await?;
    }
    Ok(())
}

/// Today's visiting order, with the route's recipients who were not served today (paused, not
/// their weekday) put back after the stop they used to follow. Recipients served today on
/// another route are dropped.
fn merge_absent(
    today_here: &[RecipientId],
    before: &[RecipientId],
    today_anywhere: &HashSet<RecipientId>,
) -> Vec<RecipientId> {
    let mut out: Vec<RecipientId> = today_here.to_vec();
    let mut anchor: Option<usize> = None;
    for r in before {
        if let Some(i) = out.iter().position(|x| x == r) {
            anchor = Some(i);
        } else if !today_anywhere.contains(r) {
            let at = anchor.map_or(0, |i| i + 1);
            out.insert(at, *r);
            anchor = Some(at);
        }
    }
    out
}
