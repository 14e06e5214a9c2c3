//! A recipient found unwell, as a partner reports it: a meal handed over anyway counts as
//! delivered and raises an `unwell` alert; a meal the elder was too ill to take fails with an
//! `unwell` alert instead of a welfare one; an unknown concern is refused and changes nothing.

use chrono::Utc;
use serde_json::{Value, json};

use crate::dispatch::{PartnerKeys, deliver_all, job, mock_partner, partner, plan, send_event};
use crate::support::*;
use crate::with_town;

/// One elder enrolled at a kitchen, her meal planned and accepted by a webhook partner.
/// Returns the partner's keys, a social worker's token, the recipient, the job and its stop.
async fn meal_accepted(app: &TestApp) -> (PartnerKeys, String, String, String, String) {
    let (url, _mock) = mock_partner(vec![(200, json!({"decision": "accept"}))]).await;
    let keys = partner(app, "Ojek Sehat", &url, 1, false).await;
    let social = app.token("social_worker", None).await;
    let kitchen = app.site("kitchen", "Warung Bu Tin", -8.22, 114.352).await;
    let r = app
        .post(
            "/api/v1/recipients",
            &social,
            &json!({"name": "Mbah Darmi", "location": {"lat": -8.212, "lon": 114.34}}),
        )
        .await;
    let recipient = body(r).await["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/api/v1/enrolments",
            &social,
            &json!({"recipient_id": recipient, "kitchen_id": kitchen, "start_date": "2031-03-01"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    app.post("/api/v1/meal-days/2031-03-04/orders", &social, &json!({}))
        .await;
    let p = plan(app).await;
    let job_id = p["job_ids"][0]
        .as_str()
        .unwrap_or_else(|| panic!("{p}"))
        .to_owned();
    deliver_all(app, Utc::now()).await;
    let j = job(app, &job_id).await;
    assert_eq!(j["job"]["status"], "accepted", "{j}");
    let stop = j["stops"][0]["id"].as_str().unwrap().to_owned();
    (keys, social, recipient, job_id, stop)
}

async fn alerts(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/alerts?kind={kind}"), token).await;
    assert_eq!(r.status(), 200);
    body(r).await.as_array().unwrap().clone()
}

async fn day(app: &TestApp) -> Value {
    body(
        app.get("/api/v1/reports/day?date=2031-03-04", &app.admin)
            .await,
    )
    .await
}

with_town! {
    async fn a_meal_handed_to_an_unwell_elder_counts_as_delivered_and_raises_an_unwell_alert(app) {
        let (keys, social, recipient, job_id, stop) = meal_accepted(&app).await;
        let now = || Utc::now().timestamp();

        // A concern antar does not know is refused like an unknown field, and nothing moves.
        let odd = json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": 1,
                         "stop_id": stop, "proof": {"recipient_name": "Mbah Darmi"}, "concern": "sad"});
        let b = assert_problem(send_event(&app, &keys, "evt_odd", now(), &odd).await, 400, "malformed_event", None).await;
        assert!(b["detail"].as_str().unwrap().contains("sad"), "{b}");
        let j = job(&app, &job_id).await;
        assert_eq!((&j["job"]["status"], &j["stops"][0]["status"]), (&json!("accepted"), &json!("pending")), "{j}");
        assert!(alerts(&app, &social, "unwell").await.is_empty());
        let events = app.dispatch.store().job_events(job_id.parse().unwrap()).await.unwrap();
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(day(&app).await["orders_by_status"]["assigned"], 1);

        // Handed over, and the elder is ill.
        let delivered = json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": 2,
                               "stop_id": stop, "proof": {"recipient_name": "Mbah Darmi"},
                               "concern": "unwell", "note": "Demam, tinggal sendirian"});
        let r = send_event(&app, &keys, "evt_1", now(), &delivered).await;
        assert_eq!(body(r).await["status"], "applied");
        // Sent again (its answer was lost): one alert still.
        let r = send_event(&app, &keys, "evt_1", now(), &delivered).await;
        assert_eq!(body(r).await["status"], "duplicate");

        let j = job(&app, &job_id).await;
        assert_eq!(j["job"]["status"], "completed", "{j}");
        assert_eq!(j["stops"][0]["status"], "delivered");
        assert_eq!(j["stops"][0]["fail_reason"], Value::Null);
        assert_eq!(j["stops"][0]["note"], "Demam, tinggal sendirian");
        let unwell = alerts(&app, &social, "unwell").await;
        assert_eq!(unwell.len(), 1, "{unwell:?}");
        let a = &unwell[0];
        assert_eq!(a["status"], "open");
        assert_eq!(a["recipient_id"], recipient.as_str());
        assert_eq!(a["job_id"], job_id.as_str());
        assert_eq!(a["reason"], "recipient_unwell");
        assert_eq!(a["note"], "Demam, tinggal sendirian");
        assert!(alerts(&app, &social, "welfare").await.is_empty(), "handed over: no welfare alert");

        let r = day(&app).await;
        assert_eq!(r["orders_by_status"]["delivered"], 1, "{r}");
        assert_eq!(r["delivered_on_time"], 1, "{r}");
        assert_eq!(r["failed_handovers"], 0, "{r}");
        assert_eq!(r["alerts_by_kind"]["unwell"], 1, "{r}");
    }

    async fn a_meal_the_elder_was_too_ill_to_take_fails_with_an_unwell_alert(app) {
        let (keys, social, recipient, job_id, stop) = meal_accepted(&app).await;
        let failed = json!({"type": "stop.failed", "job_id": job_id, "occurred_at": Utc::now(), "seq": 1,
                            "stop_id": stop, "reason": "recipient_unwell", "note": "Dibawa ke puskesmas kata tetangga"});
        let r = send_event(&app, &keys, "evt_1", Utc::now().timestamp(), &failed).await;
        assert_eq!(body(r).await["status"], "applied");

        let j = job(&app, &job_id).await;
        assert_eq!(j["stops"][0]["status"], "failed", "{j}");
        assert_eq!(j["stops"][0]["fail_reason"], "recipient_unwell");
        assert_eq!(j["stops"][0]["note"], "Dibawa ke puskesmas kata tetangga");
        let unwell = alerts(&app, &social, "unwell").await;
        assert_eq!(unwell.len(), 1, "{unwell:?}");
        assert_eq!(unwell[0]["status"], "open");
        assert_eq!(unwell[0]["recipient_id"], recipient.as_str());
        assert_eq!(unwell[0]["reason"], "recipient_unwell");
        assert_eq!(unwell[0]["note"], "Dibawa ke puskesmas kata tetangga");
        assert!(alerts(&app, &social, "welfare").await.is_empty(), "the unwell alert stands for it");

        let r = day(&app).await;
        assert_eq!(r["orders_by_status"]["failed"], 1, "{r}");
        assert_eq!(r["failed_handovers"], 1, "{r}");
        assert_eq!(r["alerts_by_kind"]["unwell"], 1, "{r}");
        assert_eq!(r["alerts_by_kind"].get("welfare"), None, "{r}");
    }
}
