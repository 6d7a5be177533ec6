//! Web identity tokens with their JWKS, and sealed session tokens (see `multistore_fuzz::tokens`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::tokens::run(data));
