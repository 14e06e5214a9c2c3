//! The day's figures (`dispatch.day_report`): orders by state and program, handovers on time
//! and late, alerts, offers, jobs and fares. For social workers and admins: the figures cover
//! every site.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Lang;
use super::{Staff, WebState, failure, layout};
use crate::dispatch::DispatchError;
use crate::domain::{OrderKind, OrderStatus, Role};

/// `?date=`
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    date: String,
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

/// `GET /reports`
pub async fn page(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<ReportQuery>,
) -> Response {
    let l = staff.lang;
    if !matches!(staff.user.role, Role::Admin | Role::SocialWorker) {
        return failure(l, DispatchError::Forbidden(staff.user.role.as_str()));
    }
    let date = NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d")
        .unwrap_or_else(|_| state.dispatch.local_date(crate::clock::now()));
    let f = match state.dispatch.day_report(&staff.principal, date).await {
        Ok(f) => f,
        Err(e) => return failure(l, e),
    };
    let status = |k: &str| {
        k.parse::<OrderStatus>()
            .map_or_else(|_| k.to_owned(), |s| l.order_status(s).to_owned())
    };
    let kind = |k: &str| {
        k.parse::<OrderKind>()
            .map_or_else(|_| k.to_owned(), |s| l.kind(s).to_owned())
    };
    let body = html! {
        main {
            h1 { (l.t("Laporan harian", "Daily report")) " · " (date) }
            form.filters method="get" action="/reports" {
                div {
                    label for="r-date" { (l.t("Tanggal", "Date")) }
                    input #r-date type="date" name="date" value=(date);
                }
                div { button type="submit" { (l.t("Tampilkan", "Show")) } }
            }
            dl #summary {
                dt { (l.t("Pesanan", "Orders")) } dd { (f.orders()) }
                dt { (l.t("Terkirim tepat waktu", "Delivered on time")) } dd { (f.delivered_on_time) }
                dt { (l.t("Terkirim terlambat", "Delivered late")) } dd { (f.delivered_late) }
                dt { (l.t("Gagal diserahkan", "Failed handovers")) } dd { (f.failed_handovers) }
                dt { (l.t("Ongkos mitra (perkiraan)", "Partner fares (estimate)")) } dd { "Rp " (format!("{:.0}", f.fares_idr)) }
            }
            div.table-wrap {
                (table(l, "by-kind", l.t("Pesanan per program", "Orders by program"), &f.orders_by_kind, kind))
                (table(l, "by-status", l.t("Pesanan per status", "Orders by state"), &f.orders_by_status, status))
                (table(l, "alerts", l.t("Peringatan", "Alerts"), &f.alerts_by_kind, str::to_owned))
                (table(l, "jobs", l.t("Pekerjaan kurir", "Courier jobs"), &f.jobs_by_status, str::to_owned))
                (table(l, "offers", l.t("Tawaran ke mitra", "Offers to partners"), &f.offers_by_status, str::to_owned))
            }
        }
    };
    layout(l, l.t("Laporan", "Report"), Some(&staff), body).into_response()
}
