//! A request's summary for access logs and metrics: the operation, bucket and key it names,
//! the access key id it is signed with (never a secret), and the principal it proved to be.
//! The S3 flow fills it in as it resolves a request ([`super::Gateway::resolve_traced`]);
//! [`Gateway::summarize`] computes it from the head alone (addressing, routing and the SigV4
//! parse, no verification) for requests that do not take that flow.

use super::Gateway;
use super::request::RequestHead;

/// What a log line says about a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The S3 operation, when the request routes to a served one.
    pub operation: Option<&'static str>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// The access key id the request claims (verified or not), or `None` for anonymous.
    pub access_key_id: Option<String>,
    /// The configured name of the principal whose signature verified.
    pub principal: Option<String>,
}

impl Gateway {
    /// The summary of a request head, read as the S3 flow reads it.
    pub fn summarize(&self, head: &RequestHead) -> Summary {
        let mut summary = Summary::default();
        let _ = self.inner.address_and_route(head, &mut summary);
        summary
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use http::{HeaderMap, HeaderValue, Method};

    use super::*;
    use crate::codec::scalar::DateTime;
    use crate::config::from_toml;
    use crate::gateway::Settings;
    use crate::registry::StaticRegistry;

    #[test]
    fn summaries_name_the_operation_bucket_key_and_key_id_but_no_secret() {
        let config =
            from_toml("[[buckets]]\nname = \"data\"\n[buckets.backend]\ntype = \"memory\"\n")
                .unwrap();
        let registry = Arc::new(StaticRegistry::new(&config).unwrap());
        let gw =
            Gateway::builder(Settings::from_config(&config), registry.clone(), registry).build();
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            ),
        );
        headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static("UNSIGNED-PAYLOAD"),
        );
        let head = RequestHead {
            method: Method::GET,
            raw_path: "/data/a%20b".into(),
            raw_query: "tagging".into(),
            headers,
            client_ip: None,
            now: DateTime::from_secs(0),
            request_id: "r".into(),
        };
        let s = gw.summarize(&head);
        // The S3 flow gathers the same summary while it resolves the request (here refused:
        // the key id is not configured, so no principal).
        assert_eq!(gw.resolve_traced(head).summary, s);
        assert_eq!(s.operation, Some("GetObjectTagging"));
        assert_eq!(
            (s.bucket.as_deref(), s.key.as_deref()),
            (Some("data"), Some("a b"))
        );
        assert_eq!(s.access_key_id.as_deref(), Some("AKIDEXAMPLE"));
    }
}
