//! The operations pages over real HTTP on loopback, on SQLite and PostgreSQL: the map (stops,
//! routes and roads, access by site), reports over a range (per program, failure reasons, cost
//! per delivery, CSV), a partner's monthly invoice (totals per payer, job lines, the month in
//! local time, CSV, who may see it), the admin pages (admins only, CSRF, errors beside fields, tokens shown
//! once, the test webhook and its delivery, the audit log), gzip; and, in headless Chromium, a
//! partner's event changing a delivery on an open Today page without a reload.

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "api/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "web_support.rs"]
mod web_support;

use std::sync::{Arc, Mutex};

use antar::dispatch::outbox::OutboxWorker;
use antar::domain::{JobStatus, OrderKind, PartnerId, PlanId, StopStatus};
use antar::store::jobs::{JobRow, PlanRow, StopRow};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::{Backend, TOWN, TestApp, body, prescription};
use web_support::*;

/// A partner endpoint on loopback that accepts every offer and counts what it receives.
async fn accepting_partner() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |b: axum::body::Bytes| {
            let s = s.clone();
            async move {
                s.lock()
                    .unwrap()
                    .push(serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null));
                axum::Json(json!({"decision": "accept"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

struct PartnerKeys {
    id: PartnerId,
    callback_secret: String,
    token: String,
}

async fn api_partner(app: &TestApp, name: &str, url: &str) -> PartnerKeys {
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": name, "webhook_url": url, "rank": 1, "offer_timeout_s": 120,
                    "capabilities": {"max_stops": 8, "capacity": 18, "cold_box": true, "controlled_handover": true},
                    "fare": {"base_idr": 8000, "per_km_idr": 2500, "cap_idr": 40000}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let p = body(r).await;
    PartnerKeys {
        id: PartnerId(p["id"].as_str().unwrap().parse().unwrap()),
        callback_secret: p["callback_secret"].as_str().unwrap().to_owned(),
        token: p["token"].as_str().unwrap().to_owned(),
    }
}

/// Post a partner event signed per Standard Webhooks (HMAC computed here, not by the crate).
async fn send_event(app: &TestApp, keys: &PartnerKeys, id: &str, event: &Value) -> u16 {
    let body = serde_json::to_vec(event).unwrap();
    let ts = Utc::now().timestamp();
    let key = base64::engine::general_purpose::STANDARD
        .decode(keys.callback_secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&body);
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    app.client
        .post(format!("{}/partner/v1/events", app.base))
        .bearer_auth(&keys.token)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", format!("v1,{sig}"))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn plan(app: &TestApp) -> Value {
    let r = app
        .post(
            "/api/v1/plans",
            &app.admin,
            &json!({"dry_run": false, "time_limit_ms": 200}),
        )
        .await;
    assert_eq!(r.status(), 200);
    body(r).await
}

async fn deliver_outbox(app: &TestApp, at: DateTime<Utc>) {
    let mut w = OutboxWorker::new(app.dispatch.clone(), 3).unwrap();
    while w.run_once(at).await.unwrap() > 0 {}
}

/// A pharmacy with `n` prescriptions for 2031-03-04 (Jakarta) near it; returns (site, order ids).
async fn pharmacy_orders(app: &TestApp, name: &str, n: usize) -> (String, Vec<String>) {
    let site = app.site("pharmacy", name, -8.225, 114.35).await;
    let pharmacist = app.token("pharmacist", Some(&site)).await;
    let mut orders = Vec::new();
    for i in 0..n {
        let mut p = prescription(&format!("{name} Pasien {i}"));
        p["patient"]["location"] = json!({"lat": -8.215 + 0.002 * i as f64, "lon": 114.355});
        p["ready_at"] = json!("2031-03-04T02:00:00Z");
        p["deliver_by"] = json!("2031-03-04T06:00:00Z");
        let r = app.post("/api/v1/prescriptions", &pharmacist, &p).await;
        assert_eq!(r.status(), 201);
        orders.push(body(r).await["id"].as_str().unwrap().to_owned());
    }
    (site, orders)
}

with_town! {
async fn the_map_draws_the_days_stops_route_and_roads_for_those_who_may_see_them(app) {
    let (site, orders) = pharmacy_orders(&app, "RSUD Blambangan", 3).await;
    let p = plan(&app).await;
    assert_eq!(p["job_ids"].as_array().unwrap().len(), 1, "{p}");
    let other = app.site("pharmacy", "RSUD Genteng", -8.3650, 114.1500).await;
    user(&app, "sari", "social_worker", None).await;
    user(&app, "apoteker.genteng", "pharmacist", Some(&other)).await;

    let mut b = Browser::new(&app.base);
    assert_eq!(b.get("/map").await.status, 303, "signed-in staff only");
    assert_eq!(b.login("sari", PASSWORD).await.status, 303);
    let map = b.get("/map?date=2031-03-04").await;
    assert_eq!(map.status, 200);
    let t = &map.text;
    // The roads around the stops, as one path in whole metres.
    let roads = t.split("<path class=\"roads\" clip-path=\"url(#map-box)\" d=\"").nth(1).expect("a road path");
    let d = roads.split('"').next().unwrap();
    assert!(d.starts_with('M') && d.matches('M').count() > 5, "{}", &d[..d.len().min(200)]);
    assert!(!d.contains('.'), "coordinates rounded to metres");
    // The route, coloured by its state (no partner: nobody took it).
    assert_eq!(t.matches("<polyline class=\"route\"").count(), 1, "one route");
    assert!(t.contains("data-status=\"expired\""));
    // Every stop: a link to its line below the map, with a title, and the line itself.
    for o in &orders {
        assert!(t.contains(&format!("<a class=\"stop\" href=\"#stop-{o}\"")), "stop {o}");
        assert!(t.contains(&format!("<li id=\"stop-{o}\"")), "detail of {o}");
    }
    assert_eq!(t.matches("<title>RSUD Blambangan Pasien").count(), 3);
    assert!(t.contains("class=\"legend\""));
    assert!(t.contains("RSUD Blambangan"), "the pickup site");
    // The filter by site keeps them; another site's filter drops them.
    let by_site = b.get(&format!("/map?date=2031-03-04&site={site}")).await;
    assert_eq!(by_site.text.matches("<a class=\"stop\"").count(), 3);
    let by_other = b.get(&format!("/map?date=2031-03-04&site={other}")).await;
    assert_eq!(by_other.text.matches("<a class=\"stop\"").count(), 0);
    // English.
    let en = b.get("/map?date=2031-03-04&lang=en").await;
    assert!(en.text.contains("route: no courier"), "legend in English");

    // A pharmacist of another site sees none of these patients.
    let mut ph = Browser::new(&app.base);
    assert_eq!(ph.login("apoteker.genteng", PASSWORD).await.status, 303);
    let theirs = ph.get(&format!("/map?date=2031-03-04&site={site}")).await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.text.contains("Pasien"), "no other site's patients");
    assert!(!theirs.text.contains("<a class=\"stop\""));

    // The map's read of patient names is audited like the Today page's.
    let audit = app.get("/api/v1/admin/audit?entity=order", &app.admin).await;
    assert!(audit.text().await.unwrap().contains("social_worker:sari"));
}
}

/// A completed medicine job of one stop per order, for `partner` (none: nobody's), departing
/// at `start` with the planner's fare `fare_idr`; each stop ends as its outcome says (state,
/// failure reason, when it was recorded). Returns the job's id.
async fn completed_job(
    app: &TestApp,
    site: &str,
    partner: Option<PartnerId>,
    start: DateTime<Utc>,
    fare_idr: f64,
    outcomes: &[(&String, StopStatus, Option<&str>, DateTime<Utc>)],
) -> uuid::Uuid {
    let site = site.parse().unwrap();
    let mut tx = app.dispatch.store().begin().await.unwrap();
    let plan = PlanId(uuid::Uuid::now_v7());
    antar::store::jobs::insert_plan(
        &mut tx,
        &PlanRow {
            id: plan,
            site_id: Some(site),
            origin: "on_demand".into(),
            orders: outcomes.len() as i64,
            routes: 1,
            unplanned: json!([]),
            cost_idr: fare_idr,
            one_trip_per_order_idr: 0.0,
            matrix_ms: 0,
            solve_ms: 0,
            stops_moved: 0,
            changes: json!([]),
            created_by: "test".into(),
            created_at: start,
        },
    )
    .await
    .unwrap();
    let job = uuid::Uuid::now_v7();
    antar::store::jobs::insert_job(
        &mut tx,
        &JobRow {
            id: job,
            plan_id: plan,
            site_id: site,
            kind: OrderKind::Medicine,
            status: JobStatus::Completed,
            partner_id: partner,
            departure: start,
            distance_m: 4000.0,
            duration_s: 900.0,
            fare_idr,
            geometry: Vec::new(),
            needs_cold_box: false,
            needs_controlled: false,
            load: outcomes.len() as i64,
            last_seq: 0,
            round: 1,
            courier: None,
            courier_location: None,
            flagged_at: None,
            flag_reason: None,
            created_at: start,
            updated_at: start,
        },
    )
    .await
    .unwrap();
    for (i, (o, status, reason, at)) in outcomes.iter().enumerate() {
        let stop = StopRow {
            id: uuid::Uuid::now_v7(),
            job_id: job,
            position: i as i64,
            order_id: o.parse().unwrap(),
            parcel_code: format!("OB-{i}"),
            eta: start + Duration::minutes(30),
            status: *status,
            proof: None,
            fail_reason: reason.map(str::to_owned),
            note: None,
            updated_at: *at,
        };
        antar::store::jobs::insert_stop(&mut tx, &stop)
            .await
            .unwrap();
        // The outcome arrives later, with a partner event: stored by an update.
        antar::store::jobs::update_stop(&mut tx, &stop)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    job
}

/// Put the orders on a completed job: the first delivered on time, the second late, the third
/// failed (not home).
async fn finish_orders(app: &TestApp, site: &str, orders: &[String]) {
    let start: DateTime<Utc> = "2031-03-04T02:00:00Z".parse().unwrap();
    let end: DateTime<Utc> = "2031-03-04T06:00:00Z".parse().unwrap();
    let outcomes = [
        (
            &orders[0],
            StopStatus::Delivered,
            None,
            start + Duration::hours(1),
        ),
        (
            &orders[1],
            StopStatus::Delivered,
            None,
            end + Duration::hours(1),
        ),
        (
            &orders[2],
            StopStatus::Failed,
            Some("not_home"),
            start + Duration::hours(2),
        ),
    ];
    completed_job(app, site, None, start, 20000.0, &outcomes).await;
}

on_both_backends! {
async fn reports_count_a_range_per_program_with_reasons_and_cost_and_download_as_csv(app) {
    let (site, orders) = pharmacy_orders(&app, "RSUD Blambangan", 3).await;
    finish_orders(&app, &site, &orders).await;
    user(&app, "sari", "social_worker", None).await;
    user(&app, "apoteker", "pharmacist", Some(&site)).await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("sari", PASSWORD).await.status, 303);

    let page = b.get("/reports?from=2031-03-03&to=2031-03-05").await;
    assert_eq!(page.status, 200);
    let t = &page.text;
    assert!(t.contains("2031-03-03 – 2031-03-05"));
    // Medicine: 3 orders, 2 delivered (1 on time, 1 late), 1 failed, Rp 20000 fares, Rp 10000 each.
    let row = "<tr><th scope=\"row\">obat</th><td>3</td><td>2</td><td>1</td><td>1</td><td>1</td><td>Rp 20000</td><td>Rp 10000</td></tr>";
    assert!(t.contains(row), "{t}");
    let reasons = t.split("id=\"fail-reasons\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(reasons.contains("<th scope=\"row\">penerima tidak di rumah</th><td>1</td>"), "{reasons}");
    assert!(t.contains("penyandang dana"), "the page says how funders are grouped");
    // The chart: one bar group per day, the delivered day with three coloured parts.
    let chart = t.split("<figure class=\"chart\">").nth(1).expect("a chart");
    assert_eq!(chart.matches("<g>").count(), 3, "three days");
    assert!(chart.contains("2031-03-04: 1 tepat waktu, 1 terlambat, 1 gagal"));
    assert_eq!(chart.matches("<rect ").count(), 3);
    let en = b.get("/reports?from=2031-03-03&to=2031-03-05&lang=en").await;
    assert!(en.text.contains("<th scope=\"row\">recipient not home</th>"));

    // A single day still shows its alerts, jobs and offers.
    let day = b.get("/reports?date=2031-03-04&lang=id").await;
    assert!(day.text.contains("Laporan harian"));
    assert!(day.text.contains("<th scope=\"row\">selesai</th><td>1</td>"), "jobs by state, translated");

    // The CSV.
    let r = b
        .client
        .get(format!("{}/reports.csv?from=2031-03-03&to=2031-03-05", app.base))
        .header(reqwest::header::COOKIE, b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"antar-report-2031-03-03-2031-03-05.csv\""
    );
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "date,program,orders,delivered,delivered_on_time,delivered_late,failed,failed_not_home,\
         failed_refused,failed_address_not_found,failed_unsafe,failed_recipient_unwell,failed_other,fares_idr,cost_per_delivery_idr"
    );
    assert_eq!(lines.next().unwrap(), "2031-03-04,medicine,3,2,1,1,1,1,0,0,0,0,0,20000,10000");
    assert_eq!(lines.next(), None);

    // Bad ranges: the error beside the field, nothing computed.
    let inverted = b.get("/reports?from=2031-03-05&to=2031-03-03").await;
    assert_eq!(inverted.status, 422);
    assert!(inverted.text.contains("id=\"r-to-err\""), "{}", inverted.text);
    let long = b.get("/reports?from=2031-01-01&to=2031-06-01").await;
    assert_eq!(long.status, 422);
    assert!(long.text.contains("92"));
    let garbage = b.get("/reports?from=kemarin").await;
    assert_eq!(garbage.status, 422);
    assert!(garbage.text.contains("id=\"r-from-err\""));
    assert_eq!(b.get("/reports.csv?from=2031-03-05&to=2031-03-03").await.status, 422);

    // Pharmacists are bound to a site; the figures cover every site.
    let mut ph = Browser::new(&app.base);
    assert_eq!(ph.login("apoteker", PASSWORD).await.status, 303);
    assert_eq!(ph.get("/reports?from=2031-03-03&to=2031-03-05").await.status, 403);
    assert_eq!(ph.get("/reports.csv?from=2031-03-03&to=2031-03-05").await.status, 403);
}
}

on_both_backends! {
async fn staff_reconcile_a_partners_month_on_the_invoice_page_and_download_it_as_csv(app) {
    let (site, orders) = pharmacy_orders(&app, "RSUD Blambangan", 5).await;
    let ojek = api_partner(&app, "Ojek Sehat", "http://127.0.0.1:9/hook").await;
    let other = api_partner(&app, "Ojek Lain", "http://127.0.0.1:9/lain").await;
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let delivered = |o: &'static str, i: usize| (&orders[i], StopStatus::Delivered, None::<&str>, at(o));
    // 09:00 in Banyuwangi on 4 March; three stops; charged more than the quote.
    let a = completed_job(&app, &site, Some(ojek.id), at("2031-03-04T02:00:00Z"), 20000.0,
        &[delivered("2031-03-04T03:00:00Z", 0), delivered("2031-03-04T03:10:00Z", 1),
          delivered("2031-03-04T03:20:00Z", 2)]).await;
    // 23:30 local on 31 March: still March; the patient pays.
    let b_job = completed_job(&app, &site, Some(ojek.id), at("2031-03-31T16:30:00Z"), 12500.0,
        &[delivered("2031-03-31T17:00:00Z", 3)]).await;
    // 00:30 local on 1 April: March in UTC, April in Banyuwangi.
    let c_job = completed_job(&app, &site, Some(ojek.id), at("2031-03-31T17:30:00Z"), 9000.0,
        &[delivered("2031-03-31T18:00:00Z", 4)]).await;
    let mut tx = app.dispatch.store().begin().await.unwrap();
    antar::store::invoice::set_job_charged_fare(&mut tx, a, 27_500).await.unwrap();
    tx.commit().await.unwrap();
    let r = app.put(&format!("/api/v1/jobs/{b_job}/payer"), &app.admin, &json!({"payer": "patient"})).await;
    assert_eq!(r.status(), 204);
    user(&app, "sari", "social_worker", None).await;
    user(&app, "root", "admin", None).await;
    user(&app, "apoteker", "pharmacist", Some(&site)).await;

    let mut b = Browser::new(&app.base);
    assert_eq!(b.get("/reports/invoice").await.status, 303, "signed-in staff only");
    assert_eq!(b.login("sari", PASSWORD).await.status, 303);
    assert!(b.get("/reports").await.text.contains("<a href=\"/reports/invoice\">"), "linked from the reports page");
    // Nothing chosen yet: the form, this month, both partners to choose from.
    let empty = b.get("/reports/invoice").await;
    assert_eq!(empty.status, 200);
    assert!(empty.text.contains("<label for=\"inv-partner\">") && empty.text.contains("<label for=\"inv-month\">"));
    assert!(empty.text.contains(&format!("<option value=\"{}\">Ojek Lain</option>", other.id)));
    assert!(!empty.text.contains("id=\"invoice-totals\""));

    let march = b.get(&format!("/reports/invoice?partner_id={}&month=2031-03", ojek.id)).await;
    assert_eq!(march.status, 200);
    let t = &march.text;
    assert!(t.contains("Ojek Sehat · 2031-03"), "{t}");
    assert!(t.contains(&format!("<option value=\"{}\" selected>Ojek Sehat</option>", ojek.id)));
    // Totals per payer: jobs, stops, quoted, charged, difference, in rupiah the Indonesian way.
    for row in [
        "<tr id=\"payer-program\"><th scope=\"row\">program</th><td>1</td><td>3</td><td>Rp 20.000</td><td>Rp 27.500</td><td>+Rp 7.500</td></tr>",
        "<tr id=\"payer-patient\"><th scope=\"row\">pasien</th><td>1</td><td>1</td><td>Rp 12.500</td><td>Rp 12.500</td><td>Rp 0</td></tr>",
        "<tr id=\"payer-all\"><th scope=\"row\">Jumlah</th><td>2</td><td>4</td><td>Rp 32.500</td><td>Rp 40.000</td><td>+Rp 7.500</td></tr>",
    ] {
        assert!(t.contains(row), "{row} in {t}");
    }
    // The lines: departure in local time, state translated, stops, fares, payer.
    let line = |id: uuid::Uuid, rest: &str| {
        let id = id.to_string();
        format!("<tr id=\"job-{id}\"><th scope=\"row\">{}", rest.replace("CODE", &format!("<code>{id}</code>")))
    };
    let line_a = line(a, "2031-03-04<br>09:00 WIB</th><td>CODE</td><td>selesai</td><td>3</td><td>Rp 20.000</td><td>Rp 27.500</td><td>+Rp 7.500</td><td>program</td></tr>");
    let line_b = line(b_job, "2031-03-31<br>23:30 WIB</th><td>CODE</td><td>selesai</td><td>1</td><td>Rp 12.500</td><td>Rp 12.500</td><td>Rp 0</td><td>pasien</td></tr>");
    assert!(t.contains(&line_a), "{line_a} in {t}");
    assert!(t.contains(&line_b), "{line_b} in {t}");
    assert!(t.find(&line_a) < t.find(&line_b), "in departure order");
    assert!(!t.contains(&c_job.to_string()), "a job of 1 April (local) is not March's");
    // April has that job alone.
    let april = b.get(&format!("/reports/invoice?partner_id={}&month=2031-04", ojek.id)).await;
    assert_eq!(april.status, 200);
    assert!(april.text.contains(&line(c_job, "2031-04-01<br>00:30 WIB</th><td>CODE</td><td>selesai</td><td>1</td><td>Rp 9.000</td><td>Rp 9.000</td><td>Rp 0</td><td>program</td></tr>")), "{}", april.text);
    assert!(!april.text.contains(&a.to_string()) && !april.text.contains(&b_job.to_string()));
    // Another partner's month is empty.
    let theirs = b.get(&format!("/reports/invoice?partner_id={}&month=2031-03", other.id)).await;
    assert!(theirs.text.contains("<tr id=\"payer-all\"><th scope=\"row\">Jumlah</th><td>0</td><td>0</td><td>Rp 0</td><td>Rp 0</td><td>Rp 0</td></tr>"));
    assert!(theirs.text.contains("Tidak ada pekerjaan bulan ini."));
    // English.
    let en = b.get(&format!("/reports/invoice?partner_id={}&month=2031-03&lang=en", ojek.id)).await;
    assert!(en.text.contains("Totals per payer"));
    assert!(en.text.contains("<td>completed</td>") && en.text.contains("<th scope=\"row\">patient</th>"), "{}", en.text);

    // The CSV: the same file the API hands out.
    let csv_path = format!("/reports/invoice.csv?partner_id={}&month=2031-03", ojek.id);
    assert!(t.contains(&csv_path.replace('&', "&amp;")), "a download link");
    let r = b
        .client
        .get(format!("{}{csv_path}", app.base))
        .header(reqwest::header::COOKIE, b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.headers()["content-disposition"],
        format!("attachment; filename=\"antar-invoice-2031-03-{}.csv\"", ojek.id).as_str()
    );
    let csv = r.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "date,job_id,status,stops,quoted_idr,charged_idr,payer");
    assert_eq!(rows[1], format!("2031-03-04,{a},completed,3,20000,27500,program"));
    assert_eq!(rows[2], format!("2031-03-31,{b_job},completed,1,12500,12500,patient"));
    assert_eq!(*rows.last().unwrap(), "total,2,,4,32500,40000,all");
    let api = app
        .get(&format!("/api/v1/reports/invoice?partner_id={}&month=2031-03&format=csv", ojek.id), &app.admin)
        .await;
    assert_eq!(api.text().await.unwrap(), csv);

    // Bad input: the error beside its field.
    let bad_month = b.get(&format!("/reports/invoice?partner_id={}&month=2031-13", ojek.id)).await;
    assert_eq!(bad_month.status, 422);
    assert!(bad_month.text.contains("id=\"inv-month-err\""), "{}", bad_month.text);
    assert!(bad_month.text.contains("aria-describedby=\"inv-month-err\""));
    let bad_partner = b.get("/reports/invoice?partner_id=ojek&month=2031-03").await;
    assert_eq!(bad_partner.status, 422);
    assert!(bad_partner.text.contains("id=\"inv-partner-err\""));
    let unknown = b.get(&format!("/reports/invoice?partner_id={}&month=2031-03", uuid::Uuid::now_v7())).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(b.get(&format!("/reports/invoice.csv?partner_id={}&month=maret", ojek.id)).await.status, 422);

    // Admins may see it too, pharmacists may not (the API's rule).
    let mut root = Browser::new(&app.base);
    assert_eq!(root.login("root", PASSWORD).await.status, 303);
    assert_eq!(root.get(&format!("/reports/invoice?partner_id={}&month=2031-03", ojek.id)).await.status, 200);
    let mut ph = Browser::new(&app.base);
    assert_eq!(ph.login("apoteker", PASSWORD).await.status, 303);
    assert_eq!(ph.get("/reports/invoice").await.status, 403);
    let refused = ph.get(&format!("/reports/invoice?partner_id={}&month=2031-03", ojek.id)).await;
    assert_eq!(refused.status, 403);
    assert!(!refused.text.contains("Rp 27.500"));
    assert_eq!(ph.get(&csv_path).await.status, 403);
}
}

on_both_backends! {
async fn admin_pages_are_for_admins_and_their_forms_check_csrf_and_show_errors_beside_fields(app) {
    user(&app, "root", "admin", None).await;
    user(&app, "sari", "social_worker", None).await;
    let mut sw = Browser::new(&app.base);
    assert_eq!(sw.login("sari", PASSWORD).await.status, 303);
    let today = sw.get("/today").await;
    assert!(!today.text.contains("href=\"/admin\""), "no admin entry for others");
    for path in ["/admin/sites", "/admin/partners", "/admin/users", "/admin/audit"] {
        assert_eq!(sw.get(path).await.status, 403, "{path}");
    }
    let token = csrf_of(&today.text);
    let refused = sw
        .post("/admin/sites", &[("_csrf", &token), ("kind", "kitchen"), ("name", "Warung Liar"),
                                 ("lat", "-8.2"), ("lon", "114.3")])
        .await;
    assert_eq!(refused.status, 403);

    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("root", PASSWORD).await.status, 303);
    let sites = b.get("/admin/sites").await;
    assert_eq!(sites.status, 200);
    assert!(sites.text.contains("href=\"/admin\""), "admin entry for admins");
    assert!(sites.text.contains("<label for=\"s-name\""));
    let token = csrf_of(&sites.text);
    let fields = |lat: &'static str| {
        vec![("kind", "kitchen"), ("name", "Warung Bu Tin"), ("address", "Jl. Kepiting 3"),
             ("phone", "0333-123456"), ("lat", lat), ("lon", "114.352"), ("time_zone", "Asia/Jakarta")]
    };
    // Without the token: refused, nothing stored.
    assert_eq!(b.post("/admin/sites", &fields("-8.22")).await.status, 403);
    // A latitude out of range: the error beside the field, nothing stored.
    let mut bad = fields("-98.22");
    bad.push(("_csrf", &token));
    let r = b.post("/admin/sites", &bad).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"s-lat-err\""), "{}", r.text);
    assert!(r.text.contains("value=\"Warung Bu Tin\""), "typed values kept");
    let sites_now = app.dispatch.store().sites().await.unwrap();
    assert!(sites_now.is_empty(), "{sites_now:?}");
    let mut good = fields("-8.22");
    good.push(("_csrf", &token));
    assert_eq!(b.post("/admin/sites", &good).await.status, 303);
    let stored = app.dispatch.store().sites().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Warung Bu Tin");
    // Edit: rename and retire.
    let id = stored[0].id;
    let edit = b.get(&format!("/admin/sites/{id}")).await;
    assert!(edit.text.contains("value=\"Warung Bu Tin\""));
    let r = b
        .post(&format!("/admin/sites/{id}"), &[("_csrf", &token), ("name", "Warung Bu Tini"),
              ("lat", "-8.22"), ("lon", "114.352"), ("time_zone", "Asia/Jakarta")])
        .await;
    assert_eq!(r.status, 303);
    let site = app.dispatch.store().site(id).await.unwrap();
    assert_eq!(site.name, "Warung Bu Tini");
    assert!(!site.active, "the unticked box retires it");
    let r = b
        .post(&format!("/admin/sites/{id}"), &[("_csrf", &token), ("name", "X"),
              ("lat", "-8.22"), ("lon", "114.352"), ("time_zone", "Mars/Olympus")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"s-tz-err\""));
    assert_eq!(app.dispatch.store().site(id).await.unwrap().name, "Warung Bu Tini");

    // A pharmacy, a pharmacist user and a token shown once.
    let ph = app.site("pharmacy", "RSUD Blambangan", -8.2192, 114.3691).await;
    let r = b
        .post("/admin/users", &[("_csrf", &token), ("name", "Apoteker Ani"), ("login", "ani"),
              ("role", "pharmacist"), ("site_id", ""), ("password", "rahasia-sekali-456")])
        .await;
    assert_eq!(r.status, 422, "a pharmacist needs a pharmacy");
    assert!(r.text.contains("id=\"u-site-err\""), "{}", r.text);
    let r = b
        .post("/admin/users", &[("_csrf", &token), ("name", "Apoteker Ani"), ("login", "ani"),
              ("role", "pharmacist"), ("site_id", &ph), ("password", "pendek")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"u-password-err\""));
    let r = b
        .post("/admin/users", &[("_csrf", &token), ("name", "Apoteker Ani"), ("login", "ani"),
              ("role", "pharmacist"), ("site_id", &ph), ("password", "rahasia-sekali-456")])
        .await;
    assert_eq!(r.status, 303);
    let mut ani = Browser::new(&app.base);
    assert_eq!(ani.login("ani", "rahasia-sekali-456").await.status, 303, "the new user signs in");
    let r = b
        .post("/admin/tokens", &[("_csrf", &token), ("name", "SIMRS Blambangan"),
              ("role", "pharmacist"), ("site_id", &ph), ("partner_id", "")])
        .await;
    assert_eq!(r.status, 200);
    let secret = r.text.split("id=\"token-secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let works = app.get("/api/v1/prescriptions", &secret).await;
    assert_eq!(works.status(), 200, "the shown token works");
    let list = b.get("/admin/users").await;
    assert!(!list.text.contains(&secret), "shown once");
    assert!(list.text.contains("SIMRS Blambangan"));
    let info = app.dispatch.store().tokens().await.unwrap();
    let t = info.iter().find(|t| t.name == "SIMRS Blambangan").unwrap();
    assert_eq!(b.post(&format!("/admin/tokens/{}/revoke", t.id), &[]).await.status, 403);
    assert_eq!(app.get("/api/v1/prescriptions", &secret).await.status(), 200);
    let r = b.post(&format!("/admin/tokens/{}/revoke", t.id), &[("_csrf", &token)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(app.get("/api/v1/prescriptions", &secret).await.status(), 401);

    // The audit log: filtered by actor and action, paged.
    for i in 0..55 {
        app.dispatch.store().audit_read("social_worker:sari", "order", None, &json!({"i": i})).await.unwrap();
    }
    let mine = b.get("/admin/audit?actor=admin%3Aroot&action=create").await;
    assert_eq!(mine.status, 200);
    assert!(mine.text.contains("Warung Bu Tin"));
    assert!(mine.text.contains("SIMRS Blambangan"));
    assert!(!mine.text.contains("social_worker:sari"));
    let all = app
        .dispatch
        .store()
        .audit_search(&antar::store::audit::AuditFilter {
            actor: Some("social_worker:sari".into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    assert!(all > 55);
    let reads = b.get("/admin/audit?actor=social_worker%3Asari").await;
    assert_eq!(reads.text.matches("<td>social_worker:sari</td>").count(), 50, "one page");
    let next = reads.text.split("rel=\"next\" href=\"").nth(1).expect("a next page").split('"').next().unwrap().replace("&amp;", "&");
    let older = b.get(&next).await;
    assert_eq!(older.text.matches("<td>social_worker:sari</td>").count(), all - 50);
    assert!(!older.text.contains("rel=\"next\""));
    let bad = b.get("/admin/audit?date=kemarin").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("id=\"a-date-err\""));
}
}

on_both_backends! {
async fn an_admin_sends_a_test_webhook_and_sees_its_delivery(app) {
    let (url, seen) = accepting_partner().await;
    user(&app, "root", "admin", None).await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("root", PASSWORD).await.status, 303);
    let page = b.get("/admin/partners").await;
    let token = csrf_of(&page.text);
    let r = b
        .post("/admin/partners", &[("_csrf", &token), ("name", "Ojek Sehat"), ("webhook_url", "ftp://x"),
              ("rank", "1"), ("offer_timeout_s", "120"), ("max_stops", "8"), ("capacity", "10"),
              ("base_idr", "8000"), ("per_km_idr", "2500"), ("cap_idr", "")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"p-url-err\""));
    let r = b
        .post("/admin/partners", &[("_csrf", &token), ("name", "Ojek Sehat"), ("webhook_url", &url),
              ("rank", "1"), ("offer_timeout_s", "120"), ("max_stops", "8"), ("capacity", "10"),
              ("cold_box", "on"), ("base_idr", "8000"), ("per_km_idr", "2500"), ("cap_idr", "40000")])
        .await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("id=\"created\""));
    assert_eq!(r.text.matches("whsec_").count(), 2, "both secrets shown once");
    let partners = app.dispatch.store().partners().await.unwrap();
    assert_eq!(partners.len(), 1);
    let p = &partners[0];
    assert!(p.capabilities.cold_box && !p.capabilities.controlled_handover);
    assert_eq!(p.fare.cap_idr, Some(40000));
    let path = format!("/admin/partners/{}", p.id);
    assert!(!b.get(&path).await.text.contains("whsec_"), "secrets never shown again");

    assert_eq!(b.post(&format!("{path}/test-webhook"), &[]).await.status, 403);
    let r = b.post(&format!("{path}/test-webhook"), &[("_csrf", &token)]).await;
    assert_eq!(r.status, 303);
    let at = r.location.unwrap();
    assert!(at.starts_with(&format!("{path}?sent=msg_")), "{at}");
    let queued = b.get(&at).await;
    assert!(queued.text.contains("menunggu kirim"), "pending until the outbox runs");
    deliver_outbox(&app, Utc::now()).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(seen.lock().unwrap()[0]["type"], "webhook.test");
    let done = b.get(&at).await;
    let row = done.text.split("class=\"d-delivered sent\"").nth(1).expect("the sent row, delivered");
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains("<td>200</td>"), "{row}");
    assert!(row.contains("webhook.test"));

    // Switch off, then edit a field.
    assert_eq!(b.post(&format!("{path}/active"), &[("_csrf", &token)]).await.status, 303);
    assert!(!app.dispatch.store().partners().await.unwrap()[0].active);
    let r = b
        .post(&path, &[("_csrf", &token), ("name", "Ojek Sehat Banyuwangi"), ("webhook_url", &url),
              ("rank", "2"), ("offer_timeout_s", "5"), ("max_stops", "8"), ("capacity", "10"),
              ("base_idr", "8000"), ("per_km_idr", "2500"), ("active", "on")])
        .await;
    assert_eq!(r.status, 422, "timeout below 10 s");
    assert!(r.text.contains("id=\"p-timeout-err\""));
    let r = b
        .post(&path, &[("_csrf", &token), ("name", "Ojek Sehat Banyuwangi"), ("webhook_url", &url),
              ("rank", "2"), ("offer_timeout_s", "90"), ("max_stops", "8"), ("capacity", "10"),
              ("base_idr", "8000"), ("per_km_idr", "2500"), ("active", "on")])
        .await;
    assert_eq!(r.status, 303);
    let p = &app.dispatch.store().partners().await.unwrap()[0];
    assert_eq!((p.name.as_str(), p.rank, p.offer_timeout_s, p.active), ("Ojek Sehat Banyuwangi", 2, 90, true));
    assert_eq!(p.fare.cap_idr, None);
}
}

on_both_backends! {
async fn staff_see_a_kitchens_standing_routes_and_seal_one(app) {
    use antar::store::routes::{self as sr, StandingRoute};
    let social = app.token("social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.358).await;
    let pharmacy = app.site("pharmacy", "RSUD", -8.225, 114.35).await;
    let r = app
        .post("/api/v1/recipients", &social, &json!({"name": "Mbah Sarni", "location": {"lat": -8.21, "lon": 114.36}}))
        .await;
    let person: antar::domain::RecipientId = body(r).await["id"].as_str().unwrap().parse().unwrap();
    let route = StandingRoute {
        id: uuid::Uuid::now_v7(),
        site_id: kitchen.parse().unwrap(),
        name: "Rute 1".into(),
        sealed: false,
        sealed_by: None,
        recipients: vec![person],
        updated_at: Utc::now(),
    };
    let mut tx = app.dispatch.store().begin().await.unwrap();
    sr::save_standing_route(&mut tx, &route).await.unwrap();
    tx.commit().await.unwrap();
    user(&app, "sari", "social_worker", None).await;
    user(&app, "apoteker", "pharmacist", Some(&pharmacy)).await;

    let mut b = Browser::new(&app.base);
    b.login("sari", PASSWORD).await;
    let page = b.get(&format!("/routes?site={kitchen}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Rute 1") && page.text.contains("Bebas"), "{}", page.text);
    // Without the form's token nothing changes.
    let path = format!("/routes/{}/seal", route.id);
    let refused = b.post(&path, &[("sealed", "true")]).await;
    assert_eq!(refused.status, 403);
    assert!(!app.dispatch.store().standing_routes(route.site_id).await.unwrap()[0].sealed);
    let csrf = csrf_of(&page.text);
    let done = b.post(&path, &[("sealed", "true"), ("_csrf", &csrf)]).await;
    assert_eq!(done.status, 303);
    let stored = app.dispatch.store().standing_routes(route.site_id).await.unwrap();
    assert!(stored[0].sealed);
    assert_eq!(stored[0].sealed_by.as_deref(), Some("social_worker:sari"));
    let page = b.get(&format!("/routes?site={kitchen}&lang=en")).await;
    assert!(page.text.contains("Sealed") && page.text.contains("Unseal Rute 1"));
    // A pharmacist may not see a kitchen's routes.
    let mut p = Browser::new(&app.base);
    p.login("apoteker", PASSWORD).await;
    assert_eq!(p.get(&format!("/routes?site={kitchen}")).await.status, 403);
}
}

on_both_backends! {
async fn an_admin_adds_our_own_fleet_and_a_booking_api_partner_through_the_form(app) {
    user(&app, "root", "admin", None).await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("root", PASSWORD).await.status, 303);
    let page = b.get("/admin/partners").await;
    assert!(page.text.contains("id=\"p-kind\"") && page.text.contains("own_fleet"));
    let token = csrf_of(&page.text);
    let common = |name: &'static str, kind: &'static str, stops: &'static str| {
        vec![("name", name), ("kind", kind), ("rank", "1"), ("offer_timeout_s", "120"),
             ("max_stops", stops), ("capacity", "10"), ("base_idr", "0"), ("per_km_idr", "0"),
             ("cap_idr", "")]
    };
    // A booking API takes one stop per job: refused beside the field, nothing stored.
    let mut bad = common("Kurir Kilat", "booking_api", "3");
    bad.extend([("_csrf", token.as_str()), ("webhook_url", "http://127.0.0.1:9/api")]);
    let r = b.post("/admin/partners", &bad).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"p-stops-err\""), "{}", r.text);
    let mut bad_kind = common("Kurir Aneh", "pigeon", "1");
    bad_kind.push(("_csrf", token.as_str()));
    assert_eq!(b.post("/admin/partners", &bad_kind).await.status, 422);
    assert!(app.dispatch.store().partners().await.unwrap().is_empty());
    // Our own couriers need no URL; the concurrent-jobs limit is kept.
    let mut own = common("Armada Rantang Kasih", "own_fleet", "20");
    own.extend([("_csrf", token.as_str()), ("webhook_url", ""), ("max_concurrent_jobs", "3")]);
    let r = b.post("/admin/partners", &own).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let partners = app.dispatch.store().partners().await.unwrap();
    assert_eq!(partners.len(), 1);
    assert_eq!(partners[0].kind, antar::domain::PartnerKind::OwnFleet);
    assert_eq!(partners[0].webhook_url, None);
    assert_eq!(partners[0].capabilities.max_concurrent_jobs, Some(3));
}
}

on_both_backends! {
async fn an_admin_keeps_the_roster_of_our_couriers_through_the_form(app) {
    user(&app, "root", "admin", None).await;
    user(&app, "sari", "social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.358).await;
    let mut sw = Browser::new(&app.base);
    assert_eq!(sw.login("sari", PASSWORD).await.status, 303);
    assert_eq!(sw.get("/admin/couriers").await.status, 403);

    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("root", PASSWORD).await.status, 303);
    let page = b.get("/admin/couriers").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Belum ada kurir"), "{}", page.text);
    assert!(page.text.contains("<label for=\"c-trips\""));
    let token = csrf_of(&page.text);
    let fields = |capacity: &'static str| {
        vec![("site_id", kitchen.as_str()), ("name", "Pak Slamet"), ("phone", "0812-3333-4444"),
             ("vehicle", "Supra P 1234 AB"), ("capacity", capacity), ("max_stops", "10"),
             ("max_trips", "2"), ("work_start", "09:00"), ("work_end", "14:00"), ("active", "on")]
    };
    // A word for the load and no working day: both named beside their fields, nothing stored.
    let mut bad = fields("banyak");
    bad.push(("_csrf", &token));
    let r = b.post("/admin/couriers", &bad).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"c-capacity-err\""), "{}", r.text);
    assert!(r.text.contains("at least one day"), "{}", r.text);
    assert!(r.text.contains("value=\"Pak Slamet\""), "typed values kept");
    assert!(app.dispatch.store().couriers(None).await.unwrap().is_empty());
    // Monday to Saturday.
    let mut good = fields("12");
    good.extend([("_csrf", token.as_str()), ("d_mon", "on"), ("d_tue", "on"), ("d_wed", "on"),
                 ("d_thu", "on"), ("d_fri", "on"), ("d_sat", "on")]);
    assert_eq!(b.post("/admin/couriers", &good).await.status, 303);
    let stored = app.dispatch.store().couriers(None).await.unwrap();
    assert_eq!(stored.len(), 1);
    let c = &stored[0];
    assert_eq!((c.capacity, c.max_stops, c.max_trips), (12, 10, 2));
    assert_eq!(c.phone.as_str(), "+6281233334444");
    assert_eq!(c.working_days.names(), ["mon", "tue", "wed", "thu", "fri", "sat"]);
    let list = b.get("/admin/couriers").await;
    assert!(list.text.contains("Pak Slamet") && list.text.contains("Warung Bu Tin"), "{}", list.text);
    // One trip a day, and off the roster.
    let path = format!("/admin/couriers/{}", c.id);
    let edit = b.get(&path).await;
    assert!(edit.text.contains("value=\"Supra P 1234 AB\""), "{}", edit.text);
    let r = b
        .post(&path, &[("_csrf", token.as_str()), ("name", "Pak Slamet"), ("phone", "0812-3333-4444"),
              ("vehicle", "Supra P 1234 AB"), ("capacity", "12"), ("max_stops", "10"), ("max_trips", "9"),
              ("work_start", "09:00"), ("work_end", "14:00"), ("d_mon", "on")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("id=\"c-trips-err\""), "{}", r.text);
    assert_eq!(app.dispatch.store().couriers(None).await.unwrap()[0].max_trips, 2, "unchanged");
    let r = b
        .post(&path, &[("_csrf", token.as_str()), ("name", "Pak Slamet"), ("phone", "0812-3333-4444"),
              ("vehicle", "Supra P 1234 AB"), ("capacity", "12"), ("max_stops", "10"), ("max_trips", "1"),
              ("work_start", "09:00"), ("work_end", "14:00"), ("d_mon", "on")])
        .await;
    assert_eq!(r.status, 303);
    let c = &app.dispatch.store().couriers(None).await.unwrap()[0];
    assert_eq!(c.max_trips, 1);
    assert_eq!(c.working_days.names(), ["mon"]);
    assert!(!c.active, "the unticked box takes them off the roster");
}
}

on_both_backends! {
async fn pages_are_gzipped_for_clients_that_ask_and_live_events_are_not(app) {
    user(&app, "sari", "social_worker", None).await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.login("sari", PASSWORD).await.status, 303);
    let get = |path: &str, gzip: bool| {
        let mut r = b
            .client
            .get(format!("{}{path}", app.base))
            .header(reqwest::header::COOKIE, b.cookie_header());
        if gzip {
            r = r.header(reqwest::header::ACCEPT_ENCODING, "gzip");
        }
        r.send()
    };
    let plain = get("/static/antar.css", false).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    let zipped = get("/static/antar.css", true).await.unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let zipped_len = zipped.bytes().await.unwrap().len();
    assert!(zipped_len * 2 < plain_len, "{zipped_len} vs {plain_len}");
    let page = get("/today", true).await.unwrap();
    assert_eq!(page.headers()["content-encoding"], "gzip");
    // The event stream is never compressed, so each event reaches the page at once.
    let mut events = get("/today/events", true).await.unwrap();
    assert!(events.headers().get("content-encoding").is_none());
    let first = events.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: ready"));
}
}

#[tokio::test]
async fn a_partner_event_changes_a_delivery_on_an_open_today_page_without_a_reload() {
    use fantoccini::Locator;

    let Some((driver, chromium)) = browser_tools() else {
        return;
    };
    let app = TestApp::spawn_with(Backend::Sqlite, TOWN).await.unwrap();
    let (url, _seen) = accepting_partner().await;
    let keys = api_partner(&app, "Ojek Sehat", &url).await;
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.225, 114.35)
        .await;
    let pharmacist = app.token("pharmacist", Some(&site)).await;
    // A prescription due today, near the pharmacy.
    let now = Utc::now();
    let mut p = prescription("Ibu Sumiati");
    p["patient"]["location"] = json!({"lat": -8.215, "lon": 114.355});
    p["ready_at"] = json!(now.to_rfc3339());
    p["deliver_by"] = json!((now + Duration::hours(3)).to_rfc3339());
    let r = app.post("/api/v1/prescriptions", &pharmacist, &p).await;
    assert_eq!(r.status(), 201);
    let planned = plan(&app).await;
    let job_id = planned["job_ids"][0].as_str().expect("a job").to_owned();
    // The partner accepts the offer synchronously.
    deliver_outbox(&app, Utc::now()).await;
    let job = body(app.get(&format!("/api/v1/jobs/{job_id}"), &app.admin).await).await;
    assert_eq!(job["job"]["status"], "accepted", "{job}");
    let stop = job["stops"][0]["id"].as_str().unwrap().to_owned();

    user(&app, "sari", "social_worker", None).await;
    let driver = start_driver(&driver);
    let c = browser(&driver, &chromium).await;
    sign_in(&c, &app.base, "sari").await;
    let row = c
        .wait()
        .for_element(Locator::XPath(
            "//table[@id='deliveries']//tr[contains(., 'Ibu Sumiati')]",
        ))
        .await
        .unwrap();
    let before = row.text().await.unwrap();
    assert!(
        before.contains("ada kurir") || before.contains("ditawarkan"),
        "{before}"
    );
    assert!(
        c.find(Locator::Css("#deliveries td.s-delivered"))
            .await
            .is_err()
    );
    // The page's URL, to check later that it was not reloaded.
    let marker = "window.__antar_no_reload = true; return true;";
    c.execute(marker, vec![]).await.unwrap();

    // The partner reports the handover over HTTP, signed.
    let delivered = json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": 1,
                           "stop_id": stop, "proof": {"recipient_name": "Sumiati"}});
    assert_eq!(send_event(&app, &keys, "evt_live_1", &delivered).await, 200);

    let cell = c
        .wait()
        .for_element(Locator::Css("#deliveries td.s-delivered"))
        .await
        .unwrap();
    assert!(cell.text().await.unwrap().contains("terkirim"));
    let same_page = c
        .execute("return window.__antar_no_reload === true;", vec![])
        .await
        .unwrap();
    assert_eq!(same_page, json!(true), "updated in place, not reloaded");
    c.close().await.unwrap();
    drop(driver);
}
