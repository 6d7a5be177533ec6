//! The one table of what each request needs: [`required_access`] maps any parsed [`S3Request`] to
//! the [`Check`]s it must pass, and [`delete_objects_checks`] gives DeleteObjects' per-key checks.
//!
//! Targets (how a check meets a scope's prefixes; see docs/security.md):
//! - [`Target::Service`]: ListBuckets; any scope granting the action grants it.
//! - [`Target::Bucket`]: bucket metadata (HeadBucket, GetBucketLocation, GetBucketCors, the
//!   bucket-level check of DeleteObjects); any scope on the bucket granting the action, whatever
//!   its prefixes.
//! - [`Target::Key`]: one object; a granted prefix must cover the key.
//! - [`Target::Prefix`]: everything under a prefix: listings (the `prefix` parameter, `""` when
//!   absent) and whole-bucket changes (CreateBucket, DeleteBucket, PutBucketCors,
//!   DeleteBucketCors use `""`, so they need a whole-bucket grant).

use crate::s3::{Delete, S3Request};

use super::action::Action;
use super::copy_source::{CopySource, CopySourceError};

/// What a check is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The account: ListBuckets. The check's bucket is `""`.
    Service,
    /// The bucket itself, not its objects.
    Bucket,
    /// One object key.
    Key(String),
    /// Every key starting with this prefix.
    Prefix(String),
}

/// One permission a request needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Check {
    /// The client-visible bucket (`""` for [`Target::Service`]).
    pub bucket: String,
    pub target: Target,
    pub action: Action,
}

impl Check {
    pub fn service(action: Action) -> Self {
        Check {
            bucket: String::new(),
            target: Target::Service,
            action,
        }
    }

    pub fn bucket(bucket: &str, action: Action) -> Self {
        Check {
            bucket: bucket.to_owned(),
            target: Target::Bucket,
            action,
        }
    }

    pub fn key(bucket: &str, key: &str, action: Action) -> Self {
        Check {
            bucket: bucket.to_owned(),
            target: Target::Key(key.to_owned()),
            action,
        }
    }

    pub fn prefix(bucket: &str, prefix: Option<&str>, action: Action) -> Self {
        Check {
            bucket: bucket.to_owned(),
            target: Target::Prefix(prefix.unwrap_or_default().to_owned()),
            action,
        }
    }

    /// The whole bucket: `Prefix("")`.
    pub fn whole_bucket(bucket: &str, action: Action) -> Self {
        Self::prefix(bucket, None, action)
    }
}

/// Every check a request must pass (all of them).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Access {
    pub checks: Vec<Check>,
}

impl From<Vec<Check>> for Access {
    fn from(checks: Vec<Check>) -> Self {
        Access { checks }
    }
}

/// The action reading `key` needs: `plain`, or `get_object_version` when a version is named.
fn read_version(plain: Action, version_id: Option<&String>) -> Action {
    if version_id.is_some() {
        Action::GetObjectVersion
    } else {
        plain
    }
}

/// The checks a copy's source needs.
fn copy_source_check(raw: &str) -> Result<Check, CopySourceError> {
    let source = CopySource::parse(raw)?;
    let action = read_version(Action::GetObject, source.version_id.as_ref());
    Ok(Check::key(&source.bucket, &source.key, action))
}

/// A key check, plus `get_object_version` on the same key when a version is named.
fn key_and_version(bucket: &str, key: &str, action: Action, version: Option<&String>) -> Access {
    let mut checks = vec![Check::key(bucket, key, action)];
    if version.is_some() {
        checks.push(Check::key(bucket, key, Action::GetObjectVersion));
    }
    checks.into()
}

/// The checks `request` must pass. Fails only on a malformed `x-amz-copy-source`
/// (answer `InvalidArgument`).
pub fn required_access(request: &S3Request) -> Result<Access, CopySourceError> {
    use Action as A;
    use S3Request as R;
    let one = |check: Check| Ok(Access::from(vec![check]));
    match request {
        R::ListBuckets(_) => one(Check::service(A::ListAllMyBuckets)),
        R::HeadBucket(r) => one(Check::bucket(&r.bucket, A::HeadBucket)),
        R::GetBucketLocation(r) => one(Check::bucket(&r.bucket, A::GetBucketLocation)),
        R::CreateBucket(r) => one(Check::whole_bucket(&r.bucket, A::CreateBucket)),
        R::DeleteBucket(r) => one(Check::whole_bucket(&r.bucket, A::DeleteBucket)),
        R::ListObjects(r) => one(Check::prefix(&r.bucket, r.prefix.as_deref(), A::ListBucket)),
        R::ListObjectsV2(r) => one(Check::prefix(&r.bucket, r.prefix.as_deref(), A::ListBucket)),
        R::ListObjectVersions(r) => one(Check::prefix(
            &r.bucket,
            r.prefix.as_deref(),
            A::ListBucketVersions,
        )),
        R::GetObject(r) => one(Check::key(
            &r.bucket,
            &r.key,
            read_version(A::GetObject, r.version_id.as_ref()),
        )),
        R::HeadObject(r) => one(Check::key(
            &r.bucket,
            &r.key,
            read_version(A::HeadObject, r.version_id.as_ref()),
        )),
        R::PutObject(r) => one(Check::key(&r.bucket, &r.key, A::PutObject)),
        R::CopyObject(r) => Ok(Access::from(vec![
            Check::key(&r.bucket, &r.key, A::PutObject),
            copy_source_check(&r.copy_source)?,
        ])),
        R::DeleteObject(r) => one(Check::key(
            &r.bucket,
            &r.key,
            if r.version_id.is_some() {
                A::DeleteObjectVersion
            } else {
                A::DeleteObject
            },
        )),
        R::DeleteObjects(r) => one(Check::bucket(&r.bucket, A::DeleteObject)),
        R::GetObjectAttributes(r) => Ok(key_and_version(
            &r.bucket,
            &r.key,
            A::GetObjectAttributes,
            r.version_id.as_ref(),
        )),
        R::CreateMultipartUpload(r) => one(Check::key(&r.bucket, &r.key, A::CreateMultipartUpload)),
        R::UploadPart(r) => one(Check::key(&r.bucket, &r.key, A::UploadPart)),
        R::UploadPartCopy(r) => Ok(Access::from(vec![
            Check::key(&r.bucket, &r.key, A::UploadPart),
            copy_source_check(&r.copy_source)?,
        ])),
        R::CompleteMultipartUpload(r) => {
            one(Check::key(&r.bucket, &r.key, A::CompleteMultipartUpload))
        }
        R::AbortMultipartUpload(r) => one(Check::key(&r.bucket, &r.key, A::AbortMultipartUpload)),
        R::ListParts(r) => one(Check::key(&r.bucket, &r.key, A::ListMultipartUploadParts)),
        R::ListMultipartUploads(r) => one(Check::prefix(
            &r.bucket,
            r.prefix.as_deref(),
            A::ListBucketMultipartUploads,
        )),
        R::GetObjectTagging(r) => Ok(key_and_version(
            &r.bucket,
            &r.key,
            A::GetObjectTagging,
            r.version_id.as_ref(),
        )),
        R::PutObjectTagging(r) => one(Check::key(&r.bucket, &r.key, A::PutObjectTagging)),
        R::DeleteObjectTagging(r) => one(Check::key(&r.bucket, &r.key, A::DeleteObjectTagging)),
        R::GetBucketCors(r) => one(Check::bucket(&r.bucket, A::GetBucketCors)),
        R::PutBucketCors(r) => one(Check::whole_bucket(&r.bucket, A::PutBucketCors)),
        R::DeleteBucketCors(r) => one(Check::whole_bucket(&r.bucket, A::DeleteBucketCors)),
    }
}

/// DeleteObjects' per-key checks, in the order of `delete.objects`: `delete_object`, or
/// `delete_object_version` for an entry naming a version. The gateway denies key by key.
pub fn delete_objects_checks(bucket: &str, delete: &Delete) -> Vec<(String, Check)> {
    delete
        .objects
        .iter()
        .map(|object| {
            let action = if object.version_id.is_some() {
                Action::DeleteObjectVersion
            } else {
                Action::DeleteObject
            };
            (object.key.clone(), Check::key(bucket, &object.key, action))
        })
        .collect()
}
