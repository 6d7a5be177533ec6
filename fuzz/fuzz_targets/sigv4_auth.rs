//! SigV4 parsing, canonical requests and the signers (see `multistore_fuzz::sigv4`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::sigv4::run(data));
