//! Typed identifiers. Every entity id is a UUID v7 (time-ordered, so inserts stay local in
//! B-tree indexes) wrapped in its own newtype, so an order id can never be passed where a site id
//! is expected.
//!
//! Owns: the id newtypes. Must not depend on anything but `uuid` and `serde`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A pickup site: a pharmacy or a kitchen.
    SiteId
);
id_type!(
    /// One of our own couriers.
    CourierId
);
id_type!(
    /// A person who receives deliveries (elderly beneficiary or patient).
    RecipientId
);
id_type!(
    /// A meal enrolment.
    EnrolmentId
);
id_type!(
    /// An order (meal or medicine).
    OrderId
);
id_type!(
    /// A courier partner.
    PartnerId
);
id_type!(
    /// A staff user.
    UserId
);
id_type!(
    /// An API token.
    TokenId
);
id_type!(
    /// A stored planning run.
    PlanId
);
id_type!(
    /// An alert for staff (welfare, a job nobody took, a failed medicine).
    AlertId
);
