//! `chunked_decode`: the aws-chunked decoder in its three modes (unsigned with trailers,
//! signed, signed with a signed trailer), fed at arbitrary split points.
//!
//! - Raw input: the decoder fed in pieces ends exactly as the decoder fed everything at once
//!   (same data and trailers, or an error in both), and never panics;
//! - framed input (the harness encodes chunks and trailers, signing them with
//!   [`SignatureChain`]): it decodes to the same bytes and trailers; after one flipped byte a
//!   signed stream either fails or still decodes to the very same output (the decoder
//!   lowercases sizes and trailer names, so an ASCII case flip there is harmless).

use bytes::BytesMut;
use multistore_core::chunked::{
    ChunkEvent, ChunkLimits, ChunkMode, ChunkedDecoder, SignatureChain,
};
use multistore_core::codec::scalar::DateTime;
use multistore_core::sigv4::{CredentialScope, derive_signing_key};

const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const LIMITS: ChunkLimits = ChunkLimits {
    max_chunk_size: 4096,
    max_header_line: 96,
    max_trailer_bytes: 512,
};

/// A four-byte header, then the body:
///
/// ```text
/// byte 0  the mode: 'u' unsigned, 's' signed, 't' signed with a trailer (value % 3)
/// byte 1  the stride: the stream is fed in pieces of (value % 64) + 1 bytes, and a framed
///         body is cut into chunks of (value % 64) * 7 + 1 bytes
/// byte 2  'f': the body is data the harness frames (its trailers follow a "\n--\n" line,
///         one `name:value` per line); anything else: the body is a stream as sent
/// byte 3  for a framed body: 0, or where one byte of the stream is flipped (value/256 of it)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Unsigned,
    Signed,
    SignedWithTrailer,
}

/// What a decoder run produced: the data and trailers, or that it failed.
type Outcome = Result<(Vec<u8>, Vec<(String, String)>), ()>;

/// Runs the target.
pub fn run(data: &[u8]) {
    let Some((&[mode, stride, kind, flip], body)) = data.split_first_chunk::<4>() else {
        return;
    };
    let mode = match mode % 3 {
        0 => Mode::Unsigned,
        1 => Mode::Signed,
        _ => Mode::SignedWithTrailer,
    };
    let piece = usize::from(stride % 64) + 1;
    if kind != b'f' {
        let whole = decode(mode, body, usize::MAX);
        let pieces = decode(mode, body, piece);
        assert_eq!(whole, pieces, "split points changed the outcome");
        return;
    }
    let (data, trailer_text) = match body.windows(4).position(|w| w == b"\n--\n") {
        Some(at) => (&body[..at], &body[at + 4..]),
        None => (body, &[][..]),
    };
    let chunk_size = usize::from(stride % 64) * 7 + 1;
    let chunks: Vec<&[u8]> = data.chunks(chunk_size).collect();
    let trailers = if mode == Mode::Signed {
        Vec::new()
    } else {
        clean_trailers(&String::from_utf8_lossy(trailer_text))
    };
    let (mut stream, trailer_section) = encode(mode, &chunks, &trailers);
    let expected: Outcome = Ok((data.to_vec(), trailers));
    if flip != 0 {
        let at = usize::from(flip) * stream.len() / 256;
        stream[at] ^= 0x01;
        let got = decode(mode, &stream, piece);
        if mode != Mode::Unsigned {
            assert!(
                got.is_err() || got == expected,
                "a corrupted signed stream decoded to other data"
            );
        }
    } else if trailer_section <= LIMITS.max_trailer_bytes {
        let got = decode(mode, &stream, piece);
        assert_eq!(got, expected, "a well-formed stream did not round-trip");
    }
}

/// Trailers as a client sends them: lowercase names of `[a-z0-9-]`, values without controls,
/// `:` or surrounding spaces, each name once, and never the trailer signature itself.
fn clean_trailers(text: &str) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    text.lines()
        .take(4)
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name: String = name
                .chars()
                .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                .take(40)
                .collect();
            let value: String = value
                .chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .take(60)
                .collect();
            let value = value.trim().to_owned();
            let fresh = seen.insert(name.clone());
            (fresh && !name.is_empty() && name != "x-amz-trailer-signature")
                .then_some((name, value))
        })
        .collect()
}

fn scope() -> CredentialScope {
    CredentialScope {
        date: "20130524".into(),
        region: "us-east-1".into(),
        service: "s3".into(),
    }
}

fn request_time() -> DateTime {
    DateTime::from_secs(1_369_353_600)
}

fn chunk_mode(mode: Mode) -> ChunkMode {
    let signing_key = derive_signing_key("fuzz-secret", "20130524", "us-east-1", "s3");
    let (seed_signature, scope, request_time) = (SEED.to_owned(), scope(), request_time());
    match mode {
        Mode::Unsigned => ChunkMode::Unsigned,
        Mode::Signed => ChunkMode::Signed {
            signing_key,
            seed_signature,
            scope,
            request_time,
        },
        Mode::SignedWithTrailer => ChunkMode::SignedWithTrailer {
            signing_key,
            seed_signature,
            scope,
            request_time,
        },
    }
}

/// Frames `chunks` and `trailers` in `mode`, signing with our own chain; also returns the
/// length of the trailer section (what [`ChunkLimits::max_trailer_bytes`] bounds).
fn encode(mode: Mode, chunks: &[&[u8]], trailers: &[(String, String)]) -> (Vec<u8>, usize) {
    let key = derive_signing_key("fuzz-secret", "20130524", "us-east-1", "s3");
    let mut chain = SignatureChain::new(key, SEED, &scope(), &request_time())
        .expect("the request time is in range");
    let mut out = Vec::new();
    for data in chunks.iter().copied().chain([&[][..]]) {
        out.extend_from_slice(format!("{:x}", data.len()).as_bytes());
        if mode != Mode::Unsigned {
            out.extend_from_slice(b";chunk-signature=");
            out.extend_from_slice(chain.sign_chunk(data).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        if !data.is_empty() {
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
    }
    let trailers_start = out.len();
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
    }
    if mode == Mode::SignedWithTrailer {
        out.extend_from_slice(b"x-amz-trailer-signature:");
        out.extend_from_slice(chain.sign_trailer(trailers).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    let trailer_section = out.len() - trailers_start;
    (out, trailer_section)
}

/// Decodes `bytes` fed in pieces of `piece` bytes, then checks `finish`.
fn decode(mode: Mode, bytes: &[u8], piece: usize) -> Outcome {
    let mut decoder = ChunkedDecoder::new(chunk_mode(mode), LIMITS);
    let (mut data, mut trailers, mut ended) = (Vec::new(), Vec::new(), false);
    let mut buf = BytesMut::new();
    for part in bytes.chunks(piece.max(1)) {
        buf.extend_from_slice(part);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(ChunkEvent::Data(d))) => data.extend_from_slice(&d),
                Ok(Some(ChunkEvent::Trailers(t))) => trailers = t,
                Ok(Some(ChunkEvent::End)) => {
                    assert!(!ended, "End came twice");
                    ended = true;
                }
                Ok(None) => break,
                Err(_) => return Err(()),
            }
        }
    }
    decoder.finish().map_err(drop)?;
    assert!(ended, "finish succeeded without an End event");
    Ok((data, trailers))
}
