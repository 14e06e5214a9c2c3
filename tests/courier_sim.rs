//! Our own couriers simulated (`antar partner-sim --mode couriers`) against the real antar over
//! loopback, on SQLite and on PostgreSQL: a kitchen and a pharmacy with couriers of their own, a
//! plan that gives every job to a courier, and the simulator reading the links with a staff
//! token and riding each job through the courier page. antar must record exactly one event per
//! action (a resent action is answered `duplicate`, an action that met a stopped antar arrives
//! once it is back), every meal ends delivered or failed, and every door outcome shows as the
//! alert it should raise. A link taken from a courier answers 410 and is dropped; the new
//! courier's link is ridden instead.
//!
//! No sleeps: the simulator is driven step by step with the times it says are next.

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "api/support.rs"]
mod support;

use std::collections::{HashMap, HashSet};

use antar::partnersim::couriers::{CourierSim, CourierSimConfig, Step};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::{TestApp, body, prescription};

const DAY: &str = "2031-03-04";

fn t0() -> DateTime<Utc> {
    "2031-03-04T00:00:00Z".parse().unwrap()
}

async fn own_fleet(app: &TestApp) {
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": "Armada Rantang Kasih", "kind": "own_fleet", "rank": 1,
                    "capabilities": {"max_stops": 20, "capacity": 50, "cold_box": true, "controlled_handover": true},
                    "fare": {"base_idr": 0, "per_km_idr": 0}}),
        )
        .await;
    assert_eq!(r.status(), 201);
}

async fn courier(app: &TestApp, site: &str, name: &str, capacity: u32) -> String {
    let r = app
        .post(
            "/api/v1/couriers",
            &app.admin,
            &json!({"site_id": site, "name": name, "phone": "0812-3333-4444", "vehicle": "Honda Supra P 1234 AB",
                    "capacity": capacity, "max_stops": capacity}),
        )
        .await;
    assert_eq!(r.status(), 201);
    body(r).await["id"].as_str().unwrap().to_owned()
}

/// A kitchen with `elders` enrolled and the day's meals made; returns the kitchen and a social
/// worker's token.
async fn kitchen(app: &TestApp, elders: usize) -> (String, String) {
    let social = app.token("social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.352).await;
    for i in 0..elders {
        let r = app
            .post(
                "/api/v1/recipients",
                &social,
                &json!({"name": format!("Mbah Darmi {i}"),
                        "location": {"lat": -8.212 + 0.002 * (i % 4) as f64, "lon": 114.345 + 0.003 * (i / 4) as f64}}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let recipient = body(r).await["id"].as_str().unwrap().to_owned();
        let r = app
            .post(
                "/api/v1/enrolments",
                &social,
                &json!({"recipient_id": recipient, "kitchen_id": kitchen, "start_date": "2031-03-01"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let r = app
        .post(
            &format!("/api/v1/meal-days/{DAY}/orders"),
            &social,
            &json!({}),
        )
        .await;
    assert!(r.status().is_success());
    (kitchen, social)
}

/// Plan everything ready; the ids of the jobs made, each checked to be held by a courier.
async fn plan_for_couriers(app: &TestApp) -> Vec<String> {
    let r = app
        .post(
            "/api/v1/plans",
            &app.admin,
            &json!({"dry_run": false, "time_limit_ms": 200}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let p = body(r).await;
    let jobs: Vec<String> = p["job_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j.as_str().unwrap().to_owned())
        .collect();
    assert!(!jobs.is_empty(), "{p}");
    for id in &jobs {
        let j = job(app, id).await;
        assert_eq!(j["job"]["status"], "courier_assigned", "{j}");
        assert!(j["courier_link"].is_string(), "{j}");
    }
    jobs
}

async fn job(app: &TestApp, id: &str) -> Value {
    body(app.get(&format!("/api/v1/jobs/{id}"), &app.admin).await).await
}

async fn alerts(app: &TestApp, kind: &str) -> usize {
    let r = app
        .get(&format!("/api/v1/alerts?kind={kind}&limit=500"), &app.admin)
        .await;
    assert_eq!(r.status(), 200);
    body(r).await.as_array().unwrap().len()
}

/// Step the simulator from `step` until nothing is planned, at the times it names.
async fn ride_to_the_end(sim: &mut CourierSim, mut step: Step) -> DateTime<Utc> {
    let mut now = t0();
    while let Some(next) = step.next_due {
        assert!(next >= now, "time only moves forward");
        now = next;
        step = sim.run_once(now).await;
        assert_eq!(step.waiting, 0, "antar is up: nothing waits");
    }
    assert_eq!(step.riding, 0, "every ride finished");
    now
}

with_town! {
    async fn couriers_ride_a_day_through_the_page_and_antar_records_each_action_once(app) {
        let mut app = app;
        own_fleet(&app).await;
        let (kitchen_id, social) = kitchen(&app, 12).await;
        for name in ["Pak Slamet", "Mas Eko", "Bu Sri"] {
            courier(&app, &kitchen_id, name, 6).await;
        }
        let pharmacy = app.site("pharmacy", "RSUD Blambangan", -8.225, 114.35).await;
        courier(&app, &pharmacy, "Mas Joko", 10).await;
        let pharmacist = app.token("pharmacist", Some(&pharmacy)).await;
        let mut controlled = None;
        for i in 0..3 {
            let mut p = prescription(&format!("Siti Aminah {i}"));
            p["patient"]["location"] = json!({"lat": -8.215 + 0.002 * i as f64, "lon": 114.355});
            p["ready_at"] = json!("2031-03-04T02:00:00Z");
            p["deliver_by"] = json!("2031-03-04T06:00:00Z");
            p["controlled"] = json!(i == 0);
            let r = app.post("/api/v1/prescriptions", &pharmacist, &p).await;
            assert_eq!(r.status(), 201);
            let b = body(r).await;
            if i == 0 {
                controlled = Some((b["id"].as_str().unwrap().to_owned(), b["handover_pin"].as_str().unwrap().to_owned()));
            }
        }
        let jobs = plan_for_couriers(&app).await;
        // The patient tells the courier the PIN; the simulator knows it by the parcel code.
        let mut config = CourierSimConfig::new(app.base.clone(), social.clone());
        let (controlled, pin) = controlled.unwrap();
        for id in &jobs {
            for s in job(&app, id).await["stops"].as_array().unwrap() {
                if s["order_id"] == controlled.as_str() {
                    config.pins.insert(s["parcel_code"].as_str().unwrap(), pin.clone());
                }
            }
        }
        assert_eq!(config.pins.len(), 1);
        config.not_home_rate = 0.2;
        config.unwell_rate = 0.2;
        config.refuse_rate = 0.2;
        config.tin_rate = 0.8;
        config.note_rate = 0.3;
        config.resend_rate = 0.25;
        config.seed = 7;
        let mut sim = CourierSim::new(config).unwrap();

        // The first step lists the jobs and opens every page; pickups wait for departure.
        let mut step = sim.run_once(t0()).await;
        let s = sim.stats();
        assert_eq!((s.links_found, s.jobs_ridden), (jobs.len() as u64, jobs.len() as u64), "{s:?}");
        assert_eq!((s.actions_sent, step.riding), (0, jobs.len()), "{s:?}");
        let first_departure = step.next_due.expect("pickups planned");

        // Ride until every job is picked up, then lose antar: what is tapped meanwhile stays
        // queued on the phones and arrives once antar is back, each action once.
        let mut now = t0();
        while sim.stats().picked_up < jobs.len() as u64 {
            now = step.next_due.expect("still riding");
            step = sim.run_once(now).await;
            assert_eq!(step.waiting, 0);
        }
        assert!(now >= first_departure);
        app.stop().await;
        let mut outage = 0;
        while sim.stats().actions_waiting == 0 {
            now = step.next_due.expect("stops still to ride");
            step = sim.run_once(now).await;
            outage += 1;
        }
        let stuck = sim.stats();
        assert!(stuck.send_failures >= 1 && stuck.actions_waiting >= 1, "{stuck:?} after {outage} steps");
        // The phone keeps trying at every step while antar is down.
        step = sim.run_once(now).await;
        assert!(step.waiting >= 1);
        assert!(sim.stats().send_failures > stuck.send_failures);
        app.restart().await;
        step = sim.run_once(now).await;
        assert_eq!(step.waiting, 0, "everything queued went out once antar was back");
        ride_to_the_end(&mut sim, step).await;

        let s = sim.stats();
        println!("{}", serde_json::to_string_pretty(&s).unwrap());
        assert_eq!(s.jobs_finished, jobs.len() as u64);
        assert_eq!(s.links_dropped, 0);
        assert!(s.refused.is_empty(), "the PIN was known, nothing refused: {s:?}");
        assert_eq!(s.picked_up, jobs.len() as u64);
        assert_eq!(s.stops_delivered + s.stops_unwell + s.stops_not_home + s.stops_refused, 15, "{s:?}");
        assert!(s.stops_not_home >= 1 && s.stops_unwell >= 1 && s.stops_refused >= 1, "{s:?}");
        assert!(s.tins_returned >= 1, "{s:?}");

        // Exactly one event per action: each id taken (applied or stale) is recorded once, and
        // a resent action was answered duplicate and recorded nothing more.
        let records = sim.records();
        assert_eq!(records.len() as u64, s.actions_sent);
        let ids: HashSet<&str> = records.iter().map(|r| r.event_id.as_str()).collect();
        assert_eq!(ids.len(), records.len(), "every action has its own id");
        assert!(s.resent >= 1, "{s:?}");
        assert_eq!(s.duplicate, s.resent, "{s:?}");
        for r in records {
            let taken: Vec<&String> = r.answers.iter().filter(|a| *a == "applied" || *a == "stale").collect();
            assert_eq!(taken.len(), 1, "{r:?}");
            if r.answers.len() > 1 {
                let after: Vec<&str> = r.answers.iter().skip_while(|a| *a == "network").skip(1).map(String::as_str).collect();
                assert!(after.iter().all(|a| *a == "duplicate"), "{r:?}");
            }
        }
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for id in &jobs {
            let job_id: uuid::Uuid = id.parse().unwrap();
            let events = app.dispatch.store().job_events(job_id).await.unwrap();
            let mine: Vec<&antar::partnersim::couriers::ActionRecord> =
                records.iter().filter(|r| r.job_id == job_id).collect();
            assert_eq!(events.len(), mine.len(), "{events:?}\n{mine:?}");
            for r in &mine {
                let n = events.iter().filter(|(w, _, _)| w.ends_with(&format!("_{}", r.event_id))).count();
                assert_eq!(n, 1, "{r:?} in {events:?}");
            }
            for (_, kind, _) in &events {
                *kinds.entry(kind.clone()).or_default() += 1;
            }
            assert_eq!(job(&app, id).await["job"]["status"], "completed");
        }
        assert_eq!(kinds.get("courier.tin_returned").copied().unwrap_or(0) as u64, s.tins_returned);
        assert_eq!(kinds.get("courier.note").copied().unwrap_or(0) as u64, s.notes);
        assert_eq!(kinds["job.picked_up"], jobs.len());

        // Every meal ends delivered or failed; medicine delivered or on its way back.
        let meals = body(app.get(&format!("/api/v1/orders?kind=meal&date={DAY}"), &social).await).await;
        let meals = meals.as_array().unwrap();
        assert_eq!(meals.len(), 12);
        let mut handed = 0;
        for o in meals {
            let st = o["status"].as_str().unwrap();
            assert!(st == "delivered" || st == "failed", "{o}");
            handed += usize::from(st == "delivered");
        }
        let medicine = body(app.get("/api/v1/prescriptions", &pharmacist).await).await;
        for o in medicine.as_array().unwrap() {
            let st = o["status"].as_str().unwrap();
            assert!(st == "delivered" || st == "returning", "{o}");
            handed += usize::from(st == "delivered");
        }
        assert_eq!(handed as u64, s.stops_delivered + s.stops_unwell);
        // Each door that raised a concern raised its alert.
        assert_eq!(alerts(&app, "unwell").await as u64, s.stops_unwell);
        assert_eq!(
            (alerts(&app, "welfare").await + alerts(&app, "medicine_failed").await) as u64,
            s.stops_not_home + s.stops_refused
        );
    }

    async fn a_courier_not_told_the_pin_is_refused_the_handover_and_takes_the_medicine_back(app) {
        own_fleet(&app).await;
        let pharmacy = app.site("pharmacy", "RSUD Blambangan", -8.225, 114.35).await;
        courier(&app, &pharmacy, "Mas Joko", 10).await;
        let pharmacist = app.token("pharmacist", Some(&pharmacy)).await;
        let mut p = prescription("Siti Aminah");
        p["ready_at"] = json!("2031-03-04T02:00:00Z");
        p["deliver_by"] = json!("2031-03-04T06:00:00Z");
        p["controlled"] = json!(true);
        let r = app.post("/api/v1/prescriptions", &pharmacist, &p).await;
        assert_eq!(r.status(), 201);
        let order = body(r).await["id"].as_str().unwrap().to_owned();
        let jobs = plan_for_couriers(&app).await;
        // A site-bound token sees its own site's couriers.
        let mut config = CourierSimConfig::new(app.base.clone(), pharmacist.clone());
        config.not_home_rate = 0.0;
        config.unwell_rate = 0.0;
        config.refuse_rate = 0.0;
        config.note_rate = 0.0;
        config.resend_rate = 0.0;
        let mut sim = CourierSim::new(config).unwrap();
        let step = sim.run_once(t0()).await;
        ride_to_the_end(&mut sim, step).await;
        let s = sim.stats();
        assert_eq!(s.refused.get("pin_required"), Some(&1), "{s:?}");
        assert_eq!((s.stops_without_pin, s.stops_delivered, s.jobs_finished), (1, 0, 1), "{s:?}");
        let o = body(app.get(&format!("/api/v1/prescriptions/{order}"), &pharmacist).await).await;
        assert_eq!(o["status"], "returning", "{o}");
        assert_eq!(alerts(&app, "medicine_failed").await, 1);
        let events = app.dispatch.store().job_events(jobs[0].parse().unwrap()).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["job.picked_up", "stop.failed"], "the refused Diantar recorded nothing");
    }

    async fn a_link_taken_from_a_courier_is_dropped_and_the_new_couriers_link_ridden(app) {
        own_fleet(&app).await;
        let (kitchen_id, social) = kitchen(&app, 2).await;
        courier(&app, &kitchen_id, "Pak Slamet", 6).await;
        let jobs = plan_for_couriers(&app).await;
        assert_eq!(jobs.len(), 1);
        let job_id = &jobs[0];
        let first = job(&app, job_id).await;
        let old_link = first["courier_link"].as_str().unwrap().to_owned();
        let mut config = CourierSimConfig::new(app.base.clone(), social);
        config.resend_rate = 0.0;
        let mut sim = CourierSim::new(config).unwrap();
        let step = sim.run_once(t0()).await;
        assert_eq!(sim.stats().jobs_ridden, 1);
        let departure = step.next_due.unwrap();

        // Staff give the job to another courier before the pickup.
        let other = courier(&app, &kitchen_id, "Mas Eko", 6).await;
        let r = app.post(&format!("/api/v1/jobs/{job_id}/courier"), &app.admin, &json!({"courier_id": other})).await;
        assert_eq!(r.status(), 200);
        let new_link = job(&app, job_id).await["courier_link"].as_str().unwrap().to_owned();
        assert_ne!(new_link, old_link);

        // At departure the old page answers 410 and is dropped; the listing made at the same
        // step finds the new courier's link, which is ridden to the end.
        let step = sim.run_once(departure).await;
        let s = sim.stats();
        assert_eq!((s.links_dropped, s.links_found, s.jobs_ridden), (1, 2, 2), "{s:?}");
        ride_to_the_end(&mut sim, step).await;
        let s = sim.stats();
        assert_eq!((s.jobs_finished, s.picked_up), (1, 1), "{s:?}");
        assert_eq!(s.stops_delivered + s.stops_unwell + s.stops_not_home + s.stops_refused, 2);
        let old_tapped = sim.records().iter().filter(|r| r.answers == ["link_gone"]).count();
        assert!(old_tapped <= 1, "the old phone tapped at most its pickup: {:?}", sim.records());
        assert_eq!(job(&app, job_id).await["job"]["status"], "completed");
        let events = app.dispatch.store().job_events(job_id.parse().unwrap()).await.unwrap();
        assert!(events.iter().all(|(w, _, _)| w.starts_with(&format!("kurir_{}_", other.replace('-', "")))), "{events:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_finds_the_links_serves_its_stats_and_prints_them_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let app = TestApp::spawn_with(support::Backend::Sqlite, support::TOWN)
        .await
        .unwrap();
    own_fleet(&app).await;
    let (kitchen_id, social) = kitchen(&app, 2).await;
    courier(&app, &kitchen_id, "Pak Slamet", 6).await;
    plan_for_couriers(&app).await;

    let help = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args(["partner-sim", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--mode couriers"), "{help}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args([
            "partner-sim",
            "--mode",
            "couriers",
            "--listen",
            "127.0.0.1:0",
            "--antar-url",
            &app.base,
            "--date",
            DAY,
        ])
        .env("ANTAR_SIM_TOKEN", &social)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The first listing is made before the ready line; antar serves it meanwhile.
    let (first, mut lines) = tokio::task::spawn_blocking(move || {
        let first = lines.next().expect("a ready line").unwrap();
        (first, lines)
    })
    .await
    .unwrap();
    assert!(first.contains("1 tautan kurir"), "{first}");
    let url = first
        .split_whitespace()
        .find(|w| w.ends_with("/stats"))
        .expect("the stats URL")
        .to_owned();
    let stats = body(reqwest::get(&url).await.unwrap()).await;
    assert_eq!(
        (&stats["links_found"], &stats["jobs_ridden"]),
        (&json!(1), &json!(1)),
        "{stats}"
    );
    assert_eq!(
        stats["actions_sent"], 0,
        "the day is years away: nothing tapped yet"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest = tokio::task::spawn_blocking(move || {
        let exit = child.wait().unwrap();
        assert!(exit.success(), "{exit:?}");
        lines
            .by_ref()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
            .join("\n")
    })
    .await
    .unwrap();
    let printed: Value = serde_json::from_str(&rest).unwrap_or_else(|_| panic!("{rest}"));
    assert_eq!(printed["links_found"], 1, "{printed}");
}
