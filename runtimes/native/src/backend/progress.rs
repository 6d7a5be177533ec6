//! A backend request's body, watched while it goes out.
//!
//! An S3 backend answers a PUT only once it has the whole body, so the first-byte timeout
//! must start when the body has been sent, not when the request starts (a large upload would
//! otherwise be cut off by it). While the body goes out, the exchange is given up on when it
//! makes no progress for the idle timeout — whether the client stalls or the backend stops
//! reading. And when the body fails, the failure is kept, so that the client's stalled or
//! broken upload is answered as the client's fault rather than the backend's.
//!
//! A frame only records when it went out (an atomic store): the sender is woken at the first
//! frame (the connection is up) and when the body ends or fails, not per frame, and checks the
//! time of the last frame only when its timer fires (see [`crate::execute::idle`] for why
//! nothing is armed per chunk).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt as _;
use multistore_core::chunked::ChunkedError;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::execute::body::{Body, BoxError};

/// Why a request body failed while it was being sent.
#[derive(Clone, Debug)]
pub struct BodyFailure {
    pub kind: std::io::ErrorKind,
    /// The aws-chunked error, when the body was a decoded aws-chunked stream.
    pub chunked: Option<ChunkedError>,
    pub message: String,
}

impl BodyFailure {
    fn of(e: &BoxError) -> Self {
        let io = e.downcast_ref::<std::io::Error>();
        Self {
            kind: io.map_or(std::io::ErrorKind::Other, std::io::Error::kind),
            chunked: io
                .and_then(|e| e.get_ref())
                .and_then(|i| i.downcast_ref::<ChunkedError>())
                .cloned(),
            message: e.to_string(),
        }
    }
}

/// What the sender sees of a watched body.
pub struct Progress {
    /// Woken at the first frame and when the body ends or fails.
    notify: Notify,
    done: AtomicBool,
    failure: Mutex<Option<BodyFailure>>,
    /// When the watch started; `last_frame` counts from here.
    start: Instant,
    /// Nanoseconds from `start` to the last frame, or `u64::MAX` before the first.
    last_frame: AtomicU64,
}

impl Progress {
    fn new() -> Self {
        Self {
            notify: Notify::new(),
            done: AtomicBool::new(false),
            failure: Mutex::new(None),
            start: Instant::now(),
            last_frame: AtomicU64::new(u64::MAX),
        }
    }

    /// The whole body has been handed to the connection.
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::SeqCst)
    }

    /// Resolves at the first frame, the end or a failure (at once if one came since the last
    /// call).
    pub async fn changed(&self) {
        self.notify.notified().await;
    }

    /// When the last frame went out, if one has.
    pub fn last_frame(&self) -> Option<Instant> {
        match self.last_frame.load(Ordering::Relaxed) {
            u64::MAX => None,
            nanos => Some(self.start + std::time::Duration::from_nanos(nanos)),
        }
    }

    fn frame_sent(&self) {
        let nanos = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        if self.last_frame.swap(nanos, Ordering::Relaxed) == u64::MAX {
            self.notify.notify_one();
        }
    }

    /// The body's failure, if it failed.
    pub fn failure(&self) -> Option<BodyFailure> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Wraps a body to watch it.
pub fn watch(body: Body) -> (Body, Arc<Progress>) {
    let progress = Arc::new(Progress::new());
    progress.done.store(body.is_end_stream(), Ordering::SeqCst);
    let watched = Watched {
        inner: body,
        progress: Arc::clone(&progress),
    };
    (watched.boxed_unsync(), progress)
}

struct Watched {
    inner: Body,
    progress: Arc<Progress>,
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        let progress = &this.progress;
        match &polled {
            Poll::Ready(Some(Ok(_))) => {
                progress.frame_sent();
                if this.inner.is_end_stream() {
                    progress.done.store(true, Ordering::SeqCst);
                    progress.notify.notify_one();
                }
            }
            Poll::Ready(Some(Err(e))) => {
                *progress
                    .failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(BodyFailure::of(e));
                progress.notify.notify_one();
            }
            Poll::Ready(None) => {
                progress.done.store(true, Ordering::SeqCst);
                progress.notify.notify_one();
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::body::{ByteStream, empty, from_stream, full};

    #[tokio::test]
    async fn an_empty_body_is_done_from_the_start() {
        let (_, progress) = watch(empty());
        assert!(progress.is_done());
        let (_, progress) = watch(full(Bytes::from_static(b"x")));
        assert!(!progress.is_done());
    }

    #[tokio::test]
    async fn frames_advance_it_and_the_end_completes_it() {
        let (mut body, progress) = watch(full(Bytes::from_static(b"abc")));
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), Bytes::from_static(b"abc"));
        progress.changed().await;
        assert!(progress.is_done());
        assert!(progress.last_frame().is_some());
        assert!(progress.failure().is_none());
    }

    #[tokio::test]
    async fn a_failure_is_kept_with_its_chunked_meaning() {
        let failing: ByteStream = Box::pin(futures_util::stream::iter([Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            ChunkedError::Truncated,
        ))]));
        let (mut body, progress) = watch(from_stream(failing));
        assert!(body.frame().await.unwrap().is_err());
        let failure = progress.failure().unwrap();
        assert_eq!(failure.kind, std::io::ErrorKind::InvalidData);
        assert_eq!(failure.chunked, Some(ChunkedError::Truncated));
        assert!(!progress.is_done());
    }
}
