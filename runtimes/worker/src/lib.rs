//! multistore as a Cloudflare Worker.
//!
//! The Worker's `fetch` handler turns each request into a [`RequestHead`] for the core's
//! [`Gateway`], then executes the [`Plan`] it gets back with the Workers APIs: `fetch` for
//! S3-compatible backends (signed by the core) and R2 bucket bindings for buckets configured
//! with `type = "r2"`. Bodies stream both ways as `ReadableStream`s; aws-chunked bodies are
//! decoded (signatures verified) by a streaming transform.
//!
//! ```text
//! fetch(req, env) ─▶ state (built once per isolate: config, registry, gateway)
//!                 ─▶ gateway.resolve(head) ─▶ Plan ─▶ wasm::execute
//!                        Respond   ─▶ the response
//!                        NeedsBody ─▶ read ≤ limit (decoded) ─▶ then(body) ─▶ …
//!                        Forward   ─▶ fetch(url) | r2 store ─▶ relay or rewrite
//!                        Pipe      ─▶ source GET ─▶ then(status, headers) ─▶ write
//! ```
//!
//! Everything that does not touch JavaScript lives in host-built modules with their tests:
//! [`config`] (loading and the per-isolate state), [`body`] (the aws-chunked transform and
//! the upload limit) and [`r2`] (how S3 operations map onto the R2 API, and the S3 answers
//! built from R2 results). The JavaScript glue is in `wasm`, compiled for `wasm32` only.
//!
//! [`RequestHead`]: multistore_core::gateway::RequestHead
//! [`Gateway`]: multistore_core::gateway::Gateway
//! [`Plan`]: multistore_core::gateway::Plan

pub mod body;
pub mod config;
pub mod r2;
pub mod request;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use config::{CONFIG_BINDING, LoadError, Loaded, MissingConfig, config_binding};
