//! The configuration: one schema, read from TOML (the native runtime) or JSON (the Worker)
//! through serde, and checked by the same [`Config::validate`]. The reference is docs/config.md.
//!
//! Every type is a plain struct with public fields, so a runtime can also build a configuration
//! in code (then call [`Config::validate`]). Secrets given as `{ env = "NAME" }` are resolved by
//! [`Config::resolve_secrets`] through a [`SecretSource`] the runtime implements; the core never
//! reads the environment, files or the clock.

mod access;
mod bucket;
mod check;
mod cors;
mod error;
mod identity;
mod load;
mod secret;
pub mod template;
mod validate;

use serde::{Deserialize, Serialize};

pub use access::{
    CredentialConfig, DEFAULT_SESSION_SECS, MAX_SESSION_SECS, MIN_SESSION_SECS, RoleConfig,
    parse_rfc3339,
};
pub use bucket::{
    Addressing, BackendConfig, BucketConfig, DEFAULT_REGION, DEFAULT_STS_AUDIENCE,
    DEFAULT_STS_ENDPOINT, LocalBackend, MemoryBackend, PASS_THROUGH, R2Backend, S3Auth, S3Backend,
};
pub use cors::{CorsError, CorsMethod, CorsRule};
pub use error::{ConfigError, ConfigErrorKind};
pub use identity::{OidcAlgorithm, OidcKeyConfig, SessionKeyConfig, decode_session_secret};
pub use load::{from_json, from_toml};
pub use secret::{Secret, SecretError, SecretSource, SecretValue};
pub use template::{ScopeTemplate, TemplateError};

/// A whole configuration.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub buckets: Vec<BucketConfig>,
    #[serde(default)]
    pub credentials: Vec<CredentialConfig>,
    #[serde(default)]
    pub roles: Vec<RoleConfig>,
}

/// `[server]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The region clients sign for.
    pub region: String,
    /// `Host: bucket.<domain>[:port]` selects virtual-hosted addressing.
    pub virtual_host_domains: Vec<String>,
    /// Include internal detail in the message of 5xx errors.
    pub debug_errors: bool,
    /// A path that serves STS besides `/` (e.g. `/.sts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sts_path: Option<String>,
    /// The key ring that seals STS session tokens; the first key seals, all open.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub session_keys: Vec<SessionKeyConfig>,
    /// OIDC issuers trusted over plain http (local identity providers in tests). Every other
    /// issuer, its discovery document and its JWKS must be https.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub insecure_issuers: Vec<String>,
    /// The `iss` of the JWTs the gateway mints for backends with `auth = "oidc"`, and the
    /// base of the discovery document it serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_issuer: Option<String>,
    /// The gateway's signing keys; the first signs, all are published.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oidc_keys: Vec<OidcKeyConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            region: DEFAULT_REGION.to_owned(),
            virtual_host_domains: Vec::new(),
            debug_errors: false,
            sts_path: None,
            session_keys: Vec::new(),
            insecure_issuers: Vec::new(),
            oidc_issuer: None,
            oidc_keys: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// Whether `issuer` may be reached over plain http.
    pub fn is_insecure_issuer(&self, issuer: &str) -> bool {
        self.insecure_issuers.iter().any(|i| i == issuer)
    }
}

/// `[limits]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub max_header_bytes: u64,
    /// The most bytes a client connection buffers (native runtime): the size of the reads an
    /// upload is taken in, and the bound on a connection's memory while its request head
    /// arrives. At least 4 × `max_header_bytes` is used.
    pub read_buffer_bytes: u64,
    /// A PutObject or UploadPart body above this is refused with `EntityTooLarge`.
    pub max_upload_bytes: u64,
    /// The cap for XML request bodies (CompleteMultipartUpload, DeleteObjects, tagging, CORS).
    pub max_xml_body_bytes: u64,
}

impl Limits {
    pub const DEFAULT_MAX_HEADER_BYTES: u64 = 16 * 1024;
    pub const DEFAULT_READ_BUFFER_BYTES: u64 = 64 * 1024;
    /// 5 TiB, the S3 object size limit.
    pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024 * 1024 * 1024;
    pub const DEFAULT_MAX_XML_BODY_BYTES: u64 = 2 * 1024 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: Self::DEFAULT_MAX_HEADER_BYTES,
            read_buffer_bytes: Self::DEFAULT_READ_BUFFER_BYTES,
            max_upload_bytes: Self::DEFAULT_MAX_UPLOAD_BYTES,
            max_xml_body_bytes: Self::DEFAULT_MAX_XML_BODY_BYTES,
        }
    }
}

impl Config {
    /// Checks every load-time rule (see docs/config.md). `from_toml` and `from_json` call it;
    /// call it yourself for a configuration built in code.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate::config(self)
    }

    /// Resolves every `{ env = "NAME" }` secret through `source`. The error names the key and
    /// the variable, never a value.
    pub fn resolve_secrets(&mut self, source: &dyn SecretSource) -> Result<(), ConfigError> {
        for (path, secret) in self.secrets_mut() {
            secret.resolve(source).map_err(|e| {
                let kind = match e {
                    SecretError::Unset(var) => ConfigErrorKind::EnvVarUnset(var),
                    SecretError::Empty(var) => ConfigErrorKind::EnvVarEmpty(var),
                };
                ConfigError::new(path, kind)
            })?;
        }
        Ok(())
    }

    /// The first secret still waiting for [`Config::resolve_secrets`], as an error.
    pub fn check_secrets_resolved(&self) -> Result<(), ConfigError> {
        let buckets = self
            .buckets
            .iter()
            .enumerate()
            .filter_map(|(i, b)| match &b.backend {
                BackendConfig::S3(s3) => s3
                    .secret_access_key
                    .as_ref()
                    .map(|s| (format!("buckets[{i}].backend.secret_access_key"), s)),
                _ => None,
            });
        let credentials = self.credentials.iter().enumerate().map(|(i, c)| {
            let path = format!("credentials[{i}].secret_access_key");
            (path, &c.secret_access_key)
        });
        let session_keys = self.server.session_keys.iter().enumerate().map(|(i, k)| {
            let path = format!("server.session_keys[{i}].secret");
            (path, &k.secret)
        });
        let oidc_keys = self.server.oidc_keys.iter().enumerate().map(|(i, k)| {
            let path = format!("server.oidc_keys[{i}].private_key");
            (path, &k.private_key)
        });
        let mut all = buckets
            .chain(credentials)
            .chain(session_keys)
            .chain(oidc_keys);
        match all.find(|(_, s)| !s.is_resolved()) {
            Some((path, secret)) => {
                let var = secret.env_var().unwrap_or_default().to_owned();
                Err(ConfigError::new(
                    path,
                    ConfigErrorKind::UnresolvedSecret(var),
                ))
            }
            None => Ok(()),
        }
    }

    /// Every secret with its key path.
    fn secrets_mut(&mut self) -> Vec<(String, &mut Secret)> {
        let mut out = Vec::new();
        for (i, bucket) in self.buckets.iter_mut().enumerate() {
            if let BackendConfig::S3(S3Backend {
                secret_access_key: Some(secret),
                ..
            }) = &mut bucket.backend
            {
                out.push((format!("buckets[{i}].backend.secret_access_key"), secret));
            }
        }
        for (i, credential) in self.credentials.iter_mut().enumerate() {
            let path = format!("credentials[{i}].secret_access_key");
            out.push((path, &mut credential.secret_access_key));
        }
        for (i, key) in self.server.session_keys.iter_mut().enumerate() {
            out.push((format!("server.session_keys[{i}].secret"), &mut key.secret));
        }
        for (i, key) in self.server.oidc_keys.iter_mut().enumerate() {
            out.push((
                format!("server.oidc_keys[{i}].private_key"),
                &mut key.private_key,
            ));
        }
        out
    }
}
