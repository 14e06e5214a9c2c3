//! Use cases: what staff, partners and timers ask antar to do, each as one function that checks
//! the rules that need stored data, writes in one transaction (with its audit entry) and returns
//! domain values.
//!
//! Owns: [`Dispatch`] and [`DispatchError`]. May use `domain`, `store`, `crypto`; must not depend
//! on `api` (HTTP is the caller's business: inputs arrive parsed, errors leave as this enum).

pub mod adapters;
pub mod admin;
pub mod bookings;
pub mod events;
pub mod fleet;
pub mod intake;
pub mod invoice;
pub mod jobs;
pub mod links;
pub mod map;
pub mod meals;
pub mod onboarding;
pub mod outbox;
pub mod planning;
pub mod recipients;
pub mod reports;
pub mod roster;
pub mod staff;
pub mod urgent;
pub mod waves;

use std::sync::Arc;

use chrono_tz::Tz;

use crate::crypto::SecretBox;
use crate::domain::{IllegalTransition, LatLon, Principal, Role};
use crate::roads::{RoadGraph, RoadsError};
use crate::store::{Store, StoreError};

/// One bad input field: which, a stable code, and a reason a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path or CSV column, e.g. `patient.location.lat`.
    pub field: String,
    /// Stable machine-readable code, e.g. `out_of_range`.
    pub code: &'static str,
    /// Human explanation.
    pub reason: String,
}

impl FieldError {
    /// Build one.
    pub fn new(field: impl Into<String>, code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            reason: reason.into(),
        }
    }
}

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The input broke one or more rules.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The caller's role may not do this.
    #[error("the {0} role may not do this")]
    Forbidden(&'static str),
    /// No such thing (or not visible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request clashes with stored state.
    #[error("{detail}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Human explanation.
        detail: String,
    },
    /// A state change that the order state machine forbids.
    #[error(transparent)]
    Transition(#[from] IllegalTransition),
    /// Storage failure.
    #[error(transparent)]
    Store(StoreError),
    /// A failure that is antar's fault (e.g. the planner refused a problem we built).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for DispatchError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => DispatchError::NotFound("record"),
            StoreError::Conflict(what) => DispatchError::Conflict {
                code: "conflict",
                detail: format!("already exists: {what}"),
            },
            other => DispatchError::Store(other),
        }
    }
}

impl From<sqlx::Error> for DispatchError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}

/// Result alias.
pub type Result<T, E = DispatchError> = std::result::Result<T, E>;

/// The use cases, over a store. Cheap to clone.
#[derive(Clone)]
pub struct Dispatch {
    store: Store,
    secrets: SecretBox,
    tz: Tz,
    roads: Option<Arc<RoadGraph>>,
    /// Wakes the outbox worker when an event is queued.
    outbox_notify: Arc<tokio::sync::Notify>,
    /// Wakes the booking worker when a company's callback hurried a booking.
    booking_notify: Arc<tokio::sync::Notify>,
    /// Follows map short links, where allowed.
    links: Option<Arc<links::LinkResolver>>,
}

impl Dispatch {
    /// Build over a store, with the master key for secrets and the region's zone.
    pub fn new(store: Store, secrets: SecretBox, tz: Tz) -> Self {
        Self {
            store,
            secrets,
            tz,
            roads: None,
            outbox_notify: Arc::new(tokio::sync::Notify::new()),
            booking_notify: Arc::new(tokio::sync::Notify::new()),
            links: None,
        }
    }

    /// Use a road graph to measure, at intake, how far each pin is from a ridable road.
    pub fn with_roads(mut self, roads: Option<Arc<RoadGraph>>) -> Self {
        self.roads = roads;
        self
    }

    /// The road graph, when one is loaded.
    pub fn roads(&self) -> Option<&Arc<RoadGraph>> {
        self.roads.as_ref()
    }

    /// Metres from `p` to the nearest ridable road (`None` without a road graph). A pin beyond
    /// the snapping limit still gets its distance: intake accepts it and flags it for staff.
    pub fn snap_distance_m(&self, p: LatLon) -> Option<f64> {
        let roads = self.roads.as_ref()?;
        match roads.snap(p) {
            Ok(s) => Some(s.distance_m),
            Err(RoadsError::TooFar { distance_m, .. }) if distance_m.is_finite() => {
                Some(distance_m)
            }
            Err(_) => None,
        }
    }

    /// The snapping limit in metres, when a road graph is loaded.
    pub fn snap_limit_m(&self) -> Option<f64> {
        self.roads.as_ref().map(|r| r.snap_limit_m())
    }

    /// The store (for health checks).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The region's time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }
}

/// Refuse unless the principal has one of `roles`.
pub fn require(p: &Principal, roles: &[Role]) -> Result<()> {
    if roles.contains(&p.role) {
        Ok(())
    } else {
        Err(DispatchError::Forbidden(p.role.as_str()))
    }
}

/// Shorthand for a single-field validation failure.
pub fn invalid(field: &str, code: &'static str, reason: impl Into<String>) -> DispatchError {
    DispatchError::Invalid(vec![FieldError::new(field, code, reason)])
}
