//! Meal enrolments: who gets a meal from which kitchen, on which days, in which window, and the
//! pauses in between.
//!
//! Owns: [`Meal`], [`PauseReason`], [`Pause`] and the rule [`is_due`] that decides whether an
//! enrolment gets a meal order on a date. Pure; no I/O.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::order::UnknownStatus;
use super::time::{LocalWindow, Weekdays};

/// One meal a day with its delivery window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meal {
    /// A short name, unique within the enrolment (e.g. `lunch`, `siang`).
    pub name: String,
    /// Local delivery window.
    pub window: LocalWindow,
}

/// Why meals stop for a while (or for good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// In hospital.
    Hospitalised,
    /// Staying with family elsewhere for a while.
    Away,
    /// Moved out of the area: ends the enrolment.
    Moved,
    /// Died: ends the enrolment.
    Died,
    /// Anything else (see the note).
    Other,
}

impl PauseReason {
    /// A move or a death ends the enrolment rather than pausing it.
    pub fn ends_enrolment(self) -> bool {
        matches!(self, Self::Moved | Self::Died)
    }

    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hospitalised => "hospitalised",
            Self::Away => "away",
            Self::Moved => "moved",
            Self::Died => "died",
            Self::Other => "other",
        }
    }
}

impl FromStr for PauseReason {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hospitalised" | "hospitalized" => Ok(Self::Hospitalised),
            "away" => Ok(Self::Away),
            "moved" => Ok(Self::Moved),
            "died" => Ok(Self::Died),
            "other" => Ok(Self::Other),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}

/// A pause from `from` to `until` (both inclusive; `None` = until resumed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// First day without meals.
    pub from: NaiveDate,
    /// Last day without meals; open while `None`.
    pub until: Option<NaiveDate>,
    /// Why.
    pub reason: PauseReason,
}

impl Pause {
    /// Whether the pause covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        date >= self.from && self.until.is_none_or(|u| date <= u)
    }
}

/// Whether an enrolment running `start..=end` on `weekdays` gets meals on `date`, given its pauses.
pub fn is_due(
    date: NaiveDate,
    start: NaiveDate,
    end: Option<NaiveDate>,
    weekdays: Weekdays,
    pauses: &[Pause],
) -> bool {
    date >= start
        && end.is_none_or(|e| date <= e)
        && weekdays.includes(date)
        && !pauses.iter().any(|p| p.covers(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn weekdays_start_end_and_pauses_decide() {
        let weekdays = Weekdays::parse(&["mon", "tue", "wed", "thu", "fri"]).unwrap();
        // 2026-12-05 is a Saturday.
        assert!(!is_due(d(12, 5), d(11, 1), None, weekdays, &[]));
        assert!(is_due(d(12, 4), d(11, 1), None, weekdays, &[]));
        assert!(!is_due(d(10, 30), d(11, 1), None, weekdays, &[]));
        assert!(!is_due(d(12, 4), d(11, 1), Some(d(12, 3)), weekdays, &[]));
        let pause = Pause {
            from: d(12, 1),
            until: Some(d(12, 3)),
            reason: PauseReason::Hospitalised,
        };
        assert!(!is_due(
            d(12, 2),
            d(11, 1),
            None,
            weekdays,
            std::slice::from_ref(&pause)
        ));
        assert!(is_due(d(12, 4), d(11, 1), None, weekdays, &[pause]));
        let open = Pause {
            from: d(12, 1),
            until: None,
            reason: PauseReason::Away,
        };
        assert!(!is_due(d(12, 31), d(11, 1), None, weekdays, &[open]));
    }
}
