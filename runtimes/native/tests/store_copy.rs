//! Embedded stores, CopyObject: within one store and across stores of both kinds (through
//! the StoreSet), metadata and tagging directives, copy-source conditions, copying an object
//! onto itself, and encoded copy sources. Every scenario runs on both stores.

#[macro_use]
mod store_support;

use multistore_core::codec::path::encode_key;
use multistore_core::codec::scalar::{DateTime, TimestampFormat, format_timestamp};
use multistore_core::s3::S3Operation as Op;
use store_support::{Harness, Kind, crc32_b64, data, md5_etag};

fn http_date(secs: i64) -> String {
    format_timestamp(&DateTime::from_secs(secs), TimestampFormat::HttpDate)
}

async fn copy_within_a_store(kind: Kind) {
    let h = Harness::new(kind).await;
    let body = data(200_000, 1);
    h.req(Op::PutObject)
        .key("src key+é")
        .header("content-type", "text/csv")
        .header("x-amz-meta-m", "1")
        .header("x-amz-tagging", "t=1")
        .body(body.clone())
        .send()
        .await
        .assert_ok();
    let source = format!("/bkt/{}", encode_key("src key+é"));
    // COPY (the default): data, content headers, metadata and tags come along.
    let r = h
        .req(Op::CopyObject)
        .key("dst")
        .header("x-amz-copy-source", &source)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.one("ETag"), Some(md5_etag(&body)));
    assert!(r.one("LastModified").is_some());
    let got = h.get("dst").await;
    assert_eq!(got.body, body);
    assert_eq!(
        (got.header("content-type"), got.header("x-amz-meta-m")),
        (Some("text/csv"), Some("1"))
    );
    assert_eq!(got.header("x-amz-tagging-count"), Some("1"));
    // REPLACE: headers and metadata from the request; tags replaced with the tagging directive.
    h.req(Op::CopyObject)
        .key("dst2")
        .header("x-amz-copy-source", &source)
        .header("x-amz-metadata-directive", "REPLACE")
        .header("content-type", "application/json")
        .header("x-amz-meta-n", "2")
        .header("x-amz-tagging-directive", "REPLACE")
        .header("x-amz-tagging", "a=b&c=d")
        .send()
        .await
        .assert_ok();
    let got = h.get("dst2").await;
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(
        (got.header("x-amz-meta-m"), got.header("x-amz-meta-n")),
        (None, Some("2"))
    );
    assert_eq!(got.header("x-amz-tagging-count"), Some("2"));
    // Onto itself: refused unless something changes.
    let same = h
        .req(Op::CopyObject)
        .key("src key+é")
        .header("x-amz-copy-source", &source)
        .send()
        .await;
    same.assert_error(400, "InvalidRequest");
    h.req(Op::CopyObject)
        .key("src key+é")
        .header("x-amz-copy-source", &source)
        .header("x-amz-metadata-directive", "REPLACE")
        .header("x-amz-meta-fresh", "yes")
        .send()
        .await
        .assert_ok();
    let got = h.get("src key+é").await;
    assert_eq!(
        (got.body.len(), got.header("x-amz-meta-fresh")),
        (body.len(), Some("yes"))
    );
    // A requested checksum is computed on the copy.
    let r = h
        .req(Op::CopyObject)
        .key("sum")
        .header("x-amz-copy-source", &source)
        .header("x-amz-checksum-algorithm", "CRC32")
        .send()
        .await;
    assert_eq!(
        r.one("ChecksumCRC32"),
        Some(crc32_b64(&body)),
        "{}",
        r.text()
    );
    // Missing sources and bad directives.
    h.req(Op::CopyObject)
        .key("x")
        .header("x-amz-copy-source", "/bkt/absent")
        .send()
        .await
        .assert_error(404, "NoSuchKey");
    h.req(Op::CopyObject)
        .key("x")
        .header("x-amz-copy-source", "/nobucket/k")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
    h.req(Op::CopyObject)
        .key("x")
        .header("x-amz-copy-source", "bkt")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    h.req(Op::CopyObject)
        .key("x")
        .header("x-amz-copy-source", &source)
        .header("x-amz-metadata-directive", "MERGE")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
}

async fn copy_source_conditions(kind: Kind) {
    let h = Harness::new(kind).await;
    let etag = h.put("s", "data").await.etag();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let cases: [(&str, String, u16); 6] = [
        ("x-amz-copy-source-if-match", etag.clone(), 200),
        ("x-amz-copy-source-if-match", "\"0\"".into(), 412),
        ("x-amz-copy-source-if-none-match", etag.clone(), 412),
        ("x-amz-copy-source-if-none-match", "\"0\"".into(), 200),
        (
            "x-amz-copy-source-if-modified-since",
            http_date(now + 3600),
            412,
        ),
        (
            "x-amz-copy-source-if-unmodified-since",
            http_date(now - 3600),
            412,
        ),
    ];
    for (name, value, status) in cases {
        let r = h
            .req(Op::CopyObject)
            .key("d")
            .header("x-amz-copy-source", "bkt/s")
            .header(name, &value)
            .send()
            .await;
        assert_eq!(r.status, status, "{name}: {}", r.text());
    }
    // If-Match true beats If-Unmodified-Since false.
    h.req(Op::CopyObject)
        .key("d")
        .header("x-amz-copy-source", "bkt/s")
        .header("x-amz-copy-source-if-match", &etag)
        .header(
            "x-amz-copy-source-if-unmodified-since",
            &http_date(now - 3600),
        )
        .send()
        .await
        .assert_ok();
}

async fn copy_across_stores(kind: Kind) {
    let h = Harness::with_stores(kind, &[("mem", Kind::Memory), ("disk", Kind::Dir)]).await;
    let body = data(1_500_000, 3);
    h.req(Op::PutObject)
        .key("k")
        .header("x-amz-meta-origin", "bkt")
        .body(body.clone())
        .send()
        .await
        .assert_ok();
    for other in ["mem", "disk"] {
        // Out of this store into another, and back under a new key.
        let r = h
            .req(Op::CopyObject)
            .store(other)
            .key("in/k")
            .header("x-amz-copy-source", "/bkt/k")
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let got = h.req(Op::GetObject).store(other).key("in/k").send().await;
        assert_eq!(
            (got.body.as_ref(), got.header("x-amz-meta-origin")),
            (body.as_ref(), Some("bkt"))
        );
        let back = format!("back-from-{other}");
        h.req(Op::CopyObject)
            .key(&back)
            .header("x-amz-copy-source", &format!("/{other}/in/k"))
            .send()
            .await
            .assert_ok();
        assert_eq!(h.get(&back).await.body, body);
    }
    h.req(Op::GetObject)
        .store("mem")
        .key("k")
        .send()
        .await
        .assert_error(404, "NoSuchKey");
}

both!(
    copy_within_a_store,
    copy_source_conditions,
    copy_across_stores
);
