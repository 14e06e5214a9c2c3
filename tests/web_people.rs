//! The recipients, enrolments, upload and pharmacy-order pages over real HTTP on loopback, on
//! SQLite and PostgreSQL: forms create, edit, pause and resume; an upload's dry run changes
//! nothing and its import creates; bad files get per-row errors; access by role and site; CSRF
//! on plain and multipart forms; and an upload through the page in headless Chromium.

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "api/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "web_support.rs"]
mod web_support;

use antar::store::areas::Table;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::{Value, json};
use support::{TestApp, body};
use web_support::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

fn fixture_path(name: &str) -> String {
    format!("{}/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"))
}

async fn villages(app: &TestApp) {
    let r = app
        .req(
            reqwest::Method::POST,
            "/api/v1/areas/import",
            Some(&app.admin),
        )
        .header("content-type", "text/csv")
        .body(fixture("wilayah_banyuwangi.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

async fn count(app: &TestApp, t: Table) -> i64 {
    app.dispatch.store().count(t).await.unwrap()
}

async fn orders(app: &TestApp) -> usize {
    app.dispatch
        .store()
        .orders(&antar::store::orders::OrderFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

async fn signed_in(app: &TestApp, login: &str, role: &str, site: Option<&str>) -> Browser {
    user(app, login, role, site).await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login(login, PASSWORD).await.status, 303);
    b
}

/// The CSRF token of the session (every form of a page carries the same one).
async fn token(b: &mut Browser, page: &str) -> String {
    let p = b.get(page).await;
    assert_eq!(p.status, 200, "{}", p.text);
    csrf_of(&p.text)
}

/// A `multipart/form-data` POST of text fields and one file, as a browser sends the form.
async fn upload(b: &mut Browser, fields: &[(&str, &str)], file: Option<(&str, Vec<u8>)>) -> Page {
    let boundary = "----antarWebTest7f3a";
    let mut bytes = Vec::new();
    for (k, v) in fields {
        bytes.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, data)) = file {
        bytes.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        bytes.extend_from_slice(&data);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = b
        .client
        .post(format!("{}/upload", b.base))
        .header(COOKIE, b.cookie_header())
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(bytes)
        .send()
        .await
        .unwrap();
    b.finish(r).await
}

/// The id in a `/recipients/{id}?saved=1` redirect.
fn recipient_of(p: &Page) -> String {
    let loc = p.location.as_deref().expect("a redirect");
    loc.trim_start_matches("/recipients/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// The text of the count cell of an outcome in the report.
fn count_cell(html: &str, action: &str) -> String {
    let marker = format!("data-count=\"{action}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{action} in {html}"))
        + marker.len();
    html[at..].split('<').next().unwrap().to_owned()
}

async fn recipient_api(app: &TestApp, name: &str, extra: Value) -> String {
    let mut body_json = json!({"name": name, "village": "Kemiren", "kecamatan": "Glagah"});
    for (k, v) in extra.as_object().unwrap() {
        body_json[k] = v.clone();
    }
    let r = app.post("/api/v1/recipients", &app.admin, &body_json).await;
    assert_eq!(r.status(), 201);
    body(r).await["id"].as_str().unwrap().to_owned()
}

on_both_backends! {
async fn staff_create_edit_and_search_recipients_through_the_form(app) {
    villages(&app).await;
    let mut b = signed_in(&app, "sari", "social_worker", None).await;
    let csrf = token(&mut b, "/recipients/new").await;

    // Refused: a bad phone, an unreadable location and a village name two kecamatan share.
    // The errors stand beside their fields and nothing is stored.
    let bad = b.post("/recipients/new", &[("_csrf", &csrf), ("name", "Mbah Sumo"),
        ("phone", "12345"), ("location", "Jl. Melati 3, 4"), ("village", "Banjarsari")]).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("id=\"phone-err\""), "{}", bad.text);
    assert!(bad.text.contains("id=\"location-err\""));
    assert!(bad.text.contains("id=\"village-err\""));
    assert!(bad.text.contains("35.10.05.2005 (Kec. Glagah)") && bad.text.contains("35.10.07.2006 (Kec. Kalipuro)"),
        "the ambiguity names both villages: {}", bad.text);
    assert!(bad.text.contains("value=\"Mbah Sumo\""), "the form keeps what was typed");
    assert_eq!(count(&app, Table::Recipients).await, 0);

    // Accepted: the phone normalised, the village resolved to its code, the pin kept with
    // its source and precision.
    let ok = b.post("/recipients/new", &[("_csrf", &csrf), ("name", "Mbah Sumo"),
        ("phone", "0812-3456-7890"), ("location", "-8.2093, 114.3367"),
        ("village", "Banjarsari"), ("kecamatan", "Kalipuro"), ("landmark", "depan langgar")]).await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let id = recipient_of(&ok);
    let stored = body(app.get(&format!("/api/v1/recipients/{id}"), &app.admin).await).await;
    assert_eq!(stored["phone"], "+6281234567890");
    assert_eq!(stored["village_code"], "35.10.07.2006");
    assert_eq!(stored["location_source"], "pin");
    assert!(stored["location_precision_m"].as_f64().unwrap() <= 10.0, "{stored}");
    let page = b.get(&format!("/recipients/{id}?saved=1")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Tersimpan."));
    assert!(page.text.contains("id=\"location-source\">koordinat<"), "{}", page.text);
    assert!(page.text.contains("id=\"location-precision\">± "));

    // Edited: the location as a map link; the landmark cleared.
    let edit = b.post(&format!("/recipients/{id}"), &[("_csrf", &csrf), ("name", "Mbah Sumo"),
        ("phone", "+62 812 3456 7890"), ("location", "https://www.google.com/maps/@-8.2101,114.3350,17z"),
        ("village", "35.10.07.2006"), ("landmark", "")]).await;
    assert_eq!(edit.status, 303, "{}", edit.text);
    let stored = body(app.get(&format!("/api/v1/recipients/{id}"), &app.admin).await).await;
    assert_eq!(stored["location_source"], "link");
    assert_eq!(stored["location"], json!({"lat": -8.2101, "lon": 114.335}));
    assert_eq!(stored["landmark"], "");
    assert_eq!(stored["village"], "Banjarsari");
    // Saving again without touching the location keeps its source.
    let page = b.get(&format!("/recipients/{id}")).await;
    assert!(page.text.contains("id=\"location-source\">tautan peta<"));
    let same = b.post(&format!("/recipients/{id}"), &[("_csrf", &csrf), ("name", "Mbah Sumo Wiryo"),
        ("location", "-8.210100, 114.335000"), ("village", "35.10.07.2006")]).await;
    assert_eq!(same.status, 303);
    let stored = body(app.get(&format!("/api/v1/recipients/{id}"), &app.admin).await).await;
    assert_eq!((stored["name"].as_str(), stored["location_source"].as_str()), (Some("Mbah Sumo Wiryo"), Some("link")));

    // Search by name, by phone as people type it, and by village.
    recipient_api(&app, "Bu Warsini", json!({"phone": "0813-1111-2222"})).await;
    let by_name = b.get("/recipients?q=sumo").await;
    assert!(by_name.text.contains("Mbah Sumo Wiryo") && !by_name.text.contains("Bu Warsini"));
    let by_phone = b.get("/recipients?q=0813-1111").await;
    assert!(by_phone.text.contains("Bu Warsini") && !by_phone.text.contains("Mbah Sumo"), "{}", by_phone.text);
    let by_village = b.get("/recipients?village=Kemiren").await;
    assert!(by_village.text.contains("Bu Warsini") && !by_village.text.contains("Mbah Sumo"));
    let none = b.get("/recipients?q=tidak-ada").await;
    assert!(none.text.contains("Tidak ada penerima yang cocok."));

    // Every read of the person by staff is on the audit log.
    let audit = body(app.get("/api/v1/admin/audit?entity=recipient", &app.admin).await).await;
    let reads = audit.as_array().unwrap().iter()
        .filter(|e| e["action"] == "read" && e["actor"] == "social_worker:sari" && e["entity_id"] == id.as_str())
        .count();
    assert!(reads >= 3, "{audit}");
}

async fn a_person_with_only_a_village_gets_its_centre_as_a_suggestion_to_confirm(app) {
    villages(&app).await;
    let mut b = signed_in(&app, "sari", "social_worker", None).await;
    let id = recipient_api(&app, "Mbah Painah", json!({"village": "Olehsari"})).await;
    let page = b.get(&format!("/recipients/{id}")).await;
    assert!(page.text.contains("id=\"centroid\""), "{}", page.text);
    assert!(page.text.contains("-8.202100, 114.328100"));
    assert!(page.text.contains("± 2.0 km"));
    // Not stored until confirmed.
    let stored = body(app.get(&format!("/api/v1/recipients/{id}"), &app.admin).await).await;
    assert!(stored["location"].is_null());
    let csrf = csrf_of(&page.text);
    let r = b.post(&format!("/recipients/{id}/use-centroid"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, 303);
    let stored = body(app.get(&format!("/api/v1/recipients/{id}"), &app.admin).await).await;
    assert_eq!(stored["location_source"], "village_centroid");
    assert_eq!(stored["location_precision_m"], 2000.0);
    let page = b.get(&format!("/recipients/{id}")).await;
    assert!(!page.text.contains("id=\"centroid\""));
    assert!(page.text.contains("titik tengah desa"));
    // A second confirmation is refused beside the form; nothing changes.
    let again = b.post(&format!("/recipients/{id}/use-centroid"), &[("_csrf", &csrf)]).await;
    assert_eq!(again.status, 422);
}

async fn staff_enrol_pause_and_resume_through_forms(app) {
    let kitchen = app.site("kitchen", "Warung Bu Sri", -8.21, 114.37).await;
    let mut b = signed_in(&app, "sari", "social_worker", None).await;
    let rid = recipient_api(&app, "Mbah Karto", json!({"location": {"lat": -8.2093, "lon": 114.3367}})).await;
    let page = b.get(&format!("/enrolments/new?recipient={rid}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Warung Bu Sri"));
    let csrf = csrf_of(&page.text);

    let base = |extra: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, String)> = vec![("recipient", rid.clone()), ("kitchen", kitchen.clone()),
            ("day_mon", "1".into()), ("day_wed", "1".into()), ("meal1_name", "siang".into()),
            ("meal1_start", "10:30".into()), ("meal1_end", "12:30".into()), ("start_date", "2026-12-01".into()),
            ("diet_notes", "rendah garam".into())];
        f.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        f
    };
    let send = |f: Vec<(&'static str, String)>, csrf: String| {
        let mut fields: Vec<(&str, String)> = f;
        fields.push(("_csrf", csrf));
        fields
    };
    // A second meal whose window ends before it starts is refused beside its field.
    let fields = send(base(&[("meal2_name", "sore"), ("meal2_start", "17:00"), ("meal2_end", "16:00")]), csrf.clone());
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bad = b.post("/enrolments/new", &pairs).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("id=\"meal2_end-err\""), "{}", bad.text);
    assert_eq!(count(&app, Table::Enrolments).await, 0);

    let fields = send(base(&[("meal2_name", "sore"), ("meal2_start", "16:00"), ("meal2_end", "17:30")]), csrf.clone());
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let ok = b.post("/enrolments/new", &pairs).await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let list = body(app.get(&format!("/api/v1/enrolments?recipient_id={rid}"), &app.admin).await).await;
    let e = &list[0];
    assert_eq!(e["weekdays"], json!(["mon", "wed"]));
    assert_eq!(e["meals"], json!([{"name": "siang", "window_start": "10:30", "window_end": "12:30"},
                                  {"name": "sore", "window_start": "16:00", "window_end": "17:30"}]));
    assert_eq!(e["diet_notes"], "rendah garam");
    let eid = e["id"].as_str().unwrap().to_owned();

    // Pause with an end before its start: refused beside the enrolment, nothing stored.
    let bad = b.post(&format!("/enrolments/{eid}/pause"), &[("_csrf", &csrf), ("from", "2026-12-10"),
        ("until", "2026-12-05"), ("reason", "hospitalised")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains(&format!("id=\"until-{eid}-err\"")) || bad.text.contains("until: "), "{}", bad.text);
    let e = body(app.get(&format!("/api/v1/enrolments/{eid}"), &app.admin).await).await;
    assert_eq!(e["pauses"], json!([]));

    let r = b.post(&format!("/enrolments/{eid}/pause"), &[("_csrf", &csrf), ("from", "2026-12-07"),
        ("reason", "hospitalised"), ("note", "RSUD Blambangan")]).await;
    assert_eq!(r.status, 303);
    let e = body(app.get(&format!("/api/v1/enrolments/{eid}"), &app.admin).await).await;
    assert_eq!(e["pauses"][0]["reason"], "hospitalised");
    assert_eq!(e["pauses"][0]["from"], "2026-12-07");
    let page = b.get(&format!("/recipients/{rid}")).await;
    assert!(page.text.contains("dirawat di rumah sakit"), "{}", page.text);

    let r = b.post(&format!("/enrolments/{eid}/resume"), &[("_csrf", &csrf), ("on", "2026-12-14")]).await;
    assert_eq!(r.status, 303);
    let e = body(app.get(&format!("/api/v1/enrolments/{eid}"), &app.admin).await).await;
    assert_eq!(e["pauses"][0]["until"], "2026-12-13");
    // Resume on a day no pause covers: the use case's refusal is shown, nothing changes.
    let r = b.post(&format!("/enrolments/{eid}/resume"), &[("_csrf", &csrf), ("on", "2026-12-16")]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("tidak ada jeda"));
    let e = body(app.get(&format!("/api/v1/enrolments/{eid}"), &app.admin).await).await;
    assert_eq!(e["pauses"][0]["until"], "2026-12-13");

    // A death ends the enrolment the day before.
    let r = b.post(&format!("/enrolments/{eid}/pause"), &[("_csrf", &csrf), ("from", "2026-12-20"), ("reason", "died")]).await;
    assert_eq!(r.status, 303);
    let e = body(app.get(&format!("/api/v1/enrolments/{eid}"), &app.admin).await).await;
    assert_eq!((e["ended_reason"].as_str(), e["end_date"].as_str()), (Some("died"), Some("2026-12-19")));
    let page = b.get(&format!("/recipients/{rid}")).await;
    assert!(page.text.contains("berakhir: "));
    assert!(!page.text.contains(&format!("/enrolments/{eid}/pause")), "no pause form on an ended enrolment");
}

async fn an_upload_dry_run_changes_nothing_and_the_import_creates(app) {
    villages(&app).await;
    let mut b = signed_in(&app, "sari", "social_worker", None).await;
    let csrf = token(&mut b, "/upload").await;
    let file = || Some(("simrs.csv", fixture("simrs_rsud_blambangan.csv")));

    let check = upload(&mut b, &[("_csrf", &csrf), ("kind", "recipients"), ("partial", "1"), ("action", "check")], file()).await;
    assert_eq!(check.status, 200, "{}", check.text);
    assert!(check.text.contains("Pemeriksaan saja: tidak ada yang disimpan."));
    assert_eq!(count_cell(&check.text, "created"), "4");
    assert_eq!(count_cell(&check.text, "held"), "1");
    assert_eq!(count_cell(&check.text, "rejected"), "1");
    assert!(check.text.contains("akan dibuat"));
    // Row 10 repeats row 4: held, said in Indonesian before the detail.
    assert!(check.text.contains("<td>10</td><td>B (Nama Pasien)</td><td>ditahan untuk diperiksa</td><td><strong>orang yang sama dengan baris sebelumnya"), "{}", check.text);
    // Row 6's NIK written by Excel as 3.51005E+15 is refused, naming the column.
    assert!(check.text.contains("<td>6</td><td>C (NIK)</td><td>ditolak</td>"), "{}", check.text);
    assert_eq!(count(&app, Table::Recipients).await, 0);

    // Without partial import a rejected row stores nothing.
    let all = upload(&mut b, &[("_csrf", &csrf), ("kind", "recipients"), ("action", "import")], file()).await;
    assert_eq!(all.status, 422);
    assert!(all.text.contains("Tidak ada yang disimpan"));
    assert_eq!(count(&app, Table::Recipients).await, 0);

    let partial = upload(&mut b, &[("_csrf", &csrf), ("kind", "recipients"), ("partial", "1"), ("action", "import")], file()).await;
    assert_eq!(partial.status, 200, "{}", partial.text);
    assert!(partial.text.contains("Tersimpan."));
    assert_eq!(count_cell(&partial.text, "created"), "4");
    assert!(partial.text.contains("<td>dibuat</td>"));
    assert_eq!(count(&app, Table::Recipients).await, 4);
}

async fn a_bad_file_gets_per_row_errors_or_an_error_beside_the_file_input(app) {
    app.site("kitchen", "Warung Bu Sri", -8.21, 114.37).await;
    let mut b = signed_in(&app, "sari", "social_worker", None).await;
    let csrf = token(&mut b, "/upload").await;
    // Not a table at all: the file's error beside the input.
    let r = upload(&mut b, &[("_csrf", &csrf), ("kind", "recipients"), ("action", "import")],
        Some(("kosong.csv", b"hanya teks tanpa kolom".to_vec()))).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("id=\"file-err\""), "{}", r.text);
    // No file chosen.
    let r = upload(&mut b, &[("_csrf", &csrf), ("kind", "recipients"), ("action", "import")], None).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("Pilih berkas CSV atau XLSX."));
    // A bad column mapping beside its field.
    let r = upload(&mut b, &[("_csrf", &csrf), ("kind", "recipients"), ("map", "Nomor Kartu=bukan_kolom"), ("action", "check")],
        Some(("a.csv", b"Nama,Nomor Kartu\nSiti,1\n".to_vec()))).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"map-err\""), "{}", r.text);
    // Enrolment rows with a bad day and an unknown kitchen: one line per problem, with its column.
    let csv = "Nama,Desa,Dapur,Hari,Jam Makan\nMbah Karto,Kemiren,Warung Bu Sri,Senin-Jumat,10.30-12.30\n\
               Mbok Tinah,Olehsari,Warung Bu Sri,Kadang-kadang,10.30-12.30\nPak Slamet,Kemiren,Dapur Entah,Senin,11:00-13:00\n\
               Bu Sarni,Kemiren,Warung Bu Sri,Senin,jam sebelas\n";
    let r = upload(&mut b, &[("_csrf", &csrf), ("kind", "enrolments"), ("action", "import")],
        Some(("rantang.csv", csv.as_bytes().to_vec()))).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("<td>3</td><td>D (Hari)</td><td>ditolak</td>"), "{}", r.text);
    assert!(r.text.contains("<td>4</td><td>C (Dapur)</td><td>ditolak</td>"));
    assert!(r.text.contains("<td>5</td><td>E (Jam Makan)</td><td>ditolak</td>"));
    assert_eq!(count(&app, Table::Recipients).await, 0);
    assert_eq!(count(&app, Table::Enrolments).await, 0);

    // The upload routes take more than the pages' 64 KB, up to 5 MB.
    let big = format!("Nama,Catatan\n{}", "Siti,catatan panjang sekali untuk mengisi berkas\n".repeat(3000));
    assert!(big.len() > 100_000);
    let r = upload(&mut b, &[("_csrf", &csrf), ("kind", "recipients"), ("action", "check")], Some(("besar.csv", big.into_bytes()))).await;
    assert_eq!(r.status, 200, "a 150 KB list is read");
    let huge = vec![b'x'; 6 * 1024 * 1024];
    let r = upload(&mut b, &[("_csrf", &csrf), ("kind", "recipients"), ("action", "check")], Some(("besar.csv", huge))).await;
    assert_eq!(r.status, 413);
    assert!(r.text.contains("paling besar 5 MB"));
}

async fn pages_follow_the_roles_and_sites_of_the_use_cases(app) {
    let rsud = app.site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691).await;
    let other = app.site("pharmacy", "RSUD Genteng", -8.36, 114.15).await;
    let mut apt = signed_in(&app, "apoteker", "pharmacist", Some(&rsud)).await;
    let rid = recipient_api(&app, "Mbah Karto", json!({})).await;
    for path in ["/recipients", "/recipients/new", &format!("/recipients/{rid}"), &format!("/enrolments/new?recipient={rid}")] {
        assert_eq!(apt.get(path).await.status, 403, "{path}");
    }
    // The upload page offers a pharmacist prescriptions only, and refuses other lists.
    let page = apt.get("/upload").await;
    assert!(page.text.contains("value=\"prescriptions\"") && !page.text.contains("value=\"recipients\""));
    let csrf = csrf_of(&page.text);
    let r = upload(&mut apt, &[("_csrf", &csrf), ("kind", "recipients"), ("action", "import")],
        Some(("a.csv", b"Nama\nSiti\n".to_vec()))).await;
    assert_eq!(r.status, 403);
    assert_eq!(count(&app, Table::Recipients).await, 1);
    // Prescriptions of another pharmacy are refused per row; the own site's are stored.
    let csv = format!("site_id,patient_name,parcels,ready_at,deliver_by,lat,lon\n\
        {rsud},Bapak Slamet,1,2031-03-03T08:00:00+07:00,2031-03-03T12:00:00+07:00,-8.2191,114.3691\n\
        {other},Ibu Sumi,1,2031-03-03T08:00:00+07:00,2031-03-03T12:00:00+07:00,-8.2191,114.3691\n");
    let r = upload(&mut apt, &[("_csrf", &csrf), ("kind", "prescriptions"), ("partial", "1"), ("action", "check")],
        Some(("resep.csv", csv.clone().into_bytes()))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("<td>3</td><td>site_id</td><td>ditolak</td>"), "{}", r.text);
    assert_eq!(orders(&app).await, 0, "a dry run stores no prescription");
    let r = upload(&mut apt, &[("_csrf", &csrf), ("kind", "prescriptions"), ("partial", "1"), ("action", "import")],
        Some(("resep.csv", csv.into_bytes()))).await;
    assert_eq!(r.status, 200);
    assert_eq!(count_cell(&r.text, "created"), "1");
    assert_eq!(orders(&app).await, 1);

    // Prescriptions come as CSV only.
    let r = upload(&mut apt, &[("_csrf", &csrf), ("kind", "prescriptions"), ("action", "check")],
        Some(("resep.xlsx", fixture("dinsos_rantang_kasih.xlsx")))).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"file-err\"") && r.text.contains("CSV"), "{}", r.text);

    // A social worker uploads people lists but not prescriptions or villages.
    let mut sari = signed_in(&app, "sari", "social_worker", None).await;
    let page = sari.get("/upload").await;
    assert!(page.text.contains("value=\"enrolments\"") && !page.text.contains("value=\"villages\""));
    let csrf = csrf_of(&page.text);
    let r = upload(&mut sari, &[("_csrf", &csrf), ("kind", "villages"), ("action", "import")],
        Some(("w.csv", fixture("wilayah_banyuwangi.csv")))).await;
    assert_eq!(r.status, 403);
    let r = upload(&mut sari, &[("_csrf", &csrf), ("kind", "prescriptions"), ("action", "check")],
        Some(("resep.xlsx", fixture("dinsos_rantang_kasih.xlsx")))).await;
    assert_eq!(r.status, 403);
    assert_eq!(count(&app, Table::Areas).await, 0);

    // A pharmacist sees the own site's order page only.
    let r = app.post("/api/v1/prescriptions", &app.admin, &{
        let mut p = support::prescription("Ibu Sumi");
        p["site_id"] = json!(other);
        p
    }).await;
    let foreign = body(r).await["id"].as_str().unwrap().to_owned();
    assert_eq!(apt.get(&format!("/pharmacy/orders/{foreign}")).await.status, 404);
    assert_eq!(apt.get("/pharmacy/orders/bukan-id").await.status, 404);
}

async fn forms_without_the_session_token_are_refused_and_change_nothing(app) {
    let kitchen = app.site("kitchen", "Warung Bu Sri", -8.21, 114.37).await;
    let mut b = signed_in(&app, "sari", "social_worker", None).await;
    let rid = recipient_api(&app, "Mbah Karto", json!({})).await;
    let r = b.post("/recipients/new", &[("name", "Tanpa Token")]).await;
    assert_eq!(r.status, 403);
    let r = b.post(&format!("/recipients/{rid}"), &[("_csrf", "palsu"), ("name", "Diubah")]).await;
    assert_eq!(r.status, 403);
    let stored = body(app.get(&format!("/api/v1/recipients/{rid}"), &app.admin).await).await;
    assert_eq!(stored["name"], "Mbah Karto");
    let r = b.post("/enrolments/new", &[("recipient", &rid), ("kitchen", &kitchen), ("day_mon", "1"),
        ("meal1_name", "siang"), ("meal1_start", "10:30"), ("meal1_end", "12:30"), ("start_date", "2026-12-01")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(count(&app, Table::Enrolments).await, 0);
    // Multipart: the token is a hidden field of the form.
    let r = upload(&mut b, &[("kind", "recipients"), ("action", "import")], Some(("a.csv", b"Nama\nSiti\n".to_vec()))).await;
    assert_eq!(r.status, 403);
    let r = upload(&mut b, &[("_csrf", "palsu"), ("kind", "recipients"), ("action", "import")], Some(("a.csv", b"Nama\nSiti\n".to_vec()))).await;
    assert_eq!(r.status, 403);
    assert_eq!(count(&app, Table::Recipients).await, 1);
    let r = b.post(&format!("/recipients/{rid}/use-centroid"), &[]).await;
    assert_eq!(r.status, 403);
}

async fn the_pharmacy_sees_an_order_with_its_history_in_local_time(app) {
    let rsud = app.site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691).await;
    let token = app.token("pharmacist", Some(&rsud)).await;
    let r = app.post("/api/v1/prescriptions", &token, &support::prescription("Bapak Slamet")).await;
    assert_eq!(r.status(), 201);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let r = app.post(&format!("/api/v1/prescriptions/{id}/cancel"), &token, &json!({"reason": "pasien dirawat inap"})).await;
    assert_eq!(r.status(), 200);
    let mut b = signed_in(&app, "apoteker", "pharmacist", Some(&rsud)).await;
    let list = b.get("/pharmacy?date=2031-03-03").await;
    assert!(list.text.contains(&format!("href=\"/pharmacy/orders/{id}\"")), "{}", list.text);
    let page = b.get(&format!("/pharmacy/orders/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("id=\"history\""));
    assert!(page.text.contains("dibatalkan") && page.text.contains("pasien dirawat inap"), "{}", page.text);
    // ready_at 01:00 UTC is 08:00 in Banyuwangi (WIB).
    assert!(page.text.contains("2031-03-03 08:00 – 2031-03-03 12:00"), "{}", page.text);
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Jakarta).format("%Y-%m-%d").to_string();
    assert!(page.text.contains(&format!(">{today} ")), "the history's times are local: {}", page.text);
    let en = b.get(&format!("/pharmacy/orders/{id}?lang=en")).await;
    assert!(en.text.contains("History") && en.text.contains("cancelled"));
}
}

#[tokio::test]
async fn staff_upload_a_csv_through_the_page_in_a_real_browser() {
    use fantoccini::Locator;

    let Some((driver, chromium)) = browser_tools() else {
        return;
    };
    let app = TestApp::spawn(support::Backend::Sqlite).await.unwrap();
    villages(&app).await;
    user(&app, "sari", "social_worker", None).await;
    let driver = start_driver(&driver);
    let c = phone(&driver, &chromium).await;

    sign_in(&c, &app.base, "sari").await;
    c.wait()
        .for_element(Locator::Id("deliveries"))
        .await
        .unwrap();
    c.goto(&format!("{}/upload", app.base)).await.unwrap();
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&fixture_path("simrs_rsud_blambangan.csv"))
        .await
        .unwrap();
    c.find(Locator::Id("partial"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("button[value=check]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let report = c
        .wait()
        .for_element(Locator::Id("report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(report.contains("tidak ada yang disimpan"), "{report}");
    assert!(report.contains("C (NIK)"), "{report}");
    assert_eq!(count(&app, Table::Recipients).await, 0);
    // Readable at 360 px: the report table scrolls inside its box, the page does not.
    let width = |c: fantoccini::Client| async move {
        c.execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap()
    };
    let viewport = c.execute("return window.innerWidth", vec![]).await.unwrap();
    assert_eq!(viewport.as_u64(), Some(360));
    let w = width(c.clone()).await;
    let wide = c.execute("return 'viewport ' + window.innerWidth + ': ' + Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 360).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 12).join(' ')", vec![]).await.unwrap();
    assert!(
        w <= 360,
        "the upload page with its report is {w} px wide: {wide}"
    );

    // The same file imported for real (the form keeps "partial import" ticked).
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&fixture_path("simrs_rsud_blambangan.csv"))
        .await
        .unwrap();
    c.find(Locator::Css("button[value=import]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//p[@id='stored' and contains(., 'Tersimpan')]",
        ))
        .await
        .unwrap();
    assert_eq!(count(&app, Table::Recipients).await, 4);
    // A recipient's page with an enrolment and its pause and resume forms.
    let kitchen = app.site("kitchen", "Warung Bu Sri", -8.21, 114.37).await;
    let rid = recipient_api(&app, "Mbah Karto", json!({})).await;
    let r = app
        .post(
            "/api/v1/enrolments",
            &app.admin,
            &json!({"recipient_id": rid, "kitchen_id": kitchen, "start_date": "2026-12-01"}),
        )
        .await;
    let eid = body(r).await["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/enrolments/{eid}/pause"),
            &app.admin,
            &json!({"from": "2026-12-07", "reason": "hospitalised"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let recipient_page = format!("/recipients/{rid}");
    for page in ["/recipients", "/recipients/new", recipient_page.as_str()] {
        c.goto(&format!("{}{page}", app.base)).await.unwrap();
        let w = width(c.clone()).await;
        assert!(w <= 360, "{page} is {w} px wide");
    }
    c.close().await.unwrap();
}
