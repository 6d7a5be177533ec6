//! The gateway configuration of the runtime comparison: one TOML text per (backend, runtime),
//! given to the native binary as is and to the Worker as JSON ([`toml_to_json`]), with the
//! same secrets (process environment for native, bindings for the Worker).
//!
//! Buckets: `data` (the backend under test) and `other` (the same backend, another prefix),
//! each runtime under its own key prefix; a read-write and a read-only principal; STS with a
//! role scoped to `data/teams/{team}/`, trusting the local identity provider of
//! `smoke/identity.py`; and the gateway's own OIDC issuer.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::procs::json_string;

pub(crate) const BUCKET: &str = "data";
pub(crate) const OTHER_BUCKET: &str = "other";
pub(crate) const BACKEND_BUCKET: &str = "backend-bucket";
pub(crate) const BACKEND_ACCESS_KEY: &str = "compare-backend";
pub(crate) const BACKEND_SECRET: &str = "compare-backend-secret";
pub(crate) const CLIENT_ACCESS_KEY: &str = "AKIACOMPARECLIENT001";
pub(crate) const CLIENT_SECRET: &str = "compare-client-secret-0123456789";
pub(crate) const READER_ACCESS_KEY: &str = "AKIACOMPAREREADER001";
pub(crate) const READER_SECRET: &str = "compare-reader-secret-0123456789";
pub(crate) const MAX_UPLOAD: u64 = 8 * 1024 * 1024;
/// The STS session key ring's one key (32 bytes, base64): test data, not a secret.
const SESSION_KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
/// The gateway's own OIDC issuer (its discovery document names it).
pub(crate) const GATEWAY_ISSUER: &str = "https://gateway.example.com";
/// The test key the gateway signs its own tokens with.
pub(crate) const GATEWAY_KEY: &str = "core/tests/keys/rsa2.pem";
/// The Worker's R2 bucket binding.
pub(crate) const R2_BINDING: &str = "COMPARE_R2";

/// The backends the comparison runs in front of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    S3sFs,
    Moto,
    /// An R2 binding for the Worker; the native runtime's own store (`type = "local"`) is
    /// its reference.
    R2,
}

impl Backend {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::S3sFs => "s3s-fs",
            Self::Moto => "moto",
            Self::R2 => "r2",
        }
    }
}

/// One gateway to configure.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) backend: Backend,
    /// `native` or `worker`: the key prefix on the shared backend bucket.
    runtime: &'static str,
    /// The HTTP backend's port.
    port: Option<u16>,
    /// The native runtime's directory store (the R2 reference).
    local: Option<PathBuf>,
}

impl Target {
    pub(crate) fn native(backend: Backend, port: Option<u16>, dir: &Path) -> Self {
        Self {
            backend,
            runtime: "native",
            port,
            local: Some(dir.join("native-local")),
        }
    }

    pub(crate) fn worker(backend: Backend, port: Option<u16>) -> Self {
        Self {
            backend,
            runtime: "worker",
            port,
            local: None,
        }
    }

    /// The inline TOML table of one bucket's backend, under `prefix`.
    fn backend(&self, bucket: &str) -> String {
        let prefix = format!("{}-{bucket}/", self.runtime);
        match (self.backend, self.port, &self.local) {
            (Backend::R2, _, Some(dir)) => format!(
                "{{ type = \"local\", path = {}, prefix = \"{prefix}\" }}",
                json_string(&dir.to_string_lossy())
            ),
            (Backend::R2, _, None) => {
                format!("{{ type = \"r2\", binding = \"{R2_BINDING}\", prefix = \"{prefix}\" }}")
            }
            (_, port, _) => format!(
                "{{ type = \"s3\", endpoint = \"http://127.0.0.1:{}\", region = \"us-east-1\", \
                 bucket = \"{BACKEND_BUCKET}\", prefix = \"{prefix}\", \
                 access_key_id = \"{BACKEND_ACCESS_KEY}\", secret_access_key = {{ env = \"BACKEND_SECRET\" }} }}",
                port.unwrap_or_default()
            ),
        }
    }
}

/// The configuration of `target`, with the local identity provider on `issuer_port`.
pub(crate) fn gateway_toml(target: &Target, issuer_port: u16) -> String {
    let issuer = format!("http://127.0.0.1:{issuer_port}");
    let mut text = String::new();
    let _ = write!(
        text,
        r#"[limits]
max_upload_bytes = {MAX_UPLOAD}

[server]
insecure_issuers = ["{issuer}"]
sts_path = "/.sts"
oidc_issuer = "{GATEWAY_ISSUER}"
[[server.session_keys]]
id = "k1"
secret = {{ env = "SESSION_KEY" }}
[[server.oidc_keys]]
id = "gw-1"
algorithm = "RS256"
private_key = {{ env = "OIDC_KEY" }}

[[buckets]]
name = "{BUCKET}"
backend = {data}
[[buckets]]
name = "{OTHER_BUCKET}"
backend = {other}

[[credentials]]
access_key_id = "{CLIENT_ACCESS_KEY}"
principal = "client"
secret_access_key = {{ env = "CLIENT_SECRET" }}
[[credentials.scopes]]
bucket = "*"
actions = ["all"]

[[credentials]]
access_key_id = "{READER_ACCESS_KEY}"
principal = "reader"
secret_access_key = {{ env = "READER_SECRET" }}
[[credentials.scopes]]
bucket = "*"
actions = ["read"]

[[roles]]
name = "ci"
trusted_issuers = ["{issuer}"]
audiences = ["sts.amazonaws.com"]
subject = "repo:org/*"
[[roles.scopes]]
bucket = "{BUCKET}"
prefixes = ["teams/{{team}}/"]
actions = ["all"]
"#,
        data = target.backend(BUCKET),
        other = target.backend(OTHER_BUCKET),
    );
    text
}

/// The secrets the configuration names, by variable (or binding) name.
pub(crate) fn secrets(keys_dir: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    let pem_path = keys_dir.join("rsa2.pem");
    let pem = std::fs::read_to_string(&pem_path)
        .with_context(|| format!("cannot read {}", pem_path.display()))?;
    Ok(vec![
        ("SESSION_KEY", SESSION_KEY.to_owned()),
        ("OIDC_KEY", pem),
        ("CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("READER_SECRET", READER_SECRET.to_owned()),
        ("BACKEND_SECRET", BACKEND_SECRET.to_owned()),
    ])
}

/// A TOML document as JSON: the Worker reads the same schema from JSON.
pub(crate) fn toml_to_json(text: &str) -> anyhow::Result<String> {
    let table: toml::Table = toml::from_str(text).context("the generated TOML does not parse")?;
    let mut out = String::new();
    write_json(&toml::Value::Table(table), &mut out);
    Ok(out)
}

fn write_json(value: &toml::Value, out: &mut String) {
    match value {
        toml::Value::String(s) => out.push_str(&json_string(s)),
        toml::Value::Integer(i) => out.push_str(&i.to_string()),
        toml::Value::Float(f) => out.push_str(&f.to_string()),
        toml::Value::Boolean(b) => out.push_str(&b.to_string()),
        toml::Value::Datetime(d) => out.push_str(&json_string(&d.to_string())),
        toml::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        toml::Value::Table(table) => {
            out.push('{');
            for (i, (key, item)) in table.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(key));
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_becomes_the_same_json() {
        let json =
            toml_to_json("a = 1\nb = [\"x\", true]\n[c]\nd = { env = \"E\\\"\" }\n").unwrap();
        assert_eq!(json, r#"{"a":1,"b":["x",true],"c":{"d":{"env":"E\""}}}"#);
    }

    #[test]
    fn each_runtime_gets_its_own_prefix_on_the_shared_backend() {
        let native = gateway_toml(
            &Target::native(Backend::Moto, Some(9000), Path::new("/run")),
            9001,
        );
        let worker = gateway_toml(&Target::worker(Backend::Moto, Some(9000)), 9001);
        assert!(native.contains("prefix = \"native-data/\""), "{native}");
        assert!(worker.contains("prefix = \"worker-data/\""), "{worker}");
        assert!(
            worker.contains("endpoint = \"http://127.0.0.1:9000\""),
            "{worker}"
        );
        assert!(
            worker.contains("trusted_issuers = [\"http://127.0.0.1:9001\"]"),
            "{worker}"
        );
        toml_to_json(&native).unwrap();
    }

    #[test]
    fn the_r2_run_compares_a_binding_with_the_native_store() {
        let native = gateway_toml(&Target::native(Backend::R2, None, Path::new("/run")), 1);
        let worker = gateway_toml(&Target::worker(Backend::R2, None), 1);
        assert!(
            native.contains("type = \"local\", path = \"/run/native-local\""),
            "{native}"
        );
        assert!(worker.contains("binding = \"COMPARE_R2\""), "{worker}");
    }
}
