//! OSM import: reads `.osm.pbf`, `.osm` and `.osm.gz` extracts, applies the motorbike profile and
//! builds the junction graph (largest strongly connected component only).
//!
//! Owns: file parsing and the way → segment folding. Must not depend on the shortest-path code
//! beyond handing the finished segments to [`RoadGraph::from_parts`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use quick_xml::events::{BytesStart, Event};

use super::profile::{self, Refusal, WayRule};
use super::{E7, RoadGraph, RoadsError, Segment};

/// How to import an extract.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Show progress on stderr. When stderr is not a terminal only a one-line summary is printed.
    pub progress: bool,
    /// Default snapping limit in metres stored with the graph (see [`RoadGraph::set_snap_limit_m`]).
    pub snap_limit_m: f64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            progress: false,
            snap_limit_m: super::DEFAULT_SNAP_LIMIT_M,
        }
    }
}

/// What an import read, kept and dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// OSM nodes in the file.
    pub osm_nodes: u64,
    /// OSM ways in the file.
    pub osm_ways: u64,
    /// Ways the motorbike profile accepted.
    pub usable_ways: u64,
    /// `highway=*` ways refused because of access tags.
    pub refused_access: u64,
    /// `motorway` ways refused (no `motorcycle=yes`).
    pub refused_motorway: u64,
    /// Way references to nodes missing from the extract (the way is cut there).
    pub missing_node_refs: u64,
    /// Junction nodes and directed edges before keeping the largest strongly connected component.
    pub junctions_before: usize,
    /// Directed edges before the component filter.
    pub edges_before: usize,
    /// Junction nodes dropped with the smaller components.
    pub dropped_nodes: usize,
    /// Directed edges dropped with the smaller components.
    pub dropped_edges: usize,
    /// Junction nodes kept.
    pub nodes: usize,
    /// Directed edges kept.
    pub edges: usize,
    /// Time spent reading the file and building the junction graph (before contraction).
    pub parse_time: Duration,
    /// Time spent building the contraction hierarchy.
    pub contract_time: Duration,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} usable ways of {}; {} junctions / {} directed edges kept, {} / {} dropped outside the \
             largest strongly connected component; {} missing node refs; parse {:.2} s, contract {:.2} s",
            self.usable_ways,
            self.osm_ways,
            self.nodes,
            self.edges,
            self.dropped_nodes,
            self.dropped_edges,
            self.missing_node_refs,
            self.parse_time.as_secs_f64(),
            self.contract_time.as_secs_f64(),
        )
    }
}

/// A ridable way as read from the file.
struct RawWay {
    refs: Vec<i64>,
    rule: WayRule,
}

/// Everything the graph needs from a file.
#[derive(Default)]
struct RawOsm {
    nodes: HashMap<i64, [i32; 2]>,
    ways: Vec<RawWay>,
    osm_nodes: u64,
    osm_ways: u64,
    refused_access: u64,
    refused_motorway: u64,
}

impl RawOsm {
    fn way(&mut self, refs: Vec<i64>, tags: &[(&str, &str)]) {
        self.osm_ways += 1;
        match profile::classify(tags) {
            Ok(rule) => self.ways.push(RawWay { refs, rule }),
            Err(Refusal::Access) => self.refused_access += 1,
            Err(Refusal::Motorway) => self.refused_motorway += 1,
            Err(_) => {}
        }
    }
}

/// Progress line on stderr, redrawn at most every 200 ms, only on a terminal.
struct Progress {
    on: bool,
    last: Instant,
}

impl Progress {
    fn new(wanted: bool) -> Self {
        Self {
            on: wanted && std::io::stderr().is_terminal(),
            last: Instant::now(),
        }
    }

    fn tick(&mut self, what: &str, raw: &RawOsm) {
        if self.on && self.last.elapsed() > Duration::from_millis(200) {
            self.last = Instant::now();
            let mut e = std::io::stderr().lock();
            let _ = write!(
                e,
                "\r{what}: {} nodes, {} ways ({} usable)   ",
                raw.osm_nodes,
                raw.osm_ways,
                raw.ways.len()
            );
            let _ = e.flush();
        }
    }

    fn contracting(&mut self, done: usize, total: usize) {
        if self.on && self.last.elapsed() > Duration::from_millis(200) {
            self.last = Instant::now();
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\rcontracting: {done} / {total} junctions   ");
            let _ = e.flush();
        }
    }

    fn done(&mut self) {
        if self.on {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// Import an extract: `.osm.pbf`, `.osm`, or `.osm.gz` (chosen by file name).
pub fn import(path: &Path, opts: &ImportOptions) -> Result<(RoadGraph, ImportReport), RoadsError> {
    let start = Instant::now();
    let mut progress = Progress::new(opts.progress);
    let name = path.to_string_lossy().to_ascii_lowercase();
    let raw = if name.ends_with(".pbf") {
        read_pbf(path, &mut progress)?
    } else if name.ends_with(".osm.gz") || name.ends_with(".xml.gz") {
        let file = open(path)?;
        read_xml(
            path,
            BufReader::new(flate2::read::MultiGzDecoder::new(file)),
            &mut progress,
        )?
    } else if name.ends_with(".osm") || name.ends_with(".xml") {
        read_xml(
            path,
            BufReader::with_capacity(1 << 16, open(path)?),
            &mut progress,
        )?
    } else {
        return Err(RoadsError::UnknownFormat {
            path: path.to_owned(),
        });
    };
    progress.done();
    let mut report = ImportReport {
        osm_nodes: raw.osm_nodes,
        osm_ways: raw.osm_ways,
        usable_ways: raw.ways.len() as u64,
        refused_access: raw.refused_access,
        refused_motorway: raw.refused_motorway,
        ..Default::default()
    };
    let (nodes, segments, shape) = build_segments(&raw, &mut report);
    drop(raw);
    let (nodes, segments, shape) = keep_largest_scc(nodes, segments, shape, &mut report);
    if segments.is_empty() {
        return Err(RoadsError::Empty {
            path: path.to_owned(),
            detail: format!(
                "no ridable road remains ({} OSM ways, {} usable by motorbike, {} references to missing nodes)",
                report.osm_ways, report.usable_ways, report.missing_node_refs
            ),
        });
    }
    report.parse_time = start.elapsed();
    let contract_start = Instant::now();
    let graph = RoadGraph::from_parts(nodes, segments, shape, opts.snap_limit_m, &mut |done, n| {
        progress.contracting(done, n)
    });
    progress.done();
    report.contract_time = contract_start.elapsed();
    Ok((graph, report))
}

fn open(path: &Path) -> Result<File, RoadsError> {
    File::open(path).map_err(|error| RoadsError::Io {
        path: path.to_owned(),
        error,
    })
}

fn read_pbf(path: &Path, progress: &mut Progress) -> Result<RawOsm, RoadsError> {
    let reader = osmpbf::ElementReader::new(BufReader::with_capacity(1 << 16, open(path)?));
    let mut raw = RawOsm::default();
    reader
        .for_each(|element| match element {
            osmpbf::Element::Node(n) => {
                raw.osm_nodes += 1;
                raw.nodes
                    .insert(n.id(), [n.decimicro_lat(), n.decimicro_lon()]);
            }
            osmpbf::Element::DenseNode(n) => {
                raw.osm_nodes += 1;
                raw.nodes
                    .insert(n.id(), [n.decimicro_lat(), n.decimicro_lon()]);
            }
            osmpbf::Element::Way(w) => {
                let tags: Vec<(&str, &str)> = w.tags().collect();
                raw.way(w.refs().collect(), &tags);
                progress.tick("reading", &raw);
            }
            osmpbf::Element::Relation(_) => {}
        })
        .map_err(|e| RoadsError::Parse {
            path: path.to_owned(),
            detail: format!("not a readable OSM PBF file: {e}"),
        })?;
    Ok(raw)
}

fn attr<'a>(e: &'a BytesStart<'a>, key: &[u8]) -> Option<std::borrow::Cow<'a, [u8]>> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value)
}

fn read_xml<R: BufRead>(
    path: &Path,
    input: R,
    progress: &mut Progress,
) -> Result<RawOsm, RoadsError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut raw = RawOsm::default();
    let mut buf = Vec::new();
    let mut in_way = false;
    let mut refs: Vec<i64> = Vec::new();
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut saw_osm_root = false;
    let err = |reader: &quick_xml::Reader<R>, detail: String| RoadsError::Parse {
        path: path.to_owned(),
        detail: match line_at(path, reader.buffer_position()) {
            Some(line) => format!("line {line}: {detail}"),
            None => format!("{detail} (near byte {})", reader.buffer_position()),
        },
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| err(&reader, format!("malformed XML: {e}")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                match e.name().as_ref() {
                    b"osm" => saw_osm_root = true,
                    b"node" => {
                        raw.osm_nodes += 1;
                        let id = int_attr(e, b"id")
                            .ok_or_else(|| err(&reader, "a <node> without a numeric id".into()))?;
                        let lat = coord_attr(e, b"lat").map_err(|t| {
                            err(
                                &reader,
                                format!("node {id}: expected a decimal latitude, got {t:?}"),
                            )
                        })?;
                        let lon = coord_attr(e, b"lon").map_err(|t| {
                            err(
                                &reader,
                                format!("node {id}: expected a decimal longitude, got {t:?}"),
                            )
                        })?;
                        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                            return Err(err(
                                &reader,
                                format!("node {id}: coordinates {lat},{lon} out of range"),
                            ));
                        }
                        raw.nodes
                            .insert(id, [(lat * E7).round() as i32, (lon * E7).round() as i32]);
                    }
                    b"way" => {
                        in_way = !is_empty;
                        refs.clear();
                        tags.clear();
                        if is_empty {
                            raw.way(Vec::new(), &[]);
                        }
                    }
                    b"nd" if in_way => {
                        let r = int_attr(e, b"ref").ok_or_else(|| {
                            err(&reader, "a way's <nd> without a numeric ref".into())
                        })?;
                        refs.push(r);
                    }
                    b"tag" if in_way => {
                        let k = attr(e, b"k").map(|v| String::from_utf8_lossy(&v).into_owned());
                        let v = attr(e, b"v").map(|v| String::from_utf8_lossy(&v).into_owned());
                        if let (Some(k), Some(v)) = (k, v) {
                            tags.push((unescape(k), unescape(v)));
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) if e.name().as_ref() == b"way" => {
                in_way = false;
                let t: Vec<(&str, &str)> =
                    tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                raw.way(std::mem::take(&mut refs), &t);
                progress.tick("reading", &raw);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_osm_root {
        return Err(RoadsError::Parse {
            path: path.to_owned(),
            detail: "no <osm> element: not an OSM XML file".into(),
        });
    }
    Ok(raw)
}

/// The 1-based line of a byte position of the (decompressed) XML, read again from the file:
/// only on the error path, so parsing itself need not count lines.
fn line_at(path: &Path, position: u64) -> Option<u64> {
    use std::io::Read;
    let file = File::open(path).ok()?;
    let gz = path.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    let input: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut line = 1;
    let mut buf = [0u8; 1 << 16];
    let mut left = position;
    let mut input = input.take(position);
    while left > 0 {
        let n = input.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        line += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        left -= n as u64;
    }
    Some(line)
}

/// Tag values are rarely escaped; only the five XML entities are decoded.
fn unescape(s: String) -> String {
    if !s.contains('&') {
        return s;
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn int_attr(e: &BytesStart<'_>, key: &[u8]) -> Option<i64> {
    std::str::from_utf8(&attr(e, key)?)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A coordinate attribute, or the offending text.
fn coord_attr(e: &BytesStart<'_>, key: &[u8]) -> Result<f64, String> {
    let Some(v) = attr(e, key) else {
        return Err(String::from("nothing"));
    };
    let text = String::from_utf8_lossy(&v).into_owned();
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(text),
    }
}

/// Fold ways into junction-to-junction segments. A junction is a node used more than once by
/// ridable ways, or the end of a way (or of a piece of a way cut at a missing node).
fn build_segments(
    raw: &RawOsm,
    report: &mut ImportReport,
) -> (Vec<[i32; 2]>, Vec<Segment>, Vec<[i32; 2]>) {
    // Cut ways at missing nodes and at repeated consecutive refs.
    let mut pieces: Vec<(&[i64], WayRule)> = Vec::new();
    for way in &raw.ways {
        let mut start = 0;
        for (i, id) in way.refs.iter().enumerate() {
            if !raw.nodes.contains_key(id) {
                report.missing_node_refs += 1;
                if i > start + 1 {
                    pieces.push((&way.refs[start..i], way.rule));
                }
                start = i + 1;
            }
        }
        if way.refs.len() > start + 1 {
            pieces.push((&way.refs[start..], way.rule));
        }
    }
    let mut uses: HashMap<i64, u32> = HashMap::new();
    for (refs, _) in &pieces {
        for id in refs.iter() {
            *uses.entry(*id).or_insert(0) += 1;
        }
        *uses.get_mut(&refs[0]).unwrap() += 2;
        *uses.get_mut(&refs[refs.len() - 1]).unwrap() += 2;
    }
    let mut junction: HashMap<i64, u32> = HashMap::new();
    let mut nodes: Vec<[i32; 2]> = Vec::new();
    let mut junction_id = |id: i64, nodes: &mut Vec<[i32; 2]>| -> u32 {
        *junction.entry(id).or_insert_with(|| {
            nodes.push(raw.nodes[&id]);
            (nodes.len() - 1) as u32
        })
    };
    let mut segments = Vec::new();
    let mut shape: Vec<[i32; 2]> = Vec::new();
    for (refs, rule) in pieces {
        let mut from = junction_id(refs[0], &mut nodes);
        let mut seg_start = shape.len();
        shape.push(raw.nodes[&refs[0]]);
        let mut length_m = 0.0;
        for w in refs.windows(2) {
            if w[0] == w[1] {
                continue;
            }
            let (a, b) = (raw.nodes[&w[0]], raw.nodes[&w[1]]);
            length_m += super::distance_e7(a, b);
            shape.push(b);
            if uses[&w[1]] >= 2 {
                let to = junction_id(w[1], &mut nodes);
                segments.push(Segment::new(
                    from,
                    to,
                    seg_start as u32,
                    shape.len() as u32,
                    length_m,
                    rule,
                ));
                from = to;
                seg_start = shape.len();
                shape.push(b);
                length_m = 0.0;
            }
        }
        shape.pop(); // the last junction opened an empty segment
    }
    (nodes, segments, shape)
}

/// Keep the largest strongly connected component; renumber nodes and compact the shape array.
fn keep_largest_scc(
    nodes: Vec<[i32; 2]>,
    segments: Vec<Segment>,
    shape: Vec<[i32; 2]>,
    report: &mut ImportReport,
) -> (Vec<[i32; 2]>, Vec<Segment>, Vec<[i32; 2]>) {
    let mut g: DiGraph<(), (), u32> = DiGraph::with_capacity(nodes.len(), segments.len() * 2);
    for _ in 0..nodes.len() {
        g.add_node(());
    }
    let mut directed = 0;
    for s in &segments {
        if s.forward {
            g.add_edge(
                NodeIndex::new(s.from as usize),
                NodeIndex::new(s.to as usize),
                (),
            );
            directed += 1;
        }
        if s.backward {
            g.add_edge(
                NodeIndex::new(s.to as usize),
                NodeIndex::new(s.from as usize),
                (),
            );
            directed += 1;
        }
    }
    report.junctions_before = nodes.len();
    report.edges_before = directed;
    // Kosaraju: its depth-first searches are iterative (tarjan_scc recursed too deep on a 1M-node grid).
    let components = kosaraju_scc(&g);
    drop(g);
    let largest = components
        .iter()
        .max_by_key(|c| c.len())
        .cloned()
        .unwrap_or_default();
    let mut new_id = vec![u32::MAX; nodes.len()];
    let mut kept_nodes = Vec::with_capacity(largest.len());
    let mut order: Vec<usize> = largest.iter().map(|n| n.index()).collect();
    order.sort_unstable();
    for old in order {
        new_id[old] = kept_nodes.len() as u32;
        kept_nodes.push(nodes[old]);
    }
    let mut kept_segments = Vec::new();
    let mut kept_shape = Vec::new();
    let mut kept_edges = 0;
    for s in segments {
        let (a, b) = (new_id[s.from as usize], new_id[s.to as usize]);
        if a == u32::MAX || b == u32::MAX {
            continue;
        }
        let start = kept_shape.len() as u32;
        kept_shape.extend_from_slice(&shape[s.shape_start as usize..s.shape_end as usize]);
        kept_edges += s.forward as usize + s.backward as usize;
        kept_segments.push(Segment {
            from: a,
            to: b,
            shape_start: start,
            shape_end: kept_shape.len() as u32,
            ..s
        });
    }
    report.nodes = kept_nodes.len();
    report.edges = kept_edges;
    report.dropped_nodes = report.junctions_before - report.nodes;
    report.dropped_edges = report.edges_before - report.edges;
    (kept_nodes, kept_segments, kept_shape)
}
