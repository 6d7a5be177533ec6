//! Names and patterns: S3 bucket-name validity, [`BucketPattern`] (an exact name or a `*` glob),
//! the `*` glob matcher, and the boundary-safe key-prefix rules scopes are checked with.
//!
//! Prefix rules (see docs/security.md):
//! - a granted prefix `data` covers the key `data` and keys under `data/`, never `data-private/x`;
//! - a granted prefix ending in `/` (`data/`) covers every key starting with it;
//! - the empty prefix covers the whole bucket;
//! - a listing with `prefix=P` is covered only when every key starting with `P` is covered, so
//!   `data` permits listing `data/…` but not `data` (that would also list `data-private/…`), and
//!   `data/` never permits listing the whole bucket.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid S3 bucket name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BucketNameError {
    #[error("must be 3 to 63 characters long")]
    Length,
    #[error("may contain only lowercase letters, digits, '.' and '-'")]
    Character,
    #[error("must begin and end with a letter or digit")]
    Edge,
    #[error("must not contain two adjacent periods")]
    AdjacentPeriods,
    #[error("must not be formatted as an IP address")]
    IpAddress,
    #[error("uses the reserved prefix or suffix `{0}`")]
    Reserved(&'static str),
}

const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Checks the S3 general-purpose bucket naming rules.
pub fn check_bucket_name(name: &str) -> Result<(), BucketNameError> {
    if !(3..=63).contains(&name.len()) {
        return Err(BucketNameError::Length);
    }
    if !name.bytes().all(is_bucket_char) {
        return Err(BucketNameError::Character);
    }
    let alnum = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    if !alnum(name.as_bytes().first()) || !alnum(name.as_bytes().last()) {
        return Err(BucketNameError::Edge);
    }
    if name.contains("..") {
        return Err(BucketNameError::AdjacentPeriods);
    }
    if looks_like_ipv4(name) {
        return Err(BucketNameError::IpAddress);
    }
    if let Some(p) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(**p)) {
        return Err(BucketNameError::Reserved(p));
    }
    if let Some(s) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(**s)) {
        return Err(BucketNameError::Reserved(s));
    }
    Ok(())
}

fn is_bucket_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
}

fn looks_like_ipv4(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `*` matches any run of characters (including none); every other character matches itself.
/// Linear in practice: the classic two-pointer algorithm, backtracking only to the last `*`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// Why a bucket pattern is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the bucket pattern is empty")]
    Empty,
    #[error("`{pattern}` is not a valid bucket name: {reason}")]
    InvalidName {
        pattern: String,
        reason: BucketNameError,
    },
    #[error(
        "`{0}` may contain only lowercase letters, digits, '.', '-' and the wildcard '*', at most 63 characters"
    )]
    Character(String),
    #[error("`{0}` contains `**`; use a single `*` (bucket names have no `/` to cross)")]
    DoubleStar(String),
}

/// A bucket in a scope: an exact name, or a glob where `*` matches any run of characters within
/// a bucket name (`team-*`, `*-logs`), or `*` alone: every bucket.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BucketPattern(String);

impl BucketPattern {
    /// Validates a pattern. An exact pattern must be a valid bucket name.
    pub fn new(pattern: &str) -> Result<Self, PatternError> {
        if pattern.is_empty() {
            return Err(PatternError::Empty);
        }
        if !pattern.contains('*') {
            return check_bucket_name(pattern)
                .map(|()| Self(pattern.to_owned()))
                .map_err(|reason| PatternError::InvalidName {
                    pattern: pattern.to_owned(),
                    reason,
                });
        }
        if pattern.len() > 63 || !pattern.bytes().all(|b| b == b'*' || is_bucket_char(b)) {
            return Err(PatternError::Character(pattern.to_owned()));
        }
        if pattern.contains("**") {
            return Err(PatternError::DoubleStar(pattern.to_owned()));
        }
        Ok(Self(pattern.to_owned()))
    }

    /// `*`: every bucket.
    pub fn any() -> Self {
        Self("*".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the pattern has no wildcard.
    pub fn is_exact(&self) -> bool {
        !self.0.contains('*')
    }

    pub fn matches(&self, bucket: &str) -> bool {
        glob_match(&self.0, bucket)
    }
}

impl fmt::Debug for BucketPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BucketPattern({:?})", self.0)
    }
}

impl fmt::Display for BucketPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for BucketPattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, PatternError> {
        Self::new(s)
    }
}

impl Serialize for BucketPattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BucketPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::new(&raw).map_err(serde::de::Error::custom)
    }
}

/// Whether a granted prefix covers `key` (boundary-safe; see the module doc).
pub fn key_in_prefix(granted: &str, key: &str) -> bool {
    if granted.is_empty() || granted.ends_with('/') {
        return key.starts_with(granted);
    }
    match key.strip_prefix(granted) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Whether a granted prefix covers every key a listing with `prefix=list_prefix` can return.
pub fn listing_in_prefix(granted: &str, list_prefix: &str) -> bool {
    if granted.is_empty() || granted.ends_with('/') {
        return list_prefix.starts_with(granted);
    }
    list_prefix
        .strip_prefix(granted)
        .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.logs", "a1b", &"a".repeat(63)] {
            assert_eq!(check_bucket_name(ok), Ok(()), "{ok}");
        }
        let cases = [
            ("ab", BucketNameError::Length),
            ("Abc", BucketNameError::Character),
            ("a_b", BucketNameError::Character),
            ("-ab", BucketNameError::Edge),
            ("ab.", BucketNameError::Edge),
            ("a..b", BucketNameError::AdjacentPeriods),
            ("192.168.5.4", BucketNameError::IpAddress),
            ("xn--abc", BucketNameError::Reserved("xn--")),
            ("abc-s3alias", BucketNameError::Reserved("-s3alias")),
        ];
        for (name, err) in cases {
            assert_eq!(check_bucket_name(name), Err(err), "{name}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("team-*", "team-a"));
        assert!(glob_match("team-*", "team-"));
        assert!(!glob_match("team-*", "team"));
        assert!(glob_match("*-logs", "web-logs"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("repo:org/*", "repo:org/x:ref:main"));
        assert!(!glob_match("data", "data2"));
    }

    #[test]
    fn patterns() {
        assert!(BucketPattern::new("*").is_ok_and(|p| p.matches("x-y") && !p.is_exact()));
        assert!(BucketPattern::new("data").is_ok_and(|p| p.is_exact() && !p.matches("data2")));
        assert!(matches!(
            BucketPattern::new("Data"),
            Err(PatternError::InvalidName { .. })
        ));
        assert!(matches!(
            BucketPattern::new("a/*"),
            Err(PatternError::Character(_))
        ));
        assert!(matches!(
            BucketPattern::new("a**"),
            Err(PatternError::DoubleStar(_))
        ));
        assert_eq!(BucketPattern::new(""), Err(PatternError::Empty));
    }

    #[test]
    fn prefix_boundaries() {
        assert!(key_in_prefix("data", "data"));
        assert!(key_in_prefix("data", "data/x"));
        assert!(!key_in_prefix("data", "data-private/x"));
        assert!(!key_in_prefix("data", "dat"));
        assert!(key_in_prefix("data/", "data/x"));
        assert!(!key_in_prefix("data/", "data"));
        assert!(key_in_prefix("", "anything"));
        assert!(!key_in_prefix("da-", "da-x"));

        assert!(listing_in_prefix("data/", "data/"));
        assert!(listing_in_prefix("data/", "data/sub"));
        assert!(!listing_in_prefix("data/", ""));
        assert!(!listing_in_prefix("data/", "data"));
        assert!(listing_in_prefix("data", "data/"));
        assert!(!listing_in_prefix("data", "data"));
        assert!(!listing_in_prefix("data", "data-"));
        assert!(listing_in_prefix("", ""));
    }
}
