//! The aws-chunked decoder at arbitrary split points (see `multistore_fuzz::chunked`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::chunked::run(data));
