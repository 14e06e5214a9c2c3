//! A partner's month for reconciling its invoice (`GET /api/v1/reports/invoice`, JSON or CSV)
//! and who pays for a job (`PUT /api/v1/jobs/{id}/payer`).
//!
//! Owns: the request and response shapes of these two routes. Thin: each handler calls one
//! `dispatch` function.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::dispatch::invoice::{Invoice, InvoiceTotal, Payer};
use crate::domain::PartnerId;

/// Invoice query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    /// The partner.
    pub partner_id: Uuid,
    /// `YYYY-MM` (local months, Asia/Jakarta by default).
    pub month: String,
    /// `csv` for CSV (or send `Accept: text/csv`); JSON otherwise.
    #[serde(default)]
    pub format: Option<String>,
}

/// Who pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayerName {
    /// The program (meal or medicine): the default.
    Program,
    /// The patient.
    Patient,
}

impl From<Payer> for PayerName {
    fn from(p: Payer) -> Self {
        match p {
            Payer::Program => Self::Program,
            Payer::Patient => Self::Patient,
        }
    }
}

impl From<PayerName> for Payer {
    fn from(p: PayerName) -> Self {
        match p {
            PayerName::Program => Self::Program,
            PayerName::Patient => Self::Patient,
        }
    }
}

/// One job on the invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLineView {
    /// Local date of departure.
    pub date: NaiveDate,
    /// The job.
    pub job_id: Uuid,
    /// Job state.
    pub status: String,
    /// Stops carried.
    pub stops: i64,
    /// Quoted fare, rupiah.
    pub quoted_idr: i64,
    /// Charged fare, rupiah.
    pub charged_idr: i64,
    /// Who pays.
    pub payer: PayerName,
}

/// Sums.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceTotalView {
    /// Jobs.
    pub jobs: i64,
    /// Stops.
    pub stops: i64,
    /// Quoted, rupiah.
    pub quoted_idr: i64,
    /// Charged, rupiah.
    pub charged_idr: i64,
}

impl From<InvoiceTotal> for InvoiceTotalView {
    fn from(t: InvoiceTotal) -> Self {
        Self {
            jobs: t.jobs,
            stops: t.stops,
            quoted_idr: t.quoted_idr,
            charged_idr: t.charged_idr,
        }
    }
}

/// Totals per payer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PerPayerView {
    /// Paid by the program.
    pub program: InvoiceTotalView,
    /// Paid by patients.
    pub patient: InvoiceTotalView,
}

/// A partner's month as antar recorded it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    /// The partner.
    pub partner_id: Uuid,
    /// Its name.
    pub partner_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Jobs in departure order.
    pub jobs: Vec<InvoiceLineView>,
    /// Totals per payer.
    pub totals_by_payer: PerPayerView,
    /// Everything.
    pub total: InvoiceTotalView,
}

impl From<Invoice> for InvoiceView {
    fn from(i: Invoice) -> Self {
        let of = |p: Payer| i.per_payer.get(&p).copied().unwrap_or_default().into();
        Self {
            partner_id: i.partner_id.0,
            partner_name: i.partner_name.clone(),
            month: i.month.clone(),
            totals_by_payer: PerPayerView {
                program: of(Payer::Program),
                patient: of(Payer::Patient),
            },
            total: i.total.into(),
            jobs: i
                .lines
                .into_iter()
                .map(|l| InvoiceLineView {
                    date: l.date,
                    job_id: l.job_id,
                    status: l.status,
                    stops: l.stops,
                    quoted_idr: l.quoted_idr,
                    charged_idr: l.charged_idr,
                    payer: l.payer.into(),
                })
                .collect(),
        }
    }
}

/// A partner's month as antar recorded it, to reconcile its invoice: per job the date, stops,
/// quoted and charged fare and payer, with totals per payer. CSV with `Accept: text/csv` or
/// `format=csv` (the total rows have `total` in the date column and the job count in job_id).
#[utoipa::path(get, path = "/api/v1/reports/invoice", tag = "reports", params(InvoiceQuery),
    responses((status = 200, body = InvoiceView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn invoice_report(
    State(state): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<InvoiceQuery>,
) -> ApiResult<Response> {
    let csv = match q.format.as_deref().map(str::trim) {
        None | Some("") => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
        Some("csv") => true,
        Some("json") => false,
        Some(_) => {
            return Err(ApiError::invalid(vec![crate::dispatch::FieldError::new(
                "format",
                "invalid_format",
                "format is csv or json",
            )]));
        }
    };
    let invoice = state
        .dispatch
        .invoice(&who, PartnerId(q.partner_id), &q.month)
        .await?;
    if csv {
        let name = format!("antar-invoice-{}-{}.csv", invoice.month, q.partner_id);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            invoice.csv(),
        )
            .into_response());
    }
    Ok(Json(InvoiceView::from(invoice)).into_response())
}

/// Who pays for a job.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayerBody {
    /// `program` or `patient`.
    pub payer: PayerName,
}

/// Record who pays for a job's fare (admins and social workers).
#[utoipa::path(put, path = "/api/v1/jobs/{id}/payer", tag = "jobs", request_body = PayerBody,
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 204, description = "recorded"), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_job_payer(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body, _): ApiJson<PayerBody>,
) -> ApiResult<axum::http::StatusCode> {
    state
        .dispatch
        .set_job_payer(&who, id, body.payer.into())
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
