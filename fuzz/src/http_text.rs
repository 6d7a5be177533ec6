//! The text form of a request that `gateway_request`, `s3_bindings` and `sigv4_auth` read, so
//! that their seeds are requests as clients send them, readable and editable:
//!
//! ```text
//! <control byte>GET /bucket/key?list-type=2 HTTP/1.1\r\n
//! Host: 127.0.0.1:8080\r\n
//! \r\n
//! <body>[\n=====\n<a backend's answer>]
//! ```
//!
//! The head is parsed with httparse, as hyper parses it in the native runtime; what httparse
//! refuses never reaches the core there either. The control byte says how the harness signs
//! the request (each target reads it its own way).

use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// Separates the request body from the backend answer the harness replays.
pub const BACKEND_MARKER: &[u8] = b"\n=====\n";

/// A request read from its text form.
#[derive(Debug)]
pub struct TextRequest<'a> {
    pub control: u8,
    pub method: Method,
    /// The path as sent, without the query.
    pub raw_path: String,
    /// The query as sent (no `?`), empty when absent.
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: &'a [u8],
    /// What the backend answers, when the input has a [`BACKEND_MARKER`].
    pub backend_body: Option<&'a [u8]>,
}

/// Reads a request; `None` when the head is not HTTP/1.1 that httparse accepts.
pub fn parse(data: &[u8]) -> Option<TextRequest<'_>> {
    let (&control, data) = data.split_first()?;
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut slots);
    let httparse::Status::Complete(head_len) = request.parse(data).ok()? else {
        return None;
    };
    let method = Method::from_bytes(request.method?.as_bytes()).ok()?;
    let target = request.path?;
    let (raw_path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target.to_owned(), String::new()),
    };
    let mut headers = HeaderMap::new();
    for header in request.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(header.value).ok()?;
        headers.append(name, value);
    }
    let rest = &data[head_len..];
    let (body, backend_body) = match find(rest, BACKEND_MARKER) {
        Some(at) => (&rest[..at], Some(&rest[at + BACKEND_MARKER.len()..])),
        None => (rest, None),
    };
    Some(TextRequest {
        control,
        method,
        raw_path,
        raw_query,
        headers,
        body,
        backend_body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
