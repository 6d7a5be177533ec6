//! Buckets served from an R2 bucket binding (`type = "r2"`): how each S3 operation maps onto
//! the R2 Workers API, decided on the host so that it is tested there. The `wasm` module runs
//! the calls against the binding and answers with what [`object`] and [`listing`] build.
//!
//! The core hands an embedded store the request already in the bucket's namespace (key
//! prefix applied); the store parses it with `S3Request::from_http` and [`plan`]s it.
//!
//! | S3 operation               | R2 call                                                            |
//! |----------------------------|--------------------------------------------------------------------|
//! | HeadBucket                 | none (the binding exists)                                          |
//! | ListObjectsV2, ListObjects | `list({ prefix, delimiter, limit, cursor, startAfter })`           |
//! | GetObject                  | `get(key, { range, onlyIf })`; 304/412 decided from the metadata    |
//! | HeadObject                 | `head(key)`; conditions and range evaluated here                    |
//! | PutObject                  | `put(key, stream, { httpMetadata, customMetadata, md5/sha256/sha1, onlyIf })` |
//! | DeleteObject               | `delete(key)`                                                      |
//! | DeleteObjects              | `delete([keys])`                                                   |
//! | CopyObject (same binding)  | `get(source, { onlyIf })` streamed into `put(key)`                  |
//! | CreateMultipartUpload      | `createMultipartUpload(key, { httpMetadata, customMetadata })`     |
//! | UploadPart                 | `resumeMultipartUpload(key, id).uploadPart(n, stream)`             |
//! | UploadPartCopy             | `get(source, { range })` streamed into `uploadPart(n, …)`           |
//! | CompleteMultipartUpload    | `resumeMultipartUpload(key, id).complete(parts)`                   |
//! | AbortMultipartUpload       | `resumeMultipartUpload(key, id).abort()`                           |
//!
//! Not implemented (501 `NotImplemented`): ListParts, ListMultipartUploads,
//! ListObjectVersions, GetObjectAttributes, object tagging, bucket CORS documents (the
//! gateway's own `cors` rules apply), CreateBucket/DeleteBucket, SSE-C, Object Lock, storage
//! classes other than STANDARD, GetObject `partNumber`, conditional deletes, conditional
//! CompleteMultipartUpload, appends. CRC checksums (`x-amz-checksum-crc32` and friends) are
//! accepted but neither verified nor stored: R2's Workers API verifies only MD5 and SHA
//! digests.

pub mod call;
pub mod conditions;
pub mod error;
pub mod listing;
pub mod object;

pub use call::{Digest, R2Call, ReadCall, SourceRead, WriteCall, plan};
pub use error::{StoreError, StoreResult};
