//! The key contract as a property, over random keys (`key_contract.rs` runs the same checks
//! over a fixed adversarial corpus): for any key, the key a client signs (`encode_key`, as the
//! SDKs send it), the key the gateway sends to the backend (behind the bucket's backend
//! prefix, HTTP and embedded backends) and the key listed back to the client (an
//! `encoding-type=url` listing, decoded as botocore does) are the same bytes.
//!
//! The stored path (the directory store's key map) is the native crate's property
//! (`runtimes/native/src/store/keymap.rs`: any key → path → the same key).

use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use multistore_core::codec::path::{encode_component, encode_key};
use multistore_core::codec::scalar::DateTime;
use multistore_core::config::from_toml;
use multistore_core::gateway::{
    BackendKind, Forward, Gateway, Plan, RequestHead, ResponseMode, Settings, request,
};
use multistore_core::registry::StaticRegistry;
use multistore_core::sigv4::{self, SigningCredentials};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

const CONFIG: &str = r#"
[[buckets]]
name = "pre"
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.1:9000"
bucket = "store"
prefix = "tenant/x/"
access_key_id = "BACKENDKEY"
secret_access_key = "backend-secret"

[[buckets]]
name = "mem-pre"
backend = { type = "memory", prefix = "p/" }

[[credentials]]
access_key_id = "AKIAALICE0000000"
secret_access_key = "alice-secret"
principal = "alice"
[[credentials.scopes]]
bucket = "*"
actions = ["all"]
"#;

/// (client bucket, backend bucket, backend key prefix)
const BUCKETS: &[(&str, &str, &str)] =
    &[("pre", "store", "tenant/x/"), ("mem-pre", "mem-pre", "p/")];

static GATEWAY: LazyLock<Gateway> = LazyLock::new(|| {
    let config = from_toml(CONFIG).expect("test config is valid");
    let registry = Arc::new(StaticRegistry::new(&config).expect("registry"));
    Gateway::builder(Settings::from_config(&config), registry.clone(), registry).build()
});

/// A GET of `/{bucket}{path}?{raw_query}` signed by alice, as an SDK sends it.
fn signed_get(path: &str, raw_query: &str) -> RequestHead {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    let query = request::parse_query(raw_query).expect("a valid query");
    let creds = SigningCredentials {
        access_key_id: "AKIAALICE0000000",
        secret_access_key: "alice-secret",
        session_token: None,
    };
    sigv4::sign_request(
        "GET",
        path,
        &query,
        &mut headers,
        &["host"],
        "UNSIGNED-PAYLOAD",
        &creds,
        "us-east-1",
        "s3",
        DateTime::from_secs(NOW),
    )
    .expect("signs");
    RequestHead {
        method: Method::GET,
        raw_path: path.to_owned(),
        raw_query: raw_query.to_owned(),
        headers,
        client_ip: None,
        now: DateTime::from_secs(NOW),
        request_id: "req-1".into(),
    }
}

fn forward(plan: Plan) -> Result<Box<Forward>, TestCaseError> {
    match plan {
        Plan::Forward(f) => Ok(f),
        Plan::Respond(r) => Err(TestCaseError::fail(format!(
            "expected a forward, got {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ))),
        other => Err(TestCaseError::fail(format!(
            "expected a forward, got {other:?}"
        ))),
    }
}

/// `%XX` decoding to bytes; `plus` also turns `+` into a space (botocore's `unquote_plus`).
fn pct_decode(s: &str, plus: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("ASCII escape");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// As S3 encodes an `encoding-type=url` listing: unreserved bytes and `/` as they are, a
/// space as `+`, everything else `%XX`.
fn s3_url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The object key the backend receives, as bytes.
fn backend_key(f: &Forward, backend_bucket: &str) -> Vec<u8> {
    match &f.request.kind {
        BackendKind::Embedded { .. } => f.request.s3.key.clone().unwrap_or_default().into_bytes(),
        BackendKind::Http => {
            let rest = f.request.url.split_once("://").expect("absolute URL").1;
            let path = &rest[rest.find('/').expect("a path")..];
            let path = path.split_once('?').map_or(path, |(p, _)| p);
            let encoded = path
                .strip_prefix(&format!("/{backend_bucket}/"))
                .unwrap_or_default();
            pct_decode(encoded, false)
        }
    }
}

/// The texts of every `<name>` element (the keys are URL-encoded: no XML escapes to undo).
fn elements(body: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    body.split(&open)
        .skip(1)
        .filter_map(|s| s.split(&close).next().map(str::to_owned))
        .collect()
}

/// Keys of any characters (controls, surrogates' neighbours, `/`, `%`, `+`, dots), 1 to 300
/// of them, within S3's 1024 bytes.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 1..300).prop_map(String::from_iter),
        "[a./%+ ~*?#&=-]{1,40}",
        "\\PC{1,200}",
    ]
    .prop_filter("S3 keys are at most 1024 bytes", |k| k.len() <= 1024)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_signed_sent_and_listed_keys_are_the_same_bytes(key in key(), which in 0..BUCKETS.len()) {
        let (bucket, backend_bucket, prefix) = BUCKETS[which];
        let stored = format!("{prefix}{key}");

        // 1. What the client signs is what the backend gets, behind the prefix.
        let f = forward(GATEWAY.resolve(signed_get(&format!("/{bucket}/{}", encode_key(&key)), "")))?;
        prop_assert_eq!(backend_key(&f, backend_bucket), stored.as_bytes());

        // 2. A listing of the key: the backend answers with the prefixed key (URL-encoded, as
        //    S3 does); the client decodes the key it listed.
        let q = encode_component(&key);
        let raw_query = format!("list-type=2&prefix={q}&encoding-type=url");
        let f = forward(GATEWAY.resolve(signed_get(&format!("/{bucket}"), &raw_query)))?;
        let e = s3_url_encode(&stored);
        let backend_body = format!(
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Name>{backend_bucket}</Name><Prefix>{e}</Prefix><KeyCount>1</KeyCount>\
             <MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>\
             <Contents><Key>{e}</Key><Size>1</Size></Contents></ListBucketResult>"
        );
        let ResponseMode::Rewrite { then, .. } = f.response else {
            return Err(TestCaseError::fail("a prefixed listing is rewritten"));
        };
        let response = then(StatusCode::OK, HeaderMap::new(), Bytes::from(backend_body));
        prop_assert_eq!(response.status, StatusCode::OK);
        let body = String::from_utf8(response.body.to_vec()).expect("UTF-8 XML");
        for element in ["Key", "Prefix"] {
            let values = elements(&body, element);
            prop_assert_eq!(values.len(), 1, "{} in {}", element, body);
            prop_assert_eq!(pct_decode(&values[0], true), key.as_bytes(), "{} in {}", element, body);
        }
    }
}
