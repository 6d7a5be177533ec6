//! Table-driven routing test: the request shapes that boto3, aws-cli and aws-sdk-rust really
//! send must route to the right served operation, and everything else must be refused with the
//! right `RouteError`, never silently fall through to a data operation.
//!
//! The boto3 and aws-cli rows were captured from boto3/botocore 1.43.11 and aws-cli 1.45.11
//! (path-style addressing, through a logging proxy in front of moto). The aws-sdk-rust rows are
//! derived from the model's `http` URIs (literal query first, `x-id` where the URI has one,
//! then the `httpQuery` members in model order), not captured. Rows live in `router_table/`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use http::{HeaderMap, HeaderName, HeaderValue};
use multistore_core::codec::query_form::parse_form;
use multistore_core::codec::route::{PathShape, RouteError, RouteRequest};
use multistore_core::s3::{ROUTES, S3Operation, route};

#[path = "router_table/awscli.rs"]
mod awscli;
#[path = "router_table/boto3.rs"]
mod boto3;
#[path = "router_table/edge.rs"]
mod edge;
#[path = "router_table/refused.rs"]
mod refused;
#[path = "router_table/sdk_rust.rs"]
mod sdk_rust;

/// Where a row's shape comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Client {
    /// Captured from boto3.
    Boto3,
    /// Captured from `aws s3api …` and `aws s3 …`.
    AwsCli,
    /// Derived from the model URIs (what smithy-rs generates), not captured.
    SdkRust,
    /// Hand-written: legal but unusual shapes, and requests that must be refused.
    Edge,
}

/// One request and what the router must answer.
struct Row {
    client: Client,
    name: &'static str,
    method: &'static str,
    /// The path-style request target as sent on the wire: path, then the raw (encoded) query.
    target: &'static str,
    /// Header names, optionally `name: value`. Routing only looks at presence.
    headers: &'static [&'static str],
    expect: Result<S3Operation, RouteError>,
}

impl Row {
    fn new(
        client: Client,
        name: &'static str,
        method: &'static str,
        target: &'static str,
        headers: &'static [&'static str],
        expect: Result<S3Operation, RouteError>,
    ) -> Self {
        Self {
            client,
            name,
            method,
            target,
            headers,
            expect,
        }
    }
}

fn not_implemented(operation: &'static str) -> Result<S3Operation, RouteError> {
    Err(RouteError::NotImplemented { operation })
}

fn unsupported(key: &str) -> Result<S3Operation, RouteError> {
    Err(RouteError::UnsupportedQuery {
        key: key.to_owned(),
    })
}

fn missing(operation: &'static str, missing: &'static str) -> Result<S3Operation, RouteError> {
    Err(RouteError::MissingRequired { operation, missing })
}

fn method_not_allowed(method: &str) -> Result<S3Operation, RouteError> {
    Err(RouteError::MethodNotAllowed {
        method: method.to_owned(),
    })
}

fn conflicting_x_id(x_id: &str, operation: &'static str) -> Result<S3Operation, RouteError> {
    Err(RouteError::ConflictingXId {
        x_id: x_id.to_owned(),
        operation,
    })
}

fn all_rows() -> Vec<Row> {
    [
        boto3::rows(),
        awscli::rows(),
        sdk_rust::rows(),
        edge::rows(),
        refused::rows(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `/` is the service, `/b` and `/b/` a bucket, anything longer an object.
fn path_shape(path: &str) -> PathShape {
    let rest = path.strip_prefix('/').expect("a path-style path");
    match rest.split_once('/') {
        None if rest.is_empty() => PathShape::Root,
        None | Some((_, "")) => PathShape::Bucket,
        Some(_) => PathShape::Object,
    }
}

/// Header-signed requests carry these too; presigned ones carry only host and user-agent.
const SIGNED: &[&str] = &["authorization", "x-amz-date", "x-amz-content-sha256"];
const ALWAYS: &[&str] = &["host", "user-agent"];

fn header_map(row: &Row, presigned: bool) -> HeaderMap {
    let mut map = HeaderMap::new();
    let auth = if presigned { &[][..] } else { SIGNED };
    // A row's own header replaces a default of the same name.
    for spec in ALWAYS.iter().chain(auth).chain(row.headers) {
        let (name, value) = spec.split_once(": ").unwrap_or((spec, "1"));
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        map.insert(
            name,
            HeaderValue::from_str(value).expect("a valid header value"),
        );
    }
    map
}

fn check(row: &Row) -> Result<(), String> {
    let (path, raw_query) = row.target.split_once('?').unwrap_or((row.target, ""));
    let query = parse_form(raw_query);
    let presigned = query
        .iter()
        .any(|(k, _)| k == "X-Amz-Signature" || k == "Signature");
    let headers = header_map(row, presigned);
    let request = RouteRequest {
        method: row.method,
        shape: path_shape(path),
        query: &query,
        headers: &headers,
    };
    let got = catch_unwind(AssertUnwindSafe(|| route(&request))).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("");
        format!("the router panicked: {message}")
    })?;
    if got == row.expect {
        return Ok(());
    }
    let show = |r: &Result<S3Operation, RouteError>| match r {
        Ok(op) => format!("Ok({})", op.name()),
        Err(e) => format!("Err({e:?})"),
    };
    Err(format!("got {}, want {}", show(&got), show(&row.expect)))
}

#[test]
fn every_row_routes_as_expected() {
    let rows = all_rows();
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            check(row).err().map(|why| {
                let hdrs = row.headers.join(", ");
                format!(
                    "[{:?}] {}: {} {} [{hdrs}]: {why}",
                    row.client, row.name, row.method, row.target
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn every_served_operation_has_a_row_from_every_client() {
    let rows = all_rows();
    let mut gaps = Vec::new();
    for client in [Client::Boto3, Client::AwsCli, Client::SdkRust] {
        for &op in S3Operation::ALL {
            if !rows
                .iter()
                .any(|r| r.client == client && r.expect == Ok(op))
            {
                gaps.push(format!("{client:?} has no row for {}", op.name()));
            }
        }
    }
    assert!(gaps.is_empty(), "coverage gaps:\n{}", gaps.join("\n"));
}

#[test]
fn every_unserved_model_operation_has_a_refusal_row() {
    let rows = all_rows();
    let gaps: Vec<&str> = ROUTES
        .iter()
        .filter(|r| r.target.is_none())
        .map(|r| r.operation)
        .filter(|&op| {
            !rows.iter().any(|row| {
                matches!(&row.expect, Err(RouteError::NotImplemented { operation }) if *operation == op)
            })
        })
        .collect();
    assert!(
        gaps.is_empty(),
        "unserved operations with no NotImplemented row: {gaps:?}"
    );
}

#[test]
fn path_shapes_follow_s3() {
    assert_eq!(path_shape("/"), PathShape::Root);
    assert_eq!(path_shape("/b"), PathShape::Bucket);
    assert_eq!(path_shape("/b/"), PathShape::Bucket);
    assert_eq!(path_shape("/b/k"), PathShape::Object);
    assert_eq!(path_shape("/b/dir/"), PathShape::Object);
}
