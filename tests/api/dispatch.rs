//! Dispatch end to end over loopback: stored plans, offers signed to mock partners, synchronous
//! and callback answers, failover, expiry, staff handling, partner events with proof, welfare
//! alerts and returns. Time is passed to the workers by the test, never slept.

use std::sync::{Arc, Mutex};

use antar::dispatch::outbox::OutboxWorker;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use chrono::{Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::*;
use crate::with_town;

/// A partner endpoint on loopback: answers offers from a script, records every request.
#[derive(Default)]
pub(crate) struct MockPartner {
    script: Vec<(u16, Value)>,
    pub(crate) seen: Vec<(HeaderMap, Vec<u8>)>,
}

pub(crate) async fn mock_partner(script: Vec<(u16, Value)>) -> (String, Arc<Mutex<MockPartner>>) {
    let state = Arc::new(Mutex::new(MockPartner {
        script,
        seen: Vec::new(),
    }));
    let s = state.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let s = s.clone();
            async move {
                let mut p = s.lock().unwrap();
                p.seen.push((headers, body.to_vec()));
                let (status, reply) = if p.script.is_empty() {
                    (202, json!({}))
                } else {
                    p.script.remove(0)
                };
                (StatusCode::from_u16(status).unwrap(), axum::Json(reply))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

pub(crate) struct PartnerKeys {
    pub(crate) id: String,
    pub(crate) signing_secret: String,
    pub(crate) callback_secret: String,
    pub(crate) token: String,
}

pub(crate) async fn partner(
    app: &TestApp,
    name: &str,
    url: &str,
    rank: i64,
    controlled: bool,
) -> PartnerKeys {
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": name, "webhook_url": url, "rank": rank, "offer_timeout_s": 120,
                    "capabilities": {"max_stops": 8, "capacity": 18, "cold_box": true, "controlled_handover": controlled},
                    "fare": {"base_idr": 8000, "per_km_idr": 2500, "cap_idr": 40000}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let p = body(r).await;
    PartnerKeys {
        id: p["id"].as_str().unwrap().to_owned(),
        signing_secret: p["signing_secret"].as_str().unwrap().to_owned(),
        callback_secret: p["callback_secret"].as_str().unwrap().to_owned(),
        token: p["token"].as_str().unwrap().to_owned(),
    }
}

/// HMAC-SHA256 per Standard Webhooks, computed here independently of the crate.
fn independent_signature(secret: &str, id: &str, ts: i64, body: &[u8]) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// Post a signed partner event; returns the response.
pub(crate) async fn send_event(
    app: &TestApp,
    keys: &PartnerKeys,
    webhook_id: &str,
    ts: i64,
    event: &Value,
) -> reqwest::Response {
    let body = serde_json::to_vec(event).unwrap();
    app.client
        .post(format!("{}/partner/v1/events", app.base))
        .bearer_auth(&keys.token)
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            independent_signature(&keys.callback_secret, webhook_id, ts, &body),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

pub(crate) struct Seq(pub(crate) u64);
impl Seq {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// A pharmacy with `n` prescriptions near it (one controlled when `controlled`).
pub(crate) async fn pharmacy_with_orders(
    app: &TestApp,
    n: usize,
    controlled: bool,
) -> (String, String, Vec<(String, Option<String>)>) {
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.225, 114.35)
        .await;
    let pharmacist = app.token("pharmacist", Some(&site)).await;
    let mut orders = Vec::new();
    for i in 0..n {
        let mut p = prescription(&format!("Siti Aminah {i}"));
        p["patient"]["location"] = json!({"lat": -8.215 + 0.002 * i as f64, "lon": 114.355});
        p["ready_at"] = json!("2031-03-04T02:00:00Z");
        p["deliver_by"] = json!("2031-03-04T06:00:00Z");
        if controlled && i == 0 {
            p["controlled"] = json!(true);
        }
        let r = app.post("/api/v1/prescriptions", &pharmacist, &p).await;
        assert_eq!(r.status(), 201);
        let b = body(r).await;
        orders.push((
            b["id"].as_str().unwrap().to_owned(),
            b["handover_pin"].as_str().map(str::to_owned),
        ));
    }
    (site, pharmacist, orders)
}

pub(crate) async fn plan(app: &TestApp) -> Value {
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

pub(crate) async fn job(app: &TestApp, id: &str) -> Value {
    body(app.get(&format!("/api/v1/jobs/{id}"), &app.admin).await).await
}

pub(crate) async fn order_status(app: &TestApp, id: &str) -> String {
    body(
        app.get(&format!("/api/v1/prescriptions/{id}"), &app.admin)
            .await,
    )
    .await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn deliver_all(app: &TestApp, at: chrono::DateTime<Utc>) {
    let mut w = OutboxWorker::new(app.dispatch.clone(), 3).unwrap();
    while w.run_once(at).await.unwrap() > 0 {}
}

with_town! {
    async fn a_stored_plan_offers_its_job_and_a_synchronous_accept_assigns_it(app) {
        let (url, mock) = mock_partner(vec![(200, json!({"decision": "accept"}))]).await;
        let keys = partner(&app, "Ojek Sehat", &url, 1, true).await;
        let (_, _, orders) = pharmacy_with_orders(&app, 3, true).await;
        let p = plan(&app).await;
        assert_eq!(p["dry_run"], false);
        let jobs = p["job_ids"].as_array().unwrap();
        assert_eq!(jobs.len(), 1, "{p}");
        assert_eq!(p["offered"], 1);
        let job_id = jobs[0].as_str().unwrap();
        let j = job(&app, job_id).await;
        assert_eq!(j["job"]["status"], "offered");
        assert_eq!(j["offers"][0]["partner_id"], keys.id.as_str());
        assert_eq!(j["offers"][0]["status"], "pending");
        for (o, _) in &orders {
            assert_eq!(order_status(&app, o).await, "offered");
        }
        // The stored plan lists the job.
        let stored = body(app.get(&format!("/api/v1/plans/{}", p["plan_id"].as_str().unwrap()), &app.admin).await).await;
        assert_eq!(stored["jobs"][0]["id"], job_id);

        deliver_all(&app, Utc::now()).await;
        let seen = mock.lock().unwrap().seen.clone();
        assert_eq!(seen.len(), 1);
        let (h, raw) = &seen[0];
        let id = h["webhook-id"].to_str().unwrap();
        let ts: i64 = h["webhook-timestamp"].to_str().unwrap().parse().unwrap();
        assert_eq!(
            h["webhook-signature"].to_str().unwrap(),
            independent_signature(&keys.signing_secret, id, ts, raw)
        );
        let offer: Value = serde_json::from_slice(raw).unwrap();
        assert_eq!(offer["type"], "job.offered");
        assert_eq!(offer["data"]["job_id"], job_id);
        assert_eq!(offer["data"]["handling"]["handover"], "pin");
        assert_eq!(offer["data"]["stops"].as_array().unwrap().len(), 3);
        let text = String::from_utf8_lossy(raw);
        for secret in ["insulin", "DM tipe", "RM-001", "Siti Aminah", "handover_pin", "clinical"] {
            assert!(!text.contains(secret), "{secret:?} leaked into the offer: {text}");
        }
        // The partner's synchronous accept assigned the job.
        let j = job(&app, job_id).await;
        assert_eq!(j["job"]["status"], "accepted", "{j}");
        assert_eq!(j["offers"][0]["status"], "accepted");
        for (o, _) in &orders {
            assert_eq!(order_status(&app, o).await, "assigned");
        }
    }

    async fn rejected_and_expired_offers_fail_over_then_staff_are_alerted_and_requeue(app) {
        let (url_a, mock_a) = mock_partner(vec![(200, json!({"decision": "reject", "reason": "armada penuh"}))]).await;
        let (url_b, mock_b) = mock_partner(vec![(202, json!({}))]).await;
        let a = partner(&app, "Ojek A", &url_a, 1, false).await;
        let b = partner(&app, "Ojek B", &url_b, 2, false).await;
        let (_, _, orders) = pharmacy_with_orders(&app, 2, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let t0 = Utc::now();
        deliver_all(&app, t0).await;
        // A declined at once: the job went to B, which answered 202 (decides later).
        let j = job(&app, &job_id).await;
        let offers = j["offers"].as_array().unwrap();
        assert_eq!(offers.len(), 2, "{j}");
        assert_eq!(offers[0]["partner_id"], a.id.as_str());
        assert_eq!(offers[0]["status"], "rejected");
        assert_eq!(offers[0]["reason"], "armada penuh");
        assert_eq!(offers[1]["partner_id"], b.id.as_str());
        assert_eq!(offers[1]["status"], "pending");
        assert_eq!(mock_b.lock().unwrap().seen.len(), 1);
        // Nothing answers before the offer expires.
        assert_eq!(app.dispatch.expire_offers(t0 + Duration::seconds(60)).await.unwrap(), 0);
        assert_eq!(app.dispatch.expire_offers(t0 + Duration::seconds(200)).await.unwrap(), 1);
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "expired");
        let reason = j["job"]["flag_reason"].as_str().unwrap();
        assert!(reason.contains("Ojek A: declined (armada penuh)") && reason.contains("Ojek B: did not answer"), "{reason}");
        // B is told the offer is gone; A hears nothing more.
        deliver_all(&app, t0 + Duration::seconds(201)).await;
        let seen_b = mock_b.lock().unwrap().seen.clone();
        assert_eq!(seen_b.len(), 2);
        let withdrawn: Value = serde_json::from_slice(&seen_b[1].1).unwrap();
        assert_eq!(withdrawn["type"], "offer.withdrawn");
        assert_eq!(withdrawn["data"]["reason"], "expired");
        assert_eq!(mock_a.lock().unwrap().seen.len(), 1);
        // A late acceptance is refused.
        let late = send_event(&app, &b, "evt_late", Utc::now().timestamp(), &json!({
            "type": "job.accepted", "job_id": job_id, "offer_id": offers[1]["id"], "occurred_at": Utc::now(), "seq": 1})).await;
        assert_problem(late, 409, "offer_expired", None).await;
        // Staff see it, with an alert, and put the orders back for the next wave.
        let flagged = body(app.get("/api/v1/jobs?flagged=true", &app.admin).await).await;
        assert_eq!(flagged.as_array().unwrap().len(), 1);
        let alerts = body(app.get("/api/v1/alerts?kind=job_unassigned", &app.admin).await).await;
        assert_eq!(alerts.as_array().unwrap().len(), 1);
        assert_eq!(alerts[0]["job_id"], job_id.as_str());
        let r = app.post(&format!("/api/v1/jobs/{job_id}/requeue"), &app.admin, &json!({"note": "kurir relawan besok"})).await;
        assert_eq!(r.status(), 200);
        for (o, _) in &orders {
            assert_eq!(order_status(&app, o).await, "ready");
        }
        let alerts = body(app.get("/api/v1/alerts?kind=job_unassigned", &app.admin).await).await;
        assert!(alerts.as_array().unwrap().is_empty(), "{alerts}");
        // Handled once only.
        let again = app.post(&format!("/api/v1/jobs/{job_id}/requeue"), &app.admin, &json!({})).await;
        assert_problem(again, 409, "job_not_unassigned", None).await;
    }

    async fn partner_events_move_orders_forward_check_the_pin_and_ignore_duplicates(app) {
        let (url, _mock) = mock_partner(vec![(202, json!({}))]).await;
        let keys = partner(&app, "Ojek Sehat", &url, 1, true).await;
        let (_, pharmacist, orders) = pharmacy_with_orders(&app, 2, true).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        deliver_all(&app, Utc::now()).await;
        let j = job(&app, &job_id).await;
        let offer_id = j["offers"][0]["id"].as_str().unwrap().to_owned();
        let stops: Vec<(String, String)> = j["stops"].as_array().unwrap().iter()
            .map(|s| (s["id"].as_str().unwrap().to_owned(), s["order_id"].as_str().unwrap().to_owned())).collect();
        let now = || Utc::now().timestamp();
        // Reporting on the job before accepting it is refused (the partner sends the acceptance first).
        let early = json!({"type": "courier.assigned", "job_id": job_id, "occurred_at": Utc::now(), "seq": 2,
                           "name": "Budi", "plate": "P 1 A", "phone": "+6281234567890"});
        assert_problem(send_event(&app, &keys, "evt_early", now(), &early).await, 409, "job_not_accepted", None).await;
        let mut seq = Seq(0);
        let accept = json!({"type": "job.accepted", "job_id": job_id, "offer_id": offer_id, "occurred_at": Utc::now(), "seq": seq.next()});
        let r = send_event(&app, &keys, "evt_1", now(), &accept).await;
        assert_eq!(r.status(), 200);
        assert_eq!(body(r).await["status"], "applied");
        // The same webhook-id again: acknowledged, nothing done twice.
        let r = send_event(&app, &keys, "evt_1", now(), &accept).await;
        assert_eq!(body(r).await["status"], "duplicate");
        // A bad signature, a stale timestamp, a missing token.
        let body_bytes = serde_json::to_vec(&accept).unwrap();
        let r = app.client.post(format!("{}/partner/v1/events", app.base)).bearer_auth(&keys.token)
            .header("content-type", "application/json").header("webhook-id", "evt_x")
            .header("webhook-timestamp", now().to_string()).header("webhook-signature", "v1,AAAA")
            .body(body_bytes).send().await.unwrap();
        assert_problem(r, 401, "invalid_signature", None).await;
        let r = send_event(&app, &keys, "evt_old", now() - 600, &accept).await;
        assert_problem(r, 401, "invalid_signature", None).await;
        // Another partner may not touch this job.
        let (url2, _) = mock_partner(vec![]).await;
        let other = partner(&app, "Ojek Lain", &url2, 5, true).await;
        let r = send_event(&app, &other, "evt_o", now(), &json!({"type": "job.picked_up", "job_id": job_id, "occurred_at": Utc::now(), "seq": 9})).await;
        assert_problem(r, 403, "not_your_job", None).await;

        let courier = json!({"type": "courier.assigned", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(),
                             "name": "Budi Santoso", "plate": "P 1234 AB", "phone": "+6281234567890"});
        assert_eq!(send_event(&app, &keys, "evt_2", now(), &courier).await.status(), 200);
        let picked_seq = seq.next();
        let arrived = json!({"type": "stop.arrived", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(), "stop_id": stops[0].0});
        // Arrival reported before the pickup event: the pickup is implied.
        assert_eq!(body(send_event(&app, &keys, "evt_4", now(), &arrived).await).await["status"], "applied");
        assert_eq!(order_status(&app, &stops[0].1).await, "picked_up");
        let picked = json!({"type": "job.picked_up", "job_id": job_id, "occurred_at": Utc::now(), "seq": picked_seq});
        assert_eq!(body(send_event(&app, &keys, "evt_3", now(), &picked).await).await["status"], "stale");
        assert_eq!(job(&app, &job_id).await["job"]["status"], "picked_up");

        // Proof: the controlled order needs the patient's PIN.
        let pin = orders.iter().find_map(|(_, pin)| pin.clone()).expect("a controlled order has a PIN");
        let controlled = orders.iter().find(|(_, pin)| pin.is_some()).unwrap().0.clone();
        let (stop_c, _) = stops.iter().find(|(_, o)| *o == controlled).unwrap().clone();
        let wrong = json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(),
                           "stop_id": stop_c, "proof": {"pin": "000000x"}});
        assert_problem(send_event(&app, &keys, "evt_5", now(), &wrong).await, 422, "wrong_pin", Some("proof.pin")).await;
        assert_eq!(order_status(&app, &controlled).await, "picked_up");
        let audit = body(app.get("/api/v1/admin/audit?entity=job", &app.admin).await).await;
        assert!(audit.to_string().contains("wrong_pin"), "{audit}");
        let right = json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(),
                           "stop_id": stop_c, "proof": {"pin": pin, "recipient_name": "Siti"}});
        assert_eq!(body(send_event(&app, &keys, "evt_6", now(), &right).await).await["status"], "applied");
        assert_eq!(order_status(&app, &controlled).await, "delivered");
        // The other (medicine) stop fails: it goes back to the pharmacy, which is alerted.
        let (stop_f, order_f) = stops.iter().find(|(_, o)| *o != controlled).unwrap().clone();
        let failed = json!({"type": "stop.failed", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(),
                            "stop_id": stop_f, "reason": "not_home", "note": "Rumah kosong"});
        assert_eq!(body(send_event(&app, &keys, "evt_7", now(), &failed).await).await["status"], "applied");
        assert_eq!(order_status(&app, &order_f).await, "returning");
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "completed");
        assert_eq!(j["job"]["courier"]["plate"], "P 1234 AB");
        let alerts = body(app.get("/api/v1/alerts?kind=medicine_failed", &pharmacist).await).await;
        assert_eq!(alerts[0]["order_id"], order_f.as_str());
        assert_eq!(alerts[0]["note"], "Rumah kosong");
        // A late duplicate of the delivery, under a new id, changes nothing.
        let r = send_event(&app, &keys, "evt_8", now(), &right).await;
        assert_eq!(body(r).await["status"], "stale");
        // The pharmacist confirms the return: a second attempt waits for the next wave.
        let r = app.post(&format!("/api/v1/prescriptions/{order_f}/return"), &pharmacist, &json!({})).await;
        assert_eq!(r.status(), 200);
        let o = body(r).await;
        assert_eq!(o["status"], "ready");
        assert_eq!(o["attempt"], 2);
        // The day's figures (local date of the windows).
        let r = body(app.get("/api/v1/reports/day?date=2031-03-04", &app.admin).await).await;
        assert_eq!(r["orders"], 2, "{r}");
        assert_eq!(r["delivered_on_time"], 1, "{r}");
        assert_eq!(r["delivered_late"], 0, "{r}");
        assert_eq!(r["failed_handovers"], 1, "{r}");
        assert_eq!(r["alerts_by_kind"]["medicine_failed"], 1, "{r}");
        assert_eq!(r["offers_by_status"]["accepted"], 1, "{r}");
        assert!(r["cost_per_delivery_idr"].as_f64().unwrap() > 0.0, "{r}");
    }

    async fn a_meal_not_handed_over_raises_a_welfare_alert_that_staff_close(app) {
        let (url, _mock) = mock_partner(vec![(200, json!({"decision": "accept"}))]).await;
        let keys = partner(&app, "Ojek Sehat", &url, 1, false).await;
        let social = app.token("social_worker", None).await;
        let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.352).await;
        let r = app.post("/api/v1/recipients", &social,
            &json!({"name": "Mbah Darmi", "location": {"lat": -8.212, "lon": 114.34}})).await;
        let recipient = body(r).await["id"].as_str().unwrap().to_owned();
        let r = app.post("/api/v1/enrolments", &social,
            &json!({"recipient_id": recipient, "kitchen_id": kitchen, "start_date": "2031-03-01"})).await;
        assert_eq!(r.status(), 201);
        app.post("/api/v1/meal-days/2031-03-04/orders", &social, &json!({})).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap_or_else(|| panic!("{p}")).to_owned();
        deliver_all(&app, Utc::now()).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "accepted");
        let stop = j["stops"][0]["id"].as_str().unwrap().to_owned();
        let failed = json!({"type": "stop.failed", "job_id": job_id, "occurred_at": Utc::now(), "seq": 1,
                            "stop_id": stop, "reason": "not_home", "note": "Pintu terkunci, tetangga tidak tahu"});
        assert_eq!(send_event(&app, &keys, "evt_1", Utc::now().timestamp(), &failed).await.status(), 200);
        let alerts = body(app.get("/api/v1/alerts?kind=welfare", &social).await).await;
        let alert = &alerts[0];
        assert_eq!(alert["recipient_id"], recipient.as_str());
        assert_eq!(alert["reason"], "not_home");
        assert_eq!(alert["note"], "Pintu terkunci, tetangga tidak tahu");
        let id = alert["id"].as_str().unwrap();
        let r = app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &social, &json!({})).await;
        assert_eq!(body(r).await["status"], "acknowledged");
        let r = app.post(&format!("/api/v1/alerts/{id}/close"), &social, &json!({"note": ""})).await;
        assert_problem(r, 422, "required", Some("note")).await;
        let r = app.post(&format!("/api/v1/alerts/{id}/close"), &social, &json!({"note": "Dikunjungi kader, sehat"})).await;
        let closed = body(r).await;
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["close_note"], "Dikunjungi kader, sehat");
        let open = body(app.get("/api/v1/alerts?kind=welfare", &social).await).await;
        assert!(open.as_array().unwrap().is_empty());
    }

    async fn cancelling_an_order_on_an_accepted_job_updates_the_partner(app) {
        let (url, mock) = mock_partner(vec![(200, json!({"decision": "accept"}))]).await;
        let _keys = partner(&app, "Ojek Sehat", &url, 1, false).await;
        let (_, pharmacist, orders) = pharmacy_with_orders(&app, 2, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        deliver_all(&app, Utc::now()).await;
        let r = app.post(&format!("/api/v1/prescriptions/{}/cancel", orders[0].0), &pharmacist, &json!({"reason": "pasien dirawat inap"})).await;
        assert_eq!(r.status(), 200);
        deliver_all(&app, Utc::now()).await;
        let seen = mock.lock().unwrap().seen.clone();
        let updated: Value = serde_json::from_slice(&seen[1].1).unwrap();
        assert_eq!(updated["type"], "job.updated");
        assert_eq!(updated["data"]["stops"].as_array().unwrap().len(), 1);
        assert_eq!(updated["data"]["removed_stop_ids"].as_array().unwrap().len(), 1);
        // Cancelling the last order cancels the job.
        app.post(&format!("/api/v1/prescriptions/{}/cancel", orders[1].0), &pharmacist, &json!({"reason": "obat diambil keluarga"})).await;
        deliver_all(&app, Utc::now()).await;
        let seen = mock.lock().unwrap().seen.clone();
        let cancelled: Value = serde_json::from_slice(&seen[2].1).unwrap();
        assert_eq!(cancelled["type"], "job.cancelled");
        assert_eq!(job(&app, &job_id).await["job"]["status"], "cancelled");
    }
}

with_town! {
    async fn a_kitchen_wave_runs_once_and_a_wave_missed_too_long_ago_alerts_staff(app) {
        use antar::dispatch::waves::WaveSettings;
        let (url, _mock) = mock_partner(vec![]).await;
        partner(&app, "Ojek Sehat", &url, 1, false).await;
        let social = app.token("social_worker", None).await;
        let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.352).await;
        let r = app.post("/api/v1/recipients", &social,
            &json!({"name": "Mbah Darmi", "location": {"lat": -8.212, "lon": 114.34}})).await;
        let recipient = body(r).await["id"].as_str().unwrap().to_owned();
        app.post("/api/v1/enrolments", &social,
            &json!({"recipient_id": recipient, "kitchen_id": kitchen, "start_date": "2031-03-01"})).await;
        let settings = WaveSettings { time_limit: std::time::Duration::from_millis(100), ..WaveSettings::default() };
        // 09:29 WIB: nothing is due yet.
        let at = |s: &str| s.parse::<chrono::DateTime<Utc>>().unwrap();
        let r = app.dispatch.tick(at("2031-03-04T02:29:00Z"), &settings).await.unwrap();
        assert_eq!(r.waves_run, 0);
        // 09:31 WIB: the 09:30 wave generates the day's meals and plans them.
        let r = app.dispatch.tick(at("2031-03-04T02:31:00Z"), &settings).await.unwrap();
        assert_eq!(r.waves_run, 1);
        let jobs = body(app.get("/api/v1/jobs", &app.admin).await).await;
        assert_eq!(jobs.as_array().unwrap().len(), 1, "{jobs}");
        // Ticking again (or on another instance) does not run it twice.
        let r = app.dispatch.tick(at("2031-03-04T02:40:00Z"), &settings).await.unwrap();
        assert_eq!(r.waves_run, 0);
        // The next day the service was down until 10:30 WIB: too late for the 09:30 wave.
        let r = app.dispatch.tick(at("2031-03-05T03:30:00Z"), &settings).await.unwrap();
        assert_eq!((r.waves_run, r.waves_missed), (0, 1));
        let alerts = body(app.get("/api/v1/alerts?kind=wave_missed", &social).await).await;
        assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
        assert!(alerts[0]["note"].as_str().unwrap().contains("09:30"));
    }
}

with_town! {
    async fn an_urgent_prescription_joins_a_job_not_yet_picked_up_or_gets_its_own(app) {
        use antar::dispatch::urgent::UrgentOutcome;
        // The partner accepts the job, then refuses the change that adds the urgent stop.
        let (url, mock) = mock_partner(vec![
            (200, json!({"decision": "accept"})),
            (200, json!({"decision": "reject", "reason": "kurir sudah penuh"})),
            (200, json!({"decision": "accept"})),
        ]).await;
        partner(&app, "Ojek Sehat", &url, 1, false).await;
        let (_, pharmacist, _) = pharmacy_with_orders(&app, 2, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        deliver_all(&app, Utc::now()).await;
        assert_eq!(job(&app, &job_id).await["job"]["status"], "accepted");
        let mut urgent = prescription("Pak Darurat");
        urgent["priority"] = json!("urgent");
        urgent["patient"]["location"] = json!({"lat": -8.213, "lon": 114.356});
        urgent["ready_at"] = json!("2031-03-04T02:00:00Z");
        urgent["deliver_by"] = json!("2031-03-04T06:00:00Z");
        let r = app.post("/api/v1/prescriptions", &pharmacist, &urgent).await;
        let urgent_id = body(r).await["id"].as_str().unwrap().to_owned();
        let outcome = app.dispatch.dispatch_urgent(urgent_id.parse().unwrap()).await.unwrap();
        assert!(matches!(outcome, UrgentOutcome::Inserted { .. }), "{outcome:?}");
        let j = job(&app, &job_id).await;
        let live: Vec<&Value> = j["stops"].as_array().unwrap().iter().filter(|s| s["status"] != "removed").collect();
        assert_eq!(live.len(), 3);
        assert_eq!(order_status(&app, &urgent_id).await, "offered");
        // The partner gets job.updated naming the added stop, and refuses it.
        deliver_all(&app, Utc::now()).await;
        let seen = mock.lock().unwrap().seen.clone();
        let update: Value = serde_json::from_slice(&seen[1].1).unwrap();
        assert_eq!(update["type"], "job.updated");
        assert_eq!(update["data"]["added_stop_ids"].as_array().unwrap().len(), 1);
        assert_eq!(update["data"]["stops"].as_array().unwrap().len(), 3);
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "accepted", "the job goes on as before");
        let live = j["stops"].as_array().unwrap().iter().filter(|s| s["status"] != "removed").count();
        assert_eq!(live, 2);
        assert_eq!(order_status(&app, &urgent_id).await, "ready");
        // Placed again: it gets its own job, offered at once.
        let outcome = app.dispatch.dispatch_urgent(urgent_id.parse().unwrap()).await.unwrap();
        assert_eq!(outcome, UrgentOutcome::OwnJob);
        assert_eq!(order_status(&app, &urgent_id).await, "offered");
        deliver_all(&app, Utc::now()).await;
        assert_eq!(order_status(&app, &urgent_id).await, "assigned");
    }
}

/// A partner endpoint that can be switched off (503) and records every request.
async fn switchable_partner() -> (
    String,
    Arc<std::sync::atomic::AtomicBool>,
    Arc<Mutex<Vec<(String, Value, u16)>>>,
) {
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (d, s) = (down.clone(), seen.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (d, s) = (d.clone(), s.clone());
            async move {
                let status = if d.load(std::sync::atomic::Ordering::SeqCst) {
                    503
                } else {
                    200
                };
                let id = headers["webhook-id"].to_str().unwrap().to_owned();
                let v: Value = serde_json::from_slice(&body).unwrap();
                s.lock().unwrap().push((id, v.clone(), status));
                let reply = if v["type"] == "job.offered" {
                    json!({"decision": "accept"})
                } else {
                    json!({})
                };
                (StatusCode::from_u16(status).unwrap(), axum::Json(reply))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, down, seen)
}

with_town! {
    async fn a_partner_down_for_an_hour_gets_everything_once_back_in_order_per_job(app) {
        use std::sync::atomic::Ordering;
        let (url, down, seen) = switchable_partner().await;
        let keys = partner(&app, "Ojek Sehat", &url, 1, false).await;
        // Two pharmacies, two jobs, both accepted while the partner is up.
        let mut jobs = Vec::new();
        let mut orders = Vec::new();
        for (name, lat) in [("RSUD Blambangan", -8.225), ("RSUD Genteng", -8.205)] {
            let site = app.site("pharmacy", name, lat, 114.35).await;
            let pharmacist = app.token("pharmacist", Some(&site)).await;
            let mut ids = Vec::new();
            for i in 0..2 {
                let mut p = prescription(&format!("Pasien {name} {i}"));
                p["patient"]["location"] = json!({"lat": lat + 0.004 + 0.002 * i as f64, "lon": 114.356});
                p["ready_at"] = json!("2031-03-04T02:00:00Z");
                p["deliver_by"] = json!("2031-03-04T06:00:00Z");
                ids.push(body(app.post("/api/v1/prescriptions", &pharmacist, &p).await).await["id"].as_str().unwrap().to_owned());
            }
            orders.push((pharmacist, ids));
        }
        let p = plan(&app).await;
        for j in p["job_ids"].as_array().unwrap() {
            jobs.push(j.as_str().unwrap().to_owned());
        }
        assert_eq!(jobs.len(), 2, "{p}");
        let t0 = Utc::now();
        deliver_all(&app, t0).await;
        for j in &jobs {
            assert_eq!(job(&app, j).await["job"]["status"], "accepted");
        }
        // The partner goes down. Meanwhile every order is cancelled (job.updated, then
        // job.cancelled per job) and staff send a test webhook.
        down.store(true, Ordering::SeqCst);
        for (pharmacist, ids) in &orders {
            for id in ids {
                let r = app.post(&format!("/api/v1/prescriptions/{id}/cancel"), pharmacist, &json!({"reason": "dibatalkan"})).await;
                assert_eq!(r.status(), 200);
            }
        }
        let r = app.post(&format!("/api/v1/admin/partners/{}/test-webhook", keys.id), &app.admin, &json!({})).await;
        assert_eq!(r.status(), 202);
        // An hour of simulated time, the worker running every minute: nothing gets through.
        let mut w = OutboxWorker::new(app.dispatch.clone(), 11).unwrap();
        for minute in 0..=60 {
            w.run_once(t0 + Duration::minutes(minute)).await.unwrap();
        }
        let failed_attempts = seen.lock().unwrap().iter().filter(|(_, _, s)| *s == 503).count();
        assert!(failed_attempts >= 5, "retries happened while down: {failed_attempts}");
        // Back up: keep running until nothing is pending.
        down.store(false, Ordering::SeqCst);
        for minute in 61..=240 {
            w.run_once(t0 + Duration::minutes(minute)).await.unwrap();
        }
        let log = seen.lock().unwrap().clone();
        let delivered: Vec<&(String, Value, u16)> = log.iter().filter(|(_, _, s)| *s == 200).collect();
        // Every event the partner accepted arrived once, and every retry reused its webhook-id.
        let mut ids: Vec<&String> = delivered.iter().map(|(id, _, _)| id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), delivered.len(), "no event delivered twice");
        for (id, body, _) in &log {
            let same: Vec<_> = log.iter().filter(|(i, _, _)| i == id).map(|(_, b, _)| b).collect();
            assert!(same.iter().all(|b| *b == body), "a webhook-id always carries the same body");
        }
        let types: Vec<&str> = delivered.iter().map(|(_, b, _)| b["type"].as_str().unwrap()).collect();
        assert!(types.contains(&"webhook.test"), "{types:?}");
        for j in &jobs {
            let of_job: Vec<&str> = delivered.iter()
                .filter(|(_, b, _)| b["data"]["job_id"] == j.as_str())
                .map(|(_, b, _)| b["type"].as_str().unwrap())
                .collect();
            // Offered and accepted before the outage; the change offer expired during it (an
            // offer is never delivered after its deadline); the cancellation arrived after.
            assert_eq!(of_job, ["job.offered", "job.cancelled"], "job {j}");
        }
        // The dropped change offer is on record, with why.
        let log = body(app.get(&format!("/api/v1/admin/partners/{}/deliveries", keys.id), &app.admin).await).await;
        let rows = log["deliveries"].as_array().unwrap();
        assert!(rows.iter().all(|d| d["status"] == "delivered" || d["status"] == "dropped"), "{log}");
        assert_eq!(rows.iter().filter(|d| d["status"] == "dropped").count(), 2, "{log}");
    }
}

with_town! {
    async fn a_handover_far_from_the_pin_proposes_a_home_correction_that_staff_confirm(app) {
        let (url, _mock) = mock_partner(vec![(200, json!({"decision": "accept"}))]).await;
        let keys = partner(&app, "Ojek Sehat", &url, 1, false).await;
        let social = app.token("social_worker", None).await;
        let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.352).await;
        let r = app.post("/api/v1/recipients", &social,
            &json!({"name": "Mbah Darmi", "location": {"lat": -8.212, "lon": 114.34}})).await;
        let recipient = body(r).await["id"].as_str().unwrap().to_owned();
        app.post("/api/v1/enrolments", &social,
            &json!({"recipient_id": recipient, "kitchen_id": kitchen, "start_date": "2031-03-01"})).await;
        app.post("/api/v1/meal-days/2031-03-04/orders", &social, &json!({})).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        deliver_all(&app, Utc::now()).await;
        let stop = job(&app, &job_id).await["stops"][0]["id"].as_str().unwrap().to_owned();
        // The courier stood about 330 m east of the pin when handing over.
        let door = json!({"lat": -8.212, "lon": 114.343});
        let events = [
            json!({"type": "courier.location", "job_id": job_id, "occurred_at": Utc::now(), "seq": 1, "location": door}),
            json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": 2, "stop_id": stop,
                   "proof": {"recipient_name": "Mbah Darmi"}}),
        ];
        for (i, e) in events.iter().enumerate() {
            let r = send_event(&app, &keys, &format!("evt_{i}"), Utc::now().timestamp(), e).await;
            assert_eq!(r.status(), 200);
        }
        // Proposed, not applied.
        let stored = body(app.get(&format!("/api/v1/recipients/{recipient}"), &social).await).await;
        assert_eq!(stored["location"]["lon"], 114.34);
        let list = body(app.get("/api/v1/location-corrections", &social).await).await;
        let c = &list.as_array().unwrap()[0];
        assert_eq!(c["recipient_id"], recipient.as_str());
        assert_eq!(c["proposed"], door);
        let d = c["distance_m"].as_f64().unwrap();
        assert!((300.0..360.0).contains(&d), "{d}");
        let id = c["id"].as_str().unwrap();
        let r = app.post(&format!("/api/v1/location-corrections/{id}/accept"), &social, &json!({})).await;
        assert_eq!(body(r).await["status"], "accepted");
        let stored = body(app.get(&format!("/api/v1/recipients/{recipient}"), &social).await).await;
        assert_eq!(stored["location"]["lon"], 114.343, "{stored}");
        assert_eq!(stored["location_source"], "courier_gps", "{stored}");
        let again = app.post(&format!("/api/v1/location-corrections/{id}/reject"), &social, &json!({})).await;
        assert_problem(again, 409, "already_decided", None).await;
    }
}
