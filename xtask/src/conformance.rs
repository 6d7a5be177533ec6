//! `cargo xtask conformance`: replays the recorded SDK traffic under `conformance/traffic/`
//! against the runtimes in front of s3s-fs and moto, and writes `conformance/REPORT.md`
//! (`cargo xtask conformance record` refreshes the recordings).
//!
//! The work is done by the `multistore-conformance` binary; this module installs what it
//! needs (moto; for recording, boto3 and the aws CLI in the project venv and the JavaScript
//! SDK v3 from npm, all under `~/.cache/multistore`) and runs it.

use std::path::{Path, PathBuf};

use crate::cargo::{self, ChildEnv};
use crate::tools;

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
}

/// Runs `cargo xtask conformance`.
pub(crate) fn run(root: &Path, args: &Args) -> anyhow::Result<()> {
    let env = ChildEnv::from_process(root);
    if args.action == "record" {
        record(root, &env, args)
    } else {
        replay(root, &env, args.only.as_deref())
    }
}

/// The `cargo xtask test` step: the replay, failing on any unexplained difference.
pub(crate) fn ci_step(root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    replay(root, env, None)
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

fn replay(root: &Path, env: &ChildEnv, only: Option<&str>) -> anyhow::Result<()> {
    let moto = tools::ensure_moto()?;
    let traffic = root.join("conformance/traffic");
    let report = root.join("conformance/REPORT.md");
    let mut command = conformance_bin(env, &["replay"]);
    command
        .arg("--traffic")
        .arg(&traffic)
        .arg("--report")
        .arg(&report)
        .args([
            "--worker-skipped",
            "the Worker column waits for the Worker runtime's miniflare runner (issue #5)",
        ])
        .env(tools::MOTO_ENV, moto);
    if let Some(only) = only {
        command.args(["--only", only]);
    }
    cargo::run(&mut command)
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
                aws_version.split_whitespace().next().unwrap_or("")
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
    for client in &args.clients {
        command.args(["--client", client]);
    }
    if let Some(scenario) = &args.scenario {
        command.args(["--scenario", scenario]);
    }
    cargo::run(&mut command)
}
