//! The booking API client: a courier company that takes one pickup to one drop per booking,
//! through `POST {base}/quotes`, `POST {base}/bookings`, `GET {base}/bookings/{id}` and
//! `POST {base}/bookings/{id}/cancel`, authenticated with `Authorization: Bearer {key}`.
//! Every request carries our reference id. The shapes are ours (the same courier-safe fields
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

    /// Book a quote.
    pub async fn book(&self, reference: &str, quote_id: &str) -> Result<Booked, BookingError> {
        self.call(
            self.client
                .post(format!("{}/bookings", self.base))
                .json(&serde_json::json!({"reference": reference, "quote_id": quote_id})),
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

    /// Call a booking off.
    pub async fn cancel(&self, booking_id: &str, reference: &str) -> Result<(), BookingError> {
        let _: serde_json::Value = self
            .call(
                self.client
                    .post(format!("{}/bookings/{booking_id}/cancel", self.base))
                    .json(&serde_json::json!({"reference": reference})),
            )
            .await?;
        Ok(())
    }
}
