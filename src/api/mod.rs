//! The HTTP API: axum routes under `/api/v1`, health and metrics endpoints, OpenAPI at
//! `/openapi.json` with browsable docs at `/docs` (served from the binary, no CDN).
//!
//! Owns: request/response types, auth extractors, the mapping of errors to problem documents
//! (`error`). Handlers are thin: extract, call one `dispatch` function, shape the answer.
//! Must not depend on `store` (except through `Dispatch::store()` for the readiness probe).

pub mod admin;
pub mod error;
pub mod extract;
pub mod fleet;
pub mod import;
pub mod invoice;
pub mod jobs;
pub mod people;
pub mod plans;
pub mod prescriptions;

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::dispatch::Dispatch;
use error::ApiError;

/// What every handler can reach: cheap clones only.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub dispatch: Dispatch,
    /// Prometheus renderer, when metrics are enabled.
    pub metrics: Option<PrometheusHandle>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "antar", description = "Dispatcher for medicine and meal delivery. Errors are RFC 9457 problem documents."),
    modifiers(&BearerAuth),
    components(schemas(error::Problem, error::ProblemField))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The routes and their OpenAPI description.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(
            prescriptions::create_prescription,
            prescriptions::list_prescriptions
        ))
        .routes(routes!(prescriptions::get_prescription))
        .routes(routes!(prescriptions::cancel_prescription))
        .routes(routes!(prescriptions::import_prescriptions))
        .routes(routes!(prescriptions::list_orders))
        .routes(routes!(people::create_recipient, people::list_recipients))
        .routes(routes!(people::get_recipient, people::update_recipient))
        .routes(routes!(people::create_enrolment, people::list_enrolments))
        .routes(routes!(people::get_enrolment))
        .routes(routes!(people::pause_enrolment))
        .routes(routes!(people::resume_enrolment))
        .routes(routes!(people::generate_meal_day))
        .routes(routes!(import::import_areas))
        .routes(routes!(import::list_areas))
        .routes(routes!(import::import_recipients))
        .routes(routes!(import::import_enrolments))
        .routes(routes!(plans::create_plan))
        .routes(routes!(plans::list_standing_routes))
        .routes(routes!(plans::seal_standing_route))
        .routes(routes!(jobs::get_plan))
        .routes(routes!(jobs::list_jobs))
        .routes(routes!(jobs::get_job))
        .routes(routes!(jobs::requeue_job))
        .routes(routes!(jobs::retry_job))
        .routes(routes!(jobs::list_alerts))
        .routes(routes!(jobs::acknowledge_alert))
        .routes(routes!(jobs::close_alert))
        .routes(routes!(jobs::confirm_return))
        .routes(routes!(jobs::partner_events))
        .routes(routes!(jobs::booking_callback))
        .routes(routes!(jobs::day_report))
        .routes(routes!(invoice::invoice_report))
        .routes(routes!(invoice::set_job_payer))
        .routes(routes!(jobs::list_corrections))
        .routes(routes!(jobs::accept_correction))
        .routes(routes!(jobs::reject_correction))
        .routes(routes!(fleet::create_courier, fleet::list_couriers))
        .routes(routes!(fleet::update_courier))
        .routes(routes!(fleet::assign_courier))
        .routes(routes!(admin::create_site))
        .routes(routes!(admin::update_site))
        .routes(routes!(admin::list_sites))
        .routes(routes!(admin::create_user, admin::list_users))
        .routes(routes!(admin::create_token, admin::list_tokens))
        .routes(routes!(admin::revoke_token))
        .routes(routes!(admin::create_partner, admin::list_partners))
        .routes(routes!(admin::update_partner))
        .routes(routes!(admin::test_webhook))
        .routes(routes!(admin::deliveries))
        .routes(routes!(admin::set_service_area))
        .routes(routes!(admin::service_area))
        .routes(routes!(admin::audit_log))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .split_for_parts();
    let openapi_json = serde_json::to_value(&openapi).unwrap_or_default();
    Router::new()
        .merge(api)
        .route(
            "/openapi.json",
            get(move || async move { Json(openapi_json) }),
        )
        .route("/metrics", get(metrics))
        .merge(SwaggerUi::new("/docs").url("/docs/openapi.json", openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(track_metrics))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "ready"), (status = 503, description = "database unreachable", body = error::Problem)))]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    if state.dispatch.store().ping().await {
        Ok("ready")
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unreachable",
            "Not ready",
            "the database does not answer",
        ))
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => ApiError::not_found("metrics").into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "this route does not accept that method",
    )
}

/// Count requests and time them, by matched route, method and status.
async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    res
}
