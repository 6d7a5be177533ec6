//! The bench backend's response bodies, sent in large writes.
//!
//! s3s-fs 0.14.1 streams an object as 4 KiB reads of `tokio::fs` (`ReaderStream` with a
//! 4,096-byte buffer), and hyper writes each as it comes, so a GET trickles onto the socket
//! 4 KiB at a time. Whatever reads that socket is woken every few kilobytes: the cost per GiB
//! of anything in front of this backend is then set by the backend's write size, not by its
//! own work (see docs/benchmarks.md). [`Coalesced`] gathers the chunks into writes of
//! [`WRITE_SIZE`], as an S3 server sends a large object. It copies the bytes once; the direct
//! target and the gateway read from the same backend, so both get the same writes.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};

/// The size of the writes a body is gathered into.
pub const WRITE_SIZE: usize = 256 * 1024;

/// A body whose data frames are gathered into frames of at least `write_size` bytes (the
/// last one shorter; 0 passes them through as they come). Trailers follow the data.
pub struct Coalesced<B: Body> {
    inner: B,
    write_size: usize,
    buffer: BytesMut,
    /// A frame read from `inner` that must follow the buffered data (trailers, an error).
    held: Option<Result<Frame<Bytes>, B::Error>>,
    /// `inner` has ended.
    ended: bool,
}

impl<B: Body> Coalesced<B> {
    pub fn new(inner: B, write_size: usize) -> Self {
        Self {
            inner,
            write_size,
            buffer: BytesMut::new(),
            held: None,
            ended: false,
        }
    }

    fn flush(&mut self) -> Frame<Bytes> {
        Frame::data(self.buffer.split().freeze())
    }
}

impl<B> Body for Coalesced<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        if this.held.is_none() && !this.ended {
            loop {
                match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) => {
                            if this.buffer.is_empty() && data.len() >= this.write_size {
                                return Poll::Ready(Some(Ok(Frame::data(data))));
                            }
                            this.buffer.extend_from_slice(&data);
                            if this.buffer.len() >= this.write_size {
                                return Poll::Ready(Some(Ok(this.flush())));
                            }
                        }
                        Err(frame) => {
                            this.held = Some(Ok(frame));
                            break;
                        }
                    },
                    Poll::Ready(Some(Err(e))) => {
                        this.held = Some(Err(e));
                        break;
                    }
                    Poll::Ready(None) => {
                        this.ended = true;
                        break;
                    }
                    // Wait for more: `inner` wakes this task when it has it.
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
        if !this.buffer.is_empty() {
            return Poll::Ready(Some(Ok(this.flush())));
        }
        Poll::Ready(this.held.take())
    }

    fn is_end_stream(&self) -> bool {
        self.ended && self.held.is_none() && self.buffer.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.inner.size_hint();
        let buffered = self.buffer.len() as u64;
        hint.set_lower(hint.lower() + buffered);
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper + buffered);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http_body_util::{BodyExt as _, StreamBody};

    use super::*;

    fn chunks(sizes: &[usize]) -> impl Body<Data = Bytes, Error = Infallible> + Unpin {
        let frames: Vec<Result<Frame<Bytes>, Infallible>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| Ok(Frame::data(Bytes::from(vec![i as u8; n]))))
            .collect();
        StreamBody::new(futures_util::stream::iter(frames))
    }

    #[tokio::test]
    async fn small_chunks_are_gathered_and_the_bytes_kept() {
        let mut body = Coalesced::new(chunks(&[4096; 200]), WRITE_SIZE);
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            sizes.push(data.len());
            all.extend_from_slice(&data);
        }
        assert_eq!(
            sizes,
            [
                WRITE_SIZE,
                WRITE_SIZE,
                WRITE_SIZE,
                4096 * 200 - 3 * WRITE_SIZE
            ]
        );
        let expected: Vec<u8> = (0..200).flat_map(|i| vec![i as u8; 4096]).collect();
        assert_eq!(all, expected);
        assert!(body.is_end_stream());
    }

    #[tokio::test]
    async fn a_zero_write_size_passes_chunks_through() {
        let mut body = Coalesced::new(chunks(&[10, 20, 30]), 0);
        let mut sizes = Vec::new();
        while let Some(frame) = body.frame().await {
            sizes.push(frame.unwrap().into_data().unwrap().len());
        }
        assert_eq!(sizes, [10, 20, 30]);
    }
}
