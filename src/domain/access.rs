//! Who may act: roles carried by API tokens and the principal of a request.
//!
//! Owns: [`Role`], [`Principal`]. Pure; how a token is checked lives in `dispatch`/`store`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ids::{PartnerId, SiteId, TokenId};
use super::order::UnknownStatus;

/// A token's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Operators: everything.
    Admin,
    /// Pharmacy staff, bound to one pharmacy site.
    Pharmacist,
    /// Social-service staff: recipients, enrolments, meal days, monitoring.
    SocialWorker,
    /// A courier partner's integration, bound to one partner.
    Partner,
}

impl Role {
    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Pharmacist => "pharmacist",
            Self::SocialWorker => "social_worker",
            Self::Partner => "partner",
        }
    }
}

impl FromStr for Role {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "pharmacist" => Ok(Self::Pharmacist),
            "social_worker" => Ok(Self::SocialWorker),
            "partner" => Ok(Self::Partner),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token used.
    pub token_id: TokenId,
    /// A readable name for the audit log.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The pharmacy a pharmacist is bound to.
    pub site_id: Option<SiteId>,
    /// The partner a partner token is bound to.
    pub partner_id: Option<PartnerId>,
}

impl Principal {
    /// The site filter this principal must see orders through: `Some` for a pharmacist.
    pub fn site_scope(&self) -> Option<SiteId> {
        match self.role {
            Role::Pharmacist => self.site_id,
            _ => None,
        }
    }

    /// A label for the audit log: `role:name`.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.name)
    }
}
