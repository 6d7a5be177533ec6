//! CORS rules with S3 `CORSRule` semantics: validation (the same for the config file and for a
//! PutBucketCors body) and matching of a request's origin, method and headers.
//!
//! - `allowed_origins`: at least one; `*`, or an origin with at most one `*` wildcard
//!   (`https://*.example.com`);
//! - `allowed_methods`: at least one of `GET PUT POST DELETE HEAD`;
//! - `allowed_headers`: header names, each with at most one `*`; matched case-insensitively;
//! - `expose_headers`: header names;
//! - `max_age_seconds`: 0 to 2147483647; `id`: at most 255 characters.

use serde::{Deserialize, Serialize};

use crate::authz::pattern::glob_match;
use crate::s3::CORSRule;

/// A method a CORS rule can allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CorsMethod {
    Get,
    Put,
    Post,
    Delete,
    Head,
}

impl CorsMethod {
    pub const ALL: [CorsMethod; 5] = [Self::Get, Self::Put, Self::Post, Self::Delete, Self::Head];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
        }
    }

    /// Exact, upper-case match, as S3 does.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// One CORS rule.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<CorsMethod>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<u32>,
}

/// Why a CORS rule is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CorsError {
    #[error("allowed_origins must name at least one origin")]
    NoOrigins,
    #[error("allowed_methods must name at least one method")]
    NoMethods,
    #[error("the origin `{0}` is empty, has whitespace, or has more than one `*`")]
    BadOrigin(String),
    #[error("`{0}` is not an allowed method; use GET, PUT, POST, DELETE or HEAD")]
    BadMethod(String),
    #[error("`{0}` is not a header name (at most one `*` in allowed_headers, none elsewhere)")]
    BadHeader(String),
    #[error("max_age_seconds must be 0 to 2147483647")]
    BadMaxAge,
    #[error("the rule id is longer than 255 characters")]
    LongId,
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check_header(name: &str, wildcard: bool) -> Result<(), CorsError> {
    let stars = name.bytes().filter(|&b| b == b'*').count();
    let ok = !name.is_empty() && name.bytes().all(is_token_char) && stars <= usize::from(wildcard);
    ok.then_some(())
        .ok_or_else(|| CorsError::BadHeader(name.to_owned()))
}

impl CorsRule {
    /// Checks the S3 rules for a CORS rule.
    pub fn validate(&self) -> Result<(), CorsError> {
        if self.allowed_origins.is_empty() {
            return Err(CorsError::NoOrigins);
        }
        if self.allowed_methods.is_empty() {
            return Err(CorsError::NoMethods);
        }
        for origin in &self.allowed_origins {
            let stars = origin.bytes().filter(|&b| b == b'*').count();
            let bad = origin.is_empty()
                || stars > 1
                || origin
                    .bytes()
                    .any(|b| b.is_ascii_whitespace() || b.is_ascii_control());
            if bad {
                return Err(CorsError::BadOrigin(origin.clone()));
            }
        }
        for header in &self.allowed_headers {
            check_header(header, true)?;
        }
        for header in &self.expose_headers {
            check_header(header, false)?;
        }
        if self
            .max_age_seconds
            .is_some_and(|s| i32::try_from(s).is_err())
        {
            return Err(CorsError::BadMaxAge);
        }
        if self.id.as_ref().is_some_and(|id| id.chars().count() > 255) {
            return Err(CorsError::LongId);
        }
        Ok(())
    }

    /// Whether the rule allows requests from `origin`.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| glob_match(o, origin))
    }

    /// Whether the rule allows `method` (upper case, as sent in `Access-Control-Request-Method`).
    pub fn allows_method(&self, method: &str) -> bool {
        CorsMethod::from_name(method).is_some_and(|m| self.allowed_methods.contains(&m))
    }

    /// Whether the rule allows every one of `headers` (compared case-insensitively).
    pub fn allows_headers<'a>(&self, headers: impl IntoIterator<Item = &'a str>) -> bool {
        headers.into_iter().all(|requested| {
            let requested = requested.trim().to_ascii_lowercase();
            self.allowed_headers
                .iter()
                .any(|allowed| glob_match(&allowed.to_ascii_lowercase(), &requested))
        })
    }

    /// Reads and validates a rule of a PutBucketCors body.
    pub fn from_s3(rule: &CORSRule) -> Result<Self, CorsError> {
        let allowed_methods = rule
            .allowed_methods
            .iter()
            .map(|m| CorsMethod::from_name(m).ok_or_else(|| CorsError::BadMethod(m.clone())))
            .collect::<Result<_, _>>()?;
        let max_age_seconds = rule
            .max_age_seconds
            .map(|s| u32::try_from(s).map_err(|_| CorsError::BadMaxAge))
            .transpose()?;
        let converted = CorsRule {
            id: rule.id.clone(),
            allowed_origins: rule.allowed_origins.clone(),
            allowed_methods,
            allowed_headers: rule.allowed_headers.clone(),
            expose_headers: rule.expose_headers.clone(),
            max_age_seconds,
        };
        converted.validate()?;
        Ok(converted)
    }

    /// The rule as an S3 `CORSRule` (for GetBucketCors).
    pub fn to_s3(&self) -> CORSRule {
        CORSRule {
            id: self.id.clone(),
            allowed_headers: self.allowed_headers.clone(),
            allowed_methods: self
                .allowed_methods
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            allowed_origins: self.allowed_origins.clone(),
            expose_headers: self.expose_headers.clone(),
            max_age_seconds: self.max_age_seconds.and_then(|s| i32::try_from(s).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> CorsRule {
        CorsRule {
            allowed_origins: vec!["https://*.example.com".into()],
            allowed_methods: vec![CorsMethod::Get, CorsMethod::Put],
            allowed_headers: vec!["x-amz-*".into(), "Content-Type".into()],
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(3000),
            ..CorsRule::default()
        }
    }

    #[test]
    fn valid_rule_matches() {
        let r = rule();
        assert_eq!(r.validate(), Ok(()));
        assert!(r.allows_origin("https://app.example.com"));
        assert!(!r.allows_origin("http://app.example.com"));
        assert!(r.allows_method("PUT") && !r.allows_method("DELETE") && !r.allows_method("get"));
        assert!(r.allows_headers(["X-Amz-Date", "content-type"]));
        assert!(!r.allows_headers(["authorization"]));
        assert_eq!(CorsRule::from_s3(&r.to_s3()), Ok(r));
    }

    #[test]
    fn invalid_rules() {
        let with = |f: fn(&mut CorsRule)| {
            let mut r = rule();
            f(&mut r);
            r.validate()
        };
        assert_eq!(
            with(|r| r.allowed_origins.clear()),
            Err(CorsError::NoOrigins)
        );
        assert_eq!(
            with(|r| r.allowed_methods.clear()),
            Err(CorsError::NoMethods)
        );
        assert!(matches!(
            with(|r| r.allowed_origins = vec!["https://*.*.com".into()]),
            Err(CorsError::BadOrigin(_))
        ));
        assert!(matches!(
            with(|r| r.allowed_headers = vec!["a*b*".into()]),
            Err(CorsError::BadHeader(_))
        ));
        assert!(matches!(
            with(|r| r.expose_headers = vec!["x-*".into()]),
            Err(CorsError::BadHeader(_))
        ));
        assert_eq!(
            with(|r| r.max_age_seconds = Some(u32::MAX)),
            Err(CorsError::BadMaxAge)
        );
        let s3 = CORSRule {
            allowed_methods: vec!["PATCH".into()],
            allowed_origins: vec!["*".into()],
            ..CORSRule::default()
        };
        assert_eq!(
            CorsRule::from_s3(&s3),
            Err(CorsError::BadMethod("PATCH".into()))
        );
    }
}
