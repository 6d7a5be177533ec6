//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`), S3 flavour, both sides of the wire.
//!
//! Server side, in two steps: [`parse`] reads the `Authorization` header or the presigned query
//! into a [`ParsedAuth`] (no secret needed, so the caller can look the access key up), then
//! [`verify`] checks scope, time and signed headers and recomputes the signature with the secret.
//! Client side: [`sign_request`] (header auth) and [`presign`] (query auth) for requests to a
//! backend.
//!
//! ```text
//! AuthRequest ─parse─▶ Option<ParsedAuth> ─(secret by key id)─verify─▶ Verified ─▶ ChunkMode
//! ```
//!
//! S3 canonicalization: the path is percent-decoded strictly per segment and re-encoded (no double
//! encoding, no dot-segment normalization); query names and values are re-encoded from their
//! decoded form. No clock is read here: callers pass `now`.

mod canonical;
mod error;
mod key;
mod parse;
mod sign;
mod time;
mod types;
mod verify;

#[cfg(test)]
mod tests;

pub use error::SigV4Error;
pub use key::{SigningKey, derive_signing_key};
pub use parse::parse;
pub use sign::{SigningCredentials, presign, sign_request};
pub use time::{format_amz_date, parse_amz_date};
pub use types::{AuthKind, AuthRequest, CredentialScope, ParsedAuth, PayloadMode};
pub use verify::{Verified, VerifyPolicy, verify};

/// The only algorithm we accept and produce.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";
/// The longest presigned validity S3 accepts: seven days, in seconds.
pub const MAX_PRESIGNED_EXPIRES_SECS: u64 = 604_800;
/// The clock skew S3 tolerates for header auth, in seconds.
pub const DEFAULT_MAX_SKEW_SECS: u64 = 900;
/// The lowercase hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
