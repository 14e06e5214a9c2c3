//! The map page: a day's routes and stops drawn as server-side SVG over antar's own road graph
//! (no tile server, no script), coloured by state, with a legend. Every stop is a link to its
//! line in the list below the map, so a stop's details open with a click, a tap or the keyboard
//! (the `:target` line is highlighted).
//!
//! Depends on `dispatch.day_map` (the Today page's access rules and audit); draws only.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Lang;
use super::{Staff, WebState, failure, layout};
use crate::dispatch::map::{Bounds, DayMap};
use crate::dispatch::staff::DeliveryQuery;
use crate::domain::{JobStatus, LatLon, OrderStatus, SiteId};
use crate::store::web::DeliveryRow;

/// `?date=&site=`; anything unreadable is ignored (a page, not an API).
#[derive(Debug, Default, Deserialize)]
pub struct MapQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    site: String,
}

/// The colour of an order state on the map and in the legend.
pub fn order_colour(s: OrderStatus) -> &'static str {
    use OrderStatus::*;
    match s {
        NeedsLocation | Failed | Returning => "#dc2626",
        ReturnedToPharmacy => "#9f1239",
        Ready | Planned => "#6b7280",
        Offered => "#d97706",
        Assigned => "#2563eb",
        PickedUp => "#7c3aed",
        Delivered => "#15803d",
        Cancelled => "#a3a3a3",
    }
}

/// The colour of a job (route) state.
pub fn job_colour(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Offered => "#d97706",
        JobStatus::Accepted | JobStatus::CourierAssigned => "#2563eb",
        JobStatus::PickedUp => "#7c3aed",
        JobStatus::Completed => "#15803d",
        JobStatus::Cancelled => "#a3a3a3",
        JobStatus::Expired => "#dc2626",
    }
}

/// Degrees to whole metres from the box's north-west corner: an equirectangular projection,
/// exact enough for a town and rounded to about a metre to keep the page small.
struct Projection {
    west: f64,
    north: f64,
    kx: f64,
    ky: f64,
    width: i64,
    height: i64,
}

impl Projection {
    fn new(b: Bounds) -> Self {
        let ky = 110_574.0;
        let kx = 111_320.0 * ((b.south + b.north) / 2.0).to_radians().cos().max(0.01);
        Self {
            west: b.west,
            north: b.north,
            kx,
            ky,
            width: (((b.east - b.west) * kx).round() as i64).max(1),
            height: (((b.north - b.south) * ky).round() as i64).max(1),
        }
    }

    fn xy(&self, p: LatLon) -> (i64, i64) {
        (
            ((p.lon() - self.west) * self.kx).round() as i64,
            ((self.north - p.lat()) * self.ky).round() as i64,
        )
    }

    /// The points of a line, without repeats once rounded.
    fn line(&self, pts: &[LatLon]) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(pts.len());
        for p in pts {
            let xy = self.xy(*p);
            if out.last() != Some(&xy) {
                out.push(xy);
            }
        }
        out
    }
}

/// Every road line as one path: `M x y x y …` per line (implicit line-to after a move).
fn roads_path(proj: &Projection, roads: &[Vec<LatLon>]) -> String {
    let mut d = String::with_capacity(roads.len() * 24);
    for line in roads {
        let pts = proj.line(line);
        if pts.len() < 2 {
            continue;
        }
        for (i, (x, y)) in pts.iter().enumerate() {
            let _ = write!(d, "{}{x} {y}", if i == 0 { "M" } else { " " });
        }
    }
    d
}

fn points_attr(pts: &[(i64, i64)]) -> String {
    let mut s = String::with_capacity(pts.len() * 10);
    for (i, (x, y)) in pts.iter().enumerate() {
        let _ = write!(s, "{}{x},{y}", if i == 0 { "" } else { " " });
    }
    s
}

fn local(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

fn stop_label(l: Lang, d: &DeliveryRow) -> String {
    let mut s = d.recipient_name.clone();
    if let Some(m) = &d.meal_name {
        s.push_str(" · ");
        s.push_str(m);
    }
    s.push_str(" · ");
    s.push_str(l.order_status(d.status));
    if let Some(r) = &d.fail_reason {
        s.push_str(" (");
        s.push_str(&l.reason(r));
        s.push(')');
    }
    s
}

fn svg(l: Lang, map: &DayMap, b: Bounds) -> Markup {
    let proj = Projection::new(b);
    let r = (proj.width.max(proj.height) as f64 / 90.0)
        .clamp(6.0, 120.0)
        .round() as i64;
    let located: HashMap<_, _> = map
        .deliveries
        .iter()
        .filter_map(|d| d.location.map(|p| (d.order_id, p)))
        .collect();
    let site_of: HashMap<SiteId, LatLon> = map.sites.iter().map(|s| (s.id, s.location)).collect();
    html! {
        svg #map-svg xmlns="http://www.w3.org/2000/svg" role="group"
            viewBox={ "0 0 " (proj.width) " " (proj.height) }
            aria-label=(l.t("Peta rute dan titik antar", "Map of routes and stops"))
            preserveAspectRatio="xMidYMid meet" {
            // Road lines cross the box's edge; the box is what the map shows.
            clipPath #map-box { rect width=(proj.width) height=(proj.height) {} }
            rect width=(proj.width) height=(proj.height) fill="#f8f8f4" {}
            path.roads clip-path="url(#map-box)" d=(roads_path(&proj, &map.roads)) fill="none" stroke="#c8c8c8"
                stroke-width="1.5" vector-effect="non-scaling-stroke" stroke-linejoin="round" {}
            @for j in &map.jobs {
                @let pts = if j.geometry.len() >= 2 {
                    proj.line(&j.geometry)
                } else {
                    // No road geometry stored: straight lines from the site through the stops.
                    let mut stops: Vec<&DeliveryRow> = map.deliveries.iter()
                        .filter(|d| d.job_id == Some(j.id) && d.location.is_some()).collect();
                    stops.sort_by_key(|d| d.eta);
                    let pts: Vec<LatLon> = site_of.get(&j.site_id).copied().into_iter()
                        .chain(stops.iter().filter_map(|d| d.location)).collect();
                    proj.line(&pts)
                };
                @if pts.len() >= 2 {
                    polyline.route data-job=(j.id) data-status=(j.status.as_str())
                        points=(points_attr(&pts)) fill="none" stroke=(job_colour(j.status))
                        stroke-width="3" stroke-opacity="0.8" vector-effect="non-scaling-stroke"
                        stroke-linejoin="round" stroke-linecap="round" {
                        title { (l.t("Rute", "Route")) " · " (l.job_status(j.status)) }
                    }
                }
            }
            @for s in &map.sites {
                @let (x, y) = proj.xy(s.location);
                rect.site x=(x - r) y=(y - r) width=(2 * r) height=(2 * r) fill="#111" {
                    title { (s.name) }
                }
            }
            @for d in &map.deliveries {
                @if let Some(p) = located.get(&d.order_id) {
                    @let (x, y) = proj.xy(*p);
                    a.stop href={ "#stop-" (d.order_id) } data-status=(d.status.as_str()) {
                        title { (stop_label(l, d)) }
                        circle cx=(x) cy=(y) r=(r) fill=(order_colour(d.status)) stroke="#fff"
                            stroke-width="1.5" vector-effect="non-scaling-stroke" {}
                    }
                }
            }
        }
    }
}

fn legend(l: Lang, map: &DayMap) -> Markup {
    let mut states: Vec<OrderStatus> = map.deliveries.iter().map(|d| d.status).collect();
    states.sort_by_key(|s| OrderStatus::ALL.iter().position(|x| x == s));
    states.dedup();
    let mut jobs: Vec<JobStatus> = map.jobs.iter().map(|j| j.status).collect();
    jobs.sort_by_key(|s| JobStatus::ALL.iter().position(|x| x == s));
    jobs.dedup();
    html! {
        ul.legend aria-label=(l.t("Keterangan", "Legend")) {
            li { span.sw.sq style="background:#111" {} (l.t("dapur / farmasi", "kitchen / pharmacy")) }
            @for s in &states {
                li { span.sw style={ "background:" (order_colour(*s)) } {} (l.order_status(*s)) }
            }
            @for s in &jobs {
                li { span.sw.line style={ "background:" (job_colour(*s)) } {}
                    (l.t("rute", "route")) ": " (l.job_status(*s)) }
            }
        }
    }
}

fn stop_item(l: Lang, d: &DeliveryRow, tz: chrono_tz::Tz) -> Markup {
    html! {
        li id={ "stop-" (d.order_id) } {
            span.sw style={ "background:" (order_colour(d.status)) } {}
            strong { (d.recipient_name) @if let Some(m) = &d.meal_name { " · " (m) } }
            " · " span class={ "s-" (d.status.as_str()) } {
                (l.kind(d.kind)) ": " (l.order_status(d.status))
                @if let Some(f) = &d.fail_reason { " (" (l.reason(f)) ")" }
            }
            @if !d.village.is_empty() { " · " (d.village) }
            " · " (d.site_name)
            " · " (l.t("jendela", "window")) " " (local(d.window_start, tz)) "–" (local(d.window_end, tz))
            @if let Some(t) = d.eta { " · ETA " (local(t, tz)) }
            @if let Some(p) = &d.partner_name { " · " (p) }
            @if d.location.is_none() { " · " em { (l.t("tanpa lokasi", "no location")) } }
        }
    }
}

/// `GET /map`
pub async fn page(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<MapQuery>,
) -> Response {
    let l = staff.lang;
    let d = &state.dispatch;
    let query = DeliveryQuery {
        date: NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d").ok(),
        site: q.site.parse::<uuid::Uuid>().ok().map(SiteId),
        ..DeliveryQuery::default()
    };
    let map = match d.day_map(&staff.principal, query).await {
        Ok(m) => m,
        Err(e) => return failure(l, e),
    };
    let sites = match d.sites(&staff.principal).await {
        Ok(s) => s,
        Err(e) => return failure(l, e),
    };
    let tz = d.tz();
    // The list below the map, one group per route, then what is not on a route yet.
    let mut by_job: BTreeMap<usize, Vec<&DeliveryRow>> = BTreeMap::new();
    let job_index: HashMap<uuid::Uuid, usize> = map
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.id, i))
        .collect();
    for r in &map.deliveries {
        let k = r
            .job_id
            .and_then(|j| job_index.get(&j).copied())
            .unwrap_or(usize::MAX);
        by_job.entry(k).or_default().push(r);
    }
    for rows in by_job.values_mut() {
        rows.sort_by_key(|r| (r.eta, r.window_start));
    }
    let body = html! {
        main {
            h1 { (l.t("Peta", "Map")) " · " (map.date) }
            form.filters method="get" action="/map" aria-label=(l.t("Saring", "Filter")) {
                div {
                    label for="m-date" { (l.t("Tanggal", "Date")) }
                    input #m-date type="date" name="date" value=(map.date);
                }
                div {
                    label for="m-site" { (l.t("Dapur / farmasi", "Kitchen / pharmacy")) }
                    select #m-site name="site" {
                        option value="" { (l.t("semua", "all")) }
                        @for s in &sites {
                            option value=(s.id) selected[q.site == s.id.to_string()] { (s.name) }
                        }
                    }
                }
                div { button type="submit" { (l.t("Tampilkan", "Show")) } }
            }
            @match map.bounds {
                None => p { (l.t("Tidak ada pengantaran dengan lokasi pada tanggal ini.", "No deliveries with a location on this date.")) }
                Some(b) => {
                    div.map { (svg(l, &map, b)) }
                    @if map.roads.is_empty() {
                        p.note { (l.t("Peta jalan tidak dimuat; hanya rute dan titik yang digambar.", "No road network is loaded; only routes and stops are drawn.")) }
                    }
                    @if map.roads_truncated {
                        p.note { (l.t("Sebagian jalan tidak digambar (terlalu banyak).", "Some roads are not drawn (too many).")) }
                    }
                    (legend(l, &map))
                }
            }
            section aria-labelledby="h-stops" {
                h2 #h-stops { (l.t("Titik antar", "Stops")) " (" (map.deliveries.len()) ")" }
                @for (k, rows) in &by_job {
                    @let job = map.jobs.get(*k);
                    details open {
                        summary {
                            @match job {
                                Some(j) => {
                                    span.sw.line style={ "background:" (job_colour(j.status)) } {}
                                    (l.t("Rute", "Route")) " " (k + 1) " · " (l.job_status(j.status))
                                    " · " (format!("{:.1}", j.distance_m / 1000.0)) " km"
                                }
                                None => { (l.t("Belum di rute", "Not on a route")) }
                            }
                            " · " (rows.len()) " " (l.t("titik", "stops"))
                        }
                        ol.stops { @for r in rows { (stop_item(l, r, tz)) } }
                    }
                }
            }
        }
    };
    layout(l, l.t("Peta", "Map"), Some(&staff), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roads_are_one_path_in_whole_metres_without_repeated_points() {
        let b = Bounds {
            south: -8.23,
            west: 114.35,
            north: -8.22,
            east: 114.36,
        };
        let proj = Projection::new(b);
        assert!((1090..=1110).contains(&proj.width), "{}", proj.width);
        assert!((1100..=1110).contains(&proj.height), "{}", proj.height);
        let p = |lat, lon| LatLon::new(lat, lon).unwrap();
        let d = roads_path(
            &proj,
            &[
                vec![p(-8.22, 114.35), p(-8.22, 114.350_001), p(-8.23, 114.36)],
                vec![p(-8.225, 114.355)],
            ],
        );
        // The second point rounds onto the first; a one-point line draws nothing.
        assert_eq!(d.matches('M').count(), 1, "{d}");
        assert!(d.starts_with("M0 0 "), "{d}");
        assert!(!d.contains('.'), "whole metres: {d}");
    }
}
