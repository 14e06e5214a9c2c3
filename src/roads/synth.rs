//! Synthetic road networks written as OSM XML, so they go through the same importer as real
//! extracts: a Banyuwangi-like demo town and large grids for scale tests.
//!
//! Owns: the generators. Deterministic for a given seed. Depends on nothing else in `roads`.

use std::io::{self, Write};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_195.0;

/// Counts of what a generator wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// OSM nodes written.
    pub nodes: u64,
    /// OSM ways written.
    pub ways: u64,
}

struct OsmWriter<W: Write> {
    out: W,
    stats: SynthStats,
    next_way: i64,
}

impl<W: Write> OsmWriter<W> {
    fn new(mut out: W, note: &str) -> io::Result<Self> {
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(out, "<osm version=\"0.6\" generator=\"antar graph synth\">")?;
        writeln!(out, "  <!-- {note} -->")?;
        Ok(Self {
            out,
            stats: SynthStats::default(),
            next_way: 1,
        })
    }

    fn node(&mut self, id: i64, lat: f64, lon: f64) -> io::Result<()> {
        self.stats.nodes += 1;
        writeln!(
            self.out,
            "  <node id=\"{id}\" lat=\"{lat:.7}\" lon=\"{lon:.7}\"/>"
        )
    }

    fn way(&mut self, refs: &[i64], tags: &[(&str, &str)]) -> io::Result<()> {
        self.stats.ways += 1;
        writeln!(self.out, "  <way id=\"{}\">", self.next_way)?;
        self.next_way += 1;
        for r in refs {
            writeln!(self.out, "    <nd ref=\"{r}\"/>")?;
        }
        for (k, v) in tags {
            writeln!(self.out, "    <tag k=\"{k}\" v=\"{v}\"/>")?;
        }
        writeln!(self.out, "  </way>")
    }

    fn finish(mut self) -> io::Result<SynthStats> {
        writeln!(self.out, "</osm>")?;
        self.out.flush()?;
        Ok(self.stats)
    }
}

/// A Banyuwangi-like town around -8.22, 114.37: a residential grid with arterials, some
/// one-way streets, a river crossed by three bridges, a roundabout, a winding hill road to a
/// village in the west with a few farm tracks, and footpaths (one of them a ridable *gang*).
pub fn town(seed: u64, out: impl Write) -> io::Result<SynthStats> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = OsmWriter::new(out, &format!("synthetic Banyuwangi-like town, seed {seed}"))?;
    let (rows, cols) = (34usize, 30usize);
    let (lat_top, lon_left) = (-8.200, 114.342);
    let spacing_m = 140.0;
    let cos = (-8.22f64).to_radians().cos();
    let dlat = spacing_m / M_PER_DEG;
    let dlon = spacing_m / (M_PER_DEG * cos);
    let id = |r: usize, c: usize| (r * cols + c) as i64 + 1;
    let river_col = 11; // the river runs between columns 11 and 12
    let bridges = [4usize, 17, 29];
    let (rb_r, rb_c) = (17usize, 18usize); // roundabout junction
    let jitter = |rng: &mut StdRng| rng.random_range(-0.18..0.18);
    let mut pos = vec![(0.0, 0.0); rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            if (r, c) == (rb_r, rb_c) {
                pos[r * cols + c] = (lat_top - r as f64 * dlat, lon_left + c as f64 * dlon);
                continue;
            }
            let lat = lat_top - (r as f64 + jitter(&mut rng)) * dlat;
            let lon = lon_left + (c as f64 + jitter(&mut rng)) * dlon;
            pos[r * cols + c] = (lat, lon);
            w.node(id(r, c), lat, lon)?;
        }
    }
    // Roundabout: eight nodes on a 35 m ring; the four approaches end at W, N, E, S.
    let ring_base = (rows * cols) as i64 + 1;
    let (clat, clon) = pos[rb_r * cols + rb_c];
    for k in 0..8 {
        let a = std::f64::consts::TAU * k as f64 / 8.0;
        w.node(
            ring_base + k,
            clat + 35.0 * a.sin() / M_PER_DEG,
            clon + 35.0 * a.cos() / (M_PER_DEG * cos),
        )?;
    }
    // Node order is the direction of travel: clockwise, as Indonesia drives on the left.
    let ring: Vec<i64> = (0..8)
        .rev()
        .map(|k| ring_base + k)
        .chain([ring_base + 7])
        .collect();
    w.way(
        &ring,
        &[
            ("highway", "primary"),
            ("junction", "roundabout"),
            ("name", "Bundaran Blambangan"),
        ],
    )?;
    let ring_at = |dr: isize, dc: isize| -> i64 {
        // E = 0, N = 2, W = 4, S = 6 (k * 45 degrees, north is +lat).
        ring_base
            + match (dr, dc) {
                (0, 1) => 0,
                (-1, 0) => 2,
                (0, -1) => 4,
                _ => 6,
            }
    };
    let mut next_node = ring_base + 8;
    let mid = |w: &mut OsmWriter<_>,
               rng: &mut StdRng,
               next_node: &mut i64,
               a: (f64, f64),
               b: (f64, f64)|
     -> io::Result<i64> {
        let t = rng.random_range(0.3..0.7);
        let id = *next_node;
        *next_node += 1;
        let bend = rng.random_range(-0.00012..0.00012);
        w.node(
            id,
            a.0 + (b.0 - a.0) * t + bend,
            a.1 + (b.1 - a.1) * t - bend,
        )?;
        Ok(id)
    };
    // Street classes: arterial rows/columns every sixth line.
    let class_row = |r: usize| match r {
        r if r == rb_r => ("primary", "Jalan Ahmad Yani"),
        r if r % 6 == 5 => ("secondary", "Jalan Basuki Rahmat"),
        _ => ("residential", ""),
    };
    let class_col = |c: usize| match c {
        c if c == rb_c => ("primary", "Jalan Brawijaya"),
        c if c % 7 == 3 => ("tertiary", "Jalan Diponegoro"),
        _ => ("residential", ""),
    };
    for r in 0..rows {
        for c in 0..cols {
            for (dr, dc) in [(0usize, 1usize), (1, 0)] {
                let (r2, c2) = (r + dr, c + dc);
                if r2 >= rows || c2 >= cols {
                    continue;
                }
                let crosses_river = dc == 1 && c == river_col;
                if crosses_river && !bridges.contains(&r) {
                    continue;
                }
                // A few blocks are missing (fields, a market, a mosque compound).
                if !crosses_river && rng.random_bool(0.04) {
                    continue;
                }
                let (class, name) = if dc == 1 { class_row(r) } else { class_col(c) };
                let mut a = id(r, c);
                let mut b = id(r2, c2);
                if (r, c) == (rb_r, rb_c) {
                    a = ring_at(dr as isize, dc as isize);
                }
                if (r2, c2) == (rb_r, rb_c) {
                    b = ring_at(-(dr as isize), -(dc as isize));
                }
                let m = mid(
                    &mut w,
                    &mut rng,
                    &mut next_node,
                    pos[r * cols + c],
                    pos[r2 * cols + c2],
                )?;
                let mut tags: Vec<(&str, &str)> = vec![("highway", class)];
                if !name.is_empty() {
                    tags.push(("name", name));
                }
                if crosses_river {
                    tags.extend([("bridge", "yes"), ("layer", "1")]);
                }
                // One-way residential rows, alternating direction, and one one-way column
                // tagged against its node order.
                if class == "residential" && dc == 1 && r % 4 == 2 {
                    tags.push(("oneway", if r % 8 == 2 { "yes" } else { "-1" }));
                }
                if class == "residential" && dr == 1 && c == 22 {
                    tags.push(("oneway", "-1"));
                }
                if class == "residential" && rng.random_bool(0.05) {
                    tags.push(("maxspeed", "20"));
                }
                w.way(&[a, m, b], &tags)?;
            }
        }
    }
    // The river, drawn for maps (not a road).
    let river: Vec<i64> = (0..rows)
        .map(|r| {
            let id = next_node + r as i64;
            let (lat, lon) = (
                lat_top - r as f64 * dlat,
                lon_left + (river_col as f64 + 0.5) * dlon,
            );
            w.node(id, lat, lon).map(|_| id)
        })
        .collect::<io::Result<_>>()?;
    next_node += rows as i64;
    w.way(&river, &[("waterway", "river"), ("name", "Kali Lo")])?;
    // Winding hill road west towards the Ijen foothills, 80 shape points, to a village.
    let (mut lat, mut lon) = pos[(rows / 2) * cols];
    let mut hill = vec![id(rows / 2, 0)];
    for k in 1..=80 {
        lon -= 45.0 / (M_PER_DEG * cos);
        lat += (k as f64 / 4.0).sin() * 35.0 / M_PER_DEG - 8.0 / M_PER_DEG;
        w.node(next_node, lat, lon)?;
        hill.push(next_node);
        next_node += 1;
    }
    w.way(
        &hill,
        &[
            ("highway", "tertiary"),
            ("name", "Jalan Raya Jambu"),
            ("maxspeed", "30"),
        ],
    )?;
    let village = *hill.last().expect("hill road has nodes");
    // Village lanes and farm tracks around the hill road's end.
    for (k, (dlat_m, dlon_m, class)) in [
        (300.0, 0.0, "track"),
        (-250.0, 150.0, "track"),
        (0.0, -400.0, "unclassified"),
        (200.0, -200.0, "path"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut refs = vec![village];
        for s in 1..=4 {
            let f = s as f64 / 4.0;
            w.node(
                next_node,
                lat + dlat_m * f / M_PER_DEG + (k as f64 * 0.7 + s as f64).sin() * 12.0 / M_PER_DEG,
                lon + dlon_m * f / (M_PER_DEG * cos),
            )?;
            refs.push(next_node);
            next_node += 1;
        }
        w.way(&refs, &[("highway", class)])?;
    }
    // Footpaths through blocks: a plain footway (not ridable) and a gang open to motorbikes.
    for (r, c, extra) in [
        (8usize, 5usize, None),
        (26, 24, Some(("motorcycle", "yes"))),
    ] {
        let mut tags = vec![("highway", "footway")];
        tags.extend(extra);
        let m = mid(
            &mut w,
            &mut rng,
            &mut next_node,
            pos[r * cols + c],
            pos[(r + 1) * cols + c + 1],
        )?;
        w.way(&[id(r, c), m, id(r + 1, c + 1)], &tags)?;
    }
    // A private housing-estate road (closed to through riders).
    let m = mid(
        &mut w,
        &mut rng,
        &mut next_node,
        pos[3 * cols + 27],
        pos[4 * cols + 28],
    )?;
    w.way(
        &[id(3, 27), m, id(4, 28)],
        &[("highway", "service"), ("access", "private")],
    )?;
    w.finish()
}

/// A square grid of about `nodes` OSM nodes at 100 m spacing around Banyuwangi, every row and
/// column one way; one row in seven is one-way, one line in ten is a primary road.
pub fn grid(nodes: usize, seed: u64, out: impl Write) -> io::Result<SynthStats> {
    let mut rng = StdRng::seed_from_u64(seed);
    let side = (nodes as f64).sqrt().ceil().max(2.0) as usize;
    let mut w = OsmWriter::new(out, &format!("synthetic {side}x{side} grid, seed {seed}"))?;
    let cos = (-8.22f64).to_radians().cos();
    let d = 100.0 / M_PER_DEG;
    let id = |r: usize, c: usize| (r * side + c) as i64 + 1;
    for r in 0..side {
        for c in 0..side {
            let lat = -8.0 - (r as f64 + rng.random_range(-0.2..0.2)) * d;
            let lon = 113.9 + (c as f64 + rng.random_range(-0.2..0.2)) * d / cos;
            w.node(id(r, c), lat, lon)?;
        }
    }
    for r in 0..side {
        let refs: Vec<i64> = (0..side).map(|c| id(r, c)).collect();
        let class = if r % 10 == 0 {
            "primary"
        } else {
            "residential"
        };
        let mut tags = vec![("highway", class)];
        if r % 7 == 3 {
            tags.push(("oneway", if r % 14 == 3 { "yes" } else { "-1" }));
        }
        w.way(&refs, &tags)?;
    }
    for c in 0..side {
        let refs: Vec<i64> = (0..side).map(|r| id(r, c)).collect();
        let class = if c % 10 == 0 {
            "secondary"
        } else {
            "residential"
        };
        w.way(&refs, &[("highway", class)])?;
    }
    w.finish()
}
