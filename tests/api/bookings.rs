//! A booking-API partner carrying a job of several stops (one that failed over from a partner
//! who batches) as one booking per stop, tracked as one job; cancellation fees on the invoice;
//! and the company's signed status callbacks, on SQLite and PostgreSQL. The company is a small
//! scripted server here (each booking's status set by the test); the scheme of the callbacks is
//! checked against the booking simulator's own signer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use antar::partnersim::booking::sign_callback;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::dispatch::{
    PartnerKeys, job, mock_partner, order_status, partner, pharmacy_with_orders, plan, send_event,
};
use crate::support::*;
use crate::with_town;

/// A courier company whose bookings stand where the test puts them.
#[derive(Default)]
struct Company {
    booked: u32,
    status: HashMap<String, Value>,
    calls: Vec<(String, Value)>,
}

type Shared = Arc<Mutex<Company>>;

impl Company {
    fn set(s: &Shared, booking: &str, status: Value) {
        s.lock().unwrap().status.insert(booking.to_owned(), status);
    }

    fn calls(s: &Shared) -> Vec<String> {
        s.lock()
            .unwrap()
            .calls
            .iter()
            .map(|(c, _)| c.clone())
            .collect()
    }
}

fn driver(n: u32) -> Value {
    json!({"name": format!("Driver {n}"), "plate": format!("P {n}00 XY"), "phone": format!("0813-0000-000{n}")})
}

async fn company() -> (String, Shared) {
    use axum::extract::{Path, State};
    use axum::routing::{get, post};
    let state: Shared = Arc::default();
    let app = axum::Router::new()
        .route(
            "/quotes",
            post(
                |State(s): State<Shared>, axum::Json(b): axum::Json<Value>| async move {
                    s.lock().unwrap().calls.push(("quote".into(), b));
                    axum::Json(json!({"quote_id": "Q", "fare_idr": 15000}))
                },
            ),
        )
        .route(
            "/bookings",
            post(
                |State(s): State<Shared>, axum::Json(b): axum::Json<Value>| async move {
                    let mut c = s.lock().unwrap();
                    c.booked += 1;
                    let id = format!("BK-{}", c.booked);
                    c.calls.push((format!("book {id}"), b));
                    axum::Json(json!({"booking_id": id, "status": "searching"}))
                },
            ),
        )
        .route(
            "/bookings/{id}",
            get(
                |State(s): State<Shared>, Path(id): Path<String>| async move {
                    let mut c = s.lock().unwrap();
                    c.calls.push((format!("status {id}"), Value::Null));
                    axum::Json(
                        c.status
                            .get(&id)
                            .cloned()
                            .unwrap_or(json!({"status": "searching"})),
                    )
                },
            ),
        )
        .route(
            "/bookings/{id}/cancel",
            post(
                |State(s): State<Shared>,
                 Path(id): Path<String>,
                 axum::Json(b): axum::Json<Value>| async move {
                    let mut c = s.lock().unwrap();
                    c.calls.push((format!("cancel {id}"), b));
                    let had_driver = c
                        .status
                        .get(&id)
                        .is_some_and(|v| v["status"] == "driver_assigned");
                    // A driver already on the way is paid Rp 5.000.
                    let answer = if had_driver {
                        json!({"status": "cancelled", "fare_idr": 5000})
                    } else {
                        json!({"status": "cancelled", "fare_idr": 0})
                    };
                    c.status.insert(id, answer.clone());
                    axum::Json(answer)
                },
            ),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

/// A booking-API partner at `url` (Rp 9,000 + Rp 2,000/km, five parcels, no cold box): its
/// id, the key antar calls it with (`signing_secret`) and the secret it signs callbacks with.
pub(crate) async fn booking_partner(app: &TestApp, url: &str, rank: i64) -> PartnerKeys {
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": "Kirim Cepat", "kind": "booking_api", "webhook_url": url, "rank": rank, "offer_timeout_s": 600,
                    "capabilities": {"max_stops": 1, "capacity": 5, "cold_box": false, "controlled_handover": false},
                    "fare": {"base_idr": 9000, "per_km_idr": 2000}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let b = body(r).await;
    let s = |k: &str| b[k].as_str().unwrap().to_owned();
    PartnerKeys {
        id: s("id"),
        signing_secret: s("signing_secret"),
        callback_secret: s("callback_secret"),
        token: s("token"),
    }
}

/// The booking worker's pass at `at`, asking companies for callbacks at the test server when
/// `callbacks`; how many bookings it looked at.
pub(crate) async fn booking_pass(
    app: &TestApp,
    at: chrono::DateTime<Utc>,
    callbacks: bool,
) -> usize {
    antar::dispatch::bookings::BookingWorker::new(app.dispatch.clone(), StdDuration::from_secs(5))
        .with_callbacks(callbacks.then_some(app.base.as_str()))
        .run_once(at)
        .await
        .unwrap()
}

async fn run_bookings(app: &TestApp, at: chrono::DateTime<Utc>) -> usize {
    booking_pass(app, at, true).await
}

/// When the jobs' bookings are placed: `BOOK_AHEAD` before the last of them departs.
pub(crate) async fn booking_time(app: &TestApp, jobs: &[&str]) -> chrono::DateTime<Utc> {
    let mut at = Utc::now();
    for id in jobs {
        let j = job(app, id).await;
        let departure: chrono::DateTime<Utc> =
            j["job"]["departure"].as_str().unwrap().parse().unwrap();
        at = at.max(departure - antar::dispatch::bookings::BOOK_AHEAD);
    }
    at
}

/// Three prescriptions planned as one job for a batching partner, who turns it down: the job
/// fails over to the booking partner. The job id and the pharmacist's token.
async fn a_batched_job_failed_over(app: &TestApp, booking_url: &str) -> (String, String) {
    let (hook, _) = mock_partner(vec![(202, json!({}))]).await;
    let ojek = partner(app, "Ojek Sehat", &hook, 1, false).await;
    booking_partner(app, booking_url, 2).await;
    let (_, pharmacist, _) = pharmacy_with_orders(app, 3, false).await;
    let p = plan(app).await;
    assert_eq!(p["job_ids"].as_array().unwrap().len(), 1, "{p}");
    let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
    let j = job(app, &job_id).await;
    assert_eq!(
        j["stops"].as_array().unwrap().len(),
        3,
        "one batched job: {p}"
    );
    assert_eq!(j["offers"][0]["partner_id"], ojek.id.as_str());
    let offer = j["offers"][0]["id"].as_str().unwrap();
    let no = json!({"type": "job.rejected", "job_id": job_id, "offer_id": offer, "occurred_at": Utc::now(),
                    "seq": 1, "reason": "no riders free"});
    assert_eq!(
        send_event(app, &ojek, "evt_no", Utc::now().timestamp(), &no)
            .await
            .status(),
        200
    );
    (job_id, pharmacist)
}

with_town! {
    async fn a_job_of_several_stops_is_booked_stop_by_stop_and_tracked_as_one_job(app) {
        let (url, co) = company().await;
        let (job_id, _) = a_batched_job_failed_over(&app, &url).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "offered", "{j}");
        assert_eq!(j["offers"][1]["status"], "pending", "{j}");
        let bookings = j["bookings"].as_array().unwrap();
        assert_eq!(bookings.len(), 3, "one booking per stop: {j}");
        let mut stops: Vec<&str> = bookings.iter().map(|b| b["stop_id"].as_str().unwrap()).collect();
        stops.sort_unstable();
        stops.dedup();
        assert_eq!(stops.len(), 3, "each stop booked once: {j}");

        let t0 = booking_time(&app, &[&job_id]).await;
        // Not booked when offered: a booked driver sets off at once, so the company is asked
        // ten minutes before the job departs, and its answer is due from then.
        assert_eq!(run_bookings(&app, t0 - Duration::seconds(60)).await, 0);
        assert_eq!(app.dispatch.expire_offers(t0 + Duration::seconds(60)).await.unwrap(), 0);
        assert_eq!(run_bookings(&app, t0).await, 3);
        let calls = co.lock().unwrap().calls.clone();
        let books: Vec<&Value> = calls.iter().filter(|(c, _)| c.starts_with("book")).map(|(_, b)| b).collect();
        assert_eq!(books.len(), 3);
        let partner_id = j["offers"][1]["partner_id"].as_str().unwrap();
        for b in &books {
            assert_eq!(b["callback_url"], format!("{}/partner/v1/bookings/{partner_id}/callback", app.base), "{b}");
        }
        // Two drivers found, the third booking still searching: not yet accepted.
        Company::set(&co, "BK-1", json!({"status": "driver_assigned", "driver": driver(1)}));
        Company::set(&co, "BK-2", json!({"status": "driver_assigned", "driver": driver(2)}));
        assert_eq!(run_bookings(&app, t0 + Duration::seconds(31)).await, 3);
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "offered", "waits for every driver: {j}");
        assert_eq!(j["offers"][1]["status"], "pending");
        // The third driver: the offer is accepted once, and the drivers are named.
        Company::set(&co, "BK-3", json!({"status": "driver_assigned", "driver": driver(3)}));
        run_bookings(&app, t0 + Duration::seconds(62)).await;
        // The bookings polled before the last driver was found go on at once.
        run_bookings(&app, t0 + Duration::seconds(63)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "courier_assigned", "{j}");
        assert_eq!(j["offers"][1]["status"], "accepted");
        assert!(j["bookings"].as_array().unwrap().iter().all(|b| b["state"] == "active"), "{j}");
        // Each stop knows its own driver.
        let mut drivers: Vec<String> = j["bookings"].as_array().unwrap().iter()
            .map(|b| b["driver"]["name"].as_str().unwrap().to_owned()).collect();
        drivers.sort();
        assert_eq!(drivers, ["Driver 1", "Driver 2", "Driver 3"], "{j}");
        // Three drivers are busy for this partner, not one (its limit of jobs at once counts them).
        let held = app.dispatch.store().held_jobs_by_partner().await.unwrap();
        let partner: antar::domain::PartnerId = partner_id.parse().unwrap();
        assert_eq!(held.get(&partner), Some(&3), "{held:?}");
        let today = app.dispatch.store().day_deliveries(&antar::store::web::DeliveryFilter {
            limit: 100, ..Default::default()
        }).await.unwrap();
        let mut shown: Vec<String> = today.iter().filter_map(|d| d.courier.clone())
            .map(|c| serde_json::from_str::<Value>(&c).unwrap()["name"].as_str().unwrap().to_owned()).collect();
        shown.sort();
        assert_eq!(shown, ["Driver 1", "Driver 2", "Driver 3"], "each delivery shows its own driver");
        let orders: Vec<String> = j["stops"].as_array().unwrap().iter()
            .map(|s| s["order_id"].as_str().unwrap().to_owned()).collect();
        for o in &orders {
            assert_eq!(order_status(&app, o).await, "assigned");
        }
        // They pick up and deliver at their own pace.
        Company::set(&co, "BK-1", json!({"status": "delivered", "driver": driver(1), "fare_idr": 16000}));
        Company::set(&co, "BK-2", json!({"status": "picked_up", "driver": driver(2)}));
        run_bookings(&app, t0 + Duration::seconds(94)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "picked_up", "{j}");
        let delivered: Vec<String> = j["stops"].as_array().unwrap().iter()
            .filter(|s| s["status"] == "delivered").map(|s| s["order_id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(delivered.len(), 1, "{j}");
        Company::set(&co, "BK-2", json!({"status": "delivered", "driver": driver(2), "fare_idr": 15000}));
        Company::set(&co, "BK-3", json!({"status": "delivered", "driver": driver(3), "fare_idr": 17000}));
        run_bookings(&app, t0 + Duration::seconds(125)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "completed", "{j}");
        for o in &orders {
            assert_eq!(order_status(&app, o).await, "delivered");
        }
        // One acceptance, a driver per booking, a delivery per stop; polled again, nothing twice.
        run_bookings(&app, t0 + Duration::seconds(300)).await;
        let events = app.dispatch.store().job_events(job_id.parse().unwrap()).await.unwrap();
        let count = |t: &str| events.iter().filter(|(id, k, _)| id.starts_with("booking_") && k == t).count();
        assert_eq!(count("job.accepted"), 1, "{events:?}");
        assert_eq!(count("courier.assigned"), 3, "{events:?}");
        assert_eq!(count("stop.delivered"), 3, "{events:?}");
        assert_eq!(count("job.rejected"), 0, "{events:?}");

        // The month's invoice: one job of three stops at the sum of its bookings.
        let month = body(app.get(&format!("/api/v1/reports/invoice?partner_id={partner_id}&month=2031-03"), &app.admin).await).await;
        let lines = month["jobs"].as_array().unwrap();
        assert_eq!(lines.len(), 1, "{month}");
        assert_eq!(lines[0]["stops"], 3);
        assert_eq!(lines[0]["quoted_idr"], 45000);
        assert_eq!(lines[0]["charged_idr"], 48000);
    }

    async fn one_booking_without_a_driver_turns_the_job_down_and_calls_the_others_off_for_their_fee(app) {
        let (url, co) = company().await;
        let (job_id, _) = a_batched_job_failed_over(&app, &url).await;
        let t0 = booking_time(&app, &[&job_id]).await;
        run_bookings(&app, t0).await;
        let partner_id = job(&app, &job_id).await["offers"][1]["partner_id"].as_str().unwrap().to_owned();
        Company::set(&co, "BK-1", json!({"status": "driver_assigned", "driver": driver(1)}));
        run_bookings(&app, t0 + Duration::seconds(31)).await;
        // BK-2's stop finds no driver: it is booked again (BK-4, then BK-5) while the offer waits.
        Company::set(&co, "BK-2", json!({"status": "no_driver"}));
        run_bookings(&app, t0 + Duration::seconds(62)).await;
        run_bookings(&app, t0 + Duration::seconds(63)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["offers"][1]["status"], "pending", "{j}");
        assert_eq!(j["bookings"].as_array().unwrap().len(), 4, "{j}");
        Company::set(&co, "BK-4", json!({"status": "no_driver"}));
        run_bookings(&app, t0 + Duration::seconds(94)).await;
        run_bookings(&app, t0 + Duration::seconds(95)).await;
        assert_eq!(job(&app, &job_id).await["offers"][1]["status"], "pending");
        // The third booking without a driver: the offer is turned down, and BK-1 and BK-3 are
        // called off.
        Company::set(&co, "BK-5", json!({"status": "no_driver"}));
        run_bookings(&app, t0 + Duration::seconds(126)).await;
        run_bookings(&app, t0 + Duration::seconds(127)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["bookings"].as_array().unwrap().len(), 5, "{j}");
        assert_eq!(j["offers"][1]["status"], "rejected", "{j}");
        assert_eq!(j["offers"][1]["reason"], "no_driver_found");
        assert_ne!(j["job"]["status"], "courier_assigned", "{j}");
        assert!(j["bookings"].as_array().unwrap().iter().all(|b| b["state"] == "done"), "{j}");
        let calls = Company::calls(&co);
        assert!(calls.contains(&"cancel BK-1".to_owned()), "{calls:?}");
        assert!(calls.contains(&"cancel BK-3".to_owned()), "{calls:?}");
        for none in ["cancel BK-2", "cancel BK-4", "cancel BK-5"] {
            assert!(!calls.contains(&none.to_owned()), "nothing to cancel without a driver: {calls:?}");
        }
        let fees: Vec<Value> = j["bookings"].as_array().unwrap().iter().map(|b| b["fare_charged_idr"].clone()).collect();
        assert_eq!(fees.iter().filter(|f| **f == json!(5000)).count(), 1, "the driver on the way is paid: {fees:?}");
        let events = app.dispatch.store().job_events(job_id.parse().unwrap()).await.unwrap();
        assert!(!events.iter().any(|(_, k, _)| k == "job.accepted"), "{events:?}");
        // Nothing more is asked of the company.
        let before = Company::calls(&co).len();
        run_bookings(&app, t0 + Duration::seconds(3600)).await;
        assert_eq!(Company::calls(&co).len(), before);

        // The fee is on the month's invoice, with no stop delivered.
        let month = body(app.get(&format!("/api/v1/reports/invoice?partner_id={partner_id}&month=2031-03"), &app.admin).await).await;
        let lines = month["jobs"].as_array().unwrap();
        assert_eq!(lines.len(), 1, "{month}");
        assert_eq!(lines[0]["stops"], 0);
        assert_eq!(lines[0]["charged_idr"], 5000);
    }

    async fn a_signed_status_callback_hurries_its_booking_and_nothing_else_does(app) {
        let (url, co) = company().await;
        let keys = booking_partner(&app, &url, 1).await;
        let (partner_id, secret) = (keys.id, keys.callback_secret);
        pharmacy_with_orders(&app, 1, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let t0 = booking_time(&app, &[&job_id]).await;
        assert_eq!(run_bookings(&app, t0).await, 1);
        let reference = job(&app, &job_id).await["bookings"][0]["reference"].as_str().unwrap().to_owned();
        let path = format!("/partner/v1/bookings/{partner_id}/callback");
        let post = |body: Value, ts: i64, sig: Option<String>, to: String| {
            let app = &app;
            async move {
                let bytes = serde_json::to_vec(&body).unwrap();
                let mut r = app.client.post(format!("{}{to}", app.base))
                    .header("content-type", "application/json")
                    .header("x-callback-timestamp", ts.to_string());
                if let Some(s) = sig {
                    r = r.header("x-callback-signature", s);
                }
                r.body(bytes).send().await.unwrap()
            }
        };
        let now = Utc::now().timestamp();
        let about = json!({"booking_id": "BK-1", "reference": reference, "status": "driver_assigned"});
        let sign = |b: &Value, ts: i64, key: &str| Some(sign_callback(key, ts, &serde_json::to_vec(b).unwrap()));

        // Refused, and the booking stays where it was: a wrong secret, no signature, an old
        // timestamp, a booking that is not this partner's, a partner that takes no callbacks.
        assert_problem(post(about.clone(), now, sign(&about, now, "tebakan"), path.clone()).await, 401, "invalid_signature", None).await;
        assert_problem(post(about.clone(), now, None, path.clone()).await, 401, "invalid_signature", None).await;
        assert_problem(post(about.clone(), now - 600, sign(&about, now - 600, &secret), path.clone()).await, 401, "invalid_signature", None).await;
        let stranger = json!({"booking_id": "BK-9", "reference": Uuid::now_v7(), "status": "delivered"});
        assert_problem(post(stranger.clone(), now, sign(&stranger, now, &secret), path.clone()).await, 404, "not_found", None).await;
        let (hook, _) = mock_partner(vec![]).await;
        let ojek = partner(&app, "Ojek Sehat", &hook, 5, false).await;
        let elsewhere = format!("/partner/v1/bookings/{}/callback", ojek.id);
        assert_problem(post(about.clone(), now, sign(&about, now, &ojek.callback_secret), elsewhere).await, 404, "not_found", None).await;
        assert_eq!(run_bookings(&app, t0 + Duration::seconds(5)).await, 0, "not due: nothing moved it");

        // Signed as the company signs: the booking is looked at now, its status read back.
        Company::set(&co, "BK-1", json!({"status": "driver_assigned", "driver": driver(1)}));
        let r = post(about.clone(), now, sign(&about, now, &secret), path.clone()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(body(r).await["status"], "queued");
        assert_eq!(run_bookings(&app, t0 + Duration::seconds(5)).await, 1);
        assert_eq!(job(&app, &job_id).await["job"]["status"], "courier_assigned");
        assert_eq!(Company::calls(&co).last().unwrap(), "status BK-1");
        // A callback claiming delivery moves nothing by itself: the company still says assigned.
        let lie = json!({"booking_id": "BK-1", "reference": reference, "status": "delivered"});
        assert_eq!(post(lie.clone(), now, sign(&lie, now, &secret), path.clone()).await.status(), 200);
        run_bookings(&app, t0 + Duration::seconds(6)).await;
        assert_eq!(job(&app, &job_id).await["job"]["status"], "courier_assigned");
        Company::set(&co, "BK-1", json!({"status": "delivered", "driver": driver(1), "fare_idr": 15000}));
        assert_eq!(post(lie.clone(), now, sign(&lie, now, &secret), path.clone()).await.status(), 200);
        run_bookings(&app, t0 + Duration::seconds(7)).await;
        assert_eq!(job(&app, &job_id).await["job"]["status"], "completed");
        // About a finished booking: acknowledged, nothing to do.
        let r = post(lie.clone(), now, sign(&lie, now, &secret), path.clone()).await;
        assert_eq!(body(r).await["status"], "finished");
    }

    async fn a_cancelled_order_calls_off_its_own_booking_and_the_rest_of_the_job_goes_on(app) {
        let (url, co) = company().await;
        let (job_id, pharmacist) = a_batched_job_failed_over(&app, &url).await;
        let t0 = booking_time(&app, &[&job_id]).await;
        run_bookings(&app, t0).await;
        let j = job(&app, &job_id).await;
        let stops = j["stops"].as_array().unwrap().clone();
        let gone = stops[1]["order_id"].as_str().unwrap().to_owned();
        let gone_booking = j["bookings"].as_array().unwrap().iter()
            .find(|b| b["stop_id"] == stops[1]["id"]).unwrap()["booking_id"].as_str().unwrap().to_owned();
        let r = app.post(&format!("/api/v1/prescriptions/{gone}/cancel"), &pharmacist, &json!({"reason": "obat diambil keluarga"})).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        // Its booking is called off at once; the offer stands for the other two.
        run_bookings(&app, t0 + Duration::seconds(1)).await;
        assert!(Company::calls(&co).contains(&format!("cancel {gone_booking}")), "{:?}", Company::calls(&co));
        let j = job(&app, &job_id).await;
        assert_eq!(j["offers"][1]["status"], "pending", "{j}");
        let live = j["stops"].as_array().unwrap().iter().filter(|s| s["status"] != "removed").count();
        assert_eq!(live, 2, "{j}");
        assert_eq!(j["job"]["load"], 2);
        for b in ["BK-1", "BK-2", "BK-3"].into_iter().filter(|b| *b != gone_booking) {
            Company::set(&co, b, json!({"status": "driver_assigned", "driver": driver(1)}));
        }
        run_bookings(&app, t0 + Duration::seconds(31)).await;
        run_bookings(&app, t0 + Duration::seconds(32)).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "courier_assigned", "two drivers are enough now: {j}");
        assert_eq!(order_status(&app, &gone).await, "cancelled");
    }
}
