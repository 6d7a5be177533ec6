//! The data SigV4 works on: the request as the verifier sees it, the credential scope, the
//! payload mode declared by `x-amz-content-sha256`, and the parsed (not yet verified) auth.

use std::fmt;

use aws_smithy_types::DateTime;
use subtle::ConstantTimeEq as _;

use super::{SCOPE_TERMINATOR, SigV4Error};

/// What the verifier looks at: the request as the client sent it. Its [`fmt::Debug`] shows
/// query and header names only (values may carry signatures and session tokens).
#[derive(Clone, Copy)]
pub struct AuthRequest<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The path as sent, percent-encoded, without the query.
    pub raw_path: &'a str,
    /// The query as decoded (name, value) pairs, in order; a bare `?acl` is `("acl", "")`.
    pub query: &'a [(String, String)],
    /// The request headers, including `host`.
    pub headers: &'a http::HeaderMap,
}

impl fmt::Debug for AuthRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("method", &self.method)
            .field("raw_path", &self.raw_path)
            .field(
                "query",
                &self.query.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// `<date>/<region>/<service>/aws4_request`, without the terminator (which [`super::parse`]
/// checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// E.g. `us-east-1`.
    pub region: String,
    /// `s3` or `sts`.
    pub service: String,
}

impl fmt::Display for CredentialScope {
    /// The scope as it appears in the string to sign: `date/region/service/aws4_request`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{SCOPE_TERMINATOR}",
            self.date, self.region, self.service
        )
    }
}

/// Where the signature travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    Header,
    /// `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Signature=…`.
    Presigned,
}

/// The payload hash a request declares (`x-amz-content-sha256`, or the presigned default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadMode {
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
    Unsigned,
    /// A literal SHA-256 of the body, 64 lowercase hex digits.
    Sha256(String),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked, every chunk signed.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a signed trailer.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked, unsigned, with trailers.
    StreamingUnsignedTrailer,
    /// No `x-amz-content-sha256` at all, as non-S3 services (STS) send it: the canonical request
    /// needs the SHA-256 of the body, which the caller computes and sets with
    /// [`ParsedAuth::set_body_sha256`] before [`super::verify`]. Verifying while still
    /// undeclared fails with [`SigV4Error::MissingContentSha256`].
    Undeclared,
}

impl PayloadMode {
    /// `UNSIGNED-PAYLOAD`.
    pub const UNSIGNED: &'static str = "UNSIGNED-PAYLOAD";
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    pub const STREAMING_SIGNED: &'static str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    pub const STREAMING_SIGNED_TRAILER: &'static str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    pub const STREAMING_UNSIGNED_TRAILER: &'static str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    /// Reads an `x-amz-content-sha256` value: a sentinel or 64 lowercase hex digits, exactly.
    pub fn from_header_value(s: &str) -> Result<Self, SigV4Error> {
        match s {
            Self::UNSIGNED => Ok(Self::Unsigned),
            Self::STREAMING_SIGNED => Ok(Self::StreamingSigned),
            Self::STREAMING_SIGNED_TRAILER => Ok(Self::StreamingSignedTrailer),
            Self::STREAMING_UNSIGNED_TRAILER => Ok(Self::StreamingUnsignedTrailer),
            hash if is_lower_hex_sha256(hash) => Ok(Self::Sha256(hash.to_owned())),
            _ => Err(SigV4Error::InvalidPayloadHash),
        }
    }

    /// The value as it goes into the canonical request (the last line); empty for
    /// [`PayloadMode::Undeclared`].
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unsigned => Self::UNSIGNED,
            Self::Sha256(hash) => hash,
            Self::StreamingSigned => Self::STREAMING_SIGNED,
            Self::StreamingSignedTrailer => Self::STREAMING_SIGNED_TRAILER,
            Self::StreamingUnsignedTrailer => Self::STREAMING_UNSIGNED_TRAILER,
            Self::Undeclared => "",
        }
    }

    /// Whether the body is aws-chunked (`Content-Encoding: aws-chunked`).
    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            Self::StreamingSigned | Self::StreamingSignedTrailer | Self::StreamingUnsignedTrailer
        )
    }

    /// Checks the SHA-256 the caller computed over the whole body against a declared literal
    /// hash (constant time). Other modes have nothing to compare and pass.
    pub fn check_body_sha256(&self, body_sha256: &[u8; 32]) -> Result<(), SigV4Error> {
        let Self::Sha256(declared) = self else {
            return Ok(());
        };
        let mut want = [0u8; 32];
        hex::decode_to_slice(declared, &mut want).map_err(|_| SigV4Error::InvalidPayloadHash)?;
        if bool::from(want.ct_eq(body_sha256)) {
            Ok(())
        } else {
            Err(SigV4Error::PayloadHashMismatch)
        }
    }
}

/// 64 lowercase hex digits.
pub(crate) fn is_lower_hex_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A request's SigV4 auth as sent, syntactically valid but not verified.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// Header or presigned.
    pub kind: AuthKind,
    /// The access key id from the credential.
    pub access_key_id: String,
    /// The credential scope (terminator already checked).
    pub scope: CredentialScope,
    /// Lowercase, strictly ascending, as listed by the client.
    pub signed_headers: Vec<String>,
    /// The signature as sent (hex). Never logged: [`fmt::Debug`] redacts it.
    pub signature: String,
    /// `x-amz-date` / `X-Amz-Date`.
    pub request_time: DateTime,
    /// `X-Amz-Expires` (presigned only).
    pub expires_secs: Option<u64>,
    /// The declared payload hash.
    pub payload: PayloadMode,
    /// `x-amz-security-token` / `X-Amz-Security-Token`. Never logged.
    pub security_token: Option<String>,
}

impl fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .field("request_time", &self.request_time)
            .field("expires_secs", &self.expires_secs)
            .field("payload", &self.payload)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl ParsedAuth {
    /// For a request without `x-amz-content-sha256` ([`PayloadMode::Undeclared`], e.g. STS):
    /// records the SHA-256 of the body the caller read, which the signature covers.
    pub fn set_body_sha256(&mut self, body_sha256: &[u8; 32]) {
        if self.payload == PayloadMode::Undeclared {
            self.payload = PayloadMode::Sha256(hex::encode(body_sha256));
        }
    }
}
