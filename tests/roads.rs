//! Road import, routing and matrices through the public API: hand-written OSM fixtures (one per
//! tag rule), bad input, the demo town, and (ignored, release mode in CI) the real shared extracts.

use std::path::{Path, PathBuf};

use antar::domain::LatLon;
use antar::roads::{self, ImportOptions, RoadGraph, RoadsError};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/roads")
        .join(name)
}

/// Fixtures live next to the sources; the scratch build finds them through the main tree.
fn fixture_path(name: &str) -> PathBuf {
    let p = fixture(name);
    if p.exists() {
        p
    } else {
        Path::new("/work/main/fixtures/roads").join(name)
    }
}

fn import(name: &str) -> RoadGraph {
    roads::import(&fixture_path(name), &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .0
}

fn import_err(name: &str) -> RoadsError {
    match roads::import(&fixture_path(name), &ImportOptions::default()) {
        Ok(_) => panic!("{name}: expected an import error"),
        Err(e) => e,
    }
}

fn p(lat: f64, lon: f64) -> LatLon {
    LatLon::new(lat, lon).unwrap()
}

// Corners of the square fixtures: A top left, B top right, C bottom right, D bottom left.
fn a() -> LatLon {
    p(-8.2200, 114.3600)
}
fn b() -> LatLon {
    p(-8.2200, 114.3610)
}

/// The shared data directory: `$ANTAR_SHARED_DIR`, else `<crate root>/../shared`.
fn shared_dir() -> PathBuf {
    std::env::var_os("ANTAR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// A shared extract, or `None` (with a note) when absent outside CI. In CI its absence fails.
fn shared_extract(name: &str) -> Option<PathBuf> {
    let path = shared_dir().join("osm").join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI: shared extract {} is missing",
        path.display()
    );
    eprintln!(
        "note: {} not found, test skipped (set ANTAR_SHARED_DIR)",
        path.display()
    );
    None
}

#[test]
fn oneway_minus_one_is_ridden_only_against_the_node_order() {
    let g = import("oneway_reverse.osm");
    let ab = g.route(a(), b()).unwrap();
    let ba = g.route(b(), a()).unwrap();
    // B to A uses the 110 m one-way; A to B must go round the other three sides.
    assert!((ba.distance_m - 110.0).abs() < 3.0, "{}", ba.distance_m);
    assert!((ab.distance_m - 330.0).abs() < 6.0, "{}", ab.distance_m);
    assert!(
        ab.geometry.contains(&p(-8.2210, 114.3610)),
        "A to B goes via C"
    );
}

#[test]
fn a_roundabout_is_one_way_in_node_order() {
    let g = import("roundabout.osm");
    let (north, west) = (p(-8.2200, 114.3600), p(-8.2205, 114.3595));
    let with_flow = g.route(west, north).unwrap();
    let against = g.route(north, west).unwrap();
    assert!(
        against.duration_s > 2.5 * with_flow.duration_s,
        "{} vs {}",
        against.duration_s,
        with_flow.duration_s
    );
    // West spoke to east spoke and back both work, each around its own half.
    let w2e = g.route(p(-8.2205, 114.3585), p(-8.2205, 114.3615)).unwrap();
    let e2w = g.route(p(-8.2205, 114.3615), p(-8.2205, 114.3585)).unwrap();
    assert!(w2e.geometry.contains(&north) && !e2w.geometry.contains(&north));
}

#[test]
fn access_no_closes_a_road_in_both_directions() {
    let g = import("access_no.osm");
    assert_eq!(g.edge_count(), 6, "three two-way sides remain");
    for r in [g.route(a(), b()).unwrap(), g.route(b(), a()).unwrap()] {
        assert!((r.distance_m - 330.0).abs() < 6.0, "{}", r.distance_m);
    }
}

#[test]
fn a_footway_is_ridden_only_with_motorcycle_yes() {
    let g = import("footway_motorcycle_yes.osm");
    assert_eq!(
        g.edge_count(),
        8,
        "the square is ridable, the untagged diagonal is not"
    );
    let r = g.route(a(), b()).unwrap();
    assert!((r.distance_m - 110.0).abs() < 3.0, "{}", r.distance_m);
}

#[test]
fn maxspeed_lowers_the_speed_of_a_road() {
    let g = import("maxspeed.osm");
    let r = g.route(a(), b()).unwrap();
    let kmh = r.distance_m / r.duration_s * 3.6;
    assert!((kmh - 20.0).abs() < 0.1, "{kmh} km/h");
}

#[test]
fn a_motorway_is_not_ridden_by_motorbikes() {
    let g = import("motorway.osm");
    assert_eq!(g.edge_count(), 6);
    let r = g.route(a(), b()).unwrap();
    assert!((r.distance_m - 330.0).abs() < 6.0, "{}", r.distance_m);
}

#[test]
fn a_way_referencing_only_missing_nodes_leaves_no_road_and_says_so() {
    let e = import_err("missing_node.osm");
    let msg = e.to_string();
    assert!(
        msg.contains("missing_node.osm") && msg.contains("1 references to missing nodes"),
        "{msg}"
    );
}

#[test]
fn an_empty_extract_is_a_clear_error() {
    let msg = import_err("empty.osm").to_string();
    assert!(
        msg.contains("empty.osm") && msg.contains("no ridable road"),
        "{msg}"
    );
}

#[test]
fn coordinates_given_as_text_name_the_node_and_the_text() {
    let msg = import_err("text_coordinates.osm").to_string();
    assert!(
        msg.contains("text_coordinates.osm: line 5: node 2") && msg.contains("eight south"),
        "{msg}"
    );
}

#[test]
fn malformed_xml_names_the_line() {
    let dir = std::env::temp_dir().join(format!("antar-xml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.osm");
    std::fs::write(
        &path,
        "<osm>\n<node id=\"1\" lat=\"1\" lon=\"2\"/>\n<way id=\"1\"><nd ref=\"1\"/>\n</node></osm>",
    )
    .unwrap();
    let msg = roads::import(&path, &ImportOptions::default())
        .unwrap_err()
        .to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(msg.contains("broken.osm: line 4: malformed XML"), "{msg}");
}

#[test]
fn garbage_and_truncated_pbf_files_are_errors_not_panics() {
    let dir = std::env::temp_dir().join(format!("antar-roads-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.osm.pbf");
    std::fs::write(
        &garbage,
        b"\x00\x00\x00\x0dnot a pbf blob header at all, just words",
    )
    .unwrap();
    let msg = roads::import(&garbage, &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("garbage.osm.pbf") && msg.contains("PBF"),
        "{msg}"
    );
    if let Some(src) = shared_extract("andorra.osm.pbf") {
        let bytes = std::fs::read(src).unwrap();
        for cut in [10, 1000, bytes.len() / 2, bytes.len() - 7] {
            let truncated = dir.join("truncated.osm.pbf");
            std::fs::write(&truncated, &bytes[..cut]).unwrap();
            let msg = roads::import(&truncated, &ImportOptions::default())
                .unwrap_err()
                .to_string();
            assert!(msg.contains("truncated.osm.pbf"), "cut at {cut}: {msg}");
        }
    }
    let missing = roads::import(&dir.join("nope.osm"), &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.osm"), "{missing}");
    let unknown = roads::import(&dir.join("roads.txt"), &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("unknown extract format"), "{unknown}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_demo_town_imports_routes_and_round_trips_through_a_file() {
    let (g, report) = roads::import(
        &fixture_path("banyuwangi-town.osm"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(report.nodes > 900 && report.refused_access == 1, "{report}");
    let dir = std::env::temp_dir().join(format!("antar-town-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("town.graph");
    g.save(&file).unwrap();
    let loaded = RoadGraph::load(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let (from, to) = (p(-8.2191, 114.3691), p(-8.2400, 114.3500));
    let (r1, r2) = (g.route(from, to).unwrap(), loaded.route(from, to).unwrap());
    assert_eq!(r1, r2);
    assert!(r1.distance_m > from.distance_m(to));
    let m = loaded.matrix(&[from, to]).unwrap();
    assert_eq!(m.duration_s(0, 1), Some(r1.duration_s.round() as u32));
    assert_eq!(m.unreachable_pairs().count(), 0);
    // Across the river (between grid columns 11 and 12) there are bridges only on rows 4, 17
    // and 29: from row 10 the ride detours at least six blocks each way.
    let (west, east) = (p(-8.21259, 114.35599), p(-8.21259, 114.35726));
    let crossing = g.route(west, east).unwrap();
    assert!(
        west.distance_m(east) < 200.0 && crossing.distance_m > 1_500.0,
        "{}",
        crossing.distance_m
    );
    assert!(g.roads().count() > 1500);
}

/// CH matrix == one petgraph Dijkstra per source on a sample of points of a real extract.
fn ch_matches_dijkstra_on(name: &str) {
    let Some(path) = shared_extract(name) else {
        return;
    };
    let (g, _) = roads::import(&path, &ImportOptions::default()).unwrap();
    let pts = antar::cli::graph::random_points(&g, 150, 11);
    let want = g.reference_durations_ms(&pts).unwrap();
    let got = g.durations_ms(&pts, 2).unwrap();
    let wrong: Vec<usize> = (0..want.len()).filter(|&k| want[k] != got[k]).collect();
    assert!(
        wrong.is_empty(),
        "{name}: {} of {} entries differ, first {:?}",
        wrong.len(),
        want.len(),
        wrong.first()
    );
    for k in (0..pts.len()).step_by(7) {
        let r = g.route(pts[k], pts[(k * 31 + 5) % pts.len()]).unwrap();
        let line: f64 = r.geometry.windows(2).map(|w| w[0].distance_m(w[1])).sum();
        assert!(
            (line - r.distance_m).abs() <= 1.0 + r.distance_m * 0.01,
            "{name}: geometry {line} m, route {} m",
            r.distance_m
        );
        assert_eq!(
            Some((r.duration_s * 1000.0).round() as u32),
            want[k * pts.len() + (k * 31 + 5) % pts.len()]
        );
    }
}

#[test]
#[ignore = "real data; run in release mode with --ignored"]
fn ch_matches_dijkstra_on_monaco() {
    ch_matches_dijkstra_on("monaco.osm.pbf");
}

#[test]
#[ignore = "real data; run in release mode with --ignored"]
fn ch_matches_dijkstra_on_andorra() {
    ch_matches_dijkstra_on("andorra.osm.pbf");
}

#[test]
#[ignore = "real data; run in release mode with --ignored"]
fn ch_matches_dijkstra_on_campo_grande() {
    ch_matches_dijkstra_on("campo-grande.osm.pbf");
}

#[test]
#[ignore = "real data; run in release mode with --ignored"]
fn xml_and_pbf_of_campo_grande_give_the_same_graph() {
    let (Some(pbf), Some(xml)) = (
        shared_extract("campo-grande.osm.pbf"),
        shared_extract("campo-grande.osm.gz"),
    ) else {
        return;
    };
    let (a, ra) = roads::import(&pbf, &ImportOptions::default()).unwrap();
    let (b, rb) = roads::import(&xml, &ImportOptions::default()).unwrap();
    assert_eq!(
        (ra.nodes, ra.edges, ra.usable_ways),
        (rb.nodes, rb.edges, rb.usable_ways)
    );
    assert_eq!(a.to_bytes(), b.to_bytes());
    // The motorbike counts documented with the extracts: 4,103 usable ways.
    assert_eq!(ra.usable_ways, 4103);
}

#[test]
#[ignore = "real data; run in release mode with --ignored"]
fn monaco_motorways_are_refused_and_usable_ways_match_the_documented_count() {
    let Some(path) = shared_extract("monaco.osm.pbf") else {
        return;
    };
    let (_, r) = roads::import(&path, &ImportOptions::default()).unwrap();
    assert_eq!(
        (r.usable_ways, r.refused_motorway, r.refused_access),
        (1865, 65, 66)
    );
}

#[test]
fn a_points_csv_error_names_the_file_the_line_and_what_was_expected() {
    let dir = std::env::temp_dir().join(format!("antar-points-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let ok = write("ok.csv", "lat,lon\n-8.2191,114.3691\n-8.24,114.35\n");
    assert_eq!(antar::cli::graph::read_points(&ok).unwrap().len(), 2);
    let bad = write("bad.csv", "lat,lon\n-8.2191,114.3691\n-8.24x,114.35\n");
    let msg = antar::cli::graph::read_points(&bad)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("bad.csv: line 3: expected a decimal latitude, got \"-8.24x\""),
        "{msg}"
    );
    let header = write("header.csv", "y,x\n-8.2,114.3\n");
    let msg = antar::cli::graph::read_points(&header)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("header.csv: line 1: expected a header with `lat` and `lon`"),
        "{msg}"
    );
    let range = write("range.csv", "lat,lon\n95,114.3\n");
    let msg = antar::cli::graph::read_points(&range)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("range.csv: line 2: latitude 95"), "{msg}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_matrix_in_json_marks_unreachable_pairs_with_null() {
    let mut m = antar::domain::TravelMatrix::unreachable(2);
    m.set(0, 1, Some(60), Some(500));
    let json = antar::cli::graph::matrix_json(&m);
    assert_eq!(json["durations_s"], serde_json::json!([[0, 60], [null, 0]]));
    assert_eq!(json["unreachable"], serde_json::json!([[1, 0]]));
}
