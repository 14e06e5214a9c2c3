//! The booking-API mode of the simulator: a courier company with a quote → book → status →
//! cancel API (the shape of GoSend, Grab Express, Lalamove, Borzo), speaking the contract antar's
//! [`crate::webhooks::booking::BookingClient`] calls, so that the booking adapter is tested end
//! to end against something that behaves like such a company. Its wire types are its own (an
//! outside party does not share antar's structs), so a drift in either side shows in the tests.
//!
//! The API (base URL `http://{addr}`; `Authorization: Bearer {api_key}` on every call, else `401`):
//! - `POST /quotes` `{reference, pickup, drop, parcel_count, parcel_code}` (places:
//!   `{location: {lat, lon}, address, landmark?, contact_name, contact_phone?}`) → `200`
//!   `{quote_id, fare_idr, base_fare_idr, surge_multiplier, distance_m, expires_at}`.
//! - `POST /bookings` `{reference, quote_id, callback_url?}` → `200` a booking
//!   `{booking_id, reference, status, driver?, fare_quoted_idr, fare_idr?, updated_at}`.
//! - `GET /bookings/{id}` → the booking. `POST /bookings/{id}/cancel` `{reference}` → the
//!   booking, `cancelled`; `409 already_picked_up` once the driver has the parcel.
//! - Errors: `{"error": {"code", "message"}}` with a 4xx status.
//! - Status callbacks (its own scheme, documented here because it is theirs, not ours): when a
//!   booking has a `callback_url`, each status change is `POST`ed there as the booking JSON with
//!   `X-Callback-Timestamp` (Unix seconds) and `X-Callback-Signature:
//!   sha256=<hex HMAC-SHA256(callback_secret, "{timestamp}.{body}")>` ([`sign_callback`],
//!   [`verify_callback`]); three attempts.
//!
//! Behaviour:
//! - Quotes: base fare + per km (straight line × 1.3 for the roads), times a surge multiplier
//!   drawn uniformly from [`BookingSimConfig::surge_min`]..=[`BookingSimConfig::surge_max`],
//!   rounded to Rp 100; valid for [`BookingSimConfig::quote_ttl`] (simulated).
//! - Bookings: `searching` → `driver_assigned` → `picked_up` → `delivered`, or `searching` →
//!   `no_driver` for a share [`BookingSimConfig::no_driver_rate`] of them. Whether a booking
//!   finds a driver, and which driver, is drawn from the seed and our reference, so the same
//!   reference gets the same outcome in every run. Booking the same reference again returns
//!   the live booking (safe to retry after a timeout).
//! - Progress: with [`Advance::Clock`] each step takes [`BookingSimConfig::step_delay`]
//!   (simulated, on the shared clock and the time scale); with [`Advance::PerPoll`] every status
//!   request moves the booking one step first (tests drive a booking without waiting).
//! - Fares: delivered → charged the quote (`fare_idr`); cancelled after a driver was assigned
//!   → charged [`BookingSimConfig::cancel_fee_idr`]; cancelled earlier or no driver → 0.
//! - `GET /stats` shows counters as JSON.
//!
//! Owns: [`BookingSim`], [`BookingSimConfig`], [`BookingSimHandle`], [`BookingSimStats`],
//! [`Advance`], [`SimBooking`], [`sign_callback`], [`verify_callback`]. Depends on `clock` and
//! `domain`. Must not depend on `dispatch`, `store`, `api` or antar's booking client: the
//! simulator is an outside party and only speaks HTTP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::SimError;
use crate::clock;
use crate::domain::LatLon;

/// Where a booking stands at the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimStatus {
    /// Booked; looking for a driver.
    Searching,
    /// A driver is on the way to the pickup.
    DriverAssigned,
    /// The driver has the parcel.
    PickedUp,
    /// Handed over.
    Delivered,
    /// Nobody took it.
    NoDriver,
    /// Called off.
    Cancelled,
}

impl SimStatus {
    /// Nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::NoDriver | Self::Cancelled)
    }
}

/// The driver on a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimDriver {
    /// Name.
    pub name: String,
    /// Plate.
    pub plate: String,
    /// Phone.
    pub phone: String,
}

/// A booking as the company reports it (answers and callbacks alike).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimBooking {
    /// The company's id.
    pub booking_id: String,
    /// The customer's reference.
    pub reference: String,
    /// Where it stands.
    pub status: SimStatus,
    /// Once assigned.
    pub driver: Option<SimDriver>,
    /// The quoted fare, rupiah.
    pub fare_quoted_idr: u32,
    /// The fare charged, once final.
    pub fare_idr: Option<u32>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A booking request as received (kept so tests can see what the company was told).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimQuoteRequest {
    /// The customer's reference.
    pub reference: String,
    /// Where the driver collects.
    pub pickup: SimPlace,
    /// The one drop.
    pub drop: SimPlace,
    /// Parcels.
    pub parcel_count: u32,
    /// The code on the parcel.
    pub parcel_code: String,
}

/// A place as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimPlace {
    /// `{lat, lon}`, checked on arrival.
    pub location: RawPoint,
    /// Address text.
    pub address: String,
    /// Landmark.
    #[serde(default)]
    pub landmark: Option<String>,
    /// Whom to ask for.
    pub contact_name: String,
    /// Phone.
    #[serde(default)]
    pub contact_phone: Option<String>,
}

/// An unchecked coordinate pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RawPoint {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

#[derive(Debug, Clone, Serialize)]
struct QuoteAnswer {
    quote_id: String,
    fare_idr: u32,
    base_fare_idr: u32,
    surge_multiplier: f64,
    distance_m: u32,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct BookBody {
    reference: String,
    quote_id: String,
    #[serde(default)]
    callback_url: Option<String>,
}

type HmacSha256 = Hmac<Sha256>;

fn callback_mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac
}

/// The `X-Callback-Signature` value for a body sent at `timestamp`.
pub fn sign_callback(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(
            callback_mac(secret, timestamp, body)
                .finalize()
                .into_bytes()
        )
    )
}

/// Check a status callback (timestamp within five minutes of `now`, signature) and parse it;
/// `None` when it does not check out.
pub fn verify_callback(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Option<SimBooking> {
    let ts: i64 = timestamp.trim().parse().ok()?;
    if (now.timestamp() - ts).abs() > 300 {
        return None;
    }
    let given = hex::decode(signature.trim().strip_prefix("sha256=")?).ok()?;
    callback_mac(secret, ts, body).verify_slice(&given).ok()?;
    serde_json::from_slice(body).ok()
}

/// How bookings move forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    /// One step every [`BookingSimConfig::step_delay`] of simulated time.
    Clock,
    /// One step at every status request (deterministic tests, no waiting).
    PerPoll,
}

/// Settings of the booking-API simulator. Build with [`BookingSimConfig::new`].
#[derive(Clone)]
pub struct BookingSimConfig {
    /// Where the API listens (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The API key clients must send as `Authorization: Bearer …`.
    pub api_key: SecretString,
    /// The secret that signs status callbacks.
    pub callback_secret: SecretString,
    /// Share of bookings that end `no_driver`.
    pub no_driver_rate: f64,
    /// Lowest surge multiplier (1.0: no surge).
    pub surge_min: f64,
    /// Highest surge multiplier.
    pub surge_max: f64,
    /// Fare before distance, rupiah.
    pub base_idr: i64,
    /// Fare per road kilometre, rupiah.
    pub per_km_idr: i64,
    /// Charged when we cancel after a driver was assigned, rupiah.
    pub cancel_fee_idr: i64,
    /// How bookings move forward.
    pub advance: Advance,
    /// Simulated time per step with [`Advance::Clock`].
    pub step_delay: Duration,
    /// How long a quotation stays valid (simulated).
    pub quote_ttl: Duration,
    /// Seed of every random choice.
    pub seed: u64,
    /// Simulated seconds per real second for the steps, on top of the process clock's factor.
    pub time_scale: f64,
}

impl std::fmt::Debug for BookingSimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookingSimConfig")
            .field("listen", &self.listen)
            .field("api_key", &"[redacted]")
            .field("callback_secret", &"[redacted]")
            .field("no_driver_rate", &self.no_driver_rate)
            .field("surge_min", &self.surge_min)
            .field("surge_max", &self.surge_max)
            .field("base_idr", &self.base_idr)
            .field("per_km_idr", &self.per_km_idr)
            .field("cancel_fee_idr", &self.cancel_fee_idr)
            .field("advance", &self.advance)
            .field("step_delay", &self.step_delay)
            .field("seed", &self.seed)
            .field("time_scale", &self.time_scale)
            .finish_non_exhaustive()
    }
}

impl BookingSimConfig {
    /// A typical service: 10 % of bookings find no driver, surge 1.0–1.5, Rp 9 000 + Rp 2 500
    /// per km, Rp 5 000 to cancel after assignment, a step every two minutes, quotes valid five
    /// minutes, seed 1, real time.
    pub fn new(
        listen: SocketAddr,
        api_key: impl Into<String>,
        callback_secret: impl Into<String>,
    ) -> Self {
        Self {
            listen,
            api_key: SecretString::from(api_key.into()),
            callback_secret: SecretString::from(callback_secret.into()),
            no_driver_rate: 0.1,
            surge_min: 1.0,
            surge_max: 1.5,
            base_idr: 9_000,
            per_km_idr: 2_500,
            cancel_fee_idr: 5_000,
            advance: Advance::Clock,
            step_delay: Duration::from_secs(120),
            quote_ttl: Duration::from_secs(300),
            seed: 1,
            time_scale: 1.0,
        }
    }

    /// Refuse a rate outside 0..=1, a surge range that is not 1 ≤ min ≤ max, negative fares,
    /// a non-positive time scale or an empty key.
    pub fn validate(&self) -> Result<(), SimError> {
        if !(0.0..=1.0).contains(&self.no_driver_rate) {
            return Err(SimError::Rate {
                name: "no_driver_rate",
                value: self.no_driver_rate,
            });
        }
        if !(self.surge_min.is_finite()
            && self.surge_max.is_finite()
            && 1.0 <= self.surge_min
            && self.surge_min <= self.surge_max
            && self.surge_max <= 10.0)
        {
            return Err(SimError::Surge {
                min: self.surge_min,
                max: self.surge_max,
            });
        }
        if self.base_idr < 0 || self.per_km_idr < 0 || self.cancel_fee_idr < 0 {
            return Err(SimError::Fare);
        }
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(SimError::TimeScale(self.time_scale));
        }
        if self.api_key.expose_secret().trim().is_empty() {
            return Err(SimError::Secret {
                which: "api key",
                reason: "empty".into(),
            });
        }
        if self.callback_secret.expose_secret().is_empty() {
            return Err(SimError::Secret {
                which: "callback",
                reason: "empty".into(),
            });
        }
        Ok(())
    }
}

/// What the booking simulator has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BookingSimStats {
    /// Quotations given.
    pub quotes: u64,
    /// Bookings placed (a repeated `merchant_order_id` is not counted again).
    pub bookings: u64,
    /// Bookings delivered.
    pub delivered: u64,
    /// Bookings that found no driver.
    pub no_driver: u64,
    /// Bookings cancelled.
    pub cancelled: u64,
    /// Requests refused for a missing or wrong API key.
    pub unauthorized: u64,
    /// Callbacks the receiver answered 2xx.
    pub callbacks_posted: u64,
    /// Callbacks given up after three attempts.
    pub callbacks_failed: u64,
    /// Fares charged: delivered bookings at their quote, cancellation fees; rupiah.
    pub fares_charged_idr: u64,
}

/// The booking-API simulator. [`BookingSim::start`] runs it.
pub struct BookingSim;

impl BookingSim {
    /// Validate the settings, bind and serve on the current tokio runtime.
    pub async fn start(config: BookingSimConfig) -> Result<BookingSimHandle, SimError> {
        config.validate()?;
        crate::crypto::install_tls_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("antar-booking-sim/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SimError::Client(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let shared = Arc::new(Svc {
            api_key: Mutex::new(config.api_key.clone()),
            config,
            client,
            state: Mutex::new(SvcState::default()),
        });
        let app = Router::new()
            .route("/quotes", post(quote))
            .route("/bookings", post(book))
            .route("/bookings/{id}", get(status))
            .route("/bookings/{id}/cancel", post(cancel))
            .route("/stats", get(stats))
            .fallback(|| async { api_error(StatusCode::NOT_FOUND, "not_found", "no such route") })
            .with_state(shared.clone());
        let serving = super::Serving::start(listener, app, "booking simulator");
        tracing::info!(%addr, "booking-API simulator listening");
        Ok(BookingSimHandle {
            addr,
            shared,
            serving,
        })
    }
}

/// A running booking-API simulator.
pub struct BookingSimHandle {
    /// The bound address.
    pub addr: SocketAddr,
    shared: Arc<Svc>,
    serving: super::Serving,
}

impl BookingSimHandle {
    /// The base URL to configure as the booking partner's API URL (`http://{addr}`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> BookingSimStats {
        self.shared.state().stats.clone()
    }

    /// Accept another API key from now on (antar mints a booking partner's key when the
    /// partner is created, after the simulator's URL is known).
    pub fn set_api_key(&self, key: impl Into<String>) {
        *self
            .shared
            .api_key
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = SecretString::from(key.into());
    }

    /// Every quote request received, in order (what the company was told about each drop).
    pub fn quote_requests(&self) -> Vec<SimQuoteRequest> {
        self.shared.state().requests.clone()
    }

    /// Stop serving and return the final counters.
    pub async fn shutdown(mut self) -> BookingSimStats {
        self.serving.stop().await;
        self.stats()
    }
}

impl Drop for BookingSimHandle {
    fn drop(&mut self) {
        self.serving.signal();
    }
}

struct Svc {
    config: BookingSimConfig,
    /// The key in force (see [`BookingSimHandle::set_api_key`]).
    api_key: Mutex<SecretString>,
    client: reqwest::Client,
    /// Never held across an `.await`.
    state: Mutex<SvcState>,
}

#[derive(Default)]
struct SvcState {
    /// quote id → (fare, expiry).
    quotes: HashMap<String, (u32, DateTime<Utc>)>,
    orders: HashMap<String, Order>,
    /// reference → booking id, for idempotent booking.
    by_reference: HashMap<String, String>,
    /// Every quote request, as received.
    requests: Vec<SimQuoteRequest>,
    stats: BookingSimStats,
    next: u64,
}

struct Order {
    booking: SimBooking,
    callback_url: Option<String>,
    /// Drawn at booking: this one never finds a driver.
    no_driver: bool,
    driver: SimDriver,
}

impl Svc {
    fn state(&self) -> std::sync::MutexGuard<'_, SvcState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn rng(&self, purpose: &str, key: &str) -> StdRng {
        let digest = Sha256::new()
            .chain_update(self.config.seed.to_le_bytes())
            .chain_update(purpose.as_bytes())
            .chain_update(key.as_bytes())
            .finalize();
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&digest);
        StdRng::from_seed(seed)
    }

    fn authorised(&self, headers: &HeaderMap) -> bool {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let want = Sha256::digest(
            self.api_key
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .expose_secret()
                .as_bytes(),
        );
        // Compare digests so the time taken does not tell how much of the key matched.
        Sha256::digest(given.as_bytes()) == want
    }

    fn refuse(&self) -> Response {
        self.state().stats.unauthorized += 1;
        api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or invalid API key",
        )
    }
}

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// A refusal in the company's error shape; small, so `Result`s carrying it stay small.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        api_error(self.status, self.code, &self.message)
    }
}

fn point(p: &SimPlace, field: &str) -> Result<LatLon, Refusal> {
    LatLon::new(p.location.lat, p.location.lon).map_err(|e| Refusal {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_location",
        message: format!("{field}: {e}"),
    })
}

/// Parse a JSON body ourselves so that a bad one gets the company's error shape.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| Refusal {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_request",
        message: e.to_string(),
    })
}

async fn quote(
    State(svc): State<Arc<Svc>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !svc.authorised(&headers) {
        return svc.refuse();
    }
    let req: SimQuoteRequest = match parse(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let (from, to) = match (point(&req.pickup, "pickup"), point(&req.drop, "drop")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let distance_m = (from.distance_m(to) * 1.3).round() as i64;
    let c = &svc.config;
    let base = c.base_idr + c.per_km_idr * distance_m / 1000;
    let mut state = svc.state();
    state.requests.push(req);
    state.next += 1;
    let id = format!("QT-{:06}", state.next);
    let surge = if c.surge_max > c.surge_min {
        svc.rng("surge", &id)
            .random_range(c.surge_min..=c.surge_max)
    } else {
        c.surge_min
    };
    let surge = (surge * 100.0).round() / 100.0;
    let fare = ((base as f64 * surge) / 100.0).round() as i64 * 100;
    let ttl = chrono::Duration::from_std(c.quote_ttl).unwrap_or(chrono::Duration::minutes(5));
    let clamp = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    let answer = QuoteAnswer {
        quote_id: id.clone(),
        fare_idr: clamp(fare),
        base_fare_idr: clamp(base),
        surge_multiplier: surge,
        distance_m: clamp(distance_m),
        expires_at: clock::now() + ttl,
    };
    state
        .quotes
        .insert(id, (answer.fare_idr, answer.expires_at));
    state.stats.quotes += 1;
    (StatusCode::OK, axum::Json(answer)).into_response()
}

async fn book(
    State(svc): State<Arc<Svc>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !svc.authorised(&headers) {
        return svc.refuse();
    }
    let req: BookBody = match parse(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    if req.reference.trim().is_empty() {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "reference is required",
        );
    }
    if let Some(url) = &req.callback_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "callback_url must be an http(s) URL",
        );
    }
    let now = clock::now();
    let booking = {
        let mut state = svc.state();
        if let Some(existing) = state
            .by_reference
            .get(&req.reference)
            .and_then(|id| state.orders.get(id))
            && !existing.booking.status.is_final()
        {
            return (StatusCode::OK, axum::Json(existing.booking.clone())).into_response();
        }
        let Some((fare, expires_at)) = state.quotes.get(&req.quote_id).copied() else {
            return api_error(StatusCode::NOT_FOUND, "quote_not_found", "no such quote");
        };
        if expires_at <= now {
            return api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "quote_expired",
                "the quote has expired; ask for a new one",
            );
        }
        state.quotes.remove(&req.quote_id);
        state.next += 1;
        let id = format!("BK-{:06}", state.next);
        let mut rng = svc.rng("booking", &req.reference);
        let no_driver = rng.random_bool(svc.config.no_driver_rate);
        let c = super::people::courier(&mut rng);
        let booking = SimBooking {
            booking_id: id.clone(),
            reference: req.reference.clone(),
            status: SimStatus::Searching,
            driver: None,
            fare_quoted_idr: fare,
            fare_idr: None,
            updated_at: now,
        };
        state.orders.insert(
            id.clone(),
            Order {
                booking: booking.clone(),
                callback_url: req.callback_url.clone(),
                no_driver,
                driver: SimDriver {
                    name: c.name,
                    phone: c.phone.to_string(),
                    plate: c.plate,
                },
            },
        );
        state.by_reference.insert(req.reference.clone(), id);
        state.stats.bookings += 1;
        booking
    };
    if svc.config.advance == Advance::Clock {
        tokio::spawn(ride(svc.clone(), booking.booking_id.clone()));
    }
    (StatusCode::OK, axum::Json(booking)).into_response()
}

/// Move a booking one step; the booking after, and the callback URL when it changed.
fn step(svc: &Svc, id: &str) -> Option<(SimBooking, Option<String>)> {
    let now = clock::now();
    let mut state = svc.state();
    let order = state.orders.get_mut(id)?;
    let b = &mut order.booking;
    let next = match b.status {
        SimStatus::Searching if order.no_driver => SimStatus::NoDriver,
        SimStatus::Searching => SimStatus::DriverAssigned,
        SimStatus::DriverAssigned => SimStatus::PickedUp,
        SimStatus::PickedUp => SimStatus::Delivered,
        _ => return Some((b.clone(), None)),
    };
    b.status = next;
    b.updated_at = now;
    match next {
        SimStatus::DriverAssigned => b.driver = Some(order.driver.clone()),
        SimStatus::NoDriver => b.fare_idr = Some(0),
        SimStatus::Delivered => b.fare_idr = Some(b.fare_quoted_idr),
        _ => {}
    }
    let out = (b.clone(), order.callback_url.clone());
    match next {
        SimStatus::Delivered => {
            state.stats.delivered += 1;
            state.stats.fares_charged_idr += u64::from(out.0.fare_quoted_idr);
        }
        SimStatus::NoDriver => state.stats.no_driver += 1,
        _ => {}
    }
    Some(out)
}

/// [`Advance::Clock`]: one step per delay until final (or cancelled meanwhile).
async fn ride(svc: Arc<Svc>, id: String) {
    let real = crate::clock::real_duration(svc.config.step_delay).div_f64(svc.config.time_scale);
    loop {
        tokio::time::sleep(real).await;
        let Some((booking, url)) = step(&svc, &id) else {
            return;
        };
        if let Some(url) = url {
            post_callback(&svc, &url, &booking).await;
        }
        if booking.status.is_final() {
            return;
        }
    }
}

async fn post_callback(svc: &Svc, url: &str, booking: &SimBooking) {
    let body = serde_json::to_vec(booking).expect("a booking serialises");
    for attempt in 0..3u32 {
        let ts = clock::now().timestamp();
        let sig = sign_callback(svc.config.callback_secret.expose_secret(), ts, &body);
        let sent = svc
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Callback-Timestamp", ts.to_string())
            .header("X-Callback-Signature", sig)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                svc.state().stats.callbacks_posted += 1;
                return;
            }
            Ok(r) => {
                tracing::info!(
                    status = r.status().as_u16(),
                    attempt,
                    "booking callback not taken"
                )
            }
            Err(e) => tracing::info!(error = %e, attempt, "booking callback failed"),
        }
        tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
    }
    svc.state().stats.callbacks_failed += 1;
}

fn push(svc: &Arc<Svc>, url: Option<String>, booking: &SimBooking) {
    if let Some(url) = url {
        let svc = svc.clone();
        let b = booking.clone();
        tokio::spawn(async move { post_callback(&svc, &url, &b).await });
    }
}

async fn status(
    State(svc): State<Arc<Svc>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !svc.authorised(&headers) {
        return svc.refuse();
    }
    let found = if svc.config.advance == Advance::PerPoll {
        step(&svc, &id)
    } else {
        svc.state()
            .orders
            .get(&id)
            .map(|o| (o.booking.clone(), None))
    };
    let Some((booking, url)) = found else {
        return api_error(
            StatusCode::NOT_FOUND,
            "booking_not_found",
            "no such booking",
        );
    };
    push(&svc, url, &booking);
    (StatusCode::OK, axum::Json(booking)).into_response()
}

async fn cancel(
    State(svc): State<Arc<Svc>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !svc.authorised(&headers) {
        return svc.refuse();
    }
    let now: DateTime<Utc> = clock::now();
    let fee = u32::try_from(svc.config.cancel_fee_idr.max(0)).unwrap_or(u32::MAX);
    let (booking, url) = {
        let mut state = svc.state();
        let Some(order) = state.orders.get_mut(&id) else {
            return api_error(
                StatusCode::NOT_FOUND,
                "booking_not_found",
                "no such booking",
            );
        };
        let b = &mut order.booking;
        match b.status {
            SimStatus::PickedUp | SimStatus::Delivered => {
                return api_error(
                    StatusCode::CONFLICT,
                    "already_picked_up",
                    "the driver has the parcel; it cannot be cancelled",
                );
            }
            SimStatus::Cancelled | SimStatus::NoDriver => {
                return (StatusCode::OK, axum::Json(b.clone())).into_response();
            }
            SimStatus::Searching => b.fare_idr = Some(0),
            SimStatus::DriverAssigned => b.fare_idr = Some(fee),
        }
        b.status = SimStatus::Cancelled;
        b.updated_at = now;
        let out = (b.clone(), order.callback_url.clone());
        state.stats.cancelled += 1;
        state.stats.fares_charged_idr += u64::from(out.0.fare_idr.unwrap_or(0));
        out
    };
    push(&svc, url, &booking);
    (StatusCode::OK, axum::Json(booking)).into_response()
}

async fn stats(State(svc): State<Arc<Svc>>) -> Response {
    axum::Json(svc.state().stats.clone()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BookingSimConfig {
        BookingSimConfig::new("127.0.0.1:0".parse().unwrap(), "kunci", "rahasia")
    }

    #[test]
    fn bad_settings_are_named_and_secrets_never_shown() {
        assert!(config().validate().is_ok());
        let mut c = config();
        c.no_driver_rate = -0.1;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("no_driver_rate")
        );
        let mut c = config();
        c.surge_min = 2.0;
        c.surge_max = 1.5;
        assert!(c.validate().unwrap_err().to_string().contains("surge"));
        let mut c = config();
        c.base_idr = -1;
        assert!(c.validate().is_err());
        let shown = format!("{:?}", config());
        assert!(
            !shown.contains("kunci") && !shown.contains("rahasia"),
            "{shown}"
        );
    }
}
