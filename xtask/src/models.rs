//! Finding the official AWS model files, and saying exactly how to get them when they are missing.
//!
//! The models are AWS's data and are never committed: xtask reads them from `--models DIR` or
//! `$MULTISTORE_AWS_MODELS`. `model/pins.toml` names, for each one, the upstream repository,
//! commit, path, local file name and sha256; the generator verifies the hashes, and this module
//! turns the pins into instructions.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The environment variable that names the models directory.
pub(crate) const MODELS_ENV: &str = "MULTISTORE_AWS_MODELS";

/// One pinned model, as `model/pins.toml` records it.
#[derive(Debug, Deserialize)]
pub(crate) struct Pin {
    /// The GitHub repository the file comes from, as `owner/name`.
    pub(crate) upstream: String,
    /// The upstream commit the file is taken from.
    pub(crate) commit: String,
    /// The file's path inside the upstream repository.
    pub(crate) path: String,
    /// The name the file must have in the models directory.
    pub(crate) file: String,
    /// The sha256 the generator checks the file against.
    pub(crate) sha256: String,
}

#[derive(Debug, Deserialize)]
struct Pins {
    models: BTreeMap<String, Pin>,
}

/// Reads `model/pins.toml` below `model_dir`.
pub(crate) fn read_pins(model_dir: &Path) -> anyhow::Result<BTreeMap<String, Pin>> {
    let path = model_dir.join("pins.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let pins: Pins =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(pins.models)
}

/// Picks the models directory: `explicit` (from `--models`), else `env_value` (the value of
/// [`MODELS_ENV`]). Fails with instructions when neither is given or the directory is missing.
pub(crate) fn resolve_dir(
    model_dir: &Path,
    explicit: Option<&Path>,
    env_value: Option<OsString>,
) -> anyhow::Result<PathBuf> {
    let (dir, source) = match (explicit, env_value) {
        (Some(dir), _) => (dir.to_path_buf(), "--models"),
        (None, Some(value)) if !value.is_empty() => (PathBuf::from(value), MODELS_ENV),
        (None, _) => bail!(
            "no AWS models directory given\n\n{}",
            how_to_get_models(&read_pins(model_dir)?)
        ),
    };
    if !dir.is_dir() {
        bail!(
            "the AWS models directory {} (from {source}) does not exist\n\n{}",
            dir.display(),
            how_to_get_models(&read_pins(model_dir)?)
        );
    }
    Ok(dir)
}

/// Instructions for fetching every pinned model and pointing xtask at them.
pub(crate) fn how_to_get_models(pins: &BTreeMap<String, Pin>) -> String {
    let mut text = String::from(
        "The generator reads the official AWS Smithy JSON AST models pinned in model/pins.toml.\n\
         They are AWS's data (Apache-2.0) and are not committed here. Put them in one directory:\n",
    );
    for (name, pin) in pins {
        let _ = write!(
            text,
            "\n  {name}: DIR/{file}\n    \
             from   https://github.com/{upstream} at commit {commit}, path {path}\n    \
             raw    https://raw.githubusercontent.com/{upstream}/{commit}/{path}\n    \
             sha256 {sha256}\n",
            file = pin.file,
            upstream = pin.upstream,
            commit = pin.commit,
            path = pin.path,
            sha256 = pin.sha256,
        );
    }
    let _ = write!(
        text,
        "\nThen pass the directory with `cargo xtask codegen --models DIR` or \
         `export {MODELS_ENV}=DIR`\n\
         (`cargo xtask test` and .ci/run default to ../shared/models next to the clone).\n\
         Check the files with `sha256sum DIR/*.json`."
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_dir() -> PathBuf {
        crate::repo_root().join("model")
    }

    #[test]
    fn instructions_name_every_pin_with_its_hash() {
        let pins = read_pins(&model_dir()).unwrap();
        assert!(pins.contains_key("s3") && pins.contains_key("sts"));
        let text = how_to_get_models(&pins);
        for pin in pins.values() {
            for needle in [
                &pin.upstream,
                &pin.commit,
                &pin.path,
                &pin.file,
                &pin.sha256,
            ] {
                assert!(
                    text.contains(needle.as_str()),
                    "{needle} missing from:\n{text}"
                );
            }
        }
        assert!(text.contains(MODELS_ENV) && text.contains("--models"));
    }

    #[test]
    fn explicit_dir_wins_over_the_environment() {
        let explicit = tempfile::tempdir().unwrap();
        let from_env = tempfile::tempdir().unwrap();
        let dir = resolve_dir(
            &model_dir(),
            Some(explicit.path()),
            Some(from_env.path().into()),
        )
        .unwrap();
        assert_eq!(dir, explicit.path());
        let dir = resolve_dir(&model_dir(), None, Some(from_env.path().into())).unwrap();
        assert_eq!(dir, from_env.path());
    }

    #[test]
    fn missing_dir_fails_with_instructions() {
        let error = resolve_dir(&model_dir(), None, None).unwrap_err();
        assert!(format!("{error:#}").contains("raw.githubusercontent.com/aws/api-models-aws"));
        let error = resolve_dir(&model_dir(), None, Some("".into())).unwrap_err();
        assert!(format!("{error:#}").contains("no AWS models directory given"));
        let gone = Path::new("/nonexistent/multistore-models");
        let error = resolve_dir(&model_dir(), Some(gone), None).unwrap_err();
        assert!(format!("{error:#}").contains("does not exist"));
    }
}
