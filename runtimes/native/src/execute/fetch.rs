//! `Plan::Fetch`: the gateway's own small exchanges (OIDC discovery, a JWKS, a backend's STS)
//! over the shared backend client, the answer buffered up to the plan's limit.
//!
//! Fetches that carry the same `coalesce` key while one is in flight share it: the first
//! sends, the others wait for its answer (a clone of it). This is what makes a cold miss of
//! the core's caches single-flight on this runtime.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use multistore_core::gateway::{FetchError, FetchRequest, FetchResponse};

use super::body::{CollectError, collect, empty, full};
use crate::backend::BackendError;
use crate::server::State;

type Outcome = Result<FetchResponse, FetchError>;

/// The fetches in flight, by coalescing key.
#[derive(Default)]
pub struct Fetches {
    inflight: Mutex<HashMap<String, Shared<BoxFuture<'static, Outcome>>>>,
}

/// Runs one fetch, joining one in flight under the same key.
pub async fn fetch(
    state: &Arc<State>,
    request: FetchRequest,
    limit: u64,
    coalesce: Option<String>,
) -> Outcome {
    let Some(key) = coalesce else {
        return send(Arc::clone(state), request, limit).await;
    };
    let lock = || {
        state
            .fetches
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    };
    let flight = lock()
        .entry(key.clone())
        .or_insert_with(|| send(Arc::clone(state), request, limit).boxed().shared())
        .clone();
    let outcome = flight.clone().await;
    let mut inflight = lock();
    if inflight.get(&key).is_some_and(|f| f.ptr_eq(&flight)) {
        inflight.remove(&key);
    }
    outcome
}

async fn send(state: Arc<State>, request: FetchRequest, limit: u64) -> Outcome {
    let (body, length) = if request.body.is_empty() {
        (empty(), None)
    } else {
        let length = request.body.len() as u64;
        (full(request.body), Some(length))
    };
    let answer = state
        .backends
        .http
        .send_parts(request.method, &request.url, request.headers, body, length)
        .await
        .map_err(|e| match e {
            BackendError::Unavailable(m) => FetchError::Unavailable(m),
            BackendError::Timeout => FetchError::Timeout,
            BackendError::Protocol(m) => FetchError::Protocol(m),
            BackendError::RequestBody(f) => FetchError::Protocol(f.message),
        })?;
    let body = collect(answer.body, limit).await.map_err(|e| match e {
        CollectError::TooLarge => FetchError::TooLarge { limit },
        CollectError::Io(e) => FetchError::Protocol(e.to_string()),
    })?;
    Ok((answer.status, answer.headers, body))
}
