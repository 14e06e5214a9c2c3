//! Geographic primitives: a validated latitude/longitude pair and great-circle distance.
//!
//! Owns: [`LatLon`]. Must not depend on anything outside `std` and `serde`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Mean Earth radius in metres (IUGG), used for haversine distances.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point on Earth in WGS 84 degrees. Always in range: latitude in [-90, 90], longitude in
/// [-180, 180], both finite. Build it with [`LatLon::new`] or by parsing `"lat,lon"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawLatLon", into = "RawLatLon")]
pub struct LatLon {
    lat: f64,
    lon: f64,
}

/// Why a coordinate pair was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LatLonError {
    /// Latitude not finite or outside [-90, 90].
    #[error("latitude {0} is outside -90..=90")]
    Latitude(f64),
    /// Longitude not finite or outside [-180, 180].
    #[error("longitude {0} is outside -180..=180")]
    Longitude(f64),
    /// Text that is not two numbers separated by a comma.
    #[error("expected \"lat,lon\" as two decimal numbers, got {0:?}")]
    Syntax(String),
}

impl LatLon {
    /// A checked coordinate pair.
    pub fn new(lat: f64, lon: f64) -> Result<Self, LatLonError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(LatLonError::Latitude(lat));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(LatLonError::Longitude(lon));
        }
        Ok(Self { lat, lon })
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(self, other: LatLon) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

impl fmt::Display for LatLon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6},{:.6}", self.lat, self.lon)
    }
}

impl FromStr for LatLon {
    type Err = LatLonError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || LatLonError::Syntax(s.to_owned());
        let (a, b) = s.split_once(',').ok_or_else(syntax)?;
        let lat: f64 = a.trim().parse().map_err(|_| syntax())?;
        let lon: f64 = b.trim().parse().map_err(|_| syntax())?;
        LatLon::new(lat, lon)
    }
}

#[derive(Serialize, Deserialize)]
struct RawLatLon {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawLatLon> for LatLon {
    type Error = LatLonError;
    fn try_from(r: RawLatLon) -> Result<Self, Self::Error> {
        LatLon::new(r.lat, r.lon)
    }
}

impl From<LatLon> for RawLatLon {
    fn from(p: LatLon) -> Self {
        RawLatLon {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_coordinates_are_refused() {
        assert!(matches!(
            LatLon::new(91.0, 0.0),
            Err(LatLonError::Latitude(_))
        ));
        assert!(matches!(
            LatLon::new(0.0, -181.0),
            Err(LatLonError::Longitude(_))
        ));
        assert!(LatLon::new(f64::NAN, 0.0).is_err());
    }

    #[test]
    fn parses_and_prints_lat_comma_lon() {
        let p: LatLon = " -8.2191 , 114.3691".parse().unwrap();
        assert_eq!(p.lat(), -8.2191);
        assert_eq!(p.to_string(), "-8.219100,114.369100");
        assert!("114.3691".parse::<LatLon>().is_err());
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // One degree of latitude is about 111.2 km.
        let a = LatLon::new(0.0, 0.0).unwrap();
        let b = LatLon::new(1.0, 0.0).unwrap();
        assert!((a.distance_m(b) - 111_195.0).abs() < 10.0);
    }
}
