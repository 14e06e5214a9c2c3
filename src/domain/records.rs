//! Whole entities as the rest of antar sees them once stored: a site, a partner, a token, a
//! recipient, an enrolment, an order, an audit entry. Built by `store` from rows, shown by `api`.
//!
//! Pure data; no I/O.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::access::Role;
use super::enrolment::{Meal, Pause, PauseReason};
use super::geo::LatLon;
use super::ids::{CourierId, EnrolmentId, OrderId, PartnerId, RecipientId, SiteId, TokenId};
use super::order::{OrderKind, OrderStatus, Priority};
use super::phone::Phone;
use super::site::{OpeningHours, ServiceArea, SiteKind};
use super::time::{TimeWindow, Weekdays};

/// A pickup site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Id.
    pub id: SiteId,
    /// Pharmacy or kitchen.
    pub kind: SiteKind,
    /// Display name.
    pub name: String,
    /// Where couriers pick up.
    pub location: LatLon,
    /// Street address.
    pub address: String,
    /// Desk phone.
    pub phone: Option<Phone>,
    /// Local zone.
    pub time_zone: Tz,
    /// Opening hours.
    pub opening_hours: OpeningHours,
    /// False once retired.
    pub active: bool,
}

/// What a partner can do by default (a job or courier may narrow it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Max stops in one job.
    pub max_stops: u32,
    /// Meal tins / parcels one courier carries.
    pub capacity: u32,
    /// Has insulated cold boxes.
    #[serde(default)]
    pub cold_box: bool,
    /// Can hand over controlled medicine against a PIN.
    #[serde(default)]
    pub controlled_handover: bool,
    /// Most jobs the partner runs at once (its couriers on duty); `None` for no limit. The
    /// planner never plans more routes for the partner than it has room for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_jobs: Option<u32>,
}

/// How a partner charges per job: base + per km, optionally capped. Amounts in rupiah.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FareModel {
    /// Flat part per job.
    pub base_idr: u32,
    /// Per kilometre.
    pub per_km_idr: u32,
    /// Upper bound per job, if any.
    #[serde(default)]
    pub cap_idr: Option<u32>,
}

/// A courier partner as staff see it (secrets never leave `store` decrypted except when created).
#[derive(Debug, Clone, PartialEq)]
pub struct Partner {
    /// Id.
    pub id: PartnerId,
    /// Name.
    pub name: String,
    /// Adapter kind.
    pub kind: super::job::PartnerKind,
    /// Where offers are posted.
    pub webhook_url: Option<String>,
    /// Default capabilities.
    pub capabilities: Capabilities,
    /// Fare model.
    pub fare: FareModel,
    /// Lower rank is offered first.
    pub rank: i64,
    /// Seconds a partner has to accept an offer.
    pub offer_timeout_s: i64,
    /// Where the partner works; `None` = everywhere antar serves.
    pub service_area: Option<ServiceArea>,
    /// False once disabled.
    pub active: bool,
}

/// A staff user (people who log in to the dashboard; tokens may belong to them).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Id.
    pub id: super::ids::UserId,
    /// Full name.
    pub name: String,
    /// Login name (unique).
    pub login: String,
    /// Role.
    pub role: Role,
    /// Bound pharmacy (pharmacists).
    pub site_id: Option<SiteId>,
    /// Bound partner (partner users).
    pub partner_id: Option<PartnerId>,
    /// False once disabled.
    pub active: bool,
    /// When created.
    pub created_at: DateTime<Utc>,
}

/// An API token's public description (never the secret).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    /// Id.
    pub id: TokenId,
    /// Label.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Bound pharmacy.
    pub site_id: Option<SiteId>,
    /// Bound partner.
    pub partner_id: Option<PartnerId>,
    /// First characters, to recognise it.
    pub prefix: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// How a stored location was obtained.
pub const LOCATION_SOURCES: [&str; 5] = [
    "pin",
    "plus_code",
    "link",
    "courier_gps",
    "village_centroid",
];

/// A person who receives deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    /// Id.
    pub id: RecipientId,
    /// Full name.
    pub name: String,
    /// Phone, +62.
    pub phone: Option<Phone>,
    /// Address text.
    pub address: String,
    /// A landmark a courier can find.
    pub landmark: String,
    /// Home location, if known.
    pub location: Option<LatLon>,
    /// Where the location came from.
    pub location_source: Option<String>,
    /// How far the true home may be from `location`, in metres (see
    /// [`super::location::typical_precision_m`]); `None` when not recorded.
    pub location_precision_m: Option<f64>,
    /// Desa / kelurahan.
    pub village: String,
    /// Kecamatan.
    pub kecamatan: String,
    /// Notes for staff.
    pub notes: String,
    /// Kemendagri code of the desa/kelurahan, when resolved (reports group by it).
    pub village_code: Option<super::area::AreaCode>,
    /// Last 4 digits of the national id (the id itself is kept only as a keyed MAC).
    pub nik_last4: Option<String>,
    /// Hospital medical record number (No. RM).
    pub medical_record_no: Option<String>,
}

/// A meal enrolment with its pauses.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolment {
    /// Id.
    pub id: EnrolmentId,
    /// Who eats.
    pub recipient_id: RecipientId,
    /// Which kitchen cooks.
    pub kitchen_id: SiteId,
    /// Days with meals.
    pub weekdays: Weekdays,
    /// Meals per day.
    pub meals: Vec<Meal>,
    /// Diet notes (for the kitchen; never sent to partners).
    pub diet_notes: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day, if ended or planned to end.
    pub end_date: Option<NaiveDate>,
    /// Why it ended (moved, died).
    pub ended_reason: Option<PauseReason>,
    /// Pauses.
    pub pauses: Vec<Pause>,
}

/// An order (meal or medicine).
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// Meal or medicine.
    pub kind: OrderKind,
    /// Where it is in its life.
    pub status: OrderStatus,
    /// Pickup site.
    pub site_id: SiteId,
    /// Recipient record, when there is one.
    pub recipient_id: Option<RecipientId>,
    /// Enrolment a meal order was generated from.
    pub enrolment_id: Option<EnrolmentId>,
    /// Local date of a meal.
    pub meal_date: Option<NaiveDate>,
    /// Meal name.
    pub meal_name: Option<String>,
    /// Name of the person receiving it.
    pub recipient_name: String,
    /// Phone.
    pub phone: Option<Phone>,
    /// Address text.
    pub address: String,
    /// Landmark.
    pub landmark: String,
    /// Drop location, if known.
    pub location: Option<LatLon>,
    /// Where the location came from.
    pub location_source: Option<String>,
    /// How far the true drop point may be from `location`, in metres.
    pub location_precision_m: Option<f64>,
    /// Metres from the pin to the nearest ridable road, measured at intake (when a road graph
    /// is loaded). Beyond the snapping limit the order is flagged for staff, not refused.
    pub snap_distance_m: Option<f64>,
    /// Delivery window (ready_at .. deliver_by for medicine).
    pub window: TimeWindow,
    /// Minutes at the door, in seconds.
    pub service_s: i64,
    /// Meal tins.
    pub meal_tins: i64,
    /// Parcels.
    pub parcels: i64,
    /// Cold-box slots.
    pub cold_slots: i64,
    /// Urgent or routine.
    pub priority: Priority,
    /// Max minutes from pickup to handover (cold chain).
    pub cold_chain_max_minutes: Option<i64>,
    /// Handover needs the patient's PIN.
    pub controlled: bool,
    /// Clinical notes: never leave the hospital side.
    pub clinical_notes: Option<String>,
    /// The hospital system's reference.
    pub external_ref: Option<String>,
    /// Medical record number (No. RM).
    pub medical_record_no: Option<String>,
    /// Delivery attempt, from 1.
    pub attempt: i64,
    /// Who created it.
    pub created_by: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// One status change in an order's history.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderEvent {
    /// Before (none for creation).
    pub from: Option<OrderStatus>,
    /// After.
    pub to: OrderStatus,
    /// Why.
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`role:name`).
    pub actor: String,
    /// What (`create`, `read`, `update`, `cancel`, …).
    pub action: String,
    /// Entity kind.
    pub entity: String,
    /// Entity id.
    pub entity_id: Option<String>,
    /// Extra detail (JSON).
    pub detail: serde_json::Value,
}

/// One of our own couriers (an ojek rider on a fixed route), who belongs to a site.
#[derive(Debug, Clone, PartialEq)]
pub struct Courier {
    /// Id.
    pub id: CourierId,
    /// The pharmacy or kitchen the courier rides for.
    pub site_id: SiteId,
    /// Full name.
    pub name: String,
    /// Phone, +62.
    pub phone: Phone,
    /// Vehicle, e.g. "Honda Supra P 1234 AB".
    pub vehicle: String,
    /// Tins or parcels carried at once.
    pub capacity: u32,
    /// Stops in one job.
    pub max_stops: u32,
    /// Trips in a shift, riding back to the site to reload between them (1 to
    /// [`Courier::MAX_TRIPS`]).
    pub max_trips: u32,
    /// Days the courier works.
    pub working_days: Weekdays,
    /// Local start of the working day.
    pub work_start: chrono::NaiveTime,
    /// Local end of the working day (after `work_start`).
    pub work_end: chrono::NaiveTime,
    /// False once the courier stops riding for us.
    pub active: bool,
}

impl Courier {
    /// The most trips a courier may be given in a shift.
    pub const MAX_TRIPS: u32 = 4;

    /// Whether the courier works at `at` (in `tz`): a working day, within the hours.
    pub fn works_at(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz);
        self.working_days.includes(local.date_naive())
            && (self.work_start..self.work_end).contains(&local.time())
    }

    /// Why the courier cannot ride a job of `stops` stops carrying `load`, if they cannot.
    pub fn unfit_for(&self, stops: usize, load: i64) -> Option<String> {
        if stops > self.max_stops as usize {
            return Some(format!("{stops} stops, at most {}", self.max_stops));
        }
        if load > i64::from(self.capacity) {
            return Some(format!("load {load}, capacity {}", self.capacity));
        }
        None
    }
}
