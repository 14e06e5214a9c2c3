//! The planner's problem and solution model: jobs, vehicle types, travel costs, objectives,
//! and the solution it hands back (routes with schedules, load profiles, cost breakdowns,
//! unassigned jobs with reasons).
//!
//! Owns the public vocabulary of the planner. Must not depend on the solver's internal
//! structures, on `roads`, or on any I/O.

use serde::Serialize;

use super::PlannerError;
use crate::domain::TravelMatrix;

/// Travel times and distances between every pair of locations, as `f64`.
///
/// `f64` keeps every benchmark convention exact enough: Solomon uses unrounded Euclidean
/// distances (double precision), VRPLIB rounds to integers (exact in `f64`), and a
/// [`TravelMatrix`] holds whole seconds and metres. A pair without a path is `INFINITY`, so
/// any schedule through it fails its time windows instead of needing a special case.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    n: usize,
    times: Vec<f64>,
    distances: Vec<f64>,
}

/// How Euclidean distances are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Unrounded double precision (Solomon hierarchical convention).
    None,
    /// Round half up to the nearest integer (VRPLIB `nint`).
    Nearest,
}

impl Costs {
    /// Row-major `n * n` travel times and distances. `INFINITY` marks a pair without a path.
    pub fn new(n: usize, times: Vec<f64>, distances: Vec<f64>) -> Result<Self, PlannerError> {
        if times.len() != n * n || distances.len() != n * n {
            return Err(PlannerError::Invalid(format!(
                "a {n}x{n} cost matrix needs {} entries, got {} times and {} distances",
                n * n,
                times.len(),
                distances.len()
            )));
        }
        if times
            .iter()
            .chain(&distances)
            .any(|v| v.is_nan() || *v < 0.0)
        {
            return Err(PlannerError::Invalid(
                "travel times and distances must be non-negative numbers".into(),
            ));
        }
        Ok(Self {
            n,
            times,
            distances,
        })
    }

    /// Seconds and metres from a road-network matrix; unreachable pairs become `INFINITY`.
    pub fn from_travel_matrix(m: &TravelMatrix) -> Self {
        let conv = |v: &u32| {
            if *v == TravelMatrix::UNREACHABLE {
                f64::INFINITY
            } else {
                f64::from(*v)
            }
        };
        Self {
            n: m.len(),
            times: m.durations_s().iter().map(conv).collect(),
            distances: m.distances_m().iter().map(conv).collect(),
        }
    }

    /// Planar Euclidean distances between points; travel time equals distance (speed 1).
    pub fn euclidean(points: &[(f64, f64)], rounding: Rounding) -> Self {
        let n = points.len();
        let mut d = Vec::with_capacity(n * n);
        for a in points {
            for b in points {
                let e = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                d.push(match rounding {
                    Rounding::None => e,
                    Rounding::Nearest => (e + 0.5).floor(),
                });
            }
        }
        Self {
            n,
            times: d.clone(),
            distances: d,
        }
    }

    /// Number of locations.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when there are no locations.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Travel time from `a` to `b`.
    #[inline]
    pub fn time(&self, a: usize, b: usize) -> f64 {
        self.times[a * self.n + b]
    }

    /// Travel distance from `a` to `b`.
    #[inline]
    pub fn distance(&self, a: usize, b: usize) -> f64 {
        self.distances[a * self.n + b]
    }
}

/// How urgently a job must be served when not everything fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Served before any routine job (a far heavier penalty when left out).
    Urgent,
    /// The default.
    Routine,
}

/// A set of up to 64 capabilities (cold box, controlled-medicine handover, ...) as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities(pub u64);

impl Capabilities {
    /// True when every capability in `need` is in `self`.
    #[inline]
    pub fn covers(self, need: Capabilities) -> bool {
        need.0 & !self.0 == 0
    }
}

/// A closed interval of times `[start, end]`, `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeWindow {
    /// Earliest time.
    pub start: f64,
    /// Latest time.
    pub end: f64,
}

impl TimeWindow {
    /// A window, refused when `start > end` or either bound is NaN.
    pub fn new(start: f64, end: f64) -> Result<Self, PlannerError> {
        if start.is_nan() || end.is_nan() || start > end {
            return Err(PlannerError::Invalid(format!(
                "time window [{start}, {end}] is empty"
            )));
        }
        Ok(Self { start, end })
    }

    /// The window that never constrains.
    pub const ALWAYS: TimeWindow = TimeWindow {
        start: f64::NEG_INFINITY,
        end: f64::INFINITY,
    };
}

/// One delivery: picked up at its route's start site, dropped at `location`.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Identifier echoed in the solution (a customer number for benchmark files).
    pub id: String,
    /// Location index into [`Costs`].
    pub location: usize,
    /// Load per dimension (meal tins, parcels, cold slots...); same length as every capacity.
    pub load: Vec<i64>,
    /// Service duration at the stop.
    pub service: f64,
    /// When service may start: sorted, disjoint, at least one.
    pub windows: Vec<TimeWindow>,
    /// Urgent jobs are assigned first.
    pub priority: Priority,
    /// Longest allowed time from departure at the start site to arrival at the stop.
    pub max_transit: Option<f64>,
    /// Capabilities the vehicle must have.
    pub capabilities: Capabilities,
    /// When set, only vehicles starting at this location may carry the job.
    pub start_site: Option<usize>,
}

impl Job {
    /// A routine job with no load, no service time and no time limits.
    pub fn new(id: impl Into<String>, location: usize, dims: usize) -> Self {
        Self {
            id: id.into(),
            location,
            load: vec![0; dims],
            service: 0.0,
            windows: vec![TimeWindow::ALWAYS],
            priority: Priority::Routine,
            max_transit: None,
            capabilities: Capabilities::default(),
            start_site: None,
        }
    }
}

/// A kind of vehicle (courier), possibly available many times.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleType {
    /// Identifier echoed in the solution.
    pub id: String,
    /// Start location (pickup site).
    pub start: usize,
    /// `None` for an open route (ride-hailing couriers do not return), else the end location.
    pub end: Option<usize>,
    /// Capacity per load dimension.
    pub capacity: Vec<i64>,
    /// The vehicle may leave its start no earlier than `shift.start` and must arrive at its end
    /// (closed route) or finish its last service (open route) no later than `shift.end`.
    pub shift: TimeWindow,
    /// Largest number of stops on one trip (a partner's limit; with one trip, on the route).
    pub max_stops: Option<usize>,
    /// Longest route duration, first departure to end (return or last service), reloads
    /// included.
    pub max_duration: Option<f64>,
    /// What the vehicle can do.
    pub capabilities: Capabilities,
    /// Cost of using the vehicle at all (a fare's base).
    pub fixed_cost: f64,
    /// Cost per distance unit of [`Costs`] (per metre for a [`TravelMatrix`]).
    pub cost_per_distance: f64,
    /// The most one route can cost (a fare cap per job).
    pub fare_cap: Option<f64>,
    /// How many are available; `None` for unlimited.
    pub count: Option<usize>,
    /// A fleet this type draws from together with other types (a partner's couriers at several
    /// sites): routes of every type of the group count against [`Problem::set_group_limits`].
    pub group: Option<usize>,
    /// Most trips one vehicle makes in its shift (1 = a single trip, the default). Between two
    /// trips the vehicle rides back to its start site and reloads there: capacity and
    /// `max_stops` hold per trip, and a job's max time in transit counts from the departure of
    /// the trip that carries it. Only the last trip ends at `end` (open when `None`).
    pub max_trips: usize,
    /// Time spent at the start site between two trips (reloading), before the next departure.
    pub reload_time: f64,
}

impl VehicleType {
    /// An unlimited, uncapacitated, always-available closed vehicle type with zero costs.
    pub fn new(id: impl Into<String>, start: usize, dims: usize) -> Self {
        Self {
            id: id.into(),
            start,
            end: Some(start),
            capacity: vec![i64::MAX / 4; dims],
            shift: TimeWindow::ALWAYS,
            max_stops: None,
            max_duration: None,
            capabilities: Capabilities::default(),
            fixed_cost: 0.0,
            cost_per_distance: 1.0,
            fare_cap: None,
            count: None,
            group: None,
            max_trips: 1,
            reload_time: 0.0,
        }
    }

    /// The fare of a route of total `distance`: base plus per distance, capped.
    pub fn route_cost(&self, distance: f64) -> f64 {
        let c = self.fixed_cost + self.cost_per_distance * distance;
        self.fare_cap.map_or(c, |cap| c.min(cap))
    }
}

/// What the planner minimises after assigning as many jobs as it can (urgent first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Total route cost ([`VehicleType::route_cost`]), then total duration.
    Cost,
    /// Solomon hierarchical: number of vehicles, then total distance.
    VehiclesThenDistance,
    /// Total distance (CVRP).
    Distance,
}

/// A checked vehicle routing problem.
#[derive(Debug, Clone)]
pub struct Problem {
    pub(crate) costs: Costs,
    pub(crate) jobs: Vec<Job>,
    pub(crate) vehicle_types: Vec<VehicleType>,
    pub(crate) objective: Objective,
    pub(crate) dims: usize,
    pub(crate) stability: Option<Stability>,
    pub(crate) group_limits: Vec<usize>,
    /// The vehicle types of each fleet group (derived from `group_limits` and the types).
    pub(crate) group_members: Vec<Vec<usize>>,
}

impl Problem {
    /// Check and assemble a problem: every location index in range, one load dimension count
    /// everywhere, windows sorted and non-empty, durations finite and non-negative.
    pub fn new(
        costs: Costs,
        jobs: Vec<Job>,
        vehicle_types: Vec<VehicleType>,
        objective: Objective,
    ) -> Result<Self, PlannerError> {
        let n = costs.len();
        let dims = vehicle_types
            .first()
            .map(|v| v.capacity.len())
            .or_else(|| jobs.first().map(|j| j.load.len()))
            .unwrap_or(0);
        let bad = |what: String| Err(PlannerError::Invalid(what));
        for v in &vehicle_types {
            if v.start >= n || v.end.is_some_and(|e| e >= n) {
                return bad(format!(
                    "vehicle type {}: location out of range (have {n})",
                    v.id
                ));
            }
            if v.capacity.len() != dims {
                return bad(format!(
                    "vehicle type {}: capacity has {} dimensions, expected {dims}",
                    v.id,
                    v.capacity.len()
                ));
            }
            if v.capacity.iter().any(|c| *c < 0) {
                return bad(format!("vehicle type {}: negative capacity", v.id));
            }
            if v.shift.start > v.shift.end || v.shift.start.is_nan() || v.shift.end.is_nan() {
                return bad(format!("vehicle type {}: empty shift", v.id));
            }
            if !(v.fixed_cost.is_finite() && v.cost_per_distance.is_finite()) {
                return bad(format!("vehicle type {}: costs must be finite", v.id));
            }
            if v.max_trips == 0 || v.max_trips > u16::MAX as usize {
                return bad(format!(
                    "vehicle type {}: max trips must be between 1 and {}",
                    v.id,
                    u16::MAX
                ));
            }
            if !(v.reload_time.is_finite() && v.reload_time >= 0.0) {
                return bad(format!(
                    "vehicle type {}: reload time must be finite and non-negative",
                    v.id
                ));
            }
        }
        for j in &jobs {
            if j.location >= n || j.start_site.is_some_and(|s| s >= n) {
                return bad(format!("job {}: location out of range (have {n})", j.id));
            }
            if j.load.len() != dims {
                return bad(format!(
                    "job {}: load has {} dimensions, expected {dims}",
                    j.id,
                    j.load.len()
                ));
            }
            if j.load.iter().any(|l| *l < 0) {
                return bad(format!("job {}: negative load", j.id));
            }
            if !(j.service.is_finite() && j.service >= 0.0) {
                return bad(format!(
                    "job {}: service duration must be finite and non-negative",
                    j.id
                ));
            }
            if j.windows.is_empty() {
                return bad(format!("job {}: needs at least one time window", j.id));
            }
            for w in &j.windows {
                if w.start.is_nan() || w.end.is_nan() || w.start > w.end {
                    return bad(format!("job {}: empty time window", j.id));
                }
            }
            if j.windows.windows(2).any(|w| w[0].end >= w[1].start) {
                return bad(format!(
                    "job {}: time windows must be sorted and disjoint",
                    j.id
                ));
            }
            if j.max_transit.is_some_and(|t| t.is_nan() || t < 0.0) {
                return bad(format!("job {}: max transit must be non-negative", j.id));
            }
        }
        Ok(Self {
            costs,
            jobs,
            vehicle_types,
            objective,
            dims,
            stability: None,
            group_limits: Vec::new(),
            group_members: Vec::new(),
        })
    }

    /// Limit the routes of each fleet group (a partner's concurrent jobs, say): `limits[g]`
    /// routes at most across every vehicle type whose `group` is `g`. Every type's group must
    /// have a limit.
    pub fn set_group_limits(&mut self, limits: Vec<usize>) -> Result<(), PlannerError> {
        if let Some(v) = self
            .vehicle_types
            .iter()
            .find(|v| v.group.is_some_and(|g| g >= limits.len()))
        {
            return Err(PlannerError::Invalid(format!(
                "vehicle type {}: its group has no limit",
                v.id
            )));
        }
        let mut members = vec![Vec::new(); limits.len()];
        for (vt, v) in self.vehicle_types.iter().enumerate() {
            if let Some(g) = v.group {
                members[g].push(vt);
            }
        }
        self.group_limits = limits;
        self.group_members = members;
        Ok(())
    }

    /// The fleet group limits.
    pub fn group_limits(&self) -> &[usize] {
        &self.group_limits
    }

    /// Whether vehicle type `vt` belongs to a group that has no route left, given the routes in
    /// use per vehicle type.
    #[inline]
    pub(crate) fn group_full(&self, used: &[usize], vt: usize) -> bool {
        let Some(g) = self.vehicle_types[vt].group else {
            return false;
        };
        self.group_in_use(used, g) >= self.group_limits[g]
    }

    /// Routes in use in fleet group `g`, given the routes in use per vehicle type.
    #[inline]
    pub(crate) fn group_in_use(&self, used: &[usize], g: usize) -> usize {
        self.group_members[g].iter().map(|&vt| used[vt]).sum()
    }

    /// Ask for stable routes: each job's usual route and place in it, and what changing them
    /// costs. Checked against the problem: one entry per job, vehicle types in range.
    pub fn set_stability(&mut self, stability: Stability) -> Result<(), PlannerError> {
        if stability.usual.len() != self.jobs.len() {
            return Err(PlannerError::Invalid(format!(
                "stability: {} usual places for {} jobs",
                stability.usual.len(),
                self.jobs.len()
            )));
        }
        if !(stability.move_penalty.is_finite()
            && stability.move_penalty >= 0.0
            && stability.reorder_penalty.is_finite()
            && stability.reorder_penalty >= 0.0)
        {
            return Err(PlannerError::Invalid(
                "stability: penalties must be finite and non-negative".into(),
            ));
        }
        for (j, u) in stability.usual.iter().enumerate() {
            let Some(u) = u else { continue };
            if u.vehicle_type >= self.vehicle_types.len()
                || self.vehicle_types[u.vehicle_type].count != Some(1)
            {
                return Err(PlannerError::Invalid(format!(
                    "stability: job {}: its usual route must be a vehicle type with count 1",
                    self.jobs[j].id
                )));
            }
            if u.after.is_some_and(|a| a >= self.jobs.len() || a == j) {
                return Err(PlannerError::Invalid(format!(
                    "stability: job {}: the job it usually follows is out of range",
                    self.jobs[j].id
                )));
            }
        }
        self.stability = Some(stability);
        Ok(())
    }

    /// The stable-route wishes, if any.
    pub fn stability(&self) -> Option<&Stability> {
        self.stability.as_ref()
    }

    /// What keeping job `j` at its usual place costs when it rides vehicle type `vt` right after
    /// `after` (`None`: first stop): the move penalty when `vt` is not its usual route, else the
    /// reorder penalty when it no longer follows the job it usually follows.
    #[inline]
    pub(crate) fn change_cost(&self, j: usize, vt: usize, after: Option<usize>) -> f64 {
        let Some(st) = &self.stability else {
            return 0.0;
        };
        match &st.usual[j] {
            None => 0.0,
            Some(u) if u.vehicle_type != vt => st.move_penalty,
            Some(u) if u.after != after => st.reorder_penalty,
            Some(_) => 0.0,
        }
    }

    /// The travel costs.
    pub fn costs(&self) -> &Costs {
        &self.costs
    }

    /// The jobs, indexed as in solutions.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// The vehicle types, indexed as in solutions.
    pub fn vehicle_types(&self) -> &[VehicleType] {
        &self.vehicle_types
    }

    /// The objective.
    pub fn objective(&self) -> Objective {
        self.objective
    }
}

/// One stop of a planned route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stop {
    /// Job index into [`Problem::jobs`].
    pub job: usize,
    /// The job's id.
    pub job_id: String,
    /// Arrival time.
    pub arrival: f64,
    /// Service start (after any waiting).
    pub start: f64,
    /// Departure (service end).
    pub departure: f64,
    /// Load still on board after this stop (of its trip's load), per dimension.
    pub load_after: Vec<i64>,
}

/// What a route costs, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostBreakdown {
    /// Fixed cost (fare base).
    pub fixed: f64,
    /// Distance part (per-distance rate times distance).
    pub distance: f64,
    /// True when the fare cap applied.
    pub capped: bool,
    /// The route's cost.
    pub total: f64,
}

/// One trip of a route: the vehicle leaves its start site loaded, serves consecutive stops, and
/// (unless it is the last trip) rides back to reload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trip {
    /// Departure from the start site; the trip's stops count their time in transit from here.
    pub departure: f64,
    /// Index into [`Route::stops`] of the trip's first stop.
    pub first_stop: usize,
    /// Number of stops on the trip (at least one).
    pub stops: usize,
    /// Load carried out of the start site on this trip, per dimension.
    pub load: Vec<i64>,
    /// Arrival back at the start site to reload (every trip but the last).
    pub reload_arrival: Option<f64>,
}

/// One planned route: a vehicle of one type, leaving its start site, visiting stops in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// Vehicle type index.
    pub vehicle_type: usize,
    /// Vehicle type id.
    pub vehicle_id: String,
    /// Departure from the start site (of the first trip): as late as possible without missing
    /// a window, which minimises both route duration and every stop's time in transit.
    pub departure: f64,
    /// Load carried out of the start site (on the first trip).
    pub load_start: Vec<i64>,
    /// The stops in visiting order, every trip's stops one after the other.
    pub stops: Vec<Stop>,
    /// The trips, in order, partitioning `stops` (one trip unless the vehicle reloads).
    pub trips: Vec<Trip>,
    /// Arrival at the end location (closed routes only).
    pub end_arrival: Option<f64>,
    /// Total distance, rides back to reload included.
    pub distance: f64,
    /// First departure to end (return, or last service for an open route).
    pub duration: f64,
    /// Cost of this route.
    pub cost: CostBreakdown,
    /// Number of leading stops that are locked (already picked up) and were kept in place.
    pub locked: usize,
    /// The route was sealed by staff and kept exactly as given.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sealed: bool,
}

/// Why a job was left out: a stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// There are no vehicle types at all.
    NoVehicle,
    /// No vehicle type has every required capability.
    CapabilityMissing,
    /// No capable vehicle starts at the job's pickup site.
    NoStartSite,
    /// The load exceeds every suitable vehicle's capacity.
    CapacityExceeded,
    /// No path from the start site to the stop (or back).
    Unreachable,
    /// The window closes before any vehicle can reach the stop (or finish in its shift).
    WindowUnreachable,
    /// The direct trip already takes longer than the job's max time in transit.
    TransitTooShort,
    /// The direct trip alone exceeds the max route duration.
    RouteTooLong,
    /// Every vehicle allows zero stops.
    NoStopsAllowed,
    /// The job fits some vehicle alone, but no route had room for it.
    NoRoom,
}

impl ReasonCode {
    /// A reason a person can read.
    pub fn message(self) -> &'static str {
        match self {
            ReasonCode::NoVehicle => "no vehicles are available",
            ReasonCode::CapabilityMissing => {
                "needs a capability (cold box, controlled handover...) no vehicle has"
            }
            ReasonCode::NoStartSite => "no vehicle starts at its pickup site",
            ReasonCode::CapacityExceeded => "load exceeds every vehicle's capacity",
            ReasonCode::Unreachable => "no road path between the pickup site and the stop",
            ReasonCode::WindowUnreachable => "window closes before any courier can reach it",
            ReasonCode::TransitTooShort => "max time in transit too short for the direct trip",
            ReasonCode::RouteTooLong => {
                "the direct trip exceeds every vehicle's max route duration"
            }
            ReasonCode::NoStopsAllowed => "every vehicle allows zero stops",
            ReasonCode::NoRoom => "no room left in any route",
        }
    }
}

/// A job the planner could not place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unassigned {
    /// Job index.
    pub job: usize,
    /// The job's id.
    pub job_id: String,
    /// Machine code.
    pub code: ReasonCode,
    /// Human-readable reason.
    pub reason: String,
}

/// Totals of a solution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Number of non-empty routes.
    pub vehicles: usize,
    /// Total distance.
    pub distance: f64,
    /// Total cost (sum of route costs).
    pub cost: f64,
    /// Total duration.
    pub duration: f64,
    /// Unassigned urgent jobs.
    pub unassigned_urgent: usize,
    /// Unassigned routine jobs.
    pub unassigned_routine: usize,
}

/// A solution: routes, unassigned jobs and totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// Non-empty routes.
    pub routes: Vec<Route>,
    /// Jobs left out, with reasons.
    pub unassigned: Vec<Unassigned>,
    /// Totals.
    pub summary: Summary,
}

/// Where a job usually rides: on a route that is reused day after day (the same courier sees the
/// same people: that is the welfare check), right after another job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsualPlace {
    /// The vehicle type standing for the usual route (count 1).
    pub vehicle_type: usize,
    /// The job it usually follows on that route (among today's jobs); `None` when it comes first.
    pub after: Option<usize>,
}

/// Stable routes: what it costs (in objective units, e.g. rupiah) to change where a job rides.
/// The planner keeps a usual route unless changing it saves more than these penalties.
#[derive(Debug, Clone, PartialEq)]
pub struct Stability {
    /// Per job (indexed as the problem's jobs), its usual place, if it has one.
    pub usual: Vec<Option<UsualPlace>>,
    /// Cost of putting a job on another route than its usual one.
    pub move_penalty: f64,
    /// Cost of a job kept on its route but no longer after the job it usually follows.
    pub reorder_penalty: f64,
}

/// A route to start from (warm start): its vehicle type, its jobs in order, and how many leading
/// jobs are locked (already picked up: they stay first, in this order, on this route).
#[derive(Debug, Clone, PartialEq)]
pub struct InitialRoute {
    /// Vehicle type index.
    pub vehicle_type: usize,
    /// Job indices in visiting order.
    pub jobs: Vec<usize>,
    /// How many of the leading jobs are locked.
    pub locked: usize,
    /// Sealed by staff: the route keeps exactly these jobs in this order (nothing is added,
    /// removed or moved); `locked` is then ignored.
    pub sealed: bool,
}
