//! The claim checks of a verified web identity token against a role, at the request's time
//! (the runtime's clock, never jsonwebtoken's):
//!
//! - `exp` is required; it, `nbf` and `iat` are NumericDates checked with 60 s of leeway;
//! - `iss` must equal the issuer the key came from (one of the role's, exactly);
//! - `aud` (a string or a list) must name one of the role's audiences;
//! - `sub` is required and must match the role's `subject` glob; every `conditions` entry
//!   needs a string claim matching its glob (a missing or non-string claim fails).

use serde_json::Value;

use crate::authz::pattern::glob_match;
use crate::config::RoleConfig;

use super::jwt::Claims;

/// Clock leeway for `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: i64 = 60;

/// What the checks found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub subject: String,
    /// The audience that matched.
    pub audience: String,
    /// `exp`, unix seconds.
    pub expires_at: i64,
}

/// Why the claims are refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("the token has no `exp` claim")]
    MissingExpiry,
    #[error("the claim `{0}` is not a NumericDate")]
    BadDate(&'static str),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token was issued in the future (iat)")]
    IssuedInFuture,
    #[error("the token's issuer does not match")]
    Issuer,
    #[error("incorrect token audience")]
    Audience,
    #[error("the token has no `sub` claim")]
    NoSubject,
    #[error("the token's subject is not allowed to assume this role")]
    Subject,
    #[error("the claim `{0}` does not meet the role's condition")]
    Condition(String),
}

/// A NumericDate claim as whole seconds, if present.
fn date(claims: &Claims, name: &'static str) -> Result<Option<i64>, ClaimError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            let secs = n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite())
                        .map(|f| f.floor() as i64)
                })
                .ok_or(ClaimError::BadDate(name))?;
            Ok(Some(secs))
        }
        Some(_) => Err(ClaimError::BadDate(name)),
    }
}

/// A claim's value when it is a string (templates and conditions use nothing else).
pub fn string_claim(claims: &Claims, name: &str) -> Option<String> {
    match claims.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Checks the claims of a verified token for `role` at `now` (unix seconds).
pub fn check(
    claims: &Claims,
    role: &RoleConfig,
    issuer: &str,
    now: i64,
) -> Result<Checked, ClaimError> {
    let expires_at = date(claims, "exp")?.ok_or(ClaimError::MissingExpiry)?;
    if expires_at.saturating_add(LEEWAY_SECS) <= now {
        return Err(ClaimError::Expired);
    }
    if date(claims, "nbf")?.is_some_and(|nbf| nbf.saturating_sub(LEEWAY_SECS) > now) {
        return Err(ClaimError::NotYetValid);
    }
    if date(claims, "iat")?.is_some_and(|iat| iat.saturating_sub(LEEWAY_SECS) > now) {
        return Err(ClaimError::IssuedInFuture);
    }
    if string_claim(claims, "iss").as_deref() != Some(issuer)
        || !role.trusted_issuers.iter().any(|i| i == issuer)
    {
        return Err(ClaimError::Issuer);
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let audience = audiences
        .into_iter()
        .find(|a| role.audiences.iter().any(|r| r == a))
        .ok_or(ClaimError::Audience)?
        .to_owned();
    let subject = string_claim(claims, "sub")
        .filter(|s| !s.is_empty())
        .ok_or(ClaimError::NoSubject)?;
    if let Some(pattern) = &role.subject
        && !glob_match(pattern, &subject)
    {
        return Err(ClaimError::Subject);
    }
    for (name, pattern) in &role.conditions {
        match string_claim(claims, name) {
            Some(value) if glob_match(pattern, &value) => {}
            _ => return Err(ClaimError::Condition(name.clone())),
        }
    }
    Ok(Checked {
        subject,
        audience,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn role() -> RoleConfig {
        RoleConfig {
            name: "ci".into(),
            trusted_issuers: vec!["https://idp".into()],
            audiences: vec!["sts".into(), "other".into()],
            subject: Some("repo:org/*".into()),
            conditions: [("env".to_owned(), "prod*".to_owned())].into(),
            max_session_duration_secs: 3600,
            scopes: vec![],
        }
    }

    fn claims(extra: Value) -> Claims {
        let mut base = json!({
            "iss": "https://idp", "aud": "sts", "sub": "repo:org/app",
            "exp": 2000, "iat": 1000, "nbf": 1000, "env": "production"
        });
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                if v.is_null() {
                    b.remove(k);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        base.as_object().cloned().unwrap_or_default()
    }

    fn at(extra: Value, now: i64) -> Result<Checked, ClaimError> {
        check(&claims(extra), &role(), "https://idp", now)
    }

    #[test]
    fn times_with_leeway() {
        assert!(at(json!({}), 1500).is_ok());
        assert_eq!(
            at(json!({"exp": null}), 1500),
            Err(ClaimError::MissingExpiry)
        );
        assert_eq!(
            at(json!({"exp": "2000"}), 1500),
            Err(ClaimError::BadDate("exp"))
        );
        assert!(at(json!({}), 2059).is_ok());
        assert_eq!(at(json!({}), 2060), Err(ClaimError::Expired));
        assert!(at(json!({"exp": 2000.5}), 1500).is_ok());
        assert!(at(json!({}), 941).is_ok());
        assert_eq!(at(json!({"iat": null}), 939), Err(ClaimError::NotYetValid));
        assert_eq!(
            at(json!({"nbf": null}), 939),
            Err(ClaimError::IssuedInFuture)
        );
    }

    #[test]
    fn audience_subject_conditions() {
        assert_eq!(
            at(json!({"aud": ["x", "other"]}), 1500).map(|c| c.audience),
            Ok("other".into())
        );
        assert_eq!(at(json!({"aud": "x"}), 1500), Err(ClaimError::Audience));
        assert_eq!(at(json!({"aud": null}), 1500), Err(ClaimError::Audience));
        assert_eq!(
            at(json!({"sub": "repo:evil/app"}), 1500),
            Err(ClaimError::Subject)
        );
        assert_eq!(at(json!({"sub": null}), 1500), Err(ClaimError::NoSubject));
        assert_eq!(
            at(json!({"env": "dev"}), 1500),
            Err(ClaimError::Condition("env".into()))
        );
        assert_eq!(
            at(json!({"env": 5}), 1500),
            Err(ClaimError::Condition("env".into()))
        );
        assert_eq!(
            at(json!({"env": null}), 1500),
            Err(ClaimError::Condition("env".into()))
        );
        assert_eq!(
            at(json!({"iss": "https://idp/"}), 1500),
            Err(ClaimError::Issuer)
        );
    }
}
