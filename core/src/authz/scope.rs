//! [`Scope`]: one grant of a principal, a bucket pattern, key prefixes and actions, and how it
//! meets a [`Check`] (see the target rules in [`super::actions`]).

use serde::{Deserialize, Serialize};

use super::action::ActionSet;
use super::actions::{Check, Target};
use super::pattern::{BucketPattern, key_in_prefix, listing_in_prefix};

/// One grant: `actions` on the keys under any of `prefixes` in the buckets `bucket` matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub bucket: BucketPattern,
    /// Key prefixes; `[""]` (the default) is the whole bucket.
    #[serde(default = "whole_bucket")]
    pub prefixes: Vec<String>,
    pub actions: ActionSet,
}

/// The default of `prefixes`.
pub fn whole_bucket() -> Vec<String> {
    vec![String::new()]
}

impl Scope {
    /// A grant over the whole of the matched buckets.
    pub fn new(bucket: BucketPattern, actions: ActionSet) -> Self {
        Scope {
            bucket,
            prefixes: whole_bucket(),
            actions,
        }
    }

    /// Whether this scope grants `check`.
    pub fn grants(&self, check: &Check) -> bool {
        if !self.actions.allows(check.action) {
            return false;
        }
        if check.target == Target::Service {
            return true;
        }
        if !self.bucket.matches(&check.bucket) {
            return false;
        }
        match &check.target {
            Target::Service | Target::Bucket => true,
            Target::Key(key) => self.prefixes.iter().any(|g| key_in_prefix(g, key)),
            Target::Prefix(prefix) => self.prefixes.iter().any(|g| listing_in_prefix(g, prefix)),
        }
    }

    /// Whether this scope lets its holder use `bucket` at all (any action other than ListBuckets).
    pub fn touches_bucket(&self, bucket: &str) -> bool {
        self.bucket.matches(bucket)
            && self
                .actions
                .iter()
                .any(|a| a != super::action::Action::ListAllMyBuckets)
    }
}
