//! Rows captured from boto3 1.43.11 (botocore 1.43.11), `Config(s3={'addressing_style': 'path'})`.
//!
//! Transcribed verbatim from a logging proxy: method, path, raw query in the order sent, and the
//! header names other than `authorization`, `x-amz-date`, `x-amz-content-sha256`, `host`,
//! `user-agent`, `accept-encoding`, `amz-sdk-*` and `content-length` (the harness adds the
//! routing-neutral ones back). Upload ids are shortened; their value is opaque to routing.

use multistore_core::s3::S3Operation::{self, *};

use super::{Client, Row};

fn r(
    name: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [&'static str],
    op: S3Operation,
) -> Row {
    Row::new(Client::Boto3, name, method, target, headers, Ok(op))
}

/// What botocore adds to a body-carrying request since the 2025 default-checksum change.
const CRC: [&str; 2] = ["x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"];

const PUT_HDRS: &[&str] = &["expect", CRC[0], CRC[1]];
const BODY_HDRS: &[&str] = &[CRC[0], CRC[1]];

/// The SigV4 query a presigned URL carries (`Config(signature_version='s3v4')`).
macro_rules! presigned {
    ($target:literal) => {
        concat!(
            $target,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "&X-Amz-Credential=AKIDEXAMPLE%2F20261129%2Fus-east-1%2Fs3%2Faws4_request",
            "&X-Amz-Date=20261129T065441Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host",
            "&X-Amz-Signature=7aceaf4334b08cd833d203335d8a60ba99696a360baf3c04d83a67dadfe851d3"
        )
    };
}

pub(super) fn rows() -> Vec<Row> {
    vec![
        // Service and buckets.
        r("list_buckets", "GET", "/", &[], ListBuckets),
        r(
            "list_buckets(MaxBuckets, Prefix)",
            "GET",
            "/?max-buckets=10&prefix=b",
            &[],
            ListBuckets,
        ),
        r("create_bucket", "PUT", "/bkt", &[], CreateBucket),
        r("head_bucket", "HEAD", "/bkt", &[], HeadBucket),
        r(
            "get_bucket_location",
            "GET",
            "/bkt?location",
            &[],
            GetBucketLocation,
        ),
        r("delete_bucket", "DELETE", "/bkt", &[], DeleteBucket),
        // Listing. botocore always appends encoding-type=url to the listings.
        r(
            "list_objects",
            "GET",
            "/bkt?encoding-type=url",
            &[],
            ListObjects,
        ),
        r(
            "list_objects(Prefix='', Delimiter, Marker, MaxKeys)",
            "GET",
            "/bkt?prefix=&delimiter=%2F&marker=a&max-keys=5&encoding-type=url",
            &[],
            ListObjects,
        ),
        r(
            "list_objects_v2",
            "GET",
            "/bkt?list-type=2&encoding-type=url",
            &[],
            ListObjectsV2,
        ),
        r(
            "list_objects_v2(all params)",
            "GET",
            "/bkt?list-type=2&prefix=dir%2F&delimiter=%2F&max-keys=5&start-after=a\
             &fetch-owner=true&continuation-token=tok&encoding-type=url",
            &[],
            ListObjectsV2,
        ),
        r(
            "list_object_versions",
            "GET",
            "/bkt?versions&encoding-type=url",
            &[],
            ListObjectVersions,
        ),
        r(
            "list_object_versions(all params)",
            "GET",
            "/bkt?versions&prefix=d&key-marker=a&version-id-marker=v&max-keys=3\
             &delimiter=%2F&encoding-type=url",
            &[],
            ListObjectVersions,
        ),
        // Objects.
        r("put_object", "PUT", "/bkt/k", PUT_HDRS, PutObject),
        r(
            "put_object(nested key, ContentType, Metadata, Tagging)",
            "PUT",
            "/bkt/dir/sub/k%20k%2B.txt",
            &[
                "content-type",
                "expect",
                CRC[0],
                "x-amz-meta-a",
                CRC[1],
                "x-amz-tagging",
            ],
            PutObject,
        ),
        r(
            "get_object",
            "GET",
            "/bkt/k",
            &["x-amz-checksum-mode"],
            GetObject,
        ),
        r(
            "get_object(ResponseContentType, ResponseContentDisposition, PartNumber)",
            "GET",
            "/bkt/k?response-content-type=text%2Fplain&response-content-disposition=attachment\
             &partNumber=1",
            &["x-amz-checksum-mode"],
            GetObject,
        ),
        r(
            "get_object(Range, IfMatch)",
            "GET",
            "/bkt/k",
            &["if-match", "range", "x-amz-checksum-mode"],
            GetObject,
        ),
        r(
            "get_object(VersionId)",
            "GET",
            "/bkt/k?versionId=null",
            &["x-amz-checksum-mode"],
            GetObject,
        ),
        r("head_object", "HEAD", "/bkt/k", &[], HeadObject),
        r(
            "head_object(PartNumber)",
            "HEAD",
            "/bkt/k?partNumber=1",
            &[],
            HeadObject,
        ),
        r(
            "get_object_attributes",
            "GET",
            "/bkt/k?attributes",
            &["x-amz-object-attributes: ETag,ObjectSize"],
            GetObjectAttributes,
        ),
        r(
            "copy_object",
            "PUT",
            "/bkt/k2",
            &["x-amz-copy-source: bkt/k"],
            CopyObject,
        ),
        r(
            "copy_object(CopySource.VersionId, MetadataDirective)",
            "PUT",
            "/bkt/k3",
            &[
                "x-amz-copy-source: bkt/k?versionId=null",
                "x-amz-metadata-directive",
            ],
            CopyObject,
        ),
        r("delete_object", "DELETE", "/bkt/k3", &[], DeleteObject),
        r(
            "delete_object(VersionId)",
            "DELETE",
            "/bkt/k3?versionId=null",
            &[],
            DeleteObject,
        ),
        r(
            "delete_objects",
            "POST",
            "/bkt?delete",
            BODY_HDRS,
            DeleteObjects,
        ),
        // Multipart.
        r(
            "create_multipart_upload",
            "POST",
            "/bkt/mp?uploads",
            &[],
            CreateMultipartUpload,
        ),
        r(
            "upload_part",
            "PUT",
            "/bkt/mp?uploadId=KeN4RE&partNumber=1",
            PUT_HDRS,
            UploadPart,
        ),
        r(
            "upload_part_copy",
            "PUT",
            "/bkt/mp?uploadId=KeN4RE&partNumber=2",
            &["x-amz-copy-source: bkt/k"],
            UploadPartCopy,
        ),
        r(
            "upload_part_copy(CopySourceRange)",
            "PUT",
            "/bkt/mp?uploadId=KeN4RE&partNumber=3",
            &[
                "x-amz-copy-source: bkt/k",
                "x-amz-copy-source-range: bytes=0-1",
            ],
            UploadPartCopy,
        ),
        r(
            "list_parts",
            "GET",
            "/bkt/mp?uploadId=KeN4RE",
            &[],
            ListParts,
        ),
        r(
            "list_parts(MaxParts, PartNumberMarker)",
            "GET",
            "/bkt/mp?uploadId=KeN4RE&max-parts=2&part-number-marker=1",
            &[],
            ListParts,
        ),
        r(
            "list_multipart_uploads",
            "GET",
            "/bkt?uploads",
            &[],
            ListMultipartUploads,
        ),
        r(
            "list_multipart_uploads(all params)",
            "GET",
            "/bkt?uploads&prefix=m&delimiter=%2F&key-marker=a&upload-id-marker=u&max-uploads=2",
            &[],
            ListMultipartUploads,
        ),
        r(
            "complete_multipart_upload",
            "POST",
            "/bkt/mp?uploadId=KeN4RE",
            &[],
            CompleteMultipartUpload,
        ),
        r(
            "abort_multipart_upload",
            "DELETE",
            "/bkt/mp2?uploadId=M1uf9K",
            &[],
            AbortMultipartUpload,
        ),
        // Tagging and CORS.
        r(
            "put_object_tagging",
            "PUT",
            "/bkt/k?tagging",
            BODY_HDRS,
            PutObjectTagging,
        ),
        r(
            "get_object_tagging",
            "GET",
            "/bkt/k?tagging",
            &[],
            GetObjectTagging,
        ),
        r(
            "get_object_tagging(VersionId)",
            "GET",
            "/bkt/k?tagging&versionId=null",
            &[],
            GetObjectTagging,
        ),
        r(
            "delete_object_tagging",
            "DELETE",
            "/bkt/k?tagging",
            &[],
            DeleteObjectTagging,
        ),
        r(
            "put_bucket_cors",
            "PUT",
            "/bkt?cors",
            BODY_HDRS,
            PutBucketCors,
        ),
        r("get_bucket_cors", "GET", "/bkt?cors", &[], GetBucketCors),
        r(
            "delete_bucket_cors",
            "DELETE",
            "/bkt?cors",
            &[],
            DeleteBucketCors,
        ),
        // Presigned URLs (generate_presigned_url; the method is the one the URL is used with).
        r(
            "presigned get_object (SigV4)",
            "GET",
            presigned!("/bkt/k?"),
            &[],
            GetObject,
        ),
        r(
            "presigned get_object(ResponseContentType, PartNumber) (SigV4)",
            "GET",
            presigned!("/bkt/k?response-content-type=text%2Fplain&partNumber=1&"),
            &[],
            GetObject,
        ),
        r(
            "presigned put_object (SigV4)",
            "PUT",
            presigned!("/bkt/k?"),
            &[],
            PutObject,
        ),
        r(
            "presigned upload_part (SigV4)",
            "PUT",
            presigned!("/bkt/k?uploadId=U&partNumber=1&"),
            &[],
            UploadPart,
        ),
        r(
            "presigned get_object with session token (SigV4)",
            "GET",
            "/bkt/k?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIDEXAMPLE%2F20261129%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20261129T065441Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host\
             &X-Amz-Security-Token=TOKEN&X-Amz-Signature=8a542a0cc493a7cb",
            &[],
            GetObject,
        ),
        // botocore's default presigner for s3 is still SigV2 (query auth).
        r(
            "presigned get_object (default signer, SigV2)",
            "GET",
            "/bkt/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=ji7lOlISSwfEXuI3SJANJ0moQh8%3D\
             &Expires=1795935333",
            &[],
            GetObject,
        ),
        r(
            "presigned get_object(ResponseContentType) (default signer, SigV2)",
            "GET",
            "/bkt/k?response-content-type=text%2Fplain&AWSAccessKeyId=AKIDEXAMPLE\
             &Signature=feKaaQnBdguGCf5Rx6HRCd1XqwY%3D&Expires=1795935333",
            &[],
            GetObject,
        ),
        r(
            "presigned upload_part (default signer, SigV2)",
            "PUT",
            "/bkt/k?uploadId=U&partNumber=1&AWSAccessKeyId=AKIDEXAMPLE\
             &Signature=tVq9JQNHt4p2U3Wxn6ffhYyxxNY%3D&Expires=1795935333",
            &[],
            UploadPart,
        ),
    ]
}
