//! The motorbike profile: which OSM ways a motorbike may ride, in which direction, how fast.
//!
//! Owns: the tag rules ([`classify`]) and the speed table. Pure: sees only a way's tags, never
//! files or the graph. The speed table and its sources are documented on the `roads` module.

/// What the profile decided for one way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WayRule {
    /// Ridable in the direction of the way's node list.
    pub forward: bool,
    /// Ridable against the direction of the way's node list.
    pub backward: bool,
    /// Riding speed in km/h (class speed, lowered by `maxspeed`).
    pub speed_kmh: f64,
}

/// Why a `highway=*` way was not taken (counted in the import report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a road class a motorbike rides (or no `highway` tag at all).
    NotRidable,
    /// Closed to motorbikes by `access` / `vehicle` / `motor_vehicle` / `motorcycle`.
    Access,
    /// A motorway without `motorcycle=yes` (Indonesian toll roads are closed to motorbikes).
    Motorway,
    /// `area=yes`: a square or parking lot outline, not a road line.
    Area,
}

/// Speed of a road class in km/h, `None` when the class is never ridden.
fn class_speed(highway: &str) -> Option<f64> {
    Some(match highway {
        "motorway" => 60.0,
        "trunk" => 50.0,
        "primary" => 45.0,
        "secondary" => 40.0,
        "tertiary" => 35.0,
        "motorway_link" | "trunk_link" | "primary_link" => 40.0,
        "secondary_link" => 35.0,
        "tertiary_link" | "unclassified" => 30.0,
        "residential" | "road" => 25.0,
        "living_street" | "service" | "track" => 15.0,
        "path" => 10.0,
        // Only reached when a motorbike tag explicitly allows them (see `classify`).
        "footway" | "pedestrian" | "cycleway" | "bridleway" | "steps" => 10.0,
        _ => return None,
    })
}

/// Access values that close a way; anything else (yes, destination, delivery, customers,
/// permissive, designated, unknown values) allows it.
fn forbids(value: &str) -> bool {
    matches!(
        value,
        "no" | "private" | "agricultural" | "forestry" | "permit" | "military" | "emergency"
    )
}

/// Values of `motorcycle` / `motor_vehicle` that open a footway-like way to motorbikes.
fn explicitly_allows(value: &str) -> bool {
    matches!(value, "yes" | "designated" | "permissive" | "destination")
}

/// Parse an OSM `maxspeed` value into km/h: `"50"`, `"50 km/h"`, `"30 mph"`.
/// Anything else (`"none"`, `"signals"`, `"RU:urban"`, junk) is `None`: the class speed applies.
pub fn parse_maxspeed(value: &str) -> Option<f64> {
    let v = value.trim();
    let (number, factor) = if let Some(n) = v.strip_suffix("mph") {
        (n.trim(), 1.609_344)
    } else if let Some(n) = v.strip_suffix("km/h").or_else(|| v.strip_suffix("kmh")) {
        (n.trim(), 1.0)
    } else {
        (v, 1.0)
    };
    let speed: f64 = number.parse().ok()?;
    (speed.is_finite() && speed > 0.0).then_some(speed * factor)
}

/// Decide whether and how a motorbike rides a way, from its tags (`key`, `value`).
pub fn classify(tags: &[(&str, &str)]) -> Result<WayRule, Refusal> {
    let tag = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let Some(highway) = tag("highway") else {
        return Err(Refusal::NotRidable);
    };
    if tag("area") == Some("yes") {
        return Err(Refusal::Area);
    }
    let Some(class_kmh) = class_speed(highway) else {
        return Err(Refusal::NotRidable);
    };
    let motorcycle = tag("motorcycle");
    let motor_vehicle = tag("motor_vehicle");
    if matches!(
        highway,
        "footway" | "pedestrian" | "cycleway" | "bridleway" | "steps"
    ) && !motorcycle.or(motor_vehicle).is_some_and(explicitly_allows)
    {
        return Err(Refusal::NotRidable);
    }
    if matches!(highway, "motorway" | "motorway_link") && !motorcycle.is_some_and(explicitly_allows)
    {
        return Err(Refusal::Motorway);
    }
    // The most specific tag present decides.
    let access = motorcycle
        .or(motor_vehicle)
        .or(tag("vehicle"))
        .or(tag("access"));
    if access.is_some_and(forbids) {
        return Err(Refusal::Access);
    }

    let oneway = tag("oneway:motorcycle").or(tag("oneway"));
    let implied = matches!(tag("junction"), Some("roundabout" | "circular"))
        || matches!(highway, "motorway" | "motorway_link");
    let (forward, backward) = match oneway {
        Some("yes" | "1" | "true") => (true, false),
        Some("-1" | "reverse") => (false, true),
        Some("no" | "false" | "0") => (true, true),
        // Unknown values ("reversible", "alternating"): fall back to what the class implies.
        _ => (true, !implied),
    };
    let speed_kmh = match tag("maxspeed").and_then(parse_maxspeed) {
        Some(max) if max < class_kmh => max,
        _ => class_kmh,
    };
    Ok(WayRule {
        forward,
        backward,
        speed_kmh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(tags: &[(&str, &str)]) -> Result<WayRule, Refusal> {
        classify(tags)
    }

    #[test]
    fn maxspeed_forms_are_parsed_and_junk_is_ignored() {
        assert_eq!(parse_maxspeed("50"), Some(50.0));
        assert_eq!(parse_maxspeed("20 km/h"), Some(20.0));
        assert!((parse_maxspeed("30 mph").unwrap() - 48.28).abs() < 0.01);
        assert_eq!(parse_maxspeed("none"), None);
        assert_eq!(parse_maxspeed("RU:urban"), None);
        assert_eq!(parse_maxspeed("-5"), None);
    }

    #[test]
    fn maxspeed_only_lowers_the_class_speed() {
        let r = rule(&[("highway", "primary"), ("maxspeed", "30")]).unwrap();
        assert_eq!(r.speed_kmh, 30.0);
        let r = rule(&[("highway", "residential"), ("maxspeed", "80")]).unwrap();
        assert_eq!(r.speed_kmh, 25.0);
        let r = rule(&[("highway", "residential"), ("maxspeed", "fast")]).unwrap();
        assert_eq!(r.speed_kmh, 25.0);
    }

    #[test]
    fn oneway_values_and_the_motorcycle_override() {
        let r = rule(&[("highway", "residential"), ("oneway", "-1")]).unwrap();
        assert_eq!((r.forward, r.backward), (false, true));
        let r = rule(&[("highway", "residential"), ("oneway", "true")]).unwrap();
        assert_eq!((r.forward, r.backward), (true, false));
        let r = rule(&[("highway", "residential"), ("oneway", "reverse")]).unwrap();
        assert_eq!((r.forward, r.backward), (false, true));
        let r = rule(&[
            ("highway", "residential"),
            ("oneway", "yes"),
            ("oneway:motorcycle", "no"),
        ])
        .unwrap();
        assert_eq!((r.forward, r.backward), (true, true));
        let r = rule(&[("highway", "primary"), ("junction", "roundabout")]).unwrap();
        assert_eq!((r.forward, r.backward), (true, false));
        let r = rule(&[
            ("highway", "primary"),
            ("junction", "roundabout"),
            ("oneway", "no"),
        ])
        .unwrap();
        assert_eq!((r.forward, r.backward), (true, true));
    }

    #[test]
    fn access_precedence_most_specific_wins() {
        assert_eq!(
            rule(&[("highway", "service"), ("access", "private")]),
            Err(Refusal::Access)
        );
        assert!(
            rule(&[
                ("highway", "service"),
                ("access", "no"),
                ("motorcycle", "yes")
            ])
            .is_ok()
        );
        assert_eq!(
            rule(&[
                ("highway", "service"),
                ("motor_vehicle", "yes"),
                ("motorcycle", "no")
            ]),
            Err(Refusal::Access)
        );
        assert!(
            rule(&[
                ("highway", "service"),
                ("vehicle", "no"),
                ("motor_vehicle", "destination")
            ])
            .is_ok()
        );
        assert_eq!(
            rule(&[("highway", "path"), ("motor_vehicle", "no")]),
            Err(Refusal::Access)
        );
        assert!(rule(&[("highway", "path")]).is_ok());
    }

    #[test]
    fn footways_need_an_explicit_motorbike_tag_and_motorways_are_closed() {
        assert_eq!(rule(&[("highway", "footway")]), Err(Refusal::NotRidable));
        assert!(rule(&[("highway", "footway"), ("motorcycle", "yes")]).is_ok());
        assert!(rule(&[("highway", "cycleway"), ("motor_vehicle", "permissive")]).is_ok());
        assert_eq!(rule(&[("highway", "motorway")]), Err(Refusal::Motorway));
        let r = rule(&[("highway", "motorway"), ("motorcycle", "yes")]).unwrap();
        assert_eq!((r.forward, r.backward), (true, false));
        assert_eq!(
            rule(&[("highway", "pedestrian"), ("area", "yes")]),
            Err(Refusal::Area)
        );
        assert_eq!(
            rule(&[("highway", "construction")]),
            Err(Refusal::NotRidable)
        );
        assert_eq!(rule(&[("building", "yes")]), Err(Refusal::NotRidable));
    }
}
