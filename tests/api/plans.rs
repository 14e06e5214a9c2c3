//! Planning previews over the demo town's real road graph.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::support::*;
use crate::with_town;

#[tokio::test]
async fn without_a_road_network_planning_says_so() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let r = app
        .post("/api/v1/plans", &app.admin, &json!({"dry_run": true}))
        .await;
    assert_problem(r, 409, "no_road_network", None).await;
}

#[tokio::test]
async fn every_ready_order_is_routed_once_or_explained() {
    let app = TestApp::spawn_with(Backend::Sqlite, TOWN).await.unwrap();
    let social = app.token("social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.215, 114.33).await;
    let pharmacy = app
        .site("pharmacy", "RSUD Blambangan", -8.225, 114.35)
        .await;
    let pharmacist = app.token("pharmacist", Some(&pharmacy)).await;
    // 40 elders spread over the town, all on weekdays, lunch 10:30-12:30.
    for i in 0..40 {
        let lat = -8.238 + 0.034 * f64::from(i % 8) / 7.0;
        let lon = 114.31 + 0.065 * f64::from(i / 8) / 4.0;
        let r = app
            .post(
                "/api/v1/recipients",
                &social,
                &json!({"name": format!("Mbah {i}"), "location": {"lat": lat, "lon": lon}}),
            )
            .await;
        let id = body(r).await["id"].as_str().unwrap().to_owned();
        let r = app
            .post(
                "/api/v1/enrolments",
                &social,
                &json!({"recipient_id": id, "kitchen_id": kitchen, "start_date": "2031-03-01"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    assert_eq!(
        body(
            app.post("/api/v1/meal-days/2031-03-04/orders", &social, &json!({}))
                .await
        )
        .await["created"],
        40
    );
    // Medicine: one cold-chain, one controlled, one far outside the road network.
    let mut cold = prescription("Ibu Insulin");
    cold["patient"]["location"] = json!({"lat": -8.21, "lon": 114.36});
    cold["cold_chain_max_minutes"] = json!(45);
    cold["ready_at"] = json!("2031-03-04T02:00:00Z");
    cold["deliver_by"] = json!("2031-03-04T06:00:00Z");
    let mut controlled = cold.clone();
    controlled["patient"]["name"] = json!("Pak Morfin");
    controlled["controlled"] = json!(true);
    controlled
        .as_object_mut()
        .unwrap()
        .remove("cold_chain_max_minutes");
    let mut far = cold.clone();
    far["patient"]["location"] = json!({"lat": -8.22, "lon": 114.45});
    let mut ids = HashSet::new();
    for b in [&cold, &controlled, &far] {
        let r = app.post("/api/v1/prescriptions", &pharmacist, b).await;
        ids.insert(body(r).await["id"].as_str().unwrap().to_owned());
    }
    let far_id = body(app.get("/api/v1/prescriptions", &pharmacist).await)
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["far_from_road"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app
        .post(
            "/api/v1/plans",
            &social,
            &json!({"dry_run": true, "date": "2031-03-04", "time_limit_ms": 300}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let plan = body(r).await;
    assert_eq!(plan["orders"], 43);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for route in plan["routes"].as_array().unwrap() {
        let stops = route["stops"].as_array().unwrap();
        assert!(
            !stops.is_empty() && stops.len() <= 20,
            "max 20 stops per job"
        );
        let meals = stops.iter().filter(|s| s["kind"] == "meal").count();
        assert!(meals <= 18, "a courier carries at most 18 rantang");
        let kinds: HashSet<_> = stops.iter().map(|s| s["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds.len(),
            1,
            "one pickup site per route, so one kind here"
        );
        let coords = route["geometry"]["coordinates"].as_array().unwrap();
        assert!(coords.len() >= 2);
        for s in stops {
            *seen
                .entry(s["order_id"].as_str().unwrap().to_owned())
                .or_default() += 1;
            assert!(s["eta"].as_str().unwrap() <= s["departure"].as_str().unwrap());
        }
        assert!(route["fare_idr"].as_f64().unwrap() > 0.0);
    }
    for u in plan["unplanned"].as_array().unwrap() {
        *seen
            .entry(u["order_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
        assert!(!u["reason"].as_str().unwrap().is_empty());
    }
    assert_eq!(seen.len(), 43, "every ready order appears");
    assert!(seen.values().all(|&n| n == 1), "and only once");
    let far_entry = plan["unplanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["order_id"] == far_id.as_str())
        .unwrap();
    assert_eq!(far_entry["code"], "far_from_road");
    assert!(plan["cost_idr"].as_f64().unwrap() < plan["one_trip_per_order_idr"].as_f64().unwrap());
    // A pharmacist plans only their own site's orders.
    let own = body(
        app.post(
            "/api/v1/plans",
            &pharmacist,
            &json!({"dry_run": true, "time_limit_ms": 100}),
        )
        .await,
    )
    .await;
    assert_eq!(own["orders"], 3);
    // A preview stores nothing: every order is still ready.
    let still_ready = body(
        app.get("/api/v1/prescriptions?status=ready", &pharmacist)
            .await,
    )
    .await;
    assert_eq!(still_ready.as_array().unwrap().len(), 3);
}

/// Order id → recipient id for a day's meal orders.
async fn meal_recipients(app: &TestApp, token: &str, date: &str) -> HashMap<String, String> {
    let orders = body(
        app.get(&format!("/api/v1/orders?kind=meal&date={date}"), token)
            .await,
    )
    .await;
    orders
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_owned(),
                o["recipient_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The recipients of each planned route, keyed by its standing route (or "new").
fn routes_by_standing(
    plan: &serde_json::Value,
    who: &HashMap<String, String>,
) -> Vec<(String, Vec<String>)> {
    plan["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = r["standing_route_id"].as_str().unwrap_or("new").to_owned();
            let stops = r["stops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| who[s["order_id"].as_str().unwrap()].clone())
                .collect();
            (key, stops)
        })
        .collect()
}

async fn enrol_at(
    app: &TestApp,
    social: &str,
    kitchen: &str,
    name: &str,
    lat: f64,
    lon: f64,
) -> String {
    let r = app
        .post(
            "/api/v1/recipients",
            social,
            &json!({"name": name, "location": {"lat": lat, "lon": lon}}),
        )
        .await;
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/api/v1/enrolments",
            social,
            &json!({"recipient_id": id, "kitchen_id": kitchen, "start_date": "2031-03-01"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    id
}

async fn plan_day(app: &TestApp, token: &str, date: &str, dry_run: bool) -> serde_json::Value {
    let r = app
        .post(
            &format!("/api/v1/meal-days/{date}/orders"),
            token,
            &json!({}),
        )
        .await;
    assert!(r.status().is_success());
    let r = app
        .post(
            "/api/v1/plans",
            token,
            &json!({"dry_run": dry_run, "date": date, "time_limit_ms": 600}),
        )
        .await;
    assert_eq!(r.status(), 200);
    body(r).await
}

/// Meal routes are kept from day to day: a stop put on the wrong route goes back with a reason,
/// the others stay where they were, and a sealed route is kept exactly.
async fn standing_routes_are_kept_moved_with_reasons_and_sealed(app: TestApp) {
    let social = app.token("social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.358).await;
    // Two tight groups of twelve elders, 1.5 km north and 1.5 km south of the kitchen: more than
    // one courier's 18 tins, so two routes.
    let mut north = Vec::new();
    let mut south = Vec::new();
    for i in 0..12 {
        let (dlat, dlon) = (0.001 * f64::from(i % 4), 0.001 * f64::from(i / 4));
        north.push(
            enrol_at(
                &app,
                &social,
                &kitchen,
                &format!("Mbah Utara {i}"),
                -8.2045 + dlat,
                114.355 + dlon,
            )
            .await,
        );
        south.push(
            enrol_at(
                &app,
                &social,
                &kitchen,
                &format!("Mbah Selatan {i}"),
                -8.2365 + dlat,
                114.355 + dlon,
            )
            .await,
        );
    }
    // Day 1: no standing routes yet; the plan creates them.
    let day1 = plan_day(&app, &social, "2031-03-04", false).await;
    assert_eq!(day1["stops_moved"], 0);
    if day1["unplanned"] != json!([]) {
        let orders = body(
            app.get("/api/v1/orders?kind=meal&date=2031-03-04", &social)
                .await,
        )
        .await;
        for u in day1["unplanned"].as_array().unwrap() {
            let o = orders
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["id"] == u["order_id"])
                .unwrap();
            eprintln!(
                "UNPLANNED {} {} {}",
                o["recipient_name"], o["location"], o["status"]
            );
        }
        panic!("unplanned");
    }
    let listed = body(
        app.get(
            &format!("/api/v1/standing-routes?site_id={kitchen}"),
            &social,
        )
        .await,
    )
    .await;
    let routes = listed.as_array().unwrap();
    assert_eq!(routes.len(), 2, "{listed}");
    let of = |r: &serde_json::Value| -> Vec<String> {
        r["recipient_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let (n_route, s_route) = if of(&routes[0]).contains(&north[0]) {
        (&routes[0], &routes[1])
    } else {
        (&routes[1], &routes[0])
    };
    let mut n_list = of(n_route);
    let mut s_list = of(s_route);
    n_list.sort();
    s_list.sort();
    let (mut ns, mut ss) = (north.clone(), south.clone());
    ns.sort();
    ss.sort();
    assert_eq!((n_list, s_list), (ns, ss), "one route per group");

    // Staff records put the south route's last elder on the north route.
    let n_id: uuid::Uuid = n_route["id"].as_str().unwrap().parse().unwrap();
    let s_id: uuid::Uuid = s_route["id"].as_str().unwrap().parse().unwrap();
    let stray = of(s_route).last().unwrap().clone();
    {
        use antar::store::routes as sr;
        let store = app.dispatch.store();
        let mut tx = store.begin().await.unwrap();
        let mut n = sr::standing_route_in(&mut tx, n_id).await.unwrap();
        let mut s = sr::standing_route_in(&mut tx, s_id).await.unwrap();
        let stray_id = stray.parse().unwrap();
        s.recipients.retain(|r| *r != stray_id);
        n.recipients.push(stray_id);
        sr::remove_recipients(&mut tx, &[stray_id]).await.unwrap();
        sr::save_standing_route(&mut tx, &s).await.unwrap();
        sr::save_standing_route(&mut tx, &n).await.unwrap();
        tx.commit().await.unwrap();
    }
    // Day 2: the stray elder goes back south, with a reason; nobody else changes route.
    let day2 = plan_day(&app, &social, "2031-03-05", false).await;
    let who2 = meal_recipients(&app, &social, "2031-03-05").await;
    let changes = day2["changes"].as_array().unwrap();
    let moved: Vec<_> = changes.iter().filter(|c| c["change"] == "moved").collect();
    assert_eq!(moved.len(), 1, "{changes:?}");
    assert_eq!(who2[moved[0]["order_id"].as_str().unwrap()], stray);
    assert_eq!(moved[0]["from_route"], n_route["name"]);
    assert_eq!(moved[0]["to_route"], s_route["name"]);
    assert!(!moved[0]["reason"].as_str().unwrap().is_empty());
    assert!(
        day2["stops_moved"].as_u64().unwrap() <= 2,
        "at most one stop pushed back a place"
    );
    let stored = body(
        app.get(
            &format!("/api/v1/plans/{}", day2["plan_id"].as_str().unwrap()),
            &social,
        )
        .await,
    )
    .await;
    assert_eq!(stored["stops_moved"], day2["stops_moved"]);

    // The north route is sealed; a new elder next door on day 3 does not join it.
    let r = app
        .post(
            &format!("/api/v1/standing-routes/{n_id}/seal"),
            &social,
            &json!({"sealed": true}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let sealed = of(&body(r).await);
    assert_eq!(sealed.len(), 12);
    let newcomer = enrol_at(&app, &social, &kitchen, "Mbah Baru", -8.2035, 114.3565).await;
    let day3 = plan_day(&app, &social, "2031-03-06", true).await;
    let who3 = meal_recipients(&app, &social, "2031-03-06").await;
    let routes3 = routes_by_standing(&day3, &who3);
    let n3 = routes3
        .iter()
        .find(|(k, _)| *k == n_id.to_string())
        .unwrap();
    assert_eq!(n3.1, sealed, "a sealed route keeps its stops and order");
    assert!(
        routes3
            .iter()
            .any(|(k, r)| *k != n_id.to_string() && r.contains(&newcomer))
    );
    // Unsealed, the newcomer rides with the neighbours.
    let r = app
        .post(
            &format!("/api/v1/standing-routes/{n_id}/seal"),
            &social,
            &json!({"sealed": false}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let day3 = plan_day(&app, &social, "2031-03-06", true).await;
    let routes3 = routes_by_standing(&day3, &who3);
    let n3 = routes3
        .iter()
        .find(|(k, _)| *k == n_id.to_string())
        .unwrap();
    assert!(n3.1.contains(&newcomer), "{routes3:?}");

    // Bad requests change nothing.
    let pharmacy = app.site("pharmacy", "RSUD", -8.225, 114.35).await;
    let pharmacist = app.token("pharmacist", Some(&pharmacy)).await;
    let r = app
        .post(
            &format!("/api/v1/standing-routes/{n_id}/seal"),
            &pharmacist,
            &json!({"sealed": true}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post(
            &format!("/api/v1/standing-routes/{n_id}/seal"),
            &social,
            &json!({"sealed": "ya"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post(
            &format!("/api/v1/standing-routes/{}/seal", uuid::Uuid::now_v7()),
            &social,
            &json!({"sealed": true}),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .get(
            &format!("/api/v1/standing-routes?site_id={kitchen}"),
            &pharmacist,
        )
        .await;
    assert_eq!(r.status(), 403);
    let listed = body(
        app.get(
            &format!("/api/v1/standing-routes?site_id={kitchen}"),
            &social,
        )
        .await,
    )
    .await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["sealed"] == false)
    );
}

/// A partner with two couriers free: the plan makes two routes at most and says, for every
/// order left out, whose couriers are busy; urgent orders go first.
async fn a_partner_limit_caps_the_routes_and_explains_the_rest(app: TestApp) {
    let pharmacy = app
        .site("pharmacy", "RSUD Blambangan", -8.22, 114.358)
        .await;
    let pharmacist = app.token("pharmacist", Some(&pharmacy)).await;
    for (name, limit) in [("Ojek Cepat", json!(2))] {
        let mut caps =
            json!({"max_stops": 2, "capacity": 4, "cold_box": false, "controlled_handover": false});
        if !limit.is_null() {
            caps["max_concurrent_jobs"] = limit;
        }
        let r = app
            .post(
                "/api/v1/admin/partners",
                &app.admin,
                &json!({"name": name, "webhook_url": "http://127.0.0.1:9/hook", "rank": 10,
                        "capabilities": caps, "fare": {"base_idr": 8000, "per_km_idr": 2500}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    // Two couriers free, two stops each: four orders at most.
    let mut urgent = HashSet::new();
    for i in 0..6 {
        let mut b = prescription(&format!("Pasien {i}"));
        b["patient"]["location"] = json!({"lat": -8.21 - 0.002 * f64::from(i), "lon": 114.36});
        b["ready_at"] = json!("2031-03-04T02:00:00Z");
        b["deliver_by"] = json!("2031-03-04T05:00:00Z");
        if i % 2 == 1 {
            b["priority"] = json!("urgent");
        }
        let r = app.post("/api/v1/prescriptions", &pharmacist, &b).await;
        assert_eq!(r.status(), 201);
        let id = body(r).await["id"].as_str().unwrap().to_owned();
        if i % 2 == 1 {
            urgent.insert(id);
        }
    }
    let plan = body(
        app.post(
            "/api/v1/plans",
            &pharmacist,
            &json!({"dry_run": true, "date": "2031-03-04", "time_limit_ms": 300}),
        )
        .await,
    )
    .await;
    let routes = plan["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 2, "{plan}");
    let served: HashSet<String> = routes
        .iter()
        .flat_map(|r| r["stops"].as_array().unwrap().iter())
        .map(|s| s["order_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(served.len(), 4);
    assert!(urgent.is_subset(&served), "urgent orders first");
    let left = plan["unplanned"].as_array().unwrap();
    assert_eq!(left.len(), 2);
    for u in left {
        assert!(!urgent.contains(u["order_id"].as_str().unwrap()));
        let why = u["reason"].as_str().unwrap();
        assert!(why.contains("Ojek Cepat runs 0 of its 2 jobs"), "{why}");
    }
    assert!(plan["cost_per_delivery_idr"].as_f64().unwrap() > 0.0);
    assert!(plan["one_trip_per_delivery_idr"].as_f64().unwrap() > 0.0);
    // A limit of zero is refused and changes nothing.
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": "Ojek Nol", "webhook_url": "http://127.0.0.1:9/hook",
                    "capabilities": {"max_stops": 2, "capacity": 4, "max_concurrent_jobs": 0},
                    "fare": {"base_idr": 8000, "per_km_idr": 2500}}),
        )
        .await;
    assert_problem(
        r,
        422,
        "validation_failed",
        Some("capabilities.max_concurrent_jobs"),
    )
    .await;
    let after = body(app.get("/api/v1/admin/partners", &app.admin).await).await;
    assert_eq!(after.as_array().unwrap().len(), 1);
}

/// Our own fleet as a partner: Rp 5,000 a courier-day.
async fn our_fleet(app: &TestApp) {
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": "Armada Rantang Kasih", "kind": "own_fleet", "rank": 1,
                    "capabilities": {"max_stops": 20, "capacity": 50},
                    "fare": {"base_idr": 5000, "per_km_idr": 0}}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// A courier of the kitchen with five tins and eight stops, 08:00–14:00 on `days` (null: every
/// day); returns their id.
async fn kitchen_courier(
    app: &TestApp,
    kitchen: &str,
    name: &str,
    days: serde_json::Value,
) -> String {
    let mut b = json!({"site_id": kitchen, "name": name, "phone": "0812-3333-4444",
                       "vehicle": "Honda Supra", "capacity": 5, "max_stops": 8,
                       "work_start": "08:00", "work_end": "14:00"});
    if !days.is_null() {
        b["working_days"] = days;
    }
    let r = app.post("/api/v1/couriers", &app.admin, &b).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    body(r).await["id"].as_str().unwrap().to_owned()
}

/// `n` elders enrolled at the kitchen, in a tight group 1.5 km north of it.
async fn elders(app: &TestApp, social: &str, kitchen: &str, n: u32) {
    for i in 0..n {
        let (dlat, dlon) = (0.001 * f64::from(i % 4), 0.001 * f64::from(i / 4));
        enrol_at(
            app,
            social,
            kitchen,
            &format!("Mbah {i}"),
            -8.2045 + dlat,
            114.355 + dlon,
        )
        .await;
    }
}

/// A plan of the test day's ready orders (100 ms budget), a preview or stored.
async fn plan_test_day(app: &TestApp, token: &str, dry_run: bool) -> serde_json::Value {
    body(
        app.post(
            "/api/v1/plans",
            token,
            &json!({"dry_run": dry_run, "date": "2031-03-04", "time_limit_ms": 100}),
        )
        .await,
    )
    .await
}

/// A kitchen with our own two couriers of five tins each riding two trips, working that day,
/// and a third who does not work on Tuesdays: twenty meals ride, the other four are explained.
async fn our_couriers_are_the_kitchens_supply(app: TestApp) {
    let social = app.token("social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.358).await;
    our_fleet(&app).await;
    for (name, days) in [
        ("Pak Slamet", json!(null)),
        ("Pak Bambang", json!(null)),
        ("Pak Joko", json!(["senin", "rabu"])),
    ] {
        kitchen_courier(&app, &kitchen, name, days).await;
    }
    elders(&app, &social, &kitchen, 24).await;
    // 2031-03-04 is a Tuesday.
    let plan = plan_day(&app, &social, "2031-03-04", true).await;
    let routes = plan["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 4, "two couriers, two trips each: {plan}");
    for r in routes {
        assert!(
            r["stops"].as_array().unwrap().len() <= 5,
            "a courier carries five"
        );
        // Our couriers ride from 08:00 local (01:00 UTC) at the earliest.
        assert!(r["departure"].as_str().unwrap() >= "2031-03-04T01:00:00Z");
    }
    let left = plan["unplanned"].as_array().unwrap();
    assert_eq!(left.len(), 4);
    assert!(
        left.iter().all(|u| u["reason"]
            .as_str()
            .unwrap()
            .contains("2 of our couriers ride from Warung Bu Tin")),
        "{left:?}"
    );
}

/// One courier with five tins and eight elders: two trips, both given to that courier, the
/// second leaving after the first is done and the tins reloaded.
async fn our_courier_rides_a_second_trip_after_reloading(app: TestApp) {
    let social = app.token("social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.358).await;
    our_fleet(&app).await;
    let courier = kitchen_courier(&app, &kitchen, "Pak Slamet", json!(null)).await;
    elders(&app, &social, &kitchen, 8).await;
    let plan = plan_day(&app, &social, "2031-03-04", false).await;
    assert_eq!(plan["unplanned"], json!([]), "{plan}");
    let jobs = plan["job_ids"].as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{plan}");
    let mut trips = Vec::new();
    for id in jobs {
        let j = body(
            app.get(&format!("/api/v1/jobs/{}", id.as_str().unwrap()), &social)
                .await,
        )
        .await;
        assert_eq!(j["job"]["status"], "courier_assigned", "{j}");
        assert_eq!(j["job"]["courier"]["courier_id"], courier.as_str(), "{j}");
        let stops = j["stops"].as_array().unwrap();
        assert!(stops.len() <= 5);
        let last_eta = stops
            .iter()
            .map(|s| s["eta"].as_str().unwrap().to_owned())
            .max()
            .unwrap();
        trips.push((j["job"]["departure"].as_str().unwrap().to_owned(), last_eta));
    }
    trips.sort();
    assert!(
        trips[1].0 > trips[0].1,
        "the second trip leaves after the first trip's last stop: {trips:?}"
    );
}

/// Trips are each courier's own: riding once a day, a courier of five tins takes five of eight
/// elders and the rest are explained; allowed three trips, all eight ride. Out-of-range trips
/// are refused and change nothing.
async fn each_courier_rides_the_trips_they_agreed_to(app: TestApp) {
    let social = app.token("social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.358).await;
    our_fleet(&app).await;
    let r = app
        .post(
            "/api/v1/couriers",
            &app.admin,
            &json!({"site_id": kitchen, "name": "Pak Slamet", "phone": "0812-3333-4444",
                    "vehicle": "Honda Supra", "capacity": 5, "max_stops": 8, "max_trips": 1,
                    "work_start": "08:00", "work_end": "14:00"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let c = body(r).await;
    assert_eq!(c["max_trips"], 1);
    let id = c["id"].as_str().unwrap().to_owned();
    elders(&app, &social, &kitchen, 8).await;
    let plan = plan_day(&app, &social, "2031-03-04", true).await;
    assert_eq!(plan["routes"].as_array().unwrap().len(), 1, "{plan}");
    assert_eq!(plan["unplanned"].as_array().unwrap().len(), 3, "{plan}");

    let path = format!("/api/v1/couriers/{id}");
    for bad in [0, 5] {
        let r = app
            .patch(&path, &app.admin, &json!({"max_trips": bad}))
            .await;
        assert_problem(r, 422, "out_of_range", Some("max_trips")).await;
    }
    let r = app.patch(&path, &app.admin, &json!({"max_trips": 3})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["max_trips"], 3);
    let plan = plan_day(&app, &social, "2031-03-04", true).await;
    assert_eq!(plan["routes"].as_array().unwrap().len(), 2, "{plan}");
    assert_eq!(plan["unplanned"], json!([]), "{plan}");
    let listed = body(app.get("/api/v1/couriers", &app.admin).await).await;
    assert_eq!(listed[0]["max_trips"], 3, "{listed}");
}

/// A booking API's recent quotes at twice our estimate make its next routes cost twice as much
/// in the plan (surge), so the plan prices what the company will really ask.
async fn a_booking_apis_surge_prices_its_next_routes(app: TestApp) {
    let pharmacy = app
        .site("pharmacy", "RSUD Blambangan", -8.22, 114.358)
        .await;
    let pharmacist = app.token("pharmacist", Some(&pharmacy)).await;
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": "Kurir Kilat", "kind": "booking_api", "rank": 1,
                    "webhook_url": "http://127.0.0.1:9/api",
                    "capabilities": {"max_stops": 1, "capacity": 4},
                    "fare": {"base_idr": 8000, "per_km_idr": 2500}}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let order = |name: &str, lat: f64| {
        let mut b = prescription(name);
        b["patient"]["location"] = json!({"lat": lat, "lon": 114.36});
        b["ready_at"] = json!("2031-03-04T02:00:00Z");
        b["deliver_by"] = json!("2031-03-04T05:00:00Z");
        b
    };
    let r = app
        .post(
            "/api/v1/prescriptions",
            &pharmacist,
            &order("Pasien A", -8.21),
        )
        .await;
    assert_eq!(r.status(), 201);
    let before = plan_test_day(&app, &pharmacist, true).await;
    let plain = before["cost_idr"].as_f64().unwrap();
    // Book it: the company quotes twice the estimate.
    let stored = plan_test_day(&app, &pharmacist, false).await;
    let job: uuid::Uuid = stored["job_ids"][0].as_str().unwrap().parse().unwrap();
    let store = app.dispatch.store();
    let (j, _) = store.job(job).await.unwrap();
    let mut booking = store.bookings_of_job(job).await.unwrap().remove(0);
    booking.fare_quoted_idr = Some((j.fare_idr * 2.0).round() as i64);
    let mut tx = store.begin().await.unwrap();
    antar::store::bookings::update_booking(&mut tx, &booking, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // The same trip again: priced at the surge.
    let r = app
        .post(
            "/api/v1/prescriptions",
            &pharmacist,
            &order("Pasien B", -8.21),
        )
        .await;
    assert_eq!(r.status(), 201);
    let after = plan_test_day(&app, &pharmacist, true).await;
    let surged = after["cost_idr"].as_f64().unwrap();
    assert!(
        (surged - 2.0 * plain).abs() <= 2.0,
        "plain {plain}, after a quote at twice the estimate {surged}"
    );
}

with_town! {
    async fn booking_surge(app) {
        a_booking_apis_surge_prices_its_next_routes(app).await
    }

    async fn second_trip(app) {
        our_courier_rides_a_second_trip_after_reloading(app).await
    }

    async fn trips_per_courier(app) {
        each_courier_rides_the_trips_they_agreed_to(app).await
    }

    async fn standing_routes(app) {
        standing_routes_are_kept_moved_with_reasons_and_sealed(app).await
    }

    async fn partner_limit(app) {
        a_partner_limit_caps_the_routes_and_explains_the_rest(app).await
    }

    async fn own_fleet_supply(app) {
        our_couriers_are_the_kitchens_supply(app).await
    }
}
