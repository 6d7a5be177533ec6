//! Embedded stores, objects: put/get/head round trips with metadata and content headers,
//! checksums and Content-MD5, ranges and partNumber reads, the conditional read matrix,
//! conditional writes including concurrent `If-None-Match: *` and `If-Match` races, and
//! bodies that break off. Every scenario runs on the directory and the memory store.

#[macro_use]
mod store_support;

use multistore_core::codec::scalar::{DateTime, TimestampFormat, format_timestamp};
use multistore_core::s3::S3Operation as Op;
use store_support::{Harness, Kind, chunked, content_md5, crc32_b64, data, md5_etag, sha256_b64};

fn http_date(secs: i64) -> String {
    format_timestamp(&DateTime::from_secs(secs), TimestampFormat::HttpDate)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn put_get_head_round_trip(kind: Kind) {
    let h = Harness::new(kind).await;
    let body = data(70_000, 1);
    let put = h
        .req(Op::PutObject)
        .key("docs/report.txt")
        .header("content-type", "text/plain; charset=utf-8")
        .header("content-encoding", "identity")
        .header("content-disposition", "attachment; filename=\"r.txt\"")
        .header("content-language", "de-CH")
        .header("cache-control", "max-age=60")
        .header("expires", "not a date, kept as sent")
        .header("x-amz-meta-color", "blue")
        .header("x-amz-meta-Owner-Name", "Zoe =?UTF-8?B?w6s=?=")
        .header("x-amz-website-redirect-location", "/elsewhere")
        .header("content-length", "70000")
        .body(body.clone())
        .send()
        .await;
    put.assert_ok();
    assert_eq!(put.etag(), md5_etag(&body));
    for op in [Op::GetObject, Op::HeadObject] {
        let r = h.req(op).key("docs/report.txt").send().await;
        assert_eq!(r.status, 200);
        assert_eq!(r.etag(), md5_etag(&body));
        assert_eq!(r.header("content-length"), Some("70000"));
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.header("content-encoding"), Some("identity"));
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"r.txt\"")
        );
        assert_eq!(r.header("content-language"), Some("de-CH"));
        assert_eq!(r.header("cache-control"), Some("max-age=60"));
        assert_eq!(r.header("expires"), Some("not a date, kept as sent"));
        assert_eq!(r.header("x-amz-meta-color"), Some("blue"));
        assert_eq!(
            r.header("x-amz-meta-owner-name"),
            Some("Zoe =?UTF-8?B?w6s=?=")
        );
        assert_eq!(
            r.header("x-amz-website-redirect-location"),
            Some("/elsewhere")
        );
        assert_eq!(r.header("accept-ranges"), Some("bytes"));
        assert_eq!(
            r.header("x-amz-storage-class"),
            None,
            "STANDARD is not announced"
        );
        assert!(r.header("last-modified").unwrap().ends_with(" GMT"));
        if op == Op::GetObject {
            assert_eq!(r.body, body);
        } else {
            assert!(r.body.is_empty());
        }
    }
    // Defaults: binary/octet-stream, and a storage class is echoed when set.
    h.req(Op::PutObject)
        .key("e")
        .header("x-amz-storage-class", "STANDARD_IA")
        .send()
        .await
        .assert_ok();
    let r = h.req(Op::HeadObject).key("e").send().await;
    assert_eq!(r.header("content-type"), Some("binary/octet-stream"));
    assert_eq!(r.header("x-amz-storage-class"), Some("STANDARD_IA"));
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(h.get("e").await.body.len(), 0);
    h.req(Op::PutObject)
        .key("x")
        .header("x-amz-storage-class", "NOPE")
        .send()
        .await
        .assert_error(400, "InvalidStorageClass");
    // Overwrite replaces data and metadata.
    h.req(Op::PutObject)
        .key("docs/report.txt")
        .body("v2")
        .send()
        .await
        .assert_ok();
    let r = h.get("docs/report.txt").await;
    assert_eq!(
        (r.body.as_ref(), r.header("x-amz-meta-color")),
        (&b"v2"[..], None)
    );
    h.get("missing").await.assert_error(404, "NoSuchKey");
    h.req(Op::HeadObject)
        .key("missing")
        .send()
        .await
        .assert_error(404, "NoSuchKey");
}

async fn checksums_are_verified_stored_and_returned(kind: Kind) {
    let h = Harness::new(kind).await;
    let body = data(1000, 2);
    let r = h
        .req(Op::PutObject)
        .key("c")
        .header("x-amz-checksum-crc32", &crc32_b64(&body))
        .body(body.clone())
        .send()
        .await;
    r.assert_ok();
    assert_eq!(
        r.header("x-amz-checksum-crc32"),
        Some(crc32_b64(&body).as_str())
    );
    for op in [Op::HeadObject, Op::GetObject] {
        let plain = h.req(op).key("c").send().await;
        assert_eq!(
            plain.header("x-amz-checksum-crc32"),
            None,
            "only with checksum mode"
        );
        let on = h
            .req(op)
            .key("c")
            .header("x-amz-checksum-mode", "ENABLED")
            .send()
            .await;
        assert_eq!(
            on.header("x-amz-checksum-crc32"),
            Some(crc32_b64(&body).as_str())
        );
        assert_eq!(on.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
    }
    // A range reports no checksum.
    let ranged = h
        .req(Op::GetObject)
        .key("c")
        .header("range", "bytes=0-9")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(ranged.header("x-amz-checksum-crc32"), None);
    // Wrong values are refused and nothing is stored.
    let wrong = crc32_b64(b"other");
    h.req(Op::PutObject)
        .key("bad")
        .header("x-amz-checksum-crc32", &wrong)
        .body(body.clone())
        .send()
        .await
        .assert_error(400, "BadDigest");
    h.req(Op::PutObject)
        .key("bad")
        .header("x-amz-checksum-sha256", &sha256_b64(b"x"))
        .body(body.clone())
        .send()
        .await
        .assert_error(400, "BadDigest");
    h.req(Op::PutObject)
        .key("bad")
        .header("content-md5", &content_md5(b"x"))
        .body(body.clone())
        .send()
        .await
        .assert_error(400, "BadDigest");
    h.req(Op::PutObject)
        .key("bad")
        .header("content-md5", "not-base64!")
        .body(body.clone())
        .send()
        .await
        .assert_error(400, "InvalidDigest");
    h.req(Op::PutObject)
        .key("bad")
        .header("x-amz-checksum-crc32", "AAAA")
        .body(body.clone())
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    h.req(Op::PutObject)
        .key("bad")
        .header("x-amz-checksum-crc32", &crc32_b64(&body))
        .header("x-amz-checksum-sha256", &sha256_b64(&body))
        .body(body.clone())
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    h.get("bad").await.assert_error(404, "NoSuchKey");
    // Right values pass; SHA-256 and Content-MD5 together.
    h.req(Op::PutObject)
        .key("s")
        .header("x-amz-checksum-sha256", &sha256_b64(&body))
        .header("content-md5", &content_md5(&body))
        .body(body.clone())
        .send()
        .await
        .assert_ok();
    let s = h
        .req(Op::HeadObject)
        .key("s")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(
        s.header("x-amz-checksum-sha256"),
        Some(sha256_b64(&body).as_str())
    );
    // No checksum sent: S3 keeps a CRC64NVME.
    let d = h.put("d", body.clone()).await;
    assert!(d.header("x-amz-checksum-crc64nvme").is_some());
    let d2 = h
        .req(Op::HeadObject)
        .key("d")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(
        d2.header("x-amz-checksum-crc64nvme"),
        d.header("x-amz-checksum-crc64nvme")
    );
    // An algorithm without a value: computed and stored.
    h.req(Op::PutObject)
        .key("a")
        .header("x-amz-sdk-checksum-algorithm", "CRC32")
        .body(body.clone())
        .send()
        .await
        .assert_ok();
    let a = h
        .req(Op::HeadObject)
        .key("a")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(
        a.header("x-amz-checksum-crc32"),
        Some(crc32_b64(&body).as_str())
    );
}

/// A Range header, the status it gets, and the slice of the object it returns.
type RangeCase = (&'static str, u16, Option<(usize, usize)>);

async fn ranges(kind: Kind) {
    let h = Harness::new(kind).await;
    let body = data(100, 3);
    h.put("r", body.clone()).await.assert_ok();
    let cases: [RangeCase; 8] = [
        ("bytes=0-9", 206, Some((0, 10))),
        ("bytes=90-", 206, Some((90, 100))),
        ("bytes=-5", 206, Some((95, 100))),
        ("bytes=95-200", 206, Some((95, 100))),
        ("bytes=-500", 206, Some((0, 100))),
        ("bytes=99-99", 206, Some((99, 100))),
        ("bytes=9-5", 200, None),
        ("bytes=0-1,5-6", 200, None),
    ];
    for (range, status, slice) in cases {
        let r = h
            .req(Op::GetObject)
            .key("r")
            .header("range", range)
            .send()
            .await;
        assert_eq!(r.status, status, "{range}");
        let (a, b) = slice.unwrap_or((0, 100));
        assert_eq!(r.body, body.slice(a..b), "{range}");
        assert_eq!(
            r.header("content-length"),
            Some((b - a).to_string().as_str()),
            "{range}"
        );
        if status == 206 {
            assert_eq!(
                r.header("content-range"),
                Some(format!("bytes {a}-{}/100", b - 1).as_str()),
                "{range}"
            );
        } else {
            assert_eq!(r.header("content-range"), None);
        }
        let head = h
            .req(Op::HeadObject)
            .key("r")
            .header("range", range)
            .send()
            .await;
        assert_eq!(
            (head.status, head.header("content-length")),
            (status, r.header("content-length")),
            "{range}"
        );
    }
    for range in ["bytes=100-", "bytes=100-200", "bytes=-0"] {
        h.req(Op::GetObject)
            .key("r")
            .header("range", range)
            .send()
            .await
            .assert_error(416, "InvalidRange");
    }
    h.put("empty", "").await.assert_ok();
    h.req(Op::GetObject)
        .key("empty")
        .header("range", "bytes=0-")
        .send()
        .await
        .assert_error(416, "InvalidRange");
    // partNumber on a single-part object: part 1 is the object.
    let p = h
        .req(Op::GetObject)
        .key("r")
        .query("partNumber", "1")
        .send()
        .await;
    assert_eq!((p.status, p.body.len()), (206, 100));
    assert_eq!(p.header("content-range"), Some("bytes 0-99/100"));
    h.req(Op::GetObject)
        .key("r")
        .query("partNumber", "2")
        .send()
        .await
        .assert_error(416, "InvalidPartNumber");
    h.req(Op::GetObject)
        .key("r")
        .query("partNumber", "0")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    h.req(Op::GetObject)
        .key("r")
        .query("partNumber", "1")
        .header("range", "bytes=0-1")
        .send()
        .await
        .assert_error(400, "InvalidRequest");
}

async fn conditional_reads(kind: Kind) {
    let h = Harness::new(kind).await;
    let etag = h.put("k", "hello").await.etag();
    let (past, future) = (http_date(now_secs() - 3600), http_date(now_secs() + 3600));
    // (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) -> status
    let cases: Vec<([Option<&str>; 4], u16)> = vec![
        ([Some(&etag), None, None, None], 200),
        ([Some("\"0000\""), None, None, None], 412),
        ([Some("*"), None, None, None], 200),
        ([Some("\"x\", \"y\""), None, None, None], 412),
        (
            [Some(format!("\"x\", {etag}").leak()), None, None, None],
            200,
        ),
        ([None, Some(&etag), None, None], 304),
        ([None, Some("*"), None, None], 304),
        ([None, Some("\"0000\""), None, None], 200),
        ([None, None, Some(&future), None], 304),
        ([None, None, Some(&past), None], 200),
        ([None, None, None, Some(&past)], 412),
        ([None, None, None, Some(&future)], 200),
        // If-Match true wins over If-Unmodified-Since false.
        ([Some(&etag), None, None, Some(&past)], 200),
        // If-None-Match false (matches) with If-Modified-Since true: 304.
        ([None, Some(&etag), Some(&past), None], 304),
        // If-None-Match true (differs) makes If-Modified-Since irrelevant.
        ([None, Some("\"0000\""), Some(&future), None], 200),
        // 412 is decided before 304.
        ([Some("\"0000\""), Some(&etag), None, None], 412),
    ];
    for (conds, expected) in cases {
        for op in [Op::GetObject, Op::HeadObject] {
            let mut req = h.req(op).key("k");
            for (name, value) in [
                "if-match",
                "if-none-match",
                "if-modified-since",
                "if-unmodified-since",
            ]
            .iter()
            .zip(conds)
            {
                if let Some(v) = value {
                    req = req.header(name, v);
                }
            }
            let r = req.send().await;
            assert_eq!(r.status, expected, "{op:?} {conds:?}: {}", r.text());
            match expected {
                304 => {
                    assert!(r.body.is_empty());
                    assert_eq!(r.header("etag"), Some(etag.as_str()));
                    assert!(r.header("last-modified").is_some());
                }
                412 => assert_eq!(r.code(), "PreconditionFailed"),
                _ => {}
            }
        }
    }
    h.req(Op::GetObject)
        .key("nope")
        .header("if-match", "*")
        .send()
        .await
        .assert_error(404, "NoSuchKey");
}

async fn response_overrides(kind: Kind) {
    let h = Harness::new(kind).await;
    h.req(Op::PutObject)
        .key("o")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .assert_ok();
    let r = h
        .req(Op::GetObject)
        .key("o")
        .query("response-content-type", "application/json")
        .query("response-content-disposition", "inline")
        .query("response-cache-control", "no-cache")
        .query("response-content-language", "fr")
        .query("response-content-encoding", "gzip")
        .query("response-expires", "Thu, 01 Dec 1994 16:00:00 GMT")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-disposition"), Some("inline"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("content-language"), Some("fr"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("expires"), Some("Thu, 01 Dec 1994 16:00:00 GMT"));
}

async fn conditional_writes(kind: Kind) {
    let h = Harness::new(kind).await;
    h.req(Op::PutObject)
        .key("w")
        .header("if-match", "*")
        .body("x")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    h.req(Op::PutObject)
        .key("w")
        .header("if-match", "\"abc\"")
        .body("x")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    let first = h
        .req(Op::PutObject)
        .key("w")
        .header("if-none-match", "*")
        .body("one")
        .send()
        .await;
    first.assert_ok();
    h.req(Op::PutObject)
        .key("w")
        .header("if-none-match", "*")
        .body("two")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    h.req(Op::PutObject)
        .key("w")
        .header("if-match", "\"abc\"")
        .body("two")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    assert_eq!(h.get("w").await.body.as_ref(), b"one");
    let second = h
        .req(Op::PutObject)
        .key("w")
        .header("if-match", &first.etag())
        .body("two")
        .send()
        .await;
    second.assert_ok();
    assert_eq!(h.get("w").await.body.as_ref(), b"two");
    h.req(Op::PutObject)
        .key("w")
        .header("if-match", &first.etag())
        .body("three")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    h.req(Op::PutObject)
        .key("w")
        .header("if-none-match", "\"abc\"")
        .body("x")
        .send()
        .await
        .assert_error(501, "NotImplemented");
    assert_eq!(h.get("w").await.body.as_ref(), b"two");
}

async fn if_none_match_race_has_one_winner(kind: Kind) {
    let h = Harness::new(kind).await;
    let writers = 16;
    let mut tasks = Vec::new();
    for i in 0..writers {
        let req = h
            .req(Op::PutObject)
            .key("race")
            .header("if-none-match", "*")
            .stream(chunked(data(200_000, i as u8), 8192));
        tasks.push(tokio::spawn(async move { (i, req.send().await) }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (i, r) = t.await.unwrap();
        match r.status {
            200 => winners.push((i, r.etag())),
            412 => assert_eq!(r.code(), "PreconditionFailed"),
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
    let got = h.get("race").await;
    assert_eq!(got.body, data(200_000, winners[0].0 as u8));
    assert_eq!(got.etag(), winners[0].1);
}

async fn if_match_race_has_one_winner(kind: Kind) {
    let h = Harness::new(kind).await;
    let base = h.put("cas", "v0").await.etag();
    let mut tasks = Vec::new();
    for i in 0..12u8 {
        let req = h
            .req(Op::PutObject)
            .key("cas")
            .header("if-match", &base)
            .body(vec![i; 5000]);
        tasks.push(tokio::spawn(async move { (i, req.send().await) }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (i, r) = t.await.unwrap();
        match r.status {
            200 => winners.push(i),
            412 => {}
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(h.get("cas").await.body, vec![winners[0]; 5000]);
}

async fn broken_bodies_leave_nothing(kind: Kind) {
    let h = Harness::new(kind).await;
    h.put("keep", "old").await.assert_ok();
    let broken: multistore::store::BodyStream = Box::pin(futures_util::stream::iter(vec![
        Ok(bytes::Bytes::from_static(b"partial")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ]));
    h.req(Op::PutObject)
        .key("keep")
        .stream(broken)
        .send()
        .await
        .assert_error(400, "IncompleteBody");
    assert_eq!(h.get("keep").await.body.as_ref(), b"old");
    h.req(Op::PutObject)
        .key("short")
        .header("content-length", "10")
        .body("12345")
        .send()
        .await
        .assert_error(400, "IncompleteBody");
    h.get("short").await.assert_error(404, "NoSuchKey");
    if kind == Kind::Dir {
        let tmp = h.root().join(".multistore/tmp");
        assert_eq!(
            std::fs::read_dir(tmp).unwrap().count(),
            0,
            "temp files are removed"
        );
    }
}

async fn keys_and_versions_are_checked(kind: Kind) {
    let h = Harness::new(kind).await;
    h.put(&"k".repeat(1025), "x")
        .await
        .assert_error(400, "KeyTooLongError");
    h.put(&"k".repeat(1024), "x").await.assert_ok();
    h.put("v", "x").await.assert_ok();
    h.req(Op::GetObject)
        .key("v")
        .query("versionId", "null")
        .send()
        .await
        .assert_ok();
    h.req(Op::GetObject)
        .key("v")
        .query("versionId", "3HL4kqtJlcpXroDTDmJ")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    let big = "x".repeat(2100);
    h.req(Op::PutObject)
        .key("m")
        .header("x-amz-meta-big", &big)
        .send()
        .await
        .assert_error(400, "MetadataTooLarge");
    h.req(Op::PutObject)
        .key("m")
        .header("x-amz-write-offset-bytes", "0")
        .send()
        .await
        .assert_error(501, "NotImplemented");
    let unknown = h.req(Op::GetObject).store("nope").key("v").send().await;
    unknown.assert_error(404, "NoSuchBucket");
}

both!(
    put_get_head_round_trip,
    checksums_are_verified_stored_and_returned,
    ranges,
    conditional_reads,
    response_overrides,
    conditional_writes,
    if_none_match_race_has_one_winner,
    if_match_race_has_one_winner,
    broken_bodies_leave_nothing,
    keys_and_versions_are_checked,
);
