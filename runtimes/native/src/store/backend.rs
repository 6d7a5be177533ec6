//! The storage a store's S3 semantics run on: object records (data + metadata committed
//! together), a sorted listing, multipart uploads and their parts, and the bucket's CORS
//! document. [`super::dir`] keeps them in a directory, [`super::memory`] in memory; everything
//! S3-specific (conditions, ranges, listing rules, multipart checks) is written once on top,
//! in the engine.
//!
//! Writers are not serialized here: the engine holds the per-key (or per-upload) lock around
//! every check-and-commit.

use std::future::Future;
use std::io;
use std::ops::{Bound, ControlFlow};

use bytes::Bytes;

use super::blob::{Blob, Staged, Writer};
use super::meta::{ListEntry, ObjectMeta, PartMeta, UploadMeta};

/// A visitor over listed objects, in key order; `Break` stops the walk.
pub type Visit<'a> = dyn FnMut(&str, &ListEntry) -> ControlFlow<()> + 'a;

/// Object, upload and bucket-document storage for one bucket.
pub trait Backend: Send + Sync + 'static {
    /// A writer for a new body (object, part, or copy).
    fn writer(&self) -> impl Future<Output = io::Result<Writer>> + Send;

    /// The object's metadata and data, as one snapshot.
    fn open_object(
        &self,
        key: &str,
    ) -> impl Future<Output = io::Result<Option<(ObjectMeta, Blob)>>> + Send;

    /// The object's metadata.
    fn object_meta(&self, key: &str)
    -> impl Future<Output = io::Result<Option<ObjectMeta>>> + Send;

    /// Makes `staged` (with `meta`) the object at `key`, atomically replacing any previous one.
    fn commit_object(
        &self,
        key: &str,
        staged: Staged,
        meta: ObjectMeta,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Replaces the metadata of an existing object, keeping its data. `false` if it is gone.
    fn replace_meta(
        &self,
        key: &str,
        meta: ObjectMeta,
    ) -> impl Future<Output = io::Result<bool>> + Send;

    /// Deletes the object; `false` if there was none.
    fn delete_object(&self, key: &str) -> impl Future<Output = io::Result<bool>> + Send;

    /// Walks objects in key order, starting at `from`.
    fn list(&self, from: Bound<&str>, visit: &mut Visit<'_>);

    /// Whether the bucket has no objects.
    fn is_empty(&self) -> bool;

    /// Records a new multipart upload.
    fn create_upload(&self, meta: UploadMeta) -> impl Future<Output = io::Result<()>> + Send;

    /// An upload in progress.
    fn upload(&self, upload_id: &str) -> Option<UploadMeta>;

    /// Every upload in progress (any order).
    fn uploads(&self) -> Vec<UploadMeta>;

    /// Stores a part (replacing one with the same number). `false` if the upload is gone.
    fn commit_part(
        &self,
        upload_id: &str,
        part: PartMeta,
        staged: Staged,
    ) -> impl Future<Output = io::Result<bool>> + Send;

    /// The upload's parts in part-number order; `None` if the upload is gone.
    fn parts(&self, upload_id: &str) -> Option<Vec<PartMeta>>;

    /// A part's data.
    fn open_part(
        &self,
        upload_id: &str,
        part_number: i32,
    ) -> impl Future<Output = io::Result<Option<Blob>>> + Send;

    /// Forgets an upload and its parts; `false` if there was none.
    fn remove_upload(&self, upload_id: &str) -> impl Future<Output = io::Result<bool>> + Send;

    /// The bucket's CORS document (XML as stored).
    fn cors(&self) -> impl Future<Output = io::Result<Option<Bytes>>> + Send;

    /// Sets or removes the bucket's CORS document.
    fn set_cors(&self, xml: Option<Bytes>) -> impl Future<Output = io::Result<()>> + Send;
}
