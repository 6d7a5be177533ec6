//! End-to-end tests of `Gateway::resolve` over a real configuration: requests signed as an
//! SDK signs them, plans checked for what they would send, and rewrite continuations fed
//! backend answers. (The runtimes' tests drive the same flow with real clients and backends.)

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::*;
use crate::codec::scalar::DateTime;
use crate::config::from_toml;
use crate::registry::StaticRegistry;
use crate::sigv4::{SigningCredentials, sign_request};

const NOW: i64 = 1_700_000_000;

const CONFIG: &str = r#"
[limits]
max_upload_bytes = 1000

[[buckets]]
name = "data"
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.1:9000"
region = "us-east-1"
bucket = "store"
prefix = "tenant/"
access_key_id = "BACKENDKEY"
secret_access_key = "backend-secret"

[[buckets]]
name = "other"
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.2:9000"
region = "us-east-1"
access_key_id = "OTHERKEY"
secret_access_key = "other-secret"

[[buckets]]
name = "pub"
anonymous_read = true
[buckets.backend]
type = "memory"

[[credentials]]
access_key_id = "AKIAALICE0000000"
secret_access_key = "alice-secret"
principal = "alice"
[[credentials.scopes]]
bucket = "data"
prefixes = ["alice/"]
actions = ["all"]
[[credentials.scopes]]
bucket = "other"
actions = ["all"]

[[credentials]]
access_key_id = "AKIADISABLED0000"
secret_access_key = "disabled-secret"
principal = "former"
enabled = false
"#;

fn gateway() -> Gateway {
    let config = from_toml(CONFIG).expect("test config is valid");
    let registry = Arc::new(StaticRegistry::new(&config).expect("registry"));
    Gateway::builder(Settings::from_config(&config), registry.clone(), registry).build()
}

fn head(method: Method, target: &str, headers: HeaderMap) -> RequestHead {
    let (raw_path, raw_query) = RequestHead::split_target(target);
    RequestHead {
        method,
        raw_path,
        raw_query,
        headers,
        client_ip: None,
        now: DateTime::from_secs(NOW),
        request_id: "req-1".into(),
    }
}

/// A request signed with alice's key, as an SDK signs it (header auth, `UNSIGNED-PAYLOAD`).
fn signed(
    method: Method,
    target: &str,
    extra: &[(&str, &str)],
    secret: &str,
    signed_at: i64,
) -> RequestHead {
    let mut h = head(method, target, HeaderMap::new());
    h.headers
        .insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    for (k, v) in extra {
        h.headers.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let query = request::parse_query(&h.raw_query).unwrap();
    let creds = SigningCredentials {
        access_key_id: "AKIAALICE0000000",
        secret_access_key: secret,
        session_token: None,
    };
    let names: Vec<String> = h.headers.keys().map(|k| k.as_str().to_owned()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let method = h.method.clone();
    sign_request(
        method.as_str(),
        &h.raw_path,
        &query,
        &mut h.headers,
        &names,
        "UNSIGNED-PAYLOAD",
        &creds,
        "us-east-1",
        "s3",
        DateTime::from_secs(signed_at),
    )
    .unwrap();
    h
}

fn alice(method: Method, target: &str, extra: &[(&str, &str)]) -> RequestHead {
    signed(method, target, extra, "alice-secret", NOW)
}

/// The S3 error code of a refusal.
fn error_code(plan: Plan) -> (StatusCode, String) {
    let Plan::Respond(r) = plan else {
        panic!("expected an error response, got {plan:?}")
    };
    let body = String::from_utf8_lossy(&r.body).into_owned();
    let code = body
        .split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(r.headers["x-amz-request-id"], "req-1");
    (r.status, code)
}

fn forward(plan: Plan) -> Box<Forward> {
    match plan {
        Plan::Forward(f) => f,
        other => panic!("expected a forward, got {other:?}"),
    }
}

#[test]
fn an_anonymous_read_of_a_private_bucket_is_denied() {
    let plan = gateway().resolve(head(Method::GET, "/data/alice/x", HeaderMap::new()));
    assert_eq!(
        error_code(plan),
        (StatusCode::FORBIDDEN, "AccessDenied".into())
    );
}

#[test]
fn a_signed_read_is_forwarded_into_the_backend_namespace_and_signed_anew() {
    let f = forward(gateway().resolve(alice(
        Method::GET,
        "/data/alice/a%20b",
        &[("range", "bytes=0-9")],
    )));
    assert_eq!(
        f.request.url,
        "http://127.0.0.1:9000/store/tenant/alice/a%20b"
    );
    assert_eq!(f.request.headers["range"], "bytes=0-9");
    let auth = f.request.headers["authorization"].to_str().unwrap();
    assert!(auth.contains("Credential=BACKENDKEY/"), "{auth}");
    assert!(matches!(f.response, ResponseMode::PassThrough));
    assert!(matches!(f.body, RequestBody::Empty));
}

#[test]
fn scopes_hold_at_the_prefix_boundary() {
    let plan = gateway().resolve(alice(Method::GET, "/data/alice-private/x", &[]));
    assert_eq!(error_code(plan).1, "AccessDenied");
    let plan = gateway().resolve(alice(Method::GET, "/data/bob/x", &[]));
    assert_eq!(error_code(plan).1, "AccessDenied");
}

#[test]
fn unserved_subresources_are_refused_not_misrouted() {
    let plan = gateway().resolve(alice(Method::PUT, "/data/alice/x?acl", &[]));
    assert_eq!(
        error_code(plan),
        (StatusCode::NOT_IMPLEMENTED, "NotImplemented".into())
    );
}

#[test]
fn bad_signatures_unknown_keys_and_skew_are_refused() {
    let plan = gateway().resolve(signed(
        Method::GET,
        "/data/alice/x",
        &[],
        "wrong-secret",
        NOW,
    ));
    assert_eq!(
        error_code(plan),
        (StatusCode::FORBIDDEN, "SignatureDoesNotMatch".into())
    );
    let plan = gateway().resolve(signed(
        Method::GET,
        "/data/alice/x",
        &[],
        "alice-secret",
        NOW - 3600,
    ));
    assert_eq!(
        error_code(plan),
        (StatusCode::FORBIDDEN, "RequestTimeTooSkewed".into())
    );
    let mut h = alice(Method::GET, "/data/alice/x", &[]);
    let auth = h.headers["authorization"]
        .to_str()
        .unwrap()
        .replace("AKIAALICE0000000", "AKIANOBODY000000");
    h.headers
        .insert("authorization", HeaderValue::from_str(&auth).unwrap());
    assert_eq!(
        error_code(gateway().resolve(h)),
        (StatusCode::FORBIDDEN, "InvalidAccessKeyId".into())
    );
}

#[test]
fn listings_are_prefixed_on_the_way_in_and_stripped_on_the_way_out() {
    let f =
        forward(gateway().resolve(alice(Method::GET, "/data?list-type=2&prefix=alice%2F", &[])));
    assert!(
        f.request.url.contains("prefix=tenant%2Falice%2F"),
        "{}",
        f.request.url
    );
    let ResponseMode::Rewrite { then, .. } = f.response else {
        panic!("listings are rewritten")
    };
    let backend_body = r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>store</Name><Prefix>tenant/alice/</Prefix><KeyCount>2</KeyCount><Contents><Key>tenant/alice/a</Key></Contents><Contents><Key>elsewhere/secret</Key></Contents></ListBucketResult>"#;
    let response = then(StatusCode::OK, HeaderMap::new(), Bytes::from(backend_body));
    let body = String::from_utf8_lossy(&response.body);
    assert!(body.contains("<Key>alice/a</Key>"), "{body}");
    assert!(!body.contains("secret"), "{body}");
    assert!(body.contains("<Name>data</Name>"), "{body}");
    assert_eq!(response.headers["x-amz-request-id"], "req-1");
}

#[test]
fn delete_objects_is_authorized_key_by_key() {
    let plan = gateway().resolve(alice(Method::POST, "/data?delete", &[]));
    let Plan::NeedsBody(needs) = plan else {
        panic!("DeleteObjects reads its body")
    };
    let body =
        "<Delete><Object><Key>alice/a</Key></Object><Object><Key>bob/b</Key></Object></Delete>";
    let f = forward((needs.then)(Bytes::from(body)));
    let RequestBody::Buffered(sent) = &f.body else {
        panic!("a buffered body")
    };
    let sent = String::from_utf8_lossy(sent);
    assert!(
        sent.contains("<Key>tenant/alice/a</Key>") && !sent.contains("bob"),
        "{sent}"
    );
    assert!(f.request.headers.contains_key("content-md5"));
    let ResponseMode::Rewrite { then, .. } = f.response else {
        panic!("the result is rewritten")
    };
    let backend = "<DeleteResult><Deleted><Key>tenant/alice/a</Key></Deleted></DeleteResult>";
    let response = then(StatusCode::OK, HeaderMap::new(), Bytes::from(backend));
    let body = String::from_utf8_lossy(&response.body);
    assert!(body.contains("<Deleted><Key>alice/a</Key>"), "{body}");
    assert!(
        body.contains("<Key>bob/b</Key><Code>AccessDenied</Code>"),
        "{body}"
    );
}

#[test]
fn uploads_over_the_limit_are_refused_before_anything_is_sent() {
    let plan = gateway().resolve(alice(
        Method::PUT,
        "/data/alice/big",
        &[("content-length", "1001")],
    ));
    assert_eq!(
        error_code(plan),
        (StatusCode::BAD_REQUEST, "EntityTooLarge".into())
    );
    let f = forward(gateway().resolve(alice(
        Method::PUT,
        "/data/alice/small",
        &[("content-length", "10")],
    )));
    assert!(matches!(f.body, RequestBody::Stream { length: Some(10) }));
    assert_eq!(
        f.request.headers["x-amz-content-sha256"],
        "UNSIGNED-PAYLOAD"
    );
}

#[test]
fn bucket_location_is_the_gateway_region() {
    let Plan::Respond(r) = gateway().resolve(alice(Method::GET, "/data?location", &[])) else {
        panic!()
    };
    assert_eq!(r.status, StatusCode::OK);
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.contains("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>"), "{body}");
}

#[test]
fn list_buckets_shows_the_buckets_the_caller_can_use() {
    let Plan::Respond(r) = gateway().resolve(alice(Method::GET, "/", &[])) else {
        panic!()
    };
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        body.contains("<Name>data</Name>") && body.contains("<Name>other</Name>"),
        "{body}"
    );
    let anonymous = gateway().resolve(head(Method::GET, "/", HeaderMap::new()));
    assert_eq!(error_code(anonymous).1, "AccessDenied");
}

#[test]
fn anonymous_reads_of_public_buckets_reach_the_embedded_store() {
    let f = forward(gateway().resolve(head(Method::GET, "/pub/x", HeaderMap::new())));
    assert_eq!(
        f.request.kind,
        BackendKind::Embedded {
            store: "pub".into()
        }
    );
    let plan = gateway().resolve(head(Method::PUT, "/pub/x", HeaderMap::new()));
    assert_eq!(
        error_code(plan).1,
        "AccessDenied",
        "anonymous callers never write"
    );
}

#[test]
fn copies_across_backends_are_a_streamed_get_into_a_put() {
    let plan = gateway().resolve(alice(
        Method::PUT,
        "/other/copy",
        &[("x-amz-copy-source", "/data/alice/src")],
    ));
    let Plan::Pipe(pipe) = plan else {
        panic!("expected a pipe, got {plan:?}")
    };
    assert_eq!(
        pipe.source.url,
        "http://127.0.0.1:9000/store/tenant/alice/src"
    );
    let mut source_headers = HeaderMap::new();
    source_headers.insert("content-length", HeaderValue::from_static("42"));
    source_headers.insert("content-type", HeaderValue::from_static("text/plain"));
    let PipeNext::Write(write) = (pipe.then)(StatusCode::OK, &source_headers) else {
        panic!("a write")
    };
    assert_eq!(write.request.method, Method::PUT);
    assert_eq!(write.request.url, "http://127.0.0.2:9000/other/copy");
    assert_eq!(write.request.headers["content-type"], "text/plain");
    assert!(matches!(
        write.body,
        RequestBody::FromSource { length: Some(42) }
    ));
    let PipeNext::Respond(r) = (pipe_for_error().then)(StatusCode::NOT_FOUND, &HeaderMap::new())
    else {
        panic!("a failed source is answered")
    };
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

fn pipe_for_error() -> Box<Pipe> {
    match gateway().resolve(alice(
        Method::PUT,
        "/other/copy",
        &[("x-amz-copy-source", "/data/alice/src")],
    )) {
        Plan::Pipe(p) => p,
        other => panic!("expected a pipe, got {other:?}"),
    }
}

#[test]
fn copies_within_one_backend_are_native_with_the_source_namespaced() {
    let plan = gateway().resolve(alice(
        Method::PUT,
        "/data/alice/dst",
        &[("x-amz-copy-source", "/data/alice/s%20rc")],
    ));
    let f = forward(plan);
    assert_eq!(
        f.request.headers["x-amz-copy-source"],
        "/store/tenant/alice/s%20rc"
    );
}

#[test]
fn virtual_hosted_requests_address_the_bucket_by_host() {
    let config = from_toml(&format!(
        "[server]\nvirtual_host_domains = [\"s3.test\"]\n{CONFIG}"
    ))
    .unwrap();
    let registry = Arc::new(StaticRegistry::new(&config).unwrap());
    let gw = Gateway::builder(Settings::from_config(&config), registry.clone(), registry).build();
    let mut h = head(Method::GET, "/x", HeaderMap::new());
    h.headers
        .insert("host", HeaderValue::from_static("pub.s3.test:8080"));
    let f = forward(gw.resolve(h));
    assert_eq!(f.request.s3.key.as_deref(), Some("x"));
}

#[test]
fn delete_objects_needs_the_bucket_level_grant_first() {
    // alice has no scope on `pub`; anonymous reads never include deletes.
    let Plan::NeedsBody(needs) = gateway().resolve(alice(Method::POST, "/pub?delete", &[])) else {
        panic!("DeleteObjects reads its body")
    };
    let body = "<Delete><Object><Key>x</Key></Object></Delete>";
    assert_eq!(
        error_code((needs.then)(Bytes::from(body))),
        (StatusCode::FORBIDDEN, "AccessDenied".into())
    );
}

#[test]
fn a_200_error_document_is_relayed_not_turned_into_a_bad_gateway() {
    // S3 may answer CompleteMultipartUpload with `200 OK` and an `<Error>` body; SDKs look for it.
    let plan = gateway().resolve(alice(Method::POST, "/data/alice/big?uploadId=u1", &[]));
    let Plan::NeedsBody(needs) = plan else {
        panic!("CompleteMultipartUpload reads its body")
    };
    let body = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>";
    let f = forward((needs.then)(Bytes::from(body)));
    let ResponseMode::Rewrite { then, .. } = f.response else {
        panic!("the result is rewritten into the client's namespace")
    };
    let error = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>";
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/xml"));
    let response = then(StatusCode::OK, headers, Bytes::from(error));
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, Bytes::from(error));
    assert_eq!(response.headers["content-type"], "application/xml");
    assert_eq!(response.headers["x-amz-request-id"], "req-1");
}

#[test]
fn presigned_requests_are_verified_and_their_auth_query_stays_behind() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    let creds = SigningCredentials {
        access_key_id: "AKIAALICE0000000",
        secret_access_key: "alice-secret",
        session_token: None,
    };
    let query = vec![("response-content-type".to_owned(), "text/plain".to_owned())];
    let auth = crate::sigv4::presign(
        "GET",
        "/data/alice/a%20b",
        &query,
        &headers,
        &creds,
        "us-east-1",
        "s3",
        DateTime::from_secs(NOW - 60),
        300,
    )
    .unwrap();
    let raw_query = backend::encode_query(&[query, auth].concat());
    let mut h = head(
        Method::GET,
        &format!("/data/alice/a%20b?{raw_query}"),
        headers,
    );
    let f = forward(gateway().resolve(h.clone()));
    assert_eq!(
        f.request.url,
        "http://127.0.0.1:9000/store/tenant/alice/a%20b?response-content-type=text%2Fplain"
    );
    h.now = DateTime::from_secs(NOW + 300);
    assert_eq!(
        error_code(gateway().resolve(h)),
        (StatusCode::FORBIDDEN, "AccessDenied".into()),
        "expired"
    );
}

#[test]
fn a_key_state_is_told_only_to_whoever_holds_its_secret() {
    let sign_as = |secret: &str| {
        let mut h = signed(Method::GET, "/data/alice/x", &[], secret, NOW);
        let auth = h.headers["authorization"]
            .to_str()
            .unwrap()
            .replace("AKIAALICE0000000", "AKIADISABLED0000");
        h.headers
            .insert("authorization", HeaderValue::from_str(&auth).unwrap());
        h
    };
    // Re-signing with the disabled key's id: the signature covers the credential, so sign anew.
    let mut h = head(Method::GET, "/data/alice/x", HeaderMap::new());
    h.headers
        .insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    let creds = SigningCredentials {
        access_key_id: "AKIADISABLED0000",
        secret_access_key: "disabled-secret",
        session_token: None,
    };
    sign_request(
        "GET",
        &h.raw_path,
        &[],
        &mut h.headers,
        &["host"],
        "UNSIGNED-PAYLOAD",
        &creds,
        "us-east-1",
        "s3",
        DateTime::from_secs(NOW),
    )
    .unwrap();
    assert_eq!(
        error_code(gateway().resolve(h)),
        (StatusCode::FORBIDDEN, "AccessDenied".into())
    );
    assert_eq!(
        error_code(gateway().resolve(sign_as("guess"))),
        (StatusCode::FORBIDDEN, "SignatureDoesNotMatch".into())
    );
}

#[test]
fn configured_buckets_answer_cors_from_the_configuration() {
    let plan = gateway().resolve(alice(Method::GET, "/other?cors", &[]));
    assert_eq!(
        error_code(plan),
        (StatusCode::NOT_FOUND, "NoSuchCORSConfiguration".into())
    );
    let plan = gateway().resolve(alice(Method::DELETE, "/other?cors", &[]));
    assert_eq!(
        error_code(plan),
        (StatusCode::NOT_IMPLEMENTED, "NotImplemented".into())
    );
}
