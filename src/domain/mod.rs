//! The domain: ids, orders and their state machine, sites, recipients, enrolments, partners,
//! time windows, travel matrices.
//!
//! Pure: no I/O, no async, no SQL, no HTTP. Storage rows and API bodies convert into these types
//! at the edges (`store`, `api`), so every value here has already been parsed and checked.

pub mod access;
pub mod area;
pub mod enrolment;
pub mod geo;
pub mod ids;
pub mod job;
pub mod location;
pub mod matrix;
pub mod nik;
pub mod order;
pub mod phone;
pub mod records;
pub mod sheet;
pub mod site;
pub mod time;

pub use access::{Principal, Role};
pub use geo::{LatLon, LatLonError};
pub use ids::{
    AlertId, CourierId, EnrolmentId, OrderId, PartnerId, PlanId, RecipientId, SiteId, TokenId,
    UserId,
};
pub use job::{AlertKind, AlertStatus, JobStatus, OfferStatus, PartnerKind, StopStatus};
pub use matrix::TravelMatrix;
pub use order::{IllegalTransition, OrderKind, OrderStatus, Priority};
pub use phone::Phone;
pub use site::{ServiceArea, SiteKind};
pub use time::{LocalWindow, TimeWindow, Weekdays};
