//! What an embedded store receives. The stores take plain bodies described by plain headers;
//! the core plans bodies for S3 endpoints, which speak aws-chunked. So before a store sees a
//! request:
//!
//! - an aws-chunked body (a client's `STREAMING-UNSIGNED-PAYLOAD-TRAILER` passed through, or
//!   a signed body the executor verified and re-framed with its trailers) is decoded here; a
//!   `x-amz-checksum-*` trailer is checked against the data before the stream ends, so a
//!   mismatch fails the body and the store keeps nothing; the headers then describe the plain
//!   body (`Content-Length` is the decoded length, `aws-chunked` and the framing headers are
//!   gone, and `x-amz-sdk-checksum-algorithm` names the trailer's algorithm so the store
//!   computes and keeps that checksum);
//! - otherwise `Content-Length` is the length of the body actually sent (a decoded
//!   `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body is shorter than what the client declared).
//!
//! A store answers a body that breaks off with its own `IncompleteBody`; the [`BodyWatch`]
//! keeps why it broke (a bad chunk signature, a truncated stream, a stall), so the request is
//! answered for the cause, as it is for an HTTP backend.

use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use bytes::BytesMut;
use futures_util::StreamExt;
use http::HeaderMap;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, HeaderName, HeaderValue};
use multistore_core::chunked::{ChunkEvent, ChunkLimits, ChunkMode, ChunkedDecoder, ChunkedError};

use super::progress::BodyFailure;
use crate::execute::body::ByteStream;

const DECODED_LENGTH: &str = "x-amz-decoded-content-length";
const TRAILER: &str = "x-amz-trailer";
const SDK_ALGORITHM: &str = "x-amz-sdk-checksum-algorithm";

/// What became of the body handed to a store.
#[derive(Clone, Default)]
pub struct BodyWatch(Arc<Mutex<Watched>>);

#[derive(Default)]
struct Watched {
    /// The first error the body yielded.
    failure: Option<BodyFailure>,
    /// A checksum trailer that did not match: the message of the `BadDigest` to answer.
    mismatch: Option<String>,
}

impl BodyWatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Watched> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The `BadDigest` message, when a checksum trailer did not match the data.
    pub fn bad_digest(&self) -> Option<String> {
        self.lock().mismatch.clone()
    }

    /// Why the body failed, if it did.
    pub fn failure(&self) -> Option<BodyFailure> {
        self.lock().failure.clone()
    }

    /// `stream`, its first error recorded.
    fn watch(&self, stream: ByteStream) -> ByteStream {
        let watch = self.clone();
        Box::pin(stream.inspect(move |item| {
            if let Err(e) = item {
                let mut w = watch.lock();
                if w.failure.is_none() {
                    w.failure = Some(BodyFailure {
                        kind: e.kind(),
                        chunked: e
                            .get_ref()
                            .and_then(|i| i.downcast_ref::<ChunkedError>())
                            .cloned(),
                        message: e.to_string(),
                    });
                }
            }
        }))
    }
}

/// Makes `headers` and `body` what a store expects; `length` is the body's length as sent.
/// Returns the body to hand over, and its watch.
pub fn prepare(
    headers: &mut HeaderMap,
    body: ByteStream,
    length: Option<u64>,
) -> (ByteStream, BodyWatch) {
    let watch = BodyWatch::default();
    if !is_aws_chunked(headers) {
        if let Some(length) = length
            && headers.contains_key(CONTENT_LENGTH)
        {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        }
        return (watch.watch(body), watch);
    }
    let decoded_length = headers
        .get(DECODED_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let checksum = headers
        .get(TRAILER)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(','))
        .find_map(|name| Algorithm::from_header(name.trim()));
    strip_framing(headers);
    match decoded_length {
        Some(l) => headers.insert(CONTENT_LENGTH, HeaderValue::from(l)),
        None => headers.remove(CONTENT_LENGTH),
    };
    if let Some(algorithm) = checksum
        && !headers.contains_key(SDK_ALGORITHM)
    {
        headers.insert(
            HeaderName::from_static(SDK_ALGORITHM),
            HeaderValue::from_static(algorithm.name()),
        );
    }
    let body = unchunked(body, decoded_length, checksum, watch.clone());
    (watch.watch(body), watch)
}

fn is_aws_chunked(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| e.trim().eq_ignore_ascii_case("aws-chunked"))
}

/// Removes `aws-chunked` from `Content-Encoding`, and the framing headers.
fn strip_framing(headers: &mut HeaderMap) {
    let rest: Vec<String> = headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
        .map(str::to_owned)
        .collect();
    headers.remove(CONTENT_ENCODING);
    if !rest.is_empty()
        && let Ok(v) = HeaderValue::from_str(&rest.join(","))
    {
        headers.insert(CONTENT_ENCODING, v);
    }
    headers.remove(DECODED_LENGTH);
    headers.remove(TRAILER);
}

/// The checksum algorithms of `x-amz-checksum-*` trailers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl Algorithm {
    fn from_header(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "x-amz-checksum-crc32" => Self::Crc32,
            "x-amz-checksum-crc32c" => Self::Crc32c,
            "x-amz-checksum-crc64nvme" => Self::Crc64Nvme,
            "x-amz-checksum-sha1" => Self::Sha1,
            "x-amz-checksum-sha256" => Self::Sha256,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }
}

/// A running digest.
enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Crc32 => Self::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => Self::Crc32c(0),
            Algorithm::Crc64Nvme => Self::Crc64Nvme(crc64fast_nvme::Digest::new()),
            Algorithm::Sha1 => Self::Sha1(sha1::Digest::new()),
            Algorithm::Sha256 => Self::Sha256(sha2::Digest::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc32(h) => h.update(data),
            Self::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            Self::Crc64Nvme(h) => h.write(data),
            Self::Sha1(h) => sha1::Digest::update(h, data),
            Self::Sha256(h) => sha2::Digest::update(h, data),
        }
    }

    /// The base64 of the big-endian digest, as `x-amz-checksum-*` carries it.
    fn finish_base64(self) -> String {
        let digest = match self {
            Self::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Self::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            Self::Crc64Nvme(h) => h.sum64().to_be_bytes().to_vec(),
            Self::Sha1(h) => sha1::Digest::finalize(h).to_vec(),
            Self::Sha256(h) => sha2::Digest::finalize(h).to_vec(),
        };
        base64::engine::general_purpose::STANDARD.encode(digest)
    }
}

fn invalid(message: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.into())
}

/// Decodes unsigned aws-chunked `input` (signatures, if any, were verified upstream), checking
/// the `checksum` trailer against the data before yielding the end of the body.
fn unchunked(
    input: ByteStream,
    expected_length: Option<u64>,
    checksum: Option<Algorithm>,
    watch: BodyWatch,
) -> ByteStream {
    struct State {
        input: ByteStream,
        decoder: ChunkedDecoder,
        buf: BytesMut,
        hasher: Option<(Algorithm, Hasher)>,
        watch: BodyWatch,
        eof: bool,
        done: bool,
    }
    let state = State {
        input,
        decoder: ChunkedDecoder::new(ChunkMode::Unsigned, ChunkLimits::default())
            .with_expected_length(expected_length),
        buf: BytesMut::new(),
        hasher: checksum.map(|a| (a, Hasher::new(a))),
        watch,
        eof: false,
        done: false,
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            match st.decoder.decode(&mut st.buf) {
                Ok(Some(ChunkEvent::Data(data))) => {
                    if let Some((_, h)) = &mut st.hasher {
                        h.update(&data);
                    }
                    return Some((Ok(data), st));
                }
                Ok(Some(ChunkEvent::Trailers(trailers))) => {
                    if let Some((algorithm, hasher)) = st.hasher.take() {
                        let name = algorithm.header();
                        let sent = trailers.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
                        let actual = hasher.finish_base64();
                        if sent.is_some_and(|v| *v != actual) {
                            let message = format!(
                                "The {} you specified did not match the calculated checksum.",
                                algorithm.name()
                            );
                            st.watch.lock().mismatch = Some(message.clone());
                            st.done = true;
                            return Some((Err(invalid(message)), st));
                        }
                    }
                }
                Ok(Some(ChunkEvent::End)) => return None,
                Ok(None) if st.eof => {
                    st.done = true;
                    let err = match st.decoder.finish() {
                        Err(e) => std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                        Ok(()) => invalid("aws-chunked stream ended early"),
                    };
                    return Some((Err(err), st));
                }
                Ok(None) => match st.input.next().await {
                    Some(Ok(bytes)) => st.buf.extend_from_slice(&bytes),
                    Some(Err(e)) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    None => st.eof = true,
                },
                Err(e) => {
                    st.done = true;
                    return Some((
                        Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
                        st,
                    ));
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::execute::body::collect;

    fn stream_of(parts: &[&'static [u8]]) -> ByteStream {
        let items: Vec<Result<Bytes, std::io::Error>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        Box::pin(futures_util::stream::iter(items))
    }

    fn chunked_headers(trailer: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_ENCODING,
            HeaderValue::from_static("aws-chunked,gzip"),
        );
        h.insert(CONTENT_LENGTH, HeaderValue::from_static("999"));
        h.insert(DECODED_LENGTH, HeaderValue::from_static("8"));
        h.insert(TRAILER, HeaderValue::from_str(trailer).unwrap());
        h
    }

    #[tokio::test]
    async fn chunked_bodies_are_decoded_and_described_plainly() {
        let mut headers = chunked_headers("x-amz-checksum-crc32");
        let crc = base64::engine::general_purpose::STANDARD
            .encode(crc32fast::hash(b"hello wo").to_be_bytes());
        let framed = format!("5\r\nhello\r\n3\r\n wo\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n");
        let input: ByteStream = Box::pin(futures_util::stream::once(async move {
            Ok(Bytes::from(framed))
        }));
        let (body, watch) = prepare(&mut headers, input, Some(999));
        assert_eq!(
            collect(body, 100).await.unwrap(),
            Bytes::from_static(b"hello wo")
        );
        assert!(watch.bad_digest().is_none() && watch.failure().is_none());
        assert_eq!(headers[CONTENT_LENGTH], "8");
        assert_eq!(headers[CONTENT_ENCODING], "gzip");
        assert_eq!(headers[SDK_ALGORITHM], "CRC32");
        assert!(!headers.contains_key(DECODED_LENGTH) && !headers.contains_key(TRAILER));
    }

    #[tokio::test]
    async fn a_checksum_trailer_that_does_not_match_fails_the_body() {
        let mut headers = chunked_headers("x-amz-checksum-crc32");
        let input = stream_of(&[b"8\r\nhello wo\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"]);
        let (body, watch) = prepare(&mut headers, input, None);
        assert!(collect(body, 100).await.is_err());
        let message = watch.bad_digest().unwrap();
        assert!(message.contains("CRC32"), "{message}");
    }

    #[tokio::test]
    async fn a_truncated_chunked_body_is_an_error_with_its_cause() {
        let mut headers = chunked_headers("x-amz-checksum-crc32");
        let (body, watch) = prepare(&mut headers, stream_of(&[b"8\r\nhel"]), None);
        assert!(collect(body, 100).await.is_err());
        let failure = watch.failure().expect("recorded");
        assert_eq!(failure.chunked, Some(ChunkedError::Truncated));
        assert!(watch.bad_digest().is_none());
    }

    #[tokio::test]
    async fn plain_bodies_get_the_length_actually_sent() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("999"));
        let (body, watch) = prepare(&mut headers, stream_of(&[b"abc"]), Some(3));
        assert_eq!(headers[CONTENT_LENGTH], "3");
        assert_eq!(collect(body, 10).await.unwrap(), Bytes::from_static(b"abc"));
        assert!(watch.failure().is_none());
        let mut get = HeaderMap::new();
        let _ = prepare(&mut get, stream_of(&[]), Some(0));
        assert!(
            !get.contains_key(CONTENT_LENGTH),
            "no length added where none was"
        );
    }
}
