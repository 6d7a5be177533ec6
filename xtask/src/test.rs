//! `cargo xtask test`: the one command that runs every check, the same locally and in CI.
//!
//! The steps run in a fixed order, cheapest and most likely to fail first, and the first failure
//! stops the run with a banner naming the step. Children get the defaults of
//! [`ChildEnv`](crate::cargo::ChildEnv): the shared target directory and `../shared/models`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cargo::{self, ChildEnv};
use crate::{codegen, deptree};

/// The target the core must build for.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The rustup components the steps need.
const COMPONENTS: &[&str] = &["rustfmt", "clippy"];

type StepFn = fn(&Path, &ChildEnv) -> anyhow::Result<()>;

/// Every step, in the order it runs.
const STEPS: &[(&str, StepFn)] = &[
    ("toolchain: wasm32 target, rustfmt, clippy", toolchain),
    ("cargo fmt --check", fmt),
    ("cargo clippy -D warnings", clippy),
    ("cargo xtask codegen --check", codegen_check),
    ("cargo test --workspace", tests),
    (
        "generator handles the whole S3 model (all operations)",
        generality,
    ),
    ("multistore-core builds for wasm32", wasm_build),
    (
        "multistore-core depends on neither tokio nor hyper",
        core_dependencies,
    ),
    (
        "worker: wasm build and smoke test under workerd",
        crate::worker::ci_step,
    ),
    (
        "conformance replay (both runtimes)",
        crate::conformance::ci_step,
    ),
    ("fuzz targets", crate::fuzz::ci_step),
];

/// Runs every step, stopping at the first failure.
pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let env = ChildEnv::from_process(root);
    println!("{}", env.describe());
    let start = Instant::now();
    for (index, (name, step)) in STEPS.iter().enumerate() {
        let number = format!("[{}/{}]", index + 1, STEPS.len());
        println!("\n==> {number} {name}");
        let step_start = Instant::now();
        if let Err(error) = step(root, &env) {
            eprintln!("\n==> FAILED {number} {name}: {error:#}");
            eprintln!("==> total time {}", minutes(start.elapsed()));
            bail!("step {number} `{name}` failed");
        }
        println!("==> ok {number} {name} ({})", minutes(step_start.elapsed()));
    }
    println!(
        "\n==> all {} steps passed; total time {}",
        STEPS.len(),
        minutes(start.elapsed())
    );
    Ok(())
}

/// Installs the wasm32 target and the rustfmt and clippy components when they are missing.
fn toolchain(_root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    let rustup = |args: &[&str]| {
        let mut command = env.command("rustup");
        command.args(args);
        command
    };
    let targets = cargo::output(&mut rustup(&["target", "list", "--installed"]))
        .context("rustup is needed to install the wasm32 target and components")?;
    if targets.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("target {WASM_TARGET}: installed");
    } else {
        cargo::run(&mut rustup(&["target", "add", WASM_TARGET]))?;
    }

    let installed = cargo::output(&mut rustup(&["component", "list", "--installed"]))?;
    let missing: Vec<&str> = COMPONENTS
        .iter()
        .copied()
        .filter(|component| !has_component(&installed, component))
        .collect();
    if missing.is_empty() {
        println!("components {}: installed", COMPONENTS.join(", "));
    } else {
        let mut command = rustup(&["component", "add"]);
        command.args(&missing);
        cargo::run(&mut command)?;
    }
    Ok(())
}

/// Whether `rustup component list --installed` output lists `component` (as `name-<triple>`).
fn has_component(installed: &str, component: &str) -> bool {
    installed.lines().map(str::trim).any(|line| {
        line == component
            || line
                .strip_prefix(component)
                .is_some_and(|rest| rest.starts_with('-'))
    })
}

fn fmt(_root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    cargo::run(&mut env.cargo(&["fmt", "--all", "--", "--check"]))
}

fn clippy(_root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    cargo::run(&mut env.cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn codegen_check(root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    let args = codegen::Args {
        check: true,
        ..codegen::Args::default()
    };
    codegen::run_with_env(root, &args, env.models())
}

fn tests(_root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    let moto = crate::tools::ensure_moto()?;
    let mut command = env.cargo(&["test", "--workspace"]);
    command.env(crate::tools::MOTO_ENV, moto);
    cargo::run(&mut command)
}

/// The ignored-by-default generality test: every operation of the official S3 model is
/// generated into a scratch crate that must compile and pass its round-trip tests.
fn generality(_root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    cargo::run(&mut env.cargo(&[
        "test",
        "-p",
        "multistore-codegen",
        "--test",
        "generality",
        "--",
        "--ignored",
    ]))
}

fn wasm_build(_root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    cargo::run(&mut env.cargo(&["build", "-p", "multistore-core", "--target", WASM_TARGET]))
}

fn core_dependencies(_root: &Path, env: &ChildEnv) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for (label, target_args) in [(WASM_TARGET, &["--target", WASM_TARGET][..]), ("host", &[])] {
        let mut command = env.cargo(&[
            "tree",
            "-p",
            "multistore-core",
            "-e",
            "normal",
            "--prefix",
            "depth",
        ]);
        command.args(target_args);
        let tree = cargo::output(&mut command)?;
        let paths = deptree::forbidden_paths(&tree, deptree::FORBIDDEN);
        if paths.is_empty() {
            println!("{label}: no {}", deptree::FORBIDDEN.join(", no "));
        }
        problems.extend(paths.iter().map(|path| format!("  {label}: {path}")));
    }
    if !problems.is_empty() {
        bail!(
            "the core must stay free of {}, but it depends on them through:\n{}",
            deptree::FORBIDDEN.join(" and "),
            problems.join("\n")
        );
    }
    Ok(())
}

/// `1m05s` or `4.2s`.
fn minutes(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    if seconds >= 60 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{:.1}s", elapsed.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_match_with_or_without_a_triple() {
        let installed =
            "cargo-x86_64-unknown-linux-gnu\nclippy-x86_64-unknown-linux-gnu\nrustfmt\n";
        assert!(has_component(installed, "clippy"));
        assert!(has_component(installed, "rustfmt"));
        assert!(!has_component(installed, "miri"));
        assert!(!has_component("rustfmt-preview-x\n", "rust"));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(minutes(Duration::from_millis(4_200)), "4.2s");
        assert_eq!(minutes(Duration::from_secs(65)), "1m05s");
    }
}
