//! Authentication: who sent the request. No signature at all is the anonymous caller; a
//! SigV4 header or presigned query is verified against the credential registry (constant-time
//! comparison, scope, time and expiry checks live in `sigv4`).

use crate::authz::Identity;
use crate::error::Error;
use crate::registry::{CredentialRegistry, KeyStatus};
use crate::sigv4::{self, AuthRequest, ParsedAuth, PayloadMode, Verified, VerifyPolicy};

use super::request::RequestHead;

/// The caller, and what its signature says about the body.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub identity: Identity,
    /// The verified signature, for signed requests.
    pub signature: Option<SignedRequest>,
}

/// A verified SigV4 request.
#[derive(Clone, Debug)]
pub struct SignedRequest {
    pub parsed: ParsedAuth,
    pub verified: Verified,
}

impl Authenticated {
    /// How the client declared its payload (`UNSIGNED-PAYLOAD` for anonymous requests, whose
    /// bodies nobody vouches for).
    pub fn payload(&self) -> &PayloadMode {
        const UNSIGNED: &PayloadMode = &PayloadMode::Unsigned;
        self.signature
            .as_ref()
            .map_or(UNSIGNED, |s| &s.parsed.payload)
    }
}

/// Authenticates a request for `service` (`s3`).
pub fn authenticate(
    head: &RequestHead,
    query: &[(String, String)],
    credentials: &dyn CredentialRegistry,
    regions: &[String],
    service: &str,
) -> Result<Authenticated, Error> {
    let req = AuthRequest {
        method: head.method.as_str(),
        raw_path: &head.raw_path,
        query,
        headers: &head.headers,
    };
    let Some(parsed) = sigv4::parse(&req)? else {
        return Ok(Authenticated {
            identity: Identity::Anonymous,
            signature: None,
        });
    };
    let stored = credentials
        .lookup_key(&parsed.access_key_id)
        .ok_or(Error::InvalidAccessKeyId)?;
    let policy = VerifyPolicy {
        now: head.now,
        regions,
        service,
        max_skew_secs: sigv4::DEFAULT_MAX_SKEW_SECS,
    };
    let verified = sigv4::verify(&req, &parsed, stored.secret_access_key.expose(), &policy)?;
    // The key's state is told only to whoever proved they hold its secret.
    match stored.status_at(head.now) {
        KeyStatus::Active => {}
        KeyStatus::Disabled => return Err(Error::DisabledAccessKey),
        KeyStatus::Expired => return Err(Error::ExpiredToken),
    }
    let identity = stored.identity();
    Ok(Authenticated {
        identity,
        signature: Some(SignedRequest { parsed, verified }),
    })
}
