//! The SigV4 signing key (`HMAC` chain over date, region, service and `aws4_request`) and the
//! HMAC-SHA256 / SHA-256 primitives everything else signs with.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::SCOPE_TERMINATOR;
use super::types::is_lower_hex_sha256;

type HmacSha256 = Hmac<Sha256>;

/// A derived SigV4 signing key, valid for one date, region and service. Its [`fmt::Debug`]
/// never shows the key.
#[derive(Clone)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// `HMAC-SHA256(key, string_to_sign)`.
    pub fn sign(&self, string_to_sign: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0, string_to_sign)
    }

    /// [`SigningKey::sign`] as lowercase hex, the form signatures travel in.
    pub fn sign_hex(&self, string_to_sign: &[u8]) -> String {
        hex::encode(self.sign(string_to_sign))
    }

    /// Whether `signature_hex` is this key's signature of `string_to_sign`, compared in
    /// constant time. Only the canonical spelling (64 lowercase hex digits) matches.
    pub fn verify(&self, string_to_sign: &[u8], signature_hex: &str) -> bool {
        let mut provided = [0u8; 32];
        if !is_lower_hex_sha256(signature_hex)
            || hex::decode_to_slice(signature_hex, &mut provided).is_err()
        {
            return false;
        }
        bool::from(self.sign(string_to_sign).ct_eq(&provided))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
    let mut seed = Vec::with_capacity(4 + secret.len());
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&seed, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    SigningKey(hmac_sha256(&k_service, SCOPE_TERMINATOR.as_bytes()))
}

/// `HMAC-SHA256(key, data)`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of every length, so this never fails, whatever the input.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lowercase hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}
