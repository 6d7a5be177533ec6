//! Backend federation (`auth = "oidc"`): the gateway mints a JWT as its own issuer, exchanges
//! it at the backend's STS (`AssumeRoleWithWebIdentity`, AWS by default) for temporary
//! credentials, caches them, and signs backend requests with them.
//!
//! The cache, per (role ARN, STS endpoint, subject, audience), at the request's time `now`:
//!
//! ```text
//! fresh    now < exp − lead              Ready(creds)
//! due      exp − lead ≤ now < exp − 60   Ready(creds), except for the one request that claims
//!                                        the refresh: Fetch { carry: creds } (it exchanges,
//!                                        then goes on with the new or, on failure, the old
//!                                        credentials; a failed refresh is retried 30 s later)
//! cold     no credentials valid ≥ 60 s   Fetch { carry: None }: the first request claims the
//!                                        exchange; concurrent ones fetch under the same
//!                                        `coalesce` key
//! failed   a cold exchange failed < 10 s ago: Unavailable (503, retryable)
//! ```
//!
//! `lead` is 5 minutes, or half the credentials' lifetime when that is shorter.
//!
//! Single flight, and its limit in a sans-IO core: a refresh never blocks anybody but the one
//! request that claimed it; everyone else is served the current credentials. A cold miss
//! cannot make other requests *wait* inside the core (it has no way to suspend them), so every
//! concurrent cold request gets a [`Fetch`] with the same `coalesce` key; a runtime that
//! coalesces (the native one does) sends one exchange and answers all of them with it. A
//! runtime that does not sends one exchange per concurrent cold request, once, until the first
//! answer fills the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};

use crate::codec::query_form::encode_form;
use crate::codec::xml_value::read_document;
use crate::config::{DEFAULT_STS_AUDIENCE, DEFAULT_STS_ENDPOINT, S3Backend, SecretValue};
use crate::gateway::plan::{Fetch, FetchRequest, Plan};
use crate::sts::{
    AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse, StsErrorResponse,
};

use super::oidc::OidcSigner;

/// Credentials with less than this left are not used.
pub const MIN_REMAINING_SECS: i64 = 60;
/// How long before expiry a refresh starts (at most).
pub const REFRESH_LEAD_SECS: i64 = 300;
/// How long a claimed exchange is trusted to be in flight (and a failed refresh not retried).
pub const CLAIM_SECS: i64 = 30;
/// How long a failed cold exchange makes requests fail fast.
pub const FAILURE_BACKOFF_SECS: i64 = 10;
/// The session length asked of the backend's STS.
pub const SESSION_SECS: i64 = 3600;
/// The most bytes read of an STS answer.
pub const RESPONSE_LIMIT: u64 = 64 * 1024;

/// Temporary backend credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretValue,
    /// Never logged by `Debug`-printing callers: it is only a bearer of the secret above.
    pub session_token: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// When the gateway got them (unix seconds).
    pub obtained_at: i64,
}

impl TemporaryCredentials {
    fn usable_at(&self, now: i64) -> bool {
        now < self.expires_at.saturating_sub(MIN_REMAINING_SECS)
    }

    fn fresh_at(&self, now: i64) -> bool {
        let lifetime = self.expires_at.saturating_sub(self.obtained_at);
        let lead = REFRESH_LEAD_SECS.min(lifetime / 2);
        now < self.expires_at.saturating_sub(lead)
    }
}

/// Which role a backend federates into, and as whom.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FederatedRole {
    pub role_arn: String,
    pub sts_endpoint: String,
    pub subject: String,
    pub audience: String,
}

impl FederatedRole {
    /// The role of an `auth = "oidc"` backend; `entry` names the bucket entry (the client
    /// bucket, or `*` for the pass-through entry, so that made-up bucket names share one
    /// credential).
    pub fn of(s3: &S3Backend, entry: &str) -> Option<Self> {
        Some(FederatedRole {
            role_arn: s3.role_arn.clone()?,
            sts_endpoint: s3
                .sts_endpoint
                .clone()
                .unwrap_or_else(|| DEFAULT_STS_ENDPOINT.to_owned()),
            subject: s3
                .subject
                .clone()
                .unwrap_or_else(|| format!("multistore:{entry}")),
            audience: s3
                .audience
                .clone()
                .unwrap_or_else(|| DEFAULT_STS_AUDIENCE.to_owned()),
        })
    }

    fn key(&self) -> String {
        [
            &self.role_arn,
            &self.sts_endpoint,
            &self.subject,
            &self.audience,
        ]
        .map(String::as_str)
        .join("\u{1f}")
    }

    /// A RoleSessionName from the subject: `[\w+=,.@-]`, 2 to 64 characters.
    fn session_name(&self) -> String {
        let name: String = self
            .subject
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .take(64)
            .collect();
        if name.len() < 2 {
            format!("multistore{name}")
        } else {
            name
        }
    }
}

/// What a request must do to have credentials.
#[derive(Debug)]
pub enum Need {
    Ready(Arc<TemporaryCredentials>),
    /// Exchange now; `carry` is what to go on with if the exchange fails (a refresh).
    Fetch {
        carry: Option<Arc<TemporaryCredentials>>,
    },
    /// A cold exchange failed moments ago.
    Unavailable,
}

#[derive(Default)]
struct Entry {
    current: Option<Arc<TemporaryCredentials>>,
    claimed_at: Option<i64>,
    failed_at: Option<i64>,
}

/// Why an exchange failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FederationError {
    /// The STS could not be reached (retryable).
    #[error("the backend's STS is unavailable: {0}")]
    Unavailable(String),
    /// The STS answered, but not with credentials.
    #[error("the backend's STS refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Internal(String),
}

/// The credential cache and the exchange.
pub struct Federation {
    signer: Arc<OidcSigner>,
    entries: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl Federation {
    pub fn new(signer: Arc<OidcSigner>) -> Self {
        Federation {
            signer,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, role: &FederatedRole, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        f(map.entry(role.key()).or_default())
    }

    /// What a request at `now` must do (a `Fetch` answer claims the exchange).
    pub fn need(&self, role: &FederatedRole, now: i64) -> Need {
        self.with(role, |entry| {
            let claimed = entry
                .claimed_at
                .is_some_and(|t| now.saturating_sub(t) < CLAIM_SECS);
            match entry.current.clone().filter(|c| c.usable_at(now)) {
                Some(c) if c.fresh_at(now) || claimed => Need::Ready(c),
                Some(c) => {
                    entry.claimed_at = Some(now);
                    Need::Fetch { carry: Some(c) }
                }
                None => {
                    let failed = entry
                        .failed_at
                        .is_some_and(|t| now.saturating_sub(t) < FAILURE_BACKOFF_SECS);
                    if failed {
                        Need::Unavailable
                    } else {
                        if !claimed {
                            entry.claimed_at = Some(now);
                        }
                        Need::Fetch { carry: None }
                    }
                }
            }
        })
    }

    /// The credentials usable at `now`, without claiming anything (for signing).
    pub fn current(&self, role: &FederatedRole, now: i64) -> Option<Arc<TemporaryCredentials>> {
        self.with(role, |entry| {
            entry.current.clone().filter(|c| c.usable_at(now))
        })
    }

    fn store(&self, role: &FederatedRole, credentials: TemporaryCredentials) {
        self.with(role, |entry| {
            // Never replace credentials with ones that expire sooner (a late, older answer).
            let newer = entry
                .current
                .as_ref()
                .is_none_or(|c| credentials.expires_at >= c.expires_at);
            if newer {
                entry.current = Some(Arc::new(credentials));
            }
            entry.claimed_at = None;
            entry.failed_at = None;
        });
    }

    fn failed(&self, role: &FederatedRole, now: i64, refreshing: bool) {
        self.with(role, |entry| {
            entry.failed_at = Some(now);
            // A failed refresh keeps its claim, so the next attempt waits CLAIM_SECS; a failed
            // cold exchange releases it (the backoff above applies instead).
            if !refreshing {
                entry.claimed_at = None;
            }
        });
    }

    /// The `AssumeRoleWithWebIdentity` request for `role`, with a freshly minted token.
    fn exchange_request(
        &self,
        role: &FederatedRole,
        now: i64,
    ) -> Result<FetchRequest, FederationError> {
        let token = self
            .signer
            .mint(&role.subject, &role.audience, now)
            .map_err(|e| FederationError::Internal(e.to_string()))?;
        let request = AssumeRoleWithWebIdentityRequest {
            role_arn: role.role_arn.clone(),
            role_session_name: role.session_name(),
            web_identity_token: token,
            duration_seconds: i32::try_from(SESSION_SECS).ok(),
            ..AssumeRoleWithWebIdentityRequest::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let base = role.sts_endpoint.trim_end_matches('/');
        Ok(FetchRequest {
            method: Method::POST,
            url: format!("{base}/"),
            headers,
            body: Bytes::from(encode_form(&request.to_query())),
        })
    }

    /// Exchanges a token for `role`'s credentials at `now`, stores them, then continues with
    /// `then` (`refreshing`: valid credentials exist and stay in use if this fails).
    pub fn exchange(
        self: &Arc<Self>,
        role: FederatedRole,
        now: i64,
        refreshing: bool,
        then: impl FnOnce(Result<(), FederationError>) -> Plan + Send + 'static,
    ) -> Plan {
        let request = match self.exchange_request(&role, now) {
            Ok(r) => r,
            Err(e) => {
                self.failed(&role, now, refreshing);
                return then(Err(e));
            }
        };
        let federation = Arc::clone(self);
        let coalesce = Some(format!("sts-exchange {}", role.key()));
        Fetch::plan(request, RESPONSE_LIMIT, coalesce, move |result| {
            let outcome = match result {
                Err(e) => Err(FederationError::Unavailable(e.to_string())),
                Ok((status, _, body)) => parse_answer(status, &body, now),
            };
            match outcome {
                Ok(credentials) => {
                    federation.store(&role, credentials);
                    then(Ok(()))
                }
                Err(e) => {
                    federation.failed(&role, now, refreshing);
                    then(Err(e))
                }
            }
        })
    }
}

/// Reads an STS answer into credentials usable at `now`.
fn parse_answer(
    status: http::StatusCode,
    body: &Bytes,
    now: i64,
) -> Result<TemporaryCredentials, FederationError> {
    if !status.is_success() {
        let detail = read_document::<StsErrorResponse>(body, "ErrorResponse")
            .map(|e| format!("{}: {}", e.error.code, e.error.message.unwrap_or_default()))
            .unwrap_or_else(|_| format!("HTTP {status}"));
        return Err(if status.is_server_error() {
            FederationError::Unavailable(detail)
        } else {
            FederationError::Refused(detail)
        });
    }
    let answer = AssumeRoleWithWebIdentityResponse::from_xml(body)
        .map_err(|e| FederationError::Refused(format!("an unreadable answer: {e}")))?;
    let c = answer
        .credentials
        .ok_or_else(|| FederationError::Refused("an answer without credentials".into()))?;
    let credentials = TemporaryCredentials {
        access_key_id: c.access_key_id,
        secret_access_key: SecretValue::new(c.secret_access_key),
        session_token: c.session_token,
        expires_at: c.expiration.secs(),
        obtained_at: now,
    };
    if !credentials.usable_at(now) {
        return Err(FederationError::Refused(
            "credentials that expire within a minute (check the clocks)".into(),
        ));
    }
    Ok(credentials)
}

#[cfg(test)]
mod tests;
