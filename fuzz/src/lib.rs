//! The harnesses behind multistore's fuzz targets: one module per target, each with a `run`
//! function that a three-line file in `fuzz_targets/` hands libFuzzer's input to.
//!
//! Every harness feeds untrusted bytes to one public entry point of `multistore-core` (or, for
//! `key_paths`, the native directory store's key map) and asserts what must hold for *any*
//! input: no panic, and where there is one, an invariant a bug would break (what the signer
//! signs the verifier accepts, what a reader accepts the writer writes back the same, a
//! decoder fed in pieces agrees with one fed at once, a key maps to a path and back).

pub mod chunked;
pub mod config;
pub mod gateway;
pub mod http_text;
pub mod identity;
pub mod keys;
pub mod s3_bindings;
pub mod sigv4;
pub mod tokens;
pub mod xml;

use http::{HeaderMap, HeaderName, HeaderValue};

/// A header map from arbitrary pairs, skipping the ones `http` refuses (bad names or values):
/// the runtimes never hand the core such headers either.
pub fn header_map(pairs: &[(String, Vec<u8>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            map.append(name, value);
        }
    }
    map
}
