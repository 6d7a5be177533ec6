//! The embedded default: with no configuration file, multistore serves one bucket, `data`,
//! from a local directory, with a development access key generated on first start and kept in
//! `<data-dir>/.multistore/dev-credentials.json` (mode 0600), so that restarts keep working.

use std::path::{Path, PathBuf};

use anyhow::Context;
use multistore_core::authz::{ActionSet, BucketPattern, Scope};
use multistore_core::config::{
    BackendConfig, BucketConfig, Config, CredentialConfig, LocalBackend, Secret,
};
use serde::{Deserialize, Serialize};

/// The bucket the embedded default serves.
pub const DEFAULT_BUCKET: &str = "data";

/// The development credentials.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DevCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

fn random_string(len: usize, alphabet: &[u8]) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect())
}

/// Loads the development credentials of `data_dir`, creating them on first use.
pub fn dev_credentials(data_dir: &Path) -> anyhow::Result<DevCredentials> {
    let dir = data_dir.join(".multistore");
    let path = dir.join("dev-credentials.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid", path.display()));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let creds = DevCredentials {
        access_key_id: format!(
            "MSDEV{}",
            random_string(15, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")?
        ),
        secret_access_key: random_string(
            40,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        )?,
    };
    let text = serde_json::to_string_pretty(&creds)?;
    write_private(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(creds)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// The configuration of the embedded default.
pub fn default_config(data_dir: &Path, creds: &DevCredentials) -> anyhow::Result<Config> {
    let bucket_dir: PathBuf = data_dir.join(DEFAULT_BUCKET);
    std::fs::create_dir_all(&bucket_dir)
        .with_context(|| format!("cannot create {}", bucket_dir.display()))?;
    let mut config = Config::default();
    config.buckets.push(BucketConfig {
        name: DEFAULT_BUCKET.to_owned(),
        anonymous_read: false,
        backend: BackendConfig::Local(LocalBackend {
            path: bucket_dir.to_string_lossy().into_owned(),
            prefix: String::new(),
        }),
        cors: Vec::new(),
    });
    config.credentials.push(CredentialConfig {
        access_key_id: creds.access_key_id.clone(),
        secret_access_key: Secret::inline(creds.secret_access_key.clone()),
        principal: "dev".to_owned(),
        enabled: true,
        expires_at: None,
        scopes: vec![Scope::new(
            BucketPattern::new(DEFAULT_BUCKET)?,
            ActionSet::all(),
        )],
    });
    config.validate()?;
    Ok(config)
}
