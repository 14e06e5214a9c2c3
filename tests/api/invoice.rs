//! A partner's month for reconciling its invoice (`GET /api/v1/reports/invoice`, JSON and CSV)
//! and who pays for a job, on SQLite and PostgreSQL: a webhook partner's job quoted at the
//! planner's fare and charged what the partner reported; a booking-API partner's jobs driven by
//! the booking worker against the booking-API simulator (`partner-sim --mode booking`) and
//! invoiced at their bookings' fares; no driver found fails over to the next partner.

use antar::partnersim::booking::{Advance, BookingSim, BookingSimConfig, BookingSimHandle};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::bookings::{booking_partner, booking_pass, booking_time};
use crate::dispatch::{
    Seq, deliver_all, job, mock_partner, order_status, partner, pharmacy_with_orders, plan,
    send_event,
};
use crate::support::*;
use crate::with_town;

/// The booking-API simulator, moving each booking one step per status poll.
async fn booking_sim(no_driver_rate: f64) -> BookingSimHandle {
    let mut c = BookingSimConfig::new("127.0.0.1:0".parse().unwrap(), "belum-ada", "rahasia");
    c.advance = Advance::PerPoll;
    c.no_driver_rate = no_driver_rate;
    c.surge_min = 1.3;
    c.surge_max = 1.3;
    BookingSim::start(c).await.unwrap()
}

/// A booking-API partner whose API is the simulator; the simulator takes the key antar minted.
async fn sim_partner(app: &TestApp, sim: &BookingSimHandle, rank: i64) -> String {
    let keys = booking_partner(app, &sim.url(), rank).await;
    sim.set_api_key(&keys.signing_secret);
    keys.id
}

async fn run_bookings(app: &TestApp, at: chrono::DateTime<Utc>) -> usize {
    booking_pass(app, at, false).await
}

async fn invoice(app: &TestApp, partner: &str, month: &str) -> Value {
    let r = app
        .get(
            &format!("/api/v1/reports/invoice?partner_id={partner}&month={month}"),
            &app.admin,
        )
        .await;
    assert_eq!(r.status(), 200);
    body(r).await
}

with_town! {
    async fn a_webhook_partners_month_lists_its_jobs_with_quote_charge_and_payer(app) {
        let (url, _mock) = mock_partner(vec![(200, json!({"decision": "accept"}))]).await;
        let keys = partner(&app, "Ojek Sehat", &url, 1, false).await;
        let (_, pharmacist, _) = pharmacy_with_orders(&app, 3, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        deliver_all(&app, Utc::now()).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "accepted", "{j}");
        let quoted = j["job"]["fare_idr"].as_f64().unwrap().round() as i64;
        assert!(quoted > 0);
        let stops: Vec<String> = j["stops"].as_array().unwrap().iter()
            .map(|s| s["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(stops.len(), 3);
        let now = || Utc::now().timestamp();
        let mut seq = Seq(0);
        let e = json!({"type": "job.picked_up", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next()});
        assert_eq!(send_event(&app, &keys, "evt_p", now(), &e).await.status(), 200);
        // Not finished yet: nothing to invoice.
        let month = invoice(&app, &keys.id, "2031-03").await;
        assert_eq!(month["jobs"].as_array().unwrap().len(), 0, "{month}");
        // A negative fare is refused and changes nothing.
        let bad = json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(),
                         "stop_id": stops[0], "proof": {"recipient_name": "Siti"}, "fare_idr": -5});
        assert_problem(send_event(&app, &keys, "evt_bad", now(), &bad).await, 422, "out_of_range", Some("fare_idr")).await;
        let first_order = j["stops"][0]["order_id"].as_str().unwrap().to_owned();
        assert_eq!(order_status(&app, &first_order).await, "picked_up");
        for (i, stop) in stops.iter().enumerate() {
            let mut e = json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(),
                               "stop_id": stop, "proof": {"recipient_name": "Siti"}});
            if i == 2 {
                e["fare_idr"] = json!(27_000);
            }
            assert_eq!(send_event(&app, &keys, &format!("evt_d{i}"), now(), &e).await.status(), 200);
        }
        assert_eq!(job(&app, &job_id).await["job"]["status"], "completed");

        let month = invoice(&app, &keys.id, "2031-03").await;
        assert_eq!(month["partner_name"], "Ojek Sehat");
        assert_eq!(month["month"], "2031-03");
        let lines = month["jobs"].as_array().unwrap();
        assert_eq!(lines.len(), 1, "{month}");
        assert_eq!(lines[0]["job_id"], job_id.as_str());
        assert_eq!(lines[0]["date"], "2031-03-04");
        assert_eq!(lines[0]["stops"], 3);
        assert_eq!(lines[0]["quoted_idr"], quoted);
        assert_eq!(lines[0]["charged_idr"], 27_000);
        assert_eq!(lines[0]["payer"], "program");
        assert_eq!(month["totals_by_payer"]["program"]["jobs"], 1);
        assert_eq!(month["totals_by_payer"]["program"]["charged_idr"], 27_000);
        assert_eq!(month["totals_by_payer"]["patient"]["jobs"], 0);
        assert_eq!(month["total"]["quoted_idr"], quoted);
        // Another month, another partner: nothing.
        assert_eq!(invoice(&app, &keys.id, "2031-04").await["jobs"].as_array().unwrap().len(), 0);
        let (url2, _) = mock_partner(vec![]).await;
        let other = partner(&app, "Ojek Lain", &url2, 2, false).await;
        assert_eq!(invoice(&app, &other.id, "2031-03").await["total"]["jobs"], 0);

        // The patient pays for this one.
        let r = app.put(&format!("/api/v1/jobs/{job_id}/payer"), &app.admin, &json!({"payer": "patient"})).await;
        assert_eq!(r.status(), 204);
        let month = invoice(&app, &keys.id, "2031-03").await;
        assert_eq!(month["jobs"][0]["payer"], "patient");
        assert_eq!(month["totals_by_payer"]["patient"]["charged_idr"], 27_000);
        assert_eq!(month["totals_by_payer"]["program"]["jobs"], 0);
        let audit = body(app.get("/api/v1/admin/audit?entity=job", &app.admin).await).await;
        assert!(audit.to_string().contains("set_payer"), "{audit}");
        let r = app.put(&format!("/api/v1/jobs/{job_id}/payer"), &app.admin, &json!({"payer": "dinas"})).await;
        assert_eq!(r.status(), 422);
        let r = app.put(&format!("/api/v1/jobs/{}/payer", Uuid::now_v7()), &app.admin, &json!({"payer": "program"})).await;
        assert_problem(r, 404, "not_found", None).await;
        let r = app.put(&format!("/api/v1/jobs/{job_id}/payer"), &pharmacist, &json!({"payer": "program"})).await;
        assert_eq!(r.status(), 403);
        assert_eq!(invoice(&app, &keys.id, "2031-03").await["jobs"][0]["payer"], "patient");

        // CSV, by Accept or by format.
        let path = format!("/api/v1/reports/invoice?partner_id={}&month=2031-03", keys.id);
        let r = app.req(reqwest::Method::GET, &path, Some(&app.admin)).header("accept", "text/csv").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows[0], "date,job_id,status,stops,quoted_idr,charged_idr,payer");
        assert_eq!(rows[1], format!("2031-03-04,{job_id},completed,3,{quoted},27000,patient"));
        let patient_total = format!("total,1,,3,{quoted},27000,patient");
        assert!(rows.contains(&patient_total.as_str()), "{csv}");
        assert!(rows.contains(&"total,0,,0,0,0,program"), "{csv}");
        assert!(rows.last().unwrap().ends_with(",27000,all"), "{csv}");
        let r = app.get(&format!("{path}&format=csv"), &app.admin).await;
        assert_eq!(r.text().await.unwrap(), csv);

        // Bad input is named; a social worker may read it, a pharmacist may not.
        let bad = |q: &str| format!("/api/v1/reports/invoice?{q}");
        assert_problem(app.get(&bad(&format!("partner_id={}&month=2031-13", keys.id)), &app.admin).await, 422, "invalid_month", Some("month")).await;
        assert_problem(app.get(&bad(&format!("partner_id={}&month=maret", keys.id)), &app.admin).await, 422, "invalid_month", Some("month")).await;
        assert_problem(app.get(&bad(&format!("partner_id={}&month=2031-03", Uuid::now_v7())), &app.admin).await, 404, "not_found", None).await;
        assert_problem(app.get(&format!("{path}&format=xml"), &app.admin).await, 422, "invalid_format", Some("format")).await;
        assert_eq!(app.get(&bad("partner_id=abc&month=2031-03"), &app.admin).await.status(), 422);
        assert_eq!(app.get(&bad("month=2031-03"), &app.admin).await.status(), 422);
        let social = app.token("social_worker", None).await;
        assert_eq!(app.get(&path, &social).await.status(), 200);
        assert_eq!(app.get(&path, &pharmacist).await.status(), 403);
    }

    async fn a_booking_partner_is_driven_through_the_simulator_and_invoiced_at_its_bookings(app) {
        let sim = booking_sim(0.0).await;
        let partner_id = sim_partner(&app, &sim, 1).await;
        let (_, _, orders) = pharmacy_with_orders(&app, 2, false).await;
        let p = plan(&app).await;
        let jobs: Vec<String> = p["job_ids"].as_array().unwrap().iter().map(|j| j.as_str().unwrap().to_owned()).collect();
        assert_eq!(jobs.len(), 2, "one drop per booking: one job per stop {p}");
        let t0 = booking_time(&app, &[&jobs[0], &jobs[1]]).await;
        // Quote and book, then three polls: driver assigned, picked up, delivered.
        assert_eq!(run_bookings(&app, t0).await, 2);
        assert_eq!(sim.stats().bookings, 2);
        for k in 1..=3 {
            assert_eq!(run_bookings(&app, t0 + Duration::seconds(31 * k)).await, 2);
        }
        let mut fares = 0;
        for id in &jobs {
            let j = job(&app, id).await;
            assert_eq!(j["job"]["status"], "completed", "{j}");
            assert!(j["job"]["courier"]["plate"].as_str().unwrap().starts_with("P "), "{j}");
            let b = &j["bookings"][0];
            assert_eq!(b["state"], "done");
            assert_eq!(b["fare_charged_idr"], b["fare_quoted_idr"], "charged the quote");
            fares += b["fare_charged_idr"].as_i64().unwrap();
        }
        for (o, _) in &orders {
            assert_eq!(order_status(&app, o).await, "delivered");
        }
        assert_eq!(sim.stats().delivered, 2);
        // The company heard a label, a phone, the address and the parcel code; nothing clinical.
        let told = serde_json::to_string(&sim.quote_requests()).unwrap();
        for secret in ["insulin", "DM tipe", "RM-001", "Siti Aminah", "clinical"] {
            assert!(!told.contains(secret), "{secret:?} reached the booking company: {told}");
        }
        assert!(told.contains("Jl. Ahmad Yani"), "{told}");

        let month = invoice(&app, &partner_id, "2031-03").await;
        let lines = month["jobs"].as_array().unwrap();
        assert_eq!(lines.len(), 2, "{month}");
        assert!(lines.iter().all(|l| l["stops"] == 1 && l["quoted_idr"] == l["charged_idr"] && l["payer"] == "program"), "{month}");
        assert_eq!(month["total"]["charged_idr"], fares);
        assert_eq!(month["totals_by_payer"]["program"]["charged_idr"], fares);
        // CSV agrees.
        let r = app.get(&format!("/api/v1/reports/invoice?partner_id={partner_id}&month=2031-03&format=csv"), &app.admin).await;
        let csv = r.text().await.unwrap();
        assert_eq!(csv.lines().count(), 1 + 2 + 2 + 1, "{csv}");
        assert!(csv.lines().last().unwrap().ends_with(&format!(",{fares},all")), "{csv}");
    }

    async fn no_driver_at_the_booking_company_fails_over_and_is_not_invoiced(app) {
        let sim = booking_sim(1.0).await;
        let partner_id = sim_partner(&app, &sim, 1).await;
        let (hook, _) = mock_partner(vec![(202, json!({}))]).await;
        let ojek = partner(&app, "Ojek Sehat", &hook, 2, false).await;
        pharmacy_with_orders(&app, 1, false).await;
        let p = plan(&app).await;
        let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
        let t0 = booking_time(&app, &[&job_id]).await;
        run_bookings(&app, t0).await;
        // No driver, three bookings in a row: then the next partner is asked.
        let mut t = t0;
        for _ in 0..3 {
            t += Duration::seconds(31);
            run_bookings(&app, t).await;
            t += Duration::seconds(1);
            run_bookings(&app, t).await;
        }
        assert_eq!(sim.stats().no_driver, 3);
        deliver_all(&app, t).await;
        let j = job(&app, &job_id).await;
        assert_eq!(j["offers"][0]["partner_id"], partner_id.as_str());
        assert_eq!(j["offers"][0]["status"], "rejected", "{j}");
        assert_eq!(j["offers"][0]["reason"], "no_driver_found");
        assert_eq!(j["offers"][1]["partner_id"], ojek.id.as_str(), "the next partner is asked");
        let month = invoice(&app, &partner_id, "2031-03").await;
        assert_eq!(month["jobs"].as_array().unwrap().len(), 0, "{month}");
        assert_eq!(month["total"]["charged_idr"], 0);
    }
}
