//! `xml_document` and `xml_bodies`: the XML reader under the generated types.
//!
//! `xml_document` feeds any bytes to `codec::xml::parse_document`. `xml_bodies` feeds them, as
//! a request body, to every operation that reads one (CreateBucket, DeleteObjects,
//! CompleteMultipartUpload, PutObjectTagging, PutBucketCors) and, as a backend answer, to every
//! operation's output reader (the list results, copy, multipart, tagging and CORS results),
//! plus the error document. What a reader accepts, the writer writes back and the reader reads
//! again as the same value: serialize then parse is the identity.

use http::{HeaderMap, Method};
use multistore_core::codec::http::HttpRequest;
use multistore_core::codec::xml::parse_document;
use multistore_core::codec::xml_value::{read_document, write_document};
use multistore_core::s3::{ErrorDocument, S3Operation, S3Request, S3Response};

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
        error_document(body);
    }
}

/// A backend's answer to `operation`, read, written back and read again.
fn output(operation: S3Operation, body: &[u8]) {
    let headers = HeaderMap::new();
    let Ok(read) = S3Response::from_http(operation, &headers, Some(body)) else {
        return;
    };
    let parts = read
        .to_http()
        .unwrap_or_else(|e| panic!("{operation:?}: read but cannot write it back: {e}"));
    let again = S3Response::from_http(operation, &parts.headers, parts.body.as_deref())
        .unwrap_or_else(|e| panic!("{operation:?}: cannot read what it wrote: {e}"));
    assert_eq!(
        read, again,
        "{operation:?}: write then read changed the value"
    );
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
    let out = read
        .to_http()
        .unwrap_or_else(|e| panic!("{operation:?}: read but cannot write it back: {e}"));
    let again_req = HttpRequest {
        method: &out.method,
        bucket: out.bucket.as_deref(),
        key: out.key.as_deref(),
        query: &out.query,
        headers: &out.headers,
    };
    let again = S3Request::from_http(operation, &again_req, out.body.as_deref())
        .unwrap_or_else(|e| panic!("{operation:?}: cannot read what it wrote: {e}"));
    assert_eq!(
        read, again,
        "{operation:?}: write then read changed the value"
    );
}

/// An S3 error document (what a backend sends with a 4xx/5xx).
fn error_document(body: &[u8]) {
    let Ok(read) = read_document::<ErrorDocument>(body, "Error") else {
        return;
    };
    let written = write_document(&read, "Error", None);
    let again = read_document::<ErrorDocument>(&written, "Error")
        .unwrap_or_else(|e| panic!("cannot read the error document it wrote: {e}"));
    assert_eq!(read, again, "write then read changed the error document");
}
