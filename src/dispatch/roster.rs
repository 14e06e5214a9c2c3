//! What staff type about one of our couriers, from the API's JSON or the web form alike, checked
//! into a [`Courier`] or a [`CourierPatch`] with every wrong field named, so that both doors
//! apply one set of rules. Rules that need stored data (the site exists) are in `fleet`.
//!
//! Must not depend on `api`, `web` or `store`.

use chrono::NaiveTime;

use super::FieldError;
use super::fleet::CourierPatch;
use crate::domain::records::Courier;
use crate::domain::{CourierId, Phone, SiteId, Weekdays};

/// The most tins or parcels a courier may carry.
pub const MAX_CAPACITY: u32 = 200;
/// The most stops in one job.
pub const MAX_STOPS: u32 = 50;
/// Trips in a shift when none is given.
pub const DEFAULT_TRIPS: u32 = 2;

/// A courier as typed; `None` is "not given".
#[derive(Debug, Clone, Copy, Default)]
pub struct CourierFields<'a> {
    /// Full name.
    pub name: Option<&'a str>,
    /// Phone as typed.
    pub phone: Option<&'a str>,
    /// Vehicle.
    pub vehicle: Option<&'a str>,
    /// Tins or parcels at once.
    pub capacity: Option<u32>,
    /// Stops per job.
    pub max_stops: Option<u32>,
    /// Trips per shift.
    pub max_trips: Option<u32>,
    /// Working days (`mon` or `senin`).
    pub working_days: Option<&'a [String]>,
    /// `HH:MM`.
    pub work_start: Option<&'a str>,
    /// `HH:MM`.
    pub work_end: Option<&'a str>,
    /// Active.
    pub active: Option<bool>,
}

impl CourierFields<'_> {
    /// A new courier of `site`: name, phone, vehicle, capacity and stops are required; the
    /// rest defaults to two trips, every day, 06:00 to 18:00, active.
    pub fn new_courier(&self, site: SiteId) -> Result<Courier, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut required = |field: &str, given: bool| {
            if !given {
                errors.push(FieldError::new(field, "required", "required"));
            }
        };
        required("name", self.name.is_some());
        required("phone", self.phone.is_some());
        required("vehicle", self.vehicle.is_some());
        required("capacity", self.capacity.is_some());
        required("max_stops", self.max_stops.is_some());
        let p = self.patch_with(&mut errors);
        let work_start = p.work_start.unwrap_or(hm(6));
        let work_end = p.work_end.unwrap_or(hm(18));
        if errors.is_empty() && work_start >= work_end {
            errors.push(end_before_start());
        }
        match (p.name, p.phone, p.vehicle, p.capacity, p.max_stops) {
            (Some(name), Some(phone), Some(vehicle), Some(capacity), Some(max_stops))
                if errors.is_empty() =>
            {
                Ok(Courier {
                    id: CourierId::new(),
                    site_id: site,
                    name,
                    phone,
                    vehicle,
                    capacity,
                    max_stops,
                    max_trips: p.max_trips.unwrap_or(DEFAULT_TRIPS),
                    working_days: p.working_days.unwrap_or(Weekdays::ALL),
                    work_start,
                    work_end,
                    active: p.active.unwrap_or(true),
                })
            }
            _ => Err(errors),
        }
    }

    /// Changes to a courier: what is given, checked.
    pub fn patch(&self) -> Result<CourierPatch, Vec<FieldError>> {
        let mut errors = Vec::new();
        let p = self.patch_with(&mut errors);
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors)
        }
    }

    fn patch_with(&self, errors: &mut Vec<FieldError>) -> CourierPatch {
        CourierPatch {
            name: self.name.map(|v| text("name", v, errors)),
            phone: self.phone.and_then(|v| phone(v, errors)),
            vehicle: self.vehicle.map(|v| text("vehicle", v, errors)),
            capacity: self
                .capacity
                .map(|v| limit("capacity", v, MAX_CAPACITY, errors)),
            max_stops: self
                .max_stops
                .map(|v| limit("max_stops", v, MAX_STOPS, errors)),
            max_trips: self
                .max_trips
                .map(|v| limit("max_trips", v, Courier::MAX_TRIPS, errors)),
            working_days: self.working_days.map(|d| days(d, errors)),
            work_start: self.work_start.map(|v| hhmm("work_start", v, errors)),
            work_end: self.work_end.map(|v| hhmm("work_end", v, errors)),
            active: self.active,
        }
    }
}

/// The error for a working day that ends before it starts.
pub fn end_before_start() -> FieldError {
    FieldError::new(
        "work_end",
        "out_of_range",
        "the working day must end after it starts",
    )
}

fn hm(h: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN)
}

fn text(field: &str, v: &str, errors: &mut Vec<FieldError>) -> String {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > 120 {
        errors.push(FieldError::new(field, "required", "1 to 120 characters"));
    }
    t.to_owned()
}

fn phone(v: &str, errors: &mut Vec<FieldError>) -> Option<Phone> {
    Phone::parse(v)
        .map_err(|e| errors.push(FieldError::new("phone", "invalid_phone", e.to_string())))
        .ok()
}

fn limit(field: &str, v: u32, max: u32, errors: &mut Vec<FieldError>) -> u32 {
    if !(1..=max).contains(&v) {
        errors.push(FieldError::new(
            field,
            "out_of_range",
            format!("1 to {max}"),
        ));
    }
    v
}

fn days(v: &[String], errors: &mut Vec<FieldError>) -> Weekdays {
    match Weekdays::parse(v) {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => {
            errors.push(FieldError::new(
                "working_days",
                "required",
                "at least one day",
            ));
            Weekdays::ALL
        }
        Err(e) => {
            errors.push(FieldError::new(
                "working_days",
                "invalid_value",
                e.to_string(),
            ));
            Weekdays::ALL
        }
    }
}

fn hhmm(field: &str, v: &str, errors: &mut Vec<FieldError>) -> NaiveTime {
    NaiveTime::parse_from_str(v.trim(), "%H:%M").unwrap_or_else(|_| {
        errors.push(FieldError::new(
            field,
            "invalid_time",
            "expected HH:MM, e.g. 07:30",
        ));
        NaiveTime::MIN
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_courier_names_every_missing_or_wrong_field() {
        let site = SiteId::new();
        let days = vec!["senin".to_owned(), "kemarin".to_owned()];
        let f = CourierFields {
            name: Some("  "),
            phone: Some("12"),
            capacity: Some(0),
            max_trips: Some(5),
            working_days: Some(&days),
            work_start: Some("7.30"),
            ..CourierFields::default()
        };
        let errors = f.new_courier(site).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "vehicle",
                "max_stops",
                "name",
                "phone",
                "capacity",
                "max_trips",
                "working_days",
                "work_start"
            ]
        );
    }

    #[test]
    fn defaults_fill_what_is_optional_and_hours_must_run_forward() {
        let site = SiteId::new();
        let f = CourierFields {
            name: Some("Pak Slamet"),
            phone: Some("0812-3333-4444"),
            vehicle: Some("Supra P 1234 AB"),
            capacity: Some(12),
            max_stops: Some(10),
            ..CourierFields::default()
        };
        let c = f.new_courier(site).unwrap();
        assert_eq!(c.phone.as_str(), "+6281233334444");
        assert_eq!(
            (c.max_trips, c.working_days),
            (DEFAULT_TRIPS, Weekdays::ALL)
        );
        assert_eq!((c.work_start, c.work_end), (hm(6), hm(18)));
        let late = CourierFields {
            work_start: Some("19:00"),
            ..f
        };
        let errors = late.new_courier(site).unwrap_err();
        assert_eq!(errors[0].field, "work_end");
        let p = CourierFields {
            max_trips: Some(1),
            ..CourierFields::default()
        }
        .patch()
        .unwrap();
        assert_eq!((p.max_trips, p.name), (Some(1), None));
    }
}
