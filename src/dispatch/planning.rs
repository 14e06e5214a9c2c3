//! Planning runs: the day's ready orders → a travel matrix from the road graph → the planner →
//! courier routes with ETAs, fares and road geometry.
//!
//! This is where `roads` and `planner` meet (they never see each other): this module turns
//! stored orders and sites into points, asks `roads` for a matrix, hands a `planner::Problem`
//! to the solver off the async runtime, and maps the solution back to orders (a preview:
//! `jobs::run_plan` stores it).
//!
//! Meal routes are stable: each kitchen's standing routes (`store::routes`) become single
//! couriers of the problem, every recipient's usual route and place is a wish the planner keeps
//! unless breaking it saves more than a penalty, sealed routes are kept exactly, and the preview
//! lists every stop that moved with a reason.
//! Must not depend on `api`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::{Dispatch, DispatchError, Result, require};
use crate::domain::records::{Order, Site};
use crate::domain::time::local_to_utc;
use crate::domain::{LatLon, OrderId, OrderKind, OrderStatus, PartnerId, Principal, Role, SiteId};
use crate::planner::{
    self, Capabilities, Costs, InitialRoute, Job, Objective, Problem, SolveOptions, Stability,
    UsualPlace, VehicleType,
};
use crate::roads::RoadGraph;
use crate::store::orders::OrderFilter;
pub use crate::store::routes::StandingRoute;

/// Capability bits the planner checks.
const CAP_COLD_BOX: u64 = 1;
const CAP_CONTROLLED: u64 = 2;

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// Only this pickup site (pharmacists are always limited to theirs).
    pub site_id: Option<SiteId>,
    /// Only orders whose window starts on this local date.
    pub date: Option<NaiveDate>,
    /// Solver budget.
    pub time_limit: Duration,
    /// Solver seed (same input and seed, same plan when the budget is not the limit).
    pub seed: u64,
    /// Only orders ready (window opening) before this instant: a wave plans what is ready by
    /// the next wave and leaves later orders for later waves.
    pub ready_before: Option<DateTime<Utc>>,
}

/// Time a partner needs to accept and send a courier: no route leaves sooner after planning.
pub(crate) const LEAD_TIME: chrono::Duration = chrono::Duration::minutes(10);

/// Arrivals are planned this much before a window closes, so a courier who is a little slower
/// than the road graph at every door still arrives in time.
const PROMISE_MARGIN_S: f64 = 10.0 * 60.0;

/// What moving a meal stop to another courier's route costs in the objective (rupiah): about
/// 1.6 km of extra riding at Rp 2,500/km. The same courier seeing the same people is the
/// welfare check, so a route changes only for a real saving or a window it could not keep.
pub const MOVE_PENALTY_IDR: f64 = 4_000.0;

/// Time to reload at the site between two trips, seconds.
pub const RELOAD_S: f64 = 10.0 * 60.0;

/// What visiting a meal stop in another place of its usual route costs (rupiah).
pub const REORDER_PENALTY_IDR: f64 = 1_000.0;

/// A meal stop the plan put somewhere else than its standing route and place.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteChange {
    /// The order.
    pub order_id: OrderId,
    /// `moved` (another route), `reordered` (same route, another place) or `unsealed` (its
    /// sealed route could not be kept today).
    pub change: &'static str,
    /// The standing route it usually rides.
    pub from_route: String,
    /// The route it rides today (a standing route's name, or `new` for a new route).
    pub to_route: String,
    /// Why, for a person.
    pub reason: String,
}

/// One planned stop.
#[derive(Debug, Clone)]
pub struct PlannedStop {
    /// The order.
    pub order_id: OrderId,
    /// Meal or medicine.
    pub kind: OrderKind,
    /// Where.
    pub location: LatLon,
    /// Expected arrival.
    pub eta: DateTime<Utc>,
    /// Expected departure after the handover.
    pub departure: DateTime<Utc>,
}

/// One courier route (a future job).
#[derive(Debug, Clone)]
pub struct PlannedRoute {
    /// Pickup site.
    pub site_id: SiteId,
    /// Leaves the site at.
    pub departure: DateTime<Utc>,
    /// Stops in order.
    pub stops: Vec<PlannedStop>,
    /// Riding distance, metres.
    pub distance_m: f64,
    /// From departure to the last handover, seconds.
    pub duration_s: f64,
    /// Fare estimate, rupiah.
    pub fare_idr: f64,
    /// Road geometry from the site through every stop.
    pub geometry: Vec<LatLon>,
    /// The standing route this route continues, if any.
    pub standing_route: Option<uuid::Uuid>,
    /// Our own courier the planner gave the route to (own fleet), if any.
    pub courier: Option<crate::domain::CourierId>,
    /// Which of the courier's trips this is (0 for the first; later ones leave after a reload).
    pub trip: usize,
}

/// An order the plan leaves out, with a reason a person can read.
#[derive(Debug, Clone)]
pub struct Unplanned {
    /// The order.
    pub order_id: OrderId,
    /// Stable code.
    pub code: String,
    /// Why.
    pub reason: String,
}

/// The outcome of a planning run.
#[derive(Debug, Clone)]
pub struct PlanPreview {
    /// Routes.
    pub routes: Vec<PlannedRoute>,
    /// Orders left out.
    pub unplanned: Vec<Unplanned>,
    /// Ready orders considered.
    pub orders: usize,
    /// Time to build the matrix, ms.
    pub matrix_ms: u128,
    /// Time to solve, ms.
    pub solve_ms: u128,
    /// Total fare estimate, rupiah.
    pub cost_idr: f64,
    /// The same orders as one ride-hailing trip each (base + per km from the site, capped).
    pub one_trip_per_order_idr: f64,
    /// Estimated cost per planned delivery, rupiah.
    pub cost_per_delivery_idr: f64,
    /// One ride-hailing trip per order, per order, rupiah.
    pub one_trip_per_delivery_idr: f64,
    /// Meal stops that left their standing route or place, with reasons.
    pub changes: Vec<RouteChange>,
}

/// One partner's couriers as the planner sees them.
struct Fleet {
    name: String,
    capacity: i64,
    max_stops: usize,
    capabilities: u64,
    base_idr: f64,
    per_km_idr: f64,
    cap_idr: Option<f64>,
    /// Jobs it can still take (its limit less the jobs it holds); `None` for no limit.
    room: Option<usize>,
    /// Its limit and the jobs it holds, for explanations.
    limit: Option<(u32, usize)>,
    /// Our own fleet: the free couriers of each site (each becomes a vehicle of its own, with
    /// its capacity, stops and working hours); `None` for a partner's pooled couriers.
    couriers: Option<HashMap<SiteId, Vec<crate::domain::records::Courier>>>,
}

impl Dispatch {
    /// The active partners' fleets, best rank first; typical ride-hailing motorbikes when there
    /// is no partner yet.
    async fn fleet(&self) -> Result<Vec<Fleet>> {
        let mut active: Vec<_> = self
            .store
            .partners()
            .await?
            .into_iter()
            .filter(|p| p.active)
            .collect();
        if active.is_empty() {
            return Ok(vec![Fleet {
                name: "ride-hailing".into(),
                capacity: 18,
                max_stops: 20,
                capabilities: CAP_COLD_BOX | CAP_CONTROLLED,
                base_idr: 10_000.0,
                per_km_idr: 2_500.0,
                cap_idr: None,
                room: None,
                limit: None,
                couriers: None,
            }]);
        }
        active.sort_by_key(|p| p.rank);
        let held = self.store.held_jobs_by_partner().await?;
        // Free couriers of our own fleet (holding no unfinished job), by site.
        let mut own: HashMap<SiteId, Vec<crate::domain::records::Courier>> = HashMap::new();
        if active
            .iter()
            .any(|p| p.kind == crate::domain::PartnerKind::OwnFleet)
        {
            for site in self.store.sites().await? {
                let free: Vec<_> = self
                    .store
                    .site_couriers(site.id)
                    .await?
                    .into_iter()
                    .filter(|(_, busy)| *busy == 0)
                    .map(|(c, _)| c)
                    .collect();
                if !free.is_empty() {
                    own.insert(site.id, free);
                }
            }
        }
        // A booking API quotes each booking, with surge at busy times: its recent quotes
        // against our estimates for the same jobs scale its fare (1× to 3×).
        let mut surge: HashMap<PartnerId, f64> = HashMap::new();
        let since = crate::clock::now() - chrono::Duration::hours(2);
        for p in active
            .iter()
            .filter(|p| p.kind == crate::domain::PartnerKind::BookingApi)
        {
            let (quoted, estimated) = self.store.recent_quotes(p.id, since).await?;
            if quoted > 0.0 && estimated > 0.0 {
                surge.insert(p.id, (quoted / estimated).clamp(1.0, 3.0));
            }
        }
        Ok(active
            .iter()
            .map(|p| {
                let k = surge.get(&p.id).copied().unwrap_or(1.0);
                let mut caps = 0;
                if p.capabilities.cold_box {
                    caps |= CAP_COLD_BOX;
                }
                if p.capabilities.controlled_handover {
                    caps |= CAP_CONTROLLED;
                }
                let busy = held.get(&p.id).copied().unwrap_or(0);
                let limit = p.capabilities.max_concurrent_jobs;
                Fleet {
                    name: p.name.clone(),
                    capacity: i64::from(p.capabilities.capacity),
                    max_stops: p.capabilities.max_stops as usize,
                    capabilities: caps,
                    base_idr: f64::from(p.fare.base_idr) * k,
                    per_km_idr: f64::from(p.fare.per_km_idr) * k,
                    cap_idr: p.fare.cap_idr.map(|c| f64::from(c) * k),
                    room: limit.map(|m| (m as usize).saturating_sub(busy)),
                    limit: limit.map(|m| (m, busy)),
                    couriers: (p.kind == crate::domain::PartnerKind::OwnFleet).then(|| own.clone()),
                }
            })
            .collect())
    }

    /// Plan the ready orders into courier routes (a preview: nothing is stored or offered).
    pub async fn preview_plan(&self, who: &Principal, req: PlanRequest) -> Result<PlanPreview> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let roads = self.roads.clone().ok_or(DispatchError::Conflict {
            code: "no_road_network",
            detail: "no road network is loaded (roads.graph), so nothing can be planned".into(),
        })?;
        let (from, until) = match req.date {
            Some(d) => (
                Some(local_to_utc(d, NaiveTime::MIN, self.tz)),
                Some(local_to_utc(
                    d.succ_opt().unwrap_or(d),
                    NaiveTime::MIN,
                    self.tz,
                )),
            ),
            None => (None, None),
        };
        let orders = self
            .store
            .orders(&OrderFilter {
                site: who.site_scope().or(req.site_id),
                kind: None,
                status: Some(OrderStatus::Ready),
                from,
                until,
                limit: 20_000,
                offset: 0,
            })
            .await?;
        let sites: HashMap<SiteId, Site> = self
            .store
            .sites()
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let fleet = self.fleet().await?;
        let mut standing: HashMap<SiteId, Vec<StandingRoute>> = HashMap::new();
        for o in orders.iter().filter(|o| o.kind == OrderKind::Meal) {
            if let std::collections::hash_map::Entry::Vacant(e) = standing.entry(o.site_id) {
                e.insert(self.store.standing_routes(o.site_id).await?);
            }
        }
        let orders: Vec<Order> = match req.ready_before {
            Some(t) => orders
                .into_iter()
                .filter(|o| o.window.start() < t)
                .collect(),
            None => orders,
        };
        let n_orders = orders.len();
        let started = Instant::now();
        let tz = self.tz;
        let (preview, matrix_ms, solve_ms) = tokio::task::spawn_blocking(move || {
            plan_blocking(&roads, &orders, &sites, &standing, &fleet, &req, tz)
        })
        .await
        .map_err(|e| DispatchError::Internal(format!("planner: {e}")))??;
        tracing::info!(
            orders = n_orders,
            routes = preview.routes.len(),
            ms = started.elapsed().as_millis() as u64,
            "plan previewed"
        );
        Ok(PlanPreview {
            orders: n_orders,
            matrix_ms,
            solve_ms,
            ..preview
        })
    }
}

impl Dispatch {
    /// A site's standing meal routes (staff of that site, social workers, admins).
    pub async fn standing_routes(
        &self,
        who: &Principal,
        site: SiteId,
    ) -> Result<Vec<StandingRoute>> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        if who.site_scope().is_some_and(|s| s != site) {
            return Err(DispatchError::Forbidden("another site's routes"));
        }
        self.store.site(site).await.map_err(|e| match e {
            crate::store::StoreError::NotFound => DispatchError::NotFound("site"),
            other => other.into(),
        })?;
        Ok(self.store.standing_routes(site).await?)
    }

    /// Seal a standing route (the planner keeps its stops and order exactly, and adds none) or
    /// unseal it. Audited.
    pub async fn seal_standing_route(
        &self,
        who: &Principal,
        id: uuid::Uuid,
        sealed: bool,
    ) -> Result<StandingRoute> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let mut tx = self.store.begin().await?;
        let mut route = crate::store::routes::standing_route_in(&mut tx, id)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound => DispatchError::NotFound("standing route"),
                other => other.into(),
            })?;
        route.sealed = sealed;
        route.sealed_by = sealed.then(|| who.actor());
        route.updated_at = crate::store::now();
        crate::store::routes::save_standing_route(&mut tx, &route).await?;
        crate::store::audit::record(
            &mut tx,
            &who.actor(),
            if sealed { "seal" } else { "unseal" },
            "standing_route",
            Some(&id.to_string()),
            &serde_json::json!({"name": route.name, "stops": route.recipients.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(route)
    }
}

fn at(t0: DateTime<Utc>, seconds: f64) -> DateTime<Utc> {
    t0 + chrono::Duration::milliseconds((seconds * 1000.0).round() as i64)
}

fn plan_blocking(
    roads: &Arc<RoadGraph>,
    orders: &[Order],
    sites: &HashMap<SiteId, Site>,
    standing: &HashMap<SiteId, Vec<StandingRoute>>,
    fleets: &[Fleet],
    req: &PlanRequest,
    tz: chrono_tz::Tz,
) -> Result<(PlanPreview, u128, u128)> {
    let mut unplanned = Vec::new();
    // Points: each pickup site once, then each order's drop.
    let mut points: Vec<LatLon> = Vec::new();
    let mut site_point: HashMap<SiteId, usize> = HashMap::new();
    // (order, its site's point, its drop's point)
    let mut planned: Vec<(&Order, usize, usize)> = Vec::new();
    let mut site_snaps: HashMap<SiteId, bool> = HashMap::new();
    for o in orders {
        let Some(loc) = o.location else { continue };
        let Some(site) = sites.get(&o.site_id) else {
            continue;
        };
        if roads.snap(loc).is_err() {
            unplanned.push(Unplanned {
                order_id: o.id,
                code: "far_from_road".into(),
                reason: format!(
                    "the pin is more than {:.0} m from any ridable road; check the location",
                    roads.snap_limit_m()
                ),
            });
            continue;
        }
        // Each site is snapped once, however many orders it has.
        let site_on_road = *site_snaps
            .entry(site.id)
            .or_insert_with(|| roads.snap(site.location).is_ok());
        if !site_on_road {
            unplanned.push(Unplanned {
                order_id: o.id,
                code: "site_far_from_road".into(),
                reason: format!("the pickup site {} is far from any ridable road", site.name),
            });
            continue;
        }
        let sp = *site_point.entry(site.id).or_insert_with(|| {
            points.push(site.location);
            points.len() - 1
        });
        points.push(loc);
        planned.push((o, sp, points.len() - 1));
    }
    let mut preview = PlanPreview {
        routes: Vec::new(),
        unplanned,
        orders: orders.len(),
        matrix_ms: 0,
        solve_ms: 0,
        cost_idr: 0.0,
        one_trip_per_order_idr: 0.0,
        cost_per_delivery_idr: 0.0,
        one_trip_per_delivery_idr: 0.0,
        changes: Vec::new(),
    };
    if planned.is_empty() {
        return Ok((preview, 0, 0));
    }
    let t = Instant::now();
    let matrix = roads
        .matrix(&points)
        .map_err(|e| DispatchError::Internal(format!("matrix: {e}")))?;
    let matrix_ms = t.elapsed().as_millis();
    // Times are seconds after t0, an hour before the earliest window opens.
    let t0 = planned
        .iter()
        .map(|(o, _, _)| o.window.start())
        .min()
        .unwrap_or_else(Utc::now)
        - chrono::Duration::hours(1);
    let secs = |d: DateTime<Utc>| (d - t0).num_milliseconds() as f64 / 1000.0;
    // No route leaves before the partner can get a courier to the site.
    let earliest = secs(crate::clock::now() + LEAD_TIME).max(0.0);
    let horizon = planned
        .iter()
        .map(|(o, _, _)| secs(o.window.end()))
        .fold(0.0, f64::max)
        + 4.0 * 3600.0;
    let jobs: Vec<Job> = planned
        .iter()
        .map(|(o, sp, drop)| {
            let mut j = Job::new(o.id.to_string(), *drop, 3);
            j.load = vec![o.meal_tins, o.parcels, o.cold_slots];
            j.service = o.service_s as f64;
            let (start, end) = (secs(o.window.start()), secs(o.window.end()));
            j.windows = vec![planner::TimeWindow {
                start,
                end: (end - PROMISE_MARGIN_S).max(start),
            }];
            j.priority = match o.priority {
                crate::domain::Priority::Urgent => planner::Priority::Urgent,
                crate::domain::Priority::Routine => planner::Priority::Routine,
            };
            j.max_transit = o.cold_chain_max_minutes.map(|m| m as f64 * 60.0);
            let mut need = 0;
            if o.cold_chain_max_minutes.is_some() {
                need |= CAP_COLD_BOX;
            }
            if o.controlled {
                need |= CAP_CONTROLLED;
            }
            j.capabilities = Capabilities(need);
            j.start_site = Some(*sp);
            j
        })
        .collect();
    let mut vehicles = Vec::new();
    let mut site_of_vehicle = Vec::new();
    // Our own courier each vehicle stands for (own fleet), if any.
    let mut courier_of_vehicle: Vec<Option<crate::domain::CourierId>> = Vec::new();
    let mut site_points: Vec<(&SiteId, &usize)> = site_point.iter().collect();
    site_points.sort_by_key(|(_, p)| **p);
    // One vehicle type per site and partner; a partner with a limit is one fleet group over
    // every site, so it never gets more routes than it has couriers free. Our own couriers are
    // one vehicle each, in their working hours, and a site's couriers are a group too (so a
    // standing route cloned from one cannot add a courier the kitchen does not have).
    let mut group_limits: Vec<usize> = fleets
        .iter()
        .map(|f| f.room.unwrap_or(usize::MAX))
        .collect();
    // The local day the plan is for: the requested date, else the first window's.
    let day = req.date.unwrap_or_else(|| {
        (t0 + chrono::Duration::hours(1))
            .with_timezone(&tz)
            .date_naive()
    });
    let mut first_of_site: Vec<usize> = Vec::new();
    let mut own_fleet_note: Vec<String> = Vec::new();
    for (site_id, p) in site_points {
        let first = vehicles.len();
        for (fi, fleet) in fleets.iter().enumerate() {
            let mut v = VehicleType::new(format!("courier@{site_id}/{}", fleet.name), *p, 3);
            v.end = None;
            v.capacity = vec![fleet.capacity, fleet.capacity, 4];
            v.shift = planner::TimeWindow {
                start: earliest.min(horizon),
                end: horizon.max(earliest),
            };
            v.max_stops = Some(fleet.max_stops);
            v.capabilities = Capabilities(fleet.capabilities);
            v.fixed_cost = fleet.base_idr;
            v.cost_per_distance = fleet.per_km_idr / 1000.0;
            v.fare_cap = fleet.cap_idr;
            v.count = None;
            v.group = fleet.room.map(|_| fi);
            let Some(couriers) = &fleet.couriers else {
                vehicles.push(v);
                site_of_vehicle.push(*site_id);
                courier_of_vehicle.push(None);
                continue;
            };
            let working: Vec<_> = couriers
                .get(site_id)
                .into_iter()
                .flatten()
                .filter(|c| c.working_days.includes(day) && c.work_start < c.work_end)
                .collect();
            if working.is_empty() {
                continue;
            }
            let g = group_limits.len();
            group_limits.push(working.len());
            own_fleet_note.push(format!(
                "{} of our couriers ride from {} today",
                working.len(),
                sites.get(site_id).map_or("the site", |s| s.name.as_str())
            ));
            for c in working {
                let mut one = v.clone();
                one.id = format!("courier:{}", c.id);
                one.capacity = vec![i64::from(c.capacity), i64::from(c.capacity), 4];
                one.max_stops = Some(c.max_stops as usize);
                let open = secs(local_to_utc(day, c.work_start, tz)).max(earliest);
                let close = secs(local_to_utc(day, c.work_end, tz));
                if open >= close {
                    continue;
                }
                one.shift = planner::TimeWindow {
                    start: open,
                    end: close,
                };
                one.count = Some(1);
                one.group = Some(g);
                // Our couriers ride back to the kitchen and reload for another round.
                one.max_trips = (c.max_trips as usize).max(1);
                one.reload_time = RELOAD_S;
                vehicles.push(one);
                site_of_vehicle.push(*site_id);
                courier_of_vehicle.push(Some(c.id));
            }
        }
        if vehicles.len() > first {
            first_of_site.push(first);
        }
    }
    // Standing meal routes: one single courier each, cloned from the site's best-ranked fleet.
    let mut standing_of_vehicle: Vec<Option<&StandingRoute>> = vec![None; vehicles.len()];
    for &vt in &first_of_site {
        let site_id = site_of_vehicle[vt];
        for sr in standing.get(&site_id).into_iter().flatten() {
            let mut one = vehicles[vt].clone();
            one.id = sr.id.to_string();
            one.count = Some(1);
            vehicles.push(one);
            site_of_vehicle.push(site_id);
            standing_of_vehicle.push(Some(sr));
            // Any free courier of the site may ride a standing route.
            courier_of_vehicle.push(None);
        }
    }
    let usual = usual_places(&planned, &standing_of_vehicle);
    let mut problem = Problem::new(
        Costs::from_travel_matrix(&matrix),
        jobs,
        vehicles,
        Objective::Cost,
    )
    .map_err(|e| DispatchError::Internal(format!("planner: {e}")))?;
    problem
        .set_group_limits(group_limits)
        .map_err(|e| DispatchError::Internal(format!("planner: {e}")))?;
    if usual.iter().any(Option::is_some) {
        problem
            .set_stability(Stability {
                usual: usual.clone(),
                move_penalty: MOVE_PENALTY_IDR,
                reorder_penalty: REORDER_PENALTY_IDR,
            })
            .map_err(|e| DispatchError::Internal(format!("planner: {e}")))?;
    }
    let sealed = sealed_routes(&usual, &standing_of_vehicle);
    let t = Instant::now();
    let options = SolveOptions {
        time_limit: req.time_limit,
        seed: req.seed,
        initial: sealed.clone(),
        ..SolveOptions::default()
    };
    let solution = match planner::solve(&problem, &options) {
        // A sealed route that no longer fits today (a window moved, the courier's limits
        // changed) cannot be kept: plan without seals and say so.
        Err(planner::PlannerError::Invalid(why)) if !sealed.is_empty() => {
            tracing::warn!(%why, "sealed routes could not be kept");
            for ir in &sealed {
                let name = standing_of_vehicle[ir.vehicle_type].map_or("", |s| s.name.as_str());
                for &j in &ir.jobs {
                    preview.changes.push(RouteChange {
                        order_id: planned[j].0.id,
                        change: "unsealed",
                        from_route: name.to_owned(),
                        to_route: String::new(),
                        reason: format!(
                            "the sealed route {name} cannot be kept today (its stops no longer fit their windows or the courier's limits), so it was planned again"
                        ),
                    });
                }
            }
            planner::solve(
                &problem,
                &SolveOptions {
                    initial: Vec::new(),
                    ..options
                },
            )
        }
        other => other,
    }
    .map_err(|e| DispatchError::Internal(format!("planner: {e}")))?;
    let solve_ms = t.elapsed().as_millis();
    for r in &solution.routes {
        let site_id = site_of_vehicle[r.vehicle_type];
        let vehicle = &problem.vehicle_types()[r.vehicle_type];
        let start = points[vehicle.start];
        let mut stops = Vec::with_capacity(r.stops.len());
        for s in &r.stops {
            let (o, _, _) = planned[s.job];
            stops.push(PlannedStop {
                order_id: o.id,
                kind: o.kind,
                location: o.location.unwrap_or(start),
                eta: at(t0, s.arrival),
                departure: at(t0, s.departure),
            });
        }
        // The solver leaves as late as the windows allow. Couriers should leave as early as
        // they can: at the first window's opening (meals) or once every parcel is ready
        // (medicine), never before the lead time or their shift. Leaving early keeps every
        // window (no arrival moves before its window opens) and leaves slack for slow doors and
        // urgent insertions. A courier riding several trips moves all of them alike.
        let departure = at(t0, r.departure);
        let mut shift = departure - at(t0, vehicle.shift.start.max(earliest));
        for (s, p) in r.stops.iter().zip(&stops) {
            let (o, _, _) = planned[s.job];
            shift = shift.min(p.eta - o.window.start());
            if o.kind == OrderKind::Medicine {
                shift = shift.min(departure - o.window.start());
            }
        }
        let shift = shift.max(chrono::Duration::zero());
        for s in &mut stops {
            s.eta -= shift;
            s.departure -= shift;
        }
        preview.cost_idr += r.cost.total;
        // One planned route per trip: each becomes a job of its own (the courier reloads at the
        // site in between), with its share of the route's distance and fare.
        let n = r.stops.len().max(1) as f64;
        for (k, trip) in r.trips.iter().enumerate() {
            let trip_stops: Vec<PlannedStop> =
                stops[trip.first_stop..trip.first_stop + trip.stops].to_vec();
            let mut geometry = vec![start];
            let mut prev = start;
            for st in &trip_stops {
                if let Ok(leg) = roads.route(prev, st.location) {
                    geometry.extend(leg.geometry.into_iter().skip(1));
                }
                prev = st.location;
            }
            let share = trip.stops as f64 / n;
            let trip_departure = if k == 0 {
                departure - shift
            } else {
                at(t0, trip.departure) - shift
            };
            let last = trip_stops.last().map_or(trip_departure, |s| s.departure);
            preview.routes.push(PlannedRoute {
                site_id,
                departure: trip_departure,
                distance_m: r.distance * share,
                duration_s: (last - trip_departure).num_milliseconds() as f64 / 1000.0,
                fare_idr: r.cost.total * share,
                geometry,
                standing_route: standing_of_vehicle[r.vehicle_type].map(|s| s.id),
                courier: courier_of_vehicle[r.vehicle_type],
                trip: k,
                stops: trip_stops,
            });
        }
    }
    explain_changes(
        &problem,
        &solution,
        &usual,
        &standing_of_vehicle,
        &planned,
        &mut preview.changes,
    );
    // Left out for lack of couriers: say whose couriers are all busy.
    let busy: Vec<String> = fleets
        .iter()
        .filter_map(|f| {
            let (max, held) = f.limit?;
            Some(format!("{} runs {held} of its {max} jobs", f.name))
        })
        .chain(own_fleet_note)
        .collect();
    for u in &solution.unassigned {
        let (o, _, _) = planned[u.job];
        let reason = if u.code == planner::ReasonCode::NoRoom && !busy.is_empty() {
            format!(
                "no courier is free in its window: {}; the planned routes are full",
                busy.join(", ")
            )
        } else {
            u.reason.clone()
        };
        preview.unplanned.push(Unplanned {
            order_id: o.id,
            code: format!("{:?}", u.code),
            reason,
        });
    }

    // Baseline: one trip per order straight from its site.
    for (_, sp, drop) in &planned {
        if let Some(d) = matrix.distance_m(*sp, *drop) {
            let first = &fleets[0];
            let fare = first.base_idr + first.per_km_idr * f64::from(d) / 1000.0;
            preview.one_trip_per_order_idr += first.cap_idr.map_or(fare, |c| fare.min(c));
        }
    }
    let served: usize = preview.routes.iter().map(|r| r.stops.len()).sum();
    if served > 0 {
        preview.cost_per_delivery_idr = preview.cost_idr / served as f64;
    }
    preview.one_trip_per_delivery_idr = preview.one_trip_per_order_idr / planned.len() as f64;
    Ok((preview, matrix_ms, solve_ms))
}

/// Each planned job's usual place: its recipient's standing route (as the vehicle type standing
/// for it) and the job it follows there among today's jobs.
fn usual_places(
    planned: &[(&Order, usize, usize)],
    standing_of_vehicle: &[Option<&StandingRoute>],
) -> Vec<Option<UsualPlace>> {
    let mut usual = vec![None; planned.len()];
    // (vehicle type, position on the standing route, job)
    let mut placed: Vec<(usize, usize, usize)> = Vec::new();
    let mut where_is: HashMap<crate::domain::RecipientId, (usize, usize)> = HashMap::new();
    for (vt, sr) in standing_of_vehicle.iter().enumerate() {
        for (pos, rid) in sr.iter().flat_map(|s| s.recipients.iter().enumerate()) {
            where_is.insert(*rid, (vt, pos));
        }
    }
    for (j, (o, _, _)) in planned.iter().enumerate() {
        if o.kind != OrderKind::Meal {
            continue;
        }
        if let Some(&(vt, pos)) = o.recipient_id.as_ref().and_then(|r| where_is.get(r)) {
            // Only a route leaving from the order's own kitchen counts.
            if standing_of_vehicle[vt].is_some_and(|s| s.site_id == o.site_id) {
                placed.push((vt, pos, j));
            }
        }
    }
    placed.sort_unstable();
    for (k, &(vt, _, j)) in placed.iter().enumerate() {
        let after = k
            .checked_sub(1)
            .map(|i| placed[i])
            .filter(|p| p.0 == vt)
            .map(|p| p.2);
        usual[j] = Some(UsualPlace {
            vehicle_type: vt,
            after,
        });
    }
    usual
}

/// Warm-start routes for the sealed standing routes: today's jobs on them, in their order.
fn sealed_routes(
    usual: &[Option<UsualPlace>],
    standing_of_vehicle: &[Option<&StandingRoute>],
) -> Vec<InitialRoute> {
    let mut out: Vec<InitialRoute> = Vec::new();
    for (vt, sr) in standing_of_vehicle.iter().enumerate() {
        if !sr.is_some_and(|s| s.sealed) {
            continue;
        }
        // Follow the `after` links from the first stop.
        let mut jobs = Vec::new();
        let mut prev = None;
        while let Some(next) = usual
            .iter()
            .position(|u| u.is_some_and(|u| u.vehicle_type == vt && u.after == prev))
        {
            jobs.push(next);
            prev = Some(next);
        }
        if !jobs.is_empty() {
            out.push(InitialRoute {
                vehicle_type: vt,
                jobs,
                locked: 0,
                sealed: true,
            });
        }
    }
    out
}

/// A readable reason for every meal stop the solution moved off its usual route or place.
fn explain_changes(
    problem: &Problem,
    solution: &planner::Solution,
    usual: &[Option<UsualPlace>],
    standing_of_vehicle: &[Option<&StandingRoute>],
    planned: &[(&Order, usize, usize)],
    out: &mut Vec<RouteChange>,
) {
    let name =
        |vt: usize| standing_of_vehicle[vt].map_or_else(|| "new".to_owned(), |s| s.name.clone());
    // Where each job rides today: (vehicle type, the job before it).
    let mut today: Vec<Option<(usize, Option<usize>)>> = vec![None; usual.len()];
    let mut load_on: HashMap<usize, i64> = HashMap::new();
    let mut stops_on: HashMap<usize, usize> = HashMap::new();
    for r in &solution.routes {
        let mut prev = None;
        for st in &r.stops {
            today[st.job] = Some((r.vehicle_type, prev));
            prev = Some(st.job);
            *load_on.entry(r.vehicle_type).or_default() += problem.jobs()[st.job].load[0];
            *stops_on.entry(r.vehicle_type).or_default() += 1;
        }
    }
    for (j, u) in usual.iter().enumerate() {
        let (Some(u), Some((vt, after))) = (u, today[j]) else {
            continue;
        };
        let order_id = planned[j].0.id;
        if vt != u.vehicle_type {
            let v = &problem.vehicle_types()[u.vehicle_type];
            let load = load_on.get(&u.vehicle_type).copied().unwrap_or(0);
            let stops = stops_on.get(&u.vehicle_type).copied().unwrap_or(0);
            let reason = if load + problem.jobs()[j].load[0] > v.capacity[0] {
                format!(
                    "{} carries {load} of {} tins today, so this one no longer fits",
                    name(u.vehicle_type),
                    v.capacity[0]
                )
            } else if v.max_stops.is_some_and(|m| stops >= m) {
                format!("{} already has its most stops today", name(u.vehicle_type))
            } else {
                format!(
                    "riding with {} keeps the time windows or saves more than the Rp {:.0} a move costs",
                    if vt < standing_of_vehicle.len() && standing_of_vehicle[vt].is_some() {
                        name(vt)
                    } else {
                        "a new route".to_owned()
                    },
                    MOVE_PENALTY_IDR
                )
            };
            out.push(RouteChange {
                order_id,
                change: "moved",
                from_route: name(u.vehicle_type),
                to_route: name(vt),
                reason,
            });
        } else if after != u.after {
            out.push(RouteChange {
                order_id,
                change: "reordered",
                from_route: name(vt),
                to_route: name(vt),
                reason: format!(
                    "another order of stops keeps the time windows or saves more than the Rp {:.0} a change of place costs",
                    REORDER_PENALTY_IDR
                ),
            });
        }
    }
}
