//! `cargo xtask`: multistore's project automation, written in Rust so it needs nothing but cargo.
//!
//! Every task and option is declared in [`Cli`]; `main` parses the command line and hands off to
//! one module per task:
//!
//! - [`codegen`] regenerates (or, with `--check`, verifies) `core/src/generated/`;
//! - [`test`] is the single test command the README and `.ci/run` use;
//! - [`worker`] builds, runs, deploys and smoke-tests the Cloudflare Worker;
//! - [`pending`] holds the tasks that are announced but not written yet.
//!
//! Tasks find the repository through [`repo_root`], never through the current directory.

mod cargo;
mod codegen;
mod deptree;
mod models;
mod pending;
mod test;
mod tools;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// multistore's project automation.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate core/src/generated/ from the official AWS models (or verify it with --check).
    Codegen(codegen::Args),
    /// Run every check CI runs: fmt, clippy, codegen --check, tests, the wasm32 build, the dependency rules.
    Test,
    /// Replay recorded SDK traffic against both runtimes (not implemented yet: issue #7).
    Conformance,
    /// Build and briefly run the fuzz targets in fuzz/ (not implemented yet: issue #8).
    Fuzz,
    /// Run the benchmarks (not implemented yet: issue #9).
    Bench,
    /// The Cloudflare Worker: build | dev | deploy | smoke.
    Worker(worker::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = repo_root();
    let result = match cli.task {
        Task::Codegen(args) => codegen::run(&root, &args),
        Task::Test => test::run(&root),
        // The tasks below are placeholders: replace each arm with a call into its own module.
        Task::Conformance => return pending::not_implemented(7),
        Task::Fuzz => return pending::not_implemented(8),
        Task::Bench => return pending::not_implemented(9),
        Task::Worker(args) => worker::run(&root, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root: the parent of xtask's own manifest directory.
fn repo_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask lives one directory below the repository root")
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn repo_root_holds_the_workspace_manifest() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("model/pins.toml").is_file());
    }
}
