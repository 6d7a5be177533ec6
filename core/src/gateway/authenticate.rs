//! Authentication: who sent the request. No signature at all is the anonymous caller; a
//! SigV4 header or presigned query is verified against the credential registry (constant-time
//! comparison, scope, time and expiry checks live in `sigv4`).
//!
//! An access key id that is not a static key, presented with a session token
//! (`x-amz-security-token` / `X-Amz-Security-Token`), is a temporary key from STS: the token is
//! opened with the session key ring (it must be bound to that very access key id), the
//! signature is verified with the secret sealed inside, and then, and only then, its expiry is
//! told (`ExpiredToken`). A token that does not open is `InvalidToken`.

use crate::authz::Identity;
use crate::error::Error;
use crate::identity::session::SessionKeyRing;
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

/// The signature a request carries, parsed but not verified (`None`: anonymous).
pub fn parse_signature(
    head: &RequestHead,
    query: &[(String, String)],
) -> Result<Option<ParsedAuth>, Error> {
    let req = AuthRequest {
        method: head.method.as_str(),
        raw_path: &head.raw_path,
        query,
        headers: &head.headers,
    };
    Ok(sigv4::parse(&req)?)
}

/// Authenticates a request for `service` (`s3`), given its [`parse_signature`].
pub fn authenticate(
    head: &RequestHead,
    query: &[(String, String)],
    parsed: Option<ParsedAuth>,
    credentials: &dyn CredentialRegistry,
    sessions: Option<&SessionKeyRing>,
    regions: &[String],
    service: &str,
) -> Result<Authenticated, Error> {
    let req = AuthRequest {
        method: head.method.as_str(),
        raw_path: &head.raw_path,
        query,
        headers: &head.headers,
    };
    let Some(parsed) = parsed else {
        return Ok(Authenticated {
            identity: Identity::Anonymous,
            signature: None,
        });
    };
    let policy = VerifyPolicy {
        now: head.now,
        regions,
        service,
        max_skew_secs: sigv4::DEFAULT_MAX_SKEW_SECS,
    };
    let Some(stored) = credentials.lookup_key(&parsed.access_key_id) else {
        let (Some(token), Some(sessions)) = (parsed.security_token.as_deref(), sessions) else {
            return Err(Error::InvalidAccessKeyId);
        };
        let session = sessions
            .open(token, &parsed.access_key_id)
            .map_err(|_| Error::InvalidToken)?;
        let verified = sigv4::verify(&req, &parsed, &session.secret_access_key, &policy)?;
        if head.now.secs() >= session.exp {
            return Err(Error::ExpiredToken);
        }
        return Ok(Authenticated {
            identity: session.identity(),
            signature: Some(SignedRequest { parsed, verified }),
        });
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
