//! The booking API client: a courier company that takes one pickup to one drop per booking,
//! through `POST {base}/quotes`, `POST {base}/bookings`, `GET {base}/bookings/{id}` and
//! `POST {base}/bookings/{id}/cancel`, authenticated with `Authorization: Bearer {key}`.
//! Every request carries our reference id; a booking may name a `callback_url` where the
//! company posts status changes, signed its own way ([`verify_callback`]). The shapes are ours (the same courier-safe fields
//! as `job.offered`: no clinical data can be put in them).
//!
//! Depends on `domain` and `outbound` types only; reads no clock.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::LatLon;

/// One end of a booking.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    /// Where.
    pub location: LatLon,
    /// The address as written.
    pub address: String,
    /// A landmark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landmark: Option<String>,
    /// Whom to ask for ("Ibu S.", or the site's name).
    pub contact_name: String,
    /// A phone to call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
}

/// What is asked for a quote.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteRequest {
    /// Our reference id.
    pub reference: String,
    /// Pickup.
    pub pickup: Place,
    /// Drop.
    pub drop: Place,
    /// Parcels or tins.
    pub parcel_count: u32,
    /// The code on the parcel.
    pub parcel_code: String,
}

/// A quote.
#[derive(Debug, Clone, Deserialize)]
pub struct Quote {
    /// The company's quote id.
    pub quote_id: String,
    /// Fare quoted, rupiah.
    pub fare_idr: u32,
}

/// A booking made.
#[derive(Debug, Clone, Deserialize)]
pub struct Booked {
    /// The company's booking id.
    pub booking_id: String,
}

/// The driver the company found.
#[derive(Debug, Clone, Deserialize)]
pub struct Driver {
    /// Name.
    pub name: String,
    /// Plate.
    #[serde(default)]
    pub plate: String,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
}

/// Where a booking stands.
#[derive(Debug, Clone, Deserialize)]
pub struct BookingStatus {
    /// `searching`, `driver_assigned`, `picked_up`, `delivered`, `no_driver`, `cancelled`.
    pub status: String,
    /// Once a driver is found.
    #[serde(default)]
    pub driver: Option<Driver>,
    /// Fare charged, once delivered.
    #[serde(default)]
    pub fare_idr: Option<u32>,
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    /// The company refused (4xx): asking again will not help.
    #[error("refused with {status}: {body}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// What it said (cut short).
        body: String,
    },
    /// The network or the company is down (or answered nonsense): try again later.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// A client for one company.
pub struct BookingClient {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl BookingClient {
    /// A client for the API at `base` with the key `key`.
    pub fn new(base: &str, key: &str, timeout: Duration) -> Result<Self, BookingError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BookingError::Unavailable(e.to_string()))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, BookingError> {
        let r = req
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|e| BookingError::Unavailable(e.to_string()))?;
        let status = r.status();
        let text = r
            .text()
            .await
            .map_err(|e| BookingError::Unavailable(e.to_string()))?;
        if status.is_client_error() {
            return Err(BookingError::Refused {
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            });
        }
        if !status.is_success() {
            return Err(BookingError::Unavailable(format!("status {status}")));
        }
        serde_json::from_str(&text).map_err(|e| BookingError::Unavailable(format!("answer: {e}")))
    }

    /// Ask for a quote.
    pub async fn quote(&self, q: &QuoteRequest) -> Result<Quote, BookingError> {
        self.call(self.client.post(format!("{}/quotes", self.base)).json(q))
            .await
    }

    /// Book a quote; the company posts status changes to `callback_url` when one is given.
    pub async fn book(
        &self,
        reference: &str,
        quote_id: &str,
        callback_url: Option<&str>,
    ) -> Result<Booked, BookingError> {
        let mut body = serde_json::json!({"reference": reference, "quote_id": quote_id});
        if let Some(url) = callback_url {
            body["callback_url"] = url.into();
        }
        self.call(
            self.client
                .post(format!("{}/bookings", self.base))
                .json(&body),
        )
        .await
    }

    /// Where a booking stands.
    pub async fn status(&self, booking_id: &str) -> Result<BookingStatus, BookingError> {
        self.call(
            self.client
                .get(format!("{}/bookings/{booking_id}", self.base)),
        )
        .await
    }

    /// Call a booking off; the answer says what the company charges for it (a fee once a
    /// driver was on the way).
    pub async fn cancel(
        &self,
        booking_id: &str,
        reference: &str,
    ) -> Result<BookingStatus, BookingError> {
        self.call(
            self.client
                .post(format!("{}/bookings/{booking_id}/cancel", self.base))
                .json(&serde_json::json!({"reference": reference})),
        )
        .await
    }
}

/// What a status callback names: the booking it is about. The status itself is read back from
/// the API with our key ([`BookingClient::status`]), so a callback can hurry a look but never
/// move a booking by itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallbackRef {
    /// The company's booking id.
    pub booking_id: String,
    /// Our reference id.
    pub reference: String,
}

/// Why a status callback was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// `X-Callback-Timestamp` missing, not a number, or more than five minutes off.
    #[error("X-Callback-Timestamp is missing or more than five minutes from now")]
    Timestamp,
    /// `X-Callback-Signature` missing, malformed or wrong.
    #[error("X-Callback-Signature does not match the body")]
    Signature,
    /// The body names no booking.
    #[error("the body is not a booking (booking_id and reference expected)")]
    Body,
}

/// Check a company's status callback: `X-Callback-Timestamp` (Unix seconds, within five
/// minutes of `now`) and `X-Callback-Signature: sha256=<hex HMAC-SHA256(secret,
/// "{timestamp}.{body}")>`, the scheme such companies use; then read which booking it is about.
pub fn verify_callback(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<CallbackRef, CallbackError> {
    use hmac::{Hmac, KeyInit, Mac};
    let ts: i64 = timestamp
        .and_then(|t| t.trim().parse().ok())
        .ok_or(CallbackError::Timestamp)?;
    if (now - ts).abs() > 300 {
        return Err(CallbackError::Timestamp);
    }
    let given = signature
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
        .ok_or(CallbackError::Signature)?;
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .map_err(|_| CallbackError::Signature)?;
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| CallbackError::Signature)?;
    serde_json::from_slice(body).map_err(|_| CallbackError::Body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};

    fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}.").as_bytes());
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_callback_is_checked_for_time_signature_and_shape() {
        let body = br#"{"booking_id":"BK-1","reference":"r-1","status":"picked_up"}"#;
        let sig = sign("s3cret", 1_000, body);
        let ok = verify_callback("s3cret", Some("1000"), Some(&sig), body, 1_100).unwrap();
        assert_eq!(ok.booking_id, "BK-1");
        assert_eq!(ok.reference, "r-1");
        let late = verify_callback("s3cret", Some("1000"), Some(&sig), body, 1_301);
        assert_eq!(late, Err(CallbackError::Timestamp));
        let none = verify_callback("s3cret", None, Some(&sig), body, 1_000);
        assert_eq!(none, Err(CallbackError::Timestamp));
        let other = verify_callback("other", Some("1000"), Some(&sig), body, 1_000);
        assert_eq!(other, Err(CallbackError::Signature));
        let tampered = br#"{"booking_id":"BK-2","reference":"r-1","status":"picked_up"}"#;
        let t = verify_callback("s3cret", Some("1000"), Some(&sig), tampered, 1_000);
        assert_eq!(t, Err(CallbackError::Signature));
        let moved = verify_callback("s3cret", Some("1001"), Some(&sig), body, 1_000);
        assert_eq!(
            moved,
            Err(CallbackError::Signature),
            "the timestamp is signed too"
        );
        let junk = b"[1,2]";
        let sig = sign("s3cret", 1_000, junk);
        let shape = verify_callback("s3cret", Some("1000"), Some(&sig), junk, 1_000);
        assert_eq!(shape, Err(CallbackError::Body));
    }
}
