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
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
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
    /// The standing meal route this route continues (`null`: a new route or not a meal route).
    pub standing_route_id: Option<Uuid>,
    /// Road geometry.
    pub geometry: LineString,
}

/// A meal stop moved off its standing route or place, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteChangeView {
    /// Order.
    pub order_id: Uuid,
    /// `moved` (another route), `reordered` (another place on its route) or `unsealed`.
    pub change: String,
    /// Its standing route.
    pub from_route: String,
    /// Today's route (`new` for a new route).
    pub to_route: String,
    /// Why, for people.
    pub reason: String,
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
    /// Meal stops moved off their standing route or place.
    pub stops_moved: usize,
    /// Those changes, each with a reason.
    pub changes: Vec<RouteChangeView>,
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
                    standing_route_id: r.standing_route,
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
            stops_moved: p.changes.len(),
            changes: p
                .changes
                .into_iter()
                .map(|c| RouteChangeView {
                    order_id: c.order_id.0,
                    change: c.change.to_owned(),
                    from_route: c.from_route,
                    to_route: c.to_route,
                    reason: c.reason,
                })
                .collect(),
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

/// Which site's standing routes.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StandingRouteQuery {
    /// The kitchen (pickup site).
    pub site_id: Uuid,
}

/// A standing meal route: reused day after day so the same courier sees the same people.
#[derive(Debug, Serialize, ToSchema)]
pub struct StandingRouteView {
    /// Id.
    pub id: Uuid,
    /// Site.
    pub site_id: Uuid,
    /// Name ("Rute 3").
    pub name: String,
    /// Sealed by staff: the planner keeps it exactly.
    pub sealed: bool,
    /// Who sealed it.
    pub sealed_by: Option<String>,
    /// Recipients in visiting order.
    pub recipient_ids: Vec<Uuid>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<crate::dispatch::planning::StandingRoute> for StandingRouteView {
    fn from(r: crate::dispatch::planning::StandingRoute) -> Self {
        Self {
            id: r.id,
            site_id: r.site_id.0,
            name: r.name,
            sealed: r.sealed,
            sealed_by: r.sealed_by,
            recipient_ids: r.recipients.iter().map(|r| r.0).collect(),
            updated_at: r.updated_at,
        }
    }
}

/// Seal or unseal a standing route.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealBody {
    /// `true`: keep the route exactly (stops and order); `false`: let the planner change it.
    pub sealed: bool,
}

/// A kitchen's standing meal routes.
#[utoipa::path(get, path = "/api/v1/standing-routes", tag = "plans", params(StandingRouteQuery),
    responses((status = 200, body = Vec<StandingRouteView>), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_standing_routes(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<StandingRouteQuery>,
) -> ApiResult<Json<Vec<StandingRouteView>>> {
    let routes = state
        .dispatch
        .standing_routes(&who, SiteId(q.site_id))
        .await?;
    Ok(Json(routes.into_iter().map(Into::into).collect()))
}

/// Seal a standing route (kept exactly by every plan) or unseal it.
#[utoipa::path(post, path = "/api/v1/standing-routes/{id}/seal", tag = "plans", request_body = SealBody,
    params(("id" = Uuid, Path, description = "Standing route id")),
    responses((status = 200, body = StandingRouteView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn seal_standing_route(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<SealBody>,
) -> ApiResult<Json<StandingRouteView>> {
    let route = state
        .dispatch
        .seal_standing_route(&who, id, body.sealed)
        .await?;
    Ok(Json(route.into()))
}
