//! The pharmacy page: a prescription form (the API's prescription fields, times in local time,
//! the location as typed: coordinates, a maps link or a Plus Code), the handover PIN shown once
//! after submit, and the site's orders of a day with their state; and one order's page with its
//! history (every state change with its local time, reason and actor).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::{Staff, WebState, failure, layout};
use crate::crypto::sha256_hex;
use crate::dispatch::intake::{Created, ListOrders, NewPrescription};
use crate::dispatch::{DispatchError, FieldError};
use crate::domain::records::{Order, Site};
use crate::domain::time::{TimeWindow, local_to_utc};
use crate::domain::{OrderKind, Phone, Priority, Role, SiteId, SiteKind};

/// The prescription form, every field as typed. Names follow the API body's field paths, so
/// errors from the use case land next to the right field.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct PrescriptionForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    _nonce: String,
    #[serde(default)]
    site_id: String,
    #[serde(default, rename = "patient.name")]
    name: String,
    #[serde(default, rename = "patient.phone")]
    phone: String,
    #[serde(default, rename = "patient.address")]
    address: String,
    #[serde(default, rename = "patient.landmark")]
    landmark: String,
    #[serde(default, rename = "patient.location_text")]
    location: String,
    #[serde(default, rename = "patient.medical_record_no")]
    medical_record_no: String,
    #[serde(default)]
    parcels: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    cold_chain_max_minutes: String,
    #[serde(default)]
    controlled: Option<String>,
    #[serde(default)]
    ready_at: String,
    #[serde(default)]
    deliver_by: String,
    #[serde(default)]
    clinical_notes: String,
    #[serde(default)]
    external_ref: String,
}

/// `?date=` for the order list.
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    date: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M";

impl PrescriptionForm {
    /// Check the fields the form owns (numbers, times); the use case checks the rest.
    fn parse(&self, tz: chrono_tz::Tz) -> Result<NewPrescription, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new(
                "patient.name",
                "required",
                "nama pasien wajib diisi / the patient's name is required",
            ));
        } else if name.chars().count() > 200 {
            errors.push(FieldError::new(
                "patient.name",
                "too_long",
                "paling banyak 200 huruf / at most 200 characters",
            ));
        }
        let phone = opt(&self.phone).and_then(|p| match Phone::parse(&p) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(FieldError::new(
                    "patient.phone",
                    "invalid_phone",
                    e.to_string(),
                ));
                None
            }
        });
        let parcels = match self.parcels.trim().parse::<u32>() {
            Ok(n) if (1..=50).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "parcels",
                    "out_of_range",
                    "isi 1 sampai 50 / give 1 to 50",
                ));
                1
            }
        };
        let cold = match opt(&self.cold_chain_max_minutes) {
            None => None,
            Some(m) => match m.parse::<u32>() {
                Ok(m) if (5..=1440).contains(&m) => Some(m),
                _ => {
                    errors.push(FieldError::new(
                        "cold_chain_max_minutes",
                        "out_of_range",
                        "isi 5 sampai 1440 menit / give 5 to 1440 minutes",
                    ));
                    None
                }
            },
        };
        let priority = match self.priority.trim() {
            "" | "routine" => Priority::Routine,
            "urgent" => Priority::Urgent,
            other => {
                errors.push(FieldError::new(
                    "priority",
                    "invalid_value",
                    format!("expected urgent or routine, got {other:?}"),
                ));
                Priority::Routine
            }
        };
        let mut time =
            |field: &str, v: &str| match NaiveDateTime::parse_from_str(v.trim(), LOCAL_FORMAT) {
                Ok(t) => Some(local_to_utc(t.date(), t.time(), tz)),
                Err(_) => {
                    errors.push(FieldError::new(
                        field,
                        "invalid_time",
                        "isi tanggal dan jam / give a date and time",
                    ));
                    None
                }
            };
        let ready = time("ready_at", &self.ready_at);
        let by = time("deliver_by", &self.deliver_by);
        let window = match (ready, by) {
            (Some(a), Some(b)) => match TimeWindow::new(a, b) {
                Ok(w) => Some(w),
                Err(e) => {
                    errors.push(FieldError::new(
                        "deliver_by",
                        "window_inverted",
                        e.to_string(),
                    ));
                    None
                }
            },
            _ => None,
        };
        let site_id = opt(&self.site_id).and_then(|s| match s.parse::<uuid::Uuid>() {
            Ok(u) => Some(SiteId(u)),
            Err(_) => {
                errors.push(FieldError::new(
                    "site_id",
                    "unknown_site",
                    "pilih farmasi / choose a pharmacy",
                ));
                None
            }
        });
        match window {
            Some(window) if errors.is_empty() => Ok(NewPrescription {
                site_id,
                patient_name: name,
                phone,
                address: self.address.trim().to_owned(),
                landmark: self.landmark.trim().to_owned(),
                location: None,
                location_text: opt(&self.location),
                medical_record_no: opt(&self.medical_record_no),
                parcels,
                cold_chain_max_minutes: cold,
                controlled: self.controlled.is_some(),
                priority,
                window,
                clinical_notes: opt(&self.clinical_notes),
                external_ref: opt(&self.external_ref),
            }),
            _ => Err(errors),
        }
    }

    /// A blank form with sensible times: ready now, delivered within four hours.
    fn blank(tz: chrono_tz::Tz) -> Self {
        let now = crate::clock::now().with_timezone(&tz).naive_local();
        let now = now
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(now);
        Self {
            _nonce: new_nonce(),
            parcels: "1".into(),
            ready_at: now.format(LOCAL_FORMAT).to_string(),
            deliver_by: (now + Duration::hours(4)).format(LOCAL_FORMAT).to_string(),
            ..Self::default()
        }
    }
}

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

enum Outcome {
    None,
    Created(Box<Created>),
}

struct View<'a> {
    staff: &'a Staff,
    form: PrescriptionForm,
    errors: Vec<FieldError>,
    outcome: Outcome,
    pharmacies: Vec<Site>,
    orders: Vec<Order>,
    date: NaiveDate,
    tz: chrono_tz::Tz,
}

async fn orders_and_sites(
    state: &WebState,
    staff: &Staff,
    date: NaiveDate,
) -> Result<(Vec<Order>, Vec<Site>), DispatchError> {
    let orders = state
        .dispatch
        .list_orders(
            &staff.principal,
            ListOrders {
                kind: Some(OrderKind::Medicine),
                status: None,
                date: Some(date),
                site_id: None,
                page: 1,
                per_page: 500,
            },
        )
        .await?;
    let sites = state
        .dispatch
        .sites(&staff.principal)
        .await?
        .into_iter()
        .filter(|s| s.kind == SiteKind::Pharmacy)
        .filter(|s| staff.principal.site_scope().is_none_or(|own| own == s.id))
        .collect();
    Ok((orders, sites))
}

/// Only pharmacists and admins submit prescriptions.
fn refusal(staff: &Staff) -> Option<Response> {
    (!matches!(staff.user.role, Role::Pharmacist | Role::Admin)).then(|| {
        failure(
            staff.lang,
            DispatchError::Forbidden(staff.user.role.as_str()),
        )
    })
}

/// `GET /pharmacy`
pub async fn page(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<DayQuery>,
) -> Response {
    if let Some(r) = refusal(&staff) {
        return r;
    }
    let tz = state.dispatch.tz();
    let date = NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d")
        .unwrap_or_else(|_| state.dispatch.local_date(crate::clock::now()));
    let (orders, pharmacies) = match orders_and_sites(&state, &staff, date).await {
        Ok(x) => x,
        Err(e) => return failure(staff.lang, e),
    };
    render(
        StatusCode::OK,
        View {
            staff: &staff,
            form: PrescriptionForm::blank(tz),
            errors: Vec::new(),
            outcome: Outcome::None,
            pharmacies,
            orders,
            date,
            tz,
        },
    )
}

/// `POST /pharmacy`
pub async fn submit(
    State(state): State<WebState>,
    staff: Staff,
    Form(form): Form<PrescriptionForm>,
) -> Response {
    if let Some(r) = refusal(&staff) {
        return r;
    }
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    let tz = state.dispatch.tz();
    let date = state.dispatch.local_date(crate::clock::now());
    let result = match form.parse(tz) {
        Ok(np) => {
            // The form's nonce is the idempotency key: a reload or double click creates one order.
            let mut fingerprint = form.clone();
            fingerprint._csrf.clear();
            let body = sha256_hex(
                serde_json::to_string(&fingerprint)
                    .unwrap_or_default()
                    .as_bytes(),
            );
            let nonce = form._nonce.trim().to_owned();
            let idem = (!nonce.is_empty()).then_some((nonce.as_str(), body.as_str()));
            state
                .dispatch
                .create_prescription(&staff.principal, idem, np)
                .await
        }
        Err(errors) => Err(DispatchError::Invalid(errors)),
    };
    let (status, form, errors, outcome) = match result {
        Ok(created) => (
            StatusCode::OK,
            PrescriptionForm::blank(tz),
            Vec::new(),
            Outcome::Created(Box::new(created)),
        ),
        Err(DispatchError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
            Outcome::None,
        ),
        Err(e) => return failure(staff.lang, e),
    };
    let (orders, pharmacies) = match orders_and_sites(&state, &staff, date).await {
        Ok(x) => x,
        Err(e) => return failure(staff.lang, e),
    };
    render(
        status,
        View {
            staff: &staff,
            form,
            errors,
            outcome,
            pharmacies,
            orders,
            date,
            tz,
        },
    )
}

fn render(status: StatusCode, v: View<'_>) -> Response {
    let l = v.staff.lang;
    let mut by_field: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &v.errors {
        let field = match e.field.as_str() {
            "location" => "patient.location_text",
            f => f,
        };
        by_field.entry(field).or_default().push(&e.reason);
    }
    let f = &v.form;
    let field = |name: &'static str, label: &str, input: Markup| -> Markup {
        let errs = by_field.get(name);
        html! {
            div {
                label for=(name) { (label) }
                (input)
                @if let Some(errs) = errs {
                    @for e in errs { p.err id={ (name) "-err" } { (e) } }
                }
            }
        }
    };
    let text = |name: &'static str, value: &str, required: bool| -> Markup {
        let invalid = by_field.contains_key(name);
        html! {
            input type="text" id=(name) name=(name) value=(value) required[required]
                aria-invalid=[invalid.then_some("true")]
                aria-describedby=[invalid.then(|| format!("{name}-err"))];
        }
    };
    let body = html! {
        main {
            h1 { (l.t("Resep untuk diantar", "Prescriptions for delivery")) }
            @if let Outcome::Created(c) = &v.outcome {
                div.ok role="status" {
                    @if c.created {
                        p { (l.t("Resep tersimpan untuk ", "Prescription saved for ")) strong { (c.order.recipient_name) } "." }
                    } @else {
                        p { (l.t("Resep ini sudah tersimpan sebelumnya.", "This prescription was already saved.")) }
                    }
                    @if let Some(pin) = &c.pin {
                        p { (l.t("PIN serah terima (tampil sekali, berikan ke pasien):", "Handover PIN (shown once, give it to the patient):")) }
                        p.pin #pin { (pin) }
                    }
                }
            }
            @if !v.errors.is_empty() {
                div.notice role="alert" {
                    p { (l.t("Periksa isian yang ditandai.", "Check the marked fields.")) }
                    ul { @for e in &v.errors { li { (e.field) ": " (e.reason) } } }
                }
            }
            form #prescription method="post" action="/pharmacy" {
                input type="hidden" name="_csrf" value=(v.staff.csrf);
                input type="hidden" name="_nonce" value=(f._nonce);
                @if v.staff.principal.site_scope().is_none() {
                    (field("site_id", l.t("Farmasi", "Pharmacy"), html! {
                        select #site_id name="site_id" required {
                            option value="" { "–" }
                            @for s in &v.pharmacies {
                                option value=(s.id) selected[f.site_id == s.id.to_string()] { (s.name) }
                            }
                        }
                    }))
                }
                (field("patient.name", l.t("Nama pasien", "Patient name"), text("patient.name", &f.name, true)))
                (field("patient.phone", l.t("Telepon", "Phone"), text("patient.phone", &f.phone, false)))
                (field("patient.address", l.t("Alamat", "Address"), text("patient.address", &f.address, false)))
                (field("patient.landmark", l.t("Patokan", "Landmark"), text("patient.landmark", &f.landmark, false)))
                (field("patient.location_text", l.t("Lokasi (koordinat, tautan peta, atau Plus Code)", "Location (coordinates, map link or Plus Code)"), text("patient.location_text", &f.location, false)))
                (field("patient.medical_record_no", l.t("No. RM", "Medical record no."), text("patient.medical_record_no", &f.medical_record_no, false)))
                (field("parcels", l.t("Jumlah paket", "Parcels"), html! {
                    input #parcels type="number" name="parcels" min="1" max="50" required value=(f.parcels);
                }))
                (field("priority", l.t("Prioritas", "Priority"), html! {
                    select #priority name="priority" {
                        option value="routine" selected[f.priority != "urgent"] { (l.t("biasa", "routine")) }
                        option value="urgent" selected[f.priority == "urgent"] { (l.t("segera", "urgent")) }
                    }
                }))
                (field("cold_chain_max_minutes", l.t("Rantai dingin: menit maksimal (kosongkan bila tidak)", "Cold chain: maximum minutes (empty if none)"), html! {
                    input #cold_chain_max_minutes type="number" name="cold_chain_max_minutes" min="5" max="1440" value=(f.cold_chain_max_minutes);
                }))
                div {
                    label for="controlled" {
                        input #controlled type="checkbox" name="controlled" value="1" checked[f.controlled.is_some()];
                        " " (l.t("Obat terkontrol (serah terima dengan PIN)", "Controlled medicine (handover with PIN)"))
                    }
                }
                (field("ready_at", l.t("Siap diambil (waktu setempat)", "Ready at (local time)"), html! {
                    input #ready_at type="datetime-local" name="ready_at" required value=(f.ready_at);
                }))
                (field("deliver_by", l.t("Antar paling lambat (waktu setempat)", "Deliver by (local time)"), html! {
                    input #deliver_by type="datetime-local" name="deliver_by" required value=(f.deliver_by);
                }))
                (field("clinical_notes", l.t("Catatan klinis (tidak dikirim ke kurir)", "Clinical notes (never sent to couriers)"), html! {
                    textarea #clinical_notes name="clinical_notes" rows="2" { (f.clinical_notes) }
                }))
                (field("external_ref", l.t("Nomor rujukan rumah sakit", "Hospital reference"), text("external_ref", &f.external_ref, false)))
                p { button type="submit" { (l.t("Kirim resep", "Submit prescription")) } }
            }
            h2 { (l.t("Pesanan obat", "Medicine orders")) " · " (v.date) }
            div.table-wrap {
                table #orders {
                    thead { tr {
                        th scope="col" { (l.t("Pasien", "Patient")) }
                        th scope="col" { (l.t("Siap", "Ready")) }
                        th scope="col" { (l.t("Paling lambat", "Deliver by")) }
                        th scope="col" { (l.t("Prioritas", "Priority")) }
                        th scope="col" { (l.t("Status", "State")) }
                        th scope="col" { (l.t("Riwayat", "History")) }
                    } }
                    tbody {
                        @for o in &v.orders {
                            tr {
                                td { (o.recipient_name) }
                                td { (o.window.start().with_timezone(&v.tz).format("%H:%M")) }
                                td { (o.window.end().with_timezone(&v.tz).format("%H:%M")) }
                                td { (if o.priority == Priority::Urgent { l.t("segera", "urgent") } else { l.t("biasa", "routine") }) }
                                td class={ "s-" (o.status.as_str()) } { (l.order_status(o.status)) }
                                td { a href={ "/pharmacy/orders/" (o.id) } aria-label={ (l.t("Riwayat ", "History of ")) (o.recipient_name) } { (l.t("Riwayat", "History")) } }
                            }
                        }
                    }
                }
                @if v.orders.is_empty() { p { (l.t("Belum ada pesanan.", "No orders yet.")) } }
            }
        }
    };
    (
        status,
        layout(l, l.t("Resep", "Prescriptions"), Some(v.staff), body),
    )
        .into_response()
}

/// `GET /pharmacy/orders/{id}`: one order and its history. Access as the API's order read
/// (pharmacists: their own site's medicine only; the read is audited there).
pub async fn order_page(
    State(state): State<WebState>,
    staff: Staff,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let l = staff.lang;
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return failure(l, DispatchError::NotFound("order"));
    };
    let (o, history) = match state
        .dispatch
        .order(&staff.principal, crate::domain::OrderId(id))
        .await
    {
        Ok(x) => x,
        Err(e) => return failure(l, e),
    };
    let tz = state.dispatch.tz();
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let body = html! {
        main {
            p { a href="/pharmacy" { (l.t("← Resep", "← Prescriptions")) } }
            h1 { (l.kind(o.kind)) ": " (o.recipient_name) }
            dl #order {
                dt { (l.t("Status", "State")) }
                dd class={ "s-" (o.status.as_str()) } #status { (l.order_status(o.status)) }
                dt { (l.t("Siap – paling lambat", "Ready – deliver by")) }
                dd { (local(o.window.start())) " – " (local(o.window.end())) }
                dt { (l.t("Alamat", "Address")) }
                dd { (o.address) @if !o.landmark.is_empty() { " (" (o.landmark) ")" } }
                dt { (l.t("Lokasi", "Location")) }
                dd {
                    @match o.location {
                        Some(p) => {
                            (crate::domain::location::format(p))
                            @if let Some(s) = &o.location_source { " · " (super::people::source_label(l, s)) }
                            @if let Some(m) = o.location_precision_m { " · " (super::people::precision_text(m)) }
                        }
                        None => { (l.t("belum ada", "none yet")) }
                    }
                }
                dt { (l.t("Percobaan", "Attempt")) }
                dd { (o.attempt) }
            }
            h2 { (l.t("Riwayat", "History")) }
            div.table-wrap {
                table #history {
                    thead { tr {
                        th scope="col" { (l.t("Waktu (setempat)", "Time (local)")) }
                        th scope="col" { (l.t("Dari", "From")) }
                        th scope="col" { (l.t("Menjadi", "To")) }
                        th scope="col" { (l.t("Alasan", "Reason")) }
                        th scope="col" .hide-narrow { (l.t("Oleh", "By")) }
                    } }
                    tbody {
                        @for e in &history {
                            tr {
                                td { time datetime=(e.at.to_rfc3339()) { (local(e.at)) } }
                                td { @if let Some(f) = e.from { (l.order_status(f)) } @else { "–" } }
                                td class={ "s-" (e.to.as_str()) } { (l.order_status(e.to)) }
                                td { (e.reason) }
                                td .hide-narrow { (e.actor) }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(l, l.t("Pesanan", "Order"), Some(&staff), body).into_response()
}
