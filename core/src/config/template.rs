//! `{claim}` templates in role scopes (`bucket = "ci-{repository_owner}"`, `prefixes =
//! ["{sub}/"]`): parsing, validation at load time, and expansion against a token's claims.
//!
//! `{` and `}` always delimit a claim name (`[A-Za-z0-9_.:-]+`); there is no escape. Expansion
//! refuses an unknown or empty claim, and, in a bucket, a claim value that is not made of
//! bucket-name characters: a claim can never smuggle a `*` into a bucket pattern or empty out a
//! prefix.

use serde::{Deserialize, Serialize};

use crate::authz::{ActionSet, BucketPattern, PatternError, Scope};

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    Literal(&'a str),
    Claim(&'a str),
}

/// Why a template is malformed or cannot be expanded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unbalanced `{{` or `}}` in `{0}`")]
    Unbalanced(String),
    #[error("bad claim name `{{{0}}}`: use letters, digits, '_', '.', ':', '-'")]
    BadClaimName(String),
    #[error("the token has no claim `{0}` (or it is empty)")]
    MissingClaim(String),
    #[error("the claim `{0}` has characters not allowed in a bucket name")]
    ClaimNotBucketSafe(String),
    #[error("the expanded bucket is invalid: {0}")]
    Pattern(PatternError),
}

fn is_claim_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

/// Splits a template into literals and claims.
pub fn parse(template: &str) -> Result<Vec<Segment<'_>>, TemplateError> {
    let unbalanced = || TemplateError::Unbalanced(template.to_owned());
    let mut segments = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                segments.push(Segment::Literal(rest));
                break;
            }
            Some(at) if rest[at..].starts_with('}') => return Err(unbalanced()),
            Some(at) => {
                if at > 0 {
                    segments.push(Segment::Literal(&rest[..at]));
                }
                let after = &rest[at + 1..];
                let close = after.find('}').ok_or_else(unbalanced)?;
                let name = &after[..close];
                if name.contains('{') {
                    return Err(unbalanced());
                }
                if name.is_empty() || !name.chars().all(is_claim_char) {
                    return Err(TemplateError::BadClaimName(name.to_owned()));
                }
                segments.push(Segment::Claim(name));
                rest = &after[close + 1..];
            }
        }
    }
    Ok(segments)
}

/// Expands a template; `bucket_safe` restricts claim values to bucket-name characters.
fn expand(
    template: &str,
    claims: &dyn Fn(&str) -> Option<String>,
    bucket_safe: bool,
) -> Result<String, TemplateError> {
    let mut out = String::new();
    for segment in parse(template)? {
        match segment {
            Segment::Literal(text) => out.push_str(text),
            Segment::Claim(name) => {
                let value = claims(name)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| TemplateError::MissingClaim(name.to_owned()))?;
                let safe =
                    |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b);
                if bucket_safe && !value.bytes().all(safe) {
                    return Err(TemplateError::ClaimNotBucketSafe(name.to_owned()));
                }
                out.push_str(&value);
            }
        }
    }
    Ok(out)
}

/// A role's scope: like [`Scope`], but `bucket` and `prefixes` may hold `{claim}` templates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeTemplate {
    pub bucket: String,
    #[serde(default = "crate::authz::scope::whole_bucket")]
    pub prefixes: Vec<String>,
    pub actions: ActionSet,
}

impl ScopeTemplate {
    /// Checks the template syntax, and that `bucket` is a valid pattern once claims are
    /// replaced by a bucket-safe placeholder.
    pub fn validate_bucket(&self) -> Result<(), TemplateError> {
        let probe = expand(&self.bucket, &|_| Some("x".to_owned()), true)?;
        BucketPattern::new(&probe)
            .map(drop)
            .map_err(TemplateError::Pattern)
    }

    /// The concrete scope for a token with these claims.
    pub fn expand(&self, claims: &dyn Fn(&str) -> Option<String>) -> Result<Scope, TemplateError> {
        let bucket = expand(&self.bucket, claims, true)?;
        let bucket = BucketPattern::new(&bucket).map_err(TemplateError::Pattern)?;
        let prefixes = self
            .prefixes
            .iter()
            .map(|p| expand(p, claims, false))
            .collect::<Result<_, _>>()?;
        Ok(Scope {
            bucket,
            prefixes,
            actions: self.actions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            parse("ci-{repository_owner}/x"),
            Ok(vec![
                Segment::Literal("ci-"),
                Segment::Claim("repository_owner"),
                Segment::Literal("/x")
            ])
        );
        assert_eq!(parse(""), Ok(vec![]));
        assert!(matches!(parse("a{b"), Err(TemplateError::Unbalanced(_))));
        assert!(matches!(parse("a}b"), Err(TemplateError::Unbalanced(_))));
        assert!(matches!(parse("{a{b}}"), Err(TemplateError::Unbalanced(_))));
        assert!(matches!(parse("{}"), Err(TemplateError::BadClaimName(_))));
        assert!(matches!(
            parse("{a b}"),
            Err(TemplateError::BadClaimName(_))
        ));
    }

    #[test]
    fn expansion_is_safe() {
        let t = ScopeTemplate {
            bucket: "ci-{owner}".into(),
            prefixes: vec!["{sub}/".into()],
            actions: ActionSet::read(),
        };
        assert_eq!(t.validate_bucket(), Ok(()));
        let claims = |owner: &'static str| {
            move |name: &str| match name {
                "owner" => Some(owner.to_owned()),
                "sub" => Some("repo:org/x".to_owned()),
                _ => None,
            }
        };
        let scope = t.expand(&claims("org"));
        assert!(
            scope.is_ok_and(|s| s.bucket.as_str() == "ci-org" && s.prefixes == ["repo:org/x/"])
        );
        assert_eq!(
            t.expand(&claims("*")),
            Err(TemplateError::ClaimNotBucketSafe("owner".into()))
        );
        assert_eq!(
            t.expand(&claims("")),
            Err(TemplateError::MissingClaim("owner".into()))
        );
        let bad = ScopeTemplate {
            bucket: "CI-{owner}".into(),
            ..t
        };
        assert!(matches!(
            bad.validate_bucket(),
            Err(TemplateError::Pattern(_))
        ));
    }
}
