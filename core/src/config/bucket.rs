//! `[[buckets]]`: client-visible buckets and the backend each maps to.
//!
//! A backend table is tagged by `type` (`s3`, `local`, `memory`, `r2`). It is read as one flat
//! table so that every key is checked with its exact path; a key that does not belong to the
//! backend's type is reported as an unknown key, a missing required one as a missing key.

use serde::{Deserialize, Deserializer, Serialize};

use super::cors::CorsRule;
use super::secret::Secret;

/// The client-visible name that passes every bucket name through to the same-named backend
/// bucket.
pub const PASS_THROUGH: &str = "*";

/// One `[[buckets]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    /// The client-visible name, or `*` (pass-through).
    pub name: String,
    /// Everyone may read (see docs/security.md for exactly which actions).
    #[serde(default)]
    pub anonymous_read: bool,
    pub backend: BackendConfig,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cors: Vec<CorsRule>,
}

impl BucketConfig {
    pub fn is_pass_through(&self) -> bool {
        self.name == PASS_THROUGH
    }
}

/// Where a bucket's objects live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
// Built once at load time and shared: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum BackendConfig {
    /// Any S3-compatible service.
    S3(S3Backend),
    /// A directory, served by the native runtime.
    Local(LocalBackend),
    /// In memory, lost on restart.
    Memory(MemoryBackend),
    /// A Cloudflare R2 binding, served by the Worker.
    R2(R2Backend),
}

impl BackendConfig {
    /// The `type` tag.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::S3(_) => "s3",
            Self::Local(_) => "local",
            Self::Memory(_) => "memory",
            Self::R2(_) => "r2",
        }
    }

    /// The key prefix inside the backend bucket.
    pub fn prefix(&self) -> &str {
        match self {
            Self::S3(b) => &b.prefix,
            Self::Local(b) => &b.prefix,
            Self::Memory(b) => &b.prefix,
            Self::R2(b) => &b.prefix,
        }
    }

    /// The backend bucket name, when configured (`s3` only).
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Self::S3(b) => b.bucket.as_deref(),
            _ => None,
        }
    }
}

/// How the gateway addresses an S3 backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Addressing {
    /// `endpoint/bucket/key`.
    #[default]
    Path,
    /// `bucket.endpoint-host/key`.
    Virtual,
}

/// How the gateway authenticates to an S3 backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum S3Auth {
    /// `access_key_id` + `secret_access_key`.
    #[default]
    Static,
    /// Unsigned requests.
    Anonymous,
    /// Web-identity federation: `role_arn`, optional `sts_endpoint`.
    Oidc,
}

/// `type = "s3"`. Which credential keys apply depends on `auth`; `validate` enforces it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct S3Backend {
    pub endpoint: String,
    pub region: String,
    /// The backend bucket; absent: the client-visible name. Must be absent for `*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    pub addressing: Addressing,
    pub auth: S3Auth,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sts_endpoint: Option<String>,
    /// `auth = "oidc"`: the `sub` of the JWTs minted for this backend (default
    /// `multistore:<bucket>`, the client-visible name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `auth = "oidc"`: their `aud` (default `sts.amazonaws.com`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// The STS a backend with `auth = "oidc"` exchanges its tokens at, unless `sts_endpoint` says.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.amazonaws.com";
/// The `aud` of the tokens the gateway mints, unless `audience` says.
pub const DEFAULT_STS_AUDIENCE: &str = "sts.amazonaws.com";

impl S3Backend {
    /// A backend with `auth = "static"` and the defaults for everything else.
    pub fn new(
        endpoint: impl Into<String>,
        access_key_id: impl Into<String>,
        secret: Secret,
    ) -> Self {
        S3Backend {
            endpoint: endpoint.into(),
            region: DEFAULT_REGION.to_owned(),
            bucket: None,
            prefix: String::new(),
            addressing: Addressing::Path,
            auth: S3Auth::Static,
            access_key_id: Some(access_key_id.into()),
            secret_access_key: Some(secret),
            role_arn: None,
            sts_endpoint: None,
            subject: None,
            audience: None,
        }
    }
}

/// The default region, for the server and for S3 backends.
pub const DEFAULT_REGION: &str = "us-east-1";

/// `type = "local"`: the objects of this bucket live in the directory `path` (for `*`: in
/// `path/<bucket>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalBackend {
    pub path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
}

/// `type = "memory"`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct MemoryBackend {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
}

/// `type = "r2"`: the Worker binding that holds the bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct R2Backend {
    pub binding: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum BackendType {
    S3,
    Local,
    Memory,
    R2,
}

/// Every key of every backend type, read in one pass (so each key keeps its path).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackend {
    #[serde(rename = "type")]
    kind: BackendType,
    endpoint: Option<String>,
    region: Option<String>,
    bucket: Option<String>,
    prefix: Option<String>,
    addressing: Option<Addressing>,
    auth: Option<S3Auth>,
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
    role_arn: Option<String>,
    sts_endpoint: Option<String>,
    subject: Option<String>,
    audience: Option<String>,
    path: Option<String>,
    binding: Option<String>,
}

const S3_KEYS: &[&str] = &[
    "type",
    "endpoint",
    "region",
    "bucket",
    "prefix",
    "addressing",
    "auth",
    "access_key_id",
    "secret_access_key",
    "role_arn",
    "sts_endpoint",
    "subject",
    "audience",
];
const LOCAL_KEYS: &[&str] = &["type", "path", "prefix"];
const MEMORY_KEYS: &[&str] = &["type", "prefix"];
const R2_KEYS: &[&str] = &["type", "binding", "prefix"];

impl RawBackend {
    /// The keys present, by name.
    fn present(&self) -> Vec<&'static str> {
        let keys = [
            ("endpoint", self.endpoint.is_some()),
            ("region", self.region.is_some()),
            ("bucket", self.bucket.is_some()),
            ("prefix", self.prefix.is_some()),
            ("addressing", self.addressing.is_some()),
            ("auth", self.auth.is_some()),
            ("access_key_id", self.access_key_id.is_some()),
            ("secret_access_key", self.secret_access_key.is_some()),
            ("role_arn", self.role_arn.is_some()),
            ("sts_endpoint", self.sts_endpoint.is_some()),
            ("subject", self.subject.is_some()),
            ("audience", self.audience.is_some()),
            ("path", self.path.is_some()),
            ("binding", self.binding.is_some()),
        ];
        keys.into_iter()
            .filter_map(|(k, present)| present.then_some(k))
            .collect()
    }

    fn into_config<E: serde::de::Error>(self) -> Result<BackendConfig, E> {
        let allowed = match self.kind {
            BackendType::S3 => S3_KEYS,
            BackendType::Local => LOCAL_KEYS,
            BackendType::Memory => MEMORY_KEYS,
            BackendType::R2 => R2_KEYS,
        };
        if let Some(key) = self.present().into_iter().find(|k| !allowed.contains(k)) {
            return Err(E::unknown_field(key, allowed));
        }
        let prefix = self.prefix.unwrap_or_default();
        Ok(match self.kind {
            BackendType::S3 => BackendConfig::S3(S3Backend {
                endpoint: self.endpoint.ok_or_else(|| E::missing_field("endpoint"))?,
                region: self.region.unwrap_or_else(|| DEFAULT_REGION.to_owned()),
                bucket: self.bucket,
                prefix,
                addressing: self.addressing.unwrap_or_default(),
                auth: self.auth.unwrap_or_default(),
                access_key_id: self.access_key_id,
                secret_access_key: self.secret_access_key,
                role_arn: self.role_arn,
                sts_endpoint: self.sts_endpoint,
                subject: self.subject,
                audience: self.audience,
            }),
            BackendType::Local => BackendConfig::Local(LocalBackend {
                path: self.path.ok_or_else(|| E::missing_field("path"))?,
                prefix,
            }),
            BackendType::Memory => BackendConfig::Memory(MemoryBackend { prefix }),
            BackendType::R2 => BackendConfig::R2(R2Backend {
                binding: self.binding.ok_or_else(|| E::missing_field("binding"))?,
                prefix,
            }),
        })
    }
}

impl<'de> Deserialize<'de> for BackendConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawBackend::deserialize(deserializer)?.into_config::<D::Error>()
    }
}
