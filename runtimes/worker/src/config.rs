//! The Worker's configuration: the same schema as the native runtime's TOML, given as JSON in
//! the `MULTISTORE_CONFIG` var or secret, with `{ "env": "NAME" }` secrets resolved from the
//! Worker's other secrets and vars. [`load`] builds everything a request needs once per
//! isolate ([`Loaded`]): the registries, and the STS and OIDC extensions when the
//! configuration sets them up (as the native runtime does), whose JWKS and credential caches
//! then live as long as the isolate. Nothing of it is rebuilt per request.

use std::fmt;
use std::sync::Arc;

use multistore_core::config::{BackendConfig, ConfigError, Limits, SecretSource, from_json};
use multistore_core::gateway::{Gateway, Settings};
use multistore_core::identity::oidc::OidcProvider;
use multistore_core::identity::sts::Sts;
use multistore_core::registry::{BucketRegistry, StaticRegistry};

/// The name of the Worker binding (a `[vars]` entry or a secret) that holds the gateway's
/// configuration, as JSON.
pub const CONFIG_BINDING: &str = "MULTISTORE_CONFIG";

/// The Worker was deployed without a configuration binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingConfig;

impl fmt::Display for MissingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no `{CONFIG_BINDING}` binding: add it under [vars] in wrangler.toml, \
             or with `wrangler secret put {CONFIG_BINDING}`"
        )
    }
}

impl std::error::Error for MissingConfig {}

/// Reports which of the Worker's bindings, given by name, holds the configuration.
///
/// # Errors
/// [`MissingConfig`] when none of `bindings` is [`CONFIG_BINDING`].
pub fn config_binding<'a>(
    bindings: impl IntoIterator<Item = &'a str>,
) -> Result<&'static str, MissingConfig> {
    bindings
        .into_iter()
        .find(|name| *name == CONFIG_BINDING)
        .map(|_| CONFIG_BINDING)
        .ok_or(MissingConfig)
}

/// Why the Worker cannot start serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    Missing(MissingConfig),
    /// The JSON does not parse or validate, or a secret is unset.
    Config(ConfigError),
    /// A bucket uses a backend the Worker cannot serve.
    Unsupported {
        bucket: String,
        backend: &'static str,
    },
    /// STS or the OIDC provider cannot be built from the configuration.
    Identity(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(e) => e.fmt(f),
            Self::Config(e) => write!(f, "{CONFIG_BINDING}: {e}"),
            Self::Unsupported { bucket, backend } => write!(
                f,
                "{CONFIG_BINDING}: bucket {bucket}: type = \"{backend}\" is served by the native \
                 runtime only; use type = \"r2\" (a bucket binding) or type = \"s3\" in a Worker"
            ),
            Self::Identity(e) => write!(f, "{CONFIG_BINDING}: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<ConfigError> for LoadError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

/// Everything built once per isolate from the configuration.
pub struct Loaded {
    pub gateway: Gateway,
    registry: Arc<StaticRegistry>,
    pub limits: Limits,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Parses, resolves and validates the JSON configuration, and builds the gateway.
///
/// # Errors
/// [`LoadError::Config`] for a configuration that does not parse or validate or names an
/// unset secret; [`LoadError::Unsupported`] for a `local` or `memory` bucket;
/// [`LoadError::Identity`] for roles without session keys, or unusable OIDC signing keys.
pub fn load(text: &str, secrets: &dyn SecretSource) -> Result<Loaded, LoadError> {
    let mut config = from_json(text)?;
    config.resolve_secrets(secrets)?;
    if let Some(bucket) = config.buckets.iter().find(|b| {
        matches!(
            b.backend,
            BackendConfig::Local(_) | BackendConfig::Memory(_)
        )
    }) {
        return Err(LoadError::Unsupported {
            bucket: bucket.name.clone(),
            backend: bucket.backend.type_name(),
        });
    }
    let registry = Arc::new(StaticRegistry::new(&config)?);
    let mut builder = Gateway::builder(
        Settings::from_config(&config),
        registry.clone(),
        registry.clone(),
    );
    let identity = |e: &dyn fmt::Display| LoadError::Identity(e.to_string());
    if let Some(sts) = Sts::from_config(&config, registry.clone()).map_err(|e| identity(&e))? {
        builder = builder.extension(&sts).map_err(|e| identity(&e))?;
    }
    if let Some(oidc) = OidcProvider::from_config(&config.server).map_err(|e| identity(&e))? {
        builder = builder.extension(&oidc).map_err(|e| identity(&e))?;
    }
    let gateway = builder.build();
    Ok(Loaded {
        gateway,
        registry,
        limits: config.limits.clone(),
    })
}

impl Loaded {
    /// The R2 binding that serves the embedded store `store` (the client bucket name the
    /// core puts in `BackendKind::Embedded`), pass-through entries included.
    pub fn r2_binding(&self, store: &str) -> Option<String> {
        match self.registry.lookup(store)?.backend {
            BackendConfig::R2(r2) => Some(r2.binding),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_comes_from_the_multistore_config_binding() {
        let bindings = ["ASSETS", "MULTISTORE_CONFIG", "BUCKET"];
        assert_eq!(config_binding(bindings), Ok("MULTISTORE_CONFIG"));
    }

    #[test]
    fn missing_binding_says_how_to_add_it() {
        let error = config_binding(["multistore_config", "CONFIG"]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("MULTISTORE_CONFIG") && message.contains("wrangler"));
    }

    const CONFIG: &str = r#"{
        "limits": { "max_upload_bytes": 1048576 },
        "buckets": [
            { "name": "media", "backend": { "type": "r2", "binding": "MEDIA", "prefix": "m/" } },
            { "name": "mirror", "backend": { "type": "s3", "endpoint": "http://127.0.0.1:9000",
              "region": "us-east-1", "access_key_id": "AK",
              "secret_access_key": { "env": "BACKEND_SECRET" } } }
        ],
        "credentials": [
            { "access_key_id": "AKIAWORKERTEST0001", "secret_access_key": { "env": "CLIENT_SECRET" },
              "principal": "ci", "scopes": [ { "bucket": "*", "actions": ["all"] } ] }
        ]
    }"#;

    fn secrets(name: &str) -> Option<String> {
        match name {
            "BACKEND_SECRET" => Some("backend-secret".into()),
            "CLIENT_SECRET" => Some("client-secret".into()),
            _ => None,
        }
    }

    #[test]
    fn json_config_loads_with_secrets_from_the_environment() {
        let loaded = load(CONFIG, &secrets).unwrap();
        assert_eq!(loaded.limits.max_upload_bytes, 1_048_576);
        assert_eq!(loaded.r2_binding("media").as_deref(), Some("MEDIA"));
        assert_eq!(loaded.r2_binding("mirror"), None);
        assert_eq!(loaded.r2_binding("nope"), None);
    }

    #[test]
    fn an_unset_secret_names_the_variable() {
        let error = load(CONFIG, &|_: &str| None).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("BACKEND_SECRET"), "{message}");
        assert!(message.starts_with(CONFIG_BINDING), "{message}");
    }

    #[test]
    fn local_buckets_are_refused_with_the_reason() {
        let text = r#"{ "buckets": [ { "name": "data", "backend": { "type": "local", "path": "/tmp/x" } } ] }"#;
        let error = load(text, &secrets).unwrap_err();
        assert_eq!(
            error,
            LoadError::Unsupported {
                bucket: "data".into(),
                backend: "local"
            }
        );
        assert!(error.to_string().contains("native"));
    }

    #[test]
    fn broken_json_is_a_config_error_with_a_line() {
        let error = load("{\n  \"buckets\": [ }", &secrets).unwrap_err();
        assert!(matches!(error, LoadError::Config(_)), "{error:?}");
    }

    const IDENTITY: &str = r#"{
        "server": {
            "session_keys": [ { "id": "k1", "secret": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=" } ],
            "oidc_issuer": "https://gateway.example.com",
            "oidc_keys": [ { "id": "gw-1", "algorithm": "RS256", "private_key": { "env": "OIDC_KEY" } } ]
        },
        "buckets": [ { "name": "media", "backend": { "type": "r2", "binding": "MEDIA" } } ],
        "roles": [ { "name": "ci", "trusted_issuers": ["https://token.actions.githubusercontent.com"],
                     "audiences": ["sts.amazonaws.com"],
                     "scopes": [ { "bucket": "media", "actions": ["read"] } ] } ]
    }"#;

    fn identity_secrets(name: &str) -> Option<String> {
        let path = format!(
            "{}/../../core/tests/keys/rsa2.pem",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it")
        );
        (name == "OIDC_KEY").then(|| std::fs::read_to_string(path).expect("test key"))
    }

    fn get(gateway: &Gateway, path: &str, query: &str) -> multistore_core::gateway::Plan {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::HOST, "gw.example".parse().unwrap());
        gateway.resolve(multistore_core::gateway::RequestHead {
            method: http::Method::GET,
            raw_path: path.into(),
            raw_query: query.into(),
            headers,
            client_ip: None,
            now: multistore_core::codec::scalar::DateTime::from_millis(1_764_000_000_000),
            request_id: "req-1".into(),
        })
    }

    #[test]
    fn sts_and_the_oidc_provider_are_registered_as_on_native() {
        use multistore_core::gateway::Plan;
        let loaded = load(IDENTITY, &identity_secrets).unwrap();
        match get(&loaded.gateway, "/.well-known/openid-configuration", "") {
            Plan::Respond(r) => {
                assert_eq!(r.status, 200);
                let body = String::from_utf8_lossy(&r.body);
                assert!(
                    body.contains("https://gateway.example.com/.well-known/jwks.json"),
                    "{body}"
                );
            }
            other => panic!("discovery: {other:?}"),
        }
        // STS answers (here: a refusal of a missing token), where a gateway without it would
        // treat the request as an anonymous S3 ListBuckets.
        match get(
            &loaded.gateway,
            "/",
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15",
        ) {
            Plan::Respond(r) => {
                let body = String::from_utf8_lossy(&r.body);
                assert!(
                    body.contains("sts.amazonaws.com/doc/2011-06-15"),
                    "{} {body}",
                    r.status
                );
            }
            other => panic!("sts: {other:?}"),
        }
    }

    #[test]
    fn roles_without_session_keys_are_refused() {
        let text = IDENTITY.replace(r#""session_keys": [ { "id": "k1", "secret": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=" } ],"#, "");
        let error = load(&text, &identity_secrets).unwrap_err();
        assert!(matches!(error, LoadError::Identity(_)), "{error:?}");
        assert!(error.to_string().contains("session_keys"), "{error}");
    }
}
