//! The errors an embedded store answers with: an S3 error code, its HTTP status and a message,
//! rendered as the `<Error>` document (Code and Message; the gateway adds Resource and
//! RequestId).
//!
//! Codes are kept as strings with their status written here, so that codes the generated error
//! table does not know (`InvalidPartNumber`, `NoSuchCORSConfiguration`'s spelling) still answer
//! with the status S3 uses. A test checks every status against the generated table.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, StatusCode};

use crate::codec::http::BindingError;
use crate::codec::xml_value::write_document;
use crate::s3::ErrorDocument;

/// One S3 error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    /// The S3 error code, e.g. `NoSuchKey`.
    pub code: &'static str,
    /// The HTTP status S3 answers this code with.
    pub status: u16,
    pub message: String,
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

macro_rules! codes {
    ($($fn_name:ident => $code:literal, $status:literal;)*) => {
        impl StoreError {
            $(
                #[doc = concat!("`", $code, "` (", stringify!($status), ").")]
                pub fn $fn_name(message: impl Into<String>) -> Self {
                    Self { code: $code, status: $status, message: message.into() }
                }
            )*
        }
        /// Every code a store answers with, and its status.
        pub const CODES: &[(&str, u16)] = &[$(($code, $status)),*];
    };
}

codes! {
    bad_digest => "BadDigest", 400;
    bucket_already_owned_by_you => "BucketAlreadyOwnedByYou", 409;
    bucket_not_empty => "BucketNotEmpty", 409;
    entity_too_small => "EntityTooSmall", 400;
    entity_too_large => "EntityTooLarge", 400;
    incomplete_body => "IncompleteBody", 400;
    internal => "InternalError", 500;
    invalid_argument => "InvalidArgument", 400;
    invalid_digest => "InvalidDigest", 400;
    invalid_part => "InvalidPart", 400;
    invalid_part_number => "InvalidPartNumber", 416;
    invalid_part_order => "InvalidPartOrder", 400;
    invalid_range => "InvalidRange", 416;
    invalid_request => "InvalidRequest", 400;
    invalid_tag => "InvalidTag", 400;
    invalid_uri => "InvalidURI", 400;
    key_too_long => "KeyTooLongError", 400;
    malformed_xml => "MalformedXML", 400;
    max_message_length_exceeded => "MaxMessageLengthExceeded", 400;
    metadata_too_large => "MetadataTooLarge", 400;
    missing_content_length => "MissingContentLength", 411;
    no_such_bucket => "NoSuchBucket", 404;
    no_such_cors_configuration => "NoSuchCORSConfiguration", 404;
    no_such_key => "NoSuchKey", 404;
    no_such_upload => "NoSuchUpload", 404;
    no_such_version => "NoSuchVersion", 404;
    not_implemented => "NotImplemented", 501;
    precondition_failed => "PreconditionFailed", 412;
    too_many_parts => "TooManyParts", 400;
}

impl StoreError {
    /// An I/O failure inside the store: a 500 whose message names what failed.
    pub fn io(what: &str, err: &std::io::Error) -> Self {
        Self::internal(format!("{what}: {err}"))
    }

    /// A request that does not bind, with the code the gateway gives it (the one mapping in
    /// [`crate::error`]).
    pub fn from_binding(e: &BindingError) -> Self {
        let message = e.to_string();
        let code = crate::error::Error::Binding(e.clone()).to_s3().code;
        CODES.iter().find(|(c, _)| *c == code.as_str()).map_or_else(
            || Self::internal(message.clone()),
            |&(code, status)| Self {
                code,
                status,
                message: message.clone(),
            },
        )
    }

    /// The `<Error>` answer: status, headers and body.
    pub fn to_answer(&self) -> (StatusCode, HeaderMap, Bytes) {
        let doc = ErrorDocument {
            code: self.code.to_owned(),
            message: Some(self.message.clone()),
            ..ErrorDocument::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        (
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            Bytes::from(write_document(&doc, "Error", None)),
        )
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for StoreError {}

#[cfg(test)]
mod tests {
    use crate::s3::S3ErrorCode;

    use super::*;

    #[test]
    fn statuses_agree_with_the_generated_error_table() {
        for &(code, status) in CODES {
            let known = S3ErrorCode::from_wire(code);
            if !matches!(known, S3ErrorCode::Unknown(_)) {
                assert_eq!(known.http_status(), status, "{code}");
            }
        }
    }

    #[test]
    fn binding_errors_get_the_gateways_codes() {
        let code = |e: BindingError| StoreError::from_binding(&e).code;
        assert_eq!(code(BindingError::MissingBody), "MalformedXML");
        assert_eq!(code(BindingError::MissingHeader("x")), "InvalidRequest");
        assert_eq!(code(BindingError::MissingLabel("Key")), "InvalidURI");
        assert_eq!(code(BindingError::NonUtf8Body), "InvalidArgument");
    }

    #[test]
    fn errors_render_as_error_documents() {
        let (status, headers, body) = StoreError::no_such_key("gone").to_answer();
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[CONTENT_TYPE], "application/xml");
        let doc: ErrorDocument = crate::codec::xml_value::read_document(&body, "Error").unwrap();
        assert_eq!(doc.code, "NoSuchKey");
        assert_eq!(doc.message.as_deref(), Some("gone"));
    }
}
