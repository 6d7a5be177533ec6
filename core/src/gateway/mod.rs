//! The gateway: turns each request head into a [`Plan`] that a runtime executes.
//!
//! ```text
//! RequestHead ─▶ endpoints (STS, OIDC, …, matched by path first)
//!             ─▶ OPTIONS: a CORS preflight, answered from the bucket's rules
//!             ─▶ S3: address → route → authenticate → [NeedsBody] → bind → authorize
//!                    → answer locally (ListBuckets, GetBucketLocation, refusals)
//!                    → or Forward to the bucket's backend (signed, namespaced, streamed)
//! ```
//!
//! The gateway is cheap to clone and shared by every request; it holds the settings, the
//! registries and the endpoint router, all built once.

pub mod addressing;
pub mod authenticate;
pub mod backend;
pub mod body;
mod copy;
mod cors;
mod delete_objects;
pub mod endpoints;
mod federated;
pub mod namespace;
pub mod plan;
pub mod request;
mod s3;
mod service;
pub mod summary;

use std::sync::Arc;

use http::Method;

pub use endpoints::{Endpoint, EndpointError, EndpointRouter, Extension, RouteHandler};
pub use plan::{
    BackendKind, BackendRequest, BodyDecoding, Fetch, FetchContinuation, FetchError, FetchRequest,
    FetchResponse, Forward, NeedsBody, Pipe, PipeNext, Plan, Reframe, RequestBody, Response,
    ResponseMode,
};
pub use request::RequestHead;
pub use summary::Summary;

use crate::config::{Config, Limits};
use crate::error::{Error, ErrorContext, error_response};
use crate::identity::federation::Federation;
use crate::identity::session::SessionKeyRing;
use crate::registry::{BucketRegistry, CredentialRegistry};

/// The settings the gateway runs with, from `[server]` and `[limits]`.
#[derive(Clone, Debug)]
pub struct Settings {
    pub region: String,
    pub virtual_host_domains: Vec<String>,
    pub debug_errors: bool,
    pub limits: Limits,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            region: config.server.region.clone(),
            virtual_host_domains: config.server.virtual_host_domains.clone(),
            debug_errors: config.server.debug_errors,
            limits: config.limits.clone(),
        }
    }
}

/// The shared state behind a [`Gateway`].
pub(crate) struct Inner {
    pub settings: Settings,
    pub buckets: Arc<dyn BucketRegistry + Send + Sync>,
    pub credentials: Arc<dyn CredentialRegistry + Send + Sync>,
    pub endpoints: EndpointRouter,
    /// Opens session tokens (from the STS extension).
    pub sessions: Option<Arc<SessionKeyRing>>,
    /// Backend credentials for `auth = "oidc"` (from the OIDC provider extension).
    pub federation: Option<Arc<Federation>>,
}

/// A plan, and what the access log says of the request ([`Summary`]), gathered while the
/// request was resolved. Its `principal` is the name of the principal whose signature verified
/// (`None` for an anonymous, refused or non-S3 request): access logs name the caller with it,
/// never with the access key id a request merely claims.
pub struct Resolved {
    pub plan: Plan,
    pub summary: Summary,
}

/// Builds a [`Gateway`]: settings, registries, then extensions' endpoints.
pub struct GatewayBuilder {
    inner: Inner,
}

impl GatewayBuilder {
    /// Registers every endpoint of an extension (STS, the OIDC provider, health, …), and
    /// takes what it hands the gateway (STS's session key ring, the OIDC provider's backend
    /// credentials).
    pub fn extension(mut self, extension: &dyn Extension) -> Result<Self, EndpointError> {
        self.inner.endpoints.register(extension)?;
        if let Some(keys) = extension.session_keys() {
            self.inner.sessions = Some(keys);
        }
        if let Some(federation) = extension.backend_credentials() {
            self.inner.federation = Some(federation);
        }
        Ok(self)
    }

    pub fn build(self) -> Gateway {
        Gateway {
            inner: Arc::new(self.inner),
        }
    }
}

/// The gateway. Clone it freely.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

impl Gateway {
    pub fn builder(
        settings: Settings,
        buckets: Arc<dyn BucketRegistry + Send + Sync>,
        credentials: Arc<dyn CredentialRegistry + Send + Sync>,
    ) -> GatewayBuilder {
        GatewayBuilder {
            inner: Inner {
                settings,
                buckets,
                credentials,
                endpoints: EndpointRouter::new(),
                sessions: None,
                federation: None,
            },
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Decides what to do with a request.
    pub fn resolve(&self, head: RequestHead) -> Plan {
        self.resolve_traced(head).plan
    }

    /// [`Self::resolve`], also saying who the caller proved to be (for access logs).
    pub fn resolve_traced(&self, head: RequestHead) -> Resolved {
        if let Some(plan) = self.inner.endpoints.dispatch(&head) {
            let summary = self.summarize(&head);
            return Resolved { plan, summary };
        }
        // No S3 operation is an OPTIONS request.
        if head.method == Method::OPTIONS {
            let summary = self.summarize(&head);
            let plan = self.inner.preflight(&head);
            return Resolved { plan, summary };
        }
        let cors = self.inner.actual_cors(&head);
        let (request_id, resource, is_head) = (
            head.request_id.clone(),
            head.raw_path.clone(),
            head.method == Method::HEAD,
        );
        let mut summary = Summary::default();
        let plan = self
            .inner
            .resolve_s3(head, &mut summary)
            .unwrap_or_else(|e| self.inner.error_plan(&e, &request_id, &resource, is_head));
        Resolved {
            plan: cors::with_cors(plan, cors),
            summary,
        }
    }

    /// The response for an error the runtime met while executing a plan (a body over its
    /// limit, a backend that cannot be reached, a broken aws-chunked stream).
    pub fn error_response(
        &self,
        error: &Error,
        request_id: &str,
        resource: &str,
        is_head: bool,
    ) -> Response {
        match self.inner.error_plan(error, request_id, resource, is_head) {
            Plan::Respond(r) => r,
            _ => unreachable_response(),
        }
    }
}

impl Inner {
    pub(crate) fn error_plan(
        &self,
        error: &Error,
        request_id: &str,
        resource: &str,
        is_head: bool,
    ) -> Plan {
        error_plan(
            error,
            request_id,
            resource,
            is_head,
            self.settings.debug_errors,
        )
    }
}

/// An error as a plan.
pub(crate) fn error_plan(
    error: &Error,
    request_id: &str,
    resource: &str,
    is_head: bool,
    debug: bool,
) -> Plan {
    let (status, headers, body) = error_response(
        error,
        &ErrorContext {
            request_id,
            resource,
            is_head,
            debug,
        },
    );
    Plan::Respond(Response::new(status, headers, body))
}

fn unreachable_response() -> Response {
    Response::new(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        http::HeaderMap::new(),
        bytes::Bytes::new(),
    )
}

#[cfg(test)]
mod tests;
