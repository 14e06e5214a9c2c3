//! The partner contract on the wire (DESIGN §6): Standard Webhooks v1 signing of outbound events,
//! verification of partners' signed callbacks, the retry policy of outbound delivery, the HTTP
//! sender, and the JSON shapes of every event in both directions.
//!
//! Map:
//! - [`signing`]: `whsec_` secrets, `v1,` signatures, [`verify`] with a five-minute tolerance.
//! - [`retry`]: what an attempt's outcome means (delivered, retry, disable, give up), the
//!   same-day backoff schedule with jitter, `Retry-After`, and the offer-expiry drop.
//! - [`sender`]: one `reqwest` client that posts a signed body and reports an [`Attempt`].
//! - [`delivery`]: one attempt end to end (deadline check, sign, send, decide), for the outbox.
//! - [`outbound`]: `job.offered`, `job.updated`, `job.cancelled`, `offer.withdrawn` and the
//!   courier-safe recipient label. These types have no field for clinical or welfare data, so
//!   such data cannot reach a partner by mistake.
//! - [`inbound`]: the partner's callbacks (`job.accepted` … `courier.location`) and the
//!   synchronous offer reply.
//!
//! Depends on `domain` only. Must not depend on `store`, `dispatch` or `api`: the outbox worker
//! (which claims rows and records outcomes) calls into this module, never the other way round.
//! Everything but [`sender`] is pure and reads no clock: `now`, deadlines and the RNG are
//! parameters.

pub mod booking;
pub mod delivery;
pub mod inbound;
pub mod outbound;
pub mod retry;
pub mod sender;
pub mod signing;

pub use delivery::{Outgoing, deliver};
pub use inbound::{InboundEvent, OfferReply};
pub use outbound::{Envelope, OutboundEvent};
pub use retry::{Decision, Outcome, RetryPolicy, classify};
pub use sender::{Attempt, Sender};
pub use signing::{SigningKey, VerifyError, sign, signature_header, verify, verify_headers};

/// What can go wrong on the sending side: unusable secrets or ids, or an HTTP client that cannot
/// be built. (Refusals of inbound requests are [`VerifyError`]: they are the partner's fault and
/// are answered to the partner, while these are ours.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The secret is empty (or only `whsec_`).
    #[error("webhook secret is empty")]
    EmptySecret,
    /// The secret lacks the `whsec_` prefix.
    #[error("webhook secret must start with \"whsec_\" followed by base64")]
    SecretPrefix,
    /// The part after `whsec_` is not standard base64.
    #[error("webhook secret after \"whsec_\" is not standard base64: {0}")]
    SecretNotBase64(String),
    /// The decoded key has a length the specification does not allow.
    #[error("webhook secret decodes to {0} bytes; Standard Webhooks keys are 24 to 64 bytes")]
    SecretLength(usize),
    /// Signing was asked for with no secret at all.
    #[error("no webhook secret given")]
    NoSecrets,
    /// A message id that cannot be signed unambiguously.
    #[error("webhook id {id:?} {reason}")]
    InvalidId {
        /// The refused id.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(String),
}
