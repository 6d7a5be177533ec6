//! CORS, answered by the gateway from the client bucket's configured rules (`[[buckets.cors]]`)
//! the way S3 answers it, for both runtimes. Backends never see a preflight, and their own
//! `Access-Control-*` headers never reach the client (see `policy::headers`).
//!
//! **Preflight** (`OPTIONS /bucket[/key]`, path- or virtual-hosted, no authentication): the
//! first rule that allows the `Origin`, the `Access-Control-Request-Method` and every header of
//! `Access-Control-Request-Headers` (case-insensitively) answers `200` with
//!
//! | header | value |
//! |---|---|
//! | `Access-Control-Allow-Origin` | the request's origin, or `*` when the rule allows origin `*` |
//! | `Access-Control-Allow-Credentials` | `true`, unless the origin answered is `*` |
//! | `Access-Control-Allow-Methods` | the rule's methods |
//! | `Access-Control-Allow-Headers` | the requested headers, lower-cased (when any) |
//! | `Access-Control-Expose-Headers` | the rule's expose headers (when any) |
//! | `Access-Control-Max-Age` | the rule's `max_age_seconds` (when set) |
//! | `Vary` | `Origin, Access-Control-Request-Headers, Access-Control-Request-Method` |
//!
//! No `Origin`: `400 InvalidRequest`. Unknown bucket: `NoSuchBucket`. A bucket without rules,
//! or no rule matching: `403 AccessDenied` (S3's `AccessForbidden`, see [`Error::CorsForbidden`]).
//!
//! **Actual requests** to a bucket with rules: every response the gateway gives (built by the
//! gateway, errors included, relayed or rewritten backend answers) carries `Vary: Origin`;
//! when the request's `Origin` and method match a rule, also `Access-Control-Allow-Origin`,
//! `Access-Control-Allow-Credentials` (as above) and `Access-Control-Expose-Headers`.
//!
//! `Access-Control-Allow-Credentials: true` is what S3 sends for a rule without origin `*`.
//! It grants nothing here beyond S3's own behaviour: the gateway authenticates with SigV4
//! (a header or query the page's script adds), never with cookies or other ambient
//! credentials a browser would attach.

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, HeaderName, HeaderValue, ORIGIN,
    VARY,
};
use http::{HeaderMap, StatusCode};

use crate::config::CorsRule;
use crate::error::Error;

use super::Inner;
use super::addressing::address;
use super::plan::{Forward, NeedsBody, Pipe, PipeNext, Plan, Response, ResponseMode};
use super::request::RequestHead;

/// S3's message when no rule allows a preflight.
const NOT_ALLOWED: &str = "This CORS request is not allowed. This is usually because the \
    evalution of Origin, request method / Access-Control-Request-Method or \
    Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
/// S3's message for a preflight to a bucket without CORS rules.
const NOT_ENABLED: &str = "CORS is not enabled for this bucket.";
/// `Vary` of a preflight answer, as S3 sends it.
const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

impl Inner {
    /// Answers an `OPTIONS` request (a CORS preflight).
    pub(crate) fn preflight(&self, head: &RequestHead) -> Plan {
        match self.preflight_headers(head) {
            Ok(mut headers) => {
                if let Ok(id) = HeaderValue::from_str(&head.request_id) {
                    headers.insert("x-amz-request-id", id);
                }
                Plan::Respond(Response::new(StatusCode::OK, headers, Default::default()))
            }
            Err(e) => self.error_plan(&e, &head.request_id, &head.raw_path, false),
        }
    }

    fn preflight_headers(&self, head: &RequestHead) -> Result<HeaderMap, Error> {
        let origin = head
            .header(ORIGIN.as_str())
            .ok_or(Error::CorsMissingOrigin)?;
        let path = address(
            head.header("host"),
            &head.raw_path,
            &self.settings.virtual_host_domains,
        )?;
        let bucket = path.bucket.ok_or(Error::CorsForbidden(NOT_ALLOWED))?;
        let rules = self.lookup(&bucket)?.cors;
        if rules.is_empty() {
            return Err(Error::CorsForbidden(NOT_ENABLED));
        }
        // Without Access-Control-Request-Method there is no method any rule allows.
        let method = head
            .header(ACCESS_CONTROL_REQUEST_METHOD.as_str())
            .unwrap_or_default();
        let requested = requested_headers(&head.headers);
        let rule = rules
            .iter()
            .find(|r| {
                r.allows_origin(origin)
                    && r.allows_method(method)
                    && r.allows_headers(requested.iter().map(String::as_str))
            })
            .ok_or(Error::CorsForbidden(NOT_ALLOWED))?;
        let mut headers = allow_origin(rule, origin);
        let methods: Vec<&str> = rule.allowed_methods.iter().map(|m| m.as_str()).collect();
        set(
            &mut headers,
            ACCESS_CONTROL_ALLOW_METHODS,
            &methods.join(", "),
        );
        if !requested.is_empty() {
            set(
                &mut headers,
                ACCESS_CONTROL_ALLOW_HEADERS,
                &requested.join(", "),
            );
        }
        if let Some(age) = rule.max_age_seconds {
            set(&mut headers, ACCESS_CONTROL_MAX_AGE, &age.to_string());
        }
        set(&mut headers, VARY, PREFLIGHT_VARY);
        Ok(headers)
    }

    /// The CORS headers for the responses to an actual (non-preflight) request, when its
    /// bucket has CORS rules.
    pub(crate) fn actual_cors(&self, head: &RequestHead) -> Option<HeaderMap> {
        let path = address(
            head.header("host"),
            &head.raw_path,
            &self.settings.virtual_host_domains,
        )
        .ok()?;
        let rules = self.buckets.lookup(path.bucket.as_deref()?)?.cors;
        if rules.is_empty() {
            return None;
        }
        // The answer depends on Origin whether or not this request sent one.
        let mut headers = HeaderMap::new();
        set(&mut headers, VARY, "Origin");
        let origin = head.header(ORIGIN.as_str());
        let rule = origin.and_then(|origin| {
            rules
                .iter()
                .find(|r| r.allows_origin(origin) && r.allows_method(head.method.as_str()))
        });
        if let (Some(origin), Some(rule)) = (origin, rule) {
            headers.extend(allow_origin(rule, origin));
        }
        Some(headers)
    }
}

/// The headers of `Access-Control-Request-Headers` (all occurrences), trimmed, lower-cased.
fn requested_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// Allow-Origin (with Allow-Credentials) and Expose-Headers for a matching rule.
fn allow_origin(rule: &CorsRule, origin: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if rule.allowed_origins.iter().any(|o| o == "*") {
        set(&mut headers, ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    } else {
        set(&mut headers, ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        set(&mut headers, ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    if !rule.expose_headers.is_empty() {
        let expose = rule.expose_headers.join(", ");
        set(&mut headers, ACCESS_CONTROL_EXPOSE_HEADERS, &expose);
    }
    headers
}

/// Sets a header; values come from validated rules or from request headers, so one that is
/// not a valid header value is left out rather than answered wrongly.
fn set(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// Adds CORS headers to a response's headers: `Vary` is added to the backend's, every other
/// header replaces any of the same name.
pub(crate) fn add_headers(headers: &mut HeaderMap, cors: &HeaderMap) {
    for (name, value) in cors {
        if name == VARY {
            headers.append(name, value.clone());
        } else {
            headers.insert(name, value.clone());
        }
    }
}

/// Gives every response a plan can lead to the CORS headers `cors`: built responses, relayed
/// and rewritten backend answers, and what follows a body read or a copy source.
pub(crate) fn with_cors(plan: Plan, cors: Option<HeaderMap>) -> Plan {
    let Some(cors) = cors else {
        return plan;
    };
    match plan {
        Plan::Respond(mut response) => {
            add_headers(&mut response.headers, &cors);
            Plan::Respond(response)
        }
        Plan::Forward(forward) => Plan::Forward(forward_with_cors(forward, cors)),
        Plan::NeedsBody(NeedsBody {
            limit,
            decode,
            then,
        }) => Plan::NeedsBody(NeedsBody {
            limit,
            decode,
            then: Box::new(move |body| with_cors(then(body), Some(cors))),
        }),
        Plan::Pipe(pipe) => {
            let Pipe { source, then } = *pipe;
            Plan::Pipe(Box::new(Pipe {
                source,
                then: Box::new(move |status, headers| match then(status, headers) {
                    PipeNext::Write(forward) => PipeNext::Write(forward_with_cors(forward, cors)),
                    PipeNext::Respond(mut response) => {
                        add_headers(&mut response.headers, &cors);
                        PipeNext::Respond(response)
                    }
                }),
            }))
        }
        Plan::Fetch(mut fetch) => {
            let then = fetch.then;
            fetch.then = Box::new(move |result| with_cors(then(result), Some(cors)));
            Plan::Fetch(fetch)
        }
    }
}

fn forward_with_cors(mut forward: Box<Forward>, cors: HeaderMap) -> Box<Forward> {
    if let ResponseMode::Rewrite { limit, then } =
        std::mem::replace(&mut forward.response, ResponseMode::PassThrough)
    {
        let rewrite_cors = cors.clone();
        forward.response = ResponseMode::Rewrite {
            limit,
            then: Box::new(move |status, headers, body| {
                let mut response = then(status, headers, body);
                add_headers(&mut response.headers, &rewrite_cors);
                response
            }),
        };
    }
    forward.cors = Some(cors);
    forward
}

#[cfg(test)]
mod tests;
