//! The national id number (NIK, Nomor Induk Kependudukan): 16 digits, as it arrives from
//! spreadsheets that treated it as a number.
//!
//! Owns: [`Nik`], [`NikError`] and [`Nik::parse`]. Pure; no I/O. A `Nik` never prints its
//! digits through `Debug` or `Display`: only [`Nik::last4`] is for showing.
//!
//! Spreadsheets damage NIKs in two ways, handled differently:
//! - a number cell drops leading zeros (`0510…` becomes 15 digits): the value is still exact, so
//!   it is padded back to 16 digits and the padding is reported as a warning;
//! - scientific notation (`3.51005E+15`) keeps only the digits shown: when the mantissa has
//!   fewer digits than the number, the rest are lost and the value is refused with advice
//!   (format the column as Text), never guessed.

use std::fmt;

/// A 16-digit national id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nik(String);

/// Why a NIK cell was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    /// Letters or symbols that cannot be in a NIK.
    #[error("NIK must be 16 digits; found other characters")]
    NotDigits,
    /// More than 16 digits.
    #[error("NIK must be 16 digits; found {0}")]
    TooLong(usize),
    /// Far fewer than 16 digits: not a NIK that lost zeros.
    #[error("NIK must be 16 digits; found {0}")]
    TooShort(usize),
    /// Scientific notation that dropped digits.
    #[error(
        "NIK in scientific notation lost its last digits ({0}); format the column as Text and export again"
    )]
    PrecisionLost(String),
}

impl NikError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotDigits | Self::TooLong(_) | Self::TooShort(_) => "invalid_nik",
            Self::PrecisionLost(_) => "nik_precision_lost",
        }
    }
}

/// A parsed NIK and whether leading zeros had to be put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedNik {
    /// The NIK.
    pub nik: Nik,
    /// How many leading zeros were restored.
    pub zeros_restored: usize,
}

/// Fewest digits accepted as a NIK whose leading zeros were dropped.
const MIN_DIGITS: usize = 12;

impl Nik {
    /// Parse a cell: spaces, dots between digit groups, a leading apostrophe (Excel's "text"
    /// marker) and a trailing `.0` are tolerated; scientific notation is expanded exactly.
    pub fn parse(input: &str) -> Result<ParsedNik, NikError> {
        let s: String = input
            .trim()
            .trim_start_matches('\'')
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let digits = if let Some((mantissa, exp)) = s.split_once(['e', 'E']) {
            let numeric = |t: &str| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
            };
            if !numeric(mantissa) || !numeric(exp.trim_start_matches('+')) {
                return Err(NikError::NotDigits);
            }
            expand_scientific(mantissa, exp).ok_or_else(|| NikError::PrecisionLost(s.clone()))?
        } else {
            let s = s
                .strip_suffix(".0")
                .or_else(|| s.strip_suffix(",0"))
                .unwrap_or(&s);
            let d: String = s.chars().filter(|c| *c != '.').collect();
            if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
                return Err(NikError::NotDigits);
            }
            d
        };
        match digits.len() {
            16 => Ok(ParsedNik {
                nik: Nik(digits),
                zeros_restored: 0,
            }),
            n if n > 16 => Err(NikError::TooLong(n)),
            n if n >= MIN_DIGITS => Ok(ParsedNik {
                nik: Nik(format!("{digits:0>16}")),
                zeros_restored: 16 - n,
            }),
            n => Err(NikError::TooShort(n)),
        }
    }

    /// The last four digits, for display.
    pub fn last4(&self) -> &str {
        &self.0[12..]
    }

    /// The digits, for computing a keyed MAC; never log or store them.
    pub fn expose_digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik(****{})", self.last4())
    }
}

/// `3.510052003450001E+15` → `3510052003450001`, or `None` when the mantissa does not carry
/// every digit of the integer (digits were lost) or the text is not a number.
fn expand_scientific(mantissa: &str, exp: &str) -> Option<String> {
    let exp: usize = exp.trim_start_matches('+').parse().ok()?;
    let mantissa = mantissa.replace(',', ".");
    let (int, frac) = mantissa.split_once('.').unwrap_or((&mantissa, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    if frac.len() < exp {
        // Fewer shown digits than the number has: the tail was rounded away. (Zeros that
        // are shown count: `6.076059663219080E+15` keeps all sixteen digits.)
        return None;
    }
    let (whole, rest) = frac.split_at(exp);
    if rest.bytes().any(|b| b != b'0') {
        // A fraction left over: not an integer at all.
        return None;
    }
    Some(format!("{int}{whole}").trim_start_matches('0').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_digits_in_any_common_dress() {
        for s in [
            "3510052003450001",
            " 3510 0520 0345 0001 ",
            "'3510052003450001",
            "3510052003450001.0",
            "3.510052003450001E+15",
            "3,510052003450001e15",
        ] {
            let p = Nik::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.nik.expose_digits(), "3510052003450001", "{s}");
            assert_eq!(p.zeros_restored, 0);
        }
    }

    #[test]
    fn lost_leading_zeros_are_restored_and_counted() {
        let p = Nik::parse("510052003450002").unwrap();
        assert_eq!(p.nik.expose_digits(), "0510052003450002");
        assert_eq!(p.zeros_restored, 1);
        assert_eq!(p.nik.last4(), "0002");
    }

    #[test]
    fn scientific_notation_that_dropped_digits_is_refused() {
        assert!(matches!(
            Nik::parse("3.51005E+15"),
            Err(NikError::PrecisionLost(_))
        ));
        assert_eq!(Nik::parse("12345").unwrap_err().code(), "invalid_nik");
        assert_eq!(
            Nik::parse("35100520034500019").unwrap_err(),
            NikError::TooLong(17)
        );
        assert_eq!(
            Nik::parse("35100A2003450001").unwrap_err(),
            NikError::NotDigits
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(s in "\\PC{0,40}") {
            if let Ok(p) = Nik::parse(&s) {
                proptest::prop_assert_eq!(p.nik.expose_digits().len(), 16);
            }
        }

        #[test]
        fn sixteen_digits_survive_every_spreadsheet_dress(n in 1_100_000_000_000_000u64..9_499_999_999_999_999) {
            let digits = n.to_string();
            for dressed in [digits.clone(), format!("'{digits}"), format!("{digits}.0"), format!("{}.{}E+15", &digits[..1], &digits[1..])] {
                let p = Nik::parse(&dressed).unwrap();
                proptest::prop_assert_eq!(p.nik.expose_digits(), digits.as_str());
            }
        }
    }

    #[test]
    fn debug_hides_all_but_the_last_four() {
        let p = Nik::parse("3510052003450001").unwrap();
        assert_eq!(format!("{:?}", p.nik), "Nik(****0001)");
    }
}
