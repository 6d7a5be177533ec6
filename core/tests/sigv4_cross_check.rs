//! Cross-check against an independent SigV4 implementation, aws-sigv4 (the signer of
//! aws-sdk-rust), configured as the S3 client configures it: single percent-encoding, no path
//! normalization, `x-amz-content-sha256` sent.
//!
//! A proptest generates requests (methods, keys from a nasty corpus, query parameters,
//! headers with repeated values and runs of spaces, unsigned or literal payload hashes,
//! session tokens, header or presigned auth), signs them with aws-sigv4 and checks that
//! 1. our `parse` + `verify` accept them;
//! 2. changing one byte of the method, the path, a signed header value, a query value, the
//!    payload hash, the date or the signature makes `verify` refuse them;
//! 3. our `sign_request` / `presign` produce the same signature as aws-sigv4.

use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_types::DateTime;
use http::{HeaderMap, HeaderName, HeaderValue};
use multistore_core::codec::path::{encode_component, encode_key};
use multistore_core::sigv4::{
    self, AuthKind, AuthRequest, ParsedAuth, PayloadMode, SigV4Error, SigningCredentials,
    VerifyPolicy,
};
use proptest::prelude::*;
use proptest::sample::Index;
use sha2::Digest as _;

const ACCESS_KEY: &str = "AKIDCROSSCHECK";
const SECRET: &str = "cross/check+secret=KEY";

/// One generated request, before signing.
#[derive(Clone, Debug)]
struct Case {
    method: &'static str,
    host: String,
    /// Percent-encoded, as an SDK sends it.
    path: String,
    /// Decoded pairs.
    query: Vec<(String, String)>,
    /// Lowercase names; a name may repeat.
    headers: Vec<(String, String)>,
    /// `None`: UNSIGNED-PAYLOAD.
    payload_hash: Option<String>,
    presigned: bool,
    token: Option<String>,
    region: &'static str,
    time: i64,
    expires: u64,
}

/// The request as it reaches the verifier, after signing.
#[derive(Clone, Debug)]
struct Sent {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
}

impl Sent {
    fn check(&self, case: &Case) -> Result<(ParsedAuth, sigv4::Verified), SigV4Error> {
        let req = AuthRequest {
            method: &self.method,
            raw_path: &self.path,
            query: &self.query,
            headers: &self.headers,
        };
        let parsed = sigv4::parse(&req)?.ok_or(SigV4Error::SignatureDoesNotMatch)?;
        let regions = [case.region.to_owned()];
        let policy = VerifyPolicy {
            now: DateTime::from_secs(case.time + 1),
            regions: &regions,
            service: "s3",
            max_skew_secs: 900,
        };
        let verified = sigv4::verify(&req, &parsed, SECRET, &policy)?;
        Ok((parsed, verified))
    }
}

const KEY_FRAGMENTS: &[&str] = &[
    "a", "Z", "0", "-", "_", "~", ".", "..", "./..", "/", "//", "+", "=", "%", "%2F", "%20", "#",
    "?", "[", "]", "*", " ", "  ", "!", "$", "&", "'", "(", ")", ",", ";", ":", "@", "ü", "✓",
    "😀", "日本", "\u{7f}", "\t",
];
const QUERY_NAMES: &[&str] = &[
    "prefix",
    "delimiter",
    "max-keys",
    "list-type",
    "continuation-token",
    "versionId",
    "uploads",
    "acl",
    "x-id",
    "a b",
    "ü+=&",
];
const HEADER_NAMES: &[&str] = &[
    "x-amz-meta-a",
    "x-amz-meta-b",
    "x-amz-storage-class",
    "x-amz-acl",
    "x-amz-tagging",
    "content-type",
    "content-md5",
    "range",
    "if-match",
];

fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(KEY_FRAGMENTS), 0..max).prop_map(|v| v.concat())
}

const VALUE_FRAGMENTS: &[&str] = &[
    "a", "Z", "0", " ", "  ", "   ", ",", ";", "=", "\"", "/", "*",
];

/// Printable ASCII, often with leading, trailing and inner runs of spaces.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,12}",
        prop::collection::vec(prop::sample::select(VALUE_FRAGMENTS), 0..8).prop_map(|v| v.concat()),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let request = (
        prop::sample::select(&["GET", "PUT", "POST", "DELETE", "HEAD"][..]),
        prop::sample::select(&["bucket.s3.amazonaws.com", "localhost:9000", "s3.example"][..]),
        "[a-z0-9][a-z0-9.-]{1,10}[a-z0-9]",
        nasty_string(8).prop_filter("a key", |k| !k.is_empty()),
        any::<bool>(),
        prop::collection::vec(
            (
                prop_oneof![
                    prop::sample::select(QUERY_NAMES).prop_map(String::from),
                    nasty_string(3)
                ]
                .prop_filter("a name", |n| !n.is_empty()),
                nasty_string(4),
            ),
            0..4,
        ),
    );
    let auth = (
        prop::collection::vec((prop::sample::select(HEADER_NAMES), header_value()), 0..5),
        prop::option::of(any::<[u8; 32]>()),
        any::<bool>(),
        prop::option::of("[A-Za-z0-9/+=]{1,40}"),
        prop::sample::select(&["us-east-1", "eu-west-1", "auto"][..]),
        946_684_800i64..4_102_444_800,
        1u64..=604_800,
    );
    (request, auth).prop_map(
        |(
            (method, host, bucket, key, virtual_hosted, query),
            (headers, hash, presigned, token, region, time, expires),
        )| {
            let path = if virtual_hosted {
                format!("/{}", encode_key(&key))
            } else {
                format!("/{bucket}/{}", encode_key(&key))
            };
            Case {
                method,
                host: host.to_owned(),
                path,
                query,
                headers: headers
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect(),
                payload_hash: hash.map(hex::encode),
                presigned,
                token,
                region,
                time,
                expires,
            }
        },
    )
}

fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{}={}", encode_component(n), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn base_headers(case: &Case) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert("host", HeaderValue::from_str(&case.host).unwrap());
    for (n, v) in &case.headers {
        map.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

/// Signs `case` with aws-sigv4 and returns what the verifier receives.
fn sign_with_aws_sigv4(case: &Case) -> Sent {
    let identity = Credentials::new(ACCESS_KEY, SECRET, case.token.clone(), None, "test").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let mut query = case.query.clone();
    if case.presigned {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(case.expires));
        if let Some(hash) = &case.payload_hash {
            query.push(("X-Amz-Content-Sha256".into(), hash.clone()));
        }
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(case.region)
        .name("s3")
        .time(UNIX_EPOCH + Duration::from_secs(case.time as u64))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let qs = query_string(&query);
    let uri = if qs.is_empty() {
        format!("https://{}{}", case.host, case.path)
    } else {
        format!("https://{}{}?{qs}", case.host, case.path)
    };
    let body = match &case.payload_hash {
        Some(hash) => SignableBody::Precomputed(hash.clone()),
        None => SignableBody::UnsignedPayload,
    };
    let headers = base_headers(case);
    let signable = SignableRequest::new(
        case.method,
        uri,
        headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap())),
        body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (new_headers, new_params) = instructions.into_parts();
    let mut headers = headers;
    for h in new_headers {
        headers.insert(h.name(), HeaderValue::from_str(h.value()).unwrap());
    }
    query.extend(
        new_params
            .into_iter()
            .map(|(n, v): (&str, Cow<'static, str>)| (n.to_owned(), v.into_owned())),
    );
    Sent {
        method: case.method.to_owned(),
        path: case.path.clone(),
        query,
        headers,
    }
}

/// One single-byte change to a signed part of the request.
#[derive(Clone, Debug)]
enum Mutation {
    Method,
    Path(Index),
    HeaderValue(Index, Index),
    QueryValue(Index, Index),
    PayloadHash,
    Date,
    Signature(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Method),
        any::<Index>().prop_map(Mutation::Path),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::HeaderValue(a, b)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::QueryValue(a, b)),
        Just(Mutation::PayloadHash),
        Just(Mutation::Date),
        any::<Index>().prop_map(Mutation::Signature),
    ]
}

/// A byte that differs from `b` and changes any canonical form it lands in.
fn other(b: char) -> char {
    if b == 'q' { 'z' } else { 'q' }
}

fn replace_char(s: &str, at: &Index) -> String {
    if s.is_empty() {
        return "q".into();
    }
    let chars: Vec<char> = s.chars().collect();
    let i = at.index(chars.len());
    chars
        .iter()
        .enumerate()
        .map(|(j, c)| if j == i { other(*c) } else { *c })
        .collect()
}

/// The other lowercase hex digit at one position of a hex string.
fn flip_hex(s: &str, at: usize) -> String {
    s.char_indices()
        .map(|(j, c)| match (j == at, c) {
            (true, '0') => '1',
            (true, _) => '0',
            (false, c) => c,
        })
        .collect()
}

fn plus_one_second(amz_date: &str) -> String {
    let t = sigv4::parse_amz_date(amz_date).unwrap();
    sigv4::format_amz_date(&DateTime::from_secs(t.secs() + 1)).unwrap()
}

fn apply(sent: &Sent, parsed: &ParsedAuth, m: &Mutation) -> Sent {
    let mut s = sent.clone();
    let header_auth = parsed.kind == AuthKind::Header;
    match m {
        Mutation::Method => {
            let first = s.method.remove(0);
            s.method.insert(0, other(first));
        }
        Mutation::Path(at) => {
            // One byte after the leading '/'; the path is ASCII.
            let i = 1 + at.index(s.path.len() - 1);
            let b = char::from(s.path.as_bytes()[i]);
            s.path.replace_range(i..=i, &other(b).to_string());
        }
        Mutation::HeaderValue(which, at) => {
            let name = &parsed.signed_headers[which.index(parsed.signed_headers.len())];
            let first = s
                .headers
                .get(name.as_str())
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let mut values: Vec<HeaderValue> =
                s.headers.get_all(name.as_str()).iter().cloned().collect();
            values[0] = HeaderValue::from_str(&replace_char(&first, at)).unwrap();
            s.headers.remove(name.as_str());
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            for v in values {
                s.headers.append(name.clone(), v);
            }
        }
        Mutation::QueryValue(which, at) => {
            let candidates: Vec<usize> = (0..s.query.len())
                .filter(|&i| s.query[i].0 != "X-Amz-Signature")
                .collect();
            if candidates.is_empty() {
                s.query.push(("x".into(), "y".into()));
            } else {
                let i = candidates[which.index(candidates.len())];
                s.query[i].1 = replace_char(&s.query[i].1, at);
            }
        }
        Mutation::PayloadHash => {
            if header_auth {
                let v = s.headers["x-amz-content-sha256"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let new = if v == PayloadMode::UNSIGNED {
                    sigv4::EMPTY_SHA256.to_owned()
                } else {
                    flip_hex(&v, 7)
                };
                s.headers
                    .insert("x-amz-content-sha256", HeaderValue::from_str(&new).unwrap());
            } else if let Some(p) = s
                .query
                .iter_mut()
                .find(|(n, _)| n == "X-Amz-Content-Sha256")
            {
                p.1 = flip_hex(&p.1, 7);
            } else {
                s.query
                    .push(("X-Amz-Content-Sha256".into(), sigv4::EMPTY_SHA256.into()));
            }
        }
        Mutation::Date => {
            if header_auth {
                let v = plus_one_second(s.headers["x-amz-date"].to_str().unwrap());
                s.headers
                    .insert("x-amz-date", HeaderValue::from_str(&v).unwrap());
            } else {
                let p = s.query.iter_mut().find(|(n, _)| n == "X-Amz-Date").unwrap();
                p.1 = plus_one_second(&p.1);
            }
        }
        Mutation::Signature(at) => {
            let i = at.index(64);
            if header_auth {
                let auth = s.headers["authorization"].to_str().unwrap().to_owned();
                let start = auth.find("Signature=").unwrap() + "Signature=".len();
                let new = format!("{}{}", &auth[..start], flip_hex(&auth[start..], i));
                s.headers
                    .insert("authorization", HeaderValue::from_str(&new).unwrap());
            } else {
                let p = s
                    .query
                    .iter_mut()
                    .find(|(n, _)| n == "X-Amz-Signature")
                    .unwrap();
                p.1 = flip_hex(&p.1, i);
            }
        }
    }
    s
}

fn our_creds(case: &Case) -> SigningCredentials<'_> {
    SigningCredentials {
        access_key_id: ACCESS_KEY,
        secret_access_key: SECRET,
        session_token: case.token.as_deref(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn aws_sigv4_requests_verify_and_any_change_is_refused(case in case(), m in mutation()) {
        let sent = sign_with_aws_sigv4(&case);
        let (parsed, verified) = sent.check(&case).map_err(|e| {
            TestCaseError::fail(format!("aws-sigv4 request refused: {e:?}\n{sent:#?}"))
        })?;
        prop_assert_eq!(parsed.kind == AuthKind::Presigned, case.presigned);
        prop_assert_eq!(verified.scope.region.as_str(), case.region);
        let mutated = apply(&sent, &parsed, &m);
        prop_assert!(mutated.check(&case).is_err(), "accepted after {:?}:\n{:#?}", m, mutated);
    }

    #[test]
    fn our_signer_agrees_with_aws_sigv4(case in case()) {
        let sent = sign_with_aws_sigv4(&case);
        let now = DateTime::from_secs(case.time);
        if !case.presigned {
            let mut ours = base_headers(&case);
            let names: Vec<&str> = case.headers.iter().map(|(n, _)| n.as_str()).collect();
            let hash = case.payload_hash.as_deref().unwrap_or(PayloadMode::UNSIGNED);
            sigv4::sign_request(
                case.method, &case.path, &case.query, &mut ours, &names, hash,
                &our_creds(&case), case.region, "s3", now,
            ).unwrap();
            prop_assert_eq!(&ours["authorization"], &sent.headers["authorization"]);
            let ours = Sent { headers: ours, ..sent.clone() };
            prop_assert!(ours.check(&case).is_ok());
        } else if case.payload_hash.is_none() {
            let mut pairs = sigv4::presign(
                case.method, &case.path, &case.query, &base_headers(&case),
                &our_creds(&case), case.region, "s3", now, case.expires,
            ).unwrap();
            let mut theirs: Vec<_> = sent.query[case.query.len()..].to_vec();
            pairs.sort();
            theirs.sort();
            prop_assert_eq!(&pairs, &theirs);
            let mut query = case.query.clone();
            query.extend(pairs);
            let ours = Sent { query, ..sent.clone() };
            prop_assert!(ours.check(&case).is_ok());
        }
    }
}

/// STS as aws-sdk-rust signs it: awsQuery POST, no `x-amz-content-sha256`, the body hashed
/// into the canonical request. Verifies once the caller supplies the body's hash.
#[test]
fn sts_post_without_payload_header() {
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let time = 1_700_000_000;
    let identity = Credentials::new(ACCESS_KEY, SECRET, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(UNIX_EPOCH + Duration::from_secs(time as u64))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("sts.example.com"));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let signable = SignableRequest::new(
        "POST",
        "https://sts.example.com/",
        headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (n, v) in instructions.headers() {
        headers.insert(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    assert!(!headers.contains_key("x-amz-content-sha256"));
    let req = AuthRequest {
        method: "POST",
        raw_path: "/",
        query: &[],
        headers: &headers,
    };
    let mut parsed = sigv4::parse(&req).unwrap().unwrap();
    assert_eq!(parsed.payload, PayloadMode::Undeclared);
    let regions = ["us-east-1".to_owned()];
    let policy = VerifyPolicy {
        now: DateTime::from_secs(time),
        regions: &regions,
        service: "sts",
        max_skew_secs: 900,
    };
    assert_eq!(
        sigv4::verify(&req, &parsed, SECRET, &policy).unwrap_err(),
        SigV4Error::MissingContentSha256
    );
    let mut wrong = parsed.clone();
    wrong.set_body_sha256(&sha2::Sha256::digest(b"Action=Other").into());
    assert_eq!(
        sigv4::verify(&req, &wrong, SECRET, &policy).unwrap_err(),
        SigV4Error::SignatureDoesNotMatch
    );
    parsed.set_body_sha256(&sha2::Sha256::digest(body).into());
    sigv4::verify(&req, &parsed, SECRET, &policy).unwrap();
}
