//! Key encodings and the directory store's key map (see `multistore_fuzz::keys`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::keys::run(data));
