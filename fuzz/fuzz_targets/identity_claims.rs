//! Role trust policies and `{claim}` scope templates (see `multistore_fuzz::identity`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| multistore_fuzz::identity::run(data));
