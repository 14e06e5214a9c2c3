//! Reports for social workers and admins (the figures cover every site): a day or a range of
//! local dates, per program and per day: orders, handed over on time and late, failed with
//! reasons, cost per delivery; a bar chart drawn as inline SVG (no script); the same rows as a
//! CSV download. A single day also shows its alerts, jobs and offers (`dispatch.day_report`).
//!
//! There is no funder field in antar: the program (meal, medicine) stands for the funder, and
//! the page says so. (Who pays a job's fare, program or patient, is for partner invoices:
//! `dispatch::invoice`, shown at `/reports/invoice`, linked from here.)

use std::collections::BTreeMap;
use std::fmt::Write;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Lang;
use super::{Staff, WebState, failure, layout};
use crate::dispatch::reports::{ProgramFigures, RangeReport};
use crate::dispatch::{DispatchError, FieldError};
use crate::domain::{AlertKind, JobStatus, OrderKind, OrderStatus};

/// `?date=` (one day) or `?from=&to=` (a range).
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The failure reasons partners may send, in the order the report lists them.
const FAIL_REASONS: [&str; 6] = [
    "not_home",
    "refused",
    "address_not_found",
    "unsafe",
    "recipient_unwell",
    "other",
];

fn parse_day(field: &str, v: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "invalid_date",
                "isi tanggal TTTT-BB-HH / give a date as YYYY-MM-DD",
            ));
            None
        }
    }
}

impl ReportQuery {
    /// The range asked for: `date` is one day; a missing end is the start, a missing start is
    /// today. Unreadable dates are field errors.
    fn range(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Vec<FieldError>> {
        let mut errors = Vec::new();
        let date = parse_day("date", &self.date, &mut errors);
        let from = parse_day("from", &self.from, &mut errors);
        let to = parse_day("to", &self.to, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(match (date, from, to) {
            (Some(d), None, None) => (d, d),
            (_, Some(f), Some(t)) => (f, t),
            (_, Some(f), None) => (f, f),
            (_, None, Some(t)) => (t, t),
            (None, None, None) => (today, today),
        })
    }
}

fn money(idr: f64) -> String {
    format!("Rp {:.0}", idr.round())
}

fn cost(f: &ProgramFigures) -> String {
    f.cost_per_delivery_idr().map_or_else(|| "–".into(), money)
}

fn kind_label(l: Lang, k: &str) -> String {
    k.parse::<OrderKind>()
        .map_or_else(|_| k.to_owned(), |s| l.kind(s).to_owned())
}

fn err_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| e.field == field)
}

/// The rectangles of one stacked bar standing on `base`: `(y, height, colour)`, empty parts left out.
fn stack(
    base: i64,
    parts: &[(i64, &'static str)],
    h: &dyn Fn(i64) -> i64,
) -> Vec<(i64, i64, &'static str)> {
    let mut y = base;
    let mut out = Vec::new();
    for (n, colour) in parts {
        let bh = h(*n);
        if bh > 0 {
            y -= bh;
            out.push((y, bh, *colour));
        }
    }
    out
}

/// Stacked bars per day: on time, late, failed.
fn chart(l: Lang, r: &RangeReport) -> Markup {
    let per_day = r.per_day();
    let days = r.days();
    let (bar, gap, left, top, plot_h, bottom) = (18i64, 6i64, 34i64, 8i64, 120i64, 18i64);
    let width = left + days.len() as i64 * (bar + gap) + gap;
    let height = top + plot_h + bottom;
    let max = per_day
        .values()
        .map(|f| f.delivered() + f.failed)
        .max()
        .unwrap_or(0)
        .max(1);
    let h = |n: i64| (n * plot_h + max / 2) / max;
    let label_every = (days.len() / 15).max(1);
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox={ "0 0 " (width) " " (height) }
                width=(width) height=(height)
                aria-labelledby="chart-cap" {
                line x1=(left) y1=(top + plot_h) x2=(width) y2=(top + plot_h) stroke="#999" {}
                text x=(left - 4) y=(top + 8) text-anchor="end" font-size="10" { (max) }
                text x=(left - 4) y=(top + plot_h) text-anchor="end" font-size="10" { "0" }
                @for (i, d) in days.iter().enumerate() {
                    @let f = per_day.get(d).cloned().unwrap_or_default();
                    @let x = left + gap + i as i64 * (bar + gap);
                    @let rects = stack(top + plot_h, &[
                        (f.delivered_on_time, "#15803d"),
                        (f.delivered_late, "#d97706"),
                        (f.failed, "#dc2626"),
                    ], &h);
                    g {
                        title {
                            (d) ": " (f.delivered_on_time) " " (l.t("tepat waktu", "on time")) ", "
                            (f.delivered_late) " " (l.t("terlambat", "late")) ", "
                            (f.failed) " " (l.t("gagal", "failed"))
                        }
                        @for (y, bh, colour) in rects {
                            rect x=(x) y=(y) width=(bar) height=(bh) fill=(colour) {}
                        }
                        @if i % label_every == 0 {
                            text x=(x + bar / 2) y=(height - 4) text-anchor="middle" font-size="10" {
                                (d.format("%d"))
                            }
                        }
                    }
                }
            }
            figcaption #chart-cap {
                (l.t("Pengantaran per hari", "Deliveries per day")) ": "
                span.sw.sq style="background:#15803d" {} (l.t("tepat waktu", "on time")) " "
                span.sw.sq style="background:#d97706" {} (l.t("terlambat", "late")) " "
                span.sw.sq style="background:#dc2626" {} (l.t("gagal", "failed"))
            }
        }
    }
}

fn figures_row(l: Lang, head: Markup, f: &ProgramFigures) -> Markup {
    let _ = l;
    html! {
        tr {
            (head)
            td { (f.orders) }
            td { (f.delivered()) }
            td { (f.delivered_on_time) }
            td { (f.delivered_late) }
            td { (f.failed) }
            td { (money(f.fares_idr)) }
            td { (cost(f)) }
        }
    }
}

fn figures_head(l: Lang, first: &[&str]) -> Markup {
    html! {
        thead { tr {
            @for h in first { th scope="col" { (h) } }
            th scope="col" { (l.t("Pesanan", "Orders")) }
            th scope="col" { (l.t("Terkirim", "Delivered")) }
            th scope="col" { (l.t("Tepat waktu", "On time")) }
            th scope="col" { (l.t("Terlambat", "Late")) }
            th scope="col" { (l.t("Gagal", "Failed")) }
            th scope="col" { (l.t("Ongkos mitra", "Partner fares")) }
            th scope="col" { (l.t("Biaya per pengantaran", "Cost per delivery")) }
        } }
    }
}

fn range_section(l: Lang, r: &RangeReport) -> Markup {
    let per_program = r.per_program();
    let total = r.total();
    html! {
        p.note {
            (l.t(
                "Penyandang dana: antar belum mencatat penyandang dana tersendiri, jadi angka dikelompokkan per program (makan, obat).",
                "Funders: antar records no separate funder, so the figures are grouped per program (meals, medicine).",
            ))
        }
        h2 { (l.t("Per program", "Per program")) }
        div.table-wrap {
            table.counts #per-program {
                (figures_head(l, &[l.t("Program", "Program")]))
                tbody {
                    @for (k, f) in &per_program {
                        (figures_row(l, html! { th scope="row" { (kind_label(l, k)) } }, f))
                    }
                    (figures_row(l, html! { th scope="row" { (l.t("Jumlah", "Total")) } }, &total))
                }
            }
        }
        h2 { (l.t("Gagal diserahkan, per alasan", "Failed handovers, by reason")) }
        div.table-wrap {
            table.counts #fail-reasons {
                thead { tr {
                    th scope="col" { (l.t("Alasan", "Reason")) }
                    @for k in per_program.keys() { th scope="col" { (kind_label(l, k)) } }
                } }
                tbody {
                    @let extra: Vec<&String> = total.failed_by_reason.keys()
                        .filter(|k| !FAIL_REASONS.contains(&k.as_str())).collect();
                    @for code in FAIL_REASONS.iter().map(|s| (*s).to_owned()).chain(extra.into_iter().cloned()) {
                        tr {
                            th scope="row" { (l.reason(&code)) }
                            @for f in per_program.values() {
                                td { (f.failed_by_reason.get(&code).copied().unwrap_or(0)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (l.t("Grafik", "Chart")) }
        (chart(l, r))
        h2 { (l.t("Per hari", "Per day")) }
        div.table-wrap {
            table.counts #per-day {
                (figures_head(l, &[l.t("Tanggal", "Date"), l.t("Program", "Program")]))
                tbody {
                    @for ((d, k), f) in &r.rows {
                        (figures_row(l, html! { th scope="row" { (d) } td { (kind_label(l, k)) } }, f))
                    }
                    @if r.rows.is_empty() { tr { td colspan="9" { (l.t("tidak ada", "none")) } } }
                }
            }
        }
    }
}

fn table(
    l: Lang,
    id: &str,
    caption: &str,
    rows: &BTreeMap<String, i64>,
    label: impl Fn(&str) -> String,
) -> Markup {
    html! {
        table.counts id=(id) {
            caption { (caption) }
            tbody {
                @for (k, n) in rows { tr { th scope="row" { (label(k)) } td { (n) } } }
                @if rows.is_empty() { tr { td colspan="2" { (l.t("tidak ada", "none")) } } }
            }
        }
    }
}

async fn day_section(state: &WebState, staff: &Staff, date: NaiveDate) -> Result<Markup, Response> {
    let l = staff.lang;
    let f = state
        .dispatch
        .day_report(&staff.principal, date)
        .await
        .map_err(|e| failure(l, e))?;
    let status = |k: &str| {
        k.parse::<OrderStatus>()
            .map_or_else(|_| k.to_owned(), |s| l.order_status(s).to_owned())
    };
    let kind = |k: &str| kind_label(l, k);
    let alert = |k: &str| {
        k.parse::<AlertKind>()
            .map_or_else(|_| k.to_owned(), |s| l.alert_kind(s).to_owned())
    };
    let job = |k: &str| {
        k.parse::<JobStatus>()
            .map_or_else(|_| k.to_owned(), |s| l.job_status(s).to_owned())
    };
    let offer = |k: &str| l.offer_status(k).into_owned();
    Ok(html! {
        h2 { (l.t("Rincian hari ini", "The day in detail")) }
        dl #summary {
            dt { (l.t("Pesanan", "Orders")) } dd { (f.orders()) }
            dt { (l.t("Terkirim tepat waktu", "Delivered on time")) } dd { (f.delivered_on_time) }
            dt { (l.t("Terkirim terlambat", "Delivered late")) } dd { (f.delivered_late) }
            dt { (l.t("Gagal diserahkan", "Failed handovers")) } dd { (f.failed_handovers) }
            dt { (l.t("Ongkos mitra (perkiraan)", "Partner fares (estimate)")) } dd { (money(f.fares_idr)) }
        }
        div.table-wrap {
            (table(l, "by-kind", l.t("Pesanan per program", "Orders by program"), &f.orders_by_kind, kind))
            (table(l, "by-status", l.t("Pesanan per status", "Orders by state"), &f.orders_by_status, status))
            (table(l, "alerts", l.t("Peringatan", "Alerts"), &f.alerts_by_kind, alert))
            (table(l, "jobs", l.t("Pekerjaan kurir", "Courier jobs"), &f.jobs_by_status, job))
            (table(l, "offers", l.t("Tawaran ke mitra", "Offers to partners"), &f.offers_by_status, offer))
        }
    })
}

/// `GET /reports`
pub async fn page(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<ReportQuery>,
) -> Response {
    let l = staff.lang;
    let today = state.dispatch.local_date(crate::clock::now());
    let (range, mut errors) = match q.range(today) {
        Ok(r) => (Some(r), Vec::new()),
        Err(e) => (None, e),
    };
    let report = match range {
        Some((from, to)) => match state
            .dispatch
            .range_report(&staff.principal, from, to)
            .await
        {
            Ok(r) => Some(r),
            Err(DispatchError::Invalid(e)) => {
                errors = e;
                None
            }
            Err(e) => return failure(l, e),
        },
        None => None,
    };
    let single = report.as_ref().filter(|r| r.from == r.to).map(|r| r.from);
    let day = match single {
        Some(d) => match day_section(&state, &staff, d).await {
            Ok(m) => Some(m),
            Err(r) => return r,
        },
        None => None,
    };
    let (from_v, to_v) = match (&report, range) {
        (Some(r), _) => (r.from.to_string(), r.to.to_string()),
        (None, Some((f, t))) => (f.to_string(), t.to_string()),
        (None, None) => (q.from.clone(), q.to.clone()),
    };
    let field = |name: &str, id: &str, label: &str, value: &str| {
        let e = err_for(&errors, name)
            .or_else(|| (name == "from").then(|| err_for(&errors, "date")).flatten());
        html! {
            div {
                label for=(id) { (label) }
                input id=(id) type="date" name=(name) value=(value)
                    aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{id}-err"))];
                @if let Some(e) = e { p.err id={ (id) "-err" } { (e.reason) } }
            }
        }
    };
    let body = html! {
        main {
            @match &report {
                Some(r) if r.from == r.to => h1 { (l.t("Laporan harian", "Daily report")) " · " (r.from) },
                Some(r) => h1 { (l.t("Laporan", "Report")) " · " (r.from) " – " (r.to) },
                None => h1 { (l.t("Laporan", "Report")) },
            }
            form.filters method="get" action="/reports" {
                (field("from", "r-from", l.t("Dari tanggal", "From"), &from_v))
                (field("to", "r-to", l.t("Sampai tanggal", "To"), &to_v))
                div { button type="submit" { (l.t("Tampilkan", "Show")) } }
            }
            p.subnav { a href="/reports/invoice" { (l.t("Tagihan mitra per bulan", "Partner invoices per month")) } }
            @if let Some(r) = &report {
                p { a href={ "/reports.csv?from=" (r.from) "&to=" (r.to) } download {
                    (l.t("Unduh CSV", "Download CSV"))
                } }
                (range_section(l, r))
            }
            @if let Some(d) = day { (d) }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        layout(l, l.t("Laporan", "Report"), Some(&staff), body),
    )
        .into_response()
}

/// The report's rows as CSV: one line per day and program, the failure reasons as columns.
pub fn csv_of(r: &RangeReport) -> String {
    let mut out =
        String::from("date,program,orders,delivered,delivered_on_time,delivered_late,failed");
    for code in FAIL_REASONS {
        let _ = write!(out, ",failed_{code}");
    }
    out.push_str(",fares_idr,cost_per_delivery_idr\r\n");
    for ((d, k), f) in &r.rows {
        let _ = write!(
            out,
            "{d},{k},{},{},{},{},{}",
            f.orders,
            f.delivered(),
            f.delivered_on_time,
            f.delivered_late,
            f.failed
        );
        let known: i64 = FAIL_REASONS
            .iter()
            .map(|c| f.failed_by_reason.get(*c).copied().unwrap_or(0))
            .sum();
        for code in FAIL_REASONS {
            let mut n = f.failed_by_reason.get(code).copied().unwrap_or(0);
            // Codes antar does not know yet are counted as `other`.
            if code == "other" {
                n += f.failed - known;
            }
            let _ = write!(out, ",{n}");
        }
        let _ = write!(
            out,
            ",{:.0},{}\r\n",
            f.fares_idr.round(),
            f.cost_per_delivery_idr()
                .map_or_else(String::new, |c| format!("{:.0}", c.round()))
        );
    }
    out
}

/// `GET /reports.csv?from=&to=`
pub async fn csv(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<ReportQuery>,
) -> Response {
    let l = staff.lang;
    let today = state.dispatch.local_date(crate::clock::now());
    let (from, to) = match q.range(today) {
        Ok(r) => r,
        Err(e) => return failure(l, DispatchError::Invalid(e)),
    };
    let r = match state
        .dispatch
        .range_report(&staff.principal, from, to)
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(l, e),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"antar-report-{from}-{to}.csv\""),
            ),
        ],
        csv_of(&r),
    )
        .into_response()
}
