//! Recipients, meal enrolments and the generation of a day's meal orders.

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::*;

async fn recipient(
    app: &TestApp,
    social: &str,
    name: &str,
    village: &str,
    located: bool,
) -> String {
    let mut b = json!({"name": name, "phone": "0813 3000 1111", "address": "Dsn. Krajan RT02/RW01", "village": village, "kecamatan": "Giri"});
    if located {
        b["location"] = json!({"lat": -8.2191, "lon": 114.3691});
    }
    let r = app.post("/api/v1/recipients", social, &b).await;
    assert_eq!(r.status(), 201);
    body(r).await["id"].as_str().unwrap().to_owned()
}

async fn enrol(app: &TestApp, social: &str, person: &str, kitchen: &str, extra: Value) -> String {
    let mut b = json!({"recipient_id": person, "kitchen_id": kitchen, "start_date": "2031-03-01",
                       "meals": [{"name": "siang", "window_start": "10:30", "window_end": "12:30"}]});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    let r = app.post("/api/v1/enrolments", social, &b).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    body(
        app.get(&format!("/api/v1/enrolments?recipient_id={person}"), social)
            .await,
    )
    .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_backends! {
    async fn a_meal_day_is_generated_exactly_once(app) {
        let social = app.token("social_worker", None).await;
        let kitchen = app.site("kitchen", "Warung Bu Tin", -8.21, 114.37).await;
        let a = recipient(&app, &social, "Mbah Sarni", "Penganjuran", true).await;
        let b = recipient(&app, &social, "Mbah Parto", "Penganjuran", false).await;
        let c = recipient(&app, &social, "Mbah Wagiman", "Giri", true).await;
        enrol(&app, &social, &a, &kitchen, json!({})).await;
        enrol(&app, &social, &b, &kitchen, json!({})).await;
        // Weekdays only: 2031-03-08 is a Saturday.
        enrol(&app, &social, &c, &kitchen, json!({"weekdays": ["senin", "selasa", "rabu", "kamis", "jumat"]})).await;

        let r = app.post("/api/v1/meal-days/2031-03-07/orders", &social, &json!({})).await;
        assert_eq!(r.status(), 201);
        let first = body(r).await;
        assert_eq!((first["created"].as_u64(), first["needs_location"].as_u64()), (Some(3), Some(1)));
        let r = app.post("/api/v1/meal-days/2031-03-07/orders", &social, &json!({})).await;
        assert_eq!(r.status(), 200);
        let again = body(r).await;
        assert_eq!((again["created"].as_u64(), again["already_existed"].as_u64()), (Some(0), Some(3)));
        assert!(again["message"].as_str().unwrap().contains("already"));

        let orders = body(app.get("/api/v1/orders?kind=meal&date=2031-03-07", &social).await).await;
        let orders = orders.as_array().unwrap();
        assert_eq!(orders.len(), 3);
        // 10:30 in Jakarta is 03:30 UTC.
        assert!(orders.iter().all(|o| o["window_start"] == "2031-03-07T03:30:00Z"), "{orders:?}");
        let saturday = body(app.post("/api/v1/meal-days/2031-03-08/orders", &social, &json!({})).await).await;
        assert_eq!(saturday["created"], 2);
    }

    async fn pauses_skip_days_and_a_death_ends_the_enrolment(app) {
        let social = app.token("social_worker", None).await;
        let kitchen = app.site("kitchen", "Warung Bu Tin", -8.21, 114.37).await;
        let a = recipient(&app, &social, "Mbah Sarni", "Penganjuran", true).await;
        let b = recipient(&app, &social, "Mbah Parto", "Penganjuran", true).await;
        let ea = enrol(&app, &social, &a, &kitchen, json!({})).await;
        let eb = enrol(&app, &social, &b, &kitchen, json!({})).await;
        let r = app.post(&format!("/api/v1/enrolments/{ea}/pause"), &social,
            &json!({"from": "2031-03-05", "until": "2031-03-09", "reason": "hospitalised", "note": "RSUD"})).await;
        assert_eq!(r.status(), 200);
        let day = body(app.post("/api/v1/meal-days/2031-03-06/orders", &social, &json!({})).await).await;
        assert_eq!((day["created"].as_u64(), day["paused"].as_u64()), (Some(1), Some(1)));
        let r = app.post(&format!("/api/v1/enrolments/{ea}/resume"), &social, &json!({"on": "2031-03-07"})).await;
        assert_eq!(r.status(), 200);
        let day = body(app.post("/api/v1/meal-days/2031-03-07/orders", &social, &json!({})).await).await;
        assert_eq!(day["created"], 2);
        let r = app.post(&format!("/api/v1/enrolments/{eb}/pause"), &social, &json!({"from": "2031-03-08", "reason": "died"})).await;
        let ended = body(r).await;
        assert_eq!((ended["ended_reason"].as_str(), ended["end_date"].as_str()), (Some("died"), Some("2031-03-07")));
        let day = body(app.post("/api/v1/meal-days/2031-03-08/orders", &social, &json!({})).await).await;
        assert_eq!(day["created"], 1);
        let r = app.post(&format!("/api/v1/enrolments/{eb}/resume"), &social, &json!({"on": "2031-03-09"})).await;
        assert_problem(r, 409, "enrolment_ended", None).await;
    }

    async fn recipients_are_searched_by_name_or_village(app) {
        let social = app.token("social_worker", None).await;
        recipient(&app, &social, "Mbah Sarni", "Penganjuran", true).await;
        recipient(&app, &social, "Bapak Slamet", "Giri", true).await;
        let id = recipient(&app, &social, "Ibu Sumarni", "Kebalenan", false).await;
        let hits = body(app.get("/api/v1/recipients?q=ARNI", &social).await).await;
        let names: Vec<_> = hits.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["Ibu Sumarni", "Mbah Sarni"]);
        let hits = body(app.get("/api/v1/recipients?village=giri", &social).await).await;
        assert_eq!(hits.as_array().unwrap().len(), 1);
        let r = app.put(&format!("/api/v1/recipients/{id}"), &social, &json!({"name": "Ibu Sumarni", "village": "Kebalenan",
            "location": {"lat": -8.22, "lon": 114.36}, "location_source": "plus_code"})).await;
        assert_eq!(r.status(), 200);
        let got = body(app.get(&format!("/api/v1/recipients/{id}"), &social).await).await;
        assert_eq!(got["location_source"], "plus_code");
    }

    async fn a_recipient_location_can_be_a_pasted_link(app) {
        let social = app.token("social_worker", None).await;
        let r = app.post("/api/v1/recipients", &social, &json!({"name": "Mbah Sarni",
            "location_text": "https://www.openstreetmap.org/?mlat=-8.2191&mlon=114.3691#map=17/-8.2191/114.3691"})).await;
        assert_eq!(r.status(), 201);
        let got = body(r).await;
        assert_eq!(got["location_source"], "link");
        assert!((got["location"]["lon"].as_f64().unwrap() - 114.3691).abs() < 1e-6);
        let r = app.post("/api/v1/recipients", &social, &json!({"name": "Mbah Parto", "location_text": "dekat masjid"})).await;
        assert_problem(r, 422, "validation_failed", Some("location_text")).await;
    }

    async fn enrolments_refuse_bad_kitchens_days_and_windows(app) {
        let social = app.token("social_worker", None).await;
        let pharmacy = app.site("pharmacy", "RSUD", -8.2, 114.36).await;
        let kitchen = app.site("kitchen", "Warung", -8.21, 114.37).await;
        let a = recipient(&app, &social, "Mbah Sarni", "Penganjuran", true).await;
        let r = app.post("/api/v1/enrolments", &social, &json!({"recipient_id": a, "kitchen_id": pharmacy, "start_date": "2031-03-01"})).await;
        assert_problem(r, 422, "not_a_kitchen", Some("kitchen_id")).await;
        let r = app.post("/api/v1/enrolments", &social, &json!({"recipient_id": a, "kitchen_id": kitchen, "start_date": "2031-03-01",
            "weekdays": ["someday"], "meals": [{"name": "siang", "window_start": "12:30", "window_end": "10:30"}]})).await;
        let p = assert_problem(r, 422, "validation_failed", Some("weekdays")).await;
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == "meals[0].window_end"));
        let listed = body(app.get("/api/v1/enrolments", &social).await).await;
        assert!(listed.as_array().unwrap().is_empty(), "nothing stored");
    }
}
