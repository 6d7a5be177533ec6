//! The native runtime of multistore: the `multistore` command line, and (with issue #4) the
//! hyper + tokio server that feeds requests to `multistore-core` and performs the I/O it plans.
//!
//! For now only the command line exists; every command that would do work says so and exits
//! with status 2.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// The exit status of a command that is not implemented yet.
const NOT_IMPLEMENTED: u8 = 2;

/// multistore: an S3-compatible gateway.
#[derive(Debug, PartialEq, Eq, Parser)]
#[command(name = "multistore", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the gateway.
    Serve(ServeArgs),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// Options of `multistore serve`.
#[derive(Debug, Default, PartialEq, Eq, Args)]
pub struct ServeArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The address the S3 endpoint listens on.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Where the local backend keeps its data.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The address of the admin endpoint (health, metrics); off unless given.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    /// Serve requests that carry no credentials, where the configuration allows it.
    #[arg(long)]
    pub allow_anonymous: bool,
}

/// `multistore config …`.
#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file and report every problem in it.
    Check {
        /// The configuration file.
        file: PathBuf,
    },
}

/// Runs a parsed command line and returns the process exit status.
pub fn run(cli: &Cli) -> ExitCode {
    match &cli.command {
        Command::Serve(_) | Command::Config(ConfigCommand::Check { .. }) => {
            eprintln!("not implemented yet: the native runtime is issue #4");
            ExitCode::from(NOT_IMPLEMENTED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_parses_its_listen_address() {
        let cli =
            Cli::try_parse_from(["multistore", "serve", "--listen", "127.0.0.1:9000"]).unwrap();
        let expected = Cli {
            command: Command::Serve(ServeArgs {
                listen: Some(SocketAddr::from(([127, 0, 0, 1], 9000))),
                ..ServeArgs::default()
            }),
        };
        assert_eq!(cli, expected);
    }

    #[test]
    fn serve_parses_every_option() {
        let cli = Cli::try_parse_from([
            "multistore",
            "serve",
            "--config",
            "gw.toml",
            "--listen",
            "[::1]:9000",
            "--data-dir",
            "data",
            "--admin-listen",
            "127.0.0.1:9001",
            "--allow-anonymous",
        ])
        .unwrap();
        let expected = ServeArgs {
            config: Some("gw.toml".into()),
            listen: Some("[::1]:9000".parse().unwrap()),
            data_dir: Some("data".into()),
            admin_listen: Some("127.0.0.1:9001".parse().unwrap()),
            allow_anonymous: true,
        };
        assert_eq!(cli.command, Command::Serve(expected));
    }

    #[test]
    fn config_check_takes_a_file() {
        let cli = Cli::try_parse_from(["multistore", "config", "check", "gw.toml"]).unwrap();
        let expected = Command::Config(ConfigCommand::Check {
            file: "gw.toml".into(),
        });
        assert_eq!(cli.command, expected);
    }

    #[test]
    fn unknown_flags_and_bad_addresses_are_rejected() {
        let error = Cli::try_parse_from(["multistore", "serve", "--bogus"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        let error =
            Cli::try_parse_from(["multistore", "serve", "--listen", "nowhere"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        let error = Cli::try_parse_from(["multistore", "config", "check"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingRequiredArgument);
    }
}
