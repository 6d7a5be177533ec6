//! Rows captured from aws-cli 1.45.11 (botocore 1.43.11), `s3 = addressing_style = path`,
//! `multipart_threshold = 6MB`, `multipart_chunksize = 5MB`, against a logging proxy.
//!
//! Each row names the command that sent it; high-level `aws s3` commands send several requests
//! and each distinct shape is a row. Header names are as in `boto3.rs` (signing headers
//! dropped). Upload ids are shortened.

use multistore_core::s3::S3Operation::{self, *};

use super::{Client, Row};

fn r(
    name: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [&'static str],
    op: S3Operation,
) -> Row {
    Row::new(Client::AwsCli, name, method, target, headers, Ok(op))
}

const CRC: [&str; 2] = ["x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"];
const UPLOAD_HDRS: &[&str] = &["content-type", "expect", CRC[0], CRC[1]];
const PART_HDRS: &[&str] = &["expect", CRC[0], CRC[1]];

pub(super) fn rows() -> Vec<Row> {
    vec![
        // Service and buckets.
        r("s3 ls", "GET", "/", &[], ListBuckets),
        r("s3api list-buckets", "GET", "/", &[], ListBuckets),
        r("s3 mb", "PUT", "/cli", &[], CreateBucket),
        r("s3api create-bucket", "PUT", "/cli2", &[], CreateBucket),
        r("s3api head-bucket", "HEAD", "/cli", &[], HeadBucket),
        r(
            "s3api get-bucket-location",
            "GET",
            "/cli?location",
            &[],
            GetBucketLocation,
        ),
        r("s3 rb --force", "DELETE", "/cli", &[], DeleteBucket),
        r("s3api delete-bucket", "DELETE", "/cli2", &[], DeleteBucket),
        // Listing.
        r(
            "s3 ls s3://cli",
            "GET",
            "/cli?list-type=2&prefix=&delimiter=%2F&encoding-type=url",
            &[],
            ListObjectsV2,
        ),
        r(
            "s3 ls s3://cli/dir/",
            "GET",
            "/cli?list-type=2&prefix=dir%2F&delimiter=%2F&encoding-type=url",
            &[],
            ListObjectsV2,
        ),
        r(
            "s3 ls --recursive / s3 rm --recursive / s3 rb --force / s3 sync",
            "GET",
            "/cli?list-type=2&prefix=&encoding-type=url",
            &[],
            ListObjectsV2,
        ),
        r(
            "s3 sync dir s3://cli/sync/",
            "GET",
            "/cli?list-type=2&prefix=sync%2F&encoding-type=url",
            &[],
            ListObjectsV2,
        ),
        r(
            "s3api list-objects-v2 --prefix api/ --delimiter /",
            "GET",
            "/cli?list-type=2&delimiter=%2F&prefix=api%2F&encoding-type=url",
            &[],
            ListObjectsV2,
        ),
        r(
            "s3api list-objects --prefix api/",
            "GET",
            "/cli?prefix=api%2F&encoding-type=url",
            &[],
            ListObjects,
        ),
        r(
            "s3api list-object-versions",
            "GET",
            "/cli?versions&encoding-type=url",
            &[],
            ListObjectVersions,
        ),
        // Objects.
        r(
            "s3 cp small.bin s3://cli/dir/small.bin",
            "PUT",
            "/cli/dir/small.bin",
            UPLOAD_HDRS,
            PutObject,
        ),
        r(
            "s3 sync dir s3://cli/sync/",
            "PUT",
            "/cli/sync/a.txt",
            UPLOAD_HDRS,
            PutObject,
        ),
        r(
            "s3api put-object",
            "PUT",
            "/cli/api/k",
            PART_HDRS,
            PutObject,
        ),
        r(
            "s3 cp s3://cli/dir/small.bin . (probe)",
            "HEAD",
            "/cli/dir/small.bin",
            &[],
            HeadObject,
        ),
        r("s3api head-object", "HEAD", "/cli/api/k", &[], HeadObject),
        r(
            "s3 cp s3://cli/dir/small.bin .",
            "GET",
            "/cli/dir/small.bin",
            &["x-amz-checksum-mode"],
            GetObject,
        ),
        r(
            "s3 cp s3://cli3/big.bin . (ranged parts)",
            "GET",
            "/cli3/big.bin",
            &["if-match", "range: bytes=0-5242879", "x-amz-checksum-mode"],
            GetObject,
        ),
        r(
            "s3api get-object --range",
            "GET",
            "/cli/api/k",
            &["range", "x-amz-checksum-mode"],
            GetObject,
        ),
        r(
            "s3api get-object --response-content-type --part-number",
            "GET",
            "/cli/api/k?response-content-type=text%2Fplain&partNumber=1",
            &["x-amz-checksum-mode"],
            GetObject,
        ),
        r(
            "s3api get-object-attributes",
            "GET",
            "/cli/api/k?attributes",
            &["x-amz-object-attributes: ETag,ObjectSize"],
            GetObjectAttributes,
        ),
        r(
            "s3 cp s3://cli/dir/small.bin s3://cli/copy.bin",
            "PUT",
            "/cli/copy.bin",
            &["content-type", "x-amz-copy-source: cli/dir/small.bin"],
            CopyObject,
        ),
        r(
            "s3 mv s3://cli/copy.bin s3://cli/moved.bin (copy)",
            "PUT",
            "/cli/moved.bin",
            &["content-type", "x-amz-copy-source: cli/copy.bin"],
            CopyObject,
        ),
        r(
            "s3api copy-object",
            "PUT",
            "/cli/api/k2",
            &["x-amz-copy-source: cli/api/k"],
            CopyObject,
        ),
        r(
            "s3 mv (delete source)",
            "DELETE",
            "/cli/copy.bin",
            &[],
            DeleteObject,
        ),
        r(
            "s3 rm / s3 rm --recursive",
            "DELETE",
            "/cli/moved.bin",
            &[],
            DeleteObject,
        ),
        r(
            "s3api delete-object",
            "DELETE",
            "/cli/api/k2",
            &[],
            DeleteObject,
        ),
        r(
            "s3api delete-objects",
            "POST",
            "/cli?delete",
            &[CRC[0], CRC[1]],
            DeleteObjects,
        ),
        // `aws s3 presign` uses the SigV2 query signer by default.
        r(
            "s3 presign s3://cli/moved.bin",
            "GET",
            "/cli/moved.bin?AWSAccessKeyId=AKIDEXAMPLE&Signature=MJAJyJOzty6KOly7SlUzeUWISIs%3D\
             &Expires=1795938908",
            &[],
            GetObject,
        ),
        // Multipart: `aws s3 cp` of a 13 MB file, and of a 13 MB object (multipart copy).
        r(
            "s3 cp big.bin s3://cli/big.bin (initiate)",
            "POST",
            "/cli/big.bin?uploads",
            &["content-type", "x-amz-checksum-algorithm"],
            CreateMultipartUpload,
        ),
        r(
            "s3 cp big.bin s3://cli/big.bin (part)",
            "PUT",
            "/cli/big.bin?uploadId=0imS9J&partNumber=3",
            PART_HDRS,
            UploadPart,
        ),
        r(
            "s3 cp big.bin s3://cli/big.bin (complete)",
            "POST",
            "/cli/big.bin?uploadId=0imS9J",
            &[],
            CompleteMultipartUpload,
        ),
        r(
            "s3 cp s3://cli3/big.bin s3://cli3/bigcopy.bin (initiate)",
            "POST",
            "/cli3/bigcopy.bin?uploads",
            &["content-type"],
            CreateMultipartUpload,
        ),
        r(
            "s3 cp s3://cli3/big.bin s3://cli3/bigcopy.bin (part copy)",
            "PUT",
            "/cli3/bigcopy.bin?uploadId=YHzRsn&partNumber=1",
            &[
                "x-amz-copy-source: cli3/big.bin",
                "x-amz-copy-source-if-match",
                "x-amz-copy-source-range: bytes=0-5242879",
            ],
            UploadPartCopy,
        ),
        r(
            "s3 cp s3://cli3/big.bin s3://cli3/bigcopy.bin (complete)",
            "POST",
            "/cli3/bigcopy.bin?uploadId=YHzRsn",
            &[],
            CompleteMultipartUpload,
        ),
        r(
            "s3api create-multipart-upload",
            "POST",
            "/cli/api/mp2?uploads",
            &[],
            CreateMultipartUpload,
        ),
        r(
            "s3api upload-part",
            "PUT",
            "/cli/api/mp?partNumber=1&uploadId=mNnCnT",
            PART_HDRS,
            UploadPart,
        ),
        r(
            "s3api upload-part-copy",
            "PUT",
            "/cli/api/mp?partNumber=2&uploadId=mNnCnT",
            &["x-amz-copy-source: cli/api/k"],
            UploadPartCopy,
        ),
        r(
            "s3api list-parts",
            "GET",
            "/cli/api/mp?uploadId=mNnCnT",
            &[],
            ListParts,
        ),
        r(
            "s3api list-multipart-uploads",
            "GET",
            "/cli?uploads",
            &[],
            ListMultipartUploads,
        ),
        r(
            "s3api abort-multipart-upload",
            "DELETE",
            "/cli/api/mp?uploadId=mNnCnT",
            &[],
            AbortMultipartUpload,
        ),
        // Tagging and CORS.
        r(
            "s3api put-object-tagging",
            "PUT",
            "/cli/api/k?tagging",
            &[CRC[0], CRC[1]],
            PutObjectTagging,
        ),
        r(
            "s3api get-object-tagging",
            "GET",
            "/cli/api/k?tagging",
            &[],
            GetObjectTagging,
        ),
        r(
            "s3api delete-object-tagging",
            "DELETE",
            "/cli/api/k?tagging",
            &[],
            DeleteObjectTagging,
        ),
        r(
            "s3api put-bucket-cors",
            "PUT",
            "/cli?cors",
            &[CRC[0], CRC[1]],
            PutBucketCors,
        ),
        r(
            "s3api get-bucket-cors",
            "GET",
            "/cli?cors",
            &[],
            GetBucketCors,
        ),
        r(
            "s3api delete-bucket-cors",
            "DELETE",
            "/cli?cors",
            &[],
            DeleteBucketCors,
        ),
    ]
}
