//! Non-S3 endpoints (STS, OIDC discovery, health, …), matched by path before any S3
//! routing. An extension registers all its routes in one call; a handler may decline a
//! request (return `None`) so that S3 routing sees it, as STS does for a `GET /` without an
//! `Action` parameter.
//!
//! matchit (a radix tree) does the path matching; S3 bucket names can never collide with
//! these paths because they cannot start with `.` and the root only carries S3 list calls.

use std::borrow::Cow;
use std::sync::Arc;

use http::Method;

use super::plan::Plan;
use super::request::RequestHead;

/// Path parameters captured by a route pattern (`/{name}`).
pub type Params = Vec<(String, String)>;

/// Handles requests on registered paths.
pub trait RouteHandler: Send + Sync {
    /// The plan for this request, or `None` to let S3 routing handle it.
    fn handle(&self, head: &RequestHead, params: &Params) -> Option<Plan>;
}

/// One route: a path pattern, the methods it answers, and the handler.
pub struct Endpoint {
    pub path: Cow<'static, str>,
    pub methods: &'static [Method],
    pub handler: Arc<dyn RouteHandler>,
}

/// Something that adds endpoints (the STS service, the OIDC provider, …), and may hand the
/// gateway what its own pipeline needs from it.
pub trait Extension {
    fn endpoints(&self) -> Vec<Endpoint>;

    /// The key ring that opens the session tokens this extension mints (STS): requests
    /// signed with a temporary key authenticate through it.
    fn session_keys(&self) -> Option<Arc<crate::identity::session::SessionKeyRing>> {
        None
    }

    /// Where backends with `auth = "oidc"` get their temporary credentials (the OIDC
    /// provider).
    fn backend_credentials(&self) -> Option<Arc<crate::identity::federation::Federation>> {
        None
    }
}

/// Why registration failed.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("route {path} conflicts with an existing route: {message}")]
    Conflict { path: String, message: String },
}

/// The handlers of one path, with the methods each answers.
type Handlers = Vec<(Vec<Method>, Arc<dyn RouteHandler>)>;

/// The endpoint router.
#[derive(Default)]
pub struct EndpointRouter {
    router: matchit::Router<Handlers>,
    /// Patterns already inserted, so several methods can share one path.
    paths: Vec<String>,
}

impl EndpointRouter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers every endpoint of an extension.
    pub fn register(&mut self, extension: &dyn Extension) -> Result<(), EndpointError> {
        for endpoint in extension.endpoints() {
            self.add(endpoint)?;
        }
        Ok(())
    }

    /// Adds one endpoint; several endpoints may share a path with different methods.
    pub fn add(&mut self, endpoint: Endpoint) -> Result<(), EndpointError> {
        let conflict = |message: String| EndpointError::Conflict {
            path: endpoint.path.to_string(),
            message,
        };
        if !self.paths.iter().any(|p| *p == endpoint.path) {
            self.router
                .insert(endpoint.path.to_string(), Vec::new())
                .map_err(|e| conflict(e.to_string()))?;
            self.paths.push(endpoint.path.to_string());
        }
        // Looking a pattern up as a path finds the pattern itself (`{id}` matches `{id}`).
        let entry = self
            .router
            .at_mut(&endpoint.path)
            .map_err(|e| conflict(e.to_string()))?;
        entry
            .value
            .push((endpoint.methods.to_vec(), endpoint.handler));
        Ok(())
    }

    /// The plan of the first handler that takes this request.
    pub fn dispatch(&self, head: &RequestHead) -> Option<Plan> {
        let matched = self.router.at(&head.raw_path).ok()?;
        let params: Params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        matched
            .value
            .iter()
            .filter(|(methods, _)| methods.contains(&head.method))
            .find_map(|(_, handler)| handler.handle(head, &params))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, StatusCode};

    use super::*;
    use crate::codec::scalar::DateTime;
    use crate::gateway::plan::Response;

    struct Fixed(&'static str, bool);

    impl RouteHandler for Fixed {
        fn handle(&self, _head: &RequestHead, params: &Params) -> Option<Plan> {
            let body = format!(
                "{}{}",
                self.0,
                params
                    .iter()
                    .map(|(k, v)| format!(" {k}={v}"))
                    .collect::<String>()
            );
            self.1.then(|| {
                Plan::Respond(Response::new(
                    StatusCode::OK,
                    HeaderMap::new(),
                    Bytes::from(body),
                ))
            })
        }
    }

    struct Ext;

    impl Extension for Ext {
        fn endpoints(&self) -> Vec<Endpoint> {
            vec![
                Endpoint {
                    path: "/.well-known/jwks.json".into(),
                    methods: &[Method::GET],
                    handler: Arc::new(Fixed("jwks", true)),
                },
                Endpoint {
                    path: "/".into(),
                    methods: &[Method::GET],
                    handler: Arc::new(Fixed("declines", false)),
                },
                Endpoint {
                    path: "/".into(),
                    methods: &[Method::POST],
                    handler: Arc::new(Fixed("sts", true)),
                },
                Endpoint {
                    path: "/.keys/{id}".into(),
                    methods: &[Method::GET],
                    handler: Arc::new(Fixed("key", true)),
                },
            ]
        }
    }

    fn head(method: Method, path: &str) -> RequestHead {
        RequestHead {
            method,
            raw_path: path.to_owned(),
            raw_query: String::new(),
            headers: HeaderMap::new(),
            client_ip: None,
            now: DateTime::from_secs(0),
            request_id: "r".to_owned(),
        }
    }

    fn body(plan: Option<Plan>) -> Option<String> {
        match plan? {
            Plan::Respond(r) => Some(String::from_utf8_lossy(&r.body).into_owned()),
            _ => None,
        }
    }

    #[test]
    fn extensions_register_in_one_call_and_match_by_path_and_method() {
        let mut router = EndpointRouter::new();
        router.register(&Ext).unwrap();
        assert_eq!(
            body(router.dispatch(&head(Method::GET, "/.well-known/jwks.json"))).as_deref(),
            Some("jwks")
        );
        assert_eq!(
            body(router.dispatch(&head(Method::POST, "/"))).as_deref(),
            Some("sts")
        );
        assert_eq!(
            body(router.dispatch(&head(Method::GET, "/.keys/k1"))).as_deref(),
            Some("key id=k1")
        );
        assert!(
            router.dispatch(&head(Method::GET, "/")).is_none(),
            "a declining handler leaves it to S3"
        );
        assert!(
            router
                .dispatch(&head(Method::PUT, "/.well-known/jwks.json"))
                .is_none()
        );
        assert!(router.dispatch(&head(Method::GET, "/bucket/key")).is_none());
    }
}
