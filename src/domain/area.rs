//! Administrative areas: kabupaten, kecamatan and desa/kelurahan with their Kemendagri codes
//! (`35.10` kabupaten, `35.10.05` kecamatan, `35.10.05.2003` desa), and the normalisation that
//! lets a spreadsheet's "Ds. Kemiren" or "DESA  KEMIREN" find the same village.
//!
//! Owns: [`AreaCode`], [`AreaKind`], [`Area`], [`place_key`] and [`person_key`]. Pure; no I/O.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::geo::LatLon;

/// The level of an administrative area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    /// Kabupaten / kota (regency).
    Kabupaten,
    /// Kecamatan (district).
    Kecamatan,
    /// Desa / kelurahan (village).
    Desa,
}

impl AreaKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kabupaten => "kabupaten",
            Self::Kecamatan => "kecamatan",
            Self::Desa => "desa",
        }
    }
}

impl FromStr for AreaKind {
    type Err = AreaCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match place_key(s).as_str() {
            "kabupaten" | "kab" | "kota" | "regency" => Ok(Self::Kabupaten),
            "kecamatan" | "kec" | "district" => Ok(Self::Kecamatan),
            "desa" | "kelurahan" | "kel" | "village" | "" => Ok(Self::Desa),
            _ => Err(AreaCodeError(format!("unknown area kind {s:?}"))),
        }
    }
}

/// A code that is not in Kemendagri form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AreaCodeError(pub String);

/// A Kemendagri area code: `PP.KK` (kabupaten), `PP.KK.CC` (kecamatan), `PP.KK.CC.DDDD` (desa).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaCode(String);

impl AreaCode {
    /// Parse a code; dots are required between the parts, spaces around them are ignored.
    pub fn parse(input: &str) -> Result<Self, AreaCodeError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let parts: Vec<&str> = s.split('.').collect();
        let widths: &[usize] = match parts.len() {
            2 => &[2, 2],
            3 => &[2, 2, 2],
            4 => &[2, 2, 2, 4],
            _ => {
                return Err(AreaCodeError(format!(
                    "{input:?} is not a Kemendagri code like 35.10.05 (kecamatan) or 35.10.05.2003 (desa)"
                )));
            }
        };
        for (p, w) in parts.iter().zip(widths) {
            if p.len() != *w || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AreaCodeError(format!(
                    "{input:?} is not a Kemendagri code like 35.10.05 (kecamatan) or 35.10.05.2003 (desa)"
                )));
            }
        }
        Ok(Self(s))
    }

    /// Which level the code names.
    pub fn kind(&self) -> AreaKind {
        match self.0.split('.').count() {
            2 => AreaKind::Kabupaten,
            3 => AreaKind::Kecamatan,
            _ => AreaKind::Desa,
        }
    }

    /// The enclosing area's code (none for a kabupaten: provinces are not kept).
    pub fn parent(&self) -> Option<AreaCode> {
        match self.kind() {
            AreaKind::Kabupaten => None,
            _ => self.0.rsplit_once('.').map(|(p, _)| AreaCode(p.to_owned())),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AreaCode {
    type Err = AreaCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An administrative area.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// Kemendagri code.
    pub code: AreaCode,
    /// Level (always the one the code's shape says).
    pub kind: AreaKind,
    /// Official name, e.g. `Kemiren`.
    pub name: String,
    /// The enclosing area's code.
    pub parent_code: Option<AreaCode>,
    /// Centroid, when known.
    pub centroid: Option<LatLon>,
}

/// Prefixes that say what kind of place a name is, not which one ("Ds. Kemiren").
const PLACE_PREFIXES: [&str; 9] = [
    "desa",
    "ds",
    "kelurahan",
    "kel",
    "kecamatan",
    "kec",
    "dusun",
    "dsn",
    "kampung",
];

/// Lower case, punctuation to spaces, runs of spaces collapsed.
fn words(s: &str) -> Vec<String> {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The key two spellings of one place name share: case, spacing and punctuation ignored, a
/// leading "Desa", "Ds.", "Kel.", "Kelurahan", "Kec." (and the like) stripped.
/// `place_key("Ds.  KEMIREN") == place_key("desa kemiren") == "kemiren"`.
pub fn place_key(name: &str) -> String {
    let mut w = words(name);
    while w.len() > 1 && PLACE_PREFIXES.contains(&w[0].as_str()) {
        w.remove(0);
    }
    w.join(" ")
}

/// The key two spellings of one person's name share: case, spacing and punctuation ignored.
pub fn person_key(name: &str) -> String {
    words(name).join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_know_their_level_and_parent() {
        let d = AreaCode::parse("35.10.05.2003").unwrap();
        assert_eq!(d.kind(), AreaKind::Desa);
        assert_eq!(d.parent().unwrap().as_str(), "35.10.05");
        assert_eq!(d.parent().unwrap().kind(), AreaKind::Kecamatan);
        assert_eq!(
            AreaCode::parse("35.10").unwrap().kind(),
            AreaKind::Kabupaten
        );
        assert!(AreaCode::parse("35.10").unwrap().parent().is_none());
        assert_eq!(AreaCode::parse(" 35.10.05 ").unwrap().as_str(), "35.10.05");
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "3510052003",
            "35.1.05",
            "35.10.05.203",
            "35.10.05.2003.1",
            "x",
        ] {
            assert!(AreaCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn place_names_lose_prefixes_case_and_spacing() {
        assert_eq!(place_key("Ds.  KEMIREN"), "kemiren");
        assert_eq!(place_key("Desa Kemiren"), "kemiren");
        assert_eq!(place_key("Kel. Singotrunan"), "singotrunan");
        assert_eq!(place_key("Kec. Glagah"), "glagah");
        assert_eq!(place_key("Desa"), "desa");
        assert_eq!(person_key("  Siti   AMINAH, "), "siti aminah");
    }
}
