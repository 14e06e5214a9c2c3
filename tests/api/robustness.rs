//! Malformed requests: each gets a clear problem document, none a 500, and none changes data.

use proptest::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::*;

async fn stored_orders(app: &TestApp) -> Value {
    body(app.get("/api/v1/orders?per_page=500", &app.admin).await).await
}

on_both_backends! {
    async fn malformed_prescriptions_are_refused_with_the_field_and_change_nothing(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        assert_eq!(app.post("/api/v1/prescriptions", &p, &prescription("Ibu Siti")).await.status(), 201);
        let before = stored_orders(&app).await;
        let with = |path: &[&str], v: Value| {
            let mut b = prescription("X");
            let mut cur = &mut b;
            for k in &path[..path.len() - 1] {
                cur = &mut cur[*k];
            }
            cur[path[path.len() - 1]] = v;
            b
        };
        let cases: Vec<(Value, &str, &str)> = vec![
            (with(&["patient", "location", "lat"], json!(-91.0)), "out_of_range", "patient.location.lat"),
            (with(&["patient", "location", "lon"], json!("114.3")), "invalid_value", "patient.location.lon"),
            (with(&["patient", "phone"], json!("+1 202 555 0100")), "invalid_phone", "patient.phone"),
            (with(&["parcels"], json!(-1)), "out_of_range", "parcels"),
            (with(&["deliver_by"], json!("2031-03-02T00:00:00Z")), "window_inverted", "deliver_by"),
            (with(&["ready_at"], json!("2020-01-01T00:00:00Z")).tap_deadline("2020-01-02T00:00:00Z"), "in_the_past", "deliver_by"),
            (with(&["site_id"], json!(uuid::Uuid::now_v7())), "not_your_site", "site_id"),
            (with(&["surprise"], json!(1)), "unknown_field", "surprise"),
            (with(&["patient", "nik"], json!("3510")), "unknown_field", "patient.nik"),
            (with(&["priority"], json!("kinda")), "invalid_value", "priority"),
            (with(&["cold_chain_max_minutes"], json!(0)), "out_of_range", "cold_chain_max_minutes"),
            (with(&["ready_at"], json!("tomorrow")), "invalid_value", "ready_at"),
        ];
        for (b, code, field) in cases {
            let r = app.post("/api/v1/prescriptions", &p, &b).await;
            assert_problem(r, 422, code, Some(field)).await;
        }
        let admin_unknown_site = with(&["site_id"], json!(uuid::Uuid::now_v7()));
        assert_problem(app.post("/api/v1/prescriptions", &app.admin, &admin_unknown_site).await, 422, "unknown_site", Some("site_id")).await;
        let r = app.req(Method::POST, "/api/v1/prescriptions", Some(&p)).header("content-type", "text/plain").body("{}").send().await.unwrap();
        assert_problem(r, 415, "unsupported_media_type", None).await;
        let r = app.req(Method::POST, "/api/v1/prescriptions", Some(&p)).header("content-type", "application/json").body("{\"patient\":").send().await.unwrap();
        assert_problem(r, 400, "malformed_json", None).await;
        let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(3 * 1024 * 1024));
        let r = app.req(Method::POST, "/api/v1/prescriptions", Some(&p)).header("content-type", "application/json").body(huge).send().await.unwrap();
        assert_problem(r, 413, "payload_too_large", None).await;
        let r = app.req(Method::GET, "/api/v1/prescriptions/not-a-uuid", Some(&p)).send().await.unwrap();
        assert_problem(r, 404, "not_found", None).await;
        assert_eq!(stored_orders(&app).await, before, "stored data unchanged");
    }
}

trait TapDeadline {
    fn tap_deadline(self, deliver_by: &str) -> Self;
}

impl TapDeadline for Value {
    fn tap_deadline(mut self, deliver_by: &str) -> Self {
        self["deliver_by"] = json!(deliver_by);
        self
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z0-9 +:.-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("patient".to_owned()),
                    Just("parcels".to_owned()),
                    Just("name".to_owned()),
                    Just("location".to_owned()),
                    Just("lat".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Mutate a valid prescription at one random place: the realistic shape of a client bug.
fn arb_mutated() -> impl Strategy<Value = Value> {
    let fields = prop_oneof![
        Just(vec!["patient", "name"]),
        Just(vec!["patient", "phone"]),
        Just(vec!["patient", "location"]),
        Just(vec!["patient", "location", "lat"]),
        Just(vec!["parcels"]),
        Just(vec!["ready_at"]),
        Just(vec!["deliver_by"]),
        Just(vec!["priority"]),
        Just(vec!["cold_chain_max_minutes"]),
    ];
    (fields, arb_json()).prop_map(|(path, v)| {
        let mut b = prescription("Prop");
        let mut cur = &mut b;
        for k in &path[..path.len() - 1] {
            cur = &mut cur[*k];
        }
        cur[path[path.len() - 1]] = v;
        b
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn random_bodies_never_cause_a_500_and_never_store_a_bad_order(bodies in prop::collection::vec(prop_oneof![arb_json(), arb_mutated()], 8)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
            let site = app.site("pharmacy", "RSUD", -8.2, 114.36).await;
            let p = app.token("pharmacist", Some(&site)).await;
            for b in &bodies {
                let r = app.post("/api/v1/prescriptions", &p, b).await;
                let status = r.status().as_u16();
                assert!(status == 201 || (400..500).contains(&status), "status {status} for {b}");
                if status != 201 {
                    assert_eq!(r.headers()["content-type"], "application/problem+json");
                }
            }
            // Whatever was accepted is a valid order.
            for o in stored_orders(&app).await.as_array().unwrap() {
                assert!(o["parcels"].as_i64().unwrap() >= 1);
                assert!(o["window_start"].as_str().unwrap() <= o["window_end"].as_str().unwrap());
                assert!(!o["recipient_name"].as_str().unwrap().is_empty());
            }
        });
    }
}
