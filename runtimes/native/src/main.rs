//! The `multistore` binary: parses the command line and hands off to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    multistore::run(&multistore::Cli::parse())
}
