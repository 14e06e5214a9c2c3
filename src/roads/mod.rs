//! The road network: OSM import with a motorbike profile, a compact graph file, snapping,
//! shortest paths (contraction hierarchy, checked against petgraph Dijkstra), travel-time
//! matrices and route geometry.
//!
//! Owns: everything about roads. Depends only on [`crate::domain`] (it hands out [`LatLon`] and
//! [`TravelMatrix`]); must never depend on `planner`, `store`, `api` or any async runtime.
//!
//! # Use
//!
//! ```no_run
//! use antar::domain::LatLon;
//! use antar::roads::{self, ImportOptions, RoadGraph};
//!
//! # fn main() -> Result<(), antar::roads::RoadsError> {
//! let (graph, report) = roads::import("town.osm.pbf".as_ref(), &ImportOptions::default())?;
//! println!("{report}");
//! graph.save("town.graph".as_ref())?;
//! let graph = RoadGraph::load("town.graph".as_ref())?;
//! let a = LatLon::new(-8.2191, 114.3691).unwrap();
//! let b = LatLon::new(-8.2290, 114.3560).unwrap();
//! let route = graph.route(a, b)?;
//! let matrix = graph.matrix(&[a, b])?;
//! # let _ = (route, matrix); Ok(()) }
//! ```
//!
//! # Motorbike profile
//!
//! Ridable: `trunk`, `primary`, `secondary`, `tertiary` and their `_link`s, `unclassified`,
//! `residential`, `living_street`, `service`, `road`, `track`, `path` (unless motor vehicles are
//! forbidden: in Indonesia narrow *gang* lanes are often tagged `path` or `footway` and are ridden).
//! `footway`, `pedestrian`, `cycleway`, `bridleway`, `steps` only with `motorcycle` or
//! `motor_vehicle` = yes/designated/permissive/destination. `motorway(_link)` only with
//! `motorcycle=yes`: Indonesian toll roads (*jalan tol*) are closed to motorbikes. `area=yes` is
//! skipped. Access: the most specific of `motorcycle` > `motor_vehicle` > `vehicle` > `access`
//! decides; no/private/agricultural/forestry/permit/military/emergency forbid. One-way:
//! `oneway:motorcycle` overrides `oneway` (yes/1/true forward, -1/reverse backward, no/false/0
//! both); roundabouts (`junction=roundabout|circular`) and motorways are one-way unless `oneway=no`.
//!
//! Speeds (km/h), lowered to `maxspeed` where that is lower (`"50"`, `"50 km/h"`, `"30 mph"`;
//! other values are ignored):
//!
//! | class | km/h | | class | km/h |
//! |---|---|---|---|---|
//! | motorway (`motorcycle=yes`) | 60 | | trunk/primary/motorway `_link` | 40 |
//! | trunk | 50 | | secondary_link | 35 |
//! | primary | 45 | | tertiary_link, unclassified | 30 |
//! | secondary | 40 | | residential, road | 25 |
//! | tertiary | 35 | | living_street, service, track | 15 |
//! | path (and allowed footway etc.) | 10 | | | |
//!
//! Sources: the project's motorbike profile (Indonesian rules of thumb, documented with the shared
//! OSM extracts), kept below the legal limits of Peraturan Menteri Perhubungan No. 111/2015
//! (50 km/h in towns, 30 km/h in residential areas, 80 km/h on rural arterials) because a
//! delivery motorbike in mixed traffic averages well below them; the OSM wiki pages
//! `Key:highway`, `Key:access`, `Key:oneway` and `Key:maxspeed` for the tag semantics.
//!
//! # Model
//!
//! The graph has one node per junction (an OSM node used by more than one ridable way, or a way
//! end); the shape points between junctions are folded into a *segment* whose geometry is kept for
//! snapping and route output. A two-way segment gives two directed edges. Weights are integer
//! milliseconds (travel time) and decimetres (length). Only the largest strongly connected
//! component is kept, so every kept point can reach every other.

mod ch;
mod format;
mod import;
pub mod profile;
mod snap;
pub mod synth;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::domain::{LatLon, TravelMatrix};

pub use import::{ImportOptions, ImportReport, import};

use ch::{Ch, InputEdge, NONE};
use snap::SnapIndex;

/// Default snapping limit in metres.
pub const DEFAULT_SNAP_LIMIT_M: f64 = 500.0;

/// Coordinates are stored as integer 1e-7 degrees (the OSM PBF resolution, about 1 cm).
pub(crate) const E7: f64 = 1e7;

/// Everything that can go wrong in `roads`.
#[derive(Debug, thiserror::Error)]
pub enum RoadsError {
    /// A file could not be opened, read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason (already part of the message).
        error: std::io::Error,
    },
    /// The extract's name does not say which format it is.
    #[error("{}: unknown extract format; expected a name ending in .osm.pbf, .osm or .osm.gz", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The extract is not valid OSM PBF or XML.
    #[error("{}: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong and where.
        detail: String,
    },
    /// The extract holds no ridable road.
    #[error("{}: {detail}", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// A graph file is damaged, truncated or of another format version.
    #[error("{}: {problem}", path.display())]
    GraphFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The nearest ridable road is farther than the snapping limit.
    #[error(
        "no ridable road within {limit_m:.0} m of {point}: the nearest is {distance_m:.0} m away"
    )]
    TooFar {
        /// The location asked for.
        point: LatLon,
        /// Distance to the nearest ridable road in metres.
        distance_m: f64,
        /// The limit in force.
        limit_m: f64,
    },
    /// One point of a matrix request could not be used.
    #[error("point {index}: {reason}")]
    Point {
        /// Index of the point in the request.
        index: usize,
        /// Why.
        reason: Box<RoadsError>,
    },
    /// No path exists (only possible between points snapped onto one-way dead ends).
    #[error("no route from {from} to {to} for a motorbike (one-way restrictions)")]
    NoRoute {
        /// Start.
        from: LatLon,
        /// Destination.
        to: LatLon,
    },
}

/// A road piece between two junctions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub from: u32,
    pub to: u32,
    /// Range of the segment's points (both junctions included) in the shape array.
    pub shape_start: u32,
    pub shape_end: u32,
    pub time_ms: u32,
    pub len_dm: u32,
    pub forward: bool,
    pub backward: bool,
}

impl Segment {
    pub(crate) fn new(
        from: u32,
        to: u32,
        start: u32,
        end: u32,
        length_m: f64,
        rule: profile::WayRule,
    ) -> Self {
        let time_ms = (length_m / (rule.speed_kmh / 3.6) * 1000.0).round();
        Segment {
            from,
            to,
            shape_start: start,
            shape_end: end,
            time_ms: time_ms.min(u32::MAX as f64 / 4.0) as u32,
            len_dm: (length_m * 10.0).round().min(u32::MAX as f64 / 4.0) as u32,
            forward: rule.forward,
            backward: rule.backward,
        }
    }
}

/// Haversine distance in metres between two e7 coordinates.
pub(crate) fn distance_e7(a: [i32; 2], b: [i32; 2]) -> f64 {
    latlon(a).distance_m(latlon(b))
}

/// An e7 coordinate as a [`LatLon`]. Coordinates are range-checked on import and load, so the
/// fallback is never taken.
fn latlon(c: [i32; 2]) -> LatLon {
    LatLon::new(c[0] as f64 / E7, c[1] as f64 / E7)
        .unwrap_or_else(|_| LatLon::new(0.0, 0.0).expect("origin"))
}

/// A location placed on the road network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The closest point on a ridable road.
    pub point: LatLon,
    /// Distance in metres from the requested location to [`Snap::point`].
    pub distance_m: f64,
    segment: u32,
    piece: u32,
    /// Position along the segment, 0 at its first junction, 1 at its last.
    fraction: f64,
}

/// A fastest route between two locations.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Riding time in seconds.
    pub duration_s: f64,
    /// Length in metres.
    pub distance_m: f64,
    /// The road line from the start's snapped point to the destination's snapped point.
    pub geometry: Vec<LatLon>,
}

/// One road segment for drawing a map.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadLine {
    /// Shape points from the first junction to the last.
    pub geometry: Vec<LatLon>,
    /// Ridable from first to last point.
    pub forward: bool,
    /// Ridable from last to first point.
    pub backward: bool,
}

/// The imported road network, ready for snapping and routing. Cheap to share: wrap it in an
/// `Arc`; all queries take `&self` and may run on many threads at once.
#[derive(Debug, Clone)]
pub struct RoadGraph {
    nodes: Vec<[i32; 2]>,
    segments: Vec<Segment>,
    shape: Vec<[i32; 2]>,
    ch: Ch,
    index: SnapIndex,
    snap_limit_m: f64,
}

/// `(node, time ms, length dm)` offsets between a snapped point and a junction.
type Seeds = Vec<(u32, u32, u32)>;

fn part(x: f64, total: u32) -> u32 {
    (x * total as f64).round() as u32
}

impl RoadGraph {
    /// Build from segments: contracts the hierarchy and indexes the shapes.
    pub(crate) fn from_parts(
        nodes: Vec<[i32; 2]>,
        segments: Vec<Segment>,
        shape: Vec<[i32; 2]>,
        snap_limit_m: f64,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Self {
        let edges = directed_edges(&segments);
        let n = nodes.len();
        let ch = Ch::build_with_progress(n, &edges, &mut |done| progress(done, n));
        Self::assemble(nodes, segments, shape, ch, snap_limit_m)
    }

    pub(crate) fn assemble(
        nodes: Vec<[i32; 2]>,
        segments: Vec<Segment>,
        shape: Vec<[i32; 2]>,
        ch: Ch,
        snap_limit_m: f64,
    ) -> Self {
        let lat0 = if nodes.is_empty() {
            0.0
        } else {
            nodes.iter().map(|c| c[0] as f64 / E7).sum::<f64>() / nodes.len() as f64
        };
        let index = SnapIndex::build(&segments, &shape, lat0);
        Self {
            nodes,
            segments,
            shape,
            ch,
            index,
            snap_limit_m,
        }
    }

    /// Read a graph file written by [`RoadGraph::save`].
    pub fn load(path: &Path) -> Result<Self, RoadsError> {
        let bytes = std::fs::read(path).map_err(|error| RoadsError::Io {
            path: path.to_owned(),
            error,
        })?;
        format::from_bytes(path, &bytes)
    }

    /// Write the graph (with its contraction hierarchy) to a file.
    pub fn save(&self, path: &Path) -> Result<(), RoadsError> {
        std::fs::write(path, format::to_bytes(self)).map_err(|error| RoadsError::Io {
            path: path.to_owned(),
            error,
        })
    }

    /// The graph file bytes (what [`RoadGraph::save`] writes).
    pub fn to_bytes(&self) -> Vec<u8> {
        format::to_bytes(self)
    }

    /// Number of junction nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of directed edges (a two-way road counts twice).
    pub fn edge_count(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.forward as usize + s.backward as usize)
            .sum()
    }

    /// The snapping limit in metres.
    pub fn snap_limit_m(&self) -> f64 {
        self.snap_limit_m
    }

    /// Change the snapping limit (metres).
    pub fn set_snap_limit_m(&mut self, limit_m: f64) {
        self.snap_limit_m = limit_m;
    }

    /// Every road segment with its geometry, for drawing a map.
    pub fn roads(&self) -> impl Iterator<Item = RoadLine> + '_ {
        self.segments.iter().map(|s| RoadLine {
            geometry: self.shape_of(s).iter().map(|&c| latlon(c)).collect(),
            forward: s.forward,
            backward: s.backward,
        })
    }

    fn shape_of(&self, s: &Segment) -> &[[i32; 2]] {
        &self.shape[s.shape_start as usize..s.shape_end as usize]
    }

    /// Place a location on the nearest ridable road segment (projection onto the segment).
    /// Farther than the snapping limit is [`RoadsError::TooFar`].
    pub fn snap(&self, p: LatLon) -> Result<Snap, RoadsError> {
        let too_far = |distance_m| RoadsError::TooFar {
            point: p,
            distance_m,
            limit_m: self.snap_limit_m,
        };
        let hit = self
            .index
            .nearest(self.index.point(p.lat(), p.lon()))
            .ok_or_else(|| too_far(f64::INFINITY))?;
        let seg = &self.segments[hit.seg as usize];
        let shape = self.shape_of(seg);
        let k = hit.piece as usize;
        let (a, b) = (shape[k], shape[k + 1]);
        let at = [
            (a[0] as f64 + (b[0] - a[0]) as f64 * hit.t).round() as i32,
            (a[1] as f64 + (b[1] - a[1]) as f64 * hit.t).round() as i32,
        ];
        let point = latlon(at);
        let distance_m = p.distance_m(point);
        if distance_m > self.snap_limit_m {
            return Err(too_far(distance_m));
        }
        let before: f64 = shape[..=k]
            .windows(2)
            .map(|w| distance_e7(w[0], w[1]))
            .sum();
        let total: f64 = before
            + shape[k..]
                .windows(2)
                .map(|w| distance_e7(w[0], w[1]))
                .sum::<f64>();
        let offset = before + distance_e7(a, b) * hit.t;
        let fraction = if total > 0.0 {
            (offset / total).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Ok(Snap {
            point,
            distance_m,
            segment: hit.seg,
            piece: hit.piece,
            fraction,
        })
    }

    /// Junctions reachable from a snapped start, with the cost of the partial segment.
    fn source_seeds(&self, s: &Snap) -> Seeds {
        let seg = &self.segments[s.segment as usize];
        let mut seeds = Vec::with_capacity(2);
        if seg.forward {
            seeds.push((
                seg.to,
                part(1.0 - s.fraction, seg.time_ms),
                part(1.0 - s.fraction, seg.len_dm),
            ));
        }
        if seg.backward {
            seeds.push((
                seg.from,
                part(s.fraction, seg.time_ms),
                part(s.fraction, seg.len_dm),
            ));
        }
        seeds
    }

    /// Junctions from which a snapped destination is reached, with the partial cost.
    fn target_seeds(&self, s: &Snap) -> Seeds {
        let seg = &self.segments[s.segment as usize];
        let mut seeds = Vec::with_capacity(2);
        if seg.forward {
            seeds.push((
                seg.from,
                part(s.fraction, seg.time_ms),
                part(s.fraction, seg.len_dm),
            ));
        }
        if seg.backward {
            seeds.push((
                seg.to,
                part(1.0 - s.fraction, seg.time_ms),
                part(1.0 - s.fraction, seg.len_dm),
            ));
        }
        seeds
    }

    /// Cost of riding along one segment between two snapped points on it, if the direction allows.
    fn direct(&self, a: &Snap, b: &Snap) -> Option<(u32, u32)> {
        if a.segment != b.segment {
            return None;
        }
        let seg = &self.segments[a.segment as usize];
        let d = b.fraction - a.fraction;
        ((seg.forward && d >= 0.0) || (seg.backward && d <= 0.0))
            .then(|| (part(d.abs(), seg.time_ms), part(d.abs(), seg.len_dm)))
    }

    fn snap_all(&self, points: &[LatLon]) -> Result<Vec<Snap>, RoadsError> {
        points
            .iter()
            .enumerate()
            .map(|(index, &p)| {
                self.snap(p).map_err(|e| RoadsError::Point {
                    index,
                    reason: Box::new(e),
                })
            })
            .collect()
    }

    /// Fastest route with its geometry.
    pub fn route(&self, from: LatLon, to: LatLon) -> Result<Route, RoadsError> {
        let (a, b) = (self.snap(from)?, self.snap(to)?);
        self.route_snapped(&a, &b)
            .ok_or(RoadsError::NoRoute { from, to })
    }

    /// Fastest route between two snapped points, `None` when there is none.
    pub fn route_snapped(&self, a: &Snap, b: &Snap) -> Option<Route> {
        let direct = self.direct(a, b);
        let via = self.ch.query(&self.source_seeds(a), &self.target_seeds(b));
        let use_direct = match (&direct, &via) {
            (Some(d), Some(v)) => d.0 <= v.0,
            (Some(_), None) => true,
            _ => false,
        };
        let mut geometry = Vec::new();
        let (time, dist) = if use_direct {
            let (time, dist) = direct?;
            geometry.push(a.point);
            let shape = self.shape_of(&self.segments[a.segment as usize]);
            let (ka, kb) = (a.piece as usize, b.piece as usize);
            // Points strictly between the two snapped positions (none when on one piece).
            if b.fraction >= a.fraction {
                geometry.extend(
                    shape
                        .get(ka + 1..=kb)
                        .unwrap_or_default()
                        .iter()
                        .map(|&c| latlon(c)),
                );
            } else {
                geometry.extend(
                    shape
                        .get(kb + 1..=ka)
                        .unwrap_or_default()
                        .iter()
                        .rev()
                        .map(|&c| latlon(c)),
                );
            }
            geometry.push(b.point);
            (time, dist)
        } else {
            let (time, dist, payloads, first, last) = via?;
            self.leave(a, first, &mut geometry);
            for p in payloads {
                let seg = &self.segments[(p / 2) as usize];
                let shape = self.shape_of(seg);
                if p % 2 == 0 {
                    geometry.extend(shape[1..].iter().map(|&c| latlon(c)));
                } else {
                    geometry.extend(shape[..shape.len() - 1].iter().rev().map(|&c| latlon(c)));
                }
            }
            self.arrive(b, last, &mut geometry);
            (time, dist)
        };
        geometry.dedup();
        Some(Route {
            duration_s: time as f64 / 1000.0,
            distance_m: dist as f64 / 10.0,
            geometry,
        })
    }

    /// Geometry from a snapped start to the junction `node` the route leaves by.
    fn leave(&self, s: &Snap, node: u32, out: &mut Vec<LatLon>) {
        let seg = &self.segments[s.segment as usize];
        let shape = self.shape_of(seg);
        let k = s.piece as usize;
        out.push(s.point);
        if self.forward_end(seg, node, s.fraction, true) {
            out.extend(shape[k + 1..].iter().map(|&c| latlon(c)));
        } else {
            out.extend(shape[..=k].iter().rev().map(|&c| latlon(c)));
        }
    }

    /// Geometry from the junction `node` the route arrives by to a snapped destination.
    fn arrive(&self, s: &Snap, node: u32, out: &mut Vec<LatLon>) {
        let seg = &self.segments[s.segment as usize];
        let shape = self.shape_of(seg);
        let k = s.piece as usize;
        if self.forward_end(seg, node, s.fraction, false) {
            out.extend(shape[1..=k].iter().map(|&c| latlon(c)));
        } else {
            out.extend(
                shape[k + 1..shape.len() - 1]
                    .iter()
                    .rev()
                    .map(|&c| latlon(c)),
            );
        }
        out.push(s.point);
    }

    /// Whether the partial segment is ridden in its forward direction, given the junction used.
    /// On a loop segment (both ends one junction) the cheaper allowed direction was used.
    fn forward_end(&self, seg: &Segment, node: u32, fraction: f64, leaving: bool) -> bool {
        let forward_node = if leaving { seg.to } else { seg.from };
        if seg.from != seg.to {
            return node == forward_node;
        }
        let forward_share = if leaving { 1.0 - fraction } else { fraction };
        seg.forward && (!seg.backward || forward_share <= 1.0 - forward_share)
    }

    /// Travel-time and distance matrix between points (seconds and metres, rounded), using the
    /// contraction hierarchy on all available cores. An error names the first point that does
    /// not snap.
    pub fn matrix(&self, points: &[LatLon]) -> Result<TravelMatrix, RoadsError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4);
        let (times, dists) = self.matrix_raw(&self.snap_all(points)?, threads);
        let to_s = |v: u32| {
            if v == NONE {
                TravelMatrix::UNREACHABLE
            } else {
                (v + 500) / 1000
            }
        };
        let to_m = |v: u32| {
            if v == NONE {
                TravelMatrix::UNREACHABLE
            } else {
                (v + 5) / 10
            }
        };
        let m = TravelMatrix::new(
            points.len(),
            times.into_iter().map(to_s).collect(),
            dists.into_iter().map(to_m).collect(),
        );
        Ok(m.expect("matrix of n * n entries"))
    }

    /// Row-major travel times in milliseconds (`None` = unreachable) by the contraction hierarchy
    /// on `threads` threads. Exposed for benchmarks and oracle tests.
    pub fn durations_ms(
        &self,
        points: &[LatLon],
        threads: usize,
    ) -> Result<Vec<Option<u32>>, RoadsError> {
        let (times, _) = self.matrix_raw(&self.snap_all(points)?, threads);
        Ok(times
            .into_iter()
            .map(|t| (t != NONE).then_some(t))
            .collect())
    }

    fn matrix_raw(&self, snaps: &[Snap], threads: usize) -> (Vec<u32>, Vec<u32>) {
        let sources: Vec<Seeds> = snaps.iter().map(|s| self.source_seeds(s)).collect();
        let targets: Vec<Seeds> = snaps.iter().map(|s| self.target_seeds(s)).collect();
        let (mut times, mut dists) = self.ch.many_to_many(&sources, &targets, threads);
        let n = snaps.len();
        for (i, j) in same_segment_pairs(snaps) {
            if let Some((t, d)) = self.direct(&snaps[i], &snaps[j])
                && t < times[i * n + j]
            {
                times[i * n + j] = t;
                dists[i * n + j] = d;
            }
        }
        (times, dists)
    }

    /// The slow oracle: one petgraph Dijkstra per source over the uncontracted graph, same
    /// snapping and partial costs. Row-major milliseconds, `None` = unreachable.
    pub fn reference_durations_ms(
        &self,
        points: &[LatLon],
    ) -> Result<Vec<Option<u32>>, RoadsError> {
        use petgraph::graph::{DiGraph, NodeIndex};
        let snaps = self.snap_all(points)?;
        let n = self.nodes.len();
        let mut g: DiGraph<(), u32, u32> =
            DiGraph::with_capacity(n + 1, self.segments.len() * 2 + 2);
        for _ in 0..=n {
            g.add_node(());
        }
        for e in directed_edges(&self.segments) {
            g.add_edge(
                NodeIndex::new(e.from as usize),
                NodeIndex::new(e.to as usize),
                e.time,
            );
        }
        // One extra node stands for the current source; its seed edges are swapped per source.
        let virt = NodeIndex::new(n);
        let m = snaps.len();
        let mut out = vec![None; m * m];
        let same: HashMap<(usize, usize), ()> =
            same_segment_pairs(&snaps).map(|p| (p, ())).collect();
        for (i, s) in snaps.iter().enumerate() {
            let seeds: Vec<_> = self
                .source_seeds(s)
                .into_iter()
                .map(|(v, t, _)| g.add_edge(virt, NodeIndex::new(v as usize), t))
                .collect();
            let dist = petgraph::algo::dijkstra(&g, virt, None, |e| *e.weight());
            for (j, t) in snaps.iter().enumerate() {
                let mut best = self
                    .target_seeds(t)
                    .into_iter()
                    .filter_map(|(v, c, _)| dist.get(&NodeIndex::new(v as usize)).map(|d| d + c))
                    .min();
                if same.contains_key(&(i, j))
                    && let Some((d, _)) = self.direct(s, t)
                {
                    best = Some(best.map_or(d, |b| b.min(d)));
                }
                out[i * m + j] = best;
            }
            // Edges added last are removed first, so indices of the others stay valid.
            for e in seeds.into_iter().rev() {
                g.remove_edge(e);
            }
        }
        Ok(out)
    }
}

/// Pairs `(i, j)` of snapped points on the same segment (including `i == j`).
fn same_segment_pairs(snaps: &[Snap]) -> impl Iterator<Item = (usize, usize)> {
    let mut by_segment: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, s) in snaps.iter().enumerate() {
        by_segment.entry(s.segment).or_default().push(i);
    }
    by_segment.into_values().flat_map(|group| {
        let pairs: Vec<(usize, usize)> = group
            .iter()
            .flat_map(|&i| group.iter().map(move |&j| (i, j)))
            .collect();
        pairs
    })
}

/// Directed edges of the segments; the payload is `segment * 2 + reversed`.
fn directed_edges(segments: &[Segment]) -> Vec<InputEdge> {
    let mut edges = Vec::with_capacity(segments.len() * 2);
    for (i, s) in segments.iter().enumerate() {
        let i = i as u32;
        if s.forward {
            edges.push(InputEdge {
                from: s.from,
                to: s.to,
                time: s.time_ms,
                dist: s.len_dm,
                payload: i * 2,
            });
        }
        if s.backward {
            edges.push(InputEdge {
                from: s.to,
                to: s.from,
                time: s.time_ms,
                dist: s.len_dm,
                payload: i * 2 + 1,
            });
        }
    }
    edges
}

#[cfg(test)]
mod tests;
