//! The scenarios every client plays, by name, and who plays them: the Rust SDK in-process
//! ([`rust`]), boto3, the aws CLI and the JavaScript SDK v3 as child processes running the
//! scripts under `conformance/clients/`. A scenario named `auth-*` is recorded through the
//! native gateway in front of moto, because moto checks no signatures and grants everything;
//! every other scenario is recorded against moto directly.

pub mod rust;
pub mod signed_chunks;

/// Every scenario, with what it exercises (written into the traffic file).
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "objects",
        "PutObject with metadata, HeadObject, GetObject, ranged GetObject, DeleteObject, a missing key",
    ),
    (
        "checksums",
        "PutObject with a CRC32 checksum (aws-chunked with a trailer where the client streams), GetObject with checksum mode",
    ),
    (
        "multipart",
        "a multipart upload with CRC32 checksums (5 MiB + 1 KiB parts), ListParts, ListMultipartUploads, CompleteMultipartUpload, an aborted upload, GetObject of the whole",
    ),
    (
        "listing",
        "ListObjectsV2 paginated with continuation tokens, a delimiter, ListObjects (V1) with a marker, encoding-type=url",
    ),
    (
        "special-keys",
        "Unicode and special-character keys written, read and listed (with encoding-type=url)",
    ),
    (
        "conditional-writes",
        "PutObject with If-None-Match: * (new and existing key) and a wrong If-Match",
    ),
    (
        "conditional-reads",
        "GetObject and HeadObject with If-None-Match, If-Match and If-Modified-Since",
    ),
    (
        "tagging",
        "PutObject with a tagging header, GetObjectTagging, PutObjectTagging, DeleteObjectTagging",
    ),
    (
        "delete-objects",
        "DeleteObjects with existing and missing keys, then a listing",
    ),
    ("copy", "CopyObject (metadata REPLACE) and UploadPartCopy"),
    (
        "presigned",
        "presigned GET and PUT URLs used with a plain HTTP client, and an expired one",
    ),
    (
        "auth-errors",
        "a bad signature, an unknown access key, and access denied outside a scoped key's prefix",
    ),
    (
        "buckets",
        "ListBuckets, HeadBucket (existing and missing), GetBucketLocation, CreateBucket of an existing bucket, GetBucketCors without rules, ListObjectVersions, GetObjectAttributes",
    ),
    (
        "auth-signed-chunks",
        "aws-chunked uploads with signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, with and without a signed CRC32 trailer) and a broken chunk signature chain, built by hand: no SDK sends signed chunks over plain HTTP",
    ),
];

/// The clients, in report order.
pub const CLIENTS: &[&str] = &["rust-sdk", "boto3", "aws-cli", "js-sdk-v3"];

/// Whether a scenario is recorded through the gateway (see the module doc).
pub fn through_gateway(scenario: &str) -> bool {
    scenario.starts_with("auth-")
}

/// What a scenario exercises.
pub fn about(scenario: &str) -> &'static str {
    SCENARIOS
        .iter()
        .find(|(n, _)| *n == scenario)
        .map_or("", |(_, a)| a)
}
