//! Admin routes: sites, tokens, partners, the service area, the audit log.
//!
//! Must not depend on `store`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::prescriptions::Location;
use crate::dispatch::FieldError;
use crate::dispatch::admin::NewToken;
use crate::domain::records::{Capabilities, FareModel, Partner, Site, TokenInfo};
use crate::domain::site::{OpeningHours, OpeningSpan};
use crate::domain::time::parse_tz;
use crate::domain::{
    LatLon, PartnerId, PartnerKind, Phone, Role, ServiceArea, SiteId, SiteKind, TokenId, Weekdays,
};

fn latlon(field: &str, l: Location, errors: &mut Vec<FieldError>) -> Option<LatLon> {
    LatLon::new(l.lat, l.lon)
        .map_err(|e| errors.push(FieldError::new(field, "out_of_range", e.to_string())))
        .ok()
}

/// One opening span: days and local times.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningSpanBody {
    /// Days (`mon`…`sun` or `senin`…`minggu`).
    pub days: Vec<String>,
    /// Opens (HH:MM).
    pub open: String,
    /// Closes (HH:MM).
    pub close: String,
}

/// A site to create or replace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    /// `pharmacy` or `kitchen`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Pickup location.
    pub location: Location,
    /// Address.
    #[serde(default)]
    pub address: String,
    /// Desk phone.
    pub phone: Option<String>,
    /// IANA zone (default Asia/Jakarta).
    pub time_zone: Option<String>,
    /// Opening hours.
    #[serde(default)]
    pub opening_hours: Vec<OpeningSpanBody>,
    /// Active (default true).
    pub active: Option<bool>,
}

fn parse_time(field: &str, s: &str, errors: &mut Vec<FieldError>) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                "invalid_time",
                format!("{s:?}: expected HH:MM"),
            ))
        })
        .ok()
}

impl SiteBody {
    fn validate(self, id: SiteId) -> Result<Site, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = self
            .kind
            .parse::<SiteKind>()
            .map_err(|_| {
                errors.push(FieldError::new(
                    "kind",
                    "invalid_value",
                    "expected pharmacy or kitchen",
                ))
            })
            .ok();
        if self.name.trim().is_empty() {
            errors.push(FieldError::new("name", "required", "a site needs a name"));
        }
        let location = latlon("location", self.location, &mut errors);
        let phone = self.phone.filter(|p| !p.trim().is_empty()).and_then(|p| {
            Phone::parse(&p)
                .map_err(|e| errors.push(FieldError::new("phone", "invalid_phone", e.to_string())))
                .ok()
        });
        let tz_name = self.time_zone.unwrap_or_else(|| "Asia/Jakarta".into());
        let tz = parse_tz(&tz_name)
            .ok_or_else(|| {
                errors.push(FieldError::new(
                    "time_zone",
                    "unknown_zone",
                    format!("{tz_name:?} is not an IANA zone"),
                ))
            })
            .ok();
        let mut spans = Vec::new();
        for (i, s) in self.opening_hours.into_iter().enumerate() {
            let f = format!("opening_hours[{i}]");
            let days = Weekdays::parse(&s.days).map_err(|e| {
                errors.push(FieldError::new(
                    format!("{f}.days"),
                    "invalid_value",
                    e.to_string(),
                ))
            });
            let open = parse_time(&format!("{f}.open"), &s.open, &mut errors);
            let close = parse_time(&format!("{f}.close"), &s.close, &mut errors);
            if let (Ok(days), Some(open), Some(close)) = (days, open, close) {
                if close <= open {
                    errors.push(FieldError::new(
                        format!("{f}.close"),
                        "window_inverted",
                        "closes before it opens",
                    ));
                }
                spans.push(OpeningSpan {
                    days: days.names().into_iter().map(String::from).collect(),
                    open,
                    close,
                });
            }
        }
        match (kind, location, tz) {
            (Some(kind), Some(location), Some(time_zone)) if errors.is_empty() => Ok(Site {
                id,
                kind,
                name: self.name.trim().to_owned(),
                location,
                address: self.address,
                phone,
                time_zone,
                opening_hours: OpeningHours(spans),
                active: self.active.unwrap_or(true),
            }),
            _ => Err(errors),
        }
    }
}

/// A site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteView {
    /// Id.
    pub id: Uuid,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Location.
    pub location: Location,
    /// Address.
    pub address: String,
    /// Phone.
    pub phone: Option<String>,
    /// Zone.
    pub time_zone: String,
    /// Opening hours.
    pub opening_hours: Vec<OpeningSpanBody>,
    /// Active.
    pub active: bool,
}

impl From<Site> for SiteView {
    fn from(s: Site) -> Self {
        Self {
            id: s.id.0,
            kind: s.kind.as_str().into(),
            name: s.name,
            location: Location {
                lat: s.location.lat(),
                lon: s.location.lon(),
            },
            address: s.address,
            phone: s.phone.map(String::from),
            time_zone: s.time_zone.name().into(),
            opening_hours: s
                .opening_hours
                .0
                .into_iter()
                .map(|o| OpeningSpanBody {
                    days: o.days,
                    open: o.open.format("%H:%M").to_string(),
                    close: o.close.format("%H:%M").to_string(),
                })
                .collect(),
            active: s.active,
        }
    }
}

/// Create a site.
#[utoipa::path(post, path = "/api/v1/admin/sites", tag = "admin", request_body = SiteBody,
    responses((status = 201, body = SiteView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_site(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(body, _): ApiJson<SiteBody>,
) -> ApiResult<(StatusCode, Json<SiteView>)> {
    crate::dispatch::require(&who, &[Role::Admin])?;
    let site = body.validate(SiteId::new()).map_err(ApiError::invalid)?;
    let site = state.dispatch.create_site(&who, site).await?;
    Ok((StatusCode::CREATED, Json(site.into())))
}

/// Replace a site.
#[utoipa::path(put, path = "/api/v1/admin/sites/{id}", tag = "admin", request_body = SiteBody, params(("id" = Uuid, Path)),
    responses((status = 200, body = SiteView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn update_site(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<SiteBody>,
) -> ApiResult<Json<SiteView>> {
    crate::dispatch::require(&who, &[Role::Admin])?;
    let site = body.validate(SiteId(id)).map_err(ApiError::invalid)?;
    Ok(Json(state.dispatch.update_site(&who, site).await?.into()))
}

/// List sites.
#[utoipa::path(get, path = "/api/v1/sites", tag = "admin", responses((status = 200, body = Vec<SiteView>)), security(("bearer" = [])))]
pub async fn list_sites(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<SiteView>>> {
    Ok(Json(
        state
            .dispatch
            .sites(&who)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A token request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// Label, e.g. the person's name.
    pub name: String,
    /// `admin`, `pharmacist`, `social_worker` or `partner`.
    pub role: String,
    /// Pharmacy (pharmacists).
    pub site_id: Option<Uuid>,
    /// Partner (partner tokens).
    pub partner_id: Option<Uuid>,
}

/// A token's public description.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Id.
    pub id: Uuid,
    /// Label.
    pub name: String,
    /// Role.
    pub role: String,
    /// Bound site.
    pub site_id: Option<Uuid>,
    /// Bound partner.
    pub partner_id: Option<Uuid>,
    /// First characters.
    pub prefix: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The secret: only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<TokenInfo> for TokenView {
    fn from(t: TokenInfo) -> Self {
        Self {
            id: t.id.0,
            name: t.name,
            role: t.role.as_str().into(),
            site_id: t.site_id.map(|s| s.0),
            partner_id: t.partner_id.map(|p| p.0),
            prefix: t.prefix,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
            token: None,
        }
    }
}

/// Create a token (the secret is shown once).
#[utoipa::path(post, path = "/api/v1/admin/tokens", tag = "admin", request_body = TokenBody,
    responses((status = 201, body = TokenView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(body, _): ApiJson<TokenBody>,
) -> ApiResult<(StatusCode, Json<TokenView>)> {
    let role = body.role.parse::<Role>().map_err(|_| {
        ApiError::field(
            "role",
            "invalid_value",
            "expected admin, pharmacist, social_worker or partner",
        )
    })?;
    if body.name.trim().is_empty() {
        return Err(ApiError::field("name", "required", "a token needs a name"));
    }
    let req = NewToken {
        name: body.name.trim().to_owned(),
        role,
        site_id: body.site_id.map(SiteId),
        partner_id: body.partner_id.map(PartnerId),
    };
    let (info, token) = state.dispatch.create_token(&who, req).await?;
    let mut view = TokenView::from(info);
    view.token = Some(token);
    Ok((StatusCode::CREATED, Json(view)))
}

/// List tokens.
#[utoipa::path(get, path = "/api/v1/admin/tokens", tag = "admin", responses((status = 200, body = Vec<TokenView>)), security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(
        state
            .dispatch
            .tokens(&who)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Revoke a token.
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    state.dispatch.revoke_token(&who, TokenId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A partner to create or replace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerBody {
    /// Name.
    pub name: String,
    /// Adapter kind: `webhook` (default), `own_fleet` (our own couriers; no URL needed) or
    /// `booking_api` (`webhook_url` is the API's base URL, the signing secret its key,
    /// `max_stops` 1).
    pub kind: Option<String>,
    /// Where offers are posted (http or https).
    pub webhook_url: Option<String>,
    /// Default capabilities.
    #[schema(value_type = Object)]
    pub capabilities: Capabilities,
    /// Fare model (rupiah).
    #[schema(value_type = Object)]
    pub fare: FareModel,
    /// Lower is offered first (default 100).
    pub rank: Option<i64>,
    /// Seconds to accept an offer (default 120).
    pub offer_timeout_s: Option<i64>,
    /// Where the partner works.
    #[schema(value_type = Option<Object>)]
    pub service_area: Option<ServiceArea>,
    /// Active (default true).
    pub active: Option<bool>,
}

impl PartnerBody {
    fn validate(self, id: PartnerId) -> Result<Partner, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push(FieldError::new(
                "name",
                "required",
                "a partner needs a name",
            ));
        }
        let kind = match self.kind.as_deref().map(str::parse::<PartnerKind>) {
            None => PartnerKind::Webhook,
            Some(Ok(PartnerKind::BookingApi)) => {
                if self.capabilities.max_stops != 1 {
                    errors.push(FieldError::new(
                        "capabilities.max_stops",
                        "out_of_range",
                        "a booking API takes one pickup to one drop: max_stops must be 1",
                    ));
                }
                PartnerKind::BookingApi
            }
            Some(Ok(k)) => k,
            Some(Err(_)) => {
                let names: Vec<&str> = PartnerKind::ALL.iter().map(|k| k.as_str()).collect();
                errors.push(FieldError::new(
                    "kind",
                    "invalid_value",
                    format!("one of {}", names.join(", ")),
                ));
                PartnerKind::Webhook
            }
        };
        match &self.webhook_url {
            Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 => {
                errors.push(FieldError::new(
                    "webhook_url",
                    "invalid_url",
                    "expected an http(s) URL",
                ))
            }
            None if kind != PartnerKind::OwnFleet => errors.push(FieldError::new(
                "webhook_url",
                "required",
                "webhook partners need a URL (a booking API partner: its API's base URL)",
            )),
            _ => {}
        }
        if self.capabilities.max_stops == 0 || self.capabilities.capacity == 0 {
            errors.push(FieldError::new(
                "capabilities",
                "out_of_range",
                "max_stops and capacity must be at least 1",
            ));
        }
        if self.capabilities.max_concurrent_jobs == Some(0) {
            errors.push(FieldError::new(
                "capabilities.max_concurrent_jobs",
                "out_of_range",
                "must be at least 1, or left out for no limit",
            ));
        }
        let timeout = self.offer_timeout_s.unwrap_or(120);
        if !(10..=3600).contains(&timeout) {
            errors.push(FieldError::new(
                "offer_timeout_s",
                "out_of_range",
                "must be 10 to 3600 seconds",
            ));
        }
        if let Some(area) = &self.service_area
            && let Err(e) = area.validate()
        {
            errors.push(FieldError::new("service_area", "invalid_area", e.0));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Partner {
            id,
            name: self.name.trim().to_owned(),
            kind,
            webhook_url: self.webhook_url,
            capabilities: self.capabilities,
            fare: self.fare,
            rank: self.rank.unwrap_or(100),
            offer_timeout_s: timeout,
            service_area: self.service_area,
            active: self.active.unwrap_or(true),
        })
    }
}

/// A partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Kind: `webhook`, `own_fleet` or `booking_api`.
    pub kind: String,
    /// Webhook URL.
    pub webhook_url: Option<String>,
    /// Capabilities.
    #[schema(value_type = Object)]
    pub capabilities: Capabilities,
    /// Fare model.
    #[schema(value_type = Object)]
    pub fare: FareModel,
    /// Rank.
    pub rank: i64,
    /// Offer timeout.
    pub offer_timeout_s: i64,
    /// Service area.
    #[schema(value_type = Option<Object>)]
    pub service_area: Option<ServiceArea>,
    /// Active.
    pub active: bool,
    /// Signing secret for offers (`whsec_…`): only when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
    /// Secret the partner signs callbacks with: only when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_secret: Option<String>,
    /// The partner's API token for callbacks: only when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<Partner> for PartnerView {
    fn from(p: Partner) -> Self {
        Self {
            id: p.id.0,
            name: p.name,
            kind: p.kind.as_str().to_owned(),
            webhook_url: p.webhook_url,
            capabilities: p.capabilities,
            fare: p.fare,
            rank: p.rank,
            offer_timeout_s: p.offer_timeout_s,
            service_area: p.service_area,
            active: p.active,
            signing_secret: None,
            callback_secret: None,
            token: None,
        }
    }
}

/// Create a partner: its secrets and token are shown once.
#[utoipa::path(post, path = "/api/v1/admin/partners", tag = "admin", request_body = PartnerBody,
    responses((status = 201, body = PartnerView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_partner(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(body, _): ApiJson<PartnerBody>,
) -> ApiResult<(StatusCode, Json<PartnerView>)> {
    crate::dispatch::require(&who, &[Role::Admin])?;
    let p = body.validate(PartnerId::new()).map_err(ApiError::invalid)?;
    let created = state.dispatch.create_partner(&who, p).await?;
    let mut view = PartnerView::from(created.partner);
    view.signing_secret = Some(created.outbound_secret);
    view.callback_secret = Some(created.inbound_secret);
    view.token = Some(created.token);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Replace a partner's settings.
#[utoipa::path(put, path = "/api/v1/admin/partners/{id}", tag = "admin", request_body = PartnerBody, params(("id" = Uuid, Path)),
    responses((status = 200, body = PartnerView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn update_partner(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<PartnerBody>,
) -> ApiResult<Json<PartnerView>> {
    crate::dispatch::require(&who, &[Role::Admin])?;
    let p = body.validate(PartnerId(id)).map_err(ApiError::invalid)?;
    Ok(Json(state.dispatch.update_partner(&who, p).await?.into()))
}

/// List partners.
#[utoipa::path(get, path = "/api/v1/admin/partners", tag = "admin", responses((status = 200, body = Vec<PartnerView>)), security(("bearer" = [])))]
pub async fn list_partners(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<PartnerView>>> {
    Ok(Json(
        state
            .dispatch
            .partners(&who)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// The service area: `{"type":"bbox","min":{lat,lon},"max":{lat,lon}}` or
/// `{"type":"polygon","points":[{lat,lon},…]}`.
#[utoipa::path(put, path = "/api/v1/admin/service-area", tag = "admin", request_body(content = Object),
    responses((status = 200, body = Object), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_service_area(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(area, _): ApiJson<ServiceArea>,
) -> ApiResult<Json<ServiceArea>> {
    Ok(Json(state.dispatch.set_service_area(&who, area).await?))
}

/// The service area (null when unset).
#[utoipa::path(get, path = "/api/v1/service-area", tag = "admin", responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn service_area(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Option<ServiceArea>>> {
    Ok(Json(state.dispatch.service_area(&who).await?))
}

/// Audit log query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entity kind (`order`, `recipient`, `site`, …).
    pub entity: Option<String>,
    /// Entity id.
    pub entity_id: Option<String>,
    /// Entries before this sequence number (paging).
    pub before: Option<i64>,
    /// Page size (default 100, max 1000).
    pub limit: Option<i64>,
}

/// An audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Sequence.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Entity kind.
    pub entity: String,
    /// Entity id.
    pub entity_id: Option<String>,
    /// Detail.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = Vec<AuditView>)), security(("bearer" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state
        .dispatch
        .audit_log(
            &who,
            q.entity.as_deref(),
            q.entity_id.as_deref(),
            q.before,
            limit,
        )
        .await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditView {
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                detail: e.detail,
            })
            .collect(),
    ))
}

/// A staff user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    /// Full name.
    pub name: String,
    /// Login name: 3 to 64 of a-z, 0-9, `.`, `_`, `-`.
    pub login: String,
    /// `admin`, `pharmacist` or `social_worker`.
    pub role: String,
    /// Pharmacy (pharmacists).
    pub site_id: Option<Uuid>,
    /// Dashboard password (at least 10 characters); stored only as an Argon2 hash.
    #[schema(value_type = Option<String>)]
    pub password: Option<secrecy::SecretString>,
}

/// A staff user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Login.
    pub login: String,
    /// Role.
    pub role: String,
    /// Bound site.
    pub site_id: Option<Uuid>,
    /// Active.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<crate::domain::records::User> for UserView {
    fn from(u: crate::domain::records::User) -> Self {
        Self {
            id: u.id.0,
            name: u.name,
            login: u.login,
            role: u.role.as_str().into(),
            site_id: u.site_id.map(|s| s.0),
            active: u.active,
            created_at: u.created_at,
        }
    }
}

/// Create a staff user.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = UserBody,
    responses((status = 201, body = UserView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(body, _): ApiJson<UserBody>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let mut errors = Vec::new();
    let role = body
        .role
        .parse::<Role>()
        .map_err(|_| {
            errors.push(FieldError::new(
                "role",
                "invalid_value",
                "expected admin, pharmacist or social_worker",
            ))
        })
        .ok();
    let login = body.login.trim().to_ascii_lowercase();
    if !(3..=64).contains(&login.len())
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        errors.push(FieldError::new(
            "login",
            "invalid_value",
            "3 to 64 of a-z, 0-9, '.', '_', '-'",
        ));
    }
    if body.name.trim().is_empty() {
        errors.push(FieldError::new("name", "required", "a user needs a name"));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return Err(ApiError::invalid(errors));
    };
    let req = crate::dispatch::admin::NewUser {
        name: body.name.trim().to_owned(),
        login,
        role,
        site_id: body.site_id.map(SiteId),
        password: body.password,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.dispatch.create_user(&who, req).await?.into()),
    ))
}

/// List staff users.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", responses((status = 200, body = Vec<UserView>)), security(("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(
        state
            .dispatch
            .users(&who)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A queued event.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedView {
    /// `webhook-id` of the queued event.
    pub event_id: String,
}

/// Queue a signed `webhook.test` event to a partner's endpoint (delivered by the outbox).
#[utoipa::path(post, path = "/api/v1/admin/partners/{id}/test-webhook", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 202, body = QueuedView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn test_webhook(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, Json<QueuedView>)> {
    let event_id = state
        .dispatch
        .send_test_webhook(&who, PartnerId(id))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(QueuedView { event_id })))
}

/// One outbound event and its delivery state.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// `webhook-id`.
    pub event_id: String,
    /// Event type.
    pub event_type: String,
    /// `pending`, `delivered`, `failed` or `dropped`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Next attempt (pending).
    pub next_attempt_at: DateTime<Utc>,
    /// Last HTTP status.
    pub last_status: Option<i64>,
    /// Last error.
    pub last_error: Option<String>,
    /// Queued at.
    pub created_at: DateTime<Utc>,
}

/// A partner's delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveriesView {
    /// Why the partner's endpoint is disabled (after a 410), if it is.
    pub disabled_reason: Option<String>,
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
}

/// A partner's outbound events and how their delivery went.
#[utoipa::path(get, path = "/api/v1/admin/partners/{id}/deliveries", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = DeliveriesView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn deliveries(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<DeliveriesView>> {
    let (disabled_reason, list) = state.dispatch.deliveries(&who, PartnerId(id)).await?;
    Ok(Json(DeliveriesView {
        disabled_reason,
        deliveries: list
            .into_iter()
            .map(|d| DeliveryView {
                event_id: d.event_id,
                event_type: d.event_type,
                status: d.status,
                attempts: d.attempts,
                next_attempt_at: d.next_attempt_at,
                last_status: d.last_status,
                last_error: d.last_error,
                created_at: d.created_at,
            })
            .collect(),
    }))
}
