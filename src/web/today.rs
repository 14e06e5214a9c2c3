//! The Today page: welfare and other alerts on top (acknowledge, close), counts by program and
//! state, and every delivery of the day, filtered by village, site and state; live updates
//! through a server-sent event stream that only says "changed".

use std::collections::HashMap;
use std::convert::Infallible;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Staff, WebState, failure, layout};
use crate::dispatch::staff::DeliveryQuery;
use crate::domain::records::Site;
use crate::domain::{AlertId, AlertStatus, OrderKind, OrderStatus, SiteId};
use crate::store::jobs::{AlertFilter, AlertRow};
use crate::store::web::DeliveryRow;

/// Filters from the query string; anything unreadable is ignored (a page, not an API).
#[derive(Debug, Default, Deserialize)]
pub struct TodayQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
}

impl TodayQuery {
    fn to_query(&self) -> DeliveryQuery {
        DeliveryQuery {
            date: NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d").ok(),
            site: self.site.parse::<uuid::Uuid>().ok().map(SiteId),
            kind: self.kind.parse::<OrderKind>().ok(),
            status: self.status.parse::<OrderStatus>().ok(),
            village: Some(self.village.trim().to_owned()).filter(|v| !v.is_empty()),
        }
    }

    /// The same filters as a query string, for the live fragment's address.
    fn encoded(&self) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "date={}&village={}&site={}&kind={}&status={}",
            enc(&self.date),
            enc(&self.village),
            enc(&self.site),
            enc(&self.kind),
            enc(&self.status)
        )
    }
}

struct Data {
    alerts: Vec<AlertRow>,
    rows: Vec<DeliveryRow>,
    sites: Vec<Site>,
    date: NaiveDate,
    tz: chrono_tz::Tz,
}

async fn load(state: &WebState, staff: &Staff, q: &TodayQuery) -> Result<Data, Response> {
    let d = &state.dispatch;
    let query = q.to_query();
    let date = query
        .date
        .unwrap_or_else(|| d.local_date(crate::clock::now()));
    let rows = d
        .day_deliveries(&staff.principal, query)
        .await
        .map_err(|e| failure(staff.lang, e))?;
    let alerts = d
        .list_alerts(
            &staff.principal,
            AlertFilter {
                limit: 200,
                ..AlertFilter::default()
            },
        )
        .await
        .map_err(|e| failure(staff.lang, e))?;
    let sites = d
        .sites(&staff.principal)
        .await
        .map_err(|e| failure(staff.lang, e))?;
    Ok(Data {
        alerts,
        rows,
        sites,
        date,
        tz: d.tz(),
    })
}

/// `GET /today`
pub async fn page(
    State(state): State<WebState>,
    staff: Staff,
    headers: axum::http::HeaderMap,
    Query(q): Query<TodayQuery>,
) -> Response {
    let data = match load(&state, &staff, &q).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let l = staff.lang;
    let shares = match state
        .dispatch
        .courier_shares(&staff.principal, data.date)
        .await
    {
        Ok(s) => s,
        Err(e) => return failure(l, e),
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.secure_cookies {
        "https"
    } else {
        "http"
    };
    let body = html! {
        main {
            h1 { (l.t("Pengantaran hari ini", "Today's deliveries")) " · " (data.date) }
            @if !shares.is_empty() {
                section aria-labelledby="h-fleet" {
                    h2 #h-fleet { (l.t("Kurir kami", "Our couriers")) }
                    ul #courier-links {
                        @for s in &shares {
                            @let url = format!("{scheme}://{host}{}", s.link);
                            li {
                                (s.courier.name) " · " (local(s.departure, data.tz)) " · "
                                a href=(url) { (l.t("Tautan kurir", "Courier link")) } " · "
                                a href={ "https://wa.me/" (s.courier.phone.as_str().trim_start_matches('+'))
                                    "?text=" (wa_text(&format!("Antaran hari ini: {url}"))) } {
                                    (l.t("Bagikan ke kurir (WhatsApp)", "Share with the courier (WhatsApp)"))
                                }
                            }
                        }
                    }
                }
            }
            form.filters method="get" action="/today" aria-label=(l.t("Saring", "Filter")) {
                div {
                    label for="f-date" { (l.t("Tanggal", "Date")) }
                    input #f-date type="date" name="date" value=(data.date);
                }
                div {
                    label for="f-village" { (l.t("Desa", "Village")) }
                    input #f-village type="text" name="village" value=(q.village);
                }
                div {
                    label for="f-site" { (l.t("Dapur / farmasi", "Kitchen / pharmacy")) }
                    select #f-site name="site" {
                        option value="" { (l.t("semua", "all")) }
                        @for s in &data.sites {
                            option value=(s.id) selected[q.site == s.id.to_string()] { (s.name) }
                        }
                    }
                }
                div {
                    label for="f-kind" { (l.t("Program", "Program")) }
                    select #f-kind name="kind" {
                        option value="" { (l.t("semua", "all")) }
                        @for k in [OrderKind::Meal, OrderKind::Medicine] {
                            option value=(k.as_str()) selected[q.kind == k.as_str()] { (l.kind(k)) }
                        }
                    }
                }
                div {
                    label for="f-status" { (l.t("Status", "State")) }
                    select #f-status name="status" {
                        option value="" { (l.t("semua", "all")) }
                        @for s in OrderStatus::ALL {
                            option value=(s.as_str()) selected[q.status == s.as_str()] { (l.order_status(s)) }
                        }
                    }
                }
                div { button type="submit" { (l.t("Terapkan", "Apply")) } }
            }
            div #live data-src={ "/today/live?" (q.encoded()) } aria-live="polite" {
                (live_fragment(&staff, &data))
            }
        }
        script src="/static/live.js" defer {}
    };
    layout(l, l.t("Hari ini", "Today"), Some(&staff), body).into_response()
}

/// `GET /today/live`: the part of the page that live updates replace.
pub async fn live(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<TodayQuery>,
) -> Response {
    match load(&state, &staff, &q).await {
        Ok(data) => live_fragment(&staff, &data).into_response(),
        Err(r) => r,
    }
}

/// Percent-encode a WhatsApp message.
fn wa_text(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn local(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

fn courier_name(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| {
            let name = v.get("name")?.as_str()?.to_owned();
            Some(match v.get("plate").and_then(|p| p.as_str()) {
                Some(p) => format!("{name} ({p})"),
                None => name,
            })
        })
        .unwrap_or_default()
}

fn live_fragment(staff: &Staff, data: &Data) -> Markup {
    let l = staff.lang;
    let tz = data.tz;
    let mut counts: HashMap<(&str, OrderStatus), usize> = HashMap::new();
    for r in &data.rows {
        *counts.entry((r.kind.as_str(), r.status)).or_default() += 1;
    }
    let kinds = [OrderKind::Meal, OrderKind::Medicine];
    let statuses: Vec<OrderStatus> = OrderStatus::ALL
        .into_iter()
        .filter(|s| kinds.iter().any(|k| counts.contains_key(&(k.as_str(), *s))))
        .collect();
    html! {
        section aria-labelledby="h-alerts" {
            h2 #h-alerts { (l.t("Peringatan", "Alerts")) " (" (data.alerts.len()) ")" }
            @if data.alerts.is_empty() { p { (l.t("Tidak ada peringatan terbuka.", "No open alerts.")) } }
            @for a in &data.alerts { (alert_box(staff, a, tz)) }
        }
        section aria-labelledby="h-counts" {
            h2 #h-counts { (l.t("Jumlah", "Counts")) " (" (data.rows.len()) ")" }
            div.table-wrap {
                table.counts {
                    thead { tr {
                        th scope="col" { (l.t("Program", "Program")) }
                        @for s in &statuses { th scope="col" { (l.order_status(*s)) } }
                    } }
                    tbody {
                        @for k in kinds {
                            tr {
                                th scope="row" { (l.kind(k)) }
                                @for s in &statuses {
                                    td { (counts.get(&(k.as_str(), *s)).copied().unwrap_or(0)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-list" {
            h2 #h-list { (l.t("Daftar pengantaran", "Deliveries")) }
            div.table-wrap {
                table #deliveries {
                    thead { tr {
                        th scope="col" { (l.t("Penerima", "Recipient")) }
                        th scope="col" { (l.t("Desa", "Village")) }
                        th scope="col" { (l.t("Dapur / farmasi", "Kitchen / pharmacy")) }
                        th scope="col" { (l.t("Mitra / kurir", "Partner / courier")) }
                        th scope="col" { (l.t("Jendela", "Window")) }
                        th scope="col" { "ETA" }
                        th scope="col" { (l.t("Status", "State")) }
                    } }
                    tbody {
                        @for r in &data.rows {
                            tr {
                                td { (r.recipient_name) @if let Some(m) = &r.meal_name { " · " (m) } }
                                td { (r.village) }
                                td { (r.site_name) }
                                td {
                                    (r.partner_name.as_deref().unwrap_or("–"))
                                    @if let Some(c) = &r.courier { " / " (courier_name(c)) }
                                }
                                td { (local(r.window_start, tz)) "–" (local(r.window_end, tz)) }
                                td { (r.eta.map(|t| local(t, tz)).unwrap_or_else(|| "–".into())) }
                                td class={ "s-" (r.status.as_str()) } {
                                    (l.kind(r.kind)) ": " (l.order_status(r.status))
                                    @if let Some(f) = &r.fail_reason { " (" (l.reason(f)) ")" }
                                    @if r.tin_returned {
                                        " · " span.tin { (l.t("rantang kembali", "tin returned")) }
                                    }
                                    @if let Some(n) = &r.courier_note {
                                        br; small.courier-note { (l.t("Catatan kurir: ", "Courier's note: ")) (n) }
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

fn alert_box(staff: &Staff, a: &AlertRow, tz: chrono_tz::Tz) -> Markup {
    let l = staff.lang;
    let note_id = format!("note-{}", a.id);
    html! {
        div.alert {
            strong { (l.alert_kind(a.kind)) } " · " (l.alert_status(a.status)) " · "
            (local(a.raised_at, tz)) " · " (l.reason(&a.reason))
            @if !a.note.is_empty() { " · " (a.note) }
            @if a.status == AlertStatus::Open {
                form.inline method="post" action={ "/alerts/" (a.id) "/acknowledge" } {
                    input type="hidden" name="_csrf" value=(staff.csrf);
                    " " button type="submit" { (l.t("Tangani", "Acknowledge")) }
                }
            }
            form method="post" action={ "/alerts/" (a.id) "/close" } {
                input type="hidden" name="_csrf" value=(staff.csrf);
                label for=(note_id) { (l.t("Catatan penutupan", "Closing note")) }
                input id=(note_id) type="text" name="note" required;
                " " button type="submit" { (l.t("Selesai", "Close")) }
            }
        }
    }
}

/// An alert form.
#[derive(Debug, Deserialize)]
pub struct AlertForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    note: Option<String>,
}

async fn handle(state: WebState, staff: Staff, id: &str, form: AlertForm, close: bool) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return failure(
            staff.lang,
            crate::dispatch::DispatchError::NotFound("alert"),
        );
    };
    let note = if close {
        Some(form.note.unwrap_or_default())
    } else {
        None
    };
    match state
        .dispatch
        .handle_alert(&staff.principal, AlertId(id), note.as_deref())
        .await
    {
        Ok(_) => Redirect::to("/today").into_response(),
        Err(e) => failure(staff.lang, e),
    }
}

/// `POST /alerts/{id}/acknowledge`
pub async fn acknowledge(
    State(state): State<WebState>,
    Path(id): Path<String>,
    staff: Staff,
    Form(form): Form<AlertForm>,
) -> Response {
    handle(state, staff, &id, form, false).await
}

/// `POST /alerts/{id}/close`
pub async fn close(
    State(state): State<WebState>,
    Path(id): Path<String>,
    staff: Staff,
    Form(form): Form<AlertForm>,
) -> Response {
    handle(state, staff, &id, form, true).await
}

/// `GET /today/events`: an event `changed` whenever an order, stop or alert changed since the
/// last check. Signed-in staff only; the stream carries no data, the page fetches what it may see.
pub async fn events(State(state): State<WebState>, _staff: Staff) -> Response {
    let every = state.live_every;
    let d = state.dispatch.clone();
    let stream = futures_util::stream::unfold(
        (d, None::<String>, true),
        move |(d, last, first)| async move {
            if !first {
                tokio::time::sleep(every).await;
            }
            let now = d.change_marker().await.ok();
            let event = match (&last, &now) {
                (None, _) => Event::default().event("ready").data("0"),
                (Some(a), Some(b)) if a != b => Event::default().event("changed").data("1"),
                _ => Event::default().comment("same"),
            };
            let next = now.or(last);
            Some((
                Ok::<_, Infallible>(event),
                (d, Some(next.unwrap_or_default()), false),
            ))
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
