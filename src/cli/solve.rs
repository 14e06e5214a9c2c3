//! `antar solve` (solve one problem file and print a JSON solution) and `antar bench`
//! (benchmark sweeps over Solomon, CVRP X and a generated domain-scale day).
//!
//! Owns the planner's command-line front end. Depends on `planner` and `domain` (and on the
//! stable-route penalties `dispatch::planning` plans with); never on `roads` (the domain bench
//! builds its own synthetic planar matrix).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::domain::TravelMatrix;
use crate::planner::{
    Capabilities, Costs, InitialRoute, Instance, Job, Objective, Priority, Problem, Solution,
    SolveOptions, TimeWindow, VehicleType, check, read_json, read_solomon, read_vrplib, solve,
};

/// Problem file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Solomon VRPTW text (`.txt`).
    Solomon,
    /// VRPLIB CVRP (`.vrp`).
    Vrplib,
    /// antar's JSON problem format (`.json`), documented in `planner::readers`.
    Json,
}

/// Solve one problem file and print the solution as JSON.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  antar solve ../shared/benchmarks/solomon/C101.txt --time-limit 1s
  antar solve ../shared/benchmarks/cvrp_x/X-n101-k25.vrp --time-limit 10s --seed 7
  antar solve fixtures/planner/two_sites_cold_chain.json")]
pub struct SolveArgs {
    /// The problem file.
    pub file: PathBuf,
    /// File format; guessed from the extension (.txt, .vrp, .json) when omitted.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Wall-clock budget, e.g. 500ms, 1s, 2m.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub time_limit: Duration,
    /// Seed of the search.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after this many iterations (with a generous time limit: reproducible runs).
    #[arg(long)]
    pub max_iterations: Option<u64>,
}

/// Which benchmark set to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchSet {
    /// The 56 Solomon VRPTW instances, vehicles then distance.
    Solomon,
    /// The CVRP X instances (n <= 300), rounded distance.
    Cvrp,
    /// A generated day: 1,500 meals from 40 kitchens and 150 prescriptions from 3 pharmacies.
    Domain,
}

/// Run a benchmark set, check every solution with the independent checker, write a CSV.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  antar bench solomon --time-limit 1s --out solomon.csv
  antar bench cvrp --time-limit 10s --threads 2
  antar bench solomon --only R1 --time-limit 1s
  antar bench domain --time-limit 5s
The data directory defaults to $ANTAR_SHARED_DIR/benchmarks/<set> (ANTAR_SHARED_DIR defaults to
../shared next to the crate).")]
pub struct BenchArgs {
    /// Which set.
    #[arg(value_enum)]
    pub set: BenchSet,
    /// Directory with the instances and `bks.csv`.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Wall-clock budget per instance.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub time_limit: Duration,
    /// Seed of the search.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// CSV output file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Instances solved at once (each solve is single-threaded).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Only instances whose name contains this text.
    #[arg(long)]
    pub only: Option<String>,
    /// `domain` only: trips each kitchen courier may ride (reloading 10 minutes between trips).
    #[arg(long, default_value_t = 1)]
    pub kitchen_trips: usize,
}

/// Parse `500ms`, `1s`, `1.5s`, `2m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 500ms, 1s or 2m"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" | "min" => v * 60.0,
        _ => return Err(format!("unknown unit {unit:?} in {s:?}: use ms, s or m")),
    };
    if !(secs.is_finite() && secs >= 0.0) {
        return Err(format!("{s:?} is not a non-negative duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn read_instance(path: &Path, format: Option<Format>) -> anyhow::Result<Instance> {
    let format = match format {
        Some(f) => f,
        None => match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("txt") => Format::Solomon,
            Some("vrp") => Format::Vrplib,
            Some("json") => Format::Json,
            _ => bail!(
                "cannot guess the format of {}: pass --format solomon|vrplib|json",
                path.display()
            ),
        },
    };
    Ok(match format {
        Format::Solomon => read_solomon(path)?,
        Format::Vrplib => read_vrplib(path)?,
        Format::Json => read_json(path)?,
    })
}

#[derive(Serialize)]
struct RouteOut<'a> {
    vehicle: &'a str,
    customers: Vec<&'a str>,
    distance: f64,
    duration: f64,
    cost: f64,
    route: &'a crate::planner::Route,
}

#[derive(Serialize)]
struct UnassignedOut<'a> {
    id: &'a str,
    code: crate::planner::ReasonCode,
    reason: &'a str,
}

#[derive(Serialize)]
struct SolveOut<'a> {
    instance: &'a str,
    objective: Objective,
    feasible: bool,
    violations: Vec<String>,
    vehicles: usize,
    distance: f64,
    cost: f64,
    duration: f64,
    time_s: f64,
    routes: Vec<RouteOut<'a>>,
    unassigned: Vec<UnassignedOut<'a>>,
}

/// `antar solve`.
pub fn run_solve(args: SolveArgs) -> anyhow::Result<()> {
    let inst = read_instance(&args.file, args.format)?;
    let opts = SolveOptions {
        time_limit: args.time_limit,
        seed: args.seed,
        max_iterations: args.max_iterations,
        initial: Vec::new(),
    };
    let t = Instant::now();
    let sol = solve(&inst.problem, &opts)?;
    let time_s = t.elapsed().as_secs_f64();
    let violations = match check(&inst.problem, &sol) {
        Ok(_) => Vec::new(),
        Err(v) => v.iter().map(ToString::to_string).collect(),
    };
    let out = SolveOut {
        instance: &inst.name,
        objective: inst.problem.objective(),
        feasible: violations.is_empty(),
        violations,
        vehicles: sol.summary.vehicles,
        distance: sol.summary.distance,
        cost: sol.summary.cost,
        duration: sol.summary.duration,
        time_s,
        routes: sol
            .routes
            .iter()
            .map(|r| RouteOut {
                vehicle: &r.vehicle_id,
                customers: r.stops.iter().map(|s| s.job_id.as_str()).collect(),
                distance: r.distance,
                duration: r.duration,
                cost: r.cost.total,
                route: r,
            })
            .collect(),
        unassigned: sol
            .unassigned
            .iter()
            .map(|u| UnassignedOut {
                id: &u.job_id,
                code: u.code,
                reason: &u.reason,
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&out)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        // A closed pipe (`antar solve ... | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// One line of a benchmark CSV.
#[derive(Debug, Clone)]
struct BenchRow {
    instance: String,
    vehicles: usize,
    distance: f64,
    bks_vehicles: usize,
    bks_distance: f64,
    time_s: f64,
    feasible: bool,
}

/// Read `bks.csv`: instance name -> (vehicles, distance) from the named columns.
fn read_bks(
    path: &Path,
    veh_col: &str,
    dist_col: &str,
) -> anyhow::Result<Vec<(String, usize, f64)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let header = split_csv(lines.next().context("empty bks.csv")?);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no column {name}", path.display()))
    };
    let (ci, cv, cd) = (col("instance")?, col(veh_col)?, col(dist_col)?);
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        let get = |k: usize| f.get(k).map(String::as_str).unwrap_or("");
        let v = get(cv)
            .parse()
            .with_context(|| format!("{}:{}: bad {veh_col}", path.display(), i + 2))?;
        let d = get(cd)
            .parse()
            .with_context(|| format!("{}:{}: bad {dist_col}", path.display(), i + 2))?;
        out.push((get(ci).to_string(), v, d));
    }
    Ok(out)
}

/// Split one CSV line, honouring double quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

/// `antar bench`.
pub fn run_bench(args: BenchArgs) -> anyhow::Result<()> {
    let (sub, ext, veh_col, dist_col, hierarchical) = match args.set {
        BenchSet::Domain => return run_domain_bench(&args),
        BenchSet::Solomon => ("solomon", "txt", "bks_vehicles", "bks_distance", true),
        BenchSet::Cvrp => ("cvrp_x", "vrp", "bks_routes", "bks_cost", false),
    };
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| super::shared_dir().join("benchmarks").join(sub));
    let mut bks = read_bks(&dir.join("bks.csv"), veh_col, dist_col)?;
    if let Some(f) = &args.only {
        bks.retain(|(name, _, _)| name.contains(f.as_str()));
    }
    println!(
        "{} instances, {:?} each, seed {}, {} thread(s) (one instance per thread; each solve single-threaded)",
        bks.len(),
        args.time_limit,
        args.seed,
        args.threads
    );
    let next = AtomicUsize::new(0);
    let rows: Mutex<Vec<Option<BenchRow>>> = Mutex::new(vec![None; bks.len()]);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..args.threads.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((name, bv, bd)) = bks.get(i) else { break };
                    let res = (|| -> anyhow::Result<BenchRow> {
                        let path = dir.join(format!("{name}.{ext}"));
                        let inst = read_instance(&path, None)?;
                        let opts = SolveOptions { time_limit: args.time_limit, seed: args.seed, ..SolveOptions::default() };
                        let t = Instant::now();
                        let sol = solve(&inst.problem, &opts)?;
                        let time_s = t.elapsed().as_secs_f64();
                        let feasible = check(&inst.problem, &sol).is_ok() && sol.unassigned.is_empty();
                        Ok(BenchRow {
                            instance: name.clone(),
                            vehicles: sol.summary.vehicles,
                            distance: sol.summary.distance,
                            bks_vehicles: *bv,
                            bks_distance: *bd,
                            time_s,
                            feasible,
                        })
                    })();
                    match res {
                        Ok(row) => {
                            let gap = 100.0 * (row.distance - row.bks_distance) / row.bks_distance;
                            println!(
                                "{:<12} veh {:>3} (bks {:>3})  dist {:>10.2} (bks {:>10.2})  gap {:>6.2}%  {:.2}s{}",
                                row.instance,
                                row.vehicles,
                                row.bks_vehicles,
                                row.distance,
                                row.bks_distance,
                                gap,
                                row.time_s,
                                if row.feasible { "" } else { "  INFEASIBLE" }
                            );
                            rows.lock().unwrap()[i] = Some(row);
                        }
                        Err(e) => {
                            failure.lock().unwrap().get_or_insert(e.context(format!("instance {name}")));
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap() {
        return Err(e);
    }
    let rows: Vec<BenchRow> = rows.into_inner().unwrap().into_iter().flatten().collect();
    let mut csv = String::from(
        "instance,vehicles,distance,bks_vehicles,bks_distance,gap_pct,veh_diff,time_s,feasible\n",
    );
    let (mut gap_sum, mut veh_plus, mut infeasible) = (0.0, 0i64, 0usize);
    for r in &rows {
        let gap = 100.0 * (r.distance - r.bks_distance) / r.bks_distance;
        let vd = r.vehicles as i64 - r.bks_vehicles as i64;
        gap_sum += gap;
        veh_plus += vd.max(0);
        infeasible += usize::from(!r.feasible);
        csv += &format!(
            "{},{},{:.2},{},{:.2},{:.3},{},{:.3},{}\n",
            r.instance,
            r.vehicles,
            r.distance,
            r.bks_vehicles,
            r.bks_distance,
            gap,
            vd,
            r.time_s,
            r.feasible
        );
    }
    if let Some(out) = &args.out {
        std::fs::write(out, csv).with_context(|| format!("writing {}", out.display()))?;
    }
    let n = rows.len().max(1) as f64;
    println!(
        "summary: {} instances, mean gap {:.2}%, veh+ {} {}, infeasible {}",
        rows.len(),
        gap_sum / n,
        veh_plus,
        if hierarchical {
            "(vs bks_vehicles)"
        } else {
            "(routes above the BKS file's, informative)"
        },
        infeasible
    );
    Ok(())
}

/// A tiny seeded generator for the synthetic day (independent of the solver's).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Build the synthetic domain day: 40 kitchens with 1,500 meals, 3 pharmacies with 150
/// prescriptions, open routes, a planar metric with a detour factor at motorbike speed.
pub fn domain_problem(seed: u64) -> Problem {
    domain_problem_with_trips(seed, 1)
}

/// [`domain_problem`] with kitchen couriers that may ride `kitchen_trips` times, reloading for
/// ten minutes at the kitchen between trips.
pub fn domain_problem_with_trips(seed: u64, kitchen_trips: usize) -> Problem {
    let mut g = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    const SIDE_M: f64 = 30_000.0;
    const DETOUR: f64 = 1.3;
    const SPEED_MS: f64 = 25_000.0 / 3600.0;
    let h = |hh: f64, mm: f64| hh * 3600.0 + mm * 60.0;
    let mut pts: Vec<(f64, f64)> = Vec::new();
    let kitchens: Vec<usize> = (0..40)
        .map(|_| {
            pts.push((g.next() * SIDE_M, g.next() * SIDE_M));
            pts.len() - 1
        })
        .collect();
    let pharmacies: Vec<usize> = (0..3)
        .map(|_| {
            pts.push((
                SIDE_M * (0.25 + 0.5 * g.next()),
                SIDE_M * (0.25 + 0.5 * g.next()),
            ));
            pts.len() - 1
        })
        .collect();
    let (cold, controlled) = (Capabilities(1), Capabilities(2));
    let mut jobs = Vec::new();
    for i in 0..1500 {
        let k = kitchens[i % kitchens.len()];
        // Elders live within a few kilometres of their kitchen.
        let (r, a) = (
            500.0 + 3500.0 * g.next().sqrt(),
            g.next() * std::f64::consts::TAU,
        );
        let p = (
            (pts[k].0 + r * a.cos()).clamp(0.0, SIDE_M),
            (pts[k].1 + r * a.sin()).clamp(0.0, SIDE_M),
        );
        pts.push(p);
        let mut j = Job::new(format!("meal-{i}"), pts.len() - 1, 3);
        j.load = vec![1, 0, 0];
        j.service = 90.0;
        j.windows = vec![TimeWindow {
            start: h(10.0, 30.0),
            end: h(12.0, 30.0),
        }];
        j.max_transit = Some(h(1.0, 30.0));
        j.start_site = Some(k);
        jobs.push(j);
    }
    for i in 0..150 {
        let ph = pharmacies[i % pharmacies.len()];
        pts.push((g.next() * SIDE_M, g.next() * SIDE_M));
        let mut j = Job::new(format!("rx-{i}"), pts.len() - 1, 3);
        let is_cold = g.next() < 0.2;
        j.load = vec![0, 1, i64::from(is_cold)];
        j.service = 180.0;
        j.windows = vec![TimeWindow {
            start: h(9.0, 0.0),
            end: h(15.0, 0.0),
        }];
        if is_cold {
            j.capabilities = cold;
            j.max_transit = Some(h(1.0, 0.0));
        }
        if g.next() < 0.1 {
            j.capabilities.0 |= controlled.0;
        }
        j.priority = if g.next() < 0.3 {
            Priority::Urgent
        } else {
            Priority::Routine
        };
        j.start_site = Some(ph);
        jobs.push(j);
    }
    let n = pts.len();
    let mut dur = Vec::with_capacity(n * n);
    let mut dist = Vec::with_capacity(n * n);
    for a in &pts {
        for b in &pts {
            let d = ((a.0 - b.0).hypot(a.1 - b.1) * DETOUR).round();
            dist.push(d as u32);
            dur.push((d / SPEED_MS).round() as u32);
        }
    }
    let matrix = TravelMatrix::new(n, dur, dist).expect("square by construction");
    let costs = Costs::from_travel_matrix(&matrix);
    let mut vts = Vec::new();
    for &k in &kitchens {
        let mut v = VehicleType::new(format!("kitchen-{k}-moto"), k, 3);
        v.end = None;
        v.capacity = vec![18, 0, 0];
        v.shift = TimeWindow {
            start: h(10.0, 0.0),
            end: h(13.0, 0.0),
        };
        v.max_stops = Some(20);
        v.max_trips = kitchen_trips.max(1);
        v.reload_time = 600.0;
        v.fixed_cost = 5_000.0;
        v.cost_per_distance = 2.0; // IDR per metre
        vts.push(v);
    }
    for &p in &pharmacies {
        for (name, caps, base) in [
            ("ride", Capabilities(0), 8_000.0),
            ("cold", Capabilities(cold.0 | controlled.0), 12_000.0),
        ] {
            let mut v = VehicleType::new(format!("pharmacy-{p}-{name}"), p, 3);
            v.end = None;
            v.capacity = vec![0, 10, if caps.0 & cold.0 != 0 { 4 } else { 0 }];
            v.shift = TimeWindow {
                start: h(9.0, 0.0),
                end: h(15.0, 0.0),
            };
            v.max_stops = Some(8);
            v.capabilities = caps;
            v.fixed_cost = base;
            v.cost_per_distance = 2.5;
            v.fare_cap = Some(60_000.0);
            vts.push(v);
        }
    }
    Problem::new(costs, jobs, vts, Objective::Cost).expect("generated problem is valid")
}

fn run_domain_bench(args: &BenchArgs) -> anyhow::Result<()> {
    let t = Instant::now();
    let problem = domain_problem_with_trips(args.seed, args.kitchen_trips);
    let gen_s = t.elapsed().as_secs_f64();
    let opts = SolveOptions {
        time_limit: args.time_limit,
        seed: args.seed,
        ..SolveOptions::default()
    };
    let t = Instant::now();
    let sol = solve(&problem, &opts)?;
    let plan_s = t.elapsed().as_secs_f64();
    let report = check(&problem, &sol).map_err(|v| anyhow::anyhow!("infeasible plan: {}", v[0]))?;
    // Baseline 1: one courier per order, each on the cheapest compatible vehicle type.
    let c = problem.costs();
    let mut one_each = 0.0;
    for j in problem.jobs() {
        one_each += problem
            .vehicle_types()
            .iter()
            .filter(|v| {
                v.capabilities.covers(j.capabilities) && j.start_site.is_none_or(|s| s == v.start)
            })
            .map(|v| v.route_cost(c.distance(v.start, j.location)))
            .fold(f64::INFINITY, f64::min);
    }
    // Baseline 2: nearest-neighbour routes, evaluated (and checked) by the same code.
    let t = Instant::now();
    let nn = nearest_neighbour_routes(&problem);
    let nn_opts = SolveOptions {
        max_iterations: Some(0),
        initial: nn,
        ..SolveOptions::default()
    };
    let nn_sol: Solution = solve(&problem, &nn_opts)?;
    let nn_s = t.elapsed().as_secs_f64();
    check(&problem, &nn_sol).map_err(|v| anyhow::anyhow!("infeasible baseline: {}", v[0]))?;
    println!(
        "domain day: {} jobs, {} vehicle types, {} locations (generated in {gen_s:.2}s)",
        problem.jobs().len(),
        problem.vehicle_types().len(),
        c.len()
    );
    let trips: usize = sol.routes.iter().map(|r| r.trips.len()).sum();
    println!(
        "plan: {plan_s:.2}s (budget {:?}, single thread), {} routes ({trips} trips; kitchen couriers ride up to {}), cost {:.0}, distance {:.1} km, unassigned {}+{} (urgent+routine)",
        args.time_limit,
        report.vehicles,
        args.kitchen_trips.max(1),
        report.cost,
        report.distance / 1000.0,
        report.unassigned_urgent,
        report.unassigned_routine
    );
    println!(
        "baseline one courier per order: cost {one_each:.0} ({:+.1}% for it)",
        100.0 * (one_each - report.cost) / report.cost
    );
    println!(
        "baseline nearest neighbour ({nn_s:.2}s): {} routes, cost {:.0} ({:+.1}% for it), unassigned {}",
        nn_sol.summary.vehicles,
        nn_sol.summary.cost,
        100.0 * (nn_sol.summary.cost - report.cost) / report.cost,
        nn_sol.unassigned.len()
    );
    stable_day_two(&problem, &sol, args)?;
    let mut reasons: Vec<String> = sol
        .unassigned
        .iter()
        .map(|u| format!("{}: {}", u.job_id, u.reason))
        .collect();
    reasons.truncate(5);
    for r in reasons {
        println!("  unassigned {r}");
    }
    Ok(())
}

/// The next day, planned again with another seed: how many stops change route or neighbour,
/// with and without stable routes (yesterday's routes as single couriers, with the dispatch
/// module's move and reorder penalties), and what stability costs.
fn stable_day_two(problem: &Problem, day1: &Solution, args: &BenchArgs) -> anyhow::Result<()> {
    use crate::planner::{Stability, UsualPlace};
    let n = problem.jobs().len();
    let mut vehicles = problem.vehicle_types().to_vec();
    let mut usual: Vec<Option<UsualPlace>> = vec![None; n];
    for r in &day1.routes {
        let mut one = vehicles[r.vehicle_type].clone();
        one.id = format!("{}#{}", one.id, vehicles.len());
        one.count = Some(1);
        vehicles.push(one);
        let vt = vehicles.len() - 1;
        let mut after = None;
        for st in &r.stops {
            usual[st.job] = Some(UsualPlace {
                vehicle_type: vt,
                after,
            });
            after = Some(st.job);
        }
    }
    let build = || {
        Problem::new(
            problem.costs().clone(),
            problem.jobs().to_vec(),
            vehicles.clone(),
            problem.objective(),
        )
    };
    let opts = SolveOptions {
        time_limit: args.time_limit,
        seed: args.seed.wrapping_add(1),
        ..SolveOptions::default()
    };
    // (jobs whose route is another than yesterday's, jobs with another predecessor, cost)
    let changes = |p: &Problem, s: &Solution| -> anyhow::Result<(usize, usize, f64)> {
        let report = check(p, s).map_err(|v| anyhow::anyhow!("infeasible day two: {}", v[0]))?;
        // Yesterday's predecessor of each job.
        let mut before: Vec<Option<Option<usize>>> = vec![None; n];
        for r in &day1.routes {
            let mut after = None;
            for st in &r.stops {
                before[st.job] = Some(after);
                after = Some(st.job);
            }
        }
        // Yesterday's route of each job, named by its first stop.
        let mut first_of = vec![usize::MAX; n];
        for r in &day1.routes {
            let f = r.stops[0].job;
            for st in &r.stops {
                first_of[st.job] = f;
            }
        }
        let (mut moved, mut reordered) = (0, 0);
        for r in &s.routes {
            // Today's route continues the yesterday route most of its stops came from.
            let mut votes: std::collections::HashMap<usize, usize> =
                std::collections::HashMap::new();
            for st in &r.stops {
                *votes.entry(first_of[st.job]).or_default() += 1;
            }
            let home = votes.into_iter().max_by_key(|(_, v)| *v).map(|(k, _)| k);
            let mut after = None;
            for st in &r.stops {
                if Some(first_of[st.job]) != home {
                    moved += 1;
                } else if before[st.job].is_some_and(|a| a != after) {
                    reordered += 1;
                }
                after = Some(st.job);
            }
        }
        Ok((moved, reordered, report.cost))
    };
    let free = build()?;
    let free_sol = solve(&free, &opts)?;
    let (m0, r0, c0) = changes(&free, &free_sol)?;
    let mut stable = build()?;
    stable.set_stability(Stability {
        usual,
        move_penalty: crate::dispatch::planning::MOVE_PENALTY_IDR,
        reorder_penalty: crate::dispatch::planning::REORDER_PENALTY_IDR,
    })?;
    let stable_sol = solve(&stable, &opts)?;
    let (m1, r1, c1) = changes(&stable, &stable_sol)?;
    let pct = |x: usize| 100.0 * x as f64 / n as f64;
    println!(
        "day two, another seed: without stable routes {m0} stops ({:.1}%) change route and {r0} ({:.1}%) neighbour, cost {c0:.0}",
        pct(m0),
        pct(r0)
    );
    println!(
        "day two with stable routes: {m1} stops ({:.1}%) change route and {r1} ({:.1}%) neighbour, cost {c1:.0} ({:+.1}% against the free plan)",
        pct(m1),
        pct(r1),
        100.0 * (c1 - c0) / c0
    );
    Ok(())
}

/// Nearest-neighbour routes: per vehicle type, repeatedly open a route and append the nearest
/// job that keeps it feasible, until nothing fits. A quality baseline, not a planner.
pub fn nearest_neighbour_routes(p: &Problem) -> Vec<InitialRoute> {
    let c = p.costs();
    let mut done = vec![false; p.jobs().len()];
    let mut routes = Vec::new();
    for (vt, v) in p.vehicle_types().iter().enumerate() {
        let mut opened = 0usize;
        loop {
            if v.count.is_some_and(|m| opened >= m) {
                break;
            }
            let mut route: Vec<usize> = Vec::new();
            let mut load = vec![0i64; v.capacity.len()];
            let (mut at, mut t) = (v.start, v.shift.start);
            loop {
                if v.max_stops.is_some_and(|m| route.len() >= m) {
                    break;
                }
                let mut best: Option<(f64, usize, f64)> = None;
                for (j, job) in p.jobs().iter().enumerate() {
                    if done[j]
                        || !v.capabilities.covers(job.capabilities)
                        || job.start_site.is_some_and(|s| s != v.start)
                        || load
                            .iter()
                            .zip(&job.load)
                            .zip(&v.capacity)
                            .any(|((l, d), cap)| l + d > *cap)
                    {
                        continue;
                    }
                    let d = c.distance(at, job.location);
                    if best.is_some_and(|b| b.0 <= d) {
                        continue;
                    }
                    let arr = t + c.time(at, job.location);
                    let Some(w) = job.windows.iter().find(|w| arr <= w.end) else {
                        continue;
                    };
                    let start = arr.max(w.start);
                    // Transit is measured from leaving the start; this baseline leaves at the shift start.
                    if job.max_transit.is_some_and(|m| arr - v.shift.start > m) {
                        continue;
                    }
                    let back = v.end.map_or(0.0, |e| c.time(job.location, e));
                    if start + job.service + back > v.shift.end {
                        continue;
                    }
                    best = Some((d, j, start + job.service));
                }
                let Some((_, j, t_next)) = best else { break };
                done[j] = true;
                route.push(j);
                for (l, d) in load.iter_mut().zip(&p.jobs()[j].load) {
                    *l += d;
                }
                at = p.jobs()[j].location;
                t = t_next;
            }
            if route.is_empty() {
                break;
            }
            opened += 1;
            routes.push(InitialRoute {
                vehicle_type: vt,
                jobs: route,
                locked: 0,
                sealed: false,
            });
        }
    }
    routes
}
