//! Social-service routes: recipients, meal enrolments (pause, resume) and meal days.
//!
//! Must not depend on `store`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::prescriptions::Location;
use crate::dispatch::FieldError;
use crate::dispatch::meals::DayReport;
use crate::domain::enrolment::{Meal, Pause, PauseReason};
use crate::domain::records::{Enrolment, Recipient};
use crate::domain::{EnrolmentId, LatLon, LocalWindow, Phone, RecipientId, SiteId, Weekdays};

/// A recipient to create or replace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientBody {
    /// Full name.
    pub name: String,
    /// Phone (+62).
    pub phone: Option<String>,
    /// Address.
    #[serde(default)]
    pub address: String,
    /// Landmark.
    #[serde(default)]
    pub landmark: String,
    /// Home location.
    pub location: Option<Location>,
    /// `pin`, `plus_code`, `link`, `courier_gps` or `village_centroid` (default `pin`).
    pub location_source: Option<String>,
    /// Or the location as received: coordinates in any common form, a Google Maps or
    /// OpenStreetMap link, a `geo:` URI or a full Plus Code (its source is then set from it).
    pub location_text: Option<String>,
    /// Desa / kelurahan.
    #[serde(default)]
    pub village: String,
    /// Kecamatan.
    #[serde(default)]
    pub kecamatan: String,
    /// Kemendagri code of the desa/kelurahan (e.g. `35.10.05.2003`); when absent, the village
    /// and kecamatan names are looked up in the area list.
    pub village_code: Option<String>,
    /// Notes for staff.
    #[serde(default)]
    pub notes: String,
}

impl RecipientBody {
    fn validate(self, id: RecipientId) -> Result<Recipient, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push(FieldError::new(
                "name",
                "required",
                "a recipient needs a name",
            ));
        }
        let phone = self.phone.filter(|p| !p.trim().is_empty()).and_then(|p| {
            Phone::parse(&p)
                .map_err(|e| errors.push(FieldError::new("phone", "invalid_phone", e.to_string())))
                .ok()
        });
        let location = self.location.and_then(|l| {
            LatLon::new(l.lat, l.lon)
                .map_err(|e| {
                    errors.push(FieldError::new("location", "out_of_range", e.to_string()))
                })
                .ok()
        });
        let mut parsed_precision = None;
        let (location, location_source) = match self
            .location_text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            None => (location, self.location_source),
            Some(_) if location.is_some() => {
                errors.push(FieldError::new(
                    "location_text",
                    "conflicting_location",
                    "give either location or location_text, not both",
                ));
                (location, self.location_source)
            }
            Some(text) => match crate::domain::location::parse_location(text, None) {
                Ok(parsed) => {
                    parsed_precision = Some(crate::domain::location::recorded_precision_m(&parsed));
                    (Some(parsed.point), Some(parsed.source.as_str().to_owned()))
                }
                Err(e) => {
                    errors.push(FieldError::new("location_text", e.code(), e.to_string()));
                    (None, None)
                }
            },
        };
        let source = match (&location, location_source) {
            (None, _) => None,
            (Some(_), None) => Some("pin".to_owned()),
            (Some(_), Some(s))
                if crate::domain::records::LOCATION_SOURCES.contains(&s.as_str()) =>
            {
                Some(s)
            }
            (Some(_), Some(s)) => {
                errors.push(FieldError::new(
                    "location_source",
                    "invalid_value",
                    format!("unknown source {s:?}"),
                ));
                None
            }
        };
        let village_code = self
            .village_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .and_then(|c| {
                crate::domain::area::AreaCode::parse(c)
                    .map_err(|e| {
                        errors.push(FieldError::new(
                            "village_code",
                            "invalid_area_code",
                            e.to_string(),
                        ))
                    })
                    .ok()
            });
        if !errors.is_empty() {
            return Err(errors);
        }
        let precision = source.as_deref().map(|s| {
            parsed_precision.unwrap_or_else(|| crate::domain::location::typical_precision_m(s))
        });
        Ok(Recipient {
            id,
            location_precision_m: precision,
            name: self.name.trim().to_owned(),
            phone,
            address: self.address,
            landmark: self.landmark,
            location,
            location_source: source,
            village: self.village.trim().to_owned(),
            kecamatan: self.kecamatan.trim().to_owned(),
            notes: self.notes,
            village_code,
            nik_last4: None,
            medical_record_no: None,
        })
    }
}

/// A location offered to staff to confirm, not stored: the centre of the recipient's village.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedLocation {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// `village_centroid`.
    pub source: String,
    /// How far the home may be from it, in metres.
    pub precision_m: f64,
    /// The village's code.
    pub village_code: String,
}

/// A recipient.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Address.
    pub address: String,
    /// Landmark.
    pub landmark: String,
    /// Location.
    pub location: Option<Location>,
    /// Location source.
    pub location_source: Option<String>,
    /// How far the true home may be from `location`, in metres.
    pub location_precision_m: Option<f64>,
    /// Without a location: the village centre, to confirm (`PUT` it with `location_source`
    /// `village_centroid`); orders stay `needs_location` until then. Only on a single read.
    pub suggested_location: Option<SuggestedLocation>,
    /// Village.
    pub village: String,
    /// Kecamatan.
    pub kecamatan: String,
    /// Notes.
    pub notes: String,
    /// Kemendagri code of the desa/kelurahan, when resolved.
    pub village_code: Option<String>,
    /// Last 4 digits of the national id (NIK), when known.
    pub nik_last4: Option<String>,
    /// Hospital medical record number (No. RM).
    pub medical_record_no: Option<String>,
}

impl From<Recipient> for RecipientView {
    fn from(r: Recipient) -> Self {
        Self {
            id: r.id.0,
            name: r.name,
            phone: r.phone.map(String::from),
            address: r.address,
            landmark: r.landmark,
            location: r.location.map(|l| Location {
                lat: l.lat(),
                lon: l.lon(),
            }),
            location_source: r.location_source,
            location_precision_m: r.location_precision_m.map(|m| m.round()),
            suggested_location: None,
            village: r.village,
            kecamatan: r.kecamatan,
            notes: r.notes,
            village_code: r.village_code.map(|c| c.to_string()),
            nik_last4: r.nik_last4,
            medical_record_no: r.medical_record_no,
        }
    }
}

/// Create a recipient.
#[utoipa::path(post, path = "/api/v1/recipients", tag = "recipients", request_body = RecipientBody,
    responses((status = 201, body = RecipientView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_recipient(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(mut body, _): ApiJson<RecipientBody>,
) -> ApiResult<(StatusCode, Json<RecipientView>)> {
    expand_link(&state, &mut body).await;
    let r = body
        .validate(RecipientId::new())
        .map_err(ApiError::invalid)?;
    Ok((
        StatusCode::CREATED,
        Json(state.dispatch.create_recipient(&who, r).await?.into()),
    ))
}

/// Replace a recipient.
#[utoipa::path(put, path = "/api/v1/recipients/{id}", tag = "recipients", request_body = RecipientBody, params(("id" = Uuid, Path)),
    responses((status = 200, body = RecipientView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn update_recipient(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(mut body, _): ApiJson<RecipientBody>,
) -> ApiResult<Json<RecipientView>> {
    expand_link(&state, &mut body).await;
    let r = body.validate(RecipientId(id)).map_err(ApiError::invalid)?;
    Ok(Json(state.dispatch.update_recipient(&who, r).await?.into()))
}

/// A short map link typed as the location is followed first, where the server may do so.
async fn expand_link(state: &AppState, body: &mut RecipientBody) {
    if let Some(text) = &body.location_text {
        body.location_text = Some(state.dispatch.expand_location_text(text).await);
    }
}

/// One recipient.
#[utoipa::path(get, path = "/api/v1/recipients/{id}", tag = "recipients", params(("id" = Uuid, Path)),
    responses((status = 200, body = RecipientView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_recipient(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<RecipientView>> {
    let r = state.dispatch.recipient(&who, RecipientId(id)).await?;
    let suggestion = state.dispatch.village_centroid_suggestion(&who, &r).await?;
    let mut view = RecipientView::from(r);
    view.suggested_location = suggestion.map(|s| SuggestedLocation {
        lat: s.point.lat(),
        lon: s.point.lon(),
        source: "village_centroid".into(),
        precision_m: s.precision_m,
        village_code: s.code.to_string(),
    });
    Ok(Json(view))
}

/// Recipient search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RecipientQuery {
    /// Text in the name or village.
    pub q: Option<String>,
    /// Exact village.
    pub village: Option<String>,
    /// Page, from 1.
    pub page: Option<u32>,
    /// Page size (default 50).
    pub per_page: Option<u32>,
}

/// Search recipients by name or village.
#[utoipa::path(get, path = "/api/v1/recipients", tag = "recipients", params(RecipientQuery),
    responses((status = 200, body = Vec<RecipientView>)), security(("bearer" = [])))]
pub async fn list_recipients(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<RecipientQuery>,
) -> ApiResult<Json<Vec<RecipientView>>> {
    let list = state
        .dispatch
        .recipients(
            &who,
            q.q.as_deref().filter(|s| !s.is_empty()),
            q.village.as_deref(),
            q.page.unwrap_or(1),
            q.per_page.unwrap_or(50),
        )
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// A meal with its local window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealBody {
    /// Name (e.g. `siang`).
    pub name: String,
    /// Window start, local HH:MM.
    pub window_start: String,
    /// Window end, local HH:MM.
    pub window_end: String,
}

/// An enrolment to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentBody {
    /// Who eats.
    pub recipient_id: Uuid,
    /// Which kitchen cooks.
    pub kitchen_id: Uuid,
    /// Days (`mon`…`sun` / `senin`…`minggu`); default every day.
    pub weekdays: Option<Vec<String>>,
    /// Meals per day (default one lunch 10:30–12:30).
    pub meals: Option<Vec<MealBody>>,
    /// Diet notes for the kitchen.
    #[serde(default)]
    pub diet_notes: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: Option<NaiveDate>,
}

fn hhmm(field: String, s: &str, errors: &mut Vec<FieldError>) -> Option<NaiveTime> {
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

impl EnrolmentBody {
    fn validate(self) -> Result<Enrolment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let weekdays = match &self.weekdays {
            None => Weekdays::ALL,
            Some(days) => match Weekdays::parse(days) {
                Ok(w) if w.is_empty() => {
                    errors.push(FieldError::new("weekdays", "required", "at least one day"));
                    w
                }
                Ok(w) => w,
                Err(e) => {
                    errors.push(FieldError::new("weekdays", "invalid_value", e.to_string()));
                    Weekdays::ALL
                }
            },
        };
        let meal_bodies = self.meals.unwrap_or_else(|| {
            vec![MealBody {
                name: "siang".into(),
                window_start: "10:30".into(),
                window_end: "12:30".into(),
            }]
        });
        if meal_bodies.is_empty() {
            errors.push(FieldError::new("meals", "required", "at least one meal"));
        }
        let mut meals: Vec<Meal> = Vec::new();
        for (i, m) in meal_bodies.into_iter().enumerate() {
            let start = hhmm(
                format!("meals[{i}].window_start"),
                &m.window_start,
                &mut errors,
            );
            let end = hhmm(format!("meals[{i}].window_end"), &m.window_end, &mut errors);
            let name = m.name.trim().to_owned();
            if name.is_empty() || meals.iter().any(|x| x.name == name) {
                errors.push(FieldError::new(
                    format!("meals[{i}].name"),
                    "invalid_value",
                    "each meal needs its own name",
                ));
            }
            if let (Some(s), Some(e)) = (start, end) {
                match LocalWindow::new(s, e) {
                    Ok(window) => meals.push(Meal { name, window }),
                    Err(err) => errors.push(FieldError::new(
                        format!("meals[{i}].window_end"),
                        "window_inverted",
                        err.to_string(),
                    )),
                }
            }
        }
        if let Some(end) = self.end_date
            && end < self.start_date
        {
            errors.push(FieldError::new(
                "end_date",
                "window_inverted",
                "end_date is before start_date",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Enrolment {
            id: EnrolmentId::new(),
            recipient_id: RecipientId(self.recipient_id),
            kitchen_id: SiteId(self.kitchen_id),
            weekdays,
            meals,
            diet_notes: self.diet_notes,
            start_date: self.start_date,
            end_date: self.end_date,
            ended_reason: None,
            pauses: Vec::new(),
        })
    }
}

/// A pause.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseBody {
    /// First day without meals.
    pub from: NaiveDate,
    /// Last day without meals (open when absent).
    pub until: Option<NaiveDate>,
    /// `hospitalised`, `away`, `moved`, `died` or `other`; moved and died end the enrolment.
    pub reason: String,
    /// Note.
    #[serde(default)]
    pub note: String,
}

/// An enrolment.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub recipient_id: Uuid,
    /// Kitchen.
    pub kitchen_id: Uuid,
    /// Days.
    pub weekdays: Vec<String>,
    /// Meals.
    pub meals: Vec<MealBody>,
    /// Diet notes.
    pub diet_notes: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: Option<NaiveDate>,
    /// Why it ended.
    pub ended_reason: Option<String>,
    /// Pauses.
    pub pauses: Vec<PauseBody>,
}

impl From<Enrolment> for EnrolmentView {
    fn from(e: Enrolment) -> Self {
        Self {
            id: e.id.0,
            recipient_id: e.recipient_id.0,
            kitchen_id: e.kitchen_id.0,
            weekdays: e.weekdays.names().into_iter().map(String::from).collect(),
            meals: e
                .meals
                .into_iter()
                .map(|m| MealBody {
                    name: m.name,
                    window_start: m.window.start.format("%H:%M").to_string(),
                    window_end: m.window.end.format("%H:%M").to_string(),
                })
                .collect(),
            diet_notes: e.diet_notes,
            start_date: e.start_date,
            end_date: e.end_date,
            ended_reason: e.ended_reason.map(|r| r.as_str().into()),
            pauses: e
                .pauses
                .into_iter()
                .map(|p| PauseBody {
                    from: p.from,
                    until: p.until,
                    reason: p.reason.as_str().into(),
                    note: String::new(),
                })
                .collect(),
        }
    }
}

/// Enrol a recipient for meals.
#[utoipa::path(post, path = "/api/v1/enrolments", tag = "meals", request_body = EnrolmentBody,
    responses((status = 201, body = EnrolmentView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_enrolment(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiJson(body, _): ApiJson<EnrolmentBody>,
) -> ApiResult<(StatusCode, Json<EnrolmentView>)> {
    let e = body.validate().map_err(ApiError::invalid)?;
    Ok((
        StatusCode::CREATED,
        Json(state.dispatch.create_enrolment(&who, e).await?.into()),
    ))
}

/// Enrolment listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentQuery {
    /// Only this recipient.
    pub recipient_id: Option<Uuid>,
    /// Page.
    pub page: Option<u32>,
    /// Page size.
    pub per_page: Option<u32>,
}

/// List enrolments.
#[utoipa::path(get, path = "/api/v1/enrolments", tag = "meals", params(EnrolmentQuery),
    responses((status = 200, body = Vec<EnrolmentView>)), security(("bearer" = [])))]
pub async fn list_enrolments(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<EnrolmentQuery>,
) -> ApiResult<Json<Vec<EnrolmentView>>> {
    let list = state
        .dispatch
        .enrolments(
            &who,
            q.recipient_id.map(RecipientId),
            q.page.unwrap_or(1),
            q.per_page.unwrap_or(50),
        )
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// One enrolment.
#[utoipa::path(get, path = "/api/v1/enrolments/{id}", tag = "meals", params(("id" = Uuid, Path)),
    responses((status = 200, body = EnrolmentView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_enrolment(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<EnrolmentView>> {
    Ok(Json(
        state
            .dispatch
            .enrolment(&who, EnrolmentId(id))
            .await?
            .into(),
    ))
}

/// Pause meals (a move or death ends the enrolment).
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/pause", tag = "meals", params(("id" = Uuid, Path)), request_body = PauseBody,
    responses((status = 200, body = EnrolmentView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn pause_enrolment(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<PauseBody>,
) -> ApiResult<Json<EnrolmentView>> {
    let reason: PauseReason = body.reason.parse().map_err(|_| {
        ApiError::field(
            "reason",
            "invalid_value",
            "expected hospitalised, away, moved, died or other",
        )
    })?;
    if let Some(until) = body.until
        && until < body.from
    {
        return Err(ApiError::field(
            "until",
            "window_inverted",
            "until is before from",
        ));
    }
    let pause = Pause {
        from: body.from,
        until: body.until,
        reason,
    };
    Ok(Json(
        state
            .dispatch
            .pause_enrolment(&who, EnrolmentId(id), pause, &body.note)
            .await?
            .into(),
    ))
}

/// A resume date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeBody {
    /// First day with meals again.
    pub on: NaiveDate,
}

/// Resume meals.
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/resume", tag = "meals", params(("id" = Uuid, Path)), request_body = ResumeBody,
    responses((status = 200, body = EnrolmentView), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn resume_enrolment(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<ResumeBody>,
) -> ApiResult<Json<EnrolmentView>> {
    Ok(Json(
        state
            .dispatch
            .resume_enrolment(&who, EnrolmentId(id), body.on)
            .await?
            .into(),
    ))
}

/// What generating a meal day did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayReportView {
    /// Local date.
    pub date: NaiveDate,
    /// Orders created by this call.
    pub created: u32,
    /// Orders that existed already (earlier calls).
    pub already_existed: u32,
    /// Created orders waiting for a location.
    pub needs_location: u32,
    /// Enrolments skipped for a pause.
    pub paused: u32,
    /// A sentence for people.
    pub message: String,
}

impl From<DayReport> for DayReportView {
    fn from(r: DayReport) -> Self {
        let message = if r.created == 0 && r.already_existed > 0 {
            format!(
                "the meal orders of {} were already generated; nothing new was created",
                r.date
            )
        } else {
            format!("{} meal orders created for {}", r.created, r.date)
        };
        Self {
            date: r.date,
            created: r.created,
            already_existed: r.already_existed,
            needs_location: r.needs_location,
            paused: r.paused,
            message,
        }
    }
}

/// Generate a local date's meal orders, exactly once.
#[utoipa::path(post, path = "/api/v1/meal-days/{date}/orders", tag = "meals", params(("date" = NaiveDate, Path, description = "YYYY-MM-DD")),
    responses((status = 201, description = "Orders created", body = DayReportView), (status = 200, description = "Already generated", body = DayReportView)),
    security(("bearer" = [])))]
pub async fn generate_meal_day(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(date): ApiPath<NaiveDate>,
) -> ApiResult<(StatusCode, Json<DayReportView>)> {
    let r = state.dispatch.generate_meal_day(&who, date).await?;
    let status = if r.created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r.into())))
}
