//! Indonesian phone numbers, normalised to E.164 with the +62 country code.
//!
//! Owns: [`Phone`]. Must not depend on anything outside `std` and `serde`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A phone number in E.164 form, always starting with `+62`.
///
/// Accepts the ways Indonesians write numbers: `0812-3456-7890`, `+62 812 3456 7890`,
/// `62812...`, `(0333) 421 777` (landline with area code).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {input:?}")]
pub struct PhoneError {
    input: String,
    reason: &'static str,
}

impl Phone {
    /// Normalise a phone number to `+62…`.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let err = |reason| PhoneError {
            input: input.to_owned(),
            reason,
        };
        let trimmed = input.trim();
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(err(
                        "a phone number may contain only digits, spaces, dashes, dots and parentheses",
                    ));
                }
            }
        }
        let national = if let Some(rest) = digits.strip_prefix("62") {
            rest
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else if trimmed.starts_with('+') {
            return Err(err("only Indonesian numbers (+62) are accepted"));
        } else {
            return Err(err("expected a number starting with 0, 62 or +62"));
        };
        let national = national.trim_start_matches('0');
        // Indonesian national significant numbers are 7 to 12 digits (landline area code + number,
        // or a mobile number starting with 8).
        if !(7..=12).contains(&national.len()) {
            return Err(err("expected 7 to 12 digits after the country code"));
        }
        Ok(Self(format!("+62{national}")))
    }

    /// The normalised `+62…` form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> Self {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_indonesian_forms_normalise_to_plus_62() {
        for s in [
            "0812-3456-7890",
            "+62 812 3456 7890",
            "6281234567890",
            "+62 (0)812 3456 7890",
        ] {
            assert_eq!(Phone::parse(s).unwrap().as_str(), "+6281234567890", "{s}");
        }
        assert_eq!(
            Phone::parse("(0333) 421777").unwrap().as_str(),
            "+62333421777"
        );
    }

    #[test]
    fn foreign_short_and_garbage_numbers_are_refused() {
        for s in ["+1 202 555 0100", "0812", "0812abc", "", "12345678"] {
            assert!(Phone::parse(s).is_err(), "{s}");
        }
    }
}
