//! Admin pages (role admin only; any other role gets a 403 page): sites (list, create, edit),
//! partners (list, create, edit basic fields, switch on or off, send a test webhook and see its
//! delivery), users and API tokens (create, list; tokens shown once, revoked), and the audit
//! log with filters and paging.
//!
//! Every change goes through the admin use cases in `dispatch` (with their audit entries);
//! this module only reads forms, shows errors beside their fields and draws the pages.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveTime};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Lang;
use super::{Staff, WebState, failure, layout};
use crate::dispatch::admin::{NewToken, NewUser};
use crate::dispatch::{DispatchError, FieldError};
use crate::domain::records::{Capabilities, FareModel, Partner, Site};
use crate::domain::site::OpeningHours;
use crate::domain::time::{local_to_utc, parse_tz};
use crate::domain::{LatLon, PartnerId, PartnerKind, Phone, Role, SiteId, SiteKind, TokenId};
use crate::store::audit::AuditFilter;

/// Audit entries per page.
const AUDIT_PAGE: i64 = 50;

pub(super) fn admin_only(staff: &Staff) -> Option<Response> {
    (staff.user.role != Role::Admin).then(|| {
        failure(
            staff.lang,
            DispatchError::Forbidden(staff.user.role.as_str()),
        )
    })
}

fn err_of<'a>(errors: &'a [FieldError], name: &str) -> Option<&'a FieldError> {
    errors
        .iter()
        .find(|e| e.field == name || e.field.starts_with(&format!("{name}.")))
}

/// A labelled input with its error beside it.
pub(super) fn input(
    errors: &[FieldError],
    id: &str,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
) -> Markup {
    let e = err_of(errors, name);
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value)
                aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{id}-err"))];
            @if let Some(e) = e { p.err id={ (id) "-err" } { (e.reason) } }
        }
    }
}

pub(super) fn checkbox(id: &str, name: &str, label: &str, checked: bool) -> Markup {
    html! {
        div.field {
            input id=(id) name=(name) type="checkbox" value="on" checked[checked];
            " " label.inline for=(id) { (label) }
        }
    }
}

pub(super) fn select(
    errors: &[FieldError],
    id: &str,
    name: &str,
    label: &str,
    options: &[(String, String)],
    chosen: &str,
) -> Markup {
    let e = err_of(errors, name);
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[e.map(|_| "true")]
                aria-describedby=[e.map(|_| format!("{id}-err"))] {
                @for (v, t) in options { option value=(v) selected[v == chosen] { (t) } }
            }
            @if let Some(e) = e { p.err id={ (id) "-err" } { (e.reason) } }
        }
    }
}

pub(super) fn csrf(staff: &Staff) -> Markup {
    html! { input type="hidden" name="_csrf" value=(staff.csrf); }
}

pub(super) fn subnav(l: Lang) -> Markup {
    html! {
        nav.subnav aria-label=(l.t("Menu admin", "Admin menu")) {
            a href="/admin/sites" { (l.t("Lokasi", "Sites")) }
            a href="/admin/partners" { (l.t("Mitra", "Partners")) }
            a href="/admin/couriers" { (l.t("Kurir sendiri", "Our couriers")) }
            a href="/admin/users" { (l.t("Pengguna & token", "Users & tokens")) }
            a href="/admin/audit" { (l.t("Log audit", "Audit log")) }
        }
    }
}

pub(super) fn page(staff: &Staff, status: StatusCode, title: &str, content: Markup) -> Response {
    let l = staff.lang;
    let body = html! { main { (subnav(l)) h1 { (title) } (content) } };
    (status, layout(l, title, Some(staff), body)).into_response()
}

pub(super) fn status_for(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn number<T: std::str::FromStr + PartialOrd>(
    errors: &mut Vec<FieldError>,
    field: &str,
    v: &str,
    range: std::ops::RangeInclusive<T>,
    reason: &str,
) -> Option<T> {
    match v.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            errors.push(FieldError::new(field, "out_of_range", reason));
            None
        }
    }
}

/// `GET /admin`
pub async fn home(staff: Staff) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    Redirect::to("/admin/sites").into_response()
}

// ---------------------------------------------------------------------------------------------
// Sites

/// The site form, fields as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    active: Option<String>,
}

impl SiteForm {
    fn of(s: &Site) -> Self {
        Self {
            _csrf: String::new(),
            kind: s.kind.as_str().into(),
            name: s.name.clone(),
            address: s.address.clone(),
            phone: s.phone.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            lat: s.location.lat().to_string(),
            lon: s.location.lon().to_string(),
            time_zone: s.time_zone.name().into(),
            active: s.active.then(|| "on".into()),
        }
    }

    /// A site from the form; an edit keeps the old site's opening hours.
    fn parse(&self, id: SiteId, old: Option<&Site>) -> Result<Site, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = match old {
            Some(o) => Some(o.kind),
            None => self.kind.parse::<SiteKind>().ok().or_else(|| {
                errors.push(FieldError::new(
                    "kind",
                    "invalid_value",
                    "pilih farmasi atau dapur / choose pharmacy or kitchen",
                ));
                None
            }),
        };
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new(
                "name",
                "required",
                "nama wajib diisi / a name is required",
            ));
        }
        let lat = number(
            &mut errors,
            "lat",
            &self.lat,
            -90.0..=90.0,
            "lintang -90..90 / latitude -90..90",
        );
        let lon = number(
            &mut errors,
            "lon",
            &self.lon,
            -180.0..=180.0,
            "bujur -180..180 / longitude -180..180",
        );
        let location = match (lat, lon) {
            (Some(a), Some(b)) => LatLon::new(a, b)
                .map_err(|e| errors.push(FieldError::new("lat", "invalid_location", e.to_string())))
                .ok(),
            _ => None,
        };
        let phone = opt(&self.phone).and_then(|p| {
            Phone::parse(&p)
                .map_err(|e| errors.push(FieldError::new("phone", "invalid_phone", e.to_string())))
                .ok()
        });
        let tz_name = opt(&self.time_zone).unwrap_or_else(|| "Asia/Jakarta".into());
        let tz = parse_tz(&tz_name).or_else(|| {
            errors.push(FieldError::new(
                "time_zone",
                "unknown_zone",
                format!("{tz_name:?} bukan zona IANA / is not an IANA zone"),
            ));
            None
        });
        match (kind, location, tz) {
            (Some(kind), Some(location), Some(time_zone)) if errors.is_empty() => Ok(Site {
                id,
                kind,
                name,
                location,
                address: self.address.trim().to_owned(),
                phone,
                time_zone,
                opening_hours: old
                    .map_or_else(|| OpeningHours(Vec::new()), |o| o.opening_hours.clone()),
                active: old.is_none() || self.active.is_some(),
            }),
            _ => Err(errors),
        }
    }
}

fn kind_name(l: Lang, k: SiteKind) -> &'static str {
    match k {
        SiteKind::Pharmacy => l.t("farmasi", "pharmacy"),
        SiteKind::Kitchen => l.t("dapur", "kitchen"),
    }
}

fn site_fields(l: Lang, f: &SiteForm, errors: &[FieldError], create: bool) -> Markup {
    let kinds = [SiteKind::Pharmacy, SiteKind::Kitchen]
        .map(|k| (k.as_str().to_owned(), kind_name(l, k).to_owned()));
    html! {
        @if create { (select(errors, "s-kind", "kind", l.t("Jenis", "Kind"), &kinds, &f.kind)) }
        (input(errors, "s-name", "name", l.t("Nama", "Name"), "text", &f.name))
        (input(errors, "s-address", "address", l.t("Alamat", "Address"), "text", &f.address))
        (input(errors, "s-phone", "phone", l.t("Telepon meja", "Desk phone"), "tel", &f.phone))
        (input(errors, "s-lat", "lat", l.t("Lintang", "Latitude"), "text", &f.lat))
        (input(errors, "s-lon", "lon", l.t("Bujur", "Longitude"), "text", &f.lon))
        (input(errors, "s-tz", "time_zone", l.t("Zona waktu", "Time zone"), "text",
            if f.time_zone.is_empty() { "Asia/Jakarta" } else { &f.time_zone }))
        @if !create { (checkbox("s-active", "active", l.t("Aktif", "Active"), f.active.is_some())) }
    }
}

async fn sites_page(
    state: &WebState,
    staff: &Staff,
    form: &SiteForm,
    errors: &[FieldError],
) -> Response {
    let l = staff.lang;
    let sites = match state.dispatch.sites(&staff.principal).await {
        Ok(s) => s,
        Err(e) => return failure(l, e),
    };
    let content = html! {
        div.table-wrap {
            table #sites {
                thead { tr {
                    th scope="col" { (l.t("Nama", "Name")) }
                    th scope="col" { (l.t("Jenis", "Kind")) }
                    th scope="col" { (l.t("Lokasi", "Location")) }
                    th scope="col" { (l.t("Aktif", "Active")) }
                    th scope="col" { span.visually-hidden { (l.t("Ubah", "Edit")) } }
                } }
                tbody {
                    @for s in &sites {
                        tr {
                            td { (s.name) }
                            td { (kind_name(l, s.kind)) }
                            td { (format!("{:.5}, {:.5}", s.location.lat(), s.location.lon())) }
                            td { (if s.active { l.t("ya", "yes") } else { l.t("tidak", "no") }) }
                            td { a href={ "/admin/sites/" (s.id) } { (l.t("Ubah", "Edit")) } }
                        }
                    }
                }
            }
        }
        h2 { (l.t("Lokasi baru", "New site")) }
        form #site-new method="post" action="/admin/sites" {
            (csrf(staff))
            (site_fields(l, form, errors, true))
            p { button type="submit" { (l.t("Simpan", "Save")) } }
        }
    };
    page(
        staff,
        status_for(errors),
        l.t(
            "Lokasi (dapur dan farmasi)",
            "Sites (kitchens and pharmacies)",
        ),
        content,
    )
}

/// `GET /admin/sites`
pub async fn sites(State(state): State<WebState>, staff: Staff) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    sites_page(&state, &staff, &SiteForm::default(), &[]).await
}

/// `POST /admin/sites`
pub async fn create_site(
    State(state): State<WebState>,
    staff: Staff,
    Form(form): Form<SiteForm>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let site = match form.parse(SiteId(uuid::Uuid::now_v7()), None) {
        Ok(s) => s,
        Err(errors) => return sites_page(&state, &staff, &form, &errors).await,
    };
    match state.dispatch.create_site(&staff.principal, site).await {
        Ok(_) => Redirect::to("/admin/sites").into_response(),
        Err(DispatchError::Invalid(errors)) => sites_page(&state, &staff, &form, &errors).await,
        Err(e) => failure(staff.lang, e),
    }
}

pub(super) fn parse_id(s: &str) -> Option<uuid::Uuid> {
    s.parse().ok()
}

fn site_edit_page(staff: &Staff, site: &Site, form: &SiteForm, errors: &[FieldError]) -> Response {
    let l = staff.lang;
    let content = html! {
        p { (kind_name(l, site.kind)) }
        form #site-edit method="post" action={ "/admin/sites/" (site.id) } {
            (csrf(staff))
            (site_fields(l, form, errors, false))
            p { button type="submit" { (l.t("Simpan", "Save")) } }
        }
    };
    page(staff, status_for(errors), &site.name, content)
}

async fn load_site(state: &WebState, staff: &Staff, id: &str) -> Result<Site, Response> {
    let Some(id) = parse_id(id) else {
        return Err(failure(staff.lang, DispatchError::NotFound("site")));
    };
    state
        .dispatch
        .site(&staff.principal, SiteId(id))
        .await
        .map_err(|e| failure(staff.lang, e))
}

/// `GET /admin/sites/{id}`
pub async fn site(State(state): State<WebState>, staff: Staff, Path(id): Path<String>) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    match load_site(&state, &staff, &id).await {
        Ok(s) => site_edit_page(&staff, &s, &SiteForm::of(&s), &[]),
        Err(r) => r,
    }
}

/// `POST /admin/sites/{id}`
pub async fn update_site(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<SiteForm>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let old = match load_site(&state, &staff, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let site = match form.parse(old.id, Some(&old)) {
        Ok(s) => s,
        Err(errors) => return site_edit_page(&staff, &old, &form, &errors),
    };
    match state.dispatch.update_site(&staff.principal, site).await {
        Ok(_) => Redirect::to("/admin/sites").into_response(),
        Err(DispatchError::Invalid(errors)) => site_edit_page(&staff, &old, &form, &errors),
        Err(e) => failure(staff.lang, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Partners

/// The partner form (basic fields; the service area is kept as it is).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct PartnerForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    max_concurrent_jobs: String,
    #[serde(default)]
    rank: String,
    #[serde(default)]
    offer_timeout_s: String,
    #[serde(default)]
    max_stops: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    cold_box: Option<String>,
    #[serde(default)]
    controlled_handover: Option<String>,
    #[serde(default)]
    base_idr: String,
    #[serde(default)]
    per_km_idr: String,
    #[serde(default)]
    cap_idr: String,
    #[serde(default)]
    active: Option<String>,
}

impl PartnerForm {
    fn new_default() -> Self {
        Self {
            kind: "webhook".into(),
            rank: "100".into(),
            offer_timeout_s: "120".into(),
            max_stops: "8".into(),
            capacity: "10".into(),
            base_idr: "8000".into(),
            per_km_idr: "2500".into(),
            ..Self::default()
        }
    }

    fn of(p: &Partner) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        Self {
            _csrf: String::new(),
            name: p.name.clone(),
            kind: p.kind.as_str().into(),
            webhook_url: p.webhook_url.clone().unwrap_or_default(),
            max_concurrent_jobs: p
                .capabilities
                .max_concurrent_jobs
                .map(|m| m.to_string())
                .unwrap_or_default(),
            rank: p.rank.to_string(),
            offer_timeout_s: p.offer_timeout_s.to_string(),
            max_stops: p.capabilities.max_stops.to_string(),
            capacity: p.capabilities.capacity.to_string(),
            cold_box: on(p.capabilities.cold_box),
            controlled_handover: on(p.capabilities.controlled_handover),
            base_idr: p.fare.base_idr.to_string(),
            per_km_idr: p.fare.per_km_idr.to_string(),
            cap_idr: p.fare.cap_idr.map(|c| c.to_string()).unwrap_or_default(),
            active: on(p.active),
        }
    }

    fn parse(&self, id: PartnerId, old: Option<&Partner>) -> Result<Partner, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new(
                "name",
                "required",
                "nama wajib diisi / a name is required",
            ));
        }
        // The kind is chosen once, when the partner is created.
        let kind = match old {
            Some(o) => o.kind,
            None if self.kind.trim().is_empty() => PartnerKind::Webhook,
            None => self.kind.trim().parse().unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "kind",
                    "invalid_value",
                    "pilih jenis mitra / choose a partner kind",
                ));
                PartnerKind::Webhook
            }),
        };
        let url = self.webhook_url.trim().to_owned();
        let url = if kind == PartnerKind::OwnFleet && url.is_empty() {
            None
        } else {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
                errors.push(FieldError::new(
                    "webhook_url",
                    "invalid_url",
                    "isi alamat http(s) / give an http(s) URL",
                ));
            }
            Some(url)
        };
        let limit = match opt(&self.max_concurrent_jobs) {
            None => Some(None),
            Some(m) => number(
                &mut errors,
                "max_concurrent_jobs",
                &m,
                1u32..=100_000,
                "1..100000",
            )
            .map(Some),
        };
        let rank = number(
            &mut errors,
            "rank",
            &self.rank,
            0i64..=1_000_000,
            "0..1000000",
        );
        let timeout = number(
            &mut errors,
            "offer_timeout_s",
            &self.offer_timeout_s,
            10i64..=3600,
            "10..3600 detik / seconds",
        );
        let max_stops = number(
            &mut errors,
            "max_stops",
            &self.max_stops,
            1u32..=100,
            "1..100",
        );
        let capacity = number(
            &mut errors,
            "capacity",
            &self.capacity,
            1u32..=1000,
            "1..1000",
        );
        let base = number(
            &mut errors,
            "base_idr",
            &self.base_idr,
            0u32..=10_000_000,
            "0..10000000",
        );
        let per_km = number(
            &mut errors,
            "per_km_idr",
            &self.per_km_idr,
            0u32..=10_000_000,
            "0..10000000",
        );
        if kind == PartnerKind::BookingApi && max_stops.is_some_and(|m| m != 1) {
            errors.push(FieldError::new(
                "max_stops",
                "out_of_range",
                "API pemesanan: satu titik per pekerjaan / a booking API takes one stop per job",
            ));
        }
        let cap = match opt(&self.cap_idr) {
            None => Some(None),
            Some(c) => {
                number(&mut errors, "cap_idr", &c, 0u32..=10_000_000, "0..10000000").map(Some)
            }
        };
        match (rank, timeout, max_stops, capacity, base, per_km, cap, limit) {
            (
                Some(rank),
                Some(timeout),
                Some(max_stops),
                Some(capacity),
                Some(base),
                Some(per_km),
                Some(cap),
                Some(limit),
            ) if errors.is_empty() => Ok(Partner {
                id,
                name,
                kind,
                webhook_url: url,
                capabilities: Capabilities {
                    max_stops,
                    capacity,
                    cold_box: self.cold_box.is_some(),
                    controlled_handover: self.controlled_handover.is_some(),
                    max_concurrent_jobs: limit,
                },
                fare: FareModel {
                    base_idr: base,
                    per_km_idr: per_km,
                    cap_idr: cap,
                },
                rank,
                offer_timeout_s: timeout,
                service_area: old.and_then(|o| o.service_area.clone()),
                active: old.is_none() || self.active.is_some(),
            }),
            _ => Err(errors),
        }
    }
}

fn partner_fields(l: Lang, f: &PartnerForm, errors: &[FieldError], create: bool) -> Markup {
    html! {
        (input(errors, "p-name", "name", l.t("Nama", "Name"), "text", &f.name))
        @if create {
            (select(errors, "p-kind", "kind", l.t("Jenis", "Kind"), &[
                ("webhook".to_owned(), l.t("Webhook (kontrak antar)", "Webhook (antar's contract)").to_owned()),
                ("own_fleet".to_owned(), l.t("Kurir sendiri", "Our own couriers").to_owned()),
                ("booking_api".to_owned(), l.t("API pemesanan kurir", "Courier booking API").to_owned()),
            ], &f.kind))
        }
        (input(errors, "p-url", "webhook_url", l.t("Alamat webhook / API (kosong untuk kurir sendiri)", "Webhook / API URL (empty for our own couriers)"), "url", &f.webhook_url))
        (input(errors, "p-limit", "max_concurrent_jobs", l.t("Pekerjaan sekaligus paling banyak (boleh kosong)", "Most jobs at once (optional)"), "number", &f.max_concurrent_jobs))
        (input(errors, "p-rank", "rank", l.t("Urutan (kecil ditawari dulu)", "Rank (lower is offered first)"), "number", &f.rank))
        (input(errors, "p-timeout", "offer_timeout_s", l.t("Batas jawab tawaran (detik)", "Offer timeout (seconds)"), "number", &f.offer_timeout_s))
        (input(errors, "p-stops", "max_stops", l.t("Titik per pekerjaan", "Stops per job"), "number", &f.max_stops))
        (input(errors, "p-capacity", "capacity", l.t("Kapasitas (rantang / paket)", "Capacity (tins / parcels)"), "number", &f.capacity))
        (checkbox("p-cold", "cold_box", l.t("Punya kotak dingin", "Has cold boxes"), f.cold_box.is_some()))
        (checkbox("p-controlled", "controlled_handover", l.t("Serah terima dengan PIN", "PIN handover"), f.controlled_handover.is_some()))
        (input(errors, "p-base", "base_idr", l.t("Tarif dasar (Rp)", "Base fare (Rp)"), "number", &f.base_idr))
        (input(errors, "p-perkm", "per_km_idr", l.t("Tarif per km (Rp)", "Fare per km (Rp)"), "number", &f.per_km_idr))
        (input(errors, "p-cap", "cap_idr", l.t("Tarif maksimum (Rp, boleh kosong)", "Fare cap (Rp, optional)"), "number", &f.cap_idr))
        @if !create { (checkbox("p-active", "active", l.t("Aktif", "Active"), f.active.is_some())) }
    }
}

async fn partners_page(
    state: &WebState,
    staff: &Staff,
    form: &PartnerForm,
    errors: &[FieldError],
    created: Option<Markup>,
) -> Response {
    let l = staff.lang;
    let partners = match state.dispatch.partners(&staff.principal).await {
        Ok(p) => p,
        Err(e) => return failure(l, e),
    };
    let content = html! {
        @if let Some(c) = created { (c) }
        div.table-wrap {
            table #partners {
                thead { tr {
                    th scope="col" { (l.t("Nama", "Name")) }
                    th scope="col" { (l.t("Urutan", "Rank")) }
                    th scope="col" { (l.t("Webhook", "Webhook")) }
                    th scope="col" { (l.t("Aktif", "Active")) }
                    th scope="col" { span.visually-hidden { (l.t("Ubah", "Edit")) } }
                } }
                tbody {
                    @for p in &partners {
                        tr {
                            td { (p.name) }
                            td { (p.rank) }
                            td { (p.webhook_url.as_deref().unwrap_or("–")) }
                            td { (if p.active { l.t("ya", "yes") } else { l.t("tidak", "no") }) }
                            td { a href={ "/admin/partners/" (p.id) } { (l.t("Ubah / uji", "Edit / test")) } }
                        }
                    }
                }
            }
        }
        h2 { (l.t("Mitra baru", "New partner")) }
        form #partner-new method="post" action="/admin/partners" {
            (csrf(staff))
            (partner_fields(l, form, errors, true))
            p { button type="submit" { (l.t("Simpan", "Save")) } }
        }
    };
    page(
        staff,
        status_for(errors),
        l.t("Mitra kurir", "Courier partners"),
        content,
    )
}

/// `GET /admin/partners`
pub async fn partners(State(state): State<WebState>, staff: Staff) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    partners_page(&state, &staff, &PartnerForm::new_default(), &[], None).await
}

/// `POST /admin/partners`: the secrets and token are shown once, on the answer page.
pub async fn create_partner(
    State(state): State<WebState>,
    staff: Staff,
    Form(form): Form<PartnerForm>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let l = staff.lang;
    let partner = match form.parse(PartnerId(uuid::Uuid::now_v7()), None) {
        Ok(p) => p,
        Err(errors) => return partners_page(&state, &staff, &form, &errors, None).await,
    };
    match state
        .dispatch
        .create_partner(&staff.principal, partner)
        .await
    {
        Ok(c) => {
            let shown = html! {
                div.ok #created role="status" {
                    p { strong { (c.partner.name) } ": "
                        (l.t("simpan sekarang; rahasia ini tidak ditampilkan lagi.", "store these now; they are not shown again.")) }
                    @if c.partner.kind == PartnerKind::BookingApi {
                        dl {
                            dt { (l.t("Kunci API perusahaan kurir (antar → perusahaan)", "Courier company API key (antar → company)")) }
                            dd { code { (c.outbound_secret) } }
                            dt { (l.t("Rahasia panggilan balik status (perusahaan → antar)", "Status callback secret (company → antar)")) }
                            dd { code { (c.inbound_secret) } }
                            dt { (l.t("Alamat panggilan balik status", "Status callback address")) }
                            dd { code { "/partner/v1/bookings/" (c.partner.id) "/callback" } }
                        }
                    } @else {
                        dl {
                            dt { (l.t("Rahasia tanda tangan tawaran (antar → mitra)", "Offer signing secret (antar → partner)")) }
                            dd { code { (c.outbound_secret) } }
                            dt { (l.t("Rahasia tanda tangan panggilan balik (mitra → antar)", "Callback signing secret (partner → antar)")) }
                            dd { code { (c.inbound_secret) } }
                            dt { (l.t("Token API mitra", "Partner API token")) }
                            dd { code { (c.token) } }
                        }
                    }
                }
            };
            partners_page(
                &state,
                &staff,
                &PartnerForm::new_default(),
                &[],
                Some(shown),
            )
            .await
        }
        Err(DispatchError::Invalid(errors)) => {
            partners_page(&state, &staff, &form, &errors, None).await
        }
        Err(e) => failure(l, e),
    }
}

async fn load_partner(state: &WebState, staff: &Staff, id: &str) -> Result<Partner, Response> {
    let not_found = || failure(staff.lang, DispatchError::NotFound("partner"));
    let Some(id) = parse_id(id) else {
        return Err(not_found());
    };
    let all = state
        .dispatch
        .partners(&staff.principal)
        .await
        .map_err(|e| failure(staff.lang, e))?;
    all.into_iter().find(|p| p.id.0 == id).ok_or_else(not_found)
}

/// `?sent=` after a test webhook was queued.
#[derive(Debug, Default, Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    sent: String,
}

async fn partner_edit_page(
    state: &WebState,
    staff: &Staff,
    p: &Partner,
    form: &PartnerForm,
    errors: &[FieldError],
    sent: &str,
) -> Response {
    let l = staff.lang;
    let tz = state.dispatch.tz();
    let (disabled, deliveries) = match state.dispatch.deliveries(&staff.principal, p.id).await {
        Ok(d) => d,
        Err(e) => return failure(l, e),
    };
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
    };
    let content = html! {
        @if let Some(why) = &disabled {
            p.notice role="alert" { (l.t("Alamat webhook dinonaktifkan: ", "Webhook endpoint disabled: ")) (why) }
        }
        form #partner-edit method="post" action={ "/admin/partners/" (p.id) } {
            (csrf(staff))
            (partner_fields(l, form, errors, false))
            p { button type="submit" { (l.t("Simpan", "Save")) } }
        }
        form #partner-active method="post" action={ "/admin/partners/" (p.id) "/active" } {
            (csrf(staff))
            p { button type="submit" {
                @if p.active { (l.t("Nonaktifkan mitra", "Switch the partner off")) }
                @else { (l.t("Aktifkan mitra", "Switch the partner on")) }
            } }
        }
        h2 { (l.t("Uji webhook", "Test webhook")) }
        form #test-webhook method="post" action={ "/admin/partners/" (p.id) "/test-webhook" } {
            (csrf(staff))
            p { button type="submit" { (l.t("Kirim webhook uji", "Send test webhook")) } }
        }
        @if !sent.is_empty() {
            p.ok role="status" { (l.t("Webhook uji diantrekan: ", "Test webhook queued: ")) code { (sent) } }
        }
        h2 { (l.t("Pengiriman terakhir", "Recent deliveries")) }
        div.table-wrap {
            table #deliveries {
                thead { tr {
                    th scope="col" { (l.t("Waktu", "Time")) }
                    th scope="col" { (l.t("Jenis", "Type")) }
                    th scope="col" { "webhook-id" }
                    th scope="col" { (l.t("Status", "State")) }
                    th scope="col" { (l.t("Percobaan", "Attempts")) }
                    th scope="col" { "HTTP" }
                    th scope="col" { (l.t("Galat", "Error")) }
                } }
                tbody {
                    @for d in &deliveries {
                        tr class={ "d-" (d.status) @if d.event_id == sent { " sent" } } {
                            td { (local(d.created_at)) }
                            td { (d.event_type) }
                            td { code { (d.event_id) } }
                            td { (l.delivery_status(&d.status)) }
                            td { (d.attempts) }
                            td { (d.last_status.map(|s| s.to_string()).unwrap_or_else(|| "–".into())) }
                            td { (d.last_error.as_deref().unwrap_or("")) }
                        }
                    }
                    @if deliveries.is_empty() { tr { td colspan="7" { (l.t("belum ada", "none yet")) } } }
                }
            }
        }
    };
    page(staff, status_for(errors), &p.name, content)
}

/// `GET /admin/partners/{id}`
pub async fn partner(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<SentQuery>,
) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    match load_partner(&state, &staff, &id).await {
        Ok(p) => {
            partner_edit_page(&state, &staff, &p, &PartnerForm::of(&p), &[], q.sent.trim()).await
        }
        Err(r) => r,
    }
}

/// `POST /admin/partners/{id}`
pub async fn update_partner(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<PartnerForm>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let old = match load_partner(&state, &staff, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let p = match form.parse(old.id, Some(&old)) {
        Ok(p) => p,
        Err(errors) => return partner_edit_page(&state, &staff, &old, &form, &errors, "").await,
    };
    match state.dispatch.update_partner(&staff.principal, p).await {
        Ok(p) => Redirect::to(&format!("/admin/partners/{}", p.id)).into_response(),
        Err(DispatchError::Invalid(errors)) => {
            partner_edit_page(&state, &staff, &old, &form, &errors, "").await
        }
        Err(e) => failure(staff.lang, e),
    }
}

/// A form carrying only its CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    _csrf: String,
}

/// `POST /admin/partners/{id}/active`: switch a partner on or off.
pub async fn toggle_partner(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let mut p = match load_partner(&state, &staff, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    p.active = !p.active;
    match state.dispatch.update_partner(&staff.principal, p).await {
        Ok(p) => Redirect::to(&format!("/admin/partners/{}", p.id)).into_response(),
        Err(e) => failure(staff.lang, e),
    }
}

/// `POST /admin/partners/{id}/test-webhook`
pub async fn test_webhook(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let p = match load_partner(&state, &staff, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match state
        .dispatch
        .send_test_webhook(&staff.principal, p.id)
        .await
    {
        Ok(event) => {
            Redirect::to(&format!("/admin/partners/{}?sent={event}", p.id)).into_response()
        }
        Err(e) => failure(staff.lang, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Users and tokens

/// The new-user form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    password: String,
}

/// The new-token form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    partner_id: String,
}

fn role_name(l: Lang, r: Role) -> &'static str {
    match r {
        Role::Admin => l.t("admin", "admin"),
        Role::Pharmacist => l.t("apoteker", "pharmacist"),
        Role::SocialWorker => l.t("petugas sosial", "social worker"),
        Role::Partner => l.t("mitra", "partner"),
    }
}

fn parse_role(errors: &mut Vec<FieldError>, v: &str) -> Option<Role> {
    v.trim().parse::<Role>().ok().or_else(|| {
        errors.push(FieldError::new(
            "role",
            "invalid_value",
            "pilih peran / choose a role",
        ));
        None
    })
}

fn parse_opt_id(errors: &mut Vec<FieldError>, field: &str, v: &str) -> Option<uuid::Uuid> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    v.parse()
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                "invalid_value",
                "pilih dari daftar / choose from the list",
            ))
        })
        .ok()
}

struct UsersView<'a> {
    user: &'a UserForm,
    user_errors: &'a [FieldError],
    token: &'a TokenForm,
    token_errors: &'a [FieldError],
    minted: Option<(String, String)>,
}

async fn users_page(state: &WebState, staff: &Staff, v: UsersView<'_>) -> Response {
    let l = staff.lang;
    let d = &state.dispatch;
    let who = &staff.principal;
    let (users, tokens, sites, partners) = match (
        d.users(who).await,
        d.tokens(who).await,
        d.sites(who).await,
        d.partners(who).await,
    ) {
        (Ok(u), Ok(t), Ok(s), Ok(p)) => (u, t, s, p),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (_, _, _, Err(e)) => {
            return failure(l, e);
        }
    };
    let site_name = |id: Option<SiteId>| {
        id.and_then(|id| sites.iter().find(|s| s.id == id).map(|s| s.name.clone()))
            .unwrap_or_else(|| "–".into())
    };
    let pharmacies: Vec<(String, String)> =
        std::iter::once((String::new(), l.t("(tidak ada)", "(none)").to_owned()))
            .chain(
                sites
                    .iter()
                    .filter(|s| s.kind == SiteKind::Pharmacy)
                    .map(|s| (s.id.to_string(), s.name.clone())),
            )
            .collect();
    let partner_opts: Vec<(String, String)> =
        std::iter::once((String::new(), l.t("(tidak ada)", "(none)").to_owned()))
            .chain(partners.iter().map(|p| (p.id.to_string(), p.name.clone())))
            .collect();
    let staff_roles: Vec<(String, String)> = [Role::SocialWorker, Role::Pharmacist, Role::Admin]
        .iter()
        .map(|r| (r.as_str().to_owned(), role_name(l, *r).to_owned()))
        .collect();
    let token_roles: Vec<(String, String)> = [
        Role::SocialWorker,
        Role::Pharmacist,
        Role::Admin,
        Role::Partner,
    ]
    .iter()
    .map(|r| (r.as_str().to_owned(), role_name(l, *r).to_owned()))
    .collect();
    let tz = d.tz();
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let errors = !v.user_errors.is_empty() || !v.token_errors.is_empty();
    let content = html! {
        @if let Some((name, token)) = &v.minted {
            div.ok #minted role="status" {
                p { (l.t("Token baru", "New token")) " " strong { (name) } ": "
                    (l.t("salin sekarang; token ini tidak ditampilkan lagi.", "copy it now; it is not shown again.")) }
                p { code #token-secret { (token) } }
            }
        }
        h2 { (l.t("Pengguna", "Users")) }
        div.table-wrap {
            table #users {
                thead { tr {
                    th scope="col" { (l.t("Nama", "Name")) }
                    th scope="col" { (l.t("Nama pengguna", "Login")) }
                    th scope="col" { (l.t("Peran", "Role")) }
                    th scope="col" { (l.t("Farmasi", "Pharmacy")) }
                    th scope="col" { (l.t("Aktif", "Active")) }
                } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) } td { (u.login) } td { (role_name(l, u.role)) }
                            td { (site_name(u.site_id)) }
                            td { (if u.active { l.t("ya", "yes") } else { l.t("tidak", "no") }) }
                        }
                    }
                }
            }
        }
        h3 { (l.t("Pengguna baru", "New user")) }
        form #user-new method="post" action="/admin/users" {
            (csrf(staff))
            (input(v.user_errors, "u-name", "name", l.t("Nama lengkap", "Full name"), "text", &v.user.name))
            (input(v.user_errors, "u-login", "login", l.t("Nama pengguna", "Login"), "text", &v.user.login))
            (select(v.user_errors, "u-role", "role", l.t("Peran", "Role"), &staff_roles, &v.user.role))
            (select(v.user_errors, "u-site", "site_id", l.t("Farmasi (untuk apoteker)", "Pharmacy (for pharmacists)"), &pharmacies, &v.user.site_id))
            (input(v.user_errors, "u-password", "password", l.t("Kata sandi (min. 10 huruf)", "Password (at least 10 characters)"), "password", ""))
            p { button type="submit" { (l.t("Buat pengguna", "Create user")) } }
        }
        h2 { (l.t("Token API", "API tokens")) }
        div.table-wrap {
            table #tokens {
                thead { tr {
                    th scope="col" { (l.t("Label", "Label")) }
                    th scope="col" { (l.t("Awalan", "Prefix")) }
                    th scope="col" { (l.t("Peran", "Role")) }
                    th scope="col" { (l.t("Dibuat", "Created")) }
                    th scope="col" { (l.t("Status", "State")) }
                } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td { (t.name) } td { code { (t.prefix) } } td { (role_name(l, t.role)) }
                            td { (local(t.created_at)) }
                            td {
                                @match t.revoked_at {
                                    Some(at) => { (l.t("dicabut ", "revoked ")) (local(at)) }
                                    None => {
                                        form.inline method="post" action={ "/admin/tokens/" (t.id) "/revoke" } {
                                            (csrf(staff))
                                            button type="submit" aria-label={ (l.t("Cabut token ", "Revoke token ")) (t.name) } {
                                                (l.t("Cabut", "Revoke"))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { (l.t("Token baru", "New token")) }
        form #token-new method="post" action="/admin/tokens" {
            (csrf(staff))
            (input(v.token_errors, "t-name", "name", l.t("Label", "Label"), "text", &v.token.name))
            (select(v.token_errors, "t-role", "role", l.t("Peran", "Role"), &token_roles, &v.token.role))
            (select(v.token_errors, "t-site", "site_id", l.t("Farmasi (untuk apoteker)", "Pharmacy (for pharmacists)"), &pharmacies, &v.token.site_id))
            (select(v.token_errors, "t-partner", "partner_id", l.t("Mitra (untuk token mitra)", "Partner (for partner tokens)"), &partner_opts, &v.token.partner_id))
            p { button type="submit" { (l.t("Buat token", "Create token")) } }
        }
    };
    let status = if errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        staff,
        status,
        l.t("Pengguna dan token", "Users and tokens"),
        content,
    )
}

/// `GET /admin/users`
pub async fn users(State(state): State<WebState>, staff: Staff) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    let (u, t) = (UserForm::default(), TokenForm::default());
    users_page(
        &state,
        &staff,
        UsersView {
            user: &u,
            user_errors: &[],
            token: &t,
            token_errors: &[],
            minted: None,
        },
    )
    .await
}

/// `POST /admin/users`
pub async fn create_user(
    State(state): State<WebState>,
    staff: Staff,
    Form(form): Form<UserForm>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let mut errors = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "required",
            "nama wajib diisi / a name is required",
        ));
    }
    let login = form.login.trim().to_lowercase();
    if login.is_empty() || login.chars().any(char::is_whitespace) {
        errors.push(FieldError::new(
            "login",
            "invalid_value",
            "isi nama pengguna tanpa spasi / a login without spaces",
        ));
    }
    let role = parse_role(&mut errors, &form.role);
    let site = parse_opt_id(&mut errors, "site_id", &form.site_id).map(SiteId);
    if form.password.chars().count() < 10 {
        errors.push(FieldError::new(
            "password",
            "too_short",
            "minimal 10 huruf / at least 10 characters",
        ));
    }
    let t = TokenForm::default();
    let view = |errors: &[FieldError]| {
        let errors = errors.to_vec();
        let form = form.clone();
        let state = state.clone();
        let staff = &staff;
        let t = t.clone();
        async move {
            users_page(
                &state,
                staff,
                UsersView {
                    user: &form,
                    user_errors: &errors,
                    token: &t,
                    token_errors: &[],
                    minted: None,
                },
            )
            .await
        }
    };
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return view(&errors).await;
    };
    let req = NewUser {
        name,
        login,
        role,
        site_id: site,
        password: Some(secrecy::SecretString::from(form.password.clone())),
    };
    match state.dispatch.create_user(&staff.principal, req).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(DispatchError::Invalid(errors)) => view(&errors).await,
        Err(e) => failure(staff.lang, e),
    }
}

/// `POST /admin/tokens`: the token is shown once, on the answer page.
pub async fn create_token(
    State(state): State<WebState>,
    staff: Staff,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let mut errors = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "required",
            "label wajib diisi / a label is required",
        ));
    }
    let role = parse_role(&mut errors, &form.role);
    let site = parse_opt_id(&mut errors, "site_id", &form.site_id).map(SiteId);
    let partner = parse_opt_id(&mut errors, "partner_id", &form.partner_id).map(PartnerId);
    let u = UserForm::default();
    let result = match role.filter(|_| errors.is_empty()) {
        None => Err(DispatchError::Invalid(errors)),
        Some(role) => {
            state
                .dispatch
                .create_token(
                    &staff.principal,
                    NewToken {
                        name,
                        role,
                        site_id: site,
                        partner_id: partner,
                    },
                )
                .await
        }
    };
    match result {
        Ok((info, token)) => {
            let t = TokenForm::default();
            users_page(
                &state,
                &staff,
                UsersView {
                    user: &u,
                    user_errors: &[],
                    token: &t,
                    token_errors: &[],
                    minted: Some((info.name, token)),
                },
            )
            .await
        }
        Err(DispatchError::Invalid(errors)) => {
            users_page(
                &state,
                &staff,
                UsersView {
                    user: &u,
                    user_errors: &[],
                    token: &form,
                    token_errors: &errors,
                    minted: None,
                },
            )
            .await
        }
        Err(e) => failure(staff.lang, e),
    }
}

/// `POST /admin/tokens/{id}/revoke`
pub async fn revoke_token(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let Some(id) = parse_id(&id) else {
        return failure(staff.lang, DispatchError::NotFound("token"));
    };
    match state
        .dispatch
        .revoke_token(&staff.principal, TokenId(id))
        .await
    {
        Ok(()) => Redirect::to("/admin/users").into_response(),
        Err(e) => failure(staff.lang, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Audit log

/// `?actor=&action=&date=&before=`
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    before: String,
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /admin/audit`
pub async fn audit(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    let l = staff.lang;
    let d = &state.dispatch;
    let tz = d.tz();
    let mut errors = Vec::new();
    let date = match q.date.trim() {
        "" => None,
        s => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(
                    "date",
                    "invalid_date",
                    "isi tanggal TTTT-BB-HH / give a date as YYYY-MM-DD",
                ));
                None
            }
        },
    };
    let before = match q.before.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(FieldError::new(
                    "before",
                    "invalid_value",
                    "bukan nomor / not a number",
                ));
                None
            }
        },
    };
    let filter = AuditFilter {
        actor: opt(&q.actor),
        action: opt(&q.action),
        from: date.map(|d| local_to_utc(d, NaiveTime::MIN, tz)),
        until: date.map(|d| local_to_utc(d.succ_opt().unwrap_or(d), NaiveTime::MIN, tz)),
        before,
        limit: AUDIT_PAGE,
    };
    let entries = if errors.is_empty() {
        match d.audit_search(&staff.principal, &filter).await {
            Ok(e) => e,
            Err(e) => return failure(l, e),
        }
    } else {
        Vec::new()
    };
    let next = (entries.len() as i64 == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let content = html! {
        form.filters method="get" action="/admin/audit" aria-label=(l.t("Saring", "Filter")) {
            (input(&errors, "a-actor", "actor", l.t("Pelaku (mis. admin:budi)", "Actor (e.g. admin:budi)"), "text", &q.actor))
            (input(&errors, "a-action", "action", l.t("Tindakan (mis. create, read)", "Action (e.g. create, read)"), "text", &q.action))
            (input(&errors, "a-date", "date", l.t("Tanggal", "Date"), "date", &q.date))
            div { button type="submit" { (l.t("Terapkan", "Apply")) } }
        }
        @if let Some(e) = err_of(&errors, "before") { p.err { (e.reason) } }
        div.table-wrap {
            table #audit {
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (l.t("Waktu", "Time")) }
                    th scope="col" { (l.t("Pelaku", "Actor")) }
                    th scope="col" { (l.t("Tindakan", "Action")) }
                    th scope="col" { (l.t("Data", "Entity")) }
                    th scope="col" { (l.t("Rincian", "Detail")) }
                } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (e.id) }
                            td { (e.at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S")) }
                            td { (e.actor) }
                            td { (e.action) }
                            td { (e.entity) @if let Some(id) = &e.entity_id { " " code { (id) } } }
                            td { code { (e.detail.to_string()) } }
                        }
                    }
                    @if entries.is_empty() { tr { td colspan="6" { (l.t("tidak ada", "none")) } } }
                }
            }
        }
        @if let Some(n) = next {
            p { a rel="next" href={ "/admin/audit?actor=" (enc(&q.actor)) "&action=" (enc(&q.action)) "&date=" (enc(&q.date)) "&before=" (n) } {
                (l.t("Lebih lama →", "Older →"))
            } }
        }
    };
    page(
        &staff,
        status_for(&errors),
        l.t("Log audit", "Audit log"),
        content,
    )
}
