//! multistore's conformance suite: real S3 clients' traffic, recorded against a reference
//! backend, replayed against both runtimes (native, and the Worker under workerd) in front of
//! real backends, each response compared with the reference's after a documented normalization.
//!
//! ```text
//! record:  client ─▶ proxy (records) ─▶ moto   (or gateway ─▶ moto, for the auth scenarios)
//!            └─▶ conformance/traffic/<client>/<scenario>.txt
//! replay:  traffic file ─▶ substitute ids ─▶ re-sign ─▶ raw HTTP/1.1 ─▶ runtime ─▶ backend
//!            └─▶ normalize + compare ─▶ matrix ─▶ conformance/REPORT.md
//! ```
//!
//! See `docs/conformance.md` for the format, the normalization and the exceptions.

pub mod compare;
pub mod env;
pub mod exceptions;
pub mod http1;
pub mod label;
pub mod minio;
pub mod proxy;
pub mod record;
pub mod replay;
pub mod report;
pub mod resign;
pub mod scenarios;
pub mod traffic;
