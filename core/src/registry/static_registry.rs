//! [`StaticRegistry`]: buckets, credentials and roles from a validated, secret-resolved
//! [`Config`]. Exact bucket names win over the pass-through `*` entry.

use std::collections::BTreeMap;

use crate::authz::{Identity, check_bucket_name};
use crate::config::{BucketConfig, Config, ConfigError, RoleConfig};

use super::{BucketInfo, BucketRegistry, BucketTarget, CredentialRegistry, StoredCredential};

/// Both registries, served from a configuration held in memory.
#[derive(Clone, Debug)]
pub struct StaticRegistry {
    /// Exact-name buckets, in configuration order.
    buckets: Vec<BucketConfig>,
    by_name: BTreeMap<String, usize>,
    pass_through: Option<BucketConfig>,
    credentials: BTreeMap<String, StoredCredential>,
    roles: BTreeMap<String, RoleConfig>,
}

impl StaticRegistry {
    /// Validates `config` and indexes it. Fails if it is invalid or a secret is unresolved
    /// (call [`Config::resolve_secrets`] first).
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        config.validate()?;
        config.check_secrets_resolved()?;
        let (pass, exact): (Vec<_>, Vec<_>) = config
            .buckets
            .iter()
            .cloned()
            .partition(BucketConfig::is_pass_through);
        let by_name = exact
            .iter()
            .enumerate()
            .map(|(i, b)| (b.name.clone(), i))
            .collect();
        let mut credentials = BTreeMap::new();
        for c in &config.credentials {
            // check_secrets_resolved guarantees a value; skip defensively rather than panic.
            let Some(secret) = c.secret_access_key.value() else {
                continue;
            };
            let stored = StoredCredential {
                access_key_id: c.access_key_id.clone(),
                secret_access_key: secret.clone(),
                principal: c.principal.clone(),
                enabled: c.enabled,
                expires_at: c.expires_at,
                scopes: c.scopes.clone(),
            };
            credentials.insert(c.access_key_id.clone(), stored);
        }
        let roles = config
            .roles
            .iter()
            .map(|r| (r.name.clone(), r.clone()))
            .collect();
        Ok(StaticRegistry {
            buckets: exact,
            by_name,
            pass_through: pass.into_iter().next(),
            credentials,
            roles,
        })
    }
}

fn target(bucket: &BucketConfig, client_name: &str, pass_through: bool) -> BucketTarget {
    BucketTarget {
        client_name: client_name.to_owned(),
        backend: bucket.backend.clone(),
        backend_bucket: bucket.backend.bucket().unwrap_or(client_name).to_owned(),
        prefix: bucket.backend.prefix().to_owned(),
        anonymous_read: bucket.anonymous_read,
        cors: bucket.cors.clone(),
        pass_through,
    }
}

impl BucketRegistry for StaticRegistry {
    /// Exact names first; otherwise the `*` entry, for valid S3 bucket names only (so that a
    /// name like `..` can never reach a backend, a directory in particular).
    fn lookup(&self, client_bucket: &str) -> Option<BucketTarget> {
        if let Some(&i) = self.by_name.get(client_bucket) {
            return self.buckets.get(i).map(|b| target(b, client_bucket, false));
        }
        let pass = self.pass_through.as_ref()?;
        check_bucket_name(client_bucket).ok()?;
        Some(target(pass, client_bucket, true))
    }

    /// Exact-name buckets the identity can use: a scope of its touches the bucket, or the bucket
    /// allows anonymous reads. In configuration order.
    fn list_for(&self, identity: &Identity) -> Vec<BucketInfo> {
        let usable = |bucket: &BucketConfig| {
            bucket.anonymous_read
                || match identity {
                    Identity::Anonymous => false,
                    Identity::Principal(p) => {
                        p.scopes.iter().any(|s| s.touches_bucket(&bucket.name))
                    }
                }
        };
        self.buckets
            .iter()
            .filter(|b| usable(b))
            .map(|b| BucketInfo {
                name: b.name.clone(),
            })
            .collect()
    }
}

impl CredentialRegistry for StaticRegistry {
    fn lookup_key(&self, access_key_id: &str) -> Option<StoredCredential> {
        self.credentials.get(access_key_id).cloned()
    }

    fn role(&self, name: &str) -> Option<RoleConfig> {
        self.roles.get(name).cloned()
    }
}
