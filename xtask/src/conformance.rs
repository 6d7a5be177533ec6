//! `cargo xtask conformance`: replays the recorded SDK traffic under `conformance/traffic/`
//! against the runtimes in front of s3s-fs, moto and (when a Docker engine answers) MinIO, and
//! writes `conformance/REPORT.md` (`cargo xtask conformance record` refreshes the recordings).
//!
//! The work is done by the `multistore-conformance` binary; this module installs what it
//! needs (moto; for recording, boto3 and the aws CLI in the project venv and the JavaScript
//! SDK v3 from npm, all under `~/.cache/multistore`) and runs it.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cargo::{self, ChildEnv};
use crate::tools;
use crate::worker::miniflare::{BuiltWorker, Options, RunningWorker};

/// The backends the replay runs in front of (names of the `multistore-conformance` binary).
/// MinIO needs a Docker engine: without one the replay skips its column, and no Worker is
/// started for it.
const BACKENDS: &[&str] = &["s3s-fs", "moto", "minio"];

/// The JavaScript SDK v3 packages the recordings use, pinned.
const JS_PACKAGES: &[&str] = &[
    "@aws-sdk/client-s3@3.1175.0",
    "@aws-sdk/s3-request-presigner@3.1169.0",
    "@aws-sdk/lib-storage@3.1175.0",
];

/// Options of `cargo xtask conformance`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// `record` refreshes the traffic files; without it, the traffic is replayed.
    #[arg(value_parser = ["record", "replay"], default_value = "replay")]
    action: String,
    /// Only these clients (record) or traffic files whose `client/scenario` contains this (replay).
    #[arg(long)]
    only: Option<String>,
    /// Record only this client (repeatable).
    #[arg(long = "client")]
    clients: Vec<String>,
    /// Record only this scenario.
    #[arg(long)]
    scenario: Option<String>,
    /// Replay against the native runtime only (no Worker build).
    #[arg(long)]
    native_only: bool,
}

/// Runs `cargo xtask conformance`.
pub(crate) fn run(root: &Path, args: &Args) -> anyhow::Result<()> {
    let env = ChildEnv::from_process(root);
    if args.action == "record" {
        record(root, &env, args)
    } else {
        replay(root, &env, args.only.as_deref(), !args.native_only)
    }
}

/// The `cargo xtask test` step: the replay on both runtimes, failing on any unexplained
/// difference.
pub(crate) fn ci_step(root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    replay(root, env, None, true)
}

fn conformance_bin(env: &ChildEnv, args: &[&str]) -> std::process::Command {
    let mut command = env.cargo(&[
        "run",
        "--quiet",
        "-p",
        "multistore-conformance",
        "--bin",
        "multistore-conformance",
        "--",
    ]);
    command.args(args);
    command
}

fn replay(
    root: &Path,
    env: &ChildEnv,
    only: Option<&str>,
    with_worker: bool,
) -> anyhow::Result<()> {
    let moto = tools::ensure_moto()?;
    let traffic = root.join("conformance/traffic");
    let report = root.join("conformance/REPORT.md");
    let mut command = conformance_bin(env, &["replay"]);
    command
        .arg("--traffic")
        .arg(&traffic)
        .arg("--report")
        .arg(&report)
        .env(tools::MOTO_ENV, moto);
    if let Some(only) = only {
        command.args(["--only", only]);
    }
    // The Workers must be running before the replay starts, each configured for the port its
    // backend will listen on (the replay starts the backends there).
    let _workers: Vec<RunningWorker> = if with_worker {
        start_workers(root, env, &mut command)?
    } else {
        command.args(["--worker-skipped", "not run (--native-only)"]);
        Vec::new()
    };
    cargo::run(&mut command)
}

/// Builds the Worker and starts one per backend; adds `--backend-port` and `--worker` to the
/// replay command.
fn start_workers(
    root: &Path,
    env: &ChildEnv,
    replay: &mut std::process::Command,
) -> anyhow::Result<Vec<RunningWorker>> {
    let built =
        BuiltWorker::build(root, env).context("building the Worker for the conformance replay")?;
    let mut workers = Vec::new();
    for backend in BACKENDS {
        if *backend == "minio" && !docker_engine(env)? {
            continue;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let port_text = port.to_string();
        let config = cargo::output(&mut conformance_bin(
            env,
            &["worker-config", "--backend", backend, "--port", &port_text],
        ))?;
        let run_dir = std::env::temp_dir().join(format!("multistore-conformance/worker-{backend}"));
        let worker = built.start(&Options::new(config.trim()), &run_dir)?;
        println!(
            "Worker in front of {backend} (127.0.0.1:{port}): {}",
            worker.endpoint()
        );
        replay
            .arg("--backend-port")
            .arg(format!("{backend}={port}"))
            .arg("--worker")
            .arg(format!("{backend}={}", worker.endpoint()));
        workers.push(worker);
    }
    Ok(workers)
}

/// Whether a Docker engine answers (the binary's own probe, so both agree); prints why not.
fn docker_engine(env: &ChildEnv) -> anyhow::Result<bool> {
    let output = conformance_bin(env, &["docker-engine"])
        .output()
        .context("running multistore-conformance docker-engine")?;
    println!("{}", String::from_utf8_lossy(&output.stdout).trim());
    Ok(output.status.success())
}

fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/multistore")
}

fn record(root: &Path, env: &ChildEnv, args: &Args) -> anyhow::Result<()> {
    let moto = tools::ensure_moto()?;
    let wants = |client: &str| args.clients.is_empty() || args.clients.iter().any(|c| c == client);
    let mut command = conformance_bin(env, &["record"]);
    command
        .arg("--traffic")
        .arg(root.join("conformance/traffic"))
        .arg("--scripts")
        .arg(root.join("conformance/clients"))
        .env(tools::MOTO_ENV, moto);
    if wants("boto3") || wants("aws-cli") {
        let (python, aws) = tools::ensure_python_clients()?;
        let version = |program: &Path, args: &[&str]| {
            std::process::Command::new(program)
                .args(args)
                .output()
                .map(|o| {
                    String::from_utf8_lossy(if o.stdout.is_empty() {
                        &o.stderr
                    } else {
                        &o.stdout
                    })
                    .trim()
                    .to_owned()
                })
                .unwrap_or_default()
        };
        let boto3 = version(&python, &["-c", "import boto3; print(boto3.__version__)"]);
        let aws_version = version(&aws, &["--version"]);
        command
            .arg("--python")
            .arg(&python)
            .arg("--aws")
            .arg(&aws)
            .arg("--version")
            .arg(format!("boto3={boto3}"))
            .arg("--version")
            .arg(format!(
                "aws-cli={}",
                aws_version
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.split('/').nth(1))
                    .unwrap_or("")
            ));
    }
    if wants("js-sdk-v3") {
        let modules = tools::ensure_npm_packages(&cache_dir().join("conformance-js"), JS_PACKAGES)?;
        command
            .arg("--node-modules")
            .arg(modules)
            .arg("--version")
            .arg(format!(
                "js-sdk-v3={}",
                JS_PACKAGES[0].rsplit_once('@').map_or("", |(_, v)| v)
            ));
    }
    if let Some(version) = locked_version(root, "aws-sdk-s3") {
        command
            .arg("--version")
            .arg(format!("rust-sdk=aws-sdk-s3 {version}"));
    }
    for client in &args.clients {
        command.args(["--client", client]);
    }
    if let Some(scenario) = &args.scenario {
        command.args(["--scenario", scenario]);
    }
    cargo::run(&mut command)
}

/// The version of `package` that Cargo.lock pins (the first, when there are several).
fn locked_version(root: &Path, package: &str) -> Option<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    lines.find(|line| *line == format!("name = \"{package}\""))?;
    let version = lines.next()?.strip_prefix("version = \"")?;
    Some(version.trim_end_matches('"').to_owned())
}
