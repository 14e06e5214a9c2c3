//! Our own fleet end to end over loopback: couriers, partner kinds, own-fleet offers that assign
//! a courier or fail over, the courier's signed link, and courier actions that move orders
//! exactly as partner callbacks do (PIN, welfare and unwell alerts, returns), once per action id.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::bookings::{booking_partner, booking_pass, booking_time};
use crate::dispatch::{
    deliver_all, job, mock_partner, order_status, partner, pharmacy_with_orders, plan,
};
use crate::support::*;
use crate::with_town;

async fn own_fleet(app: &TestApp, rank: i64) -> String {
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": "Armada Rantang Kasih", "kind": "own_fleet", "rank": rank,
                    "capabilities": {"max_stops": 20, "capacity": 50, "cold_box": true, "controlled_handover": true},
                    "fare": {"base_idr": 0, "per_km_idr": 0}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let b = body(r).await;
    assert_eq!(b["kind"], "own_fleet");
    b["id"].as_str().unwrap().to_owned()
}

async fn courier(app: &TestApp, site: &str, name: &str, capacity: u32) -> String {
    let r = app
        .post(
            "/api/v1/couriers",
            &app.admin,
            &json!({"site_id": site, "name": name, "phone": "0812-3333-4444", "vehicle": "Honda Supra P 1234 AB",
                    "capacity": capacity, "max_stops": 8}),
        )
        .await;
    assert_eq!(r.status(), 201);
    body(r).await["id"].as_str().unwrap().to_owned()
}

async fn couriers(app: &TestApp, token: &str) -> Value {
    body(app.get("/api/v1/couriers", token).await).await
}

/// Post one courier-page action; returns (status, body).
async fn act(app: &TestApp, link: &str, action: &Value) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}{link}/events", app.base))
        .json(action)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

with_town! {
    async fn couriers_are_added_listed_and_changed_and_bad_input_changes_nothing(app) {
        let site = app.site("kitchen", "Warung Bu Tin", -8.22, 114.352).await;
        let other = app.site("pharmacy", "RSUD Genteng", -8.36, 114.15).await;
        let id = courier(&app, &site, "Pak Slamet", 12).await;
        courier(&app, &other, "Mas Joko", 6).await;
        let all = couriers(&app, &app.admin).await;
        assert_eq!(all.as_array().unwrap().len(), 2);
        let c = all.as_array().unwrap().iter().find(|c| c["id"] == id.as_str()).unwrap();
        assert_eq!(c["phone"], "+6281233334444");
        assert_eq!(c["work_start"], "06:00");
        assert_eq!(c["working_days"].as_array().unwrap().len(), 7);
        // A pharmacist sees only their own site's couriers.
        let pharmacist = app.token("pharmacist", Some(&other)).await;
        let mine = couriers(&app, &pharmacist).await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["name"], "Mas Joko");
        // Only an admin adds couriers.
        let r = app.post("/api/v1/couriers", &pharmacist, &json!({"site_id": other, "name": "X", "phone": "081233334444",
            "vehicle": "Vario", "capacity": 3, "max_stops": 3})).await;
        assert_eq!(r.status(), 403);

        for (bad, field, code) in [
            (json!({"site_id": site, "name": "A", "phone": "12", "vehicle": "V", "capacity": 3, "max_stops": 3}), "phone", "invalid_phone"),
            (json!({"site_id": site, "name": "A", "phone": "081233334444", "vehicle": "V", "capacity": 0, "max_stops": 3}), "capacity", "out_of_range"),
            (json!({"site_id": site, "name": " ", "phone": "081233334444", "vehicle": "V", "capacity": 3, "max_stops": 3}), "name", "required"),
            (json!({"site_id": site, "name": "A", "phone": "081233334444", "vehicle": "V", "capacity": 3, "max_stops": 3,
                    "work_start": "15:00", "work_end": "07:00"}), "work_end", "out_of_range"),
            (json!({"site_id": site, "name": "A", "phone": "081233334444", "vehicle": "V", "capacity": 3, "max_stops": 3,
                    "working_days": ["caturday"]}), "working_days", "invalid_value"),
            (json!({"site_id": uuid::Uuid::now_v7(), "name": "A", "phone": "081233334444", "vehicle": "V", "capacity": 3, "max_stops": 3}), "site_id", "unknown_site"),
        ] {
            let r = app.post("/api/v1/couriers", &app.admin, &bad).await;
            assert_problem(r, 422, code, Some(field)).await;
        }
        assert_eq!(couriers(&app, &app.admin).await.as_array().unwrap().len(), 2, "refused input added nobody");

        let r = app.req(reqwest::Method::PATCH, &format!("/api/v1/couriers/{id}"), Some(&app.admin))
            .json(&json!({"capacity": 20, "work_start": "07:30", "working_days": ["senin", "rabu"]})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let c = body(r).await;
        assert_eq!(c["capacity"], 20);
        assert_eq!(c["work_start"], "07:30");
        assert_eq!(c["working_days"], json!(["mon", "wed"]));
        let r = app.req(reqwest::Method::PATCH, &format!("/api/v1/couriers/{id}"), Some(&app.admin))
            .json(&json!({"capacity": 5, "work_end": "06:00"})).send().await.unwrap();
        assert_problem(r, 422, "out_of_range", Some("work_end")).await;
        let c = couriers(&app, &app.admin).await;
        let c = c.as_array().unwrap().iter().find(|c| c["id"] == id.as_str()).unwrap().clone();
        assert_eq!(c["capacity"], 20, "a refused change changes nothing");
        let r = app.req(reqwest::Method::PATCH, &format!("/api/v1/couriers/{}", uuid::Uuid::now_v7()), Some(&app.admin))
            .json(&json!({"capacity": 5})).send().await.unwrap();
        assert_eq!(r.status(), 404);

        // Partner kinds are a named set; a booking API takes one drop per booking.
        let base = json!({"name": "Kurir X", "capabilities": {"max_stops": 3, "capacity": 3}, "fare": {"base_idr": 1, "per_km_idr": 1}});
        let mut bad = base.clone();
        bad["kind"] = json!("bicycle");
        assert_problem(app.post("/api/v1/admin/partners", &app.admin, &bad).await, 422, "invalid_value", Some("kind")).await;
        let mut booking = base.clone();
        booking["kind"] = json!("booking_api");
        booking["webhook_url"] = json!("https://kurir.example/api");
        assert_problem(app.post("/api/v1/admin/partners", &app.admin, &booking).await, 422, "out_of_range", Some("capabilities.max_stops")).await;
        let listed = body(app.get("/api/v1/admin/partners", &app.admin).await).await;
        assert!(listed.as_array().unwrap().is_empty(), "{listed}");
        let fleet = own_fleet(&app, 1).await;
        // Its kind cannot change under it.
        let r = app.put(&format!("/api/v1/admin/partners/{fleet}"), &app.admin,
            &json!({"name": "Armada Rantang Kasih", "kind": "webhook", "webhook_url": "https://x.example/hook",
                    "capabilities": {"max_stops": 20, "capacity": 50}, "fare": {"base_idr": 0, "per_km_idr": 0}})).await;
        assert_problem(r, 422, "immutable", Some("kind")).await;
        let listed = body(app.get("/api/v1/admin/partners", &app.admin).await).await;
        assert_eq!(listed[0]["kind"], "own_fleet");
    }

    async fn an_own_fleet_offer_assigns_a_free_courier_or_fails_over_and_staff_reassign(app) {
        let fleet = own_fleet(&app, 1).await;
        let (url, mock) = mock_partner(vec![]).await;
        let ojek = partner(&app, "Ojek Sehat", &url, 2, true).await;
        let (site, pharmacist, orders) = pharmacy_with_orders(&app, 3, false).await;
        let small = courier(&app, &site, "Aan Kecil", 2).await;
        let budi = courier(&app, &site, "Budi", 10).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "courier_assigned", "{j}");
        assert_eq!(j["job"]["partner_id"], fleet.as_str());
        assert_eq!(j["job"]["courier"]["courier_id"], budi.as_str(), "the small courier cannot carry 3");
        assert_eq!(j["offers"][0]["status"], "accepted");
        for (o, _) in &orders {
            assert_eq!(order_status(&app, o).await, "assigned");
        }
        let link = j["courier_link"].as_str().unwrap().to_owned();
        assert!(link.starts_with("/kurir/"), "{link}");
        // Nothing goes out by webhook for our own couriers.
        deliver_all(&app, Utc::now()).await;
        assert!(mock.lock().unwrap().seen.is_empty());

        // The next job: Budi is busy and Aan too small, so the fleet declines and the webhook
        // partner gets the offer.
        let pharmacist_orders = {
            let mut ids = Vec::new();
            for i in 0..5 {
                let mut pr = prescription(&format!("Sumarni {i}"));
                pr["patient"]["location"] = json!({"lat": -8.216 + 0.002 * i as f64, "lon": 114.356});
                pr["ready_at"] = json!("2031-03-04T02:00:00Z");
                pr["deliver_by"] = json!("2031-03-04T06:00:00Z");
                let r = app.post("/api/v1/prescriptions", &pharmacist, &pr).await;
                assert_eq!(r.status(), 201);
                ids.push(body(r).await["id"].as_str().unwrap().to_owned());
            }
            ids
        };
        // The plan sees our free couriers: it may give Aan what he can carry in two trips of
        // two, and the job he cannot take is declined by the fleet and offered on.
        let p2 = plan(&app).await;
        let mut declined = None;
        for id in p2["job_ids"].as_array().unwrap() {
            let j = job(&app, id.as_str().unwrap()).await;
            if j["offers"][0]["status"] == "rejected" {
                declined = Some((id.as_str().unwrap().to_owned(), j));
            } else {
                assert_eq!(j["job"]["courier"]["courier_id"], small.as_str(), "{j}");
            }
        }
        let (job2, j2) = declined.expect("a job the fleet had no courier for");
        assert_eq!(j2["job"]["status"], "offered", "{j2}");
        assert_eq!(j2["offers"][0]["partner_id"], fleet.as_str());
        assert_eq!(j2["offers"][0]["status"], "rejected");
        let reason = j2["offers"][0]["reason"].as_str().unwrap();
        assert!(reason.starts_with("no_courier_free"), "{reason}");
        assert!(reason.contains("Budi is on another job") && reason.contains("Aan Kecil"), "{reason}");
        assert_eq!(j2["offers"][1]["partner_id"], ojek.id.as_str());
        assert_eq!(j2["offers"][1]["status"], "pending");
        assert!(j2.get("courier_link").is_none());
        for st in j2["stops"].as_array().unwrap() {
            let o = st["order_id"].as_str().unwrap();
            assert!(pharmacist_orders.iter().any(|x| x == o));
            assert_eq!(order_status(&app, o).await, "offered");
        }

        // Staff give the first job to another courier: the old link stops working.
        let cici = courier(&app, &site, "Cici", 10).await;
        let r = app.post(&format!("/api/v1/jobs/{job_id}/courier"), &pharmacist, &json!({"courier_id": small})).await;
        assert_problem(r, 422, "courier_too_small", Some("courier_id")).await;
        let r = app.post(&format!("/api/v1/jobs/{job2}/courier"), &pharmacist, &json!({"courier_id": cici})).await;
        assert_problem(r, 409, "job_not_own_fleet", None).await;
        let r = app.post(&format!("/api/v1/jobs/{job_id}/courier"), &pharmacist, &json!({"courier_id": cici})).await;
        assert_eq!(r.status(), 200);
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["courier"]["name"], "Cici");
        let new_link = j["courier_link"].as_str().unwrap_or_else(|| panic!("{j}")).to_owned();
        assert_ne!(new_link, link);
        let old = app.client.get(format!("{}{link}", app.base)).send().await.unwrap();
        assert_eq!(old.status(), 410);
        assert!(old.text().await.unwrap().contains("dialihkan"));
        let new = app.client.get(format!("{}{new_link}", app.base)).send().await.unwrap();
        assert_eq!(new.status(), 200);
        let (status, _) = act(&app, &link, &json!({"event_id": "x1", "seq": 1, "action": "picked_up"})).await;
        assert_eq!(status, 410, "the old courier can no longer report");
        let (status, b) = act(&app, &new_link, &json!({"event_id": "x1", "seq": 1, "action": "picked_up"})).await;
        assert_eq!((status, b["status"].as_str()), (200, Some("applied")));
        assert_eq!(order_status(&app, &orders[0].0).await, "picked_up");
    }

    async fn a_courier_link_shows_no_clinical_data_and_refuses_tampering_and_expiry(app) {
        own_fleet(&app, 1).await;
        let (site, _, _) = pharmacy_with_orders(&app, 2, true).await;
        courier(&app, &site, "Budi", 10).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let j = job(&app, &job_id).await;
        let link = j["courier_link"].as_str().unwrap().to_owned();
        let r = app.client.get(format!("{}{link}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        for must in ["Diantar", "Tidak di rumah", "Sakit, perlu perhatian", "Menolak", "Buka di Maps",
                     "tel:+6281234567890", "depan masjid", "PIN dari pasien"] {
            assert!(page.contains(must), "{must:?} missing from the courier page");
        }
        for secret in ["insulin", "DM tipe", "RM-001", "Siti Aminah", "clinical"] {
            assert!(!page.contains(secret), "{secret:?} leaked into the courier page");
        }
        println!("courier page: {} bytes", page.len());
        assert!(page.len() < 16 * 1024, "the page stays small for 2G: {} bytes", page.len());

        // Tampered: one character of the signature, of the payload, or garbage.
        let token = link.trim_start_matches("/kurir/");
        let (payload, mac) = token.split_once('.').unwrap();
        let flip = |s: &str| {
            let mut c: Vec<char> = s.chars().collect();
            c[3] = if c[3] == 'A' { 'B' } else { 'A' };
            c.into_iter().collect::<String>()
        };
        for bad in [format!("{payload}.{}", flip(mac)), format!("{}.{mac}", flip(payload)), "xyz".into()] {
            let r = app.client.get(format!("{}/kurir/{bad}", app.base)).send().await.unwrap();
            assert_eq!(r.status(), 403, "{bad}");
            assert!(r.text().await.unwrap().contains("tidak sah"));
            let (status, b) = act(&app, &format!("/kurir/{bad}"), &json!({"event_id": "e1", "seq": 1, "action": "picked_up"})).await;
            assert_eq!(status, 403, "{b}");
        }
        // Expired: the same job and courier, signed with an expiry in the past.
        let courier_id: uuid::Uuid = j["job"]["courier"]["courier_id"].as_str().unwrap().parse().unwrap();
        let old = app.dispatch.courier_token(job_id.parse().unwrap(), antar::domain::CourierId(courier_id),
            Utc::now() - Duration::minutes(1));
        let r = app.client.get(format!("{}/kurir/{old}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 410);
        assert!(r.text().await.unwrap().contains("kedaluwarsa"));
        let (status, _) = act(&app, &format!("/kurir/{old}"), &json!({"event_id": "e1", "seq": 1, "action": "picked_up"})).await;
        assert_eq!(status, 410);
        assert!(app.dispatch.store().job_events(job_id.parse().unwrap()).await.unwrap().is_empty(), "refused actions recorded nothing");
    }

    async fn courier_actions_move_orders_like_partner_events_once_per_action(app) {
        own_fleet(&app, 1).await;
        let (site, pharmacist, orders) = pharmacy_with_orders(&app, 2, true).await;
        courier(&app, &site, "Budi", 10).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let j = job(&app, &job_id).await;
        let link = j["courier_link"].as_str().unwrap().to_owned();
        let stops: Vec<(String, String)> = j["stops"].as_array().unwrap().iter()
            .map(|s| (s["id"].as_str().unwrap().to_owned(), s["order_id"].as_str().unwrap().to_owned())).collect();
        let pin = orders.iter().find_map(|(_, pin)| pin.clone()).unwrap();
        let controlled = orders.iter().find(|(_, pin)| pin.is_some()).unwrap().0.clone();
        let (stop_c, _) = stops.iter().find(|(_, o)| *o == controlled).unwrap().clone();
        let (stop_f, order_f) = stops.iter().find(|(_, o)| *o != controlled).unwrap().clone();

        let (s, b) = act(&app, &link, &json!({"event_id": "a1", "seq": 1, "action": "picked_up"})).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("applied")));
        assert_eq!(order_status(&app, &controlled).await, "picked_up");
        // Controlled medicine: no PIN, a wrong PIN, then the right one.
        let (s, b) = act(&app, &link, &json!({"event_id": "a2", "seq": 2, "action": "delivered", "stop_id": stop_c})).await;
        assert_eq!((s, b["code"].as_str()), (422, Some("pin_required")));
        let (s, b) = act(&app, &link, &json!({"event_id": "a3", "seq": 3, "action": "delivered", "stop_id": stop_c, "pin": "999999x"})).await;
        assert_eq!((s, b["code"].as_str()), (422, Some("wrong_pin")));
        assert!(b["detail"].as_str().unwrap().contains("PIN salah"));
        // Handing it to a patient found unwell needs the PIN as well.
        let (s, b) = act(&app, &link, &json!({"event_id": "a3u", "seq": 3, "action": "unwell", "stop_id": stop_c})).await;
        assert_eq!((s, b["code"].as_str()), (422, Some("pin_required")));
        assert_eq!(order_status(&app, &controlled).await, "picked_up");
        let right = json!({"event_id": "a4", "seq": 4, "action": "delivered", "stop_id": stop_c, "pin": pin,
                           "occurred_at": Utc::now() - Duration::minutes(3)});
        let (s, b) = act(&app, &link, &right).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("applied")));
        assert_eq!(order_status(&app, &controlled).await, "delivered");
        // The phone sends it again (its answer was lost): acknowledged, nothing twice.
        let (s, b) = act(&app, &link, &right).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("duplicate")));
        // Nobody home: the medicine goes back to the pharmacy, which is alerted.
        let (s, _) = act(&app, &link, &json!({"event_id": "a5", "seq": 5, "action": "not_home", "stop_id": stop_f, "note": "Rumah kosong"})).await;
        assert_eq!(s, 200);
        assert_eq!(order_status(&app, &order_f).await, "returning");
        let alerts = body(app.get("/api/v1/alerts?kind=medicine_failed", &pharmacist).await).await;
        assert_eq!(alerts[0]["order_id"], order_f.as_str());
        assert_eq!(alerts[0]["reason"], "not_home");
        assert_eq!(alerts[0]["note"], "Rumah kosong");
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "completed");
        // Bad actions are refused clearly.
        let (s, _) = act(&app, &link, &json!({"event_id": "a6", "seq": 6, "action": "dance", "stop_id": stop_f})).await;
        assert_eq!(s, 422);
        let (s, _) = act(&app, &link, &json!({"event_id": "a b", "seq": 6, "action": "note", "stop_id": stop_f, "note": "x"})).await;
        assert_eq!(s, 422);
        let events = app.dispatch.store().job_events(job_id.parse().unwrap()).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(kinds, ["job.picked_up", "stop.delivered", "stop.failed"], "{events:?}");
    }

    async fn a_courier_hands_a_meal_to_an_unwell_elder_raises_an_unwell_alert_and_the_tin_once(app) {
        own_fleet(&app, 1).await;
        let social = app.token("social_worker", None).await;
        let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.352).await;
        courier(&app, &kitchen, "Pak Slamet", 10).await;
        let r = app.post("/api/v1/recipients", &social,
            &json!({"name": "Mbah Darmi", "location": {"lat": -8.212, "lon": 114.34}})).await;
        let recipient = body(r).await["id"].as_str().unwrap().to_owned();
        let r = app.post("/api/v1/enrolments", &social,
            &json!({"recipient_id": recipient, "kitchen_id": kitchen, "start_date": "2031-03-01"})).await;
        assert_eq!(r.status(), 201);
        app.post("/api/v1/meal-days/2031-03-04/orders", &social, &json!({})).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap_or_else(|| panic!("{p}")).to_owned();
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "courier_assigned", "{j}");
        let link = j["courier_link"].as_str().unwrap().to_owned();
        let page = app.client.get(format!("{}{link}", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Rantang kembali"));
        let stop = j["stops"][0]["id"].as_str().unwrap().to_owned();
        let tin = json!({"event_id": "t1", "seq": 1, "action": "tin_returned", "stop_id": stop});
        assert_eq!(act(&app, &link, &tin).await.1["status"], "applied");
        assert_eq!(act(&app, &link, &tin).await.1["status"], "duplicate");
        // Sakit, perlu perhatian: the meal is handed over and someone must visit.
        let (s, b) = act(&app, &link, &json!({"event_id": "t2", "seq": 2, "action": "unwell", "stop_id": stop, "note": "Demam, sendirian"})).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("applied")), "{b}");
        let j = job(&app, &job_id).await;
        assert_eq!((&j["job"]["status"], &j["stops"][0]["status"]), (&json!("completed"), &json!("delivered")), "{j}");
        let alerts = body(app.get("/api/v1/alerts?kind=unwell", &social).await).await;
        assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
        assert_eq!(alerts[0]["status"], "open");
        assert_eq!(alerts[0]["recipient_id"], recipient.as_str());
        assert_eq!(alerts[0]["reason"], "recipient_unwell");
        assert_eq!(alerts[0]["note"], "Demam, sendirian");
        let welfare = body(app.get("/api/v1/alerts?kind=welfare", &social).await).await;
        assert!(welfare.as_array().unwrap().is_empty(), "{welfare}");
        let r = body(app.get("/api/v1/reports/day?date=2031-03-04", &app.admin).await).await;
        assert_eq!((&r["delivered_on_time"], &r["failed_handovers"]), (&json!(1), &json!(0)), "{r}");
        // The page emits what a partner would post.
        let events = app.dispatch.store().job_events(job_id.parse().unwrap()).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(kinds, ["courier.tin_returned", "stop.delivered"]);
        // Staff see the returned tin with the delivery.
        let rows = app
            .dispatch
            .store()
            .day_deliveries(&antar::store::web::DeliveryFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].tin_returned);
        assert_eq!(rows[0].courier_note.as_deref(), Some("Demam, sendirian"));
    }
}

/// A courier company's booking API on loopback: quotes 21 000, books, and answers status polls
/// with whatever the test sets; records every request.
#[derive(Default)]
struct MockBooking {
    status: Value,
    seen: Vec<(String, String, Value)>,
}

async fn mock_booking() -> (String, Arc<Mutex<MockBooking>>) {
    use axum::extract::{Path, State};
    use axum::routing::{get, post};
    type S = Arc<Mutex<MockBooking>>;
    let state: S = Arc::new(Mutex::new(MockBooking {
        status: json!({"status": "searching"}),
        seen: Vec::new(),
    }));
    let log = |s: &S, method: &str, path: String, auth: &axum::http::HeaderMap, b: Value| {
        let key = auth
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        s.lock()
            .unwrap()
            .seen
            .push((format!("{method} {path}"), key, b));
    };
    let app = axum::Router::new()
        .route("/api/quotes", post(move |State(s): State<S>, h: axum::http::HeaderMap, axum::Json(b): axum::Json<Value>| async move {
            log(&s, "POST", "/quotes".into(), &h, b);
            axum::Json(json!({"quote_id": "Q-1", "fare_idr": 21000}))
        }))
        .route("/api/bookings", post(move |State(s): State<S>, h: axum::http::HeaderMap, axum::Json(b): axum::Json<Value>| async move {
            log(&s, "POST", "/bookings".into(), &h, b);
            axum::Json(json!({"booking_id": "BK-77", "status": "searching"}))
        }))
        .route("/api/bookings/{id}", get(move |State(s): State<S>, h: axum::http::HeaderMap, Path(id): Path<String>| async move {
            log(&s, "GET", format!("/bookings/{id}"), &h, Value::Null);
            let st = s.lock().unwrap().status.clone();
            axum::Json(st)
        }))
        .route("/api/bookings/{id}/cancel", post(move |State(s): State<S>, h: axum::http::HeaderMap, Path(id): Path<String>, axum::Json(b): axum::Json<Value>| async move {
            log(&s, "POST", format!("/bookings/{id}/cancel"), &h, b);
            axum::Json(json!({"status": "cancelled"}))
        }))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

async fn run_bookings(app: &TestApp, at: chrono::DateTime<Utc>) -> usize {
    booking_pass(app, at, false).await
}

with_town! {
    async fn a_booking_api_partner_is_quoted_booked_polled_and_charged(app) {
        let (url, mock) = mock_booking().await;
        let keys = booking_partner(&app, &url, 1).await;
        let (partner_id, key) = (keys.id, keys.signing_secret);
        let (_, _, orders) = pharmacy_with_orders(&app, 1, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "offered", "{j}");
        assert_eq!(j["offers"][0]["partner_id"], partner_id.as_str());
        let reference = j["bookings"][0]["reference"].as_str().unwrap().to_owned();
        assert_eq!(j["bookings"][0]["state"], "quote");

        let t0 = booking_time(&app, &[&job_id]).await;
        assert_eq!(run_bookings(&app, t0).await, 1);
        {
            let m = mock.lock().unwrap();
            assert_eq!(m.seen[0].0, "POST /quotes");
            assert_eq!(m.seen[0].1, format!("Bearer {key}"));
            assert_eq!(m.seen[0].2["reference"], reference.as_str());
            let text = m.seen[0].2.to_string();
            for secret in ["insulin", "DM tipe", "RM-001", "Siti Aminah"] {
                assert!(!text.contains(secret), "{secret:?} leaked into the quote: {text}");
            }
            assert_eq!(m.seen[1].0, "POST /bookings");
            assert_eq!(m.seen[1].2, json!({"reference": reference, "quote_id": "Q-1"}));
        }
        let j = job(&app, &job_id).await;
        assert_eq!(j["bookings"][0]["state"], "searching");
        assert_eq!(j["bookings"][0]["booking_id"], "BK-77");
        assert_eq!(j["bookings"][0]["fare_quoted_idr"], 21000);
        // Not due yet: nothing happens.
        assert_eq!(run_bookings(&app, t0 + Duration::seconds(5)).await, 0);
        // Still searching.
        assert_eq!(run_bookings(&app, t0 + Duration::seconds(31)).await, 1);
        assert_eq!(job(&app, &job_id).await["job"]["status"], "offered");
        mock.lock().unwrap().status = json!({"status": "driver_assigned",
            "driver": {"name": "Rudi", "plate": "P 4321 ZZ", "phone": "0813-1111-2222"}});
        run_bookings(&app, t0 + Duration::seconds(62)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "courier_assigned", "{j}");
        assert_eq!(j["job"]["courier"]["name"], "Rudi");
        assert_eq!(order_status(&app, &orders[0].0).await, "assigned");
        // The same status polled again changes nothing twice.
        run_bookings(&app, t0 + Duration::seconds(93)).await;
        mock.lock().unwrap().status = json!({"status": "delivered", "fare_idr": 23000});
        run_bookings(&app, t0 + Duration::seconds(124)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "completed", "{j}");
        assert_eq!(j["bookings"][0]["state"], "done");
        assert_eq!(j["bookings"][0]["fare_charged_idr"], 23000);
        assert_eq!(order_status(&app, &orders[0].0).await, "delivered");
        let events = app.dispatch.store().job_events(job_id.parse().unwrap()).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(kinds, ["job.accepted", "courier.assigned", "stop.delivered"], "{events:?}");
        assert_eq!(run_bookings(&app, t0 + Duration::seconds(300)).await, 0, "a finished booking is left alone");
    }

    async fn no_driver_found_fails_over_and_a_lapsed_offer_cancels_its_booking(app) {
        let (url, mock) = mock_booking().await;
        let booking_id = booking_partner(&app, &url, 1).await.id;
        let (hook, _) = mock_partner(vec![]).await;
        let ojek = partner(&app, "Ojek Sehat", &hook, 2, true).await;
        pharmacy_with_orders(&app, 1, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let t0 = booking_time(&app, &[&job_id]).await;
        run_bookings(&app, t0).await;
        mock.lock().unwrap().status = json!({"status": "no_driver"});
        // No driver, three bookings in a row: then the job is turned down.
        let mut t = t0;
        for _ in 0..3 {
            t += Duration::seconds(31);
            run_bookings(&app, t).await;
            t += Duration::seconds(1);
            run_bookings(&app, t).await;
        }
        let j = job(&app, &job_id).await;
        assert_eq!(j["offers"][0]["partner_id"], booking_id.as_str());
        assert_eq!(j["offers"][0]["status"], "rejected");
        assert_eq!(j["offers"][0]["reason"], "no_driver_found");
        assert_eq!(j["offers"][1]["partner_id"], ojek.id.as_str(), "failover to the next partner");
        assert_eq!(j["offers"][1]["status"], "pending");
        assert_eq!(j["bookings"][0]["state"], "done");

        let seen_before = mock.lock().unwrap().seen.len();
        run_bookings(&app, t0 + Duration::seconds(3600)).await;
        assert_eq!(mock.lock().unwrap().seen.len(), seen_before, "a finished booking is not called again");
    }

    async fn a_booking_whose_offer_lapses_is_cancelled_with_the_company(app) {
        let (url, mock) = mock_booking().await;
        booking_partner(&app, &url, 1).await;
        pharmacy_with_orders(&app, 1, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let t0 = booking_time(&app, &[&job_id]).await;
        run_bookings(&app, t0).await;
        assert_eq!(job(&app, &job_id).await["bookings"][0]["state"], "searching");
        // Nobody found a driver within the offer's 600 s: the offer expires, the job is
        // flagged for staff, and the booking is called off.
        assert_eq!(app.dispatch.expire_offers(t0 + Duration::seconds(601)).await.unwrap(), 1);
        run_bookings(&app, t0 + Duration::seconds(602)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "expired", "{j}");
        assert_eq!(j["bookings"][0]["state"], "done");
        let seen: Vec<String> = mock.lock().unwrap().seen.iter().map(|(p, _, _)| p.clone()).collect();
        assert_eq!(seen.last().unwrap(), "POST /bookings/BK-77/cancel", "{seen:?}");
    }
}
