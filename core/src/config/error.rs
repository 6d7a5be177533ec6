//! [`ConfigError`]: what is wrong with a configuration, at which key path
//! (`buckets[2].backend.endpoint`) and, for TOML, on which line.

use std::fmt;

use crate::authz::{BucketNameError, PatternError};

use super::cors::CorsError;
use super::template::TemplateError;

/// A configuration error: the key path, the line (TOML only, 1-based) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// `buckets[2].backend.endpoint`; empty for the document as a whole.
    pub path: String,
    pub line: Option<usize>,
    pub kind: ConfigErrorKind,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.path.is_empty(), self.line) {
            (false, Some(line)) => write!(f, "{} (line {line}): {}", self.path, self.kind),
            (false, None) => write!(f, "{}: {}", self.path, self.kind),
            (true, Some(line)) => write!(f, "line {line}: {}", self.kind),
            (true, None) => write!(f, "{}", self.kind),
        }
    }
}

impl ConfigError {
    pub fn new(path: impl Into<String>, kind: ConfigErrorKind) -> Self {
        ConfigError {
            path: path.into(),
            line: None,
            kind,
        }
    }
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorKind {
    /// The text is not TOML / JSON at all.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// Holds what serde expected instead (`one of `a`, `b``), when known.
    #[error("unknown key{}", .0.as_ref().map(|e| format!("; expected {e}")).unwrap_or_default())]
    UnknownKey(Option<String>),
    #[error("missing required key{}", .0.as_ref().map(|why| format!(" ({why})")).unwrap_or_default())]
    MissingKey(Option<String>),
    /// A value of the wrong type or form, as reported while reading it.
    #[error("{0}")]
    Invalid(String),
    /// A value that reads fine but breaks a rule.
    #[error("invalid value: {0}")]
    InvalidValue(String),
    #[error("two keys that cannot be used together: {0}")]
    Conflict(String),
    #[error("`{name}` is not a valid S3 bucket name: {reason}")]
    InvalidBucketName {
        name: String,
        reason: BucketNameError,
    },
    #[error(transparent)]
    InvalidPattern(PatternError),
    #[error("the bucket `{0}` is configured twice")]
    DuplicateBucket(String),
    #[error("the access key id `{0}` is configured twice")]
    DuplicateAccessKey(String),
    #[error("the role `{0}` is configured twice")]
    DuplicateRole(String),
    #[error("`{url}` is not a valid endpoint URL: {reason}")]
    InvalidEndpoint { url: String, reason: String },
    #[error("invalid CORS rule: {0}")]
    InvalidCors(CorsError),
    #[error("invalid access key id: {0}")]
    InvalidAccessKeyId(String),
    #[error("max_session_duration_secs = {0} is out of range: it must be 900 to 43200")]
    SessionDuration(u64),
    #[error(transparent)]
    InvalidTemplate(TemplateError),
    #[error("the environment variable `{0}` is not set")]
    EnvVarUnset(String),
    #[error("the environment variable `{0}` is empty")]
    EnvVarEmpty(String),
    #[error(
        "the secret from the environment variable `{0}` is not resolved (call resolve_secrets)"
    )]
    UnresolvedSecret(String),
}

/// Builds key paths in the format serde_path_to_error prints: `a.b[2].c`.
pub(crate) fn key(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

/// `base[index]`.
pub(crate) fn index(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}
