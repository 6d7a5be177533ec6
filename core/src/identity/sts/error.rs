//! STS errors as AWS writes them: `<ErrorResponse xmlns=…><Error><Type>Sender</Type>
//! <Code/><Message/></Error><RequestId/></ErrorResponse>`, built with the generated
//! [`StsErrorResponse`] (whose writer escapes every value: an attacker's `iss` or role name
//! comes back as text, never as markup).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::codec::xml_value::write_document;
use crate::gateway::plan::{Plan, Response};
use crate::sts::{STS_NAMESPACE, StsError, StsErrorResponse};

use super::super::claims::ClaimError;
use super::super::jwt::JwtError;

/// An STS error: its code, HTTP status and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsFailure {
    pub code: &'static str,
    pub status: StatusCode,
    pub message: String,
}

impl StsFailure {
    fn new(code: &'static str, status: StatusCode, message: impl Into<String>) -> Self {
        StsFailure {
            code,
            status,
            message: message.into(),
        }
    }

    pub fn invalid_token(message: impl Into<String>) -> Self {
        Self::new("InvalidIdentityToken", StatusCode::BAD_REQUEST, message)
    }

    pub fn expired_token(message: impl Into<String>) -> Self {
        Self::new("ExpiredTokenException", StatusCode::BAD_REQUEST, message)
    }

    pub fn rejected_claim(message: impl Into<String>) -> Self {
        Self::new("IDPRejectedClaim", StatusCode::FORBIDDEN, message)
    }

    pub fn idp_communication(message: impl Into<String>) -> Self {
        Self::new("IDPCommunicationError", StatusCode::BAD_REQUEST, message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new("AccessDenied", StatusCode::FORBIDDEN, message)
    }

    pub fn malformed_policy(message: impl Into<String>) -> Self {
        Self::new("MalformedPolicyDocument", StatusCode::BAD_REQUEST, message)
    }

    pub fn missing_parameter(message: impl Into<String>) -> Self {
        Self::new("MissingParameter", StatusCode::BAD_REQUEST, message)
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterValue", StatusCode::BAD_REQUEST, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationError", StatusCode::BAD_REQUEST, message)
    }

    pub fn invalid_action(message: impl Into<String>) -> Self {
        Self::new("InvalidAction", StatusCode::BAD_REQUEST, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            "InternalFailure",
            StatusCode::INTERNAL_SERVER_ERROR,
            message,
        )
    }

    /// `Sender` for 4xx, `Receiver` for 5xx.
    pub fn fault(&self) -> &'static str {
        if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        }
    }

    /// The error document and its response.
    pub fn response(&self, request_id: &str) -> Response {
        let document = StsErrorResponse {
            error: StsError {
                r#type: self.fault().to_owned(),
                code: self.code.to_owned(),
                message: Some(self.message.clone()),
            },
            request_id: Some(request_id.to_owned()),
        };
        let body = write_document(&document, "ErrorResponse", Some(STS_NAMESPACE));
        Response::new(self.status, sts_headers(request_id), Bytes::from(body))
    }

    pub fn plan(&self, request_id: &str) -> Plan {
        Plan::Respond(self.response(request_id))
    }
}

/// The headers of every STS answer.
pub(crate) fn sts_headers(request_id: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    headers
}

impl From<JwtError> for StsFailure {
    fn from(e: JwtError) -> Self {
        StsFailure::invalid_token(e.to_string())
    }
}

impl From<ClaimError> for StsFailure {
    fn from(e: ClaimError) -> Self {
        match e {
            ClaimError::Expired => StsFailure::expired_token("Token expired"),
            ClaimError::Subject | ClaimError::Condition(_) => {
                StsFailure::rejected_claim(e.to_string())
            }
            _ => StsFailure::invalid_token(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_shape_and_escaping() {
        let f = StsFailure::invalid_token("issuer <script>&\"x\" is not trusted");
        let r = f.response("req-1");
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let body = String::from_utf8(r.body.to_vec()).unwrap();
        assert!(body.contains(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
        ), "{body}");
        assert!(body.contains("issuer &lt;script&gt;&amp;&quot;x&quot; is not trusted"));
        assert!(body.contains("<RequestId>req-1</RequestId></ErrorResponse>"));
        assert!(!body.contains("<script>"));
        let parsed =
            crate::codec::xml_value::read_document::<StsErrorResponse>(&r.body, "ErrorResponse")
                .unwrap();
        assert_eq!(parsed.error.code, "InvalidIdentityToken");
        assert_eq!(StsFailure::internal("x").fault(), "Receiver");
        assert_eq!(r.headers.get("x-amzn-requestid").unwrap(), "req-1");
    }
}
