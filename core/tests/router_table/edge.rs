//! Hand-written rows: legal but unusual request shapes that must still route to the served
//! operation (empty values, trailing slashes, cache busters, auth parameters, near-twins).

use multistore_core::s3::S3Operation::{self, *};

use super::{Client, Row};

fn r(
    name: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [&'static str],
    op: S3Operation,
) -> Row {
    Row::new(Client::Edge, name, method, target, headers, Ok(op))
}

pub(super) fn rows() -> Vec<Row> {
    vec![
        // Empty values and trailing slashes.
        r(
            "ListObjectsV2 with an empty prefix and an encoded delimiter",
            "GET",
            "/b?list-type=2&prefix=&delimiter=%2F&encoding-type=url",
            &[],
            ListObjectsV2,
        ),
        r(
            "ListObjectsV2 on /b/ (trailing slash is the bucket)",
            "GET",
            "/b/?list-type=2",
            &[],
            ListObjectsV2,
        ),
        r("ListObjects on /b/", "GET", "/b/", &[], ListObjects),
        r(
            "subresource written as uploads=",
            "GET",
            "/b?uploads=",
            &[],
            ListMultipartUploads,
        ),
        r(
            "subresource written as location=",
            "GET",
            "/b?location=",
            &[],
            GetBucketLocation,
        ),
        r(
            "subresource written as delete=",
            "POST",
            "/b?delete=",
            &[],
            DeleteObjects,
        ),
        r(
            "subresource written as uploads= on an object",
            "POST",
            "/b/k?uploads=",
            &[],
            CreateMultipartUpload,
        ),
        r(
            "subresource written as tagging=",
            "GET",
            "/b/k?tagging=",
            &[],
            GetObjectTagging,
        ),
        r(
            "a key ending in / is an object",
            "GET",
            "/b/dir/",
            &[],
            GetObject,
        ),
        r(
            "PutObject of a folder marker",
            "PUT",
            "/b/dir/",
            &[],
            PutObject,
        ),
        r(
            "a key that looks like a subresource",
            "GET",
            "/b/acl",
            &[],
            GetObject,
        ),
        // Unknown parameters with a value are ignored, as S3 does.
        r("cache buster", "GET", "/b/k?v=123", &[], GetObject),
        r(
            "cache buster on a listing",
            "GET",
            "/b?list-type=2&_=1700000000",
            &[],
            ListObjectsV2,
        ),
        r(
            "cache buster next to x-id",
            "GET",
            "/b/k?x-id=GetObject&v=1",
            &[],
            GetObject,
        ),
        // Presigned SigV4 parameters are consumed by every operation.
        r(
            "presigned GetObject with response-content-type and partNumber",
            "GET",
            "/b/k?response-content-type=application%2Fjson&partNumber=2&X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKID%2F20261129%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261129T000000Z\
             &X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
            &[],
            GetObject,
        ),
        r(
            "presigned PutObject",
            "PUT",
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261129%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20261129T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
            &[],
            PutObject,
        ),
        r(
            "presigned HeadObject",
            "HEAD",
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=c&X-Amz-Date=d&X-Amz-Expires=60\
             &X-Amz-SignedHeaders=host&X-Amz-Signature=s",
            &[],
            HeadObject,
        ),
        r(
            "presigned ListObjectsV2",
            "GET",
            "/b?list-type=2&prefix=a%2F&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=c&X-Amz-Date=d\
             &X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=s",
            &[],
            ListObjectsV2,
        ),
        // Near-twins, told apart by one parameter or header.
        r("HeadBucket", "HEAD", "/b", &[], HeadBucket),
        r("HeadObject", "HEAD", "/b/k", &[], HeadObject),
        r(
            "HeadObject with partNumber and versionId",
            "HEAD",
            "/b/k?partNumber=1&versionId=v",
            &[],
            HeadObject,
        ),
        r(
            "PutObject",
            "PUT",
            "/b/k",
            &["content-length: 5"],
            PutObject,
        ),
        r(
            "CopyObject (x-amz-copy-source)",
            "PUT",
            "/b/k",
            &["x-amz-copy-source: /b/src"],
            CopyObject,
        ),
        r(
            "CopyObject with a URL-encoded source and a version",
            "PUT",
            "/b/k",
            &["x-amz-copy-source: b%2Fdir%2Fsrc%20key?versionId=v1"],
            CopyObject,
        ),
        r(
            "UploadPart",
            "PUT",
            "/b/k?partNumber=1&uploadId=U",
            &[],
            UploadPart,
        ),
        r(
            "UploadPartCopy",
            "PUT",
            "/b/k?partNumber=1&uploadId=U",
            &["x-amz-copy-source: b/src"],
            UploadPartCopy,
        ),
        r("GetObject", "GET", "/b/k", &[], GetObject),
        r(
            "ListParts (uploadId)",
            "GET",
            "/b/k?uploadId=U",
            &[],
            ListParts,
        ),
        r(
            "ListParts with an empty uploadId value",
            "GET",
            "/b/k?uploadId=",
            &[],
            ListParts,
        ),
        r("DeleteObject", "DELETE", "/b/k", &[], DeleteObject),
        r(
            "AbortMultipartUpload (uploadId)",
            "DELETE",
            "/b/k?uploadId=U",
            &[],
            AbortMultipartUpload,
        ),
        r(
            "DeleteObject with versionId and governance bypass",
            "DELETE",
            "/b/k?versionId=v",
            &["x-amz-bypass-governance-retention: true"],
            DeleteObject,
        ),
        r(
            "ListObjects v1 vs V2: no list-type",
            "GET",
            "/b?prefix=a&marker=m",
            &[],
            ListObjects,
        ),
        r("GET / is ListBuckets", "GET", "/", &[], ListBuckets),
        r(
            "GET /?x-id=ListBuckets",
            "GET",
            "/?x-id=ListBuckets",
            &[],
            ListBuckets,
        ),
        // A non-ASCII unknown parameter with a value is a cache buster like any other.
        r(
            "non-ASCII cache buster",
            "GET",
            "/b/k?abcde%C3%A9=1",
            &[],
            GetObject,
        ),
    ]
}
