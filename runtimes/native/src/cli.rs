//! The `multistore` command line: `serve` and `config check`, parsed with clap.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// multistore: an S3-compatible gateway in front of S3, MinIO, R2, any S3-compatible store, or a
/// local directory.
#[derive(Debug, PartialEq, Eq, Parser)]
#[command(name = "multistore", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the gateway. Without --config it serves one bucket, `data`, from a local directory,
    /// with a development access key it prints at start-up.
    Serve(Box<ServeArgs>),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Options of `multistore serve`.
#[derive(Debug, PartialEq, Eq, Args)]
pub struct ServeArgs {
    /// The configuration file (TOML). Secrets may be given as { env = "NAME" }.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The address the S3 endpoint listens on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
    /// Where the embedded default keeps its data (used without --config).
    #[arg(long, value_name = "DIR", default_value = "./multistore-data")]
    pub data_dir: PathBuf,
    /// The address of the admin endpoint (/healthz, /readyz, /metrics); off unless given.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    /// Allow listening on a non-loopback address with no credentials configured.
    #[arg(long)]
    pub allow_anonymous: bool,
    /// Proxies whose X-Forwarded-For is trusted for the client address (repeatable).
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub limits: ServerLimits,
}

/// Timeouts and limits of the server and the backend client.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ServerLimits {
    /// Connecting to a backend times out after this long.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub connect_timeout: Duration,
    /// A backend that sends no response head within this long is given up on.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub first_byte_timeout: Duration,
    /// A body (either direction) that stalls this long is cut off.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub idle_timeout: Duration,
    /// A client must send its request head within this long (slowloris).
    #[arg(long, value_parser = parse_duration, default_value = "15s")]
    pub header_read_timeout: Duration,
    /// In-flight requests get this long to finish after SIGTERM/SIGINT.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub shutdown_grace: Duration,
    /// The most concurrent client connections.
    #[arg(long, default_value_t = 4096)]
    pub max_connections: usize,
    /// The most requests served at once; more are answered 503 SlowDown, as S3 does.
    #[arg(long, default_value_t = 1024)]
    pub max_concurrent_requests: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(30),
            max_connections: 4096,
            max_concurrent_requests: 1024,
        }
    }
}

/// `500ms`, `5s`, `2m`, or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 500ms, 5s or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("`{s}` is not a duration like 500ms, 5s or 2m")),
    }
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
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => crate::serve::run(*args),
        Command::Config(ConfigCommand::Check { file }) => crate::serve::check_config(&file),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_to_loopback_and_a_local_data_dir() {
        let Command::Serve(args) = Cli::try_parse_from(["multistore", "serve"])
            .unwrap()
            .command
        else {
            panic!("serve")
        };
        assert_eq!(args.listen, SocketAddr::from(([127, 0, 0, 1], 9000)));
        assert_eq!(args.data_dir, PathBuf::from("./multistore-data"));
        assert_eq!(args.limits, ServerLimits::default());
        assert!(args.admin_listen.is_none() && !args.allow_anonymous);
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
            "--trusted-proxy",
            "10.0.0.1",
            "--log-format",
            "json",
            "--connect-timeout",
            "250ms",
            "--idle-timeout",
            "2m",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        assert_eq!(args.config, Some("gw.toml".into()));
        assert_eq!(args.listen, "[::1]:9000".parse().unwrap());
        assert_eq!(args.admin_listen, Some("127.0.0.1:9001".parse().unwrap()));
        assert_eq!(
            args.trusted_proxies,
            vec!["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(args.log_format, LogFormat::Json);
        assert_eq!(args.limits.connect_timeout, Duration::from_millis(250));
        assert_eq!(args.limits.idle_timeout, Duration::from_secs(120));
    }

    #[test]
    fn config_check_takes_a_file() {
        let cli = Cli::try_parse_from(["multistore", "config", "check", "gw.toml"]).unwrap();
        assert_eq!(
            cli.command,
            Command::Config(ConfigCommand::Check {
                file: "gw.toml".into()
            })
        );
    }

    #[test]
    fn unknown_flags_bad_addresses_and_bad_durations_are_rejected() {
        let error = Cli::try_parse_from(["multistore", "serve", "--bogus"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        let error =
            Cli::try_parse_from(["multistore", "serve", "--listen", "nowhere"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        let error =
            Cli::try_parse_from(["multistore", "serve", "--idle-timeout", "soon"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        let error = Cli::try_parse_from(["multistore", "config", "check"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingRequiredArgument);
    }
}
