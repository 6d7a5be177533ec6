//! `cargo xtask codegen`: runs `multistore_codegen::generate` and brings `core/src/generated/`
//! (or `--out DIR`) in line with its output.
//!
//! All writing goes through [`sync`], which compares before it touches anything: unchanged files
//! are left alone (their mtimes too, so cargo does not rebuild), changed and new files are
//! written, and `.rs` files the generator no longer produces are deleted. In `--check` mode it
//! writes nothing and reports every stale, missing and extra file at once.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail, ensure};
use multistore_codegen::{GeneratedFile, Inputs};

use crate::models;

/// Options of `cargo xtask codegen`.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct Args {
    /// Write nothing; list every stale, missing or extra file and fail if there is any.
    #[arg(long)]
    pub(crate) check: bool,
    /// Directory holding the official AWS model files [default: $MULTISTORE_AWS_MODELS].
    #[arg(long, value_name = "DIR")]
    pub(crate) models: Option<PathBuf>,
    /// Generate every operation of the S3 model instead of the allowlist (needs --out).
    #[arg(long, requires = "out")]
    pub(crate) all_operations: bool,
    /// Write into DIR instead of core/src/generated/.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// Whether [`sync`] may touch the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Write changed and missing files, delete extra ones.
    Write,
    /// Only compare.
    Check,
}

/// How a directory differed from the generator's output, as paths relative to it (sorted).
/// In [`Mode::Write`] these are the files that were rewritten, created and deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// Files that exist with other contents.
    pub(crate) stale: Vec<String>,
    /// Files the generator produces that do not exist.
    pub(crate) missing: Vec<String>,
    /// `.rs` files that exist but that the generator does not produce.
    pub(crate) extra: Vec<String>,
}

impl Changes {
    /// True when the directory matched the output exactly.
    pub(crate) fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }

    /// One line per file, labelled with what differs (check) or what was done (write).
    fn listing(&self, mode: Mode) -> String {
        let labels = match mode {
            Mode::Check => ["stale", "missing", "extra"],
            Mode::Write => ["updated", "created", "deleted"],
        };
        let mut text = String::new();
        for (label, paths) in labels.iter().zip([&self.stale, &self.missing, &self.extra]) {
            for path in paths {
                let _ = writeln!(text, "  {label:<8} {path}");
            }
        }
        text
    }
}

/// Runs the task, taking the models directory from `--models` or `$MULTISTORE_AWS_MODELS`.
pub(crate) fn run(root: &Path, args: &Args) -> anyhow::Result<()> {
    run_with_env(root, args, std::env::var_os(models::MODELS_ENV))
}

/// Runs the task with `models_env` standing in for `$MULTISTORE_AWS_MODELS`.
pub(crate) fn run_with_env(
    root: &Path,
    args: &Args,
    models_env: Option<OsString>,
) -> anyhow::Result<()> {
    let model_dir = root.join("model");
    let models_dir = models::resolve_dir(&model_dir, args.models.as_deref(), models_env)?;
    let files = multistore_codegen::generate(&Inputs {
        models_dir,
        model_dir,
        all_operations: args.all_operations,
    })
    .context("the generator failed")?;

    let out = match &args.out {
        Some(out) => out.clone(),
        None => root.join("core/src/generated"),
    };
    let shown = out.strip_prefix(root).unwrap_or(&out).display().to_string();
    let mode = if args.check { Mode::Check } else { Mode::Write };
    let changes = sync(&out, &files, mode)?;
    match mode {
        Mode::Check if !changes.is_empty() => bail!(
            "{shown}/ does not match the generator's output:\n{}run `cargo xtask codegen`",
            changes.listing(mode)
        ),
        Mode::Check => println!("{shown}/ is up to date ({} files)", files.len()),
        Mode::Write if changes.is_empty() => {
            println!("{shown}/ was already up to date ({} files)", files.len());
        }
        Mode::Write => print!("{shown}/:\n{}", changes.listing(mode)),
    }
    Ok(())
}

/// Compares `dir` with `files` and, in [`Mode::Write`], makes it match: writes only files whose
/// contents differ, and deletes `.rs` files (at any depth) that `files` does not contain.
///
/// Contents that differ only by CRLF line endings count as equal, so a Windows checkout is not
/// reported stale.
pub(crate) fn sync(dir: &Path, files: &[GeneratedFile], mode: Mode) -> anyhow::Result<Changes> {
    let mut produced = BTreeSet::new();
    for file in files {
        check_relative(&file.path)?;
        ensure!(
            produced.insert(file.path.as_str()),
            "the generator produced {} twice",
            file.path
        );
    }

    let mut changes = Changes::default();
    for file in files {
        let path = dir.join(&file.path);
        match fs::read(&path) {
            Ok(existing) if same_contents(&existing, &file.contents) => continue,
            Ok(_) => changes.stale.push(file.path.clone()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                changes.missing.push(file.path.clone());
            }
            Err(error) => return Err(error).context(format!("reading {}", path.display())),
        }
        if mode == Mode::Write {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            fs::write(&path, &file.contents)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }

    let mut existing = Vec::new();
    if dir.is_dir() {
        collect_rs_files(dir, "", &mut existing)?;
    }
    for path in existing {
        if produced.contains(path.as_str()) {
            continue;
        }
        if mode == Mode::Write {
            let full = dir.join(&path);
            fs::remove_file(&full).with_context(|| format!("deleting {}", full.display()))?;
        }
        changes.extra.push(path);
    }

    changes.stale.sort();
    changes.missing.sort();
    changes.extra.sort();
    Ok(changes)
}

fn same_contents(existing: &[u8], wanted: &str) -> bool {
    existing == wanted.as_bytes()
        || std::str::from_utf8(existing).is_ok_and(|text| text.replace("\r\n", "\n") == wanted)
}

/// Refuses generator paths that could escape the output directory.
fn check_relative(path: &str) -> anyhow::Result<()> {
    let ok = !path.is_empty()
        && !path.contains('\\')
        && Path::new(path)
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
    ensure!(
        ok,
        "the generator produced the path {path:?}, which is not a plain relative path"
    );
    Ok(())
}

/// Appends the `/`-separated paths (relative to `dir`, prefixed by `prefix`) of every `.rs`
/// file below `dir`.
fn collect_rs_files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> anyhow::Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            collect_rs_files(&entry.path(), &format!("{relative}/"), out)?;
        } else if name.ends_with(".rs") {
            out.push(relative);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn file(path: &str, contents: &str) -> GeneratedFile {
        GeneratedFile {
            path: path.to_owned(),
            contents: contents.to_owned(),
        }
    }

    fn put(dir: &Path, path: &str, contents: &str) {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn read(dir: &Path, path: &str) -> String {
        fs::read_to_string(dir.join(path)).unwrap()
    }

    #[test]
    fn unchanged_files_are_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "a.rs", "a\n");
        put(dir.path(), "nested/b.rs", "b\r\n");
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for path in ["a.rs", "nested/b.rs"] {
            let handle = fs::File::options()
                .write(true)
                .open(dir.path().join(path))
                .unwrap();
            handle.set_modified(old).unwrap();
        }

        let files = [file("a.rs", "a\n"), file("nested/b.rs", "b\n")];
        for mode in [Mode::Check, Mode::Write] {
            let changes = sync(dir.path(), &files, mode).unwrap();
            assert_eq!(changes, Changes::default(), "{mode:?}");
        }
        for path in ["a.rs", "nested/b.rs"] {
            let modified = fs::metadata(dir.path().join(path))
                .unwrap()
                .modified()
                .unwrap();
            assert_eq!(modified, old, "{path} was rewritten");
        }
        assert_eq!(read(dir.path(), "nested/b.rs"), "b\r\n");
    }

    #[test]
    fn check_lists_every_difference_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "ok.rs", "ok");
        put(dir.path(), "stale1.rs", "old");
        put(dir.path(), "sub/stale2.rs", "old");
        put(dir.path(), "extra1.rs", "x");
        put(dir.path(), "sub/extra2.rs", "x");
        put(dir.path(), "notes.txt", "not a generated file");
        let files = [
            file("ok.rs", "ok"),
            file("stale1.rs", "new"),
            file("sub/stale2.rs", "new"),
            file("missing1.rs", "m"),
            file("sub/missing2.rs", "m"),
        ];

        let changes = sync(dir.path(), &files, Mode::Check).unwrap();
        assert_eq!(
            changes,
            Changes {
                stale: vec!["stale1.rs".into(), "sub/stale2.rs".into()],
                missing: vec!["missing1.rs".into(), "sub/missing2.rs".into()],
                extra: vec!["extra1.rs".into(), "sub/extra2.rs".into()],
            }
        );
        let listing = changes.listing(Mode::Check);
        for path in ["stale1.rs", "sub/stale2.rs", "missing1.rs", "sub/extra2.rs"] {
            assert!(listing.contains(path), "{path} not in:\n{listing}");
        }
        assert_eq!(read(dir.path(), "stale1.rs"), "old");
        assert_eq!(read(dir.path(), "extra1.rs"), "x");
        assert!(!dir.path().join("missing1.rs").exists());
    }

    #[test]
    fn write_updates_creates_and_deletes_extra_files() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "stale.rs", "old");
        put(dir.path(), "sub/extra.rs", "x");
        put(dir.path(), "notes.txt", "kept");
        let files = [file("stale.rs", "new"), file("deep/new.rs", "n")];

        let changes = sync(dir.path(), &files, Mode::Write).unwrap();
        assert_eq!(changes.stale, ["stale.rs"]);
        assert_eq!(changes.missing, ["deep/new.rs"]);
        assert_eq!(changes.extra, ["sub/extra.rs"]);
        assert_eq!(read(dir.path(), "stale.rs"), "new");
        assert_eq!(read(dir.path(), "deep/new.rs"), "n");
        assert!(!dir.path().join("sub/extra.rs").exists());
        assert_eq!(read(dir.path(), "notes.txt"), "kept");

        let again = sync(dir.path(), &files, Mode::Check).unwrap();
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn missing_directory_means_everything_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("generated");
        let files = [file("mod.rs", "m")];
        let changes = sync(&out, &files, Mode::Check).unwrap();
        assert_eq!(changes.missing, ["mod.rs"]);
        assert!(!out.exists());
        sync(&out, &files, Mode::Write).unwrap();
        assert_eq!(read(&out, "mod.rs"), "m");
    }

    #[test]
    fn paths_that_escape_the_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "../x.rs", "/abs.rs", "a/../b.rs", "./a.rs", "a\\b.rs"] {
            let result = sync(dir.path(), &[file(bad, "")], Mode::Write);
            assert!(result.is_err(), "{bad:?} was accepted");
        }
        let twice = [file("a.rs", "1"), file("a.rs", "2")];
        assert!(sync(dir.path(), &twice, Mode::Check).is_err());
    }
}
