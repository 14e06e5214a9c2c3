//! Onboarding from real lists: the village list, a hospital (SIMRS) export and a Dinas Sosial
//! XLSX, with the expected per-row reports, de-duplication by each key, dry runs and partial
//! imports.

use antar::store::areas::Table;
use reqwest::Response;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn upload(app: &TestApp, path: &str, token: &str, ct: &str, bytes: Vec<u8>) -> Response {
    app.req(reqwest::Method::POST, path, Some(token))
        .header("content-type", ct)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn villages(app: &TestApp) {
    let r = upload(
        app,
        "/api/v1/areas/import",
        &app.admin,
        "text/csv",
        fixture("wilayah_banyuwangi.csv"),
    )
    .await;
    assert_eq!(r.status(), 201);
}

async fn count(app: &TestApp, t: Table) -> i64 {
    app.dispatch.store().count(t).await.unwrap()
}

/// `(row, action)` of every row.
fn actions(report: &Value) -> Vec<(u64, String)> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn row(report: &Value, n: u64) -> &Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == n)
        .unwrap_or_else(|| panic!("row {n} in {report}"))
}

fn owned(v: &[(u64, &str)]) -> Vec<(u64, String)> {
    v.iter().map(|(n, a)| (*n, (*a).to_owned())).collect()
}

/// The hospital export's expected report on a database with the village list.
const SIMRS_ROWS: [(u64, &str); 6] = [
    (4, "created"),
    (5, "created"),
    (6, "rejected"),
    (8, "created"),
    (9, "created"),
    (10, "held"),
];

on_both_backends! {
    async fn the_village_list_imports_and_a_second_import_updates(app) {
        let bytes = fixture("wilayah_banyuwangi.csv");
        let r = upload(&app, "/api/v1/areas/import", &app.admin, "text/csv", bytes.clone()).await;
        assert_eq!(r.status(), 201);
        let rep = body(r).await;
        assert_eq!(rep["summary"], json!({"created": 11, "updated": 0, "held": 0, "rejected": 0}));
        assert_eq!(row(&rep, 4)["code"], "35.10.05.2003");
        let r = upload(&app, "/api/v1/areas/import", &app.admin, "text/csv", bytes).await;
        assert_eq!(body(r).await["summary"]["updated"], 11);
        assert_eq!(count(&app, Table::Areas).await, 11);
        let glagah = body(app.get("/api/v1/areas?parent=35.10.05", &app.admin).await).await;
        let names: Vec<&str> = glagah.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Kemiren", "Olehsari", "Banjarsari"]);
        assert_eq!(glagah[0]["centroid"], json!({"lat": -8.2093, "lon": 114.3367}), "comma decimals read");
        let kec = body(app.get("/api/v1/areas?kind=kecamatan", &app.admin).await).await;
        assert_eq!(kec.as_array().unwrap().len(), 3);
        // A malformed code is named by row and column.
        let bad = "Kode,Nama\n35.10.5.2001,Salah\n35.10.05.2003,Kemiren\n";
        let r = upload(&app, "/api/v1/areas/import", &app.admin, "text/csv", bad.into()).await;
        assert_eq!(r.status(), 422);
        let rep = body(r).await;
        assert_eq!(row(&rep, 2)["issues"][0]["column"], "A");
        assert_eq!(row(&rep, 2)["issues"][0]["code"], "invalid_area_code");
    }

    async fn a_hospital_export_is_all_or_nothing_unless_partial(app) {
        villages(&app).await;
        let social = app.token("social_worker", None).await;
        let r = upload(&app, "/api/v1/recipients/import", &social, "text/csv", fixture("simrs_rsud_blambangan.csv")).await;
        assert_eq!(r.status(), 422);
        let text = r.text().await.unwrap();
        assert!(!text.contains("3510054207450001"), "a NIK never leaves the server");
        let rep: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(rep["committed"], false);
        assert_eq!(rep["header_row"], 3);
        assert_eq!(actions(&rep), owned(&SIMRS_ROWS));
        assert_eq!(count(&app, Table::Recipients).await, 0);

        let r5 = row(&rep, 5);
        assert_eq!(r5["warnings"][0]["code"], "nik_zeros_restored");
        assert_eq!(r5["warnings"][0]["column"], "C");
        let r6 = row(&rep, 6);
        assert_eq!((r6["issues"][0]["column"].as_str(), r6["issues"][0]["code"].as_str()), (Some("C"), Some("nik_precision_lost")));
        assert_eq!(row(&rep, 4)["code"], "35.10.05.2003");
        assert_eq!(row(&rep, 8)["code"], "35.10.08.1001");
        assert_eq!(row(&rep, 9)["warnings"][0]["code"], "ambiguous_village");
        let r10 = row(&rep, 10);
        assert_eq!(r10["issues"][0]["code"], "duplicate_in_file");
        assert_eq!((r10["matched"]["key"].as_str(), r10["matched"]["earlier_row"].as_u64()), (Some("nik"), Some(4)));

        let r = upload(&app, "/api/v1/recipients/import?partial=true", &social, "text/csv", fixture("simrs_rsud_blambangan.csv")).await;
        assert_eq!(r.status(), 201);
        let rep = body(r).await;
        assert_eq!(rep["summary"], json!({"created": 4, "updated": 0, "held": 1, "rejected": 1}));
        assert_eq!(count(&app, Table::Recipients).await, 4);
        let siti = row(&rep, 4)["recipient_id"].as_str().unwrap().to_owned();
        let stored = body(app.get(&format!("/api/v1/recipients/{siti}"), &social).await).await;
        assert_eq!(stored["nik_last4"], "0001");
        assert_eq!(stored["medical_record_no"], "RM-004512");
        assert_eq!(stored["village_code"], "35.10.05.2003");
        assert_eq!(stored["village"], "Ds. Kemiren");
        assert!(stored["location"].is_object());
        let sulastri = row(&rep, 9)["recipient_id"].as_str().unwrap().to_owned();
        let stored = body(app.get(&format!("/api/v1/recipients/{sulastri}"), &social).await).await;
        assert!(stored["location"].is_null() && stored["village_code"].is_null());
        // The import is on record, without any NIK in it.
        let audit = body(app.get("/api/v1/admin/audit?entity=recipient", &app.admin).await).await;
        let audit_text = audit.to_string();
        assert!(audit_text.contains("\"import\""), "{audit_text}");
        assert!(!audit_text.contains("3510054207450001"));
    }

    async fn a_dry_run_reports_the_same_and_changes_nothing(app) {
        villages(&app).await;
        let r = upload(&app, "/api/v1/recipients/import?dry_run=true&partial=true", &app.admin, "text/csv", fixture("simrs_rsud_blambangan.csv")).await;
        assert_eq!(r.status(), 200);
        let rep = body(r).await;
        assert_eq!((rep["dry_run"].as_bool(), rep["committed"].as_bool()), (Some(true), Some(false)));
        assert_eq!(actions(&rep), owned(&SIMRS_ROWS));
        assert_eq!(count(&app, Table::Recipients).await, 0);
        assert_eq!(count(&app, Table::Areas).await, 11);
        let glagah = body(app.get("/api/v1/areas?parent=35.10.05", &app.admin).await).await;
        let names: Vec<&str> = glagah.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Kemiren", "Olehsari", "Banjarsari"]);
        assert_eq!(glagah[0]["centroid"], json!({"lat": -8.2093, "lon": 114.3367}), "comma decimals read");
        let kec = body(app.get("/api/v1/areas?kind=kecamatan", &app.admin).await).await;
        assert_eq!(kec.as_array().unwrap().len(), 3);
    }

    async fn a_dinas_sosial_xlsx_updates_known_people_and_enrols_them(app) {
        villages(&app).await;
        let kitchen = app.site("kitchen", "Warung Bu Sri", -8.21, 114.37).await;
        let r = upload(&app, "/api/v1/recipients/import?partial=true", &app.admin, "text/csv", fixture("simrs_rsud_blambangan.csv")).await;
        assert_eq!(r.status(), 201);
        let before = count(&app, Table::Recipients).await;

        let r = upload(&app, "/api/v1/enrolments/import?partial=true", &app.admin, XLSX, fixture("dinsos_rantang_kasih.xlsx")).await;
        assert_eq!(r.status(), 201);
        let rep = body(r).await;
        assert_eq!(rep["header_row"], 4, "the two-row merged header ends on row 4");
        assert_eq!(
            actions(&rep),
            owned(&[(5, "updated"), (6, "created"), (7, "updated"), (9, "held"), (10, "held"), (11, "rejected"), (12, "rejected")])
        );
        assert_eq!(row(&rep, 5)["matched"]["key"], "nik");
        assert_eq!(row(&rep, 5)["enrolment_action"], "created");
        assert_eq!(row(&rep, 7)["matched"]["key"], "nik", "a NIK that lost its zero still matches");
        assert_eq!(row(&rep, 7)["warnings"][0]["code"], "nik_zeros_restored");
        // The kecamatan merged down rows 5-7 applies to each; Sulastri's name and village match.
        assert_eq!(row(&rep, 6)["code"], "35.10.05.2004");
        assert_eq!(row(&rep, 9)["matched"]["key"], "name_village");
        assert_eq!(row(&rep, 9)["issues"][0]["code"], "possible_duplicate");
        assert_eq!(row(&rep, 10)["matched"]["earlier_row"], 5);
        assert_eq!(row(&rep, 11)["issues"][0]["column"], "G");
        assert_eq!(row(&rep, 11)["issues"][0]["code"], "unknown_kitchen");
        assert_eq!(row(&rep, 12)["issues"][0]["column"], "C");
        assert_eq!(row(&rep, 12)["issues"][0]["code"], "nik_precision_lost");
        assert_eq!(count(&app, Table::Recipients).await, before + 1);
        assert_eq!(count(&app, Table::Enrolments).await, 3);

        let suparman = row(&rep, 7)["recipient_id"].as_str().unwrap().to_owned();
        let list = body(app.get(&format!("/api/v1/enrolments?recipient_id={suparman}"), &app.admin).await).await;
        assert_eq!(list[0]["kitchen_id"], kitchen.as_str());
        assert_eq!(list[0]["weekdays"], json!(["mon", "wed", "fri"]));
        assert_eq!(list[0]["start_date"], "2026-12-01");
        assert_eq!(list[0]["diet_notes"], "Diabetes - tanpa gula");

        // Wednesday 2 December: all three eat; Mbah Painah has no location, so her order
        // waits for one.
        let r = app.post("/api/v1/meal-days/2026-12-02/orders", &app.admin, &json!({})).await;
        let day = body(r).await;
        assert_eq!((day["created"].as_u64(), day["needs_location"].as_u64()), (Some(3), Some(1)));

        // The same list again: people and enrolments are updated, never duplicated.
        let r = upload(&app, "/api/v1/enrolments/import?partial=true", &app.admin, XLSX, fixture("dinsos_rantang_kasih.xlsx")).await;
        let rep = body(r).await;
        assert_eq!(row(&rep, 6)["action"], "updated");
        assert_eq!(row(&rep, 6)["enrolment_action"], "updated");
        assert_eq!(count(&app, Table::Enrolments).await, 3);
    }

    async fn people_are_recognised_by_medical_record_and_held_by_name_and_village(app) {
        villages(&app).await;
        let r = upload(&app, "/api/v1/recipients/import?partial=true", &app.admin, "text/csv", fixture("simrs_rsud_blambangan.csv")).await;
        assert_eq!(r.status(), 201);
        let before = count(&app, Table::Recipients).await;
        // Another export: the record number spelled differently, a name+village match, and a
        // NIK column under a header the guesser does not know (mapped by hand).
        let csv = "No RM;Nama;Desa;Kecamatan;Nomor Kartu;HP\n\
                   rm 004515;Tumini;Singotrunan;Banyuwangi;;0813-3000-1111\n\
                   ;SUPARMAN;Ds. Kemiren;Glagah;;\n\
                   ;Siti  Aminah;Kemiren;Glagah;3510054207450001;\n";
        let boundary = "----antarTest";
        let multipart = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rsud2.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
        );
        let r = upload(
            &app,
            "/api/v1/recipients/import?map=Nomor%20Kartu%3Dnik",
            &app.admin,
            &format!("multipart/form-data; boundary={boundary}"),
            multipart.into_bytes(),
        )
        .await;
        assert_eq!(r.status(), 201);
        let rep = body(r).await;
        assert_eq!(actions(&rep), owned(&[(2, "updated"), (3, "held"), (4, "updated")]));
        assert_eq!(row(&rep, 2)["matched"]["key"], "medical_record_no");
        assert_eq!(row(&rep, 3)["matched"]["key"], "name_village");
        assert_eq!(row(&rep, 4)["matched"]["key"], "nik");
        assert_eq!(count(&app, Table::Recipients).await, before);
        let tumini = row(&rep, 2)["recipient_id"].as_str().unwrap().to_owned();
        let stored = body(app.get(&format!("/api/v1/recipients/{tumini}"), &app.admin).await).await;
        assert_eq!(stored["name"], "Tumini");
        assert_eq!(stored["landmark"], "Gang buntu cat hijau", "empty cells keep what is stored");
    }

    async fn a_recipient_saved_by_hand_gets_its_village_code(app) {
        villages(&app).await;
        let r = app.post("/api/v1/recipients", &app.admin, &json!({"name": "Mbah Sarni", "village": "DESA  kemiren"})).await;
        assert_eq!(r.status(), 201);
        let b = body(r).await;
        assert_eq!(b["village_code"], "35.10.05.2003");
        let id = b["id"].as_str().unwrap().to_owned();
        // An ambiguous name clears the code; the kecamatan or an explicit code settles it.
        let r = app.put(&format!("/api/v1/recipients/{id}"), &app.admin, &json!({"name": "Mbah Sarni", "village": "Banjarsari"})).await;
        assert!(body(r).await["village_code"].is_null());
        let r = app.put(&format!("/api/v1/recipients/{id}"), &app.admin, &json!({"name": "Mbah Sarni", "village": "Banjarsari", "kecamatan": "Kec. Kalipuro"})).await;
        assert_eq!(body(r).await["village_code"], "35.10.07.2006");
        let r = app.put(&format!("/api/v1/recipients/{id}"), &app.admin, &json!({"name": "Mbah Sarni", "village": "Banjarsari", "village_code": "35.10.05.2005"})).await;
        assert_eq!(body(r).await["village_code"], "35.10.05.2005");
        let r = app.put(&format!("/api/v1/recipients/{id}"), &app.admin, &json!({"name": "Mbah Sarni", "village_code": "35.10.99.9999"})).await;
        assert_problem(r, 422, "unknown_village_code", Some("village_code")).await;
    }

    async fn a_file_without_a_name_column_is_refused_whole(app) {
        let r = upload(&app, "/api/v1/recipients/import", &app.admin, "text/csv", "Alamat,Desa,Kecamatan\nJl. A,Kemiren,Glagah\n".into()).await;
        assert_problem(r, 422, "missing_column", Some("file")).await;
        let r = upload(&app, "/api/v1/recipients/import", &app.admin, "application/json", "{}".into()).await;
        assert_problem(r, 415, "unsupported_media_type", None).await;
        let pharmacist_site = app.site("pharmacy", "RSUD Blambangan", -8.22, 114.36).await;
        let pharmacist = app.token("pharmacist", Some(&pharmacist_site)).await;
        let r = upload(&app, "/api/v1/recipients/import", &pharmacist, "text/csv", fixture("simrs_rsud_blambangan.csv")).await;
        assert_eq!(r.status(), 403);
    }

    async fn enrolment_lists_give_meal_times_and_a_bad_one_names_its_column(app) {
        villages(&app).await;
        app.site("kitchen", "Warung Bu Sri", -8.21, 114.37).await;
        // Without partial import, the two bad meal times keep the whole list out.
        let r = upload(&app, "/api/v1/enrolments/import", &app.admin, "text/csv", fixture("dinsos_jam_makan.csv")).await;
        assert_eq!(r.status(), 422);
        assert_eq!(count(&app, Table::Enrolments).await, 0);

        let r = upload(&app, "/api/v1/enrolments/import?partial=true", &app.admin, "text/csv", fixture("dinsos_jam_makan.csv")).await;
        assert_eq!(r.status(), 201);
        let rep = body(r).await;
        let expected = String::from_utf8(fixture("dinsos_jam_makan.expected")).unwrap();
        let mut got = Vec::new();
        for r in rep["rows"].as_array().unwrap() {
            let mut line = format!("{} {}", r["row"], r["action"].as_str().unwrap());
            if let Some(i) = r["issues"].as_array().unwrap().first() {
                line += &format!(" {} {}", i["column"].as_str().unwrap(), i["code"].as_str().unwrap());
                assert!(i["reason"].as_str().unwrap().contains("10:30-12:30"), "the reason shows the expected form: {i}");
            } else {
                let id = r["enrolment_id"].as_str().unwrap();
                let e = body(app.get(&format!("/api/v1/enrolments/{id}"), &app.admin).await).await;
                let meals: Vec<String> = e["meals"].as_array().unwrap().iter()
                    .map(|m| format!("{} {}-{}", m["name"].as_str().unwrap(), m["window_start"].as_str().unwrap(), m["window_end"].as_str().unwrap()))
                    .collect();
                line += &format!(" {}", meals.join("; "));
            }
            got.push(line);
        }
        let want: Vec<&str> = expected.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
        assert_eq!(got, want, "{rep}");
        let bad = row(&rep, 5);
        assert_eq!(bad["issues"][0]["header"], "Jam Makan");
        assert_eq!(count(&app, Table::Enrolments).await, 4);

        // The list again with other times: the running enrolment's meals are replaced.
        let csv = "No RM,Nama,Desa,Dapur,Waktu Antar\nRM-007001,Mbah Karto,Kemiren,Warung Bu Sri,11.00–13.00\n";
        let r = upload(&app, "/api/v1/enrolments/import", &app.admin, "text/csv", csv.into()).await;
        let rep = body(r).await;
        assert_eq!(row(&rep, 2)["enrolment_action"], "updated", "{rep}");
        let id = row(&rep, 2)["enrolment_id"].as_str().unwrap().to_owned();
        let e = body(app.get(&format!("/api/v1/enrolments/{id}"), &app.admin).await).await;
        assert_eq!(e["meals"], json!([{"name": "siang", "window_start": "11:00", "window_end": "13:00"}]));
    }

    async fn locations_keep_their_precision_by_source(app) {
        use antar::domain::LatLon;
        use antar::domain::location::plus_code;
        let home = LatLon::new(-8.2093, 114.3367).unwrap();
        let put = |body_json: Value| {
            let mut b = json!({"name": "Mbah Karto"});
            for (k, v) in body_json.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        let precision = |v: &Value| v["location_precision_m"].as_f64().unwrap();
        let r = app.post("/api/v1/recipients", &app.admin, &put(json!({"location": {"lat": -8.2093, "lon": 114.3367}}))).await;
        let b = body(r).await;
        assert_eq!(precision(&b), 10.0, "coordinates as numbers: a pin, about 10 m");
        let id = b["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/recipients/{id}");
        // A Plus Code's precision follows its length: the half-diagonal of its cell.
        let mut last = f64::INFINITY;
        for len in [8, 10, 11] {
            let code = plus_code::encode(home, len);
            let b = body(app.put(&path, &app.admin, &put(json!({"location_text": code}))).await).await;
            assert_eq!(b["location_source"], "plus_code");
            assert!(precision(&b) < last, "{len}: {b}");
            last = precision(&b);
            match len {
                8 => assert!((150.0..250.0).contains(&precision(&b)), "{b}"),
                10 => assert!((5.0..15.0).contains(&precision(&b)), "{b}"),
                _ => assert!(precision(&b) < 5.0, "{b}"),
            }
        }
        let b = body(app.put(&path, &app.admin, &put(json!({"location_text": "https://www.openstreetmap.org/#map=18/-8.20930/114.33670"}))).await).await;
        assert_eq!((b["location_source"].as_str(), precision(&b)), (Some("link"), 10.0), "a map link: about 10 m, whatever its digits");
        let b = body(app.put(&path, &app.admin, &put(json!({"location": {"lat": -8.2093, "lon": 114.3367}, "location_source": "village_centroid"}))).await).await;
        assert_eq!(precision(&b), 2000.0);
        let b = body(app.put(&path, &app.admin, &put(json!({}))).await).await;
        assert!(b["location_precision_m"].is_null(), "no location, no precision: {b}");
        // An imported list keeps the precision of what it wrote.
        let csv = format!("Nama,Lokasi\nBu Warsini,{}\nPak Darmo,\"-8.2093, 114.3367\"\n", plus_code::encode(home, 8));
        let r = upload(&app, "/api/v1/recipients/import", &app.admin, "text/csv", csv.into_bytes()).await;
        let rep = body(r).await;
        let coarse = body(app.get(&format!("/api/v1/recipients/{}", row(&rep, 2)["recipient_id"].as_str().unwrap()), &app.admin).await).await;
        assert!((150.0..250.0).contains(&precision(&coarse)), "{coarse}");
        let pin = body(app.get(&format!("/api/v1/recipients/{}", row(&rep, 3)["recipient_id"].as_str().unwrap()), &app.admin).await).await;
        assert_eq!(precision(&pin), 10.0);
        // An order carries the precision of its drop point.
        let site = app.site("pharmacy", "RSUD Blambangan", -8.22, 114.36).await;
        let mut p = prescription("Bapak Slamet");
        p["site_id"] = json!(site);
        p["patient"].as_object_mut().unwrap().remove("location");
        p["patient"]["location_text"] = json!(plus_code::encode(home, 8));
        let r = app.post("/api/v1/prescriptions", &app.admin, &p).await;
        assert_eq!(r.status(), 201);
        let o = body(r).await;
        assert!((150.0..250.0).contains(&o["location_precision_m"].as_f64().unwrap()), "{o}");
    }

    async fn a_person_with_only_a_village_stays_unlocated_until_staff_confirm_its_centre(app) {
        villages(&app).await;
        let kitchen = app.site("kitchen", "Warung Bu Sri", -8.21, 114.37).await;
        let social = app.token("social_worker", None).await;
        let r = app.post("/api/v1/recipients", &social, &json!({"name": "Mbah Painah", "village": "Olehsari", "kecamatan": "Glagah"})).await;
        let id = body(r).await["id"].as_str().unwrap().to_owned();
        let r = app.post("/api/v1/enrolments", &social, &json!({"recipient_id": id, "kitchen_id": kitchen, "start_date": "2026-12-01"})).await;
        assert_eq!(r.status(), 201);
        let who = antar::domain::Principal {
            token_id: antar::domain::TokenId(uuid::Uuid::nil()),
            role: antar::domain::Role::SocialWorker,
            name: "sari".into(),
            site_id: None,
            partner_id: None,
        };
        let rid = antar::domain::RecipientId(id.parse().unwrap());
        let person = app.dispatch.recipient(&who, rid).await.unwrap();
        let s = app.dispatch.village_centroid_suggestion(&who, &person).await.unwrap().expect("a suggestion");
        assert_eq!((s.village.as_str(), s.code.as_str()), ("Olehsari", "35.10.05.2004"));
        assert_eq!((s.point.lat(), s.point.lon(), s.precision_m), (-8.2021, 114.3281, 2000.0));
        // Suggested, not stored: the day's meal waits for a location.
        let day = body(app.post("/api/v1/meal-days/2026-12-02/orders", &social, &json!({})).await).await;
        assert_eq!((day["created"].as_u64(), day["needs_location"].as_u64()), (Some(1), Some(1)));
        let stored = body(app.get(&format!("/api/v1/recipients/{id}"), &social).await).await;
        assert!(stored["location"].is_null());
        assert_eq!(stored["suggested_location"], json!({"lat": -8.2021, "lon": 114.3281, "source": "village_centroid",
            "precision_m": 2000.0, "village_code": "35.10.05.2004"}));
        // Staff confirm it: the next day's meal is plannable, with the coarse precision on it.
        let r = app.dispatch.confirm_village_centroid(&who, rid).await.unwrap();
        assert_eq!((r.location_source.as_deref(), r.location_precision_m), (Some("village_centroid"), Some(2000.0)));
        assert!(app.dispatch.village_centroid_suggestion(&who, &r).await.unwrap().is_none());
        let stored = body(app.get(&format!("/api/v1/recipients/{id}"), &social).await).await;
        assert!(stored["suggested_location"].is_null());
        assert_eq!(stored["location"], json!({"lat": -8.2021, "lon": 114.3281}));
        let day = body(app.post("/api/v1/meal-days/2026-12-03/orders", &social, &json!({})).await).await;
        assert_eq!((day["created"].as_u64(), day["needs_location"].as_u64()), (Some(1), Some(0)));
        // A recipient with neither a location nor a village centroid gets no suggestion, and
        // confirming one is refused.
        let r = app.post("/api/v1/recipients", &social, &json!({"name": "Pak Slamet", "village": "Tidak Ada"})).await;
        let other = antar::domain::RecipientId(body(r).await["id"].as_str().unwrap().parse().unwrap());
        let err = app.dispatch.confirm_village_centroid(&who, other).await.unwrap_err();
        assert!(matches!(err, antar::dispatch::DispatchError::Invalid(_)), "{err:?}");
    }
}
