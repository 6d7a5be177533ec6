//! `cargo xtask worker smoke`: the Worker under miniflare (`runtimes/worker/smoke/serve.cjs`)
//! with an s3s-fs backend and a simulated R2 binding, on free 127.0.0.1 ports, exercised by
//! `runtimes/worker/smoke/smoke.py`; every process it starts runs in its own process group and
//! is stopped when it ends, however it ends.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};

use super::miniflare::{BuiltWorker, Options};
use super::procs::{Processes, free_port, wait_ready};
use super::{Paths, S3S_FS_VERSION, cargo_install, node_major};
use crate::cargo::{self, ChildEnv};

/// The client credentials and limits of the smoke configuration.
const SMOKE_ACCESS_KEY: &str = "AKIASMOKETEST000001";
const SMOKE_SECRET: &str = "smoke-secret-0123456789abcdefghijklmnop";
const BACKEND_ACCESS_KEY: &str = "s3sfsbackend";
const BACKEND_SECRET: &str = "s3sfs-backend-secret";
const SMOKE_MAX_UPLOAD: u64 = 8 * 1024 * 1024;

pub(super) fn smoke(paths: &Paths, env: &ChildEnv) -> anyhow::Result<()> {
    let started = Instant::now();
    if node_major().is_none() {
        println!(
            "SKIPPED: the Worker smoke test needs Node.js (wrangler); `node` is not installed"
        );
        return Ok(());
    }
    let python = check_python()?;
    let built = BuiltWorker::build(&paths.root, env)?;
    let s3s_fs = s3s_fs(paths, env)?;
    let prepared = started.elapsed();

    // A fresh directory per run: the backend's files, the simulated R2 bucket, logs.
    let run_dir = paths.cache.join("worker/smoke");
    if run_dir.exists() {
        fs::remove_dir_all(&run_dir)
            .with_context(|| format!("cannot clear {}", run_dir.display()))?;
    }
    let data = run_dir.join("s3s-data");
    fs::create_dir_all(data.join("backend-bucket"))?;
    let backend_port = free_port()?;

    let mut processes = Processes::default();
    let mut backend = Command::new(&s3s_fs);
    backend
        .args(["--host", "127.0.0.1", "--port", &backend_port.to_string()])
        .args(["--access-key", BACKEND_ACCESS_KEY])
        .args(["--secret-key", BACKEND_SECRET])
        .arg(&data);
    processes.spawn("s3s-fs", backend, &run_dir.join("s3s-fs.log"))?;
    wait_ready(backend_port, Duration::from_secs(20), &mut processes).inspect_err(|_| {
        processes.report();
    })?;

    let options = Options::new(smoke_gateway_config(backend_port))
        .binding("CLIENT_SECRET", SMOKE_SECRET)
        .binding("BACKEND_SECRET", BACKEND_SECRET)
        .r2_bucket("SMOKE_R2");
    let worker = built.start(&options, &run_dir)?;
    let endpoint = worker.endpoint().to_owned();
    println!(
        "smoke: s3s-fs on 127.0.0.1:{backend_port}, the Worker on {endpoint} (ready {:.1}s after the build; log {})",
        (started.elapsed() - prepared).as_secs_f64(),
        worker.log().display()
    );

    let mut client = Command::new(&python);
    client
        .arg(paths.crate_dir.join("smoke/smoke.py"))
        .args([
            "--endpoint",
            &endpoint,
            "--access-key",
            SMOKE_ACCESS_KEY,
            "--secret-key",
            SMOKE_SECRET,
        ])
        .args(["--max-upload", &SMOKE_MAX_UPLOAD.to_string()])
        .arg("--workdir")
        .arg(&run_dir);
    for bucket in ["s3-bucket", "r2-bucket", "r2-prefixed"] {
        client.args(["--bucket", bucket]);
    }
    // R2-only checks run on one R2 bucket. s3s-fs ignores If-Match/If-None-Match on GET and
    // answers 403 for an upload it no longer knows; miniflare decodes gzip-labelled objects
    // that the Worker fetched from S3 (see smoke.py).
    client.args(["--r2-bucket", "r2-bucket"]);
    client.args(["--lenient-conditions", "s3-bucket"]);
    client.args(["--skip-encoded", "s3-bucket"]);
    let result = cargo::run(&mut client);
    if result.is_err() {
        processes.report();
        worker.report();
    }
    drop(worker);
    processes.stop_all();
    result.context("the Worker smoke test failed")?;
    println!(
        "smoke: passed in {:.1}s ({:.1}s of it building and installing); logs in {}",
        started.elapsed().as_secs_f64(),
        prepared.as_secs_f64(),
        run_dir.display()
    );
    Ok(())
}

/// A python3 that has boto3.
fn check_python() -> anyhow::Result<OsString> {
    let python = OsString::from("python3");
    let ok = Command::new(&python)
        .args(["-c", "import boto3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ensure!(
        ok,
        "the smoke test needs python3 with boto3 (pip install boto3)"
    );
    Ok(python)
}

/// s3s-fs at [`S3S_FS_VERSION`], installed when missing.
fn s3s_fs(paths: &Paths, env: &ChildEnv) -> anyhow::Result<PathBuf> {
    let bin = paths.tool("s3s-fs");
    let version_ok = |bin: &Path| {
        Command::new(bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(S3S_FS_VERSION))
    };
    if version_ok(&bin) {
        return Ok(bin);
    }
    println!(
        "s3s-fs {S3S_FS_VERSION} is not installed: installing it into {}",
        paths.tools().display()
    );
    cargo_install(
        paths,
        env,
        "s3s-fs",
        S3S_FS_VERSION,
        &["--features", "binary"],
    )?;
    ensure!(bin.exists(), "cargo installed no {}", bin.display());
    Ok(bin)
}

/// The gateway configuration of the smoke test: an S3 bucket on s3s-fs (with a key prefix,
/// so listings are rewritten), an R2 bucket, and a second R2 bucket with a prefix on the same
/// binding.
fn smoke_gateway_config(backend_port: u16) -> String {
    format!(
        r#"{{
  "limits": {{ "max_upload_bytes": {SMOKE_MAX_UPLOAD} }},
  "buckets": [
    {{ "name": "s3-bucket", "backend": {{ "type": "s3", "endpoint": "http://127.0.0.1:{backend_port}",
       "region": "us-east-1", "bucket": "backend-bucket", "prefix": "gw/",
       "access_key_id": "{BACKEND_ACCESS_KEY}", "secret_access_key": {{ "env": "BACKEND_SECRET" }} }} }},
    {{ "name": "r2-bucket", "backend": {{ "type": "r2", "binding": "SMOKE_R2" }} }},
    {{ "name": "r2-prefixed", "backend": {{ "type": "r2", "binding": "SMOKE_R2", "prefix": "p/" }} }}
  ],
  "credentials": [
    {{ "access_key_id": "{SMOKE_ACCESS_KEY}", "principal": "smoke",
       "secret_access_key": {{ "env": "CLIENT_SECRET" }},
       "scopes": [ {{ "bucket": "*", "actions": ["all"] }} ] }}
  ]
}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoke_config_points_at_the_backend_and_names_its_secrets() {
        let config = smoke_gateway_config(9000);
        assert!(
            config.contains("\"endpoint\": \"http://127.0.0.1:9000\""),
            "{config}"
        );
        assert!(config.contains("\"env\": \"BACKEND_SECRET\""), "{config}");
        assert!(config.contains("\"binding\": \"SMOKE_R2\""), "{config}");
    }
}
