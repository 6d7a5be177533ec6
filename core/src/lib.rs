//! multistore's runtime-agnostic core: the S3 protocol layer generated from the official AWS
//! Smithy models, and the codecs it runs on.
//!
//! ```text
//! runtime (native / worker) ──request──▶ core: route ─▶ bind ─▶ (later: authenticate, authorize, plan)
//!                          ◀──plan──────
//! ```
//!
//! The core does no I/O and has no tokio: it builds for `wasm32-unknown-unknown`.
//! `generated/` is written by `cargo xtask codegen` and never edited by hand.

pub mod authz;
pub mod chunked;
pub mod codec;
pub mod config;
pub mod error;
pub mod gateway;
pub mod identity;
pub mod policy;
pub mod registry;
pub mod sigv4;
pub mod store;
#[rustfmt::skip]
mod generated;

/// S3 operation types, their HTTP bindings and XML code, generated from `com.amazonaws.s3#AmazonS3`.
pub mod s3 {
    pub use crate::generated::dto::*;
    pub use crate::generated::gateway::{ErrorDocument, S3ErrorCode};
    pub use crate::generated::headers;
    pub use crate::generated::ops::{S3Operation, S3Request, S3Response};
    pub use crate::generated::router::{KNOWN_QUERY_KEYS, ROUTES, route};
}

/// STS types and their awsQuery bindings, generated from `com.amazonaws.sts`.
pub mod sts {
    pub use crate::generated::gateway::{StsError, StsErrorResponse};
    pub use crate::generated::sts::*;
}

/// proptest strategies for every generated type.
#[cfg(any(test, feature = "arbitrary"))]
pub mod arbitrary {
    pub use crate::generated::arb::*;
}
