//! The partner invoice page, `/reports/invoice?partner_id=&month=`: a partner's month as antar
//! recorded it, to reconcile against the invoice the partner sends. A partner select and a
//! month (a GET form), the totals per payer (program, patient) with jobs, stops, quoted and
//! charged fares and their difference, then one line per job: departure in local time, state,
//! stops, fares and payer. Rupiah are written the Indonesian way (`Rp 12.500`).
//! `/reports/invoice.csv` hands out the same CSV as `GET /api/v1/reports/invoice?format=csv`.
//!
//! Who may see it is the use case's rule (`dispatch.invoice`: admins and social workers), the
//! same as the API's. Depends on `dispatch::invoice`; must not speak SQL.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::{Lang, rupiah, rupiah_signed};
use super::{Staff, WebState, failure, layout};
use crate::dispatch::invoice::{Invoice, InvoiceTotal, Payer};
use crate::dispatch::{DispatchError, FieldError};
use crate::domain::{JobStatus, PartnerId};

/// `?partner_id=&month=`; both may be missing (the page then asks for them).
#[derive(Debug, Default, Deserialize)]
pub struct InvoiceQuery {
    #[serde(default)]
    partner_id: String,
    #[serde(default)]
    month: String,
}

impl InvoiceQuery {
    /// The partner asked for: `None` when none was chosen yet; an unreadable id is a field error.
    fn partner(&self) -> Result<Option<PartnerId>, FieldError> {
        let v = self.partner_id.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<Uuid>().map(|u| Some(PartnerId(u))).map_err(|_| {
            FieldError::new(
                "partner_id",
                "invalid_partner",
                "pilih mitra dari daftar / choose a partner from the list",
            )
        })
    }
}

fn job_status(l: Lang, s: &str) -> String {
    s.parse::<JobStatus>()
        .map_or_else(|_| s.to_owned(), |s| l.job_status(s).to_owned())
}

fn totals_row(id: &str, head: &str, t: &InvoiceTotal) -> Markup {
    html! {
        tr id=(id) {
            th scope="row" { (head) }
            td { (t.jobs) }
            td { (t.stops) }
            td { (rupiah(t.quoted_idr)) }
            td { (rupiah(t.charged_idr)) }
            td { (rupiah_signed(t.difference_idr())) }
        }
    }
}

fn invoice_section(l: Lang, tz: chrono_tz::Tz, i: &Invoice) -> Markup {
    let per = |p: Payer| i.per_payer.get(&p).copied().unwrap_or_default();
    let csv = format!(
        "/reports/invoice.csv?partner_id={}&month={}",
        i.partner_id, i.month
    );
    html! {
        p { a href=(csv) download { (l.t("Unduh CSV", "Download CSV")) } }
        h2 #totals-h { (l.t("Jumlah per pembayar", "Totals per payer")) }
        div.table-wrap {
            table.counts #invoice-totals aria-labelledby="totals-h" {
                thead { tr {
                    th scope="col" { (l.t("Pembayar", "Payer")) }
                    th scope="col" { (l.t("Pekerjaan", "Jobs")) }
                    th scope="col" { (l.t("Titik", "Stops")) }
                    th scope="col" { (l.t("Ongkos perkiraan", "Quoted")) }
                    th scope="col" { (l.t("Ongkos ditagih", "Charged")) }
                    th scope="col" { (l.t("Selisih", "Difference")) }
                } }
                tbody {
                    @for p in [Payer::Program, Payer::Patient] {
                        (totals_row(&format!("payer-{}", p.as_str()), &l.payer(p.as_str()), &per(p)))
                    }
                    (totals_row("payer-all", l.t("Jumlah", "Total"), &i.total))
                }
            }
        }
        p.note {
            (l.t(
                "Selisih = ongkos ditagih dikurangi ongkos perkiraan. Jam berangkat dalam waktu setempat.",
                "Difference = charged minus quoted. Departures in local time.",
            ))
        }
        h2 #lines-h { (l.t("Pekerjaan", "Jobs")) }
        div.table-wrap {
            table.counts #invoice-lines aria-labelledby="lines-h" {
                thead { tr {
                    th scope="col" { (l.t("Berangkat", "Departure")) }
                    th scope="col" { (l.t("Pekerjaan", "Job")) }
                    th scope="col" { (l.t("Status", "State")) }
                    th scope="col" { (l.t("Titik", "Stops")) }
                    th scope="col" { (l.t("Perkiraan", "Quoted")) }
                    th scope="col" { (l.t("Ditagih", "Charged")) }
                    th scope="col" { (l.t("Selisih", "Difference")) }
                    th scope="col" { (l.t("Pembayar", "Payer")) }
                } }
                tbody {
                    @for line in &i.lines {
                        @let departure = line.departure.with_timezone(&tz);
                        tr id={ "job-" (line.job_id) } {
                            th scope="row" { (departure.format("%Y-%m-%d")) br; (departure.format("%H:%M %Z")) }
                            // In full: the partner's invoice names jobs by the id it was offered.
                            td { code { (line.job_id) } }
                            td { (job_status(l, &line.status)) }
                            td { (line.stops) }
                            td { (rupiah(line.quoted_idr)) }
                            td { (rupiah(line.charged_idr)) }
                            td { (rupiah_signed(line.charged_idr - line.quoted_idr)) }
                            td { (l.payer(line.payer.as_str())) }
                        }
                    }
                    @if i.lines.is_empty() {
                        tr { td colspan="8" { (l.t("Tidak ada pekerjaan bulan ini.", "No jobs this month.")) } }
                    }
                }
            }
        }
    }
}

/// `GET /reports/invoice`
pub async fn page(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<InvoiceQuery>,
) -> Response {
    let l = staff.lang;
    // Asked first: it refuses those who may not see invoices before anything is read.
    let partners = match state.dispatch.invoice_partners(&staff.principal).await {
        Ok(p) => p,
        Err(e) => return failure(l, e),
    };
    let month = match q.month.trim() {
        "" => {
            let today = state.dispatch.local_date(crate::clock::now());
            format!("{:04}-{:02}", today.year(), today.month())
        }
        m => m.to_owned(),
    };
    let mut errors = Vec::new();
    let partner = q.partner().unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let invoice = match partner {
        Some(p) => match state.dispatch.invoice(&staff.principal, p, &month).await {
            Ok(i) => Some(i),
            Err(DispatchError::Invalid(e)) => {
                errors.extend(e);
                None
            }
            Err(e) => return failure(l, e),
        },
        None => None,
    };
    let err = |field: &str| errors.iter().find(|e| e.field == field);
    let chosen = partner.map(|p| p.0.to_string()).unwrap_or_default();
    let field_error = |id: &str, e: Option<&FieldError>| {
        html! { @if let Some(e) = e { p.err id={ (id) "-err" } { (e.reason) } } }
    };
    let (partner_err, month_err) = (err("partner_id"), err("month"));
    let body = html! {
        main {
            @match &invoice {
                Some(i) => h1 { (l.t("Tagihan mitra", "Partner invoice")) " · " (i.partner_name) " · " (i.month) },
                None => h1 { (l.t("Tagihan mitra", "Partner invoice")) },
            }
            p.subnav { a href="/reports" { (l.t("Kembali ke laporan", "Back to the report")) } }
            p.note {
                (l.t(
                    "Pekerjaan yang diselesaikan mitra (atau yang dikenai biaya) dalam satu bulan, menurut catatan antar, untuk dicocokkan dengan tagihan mitra.",
                    "The jobs a partner completed (or charged for) in a month, as antar recorded them, to reconcile against the partner's invoice.",
                ))
            }
            form.filters method="get" action="/reports/invoice" {
                div {
                    label for="inv-partner" { (l.t("Mitra", "Partner")) }
                    select #inv-partner name="partner_id" required
                        aria-invalid=[partner_err.map(|_| "true")]
                        aria-describedby=[partner_err.map(|_| "inv-partner-err")] {
                        option value="" { (l.t("— pilih mitra —", "— choose a partner —")) }
                        @for p in &partners {
                            @let id = p.id.0.to_string();
                            option value=(id) selected[id == chosen] {
                                (p.name)
                                @if !p.active { " (" (l.t("nonaktif", "inactive")) ")" }
                            }
                        }
                    }
                    (field_error("inv-partner", partner_err))
                }
                div {
                    label for="inv-month" { (l.t("Bulan", "Month")) }
                    input #inv-month type="month" name="month" value=(month) required
                        placeholder="YYYY-MM" pattern="[0-9]{4}-[0-9]{2}"
                        aria-invalid=[month_err.map(|_| "true")]
                        aria-describedby=[month_err.map(|_| "inv-month-err")];
                    (field_error("inv-month", month_err))
                }
                div { button type="submit" { (l.t("Tampilkan", "Show")) } }
            }
            @if partners.is_empty() {
                p { (l.t("Belum ada mitra kurir.", "There are no courier partners yet.")) }
            }
            @if let Some(i) = &invoice { (invoice_section(l, state.dispatch.tz(), i)) }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        layout(
            l,
            l.t("Tagihan mitra", "Partner invoice"),
            Some(&staff),
            body,
        ),
    )
        .into_response()
}

/// `GET /reports/invoice.csv?partner_id=&month=`: the API's CSV, for a signed-in staff member.
pub async fn csv(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<InvoiceQuery>,
) -> Response {
    let l = staff.lang;
    let partner = match q.partner() {
        Ok(Some(p)) => p,
        Ok(None) => {
            return failure(
                l,
                DispatchError::Invalid(vec![FieldError::new(
                    "partner_id",
                    "required",
                    "pilih mitra / choose a partner",
                )]),
            );
        }
        Err(e) => return failure(l, DispatchError::Invalid(vec![e])),
    };
    let invoice = match state
        .dispatch
        .invoice(&staff.principal, partner, &q.month)
        .await
    {
        Ok(i) => i,
        Err(e) => return failure(l, e),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"antar-invoice-{}-{}.csv\"",
                    invoice.month, invoice.partner_id
                ),
            ),
        ],
        invoice.csv(),
    )
        .into_response()
}
