//! `{claim}` templates in role scopes (`bucket = "ci-{repository_owner}"`, `prefixes =
//! ["{sub}/"]`): parsing, validation at load time, and expansion against a token's claims.
//!
//! `{` and `}` always delimit a claim name (`[A-Za-z0-9_.:-]+`); there is no escape. Expansion
//! is one pass over the *template*: a substituted value is copied literally and never scanned
//! again, so a value that looks like `{other}` (or like its own placeholder) stays that text.
//! It fails closed: an unknown, empty or non-string claim is an error (the caller drops the
//! scope; it never widens to the whole bucket). A claim value is one literal path piece: in a
//! bucket it must be made of bucket-name characters (no `*` can reach a bucket pattern), in a
//! prefix it must not contain `/`, `*`, `..` or control characters (it cannot climb out of, or
//! reach across, the prefix the template fixes).

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
    #[error(
        "the claim `{0}` has characters not allowed in a prefix piece ('/', '*', '..', controls)"
    )]
    ClaimNotPathSafe(String),
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
                let path_unsafe = value.contains(['/', '*', '\\'])
                    || value.contains("..")
                    || value.chars().any(char::is_control);
                if !bucket_safe && path_unsafe {
                    return Err(TemplateError::ClaimNotPathSafe(name.to_owned()));
                }
                // Copied as is: the value is never parsed as a template.
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
                "sub" => Some("repo:org-x".to_owned()),
                _ => None,
            }
        };
        let scope = t.expand(&claims("org"));
        assert!(
            scope.is_ok_and(|s| s.bucket.as_str() == "ci-org" && s.prefixes == ["repo:org-x/"])
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
            ..t.clone()
        };
        assert!(matches!(
            bad.validate_bucket(),
            Err(TemplateError::Pattern(_))
        ));
    }

    fn claims<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn prefix_template(prefix: &str) -> ScopeTemplate {
        ScopeTemplate {
            bucket: "data".into(),
            prefixes: vec![prefix.into()],
            actions: ActionSet::read(),
        }
    }

    #[test]
    fn a_missing_claim_in_a_prefix_fails_instead_of_widening() {
        let t = prefix_template("home/{user}/");
        assert_eq!(
            t.expand(&claims(&[])),
            Err(TemplateError::MissingClaim("user".into()))
        );
        assert_eq!(
            t.expand(&claims(&[("user", "")])),
            Err(TemplateError::MissingClaim("user".into()))
        );
        // A prefix made of the claim alone can never become "" (the whole bucket).
        let alone = prefix_template("{user}");
        assert!(alone.expand(&claims(&[("user", "")])).is_err());
    }

    #[test]
    fn a_value_that_looks_like_a_placeholder_is_never_expanded() {
        let t = prefix_template("{a}/{b}/");
        let scope = t
            .expand(&claims(&[("a", "{b}"), ("b", "bee")]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scope.prefixes, ["{b}/bee/"]);
        // A value equal to its own placeholder terminates and stays literal.
        let own = prefix_template("{name}/");
        let scope = own
            .expand(&claims(&[("name", "{name}")]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scope.prefixes, ["{name}/"]);
        // In a bucket, braces are not bucket characters: refused, not expanded.
        let bucket = ScopeTemplate {
            bucket: "ci-{a}".into(),
            ..prefix_template("x/")
        };
        assert_eq!(
            bucket.expand(&claims(&[("a", "{b}"), ("b", "bee")])),
            Err(TemplateError::ClaimNotBucketSafe("a".into()))
        );
    }

    #[test]
    fn claim_values_are_one_literal_piece() {
        let t = prefix_template("home/{user}/");
        for bad in ["a/b", "..", "a..b", "*", "a*", "x\\y", "a\nb"] {
            assert_eq!(
                t.expand(&claims(&[("user", bad)])),
                Err(TemplateError::ClaimNotPathSafe("user".into())),
                "{bad:?}"
            );
        }
        for ok in ["alice", "repo:org-x", "a.b", "{x}", "ü"] {
            assert!(t.expand(&claims(&[("user", ok)])).is_ok(), "{ok:?}");
        }
    }
}
