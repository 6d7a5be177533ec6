//! The header policy: one table that says what happens to each client request header on the
//! way to a backend, which backend request headers are signed, and which backend response
//! headers reach the client.
//!
//! How a backend request gets its headers:
//! 1. The operation's *model-bound* headers are re-written from the parsed, typed input by the
//!    generated binding (`S3Request::to_http`). So exactly the headers S3 honours for that
//!    operation are forwarded, with validated values, and nothing else can be smuggled through.
//!    [`model_request_headers`] lists them per operation (from the generated metadata).
//! 2. *Protocol* headers the model does not bind are copied from the client when the
//!    [`REQUEST_TABLE`] says so: the checksums of a body that crosses unchanged, and the
//!    aws-chunked framing headers while the body stays chunked.
//! 3. Everything else is dropped ([`RequestAction::Drop`] rows document why for the usual
//!    suspects: credentials, hop-by-hop headers, headers the gateway or runtime sets itself).
//!
//! Signing: the backend signature covers `host` and every forwarded header for which
//! [`is_signed`] holds (all `x-amz-*`, `content-md5`, `content-type`).

use crate::s3::S3Operation;

/// What happens to a client request header that the operation's model does not bind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestAction {
    /// Copied from the client request unchanged (then signed by [`is_signed`]) when the body
    /// reaches the backend as the client sent it; dropped when the gateway rewrote the body.
    CopyFromClient,
    /// Copied only while the body stays aws-chunked toward the backend.
    CopyWhenChunked,
    /// Never forwarded; the reason says who sets it instead.
    Drop(&'static str),
}

/// How a row matches a header name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    Exact(&'static str),
    Prefix(&'static str),
}

/// One row of the request table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestRule {
    pub header: Match,
    pub action: RequestAction,
}

const fn copy(name: &'static str) -> RequestRule {
    RequestRule {
        header: Match::Exact(name),
        action: RequestAction::CopyFromClient,
    }
}

const fn copy_when_chunked(name: &'static str) -> RequestRule {
    RequestRule {
        header: Match::Exact(name),
        action: RequestAction::CopyWhenChunked,
    }
}

const fn drop(name: &'static str, why: &'static str) -> RequestRule {
    RequestRule {
        header: Match::Exact(name),
        action: RequestAction::Drop(why),
    }
}

/// Protocol headers not bound by the model, sorted by name. A header in neither this table
/// nor the operation's model bindings is dropped.
pub const REQUEST_TABLE: &[RequestRule] = &[
    drop(
        "authorization",
        "the gateway signs backend requests with the bucket's own credentials",
    ),
    drop("connection", "hop-by-hop"),
    drop(
        "content-length",
        "the runtime sets it from the body it sends",
    ),
    // The model leaves the checksums of httpChecksum operations (DeleteObjects, tagging,
    // CORS, …) to the SDK; S3 requires one of them, so they cross with the body they cover.
    copy("content-md5"),
    drop("cookie", "not part of S3"),
    drop(
        "expect",
        "100-continue is answered by the runtime, hop by hop",
    ),
    drop("forwarded", "client addressing stays at the gateway"),
    drop("host", "set for the backend endpoint"),
    drop("keep-alive", "hop-by-hop"),
    drop("proxy-authorization", "hop-by-hop"),
    drop("te", "hop-by-hop"),
    drop("trailer", "hop-by-hop"),
    drop(
        "transfer-encoding",
        "hop-by-hop; the runtime frames the body",
    ),
    drop("upgrade", "hop-by-hop"),
    RequestRule {
        header: Match::Prefix("x-amz-checksum-"),
        action: RequestAction::CopyFromClient,
    },
    drop(
        "x-amz-content-sha256",
        "replaced by the backend signature's payload hash",
    ),
    drop("x-amz-date", "replaced by the backend signature's date"),
    copy_when_chunked("x-amz-decoded-content-length"),
    drop(
        "x-amz-security-token",
        "the client's session token is not the backend's",
    ),
    copy_when_chunked("x-amz-trailer"),
    RequestRule {
        header: Match::Prefix("x-forwarded-"),
        action: RequestAction::Drop("client addressing stays at the gateway"),
    },
];

/// The table's verdict for a header the model does not bind: `None` means dropped because
/// nothing asks for it.
pub fn request_rule(name: &str) -> Option<&'static RequestRule> {
    REQUEST_TABLE.iter().find(|r| match r.header {
        Match::Exact(n) => n == name,
        Match::Prefix(p) => name.starts_with(p),
    })
}

/// Headers the operation's model binds: forwarded from the typed input.
pub fn model_request_headers(
    op: S3Operation,
) -> (&'static [&'static str], &'static [&'static str]) {
    let info = op.info();
    (info.input_headers, info.input_header_prefixes)
}

/// Whether a forwarded header is covered by the backend signature.
pub fn is_signed(name: &str) -> bool {
    name.starts_with("x-amz-") || name == "content-md5" || name == "content-type"
}

/// Backend response headers that never reach the client, sorted. Everything else does.
pub const RESPONSE_DROPPED: &[(&str, &str)] = &[
    ("connection", "hop-by-hop"),
    ("date", "the runtime sets its own"),
    ("keep-alive", "hop-by-hop"),
    ("proxy-authenticate", "hop-by-hop"),
    ("server", "the backend's identity stays private"),
    ("set-cookie", "not part of S3"),
    ("trailer", "hop-by-hop"),
    (
        "transfer-encoding",
        "hop-by-hop; the runtime frames the body",
    ),
    ("upgrade", "hop-by-hop"),
    ("x-amz-id-2", "replaced by the gateway's own"),
    ("x-amz-request-id", "replaced by the gateway's own"),
];

/// Prefixes of backend response headers that never reach the client.
pub const RESPONSE_DROPPED_PREFIXES: &[(&str, &str)] = &[(
    "access-control-",
    "CORS is answered by the gateway from the client bucket's rules, never the backend's",
)];

/// Whether a backend response header is passed to the client.
pub fn response_header_passes(name: &str) -> bool {
    RESPONSE_DROPPED
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .is_err()
        && !RESPONSE_DROPPED_PREFIXES
            .iter()
            .any(|(prefix, _)| name.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        let names: Vec<&str> = REQUEST_TABLE
            .iter()
            .map(|r| match r.header {
                Match::Exact(n) | Match::Prefix(n) => n,
            })
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        let response: Vec<&str> = RESPONSE_DROPPED.iter().map(|(n, _)| *n).collect();
        let mut sorted = response.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(response, sorted);
    }

    #[test]
    fn credentials_never_pass_and_framing_headers_do() {
        for h in [
            "authorization",
            "x-amz-security-token",
            "x-amz-content-sha256",
            "x-amz-date",
            "host",
        ] {
            assert!(
                matches!(
                    request_rule(h).map(|r| r.action),
                    Some(RequestAction::Drop(_))
                ),
                "{h}"
            );
        }
        for h in ["x-amz-decoded-content-length", "x-amz-trailer"] {
            assert_eq!(
                request_rule(h).map(|r| r.action),
                Some(RequestAction::CopyWhenChunked),
                "{h}"
            );
        }
        for h in [
            "content-md5",
            "x-amz-checksum-crc32",
            "x-amz-checksum-sha256",
        ] {
            assert_eq!(
                request_rule(h).map(|r| r.action),
                Some(RequestAction::CopyFromClient),
                "{h}"
            );
        }
        assert!(request_rule("x-forwarded-for").is_some());
        assert!(
            request_rule("x-custom").is_none(),
            "unknown headers are dropped by default"
        );
    }

    #[test]
    fn the_model_bindings_cover_what_s3_honours_for_each_operation() {
        let (headers, prefixes) = model_request_headers(S3Operation::PutObject);
        for h in [
            "cache-control",
            "content-disposition",
            "content-encoding",
            "content-language",
            "content-md5",
            "content-type",
            "expires",
            "if-match",
            "if-none-match",
            "x-amz-checksum-crc32",
            "x-amz-checksum-crc32c",
            "x-amz-checksum-crc64nvme",
            "x-amz-checksum-sha1",
            "x-amz-checksum-sha256",
            "x-amz-sdk-checksum-algorithm",
            "x-amz-storage-class",
            "x-amz-server-side-encryption",
            "x-amz-tagging",
            "x-amz-acl",
        ] {
            assert!(headers.contains(&h), "PutObject forwards {h}");
        }
        assert_eq!(prefixes, ["x-amz-meta-"]);
        let (copy, _) = model_request_headers(S3Operation::CopyObject);
        for h in [
            "x-amz-copy-source",
            "x-amz-copy-source-if-match",
            "x-amz-metadata-directive",
            "x-amz-tagging-directive",
        ] {
            assert!(copy.contains(&h), "CopyObject forwards {h}");
        }
        let (get, _) = model_request_headers(S3Operation::GetObject);
        for h in [
            "range",
            "if-match",
            "if-none-match",
            "if-modified-since",
            "if-unmodified-since",
            "x-amz-checksum-mode",
        ] {
            assert!(get.contains(&h), "GetObject forwards {h}");
        }
    }

    #[test]
    fn signing_covers_amz_headers_and_content_md5() {
        assert!(is_signed("x-amz-meta-color"));
        assert!(is_signed("content-md5"));
        assert!(!is_signed("range"));
    }

    #[test]
    fn backend_identity_and_hop_headers_stay_behind() {
        assert!(!response_header_passes("x-amz-request-id"));
        assert!(!response_header_passes("server"));
        assert!(response_header_passes("etag"));
        assert!(response_header_passes("x-amz-checksum-crc32"));
        assert!(!response_header_passes("access-control-allow-origin"));
        assert!(response_header_passes("vary"));
    }
}
