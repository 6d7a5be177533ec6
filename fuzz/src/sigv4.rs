//! `sigv4_auth`: the Authorization header and presigned query parsers, the canonical request
//! built by the verifier, and the signers.
//!
//! - `parse` and `verify` of any request return a result, never panic (the verifier is run at
//!   the parsed request time, so inputs reach the canonical request and the signature check);
//! - a request our signer (`sign_request` or `presign`) accepts verifies with our verifier,
//!   and the same request with another method does not.

use multistore_core::codec::scalar::DateTime;
use multistore_core::gateway::request::parse_query;
use multistore_core::sigv4::{
    self, AuthRequest, ParsedAuth, SigningCredentials, Verified, VerifyPolicy,
};

const SECRET: &str = "fuzz-secret";
const CREDS: SigningCredentials<'static> = SigningCredentials {
    access_key_id: "AKIAFUZZ",
    secret_access_key: SECRET,
    session_token: None,
};
/// The lowest request time tried (2023-11-14T22:13:20Z); the input adds to it.
const EPOCH: i64 = 1_700_000_000;

/// What the harness does with the request, from the control byte (`'0'`..`'2'` in the
/// seeds).
enum Signing {
    /// Verify the request as it is (its own Authorization header or presigned query).
    AsIs,
    /// Sign it with `sign_request`, with its own `x-amz-content-sha256` as the payload hash.
    Header,
    /// Presign it for 300 seconds.
    Presign,
}

/// Runs the target on a request in the text form of [`crate::http_text`]. The signers sign
/// for the region named by the request's `x-fuzz-region` header (`us-east-1` without one),
/// at a time `x-fuzz-offset` seconds after [`EPOCH`].
pub fn run(data: &[u8]) {
    let Some(request) = crate::http_text::parse(data) else {
        return;
    };
    let signing = match request.control.wrapping_sub(b'0') % 3 {
        0 => Signing::AsIs,
        1 => Signing::Header,
        _ => Signing::Presign,
    };
    let mut headers = request.headers;
    let region = headers
        .remove("x-fuzz-region")
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let offset: i64 = headers
        .remove("x-fuzz-offset")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let now = DateTime::from_secs(EPOCH.saturating_add(offset.rem_euclid(1 << 40)));
    let method = request.method.as_str();
    let raw_path = request.raw_path.as_str();
    let Ok(mut query) = parse_query(&request.raw_query) else {
        return;
    };
    match signing {
        Signing::AsIs => {
            let req = AuthRequest {
                method,
                raw_path,
                query: &query,
                headers: &headers,
            };
            if let Ok(Some(parsed)) = sigv4::parse(&req) {
                let _ = verify_at_request_time(&req, &parsed);
            }
        }
        Signing::Header => {
            let payload_hash = headers
                .get("x-amz-content-sha256")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("UNSIGNED-PAYLOAD")
                .to_owned();
            let signed = sigv4::sign_request(
                method,
                raw_path,
                &query,
                &mut headers,
                &["content-type", "content-md5", "range"],
                &payload_hash,
                &CREDS,
                &region,
                "s3",
                now,
            );
            if signed.is_ok() && !carries_query_auth(&query) {
                check_signed(method, raw_path, &query, &headers, &region, now);
            }
        }
        Signing::Presign => {
            let pairs = sigv4::presign(
                method, raw_path, &query, &headers, &CREDS, &region, "s3", now, 300,
            );
            if let Ok(pairs) = pairs
                && !carries_query_auth(&query)
                && !headers.contains_key(http::header::AUTHORIZATION)
            {
                query.extend(pairs);
                check_signed(method, raw_path, &query, &headers, &region, now);
            }
        }
    }
}

/// Whether the query already holds auth parameters (SigV2 or SigV4), which make a signed
/// request ambiguous: the parser refuses those on purpose.
fn carries_query_auth(query: &[(String, String)]) -> bool {
    query
        .iter()
        .any(|(name, _)| name.starts_with("X-Amz-") || name == "AWSAccessKeyId")
}

fn verify_at_request_time(
    req: &AuthRequest<'_>,
    parsed: &ParsedAuth,
) -> Result<Verified, sigv4::SigV4Error> {
    let regions = [parsed.scope.region.clone()];
    let policy = VerifyPolicy {
        now: parsed.request_time,
        regions: &regions,
        service: &parsed.scope.service,
        max_skew_secs: 900,
    };
    sigv4::verify(req, parsed, SECRET, &policy)
}

/// What our signer signed, our verifier accepts; the same request under another method fails.
fn check_signed(
    method: &str,
    raw_path: &str,
    query: &[(String, String)],
    headers: &http::HeaderMap,
    region: &str,
    now: DateTime,
) {
    let req = AuthRequest {
        method,
        raw_path,
        query,
        headers,
    };
    let parsed = match sigv4::parse(&req) {
        Ok(Some(parsed)) => parsed,
        other => panic!("a request we signed does not parse: {other:?}"),
    };
    assert_eq!(parsed.scope.region, region);
    assert_eq!(parsed.request_time, now);
    if let Err(error) = verify_at_request_time(&req, &parsed) {
        panic!("a request we signed does not verify: {error:?}");
    }
    let other = format!("{method}X");
    let tampered = AuthRequest {
        method: &other,
        ..req
    };
    assert!(
        verify_at_request_time(&tampered, &parsed).is_err(),
        "a request verifies under another method"
    );
}
