//! The courier page in headless Chromium at 360 px: open the link, mark a stop, lose the
//! network (chromedriver's network emulation), mark two more (the page keeps them queued and
//! says so), get the network back, and find exactly one event per action in antar. And with
//! antar itself gone (its server stopped, so the service worker's fetches fail too): reopen
//! the link from the service worker's copy, mark stops there, start antar again on the same
//! port over the same database, and find each action once.
//! No sleeps: the test waits for what the page shows (an attribute set when the server has
//! acknowledged an action, the service worker's readiness asked through script).

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "api/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "web_support.rs"]
mod web_support;

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;
use support::{Backend, TestApp, body, prescription};
use web_support::{Browser, PASSWORD, browser, browser_tools, start_driver, user};

const TOWN: &str = "fixtures/roads/banyuwangi-town.osm";

/// Switch the browser's network off or on through chromedriver's Chromium extension.
async fn network(driver_url: &str, session: &str, offline: bool) {
    let r = reqwest::Client::new()
        .post(format!(
            "{driver_url}/session/{session}/chromium/network_conditions"
        ))
        .json(
            &json!({"network_conditions": {"offline": offline, "latency": 0,
                      "download_throughput": -1, "upload_throughput": -1}}),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// Make the page a 360 px phone screen (headless Chromium's windows are at least 500 px wide).
async fn phone_screen(driver_url: &str, session: &str) {
    let r = reqwest::Client::new()
        .post(format!("{driver_url}/session/{session}/goog/cdp/execute"))
        .json(&json!({"cmd": "Emulation.setDeviceMetricsOverride",
                      "params": {"width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": true}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// An own-fleet job of three medicine stops; returns (job id, courier link, stop ids, site).
async fn own_fleet_job(app: &TestApp) -> (String, String, Vec<String>, String) {
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
    let site = app
        .site("pharmacy", "RSUD Blambangan", -8.225, 114.35)
        .await;
    let r = app
        .post(
            "/api/v1/couriers",
            &app.admin,
            &json!({"site_id": site, "name": "Budi", "phone": "0812-3333-4444",
                    "vehicle": "Honda Supra P 1234 AB", "capacity": 10, "max_stops": 8}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let pharmacist = app.token("pharmacist", Some(&site)).await;
    for i in 0..3 {
        let mut p = prescription(&format!("Siti Aminah {i}"));
        p["patient"]["location"] = json!({"lat": -8.215 + 0.002 * i as f64, "lon": 114.355});
        p["ready_at"] = json!("2031-03-04T02:00:00Z");
        p["deliver_by"] = json!("2031-03-04T06:00:00Z");
        let r = app.post("/api/v1/prescriptions", &pharmacist, &p).await;
        assert_eq!(r.status(), 201);
    }
    let r = app
        .post(
            "/api/v1/plans",
            &app.admin,
            &json!({"dry_run": false, "time_limit_ms": 200}),
        )
        .await;
    let p = body(r).await;
    let job_id = p["job_ids"][0].as_str().unwrap().to_owned();
    let j = body(app.get(&format!("/api/v1/jobs/{job_id}"), &app.admin).await).await;
    assert_eq!(j["job"]["status"], "courier_assigned", "{j}");
    let link = j["courier_link"].as_str().unwrap().to_owned();
    let stops = j["stops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    (job_id, link, stops, site)
}

/// Wait (at most 30 s) until `css` matches an element of the page.
async fn wait_for(c: &fantoccini::Client, css: impl AsRef<str>) {
    let css = css.as_ref();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
}

/// The state of stop `id` in a job as `GET /api/v1/jobs/{id}` shows it.
fn stop_status(job: &serde_json::Value, id: &str) -> serde_json::Value {
    job["stops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()["status"]
        .clone()
}

/// Tap a stop's action button.
async fn tap(c: &fantoccini::Client, stop: &str, action: &str) {
    c.find(Locator::Css(&format!(
        "li[data-stop='{stop}'] button[data-a='{action}']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
}

async fn run(app: TestApp) {
    let Some((driver, chromium)) = browser_tools() else {
        return;
    };
    let (job_id, link, stops, _) = own_fleet_job(&app).await;
    assert_eq!(stops.len(), 3);
    let driver = start_driver(&driver);
    let c = browser(&driver, &chromium).await;
    let session = c.session_id().await.unwrap().unwrap();
    let job: uuid::Uuid = job_id.parse().unwrap();
    let events = || async { app.dispatch.store().job_events(job).await.unwrap() };

    phone_screen(&driver.url, &session).await;
    c.goto(&format!("{}{link}", app.base)).await.unwrap();
    wait_for(&c, "#q.sent").await;
    let (width, viewport, widest) = {
        let v = c
            .execute(
                "var w=0,x='';document.querySelectorAll('body *').forEach(function(e){var r=e.getBoundingClientRect().right;if(r>w){w=r;x=e.tagName+'#'+e.id+'.'+e.className;}});\
                 return [document.documentElement.scrollWidth, window.innerWidth, x];",
                vec![],
            )
            .await
            .unwrap();
        (v[0].as_i64().unwrap(), v[1].as_i64().unwrap(), v[2].clone())
    };
    assert_eq!(viewport, 360);
    assert!(
        width <= 360,
        "the page fits a 360 px screen: {width} ({widest})"
    );

    // Online: the first stop is delivered and acknowledged.
    tap(&c, &stops[0], "delivered").await;
    wait_for(
        &c,
        format!("li[data-stop='{}'][data-sent='delivered']", stops[0]),
    )
    .await;
    assert_eq!(events().await.len(), 1);

    // The page is kept on the phone (service worker active, page cached) before the signal goes.
    // Reopening it offline is not driven here: chromedriver's network emulation covers the
    // page but not its service worker, whose requests would still reach the server (see
    // `reopen_with_antar_gone`, which stops the server instead).
    wait_for(&c, "body[data-kept]").await;
    let ready = c
        .execute_async(
            "var done=arguments[arguments.length-1];\
             navigator.serviceWorker.ready.then(function(r){done(!!r.active);});",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ready, json!(true));

    // Offline: two more actions wait on the phone.
    network(&driver.url, &session, true).await;
    tap(&c, &stops[1], "delivered").await;
    tap(&c, &stops[2], "not_home").await;
    wait_for(&c, "#q.pending").await;
    let pending = c
        .find(Locator::Id("q"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(pending, "2 menunggu dikirim");
    assert_eq!(events().await.len(), 1, "nothing arrived while offline");
    // Back online: the queue drains in order, each action once.
    network(&driver.url, &session, false).await;
    wait_for(
        &c,
        format!("li[data-stop='{}'][data-sent='delivered']", stops[1]),
    )
    .await;
    wait_for(
        &c,
        format!("li[data-stop='{}'][data-sent='not_home']", stops[2]),
    )
    .await;
    wait_for(&c, "#q.sent").await;
    let got = events().await;
    let kinds: Vec<&str> = got.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(
        kinds,
        ["stop.delivered", "stop.delivered", "stop.failed"],
        "{got:?}"
    );
    assert!(
        got.iter().all(|(_, _, outcome)| outcome == "applied"),
        "{got:?}"
    );
    let j = body(app.get(&format!("/api/v1/jobs/{job_id}"), &app.admin).await).await;
    let status_of = |id: &str| stop_status(&j, id);
    assert_eq!(status_of(&stops[0]), "delivered");
    assert_eq!(status_of(&stops[1]), "delivered");
    assert_eq!(status_of(&stops[2]), "failed");
    assert_eq!(j["job"]["status"], "completed");

    // A reload shows what antar recorded; nothing is sent again.
    c.refresh().await.unwrap();
    wait_for(&c, "#q.sent").await;
    assert_eq!(events().await.len(), 3);
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_courier_marks_stops_offline_and_each_reaches_antar_once_sqlite() {
    run(TestApp::spawn_with(Backend::Sqlite, TOWN).await.unwrap()).await;
}

#[tokio::test]
async fn a_courier_marks_stops_offline_and_each_reaches_antar_once_postgres() {
    if let Some(app) = TestApp::spawn_with(Backend::Postgres, TOWN).await {
        run(app).await;
    }
}

/// Reopen the courier link with antar unreachable: its server is stopped (not emulated), so the
/// service worker's own fetch fails and only its cached copy can answer.
async fn reopen_with_antar_gone(mut app: TestApp) {
    let Some((driver, chromium)) = browser_tools() else {
        return;
    };
    let (job_id, link, stops, _) = own_fleet_job(&app).await;
    let job: uuid::Uuid = job_id.parse().unwrap();
    let url = format!("{}{link}", app.base);
    let driver = start_driver(&driver);
    let c = browser(&driver, &chromium).await;
    let session = c.session_id().await.unwrap().unwrap();
    phone_screen(&driver.url, &session).await;
    let queue_text = || {
        let c = c.clone();
        async move {
            c.find(Locator::Id("q"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };

    c.goto(&url).await.unwrap();
    wait_for(&c, "#q.sent").await;
    // Online: the first stop reaches antar at once.
    tap(&c, &stops[0], "delivered").await;
    wait_for(
        &c,
        format!("li[data-stop='{}'][data-sent='delivered']", stops[0]),
    )
    .await;
    // Kept on the phone: the page in the cache, the service worker active.
    wait_for(&c, "body[data-kept]").await;
    let ready = c
        .execute_async(
            "var done=arguments[arguments.length-1];\
             navigator.serviceWorker.ready.then(function(r){done(!!r.active);});",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ready, json!(true));
    assert_eq!(app.dispatch.store().job_events(job).await.unwrap().len(), 1);

    // antar goes away: nothing listens on its port any more.
    app.stop().await;
    assert!(
        reqwest::get(&url).await.is_err(),
        "the server is really down"
    );
    // A tap without antar waits on the phone.
    tap(&c, &stops[1], "delivered").await;
    wait_for(&c, "#q.pending").await;
    assert_eq!(queue_text().await, "1 menunggu dikirim");

    // Reopen the link: the service worker answers from its cache, the queue is still there.
    c.goto(&url).await.unwrap();
    wait_for(&c, "#q.pending").await;
    assert_eq!(queue_text().await, "1 menunggu dikirim");
    let shown = c
        .execute(
            "return [document.body.getAttribute('data-token')!==null,\
                     document.querySelectorAll('li[data-stop]').length,\
                     !!navigator.serviceWorker.controller,\
                     document.documentElement.scrollWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown[0], json!(true), "the courier page, not an error page");
    assert_eq!(shown[1], json!(3), "every stop is shown");
    assert_eq!(shown[2], json!(true), "served by the service worker");
    assert!(shown[3].as_i64().unwrap() <= 360, "still fits 360 px");
    // Another stop marked on the reopened page joins the queue.
    tap(&c, &stops[2], "not_home").await;
    wait_for(
        &c,
        format!("li[data-stop='{}'][data-queued='not_home']", stops[2]),
    )
    .await;
    assert_eq!(queue_text().await, "2 menunggu dikirim");

    // antar is back on the same port over the same database: the queue drains by itself.
    app.restart().await;
    wait_for(
        &c,
        format!("li[data-stop='{}'][data-sent='delivered']", stops[1]),
    )
    .await;
    wait_for(
        &c,
        format!("li[data-stop='{}'][data-sent='not_home']", stops[2]),
    )
    .await;
    wait_for(&c, "#q.sent").await;
    let got = app.dispatch.store().job_events(job).await.unwrap();
    let kinds: Vec<&str> = got.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(
        kinds,
        ["stop.delivered", "stop.delivered", "stop.failed"],
        "{got:?}"
    );
    assert!(
        got.iter().all(|(_, _, outcome)| outcome == "applied"),
        "{got:?}"
    );
    let ids: std::collections::HashSet<&str> = got.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids.len(), 3, "each action once: {got:?}");
    let j = body(app.get(&format!("/api/v1/jobs/{job_id}"), &app.admin).await).await;
    let status_of = |id: &str| stop_status(&j, id);
    assert_eq!(status_of(&stops[1]), "delivered");
    assert_eq!(status_of(&stops[2]), "failed");
    assert_eq!(j["job"]["status"], "completed");
    // Online again, a reload comes from antar and sends nothing twice.
    c.refresh().await.unwrap();
    wait_for(&c, "#q.sent").await;
    assert_eq!(app.dispatch.store().job_events(job).await.unwrap().len(), 3);
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_courier_reopens_the_link_while_antar_is_down_and_each_action_arrives_once_sqlite() {
    reopen_with_antar_gone(TestApp::spawn_with(Backend::Sqlite, TOWN).await.unwrap()).await;
}

#[tokio::test]
async fn a_courier_reopens_the_link_while_antar_is_down_and_each_action_arrives_once_postgres() {
    if let Some(app) = TestApp::spawn_with(Backend::Postgres, TOWN).await {
        reopen_with_antar_gone(app).await;
    }
}

/// Staff find the courier's link on Today, ready to share by WhatsApp; another site's staff
/// do not.
async fn today_shares(app: TestApp) {
    let (_, link, _, _) = own_fleet_job(&app).await;
    let other = app.site("pharmacy", "RSUD Genteng", -8.36, 114.15).await;
    user(&app, "sari", "social_worker", None).await;
    user(&app, "apoteker2", "pharmacist", Some(&other)).await;
    let mut b = Browser::new(&app.base);
    b.login("sari", PASSWORD).await;
    let page = b.get("/today?date=2031-03-04").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Bagikan ke kurir"), "{}", page.text);
    assert!(page.text.contains(&link), "the link is on Today");
    assert!(
        page.text.contains("https://wa.me/6281233334444?text="),
        "a WhatsApp link to the courier"
    );
    let mut b = Browser::new(&app.base);
    b.login("apoteker2", PASSWORD).await;
    let page = b.get("/today?date=2031-03-04").await;
    assert!(
        !page.text.contains("/kurir/"),
        "another site's staff see no link"
    );
}

#[tokio::test]
async fn staff_find_the_courier_link_on_today_sqlite() {
    today_shares(TestApp::spawn_with(Backend::Sqlite, TOWN).await.unwrap()).await;
}

#[tokio::test]
async fn staff_find_the_courier_link_on_today_postgres() {
    if let Some(app) = TestApp::spawn_with(Backend::Postgres, TOWN).await {
        today_shares(app).await;
    }
}
