//! `cargo xtask conformance`: Replay recorded SDK traffic against both runtimes (issue #7).
//!
//! Work in progress: [`run`] is not written yet, and [`ci_step`] (called by `cargo xtask test`)
//! is a no-op until it is.

use std::path::Path;

use crate::cargo::ChildEnv;

/// Options of `cargo xtask conformance`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Arguments (not defined yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `cargo xtask conformance`.
pub(crate) fn run(_root: &Path, _args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet: see issue #7")
}

/// The `cargo xtask test` step.
pub(crate) fn ci_step(_root: &Path, _env: &ChildEnv) -> anyhow::Result<()> {
    println!("skipped: not implemented yet (issue #7)");
    Ok(())
}
