//! `[[credentials]]` (static access keys and their scopes) and `[[roles]]` (what a federated
//! OIDC identity may assume; used by STS).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::authz::Scope;
use aws_smithy_types::date_time::Format;

use crate::codec::scalar::DateTime;

use super::secret::Secret;
use super::template::ScopeTemplate;

/// One static access key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// 16 to 128 characters, `A-Z` and `0-9`.
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// A name for logs.
    pub principal: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// After this instant the key is refused. RFC 3339.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_time",
        deserialize_with = "deserialize_time"
    )]
    pub expires_at: Option<DateTime>,
    #[serde(default)]
    pub scopes: Vec<Scope>,
}

fn yes() -> bool {
    true
}

/// The default and the minimum of `max_session_duration_secs`.
pub const DEFAULT_SESSION_SECS: u64 = 3600;
pub const MIN_SESSION_SECS: u64 = 900;
/// The STS maximum (12 hours).
pub const MAX_SESSION_SECS: u64 = 43200;

fn default_session() -> u64 {
    DEFAULT_SESSION_SECS
}

/// One role a web identity may assume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    pub name: String,
    /// Accepted `iss` values (https URLs; http only for loopback hosts).
    pub trusted_issuers: Vec<String>,
    /// Accepted `aud` values.
    pub audiences: Vec<String>,
    /// A `*` glob the `sub` claim must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Claim name → `*` glob its string value must match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<String, String>,
    #[serde(default = "default_session")]
    pub max_session_duration_secs: u64,
    #[serde(default)]
    pub scopes: Vec<ScopeTemplate>,
}

fn serialize_time<S: Serializer>(time: &Option<DateTime>, s: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(t) => {
            let text = t.fmt(Format::DateTime).map_err(serde::ser::Error::custom)?;
            s.serialize_str(&text)
        }
        None => s.serialize_none(),
    }
}

fn deserialize_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime>, D::Error> {
    d.deserialize_any(TimeVisitor).map(Some)
}

/// Parses RFC 3339 (`2027-01-01T00:00:00Z`, offsets allowed).
pub fn parse_rfc3339(text: &str) -> Result<DateTime, String> {
    DateTime::from_str(text, Format::DateTimeWithOffset)
        .map_err(|e| format!("`{text}` is not an RFC 3339 date-time: {e}"))
}

/// A quoted RFC 3339 string, or (TOML) a bare offset date-time.
struct TimeVisitor;

/// The field name toml uses to pass a native date-time through serde.
const TOML_DATETIME_FIELD: &str = "$__toml_private_datetime";

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = DateTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 date-time such as \"2027-01-01T00:00:00Z\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime, E> {
        parse_rfc3339(v).map_err(E::custom)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<DateTime, M::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == TOML_DATETIME_FIELD => {
                let text: String = map.next_value()?;
                parse_rfc3339(&text).map_err(de::Error::custom)
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}
