//! The one place where errors become HTTP: RFC 9457 `application/problem+json` with a stable
//! `type` and `code`, a `title`, the `status`, a `detail`, and `errors[]` naming each bad field.
//! Server-side failures are logged with their cause and answered with a generic 500 body.
//!
//! Must not depend on `store` directly (storage errors arrive through `dispatch`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::dispatch::{DispatchError, FieldError};

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened in this case.
    pub detail: String,
    /// Stable machine-readable code (same as the last segment of `type`).
    pub code: String,
    /// Per-field errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One bad field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON path or CSV column.
    pub field: String,
    /// Stable code.
    pub code: String,
    /// Why.
    pub reason: String,
}

impl From<FieldError> for ProblemField {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field,
            code: e.code.to_owned(),
            reason: e.reason,
        }
    }
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<ProblemField>,
}

impl ApiError {
    /// A problem with no field list.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// 422 with field errors.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.reason),
            many => format!("{} fields are invalid", many.len()),
        };
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            title: "The request has invalid fields",
            detail,
            errors: errors.into_iter().map(Into::into).collect(),
        }
    }

    /// 422 for one field.
    pub fn field(field: &str, code: &'static str, reason: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, code, reason)])
    }

    /// 401.
    pub fn unauthorized(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found",
            format!("{what} not found"),
        )
    }

    /// 500; the cause is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "an unexpected error happened; it was logged",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<DispatchError> for ApiError {
    fn from(e: DispatchError) -> Self {
        match e {
            DispatchError::Invalid(errors) => ApiError::invalid(errors),
            DispatchError::Forbidden(role) => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed for this role",
                format!("the {role} role may not do this"),
            ),
            DispatchError::NotFound(what) => ApiError::not_found(what),
            DispatchError::Conflict { code, detail } => {
                ApiError::new(StatusCode::CONFLICT, code, "Conflict", detail)
            }
            DispatchError::Transition(t) => ApiError::new(
                StatusCode::CONFLICT,
                "illegal_transition",
                "State change not allowed",
                t.to_string(),
            ),
            DispatchError::Store(s) => ApiError::internal(s),
            DispatchError::Internal(s) => ApiError::internal(s),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() && self.code != "internal" {
            tracing::error!(code = self.code, detail = %self.detail, "server error");
        }
        let body = Problem {
            type_: format!("/problems/{}", self.code.replace('_', "-")),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
            errors: self.errors,
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
