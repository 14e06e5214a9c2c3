//! Pickup sites (pharmacies and kitchens) and the service area.
//!
//! Owns: [`SiteKind`], [`OpeningHours`], [`ServiceArea`]. Pure; no I/O.

use std::str::FromStr;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use super::geo::LatLon;
use super::order::UnknownStatus;

/// What a site hands to couriers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// A hospital or puskesmas pharmacy.
    Pharmacy,
    /// A warung kitchen cooking meals.
    Kitchen,
}

impl SiteKind {
    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pharmacy => "pharmacy",
            Self::Kitchen => "kitchen",
        }
    }
}

impl FromStr for SiteKind {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pharmacy" => Ok(Self::Pharmacy),
            "kitchen" => Ok(Self::Kitchen),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}

/// Opening hours: for each listed weekday (Monday = 0) a local open and close time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours(pub Vec<OpeningSpan>);

/// One opening span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningSpan {
    /// Days this span applies to, short English names (`mon` … `sun`).
    pub days: Vec<String>,
    /// Local opening time.
    pub open: NaiveTime,
    /// Local closing time.
    pub close: NaiveTime,
}

/// The area antar serves: deliveries outside it are refused at intake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServiceArea {
    /// A bounding box.
    Bbox {
        /// South-west corner.
        min: LatLon,
        /// North-east corner.
        max: LatLon,
    },
    /// A simple polygon (ring of at least three points; closing point optional).
    Polygon {
        /// The ring.
        points: Vec<LatLon>,
    },
}

/// A malformed service area.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AreaError(pub &'static str);

impl ServiceArea {
    /// Check the shape.
    pub fn validate(&self) -> Result<(), AreaError> {
        match self {
            Self::Bbox { min, max } => {
                if min.lat() >= max.lat() || min.lon() >= max.lon() {
                    return Err(AreaError("bbox min must be south-west of max"));
                }
            }
            Self::Polygon { points } => {
                if points.len() < 3 {
                    return Err(AreaError("a polygon needs at least three points"));
                }
            }
        }
        Ok(())
    }

    /// Whether `p` is inside (boundary counts as inside for a box).
    pub fn contains(&self, p: LatLon) -> bool {
        match self {
            Self::Bbox { min, max } => {
                (min.lat()..=max.lat()).contains(&p.lat())
                    && (min.lon()..=max.lon()).contains(&p.lon())
            }
            Self::Polygon { points } => {
                // Even-odd ray casting in lon/lat: fine at the scale of a regency.
                let (x, y) = (p.lon(), p.lat());
                let mut inside = false;
                let n = points.len();
                let mut j = n - 1;
                for i in 0..n {
                    let (xi, yi) = (points[i].lon(), points[i].lat());
                    let (xj, yj) = (points[j].lon(), points[j].lat());
                    if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                        inside = !inside;
                    }
                    j = i;
                }
                inside
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon::new(lat, lon).unwrap()
    }

    #[test]
    fn polygon_and_box_contain_what_they_should() {
        let square = ServiceArea::Polygon {
            points: vec![
                p(-9.0, 114.0),
                p(-9.0, 115.0),
                p(-8.0, 115.0),
                p(-8.0, 114.0),
            ],
        };
        assert!(square.contains(p(-8.5, 114.5)));
        assert!(!square.contains(p(-7.5, 114.5)));
        let bbox = ServiceArea::Bbox {
            min: p(-9.0, 114.0),
            max: p(-8.0, 115.0),
        };
        assert!(bbox.contains(p(-8.22, 114.37)));
        assert!(!bbox.contains(p(-8.22, 113.0)));
        assert!(
            ServiceArea::Bbox {
                min: p(-8.0, 114.0),
                max: p(-9.0, 115.0)
            }
            .validate()
            .is_err()
        );
    }
}
