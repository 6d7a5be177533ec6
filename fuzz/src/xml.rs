//! `xml_document` and `xml_bodies`: the XML reader under the generated types.
//!
//! `xml_document` feeds any bytes to `codec::xml::parse_document`. `xml_bodies` feeds them, as
//! a request body, to every operation that reads one (CreateBucket, DeleteObjects,
//! CompleteMultipartUpload, PutObjectTagging, PutBucketCors) and, as a backend answer, to every
//! operation's output reader (the list results, copy, multipart, tagging and CORS results),
//! plus the error document and a backend STS's answers (AssumeRoleWithWebIdentity, errors).
//! What a reader accepts, the writer writes back and the reader reads again; from then on
//! write-then-read is the identity (the first pass may normalize: timestamps keep
//! milliseconds, as S3 writes them).

use http::{HeaderMap, Method};
use multistore_core::codec::http::HttpRequest;
use multistore_core::codec::xml::parse_document;
use multistore_core::codec::xml_value::{read_document, write_document};
use multistore_core::s3::{ErrorDocument, S3Operation, S3Request, S3Response};
use multistore_core::sts::{AssumeRoleWithWebIdentityResponse, StsErrorResponse};

/// Runs `xml_document`.
pub fn run_document(data: &[u8]) {
    let _ = parse_document(data, &Default::default());
}

/// The operations whose request bodies are XML, with the query that routes to each.
const BODY_READERS: &[(S3Operation, &str, &str, Option<&str>)] = &[
    (S3Operation::CreateBucket, "PUT", "", None),
    (S3Operation::DeleteObjects, "POST", "delete", None),
    (
        S3Operation::CompleteMultipartUpload,
        "POST",
        "uploadId",
        Some("k"),
    ),
    (S3Operation::PutObjectTagging, "PUT", "tagging", Some("k")),
    (S3Operation::PutBucketCors, "PUT", "cors", None),
];

/// Runs `xml_bodies`: the first byte picks the reader, the rest is the body.
pub fn run_bodies(data: &[u8]) {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    let pick = usize::from(*pick);
    let outputs = S3Operation::ALL.len();
    if pick < outputs {
        output(S3Operation::ALL[pick], body);
    } else if pick < outputs + BODY_READERS.len() {
        input(&BODY_READERS[pick - outputs], body);
    } else {
        match (pick - outputs - BODY_READERS.len()) % 3 {
            0 => error_document(body),
            1 => sts_response(body),
            _ => sts_error(body),
        }
    }
}

/// A backend's answer to `operation`, read, then written and read back twice.
fn output(operation: S3Operation, body: &[u8]) {
    let headers = HeaderMap::new();
    let Ok(read) = S3Response::from_http(operation, &headers, Some(body)) else {
        return;
    };
    fixed_point(&format!("{operation:?}"), read, |value| {
        let parts = value
            .to_http()
            .unwrap_or_else(|e| panic!("{operation:?}: read but cannot write it back: {e}"));
        S3Response::from_http(operation, &parts.headers, parts.body.as_deref())
            .unwrap_or_else(|e| panic!("{operation:?}: cannot read what it wrote: {e}"))
    });
}

/// `rewrite` (write, then read) of a value read from the input: the first rewrite may
/// normalize (timestamps keep milliseconds, as S3 writes them), the second changes nothing.
pub(crate) fn fixed_point<T: PartialEq + std::fmt::Debug>(
    what: &str,
    read: T,
    rewrite: impl Fn(&T) -> T,
) {
    let once = rewrite(&read);
    let twice = rewrite(&once);
    assert_eq!(once, twice, "{what}: write then read is not stable");
}

/// A client's request body for `operation`, read, written back and read again.
fn input(reader: &(S3Operation, &str, &str, Option<&str>), body: &[u8]) {
    let (operation, method, query_key, key) = *reader;
    let method = Method::from_bytes(method.as_bytes()).expect("a valid method");
    let query: Vec<(String, String)> = if query_key.is_empty() {
        Vec::new()
    } else {
        vec![(query_key.to_owned(), "X".to_owned())]
    };
    let headers = HeaderMap::new();
    let req = HttpRequest {
        method: &method,
        bucket: Some("bucket"),
        key,
        query: &query,
        headers: &headers,
    };
    let Ok(read) = S3Request::from_http(operation, &req, Some(body)) else {
        return;
    };
    fixed_point(&format!("{operation:?}"), read, |value| {
        rewrite_request(operation, value)
    });
}

/// A request written as the gateway sends it on, and read back as a backend reads it.
pub(crate) fn rewrite_request(operation: S3Operation, value: &S3Request) -> S3Request {
    let out = value
        .to_http()
        .unwrap_or_else(|e| panic!("{operation:?}: read but cannot write it back: {e}"));
    let again = HttpRequest {
        method: &out.method,
        bucket: out.bucket.as_deref(),
        key: out.key.as_deref(),
        query: &out.query,
        headers: &out.headers,
    };
    S3Request::from_http(operation, &again, out.body.as_deref())
        .unwrap_or_else(|e| panic!("{operation:?}: cannot read what it wrote: {e}"))
}

/// A backend STS's AssumeRoleWithWebIdentity answer (OIDC-federated backends read it).
fn sts_response(body: &[u8]) {
    let Ok(read) = AssumeRoleWithWebIdentityResponse::from_xml(body) else {
        return;
    };
    fixed_point("the STS response", read, |value| {
        AssumeRoleWithWebIdentityResponse::from_xml(&value.to_xml("req-1"))
            .unwrap_or_else(|e| panic!("cannot read the STS response it wrote: {e}"))
    });
}

/// A backend STS's error document.
fn sts_error(body: &[u8]) {
    let Ok(read) = read_document::<StsErrorResponse>(body, "ErrorResponse") else {
        return;
    };
    fixed_point("the STS error", read, |value| {
        read_document(
            &write_document(value, "ErrorResponse", None),
            "ErrorResponse",
        )
        .unwrap_or_else(|e| panic!("cannot read the STS error it wrote: {e}"))
    });
}

/// An S3 error document (what a backend sends with a 4xx/5xx).
fn error_document(body: &[u8]) {
    let Ok(read) = read_document::<ErrorDocument>(body, "Error") else {
        return;
    };
    fixed_point("the error document", read, |value| {
        read_document(&write_document(value, "Error", None), "Error")
            .unwrap_or_else(|e| panic!("cannot read the error document it wrote: {e}"))
    });
}
