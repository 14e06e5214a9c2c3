//! Planner integration tests: every solution goes through the independent checker; small
//! random instances are compared with a brute-force optimum; constraints each get a case that
//! would break without them; readers report bad files with their line numbers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use antar::domain::TravelMatrix;
use antar::planner::{
    Capabilities, Costs, InitialRoute, Job, Objective, PlannerError, Priority, Problem, ReasonCode,
    Rounding, Solution, SolveOptions, Stability, TimeWindow, UsualPlace, VehicleType, check,
    check_kept, read_json, read_solomon, read_vrplib, solve,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/planner")
        .join(name)
}

/// The shared benchmark directory, or `None` (with a note) when it is missing outside CI.
fn shared_benchmarks() -> Option<PathBuf> {
    let root = std::env::var_os("ANTAR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = root.join("benchmarks");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "benchmark data missing at {} (CI is set)",
        dir.display()
    );
    eprintln!("note: {} missing, skipping", dir.display());
    None
}

fn opts(seed: u64, iterations: u64) -> SolveOptions {
    SolveOptions {
        time_limit: Duration::from_secs(60),
        seed,
        max_iterations: Some(iterations),
        initial: Vec::new(),
    }
}

fn solve_checked(p: &Problem, o: &SolveOptions) -> Solution {
    let s = solve(p, o).expect("solve");
    if let Err(v) = check(p, &s) {
        panic!("checker refused the solution (seed {}): {:?}", o.seed, v);
    }
    s
}

/// A small seeded generator for test instances (independent of the solver's).
struct Gen(u64);
impl Gen {
    fn f(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.f() * n as f64) as usize % n.max(1)
    }
}

#[test]
fn the_benchmark_fixtures_are_solved_feasibly() {
    for (name, read) in [
        (
            "tiny_solomon.txt",
            read_solomon as fn(&Path) -> Result<_, PlannerError>,
        ),
        ("tiny.vrp", read_vrplib),
    ] {
        let inst = read(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = solve_checked(&inst.problem, &opts(1, 500));
        assert!(s.unassigned.is_empty(), "{name}: {:?}", s.unassigned);
    }
}

#[test]
fn the_two_site_fixture_keeps_cold_parcels_in_cold_boxes_and_explains_the_controlled_one() {
    let p = read_json(&fixture("two_sites_cold_chain.json"))
        .unwrap()
        .problem;
    let sol = solve_checked(&p, &opts(3, 500));
    // Nobody has the controlled-handover capability in this fixture.
    assert_eq!(sol.unassigned.len(), 1, "{:?}", sol.unassigned);
    assert_eq!(sol.unassigned[0].job_id, "rx-controlled");
    assert_eq!(sol.unassigned[0].code, ReasonCode::CapabilityMissing);
    let cold_route = sol
        .routes
        .iter()
        .find(|r| r.stops.iter().any(|s| s.job_id == "rx-cold"))
        .expect("rx-cold routed");
    assert_eq!(cold_route.vehicle_id, "pharmacy-cold");
    for r in &sol.routes {
        assert!(
            r.end_arrival.is_none(),
            "all routes in the fixture are open"
        );
        for s in &r.stops {
            if let Some(m) = p.jobs()[s.job].max_transit {
                assert!(s.arrival - r.departure <= m + 1e-6);
            }
        }
    }
}

// ---------------------------------------------------------------- brute force

/// Independent evaluation of one closed route: earliest-start schedule, capacity, windows.
fn oracle_route(p: &Problem, vt: usize, seq: &[usize]) -> Option<f64> {
    let v = &p.vehicle_types()[vt];
    let c = p.costs();
    let load: i64 = seq.iter().map(|&j| p.jobs()[j].load[0]).sum();
    if load > v.capacity[0] {
        return None;
    }
    let (mut t, mut at, mut d) = (v.shift.start, v.start, 0.0);
    for &j in seq {
        let job = &p.jobs()[j];
        t += c.time(at, job.location);
        d += c.distance(at, job.location);
        let w = job.windows.iter().find(|w| t <= w.end + 1e-9)?;
        t = t.max(w.start) + job.service;
        at = job.location;
    }
    let e = v.end.unwrap();
    t += c.time(at, e);
    d += c.distance(at, e);
    (t <= v.shift.end + 1e-9).then_some(d)
}

/// Best (vehicles, distance) or distance over every set of routes, by enumeration.
fn brute_force(p: &Problem, vehicles_first: bool) -> (usize, f64) {
    fn rec(
        p: &Problem,
        k: usize,
        routes: &mut Vec<Vec<usize>>,
        best: &mut (usize, f64),
        vehicles_first: bool,
        fleet: usize,
    ) {
        let n = p.jobs().len();
        if k == n {
            let mut d = 0.0;
            for r in routes.iter() {
                match oracle_route(p, 0, r) {
                    Some(x) => d += x,
                    None => return,
                }
            }
            let cand = (routes.len(), d);
            let better = if vehicles_first {
                cand.0 < best.0 || (cand.0 == best.0 && cand.1 < best.1 - 1e-9)
            } else {
                cand.1 < best.1 - 1e-9
            };
            if better {
                *best = cand;
            }
            return;
        }
        for r in 0..routes.len() {
            for pos in 0..=routes[r].len() {
                routes[r].insert(pos, k);
                if oracle_route(p, 0, &routes[r]).is_some() {
                    rec(p, k + 1, routes, best, vehicles_first, fleet);
                }
                routes[r].remove(pos);
            }
        }
        if routes.len() < fleet {
            routes.push(vec![k]);
            rec(p, k + 1, routes, best, vehicles_first, fleet);
            routes.pop();
        }
    }
    let mut best = (usize::MAX, f64::INFINITY);
    let fleet = p.vehicle_types()[0].count.unwrap_or(usize::MAX);
    rec(p, 0, &mut Vec::new(), &mut best, vehicles_first, fleet);
    best
}

fn random_vrptw(seed: u64, n: usize, objective: Objective) -> Problem {
    let mut g = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let pts: Vec<(f64, f64)> = (0..=n)
        .map(|_| ((g.f() * 100.0).round(), (g.f() * 100.0).round()))
        .collect();
    let costs = Costs::euclidean(&pts, Rounding::None);
    let jobs = (1..=n)
        .map(|i| {
            let mut j = Job::new(format!("{i}"), i, 1);
            j.load = vec![1 + g.below(4) as i64];
            j.service = 5.0;
            let s = g.f() * 200.0;
            j.windows = vec![TimeWindow::new(s, s + 40.0 + g.f() * 200.0).unwrap()];
            j
        })
        .collect();
    let mut v = VehicleType::new("v", 0, 1);
    v.capacity = vec![8];
    v.shift = TimeWindow::new(0.0, 600.0).unwrap();
    v.count = Some(n);
    Problem::new(costs, jobs, vec![v], objective).unwrap()
}

#[test]
fn the_solver_finds_the_brute_force_optimum_on_tiny_instances() {
    for seed in 1..=12u64 {
        for objective in [Objective::Distance, Objective::VehiclesThenDistance] {
            let p = random_vrptw(seed, 7, objective);
            let (bv, bd) = brute_force(&p, objective == Objective::VehiclesThenDistance);
            let s = solve_checked(&p, &opts(seed, 3000));
            let served_all = s.unassigned.is_empty();
            if bv == usize::MAX {
                assert!(
                    !served_all,
                    "seed {seed}: solver served an instance brute force calls infeasible"
                );
                continue;
            }
            assert!(
                served_all,
                "seed {seed} {objective:?}: left {:?}",
                s.unassigned
            );
            if objective == Objective::VehiclesThenDistance {
                assert_eq!(s.summary.vehicles, bv, "seed {seed}: vehicles");
            }
            assert!(
                (s.summary.distance - bd).abs() < 1e-6,
                "seed {seed} {objective:?}: solver {} vs optimum {bd}",
                s.summary.distance
            );
        }
    }
}

// ---------------------------------------------------------------- properties

/// A random instance with every feature: two sites, open and closed routes, limited fleets,
/// several windows, capabilities, transit limits, max stops and max duration.
fn random_rich(seed: u64) -> Problem {
    let mut g = Gen(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
    let n = 8 + g.below(25);
    let pts: Vec<(f64, f64)> = (0..n + 2).map(|_| (g.f() * 100.0, g.f() * 100.0)).collect();
    let costs = Costs::euclidean(&pts, Rounding::None);
    let mut vts = Vec::new();
    for (k, site) in [0usize, 1].into_iter().enumerate() {
        for cold in [false, true] {
            let mut v = VehicleType::new(format!("s{site}-{cold}"), site, 2);
            v.end = if g.f() < 0.5 { None } else { Some(site) };
            v.capacity = vec![5 + g.below(10) as i64, 3];
            v.shift = TimeWindow::new(0.0, 300.0 + g.f() * 300.0).unwrap();
            v.max_stops = (g.f() < 0.5).then(|| 2 + g.below(5));
            v.max_duration = (g.f() < 0.3).then(|| 150.0 + g.f() * 200.0);
            v.capabilities = Capabilities(u64::from(cold));
            v.fixed_cost = 10.0 + k as f64;
            v.cost_per_distance = 1.0;
            v.fare_cap = (g.f() < 0.3).then(|| 100.0 + g.f() * 100.0);
            v.count = (g.f() < 0.7).then(|| 1 + g.below(3));
            vts.push(v);
        }
    }
    let jobs = (0..n)
        .map(|i| {
            let mut j = Job::new(format!("j{i}"), i + 2, 2);
            j.load = vec![1 + g.below(3) as i64, i64::from(g.f() < 0.3)];
            j.service = g.f() * 10.0;
            let a = g.f() * 200.0;
            j.windows = if g.f() < 0.3 {
                vec![
                    TimeWindow::new(a, a + 30.0).unwrap(),
                    TimeWindow::new(a + 100.0, a + 200.0).unwrap(),
                ]
            } else {
                vec![TimeWindow::new(a, a + 50.0 + g.f() * 300.0).unwrap()]
            };
            j.priority = if g.f() < 0.3 {
                Priority::Urgent
            } else {
                Priority::Routine
            };
            j.max_transit = (g.f() < 0.3).then(|| 60.0 + g.f() * 100.0);
            j.capabilities = Capabilities(u64::from(g.f() < 0.2));
            j.start_site = (g.f() < 0.5).then(|| g.below(2));
            j
        })
        .collect();
    Problem::new(costs, jobs, vts, Objective::Cost).unwrap()
}

/// Can `job` be served alone by vehicle type `vt`? (Independent of the solver's code.)
fn fits_alone(p: &Problem, vt: usize, j: usize) -> bool {
    let v = &p.vehicle_types()[vt];
    let job = &p.jobs()[j];
    let c = p.costs();
    if !v.capabilities.covers(job.capabilities)
        || job.start_site.is_some_and(|s| s != v.start)
        || job.load.iter().zip(&v.capacity).any(|(l, cap)| l > cap)
        || v.max_stops == Some(0)
        || v.count == Some(0)
    {
        return false;
    }
    let t = c.time(v.start, job.location);
    if job.max_transit.is_some_and(|m| t > m + 1e-9) {
        return false;
    }
    let back = v.end.map_or(0.0, |e| c.time(job.location, e));
    let arr = v.shift.start + t;
    let Some(w) = job.windows.iter().find(|w| arr <= w.end + 1e-9) else {
        return false;
    };
    let start = arr.max(w.start);
    let dur = t + job.service + back;
    start + job.service + back <= v.shift.end + 1e-9
        && v.max_duration.is_none_or(|m| dur <= m + 1e-9)
}

#[test]
fn random_rich_instances_always_get_checked_solutions_with_honest_reasons() {
    for seed in 1..=100u64 {
        let p = random_rich(seed);
        let s = solve_checked(&p, &opts(seed, 400));
        for u in &s.unassigned {
            let alone = (0..p.vehicle_types().len()).any(|vt| fits_alone(&p, vt, u.job));
            assert_eq!(
                u.code == ReasonCode::NoRoom,
                alone,
                "seed {seed}: job {} reported {:?} but fits alone = {alone}",
                u.job_id,
                u.code
            );
        }
    }
}

#[test]
fn an_impossible_job_is_reported_with_the_reason_that_matches_its_defect() {
    type Spoil = fn(&mut Job);
    let cases: [(ReasonCode, Spoil); 5] = [
        (ReasonCode::CapacityExceeded, |j| j.load = vec![1000, 0]),
        (ReasonCode::CapabilityMissing, |j| {
            j.capabilities = Capabilities(1 << 9)
        }),
        (ReasonCode::NoStartSite, |j| j.start_site = Some(5)),
        (ReasonCode::WindowUnreachable, |j| {
            j.windows = vec![TimeWindow::new(-10.0, -5.0).unwrap()]
        }),
        (ReasonCode::TransitTooShort, |j| j.max_transit = Some(1e-3)),
    ];
    for seed in 1..=10u64 {
        for (code, spoil) in cases {
            let p = random_rich(seed);
            let mut jobs = p.jobs().to_vec();
            let mut bad = Job::new("bad", 7, 2);
            bad.load = vec![1, 0];
            spoil(&mut bad);
            jobs.push(bad);
            let p = Problem::new(
                p.costs().clone(),
                jobs,
                p.vehicle_types().to_vec(),
                Objective::Cost,
            )
            .unwrap();
            let s = solve_checked(&p, &opts(seed, 100));
            let u = s
                .unassigned
                .iter()
                .find(|u| u.job_id == "bad")
                .expect("bad job must stay out");
            assert_eq!(u.code, code, "seed {seed}: {}", u.reason);
        }
    }
}

#[test]
fn the_same_seed_and_iteration_limit_give_the_same_solution() {
    for seed in [3u64, 17] {
        let p = random_rich(seed);
        let a = solve(&p, &opts(seed, 300)).unwrap();
        let b = solve(&p, &opts(seed, 300)).unwrap();
        assert_eq!(a, b);
    }
}

// ---------------------------------------------------------------- constraint cases

/// Depot at 0, two stops on a line at 10 and 20: one vehicle visiting both is cheapest.
fn line_problem(max_transit: Option<f64>, cold_job: bool) -> Problem {
    let costs = Costs::euclidean(&[(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)], Rounding::None);
    let mut jobs = vec![Job::new("near", 1, 1), Job::new("far", 2, 1)];
    jobs[0].service = 5.0;
    jobs[1].max_transit = max_transit;
    if cold_job {
        jobs[1].capabilities = Capabilities(1);
    }
    let mut plain = VehicleType::new("plain", 0, 1);
    plain.end = None;
    plain.fixed_cost = 1.0;
    let mut cold = plain.clone();
    cold.id = "cold".into();
    cold.capabilities = Capabilities(1);
    cold.fixed_cost = 100.0;
    Problem::new(costs, jobs, vec![plain, cold], Objective::Cost).unwrap()
}

#[test]
fn a_cold_chain_order_is_never_routed_past_its_limit() {
    // Without limits one route serves both: near (service 5) then far, cost 1 + 20.
    let free = solve_checked(&line_problem(None, false), &opts(1, 200));
    assert_eq!(free.routes.len(), 1);
    // A limit on "far" is still met by a single route that visits it first.
    let s = solve_checked(&line_problem(Some(20.0), false), &opts(1, 200));
    assert_eq!(s.routes.len(), 1);
    assert_eq!(s.routes[0].stops[0].job_id, "far");
    // Limits on both (far 20, near 25) rule out both orders: near-first reaches far at 25,
    // far-first reaches near at 30. The route must split in two.
    let p = line_problem(Some(20.0), false);
    let mut jobs = p.jobs().to_vec();
    jobs[0].max_transit = Some(25.0);
    let p = Problem::new(
        p.costs().clone(),
        jobs,
        p.vehicle_types().to_vec(),
        Objective::Cost,
    )
    .unwrap();
    let s = solve_checked(&p, &opts(1, 200));
    assert_eq!(
        s.routes.len(),
        2,
        "the limits must split the route: {:?}",
        s.routes
    );
    for r in &s.routes {
        for st in &r.stops {
            assert!(st.arrival - r.departure <= p.jobs()[st.job].max_transit.unwrap() + 1e-9);
        }
    }
    // A limit shorter than the direct trip leaves the job out with that reason.
    let s = solve_checked(&line_problem(Some(15.0), false), &opts(1, 200));
    assert!(
        s.unassigned
            .iter()
            .any(|u| u.job_id == "far" && u.code == ReasonCode::TransitTooShort)
    );
}

#[test]
fn a_job_needing_a_cold_box_rides_only_on_a_vehicle_that_has_one() {
    let s = solve_checked(&line_problem(None, true), &opts(1, 200));
    let r = s
        .routes
        .iter()
        .find(|r| r.stops.iter().any(|st| st.job_id == "far"))
        .unwrap();
    assert_eq!(r.vehicle_id, "cold");
}

#[test]
fn max_stops_and_capacity_are_respected() {
    let costs = Costs::euclidean(
        &[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0), (4.0, 0.0)],
        Rounding::None,
    );
    let jobs: Vec<Job> = (1..=4)
        .map(|i| {
            let mut j = Job::new(format!("{i}"), i, 2);
            j.load = vec![1, i64::from(i == 4) * 3];
            j
        })
        .collect();
    let mut v = VehicleType::new("v", 0, 2);
    v.max_stops = Some(2);
    v.capacity = vec![10, 3];
    let p = Problem::new(costs, jobs, vec![v], Objective::Distance).unwrap();
    let s = solve_checked(&p, &opts(1, 300));
    assert!(s.routes.iter().all(|r| r.stops.len() <= 2));
    assert_eq!(s.routes.len(), 2);
}

#[test]
fn an_unreachable_stop_is_reported_as_unreachable() {
    let mut m = TravelMatrix::unreachable(3);
    m.set(0, 1, Some(60), Some(500));
    m.set(1, 0, Some(60), Some(500));
    let costs = Costs::from_travel_matrix(&m);
    let jobs = vec![Job::new("ok", 1, 1), Job::new("island", 2, 1)];
    let p = Problem::new(
        costs,
        jobs,
        vec![VehicleType::new("v", 0, 1)],
        Objective::Cost,
    )
    .unwrap();
    let s = solve_checked(&p, &opts(1, 100));
    assert_eq!(s.unassigned.len(), 1);
    assert_eq!(s.unassigned[0].code, ReasonCode::Unreachable);
}

#[test]
fn urgent_jobs_are_served_before_routine_ones_when_the_fleet_is_short() {
    let costs = Costs::euclidean(
        &[(0.0, 0.0), (10.0, 0.0), (-10.0, 0.0), (0.0, 10.0)],
        Rounding::None,
    );
    let mut jobs: Vec<Job> = (1..=3).map(|i| Job::new(format!("{i}"), i, 1)).collect();
    for j in &mut jobs {
        j.load = vec![1];
    }
    jobs[2].priority = Priority::Urgent;
    let mut v = VehicleType::new("v", 0, 1);
    v.capacity = vec![2];
    v.count = Some(1);
    let p = Problem::new(costs, jobs, vec![v], Objective::Cost).unwrap();
    let s = solve_checked(&p, &opts(1, 300));
    assert_eq!(s.unassigned.len(), 1);
    assert_ne!(s.unassigned[0].job_id, "3");
    assert_eq!(s.unassigned[0].code, ReasonCode::NoRoom);
}

#[test]
fn locked_stops_stay_first_on_their_route_in_a_warm_start() {
    let p = random_vrptw(5, 7, Objective::Distance);
    let first = solve_checked(&p, &opts(5, 300));
    let r0 = &first.routes[0];
    let initial: Vec<InitialRoute> = first
        .routes
        .iter()
        .map(|r| InitialRoute {
            vehicle_type: r.vehicle_type,
            jobs: r.stops.iter().map(|s| s.job).collect(),
            locked: 0,
            sealed: false,
        })
        .collect();
    let mut initial = initial;
    initial[0].locked = 1.min(r0.stops.len());
    let o = SolveOptions {
        initial,
        ..opts(9, 300)
    };
    let second = solve_checked(&p, &o);
    let locked_job = r0.stops[0].job;
    assert!(
        second
            .routes
            .iter()
            .any(|r| r.stops[0].job == locked_job && r.locked == 1)
    );
    assert!(second.summary.distance <= first.summary.distance + 1e-9);
}

// ---------------------------------------------------------------- checker

#[test]
fn the_checker_catches_tampered_solutions() {
    let inst = read_solomon(&fixture("tiny_solomon.txt")).unwrap();
    let p = inst.problem;
    let good = solve_checked(&p, &opts(1, 300));
    let mut late = good.clone();
    late.routes[0].stops[0].arrival += 1.0;
    assert!(check(&p, &late).is_err());
    let mut dup = good.clone();
    let extra = dup.routes[0].stops[0].clone();
    dup.routes[0].stops.push(extra);
    assert!(check(&p, &dup).is_err());
    let mut lost = good.clone();
    lost.routes[0].stops.pop();
    assert!(check(&p, &lost).is_err());
    let mut early = good.clone();
    early.routes[0].departure = -100.0;
    assert!(check(&p, &early).is_err());
    let mut wrong_total = good;
    wrong_total.summary.distance += 1.0;
    assert!(check(&p, &wrong_total).is_err());
}

// ---------------------------------------------------------------- readers

fn parse_error_line(e: PlannerError) -> usize {
    match e {
        PlannerError::Parse { line, .. } => line,
        other => panic!("expected a parse error with a line, got {other}"),
    }
}

#[test]
fn bad_files_are_refused_with_the_line_of_the_fault() {
    let e = read_solomon(&fixture("broken_solomon_not_a_number.txt")).unwrap_err();
    assert!(e.to_string().contains("not a number"), "{e}");
    assert_eq!(parse_error_line(e), 13);
    let e = read_solomon(&fixture("broken_solomon_short_row.txt")).unwrap_err();
    assert_eq!(parse_error_line(e), 15);
    let e = read_vrplib(&fixture("broken_vrplib_bad_demand.vrp")).unwrap_err();
    assert_eq!(parse_error_line(e), 18);
    let e = read_vrplib(&fixture("broken_vrplib_edge_type.vrp")).unwrap_err();
    assert!(e.to_string().contains("EUC_2D"), "{e}");
    assert_eq!(parse_error_line(e), 5);
    let e = read_json(&fixture("broken_json_syntax.json")).unwrap_err();
    assert_eq!(parse_error_line(e), 5);
    let e = read_solomon(Path::new("/nonexistent/antar.txt")).unwrap_err();
    assert!(matches!(e, PlannerError::Io { .. }));
}

// ---------------------------------------------------------------- real instances

#[test]
fn c101_is_solved_with_ten_vehicles() {
    let Some(dir) = shared_benchmarks() else {
        return;
    };
    let inst = read_solomon(&dir.join("solomon/C101.txt")).unwrap();
    // An iteration budget, not a time budget: the result must not depend on machine load.
    let o = opts(1, 3000);
    let s = solve_checked(&inst.problem, &o);
    assert!(s.unassigned.is_empty());
    assert_eq!(s.summary.vehicles, 10);
}

#[test]
fn x_n101_k25_is_solved_feasibly_within_ten_percent() {
    let Some(dir) = shared_benchmarks() else {
        return;
    };
    let inst = read_vrplib(&dir.join("cvrp_x/X-n101-k25.vrp")).unwrap();
    let o = opts(1, 3000);
    let s = solve_checked(&inst.problem, &o);
    assert!(s.unassigned.is_empty());
    assert!(
        s.summary.distance < 27591.0 * 1.10,
        "{}",
        s.summary.distance
    );
}

#[test]
#[ignore = "sweep of every Solomon instance; run in release with --ignored"]
fn every_solomon_instance_is_solved_feasibly_in_a_second() {
    let Some(dir) = shared_benchmarks() else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("solomon"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    files.sort();
    assert_eq!(files.len(), 56);
    for f in files {
        let inst = read_solomon(&f).unwrap();
        let s = solve_checked(&inst.problem, &SolveOptions::default());
        assert!(s.unassigned.is_empty(), "{}", f.display());
    }
}

/// A depot at (0, 0), two single couriers (routes "A" and "B", open, costed per distance) and
/// jobs at `points`.
fn two_couriers(points: &[(f64, f64)]) -> Problem {
    let mut all = vec![(0.0, 0.0)];
    all.extend_from_slice(points);
    let costs = Costs::euclidean(&all, Rounding::None);
    let jobs = (1..all.len())
        .map(|i| Job::new(format!("j{i}"), i, 1))
        .collect();
    let courier = |id: &str| {
        let mut v = VehicleType::new(id, 0, 1);
        v.end = None;
        v.count = Some(1);
        v.capacity = vec![10];
        v
    };
    Problem::new(
        costs,
        jobs,
        vec![courier("A"), courier("B")],
        Objective::Cost,
    )
    .unwrap()
}

fn route_of(s: &Solution, job: usize) -> Option<(usize, usize)> {
    s.routes.iter().find_map(|r| {
        r.stops
            .iter()
            .position(|st| st.job == job)
            .map(|pos| (r.vehicle_type, pos))
    })
}

#[test]
fn a_stop_stays_on_its_usual_route_unless_moving_it_saves_more_than_the_penalty() {
    // j0, j1 east (route A), j2, j3 north (route B), j4 near the north cluster but usually on A.
    let points = [
        (10.0, 0.0),
        (11.0, 0.0),
        (0.0, 10.0),
        (0.0, 11.0),
        (2.0, 9.0),
    ];
    let usual = |vt, after| {
        Some(UsualPlace {
            vehicle_type: vt,
            after,
        })
    };
    let stability = |move_penalty| Stability {
        usual: vec![
            usual(0, None),
            usual(0, Some(0)),
            usual(1, None),
            usual(1, Some(2)),
            usual(0, Some(1)),
        ],
        move_penalty,
        reorder_penalty: 0.0,
    };
    // Without stability the cheap plan puts j4 with the north cluster.
    let free = solve_checked(&two_couriers(&points), &opts(3, 400));
    let b_north = route_of(&free, 2).unwrap().0;
    assert_eq!(route_of(&free, 4).unwrap().0, b_north);
    // With a penalty above the saving (about 17 distance units) it keeps its usual route.
    let mut p = two_couriers(&points);
    p.set_stability(stability(100.0)).unwrap();
    let kept = solve_checked(&p, &opts(3, 400));
    assert_eq!(route_of(&kept, 4).unwrap().0, 0, "j4 stays on route A");
    assert_eq!(route_of(&kept, 2).unwrap().0, 1);
    // With a penalty below the saving it moves.
    let mut p = two_couriers(&points);
    p.set_stability(stability(1.0)).unwrap();
    let moved = solve_checked(&p, &opts(3, 400));
    assert_eq!(route_of(&moved, 4).unwrap().0, 1, "j4 moves to route B");
}

#[test]
fn a_usual_order_is_kept_when_reordering_costs_more_than_it_saves() {
    // Both on route A, usually far one first (a detour of 10 units).
    let points = [(5.0, 0.0), (10.0, 0.0)];
    let usual = |after| {
        Some(UsualPlace {
            vehicle_type: 0,
            after,
        })
    };
    let stability = |reorder_penalty| Stability {
        usual: vec![usual(Some(1)), usual(None)],
        move_penalty: 1000.0,
        reorder_penalty,
    };
    let mut p = two_couriers(&points);
    p.set_stability(stability(50.0)).unwrap();
    let kept = solve_checked(&p, &opts(1, 300));
    assert_eq!(route_of(&kept, 1), Some((0, 0)));
    assert_eq!(route_of(&kept, 0), Some((0, 1)));
    let mut p = two_couriers(&points);
    p.set_stability(stability(2.0)).unwrap();
    let reordered = solve_checked(&p, &opts(1, 300));
    assert_eq!(route_of(&reordered, 0), Some((0, 0)));
}

#[test]
fn stability_is_refused_when_it_does_not_fit_the_problem() {
    let mut p = two_couriers(&[(1.0, 0.0)]);
    let bad_len = Stability {
        usual: vec![],
        move_penalty: 1.0,
        reorder_penalty: 1.0,
    };
    assert!(p.set_stability(bad_len).is_err());
    let bad_penalty = Stability {
        usual: vec![None],
        move_penalty: f64::NAN,
        reorder_penalty: 1.0,
    };
    assert!(p.set_stability(bad_penalty).is_err());
    let bad_vehicle = Stability {
        usual: vec![Some(UsualPlace {
            vehicle_type: 7,
            after: None,
        })],
        move_penalty: 1.0,
        reorder_penalty: 1.0,
    };
    assert!(p.set_stability(bad_vehicle).is_err());
}

#[test]
fn a_sealed_route_keeps_its_stops_and_order_and_takes_no_new_stop() {
    // Route A sealed with a poor order; j2 sits right beside A's stops.
    let points = [(5.0, 0.0), (10.0, 0.0), (7.0, 0.5)];
    let p = two_couriers(&points);
    let initial = vec![InitialRoute {
        vehicle_type: 0,
        jobs: vec![1, 0],
        locked: 0,
        sealed: true,
    }];
    let o = SolveOptions {
        initial: initial.clone(),
        ..opts(5, 400)
    };
    let s = solve_checked(&p, &o);
    assert!(check_kept(&s, &initial).is_empty());
    let a = s.routes.iter().find(|r| r.vehicle_type == 0).unwrap();
    assert_eq!(a.stops.iter().map(|st| st.job).collect::<Vec<_>>(), [1, 0]);
    assert!(a.sealed);
    assert_eq!(route_of(&s, 2).unwrap().0, 1, "the new stop rides B");
    // The checker notices a sealed route that was changed.
    let mut tampered = s.clone();
    let a = tampered
        .routes
        .iter_mut()
        .find(|r| r.vehicle_type == 0)
        .unwrap();
    a.stops.swap(0, 1);
    assert_eq!(check_kept(&tampered, &initial).len(), 1);
}

#[test]
fn random_instances_with_usual_routes_get_checked_solutions() {
    for seed in 0..20u64 {
        let base = random_rich(seed);
        let n = base.jobs().len();
        // Single couriers of the first two types stand for usual routes.
        let mut vehicles = base.vehicle_types().to_vec();
        for v in vehicles.iter_mut().take(2) {
            v.count = Some(1);
        }
        let mut p = Problem::new(
            base.costs().clone(),
            base.jobs().to_vec(),
            vehicles,
            base.objective(),
        )
        .unwrap();
        let usual = (0..n)
            .map(|j| {
                (j % 3 != 0).then_some(UsualPlace {
                    vehicle_type: j % 2,
                    after: j.checked_sub(2),
                })
            })
            .collect();
        p.set_stability(Stability {
            usual,
            move_penalty: 50.0,
            reorder_penalty: 5.0,
        })
        .unwrap();
        solve_checked(&p, &opts(seed, 300));
    }
}

/// Two pickup sites with a courier type each, both drawing on one partner's fleet.
fn one_partner_two_sites(limit: Option<usize>) -> Problem {
    // Site A at 0, site B at 1; jobs 0-2 near A (routine), jobs 3-5 near B (urgent).
    let points = [
        (0.0, 0.0),
        (100.0, 0.0),
        (1.0, 1.0),
        (2.0, 1.0),
        (3.0, 1.0),
        (101.0, 1.0),
        (102.0, 1.0),
        (103.0, 1.0),
    ];
    let costs = Costs::euclidean(&points, Rounding::None);
    let jobs = (0..6)
        .map(|i| {
            let mut j = Job::new(format!("j{i}"), i + 2, 1);
            j.load = vec![1];
            j.start_site = Some(if i < 3 { 0 } else { 1 });
            if i >= 3 {
                j.priority = Priority::Urgent;
            }
            j
        })
        .collect();
    let courier = |id: &str, start| {
        let mut v = VehicleType::new(id, start, 1);
        v.end = None;
        v.capacity = vec![10];
        v.group = Some(0);
        v
    };
    let mut p = Problem::new(
        costs,
        jobs,
        vec![courier("a", 0), courier("b", 1)],
        Objective::Cost,
    )
    .unwrap();
    if let Some(l) = limit {
        p.set_group_limits(vec![l]).unwrap();
    } else {
        p.set_group_limits(vec![usize::MAX]).unwrap();
    }
    p
}

#[test]
fn a_partner_limit_shared_by_several_sites_serves_urgent_orders_first() {
    let free = solve_checked(&one_partner_two_sites(None), &opts(2, 300));
    assert_eq!(free.routes.len(), 2);
    assert!(free.unassigned.is_empty());
    let limited = solve_checked(&one_partner_two_sites(Some(1)), &opts(2, 300));
    assert_eq!(limited.routes.len(), 1, "one courier for both sites");
    assert_eq!(limited.routes[0].vehicle_type, 1, "the urgent site gets it");
    let left: Vec<usize> = limited.unassigned.iter().map(|u| u.job).collect();
    assert_eq!(left, [0, 1, 2]);
    assert!(
        limited
            .unassigned
            .iter()
            .all(|u| u.code == ReasonCode::NoRoom)
    );
    // The checker refuses two routes from a group of one.
    let p = one_partner_two_sites(Some(1));
    let report = check(&p, &free);
    assert!(report.is_err_and(|v| v.iter().any(|v| v.message.contains("fleet group 0"))));
    // A group without a limit is refused.
    let mut p = one_partner_two_sites(None);
    assert!(p.set_group_limits(Vec::new()).is_err());
}

// ---------------------------------------------------------------- several trips per courier

/// A warung at location 0 and `n` elders around it (times in minutes, travel time = distance),
/// one rantang each, one courier carrying `capacity` rantang who may ride `max_trips` times.
fn warung(n: usize, capacity: i64, max_trips: usize, reload: f64) -> Problem {
    let mut g = Gen(0x5EED_0042);
    let mut pts = vec![(0.0, 0.0)];
    pts.extend((0..n).map(|_| (g.f() * 20.0 - 10.0, g.f() * 20.0 - 10.0)));
    let costs = Costs::euclidean(&pts, Rounding::None);
    let jobs = (0..n)
        .map(|i| {
            let mut j = Job::new(format!("elder-{i}"), i + 1, 1);
            j.load = vec![1];
            j.service = 1.0;
            j
        })
        .collect();
    let mut v = VehicleType::new("courier", 0, 1);
    v.capacity = vec![capacity];
    v.shift = TimeWindow::new(0.0, 600.0).unwrap();
    v.count = Some(1);
    v.max_trips = max_trips;
    v.reload_time = reload;
    Problem::new(costs, jobs, vec![v], Objective::Cost).unwrap()
}

/// What the test itself recomputes for every route: trips partition the stops, each trip
/// carries at most the capacity, and each later trip leaves at least `reload` after the return.
fn assert_trips_hold(p: &Problem, s: &Solution) {
    for r in &s.routes {
        let v = &p.vehicle_types()[r.vehicle_type];
        assert!(r.trips.len() <= v.max_trips, "{} trips", r.trips.len());
        assert_eq!(
            r.trips.iter().map(|t| t.stops).sum::<usize>(),
            r.stops.len()
        );
        for (k, t) in r.trips.iter().enumerate() {
            let load: i64 = r.stops[t.first_stop..t.first_stop + t.stops]
                .iter()
                .map(|st| p.jobs()[st.job].load[0])
                .sum();
            assert!(load <= v.capacity[0], "trip {k} carries {load}");
            if k > 0 {
                let back = r.trips[k - 1]
                    .reload_arrival
                    .expect("a return before a reload");
                assert!(t.departure + 1e-9 >= back + v.reload_time);
            }
        }
    }
}

#[test]
fn a_warung_courier_with_eighteen_rantang_rides_twice_for_thirty_elders() {
    let p = warung(30, 18, 2, 15.0);
    let s = solve_checked(&p, &opts(3, 2000));
    assert!(s.unassigned.is_empty(), "{:?}", s.unassigned);
    assert_eq!(s.routes.len(), 1);
    assert_eq!(s.routes[0].trips.len(), 2);
    assert_trips_hold(&p, &s);
    // The ride back to reload is part of the route's distance.
    let r = &s.routes[0];
    let c = p.costs();
    let mut d = 0.0;
    let mut at = 0;
    for (k, st) in r.stops.iter().enumerate() {
        if r.trips[1].first_stop == k {
            d += c.distance(at, 0);
            at = 0;
        }
        d += c.distance(at, p.jobs()[st.job].location);
        at = p.jobs()[st.job].location;
    }
    d += c.distance(at, 0);
    assert!((d - r.distance).abs() < 1e-6, "{d} vs {}", r.distance);

    // Without a second trip, twelve elders are left out for want of room.
    let single = warung(30, 18, 1, 15.0);
    let s = solve_checked(&single, &opts(3, 2000));
    assert_eq!(s.unassigned.len(), 12);
    assert!(s.unassigned.iter().all(|u| u.code == ReasonCode::NoRoom));
    assert_eq!(s.routes[0].trips.len(), 1);
}

/// Two early jobs and two late ones 10 away from the start, two per trip.
fn two_waves(reload: f64, late_window: (f64, f64), max_transit: Option<f64>) -> Problem {
    let pts = [
        (0.0, 0.0),
        (10.0, 0.0),
        (10.0, 1.0),
        (-10.0, 0.0),
        (-10.0, 1.0),
    ];
    let costs = Costs::euclidean(&pts, Rounding::None);
    let jobs = (0..4)
        .map(|i| {
            let mut j = Job::new(format!("j{i}"), i + 1, 1);
            j.load = vec![1];
            j.service = 2.0;
            j.max_transit = max_transit;
            j.windows = vec![if i < 2 {
                TimeWindow::new(0.0, 40.0).unwrap()
            } else {
                TimeWindow::new(late_window.0, late_window.1).unwrap()
            }];
            j
        })
        .collect();
    let mut v = VehicleType::new("moto", 0, 1);
    v.capacity = vec![2];
    v.shift = TimeWindow::new(0.0, 400.0).unwrap();
    v.count = Some(1);
    v.max_trips = 2;
    v.reload_time = reload;
    Problem::new(costs, jobs, vec![v], Objective::Distance).unwrap()
}

#[test]
fn windows_on_the_second_trip_hold_after_the_reload() {
    // Back by about 24, reloaded by 84: the late stops open at 90 and close at 110.
    let p = two_waves(60.0, (90.0, 110.0), None);
    let s = solve_checked(&p, &opts(1, 500));
    assert!(s.unassigned.is_empty(), "{:?}", s.unassigned);
    assert_trips_hold(&p, &s);
    let r = &s.routes[0];
    assert_eq!(r.trips.len(), 2);
    for st in &r.stops {
        let w = p.jobs()[st.job].windows[0];
        assert!(
            st.start >= w.start - 1e-9 && st.start <= w.end + 1e-9,
            "{st:?}"
        );
    }
    let second = &r.stops[r.trips[1].first_stop..];
    assert!(
        second.iter().all(|st| st.job >= 2),
        "the late wave rides second"
    );
    // A reload so long that the late windows have closed by the second departure: one trip
    // of two stops is all that fits.
    let p = two_waves(200.0, (90.0, 110.0), None);
    let s = solve_checked(&p, &opts(1, 500));
    assert_eq!(s.unassigned.len(), 2);
    assert!(s.routes.iter().all(|r| r.trips.len() == 1));
}

#[test]
fn max_transit_on_the_second_trip_counts_from_its_own_departure() {
    // Each stop is 10 from the start and allows 15 in transit. The second trip cannot leave
    // before about 24, and its stops open only at 200: it must wait at the kitchen, not on
    // the road, and its stops count their transit from its own departure.
    let p = two_waves(5.0, (200.0, 260.0), Some(15.0));
    let s = solve_checked(&p, &opts(1, 500));
    assert!(s.unassigned.is_empty(), "{:?}", s.unassigned);
    assert_trips_hold(&p, &s);
    let r = &s.routes[0];
    assert_eq!(r.trips.len(), 2);
    for t in &r.trips {
        for st in &r.stops[t.first_stop..t.first_stop + t.stops] {
            assert!(
                st.arrival - t.departure <= 15.0 + 1e-9,
                "{st:?} after {t:?}"
            );
        }
    }
    assert!(r.trips[1].departure > 150.0, "{:?}", r.trips[1]);
    // Measured from the route's first departure instead, the late wave could not be served:
    // with one trip of room for four, the same limits leave two stops out.
    let mut one = two_waves(5.0, (200.0, 260.0), Some(15.0));
    one = Problem::new(
        one.costs().clone(),
        one.jobs().to_vec(),
        vec![VehicleType {
            max_trips: 1,
            capacity: vec![4],
            ..one.vehicle_types()[0].clone()
        }],
        Objective::Distance,
    )
    .unwrap();
    let s = solve_checked(&one, &opts(1, 500));
    assert_eq!(s.unassigned.len(), 2);
}

#[test]
fn random_instances_with_several_trips_get_checked_solutions_with_honest_reasons() {
    let mut multi_seen = 0;
    for seed in 1..=80u64 {
        let base = random_rich(seed);
        let mut g = Gen(seed | 1);
        let vts: Vec<VehicleType> = base
            .vehicle_types()
            .iter()
            .map(|v| VehicleType {
                max_trips: 1 + g.below(3),
                reload_time: g.f() * 30.0,
                ..v.clone()
            })
            .collect();
        let p = Problem::new(
            base.costs().clone(),
            base.jobs().to_vec(),
            vts,
            Objective::Cost,
        )
        .unwrap();
        let s = solve_checked(&p, &opts(seed, 400));
        assert_trips_hold(&p, &s);
        multi_seen += s.routes.iter().filter(|r| r.trips.len() > 1).count();
        for u in &s.unassigned {
            let alone = (0..p.vehicle_types().len()).any(|vt| fits_alone(&p, vt, u.job));
            assert_eq!(
                u.code == ReasonCode::NoRoom,
                alone,
                "seed {seed}: job {} reported {:?} but fits alone = {alone}",
                u.job_id,
                u.code
            );
        }
    }
    assert!(
        multi_seen >= 10,
        "only {multi_seen} routes used a second trip"
    );
}

#[test]
fn the_checker_refuses_an_overloaded_second_trip_and_a_short_reload() {
    // 36 elders, two full trips of 18.
    let p = warung(36, 18, 2, 15.0);
    let good = solve_checked(&p, &opts(5, 2000));
    assert!(good.unassigned.is_empty());
    let r = &good.routes[0];
    assert_eq!((r.trips[0].stops, r.trips[1].stops), (18, 18));
    let messages = |s: &Solution| -> Vec<String> {
        check(&p, s)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    // Move the boundary: the second trip now carries 19.
    let mut over = good.clone();
    let trips = &mut over.routes[0].trips;
    trips[0].stops -= 1;
    trips[1].first_stop -= 1;
    trips[1].stops += 1;
    let m = messages(&over);
    assert!(
        m.iter()
            .any(|m| m.contains("trip 1: load 19 exceeds capacity 18")),
        "{m:?}"
    );
    // Leave again one minute before the reload is done.
    let mut short = good.clone();
    let back = short.routes[0].trips[0].reload_arrival.unwrap();
    short.routes[0].trips[1].departure = back + 15.0 - 1.0;
    let m = messages(&short);
    assert!(
        m.iter().any(|m| m.contains("before the reload ends")),
        "{m:?}"
    );
    // A third trip on a vehicle allowed two.
    let mut third = good.clone();
    let t = third.routes[0].trips[1].clone();
    third.routes[0].trips[1].stops = 9;
    third.routes[0].trips[0].reload_arrival = t.reload_arrival;
    third.routes[0].trips.push(antar::planner::Trip {
        first_stop: t.first_stop + 9,
        stops: 9,
        ..t
    });
    let m = messages(&third);
    assert!(
        m.iter().any(|m| m.contains("3 trips, vehicle allows 2")),
        "{m:?}"
    );
}

#[test]
fn trips_are_read_from_json_and_written_with_the_solution() {
    let text = r#"{"locations": [[0, 0], [3, 4], [6, 8]],
        "vehicle_types": [{"id": "moto", "start": 0, "capacity": [1], "count": 1,
                           "max_trips": 2, "reload_time": 5}],
        "jobs": [{"id": "a", "location": 1, "load": [1]}, {"id": "b", "location": 2, "load": [1]}]}"#;
    let inst = antar::planner::readers::parse_json(Path::new("mem.json"), text).unwrap();
    let v = &inst.problem.vehicle_types()[0];
    assert_eq!((v.max_trips, v.reload_time), (2, 5.0));
    let s = solve_checked(&inst.problem, &opts(1, 200));
    assert!(s.unassigned.is_empty());
    let json = serde_json::to_value(&s.routes[0]).unwrap();
    let trips = json["trips"].as_array().unwrap();
    assert_eq!(trips.len(), 2);
    assert_eq!(trips[1]["first_stop"], 1);
    assert!(trips[0]["reload_arrival"].is_number());
    // Zero trips is refused.
    let bad = text.replace("\"max_trips\": 2", "\"max_trips\": 0");
    let e = antar::planner::readers::parse_json(Path::new("mem.json"), &bad).unwrap_err();
    assert!(e.to_string().contains("max trips"), "{e}");
}

#[test]
fn max_stops_hold_per_trip_and_the_last_trip_may_stay_open() {
    // A partner limit of 4 stops and room for 10: nine elders need three trips.
    let base = warung(9, 10, 3, 5.0);
    let v = VehicleType {
        max_stops: Some(4),
        end: None,
        ..base.vehicle_types()[0].clone()
    };
    let p = Problem::new(
        base.costs().clone(),
        base.jobs().to_vec(),
        vec![v.clone()],
        Objective::Cost,
    )
    .unwrap();
    let s = solve_checked(&p, &opts(2, 1000));
    assert!(s.unassigned.is_empty(), "{:?}", s.unassigned);
    let r = &s.routes[0];
    assert_eq!(r.trips.len(), 3);
    assert!(r.trips.iter().all(|t| t.stops <= 4), "{:?}", r.trips);
    assert!(r.end_arrival.is_none() && r.trips[2].reload_arrival.is_none());
    // With two trips only, one elder is left out.
    let two = Problem::new(
        base.costs().clone(),
        base.jobs().to_vec(),
        vec![VehicleType { max_trips: 2, ..v }],
        Objective::Cost,
    )
    .unwrap();
    let s = solve_checked(&two, &opts(2, 1000));
    assert_eq!(s.unassigned.len(), 1);
}
