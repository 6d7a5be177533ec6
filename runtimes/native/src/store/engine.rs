//! The S3 semantics of an embedded store, written once over any [`Backend`]: dispatch of a
//! typed request, per-key locks for check-and-commit, streaming a request body into storage
//! while its digests are computed, and the small validations every write shares.
//!
//! The operations themselves live in `object`, `listing`, `multipart`, `copy` and `bucket`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use multistore_core::codec::http::{BindingError, ResponseParts};
use multistore_core::codec::query_form::parse_form;
use multistore_core::s3::{S3Request, StorageClass};

use super::backend::Backend;
use super::blob::{Staged, Writer};
use super::checksum::{BodyDigests, Digests};
use super::error::{IntoStoreResponse, StoreError, StoreResult};
use super::{BodyStream, StoreBody, StoreResponse, StoreSet};

/// The largest object PutObject, a part, or a copy may write (S3's 5 GiB).
pub const MAX_SINGLE_WRITE: u64 = 5 * 1024 * 1024 * 1024;
/// S3's longest key, in bytes.
const MAX_KEY_LEN: usize = 1024;
/// S3's cap on user metadata (names and values, in bytes).
const MAX_USER_METADATA: usize = 2048;

/// One store's semantics over its storage.
pub struct Engine<B> {
    pub(super) backend: B,
    locks: KeyLocks,
}

impl<B: Backend> Engine<B> {
    pub fn new(backend: B) -> Self {
        Self {
            backend,
            locks: KeyLocks::default(),
        }
    }

    /// Executes one request. Never panics on client input; every failure is an S3 error.
    pub async fn execute(
        &self,
        request: S3Request,
        body: BodyStream,
        stores: &StoreSet,
    ) -> StoreResponse {
        let result = match request {
            S3Request::ListBuckets(_) => Err(StoreError::not_implemented(
                "ListBuckets is answered by the gateway, not by a bucket's store",
            )),
            S3Request::HeadBucket(_) => self.head_bucket(),
            S3Request::GetBucketLocation(_) => self.get_bucket_location(),
            S3Request::CreateBucket(r) => self.create_bucket(&r),
            S3Request::DeleteBucket(_) => self.delete_bucket(),
            S3Request::ListObjects(r) => self.list_objects_v1(&r),
            S3Request::ListObjectsV2(r) => self.list_objects_v2(&r),
            S3Request::ListObjectVersions(r) => self.list_object_versions(&r),
            S3Request::GetObject(r) => self.get_object(r).await,
            S3Request::HeadObject(r) => self.head_object(r).await,
            S3Request::PutObject(r) => self.put_object(r, body).await,
            S3Request::CopyObject(r) => self.copy_object(r, stores).await,
            S3Request::DeleteObject(r) => self.delete_object(&r).await,
            S3Request::DeleteObjects(r) => self.delete_objects(r).await,
            S3Request::GetObjectAttributes(r) => self.get_object_attributes(&r).await,
            S3Request::CreateMultipartUpload(r) => self.create_multipart_upload(r).await,
            S3Request::UploadPart(r) => self.upload_part(r, body).await,
            S3Request::UploadPartCopy(r) => self.upload_part_copy(r, stores).await,
            S3Request::CompleteMultipartUpload(r) => self.complete_multipart_upload(r).await,
            S3Request::AbortMultipartUpload(r) => self.abort_multipart_upload(&r).await,
            S3Request::ListParts(r) => self.list_parts(&r),
            S3Request::ListMultipartUploads(r) => self.list_multipart_uploads(&r),
            S3Request::GetObjectTagging(r) => self.get_object_tagging(&r).await,
            S3Request::PutObjectTagging(r) => self.put_object_tagging(r).await,
            S3Request::DeleteObjectTagging(r) => self.delete_object_tagging(&r).await,
            S3Request::GetBucketCors(_) => self.get_bucket_cors().await,
            S3Request::PutBucketCors(r) => self.put_bucket_cors(r).await,
            S3Request::DeleteBucketCors(_) => self.delete_bucket_cors().await,
        };
        result.unwrap_or_else(StoreError::into_response)
    }

    /// Holds the lock of `name` (an object key, or an upload's id in its own namespace).
    pub(super) async fn lock(&self, name: &str) -> KeyGuard<'_> {
        self.locks.lock(name).await
    }

    /// Streams `body` into a new staged blob, computing `digests` on the way. Fails with
    /// `EntityTooLarge` past `limit` bytes and `IncompleteBody` when the body breaks off or
    /// does not have the declared length.
    pub(super) async fn receive(
        &self,
        mut body: BodyStream,
        mut digests: BodyDigests,
        declared_len: Option<i64>,
        limit: u64,
    ) -> StoreResult<(Staged, Digests)> {
        let mut writer = self
            .backend
            .writer()
            .await
            .map_err(|e| StoreError::io("cannot stage the body", &e))?;
        let mut len = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                StoreError::incomplete_body(format!("the request body broke off: {e}"))
            })?;
            len += chunk.len() as u64;
            if len > limit {
                return Err(StoreError::entity_too_large(format!(
                    "Your proposed upload exceeds the maximum allowed size of {limit} bytes"
                )));
            }
            digests.update(&chunk);
            writer
                .write(&chunk)
                .await
                .map_err(|e| StoreError::io("cannot write the body", &e))?;
        }
        if declared_len.is_some_and(|d| u64::try_from(d).ok() != Some(len)) {
            return Err(StoreError::incomplete_body(
                "You did not provide the number of bytes specified by the Content-Length HTTP header",
            ));
        }
        let staged = writer
            .finish()
            .await
            .map_err(|e| StoreError::io("cannot finish the body", &e))?;
        Ok((staged, digests.finish()))
    }

    /// Copies a stream into a new staged blob (a copy or a multipart join).
    pub(super) async fn stage_stream(
        &self,
        writer: &mut Writer,
        mut body: BodyStream,
        digests: &mut BodyDigests,
    ) -> StoreResult<()> {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| StoreError::io("cannot read the source", &e))?;
            digests.update(&chunk);
            writer
                .write(&chunk)
                .await
                .map_err(|e| StoreError::io("cannot write the copy", &e))?;
        }
        Ok(())
    }
}

/// Per-name async locks, dropped from the table when nobody holds or waits for them.
#[derive(Default)]
pub struct KeyLocks {
    table: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A held [`KeyLocks`] lock.
pub struct KeyGuard<'a> {
    locks: &'a KeyLocks,
    name: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl KeyLocks {
    pub async fn lock(&self, name: &str) -> KeyGuard<'_> {
        let mutex = {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(table.entry(name.to_owned()).or_default())
        };
        let guard = mutex.lock_owned().await;
        KeyGuard {
            locks: self,
            name: name.to_owned(),
            guard: Some(guard),
        }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut table = self
            .locks
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if table
            .get(&self.name)
            .is_some_and(|m| Arc::strong_count(m) == 1)
        {
            table.remove(&self.name);
        }
    }
}

/// The lock name of an upload (apart from every object key, which never starts with NUL+).
pub fn upload_lock(upload_id: &str) -> String {
    format!("\u{0}upload/{upload_id}")
}

/// A successful response from a generated output's `to_http()`.
pub fn respond(
    parts: Result<ResponseParts, BindingError>,
    body: StoreBody,
) -> StoreResult<StoreResponse> {
    let parts =
        parts.map_err(|e| StoreError::internal(format!("cannot write the response: {e}")))?;
    let body = match (body, parts.body) {
        (StoreBody::Empty, Some(xml)) => StoreBody::Full(xml),
        (body, _) => body,
    };
    Ok(StoreResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// Checks a key S3 would accept.
pub fn check_key(key: &str) -> StoreResult<()> {
    if key.is_empty() {
        return Err(StoreError::invalid_argument(
            "The object key must not be empty",
        ));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(StoreError::key_too_long("Your key is too long"));
    }
    Ok(())
}

/// Only the null version exists in a store (no versioning).
pub fn check_version(version_id: Option<&String>) -> StoreResult<()> {
    match version_id.map(String::as_str) {
        None | Some("null") => Ok(()),
        Some(_) => Err(StoreError::invalid_argument("Invalid version id specified")),
    }
}

/// Validates user metadata size.
pub fn check_metadata(metadata: &std::collections::BTreeMap<String, String>) -> StoreResult<()> {
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_METADATA {
        return Err(StoreError::metadata_too_large(format!(
            "Your metadata headers exceed the maximum allowed metadata size ({size} > {MAX_USER_METADATA} bytes)"
        )));
    }
    Ok(())
}

/// The storage class to keep (`None` for STANDARD); unknown classes are refused.
pub fn storage_class(class: Option<&StorageClass>) -> StoreResult<Option<String>> {
    match class {
        None | Some(StorageClass::Standard) => Ok(None),
        Some(StorageClass::Unknown(s)) => Err(StoreError {
            code: "InvalidStorageClass",
            status: 400,
            message: format!("Invalid storage class {s}"),
        }),
        Some(other) => Ok(Some(other.as_str().to_owned())),
    }
}

/// Parses and validates an `x-amz-tagging` value (`k=v&k2=v2`, form-encoded).
pub fn parse_tagging(value: Option<&String>) -> StoreResult<Vec<(String, String)>> {
    let tags = value.map(|v| parse_form(v)).unwrap_or_default();
    check_tags(&tags)?;
    Ok(tags)
}

/// S3's tag rules: at most 10, unique keys of 1..=128 characters, values of at most 256.
pub fn check_tags(tags: &[(String, String)]) -> StoreResult<()> {
    if tags.len() > 10 {
        return Err(StoreError::invalid_tag(
            "Object tags cannot be greater than 10",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(StoreError::invalid_tag(
                "The TagKey you have provided is invalid",
            ));
        }
        if v.chars().count() > 256 {
            return Err(StoreError::invalid_tag(
                "The TagValue you have provided is invalid",
            ));
        }
        if !seen.insert(k.as_str()) {
            return Err(StoreError::invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

/// Maps an I/O failure to an S3 500.
pub fn io_err(what: &'static str) -> impl Fn(std::io::Error) -> StoreError {
    move |e| StoreError::io(what, &e)
}
