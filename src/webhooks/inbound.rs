//! Inbound events (partner → antar, `POST /partner/v1/events`) and the synchronous answer to an
//! offer. Each event is a flat JSON object tagged by `type`, carrying `job_id`, `occurred_at` and
//! a per-job `seq` (events out of order never move a state backwards: `seq` decides).
//!
//! Unknown fields are refused: a partner that misspells `stop_id` gets a 400 naming the field
//! instead of a silently ignored value. Proof of delivery must hold at least one item.
//!
//! A courier who finds the recipient ill says so in either outcome: a handover made anyway is
//! `stop.delivered` with `"concern": "unwell"` (and a `note`), one the illness prevented (nobody
//! able to open the door, taken to hospital) is `stop.failed` with reason `recipient_unwell`.
//! Both raise an `unwell` alert so someone visits; the first still counts as delivered.
//!
//! Owns: [`InboundEvent`] and its payloads, [`Concern`], [`OfferReply`]. Depends on `domain` and
//! [`super::outbound`] (the ids) only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::outbound::{JobId, OfferId, StopId};
use crate::domain::{LatLon, Phone};

/// Any callback a partner sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum InboundEvent {
    /// The partner takes the offer.
    #[serde(rename = "job.accepted")]
    JobAccepted(JobAccepted),
    /// The partner declines the offer.
    #[serde(rename = "job.rejected")]
    JobRejected(JobRejected),
    /// A courier is on the job.
    #[serde(rename = "courier.assigned")]
    CourierAssigned(CourierAssigned),
    /// The courier has the goods.
    #[serde(rename = "job.picked_up")]
    JobPickedUp(JobPickedUp),
    /// The courier is at a stop.
    #[serde(rename = "stop.arrived")]
    StopArrived(StopArrived),
    /// Handed over, with proof.
    #[serde(rename = "stop.delivered")]
    StopDelivered(StopDelivered),
    /// Could not hand over.
    #[serde(rename = "stop.failed")]
    StopFailed(StopFailed),
    /// Where the courier is now.
    #[serde(rename = "courier.location")]
    CourierLocation(CourierLocation),
}

impl InboundEvent {
    /// Parse a request body (after its signature was verified).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The event's `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::JobAccepted(_) => "job.accepted",
            Self::JobRejected(_) => "job.rejected",
            Self::CourierAssigned(_) => "courier.assigned",
            Self::JobPickedUp(_) => "job.picked_up",
            Self::StopArrived(_) => "stop.arrived",
            Self::StopDelivered(_) => "stop.delivered",
            Self::StopFailed(_) => "stop.failed",
            Self::CourierLocation(_) => "courier.location",
        }
    }

    fn common(&self) -> (JobId, DateTime<Utc>, u64) {
        match self {
            Self::JobAccepted(e) => (e.job_id, e.occurred_at, e.seq),
            Self::JobRejected(e) => (e.job_id, e.occurred_at, e.seq),
            Self::CourierAssigned(e) => (e.job_id, e.occurred_at, e.seq),
            Self::JobPickedUp(e) => (e.job_id, e.occurred_at, e.seq),
            Self::StopArrived(e) => (e.job_id, e.occurred_at, e.seq),
            Self::StopDelivered(e) => (e.job_id, e.occurred_at, e.seq),
            Self::StopFailed(e) => (e.job_id, e.occurred_at, e.seq),
            Self::CourierLocation(e) => (e.job_id, e.occurred_at, e.seq),
        }
    }

    /// The job the event is about.
    pub fn job_id(&self) -> JobId {
        self.common().0
    }

    /// When it happened, by the partner's clock.
    pub fn occurred_at(&self) -> DateTime<Utc> {
        self.common().1
    }

    /// The partner's per-job sequence number.
    pub fn seq(&self) -> u64 {
        self.common().2
    }
}

/// `job.accepted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobAccepted {
    /// The job.
    pub job_id: JobId,
    /// The offer being accepted (after a `job.updated`, the new one).
    pub offer_id: OfferId,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Per-job sequence number.
    pub seq: u64,
}

/// `job.rejected`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRejected {
    /// The job.
    pub job_id: JobId,
    /// The offer being declined.
    pub offer_id: OfferId,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Per-job sequence number.
    pub seq: u64,
    /// The partner's reason, shown to staff.
    pub reason: String,
}

/// `courier.assigned`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourierAssigned {
    /// The job.
    pub job_id: JobId,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Per-job sequence number.
    pub seq: u64,
    /// The courier's name, as shown to pharmacy staff at pickup.
    pub name: String,
    /// The motorbike's plate, e.g. "P 1234 AB".
    pub plate: String,
    /// The courier's phone.
    pub phone: Phone,
}

/// `job.picked_up`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobPickedUp {
    /// The job.
    pub job_id: JobId,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Per-job sequence number.
    pub seq: u64,
}

/// `stop.arrived`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopArrived {
    /// The job.
    pub job_id: JobId,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Per-job sequence number.
    pub seq: u64,
    /// The stop.
    pub stop_id: StopId,
}

/// `stop.delivered`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopDelivered {
    /// The job.
    pub job_id: JobId,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Per-job sequence number.
    pub seq: u64,
    /// The stop.
    pub stop_id: StopId,
    /// What shows the handover happened.
    pub proof: Proof,
    /// What the partner bills for the whole job so far, rupiah, if it says (optional; antar
    /// records it as the job's charged fare, else the charge is the quoted fare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fare_idr: Option<i64>,
    /// What the courier noticed at the door that someone must follow up (optional; an
    /// unknown value is refused like an unknown field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concern: Option<Concern>,
    /// The courier's words, shown to staff (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a courier noticed at a handover that staff must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    /// The recipient is unwell and needs someone to visit. The handover still counts as made.
    Unwell,
}

/// Proof of delivery: at least one of a PIN (required for controlled medicine; `dispatch` checks
/// it against the stored hash), a photo URL or the name of who took the parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawProof")]
pub struct Proof {
    /// The PIN the recipient gave.
    pub pin: Option<String>,
    /// A photo of the handover.
    pub photo_url: Option<String>,
    /// Who took the parcel.
    pub recipient_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProof {
    #[serde(default)]
    pin: Option<String>,
    #[serde(default)]
    photo_url: Option<String>,
    #[serde(default)]
    recipient_name: Option<String>,
}

impl TryFrom<RawProof> for Proof {
    type Error = String;
    fn try_from(raw: RawProof) -> Result<Self, Self::Error> {
        let keep = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let proof = Proof {
            pin: keep(raw.pin),
            photo_url: keep(raw.photo_url),
            recipient_name: keep(raw.recipient_name),
        };
        if proof.pin.is_none() && proof.photo_url.is_none() && proof.recipient_name.is_none() {
            return Err("proof needs at least one of pin, photo_url, recipient_name".to_owned());
        }
        if let Some(url) = &proof.photo_url
            && !url.starts_with("https://")
            && !url.starts_with("http://")
        {
            return Err(format!(
                "proof.photo_url must be an http(s) URL, got {url:?}"
            ));
        }
        Ok(proof)
    }
}

/// Why a handover failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// Nobody answered.
    NotHome,
    /// The recipient refused the parcel.
    Refused,
    /// The address or location could not be found.
    AddressNotFound,
    /// The courier judged the place unsafe.
    Unsafe,
    /// The recipient is too ill to take it (nobody able to open the door, taken to hospital):
    /// someone should visit.
    RecipientUnwell,
    /// Anything else; see the note.
    Other,
}

/// `stop.failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopFailed {
    /// The job.
    pub job_id: JobId,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Per-job sequence number.
    pub seq: u64,
    /// The stop.
    pub stop_id: StopId,
    /// Why.
    pub reason: FailReason,
    /// The courier's words, shown to staff.
    #[serde(default)]
    pub note: Option<String>,
}

/// `courier.location`: `{"location": {"lat": …, "lon": …}}`, the same shape as locations in
/// offers, checked to be a real coordinate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourierLocation {
    /// The job.
    pub job_id: JobId,
    /// When the position was taken.
    pub occurred_at: DateTime<Utc>,
    /// Per-job sequence number.
    pub seq: u64,
    /// Where the courier is.
    pub location: LatLon,
}

/// The partner's synchronous answer to an offer POST: `{"decision":"accept"}` or
/// `{"decision":"reject","reason":…}`. A `202` with any other body means "decided later by
/// callback".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum OfferReply {
    /// Accepted now.
    Accept,
    /// Declined now.
    Reject {
        /// The partner's reason.
        #[serde(default)]
        reason: Option<String>,
    },
}

impl OfferReply {
    /// The decision in a response, if the status is 200 and the body holds one.
    pub fn from_response(status: Option<u16>, body: &[u8]) -> Option<Self> {
        if status != Some(200) {
            return None;
        }
        serde_json::from_slice(body).ok()
    }
}
