//! The authorization vocabulary: one [`Action`] per permission the served operations need, the
//! groups `read`, `write` and `all`, and [`ActionSet`], the set a scope grants.
//!
//! Every fact about an action (its config name, its class, whether anonymous readers get it,
//! which other action also grants it) lives in the one table [`TABLE`].

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A permission. Names in configuration are the snake_case forms (`get_object`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    ListAllMyBuckets,
    HeadBucket,
    GetBucketLocation,
    CreateBucket,
    DeleteBucket,
    ListBucket,
    ListBucketVersions,
    GetObject,
    GetObjectVersion,
    HeadObject,
    GetObjectAttributes,
    PutObject,
    DeleteObject,
    DeleteObjectVersion,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListMultipartUploadParts,
    ListBucketMultipartUploads,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
    GetBucketCors,
    PutBucketCors,
    DeleteBucketCors,
}

/// Which group an action belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// In `read` (and `all`): reads data or metadata, changes nothing.
    Read,
    /// In `write` (and `all`): creates, changes or deletes objects and uploads.
    Write,
    /// Only in `all`: creates or deletes buckets or changes a bucket's configuration.
    BucketAdmin,
}

/// One row of the action table.
#[derive(Clone, Copy, Debug)]
pub struct ActionInfo {
    pub action: Action,
    /// The name used in configuration.
    pub name: &'static str,
    pub class: Class,
    /// Granted to everyone (signed or not) on a bucket with `anonymous_read = true`.
    pub anonymous: bool,
    /// Another action whose grant also grants this one (`get_object` grants `head_object`).
    pub also_granted_by: Option<Action>,
}

const fn row(
    action: Action,
    name: &'static str,
    class: Class,
    anonymous: bool,
    also_granted_by: Option<Action>,
) -> ActionInfo {
    ActionInfo {
        action,
        name,
        class,
        anonymous,
        also_granted_by,
    }
}

use Action as A;
use Class::{BucketAdmin, Read, Write};

/// The action table, in declaration order of [`Action`] (a test checks the order).
pub const TABLE: [ActionInfo; 26] = [
    row(
        A::ListAllMyBuckets,
        "list_all_my_buckets",
        Read,
        false,
        None,
    ),
    row(A::HeadBucket, "head_bucket", Read, true, None),
    row(
        A::GetBucketLocation,
        "get_bucket_location",
        Read,
        true,
        None,
    ),
    row(A::CreateBucket, "create_bucket", BucketAdmin, false, None),
    row(A::DeleteBucket, "delete_bucket", BucketAdmin, false, None),
    row(A::ListBucket, "list_bucket", Read, true, None),
    row(
        A::ListBucketVersions,
        "list_bucket_versions",
        Read,
        false,
        None,
    ),
    row(A::GetObject, "get_object", Read, true, None),
    row(A::GetObjectVersion, "get_object_version", Read, false, None),
    row(A::HeadObject, "head_object", Read, true, Some(A::GetObject)),
    row(
        A::GetObjectAttributes,
        "get_object_attributes",
        Read,
        true,
        None,
    ),
    row(A::PutObject, "put_object", Write, false, None),
    row(A::DeleteObject, "delete_object", Write, false, None),
    row(
        A::DeleteObjectVersion,
        "delete_object_version",
        Write,
        false,
        None,
    ),
    row(
        A::CreateMultipartUpload,
        "create_multipart_upload",
        Write,
        false,
        None,
    ),
    row(A::UploadPart, "upload_part", Write, false, None),
    row(
        A::CompleteMultipartUpload,
        "complete_multipart_upload",
        Write,
        false,
        None,
    ),
    row(
        A::AbortMultipartUpload,
        "abort_multipart_upload",
        Write,
        false,
        None,
    ),
    row(
        A::ListMultipartUploadParts,
        "list_multipart_upload_parts",
        Read,
        false,
        None,
    ),
    row(
        A::ListBucketMultipartUploads,
        "list_bucket_multipart_uploads",
        Read,
        false,
        None,
    ),
    row(A::GetObjectTagging, "get_object_tagging", Read, false, None),
    row(
        A::PutObjectTagging,
        "put_object_tagging",
        Write,
        false,
        None,
    ),
    row(
        A::DeleteObjectTagging,
        "delete_object_tagging",
        Write,
        false,
        None,
    ),
    row(A::GetBucketCors, "get_bucket_cors", Read, false, None),
    row(
        A::PutBucketCors,
        "put_bucket_cors",
        BucketAdmin,
        false,
        None,
    ),
    row(
        A::DeleteBucketCors,
        "delete_bucket_cors",
        BucketAdmin,
        false,
        None,
    ),
];

/// The group names accepted wherever action names are.
pub const GROUPS: [&str; 3] = ["read", "write", "all"];

impl Action {
    /// Every action, in table order.
    pub const ALL: [Action; 26] = {
        let mut all = [Action::ListAllMyBuckets; 26];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].action;
            i += 1;
        }
        all
    };

    /// This action's row in [`TABLE`].
    pub fn info(self) -> &'static ActionInfo {
        &TABLE[self as usize]
    }

    /// The configuration name (`get_object`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The action with this configuration name (groups are not actions).
    pub fn from_name(name: &str) -> Option<Action> {
        TABLE
            .iter()
            .find(|row| row.name == name)
            .map(|row| row.action)
    }

    pub fn class(self) -> Class {
        self.info().class
    }

    /// True for the actions everyone gets on a bucket with `anonymous_read = true`.
    pub fn anonymous(self) -> bool {
        self.info().anonymous
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Action::from_name(&name).ok_or_else(|| {
            de::Error::custom(format_args!(
                "unknown action `{name}` (see docs/security.md)"
            ))
        })
    }
}

/// A set of actions, as granted by a scope. Configured as a list of action and group names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ActionSet(u32);

impl ActionSet {
    pub const fn empty() -> Self {
        ActionSet(0)
    }

    /// The group `all`.
    pub fn all() -> Self {
        Self::of_class(|_| true)
    }

    /// The group `read`.
    pub fn read() -> Self {
        Self::of_class(|c| c == Read)
    }

    /// The group `write`.
    pub fn write() -> Self {
        Self::of_class(|c| c == Write)
    }

    /// What everyone gets on a bucket with `anonymous_read = true`.
    pub fn anonymous() -> Self {
        Self(
            TABLE
                .iter()
                .filter(|r| r.anonymous)
                .fold(0, |acc, r| acc | r.action.bit()),
        )
    }

    /// The group with this name (`read`, `write`, `all`).
    pub fn group(name: &str) -> Option<Self> {
        match name {
            "read" => Some(Self::read()),
            "write" => Some(Self::write()),
            "all" => Some(Self::all()),
            _ => None,
        }
    }

    /// The set named by an action or group name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::group(name).or_else(|| Action::from_name(name).map(Self::from))
    }

    fn of_class(keep: impl Fn(Class) -> bool) -> Self {
        Self(
            TABLE
                .iter()
                .filter(|r| keep(r.class))
                .fold(0, |acc, r| acc | r.action.bit()),
        )
    }

    pub fn insert(&mut self, action: Action) {
        self.0 |= action.bit();
    }

    pub fn union(self, other: ActionSet) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether `action` itself is in the set (no implication).
    pub fn contains(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    /// Whether the set grants `action`: it contains it, or the action that also grants it.
    pub fn allows(self, action: Action) -> bool {
        self.contains(action)
            || action
                .info()
                .also_granted_by
                .is_some_and(|other| self.contains(other))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The actions in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl From<Action> for ActionSet {
    fn from(action: Action) -> Self {
        Self(action.bit())
    }
}

impl FromIterator<Action> for ActionSet {
    fn from_iter<I: IntoIterator<Item = Action>>(iter: I) -> Self {
        let mut set = Self::empty();
        for action in iter {
            set.insert(action);
        }
        set
    }
}

impl fmt::Debug for ActionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Action::name))
            .finish()
    }
}

impl Serialize for ActionSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if *self == Self::all() {
            return serializer.collect_seq(["all"]);
        }
        serializer.collect_seq(self.iter().map(Action::name))
    }
}

impl<'de> Deserialize<'de> for ActionSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ActionSetVisitor)
    }
}

struct ActionSetVisitor;

impl<'de> Visitor<'de> for ActionSetVisitor {
    type Value = ActionSet;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of action names or the groups \"read\", \"write\", \"all\"")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<ActionSet, S::Error> {
        let mut set = ActionSet::empty();
        while let Some(name) = seq.next_element::<String>()? {
            let named = ActionSet::from_name(&name).ok_or_else(|| {
                de::Error::custom(format_args!(
                    "unknown action `{name}`: expected an action name or one of \"read\", \"write\", \"all\""
                ))
            })?;
            set = set.union(named);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order_with_unique_names() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.action as usize, i, "{}", row.name);
            assert_eq!(Action::from_name(row.name), Some(row.action));
            assert!(!GROUPS.contains(&row.name));
        }
    }

    #[test]
    fn groups_partition_all() {
        assert_eq!(ActionSet::read().union(ActionSet::write()), {
            let admin: ActionSet = Action::ALL
                .into_iter()
                .filter(|a| a.class() != BucketAdmin)
                .collect();
            admin
        });
        assert!(!ActionSet::write().contains(Action::DeleteBucket));
        assert!(ActionSet::all().contains(Action::DeleteBucket));
        assert_eq!(ActionSet::all().iter().count(), 26);
    }

    #[test]
    fn get_object_grants_head_object_but_not_the_reverse() {
        let get = ActionSet::from(Action::GetObject);
        assert!(get.allows(Action::HeadObject));
        assert!(!ActionSet::from(Action::HeadObject).allows(Action::GetObject));
    }

    #[test]
    fn anonymous_gets_reads_only() {
        for action in ActionSet::anonymous().iter() {
            assert_eq!(action.class(), Read, "{action}");
        }
    }
}
