//! A deadline on a connection's first bytes, until its protocol is known.
//!
//! hyper's `header_read_timeout` covers HTTP/1 request heads, but only once hyper-util's
//! `auto` builder has decided between HTTP/1 and HTTP/2, and that decision waits, with no
//! timeout, for the first bytes: a client that connects and sends nothing (or part of the
//! HTTP/2 preface) would hold a connection slot forever. [`HeadDeadline`] fails reads with
//! `TimedOut` once the deadline passes, and disarms itself as soon as the bytes read show the
//! protocol: the first byte that departs from the HTTP/2 preface (HTTP/1, where hyper's own
//! timer takes over) or the whole preface (HTTP/2).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A stream whose reads time out until its protocol is known.
pub struct HeadDeadline<S> {
    inner: S,
    deadline: Option<Pin<Box<Sleep>>>,
    /// How much of the HTTP/2 preface the bytes so far match.
    matched: usize,
}

impl<S> HeadDeadline<S> {
    pub fn new(inner: S, limit: Duration) -> Self {
        Self {
            inner,
            deadline: Some(Box::pin(tokio::time::sleep(limit))),
            matched: 0,
        }
    }

    fn observe(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if H2_PREFACE.get(self.matched) != Some(&b) {
                self.deadline = None;
                return;
            }
            self.matched += 1;
            if self.matched == H2_PREFACE.len() {
                self.deadline = None;
                return;
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadDeadline<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.deadline.is_some() {
                    let filled = buf.filled();
                    this.observe(&filled[before..]);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let expired = this
                    .deadline
                    .as_mut()
                    .is_some_and(|d| d.as_mut().poll(cx).is_ready());
                if expired {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no request head in time",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadDeadline<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn silence_times_out() {
        let (_client, server) = tokio::io::duplex(64);
        let mut s = HeadDeadline::new(server, Duration::from_millis(20));
        let e = s.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn part_of_the_h2_preface_then_silence_times_out() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut s = HeadDeadline::new(server, Duration::from_millis(20));
        client.write_all(b"PRI * HTTP").await.unwrap();
        assert_eq!(s.read(&mut [0u8; 64]).await.unwrap(), 10);
        let e = s.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn an_http1_byte_or_the_whole_preface_disarms_it() {
        for first in [&b"PUT /"[..], H2_PREFACE] {
            let (mut client, server) = tokio::io::duplex(64);
            let mut s = HeadDeadline::new(server, Duration::from_millis(20));
            client.write_all(first).await.unwrap();
            assert_eq!(s.read(&mut [0u8; 64]).await.unwrap(), first.len());
            tokio::time::sleep(Duration::from_millis(40)).await;
            client.write_all(b"x").await.unwrap();
            assert_eq!(s.read(&mut [0u8; 8]).await.unwrap(), 1);
        }
    }
}
