//! Standard Webhooks v1 signatures: HMAC-SHA256 over `"{webhook-id}.{webhook-timestamp}.{body}"`,
//! sent as `webhook-signature: v1,<base64>` (several, space-separated, while a secret rotates).
//!
//! Owns: [`SigningKey`], [`sign`], [`signature_header`], [`verify`], [`verify_headers`] and
//! [`VerifyError`]. Pure: no
//! clock (the caller passes `now`), no I/O, so every rule here is tested deterministically.

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::WebhookError;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of every symmetric Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// How far `webhook-timestamp` may be from `now`, either way, before a request is refused as a
/// possible replay (the Standard Webhooks libraries use the same five minutes).
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// Shortest key the specification allows (24 bytes = 192 bits).
pub const MIN_KEY_BYTES: usize = 24;
/// Longest key the specification allows (64 bytes = 512 bits).
pub const MAX_KEY_BYTES: usize = 64;

/// Longest `webhook-id` accepted; ours are UUIDs, partners' ids are similar.
pub const MAX_ID_BYTES: usize = 256;

/// Standard base64, padding optional: the official libraries accept secrets pasted without their
/// trailing `=`, so refusing them here would break interoperability for nothing.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A parsed `whsec_…` secret: the raw HMAC key. `Debug` never shows the key.
#[derive(Clone)]
pub struct SigningKey {
    key: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({} bytes, redacted)", self.key.len())
    }
}

impl SigningKey {
    /// Parse `whsec_<base64>`; the key is the decoded part and must be 24 to 64 bytes long.
    pub fn parse(secret: &str) -> Result<Self, WebhookError> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        let encoded = secret
            .strip_prefix(SECRET_PREFIX)
            .ok_or(WebhookError::SecretPrefix)?;
        if encoded.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        let key = LENIENT_B64
            .decode(encoded)
            .map_err(|e| WebhookError::SecretNotBase64(e.to_string()))?;
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(WebhookError::SecretLength(key.len()));
        }
        Ok(Self { key })
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length, and `parse` guarantees 24..=64 bytes.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// `v1,<base64 signature>` for one message. The id must already be valid (see [`sign`]).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Constant-time check of one raw signature against this key.
    fn matches(&self, id: &str, timestamp: i64, body: &[u8], signature: &[u8]) -> bool {
        self.mac(id, timestamp, body)
            .verify_slice(signature)
            .is_ok()
    }
}

/// A `webhook-id` is part of the signed content, so a `.` in it would make the content ambiguous
/// (the specification warns against it); control characters cannot travel in a header anyway.
fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        return Err("is empty");
    }
    if id.len() > MAX_ID_BYTES {
        return Err("is longer than 256 bytes");
    }
    if id.contains('.') {
        return Err("contains '.'");
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("contains a space, a control character or non-ASCII text");
    }
    Ok(())
}

/// Sign one message with one secret: `v1,<base64>`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, WebhookError> {
    check_id(id).map_err(|reason| WebhookError::InvalidId {
        id: id.to_owned(),
        reason,
    })?;
    Ok(SigningKey::parse(secret)?.sign(id, timestamp, body))
}

/// The whole `webhook-signature` header: one `v1,` signature per secret, space-separated, in the
/// order given (current secret first while rotating, by convention).
pub fn signature_header(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::NoSecrets);
    }
    let mut header = String::with_capacity(secrets.len() * 48);
    for secret in secrets {
        if !header.is_empty() {
            header.push(' ');
        }
        header.push_str(&sign(secret, id, timestamp, body)?);
    }
    Ok(header)
}

/// Why an inbound request's signature was refused. Each variant has a stable [`VerifyError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header is absent or empty.
    #[error("header {0} is missing")]
    MissingHeader(&'static str),
    /// A header is present but not in the expected shape.
    #[error("header {header} is malformed: {reason}")]
    MalformedHeader {
        /// The header's name.
        header: &'static str,
        /// What was expected.
        reason: String,
    },
    /// `webhook-timestamp` is more than five minutes before `now`.
    #[error("webhook-timestamp {timestamp} is {age} s old; at most {TOLERANCE_SECONDS} s accepted")]
    TimestampTooOld {
        /// The header's value.
        timestamp: i64,
        /// Seconds before `now`.
        age: i64,
    },
    /// `webhook-timestamp` is more than five minutes after `now`.
    #[error(
        "webhook-timestamp {timestamp} is {ahead} s in the future; at most {TOLERANCE_SECONDS} s accepted"
    )]
    TimestampTooNew {
        /// The header's value.
        timestamp: i64,
        /// Seconds after `now`.
        ahead: i64,
    },
    /// No `v1,` signature in the header matches any of the secrets.
    #[error("no v1 signature matches")]
    NoMatchingSignature,
    /// One of our own configured secrets is unusable (a configuration fault, not the caller's).
    #[error("verification secret unusable: {0}")]
    Secret(#[from] WebhookError),
}

impl VerifyError {
    /// A stable, machine-readable code for problem documents and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeader(_) => "missing_header",
            Self::MalformedHeader { .. } => "malformed_header",
            Self::TimestampTooOld { .. } => "timestamp_too_old",
            Self::TimestampTooNew { .. } => "timestamp_too_new",
            Self::NoMatchingSignature => "bad_signature",
            Self::Secret(_) => "secret_unusable",
        }
    }
}

/// The parsed value of `webhook-timestamp`: Unix seconds, digits only.
pub fn parse_timestamp(header: &str) -> Result<i64, VerifyError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-timestamp"));
    }
    if !header.bytes().all(|b| b.is_ascii_digit()) || header.len() > 12 {
        return Err(VerifyError::MalformedHeader {
            header: "webhook-timestamp",
            reason: format!("expected Unix seconds (digits only), got {header:?}"),
        });
    }
    // At most 12 digits: always fits an i64.
    Ok(header.parse().expect("checked digits"))
}

/// Verify an inbound request signed the Standard Webhooks way.
///
/// `secrets` are the partner's current secrets (two while rotating); the request passes when any
/// `v1,` signature in `signature_header` matches any secret. Other schemes (`v1a,` …) are skipped,
/// as the specification asks. `now` is Unix seconds; a timestamp more than
/// [`TOLERANCE_SECONDS`] away from it, either way, is refused. Comparison is constant-time.
///
/// ```
/// use antar::webhooks::{VerifyError, signature_header, verify};
///
/// let (old, new) = (
///     "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
///     "whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==",
/// );
/// let body = br#"{"type":"job.accepted"}"#;
/// // The partner rotates its secret and signs with both for a while.
/// let header = signature_header(&[new, old], "evt_1", 1_796_000_000, body).unwrap();
/// assert!(header.starts_with("v1,") && header.contains(" v1,"));
/// // We still know only the old secret: accepted.
/// verify(&[old], "evt_1", "1796000000", &header, body, 1_796_000_120).unwrap();
/// // Ten minutes later the same request is a replay.
/// assert!(matches!(
///     verify(&[old], "evt_1", "1796000000", &header, body, 1_796_000_600),
///     Err(VerifyError::TimestampTooOld { .. })
/// ));
/// ```
pub fn verify(
    secrets: &[&str],
    id: &str,
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    if secrets.is_empty() {
        return Err(VerifyError::Secret(WebhookError::NoSecrets));
    }
    let keys = secrets
        .iter()
        .map(|s| SigningKey::parse(s))
        .collect::<Result<Vec<_>, _>>()?;

    let id = id.trim();
    if id.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-id"));
    }
    check_id(id).map_err(|reason| VerifyError::MalformedHeader {
        header: "webhook-id",
        reason: reason.to_owned(),
    })?;

    let timestamp = parse_timestamp(timestamp_header)?;
    let delta = now.saturating_sub(timestamp);
    if delta > TOLERANCE_SECONDS {
        return Err(VerifyError::TimestampTooOld {
            timestamp,
            age: delta,
        });
    }
    if delta < -TOLERANCE_SECONDS {
        return Err(VerifyError::TimestampTooNew {
            timestamp,
            ahead: -delta,
        });
    }

    let signatures = signature_header.trim();
    if signatures.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-signature"));
    }
    let malformed = |reason: String| VerifyError::MalformedHeader {
        header: "webhook-signature",
        reason,
    };
    let mut seen_v1 = false;
    for entry in signatures.split_ascii_whitespace() {
        let Some((version, encoded)) = entry.split_once(',') else {
            return Err(malformed(format!(
                "expected space-separated \"v1,<base64>\" entries, got {entry:?}"
            )));
        };
        if version != "v1" {
            continue;
        }
        seen_v1 = true;
        // A signature that is not base64, or has the wrong length, matches nothing; it is not an
        // error on its own, since another entry may still match.
        let Ok(raw) = STANDARD.decode(encoded) else {
            continue;
        };
        if keys.iter().any(|k| k.matches(id, timestamp, body, &raw)) {
            return Ok(());
        }
    }
    if !seen_v1 {
        return Err(malformed("no \"v1,\" signature present".to_owned()));
    }
    Err(VerifyError::NoMatchingSignature)
}

/// [`verify`] for a received request: reads `webhook-id`, `webhook-timestamp` and
/// `webhook-signature` from `headers` and, on success, returns the `webhook-id` (the idempotency
/// key: a duplicate is answered 200 and ignored).
pub fn verify_headers<'h>(
    secrets: &[&str],
    headers: &'h reqwest::header::HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<&'h str, VerifyError> {
    let header = |name: &'static str| -> Result<&'h str, VerifyError> {
        let value = headers.get(name).ok_or(VerifyError::MissingHeader(name))?;
        value.to_str().map_err(|_| VerifyError::MalformedHeader {
            header: name,
            reason: "not visible ASCII".to_owned(),
        })
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let signature = header("webhook-signature")?;
    verify(secrets, id, timestamp, signature, body, now)?;
    Ok(id.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks specification's published test vector.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TS: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signing_reproduces_the_specification_test_vector() {
        assert_eq!(
            sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY).unwrap(),
            SPEC_SIG
        );
    }

    #[test]
    fn the_specification_test_vector_verifies() {
        verify(
            &[SPEC_SECRET],
            SPEC_ID,
            "1614265330",
            SPEC_SIG,
            SPEC_BODY,
            SPEC_TS,
        )
        .unwrap();
    }

    #[test]
    fn unpadded_secrets_are_the_same_key() {
        let padded = "whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==";
        let unpadded = padded.trim_end_matches('=');
        assert_eq!(
            sign(padded, "m1", 1, b"{}").unwrap(),
            sign(unpadded, "m1", 1, b"{}").unwrap()
        );
    }

    #[test]
    fn bad_secrets_are_named() {
        assert_eq!(
            SigningKey::parse("").unwrap_err(),
            WebhookError::EmptySecret
        );
        assert_eq!(
            SigningKey::parse("whsec_").unwrap_err(),
            WebhookError::EmptySecret
        );
        assert_eq!(
            SigningKey::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(),
            WebhookError::SecretPrefix
        );
        assert!(matches!(
            SigningKey::parse("whsec_not base64!").unwrap_err(),
            WebhookError::SecretNotBase64(_)
        ));
        assert_eq!(
            SigningKey::parse("whsec_c2hvcnQ=").unwrap_err(),
            WebhookError::SecretLength(5)
        );
        let msg = SigningKey::parse("whsec_c2hvcnQ=").unwrap_err().to_string();
        assert!(msg.contains("24 to 64"), "{msg}");
    }

    #[test]
    fn request_headers_are_read_and_named_when_missing() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", HeaderValue::from_static(SPEC_ID));
        headers.insert("webhook-timestamp", HeaderValue::from_static("1614265330"));
        assert_eq!(
            verify_headers(&[SPEC_SECRET], &headers, SPEC_BODY, SPEC_TS),
            Err(VerifyError::MissingHeader("webhook-signature"))
        );
        headers.insert("webhook-signature", HeaderValue::from_static(SPEC_SIG));
        assert_eq!(
            verify_headers(&[SPEC_SECRET], &headers, SPEC_BODY, SPEC_TS),
            Ok(SPEC_ID)
        );
        headers.insert(
            "webhook-id",
            HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        );
        assert!(matches!(
            verify_headers(&[SPEC_SECRET], &headers, SPEC_BODY, SPEC_TS),
            Err(VerifyError::MalformedHeader {
                header: "webhook-id",
                ..
            })
        ));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = SigningKey::parse(SPEC_SECRET).unwrap();
        assert_eq!(format!("{k:?}"), "SigningKey(24 bytes, redacted)");
    }

    #[test]
    fn ids_that_would_make_the_signed_content_ambiguous_are_refused() {
        for id in ["", "a.b", "a b", "é", "x\n"] {
            assert!(
                matches!(
                    sign(SPEC_SECRET, id, 1, b""),
                    Err(WebhookError::InvalidId { .. })
                ),
                "{id:?}"
            );
        }
    }
}
