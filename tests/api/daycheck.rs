//! The day check (`antar check-day`): a small day played to the end over the API passes every
//! invariant; the same day with a violation written into the database fails exactly the check
//! that guards against it. Also with a booking-API company (the booking simulator, one step per
//! status request) carrying a job that failed over to it.

use antar::demo::check::{DayCheck, check_day};
use antar::domain::time::DEFAULT_TZ;
use chrono::{NaiveDate, Utc};
use serde_json::json;

use crate::dispatch::{
    Seq, deliver_all, job, mock_partner, order_status, partner, pharmacy_with_orders, plan,
    send_event,
};
use crate::support::*;

const TOWN: &str = "fixtures/roads/banyuwangi-town.osm";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2031, 3, 4).unwrap()
}

fn failed(c: &DayCheck) -> Vec<&'static str> {
    c.checks
        .iter()
        .filter(|c| !c.pass)
        .map(|c| c.name)
        .collect()
}

/// Names of the checks, by what they guard.
const FINAL: &str = "every order ends in a final state";
const CHAIN: &str = "every order's history is one chain, no transition twice";
const ONE_AT_A_TIME: &str = "no job offered to two partners at once";
const OUTBOX: &str = "no event lost (outbox all delivered or dropped with a reason)";
const ONE_ROW: &str = "exactly one outbox row per offer (duplicates only as retries)";
const BOOKINGS: &str = "every booking with a booking API finished";
const ACCEPTED_ONCE: &str = "no offer to a booking API accepted twice";

async fn exec(app: &TestApp, sql: &str, binds: &[&str]) {
    let mut tx = app.dispatch.store().begin().await.unwrap();
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for b in binds {
        q = q.bind(b.to_string());
    }
    q.execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

async fn run(app: TestApp) {
    let (url, _mock) = mock_partner(vec![(200, json!({"decision": "accept"}))]).await;
    let keys = partner(&app, "Ojek Sehat", &url, 1, false).await;
    let (_, _, orders) = pharmacy_with_orders(&app, 2, false).await;
    let p = plan(&app).await;
    let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
    deliver_all(&app, Utc::now()).await;

    // Half-way through the day nothing is final yet: the check says so.
    let mid = check_day(app.dispatch.store(), day(), DEFAULT_TZ)
        .await
        .unwrap();
    assert_eq!(failed(&mid), vec![FINAL], "{mid}");

    let j = job(&app, &job_id).await;
    assert_eq!(j["job"]["status"], "accepted", "{j}");
    let stops: Vec<String> = j["stops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let now = || Utc::now().timestamp();
    let mut seq = Seq(0);
    let courier = json!({"type": "courier.assigned", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(),
                         "name": "Budi Santoso", "plate": "P 1234 AB", "phone": "+6281234567890"});
    assert_eq!(
        send_event(&app, &keys, "evt_1", now(), &courier)
            .await
            .status(),
        200
    );
    let picked = json!({"type": "job.picked_up", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next()});
    assert_eq!(
        send_event(&app, &keys, "evt_2", now(), &picked)
            .await
            .status(),
        200
    );
    for (i, stop) in stops.iter().enumerate() {
        let delivered = json!({"type": "stop.delivered", "job_id": job_id, "occurred_at": Utc::now(), "seq": seq.next(),
                               "stop_id": stop, "proof": {"recipient_name": "Siti"}});
        let r = send_event(&app, &keys, &format!("evt_d{i}"), now(), &delivered).await;
        assert_eq!(r.status(), 200);
    }
    deliver_all(&app, Utc::now()).await;
    for (o, _) in &orders {
        assert_eq!(order_status(&app, o).await, "delivered");
    }

    let clean = check_day(app.dispatch.store(), day(), DEFAULT_TZ)
        .await
        .unwrap();
    assert!(clean.passed(), "{clean}");
    assert_eq!(clean.orders_by_status.get("delivered"), Some(&2), "{clean}");
    assert!(clean.to_string().contains("PASS"), "{clean}");

    // A second offer of the job, pending while the first was still undecided (and never sent).
    exec(
        &app,
        "INSERT INTO offers (id, job_id, partner_id, round, status, offered_at, expires_at) \
         SELECT $1, job_id, partner_id, round, 'pending', offered_at, expires_at FROM offers WHERE job_id = $2",
        &[&uuid::Uuid::now_v7().to_string(), &job_id],
    )
    .await;
    let c = check_day(app.dispatch.store(), day(), DEFAULT_TZ)
        .await
        .unwrap();
    assert_eq!(failed(&c), vec![ONE_AT_A_TIME, ONE_ROW], "{c}");

    // An event left in the outbox.
    exec(
        &app,
        "UPDATE outbox SET status = 'pending' WHERE id = (SELECT MIN(id) FROM outbox)",
        &[],
    )
    .await;
    let c = check_day(app.dispatch.store(), day(), DEFAULT_TZ)
        .await
        .unwrap();
    assert_eq!(failed(&c), vec![ONE_AT_A_TIME, OUTBOX, ONE_ROW], "{c}");
    assert_eq!(c.outbox_by_status.get("pending"), Some(&1), "{c}");

    // A transition recorded twice (an event processed twice).
    exec(
        &app,
        "INSERT INTO order_events (order_id, from_status, to_status, reason, actor, at) \
         SELECT order_id, from_status, to_status, reason, actor, at FROM order_events \
         WHERE id = (SELECT MAX(id) FROM order_events)",
        &[],
    )
    .await;
    let c = check_day(app.dispatch.store(), day(), DEFAULT_TZ)
        .await
        .unwrap();
    assert_eq!(
        failed(&c),
        vec![CHAIN, ONE_AT_A_TIME, OUTBOX, ONE_ROW],
        "{c}"
    );
    assert!(c.to_string().contains("FAIL"), "{c}");
}

#[tokio::test]
async fn sqlite() {
    run(TestApp::spawn_with(Backend::Sqlite, TOWN).await.unwrap()).await
}

#[tokio::test]
async fn postgres() {
    if let Some(app) = TestApp::spawn_with(Backend::Postgres, TOWN).await {
        run(app).await
    }
}

/// A job of three stops turned down by a ride-hailing partner and carried by a booking API, one
/// booking per stop, played to the end: the day passes; a booking left searching, or the offer
/// accepted a second time under another event id, fails exactly the booking checks.
async fn a_day_with_a_booking_api(app: TestApp) {
    use antar::partnersim::booking::{Advance, BookingSim, BookingSimConfig};

    let (hook, _mock) = mock_partner(vec![(
        200,
        json!({"decision": "reject", "reason": "armada penuh"}),
    )])
    .await;
    partner(&app, "Ojek Sehat", &hook, 1, false).await;
    let mut c = BookingSimConfig::new("127.0.0.1:0".parse().unwrap(), "belum", "belum");
    c.advance = Advance::PerPoll;
    c.no_driver_rate = 0.0;
    let company = BookingSim::start(c).await.unwrap();
    let r = app
        .post(
            "/api/v1/admin/partners",
            &app.admin,
            &json!({"name": "Kurir Kilat", "kind": "booking_api", "webhook_url": company.url(), "rank": 2,
                    "offer_timeout_s": 600,
                    "capabilities": {"max_stops": 1, "capacity": 6, "cold_box": false, "controlled_handover": false},
                    "fare": {"base_idr": 9000, "per_km_idr": 2500}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    company.set_api_key(body(r).await["signing_secret"].as_str().unwrap());
    let (_, _, orders) = pharmacy_with_orders(&app, 3, false).await;
    let p = plan(&app).await;
    assert_eq!(p["job_ids"].as_array().unwrap().len(), 1, "{p}");
    let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
    // The ride-hailing partner turns it down: one booking per stop.
    deliver_all(&app, Utc::now()).await;
    let worker = antar::dispatch::bookings::BookingWorker::new(
        app.dispatch.clone(),
        std::time::Duration::from_secs(5),
    );
    let t0 = crate::bookings::booking_time(&app, &[&job_id]).await;
    for k in 0..12 {
        worker
            .run_once(t0 + chrono::Duration::seconds(31 * k))
            .await
            .unwrap();
    }
    let j = job(&app, &job_id).await;
    assert_eq!(j["job"]["status"], "completed", "{j}");
    assert_eq!(j["bookings"].as_array().unwrap().len(), 3, "{j}");
    for (o, _) in &orders {
        assert_eq!(order_status(&app, o).await, "delivered");
    }
    assert_eq!(company.stats().delivered, 3);

    let clean = check_day(app.dispatch.store(), day(), DEFAULT_TZ)
        .await
        .unwrap();
    assert!(clean.passed(), "{clean}");
    let detail = |c: &DayCheck, name: &str| {
        c.checks
            .iter()
            .find(|k| k.name == name)
            .unwrap()
            .detail
            .clone()
    };
    assert!(
        detail(&clean, BOOKINGS).starts_with("3 bookings for 1 offers: 0 not done"),
        "{clean}"
    );
    assert!(
        detail(&clean, ACCEPTED_ONCE).starts_with("1 acceptances, 1 accepted offers"),
        "{clean}"
    );
    assert!(
        detail(&clean, ONE_ROW).contains("for 1 offers to webhook partners"),
        "the offer to the booking API is not looked for in the outbox: {clean}"
    );

    // The offer accepted again under another event id.
    exec(
        &app,
        "INSERT INTO partner_events (partner_id, webhook_id, job_id, event_type, seq, occurred_at, received_at, outcome, body) \
         SELECT partner_id, webhook_id || '_again', job_id, event_type, seq, occurred_at, received_at, outcome, body \
         FROM partner_events WHERE event_type = 'job.accepted' AND job_id = $1",
        &[&job_id],
    )
    .await;
    let c = check_day(app.dispatch.store(), day(), DEFAULT_TZ)
        .await
        .unwrap();
    assert_eq!(failed(&c), vec![ACCEPTED_ONCE], "{c}");

    // A booking left searching.
    exec(
        &app,
        "UPDATE bookings SET state = 'searching' WHERE id = (SELECT MIN(id) FROM bookings)",
        &[],
    )
    .await;
    let c = check_day(app.dispatch.store(), day(), DEFAULT_TZ)
        .await
        .unwrap();
    assert_eq!(failed(&c), vec![BOOKINGS, ACCEPTED_ONCE], "{c}");
}

#[tokio::test]
async fn booking_sqlite() {
    a_day_with_a_booking_api(TestApp::spawn_with(Backend::Sqlite, TOWN).await.unwrap()).await
}

#[tokio::test]
async fn booking_postgres() {
    if let Some(app) = TestApp::spawn_with(Backend::Postgres, TOWN).await {
        a_day_with_a_booking_api(app).await
    }
}

/// A wave claimed by a process that was killed before it finished is taken over once the claim
/// is older than the lease, never while it is fresh.
async fn a_wave_left_running_by_a_dead_process_is_taken_over(app: TestApp) {
    use antar::dispatch::waves::{WaveSettings, claim_lease};
    use antar::domain::SiteId;
    use antar::store::jobs::claim_wave;

    let site: SiteId = SiteId(
        app.site("kitchen", "Dapur Sehat Bu Rahma", -8.22, 114.35)
            .await
            .parse()
            .unwrap(),
    );
    let wave = Utc::now();
    let lease = claim_lease(&WaveSettings::default());
    let store = app.dispatch.store();
    let claim = |now: chrono::DateTime<Utc>| async move {
        let mut tx = store.begin().await.unwrap();
        let got = claim_wave(&mut tx, site, wave, now, now - lease)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        got
    };
    // Claimed, then the process dies: no finish_wave.
    assert!(claim(wave).await);
    // Another tick within the lease leaves it alone.
    assert!(!claim(wave + lease / 2).await);
    // Past the lease the wave is taken over, once.
    let later = wave + lease + chrono::Duration::seconds(1);
    assert!(claim(later).await);
    assert!(!claim(later).await);
    // A finished wave is never claimed again.
    let mut tx = store.begin().await.unwrap();
    antar::store::jobs::finish_wave(&mut tx, site, wave, None, "planned")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!claim(later + lease * 10).await);
}

#[tokio::test]
async fn stale_wave_sqlite() {
    a_wave_left_running_by_a_dead_process_is_taken_over(
        TestApp::spawn(Backend::Sqlite).await.unwrap(),
    )
    .await
}

#[tokio::test]
async fn stale_wave_postgres() {
    if let Some(app) = TestApp::spawn(Backend::Postgres).await {
        a_wave_left_running_by_a_dead_process_is_taken_over(app).await
    }
}
