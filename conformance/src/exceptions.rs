//! Every difference that is not a gateway failure is explained here, in one table: a
//! capability the backend lacks (the entry reads "backend lacks", never "pass"), or a known
//! difference tracked by an issue (the entry reads "known"). An exception covers the failed
//! exchanges it names; an entry whose failures are all covered takes the exception's verdict,
//! and any failure no exception covers fails the replay.

use crate::env::BackendKind;

/// Why a difference is excepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The backend does not implement what the exchange needs; the gateway cannot be judged.
    BackendLacks,
    /// A known difference, tracked by an issue.
    Tracked(&'static str),
}

/// One exception. `None` and empty lists match everything.
#[derive(Debug, Clone, Copy)]
pub struct Exception {
    /// The scenario, or every scenario.
    pub scenario: Option<&'static str>,
    /// The client, or every client.
    pub client: Option<&'static str>,
    /// The backend, or every backend.
    pub backend: Option<BackendKind>,
    /// The runtime, or every runtime.
    pub runtime: Option<&'static str>,
    /// The operations (exchange labels) covered, or all.
    pub ops: &'static [&'static str],
    /// A text the failure's diff must contain, or none.
    pub detail: Option<&'static str>,
    /// Whether it covers a different status; without it, a diff that changes the status is
    /// never covered.
    pub status: bool,
    /// Lacks or tracked.
    pub kind: Kind,
    /// What differs and why.
    pub reason: &'static str,
}

const ANY: Exception = Exception {
    scenario: None,
    client: None,
    backend: None,
    runtime: None,
    ops: &[],
    detail: None,
    status: false,
    kind: Kind::BackendLacks,
    reason: "",
};

/// The exceptions.
pub const EXCEPTIONS: &[Exception] = &[
    Exception {
        runtime: Some("worker"),
        client: Some("rust-sdk"),
        ops: &["GetObjectAttributes"],
        detail: Some("SignatureDoesNotMatch"),
        status: true,
        kind: Kind::Tracked("#5"),
        reason: "aws-sdk-rust sends x-amz-object-attributes as one header line per value; fetch joins them as `ETag, ObjectSize` before the Worker sees them, so the canonical value differs from the signed `ETag,ObjectSize` and the Worker answers 403 SignatureDoesNotMatch (the native runtime verifies it)",
        ..ANY
    },
    Exception {
        runtime: Some("worker"),
        detail: Some("+ content-encoding: gzip"),
        kind: Kind::Tracked("#5"),
        reason: "under miniflare, the Worker's empty answer to a request that accepts gzip (the JS SDK's presigned PUT through fetch) comes gzip-encoded: Content-Encoding: gzip and a 20-byte body, where S3 sends an empty body",
        ..ANY
    },
    Exception {
        scenario: Some("tagging"),
        backend: Some(BackendKind::S3sFs),
        status: true,
        reason: "s3s-fs 0.14.1 does not implement object tagging (501 NotImplemented)",
        ..ANY
    },
    Exception {
        scenario: Some("conditional-reads"),
        backend: Some(BackendKind::S3sFs),
        ops: &["GetObject", "HeadObject"],
        status: true,
        reason: "s3s-fs 0.14.1 ignores If-None-Match, If-Match and If-Modified-Since on GET and HEAD (200 instead of 304 or 412)",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["ListObjectsV2", "ListObjects"],
        reason: "s3s-fs 0.14.1 listings carry no ETag, ChecksumAlgorithm or StorageClass per object",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &[
            "CreateMultipartUpload",
            "UploadPart",
            "ListParts",
            "CompleteMultipartUpload",
        ],
        detail: Some("hecksum"),
        reason: "s3s-fs 0.14.1 keeps no checksums for multipart uploads",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["GetObject", "HeadObject"],
        detail: Some("+ content-encoding: aws-chunked"),
        reason: "s3s-fs 0.14.1 stores `aws-chunked` as the object's Content-Encoding when an upload arrives aws-chunked (S3 removes it)",
        ..ANY
    },
    Exception {
        scenario: Some("auth-signed-chunks"),
        backend: Some(BackendKind::S3sFs),
        ops: &["PutObject"],
        detail: Some("+ x-amz-checksum-crc32"),
        reason: "the reference lacks it: moto does not answer the checksum of an upload that sent it in a trailer; s3s-fs does, as S3 does",
        ..ANY
    },
    Exception {
        client: Some("js-sdk-v3"),
        ops: &["GetObjectAttributes"],
        detail: Some("+   <ObjectSize>"),
        reason: "the reference lacks it: the JavaScript SDK sends `x-amz-object-attributes: ETag, ObjectSize` and moto does not trim the space after the comma, so it answers the ETag only; the gateway answers both, as S3 does",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["ListObjectVersions", "GetObjectAttributes"],
        status: true,
        reason: "s3s-fs 0.14.1 implements neither ListObjectVersions nor GetObjectAttributes (501 NotImplemented)",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["ListMultipartUploads"],
        status: true,
        reason: "s3s-fs 0.14.1 does not implement ListMultipartUploads (501 NotImplemented)",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["ListParts"],
        reason: "s3s-fs 0.14.1 ListParts answers carry no Initiator, Owner, IsTruncated, MaxParts or NextPartNumberMarker",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["ListParts"],
        detail: Some("NoSuchUpload"),
        status: true,
        reason: "s3s-fs 0.14.1 lists the parts of an aborted upload (200, S3: 404 NoSuchUpload)",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["CompleteMultipartUpload"],
        detail: Some("<Location>"),
        reason: "s3s-fs 0.14.1 CompleteMultipartUpload answers carry no Location",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["CopyObject", "UploadPartCopy"],
        reason: "s3s-fs 0.14.1 copy results carry no checksum (CopyObject) and no LastModified (UploadPartCopy)",
        ..ANY
    },
    Exception {
        backend: Some(BackendKind::S3sFs),
        ops: &["GetObject", "HeadObject"],
        detail: Some("- content-type: binary/octet-stream"),
        reason: "s3s-fs 0.14.1 stores no Content-Type when the upload sent none (S3 stores binary/octet-stream)",
        ..ANY
    },
];

/// The exception covering a failed exchange, if any.
pub fn covering(
    scenario: &str,
    client: &str,
    backend: BackendKind,
    runtime: &str,
    label: &str,
    detail: &str,
) -> Option<&'static Exception> {
    EXCEPTIONS.iter().find(|e| {
        e.scenario.is_none_or(|s| s == scenario)
            && e.client.is_none_or(|c| c == client)
            && e.backend.is_none_or(|b| b == backend)
            && e.runtime.is_none_or(|r| r == runtime)
            && (e.ops.is_empty() || e.ops.iter().any(|op| label.split(' ').next() == Some(op)))
            && e.detail.is_none_or(|d| detail.contains(d))
            && (e.status
                || !detail
                    .lines()
                    .any(|l| l.starts_with("+ status") || l.starts_with("- status")))
    })
}
