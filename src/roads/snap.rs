//! Snapping: project a location onto the nearest ridable road segment.
//!
//! Owns: the rstar index over segment pieces (consecutive shape points) in a local equirectangular
//! projection, and the projection arithmetic. Knows segments and shapes, not shortest paths.

use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance, RTree};

use super::{E7, Segment};

/// Metres per degree of latitude (mean Earth radius).
const M_PER_DEG: f64 = 111_195.08;

/// A piece of a segment: the line between shape points `k` and `k + 1` of segment `seg`.
pub(crate) type Piece = GeomWithData<Line<[f64; 2]>, (u32, u32)>;

/// Spatial index over all segment pieces, in metres of a local projection around `lat0`.
#[derive(Debug, Clone)]
pub(crate) struct SnapIndex {
    tree: RTree<Piece>,
    cos_lat0: f64,
}

/// Where a projected point lies: segment, piece within it, position along the piece (0..=1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub seg: u32,
    pub piece: u32,
    pub t: f64,
}

impl SnapIndex {
    pub fn build(segments: &[Segment], shape: &[[i32; 2]], lat0: f64) -> Self {
        let cos_lat0 = lat0.to_radians().cos();
        let mut pieces = Vec::with_capacity(shape.len());
        for (i, s) in segments.iter().enumerate() {
            for k in s.shape_start..s.shape_end - 1 {
                let a = project(shape[k as usize], cos_lat0);
                let b = project(shape[k as usize + 1], cos_lat0);
                pieces.push(GeomWithData::new(
                    Line::new(a, b),
                    (i as u32, k - s.shape_start),
                ));
            }
        }
        Self {
            tree: RTree::bulk_load(pieces),
            cos_lat0,
        }
    }

    /// Projected position of a lat/lon in metres.
    pub fn point(&self, lat: f64, lon: f64) -> [f64; 2] {
        [lon * self.cos_lat0 * M_PER_DEG, lat * M_PER_DEG]
    }

    /// Nearest piece to a projected point.
    pub fn nearest(&self, p: [f64; 2]) -> Option<Hit> {
        let piece = self.tree.nearest_neighbor(&p)?;
        let (seg, k) = piece.data;
        Some(Hit {
            seg,
            piece: k,
            t: position_on(piece.geom(), p),
        })
    }

    /// Every piece (for brute-force checks and map drawing).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn iter(&self) -> impl Iterator<Item = &Piece> {
        self.tree.iter()
    }

    /// Cosine of the projection's reference latitude.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn cos_lat0(&self) -> f64 {
        self.cos_lat0
    }

    /// Squared distance between a projected point and a piece.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn distance_2(piece: &Piece, p: [f64; 2]) -> f64 {
        piece.geom().distance_2(&p)
    }
}

/// Projected metres of an e7 coordinate.
pub(crate) fn project(c: [i32; 2], cos_lat0: f64) -> [f64; 2] {
    [
        c[1] as f64 / E7 * cos_lat0 * M_PER_DEG,
        c[0] as f64 / E7 * M_PER_DEG,
    ]
}

/// Parameter in 0..=1 of the closest point of a line to `p`.
fn position_on(line: &Line<[f64; 2]>, p: [f64; 2]) -> f64 {
    let (a, b) = (line.from, line.to);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return 0.0;
    }
    (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
}
