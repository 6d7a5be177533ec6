//! `cargo xtask bench`: the gateway against direct backend access, measured side by side
//! (issue #9; the method is in docs/benchmarks.md).
//!
//! Builds `multistore` and the harness (`bench/`, `multistore-bench`) in release, then runs
//! `multistore-bench run`, which starts the backend (s3s-fs on a tmpfs directory) and
//! `multistore serve` in front of it, interleaves D and G rounds, reads the gateway's CPU and
//! memory from `/proc`, and writes `REPORT.md` and `results.csv`. Not part of `cargo xtask
//! test`: speed is measured here, never asserted in a test.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::ensure;

use crate::cargo::{self, ChildEnv};

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Regression mode: the key workloads, short runs, 2 rounds (under 2 minutes, warm builds).
    /// Writes to bench/quick/ (not committed).
    #[arg(long)]
    quick: bool,
    /// Rounds of D and G runs (default 3, or 2 with --quick).
    #[arg(long)]
    rounds: Option<u32>,
    /// Only these workload ids, comma-separated (e.g. to rerun noisy ones). Writes to
    /// bench/partial/ (not committed).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Use this stock s3s-fs binary as the backend instead of the harness's s3s-fs server
    /// with TCP_NODELAY (`cargo xtask worker smoke` installs one in ~/.cache/multistore/tools/bin).
    #[arg(long, value_name = "PATH")]
    stock_s3s_fs: Option<PathBuf>,
    /// The harness's backend sends bodies as s3s-fs reads them (4 KiB chunks) instead of in
    /// 256 KiB writes (see docs/benchmarks.md).
    #[arg(long)]
    no_coalesce: bool,
    /// A `[limits]` line for the gateway's configuration (repeatable), e.g.
    /// `--gateway-limit "read_buffer_bytes = 262144"`.
    #[arg(long = "gateway-limit", value_name = "KEY = VALUE")]
    gateway_limits: Vec<String>,
    /// A tmpfs directory for the backend's data.
    #[arg(long, default_value = "/dev/shm")]
    work_dir: PathBuf,
    /// Where REPORT.md and results.csv go (default: bench/, bench/quick/ or bench/partial/).
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

/// Runs `cargo xtask bench`.
pub(crate) fn run(root: &Path, args: &Args) -> anyhow::Result<()> {
    let env = ChildEnv::from_process(root);
    cargo::run(&mut env.cargo(&[
        "build",
        "--release",
        "-p",
        "multistore",
        "-p",
        "multistore-bench",
    ]))?;
    let release = target_dir(root).join("release");
    let harness = release.join("multistore-bench");
    ensure!(harness.is_file(), "cargo built no {}", harness.display());
    if !args.work_dir.is_dir() {
        anyhow::bail!(
            "{} does not exist: pass --work-dir with a tmpfs directory",
            args.work_dir.display()
        );
    }
    let mut command = Command::new(&harness);
    command.args(harness_args(root, &release.join("multistore"), args));
    cargo::run(&mut command)
}

/// The arguments of `multistore-bench run`.
fn harness_args(root: &Path, gateway: &Path, args: &Args) -> Vec<String> {
    let out_dir = args.out_dir.clone().unwrap_or_else(|| {
        root.join("bench")
            .join(match (args.quick, args.only.is_empty()) {
                (_, false) => "partial",
                (true, true) => "quick",
                (false, true) => "",
            })
    });
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let mut out = vec![
        "run".to_owned(),
        "--gateway".to_owned(),
        path(gateway),
        "--lockfile".to_owned(),
        path(&root.join("Cargo.lock")),
        "--out-dir".to_owned(),
        path(&out_dir),
        "--work-dir".to_owned(),
        path(&args.work_dir),
    ];
    if args.quick {
        out.push("--quick".to_owned());
    }
    if let Some(rounds) = args.rounds {
        out.extend(["--rounds".to_owned(), rounds.to_string()]);
    }
    if !args.only.is_empty() {
        out.extend(["--only".to_owned(), args.only.join(",")]);
    }
    if let Some(bin) = &args.stock_s3s_fs {
        out.extend(["--s3s-fs".to_owned(), path(bin)]);
    }
    if args.no_coalesce {
        out.push("--no-coalesce".to_owned());
    }
    for limit in &args.gateway_limits {
        out.extend(["--gateway-limit".to_owned(), limit.clone()]);
    }
    out
}

/// Where cargo puts the release binaries: the rule `ChildEnv` applies (an explicit
/// `CARGO_TARGET_DIR`, else `~/.cache/multistore/target`, else `target/`).
fn target_dir(root: &Path) -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    non_empty("CARGO_TARGET_DIR")
        .map(|t| root.join(PathBuf::from(t)))
        .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".cache/multistore/target")))
        .unwrap_or_else(|| root.join("target"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn args_of(line: &[&str]) -> Vec<String> {
        let cli = Cli::parse_from(std::iter::once("bench").chain(line.iter().copied()));
        harness_args(Path::new("/repo"), Path::new("/t/multistore"), &cli.args)
    }

    #[test]
    fn a_full_run_writes_into_bench() {
        let args = args_of(&[]);
        let out = args.iter().position(|a| a == "--out-dir").unwrap();
        assert_eq!(Path::new(&args[out + 1]), Path::new("/repo/bench"));
        assert!(!args.contains(&"--quick".to_owned()));
        assert!(args.contains(&"/repo/Cargo.lock".to_owned()));
    }

    #[test]
    fn quick_and_partial_runs_write_elsewhere() {
        let quick = args_of(&["--quick"]);
        assert!(quick.contains(&"/repo/bench/quick".to_owned()));
        assert!(quick.contains(&"--quick".to_owned()));
        let partial = args_of(&["--only", "get-4k-c16,put-64m-c1", "--rounds", "5"]);
        assert!(partial.contains(&"/repo/bench/partial".to_owned()));
        assert!(partial.contains(&"get-4k-c16,put-64m-c1".to_owned()));
        assert!(partial.contains(&"5".to_owned()));
        let stock = args_of(&["--stock-s3s-fs", "/x/s3s-fs"]);
        assert!(stock.ends_with(&["--s3s-fs".to_owned(), "/x/s3s-fs".to_owned()]));
    }
}
