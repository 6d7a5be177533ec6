//! The gateway in front of each real backend (embedded directory, s3s-fs, moto): a principal
//! scoped to `alice/` (reads, writes and DeleteObjects with a partial deny: `bob/y` comes back
//! AccessDenied and stays), and copies across two different backends (the embedded side
//! bucket and the backend under test, both ways), streamed through the gateway.

mod support;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, MetadataDirective, ObjectIdentifier};
use support::{ALICE, BUCKET, Harness, SIDE, data, failure, show};

matrix!(
    a_prefix_scoped_principal_stays_in_its_prefix,
    delete_objects_with_a_partial_deny,
    copy_across_two_backends,
);

async fn a_prefix_scoped_principal_stays_in_its_prefix(h: &Harness) {
    let alice = h.client_as(ALICE);
    alice
        .put_object()
        .bucket(BUCKET)
        .key("alice/notes")
        .body(ByteStream::from_static(b"mine"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: alice writes alice/: {}", h.name(), show(&e)));
    h.put("bob/secret", b"bob's".to_vec()).await;

    let read = alice
        .get_object()
        .bucket(BUCKET)
        .key("alice/notes")
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.body.collect().await.unwrap().into_bytes().as_ref(),
        b"mine"
    );
    let (status, code) = failure(
        alice
            .get_object()
            .bucket(BUCKET)
            .key("bob/secret")
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    let (status, code) = failure(
        alice
            .put_object()
            .bucket(BUCKET)
            .key("bob/secret")
            .body(ByteStream::from_static(b"overwritten"))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(h.get("bob/secret").await, b"bob's");
    // Copying bob's object into alice/ needs read access to the source.
    let (status, _) = failure(
        alice
            .copy_object()
            .bucket(BUCKET)
            .key("alice/stolen")
            .copy_source(format!("{BUCKET}/bob/secret"))
            .send()
            .await,
    );
    assert_eq!(status, 403);
    assert!(!h.exists("alice/stolen").await);
    // Listing within the prefix works; a listing of the whole bucket is refused.
    let listed = alice
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("alice/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["alice/notes"]);
    let (status, _) = failure(alice.list_objects_v2().bucket(BUCKET).send().await);
    assert_eq!(status, 403, "{}: listing outside alice/", h.name());
}

async fn delete_objects_with_a_partial_deny(h: &Harness) {
    for key in ["alice/x", "alice/z", "bob/y"] {
        h.put(key, key.as_bytes().to_vec()).await;
    }
    let alice = h.client_as(ALICE);
    let ids = ["alice/x", "bob/y", "alice/z"]
        .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
        .to_vec();
    let out = alice
        .delete_objects()
        .bucket(BUCKET)
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: DeleteObjects: {}", h.name(), show(&e)));
    let mut deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort_unstable();
    assert_eq!(deleted, ["alice/x", "alice/z"], "{}", h.name());
    let errors: Vec<(Option<&str>, Option<&str>)> =
        out.errors().iter().map(|e| (e.key(), e.code())).collect();
    assert_eq!(
        errors,
        [(Some("bob/y"), Some("AccessDenied"))],
        "{}",
        h.name()
    );
    assert!(
        h.exists("bob/y").await,
        "{}: the denied key still exists",
        h.name()
    );
    assert!(!h.exists("alice/x").await && !h.exists("alice/z").await);

    // Every key denied: nothing reaches the backend, every key reports AccessDenied.
    let only_bob = alice
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("bob/y").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(only_bob.deleted().is_empty());
    assert_eq!(only_bob.errors().len(), 1);
    assert!(h.exists("bob/y").await);
}

/// Copies `from_bucket/from_key` to `to_bucket/to_key` with CopyObject through the gateway.
async fn copy(h: &Harness, from: (&str, &str), to: (&str, &str)) -> String {
    let out =
        h.s3.copy_object()
            .bucket(to.0)
            .key(to.1)
            .copy_source(format!("{}/{}", from.0, from.1))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: copy {from:?} -> {to:?}: {}", h.name(), show(&e)));
    out.copy_object_result()
        .and_then(|r| r.e_tag())
        .expect("CopyObjectResult ETag")
        .to_owned()
}

async fn copy_across_two_backends(h: &Harness) {
    // 12 MiB: larger than any buffer on the way, so it has to stream.
    let body = data(12 * 1024 * 1024, 12);
    h.s3.put_object()
        .bucket(SIDE)
        .key("big/source")
        .content_type("application/x-big")
        .metadata("origin", "side")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("put on the side bucket");

    let etag = copy(h, (SIDE, "big/source"), (BUCKET, "big/copied")).await;
    assert_eq!(etag, format!("\"{}\"", support::md5_hex(&body)));
    assert!(
        h.get("big/copied").await == body,
        "{}: side -> backend",
        h.name()
    );
    let head =
        h.s3.head_object()
            .bucket(BUCKET)
            .key("big/copied")
            .send()
            .await
            .unwrap();
    assert_eq!(
        head.content_type(),
        Some("application/x-big"),
        "{}: content type kept",
        h.name()
    );
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("side")
    );
    if let Some((direct, bucket)) = h.direct() {
        let stored = direct
            .head_object()
            .bucket(bucket)
            .key("big/copied")
            .send()
            .await
            .unwrap();
        assert_eq!(
            stored.content_length(),
            Some(body.len() as i64),
            "in the backend itself"
        );
    }

    // And back, replacing the metadata.
    h.s3.copy_object()
        .bucket(SIDE)
        .key("big/back")
        .copy_source(format!("{BUCKET}/big/copied"))
        .metadata_directive(MetadataDirective::Replace)
        .metadata("origin", "backend")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: backend -> side: {}", h.name(), show(&e)));
    assert!(
        h.get_in(SIDE, "big/back").await == body,
        "{}: backend -> side",
        h.name()
    );
    let head =
        h.s3.head_object()
            .bucket(SIDE)
            .key("big/back")
            .send()
            .await
            .unwrap();
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("backend")
    );

    // A missing source across backends is NoSuchKey, and nothing is written.
    let (status, code) = failure(
        h.s3.copy_object()
            .bucket(BUCKET)
            .key("big/none")
            .copy_source(format!("{SIDE}/big/missing"))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (404, "NoSuchKey"));
    assert!(!h.exists("big/none").await);
    // A conditional copy whose condition fails copies nothing.
    let (status, _) = failure(
        h.s3.copy_object()
            .bucket(BUCKET)
            .key("big/conditional")
            .copy_source(format!("{SIDE}/big/source"))
            .copy_source_if_match("\"00000000000000000000000000000000\"")
            .send()
            .await,
    );
    assert_eq!(status, 412);
    assert!(!h.exists("big/conditional").await);
}
