//! The recipients and enrolments pages: search, create and edit a recipient (phone normalised
//! to +62, the location as typed through the one location parser, the village by code or name
//! with the ambiguity message), the recipient's meal enrolments with create, pause and resume.
//!
//! Owns the forms and their rendering only. Every read and change goes through the `dispatch`
//! use cases the API uses (the same roles: social-service staff and admins; a recipient read is
//! audited there). Must not speak SQL nor depend on `api`.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveTime};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Lang;
use super::{Staff, WebState, failure, layout};
use crate::dispatch::onboarding::VillageLookup;
use crate::dispatch::recipients::CentroidSuggestion;
use crate::dispatch::{DispatchError, FieldError};
use crate::domain::enrolment::{Meal, Pause, PauseReason};
use crate::domain::location::{self, parse_location};
use crate::domain::records::{Enrolment, Recipient, Site};
use crate::domain::{
    EnrolmentId, LocalWindow, Phone, RecipientId, Role, SiteId, SiteKind, Weekdays,
};

/// Rows per page of the search.
const PER_PAGE: u32 = 50;

/// Day names as the form sends them, Monday first, with their labels.
const DAYS: [(&str, &str, &str); 7] = [
    ("mon", "Senin", "Mon"),
    ("tue", "Selasa", "Tue"),
    ("wed", "Rabu", "Wed"),
    ("thu", "Kamis", "Thu"),
    ("fri", "Jumat", "Fri"),
    ("sat", "Sabtu", "Sat"),
    ("sun", "Minggu", "Sun"),
];

/// Pause reasons offered on the form.
const REASONS: [&str; 5] = ["hospitalised", "away", "moved", "died", "other"];

fn reason_label(l: Lang, r: &str) -> &'static str {
    match r {
        "hospitalised" => l.t("dirawat di rumah sakit", "in hospital"),
        "away" => l.t("sedang pergi", "away"),
        "moved" => l.t("pindah (mengakhiri)", "moved (ends it)"),
        "died" => l.t("meninggal (mengakhiri)", "died (ends it)"),
        _ => l.t("lainnya", "other"),
    }
}

/// A location source as staff say it.
pub fn source_label(l: Lang, s: &str) -> &'static str {
    match s {
        "pin" => l.t("koordinat", "coordinates"),
        "plus_code" => "Plus Code",
        "link" => l.t("tautan peta", "map link"),
        "courier_gps" => l.t("GPS kurir", "courier GPS"),
        "village_centroid" => l.t("titik tengah desa", "village centroid"),
        _ => l.t("lainnya", "other"),
    }
}

/// A precision as "± 10 m" / "± 1.2 km".
pub fn precision_text(m: f64) -> String {
    if m >= 1000.0 {
        format!("± {:.1} km", m / 1000.0)
    } else {
        format!("± {} m", m.round().max(1.0))
    }
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn date(field: &str, v: &str, required: bool, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        if required {
            errors.push(FieldError::new(
                field,
                "required",
                "isi tanggal / give a date",
            ));
        }
        return None;
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                "invalid_date",
                "tanggal tidak terbaca (TTTT-BB-HH) / unreadable date (YYYY-MM-DD)",
            ))
        })
        .ok()
}

/// The reasons given for one field.
fn reasons<'a>(errors: &'a [FieldError], name: &str) -> Vec<&'a str> {
    errors
        .iter()
        .filter(|e| e.field == name)
        .map(|e| e.reason.as_str())
        .collect()
}

/// A labelled input with its errors beside it; `id` is unique on the page.
fn field(id: &str, label: &str, errs: &[&str], input: Markup) -> Markup {
    html! {
        div {
            label for=(id) { (label) }
            (input)
            @for e in errs { p.err id={ (id) "-err" } { (e) } }
        }
    }
}

fn text_input(id: &str, name: &str, value: &str, required: bool, invalid: bool) -> Markup {
    html! {
        input type="text" id=(id) name=(name) value=(value) required[required]
            aria-invalid=[invalid.then_some("true")]
            aria-describedby=[invalid.then(|| format!("{id}-err"))];
    }
}

fn error_summary(l: Lang, errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.notice role="alert" {
                p { (l.t("Periksa isian yang ditandai.", "Check the marked fields.")) }
                ul { @for e in errors { li { (e.field) ": " (e.reason) } } }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Search

/// `?q=&village=&page=`; unreadable values are ignored (a page, not an API).
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    page: String,
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /recipients`
pub async fn search(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<SearchQuery>,
) -> Response {
    let l = staff.lang;
    let page = q.page.trim().parse::<u32>().unwrap_or(1).max(1);
    let text = opt(&q.q);
    let village = opt(&q.village);
    let rows = match state
        .dispatch
        .recipients(
            &staff.principal,
            text.as_deref(),
            village.as_deref(),
            page,
            PER_PAGE,
        )
        .await
    {
        Ok(list) => list,
        Err(e) => return failure(l, e),
    };
    // A full page may have a next one.
    let more = rows.len() == PER_PAGE as usize;
    let link = |p: u32| {
        format!(
            "/recipients?q={}&village={}&page={p}",
            enc(&q.q),
            enc(&q.village)
        )
    };
    let body = html! {
        main {
            h1 { (l.t("Penerima", "Recipients")) }
            p { a href="/recipients/new" { (l.t("+ Penerima baru", "+ New recipient")) } " · "
                a href="/upload" { (l.t("Unggah daftar", "Upload a list")) } }
            form.filters method="get" action="/recipients" role="search" {
                div {
                    label for="q" { (l.t("Nama, telepon atau desa", "Name, phone or village")) }
                    input #q type="search" name="q" value=(q.q);
                }
                div {
                    label for="village" { (l.t("Desa (persis)", "Village (exact)")) }
                    input #village type="text" name="village" value=(q.village);
                }
                div { button type="submit" { (l.t("Cari", "Search")) } }
            }
            div.table-wrap {
                table #recipients {
                    thead { tr {
                        th scope="col" { (l.t("Nama", "Name")) }
                        th scope="col" { (l.t("Telepon", "Phone")) }
                        th scope="col" { (l.t("Desa", "Village")) }
                        th scope="col" .hide-narrow { (l.t("Kecamatan", "Kecamatan")) }
                        th scope="col" { (l.t("Lokasi", "Location")) }
                    } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { a href={ "/recipients/" (r.id) } { (r.name) } }
                                td { (r.phone.as_ref().map(|p| p.as_str()).unwrap_or("")) }
                                td { (r.village) }
                                td .hide-narrow { (r.kecamatan) }
                                td {
                                    @match &r.location_source {
                                        Some(s) if r.location.is_some() => { (source_label(l, s)) }
                                        _ => span.s-needs_location { (l.t("perlu lokasi", "needs location")) },
                                    }
                                }
                            }
                        }
                    }
                }
                @if rows.is_empty() { p { (l.t("Tidak ada penerima yang cocok.", "No matching recipients.")) } }
            }
            nav aria-label=(l.t("Halaman", "Pages")) {
                @if page > 1 { a href=(link(page - 1)) rel="prev" { (l.t("← Sebelumnya", "← Previous")) } " " }
                (l.t("Halaman ", "Page ")) (page)
                @if more { " " a href=(link(page + 1)) rel="next" { (l.t("Berikutnya →", "Next →")) } }
            }
        }
    };
    layout(l, l.t("Penerima", "Recipients"), Some(&staff), body).into_response()
}

// ---------------------------------------------------------------------------------------------
// Create and edit

/// The recipient form, every field as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RecipientForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    landmark: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    kecamatan: String,
    #[serde(default)]
    notes: String,
}

impl RecipientForm {
    fn of(r: &Recipient) -> Self {
        Self {
            name: r.name.clone(),
            phone: r
                .phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            address: r.address.clone(),
            landmark: r.landmark.clone(),
            location: r.location.map(location::format).unwrap_or_default(),
            village: r.village.clone(),
            kecamatan: r.kecamatan.clone(),
            notes: r.notes.clone(),
            ..Self::default()
        }
    }

    /// The recipient the form describes; `stored` is the recipient being edited, whose
    /// location (with its source and precision) is kept while its text is unchanged.
    async fn parse(
        &self,
        state: &WebState,
        staff: &Staff,
        id: RecipientId,
        stored: Option<&Recipient>,
    ) -> Result<Recipient, DispatchError> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new(
                "name",
                "required",
                "nama wajib diisi / a name is required",
            ));
        } else if name.chars().count() > 200 {
            errors.push(FieldError::new(
                "name",
                "too_long",
                "paling banyak 200 huruf / at most 200 characters",
            ));
        }
        let phone = opt(&self.phone).and_then(|p| {
            Phone::parse(&p)
                .map_err(|e| errors.push(FieldError::new("phone", "invalid_phone", e.to_string())))
                .ok()
        });
        let (mut village, mut kecamatan) = (
            self.village.trim().to_owned(),
            self.kecamatan.trim().to_owned(),
        );
        let mut village_code = None;
        match state
            .dispatch
            .lookup_village(&staff.principal, &village, &kecamatan)
            .await?
        {
            VillageLookup::Empty | VillageLookup::Unknown => {}
            VillageLookup::Found {
                code,
                name,
                kecamatan: kec,
            } => {
                village = name;
                if !kec.is_empty() {
                    kecamatan = kec;
                }
                village_code = Some(code);
            }
            VillageLookup::Ambiguous(list) => errors.push(FieldError::new(
                "village",
                "ambiguous_village",
                format!(
                    "{village:?} adalah nama {} desa: {}; isi kecamatan atau kode desa / names {} villages: add the kecamatan or a village code",
                    list.len(),
                    list.join(", "),
                    list.len()
                ),
            )),
            VillageLookup::UnknownCode(code) => errors.push(FieldError::new(
                "village",
                "unknown_village_code",
                format!(
                    "tidak ada desa/kelurahan {code} di daftar wilayah / no desa/kelurahan {code} in the area list"
                ),
            )),
        }
        let text = self.location.trim();
        let unchanged = stored.filter(|s| {
            s.location
                .is_some_and(|p| !text.is_empty() && location::format(p) == text)
        });
        // A short map link is followed first, where the server may do so.
        let expanded = if unchanged.is_none() && !text.is_empty() {
            state.dispatch.expand_location_text(text).await
        } else {
            text.to_owned()
        };
        let (point, source, precision) = match unchanged {
            Some(s) => (
                s.location,
                s.location_source.clone(),
                s.location_precision_m,
            ),
            None if text.is_empty() => (None, None, None),
            None => match parse_location(&expanded, None) {
                Ok(p) => (
                    Some(p.point),
                    Some(p.source.as_str().to_owned()),
                    Some(location::recorded_precision_m(&p)),
                ),
                Err(e) => {
                    errors.push(FieldError::new("location", e.code(), e.to_string()));
                    (None, None, None)
                }
            },
        };
        if !errors.is_empty() {
            return Err(DispatchError::Invalid(errors));
        }
        Ok(Recipient {
            id,
            name,
            phone,
            address: self.address.trim().to_owned(),
            landmark: self.landmark.trim().to_owned(),
            location: point,
            location_source: source,
            location_precision_m: precision,
            village,
            kecamatan,
            notes: self.notes.trim().to_owned(),
            village_code,
            nik_last4: stored.and_then(|s| s.nik_last4.clone()),
            medical_record_no: stored.and_then(|s| s.medical_record_no.clone()),
        })
    }
}

/// Social-service staff and admins, as the recipient use cases.
fn refusal(staff: &Staff) -> Option<Response> {
    (!matches!(staff.user.role, Role::SocialWorker | Role::Admin)).then(|| {
        failure(
            staff.lang,
            DispatchError::Forbidden(staff.user.role.as_str()),
        )
    })
}

/// `GET /recipients/new`
pub async fn new_page(staff: Staff) -> Response {
    if let Some(r) = refusal(&staff) {
        return r;
    }
    render_recipient(
        &staff,
        StatusCode::OK,
        RecipientView {
            stored: None,
            form: RecipientForm::default(),
            errors: Vec::new(),
            saved: false,
            suggestion: None,
            enrolments: Vec::new(),
            kitchens: Vec::new(),
            enrolment_errors: None,
        },
    )
}

/// `POST /recipients/new`
pub async fn create(
    State(state): State<WebState>,
    staff: Staff,
    Form(form): Form<RecipientForm>,
) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    if let Some(r) = refusal(&staff) {
        return r;
    }
    let result = match form.parse(&state, &staff, RecipientId::new(), None).await {
        Ok(r) => state.dispatch.create_recipient(&staff.principal, r).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Redirect::to(&format!("/recipients/{}?saved=1", r.id)).into_response(),
        Err(DispatchError::Invalid(errors)) => render_recipient(
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            RecipientView {
                stored: None,
                form,
                errors,
                saved: false,
                suggestion: None,
                enrolments: Vec::new(),
                kitchens: Vec::new(),
                enrolment_errors: None,
            },
        ),
        Err(e) => failure(staff.lang, e),
    }
}

/// `?saved=1` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

/// An id from the path; anything else is a page that does not exist.
fn parse_id(s: &str) -> Result<uuid::Uuid, DispatchError> {
    s.parse::<uuid::Uuid>()
        .map_err(|_| DispatchError::NotFound("record"))
}

/// `GET /recipients/{id}`
pub async fn show(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let id: RecipientId = match parse_id(&id) {
        Ok(u) => RecipientId(u),
        Err(e) => return failure(staff.lang, e),
    };
    page_of(&state, &staff, id, None, Vec::new(), None, q.saved == "1").await
}

/// Load and render a recipient's page, with the form as typed (when re-shown with errors).
async fn page_of(
    state: &WebState,
    staff: &Staff,
    id: RecipientId,
    form: Option<RecipientForm>,
    errors: Vec<FieldError>,
    enrolment_errors: Option<(EnrolmentId, Vec<FieldError>)>,
    saved: bool,
) -> Response {
    let l = staff.lang;
    // The audited read.
    let stored = match state.dispatch.recipient(&staff.principal, id).await {
        Ok(r) => r,
        Err(e) => return failure(l, e),
    };
    let enrolments = match state
        .dispatch
        .enrolments(&staff.principal, Some(id), 1, 100)
        .await
    {
        Ok(e) => e,
        Err(e) => return failure(l, e),
    };
    let kitchens = match state.dispatch.sites(&staff.principal).await {
        Ok(s) => s
            .into_iter()
            .filter(|s| s.kind == SiteKind::Kitchen)
            .collect(),
        Err(e) => return failure(l, e),
    };
    let suggestion = match state
        .dispatch
        .village_centroid_suggestion(&staff.principal, &stored)
        .await
    {
        Ok(s) => s,
        Err(e) => return failure(l, e),
    };
    let status = if errors.is_empty() && enrolment_errors.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_recipient(
        staff,
        status,
        RecipientView {
            form: form.unwrap_or_else(|| RecipientForm::of(&stored)),
            stored: Some(stored),
            errors,
            saved,
            suggestion,
            enrolments,
            kitchens,
            enrolment_errors,
        },
    )
}

/// `POST /recipients/{id}`
pub async fn update(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<RecipientForm>,
) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    let id = match parse_id(&id) {
        Ok(u) => RecipientId(u),
        Err(e) => return failure(staff.lang, e),
    };
    let stored = match state.dispatch.recipient(&staff.principal, id).await {
        Ok(r) => r,
        Err(e) => return failure(staff.lang, e),
    };
    let result = match form.parse(&state, &staff, id, Some(&stored)).await {
        Ok(r) => state.dispatch.update_recipient(&staff.principal, r).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Redirect::to(&format!("/recipients/{}?saved=1", r.id)).into_response(),
        Err(DispatchError::Invalid(errors)) => {
            page_of(&state, &staff, id, Some(form), errors, None, false).await
        }
        Err(e) => failure(staff.lang, e),
    }
}

/// `POST /recipients/{id}/use-centroid`: staff confirm the village centroid as the home
/// location (coarse, but plannable from now on).
pub async fn use_centroid(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    let id = match parse_id(&id) {
        Ok(u) => RecipientId(u),
        Err(e) => return failure(staff.lang, e),
    };
    match state
        .dispatch
        .confirm_village_centroid(&staff.principal, id)
        .await
    {
        Ok(_) => Redirect::to(&format!("/recipients/{id}?saved=1")).into_response(),
        Err(DispatchError::Invalid(errors)) => {
            page_of(&state, &staff, id, None, errors, None, false).await
        }
        Err(e) => failure(staff.lang, e),
    }
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    _csrf: String,
}

struct RecipientView {
    stored: Option<Recipient>,
    form: RecipientForm,
    errors: Vec<FieldError>,
    saved: bool,
    suggestion: Option<CentroidSuggestion>,
    enrolments: Vec<Enrolment>,
    kitchens: Vec<Site>,
    enrolment_errors: Option<(EnrolmentId, Vec<FieldError>)>,
}

fn render_recipient(staff: &Staff, status: StatusCode, v: RecipientView) -> Response {
    let l = staff.lang;
    let f = &v.form;
    let errs = |name: &str| reasons(&v.errors, name);
    let action = match &v.stored {
        Some(r) => format!("/recipients/{}", r.id),
        None => "/recipients/new".to_owned(),
    };
    let title = match &v.stored {
        Some(r) => r.name.clone(),
        None => l.t("Penerima baru", "New recipient").to_owned(),
    };
    let input = |name: &str, value: &str, required: bool| {
        text_input(name, name, value, required, !errs(name).is_empty())
    };
    let body = html! {
        main {
            p { a href="/recipients" { (l.t("← Semua penerima", "← All recipients")) } }
            h1 { (title) }
            @if v.saved { div.ok role="status" { p { (l.t("Tersimpan.", "Saved.")) } } }
            (error_summary(l, &v.errors))
            @if let Some(r) = &v.stored {
                section #location-info aria-label=(l.t("Lokasi tersimpan", "Stored location")) {
                    @match (r.location, &r.location_source) {
                        (Some(p), source) => p {
                            (l.t("Lokasi: ", "Location: ")) (location::format(p))
                            " · " (l.t("sumber: ", "source: "))
                            span #location-source { (source_label(l, source.as_deref().unwrap_or("pin"))) }
                            @if let Some(m) = r.location_precision_m {
                                " · " (l.t("ketelitian: ", "precision: ")) span #location-precision { (precision_text(m)) }
                            }
                        },
                        (None, _) => p.notice { (l.t("Belum ada lokasi: pesanan menunggu lokasi.", "No location yet: orders wait for one.")) },
                    }
                    @if let Some(s) = &v.suggestion {
                        div.alert #centroid {
                            p {
                                (l.t("Saran: titik tengah desa ", "Suggestion: the centre of village ")) (s.village) " — "
                                (location::format(s.point)) " (" (precision_text(s.precision_m)) "). "
                                (l.t("Terlalu kasar untuk kurir tanpa konfirmasi: pastikan dengan penerima atau patokan.",
                                     "Too coarse for a courier unconfirmed: check with the recipient or the landmark."))
                            }
                            form method="post" action={ "/recipients/" (r.id) "/use-centroid" } {
                                input type="hidden" name="_csrf" value=(staff.csrf);
                                button type="submit" { (l.t("Pakai titik tengah desa", "Use the village centre")) }
                            }
                        }
                    }
                }
            }
            form #recipient method="post" action=(action) {
                input type="hidden" name="_csrf" value=(staff.csrf);
                (field("name", l.t("Nama", "Name"), &errs("name"), input("name", &f.name, true)))
                (field("phone", l.t("Telepon (08… atau +62…)", "Phone (08… or +62…)"), &errs("phone"), input("phone", &f.phone, false)))
                (field("address", l.t("Alamat", "Address"), &errs("address"), input("address", &f.address, false)))
                (field("landmark", l.t("Patokan", "Landmark"), &errs("landmark"), input("landmark", &f.landmark, false)))
                (field("location", l.t("Lokasi (koordinat, tautan peta, atau Plus Code)", "Location (coordinates, map link or Plus Code)"), &errs("location"), input("location", &f.location, false)))
                (field("village", l.t("Desa/kelurahan (nama atau kode)", "Village (name or code)"), &errs("village"), input("village", &f.village, false)))
                (field("kecamatan", l.t("Kecamatan", "Kecamatan"), &errs("kecamatan"), input("kecamatan", &f.kecamatan, false)))
                (field("notes", l.t("Catatan petugas", "Staff notes"), &errs("notes"), html! {
                    textarea #notes name="notes" rows="2" { (f.notes) }
                }))
                p { button type="submit" { (l.t("Simpan", "Save")) } }
            }
            @if let Some(r) = &v.stored {
                h2 { (l.t("Langganan makan", "Meal enrolments")) }
                p { a href={ "/enrolments/new?recipient=" (r.id) } { (l.t("+ Daftarkan makan", "+ Enrol for meals")) } }
                @if v.enrolments.is_empty() { p { (l.t("Belum terdaftar.", "Not enrolled.")) } }
                @for e in &v.enrolments {
                    (enrolment_block(staff, e, &v.kitchens, v.enrolment_errors.as_ref().filter(|(id, _)| *id == e.id).map(|(_, x)| x.as_slice())))
                }
            }
        }
    };
    (status, layout(l, &title, Some(staff), body)).into_response()
}

fn day_names(l: Lang, w: Weekdays) -> String {
    if w == Weekdays::ALL {
        return l.t("setiap hari", "every day").to_owned();
    }
    let names = w.names();
    DAYS.iter()
        .filter(|(k, _, _)| names.contains(k))
        .map(|(_, id, en)| l.t(id, en))
        .collect::<Vec<_>>()
        .join(", ")
}

fn enrolment_block(
    staff: &Staff,
    e: &Enrolment,
    kitchens: &[Site],
    errors: Option<&[FieldError]>,
) -> Markup {
    let l = staff.lang;
    let errors = errors.unwrap_or(&[]);
    let kitchen = kitchens
        .iter()
        .find(|k| k.id == e.kitchen_id)
        .map_or_else(|| e.kitchen_id.to_string(), |k| k.name.clone());
    let id = e.id.to_string();
    let fid = |name: &str| format!("{name}-{id}");
    let errs = |name: &str| reasons(errors, name);
    html! {
        section.alert id={ "enrolment-" (id) } aria-label=(l.t("Langganan makan", "Meal enrolment")) {
            p {
                strong { (kitchen) } " · " (day_names(l, e.weekdays)) " · "
                @for (i, m) in e.meals.iter().enumerate() {
                    @if i > 0 { ", " }
                    (m.name) " " (m.window.start.format("%H:%M")) "–" (m.window.end.format("%H:%M"))
                }
            }
            p {
                (l.t("Mulai ", "From ")) (e.start_date)
                @if let Some(end) = e.end_date { (l.t(" sampai ", " to ")) (end) }
                @if let Some(r) = e.ended_reason {
                    " · " strong.ended { (l.t("berakhir: ", "ended: ")) (reason_label(l, r.as_str())) }
                }
            }
            @if !e.diet_notes.is_empty() { p { (l.t("Diet: ", "Diet: ")) (e.diet_notes) } }
            @if !e.pauses.is_empty() {
                ul.pauses {
                    @for p in &e.pauses {
                        li { (l.t("Jeda ", "Paused ")) (p.from) " – "
                            @if let Some(u) = p.until { (u) } @else { (l.t("sampai dilanjutkan", "until resumed")) }
                            " (" (reason_label(l, p.reason.as_str())) ")" }
                    }
                }
            }
            @if !errors.is_empty() {
                div.notice role="alert" { ul { @for x in errors { li { (x.field) ": " (x.reason) } } } }
            }
            @if e.ended_reason.is_none() {
                form method="post" action={ "/enrolments/" (id) "/pause" } {
                    input type="hidden" name="_csrf" value=(staff.csrf);
                    div.filters {
                        (field(&fid("from"), l.t("Jeda mulai", "Pause from"), &errs("from"), html! {
                            input type="date" id=(fid("from")) name="from" required;
                        }))
                        (field(&fid("until"), l.t("Sampai (kosong = belum tahu)", "Until (empty = not known)"), &errs("until"), html! {
                            input type="date" id=(fid("until")) name="until";
                        }))
                        (field(&fid("reason"), l.t("Alasan", "Reason"), &errs("reason"), html! {
                            select id=(fid("reason")) name="reason" {
                                @for r in REASONS { option value=(r) { (reason_label(l, r)) } }
                            }
                        }))
                        (field(&fid("note"), l.t("Catatan", "Note"), &errs("note"), html! {
                            input type="text" id=(fid("note")) name="note";
                        }))
                        div { button type="submit" { (l.t("Jeda / akhiri", "Pause / end")) } }
                    }
                }
                @if !e.pauses.is_empty() {
                    form method="post" action={ "/enrolments/" (id) "/resume" } {
                        input type="hidden" name="_csrf" value=(staff.csrf);
                        div.filters {
                            (field(&fid("on"), l.t("Lanjut mulai tanggal", "Resume on"), &errs("on"), html! {
                                input type="date" id=(fid("on")) name="on" required;
                            }))
                            div { button type="submit" { (l.t("Lanjutkan", "Resume")) } }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Enrolments

/// `?recipient=`
#[derive(Debug, Default, Deserialize)]
pub struct NewEnrolmentQuery {
    #[serde(default)]
    recipient: String,
}

/// The enrolment form: days as one checkbox each, up to three meals.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EnrolmentForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    kitchen: String,
    day_mon: Option<String>,
    day_tue: Option<String>,
    day_wed: Option<String>,
    day_thu: Option<String>,
    day_fri: Option<String>,
    day_sat: Option<String>,
    day_sun: Option<String>,
    #[serde(default)]
    meal1_name: String,
    #[serde(default)]
    meal1_start: String,
    #[serde(default)]
    meal1_end: String,
    #[serde(default)]
    meal2_name: String,
    #[serde(default)]
    meal2_start: String,
    #[serde(default)]
    meal2_end: String,
    #[serde(default)]
    meal3_name: String,
    #[serde(default)]
    meal3_start: String,
    #[serde(default)]
    meal3_end: String,
    #[serde(default)]
    diet_notes: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
}

impl EnrolmentForm {
    fn blank(recipient: &str, today: NaiveDate) -> Self {
        let on = Some("1".to_owned());
        Self {
            recipient: recipient.to_owned(),
            day_mon: on.clone(),
            day_tue: on.clone(),
            day_wed: on.clone(),
            day_thu: on.clone(),
            day_fri: on.clone(),
            day_sat: on.clone(),
            day_sun: on,
            meal1_name: "siang".into(),
            meal1_start: "10:30".into(),
            meal1_end: "12:30".into(),
            start_date: today.to_string(),
            ..Self::default()
        }
    }

    fn days(&self) -> [(&'static str, bool); 7] {
        [
            ("mon", self.day_mon.is_some()),
            ("tue", self.day_tue.is_some()),
            ("wed", self.day_wed.is_some()),
            ("thu", self.day_thu.is_some()),
            ("fri", self.day_fri.is_some()),
            ("sat", self.day_sat.is_some()),
            ("sun", self.day_sun.is_some()),
        ]
    }

    fn meals(&self) -> [(&str, &str, &str); 3] {
        [
            (&self.meal1_name, &self.meal1_start, &self.meal1_end),
            (&self.meal2_name, &self.meal2_start, &self.meal2_end),
            (&self.meal3_name, &self.meal3_start, &self.meal3_end),
        ]
    }

    fn parse(&self) -> Result<Enrolment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let recipient = self.recipient.trim().parse::<uuid::Uuid>().ok();
        if recipient.is_none() {
            errors.push(FieldError::new(
                "recipient",
                "unknown_recipient",
                "penerima tidak dikenal / unknown recipient",
            ));
        }
        let kitchen = self.kitchen.trim().parse::<uuid::Uuid>().ok();
        if kitchen.is_none() {
            errors.push(FieldError::new(
                "kitchen",
                "required",
                "pilih dapur / choose a kitchen",
            ));
        }
        let names: Vec<&str> = self
            .days()
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        let weekdays = Weekdays::parse(&names).unwrap_or(Weekdays::ALL);
        if names.is_empty() {
            errors.push(FieldError::new(
                "days",
                "required",
                "pilih paling sedikit satu hari / choose at least one day",
            ));
        }
        let mut meals: Vec<Meal> = Vec::new();
        for (i, (name, start, end)) in self.meals().into_iter().enumerate() {
            let n = i + 1;
            let (name, start, end) = (name.trim(), start.trim(), end.trim());
            if name.is_empty() && start.is_empty() && end.is_empty() {
                continue;
            }
            let time = |field: String, v: &str, errors: &mut Vec<FieldError>| {
                NaiveTime::parse_from_str(v, "%H:%M")
                    .map_err(|_| {
                        errors.push(FieldError::new(
                            field,
                            "invalid_time",
                            "isi jam JJ:MM / give a time HH:MM",
                        ))
                    })
                    .ok()
            };
            let s = time(format!("meal{n}_start"), start, &mut errors);
            let e = time(format!("meal{n}_end"), end, &mut errors);
            if name.is_empty() || meals.iter().any(|m| m.name == name) {
                errors.push(FieldError::new(
                    format!("meal{n}_name"),
                    "invalid_value",
                    "setiap makan perlu nama sendiri / each meal needs its own name",
                ));
            }
            if let (Some(s), Some(e)) = (s, e) {
                match LocalWindow::new(s, e) {
                    Ok(window) => meals.push(Meal {
                        name: name.to_owned(),
                        window,
                    }),
                    Err(_) => errors.push(FieldError::new(
                        format!("meal{n}_end"),
                        "window_inverted",
                        "jam selesai harus setelah jam mulai / the end must be after the start",
                    )),
                }
            }
        }
        if meals.is_empty() && !errors.iter().any(|e| e.field.starts_with("meal")) {
            errors.push(FieldError::new(
                "meal1_name",
                "required",
                "paling sedikit satu makan / at least one meal",
            ));
        }
        let start = date("start_date", &self.start_date, true, &mut errors);
        let end = date("end_date", &self.end_date, false, &mut errors);
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            errors.push(FieldError::new(
                "end_date",
                "window_inverted",
                "tanggal akhir sebelum tanggal mulai / the end is before the start",
            ));
        }
        match (recipient, kitchen, start) {
            (Some(r), Some(k), Some(start)) if errors.is_empty() => Ok(Enrolment {
                id: EnrolmentId::new(),
                recipient_id: RecipientId(r),
                kitchen_id: SiteId(k),
                weekdays,
                meals,
                diet_notes: self.diet_notes.trim().to_owned(),
                start_date: start,
                end_date: end,
                ended_reason: None,
                pauses: Vec::new(),
            }),
            _ => Err(errors),
        }
    }
}

/// `GET /enrolments/new?recipient=`
pub async fn new_enrolment(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<NewEnrolmentQuery>,
) -> Response {
    let today = state.dispatch.local_date(crate::clock::now());
    enrolment_page(
        &state,
        &staff,
        EnrolmentForm::blank(&q.recipient, today),
        Vec::new(),
    )
    .await
}

/// `POST /enrolments/new`
pub async fn create_enrolment(
    State(state): State<WebState>,
    staff: Staff,
    Form(form): Form<EnrolmentForm>,
) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    let result = match form.parse() {
        Ok(e) => state.dispatch.create_enrolment(&staff.principal, e).await,
        Err(errors) => Err(DispatchError::Invalid(errors)),
    };
    match result {
        Ok(e) => Redirect::to(&format!("/recipients/{}?saved=1", e.recipient_id)).into_response(),
        Err(DispatchError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|mut e| {
                    e.field = match e.field.as_str() {
                        "kitchen_id" => "kitchen".into(),
                        "recipient_id" => "recipient".into(),
                        _ => e.field,
                    };
                    e
                })
                .collect();
            enrolment_page(&state, &staff, form, errors).await
        }
        Err(e) => failure(staff.lang, e),
    }
}

async fn enrolment_page(
    state: &WebState,
    staff: &Staff,
    form: EnrolmentForm,
    errors: Vec<FieldError>,
) -> Response {
    let l = staff.lang;
    let Ok(rid) = form.recipient.trim().parse::<uuid::Uuid>() else {
        return failure(l, DispatchError::NotFound("recipient"));
    };
    // The audited read (and the role check of the use case).
    let person = match state
        .dispatch
        .recipient(&staff.principal, RecipientId(rid))
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(l, e),
    };
    let kitchens: Vec<Site> = match state.dispatch.sites(&staff.principal).await {
        Ok(s) => s
            .into_iter()
            .filter(|s| s.kind == SiteKind::Kitchen && s.active)
            .collect(),
        Err(e) => return failure(l, e),
    };
    let f = &form;
    let errs = |name: &str| reasons(&errors, name);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        main {
            p { a href={ "/recipients/" (person.id) } { "← " (person.name) } }
            h1 { (l.t("Daftarkan makan untuk ", "Enrol for meals: ")) (person.name) }
            (error_summary(l, &errors))
            form #enrolment method="post" action="/enrolments/new" {
                input type="hidden" name="_csrf" value=(staff.csrf);
                input type="hidden" name="recipient" value=(f.recipient);
                (field("kitchen", l.t("Dapur", "Kitchen"), &errs("kitchen"), html! {
                    select #kitchen name="kitchen" required {
                        option value="" { "–" }
                        @for k in &kitchens {
                            option value=(k.id) selected[f.kitchen == k.id.to_string()] { (k.name) }
                        }
                    }
                }))
                fieldset {
                    legend { (l.t("Hari", "Days")) }
                    @for ((key, on), (_, id, en)) in f.days().iter().zip(DAYS.iter()) {
                        label.inline for={ "day_" (key) } {
                            input type="checkbox" id={ "day_" (key) } name={ "day_" (key) } value="1" checked[*on];
                            " " (l.t(id, en))
                        }
                    }
                    @for e in errs("days") { p.err { (e) } }
                }
                fieldset {
                    legend { (l.t("Makan dan jam antar (waktu setempat)", "Meals and delivery windows (local time)")) }
                    @for (i, (name, start, end)) in f.meals().into_iter().enumerate() {
                        @let n = i + 1;
                        div.filters {
                            (field(&format!("meal{n}_name"), l.t("Nama makan", "Meal name"), &errs(&format!("meal{n}_name")), html! {
                                input type="text" id={ "meal" (n) "_name" } name={ "meal" (n) "_name" } value=(name);
                            }))
                            (field(&format!("meal{n}_start"), l.t("Dari", "From"), &errs(&format!("meal{n}_start")), html! {
                                input type="time" id={ "meal" (n) "_start" } name={ "meal" (n) "_start" } value=(start);
                            }))
                            (field(&format!("meal{n}_end"), l.t("Sampai", "To"), &errs(&format!("meal{n}_end")), html! {
                                input type="time" id={ "meal" (n) "_end" } name={ "meal" (n) "_end" } value=(end);
                            }))
                        }
                    }
                }
                (field("diet_notes", l.t("Catatan diet (untuk dapur, tidak untuk kurir)", "Diet notes (for the kitchen, never for couriers)"), &errs("diet_notes"), html! {
                    textarea #diet_notes name="diet_notes" rows="2" { (f.diet_notes) }
                }))
                (field("start_date", l.t("Mulai", "Start"), &errs("start_date"), html! {
                    input #start_date type="date" name="start_date" required value=(f.start_date);
                }))
                (field("end_date", l.t("Selesai (boleh kosong)", "End (optional)"), &errs("end_date"), html! {
                    input #end_date type="date" name="end_date" value=(f.end_date);
                }))
                p { button type="submit" { (l.t("Daftarkan", "Enrol")) } }
            }
        }
    };
    (
        status,
        layout(
            l,
            l.t("Daftarkan makan", "Enrol for meals"),
            Some(staff),
            body,
        ),
    )
        .into_response()
}

/// The pause form of one enrolment.
#[derive(Debug, Default, Deserialize)]
pub struct PauseForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

/// The resume form of one enrolment.
#[derive(Debug, Default, Deserialize)]
pub struct ResumeForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    on: String,
}

/// The recipient of an enrolment, for the page to go back to.
async fn owner(
    state: &WebState,
    staff: &Staff,
    id: EnrolmentId,
) -> Result<RecipientId, DispatchError> {
    state
        .dispatch
        .enrolment(&staff.principal, id)
        .await
        .map(|e| e.recipient_id)
}

/// After a pause or resume: back to the recipient, or the page again with the errors beside
/// the enrolment's form (a refused request changes nothing).
async fn after(
    state: &WebState,
    staff: &Staff,
    id: EnrolmentId,
    rid: RecipientId,
    result: Result<Enrolment, DispatchError>,
    conflict_field: &str,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/recipients/{rid}?saved=1")).into_response(),
        Err(DispatchError::Invalid(errors)) => {
            page_of(
                state,
                staff,
                rid,
                None,
                Vec::new(),
                Some((id, errors)),
                false,
            )
            .await
        }
        Err(DispatchError::Conflict { code, detail }) => {
            let text = match code {
                "not_paused" => format!("tidak ada jeda pada tanggal itu / {detail}"),
                "enrolment_ended" => format!("langganan ini sudah berakhir / {detail}"),
                _ => detail,
            };
            let errors = vec![FieldError::new(conflict_field, code, text)];
            page_of(
                state,
                staff,
                rid,
                None,
                Vec::new(),
                Some((id, errors)),
                false,
            )
            .await
        }
        Err(e) => failure(staff.lang, e),
    }
}

/// `POST /enrolments/{id}/pause`
pub async fn pause(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<PauseForm>,
) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    let id = match parse_id(&id) {
        Ok(u) => EnrolmentId(u),
        Err(e) => return failure(staff.lang, e),
    };
    let rid = match owner(&state, &staff, id).await {
        Ok(r) => r,
        Err(e) => return failure(staff.lang, e),
    };
    let mut errors = Vec::new();
    let from = date("from", &form.from, true, &mut errors);
    let until = date("until", &form.until, false, &mut errors);
    let reason = form.reason.trim().parse::<PauseReason>().ok();
    if reason.is_none() {
        errors.push(FieldError::new(
            "reason",
            "invalid_value",
            "pilih alasan / choose a reason",
        ));
    }
    if let (Some(f), Some(u)) = (from, until)
        && u < f
    {
        errors.push(FieldError::new(
            "until",
            "window_inverted",
            "tanggal sampai sebelum tanggal mulai / until is before from",
        ));
    }
    let result = match (from, reason) {
        (Some(from), Some(reason)) if errors.is_empty() => {
            state
                .dispatch
                .pause_enrolment(
                    &staff.principal,
                    id,
                    Pause {
                        from,
                        until,
                        reason,
                    },
                    form.note.trim(),
                )
                .await
        }
        _ => Err(DispatchError::Invalid(errors)),
    };
    after(&state, &staff, id, rid, result, "from").await
}

/// `POST /enrolments/{id}/resume`
pub async fn resume(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<ResumeForm>,
) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    let id = match parse_id(&id) {
        Ok(u) => EnrolmentId(u),
        Err(e) => return failure(staff.lang, e),
    };
    let rid = match owner(&state, &staff, id).await {
        Ok(r) => r,
        Err(e) => return failure(staff.lang, e),
    };
    let mut errors = Vec::new();
    let result = match date("on", &form.on, true, &mut errors) {
        Some(on) => {
            state
                .dispatch
                .resume_enrolment(&staff.principal, id, on)
                .await
        }
        None => Err(DispatchError::Invalid(errors)),
    };
    after(&state, &staff, id, rid, result, "on").await
}
