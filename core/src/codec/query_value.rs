//! The bridge between generated STS types and the AWS query protocol: parameters looked up
//! by dotted key (`PolicyArns.member.1.arn`), and the `QueryWrite` / `QueryRead` traits that
//! generated structures implement.

use std::collections::BTreeMap;

use super::http::BindingError;
use super::scalar::{DateTime, TextValue, TimestampFormat, parse_timestamp};

/// The most list items read for one member; more are ignored.
pub const MAX_LIST_ITEMS: usize = 1000;

/// Form or query parameters by name; the first occurrence of a name wins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryParams {
    map: BTreeMap<String, String>,
}

impl QueryParams {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            map.entry(k).or_insert(v);
        }
        Self { map }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// Whether any parameter name starts with `prefix`.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.map
            .range(prefix.to_owned()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(prefix))
    }
}

/// A structure that writes itself as query parameters under a key prefix (`""` or `Name.`).
pub trait QueryWrite {
    fn write_query(&self, prefix: &str, out: &mut Vec<(String, String)>);
}

/// A structure that reads itself from query parameters under a key prefix.
pub trait QueryRead: Sized {
    fn read_query(params: &QueryParams, prefix: &str) -> Result<Self, BindingError>;
}

/// A scalar parameter.
pub fn scalar<T: TextValue>(params: &QueryParams, key: &str) -> Result<Option<T>, BindingError> {
    params
        .get(key)
        .map(|v| {
            T::parse_text(v).map_err(|source| BindingError::InvalidQuery {
                name: key.to_owned(),
                source,
            })
        })
        .transpose()
}

/// A timestamp parameter.
pub fn timestamp(
    params: &QueryParams,
    key: &str,
    format: TimestampFormat,
) -> Result<Option<DateTime>, BindingError> {
    params
        .get(key)
        .map(|v| {
            parse_timestamp(v, format).map_err(|source| BindingError::InvalidQuery {
                name: key.to_owned(),
                source,
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_occurrence_wins_and_prefixes_are_found() {
        let p = QueryParams::new([
            ("A".to_owned(), "1".to_owned()),
            ("A".to_owned(), "2".to_owned()),
            ("List.member.1.arn".to_owned(), "x".to_owned()),
        ]);
        assert_eq!(p.get("A"), Some("1"));
        assert!(p.has_prefix("List.member.1."));
        assert!(!p.has_prefix("List.member.2."));
        assert!(!p.has_prefix("B"));
    }
}
