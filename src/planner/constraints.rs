//! Hard constraints as the solver sees them: per-route caches that make an insertion's
//! feasibility an O(1) question for capacity and time windows (forward earliest start,
//! backward latest start, after Savelsbergh), a full-route simulation for the constraints that
//! depend on the departure time (max time in transit, max route duration), and the per-job
//! explanation of why a job cannot be served at all.
//!
//! Owns the solver's incremental structures. Must not be used by the checker, which recomputes
//! everything on its own.

use super::model::{Job, Problem, ReasonCode, VehicleType};

/// Tolerance for time comparisons: Solomon times are sums of irrational distances.
pub(crate) const EPS: f64 = 1e-7;

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
        }
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Recompute every cache from the job sequence. Returns false when the route is infeasible
    /// for windows (only possible for warm-start input).
    pub fn update(&mut self, p: &Problem) -> bool {
        let v = &p.vehicle_types[self.vt];
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
    let before = pos.checked_sub(1).map(|i| r.jobs[i] as usize);
    let mut d = p.change_cost(j as usize, r.vt, before);
    if let Some(&next) = r.jobs.get(pos) {
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

/// Simulate `jobs` (with `insert = (pos, job)` spliced in) leaving the start as late as the
/// windows allow, checking windows, max time in transit and max route duration.
pub(crate) fn simulate(
    p: &Problem,
    vt: usize,
    jobs: &[u32],
    insert: Option<(usize, u32)>,
) -> Option<Sim> {
    let v = &p.vehicle_types[vt];
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
        } else if v.count == Some(0) {
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
