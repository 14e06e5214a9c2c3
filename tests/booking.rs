//! The booking-API simulator (`antar partner-sim --mode booking`) over real HTTP on loopback,
//! called by antar's own booking client: quotes with surge, bookings polled to delivery, no
//! driver found, cancellation (free, with a fee, refused after pickup), a refused API key, a
//! company that answers nonsense, signed status callbacks, and the command itself.
//!
//! No sleeps and no timing: the simulator moves a booking one step per status request
//! (`Advance::PerPoll`), and callbacks are awaited on a channel.

use std::time::Duration;

use antar::domain::LatLon;
use antar::partnersim::booking::{
    Advance, BookingSim, BookingSimConfig, BookingSimHandle, SimBooking, SimStatus, verify_callback,
};
use antar::webhooks::booking::{BookingClient, BookingError, Place, QuoteRequest};
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const KEY: &str = "kunci-api-uji";
const CALLBACK_SECRET: &str = "rahasia-callback-uji";

fn config() -> BookingSimConfig {
    let mut c = BookingSimConfig::new("127.0.0.1:0".parse().unwrap(), KEY, CALLBACK_SECRET);
    c.advance = Advance::PerPoll;
    c.no_driver_rate = 0.0;
    c
}

async fn start(c: BookingSimConfig) -> (BookingSimHandle, BookingClient) {
    antar::crypto::install_tls_provider();
    let sim = BookingSim::start(c).await.unwrap();
    let client = BookingClient::new(&sim.url(), KEY, Duration::from_secs(5)).unwrap();
    (sim, client)
}

fn place(lat: f64, lon: f64, name: &str) -> Place {
    Place {
        location: LatLon::new(lat, lon).unwrap(),
        address: "Jl. Ahmad Yani 1, Banyuwangi".into(),
        landmark: Some("depan masjid".into()),
        contact_name: name.into(),
        contact_phone: Some("+6281234567890".into()),
    }
}

fn quote_req(reference: &str) -> QuoteRequest {
    QuoteRequest {
        reference: reference.into(),
        pickup: place(-8.225, 114.35, "Apotek RSUD Blambangan"),
        drop: place(-8.205, 114.37, "Ibu S."),
        parcel_count: 1,
        parcel_code: "RB-7K3Q".into(),
    }
}

/// Quote and book `reference`; the booking id.
async fn book(client: &BookingClient, reference: &str) -> String {
    let q = client.quote(&quote_req(reference)).await.unwrap();
    client
        .book(reference, &q.quote_id, None)
        .await
        .unwrap()
        .booking_id
}

/// A raw call, to see what antar's client does not read (surge, the booking's reference).
async fn raw(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(method, url).bearer_auth(KEY);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn raw_quote() -> Value {
    serde_json::to_value(quote_req("ref-raw")).unwrap()
}

#[tokio::test]
async fn a_quote_carries_surge_within_the_configured_range_and_the_same_seed_repeats_it() {
    let mut c = config();
    c.surge_min = 1.2;
    c.surge_max = 1.2;
    let (sim, client) = start(c).await;
    let (status, q) = raw(
        reqwest::Method::POST,
        format!("{}/quotes", sim.url()),
        Some(raw_quote()),
    )
    .await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["surge_multiplier"], 1.2);
    let base = q["base_fare_idr"].as_i64().unwrap();
    assert!(base >= 9_000 + 2_500 * 2, "{q}");
    assert_eq!(
        q["fare_idr"].as_i64().unwrap(),
        ((base as f64 * 1.2) / 100.0).round() as i64 * 100
    );
    // antar's client reads the same fare.
    let typed = client.quote(&quote_req("ref-1")).await.unwrap();
    assert_eq!(i64::from(typed.fare_idr), q["fare_idr"].as_i64().unwrap());

    let mut c = config();
    c.surge_min = 1.0;
    c.surge_max = 2.0;
    c.seed = 7;
    let (_a, client_a) = start(c.clone()).await;
    let (_b, client_b) = start(c).await;
    let mut fares = Vec::new();
    for i in 0..8 {
        let a = client_a.quote(&quote_req(&format!("r{i}"))).await.unwrap();
        let b = client_b.quote(&quote_req(&format!("r{i}"))).await.unwrap();
        assert_eq!(a.fare_idr, b.fare_idr, "same seed, same quote");
        assert!(
            (i64::from(a.fare_idr)) >= base && i64::from(a.fare_idr) <= 2 * base + 100,
            "{}",
            a.fare_idr
        );
        fares.push(a.fare_idr);
    }
    assert!(
        fares.iter().any(|f| *f != fares[0]),
        "surge varies: {fares:?}"
    );
}

#[tokio::test]
async fn a_booking_is_polled_from_searching_to_delivered_and_charged_its_quote() {
    let (sim, client) = start(config()).await;
    let q = client.quote(&quote_req("job-1:stop-1")).await.unwrap();
    let booked = client
        .book("job-1:stop-1", &q.quote_id, None)
        .await
        .unwrap();
    // Booking the same reference again returns the live booking, not a second one.
    let q2 = client.quote(&quote_req("job-1:stop-1")).await.unwrap();
    assert_eq!(
        client
            .book("job-1:stop-1", &q2.quote_id, None)
            .await
            .unwrap()
            .booking_id,
        booked.booking_id
    );

    let mut seen = Vec::new();
    loop {
        let s = client.status(&booked.booking_id).await.unwrap();
        seen.push(s.status.clone());
        if s.status == "delivered" {
            let driver = s.driver.expect("a delivered booking has a driver");
            assert!(driver.plate.starts_with("P "), "{}", driver.plate);
            assert!(driver.phone.unwrap().starts_with("+62"));
            assert_eq!(s.fare_idr, Some(q.fare_idr), "charged the quote");
            break;
        }
        assert!(seen.len() < 5, "{seen:?}");
    }
    assert_eq!(seen, ["driver_assigned", "picked_up", "delivered"]);
    // Final stays final.
    assert_eq!(
        client.status(&booked.booking_id).await.unwrap().status,
        "delivered"
    );
    let stats = sim.stats();
    assert_eq!((stats.quotes, stats.bookings, stats.delivered), (2, 1, 1));
    assert_eq!(stats.fares_charged_idr, u64::from(q.fare_idr));
}

#[tokio::test]
async fn no_driver_found_is_a_normal_outcome_charged_nothing() {
    let mut c = config();
    c.no_driver_rate = 1.0;
    let (sim, client) = start(c).await;
    let id = book(&client, "job-2:stop-1").await;
    let s = client.status(&id).await.unwrap();
    assert_eq!(s.status, "no_driver");
    assert_eq!(s.fare_idr, Some(0));
    assert!(s.driver.is_none());
    assert_eq!(sim.stats().no_driver, 1);
}

#[tokio::test]
async fn a_booking_cancels_free_before_a_driver_for_a_fee_after_and_not_once_picked_up() {
    let (sim, client) = start(config()).await;
    let early = book(&client, "job-3:stop-1").await;
    client.cancel(&early, "job-3:stop-1").await.unwrap();
    let s = client.status(&early).await.unwrap();
    assert_eq!((s.status.as_str(), s.fare_idr), ("cancelled", Some(0)));
    // Cancelling again is answered, nothing changes.
    client.cancel(&early, "job-3:stop-1").await.unwrap();

    let assigned = book(&client, "job-3:stop-2").await;
    assert_eq!(
        client.status(&assigned).await.unwrap().status,
        "driver_assigned"
    );
    let answer = client.cancel(&assigned, "job-3:stop-2").await.unwrap();
    assert_eq!(
        (answer.status.as_str(), answer.fare_idr),
        ("cancelled", Some(5_000)),
        "the cancellation's answer names the fee"
    );
    let s = client.status(&assigned).await.unwrap();
    assert_eq!((s.status.as_str(), s.fare_idr), ("cancelled", Some(5_000)));

    let riding = book(&client, "job-3:stop-3").await;
    client.status(&riding).await.unwrap();
    assert_eq!(client.status(&riding).await.unwrap().status, "picked_up");
    match client.cancel(&riding, "job-3:stop-3").await {
        Err(BookingError::Refused { status: 409, body }) => {
            assert!(body.contains("already_picked_up"), "{body}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(matches!(
        client.status("BK-nope").await,
        Err(BookingError::Refused { status: 404, .. })
    ));
    let stats = sim.stats();
    assert_eq!(stats.cancelled, 2);
    assert_eq!(stats.fares_charged_idr, 5_000, "only the fee is charged");
}

#[tokio::test]
async fn a_wrong_api_key_is_refused_and_changes_nothing() {
    let (sim, client) = start(config()).await;
    let wrong = BookingClient::new(&sim.url(), "bukan-kunci", Duration::from_secs(5)).unwrap();
    match wrong.quote(&quote_req("r")).await {
        Err(BookingError::Refused { status: 401, body }) => {
            assert!(body.contains("API key"), "{body}")
        }
        other => panic!("expected 401, got {other:?}"),
    }
    let id = book(&client, "job-4:stop-1").await;
    assert!(matches!(
        wrong.cancel(&id, "job-4:stop-1").await,
        Err(BookingError::Refused { status: 401, .. })
    ));
    assert_eq!(
        client.status(&id).await.unwrap().status,
        "driver_assigned",
        "not cancelled"
    );
    assert_eq!(sim.stats().unauthorized, 2);
    // The key can be changed to the one antar minted for the partner.
    sim.set_api_key("kunci-baru");
    assert!(matches!(
        client.quote(&quote_req("r")).await,
        Err(BookingError::Refused { status: 401, .. })
    ));
    let renewed = BookingClient::new(&sim.url(), "kunci-baru", Duration::from_secs(5)).unwrap();
    assert!(renewed.quote(&quote_req("r")).await.is_ok());
}

#[tokio::test]
async fn an_expired_or_unknown_quote_and_a_bad_place_are_refused() {
    let mut c = config();
    c.quote_ttl = Duration::ZERO;
    let (sim, client) = start(c).await;
    let q = client.quote(&quote_req("job-5:stop-1")).await.unwrap();
    match client.book("job-5:stop-1", &q.quote_id, None).await {
        Err(BookingError::Refused { status: 422, body }) => {
            assert!(body.contains("quote_expired"), "{body}")
        }
        other => panic!("expected quote_expired, got {other:?}"),
    }
    assert!(matches!(
        client.book("job-5:stop-1", "QT-nope", None).await,
        Err(BookingError::Refused { status: 404, .. })
    ));
    let mut bad = raw_quote();
    bad["drop"]["location"]["lat"] = json!(123.0);
    let (status, body) = raw(
        reqwest::Method::POST,
        format!("{}/quotes", sim.url()),
        Some(bad),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "invalid_location");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("drop"),
        "{body}"
    );
    let (status, body) = raw(
        reqwest::Method::POST,
        format!("{}/quotes", sim.url()),
        Some(json!({"reference": 1})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
}

/// A company that answers nonsense: 200 with a body that is not the contract's, or a 502 page.
async fn broken_company() -> String {
    let app = axum::Router::new()
        .route(
            "/quotes",
            axum::routing::post(|| async { (StatusCode::OK, "{\"quote\": 12") }),
        )
        .route(
            "/bookings/{id}",
            axum::routing::get(|| async {
                (StatusCode::OK, axum::Json(json!({"state": "teleported"})))
            }),
        )
        .route(
            "/bookings",
            axum::routing::post(|| async { (StatusCode::BAD_GATEWAY, "<html>Bad gateway</html>") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn bad_answers_from_the_company_are_clear_errors_not_panics() {
    antar::crypto::install_tls_provider();
    let client = BookingClient::new(&broken_company().await, KEY, Duration::from_secs(5)).unwrap();
    match client.quote(&quote_req("r")).await {
        Err(BookingError::Unavailable(e)) => assert!(e.contains("answer"), "{e}"),
        other => panic!("expected a bad answer, got {other:?}"),
    }
    match client.status("x").await {
        Err(BookingError::Unavailable(e)) => assert!(e.contains("status"), "{e}"),
        other => panic!("expected a bad answer, got {other:?}"),
    }
    match client.book("r", "q", None).await {
        Err(BookingError::Unavailable(e)) => assert!(e.contains("502"), "{e}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = BookingClient::new(
        &format!("http://127.0.0.1:{port}"),
        KEY,
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(matches!(
        gone.quote(&quote_req("r")).await,
        Err(BookingError::Unavailable(_))
    ));
}

/// HMAC-SHA256 over "{timestamp}.{body}", computed here independently of the crate.
fn independent_signature(ts: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(CALLBACK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn every_status_change_is_pushed_to_the_callback_url_signed() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(HeaderMap, Vec<u8>)>();
    let app = axum::Router::new().route(
        "/booking-callback",
        axum::routing::post(move |h: HeaderMap, body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((h, body.to_vec()));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/booking-callback", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (sim, client) = start(config()).await;
    let q = client.quote(&quote_req("job-6:stop-1")).await.unwrap();
    let (status, b) = raw(
        reqwest::Method::POST,
        format!("{}/bookings", sim.url()),
        Some(
            json!({"reference": "job-6:stop-1", "quote_id": q.quote_id, "callback_url": callback}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let booking: SimBooking = serde_json::from_value(b).unwrap();
    assert_eq!(booking.status, SimStatus::Searching);
    let mut pushed = Vec::new();
    for _ in 0..3 {
        client.status(&booking.booking_id).await.unwrap();
        let (h, body) = rx.recv().await.unwrap();
        let ts = h["x-callback-timestamp"].to_str().unwrap();
        let sig = h["x-callback-signature"].to_str().unwrap();
        assert_eq!(sig, independent_signature(ts, &body));
        let verified =
            verify_callback(CALLBACK_SECRET, ts, sig, &body, Utc::now()).expect("verifies");
        assert_eq!(verified.reference, "job-6:stop-1");
        assert!(
            verify_callback("lain", ts, sig, &body, Utc::now()).is_none(),
            "another secret fails"
        );
        // antar's own check of the company's scheme agrees.
        let ours = antar::webhooks::booking::verify_callback(
            CALLBACK_SECRET,
            Some(ts),
            Some(sig),
            &body,
            Utc::now().timestamp(),
        )
        .expect("antar verifies the company's callback");
        assert_eq!(ours.reference, "job-6:stop-1");
        assert_eq!(ours.booking_id, booking.booking_id);
        pushed.push(verified.status);
    }
    assert_eq!(
        pushed,
        [
            SimStatus::DriverAssigned,
            SimStatus::PickedUp,
            SimStatus::Delivered
        ]
    );
}

#[test]
fn the_command_in_booking_mode_serves_the_booking_api_until_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let help = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args(["partner-sim", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--mode booking") && help.contains("--no-driver-rate"),
        "{help}"
    );
    // Booking mode needs its key and secret, and names what is missing.
    let missing = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args([
            "partner-sim",
            "--mode",
            "booking",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--api-key"));

    let mut child = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args([
            "partner-sim",
            "--mode",
            "booking",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            KEY,
            "--callback-secret",
            CALLBACK_SECRET,
            "--no-driver-rate",
            "0",
            "--step-delay",
            "0",
        ])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a ready line").unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("the API URL")
        .trim_end_matches('.')
        .to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        antar::crypto::install_tls_provider();
        let client = BookingClient::new(&url, KEY, Duration::from_secs(5)).unwrap();
        let id = book(&client, "job-cli:stop-1").await;
        assert_eq!(client.status(&id).await.unwrap().status, "driver_assigned");
    });
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let rest = lines.map_while(Result::ok).collect::<Vec<_>>().join("\n");
    assert!(rest.contains("\"bookings\": 1"), "{rest}");
}
