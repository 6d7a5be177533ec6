//! Shared harness of the `store_*` tests: a [`StoreSet`] with one store of either kind,
//! requests built as the gateway hands them over (an `OutboundRequest` plus a body stream),
//! and helpers to read answers. Every scenario is written once and run on both stores with
//! [`both!`].
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use multistore::store::{AnyStore, BodyStream, DirStore, MemoryStore, StoreSet};
use multistore_core::codec::http::OutboundRequest;
use multistore_core::codec::xml_value::read_document;
use multistore_core::s3::{ErrorDocument, S3Operation};

pub const BUCKET: &str = "bkt";

/// Which store a scenario runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    Memory,
}

/// Runs an `async fn scenario(kind: Kind)` on both stores, as two tests.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod dir {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::store_support::Kind::Dir).await;
                }
            )*
        }
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::store_support::Kind::Memory).await;
                }
            )*
        }
    };
}

/// A store set holding one store named [`BUCKET`] (plus any added).
pub struct Harness {
    pub set: Arc<StoreSet>,
    pub kind: Kind,
    /// The directory store's root (kept alive with the harness).
    pub dir: Option<tempfile::TempDir>,
}

impl Harness {
    pub async fn new(kind: Kind) -> Self {
        Self::with_stores(kind, &[]).await
    }

    /// A harness whose set also holds `extra` stores (name, kind).
    pub async fn with_stores(kind: Kind, extra: &[(&str, Kind)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut set = StoreSet::new();
        set.insert(BUCKET, open(kind, &dir.path().join(BUCKET)).await);
        for (name, k) in extra {
            set.insert(name, open(*k, &dir.path().join(name)).await);
        }
        Self {
            set: Arc::new(set),
            kind,
            dir: Some(dir),
        }
    }

    /// The directory store's root.
    pub fn root(&self) -> PathBuf {
        self.dir.as_ref().unwrap().path().join(BUCKET)
    }

    /// A request for `op` on [`BUCKET`].
    pub fn req(&self, op: S3Operation) -> Req {
        Req {
            set: Arc::clone(&self.set),
            store: BUCKET.to_owned(),
            op,
            key: None,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            stream: None,
        }
    }

    pub async fn put(&self, key: &str, body: impl Into<Bytes>) -> Resp {
        self.req(S3Operation::PutObject)
            .key(key)
            .body(body)
            .send()
            .await
    }

    pub async fn get(&self, key: &str) -> Resp {
        self.req(S3Operation::GetObject).key(key).send().await
    }
}

/// Opens a store of `kind` (a directory store at `path`).
pub async fn open(kind: Kind, path: &Path) -> AnyStore {
    match kind {
        Kind::Dir => AnyStore::Dir(DirStore::open(path.to_path_buf()).await.unwrap()),
        Kind::Memory => AnyStore::Memory(MemoryStore::new()),
    }
}

/// A request being built.
pub struct Req {
    set: Arc<StoreSet>,
    store: String,
    op: S3Operation,
    key: Option<String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    stream: Option<BodyStream>,
}

impl Req {
    pub fn store(mut self, name: &str) -> Self {
        name.clone_into(&mut self.store);
        self
    }

    pub fn key(mut self, key: &str) -> Self {
        self.key = Some(key.to_owned());
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// A body delivered as this stream instead.
    pub fn stream(mut self, stream: BodyStream) -> Self {
        self.stream = Some(stream);
        self
    }

    pub async fn send(self) -> Resp {
        let response = self.send_raw().await;
        let status = response.status.as_u16();
        let headers = response.headers.clone();
        let body = response.into_bytes().await.unwrap();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Sends, leaving the answer's body unread.
    pub async fn send_raw(self) -> multistore::store::StoreResponse {
        let info = self.op.info();
        let mut request = OutboundRequest::new(Method::from_bytes(info.method.as_bytes()).unwrap());
        request.bucket = Some(self.store.clone());
        request.key = self.key;
        request.query = self.query;
        request.headers = self.headers;
        let body = match self.stream {
            Some(s) => s,
            None => chunked(self.body, 64 * 1024),
        };
        self.set.execute(&self.store, self.op, request, body).await
    }
}

/// `data` as a stream of `size`-byte chunks.
pub fn chunked(data: Bytes, size: usize) -> BodyStream {
    let chunks: Vec<std::io::Result<Bytes>> = (0..data.len())
        .step_by(size.max(1))
        .map(|i| Ok(data.slice(i..(i + size).min(data.len()))))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The error code of an error answer.
    pub fn code(&self) -> String {
        let doc: ErrorDocument = read_document(&self.body, "Error").unwrap_or_else(|e| {
            panic!(
                "not an error document ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        });
        doc.code
    }

    /// Asserts an error with this status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code().as_str()),
            (status, code),
            "{}",
            self.text()
        );
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(
            (200..300).contains(&self.status),
            "{} {}",
            self.status,
            self.text()
        );
        self
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The text of every `<name>` element, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        let text = self.text();
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            let Some(j) = after.find(&close) else { break };
            out.push(unescape(&after[..j]));
            rest = &after[j + close.len()..];
        }
        out
    }

    /// The text of the first `<name>` element.
    pub fn one(&self, name: &str) -> Option<String> {
        self.all(name).into_iter().next()
    }

    pub fn etag(&self) -> String {
        self.header("etag").expect("an ETag").to_owned()
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Deterministic test data.
pub fn data(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect::<Vec<u8>>()
        .into()
}

/// The hex MD5 of `data`, quoted: the ETag S3 gives it.
pub fn md5_etag(data: &[u8]) -> String {
    use md5::Digest as _;
    format!("\"{}\"", hex::encode(md5::Md5::digest(data)))
}

/// Base64 of the MD5 of `data` (a `Content-MD5` value).
pub fn content_md5(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

/// Base64 of the big-endian CRC32 of `data`.
pub fn crc32_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(data).to_be_bytes())
}

/// Base64 of the SHA-256 of `data`.
pub fn sha256_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(data))
}
