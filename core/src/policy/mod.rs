//! Policy tables: which headers cross to backends and back.

pub mod headers;
