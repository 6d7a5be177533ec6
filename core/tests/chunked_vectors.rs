//! The chunked-upload example of the Amazon S3 API Reference ("Transferring Payload in
//! Multiple Chunks"): a 66560-byte object of `a`s sent as a 65536-byte chunk, a 1024-byte
//! chunk and the final chunk, under seed signature 4f232c43…. The documented request is
//! verified, the documented stream decoded, and each documented chunk signature reproduced,
//! by our chain and by aws-sigv4's `sign_chunk`.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::sign::v4;
use aws_smithy_types::DateTime;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};
use multistore_core::chunked::{
    ChunkEvent, ChunkLimits, ChunkMode, ChunkedDecoder, ChunkedError, SignatureChain,
};
use multistore_core::sigv4::{self, AuthRequest, VerifyPolicy};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const CHUNK_SIGNATURES: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];
const T: i64 = 1_369_353_600;

fn verified() -> sigv4::Verified {
    let mut headers = HeaderMap::new();
    for (n, v) in [
        ("host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "authorization",
            &format!(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature={SEED}"
            ),
        ),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("content-length", "66824"),
    ] {
        headers.insert(
            HeaderName::from_static(n),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let req = AuthRequest {
        method: "PUT",
        raw_path: "/examplebucket/chunkObject.txt",
        query: &[],
        headers: &headers,
    };
    let parsed = sigv4::parse(&req).unwrap().unwrap();
    let regions = ["us-east-1".to_owned()];
    let policy = VerifyPolicy {
        now: DateTime::from_secs(T),
        regions: &regions,
        service: "s3",
        max_skew_secs: 900,
    };
    sigv4::verify(&req, &parsed, SECRET, &policy).unwrap()
}

/// The documented body, 66824 bytes.
fn stream() -> Vec<u8> {
    let mut body = Vec::new();
    for (len, sig) in [
        (65536usize, CHUNK_SIGNATURES[0]),
        (1024, CHUNK_SIGNATURES[1]),
        (0, CHUNK_SIGNATURES[2]),
    ] {
        body.extend_from_slice(format!("{len:x};chunk-signature={sig}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', len));
        body.extend_from_slice(b"\r\n");
    }
    body
}

fn decoder() -> ChunkedDecoder {
    let v = verified();
    let mode = ChunkMode::for_payload(&sigv4::PayloadMode::StreamingSigned, &v).unwrap();
    ChunkedDecoder::new(mode, ChunkLimits::default()).with_expected_length(Some(66560))
}

fn drain(
    d: &mut ChunkedDecoder,
    buf: &mut BytesMut,
    out: &mut Vec<ChunkEvent>,
) -> Result<(), ChunkedError> {
    while let Some(event) = d.decode(buf)? {
        out.push(event);
    }
    Ok(())
}

#[test]
fn documented_stream_decodes() {
    let body = stream();
    assert_eq!(body.len(), 66824, "the documented Content-Length");
    let mut d = decoder();
    let mut buf = BytesMut::from(&body[..]);
    let mut events = Vec::new();
    drain(&mut d, &mut buf, &mut events).unwrap();
    d.finish().unwrap();
    assert_eq!(
        events,
        [
            ChunkEvent::Data(Bytes::from(vec![b'a'; 65536])),
            ChunkEvent::Data(Bytes::from(vec![b'a'; 1024])),
            ChunkEvent::End
        ]
    );
    assert_eq!(d.decoded_len(), 66560);
}

#[test]
fn documented_stream_fed_in_small_pieces() {
    let body = stream();
    let mut d = decoder();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    for piece in body.chunks(977) {
        buf.extend_from_slice(piece);
        drain(&mut d, &mut buf, &mut events).unwrap();
    }
    d.finish().unwrap();
    let data: usize = events
        .iter()
        .map(|e| match e {
            ChunkEvent::Data(b) => b.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(data, 66560);
    assert_eq!(events.last(), Some(&ChunkEvent::End));
}

#[test]
fn a_corrupted_second_chunk_is_refused_after_the_first_was_released() {
    let mut body = stream();
    let second_data = 88 + 65536 + 2 + 86;
    body[second_data + 100] = b'b';
    let mut d = decoder();
    let mut buf = BytesMut::from(&body[..]);
    let mut events = Vec::new();
    let err = drain(&mut d, &mut buf, &mut events).unwrap_err();
    assert_eq!(err, ChunkedError::SignatureDoesNotMatch);
    assert_eq!(events, [ChunkEvent::Data(Bytes::from(vec![b'a'; 65536]))]);
    assert_eq!(d.finish(), Err(ChunkedError::SignatureDoesNotMatch));
}

#[test]
fn documented_chunk_signatures_are_reproduced() {
    let v = verified();
    let mut chain =
        SignatureChain::new(v.signing_key, &v.seed_signature, &v.scope, &v.request_time).unwrap();
    let ours: Vec<String> = [&vec![b'a'; 65536][..], &vec![b'a'; 1024][..], &[]]
        .into_iter()
        .map(|data| chain.sign_chunk(data))
        .collect();
    assert_eq!(ours, CHUNK_SIGNATURES);

    // aws-sigv4, independently.
    let identity = Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(UNIX_EPOCH + Duration::from_secs(T as u64))
        .settings(())
        .build()
        .unwrap();
    let mut previous = SEED.to_owned();
    for (len, want) in [65536usize, 1024, 0].into_iter().zip(CHUNK_SIGNATURES) {
        let chunk = Bytes::from(vec![b'a'; len]);
        let (_, signature) = v4::sign_chunk(&chunk, &previous, &params)
            .unwrap()
            .into_parts();
        assert_eq!(signature, want);
        previous = signature;
    }
}
