//! Onboarding from real lists: the village list (Kemendagri codes), recipients and meal
//! enrolments from hospital and Dinas Sosial spreadsheets, with de-duplication of people.
//!
//! Owns: [`ImportOptions`], [`ImportReport`] and the three imports. Rows arrive as bytes and
//! are read by `domain::sheet`; this module resolves village names to codes, recognises people
//! already stored (by NIK, then No. RM, then name + village) and writes everything in one
//! transaction with its audit entries. Must not depend on `api`.
//!
//! Rules worth knowing:
//! - A match by NIK or No. RM updates the stored person; a match by name + village alone is
//!   held for review (two elderly "Siti Aminah" can live in one desa). A row that repeats a
//!   person from an earlier row of the same file is held too: it is never merged silently.
//! - A NIK is stored only as a keyed MAC (for matching) and its last 4 digits (for display).
//!   It never appears in a report, a log line or the audit log.
//! - Without `partial`, one rejected row means nothing is stored; held rows do not block.
//!   A dry run goes through the same steps and rolls back.

use std::collections::HashMap;

use serde_json::json;

use super::{Dispatch, DispatchError, FieldError, Result, require};
use crate::domain::area::{Area, AreaCode, AreaKind, person_key, place_key};
use crate::domain::enrolment::Meal;
use crate::domain::records::{Enrolment, Recipient};
use crate::domain::sheet::{
    self, CellIssue, Field, Mapping, Override, PersonRow, SheetError, column_letter,
};
use crate::domain::{
    EnrolmentId, LocalWindow, Principal, RecipientId, Role, SiteId, SiteKind, Weekdays,
};
use crate::store::areas::{Identity, RecipientKeys};
use crate::store::{self, Tx, audit};

/// How an import runs.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Go through every step, report, and store nothing.
    pub dry_run: bool,
    /// Store the good rows even when some are rejected.
    pub partial: bool,
    /// Column overrides (`No. KTP=nik`).
    pub overrides: Vec<Override>,
    /// Kitchen for enrolment rows without one (site id or name).
    pub kitchen: Option<String>,
}

/// What happened (or, in a dry run, would happen) to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    /// A new record.
    Created,
    /// An existing record was updated.
    Updated,
    /// Not stored: a possible duplicate for a person to review.
    Held,
    /// Not stored: the row is wrong.
    Rejected,
}

impl RowAction {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Held => "held",
            Self::Rejected => "rejected",
        }
    }
}

/// By which key a row was recognised as a stored (or earlier) person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKey {
    /// Same national id.
    Nik,
    /// Same medical record number.
    MedicalRecordNo,
    /// Same normalised name in the same village.
    NameVillage,
}

impl MatchKey {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nik => "nik",
            Self::MedicalRecordNo => "medical_record_no",
            Self::NameVillage => "name_village",
        }
    }
}

/// The person a row was recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowMatch {
    /// Stored recipient (or the one an earlier row creates).
    pub recipient_id: RecipientId,
    /// Its name.
    pub name: String,
    /// Which key matched.
    pub key: MatchKey,
    /// Set when the match is an earlier row of the same file.
    pub earlier_row: Option<usize>,
}

/// One row's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReport {
    /// Row number as the user sees it.
    pub row: usize,
    /// What happened to the person (or area).
    pub action: RowAction,
    /// Recipient created or updated.
    pub recipient_id: Option<RecipientId>,
    /// Area code (village imports) or the person's resolved village code.
    pub code: Option<String>,
    /// The match, when the row was recognised.
    pub matched: Option<RowMatch>,
    /// For enrolment imports: the enrolment and whether it was created or updated.
    pub enrolment: Option<(EnrolmentId, RowAction)>,
    /// Why a row was rejected or held.
    pub issues: Vec<CellIssue>,
    /// Things fixed or left unresolved that do not stop the row.
    pub warnings: Vec<CellIssue>,
}

impl RowReport {
    fn new(row: usize, action: RowAction) -> Self {
        Self {
            row,
            action,
            recipient_id: None,
            code: None,
            matched: None,
            enrolment: None,
            issues: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// A column of the file and the field it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnReport {
    /// Letter.
    pub column: String,
    /// Header text.
    pub header: String,
    /// Field name, or `None` when ignored.
    pub field: Option<&'static str>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// `villages`, `recipients` or `enrolments`.
    pub kind: &'static str,
    /// Nothing was stored because this was a dry run.
    pub dry_run: bool,
    /// The changes were stored.
    pub committed: bool,
    /// Row number of the header.
    pub header_row: usize,
    /// How the columns were read.
    pub columns: Vec<ColumnReport>,
    /// One entry per data row.
    pub rows: Vec<RowReport>,
}

impl ImportReport {
    /// How many rows had an action.
    pub fn count(&self, a: RowAction) -> usize {
        self.rows.iter().filter(|r| r.action == a).count()
    }
}

fn file_error(e: SheetError) -> DispatchError {
    let code = match &e {
        SheetError::Csv { .. } => "invalid_csv",
        SheetError::Xlsx(_) => "invalid_xlsx",
        SheetError::Empty | SheetError::NoRows => "empty_file",
        SheetError::NoHeader(_) => "no_header",
        SheetError::MissingColumn { .. } => "missing_column",
        SheetError::BadOverride(_) => "bad_mapping",
    };
    DispatchError::Invalid(vec![FieldError::new("file", code, e.to_string())])
}

fn columns_report(m: &Mapping) -> Vec<ColumnReport> {
    m.columns
        .iter()
        .filter(|c| !c.header.is_empty() || c.field.is_some())
        .map(|c| ColumnReport {
            column: column_letter(c.index),
            header: c.header.clone(),
            field: c.field.map(Field::as_str),
        })
        .collect()
}

fn row_issue(code: &'static str, field: &'static str, reason: impl Into<String>) -> CellIssue {
    CellIssue {
        column: String::new(),
        header: String::new(),
        field,
        code,
        reason: reason.into(),
    }
}

/// The column a field was read from, for issues raised after reading.
fn issue_at(m: &Mapping, f: Field, code: &'static str, reason: impl Into<String>) -> CellIssue {
    let mut i = row_issue(code, f.as_str(), reason);
    if let Some(c) = m.columns.iter().find(|c| c.field == Some(f)) {
        i.column = column_letter(c.index);
        i.header = c.header.clone();
    }
    i
}

/// Areas by code and desa by name key, for resolving what lists write.
struct Areas {
    by_code: HashMap<String, Area>,
    desa_by_key: HashMap<String, Vec<String>>,
}

impl Areas {
    fn new(list: Vec<Area>) -> Self {
        let mut desa_by_key: HashMap<String, Vec<String>> = HashMap::new();
        for a in list.iter().filter(|a| a.kind == AreaKind::Desa) {
            desa_by_key
                .entry(place_key(&a.name))
                .or_default()
                .push(a.code.to_string());
        }
        Self {
            by_code: list.into_iter().map(|a| (a.code.to_string(), a)).collect(),
            desa_by_key,
        }
    }

    fn parent_name(&self, code: &str) -> Option<&str> {
        let a = self.by_code.get(code)?;
        let p = a.parent_code.as_ref()?;
        self.by_code.get(p.as_str()).map(|p| p.name.as_str())
    }

    /// The desa a name can mean, narrowed by the kecamatan when it names several.
    fn candidates(&self, village: &str, kecamatan: &str) -> Vec<&String> {
        let mut found: Vec<&String> = self
            .desa_by_key
            .get(&place_key(village))
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        if found.len() > 1 && !kecamatan.is_empty() {
            let kec = place_key(kecamatan);
            found.retain(|c| self.parent_name(c).is_some_and(|n| place_key(n) == kec));
        }
        found
    }

    /// Resolve a person row's village to a code: the code column if any, else the name
    /// (narrowed by the kecamatan when the name is ambiguous).
    fn resolve(&self, m: &Mapping, p: &mut PersonRow, rep: &mut RowReport) {
        if let Some(code) = &p.village_code {
            match self.by_code.get(code.as_str()) {
                Some(a) => {
                    if p.village.is_empty() {
                        p.village = a.name.clone();
                    }
                }
                None => rep.issues.push(issue_at(
                    m,
                    Field::VillageCode,
                    "unknown_village_code",
                    format!("no village {code} in the area list; import the villages first"),
                )),
            }
        } else if !p.village.is_empty() && !self.by_code.is_empty() {
            let found = self.candidates(&p.village, &p.kecamatan);
            match found.as_slice() {
                [one] => p.village_code = AreaCode::parse(one).ok(),
                [] => rep.warnings.push(issue_at(
                    m,
                    Field::Village,
                    "unknown_village",
                    format!("no desa/kelurahan named {:?} in the area list", p.village),
                )),
                many => {
                    let list: Vec<String> = many
                        .iter()
                        .map(|c| format!("{c} (Kec. {})", self.parent_name(c).unwrap_or("?")))
                        .collect();
                    rep.warnings.push(issue_at(
                        m,
                        Field::Village,
                        "ambiguous_village",
                        format!(
                            "{:?} names {} villages: {}; add the kecamatan or a village code",
                            p.village,
                            many.len(),
                            list.join(", ")
                        ),
                    ));
                }
            }
        }
        if let Some(code) = &p.village_code
            && p.kecamatan.is_empty()
            && let Some(kec) = self.parent_name(code.as_str())
        {
            p.kecamatan = kec.to_owned();
        }
        rep.code = p.village_code.as_ref().map(ToString::to_string);
    }
}

/// The village code of a recipient saved one at a time: the code given (it must be in the area
/// list), else the only desa whose name (and kecamatan) match, else none (unknown or ambiguous
/// names keep only their text).
pub(super) async fn village_code_for(tx: &mut Tx, r: &Recipient) -> Result<Option<AreaCode>> {
    let areas = Areas::new(store::areas::areas_in(tx).await?);
    if let Some(code) = &r.village_code {
        return match areas.by_code.get(code.as_str()) {
            Some(a) if a.kind == AreaKind::Desa => Ok(Some(code.clone())),
            _ => Err(super::invalid(
                "village_code",
                "unknown_village_code",
                format!("no desa/kelurahan {code} in the area list"),
            )),
        };
    }
    if r.village.trim().is_empty() {
        return Ok(None);
    }
    Ok(
        match areas.candidates(&r.village, &r.kecamatan).as_slice() {
            [one] => AreaCode::parse(one).ok(),
            _ => None,
        },
    )
}

/// A person known to the import: stored before, or created by an earlier row.
struct Known {
    keys: RecipientKeys,
    name_key: String,
    village_key: String,
    rm_key: Option<String>,
    from_row: Option<usize>,
}

impl Known {
    fn new(keys: RecipientKeys, from_row: Option<usize>) -> Self {
        Self {
            name_key: person_key(&keys.name),
            village_key: place_key(&keys.village),
            rm_key: keys.medical_record_no.as_deref().map(rm_key),
            keys,
            from_row,
        }
    }
}

fn rm_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The first known person the row is, by NIK, then No. RM, then name + village. A different
/// NIK on both sides rules a person out for the weaker keys.
fn find_match<'k>(
    known: &'k [Known],
    nik_mac: Option<&str>,
    p: &PersonRow,
) -> Option<(&'k Known, MatchKey)> {
    if let Some(mac) = nik_mac
        && let Some(k) = known
            .iter()
            .find(|k| k.keys.nik_mac.as_deref() == Some(mac))
    {
        return Some((k, MatchKey::Nik));
    }
    let compatible = |k: &Known| match (nik_mac, k.keys.nik_mac.as_deref()) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    if let Some(rm) = p.medical_record_no.as_deref().map(rm_key)
        && !rm.is_empty()
        && let Some(k) = known
            .iter()
            .find(|k| k.rm_key.as_deref() == Some(rm.as_str()))
    {
        // A different national id on both sides is reported as a clash by the caller.
        return Some((k, MatchKey::MedicalRecordNo));
    }
    let name = person_key(&p.name);
    let village = place_key(&p.village);
    let code = p.village_code.as_ref().map(ToString::to_string);
    known
        .iter()
        .find(|k| {
            k.name_key == name
                && compatible(k)
                && match (&code, &k.keys.village_code) {
                    (Some(a), Some(b)) => a == b,
                    _ => !village.is_empty() && k.village_key == village,
                }
        })
        .map(|k| (k, MatchKey::NameVillage))
}

/// What a people row needs beyond the person, for enrolment imports.
struct EnrolRow {
    kitchen: SiteId,
    weekdays: Weekdays,
    /// From a meal-time column; empty keeps the stored meals (or the default lunch).
    meals: Vec<Meal>,
    diet_notes: String,
    start: chrono::NaiveDate,
    end: Option<chrono::NaiveDate>,
}

impl Dispatch {
    /// Import the village list (CSV or XLSX): `kode`, `nama`, optional `jenis`, centroid as
    /// `lat`/`lon` or `lokasi`. A code already stored is updated.
    pub async fn import_villages(
        &self,
        who: &Principal,
        bytes: &[u8],
        opts: &ImportOptions,
    ) -> Result<ImportReport> {
        require(who, &[Role::Admin])?;
        let grid = sheet::read_grid(bytes).map_err(file_error)?;
        let (mapping, rows) =
            sheet::map_columns(&grid, &opts.overrides, &[Field::Code, Field::Name])
                .map_err(file_error)?;
        let mut report = ImportReport {
            kind: "villages",
            dry_run: opts.dry_run,
            committed: false,
            header_row: mapping.header_row,
            columns: columns_report(&mapping),
            rows: Vec::new(),
        };
        let mut tx = self.store.begin().await?;
        let mut seen: HashMap<String, usize> = HashMap::new();
        for row in rows {
            let a = match sheet::area_row(&mapping, row) {
                Ok(a) => a,
                Err(issues) => {
                    let mut r = RowReport::new(row.number, RowAction::Rejected);
                    r.issues = issues;
                    report.rows.push(r);
                    continue;
                }
            };
            let mut r = RowReport::new(row.number, RowAction::Created);
            r.code = Some(a.code.to_string());
            if let Some(first) = seen.insert(a.code.to_string(), row.number) {
                r.action = RowAction::Rejected;
                r.issues.push(issue_at(
                    &mapping,
                    Field::Code,
                    "duplicate_code",
                    format!("{} is already on row {first}", a.code),
                ));
                report.rows.push(r);
                continue;
            }
            let area = Area {
                kind: a.code.kind(),
                parent_code: a.code.parent(),
                code: a.code,
                name: a.name,
                centroid: a.centroid,
            };
            if !store::areas::upsert_area(&mut tx, &area).await? {
                r.action = RowAction::Updated;
            }
            report.rows.push(r);
        }
        let detail = self.summary(&report);
        self.finish(tx, who, "area", &mut report, opts, detail)
            .await?;
        Ok(report)
    }

    /// Areas, optionally of one kind and/or directly under one parent code, by code.
    pub async fn areas(
        &self,
        who: &Principal,
        kind: Option<AreaKind>,
        parent: Option<&str>,
    ) -> Result<Vec<Area>> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        Ok(self
            .store
            .areas()
            .await?
            .into_iter()
            .filter(|a| kind.is_none_or(|k| a.kind == k))
            .filter(|a| {
                parent.is_none_or(|p| a.parent_code.as_ref().is_some_and(|c| c.as_str() == p))
            })
            .collect())
    }

    /// Import recipients (CSV or XLSX) with de-duplication; see the module documentation.
    pub async fn import_recipients(
        &self,
        who: &Principal,
        bytes: &[u8],
        opts: &ImportOptions,
    ) -> Result<ImportReport> {
        self.import_people(who, bytes, opts, false).await
    }

    /// Import meal enrolments (CSV or XLSX): each row is a person (recognised or created as in
    /// [`Dispatch::import_recipients`]) and their enrolment: kitchen (`dapur`), days (`hari`),
    /// meal times (`jam makan`, e.g. `10.30–12.30`; several separated by `,` or `;`; without
    /// one, lunch 10:30–12:30), diet notes, start and end. A person already enrolled has that enrolment updated.
    pub async fn import_enrolments(
        &self,
        who: &Principal,
        bytes: &[u8],
        opts: &ImportOptions,
    ) -> Result<ImportReport> {
        self.import_people(who, bytes, opts, true).await
    }

    async fn import_people(
        &self,
        who: &Principal,
        bytes: &[u8],
        opts: &ImportOptions,
        enrol: bool,
    ) -> Result<ImportReport> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let grid = sheet::read_grid(bytes).map_err(file_error)?;
        let (mapping, rows) =
            sheet::map_columns(&grid, &opts.overrides, &[Field::Name]).map_err(file_error)?;
        let mut report = ImportReport {
            kind: if enrol { "enrolments" } else { "recipients" },
            dry_run: opts.dry_run,
            committed: false,
            header_row: mapping.header_row,
            columns: columns_report(&mapping),
            rows: Vec::new(),
        };
        let kitchens: Vec<(SiteId, String)> = if enrol {
            self.store
                .sites()
                .await?
                .into_iter()
                .filter(|s| s.kind == SiteKind::Kitchen && s.active)
                .map(|s| (s.id, s.name))
                .collect()
        } else {
            Vec::new()
        };
        let today = self.local_date(store::now());
        let mut tx = self.store.begin().await?;
        let areas = Areas::new(store::areas::areas_in(&mut tx).await?);
        let mut known: Vec<Known> = store::areas::recipient_keys_in(&mut tx)
            .await?
            .into_iter()
            .map(|k| Known::new(k, None))
            .collect();
        let service_area = store::sites::service_area_in(&mut tx).await?;
        for row in rows {
            let mut p = match sheet::person_row(&mapping, row) {
                Ok(p) => p,
                Err(issues) => {
                    let mut r = RowReport::new(row.number, RowAction::Rejected);
                    r.issues = issues;
                    report.rows.push(r);
                    continue;
                }
            };
            let mut rep = RowReport::new(row.number, RowAction::Created);
            rep.warnings = std::mem::take(&mut p.warnings);
            areas.resolve(&mapping, &mut p, &mut rep);
            if let (Some((loc, _)), Some(area)) = (&p.location, &service_area)
                && !area.contains(*loc)
            {
                let f = if mapping
                    .columns
                    .iter()
                    .any(|c| c.field == Some(Field::Location))
                {
                    Field::Location
                } else {
                    Field::Lat
                };
                rep.issues.push(issue_at(
                    &mapping,
                    f,
                    "outside_service_area",
                    format!("{loc} is outside the service area"),
                ));
            }
            let enrol_row = if enrol {
                self.enrol_fields(&mapping, &p, &kitchens, opts, today, &mut rep)
            } else {
                None
            };
            if !rep.issues.is_empty() {
                rep.action = RowAction::Rejected;
                report.rows.push(rep);
                continue;
            }
            let nik_mac = p.nik.as_ref().map(|n| {
                self.secrets
                    .mac_hex(format!("nik:{}", n.expose_digits()).as_bytes())
            });
            let matched = find_match(&known, nik_mac.as_deref(), &p).map(|(k, key)| {
                (
                    RowMatch {
                        recipient_id: k.keys.id,
                        name: k.keys.name.clone(),
                        key,
                        earlier_row: k.from_row,
                    },
                    k.keys.nik_mac.clone(),
                )
            });
            let identity = Identity {
                nik: nik_mac
                    .clone()
                    .zip(p.nik.as_ref().map(|n| n.last4().to_owned())),
                medical_record_no: p.medical_record_no.clone(),
                village_code: p.village_code.as_ref().map(ToString::to_string),
            };
            let id = match matched {
                Some((m, stored_mac)) => {
                    let hold = if let Some(first) = m.earlier_row {
                        Some(issue_at(
                            &mapping,
                            Field::Name,
                            "duplicate_in_file",
                            format!(
                                "same person as row {first} (by {}); merge the rows by hand",
                                m.key.as_str()
                            ),
                        ))
                    } else if m.key == MatchKey::NameVillage {
                        Some(issue_at(
                            &mapping,
                            Field::Name,
                            "possible_duplicate",
                            format!(
                                "same name and village as stored recipient {} ({}); check and update it by hand, or give a NIK or No. RM",
                                m.recipient_id, m.name
                            ),
                        ))
                    } else if let (Some(a), Some(b)) = (&nik_mac, &stored_mac)
                        && a != b
                    {
                        Some(issue_at(
                            &mapping,
                            Field::Nik,
                            "nik_conflict",
                            format!(
                                "No. RM matches stored recipient {} ({}) whose NIK differs",
                                m.recipient_id, m.name
                            ),
                        ))
                    } else {
                        None
                    };
                    rep.recipient_id = Some(m.recipient_id);
                    rep.matched = Some(m.clone());
                    if let Some(issue) = hold {
                        rep.action = RowAction::Held;
                        rep.issues.push(issue);
                        report.rows.push(rep);
                        continue;
                    }
                    rep.action = RowAction::Updated;
                    let mut r = store::recipients::recipient_in(&mut tx, m.recipient_id).await?;
                    merge(&mut r, &p);
                    store::recipients::upsert_recipient(&mut tx, &r, false).await?;
                    store::areas::set_identity(&mut tx, r.id, &identity).await?;
                    audit::record(
                        &mut tx,
                        &who.actor(),
                        "update",
                        "recipient",
                        Some(&r.id.to_string()),
                        &json!({"via": "import", "row": row.number, "matched_by": m.key.as_str()}),
                    )
                    .await?;
                    if let Some(k) = known.iter_mut().find(|k| k.keys.id == r.id) {
                        if identity.nik.is_some() {
                            k.keys.nik_mac = nik_mac.clone();
                        }
                        if let Some(rm) = &identity.medical_record_no {
                            k.rm_key = Some(rm_key(rm));
                            k.keys.medical_record_no = Some(rm.clone());
                        }
                        k.from_row = Some(row.number);
                    }
                    r.id
                }
                None => {
                    let r = new_recipient(&p);
                    store::recipients::upsert_recipient(&mut tx, &r, true).await?;
                    store::areas::set_identity(&mut tx, r.id, &identity).await?;
                    audit::record(
                        &mut tx,
                        &who.actor(),
                        "create",
                        "recipient",
                        Some(&r.id.to_string()),
                        &json!({"via": "import", "row": row.number}),
                    )
                    .await?;
                    known.push(Known::new(
                        RecipientKeys {
                            id: r.id,
                            name: r.name.clone(),
                            village: r.village.clone(),
                            village_code: identity.village_code.clone(),
                            nik_mac: nik_mac.clone(),
                            nik_last4: None,
                            medical_record_no: identity.medical_record_no.clone(),
                        },
                        Some(row.number),
                    ));
                    rep.recipient_id = Some(r.id);
                    r.id
                }
            };
            if let Some(e) = enrol_row {
                rep.enrolment = Some(self.save_enrolment(&mut tx, who, id, e, row.number).await?);
            }
            report.rows.push(rep);
        }
        let detail = self.summary(&report);
        self.finish(tx, who, "recipient", &mut report, opts, detail)
            .await?;
        Ok(report)
    }

    fn enrol_fields(
        &self,
        m: &Mapping,
        p: &PersonRow,
        kitchens: &[(SiteId, String)],
        opts: &ImportOptions,
        today: chrono::NaiveDate,
        rep: &mut RowReport,
    ) -> Option<EnrolRow> {
        let wanted = p.kitchen.clone().or_else(|| opts.kitchen.clone());
        let kitchen = match wanted {
            None => {
                rep.issues.push(issue_at(
                    m,
                    Field::Kitchen,
                    "required",
                    "no kitchen: add a dapur column or choose a default kitchen",
                ));
                None
            }
            Some(k) => {
                let key = place_key(&k);
                let by_id = k.parse::<uuid::Uuid>().ok().map(SiteId);
                let found: Vec<SiteId> = kitchens
                    .iter()
                    .filter(|(id, name)| Some(*id) == by_id || place_key(name) == key)
                    .map(|(id, _)| *id)
                    .collect();
                match found.as_slice() {
                    [one] => Some(*one),
                    [] => {
                        rep.issues.push(issue_at(
                            m,
                            Field::Kitchen,
                            "unknown_kitchen",
                            format!("no active kitchen named {k:?}"),
                        ));
                        None
                    }
                    _ => {
                        rep.issues.push(issue_at(
                            m,
                            Field::Kitchen,
                            "ambiguous_kitchen",
                            format!("{k:?} names several kitchens; use the site id"),
                        ));
                        None
                    }
                }
            }
        };
        let start = p.start.unwrap_or(today);
        Some(EnrolRow {
            kitchen: kitchen?,
            weekdays: p.days.unwrap_or(Weekdays::ALL),
            meals: p.meals.clone(),
            diet_notes: p.diet_notes.clone(),
            start,
            end: p.end,
        })
    }

    async fn save_enrolment(
        &self,
        tx: &mut Tx,
        who: &Principal,
        recipient: RecipientId,
        e: EnrolRow,
        row: usize,
    ) -> Result<(EnrolmentId, RowAction)> {
        let running = self
            .store
            .enrolments(Some(recipient), 100, 0)
            .await?
            .into_iter()
            .find(|x| x.ended_reason.is_none() && x.end_date.is_none_or(|d| d >= e.start));
        let (en, action) = match running {
            Some(mut x) => {
                x.kitchen_id = e.kitchen;
                x.weekdays = e.weekdays;
                if !e.meals.is_empty() {
                    x.meals = e.meals;
                }
                x.diet_notes = e.diet_notes;
                x.end_date = e.end.or(x.end_date);
                store::enrolments::update_enrolment(tx, &x).await?;
                (x, RowAction::Updated)
            }
            None => {
                let window = LocalWindow::new(
                    chrono::NaiveTime::from_hms_opt(10, 30, 0).unwrap_or_default(),
                    chrono::NaiveTime::from_hms_opt(12, 30, 0).unwrap_or_default(),
                )
                .map_err(|err| DispatchError::Internal(err.to_string()))?;
                let x = Enrolment {
                    id: EnrolmentId::new(),
                    recipient_id: recipient,
                    kitchen_id: e.kitchen,
                    weekdays: e.weekdays,
                    meals: if e.meals.is_empty() {
                        vec![Meal {
                            name: "siang".into(),
                            window,
                        }]
                    } else {
                        e.meals
                    },
                    diet_notes: e.diet_notes,
                    start_date: e.start,
                    end_date: e.end,
                    ended_reason: None,
                    pauses: Vec::new(),
                };
                store::enrolments::insert_enrolment(tx, &x).await?;
                (x, RowAction::Created)
            }
        };
        audit::record(
            tx,
            &who.actor(),
            if action == RowAction::Created {
                "create"
            } else {
                "update"
            },
            "enrolment",
            Some(&en.id.to_string()),
            &json!({"via": "import", "row": row}),
        )
        .await?;
        Ok((en.id, action))
    }

    fn summary(&self, r: &ImportReport) -> serde_json::Value {
        json!({
            "import": r.kind,
            "dry_run": r.dry_run,
            "rows": r.rows.len(),
            "created": r.count(RowAction::Created),
            "updated": r.count(RowAction::Updated),
            "held": r.count(RowAction::Held),
            "rejected": r.count(RowAction::Rejected),
        })
    }

    /// Commit, or roll back (dry run, or a rejected row without `partial`); audit either way.
    async fn finish(
        &self,
        mut tx: Tx,
        who: &Principal,
        entity: &str,
        report: &mut ImportReport,
        opts: &ImportOptions,
        detail: serde_json::Value,
    ) -> Result<()> {
        let rejected = report.count(RowAction::Rejected) > 0;
        if opts.dry_run || (rejected && !opts.partial) {
            tx.rollback().await?;
            // The attempt (and, for a dry run, the matches it showed) is still on record.
            let mut tx = self.store.begin().await?;
            audit::record(
                &mut tx,
                &who.actor(),
                "import_not_stored",
                entity,
                None,
                &detail,
            )
            .await?;
            tx.commit().await?;
            report.committed = false;
        } else {
            audit::record(&mut tx, &who.actor(), "import", entity, None, &detail).await?;
            tx.commit().await?;
            report.committed = true;
        }
        Ok(())
    }
}

fn new_recipient(p: &PersonRow) -> Recipient {
    Recipient {
        id: RecipientId::new(),
        name: p.name.clone(),
        phone: p.phone.clone(),
        address: p.address.clone(),
        landmark: p.landmark.clone(),
        location: p.location.as_ref().map(|(l, _)| *l),
        location_source: p.location.as_ref().map(|(_, s)| s.clone()),
        location_precision_m: p.location.as_ref().and(p.location_precision_m),
        village: p.village.clone(),
        kecamatan: p.kecamatan.clone(),
        notes: p.notes.clone(),
        village_code: p.village_code.clone(),
        nik_last4: p.nik.as_ref().map(|n| n.last4().to_owned()),
        medical_record_no: p.medical_record_no.clone(),
    }
}

/// A list row updates what it says; empty cells keep what is stored.
fn merge(r: &mut Recipient, p: &PersonRow) {
    r.name = p.name.clone();
    if p.phone.is_some() {
        r.phone = p.phone.clone();
    }
    let keep = |stored: &mut String, new: &str| {
        if !new.is_empty() {
            *stored = new.to_owned();
        }
    };
    keep(&mut r.address, &p.address);
    keep(&mut r.landmark, &p.landmark);
    keep(&mut r.village, &p.village);
    keep(&mut r.kecamatan, &p.kecamatan);
    keep(&mut r.notes, &p.notes);
    if let Some((l, s)) = &p.location {
        r.location = Some(*l);
        r.location_source = Some(s.clone());
        r.location_precision_m = p
            .location_precision_m
            .or(Some(crate::domain::location::typical_precision_m(s)));
    }
}

/// What a village typed into a form (a Kemendagri code or a name) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VillageLookup {
    /// Nothing typed.
    Empty,
    /// One desa/kelurahan: its code, name and kecamatan name.
    Found {
        /// Code.
        code: AreaCode,
        /// Desa name as listed.
        name: String,
        /// Kecamatan name, when listed.
        kecamatan: String,
    },
    /// A name that several desa carry, each as "code (Kec. name)": the kecamatan or the code
    /// must say which.
    Ambiguous(Vec<String>),
    /// A name not in the area list (kept as text; reports cannot group it by code).
    Unknown,
    /// A code that is not a desa/kelurahan in the area list.
    UnknownCode(String),
}

impl Dispatch {
    /// Resolve a village typed as a code or a name (narrowed by the kecamatan), with the same
    /// rules as the imports, so a form can say "this name means three villages" before saving.
    pub async fn lookup_village(
        &self,
        who: &Principal,
        village: &str,
        kecamatan: &str,
    ) -> Result<VillageLookup> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let village = village.trim();
        if village.is_empty() {
            return Ok(VillageLookup::Empty);
        }
        let areas = Areas::new(self.store.areas().await?);
        let found = |code: &str| -> Option<VillageLookup> {
            let a = areas
                .by_code
                .get(code)
                .filter(|a| a.kind == AreaKind::Desa)?;
            Some(VillageLookup::Found {
                code: a.code.clone(),
                name: a.name.clone(),
                kecamatan: areas.parent_name(code).unwrap_or_default().to_owned(),
            })
        };
        if village.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return Ok(match AreaCode::parse(village) {
                Ok(code) => found(code.as_str())
                    .unwrap_or_else(|| VillageLookup::UnknownCode(code.to_string())),
                Err(_) => VillageLookup::UnknownCode(village.to_owned()),
            });
        }
        Ok(
            match areas.candidates(village, kecamatan.trim()).as_slice() {
                [] => VillageLookup::Unknown,
                [one] => found(one).unwrap_or(VillageLookup::Unknown),
                many => VillageLookup::Ambiguous(
                    many.iter()
                        .map(|c| format!("{c} (Kec. {})", areas.parent_name(c).unwrap_or("?")))
                        .collect(),
                ),
            },
        )
    }
}
