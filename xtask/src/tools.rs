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
fn venv_dir() -> PathBuf {
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
