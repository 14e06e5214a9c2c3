//! The upload page: a spreadsheet (CSV or XLSX) of recipients, enrolments, prescriptions or
//! villages, sent as a `multipart/form-data` form with its CSRF token as a hidden field; "check
//! only" (a dry run) or "import" (optionally partial); the answer is the per-row report as a
//! table (row, column, outcome, reason) with counts.
//!
//! Owns the form, the small multipart reader and the report table. The imports are the
//! `dispatch` use cases the API and `antar import` run, with their roles (pharmacists:
//! prescriptions of their own site; social-service staff: recipients and enrolments; admins:
//! all and villages). The prescription CSV is read by the parser the API and the CLI share
//! (`api::prescriptions::parse_prescriptions_csv`, a plain function, no HTTP in it). Must not
//! speak SQL.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::i18n::Lang;
use super::{Staff, WebState, failure, layout, message_page};
use crate::dispatch::onboarding::{ImportOptions, ImportReport, RowAction};
use crate::dispatch::{DispatchError, FieldError};
use crate::domain::Role;
use crate::domain::sheet::Override;

/// The largest upload accepted on this page (the rest of the web router keeps 64 KB).
pub const UPLOAD_LIMIT: usize = 5 * 1024 * 1024;

/// What can be uploaded.
const KINDS: [&str; 4] = ["recipients", "enrolments", "prescriptions", "villages"];

fn kind_label(l: Lang, k: &str) -> &'static str {
    match k {
        "recipients" => l.t("penerima", "recipients"),
        "enrolments" => l.t("langganan makan", "meal enrolments"),
        "prescriptions" => l.t("resep", "prescriptions"),
        _ => l.t("desa/kelurahan", "villages"),
    }
}

/// The kinds a role may upload (the use cases refuse the others anyway).
fn kinds_for(role: Role) -> Vec<&'static str> {
    KINDS
        .into_iter()
        .filter(|k| match role {
            Role::Admin => true,
            Role::Pharmacist => *k == "prescriptions",
            Role::SocialWorker => matches!(*k, "recipients" | "enrolments"),
            _ => false,
        })
        .collect()
}

fn action_label(l: Lang, a: &str, dry_run: bool) -> &'static str {
    match (a, dry_run) {
        ("created", false) => l.t("dibuat", "created"),
        ("created", true) => l.t("akan dibuat", "would be created"),
        ("updated", false) => l.t("diperbarui", "updated"),
        ("updated", true) => l.t("akan diperbarui", "would be updated"),
        ("held", _) => l.t("ditahan untuk diperiksa", "held for review"),
        ("note", _) => l.t("catatan", "note"),
        _ => l.t("ditolak", "rejected"),
    }
}

/// One part of a multipart body.
#[derive(Debug, PartialEq, Eq)]
pub struct Part {
    /// The form field's name.
    pub name: String,
    /// The file name, for a file input.
    pub filename: Option<String>,
    /// The content.
    pub data: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header_param(headers: &str, key: &str) -> Option<String> {
    let lower = headers.to_ascii_lowercase();
    let pat = format!("{key}=\"");
    let mut from = 0;
    while let Some(at) = lower[from..].find(&pat) {
        let start = from + at;
        // `name=` must not match the end of `filename=`.
        if start == 0 || !lower.as_bytes()[start - 1].is_ascii_alphanumeric() {
            let v = start + pat.len();
            let end = headers[v..].find('"')? + v;
            return Some(headers[v..end].to_owned());
        }
        from = start + pat.len();
    }
    None
}

/// The parts of a `multipart/form-data` body; `None` when the content type has no boundary.
/// Small and strict on purpose: one form, held in memory (the body limit bounds it).
pub fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
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
        let raw = rest[..end].strip_prefix(b"\r\n").unwrap_or(&rest[..end]);
        if let Some(h) = find(raw, b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&raw[..h]).into_owned();
            let content = &raw[h + 4..];
            let content = content.strip_suffix(b"\r\n").unwrap_or(content);
            if let Some(name) = header_param(&headers, "name") {
                parts.push(Part {
                    name,
                    filename: header_param(&headers, "filename"),
                    data: content.to_vec(),
                });
            }
        }
    }
    Some(parts)
}

/// The form as sent.
#[derive(Debug, Default)]
struct UploadForm {
    csrf: String,
    kind: String,
    map: String,
    kitchen: String,
    partial: bool,
    dry_run: bool,
    file: Option<(String, Vec<u8>)>,
}

impl UploadForm {
    fn from_parts(parts: Vec<Part>) -> Self {
        let mut f = Self {
            dry_run: true,
            ..Self::default()
        };
        for p in parts {
            let text = || String::from_utf8_lossy(&p.data).trim().to_owned();
            match p.name.as_str() {
                "_csrf" => f.csrf = text(),
                "kind" => f.kind = text(),
                "map" => f.map = text(),
                "kitchen" => f.kitchen = text(),
                "partial" => f.partial = true,
                "action" => f.dry_run = text() != "import",
                "file" => {
                    let name = p.filename.clone().unwrap_or_default();
                    if !(name.is_empty() && p.data.is_empty()) {
                        f.file = Some((name, p.data));
                    }
                }
                _ => {}
            }
        }
        f
    }
}

/// A row of the report table.
struct Line {
    row: usize,
    column: String,
    action: &'static str,
    /// The stable code of the problem, when there is one.
    code: &'static str,
    reason: String,
}

/// What a problem code means, in Indonesian, put before the use case's detailed reason (which
/// names values and rows, in English) on Indonesian pages.
fn code_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "required" => "wajib diisi",
        "possible_duplicate" => {
            "nama dan desa sama dengan penerima yang sudah ada: periksa, atau isi NIK / No. RM"
        }
        "duplicate_in_file" => "orang yang sama dengan baris sebelumnya di berkas ini",
        "nik_conflict" => "No. RM cocok tetapi NIK berbeda",
        "nik_precision_lost" => {
            "NIK diketik sebagai angka: Excel hanya menyimpan 15 digit; format kolom sebagai Teks"
        }
        "nik_zeros_restored" => "angka 0 di depan NIK yang hilang sudah dikembalikan",
        "invalid_nik" => "NIK tidak valid",
        "invalid_phone" => "nomor telepon tidak valid",
        "invalid_days" => "hari tidak terbaca",
        "invalid_meal_time" => "jam makan tidak terbaca (contoh: 10.30-12.30)",
        "invalid_date" => "tanggal tidak terbaca",
        "window_inverted" => "akhir sebelum awal",
        "unknown_kitchen" => "dapur tidak dikenal",
        "ambiguous_kitchen" => "nama dapur dipakai beberapa dapur: pakai id",
        "unknown_village" => "desa tidak ada di daftar wilayah",
        "ambiguous_village" => "nama desa dipakai beberapa desa: isi kecamatan atau kode desa",
        "unknown_village_code" => "kode desa tidak ada di daftar wilayah",
        "invalid_area_code" | "not_a_village_code" => "kode wilayah tidak valid",
        "outside_service_area" | "location_outside_area" => "lokasi di luar wilayah layanan",
        "incomplete_location" => "isi lintang dan bujur, atau tidak keduanya",
        "not_a_number" => "bukan angka",
        "not_your_site" => "resep hanya untuk farmasi Anda sendiri",
        "in_the_past" => "waktu sudah lewat",
        c if c.starts_with("location_") => "lokasi tidak terbaca",
        _ => return None,
    })
}

/// What an upload did, for the table.
struct Outcome {
    kind: String,
    file: String,
    dry_run: bool,
    committed: bool,
    counts: Vec<(&'static str, usize)>,
    lines: Vec<Line>,
}

fn issue_column(column: &str, header: &str, field: &str) -> String {
    match (column.is_empty(), header.is_empty()) {
        (false, false) => format!("{column} ({header})"),
        (false, true) => column.to_owned(),
        _ => field.to_owned(),
    }
}

fn from_report(kind: &str, file: &str, r: ImportReport) -> Outcome {
    let mut lines = Vec::new();
    for row in &r.rows {
        let action = row.action.as_str();
        if row.issues.is_empty() {
            let what = match (&row.matched, &row.code) {
                (Some(m), _) => format!("{} ({})", m.name, m.key.as_str()),
                (None, Some(code)) => code.clone(),
                _ => String::new(),
            };
            lines.push(Line {
                row: row.row,
                column: String::new(),
                action,
                code: "",
                reason: what,
            });
        }
        for i in &row.issues {
            lines.push(Line {
                row: row.row,
                column: issue_column(&i.column, &i.header, i.field),
                action,
                code: i.code,
                reason: i.reason.clone(),
            });
        }
        for w in &row.warnings {
            lines.push(Line {
                row: row.row,
                column: issue_column(&w.column, &w.header, w.field),
                action: "note",
                code: w.code,
                reason: w.reason.clone(),
            });
        }
    }
    Outcome {
        kind: kind.to_owned(),
        file: file.to_owned(),
        dry_run: r.dry_run,
        committed: r.committed,
        counts: vec![
            ("created", r.count(RowAction::Created)),
            ("updated", r.count(RowAction::Updated)),
            ("held", r.count(RowAction::Held)),
            ("rejected", r.count(RowAction::Rejected)),
        ],
        lines,
    }
}

fn overrides(map: &str) -> Result<Vec<Override>, DispatchError> {
    map.split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Override::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            DispatchError::Invalid(vec![FieldError::new("map", "bad_mapping", e.to_string())])
        })
}

async fn run(
    state: &WebState,
    staff: &Staff,
    f: &UploadForm,
    bytes: &[u8],
    file: &str,
) -> Result<Outcome, DispatchError> {
    let who = &staff.principal;
    if f.kind == "prescriptions" {
        // The use case's roles, before the file is even read.
        crate::dispatch::require(who, &[Role::Admin, Role::Pharmacist])?;
        if crate::domain::sheet::is_xlsx(bytes) {
            return Err(DispatchError::Invalid(vec![FieldError::new(
                "file",
                "csv_only",
                "resep hanya dari berkas CSV (simpan sebagai CSV dari Excel) / prescriptions are read from CSV only (save as CSV in Excel)",
            )]));
        }
        let rows = crate::api::prescriptions::parse_prescriptions_csv(bytes)
            .map_err(|e| DispatchError::Invalid(vec![FieldError::new("file", e.code, e.reason)]))?;
        let r = state
            .dispatch
            .import_prescriptions_checked(who, rows, f.partial, f.dry_run)
            .await?;
        let mut lines: Vec<Line> = r
            .created
            .iter()
            .map(|(row, _, pin)| Line {
                row: *row,
                column: String::new(),
                action: "created",
                code: "",
                reason: pin
                    .as_ref()
                    .map(|p| format!("PIN serah terima / handover PIN: {p}"))
                    .unwrap_or_default(),
            })
            .collect();
        for (row, errs) in &r.rejected {
            for e in errs {
                lines.push(Line {
                    row: *row,
                    column: e.field.clone(),
                    action: "rejected",
                    code: e.code,
                    reason: e.reason.clone(),
                });
            }
        }
        lines.sort_by_key(|l| l.row);
        // Without `partial`, one refused row stores nothing: the "created" rows were not.
        let created = if r.committed || f.dry_run {
            r.created.len()
        } else {
            0
        };
        return Ok(Outcome {
            kind: f.kind.clone(),
            file: file.to_owned(),
            dry_run: f.dry_run,
            committed: r.committed,
            counts: vec![("created", created), ("rejected", r.rejected.len())],
            lines,
        });
    }
    let opts = ImportOptions {
        dry_run: f.dry_run,
        partial: f.partial,
        overrides: overrides(&f.map)?,
        kitchen: Some(f.kitchen.clone()).filter(|k| !k.is_empty()),
    };
    let report = match f.kind.as_str() {
        "recipients" => state.dispatch.import_recipients(who, bytes, &opts).await?,
        "enrolments" => state.dispatch.import_enrolments(who, bytes, &opts).await?,
        "villages" => state.dispatch.import_villages(who, bytes, &opts).await?,
        _ => {
            return Err(DispatchError::Invalid(vec![FieldError::new(
                "kind",
                "invalid_value",
                "pilih jenis daftar / choose what the list holds",
            )]));
        }
    };
    Ok(from_report(&f.kind, file, report))
}

/// `GET /upload`
pub async fn page(State(_state): State<WebState>, staff: Staff) -> Response {
    if kinds_for(staff.user.role).is_empty() {
        return failure(
            staff.lang,
            DispatchError::Forbidden(staff.user.role.as_str()),
        );
    }
    let kind = kinds_for(staff.user.role)[0].to_owned();
    render(
        &staff,
        StatusCode::OK,
        &UploadForm {
            kind,
            ..UploadForm::default()
        },
        &[],
        None,
    )
}

/// `POST /upload` (multipart).
pub async fn submit(
    State(state): State<WebState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let l = staff.lang;
    let body = match body {
        Ok(b) => b,
        Err(rej) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return message_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                l,
                l.t(
                    "Berkas terlalu besar: paling besar 5 MB. Bagi daftarnya menjadi beberapa berkas.",
                    "The file is too large: at most 5 MB. Split the list into several files.",
                ),
            );
        }
        Err(_) => {
            return message_page(
                StatusCode::BAD_REQUEST,
                l,
                l.t(
                    "Kiriman tidak terbaca. Coba lagi.",
                    "The upload could not be read. Try again.",
                ),
            );
        }
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let parts = if ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        multipart(ct, &body)
    } else {
        None
    };
    // Without a readable form there is no token either: refused like any bad token.
    let form = UploadForm::from_parts(parts.unwrap_or_default());
    if let Some(r) = staff.csrf_refusal(&form.csrf) {
        return r;
    }
    let Some((file, bytes)) = &form.file else {
        let errors = [FieldError::new(
            "file",
            "no_file",
            l.t("Pilih berkas CSV atau XLSX.", "Choose a CSV or XLSX file."),
        )];
        return render(
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &errors,
            None,
        );
    };
    match run(&state, &staff, &form, bytes, file).await {
        Ok(outcome) => {
            let status = if outcome.dry_run || outcome.committed {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render(&staff, status, &form, &[], Some(&outcome))
        }
        Err(DispatchError::Invalid(errors)) => render(
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &errors,
            None,
        ),
        Err(e) => failure(l, e),
    }
}

fn render(
    staff: &Staff,
    status: StatusCode,
    f: &UploadForm,
    errors: &[FieldError],
    outcome: Option<&Outcome>,
) -> Response {
    let l = staff.lang;
    let errs = |name: &str| -> Vec<&str> {
        errors
            .iter()
            .filter(|e| e.field == name)
            .map(|e| e.reason.as_str())
            .collect()
    };
    // Errors about anything else (e.g. a missing column) belong to the file.
    let file_errs: Vec<&str> = errors
        .iter()
        .filter(|e| !matches!(e.field.as_str(), "map" | "kind"))
        .map(|e| e.reason.as_str())
        .collect();
    let kinds = kinds_for(staff.user.role);
    let body = html! {
        main {
            h1 { (l.t("Unggah daftar", "Upload a list")) }
            form #upload method="post" action="/upload" enctype="multipart/form-data" {
                input type="hidden" name="_csrf" value=(staff.csrf);
                div {
                    label for="kind" { (l.t("Isi daftar", "The list holds")) }
                    select #kind name="kind" {
                        @for k in &kinds { option value=(k) selected[f.kind == *k] { (kind_label(l, k)) } }
                    }
                    @for e in errs("kind") { p.err id="kind-err" { (e) } }
                }
                div {
                    label for="file" { (l.t("Berkas (CSV atau XLSX, paling besar 5 MB)", "File (CSV or XLSX, at most 5 MB)")) }
                    input #file type="file" name="file" required
                        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        aria-invalid=[(!file_errs.is_empty()).then_some("true")]
                        aria-describedby=[(!file_errs.is_empty()).then_some("file-err")];
                    @for e in &file_errs { p.err id="file-err" { (e) } }
                }
                div {
                    label for="map" { (l.t("Pemetaan kolom (boleh kosong), mis. \"No. KTP=nik; HP=phone\"", "Column mapping (optional), e.g. \"No. KTP=nik; HP=phone\"")) }
                    input #map type="text" name="map" value=(f.map)
                        aria-invalid=[(!errs("map").is_empty()).then_some("true")];
                    @for e in errs("map") { p.err id="map-err" { (e) } }
                }
                @if kinds.contains(&"enrolments") {
                    div {
                        label for="kitchen" { (l.t("Dapur untuk baris tanpa dapur (langganan makan)", "Kitchen for rows without one (enrolments)")) }
                        input #kitchen type="text" name="kitchen" value=(f.kitchen);
                    }
                }
                div {
                    label for="partial" {
                        input #partial type="checkbox" name="partial" value="1" checked[f.partial];
                        " " (l.t("Impor sebagian: simpan baris yang benar walau ada yang ditolak", "Partial import: store the good rows even when some are rejected"))
                    }
                }
                p {
                    button type="submit" name="action" value="check" { (l.t("Periksa saja (tanpa menyimpan)", "Check only (dry run)")) }
                    " "
                    button type="submit" name="action" value="import" { (l.t("Impor", "Import")) }
                }
            }
            @if let Some(o) = outcome { (report(l, o)) }
        }
    };
    (
        status,
        layout(l, l.t("Unggah daftar", "Upload a list"), Some(staff), body),
    )
        .into_response()
}

fn report(l: Lang, o: &Outcome) -> Markup {
    html! {
        section #report aria-label=(l.t("Hasil", "Result")) {
            h2 { (l.t("Hasil: ", "Result: ")) (kind_label(l, &o.kind)) " · " (o.file) }
            @if o.dry_run {
                p.ok role="status" #stored { (l.t("Pemeriksaan saja: tidak ada yang disimpan.", "Check only: nothing was stored.")) }
            } @else if o.committed {
                p.ok role="status" #stored { (l.t("Tersimpan.", "Stored.")) }
            } @else {
                p.notice role="alert" #stored { (l.t(
                    "Tidak ada yang disimpan: ada baris yang ditolak. Perbaiki barisnya, atau centang impor sebagian.",
                    "Nothing was stored: some rows were rejected. Fix them, or tick partial import.")) }
            }
            table.counts #counts {
                thead { tr { @for (a, _) in &o.counts { th scope="col" { (action_label(l, a, o.dry_run)) } } } }
                tbody { tr { @for (a, n) in &o.counts { td data-count=(a) { (n) } } } }
            }
            div.table-wrap {
                table #rows {
                    thead { tr {
                        th scope="col" { (l.t("Baris", "Row")) }
                        th scope="col" { (l.t("Kolom", "Column")) }
                        th scope="col" { (l.t("Hasil", "Outcome")) }
                        th scope="col" { (l.t("Alasan", "Reason")) }
                    } }
                    tbody {
                        @for line in &o.lines {
                            tr class={ "r-" (line.action) } {
                                td { (line.row) }
                                td { (line.column) }
                                td { (action_label(l, line.action, o.dry_run)) }
                                td {
                                    @if l == Lang::Id && let Some(t) = code_text(line.code) {
                                        strong { (t) } ": "
                                    }
                                    (line.reason)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_form_gives_its_fields_and_its_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nNama,NIK\r\nSiti,1\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nimport\r\n--XyZ--\r\n";
        let parts = multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        let f = UploadForm::from_parts(parts);
        assert_eq!(f.csrf, "abc");
        assert!(!f.dry_run);
        assert_eq!(
            f.file,
            Some(("a.csv".to_owned(), b"Nama,NIK\r\nSiti,1\r\n".to_vec()))
        );
        assert!(multipart("multipart/form-data", body).is_none());
    }

    #[test]
    fn without_the_import_button_an_upload_is_only_checked() {
        let body =
            b"--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nrecipients\r\n--b--\r\n";
        let f = UploadForm::from_parts(multipart("multipart/form-data; boundary=b", body).unwrap());
        assert_eq!(f.kind, "recipients");
        assert!(f.dry_run);
    }
}
