//! Verifying a [`ParsedAuth`] with the secret: scope, time window, signed headers, then the
//! signature recomputed from the canonical request and compared in constant time.

use aws_smithy_types::DateTime;

use super::canonical::{canonical_query, canonical_request, canonical_uri, string_to_sign};
use super::parse::param;
use super::time::date_part;
use super::{
    AuthKind, AuthRequest, CredentialScope, MAX_PRESIGNED_EXPIRES_SECS, ParsedAuth, PayloadMode,
    SigV4Error, SigningKey, derive_signing_key, format_amz_date,
};

/// What the verifier accepts.
#[derive(Clone, Copy, Debug)]
pub struct VerifyPolicy<'a> {
    /// The current time, from the runtime's clock.
    pub now: DateTime,
    /// The scope regions accepted; the first is the one named in a wrong-region error. Empty
    /// accepts none.
    pub regions: &'a [String],
    /// The scope service: `s3` or `sts`.
    pub service: &'a str,
    /// The tolerated clock skew in seconds (S3: 900).
    pub max_skew_secs: u64,
}

/// A request whose signature checked out: what aws-chunked signature chaining needs. Its
/// [`std::fmt::Debug`] shows neither the key nor the signature.
#[derive(Clone)]
pub struct Verified {
    /// The signing key for the scope.
    pub signing_key: SigningKey,
    /// The request signature, lowercase hex: the seed of the chunk signature chain.
    pub seed_signature: String,
    /// The credential scope.
    pub scope: CredentialScope,
    /// The request time (`x-amz-date` / `X-Amz-Date`).
    pub request_time: DateTime,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("scope", &self.scope)
            .field("request_time", &self.request_time)
            .finish_non_exhaustive()
    }
}

/// Checks the scope (date of the request time, an accepted region, the service), the time
/// (±`max_skew_secs` for header auth; for presigned: `X-Amz-Expires` ≤ 604800, not expired at
/// `now`, not dated beyond the skew in the future), that `host` and every `x-amz-*` header
/// present (but `x-amz-content-sha256`) is signed, then recomputes the signature.
pub fn verify(
    req: &AuthRequest<'_>,
    parsed: &ParsedAuth,
    secret_access_key: &str,
    policy: &VerifyPolicy<'_>,
) -> Result<Verified, SigV4Error> {
    let kind = parsed.kind;
    let scope = &parsed.scope;
    if scope.service != policy.service {
        return Err(SigV4Error::WrongService {
            kind,
            service: scope.service.clone(),
            expected: policy.service.to_owned(),
        });
    }
    if !policy.regions.contains(&scope.region) {
        return Err(SigV4Error::WrongRegion {
            kind,
            region: scope.region.clone(),
            expected: policy.regions.first().cloned(),
        });
    }
    let amz_date = format_amz_date(&parsed.request_time)
        .ok_or_else(|| SigV4Error::malformed(kind, "the request time is out of range"))?;
    if date_part(&amz_date) != scope.date {
        return Err(SigV4Error::ScopeDateMismatch { kind });
    }
    check_time(parsed, policy)?;
    check_signed_headers(req, parsed)?;
    if parsed.payload == PayloadMode::Undeclared {
        return Err(SigV4Error::MissingContentSha256);
    }

    let uri = canonical_uri(req.raw_path)?;
    let query = canonical_query(
        req.query
            .iter()
            .filter(|(n, _)| kind == AuthKind::Header || n != param::SIGNATURE)
            .map(|(n, v)| (n.as_str(), v.as_str())),
    );
    let creq = canonical_request(
        req.method,
        &uri,
        &query,
        req.headers,
        &parsed.signed_headers,
        parsed.payload.as_str(),
    )?;
    let to_sign = string_to_sign(&amz_date, &scope.to_string(), &creq);
    let signing_key = derive_signing_key(
        secret_access_key,
        &scope.date,
        &scope.region,
        &scope.service,
    );
    if !signing_key.verify(to_sign.as_bytes(), &parsed.signature) {
        return Err(SigV4Error::SignatureDoesNotMatch);
    }
    Ok(Verified {
        signing_key,
        seed_signature: parsed.signature.clone(),
        scope: scope.clone(),
        request_time: parsed.request_time,
    })
}

/// The time window, in nanoseconds so that the boundaries are exact.
fn check_time(parsed: &ParsedAuth, policy: &VerifyPolicy<'_>) -> Result<(), SigV4Error> {
    const NANOS: i128 = 1_000_000_000;
    let now = policy.now.as_nanos();
    let t = parsed.request_time.as_nanos();
    let skew = i128::from(policy.max_skew_secs) * NANOS;
    match parsed.expires_secs {
        None => {
            if (now - t).abs() > skew {
                return Err(SigV4Error::RequestTimeTooSkewed {
                    request_time: parsed.request_time,
                    server_time: policy.now,
                    max_skew_secs: policy.max_skew_secs,
                });
            }
        }
        Some(expires) => {
            if expires > MAX_PRESIGNED_EXPIRES_SECS {
                return Err(SigV4Error::ExpiresTooLarge);
            }
            if t - now > skew {
                return Err(SigV4Error::RequestNotYetValid {
                    request_time: parsed.request_time,
                    server_time: policy.now,
                });
            }
            if now > t + i128::from(expires) * NANOS {
                return Err(SigV4Error::RequestExpired {
                    request_time: parsed.request_time,
                    expires_secs: expires,
                    server_time: policy.now,
                });
            }
        }
    }
    Ok(())
}

/// `host` must be signed, and so must every `x-amz-*` header present, except
/// `x-amz-content-sha256`, which S3 tolerates unsigned.
fn check_signed_headers(req: &AuthRequest<'_>, parsed: &ParsedAuth) -> Result<(), SigV4Error> {
    let is_signed = |name: &str| parsed.signed_headers.iter().any(|s| s == name);
    if !is_signed("host") {
        return Err(SigV4Error::HostNotSigned { kind: parsed.kind });
    }
    let mut unsigned: Vec<String> = req
        .headers
        .keys()
        .map(|n| n.as_str())
        .filter(|n| n.starts_with("x-amz-") && *n != "x-amz-content-sha256" && !is_signed(n))
        .map(str::to_owned)
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    unsigned.sort_unstable();
    Err(SigV4Error::HeadersNotSigned(unsigned))
}
