//! Tests of backend request building: addressing, signing, and the header policy.

use http::HeaderValue;

use super::*;
use crate::config::{Secret, SecretValue};
use crate::s3::{GetObjectRequest, PutObjectRequest};

fn s3_backend(addressing: Addressing) -> BackendConfig {
    let mut secret = Secret::inline("backend-secret");
    let _ = secret.resolve(&|_: &str| None::<String>);
    let mut b = S3Backend::new("http://minio.local:9000", "BACKENDKEY", secret);
    b.addressing = addressing;
    BackendConfig::S3(b)
}

fn get(key: &str) -> S3Request {
    S3Request::GetObject(GetObjectRequest {
        bucket: "store".into(),
        key: key.into(),
        ..GetObjectRequest::default()
    })
}

fn call<'a>(
    backend: &'a BackendConfig,
    request: &'a S3Request,
    client: &'a HeaderMap,
    chunked: bool,
) -> BackendCall<'a> {
    BackendCall {
        backend,
        store: "data",
        request,
        client_headers: client,
        chunked_to_backend: chunked,
        body_regenerated: false,
        extra_headers: HeaderMap::new(),
        payload_hash: "UNSIGNED-PAYLOAD",
        now: DateTime::from_secs(1_700_000_000),
        federated: None,
    }
}

#[test]
fn path_style_urls_encode_keys_and_sign_with_the_backend_key() {
    let backend = s3_backend(Addressing::Path);
    let request = get("tenant/a b+c");
    let out = build(&call(&backend, &request, &HeaderMap::new(), false)).unwrap();
    assert_eq!(out.kind, BackendKind::Http);
    assert_eq!(out.url, "http://minio.local:9000/store/tenant/a%20b%2Bc");
    assert_eq!(out.headers[HOST], "minio.local:9000");
    let auth = out.headers["authorization"].to_str().unwrap();
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=BACKENDKEY/20231114/us-east-1/s3/aws4_request"
        ),
        "{auth}"
    );
    assert!(
        auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date"),
        "{auth}"
    );
    assert_eq!(out.headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
}

#[test]
fn virtual_hosted_backends_put_the_bucket_in_the_host() {
    let backend = s3_backend(Addressing::Virtual);
    let request = get("k");
    let out = build(&call(&backend, &request, &HeaderMap::new(), false)).unwrap();
    assert_eq!(out.url, "http://store.minio.local:9000/k");
    assert_eq!(out.headers[HOST], "store.minio.local:9000");
}

#[test]
fn only_model_and_protocol_headers_cross_and_credentials_never_do() {
    let backend = s3_backend(Addressing::Path);
    let request = S3Request::PutObject(PutObjectRequest {
        bucket: "store".into(),
        key: "k".into(),
        content_encoding: Some("aws-chunked,gzip".into()),
        ..PutObjectRequest::default()
    });
    let mut client = HeaderMap::new();
    for (k, v) in [
        ("authorization", "AWS4-HMAC-SHA256 Credential=CLIENT/x"),
        ("x-amz-security-token", "client-session"),
        ("x-amz-decoded-content-length", "5"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
        ("x-custom-junk", "1"),
    ] {
        client.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    let plain = build(&call(&backend, &request, &client, false)).unwrap();
    assert!(!plain.headers.contains_key("x-amz-decoded-content-length"));
    assert!(!plain.headers.contains_key("x-custom-junk"));
    assert_eq!(
        plain.headers["content-encoding"], "gzip",
        "aws-chunked is stripped from a decoded body"
    );
    assert!(
        !plain.headers["authorization"]
            .to_str()
            .unwrap()
            .contains("CLIENT")
    );
    assert!(!plain.headers.contains_key("x-amz-security-token"));
    let chunked = build(&call(&backend, &request, &client, true)).unwrap();
    assert_eq!(chunked.headers["x-amz-decoded-content-length"], "5");
    assert_eq!(chunked.headers["x-amz-trailer"], "x-amz-checksum-crc32");
    assert_eq!(chunked.headers["content-encoding"], "aws-chunked,gzip");
    let auth = chunked.headers["authorization"].to_str().unwrap();
    assert!(
        auth.contains("x-amz-decoded-content-length") && auth.contains("x-amz-trailer"),
        "{auth}"
    );
}

#[test]
fn embedded_backends_get_the_request_in_s3_terms_unsigned() {
    let backend = BackendConfig::Memory(crate::config::MemoryBackend::default());
    let request = get("tenant/k");
    let out = build(&call(&backend, &request, &HeaderMap::new(), false)).unwrap();
    assert_eq!(
        out.kind,
        BackendKind::Embedded {
            store: "data".into()
        }
    );
    assert_eq!(out.s3.key.as_deref(), Some("tenant/k"));
    assert!(out.headers.is_empty());
    let _ = SecretValue::new("unused");
}

#[test]
fn query_strings_encode_every_reserved_byte() {
    let q = vec![
        ("prefix".to_owned(), "a/b c+d".to_owned()),
        ("uploads".to_owned(), String::new()),
    ];
    assert_eq!(encode_query(&q), "prefix=a%2Fb%20c%2Bd&uploads=");
}
