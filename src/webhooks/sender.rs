//! The HTTP side of outbound delivery: one shared `reqwest` client that posts an already signed
//! body and reports what happened as an [`Attempt`]. It decides nothing (that is
//! [`super::retry`]) and never panics: every failure becomes data.
//!
//! Owns: [`Sender`], [`Attempt`]. Must not depend on `store` or `dispatch`.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{CONTENT_TYPE, DATE, HeaderMap, RETRY_AFTER};

use super::WebhookError;
use super::retry::parse_retry_after;

/// `User-Agent` of every webhook request.
pub const USER_AGENT: &str = concat!("antar/", env!("CARGO_PKG_VERSION"));

/// How much of a response body is kept: enough for the synchronous offer reply
/// (`{"decision":"reject","reason":…}`), small enough that a misbehaving partner cannot make the
/// worker buffer megabytes.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024;

/// The result of one POST.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attempt {
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// `Retry-After` from the response, as a wait from the response's time.
    pub retry_after: Option<Duration>,
    /// What went wrong before a complete response arrived (connection refused, timeout, …).
    pub error: Option<String>,
    /// How long the attempt took (for metrics and the outbox record).
    pub elapsed: Duration,
    /// The first [`MAX_RESPONSE_BYTES`] of the response body (empty when there was none).
    pub body: Vec<u8>,
}

/// Posts signed webhooks. Cheap to clone (the client is reference-counted inside), so one is
/// built at start-up and shared by every worker.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
}

impl Sender {
    /// A sender whose every request (connect, send, receive) must finish within `timeout`.
    /// Standard Webhooks suggests 15 to 30 s; offers are short-lived, so callers may use less.
    pub fn new(timeout: Duration) -> Result<Self, WebhookError> {
        // reqwest is built without a bundled crypto provider so that TLS uses ring (as sqlx does)
        // instead of aws-lc; rustls then needs a process default. `Err` means one is already
        // installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(USER_AGENT)
            // A redirect would re-send a signed body to a URL staff never configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| WebhookError::Client(error_chain(&e)))?;
        Ok(Self { client })
    }

    /// POST `body` (JSON) to `url` with the Standard Webhooks headers.
    pub async fn send(
        &self,
        url: &str,
        body: &[u8],
        id: &str,
        timestamp: i64,
        signature_header: &str,
    ) -> Attempt {
        let started = Instant::now();
        let mut attempt = self.post(url, body, id, timestamp, signature_header).await;
        attempt.elapsed = started.elapsed();
        attempt
    }

    async fn post(
        &self,
        url: &str,
        body: &[u8],
        id: &str,
        timestamp: i64,
        signature_header: &str,
    ) -> Attempt {
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature_header)
            .body(body.to_vec());
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                return Attempt {
                    error: Some(error_chain(&e)),
                    ..Attempt::default()
                };
            }
        };
        let mut attempt = Attempt {
            status: Some(response.status().as_u16()),
            retry_after: retry_after(response.headers()),
            ..Attempt::default()
        };
        // The status is what counts; a body cut short is recorded but does not undo it.
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_RESPONSE_BYTES - attempt.body.len();
                    attempt
                        .body
                        .extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if attempt.body.len() >= MAX_RESPONSE_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    attempt.error = Some(format!("reading response body: {}", error_chain(&e)));
                    break;
                }
            }
        }
        attempt
    }
}

/// `Retry-After` as a wait. An HTTP-date is taken relative to the response's own `Date` header
/// when present, so a partner whose clock is off still gets the wait it meant.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    let now = headers
        .get(DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or_else(SystemTime::now);
    parse_retry_after(value, now)
}

/// reqwest's own message ("error sending request") says little; its sources say why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
