//! Running cargo, rustup and friends as child processes, with the environment xtask gives them.
//!
//! [`ChildEnv`] decides the two variables every child sees: `CARGO_TARGET_DIR` (the shared
//! cache, unless the caller chose one) and `MULTISTORE_AWS_MODELS` (`../shared/models` next to
//! the clone, when that exists and the caller chose nothing). xtask never changes its own
//! environment; it passes these to each child it starts.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::models::MODELS_ENV;

/// The environment variable that moves cargo's build directory.
const TARGET_DIR_ENV: &str = "CARGO_TARGET_DIR";

/// The environment children run in: the repository root as working directory, plus defaults.
#[derive(Debug)]
pub(crate) struct ChildEnv {
    root: PathBuf,
    /// `CARGO_TARGET_DIR` to set for children, when the caller left it unset.
    target_dir_default: Option<PathBuf>,
    /// The models directory children see, set or inherited.
    models: Option<OsString>,
    /// Whether `models` is a default xtask chose (and must pass on) rather than inherited.
    models_is_default: bool,
}

impl ChildEnv {
    /// Reads the process environment.
    pub(crate) fn from_process(root: &Path) -> Self {
        Self::from_lookup(root, |name| std::env::var_os(name))
    }

    /// Builds the child environment from `lookup`, which stands in for `std::env::var_os`.
    fn from_lookup(root: &Path, lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let is_set = |name: &str| lookup(name).is_some_and(|value| !value.is_empty());
        let target_dir_default = match lookup("HOME") {
            Some(home) if !is_set(TARGET_DIR_ENV) && !home.is_empty() => {
                Some(PathBuf::from(home).join(".cache/multistore/target"))
            }
            _ => None,
        };
        let shared_models = root.join("../shared/models");
        let (models, models_is_default) = if is_set(MODELS_ENV) {
            (lookup(MODELS_ENV), false)
        } else if shared_models.is_dir() {
            (Some(normalize(&shared_models).into_os_string()), true)
        } else {
            (None, false)
        };
        Self {
            root: root.to_path_buf(),
            target_dir_default,
            models,
            models_is_default,
        }
    }

    /// The value of `MULTISTORE_AWS_MODELS` that children see.
    pub(crate) fn models(&self) -> Option<OsString> {
        self.models.clone()
    }

    /// Lines describing the defaults in force, for the log.
    pub(crate) fn describe(&self) -> String {
        let target = match &self.target_dir_default {
            Some(dir) => format!("{} (default)", dir.display()),
            None => std::env::var_os(TARGET_DIR_ENV).map_or_else(
                || "cargo's default".to_owned(),
                |dir| dir.to_string_lossy().into_owned(),
            ),
        };
        let models = match &self.models {
            Some(dir) if self.models_is_default => format!("{} (default)", dir.to_string_lossy()),
            Some(dir) => dir.to_string_lossy().into_owned(),
            None => "unset".to_owned(),
        };
        format!("{TARGET_DIR_ENV}={target}\n{MODELS_ENV}={models}")
    }

    /// A command for `program`, run from the repository root with the defaults applied.
    pub(crate) fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root);
        // `cargo xtask` runs with xtask's CARGO_MANIFEST_DIR set; ring's build script reruns
        // when that variable changes, so a child cargo inheriting it would rebuild ring, rustls
        // and everything above them whenever a plain `cargo build` ran in between (and back).
        command.env_remove("CARGO_MANIFEST_DIR");
        if let Some(dir) = &self.target_dir_default {
            command.env(TARGET_DIR_ENV, dir);
        }
        if let (true, Some(models)) = (self.models_is_default, &self.models) {
            command.env(MODELS_ENV, models);
        }
        command
    }

    /// `cargo <args>`, using the cargo that runs xtask.
    pub(crate) fn cargo(&self, args: &[&str]) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = self.command(cargo);
        command.args(args);
        command
    }
}

/// Runs `command` with inherited stdio and fails unless it exits successfully.
pub(crate) fn run(command: &mut Command) -> anyhow::Result<()> {
    let shown = display(command);
    println!("$ {shown}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Runs `command` and returns its stdout; stderr goes to the terminal.
pub(crate) fn output(command: &mut Command) -> anyhow::Result<String> {
    let shown = display(command);
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !output.status.success() {
        bail!("`{shown}` failed ({})", output.status);
    }
    String::from_utf8(output.stdout).with_context(|| format!("`{shown}` printed non-UTF-8"))
}

/// `program arg arg…`, with the program shortened to its file name.
fn display(command: &Command) -> String {
    let program = Path::new(command.get_program());
    let mut shown = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned();
    for arg in command.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

/// `root/../shared/models` without the `..`, when the path resolves.
fn normalize(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(root: &Path, vars: &[(&str, &str)]) -> ChildEnv {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).into()))
            .collect();
        ChildEnv::from_lookup(root, |name| vars.get(name).cloned())
    }

    fn child_var(command: &Command, name: &str) -> Option<Option<OsString>> {
        command
            .get_envs()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.map(OsString::from))
    }

    #[test]
    fn defaults_apply_only_when_unset() {
        let clone = tempfile::tempdir().unwrap();
        let root = clone.path().join("main");
        std::fs::create_dir_all(clone.path().join("shared/models")).unwrap();
        std::fs::create_dir_all(&root).unwrap();

        let env = env_of(&root, &[("HOME", "/home/me")]);
        let command = env.cargo(&["test"]);
        assert_eq!(
            child_var(&command, TARGET_DIR_ENV),
            Some(Some("/home/me/.cache/multistore/target".into()))
        );
        let models = env.models().unwrap();
        assert!(Path::new(&models).ends_with("shared/models"));
        assert_eq!(child_var(&command, MODELS_ENV), Some(Some(models)));
        assert_eq!(command.get_current_dir(), Some(root.as_path()));

        let env = env_of(
            &root,
            &[
                ("HOME", "/home/me"),
                (TARGET_DIR_ENV, "/t"),
                (MODELS_ENV, "/m"),
            ],
        );
        let command = env.cargo(&["test"]);
        assert_eq!(child_var(&command, TARGET_DIR_ENV), None);
        assert_eq!(child_var(&command, MODELS_ENV), None);
        assert_eq!(env.models(), Some("/m".into()));
    }

    #[test]
    fn no_models_default_without_a_shared_folder() {
        let clone = tempfile::tempdir().unwrap();
        let env = env_of(clone.path(), &[]);
        assert_eq!(env.models(), None);
        assert_eq!(child_var(&env.cargo(&[]), MODELS_ENV), None);
        assert_eq!(child_var(&env.cargo(&[]), TARGET_DIR_ENV), None);
    }

    #[test]
    fn children_do_not_inherit_xtasks_manifest_dir() {
        let clone = tempfile::tempdir().unwrap();
        let env = env_of(clone.path(), &[]);
        assert_eq!(
            child_var(&env.cargo(&["build"]), "CARGO_MANIFEST_DIR"),
            Some(None)
        );
    }

    #[test]
    fn commands_are_shown_by_program_name() {
        let mut command = Command::new("/usr/bin/cargo");
        command.args(["tree", "-e", "normal"]);
        assert_eq!(display(&command), "cargo tree -e normal");
    }
}
