//! Embedded bucket stores: buckets configured with `type = "local"` ([`DirStore`], a
//! directory) or `type = "memory"` ([`MemoryStore`]) are served inside the native runtime
//! instead of by an HTTP backend. A store holds exactly one bucket and executes typed S3
//! requests ([`S3Request`]) with S3's semantics, answering through the generated output types'
//! `to_http()`, and with S3 error documents (Code and Message; the caller adds Resource and
//! RequestId) for every failure.
//!
//! ```text
//! StoreSet::execute(store, op, OutboundRequest, body)
//!   └─ S3Request::from_http ─▶ AnyStore ─▶ Engine<DirBackend | MemoryBackend>  (S3 semantics, once)
//!                                            └─ Backend: records, index, uploads, CORS
//! ```
//!
//! Bodies stream both ways ([`BodyStream`]): a PUT or UploadPart is written chunk by chunk
//! while its MD5 and checksum are computed, and a GET streams from an open file handle, so a
//! directory store never holds a whole object in memory. See `dir` for the on-disk format
//! and its atomicity, `keymap` for how any S3 key maps to a safe file path.
//!
//! Errors are S3 `<Error>` documents (Code and Message) with S3's status, HEAD included: the
//! caller drops the body of a HEAD answer and adds Resource and RequestId.
//!
//! Why hand-written rather than the `object_store` crate: this gateway answers S3 clients, so
//! S3's semantics must come out exactly, and object_store models less than S3. What its
//! documentation shows: it does express conditional create and update (`PutMode::Create`,
//! `PutMode::Update`) and carries tags and attributes on puts, but implementations "that
//! don't support object tagging should ignore" the tags (so tagging is not dependable); its
//! `LocalFileSystem` maps `/`-separated paths onto nested directories (so `a` and `a/b`, or
//! `dir/` and `a//b`, cannot all be keys), reserves names matching `.*#\d+` for its own
//! atomic writes, and follows symlinks that lead out of its root. Its API (as far as we
//! know it, not re-checked page by page) has no ListMultipartUploads, ListParts or
//! UploadPartCopy, no S3 checksums (CRC32/CRC32C/CRC64NVME/SHA) or multipart ETags, and
//! no S3-defined delimiter listing with markers, continuation tokens and `encoding-type`.

mod attributes;
mod backend;
mod blob;
mod bucket;
mod checksum;
mod copy;
mod dir;
mod engine;
mod error;
mod keymap;
mod listing;
mod memory;
mod meta;
mod multipart;
mod object;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use multistore_core::codec::http::{BodyKind, HttpRequest, OutboundRequest};
use multistore_core::s3::{S3Operation, S3Request};

pub use error::{IntoStoreResponse, StoreError, StoreResult};
/// S3's rules for ranges and preconditions, shared with the Worker's R2 store.
use multistore_core::store::conditions;

/// A streamed body.
pub type BodyStream =
    Pin<Box<dyn futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// The largest buffered (XML or raw) request body [`StoreSet::execute`] reads.
pub const MAX_BUFFERED_BODY: usize = 2 * 1024 * 1024;

/// A response body.
pub enum StoreBody {
    Empty,
    Full(Bytes),
    Stream(BodyStream),
}

impl std::fmt::Debug for StoreBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Full(b) => f.debug_tuple("Full").field(&b.len()).finish(),
            Self::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// A store's answer.
#[derive(Debug)]
pub struct StoreResponse {
    pub status: http::StatusCode,
    pub headers: http::HeaderMap,
    pub body: StoreBody,
}

impl StoreResponse {
    /// The whole body, read into memory (tests and small answers).
    pub async fn into_bytes(self) -> std::io::Result<Bytes> {
        match self.body {
            StoreBody::Empty => Ok(Bytes::new()),
            StoreBody::Full(b) => Ok(b),
            StoreBody::Stream(mut s) => {
                let mut buf = BytesMut::new();
                while let Some(chunk) = s.next().await {
                    buf.extend_from_slice(&chunk?);
                }
                Ok(buf.freeze())
            }
        }
    }
}

/// An empty body.
pub fn empty_body() -> BodyStream {
    Box::pin(futures_util::stream::empty())
}

/// One embedded bucket store.
pub trait Store: Send + Sync + 'static {
    /// Executes one typed S3 request against this store. `body` is the request body (for
    /// PutObject/UploadPart: streamed, never buffered whole). Every failure is an S3 error
    /// response, never a panic.
    fn execute(
        &self,
        request: S3Request,
        body: BodyStream,
        stores: &StoreSet,
    ) -> impl Future<Output = StoreResponse> + Send;
}

/// A bucket in a directory. See the `dir` module for the layout.
pub struct DirStore {
    engine: engine::Engine<dir::DirBackend>,
}

impl DirStore {
    /// Opens the store at `root` (created if missing): removes leftovers of interrupted
    /// writes, then loads the object index and the uploads in progress.
    pub async fn open(root: PathBuf) -> std::io::Result<Self> {
        Ok(Self {
            engine: engine::Engine::new(dir::DirBackend::open(root).await?),
        })
    }
}

impl Store for DirStore {
    fn execute(
        &self,
        request: S3Request,
        body: BodyStream,
        stores: &StoreSet,
    ) -> impl Future<Output = StoreResponse> + Send {
        self.engine.execute(request, body, stores)
    }
}

/// A bucket in memory, lost when the process ends.
pub struct MemoryStore {
    engine: engine::Engine<memory::MemoryBackend>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self {
            engine: engine::Engine::new(memory::MemoryBackend::default()),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl Store for MemoryStore {
    fn execute(
        &self,
        request: S3Request,
        body: BodyStream,
        stores: &StoreSet,
    ) -> impl Future<Output = StoreResponse> + Send {
        self.engine.execute(request, body, stores)
    }
}

/// Any embedded store.
pub enum AnyStore {
    Dir(DirStore),
    Memory(MemoryStore),
}

impl AnyStore {
    /// Opens an object for a copy from this store.
    async fn open_for_copy(
        &self,
        key: &str,
    ) -> StoreResult<Option<(meta::ObjectMeta, blob::Blob)>> {
        use backend::Backend as _;
        let opened = match self {
            Self::Dir(s) => s.engine.backend.open_object(key).await,
            Self::Memory(s) => s.engine.backend.open_object(key).await,
        };
        opened.map_err(|e| StoreError::io("cannot open the copy source", &e))
    }
}

impl Store for AnyStore {
    async fn execute(
        &self,
        request: S3Request,
        body: BodyStream,
        stores: &StoreSet,
    ) -> StoreResponse {
        match self {
            Self::Dir(s) => s.execute(request, body, stores).await,
            Self::Memory(s) => s.execute(request, body, stores).await,
        }
    }
}

/// The embedded stores by name (the client bucket's configured name), so CopyObject and
/// UploadPartCopy can read from another embedded store.
#[derive(Default)]
pub struct StoreSet {
    stores: HashMap<String, Arc<AnyStore>>,
}

impl StoreSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: &str, store: AnyStore) {
        self.stores.insert(name.to_owned(), Arc::new(store));
    }

    pub fn get(&self, name: &str) -> Option<Arc<AnyStore>> {
        self.stores.get(name).cloned()
    }

    /// Parses `request` as `operation` and executes it on the store named `store`
    /// (`NoSuchBucket` when there is none). A buffered body is taken from `request.body`
    /// when set, else read from `body` (at most [`MAX_BUFFERED_BODY`]) for operations whose
    /// body is XML or raw; streaming operations get `body` as is.
    pub async fn execute(
        &self,
        store: &str,
        operation: S3Operation,
        request: OutboundRequest,
        body: BodyStream,
    ) -> StoreResponse {
        let Some(target) = self.get(store) else {
            return StoreError::no_such_bucket("The specified bucket does not exist")
                .into_response();
        };
        let (buffered, body) = match operation.info().input_body {
            BodyKind::Xml | BodyKind::Raw => match request.body.clone() {
                Some(b) => (Some(b), empty_body()),
                None => match read_limited(body, MAX_BUFFERED_BODY).await {
                    Ok(b) => (Some(b), empty_body()),
                    Err(e) => return e.into_response(),
                },
            },
            BodyKind::None | BodyKind::Streaming => (None, body),
        };
        let http = HttpRequest {
            method: &request.method,
            bucket: request.bucket.as_deref(),
            key: request.key.as_deref(),
            query: &request.query,
            headers: &request.headers,
        };
        if let Some(b) = &buffered
            && let Err(e) = checksum::verify_buffered(&request.headers, b)
        {
            return e.into_response();
        }
        let body_ref = buffered.as_deref().filter(|b| !b.is_empty());
        match S3Request::from_http(operation, &http, body_ref) {
            Ok(parsed) => target.execute(parsed, body, self).await,
            Err(e) => StoreError::from_binding(&e).into_response(),
        }
    }
}

/// Reads a whole small body; `MaxMessageLengthExceeded` past `limit`.
async fn read_limited(mut body: BodyStream, limit: usize) -> StoreResult<Bytes> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| StoreError::incomplete_body(format!("the request body broke off: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(StoreError::max_message_length_exceeded(format!(
                "Your request was too big: the body exceeds {limit} bytes"
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
