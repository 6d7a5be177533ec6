//! `cargo xtask worker smoke`: the Worker under miniflare (`runtimes/worker/smoke/serve.cjs`)
//! with an s3s-fs backend and a simulated R2 binding, on free 127.0.0.1 ports, exercised by
//! `runtimes/worker/smoke/smoke.py`; every process it starts runs in its own process group and
//! is stopped when it ends, however it ends.

use std::ffi::OsString;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

use super::{Paths, S3S_FS_VERSION, build, cargo_install, node_major, wrangler};
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
    // miniflare, the runtime wrangler dev drives, comes with wrangler.
    wrangler(paths)?;
    let bundle = build(paths, env)?;
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
    let worker_port = free_port()?;

    let mut processes = Processes::default();
    let mut backend = Command::new(&s3s_fs);
    backend
        .args(["--host", "127.0.0.1", "--port", &backend_port.to_string()])
        .args(["--access-key", BACKEND_ACCESS_KEY])
        .args(["--secret-key", BACKEND_SECRET])
        .arg(&data);
    processes.spawn("s3s-fs", backend, &run_dir.join("s3s-fs.log"))?;

    let settings = run_dir.join("miniflare.json");
    fs::write(
        &settings,
        smoke_settings(paths, &bundle.entry, worker_port, backend_port, &run_dir),
    )?;
    let mut worker = Command::new("node");
    worker
        .current_dir(&run_dir)
        .arg(paths.crate_dir.join("smoke/serve.cjs"))
        .arg(&settings);
    processes.spawn(
        "the Worker (miniflare)",
        worker,
        &run_dir.join("worker.log"),
    )?;

    let endpoint = format!("http://127.0.0.1:{worker_port}");
    let ready = wait_ready(backend_port, Duration::from_secs(20), &mut processes)
        .and_then(|()| wait_ready(worker_port, Duration::from_secs(90), &mut processes));
    if let Err(e) = ready {
        processes.report();
        return Err(e);
    }
    println!(
        "smoke: s3s-fs on 127.0.0.1:{backend_port}, the Worker on {endpoint} (ready {:.1}s after the build)",
        (started.elapsed() - prepared).as_secs_f64()
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
    }
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

/// The settings `smoke/serve.cjs` runs the Worker with (JSON): the bindings a deployment
/// would have in wrangler.toml, and where the simulated R2 bucket lives.
fn smoke_settings(
    paths: &Paths,
    entry: &Path,
    port: u16,
    backend_port: u16,
    run_dir: &Path,
) -> String {
    let config = smoke_gateway_config(backend_port);
    format!(
        r#"{{
  "miniflare": {npm},
  "entry": {entry},
  "port": {port},
  "compatibilityDate": "2025-09-01",
  "bindings": {{
    "MULTISTORE_CONFIG": {config},
    "CLIENT_SECRET": {client},
    "BACKEND_SECRET": {backend}
  }},
  "r2Buckets": ["SMOKE_R2"],
  "r2Persist": {persist}
}}
"#,
        npm = json_string(&paths.npm().to_string_lossy()),
        entry = json_string(&entry.to_string_lossy()),
        config = json_string(&config),
        client = json_string(SMOKE_SECRET),
        backend = json_string(BACKEND_SECRET),
        persist = json_string(&run_dir.join("r2-state").to_string_lossy()),
    )
}

/// `value` as a JSON string literal.
fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A port that was free a moment ago.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("no free local port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until `127.0.0.1:port` answers an HTTP request (any status), failing as soon as one
/// of `processes` has exited.
fn wait_ready(port: u16, timeout: Duration, processes: &mut Processes) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let request =
                format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
            let mut head = [0u8; 12];
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_exact(&mut head).is_ok()
                && head.starts_with(b"HTTP/1.")
            {
                return Ok(());
            }
        }
        processes.check_running()?;
        if Instant::now() > deadline {
            bail!("nothing answered on 127.0.0.1:{port} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The processes a smoke run started, each in its own process group, stopped (group and all:
/// wrangler runs workerd as a child) when done or dropped.
#[derive(Default)]
struct Processes {
    running: Vec<(&'static str, Child, PathBuf)>,
}

impl Processes {
    fn spawn(
        &mut self,
        name: &'static str,
        mut command: Command,
        log: &Path,
    ) -> anyhow::Result<()> {
        let out = fs::File::create(log)?;
        let err = out.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        self.running.push((name, child, log.to_path_buf()));
        Ok(())
    }

    /// Fails when a process has exited.
    fn check_running(&mut self) -> anyhow::Result<()> {
        for (name, child, log) in &mut self.running {
            if let Ok(Some(status)) = child.try_wait() {
                bail!("{name} exited ({status}); see {}", log.display());
            }
        }
        Ok(())
    }

    /// Prints the end of each log (after a failure).
    fn report(&self) {
        for (name, _, log) in &self.running {
            let text = fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            eprintln!("---- {name}: last lines of {} ----", log.display());
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }

    fn stop_all(&mut self) {
        for (_, child, _) in &mut self.running {
            signal_group(child.id(), "TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for (_, child, _) in &mut self.running {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(child.try_wait(), Ok(None)) {
                signal_group(child.id(), "KILL");
                let _ = child.wait();
            }
        }
        self.running.clear();
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// Sends `signal` to the process group led by `pid` (one this task created).
fn signal_group(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pid}"))
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_what_json_requires() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), r#""a\"b\\c\nd\u0001""#);
        assert_eq!(json_string("ü/x"), "\"ü/x\"");
    }

    #[test]
    fn the_smoke_settings_carry_the_config_as_a_string() {
        let paths = Paths::new(Path::new("/repo"));
        let text = smoke_settings(
            &paths,
            Path::new("/x/entry.mjs"),
            8787,
            9000,
            Path::new("/run"),
        );
        assert!(text.contains(r#""entry": "/x/entry.mjs""#), "{text}");
        assert!(
            text.contains(r#"\"endpoint\": \"http://127.0.0.1:9000\""#),
            "{text}"
        );
        assert!(text.contains(r#""r2Buckets": ["SMOKE_R2"]"#), "{text}");
        // The embedded configuration is one line of JSON string: no raw newline inside it.
        let config_line = text
            .lines()
            .find(|l| l.contains("MULTISTORE_CONFIG"))
            .unwrap();
        assert!(config_line.trim_end().ends_with("\","), "{config_line}");
    }

    #[test]
    fn free_ports_are_nonzero() {
        assert_ne!(free_port().unwrap(), 0);
    }
}
