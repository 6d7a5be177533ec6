//! `cargo xtask`: multistore's project automation, written in Rust so it needs nothing but cargo.
//!
//! Every task and option is declared in [`Cli`]; `main` parses the command line and hands off to
//! one module per task:
//!
//! - [`codegen`] regenerates (or, with `--check`, verifies) `core/src/generated/`;
//! - [`test`] is the single test command the README and `.ci/run` use;
//! - [`worker`] builds, runs, deploys and smoke-tests the Cloudflare Worker;
//! - [`conformance`], [`fuzz`] and [`bench`] replay SDK traffic, fuzz the parsers and measure speed.
//!
//! Tasks find the repository through [`repo_root`], never through the current directory.

mod bench;
mod cargo;
mod codegen;
mod conformance;
mod deptree;
mod fuzz;
mod models;
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
    /// Replay recorded SDK traffic against both runtimes (issue #7).
    Conformance(conformance::Args),
    /// Build and run the cargo-fuzz targets in fuzz/ (issue #8).
    Fuzz(fuzz::Args),
    /// Benchmark the gateway against direct backend access (issue #9).
    Bench(bench::Args),
    /// The Cloudflare Worker: build | dev | deploy | smoke | wrangler.
    Worker(worker::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = repo_root();
    let result = match cli.task {
        Task::Codegen(args) => codegen::run(&root, &args),
        Task::Test => test::run(&root),
        Task::Conformance(args) => conformance::run(&root, &args),
        Task::Fuzz(args) => fuzz::run(&root, &args),
        Task::Bench(args) => bench::run(&root, &args),
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
///
/// `cargo run` names that directory at run time; the compile-time value is only the fallback
/// for a binary started by hand. Cargo's fingerprints are relative to the workspace, so a
/// shared target directory reuses an xtask built in another clone, whose compile-time path
/// would point every command at that other clone.
fn repo_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
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
