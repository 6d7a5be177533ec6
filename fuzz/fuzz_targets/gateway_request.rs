//! Whole requests through `Gateway::resolve` (see `multistore_fuzz::gateway`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::gateway::run(data));
