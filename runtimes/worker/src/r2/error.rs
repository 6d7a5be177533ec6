//! The errors the R2 store answers with: an S3 code, its status and a message, rendered as
//! the `<Error>` document (the gateway relays it; Resource and RequestId are the request's).
//! R2's own failures arrive as JavaScript errors whose message ends in a numeric code,
//! `… (10007)`; [`StoreError::from_r2_message`] maps them.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, StatusCode};
use multistore_core::codec::http::BindingError;
use multistore_core::codec::xml_value::write_document;
use multistore_core::s3::ErrorDocument;

/// One S3 error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    pub code: &'static str,
    pub status: u16,
    pub message: String,
}

/// The result of a store step.
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
        /// Every code this module writes, with its status (for tests).
        #[cfg(test)]
        pub const CODES: &[(&str, u16)] = &[$(($code, $status)),*];
    };
}

codes! {
    bad_digest => "BadDigest", 400;
    entity_too_small => "EntityTooSmall", 400;
    entity_too_large => "EntityTooLarge", 400;
    incomplete_body => "IncompleteBody", 400;
    internal => "InternalError", 500;
    invalid_argument => "InvalidArgument", 400;
    invalid_digest => "InvalidDigest", 400;
    invalid_part => "InvalidPart", 400;
    invalid_part_order => "InvalidPartOrder", 400;
    invalid_range => "InvalidRange", 416;
    invalid_request => "InvalidRequest", 400;
    invalid_uri => "InvalidURI", 400;
    key_too_long => "KeyTooLongError", 400;
    missing_content_length => "MissingContentLength", 411;
    malformed_xml => "MalformedXML", 400;
    max_message_length_exceeded => "MaxMessageLengthExceeded", 400;
    metadata_too_large => "MetadataTooLarge", 400;
    no_such_key => "NoSuchKey", 404;
    no_such_upload => "NoSuchUpload", 404;
    not_implemented => "NotImplemented", 501;
    precondition_failed => "PreconditionFailed", 412;
}

impl StoreError {
    /// `NotImplemented` naming what R2 cannot do.
    pub fn unsupported(what: &str) -> Self {
        Self::not_implemented(format!(
            "{what} is not supported by buckets served from an R2 binding"
        ))
    }

    /// Maps an error thrown by the R2 binding (its message ends in `(<code>)`).
    pub fn from_r2_message(message: &str) -> Self {
        let code = message
            .trim_end()
            .strip_suffix(')')
            .and_then(|m| m.rsplit_once('('))
            .and_then(|(_, n)| n.trim().parse::<u32>().ok());
        let text = message.to_owned();
        if code.is_none() && message.contains("known length") {
            return Self::missing_content_length(
                "You must provide the Content-Length HTTP header.",
            );
        }
        match code {
            Some(10007) => Self::no_such_key("The specified key does not exist."),
            Some(100_100) => Self::entity_too_large(text),
            Some(10011) => Self::entity_too_small(text),
            Some(10012) => Self::metadata_too_large(text),
            Some(10020) => Self::key_too_long(text),
            Some(10024) => Self::no_such_upload("The specified multipart upload does not exist."),
            Some(10025) => Self::invalid_part(text),
            Some(10029 | 10022) => Self::invalid_argument(text),
            Some(10031) => Self::precondition_failed(
                "At least one of the pre-conditions you specified did not hold",
            ),
            Some(10037) => Self::bad_digest(text),
            Some(10039) => Self::invalid_range("The requested range is not satisfiable"),
            _ => Self::internal(format!("R2: {text}")),
        }
    }

    /// The S3 error for a request that does not bind (the gateway's mapping).
    pub fn from_binding(e: &BindingError) -> Self {
        let message = e.to_string();
        match e {
            BindingError::Xml(_) | BindingError::MissingBody => Self::malformed_xml(message),
            BindingError::MissingHeader(_) | BindingError::MissingParameter(_) => {
                Self::invalid_request(message)
            }
            BindingError::MissingLabel(_) | BindingError::InvalidLabel { .. } => {
                Self::invalid_uri(message)
            }
            BindingError::UnwritableHeader(_) => Self::internal(message),
            _ => Self::invalid_argument(message),
        }
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
    use multistore_core::s3::S3ErrorCode;

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
    fn r2_error_codes_map_to_s3_codes() {
        let code = |m: &str| StoreError::from_r2_message(m).code;
        assert_eq!(
            code("get: The specified key does not exist. (10007)"),
            "NoSuchKey"
        );
        assert_eq!(
            code("uploadPart: The specified multipart upload does not exist. (10024)"),
            "NoSuchUpload"
        );
        assert_eq!(
            code(
                "completeMultipartUpload: One or more of the specified parts could not be found. (10025)"
            ),
            "InvalidPart"
        );
        assert_eq!(
            code("get: The requested range is not satisfiable (10039)"),
            "InvalidRange"
        );
        assert_eq!(code("put: bad (10037)"), "BadDigest");
        assert_eq!(code("something else"), "InternalError");
        assert_eq!(code("weird (x)"), "InternalError");
        assert_eq!(
            code("put: Provided readable stream must have a known length"),
            "MissingContentLength"
        );
    }

    #[test]
    fn errors_render_as_error_documents() {
        let (status, headers, body) = StoreError::no_such_key("gone").to_answer();
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[CONTENT_TYPE], "application/xml");
        let doc: ErrorDocument =
            multistore_core::codec::xml_value::read_document(&body, "Error").unwrap();
        assert_eq!(doc.code, "NoSuchKey");
        assert_eq!(doc.message.as_deref(), Some("gone"));
    }
}
