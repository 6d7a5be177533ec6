//! Secrets in configuration: an inline string or `{ env = "NAME" }`, resolved through a
//! [`SecretSource`] the runtime provides (the core never reads the environment itself).
//!
//! A secret's value never appears in `Debug`, `Display` or serialized output: those print `***`
//! (serialization keeps `{ env = "NAME" }`, which names no value).

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where the runtime looks secrets up.
pub trait SecretSource {
    /// The value of the environment variable `name`, if set.
    fn env(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> SecretSource for F {
    fn env(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// A resolved secret value. Prints as `***`; read it with [`SecretValue::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(value.into())
    }

    /// The value itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A configured secret: inline, or taken from an environment variable when resolved.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    env: Option<String>,
    value: Option<SecretValue>,
}

/// Why a secret cannot be resolved. Names the variable, never a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the environment variable `{0}` is not set")]
    Unset(String),
    #[error("the environment variable `{0}` is empty")]
    Empty(String),
}

impl Secret {
    /// An inline secret (already resolved).
    pub fn inline(value: impl Into<String>) -> Self {
        Secret {
            env: None,
            value: Some(SecretValue::new(value)),
        }
    }

    /// A secret read from the environment variable `name` by [`Secret::resolve`].
    pub fn from_env(name: impl Into<String>) -> Self {
        Secret {
            env: Some(name.into()),
            value: None,
        }
    }

    /// The environment variable this secret comes from, if any.
    pub fn env_var(&self) -> Option<&str> {
        self.env.as_deref()
    }

    /// The value, once known (inline, or resolved).
    pub fn value(&self) -> Option<&SecretValue> {
        self.value.as_ref()
    }

    pub fn is_resolved(&self) -> bool {
        self.value.is_some()
    }

    /// Reads an environment secret from `source` (again, if already resolved). Inline secrets
    /// are left as they are. An unset or empty variable is an error.
    pub fn resolve(&mut self, source: &dyn SecretSource) -> Result<(), SecretError> {
        let Some(name) = &self.env else {
            return Ok(());
        };
        match source.env(name) {
            None => Err(SecretError::Unset(name.clone())),
            Some(value) if value.is_empty() => Err(SecretError::Empty(name.clone())),
            Some(value) => {
                self.value = Some(SecretValue(value));
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.env {
            Some(name) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("env", name)?;
                map.end()
            }
            None => serializer.serialize_str("***"),
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or { env = \"NAME\" }")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Secret, E> {
        if value.is_empty() {
            return Err(E::custom("the secret is empty"));
        }
        Ok(Secret::inline(value))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Secret, M::Error> {
        let mut name: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "env" {
                return Err(de::Error::unknown_field(&key, &["env"]));
            }
            if name.is_some() {
                return Err(de::Error::duplicate_field("env"));
            }
            name = Some(map.next_value()?);
        }
        match name {
            Some(name) if !name.is_empty() => Ok(Secret::from_env(name)),
            Some(_) => Err(de::Error::custom("the environment variable name is empty")),
            None => Err(de::Error::missing_field("env")),
        }
    }
}
