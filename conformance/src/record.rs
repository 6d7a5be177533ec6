//! Recording: each client plays each scenario through a fresh [`Proxy`] against the reference
//! (moto, or the native gateway in front of moto for `auth-*` scenarios; see
//! [`crate::scenarios`]), and the exchanges are written to
//! `<traffic>/<client>/<scenario>.txt`.
//!
//! The Rust SDK plays in-process; the other clients are child processes running
//! `conformance/clients/<client>` scripts with the endpoint, bucket and keys in the
//! environment (`CONFORMANCE_ENDPOINT`, `CONFORMANCE_BUCKET`, `CONFORMANCE_ADMIN_KEY`, …).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::env::{ADMIN, ALICE, BUCKET, Backend, BackendKind, NativeGateway, gateway_toml};
use crate::proxy::Proxy;
use crate::scenarios::{self, CLIENTS, SCENARIOS};
use crate::traffic::{self, Traffic};

/// Options of `record`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The traffic directory.
    #[arg(long)]
    pub traffic: PathBuf,
    /// The clients to record (default: all).
    #[arg(long = "client")]
    pub clients: Vec<String>,
    /// Only this scenario.
    #[arg(long)]
    pub scenario: Option<String>,
    /// The scripts directory (`conformance/clients`).
    #[arg(long)]
    pub scripts: PathBuf,
    /// The Python that has boto3 (and the aws CLI next to it).
    #[arg(long, default_value = "python3")]
    pub python: PathBuf,
    /// The `aws` program.
    #[arg(long, default_value = "aws")]
    pub aws: PathBuf,
    /// A `node_modules` directory holding the AWS SDK for JavaScript v3.
    #[arg(long)]
    pub node_modules: Option<PathBuf>,
    /// Version strings to write into the files, `client=version`.
    #[arg(long = "version")]
    pub versions: Vec<String>,
}

/// Records every (client, scenario) asked for.
///
/// # Errors
/// When a backend, proxy or client fails.
pub async fn run(args: &Args) -> anyhow::Result<()> {
    let moto = Backend::start(BackendKind::Moto, 0).await?;
    let gateway = NativeGateway::start(&gateway_toml(BackendKind::Moto, &moto.url())).await?;
    let clients: Vec<String> = if args.clients.is_empty() {
        CLIENTS.iter().map(|c| (*c).to_owned()).collect()
    } else {
        args.clients.clone()
    };
    for client in &clients {
        for (scenario, about) in SCENARIOS {
            if args.scenario.as_deref().is_some_and(|s| s != *scenario) {
                continue;
            }
            moto.reset().await?;
            let (upstream, reference) = if scenarios::through_gateway(scenario) {
                (
                    gateway.addr.to_string(),
                    "the native gateway in front of moto (moto checks no signatures)",
                )
            } else {
                (moto.addr.to_string(), "moto server")
            };
            let proxy = Proxy::start(upstream).await?;
            let played = play(args, client, scenario, &proxy.url()).await;
            let exchanges = proxy.finish();
            match played {
                Ok(Played::Done) => {}
                Ok(Played::NotApplicable) => {
                    println!("{client}/{scenario}: does not apply to this client");
                    continue;
                }
                Err(e) => bail!("{client}/{scenario}: {e:#}"),
            }
            let version = args
                .versions
                .iter()
                .find_map(|v| v.strip_prefix(&format!("{client}=")))
                .unwrap_or("");
            let file = Traffic {
                meta: vec![
                    (
                        "client".into(),
                        format!("{client} {version}").trim().to_owned(),
                    ),
                    ("scenario".into(), (*scenario).to_owned()),
                    ("about".into(), (*about).to_owned()),
                    ("reference".into(), reference.to_owned()),
                    (
                        "recorded by".into(),
                        "cargo xtask conformance record (do not edit by hand)".into(),
                    ),
                ],
                exchanges,
            };
            let dir = args.traffic.join(client);
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("{scenario}.txt"));
            std::fs::write(&path, traffic::write(&file))
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "recorded {client}/{scenario}: {} exchanges",
                file.exchanges.len()
            );
        }
    }
    Ok(())
}

/// How a client's run of a scenario ended.
enum Played {
    Done,
    /// The script exited with status 3: the scenario does not apply to this client.
    NotApplicable,
}

async fn play(args: &Args, client: &str, scenario: &str, endpoint: &str) -> anyhow::Result<Played> {
    let mut command = match client {
        "rust-sdk" => {
            return scenarios::rust::play(scenario, endpoint)
                .await
                .map(|()| Played::Done);
        }
        "boto3" => {
            let mut c = Command::new(&args.python);
            c.arg(args.scripts.join("boto3_scenarios.py"));
            c
        }
        "aws-cli" => {
            let mut c = Command::new(&args.python);
            c.arg(args.scripts.join("awscli_scenarios.py"))
                .env("CONFORMANCE_AWS", &args.aws);
            c
        }
        "js-sdk-v3" => {
            let mut c = Command::new("node");
            c.arg(args.scripts.join("js_scenarios.mjs"));
            if let Some(modules) = &args.node_modules {
                c.env("CONFORMANCE_NODE_MODULES", modules);
            }
            c
        }
        other => bail!("unknown client {other:?}"),
    };
    command
        .arg(scenario)
        .env("CONFORMANCE_ENDPOINT", endpoint)
        .env("CONFORMANCE_BUCKET", BUCKET)
        .env("CONFORMANCE_ADMIN_KEY", ADMIN.0)
        .env("CONFORMANCE_ADMIN_SECRET", ADMIN.1)
        .env("CONFORMANCE_ALICE_KEY", ALICE.0)
        .env("CONFORMANCE_ALICE_SECRET", ALICE.1)
        .env("AWS_ACCESS_KEY_ID", ADMIN.0)
        .env("AWS_SECRET_ACCESS_KEY", ADMIN.1)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    let status = tokio::task::spawn_blocking(move || command.status())
        .await?
        .with_context(|| format!("cannot start the {client} client"))?;
    match status.code() {
        Some(0) => Ok(Played::Done),
        Some(3) => Ok(Played::NotApplicable),
        _ => bail!("the {client} client failed ({status})"),
    }
}
