//! Secrets: API tokens (random, stored as SHA-256 hashes), webhook signing secrets (`whsec_…`,
//! stored encrypted under the master key because HMAC needs the secret itself), and the
//! authenticated encryption used for them (ChaCha20-Poly1305).
//!
//! Must not depend on `store`, `api` or any I/O beyond the OS random source.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Make ring the process's TLS crypto provider (antar builds rustls without aws-lc to keep the
/// build light). Safe to call more than once; a provider already installed stays.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A freshly minted API token: give `token` to the user once, store `hash` and `prefix`.
pub struct MintedToken {
    /// The secret, shown once.
    pub token: String,
    /// SHA-256 hex of the token.
    pub hash: String,
    /// The first characters, to recognise the token in lists.
    pub prefix: String,
}

/// Mint an API token: `antar_` + 256 random bits, base64url.
pub fn mint_token() -> MintedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("antar_{}", URL_SAFE_NO_PAD.encode(bytes));
    let prefix = token[..12].to_owned();
    MintedToken {
        hash: hash_token(&token),
        token,
        prefix,
    }
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// SHA-256 hex of arbitrary bytes (request fingerprints for idempotency).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes.
pub fn new_webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// Hash a staff password with Argon2id (PHC string with its own random salt).
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .expect("Argon2 with default parameters hashes any password")
}

/// Check a password against a stored Argon2 PHC string.
pub fn verify_password(password: &str, stored: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(stored).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Encrypts and decrypts stored secrets with the installation's master key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
    /// Key for keyed hashes of short secrets (handover PINs), derived from the master key so
    /// that a leaked database alone does not let anyone brute-force a six-digit PIN.
    mac_key: [u8; 32],
}

/// A stored secret that cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot decrypt a stored secret: {0} (was the master key changed?)")]
pub struct SecretError(&'static str);

impl SecretBox {
    /// From a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        // A separate key for MACs: never use one key for two purposes.
        let mac_key: [u8; 32] =
            Sha256::digest([b"antar mac key v1:".as_slice(), key.as_slice()].concat()).into();
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
            mac_key,
        }
    }

    /// Parse a master key given as base64 of 32 bytes.
    pub fn from_base64(s: &str) -> Option<Self> {
        let bytes = STANDARD.decode(s.trim()).ok()?;
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::new(&key))
    }

    /// A new random master key, base64.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// HMAC-SHA256 of `data` under the installation's MAC key, hex.
    pub fn mac_hex(&self, data: &[u8]) -> String {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(&self.mac_key)
            .expect("HMAC accepts a key of any length");
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Encrypt: `v1:` + base64(nonce ‖ ciphertext).
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("ChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("v1:{}", STANDARD.encode(out))
    }

    /// Decrypt what [`SecretBox::seal`] made.
    pub fn open(&self, sealed: &str) -> Result<String, SecretError> {
        let b64 = sealed
            .strip_prefix("v1:")
            .ok_or(SecretError("unknown format"))?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| SecretError("not base64"))?;
        if raw.len() < 12 {
            return Err(SecretError("too short"));
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| SecretError("authentication failed"))?;
        String::from_utf8(plain).map_err(|_| SecretError("not UTF-8"))
    }
}

/// Compare two byte strings in time that depends only on their lengths (for MACs and PINs).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key() {
        let a = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let b = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let sealed = a.seal("whsec_abc");
        assert_ne!(sealed, "whsec_abc");
        assert_eq!(a.open(&sealed).unwrap(), "whsec_abc");
        assert!(b.open(&sealed).is_err());
    }

    #[test]
    fn macs_depend_on_the_master_key() {
        let a = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let b = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        assert_eq!(a.mac_hex(b"pin:1"), a.mac_hex(b"pin:1"));
        assert_ne!(a.mac_hex(b"pin:1"), a.mac_hex(b"pin:2"));
        assert_ne!(a.mac_hex(b"pin:1"), b.mac_hex(b"pin:1"));
    }

    #[test]
    fn passwords_verify_only_when_right() {
        let h = hash_password("rahasia-panjang-1");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("rahasia-panjang-1", &h));
        assert!(!verify_password("rahasia-panjang-2", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let t1 = mint_token();
        let t2 = mint_token();
        assert_ne!(t1.token, t2.token);
        assert_eq!(t1.hash, hash_token(&t1.token));
        assert!(t1.token.starts_with("antar_") && t1.token.len() > 40);
        assert!(new_webhook_secret().starts_with("whsec_"));
    }
}
