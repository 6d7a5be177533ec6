//! `multistore-bench run`: starts the backend (s3s-fs on a tmpfs directory) and `multistore
//! serve` in front of it with the same keys and region, seeds the objects, then runs every
//! workload against D (the client straight to the backend) and G (the client through the
//! gateway), D then G, round after round, reading the gateway's CPU and memory from `/proc`
//! around each run. Writes the report and the CSV at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, ensure};
use bytes::Bytes;

use crate::children::{Children, free_addr};
use crate::driver::{Pace, drive};
use crate::ops::{Op, SdkCall};
use crate::procfs::Proc;
use crate::raw::RawRequest;
use crate::report::{self, Environment, Row, Target};
use crate::sdk;
use crate::workloads::{self, Client, Kind, LIST_KEYS, Mode, PART, Pacing, Workload};

/// The bucket, keys and region every target uses (the gateway's credential is the backend's).
const BUCKET: &str = "bench";
const ACCESS_KEY: &str = "BENCHACCESSKEY0001";
const SECRET: &str = "bench-secret-0123456789abcdefghijklmn";

/// Options of `multistore-bench run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The `multistore` binary (release).
    #[arg(long)]
    pub gateway: PathBuf,
    /// Use this stock `s3s-fs` binary as the backend instead of the harness's own s3s-fs
    /// server with TCP_NODELAY.
    #[arg(long)]
    pub s3s_fs: Option<PathBuf>,
    /// The harness's backend sends response bodies as s3s-fs reads them (4 KiB chunks)
    /// instead of in 256 KiB writes.
    #[arg(long)]
    pub no_coalesce: bool,
    /// The regression mode: fewer workloads, shorter runs, 2 rounds (under 2 minutes).
    #[arg(long)]
    pub quick: bool,
    /// Rounds (default 3, or 2 with --quick).
    #[arg(long)]
    pub rounds: Option<u32>,
    /// Run only these workload ids (comma-separated), e.g. to rerun noisy ones.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// A `[limits]` line for the gateway's configuration (repeatable), e.g.
    /// `read_buffer_bytes = 262144`.
    #[arg(long = "gateway-limit", value_name = "KEY = VALUE")]
    pub gateway_limits: Vec<String>,
    /// Where REPORT.md and results.csv go.
    #[arg(long, default_value = "bench")]
    pub out_dir: PathBuf,
    /// A tmpfs directory for the backend's data.
    #[arg(long, default_value = "/dev/shm")]
    pub work_dir: PathBuf,
    /// The workspace's Cargo.lock, for the versions in the report.
    #[arg(long)]
    pub lockfile: Option<PathBuf>,
}

/// The two targets' endpoints and clients.
struct Targets {
    backend: SocketAddr,
    gateway: SocketAddr,
    direct: aws_sdk_s3::Client,
    through: aws_sdk_s3::Client,
    gateway_proc: Proc,
    backend_proc: Proc,
}

impl Targets {
    fn client(&self, target: Target) -> &aws_sdk_s3::Client {
        match target {
            Target::Direct => &self.direct,
            Target::Gateway => &self.through,
        }
    }

    fn addr(&self, target: Target) -> SocketAddr {
        match target {
            Target::Direct => self.backend,
            Target::Gateway => self.gateway,
        }
    }
}

/// Runs the benchmark.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let run_dir = args
        .work_dir
        .join(format!("multistore-bench-{}", std::process::id()));
    let result = runtime.block_on(run_in(args, &run_dir));
    let _ = std::fs::remove_dir_all(&run_dir);
    result
}

async fn run_in(args: &Args, run_dir: &Path) -> anyhow::Result<()> {
    let mut mode = if args.quick { Mode::QUICK } else { Mode::FULL };
    if let Some(rounds) = args.rounds {
        mode.rounds = rounds.max(1);
    }
    let workloads = mode.workloads(&args.only);
    ensure!(
        !workloads.is_empty(),
        "no workload matches --only {:?}",
        args.only
    );
    let data = run_dir.join("data");
    std::fs::create_dir_all(data.join(BUCKET))
        .with_context(|| format!("cannot create {}", data.display()))?;

    let mut children = Children::default();
    let backend = free_addr()?;
    let (backend_pid, backend_name) = start_backend(args, &mut children, backend, &data, run_dir)?;
    children.wait_listening(backend, Duration::from_secs(10))?;
    let gateway = free_addr()?;
    let gateway_pid = start_gateway(args, &mut children, gateway, backend, run_dir)?;
    children.wait_listening(gateway, Duration::from_secs(20))?;

    let targets = Targets {
        backend,
        gateway,
        direct: sdk::client(&format!("http://{backend}"), ACCESS_KEY, SECRET),
        through: sdk::client(&format!("http://{gateway}"), ACCESS_KEY, SECRET),
        gateway_proc: Proc::new(gateway_pid),
        backend_proc: Proc::new(backend_pid),
    };
    let mut env =
        Environment::collect(&args.gateway, args.lockfile.as_deref(), &backend_name, mode);
    println!(
        "bench: backend {backend_name} on {backend}, gateway on {gateway}, data in {}",
        data.display()
    );
    seed(&targets, &workloads).await?;
    let gateway_idle = targets.gateway_proc.rss()?.0;

    let mut rows = Vec::new();
    for round in 1..=mode.rounds {
        println!("round {round}/{}", mode.rounds);
        for workload in &workloads {
            for target in [Target::Direct, Target::Gateway] {
                let row = measure(&targets, workload, target, mode, round).await?;
                println!("  {}", row.line());
                rows.push(row);
                children.check_running()?;
            }
        }
    }
    env.finish(gateway_idle, targets.gateway_proc.rss()?.1);
    report::write(&args.out_dir, &env, &rows)?;
    println!(
        "bench: wrote {} and {}",
        args.out_dir.join("REPORT.md").display(),
        args.out_dir.join("results.csv").display()
    );
    Ok(())
}

fn start_backend(
    args: &Args,
    children: &mut Children,
    addr: SocketAddr,
    data: &Path,
    run_dir: &Path,
) -> anyhow::Result<(u32, String)> {
    let log = run_dir.join("backend.log");
    if let Some(bin) = &args.s3s_fs {
        // The stock binary takes its secret on the command line; this is a throw-away key.
        let mut command = Command::new(bin);
        command
            .args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET])
            .arg(data);
        let pid = children.spawn("s3s-fs", command, Stdio::null(), &log)?;
        return Ok((pid, "s3s-fs 0.14.1 (stock binary)".to_owned()));
    }
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["backend", "--listen", &addr.to_string()])
        .args(["--access-key", ACCESS_KEY])
        .arg(data)
        .env("BENCH_SECRET", SECRET);
    if args.no_coalesce {
        command.arg("--no-coalesce");
    }
    let pid = children.spawn("the s3s-fs backend", command, Stdio::null(), &log)?;
    let writes = if args.no_coalesce {
        "4 KiB writes"
    } else {
        "256 KiB writes"
    };
    Ok((
        pid,
        format!("s3s-fs 0.14.1 (library, TCP_NODELAY, {writes})"),
    ))
}

fn start_gateway(
    args: &Args,
    children: &mut Children,
    addr: SocketAddr,
    backend: SocketAddr,
    run_dir: &Path,
) -> anyhow::Result<u32> {
    let config = run_dir.join("gateway.toml");
    std::fs::write(&config, gateway_config(backend, &args.gateway_limits))?;
    let mut command = Command::new(&args.gateway);
    command
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", &addr.to_string()])
        // The gateway's 15 s head timeout also closes keep-alive connections idle that long;
        // the SDK's pool (no retries here) would now and then reuse one just as it closes and
        // fail with a broken pipe. The backend keeps idle connections open, so does the
        // gateway here.
        .args(["--header-read-timeout", "10m"])
        .env("BENCH_SECRET", SECRET);
    // Logging as shipped (info, with an access log line per request on stderr), to a file on
    // the tmpfs: writing it counts as gateway CPU, as it would in production.
    children.spawn(
        "multistore serve",
        command,
        Stdio::null(),
        &run_dir.join("gateway.log"),
    )
}

/// One bucket on the backend, one credential with the backend's own keys, and `limits` as
/// the `[limits]` table (the defaults when empty).
fn gateway_config(backend: SocketAddr, limits: &[String]) -> String {
    let limits = if limits.is_empty() {
        String::new()
    } else {
        format!("\n[limits]\n{}\n", limits.join("\n"))
    };
    format!(
        r#"[[buckets]]
name = "{BUCKET}"
[buckets.backend]
type = "s3"
endpoint = "http://{backend}"
region = "{region}"
bucket = "{BUCKET}"
access_key_id = "{ACCESS_KEY}"
secret_access_key = {{ env = "BENCH_SECRET" }}

[[credentials]]
access_key_id = "{ACCESS_KEY}"
secret_access_key = {{ env = "BENCH_SECRET" }}
principal = "bench"
[[credentials.scopes]]
bucket = "{BUCKET}"
actions = ["all"]
{limits}"#,
        region = sdk::REGION
    )
}

/// `size` bytes of a fixed pseudo-random pattern.
fn body(size: u64) -> Bytes {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let bytes: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    Bytes::from(bytes)
}

/// Puts the objects the reads need, and the keys the listing walks, straight to the backend.
async fn seed(targets: &Targets, workloads: &[&Workload]) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    for size in workloads::seeded_sizes(workloads) {
        let key = workloads::object_key(size);
        sdk::put_many(&targets.direct, BUCKET, vec![key], body(size), 1).await?;
    }
    if workloads.iter().any(|w| w.kind == Kind::List) {
        let keys = (0..LIST_KEYS).map(|i| format!("list/{i:05}")).collect();
        sdk::put_many(&targets.direct, BUCKET, keys, Bytes::from_static(b"x"), 32).await?;
    }
    println!("bench: seeded in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The operation `workload` repeats against `target`.
async fn op_for(targets: &Targets, workload: &Workload, target: Target) -> anyhow::Result<Op> {
    let client = targets.client(target);
    let key = workloads::key_for(workload);
    if workload.client == Client::Presigned {
        let what = workload.kind.presign().context("no presigned form")?;
        let (put_key, payload, expect) = match workload.kind {
            Kind::Put => (format!("{key}0"), body(workload.size), None),
            Kind::Get => (key, Bytes::new(), Some(workload.size)),
            _ => (key, Bytes::new(), None),
        };
        let presigned = sdk::presign(client, BUCKET, &put_key, what).await?;
        return Ok(Op::Raw {
            addr: targets.addr(target),
            request: RawRequest::from_presigned(&presigned, payload, expect)?,
        });
    }
    let call = match workload.kind {
        Kind::Head => SdkCall::Head {
            key,
            size: workload.size,
        },
        Kind::Get => SdkCall::Get {
            key,
            size: workload.size,
        },
        Kind::Put => SdkCall::Put {
            prefix: key,
            keys: (workload.concurrency as u64 * 2).min(64),
            body: body(workload.size),
        },
        Kind::Multipart => SdkCall::Multipart {
            key,
            part: body(PART),
            parts: u32::try_from(workload.size / PART)?,
            concurrency: 4,
        },
        Kind::List => SdkCall::List {
            prefix: key,
            keys: LIST_KEYS,
        },
    };
    Ok(Op::Sdk {
        client: client.clone(),
        bucket: BUCKET.to_owned(),
        call,
    })
}

/// One measured run of `workload` against `target`, after its warm-up.
async fn measure(
    targets: &Targets,
    workload: &'static Workload,
    target: Target,
    mode: Mode,
    round: u32,
) -> anyhow::Result<Row> {
    let op = Arc::new(op_for(targets, workload, target).await?);
    let secs = Duration::from_secs_f64;
    let pace = match workload.pacing {
        Pacing::Timed => Pace::For(secs(mode.run_secs)),
        Pacing::Count(full, quick) => Pace::Count(if mode.quick { quick } else { full }),
        Pacing::Rate(per_sec) => Pace::Rate {
            per_sec,
            duration: secs(mode.rate_secs),
        },
    };
    if !matches!(workload.pacing, Pacing::Count(..)) {
        drive(
            Arc::clone(&op),
            workload.concurrency,
            Pace::For(secs(mode.warmup_secs)),
        )
        .await;
    }
    let gateway = targets.gateway_proc;
    let measured = target == Target::Gateway;
    let gw_cpu_before = gateway.cpu_seconds()?;
    let backend_cpu_before = targets.backend_proc.cpu_seconds()?;
    let gw_idle = gateway.rss()?.0;
    let peak_reset = measured && gateway.reset_peak();
    let sampler = gateway.sample_rss(Duration::from_millis(20));
    let sample = drive(op, workload.concurrency, pace).await;
    let sampled_peak = sampler.finish();
    let gw_cpu = gateway.cpu_seconds()? - gw_cpu_before;
    let backend_cpu = targets.backend_proc.cpu_seconds()? - backend_cpu_before;
    let hwm = if peak_reset { gateway.rss()?.1 } else { 0 };
    if let Some(error) = &sample.first_error {
        eprintln!(
            "  {} {}: {} errors, first: {error}",
            workload.id,
            target.label(),
            sample.errors
        );
    }
    Ok(Row {
        round,
        workload,
        target,
        sample,
        gateway_cpu: measured.then_some(gw_cpu),
        gateway_rss_idle: measured.then_some(gw_idle),
        gateway_rss_peak: measured.then_some(sampled_peak.max(hwm)),
        backend_cpu,
        load1: report::load_average().0,
    })
}
