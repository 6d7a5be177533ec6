//! The core's XML reader: any bytes parse or fail with an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::xml::run_document(data));
