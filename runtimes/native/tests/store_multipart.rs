//! Embedded stores, multipart uploads: the happy path (three parts, 5 MiB minimum), the
//! multipart ETag, partNumber reads, composite and full-object checksums, UploadPartCopy
//! with ranges, ListParts and ListMultipartUploads pagination, and every error S3 gives.
//! Every scenario runs on the directory and the memory store.

#[macro_use]
mod store_support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::Digest as _;
use multistore_core::s3::{ListMultipartUploadsOutput, ListPartsOutput, S3Operation as Op};
use store_support::{Harness, Kind, Resp, crc32_b64, data};

const MIB: usize = 1024 * 1024;

async fn create(h: &Harness, key: &str, headers: &[(&str, &str)]) -> String {
    let mut req = h.req(Op::CreateMultipartUpload).key(key);
    for (n, v) in headers {
        req = req.header(n, v);
    }
    let r = req.send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.one("UploadId").unwrap()
}

async fn part(h: &Harness, key: &str, id: &str, n: u32, body: bytes::Bytes) -> Resp {
    h.req(Op::UploadPart)
        .key(key)
        .query("uploadId", id)
        .query("partNumber", &n.to_string())
        .body(body)
        .send()
        .await
}

fn complete_xml(parts: &[(u32, &str)], extra: impl Fn(u32) -> String) -> String {
    let body: String = parts
        .iter()
        .map(|(n, e)| {
            format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag>{}</Part>",
                e.replace('"', "&quot;"),
                extra(*n)
            )
        })
        .collect();
    format!("<CompleteMultipartUpload>{body}</CompleteMultipartUpload>")
}

async fn complete(h: &Harness, key: &str, id: &str, xml: String) -> Resp {
    h.req(Op::CompleteMultipartUpload)
        .key(key)
        .query("uploadId", id)
        .body(xml)
        .send()
        .await
}

fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut md5 = md5::Md5::new();
    for p in parts {
        md5.update(md5::Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(md5.finalize()), parts.len())
}

async fn happy_path(kind: Kind) {
    let h = Harness::new(kind).await;
    let id = create(
        &h,
        "big/object",
        &[
            ("content-type", "video/mp4"),
            ("x-amz-meta-a", "b"),
            ("x-amz-tagging", "t=1"),
        ],
    )
    .await;
    let bodies = [data(5 * MIB, 1), data(5 * MIB + 17, 2), data(1000, 3)];
    let mut etags = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let r = part(&h, "big/object", &id, i as u32 + 1, body.clone()).await;
        r.assert_ok();
        assert_eq!(r.etag(), store_support::md5_etag(body));
        etags.push(r.etag());
    }
    // Not visible before completion.
    h.get("big/object").await.assert_error(404, "NoSuchKey");
    let parts: Vec<(u32, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u32 + 1, e.as_str()))
        .collect();
    let r = complete(
        &h,
        "big/object",
        &id,
        complete_xml(&parts, |_| String::new()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let expected_etag = multipart_etag(&[&bodies[0], &bodies[1], &bodies[2]]);
    assert_eq!(r.one("ETag"), Some(expected_etag.clone()));
    assert_eq!(r.one("Key").as_deref(), Some("big/object"));
    let got = h.get("big/object").await;
    let whole: Vec<u8> = bodies.iter().flat_map(|b| b.iter().copied()).collect();
    assert_eq!(got.body.as_ref(), whole.as_slice());
    assert_eq!(got.etag(), expected_etag);
    assert_eq!(got.header("content-type"), Some("video/mp4"));
    assert_eq!(got.header("x-amz-meta-a"), Some("b"));
    assert_eq!(got.header("x-amz-tagging-count"), Some("1"));
    // partNumber reads each part.
    let p2 = h
        .req(Op::GetObject)
        .key("big/object")
        .query("partNumber", "2")
        .send()
        .await;
    assert_eq!(
        (p2.status, p2.header("x-amz-mp-parts-count")),
        (206, Some("3"))
    );
    assert_eq!(p2.body, bodies[1]);
    assert_eq!(
        p2.header("content-range"),
        Some(format!("bytes {}-{}/{}", 5 * MIB, 10 * MIB + 16, whole.len()).as_str())
    );
    let head3 = h
        .req(Op::HeadObject)
        .key("big/object")
        .query("partNumber", "3")
        .send()
        .await;
    assert_eq!(
        (head3.status, head3.header("content-length")),
        (206, Some("1000"))
    );
    h.req(Op::GetObject)
        .key("big/object")
        .query("partNumber", "4")
        .send()
        .await
        .assert_error(416, "InvalidPartNumber");
    let attrs = h
        .req(Op::GetObjectAttributes)
        .key("big/object")
        .header("x-amz-object-attributes", "ObjectParts")
        .send()
        .await;
    assert_eq!(
        attrs.one("PartsCount").as_deref(),
        Some("3"),
        "{}",
        attrs.text()
    );
    // The upload is gone.
    part(&h, "big/object", &id, 4, data(10, 0))
        .await
        .assert_error(404, "NoSuchUpload");
    let list = h.req(Op::ListMultipartUploads).send().await;
    assert!(list.all("Upload").is_empty(), "{}", list.text());
}

async fn checksums(kind: Kind) {
    let h = Harness::new(kind).await;
    // COMPOSITE CRC32: CRC32 of the concatenated part CRC32s, "-<n>".
    let id = create(&h, "c", &[("x-amz-checksum-algorithm", "CRC32")]).await;
    let bodies = [data(5 * MIB, 5), data(2000, 6)];
    let mut etags = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        let r = h
            .req(Op::UploadPart)
            .key("c")
            .query("uploadId", &id)
            .query("partNumber", &(i + 1).to_string())
            .header("x-amz-checksum-crc32", &crc32_b64(b))
            .body(b.clone())
            .send()
            .await;
        assert_eq!(
            r.header("x-amz-checksum-crc32"),
            Some(crc32_b64(b).as_str()),
            "{}",
            r.text()
        );
        etags.push(r.etag());
    }
    // A part checksum of another algorithm is refused.
    h.req(Op::UploadPart)
        .key("c")
        .query("uploadId", &id)
        .query("partNumber", "3")
        .header("x-amz-checksum-sha256", &store_support::sha256_b64(b"x"))
        .body("x")
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    let listed = h
        .req(Op::ListParts)
        .key("c")
        .query("uploadId", &id)
        .send()
        .await;
    assert_eq!(
        listed.all("ChecksumCRC32"),
        vec![crc32_b64(&bodies[0]), crc32_b64(&bodies[1])]
    );
    let parts = [(1, etags[0].as_str()), (2, etags[1].as_str())];
    let with_sums = |n: u32| {
        format!(
            "<ChecksumCRC32>{}</ChecksumCRC32>",
            crc32_b64(&bodies[n as usize - 1])
        )
    };
    let wrong_sum = complete(
        &h,
        "c",
        &id,
        complete_xml(&parts, |_| {
            format!("<ChecksumCRC32>{}</ChecksumCRC32>", crc32_b64(b"no"))
        }),
    )
    .await;
    wrong_sum.assert_error(400, "InvalidPart");
    let r = complete(&h, "c", &id, complete_xml(&parts, with_sums)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut raw = Vec::new();
    for b in &bodies {
        raw.extend_from_slice(&crc32fast::hash(b).to_be_bytes());
    }
    let composite = format!("{}-2", STANDARD.encode(crc32fast::hash(&raw).to_be_bytes()));
    assert_eq!(r.one("ChecksumCRC32"), Some(composite.clone()));
    assert_eq!(r.one("ChecksumType").as_deref(), Some("COMPOSITE"));
    let head = h
        .req(Op::HeadObject)
        .key("c")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(
        (
            head.header("x-amz-checksum-crc32"),
            head.header("x-amz-checksum-type")
        ),
        (Some(composite.as_str()), Some("COMPOSITE"))
    );
    let p1 = h
        .req(Op::GetObject)
        .key("c")
        .query("partNumber", "1")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(
        p1.header("x-amz-checksum-crc32"),
        Some(crc32_b64(&bodies[0]).as_str())
    );
    // FULL_OBJECT CRC32: the CRC32 of the whole object.
    let id = create(
        &h,
        "f",
        &[
            ("x-amz-checksum-algorithm", "CRC32"),
            ("x-amz-checksum-type", "FULL_OBJECT"),
        ],
    )
    .await;
    let e1 = part(&h, "f", &id, 1, bodies[0].clone()).await.etag();
    let e2 = part(&h, "f", &id, 2, bodies[1].clone()).await.etag();
    let whole: Vec<u8> = bodies.iter().flat_map(|b| b.iter().copied()).collect();
    let r = h
        .req(Op::CompleteMultipartUpload)
        .key("f")
        .query("uploadId", &id)
        .header("x-amz-checksum-crc32", &crc32_b64(b"wrong"))
        .body(complete_xml(&[(1, &e1), (2, &e2)], |_| String::new()))
        .send()
        .await;
    r.assert_error(400, "BadDigest");
    let r = complete(
        &h,
        "f",
        &id,
        complete_xml(&[(1, &e1), (2, &e2)], |_| String::new()),
    )
    .await;
    assert_eq!(
        (r.one("ChecksumCRC32"), r.one("ChecksumType").as_deref()),
        (Some(crc32_b64(&whole)), Some("FULL_OBJECT"))
    );
    // SHA-256 cannot be FULL_OBJECT.
    let r = h
        .req(Op::CreateMultipartUpload)
        .key("s")
        .header("x-amz-checksum-algorithm", "SHA256")
        .header("x-amz-checksum-type", "FULL_OBJECT")
        .send()
        .await;
    r.assert_error(400, "InvalidRequest");
}

async fn completion_errors(kind: Kind) {
    let h = Harness::new(kind).await;
    let id = create(&h, "e", &[]).await;
    let small = data(1000, 1);
    let big = data(5 * MIB, 2);
    let e1 = part(&h, "e", &id, 1, small.clone()).await.etag();
    let e2 = part(&h, "e", &id, 2, big.clone()).await.etag();
    let e3 = part(&h, "e", &id, 3, small.clone()).await.etag();
    let c = |parts: Vec<(u32, String)>| {
        let parts: Vec<(u32, String)> = parts;
        complete_xml(
            &parts
                .iter()
                .map(|(n, e)| (*n, e.as_str()))
                .collect::<Vec<_>>(),
            |_| String::new(),
        )
    };
    complete(&h, "e", &id, c(vec![(2, e2.clone()), (1, e1.clone())]))
        .await
        .assert_error(400, "InvalidPartOrder");
    complete(&h, "e", &id, c(vec![(2, e2.clone()), (2, e2.clone())]))
        .await
        .assert_error(400, "InvalidPartOrder");
    complete(&h, "e", &id, c(vec![(2, e2.clone()), (7, e1.clone())]))
        .await
        .assert_error(400, "InvalidPart");
    complete(&h, "e", &id, c(vec![(2, e1.clone())]))
        .await
        .assert_error(400, "InvalidPart");
    complete(&h, "e", &id, c(vec![(1, e1.clone()), (2, e2.clone())]))
        .await
        .assert_error(400, "EntityTooSmall");
    complete(
        &h,
        "e",
        &id,
        "<CompleteMultipartUpload></CompleteMultipartUpload>".into(),
    )
    .await
    .assert_error(400, "MalformedXML");
    complete(&h, "e", &id, "<CompleteMultipartUpload><Part>".into())
        .await
        .assert_error(400, "MalformedXML");
    complete(&h, "e", "ffff", c(vec![(2, e2.clone())]))
        .await
        .assert_error(404, "NoSuchUpload");
    complete(&h, "other-key", &id, c(vec![(2, e2.clone())]))
        .await
        .assert_error(404, "NoSuchUpload");
    complete(&h, "e", "../../etc", c(vec![(2, e2.clone())]))
        .await
        .assert_error(404, "NoSuchUpload");
    part(&h, "e", &id, 0, small.clone())
        .await
        .assert_error(400, "InvalidArgument");
    part(&h, "e", &id, 10_001, small.clone())
        .await
        .assert_error(400, "InvalidArgument");
    part(&h, "e", "nope", 1, small.clone())
        .await
        .assert_error(404, "NoSuchUpload");
    h.req(Op::UploadPart)
        .key("e")
        .query("uploadId", &id)
        .query("partNumber", "4")
        .header("content-md5", &store_support::content_md5(b"other"))
        .body(small.clone())
        .send()
        .await
        .assert_error(400, "BadDigest");
    // Conditional completion.
    h.put("e", "existing").await.assert_ok();
    let r = h
        .req(Op::CompleteMultipartUpload)
        .key("e")
        .query("uploadId", &id)
        .header("if-none-match", "*")
        .body(c(vec![(2, e2.clone()), (3, e3.clone())]))
        .send()
        .await;
    r.assert_error(412, "PreconditionFailed");
    assert_eq!(h.get("e").await.body.as_ref(), b"existing");
    // A valid subset (the last part may be small) completes; the upload is then gone.
    let ok = complete(&h, "e", &id, c(vec![(2, e2.clone()), (3, e3.clone())])).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let got = h.get("e").await.body;
    assert_eq!((got.len(), &got[..5 * MIB]), (5 * MIB + 1000, big.as_ref()));
    complete(&h, "e", &id, c(vec![(2, e2)]))
        .await
        .assert_error(404, "NoSuchUpload");
    // Abort.
    let id = create(&h, "ab", &[]).await;
    part(&h, "ab", &id, 1, small.clone()).await.assert_ok();
    assert_eq!(
        h.req(Op::AbortMultipartUpload)
            .key("ab")
            .query("uploadId", &id)
            .send()
            .await
            .status,
        204
    );
    h.req(Op::AbortMultipartUpload)
        .key("ab")
        .query("uploadId", &id)
        .send()
        .await
        .assert_error(404, "NoSuchUpload");
    h.req(Op::ListParts)
        .key("ab")
        .query("uploadId", &id)
        .send()
        .await
        .assert_error(404, "NoSuchUpload");
    h.get("ab").await.assert_error(404, "NoSuchKey");
}

async fn list_parts_and_uploads(kind: Kind) {
    let h = Harness::new(kind).await;
    let id = create(&h, "lp", &[]).await;
    for n in [1u32, 2, 3, 5, 8] {
        part(&h, "lp", &id, n, data(10 * n as usize, n as u8))
            .await
            .assert_ok();
    }
    // Re-uploading a part replaces it.
    part(&h, "lp", &id, 2, data(7, 0)).await.assert_ok();
    let mut seen = Vec::new();
    let mut marker = "0".to_owned();
    loop {
        let r = h
            .req(Op::ListParts)
            .key("lp")
            .query("uploadId", &id)
            .query("max-parts", "2")
            .query("part-number-marker", &marker)
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let out = ListPartsOutput::from_http(&r.headers, Some(&r.body)).unwrap();
        seen.extend(
            out.parts
                .iter()
                .map(|p| (p.part_number.unwrap(), p.size.unwrap())),
        );
        if out.is_truncated != Some(true) {
            break;
        }
        marker = out.next_part_number_marker.unwrap();
    }
    assert_eq!(seen, vec![(1, 10), (2, 7), (3, 30), (5, 50), (8, 80)]);
    // Uploads: several per key, grouped by delimiter, paginated by key and upload id markers.
    let mut ids = vec![id];
    for key in ["lp", "x/1", "x/2", "y"] {
        ids.push(create(&h, key, &[]).await);
    }
    let mut got = Vec::new();
    let (mut key_marker, mut id_marker) = (String::new(), String::new());
    loop {
        let r = h
            .req(Op::ListMultipartUploads)
            .query("max-uploads", "2")
            .query("key-marker", &key_marker)
            .query("upload-id-marker", &id_marker)
            .send()
            .await;
        let out = ListMultipartUploadsOutput::from_http(&r.headers, Some(&r.body)).unwrap();
        got.extend(
            out.uploads
                .iter()
                .map(|u| (u.key.clone().unwrap(), u.upload_id.clone().unwrap())),
        );
        if out.is_truncated != Some(true) {
            break;
        }
        key_marker = out.next_key_marker.unwrap();
        id_marker = out.next_upload_id_marker.unwrap_or_default();
    }
    let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, vec!["lp", "lp", "x/1", "x/2", "y"]);
    let mut got_ids: Vec<String> = got.into_iter().map(|(_, i)| i).collect();
    got_ids.sort();
    ids.sort();
    assert_eq!(got_ids, ids);
    let grouped = h
        .req(Op::ListMultipartUploads)
        .query("delimiter", "/")
        .query("prefix", "")
        .send()
        .await;
    let out = ListMultipartUploadsOutput::from_http(&grouped.headers, Some(&grouped.body)).unwrap();
    let prefixes: Vec<_> = out
        .common_prefixes
        .into_iter()
        .map(|p| p.prefix.unwrap())
        .collect();
    assert_eq!((prefixes, out.uploads.len()), (vec!["x/".to_owned()], 3));
}

async fn upload_part_copy(kind: Kind) {
    let h = Harness::with_stores(kind, &[("other", Kind::Memory)]).await;
    let src = data(6 * MIB, 7);
    h.put("src", src.clone()).await.assert_ok();
    h.req(Op::PutObject)
        .store("other")
        .key("far")
        .body(data(3000, 8))
        .send()
        .await
        .assert_ok();
    let id = create(&h, "dst", &[]).await;
    let copy = |n: &str, source: &str, range: Option<&str>| {
        let mut r = h
            .req(Op::UploadPartCopy)
            .key("dst")
            .query("uploadId", &id)
            .query("partNumber", n)
            .header("x-amz-copy-source", source);
        if let Some(range) = range {
            r = r.header("x-amz-copy-source-range", range);
        }
        r
    };
    let r1 = copy("1", "/bkt/src", Some(&format!("bytes=0-{}", 5 * MIB - 1)))
        .send()
        .await;
    assert_eq!(r1.status, 200, "{}", r1.text());
    let e1 = r1.one("ETag").unwrap();
    assert_eq!(e1, store_support::md5_etag(&src[..5 * MIB]));
    let e2 = copy("2", "other/far", Some("bytes=10-19"))
        .send()
        .await
        .one("ETag")
        .unwrap();
    copy("3", "bkt/src", Some(&format!("bytes=0-{}", 6 * MIB)))
        .send()
        .await
        .assert_error(416, "InvalidRange");
    copy("3", "bkt/src", Some("bytes=5-"))
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    copy("3", "bkt/absent", None)
        .send()
        .await
        .assert_error(404, "NoSuchKey");
    copy("3", "nobucket/src", None)
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
    copy("3", "bkt/src", None)
        .header("x-amz-copy-source-if-match", "\"0\"")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    let r = complete(
        &h,
        "dst",
        &id,
        complete_xml(&[(1, &e1), (2, &e2)], |_| String::new()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = h.get("dst").await.body;
    assert_eq!(&got[..5 * MIB], &src[..5 * MIB]);
    assert_eq!(&got[5 * MIB..], &data(3000, 8)[10..20]);
}

both!(
    happy_path,
    checksums,
    completion_errors,
    list_parts_and_uploads,
    upload_part_copy
);

#[test]
fn md5_helper_is_the_digest() {
    assert_eq!(
        store_support::md5_etag(b""),
        "\"d41d8cd98f00b204e9800998ecf8427e\""
    );
    let _ = multipart_etag(&[b"a"]);
}
