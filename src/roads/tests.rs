//! Unit tests of the road graph against slow oracles on seeded random networks.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::profile::WayRule;
use super::*;

/// A random network of straight-ish roads in a 2 km box near Banyuwangi, with one-ways and
/// shape points; not filtered to one component, so unreachable pairs occur.
fn random_graph(seed: u64) -> RoadGraph {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = rng.random_range(4..40);
    let coord = |rng: &mut StdRng| {
        [
            (-8.22e7 + rng.random_range(0.0..2e5)) as i32,
            (114.36e7 + rng.random_range(0.0..2e5)) as i32,
        ]
    };
    let nodes: Vec<[i32; 2]> = (0..n).map(|_| coord(&mut rng)).collect();
    let mut segments = Vec::new();
    let mut shape = Vec::new();
    for _ in 0..rng.random_range(n..n * 3) {
        let (a, b) = (rng.random_range(0..n as u32), rng.random_range(0..n as u32));
        let start = shape.len() as u32;
        shape.push(nodes[a as usize]);
        for _ in 0..rng.random_range(0..3) {
            shape.push(coord(&mut rng));
        }
        shape.push(nodes[b as usize]);
        let length_m: f64 = shape[start as usize..]
            .windows(2)
            .map(|w| distance_e7(w[0], w[1]))
            .sum();
        let (forward, backward) = match rng.random_range(0..4) {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        let rule = WayRule {
            forward,
            backward,
            speed_kmh: [10.0, 25.0, 45.0][rng.random_range(0..3)],
        };
        segments.push(Segment::new(
            a,
            b,
            start,
            shape.len() as u32,
            length_m,
            rule,
        ));
    }
    RoadGraph::from_parts(nodes, segments, shape, 5_000.0, &mut |_, _| {})
}

fn random_points(rng: &mut StdRng, n: usize) -> Vec<LatLon> {
    (0..n)
        .map(|_| {
            LatLon::new(
                -8.22 + rng.random_range(-0.002..0.022),
                114.36 + rng.random_range(-0.002..0.022),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn snapping_finds_the_same_distance_as_brute_force() {
    for seed in 0..40u64 {
        let g = random_graph(seed);
        let mut rng = StdRng::seed_from_u64(seed + 1000);
        for p in random_points(&mut rng, 50) {
            let q = g.index.point(p.lat(), p.lon());
            let brute = g
                .index
                .iter()
                .map(|piece| SnapIndex::distance_2(piece, q))
                .fold(f64::INFINITY, f64::min);
            let hit = g.index.nearest(q).unwrap();
            let seg = &g.segments[hit.seg as usize];
            let shape = g.shape_of(seg);
            let (a, b) = (
                snap::project(shape[hit.piece as usize], g.index.cos_lat0()),
                snap::project(shape[hit.piece as usize + 1], g.index.cos_lat0()),
            );
            let at = [a[0] + (b[0] - a[0]) * hit.t, a[1] + (b[1] - a[1]) * hit.t];
            let got = (at[0] - q[0]).powi(2) + (at[1] - q[1]).powi(2);
            assert!(
                (got.sqrt() - brute.sqrt()).abs() < 1e-6,
                "seed {seed}: snapped {} m, brute force {} m",
                got.sqrt(),
                brute.sqrt()
            );
            let s = g.snap(p).unwrap();
            assert!(
                (s.distance_m - brute.sqrt()).abs() < 0.5,
                "seed {seed}: haversine {} vs projected {}",
                s.distance_m,
                brute.sqrt()
            );
        }
    }
}

#[test]
fn matrices_equal_dijkstra_per_source_on_random_networks() {
    for seed in 0..60u64 {
        let g = random_graph(seed);
        let mut rng = StdRng::seed_from_u64(seed + 2000);
        let mut pts = random_points(&mut rng, 25);
        pts.push(pts[0]); // a duplicate point: zero cost both ways
        let want = g.reference_durations_ms(&pts).unwrap();
        for threads in [1, 2] {
            let got = g.durations_ms(&pts, threads).unwrap();
            for (k, (a, b)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    a,
                    b,
                    "seed {seed}, threads {threads}: entry {} -> {}",
                    k / pts.len(),
                    k % pts.len()
                );
            }
        }
        let m = g.matrix(&pts).unwrap();
        for i in 0..pts.len() {
            assert_eq!(m.duration_s(i, i), Some(0), "seed {seed}");
            for j in 0..pts.len() {
                let want_s = want[i * pts.len() + j].map(|ms| (ms + 500) / 1000);
                assert_eq!(m.duration_s(i, j), want_s, "seed {seed}: {i} -> {j}");
                assert_eq!(
                    m.distance_m(i, j).is_some(),
                    want_s.is_some(),
                    "seed {seed}: {i} -> {j}"
                );
            }
        }
    }
}

#[test]
fn routes_agree_with_the_matrix_and_start_and_end_at_the_snapped_points() {
    for seed in 0..60u64 {
        let g = random_graph(seed);
        let mut rng = StdRng::seed_from_u64(seed + 3000);
        let pts = random_points(&mut rng, 12);
        let want = g.reference_durations_ms(&pts).unwrap();
        for (i, &a) in pts.iter().enumerate() {
            for (j, &b) in pts.iter().enumerate() {
                match (g.route(a, b), want[i * pts.len() + j]) {
                    (Ok(r), Some(ms)) => {
                        assert_eq!(
                            (r.duration_s * 1000.0).round() as u32,
                            ms,
                            "seed {seed}: route {i} -> {j}"
                        );
                        assert_eq!(
                            r.geometry.first(),
                            Some(&g.snap(a).unwrap().point),
                            "seed {seed}"
                        );
                        assert_eq!(
                            r.geometry.last(),
                            Some(&g.snap(b).unwrap().point),
                            "seed {seed}"
                        );
                        // The polyline is never shorter than the reported distance allows.
                        let line: f64 = r.geometry.windows(2).map(|w| w[0].distance_m(w[1])).sum();
                        assert!(
                            (line - r.distance_m).abs() <= 1.0 + r.distance_m * 0.01,
                            "seed {seed}: geometry {line} m vs {} m",
                            r.distance_m
                        );
                    }
                    (Err(RoadsError::NoRoute { .. }), None) => {}
                    (got, want) => {
                        panic!("seed {seed}: route {i} -> {j}: got {got:?}, oracle {want:?}")
                    }
                }
            }
        }
    }
}

#[test]
fn a_graph_file_round_trips_and_damage_is_a_clear_error() {
    let g = random_graph(7);
    let bytes = g.to_bytes();
    let path = std::path::Path::new("test.graph");
    let back = format::from_bytes(path, &bytes).unwrap();
    assert_eq!(
        (
            back.nodes.clone(),
            back.segments.clone(),
            back.shape.clone()
        ),
        (g.nodes.clone(), g.segments.clone(), g.shape.clone())
    );
    assert_eq!(back.ch, g.ch);
    let problem = |b: &[u8]| match format::from_bytes(path, b) {
        Err(RoadsError::GraphFile { problem, .. }) => problem,
        other => panic!("expected a graph file error, got {other:?}"),
    };
    assert!(problem(&bytes[..bytes.len() - 10]).contains("truncated"));
    assert!(problem(&bytes[..5]).contains("magic"));
    let mut flipped = bytes.clone();
    flipped[40] ^= 0x55;
    assert!(problem(&flipped).contains("checksum"));
    let mut version = bytes.clone();
    version[8] = 99;
    assert!(problem(&version).contains("version 99"));
    assert!(problem(b"").contains("magic"));
}

#[test]
fn a_far_point_names_the_distance_to_the_nearest_road() {
    let mut g = random_graph(3);
    g.set_snap_limit_m(500.0);
    let far = LatLon::new(-8.30, 114.36).unwrap();
    match g.snap(far) {
        Err(RoadsError::TooFar {
            distance_m,
            limit_m,
            ..
        }) => {
            assert!(distance_m > 5_000.0 && limit_m == 500.0);
        }
        other => panic!("expected TooFar, got {other:?}"),
    }
    let near = LatLon::new(-8.215, 114.37).unwrap();
    match g.matrix(&[near, far]) {
        Err(e @ RoadsError::Point { index: 1, .. }) => assert!(
            e.to_string()
                .starts_with("point 1: no ridable road within 500 m")
        ),
        other => panic!("expected an error naming point 1, got {other:?}"),
    }
}

#[test]
fn the_graph_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RoadGraph>();
}
