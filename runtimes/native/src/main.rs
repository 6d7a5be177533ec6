//! The `multistore` binary: parses the command line and hands off to the library.

use std::process::ExitCode;

use clap::Parser;
use multistore::cli::{Cli, run};

fn main() -> ExitCode {
    run(Cli::parse())
}
