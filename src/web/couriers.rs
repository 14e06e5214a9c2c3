//! Our own couriers, for admins: `/admin/couriers` lists every site's couriers and adds one,
//! `/admin/couriers/{id}` changes one (or takes them off the roster). The fields are checked by
//! the same rules as the API (`dispatch::roster`); this module only reads the form, shows each
//! error beside its field and draws the page.
//!
//! Must not depend on `api` or `store`.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::admin::{admin_only, checkbox, csrf, input, page, parse_id, select, status_for};
use super::i18n::Lang;
use super::{Staff, WebState, failure};
use crate::dispatch::roster::CourierFields;
use crate::dispatch::{DispatchError, FieldError};
use crate::domain::records::{Courier, Site};
use crate::domain::{CourierId, SiteId, Weekdays};

/// Days as the form names them, Monday first, with their labels.
const DAYS: [(&str, &str, &str); 7] = [
    ("mon", "Sen", "Mon"),
    ("tue", "Sel", "Tue"),
    ("wed", "Rab", "Wed"),
    ("thu", "Kam", "Thu"),
    ("fri", "Jum", "Fri"),
    ("sat", "Sab", "Sat"),
    ("sun", "Min", "Sun"),
];

/// The courier form, fields as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CourierForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    vehicle: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    max_stops: String,
    #[serde(default)]
    max_trips: String,
    #[serde(default)]
    work_start: String,
    #[serde(default)]
    work_end: String,
    d_mon: Option<String>,
    d_tue: Option<String>,
    d_wed: Option<String>,
    d_thu: Option<String>,
    d_fri: Option<String>,
    d_sat: Option<String>,
    d_sun: Option<String>,
    active: Option<String>,
}

impl CourierForm {
    fn new_default() -> Self {
        let on = || Some("on".to_owned());
        Self {
            max_trips: "2".into(),
            work_start: "06:00".into(),
            work_end: "18:00".into(),
            d_mon: on(),
            d_tue: on(),
            d_wed: on(),
            d_thu: on(),
            d_fri: on(),
            d_sat: on(),
            active: on(),
            ..Self::default()
        }
    }

    fn of(c: &Courier) -> Self {
        let mut f = Self {
            site_id: c.site_id.to_string(),
            name: c.name.clone(),
            phone: c.phone.to_string(),
            vehicle: c.vehicle.clone(),
            capacity: c.capacity.to_string(),
            max_stops: c.max_stops.to_string(),
            max_trips: c.max_trips.to_string(),
            work_start: c.work_start.format("%H:%M").to_string(),
            work_end: c.work_end.format("%H:%M").to_string(),
            active: c.active.then(|| "on".to_owned()),
            ..Self::default()
        };
        for day in c.working_days.names() {
            *f.day_mut(day) = Some("on".into());
        }
        f
    }

    fn day_mut(&mut self, day: &str) -> &mut Option<String> {
        match day {
            "mon" => &mut self.d_mon,
            "tue" => &mut self.d_tue,
            "wed" => &mut self.d_wed,
            "thu" => &mut self.d_thu,
            "fri" => &mut self.d_fri,
            "sat" => &mut self.d_sat,
            _ => &mut self.d_sun,
        }
    }

    fn day(&self, day: &str) -> bool {
        match day {
            "mon" => self.d_mon.is_some(),
            "tue" => self.d_tue.is_some(),
            "wed" => self.d_wed.is_some(),
            "thu" => self.d_thu.is_some(),
            "fri" => self.d_fri.is_some(),
            "sat" => self.d_sat.is_some(),
            _ => self.d_sun.is_some(),
        }
    }

    fn days(&self) -> Vec<String> {
        DAYS.iter()
            .filter(|(d, _, _)| self.day(d))
            .map(|(d, _, _)| (*d).to_owned())
            .collect()
    }

    /// Numbers as numbers (a word where a number belongs is named here); everything else is
    /// checked by the shared rules.
    fn numbers(&self, errors: &mut Vec<FieldError>) -> [Option<u32>; 3] {
        [
            ("capacity", &self.capacity),
            ("max_stops", &self.max_stops),
            ("max_trips", &self.max_trips),
        ]
        .map(|(field, v)| {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            v.parse().map_or_else(
                |_| {
                    errors.push(FieldError::new(
                        field,
                        "invalid_number",
                        "expected a whole number",
                    ));
                    None
                },
                Some,
            )
        })
    }

    fn fields<'a>(&'a self, days: &'a [String], numbers: [Option<u32>; 3]) -> CourierFields<'a> {
        let text = |v: &'a str| Some(v).filter(|v| !v.trim().is_empty());
        CourierFields {
            name: Some(&self.name),
            phone: text(&self.phone),
            vehicle: Some(&self.vehicle),
            capacity: numbers[0],
            max_stops: numbers[1],
            max_trips: numbers[2],
            working_days: Some(days),
            work_start: text(&self.work_start),
            work_end: text(&self.work_end),
            active: Some(self.active.is_some()),
        }
    }

    fn new_courier(&self) -> Result<Courier, Vec<FieldError>> {
        let mut errors = Vec::new();
        let site = parse_id(&self.site_id).map(SiteId);
        if site.is_none() {
            errors.push(FieldError::new("site_id", "required", "choose a site"));
        }
        let numbers = self.numbers(&mut errors);
        let days = self.days();
        let made = self
            .fields(&days, numbers)
            .new_courier(site.unwrap_or_default());
        match made {
            Ok(c) if errors.is_empty() => Ok(c),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }

    fn patch(&self) -> Result<crate::dispatch::fleet::CourierPatch, Vec<FieldError>> {
        let mut errors = Vec::new();
        let numbers = self.numbers(&mut errors);
        let days = self.days();
        let mut f = self.fields(&days, numbers);
        if f.phone.is_none() {
            // An emptied phone is an error, not "keep the old one".
            f.phone = Some("");
        }
        match f.patch() {
            Ok(p) if errors.is_empty() => Ok(p),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }
}

fn courier_fields(
    l: Lang,
    f: &CourierForm,
    errors: &[FieldError],
    sites: Option<&[Site]>,
) -> Markup {
    let day_error = errors.iter().find(|e| e.field == "working_days");
    html! {
        @if let Some(sites) = sites {
            @let options: Vec<(String, String)> = std::iter::once((String::new(), l.t("— pilih —", "— choose —").to_owned()))
                .chain(sites.iter().map(|s| (s.id.to_string(), s.name.clone()))).collect();
            (select(errors, "c-site", "site_id", l.t("Dapur atau farmasi", "Kitchen or pharmacy"), &options, &f.site_id))
        }
        (input(errors, "c-name", "name", l.t("Nama", "Name"), "text", &f.name))
        (input(errors, "c-phone", "phone", l.t("Telepon (WhatsApp)", "Phone (WhatsApp)"), "tel", &f.phone))
        (input(errors, "c-vehicle", "vehicle", l.t("Kendaraan dan nomor polisi", "Vehicle and plate"), "text", &f.vehicle))
        (input(errors, "c-capacity", "capacity", l.t("Muatan (rantang atau paket)", "Load (tins or parcels)"), "number", &f.capacity))
        (input(errors, "c-stops", "max_stops", l.t("Titik per perjalanan", "Stops per trip"), "number", &f.max_stops))
        (input(errors, "c-trips", "max_trips", l.t("Perjalanan per hari (1–4)", "Trips per day (1–4)"), "number", &f.max_trips))
        fieldset.days aria-invalid=[day_error.map(|_| "true")] {
            legend { (l.t("Hari kerja", "Working days")) }
            @for (d, id_label, en_label) in DAYS {
                @let id = format!("c-d-{d}");
                input id=(id) name={ "d_" (d) } type="checkbox" value="on" checked[f.day(d)];
                " " label.inline for=(id) { (l.t(id_label, en_label)) } " "
            }
            @if let Some(e) = day_error { p.err { (e.reason) } }
        }
        (input(errors, "c-start", "work_start", l.t("Mulai kerja (WIB)", "Starts (local time)"), "time", &f.work_start))
        (input(errors, "c-end", "work_end", l.t("Selesai kerja (WIB)", "Ends (local time)"), "time", &f.work_end))
        (checkbox("c-active", "active", l.t("Aktif", "Active"), f.active.is_some()))
    }
}

fn days_label(l: Lang, d: Weekdays) -> String {
    if d == Weekdays::ALL {
        return l.t("setiap hari", "every day").to_owned();
    }
    let names = d.names();
    DAYS.iter()
        .filter(|(n, _, _)| names.contains(n))
        .map(|(_, id, en)| l.t(id, en))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn couriers_page(
    state: &WebState,
    staff: &Staff,
    form: &CourierForm,
    errors: &[FieldError],
) -> Response {
    let l = staff.lang;
    let (sites, couriers) = match tokio::try_join!(
        state.dispatch.sites(&staff.principal),
        state.dispatch.list_couriers(&staff.principal, None)
    ) {
        Ok(v) => v,
        Err(e) => return failure(l, e),
    };
    let site_name = |id: SiteId| {
        sites
            .iter()
            .find(|s| s.id == id)
            .map_or("?", |s| s.name.as_str())
    };
    let content = html! {
        p { (l.t(
            "Kurir kita sendiri (ojek warga di rute tetap). Perencana memberi mereka rute dalam jam kerjanya; tautan kurir tampil di halaman Hari ini.",
            "Our own couriers (local riders on fixed routes). The planner gives them routes within their hours; their links show on Today."
        )) }
        div.table-wrap {
            table #couriers {
                thead { tr {
                    th scope="col" { (l.t("Nama", "Name")) }
                    th scope="col" { (l.t("Dapur / farmasi", "Kitchen / pharmacy")) }
                    th scope="col" { (l.t("Telepon", "Phone")) }
                    th scope="col" { (l.t("Kendaraan", "Vehicle")) }
                    th scope="col" { (l.t("Muatan", "Load")) }
                    th scope="col" { (l.t("Titik", "Stops")) }
                    th scope="col" { (l.t("Perjalanan", "Trips")) }
                    th scope="col" { (l.t("Hari dan jam", "Days and hours")) }
                    th scope="col" { (l.t("Aktif", "Active")) }
                    th scope="col" { span.visually-hidden { (l.t("Ubah", "Edit")) } }
                } }
                tbody {
                    @for c in &couriers {
                        tr {
                            td { (c.name) }
                            td { (site_name(c.site_id)) }
                            td { a href={ "tel:" (c.phone) } { (c.phone) } }
                            td { (c.vehicle) }
                            td.num { (c.capacity) }
                            td.num { (c.max_stops) }
                            td.num { (c.max_trips) }
                            td { (days_label(l, c.working_days)) ", "
                                 (c.work_start.format("%H.%M")) "–" (c.work_end.format("%H.%M")) }
                            td { (if c.active { l.t("ya", "yes") } else { l.t("tidak", "no") }) }
                            td { a href={ "/admin/couriers/" (c.id) } { (l.t("Ubah", "Edit")) } }
                        }
                    }
                    @if couriers.is_empty() {
                        tr { td colspan="10" { (l.t("Belum ada kurir.", "No couriers yet.")) } }
                    }
                }
            }
        }
        h2 { (l.t("Kurir baru", "New courier")) }
        form #courier-new method="post" action="/admin/couriers" {
            (csrf(staff))
            (courier_fields(l, form, errors, Some(&sites)))
            p { button type="submit" { (l.t("Simpan", "Save")) } }
        }
    };
    page(
        staff,
        status_for(errors),
        l.t("Kurir sendiri", "Our couriers"),
        content,
    )
}

/// `GET /admin/couriers`
pub async fn couriers(State(state): State<WebState>, staff: Staff) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    couriers_page(&state, &staff, &CourierForm::new_default(), &[]).await
}

/// `POST /admin/couriers`
pub async fn create_courier(
    State(state): State<WebState>,
    staff: Staff,
    Form(form): Form<CourierForm>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let courier = match form.new_courier() {
        Ok(c) => c,
        Err(errors) => return couriers_page(&state, &staff, &form, &errors).await,
    };
    match state
        .dispatch
        .create_courier(&staff.principal, courier)
        .await
    {
        Ok(_) => Redirect::to("/admin/couriers").into_response(),
        Err(DispatchError::Invalid(errors)) => couriers_page(&state, &staff, &form, &errors).await,
        Err(e) => failure(staff.lang, e),
    }
}

async fn load_courier(state: &WebState, staff: &Staff, id: &str) -> Result<Courier, Response> {
    let not_found = || failure(staff.lang, DispatchError::NotFound("courier"));
    let id = parse_id(id).map(CourierId).ok_or_else(not_found)?;
    let all = state
        .dispatch
        .list_couriers(&staff.principal, None)
        .await
        .map_err(|e| failure(staff.lang, e))?;
    all.into_iter().find(|c| c.id == id).ok_or_else(not_found)
}

fn courier_edit_page(
    staff: &Staff,
    c: &Courier,
    form: &CourierForm,
    errors: &[FieldError],
) -> Response {
    let l = staff.lang;
    let content = html! {
        form #courier-edit method="post" action={ "/admin/couriers/" (c.id) } {
            (csrf(staff))
            (courier_fields(l, form, errors, None))
            p { button type="submit" { (l.t("Simpan", "Save")) } }
        }
    };
    page(staff, status_for(errors), &c.name, content)
}

/// `GET /admin/couriers/{id}`
pub async fn courier(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    match load_courier(&state, &staff, &id).await {
        Ok(c) => courier_edit_page(&staff, &c, &CourierForm::of(&c), &[]),
        Err(r) => r,
    }
}

/// `POST /admin/couriers/{id}`
pub async fn update_courier(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CourierForm>,
) -> Response {
    if let Some(r) = admin_only(&staff).or_else(|| staff.csrf_refusal(&form._csrf)) {
        return r;
    }
    let old = match load_courier(&state, &staff, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let patch = match form.patch() {
        Ok(p) => p,
        Err(errors) => return courier_edit_page(&staff, &old, &form, &errors),
    };
    match state
        .dispatch
        .update_courier(&staff.principal, old.id, patch)
        .await
    {
        Ok(_) => Redirect::to("/admin/couriers").into_response(),
        Err(DispatchError::Invalid(errors)) => courier_edit_page(&staff, &old, &form, &errors),
        Err(e) => failure(staff.lang, e),
    }
}
