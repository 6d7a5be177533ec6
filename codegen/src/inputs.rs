//! Loading the generator's inputs: the pinned official models (verified against their
//! sha256), our overlay and our operation allowlist, all from `model/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::smithy::Model;

/// One entry of `model/pins.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// The service shape id, e.g. `com.amazonaws.s3#AmazonS3`.
    pub service: String,
    /// The upstream GitHub repository (`owner/name`).
    pub upstream: String,
    pub commit: String,
    /// Path of the file inside the upstream repository.
    pub path: String,
    /// File name expected in the models directory.
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinsFile {
    models: BTreeMap<String, Pin>,
}

/// `model/allowlist.toml`: the served operations per model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    pub s3: OperationList,
    pub sts: OperationList,
}

/// A list of operation names (local names, e.g. `GetObject`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationList {
    pub operations: Vec<String>,
}

/// Everything read from disk, verified.
pub struct Loaded {
    pub pins: BTreeMap<String, Pin>,
    /// The merged model: S3, STS and the overlay in one shape map.
    pub model: Model,
    pub allowlist: Allowlist,
}

/// Reads the pins, the official models (checking each sha256), the overlay and the allowlist.
pub fn load(models_dir: &Path, model_dir: &Path) -> anyhow::Result<Loaded> {
    let pins_path = model_dir.join("pins.toml");
    let pins: PinsFile = toml::from_str(&read(&pins_path)?)
        .with_context(|| format!("{}: invalid pins", pins_path.display()))?;
    let mut model = Model::default();
    for (name, pin) in &pins.models {
        let path = models_dir.join(&pin.file);
        let bytes = std::fs::read(&path).map_err(|_| missing_model(models_dir, name, pin))?;
        let digest = hex_sha256(&bytes);
        if digest != pin.sha256 {
            bail!(
                "{} has sha256 {digest}, but model/pins.toml pins {} for {name}.\n{}",
                path.display(),
                pin.sha256,
                where_to_get(name, pin)
            );
        }
        let text = String::from_utf8(bytes).context("model is not UTF-8")?;
        let part = Model::from_json(&text, &pin.file)?;
        model.shapes.extend(part.shapes);
    }
    let overlay_path = model_dir.join("overlay.json");
    let overlay_text = read(&overlay_path)?;
    model.merge_overlay(Model::from_json(&overlay_text, "model/overlay.json")?)?;
    let allowlist_path = model_dir.join("allowlist.toml");
    let allowlist_text = read(&allowlist_path)?;
    let allowlist: Allowlist = toml::from_str(&allowlist_text)
        .with_context(|| format!("{}: invalid allowlist", allowlist_path.display()))?;
    Ok(Loaded {
        pins: pins.models,
        model,
        allowlist,
    })
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn where_to_get(name: &str, pin: &Pin) -> String {
    format!(
        "Get the {name} model from the GitHub repository {} at commit {}, file {} \
         (sha256 {}), save it as {}, and pass its directory with `--models DIR` or \
         MULTISTORE_AWS_MODELS=DIR.",
        pin.upstream, pin.commit, pin.path, pin.sha256, pin.file
    )
}

fn missing_model(dir: &Path, name: &str, pin: &Pin) -> anyhow::Error {
    anyhow::anyhow!(
        "the official {name} model is missing: {} does not exist.\n{}",
        dir.join(&pin.file).display(),
        where_to_get(name, pin)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            hex_sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn missing_model_message_says_where_to_get_it() {
        let pin = Pin {
            service: "a#B".into(),
            upstream: "aws/api-models-aws".into(),
            commit: "abc123".into(),
            path: "s3/x.json".into(),
            file: "s3.json".into(),
            sha256: "00".into(),
        };
        let message = missing_model(Path::new("/nowhere"), "s3", &pin).to_string();
        for needle in [
            "/nowhere/s3.json",
            "aws/api-models-aws",
            "abc123",
            "s3/x.json",
            "--models",
        ] {
            assert!(message.contains(needle), "{needle} not in {message}");
        }
    }
}
