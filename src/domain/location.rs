//! Turning what staff paste into a form or a spreadsheet cell into a [`LatLon`]: decimal
//! coordinates (dot or comma decimals, `N/S/E/W` or Indonesian `LU/LS/BT/BB`), degrees-minutes-
//! seconds, Google Maps, OpenStreetMap and Apple Maps links, `geo:` URIs and Plus Codes (Open Location Code).
//!
//! Owns: [`parse_location`], [`ParsedLocation`], [`LocationError`], [`check_area`] and the Plus
//! Code algorithm in [`plus_code`]. Pure: `std`, `serde` and `thiserror` only; no I/O, so short
//! links (`maps.app.goo.gl`) are refused with advice instead of being resolved.
//!
//! Decisions worth knowing:
//! - Two numbers without hemisphere letters are read as `lat, lon` (the order of every map app).
//!   They are swapped only when the first cannot be a latitude (|x| > 90) but can be a longitude and
//!   the second can be a latitude -- in Indonesia (longitude 95..141) that catches every `lon, lat`.
//! - A comma is a decimal separator only when the text has no `.` and either a `;` separates the
//!   pair or exactly two commas sit between digits (`-8,2191 114,3691`, `-8,2191, 114,3691`).
//!   Three or more such commas (`-8,2191,114,3691`) are refused as ambiguous rather than guessed.
//! - Words other than hemisphere letters and a few labels (`Lat:`, `Lokasi:`, `Koordinat`) are
//!   refused: skipping them would read `Jl. Melati 3, 4` as a position.
//! - A Plus Code may be followed or preceded by a place name (`8XHG+VQ Banyuwangi`); the name is
//!   ignored (geocoding needs I/O) and the short code is recovered against the caller's reference.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::geo::{EARTH_RADIUS_M, LatLon};
use super::site::ServiceArea;

/// Longest input looked at; anything longer is not a location someone typed or pasted.
const MAX_INPUT_CHARS: usize = 2048;

/// Metres per degree of latitude on the mean sphere used by [`LatLon::distance_m`].
const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// Where the coordinates came from, so the UI can show the right hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Coordinates typed or pasted as numbers (decimal or degrees-minutes-seconds).
    Pin,
    /// An Open Location Code, full or recovered from a short code.
    PlusCode,
    /// A Google Maps, OpenStreetMap or `geo:` link.
    Link,
}

impl Source {
    /// The stored `location_source` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pin => "pin",
            Self::PlusCode => "plus_code",
            Self::Link => "link",
        }
    }
}

/// How far the true place of a village-centroid location may be from the centroid, in metres:
/// a desa in Banyuwangi covers a few square kilometres (often 5-15 km²), so its farthest homes
/// lie one to two kilometres from the centre. Too coarse for a courier to find a door.
pub const VILLAGE_CENTROID_PRECISION_M: f64 = 2000.0;

/// A courier's GPS fix when the partner reports no accuracy: a phone outdoors is within ~20 m.
pub const COURIER_GPS_PRECISION_M: f64 = 20.0;

/// The precision, in metres, to record for a location from `source` when the input itself
/// does not tell (coordinates given as numbers, a stored source): a pin or a map link about
/// 10 m, a full (10-character) Plus Code about 10 m (its 14 m × 14 m cell), a courier's GPS
/// [`COURIER_GPS_PRECISION_M`], a village centroid [`VILLAGE_CENTROID_PRECISION_M`]. Parsed text
/// has its own, better figure in [`ParsedLocation::precision_m`].
pub fn typical_precision_m(source: &str) -> f64 {
    match source {
        "courier_gps" => COURIER_GPS_PRECISION_M,
        "village_centroid" => VILLAGE_CENTROID_PRECISION_M,
        _ => 10.0,
    }
}

/// The precision to record for a parsed location: a Plus Code's own (its cell), and for
/// coordinates or a map link what their digits say but never better than
/// [`typical_precision_m`]: six decimals describe 0.1 m, but the pin was placed by a finger on a
/// phone map or a GPS fix, good to about 10 m.
pub fn recorded_precision_m(p: &ParsedLocation) -> f64 {
    match p.source {
        Source::PlusCode => p.precision_m,
        s => p.precision_m.max(typical_precision_m(s.as_str())),
    }
}

/// A successfully parsed location.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParsedLocation {
    /// The point (for a Plus Code: the centre of its cell).
    pub point: LatLon,
    /// What kind of input it was.
    pub source: Source,
    /// How far the true place may be from `point`, in metres, judged from the input alone:
    /// half the last written digit (or DMS unit) of each coordinate, or half the Plus Code cell,
    /// combined as the half-diagonal.
    pub precision_m: f64,
    /// The input gave longitude first (recognised by range or by `E/W` letters) and the pair was
    /// swapped; the UI should say so, since it may also be a typing mistake.
    pub swapped: bool,
}

impl fmt::Display for ParsedLocation {
    /// The canonical form, `-8.219100, 114.369100`, which [`parse_location`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format(self.point))
    }
}

/// The canonical text of a point, `lat, lon` with six decimals (about 0.1 m), which
/// [`parse_location`] reads back to the same point within 0.5e-6 degrees.
pub fn format(p: LatLon) -> String {
    format!("{:.6}, {:.6}", p.lat(), p.lon())
}

/// Why a location was refused. Every message says what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LocationError {
    /// Nothing but whitespace.
    #[error(
        "no location given: expected coordinates like \"-8.2191, 114.3691\", a Google Maps or \
         OpenStreetMap link, a geo: URI or a Plus Code like \"6P3Q8XHG+VQ\""
    )]
    Empty,
    /// Longer than any location could be.
    #[error("location text is {0} characters long; expected at most {MAX_INPUT_CHARS}")]
    TooLong(usize),
    /// Not any supported format.
    #[error(
        "cannot read {input:?} as a location ({detail}): expected coordinates like \
         \"-8.2191, 114.3691\" or \"8°13'08.8\\\"S 114°22'08.8\\\"E\", a Google Maps or \
         OpenStreetMap link, a geo: URI or a Plus Code like \"6P3Q8XHG+VQ\""
    )]
    Unrecognised {
        /// The input, shortened.
        input: String,
        /// What went wrong.
        detail: &'static str,
    },
    /// Numbers that are no latitude/longitude in either order.
    #[error(
        "{first}, {second} is not a position: expected latitude within -90..90 and longitude \
         within -180..180 (Banyuwangi is about -8.2, 114.4)"
    )]
    OutOfRange {
        /// First number as given.
        first: f64,
        /// Second number as given.
        second: f64,
    },
    /// A short link that needs the network to resolve.
    #[error(
        "Tautan pendek {0} tidak bisa dibaca tanpa internet: buka tautan itu di HP, tekan lama \
         pada titik lokasi, salin koordinatnya (contoh: -8.2191, 114.3691) lalu tempel di sini. / \
         The short link {0} cannot be resolved offline: open it on the phone, long-press the \
         pin, copy the coordinates (e.g. -8.2191, 114.3691) and paste them here."
    )]
    ShortLink(String),
    /// A short Plus Code given without a reference position.
    #[error(
        "{0} is a short Plus Code: it needs a nearby reference position (the site or village) to \
         be recovered; give the full code like \"6P3Q8XHG+VQ\" or coordinates instead"
    )]
    ShortPlusCodeNeedsReference(String),
    /// Something shaped like a Plus Code that is not a valid one.
    #[error(
        "{0:?} is not a valid Plus Code: expected 8 characters from \"23456789CFGHJMPQRVWX\", \
         '+', then 2 or more, like \"6P3Q8XHG+VQ\" (or a short code like \"8XHG+VQ\")"
    )]
    InvalidPlusCode(String),
    /// A map link that carries no coordinates (e.g. a search for a name).
    #[error(
        "the link {0:?} contains no coordinates (a search by name?): open it, long-press the pin \
         and copy the coordinates or share the place's link"
    )]
    LinkWithoutCoordinates(String),
    /// Readable in more than one way; refused rather than guessed.
    #[error("{input:?} is ambiguous: {reason}")]
    Ambiguous {
        /// The input, shortened.
        input: String,
        /// Why, and how to write it unambiguously.
        reason: &'static str,
    },
    /// A valid position outside the service area.
    #[error("{point} is outside the service area{}", if *.minus_sign_missing {
        "; with a minus sign (south) on the latitude it would be inside: was the '-' or 'S' left out?"
    } else { "" })]
    OutsideArea {
        /// The point.
        point: LatLon,
        /// The point mirrored to the southern hemisphere is inside: a forgotten minus sign.
        minus_sign_missing: bool,
    },
}

impl LocationError {
    /// A stable machine-readable code for API responses and import reports.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "location_empty",
            Self::TooLong(_) => "location_too_long",
            Self::Unrecognised { .. } => "location_unrecognised",
            Self::OutOfRange { .. } => "location_out_of_range",
            Self::ShortLink(_) => "location_short_link",
            Self::ShortPlusCodeNeedsReference(_) => "location_short_plus_code",
            Self::InvalidPlusCode(_) => "location_invalid_plus_code",
            Self::LinkWithoutCoordinates(_) => "location_link_without_coordinates",
            Self::Ambiguous { .. } => "location_ambiguous",
            Self::OutsideArea { .. } => "location_outside_area",
        }
    }
}

/// Refuse a point outside `area`, noticing the common slip of a dropped minus sign.
pub fn check_area(p: LatLon, area: &ServiceArea) -> Result<(), LocationError> {
    if area.contains(p) {
        return Ok(());
    }
    let minus_sign_missing = p.lat() > 0.0
        && LatLon::new(-p.lat(), p.lon())
            .map(|m| area.contains(m))
            .unwrap_or(false);
    Err(LocationError::OutsideArea {
        point: p,
        minus_sign_missing,
    })
}

/// Read a location from free text. `reference` (the site's or village's position) is needed
/// only to recover short Plus Codes; it never moves a point otherwise.
///
/// ```
/// use antar::domain::location::{parse_location, Source};
///
/// let p = parse_location("114.3691, -8.2191", None).unwrap();
/// assert!(p.swapped && p.source == Source::Pin);
/// assert_eq!(p.to_string(), "-8.219100, 114.369100");
/// let q = parse_location("Q9J9+9J Banyuwangi", Some(p.point)).unwrap();
/// assert_eq!(q.source, Source::PlusCode);
/// assert!(q.point.distance_m(p.point) < 15.0);
/// ```
pub fn parse_location(
    input: &str,
    reference: Option<LatLon>,
) -> Result<ParsedLocation, LocationError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(LocationError::Empty);
    }
    let chars = text.chars().count();
    if chars > MAX_INPUT_CHARS {
        return Err(LocationError::TooLong(chars));
    }
    let lower = text.to_ascii_lowercase();
    if is_short_link(&lower) {
        return Err(LocationError::ShortLink(text.to_owned()));
    }
    if lower.starts_with("geo:") {
        return parse_geo_uri(text, reference);
    }
    if lower.contains("://") || lower.starts_with("www.") || lower.starts_with("maps.") {
        return parse_link(text, &lower, reference);
    }
    parse_text(text, reference)
}

/// Plain text: a Plus Code (with an optional place name) or a coordinate pair.
fn parse_text(text: &str, reference: Option<LatLon>) -> Result<ParsedLocation, LocationError> {
    if let Some(code) = find_plus_code(text) {
        return plus_code_location(code, reference);
    }
    parse_pair(text)
}

fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

fn unrecognised(input: &str, detail: &'static str) -> LocationError {
    LocationError::Unrecognised {
        input: shorten(input),
        detail,
    }
}

/// Half-diagonal in metres of an error box given in degrees.
fn precision_from_degrees(lat_err: f64, lon_err: f64, lat: f64) -> f64 {
    let dy = lat_err * M_PER_DEG;
    let dx = lon_err * M_PER_DEG * lat.to_radians().cos().abs();
    (dy * dy + dx * dx).sqrt()
}

/// Half of the last written decimal digit, in degrees.
fn half_digit(decimals: u32) -> f64 {
    0.5 * 10f64.powi(-(decimals.min(30) as i32))
}

// ---------------------------------------------------------------------------------------------
// Links

fn is_short_link(lower: &str) -> bool {
    ["maps.app.goo.gl", "goo.gl/maps", "g.co/kgs", "goo.gl/"]
        .iter()
        .any(|h| lower.contains(h))
}

/// Percent-decode a URL component; `+` means a space in query strings. Invalid UTF-8 is replaced.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query and fragment parameters (`k=v` pairs after `?` and after `#`), keys lower-cased,
/// values percent-decoded.
fn url_params(url: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = url;
    for delim in ['?', '#'] {
        if let Some(i) = rest.find(delim) {
            let part = &rest[i + 1..];
            let end = part.find(['#', '?']).unwrap_or(part.len());
            for kv in part[..end].split('&') {
                if let Some((k, v)) = kv.split_once('=') {
                    out.push((k.to_ascii_lowercase(), percent_decode(v)));
                }
            }
            rest = &rest[i + 1..];
        }
    }
    out
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A strict decimal number as written in links: optional sign, digits, optional `.` fraction.
fn strict_decimal(s: &str) -> Option<(f64, u32)> {
    let s = s.trim();
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().map(|v| (v, frac.len() as u32))
}

/// A `lat, lon` pair from a link, whose order is defined by the format (never swapped).
fn link_point(lat: (f64, u32), lon: (f64, u32)) -> Result<ParsedLocation, LocationError> {
    let point = LatLon::new(lat.0, lon.0).map_err(|_| LocationError::OutOfRange {
        first: lat.0,
        second: lon.0,
    })?;
    Ok(ParsedLocation {
        point,
        source: Source::Link,
        precision_m: precision_from_degrees(half_digit(lat.1), half_digit(lon.1), lat.0),
        swapped: false,
    })
}

/// The first two comma-separated strict decimals of `s`.
fn comma_pair(s: &str) -> Option<((f64, u32), (f64, u32))> {
    let mut it = s.split(',');
    let a = strict_decimal(it.next()?)?;
    let b = strict_decimal(it.next()?)?;
    Some((a, b))
}

/// A parameter value that should hold a location (`q=`, `ll=`, ...): coordinates or a Plus Code.
fn param_location(
    value: &str,
    reference: Option<LatLon>,
) -> Option<Result<ParsedLocation, LocationError>> {
    // `geo:0,0?q=-8.2,114.3(Label)` and Google's `q=loc:-8.2,114.3` carry decorations.
    let value = value.split('(').next().unwrap_or(value);
    let value = value.trim().trim_start_matches("loc:").trim();
    if value.is_empty() {
        return None;
    }
    match parse_text(value, reference) {
        Ok(p) => Some(Ok(ParsedLocation {
            source: if p.source == Source::PlusCode {
                Source::PlusCode
            } else {
                Source::Link
            },
            ..p
        })),
        // A short Plus Code is a real location that only lacks a reference: say so.
        Err(e @ LocationError::ShortPlusCodeNeedsReference(_)) => Some(Err(e)),
        Err(e @ LocationError::OutOfRange { .. }) => Some(Err(e)),
        Err(_) => None,
    }
}

fn parse_geo_uri(text: &str, reference: Option<LatLon>) -> Result<ParsedLocation, LocationError> {
    let body = &text[4..];
    let (path, _) = body.split_once('?').unwrap_or((body, ""));
    let params = url_params(text);
    if let Some(q) = param(&params, "q")
        && let Some(r) = param_location(q, reference)
    {
        return r;
    }
    let path = path.split(';').next().unwrap_or(path);
    let Some((lat, lon)) = comma_pair(path) else {
        return Err(unrecognised(
            text,
            "a geo: URI needs \"geo:latitude,longitude\"",
        ));
    };
    if lat.0 == 0.0 && lon.0 == 0.0 && param(&params, "q").is_some() {
        // RFC 5870 / Android: 0,0 with a query means "search for the query", not Null Island.
        return Err(LocationError::LinkWithoutCoordinates(shorten(text)));
    }
    link_point(lat, lon)
}

/// The number that follows `marker` (as in `!3d-8.2191`), up to the next `!`, `/`, `?` or `&`.
fn number_after(s: &str, marker: &str) -> Option<(f64, u32)> {
    let i = s.find(marker)? + marker.len();
    let rest = &s[i..];
    let end = rest.find(['!', '/', '?', '&', '#']).unwrap_or(rest.len());
    strict_decimal(&rest[..end])
}

fn parse_link(
    text: &str,
    lower: &str,
    reference: Option<LatLon>,
) -> Result<ParsedLocation, LocationError> {
    let host_end = lower.find("://").map(|i| i + 3).unwrap_or(0);
    let host = &lower[host_end..];
    let host = &host[..host.find(['/', '?', '#']).unwrap_or(host.len())];
    let params = url_params(text);
    if host.contains("openstreetmap.") || host == "osm.org" || host.ends_with(".osm.org") {
        // The marker (mlat/mlon) is the place; `#map=zoom/lat/lon` is only the view.
        for (klat, klon) in [("mlat", "mlon"), ("lat", "lon")] {
            if let (Some(a), Some(b)) = (param(&params, klat), param(&params, klon)) {
                return match (strict_decimal(a), strict_decimal(b)) {
                    (Some(a), Some(b)) => link_point(a, b),
                    _ => Err(unrecognised(text, "mlat/mlon are not decimal numbers")),
                };
            }
        }
        if let Some(m) = param(&params, "map") {
            let parts: Vec<&str> = m.split('/').collect();
            if parts.len() == 3
                && let (Some(a), Some(b)) = (strict_decimal(parts[1]), strict_decimal(parts[2]))
            {
                return link_point(a, b);
            }
        }
        return Err(LocationError::LinkWithoutCoordinates(shorten(text)));
    }
    if !host.contains("google.") && host != "maps.apple.com" {
        return Err(unrecognised(
            text,
            "only Google Maps, OpenStreetMap and Apple Maps links can be read",
        ));
    }
    // `!3d…!4d…` is the place itself; `@…` further on is merely where the map was looking.
    if let (Some(a), Some(b)) = (number_after(text, "!3d"), number_after(text, "!4d")) {
        return link_point(a, b);
    }
    for key in ["q", "query", "ll", "sll", "center", "destination", "daddr"] {
        if let Some(v) = param(&params, key)
            && let Some(r) = param_location(v, reference)
        {
            return r;
        }
    }
    let path = &text[..text.find(['?', '#']).unwrap_or(text.len())];
    // A place named by its coordinates is the pin; `@` is only the viewport.
    for marker in ["/place/", "/search/"] {
        if let Some(i) = path.find(marker) {
            let seg = &path[i + marker.len()..];
            let seg = percent_decode(&seg[..seg.find('/').unwrap_or(seg.len())]);
            if let Some(r) = param_location(&seg, reference) {
                return r;
            }
        }
    }
    // Directions `/dir/origin/destination/@view`: the destination is the delivery address.
    if let Some(i) = path.find("/dir/") {
        let stops = path[i + 5..]
            .split('/')
            .take_while(|seg| !seg.starts_with('@'));
        if let Some(r) = stops
            .filter(|seg| !seg.is_empty())
            .last()
            .and_then(|seg| param_location(&percent_decode(seg), reference))
        {
            return r;
        }
    }
    if let Some(i) = path.find('@')
        && let Some((a, b)) =
            comma_pair(&path[i + 1..path[i..].find('/').map_or(path.len(), |j| i + j)])
    {
        return link_point(a, b);
    }
    Err(LocationError::LinkWithoutCoordinates(shorten(text)))
}

// ---------------------------------------------------------------------------------------------
// Plus Codes in text

/// A whitespace- or comma-separated token that is meant as a Plus Code: a `+` after at least two
/// characters (so `+8.2` is a sign) and only letters and digits around it.
fn find_plus_code(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .find(|t| {
            t.find('+').is_some_and(|i| i >= 2)
                && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
        })
}

fn plus_code_location(
    code: &str,
    reference: Option<LatLon>,
) -> Result<ParsedLocation, LocationError> {
    let upper = code.to_ascii_uppercase();
    let area = match plus_code::kind(&upper) {
        Some(plus_code::Kind::Full) => plus_code::decode(&upper)?,
        Some(plus_code::Kind::Short) => {
            let Some(r) = reference else {
                return Err(LocationError::ShortPlusCodeNeedsReference(upper));
            };
            plus_code::decode(&plus_code::recover_nearest(&upper, r)?)?
        }
        None => return Err(LocationError::InvalidPlusCode(code.to_owned())),
    };
    let point = area.center();
    Ok(ParsedLocation {
        point,
        source: Source::PlusCode,
        precision_m: precision_from_degrees(
            (area.north - area.south) / 2.0,
            (area.east - area.west) / 2.0,
            point.lat(),
        ),
        swapped: false,
    })
}

// ---------------------------------------------------------------------------------------------
// Coordinate pairs (decimal, DMS, DDM)

#[derive(Debug, Clone, Copy, PartialEq)]
enum Axis {
    Lat,
    Lon,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    /// An unsigned number, with its count of decimals and whether a `-` preceded it.
    Num { v: f64, decimals: u32, neg: bool },
    /// Degree, minute or second mark (0, 1, 2).
    Mark(u8),
    /// Hemisphere letter: axis and whether it negates.
    Hemi(Axis, bool),
    /// `,` or `;` between the two coordinates.
    Sep,
}

fn hemisphere(word: &str) -> Option<Option<Tok>> {
    let w = word.to_ascii_uppercase();
    let t = match w.as_str() {
        // Indonesian: Lintang Utara/Selatan, Bujur Timur/Barat.
        "N" | "LU" | "U" => Tok::Hemi(Axis::Lat, false),
        "S" | "LS" => Tok::Hemi(Axis::Lat, true),
        "E" | "BT" | "T" => Tok::Hemi(Axis::Lon, false),
        "W" | "BB" | "B" => Tok::Hemi(Axis::Lon, true),
        // Labels people paste from spreadsheets; the numbers' order still decides.
        "LAT" | "LATITUDE" | "LINTANG" | "LON" | "LNG" | "LONG" | "LONGITUDE" | "BUJUR"
        | "LOKASI" | "KOORDINAT" | "TITIK" => {
            return Some(None);
        }
        _ => return None,
    };
    Some(Some(t))
}

fn lex(text: &str, decimal_comma: bool) -> Result<Vec<Tok>, &'static str> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut neg = false;
    while i < c.len() {
        let ch = c[i];
        let is_dec = |k: usize| {
            k + 1 < c.len()
                && (c[k] == '.' || (decimal_comma && c[k] == ','))
                && c[k + 1].is_ascii_digit()
        };
        if ch.is_ascii_digit() {
            let start = i;
            while i < c.len() && c[i].is_ascii_digit() {
                i += 1;
            }
            let mut s: String = c[start..i].iter().collect();
            let mut decimals = 0;
            if i < c.len() && is_dec(i) {
                i += 1;
                s.push('.');
                while i < c.len() && c[i].is_ascii_digit() {
                    s.push(c[i]);
                    decimals += 1;
                    i += 1;
                }
            }
            let v: f64 = s.parse().map_err(|_| "a number is malformed")?;
            out.push(Tok::Num { v, decimals, neg });
            neg = false;
            continue;
        }
        if neg {
            return Err("a minus sign must be followed by a number");
        }
        match ch {
            '-' | '−' | '–' => neg = true,
            '+' => {}
            '°' | 'º' | '˚' => out.push(Tok::Mark(0)),
            '\'' | '′' | '’' | '‘' | '´' | '`' => {
                if c.get(i + 1) == Some(&ch) {
                    i += 1;
                    out.push(Tok::Mark(2));
                } else {
                    out.push(Tok::Mark(1));
                }
            }
            '"' | '″' | '”' | '“' => out.push(Tok::Mark(2)),
            ',' | ';' => out.push(Tok::Sep),
            ':' | '=' | '(' | ')' | '[' | ']' => {}
            c0 if c0.is_whitespace() => {}
            c0 if c0.is_alphabetic() => {
                let start = i;
                while i < c.len() && c[i].is_alphabetic() {
                    i += 1;
                }
                let word: String = c[start..i].iter().collect();
                match hemisphere(&word) {
                    Some(Some(t)) => out.push(t),
                    Some(None) => {}
                    None => return Err("unexpected word (expected N/S/E/W or LU/LS/BT/BB)"),
                }
                continue;
            }
            _ => return Err("unexpected character"),
        }
        i += 1;
    }
    if neg {
        return Err("a minus sign must be followed by a number");
    }
    Ok(out)
}

/// One coordinate: signed degrees, axis from a hemisphere letter, and half its last unit.
struct Coord {
    value: f64,
    axis: Option<Axis>,
    err_deg: f64,
}

fn coord(group: &[Tok]) -> Result<Coord, &'static str> {
    let mut axis = None;
    let mut negate = false;
    let mut parts: [Option<(f64, u32)>; 3] = [None; 3];
    let mut slot = 0usize;
    let mut sign_neg = false;
    let mut seen_num = false;
    for (k, t) in group.iter().enumerate() {
        match *t {
            Tok::Hemi(a, n) => {
                if axis.is_some() {
                    return Err("two hemisphere letters for one coordinate");
                }
                // Only first or last in the group.
                if k != 0 && k != group.len() - 1 {
                    return Err("a hemisphere letter must come before or after a coordinate");
                }
                axis = Some(a);
                negate = n;
            }
            Tok::Num { v, decimals, neg } => {
                if neg {
                    if seen_num {
                        return Err("only the degrees may carry a minus sign");
                    }
                    sign_neg = true;
                }
                let s = match group.get(k + 1) {
                    Some(Tok::Mark(m)) => *m as usize,
                    _ => slot,
                };
                if s < slot || s > 2 {
                    return Err("degrees, minutes and seconds are out of order");
                }
                parts[s] = Some((v, decimals));
                slot = s + 1;
                seen_num = true;
            }
            Tok::Mark(_) => {
                if !matches!(group.get(k.wrapping_sub(1)), Some(Tok::Num { .. })) || k == 0 {
                    return Err("a degree, minute or second mark without a number");
                }
            }
            Tok::Sep => return Err("unexpected separator"),
        }
    }
    let Some((deg, ddec)) = parts[0] else {
        return Err("a coordinate needs its degrees");
    };
    let n_parts = parts.iter().filter(|p| p.is_some()).count();
    if n_parts != slot {
        return Err("minutes or seconds without the unit before them");
    }
    let mut value = deg;
    let mut err = half_digit(ddec);
    if let Some((m, mdec)) = parts[1] {
        if ddec > 0 {
            return Err("decimal degrees cannot be followed by minutes");
        }
        if m >= 60.0 {
            return Err("minutes must be below 60");
        }
        value += m / 60.0;
        err = half_digit(mdec) / 60.0;
        if let Some((s, sdec)) = parts[2] {
            if mdec > 0 {
                return Err("decimal minutes cannot be followed by seconds");
            }
            if s >= 60.0 {
                return Err("seconds must be below 60");
            }
            value += s / 3600.0;
            err = half_digit(sdec) / 3600.0;
        }
    }
    if sign_neg || negate {
        value = -value;
    }
    Ok(Coord {
        value,
        axis,
        err_deg: err,
    })
}

fn split_groups(toks: &[Tok]) -> Result<Vec<Vec<Tok>>, &'static str> {
    if toks.contains(&Tok::Sep) {
        let groups: Vec<Vec<Tok>> = toks
            .split(|t| *t == Tok::Sep)
            .map(<[Tok]>::to_vec)
            .collect();
        if groups.len() != 2 || groups.iter().any(Vec::is_empty) {
            return Err("expected exactly two coordinates separated by ',' or ';'");
        }
        return Ok(groups);
    }
    let mut groups: Vec<Vec<Tok>> = vec![Vec::new()];
    let has_hemi = toks.iter().any(|t| matches!(t, Tok::Hemi(..)));
    let prefix = matches!(toks.first(), Some(Tok::Hemi(..)));
    let has_deg = toks.contains(&Tok::Mark(0));
    if has_hemi {
        for (k, t) in toks.iter().enumerate() {
            let last = groups.last_mut().expect("never empty");
            if prefix && matches!(t, Tok::Hemi(..)) && !last.is_empty() {
                groups.push(vec![*t]);
            } else {
                last.push(*t);
                if !prefix && matches!(t, Tok::Hemi(..)) && k + 1 < toks.len() {
                    groups.push(Vec::new());
                }
            }
        }
    } else if has_deg {
        for (k, t) in toks.iter().enumerate() {
            let starts_degrees =
                matches!(t, Tok::Num { .. }) && toks.get(k + 1) == Some(&Tok::Mark(0));
            let last = groups.last_mut().expect("never empty");
            if starts_degrees && !last.is_empty() {
                groups.push(vec![*t]);
            } else {
                last.push(*t);
            }
        }
    } else {
        // Bare numbers: 2 = decimal, 4 = degrees minutes, 6 = degrees minutes seconds.
        let n = toks.len();
        if !matches!(n, 2 | 4 | 6) || toks.iter().any(|t| !matches!(t, Tok::Num { .. })) {
            return Err("expected two coordinates (2, 4 or 6 numbers)");
        }
        return Ok(toks.chunks(n / 2).map(<[Tok]>::to_vec).collect());
    }
    if groups.len() != 2 || groups.iter().any(Vec::is_empty) {
        return Err("expected exactly two coordinates");
    }
    Ok(groups)
}

fn parse_pair(text: &str) -> Result<ParsedLocation, LocationError> {
    let has_dot = text.contains('.');
    let digit_commas = {
        let c: Vec<char> = text.chars().collect();
        (1..c.len().saturating_sub(1))
            .filter(|&k| c[k] == ',' && c[k - 1].is_ascii_digit() && c[k + 1].is_ascii_digit())
            .count()
    };
    let all_commas = text.matches(',').count();
    // `-8,2191; 114,3691`, `-8,2191 114,3691` and `-8,2191, 114,3691` (one more comma, not
    // between digits, as the pair separator).
    let decimal_comma = !has_dot
        && digit_commas > 0
        && ((text.contains(';') && digit_commas == all_commas)
            || (digit_commas == 2 && all_commas - digit_commas <= 1));
    if !has_dot && !text.contains(';') && digit_commas == all_commas && digit_commas >= 3 {
        return Err(LocationError::Ambiguous {
            input: shorten(text),
            reason: "commas are used both as decimal separators and between the numbers; write \
                     \"-8.2191, 114.3691\" or \"-8,2191; 114,3691\"",
        });
    }
    let toks = lex(text, decimal_comma).map_err(|d| unrecognised(text, d))?;
    if !toks.iter().any(|t| matches!(t, Tok::Num { .. })) {
        return Err(unrecognised(text, "no numbers found"));
    }
    let groups = split_groups(&toks).map_err(|d| unrecognised(text, d))?;
    let a = coord(&groups[0]).map_err(|d| unrecognised(text, d))?;
    let b = coord(&groups[1]).map_err(|d| unrecognised(text, d))?;
    let swapped = match (a.axis, b.axis) {
        (Some(x), Some(y)) if x == y => {
            return Err(LocationError::Ambiguous {
                input: shorten(text),
                reason: "both coordinates carry a latitude letter or both a longitude letter; \
                         expected one of N/S (LU/LS) and one of E/W (BT/BB)",
            });
        }
        (Some(Axis::Lon), _) | (_, Some(Axis::Lat)) => true,
        (Some(Axis::Lat), _) | (_, Some(Axis::Lon)) => false,
        (None, None) => a.value.abs() > 90.0 && a.value.abs() <= 180.0 && b.value.abs() <= 90.0,
    };
    let (lat, lon) = if swapped { (&b, &a) } else { (&a, &b) };
    let point = LatLon::new(lat.value, lon.value).map_err(|_| LocationError::OutOfRange {
        first: a.value,
        second: b.value,
    })?;
    Ok(ParsedLocation {
        point,
        source: Source::Pin,
        precision_m: precision_from_degrees(lat.err_deg, lon.err_deg, lat.value),
        swapped,
    })
}

// ---------------------------------------------------------------------------------------------

/// Open Location Code ("Plus Code"), written from the public specification: base-20 pairs of
/// latitude/longitude digits down to 1/8000 degree, then up to five 4×5 grid refinements.
/// Arithmetic is on integers of the finest cell so decoding and encoding agree exactly.
pub mod plus_code {
    use super::{LatLon, LocationError};

    const ALPHABET: &[u8; 20] = b"23456789CFGHJMPQRVWX";
    const SEPARATOR_POSITION: usize = 8;
    const PAIR_LENGTH: usize = 10;
    const MAX_LENGTH: usize = 15;
    const GRID_ROWS: i64 = 5;
    const GRID_COLS: i64 = 4;
    /// Finest cells per degree: 8000 from the pairs times 5^5 / 4^5 from the grid.
    const LAT_PER_DEG: i64 = 8000 * 3125;
    const LON_PER_DEG: i64 = 8000 * 1024;

    /// Full codes name a cell on their own; short codes lack leading digits and need a reference.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// Like `6P3Q8XHG+VQ`.
        Full,
        /// Like `8XHG+VQ`.
        Short,
    }

    /// The cell a code names, in degrees.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct CodeArea {
        /// Southern edge.
        pub south: f64,
        /// Western edge.
        pub west: f64,
        /// Northern edge.
        pub north: f64,
        /// Eastern edge.
        pub east: f64,
        /// Significant digits (2..=15).
        pub code_length: usize,
    }

    impl CodeArea {
        /// The centre of the cell (clipped to the valid range at the poles and the antimeridian).
        pub fn center(&self) -> LatLon {
            let lat = ((self.south + self.north) / 2.0).clamp(-90.0, 90.0);
            let lon = ((self.west + self.east) / 2.0).clamp(-180.0, 180.0);
            LatLon::new(lat, lon).expect("clamped into range")
        }
    }

    fn value(c: u8) -> Option<i64> {
        ALPHABET
            .iter()
            .position(|&a| a == c.to_ascii_uppercase())
            .map(|p| p as i64)
    }

    /// Whether `code` is a valid full or short code (case-insensitive), per the specification:
    /// one `+` at an even position up to 8, `0` padding only before a final `+` in full-length
    /// prefixes, and never a single digit after the `+`.
    pub fn kind(code: &str) -> Option<Kind> {
        let b = code.as_bytes();
        let sep = code.find('+')?;
        if code[sep + 1..].contains('+') || sep > SEPARATOR_POSITION || sep % 2 == 1 {
            return None;
        }
        let after = b.len() - sep - 1;
        if after == 1 || b.len() < 2 {
            return None;
        }
        if let Some(pad) = code.find('0') {
            if pad == 0 || pad % 2 == 1 || sep < SEPARATOR_POSITION || after != 0 {
                return None;
            }
            if !b[pad..sep].iter().all(|&c| c == b'0') {
                return None;
            }
        }
        let pad_at = code.find('0').unwrap_or(sep);
        if !b[..pad_at]
            .iter()
            .chain(&b[sep + 1..])
            .all(|&c| value(c).is_some())
        {
            return None;
        }
        if sep < SEPARATOR_POSITION {
            return Some(Kind::Short);
        }
        // Full: the first latitude digit covers 20° from -90, the first longitude 20° from -180.
        if value(b[0])? * 20 >= 180 || (pad_at > 1 && value(b[1])? * 20 >= 360) {
            return None;
        }
        Some(Kind::Full)
    }

    /// The cell of a full code. Digits beyond the 15th are ignored, as the specification says.
    pub fn decode(code: &str) -> Result<CodeArea, LocationError> {
        if kind(code) != Some(Kind::Full) {
            return Err(LocationError::InvalidPlusCode(code.to_owned()));
        }
        let digits: Vec<i64> = code
            .bytes()
            .filter(|&c| c != b'+' && c != b'0')
            .filter_map(value)
            .take(MAX_LENGTH)
            .collect();
        let (mut lat, mut lon) = (0i64, 0i64);
        // Units in finest cells: the first pair counts 20° steps, each next pair 1/20 of that.
        let (mut lat_unit, mut lon_unit) = (LAT_PER_DEG * 20, LON_PER_DEG * 20);
        for (i, pair) in digits[..digits.len().min(PAIR_LENGTH)]
            .chunks(2)
            .enumerate()
        {
            if i > 0 {
                lat_unit /= 20;
                lon_unit /= 20;
            }
            lat += pair[0] * lat_unit;
            lon += pair.get(1).copied().unwrap_or(0) * lon_unit;
        }
        for &d in digits.iter().skip(PAIR_LENGTH) {
            lat_unit /= GRID_ROWS;
            lon_unit /= GRID_COLS;
            lat += (d / GRID_COLS) * lat_unit;
            lon += (d % GRID_COLS) * lon_unit;
        }
        let south = lat as f64 / LAT_PER_DEG as f64 - 90.0;
        let west = lon as f64 / LON_PER_DEG as f64 - 180.0;
        Ok(CodeArea {
            south,
            west,
            north: south + lat_unit as f64 / LAT_PER_DEG as f64,
            east: west + lon_unit as f64 / LON_PER_DEG as f64,
            code_length: digits.len(),
        })
    }

    /// The code of the cell containing `p` with `code_length` significant digits; lengths are
    /// brought into 2..=15 and, below 10, rounded up to even, as only those exist.
    pub fn encode(p: LatLon, code_length: usize) -> String {
        encode_degrees(p.lat(), p.lon(), code_length)
    }

    fn encode_degrees(lat: f64, lon: f64, code_length: usize) -> String {
        let mut len = code_length.clamp(2, MAX_LENGTH);
        if len < PAIR_LENGTH && len % 2 == 1 {
            len += 1;
        }
        // Round away float noise first (80.01 has no exact binary form), then truncate.
        let to_int = |x: f64, per: i64| ((x * per as f64 * 1e6).round() / 1e6).floor() as i64;
        let lat_max = 180 * LAT_PER_DEG;
        let mut lat_i = to_int(lat.clamp(-90.0, 90.0) + 90.0, LAT_PER_DEG).clamp(0, lat_max - 1);
        let lon_norm = (lon + 180.0).rem_euclid(360.0);
        let mut lon_i = to_int(lon_norm, LON_PER_DEG).rem_euclid(360 * LON_PER_DEG);
        let mut digits = [0u8; MAX_LENGTH];
        for k in (PAIR_LENGTH..MAX_LENGTH).rev() {
            digits[k] = ((lat_i % GRID_ROWS) * GRID_COLS + lon_i % GRID_COLS) as u8;
            lat_i /= GRID_ROWS;
            lon_i /= GRID_COLS;
        }
        for k in (0..PAIR_LENGTH / 2).rev() {
            digits[2 * k + 1] = (lon_i % 20) as u8;
            digits[2 * k] = (lat_i % 20) as u8;
            lat_i /= 20;
            lon_i /= 20;
        }
        let mut out = String::with_capacity(MAX_LENGTH + 1);
        for (k, &d) in digits.iter().enumerate() {
            if k == SEPARATOR_POSITION {
                out.push('+');
            }
            if k < len {
                out.push(ALPHABET[d as usize] as char);
            } else if k < SEPARATOR_POSITION {
                out.push('0');
            } else {
                break;
            }
        }
        out
    }

    /// The full code nearest to `reference` that ends with the short code `short`: the missing
    /// leading digits are the reference's, then moved by one cell if that lands closer.
    pub fn recover_nearest(short: &str, reference: LatLon) -> Result<String, LocationError> {
        let short = short.to_ascii_uppercase();
        match kind(&short) {
            Some(Kind::Full) => return Ok(short),
            Some(Kind::Short) => {}
            None => return Err(LocationError::InvalidPlusCode(short)),
        }
        let sep = short.find('+').expect("valid codes have a separator");
        let missing = SEPARATOR_POSITION - sep;
        // Size in degrees of the cell named by the missing digits: 20, 1, 0.05 or 0.0025.
        let resolution = 20f64.powi(2 - (missing / 2) as i32);
        let half = resolution / 2.0;
        let prefix = encode(reference, PAIR_LENGTH);
        let candidate = format!("{}{}", &prefix[..missing], short);
        let area = decode(&candidate)?;
        let (mut lat, mut lon) = (
            (area.south + area.north) / 2.0,
            (area.west + area.east) / 2.0,
        );
        let (rlat, rlon) = (reference.lat(), reference.lon());
        if rlat + half < lat && lat - resolution >= -90.0 {
            lat -= resolution;
        } else if rlat - half > lat && lat + resolution <= 90.0 {
            lat += resolution;
        }
        if rlon + half < lon {
            lon -= resolution;
        } else if rlon - half > lon {
            lon += resolution;
        }
        Ok(encode_degrees(lat, lon, area.code_length))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_plus_escapes_and_broken_input() {
        assert_eq!(percent_decode("-8.2%2C+114.3"), "-8.2, 114.3");
        assert_eq!(percent_decode("%E2%80%B3"), "″");
        assert_eq!(percent_decode("%zz%"), "%zz%");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn strict_decimals_count_their_digits() {
        assert_eq!(strict_decimal("-8.2191"), Some((-8.2191, 4)));
        assert_eq!(strict_decimal("+114"), Some((114.0, 0)));
        for bad in ["", "-", ".5", "1e5", "inf", "NaN", "1.2.3", "8,2"] {
            assert_eq!(strict_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn two_single_quotes_are_seconds_and_labels_are_skipped() {
        let toks = lex("Lat: 8°13'8.8'' S", false).unwrap();
        assert_eq!(toks.iter().filter(|t| **t == Tok::Mark(2)).count(), 1);
        assert_eq!(toks.iter().filter(|t| **t == Tok::Mark(1)).count(), 1);
        assert!(lex("8 - 114", false).is_err());
    }

    #[test]
    fn bare_numbers_group_as_decimal_dm_or_dms() {
        let toks = lex("8 13 8.8 114 22 8.8", false).unwrap();
        let g = split_groups(&toks).unwrap();
        assert_eq!((g[0].len(), g[1].len()), (3, 3));
        assert!(split_groups(&lex("8 13 8.8", false).unwrap()).is_err());
    }

    #[test]
    fn a_plus_sign_before_a_number_is_not_a_plus_code() {
        assert_eq!(find_plus_code("+8.2, +114.3"), None);
        assert_eq!(find_plus_code("Q9J9+9J Banyuwangi"), Some("Q9J9+9J"));
    }
}
