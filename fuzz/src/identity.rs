//! `identity_claims`: the trust policy of a role (`claims::check`: issuer, audience, expiry,
//! the `subject` and `conditions` globs) and the `{claim}` scope templates, over arbitrary
//! token claims and role settings (the input is one JSON [`Case`]).
//!
//! - `check` never panics, and what it accepts meets the role: the issuer is trusted and named
//!   in the token, the audience is one of the role's, the subject and every condition match
//!   their globs, the token has not expired;
//! - `glob_match` agrees with a plain backtracking matcher;
//! - an expanded template adds no `/`, `*`, `\`, `..` or control character beyond its literal
//!   text: a claim value cannot climb out of, or reach across, the prefix the template fixes.

use serde::Deserialize;

use multistore_core::authz::pattern::glob_match;
use multistore_core::config::template::{Segment, parse};
use multistore_core::config::{RoleConfig, ScopeTemplate};
use multistore_core::identity::claims::{check, string_claim};
use multistore_core::identity::jwt::Claims;

/// One case, as JSON: a token's claims, a role (as configured, with its scope templates),
/// the issuer whose key verified the token, and the time.
///
/// ```json
/// {"claims": {"iss": "https://idp", "aud": "sts", "sub": "repo:o/r", "exp": 1700000600},
///  "role": {"name": "ci", "trusted_issuers": ["https://idp"], "audiences": ["sts"],
///           "subject": "repo:o/*", "scopes": [{"bucket": "ci-{sub}", "prefixes": ["{sub}/"],
///           "actions": ["read"]}]},
///  "issuer": "https://idp", "now": 1700000000}
/// ```
#[derive(Debug, Deserialize)]
struct Case {
    claims: Claims,
    role: RoleConfig,
    issuer: String,
    now: i64,
}

/// Runs the target on a JSON [`Case`].
pub fn run(data: &[u8]) {
    let Ok(case) = serde_json::from_slice::<Case>(data) else {
        return;
    };
    trust_policy(&case.claims, &case.role, &case.issuer, case.now);
    if let Some(pattern) = &case.role.subject {
        let subject = string_claim(&case.claims, "sub").unwrap_or_default();
        assert_eq!(
            glob_match(pattern, &subject),
            reference_glob(pattern.as_bytes(), subject.as_bytes()),
            "glob_match({pattern:?}, {subject:?})"
        );
    }
    for template in &case.role.scopes {
        expand(&case.claims, template);
    }
}

fn trust_policy(claims: &Claims, role: &RoleConfig, issuer: &str, now: i64) {
    let Ok(checked) = check(claims, role, issuer, now) else {
        return;
    };
    assert!(role.trusted_issuers.iter().any(|i| i == issuer));
    assert_eq!(string_claim(claims, "iss").as_deref(), Some(issuer));
    assert!(role.audiences.contains(&checked.audience));
    assert!(checked.expires_at.saturating_add(60) > now);
    assert_eq!(string_claim(claims, "sub").as_ref(), Some(&checked.subject));
    if let Some(pattern) = &role.subject {
        assert!(reference_glob(
            pattern.as_bytes(),
            checked.subject.as_bytes()
        ));
    }
    for (name, pattern) in &role.conditions {
        let value = string_claim(claims, name).expect("a condition's claim is a string");
        assert!(reference_glob(pattern.as_bytes(), value.as_bytes()));
    }
}

fn expand(claims: &Claims, template: &ScopeTemplate) {
    let _ = template.validate_bucket();
    let Ok(scope) = template.expand(&|name| string_claim(claims, name)) else {
        return;
    };
    for (expanded, template) in scope.prefixes.iter().zip(&template.prefixes) {
        let literal: String = parse(template)
            .expect("an expanded template parses")
            .into_iter()
            .filter_map(|s| match s {
                Segment::Literal(text) => Some(text),
                Segment::Claim(_) => None,
            })
            .collect();
        for c in ['/', '*', '\\'] {
            assert_eq!(
                expanded.matches(c).count(),
                literal.matches(c).count(),
                "a claim added {c:?} to {template:?}: {expanded:?}"
            );
        }
        let controls = |s: &str| s.chars().filter(|c| c.is_control()).count();
        assert_eq!(controls(expanded), controls(&literal));
        if let Some(Segment::Literal(head)) = parse(template).ok().and_then(|s| s.first().cloned())
        {
            assert!(expanded.starts_with(head));
        }
    }
}

/// `*` matches any run of bytes, everything else itself: the textbook dynamic program
/// (`ok[j]`: the pattern so far matches `text[..j]`), quadratic but obviously right.
fn reference_glob(pattern: &[u8], text: &[u8]) -> bool {
    let mut ok = vec![false; text.len() + 1];
    ok[0] = true;
    for &p in pattern {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            next[j] = if p == b'*' {
                ok[j] || (j > 0 && next[j - 1])
            } else {
                j > 0 && ok[j - 1] && text[j - 1] == p
            };
        }
        ok = next;
    }
    ok[text.len()]
}
