//! The load-time rules every configuration must pass, whichever format it came from (or if it
//! was built in code). Each error names the exact key path; the loader adds the TOML line.

use std::collections::HashSet;

use crate::authz::{BucketPattern, Scope, check_bucket_name};

use super::access::{CredentialConfig, MAX_SESSION_SECS, MIN_SESSION_SECS, RoleConfig};
use super::bucket::{BackendConfig, BucketConfig, PASS_THROUGH, S3Auth, S3Backend};
use super::check;
use super::error::{ConfigError, ConfigErrorKind as K, index, key};
use super::identity;
use super::template::{self, ScopeTemplate};
use super::{Config, Limits, ServerConfig};

type Result<T = ()> = std::result::Result<T, ConfigError>;

fn err(path: String, kind: K) -> ConfigError {
    ConfigError::new(path, kind)
}

fn invalid(path: String, reason: String) -> ConfigError {
    err(path, K::InvalidValue(reason))
}

fn nonempty(path: String, value: &str, what: &str) -> Result {
    if value.trim().is_empty() {
        return Err(invalid(path, format!("{what} must not be empty")));
    }
    Ok(())
}

pub(super) fn config(config: &Config) -> Result {
    server(&config.server)?;
    limits(&config.limits)?;
    let mut names = HashSet::new();
    for (i, bucket) in config.buckets.iter().enumerate() {
        let path = index("buckets", i);
        self::bucket(&path, bucket)?;
        let oidc = matches!(&bucket.backend, BackendConfig::S3(s3) if s3.auth == S3Auth::Oidc);
        if oidc && config.server.oidc_keys.is_empty() {
            let why = "auth = \"oidc\" needs the gateway's signing keys: set [server] oidc_issuer and [[server.oidc_keys]]";
            return Err(err(
                key(&key(&path, "backend"), "auth"),
                K::MissingKey(Some(why.into())),
            ));
        }
        if !names.insert(bucket.name.as_str()) {
            return Err(err(
                key(&path, "name"),
                K::DuplicateBucket(bucket.name.clone()),
            ));
        }
    }
    let mut keys = HashSet::new();
    for (i, credential) in config.credentials.iter().enumerate() {
        let path = index("credentials", i);
        self::credential(&path, credential)?;
        if !keys.insert(credential.access_key_id.as_str()) {
            let id = credential.access_key_id.clone();
            return Err(err(key(&path, "access_key_id"), K::DuplicateAccessKey(id)));
        }
    }
    let mut roles = HashSet::new();
    for (i, role) in config.roles.iter().enumerate() {
        let path = index("roles", i);
        self::role(&path, role, &config.server)?;
        if !roles.insert(role.name.as_str()) {
            return Err(err(key(&path, "name"), K::DuplicateRole(role.name.clone())));
        }
    }
    Ok(())
}

fn server(server: &ServerConfig) -> Result {
    check::region(&server.region).map_err(|r| invalid("server.region".into(), r))?;
    for (i, domain) in server.virtual_host_domains.iter().enumerate() {
        let path = index("server.virtual_host_domains", i);
        check::host_name(domain).map_err(|r| invalid(path, r))?;
    }
    if let Some(path) = &server.sts_path {
        identity::check_sts_path(path).map_err(|r| invalid("server.sts_path".into(), r))?;
    }
    let mut ids = HashSet::new();
    for (i, k) in server.session_keys.iter().enumerate() {
        let path = index("server.session_keys", i);
        identity::check_key_id(&k.id, 32, b"_-").map_err(|r| invalid(key(&path, "id"), r))?;
        if !ids.insert(k.id.as_str()) {
            let why = format!("the key id `{}` is used twice", k.id);
            return Err(invalid(key(&path, "id"), why));
        }
        identity::check_session_secret(&k.secret).map_err(|r| invalid(key(&path, "secret"), r))?;
    }
    for (i, url) in server.insecure_issuers.iter().enumerate() {
        check::endpoint(url).map_err(|reason| {
            let url = url.clone();
            err(
                index("server.insecure_issuers", i),
                K::InvalidEndpoint { url, reason },
            )
        })?;
    }
    let mut ids = HashSet::new();
    for (i, k) in server.oidc_keys.iter().enumerate() {
        let path = index("server.oidc_keys", i);
        identity::check_key_id(&k.id, 64, b"._-").map_err(|r| invalid(key(&path, "id"), r))?;
        if !ids.insert(k.id.as_str()) {
            let why = format!("the key id `{}` is used twice", k.id);
            return Err(invalid(key(&path, "id"), why));
        }
        identity::check_oidc_key(k).map_err(|r| invalid(key(&path, "private_key"), r))?;
    }
    match (&server.oidc_issuer, server.oidc_keys.is_empty()) {
        (Some(issuer), false) => check::issuer(issuer, server).map_err(|reason| {
            let url = issuer.clone();
            err(
                "server.oidc_issuer".into(),
                K::InvalidEndpoint { url, reason },
            )
        }),
        (None, true) => Ok(()),
        (Some(_), true) => Err(err(
            "server.oidc_keys".into(),
            K::MissingKey(Some("oidc_issuer needs at least one signing key".into())),
        )),
        (None, false) => Err(err(
            "server.oidc_issuer".into(),
            K::MissingKey(Some("oidc_keys need the issuer they sign as".into())),
        )),
    }
}

fn limits(limits: &Limits) -> Result {
    let all = [
        ("max_header_bytes", limits.max_header_bytes),
        ("read_buffer_bytes", limits.read_buffer_bytes),
        ("max_upload_bytes", limits.max_upload_bytes),
        ("max_xml_body_bytes", limits.max_xml_body_bytes),
    ];
    for (name, value) in all {
        if value == 0 {
            return Err(invalid(key("limits", name), "must be at least 1".into()));
        }
    }
    Ok(())
}

fn bucket(path: &str, bucket: &BucketConfig) -> Result {
    if bucket.name != PASS_THROUGH {
        check_bucket_name(&bucket.name).map_err(|reason| {
            let name = bucket.name.clone();
            err(key(path, "name"), K::InvalidBucketName { name, reason })
        })?;
    }
    let backend_path = key(path, "backend");
    match &bucket.backend {
        BackendConfig::S3(s3) => s3_backend(&backend_path, s3, bucket.is_pass_through())?,
        BackendConfig::Local(local) => {
            nonempty(key(&backend_path, "path"), &local.path, "the path")?;
        }
        BackendConfig::Memory(_) => {}
        BackendConfig::R2(r2) => {
            let binding = key(&backend_path, "binding");
            check::binding(&r2.binding).map_err(|r| invalid(binding, r))?;
        }
    }
    for (i, rule) in bucket.cors.iter().enumerate() {
        let rule_path = index(&key(path, "cors"), i);
        rule.validate()
            .map_err(|e| err(rule_path, K::InvalidCors(e)))?;
    }
    Ok(())
}

fn s3_backend(path: &str, s3: &S3Backend, pass_through: bool) -> Result {
    let endpoint = |p: &str, url: &str| {
        check::endpoint(url).map_err(|reason| {
            let url = url.to_owned();
            err(key(path, p), K::InvalidEndpoint { url, reason })
        })
    };
    endpoint("endpoint", &s3.endpoint)?;
    check::region(&s3.region).map_err(|r| invalid(key(path, "region"), r))?;
    if let Some(bucket) = &s3.bucket {
        if pass_through {
            let why = "`bucket` must be absent when name = \"*\" (each name maps to itself)";
            return Err(err(key(path, "bucket"), K::Conflict(why.into())));
        }
        if bucket.is_empty() || bucket.contains('/') || bucket.contains(char::is_whitespace) {
            let why = format!("`{bucket}` is not a bucket name");
            return Err(invalid(key(path, "bucket"), why));
        }
    }
    let present = [
        ("access_key_id", s3.access_key_id.is_some()),
        ("secret_access_key", s3.secret_access_key.is_some()),
        ("role_arn", s3.role_arn.is_some()),
        ("sts_endpoint", s3.sts_endpoint.is_some()),
        ("subject", s3.subject.is_some()),
        ("audience", s3.audience.is_some()),
    ];
    let (auth, required, allowed): (_, &[&str], &[&str]) = match s3.auth {
        S3Auth::Static => (
            "static",
            &["access_key_id", "secret_access_key"],
            &["access_key_id", "secret_access_key"],
        ),
        S3Auth::Anonymous => ("anonymous", &[], &[]),
        S3Auth::Oidc => (
            "oidc",
            &["role_arn"],
            &["role_arn", "sts_endpoint", "subject", "audience"],
        ),
    };
    for (name, is_present) in present {
        if is_present && !allowed.contains(&name) {
            let why = format!("auth = \"{auth}\" takes no `{name}`");
            return Err(err(key(path, name), K::Conflict(why)));
        }
        if !is_present && required.contains(&name) {
            let why = format!("auth = \"{auth}\" needs it");
            return Err(err(key(path, name), K::MissingKey(Some(why))));
        }
    }
    if let Some(id) = &s3.access_key_id {
        nonempty(key(path, "access_key_id"), id, "the access key id")?;
    }
    if let Some(secret) = s3.secret_access_key.as_ref().and_then(|s| s.value()) {
        nonempty(
            key(path, "secret_access_key"),
            secret.expose(),
            "the secret",
        )?;
    }
    if let Some(arn) = &s3.role_arn {
        check::arn(arn).map_err(|r| invalid(key(path, "role_arn"), r))?;
    }
    if let Some(url) = &s3.sts_endpoint {
        endpoint("sts_endpoint", url)?;
    }
    if let Some(subject) = &s3.subject {
        nonempty(key(path, "subject"), subject, "the subject")?;
    }
    if let Some(audience) = &s3.audience {
        nonempty(key(path, "audience"), audience, "the audience")?;
    }
    Ok(())
}

fn credential(path: &str, credential: &CredentialConfig) -> Result {
    let id_path = key(path, "access_key_id");
    check::access_key_id(&credential.access_key_id)
        .map_err(|r| err(id_path, K::InvalidAccessKeyId(r)))?;
    if let Some(secret) = credential.secret_access_key.value() {
        nonempty(
            key(path, "secret_access_key"),
            secret.expose(),
            "the secret",
        )?;
    }
    nonempty(
        key(path, "principal"),
        &credential.principal,
        "the principal",
    )?;
    for (i, s) in credential.scopes.iter().enumerate() {
        scope(&index(&key(path, "scopes"), i), s)?;
    }
    Ok(())
}

fn scope(path: &str, scope: &Scope) -> Result {
    // The pattern was checked when read; re-check for configurations built in code.
    BucketPattern::new(scope.bucket.as_str())
        .map_err(|e| err(key(path, "bucket"), K::InvalidPattern(e)))?;
    scope_lists(path, &scope.prefixes, scope.actions.is_empty())
}

fn scope_lists(path: &str, prefixes: &[String], no_actions: bool) -> Result {
    if prefixes.is_empty() {
        let why = "an empty list grants nothing; omit `prefixes` for the whole bucket";
        return Err(invalid(key(path, "prefixes"), why.into()));
    }
    if no_actions {
        let why = "name at least one action or group";
        return Err(invalid(key(path, "actions"), why.into()));
    }
    Ok(())
}

fn role(path: &str, role: &RoleConfig, server: &ServerConfig) -> Result {
    check::role_name(&role.name).map_err(|r| invalid(key(path, "name"), r))?;
    let issuers = key(path, "trusted_issuers");
    if role.trusted_issuers.is_empty() {
        return Err(invalid(issuers, "name at least one issuer".into()));
    }
    for (i, issuer) in role.trusted_issuers.iter().enumerate() {
        check::issuer(issuer, server).map_err(|reason| {
            let url = issuer.clone();
            err(index(&issuers, i), K::InvalidEndpoint { url, reason })
        })?;
    }
    let audiences = key(path, "audiences");
    if role.audiences.is_empty() {
        return Err(invalid(audiences, "name at least one audience".into()));
    }
    for (i, audience) in role.audiences.iter().enumerate() {
        nonempty(index(&audiences, i), audience, "an audience")?;
    }
    if let Some(subject) = &role.subject {
        nonempty(key(path, "subject"), subject, "the subject pattern")?;
    }
    for (claim, pattern) in &role.conditions {
        let claim_path = key(&key(path, "conditions"), claim);
        nonempty(claim_path.clone(), claim, "a claim name")?;
        nonempty(claim_path, pattern, "a condition")?;
    }
    let secs = role.max_session_duration_secs;
    if !(MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(&secs) {
        let path = key(path, "max_session_duration_secs");
        return Err(err(path, K::SessionDuration(secs)));
    }
    for (i, s) in role.scopes.iter().enumerate() {
        scope_template(&index(&key(path, "scopes"), i), s)?;
    }
    Ok(())
}

fn scope_template(path: &str, scope: &ScopeTemplate) -> Result {
    scope
        .validate_bucket()
        .map_err(|e| err(key(path, "bucket"), K::InvalidTemplate(e)))?;
    for (i, prefix) in scope.prefixes.iter().enumerate() {
        let prefix_path = index(&key(path, "prefixes"), i);
        template::parse(prefix).map_err(|e| err(prefix_path, K::InvalidTemplate(e)))?;
    }
    scope_lists(path, &scope.prefixes, scope.actions.is_empty())
}
