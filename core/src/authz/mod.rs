//! Authorization: who may do what. Deny by default.
//!
//! - [`action`]: the [`Action`]s, their groups and the action table;
//! - [`actions`]: the one table from a parsed request to the [`Check`]s it needs;
//! - [`copy_source`]: the `x-amz-copy-source` parser;
//! - [`pattern`]: bucket names, bucket patterns and the boundary-safe prefix rules;
//! - [`scope`]: a principal's grants and how they meet a check;
//! - [`authorize`]: the decision.
//!
//! The rules are written up in docs/security.md.

pub mod action;
pub mod actions;
pub mod copy_source;
pub mod pattern;
pub mod scope;

pub use action::{Action, ActionSet, Class};
pub use actions::{Access, Check, Target, delete_objects_checks, required_access};
pub use copy_source::{CopySource, CopySourceError};
pub use pattern::{BucketNameError, BucketPattern, PatternError, check_bucket_name};
pub use scope::Scope;

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// An unsigned request.
    Anonymous,
    /// An authenticated caller.
    Principal(Principal),
}

/// An authenticated caller and its grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub access_key_id: String,
    pub scopes: Vec<Scope>,
}

/// Why a check was refused. Answer `AccessDenied` either way; the detail is for logs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("anonymous request denied: {} on bucket `{}`", .0.action, .0.bucket)]
    Anonymous(Check),
    #[error("no scope grants {} on bucket `{}` ({:?})", .0.action, .0.bucket, .0.target)]
    NotGranted(Check),
}

/// Decides one check. `bucket_allows_anonymous` is the `anonymous_read` setting of
/// `check.bucket` (pass `false` for [`Target::Service`]).
///
/// On a bucket with `anonymous_read`, everyone, signed or not, gets the actions of
/// [`ActionSet::anonymous`] (`get_object`, `head_object`, `get_object_attributes`, `list_bucket`,
/// `head_bucket`, `get_bucket_location`): a signature never gives less than no signature.
/// Everything else needs a principal with a scope that grants it.
pub fn authorize(
    identity: &Identity,
    bucket_allows_anonymous: bool,
    check: &Check,
) -> Result<(), Denied> {
    let public = bucket_allows_anonymous
        && check.target != Target::Service
        && ActionSet::anonymous().contains(check.action);
    if public {
        return Ok(());
    }
    match identity {
        Identity::Anonymous => Err(Denied::Anonymous(check.clone())),
        Identity::Principal(principal) => {
            if principal.scopes.iter().any(|scope| scope.grants(check)) {
                Ok(())
            } else {
                Err(Denied::NotGranted(check.clone()))
            }
        }
    }
}

/// Decides every check of `access`; the first refusal wins.
pub fn authorize_all(
    identity: &Identity,
    bucket_allows_anonymous: impl Fn(&str) -> bool,
    access: &Access,
) -> Result<(), Denied> {
    access.checks.iter().try_for_each(|check| {
        let public = check.target != Target::Service && bucket_allows_anonymous(&check.bucket);
        authorize(identity, public, check)
    })
}
