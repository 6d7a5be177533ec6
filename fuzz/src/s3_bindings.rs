//! `s3_bindings`: the router and the HTTP bindings of every served operation, over arbitrary
//! methods, paths, queries, headers and bodies, as the gateway runs them after the address:
//! `split_path_style` → `parse_query` → `s3::route` → `S3Request::from_http`.
//!
//! Any request routes or is refused with a `RouteError`, and binds or is refused with a
//! `BindingError`. A request that binds is written back with `to_http` (as the gateway sends
//! it on) and read again; from then on write-then-read is the identity.

use multistore_core::codec::http::HttpRequest;
use multistore_core::codec::path::split_path_style;
use multistore_core::codec::route::RouteRequest;
use multistore_core::gateway::request::parse_query;
use multistore_core::s3::{S3Request, route};

/// Runs the target on a request in the text form of [`crate::http_text`] (its control byte
/// is unused).
pub fn run(data: &[u8]) {
    let Some(request) = crate::http_text::parse(data) else {
        return;
    };
    let method = request.method;
    let Ok(path) = split_path_style(&request.raw_path) else {
        return;
    };
    let Ok(query) = parse_query(&request.raw_query) else {
        return;
    };
    let headers = request.headers;
    let Ok(operation) = route(&RouteRequest {
        method: method.as_str(),
        shape: path.shape,
        query: &query,
        headers: &headers,
    }) else {
        return;
    };
    let req = HttpRequest {
        method: &method,
        bucket: path.bucket.as_deref(),
        key: path.key.as_deref(),
        query: &query,
        headers: &headers,
    };
    let Ok(read) = S3Request::from_http(
        operation,
        &req,
        Some(request.body).filter(|b| !b.is_empty()),
    ) else {
        return;
    };
    assert_eq!(read.operation(), operation);
    crate::xml::fixed_point(&format!("{operation:?}"), read, |value| {
        crate::xml::rewrite_request(operation, value)
    });
}
