//! The chunk signature chain of signed aws-chunked bodies: each chunk (and the trailer) is
//! signed over the previous signature, starting from the request's seed signature.
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD\n<amz-date>\n<scope>\n<previous>\n<sha256("")>\n<sha256(chunk)>
//! AWS4-HMAC-SHA256-TRAILER\n<amz-date>\n<scope>\n<previous>\n<sha256(trailer lines)>
//! ```

use std::fmt;

use aws_smithy_types::DateTime;
use sha2::{Digest, Sha256};

use crate::sigv4::{CredentialScope, EMPTY_SHA256, SigningKey, format_amz_date};

/// The trailer that carries the trailer signature.
pub const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";
const PAYLOAD_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";
const TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";

/// A running chunk signature chain. Verifying or signing advances it.
#[derive(Clone)]
pub struct SignatureChain {
    key: SigningKey,
    amz_date: String,
    scope: String,
    previous: String,
}

impl fmt::Debug for SignatureChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureChain")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl SignatureChain {
    /// Starts a chain at the request's seed signature (lowercase hex, as
    /// [`crate::sigv4::Verified`] has it). `None` if `request_time` is outside years 0..=9999
    /// (which a parsed request time never is).
    pub fn new(
        signing_key: SigningKey,
        seed_signature: &str,
        scope: &CredentialScope,
        request_time: &DateTime,
    ) -> Option<Self> {
        Some(Self {
            key: signing_key,
            amz_date: format_amz_date(request_time)?,
            scope: scope.to_string(),
            previous: seed_signature.to_owned(),
        })
    }

    /// The string to sign for the next chunk carrying `data` (empty for the final chunk).
    pub fn chunk_string_to_sign(&self, data: &[u8]) -> String {
        format!(
            "{PAYLOAD_ALGORITHM}\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex::encode(Sha256::digest(data))
        )
    }

    /// The string to sign for the trailers (without `x-amz-trailer-signature`): the hash of
    /// `name:value\n` lines, names lowercased and sorted, values trimmed.
    pub fn trailer_string_to_sign(&self, trailers: &[(String, String)]) -> String {
        let mut lines: Vec<(String, &str)> = trailers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
            .collect();
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let mut hasher = Sha256::new();
        for (name, value) in &lines {
            hasher.update(name.as_bytes());
            hasher.update(b":");
            hasher.update(value.as_bytes());
            hasher.update(b"\n");
        }
        format!(
            "{TRAILER_ALGORITHM}\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex::encode(hasher.finalize())
        )
    }

    /// Signs the next chunk and advances (client side).
    pub fn sign_chunk(&mut self, data: &[u8]) -> String {
        let signature = self
            .key
            .sign_hex(self.chunk_string_to_sign(data).as_bytes());
        self.previous.clone_from(&signature);
        signature
    }

    /// Signs the trailers and advances (client side).
    pub fn sign_trailer(&mut self, trailers: &[(String, String)]) -> String {
        let signature = self
            .key
            .sign_hex(self.trailer_string_to_sign(trailers).as_bytes());
        self.previous.clone_from(&signature);
        signature
    }

    /// Whether `signature` signs the next chunk `data` (constant-time compare); advances only
    /// when it does.
    pub fn verify_chunk(&mut self, data: &[u8], signature: &str) -> bool {
        let to_sign = self.chunk_string_to_sign(data);
        self.advance_if(to_sign.as_bytes(), signature)
    }

    /// Whether `signature` signs `trailers`; advances only when it does.
    pub fn verify_trailer(&mut self, trailers: &[(String, String)], signature: &str) -> bool {
        let to_sign = self.trailer_string_to_sign(trailers);
        self.advance_if(to_sign.as_bytes(), signature)
    }

    fn advance_if(&mut self, to_sign: &[u8], signature: &str) -> bool {
        let ok = self.key.verify(to_sign, signature);
        if ok {
            signature.clone_into(&mut self.previous);
        }
        ok
    }
}
