//! Travel-time and distance matrices: the only view of the road network the planner ever gets.
//!
//! Owns: [`TravelMatrix`]. Must not depend on `roads`, `planner` or any I/O.

use serde::{Deserialize, Serialize};

/// Square matrix of travel durations (seconds) and distances (metres) between `n` points,
/// row-major: entry `(from, to)` is at `from * n + to`. A pair with no path holds
/// [`TravelMatrix::UNREACHABLE`]; use [`TravelMatrix::duration_s`] to get an `Option`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TravelMatrix {
    n: usize,
    durations_s: Vec<u32>,
    distances_m: Vec<u32>,
}

/// Why a matrix could not be built from raw vectors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "a {n}x{n} matrix needs {expected} entries, got {durations} durations and {distances} distances"
)]
pub struct MatrixShapeError {
    n: usize,
    expected: usize,
    durations: usize,
    distances: usize,
}

impl TravelMatrix {
    /// Marker stored for pairs without a path.
    pub const UNREACHABLE: u32 = u32::MAX;

    /// Build from row-major vectors of length `n * n`.
    pub fn new(
        n: usize,
        durations_s: Vec<u32>,
        distances_m: Vec<u32>,
    ) -> Result<Self, MatrixShapeError> {
        let expected = n * n;
        if durations_s.len() != expected || distances_m.len() != expected {
            return Err(MatrixShapeError {
                n,
                expected,
                durations: durations_s.len(),
                distances: distances_m.len(),
            });
        }
        Ok(Self {
            n,
            durations_s,
            distances_m,
        })
    }

    /// A matrix of `n` points where every off-diagonal pair is unreachable.
    pub fn unreachable(n: usize) -> Self {
        let mut durations_s = vec![Self::UNREACHABLE; n * n];
        for i in 0..n {
            durations_s[i * n + i] = 0;
        }
        let distances_m = durations_s.clone();
        Self {
            n,
            durations_s,
            distances_m,
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when the matrix has no points.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Travel time in seconds, `None` when `to` cannot be reached from `from`.
    pub fn duration_s(&self, from: usize, to: usize) -> Option<u32> {
        let v = self.durations_s[from * self.n + to];
        (v != Self::UNREACHABLE).then_some(v)
    }

    /// Travel distance in metres, `None` when unreachable.
    pub fn distance_m(&self, from: usize, to: usize) -> Option<u32> {
        let v = self.distances_m[from * self.n + to];
        (v != Self::UNREACHABLE).then_some(v)
    }

    /// Set one entry; `None` marks the pair unreachable.
    pub fn set(
        &mut self,
        from: usize,
        to: usize,
        duration_s: Option<u32>,
        distance_m: Option<u32>,
    ) {
        let i = from * self.n + to;
        self.durations_s[i] =
            duration_s.map_or(Self::UNREACHABLE, |d| d.min(Self::UNREACHABLE - 1));
        self.distances_m[i] =
            distance_m.map_or(Self::UNREACHABLE, |d| d.min(Self::UNREACHABLE - 1));
    }

    /// Raw row-major durations (seconds, [`Self::UNREACHABLE`] for no path).
    pub fn durations_s(&self) -> &[u32] {
        &self.durations_s
    }

    /// Raw row-major distances (metres, [`Self::UNREACHABLE`] for no path).
    pub fn distances_m(&self) -> &[u32] {
        &self.distances_m
    }

    /// Every `(from, to)` pair without a path, in row-major order.
    pub fn unreachable_pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let n = self.n;
        self.durations_s
            .iter()
            .enumerate()
            .filter(|&(_, &d)| d == Self::UNREACHABLE)
            .map(move |(i, _)| (i / n, i % n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrongly_sized_matrix_is_refused() {
        assert!(TravelMatrix::new(2, vec![0; 4], vec![0; 3]).is_err());
    }

    #[test]
    fn unreachable_pairs_are_none_not_zero() {
        let mut m = TravelMatrix::unreachable(2);
        assert_eq!(m.duration_s(0, 1), None);
        assert_eq!(m.duration_s(1, 1), Some(0));
        m.set(0, 1, Some(60), Some(500));
        assert_eq!(m.duration_s(0, 1), Some(60));
        assert_eq!(m.unreachable_pairs().collect::<Vec<_>>(), vec![(1, 0)]);
    }
}
