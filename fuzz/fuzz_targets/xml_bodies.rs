//! Every generated XML reader, read-write-read (see `multistore_fuzz::xml`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::xml::run_bodies(data));
