//! `cargo xtask bench`: Benchmark the gateway against direct backend access (issue #9).
//!
//! Work in progress: [`run`] is not written yet.

use std::path::Path;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Arguments (not defined yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `cargo xtask bench`.
pub(crate) fn run(_root: &Path, _args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet: see issue #9")
}
