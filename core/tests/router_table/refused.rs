//! Requests that must be refused, each with the exact `RouteError`: every operation of the
//! model that multistore does not serve, and the fall-through shapes that a peer gateway got
//! wrong (a subresource it did not know routed to the plain data operation).

use multistore_core::s3::S3Operation::*;

use super::{
    Client, Row, conflicting_x_id, method_not_allowed, missing, not_implemented, unsupported,
};

fn no(
    name: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [&'static str],
    expect: Result<multistore_core::s3::S3Operation, multistore_core::codec::route::RouteError>,
) -> Row {
    Row::new(Client::Edge, name, method, target, headers, expect)
}

/// An unserved operation, refused by its model name.
fn ni(method: &'static str, target: &'static str, operation: &'static str) -> Row {
    no(operation, method, target, &[], not_implemented(operation))
}

pub(super) fn rows() -> Vec<Row> {
    let mut rows = vec![
        // Object subresources (the boto3 rows are the captured shapes).
        no(
            "boto3 get_object_acl",
            "GET",
            "/bkt/k?acl",
            &[],
            not_implemented("GetObjectAcl"),
        ),
        no(
            "boto3 put_object_acl",
            "PUT",
            "/bkt/k?acl",
            &[
                "x-amz-acl: private",
                "x-amz-checksum-crc32",
                "x-amz-sdk-checksum-algorithm",
            ],
            not_implemented("PutObjectAcl"),
        ),
        no(
            "GetObjectAcl with versionId",
            "GET",
            "/b/k?acl&versionId=v",
            &[],
            not_implemented("GetObjectAcl"),
        ),
        no(
            "boto3 get_object_retention",
            "GET",
            "/bkt/k?retention",
            &[],
            not_implemented("GetObjectRetention"),
        ),
        no(
            "PutObjectRetention",
            "PUT",
            "/b/k?retention",
            &[],
            not_implemented("PutObjectRetention"),
        ),
        no(
            "boto3 get_object_legal_hold",
            "GET",
            "/bkt/k?legal-hold",
            &[],
            not_implemented("GetObjectLegalHold"),
        ),
        no(
            "PutObjectLegalHold",
            "PUT",
            "/b/k?legal-hold",
            &[],
            not_implemented("PutObjectLegalHold"),
        ),
        no(
            "boto3 get_object_torrent",
            "GET",
            "/bkt/k?torrent",
            &[],
            not_implemented("GetObjectTorrent"),
        ),
        no(
            "boto3 restore_object",
            "POST",
            "/bkt/k?restore",
            &[],
            not_implemented("RestoreObject"),
        ),
        no(
            "boto3 select_object_content",
            "POST",
            "/bkt/k?select&select-type=2",
            &[],
            not_implemented("SelectObjectContent"),
        ),
        // boto3 1.43 knows RenameObject; the pinned model does not, so the key is unknown.
        no(
            "boto3 rename_object (not in the pinned model)",
            "PUT",
            "/bkt/k9?renameObject",
            &["x-amz-client-token", "x-amz-rename-source: bkt/k"],
            unsupported("renameObject"),
        ),
        // Root.
        no(
            "aws-sdk-rust list_directory_buckets",
            "GET",
            "/?x-id=ListDirectoryBuckets",
            &[],
            not_implemented("ListDirectoryBuckets"),
        ),
        no(
            "aws-sdk-rust list_directory_buckets(max-directory-buckets)",
            "GET",
            "/?x-id=ListDirectoryBuckets&max-directory-buckets=5",
            &[],
            not_implemented("ListDirectoryBuckets"),
        ),
        // Bucket configuration with an id (Get/Put/Delete need `id`; List has none).
        no(
            "boto3 get_bucket_analytics_configuration",
            "GET",
            "/bkt?analytics&id=x",
            &[],
            not_implemented("GetBucketAnalyticsConfiguration"),
        ),
        no(
            "boto3 list_bucket_analytics_configurations",
            "GET",
            "/bkt?analytics",
            &[],
            not_implemented("ListBucketAnalyticsConfigurations"),
        ),
        no(
            "aws-sdk-rust get_bucket_analytics_configuration (x-id)",
            "GET",
            "/b?analytics&x-id=GetBucketAnalyticsConfiguration&id=x",
            &[],
            not_implemented("GetBucketAnalyticsConfiguration"),
        ),
        no(
            "PutBucketAnalyticsConfiguration without its id",
            "PUT",
            "/b?analytics",
            &[],
            not_implemented("PutBucketAnalyticsConfiguration"),
        ),
        no(
            "DeleteBucketMetricsConfiguration without its id",
            "DELETE",
            "/b?metrics",
            &[],
            not_implemented("DeleteBucketMetricsConfiguration"),
        ),
        // The captured bucket-level shapes.
        no(
            "boto3 get_bucket_acl",
            "GET",
            "/bkt?acl",
            &[],
            not_implemented("GetBucketAcl"),
        ),
        no(
            "boto3 get_bucket_policy",
            "GET",
            "/bkt?policy",
            &[],
            not_implemented("GetBucketPolicy"),
        ),
        no(
            "boto3 get_bucket_tagging",
            "GET",
            "/bkt?tagging",
            &[],
            not_implemented("GetBucketTagging"),
        ),
        no(
            "boto3 get_bucket_versioning",
            "GET",
            "/bkt?versioning",
            &[],
            not_implemented("GetBucketVersioning"),
        ),
        no(
            "boto3 get_bucket_policy_status",
            "GET",
            "/bkt?policyStatus",
            &[],
            not_implemented("GetBucketPolicyStatus"),
        ),
        no(
            "PutBucketPolicy (raw JSON body)",
            "PUT",
            "/b?policy",
            &["content-type: application/json", "content-md5"],
            not_implemented("PutBucketPolicy"),
        ),
        no(
            "PutBucketTagging (bucket tagging is not served)",
            "PUT",
            "/b?tagging",
            &["content-md5"],
            not_implemented("PutBucketTagging"),
        ),
    ];
    // One row per remaining unserved operation of the model, by (method, subresource).
    for (op, method, target) in [
        (
            "GetBucketIntelligentTieringConfiguration",
            "GET",
            "/b?intelligent-tiering&id=x",
        ),
        (
            "ListBucketIntelligentTieringConfigurations",
            "GET",
            "/b?intelligent-tiering",
        ),
        (
            "PutBucketIntelligentTieringConfiguration",
            "PUT",
            "/b?intelligent-tiering&id=x",
        ),
        (
            "DeleteBucketIntelligentTieringConfiguration",
            "DELETE",
            "/b?intelligent-tiering&id=x",
        ),
        (
            "GetBucketInventoryConfiguration",
            "GET",
            "/b?inventory&id=x",
        ),
        ("ListBucketInventoryConfigurations", "GET", "/b?inventory"),
        (
            "PutBucketInventoryConfiguration",
            "PUT",
            "/b?inventory&id=x",
        ),
        (
            "DeleteBucketInventoryConfiguration",
            "DELETE",
            "/b?inventory&id=x",
        ),
        ("GetBucketMetricsConfiguration", "GET", "/b?metrics&id=x"),
        ("ListBucketMetricsConfigurations", "GET", "/b?metrics"),
        ("PutBucketMetricsConfiguration", "PUT", "/b?metrics&id=x"),
        (
            "DeleteBucketAnalyticsConfiguration",
            "DELETE",
            "/b?analytics&id=x",
        ),
        ("PutBucketAcl", "PUT", "/b?acl"),
        ("DeleteBucketPolicy", "DELETE", "/b?policy"),
        ("PutBucketVersioning", "PUT", "/b?versioning"),
        ("GetBucketLifecycleConfiguration", "GET", "/b?lifecycle"),
        ("PutBucketLifecycleConfiguration", "PUT", "/b?lifecycle"),
        ("DeleteBucketLifecycle", "DELETE", "/b?lifecycle"),
        ("GetBucketWebsite", "GET", "/b?website"),
        ("PutBucketWebsite", "PUT", "/b?website"),
        ("DeleteBucketWebsite", "DELETE", "/b?website"),
        ("GetBucketLogging", "GET", "/b?logging"),
        ("PutBucketLogging", "PUT", "/b?logging"),
        (
            "GetBucketNotificationConfiguration",
            "GET",
            "/b?notification",
        ),
        (
            "PutBucketNotificationConfiguration",
            "PUT",
            "/b?notification",
        ),
        ("GetBucketReplication", "GET", "/b?replication"),
        ("PutBucketReplication", "PUT", "/b?replication"),
        ("DeleteBucketReplication", "DELETE", "/b?replication"),
        ("GetBucketEncryption", "GET", "/b?encryption"),
        ("PutBucketEncryption", "PUT", "/b?encryption"),
        ("DeleteBucketEncryption", "DELETE", "/b?encryption"),
        ("GetObjectLockConfiguration", "GET", "/b?object-lock"),
        ("PutObjectLockConfiguration", "PUT", "/b?object-lock"),
        ("GetBucketOwnershipControls", "GET", "/b?ownershipControls"),
        ("PutBucketOwnershipControls", "PUT", "/b?ownershipControls"),
        (
            "DeleteBucketOwnershipControls",
            "DELETE",
            "/b?ownershipControls",
        ),
        ("GetPublicAccessBlock", "GET", "/b?publicAccessBlock"),
        ("PutPublicAccessBlock", "PUT", "/b?publicAccessBlock"),
        ("DeletePublicAccessBlock", "DELETE", "/b?publicAccessBlock"),
        ("GetBucketAccelerateConfiguration", "GET", "/b?accelerate"),
        ("PutBucketAccelerateConfiguration", "PUT", "/b?accelerate"),
        ("GetBucketRequestPayment", "GET", "/b?requestPayment"),
        ("PutBucketRequestPayment", "PUT", "/b?requestPayment"),
        ("DeleteBucketTagging", "DELETE", "/b?tagging"),
        ("CreateSession", "GET", "/b?session"),
        (
            "GetBucketMetadataTableConfiguration",
            "GET",
            "/b?metadataTable",
        ),
        (
            "CreateBucketMetadataTableConfiguration",
            "POST",
            "/b?metadataTable",
        ),
        (
            "DeleteBucketMetadataTableConfiguration",
            "DELETE",
            "/b?metadataTable",
        ),
    ] {
        rows.push(ni(method, target, op));
    }
    rows.extend(fall_through());
    rows
}

/// The peer gateway's fall-through bugs, and their neighbours: a request that names
/// something the chosen operation does not take is never served as that operation.
fn fall_through() -> Vec<Row> {
    let cp = &["x-amz-copy-source: b/src"];
    vec![
        no(
            "PUT ?tagging is PutObjectTagging, never PutObject",
            "PUT",
            "/b/k?tagging",
            &[],
            Ok(PutObjectTagging),
        ),
        no(
            "DELETE ?tagging is DeleteObjectTagging, never DeleteObject",
            "DELETE",
            "/b/k?tagging",
            &[],
            Ok(DeleteObjectTagging),
        ),
        no(
            "GET ?uploadId is ListParts, never GetObject",
            "GET",
            "/b/k?uploadId=X",
            &[],
            Ok(ListParts),
        ),
        no(
            "partNumber without uploadId is a broken UploadPart, not a PutObject",
            "PUT",
            "/b/k?partNumber=1",
            &[],
            missing("UploadPart", "uploadId"),
        ),
        no(
            "uploadId without partNumber is a broken UploadPart, not a PutObject",
            "PUT",
            "/b/k?uploadId=U",
            &[],
            missing("UploadPart", "partNumber"),
        ),
        no(
            "a copy with partNumber but no uploadId is a broken UploadPartCopy",
            "PUT",
            "/b/k?partNumber=1",
            cp,
            missing("UploadPartCopy", "uploadId"),
        ),
        no(
            "?attributes without x-amz-object-attributes",
            "GET",
            "/b/k?attributes",
            &[],
            missing("GetObjectAttributes", "x-amz-object-attributes"),
        ),
        no(
            "POST to an object without uploadId",
            "POST",
            "/b/k",
            &[],
            missing("CompleteMultipartUpload", "uploadId"),
        ),
        no(
            "unknown valueless subresource",
            "GET",
            "/b/k?foo",
            &[],
            unsupported("foo"),
        ),
        no(
            "unknown valueless subresource written foo=",
            "GET",
            "/b/k?foo=",
            &[],
            unsupported("foo"),
        ),
        no(
            "unknown valueless subresource on a bucket",
            "GET",
            "/b?foo",
            &[],
            unsupported("foo"),
        ),
        no(
            "a listing key on GetObject",
            "GET",
            "/b/k?prefix=x",
            &[],
            unsupported("prefix"),
        ),
        no(
            "a V2 key on ListObjects v1",
            "GET",
            "/b?continuation-token=t",
            &[],
            unsupported("continuation-token"),
        ),
        no(
            "list-type other than 2",
            "GET",
            "/b?list-type=3",
            &[],
            unsupported("list-type"),
        ),
        no(
            "uploadId next to ?tagging",
            "DELETE",
            "/b/k?tagging&uploadId=U",
            &[],
            unsupported("uploadId"),
        ),
        no(
            "versionId on a bucket delete",
            "DELETE",
            "/b?versionId=v",
            &[],
            unsupported("versionId"),
        ),
        no("acl on HEAD", "HEAD", "/b?acl", &[], unsupported("acl")),
        no(
            "ListDirectoryBuckets parameter without its x-id",
            "GET",
            "/?max-directory-buckets=5",
            &[],
            unsupported("max-directory-buckets"),
        ),
        no(
            "POST /b bare (browser POST-object form)",
            "POST",
            "/b",
            &["content-type: multipart/form-data; boundary=x"],
            not_implemented("this request"),
        ),
        no(
            "WriteGetObjectResponse (Object Lambda host; a bare POST here)",
            "POST",
            "/WriteGetObjectResponse",
            &["x-amz-request-route", "x-amz-request-token"],
            not_implemented("this request"),
        ),
        no(
            "PATCH an object",
            "PATCH",
            "/b/k",
            &[],
            method_not_allowed("PATCH"),
        ),
        no(
            "PUT the service",
            "PUT",
            "/",
            &[],
            method_not_allowed("PUT"),
        ),
        no(
            "DELETE the service",
            "DELETE",
            "/",
            &[],
            method_not_allowed("DELETE"),
        ),
        no(
            "OPTIONS (CORS preflight is not a model operation)",
            "OPTIONS",
            "/b/k",
            &[],
            method_not_allowed("OPTIONS"),
        ),
        // x-id must name the operation the request is.
        no(
            "x-id naming another method's op",
            "GET",
            "/b/k?x-id=PutObject",
            &[],
            conflicting_x_id("PutObject", "GetObject"),
        ),
        no(
            "x-id naming an unknown op",
            "GET",
            "/b/k?x-id=Nope",
            &[],
            conflicting_x_id("Nope", "GetObject"),
        ),
        no(
            "x-id=PutObject on a request with x-amz-copy-source (S3 ignores x-id: a copy)",
            "PUT",
            "/b/k?x-id=PutObject",
            cp,
            conflicting_x_id("PutObject", "CopyObject"),
        ),
        no(
            "x-id=UploadPart on a request with x-amz-copy-source (S3 ignores x-id: a part copy)",
            "PUT",
            "/b/k?x-id=UploadPart&partNumber=1&uploadId=U",
            cp,
            conflicting_x_id("UploadPart", "UploadPartCopy"),
        ),
    ]
}
