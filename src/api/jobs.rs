//! Dispatch routes: stored plans, jobs and what staff do with them, alerts, the pharmacy's
//! confirmation that a failed medicine is back, and the partners' callback endpoint
//! `POST /partner/v1/events` (token + Standard Webhooks signature, ±5 minutes, duplicates
//! acknowledged and ignored).
//!
//! Must not depend on `store`.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, read_body};
use super::plans::LineString;
use super::prescriptions::{Location, OrderView};
use crate::dispatch::DispatchError;
use crate::dispatch::jobs::{JobAction, JobDetail};
use crate::domain::{AlertId, AlertKind, AlertStatus, JobStatus, OrderId, PlanId, Role};
use crate::store::jobs::{AlertFilter, AlertRow, JobFilter, JobRow, OfferRow, PlanRow, StopRow};
use crate::webhooks::inbound::InboundEvent;
use crate::webhooks::verify_headers;

/// An optional query value that must be one of a named enum's values; the refusal lists them
/// all, from the enum itself.
fn one_of<T: Copy + std::fmt::Display + std::str::FromStr>(
    field: &str,
    code: &'static str,
    value: Option<&str>,
    all: &[T],
) -> ApiResult<Option<T>> {
    value
        .map(|v| {
            v.parse::<T>().map_err(|_| {
                let names: Vec<String> = all.iter().map(ToString::to_string).collect();
                ApiError::field(field, code, format!("one of {}", names.join(", ")))
            })
        })
        .transpose()
}

/// A stored job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// Id (the partner sees the same).
    pub id: Uuid,
    /// Plan it came from.
    pub plan_id: Uuid,
    /// Pickup site.
    pub site_id: Uuid,
    /// `meal` or `medicine`.
    pub kind: String,
    /// `offered`, `accepted`, `courier_assigned`, `picked_up`, `completed`, `cancelled`, `expired`.
    pub status: String,
    /// Partner holding or being offered the job.
    pub partner_id: Option<Uuid>,
    /// Planned departure (UTC).
    pub departure: DateTime<Utc>,
    /// Metres.
    pub distance_m: f64,
    /// Seconds.
    pub duration_s: f64,
    /// Fare estimate, rupiah.
    pub fare_idr: f64,
    /// Number of live stops is in `stops` on the detail view; here the load carried.
    pub load: i64,
    /// Courier named by the partner (name, plate, phone).
    #[schema(value_type = Option<Object>)]
    pub courier: Option<serde_json::Value>,
    /// Last courier position.
    pub courier_location: Option<Location>,
    /// Why staff must handle it (every partner declined).
    pub flag_reason: Option<String>,
    /// Flagged at.
    pub flagged_at: Option<DateTime<Utc>>,
}

impl From<&JobRow> for JobView {
    fn from(j: &JobRow) -> Self {
        Self {
            id: j.id,
            plan_id: j.plan_id.0,
            site_id: j.site_id.0,
            kind: j.kind.as_str().into(),
            status: j.status.as_str().into(),
            partner_id: j.partner_id.map(|p| p.0),
            departure: j.departure,
            distance_m: j.distance_m.round(),
            duration_s: j.duration_s.round(),
            fare_idr: j.fare_idr.round(),
            load: j.load,
            courier: j.courier.clone(),
            courier_location: j.courier_location.map(|(p, _)| Location {
                lat: p.lat(),
                lon: p.lon(),
            }),
            flag_reason: j.flag_reason.clone(),
            flagged_at: j.flagged_at,
        }
    }
}

/// A stop of a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobStopView {
    /// Stop id.
    pub id: Uuid,
    /// Order.
    pub order_id: Uuid,
    /// Riding order.
    pub position: i64,
    /// Parcel code.
    pub parcel_code: String,
    /// Planned arrival.
    pub eta: DateTime<Utc>,
    /// `pending`, `arrived`, `delivered`, `failed`, `removed`.
    pub status: String,
    /// Proof (never the PIN itself).
    #[schema(value_type = Option<Object>)]
    pub proof: Option<serde_json::Value>,
    /// Why it failed.
    pub fail_reason: Option<String>,
    /// Courier's note.
    pub note: Option<String>,
}

impl From<&StopRow> for JobStopView {
    fn from(s: &StopRow) -> Self {
        Self {
            id: s.id,
            order_id: s.order_id.0,
            position: s.position,
            parcel_code: s.parcel_code.clone(),
            eta: s.eta,
            status: s.status.as_str().into(),
            proof: s.proof.clone(),
            fail_reason: s.fail_reason.clone(),
            note: s.note.clone(),
        }
    }
}

/// An offer of a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    /// Id.
    pub id: Uuid,
    /// Partner.
    pub partner_id: Uuid,
    /// Round (staff asking everyone again starts a new one).
    pub round: i64,
    /// `pending`, `accepted`, `rejected`, `expired`, `withdrawn`.
    pub status: String,
    /// Sent.
    pub offered_at: DateTime<Utc>,
    /// Void after.
    pub expires_at: DateTime<Utc>,
    /// Decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The partner's reason.
    pub reason: Option<String>,
}

impl From<&OfferRow> for OfferView {
    fn from(o: &OfferRow) -> Self {
        Self {
            id: o.id,
            partner_id: o.partner_id.0,
            round: o.round,
            status: o.status.as_str().into(),
            offered_at: o.offered_at,
            expires_at: o.expires_at,
            decided_at: o.decided_at,
            reason: o.reason.clone(),
        }
    }
}

/// A job with its stops, offers and road geometry.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobDetailView {
    /// The job.
    pub job: JobView,
    /// Stops in riding order.
    pub stops: Vec<JobStopView>,
    /// Offers, oldest first.
    pub offers: Vec<OfferView>,
    /// Road geometry.
    pub geometry: LineString,
    /// For a job one of our own couriers holds: the path of the courier's page
    /// (`/kurir/{token}`), to share with the courier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courier_link: Option<String>,
    /// Bookings with a booking-API partner (one per stop booked): our reference, the
    /// company's booking id, the fare quoted and charged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bookings: Vec<BookingView>,
}

/// A booking with a booking-API partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    /// Our reference id, sent with the booking.
    pub reference: Uuid,
    /// The offer it answers.
    pub offer_id: Uuid,
    /// The stop booked.
    pub stop_id: Uuid,
    /// `quote`, `searching`, `active`, `cancel`, `done`.
    pub state: String,
    /// The company's booking id.
    pub booking_id: Option<String>,
    /// The company's last status.
    pub last_status: Option<String>,
    /// The driver the company named for this stop (name, plate, phone).
    #[schema(value_type = Option<Object>)]
    pub driver: Option<serde_json::Value>,
    /// Fare quoted, rupiah.
    pub fare_quoted_idr: Option<i64>,
    /// Fare charged, rupiah.
    pub fare_charged_idr: Option<i64>,
}

impl From<JobDetail> for JobDetailView {
    fn from(d: JobDetail) -> Self {
        Self {
            job: JobView::from(&d.job),
            stops: d.stops.iter().map(JobStopView::from).collect(),
            offers: d.offers.iter().map(OfferView::from).collect(),
            geometry: LineString {
                type_: "LineString",
                coordinates: d.job.geometry.iter().map(|p| [p.lon(), p.lat()]).collect(),
            },
            courier_link: d.courier_link,
            bookings: d
                .bookings
                .into_iter()
                .map(|b| BookingView {
                    reference: b.id,
                    offer_id: b.offer_id,
                    stop_id: b.stop_id,
                    state: b.state,
                    booking_id: b.booking_ref,
                    last_status: b.last_status,
                    driver: b.driver,
                    fare_quoted_idr: b.fare_quoted_idr,
                    fare_charged_idr: b.fare_charged_idr,
                })
                .collect(),
        }
    }
}

/// A stored plan and its jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredPlanView {
    /// Id.
    pub id: Uuid,
    /// Site it was limited to.
    pub site_id: Option<Uuid>,
    /// `wave`, `on_demand` or `urgent`.
    pub origin: String,
    /// Ready orders considered.
    pub orders: i64,
    /// Orders left out, with reasons.
    #[schema(value_type = Vec<Object>)]
    pub unplanned: serde_json::Value,
    /// Estimated cost, rupiah.
    pub cost_idr: f64,
    /// The same orders as one trip each, rupiah.
    pub one_trip_per_order_idr: f64,
    /// Meal stops moved off their standing route or place.
    pub stops_moved: i64,
    /// Those changes, each with a reason.
    #[schema(value_type = Vec<Object>)]
    pub changes: serde_json::Value,
    /// Matrix time, ms.
    pub matrix_ms: i64,
    /// Solve time, ms.
    pub solve_ms: i64,
    /// Who ran it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Its jobs.
    pub jobs: Vec<JobView>,
}

impl StoredPlanView {
    pub(crate) fn new(p: PlanRow, jobs: &[JobRow]) -> Self {
        Self {
            id: p.id.0,
            site_id: p.site_id.map(|s| s.0),
            origin: p.origin,
            orders: p.orders,
            unplanned: p.unplanned,
            cost_idr: p.cost_idr.round(),
            one_trip_per_order_idr: p.one_trip_per_order_idr.round(),
            stops_moved: p.stops_moved,
            changes: p.changes,
            matrix_ms: p.matrix_ms,
            solve_ms: p.solve_ms,
            created_by: p.created_by,
            created_at: p.created_at,
            jobs: jobs.iter().map(JobView::from).collect(),
        }
    }
}

/// A stored plan with its jobs.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans",
    params(("id" = Uuid, Path, description = "Plan id")),
    responses((status = 200, body = StoredPlanView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get_plan(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<StoredPlanView>> {
    let (plan, jobs) = state.dispatch.plan(&who, PlanId(id)).await?;
    Ok(Json(StoredPlanView::new(plan, &jobs)))
}

/// Job list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// Only this state.
    pub status: Option<String>,
    /// Only this site.
    pub site_id: Option<Uuid>,
    /// Only this plan.
    pub plan_id: Option<Uuid>,
    /// Only jobs nobody took, waiting for staff.
    pub flagged: Option<bool>,
    /// Page size (default 200, at most 5000).
    pub limit: Option<i64>,
}

/// Jobs, newest departure first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobQuery),
    responses((status = 200, body = Vec<JobView>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> ApiResult<Json<Vec<JobView>>> {
    let status = one_of(
        "status",
        "unknown_status",
        q.status.as_deref(),
        JobStatus::ALL,
    )?;
    let jobs = state
        .dispatch
        .list_jobs(
            &who,
            JobFilter {
                site: q.site_id.map(crate::domain::SiteId),
                status,
                plan: q.plan_id.map(PlanId),
                flagged: q.flagged.unwrap_or(false),
                from: None,
                limit: q.limit.unwrap_or(200),
            },
        )
        .await?;
    Ok(Json(jobs.iter().map(JobView::from).collect()))
}

/// One job with its stops, offers and geometry.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobDetailView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get_job(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<JobDetailView>> {
    Ok(Json(state.dispatch.job_detail(&who, id).await?.into()))
}

/// What staff did and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// A note for the record.
    #[serde(default)]
    pub note: String,
}

async fn handle_job(
    state: &AppState,
    who: &crate::domain::Principal,
    id: Uuid,
    action: JobAction,
    note: &str,
) -> ApiResult<Json<JobView>> {
    let job = state
        .dispatch
        .handle_unassigned_job(who, id, action, note)
        .await?;
    Ok(Json(JobView::from(&job)))
}

/// A job nobody took: put its orders back for the next wave.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/requeue", tag = "jobs", request_body = NoteBody,
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn requeue_job(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<NoteBody>,
) -> ApiResult<Json<JobView>> {
    handle_job(&state, &who, id, JobAction::Requeue, &body.note).await
}

/// A job nobody took: offer it again to every partner.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", request_body = NoteBody,
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn retry_job(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<NoteBody>,
) -> ApiResult<Json<JobView>> {
    handle_job(&state, &who, id, JobAction::Retry, &body.note).await
}

/// An alert for staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    /// Id.
    pub id: Uuid,
    /// `welfare`, `unwell`, `job_unassigned`, `medicine_failed`, `partner_disabled`,
    /// `wave_missed`.
    pub kind: String,
    /// `open`, `acknowledged`, `closed`.
    pub status: String,
    /// Site.
    pub site_id: Option<Uuid>,
    /// Order.
    pub order_id: Option<Uuid>,
    /// Job.
    pub job_id: Option<Uuid>,
    /// Recipient.
    pub recipient_id: Option<Uuid>,
    /// Stable reason code (`not_home`, `refused`, `recipient_unwell`, `all_partners_declined`, …).
    pub reason: String,
    /// The courier's or the system's words.
    pub note: String,
    /// Raised (UTC).
    pub raised_at: DateTime<Utc>,
    /// Acknowledged by.
    pub acknowledged_by: Option<String>,
    /// Acknowledged at.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Closed by.
    pub closed_by: Option<String>,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
    /// How it was handled.
    pub close_note: Option<String>,
}

impl From<&AlertRow> for AlertView {
    fn from(a: &AlertRow) -> Self {
        Self {
            id: a.id.0,
            kind: a.kind.as_str().into(),
            status: a.status.as_str().into(),
            site_id: a.site_id.map(|s| s.0),
            order_id: a.order_id.map(|s| s.0),
            job_id: a.job_id,
            recipient_id: a.recipient_id.map(|s| s.0),
            reason: a.reason.clone(),
            note: a.note.clone(),
            raised_at: a.raised_at,
            acknowledged_by: a.acknowledged_by.clone(),
            acknowledged_at: a.acknowledged_at,
            closed_by: a.closed_by.clone(),
            closed_at: a.closed_at,
            close_note: a.close_note.clone(),
        }
    }
}

/// Alert filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this state (default: everything not closed).
    pub status: Option<String>,
    /// Page size (default 200).
    pub limit: Option<i64>,
}

/// Alerts, newest first (default: open and acknowledged ones).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = Vec<AlertView>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_alerts(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<Vec<AlertView>>> {
    let kind = one_of("kind", "unknown_kind", q.kind.as_deref(), AlertKind::ALL)?;
    let status = one_of(
        "status",
        "unknown_status",
        q.status.as_deref(),
        AlertStatus::ALL,
    )?;
    let alerts = state
        .dispatch
        .list_alerts(
            &who,
            AlertFilter {
                kind,
                status,
                site: None,
                limit: q.limit.unwrap_or(200),
            },
        )
        .await?;
    Ok(Json(alerts.iter().map(AlertView::from).collect()))
}

/// Someone is on it.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "alerts",
    params(("id" = Uuid, Path, description = "Alert id")),
    responses((status = 200, body = AlertView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn acknowledge_alert(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<AlertView>> {
    let a = state.dispatch.handle_alert(&who, AlertId(id), None).await?;
    Ok(Json(AlertView::from(&a)))
}

/// Handled: close with a note saying how.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/close", tag = "alerts", request_body = NoteBody,
    params(("id" = Uuid, Path, description = "Alert id")),
    responses((status = 200, body = AlertView), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn close_alert(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<NoteBody>,
) -> ApiResult<Json<AlertView>> {
    let a = state
        .dispatch
        .handle_alert(&who, AlertId(id), Some(&body.note))
        .await?;
    Ok(Json(AlertView::from(&a)))
}

/// A pharmacist confirms a failed medicine is back: it is queued for the next wave (a new
/// attempt), or held for the patient to collect (attempts used up), or discarded (cold chain).
#[utoipa::path(post, path = "/api/v1/prescriptions/{id}/return", tag = "prescriptions",
    params(("id" = Uuid, Path, description = "Order id")),
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn confirm_return(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<OrderView>> {
    let order = state.dispatch.confirm_return(&who, OrderId(id)).await?;
    Ok(Json(OrderView::new(order, who.role)))
}

/// The answer to a partner event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventAck {
    /// `applied`, `duplicate` (same webhook-id seen before) or `stale` (a later event already
    /// moved things further; nothing moved back). For a booking company's callback: `queued`
    /// (the booking is looked at now) or `finished` (nothing more to look at).
    pub status: String,
}

/// Partner callbacks: `job.accepted`, `job.rejected`, `courier.assigned`, `job.picked_up`,
/// `stop.arrived`, `stop.delivered`, `stop.failed`, `courier.location`. Authenticated by the
/// partner's token and signed per Standard Webhooks with the partner's inbound secret.
#[utoipa::path(post, path = "/partner/v1/events", tag = "partner",
    responses((status = 200, body = EventAck), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn partner_events(
    State(state): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    req: Request,
) -> ApiResult<Json<EventAck>> {
    let Some(partner) = who.partner_id.filter(|_| who.role == Role::Partner) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for this role",
            "only a partner token may post partner events",
        ));
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .trim()
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported content type",
            "expected Content-Type: application/json",
        ));
    }
    let body = read_body(req, &state).await?;
    let now = crate::clock::now();
    let secrets = state.dispatch.partner_inbound_secrets(partner).await?;
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let webhook_id = verify_headers(&refs, &headers, &body, now.timestamp())
        .map_err(signature_refused)?
        .to_owned();
    let event = InboundEvent::parse(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_event",
            "The event is not understood",
            e.to_string(),
        )
    })?;
    let text = String::from_utf8_lossy(&body);
    match state
        .dispatch
        .partner_event(partner, &webhook_id, &event, &text, now)
        .await
    {
        Ok(outcome) => {
            metrics::counter!("antar_partner_events_total", "type" => event.type_name(), "outcome" => outcome.as_str())
                .increment(1);
            Ok(Json(EventAck {
                status: outcome.as_str().into(),
            }))
        }
        Err(e) => {
            let code = match &e {
                DispatchError::Invalid(errs) => errs.first().map_or("invalid", |f| f.code),
                DispatchError::Conflict { code, .. } => code,
                DispatchError::NotFound(_) => "not_found",
                _ => "error",
            };
            if matches!(code, "wrong_pin" | "pin_required" | "not_your_job") {
                if let Err(err) = state
                    .dispatch
                    .audit_refused_event(partner, &event, code)
                    .await
                {
                    tracing::error!(error = %err, "cannot audit a refused partner event");
                }
                tracing::warn!(%partner, code, job = %event.job_id(), "partner event refused");
            }
            if code == "not_your_job" {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "not_your_job",
                    "Not your job",
                    "this job is not held by your organisation",
                ));
            }
            Err(e.into())
        }
    }
}

fn signature_refused(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
        "Signature not accepted",
        e.to_string(),
    )
}

/// A courier company's status callback about one of its bookings, signed its own way:
/// `X-Callback-Timestamp` (Unix seconds, within five minutes) and `X-Callback-Signature:
/// sha256=<hex HMAC-SHA256(callback secret, "{timestamp}.{body}")>`, the body the booking
/// (`booking_id`, `reference`, …). It carries no token: the signature with the partner's
/// callback secret is the credential. The booking is then looked at at once, its status read
/// back from the company with our key, so a callback can only hurry what polling would find.
#[utoipa::path(post, path = "/partner/v1/bookings/{partner_id}/callback", tag = "partner",
    params(("partner_id" = Uuid, Path)),
    responses((status = 200, body = EventAck), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn booking_callback(
    State(state): State<AppState>,
    ApiPath(partner_id): ApiPath<Uuid>,
    headers: HeaderMap,
    req: Request,
) -> ApiResult<Json<EventAck>> {
    let partner = crate::domain::PartnerId(partner_id);
    let body = read_body(req, &state).await?;
    let secret = state.dispatch.booking_callback_secret(partner).await?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let about = crate::webhooks::booking::verify_callback(
        &secret,
        header("x-callback-timestamp"),
        header("x-callback-signature"),
        &body,
        crate::clock::now().timestamp(),
    )
    .map_err(signature_refused)?;
    let hurried = state
        .dispatch
        .booking_callback(partner, &about, crate::clock::now())
        .await?;
    Ok(Json(EventAck {
        status: if hurried { "queued" } else { "finished" }.into(),
    }))
}

/// Report query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Local date (Asia/Jakarta by default), `YYYY-MM-DD`.
    pub date: chrono::NaiveDate,
}

/// A day's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayReportView {
    /// The local date.
    pub date: chrono::NaiveDate,
    /// Orders whose window starts that day.
    pub orders: i64,
    /// By status.
    #[schema(value_type = Object)]
    pub orders_by_status: std::collections::BTreeMap<String, i64>,
    /// By kind.
    #[schema(value_type = Object)]
    pub orders_by_kind: std::collections::BTreeMap<String, i64>,
    /// Handed over within the window.
    pub delivered_on_time: i64,
    /// Handed over after the window.
    pub delivered_late: i64,
    /// Failed handovers.
    pub failed_handovers: i64,
    /// Alerts raised, by kind.
    #[schema(value_type = Object)]
    pub alerts_by_kind: std::collections::BTreeMap<String, i64>,
    /// Partner offers by outcome.
    #[schema(value_type = Object)]
    pub offers_by_status: std::collections::BTreeMap<String, i64>,
    /// Jobs by status.
    #[schema(value_type = Object)]
    pub jobs_by_status: std::collections::BTreeMap<String, i64>,
    /// Estimated fares of the jobs partners took, rupiah.
    pub fares_idr: f64,
    /// Rupiah per handed-over order.
    pub cost_per_delivery_idr: Option<f64>,
}

/// A day's figures: deliveries on time and late, failures, alerts, offers, cost per delivery.
#[utoipa::path(get, path = "/api/v1/reports/day", tag = "reports", params(ReportQuery),
    responses((status = 200, body = DayReportView), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn day_report(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<DayReportView>> {
    let f = state.dispatch.day_report(&who, q.date).await?;
    Ok(Json(DayReportView {
        date: q.date,
        orders: f.orders(),
        delivered_on_time: f.delivered_on_time,
        delivered_late: f.delivered_late,
        failed_handovers: f.failed_handovers,
        cost_per_delivery_idr: f.cost_per_delivery_idr().map(f64::round),
        fares_idr: f.fares_idr.round(),
        orders_by_status: f.orders_by_status,
        orders_by_kind: f.orders_by_kind,
        alerts_by_kind: f.alerts_by_kind,
        offers_by_status: f.offers_by_status,
        jobs_by_status: f.jobs_by_status,
    }))
}

/// A proposed correction of a recipient's home.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectionView {
    /// Id.
    pub id: Uuid,
    /// Whose home.
    pub recipient_id: Uuid,
    /// The delivery where the courier stood.
    pub order_id: Uuid,
    /// The pin on record.
    pub stored: Option<Location>,
    /// Where the courier handed over.
    pub proposed: Location,
    /// Metres apart.
    pub distance_m: f64,
    /// `courier_gps`.
    pub source: String,
    /// `proposed`, `accepted`, `rejected`.
    pub status: String,
    /// When proposed.
    pub proposed_at: DateTime<Utc>,
    /// Who decided.
    pub decided_by: Option<String>,
}

impl From<crate::store::corrections::Correction> for CorrectionView {
    fn from(c: crate::store::corrections::Correction) -> Self {
        let loc = |p: crate::domain::LatLon| Location {
            lat: p.lat(),
            lon: p.lon(),
        };
        Self {
            id: c.id,
            recipient_id: c.recipient_id.0,
            order_id: c.order_id.0,
            stored: c.stored.map(loc),
            proposed: loc(c.proposed),
            distance_m: c.distance_m.round(),
            source: c.source,
            status: c.status,
            proposed_at: c.proposed_at,
            decided_by: c.decided_by,
        }
    }
}

/// Correction filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CorrectionQuery {
    /// `proposed` (default), `accepted` or `rejected`.
    pub status: Option<String>,
}

/// Homes a courier found far from their pin: proposals for staff to confirm.
#[utoipa::path(get, path = "/api/v1/location-corrections", tag = "recipients", params(CorrectionQuery),
    responses((status = 200, body = Vec<CorrectionView>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_corrections(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<CorrectionQuery>,
) -> ApiResult<Json<Vec<CorrectionView>>> {
    let list = state
        .dispatch
        .list_corrections(&who, q.status.as_deref().unwrap_or("proposed"))
        .await?;
    Ok(Json(list.into_iter().map(CorrectionView::from).collect()))
}

/// Accept a correction: the recipient's home moves to where the courier handed over.
#[utoipa::path(post, path = "/api/v1/location-corrections/{id}/accept", tag = "recipients",
    params(("id" = Uuid, Path, description = "Correction id")),
    responses((status = 200, body = CorrectionView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn accept_correction(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<CorrectionView>> {
    Ok(Json(
        state
            .dispatch
            .decide_correction(&who, id, true)
            .await?
            .into(),
    ))
}

/// Reject a correction: the stored home stays.
#[utoipa::path(post, path = "/api/v1/location-corrections/{id}/reject", tag = "recipients",
    params(("id" = Uuid, Path, description = "Correction id")),
    responses((status = 200, body = CorrectionView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn reject_correction(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<CorrectionView>> {
    Ok(Json(
        state
            .dispatch
            .decide_correction(&who, id, false)
            .await?
            .into(),
    ))
}
