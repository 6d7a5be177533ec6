//! Executes the core's plans with the Workers APIs, as the native runtime's executor does
//! with hyper: answer, read a small body and continue, forward to a backend (streaming both
//! ways), or pipe one backend into another. Every error met here becomes an S3 error through
//! the gateway.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use multistore_core::codec::scalar::DateTime;
use multistore_core::error::Error;
use multistore_core::gateway::{
    BackendKind, BackendRequest, BodyDecoding, Forward, Pipe, PipeNext, Plan, RequestBody,
    ResponseMode,
};
use wasm_bindgen::JsValue;
use web_sys::ReadableStream;
use worker::Env;

use super::streams::{self, CollectError, Failure};
use super::{State, fetch, js, r2};
use crate::body::{BodyPlan, ChunkedTransform, Output, body_plan};

/// A backend request's body, ready for JavaScript.
pub enum Outgoing {
    Empty,
    Bytes(Bytes),
    /// A stream; one of known length went through a `FixedLengthStream`.
    Stream(ReadableStream),
}

/// A backend's answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: AnswerBody,
}

/// The body of an answer.
pub enum AnswerBody {
    Empty,
    Bytes(Bytes),
    Stream(ReadableStream),
}

impl AnswerBody {
    /// Releases a stream that will not be read.
    fn discard(self) {
        if let Self::Stream(s) = self {
            let _ = s.cancel();
        }
    }

    /// Reads the whole body, failing past `limit` bytes.
    async fn read(self, limit: u64) -> Result<Bytes, CollectError> {
        match self {
            Self::Empty => Ok(Bytes::new()),
            Self::Bytes(b) if b.len() as u64 > limit => Err(CollectError::TooLarge),
            Self::Bytes(b) => Ok(b),
            Self::Stream(s) => streams::collect(streams::from_js(s), limit).await,
        }
    }
}

/// What the executor knows of the request.
pub struct Ctx {
    pub request_id: String,
    pub resource: String,
    pub method: Method,
    /// The client's headers (aws-chunked framing details).
    pub headers: HeaderMap,
    pub now: DateTime,
}

/// One request's execution.
pub struct Exec<'a> {
    pub state: &'a State,
    pub env: &'a Env,
    pub ctx: &'a Ctx,
}

/// A client response.
pub fn respond(
    status: StatusCode,
    headers: &HeaderMap,
    body: AnswerBody,
    method: &Method,
) -> Result<web_sys::Response, JsValue> {
    let init = web_sys::ResponseInit::new();
    init.set_status(status.as_u16());
    init.set_headers(&js::to_js_headers(headers, &[])?.into());
    // The bytes are sent as they are: an object stored with Content-Encoding: gzip is not
    // compressed a second time.
    js::set(init.as_ref(), "encodeBody", &JsValue::from_str("manual"));
    let no_body = *method == Method::HEAD
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if no_body {
        body.discard();
        return web_sys::Response::new_with_opt_str_and_init(None, &init);
    }
    match body {
        AnswerBody::Empty => web_sys::Response::new_with_opt_str_and_init(None, &init),
        AnswerBody::Bytes(b) if b.is_empty() => {
            web_sys::Response::new_with_opt_str_and_init(None, &init)
        }
        AnswerBody::Bytes(b) => web_sys::Response::new_with_opt_buffer_source_and_init(
            Some(&js::uint8_array(&b)),
            &init,
        ),
        AnswerBody::Stream(s) => {
            web_sys::Response::new_with_opt_readable_stream_and_init(Some(&s), &init)
        }
    }
}

impl Exec<'_> {
    /// Runs a plan to its response. `client` is the request body, read at most once.
    pub async fn run(
        &self,
        mut plan: Plan,
        client: Option<ReadableStream>,
    ) -> Result<web_sys::Response, JsValue> {
        let mut client = client;
        loop {
            match plan {
                Plan::Respond(r) => {
                    // The unread body is left to the runtime (cancelling it makes wrangler dev's
                    // proxy answer 503 instead of this response).
                    return respond(
                        r.status,
                        &r.headers,
                        AnswerBody::Bytes(r.body),
                        &self.ctx.method,
                    );
                }
                Plan::NeedsBody(needs) => {
                    let stream = client.take().map_or_else(streams::empty, streams::from_js);
                    let stream = match needs.decode {
                        BodyDecoding::Plain => stream,
                        BodyDecoding::Chunked {
                            mode,
                            limits,
                            expected_length,
                        } => streams::decoded(
                            stream,
                            ChunkedTransform::new(mode, limits, expected_length, Output::Plain),
                        ),
                    };
                    match streams::collect(stream, needs.limit).await {
                        Ok(bytes) => plan = (needs.then)(bytes),
                        Err(CollectError::TooLarge) => {
                            return self.error(&Error::BodyTooLarge { limit: needs.limit });
                        }
                        Err(CollectError::Body(e)) => return self.error(&e.to_error()),
                    }
                }
                Plan::Fetch(fetch) => {
                    let result = fetch::own(&fetch.request, fetch.limit).await;
                    if let Err(e) = &result {
                        // The client sees only the S3/STS error the core makes of it.
                        worker::console_warn!(
                            "{}: {} {}: {e}",
                            self.ctx.request_id,
                            fetch.request.method,
                            fetch.request.url
                        );
                    }
                    plan = (fetch.then)(result);
                }
                Plan::Forward(forward) => return self.forward(*forward, client).await,
                Plan::Pipe(pipe) => {
                    discard_client(client);
                    return self.pipe(*pipe).await;
                }
            }
        }
    }

    /// The S3 error response for `e`.
    pub fn error(&self, e: &Error) -> Result<web_sys::Response, JsValue> {
        let r = self.state.loaded.gateway.error_response(
            e,
            &self.ctx.request_id,
            &self.ctx.resource,
            self.ctx.method == Method::HEAD,
        );
        if r.status.is_server_error() {
            worker::console_error!("{} {}: {e}", self.ctx.request_id, self.ctx.resource);
        }
        respond(
            r.status,
            &r.headers,
            AnswerBody::Bytes(r.body),
            &self.ctx.method,
        )
    }

    async fn forward(
        &self,
        forward: Forward,
        client: Option<ReadableStream>,
    ) -> Result<web_sys::Response, JsValue> {
        let embedded = matches!(forward.request.kind, BackendKind::Embedded { .. });
        let plan = body_plan(
            &forward.body,
            embedded,
            &self.ctx.headers,
            self.state.loaded.limits.max_upload_bytes,
        );
        let failure = Failure::default();
        let body = match outgoing(plan, client, None, &failure) {
            Ok(b) => b,
            Err(e) => return self.error(&Error::Internal(js::message(&e))),
        };
        self.send_and_relay(forward, body, &failure).await
    }

    async fn send_and_relay(
        &self,
        forward: Forward,
        body: Outgoing,
        failure: &Failure,
    ) -> Result<web_sys::Response, JsValue> {
        let answer = self.send(&forward.request, body).await;
        // A body that failed on its way (a bad chunk signature, past the upload limit) is the
        // reason, whatever the backend made of the broken upload.
        if let Some(e) = failure.take() {
            if let Ok(a) = answer {
                a.body.discard();
            }
            return self.error(&e.to_error());
        }
        match answer {
            Ok(a) => self.relay(forward, a).await,
            Err(e) => self.error(&e),
        }
    }

    /// Sends one backend request.
    async fn send(&self, request: &BackendRequest, body: Outgoing) -> Result<Answer, Error> {
        match &request.kind {
            BackendKind::Http => fetch::send(request, body).await,
            BackendKind::Embedded { store } => {
                let binding = self
                    .state
                    .loaded
                    .r2_binding(store)
                    .ok_or(Error::NoSuchBucket)?;
                let bucket = r2::bucket(self.env, &binding).map_err(Error::Internal)?;
                Ok(r2::execute(&bucket, request, body, self.ctx.now).await)
            }
        }
    }

    /// The client's response for a backend's answer.
    async fn relay(&self, forward: Forward, answer: Answer) -> Result<web_sys::Response, JsValue> {
        match forward.response {
            ResponseMode::Rewrite { limit, then } if answer.status.is_success() => {
                match answer.body.read(limit).await {
                    Ok(bytes) => {
                        let r = then(answer.status, answer.headers, bytes);
                        respond(
                            r.status,
                            &r.headers,
                            AnswerBody::Bytes(r.body),
                            &forward.client_method,
                        )
                    }
                    Err(_) => self.error(&Error::BadGateway(
                        "the backend's answer could not be read".into(),
                    )),
                }
            }
            _ => {
                let (status, headers) = forward.client_head(answer.status, &answer.headers);
                respond(status, &headers, answer.body, &forward.client_method)
            }
        }
    }

    async fn pipe(&self, pipe: Pipe) -> Result<web_sys::Response, JsValue> {
        let source = match self.send(&pipe.source, Outgoing::Empty).await {
            Ok(s) => s,
            Err(e) => return self.error(&e),
        };
        match (pipe.then)(source.status, &source.headers) {
            PipeNext::Respond(r) => {
                source.body.discard();
                respond(
                    r.status,
                    &r.headers,
                    AnswerBody::Bytes(r.body),
                    &self.ctx.method,
                )
            }
            PipeNext::Write(forward) => {
                let length = match forward.body {
                    RequestBody::FromSource { length } => length,
                    _ => None,
                };
                let failure = Failure::default();
                let stream = match source.body {
                    AnswerBody::Empty => None,
                    AnswerBody::Stream(s) => Some(s),
                    AnswerBody::Bytes(b) => Some(streams::to_js(
                        Box::pin(futures_util::stream::once(async move { Ok(b) })),
                        &failure,
                    )),
                };
                let body = match outgoing(BodyPlan::Source { length }, None, stream, &failure) {
                    Ok(b) => b,
                    Err(e) => return self.error(&Error::Internal(js::message(&e))),
                };
                self.send_and_relay(*forward, body, &failure).await
            }
        }
    }
}

fn discard_client(client: Option<ReadableStream>) {
    if let Some(s) = client {
        let _ = s.cancel();
    }
}

/// The JavaScript body for a body plan.
fn outgoing(
    plan: BodyPlan,
    client: Option<ReadableStream>,
    source: Option<ReadableStream>,
    failure: &Failure,
) -> Result<Outgoing, JsValue> {
    let length = plan.length();
    let stream = match plan {
        BodyPlan::Empty => {
            discard_client(client);
            return Ok(Outgoing::Empty);
        }
        BodyPlan::Bytes(b) => {
            discard_client(client);
            return Ok(Outgoing::Bytes(b));
        }
        BodyPlan::Client { limit, .. } => match (client, length) {
            (None, _) => return Ok(Outgoing::Bytes(Bytes::new())),
            (Some(c), Some(0)) => {
                let _ = c.cancel();
                return Ok(Outgoing::Bytes(Bytes::new()));
            }
            (Some(c), _) => match limit {
                Some(limit) => {
                    streams::to_js(streams::limited(streams::from_js(c), limit), failure)
                }
                None => c,
            },
        },
        BodyPlan::Decoded {
            mode,
            limits,
            expected,
            output,
            ..
        } => {
            let input = client.map_or_else(streams::empty, streams::from_js);
            let decoded =
                streams::decoded(input, ChunkedTransform::new(mode, limits, expected, output));
            streams::to_js(decoded, failure)
        }
        BodyPlan::Source { .. } => match (source, length) {
            (None, _) => return Ok(Outgoing::Bytes(Bytes::new())),
            (Some(s), Some(0)) => {
                let _ = s.cancel();
                return Ok(Outgoing::Bytes(Bytes::new()));
            }
            (Some(s), _) => s,
        },
    };
    let stream = match length {
        Some(l) => streams::fixed_length(&stream, l)?,
        None => stream,
    };
    Ok(Outgoing::Stream(stream))
}
