//! Tests of CORS through `Gateway::resolve`: the preflight matrix, and the headers actual
//! requests get on built, relayed, rewritten, body-reading and piped plans.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::codec::scalar::DateTime;
use crate::config::from_toml;
use crate::gateway::{Gateway, PipeNext, Plan, RequestHead, ResponseMode, Settings, request};
use crate::registry::StaticRegistry;
use crate::sigv4::{SigningCredentials, sign_request};

const NOW: i64 = 1_700_000_000;

const CONFIG: &str = r#"
[server]
virtual_host_domains = ["s3.test"]

[[buckets]]
name = "web"
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.1:9000"
bucket = "store"
prefix = "web/"
access_key_id = "BACKENDKEY"
secret_access_key = "backend-secret"
[[buckets.cors]]
allowed_origins = ["https://*.example.com"]
allowed_methods = ["GET", "PUT"]
allowed_headers = ["x-amz-*", "Content-Type"]
expose_headers = ["ETag", "x-amz-request-id"]
max_age_seconds = 3000
[[buckets.cors]]
allowed_origins = ["*"]
allowed_methods = ["GET", "HEAD"]

[[buckets]]
name = "plain"
backend = { type = "memory" }

[[credentials]]
access_key_id = "AKIAALICE0000000"
secret_access_key = "alice-secret"
principal = "alice"
[[credentials.scopes]]
bucket = "*"
actions = ["all"]
"#;

const APP: &str = "https://app.example.com";
const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

fn gateway() -> Gateway {
    let config = from_toml(CONFIG).expect("test config is valid");
    let registry = Arc::new(StaticRegistry::new(&config).expect("registry"));
    Gateway::builder(Settings::from_config(&config), registry.clone(), registry).build()
}

fn head(method: Method, host: &str, target: &str, extra: &[(&str, &str)]) -> RequestHead {
    let (raw_path, raw_query) = RequestHead::split_target(target);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(host).unwrap());
    for (k, v) in extra {
        headers.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
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

/// A preflight, path-style.
fn preflight(target: &str, extra: &[(&str, &str)]) -> Plan {
    gateway().resolve(head(Method::OPTIONS, "127.0.0.1:8080", target, extra))
}

/// A request signed with alice's key (header auth, `UNSIGNED-PAYLOAD`).
fn alice(method: Method, target: &str, extra: &[(&str, &str)]) -> RequestHead {
    let mut h = head(method, "127.0.0.1:8080", target, extra);
    let query = request::parse_query(&h.raw_query).unwrap();
    let names: Vec<String> = h.headers.keys().map(|k| k.as_str().to_owned()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let creds = SigningCredentials {
        access_key_id: "AKIAALICE0000000",
        secret_access_key: "alice-secret",
        session_token: None,
    };
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
        DateTime::from_secs(NOW),
    )
    .unwrap();
    h
}

fn respond(plan: Plan) -> crate::gateway::Response {
    match plan {
        Plan::Respond(r) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

/// Status, code and message of an error response.
fn error(plan: Plan) -> (StatusCode, String, String) {
    let r = respond(plan);
    let body = String::from_utf8_lossy(&r.body).into_owned();
    let element = |name: &str| {
        body.split(&format!("<{name}>"))
            .nth(1)
            .and_then(|s| s.split(&format!("</{name}>")).next())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        r.headers.get("access-control-allow-origin").is_none(),
        "a refused preflight allows nothing"
    );
    (r.status, element("Code"), element("Message"))
}

#[test]
fn an_allowed_preflight_answers_from_the_first_matching_rule() {
    let r = respond(preflight(
        "/web/a/b%20c",
        &[
            ("origin", APP),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "X-Amz-Date, content-type"),
            ("access-control-request-headers", "x-amz-meta-Color"),
        ],
    ));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    let h = &r.headers;
    assert_eq!(header(h, "access-control-allow-origin"), Some(APP));
    assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
    assert_eq!(header(h, "access-control-allow-methods"), Some("GET, PUT"));
    assert_eq!(
        header(h, "access-control-allow-headers"),
        Some("x-amz-date, content-type, x-amz-meta-color")
    );
    assert_eq!(
        header(h, "access-control-expose-headers"),
        Some("ETag, x-amz-request-id")
    );
    assert_eq!(header(h, "access-control-max-age"), Some("3000"));
    assert_eq!(header(h, "vary"), Some(PREFLIGHT_VARY));
    assert_eq!(header(h, "x-amz-request-id"), Some("req-1"));
}

#[test]
fn a_wildcard_origin_rule_answers_star_without_credentials() {
    let r = respond(preflight(
        "/web/k",
        &[
            ("origin", "https://elsewhere.org"),
            ("access-control-request-method", "HEAD"),
        ],
    ));
    assert_eq!(r.status, StatusCode::OK);
    let h = &r.headers;
    assert_eq!(header(h, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(h, "access-control-allow-credentials"), None);
    assert_eq!(header(h, "access-control-allow-methods"), Some("GET, HEAD"));
    assert_eq!(header(h, "access-control-allow-headers"), None);
    assert_eq!(header(h, "access-control-expose-headers"), None);
    assert_eq!(header(h, "access-control-max-age"), None, "no max-age set");
    assert_eq!(header(h, "vary"), Some(PREFLIGHT_VARY));
}

#[test]
fn preflights_no_rule_allows_are_refused() {
    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        ("https://elsewhere.org", Some("PUT"), None), // origin (rule 1), method (rule 2)
        (APP, Some("DELETE"), None),                  // a method no rule has
        ("http://app.example.com", Some("PUT"), None), // the scheme is part of the origin
        ("https://example.com", Some("PUT"), None),   // the wildcard needs its `.`
        (APP, Some("put"), None),                     // methods are upper case
        (APP, None, None),                            // no method requested
        (APP, Some("PUT"), Some("authorization")),    // a header rule 1 does not allow
        (APP, Some("PUT"), Some("x-amz-date, x-other")), // every header must be allowed
        ("https://elsewhere.org", Some("GET"), Some("x-amz-date")), // rule 2 allows no headers
    ];
    for (origin, method, headers) in cases {
        let mut extra = vec![("origin", *origin)];
        extra.extend(method.map(|m| ("access-control-request-method", m)));
        extra.extend(headers.map(|h| ("access-control-request-headers", h)));
        let (status, code, message) = error(preflight("/web/k", &extra));
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "AccessDenied"),
            "{extra:?}"
        );
        assert!(
            message.starts_with("CORSResponse: This CORS request is not allowed"),
            "{message}"
        );
    }
}

#[test]
fn header_matching_is_case_insensitive_with_wildcards() {
    let r = respond(preflight(
        "/web",
        &[
            ("origin", "https://a.b.example.com"),
            ("access-control-request-method", "GET"),
            (
                "access-control-request-headers",
                "CONTENT-TYPE,X-AMZ-USER-AGENT",
            ),
        ],
    ));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        header(&r.headers, "access-control-allow-headers"),
        Some("content-type, x-amz-user-agent")
    );
}

#[test]
fn buckets_without_rules_unknown_buckets_and_missing_origins() {
    let allowed = [("origin", APP), ("access-control-request-method", "GET")];
    let (status, code, message) = error(preflight("/plain/k", &allowed));
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "AccessDenied")
    );
    assert_eq!(
        message,
        "CORSResponse: CORS is not enabled for this bucket."
    );
    let (status, code, _) = error(preflight("/nowhere/k", &allowed));
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "NoSuchBucket")
    );
    let (status, code, _) = error(preflight("/", &allowed));
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "AccessDenied")
    );
    let (status, code, _) = error(preflight(
        "/web/k",
        &[("access-control-request-method", "GET")],
    ));
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "InvalidRequest")
    );
}

#[test]
fn preflights_are_virtual_hosted_too_and_need_no_authentication() {
    let plan = gateway().resolve(head(
        Method::OPTIONS,
        "web.s3.test:8080",
        "/photo.jpg",
        &[
            ("origin", APP),
            ("access-control-request-method", "PUT"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=nobody, garbage",
            ),
        ],
    ));
    let r = respond(plan);
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(header(&r.headers, "access-control-allow-origin"), Some(APP));
}

#[test]
fn a_forwarded_get_with_origin_relays_the_gateways_cors_headers() {
    let Plan::Forward(f) = gateway().resolve(alice(Method::GET, "/web/k", &[("origin", APP)]))
    else {
        panic!("a forward")
    };
    assert!(
        f.request.headers.get("origin").is_none(),
        "the backend never sees the origin"
    );
    let mut backend = HeaderMap::new();
    backend.insert("etag", HeaderValue::from_static("\"e\""));
    backend.insert("vary", HeaderValue::from_static("Accept-Encoding"));
    backend.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    backend.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("DELETE"),
    );
    let (status, h) = f.client_head(StatusCode::OK, &backend);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "access-control-allow-origin"), Some(APP));
    assert_eq!(header(&h, "access-control-allow-credentials"), Some("true"));
    assert_eq!(
        header(&h, "access-control-expose-headers"),
        Some("ETag, x-amz-request-id")
    );
    assert_eq!(
        header(&h, "access-control-allow-methods"),
        None,
        "the backend's is dropped"
    );
    let vary: Vec<_> = h.get_all("vary").iter().collect();
    assert_eq!(vary, ["Accept-Encoding", "Origin"]);
    assert_eq!(header(&h, "etag"), Some("\"e\""));
}

#[test]
fn error_responses_for_a_bucket_with_rules_carry_cors_headers() {
    let plan = gateway().resolve(head(
        Method::GET,
        "127.0.0.1:8080",
        "/web/k",
        &[("origin", "https://x.org")],
    ));
    let r = respond(plan);
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "anonymous reads are denied"
    );
    assert_eq!(header(&r.headers, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&r.headers, "vary"), Some("Origin"));
    assert_eq!(header(&r.headers, "x-amz-request-id"), Some("req-1"));
}

#[test]
fn only_matching_actual_requests_are_allowed_but_all_vary_on_origin() {
    // DELETE is in no rule: no Allow-Origin, but the answer still varies on Origin.
    let plan = gateway().resolve(alice(Method::DELETE, "/web/k", &[("origin", APP)]));
    let Plan::Forward(f) = plan else { panic!() };
    let (_, h) = f.client_head(StatusCode::NO_CONTENT, &HeaderMap::new());
    assert_eq!(header(&h, "access-control-allow-origin"), None);
    assert_eq!(header(&h, "vary"), Some("Origin"));
    // No Origin at all: the same.
    let Plan::Forward(f) = gateway().resolve(alice(Method::GET, "/web/k", &[])) else {
        panic!()
    };
    let (_, h) = f.client_head(StatusCode::OK, &HeaderMap::new());
    assert_eq!(header(&h, "access-control-allow-origin"), None);
    assert_eq!(header(&h, "vary"), Some("Origin"));
    // A bucket without rules: no CORS headers at all.
    let Plan::Forward(f) = gateway().resolve(alice(Method::GET, "/plain/k", &[("origin", APP)]))
    else {
        panic!()
    };
    assert!(f.cors.is_none());
    let (_, h) = f.client_head(StatusCode::OK, &HeaderMap::new());
    assert!(h.get("vary").is_none() && h.get("access-control-allow-origin").is_none());
}

#[test]
fn rewritten_listings_carry_cors_headers() {
    let plan = gateway().resolve(alice(Method::GET, "/web?list-type=2", &[("origin", APP)]));
    let Plan::Forward(f) = plan else { panic!() };
    let ResponseMode::Rewrite { then, .. } = f.response else {
        panic!("a prefixed listing is rewritten")
    };
    let body = r#"<ListBucketResult><Name>store</Name><Prefix>web/</Prefix><KeyCount>1</KeyCount><Contents><Key>web/a</Key></Contents></ListBucketResult>"#;
    let r = then(StatusCode::OK, HeaderMap::new(), Bytes::from(body));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(header(&r.headers, "access-control-allow-origin"), Some(APP));
    assert_eq!(header(&r.headers, "vary"), Some("Origin"));
}

#[test]
fn body_reading_and_piped_plans_carry_cors_headers() {
    let plan = gateway().resolve(alice(Method::PUT, "/web/k?tagging", &[("origin", APP)]));
    let Plan::NeedsBody(needs) = plan else {
        panic!("PutObjectTagging reads its body")
    };
    let tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>";
    let Plan::Forward(f) = (needs.then)(Bytes::from(tagging)) else {
        panic!("a forward")
    };
    let (_, h) = f.client_head(StatusCode::OK, &HeaderMap::new());
    assert_eq!(header(&h, "access-control-allow-origin"), Some(APP));

    let copy = || {
        let plan = gateway().resolve(alice(
            Method::PUT,
            "/web/dst",
            &[("origin", APP), ("x-amz-copy-source", "/plain/src")],
        ));
        match plan {
            Plan::Pipe(p) => p,
            other => panic!("a pipe, got {other:?}"),
        }
    };
    let mut source = HeaderMap::new();
    source.insert("content-length", HeaderValue::from_static("3"));
    let PipeNext::Write(write) = (copy().then)(StatusCode::OK, &source) else {
        panic!("a write")
    };
    let ResponseMode::Rewrite { then, .. } = write.response else {
        panic!("the copy result is written by the gateway")
    };
    let mut put = HeaderMap::new();
    put.insert("etag", HeaderValue::from_static("\"e\""));
    let r = then(StatusCode::OK, put, Bytes::new());
    assert_eq!(header(&r.headers, "access-control-allow-origin"), Some(APP));
    let PipeNext::Respond(r) = (copy().then)(StatusCode::NOT_FOUND, &HeaderMap::new()) else {
        panic!("a failed source is answered")
    };
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(header(&r.headers, "access-control-allow-origin"), Some(APP));
}
