//! Prescription intake as pharmacy staff use it.

use reqwest::Method;
use serde_json::json;

use crate::on_both_backends;
use crate::support::*;

/// Run futures concurrently on the test runtime and collect their outputs in order.
async fn futures_join<F: std::future::Future + Send + 'static>(futs: Vec<F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

on_both_backends! {
    async fn a_prescription_is_created_once_per_idempotency_key(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let pharmacist = app.token("pharmacist", Some(&site)).await;
        let body_json = prescription("Ibu Siti");
        let send = |b: serde_json::Value| {
            app.req(Method::POST, "/api/v1/prescriptions", Some(&pharmacist)).header("Idempotency-Key", "rx-42").json(&b).send()
        };
        let first = send(body_json.clone()).await.unwrap();
        assert_eq!(first.status(), 201);
        let first = body(first).await;
        assert_eq!(first["status"], "ready");
        assert_eq!(first["phone"], "+6281234567890");
        assert_eq!(first["site_id"], site.as_str());
        let again = send(body_json.clone()).await.unwrap();
        assert_eq!(again.status(), 200);
        assert_eq!(body(again).await["id"], first["id"]);
        let mut other = body_json.clone();
        other["parcels"] = json!(3);
        assert_problem(send(other).await.unwrap(), 409, "idempotency_key_reused", None).await;
        let list = body(app.get("/api/v1/prescriptions", &pharmacist).await).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "only one order stored: {list}");
    }

    async fn concurrent_retries_with_one_key_store_one_order(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        let b = prescription("Ibu Siti");
        let sends: Vec<_> = (0..8)
            .map(|_| app.req(Method::POST, "/api/v1/prescriptions", Some(&p)).header("Idempotency-Key", "same").json(&b).send())
            .collect();
        let mut ids = std::collections::BTreeSet::new();
        let mut created = 0;
        for r in futures_join(sends).await {
            let r = r.unwrap();
            assert!(r.status() == 201 || r.status() == 200, "{}", r.status());
            created += usize::from(r.status() == 201);
            ids.insert(body(r).await["id"].as_str().unwrap().to_owned());
        }
        assert_eq!((created, ids.len()), (1, 1));
        assert_eq!(body(app.get("/api/v1/prescriptions", &p).await).await.as_array().unwrap().len(), 1);
    }

    async fn more_concurrent_creates_than_pooled_connections_all_succeed(app) {
        // Regression: a create once held its transaction while waiting for a second pooled
        // connection; with more concurrent creates than connections (PostgreSQL) all waited.
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        app.put("/api/v1/admin/service-area", &app.admin, &json!({"type": "bbox", "min": {"lat": -8.8, "lon": 113.8}, "max": {"lat": -7.7, "lon": 114.6}})).await;
        let sends: Vec<_> = (0..40)
            .map(|i| app.req(Method::POST, "/api/v1/prescriptions", Some(&p)).json(&prescription(&format!("Pasien {i}"))).send())
            .collect();
        for r in futures_join(sends).await {
            assert_eq!(r.unwrap().status(), 201);
        }
        let listed = body(app.get("/api/v1/prescriptions?per_page=100", &p).await).await;
        assert_eq!(listed.as_array().unwrap().len(), 40);
    }

    async fn controlled_medicine_gets_a_pin_once_and_cancel_only_before_pickup(app) {
        let site = app.site("pharmacy", "RSUD Genteng", -8.36, 114.15).await;
        let pharmacist = app.token("pharmacist", Some(&site)).await;
        let mut b = prescription("Bapak Hasan");
        b["controlled"] = json!(true);
        b["cold_chain_max_minutes"] = json!(60);
        let created = body(app.post("/api/v1/prescriptions", &pharmacist, &b).await).await;
        let pin = created["handover_pin"].as_str().unwrap();
        assert_eq!(pin.len(), 6);
        let id = created["id"].as_str().unwrap();
        let got = body(app.get(&format!("/api/v1/prescriptions/{id}"), &pharmacist).await).await;
        assert!(got.get("handover_pin").is_none(), "the PIN is shown only at creation");
        assert_eq!(got["clinical_notes"], "DM tipe 2, insulin");
        assert_eq!(got["history"][0]["to"], "ready");
        let cancelled = app.post(&format!("/api/v1/prescriptions/{id}/cancel"), &pharmacist, &json!({"reason": "pasien rawat inap"})).await;
        assert_eq!(cancelled.status(), 200);
        assert_eq!(body(cancelled).await["status"], "cancelled");
        let twice = app.post(&format!("/api/v1/prescriptions/{id}/cancel"), &pharmacist, &json!({})).await;
        assert_problem(twice, 409, "illegal_transition", None).await;
        let got = body(app.get(&format!("/api/v1/prescriptions/{id}"), &pharmacist).await).await;
        assert_eq!(got["status"], "cancelled");
        assert_eq!(got["history"].as_array().unwrap().len(), 2);
    }

    async fn a_pharmacist_only_ever_sees_their_own_sites_orders(app) {
        let a = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let b = app.site("pharmacy", "Puskesmas Giri", -8.19, 114.33).await;
        let pa = app.token("pharmacist", Some(&a)).await;
        let pb = app.token("pharmacist", Some(&b)).await;
        let order = body(app.post("/api/v1/prescriptions", &pa, &prescription("Ibu Ani")).await).await;
        let id = order["id"].as_str().unwrap();
        assert_problem(app.get(&format!("/api/v1/prescriptions/{id}"), &pb).await, 404, "not_found", None).await;
        assert_problem(app.post(&format!("/api/v1/prescriptions/{id}/cancel"), &pb, &json!({})).await, 404, "not_found", None).await;
        let list = body(app.get("/api/v1/prescriptions", &pb).await).await;
        assert!(list.as_array().unwrap().is_empty());
        let mut foreign = prescription("Ibu Ani");
        foreign["site_id"] = json!(a);
        assert_problem(app.post("/api/v1/prescriptions", &pb, &foreign).await, 422, "not_your_site", Some("site_id")).await;
        // The admin sees both sites, and the order is untouched.
        let all = body(app.get("/api/v1/orders", &app.admin).await).await;
        assert_eq!(all.as_array().unwrap().len(), 1);
        assert_eq!(all[0]["status"], "ready");
    }

    async fn a_prescription_without_a_pin_waits_for_a_location(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        let mut b = prescription("Mbah Karto");
        b["patient"].as_object_mut().unwrap().remove("location");
        let created = body(app.post("/api/v1/prescriptions", &p, &b).await).await;
        assert_eq!(created["status"], "needs_location");
        let list = body(app.get("/api/v1/prescriptions?status=needs_location", &p).await).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        let list = body(app.get("/api/v1/prescriptions?status=ready", &p).await).await;
        assert!(list.as_array().unwrap().is_empty());
    }

    async fn listing_filters_by_local_date_and_pages(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        // 2031-03-03T17:30Z is 00:30 on 4 March in Jakarta: it belongs to the 4th.
        for (i, start) in ["2031-03-03T01:00:00Z", "2031-03-03T16:59:00Z", "2031-03-03T17:30:00Z"].iter().enumerate() {
            let mut b = prescription(&format!("Pasien {i}"));
            b["ready_at"] = json!(start);
            b["deliver_by"] = json!("2031-03-04T10:00:00Z");
            assert_eq!(app.post("/api/v1/prescriptions", &p, &b).await.status(), 201);
        }
        let third = body(app.get("/api/v1/prescriptions?date=2031-03-03", &p).await).await;
        assert_eq!(third.as_array().unwrap().len(), 2);
        let fourth = body(app.get("/api/v1/prescriptions?date=2031-03-04", &p).await).await;
        assert_eq!(fourth.as_array().unwrap().len(), 1);
        assert_eq!(fourth[0]["recipient_name"], "Pasien 2");
        let page2 = body(app.get("/api/v1/prescriptions?per_page=2&page=2", &p).await).await;
        assert_eq!(page2.as_array().unwrap().len(), 1);
        assert_problem(app.get("/api/v1/prescriptions?status=flying", &p).await, 422, "invalid_value", Some("status")).await;
    }

    async fn a_csv_with_a_bad_row_stores_nothing_unless_partial(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        let csv = "patient_name,phone,lat,lon,parcels,controlled,ready_at,deliver_by\n\
                   Ibu Siti,081234567890,-8.2191,114.3691,1,no,2031-03-03T08:00:00+07:00,2031-03-03T12:00:00+07:00\n\
                   Bapak Budi,12,-8.2,114.3,0,ya,2031-03-03T08:00:00+07:00,2031-03-03T12:00:00+07:00\n\
                   \n\
                   Ibu Rina,,\"-8,21\",\"114,37\",2,yes,2031-03-03T08:00:00+07:00,2031-03-03T12:00:00+07:00\n";
        let send = |q: &'static str| {
            app.req(Method::POST, &format!("/api/v1/prescriptions/import{q}"), Some(&p))
                .header("content-type", "text/csv")
                .body(csv)
                .send()
        };
        let r = send("").await.unwrap();
        assert_eq!(r.status(), 422);
        let report = body(r).await;
        assert_eq!(report["committed"], false);
        assert!(report["created"].as_array().unwrap().is_empty());
        let rejected = report["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0]["row"], 3);
        let fields: Vec<_> = rejected[0]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"phone") && fields.contains(&"parcels"), "{fields:?}");
        assert!(body(app.get("/api/v1/prescriptions", &p).await).await.as_array().unwrap().is_empty());

        let r = send("?partial=true").await.unwrap();
        assert_eq!(r.status(), 201);
        let report = body(r).await;
        let rows: Vec<_> = report["created"].as_array().unwrap().iter().map(|c| c["row"].as_u64().unwrap()).collect();
        assert_eq!(rows, vec![2, 5]);
        assert_eq!(report["created"][1]["handover_pin"].as_str().unwrap().len(), 6);
        let stored = body(app.get("/api/v1/prescriptions", &p).await).await;
        assert_eq!(stored.as_array().unwrap().len(), 2);
    }

    async fn locations_arrive_as_links_plus_codes_or_text(app) {
        // The pharmacy is in Banyuwangi town: short Plus Codes are recovered near it.
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2191, 114.3691).await;
        let p = app.token("pharmacist", Some(&site)).await;
        let with_text = |text: &str| {
            let mut b = prescription("Ibu Siti");
            b["patient"].as_object_mut().unwrap().remove("location");
            b["patient"]["location_text"] = json!(text);
            b
        };
        let link = body(app.post("/api/v1/prescriptions", &p, &with_text("https://www.google.com/maps/place/Rumah/@-8.2,114.3,17z/data=!3d-8.2191!4d114.3691")).await).await;
        assert_eq!((link["location_source"].as_str(), link["status"].as_str()), (Some("link"), Some("ready")));
        assert!((link["location"]["lat"].as_f64().unwrap() + 8.2191).abs() < 1e-6);
        let code = body(app.post("/api/v1/prescriptions", &p, &with_text("Q9J9+9J Banyuwangi")).await).await;
        assert_eq!(code["location_source"], "plus_code");
        assert!((code["location"]["lat"].as_f64().unwrap() + 8.22).abs() < 0.01, "{code}");
        let dms = body(app.post("/api/v1/prescriptions", &p, &with_text("8°13'08.8\"S 114°22'08.8\"E")).await).await;
        assert_eq!(dms["location_source"], "pin");
        let r = app.post("/api/v1/prescriptions", &p, &with_text("https://maps.app.goo.gl/abc123")).await;
        let problem = assert_problem(r, 422, "validation_failed", Some("patient.location_text")).await;
        assert!(problem["errors"][0]["reason"].as_str().unwrap().contains("koordinat"), "{problem}");
        let mut both = with_text("-8.2, 114.3");
        both["patient"]["location"] = json!({"lat": -8.2, "lon": 114.3});
        assert_problem(app.post("/api/v1/prescriptions", &p, &both).await, 422, "conflicting_location", Some("patient.location_text")).await;
        let csv = "patient_name,location,parcels,ready_at,deliver_by\n\
                   Ibu Rina,\"-8,2191; 114,3691\",1,2031-03-03T08:00:00+07:00,2031-03-03T12:00:00+07:00\n";
        let r = app.req(Method::POST, "/api/v1/prescriptions/import", Some(&p)).header("content-type", "text/csv").body(csv).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(body(app.get("/api/v1/prescriptions", &p).await).await.as_array().unwrap().len(), 4);
    }

    async fn a_csv_with_a_missing_column_names_it(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        let r = app
            .req(Method::POST, "/api/v1/prescriptions/import", Some(&p))
            .header("content-type", "text/csv")
            .body("patient_name,parcels,ready_at\nX,1,2031-03-03T08:00:00+07:00\n")
            .send()
            .await
            .unwrap();
        assert_problem(r, 422, "missing_column", Some("deliver_by")).await;
    }
}

mod roads_at_intake {
    use super::*;

    async fn run(app: TestApp) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.22, 114.34).await;
        let p = app.token("pharmacist", Some(&site)).await;
        let mut near = prescription("Ibu Siti");
        near["patient"]["location"] = json!({"lat": -8.2200, "lon": 114.3400});
        let near = body(app.post("/api/v1/prescriptions", &p, &near).await).await;
        assert!(near["snap_distance_m"].as_f64().unwrap() < 500.0, "{near}");
        assert_eq!(near["far_from_road"], false);
        // About 5 km east of the town's last road: accepted, but flagged with the distance.
        let mut far = prescription("Pak Darmo");
        far["patient"]["location"] = json!({"lat": -8.22, "lon": 114.43});
        let r = app.post("/api/v1/prescriptions", &p, &far).await;
        assert_eq!(r.status(), 201);
        let far = body(r).await;
        assert_eq!(far["status"], "ready");
        assert_eq!(far["far_from_road"], true);
        assert!(far["snap_distance_m"].as_f64().unwrap() > 4000.0, "{far}");
    }

    #[tokio::test]
    async fn a_far_pin_is_accepted_but_flagged_with_its_distance() {
        run(
            TestApp::spawn_with(Backend::Sqlite, "fixtures/roads/banyuwangi-town.osm")
                .await
                .unwrap(),
        )
        .await
    }
}

/// A stand-in for the internet, used as the resolver's HTTP proxy: `maps.app.goo.gl/abc`
/// redirects to a Google Maps place, `/hop` to `/abc`, anything else is not found.
async fn short_link_service() -> String {
    use axum::http::{StatusCode, Uri, header::LOCATION};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(|uri: Uri| async move {
        let target = match (uri.host(), uri.path()) {
            (Some("maps.app.goo.gl"), "/abc") => {
                Some("https://www.google.com/maps/place/Rumah+Bu+Sri/@-8.2191,114.3691,17z")
            }
            (Some("maps.app.goo.gl"), "/hop") => Some("http://maps.app.goo.gl/abc"),
            _ => None,
        };
        match target {
            Some(t) => (StatusCode::FOUND, [(LOCATION, t)]).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn short_links_are_followed_where_the_setting_allows(backend: Backend) {
    let proxy = short_link_service().await;
    let Some(app) = TestApp::spawn_custom(backend, "", |s| {
        s.dispatch.resolve_short_links = true;
        s.dispatch.http_proxy = proxy.clone();
    })
    .await
    else {
        return;
    };
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.2191, 114.3691)
        .await;
    let p = app.token("pharmacist", Some(&site)).await;
    let with_text = |text: &str| {
        let mut b = prescription("Ibu Sri");
        b["patient"].as_object_mut().unwrap().remove("location");
        b["patient"]["location_text"] = json!(text);
        b
    };
    for link in ["http://maps.app.goo.gl/abc", "http://maps.app.goo.gl/hop"] {
        let r = app
            .post("/api/v1/prescriptions", &p, &with_text(link))
            .await;
        assert_eq!(r.status(), 201, "{link}");
        let o = body(r).await;
        assert_eq!(o["location_source"], "link");
        assert!(
            (o["location"]["lat"].as_f64().unwrap() + 8.2191).abs() < 1e-6,
            "{o}"
        );
    }
    // A link that leads nowhere is refused with the usual advice, and nothing is stored.
    let r = app
        .post(
            "/api/v1/prescriptions",
            &p,
            &with_text("http://maps.app.goo.gl/gone"),
        )
        .await;
    let problem = assert_problem(r, 422, "validation_failed", Some("patient.location_text")).await;
    assert_eq!(problem["errors"][0]["code"], "location_short_link");
    assert_eq!(
        body(app.get("/api/v1/prescriptions", &p).await)
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Recipients too.
    let social = app.token("social_worker", None).await;
    let r = app
        .post(
            "/api/v1/recipients",
            &social,
            &json!({"name": "Mbah Sri", "location_text": "http://maps.app.goo.gl/abc"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(body(r).await["location_source"], "link");
    // Without the setting a short link is refused.
    let Some(plain) = TestApp::spawn(backend).await else {
        return;
    };
    let site = plain.site("pharmacy", "RSUD", -8.2191, 114.3691).await;
    let p = plain.token("pharmacist", Some(&site)).await;
    let r = plain
        .post(
            "/api/v1/prescriptions",
            &p,
            &with_text("http://maps.app.goo.gl/abc"),
        )
        .await;
    assert_problem(r, 422, "validation_failed", Some("patient.location_text")).await;
}

#[tokio::test]
async fn short_links_sqlite() {
    short_links_are_followed_where_the_setting_allows(Backend::Sqlite).await;
}

#[tokio::test]
async fn short_links_postgres() {
    short_links_are_followed_where_the_setting_allows(Backend::Postgres).await;
}
