//! Tasks that `cargo xtask --help` announces but that are not written yet.
//!
//! Each one exits with status 2 and names the issue that will implement it. When a task lands,
//! give it its own module (`conformance.rs`, `fuzz.rs`, `bench.rs`), dispatch to it
//! from `main.rs`, and drop its arm here.

use std::process::ExitCode;

/// The exit status of a task that is not implemented yet.
const NOT_IMPLEMENTED: u8 = 2;

/// Says which issue will implement the task, and exits with status 2.
pub(crate) fn not_implemented(issue: u32) -> ExitCode {
    eprintln!("{}", message(issue));
    ExitCode::from(NOT_IMPLEMENTED)
}

fn message(issue: u32) -> String {
    format!("not implemented yet: see issue #{issue}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_issue() {
        assert_eq!(message(7), "not implemented yet: see issue #7");
    }
}
