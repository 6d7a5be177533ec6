//! Bad input against the gateway (in front of the embedded directory store): malformed XML
//! bodies, a Content-Length larger than the body sent, a truncated aws-chunked stream and
//! oversized headers each get their S3 error (or, where HTTP leaves no room for an answer, a
//! closed connection), store nothing, and leave the server serving the next request.

mod support;

use std::time::Duration;

use http::Method;
use support::raw::{self, Raw};
use support::{ADMIN, BUCKET, Harness, Kind};

/// A gateway in front of a directory, with `[limits] max_header_bytes = 4096`.
async fn harness() -> Harness {
    Harness::start_with(Kind::Local, "[limits]\nmax_header_bytes = 4096\n")
        .await
        .expect("the local backend is always available")
}

/// The server still answers a normal request.
async fn still_serving(h: &Harness) {
    let listed =
        h.s3.list_buckets()
            .send()
            .await
            .expect("the server still serves");
    assert_eq!(listed.buckets().len(), 2);
    h.put("after", b"fine".to_vec()).await;
    assert_eq!(h.get("after").await, b"fine");
}

/// A signed request with a literal SHA-256 payload hash.
fn signed(h: &Harness, mut req: Raw) -> Raw {
    req.sign(&h.gw.host(), ADMIN, None, raw::now());
    req
}

fn content_md5(body: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_xml_bodies_are_malformed_xml() {
    let h = harness().await;
    h.put("victim", b"still here".to_vec()).await;
    for body in [
        &b"<Delete><Object><Key>victim</Key></Object>"[..],
        b"this is not xml",
        b"<Delete><Object><Key>victim</Key></Object></Delete><Delete/>",
        b"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY e \"x\">]><Delete><Object><Key>&e;</Key></Object></Delete>",
    ] {
        let req = Raw::new(Method::POST, &format!("/{BUCKET}"))
            .query("delete", "")
            .header("content-md5", &content_md5(body))
            .body(body.to_vec());
        let answer = signed(&h, req).send(h.gw.addr).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code().as_str()),
            (400, "MalformedXML"),
            "DeleteObjects with {:?}: {}",
            String::from_utf8_lossy(body),
            answer.text()
        );
    }
    assert!(h.exists("victim").await, "nothing was deleted");

    let upload =
        h.s3.create_multipart_upload()
            .bucket(BUCKET)
            .key("mp")
            .send()
            .await
            .unwrap();
    let upload_id = upload.upload_id().unwrap();
    for body in [
        &b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"[..],
        b"{\"json\": true}",
    ] {
        let req = Raw::new(Method::POST, &format!("/{BUCKET}/mp"))
            .query("uploadId", upload_id)
            .body(body.to_vec());
        let answer = signed(&h, req).send(h.gw.addr).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code().as_str()),
            (400, "MalformedXML"),
            "CompleteMultipartUpload with {:?}: {}",
            String::from_utf8_lossy(body),
            answer.text()
        );
    }
    let parts =
        h.s3.list_parts()
            .bucket(BUCKET)
            .key("mp")
            .upload_id(upload_id)
            .send()
            .await;
    assert!(parts.is_ok(), "the upload is still open");
    assert!(!h.exists("mp").await);
    still_serving(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_larger_than_the_body_stores_nothing() {
    let h = harness().await;
    for (declared, sent) in [(1000usize, 10usize), (5 * 1024 * 1024, 64 * 1024)] {
        let key = format!("short-{declared}");
        let mut req = Raw::new(Method::PUT, &format!("/{BUCKET}/{key}"))
            .header("content-length", &declared.to_string());
        req.sign(&h.gw.host(), ADMIN, Some("UNSIGNED-PAYLOAD"), raw::now());
        let mut bytes = req.head_bytes(h.gw.addr);
        bytes.extend(std::iter::repeat_n(b'x', sent));
        // Send fewer bytes than declared, then close our side.
        let answer = raw::tcp_exchange(h.gw.addr, &bytes, Duration::from_secs(10)).await;
        eprintln!(
            "short body {sent} of {declared}: {}",
            answer
                .as_ref()
                .map_or("connection closed".to_owned(), |a| format!(
                    "{} {}",
                    a.status,
                    a.code()
                ))
        );
        if let Some(answer) = answer {
            assert_eq!(
                (answer.status.as_u16(), answer.code().as_str()),
                (400, "IncompleteBody"),
                "{}",
                answer.text()
            );
        }
        assert!(
            !h.exists(&key).await,
            "a short body ({sent} of {declared}) stores nothing"
        );
    }
    still_serving(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_aws_chunked_stream_is_incomplete_body() {
    let h = harness().await;
    let data = support::data(1000, 3);
    // Declares a 0x3e8-byte chunk, sends 100 bytes of it: the HTTP body is complete
    // (Content-Length matches), the aws-chunked stream is not.
    let mut framed = b"3e8\r\n".to_vec();
    framed.extend_from_slice(&data[..100]);
    let mut req = Raw::new(Method::PUT, &format!("/{BUCKET}/truncated"))
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "1000")
        .header("x-amz-trailer", "x-amz-checksum-crc32")
        .header("content-length", &framed.len().to_string())
        .body(framed);
    req.sign(
        &h.gw.host(),
        ADMIN,
        Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        raw::now(),
    );
    let answer = req.send(h.gw.addr).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (400, "IncompleteBody"),
        "{}",
        answer.text()
    );
    assert!(!h.exists("truncated").await);

    // The same with signed chunks: the first chunk complete, then the stream stops.
    let now = raw::now();
    let full = raw::signed_chunks(
        &data,
        512,
        raw::chain(ADMIN.1, "0".repeat(64).as_str(), now),
        None,
    );
    let mut req = Raw::new(Method::PUT, &format!("/{BUCKET}/truncated-signed"))
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "1000")
        .header("content-length", &(full.len() / 2).to_string());
    let seed = req.sign(
        &h.gw.host(),
        ADMIN,
        Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        now,
    );
    let full = raw::signed_chunks(&data, 512, raw::chain(ADMIN.1, &seed, now), None);
    let answer = req
        .body(full[..full.len() / 2].to_vec())
        .send(h.gw.addr)
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (400, "IncompleteBody"),
        "{}",
        answer.text()
    );
    assert!(!h.exists("truncated-signed").await);
    still_serving(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_request_header_section_too_large() {
    let h = harness().await;
    // Over `[limits] max_header_bytes` (4096): the gateway's S3 error.
    let answer = Raw::new(Method::GET, &format!("/{BUCKET}/k"))
        .header("x-amz-meta-big", &"a".repeat(5000))
        .send(h.gw.addr)
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (400, "RequestHeaderSectionTooLarge"),
        "{}",
        answer.text()
    );
    // Many small headers add up the same way.
    let mut many = Raw::new(Method::GET, &format!("/{BUCKET}/k"));
    for i in 0..200 {
        many = many.header(&format!("x-custom-{i}"), "0123456789012345678901234567890");
    }
    let answer = many.send(h.gw.addr).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (400, "RequestHeaderSectionTooLarge")
    );

    // Far over it (past what the HTTP parser buffers): an HTTP 431 or a closed connection,
    // never a hang or a crash.
    let huge = Raw::new(Method::GET, &format!("/{BUCKET}/k"))
        .header("x-amz-meta-huge", &"b".repeat(256 * 1024));
    let answer = raw::tcp_exchange(
        h.gw.addr,
        &huge.head_bytes(h.gw.addr),
        Duration::from_secs(10),
    )
    .await;
    if let Some(answer) = answer {
        assert!(
            answer.status == 431 || answer.status == 400,
            "a huge header section: {} {}",
            answer.status,
            answer.text()
        );
    }
    still_serving(&h).await;
}
