//! The gateway with aws-sdk-s3 in front of each real backend (embedded directory, s3s-fs,
//! moto): ListBuckets, HeadBucket, GetBucketLocation, object put/get/head/delete, user
//! metadata (non-ASCII included), CopyObject, DeleteObjects, GetObjectAttributes, tagging, and
//! the bucket's CORS rules from the configuration (GetBucketCors and the preflight).

mod support;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CorsConfiguration, CorsRule, Delete, MetadataDirective, ObjectAttributes,
    ObjectIdentifier, Tag, Tagging,
};
use http::Method;
use support::raw::Raw;
use support::{BUCKET, Harness, Kind, ORIGIN, SIDE, backend_lacks, crc32_b64, data, failure, show};

matrix!(
    service_and_bucket_operations,
    put_get_head_delete,
    user_metadata_round_trip,
    non_ascii_user_metadata_round_trip,
    copy_object_within_the_backend,
    delete_objects_reports_each_key,
    get_object_attributes,
    tagging_get_put_delete,
    bucket_cors_comes_from_the_configuration,
);

async fn service_and_bucket_operations(h: &Harness) {
    let listed = h.s3.list_buckets().send().await.expect("ListBuckets");
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(
        names,
        [BUCKET, SIDE],
        "ListBuckets shows the configured buckets only"
    );

    h.s3.head_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("HeadBucket");
    let (status, _) = failure(h.s3.head_bucket().bucket("not-configured").send().await);
    assert_eq!(status, 404, "HeadBucket of an unknown bucket");

    let location =
        h.s3.get_bucket_location()
            .bucket(BUCKET)
            .send()
            .await
            .expect("GetBucketLocation");
    // us-east-1 is the empty constraint; the SDK reads the empty element as `Unknown("")`.
    let constraint = location.location_constraint().map(|c| c.as_str());
    assert!(matches!(constraint, None | Some("")), "{constraint:?}");

    // S3 in us-east-1 answers its owner 200 (gateway_bucket_lifecycle.rs covers the rest).
    let created = h.s3.create_bucket().bucket(BUCKET).send().await;
    assert_eq!(created.expect("CreateBucket").location(), Some("/gw-main"));
    let (status, code) = failure(h.s3.delete_bucket().bucket(BUCKET).send().await);
    assert_eq!(
        (status, code.as_str()),
        (403, "AccessDenied"),
        "a configured bucket is not deleted"
    );
    let (status, code) = failure(
        h.s3.get_object()
            .bucket("not-configured")
            .key("k")
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
}

async fn put_get_head_delete(h: &Harness) {
    let body = data(70_000, 1);
    let put =
        h.s3.put_object()
            .bucket(BUCKET)
            .key("docs/report.txt")
            .content_type("text/plain; charset=utf-8")
            .cache_control("max-age=60")
            .content_disposition("attachment; filename=\"report.txt\"")
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .expect("PutObject");
    let md5 = format!("\"{}\"", support::md5_hex(&body));
    assert_eq!(
        put.e_tag(),
        Some(md5.as_str()),
        "the ETag is the body's MD5"
    );

    let got =
        h.s3.get_object()
            .bucket(BUCKET)
            .key("docs/report.txt")
            .send()
            .await
            .expect("GetObject");
    assert_eq!(got.content_length(), Some(70_000));
    assert_eq!(got.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(
        got.content_disposition(),
        Some("attachment; filename=\"report.txt\"")
    );
    assert_eq!(got.e_tag(), Some(md5.as_str()));
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        body.as_slice()
    );

    let head =
        h.s3.head_object()
            .bucket(BUCKET)
            .key("docs/report.txt")
            .send()
            .await
            .expect("HeadObject");
    assert_eq!(head.content_length(), Some(70_000));
    assert_eq!(head.e_tag(), Some(md5.as_str()));
    assert!(head.last_modified().is_some());

    // An empty object.
    h.put("empty", Vec::new()).await;
    assert_eq!(h.get("empty").await, b"");

    h.s3.delete_object()
        .bucket(BUCKET)
        .key("docs/report.txt")
        .send()
        .await
        .expect("DeleteObject");
    let (status, code) = failure(
        h.s3.get_object()
            .bucket(BUCKET)
            .key("docs/report.txt")
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (404, "NoSuchKey"));
    let (status, _) = failure(
        h.s3.head_object()
            .bucket(BUCKET)
            .key("docs/report.txt")
            .send()
            .await,
    );
    assert_eq!(status, 404);
    // Deleting a missing key succeeds, as in S3.
    h.s3.delete_object()
        .bucket(BUCKET)
        .key("never-was")
        .send()
        .await
        .expect("DeleteObject of a missing key");
}

async fn user_metadata_round_trip(h: &Harness) {
    // An RFC 2047 encoded word is how S3 itself carries non-ASCII values: plain ASCII here.
    let encoded = "=?UTF-8?B?Y2Fmw6kg4piVIOaXpeacrA==?=";
    h.s3.put_object()
        .bucket(BUCKET)
        .key("meta")
        .metadata("plain", "value with spaces")
        .metadata("mixed-case", "Keep-Case")
        .metadata("encoded", encoded)
        .content_language("fr")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: PutObject with metadata: {}", h.name(), show(&e)));
    let head =
        h.s3.head_object()
            .bucket(BUCKET)
            .key("meta")
            .send()
            .await
            .expect("HeadObject");
    let meta = head.metadata().expect("metadata");
    assert_eq!(
        meta.get("plain").map(String::as_str),
        Some("value with spaces")
    );
    assert_eq!(
        meta.get("mixed-case").map(String::as_str),
        Some("Keep-Case")
    );
    assert_eq!(meta.get("encoded").map(String::as_str), Some(encoded));
    assert_eq!(meta.len(), 3, "no extra metadata: {meta:?}");
    assert_eq!(head.content_language(), Some("fr"));
    let got =
        h.s3.get_object()
            .bucket(BUCKET)
            .key("meta")
            .send()
            .await
            .expect("GetObject");
    assert_eq!(
        got.metadata(),
        head.metadata(),
        "GetObject and HeadObject agree"
    );
}

/// The SDK sends a non-ASCII metadata value as raw UTF-8 header bytes. It must be accepted,
/// and come back either as sent or RFC 2047 encoded (as S3 returns it).
async fn non_ascii_user_metadata_round_trip(h: &Harness) {
    let value = "café ☕ 日本";
    h.s3.put_object()
        .bucket(BUCKET)
        .key("meta-utf8")
        .metadata("unicode", value)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: PutObject with UTF-8 metadata: {}", h.name(), show(&e)));
    let head =
        h.s3.head_object()
            .bucket(BUCKET)
            .key("meta-utf8")
            .send()
            .await
            .expect("HeadObject");
    let got = head
        .metadata()
        .and_then(|m| m.get("unicode"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        decode_rfc2047(&got),
        value,
        "{}: stored as {got:?}",
        h.name()
    );
}

/// `=?UTF-8?B?...?=` decoded; anything else as is.
fn decode_rfc2047(s: &str) -> String {
    use base64::Engine as _;
    let inner = s
        .strip_prefix("=?UTF-8?B?")
        .or_else(|| s.strip_prefix("=?utf-8?b?"));
    match inner.and_then(|i| i.strip_suffix("?=")) {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            String::from_utf8(bytes).unwrap()
        }
        None => s.to_owned(),
    }
}

async fn copy_object_within_the_backend(h: &Harness) {
    let body = data(10_000, 2);
    h.s3.put_object()
        .bucket(BUCKET)
        .key("src/one")
        .metadata("origin", "source")
        .content_type("application/x-test")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("PutObject");
    let copied =
        h.s3.copy_object()
            .bucket(BUCKET)
            .key("dst/one")
            .copy_source(format!("{BUCKET}/src/one"))
            .send()
            .await
            .expect("CopyObject");
    let etag = copied
        .copy_object_result()
        .and_then(|r| r.e_tag())
        .expect("CopyObjectResult ETag");
    assert_eq!(etag, format!("\"{}\"", support::md5_hex(&body)));
    assert_eq!(h.get("dst/one").await, body);
    let head =
        h.s3.head_object()
            .bucket(BUCKET)
            .key("dst/one")
            .send()
            .await
            .unwrap();
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("source"),
        "COPY keeps metadata"
    );
    assert_eq!(head.content_type(), Some("application/x-test"));

    h.s3.copy_object()
        .bucket(BUCKET)
        .key("dst/two")
        .copy_source(format!("{BUCKET}/src/one"))
        .metadata_directive(MetadataDirective::Replace)
        .metadata("origin", "replaced")
        .send()
        .await
        .expect("CopyObject REPLACE");
    let head =
        h.s3.head_object()
            .bucket(BUCKET)
            .key("dst/two")
            .send()
            .await
            .unwrap();
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("replaced")
    );

    let (status, code) = failure(
        h.s3.copy_object()
            .bucket(BUCKET)
            .key("dst/three")
            .copy_source(format!("{BUCKET}/src/missing"))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (404, "NoSuchKey"));
    assert!(!h.exists("dst/three").await);
}

async fn delete_objects_reports_each_key(h: &Harness) {
    for key in ["del/a", "del/b", "keep"] {
        h.put(key, key.as_bytes().to_vec()).await;
    }
    let ids = ["del/a", "del/b", "del/missing"]
        .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
        .to_vec();
    let out =
        h.s3.delete_objects()
            .bucket(BUCKET)
            .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
            .send()
            .await
            .expect("DeleteObjects");
    let mut deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort_unstable();
    assert_eq!(
        deleted,
        ["del/a", "del/b", "del/missing"],
        "a missing key counts as deleted"
    );
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert!(!h.exists("del/a").await && !h.exists("del/b").await);
    assert!(h.exists("keep").await);

    let quiet =
        h.s3.delete_objects()
            .bucket(BUCKET)
            .delete(
                Delete::builder()
                    .objects(ObjectIdentifier::builder().key("keep").build().unwrap())
                    .quiet(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("quiet DeleteObjects");
    if h.kind == Kind::Local {
        assert!(quiet.deleted().is_empty(), "quiet mode lists no deletions");
    } else {
        // Backend lacks DeleteObjects Quiet: moto and s3s-fs list the deletions anyway, and
        // the gateway relays their answer.
        assert_eq!(
            quiet.deleted().len(),
            1,
            "{}: backend lacks Quiet",
            h.name()
        );
        eprintln!(
            "{}: backend lacks DeleteObjects Quiet (asserted: deletions listed)",
            h.name()
        );
    }
    assert!(!h.exists("keep").await);
}

async fn get_object_attributes(h: &Harness) {
    let body = data(3_000, 3);
    h.s3.put_object()
        .bucket(BUCKET)
        .key("attrs")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("PutObject");
    let result =
        h.s3.get_object_attributes()
            .bucket(BUCKET)
            .key("attrs")
            .object_attributes(ObjectAttributes::Etag)
            .object_attributes(ObjectAttributes::ObjectSize)
            .object_attributes(ObjectAttributes::Checksum)
            .object_attributes(ObjectAttributes::StorageClass)
            .send()
            .await;
    if h.kind == Kind::S3sFs {
        return backend_lacks(h, "GetObjectAttributes", result);
    }
    if h.kind == Kind::Moto {
        // Backend lacks an HTTP-date Last-Modified on GetObjectAttributes: moto sends ISO 8601,
        // which the SDK refuses to parse. The gateway relays it; the body is right.
        let e = result.expect_err("moto's Last-Modified is not an HTTP date");
        let raw = e.raw_response().expect("a response");
        assert_eq!(raw.status().as_u16(), 200);
        let modified = raw.headers().get("last-modified").unwrap_or_default();
        assert!(modified.contains('T'), "ISO 8601: {modified}");
        let xml = String::from_utf8_lossy(raw.body().bytes().unwrap()).into_owned();
        for part in [
            "<ObjectSize>3000</ObjectSize>".to_owned(),
            format!("<ETag>{}</ETag>", support::md5_hex(&body)),
            format!("<ChecksumCRC32>{}</ChecksumCRC32>", crc32_b64(&body)),
        ] {
            assert!(xml.contains(&part), "{part} in {xml}");
        }
        eprintln!(
            "moto: backend lacks an HTTP-date Last-Modified on GetObjectAttributes (asserted)"
        );
        return;
    }
    let attrs =
        result.unwrap_or_else(|e| panic!("{}: GetObjectAttributes: {}", h.name(), show(&e)));
    assert_eq!(attrs.object_size(), Some(3_000));
    assert_eq!(
        attrs.e_tag(),
        Some(support::md5_hex(&body).as_str()),
        "ETag without quotes"
    );
    let crc = attrs.checksum().and_then(|c| c.checksum_crc32());
    assert_eq!(
        crc,
        Some(crc32_b64(&body).as_str()),
        "the CRC32 sent with the upload"
    );
}

async fn tagging_get_put_delete(h: &Harness) {
    h.put("tagged", b"t".to_vec()).await;
    let tagging = Tagging::builder()
        .tag_set(Tag::builder().key("team").value("storage").build().unwrap())
        .tag_set(Tag::builder().key("tier").value("hot").build().unwrap())
        .build()
        .unwrap();
    let put =
        h.s3.put_object_tagging()
            .bucket(BUCKET)
            .key("tagged")
            .tagging(tagging)
            .send()
            .await;
    if h.kind == Kind::S3sFs {
        backend_lacks(h, "PutObjectTagging", put);
        backend_lacks(
            h,
            "GetObjectTagging",
            h.s3.get_object_tagging()
                .bucket(BUCKET)
                .key("tagged")
                .send()
                .await,
        );
        backend_lacks(
            h,
            "DeleteObjectTagging",
            h.s3.delete_object_tagging()
                .bucket(BUCKET)
                .key("tagged")
                .send()
                .await,
        );
        return;
    }
    put.unwrap_or_else(|e| panic!("{}: PutObjectTagging: {}", h.name(), show(&e)));
    let got =
        h.s3.get_object_tagging()
            .bucket(BUCKET)
            .key("tagged")
            .send()
            .await
            .expect("GetObjectTagging");
    let mut tags: Vec<(&str, &str)> = got.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    tags.sort_unstable();
    assert_eq!(tags, [("team", "storage"), ("tier", "hot")]);
    let get =
        h.s3.get_object()
            .bucket(BUCKET)
            .key("tagged")
            .send()
            .await
            .unwrap();
    assert_eq!(
        get.tag_count(),
        Some(2),
        "GetObject carries x-amz-tagging-count"
    );

    h.s3.delete_object_tagging()
        .bucket(BUCKET)
        .key("tagged")
        .send()
        .await
        .expect("DeleteObjectTagging");
    let got =
        h.s3.get_object_tagging()
            .bucket(BUCKET)
            .key("tagged")
            .send()
            .await
            .unwrap();
    assert!(got.tag_set().is_empty());

    // Tags given with the upload.
    h.s3.put_object()
        .bucket(BUCKET)
        .key("tagged-at-put")
        .tagging("a=1&b=two")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("PutObject with x-amz-tagging");
    let got =
        h.s3.get_object_tagging()
            .bucket(BUCKET)
            .key("tagged-at-put")
            .send()
            .await
            .unwrap();
    assert_eq!(got.tag_set().len(), 2);
}

async fn bucket_cors_comes_from_the_configuration(h: &Harness) {
    let cors =
        h.s3.get_bucket_cors()
            .bucket(BUCKET)
            .send()
            .await
            .expect("GetBucketCors");
    let rules = cors.cors_rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].id(), Some("app"));
    assert_eq!(rules[0].allowed_origins(), [ORIGIN]);
    assert_eq!(rules[0].allowed_methods(), ["GET", "PUT"]);
    assert_eq!(rules[0].expose_headers(), ["ETag"]);
    assert_eq!(rules[0].max_age_seconds(), Some(3000));
    let (status, code) = failure(h.s3.get_bucket_cors().bucket(SIDE).send().await);
    assert_eq!(
        (status, code.as_str()),
        (404, "NoSuchCORSConfiguration"),
        "no rules configured"
    );
    // The rules are the configuration's: PutBucketCors and DeleteBucketCors are refused
    // rather than changing the (possibly shared) backend bucket.
    let rule = CorsRule::builder()
        .allowed_origins("*")
        .allowed_methods("GET")
        .build()
        .unwrap();
    let config = CorsConfiguration::builder()
        .cors_rules(rule)
        .build()
        .unwrap();
    let put =
        h.s3.put_bucket_cors()
            .bucket(BUCKET)
            .cors_configuration(config)
            .send()
            .await;
    assert_eq!(failure(put), (501, "NotImplemented".to_owned()));
    let delete = h.s3.delete_bucket_cors().bucket(BUCKET).send().await;
    assert_eq!(failure(delete), (501, "NotImplemented".to_owned()));
    let again = h.s3.get_bucket_cors().bucket(BUCKET).send().await.unwrap();
    assert_eq!(again.cors_rules().len(), 1, "unchanged");

    // The preflight, answered by the gateway without a signature.
    let answer = Raw::new(Method::OPTIONS, &format!("/{BUCKET}/any/key"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "Content-Type")
        .send(h.gw.addr)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(answer.headers["access-control-max-age"], "3000");
    let denied = Raw::new(Method::OPTIONS, &format!("/{BUCKET}/k"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send(h.gw.addr)
        .await;
    assert_eq!(
        (denied.status.as_u16(), denied.code().as_str()),
        (403, "AccessDenied")
    );
}
