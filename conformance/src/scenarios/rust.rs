//! The scenarios played by aws-sdk-s3 (Rust), in-process, against the recording proxy. Each
//! drives the SDK the way an application would; failures of the calls that are meant to fail
//! are expected and only their status is checked, so a scenario records what the reference
//! answered without judging it.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart, Delete, EncodingType,
    MetadataDirective, ObjectIdentifier, Tag, Tagging,
};

use crate::env::{ADMIN, ALICE, BUCKET, sdk_client};
use crate::traffic::pattern;

const B: &str = BUCKET;

/// Runs `scenario` against `endpoint`.
///
/// # Errors
/// When the scenario is unknown or a call that should succeed fails.
pub async fn play(scenario: &str, endpoint: &str) -> anyhow::Result<()> {
    let s3 = sdk_client(endpoint, ADMIN);
    match scenario {
        "objects" => objects(&s3).await,
        "checksums" => checksums(&s3).await,
        "multipart" => multipart(&s3).await,
        "listing" => listing(&s3).await,
        "special-keys" => special_keys(&s3).await,
        "conditional-writes" => conditional_writes(&s3).await,
        "conditional-reads" => conditional_reads(&s3).await,
        "tagging" => tagging(&s3).await,
        "delete-objects" => delete_objects(&s3).await,
        "copy" => copy(&s3).await,
        "presigned" => presigned(&s3, endpoint).await,
        "auth-errors" => auth_errors(endpoint).await,
        "auth-signed-chunks" => super::signed_chunks::play(endpoint).await,
        "buckets" => buckets(&s3).await,
        other => anyhow::bail!("the Rust SDK has no scenario {other:?}"),
    }
}

/// The HTTP status of a failed call (0 without a response).
fn status<E, R: HasStatus>(e: &SdkError<E, R>) -> u16 {
    e.raw_response().map_or(0, HasStatus::status)
}

/// Responses with a status.
trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Expects a call to fail with `want`.
macro_rules! fails {
    ($call:expr, $want:expr) => {
        match $call.await {
            Ok(_) => anyhow::bail!("{} succeeded; expected {}", stringify!($call), $want),
            Err(e) if status(&e) == $want => {}
            Err(e) => anyhow::bail!("{}: {e:?}; expected {}", stringify!($call), $want),
        }
    };
}

async fn put(s3: &Client, key: &str, body: &[u8]) -> anyhow::Result<()> {
    s3.put_object()
        .bucket(B)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await?;
    Ok(())
}

async fn objects(s3: &Client) -> anyhow::Result<()> {
    s3.put_object()
        .bucket(B)
        .key("docs/hello.txt")
        .body(ByteStream::from_static(b"hello, conformance\n"))
        .content_type("text/plain")
        .cache_control("max-age=60")
        .content_disposition("inline")
        .metadata("colour", "blue")
        .metadata("mixed-case", "Value With Spaces")
        .send()
        .await?;
    s3.head_object()
        .bucket(B)
        .key("docs/hello.txt")
        .send()
        .await?;
    s3.get_object()
        .bucket(B)
        .key("docs/hello.txt")
        .send()
        .await?
        .body
        .collect()
        .await?;
    s3.get_object()
        .bucket(B)
        .key("docs/hello.txt")
        .range("bytes=7-17")
        .send()
        .await?
        .body
        .collect()
        .await?;
    s3.get_object()
        .bucket(B)
        .key("docs/hello.txt")
        .range("bytes=-5")
        .send()
        .await?
        .body
        .collect()
        .await?;
    fails!(
        s3.get_object().bucket(B).key("docs/missing.txt").send(),
        404
    );
    fails!(
        s3.head_object().bucket(B).key("docs/missing.txt").send(),
        404
    );
    s3.delete_object()
        .bucket(B)
        .key("docs/hello.txt")
        .send()
        .await?;
    s3.delete_object()
        .bucket(B)
        .key("docs/hello.txt")
        .send()
        .await?;
    Ok(())
}

async fn checksums(s3: &Client) -> anyhow::Result<()> {
    s3.put_object()
        .bucket(B)
        .key("sums/crc32.bin")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from(pattern(0, 100_000)))
        .send()
        .await?;
    s3.put_object()
        .bucket(B)
        .key("sums/sha256.txt")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from_static(b"checksummed text"))
        .send()
        .await?;
    s3.get_object()
        .bucket(B)
        .key("sums/crc32.bin")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await?
        .body
        .collect()
        .await?;
    s3.head_object()
        .bucket(B)
        .key("sums/sha256.txt")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await?;
    Ok(())
}

async fn multipart(s3: &Client) -> anyhow::Result<()> {
    let key = "big/multipart.bin";
    let created = s3
        .create_multipart_upload()
        .bucket(B)
        .key(key)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .content_type("application/octet-stream")
        .send()
        .await?;
    let id = created.upload_id().unwrap_or_default().to_owned();
    let mut parts = Vec::new();
    for (number, body) in [
        (1, pattern(0, 5 * 1024 * 1024)),
        (2, pattern(5 * 1024 * 1024, 1024)),
    ] {
        let part = s3
            .upload_part()
            .bucket(B)
            .key(key)
            .upload_id(&id)
            .part_number(number)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(body))
            .send()
            .await?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(part.e_tag().map(str::to_owned))
                .set_checksum_crc32(part.checksum_crc32().map(str::to_owned))
                .build(),
        );
    }
    // moto answers ListParts with a `ListPartsResponse` root, which the SDK refuses to parse;
    // the exchange is recorded all the same.
    let _ = s3
        .list_parts()
        .bucket(B)
        .key(key)
        .upload_id(&id)
        .send()
        .await;
    s3.list_multipart_uploads().bucket(B).send().await?;
    // moto's `CompleteMultipartUploadResponse` root (S3: `…Result`) fails the SDK's parse; the
    // upload is complete all the same.
    let _ = s3
        .complete_multipart_upload()
        .bucket(B)
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await;
    s3.head_object().bucket(B).key(key).send().await?;
    s3.get_object()
        .bucket(B)
        .key(key)
        .range("bytes=5242870-5242889")
        .send()
        .await?
        .body
        .collect()
        .await?;
    let aborted = s3
        .create_multipart_upload()
        .bucket(B)
        .key("big/aborted.bin")
        .send()
        .await?;
    let aborted_id = aborted.upload_id().unwrap_or_default();
    s3.abort_multipart_upload()
        .bucket(B)
        .key("big/aborted.bin")
        .upload_id(aborted_id)
        .send()
        .await?;
    fails!(
        s3.list_parts()
            .bucket(B)
            .key("big/aborted.bin")
            .upload_id(aborted_id)
            .send(),
        404
    );
    Ok(())
}

async fn listing(s3: &Client) -> anyhow::Result<()> {
    for key in ["a/1.txt", "a/2.txt", "a/b/3.txt", "c/4.txt", "d.txt"] {
        put(s3, key, key.as_bytes()).await?;
    }
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(B)
            .max_keys(2)
            .set_continuation_token(token)
            .send()
            .await?;
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    s3.list_objects_v2().bucket(B).delimiter("/").send().await?;
    s3.list_objects_v2()
        .bucket(B)
        .prefix("a/")
        .delimiter("/")
        .send()
        .await?;
    s3.list_objects_v2()
        .bucket(B)
        .start_after("a/b")
        .max_keys(10)
        .send()
        .await?;
    s3.list_objects().bucket(B).max_keys(2).send().await?;
    s3.list_objects().bucket(B).marker("a/2.txt").send().await?;
    s3.list_objects_v2()
        .bucket(B)
        .encoding_type(EncodingType::Url)
        .prefix("a/")
        .send()
        .await?;
    Ok(())
}

/// Keys that challenge encoders: Unicode, spaces, reserved and unreserved punctuation.
pub const SPECIAL_KEYS: &[&str] = &[
    "ünïcødé/日本語.txt",
    "spaces/a b  c.txt",
    "reserved/a+b=c&d;e,f:g@h$.txt",
    "percent/100%25 real%.txt",
    "unreserved/tilde~under_score-dash.dot",
    "quotes/it's (\"quoted\") [x] {y}.txt",
    "emoji/🎉.txt",
];

async fn special_keys(s3: &Client) -> anyhow::Result<()> {
    for key in SPECIAL_KEYS {
        put(s3, key, key.as_bytes()).await?;
    }
    for key in SPECIAL_KEYS {
        s3.get_object()
            .bucket(B)
            .key(*key)
            .send()
            .await?
            .body
            .collect()
            .await?;
    }
    s3.list_objects_v2().bucket(B).send().await?;
    s3.list_objects_v2()
        .bucket(B)
        .encoding_type(EncodingType::Url)
        .send()
        .await?;
    s3.list_objects()
        .bucket(B)
        .encoding_type(EncodingType::Url)
        .prefix("ünïcødé/")
        .send()
        .await?;
    s3.head_object()
        .bucket(B)
        .key("ünïcødé/日本語.txt")
        .send()
        .await?;
    Ok(())
}

async fn buckets(s3: &Client) -> anyhow::Result<()> {
    use aws_sdk_s3::types::ObjectAttributes;
    s3.list_buckets().send().await?;
    s3.head_bucket().bucket(B).send().await?;
    fails!(s3.head_bucket().bucket("conformance-missing").send(), 404);
    s3.get_bucket_location().bucket(B).send().await?;
    // us-east-1 answers 200 to re-creating a bucket its owner has (moto too); others 409.
    let _ = s3.create_bucket().bucket(B).send().await;
    fails!(s3.get_bucket_cors().bucket(B).send(), 404);
    put(s3, "versions/v.txt", b"one").await?;
    put(s3, "versions/v.txt", b"two").await?;
    s3.list_object_versions()
        .bucket(B)
        .prefix("versions/")
        .send()
        .await?;
    // moto's Last-Modified on this answer is not an HTTP date, which the SDK refuses to parse;
    // the exchange is recorded all the same.
    let _ = s3
        .get_object_attributes()
        .bucket(B)
        .key("versions/v.txt")
        .object_attributes(ObjectAttributes::Etag)
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await;
    Ok(())
}

async fn conditional_writes(s3: &Client) -> anyhow::Result<()> {
    s3.put_object()
        .bucket(B)
        .key("cond/new.txt")
        .if_none_match("*")
        .body(ByteStream::from_static(b"first"))
        .send()
        .await?;
    fails!(
        s3.put_object()
            .bucket(B)
            .key("cond/new.txt")
            .if_none_match("*")
            .body(ByteStream::from_static(b"second"))
            .send(),
        412
    );
    fails!(
        s3.put_object()
            .bucket(B)
            .key("cond/new.txt")
            .if_match("\"0123456789abcdef0123456789abcdef\"")
            .body(ByteStream::from_static(b"third"))
            .send(),
        412
    );
    let head = s3
        .head_object()
        .bucket(B)
        .key("cond/new.txt")
        .send()
        .await?;
    let etag = head.e_tag().unwrap_or_default().to_owned();
    s3.put_object()
        .bucket(B)
        .key("cond/new.txt")
        .if_match(&etag)
        .body(ByteStream::from_static(b"fourth"))
        .send()
        .await?;
    s3.get_object()
        .bucket(B)
        .key("cond/new.txt")
        .send()
        .await?
        .body
        .collect()
        .await?;
    Ok(())
}

async fn conditional_reads(s3: &Client) -> anyhow::Result<()> {
    put(s3, "cond/read.txt", b"conditional").await?;
    let etag = s3
        .head_object()
        .bucket(B)
        .key("cond/read.txt")
        .send()
        .await?
        .e_tag()
        .unwrap_or_default()
        .to_owned();
    fails!(
        s3.get_object()
            .bucket(B)
            .key("cond/read.txt")
            .if_none_match(&etag)
            .send(),
        304
    );
    fails!(
        s3.get_object()
            .bucket(B)
            .key("cond/read.txt")
            .if_match("\"0123456789abcdef0123456789abcdef\"")
            .send(),
        412
    );
    s3.get_object()
        .bucket(B)
        .key("cond/read.txt")
        .if_match(&etag)
        .send()
        .await?
        .body
        .collect()
        .await?;
    let future = aws_sdk_s3::primitives::DateTime::from_secs(4_102_444_800);
    fails!(
        s3.head_object()
            .bucket(B)
            .key("cond/read.txt")
            .if_modified_since(future)
            .send(),
        304
    );
    Ok(())
}

async fn tagging(s3: &Client) -> anyhow::Result<()> {
    s3.put_object()
        .bucket(B)
        .key("tags/t.txt")
        .tagging("team=storage&tier=gold")
        .body(ByteStream::from_static(b"tagged"))
        .send()
        .await?;
    s3.get_object_tagging()
        .bucket(B)
        .key("tags/t.txt")
        .send()
        .await?;
    let tags = Tagging::builder()
        .tag_set(Tag::builder().key("project").value("multistore").build()?)
        .tag_set(Tag::builder().key("unicode").value("ünï").build()?)
        .build()?;
    s3.put_object_tagging()
        .bucket(B)
        .key("tags/t.txt")
        .tagging(tags)
        .send()
        .await?;
    s3.get_object_tagging()
        .bucket(B)
        .key("tags/t.txt")
        .send()
        .await?;
    s3.head_object().bucket(B).key("tags/t.txt").send().await?;
    s3.delete_object_tagging()
        .bucket(B)
        .key("tags/t.txt")
        .send()
        .await?;
    s3.get_object_tagging()
        .bucket(B)
        .key("tags/t.txt")
        .send()
        .await?;
    Ok(())
}

async fn delete_objects(s3: &Client) -> anyhow::Result<()> {
    for key in ["del/1", "del/2", "del/keep"] {
        put(s3, key, b"x").await?;
    }
    let ids = ["del/1", "del/2", "del/never-existed"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build())
        .collect::<Result<Vec<_>, _>>()?;
    s3.delete_objects()
        .bucket(B)
        .delete(Delete::builder().set_objects(Some(ids.clone())).build()?)
        .send()
        .await?;
    s3.delete_objects()
        .bucket(B)
        .delete(
            Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()?,
        )
        .send()
        .await?;
    s3.list_objects_v2().bucket(B).prefix("del/").send().await?;
    Ok(())
}

async fn copy(s3: &Client) -> anyhow::Result<()> {
    s3.put_object()
        .bucket(B)
        .key("copy/src.txt")
        .metadata("origin", "source")
        .body(ByteStream::from_static(b"copy me"))
        .send()
        .await?;
    s3.copy_object()
        .bucket(B)
        .key("copy/same-meta.txt")
        .copy_source(format!("{B}/copy/src.txt"))
        .send()
        .await?;
    s3.copy_object()
        .bucket(B)
        .key("copy/new-meta.txt")
        .copy_source(format!("{B}/copy/src.txt"))
        .metadata_directive(MetadataDirective::Replace)
        .metadata("origin", "replaced")
        .content_type("text/x-copied")
        .send()
        .await?;
    s3.head_object()
        .bucket(B)
        .key("copy/same-meta.txt")
        .send()
        .await?;
    s3.head_object()
        .bucket(B)
        .key("copy/new-meta.txt")
        .send()
        .await?;
    fails!(
        s3.copy_object()
            .bucket(B)
            .key("copy/x.txt")
            .copy_source(format!("{B}/copy/missing.txt"))
            .send(),
        404
    );
    put(s3, "copy/part-src.bin", &pattern(3, 6 * 1024 * 1024)).await?;
    let upload = s3
        .create_multipart_upload()
        .bucket(B)
        .key("copy/assembled.bin")
        .send()
        .await?;
    let id = upload.upload_id().unwrap_or_default().to_owned();
    let part = s3
        .upload_part_copy()
        .bucket(B)
        .key("copy/assembled.bin")
        .upload_id(&id)
        .part_number(1)
        .copy_source(format!("{B}/copy/part-src.bin"))
        .copy_source_range("bytes=0-5242879")
        .send()
        .await?;
    let etag = part
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .map(str::to_owned);
    let _ = s3
        .complete_multipart_upload()
        .bucket(B)
        .key("copy/assembled.bin")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .set_e_tag(etag)
                        .build(),
                )
                .build(),
        )
        .send()
        .await;
    s3.head_object()
        .bucket(B)
        .key("copy/assembled.bin")
        .send()
        .await?;
    Ok(())
}

async fn presigned(s3: &Client, endpoint: &str) -> anyhow::Result<()> {
    use std::time::Duration;
    put(s3, "pre/get.txt", b"presigned body").await?;
    let config = PresigningConfig::expires_in(Duration::from_secs(900))?;
    let get = s3
        .get_object()
        .bucket(B)
        .key("pre/get.txt")
        .presigned(config.clone())
        .await?;
    let put_req = s3
        .put_object()
        .bucket(B)
        .key("pre/put.txt")
        .presigned(config)
        .await?;
    let host = endpoint.trim_start_matches("http://");
    let send = |method: &str, uri: &str, body: &[u8]| {
        let path = uri
            .splitn(4, '/')
            .nth(3)
            .map_or("/".to_owned(), |p| format!("/{p}"));
        crate::traffic::Message {
            start: format!("{method} {path} HTTP/1.1"),
            headers: vec![
                ("Host".into(), host.to_owned()),
                ("Content-Length".into(), body.len().to_string()),
            ],
            body: body.to_vec(),
        }
    };
    let timeout = Duration::from_secs(30);
    crate::http1::exchange(host, &send("GET", get.uri(), b""), timeout).await?;
    crate::http1::exchange(
        host,
        &send("PUT", put_req.uri(), b"uploaded with a presigned URL"),
        timeout,
    )
    .await?;
    s3.get_object()
        .bucket(B)
        .key("pre/put.txt")
        .send()
        .await?
        .body
        .collect()
        .await?;
    Ok(())
}

async fn auth_errors(endpoint: &str) -> anyhow::Result<()> {
    let admin = sdk_client(endpoint, ADMIN);
    put(&admin, "alice/own.txt", b"alice's").await?;
    put(&admin, "private/secret.txt", b"not alice's").await?;
    let wrong = sdk_client(endpoint, (ADMIN.0, "not-the-secret"));
    fails!(
        wrong.get_object().bucket(B).key("alice/own.txt").send(),
        403
    );
    fails!(
        wrong
            .put_object()
            .bucket(B)
            .key("alice/x.txt")
            .body(ByteStream::from_static(b"x"))
            .send(),
        403
    );
    let unknown = sdk_client(endpoint, ("AKIAUNKNOWNKEY000000", "whatever"));
    fails!(unknown.list_objects_v2().bucket(B).send(), 403);
    let alice = sdk_client(endpoint, ALICE);
    alice
        .get_object()
        .bucket(B)
        .key("alice/own.txt")
        .send()
        .await?
        .body
        .collect()
        .await?;
    put(&alice, "alice/new.txt", b"mine").await?;
    fails!(
        alice
            .get_object()
            .bucket(B)
            .key("private/secret.txt")
            .send(),
        403
    );
    fails!(
        alice
            .put_object()
            .bucket(B)
            .key("private/new.txt")
            .body(ByteStream::from_static(b"x"))
            .send(),
        403
    );
    fails!(
        alice
            .delete_object()
            .bucket(B)
            .key("private/secret.txt")
            .send(),
        403
    );
    Ok(())
}
