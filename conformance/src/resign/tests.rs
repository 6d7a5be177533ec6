//! Re-signing checked against the signing examples of the Amazon S3 API Reference (header
//! auth: "GET Object"; signed chunks: "Transferring Payload in Multiple Chunks"), and
//! against itself: a re-signed request verifies as valid at its new time.

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const KEY: &str = "AKIAIOSFODNN7EXAMPLE";

fn secrets(id: &str) -> Option<String> {
    (id == KEY).then(|| SECRET.to_owned())
}

fn get_object() -> Message {
    Message {
        start: "GET /test.txt HTTP/1.1".into(),
        headers: vec![
            ("Host".into(), "examplebucket.s3.amazonaws.com".into()),
            ("Range".into(), "bytes=0-9".into()),
            ("x-amz-content-sha256".into(), EMPTY_SHA256.into()),
            ("x-amz-date".into(), "20130524T000000Z".into()),
            (
                "Authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential={KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
                ),
            ),
        ],
        body: Vec::new(),
    }
}

const CHUNK_SIGNATURES: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

fn chunked_put(signatures: [&str; 3]) -> Message {
    let mut body = Vec::new();
    for (len, sig) in [
        (65536usize, signatures[0]),
        (1024, signatures[1]),
        (0, signatures[2]),
    ] {
        body.extend_from_slice(format!("{len:x};chunk-signature={sig}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', len));
        body.extend_from_slice(b"\r\n");
    }
    Message {
        start: "PUT /examplebucket/chunkObject.txt HTTP/1.1".into(),
        headers: vec![
            ("Host".into(), "s3.amazonaws.com".into()),
            ("x-amz-date".into(), "20130524T000000Z".into()),
            ("x-amz-storage-class".into(), "REDUCED_REDUNDANCY".into()),
            (
                "Authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential={KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
                ),
            ),
            (
                "x-amz-content-sha256".into(),
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into(),
            ),
            ("Content-Encoding".into(), "aws-chunked".into()),
            ("x-amz-decoded-content-length".into(), "66560".into()),
            ("Content-Length".into(), "66824".into()),
        ],
        body,
    }
}

#[test]
fn the_documented_get_object_signature_verifies_and_resigns() {
    let mut request = get_object();
    let before = request.clone();
    let done = resign_recorded(
        &mut request,
        "127.0.0.1:9000",
        "20261129T101500Z",
        &secrets,
        200,
    )
    .unwrap();
    assert_eq!(
        done,
        Resigned {
            kind: AuthKind::Header,
            valid: true,
            chunks: false
        }
    );
    assert_eq!(request.header("host"), Some("127.0.0.1:9000"));
    assert_eq!(request.header("x-amz-date"), Some("20261129T101500Z"));
    let auth = request.header("authorization").unwrap();
    assert!(
        auth.contains("/20261129/us-east-1/s3/aws4_request,SignedHeaders=host;range;"),
        "{auth}"
    );
    assert!(!auth.contains("f0e8bdb8"), "{auth}");
    // Everything else is as it was, in order and casing.
    let names: Vec<_> = request.headers.iter().map(|h| h.0.clone()).collect();
    let before_names: Vec<_> = before.headers.iter().map(|h| h.0.clone()).collect();
    assert_eq!(names, before_names);
    assert_eq!(request.header("Range"), Some("bytes=0-9"));
    // The new signature verifies as valid at its own time.
    let again =
        resign_recorded(&mut request.clone(), "x", "20261129T101600Z", &secrets, 200).unwrap();
    assert!(again.valid);
}

#[test]
fn a_wrong_signature_stays_wrong_and_is_refused_unless_the_reference_refused_it() {
    let mut request = get_object();
    let auth = request
        .header("authorization")
        .unwrap()
        .replace("f0e8", "0000");
    request.set_header("authorization", &auth);
    assert_eq!(
        resign_recorded(&mut request.clone(), "h", "20261129T101500Z", &secrets, 200),
        Err(ResignError::Unreproducible("header"))
    );
    let done = resign_recorded(&mut request, "h", "20261129T101500Z", &secrets, 403).unwrap();
    assert!(!done.valid);
    assert!(
        !resign_recorded(&mut request, "h", "20261129T101600Z", &secrets, 403)
            .unwrap()
            .valid
    );
    assert_eq!(
        resign_recorded(&mut get_object(), "h", "20261129T101500Z", &|_| None, 200),
        Err(ResignError::UnknownKey(KEY.into()))
    );
    // An unknown key the reference refused stays unknown, with some signature.
    assert!(
        !resign_recorded(&mut get_object(), "h", "20261129T101500Z", &|_| None, 403)
            .unwrap()
            .valid
    );
}

#[test]
fn the_documented_chunk_chain_verifies_and_is_recomputed_over_the_same_sizes() {
    let mut request = chunked_put(CHUNK_SIGNATURES);
    let done = resign_recorded(&mut request, "h", "20261129T101500Z", &secrets, 200).unwrap();
    assert_eq!(
        done,
        Resigned {
            kind: AuthKind::Header,
            valid: true,
            chunks: true
        }
    );
    assert_eq!(request.body.len(), 66824);
    let text = String::from_utf8_lossy(&request.body);
    assert!(
        text.starts_with("10000;chunk-signature="),
        "{}",
        &text[..80]
    );
    for sig in CHUNK_SIGNATURES {
        assert!(!text.contains(sig));
    }
    // The new chain verifies from the new seed.
    assert!(
        resign_recorded(&mut request.clone(), "h", "20261129T101600Z", &secrets, 200)
            .unwrap()
            .valid
    );
    // A broken chain is not reproducible unless the reference refused it.
    let broken = chunked_put([
        CHUNK_SIGNATURES[0],
        CHUNK_SIGNATURES[0],
        CHUNK_SIGNATURES[2],
    ]);
    assert_eq!(
        resign_recorded(&mut broken.clone(), "h", "20261129T101500Z", &secrets, 200),
        Err(ResignError::Unreproducible("chunk"))
    );
}

#[test]
fn presigned_urls_keep_their_query_bytes_but_the_date_and_signature() {
    let mut request = get_object();
    request.headers.retain(|(n, _)| n == "Host");
    request.set_target("/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    let done = resign_recorded(
        &mut request,
        "127.0.0.1:1",
        "20261129T101500Z",
        &secrets,
        200,
    )
    .unwrap();
    assert_eq!(
        done,
        Resigned {
            kind: AuthKind::Presigned,
            valid: true,
            chunks: false
        }
    );
    let target = request.target();
    assert!(target.starts_with("/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261129%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261129T101500Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="), "{target}");
    assert!(!target.contains("aeeed9bb"));
}
