//! The independent feasibility checker: given a problem and a solution, recompute every
//! arrival, service start, load, distance, cost and total from scratch, and verify windows,
//! capacity, max time in transit, max stops, max route duration, capabilities, start sites,
//! fleet sizes (per type and per fleet group) and coverage (every job exactly once, served or
//! reported unassigned). Routes of several trips are replayed trip by trip: the ride back to the
//! start site, the reload time before the next departure, capacity and stops per trip, transit
//! from the trip's departure.
//!
//! Owns the definition of "a valid solution". Deliberately shares no code with the solver's
//! incremental structures (`constraints`, `operators`, `solver`): a bug there must not hide here.

use super::model::{InitialRoute, Priority, Problem, Solution};

/// Slack allowed when comparing recomputed and reported numbers.
const TOL: f64 = 1e-6;

/// One broken rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Index of the route in the solution, when the violation belongs to one.
    pub route: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.route {
            Some(r) => write!(f, "route {r}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// Totals recomputed by the checker.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// Non-empty routes.
    pub vehicles: usize,
    /// Total distance.
    pub distance: f64,
    /// Total cost.
    pub cost: f64,
    /// Total duration.
    pub duration: f64,
    /// Unassigned urgent jobs.
    pub unassigned_urgent: usize,
    /// Unassigned routine jobs.
    pub unassigned_routine: usize,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * (1.0 + a.abs().max(b.abs()))
}

/// Check that `solution` kept what a warm start fixed: every sealed route exactly (same vehicle
/// type, same jobs in the same order) and every locked prefix first on one route of its vehicle
/// type, in order. Run it alongside [`check`].
pub fn check_kept(solution: &Solution, initial: &[InitialRoute]) -> Vec<Violation> {
    let mut bad = Vec::new();
    let mut used = vec![false; solution.routes.len()];
    for (i, ir) in initial.iter().enumerate() {
        let keep = if ir.sealed { ir.jobs.len() } else { ir.locked };
        if keep == 0 {
            continue;
        }
        let found = solution.routes.iter().enumerate().position(|(ri, r)| {
            !used[ri]
                && r.vehicle_type == ir.vehicle_type
                && r.stops.len() >= keep
                && (!ir.sealed || r.stops.len() == ir.jobs.len())
                && r.stops
                    .iter()
                    .zip(&ir.jobs[..keep])
                    .all(|(s, &j)| s.job == j)
        });
        match found {
            Some(ri) => used[ri] = true,
            None => bad.push(Violation {
                route: None,
                message: if ir.sealed {
                    format!("sealed initial route {i} was not kept exactly")
                } else {
                    format!("the {keep} locked stops of initial route {i} were not kept first")
                },
            }),
        }
    }
    bad
}

/// Check `solution` against `problem`; every violation found is returned.
pub fn check(problem: &Problem, solution: &Solution) -> Result<CheckReport, Vec<Violation>> {
    let p = problem;
    let c = p.costs();
    let jobs = p.jobs();
    let vts = p.vehicle_types();
    let mut bad = Vec::new();
    let mut err = |route: Option<usize>, message: String| bad.push(Violation { route, message });
    let mut times_seen = vec![0u32; jobs.len()];
    let mut per_type = vec![0usize; vts.len()];
    let (mut distance_sum, mut cost_sum, mut duration_sum) = (0.0, 0.0, 0.0);

    for (ri, r) in solution.routes.iter().enumerate() {
        let here = Some(ri);
        let Some(v) = vts.get(r.vehicle_type) else {
            err(here, format!("unknown vehicle type {}", r.vehicle_type));
            continue;
        };
        if r.stops.is_empty() {
            err(here, "route has no stops".into());
            continue;
        }
        per_type[r.vehicle_type] += 1;
        // The trips must cover the stops in order, each with at least one stop.
        let mut next = 0;
        let mut well_formed = !r.trips.is_empty();
        for tr in &r.trips {
            well_formed &= tr.first_stop == next && tr.stops > 0;
            next = tr.first_stop + tr.stops;
        }
        if !well_formed || next != r.stops.len() {
            err(
                here,
                "trips do not split the stops into consecutive non-empty parts".into(),
            );
            for s in &r.stops {
                if let Some(n) = times_seen.get_mut(s.job) {
                    *n += 1;
                }
            }
            continue;
        }
        if r.trips.len() > v.max_trips {
            err(
                here,
                format!("{} trips, vehicle allows {}", r.trips.len(), v.max_trips),
            );
        }
        if !close(r.trips[0].departure, r.departure) {
            err(
                here,
                format!(
                    "first trip leaves at {}, route at {}",
                    r.trips[0].departure, r.departure
                ),
            );
        }
        if r.departure < v.shift.start - TOL {
            err(
                here,
                format!(
                    "departs at {} before shift start {}",
                    r.departure, v.shift.start
                ),
            );
        }
        // Load carried out of the start site on each trip.
        let mut trip_loads = Vec::with_capacity(r.trips.len());
        for (ti, tr) in r.trips.iter().enumerate() {
            if let Some(m) = v.max_stops
                && tr.stops > m
            {
                err(
                    here,
                    format!("trip {ti}: {} stops, vehicle allows {m}", tr.stops),
                );
            }
            let mut load = vec![0i64; v.capacity.len()];
            for s in &r.stops[tr.first_stop..tr.first_stop + tr.stops] {
                if let Some(job) = jobs.get(s.job) {
                    for (l, d) in load.iter_mut().zip(&job.load) {
                        *l += d;
                    }
                }
            }
            for (d, (l, cap)) in load.iter().zip(&v.capacity).enumerate() {
                if l > cap {
                    err(
                        here,
                        format!("trip {ti}: load {l} exceeds capacity {cap} in dimension {d}"),
                    );
                }
            }
            if tr.load != load {
                err(
                    here,
                    format!(
                        "trip {ti}: reported load {:?}, recomputed {:?}",
                        tr.load, load
                    ),
                );
            }
            trip_loads.push(load);
        }
        if r.load_start != trip_loads[0] {
            err(
                here,
                format!(
                    "reported start load {:?}, recomputed {:?}",
                    r.load_start, trip_loads[0]
                ),
            );
        }
        let mut load = trip_loads[0].clone();
        let mut trip = 0;
        let mut trip_departure = r.departure;
        let mut t = r.departure;
        let mut at = v.start;
        let mut dist = 0.0;
        for (k, s) in r.stops.iter().enumerate() {
            if trip + 1 < r.trips.len() && k == r.trips[trip + 1].first_stop {
                // Ride back, reload, leave again.
                dist += c.distance(at, v.start);
                let back = t + c.time(at, v.start);
                if r.trips[trip].reload_arrival.is_none_or(|x| !close(x, back)) {
                    err(
                        here,
                        format!(
                            "trip {trip}: reported return {:?}, recomputed {back:.3}",
                            r.trips[trip].reload_arrival
                        ),
                    );
                }
                trip += 1;
                let ready = back + v.reload_time;
                trip_departure = r.trips[trip].departure;
                if trip_departure.is_nan() || trip_departure < ready - TOL {
                    err(
                        here,
                        format!(
                            "trip {trip}: leaves at {trip_departure:.3}, before the reload ends at {ready:.3}"
                        ),
                    );
                }
                t = trip_departure;
                at = v.start;
                load.clone_from(&trip_loads[trip]);
            }
            let Some(job) = jobs.get(s.job) else {
                err(here, format!("stop {k}: unknown job {}", s.job));
                continue;
            };
            times_seen[s.job] += 1;
            if job.id != s.job_id {
                err(
                    here,
                    format!("stop {k}: job {} reported as id {}", job.id, s.job_id),
                );
            }
            if !v.capabilities.covers(job.capabilities) {
                err(
                    here,
                    format!("job {} needs capabilities the vehicle lacks", job.id),
                );
            }
            if let Some(site) = job.start_site
                && site != v.start
            {
                err(
                    here,
                    format!(
                        "job {} must start at location {site}, vehicle starts at {}",
                        job.id, v.start
                    ),
                );
            }
            let travel = c.time(at, job.location);
            dist += c.distance(at, job.location);
            let arrival = t + travel;
            if !arrival.is_finite() {
                err(here, format!("job {}: no path to the stop", job.id));
                break;
            }
            // Service starts at the arrival or the opening of the first window still open.
            let start = job
                .windows
                .iter()
                .find(|w| arrival <= w.end + TOL)
                .map(|w| arrival.max(w.start));
            let Some(start) = start else {
                err(
                    here,
                    format!(
                        "job {}: arrives at {arrival:.3}, after its last window closes",
                        job.id
                    ),
                );
                break;
            };
            if let Some(m) = job.max_transit
                && arrival - trip_departure > m + TOL
            {
                err(
                    here,
                    format!(
                        "job {}: {:.3} in transit, limit {m}",
                        job.id,
                        arrival - trip_departure
                    ),
                );
            }
            if !close(arrival, s.arrival)
                || !close(start, s.start)
                || !close(start + job.service, s.departure)
            {
                err(
                    here,
                    format!(
                        "job {}: reported arrival/start/departure {:.3}/{:.3}/{:.3}, recomputed {:.3}/{:.3}/{:.3}",
                        job.id,
                        s.arrival,
                        s.start,
                        s.departure,
                        arrival,
                        start,
                        start + job.service
                    ),
                );
            }
            for (l, d) in load.iter_mut().zip(&job.load) {
                *l -= d;
            }
            if s.load_after != load {
                err(
                    here,
                    format!(
                        "job {}: reported load after {:?}, recomputed {:?}",
                        job.id, s.load_after, load
                    ),
                );
            }
            t = start + job.service;
            at = job.location;
        }
        if r.trips.last().is_some_and(|tr| tr.reload_arrival.is_some()) {
            err(here, "the last trip reports a return to reload".into());
        }
        let end = match v.end {
            Some(e) => {
                dist += c.distance(at, e);
                let back = t + c.time(at, e);
                if r.end_arrival.is_none_or(|x| !close(x, back)) {
                    err(
                        here,
                        format!(
                            "reported end arrival {:?}, recomputed {back:.3}",
                            r.end_arrival
                        ),
                    );
                }
                back
            }
            None => t,
        };
        if end > v.shift.end + TOL {
            err(
                here,
                format!("ends at {end:.3}, after shift end {}", v.shift.end),
            );
        }
        let duration = end - r.departure;
        if let Some(m) = v.max_duration
            && duration > m + TOL
        {
            err(here, format!("duration {duration:.3} exceeds {m}"));
        }
        let raw = v.fixed_cost + v.cost_per_distance * dist;
        let cost = match v.fare_cap {
            Some(cap) if cap < raw => cap,
            _ => raw,
        };
        if !close(dist, r.distance) {
            err(
                here,
                format!("reported distance {}, recomputed {dist}", r.distance),
            );
        }
        if !close(cost, r.cost.total) {
            err(
                here,
                format!("reported cost {}, recomputed {cost}", r.cost.total),
            );
        }
        if !close(duration, r.duration) {
            err(
                here,
                format!("reported duration {}, recomputed {duration}", r.duration),
            );
        }
        distance_sum += dist;
        cost_sum += cost;
        duration_sum += duration;
    }
    for (vt, v) in vts.iter().enumerate() {
        if let Some(cnt) = v.count
            && per_type[vt] > cnt
        {
            err(
                None,
                format!(
                    "vehicle type {} used {} times, {cnt} available",
                    v.id, per_type[vt]
                ),
            );
        }
    }
    for (g, limit) in p.group_limits().iter().enumerate() {
        let in_group: usize = vts
            .iter()
            .enumerate()
            .filter(|(_, v)| v.group == Some(g))
            .map(|(vt, _)| per_type[vt])
            .sum();
        if in_group > *limit {
            err(
                None,
                format!("fleet group {g} used {in_group} times, {limit} available"),
            );
        }
    }
    let mut urgent = 0;
    for u in &solution.unassigned {
        match jobs.get(u.job) {
            Some(job) => {
                times_seen[u.job] += 1;
                urgent += usize::from(job.priority == Priority::Urgent);
            }
            None => err(None, format!("unknown unassigned job {}", u.job)),
        }
    }
    for (j, n) in times_seen.iter().enumerate() {
        match n {
            1 => {}
            0 => err(
                None,
                format!(
                    "job {} is neither routed nor reported unassigned",
                    jobs[j].id
                ),
            ),
            _ => err(None, format!("job {} appears {n} times", jobs[j].id)),
        }
    }
    let report = CheckReport {
        vehicles: solution.routes.len(),
        distance: distance_sum,
        cost: cost_sum,
        duration: duration_sum,
        unassigned_urgent: urgent,
        unassigned_routine: solution.unassigned.len() - urgent,
    };
    let s = &solution.summary;
    if s.vehicles != report.vehicles
        || !close(s.distance, report.distance)
        || !close(s.cost, report.cost)
        || !close(s.duration, report.duration)
        || s.unassigned_urgent != report.unassigned_urgent
        || s.unassigned_routine != report.unassigned_routine
    {
        err(
            None,
            format!("summary {s:?} disagrees with the recomputed totals {report:?}"),
        );
    }
    if bad.is_empty() { Ok(report) } else { Err(bad) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::model::{
        CostBreakdown, Costs, Job, Objective, Rounding, Route, Stop, Summary, VehicleType,
    };

    /// One job 5 away from the start, served by a closed route written by hand.
    fn hand_made(load: i64) -> (Problem, Solution) {
        let costs = Costs::euclidean(&[(0.0, 0.0), (3.0, 4.0)], Rounding::None);
        let mut j = Job::new("a", 1, 1);
        j.load = vec![load];
        j.service = 2.0;
        let mut v = VehicleType::new("v", 0, 1);
        v.capacity = vec![3];
        let p = Problem::new(costs, vec![j], vec![v], Objective::Distance).unwrap();
        let stop = Stop {
            job: 0,
            job_id: "a".into(),
            arrival: 5.0,
            start: 5.0,
            departure: 7.0,
            load_after: vec![0],
        };
        let cost = CostBreakdown {
            fixed: 0.0,
            distance: 10.0,
            capped: false,
            total: 10.0,
        };
        let route = Route {
            vehicle_type: 0,
            vehicle_id: "v".into(),
            departure: 0.0,
            load_start: vec![load],
            stops: vec![stop],
            trips: vec![crate::planner::model::Trip {
                departure: 0.0,
                first_stop: 0,
                stops: 1,
                load: vec![load],
                reload_arrival: None,
            }],
            end_arrival: Some(12.0),
            distance: 10.0,
            duration: 12.0,
            cost,
            locked: 0,
            sealed: false,
        };
        let summary = Summary {
            vehicles: 1,
            distance: 10.0,
            cost: 10.0,
            duration: 12.0,
            unassigned_urgent: 0,
            unassigned_routine: 0,
        };
        (
            p,
            Solution {
                routes: vec![route],
                unassigned: vec![],
                summary,
            },
        )
    }

    #[test]
    fn a_correct_hand_made_solution_passes() {
        let (p, s) = hand_made(3);
        let r = check(&p, &s).unwrap();
        assert_eq!(r.vehicles, 1);
        assert_eq!(r.distance, 10.0);
    }

    #[test]
    fn an_overloaded_route_is_refused() {
        let (p, s) = hand_made(4);
        let v = check(&p, &s).unwrap_err();
        assert!(
            v.iter().any(|v| v.message.contains("exceeds capacity")),
            "{v:?}"
        );
    }
}
