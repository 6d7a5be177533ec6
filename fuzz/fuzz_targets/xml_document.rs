//! Fuzzes the core's XML reader: any bytes must parse or fail with an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = multistore_core::codec::xml::parse_document(data, &Default::default());
});
