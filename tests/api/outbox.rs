//! The outbox against a partner endpoint on loopback: signed deliveries, retries with the same
//! `webhook-id`, and a 410 that disables the endpoint. Time is driven by the test, not slept.

use std::sync::{Arc, Mutex};

use antar::dispatch::outbox::OutboxWorker;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, Utc};
use serde_json::json;

use crate::on_both_backends;
use crate::support::*;

#[derive(Default)]
struct Partner {
    script: Vec<(u16, Option<&'static str>)>,
    seen: Vec<(HeaderMap, Vec<u8>)>,
}

async fn partner_server(script: Vec<(u16, Option<&'static str>)>) -> (String, Arc<Mutex<Partner>>) {
    let state = Arc::new(Mutex::new(Partner {
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
                let (status, retry_after) = if p.script.is_empty() {
                    (200, None)
                } else {
                    p.script.remove(0)
                };
                let mut h = HeaderMap::new();
                if let Some(r) = retry_after {
                    h.insert("retry-after", r.parse().unwrap());
                }
                (StatusCode::from_u16(status).unwrap(), h, "ok")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

async fn create_partner(app: &TestApp, url: &str) -> (String, String) {
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": "Ojek Sehat", "webhook_url": url,
                    "capabilities": {"max_stops": 8, "capacity": 18}, "fare": {"base_idr": 8000, "per_km_idr": 2500}}),
        )
        .await;
    let p = body(r).await;
    (
        p["id"].as_str().unwrap().to_owned(),
        p["signing_secret"].as_str().unwrap().to_owned(),
    )
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).unwrap().to_str().unwrap()
}

on_both_backends! {
    async fn a_test_webhook_is_signed_retried_with_the_same_id_and_delivered(app) {
        let (url, partner) = partner_server(vec![(503, Some("1"))]).await;
        let (id, secret) = create_partner(&app, &url).await;
        let r = app.post(&format!("/api/v1/admin/partners/{id}/test-webhook"), &app.admin, &json!({})).await;
        assert_eq!(r.status(), 202);
        let event_id = body(r).await["event_id"].as_str().unwrap().to_owned();
        let mut worker = OutboxWorker::new(app.dispatch.clone(), 7).unwrap();
        let t0 = Utc::now();
        assert_eq!(worker.run_once(t0).await.unwrap(), 1);
        {
            let p = partner.lock().unwrap();
            let (h, b) = &p.seen[0];
            assert_eq!(header(h, "webhook-id"), event_id);
            assert_eq!(header(h, "webhook-timestamp"), t0.timestamp().to_string());
            antar::webhooks::verify(&[secret.as_str()], &event_id, header(h, "webhook-timestamp"), header(h, "webhook-signature"), b, t0.timestamp())
                .expect("the signature verifies with the partner's secret");
            let v: serde_json::Value = serde_json::from_slice(b).unwrap();
            assert_eq!(v["type"], "webhook.test");
        }
        let log = body(app.get(&format!("/api/v1/admin/partners/{id}/deliveries"), &app.admin).await).await;
        assert_eq!(log["deliveries"][0]["status"], "pending");
        assert_eq!(log["deliveries"][0]["last_status"], 503);
        // Not due yet one second later (the schedule starts at about 5 s); due a minute later.
        assert_eq!(worker.run_once(t0 + Duration::seconds(1)).await.unwrap(), 0);
        assert_eq!(worker.run_once(t0 + Duration::seconds(60)).await.unwrap(), 1);
        {
            let p = partner.lock().unwrap();
            assert_eq!(p.seen.len(), 2);
            assert_eq!(header(&p.seen[1].0, "webhook-id"), event_id, "a retry keeps its webhook-id");
        }
        let log = body(app.get(&format!("/api/v1/admin/partners/{id}/deliveries"), &app.admin).await).await;
        assert_eq!((log["deliveries"][0]["status"].as_str(), log["deliveries"][0]["attempts"].as_i64()), (Some("delivered"), Some(2)));
        assert_eq!(worker.run_once(t0 + Duration::seconds(3600)).await.unwrap(), 0, "nothing is sent twice");
    }

    async fn a_410_disables_the_endpoint_and_holds_later_events(app) {
        let (url, partner) = partner_server(vec![(410, None)]).await;
        let (id, _) = create_partner(&app, &url).await;
        app.post(&format!("/api/v1/admin/partners/{id}/test-webhook"), &app.admin, &json!({})).await;
        let mut worker = OutboxWorker::new(app.dispatch.clone(), 7).unwrap();
        let t0 = Utc::now();
        assert_eq!(worker.run_once(t0).await.unwrap(), 1);
        let log = body(app.get(&format!("/api/v1/admin/partners/{id}/deliveries"), &app.admin).await).await;
        assert_eq!(log["deliveries"][0]["status"], "failed");
        assert!(log["disabled_reason"].as_str().is_some_and(|r| !r.is_empty()), "{log}");
        app.post(&format!("/api/v1/admin/partners/{id}/test-webhook"), &app.admin, &json!({})).await;
        assert_eq!(worker.run_once(t0 + Duration::seconds(60)).await.unwrap(), 0, "a disabled endpoint gets nothing");
        assert_eq!(partner.lock().unwrap().seen.len(), 1);
        let audit = body(app.get(&format!("/api/v1/admin/audit?entity=partner&entity_id={id}"), &app.admin).await).await;
        assert!(audit.as_array().unwrap().iter().any(|e| e["action"] == "disable"));
    }
}
