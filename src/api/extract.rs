//! Request extractors that turn every malformed request into a problem document: JSON bodies
//! (content type, size limit, syntax, unknown fields, wrong types, each with its JSON path),
//! query strings, path ids, and the bearer token.
//!
//! Must not depend on `store`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::crypto::hash_token;
use crate::domain::Principal;

/// A JSON body, with the raw bytes kept (idempotency keys compare request bodies).
pub struct ApiJson<T>(pub T, pub Bytes);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if mime != "application/json" && !mime.ends_with("+json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported content type",
                format!(
                    "expected Content-Type: application/json, got {:?}",
                    if ct.is_empty() { "(none)" } else { ct }
                ),
            ));
        }
        let bytes = read_body(req, state).await?;
        let value = parse_json(&bytes)?;
        Ok(ApiJson(value, bytes))
    }
}

/// Read a whole body within the configured size limit.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Request body too large",
                rej.body_text(),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "Request body could not be read",
                rej.body_text(),
            )
        }
    })
}

/// Parse JSON, naming the path of the first bad field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "The body is not valid JSON",
                format!("line {} column {}: {inner}", inner.line(), inner.column()),
            ),
            Category::Data => {
                let msg = inner.to_string();
                let code = if msg.starts_with("unknown field") {
                    "unknown_field"
                } else if msg.starts_with("missing field") {
                    "required"
                } else {
                    "invalid_value"
                };
                let field = if path == "." { String::new() } else { path };
                // serde puts a missing field at its parent's path (an unknown one at its own): name it.
                let field = match (code, msg.split('`').nth(1)) {
                    ("required", Some(name)) if field.is_empty() => name.to_owned(),
                    ("required", Some(name)) => format!("{field}.{name}"),
                    _ => field,
                };
                let reason = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
                ApiError::field(&field, code, reason)
            }
        }
    })
}

/// A query string; a bad one is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::field("query", "invalid_query", e.body_text()))
    }
}

/// A path parameter; one that does not parse (e.g. not a UUID) names nothing that exists: 404.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "Not found",
                    e.body_text(),
                )
            })
    }
}

/// The caller, from `Authorization: Bearer <token>`.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be \"Bearer <token>\"")
            })?;
        let principal = state
            .dispatch
            .store()
            .principal_by_token_hash(&hash_token(token))
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::unauthorized("the token is unknown or revoked"))?;
        Ok(Auth(principal))
    }
}
