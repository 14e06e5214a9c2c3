//! `antar graph ...`: import OSM extracts, query routes and matrices, benchmark, and generate
//! synthetic networks.
//!
//! Owns: argument parsing and output formats of the graph commands. All road logic lives in
//! [`crate::roads`]; this file only wires it to files and the terminal.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::{LatLon, TravelMatrix};
use crate::roads::{self, ImportOptions, RoadGraph};

/// Road graph commands.
#[derive(Debug, clap::Subcommand)]
pub enum GraphCommand {
    /// Import an OSM extract (.osm.pbf, .osm, .osm.gz) with the motorbike profile into a graph file.
    #[command(
        after_help = "Example:\n  antar graph import ../shared/osm/monaco.osm.pbf -o monaco.graph"
    )]
    Import {
        /// The OSM extract.
        extract: PathBuf,
        /// Where to write the graph file.
        #[arg(short, long)]
        output: PathBuf,
        /// Default snapping limit in metres stored in the graph.
        #[arg(long, default_value_t = roads::DEFAULT_SNAP_LIMIT_M)]
        snap_limit_m: f64,
    },
    /// Fastest motorbike route between two points, as JSON with a GeoJSON LineString.
    #[command(
        after_help = "Example:\n  antar graph route --graph monaco.graph --from 43.7384,7.4246 --to 43.7311,7.4197"
    )]
    Route {
        /// Graph file from `antar graph import`.
        #[arg(long)]
        graph: PathBuf,
        /// Start as LAT,LON.
        #[arg(long, allow_hyphen_values = true)]
        from: LatLon,
        /// Destination as LAT,LON.
        #[arg(long, allow_hyphen_values = true)]
        to: LatLon,
        /// Snapping limit in metres (default: the one stored in the graph).
        #[arg(long)]
        snap_limit_m: Option<f64>,
    },
    /// Travel-time and distance matrix between points read from a CSV file with a `lat,lon` header.
    #[command(
        after_help = "Example:\n  antar graph matrix --graph monaco.graph --points points.csv --format csv\n\n\
        points.csv:\n  lat,lon\n  43.7384,7.4246\n  43.7311,7.4197"
    )]
    Matrix {
        /// Graph file from `antar graph import`.
        #[arg(long)]
        graph: PathBuf,
        /// CSV file with a `lat,lon` header.
        #[arg(long)]
        points: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Snapping limit in metres (default: the one stored in the graph).
        #[arg(long)]
        snap_limit_m: Option<f64>,
    },
    /// Measure import, load, contraction, matrices (CH vs Dijkstra) and route queries.
    #[command(
        after_help = "Examples:\n  antar graph bench\n  antar graph bench --extract ../shared/osm/monaco.osm.pbf --points 500\n  \
        antar graph bench --extract none --scale 1000000\n\n\
        Without --extract, every *.osm.pbf in $ANTAR_SHARED_DIR/osm (default ../shared/osm) is used."
    )]
    Bench {
        /// Extracts to measure (default: all shared *.osm.pbf; `none` for none).
        #[arg(long)]
        extract: Vec<PathBuf>,
        /// Points in the matrix (an n x n matrix).
        #[arg(long, default_value_t = 1000)]
        points: usize,
        /// Random routes for the median query time.
        #[arg(long, default_value_t = 10_000)]
        routes: usize,
        /// Also run the scale test on a synthetic grid of this many nodes (2000 x 2000 matrix).
        #[arg(long)]
        scale: Option<usize>,
        /// Random seed for the points.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Generate a synthetic network as OSM XML.
    #[command(subcommand)]
    Synth(SynthCommand),
}

/// What to generate.
#[derive(Debug, clap::Subcommand)]
pub enum SynthCommand {
    /// The Banyuwangi-like demo town.
    #[command(
        after_help = "Example:\n  antar graph synth town -o fixtures/roads/banyuwangi-town.osm"
    )]
    Town {
        /// Output .osm file.
        #[arg(short, long)]
        output: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// A large square grid for scale tests.
    #[command(after_help = "Example:\n  antar graph synth grid --nodes 1000000 -o /tmp/big.osm")]
    Grid {
        /// Approximate number of nodes.
        #[arg(long, default_value_t = 1_000_000)]
        nodes: usize,
        /// Output .osm file.
        #[arg(short, long)]
        output: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Matrix output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `{"durations_s": [[..]], "distances_m": [[..]], "unreachable": [[i, j], ..]}`.
    Json,
    /// `from,to,duration_s,distance_m` rows (empty fields when unreachable).
    Csv,
}

/// Run one graph command.
pub fn run(cmd: GraphCommand) -> anyhow::Result<()> {
    match cmd {
        GraphCommand::Import {
            extract,
            output,
            snap_limit_m,
        } => {
            let opts = ImportOptions {
                progress: true,
                snap_limit_m,
            };
            let (graph, report) = roads::import(&extract, &opts)?;
            graph.save(&output)?;
            eprintln!(
                "{}: {report}; wrote {}",
                extract.display(),
                output.display()
            );
            Ok(())
        }
        GraphCommand::Route {
            graph,
            from,
            to,
            snap_limit_m,
        } => {
            let graph = load(&graph, snap_limit_m)?;
            let route = graph.route(from, to)?;
            let coordinates: Vec<[f64; 2]> =
                route.geometry.iter().map(|p| [p.lon(), p.lat()]).collect();
            let json = serde_json::json!({
                "duration_s": route.duration_s,
                "distance_m": route.distance_m,
                "geometry": {"type": "LineString", "coordinates": coordinates},
            });
            writeln!(std::io::stdout().lock(), "{json}")?;
            Ok(())
        }
        GraphCommand::Matrix {
            graph,
            points,
            format,
            snap_limit_m,
        } => {
            let pts = read_points(&points)?;
            let graph = load(&graph, snap_limit_m)?;
            let m = graph.matrix(&pts).map_err(|e| match e {
                // Point i is on line i + 2 of the CSV (after the header).
                roads::RoadsError::Point { index, reason } => {
                    anyhow::anyhow!("{}: line {}: {reason}", points.display(), index + 2)
                }
                other => other.into(),
            })?;
            let mut out = BufWriter::new(std::io::stdout().lock());
            match format {
                Format::Json => serde_json::to_writer(&mut out, &matrix_json(&m))?,
                Format::Csv => {
                    writeln!(out, "from,to,duration_s,distance_m")?;
                    for i in 0..m.len() {
                        for j in 0..m.len() {
                            let f = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
                            writeln!(
                                out,
                                "{i},{j},{},{}",
                                f(m.duration_s(i, j)),
                                f(m.distance_m(i, j))
                            )?;
                        }
                    }
                }
            }
            writeln!(out)?;
            Ok(())
        }
        GraphCommand::Bench {
            extract,
            points,
            routes,
            scale,
            seed,
        } => bench(extract, points, routes, scale, seed),
        GraphCommand::Synth(SynthCommand::Town { output, seed }) => {
            let stats = roads::synth::town(seed, BufWriter::new(create(&output)?))?;
            eprintln!(
                "wrote {} ({} nodes, {} ways)",
                output.display(),
                stats.nodes,
                stats.ways
            );
            Ok(())
        }
        GraphCommand::Synth(SynthCommand::Grid {
            nodes,
            output,
            seed,
        }) => {
            let stats = roads::synth::grid(nodes, seed, BufWriter::new(create(&output)?))?;
            eprintln!(
                "wrote {} ({} nodes, {} ways)",
                output.display(),
                stats.nodes,
                stats.ways
            );
            Ok(())
        }
    }
}

fn create(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

fn load(path: &Path, snap_limit_m: Option<f64>) -> anyhow::Result<RoadGraph> {
    let mut g = RoadGraph::load(path)?;
    if let Some(limit) = snap_limit_m {
        g.set_snap_limit_m(limit);
    }
    Ok(g)
}

/// The JSON matrix: `null` for unreachable entries, plus the list of unreachable pairs.
pub fn matrix_json(m: &TravelMatrix) -> serde_json::Value {
    let n = m.len();
    let rows = |f: &dyn Fn(usize, usize) -> Option<u32>| -> Vec<Vec<Option<u32>>> {
        (0..n).map(|i| (0..n).map(|j| f(i, j)).collect()).collect()
    };
    serde_json::json!({
        "durations_s": rows(&|i, j| m.duration_s(i, j)),
        "distances_m": rows(&|i, j| m.distance_m(i, j)),
        "unreachable": m.unreachable_pairs().map(|(i, j)| [i, j]).collect::<Vec<_>>(),
    })
}

/// Read points from a CSV file with a `lat,lon` header (other columns are ignored).
pub fn read_points(path: &Path) -> anyhow::Result<Vec<LatLon>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open points file {}", path.display()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(file);
    let headers = rdr
        .headers()
        .with_context(|| format!("{}: line 1: cannot read the header", path.display()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(lat_col), Some(lon_col)) = (col("lat"), col("lon")) else {
        bail!(
            "{}: line 1: expected a header with `lat` and `lon` columns, got {:?}",
            path.display(),
            headers.iter().collect::<Vec<_>>()
        );
    };
    let mut points = Vec::new();
    for record in rdr.records() {
        let record = record.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize, what: &str| -> anyhow::Result<f64> {
            let text = record.get(i).unwrap_or("");
            text.parse::<f64>().map_err(|_| {
                anyhow::anyhow!(
                    "{}: line {line}: expected a decimal {what}, got {text:?}",
                    path.display()
                )
            })
        };
        let (lat, lon) = (field(lat_col, "latitude")?, field(lon_col, "longitude")?);
        let p = LatLon::new(lat, lon)
            .map_err(|e| anyhow::anyhow!("{}: line {line}: {e}", path.display()))?;
        points.push(p);
    }
    if points.is_empty() {
        bail!(
            "{}: expected at least one `lat,lon` row after the header",
            path.display()
        );
    }
    Ok(points)
}

/// Random points near the roads: a random shape point of a random road, moved up to ~40 m.
pub fn random_points(graph: &RoadGraph, n: usize, seed: u64) -> Vec<LatLon> {
    let mut rng = StdRng::seed_from_u64(seed);
    let lines: Vec<Vec<LatLon>> = graph.roads().map(|r| r.geometry).collect();
    (0..n)
        .map(|_| {
            let line = &lines[rng.random_range(0..lines.len())];
            let p = line[rng.random_range(0..line.len())];
            let (dlat, dlon) = (
                rng.random_range(-0.0003..0.0003),
                rng.random_range(-0.0003..0.0003),
            );
            LatLon::new(p.lat() + dlat, p.lon() + dlon).unwrap_or(p)
        })
        .collect()
}

/// Peak resident memory of this process (VmHWM) in MiB, if the kernel reports it.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time of the calling thread (from /proc/thread-self/schedstat, in ns); zero when the
/// kernel does not report it.
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn bench(
    extracts: Vec<PathBuf>,
    points: usize,
    routes: usize,
    scale: Option<usize>,
    seed: u64,
) -> anyhow::Result<()> {
    let extracts: Vec<PathBuf> = if extracts.is_empty() {
        let dir = super::shared_dir().join("osm");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot list {} (set ANTAR_SHARED_DIR)", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".osm.pbf"))
            .collect();
        found.sort();
        found
    } else {
        extracts
            .into_iter()
            .filter(|p| p.as_os_str() != "none")
            .collect()
    };
    let tmp = std::env::temp_dir().join(format!("antar-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    println!(
        "| extract | nodes / edges | import ms | of which CH ms | load ms | matrix {points}² CH 1 thr ms wall / CPU | CH 2 thr ms wall | Dijkstra per source ms wall / CPU | ratio (CPU) | mismatches | route median µs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for path in extracts {
        let t = Instant::now();
        let (graph, report) = roads::import(&path, &ImportOptions::default())?;
        let import_time = t.elapsed();
        let file = tmp.join("bench.graph");
        graph.save(&file)?;
        let mut load_time = Duration::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let g = RoadGraph::load(&file)?;
            load_time = load_time.min(t.elapsed());
            drop(g);
        }
        let pts = random_points(&graph, points, seed);
        // Best of three, wall clock and CPU time of the (single) working thread: the machine is
        // shared, so the CPU-time ratio is the figure that compares the algorithms.
        let best_of_3 = |threads: usize| -> anyhow::Result<(Vec<Option<u32>>, Duration, Duration)> {
            let (mut wall, mut cpu) = (Duration::MAX, Duration::MAX);
            let mut out = Vec::new();
            for _ in 0..3 {
                let (t, c) = (Instant::now(), thread_cpu());
                out = graph.durations_ms(&pts, threads)?;
                wall = wall.min(t.elapsed());
                cpu = cpu.min(thread_cpu().saturating_sub(c));
            }
            Ok((out, wall, cpu))
        };
        let (ch1, ch1_time, ch1_cpu) = best_of_3(1)?;
        let (ch2, ch2_time, _) = best_of_3(2)?;
        let (t, c) = (Instant::now(), thread_cpu());
        let reference = graph.reference_durations_ms(&pts)?;
        let dijkstra_time = t.elapsed();
        let dijkstra_cpu = thread_cpu().saturating_sub(c);
        let mismatches = ch1.iter().zip(&reference).filter(|(a, b)| a != b).count()
            + ch1.iter().zip(&ch2).filter(|(a, b)| a != b).count();
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        let mut samples = Vec::with_capacity(routes);
        let mut failures = 0;
        for _ in 0..routes {
            let (a, b) = (
                pts[rng.random_range(0..pts.len())],
                pts[rng.random_range(0..pts.len())],
            );
            let t = Instant::now();
            let r = graph.route(a, b);
            samples.push(t.elapsed());
            failures += r.is_err() as usize;
        }
        samples.sort();
        let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        println!(
            "| {name} | {} / {} | {:.0} | {:.0} | {:.1} | {:.1} / {:.1} | {:.1} | {:.0} / {:.0} | {:.1}x | {mismatches} | {:.1}{} |",
            report.nodes,
            report.edges,
            ms(import_time),
            ms(report.contract_time),
            ms(load_time),
            ms(ch1_time),
            ms(ch1_cpu),
            ms(ch2_time),
            ms(dijkstra_time),
            ms(dijkstra_cpu),
            dijkstra_cpu.as_secs_f64() / ch1_cpu.as_secs_f64(),
            median.as_secs_f64() * 1e6,
            if failures > 0 {
                format!(" ({failures} unroutable)")
            } else {
                String::new()
            },
        );
    }
    if let Some(nodes) = scale {
        let file = tmp.join("scale.osm");
        let t = Instant::now();
        roads::synth::grid(nodes, 1, BufWriter::new(create(&file)?))?;
        let synth_time = t.elapsed();
        let t = Instant::now();
        let (graph, report) = roads::import(&file, &ImportOptions::default())?;
        let import_time = t.elapsed();
        let _ = std::fs::remove_file(&file);
        let pts = random_points(&graph, 2000, seed);
        let t = Instant::now();
        let m = graph.matrix(&pts)?;
        let matrix_time = t.elapsed();
        println!(
            "\nscale: grid of {nodes} nodes -> {} junctions / {} edges; write XML {:.1} s, import {:.1} s \
             (parse {:.1} s, contract {:.1} s), 2000x2000 matrix {:.2} s ({} unreachable), peak memory (VmHWM) {:.0} MiB",
            report.nodes,
            report.edges,
            synth_time.as_secs_f64(),
            import_time.as_secs_f64(),
            report.parse_time.as_secs_f64(),
            report.contract_time.as_secs_f64(),
            matrix_time.as_secs_f64(),
            m.unreachable_pairs().count(),
            peak_memory_mib().unwrap_or(f64::NAN),
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
