//! Why SigV4 authentication failed, one variant per distinct S3 answer. [`SigV4Error::s3_code`]
//! maps each to the S3 error code (whose status lives in the generated error table). Messages
//! never contain a secret, a signature or a session token; the access key id is fine.

use aws_smithy_types::DateTime;

use super::AuthKind;
use crate::s3::S3ErrorCode;

/// A SigV4 failure. Each variant's doc names the S3 code it answers with.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// `AuthorizationHeaderMalformed`: the `Authorization` header cannot be read (missing or
    /// repeated component, bad credential, terminator other than `aws4_request`, …).
    #[error("the authorization header is malformed: {0}")]
    AuthorizationHeaderMalformed(String),
    /// `AuthorizationQueryParametersError`: the presigned `X-Amz-*` parameters cannot be read
    /// (missing or repeated parameter, unknown `X-Amz-Algorithm`, bad `X-Amz-Expires`, …).
    #[error("the presigned query parameters are malformed: {0}")]
    AuthorizationQueryParametersError(String),
    /// `AuthorizationHeaderMalformed` (header) / `AuthorizationQueryParametersError`
    /// (presigned): the scope names a region this endpoint does not serve. S3 puts the expected
    /// region in a `<Region>` element; SDKs use it to retry against the right region.
    #[error("the credential scope region {region:?} is wrong for this endpoint")]
    WrongRegion {
        kind: AuthKind,
        region: String,
        expected: Option<String>,
    },
    /// As [`SigV4Error::WrongRegion`], for the service (`s3` vs `sts`).
    #[error("the credential scope service {service:?} is wrong; this endpoint is {expected:?}")]
    WrongService {
        kind: AuthKind,
        service: String,
        expected: String,
    },
    /// As [`SigV4Error::WrongRegion`]: the scope date is not the date of `x-amz-date`.
    #[error("invalid credential date: the scope date is not the date of the request time")]
    ScopeDateMismatch { kind: AuthKind },
    /// `InvalidRequest` ("The authorization mechanism you have provided is not supported. Please
    /// use AWS4-HMAC-SHA256."): SigV2 (`AWS …` header or `AWSAccessKeyId`/`Signature` query)
    /// or SigV4a.
    #[error("the authorization mechanism is not supported; use AWS4-HMAC-SHA256")]
    UnsupportedAlgorithm,
    /// `InvalidArgument` ("Unsupported Authorization Type"): an `Authorization` scheme S3 does
    /// not know at all.
    #[error("unsupported authorization type")]
    UnsupportedAuthorizationType,
    /// `InvalidArgument` ("Only one auth mechanism allowed"): both an `Authorization` header
    /// and presigned query parameters.
    #[error("only one auth mechanism allowed: the Authorization header or the X-Amz-* query")]
    MultipleAuthMechanisms,
    /// `AccessDenied` ("AWS authentication requires a valid Date or x-amz-date header"): header
    /// auth without a readable `x-amz-date`.
    #[error("AWS authentication requires a valid Date or x-amz-date header")]
    MissingDate,
    /// `InvalidRequest` ("Missing required header for this request: x-amz-content-sha256").
    #[error("missing required header for this request: x-amz-content-sha256")]
    MissingContentSha256,
    /// `InvalidArgument`: `x-amz-content-sha256` is neither a known sentinel nor 64 lowercase
    /// hex digits.
    #[error(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER), STREAMING-UNSIGNED-PAYLOAD-TRAILER or a lowercase hex sha256"
    )]
    InvalidPayloadHash,
    /// `XAmzContentSHA256Mismatch`: the body does not hash to the declared value.
    #[error("the provided x-amz-content-sha256 header does not match what was computed")]
    PayloadHashMismatch,
    /// `AccessDenied` ("There were headers present in the request which were not signed",
    /// with `<HeadersNotSigned>`): `x-amz-*` headers outside `SignedHeaders`.
    #[error("there were headers present in the request which were not signed: {}", .0.join(", "))]
    HeadersNotSigned(Vec<String>),
    /// `AccessDenied`, as [`SigV4Error::HeadersNotSigned`] for `host`: the host must be signed.
    #[error("there were headers present in the request which were not signed: host")]
    HostNotSigned { kind: AuthKind },
    /// `RequestTimeTooSkewed`: header auth more than the allowed skew away from `now`.
    #[error("the difference between the request time and the current time is too large")]
    RequestTimeTooSkewed {
        request_time: DateTime,
        server_time: DateTime,
        max_skew_secs: u64,
    },
    /// `AccessDenied` ("Request has expired"): a presigned request past
    /// `X-Amz-Date + X-Amz-Expires`.
    #[error("request has expired")]
    RequestExpired {
        request_time: DateTime,
        expires_secs: u64,
        server_time: DateTime,
    },
    /// `AccessDenied` ("Request is not valid yet"): a presigned request dated further in the
    /// future than the allowed skew.
    #[error("request is not valid yet")]
    RequestNotYetValid {
        request_time: DateTime,
        server_time: DateTime,
    },
    /// `AuthorizationQueryParametersError` ("X-Amz-Expires must be less than a week (in seconds)
    /// that is 604800").
    #[error("X-Amz-Expires must be less than a week (in seconds) that is 604800")]
    ExpiresTooLarge,
    /// `SignatureDoesNotMatch`: the recomputed signature differs, or a signed header is absent.
    #[error("the request signature we calculated does not match the signature you provided")]
    SignatureDoesNotMatch,
    /// `InvalidURI`: the path is not absolute, has a malformed `%` escape or is not UTF-8
    /// after decoding, so it has no canonical form.
    #[error("couldn't parse the specified URI")]
    InvalidUri,
    /// `InternalError`: client-side signing got input it cannot sign (no `host`, a value that
    /// is not a valid header, a time outside years 0..=9999). A bug or misconfiguration on our
    /// side, never the client's.
    #[error("cannot sign the request: {0}")]
    InvalidSigningInput(&'static str),
}

impl SigV4Error {
    /// The S3 error code this failure answers with (the table is in [`crate::error`]).
    pub fn s3_code(&self) -> S3ErrorCode {
        crate::error::sigv4_code(self)
    }

    /// The malformed-auth error for `kind`, with `message`.
    pub(crate) fn malformed(kind: AuthKind, message: impl Into<String>) -> Self {
        match kind {
            AuthKind::Header => Self::AuthorizationHeaderMalformed(message.into()),
            AuthKind::Presigned => Self::AuthorizationQueryParametersError(message.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_an_s3_code_and_no_secret_in_its_message() {
        let t = DateTime::from_secs(1_369_353_600);
        let all = [
            (
                SigV4Error::AuthorizationHeaderMalformed("x".into()),
                S3ErrorCode::AuthorizationHeaderMalformed,
            ),
            (
                SigV4Error::AuthorizationQueryParametersError("x".into()),
                S3ErrorCode::AuthorizationQueryParametersError,
            ),
            (
                SigV4Error::WrongRegion {
                    kind: AuthKind::Header,
                    region: "r".into(),
                    expected: None,
                },
                S3ErrorCode::AuthorizationHeaderMalformed,
            ),
            (
                SigV4Error::WrongRegion {
                    kind: AuthKind::Presigned,
                    region: "r".into(),
                    expected: None,
                },
                S3ErrorCode::AuthorizationQueryParametersError,
            ),
            (
                SigV4Error::WrongService {
                    kind: AuthKind::Header,
                    service: "x".into(),
                    expected: "s3".into(),
                },
                S3ErrorCode::AuthorizationHeaderMalformed,
            ),
            (
                SigV4Error::ScopeDateMismatch {
                    kind: AuthKind::Presigned,
                },
                S3ErrorCode::AuthorizationQueryParametersError,
            ),
            (
                SigV4Error::UnsupportedAlgorithm,
                S3ErrorCode::InvalidRequest,
            ),
            (
                SigV4Error::UnsupportedAuthorizationType,
                S3ErrorCode::InvalidArgument,
            ),
            (
                SigV4Error::MultipleAuthMechanisms,
                S3ErrorCode::InvalidArgument,
            ),
            (SigV4Error::MissingDate, S3ErrorCode::AccessDenied),
            (
                SigV4Error::MissingContentSha256,
                S3ErrorCode::InvalidRequest,
            ),
            (SigV4Error::InvalidPayloadHash, S3ErrorCode::InvalidArgument),
            (
                SigV4Error::PayloadHashMismatch,
                S3ErrorCode::XAmzContentSha256Mismatch,
            ),
            (
                SigV4Error::HeadersNotSigned(vec!["x-amz-a".into()]),
                S3ErrorCode::AccessDenied,
            ),
            (
                SigV4Error::HostNotSigned {
                    kind: AuthKind::Header,
                },
                S3ErrorCode::AccessDenied,
            ),
            (
                SigV4Error::RequestTimeTooSkewed {
                    request_time: t,
                    server_time: t,
                    max_skew_secs: 900,
                },
                S3ErrorCode::RequestTimeTooSkewed,
            ),
            (
                SigV4Error::RequestExpired {
                    request_time: t,
                    expires_secs: 1,
                    server_time: t,
                },
                S3ErrorCode::AccessDenied,
            ),
            (
                SigV4Error::RequestNotYetValid {
                    request_time: t,
                    server_time: t,
                },
                S3ErrorCode::AccessDenied,
            ),
            (
                SigV4Error::ExpiresTooLarge,
                S3ErrorCode::AuthorizationQueryParametersError,
            ),
            (
                SigV4Error::SignatureDoesNotMatch,
                S3ErrorCode::SignatureDoesNotMatch,
            ),
            (SigV4Error::InvalidUri, S3ErrorCode::InvalidUri),
            (
                SigV4Error::InvalidSigningInput("x"),
                S3ErrorCode::InternalError,
            ),
        ];
        for (e, code) in all {
            assert_eq!(e.s3_code(), code, "{e:?}");
            assert!(!e.to_string().contains("wJalrXUtnFEMI"));
        }
    }
}
