//! The native runtime of multistore: the `multistore` command line, and the hyper + tokio
//! server that feeds requests to `multistore-core` and performs the I/O it plans.
//!
//! ```text
//! cli ─▶ serve (config or the embedded default) ─▶ server (accept, limits, graceful shutdown)
//!          └▶ gateway.resolve(head) ─▶ execute (plans) ─▶ backend (pooled HTTP client | embedded store)
//! ```

pub mod admin;
pub mod backend;
pub mod cli;
pub mod embedded;
pub mod execute;
pub mod serve;
pub mod server;
pub mod store;
pub mod telemetry;
