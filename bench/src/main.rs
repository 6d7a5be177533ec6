//! `multistore-bench`: the load generator and orchestrator behind `cargo xtask bench`.
//!
//! - `run` measures the gateway against direct backend access (see [`run`] and
//!   docs/benchmarks.md) and writes `REPORT.md` and `results.csv`;
//! - `backend` is the s3s-fs server the benchmark uses as its backend (see [`backend`]).

mod backend;
mod children;
mod coalesce;
mod driver;
mod ops;
mod procfs;
mod raw;
mod report;
mod run;
mod sdk;
mod summary;
mod workloads;

use clap::{Parser, Subcommand};

/// The gateway against direct backend access, measured side by side.
#[derive(Debug, Parser)]
#[command(name = "multistore-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the benchmark (normally through `cargo xtask bench`).
    Run(run::Args),
    /// Serve s3s-fs with TCP_NODELAY (the benchmark's backend).
    Backend(backend::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => run::run(args),
        Command::Backend(args) => backend::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
