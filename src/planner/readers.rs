//! Readers of problem files: Solomon VRPTW text, VRPLIB CVRP (`EUC_2D`), and antar's own JSON
//! problem format. Every error names the file and line and says what was expected.
//!
//! Owns file parsing for the planner. Must not depend on the solver.
//!
//! # The JSON problem format
//!
//! ```json
//! {
//!   "objective": "cost",
//!   "locations": [[0, 0], [3, 4]], "rounding": "none",
//!   "vehicle_types": [{"id": "moto", "start": 0, "end": null, "capacity": [18],
//!                      "shift": [0, 7200], "max_stops": 20, "max_duration": null,
//!                      "capabilities": ["cold_box"], "fixed_cost": 8000,
//!                      "cost_per_distance": 2.5, "fare_cap": 40000, "count": null,
//!                      "max_trips": 2, "reload_time": 600}],
//!   "jobs": [{"id": "a", "location": 1, "load": [1], "service": 60,
//!             "windows": [[0, 3600]], "priority": "urgent", "max_transit": 1800,
//!             "capabilities": ["cold_box"], "start_site": 0}]
//! }
//! ```
//!
//! `objective` is `cost` (default), `vehicles_then_distance` or `distance`. Give either
//! `locations` (planar points, Euclidean, travel time = distance; `rounding` is `none` or
//! `nearest`) or `matrix: {"durations": [[...]], "distances": [[...]]}` (`null` = no path).
//! Times are numbers in one unit (seconds in practice). Capabilities are names; each distinct
//! name is one bit. Everything but `id`, `start`, `capacity` (vehicles) and `id`, `location`
//! (jobs) is optional; `end` defaults to `null` (open route), `count` to unlimited,
//! `max_trips` to 1 (no reloading), `reload_time` to 0, `windows` to always open, `priority` to `routine`, `load` to zeros.

use std::path::Path;

use serde::Deserialize;

use super::PlannerError;
use super::model::{
    Capabilities, Costs, Job, Objective, Priority, Problem, Rounding, TimeWindow, VehicleType,
};

/// A problem read from a file, with its name.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Instance name (file stem or the file's `NAME`).
    pub name: String,
    /// The problem.
    pub problem: Problem,
}

fn io_err(path: &Path, e: std::io::Error) -> PlannerError {
    PlannerError::Io {
        path: path.display().to_string(),
        source: e,
    }
}

fn parse_err(path: &Path, line: usize, message: impl Into<String>) -> PlannerError {
    PlannerError::Parse {
        path: path.display().to_string(),
        line,
        message: message.into(),
    }
}

/// Read a Solomon VRPTW file (vehicles then distance; fleet and capacity from the file).
pub fn read_solomon(path: &Path) -> Result<Instance, PlannerError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    parse_solomon(path, &text)
}

/// Parse Solomon text; `path` only names the source in errors.
pub fn parse_solomon(path: &Path, text: &str) -> Result<Instance, PlannerError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let (_, name) = lines
        .next()
        .ok_or_else(|| parse_err(path, 1, "empty file, expected an instance name"))?;
    let name = name.to_string();
    let mut fleet: Option<(usize, i64)> = None;
    let mut rows: Vec<(usize, [f64; 7])> = Vec::new();
    let mut in_customers = false;
    for (no, line) in lines {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("CUSTOMER") {
            in_customers = true;
            continue;
        }
        if upper.starts_with("VEHICLE") || upper.starts_with("NUMBER") || upper.starts_with("CUST")
        {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !in_customers {
            if fields.len() != 2 {
                return Err(parse_err(
                    path,
                    no,
                    format!("expected `NUMBER CAPACITY`, got {line:?}"),
                ));
            }
            let num = fields[0].parse::<usize>();
            let cap = fields[1].parse::<i64>();
            match (num, cap) {
                (Ok(n), Ok(c)) => fleet = Some((n, c)),
                _ => {
                    return Err(parse_err(
                        path,
                        no,
                        format!("expected two integers NUMBER CAPACITY, got {line:?}"),
                    ));
                }
            }
            continue;
        }
        if fields.len() != 7 {
            return Err(parse_err(
                path,
                no,
                format!("expected 7 numbers per customer row, got {}", fields.len()),
            ));
        }
        let mut row = [0.0; 7];
        for (k, f) in fields.iter().enumerate() {
            row[k] = f
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    parse_err(path, no, format!("field {} ({f:?}) is not a number", k + 1))
                })?;
        }
        if row[5] < row[4] {
            return Err(parse_err(path, no, "due date before ready time"));
        }
        rows.push((no, row));
    }
    let (count, capacity) =
        fleet.ok_or_else(|| parse_err(path, 1, "missing VEHICLE block (NUMBER CAPACITY)"))?;
    let Some(&(depot_line, depot)) = rows.first() else {
        return Err(parse_err(path, 1, "missing CUSTOMER rows"));
    };
    if depot[0] != 0.0 {
        return Err(parse_err(
            path,
            depot_line,
            "the first customer row must be the depot, number 0",
        ));
    }
    let points: Vec<(f64, f64)> = rows.iter().map(|(_, r)| (r[1], r[2])).collect();
    let costs = Costs::euclidean(&points, Rounding::None);
    let mut jobs = Vec::with_capacity(rows.len() - 1);
    for (i, (no, r)) in rows.iter().enumerate().skip(1) {
        if r[3] < 0.0 || r[3].fract() != 0.0 {
            return Err(parse_err(
                path,
                *no,
                "demand must be a non-negative integer",
            ));
        }
        let mut j = Job::new(format!("{}", r[0] as i64), i, 1);
        j.load = vec![r[3] as i64];
        j.windows = vec![TimeWindow {
            start: r[4],
            end: r[5],
        }];
        j.service = r[6];
        jobs.push(j);
    }
    let mut v = VehicleType::new("vehicle", 0, 1);
    v.capacity = vec![capacity];
    v.shift = TimeWindow {
        start: depot[4],
        end: depot[5],
    };
    v.count = Some(count);
    v.fixed_cost = 0.0;
    let problem = Problem::new(costs, jobs, vec![v], Objective::VehiclesThenDistance)
        .map_err(|e| parse_err(path, depot_line, e.to_string()))?;
    Ok(Instance { name, problem })
}

/// Read a VRPLIB CVRP file (`EUC_2D`, rounded distances, unlimited fleet, distance objective).
pub fn read_vrplib(path: &Path) -> Result<Instance, PlannerError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    parse_vrplib(path, &text)
}

/// Parse VRPLIB text; `path` only names the source in errors.
pub fn parse_vrplib(path: &Path, text: &str) -> Result<Instance, PlannerError> {
    #[derive(PartialEq)]
    enum Sec {
        Header,
        Coords,
        Demands,
        Depots,
    }
    let mut name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut dim: Option<usize> = None;
    let mut capacity: Option<i64> = None;
    let mut coords: Vec<Option<(f64, f64)>> = Vec::new();
    let mut demands: Vec<Option<i64>> = Vec::new();
    let mut depots = Vec::new();
    let mut sec = Sec::Header;
    let mut last_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        last_line = no;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let upper = line.to_ascii_uppercase();
        if upper == "EOF" {
            break;
        }
        if upper.starts_with("NODE_COORD_SECTION") {
            sec = Sec::Coords;
        } else if upper.starts_with("DEMAND_SECTION") {
            sec = Sec::Demands;
        } else if upper.starts_with("DEPOT_SECTION") {
            sec = Sec::Depots;
        } else if upper.ends_with("_SECTION") {
            return Err(parse_err(path, no, format!("unsupported section {line:?}")));
        } else if let Some((key, value)) = line.split_once(':').filter(|_| {
            sec == Sec::Header || !line.starts_with(|c: char| c.is_ascii_digit() || c == '-')
        }) {
            let (key, value) = (
                key.trim().to_ascii_uppercase(),
                value.trim().trim_matches('"'),
            );
            match key.as_str() {
                "NAME" => name = value.to_string(),
                "TYPE" if !value.eq_ignore_ascii_case("CVRP") => {
                    return Err(parse_err(
                        path,
                        no,
                        format!("TYPE {value:?} is not supported, expected CVRP"),
                    ));
                }
                "EDGE_WEIGHT_TYPE" if !value.eq_ignore_ascii_case("EUC_2D") => {
                    return Err(parse_err(
                        path,
                        no,
                        format!("EDGE_WEIGHT_TYPE {value:?} is not supported, expected EUC_2D"),
                    ));
                }
                "DIMENSION" => {
                    let d = value
                        .parse::<usize>()
                        .map_err(|_| parse_err(path, no, "DIMENSION must be a positive integer"))?;
                    if d < 1 {
                        return Err(parse_err(path, no, "DIMENSION must be at least 1"));
                    }
                    dim = Some(d);
                    coords = vec![None; d];
                    demands = vec![None; d];
                }
                "CAPACITY" => {
                    capacity = Some(
                        value
                            .parse::<i64>()
                            .map_err(|_| parse_err(path, no, "CAPACITY must be an integer"))?,
                    );
                }
                _ => {}
            }
        } else {
            let f: Vec<&str> = line.split_whitespace().collect();
            let d = dim.ok_or_else(|| parse_err(path, no, "data before DIMENSION"))?;
            let node = |s: &str| -> Result<usize, PlannerError> {
                match s.parse::<usize>() {
                    Ok(k) if (1..=d).contains(&k) => Ok(k - 1),
                    _ => Err(parse_err(
                        path,
                        no,
                        format!("node id {s:?} is not in 1..={d}"),
                    )),
                }
            };
            match sec {
                Sec::Header => {
                    return Err(parse_err(
                        path,
                        no,
                        format!("expected `KEY : VALUE`, got {line:?}"),
                    ));
                }
                Sec::Coords => {
                    if f.len() != 3 {
                        return Err(parse_err(path, no, "expected `id x y`"));
                    }
                    let k = node(f[0])?;
                    let x = f[1].parse::<f64>().map_err(|_| {
                        parse_err(path, no, format!("x {:?} is not a number", f[1]))
                    })?;
                    let y = f[2].parse::<f64>().map_err(|_| {
                        parse_err(path, no, format!("y {:?} is not a number", f[2]))
                    })?;
                    coords[k] = Some((x, y));
                }
                Sec::Demands => {
                    if f.len() != 2 {
                        return Err(parse_err(path, no, "expected `id demand`"));
                    }
                    let k = node(f[0])?;
                    let q = f[1]
                        .parse::<i64>()
                        .ok()
                        .filter(|q| *q >= 0)
                        .ok_or_else(|| {
                            parse_err(
                                path,
                                no,
                                format!("demand {:?} is not a non-negative integer", f[1]),
                            )
                        })?;
                    demands[k] = Some(q);
                }
                Sec::Depots => {
                    for s in f {
                        if s == "-1" {
                            continue;
                        }
                        depots.push(node(s)?);
                    }
                }
            }
        }
    }
    let d = dim.ok_or_else(|| parse_err(path, last_line, "missing DIMENSION"))?;
    let capacity = capacity.ok_or_else(|| parse_err(path, last_line, "missing CAPACITY"))?;
    let points: Vec<(f64, f64)> = coords
        .iter()
        .enumerate()
        .map(|(k, c)| {
            c.ok_or_else(|| {
                parse_err(
                    path,
                    last_line,
                    format!("node {} has no coordinates", k + 1),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let depot = match depots.as_slice() {
        [] => 0,
        [one] => *one,
        _ => {
            return Err(parse_err(
                path,
                last_line,
                "more than one depot is not supported",
            ));
        }
    };
    let mut jobs = Vec::with_capacity(d - 1);
    for (k, q) in demands.iter().enumerate() {
        if k == depot {
            continue;
        }
        let q =
            q.ok_or_else(|| parse_err(path, last_line, format!("node {} has no demand", k + 1)))?;
        let mut j = Job::new(format!("{}", k + 1), k, 1);
        j.load = vec![q];
        jobs.push(j);
    }
    let mut v = VehicleType::new("vehicle", depot, 1);
    v.capacity = vec![capacity];
    let problem = Problem::new(
        Costs::euclidean(&points, Rounding::Nearest),
        jobs,
        vec![v],
        Objective::Distance,
    )
    .map_err(|e| parse_err(path, last_line, e.to_string()))?;
    Ok(Instance { name, problem })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonProblem {
    #[serde(default)]
    objective: Option<String>,
    #[serde(default)]
    locations: Option<Vec<(f64, f64)>>,
    #[serde(default)]
    rounding: Option<String>,
    #[serde(default)]
    matrix: Option<JsonMatrix>,
    vehicle_types: Vec<JsonVehicle>,
    jobs: Vec<JsonJob>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonMatrix {
    durations: Vec<Vec<Option<f64>>>,
    distances: Vec<Vec<Option<f64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonVehicle {
    id: String,
    start: usize,
    #[serde(default)]
    end: Option<usize>,
    capacity: Vec<i64>,
    #[serde(default)]
    shift: Option<(f64, f64)>,
    #[serde(default)]
    max_stops: Option<usize>,
    #[serde(default)]
    max_duration: Option<f64>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    fixed_cost: f64,
    #[serde(default = "one")]
    cost_per_distance: f64,
    #[serde(default)]
    fare_cap: Option<f64>,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default = "one_trip")]
    max_trips: usize,
    #[serde(default)]
    reload_time: f64,
}

fn one_trip() -> usize {
    1
}

fn one() -> f64 {
    1.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonJob {
    id: String,
    location: usize,
    #[serde(default)]
    load: Option<Vec<i64>>,
    #[serde(default)]
    service: f64,
    #[serde(default)]
    windows: Option<Vec<(f64, f64)>>,
    #[serde(default)]
    priority: Option<Priority>,
    #[serde(default)]
    max_transit: Option<f64>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    start_site: Option<usize>,
}

/// Read antar's JSON problem format (see the module documentation).
pub fn read_json(path: &Path) -> Result<Instance, PlannerError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    parse_json(path, &text)
}

/// Parse the JSON problem format; `path` only names the source in errors.
pub fn parse_json(path: &Path, text: &str) -> Result<Instance, PlannerError> {
    let raw: JsonProblem =
        serde_json::from_str(text).map_err(|e| parse_err(path, e.line(), e.to_string()))?;
    let invalid = |m: String| PlannerError::InvalidFile {
        path: path.display().to_string(),
        message: m,
    };
    let objective = match raw.objective.as_deref().unwrap_or("cost") {
        "cost" => Objective::Cost,
        "vehicles_then_distance" => Objective::VehiclesThenDistance,
        "distance" => Objective::Distance,
        o => {
            return Err(invalid(format!(
                "objective {o:?}: expected cost, vehicles_then_distance or distance"
            )));
        }
    };
    let costs = match (raw.locations, raw.matrix) {
        (Some(points), None) => {
            let rounding = match raw.rounding.as_deref().unwrap_or("none") {
                "none" => Rounding::None,
                "nearest" => Rounding::Nearest,
                r => return Err(invalid(format!("rounding {r:?}: expected none or nearest"))),
            };
            Costs::euclidean(&points, rounding)
        }
        (None, Some(m)) => {
            let n = m.durations.len();
            let flat =
                |rows: &Vec<Vec<Option<f64>>>, what: &str| -> Result<Vec<f64>, PlannerError> {
                    if rows.len() != n || rows.iter().any(|r| r.len() != n) {
                        return Err(invalid(format!("matrix {what} must be {n}x{n}")));
                    }
                    Ok(rows
                        .iter()
                        .flatten()
                        .map(|v| v.unwrap_or(f64::INFINITY))
                        .collect())
                };
            Costs::new(
                n,
                flat(&m.durations, "durations")?,
                flat(&m.distances, "distances")?,
            )
            .map_err(|e| invalid(e.to_string()))?
        }
        _ => {
            return Err(invalid(
                "give exactly one of `locations` or `matrix`".into(),
            ));
        }
    };
    let mut names: Vec<String> = Vec::new();
    let mut caps = |list: &[String]| -> Result<Capabilities, PlannerError> {
        let mut bits = 0u64;
        for name in list {
            let i = match names.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    if names.len() == 64 {
                        return Err(invalid("more than 64 distinct capabilities".into()));
                    }
                    names.push(name.clone());
                    names.len() - 1
                }
            };
            bits |= 1 << i;
        }
        Ok(Capabilities(bits))
    };
    let dims = raw.vehicle_types.first().map_or(1, |v| v.capacity.len());
    let mut vts = Vec::new();
    for v in raw.vehicle_types {
        let mut t = VehicleType::new(v.id, v.start, dims);
        t.end = v.end;
        t.capacity = v.capacity;
        if let Some((a, b)) = v.shift {
            t.shift = TimeWindow::new(a, b)
                .map_err(|e| invalid(format!("vehicle type {}: {e}", t.id)))?;
        }
        t.max_stops = v.max_stops;
        t.max_duration = v.max_duration;
        t.capabilities = caps(&v.capabilities)?;
        t.fixed_cost = v.fixed_cost;
        t.cost_per_distance = v.cost_per_distance;
        t.fare_cap = v.fare_cap;
        t.count = v.count;
        t.max_trips = v.max_trips;
        t.reload_time = v.reload_time;
        vts.push(t);
    }
    let mut jobs = Vec::new();
    for j in raw.jobs {
        let mut job = Job::new(j.id, j.location, dims);
        if let Some(l) = j.load {
            job.load = l;
        }
        job.service = j.service;
        if let Some(ws) = j.windows {
            job.windows = ws
                .into_iter()
                .map(|(a, b)| TimeWindow::new(a, b))
                .collect::<Result<_, _>>()
                .map_err(|e| invalid(format!("job {}: {e}", job.id)))?;
        }
        job.priority = j.priority.unwrap_or(Priority::Routine);
        job.max_transit = j.max_transit;
        job.capabilities = caps(&j.capabilities)?;
        job.start_site = j.start_site;
        jobs.push(job);
    }
    let problem = Problem::new(costs, jobs, vts, objective).map_err(|e| invalid(e.to_string()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Instance { name, problem })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLOMON: &str = "T\n\nVEHICLE\nNUMBER CAPACITY\n 2 10\n\nCUSTOMER\nCUST NO. X Y DEMAND READY DUE SERVICE\n\n 0 0 0 0 0 100 0\n 1 3 4 5 0 50 1\n";

    #[test]
    fn a_small_solomon_text_parses_with_fleet_and_windows() {
        let inst = parse_solomon(Path::new("t.txt"), SOLOMON).unwrap();
        let p = &inst.problem;
        assert_eq!(inst.name, "T");
        assert_eq!(p.jobs().len(), 1);
        assert_eq!(p.jobs()[0].id, "1");
        assert_eq!(p.vehicle_types()[0].count, Some(2));
        assert_eq!(p.vehicle_types()[0].capacity, vec![10]);
        assert_eq!(p.costs().distance(0, 1), 5.0);
        assert_eq!(p.objective(), Objective::VehiclesThenDistance);
    }

    #[test]
    fn vrplib_distances_are_rounded_half_up() {
        let text = "NAME : t\nTYPE : CVRP\nDIMENSION : 2\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 5\nNODE_COORD_SECTION\n1 0 0\n2 1 1\nDEMAND_SECTION\n1 0\n2 3\nDEPOT_SECTION\n1\n-1\nEOF\n";
        let inst = parse_vrplib(Path::new("t.vrp"), text).unwrap();
        assert_eq!(inst.problem.costs().distance(0, 1), 1.0);
        assert_eq!(inst.problem.jobs()[0].id, "2");
    }

    #[test]
    fn an_unknown_json_field_is_refused_with_its_line() {
        let text = "{\n \"jobs\": [],\n \"vehicle_types\": [],\n \"colour\": 1\n}";
        match parse_json(Path::new("p.json"), text) {
            Err(PlannerError::Parse { line, message, .. }) => {
                assert_eq!(line, 4);
                assert!(message.contains("colour"), "{message}");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }
}
