//! Unit tests for the aws-chunked decoder's limits and framing errors, and for the encoder.
//! Signed streams and the AWS example are in `core/tests/chunked_*.rs`.

use aws_smithy_types::DateTime;
use bytes::{Bytes, BytesMut};

use super::*;
use crate::s3::S3ErrorCode;
use crate::sigv4::derive_signing_key;

const LIMITS: ChunkLimits = ChunkLimits {
    max_chunk_size: 1 << 20,
    max_header_line: 128,
    max_trailer_bytes: 128,
};
const SIG: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn scope() -> CredentialScope {
    CredentialScope {
        date: "20130524".into(),
        region: "us-east-1".into(),
        service: "s3".into(),
    }
}

fn signed_mode(trailer: bool) -> ChunkMode {
    let signing_key = derive_signing_key("secret", "20130524", "us-east-1", "s3");
    let (seed_signature, scope, request_time) =
        (SIG.to_owned(), scope(), DateTime::from_secs(1_369_353_600));
    if trailer {
        ChunkMode::SignedWithTrailer {
            signing_key,
            seed_signature,
            scope,
            request_time,
        }
    } else {
        ChunkMode::Signed {
            signing_key,
            seed_signature,
            scope,
            request_time,
        }
    }
}

/// Decodes all of `input` at once: the events, then the first error (decode or finish).
fn run(
    mode: ChunkMode,
    expected: Option<u64>,
    input: &[u8],
) -> (Vec<ChunkEvent>, Option<ChunkedError>) {
    let mut d = ChunkedDecoder::new(mode, LIMITS).with_expected_length(expected);
    let mut buf = BytesMut::from(input);
    let mut events = Vec::new();
    loop {
        match d.decode(&mut buf) {
            Ok(Some(e)) => events.push(e),
            Ok(None) => return (events, d.finish().err()),
            Err(e) => {
                assert_eq!(d.decode(&mut buf), Err(e.clone()), "errors stick");
                assert_eq!(d.finish(), Err(e.clone()));
                return (events, Some(e));
            }
        }
    }
}

fn data(s: &str) -> ChunkEvent {
    ChunkEvent::Data(Bytes::copy_from_slice(s.as_bytes()))
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn unsigned_stream_with_trailers() {
    let input = b"5\r\nhello\r\n1\r\n!\r\n0\r\nX-Amz-Checksum-CRC32: sOO8/Q== \r\nx-amz-checksum-sha1:abc\r\n\r\n";
    let (events, err) = run(ChunkMode::Unsigned, Some(6), input);
    assert_eq!(err, None);
    assert_eq!(
        events,
        [
            data("hello"),
            data("!"),
            ChunkEvent::Trailers(pairs(&[
                ("x-amz-checksum-crc32", "sOO8/Q=="),
                ("x-amz-checksum-sha1", "abc")
            ])),
            ChunkEvent::End
        ]
    );
}

#[test]
fn unsigned_data_streams_out_before_the_chunk_completes() {
    let mut d = ChunkedDecoder::new(ChunkMode::Unsigned, LIMITS);
    let mut buf = BytesMut::from(&b"a\r\n0123"[..]);
    assert_eq!(d.decode(&mut buf), Ok(Some(data("0123"))));
    assert_eq!(d.decode(&mut buf), Ok(None));
    assert_eq!(d.finish(), Err(ChunkedError::Truncated));
    buf.extend_from_slice(b"456789\r\n0\r\n\r\n");
    assert_eq!(d.decode(&mut buf), Ok(Some(data("456789"))));
    assert_eq!(d.decode(&mut buf), Ok(Some(ChunkEvent::End)));
    assert!(d.is_done());
    assert_eq!(d.decode(&mut buf), Ok(None));
    d.finish().unwrap();
    buf.extend_from_slice(b"x");
    assert_eq!(d.decode(&mut buf), Err(ChunkedError::TrailingData));
}

#[test]
fn malformed_framing() {
    use Malformed::*;
    let cases: &[(&[u8], Malformed)] = &[
        (b"\r\n", ChunkSize),
        (b"g\r\n", ChunkSize),
        (b"+5\r\nhello\r\n", ChunkSize),
        (b" 5\r\nhello\r\n", ChunkSize),
        (b"5 \r\nhello\r\n", ChunkSize),
        (b"5;ext=1\r\nhello\r\n", ChunkExtension),
        (b"5\r\nhelloX\r\n", MissingCrlf),
        (b"5\r\nhello\n0\r\n\r\n", MissingCrlf),
        (b"0\r\nno-colon\r\n\r\n", TrailerLine),
        (b"0\r\n:v\r\n\r\n", TrailerLine),
        (b"0\r\nbad name:v\r\n\r\n", TrailerLine),
        (b"0\r\nname:v\x01\r\n\r\n", TrailerLine),
        (
            b"0\r\nx-amz-trailer-signature:abc\r\n\r\n",
            MisplacedTrailerSignature,
        ),
    ];
    for (input, want) in cases {
        let (_, err) = run(ChunkMode::Unsigned, None, input);
        assert_eq!(
            err,
            Some(ChunkedError::Malformed(*want)),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    let unsigned_header = b"5\r\nhello\r\n";
    assert_eq!(
        run(signed_mode(false), None, unsigned_header).1,
        Some(ChunkExtension.into())
    );
    let short_sig = b"5;chunk-signature=abc\r\nhello\r\n";
    assert_eq!(
        run(signed_mode(false), None, short_sig).1,
        Some(ChunkExtension.into())
    );
    let other_ext = format!("5;chunk-signaturX={SIG}\r\nhello\r\n");
    assert_eq!(
        run(signed_mode(false), None, other_ext.as_bytes()).1,
        Some(ChunkExtension.into())
    );
    assert_eq!(
        ChunkedError::Malformed(ChunkSize).s3_code(),
        S3ErrorCode::IncompleteBody
    );
}

#[test]
fn a_wrong_chunk_signature_releases_nothing() {
    let input = format!("5;chunk-signature={SIG}\r\nhello\r\n");
    let (events, err) = run(signed_mode(false), None, input.as_bytes());
    assert_eq!(events, []);
    assert_eq!(err, Some(ChunkedError::SignatureDoesNotMatch));
    // An uppercase spelling of a signature is not accepted either (checked in the props
    // test against real signatures); a final chunk is verified too.
    let fin = format!("0;chunk-signature={SIG}\r\n\r\n");
    assert_eq!(
        run(signed_mode(false), None, fin.as_bytes()).1,
        Some(ChunkedError::SignatureDoesNotMatch)
    );
}

#[test]
fn signed_streams_hold_data_until_the_chunk_is_complete() {
    let mut chain = SignatureChain::new(
        derive_signing_key("secret", "20130524", "us-east-1", "s3"),
        SIG,
        &scope(),
        &DateTime::from_secs(1_369_353_600),
    )
    .unwrap();
    let first = chain.sign_chunk(b"hello");
    let fin = chain.sign_chunk(b"");
    let mut d = ChunkedDecoder::new(signed_mode(false), LIMITS);
    let mut buf = BytesMut::from(format!("5;chunk-signature={first}\r\nhell").as_bytes());
    assert_eq!(
        d.decode(&mut buf),
        Ok(None),
        "nothing before the whole chunk is here"
    );
    buf.extend_from_slice(b"o");
    assert_eq!(d.decode(&mut buf), Ok(Some(data("hello"))));
    buf.extend_from_slice(format!("\r\n0;chunk-signature={fin}\r\n\r\n").as_bytes());
    assert_eq!(d.decode(&mut buf), Ok(Some(ChunkEvent::End)));
    d.finish().unwrap();
}

#[test]
fn trailers_by_mode() {
    // Signed without trailer: no trailer lines allowed.
    let mut chain = SignatureChain::new(
        derive_signing_key("secret", "20130524", "us-east-1", "s3"),
        SIG,
        &scope(),
        &DateTime::from_secs(1_369_353_600),
    )
    .unwrap();
    let fin = chain.sign_chunk(b"");
    let input = format!("0;chunk-signature={fin}\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    assert_eq!(
        run(signed_mode(false), None, input.as_bytes()).1,
        Some(Malformed::UnexpectedTrailer.into())
    );
    // Signed with trailer: the trailer signature is required, last and once.
    let trailers = pairs(&[("x-amz-checksum-crc32", "AAAAAA==")]);
    let tsig = chain.sign_trailer(&trailers);
    let ok = format!(
        "0;chunk-signature={fin}\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:{tsig}\r\n\r\n"
    );
    let (events, err) = run(signed_mode(true), Some(0), ok.as_bytes());
    assert_eq!(err, None);
    assert_eq!(
        events,
        [ChunkEvent::Trailers(trailers.clone()), ChunkEvent::End]
    );
    let missing = format!("0;chunk-signature={fin}\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    assert_eq!(
        run(signed_mode(true), None, missing.as_bytes()).1,
        Some(Malformed::MissingTrailerSignature.into())
    );
    let after = format!(
        "0;chunk-signature={fin}\r\nx-amz-trailer-signature:{tsig}\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    );
    assert_eq!(
        run(signed_mode(true), None, after.as_bytes()).1,
        Some(Malformed::MisplacedTrailerSignature.into())
    );
    let changed = ok.replace("AAAAAA==", "AAAAAB==");
    assert_eq!(
        run(signed_mode(true), None, changed.as_bytes()).1,
        Some(ChunkedError::SignatureDoesNotMatch)
    );
}

#[test]
fn oversized_chunk_size_lines_are_refused_at_the_limit() {
    let mut d = ChunkedDecoder::new(ChunkMode::Unsigned, LIMITS);
    // A 128-byte line is fine…
    let mut buf = BytesMut::from(format!("{:0>128}\r\nx\r\n0\r\n\r\n", "1").as_bytes());
    assert_eq!(d.decode(&mut buf), Ok(Some(data("x"))));
    // …129 bytes are not, and the decoder says so as soon as 130 bytes are in without a CRLF.
    let mut d = ChunkedDecoder::new(ChunkMode::Unsigned, LIMITS);
    let mut buf = BytesMut::from(&[b'0'; 129][..]);
    assert_eq!(d.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"1");
    assert_eq!(
        d.decode(&mut buf),
        Err(ChunkedError::HeaderLineTooLong { limit: 128 })
    );
}

#[test]
fn huge_declared_sizes_are_refused_without_allocating() {
    for (line, declared) in [
        ("100001\r\n", 0x100001),
        ("ffffffffffffffff\r\n", u64::MAX),
        ("fffffffffffffffffffffffffff\r\n", u64::MAX),
        (
            &format!("7fffffffffffffff;chunk-signature={SIG}\r\n"),
            0x7fff_ffff_ffff_ffff,
        ),
    ] {
        let mode = if line.contains(';') {
            signed_mode(false)
        } else {
            ChunkMode::Unsigned
        };
        let mut d = ChunkedDecoder::new(mode, LIMITS);
        let mut buf = BytesMut::from(line.as_bytes());
        let before = buf.capacity();
        assert_eq!(
            d.decode(&mut buf),
            Err(ChunkedError::ChunkTooLarge {
                declared,
                limit: 1 << 20
            }),
            "{line}"
        );
        assert!(
            buf.capacity() <= before.max(128),
            "nothing reserved for the declared size"
        );
    }
    assert_eq!(
        ChunkedError::ChunkTooLarge {
            declared: 1,
            limit: 0
        }
        .s3_code(),
        S3ErrorCode::EntityTooLarge
    );
}

#[test]
fn trailers_are_bounded() {
    let mut input = b"0\r\n".to_vec();
    for i in 0..10 {
        input.extend_from_slice(format!("x-amz-meta-{i}:{}\r\n", "v".repeat(10)).as_bytes());
    }
    input.extend_from_slice(b"\r\n");
    assert_eq!(
        run(ChunkMode::Unsigned, None, &input).1,
        Some(ChunkedError::TrailersTooLarge { limit: 128 })
    );
    // One line bigger than the budget is refused before its CRLF arrives.
    let mut d = ChunkedDecoder::new(ChunkMode::Unsigned, LIMITS);
    let mut buf = BytesMut::from(&b"0\r\n"[..]);
    buf.extend_from_slice(&[b'a'; 200]);
    assert_eq!(
        d.decode(&mut buf),
        Err(ChunkedError::TrailersTooLarge { limit: 128 })
    );
}

#[test]
fn decoded_length_must_match_the_declaration() {
    let input = b"5\r\nhello\r\n0\r\n\r\n";
    assert_eq!(run(ChunkMode::Unsigned, Some(5), input).1, None);
    assert_eq!(
        run(ChunkMode::Unsigned, Some(6), input).1,
        Some(ChunkedError::DecodedLengthMismatch {
            expected: 6,
            actual: 5
        })
    );
    // Too long is caught at the chunk header, before its data.
    let (events, err) = run(ChunkMode::Unsigned, Some(4), input);
    assert_eq!(events, []);
    assert_eq!(
        err,
        Some(ChunkedError::DecodedLengthMismatch {
            expected: 4,
            actual: 5
        })
    );
}

#[test]
fn truncation_is_an_error_only_at_finish() {
    let input = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    for end in 0..input.len() {
        let (_, err) = run(ChunkMode::Unsigned, None, &input[..end]);
        assert_eq!(err, Some(ChunkedError::Truncated), "cut at {end}");
    }
    assert_eq!(
        ChunkedError::Truncated.s3_code(),
        S3ErrorCode::IncompleteBody
    );
}

#[test]
fn encoder_round_trips_and_predicts_its_length() {
    let body: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    let trailers = pairs(&[("x-amz-checksum-crc32c", "AAAAAA==")]);
    for chunk_size in [1usize, 7, 16, 255, 256, 999, 1000, 4096] {
        let mut encoded = BytesMut::new();
        for piece in body.chunks(chunk_size) {
            encoded.extend_from_slice(&encode_chunk(piece));
        }
        encoded.extend_from_slice(&encode_final(&trailers));
        assert_eq!(
            encoded_length(1000, chunk_size as u64, &trailers),
            Some(encoded.len() as u64),
            "{chunk_size}"
        );
        let (events, err) = run(ChunkMode::Unsigned, Some(1000), &encoded);
        assert_eq!(err, None);
        let mut out = Vec::new();
        for e in &events {
            if let ChunkEvent::Data(b) = e {
                out.extend_from_slice(b);
            }
        }
        assert_eq!(out, body);
        assert_eq!(
            events[events.len() - 2],
            ChunkEvent::Trailers(trailers.clone())
        );
    }
    assert_eq!(encode_chunk(b""), Bytes::new());
    assert_eq!(encode_final(&[]), Bytes::from_static(b"0\r\n\r\n"));
    assert_eq!(encoded_length(0, 10, &[]), Some(5));
    assert_eq!(encoded_length(1, 0, &[]), None);
    assert_eq!(encoded_length(u64::MAX, 1, &[]), None);
}

#[test]
fn debug_output_hides_the_key_and_the_chain() {
    let shown = format!(
        "{:?} {:?}",
        signed_mode(true),
        ChunkedDecoder::new(signed_mode(false), LIMITS)
    );
    assert!(!shown.contains(SIG), "{shown}");
    assert!(shown.contains("SignedWithTrailer"));
}
