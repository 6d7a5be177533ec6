//! `cargo xtask worker compare`: the same scenario suite (`smoke/smoke.py` and
//! `smoke/identity.py`) against the native `multistore` binary and the Worker (under
//! miniflare), each in front of the same real backend, and the outcomes compared check by
//! check and operation by operation.
//!
//! ```text
//! backend            native runtime              Worker
//! s3s-fs             multistore serve            miniflare, fetch()
//! moto               multistore serve            miniflare, fetch()
//! R2 (simulated)     type = "local" (reference)  miniflare, R2 binding
//! ```
//!
//! Each runtime gets its own key prefix on the shared backend bucket, so neither sees the
//! other's objects. A difference between the runtimes fails the run unless [`EXPECTED`] names
//! it (backend, check, and why); an entry whose difference did not happen fails too, so the
//! table stays true. A check that fails the same way on both runtimes is a backend limitation:
//! it is listed, not hidden, and does not fail the run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::config::{self, Backend, Target};
use super::miniflare::{BuiltWorker, Options};
use super::procs::{Processes, free_port, wait_ready};
use super::results::{self, Run};
use super::{Paths, node_major};
use crate::cargo::{self, ChildEnv};

/// Where the runtimes differ, and why: each entry is a platform fact, checked to happen.
pub(crate) struct Difference {
    pub(crate) backends: &'static [Backend],
    pub(crate) check: &'static str,
    pub(crate) why: &'static str,
}

/// The runtime differences the comparison accepts (Worker vs native, same backend).
pub(crate) const EXPECTED: &[Difference] = &[
    Difference {
        backends: &[Backend::S3sFs, Backend::Moto, Backend::R2],
        check: "dot-segment keys",
        why: "workerd parses the request URL (WHATWG) before the Worker sees it, removing `.` \
              and `..` segments, so the client's signature no longer matches the path: 403 \
              SignatureDoesNotMatch and nothing stored (`./..` turns into a bucket request: \
              405); fetch() would remove them on the way to an HTTP backend too",
    },
    Difference {
        backends: &[Backend::S3sFs],
        check: "gzip-labelled object",
        why: "under miniflare, workerd tries to gunzip s3s-fs's answer for a \
              `Content-Encoding: gzip` object and fails (`gzip decompression failed` in its \
              worker entrypoint); the same object from moto and from R2 crosses byte for byte, \
              and the Worker fetches with `encodeResponseBody: \"manual\"`",
    },
    Difference {
        backends: &[Backend::R2],
        check: "tagging",
        why: "R2 has no object tags: the R2 mapping answers 501 NotImplemented, where the \
              native store keeps them",
    },
];

pub(super) fn compare(paths: &Paths, env: &ChildEnv) -> anyhow::Result<()> {
    let started = Instant::now();
    if node_major().is_none() {
        println!(
            "SKIPPED: the runtime comparison needs Node.js (wrangler); `node` is not installed"
        );
        return Ok(());
    }
    let python = super::smoke::check_python()?;
    let built = BuiltWorker::build(&paths.root, env)?;
    let s3s_fs = super::smoke::s3s_fs(paths, env)?;
    let moto = crate::tools::ensure_moto()?;
    let native = native_binary(paths, env)?;
    println!(
        "compare: prepared in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let run_dir = paths.cache.join("worker/compare");
    if run_dir.exists() {
        fs::remove_dir_all(&run_dir)
            .with_context(|| format!("cannot clear {}", run_dir.display()))?;
    }
    fs::create_dir_all(&run_dir)?;
    let tools = Tools {
        python,
        built,
        s3s_fs,
        moto,
        native,
    };
    let mut failures = Vec::new();
    let mut report = String::new();
    for backend in [Backend::S3sFs, Backend::Moto, Backend::R2] {
        let dir = run_dir.join(backend.name());
        fs::create_dir_all(&dir)?;
        let (native_run, worker_run) = run_backend(paths, &tools, backend, &dir)?;
        let verdict = results::compare(backend, &native_run, &worker_run, EXPECTED);
        print!("{}", verdict.table);
        report.push_str(&verdict.table);
        failures.extend(verdict.failures);
    }
    let report_file = run_dir.join("report.txt");
    fs::write(&report_file, &report)?;
    println!(
        "compare: {:.1}s; report in {}",
        started.elapsed().as_secs_f64(),
        report_file.display()
    );
    if !failures.is_empty() {
        bail!(
            "the runtimes differ where no platform reason is named:\n  {}",
            failures.join("\n  ")
        );
    }
    Ok(())
}

/// What the runs need, found or installed once.
struct Tools {
    python: PathBuf,
    built: BuiltWorker,
    s3s_fs: PathBuf,
    moto: PathBuf,
    native: PathBuf,
}

/// The native binary, built (debug, as `cargo test` builds it) when it is stale.
fn native_binary(paths: &Paths, env: &ChildEnv) -> anyhow::Result<PathBuf> {
    cargo::run(&mut env.cargo(&["build", "-p", "multistore", "--bin", "multistore"]))?;
    let bin = paths.target.join("debug/multistore");
    anyhow::ensure!(bin.is_file(), "the build produced no {}", bin.display());
    Ok(bin)
}

/// Starts `backend`, runs the suite through the native runtime and then the Worker, and
/// returns both runs' results.
fn run_backend(
    paths: &Paths,
    tools: &Tools,
    backend: Backend,
    dir: &Path,
) -> anyhow::Result<(Run, Run)> {
    let mut processes = Processes::default();
    let port = match backend {
        Backend::S3sFs => {
            let port = free_port()?;
            let data = dir.join("s3s-data");
            fs::create_dir_all(data.join(config::BACKEND_BUCKET))?;
            let mut command = Command::new(&tools.s3s_fs);
            command
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", config::BACKEND_ACCESS_KEY])
                .args(["--secret-key", config::BACKEND_SECRET])
                .arg(&data);
            processes.spawn("s3s-fs", command, &dir.join("s3s-fs.log"))?;
            wait_ready(port, Duration::from_secs(20), &mut processes)?;
            Some(port)
        }
        Backend::Moto => {
            let port = free_port()?;
            let mut command = Command::new(&tools.moto);
            command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            processes.spawn("moto", command, &dir.join("moto.log"))?;
            wait_ready(port, Duration::from_secs(30), &mut processes)?;
            create_moto_bucket(port)?;
            Some(port)
        }
        Backend::R2 => None,
    };
    let keys = paths.root.join("core/tests/keys");
    let native = {
        let target = Target::native(backend, port, dir);
        let issuer_port = free_port()?;
        let text = config::gateway_toml(&target, issuer_port);
        let file = dir.join("native.toml");
        fs::write(&file, &text)?;
        let listen = free_port()?;
        let mut command = Command::new(&tools.native);
        command
            .arg("serve")
            .arg("--config")
            .arg(&file)
            .args(["--listen", &format!("127.0.0.1:{listen}")])
            .arg("--data-dir")
            .arg(dir.join("native-data"));
        for (name, value) in config::secrets(&keys)? {
            command.env(name, value);
        }
        let mut gateway = Processes::default();
        gateway.spawn("multistore (native)", command, &dir.join("native.log"))?;
        if let Err(e) = wait_ready(listen, Duration::from_secs(30), &mut gateway) {
            gateway.report();
            return Err(e);
        }
        let endpoint = format!("http://127.0.0.1:{listen}");
        let run = suite(paths, tools, &target, &endpoint, issuer_port, dir, "native");
        if run.is_err() {
            gateway.report();
        }
        run?
    };
    let worker = {
        let target = Target::worker(backend, port);
        let issuer_port = free_port()?;
        let json = config::toml_to_json(&config::gateway_toml(&target, issuer_port))?;
        let mut options = Options::new(json);
        for (name, value) in config::secrets(&keys)? {
            options = options.binding(name, &value);
        }
        if backend == Backend::R2 {
            options = options.r2_bucket(config::R2_BINDING);
        }
        let running = tools.built.start(&options, &dir.join("worker"))?;
        let run = suite(
            paths,
            tools,
            &target,
            running.endpoint(),
            issuer_port,
            dir,
            "worker",
        );
        if run.is_err() {
            running.report();
        }
        run?
    };
    processes.stop_all();
    Ok((native, worker))
}

/// Runs smoke.py (keep going, results recorded) and identity.py against `endpoint`.
fn suite(
    paths: &Paths,
    tools: &Tools,
    target: &Target,
    endpoint: &str,
    issuer_port: u16,
    dir: &Path,
    runtime: &str,
) -> anyhow::Result<Run> {
    let s3_results = dir.join(format!("{runtime}-s3.json"));
    let identity_results = dir.join(format!("{runtime}-identity.json"));
    let workdir = dir.join(format!("{runtime}-work"));
    fs::create_dir_all(&workdir)?;
    println!(
        "compare: {} through the {runtime} runtime at {endpoint}",
        target.backend.name()
    );
    let mut s3 = Command::new(&tools.python);
    s3.arg(paths.crate_dir.join("smoke/smoke.py"))
        .args(["--endpoint", endpoint])
        .args(["--access-key", config::CLIENT_ACCESS_KEY])
        .args(["--secret-key", config::CLIENT_SECRET])
        .args(["--reader-key", config::READER_ACCESS_KEY])
        .args(["--reader-secret", config::READER_SECRET])
        .args(["--bucket", config::BUCKET])
        .args(["--max-upload", &config::MAX_UPLOAD.to_string()])
        .arg("--keep-going")
        .arg("--results")
        .arg(&s3_results)
        .arg("--workdir")
        .arg(&workdir);
    cargo::run(&mut s3)?;
    let mut identity = Command::new(&tools.python);
    identity
        .arg(paths.crate_dir.join("smoke/identity.py"))
        .args(["--endpoint", endpoint])
        .args(["--issuer-port", &issuer_port.to_string()])
        .arg("--keys")
        .arg(paths.root.join("core/tests/keys"))
        .args([
            "--bucket",
            config::BUCKET,
            "--other-bucket",
            config::OTHER_BUCKET,
        ])
        .args(["--gateway-issuer", config::GATEWAY_ISSUER])
        .arg("--gateway-key")
        .arg(paths.root.join(config::GATEWAY_KEY))
        .arg("--results")
        .arg(&identity_results);
    // A failed identity check is recorded like the S3 ones: the comparison judges it.
    let identity_ok = cargo::run(&mut identity).is_ok();
    Run::load(&s3_results, &identity_results, identity_ok)
}

/// `PUT /<bucket>` on moto (which checks no signatures).
fn create_moto_bucket(port: u16) -> anyhow::Result<()> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "PUT /{} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        config::BACKEND_BUCKET
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if !answer.starts_with("HTTP/1.1 200") {
        bail!(
            "moto did not create the bucket: {}",
            answer.lines().next().unwrap_or("")
        );
    }
    Ok(())
}
