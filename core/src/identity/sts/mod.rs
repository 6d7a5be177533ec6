//! The STS endpoint: `AssumeRoleWithWebIdentity` for clients, unsigned as at AWS.
//!
//! ```text
//! POST /            form body Action=AssumeRoleWithWebIdentity&Version=2011-06-15&…  (≤ 64 KiB)
//! GET|POST /?Action=AssumeRoleWithWebIdentity&…                                  (query)
//! the same at [server] sts_path, if set
//! GET / without Action ─▶ declined: S3 (ListBuckets) answers it
//! ```
//!
//! [`Sts`] is an [`Extension`]: a runtime registers it with one
//! `Gateway::builder(..).extension(&sts)?`, which also hands the gateway the session key ring
//! so that requests signed with minted credentials authenticate (see
//! [`crate::gateway::authenticate`]).

mod assume;
mod error;

use std::borrow::Cow;
use std::sync::Arc;

use http::Method;

pub use assume::{ACCOUNT_ID, role_name};
pub use error::StsFailure;

use crate::codec::query_form::parse_form;
use crate::config::Config;
use crate::gateway::endpoints::{Endpoint, Extension, Params, RouteHandler};
use crate::gateway::plan::{BodyDecoding, NeedsBody, Plan};
use crate::gateway::request::{RequestHead, parse_query};
use crate::registry::CredentialRegistry;

use super::IdentityError;
use super::jwks::JwksCache;
use super::session::SessionKeyRing;

/// The largest form body read.
pub const FORM_LIMIT: u64 = 64 * 1024;

/// What every STS request shares.
pub(crate) struct StsInner {
    roles: Arc<dyn CredentialRegistry + Send + Sync>,
    keys: Arc<SessionKeyRing>,
    jwks: JwksCache,
    insecure_issuers: Vec<String>,
}

/// The STS extension.
pub struct Sts {
    inner: Arc<StsInner>,
    path: Option<String>,
}

impl Sts {
    /// STS for a validated, secret-resolved configuration: None when there are no
    /// `[[server.session_keys]]` (and no roles), an error when roles exist without them.
    pub fn from_config(
        config: &Config,
        roles: Arc<dyn CredentialRegistry + Send + Sync>,
    ) -> Result<Option<Sts>, IdentityError> {
        let keys =
            SessionKeyRing::from_config(&config.server.session_keys).map_err(IdentityError)?;
        let Some(keys) = keys else {
            if config.roles.is_empty() {
                return Ok(None);
            }
            return Err(IdentityError(
                "[[roles]] need [[server.session_keys]] to seal the session tokens STS hands out"
                    .into(),
            ));
        };
        Ok(Some(Sts::new(
            Arc::new(keys),
            roles,
            config.server.insecure_issuers.clone(),
            config.server.sts_path.clone(),
        )))
    }

    /// STS with an explicit key ring, role registry, insecure issuers and extra path.
    pub fn new(
        keys: Arc<SessionKeyRing>,
        roles: Arc<dyn CredentialRegistry + Send + Sync>,
        insecure_issuers: Vec<String>,
        path: Option<String>,
    ) -> Self {
        Sts {
            inner: Arc::new(StsInner {
                roles,
                keys,
                jwks: JwksCache::new(),
                insecure_issuers,
            }),
            path,
        }
    }

    /// The key ring that opens the session tokens this STS mints.
    pub fn session_keys(&self) -> Arc<SessionKeyRing> {
        Arc::clone(&self.inner.keys)
    }
}

impl Extension for Sts {
    fn endpoints(&self) -> Vec<Endpoint> {
        let mut paths: Vec<Cow<'static, str>> = vec![Cow::Borrowed("/")];
        if let Some(path) = &self.path {
            // The SDKs join an endpoint URL's path with the operation's `/`: an endpoint of
            // `https://host/.sts` is called at `/.sts/`.
            paths.push(Cow::Owned(path.clone()));
            paths.push(Cow::Owned(format!("{path}/")));
        }
        paths
            .into_iter()
            .map(|path| Endpoint {
                path,
                methods: &[Method::GET, Method::POST],
                handler: Arc::new(Handler(Arc::clone(&self.inner))),
            })
            .collect()
    }

    fn session_keys(&self) -> Option<Arc<SessionKeyRing>> {
        Some(Sts::session_keys(self))
    }
}

struct Handler(Arc<StsInner>);

/// Whether a POST without `Action` in its query looks like an STS form post (and not an S3
/// call on a bucket that shares the path, like `POST /sts?delete`).
fn is_form_post(head: &RequestHead) -> bool {
    let form = head
        .header("content-type")
        .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    head.raw_query.is_empty() && form
}

impl RouteHandler for Handler {
    fn handle(&self, head: &RequestHead, _params: &Params) -> Option<Plan> {
        let query = parse_query(&head.raw_query).ok();
        if let Some(query) = query
            && query.iter().any(|(name, _)| name == "Action")
        {
            return Some(assume::begin(&self.0, &head.request_id, head.now, query));
        }
        if head.method != Method::POST || !is_form_post(head) {
            return None;
        }
        let (sts, request_id, now) = (Arc::clone(&self.0), head.request_id.clone(), head.now);
        Some(Plan::NeedsBody(NeedsBody {
            limit: FORM_LIMIT,
            decode: BodyDecoding::Plain,
            then: Box::new(move |body| {
                let pairs = parse_form(&String::from_utf8_lossy(&body));
                assume::begin(&sts, &request_id, now, pairs)
            }),
        }))
    }
}

#[cfg(test)]
pub(crate) mod tests;
