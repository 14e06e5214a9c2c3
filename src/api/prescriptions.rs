//! Prescription and order routes: create (with `Idempotency-Key`), list, get, cancel, CSV import.
//! Handlers only parse, call one `dispatch` function, and shape the answer.
//!
//! Must not depend on `store`.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, read_body};
use crate::crypto::sha256_hex;
use crate::dispatch::FieldError;
use crate::dispatch::intake::{ListOrders, NewPrescription};
use crate::domain::records::{Order, OrderEvent};
use crate::domain::time::TimeWindow;
use crate::domain::{LatLon, OrderId, OrderStatus, Phone, Priority, Role, SiteId};

/// A coordinate pair in WGS 84 degrees.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude, -90..90.
    pub lat: f64,
    /// Longitude, -180..180.
    pub lon: f64,
}

/// The patient receiving a prescription.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientBody {
    /// Full name.
    pub name: String,
    /// Phone; normalised to +62.
    pub phone: Option<String>,
    /// Address text.
    #[serde(default)]
    pub address: String,
    /// A landmark a courier can find.
    #[serde(default)]
    pub landmark: String,
    /// Home location; without it the order waits in `needs_location`.
    pub location: Option<Location>,
    /// Or the location as received: coordinates in any common form (decimal, comma decimals,
    /// degrees-minutes-seconds), a Google Maps or OpenStreetMap link, a `geo:` URI, or a Plus
    /// Code (a short one is recovered near the pharmacy).
    pub location_text: Option<String>,
    /// Medical record number (No. RM).
    pub medical_record_no: Option<String>,
}

/// A prescription for home delivery.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionBody {
    /// Pharmacy site; required for admins, implied for pharmacists.
    pub site_id: Option<Uuid>,
    /// The patient.
    pub patient: PatientBody,
    /// Number of parcels, ≥ 1.
    pub parcels: i64,
    /// Cold chain: max minutes between pickup and handover (e.g. insulin).
    pub cold_chain_max_minutes: Option<i64>,
    /// Controlled medicine: handed over only against the PIN given to the patient.
    #[serde(default)]
    pub controlled: bool,
    /// `urgent` or `routine` (default).
    pub priority: Option<String>,
    /// Ready for pickup at (RFC 3339).
    pub ready_at: DateTime<Utc>,
    /// Deliver by (RFC 3339).
    pub deliver_by: DateTime<Utc>,
    /// Clinical notes: stay at the hospital, never sent to couriers.
    pub clinical_notes: Option<String>,
    /// The hospital system's reference.
    pub external_ref: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl PrescriptionBody {
    /// Check every field; all problems are reported at once.
    pub fn validate(self) -> Result<NewPrescription, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.patient.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new(
                "patient.name",
                "required",
                "the patient's name is required",
            ));
        } else if name.chars().count() > 200 {
            errors.push(FieldError::new(
                "patient.name",
                "too_long",
                "at most 200 characters",
            ));
        }
        let phone = match non_empty(self.patient.phone) {
            Some(p) => match Phone::parse(&p) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(FieldError::new(
                        "patient.phone",
                        "invalid_phone",
                        e.to_string(),
                    ));
                    None
                }
            },
            None => None,
        };
        let location = self
            .patient
            .location
            .and_then(|l| match LatLon::new(l.lat, l.lon) {
                Ok(p) => Some(p),
                Err(e) => {
                    let field = if matches!(e, crate::domain::LatLonError::Latitude(_)) {
                        "lat"
                    } else {
                        "lon"
                    };
                    errors.push(FieldError::new(
                        format!("patient.location.{field}"),
                        "out_of_range",
                        e.to_string(),
                    ));
                    None
                }
            });
        let location_text = non_empty(self.patient.location_text);
        if location.is_some() && location_text.is_some() {
            errors.push(FieldError::new(
                "patient.location_text",
                "conflicting_location",
                "give either location or location_text, not both",
            ));
        }
        if !(1..=50).contains(&self.parcels) {
            errors.push(FieldError::new(
                "parcels",
                "out_of_range",
                format!("parcels must be 1 to 50, got {}", self.parcels),
            ));
        }
        if let Some(m) = self.cold_chain_max_minutes
            && !(5..=24 * 60).contains(&m)
        {
            errors.push(FieldError::new(
                "cold_chain_max_minutes",
                "out_of_range",
                format!("must be 5 to 1440 minutes, got {m}"),
            ));
        }
        let priority = match self.priority.as_deref() {
            None => Priority::Routine,
            Some(p) => p.parse().unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "priority",
                    "invalid_value",
                    format!("expected urgent or routine, got {p:?}"),
                ));
                Priority::Routine
            }),
        };
        let window = TimeWindow::new(self.ready_at, self.deliver_by)
            .map_err(|e| {
                errors.push(FieldError::new(
                    "deliver_by",
                    "window_inverted",
                    e.to_string(),
                ))
            })
            .ok();
        match window {
            Some(window) if errors.is_empty() => Ok(NewPrescription {
                site_id: self.site_id.map(SiteId),
                patient_name: name,
                phone,
                address: self.patient.address.trim().to_owned(),
                landmark: self.patient.landmark.trim().to_owned(),
                location,
                location_text,
                medical_record_no: non_empty(self.patient.medical_record_no),
                parcels: u32::try_from(self.parcels).unwrap_or(1),
                cold_chain_max_minutes: self
                    .cold_chain_max_minutes
                    .and_then(|m| u32::try_from(m).ok()),
                controlled: self.controlled,
                priority,
                window,
                clinical_notes: non_empty(self.clinical_notes),
                external_ref: non_empty(self.external_ref),
            }),
            _ => Err(errors),
        }
    }
}

/// An order as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    /// Id.
    pub id: Uuid,
    /// `meal` or `medicine`.
    pub kind: String,
    /// Status (see DESIGN.md section 3).
    pub status: String,
    /// Pickup site.
    pub site_id: Uuid,
    /// Recipient record (meals).
    pub recipient_id: Option<Uuid>,
    /// Enrolment (meals).
    pub enrolment_id: Option<Uuid>,
    /// Local date of a meal.
    pub meal_date: Option<NaiveDate>,
    /// Meal name.
    pub meal_name: Option<String>,
    /// Who receives it.
    pub recipient_name: String,
    /// Phone (+62).
    pub phone: Option<String>,
    /// Address.
    pub address: String,
    /// Landmark.
    pub landmark: String,
    /// Drop location.
    pub location: Option<Location>,
    /// How the location was obtained.
    pub location_source: Option<String>,
    /// How far the true drop point may be from `location`, in metres.
    pub location_precision_m: Option<f64>,
    /// Metres from the pin to the nearest ridable road (measured at intake).
    pub snap_distance_m: Option<f64>,
    /// True when that distance is beyond the snapping limit: staff should check the pin
    /// (rural homes can be a walk from the last ridable track).
    pub far_from_road: bool,
    /// Window start (UTC).
    pub window_start: DateTime<Utc>,
    /// Window end (UTC).
    pub window_end: DateTime<Utc>,
    /// Parcels.
    pub parcels: i64,
    /// Meal tins.
    pub meal_tins: i64,
    /// `urgent` or `routine`.
    pub priority: String,
    /// Cold chain limit.
    pub cold_chain_max_minutes: Option<i64>,
    /// Controlled medicine.
    pub controlled: bool,
    /// Clinical notes (hospital staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_notes: Option<String>,
    /// Hospital reference.
    pub external_ref: Option<String>,
    /// Medical record number.
    pub medical_record_no: Option<String>,
    /// Delivery attempt.
    pub attempt: i64,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Updated at.
    pub updated_at: DateTime<Utc>,
    /// The handover PIN for controlled medicine; only in the answer that created the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handover_pin: Option<String>,
    /// Status history (single-order reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryView>>,
}

/// One status change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryView {
    /// Before.
    pub from: Option<String>,
    /// After.
    pub to: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When (UTC).
    pub at: DateTime<Utc>,
}

impl OrderView {
    /// Shape an order for a caller with `role` (clinical notes only for hospital staff).
    pub fn new(o: Order, role: Role) -> Self {
        Self::with_limit(o, role, crate::roads::DEFAULT_SNAP_LIMIT_M)
    }

    /// Shape an order, flagging pins farther than `snap_limit_m` from a ridable road.
    pub fn with_limit(o: Order, role: Role, snap_limit_m: f64) -> Self {
        Self {
            far_from_road: o.snap_distance_m.is_some_and(|d| d > snap_limit_m),
            snap_distance_m: o.snap_distance_m.map(|d| (d * 10.0).round() / 10.0),
            id: o.id.0,
            kind: o.kind.as_str().into(),
            status: o.status.as_str().into(),
            site_id: o.site_id.0,
            recipient_id: o.recipient_id.map(|r| r.0),
            enrolment_id: o.enrolment_id.map(|e| e.0),
            meal_date: o.meal_date,
            meal_name: o.meal_name,
            recipient_name: o.recipient_name,
            phone: o.phone.map(String::from),
            address: o.address,
            landmark: o.landmark,
            location: o.location.map(|l| Location {
                lat: l.lat(),
                lon: l.lon(),
            }),
            location_source: o.location_source,
            location_precision_m: o.location_precision_m.map(|m| m.round()),
            window_start: o.window.start(),
            window_end: o.window.end(),
            parcels: o.parcels,
            meal_tins: o.meal_tins,
            priority: o.priority.as_str().into(),
            cold_chain_max_minutes: o.cold_chain_max_minutes,
            controlled: o.controlled,
            clinical_notes: if matches!(role, Role::Admin | Role::Pharmacist) {
                o.clinical_notes
            } else {
                None
            },
            external_ref: o.external_ref,
            medical_record_no: o.medical_record_no,
            attempt: o.attempt,
            created_at: o.created_at,
            updated_at: o.updated_at,
            handover_pin: None,
            history: None,
        }
    }

    fn with_history(mut self, events: Vec<OrderEvent>) -> Self {
        self.history = Some(
            events
                .into_iter()
                .map(|e| HistoryView {
                    from: e.from.map(|s| s.as_str().into()),
                    to: e.to.as_str().into(),
                    reason: e.reason,
                    actor: e.actor,
                    at: e.at,
                })
                .collect(),
        );
        self
    }
}

fn view(state: &AppState, o: Order, role: Role) -> OrderView {
    let limit = state
        .dispatch
        .snap_limit_m()
        .unwrap_or(crate::roads::DEFAULT_SNAP_LIMIT_M);
    OrderView::with_limit(o, role, limit)
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let k = v.to_str().map_err(|_| {
                ApiError::field("Idempotency-Key", "invalid_header", "must be visible ASCII")
            })?;
            if k.is_empty() || k.len() > 200 {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "invalid_header",
                    "must be 1 to 200 characters",
                ));
            }
            Ok(Some(k.to_owned()))
        }
    }
}

/// Submit a prescription for home delivery.
#[utoipa::path(post, path = "/api/v1/prescriptions", tag = "prescriptions",
    request_body = PrescriptionBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: same key and body return the same order")),
    responses(
        (status = 201, description = "Created", body = OrderView),
        (status = 200, description = "Already created with this Idempotency-Key", body = OrderView),
        (status = 409, description = "Idempotency-Key reused with another body", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem)),
    security(("bearer" = [])))]
pub async fn create_prescription(
    State(state): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    ApiJson(body, raw): ApiJson<PrescriptionBody>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let np = body.validate().map_err(ApiError::invalid)?;
    let hash = sha256_hex(&raw);
    let created = state
        .dispatch
        .create_prescription(&who, key.as_deref().map(|k| (k, hash.as_str())), np)
        .await?;
    let status = if created.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut view = view(&state, created.order, who.role);
    view.handover_pin = created.pin;
    let location = format!("/api/v1/prescriptions/{}", view.id);
    Ok((status, [(header::LOCATION, location)], Json(view)).into_response())
}

/// Query parameters for listing orders.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Status filter.
    pub status: Option<String>,
    /// Local date (YYYY-MM-DD) of the delivery window.
    pub date: Option<NaiveDate>,
    /// `meal` or `medicine` (orders route only).
    pub kind: Option<String>,
    /// Site filter (admins and social workers).
    pub site_id: Option<Uuid>,
    /// Page, from 1.
    pub page: Option<u32>,
    /// Page size, 1..500 (default 50).
    pub per_page: Option<u32>,
}

fn list_filter(q: ListQuery) -> ApiResult<ListOrders> {
    let status = q
        .status
        .map(|s| {
            s.parse::<OrderStatus>()
                .map_err(|e| ApiError::field("status", "invalid_value", e.to_string()))
        })
        .transpose()?;
    let kind = q
        .kind
        .map(|k| {
            k.parse()
                .map_err(|_| ApiError::field("kind", "invalid_value", "expected meal or medicine"))
        })
        .transpose()?;
    Ok(ListOrders {
        kind,
        status,
        date: q.date,
        site_id: q.site_id.map(SiteId),
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(50),
    })
}

/// List prescriptions (a pharmacist sees only their own site's).
#[utoipa::path(get, path = "/api/v1/prescriptions", tag = "prescriptions", params(ListQuery),
    responses((status = 200, body = Vec<OrderView>)), security(("bearer" = [])))]
pub async fn list_prescriptions(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<OrderView>>> {
    let mut f = list_filter(q)?;
    f.kind = Some(crate::domain::OrderKind::Medicine);
    let orders = state.dispatch.list_orders(&who, f).await?;
    Ok(Json(
        orders
            .into_iter()
            .map(|o| view(&state, o, who.role))
            .collect(),
    ))
}

/// List orders of both kinds (admins and social workers).
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(ListQuery),
    responses((status = 200, body = Vec<OrderView>)), security(("bearer" = [])))]
pub async fn list_orders(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<OrderView>>> {
    let orders = state.dispatch.list_orders(&who, list_filter(q)?).await?;
    Ok(Json(
        orders
            .into_iter()
            .map(|o| view(&state, o, who.role))
            .collect(),
    ))
}

/// One order with its history.
#[utoipa::path(get, path = "/api/v1/prescriptions/{id}", tag = "prescriptions",
    params(("id" = Uuid, Path)), responses((status = 200, body = OrderView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get_prescription(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<OrderView>> {
    let (order, events) = state.dispatch.order(&who, OrderId(id)).await?;
    Ok(Json(view(&state, order, who.role).with_history(events)))
}

/// A cancellation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// Cancel an order before pickup.
#[utoipa::path(post, path = "/api/v1/prescriptions/{id}/cancel", tag = "prescriptions",
    params(("id" = Uuid, Path)), request_body = CancelBody,
    responses((status = 200, body = OrderView), (status = 409, description = "Already picked up", body = Problem)),
    security(("bearer" = [])))]
pub async fn cancel_prescription(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<CancelBody>,
) -> ApiResult<Json<OrderView>> {
    let reason = if body.reason.trim().is_empty() {
        "cancelled by staff"
    } else {
        body.reason.trim()
    };
    let order = state
        .dispatch
        .cancel_order(&who, OrderId(id), reason)
        .await?;
    Ok(Json(view(&state, order, who.role)))
}

/// Query for CSV import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Store the good rows even when some are rejected.
    #[serde(default)]
    pub partial: bool,
}

/// The per-row outcome of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportView {
    /// Whether any row was stored.
    pub committed: bool,
    /// Rows stored.
    pub created: Vec<ImportedRow>,
    /// Rows refused, with reasons.
    pub rejected: Vec<RejectedRow>,
}

/// A stored row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedRow {
    /// Line in the file (the header is line 1).
    pub row: usize,
    /// The new order.
    pub id: Uuid,
    /// Handover PIN for controlled medicine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handover_pin: Option<String>,
}

/// A refused row.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedRow {
    /// Line in the file.
    pub row: usize,
    /// Why, per column.
    pub errors: Vec<super::error::ProblemField>,
}

/// The CSV columns, in any order; `patient_name`, `parcels`, `ready_at` and `deliver_by` are required.
pub const CSV_COLUMNS: [&str; 17] = [
    "site_id",
    "patient_name",
    "phone",
    "address",
    "landmark",
    "lat",
    "lon",
    "location",
    "medical_record_no",
    "parcels",
    "cold_chain_max_minutes",
    "controlled",
    "priority",
    "ready_at",
    "deliver_by",
    "clinical_notes",
    "external_ref",
];

fn csv_row(
    headers: &csv::StringRecord,
    rec: &csv::StringRecord,
) -> Result<NewPrescription, Vec<FieldError>> {
    let get = |name: &str| -> Option<String> {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .and_then(|i| rec.get(i))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let mut errors = Vec::new();
    let mut required = |name: &str| {
        get(name).or_else(|| {
            errors.push(FieldError::new(
                name,
                "required",
                format!("column {name} is empty"),
            ));
            None
        })
    };
    let name = required("patient_name");
    let parcels = required("parcels");
    let ready = required("ready_at");
    let deliver = required("deliver_by");
    let num = |errors: &mut Vec<FieldError>, col: &str, v: Option<String>| -> Option<f64> {
        v.and_then(|s| {
            s.replace(',', ".")
                .parse::<f64>()
                .map_err(|_| {
                    errors.push(FieldError::new(
                        col,
                        "not_a_number",
                        format!("{s:?} is not a number"),
                    ))
                })
                .ok()
        })
    };
    let int = |errors: &mut Vec<FieldError>, col: &str, v: Option<String>| -> Option<i64> {
        v.and_then(|s| {
            s.parse::<i64>()
                .map_err(|_| {
                    errors.push(FieldError::new(
                        col,
                        "not_an_integer",
                        format!("{s:?} is not a whole number"),
                    ))
                })
                .ok()
        })
    };
    let time =
        |errors: &mut Vec<FieldError>, col: &str, v: Option<String>| -> Option<DateTime<Utc>> {
            v.and_then(|s| {
                DateTime::parse_from_rfc3339(&s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        errors.push(FieldError::new(
                            col,
                            "invalid_time",
                            format!("{s:?} is not an RFC 3339 time like 2026-12-01T09:00:00+07:00"),
                        ))
                    })
                    .ok()
            })
        };
    let lat = num(&mut errors, "lat", get("lat"));
    let lon = num(&mut errors, "lon", get("lon"));
    let location = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(Location { lat, lon }),
        (None, None) => None,
        _ => {
            errors.push(FieldError::new(
                "lat",
                "incomplete_location",
                "give both lat and lon, or neither",
            ));
            None
        }
    };
    let parcels = int(&mut errors, "parcels", parcels);
    let cold = int(
        &mut errors,
        "cold_chain_max_minutes",
        get("cold_chain_max_minutes"),
    );
    let controlled = match get("controlled").map(|s| s.to_ascii_lowercase()) {
        None => false,
        Some(s) if ["1", "true", "yes", "ya", "y"].contains(&s.as_str()) => true,
        Some(s) if ["0", "false", "no", "tidak", "n"].contains(&s.as_str()) => false,
        Some(s) => {
            errors.push(FieldError::new(
                "controlled",
                "invalid_value",
                format!("{s:?}: expected yes/no"),
            ));
            false
        }
    };
    let ready = time(&mut errors, "ready_at", ready);
    let deliver = time(&mut errors, "deliver_by", deliver);
    let site_id = get("site_id").and_then(|s| {
        s.parse::<Uuid>()
            .map_err(|_| {
                errors.push(FieldError::new(
                    "site_id",
                    "invalid_value",
                    format!("{s:?} is not a site id"),
                ))
            })
            .ok()
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(name), Some(parcels), Some(ready_at), Some(deliver_by)) =
        (name, parcels, ready, deliver)
    else {
        return Err(errors);
    };
    PrescriptionBody {
        site_id,
        patient: PatientBody {
            name,
            phone: get("phone"),
            address: get("address").unwrap_or_default(),
            landmark: get("landmark").unwrap_or_default(),
            location,
            location_text: get("location"),
            medical_record_no: get("medical_record_no"),
        },
        parcels,
        cold_chain_max_minutes: cold,
        controlled,
        priority: get("priority"),
        ready_at,
        deliver_by,
        clinical_notes: get("clinical_notes"),
        external_ref: get("external_ref"),
    }
    .validate()
    .map_err(|errs| {
        errs.into_iter()
            .map(|mut e| {
                e.field = match e.field.as_str() {
                    "patient.name" => "patient_name".into(),
                    "patient.phone" => "phone".into(),
                    "patient.location.lat" => "lat".into(),
                    "patient.location.lon" => "lon".into(),
                    _ => e.field,
                };
                e
            })
            .collect()
    })
}

/// The 1-based line where a record starts. The reader reports the offset where it began
/// reading, before any blank lines it skipped, so those are stepped over first.
fn line_of(bytes: &[u8], offset: u64) -> usize {
    let mut start = usize::try_from(offset)
        .unwrap_or(bytes.len())
        .min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
        start += 1;
    }
    bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Parse a prescriptions CSV (header row, columns in [`CSV_COLUMNS`], any order) into rows
/// keyed by their line in the file. A problem with the file as a whole (header, no rows) is an
/// error; a bad row is that row's list of field errors. Used by the API and `antar import`.
#[allow(clippy::type_complexity)]
pub fn parse_prescriptions_csv(
    bytes: &[u8],
) -> Result<Vec<(usize, Result<NewPrescription, Vec<FieldError>>)>, FieldError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| FieldError::new("header", "invalid_csv", format!("line 1: {e}")))?
        .clone();
    for col in ["patient_name", "parcels", "ready_at", "deliver_by"] {
        if !headers.iter().any(|h| h.eq_ignore_ascii_case(col)) {
            return Err(FieldError::new(
                col,
                "missing_column",
                format!("line 1: the header has no {col} column"),
            ));
        }
    }
    if let Some(unknown) = headers
        .iter()
        .find(|h| !CSV_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(h)))
    {
        return Err(FieldError::new(
            unknown,
            "unknown_column",
            format!("line 1: unknown column {unknown:?}"),
        ));
    }
    let mut rows = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| line_of(bytes, p.byte()));
                if rec.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                rows.push((line, csv_row(&headers, &rec)));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_of(bytes, p.byte()));
                rows.push((
                    line,
                    Err(vec![FieldError::new("row", "invalid_csv", e.to_string())]),
                ));
            }
        }
    }
    if rows.is_empty() {
        return Err(FieldError::new(
            "body",
            "empty_file",
            "the file has a header but no rows",
        ));
    }
    Ok(rows)
}

/// Import many prescriptions from CSV (`Content-Type: text/csv`). Without `partial=true`, one
/// bad row means nothing is stored; the answer lists every row's outcome.
#[utoipa::path(post, path = "/api/v1/prescriptions/import", tag = "prescriptions", params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "Header row with columns: site_id, patient_name, phone, address, landmark, lat, lon, location, medical_record_no, parcels, cold_chain_max_minutes, controlled, priority, ready_at, deliver_by, clinical_notes, external_ref"),
    responses((status = 201, body = ImportReportView), (status = 422, body = ImportReportView)),
    security(("bearer" = [])))]
pub async fn import_prescriptions(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ImportQuery>,
    req: Request,
) -> ApiResult<Response> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !ct.starts_with("text/csv") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported content type",
            "send the file with Content-Type: text/csv",
        ));
    }
    let bytes = read_body(req, &state).await?;
    let rows = parse_prescriptions_csv(&bytes).map_err(|e| ApiError::invalid(vec![e]))?;
    let report = state
        .dispatch
        .import_prescriptions(&who, rows, q.partial)
        .await?;
    let status = if report.committed {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = ImportReportView {
        committed: report.committed,
        created: report
            .created
            .into_iter()
            .map(|(row, id, pin)| ImportedRow {
                row,
                id: id.0,
                handover_pin: pin,
            })
            .collect(),
        rejected: report
            .rejected
            .into_iter()
            .map(|(row, errs)| RejectedRow {
                row,
                errors: errs.into_iter().map(Into::into).collect(),
            })
            .collect(),
    };
    Ok((status, Json(view)).into_response())
}
