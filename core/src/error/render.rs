//! Renders an [`Error`](super::Error) as the S3 error response: status, `x-amz-request-id`,
//! and the unwrapped `<Error>` XML body (none for HEAD).

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, StatusCode};

use super::Error;
use crate::codec::xml_value::write_document;
use crate::s3::ErrorDocument;

/// What the renderer needs to know about the request.
#[derive(Clone, Copy, Debug)]
pub struct ErrorContext<'a> {
    pub request_id: &'a str,
    /// The resource named in `<Resource>`: the request path as the client sent it.
    pub resource: &'a str,
    /// HEAD responses carry no body.
    pub is_head: bool,
    /// Show internal detail of 5xx errors (the operator's `debug_errors`).
    pub debug: bool,
}

/// The complete error response.
pub fn error_response(error: &Error, ctx: &ErrorContext<'_>) -> (StatusCode, HeaderMap, Bytes) {
    let s3 = error.to_s3();
    let status =
        StatusCode::from_u16(s3.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // 501 names what is not implemented; other 5xx messages may carry internal detail.
    let internal = status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED;
    let message = if internal && !ctx.debug {
        generic_message(status)
    } else {
        s3.message
    };
    let mut headers = HeaderMap::new();
    if let Ok(id) = HeaderValue::from_str(ctx.request_id) {
        headers.insert("x-amz-request-id", id);
    }
    if ctx.is_head {
        return (status, headers, Bytes::new());
    }
    let doc = ErrorDocument {
        code: s3.code.as_str().to_owned(),
        message: Some(message),
        resource: Some(ctx.resource.to_owned()),
        request_id: Some(ctx.request_id.to_owned()),
        ..ErrorDocument::default()
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    (
        status,
        headers,
        Bytes::from(write_document(&doc, "Error", None)),
    )
}

fn generic_message(status: StatusCode) -> String {
    match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            "Please reduce your request rate or try again later.".to_owned()
        }
        StatusCode::BAD_GATEWAY => "The backend did not answer as an S3 service.".to_owned(),
        _ => "We encountered an internal error. Please try again.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::route::RouteError;
    use crate::codec::xml_value::read_document;

    fn ctx(is_head: bool, debug: bool) -> ErrorContext<'static> {
        ErrorContext {
            request_id: "req-1",
            resource: "/b/k?acl",
            is_head,
            debug,
        }
    }

    #[test]
    fn errors_render_as_s3_error_documents() {
        let err = Error::Route(RouteError::NotImplemented {
            operation: "PutObjectAcl",
        });
        let (status, headers, body) = error_response(&err, &ctx(false, false));
        assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
        assert_eq!(headers["x-amz-request-id"], "req-1");
        assert_eq!(headers[CONTENT_TYPE], "application/xml");
        let doc: ErrorDocument = read_document(&body, "Error").unwrap();
        assert_eq!(doc.code, "NotImplemented");
        assert_eq!(
            doc.message.as_deref(),
            Some("PutObjectAcl is not implemented")
        );
        assert_eq!(doc.resource.as_deref(), Some("/b/k?acl"));
        assert_eq!(doc.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn head_errors_have_no_body() {
        let (status, headers, body) = error_response(&Error::NoSuchBucket, &ctx(true, false));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.is_empty());
        assert!(headers.contains_key("x-amz-request-id"));
    }

    #[test]
    fn internal_detail_is_hidden_unless_debugging() {
        let err = Error::Internal("pool poisoned at 10.0.0.7".to_owned());
        let (_, _, body) = error_response(&err, &ctx(false, false));
        assert!(!String::from_utf8_lossy(&body).contains("10.0.0.7"));
        let (_, _, body) = error_response(&err, &ctx(false, true));
        assert!(String::from_utf8_lossy(&body).contains("10.0.0.7"));
    }
}
