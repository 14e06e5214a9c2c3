//! The search: an initial greedy construction, then ruin-and-recreate (SISR strings, greedy
//! insertion with blinks) under simulated annealing, with a fleet-minimisation phase for the
//! vehicles-then-distance objective (remove a route, absorb its jobs, guided by how long each
//! job has been left out). Seeded, deadline-bounded, returns the best solution seen.
//!
//! Owns the search loop, its state and its random numbers. Must not depend on the checker
//! (solutions are checked from outside) or on I/O.

use std::time::{Duration, Instant};

use super::PlannerError;
use super::constraints::{RELOAD, RouteState, explain, first_start, simulate, simulate_trips};
use super::model::{
    CostBreakdown, InitialRoute, Objective, Priority, Problem, Route, Solution, Stop, Summary,
    Trip, Unassigned,
};
use super::operators::{RuinParams, recreate, ruin_strings, sort_removed};

/// How to run [`solve`].
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// Wall-clock budget; the best solution so far is returned when it runs out.
    pub time_limit: Duration,
    /// Seed of the search's random numbers.
    pub seed: u64,
    /// Stop after this many iterations. With a limit and a time budget that is never reached,
    /// the result depends only on the seed and the input.
    pub max_iterations: Option<u64>,
    /// Warm start: routes to begin from; their locked leading stops stay in place.
    pub initial: Vec<InitialRoute>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            time_limit: Duration::from_secs(1),
            seed: 1,
            max_iterations: None,
            initial: Vec::new(),
        }
    }
}

/// A small, fast, seeded generator (SplitMix64 seeding, xorshift64* steps): the search needs
/// speed and reproducibility, not cryptographic quality.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self(z | 1)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n > 0`).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

/// Read-only data shared by the operators.
pub(crate) struct Ctx<'a> {
    pub p: &'a Problem,
    /// Per job, the other jobs by increasing distance (truncated on large instances).
    pub neighbours: Vec<Vec<u32>>,
    /// An empty route per vehicle type, to evaluate opening a new route.
    pub empty: Vec<RouteState>,
    /// Per job, the summed load (for the "largest first" insertion order).
    pub load_size: Vec<f64>,
    /// Per job, the distance from its start site (for "farthest"/"closest" orders).
    pub home_dist: Vec<f64>,
    /// Extra insertion cost of opening a route under the vehicles-first objective.
    pub new_route_penalty: f64,
    /// Weight of travel time against cost (duration is the last criterion of `Cost`).
    pub duration_weight: f64,
    /// Travel times obey the triangle inequality (checked on a sample), so an insertion that
    /// is too late after one stop is too late after every later stop.
    pub metric: bool,
}

/// A solution under search.
#[derive(Debug)]
pub(crate) struct State {
    pub routes: Vec<RouteState>,
    pub unassigned: Vec<u32>,
    /// Route index per job, `u32::MAX` when unassigned.
    pub route_of: Vec<u32>,
    /// Non-empty routes per vehicle type.
    pub used: Vec<usize>,
    /// Non-empty routes.
    pub nonempty: usize,
}

impl Clone for State {
    fn clone(&self) -> Self {
        Self {
            routes: self.routes.clone(),
            unassigned: self.unassigned.clone(),
            route_of: self.route_of.clone(),
            used: self.used.clone(),
            nonempty: self.nonempty,
        }
    }

    fn clone_from(&mut self, s: &Self) {
        self.routes.clone_from(&s.routes);
        self.unassigned.clone_from(&s.unassigned);
        self.route_of.clone_from(&s.route_of);
        self.used.clone_from(&s.used);
        self.nonempty = s.nonempty;
    }
}

impl State {
    /// Copy the routes in `touched` (and the small bookkeeping) from `src`.
    fn sync_from(&mut self, src: &State, touched: &[usize], dims: usize) {
        while self.routes.len() < src.routes.len() {
            self.routes.push(RouteState::new(0, dims));
        }
        for &r in touched {
            if r < src.routes.len() {
                self.routes[r].clone_from(&src.routes[r]);
            }
        }
        self.routes.truncate(src.routes.len());
        self.unassigned.clone_from(&src.unassigned);
        self.used.clone_from(&src.used);
        self.nonempty = src.nonempty;
        for &j in &self.unassigned {
            self.route_of[j as usize] = u32::MAX;
        }
        for &r in touched {
            if r < self.routes.len() {
                for &j in self.routes[r].jobs.iter().filter(|&&j| j != RELOAD) {
                    self.route_of[j as usize] = r as u32;
                }
            }
        }
    }
}

/// Lexicographic score: unassigned urgent, unassigned routine, vehicles (vehicles-first
/// objective only), then cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Score {
    pub urgent: usize,
    pub routine: usize,
    pub vehicles: usize,
    pub cost: f64,
}

impl Score {
    fn head(&self) -> (usize, usize, usize) {
        (self.urgent, self.routine, self.vehicles)
    }
}

fn score(ctx: &Ctx, s: &State) -> Score {
    let p = ctx.p;
    let urgent = s
        .unassigned
        .iter()
        .filter(|&&j| p.jobs[j as usize].priority == Priority::Urgent)
        .count();
    let mut cost = 0.0;
    for r in &s.routes {
        if !r.is_empty() {
            cost += r.cost(p);
            if p.objective == Objective::Cost {
                cost += ctx.duration_weight * r.duration;
            }
        }
    }
    Score {
        urgent,
        routine: s.unassigned.len() - urgent,
        vehicles: if p.objective == Objective::VehiclesThenDistance {
            s.nonempty
        } else {
            0
        },
        cost,
    }
}

const RUIN: RuinParams = RuinParams {
    avg_removed: 10.0,
    max_string: 10.0,
    split_rate: 0.5,
    split_grow: 0.5,
};
const BLINK: f64 = 0.01;
/// Most greedy constructions tried before the search (bounded by 2% of the budget too).
const MAX_STARTS: usize = 8;
/// Share of the budget without a new best after which the search restarts.
const STALL: f64 = 0.3;
/// Share of the budget spent on fleet minimisation under the vehicles-first objective
/// (measured on Solomon at 1 s: 0.5 cost distance without saving vehicles, 0.15 lost some).
const FLEET_SHARE: f64 = 0.3;

/// Solve `problem` within `options.time_limit`; deterministic for a seed and an iteration limit.
pub fn solve(problem: &Problem, options: &SolveOptions) -> Result<Solution, PlannerError> {
    let started = Instant::now();
    let deadline = started + options.time_limit;
    let p = problem;
    let n = p.jobs.len();
    let mut rng = Rng::new(options.seed);
    let ctx = build_ctx(p);
    let mut s = State {
        routes: Vec::new(),
        unassigned: Vec::new(),
        route_of: vec![u32::MAX; n],
        used: vec![0; p.vehicle_types.len()],
        nonempty: 0,
    };
    // Warm start.
    let mut seen = vec![false; n];
    for (i, ir) in options.initial.iter().enumerate() {
        if ir.vehicle_type >= p.vehicle_types.len() || ir.locked > ir.jobs.len() {
            return Err(PlannerError::Invalid(format!(
                "initial route {i}: bad vehicle type or locked count"
            )));
        }
        if ir.jobs.is_empty() {
            continue;
        }
        let mut r = RouteState::new(ir.vehicle_type, p.dims);
        for &j in &ir.jobs {
            if j >= n || std::mem::replace(&mut seen[j], true) {
                return Err(PlannerError::Invalid(format!(
                    "initial route {i}: job {j} unknown or repeated"
                )));
            }
            r.jobs.push(j as u32);
        }
        r.sealed = ir.sealed;
        r.locked = if ir.sealed { r.jobs.len() } else { ir.locked };
        if !r.update(p) {
            return Err(PlannerError::Invalid(format!(
                "initial route {i} is infeasible"
            )));
        }
        let idx = s.routes.len();
        for &j in &r.jobs {
            s.route_of[j as usize] = idx as u32;
        }
        s.used[ir.vehicle_type] += 1;
        s.nonempty += 1;
        s.routes.push(r);
    }
    for (g, limit) in p.group_limits.iter().enumerate() {
        let in_use = p.group_in_use(&s.used, g);
        if in_use > *limit {
            return Err(PlannerError::Invalid(format!(
                "initial routes use {in_use} vehicles of group {g}, which has {limit}"
            )));
        }
    }
    if let Some((vt, v)) = p
        .vehicle_types
        .iter()
        .enumerate()
        .find(|(vt, v)| v.count.is_some_and(|c| s.used[*vt] > c))
    {
        return Err(PlannerError::Invalid(format!(
            "initial routes use more than {} vehicles of type {}",
            v.count.unwrap_or(0),
            vt
        )));
    }
    // Stable routes: start each usual route with its usual jobs in their usual order, leaving
    // out any that no longer fits (greedy construction alone would rather pay a move penalty
    // than a new route's fixed cost, and scatter the usual routes).
    if let Some(st) = &p.stability {
        rebuild_usual_routes(p, st, &mut s, &mut seen);
    }
    // Several greedy constructions from different insertion orders; keep the best. Cheap, and
    // it keeps the search from starting in a poor basin (seen on Solomon C2 at 1 s). With an
    // iteration limit the number of starts is fixed, so results do not depend on the clock.
    let pending: Vec<u32> = (0..n as u32).filter(|&j| !seen[j as usize]).collect();
    let warm = s.clone();
    let mut touched = Vec::new();
    let mut order = Vec::with_capacity(pending.len());
    let mut start_score: Option<Score> = None;
    let starts = if options.max_iterations.is_some() {
        4
    } else {
        MAX_STARTS
    };
    for k in 0..starts {
        let mut t = warm.clone();
        order.clone_from(&pending);
        sort_removed(&ctx, &mut order, &mut rng);
        // Urgent first, so that a full fleet leaves routine jobs out rather than urgent ones.
        order.sort_by_key(|&j| p.jobs[j as usize].priority != Priority::Urgent);
        recreate(
            &ctx,
            &mut t,
            &mut rng,
            &order,
            &mut touched,
            0.0,
            usize::MAX,
        );
        let sc = score(&ctx, &t);
        if start_score.is_none_or(|b| (sc.head(), sc.cost) < (b.head(), b.cost)) {
            start_score = Some(sc);
            s = t;
        }
        if options.max_iterations.is_none()
            && k > 0
            && started.elapsed() > options.time_limit.mul_f64(0.02)
        {
            break;
        }
    }

    let mut iterations = 0u64;
    let max_iter = options.max_iterations.unwrap_or(u64::MAX);
    let budget = options.time_limit.as_secs_f64().max(1e-9);
    // Search progress in [0, 1]: by iterations when limited (so a run depends only on the
    // seed), else by the clock.
    let progress = |it: u64| -> f64 {
        match options.max_iterations {
            Some(m) => it as f64 / m.max(1) as f64,
            None => started.elapsed().as_secs_f64() / budget,
        }
    };

    // Fleet minimisation for the vehicles-first objective.
    if p.objective == Objective::VehiclesThenDistance {
        let lb = vehicle_lower_bound(p);
        // A share of the budget: vehicles come first, and annealing polishes distance after.
        let fleet_deadline = started + options.time_limit.mul_f64(FLEET_SHARE);
        let fleet_iter = options
            .max_iterations
            .map_or(u64::MAX, |m| (m as f64 * FLEET_SHARE) as u64);
        fleet_minimise(
            &ctx,
            &mut s,
            &mut rng,
            lb,
            &mut iterations,
            fleet_iter,
            fleet_deadline,
        );
    }

    // Simulated annealing on the full lexicographic score.
    let mut cur_score = score(&ctx, &s);
    let mut best = s.clone();
    let mut best_score = cur_score;
    let mut cand = s.clone();
    let scale = (cur_score.cost / (n.max(1) as f64)).max(1e-9);
    // Temperatures relative to the cost per job, tuned on the benchmarks at 1 s: the
    // vehicles-first objective works on few, tightly packed routes and needs more heat to
    // move between them; plain distance (CVRP) and cost prefer a cooler search.
    let (t0_rel, tf_rel) = match p.objective {
        Objective::VehiclesThenDistance => (10.0, 0.1),
        Objective::Distance | Objective::Cost => (1.0, 0.01),
    };
    let (t0, tf) = (t0_rel * scale, tf_rel * scale);
    let mut phase_start = progress(iterations);
    let mut last_gain = phase_start;
    let ruin = RUIN;
    let mut removed: Vec<u32> = Vec::with_capacity(64);
    while iterations < max_iter && Instant::now() < deadline {
        iterations += 1;
        let frac =
            ((progress(iterations) - phase_start) / (1.0 - phase_start).max(1e-9)).clamp(0.0, 1.0);
        let temp = t0 * (tf / t0).powf(frac);
        removed.clear();
        touched.clear();
        ruin_strings(&ctx, &mut cand, &mut rng, ruin, &mut removed, &mut touched);
        removed.append(&mut cand.unassigned);
        sort_removed(&ctx, &mut removed, &mut rng);
        recreate(
            &ctx,
            &mut cand,
            &mut rng,
            &removed,
            &mut touched,
            BLINK,
            usize::MAX,
        );
        let sc = score(&ctx, &cand);
        let accept = match sc.head().cmp(&cur_score.head()) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => {
                sc.cost < cur_score.cost - temp * rng.f64().max(1e-300).ln()
            }
        };
        if accept {
            s.sync_from(&cand, &touched, p.dims);
            cur_score = sc;
            if (sc.head(), sc.cost) < (best_score.head(), best_score.cost) {
                best.clone_from(&s);
                best_score = sc;
                last_gain = progress(iterations);
            }
        } else {
            cand.sync_from(&s, &touched, p.dims);
        }
        // Restart from a fresh construction when the best has not moved for a while: some
        // instances (Solomon C2 at 1 s) trap the search in a deep basin with the same fleet.
        if iterations.is_multiple_of(256) {
            let now = progress(iterations);
            if now - last_gain > STALL && now < 0.8 {
                last_gain = now;
                let mut t = warm.clone();
                order.clone_from(&pending);
                sort_removed(&ctx, &mut order, &mut rng);
                order.sort_by_key(|&j| p.jobs[j as usize].priority != Priority::Urgent);
                // Never more routes than the best has under the vehicles-first objective: jobs
                // left out are absorbed by the search, which accepts any state with fewer out.
                let cap = if p.objective == Objective::VehiclesThenDistance {
                    best.nonempty
                } else {
                    usize::MAX
                };
                recreate(&ctx, &mut t, &mut rng, &order, &mut touched, 0.0, cap);
                s = t;
                cand.clone_from(&s);
                cur_score = score(&ctx, &s);
                phase_start = now;
                if (cur_score.head(), cur_score.cost) < (best_score.head(), best_score.cost) {
                    best.clone_from(&s);
                    best_score = cur_score;
                }
            }
        }
    }
    Ok(to_solution(p, &best))
}

fn build_ctx(p: &Problem) -> Ctx<'_> {
    let n = p.jobs.len();
    let c = &p.costs;
    let keep = if n <= 400 { n.saturating_sub(1) } else { 150 };
    let neighbours = (0..n)
        .map(|a| {
            let la = p.jobs[a].location;
            let mut v: Vec<u32> = (0..n as u32).filter(|&b| b as usize != a).collect();
            let key = |b: &u32| {
                let lb = p.jobs[*b as usize].location;
                c.distance(la, lb).min(c.distance(lb, la))
            };
            if v.len() > keep {
                v.select_nth_unstable_by(keep, |x, y| key(x).total_cmp(&key(y)));
                v.truncate(keep);
            }
            v.sort_by(|x, y| key(x).total_cmp(&key(y)));
            v
        })
        .collect();
    let empty = (0..p.vehicle_types.len())
        .map(|vt| {
            let mut r = RouteState::new(vt, p.dims);
            r.update(p);
            r
        })
        .collect();
    let load_size = p
        .jobs
        .iter()
        .map(|j| j.load.iter().map(|&l| l as f64).sum())
        .collect();
    let home_dist = p
        .jobs
        .iter()
        .map(|j| {
            let home = j
                .start_site
                .or(p.vehicle_types.first().map(|v| v.start))
                .unwrap_or(j.location);
            c.distance(home, j.location)
        })
        .collect();
    let max_arc = p
        .jobs
        .iter()
        .flat_map(|j| {
            p.vehicle_types
                .iter()
                .map(move |v| c.distance(v.start, j.location))
        })
        .filter(|d| d.is_finite())
        .fold(1.0f64, f64::max);
    Ctx {
        p,
        metric: is_metric(p),
        neighbours,
        empty,
        load_size,
        home_dist,
        new_route_penalty: 10.0 * max_arc * 2.0 + 1.0,
        duration_weight: if p.objective == Objective::Cost {
            1e-6
        } else {
            0.0
        },
    }
}

/// Whether travel times (with service times, which only add) obey the triangle inequality
/// between every job location triple; sampled deterministically on large instances.
fn is_metric(p: &Problem) -> bool {
    let c = &p.costs;
    let n = c.len();
    let step = (n / 60).max(1);
    let idx: Vec<usize> = (0..n).step_by(step).collect();
    idx.iter().all(|&a| {
        idx.iter().all(|&b| {
            idx.iter()
                .all(|&m| c.time(a, b) <= c.time(a, m) + c.time(m, b) + 1e-9)
        })
    })
}

/// A lower bound on the number of routes: total load over the largest capacity a vehicle
/// carries in all its trips, per dimension.
fn vehicle_lower_bound(p: &Problem) -> usize {
    let mut lb = usize::from(!p.jobs.is_empty());
    for d in 0..p.dims {
        let cap = p
            .vehicle_types
            .iter()
            .map(|v| v.capacity[d].saturating_mul(i64::try_from(v.max_trips).unwrap_or(i64::MAX)))
            .max()
            .unwrap_or(0);
        let tot: i64 = p.jobs.iter().map(|j| j.load[d]).sum();
        if cap > 0 {
            lb = lb.max(((tot + cap - 1) / cap) as usize);
        }
    }
    lb
}

/// Remove one route at a time and try to absorb its jobs into the others (no new routes),
/// accepting a change when fewer jobs are out or when the jobs left out have been out less
/// often (SISR's fleet minimisation). Keeps the last solution that served everything.
fn fleet_minimise(
    ctx: &Ctx,
    s: &mut State,
    rng: &mut Rng,
    lb: usize,
    iterations: &mut u64,
    max_iter: u64,
    deadline: Instant,
) {
    let p = ctx.p;
    let n = p.jobs.len();
    let mut absences = vec![0u64; n];
    let mut removed = Vec::new();
    let mut touched = Vec::new();
    // `work` may start with jobs out (a full fleet after construction): absorb them first.
    let mut work = s.clone();
    let mut cand = s.clone();
    let mut target = s.nonempty;
    let sum_abs = |st: &State, a: &[u64]| st.unassigned.iter().map(|&j| a[j as usize]).sum::<u64>();
    loop {
        if work.unassigned.is_empty() {
            s.clone_from(&work);
            if s.nonempty <= lb {
                return;
            }
            // Remove the removable route with the fewest jobs.
            let Some(victim) = (0..work.routes.len())
                .filter(|&r| !work.routes[r].is_empty() && work.routes[r].locked == 0)
                .min_by_key(|&r| (work.routes[r].jobs.len(), rng.below(1000)))
            else {
                return;
            };
            let r = &mut work.routes[victim];
            r.jobs.retain(|&j| j != RELOAD);
            for &j in &r.jobs {
                work.route_of[j as usize] = u32::MAX;
            }
            work.unassigned.append(&mut r.jobs);
            r.update(p);
            work.used[r.vt] -= 1;
            work.nonempty -= 1;
            target = work.nonempty;
            cand.clone_from(&work);
        }
        if *iterations >= max_iter || Instant::now() >= deadline {
            return;
        }
        *iterations += 1;
        removed.clear();
        touched.clear();
        ruin_strings(ctx, &mut cand, rng, RUIN, &mut removed, &mut touched);
        removed.append(&mut cand.unassigned);
        sort_removed(ctx, &mut removed, rng);
        recreate(ctx, &mut cand, rng, &removed, &mut touched, BLINK, target);
        let accept = cand.unassigned.len() < work.unassigned.len()
            || sum_abs(&cand, &absences) < sum_abs(&work, &absences);
        if accept {
            work.sync_from(&cand, &touched, p.dims);
        } else {
            cand.sync_from(&work, &touched, p.dims);
        }
        for &j in &work.unassigned {
            absences[j as usize] += 1;
        }
    }
}

/// Open every unused usual route (a single vehicle) with the jobs that usually ride it, in
/// their usual order, skipping jobs already placed and jobs that would make it infeasible.
fn rebuild_usual_routes(
    p: &Problem,
    st: &super::model::Stability,
    s: &mut State,
    seen: &mut [bool],
) {
    // Per vehicle type, its usual jobs in chain order (each job names the one it follows).
    let mut next_of: Vec<Option<usize>> = vec![None; p.jobs.len()];
    let mut first_of: Vec<Option<usize>> = vec![None; p.vehicle_types.len()];
    for (j, u) in st.usual.iter().enumerate() {
        let Some(u) = u else { continue };
        match u.after {
            Some(a) if st.usual[a].is_some_and(|ua| ua.vehicle_type == u.vehicle_type) => {
                next_of[a] = Some(j);
            }
            _ => first_of[u.vehicle_type] = Some(j),
        }
    }
    for (vt, first) in first_of.iter().enumerate() {
        let Some(first) = *first else { continue };
        if s.used[vt] > 0 || p.group_full(&s.used, vt) {
            continue;
        }
        let mut r = RouteState::new(vt, p.dims);
        let mut j = Some(first);
        let mut steps = 0;
        while let Some(job) = j {
            steps += 1;
            if steps > p.jobs.len() {
                break; // a cycle in the wishes: stop
            }
            let v = &p.vehicle_types[vt];
            if !seen[job]
                && super::constraints::compatible(v, &p.jobs[job])
                && v.max_stops.is_none_or(|m| r.jobs.len() < m)
            {
                r.jobs.push(job as u32);
                if !r.update(p) {
                    r.jobs.pop();
                    r.update(p);
                }
            }
            j = next_of[job];
        }
        if r.jobs.is_empty() {
            continue;
        }
        let idx = s.routes.len();
        for &job in &r.jobs {
            seen[job as usize] = true;
            s.route_of[job as usize] = idx as u32;
        }
        s.used[vt] += 1;
        s.nonempty += 1;
        s.routes.push(r);
    }
}

/// Turn the search state into the public solution with schedules and reasons.
pub(crate) fn to_solution(p: &Problem, s: &State) -> Solution {
    let c = &p.costs;
    let mut routes = Vec::new();
    let mut deps = Vec::new();
    for r in s.routes.iter().filter(|r| !r.is_empty()) {
        let v = &p.vehicle_types[r.vt];
        let departure = if v.max_trips > 1 {
            simulate_trips(p, r.vt, &r.jobs, &mut deps).map_or(v.shift.start, |x| x.departure)
        } else {
            let sim = simulate(p, r.vt, &r.jobs, None);
            sim.map_or(v.shift.start, |x| x.departure)
        };
        // Per trip: its jobs and their summed load.
        let pieces: Vec<&[u32]> = r.jobs.split(|&j| j == RELOAD).collect();
        let trip_load = |piece: &[u32]| {
            let mut l = vec![0i64; p.dims];
            for &j in piece {
                for (a, d) in l.iter_mut().zip(&p.jobs[j as usize].load) {
                    *a += d;
                }
            }
            l
        };
        let mut trips: Vec<Trip> = Vec::with_capacity(pieces.len());
        let mut load = trip_load(pieces[0]);
        let load_start = load.clone();
        let mut t = departure;
        let mut prev = v.start;
        let mut stops = Vec::with_capacity(r.jobs.len());
        let mut distance = 0.0;
        trips.push(Trip {
            departure,
            first_stop: 0,
            stops: pieces[0].len(),
            load: load.clone(),
            reload_arrival: None,
        });
        for &j in &r.jobs {
            if j == RELOAD {
                distance += c.distance(prev, v.start);
                let back = t + c.time(prev, v.start);
                let k = trips.len();
                // The departure the simulation chose; if the route were infeasible (never for
                // a search result), leave once reloaded.
                let dep = deps
                    .get(k)
                    .copied()
                    .unwrap_or(back + v.reload_time)
                    .max(back + v.reload_time);
                if let Some(last) = trips.last_mut() {
                    last.reload_arrival = Some(back);
                }
                load = trip_load(pieces[k]);
                trips.push(Trip {
                    departure: dep,
                    first_stop: stops.len(),
                    stops: pieces[k].len(),
                    load: load.clone(),
                    reload_arrival: None,
                });
                t = dep;
                prev = v.start;
                continue;
            }
            let job = &p.jobs[j as usize];
            let arrival = t + c.time(prev, job.location);
            distance += c.distance(prev, job.location);
            let start = first_start(job, arrival).unwrap_or(arrival);
            t = start + job.service;
            for (l, d) in load.iter_mut().zip(&job.load) {
                *l -= d;
            }
            stops.push(Stop {
                job: j as usize,
                job_id: job.id.clone(),
                arrival,
                start,
                departure: t,
                load_after: load.clone(),
            });
            prev = job.location;
        }
        let end_arrival = v.end.map(|e| {
            distance += c.distance(prev, e);
            t + c.time(prev, e)
        });
        let end = end_arrival.unwrap_or(t);
        let raw = v.fixed_cost + v.cost_per_distance * distance;
        let total = v.route_cost(distance);
        routes.push(Route {
            vehicle_type: r.vt,
            vehicle_id: v.id.clone(),
            departure,
            load_start,
            stops,
            trips,
            end_arrival,
            distance,
            duration: end - departure,
            cost: CostBreakdown {
                fixed: v.fixed_cost,
                distance: v.cost_per_distance * distance,
                capped: total < raw,
                total,
            },
            locked: r.locked,
            sealed: r.sealed,
        });
    }
    let mut unassigned: Vec<Unassigned> = s
        .unassigned
        .iter()
        .map(|&j| {
            let code = explain(p, j as usize);
            Unassigned {
                job: j as usize,
                job_id: p.jobs[j as usize].id.clone(),
                code,
                reason: code.message().into(),
            }
        })
        .collect();
    unassigned.sort_by_key(|u| u.job);
    let urgent = unassigned
        .iter()
        .filter(|u| p.jobs[u.job].priority == Priority::Urgent)
        .count();
    let summary = Summary {
        vehicles: routes.len(),
        distance: routes.iter().map(|r| r.distance).sum(),
        cost: routes.iter().map(|r| r.cost.total).sum(),
        duration: routes.iter().map(|r| r.duration).sum(),
        unassigned_urgent: urgent,
        unassigned_routine: unassigned.len() - urgent,
    };
    Solution {
        routes,
        unassigned,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_reproducible_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            let x = a.below(13);
            assert_eq!(x, b.below(13));
            assert!(x < 13);
            let f = a.f64();
            assert_eq!(f, b.f64());
            assert!((0.0..1.0).contains(&f));
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
