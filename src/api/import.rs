//! List import routes: villages, recipients and meal enrolments from CSV or XLSX, sent as the
//! raw body (`text/csv`, the XLSX content type) or as the first file of a `multipart/form-data`
//! upload. The answer is the per-row report.
//!
//! Must not depend on `store`; the reading and matching happen in `dispatch::onboarding`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiQuery, Auth, read_body};
use crate::dispatch::FieldError;
use crate::dispatch::onboarding::{ImportOptions, ImportReport, RowAction};
use crate::domain::sheet::{CellIssue, Override};

/// The XLSX media type.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Options of a list import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListImportQuery {
    /// Show what would happen; store nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Store the good rows even when some are rejected.
    #[serde(default)]
    pub partial: bool,
    /// Column overrides `COLUMN=FIELD`, several separated by `;` (e.g. `No. KTP=nik;HP=phone`).
    pub map: Option<String>,
    /// Enrolments: kitchen (site id or name) for rows without one.
    pub kitchen: Option<String>,
}

/// A column and the field it was read as.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnView {
    /// Letter (`C`).
    pub column: String,
    /// Header text.
    pub header: String,
    /// Field, or null when ignored.
    pub field: Option<String>,
}

/// A problem or note about one cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssueView {
    /// Column letter (empty for the whole row).
    pub column: String,
    /// Header of the column.
    pub header: String,
    /// Field.
    pub field: String,
    /// Stable code.
    pub code: String,
    /// Reason.
    pub reason: String,
}

impl From<CellIssue> for IssueView {
    fn from(i: CellIssue) -> Self {
        Self {
            column: i.column,
            header: i.header,
            field: i.field.into(),
            code: i.code.into(),
            reason: i.reason,
        }
    }
}

/// The stored person a row was recognised as.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchView {
    /// Recipient.
    pub recipient_id: Uuid,
    /// Its name.
    pub name: String,
    /// `nik`, `medical_record_no` or `name_village`.
    pub key: String,
    /// When the match is an earlier row of the same file.
    pub earlier_row: Option<usize>,
}

/// One row's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowView {
    /// Row number as in Excel (or the CSV line).
    pub row: usize,
    /// `created`, `updated`, `held` or `rejected`.
    pub action: String,
    /// Recipient created or updated.
    pub recipient_id: Option<Uuid>,
    /// Area code (villages) or the resolved village code (people).
    pub code: Option<String>,
    /// The recognised person.
    pub matched: Option<MatchView>,
    /// Enrolment created or updated.
    pub enrolment_id: Option<Uuid>,
    /// `created` or `updated`.
    pub enrolment_action: Option<String>,
    /// Why rejected or held.
    pub issues: Vec<IssueView>,
    /// Notes that did not stop the row.
    pub warnings: Vec<IssueView>,
}

/// Row counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    /// New records.
    pub created: usize,
    /// Updated records.
    pub updated: usize,
    /// Held for review.
    pub held: usize,
    /// Refused.
    pub rejected: usize,
}

/// The report of a list import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListImportView {
    /// `villages`, `recipients` or `enrolments`.
    pub kind: String,
    /// Nothing was stored because this was a dry run.
    pub dry_run: bool,
    /// The changes were stored.
    pub committed: bool,
    /// Header row.
    pub header_row: usize,
    /// How the columns were read.
    pub columns: Vec<ColumnView>,
    /// Counts.
    pub summary: SummaryView,
    /// Every data row.
    pub rows: Vec<RowView>,
}

impl From<ImportReport> for ListImportView {
    fn from(r: ImportReport) -> Self {
        Self {
            summary: SummaryView {
                created: r.count(RowAction::Created),
                updated: r.count(RowAction::Updated),
                held: r.count(RowAction::Held),
                rejected: r.count(RowAction::Rejected),
            },
            kind: r.kind.into(),
            dry_run: r.dry_run,
            committed: r.committed,
            header_row: r.header_row,
            columns: r
                .columns
                .into_iter()
                .map(|c| ColumnView {
                    column: c.column,
                    header: c.header,
                    field: c.field.map(Into::into),
                })
                .collect(),
            rows: r
                .rows
                .into_iter()
                .map(|row| RowView {
                    row: row.row,
                    action: row.action.as_str().into(),
                    recipient_id: row.recipient_id.map(|i| i.0),
                    code: row.code,
                    matched: row.matched.map(|m| MatchView {
                        recipient_id: m.recipient_id.0,
                        name: m.name,
                        key: m.key.as_str().into(),
                        earlier_row: m.earlier_row,
                    }),
                    enrolment_id: row.enrolment.map(|(id, _)| id.0),
                    enrolment_action: row.enrolment.map(|(_, a)| a.as_str().into()),
                    issues: row.issues.into_iter().map(Into::into).collect(),
                    warnings: row.warnings.into_iter().map(Into::into).collect(),
                })
                .collect(),
        }
    }
}

/// The first file part of a `multipart/form-data` body (or the first part when none has a
/// filename). Small and strict on purpose: one upload, no streaming.
fn multipart_file(content_type: &str, body: &[u8]) -> Option<Vec<u8>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delim = format!("--{boundary}");
    let d = delim.as_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, d) {
        rest = &rest[at + d.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let end = find(rest, d).unwrap_or(rest.len());
        parts.push(&rest[..end]);
    }
    let split = |p: &[u8]| -> Option<(String, Vec<u8>)> {
        let h = find(p, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&p[..h]).to_ascii_lowercase();
        let mut content = &p[h + 4..];
        content = content.strip_suffix(b"\r\n").unwrap_or(content);
        Some((headers, content.to_vec()))
    };
    let parsed: Vec<(String, Vec<u8>)> = parts.into_iter().filter_map(split).collect();
    parsed
        .iter()
        .find(|(h, _)| h.contains("filename="))
        .or_else(|| parsed.first())
        .map(|(_, c)| c.clone())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn file_body(req: Request, state: &AppState) -> ApiResult<Bytes> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let lower = ct.to_ascii_lowercase();
    let unsupported = || {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported content type",
            format!("send the file as text/csv, {XLSX_TYPE} or multipart/form-data"),
        )
    };
    if lower.starts_with("multipart/form-data") {
        let body = read_body(req, state).await?;
        return multipart_file(&ct, &body).map(Bytes::from).ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "file",
                "no_file",
                "the multipart body has no file part",
            )])
        });
    }
    if lower.starts_with("text/csv")
        || lower.starts_with(XLSX_TYPE)
        || lower.starts_with("application/octet-stream")
    {
        return read_body(req, state).await;
    }
    Err(unsupported())
}

fn options(q: ListImportQuery) -> ApiResult<ImportOptions> {
    let overrides = q
        .map
        .as_deref()
        .unwrap_or("")
        .split(';')
        .filter(|s| !s.trim().is_empty())
        .map(Override::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            ApiError::invalid(vec![FieldError::new("map", "bad_mapping", e.to_string())])
        })?;
    Ok(ImportOptions {
        dry_run: q.dry_run,
        partial: q.partial,
        overrides,
        kitchen: q.kitchen.filter(|k| !k.trim().is_empty()),
    })
}

fn answer(report: ImportReport) -> Response {
    let status = if report.dry_run {
        StatusCode::OK
    } else if report.committed {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, Json(ListImportView::from(report))).into_response()
}

/// Import the village list (Kemendagri codes). Without `partial=true`, one bad row means
/// nothing is stored; `dry_run=true` stores nothing and answers 200.
#[utoipa::path(post, path = "/api/v1/areas/import", tag = "onboarding", params(ListImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "CSV or XLSX (or multipart/form-data with one file). Columns: kode/code, nama/name, jenis/kind, lat, lon or lokasi"),
    responses((status = 201, body = ListImportView), (status = 200, body = ListImportView, description = "dry run"),
        (status = 422, body = ListImportView)),
    security(("bearer" = [])))]
pub async fn import_areas(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ListImportQuery>,
    req: Request,
) -> ApiResult<Response> {
    let opts = options(q)?;
    let bytes = file_body(req, &state).await?;
    Ok(answer(
        state.dispatch.import_villages(&who, &bytes, &opts).await?,
    ))
}

/// Import recipients from a hospital or Dinas Sosial list, recognising people already stored
/// by NIK, No. RM, or name + village (held for review).
#[utoipa::path(post, path = "/api/v1/recipients/import", tag = "recipients", params(ListImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "CSV or XLSX (or multipart/form-data with one file); columns found by their Indonesian or English headers"),
    responses((status = 201, body = ListImportView), (status = 200, body = ListImportView, description = "dry run"),
        (status = 422, body = ListImportView)),
    security(("bearer" = [])))]
pub async fn import_recipients(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ListImportQuery>,
    req: Request,
) -> ApiResult<Response> {
    let opts = options(q)?;
    let bytes = file_body(req, &state).await?;
    Ok(answer(
        state
            .dispatch
            .import_recipients(&who, &bytes, &opts)
            .await?,
    ))
}

/// Import meal enrolments: each row a person (recognised or created) with kitchen, days, diet
/// notes, start and end.
#[utoipa::path(post, path = "/api/v1/enrolments/import", tag = "enrolments", params(ListImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "CSV or XLSX (or multipart/form-data with one file)"),
    responses((status = 201, body = ListImportView), (status = 200, body = ListImportView, description = "dry run"),
        (status = 422, body = ListImportView)),
    security(("bearer" = [])))]
pub async fn import_enrolments(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ListImportQuery>,
    req: Request,
) -> ApiResult<Response> {
    let opts = options(q)?;
    let bytes = file_body(req, &state).await?;
    Ok(answer(
        state
            .dispatch
            .import_enrolments(&who, &bytes, &opts)
            .await?,
    ))
}

/// Area filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AreaQuery {
    /// `kabupaten`, `kecamatan` or `desa` (a kelurahan is a `desa`).
    pub kind: Option<String>,
    /// Only the areas directly under this code (e.g. the desa of kecamatan `35.10.05`).
    pub parent: Option<String>,
}

/// An administrative area.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaView {
    /// Kemendagri code.
    pub code: String,
    /// `kabupaten`, `kecamatan` or `desa`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Enclosing area.
    pub parent_code: Option<String>,
    /// Centroid.
    pub centroid: Option<super::prescriptions::Location>,
}

/// The administrative areas (imported village list).
#[utoipa::path(get, path = "/api/v1/areas", tag = "onboarding", params(AreaQuery),
    responses((status = 200, body = Vec<AreaView>)), security(("bearer" = [])))]
pub async fn list_areas(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<AreaQuery>,
) -> ApiResult<Json<Vec<AreaView>>> {
    let kind = q
        .kind
        .as_deref()
        .map(str::parse::<crate::domain::area::AreaKind>)
        .transpose()
        .map_err(|e| {
            ApiError::invalid(vec![FieldError::new(
                "kind",
                "invalid_value",
                e.to_string(),
            )])
        })?;
    let list = state
        .dispatch
        .areas(&who, kind, q.parent.as_deref().map(str::trim))
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|a| AreaView {
                code: a.code.to_string(),
                kind: a.kind.as_str().into(),
                name: a.name,
                parent_code: a.parent_code.map(|c| c.to_string()),
                centroid: a.centroid.map(|l| super::prescriptions::Location {
                    lat: l.lat(),
                    lon: l.lon(),
                }),
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_part_of_a_multipart_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nNama,NIK\r\nSiti,1\r\n\r\n--XyZ--\r\n";
        let got = multipart_file("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(got, b"Nama,NIK\r\nSiti,1\r\n");
        assert!(multipart_file("multipart/form-data", body).is_none());
    }
}
