//! The HTTP client for S3-compatible backends: one hyper client, built once at start-up and
//! shared by every request, with a connection pool, TCP_NODELAY, a connect timeout, a
//! first-byte timeout, and rustls (webpki roots, loaded once) for https endpoints.

use std::future::Future;
use std::time::Duration;

use futures_util::TryStreamExt;
use http::Method;
use http::header::{CONTENT_LENGTH, HeaderValue};
use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use multistore_core::gateway::BackendRequest;

use super::progress::{self, Progress};
use super::{BackendError, BackendResponse};
use crate::cli::ServerLimits;
use crate::execute::body::{Body, empty, with_idle_timeout};

/// The shared backend client.
pub struct BackendClient {
    client: Client<HttpsConnector<HttpConnector>, Body>,
    connect_timeout: Duration,
    first_byte_timeout: Duration,
    idle_timeout: Duration,
}

impl BackendClient {
    pub fn new(limits: &ServerLimits) -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.set_connect_timeout(Some(limits.connect_timeout));
        http.enforce_http(false);
        // The crypto provider is named, not left to rustls' process default: that default
        // panics when the build graph enables both `ring` and `aws-lc-rs` (as the AWS SDK in
        // the dev-dependencies does), and then every request to an S3 backend would panic.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring supports TLS 1.2 and 1.3")
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build(https);
        Self {
            client,
            connect_timeout: limits.connect_timeout,
            first_byte_timeout: limits.first_byte_timeout,
            idle_timeout: limits.idle_timeout,
        }
    }

    /// Sends a request and waits for the response head.
    pub async fn send(
        &self,
        request: &BackendRequest,
        body: Body,
        length: Option<u64>,
    ) -> Result<BackendResponse, BackendError> {
        let (method, url) = (request.method.clone(), request.url.as_str());
        self.send_parts(method, url, request.headers.clone(), body, length)
            .await
    }

    /// Sends a request given by its parts (the gateway's own fetches use it too).
    pub async fn send_parts(
        &self,
        method: Method,
        url: &str,
        headers: http::HeaderMap,
        body: Body,
        length: Option<u64>,
    ) -> Result<BackendResponse, BackendError> {
        // A body of unknown length goes out chunked. An empty one goes out as no body at all,
        // with `Content-Length: 0` where the method carries a body (S3 refuses a PUT without
        // a length), and without one on GET, HEAD and DELETE.
        let expects_body = matches!(method, Method::PUT | Method::POST | Method::PATCH);
        let body = if length == Some(0) { empty() } else { body };
        let mut builder = http::Request::builder().method(method).uri(url);
        if let Some(out) = builder.headers_mut() {
            out.extend(headers);
            if let Some(length) = length
                && (length > 0 || expects_body)
            {
                out.insert(CONTENT_LENGTH, HeaderValue::from(length));
            }
        }
        let (body, progress) = progress::watch(body);
        let req = builder
            .body(body)
            .map_err(|e| BackendError::Protocol(e.to_string()))?;
        let answer = self.head(self.client.request(req), &progress).await;
        if !matches!(answer, Ok(Ok(_)))
            && let Some(failure) = progress.failure()
        {
            return Err(BackendError::RequestBody(failure));
        }
        let response = match answer? {
            Err(e) if e.is_connect() => return Err(BackendError::Unavailable(e.to_string())),
            Err(e) => return Err(BackendError::Protocol(e.to_string())),
            Ok(response) => response,
        };
        let (parts, incoming) = response.into_parts();
        let stream = incoming.into_data_stream().map_err(std::io::Error::other);
        Ok(BackendResponse {
            status: parts.status,
            headers: parts.headers,
            body: with_idle_timeout(Box::pin(stream), self.idle_timeout),
        })
    }

    /// Waits for the response head. While the body goes out (after connecting), the exchange
    /// is given up on only when the body makes no progress for the idle timeout (and half
    /// again, so that a client's stall, which its body reports at the idle timeout, is told
    /// apart from a backend that stopped reading); the first-byte timeout starts once the
    /// whole body has been sent.
    async fn head<F, T>(&self, response: F, progress: &Progress) -> Result<T, BackendError>
    where
        F: Future<Output = T>,
    {
        tokio::pin!(response);
        let idle = self.idle_timeout + self.idle_timeout / 2;
        // One timer for the whole upload, moved only at the first frame and when it fires
        // (frames just record their time): the first deadline allows for connecting, later
        // ones count from the last frame.
        let quiet = tokio::time::sleep(self.connect_timeout + idle);
        tokio::pin!(quiet);
        let mut connected = false;
        while !progress.is_done() {
            tokio::select! {
                answer = &mut response => return Ok(answer),
                () = progress.changed() => {
                    if let (false, Some(first)) = (connected, progress.last_frame()) {
                        connected = true;
                        quiet.as_mut().reset(first + idle);
                    }
                }
                () = &mut quiet => match progress.last_frame().map(|t| t + idle) {
                    Some(deadline) if deadline > tokio::time::Instant::now() => {
                        quiet.as_mut().reset(deadline);
                    }
                    _ => return Err(BackendError::Timeout),
                },
            }
        }
        tokio::time::timeout(self.first_byte_timeout, response)
            .await
            .map_err(|_| BackendError::Timeout)
    }
}
