//! `gateway_request`: whole requests through `Gateway::resolve`, the path every client request
//! takes: addressing, the router, SigV4, the HTTP bindings, authorization, the body readers
//! (plain or aws-chunked), the rewrite of backend answers (list results, errors), and STS
//! AssumeRoleWithWebIdentity (form body, web identity token, the identity provider's answers).
//!
//! The input is a request in the text form of [`crate::http_text`]. Its control byte says
//! whether the harness signs it (header auth with the request's own payload mode, or a
//! presigned URL) as one of two principals, so inputs get past authentication; when the plan
//! asks for the body it frames it as the plan says (signing aws-chunked bodies with the
//! request's chain); when a backend answer is to be rewritten it answers 200 with the bytes
//! after the input's backend marker. Beyond "no panic", what must hold for any input:
//!
//! - no request gets a 500: bad input is a 4xx (or a 501/503 the gateway means);
//! - bob (scope `pre`, prefix `home/bob/`) reaches the backend only under
//!   `tenant/x/home/bob/` of the store bucket, or to read the public bucket, and copies only
//!   from there;
//! - an anonymous request reaches a backend only for a read of the public bucket.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use bytes::BytesMut;
use http::{HeaderMap, Method, StatusCode};
use multistore_core::chunked::{
    ChunkEvent, ChunkLimits, ChunkMode, ChunkedDecoder, SignatureChain,
};
use multistore_core::codec::http::OutboundRequest;
use multistore_core::codec::query_form::encode_form;
use multistore_core::codec::scalar::DateTime;
use multistore_core::config::from_toml;
use multistore_core::gateway::{
    BodyDecoding, FetchError, Forward, Gateway, PipeNext, Plan, RequestHead, ResponseMode,
    Settings, request::parse_query,
};
use multistore_core::identity::sts::Sts;
use multistore_core::registry::StaticRegistry;
use multistore_core::sigv4::{self, SigningCredentials};

use crate::http_text::TextRequest;
use sha2::{Digest, Sha256};

const NOW: i64 = 1_700_000_000;
/// Where bob's scope (`pre`, prefix `home/bob/`) lands in the store bucket.
const BOB: &str = "tenant/x/home/bob/";

const CONFIG: &str = r#"
[server]
virtual_host_domains = ["s3.test"]
insecure_issuers = ["http://idp.test"]
sts_path = "/.sts"
[[server.session_keys]]
id = "k1"
secret = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="

[[roles]]
name = "ci"
trusted_issuers = ["http://idp.test"]
audiences = ["sts.amazonaws.com"]
subject = "repo:org/*"
[[roles.scopes]]
bucket = "pre"
prefixes = ["home/{sub}/"]
actions = ["read"]

[[buckets]]
name = "pre"
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.1:9000"
bucket = "store"
prefix = "tenant/x/"
access_key_id = "BACKENDKEY"
secret_access_key = "backend-secret"
[[buckets.cors]]
allowed_origins = ["https://*.example.com"]
allowed_methods = ["GET", "PUT"]
allowed_headers = ["*"]
expose_headers = ["ETag"]
max_age_seconds = 3000

[[buckets]]
name = "vpre"
[buckets.backend]
type = "s3"
endpoint = "http://s3.backend.test:9000"
addressing = "virtual"
bucket = "other"
prefix = "t/"
access_key_id = "BACKENDKEY"
secret_access_key = "backend-secret"

[[buckets]]
name = "pub"
anonymous_read = true
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

[[credentials]]
access_key_id = "AKIABOB000000000"
secret_access_key = "bob-secret"
principal = "bob"
[[credentials.scopes]]
bucket = "pre"
prefixes = ["home/bob/"]
actions = ["all"]
"#;

fn gateway() -> &'static Gateway {
    static GATEWAY: OnceLock<Gateway> = OnceLock::new();
    GATEWAY.get_or_init(|| {
        let config = from_toml(CONFIG).expect("the fuzz config is valid");
        let registry = Arc::new(StaticRegistry::new(&config).expect("registry"));
        let sts = Sts::from_config(&config, registry.clone())
            .expect("STS")
            .expect("roles");
        Gateway::builder(Settings::from_config(&config), registry.clone(), registry)
            .extension(&sts)
            .expect("the STS endpoint")
            .build()
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Alice,
    Bob,
}

/// How the harness signs a request, from the control byte (`'0'`..`'4'` in the seeds).
#[derive(Clone, Copy, Debug)]
enum Auth {
    /// As sent (recorded signatures do not verify: these requests are anonymous or refused).
    AsSent,
    Header(Who),
    Presigned(Who),
}

impl Auth {
    fn from_control(control: u8) -> Self {
        match control.wrapping_sub(b'0') % 5 {
            0 => Self::AsSent,
            1 => Self::Header(Who::Alice),
            2 => Self::Header(Who::Bob),
            3 => Self::Presigned(Who::Alice),
            _ => Self::Presigned(Who::Bob),
        }
    }
}

fn creds(who: Who) -> SigningCredentials<'static> {
    match who {
        Who::Alice => SigningCredentials {
            access_key_id: "AKIAALICE0000000",
            secret_access_key: "alice-secret",
            session_token: None,
        },
        Who::Bob => SigningCredentials {
            access_key_id: "AKIABOB000000000",
            secret_access_key: "bob-secret",
            session_token: None,
        },
    }
}

/// The payload hash to sign: the request's `x-amz-content-sha256` with a hex digest replaced
/// by the body's real one, `UNSIGNED-PAYLOAD` when it has none.
fn payload_hash(headers: &http::HeaderMap, body: &[u8]) -> String {
    match headers.get("x-amz-content-sha256").map(|v| v.to_str()) {
        None => "UNSIGNED-PAYLOAD".into(),
        Some(Ok(v)) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            hex::encode(Sha256::digest(body))
        }
        Some(Ok(v)) => v.to_owned(),
        Some(Err(_)) => "UNSIGNED-PAYLOAD".into(),
    }
}

/// Runs the target.
pub fn run(data: &[u8]) {
    let Some(request) = crate::http_text::parse(data) else {
        return;
    };
    let TextRequest {
        control,
        method,
        raw_path,
        mut raw_query,
        mut headers,
        body,
        backend_body,
    } = request;
    let now = DateTime::from_secs(NOW);
    let who = match Auth::from_control(control) {
        Auth::AsSent => None,
        Auth::Header(who) => {
            let Ok(query) = parse_query(&raw_query) else {
                return;
            };
            let hash = payload_hash(&headers, body);
            let signed = sigv4::sign_request(
                method.as_str(),
                &raw_path,
                &query,
                &mut headers,
                &["content-type", "content-md5", "range"],
                &hash,
                &creds(who),
                "us-east-1",
                "s3",
                now,
            );
            // What the signer refuses goes out unsigned (it is then anonymous or refused).
            signed.ok().map(|()| who)
        }
        Auth::Presigned(who) => {
            let Ok(query) = parse_query(&raw_query) else {
                return;
            };
            headers.remove(http::header::AUTHORIZATION);
            let pairs = sigv4::presign(
                method.as_str(),
                &raw_path,
                &query,
                &headers,
                &creds(who),
                "us-east-1",
                "s3",
                DateTime::from_secs(NOW - 10),
                300,
            );
            match pairs {
                Ok(pairs) => {
                    let auth = encode_form(&pairs);
                    raw_query = if raw_query.is_empty() {
                        auth
                    } else {
                        format!("{raw_query}&{auth}")
                    };
                    Some(who)
                }
                Err(_) => None,
            }
        }
    };
    // Recorded auth that the harness did not replace cannot verify: the request is treated
    // as what it then is, anonymous or refused, and checked as anonymous.
    let head = RequestHead {
        method,
        raw_path,
        raw_query,
        headers,
        client_ip: None,
        now,
        request_id: "fuzz-1".into(),
    };
    let plan = gateway().resolve(head);
    drive(plan, body, backend_body.unwrap_or_default(), who, 0);
}

/// Executes a plan the way a runtime would, checking each step.
fn drive(plan: Plan, body: &[u8], backend: &[u8], who: Option<Who>, depth: u8) {
    assert!(depth < 8, "a plan chain that does not end");
    match plan {
        Plan::Respond(response) => {
            assert_ne!(
                response.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "a request got a 500: {}",
                String::from_utf8_lossy(&response.body)
            );
        }
        Plan::NeedsBody(needs) => {
            let decoded = match &needs.decode {
                BodyDecoding::Plain => Bytes::copy_from_slice(body),
                BodyDecoding::Chunked {
                    mode,
                    limits,
                    expected_length,
                } => {
                    let Some(framed) = frame(mode, body) else {
                        return;
                    };
                    let Some(decoded) = decode(mode, *limits, *expected_length, framed) else {
                        return;
                    };
                    assert_eq!(decoded, body, "a framed body decoded to other bytes");
                    decoded
                }
            };
            if decoded.len() as u64 > needs.limit {
                return;
            }
            drive((needs.then)(decoded), body, backend, who, depth + 1);
        }
        Plan::Forward(forward) => {
            check_forward(&forward, who);
            let _ = forward.client_head(StatusCode::OK, &HeaderMap::new());
            if let ResponseMode::Rewrite { then, .. } = forward.response {
                let response = then(
                    StatusCode::OK,
                    HeaderMap::new(),
                    Bytes::copy_from_slice(backend),
                );
                // A 500 passes through only as the backend's own error document (S3 answers
                // some failures with a 200 holding an `<Error>`).
                let passed_on = backend.windows(6).any(|w| w == b"<Error");
                assert!(
                    response.status != StatusCode::INTERNAL_SERVER_ERROR || passed_on,
                    "a backend answer became a 500: {}",
                    String::from_utf8_lossy(&response.body)
                );
            }
        }
        Plan::Pipe(pipe) => {
            check_source(&pipe.source.s3, who);
            if let PipeNext::Write(forward) = (pipe.then)(StatusCode::OK, &HeaderMap::new()) {
                check_forward(&forward, who);
            }
        }
        Plan::Fetch(fetch) => {
            // The identity provider's documents (discovery, JWKS) are the backend's answer.
            let answer = if backend.is_empty() {
                Err(FetchError::Unavailable("fuzz".into()))
            } else {
                Ok((
                    StatusCode::OK,
                    HeaderMap::new(),
                    Bytes::copy_from_slice(backend),
                ))
            };
            let next = (fetch.then)(answer);
            drive(next, body, backend, who, depth + 1);
        }
    }
}

/// The scope rules for the source of a copy: bob reads only under his prefix or the public
/// bucket, anonymous callers copy nothing (a copy is a write).
fn check_source(source: &OutboundRequest, who: Option<Who>) {
    let (bucket, key) = (
        source.bucket.as_deref(),
        source.key.as_deref().unwrap_or(""),
    );
    match who {
        Some(Who::Bob) => assert!(
            bucket == Some("pub") || (bucket == Some("store") && key.starts_with(BOB)),
            "bob copied from {bucket:?} {key:?}"
        ),
        None => panic!("an anonymous copy reached a backend: {bucket:?} {key:?}"),
        Some(Who::Alice) => {}
    }
}

/// The scope rules, seen from what reaches a backend.
fn check_forward(forward: &Forward, who: Option<Who>) {
    let s3 = &forward.request.s3;
    if let Some(source) = s3.headers.get("x-amz-copy-source") {
        let source = source.to_str().expect("we write ASCII copy sources");
        if who == Some(Who::Bob) {
            assert!(
                source.starts_with(&format!("/store/{BOB}")) || source.starts_with("/pub/"),
                "bob copied from {source:?}"
            );
        }
    }
    match who {
        Some(Who::Bob) if s3.bucket.as_deref() == Some("pub") => {
            assert!(
                matches!(forward.request.method, Method::GET | Method::HEAD),
                "bob {} reached the public bucket, which he may only read",
                forward.request.method
            );
        }
        Some(Who::Bob) => {
            assert_eq!(
                s3.bucket.as_deref(),
                Some("store"),
                "bob reached another bucket"
            );
            if let Some(key) = &s3.key {
                assert!(
                    key.starts_with(BOB),
                    "bob reached {key:?} outside his prefix"
                );
            }
        }
        None => {
            assert_eq!(
                s3.bucket.as_deref(),
                Some("pub"),
                "anonymous reached a private bucket"
            );
            assert!(
                matches!(forward.request.method, Method::GET | Method::HEAD),
                "anonymous {} reached a backend",
                forward.request.method
            );
        }
        Some(Who::Alice) => {}
    }
}

/// The decoded body, as a runtime reads it; `None` when the decoder refuses it (a declared
/// length that does not match, a chunk over the limits).
fn decode(
    mode: &ChunkMode,
    limits: ChunkLimits,
    expected_length: Option<u64>,
    framed: Bytes,
) -> Option<Bytes> {
    let mut decoder =
        ChunkedDecoder::new(mode.clone(), limits).with_expected_length(expected_length);
    let mut buf = BytesMut::from(&framed[..]);
    let mut out = Vec::new();
    while let Some(event) = decoder.decode(&mut buf).ok()? {
        match event {
            ChunkEvent::Data(data) => out.extend_from_slice(&data),
            ChunkEvent::Trailers(_) => {}
            ChunkEvent::End => break,
        }
    }
    decoder.finish().ok()?;
    Some(Bytes::from(out))
}

/// `body` framed as aws-chunked in `mode` (one chunk, then the final chunk), signed with the
/// request's own chain when the mode is signed.
fn frame(mode: &ChunkMode, body: &[u8]) -> Option<Bytes> {
    let mut chain = match mode {
        ChunkMode::Unsigned => None,
        ChunkMode::Signed {
            signing_key,
            seed_signature,
            scope,
            request_time,
        }
        | ChunkMode::SignedWithTrailer {
            signing_key,
            seed_signature,
            scope,
            request_time,
        } => Some(SignatureChain::new(
            signing_key.clone(),
            seed_signature,
            scope,
            request_time,
        )?),
    };
    let mut out = Vec::new();
    let chunks: &[&[u8]] = if body.is_empty() {
        &[b""]
    } else {
        &[body, b""]
    };
    for data in chunks {
        out.extend_from_slice(format!("{:x}", data.len()).as_bytes());
        if let Some(chain) = &mut chain {
            out.extend_from_slice(b";chunk-signature=");
            out.extend_from_slice(chain.sign_chunk(data).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        if !data.is_empty() {
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
    }
    if let (ChunkMode::SignedWithTrailer { .. }, Some(chain)) = (mode, &mut chain) {
        out.extend_from_slice(b"x-amz-trailer-signature:");
        out.extend_from_slice(chain.sign_trailer(&[]).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Some(Bytes::from(out))
}
