//! Planning routes: preview how the ready orders would be batched into courier routes.
//!
//! Must not depend on `store`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, Auth};
use super::prescriptions::Location;
use crate::dispatch::planning::{PlanPreview, PlanRequest};
use crate::domain::SiteId;

/// A planning request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// `true`: preview routes without storing or offering anything; `false`: store the plan
    /// and offer its jobs to partners.
    pub dry_run: bool,
    /// Only this pickup site.
    pub site_id: Option<Uuid>,
    /// Only orders whose window starts on this local date.
    pub date: Option<NaiveDate>,
    /// Solver budget in milliseconds, 50..=30000 (default 1000).
    pub time_limit_ms: Option<u64>,
    /// Solver seed (default 1).
    pub seed: Option<u64>,
}

/// A GeoJSON LineString (`[lon, lat]` pairs).
#[derive(Debug, Serialize, ToSchema)]
pub struct LineString {
    /// Always `LineString`.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// `[lon, lat]` pairs.
    pub coordinates: Vec<[f64; 2]>,
}

/// A planned stop.
#[derive(Debug, Serialize, ToSchema)]
pub struct StopView {
    /// Order.
    pub order_id: Uuid,
    /// `meal` or `medicine`.
    pub kind: String,
    /// Where.
    pub location: Location,
    /// Expected arrival (UTC).
    pub eta: DateTime<Utc>,
    /// Expected departure (UTC).
    pub departure: DateTime<Utc>,
}

/// A planned courier route.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteView {
    /// Pickup site.
    pub site_id: Uuid,
    /// Leaves the site at (UTC).
    pub departure: DateTime<Utc>,
    /// Stops in order.
    pub stops: Vec<StopView>,
    /// Metres.
    pub distance_m: f64,
    /// Seconds from departure to the last handover.
    pub duration_s: f64,
    /// Fare estimate, rupiah.
    pub fare_idr: f64,
    /// Road geometry.
    pub geometry: LineString,
}

/// An order left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnplannedView {
    /// Order.
    pub order_id: Uuid,
    /// Stable code.
    pub code: String,
    /// Why, for people.
    pub reason: String,
}

/// A plan: a preview (`dry_run`) or a stored run with its jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// True when nothing was stored.
    pub dry_run: bool,
    /// The stored plan (`null` for a preview).
    pub plan_id: Option<Uuid>,
    /// Stored jobs, in route order (empty for a preview).
    pub job_ids: Vec<Uuid>,
    /// Jobs offered to a partner.
    pub offered: usize,
    /// Jobs no partner can take, flagged for staff.
    pub flagged: usize,
    /// Ready orders considered.
    pub orders: usize,
    /// Routes.
    pub routes: Vec<RouteView>,
    /// Orders left out, with reasons.
    pub unplanned: Vec<UnplannedView>,
    /// Total fare estimate, rupiah.
    pub cost_idr: f64,
    /// The same orders as one ride-hailing trip each, rupiah.
    pub one_trip_per_order_idr: f64,
    /// Matrix time, ms.
    pub matrix_ms: u64,
    /// Solver time, ms.
    pub solve_ms: u64,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl From<PlanPreview> for PlanView {
    fn from(p: PlanPreview) -> Self {
        Self {
            dry_run: true,
            plan_id: None,
            job_ids: Vec::new(),
            offered: 0,
            flagged: 0,
            orders: p.orders,
            routes: p
                .routes
                .into_iter()
                .map(|r| RouteView {
                    site_id: r.site_id.0,
                    departure: r.departure,
                    stops: r
                        .stops
                        .into_iter()
                        .map(|s| StopView {
                            order_id: s.order_id.0,
                            kind: s.kind.as_str().into(),
                            location: Location {
                                lat: s.location.lat(),
                                lon: s.location.lon(),
                            },
                            eta: s.eta,
                            departure: s.departure,
                        })
                        .collect(),
                    distance_m: round1(r.distance_m),
                    duration_s: round1(r.duration_s),
                    fare_idr: r.fare_idr.round(),
                    geometry: LineString {
                        type_: "LineString",
                        coordinates: r.geometry.iter().map(|p| [p.lon(), p.lat()]).collect(),
                    },
                })
                .collect(),
            unplanned: p
                .unplanned
                .into_iter()
                .map(|u| UnplannedView {
                    order_id: u.order_id.0,
                    code: u.code,
                    reason: u.reason,
                })
                .collect(),
            cost_idr: p.cost_idr.round(),
            one_trip_per_order_idr: p.one_trip_per_order_idr.round(),
            matrix_ms: u64::try_from(p.matrix_ms).unwrap_or(u64::MAX),
            solve_ms: u64::try_from(p.solve_ms).unwrap_or(u64::MAX),
        }
    }
}

/// Plan the ready orders: routes with ETAs, fares and road geometry, and every order left out
/// with a reason. With `dry_run: false` the plan is stored and its jobs are offered to partners.
#[utoipa::path(post, path = "/api/v1/plans", tag = "plans", request_body = PlanBody,
    responses((status = 200, body = PlanView), (status = 409, description = "No road network loaded", body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_plan(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(body, _): ApiJson<PlanBody>,
) -> ApiResult<Json<PlanView>> {
    let limit = body.time_limit_ms.unwrap_or(1000);
    if !(50..=30_000).contains(&limit) {
        return Err(ApiError::field(
            "time_limit_ms",
            "out_of_range",
            "must be 50 to 30000",
        ));
    }
    let req = PlanRequest {
        site_id: body.site_id.map(SiteId),
        date: body.date,
        time_limit: Duration::from_millis(limit),
        seed: body.seed.unwrap_or(1),
        ready_before: None,
    };
    if body.dry_run {
        return Ok(Json(state.dispatch.preview_plan(&who, req).await?.into()));
    }
    let done = state.dispatch.run_plan(&who, req, "on_demand").await?;
    let mut view = PlanView::from(done.preview);
    view.dry_run = false;
    view.plan_id = Some(done.plan_id.0);
    view.job_ids = done.jobs;
    view.offered = done.offered;
    view.flagged = done.flagged;
    Ok(Json(view))
}
