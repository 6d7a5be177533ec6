//! The TOML and JSON configuration loaders (see `multistore_fuzz::config`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::config::run(data));
