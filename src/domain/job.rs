//! Jobs (one courier route offered to one partner at a time), their stops and offers, and
//! alerts for staff, with the rules for which state may follow which.
//!
//! Job states are separate from order states (DESIGN.md section 3):
//! ```text
//! offered → accepted → courier_assigned → picked_up → completed
//!    │          └──────────┴──→ cancelled (before pickup)
//!    └→ expired (every partner declined or let the offer lapse; flagged for staff)
//! ```
//! Partner events never move a job or a stop backwards: [`JobStatus::rank`] and
//! [`StopStatus::rank`] order the states, and an event only applies when it moves forward.
//!
//! Owns: [`JobStatus`], [`StopStatus`], [`OfferStatus`], [`AlertKind`], [`AlertStatus`],
//! [`PartnerKind`] (how a job reaches the people who ride it).
//! Pure: must not depend on storage or transport.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::order::UnknownStatus;

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in life order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case name used in the API and the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownStatus(s.to_owned()))
            }
        }
    };
}

named_enum!(
    /// Where a job is in its life.
    JobStatus {
        /// Offered to a partner, waiting for an answer.
        Offered = "offered",
        /// A partner took it.
        Accepted = "accepted",
        /// The partner named a courier.
        CourierAssigned = "courier_assigned",
        /// The courier has the goods.
        PickedUp = "picked_up",
        /// Every stop is delivered or failed.
        Completed = "completed",
        /// Called off before pickup.
        Cancelled = "cancelled",
        /// Every partner declined or let the offer lapse: staff must handle it.
        Expired = "expired",
    }
);

impl JobStatus {
    /// Progress order: a partner event only applies when it raises the rank.
    pub fn rank(self) -> u8 {
        match self {
            Self::Offered | Self::Expired => 0,
            Self::Accepted => 1,
            Self::CourierAssigned => 2,
            Self::PickedUp => 3,
            Self::Completed | Self::Cancelled => 4,
        }
    }

    /// A partner holds the job (accepted and not finished).
    pub fn is_held(self) -> bool {
        matches!(
            self,
            Self::Accepted | Self::CourierAssigned | Self::PickedUp
        )
    }

    /// Nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }

    /// Stops may still be added or removed (nothing picked up yet).
    pub fn is_before_pickup(self) -> bool {
        matches!(
            self,
            Self::Offered | Self::Accepted | Self::CourierAssigned | Self::Expired
        )
    }
}

named_enum!(
    /// How a partner is reached: the adapter `dispatch` uses when it offers a job.
    PartnerKind {
        /// Our Standard Webhooks contract: `job.offered` out, callbacks in.
        Webhook = "webhook",
        /// Our own couriers: the job is assigned to one of them at once.
        OwnFleet = "own_fleet",
        /// A courier company's booking API (quote → book → status → cancel).
        BookingApi = "booking_api",
    }
);

named_enum!(
    /// Where a stop of a job is.
    StopStatus {
        /// Not reached yet.
        Pending = "pending",
        /// The courier is at the door.
        Arrived = "arrived",
        /// Handed over.
        Delivered = "delivered",
        /// Could not hand over.
        Failed = "failed",
        /// Taken off the job before pickup (cancelled or re-planned).
        Removed = "removed",
    }
);

impl StopStatus {
    /// Progress order.
    pub fn rank(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Arrived => 1,
            Self::Delivered | Self::Failed | Self::Removed => 2,
        }
    }

    /// Nothing more will happen at this stop.
    pub fn is_final(self) -> bool {
        self.rank() == 2
    }
}

named_enum!(
    /// An offer of a job to one partner.
    OfferStatus {
        /// Waiting for the partner's answer until `expires_at`.
        Pending = "pending",
        /// The partner took the job.
        Accepted = "accepted",
        /// The partner declined.
        Rejected = "rejected",
        /// No answer in time.
        Expired = "expired",
        /// antar took it back (job cancelled or re-planned).
        Withdrawn = "withdrawn",
    }
);

named_enum!(
    /// What an alert is about.
    AlertKind {
        /// A meal could not be handed over (not home, refused): someone should check on the person.
        Welfare = "welfare",
        /// A recipient was found unwell (handed over anyway, or too ill to take it): someone
        /// should visit. As urgent as a welfare alert.
        Unwell = "unwell",
        /// Every partner declined a job: staff must find a courier.
        JobUnassigned = "job_unassigned",
        /// A medicine could not be handed over and is on its way back.
        MedicineFailed = "medicine_failed",
        /// A partner's endpoint answered 410 Gone and is disabled.
        PartnerDisabled = "partner_disabled",
        /// A planning wave did not run (the service was down) and is too late to run now.
        WaveMissed = "wave_missed",
    }
);

named_enum!(
    /// Where an alert is in its handling.
    AlertStatus {
        /// Raised, nobody has looked yet.
        Open = "open",
        /// Someone is on it.
        Acknowledged = "acknowledged",
        /// Handled, with a note.
        Closed = "closed",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(*s));
        }
        for s in StopStatus::ALL {
            assert_eq!(s.as_str().parse::<StopStatus>(), Ok(*s));
        }
        for s in AlertKind::ALL {
            assert_eq!(s.as_str().parse::<AlertKind>(), Ok(*s));
        }
        assert!("delivered".parse::<JobStatus>().is_err());
    }

    #[test]
    fn ranks_never_let_an_event_move_backwards() {
        assert!(JobStatus::PickedUp.rank() > JobStatus::CourierAssigned.rank());
        assert!(JobStatus::CourierAssigned.rank() > JobStatus::Accepted.rank());
        assert!(StopStatus::Delivered.rank() > StopStatus::Arrived.rank());
        assert_eq!(StopStatus::Delivered.rank(), StopStatus::Failed.rank());
        assert!(!JobStatus::PickedUp.is_before_pickup());
        assert!(JobStatus::Accepted.is_held() && !JobStatus::Offered.is_held());
    }
}
