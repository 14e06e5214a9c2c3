//! Words on the pages, in Bahasa Indonesia (the default) and English.
//!
//! Pure: no HTTP, no storage.

use crate::domain::{AlertKind, AlertStatus, OrderKind, OrderStatus};

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Bahasa Indonesia.
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// `id` or `en`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "id" => Some(Self::Id),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The code for `lang=` and the `<html lang>` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }

    /// Pick the text for this language.
    pub fn t(self, id: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Id => id,
            Self::En => en,
        }
    }

    /// An order state as staff say it.
    pub fn order_status(self, s: OrderStatus) -> &'static str {
        use OrderStatus::*;
        match s {
            NeedsLocation => self.t("perlu lokasi", "needs location"),
            Ready => self.t("siap", "ready"),
            Planned => self.t("direncanakan", "planned"),
            Offered => self.t("ditawarkan", "offered"),
            Assigned => self.t("ada kurir", "assigned"),
            PickedUp => self.t("diantar", "picked up"),
            Delivered => self.t("terkirim", "delivered"),
            Failed => self.t("gagal", "failed"),
            Returning => self.t("kembali", "returning"),
            ReturnedToPharmacy => self.t("kembali ke farmasi", "returned to pharmacy"),
            Cancelled => self.t("dibatalkan", "cancelled"),
        }
    }

    /// A program.
    pub fn kind(self, k: OrderKind) -> &'static str {
        match k {
            OrderKind::Meal => self.t("makan", "meal"),
            OrderKind::Medicine => self.t("obat", "medicine"),
        }
    }

    /// What an alert is about.
    pub fn alert_kind(self, k: AlertKind) -> &'static str {
        match k {
            AlertKind::Welfare => self.t("kesejahteraan", "welfare"),
            AlertKind::JobUnassigned => self.t("tidak ada kurir", "no courier"),
            AlertKind::MedicineFailed => {
                self.t("obat gagal diserahkan", "medicine not handed over")
            }
            AlertKind::PartnerDisabled => self.t("mitra dinonaktifkan", "partner disabled"),
            AlertKind::WaveMissed => self.t("gelombang terlewat", "wave missed"),
        }
    }

    /// An alert's handling state.
    pub fn alert_status(self, s: AlertStatus) -> &'static str {
        match s {
            AlertStatus::Open => self.t("baru", "open"),
            AlertStatus::Acknowledged => self.t("ditangani", "acknowledged"),
            AlertStatus::Closed => self.t("selesai", "closed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_is_the_default_and_unknown_codes_are_refused() {
        assert_eq!(Lang::default(), Lang::Id);
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::En.order_status(OrderStatus::Delivered), "delivered");
    }
}
