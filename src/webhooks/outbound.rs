//! Outbound events (antar → partner): `job.offered`, `job.updated`, `job.cancelled`,
//! `offer.withdrawn`, in the envelope `{"type", "timestamp", "data"}` that Standard Webhooks
//! recommends.
//!
//! Privacy is enforced by the shape of these types: a courier partner sees where to go, when,
//! what to carry and whom to ask for, and nothing else. There is no field for a diagnosis, drug
//! names, the clinic, a national id (NIK), a BPJS number, welfare ("poor") status or diet and
//! medical notes, so such data cannot be serialised by mistake; a recipient appears only as a
//! [`RecipientLabel`] ("Ibu S."), which can only be made from a name by
//! [`RecipientLabel::from_name`]; the parcel code is a [`ParcelCode`] that cannot hold free text.
//!
//! Owns: the payload types, [`JobId`], [`OfferId`], [`StopId`]. Depends on `domain` only.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{LatLon, OrderKind, Phone, TimeWindow};

macro_rules! wire_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

wire_id!(
    /// A job (one route offered to one partner at a time).
    JobId
);
wire_id!(
    /// One offer of a job to one partner; a `job.updated` makes a new offer of the same job.
    OfferId
);
wire_id!(
    /// A stop of a job. Minted per job, so it never reveals a recipient's stable id.
    StopId
);

/// Any outbound event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum OutboundEvent {
    /// A job offered to the partner.
    #[serde(rename = "job.offered")]
    JobOffered(JobOffered),
    /// Stops added or removed before pickup; the partner must accept again.
    #[serde(rename = "job.updated")]
    JobUpdated(JobUpdated),
    /// A job the partner had accepted is cancelled.
    #[serde(rename = "job.cancelled")]
    JobCancelled(JobCancelled),
    /// An offer not yet decided is gone.
    #[serde(rename = "offer.withdrawn")]
    OfferWithdrawn(OfferWithdrawn),
}

impl OutboundEvent {
    /// The event's `type`, e.g. `job.offered`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::JobOffered(_) => "job.offered",
            Self::JobUpdated(_) => "job.updated",
            Self::JobCancelled(_) => "job.cancelled",
            Self::OfferWithdrawn(_) => "offer.withdrawn",
        }
    }

    /// The job the event is about (events of one job are delivered in order).
    pub fn job_id(&self) -> JobId {
        match self {
            Self::JobOffered(e) => e.job_id,
            Self::JobUpdated(e) => e.job_id,
            Self::JobCancelled(e) => e.job_id,
            Self::OfferWithdrawn(e) => e.job_id,
        }
    }

    /// The instant after which delivering the event is pointless (an offer's expiry).
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::JobOffered(e) => Some(e.offer_expires_at),
            Self::JobUpdated(e) => Some(e.offer_expires_at),
            Self::JobCancelled(_) | Self::OfferWithdrawn(_) => None,
        }
    }
}

/// The body of every outbound webhook: `{"type": …, "timestamp": …, "data": {…}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// When the event happened (not when this attempt is made; that is `webhook-timestamp`).
    pub timestamp: DateTime<Utc>,
    /// The event.
    pub event: OutboundEvent,
}

impl Envelope {
    /// The compact JSON body that is signed and sent.
    pub fn to_body(&self) -> Vec<u8> {
        serde_json::to_vec(self)
            .expect("outbound payloads have string keys only and always serialise")
    }
}

impl Serialize for Envelope {
    // Written by hand only to put `timestamp` between `type` and `data`, as in the
    // specification's examples; the derived (flattened) form would put it last.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("type", self.event.type_name())?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        match &self.event {
            OutboundEvent::JobOffered(d) => map.serialize_entry("data", d)?,
            OutboundEvent::JobUpdated(d) => map.serialize_entry("data", d)?,
            OutboundEvent::JobCancelled(d) => map.serialize_entry("data", d)?,
            OutboundEvent::OfferWithdrawn(d) => map.serialize_entry("data", d)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(flatten)]
            event: OutboundEvent,
            timestamp: DateTime<Utc>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Ok(Self {
            timestamp: raw.timestamp,
            event: raw.event,
        })
    }
}

/// `job.offered`: everything a partner needs to decide and to deliver, nothing more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOffered {
    /// The job.
    pub job_id: JobId,
    /// This offer; the partner's `job.accepted` names it.
    pub offer_id: OfferId,
    /// After this instant the offer is void (a late acceptance gets `409 offer_expired`).
    pub offer_expires_at: DateTime<Utc>,
    /// `meal` or `medicine`.
    pub kind: OrderKind,
    /// How the goods must be carried and handed over.
    pub handling: Handling,
    /// Where to collect.
    pub pickup: Pickup,
    /// Where to deliver, in order.
    pub stops: Vec<Stop>,
    /// The most antar pays for the job, in rupiah (`null`: the partner's tariff applies).
    pub fare_cap_idr: Option<u32>,
}

/// `job.updated`: a new offer of an already offered or accepted job whose stops changed before
/// pickup. The partner must accept it again (`job.accepted` with the new `offer_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobUpdated {
    /// The job.
    pub job_id: JobId,
    /// The new offer.
    pub offer_id: OfferId,
    /// When the new offer expires.
    pub offer_expires_at: DateTime<Utc>,
    /// Stops that are new in this version.
    pub added_stop_ids: Vec<StopId>,
    /// Stops that were dropped.
    pub removed_stop_ids: Vec<StopId>,
    /// The full list of stops after the change, in order.
    pub stops: Vec<Stop>,
    /// The fare cap after the change.
    pub fare_cap_idr: Option<u32>,
}

/// Why a job was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// Every order of the job was cancelled by the sender (pharmacy or kitchen).
    OrdersCancelled,
    /// The orders were planned into other jobs.
    Replanned,
    /// Staff took the job over (own volunteer couriers).
    TakenOverByStaff,
}

/// `job.cancelled`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobCancelled {
    /// The job.
    pub job_id: JobId,
    /// Why, as a fixed code (free text could leak what the orders were).
    pub reason: CancelReason,
}

/// Why an offer was withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// `offer_expires_at` passed without an answer.
    Expired,
    /// The job's orders were planned differently.
    Replanned,
    /// The job was cancelled.
    JobCancelled,
}

/// `offer.withdrawn`: an offer the partner has not (validly) accepted is gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferWithdrawn {
    /// The job.
    pub job_id: JobId,
    /// The offer that is gone.
    pub offer_id: OfferId,
    /// Why.
    pub reason: WithdrawReason,
}

/// How a handover works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handover {
    /// Hand to the recipient in person (meals: a missed elder raises a welfare alert).
    InPerson,
    /// Controlled medicine: the recipient tells the courier a PIN, which the courier reports as
    /// proof. Only offered to partners with that capability.
    Pin,
}

/// Carrying and handover requirements of the whole job: the strictest of its stops (`pin` when
/// any stop needs one, so only partners able to do PIN handovers are offered the job). Each stop
/// says how its own parcel is handed over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handling {
    /// Cold chain: at most this many minutes between pickup and handover (`null`: none).
    pub cold_chain_max_minutes: Option<u32>,
    /// How the handover is made.
    pub handover: Handover,
}

/// The pickup site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pickup {
    /// The site's public name, e.g. "Depo Farmasi RSUD Blambangan".
    pub site_name: String,
    /// Where the courier goes.
    pub location: LatLon,
    /// When the goods are ready to be collected.
    pub window: TimeWindow,
    /// The desk the courier calls on arrival.
    pub desk_phone: Option<Phone>,
}

/// One delivery stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    /// Per-job stop id.
    pub stop_id: StopId,
    /// Where to go.
    pub location: LatLon,
    /// The address as written (street, RT/RW, village).
    pub address: String,
    /// A landmark that helps find the house ("rumah cat hijau depan masjid").
    pub landmark: Option<String>,
    /// Whom to ask for, e.g. "Ibu S.".
    pub recipient_label: RecipientLabel,
    /// A number to call at the door.
    pub contact_phone: Option<Phone>,
    /// When to arrive.
    pub window: TimeWindow,
    /// The code written on the parcel(s).
    pub parcel_code: ParcelCode,
    /// How many parcels (or meal tins) are for this stop.
    pub parcel_count: u32,
    /// How this stop's parcel is handed over (`pin` only for controlled medicine).
    pub handover: Handover,
}

/// The code printed on a parcel: 1 to 16 characters from `A–Z`, `0–9` and `-`. Built through
/// [`ParcelCode::parse`], so it cannot carry free text such as a drug name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ParcelCode(String);

/// A refused parcel code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parcel code {0:?} must be 1 to 16 characters from A-Z, 0-9 and '-'")]
pub struct ParcelCodeError(pub String);

impl ParcelCode {
    /// Check a parcel code.
    pub fn parse(code: &str) -> Result<Self, ParcelCodeError> {
        let ok = (1..=16).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(code.to_owned()))
        } else {
            Err(ParcelCodeError(code.to_owned()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ParcelCode {
    type Error = ParcelCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ParcelCode> for String {
    fn from(c: ParcelCode) -> Self {
        c.0
    }
}

/// A recipient's gender, as far as staff recorded it; only used to choose Ibu or Bapak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Addressed as "Ibu".
    Female,
    /// Addressed as "Bapak".
    Male,
    /// Not recorded: initials only.
    #[default]
    Unknown,
}

/// How a courier asks for the recipient at the door, without learning their full name.
///
/// Rule ([`RecipientLabel::from_name`]): leading honorifics and titles (Ibu, Bu, Bapak, Pak, Mbah,
/// Hj., H., Ny., Tn., dr., …) and anything after a comma (academic degrees) are dropped; then
/// - female: `"Ibu "` + initial of the first name + `"."`  ("Siti Aminah" → "Ibu S."),
/// - male: `"Bapak "` + initial + `"."`  ("H. Ahmad Fauzi" → "Bapak A."),
/// - unknown: the initials of the first two names ("Siti Aminah" → "S. A.", "Sutrisno" → "S."),
/// - no usable name: `"Penerima"` (recipient).
///
/// That is what Indonesian couriers already say at a door ("paket untuk Ibu S.?"), enough to
/// confirm the right person together with the parcel code, and not enough to identify anyone
/// from a leaked payload. Serialises as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecipientLabel(String);

/// Words that precede a name without being one; compared without case and trailing dots.
const HONORIFICS: &[&str] = &[
    "ibu", "bu", "bapak", "pak", "bpk", "mbah", "mbok", "nenek", "kakek", "nyonya", "ny", "tuan",
    "tn", "sdr", "sdri", "saudara", "saudari", "hj", "h", "haji", "hajah", "hajjah", "dr", "drs",
    "ir", "prof", "kh",
];

impl RecipientLabel {
    /// Label a recipient (see the type's documentation for the rule).
    pub fn from_name(full_name: &str, gender: Gender) -> Self {
        let name = full_name.split(',').next().unwrap_or("");
        let initials: Vec<String> = name
            .split_whitespace()
            .filter(|w| {
                let bare = w.trim_end_matches('.').to_lowercase();
                !HONORIFICS.contains(&bare.as_str())
            })
            .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
            .map(|c| c.to_uppercase().collect())
            .take(2)
            .collect();
        let Some(first) = initials.first() else {
            return Self("Penerima".to_owned());
        };
        Self(match gender {
            Gender::Female => format!("Ibu {first}."),
            Gender::Male => format!("Bapak {first}."),
            Gender::Unknown => initials
                .iter()
                .map(|i| format!("{i}."))
                .collect::<Vec<_>>()
                .join(" "),
        })
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecipientLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_documented_rule() {
        let cases = [
            ("Siti Aminah", Gender::Female, "Ibu S."),
            ("Siti Aminah", Gender::Unknown, "S. A."),
            ("Sutrisno", Gender::Male, "Bapak S."),
            ("Sutrisno", Gender::Unknown, "S."),
            ("H. Ahmad Fauzi", Gender::Male, "Bapak A."),
            ("Hj. siti  aminah", Gender::Female, "Ibu S."),
            ("Ibu Ratna Sari Dewi", Gender::Unknown, "R. S."),
            ("Mbah Darmi", Gender::Female, "Ibu D."),
            ("Dewi Lestari, S.Pd.", Gender::Unknown, "D. L."),
            ("Éva Żak", Gender::Unknown, "É. Ż."),
            ("", Gender::Female, "Penerima"),
            ("Ibu", Gender::Female, "Penerima"),
            ("  ", Gender::Unknown, "Penerima"),
        ];
        for (name, gender, want) in cases {
            assert_eq!(
                RecipientLabel::from_name(name, gender).as_str(),
                want,
                "{name:?} {gender:?}"
            );
        }
    }

    #[test]
    fn a_label_never_contains_a_whole_name_part() {
        let label = RecipientLabel::from_name("Siti Aminah binti Soekarno", Gender::Unknown);
        for part in ["Siti", "Aminah", "Soekarno"] {
            assert!(!label.as_str().contains(part), "{label}");
        }
    }

    #[test]
    fn parcel_codes_cannot_hold_free_text() {
        assert!(ParcelCode::parse("RB-7K3Q").is_ok());
        for bad in ["", "insulin", "RB 7K3Q", "AAAAAAAAAAAAAAAAA", "RB/1"] {
            assert!(ParcelCode::parse(bad).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<ParcelCode>("\"metformin 500mg\"").is_err());
    }
}
