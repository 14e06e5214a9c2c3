//! Own-fleet routes: our couriers (`/api/v1/couriers`) and staff giving a job to a courier
//! (`POST /api/v1/jobs/{id}/courier`). Bodies are parsed into domain values here; the rules
//! that need stored data are in `dispatch::fleet`.
//!
//! Must not depend on `store`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::jobs::JobView;
use crate::dispatch::FieldError;
use crate::dispatch::fleet::CourierPatch;
use crate::dispatch::roster::CourierFields;
use crate::domain::records::Courier;
use crate::domain::{CourierId, SiteId};

/// A courier to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourierBody {
    /// The site (pharmacy or kitchen) the courier rides for.
    pub site_id: Uuid,
    /// Full name.
    pub name: String,
    /// Phone (Indonesian; stored as +62…).
    pub phone: String,
    /// Vehicle, e.g. "Honda Supra P 1234 AB".
    pub vehicle: String,
    /// Tins or parcels carried at once (1–200).
    pub capacity: u32,
    /// Stops in one job (1–50).
    pub max_stops: u32,
    /// Trips in a shift, riding back to the site to reload between them (1–4, default 2).
    pub max_trips: Option<u32>,
    /// Working days, e.g. `["mon","tue"]` or `["senin"]` (default every day).
    pub working_days: Option<Vec<String>>,
    /// Local start of the working day, `HH:MM` (default 06:00).
    pub work_start: Option<String>,
    /// Local end, `HH:MM` (default 18:00).
    pub work_end: Option<String>,
    /// Active (default true).
    pub active: Option<bool>,
}

/// Changes to a courier; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourierPatchBody {
    /// Full name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Vehicle.
    pub vehicle: Option<String>,
    /// Capacity (1–200).
    pub capacity: Option<u32>,
    /// Stops per job (1–50).
    pub max_stops: Option<u32>,
    /// Trips per shift (1–4).
    pub max_trips: Option<u32>,
    /// Working days.
    pub working_days: Option<Vec<String>>,
    /// `HH:MM`.
    pub work_start: Option<String>,
    /// `HH:MM`.
    pub work_end: Option<String>,
    /// Active.
    pub active: Option<bool>,
}

impl CourierBody {
    fn validate(self) -> Result<Courier, Vec<FieldError>> {
        CourierFields {
            name: Some(&self.name),
            phone: Some(&self.phone),
            vehicle: Some(&self.vehicle),
            capacity: Some(self.capacity),
            max_stops: Some(self.max_stops),
            max_trips: self.max_trips,
            working_days: self.working_days.as_deref(),
            work_start: self.work_start.as_deref(),
            work_end: self.work_end.as_deref(),
            active: self.active,
        }
        .new_courier(SiteId(self.site_id))
    }
}

impl CourierPatchBody {
    fn validate(self) -> Result<CourierPatch, Vec<FieldError>> {
        CourierFields {
            name: self.name.as_deref(),
            phone: self.phone.as_deref(),
            vehicle: self.vehicle.as_deref(),
            capacity: self.capacity,
            max_stops: self.max_stops,
            max_trips: self.max_trips,
            working_days: self.working_days.as_deref(),
            work_start: self.work_start.as_deref(),
            work_end: self.work_end.as_deref(),
            active: self.active,
        }
        .patch()
    }
}

/// A courier.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourierView {
    /// Id.
    pub id: Uuid,
    /// Site.
    pub site_id: Uuid,
    /// Name.
    pub name: String,
    /// Phone, +62.
    pub phone: String,
    /// Vehicle.
    pub vehicle: String,
    /// Capacity.
    pub capacity: u32,
    /// Stops per job.
    pub max_stops: u32,
    /// Trips per shift.
    pub max_trips: u32,
    /// Working days.
    pub working_days: Vec<String>,
    /// `HH:MM`, local.
    pub work_start: String,
    /// `HH:MM`, local.
    pub work_end: String,
    /// Active.
    pub active: bool,
}

impl From<Courier> for CourierView {
    fn from(c: Courier) -> Self {
        Self {
            id: c.id.0,
            site_id: c.site_id.0,
            name: c.name,
            phone: c.phone.to_string(),
            vehicle: c.vehicle,
            capacity: c.capacity,
            max_stops: c.max_stops,
            max_trips: c.max_trips,
            working_days: c
                .working_days
                .names()
                .into_iter()
                .map(String::from)
                .collect(),
            work_start: c.work_start.format("%H:%M").to_string(),
            work_end: c.work_end.format("%H:%M").to_string(),
            active: c.active,
        }
    }
}

/// Add a courier (admin).
#[utoipa::path(post, path = "/api/v1/couriers", tag = "fleet", request_body = CourierBody,
    responses((status = 201, body = CourierView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_courier(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(body, _): ApiJson<CourierBody>,
) -> ApiResult<(StatusCode, Json<CourierView>)> {
    crate::dispatch::require(&who, &[crate::domain::Role::Admin])?;
    let c = body.validate().map_err(ApiError::invalid)?;
    let c = state.dispatch.create_courier(&who, c).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Filter of the courier list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CourierQuery {
    /// Only this site's couriers.
    pub site_id: Option<Uuid>,
}

/// Couriers (admin: all; site staff: their site's).
#[utoipa::path(get, path = "/api/v1/couriers", tag = "fleet", params(CourierQuery),
    responses((status = 200, body = Vec<CourierView>)), security(("bearer" = [])))]
pub async fn list_couriers(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<CourierQuery>,
) -> ApiResult<Json<Vec<CourierView>>> {
    let list = state
        .dispatch
        .list_couriers(&who, q.site_id.map(SiteId))
        .await?;
    Ok(Json(list.into_iter().map(CourierView::from).collect()))
}

/// Change a courier (admin).
#[utoipa::path(patch, path = "/api/v1/couriers/{id}", tag = "fleet", request_body = CourierPatchBody,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CourierView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_courier(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<CourierPatchBody>,
) -> ApiResult<Json<CourierView>> {
    crate::dispatch::require(&who, &[crate::domain::Role::Admin])?;
    let p = body.validate().map_err(ApiError::invalid)?;
    Ok(Json(
        state
            .dispatch
            .update_courier(&who, CourierId(id), p)
            .await?
            .into(),
    ))
}

/// Which courier gets a job.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCourierBody {
    /// A courier of the job's site.
    pub courier_id: Uuid,
}

/// Give a job to one of our couriers: reassign an own-fleet job, or hand a job nobody took to
/// the own fleet. The previous courier's link stops working.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/courier", tag = "fleet", request_body = AssignCourierBody,
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn assign_courier(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<AssignCourierBody>,
) -> ApiResult<Json<JobView>> {
    let job = state
        .dispatch
        .assign_job_courier(&who, id, CourierId(body.courier_id))
        .await?;
    Ok(Json(JobView::from(&job)))
}
