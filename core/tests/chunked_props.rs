//! Properties of the aws-chunked decoder against a test-only signer written from the spec
//! (its own HMAC chain, independent of `SignatureChain`):
//! - any data, chunked any way, with any trailers, in any mode, fed in arbitrary pieces,
//!   decodes to the same bytes and trailers;
//! - a flipped byte anywhere in a signed stream is refused before the corrupted chunk's data
//!   is released (the only flips that pass are ASCII case changes in a chunk size or a trailer
//!   name, which decode to the very same output);
//! - every proper prefix of a stream decodes without error and then fails `finish`.

use aws_smithy_types::DateTime;
use bytes::BytesMut;
use hmac::Mac as _;
use multistore_core::chunked::{ChunkEvent, ChunkLimits, ChunkMode, ChunkedDecoder, ChunkedError};
use multistore_core::sigv4::{CredentialScope, derive_signing_key};
use proptest::prelude::*;
use proptest::sample::Index;
use sha2::Digest as _;

const SECRET: &str = "chunk-test-secret";
const DATE: &str = "20240102";
const AMZ_DATE: &str = "20240102T030405Z";
const REGION: &str = "eu-west-1";
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn sha_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

/// The chunk signer of the S3 docs, written out independently.
struct TestSigner {
    key: [u8; 32],
    previous: String,
}

impl TestSigner {
    fn new(seed: &str) -> Self {
        let mut key = hmac(format!("AWS4{SECRET}").as_bytes(), DATE.as_bytes());
        for part in [REGION, "s3", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        Self {
            key,
            previous: seed.to_owned(),
        }
    }

    fn scope() -> String {
        format!("{DATE}/{REGION}/s3/aws4_request")
    }

    fn chunk(&mut self, data: &[u8]) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{AMZ_DATE}\n{}\n{}\n{EMPTY}\n{}",
            Self::scope(),
            self.previous,
            sha_hex(data)
        );
        self.previous = hex::encode(hmac(&self.key, sts.as_bytes()));
        self.previous.clone()
    }

    fn trailer(&mut self, trailers: &[(String, String)]) -> String {
        let mut sorted = trailers.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let lines: String = sorted.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{AMZ_DATE}\n{}\n{}\n{}",
            Self::scope(),
            self.previous,
            sha_hex(lines.as_bytes())
        );
        self.previous = hex::encode(hmac(&self.key, sts.as_bytes()));
        self.previous.clone()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Unsigned,
    Signed,
    SignedWithTrailer,
}

/// What a byte of an encoded stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Size,
    /// `;chunk-signature=`, CRLFs and other framing.
    Framing,
    Signature,
    Data,
    /// The CRLF after a chunk's data.
    DataCrlf,
    TrailerName,
    TrailerValue,
    TrailerSignature,
}

/// An encoded stream with a tag per byte: (part, index of the chunk it belongs to).
struct Encoded {
    bytes: Vec<u8>,
    tags: Vec<(Part, usize)>,
    /// Decoded offset at which each chunk's data starts (one more entry: the total).
    offsets: Vec<usize>,
}

impl Encoded {
    fn push(&mut self, bytes: &[u8], part: Part, chunk: usize) {
        self.bytes.extend_from_slice(bytes);
        self.tags
            .extend(std::iter::repeat_n((part, chunk), bytes.len()));
    }
}

fn encode(mode: Mode, seed: &str, chunks: &[&[u8]], trailers: &[(String, String)]) -> Encoded {
    let mut signer = TestSigner::new(seed);
    let mut e = Encoded {
        bytes: Vec::new(),
        tags: Vec::new(),
        offsets: vec![0],
    };
    let last = chunks.len();
    for (i, data) in chunks.iter().copied().chain([&[][..]]).enumerate() {
        e.push(format!("{:x}", data.len()).as_bytes(), Part::Size, i);
        if mode != Mode::Unsigned {
            e.push(b";chunk-signature=", Part::Framing, i);
            e.push(signer.chunk(data).as_bytes(), Part::Signature, i);
        }
        e.push(b"\r\n", Part::Framing, i);
        if i < last {
            e.push(data, Part::Data, i);
            e.push(b"\r\n", Part::DataCrlf, i);
            e.offsets.push(e.offsets[i] + data.len());
        }
    }
    if mode != Mode::Signed {
        for (n, v) in trailers {
            e.push(n.as_bytes(), Part::TrailerName, last);
            e.push(b":", Part::Framing, last);
            e.push(v.as_bytes(), Part::TrailerValue, last);
            e.push(b"\r\n", Part::Framing, last);
        }
    }
    if mode == Mode::SignedWithTrailer {
        e.push(b"x-amz-trailer-signature", Part::TrailerName, last);
        e.push(b":", Part::Framing, last);
        e.push(
            signer.trailer(trailers).as_bytes(),
            Part::TrailerSignature,
            last,
        );
        e.push(b"\r\n", Part::Framing, last);
    }
    e.push(b"\r\n", Part::Framing, last);
    e
}

fn decoder(mode: Mode, seed: &str, expected: Option<u64>) -> ChunkedDecoder {
    let signing_key = derive_signing_key(SECRET, DATE, REGION, "s3");
    let scope = CredentialScope {
        date: DATE.into(),
        region: REGION.into(),
        service: "s3".into(),
    };
    let request_time = DateTime::from_secs(1_704_164_645); // 2024-01-02T03:04:05Z
    let seed_signature = seed.to_owned();
    let mode = match mode {
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
    };
    let limits = ChunkLimits {
        max_chunk_size: 1 << 16,
        max_header_line: 256,
        max_trailer_bytes: 1024,
    };
    ChunkedDecoder::new(mode, limits).with_expected_length(expected)
}

/// What feeding a stream produced.
#[derive(Debug, Default)]
struct Outcome {
    data: Vec<u8>,
    trailers: Option<Vec<(String, String)>>,
    ended: bool,
    /// The first error, from `decode` or `finish`.
    error: Option<ChunkedError>,
}

/// Feeds `bytes` in pieces cut at `cuts`, decoding after each, then calls `finish`.
fn feed(mut d: ChunkedDecoder, bytes: &[u8], cuts: &[Index]) -> Outcome {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    points.push(bytes.len());
    points.sort_unstable();
    let mut out = Outcome::default();
    let mut buf = BytesMut::new();
    let mut from = 0;
    for to in points {
        buf.extend_from_slice(&bytes[from..to]);
        from = to;
        loop {
            match d.decode(&mut buf) {
                Ok(Some(ChunkEvent::Data(b))) => {
                    assert!(!b.is_empty(), "no empty data events");
                    assert!(!out.ended && out.trailers.is_none(), "data after the end");
                    out.data.extend_from_slice(&b);
                }
                Ok(Some(ChunkEvent::Trailers(t))) => {
                    assert!(
                        out.trailers.is_none() && !out.ended,
                        "trailers once, before End"
                    );
                    out.trailers = Some(t);
                }
                Ok(Some(ChunkEvent::End)) => {
                    assert!(!out.ended, "End once");
                    out.ended = true;
                }
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out.error = d.finish().err();
    out
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::Unsigned),
        Just(Mode::Signed),
        Just(Mode::SignedWithTrailer)
    ]
}

fn trailers() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = prop::sample::select(
        &[
            "x-amz-checksum-crc32",
            "x-amz-checksum-crc32c",
            "x-amz-checksum-crc64nvme",
            "x-amz-checksum-sha1",
            "x-amz-checksum-sha256",
        ][..],
    );
    prop::collection::vec(
        (names.prop_map(String::from), "[A-Za-z0-9+/]{4,44}={0,2}"),
        0..3,
    )
}

/// Data cut into chunks of the given sizes (cycled), no empty chunk.
fn chunked(data: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at((*size).min(rest.len()));
        out.push(head.to_vec());
        rest = tail;
    }
    out
}

/// (mode, seed signature, data, the data in chunks, trailers).
type Stream = (Mode, String, Vec<u8>, Vec<Vec<u8>>, Vec<(String, String)>);

fn stream() -> impl Strategy<Value = Stream> {
    (
        mode(),
        any::<[u8; 32]>().prop_map(hex::encode),
        prop::collection::vec(any::<u8>(), 0..3000),
        prop::collection::vec(1usize..700, 1..6),
        trailers(),
    )
        .prop_map(|(mode, seed, data, sizes, trailers)| {
            let chunks = chunked(&data, &sizes);
            let trailers = if mode == Mode::Signed {
                Vec::new()
            } else {
                trailers
            };
            (mode, seed, data, chunks, trailers)
        })
}

fn refs(chunks: &[Vec<u8>]) -> Vec<&[u8]> {
    chunks.iter().map(Vec::as_slice).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_stream_round_trips(
        (mode, seed, data, chunks, trailers) in stream(),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
        declare_length in any::<bool>(),
    ) {
        let e = encode(mode, &seed, &refs(&chunks), &trailers);
        let expected = declare_length.then_some(data.len() as u64);
        let out = feed(decoder(mode, &seed, expected), &e.bytes, &cuts);
        prop_assert_eq!(out.error, None);
        prop_assert!(out.ended);
        prop_assert_eq!(out.data, data);
        prop_assert_eq!(out.trailers.unwrap_or_default(), trailers);
    }

    #[test]
    fn a_flipped_byte_is_refused_before_its_chunk_is_released(
        (mode, seed, data, chunks, trailers) in stream().prop_filter("signed", |s| s.0 != Mode::Unsigned),
        at in any::<Index>(),
        flip in 1u8..=255,
        cuts in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        let e = encode(mode, &seed, &refs(&chunks), &trailers);
        let i = at.index(e.bytes.len());
        let mut bytes = e.bytes.clone();
        bytes[i] ^= flip;
        let (part, chunk) = e.tags[i];
        let out = feed(decoder(mode, &seed, Some(data.len() as u64)), &bytes, &cuts);

        // Released data is always a prefix of the original, never a corrupted byte.
        prop_assert_eq!(&out.data[..], &data[..out.data.len()]);
        let Some(error) = out.error else {
            // Accepted: only a case change in a size or trailer name, with identical output.
            prop_assert!(matches!(part, Part::Size | Part::TrailerName), "{:?} flip accepted", part);
            prop_assert!(bytes[i].eq_ignore_ascii_case(&e.bytes[i]));
            prop_assert_eq!(out.data, data);
            prop_assert_eq!(out.trailers.unwrap_or_default(), trailers);
            return Ok(());
        };
        // Nothing of a chunk whose header or data was touched is released.
        let bound = match part {
            Part::DataCrlf => e.offsets[chunk + 1],
            Part::TrailerName | Part::TrailerValue | Part::TrailerSignature => data.len(),
            _ => e.offsets[chunk.min(e.offsets.len() - 1)],
        };
        prop_assert!(out.data.len() <= bound, "{:?}: released {} > {}", part, out.data.len(), bound);
        if matches!(part, Part::Data | Part::Signature | Part::TrailerSignature) {
            prop_assert_eq!(error, ChunkedError::SignatureDoesNotMatch);
        }
        if matches!(part, Part::TrailerName | Part::TrailerValue | Part::TrailerSignature) {
            prop_assert_eq!(out.trailers, None);
        }
    }

    #[test]
    fn truncated_streams_fail_at_finish(
        (mode, seed, data, chunks, trailers) in stream(),
        at in any::<Index>(),
        cuts in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        let e = encode(mode, &seed, &refs(&chunks), &trailers);
        let prefix = &e.bytes[..at.index(e.bytes.len())];
        let out = feed(decoder(mode, &seed, Some(data.len() as u64)), prefix, &cuts);
        prop_assert_eq!(out.error, Some(ChunkedError::Truncated));
        prop_assert!(!out.ended);
        prop_assert_eq!(&out.data[..], &data[..out.data.len()]);
    }
}
