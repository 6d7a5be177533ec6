//! Bodies as the runtime moves them: one boxed body type for hyper in both directions, and the
//! streams that carry a client body to a backend — as received, or decoded from aws-chunked
//! (signatures verified by the core's decoder) and optionally re-framed. Every stream is cut
//! off when it stalls for the idle timeout; nothing is buffered beyond one chunk.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use super::idle::IdleDeadline;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt, TryStreamExt};
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Incoming;
use multistore_core::chunked::{
    ChunkEvent, ChunkLimits, ChunkMode, ChunkedDecoder, encode_chunk, encode_final,
};

/// Errors inside bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The one body type: requests to backends and responses to clients.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// A stream of body bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// The size of the chunks of a re-framed aws-chunked body.
pub const REFRAME_CHUNK: usize = 64 * 1024;

pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

pub fn full(bytes: Bytes) -> Body {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub fn from_stream(stream: ByteStream) -> Body {
    StreamBody::new(
        stream
            .map_ok(Frame::data)
            .map_err(|e| Box::new(e) as BoxError),
    )
    .boxed_unsync()
}

fn io_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The data of an incoming body as a stream, cut off after `idle` without progress.
pub fn incoming_stream(body: Incoming, idle: Duration) -> ByteStream {
    let data = body.into_data_stream().map_err(io_error);
    with_idle_timeout(Box::pin(data), idle)
}

/// Fails a stream that yields nothing for `idle`.
pub fn with_idle_timeout(stream: ByteStream, idle: Duration) -> ByteStream {
    Box::pin(IdleTimeout {
        inner: stream,
        deadline: IdleDeadline::new(idle),
        failed: false,
    })
}

/// A stream cut off after its idle time without an item: one timer for the whole stream,
/// not one per chunk (see [`IdleDeadline`]).
struct IdleTimeout {
    inner: ByteStream,
    deadline: IdleDeadline,
    /// The stall was reported; the stream is over.
    failed: bool,
}

impl Stream for IdleTimeout {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = this.inner.as_mut().poll_next(cx) {
            this.deadline.progressed();
            return Poll::Ready(item);
        }
        ready!(this.deadline.poll_expired(cx));
        this.failed = true;
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "body stalled",
        ))))
    }
}

/// Reads a whole (small) stream, failing past `limit` bytes.
pub async fn collect(mut stream: ByteStream, limit: u64) -> Result<Bytes, CollectError> {
    let mut out = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(CollectError::Io)?;
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(CollectError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("the body is larger than allowed")]
    TooLarge,
    #[error(transparent)]
    Io(std::io::Error),
}

/// How decoded data leaves the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The decoded bytes.
    Plain,
    /// Unsigned aws-chunked in [`REFRAME_CHUNK`]-sized chunks, then the client's trailers.
    UnsignedChunks,
}

/// Decodes an aws-chunked stream. A chunked-protocol error surfaces as an
/// [`std::io::ErrorKind::InvalidData`] error carrying the [`multistore_core::chunked::ChunkedError`].
pub fn decoded_stream(
    input: ByteStream,
    mode: ChunkMode,
    limits: ChunkLimits,
    expected_length: Option<u64>,
    output: Output,
) -> ByteStream {
    struct State {
        input: ByteStream,
        decoder: ChunkedDecoder,
        buf: BytesMut,
        pending: BytesMut,
        output: Output,
        eof: bool,
        done: bool,
    }
    let state = State {
        input,
        decoder: ChunkedDecoder::new(mode, limits).with_expected_length(expected_length),
        buf: BytesMut::new(),
        pending: BytesMut::new(),
        output,
        eof: false,
        done: false,
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            if st.output == Output::UnsignedChunks && st.pending.len() >= REFRAME_CHUNK {
                let chunk = st.pending.split_to(REFRAME_CHUNK);
                return Some((Ok(encode_chunk(&chunk)), st));
            }
            match st.decoder.decode(&mut st.buf) {
                Ok(Some(ChunkEvent::Data(data))) => match st.output {
                    Output::Plain => return Some((Ok(data), st)),
                    Output::UnsignedChunks => st.pending.extend_from_slice(&data),
                },
                Ok(Some(ChunkEvent::Trailers(trailers))) => {
                    if st.output == Output::UnsignedChunks {
                        let mut tail = BytesMut::new();
                        if !st.pending.is_empty() {
                            tail.extend_from_slice(&encode_chunk(&st.pending.split()));
                        }
                        tail.extend_from_slice(&encode_final(&trailers));
                        st.done = true;
                        return Some((Ok(tail.freeze()), st));
                    }
                }
                Ok(Some(ChunkEvent::End)) => {
                    st.done = true;
                    if st.output == Output::UnsignedChunks {
                        let mut tail = BytesMut::new();
                        if !st.pending.is_empty() {
                            tail.extend_from_slice(&encode_chunk(&st.pending.split()));
                        }
                        tail.extend_from_slice(&encode_final(&[]));
                        return Some((Ok(tail.freeze()), st));
                    }
                    return None;
                }
                Ok(None) if st.eof => {
                    st.done = true;
                    let err = st.decoder.finish().err().map_or_else(
                        || {
                            std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                "aws-chunked stream ended early",
                            )
                        },
                        |e| std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                    );
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
    use super::*;

    fn stream_of(parts: &[&'static [u8]]) -> ByteStream {
        let items: Vec<Result<Bytes, std::io::Error>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        Box::pin(futures_util::stream::iter(items))
    }

    #[tokio::test]
    async fn unsigned_chunks_decode_across_arbitrary_splits() {
        let input = stream_of(&[
            b"5\r\nhel",
            b"lo\r\n3\r\n wo\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        ]);
        let out = decoded_stream(
            input,
            ChunkMode::Unsigned,
            ChunkLimits::default(),
            Some(8),
            Output::Plain,
        );
        assert_eq!(
            collect(out, 100).await.unwrap(),
            Bytes::from_static(b"hello wo")
        );
    }

    #[tokio::test]
    async fn a_truncated_stream_is_an_error_not_a_short_body() {
        let input = stream_of(&[b"5\r\nhello\r\n"]);
        let out = decoded_stream(
            input,
            ChunkMode::Unsigned,
            ChunkLimits::default(),
            None,
            Output::Plain,
        );
        let err = collect(out, 100).await.unwrap_err();
        assert!(matches!(err, CollectError::Io(e) if e.kind() == std::io::ErrorKind::InvalidData));
    }

    #[tokio::test]
    async fn reframing_keeps_the_data_and_the_trailers() {
        let input = stream_of(&[b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"]);
        let out = decoded_stream(
            input,
            ChunkMode::Unsigned,
            ChunkLimits::default(),
            None,
            Output::UnsignedChunks,
        );
        let framed = collect(out, 1000).await.unwrap();
        assert_eq!(
            &framed[..],
            b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn collect_refuses_bodies_over_the_limit() {
        let err = collect(stream_of(&[b"12345", b"678"]), 7)
            .await
            .unwrap_err();
        assert!(matches!(err, CollectError::TooLarge));
    }

    #[tokio::test]
    async fn stalled_streams_are_cut_off() {
        let pending: ByteStream = Box::pin(futures_util::stream::pending());
        let mut s = with_idle_timeout(pending, Duration::from_millis(20));
        let item = s.next().await.unwrap().unwrap_err();
        assert_eq!(item.kind(), std::io::ErrorKind::TimedOut);
    }
}
