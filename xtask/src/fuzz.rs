//! `cargo xtask fuzz [TARGET]... [--time SECONDS]`: build the cargo-fuzz targets in `fuzz/` and
//! run one, several or all of them, printing executions and coverage per target.
//!
//! ```text
//! tools   cargo-fuzz (cargo install, into the cache) and the nightly toolchain (rustup)
//! build   cargo +nightly fuzz build --fuzz-dir fuzz   (ASan; target dir <cache>/fuzz-target)
//! run     <target> -max_total_time=SECONDS -timeout=10 -dict=fuzz/dicts/<target>.dict
//!               <cache>/fuzz/corpus/<target>   (grows; outside the repository)
//!               fuzz/seeds/<target>            (the committed seed corpus; read only)
//! report  target, executions, exec/s, coverage (edges), features, corpus size
//! ```
//!
//! A crash, leak, timeout or out-of-memory stops with an error that names the input libFuzzer
//! saved (`<cache>/fuzz/artifacts/<target>/`) and the commands that reproduce it. The
//! `cargo xtask test` step runs every target for [`CI_SECONDS`] seconds.

mod report;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail, ensure};

use crate::cargo::{self, ChildEnv};
use report::Summary;

/// The cargo-fuzz release xtask installs when none is found.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// How long the CI step runs each target.
pub(crate) const CI_SECONDS: u64 = 30;
/// libFuzzer's limit for one input (its default is 20 minutes): slower is a hang, a failure.
const INPUT_TIMEOUT_SECS: u64 = 10;

/// Options of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The targets to run (default: all of them, in fuzz/Cargo.toml order).
    targets: Vec<String>,
    /// How long to run each target, in seconds.
    #[arg(long, default_value_t = 60)]
    time: u64,
    /// Only build the targets.
    #[arg(long)]
    build_only: bool,
    /// List the targets and exit.
    #[arg(long)]
    list: bool,
}

/// Runs `cargo xtask fuzz`.
pub(crate) fn run(root: &Path, args: &Args) -> anyhow::Result<()> {
    let paths = Paths::new(root);
    let all = targets(root)?;
    if args.list {
        for target in &all {
            println!("{target}");
        }
        return Ok(());
    }
    let chosen = choose(&all, &args.targets)?;
    let env = ChildEnv::from_process(root);
    fuzz(
        &paths,
        &env,
        &chosen,
        (!args.build_only).then_some(args.time),
    )
}

/// The `cargo xtask test` step: every target for [`CI_SECONDS`] seconds from its corpus.
pub(crate) fn ci_step(root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    let all = targets(root)?;
    fuzz(&Paths::new(root), env, &all, Some(CI_SECONDS))
}

/// Builds, then runs each target for `seconds` (`None`: build only).
fn fuzz(
    paths: &Paths,
    env: &ChildEnv,
    targets: &[String],
    seconds: Option<u64>,
) -> anyhow::Result<()> {
    let cargo_fuzz = ensure_cargo_fuzz(paths, env)?;
    ensure_nightly(env)?;
    let start = Instant::now();
    cargo::run(&mut build_command(paths, env, &cargo_fuzz))?;
    println!(
        "fuzz targets built in {:.0}s",
        start.elapsed().as_secs_f64()
    );
    let Some(seconds) = seconds else {
        return Ok(());
    };
    let mut summaries = Vec::new();
    for target in targets {
        let summary = run_target(paths, target, seconds)?;
        println!("{}", summary.line(target));
        summaries.push((target.clone(), summary));
    }
    println!("\n{}", report::table(&summaries));
    Ok(())
}

/// Runs one target from its corpus and seeds; fails on any finding.
fn run_target(paths: &Paths, target: &str, seconds: u64) -> anyhow::Result<Summary> {
    let binary = paths.binary(target)?;
    let corpus = paths.cache.join("fuzz/corpus").join(target);
    let artifacts = paths.cache.join("fuzz/artifacts").join(target);
    let logs = paths.cache.join("fuzz/logs");
    let log = logs.join(format!("{target}.log"));
    for dir in [&corpus, &artifacts, &logs] {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut command = Command::new(&binary);
    command
        .current_dir(&paths.fuzz_dir)
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECS}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1");
    let dict = paths.fuzz_dir.join("dicts").join(format!("{target}.dict"));
    if dict.is_file() {
        command.arg(format!("-dict={}", dict.display()));
    }
    command.arg(&corpus);
    let seeds = paths.fuzz_dir.join("seeds").join(target);
    if seeds.is_dir() {
        command.arg(&seeds);
    }
    println!(
        "\n==> fuzz {target} for {seconds}s (log: {})",
        log.display()
    );
    let output = command
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log)?)
        .status()
        .with_context(|| format!("could not start {}", binary.display()))?;
    let text = fs::read_to_string(&log).unwrap_or_default();
    let summary = report::parse(&text);
    if !output.success() {
        eprintln!("{}", report::excerpt(&text));
        let artifact = report::artifact(&text);
        let reproduce = match &artifact {
            Some(input) => format!(
                "\n  reproduce: {} {input}\n  or: CARGO_TARGET_DIR={} cargo +nightly fuzz run --fuzz-dir fuzz {target} {input}\n  minimize: CARGO_TARGET_DIR={} cargo +nightly fuzz tmin --fuzz-dir fuzz {target} {input}",
                binary.display(),
                paths.target.display(),
                paths.target.display(),
            ),
            None => String::new(),
        };
        bail!(
            "fuzz target {target} failed ({output}) after {} executions; crashing input: {}{reproduce}\n  full log: {}",
            summary.executions.unwrap_or(0),
            artifact.as_deref().unwrap_or("(none saved)"),
            log.display(),
        );
    }
    Ok(summary)
}

/// `cargo +nightly fuzz build` for every target, into the fuzz target directory.
fn build_command(paths: &Paths, env: &ChildEnv, cargo_fuzz: &Path) -> Command {
    let mut command = env.command("rustup");
    command
        .args(["run", "nightly"])
        .arg(cargo_fuzz)
        .args(["fuzz", "build", "--fuzz-dir"])
        .arg(&paths.fuzz_dir)
        .env("CARGO_TARGET_DIR", &paths.target)
        // Set by the cargo that runs xtask; they would pin the stable toolchain.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("CARGO");
    command
}

/// The targets, as fuzz/Cargo.toml lists them (`[[bin]]` names).
fn targets(root: &Path) -> anyhow::Result<Vec<String>> {
    let manifest = root.join("fuzz/Cargo.toml");
    let text =
        fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
    report::bin_names(&text).with_context(|| format!("reading {}", manifest.display()))
}

/// The targets named on the command line (all when none is), each checked to exist.
fn choose(all: &[String], named: &[String]) -> anyhow::Result<Vec<String>> {
    if named.is_empty() {
        return Ok(all.to_vec());
    }
    for name in named {
        ensure!(
            all.contains(name),
            "no fuzz target `{name}`; the targets are: {}",
            all.join(", ")
        );
    }
    Ok(named.to_vec())
}

/// cargo-fuzz: on PATH, in the cache, or installed into the cache.
fn ensure_cargo_fuzz(paths: &Paths, env: &ChildEnv) -> anyhow::Result<PathBuf> {
    let cached = paths.cache.join("tools/bin/cargo-fuzz");
    for candidate in [cached.clone(), PathBuf::from("cargo-fuzz")] {
        if runs(&candidate) {
            return Ok(candidate);
        }
    }
    println!(
        "cargo-fuzz is not installed: installing {CARGO_FUZZ_VERSION} into {}",
        paths.cache.join("tools").display()
    );
    let mut command = env.cargo(&["install", "--locked", "--root"]);
    command
        .arg(paths.cache.join("tools"))
        .arg(format!("cargo-fuzz@{CARGO_FUZZ_VERSION}"))
        // Build in cargo's own temporary directory, not the shared one (it would hold its lock).
        .env_remove("CARGO_TARGET_DIR");
    cargo::run(&mut command)?;
    ensure!(
        runs(&cached),
        "{} does not run after installing it",
        cached.display()
    );
    Ok(cached)
}

fn runs(program: &Path) -> bool {
    Command::new(program)
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The nightly toolchain (cargo-fuzz's sanitizers need it), installed when missing.
fn ensure_nightly(env: &ChildEnv) -> anyhow::Result<()> {
    let installed = cargo::output(env.command("rustup").args(["toolchain", "list"]))
        .context("rustup is needed for the nightly toolchain")?;
    if installed.lines().any(|l| l.starts_with("nightly")) {
        return Ok(());
    }
    cargo::run(env.command("rustup").args([
        "toolchain",
        "install",
        "nightly",
        "--profile",
        "minimal",
    ]))
}

/// Where things are.
struct Paths {
    /// `fuzz/` in the repository.
    fuzz_dir: PathBuf,
    /// `$MULTISTORE_CACHE` or `~/.cache/multistore`: tools, corpora, artifacts, logs.
    cache: PathBuf,
    /// The fuzz build's own target directory (`<cache>/fuzz-target`): a nightly, sanitized
    /// build that would only evict the main build's artifacts, and whose lock stays apart.
    target: PathBuf,
}

impl Paths {
    fn new(root: &Path) -> Self {
        let cache = std::env::var_os("MULTISTORE_CACHE")
            .filter(|c| !c.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache/multistore"))
            })
            .unwrap_or_else(|| root.join("target/multistore-cache"));
        Self {
            fuzz_dir: root.join("fuzz"),
            target: cache.join("fuzz-target"),
            cache,
        }
    }

    /// The built target: cargo-fuzz builds in release for the host triple (it passes
    /// `--target <host>`), which is the one directory under the target dir holding it.
    fn binary(&self, target: &str) -> anyhow::Result<PathBuf> {
        let entries = fs::read_dir(&self.target)
            .with_context(|| format!("reading {}", self.target.display()))?;
        entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("release").join(target))
            .find(|p| p.is_file())
            .with_context(|| format!("no built {target} under {}", self.target.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_in_the_manifest_has_a_source_and_seeds() {
        let root = crate::repo_root();
        let all = targets(&root).unwrap();
        assert!(all.len() >= 9, "{all:?}");
        for target in &all {
            let source = root.join("fuzz/fuzz_targets").join(format!("{target}.rs"));
            assert!(source.is_file(), "{}", source.display());
            let seeds = root.join("fuzz/seeds").join(target);
            let count = fs::read_dir(&seeds).map(|d| d.count()).unwrap_or(0);
            assert!(count > 0, "no seeds in {}", seeds.display());
        }
    }

    #[test]
    fn named_targets_must_exist() {
        let all = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(choose(&all, &[]).unwrap(), all);
        assert_eq!(choose(&all, &["b".to_owned()]).unwrap(), ["b"]);
        let error = choose(&all, &["c".to_owned()]).unwrap_err().to_string();
        assert!(
            error.contains("no fuzz target `c`") && error.contains("a, b"),
            "{error}"
        );
    }
}
