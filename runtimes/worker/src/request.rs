//! The request head as the Worker receives it: the raw path and query cut from the request
//! URL (never re-parsed, so the bytes the client signed stay as they were), the client
//! address from `CF-Connecting-IP`, request ids, and the header-size limit.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use http::HeaderMap;

/// Splits an absolute request URL (`http://host/path?query#fragment`) into its raw path and
/// raw query, both still percent-encoded. A URL without a path has the path `/`.
pub fn split_url(url: &str) -> (String, String) {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let target = after_scheme
        .find('/')
        .map_or("/", |slash| &after_scheme[slash..]);
    let target = target.split_once('#').map_or(target, |(t, _)| t);
    match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (target.to_owned(), String::new()),
    }
}

/// The client address Cloudflare reports in `CF-Connecting-IP` (the edge sets it and clients
/// cannot override it). `None` when absent (local development without the header).
pub fn client_ip(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get("cf-connecting-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The size of a header section as the limit counts it (name, value, `: ` and CRLF).
pub fn header_bytes(headers: &HeaderMap) -> u64 {
    headers
        .iter()
        .map(|(k, v)| (k.as_str().len() + v.len() + 4) as u64)
        .sum()
}

/// Request ids: a random per-isolate prefix and a counter, 16 upper-case hex digits like S3's.
#[derive(Debug)]
pub struct RequestIds {
    prefix: u32,
    counter: AtomicU64,
}

impl RequestIds {
    /// Ids starting with `prefix` (random per isolate).
    pub fn new(prefix: u32) -> Self {
        Self {
            prefix,
            counter: AtomicU64::new(0),
        }
    }

    pub fn next_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{:08X}{:08X}", self.prefix, n & 0xFFFF_FFFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn urls_split_into_the_raw_path_and_query() {
        let split = |u: &str| split_url(u);
        assert_eq!(
            split("http://127.0.0.1:8787/b/a%2Fb%20c?list-type=2&prefix=x%2F"),
            ("/b/a%2Fb%20c".into(), "list-type=2&prefix=x%2F".into())
        );
        assert_eq!(split("https://h.example"), ("/".into(), String::new()));
        assert_eq!(split("https://h/?acl"), ("/".into(), "acl".into()));
        assert_eq!(
            split("https://h/k?a=1?b#frag"),
            ("/k".into(), "a=1?b".into())
        );
    }

    #[test]
    fn the_client_address_comes_from_cf_connecting_ip() {
        let mut h = HeaderMap::new();
        assert_eq!(client_ip(&h), None);
        h.insert("cf-connecting-ip", HeaderValue::from_static("203.0.113.9"));
        assert_eq!(client_ip(&h), Some("203.0.113.9".parse().unwrap()));
        h.insert("cf-connecting-ip", HeaderValue::from_static("2001:db8::1"));
        assert_eq!(client_ip(&h), Some("2001:db8::1".parse().unwrap()));
        h.insert("cf-connecting-ip", HeaderValue::from_static("nonsense"));
        assert_eq!(client_ip(&h), None);
    }

    #[test]
    fn request_ids_are_unique_and_look_like_s3_ids() {
        let ids = RequestIds::new(0xDEAD_BEEF);
        let (a, b) = (ids.next_id(), ids.next_id());
        assert_ne!(a, b);
        assert_eq!(a, "DEADBEEF00000000");
        assert_eq!(b.len(), 16);
    }

    #[test]
    fn header_sizes_count_names_values_and_separators() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("x"));
        assert_eq!(header_bytes(&h), 9);
    }
}
