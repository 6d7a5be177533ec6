//! `AssumeRoleWithWebIdentity`, step by step:
//!
//! ```text
//! parameters ─▶ role (RoleArn or bare name) ─▶ peek the JWT (alg, kid, iss; iss ∈ role's issuers)
//!            ─▶ issuer keys: cached, or Fetch discovery + JWKS (refresh on an unknown kid,
//!               rate-limited) ─▶ verify the signature ─▶ check the claims at the request time
//!            ─▶ expand the role's scopes (a scope whose claims are missing is dropped)
//!            ─▶ clamp the duration ─▶ mint: a fresh key id and secret, sealed into the token
//! ```

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use jsonwebtoken::jwk::JwkSet;
use sha2::{Digest as _, Sha256};

use crate::codec::http::BindingError;
use crate::codec::query_value::QueryParams;
use crate::codec::scalar::DateTime;
use crate::config::{MIN_SESSION_SECS, RoleConfig};
use crate::gateway::plan::{Plan, Response};
use crate::sts::{
    AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse, AssumedRoleUser,
    Credentials,
};

use super::super::claims::{self, string_claim};
use super::super::jwks::{Lookup, fetch_keys};
use super::super::jwt::{self, Peeked};
use super::super::random;
use super::super::session::Session;
use super::StsInner;
use super::error::{StsFailure, sts_headers};

/// The account id in the ARNs the gateway writes.
pub const ACCOUNT_ID: &str = "000000000000";
/// The default session length when the caller names none.
const DEFAULT_DURATION: i64 = 3600;

/// The role name of a `RoleArn`: `arn:<partition>:iam::<account>:role/[path/]<name>`, or a
/// bare name.
pub fn role_name(arn: &str) -> Option<&str> {
    let Some(rest) = arn.strip_prefix("arn:") else {
        let bare = !arn.is_empty() && !arn.contains([':', '/']);
        return bare.then_some(arn);
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    match parts.as_slice() {
        [_, "iam", _, _, resource] => {
            let path = resource.strip_prefix("role/")?;
            path.rsplit('/').next().filter(|n| !n.is_empty())
        }
        _ => None,
    }
}

/// RoleSessionName: 2 to 64 of `A-Za-z0-9_+=,.@-`, as AWS requires.
fn check_session_name(name: &str) -> Result<(), StsFailure> {
    let ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    ok.then_some(()).ok_or_else(|| {
        StsFailure::validation(
            "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: \
             it must be 2 to 64 of [\\w+=,.@-]",
        )
    })
}

/// One call on its way.
pub(super) struct Attempt {
    sts: Arc<StsInner>,
    request_id: String,
    now: i64,
    role: RoleConfig,
    request: AssumeRoleWithWebIdentityRequest,
    token: Peeked,
}

/// Starts a call from its parameters (query or form).
pub(super) fn begin(
    sts: &Arc<StsInner>,
    request_id: &str,
    now: DateTime,
    pairs: Vec<(String, String)>,
) -> Plan {
    match Attempt::new(sts, request_id, now, pairs) {
        Ok(attempt) => attempt.with_keys(),
        Err(failure) => failure.plan(request_id),
    }
}

impl Attempt {
    fn new(
        sts: &Arc<StsInner>,
        request_id: &str,
        now: DateTime,
        pairs: Vec<(String, String)>,
    ) -> Result<Self, StsFailure> {
        let params = QueryParams::new(pairs);
        match params.get("Action") {
            Some(AssumeRoleWithWebIdentityRequest::ACTION) => {}
            Some(other) => {
                return Err(StsFailure::invalid_action(format!(
                    "the action {other} is not valid for this endpoint (only AssumeRoleWithWebIdentity)"
                )));
            }
            None => return Err(StsFailure::missing_parameter("Action is required")),
        }
        let request =
            AssumeRoleWithWebIdentityRequest::from_query(&params).map_err(|e| match e {
                BindingError::MissingParameter(name) => {
                    StsFailure::missing_parameter(format!("{name} is required"))
                }
                other => StsFailure::invalid_parameter(other.to_string()),
            })?;
        if request.policy.is_some() || request.policy_arns.is_some() {
            return Err(StsFailure::malformed_policy(
                "session policies are not supported: the role's scopes apply as configured",
            ));
        }
        check_session_name(&request.role_session_name)?;
        let denied =
            || StsFailure::access_denied("Not authorized to perform sts:AssumeRoleWithWebIdentity");
        let role = role_name(&request.role_arn)
            .and_then(|name| sts.roles.role(name))
            .ok_or_else(denied)?;
        let token = jwt::peek(&request.web_identity_token)?;
        if !role.trusted_issuers.contains(&token.issuer) {
            return Err(StsFailure::invalid_token(format!(
                "the issuer {} is not trusted by this role",
                token.issuer
            )));
        }
        Ok(Attempt {
            sts: Arc::clone(sts),
            request_id: request_id.to_owned(),
            now: now.secs(),
            role,
            request,
            token,
        })
    }

    /// Gets the issuer's keys (from the cache or by fetching), then finishes.
    fn with_keys(self) -> Plan {
        let issuer = self.token.issuer.clone();
        match self
            .sts
            .jwks
            .lookup(&issuer, self.token.kid.as_deref(), self.now)
        {
            Lookup::Keys(keys) => self.finish(&keys),
            Lookup::Backoff => {
                let f = StsFailure::idp_communication(
                    "the issuer's keys could not be fetched a moment ago; retry shortly",
                );
                f.plan(&self.request_id)
            }
            Lookup::Fetch => {
                let insecure = self.sts.insecure_issuers.contains(&issuer);
                let url = issuer.clone();
                fetch_keys(&url, insecure, move |result| match result {
                    Ok(keys) => {
                        let keys = self.sts.jwks.store(&issuer, keys, self.now);
                        self.finish(&keys)
                    }
                    Err(e) => {
                        self.sts.jwks.failed(&issuer);
                        StsFailure::idp_communication(e.to_string()).plan(&self.request_id)
                    }
                })
            }
        }
    }

    fn finish(self, keys: &JwkSet) -> Plan {
        match self.mint(keys) {
            Ok(response) => Plan::Respond(response),
            Err(failure) => failure.plan(&self.request_id),
        }
    }

    fn mint(&self, keys: &JwkSet) -> Result<Response, StsFailure> {
        let Peeked { alg, kid, issuer } = &self.token;
        let key = jwt::select_key(keys, kid.as_deref(), *alg).ok_or_else(|| {
            StsFailure::invalid_token(match kid {
                Some(kid) => format!("the issuer has no key {kid} for {alg:?}"),
                None => "the token names no key (kid) and the issuer has several".to_owned(),
            })
        })?;
        let verified = jwt::verify(&self.request.web_identity_token, key, *alg)?;
        let checked = claims::check(&verified, &self.role, issuer, self.now)?;
        let scopes: Vec<_> = self
            .role
            .scopes
            .iter()
            .filter_map(|t| t.expand(&|name| string_claim(&verified, name)).ok())
            .collect();
        if scopes.is_empty() && !self.role.scopes.is_empty() {
            return Err(StsFailure::rejected_claim(
                "no scope of this role applies to the token (its claims are missing or unusable)",
            ));
        }
        let max = i64::try_from(self.role.max_session_duration_secs).unwrap_or(i64::MAX);
        let min = i64::try_from(MIN_SESSION_SECS).unwrap_or(900);
        let asked = self
            .request
            .duration_seconds
            .map_or(DEFAULT_DURATION, i64::from);
        let duration = asked.clamp(min, max.max(min));
        let expires_at = self.now.saturating_add(duration);
        let internal = |e: String| StsFailure::internal(format!("cannot mint credentials: {e}"));
        let session_name = &self.request.role_session_name;
        let session = Session {
            access_key_id: random::access_key_id().map_err(|e| internal(e.to_string()))?,
            secret_access_key: random::secret_access_key().map_err(|e| internal(e.to_string()))?,
            principal: format!("assumed-role/{}/{session_name}", self.role.name),
            role: self.role.name.clone(),
            exp: expires_at,
            scopes,
        };
        let token = self
            .sts
            .keys
            .seal(&session)
            .map_err(|e| internal(e.to_string()))?;
        let response = AssumeRoleWithWebIdentityResponse {
            credentials: Some(Credentials {
                access_key_id: session.access_key_id.clone(),
                secret_access_key: session.secret_access_key.clone(),
                session_token: token,
                expiration: DateTime::from_secs(expires_at),
            }),
            subject_from_web_identity_token: Some(checked.subject),
            assumed_role_user: Some(AssumedRoleUser {
                assumed_role_id: format!("{}:{session_name}", role_id(&self.role.name)),
                arn: format!(
                    "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{}/{session_name}",
                    self.role.name
                ),
            }),
            packed_policy_size: None,
            provider: Some(issuer.clone()),
            audience: Some(checked.audience),
            source_identity: None,
        };
        Ok(Response::new(
            StatusCode::OK,
            sts_headers(&self.request_id),
            Bytes::from(response.to_xml(&self.request_id)),
        ))
    }
}

/// A stable role id (`AROA` and 17 characters) derived from the role's name.
fn role_id(role: &str) -> String {
    let digest = Sha256::digest(role.as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|b| b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[usize::from(b % 32)] as char)
        .collect();
    format!("AROA{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_and_names() {
        assert_eq!(role_name("arn:aws:iam::123456789012:role/ci"), Some("ci"));
        assert_eq!(
            role_name("arn:aws:iam::anything:role/path/to/ci"),
            Some("ci")
        );
        assert_eq!(role_name("arn:aws-cn:iam::1:role/ci"), Some("ci"));
        assert_eq!(role_name("ci"), Some("ci"));
        for bad in [
            "",
            "arn:aws:s3:::b",
            "arn:aws:iam::1:user/ci",
            "arn:aws:iam::1:role/",
            "a/b",
        ] {
            assert_eq!(role_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn session_names() {
        assert!(check_session_name("ci-run_1@x.y").is_ok());
        assert!(check_session_name("a").is_err());
        assert!(check_session_name(&"a".repeat(65)).is_err());
        assert!(check_session_name("a b").is_err());
        assert!(role_id("ci").starts_with("AROA") && role_id("ci").len() == 21);
    }
}
