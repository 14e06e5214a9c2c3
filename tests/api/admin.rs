//! Administration, access control, audit log, health and documentation endpoints.

use reqwest::Method;
use serde_json::json;

use crate::on_both_backends;
use crate::support::*;

on_both_backends! {
    async fn tokens_are_checked_by_role_and_revocation(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let social = app.token("social_worker", None).await;
        let pharmacist = app.token("pharmacist", Some(&site)).await;
        assert_problem(app.req(Method::GET, "/api/v1/prescriptions", None).send().await.unwrap(), 401, "unauthorized", None).await;
        assert_problem(app.get("/api/v1/prescriptions", "antar_not-a-real-token").await, 401, "unauthorized", None).await;
        assert_problem(app.post("/api/v1/prescriptions", &social, &prescription("X")).await, 403, "forbidden", None).await;
        assert_problem(app.get("/api/v1/admin/tokens", &pharmacist).await, 403, "forbidden", None).await;
        assert_problem(app.get("/api/v1/recipients", &pharmacist).await, 403, "forbidden", None).await;
        // A pharmacist token must be bound to a pharmacy.
        let r = app.post("/api/v1/admin/tokens", &app.admin, &json!({"name": "x", "role": "pharmacist"})).await;
        assert_problem(r, 422, "required", Some("site_id")).await;
        let kitchen = app.site("kitchen", "Warung Bu Tin", -8.21, 114.37).await;
        let r = app.post("/api/v1/admin/tokens", &app.admin, &json!({"name": "x", "role": "pharmacist", "site_id": kitchen})).await;
        assert_problem(r, 422, "not_a_pharmacy", Some("site_id")).await;
        // Revoke the social worker's token.
        let tokens = body(app.get("/api/v1/admin/tokens", &app.admin).await).await;
        assert!(tokens.as_array().unwrap().iter().all(|t| t.get("token").is_none()), "secrets never listed");
        let id = tokens.as_array().unwrap().iter().find(|t| t["role"] == "social_worker").unwrap()["id"].as_str().unwrap().to_owned();
        let r = app.req(Method::DELETE, &format!("/api/v1/admin/tokens/{id}"), Some(&app.admin)).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert_problem(app.get("/api/v1/recipients", &social).await, 401, "unauthorized", None).await;
    }

    async fn staff_users_are_created_with_hashed_passwords_and_unique_logins(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let body_json = json!({"name": "Rina Apoteker", "login": "rina", "role": "pharmacist", "site_id": site, "password": "rahasia-panjang"});
        let r = app.post("/api/v1/admin/users", &app.admin, &body_json).await;
        assert_eq!(r.status(), 201);
        let user = body(r).await;
        assert!(user.get("password").is_none() && user.get("password_hash").is_none());
        assert_problem(app.post("/api/v1/admin/users", &app.admin, &body_json).await, 422, "taken", Some("login")).await;
        let short = json!({"name": "Budi", "login": "budi", "role": "social_worker", "password": "pendek"});
        assert_problem(app.post("/api/v1/admin/users", &app.admin, &short).await, 422, "too_short", Some("password")).await;
        let unbound = json!({"name": "Budi", "login": "budi", "role": "pharmacist"});
        assert_problem(app.post("/api/v1/admin/users", &app.admin, &unbound).await, 422, "required", Some("site_id")).await;
        let users = body(app.get("/api/v1/admin/users", &app.admin).await).await;
        assert_eq!(users.as_array().unwrap().len(), 1);
    }

    async fn partners_get_whsec_secrets_shown_once(app) {
        let body_json = json!({
            "name": "Ojek Sehat", "webhook_url": "http://127.0.0.1:9/hook",
            "capabilities": {"max_stops": 8, "capacity": 18, "cold_box": true, "controlled_handover": false},
            "fare": {"base_idr": 8000, "per_km_idr": 2500, "cap_idr": 60000}, "rank": 1
        });
        let r = app.post("/api/v1/admin/partners", &app.admin, &body_json).await;
        assert_eq!(r.status(), 201);
        let created = body(r).await;
        assert!(created["signing_secret"].as_str().unwrap().starts_with("whsec_"));
        assert!(created["callback_secret"].as_str().unwrap().starts_with("whsec_"));
        assert!(created["token"].as_str().unwrap().starts_with("antar_"));
        let list = body(app.get("/api/v1/admin/partners", &app.admin).await).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(list[0].get("signing_secret").is_none());
        let mut bad = body_json.clone();
        bad["webhook_url"] = json!("ftp://x");
        assert_problem(app.post("/api/v1/admin/partners", &app.admin, &bad).await, 422, "invalid_url", Some("webhook_url")).await;
        let id = created["id"].as_str().unwrap();
        let mut update = body_json.clone();
        update["rank"] = json!(5);
        let updated = body(app.put(&format!("/api/v1/admin/partners/{id}"), &app.admin, &update).await).await;
        assert_eq!(updated["rank"], 5);
    }

    async fn sites_update_and_keep_their_kind(app) {
        let id = app.site("kitchen", "Warung Bu Tin", -8.21, 114.37).await;
        let r = app
            .put(
                &format!("/api/v1/admin/sites/{id}"),
                &app.admin,
                &json!({"kind": "kitchen", "name": "Warung Bu Tin (baru)", "location": {"lat": -8.211, "lon": 114.371},
                        "opening_hours": [{"days": ["senin", "selasa"], "open": "06:00", "close": "13:00"}]}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let site = body(r).await;
        assert_eq!(site["opening_hours"][0]["days"], json!(["mon", "tue"]));
        let r = app
            .put(&format!("/api/v1/admin/sites/{id}"), &app.admin, &json!({"kind": "pharmacy", "name": "x", "location": {"lat": -8.2, "lon": 114.3}}))
            .await;
        assert_problem(r, 422, "immutable", Some("kind")).await;
        let r = app.put(&format!("/api/v1/admin/sites/{}", uuid::Uuid::now_v7()), &app.admin,
            &json!({"kind": "kitchen", "name": "x", "location": {"lat": -8.2, "lon": 114.3}})).await;
        assert_problem(r, 404, "not_found", None).await;
    }

    async fn every_write_and_every_patient_read_is_audited(app) {
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        let order = body(app.post("/api/v1/prescriptions", &p, &prescription("Ibu Siti")).await).await;
        let id = order["id"].as_str().unwrap();
        app.get(&format!("/api/v1/prescriptions/{id}"), &p).await;
        let entries = body(app.get(&format!("/api/v1/admin/audit?entity=order&entity_id={id}"), &app.admin).await).await;
        let actions: Vec<_> = entries.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["read", "create"], "newest first");
        assert!(entries[0]["actor"].as_str().unwrap().starts_with("pharmacist:"));
        assert_problem(app.get("/api/v1/admin/audit", &p).await, 403, "forbidden", None).await;
    }

    async fn a_point_outside_the_service_area_is_refused(app) {
        let r = app
            .put("/api/v1/admin/service-area", &app.admin, &json!({"type": "bbox", "min": {"lat": -8.8, "lon": 113.8}, "max": {"lat": -7.7, "lon": 114.6}}))
            .await;
        assert_eq!(r.status(), 200);
        let site = app.site("pharmacy", "RSUD Blambangan", -8.2, 114.36).await;
        let p = app.token("pharmacist", Some(&site)).await;
        let mut b = prescription("Turis");
        b["patient"]["location"] = json!({"lat": -6.2, "lon": 106.8});
        assert_problem(app.post("/api/v1/prescriptions", &p, &b).await, 422, "outside_service_area", Some("location")).await;
        assert_eq!(app.post("/api/v1/prescriptions", &p, &prescription("Warga")).await.status(), 201);
        let r = app.put("/api/v1/admin/service-area", &app.admin, &json!({"type": "polygon", "points": [{"lat": 1, "lon": 1}]})).await;
        assert_problem(r, 422, "invalid_area", None).await;
    }

    async fn health_metrics_and_openapi_are_served(app) {
        assert_eq!(app.req(Method::GET, "/healthz", None).send().await.unwrap().status(), 200);
        assert_eq!(app.req(Method::GET, "/readyz", None).send().await.unwrap().status(), 200);
        let spec = body(app.req(Method::GET, "/openapi.json", None).send().await.unwrap()).await;
        for path in ["/api/v1/prescriptions", "/api/v1/prescriptions/import", "/api/v1/meal-days/{date}/orders", "/api/v1/admin/partners"] {
            assert!(spec["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
        }
        let docs = app.req(Method::GET, "/docs/", None).send().await.unwrap();
        assert_eq!(docs.status(), 200);
        assert!(docs.text().await.unwrap().contains("swagger"));
        app.get("/api/v1/sites", &app.admin).await;
        let m = app.req(Method::GET, "/metrics", None).send().await.unwrap().text().await.unwrap();
        assert!(m.contains("http_requests_total") && m.contains("route=\"/api/v1/sites\""), "{m}");
        assert_problem(app.req(Method::GET, "/nope", None).send().await.unwrap(), 404, "not_found", None).await;
    }
}
