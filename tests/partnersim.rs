//! The partner simulator over real HTTP on loopback, against a fake antar that checks every
//! callback's signature with its own HMAC (not the crate's verification) and records the events.
//!
//! No sleeps and no timing assertions: the simulator runs its own waits 10 000 times faster
//! (`time_scale`), and the tests wait for it with `SimHandle::wait_idle`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use antar::domain::{LatLon, OrderKind, TimeWindow};
use antar::partnersim::{PartnerSim, PinBook, SimConfig, SimHandle};
use antar::webhooks::inbound::InboundEvent;
use antar::webhooks::outbound::{
    CancelReason, Envelope, Gender, Handling, Handover, JobCancelled, JobId, JobOffered,
    JobUpdated, OfferId, OfferWithdrawn, OutboundEvent, ParcelCode, Pickup, RecipientLabel, Stop,
    StopId, WithdrawReason,
};
use antar::webhooks::signature_header;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

/// antar → partner (offers).
const OUTBOUND: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// partner → antar (callbacks).
const INBOUND: &str = "whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==";
/// Someone else's secret.
const STRANGER: &str = "whsec_dW5yZWxhdGVkLXNlY3JldC1vZi1zb21lb25lLWVsc2U=";
const TOKEN: &str = "antar_partner_token_for_tests";

// ---------------------------------------------------------------------------------------------
// A fake antar
// ---------------------------------------------------------------------------------------------

/// One callback as antar received it.
#[derive(Debug, Clone)]
struct Received {
    status: u16,
    body: Value,
}

#[derive(Clone, Default)]
struct Antar {
    received: Arc<Mutex<Vec<Received>>>,
    seen_ids: Arc<Mutex<Vec<String>>>,
    /// Parcel code → the PIN antar stored; a different PIN is refused 422.
    pins: Arc<HashMap<String, String>>,
    /// Answer this many requests `503` before taking any (an antar restarting).
    unavailable: Arc<AtomicUsize>,
    /// Refuse events of this type with `409`.
    refuse: Option<&'static str>,
    /// The `webhook-id` of every request that got past authentication, retries included.
    attempts: Arc<Mutex<Vec<String>>>,
}

impl Antar {
    fn events(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The events antar took (2xx), in arrival order.
    fn taken(&self) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|r| r.status == 200)
            .map(|r| r.body)
            .collect()
    }
}

/// Standard Webhooks verification written from the specification, independent of the crate.
fn signature_ok(headers: &HeaderMap, body: &[u8]) -> bool {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let (Some(id), Some(ts), Some(sigs)) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    ) else {
        return false;
    };
    let Ok(ts_num) = ts.parse::<i64>() else {
        return false;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if (now - ts_num).abs() > 300 {
        return false;
    }
    let key = STANDARD
        .decode(INBOUND.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    sigs.split(' ').any(|s| s == expected)
}

async fn receive(
    State(antar): State<Antar>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, axum::Json<Value>) {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if bearer != format!("Bearer {TOKEN}") || !signature_ok(&headers, &body) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"type": "unauthorized"})),
        );
    }
    let id = headers["webhook-id"].to_str().unwrap().to_owned();
    antar.attempts.lock().unwrap().push(id.clone());
    let down = antar
        .unavailable
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"type": "unavailable"})),
        );
    }
    {
        let mut seen = antar.seen_ids.lock().unwrap();
        if seen.contains(&id) {
            return (StatusCode::OK, axum::Json(json!({"duplicate": true})));
        }
        seen.push(id);
    }
    let event: Value = serde_json::from_slice(&body).expect("callbacks are JSON");
    let mut status = StatusCode::OK;
    if antar.refuse.is_some_and(|t| event["type"] == t) {
        status = StatusCode::CONFLICT;
    }
    if event["type"] == "stop.delivered"
        && let Some(pin) = event["proof"]["pin"].as_str()
        && antar.pins.values().all(|p| p != pin)
    {
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    antar.received.lock().unwrap().push(Received {
        status: status.as_u16(),
        body: event,
    });
    (status, axum::Json(json!({})))
}

async fn spawn_antar(antar: Antar) -> (String, Antar) {
    let app = axum::Router::new()
        .route("/partner/v1/events", axum::routing::post(receive))
        .with_state(antar.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), antar)
}

// ---------------------------------------------------------------------------------------------
// The simulator and offers
// ---------------------------------------------------------------------------------------------

/// A simulator that accepts everything at once and delivers everything, unless `tune` says
/// otherwise, talking to a fresh fake antar.
async fn spawn(
    pins: &[(&str, &str)],
    tune: impl FnOnce(&mut SimConfig),
) -> (SimHandle, Antar, reqwest::Client) {
    spawn_with(Antar::default(), pins, tune).await
}

/// [`spawn`] with a fake antar that behaves as `antar` says.
async fn spawn_with(
    antar: Antar,
    pins: &[(&str, &str)],
    tune: impl FnOnce(&mut SimConfig),
) -> (SimHandle, Antar, reqwest::Client) {
    let book: HashMap<String, String> = pins
        .iter()
        .map(|(c, p)| (c.to_string(), p.to_string()))
        .collect();
    let (antar_url, antar) = spawn_antar(Antar {
        pins: Arc::new(book.clone()),
        ..antar
    })
    .await;
    let mut config = SimConfig::new(
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        antar_url,
        TOKEN,
        vec![OUTBOUND.to_owned()],
        INBOUND,
    );
    config.accept_rate = 1.0;
    config.async_rate = 0.0;
    config.slow_rate = 0.0;
    config.error_rate = 0.0;
    config.fail_rate = 0.0;
    config.unwell_rate = 0.0;
    config.time_scale = 10_000.0;
    config.seed = 42;
    let book_for_sim = PinBook::default();
    for (c, p) in &book {
        book_for_sim.insert(c.clone(), p.clone());
    }
    config.pins = book_for_sim;
    tune(&mut config);
    let sim = PartnerSim::start(config).await.expect("simulator starts");
    antar::crypto::install_tls_provider();
    (sim, antar, reqwest::Client::new())
}

fn loc(lat: f64, lon: f64) -> LatLon {
    LatLon::new(lat, lon).unwrap()
}

fn offer(stops: usize, handover: Handover) -> JobOffered {
    let now = Utc::now();
    let window = TimeWindow::new(now - Duration::minutes(10), now + Duration::hours(2)).unwrap();
    JobOffered {
        job_id: JobId(Uuid::now_v7()),
        offer_id: OfferId(Uuid::now_v7()),
        offer_expires_at: now + Duration::minutes(2),
        kind: OrderKind::Medicine,
        handling: Handling {
            cold_chain_max_minutes: None,
            handover,
        },
        pickup: Pickup {
            site_name: "Depo Farmasi RSUD Blambangan".into(),
            location: loc(-8.2192, 114.3691),
            window,
            desk_phone: None,
        },
        stops: (0..stops)
            .map(|i| Stop {
                stop_id: StopId(Uuid::now_v7()),
                location: loc(-8.2150 + 0.004 * i as f64, 114.3650 + 0.003 * i as f64),
                address: format!("Jl. Kepiting No. {}, Kel. Karangrejo", i + 1),
                landmark: Some("rumah cat hijau depan masjid".into()),
                recipient_label: RecipientLabel::from_name("Siti Aminah", Gender::Female),
                contact_phone: None,
                window,
                parcel_code: ParcelCode::parse(&format!("RB-{}X{i}", 7 + i)).unwrap(),
                parcel_count: 1,
                handover,
            })
            .collect(),
        fare_cap_idr: Some(45_000),
    }
}

fn envelope(event: OutboundEvent) -> Vec<u8> {
    Envelope {
        timestamp: Utc::now(),
        event,
    }
    .to_body()
}

fn unix_now() -> i64 {
    Utc::now().timestamp()
}

/// POST a body to the simulator signed with `secret` (none: no signature headers at all).
async fn post(
    client: &reqwest::Client,
    sim: &SimHandle,
    secret: Option<&str>,
    id: &str,
    body: &[u8],
) -> (u16, Value) {
    let mut request = client
        .post(sim.url())
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(secret) = secret {
        let ts = unix_now();
        request = request
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                signature_header(&[secret], id, ts, body).unwrap(),
            );
    }
    let response = request.send().await.expect("simulator answers");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

fn msg_id() -> String {
    format!("msg_{}", Uuid::now_v7().simple())
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// Every event is about `job`, and `seq` runs 1, 2, 3… in arrival order.
fn assert_seq_in_order(events: &[Value], job: JobId) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["job_id"], job.to_string(), "{e}");
        assert_eq!(e["seq"], i as u64 + 1, "event {i}: {e}");
        assert!(e["occurred_at"].is_string(), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unsigned_or_badly_signed_offer_gets_401_and_nothing_happens() {
    let (sim, antar, client) = spawn(&[], |_| {}).await;
    let body = envelope(OutboundEvent::JobOffered(offer(2, Handover::InPerson)));

    let (status, _) = post(&client, &sim, None, &msg_id(), &body).await;
    assert_eq!(status, 401);
    let (status, _) = post(&client, &sim, Some(STRANGER), &msg_id(), &body).await;
    assert_eq!(status, 401);
    // A valid signature over another body does not count either.
    let id = msg_id();
    let ts = unix_now();
    let signature = signature_header(&[OUTBOUND], &id, ts, b"{}").unwrap();
    let status = client
        .post(sim.url())
        .header("webhook-id", &id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);

    sim.wait_idle().await;
    let stats = sim.stats();
    assert_eq!(stats.bad_signatures, 3);
    assert_eq!(stats.offers_received, 0);
    assert!(antar.events().is_empty());
}

#[tokio::test]
async fn an_accepted_offer_is_ridden_to_the_end_with_events_in_seq_order() {
    let (sim, antar, client) = spawn(&[], |_| {}).await;
    let job = offer(3, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));

    let (status, answer) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &body).await;
    assert_eq!((status, answer), (200, json!({"decision": "accept"})));
    sim.wait_idle().await;

    let events = antar.taken();
    assert_seq_in_order(&events, job.job_id);
    let kinds: Vec<&str> = types(&events)
        .into_iter()
        .filter(|t| *t != "courier.location")
        .collect();
    let mut want = vec!["courier.assigned", "job.picked_up"];
    for _ in &job.stops {
        want.extend(["stop.arrived", "stop.delivered"]);
    }
    assert_eq!(kinds, want);

    let courier = &events[0];
    assert!(
        courier["plate"].as_str().unwrap().starts_with("P "),
        "{courier}"
    );
    assert!(
        courier["phone"].as_str().unwrap().starts_with("+62"),
        "{courier}"
    );
    // Positions are posted on the way, before pickup and between stops.
    assert!(
        types(&events)
            .iter()
            .filter(|t| **t == "courier.location")
            .count()
            >= 4
    );
    // Stops are visited in order, each closed with proof.
    let stops: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "stop.delivered")
        .collect();
    for (stop, event) in job.stops.iter().zip(&stops) {
        assert_eq!(event["stop_id"], stop.stop_id.to_string());
        let proof = &event["proof"];
        assert!(
            proof["recipient_name"] == "Ibu S."
                || proof["photo_url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://")),
            "{proof}"
        );
    }

    let stats = sim.stats();
    assert_eq!(stats.offers_received, 1);
    assert_eq!(stats.offers_accepted, 1);
    assert_eq!(stats.stops_delivered, 3);
    assert_eq!(stats.jobs_completed, 1);
    assert_eq!(stats.events_posted, events.len() as u64);
    assert!(stats.events_refused.is_empty());
}

#[tokio::test]
async fn failed_stops_carry_a_contract_reason_and_a_courier_note() {
    let (sim, antar, client) = spawn(&[], |c| c.fail_rate = 1.0).await;
    let job = offer(4, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    let (status, _) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &body).await;
    assert_eq!(status, 200);
    sim.wait_idle().await;

    let events = antar.taken();
    assert_seq_in_order(&events, job.job_id);
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "stop.failed")
        .collect();
    assert_eq!(failed.len(), 4);
    for e in failed {
        let reason = e["reason"].as_str().unwrap();
        assert!(
            [
                "not_home",
                "address_not_found",
                "refused",
                "recipient_unwell"
            ]
            .contains(&reason),
            "{e}"
        );
        assert!(!e["note"].as_str().unwrap().is_empty(), "{e}");
    }
    let stats = sim.stats();
    assert_eq!((stats.stops_failed, stats.stops_delivered), (4, 0));
    assert_eq!(stats.jobs_completed, 1);
}

#[tokio::test]
async fn a_courier_who_finds_the_recipient_unwell_says_so_whether_or_not_it_was_handed_over() {
    // Every recipient unwell: the first ride hands everything over, the second nothing.
    for fail_rate in [0.0, 1.0] {
        let (sim, antar, client) = spawn(&[], |c| {
            c.unwell_rate = 1.0;
            c.fail_rate = fail_rate;
        })
        .await;
        let job = offer(3, Handover::InPerson);
        let body = envelope(OutboundEvent::JobOffered(job.clone()));
        let (status, _) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &body).await;
        assert_eq!(status, 200);
        sim.wait_idle().await;

        let events = antar.taken();
        assert_seq_in_order(&events, job.job_id);
        // Every callback is one antar's contract reads.
        for e in &events {
            InboundEvent::parse(e.to_string().as_bytes())
                .unwrap_or_else(|err| panic!("{e}: {err}"));
        }
        let closing: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "stop.delivered" || e["type"] == "stop.failed")
            .collect();
        assert_eq!(closing.len(), 3);
        for e in closing {
            if fail_rate == 0.0 {
                assert_eq!(
                    (&e["type"], &e["concern"]),
                    (&json!("stop.delivered"), &json!("unwell")),
                    "{e}"
                );
            } else {
                assert_eq!(
                    (&e["type"], &e["reason"]),
                    (&json!("stop.failed"), &json!("recipient_unwell")),
                    "{e}"
                );
            }
            assert!(!e["note"].as_str().unwrap().is_empty(), "{e}");
        }
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_partner_that_rejects_answers_200_reject_with_a_reason_and_never_rides() {
    let (sim, antar, client) = spawn(&[], |c| c.accept_rate = 0.0).await;
    let body = envelope(OutboundEvent::JobOffered(offer(2, Handover::InPerson)));
    let (status, answer) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["decision"], "reject");
    assert!(!answer["reason"].as_str().unwrap().is_empty());
    sim.wait_idle().await;
    assert!(antar.events().is_empty());
    assert_eq!(sim.stats().offers_rejected, 1);
}

#[tokio::test]
async fn antars_own_delivery_code_gets_a_decision_after_a_transient_500() {
    use antar::webhooks::{Decision, OfferReply, Outgoing, RetryPolicy, Sender, deliver};
    use rand::SeedableRng;

    let (sim, _antar, _client) = spawn(&[], |c| c.error_rate = 1.0).await;
    let sender = Sender::new(std::time::Duration::from_secs(5)).unwrap();
    let job = offer(1, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    let url = sim.url();
    let id = msg_id();
    let mut outgoing = Outgoing {
        url: &url,
        id: &id,
        body: &body,
        deadline: Some(job.offer_expires_at),
        failed_attempts: 0,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let policy = RetryPolicy::default();

    let (attempt, decision) = deliver(
        &sender,
        &[STRANGER],
        &outgoing,
        &policy,
        Utc::now(),
        &mut rng,
    )
    .await
    .unwrap();
    assert_eq!(attempt.unwrap().status, Some(401));
    assert!(matches!(decision, Decision::GiveUp { .. }), "{decision:?}");

    let (attempt, decision) = deliver(
        &sender,
        &[OUTBOUND],
        &outgoing,
        &policy,
        Utc::now(),
        &mut rng,
    )
    .await
    .unwrap();
    assert_eq!(attempt.unwrap().status, Some(500));
    assert!(matches!(decision, Decision::RetryAt(_)), "{decision:?}");

    outgoing.failed_attempts = 1;
    let (attempt, decision) = deliver(
        &sender,
        &[OUTBOUND],
        &outgoing,
        &policy,
        Utc::now(),
        &mut rng,
    )
    .await
    .unwrap();
    let attempt = attempt.unwrap();
    assert_eq!(decision, Decision::Delivered);
    assert_eq!(
        OfferReply::from_response(attempt.status, &attempt.body),
        Some(OfferReply::Accept)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_offer_already_expired_is_rejected() {
    let (sim, antar, client) = spawn(&[], |_| {}).await;
    let mut job = offer(1, Handover::InPerson);
    job.offer_expires_at = Utc::now() - Duration::seconds(1);
    let body = envelope(OutboundEvent::JobOffered(job));
    let (status, answer) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["decision"], "reject");
    assert!(
        answer["reason"].as_str().unwrap().contains("kedaluwarsa"),
        "{answer}"
    );
    sim.wait_idle().await;
    assert!(antar.events().is_empty());
}

#[tokio::test]
async fn a_repeated_webhook_id_gets_the_same_answer_and_only_one_ride() {
    let (sim, antar, client) = spawn(&[], |_| {}).await;
    let job = offer(1, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    let id = msg_id();
    let first = post(&client, &sim, Some(OUTBOUND), &id, &body).await;
    let second = post(&client, &sim, Some(OUTBOUND), &id, &body).await;
    assert_eq!(first, (200, json!({"decision": "accept"})));
    assert_eq!(second, first);
    sim.wait_idle().await;
    // The same id once more, after the ride: still the same answer, still no second ride.
    assert_eq!(post(&client, &sim, Some(OUTBOUND), &id, &body).await, first);
    sim.wait_idle().await;

    let events = antar.taken();
    assert_seq_in_order(&events, job.job_id);
    assert_eq!(
        types(&events)
            .iter()
            .filter(|t| **t == "courier.assigned")
            .count(),
        1
    );
    let stats = sim.stats();
    assert_eq!(stats.duplicates, 2);
    assert_eq!((stats.offers_received, stats.offers_accepted), (1, 1));
    assert_eq!(stats.jobs_completed, 1);
}

#[tokio::test]
async fn a_500_is_transient_and_the_retry_gets_a_real_answer() {
    let (sim, antar, client) = spawn(&[], |c| c.error_rate = 1.0).await;
    let job = offer(1, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    let id = msg_id();
    let (status, _) = post(&client, &sim, Some(OUTBOUND), &id, &body).await;
    assert_eq!(status, 500);
    let retry = post(&client, &sim, Some(OUTBOUND), &id, &body).await;
    assert_eq!(retry, (200, json!({"decision": "accept"})));
    sim.wait_idle().await;

    assert_seq_in_order(&antar.taken(), job.job_id);
    let stats = sim.stats();
    assert_eq!(stats.errors_returned, 1);
    assert_eq!(stats.offers_received, 1);
    assert_eq!(stats.duplicates, 0);
    assert_eq!(stats.jobs_completed, 1);
}

#[tokio::test]
async fn an_async_decision_is_answered_202_and_sent_by_callback_before_the_ride() {
    let (sim, antar, client) = spawn(&[], |c| c.async_rate = 1.0).await;
    let job = offer(2, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    let (status, _) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &body).await;
    assert_eq!(status, 202);
    sim.wait_idle().await;

    let events = antar.taken();
    assert_seq_in_order(&events, job.job_id);
    assert_eq!(events[0]["type"], "job.accepted");
    assert_eq!(events[0]["offer_id"], job.offer_id.to_string());
    assert_eq!(events[1]["type"], "courier.assigned");
    assert_eq!(
        types(&events)
            .iter()
            .filter(|t| **t == "stop.delivered")
            .count(),
        2
    );
    let stats = sim.stats();
    assert_eq!(stats.async_decisions, 1);
    assert_eq!(stats.offers_accepted, 1);
    assert_eq!(stats.jobs_completed, 1);
}

#[tokio::test]
async fn an_async_rejection_is_sent_by_callback_with_its_offer_id() {
    let (sim, antar, client) = spawn(&[], |c| {
        c.async_rate = 1.0;
        c.accept_rate = 0.0;
    })
    .await;
    let job = offer(1, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    let (status, _) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &body).await;
    assert_eq!(status, 202);
    sim.wait_idle().await;
    let events = antar.taken();
    assert_eq!(types(&events), ["job.rejected"]);
    assert_eq!(events[0]["offer_id"], job.offer_id.to_string());
    assert_eq!(events[0]["seq"], 1);
    assert!(!events[0]["reason"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn a_withdrawn_offer_is_forgotten_before_its_decision_is_sent() {
    // Real time: the decision would take 10 to 90 s, so the withdrawal surely comes first.
    let (sim, antar, client) = spawn(&[], |c| {
        c.async_rate = 1.0;
        c.time_scale = 1.0;
    })
    .await;
    let job = offer(1, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        202
    );
    let withdraw = envelope(OutboundEvent::OfferWithdrawn(OfferWithdrawn {
        job_id: job.job_id,
        offer_id: job.offer_id,
        reason: WithdrawReason::Expired,
    }));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &withdraw)
            .await
            .0,
        200
    );
    sim.wait_idle().await;
    assert!(antar.events().is_empty());
    assert_eq!(sim.stats().offers_withdrawn, 1);
}

#[tokio::test]
async fn job_cancelled_stops_the_ride() {
    // Real time: finding a courier alone takes 20 s or more, so the cancellation comes first.
    let (sim, antar, client) = spawn(&[], |c| c.time_scale = 1.0).await;
    let job = offer(2, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    let cancel = envelope(OutboundEvent::JobCancelled(JobCancelled {
        job_id: job.job_id,
        reason: CancelReason::OrdersCancelled,
    }));
    let cancel_id = msg_id();
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &cancel_id, &cancel)
            .await
            .0,
        200
    );
    // The outbox retrying the cancellation changes nothing.
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &cancel_id, &cancel)
            .await
            .0,
        200
    );
    sim.wait_idle().await;

    let events = antar.taken();
    assert!(
        !types(&events)
            .iter()
            .any(|t| *t == "job.picked_up" || t.starts_with("stop.")),
        "{events:?}"
    );
    let stats = sim.stats();
    assert_eq!(stats.jobs_cancelled, 1);
    assert_eq!(stats.jobs_completed, 0);
}

#[tokio::test]
async fn a_pin_stop_reports_the_pin_from_the_pin_book_and_an_unknown_pin_fails() {
    let (sim, antar, client) = spawn(&[("RB-7X0", "482913")], |_| {}).await;
    let job = offer(2, Handover::Pin);
    assert_eq!(job.stops[0].parcel_code.as_str(), "RB-7X0");
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    sim.wait_idle().await;

    let events = antar.taken();
    assert_seq_in_order(&events, job.job_id);
    let delivered: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "stop.delivered")
        .collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["stop_id"], job.stops[0].stop_id.to_string());
    assert_eq!(
        delivered[0]["proof"],
        json!({"pin": "482913", "photo_url": null, "recipient_name": null})
    );
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "stop.failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["stop_id"], job.stops[1].stop_id.to_string());
    assert_eq!(failed[0]["reason"], "other");
    assert_eq!(failed[0]["note"], "PIN tidak diketahui");
}

#[tokio::test]
async fn a_misheard_pin_is_refused_by_antar_then_the_right_pin_is_sent() {
    let (sim, antar, client) = spawn(&[("RB-7X0", "482913")], |c| c.wrong_pin_rate = 1.0).await;
    let job = offer(1, Handover::Pin);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    sim.wait_idle().await;

    let all = antar.events();
    let deliveries: Vec<&Received> = all
        .iter()
        .filter(|r| r.body["type"] == "stop.delivered")
        .collect();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].status, 422);
    assert_ne!(deliveries[0].body["proof"]["pin"], "482913");
    assert_eq!(deliveries[1].status, 200);
    assert_eq!(deliveries[1].body["proof"]["pin"], "482913");
    assert!(deliveries[1].body["seq"].as_u64() > deliveries[0].body["seq"].as_u64());
    let stats = sim.stats();
    assert_eq!(stats.events_refused.get(&422), Some(&1));
    assert_eq!(stats.stops_delivered, 1);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_courier_and_outcomes_for_the_same_job() {
    let job = offer(3, Handover::InPerson);
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (sim, antar, client) = spawn(&[], |c| c.fail_rate = 0.5).await;
        let body = envelope(OutboundEvent::JobOffered(job.clone()));
        assert_eq!(
            post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
                .await
                .0,
            200
        );
        sim.wait_idle().await;
        let summary: Vec<Value> = antar
            .taken()
            .into_iter()
            .filter(|e| e["type"] != "courier.location")
            .map(|mut e| {
                let obj = e.as_object_mut().unwrap();
                obj.remove("occurred_at");
                e
            })
            .collect();
        runs.push(summary);
        sim.shutdown().await;
    }
    assert_eq!(runs[0], runs[1]);
}

#[tokio::test]
async fn callbacks_are_retried_with_the_same_webhook_id_while_antar_is_unavailable() {
    let antar = Antar {
        unavailable: Arc::new(AtomicUsize::new(2)),
        ..Antar::default()
    };
    let (sim, antar, client) = spawn_with(antar, &[], |_| {}).await;
    let job = offer(1, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    sim.wait_idle().await;

    let attempts = antar.attempts.lock().unwrap().clone();
    // The first event was tried three times under one id; every other event once.
    assert_eq!(attempts[0], attempts[1]);
    assert_eq!(attempts[1], attempts[2]);
    assert_ne!(attempts[2], attempts[3]);
    let events = antar.taken();
    assert_eq!(attempts.len(), events.len() + 2);
    assert_seq_in_order(&events, job.job_id);
    assert_eq!(events[0]["type"], "courier.assigned");
    let stats = sim.stats();
    assert_eq!((stats.events_lost, stats.jobs_completed), (0, 1));
}

#[tokio::test]
async fn callbacks_outlast_a_long_outage_and_keep_their_order() {
    // Twenty refusals in a row: more than any fixed number of attempts a partner might give up
    // after. The simulator keeps trying (fast here) with the same webhook-id.
    let antar = Antar {
        unavailable: Arc::new(AtomicUsize::new(20)),
        ..Antar::default()
    };
    let (sim, antar, client) = spawn_with(antar, &[], |c| {
        c.retry_first = std::time::Duration::from_millis(1);
        c.retry_max = std::time::Duration::from_millis(4);
    })
    .await;
    let job = offer(2, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    sim.wait_idle().await;

    let attempts = antar.attempts.lock().unwrap().clone();
    assert!(attempts[..21].iter().all(|id| *id == attempts[0]));
    assert_ne!(attempts[21], attempts[0]);
    let events = antar.taken();
    assert_eq!(attempts.len(), events.len() + 20);
    assert_seq_in_order(&events, job.job_id);
    assert_eq!(events[0]["type"], "courier.assigned");
    let stats = sim.stats();
    assert_eq!(
        (
            stats.events_lost,
            stats.jobs_completed,
            stats.stops_delivered
        ),
        (0, 1, 2)
    );
}

#[tokio::test]
async fn a_courier_that_antar_refuses_does_not_ride() {
    let antar = Antar {
        refuse: Some("courier.assigned"),
        ..Antar::default()
    };
    let (sim, antar, client) = spawn_with(antar, &[], |_| {}).await;
    let job = offer(2, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    sim.wait_idle().await;

    let events = antar.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].status, events[0].body["type"].as_str()),
        (409, Some("courier.assigned"))
    );
    let stats = sim.stats();
    assert_eq!(stats.events_refused.get(&409), Some(&1));
    assert_eq!(stats.jobs_completed, 0);
}

#[tokio::test]
async fn job_updated_is_a_new_offer_only_for_a_known_job_not_yet_picked_up() {
    // Real time: the courier is still being found when the update arrives.
    let (sim, _antar, client) = spawn(&[], |c| c.time_scale = 1.0).await;
    let job = offer(2, Handover::InPerson);
    let update = |stops: Vec<Stop>| {
        envelope(OutboundEvent::JobUpdated(JobUpdated {
            job_id: job.job_id,
            offer_id: OfferId(Uuid::now_v7()),
            offer_expires_at: Utc::now() + Duration::minutes(2),
            added_stop_ids: vec![],
            removed_stop_ids: vec![job.stops[1].stop_id],
            stops,
            fare_cap_idr: Some(30_000),
        }))
    };
    let (status, answer) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &update(vec![])).await;
    assert_eq!(status, 200);
    assert_eq!(answer["decision"], "reject", "an unknown job: {answer}");

    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    let (status, answer) = post(
        &client,
        &sim,
        Some(OUTBOUND),
        &msg_id(),
        &update(job.stops[..1].to_vec()),
    )
    .await;
    assert_eq!((status, answer), (200, json!({"decision": "accept"})));
    let stats = sim.stats();
    assert_eq!((stats.offers_received, stats.offers_accepted), (3, 2));
    sim.shutdown().await;
}

#[tokio::test]
async fn job_updated_after_pickup_is_rejected() {
    let (sim, _antar, client) = spawn(&[], |_| {}).await;
    let job = offer(1, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    sim.wait_idle().await;
    let update = envelope(OutboundEvent::JobUpdated(JobUpdated {
        job_id: job.job_id,
        offer_id: OfferId(Uuid::now_v7()),
        offer_expires_at: Utc::now() + Duration::minutes(2),
        added_stop_ids: vec![],
        removed_stop_ids: vec![],
        stops: job.stops.clone(),
        fare_cap_idr: None,
    }));
    let (status, answer) = post(&client, &sim, Some(OUTBOUND), &msg_id(), &update).await;
    assert_eq!(status, 200);
    assert_eq!(answer["decision"], "reject");
    assert!(
        answer["reason"].as_str().unwrap().contains("diambil"),
        "{answer}"
    );
}

#[tokio::test]
async fn on_the_road_graph_every_reported_position_is_on_a_road() {
    let town =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/roads/banyuwangi-town.osm");
    let graph = tokio::task::spawn_blocking(move || {
        antar::roads::import(&town, &antar::roads::ImportOptions::default())
            .unwrap()
            .0
    })
    .await
    .unwrap();
    let graph = Arc::new(graph);
    let for_sim = graph.clone();
    let (sim, antar, client) = spawn(&[], move |c| c.graph = Some(for_sim)).await;
    let job = offer(3, Handover::InPerson);
    let body = envelope(OutboundEvent::JobOffered(job.clone()));
    assert_eq!(
        post(&client, &sim, Some(OUTBOUND), &msg_id(), &body)
            .await
            .0,
        200
    );
    sim.wait_idle().await;

    let events = antar.taken();
    assert_seq_in_order(&events, job.job_id);
    let positions: Vec<LatLon> = events
        .iter()
        .filter(|e| e["type"] == "courier.location")
        .map(|e| serde_json::from_value(e["location"].clone()).unwrap())
        .collect();
    assert_eq!(positions.len(), 3 * (1 + job.stops.len()));
    for p in positions {
        let off = graph.snap(p).unwrap().distance_m;
        assert!(off < 1.0, "{p:?} is {off} m from the nearest road");
    }
    assert_eq!(sim.stats().jobs_completed, 1);
}

#[test]
fn the_command_serves_until_sigterm_and_prints_its_stats() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let help = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args(["partner-sim", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Example:") && help.contains("--outbound-secret"),
        "{help}"
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args([
            "partner-sim",
            "--listen",
            "127.0.0.1:0",
            "--antar-url",
            "http://127.0.0.1:9",
            "--token",
            TOKEN,
            "--outbound-secret",
            OUTBOUND,
            "--inbound-secret",
            INBOUND,
            "--graph",
            "none",
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
        .find(|w| w.starts_with("http://127.0.0.1:") && !w.ends_with(":9"))
        .expect("the webhook URL")
        .to_owned();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        antar::crypto::install_tls_provider();
        reqwest::Client::new()
            .post(&url)
            .body("{}")
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 401);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("tanda tangan salah: 1")),
        "{rest:?}"
    );
}
