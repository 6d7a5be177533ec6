//! S3-compatible backends through the Workers `fetch` API: the core has already built and
//! signed the request; this sends it with its body (a stream of known length, bytes or
//! nothing), never following redirects, and hands back the answer's stream untouched.

use http::StatusCode;
use js_sys::Promise;
use multistore_core::error::Error;
use multistore_core::gateway::{BackendRequest, FetchError, FetchRequest, FetchResponse};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, RequestRedirect};

use super::exec::{Answer, AnswerBody, Outgoing};
use super::js;

/// Headers the runtime derives itself: `host` from the URL, `content-length` from the body.
const RUNTIME_HEADERS: &[&str] = &["host", "content-length"];

/// Sends one request to an S3 endpoint.
pub async fn send(request: &BackendRequest, body: Outgoing) -> Result<Answer, Error> {
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_redirect(RequestRedirect::Manual);
    // The answer's bytes as stored: an object with `Content-Encoding: gzip` is not
    // decompressed on the way through (and a body that is not gzip at all cannot fail).
    js::set(
        init.as_ref(),
        "encodeResponseBody",
        &JsValue::from_str("manual"),
    );
    let headers = js::to_js_headers(&request.headers, RUNTIME_HEADERS)
        .map_err(|e| Error::Internal(format!("backend headers: {}", js::message(&e))))?;
    init.set_headers(&headers);
    match body {
        Outgoing::Empty => {}
        Outgoing::Bytes(bytes) => init.set_body(&js::uint8_array(&bytes).into()),
        Outgoing::Stream(stream) => init.set_body(&stream.into()),
    }
    let response = JsFuture::from(global_fetch(&request.url, &init)?)
        .await
        .map_err(|e| Error::BackendUnavailable(js::message(&e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| Error::BadGateway("fetch did not answer with a Response".into()))?;
    Ok(Answer {
        status: StatusCode::from_u16(response.status())
            .map_err(|_| Error::BadGateway(format!("status {}", response.status())))?,
        headers: js::from_js_headers(&response.headers()),
        body: response
            .body()
            .map_or(AnswerBody::Empty, AnswerBody::Stream),
    })
}

/// How long the gateway waits for a request of its own (OIDC discovery, a JWKS, STS).
const OWN_FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A small buffered request the gateway makes for itself (`Plan::Fetch`).
pub async fn own(request: &FetchRequest, limit: u64) -> Result<FetchResponse, FetchError> {
    let exchange = async {
        let init = RequestInit::new();
        init.set_method(request.method.as_str());
        init.set_redirect(RequestRedirect::Manual);
        let headers = js::to_js_headers(&request.headers, RUNTIME_HEADERS)
            .map_err(|e| FetchError::Protocol(js::message(&e)))?;
        init.set_headers(&headers);
        if !request.body.is_empty() {
            init.set_body(&js::uint8_array(&request.body).into());
        }
        let promise = global_fetch(&request.url, &init)
            .map_err(|e| FetchError::Unavailable(e.to_string()))?;
        let response: web_sys::Response = JsFuture::from(promise)
            .await
            .map_err(|e| FetchError::Unavailable(js::message(&e)))?
            .dyn_into()
            .map_err(|_| FetchError::Protocol("fetch did not answer with a Response".into()))?;
        let status = StatusCode::from_u16(response.status())
            .map_err(|_| FetchError::Protocol(format!("status {}", response.status())))?;
        let headers = js::from_js_headers(&response.headers());
        let body = match response.body() {
            None => bytes::Bytes::new(),
            Some(stream) => {
                match super::streams::collect(super::streams::from_js(stream), limit).await {
                    Ok(b) => b,
                    Err(super::streams::CollectError::TooLarge) => {
                        return Err(FetchError::TooLarge { limit });
                    }
                    Err(super::streams::CollectError::Body(e)) => {
                        return Err(FetchError::Protocol(e.to_string()));
                    }
                }
            }
        };
        Ok((status, headers, body))
    };
    let timeout = worker::Delay::from(OWN_FETCH_TIMEOUT);
    futures_util::pin_mut!(exchange);
    match futures_util::future::select(exchange, timeout).await {
        futures_util::future::Either::Left((result, _)) => result,
        futures_util::future::Either::Right(_) => Err(FetchError::Timeout),
    }
}

/// The global `fetch(url, init)`. The init goes to `fetch` itself, not to a `Request`:
/// `encodeResponseBody` is an option of `fetch` that a `Request` does not carry.
fn global_fetch(url: &str, init: &RequestInit) -> Result<Promise, Error> {
    let global: JsValue = js_sys::global().into();
    let fetch = js::get(&global, "fetch");
    let fetch: &js_sys::Function = fetch
        .dyn_ref()
        .ok_or_else(|| Error::Internal("no global fetch".into()))?;
    fetch
        .call2(&global, &JsValue::from_str(url), init)
        .map_err(|e| Error::BackendUnavailable(js::message(&e)))?
        .dyn_into::<Promise>()
        .map_err(|_| Error::Internal("fetch did not return a promise".into()))
}
