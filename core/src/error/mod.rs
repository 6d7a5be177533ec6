//! The gateway's one error type, and the one place where every error becomes an S3 error:
//! a code from the generated error-code table, its HTTP status, and a message. Rendering
//! (`<Error>` XML with Code, Message, Resource and RequestId) lives in [`render`].
//!
//! Messages never carry secrets, signatures or internal detail of 5xx errors (unless the
//! operator turned on `debug_errors`).

mod render;

pub use render::{ErrorContext, error_response};

use crate::authz::{CopySourceError, Denied};
use crate::chunked::ChunkedError;
use crate::codec::http::BindingError;
use crate::codec::path::PathError;
use crate::codec::route::RouteError;
use crate::codec::xml::XmlError;
use crate::s3::S3ErrorCode;
use crate::sigv4::{AuthKind, SigV4Error};

/// Everything that can stop a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error(transparent)]
    Binding(#[from] BindingError),
    #[error("invalid URI: {0}")]
    Path(#[from] PathError),
    #[error(transparent)]
    SigV4(#[from] SigV4Error),
    #[error(transparent)]
    Chunked(#[from] ChunkedError),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("the AWS access key id you provided does not exist in our records")]
    InvalidAccessKeyId,
    #[error("the access key is disabled")]
    DisabledAccessKey,
    #[error("the provided token has expired")]
    ExpiredToken,
    /// A session token that is malformed, foreign, tampered with, or presented with another
    /// access key id.
    #[error("the provided token is malformed or otherwise invalid")]
    InvalidToken,
    #[error("the specified bucket does not exist")]
    NoSuchBucket,
    /// A CORS preflight the bucket's rules do not allow (the message says why).
    #[error("CORSResponse: {0}")]
    CorsForbidden(&'static str),
    /// An `OPTIONS` request without `Origin`.
    #[error("Insufficient information. Origin request header needed.")]
    CorsMissingOrigin,
    #[error("the specified key does not exist")]
    NoSuchKey,
    #[error("the CORS configuration does not exist")]
    NoSuchCorsConfiguration,
    #[error("at least one of the preconditions you specified did not hold")]
    PreconditionFailed,
    #[error("the requested range is not satisfiable")]
    InvalidRange,
    #[error("{0}")]
    NotImplemented(&'static str),
    #[error("your proposed upload exceeds the maximum allowed size of {limit} bytes")]
    EntityTooLarge { limit: u64 },
    #[error("the request body exceeds the maximum of {limit} bytes for this operation")]
    BodyTooLarge { limit: u64 },
    #[error("the bucket {0} already exists and is served by this gateway")]
    BucketAlreadyOwnedByYou(String),
    #[error("invalid argument {name}: {message}")]
    InvalidArgument { name: &'static str, message: String },
    #[error("missing Content-Length")]
    MissingContentLength,
    #[error("please reduce your request rate")]
    SlowDown,
    /// The client stopped sending its body for longer than the server waits.
    #[error(
        "your socket connection to the server was not read from or written to within the timeout period"
    )]
    RequestTimeout,
    #[error("your request header section exceeds the maximum of {limit} bytes")]
    RequestHeaderTooLarge { limit: u64 },
    #[error("the backend is unavailable: {0}")]
    BackendUnavailable(String),
    #[error("the backend answered with something that is not S3: {0}")]
    BadGateway(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<XmlError> for Error {
    fn from(e: XmlError) -> Self {
        Self::Binding(BindingError::Xml(e))
    }
}

/// An error as S3 states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Error {
    pub code: S3ErrorCode,
    pub message: String,
}

impl Error {
    /// The S3 code and message of this error: the one mapping table.
    pub fn to_s3(&self) -> S3Error {
        use S3ErrorCode as C;
        let code = match self {
            Self::Route(e) => match e {
                RouteError::MethodNotAllowed { .. } => C::MethodNotAllowed,
                RouteError::NotImplemented { .. } | RouteError::UnsupportedQuery { .. } => {
                    C::NotImplemented
                }
                RouteError::MissingRequired { .. } | RouteError::ConflictingXId { .. } => {
                    C::InvalidRequest
                }
            },
            Self::Binding(e) => match e {
                BindingError::Xml(_) | BindingError::MissingBody => C::MalformedXml,
                BindingError::MissingHeader(_) | BindingError::MissingParameter(_) => {
                    C::InvalidRequest
                }
                BindingError::MissingLabel(_) | BindingError::InvalidLabel { .. } => C::InvalidUri,
                BindingError::MissingQuery(_)
                | BindingError::InvalidHeader { .. }
                | BindingError::InvalidQuery { .. }
                | BindingError::NonUtf8Header(_)
                | BindingError::NonUtf8Body => C::InvalidArgument,
                BindingError::UnwritableHeader(_) => C::InternalError,
            },
            Self::Path(_) => C::InvalidUri,
            Self::SigV4(e) => sigv4_code(e),
            Self::Chunked(e) => chunked_code(e),
            Self::Denied(_) | Self::DisabledAccessKey => C::AccessDenied,
            Self::InvalidAccessKeyId => C::InvalidAccessKeyId,
            Self::ExpiredToken => C::ExpiredToken,
            Self::InvalidToken => C::InvalidToken,
            Self::NoSuchBucket => C::NoSuchBucket,
            // S3 answers `403 AccessForbidden`, a code the table does not have: `AccessDenied`
            // has the same status.
            Self::CorsForbidden(_) => C::AccessDenied,
            // S3 answers `400 BadRequest`, also not in the table: `InvalidRequest` is its 400.
            Self::CorsMissingOrigin => C::InvalidRequest,
            Self::NoSuchKey => C::NoSuchKey,
            Self::NoSuchCorsConfiguration => C::NoSuchCorsConfiguration,
            Self::PreconditionFailed => C::PreconditionFailed,
            Self::InvalidRange => C::InvalidRange,
            Self::NotImplemented(_) => C::NotImplemented,
            Self::EntityTooLarge { .. } => C::EntityTooLarge,
            Self::BodyTooLarge { .. } => C::MaxMessageLengthExceeded,
            Self::BucketAlreadyOwnedByYou(_) => C::BucketAlreadyOwnedByYou,
            Self::InvalidArgument { .. } => C::InvalidArgument,
            Self::MissingContentLength => C::MissingContentLength,
            Self::SlowDown => C::SlowDown,
            Self::RequestTimeout => C::RequestTimeout,
            Self::RequestHeaderTooLarge { .. } => C::RequestHeaderSectionTooLarge,
            Self::BackendUnavailable(_) => C::ServiceUnavailable,
            Self::BadGateway(_) => C::BadGateway,
            Self::Internal(_) => C::InternalError,
        };
        S3Error {
            code,
            message: self.to_string(),
        }
    }
}

/// The S3 code of a SigV4 failure.
pub fn sigv4_code(e: &SigV4Error) -> S3ErrorCode {
    let malformed_for = |kind: &AuthKind| match kind {
        AuthKind::Header => S3ErrorCode::AuthorizationHeaderMalformed,
        AuthKind::Presigned => S3ErrorCode::AuthorizationQueryParametersError,
    };
    match e {
        SigV4Error::AuthorizationHeaderMalformed(_) => S3ErrorCode::AuthorizationHeaderMalformed,
        SigV4Error::AuthorizationQueryParametersError(_) | SigV4Error::ExpiresTooLarge => {
            S3ErrorCode::AuthorizationQueryParametersError
        }
        SigV4Error::WrongRegion { kind, .. }
        | SigV4Error::WrongService { kind, .. }
        | SigV4Error::ScopeDateMismatch { kind } => malformed_for(kind),
        SigV4Error::UnsupportedAlgorithm | SigV4Error::MissingContentSha256 => {
            S3ErrorCode::InvalidRequest
        }
        SigV4Error::UnsupportedAuthorizationType
        | SigV4Error::MultipleAuthMechanisms
        | SigV4Error::InvalidPayloadHash => S3ErrorCode::InvalidArgument,
        SigV4Error::MissingDate
        | SigV4Error::HeadersNotSigned(_)
        | SigV4Error::HostNotSigned { .. }
        | SigV4Error::RequestExpired { .. }
        | SigV4Error::RequestNotYetValid { .. } => S3ErrorCode::AccessDenied,
        SigV4Error::PayloadHashMismatch => S3ErrorCode::XAmzContentSha256Mismatch,
        SigV4Error::RequestTimeTooSkewed { .. } => S3ErrorCode::RequestTimeTooSkewed,
        SigV4Error::SignatureDoesNotMatch => S3ErrorCode::SignatureDoesNotMatch,
        SigV4Error::InvalidUri => S3ErrorCode::InvalidUri,
        SigV4Error::InvalidSigningInput(_) => S3ErrorCode::InternalError,
    }
}

/// The S3 code of an aws-chunked failure.
pub fn chunked_code(e: &ChunkedError) -> S3ErrorCode {
    match e {
        ChunkedError::Malformed(_)
        | ChunkedError::HeaderLineTooLong { .. }
        | ChunkedError::DecodedLengthMismatch { .. }
        | ChunkedError::Truncated
        | ChunkedError::TrailingData => S3ErrorCode::IncompleteBody,
        ChunkedError::ChunkTooLarge { .. } => S3ErrorCode::EntityTooLarge,
        ChunkedError::TrailersTooLarge { .. } => S3ErrorCode::RequestHeaderSectionTooLarge,
        ChunkedError::SignatureDoesNotMatch => S3ErrorCode::SignatureDoesNotMatch,
    }
}

/// The S3 code of a malformed `x-amz-copy-source`: always `InvalidArgument`.
pub fn copy_source_code(_: &CopySourceError) -> S3ErrorCode {
    S3ErrorCode::InvalidArgument
}
