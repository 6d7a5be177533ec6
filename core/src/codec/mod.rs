//! The hand-written runtime that generated code stands on: XML reading and writing, scalar
//! text forms (numbers, booleans, timestamps, blobs), HTTP binding helpers, the routing
//! engine, the awsQuery form codec, and proptest strategies and round-trip checks for tests.

pub mod http;
pub mod path;
pub mod query_form;
pub mod query_value;
pub mod route;
pub mod scalar;
pub mod xml;
pub mod xml_value;

#[cfg(any(test, feature = "arbitrary"))]
pub mod arb;
#[cfg(any(test, feature = "arbitrary"))]
pub mod roundtrip;
