//! Rows for aws-sdk-rust, DERIVED from the model (not captured: no Rust SDK traffic was recorded).
//!
//! smithy-rs builds the query from the operation's `http` URI, literal part first (`x-id=Op`
//! on the 18 operations whose URI has one, `list-type=2`, bare `uploads`, `tagging`, …), then
//! the set `httpQuery` members in model member order. Presigned URLs append the SigV4 query
//! parameters after that. Headers are limited to the routing-relevant ones plus the
//! `aws-chunked` trailer-checksum headers the SDK puts on streaming uploads.

use multistore_core::s3::S3Operation::{self, *};

use super::{Client, Row};

fn r(
    name: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [&'static str],
    op: S3Operation,
) -> Row {
    Row::new(Client::SdkRust, name, method, target, headers, Ok(op))
}

/// A streaming body with the default CRC32 trailer checksum.
const STREAM: &[&str] = &[
    "content-encoding: aws-chunked",
    "x-amz-decoded-content-length: 5",
    "x-amz-trailer: x-amz-checksum-crc32",
    "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER",
];

const COPY: &[&str] = &["x-amz-copy-source: b/src"];

pub(super) fn rows() -> Vec<Row> {
    vec![
        // Service and buckets.
        r(
            "list_buckets",
            "GET",
            "/?x-id=ListBuckets",
            &[],
            ListBuckets,
        ),
        r(
            "list_buckets(all params)",
            "GET",
            "/?x-id=ListBuckets&max-buckets=10&continuation-token=t&prefix=p&bucket-region=us-east-1",
            &[],
            ListBuckets,
        ),
        r("create_bucket", "PUT", "/b", &[], CreateBucket),
        r("head_bucket", "HEAD", "/b", &[], HeadBucket),
        r(
            "get_bucket_location",
            "GET",
            "/b?location",
            &[],
            GetBucketLocation,
        ),
        r("delete_bucket", "DELETE", "/b", &[], DeleteBucket),
        // Listing.
        r("list_objects", "GET", "/b", &[], ListObjects),
        r(
            "list_objects(all params)",
            "GET",
            "/b?delimiter=%2F&encoding-type=url&marker=m&max-keys=10&prefix=p",
            &[],
            ListObjects,
        ),
        r(
            "list_objects_v2",
            "GET",
            "/b?list-type=2",
            &[],
            ListObjectsV2,
        ),
        r(
            "list_objects_v2(all params)",
            "GET",
            "/b?list-type=2&delimiter=%2F&encoding-type=url&max-keys=10&prefix=&continuation-token=t\
             &fetch-owner=true&start-after=s",
            &[],
            ListObjectsV2,
        ),
        r(
            "list_object_versions",
            "GET",
            "/b?versions",
            &[],
            ListObjectVersions,
        ),
        r(
            "list_object_versions(all params)",
            "GET",
            "/b?versions&delimiter=%2F&encoding-type=url&key-marker=k&max-keys=10&prefix=p\
             &version-id-marker=v",
            &[],
            ListObjectVersions,
        ),
        // Objects.
        r("get_object", "GET", "/b/k?x-id=GetObject", &[], GetObject),
        r(
            "get_object(response-*, versionId, partNumber)",
            "GET",
            "/b/k?x-id=GetObject&response-cache-control=no-cache&response-content-type=text%2Fplain\
             &response-expires=Thu%2C%2001%20Jan%202026%2000%3A00%3A00%20GMT&versionId=v&partNumber=2",
            &["range", "x-amz-checksum-mode"],
            GetObject,
        ),
        r("head_object", "HEAD", "/b/k", &[], HeadObject),
        r(
            "head_object(versionId, partNumber)",
            "HEAD",
            "/b/k?versionId=v&partNumber=1",
            &[],
            HeadObject,
        ),
        r(
            "put_object",
            "PUT",
            "/b/k?x-id=PutObject",
            STREAM,
            PutObject,
        ),
        r(
            "copy_object",
            "PUT",
            "/b/k?x-id=CopyObject",
            COPY,
            CopyObject,
        ),
        r(
            "delete_object",
            "DELETE",
            "/b/k?x-id=DeleteObject",
            &[],
            DeleteObject,
        ),
        r(
            "delete_object(versionId)",
            "DELETE",
            "/b/k?x-id=DeleteObject&versionId=v",
            &[],
            DeleteObject,
        ),
        r(
            "delete_objects",
            "POST",
            "/b?delete",
            &["x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"],
            DeleteObjects,
        ),
        r(
            "get_object_attributes",
            "GET",
            "/b/k?attributes&versionId=v",
            &["x-amz-object-attributes: ETag,Checksum,ObjectParts,StorageClass,ObjectSize"],
            GetObjectAttributes,
        ),
        // Multipart.
        r(
            "create_multipart_upload",
            "POST",
            "/b/k?uploads",
            &[],
            CreateMultipartUpload,
        ),
        r(
            "upload_part",
            "PUT",
            "/b/k?x-id=UploadPart&partNumber=1&uploadId=U",
            STREAM,
            UploadPart,
        ),
        r(
            "upload_part_copy",
            "PUT",
            "/b/k?x-id=UploadPartCopy&partNumber=1&uploadId=U",
            &[
                "x-amz-copy-source: b/src",
                "x-amz-copy-source-range: bytes=0-9",
            ],
            UploadPartCopy,
        ),
        r(
            "complete_multipart_upload",
            "POST",
            "/b/k?uploadId=U",
            &[],
            CompleteMultipartUpload,
        ),
        r(
            "abort_multipart_upload",
            "DELETE",
            "/b/k?x-id=AbortMultipartUpload&uploadId=U",
            &[],
            AbortMultipartUpload,
        ),
        r(
            "list_parts",
            "GET",
            "/b/k?x-id=ListParts&uploadId=U",
            &[],
            ListParts,
        ),
        r(
            "list_parts(all params)",
            "GET",
            "/b/k?x-id=ListParts&max-parts=10&part-number-marker=1&uploadId=U",
            &[],
            ListParts,
        ),
        r(
            "list_multipart_uploads",
            "GET",
            "/b?uploads",
            &[],
            ListMultipartUploads,
        ),
        r(
            "list_multipart_uploads(all params)",
            "GET",
            "/b?uploads&delimiter=%2F&encoding-type=url&key-marker=k&max-uploads=10&prefix=p\
             &upload-id-marker=u",
            &[],
            ListMultipartUploads,
        ),
        // Tagging and CORS.
        r(
            "get_object_tagging",
            "GET",
            "/b/k?tagging&versionId=v",
            &[],
            GetObjectTagging,
        ),
        r(
            "put_object_tagging",
            "PUT",
            "/b/k?tagging",
            &[],
            PutObjectTagging,
        ),
        r(
            "delete_object_tagging",
            "DELETE",
            "/b/k?tagging&versionId=v",
            &[],
            DeleteObjectTagging,
        ),
        r("get_bucket_cors", "GET", "/b?cors", &[], GetBucketCors),
        r("put_bucket_cors", "PUT", "/b?cors", &[], PutBucketCors),
        r(
            "delete_bucket_cors",
            "DELETE",
            "/b?cors",
            &[],
            DeleteBucketCors,
        ),
        // Presigned (`.presigned(PresigningConfig)`): the x-id stays in the URL.
        r(
            "presigned get_object",
            "GET",
            "/b/k?x-id=GetObject&X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKID%2F20261129%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261129T000000Z\
             &X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
            &[],
            GetObject,
        ),
        r(
            "presigned put_object",
            "PUT",
            "/b/k?x-id=PutObject&X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKID%2F20261129%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261129T000000Z\
             &X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=T&X-Amz-Signature=abc",
            &[],
            PutObject,
        ),
    ]
}
