//! One request through the server: its id, the client address (X-Forwarded-For only from
//! trusted proxies), the header-size limit, the gateway's plan and its execution, then one
//! access-log line and the metrics.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use http::header::{CONTENT_LENGTH, HOST, HeaderValue};
use http::{Method, Request, Response};
use hyper::body::Incoming;
use multistore_core::codec::scalar::DateTime;
use multistore_core::error::Error;
use multistore_core::gateway::RequestHead;

use super::State;
use super::access::AccessRecord;
use crate::execute::body::Body;
use crate::execute::{self, RequestContext};

/// Request ids: a random per-process prefix and a counter, 16 hex digits like S3's.
pub struct RequestIds {
    prefix: u32,
    counter: AtomicU64,
}

impl RequestIds {
    pub fn new() -> Self {
        let mut seed = [0u8; 4];
        let _ = getrandom::fill(&mut seed);
        Self {
            prefix: u32::from_be_bytes(seed),
            counter: AtomicU64::new(0),
        }
    }

    pub fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{:08X}{:08X}", self.prefix, n & 0xFFFF_FFFF)
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

/// The client address: the peer, or — when the peer is a trusted proxy — the rightmost
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &http::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    chain
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

fn header_bytes(headers: &http::HeaderMap) -> u64 {
    headers
        .iter()
        .map(|(k, v)| (k.as_str().len() + v.len() + 4) as u64)
        .sum()
}

fn content_length(headers: &http::HeaderMap) -> u64 {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Serves one request. Its access record (log line, metrics, in-flight gauge) is completed
/// when the response body is over, or when this future is dropped before a response.
pub async fn handle(state: Arc<State>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let request_id = state.ids.next();
    let (mut parts, body) = req.into_parts();
    if !parts.headers.contains_key(HOST)
        && let Some(authority) = parts.uri.authority()
        && let Ok(v) = HeaderValue::from_str(authority.as_str())
    {
        parts.headers.insert(HOST, v);
    }
    let client = client_ip(peer.ip(), &parts.headers, &state.trusted_proxies);
    let mut record = AccessRecord::start(&state, request_id.clone(), parts.method.clone(), client);
    record.bytes_in = content_length(&parts.headers);
    let ctx = RequestContext {
        request_id: request_id.clone(),
        resource: parts.uri.path().to_owned(),
        method: parts.method.clone(),
        trailer: parts.headers.get("x-amz-trailer").cloned(),
    };
    // Held until the response head is ready; beyond the limit, S3's answer to overload.
    let slot = state.request_slots.try_acquire();
    let response = if slot.is_err() {
        execute::error(&state, &ctx, &Error::SlowDown)
    } else if header_bytes(&parts.headers) > state.max_header_bytes {
        execute::error(
            &state,
            &ctx,
            &Error::RequestHeaderTooLarge {
                limit: state.max_header_bytes,
            },
        )
    } else {
        let head = RequestHead {
            method: parts.method.clone(),
            raw_path: parts.uri.path().to_owned(),
            raw_query: parts.uri.query().unwrap_or_default().to_owned(),
            headers: parts.headers,
            client_ip: Some(client),
            now: DateTime::from(SystemTime::now()),
            request_id,
        };
        let resolved = state.gateway.resolve_traced(head);
        record.note(resolved.summary);
        execute::run(&state, resolved.plan, body, &ctx).await
    };
    let status = response.status().as_u16();
    // What hyper sends as the body: nothing for a HEAD, 204 or 304 answer (hyper does not
    // poll those bodies), else Content-Length bytes when the answer has one.
    let length = if ctx.method == Method::HEAD || status == 204 || status == 304 {
        Some(0)
    } else {
        response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    response.map(|body| record.track(status, length, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_trusted_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = http::HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.2"),
        );
        let stranger: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(
            client_ip(stranger, &h, &[proxy]),
            stranger,
            "an untrusted peer cannot claim another address"
        );
        assert_eq!(
            client_ip(proxy, &h, &[proxy]),
            "198.51.100.2".parse::<IpAddr>().unwrap()
        );
        let inner: IpAddr = "198.51.100.2".parse().unwrap();
        assert_eq!(
            client_ip(proxy, &h, &[proxy, inner]),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &http::HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn request_ids_are_unique_and_look_like_s3_ids() {
        let ids = RequestIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
    }
}
