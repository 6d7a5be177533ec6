//! The `multistore-conformance` command, driven by `cargo xtask conformance`:
//!
//! - `record`: plays the scenarios with each client through the recording proxy against the
//!   reference and writes `conformance/traffic/<client>/<scenario>.txt`;
//! - `replay`: replays every traffic file against the native runtime (in-process) and any
//!   Worker endpoints given, in front of s3s-fs, moto and (with Docker) MinIO, writes the report and fails on any
//!   unexplained difference;
//! - `worker-config`: prints the Worker's JSON configuration for a backend on a port;
//! - `docker-engine`: says whether a Docker engine answers (exit status 0) or why not (1), so
//!   that xtask starts a Worker for MinIO only when the MinIO column will run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use multistore_conformance::env::{
    Backend, BackendKind, NativeGateway, client_secret, gateway_json, gateway_toml,
};
use multistore_conformance::report::{self, Entry, Skipped};
use multistore_conformance::{minio, record, replay, traffic};

#[derive(Debug, Parser)]
#[command(name = "multistore-conformance")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Record traffic of the given clients.
    Record(record::Args),
    /// Replay every traffic file and write the report.
    Replay(ReplayArgs),
    /// Print the Worker's JSON configuration for a backend listening on 127.0.0.1:PORT.
    WorkerConfig {
        /// `s3s-fs`, `moto` or `minio`.
        #[arg(long)]
        backend: String,
        /// The backend's port.
        #[arg(long)]
        port: u16,
    },
    /// Exit 0 when a Docker engine answers (MinIO can run), 1 with the reason otherwise.
    DockerEngine,
}

#[derive(Debug, clap::Args)]
struct ReplayArgs {
    /// The traffic directory.
    #[arg(long)]
    traffic: PathBuf,
    /// Where to write the Markdown report.
    #[arg(long)]
    report: PathBuf,
    /// Backends to run (default: all).
    #[arg(long = "backend")]
    backends: Vec<String>,
    /// Port for each backend, `NAME=PORT` (a Worker endpoint needs its backend on a known port).
    #[arg(long = "backend-port")]
    backend_ports: Vec<String>,
    /// A Worker in front of a backend: `NAME=URL`.
    #[arg(long = "worker")]
    workers: Vec<String>,
    /// Why the Worker column did not run (written into the report).
    #[arg(long)]
    worker_skipped: Option<String>,
    /// Only traffic files whose `client/scenario` contains this.
    #[arg(long)]
    only: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Record(args) => record::run(&args).await.map(|()| true),
            Command::Replay(args) => run_replay(&args).await,
            Command::WorkerConfig { backend, port } => {
                let kind = BackendKind::from_name(&backend)
                    .with_context(|| format!("unknown backend {backend}"))?;
                println!(
                    "{}",
                    gateway_json(kind, &format!("http://127.0.0.1:{port}"))
                );
                Ok(true)
            }
            Command::DockerEngine => Ok(match minio::engine() {
                Ok(addr) => {
                    println!("Docker engine at {addr}");
                    true
                }
                Err(why) => {
                    println!("{why}");
                    false
                }
            }),
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `(client, scenario, traffic)` for every file under `dir`, sorted.
fn load(dir: &Path, only: Option<&str>) -> anyhow::Result<Vec<(String, String, traffic::Traffic)>> {
    let mut files = Vec::new();
    for client in
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?
    {
        let client = client?.path();
        if !client.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&client)? {
            let path = file?.path();
            if path.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let client_name = client
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let scenario = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if only.is_some_and(|o| !format!("{client_name}/{scenario}").contains(o)) {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            let parsed = traffic::parse(&text).with_context(|| format!("{}", path.display()))?;
            files.push((client_name, scenario, parsed));
        }
    }
    files.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    Ok(files)
}

fn pairs(values: &[String]) -> anyhow::Result<Vec<(BackendKind, String)>> {
    values
        .iter()
        .map(|v| {
            let (name, value) = v
                .split_once('=')
                .with_context(|| format!("{v:?} is not NAME=VALUE"))?;
            let kind =
                BackendKind::from_name(name).with_context(|| format!("unknown backend {name}"))?;
            Ok((kind, value.to_owned()))
        })
        .collect()
}

async fn run_replay(args: &ReplayArgs) -> anyhow::Result<bool> {
    let files = load(&args.traffic, args.only.as_deref())?;
    anyhow::ensure!(
        !files.is_empty(),
        "no traffic files under {}",
        args.traffic.display()
    );
    let kinds: Vec<BackendKind> = if args.backends.is_empty() {
        BackendKind::ALL.to_vec()
    } else {
        args.backends
            .iter()
            .map(|b| BackendKind::from_name(b).with_context(|| format!("unknown backend {b}")))
            .collect::<anyhow::Result<_>>()?
    };
    let ports = pairs(&args.backend_ports)?;
    let workers = pairs(&args.workers)?;
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for kind in kinds {
        if kind == BackendKind::Minio
            && let Err(reason) = minio::engine()
        {
            skipped.push(Skipped {
                column: "*/minio".into(),
                reason,
            });
            continue;
        }
        let port = ports
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(Ok(0), |(_, p)| p.parse())
            .context("bad port")?;
        let backend = Backend::start(kind, port)
            .await
            .with_context(|| format!("start {}", kind.name()))?;
        let native = NativeGateway::start(&gateway_toml(kind, &backend.url())).await?;
        let mut targets = vec![("native", native.addr.to_string())];
        match workers.iter().find(|(k, _)| *k == kind) {
            Some((_, url)) => targets.push((
                "worker",
                url.trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_owned(),
            )),
            None => skipped.push(Skipped {
                column: format!("worker/{}", kind.name()),
                reason: args
                    .worker_skipped
                    .clone()
                    .unwrap_or_else(|| "no Worker endpoint given".into()),
            }),
        }
        for (runtime, addr) in &targets {
            for (client, scenario, traffic) in &files {
                backend.reset().await?;
                let result = replay::replay(traffic, addr, &client_secret).await;
                let entry = Entry::judge(scenario, client, runtime, kind, result);
                println!(
                    "{runtime}/{} {client}/{scenario}: {}",
                    kind.name(),
                    verdict(&entry)
                );
                entries.push(entry);
            }
        }
    }
    std::fs::write(&args.report, report::markdown(&entries, &skipped))
        .with_context(|| format!("cannot write {}", args.report.display()))?;
    println!("\n{}", report::summary(&entries, &skipped));
    println!("report: {}", args.report.display());
    Ok(report::totals(&entries).fail == 0)
}

fn verdict(entry: &Entry) -> String {
    match &entry.outcome {
        report::Outcome::Pass => "pass".into(),
        report::Outcome::Fail => format!(
            "FAIL ({} of {} exchanges)",
            entry.result.failures.len(),
            entry.result.exchanges
        ),
        report::Outcome::BackendLacks(_) => "backend lacks".into(),
        report::Outcome::Known(issue, _) => format!("known ({issue})"),
    }
}
