//! Words on the pages, in Bahasa Indonesia (the default) and English: one table for every
//! state, alert kind and reason code that a page shows (Today, the map, reports, admin), so a
//! code is said the same way everywhere. Rupiah amounts are written the Indonesian way in
//! both languages ([`rupiah`]: `Rp 12.500`), as invoices and receipts in Banyuwangi write them.
//!
//! Pure: no HTTP, no storage.

use std::borrow::Cow;

use crate::domain::{AlertKind, AlertStatus, JobStatus, OrderKind, OrderStatus, StopStatus};

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
            AlertKind::Unwell => self.t("Sakit, perlu perhatian", "Unwell, needs attention"),
            AlertKind::JobUnassigned => self.t("tidak ada kurir", "no courier"),
            AlertKind::MedicineFailed => {
                self.t("obat gagal diserahkan", "medicine not handed over")
            }
            AlertKind::PartnerDisabled => self.t("mitra dinonaktifkan", "partner disabled"),
            AlertKind::WaveMissed => self.t("gelombang terlewat", "wave missed"),
        }
    }

    /// A job's state.
    pub fn job_status(self, s: JobStatus) -> &'static str {
        match s {
            JobStatus::Offered => self.t("ditawarkan", "offered"),
            JobStatus::Accepted => self.t("diterima mitra", "accepted"),
            JobStatus::CourierAssigned => self.t("ada kurir", "courier assigned"),
            JobStatus::PickedUp => self.t("diantar", "picked up"),
            JobStatus::Completed => self.t("selesai", "completed"),
            JobStatus::Cancelled => self.t("dibatalkan", "cancelled"),
            JobStatus::Expired => self.t("tidak ada kurir", "no courier"),
        }
    }

    /// An offer's state (`pending`, `accepted`, …); unknown names are shown as they are.
    pub fn offer_status(self, s: &str) -> Cow<'static, str> {
        let t = |id, en| Cow::Borrowed(self.t(id, en));
        match s {
            "pending" => t("menunggu jawaban", "pending"),
            "accepted" => t("diterima", "accepted"),
            "rejected" => t("ditolak", "rejected"),
            "expired" => t("kedaluwarsa", "expired"),
            "withdrawn" => t("ditarik", "withdrawn"),
            other => Cow::Owned(other.to_owned()),
        }
    }

    /// An outbound webhook's delivery state (`pending`, `delivered`, `failed`, `dropped`).
    pub fn delivery_status(self, s: &str) -> Cow<'static, str> {
        let t = |id, en| Cow::Borrowed(self.t(id, en));
        match s {
            "pending" => t("menunggu kirim", "pending"),
            "delivered" => t("terkirim", "delivered"),
            "failed" => t("gagal", "failed"),
            "dropped" => t("dibuang (lewat batas waktu)", "dropped (past its deadline)"),
            other => Cow::Owned(other.to_owned()),
        }
    }

    /// A stop's state.
    pub fn stop_status(self, s: StopStatus) -> &'static str {
        match s {
            StopStatus::Pending => self.t("belum sampai", "pending"),
            StopStatus::Arrived => self.t("kurir di lokasi", "courier arrived"),
            StopStatus::Delivered => self.t("terkirim", "delivered"),
            StopStatus::Failed => self.t("gagal", "failed"),
            StopStatus::Removed => self.t("dilepas dari rute", "removed"),
        }
    }

    /// A reason code as staff say it: why a handover failed (`not_home`, `refused`,
    /// `address_not_found`, `unsafe`, `recipient_unwell`, `other`), why an order was left out of a plan (the
    /// planner's codes and intake's), why an alert was raised. An unknown code is shown as sent
    /// (partners may add codes before antar learns them).
    pub fn reason(self, code: &str) -> Cow<'static, str> {
        let t = |id, en| Cow::Borrowed(self.t(id, en));
        match code.trim() {
            // Failed handovers (stop.failed).
            "not_home" => t("penerima tidak di rumah", "recipient not home"),
            "refused" => t("ditolak penerima", "refused by the recipient"),
            "address_not_found" => t("alamat tidak ditemukan", "address not found"),
            "unsafe" => t("tidak aman untuk kurir", "unsafe for the courier"),
            // Also the reason of every `unwell` alert, handed over or not.
            "recipient_unwell" => t("Penerima sakit", "Recipient unwell"),
            "other" => t("alasan lain", "other reason"),
            // Alerts.
            "all_partners_declined" => t(
                "semua mitra menolak atau tidak menjawab",
                "every partner declined or did not answer",
            ),
            "wave_missed" => t(
                "gelombang perencanaan terlewat saat layanan mati",
                "a planning wave was missed while the service was down",
            ),
            // Orders left out of a plan.
            "far_from_road" => t(
                "titik lokasi terlalu jauh dari jalan yang bisa dilalui motor",
                "the pin is too far from any ridable road",
            ),
            "site_far_from_road" => t(
                "lokasi dapur / farmasi jauh dari jalan",
                "the pickup site is far from any road",
            ),
            "no_road_network" => t("peta jalan belum dimuat", "no road network is loaded"),
            "NoVehicle" | "no_vehicle" => t("tidak ada kurir tersedia", "no couriers available"),
            "CapabilityMissing" | "capability_missing" => t(
                "butuh kemampuan (kotak dingin, serah terima PIN) yang tidak dimiliki kurir mana pun",
                "needs a capability (cold box, PIN handover) no courier has",
            ),
            "NoStartSite" | "no_start_site" => t(
                "tidak ada kurir yang berangkat dari lokasi ambil ini",
                "no courier starts at its pickup site",
            ),
            "CapacityExceeded" | "capacity_exceeded" => t(
                "muatan melebihi kapasitas setiap kurir",
                "load exceeds every courier's capacity",
            ),
            "Unreachable" | "unreachable" => t(
                "tidak ada jalan dari lokasi ambil ke alamat",
                "no road path from the pickup site to the stop",
            ),
            "WindowUnreachable" | "window_unreachable" => t(
                "jendela waktu tutup sebelum kurir mana pun bisa sampai",
                "the window closes before any courier can reach it",
            ),
            "TransitTooShort" | "transit_too_short" => t(
                "batas waktu di perjalanan terlalu pendek untuk perjalanan langsung",
                "max time in transit too short for the direct trip",
            ),
            "RouteTooLong" | "route_too_long" => t(
                "perjalanan langsung melebihi batas durasi rute",
                "the direct trip exceeds the max route duration",
            ),
            "NoStopsAllowed" | "no_stops_allowed" => t(
                "kurir tidak boleh membawa satu pun titik",
                "every courier allows zero stops",
            ),
            "NoRoom" | "no_room" => t(
                "tidak ada ruang di rute mana pun",
                "no room left in any route",
            ),
            other => Cow::Owned(other.to_owned()),
        }
    }

    /// Who pays a job's fare (`program`, `patient`); unknown names are shown as they are.
    pub fn payer(self, s: &str) -> Cow<'static, str> {
        let t = |id, en| Cow::Borrowed(self.t(id, en));
        match s {
            "program" => t("program", "program"),
            "patient" => t("pasien", "patient"),
            other => Cow::Owned(other.to_owned()),
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

/// Whole rupiah with a dot between thousands: `Rp 12.500`, `-Rp 1.500`.
pub fn rupiah(idr: i64) -> String {
    let digits = idr.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    if idr < 0 {
        format!("-Rp {grouped}")
    } else {
        format!("Rp {grouped}")
    }
}

/// A difference in rupiah with its sign always shown: `+Rp 7.500`, `-Rp 500`, `Rp 0`.
pub fn rupiah_signed(idr: i64) -> String {
    if idr > 0 {
        format!("+{}", rupiah(idr))
    } else {
        rupiah(idr)
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

    #[test]
    fn rupiah_groups_thousands_with_dots_and_keeps_the_sign() {
        assert_eq!(rupiah(0), "Rp 0");
        assert_eq!(rupiah(500), "Rp 500");
        assert_eq!(rupiah(12_500), "Rp 12.500");
        assert_eq!(rupiah(100_000), "Rp 100.000");
        assert_eq!(rupiah(1_234_567), "Rp 1.234.567");
        assert_eq!(rupiah(-1_500), "-Rp 1.500");
        assert_eq!(rupiah(i64::MIN), "-Rp 9.223.372.036.854.775.808");
        assert_eq!(rupiah_signed(7_500), "+Rp 7.500");
        assert_eq!(rupiah_signed(-500), "-Rp 500");
        assert_eq!(rupiah_signed(0), "Rp 0");
        assert_eq!(Lang::Id.payer("patient"), "pasien");
        assert_eq!(Lang::En.payer("patient"), "patient");
        assert_eq!(Lang::Id.payer("dinas"), "dinas");
    }

    #[test]
    fn every_failure_reason_a_partner_may_send_is_translated_and_unknown_codes_pass_through() {
        for code in [
            "not_home",
            "refused",
            "address_not_found",
            "unsafe",
            "recipient_unwell",
            "other",
        ] {
            let id = Lang::Id.reason(code);
            let en = Lang::En.reason(code);
            assert_ne!(id, code, "{code} has Indonesian words");
            assert_ne!(en, code, "{code} has English words");
            assert_ne!(id, en);
        }
        assert_eq!(Lang::Id.reason("not_home"), "penerima tidak di rumah");
        assert_eq!(Lang::En.reason("flat_tyre"), "flat_tyre");
    }

    #[test]
    fn every_state_and_kind_has_words_in_both_languages() {
        for s in JobStatus::ALL {
            assert_ne!(Lang::Id.job_status(*s), Lang::En.job_status(*s), "{s}");
        }
        for s in StopStatus::ALL {
            assert_ne!(Lang::Id.stop_status(*s), Lang::En.stop_status(*s), "{s}");
        }
        for k in AlertKind::ALL {
            assert_ne!(Lang::Id.alert_kind(*k), k.as_str());
        }
        assert_eq!(
            Lang::En.reason("WindowUnreachable"),
            "the window closes before any courier can reach it"
        );
    }
}
