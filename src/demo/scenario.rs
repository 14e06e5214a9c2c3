//! The fixture scenario: one ordinary day in Banyuwangi town for both programs — two hospital
//! pharmacies sending prescriptions home, twelve warung kitchens cooking lunch for about three
//! hundred elderly people living alone, two simulated ride-hailing partners, and a simulated
//! courier company with a booking API as the last resort.
//!
//! The scenario is plain data ([`Scenario`]), independent of any date: times are local wall-clock
//! times and dates are days relative to the day being played, so one file fits any date. It is
//! produced deterministically from a seed over a road graph ([`Scenario::generate`]); the
//! committed fixture `fixtures/scenario/banyuwangi-day.json` is that output for the embedded town
//! and [`DEFAULT_SEED`] ([`Scenario::embedded`]). Regenerate it with
//! `ANTAR_REGENERATE=1 cargo test --test scenario`.
//!
//! [`load`] creates everything through the [`Dispatch`] use cases (never raw SQL), so every
//! rule that applies to staff input applies here too.
//!
//! Owns: [`Scenario`] and its parts, [`load`] and [`Loaded`]. Depends on `dispatch`, `domain`
//! and `roads`; must not depend on `api`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Days, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::dispatch::admin::CreatedPartner;
use crate::dispatch::intake::{ListOrders, NewPrescription};
use crate::dispatch::meals::DayReport;
use crate::dispatch::{Dispatch, DispatchError, FieldError};
use crate::domain::enrolment::{Meal, Pause, PauseReason};
use crate::domain::records::{Capabilities, Enrolment, FareModel, Partner, Recipient, Site};
use crate::domain::site::{OpeningHours, OpeningSpan};
use crate::domain::time::{local_to_utc, parse_tz};
use crate::domain::{
    EnrolmentId, LatLon, LocalWindow, OrderId, OrderKind, PartnerId, PartnerKind, Phone, Principal,
    Priority, RecipientId, ServiceArea, SiteId, SiteKind, TimeWindow, Weekdays,
};
use crate::roads::RoadGraph;

/// The seed of the committed fixture.
pub const DEFAULT_SEED: u64 = 20_261_201;

/// Where the committed fixture lives, relative to the crate root.
pub const FIXTURE_PATH: &str = "fixtures/scenario/banyuwangi-day.json";

const FIXTURE: &str = include_str!("../../fixtures/scenario/banyuwangi-day.json");

/// A day of deliveries, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A title.
    pub name: String,
    /// The seed it was generated from.
    pub seed: u64,
    /// IANA zone of every site (local times below are in it).
    pub time_zone: String,
    /// The area antar serves.
    pub service_area: ServiceArea,
    /// Hospital pharmacies.
    pub pharmacies: Vec<SiteSpec>,
    /// Warung kitchens.
    pub kitchens: Vec<SiteSpec>,
    /// Courier partners, with how their simulators behave.
    pub partners: Vec<PartnerSpec>,
    /// Elderly people living alone.
    pub recipients: Vec<RecipientSpec>,
    /// Meal enrolments (one per recipient).
    pub enrolments: Vec<EnrolmentSpec>,
    /// The day's prescriptions for home delivery.
    pub prescriptions: Vec<PrescriptionSpec>,
}

/// A pickup site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// Display name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Desk phone as written locally (normalised to +62 on load).
    pub phone: Option<String>,
    /// Where couriers pick up (on a road).
    pub location: LatLon,
    /// Local opening hours.
    pub opening_hours: OpeningHours,
}

/// A courier partner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerSpec {
    /// Name.
    pub name: String,
    /// How offers reach it: `webhook` (the default, so scenario files written before partners
    /// had kinds still load) or `booking_api` (a courier company's booking API). A scenario has
    /// no couriers of its own, so no `own_fleet`.
    #[serde(default = "webhook")]
    pub kind: PartnerKind,
    /// Lower rank is offered first.
    pub rank: i64,
    /// Default capabilities.
    pub capabilities: Capabilities,
    /// Fare model (for a booking API: its published fare before surge).
    pub fare: FareModel,
    /// Seconds the partner has to accept an offer.
    pub offer_timeout_s: i64,
    /// How the partner simulator behaves for this partner.
    pub sim: PartnerBehaviour,
}

fn webhook() -> PartnerKind {
    PartnerKind::Webhook
}

/// Knobs of the simulated partner (used by the demo's simulators; antar itself ignores them),
/// one shape per kind of partner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PartnerBehaviour {
    /// A partner speaking our webhook contract (`antar partner-sim`).
    Webhook(WebhookBehaviour),
    /// A courier company with a booking API (`antar partner-sim --mode booking`).
    Booking(BookingBehaviour),
}

/// Knobs of a simulated booking-API company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingBehaviour {
    /// Share of bookings that find no driver (0–1).
    pub no_driver_rate: f64,
    /// Lowest surge multiplier on its fare (1.0: none).
    pub surge_min: f64,
    /// Highest surge multiplier.
    pub surge_max: f64,
    /// Simulated seconds per step of a booking: finding a driver, reaching the pickup, the ride.
    pub step_delay_s: u32,
    /// What it charges when a booking is called off after a driver was assigned, rupiah.
    pub cancel_fee_idr: i64,
}

/// Knobs of a simulated webhook partner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookBehaviour {
    /// Share of offers accepted (0–1).
    pub accept_rate: f64,
    /// Share of stops that fail at the door (0–1).
    pub fail_rate: f64,
    /// Simulated seconds before the partner answers an offer.
    pub answer_after_s: u32,
    /// Simulated minutes from acceptance to a courier at the pickup site.
    pub pickup_after_min: u32,
}

/// An elderly person living alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientSpec {
    /// Full name as the social worker wrote it.
    pub name: String,
    /// Phone as written locally, if any.
    pub phone: Option<String>,
    /// Address text.
    pub address: String,
    /// A landmark a courier can find.
    pub landmark: String,
    /// Home, if mapped.
    pub location: Option<LatLon>,
    /// Kelurahan.
    pub village: String,
    /// Kecamatan.
    pub kecamatan: String,
    /// Notes for staff.
    pub notes: String,
}

/// A meal enrolment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentSpec {
    /// Index into [`Scenario::recipients`].
    pub recipient: usize,
    /// Index into [`Scenario::kitchens`].
    pub kitchen: usize,
    /// Days with a meal (`mon` … `sun`).
    pub weekdays: Vec<String>,
    /// Local lunch window.
    pub window: LocalWindow,
    /// Diet notes for the kitchen.
    pub diet_notes: String,
    /// The enrolment started this many days before the played day.
    pub started_days_before: u32,
    /// A pause around the played day, if any.
    pub pause: Option<PauseSpec>,
}

/// A pause, in days relative to the played day (0 = that day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseSpec {
    /// First day without meals.
    pub from_day: i32,
    /// Last day without meals; open while `None`.
    pub until_day: Option<i32>,
    /// Why.
    pub reason: PauseReason,
    /// A note for staff.
    pub note: String,
}

/// One prescription sent home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionSpec {
    /// Index into [`Scenario::pharmacies`].
    pub pharmacy: usize,
    /// The patient is this recipient (index into [`Scenario::recipients`]), if enrolled.
    pub recipient: Option<usize>,
    /// Patient's name.
    pub patient_name: String,
    /// Phone as written locally, if any.
    pub phone: Option<String>,
    /// Address text.
    pub address: String,
    /// Landmark.
    pub landmark: String,
    /// Home.
    pub location: Option<LatLon>,
    /// Medical record number.
    pub medical_record_no: String,
    /// The hospital system's reference.
    pub external_ref: String,
    /// Parcels (1–3).
    pub parcels: u32,
    /// Urgent or routine.
    pub priority: Priority,
    /// Cold chain limit in minutes (insulin).
    pub cold_chain_max_minutes: Option<u32>,
    /// Handover against a PIN.
    pub controlled: bool,
    /// Local time the parcel is ready for pickup.
    pub ready_at: NaiveTime,
    /// Local time it must be delivered by (same day).
    pub deliver_by: NaiveTime,
    /// Clinical notes (stay at the hospital).
    pub clinical_notes: Option<String>,
}

/// What [`load`] created, for the demo to drive the day.
pub struct Loaded {
    /// Pharmacy sites, in scenario order.
    pub pharmacies: Vec<SiteId>,
    /// Kitchen sites, in scenario order.
    pub kitchens: Vec<SiteId>,
    /// Partners with their callback tokens and signing secrets, in scenario order.
    pub partners: Vec<CreatedPartner>,
    /// Recipients, in scenario order.
    pub recipients: Vec<RecipientId>,
    /// Enrolments, in scenario order.
    pub enrolments: Vec<EnrolmentId>,
    /// What generating the day's meals did.
    pub meal_day: DayReport,
    /// The day's meal orders (of this scenario's enrolments).
    pub meal_orders: Vec<OrderId>,
    /// Prescription orders, in scenario order.
    pub medicine_orders: Vec<OrderId>,
    /// Handover PINs of controlled prescriptions (given once, at creation).
    pub pins: BTreeMap<OrderId, String>,
}

impl Scenario {
    /// The committed fixture (the generator's output for the embedded town and
    /// [`DEFAULT_SEED`]).
    pub fn embedded() -> Result<Self, serde_json::Error> {
        serde_json::from_str(FIXTURE)
    }

    /// The fixture file's text for this scenario (pretty JSON, trailing newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Generate a day over `graph`, deterministically from `seed`.
    pub fn generate(graph: &RoadGraph, seed: u64) -> Scenario {
        Generator::new(graph, seed).run()
    }

    /// Check references, phones, windows and weekday names before anything is stored, so a
    /// bad scenario file stores nothing.
    pub fn check(&self) -> Result<Tz, DispatchError> {
        let mut errors = Vec::new();
        let tz = parse_tz(&self.time_zone);
        if tz.is_none() {
            errors.push(FieldError::new(
                "time_zone",
                "invalid_value",
                format!("{:?} is not an IANA zone", self.time_zone),
            ));
        }
        for (list, sites) in [
            ("pharmacies", &self.pharmacies),
            ("kitchens", &self.kitchens),
        ] {
            for (i, s) in sites.iter().enumerate() {
                if let Err(e) = phone(&format!("{list}[{i}].phone"), s.phone.as_deref()) {
                    errors.push(e);
                }
            }
        }
        for (i, p) in self.partners.iter().enumerate() {
            let f = |name: &str| format!("partners[{i}].{name}");
            match (p.kind, &p.sim) {
                (PartnerKind::Webhook, PartnerBehaviour::Webhook(_)) => {}
                (PartnerKind::BookingApi, PartnerBehaviour::Booking(_)) => {
                    // The rule staff input meets in the API: one pickup to one drop per booking.
                    if p.capabilities.max_stops != 1 {
                        errors.push(FieldError::new(
                            f("capabilities.max_stops"),
                            "out_of_range",
                            "a booking API takes one pickup to one drop: max_stops must be 1",
                        ));
                    }
                }
                (PartnerKind::OwnFleet, _) => errors.push(FieldError::new(
                    f("kind"),
                    "invalid_value",
                    "a scenario has no couriers of its own: webhook or booking_api",
                )),
                (kind, _) => errors.push(FieldError::new(
                    f("sim"),
                    "invalid_value",
                    format!("the simulator's knobs do not fit a {kind} partner"),
                )),
            }
        }
        for (i, r) in self.recipients.iter().enumerate() {
            if let Err(e) = phone(&format!("recipients[{i}].phone"), r.phone.as_deref()) {
                errors.push(e);
            }
        }
        for (i, e) in self.enrolments.iter().enumerate() {
            let f = |name: &str| format!("enrolments[{i}].{name}");
            if e.recipient >= self.recipients.len() {
                errors.push(out_of_range(f("recipient"), "recipients"));
            }
            if e.kitchen >= self.kitchens.len() {
                errors.push(out_of_range(f("kitchen"), "kitchens"));
            }
            match Weekdays::parse(&e.weekdays) {
                Ok(w) if !w.is_empty() => {}
                Ok(_) => errors.push(FieldError::new(f("weekdays"), "required", "no day")),
                Err(err) => errors.push(FieldError::new(
                    f("weekdays"),
                    "invalid_value",
                    err.to_string(),
                )),
            }
            if LocalWindow::new(e.window.start, e.window.end).is_err() {
                errors.push(FieldError::new(
                    f("window"),
                    "invalid_window",
                    "the window must end after it starts",
                ));
            }
        }
        for (i, p) in self.prescriptions.iter().enumerate() {
            let f = |name: &str| format!("prescriptions[{i}].{name}");
            if p.pharmacy >= self.pharmacies.len() {
                errors.push(out_of_range(f("pharmacy"), "pharmacies"));
            }
            if p.recipient.is_some_and(|r| r >= self.recipients.len()) {
                errors.push(out_of_range(f("recipient"), "recipients"));
            }
            if let Err(e) = phone(&f("phone"), p.phone.as_deref()) {
                errors.push(e);
            }
            if p.deliver_by <= p.ready_at {
                errors.push(FieldError::new(
                    f("deliver_by"),
                    "invalid_window",
                    "deliver_by must be after ready_at on the same day",
                ));
            }
            if p.parcels == 0 {
                errors.push(FieldError::new(
                    f("parcels"),
                    "out_of_range",
                    "at least one parcel",
                ));
            }
        }
        match tz {
            Some(tz) if errors.is_empty() => Ok(tz),
            _ => Err(DispatchError::Invalid(errors)),
        }
    }
}

fn out_of_range(field: String, list: &str) -> FieldError {
    FieldError::new(
        field,
        "unknown_reference",
        format!("no such entry in {list}"),
    )
}

fn phone(field: &str, text: Option<&str>) -> Result<Option<Phone>, FieldError> {
    text.map(|t| {
        Phone::parse(t).map_err(|e| FieldError::new(field, "invalid_phone", e.to_string()))
    })
    .transpose()
}

fn day(date: NaiveDate, offset: i64, field: &str) -> Result<NaiveDate, DispatchError> {
    let moved = if offset >= 0 {
        date.checked_add_days(Days::new(offset.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    moved.ok_or_else(|| {
        crate::dispatch::invalid(field, "out_of_range", "the date is out of the calendar")
    })
}

/// Create the scenario for the local `date` through the use cases: service area, sites,
/// partners (a webhook partner `i` is offered jobs at `partner_urls[i]`, a booking API `i` is
/// called at that base URL), recipients, enrolments and their
/// pauses, the day's meal orders, and the prescriptions. Meant for a fresh database.
///
/// Prescriptions whose `deliver_by` is already past on the process clock are refused by intake,
/// so load a day before it starts (the demo's clock does).
pub async fn load(
    dispatch: &Dispatch,
    admin: &Principal,
    scenario: &Scenario,
    date: NaiveDate,
    partner_urls: &[String],
) -> Result<Loaded, DispatchError> {
    let tz = scenario.check()?;
    if partner_urls.len() < scenario.partners.len() {
        return Err(crate::dispatch::invalid(
            "partner_urls",
            "required",
            format!(
                "{} partners need {} webhook URLs, got {}",
                scenario.partners.len(),
                scenario.partners.len(),
                partner_urls.len()
            ),
        ));
    }
    if let Some(bad) = partner_urls
        .iter()
        .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
    {
        return Err(crate::dispatch::invalid(
            "partner_urls",
            "invalid_url",
            format!("expected an http(s) URL, got {bad:?}"),
        ));
    }
    let single = |e: FieldError| DispatchError::Invalid(vec![e]);

    dispatch
        .set_service_area(admin, scenario.service_area.clone())
        .await?;

    let mut sites = Vec::new();
    for (kind, specs) in [
        (SiteKind::Pharmacy, &scenario.pharmacies),
        (SiteKind::Kitchen, &scenario.kitchens),
    ] {
        let mut ids = Vec::with_capacity(specs.len());
        for s in specs {
            let site = Site {
                id: SiteId::new(),
                kind,
                name: s.name.clone(),
                location: s.location,
                address: s.address.clone(),
                phone: phone("phone", s.phone.as_deref()).map_err(single)?,
                time_zone: tz,
                opening_hours: s.opening_hours.clone(),
                active: true,
            };
            ids.push(dispatch.create_site(admin, site).await?.id);
        }
        sites.push(ids);
    }
    let kitchens = sites.pop().unwrap_or_default();
    let pharmacies = sites.pop().unwrap_or_default();

    let mut partners = Vec::with_capacity(scenario.partners.len());
    for (p, url) in scenario.partners.iter().zip(partner_urls) {
        let partner = Partner {
            id: PartnerId::new(),
            name: p.name.clone(),
            kind: p.kind,
            // A booking API's base URL.
            webhook_url: Some(url.clone()),
            capabilities: p.capabilities.clone(),
            fare: p.fare.clone(),
            rank: p.rank,
            offer_timeout_s: p.offer_timeout_s,
            service_area: None,
            active: true,
        };
        partners.push(dispatch.create_partner(admin, partner).await?);
    }

    let mut recipients = Vec::with_capacity(scenario.recipients.len());
    for r in &scenario.recipients {
        let rec = Recipient {
            id: RecipientId::new(),
            name: r.name.clone(),
            phone: phone("phone", r.phone.as_deref()).map_err(single)?,
            address: r.address.clone(),
            landmark: r.landmark.clone(),
            location: r.location,
            location_source: r.location.map(|_| "pin".to_owned()),
            location_precision_m: r.location.map(|_| 10.0),
            village: r.village.clone(),
            kecamatan: r.kecamatan.clone(),
            notes: r.notes.clone(),
            village_code: None,
            nik_last4: None,
            medical_record_no: None,
        };
        recipients.push(dispatch.create_recipient(admin, rec).await?.id);
    }

    let mut enrolments = Vec::with_capacity(scenario.enrolments.len());
    for e in &scenario.enrolments {
        let weekdays = Weekdays::parse(&e.weekdays).map_err(|err| {
            crate::dispatch::invalid("weekdays", "invalid_value", err.to_string())
        })?;
        let enrolment = Enrolment {
            id: EnrolmentId::new(),
            recipient_id: recipients[e.recipient],
            kitchen_id: kitchens[e.kitchen],
            weekdays,
            meals: vec![Meal {
                name: "siang".into(),
                window: e.window,
            }],
            diet_notes: e.diet_notes.clone(),
            start_date: day(
                date,
                -i64::from(e.started_days_before),
                "started_days_before",
            )?,
            end_date: None,
            ended_reason: None,
            pauses: Vec::new(),
        };
        let id = dispatch.create_enrolment(admin, enrolment).await?.id;
        if let Some(p) = &e.pause {
            let pause = Pause {
                from: day(date, i64::from(p.from_day), "pause.from_day")?,
                until: p
                    .until_day
                    .map(|u| day(date, i64::from(u), "pause.until_day"))
                    .transpose()?,
                reason: p.reason,
            };
            dispatch.pause_enrolment(admin, id, pause, &p.note).await?;
        }
        enrolments.push(id);
    }

    let meal_day = dispatch.generate_meal_day(admin, date).await?;
    let ours: HashSet<EnrolmentId> = enrolments.iter().copied().collect();
    let mut meal_orders = Vec::new();
    for page in 1.. {
        let batch = dispatch
            .list_orders(
                admin,
                ListOrders {
                    kind: Some(OrderKind::Meal),
                    date: Some(date),
                    page,
                    per_page: 500,
                    ..ListOrders::default()
                },
            )
            .await?;
        let last = batch.len() < 500;
        meal_orders.extend(
            batch
                .into_iter()
                .filter(|o| o.enrolment_id.is_some_and(|e| ours.contains(&e)))
                .map(|o| o.id),
        );
        if last {
            break;
        }
    }

    let mut medicine_orders = Vec::with_capacity(scenario.prescriptions.len());
    let mut pins = BTreeMap::new();
    for p in &scenario.prescriptions {
        let window = TimeWindow::new(
            local_to_utc(date, p.ready_at, tz),
            local_to_utc(date, p.deliver_by, tz),
        )
        .map_err(|e| crate::dispatch::invalid("deliver_by", "invalid_window", e.to_string()))?;
        let np = NewPrescription {
            site_id: Some(pharmacies[p.pharmacy]),
            patient_name: p.patient_name.clone(),
            phone: phone("phone", p.phone.as_deref()).map_err(single)?,
            address: p.address.clone(),
            landmark: p.landmark.clone(),
            location: p.location,
            location_text: None,
            medical_record_no: Some(p.medical_record_no.clone()),
            parcels: p.parcels,
            cold_chain_max_minutes: p.cold_chain_max_minutes,
            controlled: p.controlled,
            priority: p.priority,
            window,
            clinical_notes: p.clinical_notes.clone(),
            external_ref: Some(p.external_ref.clone()),
        };
        let created = dispatch.create_prescription(admin, None, np).await?;
        if let Some(pin) = created.pin {
            pins.insert(created.order.id, pin);
        }
        medicine_orders.push(created.order.id);
    }

    Ok(Loaded {
        pharmacies,
        kitchens,
        partners,
        recipients,
        enrolments,
        meal_day,
        meal_orders,
        medicine_orders,
        pins,
    })
}

// ---------------------------------------------------------------------------------------------
// The generator. Only integer-exact or plain arithmetic (no trigonometry) goes into the output,
// so the fixture is reproducible on any platform.

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_195.0;
/// cos(8.22°): metres per degree of longitude shrink by this much in Banyuwangi.
const COS_LAT: f64 = 0.98973;
/// Homes are placed at most this far from a road point (each axis), metres.
const JITTER_M: f64 = 20.0;
/// And never farther than this from a ridable road.
const MAX_ROAD_M: f64 = 40.0;

const RECIPIENTS: usize = 300;
const PRESCRIPTIONS: usize = 150;

/// Kelurahan of Kecamatan Banyuwangi, given to the town's neighbourhoods north to south.
const KELURAHAN: [&str; 18] = [
    "Lateng",
    "Kampung Mandar",
    "Kampung Melayu",
    "Temenggungan",
    "Sobo",
    "Panderejo",
    "Singonegaran",
    "Kepatihan",
    "Penganjuran",
    "Tukangkayu",
    "Taman Baru",
    "Singotrunan",
    "Pengantigan",
    "Kertosari",
    "Karangrejo",
    "Kebalenan",
    "Sumberrejo",
    "Pakis",
];

const STREETS: [&str; 24] = [
    "Jl. Ahmad Yani",
    "Jl. Basuki Rahmat",
    "Jl. Brawijaya",
    "Jl. Diponegoro",
    "Jl. Raya Jambu",
    "Jl. Letkol Istiqlah",
    "Jl. Adi Sucipto",
    "Jl. PB Sudirman",
    "Jl. Jaksa Agung Suprapto",
    "Jl. Hayam Wuruk",
    "Jl. Gajah Mada",
    "Jl. Kolonel Sugiono",
    "Jl. MT Haryono",
    "Jl. Ikan Tongkol",
    "Jl. Sritanjung",
    "Jl. Kepiting",
    "Jl. Wijaya Kusuma",
    "Jl. Kapten Ilyas",
    "Jl. Banterang",
    "Jl. Satsui Tubun",
    "Gg. Mawar",
    "Gg. Melati",
    "Gg. Kenanga",
    "Gg. Flamboyan",
];

const LANDMARKS: [&str; 16] = [
    "depan masjid",
    "samping toko kelontong",
    "belakang SD Negeri",
    "dekat pos ronda",
    "sebelah musala",
    "rumah cat hijau, pagar bambu",
    "seberang warung kopi",
    "sebelah bengkel motor",
    "dekat jembatan Kali Lo",
    "depan pangkalan ojek",
    "gang sebelah balai RW",
    "samping lapangan voli",
    "belakang pasar",
    "dekat makam umum",
    "rumah ujung gang, pintu biru",
    "sebelah penjahit",
];

const ELDER_WOMEN: [&str; 24] = [
    "Sumiati",
    "Painah",
    "Sulastri",
    "Siti Aminah",
    "Tumini",
    "Juwariyah",
    "Sarminah",
    "Kasiyem",
    "Poniyem",
    "Rukayah",
    "Sutinah",
    "Mariyam",
    "Fatimah",
    "Kholifah",
    "Asih",
    "Suwarni",
    "Misnah",
    "Saudah",
    "Nur Aini",
    "Supiyah",
    "Satumi",
    "Mukinah",
    "Sartini",
    "Romlah",
];

const ELDER_MEN: [&str; 20] = [
    "Slamet",
    "Sukarno",
    "Paimin",
    "Karto",
    "Ngadimin",
    "Suparman",
    "Abdul Rahman",
    "Sahlan",
    "Mujiono",
    "Sarip",
    "Rasimin",
    "Tukiman",
    "Misdi",
    "Samsul",
    "Hasan",
    "Muhammad Sholeh",
    "Juhari",
    "Senadi",
    "Sanusi",
    "Marsum",
];

const FIRST_WOMEN: [&str; 16] = [
    "Dewi",
    "Rina",
    "Nur",
    "Siti",
    "Yuliana",
    "Ika",
    "Wulan",
    "Lilik",
    "Endang",
    "Ratna",
    "Fitri",
    "Ani",
    "Sri",
    "Indah",
    "Rahmawati",
    "Yuni",
];

const FIRST_MEN: [&str; 16] = [
    "Agus", "Budi", "Eko", "Ahmad", "Hendra", "Joko", "Rudi", "Imam", "Bambang", "Yusuf", "Arif",
    "Dedi", "Taufik", "Wahyu", "Hadi", "Didik",
];

const FAMILY: [&str; 16] = [
    "Santoso",
    "Lestari",
    "Setiawan",
    "Wulandari",
    "Prasetyo",
    "Hidayah",
    "Fauzi",
    "Susanto",
    "Rahayu",
    "Hartono",
    "Kurniawan",
    "Sulistyowati",
    "Hidayat",
    "Purnomo",
    "Maulana",
    "Handayani",
];

const KITCHENS: [&str; 12] = [
    "Warung Bu Sri",
    "Dapur Mbak Yuni",
    "Warung Makan Bu Tin",
    "Dapur Bu Ida",
    "Warung Pecel Mbok Sum",
    "Warung Osing Bu Atik",
    "Dapur Mak Nah",
    "Warung Rawon Bu Lilik",
    "Warung Bu Endang",
    "Dapur Bu Yati",
    "Warung Nasi Tempong Mbak Ika",
    "Dapur Sehat Bu Rahma",
];

const MOBILE_PREFIXES: [&str; 14] = [
    "0812", "0813", "0821", "0822", "0852", "0853", "0856", "0857", "0858", "0815", "0817", "0818",
    "0877", "0878",
];

const DIETS: [&str; 6] = [
    "rendah garam",
    "lunak, tanpa sambal",
    "rendah gula",
    "tanpa santan",
    "bubur, sulit mengunyah",
    "rendah garam, tanpa jeroan",
];

const STAFF_NOTES: [&str; 6] = [
    "tinggal sendiri",
    "tinggal sendiri; pendengaran kurang, ketuk pintu agak keras",
    "tinggal sendiri; memakai kursi roda",
    "tinggal sendiri; anak di Surabaya, kontak tetangga sebelah",
    "tinggal sendiri; sering di teras pagi hari",
    "tinggal sendiri; rumah sering terkunci, titip ke tetangga bila tidak ada",
];

const ROUTINE_NOTES: [&str; 10] = [
    "Hipertensi, amlodipin 10 mg 1x1",
    "DM tipe 2, metformin 500 mg 3x1",
    "TB paru, OAT fase lanjutan bulan ke-4",
    "Kontrol pasca rawat inap, antibiotik oral 5 hari",
    "Gagal jantung, furosemid 40 mg pagi",
    "Asma, inhaler salbutamol",
    "Anemia, tablet Fe 1x1",
    "Gastritis, omeprazol 20 mg sebelum makan",
    "Asam urat, allopurinol 100 mg",
    "Kolesterol, simvastatin 20 mg malam",
];

const COLD_NOTES: [&str; 3] = [
    "DM tipe 1, insulin glargine 10 IU malam; simpan 2–8 °C",
    "DM tipe 2, insulin aspart sebelum makan; simpan 2–8 °C",
    "DM gestasional, insulin NPH; simpan 2–8 °C",
];

const CONTROLLED_NOTES: [&str; 3] = [
    "Nyeri kanker, morfin oral lepas lambat",
    "Epilepsi, fenobarbital 30 mg 2x1",
    "Nyeri pasca operasi, kodein 10 mg",
];

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Squared planar distance in degrees of latitude (enough to rank neighbours in one town).
fn d2(a: LatLon, b: LatLon) -> f64 {
    let dy = a.lat() - b.lat();
    let dx = (a.lon() - b.lon()) * COS_LAT;
    dy * dy + dx * dx
}

struct Generator<'g> {
    graph: &'g RoadGraph,
    seed: u64,
    rng: StdRng,
    /// Every road point of the graph, deduplicated and sorted.
    points: Vec<LatLon>,
    min: LatLon,
    max: LatLon,
    /// Kelurahan centres, in [`KELURAHAN`] order.
    centres: Vec<LatLon>,
}

impl<'g> Generator<'g> {
    fn new(graph: &'g RoadGraph, seed: u64) -> Self {
        let mut keys = BTreeSet::new();
        for line in graph.roads() {
            for p in line.geometry {
                keys.insert((
                    (p.lat() * 1e7).round() as i64,
                    (p.lon() * 1e7).round() as i64,
                ));
            }
        }
        let mut points: Vec<LatLon> = keys
            .into_iter()
            .filter_map(|(la, lo)| LatLon::new(la as f64 / 1e7, lo as f64 / 1e7).ok())
            .collect();
        if points.is_empty() {
            // An empty graph cannot be imported; keep the generator total anyway.
            points.extend(LatLon::new(-8.2191, 114.3691));
        }
        let fold = |f: fn(f64, f64) -> f64, g: fn(LatLon) -> f64| {
            points.iter().map(|&p| g(p)).reduce(f).unwrap_or(0.0)
        };
        let (lat0, lat1) = (fold(f64::min, LatLon::lat), fold(f64::max, LatLon::lat));
        let (lon0, lon1) = (fold(f64::min, LatLon::lon), fold(f64::max, LatLon::lon));
        let at = |lat: f64, lon: f64| LatLon::new(lat, lon).unwrap_or(points[0]);
        let centres = cluster_centres(&points, KELURAHAN.len());
        Self {
            graph,
            seed,
            rng: StdRng::seed_from_u64(seed),
            min: at(lat0, lon0),
            max: at(lat1, lon1),
            points,
            centres,
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// The road point nearest `target`.
    fn nearest_point(&self, target: LatLon) -> LatLon {
        self.points
            .iter()
            .copied()
            .min_by(|a, b| d2(*a, target).total_cmp(&d2(*b, target)))
            .unwrap_or(target)
    }

    /// A home a few metres off a road point, never farther than [`MAX_ROAD_M`] from a road.
    fn home(&mut self) -> LatLon {
        let mut base = self.points[0];
        for _ in 0..20 {
            base = self.points[self.rng.random_range(0..self.points.len())];
            let dy = self.rng.random_range(-JITTER_M..=JITTER_M);
            let dx = self.rng.random_range(-JITTER_M..=JITTER_M);
            let Ok(p) = LatLon::new(
                round6(base.lat() + dy / M_PER_DEG),
                round6(base.lon() + dx / (M_PER_DEG * COS_LAT)),
            ) else {
                continue;
            };
            if self.graph.snap(p).is_ok_and(|s| s.distance_m <= MAX_ROAD_M) {
                return p;
            }
        }
        base
    }

    fn village(&self, p: LatLon) -> &'static str {
        let i = (0..self.centres.len())
            .min_by(|&a, &b| d2(self.centres[a], p).total_cmp(&d2(self.centres[b], p)))
            .unwrap_or(0);
        KELURAHAN[i]
    }

    fn address(&mut self, village: &str) -> String {
        let street = *self.pick(&STREETS);
        let no = self.rng.random_range(1..=120);
        let rt = self.rng.random_range(1..=6);
        let rw = self.rng.random_range(1..=4);
        format!("{street} No. {no}, RT {rt:02}/RW {rw:02}, Kel. {village}")
    }

    /// A mobile number written one of the ways people write them.
    fn mobile(&mut self) -> String {
        let prefix = *self.pick(&MOBILE_PREFIXES);
        let a = self.rng.random_range(1000..10_000);
        let b = self.rng.random_range(1000..10_000);
        match self.rng.random_range(0..4) {
            0 => format!("{prefix}-{a}-{b}"),
            1 => format!("{prefix}{a}{b}"),
            2 => format!("+62 {} {a} {b}", &prefix[1..]),
            _ => format!("62{}{a}{b}", &prefix[1..]),
        }
    }

    fn elder_name(&mut self) -> String {
        if self.rng.random_bool(0.62) {
            let name = *self.pick(&ELDER_WOMEN);
            let title = *self.pick(&["Mbah", "Mbah", "Hj.", "Ibu", "Mak", "Mbok", ""]);
            title_name(title, name)
        } else {
            let name = *self.pick(&ELDER_MEN);
            let title = *self.pick(&["Mbah", "Mbah", "H.", "Bapak", "Pak", ""]);
            title_name(title, name)
        }
    }

    fn person_name(&mut self) -> String {
        let first = if self.rng.random_bool(0.5) {
            *self.pick(&FIRST_WOMEN)
        } else {
            *self.pick(&FIRST_MEN)
        };
        if self.rng.random_bool(0.8) {
            format!("{first} {}", self.pick(&FAMILY))
        } else {
            first.to_owned()
        }
    }

    fn run(mut self) -> Scenario {
        let every_day = OpeningHours(vec![OpeningSpan {
            days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .map(String::from)
                .to_vec(),
            open: hm(6, 0),
            close: hm(14, 0),
        }]);
        let mon_sat = OpeningHours(vec![OpeningSpan {
            days: ["mon", "tue", "wed", "thu", "fri", "sat"]
                .map(String::from)
                .to_vec(),
            open: hm(7, 0),
            close: hm(16, 0),
        }]);

        // Pharmacies: one near the town centre (RSUD Blambangan), one in the south-west.
        let (min, max) = (self.min, self.max);
        let spot = |fy: f64, fx: f64| {
            LatLon::new(
                max.lat() - fy * (max.lat() - min.lat()),
                min.lon() + fx * (max.lon() - min.lon()),
            )
            .unwrap_or(min)
        };
        let pharmacies = vec![
            SiteSpec {
                name: "Depo Farmasi RSUD Blambangan".into(),
                address: "Jl. Letkol Istiqlah No. 49, Kel. Singonegaran".into(),
                phone: Some("(0333) 421118".into()),
                location: self.nearest_point(spot(0.35, 0.60)),
                opening_hours: mon_sat.clone(),
            },
            SiteSpec {
                name: "Instalasi Farmasi RSUD Genteng".into(),
                address: "Jl. Hasanudin No. 98, Kel. Kebalenan".into(),
                phone: Some("(0333) 845839".into()),
                location: self.nearest_point(spot(0.75, 0.25)),
                opening_hours: mon_sat,
            },
        ];

        // Kitchens: one in each of twelve neighbourhoods of roughly equal road length.
        let mut kitchens = Vec::with_capacity(KITCHENS.len());
        let spots = cluster_centres(&dense(&self.points), KITCHENS.len());
        for (name, spot) in KITCHENS.iter().zip(spots) {
            let location = self.nearest_point(spot);
            let village = self.village(location);
            kitchens.push(SiteSpec {
                name: (*name).to_owned(),
                address: self.address(village),
                phone: Some(self.mobile()),
                location,
                opening_hours: every_day.clone(),
            });
        }

        let partners = vec![
            PartnerSpec {
                name: "Ojek Sim A".into(),
                kind: PartnerKind::Webhook,
                rank: 1,
                capabilities: Capabilities {
                    max_stops: 8,
                    capacity: 18,
                    cold_box: true,
                    controlled_handover: true,
                    max_concurrent_jobs: None,
                },
                fare: FareModel {
                    base_idr: 8_000,
                    per_km_idr: 2_000,
                    cap_idr: Some(40_000),
                },
                offer_timeout_s: 120,
                sim: PartnerBehaviour::Webhook(WebhookBehaviour {
                    accept_rate: 0.85,
                    fail_rate: 0.03,
                    answer_after_s: 20,
                    pickup_after_min: 12,
                }),
            },
            PartnerSpec {
                name: "Ojek Sim B".into(),
                kind: PartnerKind::Webhook,
                rank: 2,
                capabilities: Capabilities {
                    max_stops: 5,
                    capacity: 12,
                    cold_box: false,
                    controlled_handover: false,
                    max_concurrent_jobs: None,
                },
                fare: FareModel {
                    base_idr: 10_000,
                    per_km_idr: 2_500,
                    cap_idr: None,
                },
                offer_timeout_s: 120,
                sim: PartnerBehaviour::Webhook(WebhookBehaviour {
                    accept_rate: 0.7,
                    fail_rate: 0.06,
                    answer_after_s: 45,
                    pickup_after_min: 18,
                }),
            },
            // The last resort: a courier company booked one pickup to one drop at a time, dearer
            // than the ride-hailing partners (with surge on top), so the planner rarely chooses
            // it; it gets what both of them turn down. Its bookings carry no cold box and no
            // PIN handover (the booking API has no way to ask for either).
            PartnerSpec {
                name: "Kurir Kilat".into(),
                kind: PartnerKind::BookingApi,
                rank: 3,
                capabilities: Capabilities {
                    max_stops: 1,
                    capacity: 6,
                    cold_box: false,
                    controlled_handover: false,
                    max_concurrent_jobs: None,
                },
                fare: FareModel {
                    base_idr: 9_000,
                    per_km_idr: 2_500,
                    cap_idr: None,
                },
                // Its offer stays open while every stop's booking looks for a driver.
                offer_timeout_s: 1_200,
                sim: PartnerBehaviour::Booking(BookingBehaviour {
                    no_driver_rate: 0.05,
                    surge_min: 1.0,
                    surge_max: 1.4,
                    step_delay_s: 240,
                    cancel_fee_idr: 5_000,
                }),
            },
        ];

        // Recipients and their enrolments.
        let mut recipients = Vec::with_capacity(RECIPIENTS);
        let mut enrolments = Vec::with_capacity(RECIPIENTS);
        for i in 0..RECIPIENTS {
            let home = self.home();
            let village = self.village(home);
            let unmapped = i % 100 == 37;
            let phone = (!self.rng.random_bool(0.12)).then(|| self.mobile());
            let name = self.elder_name();
            let address = self.address(village);
            let landmark = (*self.pick(&LANDMARKS)).to_owned();
            let notes = if unmapped {
                "tinggal sendiri; lokasi belum dipetakan, tanya ketua RT".to_owned()
            } else {
                (*self.pick(&STAFF_NOTES)).to_owned()
            };
            recipients.push(RecipientSpec {
                name,
                phone,
                address,
                landmark,
                location: (!unmapped).then_some(home),
                village: village.to_owned(),
                kecamatan: "Banyuwangi".into(),
                notes,
            });
            // One of the three nearest kitchens, the nearest most often.
            let mut by_distance: Vec<usize> = (0..kitchens.len()).collect();
            by_distance.sort_by(|&a, &b| {
                d2(kitchens[a].location, home).total_cmp(&d2(kitchens[b].location, home))
            });
            let kitchen = by_distance[*self.pick(&[0, 0, 0, 1, 1, 2])];
            let weekdays: &[&str] = if self.rng.random_bool(0.8) {
                &["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            } else {
                &["mon", "tue", "wed", "thu", "fri", "sat"]
            };
            let window = if self.rng.random_bool(0.9) {
                LocalWindow::new(hm(10, 30), hm(12, 30))
            } else {
                LocalWindow::new(hm(11, 0), hm(13, 0))
            };
            let diet_notes = if self.rng.random_bool(0.15) {
                (*self.pick(&DIETS)).to_owned()
            } else {
                String::new()
            };
            let pause = (i % 60 == 11).then(|| PauseSpec {
                from_day: -self.rng.random_range(1..=4),
                until_day: self
                    .rng
                    .random_bool(0.6)
                    .then(|| self.rng.random_range(2..=7)),
                reason: PauseReason::Hospitalised,
                note: "dirawat inap di RSUD Blambangan".into(),
            });
            enrolments.push(EnrolmentSpec {
                recipient: i,
                kitchen,
                weekdays: weekdays.iter().map(|d| (*d).to_owned()).collect(),
                window: window.unwrap_or(LocalWindow {
                    start: hm(10, 30),
                    end: hm(12, 30),
                }),
                diet_notes,
                started_days_before: self.rng.random_range(14..=400),
                pause,
            });
        }

        // The day's prescriptions.
        let mapped: Vec<usize> = (0..recipients.len())
            .filter(|&i| recipients[i].location.is_some())
            .collect();
        let mut prescriptions = Vec::with_capacity(PRESCRIPTIONS);
        for i in 0..PRESCRIPTIONS {
            let pharmacy = usize::from(!self.rng.random_bool(0.6));
            let recipient = if self.rng.random_bool(0.2) && !mapped.is_empty() {
                Some(*self.pick(&mapped))
            } else {
                None
            };
            let (patient_name, phone, address, landmark, location) = match recipient {
                Some(r) => {
                    let r = &recipients[r];
                    (
                        r.name.clone(),
                        r.phone.clone(),
                        r.address.clone(),
                        r.landmark.clone(),
                        r.location,
                    )
                }
                None => {
                    let home = self.home();
                    let village = self.village(home);
                    let name = self.person_name();
                    let phone = (!self.rng.random_bool(0.05)).then(|| self.mobile());
                    let address = self.address(village);
                    let landmark = (*self.pick(&LANDMARKS)).to_owned();
                    (name, phone, address, landmark, Some(home))
                }
            };
            let parcels = *self.pick(&[1, 1, 1, 1, 1, 1, 2, 2, 2, 3]);
            let cold = self.rng.random_bool(0.08);
            let controlled = !cold && self.rng.random_bool(0.05);
            let urgent = self.rng.random_bool(0.10);
            let ready_min = 8 * 60 + 5 * self.rng.random_range(0..=78u32);
            let within = 15 * self.rng.random_range(8..=16u32);
            let deliver_min = ready_min + within;
            let cold_chain_max_minutes = cold.then(|| 15 * self.rng.random_range(4..=8u32));
            let clinical_notes = Some(if cold {
                (*self.pick(&COLD_NOTES)).to_owned()
            } else if controlled {
                (*self.pick(&CONTROLLED_NOTES)).to_owned()
            } else {
                (*self.pick(&ROUTINE_NOTES)).to_owned()
            });
            let code = ["BLB", "GTG"][pharmacy];
            prescriptions.push(PrescriptionSpec {
                pharmacy,
                recipient,
                patient_name,
                phone,
                address,
                landmark,
                location,
                medical_record_no: format!(
                    "{code}-{:02}-{:02}-{:02}",
                    self.rng.random_range(0..100),
                    self.rng.random_range(0..100),
                    self.rng.random_range(0..100)
                ),
                external_ref: format!("SIMRS-{code}-RX{:05}", i + 1),
                parcels,
                priority: if urgent {
                    Priority::Urgent
                } else {
                    Priority::Routine
                },
                cold_chain_max_minutes,
                controlled,
                ready_at: hm(ready_min / 60, ready_min % 60),
                deliver_by: hm(deliver_min / 60, deliver_min % 60),
                clinical_notes,
            });
        }

        let margin = 0.01;
        let service_area = ServiceArea::Bbox {
            min: LatLon::new(round6(min.lat() - margin), round6(min.lon() - margin)).unwrap_or(min),
            max: LatLon::new(round6(max.lat() + margin), round6(max.lon() + margin)).unwrap_or(max),
        };

        Scenario {
            name: "Sehari di kota Banyuwangi (Rantang Kasih dan Gancang Aron)".into(),
            seed: self.seed,
            time_zone: "Asia/Jakarta".into(),
            service_area,
            pharmacies,
            kitchens,
            partners,
            recipients,
            enrolments,
            prescriptions,
        }
    }
}

/// The points in the built-up part of town: those with at least half the median number of
/// neighbours within 250 m (so a long road out of town gets no kitchen of its own).
fn dense(points: &[LatLon]) -> Vec<LatLon> {
    let r = 250.0 / M_PER_DEG;
    let counts: Vec<usize> = points
        .iter()
        .map(|&p| points.iter().filter(|&&q| d2(p, q) <= r * r).count())
        .collect();
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
    points
        .iter()
        .zip(&counts)
        .filter(|&(_, &c)| 2 * c >= median)
        .map(|(&p, _)| p)
        .collect()
}

/// `k` centres of the points' clusters (Lloyd's k-means, started from points spread through
/// the sorted list), ordered north to south.
fn cluster_centres(points: &[LatLon], k: usize) -> Vec<LatLon> {
    if points.is_empty() || k == 0 {
        return Vec::new();
    }
    let mut centres: Vec<LatLon> = (0..k).map(|i| points[i * points.len() / k]).collect();
    for _ in 0..25 {
        let mut sums = vec![(0.0, 0.0, 0usize); k];
        for &p in points {
            let c = (0..k)
                .min_by(|&a, &b| d2(centres[a], p).total_cmp(&d2(centres[b], p)))
                .unwrap_or(0);
            sums[c].0 += p.lat();
            sums[c].1 += p.lon();
            sums[c].2 += 1;
        }
        for (c, (lat, lon, n)) in centres.iter_mut().zip(sums) {
            if n > 0
                && let Ok(p) = LatLon::new(lat / n as f64, lon / n as f64)
            {
                *c = p;
            }
        }
    }
    centres.sort_by(|a, b| {
        b.lat()
            .total_cmp(&a.lat())
            .then(a.lon().total_cmp(&b.lon()))
    });
    centres
}

fn title_name(title: &str, name: &str) -> String {
    if title.is_empty() {
        name.to_owned()
    } else {
        format!("{title} {name}")
    }
}
