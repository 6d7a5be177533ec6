//! The router and every operation's HTTP binding (see `multistore_fuzz::s3_bindings`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::s3_bindings::run(data));
