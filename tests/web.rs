//! The staff web pages over real HTTP on loopback: sign-in, lockout, CSRF, access by site, the
//! Today page with its alert forms, the prescription form, live updates; and the same flows in
//! headless Chromium driven through chromedriver.

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "api/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "web_support.rs"]
mod web_support;

use antar::domain::{AlertId, AlertKind, AlertStatus, OrderId};
use antar::store::jobs::{AlertFilter, AlertRow};
use chrono::{Duration, Utc};
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::json;
use support::{Backend, TestApp, body};
use web_support::*;

/// A prescription through the API, due within today's working hours from now.
async fn prescription_today(app: &TestApp, token: &str, patient: &str) -> OrderId {
    let now = Utc::now();
    let r = app
        .post(
            "/api/v1/prescriptions",
            token,
            &json!({
                "patient": {"name": patient, "phone": "0812-3456-7890", "address": "Jl. Ahmad Yani 1",
                            "location": {"lat": -8.2191, "lon": 114.3691}},
                "parcels": 1,
                "ready_at": now.to_rfc3339(),
                "deliver_by": (now + Duration::hours(3)).to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(r.status(), 201);
    body(r).await["id"].as_str().unwrap().parse().unwrap()
}

/// Raise an alert directly in the store (as a failed handover would).
async fn raise_alert(app: &TestApp, site: &str, order: OrderId, note: &str) -> AlertId {
    raise(app, AlertKind::Welfare, "not_home", site, order, note).await
}

/// [`raise_alert`] of any kind and reason.
async fn raise(
    app: &TestApp,
    kind: AlertKind,
    reason: &str,
    site: &str,
    order: OrderId,
    note: &str,
) -> AlertId {
    let id = AlertId(uuid::Uuid::now_v7());
    let mut tx = app.dispatch.store().begin().await.unwrap();
    antar::store::jobs::insert_alert(
        &mut tx,
        &AlertRow {
            id,
            kind,
            status: AlertStatus::Open,
            site_id: Some(site.parse().unwrap()),
            order_id: Some(order),
            job_id: None,
            recipient_id: None,
            reason: reason.into(),
            note: note.into(),
            raised_at: antar::store::now(),
            acknowledged_by: None,
            acknowledged_at: None,
            closed_by: None,
            closed_at: None,
            close_note: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn alert_status(app: &TestApp, id: AlertId) -> AlertStatus {
    let rows = app
        .dispatch
        .store()
        .alerts(&AlertFilter {
            status: None,
            limit: 100,
            ..AlertFilter::default()
        })
        .await
        .unwrap();
    let closed = app
        .dispatch
        .store()
        .alerts(&AlertFilter {
            status: Some(AlertStatus::Closed),
            limit: 100,
            ..AlertFilter::default()
        })
        .await
        .unwrap();
    rows.iter()
        .chain(closed.iter())
        .find(|a| a.id == id)
        .map(|a| a.status)
        .expect("the alert exists")
}

async fn spawn() -> TestApp {
    TestApp::spawn(Backend::Sqlite).await.unwrap()
}

on_both_backends! {
async fn staff_sign_in_with_the_right_password_and_are_refused_with_a_wrong_one(app) {
    user(&app, "sari", "social_worker", None).await;
    let mut b = Browser::new(&app.base);

    let before = b.get("/today").await;
    assert_eq!(before.status, 303);
    assert_eq!(before.location.as_deref(), Some("/login"));

    let wrong = b.login("sari", "bukan-kata-sandinya").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text.contains("Nama pengguna atau kata sandi salah"));
    assert!(!b.cookies.contains_key("antar_session"));

    let ok = b.login("sari", PASSWORD).await;
    assert_eq!(ok.status, 303);
    let session = ok
        .set_cookies
        .iter()
        .find(|c| c.starts_with("antar_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"));
    assert!(session.contains("SameSite=Strict"));
    assert!(!session.contains("Secure"), "not behind TLS by default");

    let today = b.get("/today").await;
    assert_eq!(today.status, 200);
    assert!(today.text.contains("Pengantaran hari ini"));
    let en = b.get("/today?lang=en").await;
    assert!(en.text.contains("Today&#39;s deliveries") || en.text.contains("Today's deliveries"));
    // The choice is remembered in a cookie.
    let again = b.get("/today").await;
    assert!(again.text.contains("Alerts"));

    // Signing out ends the session in the database, not just in the browser.
    let id = b.cookies["antar_session"].clone();
    let token = csrf_of(&again.text);
    let out = b.post("/logout", &[("_csrf", &token)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(app.dispatch.staff_session(&id).await.unwrap(), None);
}
}

on_both_backends! {
async fn repeated_failures_lock_the_login_even_for_the_right_password(app) {
    user(&app, "budi", "social_worker", None).await;
    let mut b = Browser::new(&app.base);
    for i in 1..=4 {
        let r = b.login("budi", "salah-salah-salah").await;
        assert_eq!(r.status, 401, "attempt {i}");
    }
    let fifth = b.login("budi", "salah-salah-salah").await;
    assert_eq!(fifth.status, 429);
    let right = b.login("budi", PASSWORD).await;
    assert_eq!(
        right.status, 429,
        "locked: the right password is not even checked"
    );
    assert!(right.text.contains("dikunci"));
    assert!(!b.cookies.contains_key("antar_session"));
}
}

on_both_backends! {
async fn forms_without_the_csrf_token_are_refused(app) {
    user(&app, "sari", "social_worker", None).await;
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691)
        .await;
    let pharm = app.token("pharmacist", Some(&site)).await;
    let order = prescription_today(&app, &pharm, "Ibu Siti").await;
    let alert = raise_alert(&app, &site, order, "tidak di rumah").await;
    let mut b = Browser::new(&app.base);

    // Sign-in without the token of the sign-in page.
    b.get("/login").await;
    let r = b
        .post("/login", &[("login", "sari"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, 403);

    assert_eq!(b.login("sari", PASSWORD).await.status, 303);
    let path = format!("/alerts/{}/acknowledge", alert.0);
    let r = b.post(&path, &[]).await;
    assert_eq!(r.status, 403);
    let r = b.post(&path, &[("_csrf", "0123")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(alert_status(&app, alert).await, AlertStatus::Open);
    let r = b.post("/logout", &[]).await;
    assert_eq!(r.status, 403);
}
}

on_both_backends! {
async fn the_today_page_lists_a_delivery_and_its_alert_is_acknowledged_then_closed(app) {
    user(&app, "sari", "social_worker", None).await;
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691)
        .await;
    let pharm = app.token("pharmacist", Some(&site)).await;
    let order = prescription_today(&app, &pharm, "Ibu Siti Aminah").await;
    let alert = raise_alert(&app, &site, order, "pintu terkunci").await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("sari", PASSWORD).await.status, 303);

    let page = b.get("/today").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Ibu Siti Aminah"));
    assert!(page.text.contains("RSUD Blambangan"));
    assert!(page.text.contains("pintu terkunci"));
    assert!(
        page.text.contains("<label for=\"f-village\""),
        "labelled filters"
    );

    // Filters narrow the list: nobody lives in this village.
    let none = b.get("/today?village=Kemiren").await;
    assert!(!none.text.contains("Ibu Siti Aminah"));
    let fragment = b.get("/today/live?kind=medicine").await;
    assert!(fragment.text.contains("Ibu Siti Aminah"));
    assert!(!fragment.text.contains("<html"), "a fragment, not a page");

    let token = csrf_of(&page.text);
    let r = b
        .post(
            &format!("/alerts/{}/acknowledge", alert.0),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(alert_status(&app, alert).await, AlertStatus::Acknowledged);

    let empty_note = b
        .post(
            &format!("/alerts/{}/close", alert.0),
            &[("_csrf", &token), ("note", " ")],
        )
        .await;
    assert_eq!(empty_note.status, 422);
    let r = b
        .post(
            &format!("/alerts/{}/close", alert.0),
            &[("_csrf", &token), ("note", "dikunjungi, sehat")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(alert_status(&app, alert).await, AlertStatus::Closed);
    let after = b.get("/today").await;
    assert!(!after.text.contains("pintu terkunci"));

    // The day's figures count the order and the alert.
    let report = b.get("/reports").await;
    assert_eq!(report.status, 200);
    assert!(report.text.contains("Laporan harian"));
    assert!(report.text.contains("<th scope=\"row\">obat</th><td>1</td>"), "{}", report.text);
    assert!(report.text.contains("<th scope=\"row\">kesejahteraan</th><td>1</td>"));

    // Every read of the page was audited.
    let audit = app
        .get("/api/v1/admin/audit?entity=order", &app.admin)
        .await;
    let text = audit.text().await.unwrap();
    assert!(text.contains("social_worker:sari"), "{text}");
}
}

on_both_backends! {
async fn an_unwell_alert_is_on_today_in_both_languages(app) {
    user(&app, "sari", "social_worker", None).await;
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691)
        .await;
    let pharm = app.token("pharmacist", Some(&site)).await;
    let order = prescription_today(&app, &pharm, "Ibu Siti Aminah").await;
    raise(&app, AlertKind::Unwell, "recipient_unwell", &site, order, "demam, sendirian").await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("sari", PASSWORD).await.status, 303);
    let page = b.get("/today").await;
    assert!(page.text.contains("<strong>Sakit, perlu perhatian</strong>"), "{}", page.text);
    assert!(page.text.contains("Penerima sakit") && page.text.contains("demam, sendirian"));
    let en = b.get("/today?lang=en").await;
    assert!(en.text.contains("<strong>Unwell, needs attention</strong>"), "{}", en.text);
    assert!(en.text.contains("Recipient unwell"));
}
}

on_both_backends! {
async fn a_pharmacist_sees_only_their_own_site(app) {
    let a = app
        .site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691)
        .await;
    let b_site = app
        .site("pharmacy", "RSUD Genteng", -8.3650, 114.1500)
        .await;
    user(&app, "apoteker.a", "pharmacist", Some(&a)).await;
    let ta = app.token("pharmacist", Some(&a)).await;
    let tb = app.token("pharmacist", Some(&b_site)).await;
    prescription_today(&app, &ta, "Pasien Blambangan").await;
    let other = prescription_today(&app, &tb, "Pasien Genteng").await;
    let alert = raise_alert(&app, &b_site, other, "obat kembali").await;

    let mut b = Browser::new(&app.base);
    let r = b.login("apoteker.a", PASSWORD).await;
    assert_eq!(r.status, 303);
    assert_eq!(b.get("/").await.location.as_deref(), Some("/pharmacy"));
    let pharmacy = b.get("/pharmacy").await;
    assert_eq!(pharmacy.status, 200);
    assert!(pharmacy.text.contains("Pasien Blambangan"));
    assert!(!pharmacy.text.contains("Pasien Genteng"));
    assert!(
        !pharmacy.text.contains("RSUD Genteng"),
        "no other site to choose"
    );
    let today = b.get("/today").await;
    assert!(today.text.contains("Pasien Blambangan"));
    assert!(!today.text.contains("Pasien Genteng"));
    assert!(!today.text.contains("obat kembali"));
    // The day's figures cover every site: not for pharmacists.
    assert_eq!(b.get("/reports").await.status, 403);
    // Asking for the other site by filter changes nothing.
    let filtered = b.get(&format!("/today/live?site={b_site}")).await;
    assert!(!filtered.text.contains("Pasien Genteng"));
    // Nor can the other site's alert be handled.
    let token = csrf_of(&today.text);
    let r = b
        .post(
            &format!("/alerts/{}/acknowledge", alert.0),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(alert_status(&app, alert).await, AlertStatus::Open);
}
}

on_both_backends! {
async fn the_prescription_form_shows_the_pin_once_and_field_errors_beside_fields(app) {
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691)
        .await;
    user(&app, "apoteker", "pharmacist", Some(&site)).await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("apoteker", PASSWORD).await.status, 303);
    let page = b.get("/pharmacy").await;
    assert!(page.text.contains("<label for=\"patient.name\""));
    let token = csrf_of(&page.text);
    let nonce = {
        let m = "name=\"_nonce\" value=\"";
        let at = page.text.find(m).unwrap() + m.len();
        page.text[at..].split('"').next().unwrap().to_owned()
    };
    let tz = app.dispatch.tz();
    let now = Utc::now().with_timezone(&tz);
    let ready = now.format("%Y-%m-%dT%H:%M").to_string();
    let by = (now + Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();

    let bad = b
        .post(
            "/pharmacy",
            &[
                ("_csrf", &token),
                ("_nonce", &nonce),
                ("patient.name", ""),
                ("patient.location_text", "bukan lokasi"),
                ("parcels", "0"),
                ("ready_at", &ready),
                ("deliver_by", &by),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.text.contains("id=\"parcels-err\""),
        "error beside parcels"
    );
    assert!(bad.text.contains("id=\"patient.name-err\""));

    let fields = [
        ("_csrf", token.as_str()),
        ("_nonce", nonce.as_str()),
        ("patient.name", "Bapak Slamet"),
        ("patient.phone", "0812 3456 7890"),
        ("patient.address", "Jl. Kepiting 3"),
        ("patient.landmark", "depan musala"),
        ("patient.location_text", "-8.2191, 114.3691"),
        ("parcels", "2"),
        ("priority", "urgent"),
        ("cold_chain_max_minutes", "90"),
        ("controlled", "1"),
        ("ready_at", &ready),
        ("deliver_by", &by),
    ];
    let ok = b.post("/pharmacy", &fields).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let pin_at = ok.text.find("id=\"pin\"").expect("the PIN is shown");
    let pin: String = ok.text[pin_at..]
        .chars()
        .skip_while(|c| *c != '>')
        .skip(1)
        .take(6)
        .collect();
    assert!(pin.chars().all(|c| c.is_ascii_digit()), "{pin}");
    assert!(ok.text.contains("Bapak Slamet"));

    // The same form sent twice makes one order, and the PIN is not shown again.
    let again = b.post("/pharmacy", &fields).await;
    assert_eq!(again.status, 200);
    assert!(!again.text.contains("id=\"pin\""));
    assert_eq!(again.text.matches("<td>Bapak Slamet</td>").count(), 1);
}
}

on_both_backends! {
async fn live_updates_stream_events_to_signed_in_staff_only(app) {
    user(&app, "sari", "social_worker", None).await;
    let mut b = Browser::new(&app.base);
    let events = b.get("/today/events").await;
    assert_eq!(events.status, 303, "signed-in staff only");
    assert_eq!(b.login("sari", PASSWORD).await.status, 303);

    let mut r = b
        .client
        .get(format!("{}/today/events", app.base))
        .header(COOKIE, b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let first = r.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: ready"));

    let css = b.get("/static/antar.css").await;
    assert_eq!(css.status, 200);
    assert!(css.text.len() < 8_000);
}
}

#[tokio::test]
async fn staff_submit_a_prescription_and_acknowledge_an_alert_in_a_real_browser() {
    use fantoccini::Locator;

    let Some((driver, chromium)) = browser_tools() else {
        return;
    };
    let app = spawn().await;
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691)
        .await;
    user(&app, "apoteker", "pharmacist", Some(&site)).await;
    user(&app, "sari", "social_worker", None).await;
    let driver = start_driver(&driver);
    let c = browser(&driver, &chromium).await;

    // A pharmacist submits a controlled prescription through the form.
    sign_in(&c, &app.base, "apoteker").await;
    c.wait()
        .for_element(Locator::Id("prescription"))
        .await
        .unwrap();
    for (id, value) in [
        ("patient.name", "Bapak Slamet Riyadi"),
        ("patient.phone", "081234567890"),
        ("patient.address", "Jl. Kepiting 3"),
        ("patient.location_text", "-8.2191, 114.3691"),
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    c.find(Locator::Id("controlled"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#prescription button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let pin = c
        .wait()
        .for_element(Locator::Id("pin"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(pin.trim().len(), 6, "a six-digit PIN: {pin}");
    let list = c
        .find(Locator::Id("orders"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Bapak Slamet Riyadi"), "{list}");

    // A social worker acknowledges an alert on that delivery from the Today page.
    let order = app
        .dispatch
        .store()
        .orders(&antar::store::orders::OrderFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .id;
    let alert = raise_alert(&app, &site, order, "tidak ada orang di rumah").await;
    c.find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("login")).await.unwrap();
    sign_in(&c, &app.base, "sari").await;
    c.wait()
        .for_element(Locator::Id("deliveries"))
        .await
        .unwrap();
    let table = c
        .find(Locator::Id("deliveries"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(table.contains("Bapak Slamet Riyadi"), "{table}");
    c.find(Locator::Css("form[action$='/acknowledge'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//div[contains(@class,'alert') and contains(., 'ditangani')]",
        ))
        .await
        .unwrap();
    assert_eq!(alert_status(&app, alert).await, AlertStatus::Acknowledged);
    c.close().await.unwrap();
    drop(driver);
}

/// Not a pass/fail timing assertion: prints how long the Today page takes with 1,500 planned
/// deliveries (the goal is ≤ 100 ms server time and ≤ 300 KB), plain and gzipped. Run with
/// `cargo test --test web -- --ignored --nocapture today_page_with_1500`.
#[tokio::test]
#[ignore = "prints a measurement; run on demand"]
async fn today_page_with_1500_deliveries_timing() {
    use antar::dispatch::intake::NewPrescription;
    use antar::domain::time::TimeWindow;
    use antar::domain::{
        JobStatus, OrderKind, PlanId, Principal, Role, SiteId, StopStatus, TokenId,
    };
    use antar::store::jobs::{JobRow, PlanRow, StopRow};

    let app = spawn().await;
    let site: SiteId = app
        .site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691)
        .await
        .parse()
        .unwrap();
    user(&app, "sari", "social_worker", None).await;
    let pharmacist = Principal {
        token_id: TokenId::new(),
        name: "bench".into(),
        role: Role::Pharmacist,
        site_id: Some(site),
        partner_id: None,
    };
    let now = Utc::now();
    let window = TimeWindow::new(now, now + Duration::hours(3)).unwrap();
    let mut orders = Vec::new();
    for i in 0..1500 {
        let created = app
            .dispatch
            .create_prescription(
                &pharmacist,
                None,
                NewPrescription {
                    site_id: None,
                    patient_name: format!("Pasien Nomor {i}"),
                    phone: None,
                    address: format!("Jl. Contoh {i}"),
                    landmark: String::new(),
                    location: Some(
                        antar::domain::LatLon::new(-8.21 - f64::from(i) * 1e-5, 114.36).unwrap(),
                    ),
                    location_text: None,
                    medical_record_no: None,
                    parcels: 1,
                    cold_chain_max_minutes: None,
                    controlled: false,
                    priority: antar::domain::Priority::Routine,
                    window,
                    clinical_notes: None,
                    external_ref: None,
                },
            )
            .await
            .unwrap();
        orders.push(created.order);
    }
    // Every order on a job of ten stops, with a courier.
    let mut tx = app.dispatch.store().begin().await.unwrap();
    let plan = PlanId(uuid::Uuid::now_v7());
    antar::store::jobs::insert_plan(
        &mut tx,
        &PlanRow {
            id: plan,
            site_id: Some(site),
            origin: "on_demand".into(),
            orders: 1500,
            routes: 150,
            unplanned: json!([]),
            cost_idr: 0.0,
            one_trip_per_order_idr: 0.0,
            matrix_ms: 0,
            solve_ms: 0,
            stops_moved: 0,
            changes: serde_json::json!([]),
            created_by: "bench".into(),
            created_at: now,
        },
    )
    .await
    .unwrap();
    for chunk in orders.chunks(10) {
        let job = uuid::Uuid::now_v7();
        let row = JobRow {
            id: job,
            plan_id: plan,
            site_id: site,
            kind: OrderKind::Medicine,
            status: JobStatus::CourierAssigned,
            partner_id: None,
            departure: now,
            distance_m: 1000.0,
            duration_s: 600.0,
            fare_idr: 10000.0,
            geometry: Vec::new(),
            needs_cold_box: false,
            needs_controlled: false,
            load: 10,
            last_seq: 0,
            round: 1,
            courier: Some(json!({"name": "Pak Kurir", "plate": "P 1234 AB"})),
            courier_location: None,
            flagged_at: None,
            flag_reason: None,
            created_at: now,
            updated_at: now,
        };
        antar::store::jobs::insert_job(&mut tx, &row).await.unwrap();
        // The courier arrives with a later partner event: stored by an update.
        antar::store::jobs::update_job(&mut tx, &row).await.unwrap();
        for (pos, o) in chunk.iter().enumerate() {
            antar::store::jobs::insert_stop(
                &mut tx,
                &StopRow {
                    id: uuid::Uuid::now_v7(),
                    job_id: job,
                    position: pos as i64,
                    order_id: o.id,
                    parcel_code: format!("OB-{pos}"),
                    eta: now + Duration::minutes(pos as i64 * 7),
                    status: StopStatus::Pending,
                    proof: None,
                    fail_reason: None,
                    note: None,
                    updated_at: now,
                },
            )
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();

    let who = antar::dispatch::staff::principal_of(
        &app.dispatch
            .store()
            .user_by_login("sari")
            .await
            .unwrap()
            .unwrap()
            .0,
    );
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("sari", PASSWORD).await.status, 303);
    for round in 0..3 {
        let t = std::time::Instant::now();
        let rows = app
            .dispatch
            .day_deliveries(&who, Default::default())
            .await
            .unwrap();
        let query = t.elapsed();
        let t = std::time::Instant::now();
        let page = b.get("/today").await;
        let whole = t.elapsed();
        // The same page as a browser fetches it: gzipped (reqwest here does not decompress,
        // so these are the bytes on the wire).
        let t = std::time::Instant::now();
        let zipped = b
            .client
            .get(format!("{}/today", app.base))
            .header(COOKIE, b.cookie_header())
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(zipped.headers()["content-encoding"], "gzip");
        let zipped_bytes = zipped.bytes().await.unwrap().len();
        let zipped_whole = t.elapsed();
        assert_eq!(page.status, 200);
        assert_eq!(rows.len(), 1500);
        let missing: Vec<_> = rows
            .iter()
            .filter(|r| r.eta.is_none() || r.courier.is_none())
            .map(|r| (r.recipient_name.clone(), r.eta, r.courier.clone()))
            .take(3)
            .collect();
        assert!(
            missing.is_empty(),
            "{} without a stop, e.g. {missing:?}",
            rows.iter().filter(|r| r.eta.is_none()).count()
        );
        println!(
            "round {round}: query {} ms for {} rows; GET /today {} ms over loopback; page {} bytes; \
             gzipped {} bytes in {} ms",
            query.as_millis(),
            rows.len(),
            whole.as_millis(),
            page.text.len(),
            zipped_bytes,
            zipped_whole.as_millis()
        );
    }
}

#[tokio::test]
async fn partner_accounts_cannot_sign_in_to_the_staff_pages() {
    use antar::domain::records::User;
    use antar::domain::{Role, UserId};
    let app = spawn().await;
    // The admin API refuses partner users; one left in the database by hand still gets nowhere.
    let mut tx = app.dispatch.store().begin().await.unwrap();
    antar::store::access::insert_user(
        &mut tx,
        &User {
            id: UserId(uuid::Uuid::now_v7()),
            name: "Mitra Ojek".into(),
            login: "mitra".into(),
            role: Role::Partner,
            site_id: None,
            partner_id: None,
            active: true,
            created_at: antar::store::now(),
        },
        Some(&antar::crypto::hash_password(PASSWORD)),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut b = Browser::new(&app.base);
    let r = b.login("mitra", PASSWORD).await;
    assert_eq!(r.status, 403);
    assert!(r.text.contains("Akun mitra tidak punya akses"));
    assert!(!b.cookies.contains_key("antar_session"));
}
