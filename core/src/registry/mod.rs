//! Registries: where the gateway looks up buckets ([`BucketRegistry`]) and credentials and roles
//! ([`CredentialRegistry`]). [`StaticRegistry`] serves both from a resolved [`Config`]; other
//! implementations (a database, a KV store) can come later behind the same traits.
//!
//! [`Config`]: crate::config::Config

mod static_registry;
#[cfg(test)]
mod tests;

use crate::authz::{Identity, Principal, Scope};
use crate::codec::scalar::DateTime;
use crate::config::{BackendConfig, CorsRule, RoleConfig, SecretValue};

pub use static_registry::StaticRegistry;

/// Client bucket names → backends.
pub trait BucketRegistry {
    /// The bucket a client name maps to (pass-through `*` included), or None → NoSuchBucket.
    fn lookup(&self, client_bucket: &str) -> Option<BucketTarget>;
    /// The buckets to show in ListBuckets for this identity (only those it may use at all; a
    /// pass-through entry shows nothing).
    fn list_for(&self, identity: &Identity) -> Vec<BucketInfo>;
}

/// Access keys → their secret and grants; role names → roles.
pub trait CredentialRegistry {
    fn lookup_key(&self, access_key_id: &str) -> Option<StoredCredential>;
    fn role(&self, name: &str) -> Option<RoleConfig>;
}

/// Where a client-visible bucket lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketTarget {
    /// The name the client used.
    pub client_name: String,
    pub backend: BackendConfig,
    /// The backend's `bucket`, or the client name.
    pub backend_bucket: String,
    /// The key prefix inside the backend bucket.
    pub prefix: String,
    pub anonymous_read: bool,
    pub cors: Vec<CorsRule>,
    /// Served by the `*` entry.
    pub pass_through: bool,
}

/// A bucket as shown by ListBuckets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketInfo {
    pub name: String,
}

/// A configured access key, its secret resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCredential {
    pub access_key_id: String,
    pub secret_access_key: SecretValue,
    pub principal: String,
    pub enabled: bool,
    pub expires_at: Option<DateTime>,
    pub scopes: Vec<Scope>,
}

/// Whether a key may be used at a given instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Disabled,
    /// `expires_at` is at or before the instant.
    Expired,
}

impl StoredCredential {
    /// The key's status at `now` (the runtime's clock).
    pub fn status_at(&self, now: DateTime) -> KeyStatus {
        if !self.enabled {
            KeyStatus::Disabled
        } else if self.expires_at.is_some_and(|at| now >= at) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }

    /// The identity requests signed with this key act as.
    pub fn identity(&self) -> Identity {
        Identity::Principal(Principal {
            name: self.principal.clone(),
            access_key_id: self.access_key_id.clone(),
            scopes: self.scopes.clone(),
        })
    }
}
