//! Executes the core's plans: answer, read a small body and continue, forward to a backend
//! (streaming both ways), pipe one backend into another, or make a small request of the
//! gateway's own and continue ([`fetch`]). The runtime knows nothing of S3;
//! every error it meets becomes an S3 error through the gateway.

pub mod body;
pub mod fetch;
pub(crate) mod idle;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use hyper::body::Incoming;
use multistore_core::chunked::{ChunkedError, encoded_length};
use multistore_core::error::Error;
use multistore_core::gateway::{
    BodyDecoding, Forward, Pipe, PipeNext, Plan, Reframe, RequestBody, ResponseMode,
};

use self::body::{
    Body, ByteStream, CollectError, Output, collect, decoded_stream, from_stream, full,
    incoming_stream,
};
use crate::backend::{BackendError, BackendResponse};
use crate::server::State;

/// What the executor knows of the request, for error answers.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub resource: String,
    pub method: Method,
    /// The client's `x-amz-trailer` header (the trailers a re-framed aws-chunked body ends
    /// with); the only request header the executor needs, so the rest are not copied.
    pub trailer: Option<HeaderValue>,
}

/// Runs a plan to its response.
pub async fn run(
    state: &Arc<State>,
    mut plan: Plan,
    client: Incoming,
    ctx: &RequestContext,
) -> Response<Body> {
    let mut client = Some(client);
    loop {
        match plan {
            Plan::Respond(r) => return respond(r.status, r.headers, r.body, &ctx.method),
            Plan::NeedsBody(needs) => {
                let Some(incoming) = client.take() else {
                    return error(state, ctx, &Error::Internal("body read twice".into()));
                };
                let stream = incoming_stream(incoming, state.limits.idle_timeout);
                let stream = match needs.decode {
                    BodyDecoding::Plain => stream,
                    BodyDecoding::Chunked {
                        mode,
                        limits,
                        expected_length,
                    } => decoded_stream(stream, mode, limits, expected_length, Output::Plain),
                };
                match collect(stream, needs.limit).await {
                    Ok(bytes) => plan = (needs.then)(bytes),
                    Err(CollectError::TooLarge) => {
                        return error(state, ctx, &Error::BodyTooLarge { limit: needs.limit });
                    }
                    Err(CollectError::Io(e)) => return error(state, ctx, &io_to_error(e)),
                }
            }
            Plan::Forward(forward) => {
                return run_forward(state, *forward, client.take(), ctx).await;
            }
            Plan::Pipe(pipe) => return run_pipe(state, *pipe, ctx).await,
            Plan::Fetch(f) => {
                let outcome = fetch::fetch(state, f.request, f.limit, f.coalesce).await;
                plan = (f.then)(outcome);
            }
        }
    }
}

fn respond(
    status: StatusCode,
    headers: HeaderMap,
    bytes: Bytes,
    method: &Method,
) -> Response<Body> {
    let body = if *method == Method::HEAD {
        body::empty()
    } else {
        full(bytes)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// An error as the S3 error response.
pub fn error(state: &State, ctx: &RequestContext, e: &Error) -> Response<Body> {
    let r = state.gateway.error_response(
        e,
        &ctx.request_id,
        &ctx.resource,
        ctx.method == Method::HEAD,
    );
    respond(r.status, r.headers, r.body, &ctx.method)
}

/// An I/O error inside a body: a broken aws-chunked stream keeps its S3 meaning.
fn io_to_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidData
        && let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<ChunkedError>())
    {
        return Error::Chunked(inner.clone());
    }
    // A body that stalled past the idle timeout is the client's: 400 RequestTimeout, as S3
    // answers; one cut short is 400 IncompleteBody. Never a 500 that blames the server.
    if e.kind() == std::io::ErrorKind::TimedOut {
        return Error::RequestTimeout;
    }
    Error::Chunked(ChunkedError::Truncated)
}

/// Whose body a backend request carries, which decides whose fault its failure is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyFrom {
    /// The client's upload: a stalled or broken one is a 400.
    Client,
    /// Another backend's answer (a pipe): its failure is a bad gateway.
    Backend,
}

fn backend_error(e: BackendError, from: BodyFrom) -> Error {
    match e {
        BackendError::Unavailable(m) => Error::BackendUnavailable(m),
        BackendError::Timeout => {
            Error::BackendUnavailable("the backend did not answer in time".into())
        }
        BackendError::Protocol(m) => Error::BadGateway(m),
        BackendError::RequestBody(f) if from == BodyFrom::Backend => {
            Error::BadGateway(format!("the source stopped: {}", f.message))
        }
        BackendError::RequestBody(f) if f.kind == std::io::ErrorKind::TimedOut => {
            Error::RequestTimeout
        }
        BackendError::RequestBody(f) => f
            .chunked
            .map_or(Error::Chunked(ChunkedError::Truncated), Error::Chunked),
    }
}

/// The trailers a re-framed body will carry, with values of the right length for their
/// algorithm, to compute its Content-Length in advance.
fn placeholder_trailers(trailer: Option<&HeaderValue>) -> Vec<(String, String)> {
    let Some(names) = trailer.and_then(|v| v.to_str().ok()) else {
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

/// The body a forward sends, and its Content-Length.
fn request_body(
    state: &State,
    body: RequestBody,
    client: Option<Incoming>,
    ctx: &RequestContext,
) -> (ByteStream, Option<u64>) {
    let empty = || -> ByteStream { Box::pin(futures_util::stream::empty()) };
    match body {
        // Known to be empty: the client sends no chunked framing (S3 answers a bodiless PUT
        // framed as chunked with 411 MissingContentLength).
        RequestBody::Empty => (empty(), Some(0)),
        RequestBody::Buffered(bytes) => {
            let len = bytes.len() as u64;
            (
                Box::pin(futures_util::stream::once(async move { Ok(bytes) })),
                Some(len),
            )
        }
        RequestBody::Stream { length } => match client {
            Some(c) => (incoming_stream(c, state.limits.idle_timeout), length),
            None => (empty(), Some(0)),
        },
        RequestBody::Decoded {
            mode,
            limits,
            length,
            reframe,
        } => {
            let Some(c) = client else {
                return (empty(), Some(0));
            };
            let input = incoming_stream(c, state.limits.idle_timeout);
            match reframe {
                Reframe::Plain => (
                    decoded_stream(input, mode, limits, length, Output::Plain),
                    length,
                ),
                Reframe::UnsignedChunksWithTrailer => {
                    let trailers = placeholder_trailers(ctx.trailer.as_ref());
                    let framed = length
                        .and_then(|l| encoded_length(l, body::REFRAME_CHUNK as u64, &trailers));
                    (
                        decoded_stream(input, mode, limits, length, Output::UnsignedChunks),
                        framed,
                    )
                }
            }
        }
        // Only a pipe's write has a source body; `run_pipe` passes it directly.
        RequestBody::FromSource { length } => (empty(), length),
    }
}

async fn run_forward(
    state: &Arc<State>,
    forward: Forward,
    client: Option<Incoming>,
    ctx: &RequestContext,
) -> Response<Body> {
    let (stream, length) = request_body(state, forward.body.clone(), client, ctx);
    send_and_answer(state, forward, (stream, BodyFrom::Client), length, ctx).await
}

async fn send_and_answer(
    state: &Arc<State>,
    forward: Forward,
    (stream, from): (ByteStream, BodyFrom),
    length: Option<u64>,
    ctx: &RequestContext,
) -> Response<Body> {
    let started = std::time::Instant::now();
    let answer = state.backends.send(&forward.request, stream, length).await;
    state
        .metrics
        .backend_latency
        .observe(started.elapsed().as_secs_f64());
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            // An error we write ourselves still carries the bucket's CORS headers, or a
            // browser could not read it.
            let mut response = error(state, ctx, &backend_error(e, from));
            forward.add_cors(response.headers_mut());
            return response;
        }
    };
    relay(state, forward, answer, ctx).await
}

/// The client's response for a backend's answer.
async fn relay(
    state: &Arc<State>,
    mut forward: Forward,
    answer: BackendResponse,
    ctx: &RequestContext,
) -> Response<Body> {
    match std::mem::replace(&mut forward.response, ResponseMode::PassThrough) {
        ResponseMode::Rewrite { limit, then } if answer.status.is_success() => {
            match collect(answer.body, limit).await {
                Ok(bytes) => {
                    let r = then(answer.status, answer.headers, bytes);
                    respond(r.status, r.headers, r.body, &forward.client_method)
                }
                Err(_) => {
                    let mut response = error(
                        state,
                        ctx,
                        &Error::BadGateway("the backend's answer could not be read".into()),
                    );
                    forward.add_cors(response.headers_mut());
                    response
                }
            }
        }
        _ => {
            let (status, headers) = forward.client_head(answer.status, &answer.headers);
            let body = if forward.client_method == Method::HEAD {
                body::empty()
            } else {
                from_stream(answer.body)
            };
            let mut response = Response::new(body);
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
    }
}

async fn run_pipe(state: &Arc<State>, pipe: Pipe, ctx: &RequestContext) -> Response<Body> {
    let source = match state
        .backends
        .send(
            &pipe.source,
            Box::pin(futures_util::stream::empty()),
            Some(0),
        )
        .await
    {
        Ok(s) => s,
        Err(e) => return error(state, ctx, &backend_error(e, BodyFrom::Client)),
    };
    match (pipe.then)(source.status, &source.headers) {
        PipeNext::Respond(r) => respond(r.status, r.headers, r.body, &ctx.method),
        PipeNext::Write(forward) => {
            let length = match forward.body {
                RequestBody::FromSource { length } => length,
                _ => None,
            };
            let body = (source.body, BodyFrom::Backend);
            send_and_answer(state, *forward, body, length, ctx).await
        }
    }
}
