//! The access record of one request: written (one log line under the `access` target, the
//! request metrics, the in-flight gauge) when the request is really over — when its response
//! body has been sent, has failed, or was dropped because the client went away — not when
//! the response head is ready. So a streamed download counts as in flight while it streams,
//! its `duration_ms` covers the body, and `bytes_out` counts the bytes actually sent.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::Method;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt as _;
use multistore_core::gateway::Summary;

use super::State;
use crate::execute::body::{Body, BoxError};

/// What the access-log line says; written on drop.
pub struct AccessRecord {
    state: Arc<State>,
    started: Instant,
    pub request_id: String,
    /// The operation, bucket, key, claimed access key id and verified principal, as the
    /// gateway resolved them; each is logged as `-` when unknown.
    summary: Summary,
    pub method: Method,
    pub client: IpAddr,
    /// The response status; 0 while there is none.
    pub status: u16,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// The response did not go out whole (no response, a broken body, or the client left).
    pub aborted: bool,
}

impl AccessRecord {
    /// Starts the record of a request (and counts it in flight).
    pub fn start(state: &Arc<State>, request_id: String, method: Method, client: IpAddr) -> Self {
        state.metrics.in_flight.inc();
        Self {
            state: Arc::clone(state),
            started: Instant::now(),
            request_id,
            summary: Summary::default(),
            method,
            client,
            status: 0,
            bytes_in: 0,
            bytes_out: 0,
            aborted: true,
        }
    }

    /// What the gateway found out about the request while resolving it.
    pub fn note(&mut self, summary: Summary) {
        self.summary = summary;
    }

    /// The response's body, which completes this record when it ends or is dropped.
    /// `length`: the response's Content-Length, when it has one.
    pub fn track(mut self, status: u16, length: Option<u64>, body: Body) -> Body {
        self.status = status;
        Tracked {
            expected: length.or(body.size_hint().exact()),
            inner: body,
            record: Some(self),
        }
        .boxed_unsync()
    }
}

impl Drop for AccessRecord {
    fn drop(&mut self) {
        let metrics = &self.state.metrics;
        let s = &self.summary;
        let operation = s.operation.unwrap_or("-");
        metrics.record(operation, self.status, self.bytes_in, self.bytes_out);
        metrics.in_flight.dec();
        tracing::info!(
            target: "access",
            request_id = %self.request_id,
            operation,
            bucket = known(&s.bucket),
            key = known(&s.key),
            principal = known(&s.principal),
            access_key_id = known(&s.access_key_id),
            method = %self.method,
            status = self.status,
            bytes_in = self.bytes_in,
            bytes_out = self.bytes_out,
            duration_ms = self.started.elapsed().as_secs_f64() * 1000.0,
            client = %self.client,
            aborted = self.aborted,
        );
    }
}

/// A summary field as logged: `-` when unknown.
fn known(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}

/// A response body that counts what it yields and completes its record at the end.
struct Tracked {
    inner: Body,
    /// The body's length, when it is known up front (hyper stops polling once it has sent it).
    expected: Option<u64>,
    record: Option<AccessRecord>,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(record)) = (frame.data_ref(), this.record.as_mut()) {
                    record.bytes_out += data.len() as u64;
                }
            }
            Poll::Ready(Some(Err(_))) => drop(this.record.take()),
            Poll::Ready(None) => {
                if let Some(mut record) = this.record.take() {
                    record.aborted = false;
                }
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

impl Drop for Tracked {
    fn drop(&mut self) {
        // hyper need not poll a body that says it is over (an empty one, a HEAD answer), nor
        // one of known length once that many bytes went out.
        if let Some(mut record) = self.record.take() {
            let sent_all = self.expected.is_some_and(|n| record.bytes_out >= n);
            record.aborted = !(self.inner.is_end_stream() || sent_all);
        }
    }
}
