//! Backends as the runtime reaches them: S3-compatible endpoints over one pooled HTTP client
//! (built once, TCP_NODELAY, rustls), and the embedded stores (local directory, memory) by name,
//! their requests made plain first ([`embedded`]). Both answer with a status, headers and a
//! body stream.

pub mod embedded;
pub mod http;
pub mod progress;

use bytes::Bytes;
use multistore_core::gateway::{BackendKind, BackendRequest};

use crate::execute::body::{Body, ByteStream, from_stream};
use crate::store::{IntoStoreResponse, StoreBody, StoreError, StoreSet};

/// A backend's answer.
pub struct BackendResponse {
    pub status: ::http::StatusCode,
    pub headers: ::http::HeaderMap,
    pub body: ByteStream,
}

/// Why a backend could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot reach the backend: {0}")]
    Unavailable(String),
    #[error("the backend did not answer in time")]
    Timeout,
    #[error("the backend broke the exchange: {0}")]
    Protocol(String),
    /// The request body failed while it was being sent (the client's upload stalled or
    /// broke, or a pipe's source did): the sender decides whose fault that is.
    #[error("the request body failed: {}", .0.message)]
    RequestBody(progress::BodyFailure),
}

/// Every backend the runtime can send to.
pub struct Backends {
    pub http: http::BackendClient,
    pub stores: StoreSet,
}

impl Backends {
    /// Sends one request with its body (`length`: its Content-Length, when known).
    pub async fn send(
        &self,
        request: &BackendRequest,
        body: ByteStream,
        length: Option<u64>,
    ) -> Result<BackendResponse, BackendError> {
        match &request.kind {
            BackendKind::Http => self.http.send(request, from_stream(body), length).await,
            BackendKind::Embedded { store } => {
                let mut s3 = request.s3.clone();
                let (body, watch) = embedded::prepare(&mut s3.headers, body, length);
                let mut answer = self
                    .stores
                    .execute(store, request.operation, s3, body)
                    .await;
                if let Some(message) = watch.bad_digest() {
                    answer = StoreError::bad_digest(message).into_response();
                } else if let Some(failure) = watch.failure() {
                    // The store refused a body that broke off; the sender answers the cause.
                    return Err(BackendError::RequestBody(failure));
                }
                let body: ByteStream = match answer.body {
                    StoreBody::Empty => Box::pin(futures_util::stream::empty()),
                    StoreBody::Full(bytes) => Box::pin(futures_util::stream::once(async move {
                        Ok::<Bytes, std::io::Error>(bytes)
                    })),
                    StoreBody::Stream(s) => s,
                };
                Ok(BackendResponse {
                    status: answer.status,
                    headers: answer.headers,
                    body,
                })
            }
        }
    }
}

/// The body the HTTP client sends.
pub type RequestBody = Body;
