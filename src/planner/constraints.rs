//! Hard constraints as the solver sees them: per-route caches that make an insertion's
//! feasibility an O(1) question for capacity and time windows (forward earliest start,
//! backward latest start, after Savelsbergh), a full-route simulation for the constraints that
//! depend on the departure time (max time in transit, max route duration), and the per-job
//! explanation of why a job cannot be served at all.
//!
//! A vehicle type with `max_trips > 1` keeps all its trips in one route: a [`RELOAD`] marker in
//! the job sequence is a node at the start site whose service is the reload time, so the same
//! forward/backward caches answer window questions across trips in O(1); capacity and stop
//! counts are cached per trip, and the schedule simulation leaves each later trip as late as
//! its own waiting allows (its stops count their time in transit from that departure).
//!
//! Owns the solver's incremental structures. Must not be used by the checker, which recomputes
//! everything on its own.

use super::model::{Job, Problem, ReasonCode, VehicleType};

/// Tolerance for time comparisons: Solomon times are sums of irrational distances.
pub(crate) const EPS: f64 = 1e-7;

thread_local! {
    /// Reused buffers of the multi-trip simulation, which the search runs for many insertions
    /// it tries: a spliced sequence and trip departures.
    static SEQ: std::cell::RefCell<(Vec<u32>, Vec<f64>)> = const {
        std::cell::RefCell::new((Vec::new(), Vec::new()))
    };
    /// Trip bounds, a load accumulator and latest departures.
    #[allow(clippy::type_complexity)]
    static TRIPS: std::cell::RefCell<(Vec<(usize, usize)>, Vec<i64>, Vec<f64>)> = const {
        std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new()))
    };
}

/// A reload marker in a multi-trip route's sequence: ride back to the start site, reload for
/// the vehicle's reload time, and leave on the next trip. Never first, last or doubled (see
/// [`normalise_trips`]); never in the unassigned list or `route_of`.
pub(crate) const RELOAD: u32 = u32::MAX;

/// Drop reload markers that separate nothing: leading, trailing and repeated ones (what is
/// left of a trip after all its stops were removed).
pub(crate) fn normalise_trips(jobs: &mut Vec<u32>) {
    if !jobs.contains(&RELOAD) {
        return;
    }
    let mut prev_reload = true;
    jobs.retain(|&x| {
        let keep = !(x == RELOAD && prev_reload);
        if keep {
            prev_reload = x == RELOAD;
        }
        keep
    });
    if jobs.last() == Some(&RELOAD) {
        jobs.pop();
    }
}

/// Location of a sequence element: the job's, or the start site for a reload.
#[inline]
fn node_location(p: &Problem, v: &VehicleType, x: u32) -> usize {
    if x == RELOAD {
        v.start
    } else {
        p.jobs[x as usize].location
    }
}

/// Earliest service start at or after `arrival` inside one of the job's windows.
#[inline]
pub(crate) fn first_start(job: &Job, arrival: f64) -> Option<f64> {
    for w in &job.windows {
        if arrival <= w.end + EPS {
            return Some(arrival.max(w.start));
        }
    }
    None
}

/// Latest service start at or before `bound` inside one of the job's windows.
#[inline]
pub(crate) fn last_start(job: &Job, bound: f64) -> f64 {
    for w in job.windows.iter().rev() {
        if w.start <= bound + EPS {
            return bound.min(w.end);
        }
    }
    f64::NEG_INFINITY
}

/// A route under construction, with caches refreshed by [`RouteState::update`].
#[derive(Debug)]
pub(crate) struct RouteState {
    /// Vehicle type index.
    pub vt: usize,
    /// Job indices in order.
    pub jobs: Vec<u32>,
    /// Leading jobs that may not move.
    pub locked: usize,
    /// Earliest service start per stop when leaving at the shift start.
    pub earliest: Vec<f64>,
    /// Latest service start per stop that keeps the rest of the route feasible.
    pub latest: Vec<f64>,
    /// Total load per dimension.
    pub load: Vec<i64>,
    /// Total distance.
    pub distance: f64,
    /// Duration with the latest feasible departure.
    pub duration: f64,
    /// True when some job on the route has a transit limit.
    pub has_transit: bool,
    /// What the route's changes to usual places cost (stable routes; 0 without them).
    pub stability: f64,
    /// Sealed by staff: no job is added, removed or moved.
    pub sealed: bool,
    /// Multi-trip routes only: per position, the trip of the element (for a reload, the trip
    /// it closes).
    pub trip_of: Vec<u16>,
    /// Multi-trip routes only: load per trip, `dims` numbers per trip.
    pub trip_load: Vec<i64>,
    /// Multi-trip routes only: stops per trip.
    pub trip_stops: Vec<usize>,
}

impl Clone for RouteState {
    fn clone(&self) -> Self {
        Self {
            vt: self.vt,
            jobs: self.jobs.clone(),
            locked: self.locked,
            earliest: self.earliest.clone(),
            latest: self.latest.clone(),
            load: self.load.clone(),
            distance: self.distance,
            duration: self.duration,
            has_transit: self.has_transit,
            stability: self.stability,
            sealed: self.sealed,
            trip_of: self.trip_of.clone(),
            trip_load: self.trip_load.clone(),
            trip_stops: self.trip_stops.clone(),
        }
    }

    // Reuses the buffers: the search copies routes back and forth every iteration.
    fn clone_from(&mut self, s: &Self) {
        self.vt = s.vt;
        self.jobs.clone_from(&s.jobs);
        self.locked = s.locked;
        self.earliest.clone_from(&s.earliest);
        self.latest.clone_from(&s.latest);
        self.load.clone_from(&s.load);
        self.distance = s.distance;
        self.duration = s.duration;
        self.has_transit = s.has_transit;
        self.stability = s.stability;
        self.sealed = s.sealed;
        self.trip_of.clone_from(&s.trip_of);
        self.trip_load.clone_from(&s.trip_load);
        self.trip_stops.clone_from(&s.trip_stops);
    }
}

/// Outcome of a schedule simulation with the latest feasible departure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sim {
    pub departure: f64,
    pub duration: f64,
}

impl RouteState {
    pub fn new(vt: usize, dims: usize) -> Self {
        Self {
            vt,
            jobs: Vec::new(),
            locked: 0,
            earliest: Vec::new(),
            latest: Vec::new(),
            load: vec![0; dims],
            distance: 0.0,
            duration: 0.0,
            has_transit: false,
            stability: 0.0,
            sealed: false,
            trip_of: Vec::new(),
            trip_load: Vec::new(),
            trip_stops: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Recompute every cache from the job sequence. Returns false when the route is infeasible
    /// for windows (only possible for warm-start input).
    pub fn update(&mut self, p: &Problem) -> bool {
        let v = &p.vehicle_types[self.vt];
        if v.max_trips > 1 {
            return self.update_trips(p);
        }
        let c = &p.costs;
        let n = self.jobs.len();
        self.earliest.clear();
        self.latest.clear();
        self.load.iter_mut().for_each(|l| *l = 0);
        self.distance = 0.0;
        self.has_transit = false;
        self.stability = 0.0;
        if p.stability.is_some() {
            let mut after = None;
            for &j in &self.jobs {
                self.stability += p.change_cost(j as usize, self.vt, after);
                after = Some(j as usize);
            }
        }
        let mut ok = true;
        let mut t = v.shift.start;
        let mut prev = v.start;
        for &j in &self.jobs {
            let job = &p.jobs[j as usize];
            self.distance += c.distance(prev, job.location);
            let arr = t + c.time(prev, job.location);
            let st = first_start(job, arr).unwrap_or_else(|| {
                ok = false;
                arr
            });
            self.earliest.push(st);
            t = st + job.service;
            prev = job.location;
            for (l, d) in self.load.iter_mut().zip(&job.load) {
                *l += d;
            }
            self.has_transit |= job.max_transit.is_some();
        }
        if let Some(e) = v.end
            && n > 0
        {
            self.distance += c.distance(prev, e);
        }
        self.latest.resize(n, 0.0);
        let mut bound = match v.end {
            Some(e) if n > 0 => v.shift.end - c.time(prev, e),
            _ => v.shift.end,
        };
        for i in (0..n).rev() {
            let job = &p.jobs[self.jobs[i] as usize];
            let l = last_start(job, bound - job.service);
            self.latest[i] = l;
            if i > 0 {
                bound = l - c.time(p.jobs[self.jobs[i - 1] as usize].location, job.location);
            }
        }
        // Only the cost objective ranks durations, and only transit or duration limits depend
        // on the departure time: skip the second pass otherwise (it is a sixth of the search).
        if p.objective == super::model::Objective::Cost
            || self.has_transit
            || v.max_duration.is_some()
        {
            self.duration = match simulate(p, self.vt, &self.jobs, None) {
                Some(s) => s.duration,
                None => {
                    ok = false;
                    0.0
                }
            };
        }
        ok && self.load.iter().zip(&v.capacity).all(|(l, c)| l <= c)
    }

    /// [`RouteState::update`] for a multi-trip vehicle: reloads are nodes at the start site
    /// whose service is the reload time; loads and stops are also kept per trip.
    fn update_trips(&mut self, p: &Problem) -> bool {
        normalise_trips(&mut self.jobs);
        let v = &p.vehicle_types[self.vt];
        let c = &p.costs;
        let dims = self.load.len();
        let n = self.jobs.len();
        self.earliest.clear();
        self.latest.clear();
        self.trip_of.clear();
        self.trip_load.clear();
        self.trip_load.resize(dims, 0);
        self.trip_stops.clear();
        self.trip_stops.push(0);
        self.load.iter_mut().for_each(|l| *l = 0);
        self.distance = 0.0;
        self.has_transit = false;
        self.stability = 0.0;
        if p.stability.is_some() {
            let mut after = None;
            for &j in self.jobs.iter().filter(|&&j| j != RELOAD) {
                self.stability += p.change_cost(j as usize, self.vt, after);
                after = Some(j as usize);
            }
        }
        let mut ok = true;
        let mut t = v.shift.start;
        let mut prev = v.start;
        let mut trip = 0usize;
        for &j in &self.jobs {
            self.trip_of.push(trip as u16);
            if j == RELOAD {
                self.distance += c.distance(prev, v.start);
                let arr = t + c.time(prev, v.start);
                self.earliest.push(arr);
                t = arr + v.reload_time;
                prev = v.start;
                trip += 1;
                self.trip_load.resize((trip + 1) * dims, 0);
                self.trip_stops.push(0);
                continue;
            }
            let job = &p.jobs[j as usize];
            self.distance += c.distance(prev, job.location);
            let arr = t + c.time(prev, job.location);
            let st = first_start(job, arr).unwrap_or_else(|| {
                ok = false;
                arr
            });
            self.earliest.push(st);
            t = st + job.service;
            prev = job.location;
            for (d, l) in job.load.iter().enumerate() {
                self.load[d] += l;
                self.trip_load[trip * dims + d] += l;
            }
            self.trip_stops[trip] += 1;
            self.has_transit |= job.max_transit.is_some();
        }
        if let Some(e) = v.end
            && n > 0
        {
            self.distance += c.distance(prev, e);
        }
        self.latest.resize(n, 0.0);
        let mut bound = match v.end {
            Some(e) if n > 0 => v.shift.end - c.time(prev, e),
            _ => v.shift.end,
        };
        for i in (0..n).rev() {
            let x = self.jobs[i];
            let l = if x == RELOAD {
                bound - v.reload_time
            } else {
                let job = &p.jobs[x as usize];
                last_start(job, bound - job.service)
            };
            self.latest[i] = l;
            if i > 0 {
                bound = l - c.time(
                    node_location(p, v, self.jobs[i - 1]),
                    node_location(p, v, x),
                );
            }
        }
        if p.objective == super::model::Objective::Cost
            || self.has_transit
            || v.max_duration.is_some()
        {
            self.duration = match simulate(p, self.vt, &self.jobs, None) {
                Some(s) => s.duration,
                None => {
                    ok = false;
                    0.0
                }
            };
        }
        ok && self.trip_stops.len() <= v.max_trips
            && self
                .trip_load
                .chunks(dims.max(1))
                .all(|tl| tl.iter().zip(&v.capacity).all(|(l, c)| l <= c))
            && v.max_stops
                .is_none_or(|m| self.trip_stops.iter().all(|&s| s <= m))
    }

    /// The trip a job inserted at `pos` joins (multi-trip routes).
    #[inline]
    pub fn trip_at(&self, pos: usize) -> usize {
        match pos.checked_sub(1) {
            None => 0,
            Some(i) if self.jobs[i] == RELOAD => self.trip_of[i] as usize + 1,
            Some(i) => self.trip_of[i] as usize,
        }
    }

    /// Whether `job` fits the capacity and stop limit of trip `trip` (multi-trip routes).
    #[inline]
    pub fn trip_has_room(&self, v: &VehicleType, job: &Job, trip: usize) -> bool {
        let dims = job.load.len();
        v.max_stops.is_none_or(|m| self.trip_stops[trip] < m)
            && self.trip_load[trip * dims..(trip + 1) * dims]
                .iter()
                .zip(&job.load)
                .zip(&v.capacity)
                .all(|((l, d), c)| l + d <= *c)
    }

    /// Cost of this route under the problem's objective (without duration).
    pub fn cost(&self, p: &Problem) -> f64 {
        if self.jobs.is_empty() {
            return 0.0;
        }
        self.stability
            + match p.objective {
                super::model::Objective::Cost => p.vehicle_types[self.vt].route_cost(self.distance),
                _ => self.distance,
            }
    }
}

/// How the route's stability cost changes when job `j` is inserted at `pos`: its own change,
/// and the job it pushes back no longer following the one before.
#[inline]
pub(crate) fn stability_delta(p: &Problem, r: &RouteState, j: u32, pos: usize) -> f64 {
    if p.stability.is_none() {
        return 0.0;
    }
    // Reloads are transparent here: a job follows the last job before it, whatever the trip.
    let before = r.jobs[..pos]
        .iter()
        .rev()
        .find(|&&x| x != RELOAD)
        .map(|&x| x as usize);
    let mut d = p.change_cost(j as usize, r.vt, before);
    if let Some(&next) = r.jobs[pos..].iter().find(|&&x| x != RELOAD) {
        d += p.change_cost(next as usize, r.vt, Some(j as usize))
            - p.change_cost(next as usize, r.vt, before);
    }
    d
}

/// Whether vehicle type `v` may carry `job` at all (capabilities, start site).
#[inline]
pub(crate) fn compatible(v: &VehicleType, job: &Job) -> bool {
    v.capabilities.covers(job.capabilities) && job.start_site.is_none_or(|s| s == v.start)
}

/// Whether the problem has constraints that depend on the departure time.
pub(crate) fn needs_simulation(p: &Problem, vt: usize, route_has_transit: bool, job: &Job) -> bool {
    route_has_transit || job.max_transit.is_some() || p.vehicle_types[vt].max_duration.is_some()
}

/// Outcome of trying one insertion position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Insertion {
    /// Feasible, with this distance delta.
    Feasible(f64),
    /// Infeasible here.
    Infeasible,
    /// The job's last window has closed by the time the vehicle can leave the previous stop;
    /// with travel times obeying the triangle inequality no later position can work either.
    TooLate,
}

/// Distance delta of inserting `j` at `pos` in route `r`. Capacity, capabilities and stop
/// count are checked by the caller once per route.
#[inline]
pub(crate) fn insertion_delta(
    p: &Problem,
    r: &RouteState,
    j: u32,
    pos: usize,
    sim: bool,
) -> Insertion {
    let v = &p.vehicle_types[r.vt];
    let c = &p.costs;
    let job = &p.jobs[j as usize];
    let n = r.jobs.len();
    let (prev_loc, dep) = if pos == 0 {
        (v.start, v.shift.start)
    } else {
        let pj = &p.jobs[r.jobs[pos - 1] as usize];
        (pj.location, r.earliest[pos - 1] + pj.service)
    };
    let arr = dep + c.time(prev_loc, job.location);
    let Some(st) = first_start(job, arr) else {
        return Insertion::TooLate;
    };
    let done = st + job.service;
    let delta;
    if pos < n {
        let nj = &p.jobs[r.jobs[pos] as usize];
        if done + c.time(job.location, nj.location) > r.latest[pos] + EPS {
            return Insertion::Infeasible;
        }
        delta = c.distance(prev_loc, job.location) + c.distance(job.location, nj.location)
            - c.distance(prev_loc, nj.location);
    } else {
        match v.end {
            Some(e) => {
                if done + c.time(job.location, e) > v.shift.end + EPS {
                    return Insertion::Infeasible;
                }
                delta = c.distance(prev_loc, job.location) + c.distance(job.location, e)
                    - c.distance(prev_loc, e);
            }
            None => {
                if done > v.shift.end + EPS {
                    return Insertion::Infeasible;
                }
                delta = c.distance(prev_loc, job.location);
            }
        }
    }
    if sim && simulate(p, r.vt, &r.jobs, Some((pos, j))).is_none() {
        return Insertion::Infeasible;
    }
    Insertion::Feasible(delta)
}

/// [`insertion_delta`] for a multi-trip route, where the neighbours of `pos` may be reloads.
/// Per-trip capacity and stop count are checked by the caller ([`RouteState::trip_has_room`]).
#[inline]
pub(crate) fn insertion_delta_trips(
    p: &Problem,
    r: &RouteState,
    j: u32,
    pos: usize,
    sim: bool,
) -> Insertion {
    let v = &p.vehicle_types[r.vt];
    let c = &p.costs;
    let job = &p.jobs[j as usize];
    let n = r.jobs.len();
    let (prev_loc, dep) = match pos.checked_sub(1).map(|i| (i, r.jobs[i])) {
        None => (v.start, v.shift.start),
        Some((i, RELOAD)) => (v.start, r.earliest[i] + v.reload_time),
        Some((i, x)) => {
            let pj = &p.jobs[x as usize];
            (pj.location, r.earliest[i] + pj.service)
        }
    };
    let arr = dep + c.time(prev_loc, job.location);
    let Some(st) = first_start(job, arr) else {
        return Insertion::TooLate;
    };
    let done = st + job.service;
    let delta;
    if pos < n {
        let next_loc = node_location(p, v, r.jobs[pos]);
        if done + c.time(job.location, next_loc) > r.latest[pos] + EPS {
            return Insertion::Infeasible;
        }
        delta = c.distance(prev_loc, job.location) + c.distance(job.location, next_loc)
            - c.distance(prev_loc, next_loc);
    } else {
        match v.end {
            Some(e) => {
                if done + c.time(job.location, e) > v.shift.end + EPS {
                    return Insertion::Infeasible;
                }
                delta = c.distance(prev_loc, job.location) + c.distance(job.location, e)
                    - c.distance(prev_loc, e);
            }
            None => {
                if done > v.shift.end + EPS {
                    return Insertion::Infeasible;
                }
                delta = c.distance(prev_loc, job.location);
            }
        }
    }
    if sim && simulate(p, r.vt, &r.jobs, Some((pos, j))).is_none() {
        return Insertion::Infeasible;
    }
    Insertion::Feasible(delta)
}

/// Where a new trip carrying one job can go in a multi-trip route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NewTrip {
    /// A trip of its own before the route's first trip.
    First,
    /// A trip of its own right after the trip ending before position `pos` (the end of the
    /// route, or a reload).
    After(usize),
}

/// Distance delta of carrying `j` on a new trip of its own in route `r`, or `None` when that
/// breaks a rule (trip count, capacity, windows, transit, duration). Checked by simulation:
/// new trips are a few candidates per route, not one per position.
pub(crate) fn new_trip_delta(
    p: &Problem,
    r: &RouteState,
    j: u32,
    at: NewTrip,
    scratch: &mut Vec<u32>,
) -> Option<f64> {
    let v = &p.vehicle_types[r.vt];
    let c = &p.costs;
    let loc = p.jobs[j as usize].location;
    let s = v.start;
    if r.trip_stops.len() >= v.max_trips || r.jobs.is_empty() {
        return None;
    }
    scratch.clear();
    let delta = match at {
        NewTrip::First => {
            scratch.extend([j, RELOAD]);
            scratch.extend_from_slice(&r.jobs);
            c.distance(s, loc) + c.distance(loc, s)
        }
        NewTrip::After(pos) => {
            let prev = node_location(p, v, r.jobs[pos - 1]);
            scratch.extend_from_slice(&r.jobs[..pos]);
            scratch.extend([RELOAD, j]);
            scratch.extend_from_slice(&r.jobs[pos..]);
            let (added, old) = if pos < r.jobs.len() {
                (c.distance(loc, s), c.distance(prev, s))
            } else {
                match v.end {
                    Some(e) => (c.distance(loc, e), c.distance(prev, e)),
                    None => (0.0, 0.0),
                }
            };
            c.distance(prev, s) + c.distance(s, loc) + added - old
        }
    };
    SEQ.with(|b| simulate_trips(p, r.vt, scratch, &mut b.borrow_mut().1))
        .map(|_| delta)
}

/// Simulate `jobs` (with `insert = (pos, job)` spliced in) leaving the start as late as the
/// windows allow, checking windows, max time in transit and max route duration.
pub(crate) fn simulate(
    p: &Problem,
    vt: usize,
    jobs: &[u32],
    insert: Option<(usize, u32)>,
) -> Option<Sim> {
    let v = &p.vehicle_types[vt];
    if v.max_trips > 1 {
        return SEQ.with(|b| {
            let mut b = b.borrow_mut();
            let (seq, deps) = &mut *b;
            seq.clear();
            seq.extend_from_slice(jobs);
            if let Some((pos, j)) = insert {
                seq.insert(pos, j);
            }
            simulate_trips(p, vt, seq, deps)
        });
    }
    let c = &p.costs;
    let len = jobs.len() + usize::from(insert.is_some());
    if len == 0 {
        return Some(Sim {
            departure: v.shift.start,
            duration: 0.0,
        });
    }
    let at = |k: usize| -> &Job {
        let idx = match insert {
            Some((pos, j)) if k == pos => j,
            Some((pos, _)) if k > pos => jobs[k - 1],
            _ => jobs[k],
        };
        &p.jobs[idx as usize]
    };
    // Backward: latest start at the first stop.
    let last = at(len - 1);
    let mut bound = match v.end {
        Some(e) => v.shift.end - c.time(last.location, e),
        None => v.shift.end,
    };
    let mut latest_first = f64::NEG_INFINITY;
    for k in (0..len).rev() {
        let job = at(k);
        let l = last_start(job, bound - job.service);
        if l == f64::NEG_INFINITY {
            return None;
        }
        if k > 0 {
            bound = l - c.time(at(k - 1).location, job.location);
        } else {
            latest_first = l;
        }
    }
    let first = at(0);
    let mut departure = (latest_first - c.time(v.start, first.location)).max(v.shift.start);
    if departure == f64::INFINITY {
        // Nothing bounds the route from above: leave when the first window opens (or at 0).
        let open = first.windows[0].start - c.time(v.start, first.location);
        departure = [open, v.shift.start, 0.0]
            .into_iter()
            .filter(|x| x.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
    }
    if !departure.is_finite() {
        return None;
    }
    let run = |departure: f64| -> Option<Sim> {
        if !departure.is_finite() {
            return None;
        }
        let mut t = departure;
        let mut prev = v.start;
        for k in 0..len {
            let job = at(k);
            let arr = t + c.time(prev, job.location);
            if let Some(m) = job.max_transit
                && arr - departure > m + EPS
            {
                return None;
            }
            let st = first_start(job, arr)?;
            t = st + job.service;
            prev = job.location;
        }
        if let Some(e) = v.end {
            t += c.time(prev, e);
        }
        if t > v.shift.end + EPS {
            return None;
        }
        let duration = t - departure;
        if v.max_duration.is_some_and(|m| duration > m + EPS) {
            return None;
        }
        Some(Sim {
            departure,
            duration,
        })
    };
    // The latest departure minimises every transit time and the duration when each stop has
    // one window. With several windows, leaving later can push a stop into a later window and
    // lengthen what follows, so fall back to leaving just in time for the earliest schedule,
    // then to the shift start.
    run(departure).or_else(|| {
        let to_first = c.time(v.start, first.location);
        let just_in_time = first_start(first, v.shift.start + to_first)? - to_first;
        run(just_in_time.max(v.shift.start)).or_else(|| run(v.shift.start))
    })
}

/// Serve the stops of one trip leaving at `departure`: the time its last service ends and the
/// total waiting, or `None` when a window is missed. With `transit`, a stop arriving later after
/// the departure than its max time in transit is a miss too.
fn ride(
    p: &Problem,
    v: &VehicleType,
    stops: &[u32],
    departure: f64,
    transit: bool,
) -> Option<(f64, f64)> {
    let c = &p.costs;
    let (mut t, mut prev, mut waited) = (departure, v.start, 0.0);
    for &x in stops {
        let job = &p.jobs[x as usize];
        let arr = t + c.time(prev, job.location);
        if transit && job.max_transit.is_some_and(|m| arr - departure > m + EPS) {
            return None;
        }
        let st = first_start(job, arr)?;
        waited += st - arr;
        t = st + job.service;
        prev = job.location;
    }
    Some((t, waited))
}

/// [`simulate`] for a multi-trip sequence (reload markers included): checks the trip structure,
/// per-trip capacity and stop count, windows across trips, reload time, max time in transit
/// from each trip's departure, max duration and shift end. The first trip leaves as late as the
/// whole route allows; each later trip leaves once reloaded, delayed by as much of its own
/// waiting as its windows allow (shortest transit, same end). `deps` receives every trip's
/// departure.
pub(crate) fn simulate_trips(
    p: &Problem,
    vt: usize,
    seq: &[u32],
    deps: &mut Vec<f64>,
) -> Option<Sim> {
    let v = &p.vehicle_types[vt];
    let len = seq.len();
    deps.clear();
    if len == 0 {
        return Some(Sim {
            departure: v.shift.start,
            duration: 0.0,
        });
    }
    if seq[0] == RELOAD
        || seq[len - 1] == RELOAD
        || seq.windows(2).any(|w| w[0] == RELOAD && w[1] == RELOAD)
    {
        return None;
    }
    TRIPS.with(|b| {
        let mut b = b.borrow_mut();
        let (bounds, load, latest_dep) = &mut *b;
        simulate_trips_in(p, vt, seq, deps, bounds, load, latest_dep)
    })
}

/// The body of [`simulate_trips`], with its buffers.
fn simulate_trips_in(
    p: &Problem,
    vt: usize,
    seq: &[u32],
    deps: &mut Vec<f64>,
    bounds: &mut Vec<(usize, usize)>,
    load: &mut Vec<i64>,
    latest_dep: &mut Vec<f64>,
) -> Option<Sim> {
    let v = &p.vehicle_types[vt];
    let c = &p.costs;
    let len = seq.len();
    // Trip boundaries, capacity and stops per trip.
    bounds.clear();
    load.clear();
    load.resize(p.dims, 0);
    let mut first = 0;
    for (k, &x) in seq.iter().chain(std::iter::once(&RELOAD)).enumerate() {
        if x == RELOAD {
            bounds.push((first, k));
            first = k + 1;
            load.iter_mut().for_each(|l| *l = 0);
            continue;
        }
        let job = &p.jobs[x as usize];
        for (l, d) in load.iter_mut().zip(&job.load) {
            *l += d;
        }
        if load.iter().zip(&v.capacity).any(|(l, cap)| l > cap)
            || v.max_stops.is_some_and(|m| k + 1 - first > m)
        {
            return None;
        }
    }
    if bounds.len() > v.max_trips {
        return None;
    }
    // Backward: the latest departure of every trip that keeps the rest feasible.
    latest_dep.clear();
    latest_dep.resize(bounds.len(), f64::NEG_INFINITY);
    let last_loc = node_location(p, v, seq[len - 1]);
    let mut bound = match v.end {
        Some(e) => v.shift.end - c.time(last_loc, e),
        None => v.shift.end,
    };
    let mut trip = bounds.len();
    for k in (0..len).rev() {
        let x = seq[k];
        let l = if x == RELOAD {
            bound - v.reload_time
        } else {
            let job = &p.jobs[x as usize];
            let l = last_start(job, bound - job.service);
            if l == f64::NEG_INFINITY {
                return None;
            }
            l
        };
        let prev_loc = if k > 0 {
            node_location(p, v, seq[k - 1])
        } else {
            v.start
        };
        bound = l - c.time(prev_loc, node_location(p, v, x));
        if k == 0 || seq[k - 1] == RELOAD {
            trip -= 1;
            latest_dep[trip] = bound;
        }
    }
    let first_job = &p.jobs[seq[0] as usize];
    let to_first = c.time(v.start, first_job.location);
    let mut departure = latest_dep[0].max(v.shift.start);
    if departure == f64::INFINITY {
        let open = first_job.windows[0].start - to_first;
        departure = [open, v.shift.start, 0.0]
            .into_iter()
            .filter(|x| x.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
    }
    let run = |departure: f64, deps: &mut Vec<f64>| -> Option<Sim> {
        if !departure.is_finite() {
            return None;
        }
        deps.clear();
        let mut t = departure;
        let mut prev = v.start;
        for (i, &(a, b)) in bounds.iter().enumerate() {
            let stops = &seq[a..b];
            let dep = if i == 0 {
                departure
            } else {
                let ready = t + c.time(prev, v.start) + v.reload_time;
                let (_, waited) = ride(p, v, stops, ready, false)?;
                let delay = waited.min(latest_dep[i] - ready).max(0.0);
                if delay > 0.0 && ride(p, v, stops, ready + delay, true).is_some() {
                    ready + delay
                } else {
                    ready
                }
            };
            deps.push(dep);
            t = ride(p, v, stops, dep, true)?.0;
            prev = p.jobs[seq[b - 1] as usize].location;
        }
        if let Some(e) = v.end {
            t += c.time(prev, e);
        }
        if t > v.shift.end + EPS {
            return None;
        }
        let duration = t - departure;
        if v.max_duration.is_some_and(|m| duration > m + EPS) {
            return None;
        }
        Some(Sim {
            departure,
            duration,
        })
    };
    run(departure, deps).or_else(|| {
        let just_in_time = first_start(first_job, v.shift.start + to_first)? - to_first;
        run(just_in_time.max(v.shift.start), deps).or_else(|| run(v.shift.start, deps))
    })
}

/// Why `job` cannot be served even alone: check it on each vehicle type and report the
/// furthest stage any vehicle type reached; `NoRoom` when it fits some vehicle alone.
pub(crate) fn explain(p: &Problem, j: usize) -> ReasonCode {
    let job = &p.jobs[j];
    let c = &p.costs;
    let mut best = ReasonCode::NoVehicle;
    // Codes are declared in check order, so a later code means the job got further.
    let rank = |r: ReasonCode| r as u8;
    for (vi, v) in p.vehicle_types.iter().enumerate() {
        let direct_misses_window = {
            let arr = v.shift.start + c.time(v.start, job.location);
            match first_start(job, arr) {
                None => true,
                Some(st) => {
                    st + job.service + v.end.map_or(0.0, |e| c.time(job.location, e))
                        > v.shift.end + EPS
                }
            }
        };
        let reached = if !v.capabilities.covers(job.capabilities) {
            ReasonCode::CapabilityMissing
        } else if job.start_site.is_some_and(|s| s != v.start) {
            ReasonCode::NoStartSite
        } else if job.load.iter().zip(&v.capacity).any(|(l, cap)| l > cap) {
            ReasonCode::CapacityExceeded
        } else if !c.time(v.start, job.location).is_finite()
            || v.end.is_some_and(|e| !c.time(job.location, e).is_finite())
        {
            ReasonCode::Unreachable
        } else if direct_misses_window {
            ReasonCode::WindowUnreachable
        } else if job
            .max_transit
            .is_some_and(|m| c.time(v.start, job.location) > m + EPS)
        {
            ReasonCode::TransitTooShort
        } else if v.max_stops == Some(0) {
            ReasonCode::NoStopsAllowed
        } else if simulate(p, vi, &[j as u32], None).is_none() {
            ReasonCode::RouteTooLong
        } else if v.count == Some(0) || v.group.is_some_and(|g| p.group_limits.get(g) == Some(&0)) {
            ReasonCode::NoVehicle
        } else {
            return ReasonCode::NoRoom;
        };
        if rank(reached) > rank(best) {
            best = reached;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::model::{Costs, Job, Objective, Rounding, TimeWindow, VehicleType};

    fn job_with(windows: &[(f64, f64)]) -> Job {
        let mut j = Job::new("j", 1, 1);
        j.windows = windows
            .iter()
            .map(|&(a, b)| TimeWindow::new(a, b).unwrap())
            .collect();
        j
    }

    #[test]
    fn service_starts_in_the_first_window_still_open() {
        let j = job_with(&[(10.0, 20.0), (50.0, 60.0)]);
        assert_eq!(first_start(&j, 5.0), Some(10.0));
        assert_eq!(first_start(&j, 15.0), Some(15.0));
        assert_eq!(first_start(&j, 25.0), Some(50.0));
        assert_eq!(first_start(&j, 61.0), None);
        assert_eq!(last_start(&j, 100.0), 60.0);
        assert_eq!(last_start(&j, 30.0), 20.0);
        assert_eq!(last_start(&j, 5.0), f64::NEG_INFINITY);
    }

    #[test]
    fn the_vehicle_leaves_as_late_as_the_windows_allow() {
        // Start at 0, stop 10 away opening at 100: leave at 90, not at the shift start.
        let costs = Costs::euclidean(&[(0.0, 0.0), (10.0, 0.0)], Rounding::None);
        let mut j = job_with(&[(100.0, 120.0)]);
        j.max_transit = Some(10.0);
        let mut v = VehicleType::new("v", 0, 1);
        v.end = None;
        v.shift = TimeWindow::new(0.0, 500.0).unwrap();
        let p = Problem::new(costs, vec![j], vec![v], Objective::Cost).unwrap();
        let s = simulate(&p, 0, &[0], None).unwrap();
        assert_eq!(s.departure, 110.0, "latest start 120 minus 10 of travel");
        assert_eq!(s.duration, 10.0);
        let mut r = RouteState::new(0, 1);
        r.jobs.push(0);
        assert!(r.update(&p));
        assert_eq!(r.earliest, vec![100.0]);
        assert_eq!(r.latest, vec![120.0]);
    }

    #[test]
    fn explanations_report_the_furthest_stage_reached() {
        let costs = Costs::euclidean(&[(0.0, 0.0), (10.0, 0.0)], Rounding::None);
        let mut heavy = Job::new("heavy", 1, 1);
        heavy.load = vec![5];
        let mut small = VehicleType::new("small", 0, 1);
        small.capacity = vec![1];
        let mut big_but_blind = VehicleType::new("big", 0, 1);
        big_but_blind.capabilities = crate::planner::model::Capabilities(0);
        heavy.capabilities = crate::planner::model::Capabilities(1);
        let p = Problem::new(
            costs,
            vec![heavy],
            vec![small, big_but_blind],
            Objective::Cost,
        )
        .unwrap();
        // Neither vehicle has the capability: that is the first check and the answer.
        assert_eq!(explain(&p, 0), ReasonCode::CapabilityMissing);
    }
}
