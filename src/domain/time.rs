//! Time: instants are UTC, dates and times shown to people are local to a site's IANA zone
//! (default Asia/Jakarta). Owns [`TimeWindow`], [`LocalWindow`], [`Weekdays`] and the
//! conversion from a local date and time to a UTC instant.
//!
//! Must not depend on anything outside `chrono`, `chrono-tz` and `serde`.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The zone used when a site or region names none: western Indonesia (WIB).
pub const DEFAULT_TZ: Tz = chrono_tz::Asia::Jakarta;

/// A delivery window between two UTC instants, start ≤ end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// A window whose end is before its start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("window ends ({end}) before it starts ({start})")]
pub struct WindowError {
    /// The given start.
    pub start: String,
    /// The given end.
    pub end: String,
}

impl TimeWindow {
    /// A checked window.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, WindowError> {
        if end < start {
            return Err(WindowError {
                start: start.to_rfc3339(),
                end: end.to_rfc3339(),
            });
        }
        Ok(Self { start, end })
    }

    /// Earliest instant.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Latest instant.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }
}

/// A daily window in local wall-clock time, e.g. 10:30–12:30. Start < end (no window crosses
/// local midnight: meals are delivered in daytime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalWindow {
    /// Local start time.
    pub start: NaiveTime,
    /// Local end time.
    pub end: NaiveTime,
}

impl LocalWindow {
    /// A checked local window.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, WindowError> {
        if end <= start {
            return Err(WindowError {
                start: start.to_string(),
                end: end.to_string(),
            });
        }
        Ok(Self { start, end })
    }

    /// The UTC window for this local window on `date` in `tz`.
    pub fn on(&self, date: NaiveDate, tz: Tz) -> TimeWindow {
        TimeWindow {
            start: local_to_utc(date, self.start, tz),
            end: local_to_utc(date, self.end, tz),
        }
    }
}

/// The UTC instant of a local date and time. Indonesian zones have no daylight saving, but other
/// zones do: a time that does not exist (spring forward) is moved past the gap, an ambiguous one
/// (fall back) takes the earlier instant.
pub fn local_to_utc(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            let later = naive + chrono::Duration::hours(1);
            tz.from_local_datetime(&later)
                .earliest()
                .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
        }
    }
}

/// The local calendar date of an instant in `tz`.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// A set of days of the week, Monday = bit 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

/// An unknown weekday name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown weekday {0:?} (expected mon, tue, wed, thu, fri, sat, sun or Indonesian senin … minggu)"
)]
pub struct WeekdayError(pub String);

impl Weekdays {
    /// Every day.
    pub const ALL: Weekdays = Weekdays(0x7f);

    /// From the stored bit mask (only the low 7 bits count).
    pub fn from_bits(bits: u8) -> Self {
        Self(bits & 0x7f)
    }

    /// The bit mask, Monday = bit 0.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// True when no day is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// Whether `date` falls on a day in the set.
    pub fn includes(self, date: NaiveDate) -> bool {
        self.contains(date.weekday())
    }

    /// Parse names like `["mon","wed"]` or Indonesian `["senin","rabu"]`.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, WeekdayError> {
        let mut bits = 0u8;
        for name in names {
            let n = name.as_ref().trim().to_ascii_lowercase();
            let day = match n.as_str() {
                "mon" | "monday" | "senin" | "sen" => 0,
                "tue" | "tuesday" | "selasa" | "sel" => 1,
                "wed" | "wednesday" | "rabu" | "rab" => 2,
                "thu" | "thursday" | "kamis" | "kam" => 3,
                "fri" | "friday" | "jumat" | "jum'at" | "jum" => 4,
                "sat" | "saturday" | "sabtu" | "sab" => 5,
                "sun" | "sunday" | "minggu" | "ahad" | "min" => 6,
                _ => return Err(WeekdayError(name.as_ref().to_owned())),
            };
            bits |= 1 << day;
        }
        Ok(Self(bits))
    }

    /// Short English names, Monday first.
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        (0..7)
            .filter(|i| self.0 & (1 << i) != 0)
            .map(|i| NAMES[i])
            .collect()
    }
}

/// Parse an IANA zone name such as `Asia/Jakarta`, `Asia/Makassar` (WITA) or `Asia/Jayapura` (WIT).
pub fn parse_tz(name: &str) -> Option<Tz> {
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jakarta_morning_window_is_stored_in_utc() {
        let w = LocalWindow::new(
            NaiveTime::from_hms_opt(10, 30, 0).unwrap(),
            NaiveTime::from_hms_opt(12, 30, 0).unwrap(),
        )
        .unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let utc = w.on(d, DEFAULT_TZ);
        assert_eq!(utc.start().to_rfc3339(), "2026-12-01T03:30:00+00:00");
    }

    #[test]
    fn local_midnight_belongs_to_the_new_local_day() {
        // 17:00 UTC on 30 Nov is 00:00 on 1 Dec in Jakarta (UTC+7).
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
        assert_eq!(
            local_date(at, DEFAULT_TZ),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        let just_before = Utc.with_ymd_and_hms(2026, 11, 30, 16, 59, 59).unwrap();
        assert_eq!(
            local_date(just_before, DEFAULT_TZ),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
    }

    #[test]
    fn weekdays_parse_in_both_languages() {
        let w = Weekdays::parse(&["senin", "wed", "Jumat"]).unwrap();
        assert_eq!(w.names(), vec!["mon", "wed", "fri"]);
        assert!(Weekdays::parse(&["someday"]).is_err());
    }

    #[test]
    fn an_inverted_window_is_refused() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert!(LocalWindow::new(t(12), t(10)).is_err());
        let a = Utc.with_ymd_and_hms(2026, 1, 1, 5, 0, 0).unwrap();
        assert!(TimeWindow::new(a, a - chrono::Duration::minutes(1)).is_err());
    }
}
