//! The key contract: over an adversarial key corpus, the key a client signs, the key the gateway
//! sends to the backend and the key listed back to the client are the same bytes.
//!
//! For every key, path-style and virtual-hosted, for buckets with and without a backend key
//! prefix (HTTP backends path- and virtual-addressed, embedded stores):
//! 1. the client sends `encode_key(key)` as the AWS SDKs do, and also a looser form that leaves
//!    `+ = : @` unencoded (some SDKs do; they are valid in a path). The signature is computed
//!    over the canonical form, so both must verify;
//! 2. the backend request's URL path, decoded here independently, is `prefix + key` (an embedded
//!    store gets it in `request.s3.key`), and the backend signature verifies;
//! 3. a ListObjectsV2 with `prefix` and `start-after` = key reaches the backend as
//!    `prefix + key`, and a backend answer listing `prefix + key` (plain, or `encoding-type=url`
//!    in two encoder styles) reaches the client, decoded as botocore decodes it (XML text, then
//!    `unquote_plus` for url encoding), as `key` again.
//!
//! Everything is decoded by small decoders written here, not by the gateway's codecs.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use multistore_core::codec::path::{encode_component, encode_key};
use multistore_core::codec::scalar::DateTime;
use multistore_core::config::from_toml;
use multistore_core::gateway::{
    BackendKind, Forward, Gateway, Plan, RequestHead, ResponseMode, Settings, request,
};
use multistore_core::registry::StaticRegistry;
use multistore_core::sigv4::{self, AuthRequest, SigningCredentials, VerifyPolicy};

const NOW: i64 = 1_700_000_000;

const CONFIG: &str = r#"
[server]
virtual_host_domains = ["s3.test"]

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
name = "flat"
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.1:9000"
access_key_id = "BACKENDKEY"
secret_access_key = "backend-secret"

[[buckets]]
name = "vpre"
[buckets.backend]
type = "s3"
endpoint = "http://s3.backend.test:9000"
addressing = "virtual"
bucket = "store"
prefix = "t/"
access_key_id = "BACKENDKEY"
secret_access_key = "backend-secret"

[[buckets]]
name = "mem-pre"
backend = { type = "memory", prefix = "p/" }

[[buckets]]
name = "mem"
backend = { type = "memory" }

[[credentials]]
access_key_id = "AKIAALICE0000000"
secret_access_key = "alice-secret"
principal = "alice"
[[credentials.scopes]]
bucket = "*"
actions = ["all"]
"#;

/// (client bucket, backend bucket, backend key prefix)
const BUCKETS: &[(&str, &str, &str)] = &[
    ("pre", "store", "tenant/x/"),
    ("flat", "flat", ""),
    ("vpre", "store", "t/"),
    ("mem-pre", "mem-pre", "p/"),
    ("mem", "mem", ""),
];

fn corpus() -> Vec<String> {
    let mut keys: Vec<String> = [
        "plain",
        "dir/",
        "a//b",
        "./..",
        "../x",
        ".",
        "..",
        "ü",
        "emoji 😀/🦀",
        "שלום/עולם",
        "rtl\u{202E}override",
        "a+b=c%d~e#f?g[h]i*j&k$l@m!n'o(p)q,r;s:t",
        " leading",
        "trailing ",
        "double  space",
        "%2F",
        "a%2Fb%20c%2B",
        "/leading-slash",
        "tab\there",
        "\ttab",
        "line\nfeed",
        " ",
        "  \t\n",
        "carriage\rreturn\r\n",
        "<xml>&amp;\"quoted\"",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    for c in "+=%~#?[]*&$@!'(),;:".chars() {
        keys.push(format!("{c}"));
        keys.push(format!("x{c}y/{c}"));
    }
    // 1024 bytes, the longest key S3 accepts, multibyte characters included.
    let long = format!("{}{}", "ü".repeat(400), "k".repeat(224));
    assert_eq!(long.len(), 1024);
    keys.push(long);
    keys
}

fn gateway() -> Gateway {
    let config = from_toml(CONFIG).expect("test config is valid");
    let registry = Arc::new(StaticRegistry::new(&config).expect("registry"));
    Gateway::builder(Settings::from_config(&config), registry.clone(), registry).build()
}

#[derive(Clone, Copy, Debug)]
enum Style {
    Path,
    Virtual,
}

/// The host and raw path of a request for `bucket` and an encoded key path (may be empty).
fn target(style: Style, bucket: &str, encoded_key: &str) -> (String, String) {
    match style {
        Style::Path if encoded_key.is_empty() => ("127.0.0.1:8080".into(), format!("/{bucket}")),
        Style::Path => ("127.0.0.1:8080".into(), format!("/{bucket}/{encoded_key}")),
        Style::Virtual => (format!("{bucket}.s3.test"), format!("/{encoded_key}")),
    }
}

/// A GET signed with alice's key over `signed_path`, then sent with `sent_path`.
fn signed_get(host: &str, signed_path: &str, sent_path: &str, raw_query: &str) -> RequestHead {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(host).unwrap());
    let query = request::parse_query(raw_query).unwrap();
    let creds = SigningCredentials {
        access_key_id: "AKIAALICE0000000",
        secret_access_key: "alice-secret",
        session_token: None,
    };
    sigv4::sign_request(
        "GET",
        signed_path,
        &query,
        &mut headers,
        &["host"],
        "UNSIGNED-PAYLOAD",
        &creds,
        "us-east-1",
        "s3",
        DateTime::from_secs(NOW),
    )
    .unwrap();
    RequestHead {
        method: Method::GET,
        raw_path: sent_path.to_owned(),
        raw_query: raw_query.to_owned(),
        headers,
        client_ip: None,
        now: DateTime::from_secs(NOW),
        request_id: "req-1".into(),
    }
}

fn forward(plan: Plan, what: &str) -> Box<Forward> {
    match plan {
        Plan::Forward(f) => f,
        Plan::Respond(r) => panic!(
            "{what}: expected a forward, got {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ),
        other => panic!("{what}: expected a forward, got {other:?}"),
    }
}

/// `%XX` decoding to bytes; `plus` also turns `+` into a space (form decoding).
fn pct_decode(s: &str, plus: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
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

/// Encodes every byte but unreserved characters (and `/` when `keep_slash`); a space is `+`
/// when `plus_space`, else `%20`.
fn url_encode(s: &str, keep_slash: bool, plus_space: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b'/' if keep_slash => "/".into(),
            b' ' if plus_space => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// XML text as S3 writes it (a carriage return as `&#13;`, which a parser would otherwise
/// turn into a line feed).
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#13;")
}

/// XML text as a parser reads it: line ends normalized, then entities replaced.
fn xml_unescape(s: &str) -> String {
    let normalized = s.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::new();
    let mut rest = normalized.as_str();
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let end = rest[amp..].find(';').unwrap() + amp;
        let entity = &rest[amp + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ if entity.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&entity[2..], 16).unwrap()).unwrap()
            }
            _ if entity.starts_with('#') => char::from_u32(entity[1..].parse().unwrap()).unwrap(),
            _ => panic!("unknown entity {entity}"),
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The texts of every `<name>` element.
fn elements(body: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    body.split(&open)
        .skip(1)
        .map(|s| xml_unescape(s.split(&close).next().unwrap()))
        .collect()
}

/// Decoded query pairs, as bytes.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// The authority, path and decoded query pairs of a backend URL.
fn split_url(url: &str) -> (String, String, Pairs) {
    let rest = url.split_once("://").unwrap().1;
    let slash = rest.find('/').unwrap();
    let (authority, path_query) = rest.split_at(slash);
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k, true), pct_decode(v, true))
        })
        .collect();
    (authority.to_owned(), path.to_owned(), pairs)
}

/// The backend request must verify with the backend's secret.
fn check_backend_signature(f: &Forward, what: &str) {
    let (_, path, _) = split_url(&f.request.url);
    let query = request::parse_query(f.request.url.split_once('?').map_or("", |(_, q)| q)).unwrap();
    let req = AuthRequest {
        method: f.request.method.as_str(),
        raw_path: &path,
        query: &query,
        headers: &f.request.headers,
    };
    let parsed = sigv4::parse(&req)
        .unwrap()
        .expect("the backend request is signed");
    let regions = ["us-east-1".to_owned()];
    let policy = VerifyPolicy {
        now: DateTime::from_secs(NOW),
        regions: &regions,
        service: "s3",
        max_skew_secs: 900,
    };
    sigv4::verify(&req, &parsed, "backend-secret", &policy)
        .unwrap_or_else(|e| panic!("{what}: the backend signature does not verify: {e}"));
}

/// The object key the backend receives, as bytes.
fn backend_key(f: &Forward, backend_bucket: &str, what: &str) -> Vec<u8> {
    match &f.request.kind {
        BackendKind::Embedded { .. } => {
            assert_eq!(
                f.request.s3.bucket.as_deref(),
                Some(backend_bucket),
                "{what}"
            );
            f.request
                .s3
                .key
                .clone()
                .expect("an object key")
                .into_bytes()
        }
        BackendKind::Http => {
            check_backend_signature(f, what);
            let (authority, path, _) = split_url(&f.request.url);
            let encoded = if authority.starts_with(&format!("{backend_bucket}.")) {
                path.strip_prefix('/').unwrap().to_owned()
            } else {
                let bucket_path = format!("/{backend_bucket}/");
                path.strip_prefix(&bucket_path)
                    .unwrap_or_else(|| panic!("{what}: {path} is not in {bucket_path}"))
                    .to_owned()
            };
            pct_decode(&encoded, false)
        }
    }
}

/// The list query the backend receives, decoded.
fn backend_list_param(f: &Forward, name: &str) -> Option<Vec<u8>> {
    match &f.request.kind {
        BackendKind::Embedded { .. } => f
            .request
            .s3
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone().into_bytes()),
        BackendKind::Http => split_url(&f.request.url)
            .2
            .into_iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| v),
    }
}

/// `+ = : @` left unencoded, as some SDKs send them.
fn loosen(encoded: &str) -> String {
    encoded
        .replace("%2B", "+")
        .replace("%3D", "=")
        .replace("%3A", ":")
        .replace("%40", "@")
}

#[test]
fn the_signed_sent_and_listed_keys_are_the_same_bytes() {
    let gw = gateway();
    let keys = corpus();
    let mut checked = 0;
    for key in &keys {
        for &(bucket, backend_bucket, prefix) in BUCKETS {
            let stored = format!("{prefix}{key}");
            for style in [Style::Path, Style::Virtual] {
                let strict = encode_key(key);
                for sent in [strict.clone(), loosen(&strict)] {
                    let what = format!("{bucket} {style:?} {sent}");
                    let (host, signed_path) = target(style, bucket, &strict);
                    let (_, sent_path) = target(style, bucket, &sent);
                    let f = forward(
                        gw.resolve(signed_get(&host, &signed_path, &sent_path, "")),
                        &what,
                    );
                    assert_eq!(f.request.method, Method::GET, "{what}");
                    assert_eq!(
                        backend_key(&f, backend_bucket, &what),
                        stored.as_bytes(),
                        "{what}"
                    );
                    checked += 1;
                }
                check_listing(&gw, style, bucket, prefix, key);
            }
        }
    }
    assert_eq!(checked, keys.len() * BUCKETS.len() * 4);
}

/// How a backend encodes an `encoding-type=url` listing.
#[derive(Clone, Copy, Debug)]
enum Encoding {
    Plain,
    /// As S3 does: form encoding, `/` kept, space as `+`.
    UrlS3,
    /// Stricter encoders: `/` and space escaped too.
    UrlStrict,
}

impl Encoding {
    fn encode(self, s: &str) -> String {
        match self {
            Self::Plain => xml_escape(s),
            Self::UrlS3 => url_encode(s, true, true),
            Self::UrlStrict => url_encode(s, false, false),
        }
    }
}

fn check_listing(gw: &Gateway, style: Style, bucket: &str, prefix: &str, key: &str) {
    for encoding in [Encoding::Plain, Encoding::UrlS3, Encoding::UrlStrict] {
        let url = !matches!(encoding, Encoding::Plain);
        let what = format!("list {bucket} {style:?} {encoding:?} {key:?}");
        let q = encode_component(key);
        let raw_query = if url {
            format!("list-type=2&prefix={q}&start-after={q}&encoding-type=url")
        } else {
            format!("list-type=2&prefix={q}&start-after={q}")
        };
        let (host, path) = target(style, bucket, "");
        let f = forward(
            gw.resolve(signed_get(&host, &path, &path, &raw_query)),
            &what,
        );
        let stored = format!("{prefix}{key}");
        for param in ["prefix", "start-after"] {
            assert_eq!(
                backend_list_param(&f, param).as_deref(),
                Some(stored.as_bytes()),
                "{what}: {param}"
            );
        }
        if f.request.kind == BackendKind::Http {
            check_backend_signature(&f, &what);
        }
        let encoding_type = if url {
            "<EncodingType>url</EncodingType>"
        } else {
            ""
        };
        let e = |s: &str| encoding.encode(s);
        let backend_body = format!(
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Name>backend</Name><Prefix>{}</Prefix><StartAfter>{}</StartAfter>\
             <KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>{encoding_type}<IsTruncated>false</IsTruncated>\
             <Contents><Key>{}</Key><Size>1</Size></Contents></ListBucketResult>",
            e(&stored),
            e(&stored),
            e(&stored),
        );
        let client_body = match f.response {
            ResponseMode::Rewrite { then, .. } => {
                let r = then(StatusCode::OK, HeaderMap::new(), Bytes::from(backend_body));
                assert_eq!(r.status, StatusCode::OK, "{what}");
                String::from_utf8(r.body.to_vec()).unwrap()
            }
            ResponseMode::PassThrough => {
                assert!(prefix.is_empty(), "{what}: a prefixed listing is rewritten");
                backend_body
            }
        };
        // botocore: XML text, then unquote_plus for encoding-type=url.
        let decode = |s: &str| {
            if url {
                pct_decode(s, true)
            } else {
                s.as_bytes().to_vec()
            }
        };
        for element in ["Key", "Prefix", "StartAfter"] {
            let values = elements(&client_body, element);
            assert_eq!(values.len(), 1, "{what}: {element} in {client_body}");
            assert_eq!(
                decode(&values[0]),
                key.as_bytes(),
                "{what}: {element} in {client_body}"
            );
        }
    }
}
