//! `cargo xtask worker build | dev | deploy | smoke`: the Cloudflare Worker, built and run
//! with nothing but the package registries (no downloads from GitHub or Cloudflare).
//!
//! ```text
//! build   cargo build -p multistore-worker --target wasm32-unknown-unknown --release
//!         wasm-bindgen --target module (the CLI at the Cargo.lock version, installed if needed)
//!         + the entry module            ─▶ runtimes/worker/build/{entry.mjs,index.js,index_bg.wasm,snippets/}
//! dev     build, then wrangler dev --ip 127.0.0.1 (R2 simulated on disk)
//! deploy  build, then wrangler deploy
//! wrangler the pinned wrangler in runtimes/worker (`-- secret put NAME`, `-- tail`, …)
//! smoke   build; s3s-fs (an S3 backend) and the Worker under miniflare with an R2 binding, on
//!         free 127.0.0.1 ports; runtimes/worker/smoke/{smoke,identity}.py (boto3, the aws CLI)
//!         against both; stop everything
//! compare the same suite through the native binary and the Worker, in front of s3s-fs, moto
//!         and R2, compared operation by operation (see `compare`)
//! ```
//!
//! Other tasks run the built Worker through [`miniflare`].
//!
//! Tools live in a cache outside the repository (`$MULTISTORE_CACHE`, default
//! `~/.cache/multistore`): `tools/bin/{wasm-bindgen,s3s-fs}` from `cargo install`, and
//! `npm/node_modules/.bin/wrangler` from `npm install wrangler@4.86.0` (the last wrangler that
//! runs on Node 20). Each is installed only when missing or at the wrong version, so every run
//! after the first only rebuilds what changed.
//!
//! The smoke test runs the Worker under miniflare (`smoke/serve.cjs`), the local runtime that
//! `wrangler dev` drives, from the same wrangler install: a bare workerd with a capnp config has
//! no R2 simulation, and wrangler dev's own proxy adds two things a deployed Worker never meets
//! (its outbound fetches are decoded from gzip, and its Node proxy breaks when the Worker
//! answers before reading a partly read upload). `cargo xtask worker dev` is wrangler dev.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::Subcommand;

use crate::cargo::{self, ChildEnv};

mod compare;
mod config;
pub(crate) mod miniflare;
mod procs;
mod results;
mod smoke;

/// The wrangler that runs on Node 20 (later ones need Node 22).
const WRANGLER_VERSION: &str = "4.86.0";
/// The s3s-fs that builds on Rust 1.95 (later ones need 1.96).
const S3S_FS_VERSION: &str = "0.14.1";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The crate's wasm artifact name.
const WASM_FILE: &str = "multistore_worker.wasm";

/// Options of `cargo xtask worker`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Build the Worker (wasm32 release, wasm-bindgen glue, entry module) into runtimes/worker/build/.
    Build,
    /// Build, then run the Worker locally with `wrangler dev` on 127.0.0.1.
    Dev {
        /// The port to listen on.
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// More arguments for `wrangler dev`, after `--`.
        #[arg(last = true)]
        wrangler: Vec<String>,
    },
    /// Build, then `wrangler deploy` (needs CLOUDFLARE_API_TOKEN or `wrangler login`).
    Deploy {
        /// More arguments for `wrangler deploy`, after `--` (e.g. `--dry-run`).
        #[arg(last = true)]
        wrangler: Vec<String>,
    },
    /// Build, start the Worker with an s3s-fs backend and an R2 binding, run S3 clients against it.
    Smoke,
    /// Run the scenario suite through the native binary and the Worker in front of s3s-fs, moto
    /// and R2, and compare the outcomes operation by operation.
    Compare,
    /// Run the pinned wrangler in runtimes/worker with the arguments after `--` (e.g. `secret put NAME`).
    Wrangler {
        #[arg(last = true)]
        args: Vec<String>,
    },
}

/// Runs `cargo xtask worker …`.
pub(crate) fn run(root: &Path, args: &Args) -> anyhow::Result<()> {
    let env = ChildEnv::from_process(root);
    let paths = Paths::new(root);
    match &args.command {
        Action::Build => build(&paths, &env).map(|_| ()),
        Action::Dev { port, wrangler } => dev(&paths, &env, *port, wrangler),
        Action::Deploy { wrangler } => deploy(&paths, &env, wrangler),
        Action::Smoke => smoke::smoke(&paths, &env),
        Action::Compare => compare::compare(&paths, &env),
        Action::Wrangler { args } => {
            let wrangler = wrangler(&paths)?;
            let mut command = wrangler_command(&wrangler);
            command.current_dir(&paths.crate_dir).args(args);
            cargo::run(&mut command)
        }
    }
}

/// Where things are.
struct Paths {
    root: PathBuf,
    /// `$MULTISTORE_CACHE` or `~/.cache/multistore`.
    cache: PathBuf,
    /// The cargo target directory children use.
    target: PathBuf,
    /// `runtimes/worker`.
    crate_dir: PathBuf,
}

impl Paths {
    fn new(root: &Path) -> Self {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        let cache = std::env::var_os("MULTISTORE_CACHE")
            .filter(|c| !c.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".cache/multistore")))
            .unwrap_or_else(|| root.join("target/multistore-cache"));
        // The same rule as ChildEnv: an explicit CARGO_TARGET_DIR, else the shared cache.
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .filter(|t| !t.is_empty())
            .map(|t| root.join(PathBuf::from(t)))
            .or_else(|| home.map(|h| h.join(".cache/multistore/target")))
            .unwrap_or_else(|| root.join("target"));
        Self {
            root: root.to_path_buf(),
            crate_dir: root.join("runtimes/worker"),
            cache,
            target,
        }
    }

    fn tools(&self) -> PathBuf {
        self.cache.join("tools")
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.tools().join("bin").join(name)
    }

    fn npm(&self) -> PathBuf {
        self.cache.join("npm")
    }

    fn build_dir(&self) -> PathBuf {
        self.crate_dir.join("build")
    }

    /// wrangler's own config and logs (kept out of `~/.config`).
    fn xdg_config(&self) -> PathBuf {
        self.cache.join("worker/xdg-config")
    }
}

/// What `build` produced.
struct Bundle {
    entry: PathBuf,
}

// ---------------------------------------------------------------------------------------- build

fn build(paths: &Paths, env: &ChildEnv) -> anyhow::Result<Bundle> {
    let started = Instant::now();
    let version = locked_version(&paths.root, "wasm-bindgen")?;
    let mut cargo_build = env.cargo(&[
        "build",
        "-p",
        "multistore-worker",
        "--target",
        WASM_TARGET,
        "--release",
    ]);
    // The upload size limit and cold starts make size matter more than speed here: the
    // workspace's release profile, tuned for the native server, is adjusted for this build
    // only (these settings get their own artifacts; nothing else is rebuilt).
    for (name, value) in WASM_PROFILE {
        cargo_build.env(name, value);
    }
    cargo::run(&mut cargo_build)?;
    let wasm = paths
        .target
        .join(WASM_TARGET)
        .join("release")
        .join(WASM_FILE);
    ensure!(wasm.is_file(), "the build produced no {}", wasm.display());
    let bindgen = wasm_bindgen(paths, env, &version)?;

    let out = paths.build_dir();
    if out.exists() {
        fs::remove_dir_all(&out).with_context(|| format!("cannot clear {}", out.display()))?;
    }
    fs::create_dir_all(&out)?;
    let mut command = Command::new(&bindgen);
    command
        .args([
            "--target",
            "module",
            "--out-name",
            "index",
            "--no-typescript",
            "--out-dir",
        ])
        .arg(&out)
        .arg(&wasm);
    cargo::run(&mut command)?;

    // workerd imports a wasm module as a default import; wasm-bindgen writes a source-phase
    // import (`import source wasm from …`), which worker-build rewrites the same way.
    let glue = out.join("index.js");
    let text =
        fs::read_to_string(&glue).with_context(|| format!("cannot read {}", glue.display()))?;
    fs::write(&glue, fix_wasm_import(&text))?;
    let entry = out.join("entry.mjs");
    fs::write(&entry, ENTRY_MODULE)?;

    let raw = file_size(&wasm)?;
    let bound = file_size(&out.join("index_bg.wasm"))?;
    let gzipped = gzip_size(&out.join("index_bg.wasm"));
    println!(
        "worker bundle: {} ({:.1}s)\n  wasm: {} raw from cargo, {} after wasm-bindgen{}",
        out.display(),
        started.elapsed().as_secs_f64(),
        kib(raw),
        kib(bound),
        gzipped
            .map(|g| format!(", {} gzipped (what Cloudflare's size limit counts)", kib(g)))
            .unwrap_or_default(),
    );
    Ok(Bundle { entry })
}

/// `[profile.release]` overrides for the wasm build: small code, no DWARF (wasm-bindgen would
/// strip it anyway), whole-program optimization.
const WASM_PROFILE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s"),
    ("CARGO_PROFILE_RELEASE_LTO", "true"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
];

/// The module wrangler and workerd load: the wasm-bindgen glue behind a module worker's
/// default export.
const ENTRY_MODULE: &str = r#"// Written by `cargo xtask worker build`.
import * as worker from "./index.js";

export default {
  fetch(request, env, ctx) {
    return worker.fetch(request, env, ctx);
  },
};
"#;

/// `import source x from "…wasm"` → `import x from "…wasm"`.
fn fix_wasm_import(glue: &str) -> String {
    glue.lines()
        .map(|line| match line.strip_prefix("import source ") {
            Some(rest) => format!("import {rest}"),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn file_size(path: &Path) -> anyhow::Result<u64> {
    Ok(fs::metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?
        .len())
}

/// The size of `gzip -9` of a file, when gzip is installed.
fn gzip_size(path: &Path) -> Option<u64> {
    let out = Command::new("gzip").arg("-9c").arg(path).output().ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

fn kib(bytes: u64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

/// The version of `package` in the workspace's Cargo.lock.
fn locked_version(root: &Path, package: &str) -> anyhow::Result<String> {
    #[derive(serde::Deserialize)]
    struct Lock {
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let path = root.join("Cargo.lock");
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let lock: Lock =
        toml::from_str(&text).with_context(|| format!("{} does not parse", path.display()))?;
    let versions: Vec<String> = lock
        .package
        .into_iter()
        .filter(|p| p.name == package)
        .map(|p| p.version)
        .collect();
    match versions.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("Cargo.lock has no {package}; build the workspace once"),
        many => bail!(
            "Cargo.lock has several {package} versions: {}",
            many.join(", ")
        ),
    }
}

/// A wasm-bindgen CLI at exactly `version`: the cached one, one on PATH, or a new install.
fn wasm_bindgen(paths: &Paths, env: &ChildEnv, version: &str) -> anyhow::Result<PathBuf> {
    let wanted = format!("wasm-bindgen {version}");
    let matches = |program: &Path| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == wanted
            })
    };
    let cached = paths.tool("wasm-bindgen");
    for candidate in [cached.clone(), PathBuf::from("wasm-bindgen")] {
        if matches(&candidate) {
            return Ok(candidate);
        }
    }
    println!(
        "wasm-bindgen {version} is not installed: installing it into {}",
        paths.tools().display()
    );
    cargo_install(paths, env, "wasm-bindgen-cli", version, &[])?;
    ensure!(
        matches(&cached),
        "{} is not {wanted} after installing it",
        cached.display()
    );
    Ok(cached)
}

/// `cargo install --root <tools> <krate> --version <version>`. Not `--locked`: the published
/// lockfile of wasm-bindgen-cli pins a webpki-roots the registry no longer offers. The build
/// runs in cargo's own temporary directory (not the shared target directory, which it would
/// hold locked for minutes).
fn cargo_install(
    paths: &Paths,
    env: &ChildEnv,
    krate: &str,
    version: &str,
    extra: &[&str],
) -> anyhow::Result<()> {
    let tools = paths.tools();
    fs::create_dir_all(&tools)?;
    let mut command = env.cargo(&["install", "--root"]);
    command
        .arg(&tools)
        .args([krate, "--version", version])
        .args(extra);
    command.env_remove("CARGO_TARGET_DIR");
    cargo::run(&mut command)
}

// ------------------------------------------------------------------------------- node, wrangler

/// Node's major version, or `None` when node is not installed.
fn node_major() -> Option<u32> {
    let out = Command::new("node").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// wrangler at [`WRANGLER_VERSION`], installed with npm into the cache when missing.
fn wrangler(paths: &Paths) -> anyhow::Result<PathBuf> {
    match node_major() {
        None => bail!("Node.js is needed for wrangler (Node 20 or later): install nodejs"),
        Some(major) if major < 20 => {
            bail!("wrangler {WRANGLER_VERSION} needs Node 20 or later, found Node {major}")
        }
        Some(_) => {}
    }
    let dir = paths.npm();
    let bin = dir.join("node_modules/.bin/wrangler");
    let manifest = dir.join("node_modules/wrangler/package.json");
    let installed = fs::read_to_string(&manifest)
        .is_ok_and(|m| m.contains(&format!("\"version\": \"{WRANGLER_VERSION}\"")));
    if installed && bin.exists() {
        return Ok(bin);
    }
    println!(
        "wrangler {WRANGLER_VERSION} is not installed: installing it into {}",
        dir.display()
    );
    fs::create_dir_all(&dir)?;
    let package = dir.join("package.json");
    if !package.exists() {
        fs::write(
            &package,
            "{ \"name\": \"multistore-worker-tools\", \"private\": true }\n",
        )?;
    }
    let mut command = Command::new("npm");
    command
        .current_dir(&dir)
        .args(["install", "--no-fund", "--no-audit", "--save-exact"])
        .arg(format!("wrangler@{WRANGLER_VERSION}"));
    cargo::run(&mut command)?;
    ensure!(bin.exists(), "npm installed no {}", bin.display());
    Ok(bin)
}

/// A wrangler command with telemetry and the `Request.cf` download off.
fn wrangler_command(wrangler: &Path) -> Command {
    let mut command = Command::new(wrangler);
    command
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("DO_NOT_TRACK", "1");
    command
}

fn dev(paths: &Paths, env: &ChildEnv, port: u16, extra: &[String]) -> anyhow::Result<()> {
    let wrangler = wrangler(paths)?;
    build(paths, env)?;
    let state = paths
        .cache
        .join(format!("worker/dev-state-{WRANGLER_VERSION}"));
    let mut command = wrangler_command(&wrangler);
    command
        .current_dir(&paths.crate_dir)
        .env("XDG_CONFIG_HOME", paths.xdg_config())
        .args([
            "dev",
            "--config",
            "wrangler.toml",
            "--ip",
            "127.0.0.1",
            "--port",
        ])
        .arg(port.to_string())
        .arg("--persist-to")
        .arg(&state)
        .args(extra);
    println!("local R2 data: {}", state.display());
    cargo::run(&mut command)
}

fn deploy(paths: &Paths, env: &ChildEnv, extra: &[String]) -> anyhow::Result<()> {
    let wrangler = wrangler(paths)?;
    build(paths, env)?;
    // Not XDG_CONFIG_HOME: `wrangler login` keeps its credentials in the user's config.
    let mut command = wrangler_command(&wrangler);
    command
        .current_dir(&paths.crate_dir)
        .args(["deploy", "--config", "wrangler.toml"])
        .args(extra);
    cargo::run(&mut command)
}

/// The `cargo xtask test` step: the Worker's wasm build, the smoke test under miniflare
/// (workerd), and the comparison with the native runtime; every tool installed when missing.
pub(crate) fn ci_step(root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    let paths = Paths::new(root);
    smoke::smoke(&paths, env)?;
    compare::compare(&paths, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_phase_wasm_imports_become_default_imports() {
        let glue =
            "import source wasmModule from \"./index_bg.wasm\";\nimport * as x from \"./y.js\";\n";
        assert_eq!(
            fix_wasm_import(glue),
            "import wasmModule from \"./index_bg.wasm\";\nimport * as x from \"./y.js\";\n"
        );
    }

    #[test]
    fn the_lockfile_names_one_wasm_bindgen() {
        let version = locked_version(&crate::repo_root(), "wasm-bindgen").unwrap();
        assert!(version.starts_with("0.2."), "{version}");
        let manifest =
            fs::read_to_string(crate::repo_root().join("runtimes/worker/Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("wasm-bindgen = \"={version}\"")),
            "runtimes/worker/Cargo.toml pins wasm-bindgen to the locked {version}"
        );
    }
}
