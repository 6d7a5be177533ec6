//! Issuers' signing keys: OIDC discovery (`{iss}/.well-known/openid-configuration` →
//! `jwks_uri`) as [`Plan::Fetch`]es, and the per-issuer cache.
//!
//! ```text
//! lookup(iss, kid, now) ─▶ Keys(set)   fresh (younger than the TTL) and it has the kid, or a
//!                                      refresh for an unknown kid is not allowed yet
//!                       ─▶ Fetch       cold, expired, or an unknown kid and the last refresh
//!                                      started ≥ 30 s ago: this request fetches (discovery,
//!                                      then the JWKS) and stores the result
//!                       ─▶ Backoff     cold and the last fetch failed < 5 s ago
//! ```
//!
//! Only issuers a role trusts ever reach the cache, so it is bounded by the configuration, and
//! a stream of tokens with made-up `kid`s costs at most one refresh per issuer per 30 s.
//! Discovery and the JWKS must be https unless the issuer is listed in
//! `[server] insecure_issuers`; the discovery document's `issuer` must equal the token's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use jsonwebtoken::jwk::JwkSet;

use crate::gateway::plan::{Fetch, FetchRequest, Plan};

use super::jwt::{has_kid, parse_jwks};

/// How long a fetched JWKS is used.
pub const TTL_SECS: i64 = 600;
/// The least time between two refreshes of an issuer's keys for an unknown `kid`.
pub const MIN_REFRESH_SECS: i64 = 30;
/// How long a failed fetch is not retried while the issuer has no usable keys.
pub const FAILURE_BACKOFF_SECS: i64 = 5;
/// The most bytes read of a discovery document and of a JWKS.
pub const DISCOVERY_LIMIT: u64 = 64 * 1024;
pub const JWKS_LIMIT: u64 = 512 * 1024;

/// What the cache says to do.
#[derive(Debug)]
pub enum Lookup {
    Keys(Arc<JwkSet>),
    Fetch,
    Backoff,
}

#[derive(Default)]
struct IssuerState {
    keys: Option<Arc<JwkSet>>,
    fetched_at: i64,
    last_attempt: Option<i64>,
    failed: bool,
}

/// The per-issuer JWKS cache, shared by every request.
#[derive(Default)]
pub struct JwksCache {
    issuers: Mutex<HashMap<String, IssuerState>>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache").finish_non_exhaustive()
    }
}

impl JwksCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, issuer: &str, f: impl FnOnce(&mut IssuerState) -> T) -> T {
        let mut map = self.issuers.lock().unwrap_or_else(|e| e.into_inner());
        f(map.entry(issuer.to_owned()).or_default())
    }

    /// Decides for a token of `issuer` with `kid` at `now` (unix seconds). A `Fetch` answer
    /// records the attempt: the caller must fetch and then [`store`](Self::store) or
    /// [`failed`](Self::failed).
    pub fn lookup(&self, issuer: &str, kid: Option<&str>, now: i64) -> Lookup {
        self.with(issuer, |state| {
            let fresh = state
                .keys
                .as_ref()
                .filter(|_| now.saturating_sub(state.fetched_at) < TTL_SECS)
                .cloned();
            match fresh {
                Some(keys) => {
                    let may_refresh = state
                        .last_attempt
                        .is_none_or(|t| now.saturating_sub(t) >= MIN_REFRESH_SECS);
                    if has_kid(&keys, kid) || !may_refresh {
                        Lookup::Keys(keys)
                    } else {
                        state.last_attempt = Some(now);
                        Lookup::Fetch
                    }
                }
                None => {
                    let backing_off = state.failed
                        && state
                            .last_attempt
                            .is_some_and(|t| now.saturating_sub(t) < FAILURE_BACKOFF_SECS);
                    if backing_off {
                        Lookup::Backoff
                    } else {
                        state.last_attempt = Some(now);
                        Lookup::Fetch
                    }
                }
            }
        })
    }

    /// Records a fetched key set.
    pub fn store(&self, issuer: &str, keys: JwkSet, now: i64) -> Arc<JwkSet> {
        let keys = Arc::new(keys);
        self.with(issuer, |state| {
            state.keys = Some(Arc::clone(&keys));
            state.fetched_at = now;
            state.failed = false;
        });
        keys
    }

    /// Records a failed fetch (the keys held, if any, stay until their TTL ends).
    pub fn failed(&self, issuer: &str) {
        self.with(issuer, |state| state.failed = true);
    }
}

/// Why an issuer's keys could not be had.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdpError(pub String);

/// Whether `url` may be fetched for this issuer: https, or http for an insecure issuer.
fn allowed_url(url: &str, insecure: bool) -> Result<(), IdpError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| IdpError(format!("`{url}` is not a URL")))?;
    match uri.scheme_str() {
        Some("https") if uri.host().is_some() => Ok(()),
        Some("http") if insecure && uri.host().is_some() => Ok(()),
        _ => Err(IdpError(format!(
            "`{url}` is not https (list the issuer in [server] insecure_issuers to allow http)"
        ))),
    }
}

fn get(url: &str) -> FetchRequest {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    FetchRequest {
        method: Method::GET,
        url: url.to_owned(),
        headers,
        body: Bytes::new(),
    }
}

/// The body of a successful answer, or why there is none.
fn ok_body(
    what: &str,
    result: Result<(StatusCode, HeaderMap, Bytes), crate::gateway::plan::FetchError>,
) -> Result<Bytes, IdpError> {
    match result {
        Ok((status, _, body)) if status.is_success() => Ok(body),
        Ok((status, _, _)) => Err(IdpError(format!("the {what} answered {status}"))),
        Err(e) => Err(IdpError(format!("the {what} could not be fetched: {e}"))),
    }
}

/// Fetches `issuer`'s keys through discovery, then hands them (or why not) to `then`.
pub fn fetch_keys(
    issuer: &str,
    insecure: bool,
    then: impl FnOnce(Result<JwkSet, IdpError>) -> Plan + Send + 'static,
) -> Plan {
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    if let Err(e) = allowed_url(&discovery, insecure) {
        return then(Err(e));
    }
    let issuer = issuer.to_owned();
    let coalesce = Some(format!("oidc-discovery {discovery}"));
    Fetch::plan(get(&discovery), DISCOVERY_LIMIT, coalesce, move |result| {
        let jwks_uri = ok_body("discovery document", result).and_then(|body| {
            let doc: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|_| IdpError("the discovery document is not JSON".into()))?;
            if doc.get("issuer").and_then(|v| v.as_str()) != Some(issuer.as_str()) {
                return Err(IdpError(
                    "the discovery document names another issuer".into(),
                ));
            }
            let uri = doc
                .get("jwks_uri")
                .and_then(|v| v.as_str())
                .ok_or_else(|| IdpError("the discovery document has no jwks_uri".into()))?;
            allowed_url(uri, insecure)?;
            Ok(uri.to_owned())
        });
        let jwks_uri = match jwks_uri {
            Ok(uri) => uri,
            Err(e) => return then(Err(e)),
        };
        let coalesce = Some(format!("jwks {jwks_uri}"));
        Fetch::plan(get(&jwks_uri), JWKS_LIMIT, coalesce, move |result| {
            let keys = ok_body("JWKS", result).and_then(|body| {
                parse_jwks(&body).ok_or_else(|| IdpError("the JWKS is not a key set".into()))
            });
            then(keys)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(kids: &[&str]) -> JwkSet {
        let keys: Vec<String> = kids
            .iter()
            .map(|k| format!(r#"{{"kty":"RSA","kid":"{k}","n":"AQAB","e":"AQAB"}}"#))
            .collect();
        parse_jwks(format!(r#"{{"keys":[{}]}}"#, keys.join(",")).as_bytes()).unwrap()
    }

    #[test]
    fn ttl_and_rate_limited_refresh() {
        let cache = JwksCache::new();
        let iss = "https://idp";
        assert!(matches!(cache.lookup(iss, Some("a"), 1000), Lookup::Fetch));
        cache.store(iss, set(&["a"]), 1000);
        assert!(matches!(
            cache.lookup(iss, Some("a"), 1001),
            Lookup::Keys(_)
        ));
        // Unknown kid 10 s after the last fetch started: no refresh yet.
        assert!(matches!(
            cache.lookup(iss, Some("b"), 1010),
            Lookup::Keys(_)
        ));
        // 30 s after: one refresh, and only one.
        assert!(matches!(cache.lookup(iss, Some("b"), 1030), Lookup::Fetch));
        assert!(matches!(
            cache.lookup(iss, Some("c"), 1031),
            Lookup::Keys(_)
        ));
        cache.store(iss, set(&["a", "b"]), 1032);
        assert!(
            matches!(cache.lookup(iss, Some("b"), 1033), Lookup::Keys(k) if has_kid(&k, Some("b")))
        );
        // The TTL ends: refetch even for a known kid.
        assert!(matches!(
            cache.lookup(iss, Some("a"), 1032 + TTL_SECS),
            Lookup::Fetch
        ));
    }

    #[test]
    fn failures_back_off_only_briefly() {
        let cache = JwksCache::new();
        let iss = "https://idp";
        assert!(matches!(cache.lookup(iss, None, 100), Lookup::Fetch));
        cache.failed(iss);
        assert!(matches!(cache.lookup(iss, None, 102), Lookup::Backoff));
        assert!(matches!(cache.lookup(iss, None, 105), Lookup::Fetch));
        // Issuers are independent.
        assert!(matches!(
            cache.lookup("https://other", None, 105),
            Lookup::Fetch
        ));
    }

    #[test]
    fn urls_must_be_https_unless_insecure() {
        assert!(allowed_url("https://idp/x", false).is_ok());
        assert!(allowed_url("http://idp/x", false).is_err());
        assert!(allowed_url("http://idp/x", true).is_ok());
        assert!(allowed_url("file:///etc/passwd", true).is_err());
        let plan = fetch_keys("http://idp", false, |r| {
            assert!(r.is_err());
            Plan::Respond(crate::gateway::plan::Response::new(
                StatusCode::OK,
                HeaderMap::new(),
                Bytes::new(),
            ))
        });
        assert!(matches!(plan, Plan::Respond(_)));
    }
}
