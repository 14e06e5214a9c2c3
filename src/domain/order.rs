//! Orders (a meal or a medicine delivery) and their state machine.
//!
//! Owns: [`OrderKind`], [`OrderStatus`], [`Priority`] and the rules for which status may follow
//! which. Must not depend on storage or transport: callers load an order, ask
//! [`OrderStatus::transition`] and store the result.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// A cooked meal in a rantang, from a kitchen.
    Meal,
    /// A prescription from a pharmacy.
    Medicine,
}

/// How soon a medicine must arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Served first when not everything fits.
    Urgent,
    /// The normal case.
    #[default]
    Routine,
}

/// Where an order is in its life. See DESIGN.md section 3.
///
/// ```text
/// needs_location → ready → planned → offered → assigned → picked_up → delivered
///        └──────────┴────────┴─────────┴──────────┴→ cancelled (any state before pickup)
/// picked_up → failed → returning → returned_to_pharmacy → ready (a new attempt)   (medicine)
/// picked_up → failed                                                             (meal: final, raises a welfare alert)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// No usable pin yet; staff must fix the location before it can be planned.
    NeedsLocation,
    /// Waiting for the next planning wave.
    Ready,
    /// Part of a plan, not yet offered to a partner.
    Planned,
    /// Its job is offered to a partner.
    Offered,
    /// A partner accepted its job.
    Assigned,
    /// The courier has it.
    PickedUp,
    /// Handed over.
    Delivered,
    /// Could not be handed over.
    Failed,
    /// A medicine on its way back to the pharmacy.
    Returning,
    /// A medicine back at the pharmacy, confirmed by a pharmacist.
    ReturnedToPharmacy,
    /// Cancelled before pickup.
    Cancelled,
}

/// A refused state change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct IllegalTransition {
    /// Current status.
    pub from: OrderStatus,
    /// Requested status.
    pub to: OrderStatus,
}

impl OrderStatus {
    /// Every status, in life order.
    pub const ALL: [OrderStatus; 11] = [
        Self::NeedsLocation,
        Self::Ready,
        Self::Planned,
        Self::Offered,
        Self::Assigned,
        Self::PickedUp,
        Self::Delivered,
        Self::Failed,
        Self::Returning,
        Self::ReturnedToPharmacy,
        Self::Cancelled,
    ];

    /// The stable snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsLocation => "needs_location",
            Self::Ready => "ready",
            Self::Planned => "planned",
            Self::Offered => "offered",
            Self::Assigned => "assigned",
            Self::PickedUp => "picked_up",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Returning => "returning",
            Self::ReturnedToPharmacy => "returned_to_pharmacy",
            Self::Cancelled => "cancelled",
        }
    }

    /// True before the courier has the goods: the order may still be cancelled.
    pub fn is_before_pickup(self) -> bool {
        matches!(
            self,
            Self::NeedsLocation | Self::Ready | Self::Planned | Self::Offered | Self::Assigned
        )
    }

    /// True when nothing more will happen to the order for this kind.
    pub fn is_final(self, kind: OrderKind) -> bool {
        match self {
            Self::Delivered | Self::Cancelled => true,
            Self::Failed => kind == OrderKind::Meal,
            _ => false,
        }
    }

    /// Whether `self → to` is allowed for an order of `kind`.
    pub fn can_become(self, to: OrderStatus, kind: OrderKind) -> bool {
        use OrderStatus::*;
        match (self, to) {
            (s, Cancelled) => s.is_before_pickup(),
            (NeedsLocation, Ready) => true,
            (Ready, NeedsLocation) => true,
            (Ready, Planned) => true,
            // A plan is dropped, or every partner declined and staff re-queue it.
            (Planned | Offered | Assigned, Ready) => true,
            (Planned, Offered) => true,
            (Offered, Assigned) => true,
            (Assigned, PickedUp) => true,
            (PickedUp, Delivered) => true,
            (PickedUp, Failed) => true,
            (Failed, Returning) => kind == OrderKind::Medicine,
            (Returning, ReturnedToPharmacy) => kind == OrderKind::Medicine,
            (ReturnedToPharmacy, Ready) => kind == OrderKind::Medicine,
            _ => false,
        }
    }

    /// Check a transition; the error names both states.
    pub fn transition(
        self,
        to: OrderStatus,
        kind: OrderKind,
    ) -> Result<OrderStatus, IllegalTransition> {
        if self.can_become(to, kind) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown status name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for OrderStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl OrderKind {
    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Meal => "meal",
            Self::Medicine => "medicine",
        }
    }
}

impl FromStr for OrderKind {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "meal" => Ok(Self::Meal),
            "medicine" => Ok(Self::Medicine),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}

impl Priority {
    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::Routine => "routine",
        }
    }
}

impl FromStr for Priority {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "urgent" => Ok(Self::Urgent),
            "routine" => Ok(Self::Routine),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn the_happy_path_is_allowed() {
        let path = [
            NeedsLocation,
            Ready,
            Planned,
            Offered,
            Assigned,
            PickedUp,
            Delivered,
        ];
        for w in path.windows(2) {
            assert!(
                w[0].can_become(w[1], OrderKind::Medicine),
                "{} -> {}",
                w[0],
                w[1]
            );
        }
    }

    #[test]
    fn cancel_is_only_possible_before_pickup() {
        for s in OrderStatus::ALL {
            assert_eq!(
                s.can_become(Cancelled, OrderKind::Meal),
                s.is_before_pickup(),
                "{s}"
            );
        }
    }

    #[test]
    fn a_failed_meal_is_final_but_a_failed_medicine_returns() {
        assert!(!Failed.can_become(Returning, OrderKind::Meal));
        assert!(Failed.can_become(Returning, OrderKind::Medicine));
        assert!(Failed.is_final(OrderKind::Meal));
        assert!(!Failed.is_final(OrderKind::Medicine));
        assert!(ReturnedToPharmacy.can_become(Ready, OrderKind::Medicine));
    }

    #[test]
    fn states_never_move_backwards_after_pickup() {
        for to in [Ready, Planned, Offered, Assigned] {
            assert!(PickedUp.transition(to, OrderKind::Medicine).is_err());
            assert!(Delivered.transition(to, OrderKind::Medicine).is_err());
        }
    }

    #[test]
    fn names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>().unwrap(), s);
        }
    }
}
