//! The external tools the tests need, found or installed by the project itself: moto server
//! (a real S3 backend, from PyPI, into a project venv under the cache directory).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;

use crate::cargo;

/// The environment variable the integration tests read to find moto.
pub(crate) const MOTO_ENV: &str = "MULTISTORE_MOTO_SERVER";

/// Finds `program` on `PATH`.
fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The project's Python venv for test tools.
pub(crate) fn venv_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/multistore/venv")
}

/// `moto_server`: the one on PATH if it runs, else the project venv's, installed on first use.
pub(crate) fn ensure_moto() -> anyhow::Result<PathBuf> {
    if let Some(path) = on_path("moto_server").filter(|p| runs(p)) {
        println!("moto_server: {}", path.display());
        return Ok(path);
    }
    let venv = venv_dir();
    let moto = venv.join("bin/moto_server");
    if !runs(&moto) {
        println!("installing moto[server] into {}", venv.display());
        cargo::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        cargo::run(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "moto[server]",
        ]))?;
    }
    if !runs(&moto) {
        bail!(
            "moto_server is not usable at {} after installing it",
            moto.display()
        );
    }
    println!("moto_server: {}", moto.display());
    Ok(moto)
}

fn runs(program: &Path) -> bool {
    program.is_file()
        && Command::new(program)
            .arg("--help")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
}

/// The S3 clients the conformance recordings use, from PyPI into the project venv: boto3 and
/// the aws CLI (v1, which vendors its own botocore). Returns `(python, aws)`.
pub(crate) fn ensure_python_clients() -> anyhow::Result<(PathBuf, PathBuf)> {
    let venv = venv_dir();
    let python = venv.join("bin/python");
    let aws = venv.join("bin/aws");
    let has_boto3 = || {
        Command::new(&python)
            .args(["-c", "import boto3"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has_boto3() || !aws.is_file() {
        println!("installing boto3 and awscli into {}", venv.display());
        if !python.is_file() {
            cargo::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        cargo::run(
            Command::new(venv.join("bin/pip")).args(["install", "--quiet", "boto3", "awscli"]),
        )?;
    }
    if !has_boto3() || !aws.is_file() {
        bail!(
            "boto3 or aws is not usable in {} after installing them",
            venv.display()
        );
    }
    Ok((python, aws))
}

/// npm `packages` (each `name@version`) installed into `dir` (under the cache) when any is
/// missing; returns `dir/node_modules`.
pub(crate) fn ensure_npm_packages(dir: &Path, packages: &[&str]) -> anyhow::Result<PathBuf> {
    let modules = dir.join("node_modules");
    let missing = packages.iter().any(|spec| {
        let name = spec.rsplit_once('@').map_or(*spec, |(n, _)| n);
        !modules.join(name).join("package.json").is_file()
    });
    if missing {
        std::fs::create_dir_all(dir)?;
        println!("installing {} into {}", packages.join(" "), dir.display());
        let mut npm = Command::new("npm");
        npm.current_dir(dir)
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(dir)
            .args(packages);
        cargo::run(&mut npm)?;
    }
    Ok(modules)
}
