//! What every embedded store shares: the native runtime's directory and memory stores and the
//! Worker's R2 binding answer S3 requests themselves, with the same rules for byte ranges and
//! preconditions ([`conditions`]) and the same error answers ([`error`]).
//!
//! The stores themselves (their I/O, metadata and multipart bookkeeping) stay in their runtimes.

pub mod conditions;
pub mod error;

pub use conditions::{
    RangeSpec, ReadConditions, Verdict, check_write, check_write_syntax, etag_matches,
    evaluate_read, parse_range,
};
pub use error::{StoreError, StoreResult};
