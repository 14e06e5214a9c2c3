//! Planning previews over the demo town's real road graph.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::support::*;

const TOWN: &str = "fixtures/roads/banyuwangi-town.osm";

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
