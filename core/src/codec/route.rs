//! The S3 routing engine: matches a request's (method, path shape, query, headers) against
//! the generated route table, which lists *every* operation of the S3 model.
//!
//! Rules, in order:
//! 1. No operation of the model has this method on this path shape: `MethodNotAllowed`.
//! 2. Within the group, routes are tried most specific first. A route matches when all its
//!    literal query keys are present (with their literal value, if any) and its required
//!    query members and headers are present. A route whose literals matched but which misses
//!    a required member is remembered as the near miss.
//! 3. An `x-id` parameter (sent by some SDKs, never required) must name the chosen operation.
//! 4. Every query key must be consumed by the chosen operation (a literal, one of its query
//!    members, `x-id`, or an `X-Amz-*` auth parameter). A key that some *other* operation
//!    uses (`tagging`, `uploadId`, `partNumber`, …), or an unknown key without a value
//!    (an unknown subresource), refuses the request: it never falls through to a different
//!    operation. Unknown keys with a value (cache busters) are ignored, as S3 does.
//! 5. A recognised operation that multistore does not serve: `NotImplemented`.

use http::HeaderMap;

/// The path shape of a request: `/`, `/bucket`, or `/bucket/key…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathShape {
    Root,
    Bucket,
    Object,
}

/// One generated row of the route table.
#[derive(Debug)]
pub struct Route<Op: 'static> {
    /// The operation's model name.
    pub operation: &'static str,
    /// The served operation, or `None` for an operation multistore does not serve.
    pub target: Option<Op>,
    pub method: &'static str,
    pub shape: PathShape,
    pub literals: &'static [(&'static str, Option<&'static str>)],
    pub x_id: Option<&'static str>,
    pub required_query: &'static [&'static str],
    pub required_headers: &'static [&'static str],
    pub query_params: &'static [&'static str],
}

/// What the router looks at.
#[derive(Clone, Copy, Debug)]
pub struct RouteRequest<'a> {
    pub method: &'a str,
    pub shape: PathShape,
    /// Decoded query pairs, in order.
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
}

/// Why a request does not route to a served operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("the method {method} is not allowed against this resource")]
    MethodNotAllowed { method: String },
    #[error("{operation} is not implemented")]
    NotImplemented { operation: &'static str },
    #[error("the query parameter {key:?} is not supported for this request")]
    UnsupportedQuery { key: String },
    #[error("{operation} requires {missing}")]
    MissingRequired {
        operation: &'static str,
        missing: &'static str,
    },
    #[error("x-id {x_id:?} does not match the operation {operation}")]
    ConflictingXId {
        x_id: String,
        operation: &'static str,
    },
}

fn value<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl<Op> Route<Op> {
    fn literals_match(&self, query: &[(String, String)]) -> bool {
        self.literals
            .iter()
            .all(|(k, lit)| match (value(query, k), lit) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(v), Some(lit)) => v == *lit,
            })
    }

    /// The required members the request lacks.
    fn missing(&self, query: &[(String, String)], headers: &HeaderMap) -> Vec<&'static str> {
        let q = self
            .required_query
            .iter()
            .filter(|k| value(query, k).is_none());
        let h = self
            .required_headers
            .iter()
            .filter(|h| !headers.contains_key(**h));
        q.chain(h).copied().collect()
    }

    /// Whether two routes need exactly the same things (so they differ only by `x-id`).
    fn same_requirements(&self, other: &Self) -> bool {
        fn sorted<T: Ord + Copy>(v: &[T]) -> Vec<T> {
            let mut v = v.to_vec();
            v.sort_unstable();
            v
        }
        sorted(self.literals) == sorted(other.literals)
            && sorted(self.required_query) == sorted(other.required_query)
            && sorted(self.required_headers) == sorted(other.required_headers)
    }

    fn consumes(&self, key: &str) -> bool {
        key == "x-id"
            || key
                .as_bytes()
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"x-amz-"))
            || self.literals.iter().any(|(k, _)| *k == key)
            || self.query_params.contains(&key)
    }
}

/// A route whose literals matched but which lacks required members.
struct NearMiss<Op: 'static> {
    route: &'static Route<Op>,
    first_missing: &'static str,
    missing: usize,
}

/// Routes a request through `routes` (generated, most specific first per group).
pub fn route<Op: Copy + 'static>(
    routes: &'static [Route<Op>],
    known_keys: &[&str],
    req: &RouteRequest<'_>,
) -> Result<Op, RouteError> {
    let group = || {
        routes
            .iter()
            .filter(|r| r.method == req.method && r.shape == req.shape)
    };
    if group().next().is_none() {
        return Err(RouteError::MethodNotAllowed {
            method: req.method.to_owned(),
        });
    }
    // The near miss is the route whose literals matched and that lacks the fewest required
    // members (UploadPart, not UploadPartCopy, for `?partNumber=1` without a copy source).
    let mut near_miss: Option<NearMiss<Op>> = None;
    let mut chosen = None;
    for r in group() {
        if !r.literals_match(req.query) {
            continue;
        }
        let missing = r.missing(req.query, req.headers);
        match missing.first() {
            None => {
                chosen = Some(r);
                break;
            }
            Some(&first_missing) => {
                if near_miss.as_ref().is_none_or(|n| missing.len() < n.missing) {
                    near_miss = Some(NearMiss {
                        route: r,
                        first_missing,
                        missing: missing.len(),
                    });
                }
            }
        }
    }
    let refuse = |miss: &NearMiss<Op>| match miss.route.target {
        Some(_) => RouteError::MissingRequired {
            operation: miss.route.operation,
            missing: miss.first_missing,
        },
        None => RouteError::NotImplemented {
            operation: miss.route.operation,
        },
    };
    let Some(mut chosen) = chosen else {
        return Err(match &near_miss {
            Some(miss) => refuse(miss),
            None => RouteError::NotImplemented {
                operation: "this request",
            },
        });
    };
    if let Some(x_id) = value(req.query, "x-id")
        && chosen.x_id != Some(x_id)
    {
        // Only operations that need exactly the same things may be told apart by x-id; it
        // never overrides what the request's parameters and headers say.
        match group().find(|r| r.x_id == Some(x_id) && r.same_requirements(chosen)) {
            Some(twin) => chosen = twin,
            None => {
                return Err(RouteError::ConflictingXId {
                    x_id: x_id.to_owned(),
                    operation: chosen.operation,
                });
            }
        }
    }
    for (key, v) in req.query {
        if chosen.consumes(key) {
            continue;
        }
        if known_keys.contains(&key.as_str()) {
            return Err(match &near_miss {
                Some(miss) if miss.route.consumes(key) => refuse(miss),
                _ => RouteError::UnsupportedQuery { key: key.clone() },
            });
        }
        if v.is_empty() {
            return Err(RouteError::UnsupportedQuery { key: key.clone() });
        }
    }
    chosen.target.ok_or(RouteError::NotImplemented {
        operation: chosen.operation,
    })
}
