//! Backend credentials for `auth = "oidc"` inside the request flow.
//!
//! Before a request is dispatched (and before its body is read), every `oidc` backend it will
//! reach (its bucket's, and a copy source's) must have credentials in the [`Federation`]
//! cache. When one has none, or is due for a refresh that this request claimed, the plan is a
//! [`Fetch`](super::plan::Fetch) of the exchange whose continuation resolves the same request
//! head again, now with the credentials in the cache. Building a backend request then only
//! reads the cache ([`Inner::federated_for`]).
//!
//! Resolution restarts at most [`MAX_EXCHANGES`] times per request, so nothing can loop.

use std::sync::Arc;

use http::HeaderMap;

use crate::authz::{CopySource, Identity};
use crate::codec::path::S3Path;
use crate::config::{BackendConfig, S3Auth};
use crate::error::Error;
use crate::identity::federation::{FederatedRole, FederationError, Need, TemporaryCredentials};
use crate::registry::BucketTarget;

use super::Inner;
use super::authenticate::Authenticated;
use super::plan::Plan;
use super::request::RequestHead;
use super::summary::Summary;

/// The most exchanges one request may wait for (a copy between two `oidc` backends needs two).
const MAX_EXCHANGES: u8 = 3;

/// The federated role of a bucket target, if its backend uses `auth = "oidc"`.
fn role_of(target: &BucketTarget) -> Option<FederatedRole> {
    match &target.backend {
        BackendConfig::S3(s3) if s3.auth == S3Auth::Oidc => {
            let entry = if target.pass_through {
                crate::config::PASS_THROUGH
            } else {
                target.client_name.as_str()
            };
            FederatedRole::of(s3, entry)
        }
        _ => None,
    }
}

fn federation_error(e: FederationError) -> Error {
    match e {
        FederationError::Unavailable(m) => Error::BackendUnavailable(m),
        FederationError::Refused(m) => Error::BadGateway(format!("the backend's STS: {m}")),
        FederationError::Internal(m) => Error::Internal(m),
    }
}

impl Inner {
    /// The `oidc` backends this request reaches.
    fn federated_roles(
        &self,
        path: &S3Path,
        headers: &HeaderMap,
        auth: &Authenticated,
    ) -> Vec<FederatedRole> {
        let copy_source = headers
            .get("x-amz-copy-source")
            .and_then(|v| v.to_str().ok())
            .and_then(|raw| CopySource::parse(raw).ok())
            .map(|s| s.bucket);
        let mut roles = Vec::new();
        for bucket in path.bucket.iter().chain(copy_source.iter()) {
            let Some(target) = self.buckets.lookup(bucket) else {
                continue;
            };
            // An anonymous caller is refused on any bucket without anonymous reads: it must
            // not make the gateway exchange anything.
            if auth.identity == Identity::Anonymous && !target.anonymous_read {
                continue;
            }
            if let Some(role) = role_of(&target)
                && !roles.contains(&role)
            {
                roles.push(role);
            }
        }
        roles
    }

    /// A plan that gets missing backend credentials first, or None when all are there.
    pub(super) fn ensure_backend_credentials(
        self: &Arc<Self>,
        head: &RequestHead,
        path: &S3Path,
        auth: &Authenticated,
        depth: u8,
    ) -> Result<Option<Plan>, Error> {
        let Some(federation) = &self.federation else {
            return Ok(None);
        };
        let now = head.now.secs();
        for role in self.federated_roles(path, &head.headers, auth) {
            let carry = match federation.need(&role, now) {
                Need::Ready(_) => continue,
                Need::Unavailable => {
                    return Err(Error::BackendUnavailable(
                        "the backend's credentials could not be had a moment ago".into(),
                    ));
                }
                Need::Fetch { carry } => carry,
            };
            if depth >= MAX_EXCHANGES {
                if carry.is_some() {
                    continue;
                }
                return Err(Error::BackendUnavailable(
                    "too many credential exchanges for one request".into(),
                ));
            }
            let (inner, head) = (Arc::clone(self), head.clone());
            let refreshing = carry.is_some();
            let plan = federation.exchange(role, now, refreshing, move |result| {
                let (request_id, resource) = (head.request_id.clone(), head.raw_path.clone());
                let is_head = head.method == http::Method::HEAD;
                match result {
                    Err(e) if !refreshing => Err(federation_error(e)),
                    // A failed refresh goes on with the credentials that are still valid.
                    _ => inner.resolve_s3_at(head, depth + 1, &mut Summary::default()),
                }
                .unwrap_or_else(|e| inner.error_plan(&e, &request_id, &resource, is_head))
            });
            return Ok(Some(plan));
        }
        Ok(None)
    }

    /// The credentials to sign a request to `target` with, when its backend uses `oidc`.
    pub(super) fn federated_for(
        &self,
        target: &BucketTarget,
        now: crate::codec::scalar::DateTime,
    ) -> Result<Option<Arc<TemporaryCredentials>>, Error> {
        let Some(role) = role_of(target) else {
            return Ok(None);
        };
        let federation = self.federation.as_ref().ok_or(Error::NotImplemented(
            "backends with auth = \"oidc\" need the OIDC provider ([server] oidc_issuer)",
        ))?;
        federation
            .current(&role, now.secs())
            .map(Some)
            .ok_or_else(|| {
                Error::BackendUnavailable("the backend's temporary credentials expired".into())
            })
    }
}
