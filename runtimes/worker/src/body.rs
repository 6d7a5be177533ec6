//! Request bodies, decided without JavaScript: which bytes a backend receives for each
//! [`RequestBody`] ([`body_plan`]), the aws-chunked decoder as a push-based transform
//! ([`ChunkedTransform`], verifying chunk signatures through the core's decoder and optionally
//! re-framing as unsigned aws-chunked with the client's trailers), and the upload limit for a
//! body of unknown length ([`UploadLimit`]). The Worker's streams drive these one chunk at a
//! time, so no body is buffered beyond one aws-chunked chunk.
//!
//! | plan body                      | to an S3 endpoint (fetch)                   | to an R2 binding                |
//! |--------------------------------|---------------------------------------------|---------------------------------|
//! | `Stream`                       | the client's stream as is                   | the same; aws-chunked is decoded |
//! | `Decoded { reframe: Plain }`   | decoded                                     | decoded                         |
//! | `Decoded { reframe: Unsigned… }` | decoded, re-framed unsigned with trailers | decoded (R2 takes plain bytes)  |
//! | `FromSource`                   | the source's stream                         | the source's stream             |

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use multistore_core::chunked::{
    ChunkEvent, ChunkLimits, ChunkMode, ChunkedDecoder, ChunkedError, encode_chunk, encode_final,
    encoded_length,
};
use multistore_core::error::Error;
use multistore_core::gateway::{Reframe, RequestBody};
use multistore_core::sigv4::PayloadMode;

/// The size of the chunks of a re-framed aws-chunked body.
pub const REFRAME_CHUNK: usize = 64 * 1024;

/// How decoded data leaves the transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The decoded bytes.
    Plain,
    /// Unsigned aws-chunked in [`REFRAME_CHUNK`]-sized chunks, then the client's trailers.
    UnsignedChunks,
}

/// What a backend request's body is made of.
#[derive(Clone, Debug)]
pub enum BodyPlan {
    Empty,
    Bytes(Bytes),
    /// The client's body as received. `limit`: fail past this many bytes (a body whose
    /// length was not declared, checked against `max_upload_bytes` while it streams).
    Client {
        length: Option<u64>,
        limit: Option<u64>,
    },
    /// The client's aws-chunked body through a [`ChunkedTransform`]. `length` is what the
    /// backend receives (the decoded length, or the re-framed length).
    Decoded {
        mode: ChunkMode,
        limits: ChunkLimits,
        expected: Option<u64>,
        output: Output,
        length: Option<u64>,
    },
    /// The body of a pipe's source answer.
    Source {
        length: Option<u64>,
    },
}

impl BodyPlan {
    /// The Content-Length the backend receives, when known.
    pub fn length(&self) -> Option<u64> {
        match self {
            Self::Empty => Some(0),
            Self::Bytes(b) => Some(b.len() as u64),
            Self::Client { length, .. }
            | Self::Decoded { length, .. }
            | Self::Source { length } => *length,
        }
    }
}

/// How a plan's body reaches a backend. `embedded`: the backend is an R2 binding, which
/// stores plain bytes, so aws-chunked bodies are always decoded for it.
pub fn body_plan(
    body: &RequestBody,
    embedded: bool,
    client_headers: &HeaderMap,
    max_upload_bytes: u64,
) -> BodyPlan {
    match body {
        RequestBody::Empty => BodyPlan::Empty,
        RequestBody::Buffered(bytes) => BodyPlan::Bytes(bytes.clone()),
        RequestBody::Stream { .. } if embedded && is_unsigned_chunked(client_headers) => {
            let decoded = header_u64(client_headers, "x-amz-decoded-content-length");
            BodyPlan::Decoded {
                mode: ChunkMode::Unsigned,
                limits: ChunkLimits::default(),
                expected: decoded,
                output: Output::Plain,
                length: decoded,
            }
        }
        RequestBody::Stream { length } => BodyPlan::Client {
            length: *length,
            limit: length.is_none().then_some(max_upload_bytes),
        },
        RequestBody::Decoded {
            mode,
            limits,
            length,
            reframe,
        } => {
            let output = match reframe {
                _ if embedded => Output::Plain,
                Reframe::Plain => Output::Plain,
                Reframe::UnsignedChunksWithTrailer => Output::UnsignedChunks,
            };
            let framed = match output {
                Output::Plain => *length,
                Output::UnsignedChunks => length.and_then(|l| {
                    encoded_length(
                        l,
                        REFRAME_CHUNK as u64,
                        &placeholder_trailers(client_headers),
                    )
                }),
            };
            BodyPlan::Decoded {
                mode: mode.clone(),
                limits: *limits,
                expected: *length,
                output,
                length: framed,
            }
        }
        RequestBody::FromSource { length } => BodyPlan::Source { length: *length },
    }
}

/// Whether the client sent an unsigned aws-chunked body (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
fn is_unsigned_chunked(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == PayloadMode::STREAMING_UNSIGNED_TRAILER)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The trailers a re-framed body will carry, with values of the right length for their
/// algorithm, to compute its Content-Length in advance (as the native runtime does).
pub fn placeholder_trailers(headers: &HeaderMap) -> Vec<(String, String)> {
    let Some(names) = headers.get("x-amz-trailer").and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    names
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .map(|name| {
            let len = match name.as_str() {
                "x-amz-checksum-crc64nvme" => 12,
                "x-amz-checksum-sha1" => 28,
                "x-amz-checksum-sha256" => 44,
                _ => 8,
            };
            (name, "A".repeat(len))
        })
        .collect()
}

/// Why a streamed body failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// The aws-chunked framing or a chunk signature is wrong.
    Chunked(ChunkedError),
    /// More bytes than the upload limit.
    TooLarge { limit: u64 },
    /// The client's body broke off.
    Source(String),
}

impl BodyError {
    /// The S3 error the client gets.
    pub fn to_error(&self) -> Error {
        match self {
            Self::Chunked(e) => Error::Chunked(e.clone()),
            Self::TooLarge { limit } => Error::EntityTooLarge { limit: *limit },
            Self::Source(_) => Error::Chunked(ChunkedError::Truncated),
        }
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Chunked(e) => e.fmt(f),
            Self::TooLarge { limit } => write!(f, "the body exceeds {limit} bytes"),
            Self::Source(m) => write!(f, "the request body broke off: {m}"),
        }
    }
}

/// The aws-chunked decoder as a transform: push input pieces, take output pieces.
pub struct ChunkedTransform {
    decoder: ChunkedDecoder,
    buf: BytesMut,
    pending: BytesMut,
    output: Output,
    trailers: Vec<(String, String)>,
    done: bool,
}

impl ChunkedTransform {
    pub fn new(
        mode: ChunkMode,
        limits: ChunkLimits,
        expected_length: Option<u64>,
        output: Output,
    ) -> Self {
        Self {
            decoder: ChunkedDecoder::new(mode, limits).with_expected_length(expected_length),
            buf: BytesMut::new(),
            pending: BytesMut::new(),
            output,
            trailers: Vec::new(),
            done: false,
        }
    }

    /// Feeds the next piece of input; returns the output it completes.
    ///
    /// # Errors
    /// The decoder's error; after one, the transform keeps failing.
    pub fn push(&mut self, input: &[u8]) -> Result<Vec<Bytes>, ChunkedError> {
        self.buf.extend_from_slice(input);
        let mut out = Vec::new();
        while let Some(event) = self.decoder.decode(&mut self.buf)? {
            match event {
                ChunkEvent::Data(data) => match self.output {
                    Output::Plain => out.push(data),
                    Output::UnsignedChunks => {
                        self.pending.extend_from_slice(&data);
                        while self.pending.len() >= REFRAME_CHUNK {
                            out.push(encode_chunk(&self.pending.split_to(REFRAME_CHUNK)));
                        }
                    }
                },
                ChunkEvent::Trailers(trailers) => self.trailers = trailers,
                ChunkEvent::End => {
                    self.done = true;
                    if self.output == Output::UnsignedChunks {
                        let mut tail = BytesMut::new();
                        if !self.pending.is_empty() {
                            tail.extend_from_slice(&encode_chunk(&self.pending.split()));
                        }
                        tail.extend_from_slice(&encode_final(&self.trailers));
                        out.push(tail.freeze());
                    }
                }
            }
        }
        Ok(out)
    }

    /// The input ended.
    ///
    /// # Errors
    /// The body ended before its final chunk (or the decoder's own verdict).
    pub fn finish(&mut self) -> Result<(), ChunkedError> {
        if self.done {
            return Ok(());
        }
        self.decoder.finish()?;
        Err(ChunkedError::Truncated)
    }

    /// The client's trailers (`x-amz-checksum-*`), once the body ended.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// Whether the final chunk has been decoded.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// Counts the bytes of a body whose length was not declared, against a limit.
#[derive(Clone, Copy, Debug)]
pub struct UploadLimit {
    limit: u64,
    seen: u64,
}

impl UploadLimit {
    pub fn new(limit: u64) -> Self {
        Self { limit, seen: 0 }
    }

    /// Counts `n` more bytes.
    ///
    /// # Errors
    /// [`BodyError::TooLarge`] once the total passes the limit.
    pub fn add(&mut self, n: usize) -> Result<(), BodyError> {
        self.seen = self.seen.saturating_add(n as u64);
        if self.seen > self.limit {
            return Err(BodyError::TooLarge { limit: self.limit });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn run(transform: &mut ChunkedTransform, pieces: &[&[u8]]) -> Result<Vec<u8>, ChunkedError> {
        let mut out = Vec::new();
        for piece in pieces {
            for b in transform.push(piece)? {
                out.extend_from_slice(&b);
            }
        }
        transform.finish()?;
        Ok(out)
    }

    fn unsigned(output: Output, expected: Option<u64>) -> ChunkedTransform {
        ChunkedTransform::new(
            ChunkMode::Unsigned,
            ChunkLimits::default(),
            expected,
            output,
        )
    }

    #[test]
    fn unsigned_chunks_decode_across_arbitrary_splits() {
        let body: &[u8] = b"5\r\nhello\r\n3\r\n wo\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        for split in 1..body.len() {
            let mut t = unsigned(Output::Plain, Some(8));
            let (a, b) = body.split_at(split);
            assert_eq!(
                run(&mut t, &[a, b]).unwrap(),
                b"hello wo",
                "split at {split}"
            );
            assert_eq!(
                t.trailers(),
                [("x-amz-checksum-crc32".to_owned(), "AAAAAA==".to_owned())]
            );
        }
    }

    #[test]
    fn a_truncated_stream_is_an_error_not_a_short_body() {
        let mut t = unsigned(Output::Plain, None);
        assert_eq!(
            run(&mut t, &[b"5\r\nhello\r\n"]).unwrap_err(),
            ChunkedError::Truncated
        );
    }

    #[test]
    fn a_wrong_decoded_length_is_refused() {
        let mut t = unsigned(Output::Plain, Some(4));
        let err = run(&mut t, &[b"5\r\nhello\r\n0\r\n\r\n"]).unwrap_err();
        assert!(
            matches!(err, ChunkedError::DecodedLengthMismatch { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn reframing_keeps_the_data_and_the_trailers() {
        let mut t = unsigned(Output::UnsignedChunks, None);
        let framed = run(
            &mut t,
            &[b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"],
        )
        .unwrap();
        assert_eq!(
            framed,
            b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
        );
    }

    #[test]
    fn reframed_lengths_match_the_precomputed_content_length() {
        let data = vec![b'x'; REFRAME_CHUNK * 2 + 17];
        let mut input = Vec::new();
        for piece in data.chunks(10_000) {
            input.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            input.extend_from_slice(piece);
            input.extend_from_slice(b"\r\n");
        }
        input.extend_from_slice(b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-trailer",
            HeaderValue::from_static("x-amz-checksum-crc32"),
        );
        let expected = encoded_length(
            data.len() as u64,
            REFRAME_CHUNK as u64,
            &placeholder_trailers(&headers),
        )
        .unwrap();
        let mut t = unsigned(Output::UnsignedChunks, Some(data.len() as u64));
        let framed = run(&mut t, &[&input]).unwrap();
        assert_eq!(framed.len() as u64, expected);
    }

    #[test]
    fn uploads_of_unknown_length_stop_at_the_limit() {
        let mut limit = UploadLimit::new(10);
        assert!(limit.add(6).is_ok());
        assert!(limit.add(4).is_ok());
        assert_eq!(limit.add(1), Err(BodyError::TooLarge { limit: 10 }));
        assert!(matches!(
            BodyError::TooLarge { limit: 10 }.to_error(),
            Error::EntityTooLarge { limit: 10 }
        ));
    }

    fn unsigned_trailer_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static(PayloadMode::STREAMING_UNSIGNED_TRAILER),
        );
        h.insert(
            "x-amz-decoded-content-length",
            HeaderValue::from_static("5"),
        );
        h.insert(
            "x-amz-trailer",
            HeaderValue::from_static("x-amz-checksum-crc32"),
        );
        h
    }

    #[test]
    fn r2_always_gets_decoded_bytes() {
        let headers = unsigned_trailer_headers();
        let stream = RequestBody::Stream { length: Some(40) };
        // An S3 endpoint verifies the trailers itself: the body crosses as sent.
        assert!(matches!(
            body_plan(&stream, false, &headers, 100),
            BodyPlan::Client {
                length: Some(40),
                limit: None
            }
        ));
        // R2 stores bytes: the aws-chunked framing is removed, the length is the decoded one.
        let plan = body_plan(&stream, true, &headers, 100);
        assert!(
            matches!(
                plan,
                BodyPlan::Decoded {
                    output: Output::Plain,
                    expected: Some(5),
                    ..
                }
            ),
            "{plan:?}"
        );
        assert_eq!(plan.length(), Some(5));

        let decoded = RequestBody::Decoded {
            mode: ChunkMode::Unsigned,
            limits: ChunkLimits::default(),
            length: Some(5),
            reframe: Reframe::UnsignedChunksWithTrailer,
        };
        let to_s3 = body_plan(&decoded, false, &headers, 100);
        assert!(matches!(
            to_s3,
            BodyPlan::Decoded {
                output: Output::UnsignedChunks,
                ..
            }
        ));
        assert_eq!(
            to_s3.length(),
            encoded_length(5, REFRAME_CHUNK as u64, &placeholder_trailers(&headers))
        );
        let to_r2 = body_plan(&decoded, true, &headers, 100);
        assert!(matches!(
            to_r2,
            BodyPlan::Decoded {
                output: Output::Plain,
                ..
            }
        ));
        assert_eq!(to_r2.length(), Some(5));
    }

    #[test]
    fn bodies_without_a_length_get_the_upload_limit() {
        let plan = body_plan(
            &RequestBody::Stream { length: None },
            false,
            &HeaderMap::new(),
            100,
        );
        assert!(matches!(
            plan,
            BodyPlan::Client {
                length: None,
                limit: Some(100)
            }
        ));
        assert_eq!(
            body_plan(&RequestBody::Empty, true, &HeaderMap::new(), 1).length(),
            Some(0)
        );
    }
}
