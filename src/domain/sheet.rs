//! Tables from the spreadsheets staff actually have: hospital (SIMRS) exports and Dinas Sosial
//! lists as CSV (comma or semicolon) or XLSX, with title rows, merged header cells, blank rows
//! and Indonesian or English headers. Reads bytes into a grid of text cells numbered as the
//! user sees them in Excel, finds the header row, maps columns to [`Field`]s, and turns each row
//! into a [`PersonRow`] or [`AreaRow`] with per-cell problems.
//!
//! Owns: [`Grid`], [`Mapping`], [`Field`], [`CellIssue`] and the row readers. Pure: bytes in,
//! values out (the CSV and XLSX parsers work on in-memory bytes); no files, no database, no
//! async. Matching rows to stored people is `dispatch`'s business.

use std::io::Cursor;

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};

use super::area::{AreaCode, AreaKind, person_key};
use super::enrolment::Meal;
use super::geo::LatLon;
use super::location::{parse_location, recorded_precision_m, typical_precision_m};
use super::nik::{Nik, ParsedNik};
use super::phone::Phone;
use super::time::{LocalWindow, Weekdays};

/// Rows looked at when searching for the header.
const HEADER_SCAN_ROWS: usize = 12;

/// A file that cannot be read as a table at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// CSV syntax error at a row.
    #[error("row {row}: {reason}")]
    Csv {
        /// Row (line) number.
        row: usize,
        /// What was wrong.
        reason: String,
    },
    /// The workbook could not be opened.
    #[error("not a readable XLSX workbook: {0}")]
    Xlsx(String),
    /// No cells at all.
    #[error("the file is empty")]
    Empty,
    /// No row looks like a header.
    #[error(
        "no header row found in the first {HEADER_SCAN_ROWS} rows (expected columns such as {0})"
    )]
    NoHeader(String),
    /// A required column is missing.
    #[error("row {row}: the header has no {field} column (headers found: {found})")]
    MissingColumn {
        /// Header row.
        row: usize,
        /// Field name.
        field: &'static str,
        /// The headers seen.
        found: String,
    },
    /// A `--map` override names no column or an unknown field.
    #[error("{0}")]
    BadOverride(String),
    /// Header row but no data rows.
    #[error("the file has a header but no rows")]
    NoRows,
}

/// One row of cells as text, numbered as in the spreadsheet (first row is 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRow {
    /// Row number as the user sees it.
    pub number: usize,
    /// Cell texts, trimmed; empty string for an empty cell.
    pub cells: Vec<String>,
    /// Indices of cells that were numbers in the workbook (XLSX only): Excel keeps 15
    /// significant digits of a number, so a 16-digit id typed as one may have lost its last.
    pub numeric: Vec<usize>,
}

/// A sheet as rows of text cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grid {
    /// Non-empty rows in order.
    pub rows: Vec<GridRow>,
}

/// XLSX files are ZIP archives.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Read CSV or XLSX (decided from the content: XLSX is a ZIP archive).
pub fn read_grid(bytes: &[u8]) -> Result<Grid, SheetError> {
    if is_xlsx(bytes) {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

/// Read CSV; the delimiter (`,` or `;`, as Indonesian Excel writes) is guessed from the first
/// lines. A UTF-8 byte order mark is skipped.
pub fn read_csv(bytes: &[u8]) -> Result<Grid, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .take(HEADER_SCAN_ROWS)
        .collect();
    let count = |c: u8| -> usize {
        head.iter()
            .map(|l| l.iter().filter(|&&b| b == c).count())
            .sum()
    };
    let delimiter = if count(b';') > count(b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut grid = Grid::default();
    let mut rec = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let number = rec.position().map_or(0, |p| line_of(bytes, p.byte()));
                let cells: Vec<String> = rec
                    .iter()
                    .map(|c| String::from_utf8_lossy(c).trim().to_owned())
                    .collect();
                if cells.iter().any(|c| !c.is_empty()) {
                    grid.rows.push(GridRow {
                        number,
                        cells,
                        numeric: Vec::new(),
                    });
                }
            }
            Err(e) => {
                let row = e.position().map_or(0, |p| line_of(bytes, p.byte()));
                return Err(SheetError::Csv {
                    row,
                    reason: e.to_string(),
                });
            }
        }
    }
    if grid.rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(grid)
}

/// The 1-based line where a record starts (the reader reports the offset before any blank
/// lines it skipped).
fn line_of(bytes: &[u8], offset: u64) -> usize {
    let mut start = usize::try_from(offset)
        .unwrap_or(bytes.len())
        .min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
        start += 1;
    }
    bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Read the first worksheet of an XLSX workbook. Merged cells take the value of their top-left
/// cell (a kecamatan merged down a block of rows applies to each row); numbers print without a
/// trailing `.0` and without exponent (a NIK typed as a number comes out whole); dates print
/// as `YYYY-MM-DD`.
pub fn read_xlsx(bytes: &[u8]) -> Result<Grid, SheetError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| SheetError::Xlsx(e.to_string()))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| SheetError::Xlsx("the workbook has no sheets".into()))?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| SheetError::Xlsx(e.to_string()))?;
    let merged = book.merge_cells_by_sheet_name(&name).unwrap_or_default();
    let Some((r0, c0)) = range.start() else {
        return Err(SheetError::Empty);
    };
    let text = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) => number_text(*f),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(dt) => excel_date(dt.as_f64()),
            Data::Error(e) => format!("#{e:?}"),
        }
    };
    // Absolute grid: column c of the sheet is index c (so letters stay right).
    let c0 = c0 as usize;
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut numeric: Vec<Vec<usize>> = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let mut cells = vec![String::new(); c0];
        cells.extend(row.iter().map(text));
        rows.push((r0 as usize + i, cells));
        numeric.push(
            row.iter()
                .enumerate()
                .filter(|(_, d)| matches!(d, Data::Float(_) | Data::Int(_)))
                .map(|(j, _)| c0 + j)
                .collect(),
        );
    }
    for m in &merged {
        let (sr, sc) = (m.start.0 as usize, m.start.1 as usize);
        let value = rows
            .iter()
            .find(|(r, _)| *r == sr)
            .and_then(|(_, c)| c.get(sc))
            .cloned()
            .unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        for (r, cells) in rows.iter_mut() {
            if *r < sr || *r > m.end.0 as usize {
                continue;
            }
            for c in sc..=(m.end.1 as usize) {
                if cells.len() <= c {
                    cells.resize(c + 1, String::new());
                }
                if cells[c].is_empty() {
                    cells[c] = value.clone();
                }
            }
        }
    }
    let grid = Grid {
        rows: rows
            .into_iter()
            .zip(numeric)
            .filter(|((_, c), _)| c.iter().any(|s| !s.is_empty()))
            .map(|((r, cells), numeric)| GridRow {
                number: r + 1,
                cells,
                numeric,
            })
            .collect(),
    };
    if grid.rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(grid)
}

/// A float cell as a person reads it: whole numbers without `.0` or exponent.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e17 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// An Excel date serial (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return serial.to_string();
    }
    // The range check above keeps the cast exact.
    #[allow(clippy::cast_possible_truncation)]
    let days = serial.floor() as i64;
    (base + Duration::days(days)).format("%Y-%m-%d").to_string()
}

/// What a column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Full name.
    Name,
    /// National id (16 digits).
    Nik,
    /// Hospital medical record number (No. RM).
    MedicalRecordNo,
    /// Phone.
    Phone,
    /// Address text.
    Address,
    /// Landmark.
    Landmark,
    /// Desa / kelurahan name.
    Village,
    /// Desa / kelurahan Kemendagri code.
    VillageCode,
    /// Kecamatan name.
    Kecamatan,
    /// Location in any form the location parser reads.
    Location,
    /// Latitude.
    Lat,
    /// Longitude.
    Lon,
    /// Kitchen (site name or id).
    Kitchen,
    /// Meal days.
    Days,
    /// Meal delivery window(s), e.g. `10:30-12:30`.
    MealTime,
    /// Diet notes.
    DietNotes,
    /// First day.
    Start,
    /// Last day.
    End,
    /// Notes for staff.
    Notes,
    /// Area code (village list).
    Code,
    /// Area kind (village list).
    Kind,
}

/// Every field with its canonical name and the header spellings that mean it (compared after
/// lower-casing and turning punctuation into spaces).
const FIELDS: &[(Field, &str, &[&str])] = &[
    (
        Field::Name,
        "name",
        &[
            "nama",
            "name",
            "nama lengkap",
            "nama penerima",
            "nama pasien",
            "nama lansia",
            "nama penerima manfaat",
            "patient name",
            "full name",
            "recipient",
        ],
    ),
    (
        Field::Nik,
        "nik",
        &[
            "nik",
            "no nik",
            "nomor nik",
            "nik ktp",
            "no ktp",
            "nomor induk kependudukan",
            "national id",
        ],
    ),
    (
        Field::MedicalRecordNo,
        "medical_record_no",
        &[
            "no rm",
            "nomor rm",
            "rm",
            "no rekam medis",
            "nomor rekam medis",
            "rekam medis",
            "medical record",
            "medical record no",
            "medical record number",
            "mrn",
        ],
    ),
    (
        Field::Phone,
        "phone",
        &[
            "telepon",
            "telp",
            "no telp",
            "no telepon",
            "hp",
            "no hp",
            "nomor hp",
            "no wa",
            "wa",
            "whatsapp",
            "phone",
            "mobile",
        ],
    ),
    (
        Field::Address,
        "address",
        &[
            "alamat",
            "address",
            "alamat lengkap",
            "dusun",
            "dusun rt rw",
            "dusun rt",
            "rt rw",
            "jalan",
        ],
    ),
    (
        Field::Landmark,
        "landmark",
        &[
            "patokan",
            "landmark",
            "ancer ancer",
            "ciri rumah",
            "petunjuk",
        ],
    ),
    (
        Field::Village,
        "village",
        &[
            "desa",
            "kelurahan",
            "desa kelurahan",
            "desa kel",
            "kel desa",
            "village",
            "kel",
            "ds",
        ],
    ),
    (
        Field::VillageCode,
        "village_code",
        &[
            "kode desa",
            "kode kelurahan",
            "village code",
            "kode wilayah",
        ],
    ),
    (
        Field::Kecamatan,
        "kecamatan",
        &["kecamatan", "kec", "district"],
    ),
    (
        Field::Location,
        "location",
        &[
            "lokasi",
            "koordinat",
            "titik",
            "titik lokasi",
            "location",
            "coordinates",
            "gps",
            "link maps",
            "maps",
        ],
    ),
    (Field::Lat, "lat", &["lat", "latitude", "lintang"]),
    (
        Field::Lon,
        "lon",
        &["lon", "lng", "long", "longitude", "bujur"],
    ),
    (
        Field::Kitchen,
        "kitchen",
        &["dapur", "kitchen", "warung", "dapur umum", "kitchen id"],
    ),
    (
        Field::Days,
        "days",
        &["hari", "days", "hari kirim", "hari antar", "weekdays"],
    ),
    (
        Field::MealTime,
        "meal_time",
        &[
            "jam makan",
            "waktu makan",
            "waktu antar",
            "jam antar",
            "jam kirim",
            "waktu kirim",
            "meal time",
            "meal window",
            "delivery window",
            "window",
        ],
    ),
    (
        Field::DietNotes,
        "diet_notes",
        &[
            "catatan diet",
            "diet",
            "diet notes",
            "pantangan",
            "pantangan makanan",
        ],
    ),
    (
        Field::Start,
        "start",
        &["mulai", "start", "tanggal mulai", "tgl mulai", "start date"],
    ),
    (
        Field::End,
        "end",
        &[
            "selesai",
            "end",
            "tanggal selesai",
            "tgl selesai",
            "end date",
            "sampai",
        ],
    ),
    (
        Field::Notes,
        "notes",
        &["catatan", "keterangan", "ket", "notes", "note"],
    ),
    (Field::Code, "code", &["kode", "code", "kode kemendagri"]),
    (
        Field::Kind,
        "kind",
        &["jenis", "tingkat", "kind", "level", "type"],
    ),
];

impl Field {
    /// The canonical name (as used by `--map column=field`).
    pub fn as_str(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("", |(_, n, _)| n)
    }

    /// A field by canonical name.
    pub fn from_name(name: &str) -> Option<Field> {
        let n = name.trim().to_ascii_lowercase().replace('-', "_");
        FIELDS.iter().find(|(_, c, _)| *c == n).map(|(f, _, _)| *f)
    }

    /// The field a header names, if any.
    pub fn from_header(header: &str) -> Option<Field> {
        let key = person_key(header);
        if key.is_empty() {
            return None;
        }
        FIELDS
            .iter()
            .find(|(_, canon, names)| {
                names.contains(&key.as_str()) || key == canon.replace('_', " ")
            })
            .map(|(f, _, _)| *f)
    }
}

/// The spreadsheet letter of a 0-based column index (`0` → `A`, `27` → `AB`).
pub fn column_letter(mut index: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + u8::try_from(index % 26).unwrap_or(0));
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// One column of the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// 0-based index.
    pub index: usize,
    /// Header text as found (after filling merged cells).
    pub header: String,
    /// The field it was mapped to (`None`: ignored).
    pub field: Option<Field>,
}

/// Which column holds which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Row number of the header.
    pub header_row: usize,
    /// Every header column.
    pub columns: Vec<Column>,
}

impl Mapping {
    fn column(&self, f: Field) -> Option<&Column> {
        self.columns.iter().find(|c| c.field == Some(f))
    }
}

/// A `--map` override: a header (any spelling that normalises the same) or a column letter,
/// and the field it holds (`ignore` to drop a column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Header text or column letter.
    pub column: String,
    /// Field, or `None` to ignore the column.
    pub field: Option<Field>,
}

impl Override {
    /// Parse `column=field`.
    pub fn parse(s: &str) -> Result<Override, SheetError> {
        let (col, field) = s.rsplit_once('=').ok_or_else(|| {
            SheetError::BadOverride(format!(
                "{s:?}: expected COLUMN=FIELD, e.g. \"No. KTP=nik\""
            ))
        })?;
        let field = match field.trim() {
            "ignore" | "-" | "" => None,
            f => Some(Field::from_name(f).ok_or_else(|| {
                let names: Vec<&str> = FIELDS.iter().map(|(_, n, _)| *n).collect();
                SheetError::BadOverride(format!(
                    "{s:?}: unknown field {f:?}; fields are {}",
                    names.join(", ")
                ))
            })?),
        };
        Ok(Override {
            column: col.trim().to_owned(),
            field,
        })
    }
}

/// Find the header (the row among the first few that names the most known fields; a blank
/// header cell under a merged group takes the nearest known header above it), apply the
/// overrides, and return the mapping with the data rows after it.
pub fn map_columns<'g>(
    grid: &'g Grid,
    overrides: &[Override],
    required: &[Field],
) -> Result<(Mapping, &'g [GridRow]), SheetError> {
    let scan = grid.rows.len().min(HEADER_SCAN_ROWS);
    let score = |r: &GridRow| {
        let fields: Vec<Field> = r
            .cells
            .iter()
            .filter_map(|c| Field::from_header(c))
            .collect();
        let hits = fields.len() + usize::from(required.iter().all(|f| fields.contains(f)));
        hits + r
            .cells
            .iter()
            .filter(|c| overrides.iter().any(|o| same_header(&o.column, c)))
            .count()
    };
    let (at, best) = (0..scan)
        .map(|i| (i, score(&grid.rows[i])))
        .fold((0, 0), |acc, x| if x.1 > acc.1 { x } else { acc });
    let expected = required
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if best < 2 {
        return Err(SheetError::NoHeader(expected));
    }
    let header = &grid.rows[at];
    let width = grid.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let mut columns = Vec::new();
    for index in 0..width {
        let mut text = header.cells.get(index).cloned().unwrap_or_default();
        if text.is_empty() {
            // A header merged over two rows in a CSV export sits in the row above.
            if let Some(above) = grid.rows[..at]
                .iter()
                .rev()
                .filter_map(|r| r.cells.get(index))
                .find(|c| !c.is_empty())
                && Field::from_header(above).is_some()
            {
                text = above.clone();
            }
        }
        let field = Field::from_header(&text);
        columns.push(Column {
            index,
            header: text,
            field,
        });
    }
    for o in overrides {
        let col = columns
            .iter_mut()
            .find(|c| same_header(&o.column, &c.header) || o.column == column_letter(c.index))
            .ok_or_else(|| {
                SheetError::BadOverride(format!(
                    "--map {}: no column {:?} in the header on row {}",
                    o.column, o.column, header.number
                ))
            })?;
        col.field = o.field;
    }
    // A field mapped twice keeps its first column; later ones are ignored rather than merged.
    let mut seen = Vec::new();
    for c in &mut columns {
        if let Some(f) = c.field {
            if seen.contains(&f) {
                c.field = None;
            } else {
                seen.push(f);
            }
        }
    }
    let mapping = Mapping {
        header_row: header.number,
        columns,
    };
    for f in required {
        if mapping.column(*f).is_none() {
            return Err(SheetError::MissingColumn {
                row: header.number,
                field: f.as_str(),
                found: mapping
                    .columns
                    .iter()
                    .filter(|c| !c.header.is_empty())
                    .map(|c| format!("{:?}", c.header))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let rows = &grid.rows[at + 1..];
    if rows.is_empty() {
        return Err(SheetError::NoRows);
    }
    Ok((mapping, rows))
}

fn same_header(a: &str, b: &str) -> bool {
    let k = person_key(a);
    !k.is_empty() && k == person_key(b)
}

/// A problem with one cell (or one row, when `column` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellIssue {
    /// Spreadsheet column letter (`C`), empty for the whole row.
    pub column: String,
    /// Header of that column.
    pub header: String,
    /// Field name (`nik`).
    pub field: &'static str,
    /// Stable code (`invalid_nik`).
    pub code: &'static str,
    /// Reason a person can read.
    pub reason: String,
}

struct RowReader<'a> {
    mapping: &'a Mapping,
    row: &'a GridRow,
    errors: Vec<CellIssue>,
    warnings: Vec<CellIssue>,
}

impl RowReader<'_> {
    fn get(&self, f: Field) -> Option<String> {
        let c = self.mapping.column(f)?;
        let v = self.row.cells.get(c.index)?.trim();
        // "-" is how lists say "none".
        (!v.is_empty() && v != "-").then(|| v.to_owned())
    }

    fn issue(&self, f: Field, code: &'static str, reason: impl Into<String>) -> CellIssue {
        let (column, header) = self
            .mapping
            .column(f)
            .map(|c| (column_letter(c.index), c.header.clone()))
            .unwrap_or_default();
        CellIssue {
            column,
            header,
            field: f.as_str(),
            code,
            reason: reason.into(),
        }
    }

    fn error(&mut self, f: Field, code: &'static str, reason: impl Into<String>) {
        let i = self.issue(f, code, reason);
        self.errors.push(i);
    }

    fn number(&mut self, f: Field) -> Option<f64> {
        let s = self.get(f)?;
        let t = if s.contains('.') {
            s.clone()
        } else {
            s.replace(',', ".")
        };
        match t.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                self.error(f, "not_a_number", format!("{s:?} is not a number"));
                None
            }
        }
    }

    fn date(&mut self, f: Field) -> Option<NaiveDate> {
        let s = self.get(f)?;
        let head = s.split([' ', 'T']).next().unwrap_or(&s);
        for fmt in ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"] {
            if let Ok(d) = NaiveDate::parse_from_str(head, fmt) {
                return Some(d);
            }
        }
        self.error(
            f,
            "invalid_date",
            format!("{s:?} is not a date like 2026-12-01 or 01/12/2026"),
        );
        None
    }
}

/// A row of a people list (recipients, or recipients with their meal enrolment).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    /// Row number in the file.
    pub row: usize,
    /// Full name.
    pub name: String,
    /// National id.
    pub nik: Option<Nik>,
    /// Medical record number, trimmed.
    pub medical_record_no: Option<String>,
    /// Phone.
    pub phone: Option<Phone>,
    /// Address.
    pub address: String,
    /// Landmark.
    pub landmark: String,
    /// Village name as written.
    pub village: String,
    /// Village code, when the list has one.
    pub village_code: Option<AreaCode>,
    /// Kecamatan name as written.
    pub kecamatan: String,
    /// Location and its source (`pin`, `link`, `plus_code`).
    pub location: Option<(LatLon, String)>,
    /// How far the true home may be from `location`, in metres.
    pub location_precision_m: Option<f64>,
    /// Kitchen name or id.
    pub kitchen: Option<String>,
    /// Meal days.
    pub days: Option<Weekdays>,
    /// Meals with their windows, from a meal-time column (empty: the default lunch).
    pub meals: Vec<Meal>,
    /// Diet notes.
    pub diet_notes: String,
    /// First meal day.
    pub start: Option<NaiveDate>,
    /// Last meal day.
    pub end: Option<NaiveDate>,
    /// Notes for staff.
    pub notes: String,
    /// Things fixed on the way in (a NIK's restored zeros) that the report shows.
    pub warnings: Vec<CellIssue>,
}

/// Read one data row of a people list.
pub fn person_row(mapping: &Mapping, row: &GridRow) -> Result<PersonRow, Vec<CellIssue>> {
    let mut r = RowReader {
        mapping,
        row,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let name = r.get(Field::Name).unwrap_or_default();
    if name.is_empty() {
        r.error(Field::Name, "required", "the name is empty");
    }
    let nik_is_number = mapping
        .column(Field::Nik)
        .is_some_and(|c| row.numeric.contains(&c.index));
    let nik = r
        .get(Field::Nik)
        .and_then(|s| match Nik::parse(&s) {
            // Excel keeps 15 significant digits of a number: the 16th became a 0.
            Ok(p) if nik_is_number && p.zeros_restored == 0 && s.ends_with('0') => {
                r.error(
                    Field::Nik,
                    "nik_precision_lost",
                    "NIK typed as a number: Excel keeps only 15 digits, so its last digit may have become 0; format the column as Text and type it again",
                );
                None
            }
            Ok(ParsedNik {
                nik,
                zeros_restored,
            }) => {
                if zeros_restored > 0 {
                    let w = r.issue(
                        Field::Nik,
                        "nik_zeros_restored",
                        format!(
                            "NIK had {zeros_restored} leading zero(s) dropped by the spreadsheet; restored (ends {})",
                            nik.last4()
                        ),
                    );
                    r.warnings.push(w);
                }
                Some(nik)
            }
            Err(e) => {
                r.error(Field::Nik, e.code(), e.to_string());
                None
            }
        });
    let medical_record_no = r
        .get(Field::MedicalRecordNo)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
    let phone = r.get(Field::Phone).and_then(|p| match Phone::parse(&p) {
        Ok(p) => Some(p),
        Err(e) => {
            r.error(Field::Phone, "invalid_phone", e.to_string());
            None
        }
    });
    let village_code = r
        .get(Field::VillageCode)
        .and_then(|s| match AreaCode::parse(&s) {
            Ok(c) if c.kind() == AreaKind::Desa => Some(c),
            Ok(c) => {
                r.error(
                    Field::VillageCode,
                    "not_a_village_code",
                    format!("{c} is a {} code, not a desa code", c.kind().as_str()),
                );
                None
            }
            Err(e) => {
                r.error(Field::VillageCode, "invalid_area_code", e.to_string());
                None
            }
        });
    let (location, location_precision_m) = match read_location(&mut r) {
        Some((p, source, precision)) => (Some((p, source)), Some(precision)),
        None => (None, None),
    };
    let days = r.get(Field::Days).and_then(|s| match parse_days(&s) {
        Ok(d) => Some(d),
        Err(reason) => {
            r.error(Field::Days, "invalid_days", reason);
            None
        }
    });
    let meals = r
        .get(Field::MealTime)
        .map(|s| match parse_meal_windows(&s) {
            Ok(m) => m,
            Err(reason) => {
                r.error(Field::MealTime, "invalid_meal_time", reason);
                Vec::new()
            }
        })
        .unwrap_or_default();
    let start = r.date(Field::Start);
    let end = r.date(Field::End);
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        r.error(Field::End, "window_inverted", "the end is before the start");
    }
    let out = PersonRow {
        row: row.number,
        name,
        nik,
        medical_record_no,
        phone,
        address: r.get(Field::Address).unwrap_or_default(),
        landmark: r.get(Field::Landmark).unwrap_or_default(),
        village: r.get(Field::Village).unwrap_or_default(),
        village_code,
        kecamatan: r.get(Field::Kecamatan).unwrap_or_default(),
        location,
        location_precision_m,
        kitchen: r.get(Field::Kitchen),
        days,
        meals,
        diet_notes: r.get(Field::DietNotes).unwrap_or_default(),
        start,
        end,
        notes: r.get(Field::Notes).unwrap_or_default(),
        warnings: std::mem::take(&mut r.warnings),
    };
    if r.errors.is_empty() {
        Ok(out)
    } else {
        Err(r.errors)
    }
}

/// The location of a row with its source and the precision to record.
fn read_location(r: &mut RowReader<'_>) -> Option<(LatLon, String, f64)> {
    let lat = r.number(Field::Lat);
    let lon = r.number(Field::Lon);
    let from_pair = match (lat, lon) {
        (Some(a), Some(b)) => match LatLon::new(a, b) {
            Ok(p) => Some((p, "pin".to_owned(), typical_precision_m("pin"))),
            Err(e) => {
                r.error(Field::Lat, "out_of_range", e.to_string());
                None
            }
        },
        (None, None) => None,
        _ => {
            let f = if lat.is_none() {
                Field::Lat
            } else {
                Field::Lon
            };
            r.error(
                f,
                "incomplete_location",
                "give both latitude and longitude, or neither",
            );
            None
        }
    };
    let Some(text) = r.get(Field::Location) else {
        return from_pair;
    };
    if from_pair.is_some() {
        return from_pair;
    }
    match parse_location(&text, None) {
        Ok(p) => Some((
            p.point,
            p.source.as_str().to_owned(),
            recorded_precision_m(&p),
        )),
        Err(e) => {
            r.error(Field::Location, e.code(), e.to_string());
            None
        }
    }
}

/// A time as lists write it: `10:30`, `10.30`, `10`, `7:05`.
fn clock_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim().trim_end_matches(['.', ' ']);
    let (h, m) = match s.split_once([':', '.']) {
        Some((h, m)) => (h, m),
        None => (s, "0"),
    };
    let (h, m) = (h.trim().parse::<u32>().ok()?, m.trim().parse::<u32>().ok()?);
    (h < 24 && m < 60 && s.len() <= 5).then(|| NaiveTime::from_hms_opt(h, m, 0))?
}

/// Meal windows as lists write them: `10:30-12:30`, `10.30–12.30`, `10.30 s/d 12.30`, several
/// separated by `,` or `;` (`06:30-08:00; 11:00-13:00`). Each meal is named by when it starts:
/// `pagi` before 10:00, `siang` before 15:00, else `malam`.
pub fn parse_meal_windows(s: &str) -> Result<Vec<Meal>, String> {
    let expected = "expected a window like 10:30-12:30 or 10.30–12.30";
    let lower = s.to_lowercase();
    let t = lower
        .replace("s/d", "-")
        .replace(" sampai ", "-")
        .replace(" to ", "-")
        .replace(['–', '—'], "-");
    let mut meals: Vec<Meal> = Vec::new();
    for part in t.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part
            .split_once('-')
            .ok_or_else(|| format!("{s:?}: {part:?} has no end time; {expected}"))?;
        let (Some(start), Some(end)) = (clock_time(a), clock_time(b)) else {
            return Err(format!("{s:?}: {part:?} is not a time range; {expected}"));
        };
        let window = LocalWindow::new(start, end).map_err(|_| {
            format!(
                "{s:?}: the window ends ({}) before it starts ({}); {expected}",
                end.format("%H:%M"),
                start.format("%H:%M")
            )
        })?;
        let base = match start.hour() {
            h if h < 10 => "pagi",
            h if h < 15 => "siang",
            _ => "malam",
        };
        let mut name = base.to_owned();
        let mut n = 2;
        while meals.iter().any(|m| m.name == name) {
            name = format!("{base} {n}");
            n += 1;
        }
        meals.push(Meal { name, window });
    }
    if meals.is_empty() {
        return Err(format!("{s:?}: no window; {expected}"));
    }
    Ok(meals)
}

/// Days as lists write them: "Senin, Rabu, Jumat", "Senin-Jumat", "Senin s/d Sabtu",
/// "setiap hari" / "every day".
pub fn parse_days(s: &str) -> Result<Weekdays, String> {
    let lower = s.to_lowercase();
    let t = lower.trim();
    if [
        "setiap hari",
        "tiap hari",
        "every day",
        "daily",
        "semua",
        "all",
    ]
    .contains(&t)
    {
        return Ok(Weekdays::ALL);
    }
    let t = t
        .replace("s/d", "-")
        .replace(" sampai ", "-")
        .replace(" to ", "-");
    let index = |name: &str| -> Result<u8, String> {
        let w = Weekdays::parse(&[name]).map_err(|e| format!("{s:?}: unknown day {:?}", e.0))?;
        Ok(w.bits().trailing_zeros() as u8)
    };
    let mut bits = 0u8;
    for part in t.split([',', ';', '/', '&']).flat_map(|p| p.split(" dan ")) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (index(a.trim())?, index(b.trim())?);
            let mut d = a;
            loop {
                bits |= 1 << d;
                if d == b {
                    break;
                }
                d = (d + 1) % 7;
            }
        } else {
            for w in part.split_whitespace() {
                bits |= 1 << index(w)?;
            }
        }
    }
    if bits == 0 {
        return Err(format!("{s:?}: no day named"));
    }
    Ok(Weekdays::from_bits(bits))
}

/// A row of a village list.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRow {
    /// Row number.
    pub row: usize,
    /// Code.
    pub code: AreaCode,
    /// Name.
    pub name: String,
    /// Centroid.
    pub centroid: Option<LatLon>,
}

/// Read one data row of a village list: `kode`, `nama`, optional `jenis` (checked against the
/// code's shape) and a centroid as `lat`/`lon` or `lokasi`.
pub fn area_row(mapping: &Mapping, row: &GridRow) -> Result<AreaRow, Vec<CellIssue>> {
    let mut r = RowReader {
        mapping,
        row,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let code = match r.get(Field::Code).map(|s| AreaCode::parse(&s)) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            r.error(Field::Code, "invalid_area_code", e.to_string());
            None
        }
        None => {
            r.error(Field::Code, "required", "the code is empty");
            None
        }
    };
    let name = r.get(Field::Name).unwrap_or_default();
    if name.is_empty() {
        r.error(Field::Name, "required", "the name is empty");
    }
    if let (Some(c), Some(k)) = (&code, r.get(Field::Kind)) {
        match k.parse::<AreaKind>() {
            Ok(kind) if kind == c.kind() => {}
            Ok(kind) => r.error(
                Field::Kind,
                "kind_mismatch",
                format!(
                    "{c} has the shape of a {} code, but the row says {}",
                    c.kind().as_str(),
                    kind.as_str()
                ),
            ),
            Err(e) => r.error(Field::Kind, "invalid_value", e.to_string()),
        }
    }
    let centroid = read_location(&mut r).map(|(p, _, _)| p);
    match code {
        Some(code) if r.errors.is_empty() => Ok(AreaRow {
            row: row.number,
            code,
            name,
            centroid,
        }),
        _ => Err(r.errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(csv: &str) -> Grid {
        read_csv(csv.as_bytes()).unwrap()
    }

    #[test]
    fn headers_in_bahasa_indonesia_map_to_fields() {
        for (h, f) in [
            ("Nama Lengkap", Field::Name),
            ("No. RM", Field::MedicalRecordNo),
            ("NIK", Field::Nik),
            ("No HP", Field::Phone),
            ("Desa/Kelurahan", Field::Village),
            ("Kec.", Field::Kecamatan),
            ("Catatan Diet", Field::DietNotes),
            ("Tgl. Mulai", Field::Start),
            ("Koordinat", Field::Location),
            ("Medical record number", Field::MedicalRecordNo),
        ] {
            assert_eq!(Field::from_header(h), Some(f), "{h}");
        }
        assert_eq!(Field::from_header("No"), None);
    }

    #[test]
    fn the_header_is_found_below_a_title_and_rows_keep_their_line_numbers() {
        let g = grid(
            "DAFTAR PENERIMA RANTANG KASIH;;\n;;\nNo;Nama;NIK;Desa\n1;Siti;3510052003450001;Kemiren\n\n2;Budi;;Olehsari\n",
        );
        let (m, rows) = map_columns(&g, &[], &[Field::Name]).unwrap();
        assert_eq!(m.header_row, 3);
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [4, 6]);
        let p = person_row(&m, &rows[0]).unwrap();
        assert_eq!(p.village, "Kemiren");
        assert_eq!(p.nik.unwrap().last4(), "0001");
    }

    #[test]
    fn overrides_replace_the_guess_and_unknown_ones_are_named() {
        let g = grid("Nama,Nomor Kartu,Desa\nSiti,3510052003450001,Kemiren\n");
        let o = Override::parse("Nomor Kartu=nik").unwrap();
        let (m, rows) = map_columns(&g, &[o], &[Field::Name]).unwrap();
        assert!(person_row(&m, &rows[0]).unwrap().nik.is_some());
        assert!(Override::parse("Nomor Kartu=nomor").is_err());
        let bad = Override::parse("Tidak Ada=nik").unwrap();
        assert!(matches!(
            map_columns(&g, &[bad], &[Field::Name]),
            Err(SheetError::BadOverride(_))
        ));
    }

    #[test]
    fn bad_cells_name_their_column_letter() {
        let g = grid("Nama,NIK,Lat,Lon\nSiti,3.51005E+15,\"-8,2191\",114.3691\n");
        let (m, rows) = map_columns(&g, &[], &[Field::Name]).unwrap();
        let errs = person_row(&m, &rows[0]).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].column, "B");
        assert_eq!(errs[0].code, "nik_precision_lost");
    }

    #[test]
    fn mixed_decimal_separators_read_the_same_point() {
        let g = grid("Nama;Lat;Lon\nA;-8,2191;114.3691\nB;-8.2191;114,3691\n");
        let (m, rows) = map_columns(&g, &[], &[Field::Name]).unwrap();
        let a = person_row(&m, &rows[0]).unwrap().location.unwrap().0;
        let b = person_row(&m, &rows[1]).unwrap().location.unwrap().0;
        assert_eq!(a, b);
    }

    #[test]
    fn meal_times_as_lists_write_them() {
        let one = |s: &str| {
            parse_meal_windows(s)
                .unwrap()
                .iter()
                .map(|m| {
                    format!(
                        "{} {}-{}",
                        m.name,
                        m.window.start.format("%H:%M"),
                        m.window.end.format("%H:%M")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        assert_eq!(one("10:30-12:30"), "siang 10:30-12:30");
        assert_eq!(one("10.30–12.30"), "siang 10:30-12:30");
        assert_eq!(one("10.30 s/d 12.30"), "siang 10:30-12:30");
        assert_eq!(one("7 - 8"), "pagi 07:00-08:00");
        assert_eq!(
            one("06.30-08.00; 11.00-13.00, 17:00-18:30"),
            "pagi 06:30-08:00; siang 11:00-13:00; malam 17:00-18:30"
        );
        assert_eq!(
            one("11-12, 12.30-13.30"),
            "siang 11:00-12:00; siang 2 12:30-13:30"
        );
        for bad in [
            "jam sebelas",
            "12.30-10.30",
            "10:30",
            "25:00-26:00",
            "10:75-11:00",
            "-",
        ] {
            assert!(parse_meal_windows(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_as_lists_write_them() {
        assert_eq!(parse_days("Senin-Jumat").unwrap().names().len(), 5);
        assert_eq!(
            parse_days("Senin, Rabu dan Jumat").unwrap().names(),
            ["mon", "wed", "fri"]
        );
        assert_eq!(parse_days("setiap hari").unwrap(), Weekdays::ALL);
        assert_eq!(
            parse_days("Sabtu s/d Senin").unwrap().names(),
            ["mon", "sat", "sun"]
        );
        assert!(parse_days("kadang").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_read_or_are_refused_without_panicking(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let mut csv = b"Nama;NIK;Lat;Lon;Lokasi;Hari;Mulai;Kode desa\n".to_vec();
            csv.extend(&b);
            if let Ok(g) = read_grid(&csv)
                && let Ok((m, rows)) = map_columns(&g, &[], &[Field::Name])
            {
                for r in rows {
                    let _ = person_row(&m, r);
                    let _ = area_row(&m, r);
                }
            }
            let _ = read_grid(&b);
        }
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
