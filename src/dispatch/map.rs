//! The day's map: the deliveries a caller may see with their drop points, the routes (jobs) they
//! ride on with their road geometry, their pickup sites, and the road lines inside the box around
//! all of them, taken from the loaded road graph (so the map needs no tile server).
//!
//! Must not depend on `api` or `web`: drawing is the caller's business.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveTime};

use super::staff::DeliveryQuery;
use super::{Dispatch, DispatchError, Result};
use crate::domain::records::Site;
use crate::domain::time::local_to_utc;
use crate::domain::{LatLon, Principal};
use crate::store::jobs::JobRow;
use crate::store::web::DeliveryRow;

/// How far the map reaches beyond the outermost point, metres.
const MARGIN_M: f64 = 250.0;

/// Road lines drawn at most (a whole regency inside one day's box would make a page of
/// megabytes; the routes themselves are always drawn).
const MAX_ROAD_LINES: usize = 20_000;

/// A latitude/longitude box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Southern edge, degrees.
    pub south: f64,
    /// Western edge, degrees.
    pub west: f64,
    /// Northern edge, degrees.
    pub north: f64,
    /// Eastern edge, degrees.
    pub east: f64,
}

impl Bounds {
    /// The smallest box holding every point, widened by `margin_m` on each side; `None`
    /// without points.
    pub fn around(points: impl IntoIterator<Item = LatLon>, margin_m: f64) -> Option<Self> {
        let mut b: Option<Bounds> = None;
        for p in points {
            let (lat, lon) = (p.lat(), p.lon());
            b = Some(match b {
                None => Bounds {
                    south: lat,
                    west: lon,
                    north: lat,
                    east: lon,
                },
                Some(b) => Bounds {
                    south: b.south.min(lat),
                    west: b.west.min(lon),
                    north: b.north.max(lat),
                    east: b.east.max(lon),
                },
            });
        }
        let b = b?;
        let dlat = margin_m / 110_574.0;
        let mid = ((b.south + b.north) / 2.0).to_radians().cos().max(0.01);
        let dlon = margin_m / (111_320.0 * mid);
        Some(Bounds {
            south: (b.south - dlat).max(-90.0),
            west: (b.west - dlon).max(-180.0),
            north: (b.north + dlat).min(90.0),
            east: (b.east + dlon).min(180.0),
        })
    }

    /// The point lies inside (edges included).
    pub fn contains(&self, p: LatLon) -> bool {
        (self.south..=self.north).contains(&p.lat()) && (self.west..=self.east).contains(&p.lon())
    }
}

/// What the map of one local date shows.
#[derive(Debug, Clone)]
pub struct DayMap {
    /// The local date.
    pub date: NaiveDate,
    /// The deliveries the caller may see (as on the Today page), with their drop points.
    pub deliveries: Vec<DeliveryRow>,
    /// The jobs those deliveries ride on, with their road geometry.
    pub jobs: Vec<JobRow>,
    /// The pickup sites of those deliveries.
    pub sites: Vec<Site>,
    /// The box around every drop point, site and route, with a margin; `None` when there is
    /// nothing to draw.
    pub bounds: Option<Bounds>,
    /// Road lines (shape points) with at least one point inside `bounds`; empty without a road
    /// graph.
    pub roads: Vec<Vec<LatLon>>,
    /// Some road lines were left out (more than the map draws).
    pub roads_truncated: bool,
}

impl Dispatch {
    /// The map of a local date for the caller: the same deliveries and access rules as the
    /// Today page (a pharmacist sees their own site's medicine only; the read is audited), the
    /// routes of those deliveries and the roads around them.
    pub async fn day_map(&self, who: &Principal, mut q: DeliveryQuery) -> Result<DayMap> {
        let date = q
            .date
            .unwrap_or_else(|| self.local_date(crate::clock::now()));
        q.date = Some(date);
        let deliveries = self.day_deliveries(who, q).await?;
        let from = local_to_utc(date, NaiveTime::MIN, self.tz);
        let until = local_to_utc(date.succ_opt().unwrap_or(date), NaiveTime::MIN, self.tz);
        let job_ids: HashSet<uuid::Uuid> = deliveries.iter().filter_map(|d| d.job_id).collect();
        let jobs: Vec<JobRow> = if job_ids.is_empty() {
            Vec::new()
        } else {
            self.store
                .day_jobs(from, until)
                .await?
                .into_iter()
                .filter(|j| job_ids.contains(&j.id))
                .collect()
        };
        let site_ids: HashSet<_> = deliveries.iter().map(|d| d.site_id).collect();
        let sites: Vec<Site> = self
            .store
            .sites()
            .await?
            .into_iter()
            .filter(|s| site_ids.contains(&s.id))
            .collect();
        let points = deliveries
            .iter()
            .filter_map(|d| d.location)
            .chain(sites.iter().map(|s| s.location))
            .chain(jobs.iter().flat_map(|j| j.geometry.iter().copied()));
        let bounds = Bounds::around(points, MARGIN_M);
        let (roads, roads_truncated) = match (bounds, self.roads.clone()) {
            (Some(b), Some(graph)) => {
                // Walking every segment of a large graph is CPU work: off the async workers.
                tokio::task::spawn_blocking(move || {
                    let mut lines = Vec::new();
                    let mut truncated = false;
                    for line in graph.roads() {
                        if line.geometry.iter().any(|p| b.contains(*p)) {
                            if lines.len() == MAX_ROAD_LINES {
                                truncated = true;
                                break;
                            }
                            lines.push(line.geometry);
                        }
                    }
                    (lines, truncated)
                })
                .await
                .map_err(|e| DispatchError::Internal(e.to_string()))?
            }
            _ => (Vec::new(), false),
        };
        Ok(DayMap {
            date,
            deliveries,
            jobs,
            sites,
            bounds,
            roads,
            roads_truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_holds_every_point_with_its_margin_and_nothing_far_outside() {
        let a = LatLon::new(-8.22, 114.35).unwrap();
        let b = LatLon::new(-8.20, 114.37).unwrap();
        let bx = Bounds::around([a, b], 100.0).unwrap();
        assert!(bx.contains(a) && bx.contains(b));
        // 100 m is about 0.0009 degrees here.
        assert!(bx.contains(LatLon::new(-8.2208, 114.35).unwrap()));
        assert!(!bx.contains(LatLon::new(-8.2215, 114.35).unwrap()));
        assert!(!bx.contains(LatLon::new(-8.21, 114.3715).unwrap()));
        assert_eq!(Bounds::around([], 100.0), None);
    }
}
